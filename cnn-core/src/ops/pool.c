/* pool.c — MaxPool and AveragePool (1-D and 2-D windows), GlobalAveragePool,
 * GlobalMaxPool, ReduceMean, ReduceSum and ReduceMax. Float32.
 *
 * The pools share Conv's window attributes and geometry (window.h) and its depthwise
 * machinery: each input plane is split into padded stride-phase planes (padding is −∞ for
 * max, 0 for average), so every tap is a flat offset and each tap is one branch-free
 * vectorised pass over the output (kernels/depthwise.c). Averages are then scaled by per-row
 * and per-column reciprocal tap counts computed at prepare. On AVX-512 CPUs max pools with
 * strides 1 or 2 read their input in place (cnn_max_pool_direct) instead. Planes (image,
 * channel) are shared out among the threads.
 *
 * Global pools and reductions are one machine: prepare() reduces the reduced axes to
 * (outer, count, inner) when they are contiguous — the common case, e.g. axes [2, 3] on NCHW
 * is `count` = H·W contiguous floats per output — and otherwise walks the input once with an
 * odometer (any axes, any rank).
 */
#include "conv.h"
#include "ops.h"
#include "window.h"

#include "kernels/depthwise.h"
#include "kernels/vectorize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Outputs of taps a thread should at least get before the planes are split. */
#define POOL_GRAIN 16384
/* Elements a thread should at least get before a reduction is split. */
#define REDUCE_GRAIN 16384

/* An optional output we do not compute (MaxPool's Indices) is fine as long as nothing reads
 * it. */
static bool
output_used (const cnn_graph *g, const cnn_node *n, int i)
{
  if (i >= n->n_outputs || n->outputs[i] < 0)
    return false;
  const cnn_value *v = &g->values[n->outputs[i]];
  return v->name[0] != '\0' && (v->consumers > 0 || v->is_output);
}

/* ---- MaxPool / AveragePool --------------------------------------------------------------- */

typedef struct {
  cnn_window_attrs win;
  bool average;
  bool count_include_pad;
} pool_params;

static cnn_status
pool_parse (cnn_graph *g, cnn_node *n, bool average, cnn_error *err)
{
  pool_params *p = calloc (1, sizeof (*p));
  cnn_status status;

  if (p == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  if ((status = cnn_window_parse (g, n, true, &p->win, err)) != CNN_STATUS_OK)
    goto error;
  if (p->win.kernel[0] == 0) {
    status = cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "attribute 'kernel_shape' is required");
    goto error;
  }
  p->average = average;
  if (average) {
    int64_t include = cnn_node_attr_int (n, "count_include_pad", 0);
    if (include != 0 && include != 1) {
      status = cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "count_include_pad must be 0 or 1, got %lld", (long long) include);
      goto error;
    }
    p->count_include_pad = include == 1;
  }
  /* storage_order only concerns the Indices output, which we refuse when it is used. */
  n->params = p;
  return CNN_STATUS_OK;

error:
  free (p);
  return status;
}

static cnn_status
max_pool_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return pool_parse (g, n, false, err);
}

static cnn_status
average_pool_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return pool_parse (g, n, true, err);
}

static cnn_status
pool_geometry (const cnn_graph *g, const cnn_node *n, cnn_conv_geom *s, cnn_error *err)
{
  const pool_params *p = n->params;
  const cnn_value *x = cnn_node_input (g, n, 0);

  if (x == NULL || x->rank < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "input shape is unknown");
  if (x->dtype != CNN_DTYPE_FLOAT32)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "input type %s is not supported (float32 is)", cnn_dtype_string (x->dtype));
  return cnn_window_geometry (g, n, &p->win, x, p->win.kernel, s, err);
}

static cnn_status
pool_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_conv_geom s;
  cnn_status status;

  if ((status = pool_geometry (g, n, &s, err)) != CNN_STATUS_OK)
    return status;
  if (output_used (g, n, 1))
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "the Indices output is not supported");
  int64_t dims[4] = { s.n, s.c, s.oh, s.ow };
  if (x->rank == 3)
    dims[2] = s.ow;
  cnn_value_set_shape (cnn_node_output (g, n, 0), CNN_DTYPE_FLOAT32, x->rank, dims);
  /* An unread Indices output still needs a size for the memory planner. */
  if (n->n_outputs > 1 && n->outputs[1] >= 0)
    cnn_value_set_shape (cnn_node_output (g, n, 1), CNN_DTYPE_INT64, x->rank, dims);
  return CNN_STATUS_OK;
}

