/* pad.c — Pad (pads as an attribute before opset 11, a constant input from it; negative pads
 * crop), dtype-agnostic. Constant mode fills with the constant, then makes one strided copy
 * of the input's surviving part; reflect and edge modes (ReflectionPad / ReplicationPad in
 * PyTorch exports) map every output element to its mirrored or clamped source element.
 */
#include "helpers.h"
#include "ops.h"

#include "kernels/strided-copy.h"

#include <stdlib.h>
#include <string.h>

typedef enum {
  PAD_CONSTANT,
  PAD_REFLECT,
  PAD_EDGE,
} pad_mode;

typedef struct {
  int64_t pads[2 * CNN_MAX_RANK];       /* begin for each dim, then end; resolved by infer */
  float value;                          /* `value` attribute before opset 11 */
  pad_mode mode;
} pad_params;

/* Before opset 11 the pads are an attribute, called `paddings` in opset 1. */
static const char *
pad_attr_name (const cnn_graph *g)
{
  return g->opset < 2 ? "paddings" : "pads";
}

static cnn_status
pad_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const char *mode = cnn_node_attr_string (n, "mode", "constant");
  pad_params *p;

  pad_mode kind = strcmp (mode, "constant") == 0 ? PAD_CONSTANT
      : strcmp (mode, "reflect") == 0 ? PAD_REFLECT : strcmp (mode, "edge") == 0 ? PAD_EDGE
      : (pad_mode) -1;

  if ((int) kind < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "mode '%s' is not supported ('constant', 'reflect' and 'edge' are)", mode);
  if (g->opset < 11 && cnn_node_attr (n, pad_attr_name (g)) == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "the '%s' attribute is required before opset 11", pad_attr_name (g));
  if (g->opset >= 11 && n->n_inputs < 2)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "needs the pads input from opset 11");
  p = calloc (1, sizeof (*p));
  if (p == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  p->value = cnn_node_attr_float (n, "value", 0.0f);
  p->mode = kind;
  n->params = p;
  return CNN_STATUS_OK;
}

static cnn_status
pad_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  pad_params *p = n->params;
  const cnn_value *x = cnn_node_input (g, n, 0);
  const cnn_value *cv = cnn_node_input (g, n, 2);
  cnn_status status = cnn_op_input_known (g, n, x, err);
  int64_t dims[CNN_MAX_RANK];
  int count;

  if (status != CNN_STATUS_OK)
    return status;
  if (g->opset < 11) {
    const int64_t *a;
    count = (int) cnn_node_attr_ints (n, pad_attr_name (g), &a);
    if (count == 2 * x->rank)
      memcpy (p->pads, a, (size_t) count * sizeof (int64_t));
  } else {
    status = cnn_op_const_ints (g, n, 1, "pads", 2 * CNN_MAX_RANK, p->pads, &count, err);
    if (status != CNN_STATUS_OK)
      return status;
  }
  if (count != 2 * x->rank)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "pads has %d values; a rank-%d input needs %d", count, x->rank, 2 * x->rank);
  if (cv != NULL) {
    uint64_t k;
    if (cv->dtype != x->dtype || !cnn_value_elements (cv, &k) || k != 1)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "constant_value must be a one-element %s tensor", cnn_dtype_string (x->dtype));
  }
  for (int d = 0; d < x->rank; d++) {
    int64_t b = p->pads[d], e = p->pads[d + x->rank];
    /* Pads come from the file: bound them before adding, so the sum cannot overflow. */
    const int64_t limit = INT64_C (1) << 31;
    if (b > limit || b < -limit || e > limit || e < -limit)
      return cnn_node_error (err, g, n, CNN_STATUS_LIMIT_EXCEEDED,
          "pads %lld and %lld for dim %d are out of range (at most 2^31)", (long long) b,
          (long long) e, d);
    dims[d] = x->dims[d] < 0 ? -1 : x->dims[d] + b + e;
    if (p->mode != PAD_CONSTANT && x->dims[d] == 0 && (b > 0 || e > 0))
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "%s padding of dim %d, which is empty", p->mode == PAD_EDGE ? "edge" : "reflect", d);
    if (x->dims[d] >= 0 && dims[d] < 0)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "pads %lld and %lld crop more than dim %d's %lld elements", (long long) b,
          (long long) e, d, (long long) x->dims[d]);
  }
  cnn_value_set_shape (cnn_node_output (g, n, 0), x->dtype, x->rank, dims);
  return CNN_STATUS_OK;
}

