/* softmax.c — Softmax and LogSoftmax.
 *
 * The meaning of `axis` changed in opset 13: before, the input is coerced to 2-D at `axis`
 * (default 1) and each row of the flattened trailing dims is normalised as one vector; from
 * 13, only the one dim `axis` (default -1) is normalised. Both reduce to "lanes" of `len`
 * elements spaced `stride` apart: legacy is [outer, len] with stride 1, opset 13 is
 * [outer, len, inner] with stride inner. Numerically stable: the lane's max is subtracted.
 */
#include "helpers.h"
#include "ops.h"

#include <math.h>
#include <stdlib.h>

/* Elements per parallel unit. */
#define SOFTMAX_GRAIN 8192

typedef struct {
  int64_t axis;                 /* as written (may be negative) */
  bool legacy;                  /* opset < 13: coerce to 2-D */
  bool log;
} softmax_params;

typedef struct {
  const float *x;
  float *y;
  size_t len, inner;
  bool log;
} softmax_task;

static cnn_status
softmax_parse_common (cnn_graph *g, cnn_node *n, bool log, cnn_error *err)
{
  softmax_params *p = malloc (sizeof (*p));

  if (p == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  p->legacy = g->opset < 13;
  p->axis = cnn_node_attr_int (n, "axis", p->legacy ? 1 : -1);
  p->log = log;
  n->params = p;
  return CNN_STATUS_OK;
}

static cnn_status
softmax_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return softmax_parse_common (g, n, false, err);
}

static cnn_status
log_softmax_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return softmax_parse_common (g, n, true, err);
}

static cnn_status
softmax_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const softmax_params *p = n->params;
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = cnn_op_float_input (g, n, x, err);

  if (status != CNN_STATUS_OK)
    return status;
  /* [-r, r-1] in every version; a scalar is treated as one lane of one element. */
  int64_t r = x->rank > 0 ? x->rank : 1;
  if (p->axis < -r || p->axis >= r)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "axis %lld is out of range for a rank-%d input", (long long) p->axis, x->rank);
  cnn_value_set_shape (cnn_node_output (g, n, 0), x->dtype, x->rank, x->dims);
  return CNN_STATUS_OK;
}

/* Normalises one lane x[0], x[s], ..., x[(len-1)*s]. */
static void
softmax_lane (const float *x, float *y, size_t len, size_t s, bool log)
{
  float max = -INFINITY, sum = 0.0f;

  for (size_t i = 0; i < len; i++)
    max = x[i * s] > max ? x[i * s] : max;
  if (log) {
    for (size_t i = 0; i < len; i++)
      sum += expf (x[i * s] - max);
    float shift = max + logf (sum);
    for (size_t i = 0; i < len; i++)
      y[i * s] = x[i * s] - shift;
  } else {
    for (size_t i = 0; i < len; i++) {
      float e = expf (x[i * s] - max);
      y[i * s] = e;
      sum += e;
    }
    float scale = 1.0f / sum;
    for (size_t i = 0; i < len; i++)
      y[i * s] *= scale;
  }
}

/* Lanes [begin, end): lane l starts at (l / inner) * len * inner + l % inner. */
static void
softmax_range (void *arg, size_t begin, size_t end, int thread)
{
  const softmax_task *t = arg;
  (void) thread;

  for (size_t l = begin; l < end; l++) {
    size_t base = (l / t->inner) * t->len * t->inner + l % t->inner;
    softmax_lane (t->x + base, t->y + base, t->len, t->inner, t->log);
  }
}

static void
softmax_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const softmax_params *p = n->params;
  const cnn_value *x = cnn_layer_in (io, 0);
  const cnn_value *y = io->out[0];
  int rank = x->rank;
  int axis = (int) (p->axis < 0 ? p->axis + (rank > 0 ? rank : 1) : p->axis);
  size_t outer = 1, len = 1, inner = 1;

  for (int i = 0; i < rank; i++) {
    size_t d = (size_t) x->dims[i];
    if (i < axis)
      outer *= d;
    else if (i == axis || p->legacy)
      len *= d;
    else
      inner *= d;
  }
  if (outer == 0 || len == 0 || inner == 0)
    return;
  softmax_task t = { x->ptr, y->ptr, len, inner, p->log };
  size_t lanes = outer * inner;
  size_t grain = len >= SOFTMAX_GRAIN ? 1 : SOFTMAX_GRAIN / len;
  cnn_parallel_for (exec != NULL ? exec->pool : NULL, lanes, grain, softmax_range, &t);
}

const cnn_op_def cnn_op_softmax = {
  .name = "Softmax",
  .min_inputs = 1,
  .max_inputs = 1,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = softmax_parse,
  .infer = softmax_infer,
  .run = softmax_run,
};

const cnn_op_def cnn_op_log_softmax = {
  .name = "LogSoftmax",
  .min_inputs = 1,
  .max_inputs = 1,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = log_softmax_parse,
  .infer = softmax_infer,
  .run = softmax_run,
};
