/* window.c — sliding-window attributes (kernel_shape, strides, dilations, pads, auto_pad,
 * ceil_mode) parsed and checked once, and the output size and padding they give an input,
 * following the ONNX Conv and pooling formulas. Shared by Conv and the windowed pools.
 */
#include "window.h"

#include <string.h>

/* Largest kernel, stride, dilation or pad we accept: keeps all index arithmetic far from
 * int64 overflow whatever a file says. */
#define WINDOW_MAX (INT64_C (1) << 24)

/* Reads an INTS window attribute with `per_axis` values per spatial axis (2 for pads) and
 * checks its length against the spatial rank the other attributes gave. */
static cnn_status
window_list (cnn_graph *g, cnn_node *n, const char *name, size_t per_axis, int *spatial,
    const int64_t **values, cnn_error *err)
{
  const cnn_attr *a = cnn_node_attr (n, name);
  size_t count;

  *values = NULL;
  if (a == NULL)
    return CNN_STATUS_OK;
  if (a->type != CNN_ATTR_INTS)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "attribute '%s' must be a list of integers", name);
  count = a->count;
  if (count == 0)
    return CNN_STATUS_OK;
  if (count % per_axis != 0 || (*spatial != 0 && count != per_axis * (size_t) *spatial))
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "attribute '%s' has %zu values, expected %zu per spatial axis%s", name, count,
        per_axis, *spatial != 0 ? " as in the other window attributes" : "");
  if (count / per_axis > 2)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "%zu-D windows are not supported (1-D and 2-D are)", count / per_axis);
  *spatial = (int) (count / per_axis);
  *values = a->ints;
  return CNN_STATUS_OK;
}

static cnn_status
window_check (cnn_graph *g, cnn_node *n, const char *name, const int64_t *values, size_t count,
    int64_t min, cnn_error *err)
{
  for (size_t i = 0; values != NULL && i < count; i++)
    if (values[i] < min || values[i] > WINDOW_MAX)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "attribute '%s' has value %lld, expected %lld to %lld", name,
          (long long) values[i], (long long) min, (long long) WINDOW_MAX);
  return CNN_STATUS_OK;
}

cnn_status
cnn_window_parse (cnn_graph *g, cnn_node *n, bool pool, cnn_window_attrs *w, cnn_error *err)
{
  const int64_t *kernel, *strides, *dilations, *pads;
  const char *auto_pad = cnn_node_attr_string (n, "auto_pad", "NOTSET");
  int spatial = 0;
  cnn_status status;

  memset (w, 0, sizeof (*w));
  if ((status = window_list (g, n, "kernel_shape", 1, &spatial, &kernel, err))
      || (status = window_list (g, n, "strides", 1, &spatial, &strides, err))
      || (status = window_list (g, n, "dilations", 1, &spatial, &dilations, err))
      || (status = window_list (g, n, "pads", 2, &spatial, &pads, err))
      || (status = window_check (g, n, "kernel_shape", kernel, (size_t) spatial, 1, err))
      || (status = window_check (g, n, "strides", strides, (size_t) spatial, 1, err))
      || (status = window_check (g, n, "dilations", dilations, (size_t) spatial, 1, err))
      || (status = window_check (g, n, "pads", pads, 2 * (size_t) spatial, 0, err)))
    return status;

  w->spatial = spatial;
  for (int a = 0; a < 2; a++) {
    bool given = a < spatial;
    w->kernel[a] = given && kernel ? kernel[a] : 0;
    w->stride[a] = given && strides ? strides[a] : 1;
    w->dilation[a] = given && dilations ? dilations[a] : 1;
    w->pad_begin[a] = given && pads ? pads[a] : 0;
    w->pad_end[a] = given && pads ? pads[spatial + a] : 0;
  }

  /* Some exporters write an empty string for the default. */
  if (strcmp (auto_pad, "NOTSET") == 0 || auto_pad[0] == '\0')
    w->auto_pad = CNN_AUTO_PAD_NOTSET;
  else if (strcmp (auto_pad, "SAME_UPPER") == 0)
    w->auto_pad = CNN_AUTO_PAD_SAME_UPPER;
  else if (strcmp (auto_pad, "SAME_LOWER") == 0)
    w->auto_pad = CNN_AUTO_PAD_SAME_LOWER;
  else if (strcmp (auto_pad, "VALID") == 0)
    w->auto_pad = CNN_AUTO_PAD_VALID;
  else
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "auto_pad '%s' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", auto_pad);

  if (pool) {
    int64_t ceil_mode = cnn_node_attr_int (n, "ceil_mode", 0);
    if (ceil_mode != 0 && ceil_mode != 1)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "ceil_mode must be 0 or 1, got %lld", (long long) ceil_mode);
    w->ceil_mode = ceil_mode == 1;
  }
  return CNN_STATUS_OK;
}

