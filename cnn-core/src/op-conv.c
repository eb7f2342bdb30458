/* op-conv.c — Conv (opset 1–17), 1-D and 2-D, float32, with the bias, a fused residual sum and
 * a fused activation applied while each piece of output is still in cache. Also home of the
 * window geometry shared with the pooling ops (conv.h).
 *
 * prepare() picks one algorithm from the shapes:
 *   gemm-1x1       1×1 kernel, stride 1, no padding: Y[M, HW] = W[M, C] · X[C, HW] read
 *                  straight from the input, nothing copied.
 *   im2col-gemm    any other conv with several input channels per group: the input patches
 *                  of a tile of output columns are gathered into a per-thread [K, tile] matrix
 *                  sized to stay in L2, then one GEMM per tile writes the output in place.
 *   depthwise      one input channel per group (any channel multiplier): a direct kernel that
 *                  accumulates output rows tap by tap, no GEMM; "depthwise-3x3" does all nine
 *                  taps of 3×3 stride 1/2 in a single pass over each row.
 * GEMM work is split into (image, group, column tile, row block) items shared out among the
 * threads; OpenBLAS runs single-threaded inside each item. Weights are used in ONNX layout
 * ([M, C/group·kH·kW] is already GEMM's row-major A), so nothing is packed and weights that
 * are not constants work the same way.
 */
#include "conv.h"
#include "blas.h"
#include "model.h"
#include "ops.h"

#include <stdlib.h>
#include <string.h>

/* Largest kernel, stride, dilation or pad we accept: keeps all index arithmetic far from
 * int64 overflow whatever a file says. */
#define WINDOW_MAX (INT64_C (1) << 24)

/* im2col scratch per thread, in floats: 512 KiB keeps the tile and the GEMM's packed panels
 * in a 1 MiB L2 while each GEMM is wide enough to amortise packing the weights. */
#define CONV_TILE_FLOATS 131072
/* 1×1 convs read the input in place; their tiles only bound the output (or input) block the
 * epilogue then finds in cache. Measured best at about half the im2col size. */
#define CONV_1X1_TILE_FLOATS 65536
/* Fewer output columns per GEMM than this waste OpenBLAS's kernels. */
#define CONV_MIN_TILE 64

typedef enum {
  CONV_GEMM_1X1 = 0,
  CONV_IM2COL_GEMM,
  CONV_DEPTHWISE,
  CONV_DEPTHWISE_3X3,
} conv_algo;

static const char *const conv_algo_names[] = {
  [CONV_GEMM_1X1] = "gemm-1x1",
  [CONV_IM2COL_GEMM] = "im2col-gemm",
  [CONV_DEPTHWISE] = "depthwise",
  [CONV_DEPTHWISE_3X3] = "depthwise-3x3",
};

typedef struct {
  cnn_window_attrs win;
  int64_t group;
} conv_params;

/* What prepare decided; lives in node->packed. */
typedef struct {
  cnn_conv_geom s;
  conv_algo algo;
  int64_t tile;                 /* most output columns per GEMM item (bounds the scratch) */
} conv_plan;

/* One run, as the parallel workers see it. */
typedef struct {
  const conv_plan *plan;
  const float *x, *w, *b, *sum;
  float *y;
  cnn_activation act;
  float alpha, beta;
  char *workspace;
  size_t workspace_stride;
  int64_t tiles, tile;          /* column tiles per (image, group) and their width */
  int64_t mblocks, mrows;       /* output-channel blocks per group and their height */
} conv_job;

static inline int64_t
min64 (int64_t a, int64_t b)
{
  return a < b ? a : b;
}

static inline int64_t
max64 (int64_t a, int64_t b)
{
  return a > b ? a : b;
}

static inline int64_t
ceil_div (int64_t a, int64_t b)
{
  return (a + b - 1) / b;
}

/* ---- Window attributes and geometry (shared with op-pool.c) ---------------------------- */

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
      *out = ceil_div (in, stride);
      total = max64 (0, (*out - 1) * stride + extent - in);
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

/* ---- Shapes ------------------------------------------------------------------------------ */

