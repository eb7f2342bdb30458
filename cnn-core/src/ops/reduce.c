/* reduce.c — GlobalAveragePool, GlobalMaxPool, ReduceMean, ReduceSum and ReduceMax, float32.
 *
 * Global pools and reductions are one machine: prepare() reduces the reduced axes to
 * (outer, count, inner) when they are contiguous — the common case, e.g. axes [2, 3] on NCHW
 * is `count` = H·W contiguous floats per output — and otherwise walks the input once with an
 * odometer (any axes, any rank).
 */
#include "helpers.h"
#include "ops.h"

#include "kernels/row-sums.h"
#include "kernels/vectorize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Elements a thread should at least get before a reduction is split. */
#define REDUCE_GRAIN 16384

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
  cnn_status status = cnn_op_float_input (g, n, x, err);
  char dims[160];

  if (status != CNN_STATUS_OK)
    return status;
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

static inline float
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

/* y[r] = scale · (sum of row r) of x[rows, n], or its maximum: the reductions over the last
 * axis (GlobalAveragePool's channels), all rows in one call of the vectorised clone rather
 * than a dispatch per row. Sums: kernels/row-sums.c, 16 rows at a time. EfficientNet-B0's 17
 * pools, 1 thread Zen 4, best of 8 runs: 0.202 -> 0.182 ms with each row's 16 partial sums
 * folded in halves; then cnn_row_sums (rows alone, best of 50): 480 channels of 14×14 9.2 ->
 * 24 floats/ns, 1152 of 7×7 3.3 -> 12. */
CNN_VECTORIZE static void
reduce_last_axis (const float *x, int64_t rows, int64_t n, bool max, float scale, float *y)
{
  if (!max) {
    cnn_row_sums (rows, n, x, scale, y);
    return;
  }
  for (int64_t r = 0; r < rows; r++, x += n)
    y[r] = max_row (x, n);
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

  if (plan->inner == 1) {
    reduce_last_axis (job->x + begin * (size_t) block, (int64_t) (end - begin), plan->count,
        job->kind == REDUCE_MAX, job->kind == REDUCE_MEAN ? scale : 1.0f, job->y + begin);
    return;
  }
  for (size_t o = begin; o < end; o++) {
    const float *x = job->x + o * (size_t) block;
    float *y = job->y + o * (size_t) plan->inner;
    reduce_rows (x, plan->count, plan->inner, job->kind == REDUCE_MAX, y);
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
reduce_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const reduce_params *p = n->params;
  const reduce_plan *plan = n->packed;
  reduce_job job = {
    .plan = plan,
    .kind = p->kind,
    .x = io->in[0]->ptr,
    .y = io->out[0]->ptr,
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