/* What prepare worked out; lives in node->packed, followed by the scale arrays. */
typedef struct {
  cnn_conv_geom s;
  cnn_phase_layout l;
  bool average;
  bool direct;                  /* MaxPool: cnn_max_pool_direct, no phase planes */
  float *row_scale, *col_scale; /* AveragePool: 1 / taps counted per output row, column */
} pool_plan;

/* Taps t in [0, taps) whose position start + t · dilation lies in [lo, hi). */
static inline int64_t
taps_inside (int64_t start, int64_t taps, int64_t dilation, int64_t lo, int64_t hi)
{
  int64_t first = start >= lo ? 0 : (lo - start + dilation - 1) / dilation;
  int64_t last = hi - 1 - start < 0 ? -1 : cnn_min64 (taps - 1, (hi - 1 - start) / dilation);
  return cnn_max64 (0, last - first + 1);
}

/* 1 / the taps an average counts along one axis: those inside the input, or inside input
 * plus padding. A window that ceil_mode let run past the end padding counts only up to it
 * (like ONNX Runtime). The divisor of output (oh, ow) is the product of both axes'. */
static void
pool_scales (int64_t out, int64_t in, int64_t taps, int64_t stride, int64_t dilation,
    int64_t pad_begin, int64_t pad_end, bool include_pad, float *scale)
{
  int64_t lo = include_pad ? -pad_begin : 0, hi = in + (include_pad ? pad_end : 0);

  for (int64_t o = 0; o < out; o++) {
    int64_t count = taps_inside (o * stride - pad_begin, taps, dilation, lo, hi);
    scale[o] = count > 0 ? 1.0f / (float) count : 0.0f;
  }
}