cnn_status
cnn_conv_geometry (const cnn_graph *g, const cnn_node *n, cnn_conv_geom *s, cnn_error *err)
{
  const conv_params *p = n->params;
  const cnn_value *x = cnn_node_input (g, n, 0);
  const cnn_value *w = cnn_node_input (g, n, 1);
  const cnn_value *b = cnn_node_input (g, n, 2);
  int64_t kernel[2] = { 1, 1 };
  char wdims[160];
  cnn_status status;

  if (x == NULL || w == NULL || x->rank < 0 || w->rank < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "input shapes are unknown");
  if (x->dtype != CNN_DTYPE_FLOAT32 || w->dtype != CNN_DTYPE_FLOAT32
      || (b != NULL && b->dtype != CNN_DTYPE_FLOAT32))
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "inputs are %s and weights %s; only float32 is supported",
        cnn_dtype_string (x->dtype), cnn_dtype_string (w->dtype));
  cnn_format_dims (wdims, sizeof (wdims), w->rank, w->dims);
  if (w->rank != x->rank)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "weights '%s' %s have rank %d but the input has rank %d", w->name, wdims, w->rank,
        x->rank);
  for (int d = 0; d < w->rank; d++)
    if (w->dims[d] < 1)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "weights '%s' %s must have known, non-zero dims", w->name, wdims);
  for (int a = 0; a + 2 < w->rank && a < 2; a++) {
    kernel[a] = w->dims[2 + a];
    if (p->win.kernel[a] != 0 && p->win.kernel[a] != kernel[a])
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "kernel_shape[%d] = %lld does not match weights '%s' %s", a,
          (long long) p->win.kernel[a], w->name, wdims);
  }
  if ((status = cnn_window_geometry (g, n, &p->win, x, kernel, s, err)) != CNN_STATUS_OK)
    return status;

  s->m = w->dims[0];
  s->group = p->group;
  if (s->c % s->group != 0 || s->m % s->group != 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "group %lld does not divide the %lld input and %lld output channels",
        (long long) s->group, (long long) s->c, (long long) s->m);
  if (w->dims[1] != s->c / s->group)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "weights '%s' %s have %lld input channels per group, expected %lld (%lld channels, "
        "group %lld)", w->name, wdims, (long long) w->dims[1], (long long) (s->c / s->group),
        (long long) s->c, (long long) s->group);
  if (b != NULL && (b->rank != 1 || b->dims[0] != s->m))
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "bias '%s' must have shape [%lld]", b->name, (long long) s->m);
  return CNN_STATUS_OK;
}

static cnn_status
conv_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  conv_params *p = calloc (1, sizeof (*p));
  cnn_status status;

  if (p == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  if ((status = cnn_window_parse (g, n, false, &p->win, err)) != CNN_STATUS_OK)
    goto error;
  p->group = cnn_node_attr_int (n, "group", 1);
  if (p->group < 1) {
    status = cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "group must be positive, got %lld", (long long) p->group);
    goto error;
  }
  n->params = p;
  return CNN_STATUS_OK;

error:
  free (p);
  return status;
}

static cnn_status
conv_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_conv_geom s;
  cnn_status status;

  if ((status = cnn_conv_geometry (g, n, &s, err)) != CNN_STATUS_OK)
    return status;
  int64_t dims[4] = { s.n, s.m, s.oh, s.ow };
  if (x->rank == 3)
    dims[2] = s.ow;
  cnn_value_set_shape (cnn_node_output (g, n, 0), CNN_DTYPE_FLOAT32, x->rank, dims);
  return CNN_STATUS_OK;
}

/* ---- Planning ---------------------------------------------------------------------------- */

/* The residual the fusion pass attached must be exactly the output's shape: we add it
 * element by element. */