/* Output length and padding of spatial axis a, following the ONNX Conv / pool formulas.
 * False when the window is larger than the padded input. */
static bool
window_axis (const cnn_window_attrs *w, int a, int64_t in, int64_t kernel, int64_t *out,
    int64_t *pad_begin, int64_t *pad_end)
{
  int64_t stride = w->stride[a];
  int64_t extent = (kernel - 1) * w->dilation[a] + 1;
  int64_t span, total;

  switch (w->auto_pad) {
    case CNN_AUTO_PAD_SAME_UPPER:
    case CNN_AUTO_PAD_SAME_LOWER:
      *out = cnn_ceil_div (in, stride);
      total = cnn_max64 (0, (*out - 1) * stride + extent - in);
      *pad_begin = w->auto_pad == CNN_AUTO_PAD_SAME_UPPER ? total / 2 : total - total / 2;
      *pad_end = total - *pad_begin;
      return true;
    case CNN_AUTO_PAD_VALID:
      *pad_begin = *pad_end = 0;
      span = in - extent;
      break;
    case CNN_AUTO_PAD_NOTSET:
    default:
      *pad_begin = w->pad_begin[a];
      *pad_end = w->pad_end[a];
      span = in + *pad_begin + *pad_end - extent;
      break;
  }
  if (span < 0)
    return false;
  *out = span / stride + 1;
  /* ceil_mode adds a partial last window, but only if it starts inside the input or its
   * leading padding (PyTorch's rule, which ONNX adopted). */
  if (w->ceil_mode && w->auto_pad == CNN_AUTO_PAD_NOTSET && span % stride != 0
      && *out * stride < in + *pad_begin)
    *out += 1;
  return true;
}

cnn_status
cnn_window_geometry (const cnn_graph *g, const cnn_node *n, const cnn_window_attrs *w,
    const cnn_value *x, const int64_t *kernel, cnn_conv_geom *s, cnn_error *err)
{
  int spatial = x->rank - 2;
  char dims[160];

  cnn_format_dims (dims, sizeof (dims), x->rank, x->dims);
  if (x->rank < 3)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "input '%s' %s has rank %d, expected [N, C, spatial...]", x->name, dims, x->rank);
  if (spatial > 2)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "input '%s' %s is %d-D; only 1-D and 2-D windows are supported", x->name, dims,
        spatial);
  if (w->spatial != 0 && w->spatial != spatial)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "window attributes describe %d spatial axes but input '%s' %s has %d", w->spatial,
        x->name, dims, spatial);
  for (int d = 0; d < x->rank; d++)
    if (x->dims[d] < 1)
      return cnn_node_error (err, g, n, d > 0 && x->dims[d] == 0 ? CNN_STATUS_UNSUPPORTED
          : CNN_STATUS_INVALID_MODEL, "input '%s' %s must have known, non-zero dims",
          x->name, dims);

  memset (s, 0, sizeof (*s));
  s->n = x->dims[0];
  s->c = s->m = x->dims[1];
  s->group = 1;
  s->h = s->oh = s->kh = s->sh = s->dh = 1;     /* a 1-D window is a 1-tall 2-D one */
  for (int a = 0; a < spatial; a++) {
    int64_t in = x->dims[2 + a], out, begin, end;
    if (!window_axis (w, a, in, kernel[a], &out, &begin, &end))
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "window of %lld taps with dilation %lld does not fit input '%s' %s on axis %d",
          (long long) kernel[a], (long long) w->dilation[a], x->name, dims, 2 + a);
    bool is_h = spatial == 2 && a == 0;
    *(is_h ? &s->h : &s->w) = in;
    *(is_h ? &s->oh : &s->ow) = out;
    *(is_h ? &s->kh : &s->kw) = kernel[a];
    *(is_h ? &s->sh : &s->sw) = w->stride[a];
    *(is_h ? &s->dh : &s->dw) = w->dilation[a];
    *(is_h ? &s->pt : &s->pl) = begin;
    *(is_h ? &s->pb : &s->pr) = end;
  }
  return CNN_STATUS_OK;
}

void
cnn_window_span (const cnn_window_attrs *w, int spatial, const int64_t *taps, int64_t kernel[2],
    int64_t stride[2])
{
  kernel[0] = kernel[1] = stride[0] = stride[1] = 1;
  for (int a = 0; a < spatial; a++) {
    int h_or_w = spatial == 2 ? a : 1;
    kernel[h_or_w] = (taps[a] - 1) * w->dilation[a] + 1;
    stride[h_or_w] = w->stride[a];
  }
}
