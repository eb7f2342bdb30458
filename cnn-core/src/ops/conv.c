/* conv.c — Conv (opset 1–17), 1-D and 2-D, float32, with the bias, a fused residual sum and
 * a fused activation applied while each piece of output is still in cache. Also home of the
 * window geometry shared with the pooling ops (conv.h).
 *
 * prepare() picks one algorithm from the shapes:
 *   gemm-1x1       1×1 kernel, stride 1, no padding: Y[M, HW] = W[M, C] · X[C, HW] read
 *                  straight from the input, nothing copied.
 *   winograd-2x2   3×3 stride 1, group 1, constant weights, ≥ 16 channels in and out and a map
 *                  of at least 32 2×2 tiles (most of a ResNet): Winograd F(2×2, 3×3), 16 GEMMs
 *                  on transformed tiles, 2.25× fewer multiplications (see its section).
 *   im2col-gemm    any other conv with several input channels per group: the input patches
 *                  of a tile of output columns are gathered into a per-thread [K, tile] matrix
 *                  sized to stay in L2, then one GEMM per tile writes the output in place.
 *   depthwise      one input channel per group (any channel multiplier, also a plain conv of
 *                  a 1-channel input): a direct kernel, no GEMM. The input plane is split into
 *                  padded stride-phase planes so each tap is a flat offset and the output is
 *                  one vectorised pass per tap ("depthwise-3x3": all nine taps in one pass).
 * On AVX-512 CPUs the GEMMs run in cnn_gemm_fused (kernel-gemm.c: no packing of W, bias,
 * residual and activation on registers) instead of OpenBLAS, except Winograd's on maps
 * larger than 14×14 where OpenBLAS is faster, and depthwise convs with strides 1 or 2 read
 * their input in place through cnn_depthwise_direct (kernel-depthwise.c) instead of phase
 * planes. The portable paths stay for other CPUs and are tested on every CPU
 * (cnn_conv_set_portable).
 * GEMM work is split into (image, group, column tile, row block) items shared out among the
 * threads; each GEMM runs single-threaded inside its item. Except for Winograd, weights are
 * used in ONNX layout ([M, C/group·kH·kW] is already GEMM's row-major A), so nothing is packed
 * and weights that are not constants work the same way.
 */
#include "kernels/conv.h"
#include "blas.h"
#include "ops.h"

#include <limits.h>
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
/* Convs of fewer multiply-adds than this (a few microseconds) run on the calling thread. */
#define CONV_PARALLEL_MIN_MACS 262144
/* Output positions per image below which cnn_gemm_fused's 32-wide tiles waste too much. */
#define CONV_FUSED_MIN_COLS 16
/* Winograd scratch per thread, in floats (transformed input and output of one block). */
#define WINOGRAD_FLOATS 262144
/* Winograd pays for its transforms only when the GEMMs are big enough: at least this many
 * input and output channels (below, im2col's single GEMM is as fast). */
#define WINOGRAD_MIN_CHANNELS 16
/* ... and enough 2×2 tiles per image: on 7×7 maps the 16 small GEMMs lose to one big one
 * (with cnn_gemm_fused they run as fast as im2col's, but whole networks then stream 16/9 as
 * many weights from memory: 16 MiB per 512-channel conv). */
#define WINOGRAD_MIN_TILES 32
/* Up to 14×14 maps; on larger ones OpenBLAS runs the wider GEMMs faster (measured). */
#define WINOGRAD_FUSED_MAX_TILES 64
/* Fewer tiles per GEMM than this waste OpenBLAS's kernels. */
#define WINOGRAD_MIN_BLOCK 16

typedef enum {
  CONV_GEMM_1X1 = 0,
  CONV_IM2COL_GEMM,
  CONV_DEPTHWISE,
  CONV_DEPTHWISE_3X3,
  CONV_WINOGRAD,
} conv_algo;

static const char *const conv_algo_names[] = {
  [CONV_GEMM_1X1] = "gemm-1x1",
  [CONV_IM2COL_GEMM] = "im2col-gemm",
  [CONV_DEPTHWISE] = "depthwise",
  [CONV_DEPTHWISE_3X3] = "depthwise-3x3",
  [CONV_WINOGRAD] = "winograd-2x2",
};

typedef struct {
  cnn_window_attrs win;
  int64_t group;
} conv_params;