static cnn_status
conv_check_sum (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *y = cnn_node_output (g, n, 0);
  const cnn_value *sum;

  if (n->fused_sum < 0)
    return CNN_STATUS_OK;
  sum = &g->values[n->fused_sum];
  bool same = sum->dtype == CNN_DTYPE_FLOAT32 && sum->rank == y->rank;
  for (int d = 0; same && d < y->rank; d++)
    same = sum->dims[d] == y->dims[d];
  if (!same) {
    char a[160], b[160];
    cnn_format_dims (a, sizeof (a), sum->rank, sum->dims);
    cnn_format_dims (b, sizeof (b), y->rank, y->dims);
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "fused residual '%s' %s does not have the output's shape %s", sum->name, a, b);
  }
  return CNN_STATUS_OK;
}

static conv_algo
conv_choose (const cnn_conv_geom *s)
{
  if (s->c == s->group)
    return s->kh == 3 && s->kw == 3 ? CONV_DEPTHWISE_3X3 : CONV_DEPTHWISE;
  if (s->kh == 1 && s->kw == 1 && s->sh == 1 && s->sw == 1 && s->pt == 0 && s->pl == 0
      && s->pb == 0 && s->pr == 0)
    return CONV_GEMM_1X1;
  return CONV_IM2COL_GEMM;
}

static size_t depthwise_scratch (const cnn_conv_geom *s);