static cnn_status
pool_prepare (cnn_graph *g, cnn_node *n, int threads, cnn_error *err)
{
  const pool_params *p = n->params;
  cnn_conv_geom s;
  cnn_status status;

  if ((status = pool_geometry (g, n, &s, err)) != CNN_STATUS_OK)
    return status;
  pool_plan *plan = malloc (sizeof (*plan) + sizeof (float) * (size_t) (s.oh + s.ow));
  if (plan == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  plan->s = s;
  plan->l = cnn_phase_layout_of (&s);
  plan->average = p->average;
  plan->direct = !p->average && !cnn_conv_portable () && cnn_depthwise_direct_available (&s);
  plan->row_scale = (float *) (plan + 1);
  plan->col_scale = plan->row_scale + s.oh;
  pool_scales (s.oh, s.h, s.kh, s.sh, s.dh, s.pt, s.pb, p->count_include_pad, plan->row_scale);
  pool_scales (s.ow, s.w, s.kw, s.sw, s.dw, s.pl, s.pr, p->count_include_pad, plan->col_scale);
  n->packed = plan;
  n->workspace = plan->direct ? 0 : cnn_phase_scratch (&s) * sizeof (float);
  return CNN_STATUS_OK;
}

typedef struct {
  const pool_plan *plan;
  const float *x;
  float *y;
  char *workspace;
  size_t workspace_stride;
} pool_job;

static void
pool_planes (void *arg, size_t begin, size_t end, int thread)
{
  const pool_job *job = arg;
  const pool_plan *plan = job->plan;
  const cnn_conv_geom *s = &plan->s;

  /* No workspace: it may be NULL. */
  if (plan->direct) {
    for (size_t plane = begin; plane < end; plane++)
      cnn_max_pool_direct (s, job->x + plane * (size_t) (s->h * s->w),
          job->y + plane * (size_t) (s->oh * s->ow));
    return;
  }
  float *scratch = (float *) (job->workspace + (size_t) thread * job->workspace_stride);
  for (size_t plane = begin; plane < end; plane++)
    cnn_pool_phase (s, &plan->l, job->x + plane * (size_t) (s->h * s->w), plan->average,
        plan->row_scale, plan->col_scale, job->y + plane * (size_t) (s->oh * s->ow), scratch);
}

static void
pool_run (cnn_graph *g, cnn_node *n, const cnn_exec *exec)
{
  const pool_plan *plan = n->packed;
  const cnn_conv_geom *s = &plan->s;
  pool_job job = {
    .plan = plan,
    .x = g->values[n->inputs[0]].ptr,
    .y = cnn_node_output (g, n, 0)->ptr,
    .workspace = exec->workspace,
    .workspace_stride = exec->workspace_stride,
  };
  size_t plane = (size_t) (s->oh * s->ow * s->kh * s->kw);

  cnn_parallel_for (exec->pool, (size_t) (s->n * s->c),
      plane >= POOL_GRAIN ? 1 : POOL_GRAIN / plane, pool_planes, &job);
}

static uint64_t
pool_macs (const cnn_graph *g, const cnn_node *n)
{
  const pool_params *p = n->params;
  uint64_t elements;

  /* One operation per tap of every output. */
  if (!cnn_value_elements (cnn_node_output (g, n, 0), &elements))
    return 0;
  return elements * (uint64_t) p->win.kernel[0]
      * (uint64_t) (p->win.spatial == 2 ? p->win.kernel[1] : 1);
}

static bool
pool_window (const cnn_graph *g, const cnn_node *n, int64_t kernel[2], int64_t stride[2])
{
  const pool_params *p = n->params;

  cnn_window_span (&p->win, p->win.spatial, p->win.kernel, kernel, stride);
  return true;
}

const cnn_op_def cnn_op_max_pool = {
  .name = "MaxPool",
  .min_inputs = 1,
  .max_inputs = 1,
  .min_outputs = 1,
  .max_outputs = 2,
  .parse = max_pool_parse,
  .infer = pool_infer,
  .prepare = pool_prepare,
  .run = pool_run,
  .macs = pool_macs,
  .window = pool_window,
};

const cnn_op_def cnn_op_average_pool = {
  .name = "AveragePool",
  .min_inputs = 1,
  .max_inputs = 1,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = average_pool_parse,
  .infer = pool_infer,
  .prepare = pool_prepare,
  .run = pool_run,
  .macs = pool_macs,
  .window = pool_window,
};

/* ---- Reductions: global pools and Reduce* ------------------------------------------------ */

typedef enum {
  REDUCE_SUM,
  REDUCE_MEAN,
  REDUCE_MAX,
} reduce_kind;

typedef struct {
  reduce_kind kind;
  bool global;                  /* Global*Pool: every axis from 2 on, kept */
  bool keepdims;
  bool noop_with_empty_axes;
  int n_axes;                   /* from the attribute; -1 when absent */
  int64_t axes[CNN_MAX_RANK];
} reduce_params;

/* What prepare worked out; lives in node->packed. */
typedef struct {
  bool copy;                    /* nothing is reduced: the output is the input */
  bool contiguous;              /* reduced axes are one block: (outer, count, inner) */
  int64_t outer, count, inner;
  int rank;                     /* for the general walk */
  int64_t dims[CNN_MAX_RANK];
  bool reduced[CNN_MAX_RANK];
  int64_t per_output;           /* input elements behind each output, for the mean */
} reduce_plan;

static cnn_status
reduce_parse_kind (cnn_graph *g, cnn_node *n, reduce_kind kind, bool global, cnn_error *err)
{
  reduce_params *p = calloc (1, sizeof (*p));
  const cnn_attr *axes = cnn_node_attr (n, "axes");
  cnn_status status;

  if (p == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  p->kind = kind;
  p->global = global;
  p->keepdims = global || cnn_node_attr_int (n, "keepdims", 1) != 0;
  p->noop_with_empty_axes = cnn_node_attr_int (n, "noop_with_empty_axes", 0) != 0;
  p->n_axes = -1;
  if (!global && axes != NULL) {
    if (axes->type != CNN_ATTR_INTS || axes->count > CNN_MAX_RANK) {
      status = cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "attribute 'axes' must be a list of at most %d integers", CNN_MAX_RANK);
      goto error;
    }
    if (n->n_inputs > 1 && n->inputs[1] >= 0) {
      status = cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "axes are given both as an attribute and as an input");
      goto error;
    }
    p->n_axes = (int) axes->count;
    for (size_t i = 0; i < axes->count; i++)
      p->axes[i] = axes->ints[i];
  }
  n->params = p;
  return CNN_STATUS_OK;

error:
  free (p);
  return status;
}