/* What prepare decided; lives in node->packed (one block with the Winograd weights). */
typedef struct {
  cnn_conv_geom s;
  conv_algo algo;
  int64_t tile;                 /* most output columns (Winograd: 2×2 tiles) per GEMM item */
  const float *u;               /* Winograd: transformed weights [16][M][C] */
  bool fused;                   /* GEMM algorithms: cnn_gemm_fused instead of OpenBLAS */
  bool direct;                  /* depthwise: cnn_depthwise_direct, no phase planes */
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
  bool fused;                   /* GEMM items use cnn_gemm_fused, not OpenBLAS */
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

/* Whether the GEMM algorithms use cnn_gemm_fused: it needs AVX-512, and rows of at least
 * CONV_FUSED_MIN_COLS output positions to fill its vectors (below, OpenBLAS's GEMV-like
 * path is better). */
static bool conv_portable;

void
cnn_conv_set_portable (bool portable)
{
  conv_portable = portable;
}

bool
cnn_conv_portable (void)
{
  return conv_portable;
}

static bool
conv_use_fused (const cnn_conv_geom *s)
{
  return !conv_portable && cnn_gemm_fused_available () && s->oh * s->ow >= CONV_FUSED_MIN_COLS;
}

static conv_algo
conv_choose (const cnn_conv_geom *s, bool weights_constant)
{
  if (s->c == s->group)
    return s->kh == 3 && s->kw == 3 ? CONV_DEPTHWISE_3X3 : CONV_DEPTHWISE;
  if (s->kh == 1 && s->kw == 1 && s->sh == 1 && s->sw == 1 && s->pt == 0 && s->pl == 0
      && s->pb == 0 && s->pr == 0)
    return CONV_GEMM_1X1;
  /* Winograd transforms the weights once, here, so they must be constants. */
  if (weights_constant && s->group == 1 && s->kh == 3 && s->kw == 3 && s->sh == 1
      && s->sw == 1 && s->dh == 1 && s->dw == 1 && s->c >= WINOGRAD_MIN_CHANNELS
      && s->m >= WINOGRAD_MIN_CHANNELS
      && ceil_div (s->oh, 2) * ceil_div (s->ow, 2) >= WINOGRAD_MIN_TILES)
    return CONV_WINOGRAD;
  return CONV_IM2COL_GEMM;
}

static size_t winograd_scratch (const cnn_conv_geom *s, int64_t tiles);
static void winograd_weights (const float *w, int64_t m, int64_t c, float *u);

static cnn_status
conv_prepare (cnn_graph *g, cnn_node *n, int threads, cnn_error *err)
{
  const cnn_value *weights = cnn_node_input (g, n, 1);
  cnn_conv_geom s;
  cnn_status status;

  if ((status = cnn_conv_geometry (g, n, &s, err)) != CNN_STATUS_OK
      || (status = conv_check_sum (g, n, err)) != CNN_STATUS_OK)
    return status;

  conv_algo algo = conv_choose (&s, weights->blob != NULL);
  int64_t k = s.c / s.group * s.kh * s.kw;
  int64_t mg = s.m / s.group;
  int64_t cols = s.oh * s.ow;
  /* BLAS takes int sizes and strides. */
  if (k > INT_MAX || s.m > INT_MAX || cols > INT_MAX || s.h * s.w > INT_MAX)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "a %lld-channel conv over %lld positions is too large", (long long) s.c,
        (long long) cols);
  /* The plan, then (Winograd) its transformed weights, 64-byte aligned for the GEMM. */
  size_t head = (sizeof (conv_plan) + 63) & ~(size_t) 63;
  size_t extra = algo == CONV_WINOGRAD ? sizeof (float) * 16 * (size_t) (s.m * s.c) : 0;
  conv_plan *plan = aligned_alloc (64, (head + extra + 63) & ~(size_t) 63);

  if (plan == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  memset (plan, 0, sizeof (*plan));
  plan->s = s;
  plan->algo = algo;
  switch (algo) {
    case CONV_GEMM_1X1:
      plan->fused = conv_use_fused (&s);
      /* No scratch: the tile only bounds how much output the epilogue finds in cache. */
      plan->tile = max64 (CONV_MIN_TILE, CONV_1X1_TILE_FLOATS / max64 (k, mg) / 16 * 16);
      n->workspace = 0;
      break;
    case CONV_IM2COL_GEMM:
      plan->fused = conv_use_fused (&s);
      plan->tile = min64 (cols, max64 (CONV_MIN_TILE, CONV_TILE_FLOATS / k / 16 * 16));
      n->workspace = (size_t) (k * plan->tile) * sizeof (float);
      break;
    case CONV_WINOGRAD: {
      float *u = (float *) ((char *) plan + head);
      int64_t tiles = ceil_div (s.oh, 2) * ceil_div (s.ow, 2);
      plan->fused = conv_use_fused (&s) && tiles <= WINOGRAD_FUSED_MAX_TILES;
      winograd_weights ((const float *) weights->blob->data, s.m, s.c, u);
      plan->u = u;
      plan->tile = min64 (tiles, max64 (2 * WINOGRAD_MIN_BLOCK,
              WINOGRAD_FLOATS / (16 * (s.c + s.m)) / 16 * 16));
      n->workspace = winograd_scratch (&s, plan->tile) * sizeof (float);
      break;
    }
    case CONV_DEPTHWISE_3X3:
    case CONV_DEPTHWISE:
      plan->tile = cols;
      plan->direct = !conv_portable && cnn_depthwise_direct_available (&s);
      n->workspace = plan->direct ? 0 : cnn_phase_scratch (&s) * sizeof (float);
      break;
  }
  n->packed = plan;
  return CNN_STATUS_OK;
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

/* dst[ow - ow0] = row[ow * stride + offset] for ow in [ow0, ow1), `pad` outside [lo, hi). */
static inline void
copy_row (float *restrict dst, const float *restrict row, int64_t ow0, int64_t ow1, int64_t lo,
    int64_t hi, int64_t stride, int64_t offset, float pad)
{
  int64_t a = min64 (max64 (lo, ow0), ow1), b = min64 (max64 (hi, a), ow1);

  for (int64_t ow = ow0; ow < a; ow++)
    dst[ow - ow0] = pad;
  if (stride == 1) {
    memcpy (dst + (a - ow0), row + a + offset, sizeof (float) * (size_t) (b - a));
  } else if (stride == 2) {
    /* A constant stride lets the compiler vectorise the gather (stems, downsampling). */
    for (int64_t ow = a; ow < b; ow++)
      dst[ow - ow0] = row[ow * 2 + offset];
  } else {
    for (int64_t ow = a; ow < b; ow++)
      dst[ow - ow0] = row[ow * stride + offset];
  }
  for (int64_t ow = b; ow < ow1; ow++)
    dst[ow - ow0] = pad;
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
            copy_row (dst, plane + ih * s->w, ow0, ow1, lo, hi, s->sw, offset, 0.0f);
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
  /* Only im2col has a workspace (the 1×1 GEMM's may be NULL). */
  float *col = job->plan->algo == CONV_IM2COL_GEMM
      ? (float *) (job->workspace + (size_t) thread * job->workspace_stride) : NULL;

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
    if (job->fused) {
      cnn_gemm_fused (nrows, ncols, k, job->w + m0 * k, k, bmat, ldb, y, cols,
          job->b != NULL ? job->b + m0 : NULL, job->sum != NULL ? job->sum + offset : NULL,
          job->act, job->alpha, job->beta);
      continue;
    }
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

/* Splits the GEMM work over `cols` output columns (Winograd: 2×2 tiles) for `threads`: whole
 * column tiles when the maps are large, and also
 * output-channel blocks when there are too few tiles to keep every thread busy (late layers
 * with 7×7 maps). Items of equal size in a multiple of `threads` balance best. */
static void
conv_split (conv_job *job, int64_t cols, int64_t min_tile, int threads)
{
  const cnn_conv_geom *s = &job->plan->s;
  int64_t mg = s->m / s->group, outer = s->n * s->group;

  job->tiles = ceil_div (cols, job->plan->tile);
  job->mblocks = 1;
  if (threads > 1 && outer * job->tiles < 4 * threads) {
    int64_t even = ceil_div (ceil_div (outer * job->tiles, threads) * threads, outer);
    if (cols / even >= min_tile || mg < 32)
      job->tiles = even;
    else
      job->mblocks = min64 (threads, mg / 16);
  }
  job->tile = ceil_div (cols, job->tiles);
  job->mrows = ceil_div (ceil_div (mg, job->mblocks), 16) * 16;
  job->mblocks = ceil_div (mg, job->mrows);
}

/* ---- Phase planes (shared with the pooling ops, see conv.h) ------------------------------ *
 *
 * One input plane is split into stride_h × stride_w padded "phase" planes,
 * P[a][b][r][c] = x[r·sh + a − pt][c·sw + b − pl], all Hq × Wq. Tap (ki, kj) of output
 * (oh, ow) is then P[phase][oh + shift_h][ow + shift_w]: with the row width Wq shared by every
 * phase plane, each tap is one flat offset, and the whole output (computed Wq wide, the
 * columns past OW discarded) is a single branch-free vectorised loop over oh·Wq + ow —
 * padding, stride and dilation cost nothing inside it, and small 7×7 maps vectorise as well
 * as big ones. For stride 1 the split is a padded copy.
 */

cnn_phase_layout
cnn_phase_layout_of (const cnn_conv_geom *s)
{
  cnn_phase_layout l;

  l.hq = s->oh + (s->kh - 1) * s->dh / s->sh;
  l.wq = s->ow + (s->kw - 1) * s->dw / s->sw;
  l.phases = s->sh * s->sw;
  /* The flat loop reads up to Wq − OW floats past the last row. */
  l.plane = (size_t) ((l.hq * l.wq + l.wq + 15) / 16 * 16);
  return l;
}

size_t
cnn_phase_scratch (const cnn_conv_geom *s)
{
  cnn_phase_layout l = cnn_phase_layout_of (s);
  return (size_t) l.phases * l.plane + (size_t) (s->oh * l.wq);
}

/* dst0[c] = row[2c + offset], dst1[c] = row[2c + 1 + offset], `pad` outside the row: one
 * stride-2 input row split into its two column phases. */
CNN_VECTORIZE static void
deinterleave_row (const float *row, int64_t w, int64_t offset, int64_t n, float pad,
    float *restrict dst0, float *restrict dst1)
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
    dst0[c] = i0 >= 0 && i0 < w ? row[i0] : pad;
    dst1[c] = i1 >= 0 && i1 < w ? row[i1] : pad;
  }
  const float *src = row + 2 * lo + offset;
  for (int64_t i = 0; i < hi - lo; i++) {
    dst0[lo + i] = src[2 * i];
    dst1[lo + i] = src[2 * i + 1];
  }
}

CNN_VECTORIZE void
cnn_phase_split (const cnn_conv_geom *s, const cnn_phase_layout *l, const float *x, float pad,
    float *planes)
{
  for (int64_t a = 0; a < s->sh; a++)
    for (int64_t r = 0; r < l->hq; r++) {
      int64_t ih = r * s->sh + a - s->pt;
      float *dst = planes + (size_t) (a * s->sw) * l->plane + (size_t) (r * l->wq);
      if (ih < 0 || ih >= s->h) {
        for (int64_t b = 0; b < s->sw; b++)
          for (int64_t j = 0; j < l->wq; j++)
            dst[(size_t) b * l->plane + (size_t) j] = pad;
        continue;
      }
      const float *row = x + ih * s->w;
      if (s->sw == 2) {
        deinterleave_row (row, s->w, -s->pl, l->wq, pad, dst, dst + l->plane);
        continue;
      }
      for (int64_t b = 0; b < s->sw; b++) {
        int64_t lo, hi, offset = b - s->pl;
        cnn_window_valid_range (offset, s->sw, s->w, l->wq, &lo, &hi);
        copy_row (dst + (size_t) b * l->plane, row, 0, l->wq, lo, hi, s->sw, offset, pad);
      }
    }
  /* The tail the flat loop may read past the last row. */
  for (int64_t p = 0; p < l->phases; p++)
    for (size_t i = (size_t) (l->hq * l->wq); i < l->plane; i++)
      planes[(size_t) p * l->plane + i] = pad;
}

const float *
cnn_phase_tap (const cnn_conv_geom *s, const cnn_phase_layout *l, const float *planes,
    int64_t ki, int64_t kj)
{
  int64_t rh = ki * s->dh, rw = kj * s->dw;
  int64_t phase = (rh % s->sh) * s->sw + rw % s->sw;
  return planes + (size_t) phase * l->plane + (size_t) (rh / s->sh * l->wq + rw / s->sw);
}

/* ---- Winograd F(2×2, 3×3) ---------------------------------------------------------------- *
 *
 * 3×3 stride-1 convs (most of a ResNet) computed on 2×2 output tiles from 4×4 input patches:
 * Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A. Per element of the 4×4 transformed domain (ξ) that is one
 * GEMM [M, C] · [C, tiles], so the multiplications drop from 36 to 16 per tile and channel
 * pair (2.25×) and OpenBLAS still does them. The weights are transformed at prepare
 * (U[ξ][M][C]); a block of tiles is transformed into V[ξ][C][T] per item, the 16 products land
 * in M[ξ][rows][T] and the output transform writes Y with bias, residual and activation.
 * The transforms only add and halve, so the result is as accurate as the direct sum.
 */

static inline size_t
round16 (int64_t n)
{
  return (size_t) ((n + 15) / 16 * 16);
}

/* U[ξ][m][c] = G g Gᵀ for every 3×3 filter g = w[m][c]. */
static void
winograd_weights (const float *w, int64_t m, int64_t c, float *u)
{
  for (int64_t mm = 0; mm < m; mm++)
    for (int64_t cc = 0; cc < c; cc++) {
      const float *g = w + (mm * c + cc) * 9;
      float t[4][3], v[4][4];
      for (int j = 0; j < 3; j++) {
        t[0][j] = g[j];
        t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
        t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
        t[3][j] = g[6 + j];
      }
      for (int i = 0; i < 4; i++) {
        v[i][0] = t[i][0];
        v[i][1] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
        v[i][2] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
        v[i][3] = t[i][2];
      }
      for (int xi = 0; xi < 16; xi++)
        u[((size_t) xi * (size_t) m + (size_t) mm) * (size_t) c + (size_t) cc] =
            v[xi / 4][xi % 4];
    }
}

/* Scratch of one item, in floats: V [16][C][T], M [16][rows][T], eight deinterleaved input
 * rows and two output rows. With `base`, also where each part starts. */
static size_t
winograd_layout (const cnn_conv_geom *s, int64_t tiles, float *base, float **v, float **mx,
    float **rows, float **out)
{
  int64_t tiles_w = ceil_div (s->ow, 2);
  size_t nv = round16 (16 * s->c * tiles), nm = 16 * round16 (s->m) * (size_t) tiles;
  size_t row = round16 (tiles_w + 1), nout = round16 (2 * tiles_w);

  if (base != NULL) {
    *v = base;
    *mx = *v + nv;
    *rows = *mx + nm;
    *out = *rows + 8 * row;
  }
  return nv + nm + 8 * row + 2 * nout;
}

static size_t
winograd_scratch (const cnn_conv_geom *s, int64_t tiles)
{
  return winograd_layout (s, tiles, NULL, NULL, NULL, NULL, NULL);
}

/* One row of Bᵀ d B for n tiles of one tile row and one channel. The row of Bᵀ d is
 * r = row a + sign · row b of the 4×4 patches (rows 0 − 2, 1 + 2, 2 − 1 or 1 − 3); the
 * patch columns of tile k are ea[k], oa[k], ea[k + 1], oa[k + 1] (even and odd input
 * columns, see deinterleave_row). Each pointer is a parameter so that `restrict` tells the
 * compiler the four output rows and the inputs never overlap: the loop then vectorises
 * across tiles. */
CNN_VECTORIZE static void
winograd_input_quad (const float *restrict ea, const float *restrict oa,
    const float *restrict eb, const float *restrict ob, float sign, int64_t n,
    float *restrict v0, float *restrict v1, float *restrict v2, float *restrict v3)
{
  for (int64_t k = 0; k < n; k++) {
    float r0 = ea[k] + sign * eb[k], r1 = oa[k] + sign * ob[k];
    float r2 = ea[k + 1] + sign * eb[k + 1], r3 = oa[k + 1] + sign * ob[k + 1];
    v0[k] = r0 - r2;
    v1[k] = r1 + r2;
    v2[k] = r2 - r1;
    v3[k] = r1 - r3;
  }
}

/* Bᵀ d B for tiles [tw0, tw1) of one tile row and one channel: e[i] and o[i] are the even
 * and odd columns of patch row i. Element ξ of tile k goes to v[ξ · xi + k]. */
static void
winograd_input_row (const float *const e[4], const float *const o[4], int64_t tw0, int64_t tw1,
    float *v, size_t xi)
{
  /* Rows of Bᵀ d: (a, b, sign) for d_a + sign · d_b. */
  static const int rows[4][2] = { { 0, 2 }, { 1, 2 }, { 2, 1 }, { 1, 3 } };
  static const float signs[4] = { -1.0f, 1.0f, -1.0f, -1.0f };

  for (int i = 0; i < 4; i++) {
    float *vi = v + (size_t) (4 * i) * xi;
    int a = rows[i][0], b = rows[i][1];
    winograd_input_quad (e[a] + tw0, o[a] + tw0, e[b] + tw0, o[b] + tw0, signs[i],
        tw1 - tw0, vi, vi + xi, vi + 2 * xi, vi + 3 * xi);
  }
}

/* V[ξ][c][k] (row stride ld) for tiles [t0, t0 + nt) of image x. */
static void
winograd_input (const cnn_conv_geom *s, const float *x, int64_t t0, int64_t nt, int64_t ld,
    float *v, float *rows)
{
  int64_t tiles_w = ceil_div (s->ow, 2);
  size_t row = round16 (tiles_w + 1), xi = (size_t) (s->c * ld);

  for (int64_t c = 0; c < s->c; c++) {
    const float *plane = x + c * s->h * s->w;
    for (int64_t t = t0; t < t0 + nt;) {
      int64_t th = t / tiles_w, tw0 = t % tiles_w;
      int64_t tw1 = min64 (tiles_w, tw0 + (t0 + nt - t));
      const float *e[4], *o[4];
      for (int i = 0; i < 4; i++) {
        float *er = rows + (size_t) (2 * i) * row, *orow = er + row;
        int64_t ih = 2 * th - s->pt + i;
        if (ih < 0 || ih >= s->h) {
          memset (er, 0, sizeof (float) * 2 * row);
        } else {
          deinterleave_row (plane + ih * s->w, s->w, -s->pl, tiles_w + 1, 0.0f, er, orow);
        }
        e[i] = er;
        o[i] = orow;
      }
      winograd_input_row (e, o, tw0, tw1, v + c * ld + (t - t0), xi);
      t += tw1 - tw0;
    }
  }
}

/* Aᵀ m A for n tiles of one output channel: the tiles' two output rows, interleaved into y0
 * and y1. Element ξ of tile k is m[ξ · xi + k]. */
CNN_VECTORIZE static void
winograd_output_row (const float *m, size_t xi, int64_t n, float *restrict y0,
    float *restrict y1)
{
  const float *q0 = m, *q1 = m + xi, *q2 = m + 2 * xi, *q3 = m + 3 * xi, *q4 = m + 4 * xi;
  const float *q5 = m + 5 * xi, *q6 = m + 6 * xi, *q7 = m + 7 * xi, *q8 = m + 8 * xi;
  const float *q9 = m + 9 * xi, *q10 = m + 10 * xi, *q11 = m + 11 * xi;
  const float *q12 = m + 12 * xi, *q13 = m + 13 * xi, *q14 = m + 14 * xi;
  const float *q15 = m + 15 * xi;

  for (int64_t k = 0; k < n; k++) {
    /* Aᵀ q: rows (q0 + q1 + q2, q1 − q2 − q3) of the 4×4 tile, column by column. */
    float t00 = q0[k] + q4[k] + q8[k], t01 = q1[k] + q5[k] + q9[k];
    float t02 = q2[k] + q6[k] + q10[k], t03 = q3[k] + q7[k] + q11[k];
    float t10 = q4[k] - q8[k] - q12[k], t11 = q5[k] - q9[k] - q13[k];
    float t12 = q6[k] - q10[k] - q14[k], t13 = q7[k] - q11[k] - q15[k];
    /* (Aᵀ q) A, interleaved into the two output rows. */
    y0[2 * k] = t00 + t01 + t02;
    y0[2 * k + 1] = t01 - t02 - t03;
    y1[2 * k] = t10 + t11 + t12;
    y1[2 * k + 1] = t11 - t12 - t13;
  }
}

/* dst = act(src + bias + sum) for one output row segment (sum may be NULL or dst itself):
 * one pass, vectorised for the activations networks fuse. */
CNN_VECTORIZE static void
winograd_store_row (float *dst, const float *restrict src, const float *sum, int64_t len,
    float bias, cnn_activation act, float alpha, float beta)
{
  float lo = act == CNN_ACTIVATION_CLIP ? alpha : 0.0f;
  float hi = act == CNN_ACTIVATION_CLIP ? beta : 6.0f;

  switch (act) {
    case CNN_ACTIVATION_NONE:
      if (sum != NULL)
        for (int64_t j = 0; j < len; j++)
          dst[j] = src[j] + bias + sum[j];
      else
        for (int64_t j = 0; j < len; j++)
          dst[j] = src[j] + bias;
      return;
    case CNN_ACTIVATION_RELU:
      if (sum != NULL)
        for (int64_t j = 0; j < len; j++) {
          float v = src[j] + bias + sum[j];
          dst[j] = v > 0.0f ? v : 0.0f;
        }
      else
        for (int64_t j = 0; j < len; j++) {
          float v = src[j] + bias;
          dst[j] = v > 0.0f ? v : 0.0f;
        }
      return;
    case CNN_ACTIVATION_RELU6:
    case CNN_ACTIVATION_CLIP:
      for (int64_t j = 0; j < len; j++) {
        float v = src[j] + bias + (sum != NULL ? sum[j] : 0.0f);
        dst[j] = v < lo ? lo : (v > hi ? hi : v);
      }
      return;
    default:
      for (int64_t j = 0; j < len; j++)
        dst[j] = cnn_activate (src[j] + bias + (sum != NULL ? sum[j] : 0.0f), act, alpha,
            beta);
      return;
  }
}

/* Runs Winograd items: tiles [t0, t0 + nt) of one image for output channels
 * [m0, m0 + nrows). */
static void
conv_winograd_items (void *arg, size_t begin, size_t end, int thread)
{
  const conv_job *job = arg;
  const cnn_conv_geom *s = &job->plan->s;
  int64_t tiles_w = ceil_div (s->ow, 2), tiles = ceil_div (s->oh, 2) * tiles_w;
  int64_t ld = job->tile, out_plane = s->oh * s->ow;
  float *base = (float *) (job->workspace + (size_t) thread * job->workspace_stride);
  float *v = NULL, *mx = NULL, *rows = NULL, *out = NULL;

  winograd_layout (s, job->plan->tile, base, &v, &mx, &rows, &out);
  size_t out_row = round16 (2 * tiles_w), mxi = (size_t) (job->mrows * ld);
  for (size_t item = begin; item < end; item++) {
    int64_t rest = (int64_t) item;
    int64_t mb = rest % job->mblocks;
    rest /= job->mblocks;
    int64_t t0 = rest % job->tiles * job->tile, img = rest / job->tiles;
    int64_t nt = min64 (job->tile, tiles - t0);
    int64_t m0 = mb * job->mrows, nrows = min64 (job->mrows, s->m - m0);
    if (nt <= 0 || nrows <= 0)
      continue;

    winograd_input (s, job->x + img * s->c * s->h * s->w, t0, nt, ld, v, rows);
    for (int xi = 0; xi < 16; xi++) {
      const float *u = job->plan->u + ((size_t) xi * (size_t) s->m + (size_t) m0)
          * (size_t) s->c;
      const float *vx = v + (size_t) xi * (size_t) (s->c * ld);
      float *mxx = mx + (size_t) xi * mxi;
      if (job->plan->fused)
        cnn_gemm_fused (nrows, nt, s->c, u, s->c, vx, ld, mxx, ld, NULL, NULL,
            CNN_ACTIVATION_NONE, 0.0f, 0.0f);
      else
        cnn_sgemm (false, false, (int) nrows, (int) nt, (int) s->c, 1.0f, u, (int) s->c, vx,
            (int) ld, 0.0f, mxx, (int) ld);
    }

    for (int64_t r = 0; r < nrows; r++) {
      int64_t m = m0 + r;
      float bias = job->b != NULL ? job->b[m] : 0.0f;
      for (int64_t t = t0; t < t0 + nt;) {
        int64_t th = t / tiles_w, tw0 = t % tiles_w;
        int64_t tw1 = min64 (tiles_w, tw0 + (t0 + nt - t));
        winograd_output_row (mx + (size_t) (r * ld + (t - t0)), mxi, tw1 - tw0, out,
            out + out_row);
        /* The last tile row or column may stick out of an odd-sized output. */
        int64_t col0 = 2 * tw0, len = min64 (2 * tw1, s->ow) - col0;
        for (int64_t rr = 0; rr < 2 && 2 * th + rr < s->oh; rr++) {
          int64_t offset = (img * s->m + m) * out_plane + (2 * th + rr) * s->ow + col0;
          winograd_store_row (job->y + offset, out + (size_t) rr * out_row,
              job->sum != NULL ? job->sum + offset : NULL, len, bias, job->act, job->alpha,
              job->beta);
        }
        t += tw1 - tw0;
      }
    }
  }
}

/* ---- Depthwise kernels ------------------------------------------------------------------- */

/* Taps of one kernel row handled per pass over the output. */
#define DEPTHWISE_GROUP 7

/* out[p] (or bias, on the first pass) + Σ_j w[j] · t[j][p]. */
static inline void
depthwise_pass (float *restrict out, const float *const *t, const float *w, int64_t taps,
    int64_t n, float bias, bool first)
{
  for (int64_t p = 0; p < n; p++) {
    float acc = first ? bias : out[p];
    for (int64_t j = 0; j < taps; j++)
      acc += w[j] * t[j][p];
    out[p] = acc;
  }
}

/* out[p] = bias + Σ taps, p over the Wq-wide output. Nine taps unrolled for 3×3. */
CNN_VECTORIZE static void
depthwise_taps (const cnn_conv_geom *s, const cnn_phase_layout *l, const float *planes,
    const float *w, float bias, float *restrict out)
{
  int64_t n = s->oh * l->wq;

  if (s->kh == 3 && s->kw == 3) {
    const float *restrict t0 = cnn_phase_tap (s, l, planes, 0, 0);
    const float *restrict t1 = cnn_phase_tap (s, l, planes, 0, 1);
    const float *restrict t2 = cnn_phase_tap (s, l, planes, 0, 2);
    const float *restrict t3 = cnn_phase_tap (s, l, planes, 1, 0);
    const float *restrict t4 = cnn_phase_tap (s, l, planes, 1, 1);
    const float *restrict t5 = cnn_phase_tap (s, l, planes, 1, 2);
    const float *restrict t6 = cnn_phase_tap (s, l, planes, 2, 0);
    const float *restrict t7 = cnn_phase_tap (s, l, planes, 2, 1);
    const float *restrict t8 = cnn_phase_tap (s, l, planes, 2, 2);
    const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5];
    const float w6 = w[6], w7 = w[7], w8 = w[8];
    for (int64_t p = 0; p < n; p++)
      out[p] = bias + w0 * t0[p] + w1 * t1[p] + w2 * t2[p] + w3 * t3[p] + w4 * t4[p]
          + w5 * t5[p] + w6 * t6[p] + w7 * t7[p] + w8 * t8[p];
    return;
  }
  /* Other kernels: one pass per group of up to DEPTHWISE_GROUP taps of a kernel row. */
  bool first = true;
  for (int64_t ki = 0; ki < s->kh; ki++)
    for (int64_t kj = 0; kj < s->kw; kj += DEPTHWISE_GROUP) {
      const float *t[DEPTHWISE_GROUP];
      int64_t taps = min64 (DEPTHWISE_GROUP, s->kw - kj);
      for (int64_t j = 0; j < taps; j++)
        t[j] = cnn_phase_tap (s, l, planes, ki, kj + j);
      const float *wk = w + ki * s->kw + kj;
      /* Constant tap counts let each call unroll and vectorise like the 3×3 loop. */
      switch (taps) {
        case 1: depthwise_pass (out, t, wk, 1, n, bias, first); break;
        case 2: depthwise_pass (out, t, wk, 2, n, bias, first); break;
        case 3: depthwise_pass (out, t, wk, 3, n, bias, first); break;
        case 4: depthwise_pass (out, t, wk, 4, n, bias, first); break;
        case 5: depthwise_pass (out, t, wk, 5, n, bias, first); break;
        case 6: depthwise_pass (out, t, wk, 6, n, bias, first); break;
        default: depthwise_pass (out, t, wk, 7, n, bias, first); break;
      }
      first = false;
    }
}