static cnn_status
conv_prepare (cnn_graph *g, cnn_node *n, int threads, cnn_error *err)
{
  conv_plan *plan = calloc (1, sizeof (*plan));
  cnn_status status;

  if (plan == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  if ((status = cnn_conv_geometry (g, n, &plan->s, err)) != CNN_STATUS_OK
      || (status = conv_check_sum (g, n, err)) != CNN_STATUS_OK)
    goto error;

  const cnn_conv_geom *s = &plan->s;
  int64_t k = s->c / s->group * s->kh * s->kw;
  int64_t mg = s->m / s->group;
  int64_t cols = s->oh * s->ow;

  plan->algo = conv_choose (s);
  switch (plan->algo) {
    case CONV_GEMM_1X1:
      /* No scratch: the tile only bounds how much output the epilogue finds in cache. */
      plan->tile = max64 (CONV_MIN_TILE, CONV_1X1_TILE_FLOATS / max64 (k, mg) / 16 * 16);
      n->workspace = 0;
      break;
    case CONV_IM2COL_GEMM:
      plan->tile = max64 (CONV_MIN_TILE, CONV_TILE_FLOATS / k / 16 * 16);
      plan->tile = min64 (plan->tile, cols);
      n->workspace = (size_t) (k * plan->tile) * sizeof (float);
      break;
    case CONV_DEPTHWISE_3X3:
    case CONV_DEPTHWISE:
      plan->tile = cols;
      n->workspace = depthwise_scratch (s) * sizeof (float);
      break;
  }
  plan->tile = min64 (plan->tile, cols);
  n->packed = plan;
  return CNN_STATUS_OK;

error:
  free (plan);
  return status;
}

const char *
cnn_conv_algorithm (const cnn_node *n)
{
  const conv_plan *plan = n->packed;
  return plan != NULL ? conv_algo_names[plan->algo] : "";
}

/* ---- Reference --------------------------------------------------------------------------- */

void
cnn_conv_reference (const cnn_conv_geom *s, const float *x, const float *w, const float *b,
    const float *sum, cnn_activation act, float alpha, float beta, float *y)
{
  int64_t cg = s->c / s->group, mg = s->m / s->group;

  for (int64_t img = 0; img < s->n; img++)
    for (int64_t m = 0; m < s->m; m++)
      for (int64_t oh = 0; oh < s->oh; oh++)
        for (int64_t ow = 0; ow < s->ow; ow++) {
          int64_t first_c = m / mg * cg;
          double acc = b != NULL ? b[m] : 0.0;
          for (int64_t c = 0; c < cg; c++)
            for (int64_t ki = 0; ki < s->kh; ki++)
              for (int64_t kj = 0; kj < s->kw; kj++) {
                int64_t ih = oh * s->sh - s->pt + ki * s->dh;
                int64_t iw = ow * s->sw - s->pl + kj * s->dw;
                if (ih < 0 || ih >= s->h || iw < 0 || iw >= s->w)
                  continue;
                acc += (double) x[((img * s->c + first_c + c) * s->h + ih) * s->w + iw]
                    * w[((m * cg + c) * s->kh + ki) * s->kw + kj];
              }
          int64_t o = ((img * s->m + m) * s->oh + oh) * s->ow + ow;
          if (sum != NULL)
            acc += sum[o];
          y[o] = cnn_activate ((float) acc, act, alpha, beta);
        }
}

/* ---- GEMM-based kernels ------------------------------------------------------------------ */

/* dst[ow - ow0] = row[ow * stride + offset] for ow in [ow0, ow1), zero outside [lo, hi). */
static inline void
im2col_row (float *restrict dst, const float *restrict row, int64_t ow0, int64_t ow1,
    int64_t lo, int64_t hi, int64_t stride, int64_t offset)
{
  int64_t a = min64 (max64 (lo, ow0), ow1), b = min64 (max64 (hi, a), ow1);

  memset (dst, 0, sizeof (float) * (size_t) (a - ow0));
  if (stride == 1) {
    memcpy (dst + (a - ow0), row + a + offset, sizeof (float) * (size_t) (b - a));
  } else {
    for (int64_t ow = a; ow < b; ow++)
      dst[ow - ow0] = row[ow * stride + offset];
  }
  memset (dst + (b - ow0), 0, sizeof (float) * (size_t) (ow1 - b));
}

/* col[K, ncols] = the input patches of output positions [col0, col0 + ncols) for the cg
 * channels starting at x; K is ordered (channel, tap row, tap column) like the weights. */
CNN_VECTORIZE static void
conv_im2col (const cnn_conv_geom *s, const float *x, int64_t cg, int64_t col0, int64_t ncols,
    float *col)
{
  for (int64_t c = 0; c < cg; c++) {
    const float *plane = x + c * s->h * s->w;
    for (int64_t ki = 0; ki < s->kh; ki++)
      for (int64_t kj = 0; kj < s->kw; kj++) {
        int64_t offset = kj * s->dw - s->pl, lo, hi;
        float *dst = col + ((c * s->kh + ki) * s->kw + kj) * ncols;
        cnn_window_valid_range (offset, s->sw, s->w, s->ow, &lo, &hi);
        /* Walk the tile one output row segment at a time. */
        for (int64_t p = col0, end = col0 + ncols; p < end;) {
          int64_t oh = p / s->ow, ow0 = p % s->ow;
          int64_t ow1 = min64 (s->ow, ow0 + (end - p));
          int64_t ih = oh * s->sh - s->pt + ki * s->dh;
          if (ih < 0 || ih >= s->h)
            memset (dst, 0, sizeof (float) * (size_t) (ow1 - ow0));
          else
            im2col_row (dst, plane + ih * s->w, ow0, ow1, lo, hi, s->sw, offset);
          dst += ow1 - ow0;
          p += ow1 - ow0;
        }
      }
  }
}

/* Starts an output tile [nrows, ncols] (row stride ld) at bias + residual, for the GEMM to
 * accumulate onto with beta = 1. That replaces the pass in which OpenBLAS would zero C for
 * beta = 0, leaves only the activation for afterwards, and stays correct when the residual
 * shares the output's buffer. Returns the GEMM's beta. */
CNN_VECTORIZE static float
conv_tile_init (float *y, const float *sum, const float *bias, int64_t nrows, int64_t ncols,
    int64_t ld)
{
  if (sum == NULL && bias == NULL)
    return 0.0f;
  for (int64_t r = 0; r < nrows; r++) {
    float b = bias != NULL ? bias[r] : 0.0f;
    float *yr = y + r * ld;
    if (sum != NULL) {
      const float *sr = sum + r * ld;
      for (int64_t j = 0; j < ncols; j++)
        yr[j] = sr[j] + b;
    } else {
      for (int64_t j = 0; j < ncols; j++)
        yr[j] = b;
    }
  }
  return 1.0f;
}

/* Runs GEMM items: each computes rows [m0, m0 + nrows) of one group and columns
 * [col0, col0 + ncols) of one image, then its epilogue. */
static void
conv_gemm_items (void *arg, size_t begin, size_t end, int thread)
{
  const conv_job *job = arg;
  const cnn_conv_geom *s = &job->plan->s;
  int64_t cg = s->c / s->group, mg = s->m / s->group, k = cg * s->kh * s->kw;
  int64_t cols = s->oh * s->ow, in_plane = s->h * s->w;
  float *col = (float *) (job->workspace + (size_t) thread * job->workspace_stride);

  for (size_t item = begin; item < end; item++) {
    int64_t rest = (int64_t) item;
    int64_t mb = rest % job->mblocks;
    rest /= job->mblocks;
    int64_t t = rest % job->tiles;
    rest /= job->tiles;
    int64_t grp = rest % s->group, img = rest / s->group;
    int64_t col0 = t * job->tile, ncols = min64 (job->tile, cols - col0);
    int64_t m0 = grp * mg + mb * job->mrows, nrows = min64 (job->mrows, mg - mb * job->mrows);
    if (ncols <= 0 || nrows <= 0)
      continue;

    const float *xg = job->x + (img * s->c + grp * cg) * in_plane;
    const float *bmat = xg + col0;
    int64_t ldb = in_plane;
    if (job->plan->algo == CONV_IM2COL_GEMM) {
      conv_im2col (s, xg, cg, col0, ncols, col);
      bmat = col;
      ldb = ncols;
    }

    int64_t offset = (img * s->m + m0) * cols + col0;
    float *y = job->y + offset;
    float beta = conv_tile_init (y, job->sum != NULL ? job->sum + offset : NULL,
        job->b != NULL ? job->b + m0 : NULL, nrows, ncols, cols);
    cnn_sgemm (false, false, (int) nrows, (int) ncols, (int) k, 1.0f, job->w + m0 * k,
        (int) k, bmat, (int) ldb, beta, y, (int) cols);
    if (job->act != CNN_ACTIVATION_NONE)
      for (int64_t r = 0; r < nrows; r++)
        cnn_activate_array (y + r * cols, (size_t) ncols, 0.0f, job->act, job->alpha,
            job->beta);
  }
}

/* Splits the GEMM work for `threads`: whole column tiles when the maps are large, and also
 * output-channel blocks when there are too few tiles to keep every thread busy (late layers
 * with 7×7 maps). Items of equal size in a multiple of `threads` balance best. */
static void
conv_split (conv_job *job, int threads)
{
  const cnn_conv_geom *s = &job->plan->s;
  int64_t cols = s->oh * s->ow, mg = s->m / s->group, outer = s->n * s->group;

  job->tiles = ceil_div (cols, job->plan->tile);
  job->mblocks = 1;
  if (threads > 1 && outer * job->tiles < 4 * threads) {
    int64_t even = ceil_div (ceil_div (outer * job->tiles, threads) * threads, outer);
    if (cols / even >= CONV_MIN_TILE || mg < 32)
      job->tiles = even;
    else
      job->mblocks = min64 (threads, mg / 16);
  }
  job->tile = ceil_div (cols, job->tiles);
  job->mrows = ceil_div (ceil_div (mg, job->mblocks), 16) * 16;
  job->mblocks = ceil_div (mg, job->mrows);
}

/* ---- Depthwise kernels ------------------------------------------------------------------- *
 *
 * One input plane → one output plane. The plane is first split into stride_h × stride_w
 * zero-padded "phase" planes, P[a][b][r][c] = x[r·sh + a − pt][c·sw + b − pl], all Hq × Wq.
 * Then tap (ki, kj) of output (oh, ow) is P[phase][oh + shift_h][ow + shift_w]: with the row
 * width Wq shared by every phase plane, each tap is one flat offset, and the whole output
 * (computed Wq wide, the columns past OW discarded) is a single branch-free vectorised loop
 * over oh·Wq + ow — padding, stride and dilation cost nothing inside it, and small 7×7 maps
 * vectorise as well as big ones. For stride 1 the split is a padded copy.
 */

typedef struct {
  int64_t hq, wq;               /* phase plane size */
  int64_t phases;               /* sh · sw */
  size_t plane;                 /* floats per phase plane, with a zero tail */
} depthwise_layout;

static depthwise_layout
depthwise_layout_of (const cnn_conv_geom *s)
{
  depthwise_layout l;

  l.hq = s->oh + (s->kh - 1) * s->dh / s->sh;
  l.wq = s->ow + (s->kw - 1) * s->dw / s->sw;
  l.phases = s->sh * s->sw;
  /* The flat loop reads up to Wq − OW floats past the last row. */
  l.plane = (size_t) ((l.hq * l.wq + l.wq + 15) / 16 * 16);
  return l;
}

/* Floats of scratch per thread: the phase planes and the Wq-wide output. */
static size_t
depthwise_scratch (const cnn_conv_geom *s)
{
  depthwise_layout l = depthwise_layout_of (s);
  return (size_t) l.phases * l.plane + (size_t) (s->oh * l.wq);
}

/* dst0[c] = row[2c + offset], dst1[c] = row[2c + 1 + offset], zero outside the row: one
 * stride-2 input row split into its two column phases. */
CNN_VECTORIZE static void
deinterleave_row (const float *row, int64_t w, int64_t offset, int64_t n, float *restrict dst0,
    float *restrict dst1)
{
  /* [lo, hi): columns where both 2c + offset and 2c + 1 + offset are inside the row. */
  int64_t lo = offset >= 0 ? 0 : (-offset + 1) / 2;
  int64_t hi = w - 2 - offset < 0 ? 0 : (w - 2 - offset) / 2 + 1;

  lo = lo < n ? lo : n;
  hi = hi < lo ? lo : (hi < n ? hi : n);
  /* The few columns at either end that touch padding. */
  for (int64_t c = 0; c < n; c++) {
    if (c == lo)
      c = hi;
    if (c >= n)
      break;
    int64_t i0 = 2 * c + offset, i1 = i0 + 1;
    dst0[c] = i0 >= 0 && i0 < w ? row[i0] : 0.0f;
    dst1[c] = i1 >= 0 && i1 < w ? row[i1] : 0.0f;
  }
  const float *src = row + 2 * lo + offset;
  for (int64_t i = 0; i < hi - lo; i++) {
    dst0[lo + i] = src[2 * i];
    dst1[lo + i] = src[2 * i + 1];
  }
}

/* Splits plane x into the phase planes at `planes` (see above). */
static void
depthwise_split (const cnn_conv_geom *s, const depthwise_layout *l, const float *x,
    float *planes)
{
  for (int64_t a = 0; a < s->sh; a++)
    for (int64_t r = 0; r < l->hq; r++) {
      int64_t ih = r * s->sh + a - s->pt;
      float *dst[2] = { planes + (size_t) (a * s->sw) * l->plane + (size_t) (r * l->wq),
        s->sw > 1 ? planes + (size_t) (a * s->sw + 1) * l->plane + (size_t) (r * l->wq)
            : NULL };
      if (ih < 0 || ih >= s->h) {
        for (int64_t b = 0; b < s->sw; b++)
          memset (planes + (size_t) (a * s->sw + b) * l->plane + (size_t) (r * l->wq), 0,
              sizeof (float) * (size_t) l->wq);
        continue;
      }
      const float *row = x + ih * s->w;
      if (s->sw == 2) {
        deinterleave_row (row, s->w, -s->pl, l->wq, dst[0], dst[1]);
        continue;
      }
      for (int64_t b = 0; b < s->sw; b++) {
        int64_t lo, hi, offset = b - s->pl;
        float *d = planes + (size_t) (a * s->sw + b) * l->plane + (size_t) (r * l->wq);
        cnn_window_valid_range (offset, s->sw, s->w, l->wq, &lo, &hi);
        im2col_row (d, row, 0, l->wq, lo, hi, s->sw, offset);
      }
    }
  /* The zero tail the flat loop may read past the last row. */
  for (int64_t p = 0; p < l->phases; p++)
    memset (planes + (size_t) p * l->plane + (size_t) (l->hq * l->wq), 0,
        sizeof (float) * (l->plane - (size_t) (l->hq * l->wq)));
}

/* Where tap (ki, kj) reads: its phase plane, shifted by whole rows and columns. */
static inline const float *
depthwise_tap (const cnn_conv_geom *s, const depthwise_layout *l, const float *planes,
    int64_t ki, int64_t kj)
{
  int64_t rh = ki * s->dh, rw = kj * s->dw;
  int64_t phase = (rh % s->sh) * s->sw + rw % s->sw;
  return planes + (size_t) phase * l->plane + (size_t) (rh / s->sh * l->wq + rw / s->sw);
}

/* out[p] = bias + Σ taps, p over the Wq-wide output. Nine taps unrolled for 3×3. */
CNN_VECTORIZE static void
depthwise_taps (const cnn_conv_geom *s, const depthwise_layout *l, const float *planes,
    const float *w, float bias, float *restrict out)
{
  int64_t n = s->oh * l->wq;

  if (s->kh == 3 && s->kw == 3) {
    const float *restrict t0 = depthwise_tap (s, l, planes, 0, 0);
    const float *restrict t1 = depthwise_tap (s, l, planes, 0, 1);
    const float *restrict t2 = depthwise_tap (s, l, planes, 0, 2);
    const float *restrict t3 = depthwise_tap (s, l, planes, 1, 0);
    const float *restrict t4 = depthwise_tap (s, l, planes, 1, 1);
    const float *restrict t5 = depthwise_tap (s, l, planes, 1, 2);
    const float *restrict t6 = depthwise_tap (s, l, planes, 2, 0);
    const float *restrict t7 = depthwise_tap (s, l, planes, 2, 1);
    const float *restrict t8 = depthwise_tap (s, l, planes, 2, 2);
    const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5];
    const float w6 = w[6], w7 = w[7], w8 = w[8];
    for (int64_t p = 0; p < n; p++)
      out[p] = bias + w0 * t0[p] + w1 * t1[p] + w2 * t2[p] + w3 * t3[p] + w4 * t4[p]
          + w5 * t5[p] + w6 * t6[p] + w7 * t7[p] + w8 * t8[p];
    return;
  }
  for (int64_t p = 0; p < n; p++)
    out[p] = bias;
  for (int64_t ki = 0; ki < s->kh; ki++)
    for (int64_t kj = 0; kj < s->kw; kj++) {
      const float *restrict t = depthwise_tap (s, l, planes, ki, kj);
      float wv = w[ki * s->kw + kj];
      for (int64_t p = 0; p < n; p++)
        out[p] += wv * t[p];
    }
}