static cnn_status
reduce_mean_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return reduce_parse_kind (g, n, REDUCE_MEAN, false, err);
}

static cnn_status
reduce_sum_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return reduce_parse_kind (g, n, REDUCE_SUM, false, err);
}

static cnn_status
reduce_max_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return reduce_parse_kind (g, n, REDUCE_MAX, false, err);
}

static cnn_status
global_average_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return reduce_parse_kind (g, n, REDUCE_MEAN, true, err);
}

static cnn_status
global_max_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return reduce_parse_kind (g, n, REDUCE_MAX, true, err);
}

/* Which axes of x are reduced. *copy is set when none are (noop_with_empty_axes). Axes come
 * from the attribute, or from the second input (ReduceSum 13+, all Reduce* 18+), which must
 * then be a constant. */
static cnn_status
reduce_axes (const cnn_graph *g, const cnn_node *n, const cnn_value *x, bool reduced[],
    bool *copy, cnn_error *err)
{
  const reduce_params *p = n->params;
  const cnn_value *axes_in = cnn_node_input (g, n, 1);
  const int64_t *axes = p->axes;
  int64_t count = p->n_axes;

  *copy = false;
  for (int d = 0; d < CNN_MAX_RANK; d++)
    reduced[d] = p->global ? d >= 2 : false;
  if (p->global) {
    if (x->rank < 3)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "input '%s' has rank %d, expected [N, C, spatial...]", x->name, x->rank);
    return CNN_STATUS_OK;
  }

  if (axes_in != NULL) {
    uint64_t elements;
    if (axes_in->blob == NULL)
      return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
          "axes input '%s' must be a constant", axes_in->name);
    if (axes_in->dtype != CNN_DTYPE_INT64 || axes_in->rank > 1
        || !cnn_value_elements (axes_in, &elements) || elements > CNN_MAX_RANK)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "axes input '%s' must be a 1-D int64 tensor of at most %d values", axes_in->name,
          CNN_MAX_RANK);
    axes = (const int64_t *) axes_in->blob->data;
    count = (int64_t) elements;
  }

  if (count <= 0) {
    /* No axes: all of them, unless noop_with_empty_axes asks for none. */
    *copy = p->noop_with_empty_axes;
    for (int d = 0; d < x->rank; d++)
      reduced[d] = !*copy;
    return CNN_STATUS_OK;
  }
  for (int64_t i = 0; i < count; i++) {
    int64_t a = axes[i] < 0 ? axes[i] + x->rank : axes[i];
    if (a < 0 || a >= x->rank || reduced[a])
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "axis %lld is out of range or repeated for input '%s' of rank %d",
          (long long) axes[i], x->name, x->rank);
    reduced[a] = true;
  }
  return CNN_STATUS_OK;
}

static cnn_status
reduce_check_input (const cnn_graph *g, const cnn_node *n, const cnn_value *x, cnn_error *err)
{
  char dims[160];

  if (x == NULL || x->rank < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "input shape is unknown");
  if (x->dtype != CNN_DTYPE_FLOAT32)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "input type %s is not supported (float32 is)", cnn_dtype_string (x->dtype));
  cnn_format_dims (dims, sizeof (dims), x->rank, x->dims);
  for (int d = 0; d < x->rank; d++)
    if (x->dims[d] < 1)
      return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
          "input '%s' %s must have known, non-zero dims", x->name, dims);
  return CNN_STATUS_OK;
}

static cnn_status
reduce_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const reduce_params *p = n->params;
  const cnn_value *x = cnn_node_input (g, n, 0);
  bool reduced[CNN_MAX_RANK], copy;
  int64_t dims[CNN_MAX_RANK];
  int rank = 0;
  cnn_status status;

  if ((status = reduce_check_input (g, n, x, err)) != CNN_STATUS_OK
      || (status = reduce_axes (g, n, x, reduced, &copy, err)) != CNN_STATUS_OK)
    return status;
  for (int d = 0; d < x->rank; d++) {
    if (!reduced[d])
      dims[rank++] = x->dims[d];
    else if (p->keepdims)
      dims[rank++] = 1;
  }
  cnn_value_set_shape (cnn_node_output (g, n, 0), CNN_DTYPE_FLOAT32, rank, dims);
  return CNN_STATUS_OK;
}