/* y = out without the columns past OW, plus the residual (which may share y's buffer). */
CNN_VECTORIZE static void
depthwise_store (const cnn_conv_geom *s, const cnn_phase_layout *l, const float *out,
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
  cnn_phase_layout l = cnn_phase_layout_of (s);
  int64_t mult = s->m / s->c, in_plane = s->h * s->w, out_plane = s->oh * s->ow;
  int64_t split = -1;           /* input plane currently split */

  /* No workspace: it may be NULL. */
  if (job->plan->direct) {
    for (size_t plane = begin; plane < end; plane++) {
      int64_t img = (int64_t) plane / s->m, m = (int64_t) plane % s->m;
      int64_t c = img * s->c + m / mult;
      cnn_depthwise_direct (s, job->x + c * in_plane, job->w + m * s->kh * s->kw,
          job->b != NULL ? job->b[m] : 0.0f,
          job->sum != NULL ? job->sum + plane * out_plane : NULL,
          job->y + plane * out_plane, job->act, job->alpha, job->beta);
    }
    return;
  }
  float *planes = (float *) (job->workspace + (size_t) thread * job->workspace_stride);
  float *out = planes + (size_t) l.phases * l.plane;
  for (size_t plane = begin; plane < end; plane++) {
    int64_t img = (int64_t) plane / s->m, m = (int64_t) plane % s->m;
    int64_t c = img * s->c + m / mult;
    const float *sum = job->sum != NULL ? job->sum + plane * out_plane : NULL;
    float *y = job->y + plane * out_plane;

    /* With a channel multiplier, consecutive outputs share their input plane. */
    if (c != split) {
      cnn_phase_split (s, &l, job->x + c * in_plane, 0.0f, planes);
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
  /* Layers this small (the 1×1 convs of squeeze-excitation blocks) cost less than waking
   * the other threads: run them on this one. */
  const cnn_conv_geom *s = &plan->s;
  uint64_t macs = (uint64_t) (s->n * s->m * (s->c / s->group) * s->kh * s->kw * s->oh * s->ow);
  cnn_threadpool *pool = macs >= CONV_PARALLEL_MIN_MACS ? exec->pool : NULL;

  if (plan->algo == CONV_DEPTHWISE || plan->algo == CONV_DEPTHWISE_3X3) {
    cnn_parallel_for (pool, (size_t) (s->n * s->m), 1, conv_depthwise_planes, &job);
    return;
  }
  if (plan->algo == CONV_WINOGRAD) {
    conv_split (&job, ceil_div (s->oh, 2) * ceil_div (s->ow, 2), WINOGRAD_MIN_BLOCK,
        cnn_threadpool_threads (pool));
    cnn_parallel_for (pool, (size_t) (s->n * job.tiles * job.mblocks), 1, conv_winograd_items,
        &job);
    return;
  }
  job.fused = plan->fused;
  conv_split (&job, s->oh * s->ow, CONV_MIN_TILE, cnn_threadpool_threads (pool));
  cnn_parallel_for (pool, (size_t) (s->n * s->group * job.tiles * job.mblocks), 1,
      conv_gemm_items, &job);
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