/* y = out without the columns past OW, plus the residual (which may share y's buffer). */
CNN_VECTORIZE static void
depthwise_store (const cnn_conv_geom *s, const depthwise_layout *l, const float *out,
    const float *sum, float *y)
{
  for (int64_t oh = 0; oh < s->oh; oh++) {
    const float *o = out + oh * l->wq;
    float *yr = y + oh * s->ow;
    if (sum != NULL) {
      const float *sr = sum + oh * s->ow;
      for (int64_t j = 0; j < s->ow; j++)
        yr[j] = o[j] + sr[j];
    } else {
      memcpy (yr, o, sizeof (float) * (size_t) s->ow);
    }
  }
}

/* Runs depthwise output planes [begin, end) of the flattened (image, channel) range. */
static void
conv_depthwise_planes (void *arg, size_t begin, size_t end, int thread)
{
  const conv_job *job = arg;
  const cnn_conv_geom *s = &job->plan->s;
  depthwise_layout l = depthwise_layout_of (s);
  int64_t mult = s->m / s->c, in_plane = s->h * s->w, out_plane = s->oh * s->ow;
  float *planes = (float *) (job->workspace + (size_t) thread * job->workspace_stride);
  float *out = planes + (size_t) l.phases * l.plane;
  int64_t split = -1;           /* input plane currently split */

  for (size_t plane = begin; plane < end; plane++) {
    int64_t img = (int64_t) plane / s->m, m = (int64_t) plane % s->m;
    int64_t c = img * s->c + m / mult;
    const float *sum = job->sum != NULL ? job->sum + plane * out_plane : NULL;
    float *y = job->y + plane * out_plane;

    /* With a channel multiplier, consecutive outputs share their input plane. */
    if (c != split) {
      depthwise_split (s, &l, job->x + c * in_plane, planes);
      split = c;
    }
    depthwise_taps (s, &l, planes, job->w + m * s->kh * s->kw,
        job->b != NULL ? job->b[m] : 0.0f, out);
    depthwise_store (s, &l, out, sum, y);
    if (job->act != CNN_ACTIVATION_NONE)
      cnn_activate_array (y, (size_t) out_plane, 0.0f, job->act, job->alpha, job->beta);
  }
}