/* Reflect and edge modes: where output index i (in input coordinates, i.e. minus the
 * begin pad) reads along a dim of n elements. Reflection repeats with period 2(n - 1), as
 * numpy's 'reflect' does for pads longer than the dim. */
static int64_t
pad_source (int64_t i, int64_t n, pad_mode mode)
{
  if (n <= 1)
    return 0;
  if (mode == PAD_EDGE)
    return i < 0 ? 0 : i >= n ? n - 1 : i;
  int64_t period = 2 * (n - 1);
  i %= period;
  if (i < 0)
    i += period;
  return i < n ? i : period - i;
}

static void
pad_run_mirror (const pad_params *pp, const cnn_value *x, const cnn_value *y, uint64_t count)
{
  size_t es = cnn_dtype_size (y->dtype);
  int rank = x->rank;
  int64_t in_strides[CNN_MAX_RANK], idx[CNN_MAX_RANK] = { 0 };
  const unsigned char *in = x->ptr;
  unsigned char *out = y->ptr;

  cnn_contiguous_strides (rank, x->dims, in_strides);
  for (uint64_t i = 0; i < count; i++) {
    int64_t off = 0;
    for (int d = 0; d < rank; d++)
      off += pad_source (idx[d] - pp->pads[d], x->dims[d], pp->mode) * in_strides[d];
    memcpy (out + i * es, in + off * (int64_t) es, es);
    for (int d = rank - 1; d >= 0; d--) {
      if (++idx[d] < y->dims[d])
        break;
      idx[d] = 0;
    }
  }
}

static void
pad_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const pad_params *pp = n->params;
  const cnn_value *x = cnn_layer_in (io, 0);
  const cnn_value *cv = cnn_layer_in (io, 2);
  const cnn_value *y = io->out[0];
  size_t es = cnn_dtype_size (y->dtype);
  int rank = x->rank;
  unsigned char value[8] = { 0 };
  uint64_t count;

  if (!cnn_value_elements (y, &count) || count == 0)
    return;
  if (pp->mode != PAD_CONSTANT) {
    pad_run_mirror (pp, x, y, count);
    return;
  }

  /* Fill with the constant, then copy the input's surviving part inside. */
  if (cv != NULL) {
    memcpy (value, cv->ptr, es);
  } else {
    switch (y->dtype) {
      case CNN_DTYPE_FLOAT32: memcpy (value, &pp->value, sizeof (float)); break;
      case CNN_DTYPE_INT64: { int64_t v = (int64_t) pp->value; memcpy (value, &v, 8); break; }
      case CNN_DTYPE_INT32: { int32_t v = (int32_t) pp->value; memcpy (value, &v, 4); break; }
      case CNN_DTYPE_BOOL: value[0] = pp->value != 0.0f; break;
      default: break;
    }
  }
  bool zero = true;
  for (size_t i = 0; i < es; i++)
    zero &= value[i] == 0;
  unsigned char *out = y->ptr;
  if (zero)
    memset (out, 0, (size_t) count * es);
  else
    for (uint64_t i = 0; i < count; i++)
      memcpy (out + i * es, value, es);

  int64_t in_strides[CNN_MAX_RANK], out_strides[CNN_MAX_RANK], dims[CNN_MAX_RANK];
  int64_t in_off = 0, out_off = 0;
  cnn_contiguous_strides (rank, x->dims, in_strides);
  cnn_contiguous_strides (rank, y->dims, out_strides);
  for (int d = 0; d < rank; d++) {
    int64_t b = pp->pads[d], e = pp->pads[d + rank];
    int64_t skip_in = b < 0 ? -b : 0;   /* negative pads crop */
    dims[d] = x->dims[d] - skip_in - (e < 0 ? -e : 0);
    if (dims[d] <= 0)
      return;
    in_off += skip_in * in_strides[d];
    out_off += (b > 0 ? b : 0) * out_strides[d];
  }
  cnn_copy_plan p;
  cnn_copy_plan_init (&p, rank, dims, out_strides, in_strides, out + out_off * (int64_t) es,
      (const unsigned char *) x->ptr + in_off * (int64_t) es, es);
  cnn_copy_plan_run (&p, exec->pool);
}

const cnn_op_def cnn_op_pad = {
  .name = "Pad",
  .min_inputs = 1,
  .max_inputs = 3,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = pad_parse,
  .infer = pad_infer,
  .run = pad_run,
  .macs = cnn_op_macs_none,
};