static cnn_status
reduce_prepare (cnn_graph *g, cnn_node *n, int threads, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  reduce_plan *plan = calloc (1, sizeof (*plan));
  int first = -1, last = -1;
  cnn_status status;

  if (plan == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  if ((status = reduce_axes (g, n, x, plan->reduced, &plan->copy, err)) != CNN_STATUS_OK) {
    free (plan);
    return status;
  }
  plan->rank = x->rank;
  plan->per_output = 1;
  memcpy (plan->dims, x->dims, sizeof (plan->dims));
  /* Reduced axes of size 1 change nothing; the rest must form one block (axes of size 1 in
   * between do not break it). */
  for (int d = 0; d < x->rank; d++) {
    if (!plan->reduced[d] || x->dims[d] == 1)
      continue;
    plan->per_output *= x->dims[d];
    if (first < 0)
      first = d;
    last = d;
  }
  plan->contiguous = true;
  for (int d = first; d >= 0 && d <= last; d++)
    if (!plan->reduced[d] && x->dims[d] != 1)
      plan->contiguous = false;
  plan->outer = plan->count = plan->inner = 1;
  for (int d = 0; d < x->rank; d++) {
    if (first < 0 || d < first)
      plan->outer *= x->dims[d];
    else if (d > last)
      plan->inner *= x->dims[d];
    else
      plan->count *= x->dims[d];
  }
  n->packed = plan;
  n->workspace = 0;
  return CNN_STATUS_OK;
}

CNN_VECTORIZE static float
sum_row (const float *x, int64_t n)
{
  float acc[16] = { 0 }, total = 0.0f;
  int64_t i = 0;

  /* Sixteen partial sums vectorise without -ffast-math (and round better). */
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; j++)
      acc[j] += x[i + j];
  for (; i < n; i++)
    total += x[i];
  for (int j = 0; j < 16; j++)
    total += acc[j];
  return total;
}

CNN_VECTORIZE static float
max_row (const float *x, int64_t n)
{
  float acc[16], best = -INFINITY;
  int64_t i = 0;

  for (int j = 0; j < 16; j++)
    acc[j] = -INFINITY;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; j++)
      acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
  for (; i < n; i++)
    best = x[i] > best ? x[i] : best;
  for (int j = 0; j < 16; j++)
    best = acc[j] > best ? acc[j] : best;
  return best;
}

/* y[inner] = combination of the `count` rows of x[count, inner]. */
CNN_VECTORIZE static void
reduce_rows (const float *restrict x, int64_t count, int64_t inner, bool max,
    float *restrict y)
{
  memcpy (y, x, sizeof (float) * (size_t) inner);
  for (int64_t r = 1; r < count; r++) {
    const float *xr = x + r * inner;
    if (max)
      for (int64_t i = 0; i < inner; i++)
        y[i] = xr[i] > y[i] ? xr[i] : y[i];
    else
      for (int64_t i = 0; i < inner; i++)
        y[i] += xr[i];
  }
}

typedef struct {
  const reduce_plan *plan;
  reduce_kind kind;
  const float *x;
  float *y;
} reduce_job;

/* Outputs for outer indices [begin, end) of a contiguous reduction. */
static void
reduce_contiguous (void *arg, size_t begin, size_t end, int thread)
{
  const reduce_job *job = arg;
  const reduce_plan *plan = job->plan;
  int64_t block = plan->count * plan->inner;
  float scale = 1.0f / (float) plan->count;

  for (size_t o = begin; o < end; o++) {
    const float *x = job->x + o * (size_t) block;
    float *y = job->y + o * (size_t) plan->inner;
    if (plan->inner == 1) {
      *y = job->kind == REDUCE_MAX ? max_row (x, plan->count) : sum_row (x, plan->count);
    } else {
      reduce_rows (x, plan->count, plan->inner, job->kind == REDUCE_MAX, y);
    }
    if (job->kind == REDUCE_MEAN)
      for (int64_t i = 0; i < plan->inner; i++)
        y[i] *= scale;
  }
}