/* ---- Hooks ------------------------------------------------------------------------------- */

static void
conv_run (cnn_graph *g, cnn_node *n, const cnn_exec *exec)
{
  const conv_plan *plan = n->packed;
  const cnn_value *b = cnn_node_input (g, n, 2);
  conv_job job = {
    .plan = plan,
    .x = g->values[n->inputs[0]].ptr,
    .w = g->values[n->inputs[1]].ptr,
    .b = b != NULL ? b->ptr : NULL,
    .sum = n->fused_sum >= 0 ? g->values[n->fused_sum].ptr : NULL,
    .y = cnn_node_output (g, n, 0)->ptr,
    .act = n->act,
    .alpha = n->act_alpha,
    .beta = n->act_beta,
    .workspace = exec->workspace,
    .workspace_stride = exec->workspace_stride,
  };

  if (plan->algo == CONV_DEPTHWISE || plan->algo == CONV_DEPTHWISE_3X3) {
    cnn_parallel_for (exec->pool, (size_t) (plan->s.n * plan->s.m), 1, conv_depthwise_planes,
        &job);
    return;
  }
  conv_split (&job, cnn_threadpool_threads (exec->pool));
  cnn_parallel_for (exec->pool,
      (size_t) (plan->s.n * plan->s.group * job.tiles * job.mblocks), 1, conv_gemm_items, &job);
}

static uint64_t
conv_macs (const cnn_graph *g, const cnn_node *n)
{
  const cnn_value *w = cnn_node_input (g, n, 1);
  const cnn_value *y = cnn_node_output (g, n, 0);
  uint64_t macs = 1;

  if (w == NULL || w->rank < 3 || y->rank != w->rank)
    return 0;
  /* M · C/group · taps per weight, times N · output positions. */
  for (int d = 0; d < w->rank; d++)
    macs *= (uint64_t) (w->dims[d] > 0 ? w->dims[d] : 0);
  macs *= (uint64_t) (y->dims[0] > 0 ? y->dims[0] : 0);
  for (int d = 2; d < y->rank; d++)
    macs *= (uint64_t) (y->dims[d] > 0 ? y->dims[d] : 0);
  return macs;
}

static bool
conv_window (const cnn_graph *g, const cnn_node *n, int64_t kernel[2], int64_t stride[2])
{
  const conv_params *p = n->params;
  const cnn_value *w = cnn_node_input (g, n, 1);
  int spatial = w != NULL && w->rank >= 3 ? (w->rank - 2 < 2 ? w->rank - 2 : 2) : 0;

  kernel[0] = kernel[1] = stride[0] = stride[1] = 1;
  for (int a = 0; a < spatial; a++) {
    int h_or_w = spatial == 2 ? a : 1;
    kernel[h_or_w] = (w->dims[2 + a] - 1) * p->win.dilation[a] + 1;
    stride[h_or_w] = p->win.stride[a];
  }
  return true;
}

const cnn_op_def cnn_op_conv = {
  .name = "Conv",
  .min_inputs = 2,
  .max_inputs = 3,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = conv_parse,
  .infer = conv_infer,
  .prepare = conv_prepare,
  .run = conv_run,
  .macs = conv_macs,
  .window = conv_window,
};