/* Any set of axes: walk the input in order, keeping the matching output offset. */
static void
reduce_general (const reduce_plan *plan, reduce_kind kind, const float *x, float *y)
{
  int64_t ostride[CNN_MAX_RANK], index[CNN_MAX_RANK] = { 0 };
  int64_t outputs = 1, inputs = 1, offset = 0;

  for (int d = plan->rank - 1; d >= 0; d--) {
    ostride[d] = plan->reduced[d] ? 0 : outputs;
    if (!plan->reduced[d])
      outputs *= plan->dims[d];
    inputs *= plan->dims[d];
  }
  for (int64_t i = 0; i < outputs; i++)
    y[i] = kind == REDUCE_MAX ? -INFINITY : 0.0f;
  for (int64_t i = 0; i < inputs; i++) {
    y[offset] = kind == REDUCE_MAX ? (x[i] > y[offset] ? x[i] : y[offset]) : y[offset] + x[i];
    for (int d = plan->rank - 1; d >= 0; d--) {
      offset += ostride[d];
      if (++index[d] < plan->dims[d])
        break;
      offset -= ostride[d] * index[d];
      index[d] = 0;
    }
  }
  if (kind == REDUCE_MEAN)
    for (int64_t i = 0; i < outputs; i++)
      y[i] /= (float) plan->per_output;
}

static void
reduce_run (cnn_graph *g, cnn_node *n, const cnn_exec *exec)
{
  const reduce_params *p = n->params;
  const reduce_plan *plan = n->packed;
  reduce_job job = {
    .plan = plan,
    .kind = p->kind,
    .x = g->values[n->inputs[0]].ptr,
    .y = cnn_node_output (g, n, 0)->ptr,
  };

  if (plan->copy) {
    if (job.y != job.x)
      memcpy (job.y, job.x, sizeof (float) * (size_t) (plan->outer * plan->count
              * plan->inner));
  } else if (plan->contiguous) {
    size_t block = (size_t) (plan->count * plan->inner);
    cnn_parallel_for (exec->pool, (size_t) plan->outer,
        block >= REDUCE_GRAIN ? 1 : REDUCE_GRAIN / block, reduce_contiguous, &job);
  } else {
    reduce_general (plan, p->kind, job.x, job.y);
  }
}

static uint64_t
reduce_macs (const cnn_graph *g, const cnn_node *n)
{
  uint64_t elements;

  /* One operation per input element. */
  return cnn_value_elements (cnn_node_input (g, n, 0), &elements) ? elements : 0;
}

/* Reducing a spatial axis of an image-shaped input sees the whole map. */
static bool
reduce_window (const cnn_graph *g, const cnn_node *n, int64_t kernel[2], int64_t stride[2])
{
  const reduce_plan *plan = n->packed;

  kernel[0] = kernel[1] = stride[0] = stride[1] = 1;
  if (plan == NULL || plan->rank < 3)
    return true;
  return !plan->reduced[plan->rank - 1] && !(plan->rank >= 4 && plan->reduced[plan->rank - 2]);
}

#define REDUCE_DEF(op_name, parse_fn, inputs) { \
    .name = op_name, \
    .min_inputs = 1, \
    .max_inputs = inputs, \
    .min_outputs = 1, \
    .max_outputs = 1, \
    .parse = parse_fn, \
    .infer = reduce_infer, \
    .prepare = reduce_prepare, \
    .run = reduce_run, \
    .macs = reduce_macs, \
    .window = reduce_window, \
  }

const cnn_op_def cnn_op_global_average_pool = REDUCE_DEF ("GlobalAveragePool",
    global_average_parse, 1);
const cnn_op_def cnn_op_global_max_pool = REDUCE_DEF ("GlobalMaxPool", global_max_parse, 1);
const cnn_op_def cnn_op_reduce_mean = REDUCE_DEF ("ReduceMean", reduce_mean_parse, 2);
const cnn_op_def cnn_op_reduce_sum = REDUCE_DEF ("ReduceSum", reduce_sum_parse, 2);
const cnn_op_def cnn_op_reduce_max = REDUCE_DEF ("ReduceMax", reduce_max_parse, 2);
