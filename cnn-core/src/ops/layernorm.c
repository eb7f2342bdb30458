/* layernorm.c — LayerNormalization (opset 17), float32: every row of the trailing dims from
 * `axis` on is normalised to mean 0 and variance 1, then scaled and shifted.
 *
 * Also what the fusion pass (fusion.c) makes of the ReduceMean / Sub / Pow / ReduceMean / Add /
 * Sqrt / Div chain that exporters write for it before opset 17. Scale and B hold one value per
 * element of a row, or one for all. The optional Mean and InvStdDev outputs (the row
 * statistics, shaped like X with 1s from `axis` on) are written when present.
 */
#include "helpers.h"
#include "ops.h"

#include <math.h>
#include <stdlib.h>

typedef struct {
  int64_t rows, cols;           /* resolved by infer */
  float epsilon;
} layernorm_params;

static cnn_status
layernorm_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  layernorm_params *p = calloc (1, sizeof (*p));

  if (p == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  n->params = p;
  p->epsilon = cnn_node_attr_float (n, "epsilon", 1e-5f);
  return CNN_STATUS_OK;
}

/* Scale or B: one value per element of a row, or a single value. */
static cnn_status
layernorm_check_param (cnn_graph *g, cnn_node *n, int index, const char *what, int64_t cols,
    cnn_error *err)
{
  const cnn_value *v = cnn_node_input (g, n, index);
  uint64_t count;

  if (v == NULL)
    return CNN_STATUS_OK;
  if (v->dtype != CNN_DTYPE_FLOAT32 || !cnn_value_elements (v, &count)
      || (count != 1 && count != (uint64_t) cols))
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "%s must be float32 with 1 or %lld values (one per normalised element)", what,
        (long long) cols);
  return CNN_STATUS_OK;
}

static cnn_status
layernorm_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  layernorm_params *p = n->params;
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = cnn_op_float_input (g, n, x, err);
  int64_t axis_attr = cnn_node_attr_int (n, "axis", -1);
  int axis;

  if (status != CNN_STATUS_OK)
    return status;
  if (!cnn_op_resolve_axis (axis_attr, x->rank, &axis))
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "axis %lld is out of range for a rank-%d input", (long long) axis_attr, x->rank);
  p->rows = 1;
  p->cols = 1;
  for (int d = 0; d < x->rank; d++) {
    int64_t *m = d < axis ? &p->rows : &p->cols;
    *m = x->dims[d] < 0 || *m < 0 ? -1 : *m * x->dims[d];
  }
  if (p->cols < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "the normalised dims (from axis %d) have a dynamic size", axis);
  if ((status = layernorm_check_param (g, n, 1, "Scale", p->cols, err)) != CNN_STATUS_OK
      || (status = layernorm_check_param (g, n, 2, "B", p->cols, err)) != CNN_STATUS_OK)
    return status;
  cnn_value_set_shape (cnn_node_output (g, n, 0), x->dtype, x->rank, x->dims);
  int64_t stat_dims[CNN_MAX_RANK];
  for (int d = 0; d < x->rank; d++)
    stat_dims[d] = d < axis ? x->dims[d] : 1;
  for (int i = 1; i < n->n_outputs; i++)
    if (n->outputs[i] >= 0)
      cnn_value_set_shape (cnn_node_output (g, n, i), x->dtype, x->rank, stat_dims);
  return CNN_STATUS_OK;
}

typedef struct {
  const float *x, *scale, *bias;
  float *y, *mean, *inv_std;    /* the statistics outputs, NULL when absent */
  int64_t cols;
  bool scale_per_col, bias_per_col;
  float epsilon;
} layernorm_task;

static void
layernorm_range (void *arg, size_t begin, size_t end, int thread)
{
  const layernorm_task *t = arg;
  int64_t cols = t->cols;
  (void) thread;

  for (size_t r = begin; r < end; r++) {
    const float *x = t->x + r * (size_t) cols;
    float *y = t->y + r * (size_t) cols;
    double sum = 0.0, sq = 0.0;
    for (int64_t c = 0; c < cols; c++)
      sum += x[c];
    float mean = (float) (sum / (double) cols);
    for (int64_t c = 0; c < cols; c++) {
      float d = x[c] - mean;
      sq += (double) d * d;
    }
    float inv = 1.0f / sqrtf ((float) (sq / (double) cols) + t->epsilon);
    if (t->mean != NULL)
      t->mean[r] = mean;
    if (t->inv_std != NULL)
      t->inv_std[r] = inv;
    for (int64_t c = 0; c < cols; c++) {
      float s = t->scale == NULL ? 1.0f : t->scale[t->scale_per_col ? c : 0];
      float b = t->bias == NULL ? 0.0f : t->bias[t->bias_per_col ? c : 0];
      y[c] = (x[c] - mean) * inv * s + b;
    }
  }
}

static void
layernorm_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const layernorm_params *p = n->params;
  const cnn_value *x = cnn_layer_in (io, 0);
  const cnn_value *scale = cnn_layer_in (io, 1);
  const cnn_value *bias = cnn_layer_in (io, 2);
  const cnn_value *y = io->out[0];
  uint64_t count;

  if (!cnn_value_elements (y, &count) || count == 0 || p->cols == 0)
    return;
  layernorm_task t = {
    .x = x->ptr, .y = y->ptr, .cols = p->cols, .epsilon = p->epsilon,
    .scale = scale != NULL ? scale->ptr : NULL, .bias = bias != NULL ? bias->ptr : NULL,
  };
  const cnn_value *mean = n->n_outputs > 1 && n->outputs[1] >= 0 ? io->out[1]
      : NULL;
  const cnn_value *inv_std = n->n_outputs > 2 && n->outputs[2] >= 0
      ? io->out[2] : NULL;
  t.mean = mean != NULL ? mean->ptr : NULL;
  t.inv_std = inv_std != NULL ? inv_std->ptr : NULL;
  uint64_t k;
  t.scale_per_col = scale != NULL && cnn_value_elements (scale, &k) && k > 1;
  t.bias_per_col = bias != NULL && cnn_value_elements (bias, &k) && k > 1;
  size_t rows = (size_t) count / (size_t) p->cols;
  size_t grain = p->cols >= 4096 ? 1 : 4096 / (size_t) p->cols;
  cnn_parallel_for (exec != NULL ? exec->pool : NULL, rows, grain, layernorm_range, &t);
}

/* Two passes over each row and a scale: about four operations per element. */
static uint64_t
layernorm_macs (const cnn_graph *g, const cnn_node *n)
{
  uint64_t count = 0;

  cnn_value_elements (cnn_node_output (g, n, 0), &count);
  return 4 * count;
}

const cnn_op_def cnn_op_layer_normalization = {
  .name = "LayerNormalization",
  .min_inputs = 2,
  .max_inputs = 3,
  .min_outputs = 1,
  .max_outputs = 3,
  .parse = layernorm_parse,
  .infer = layernorm_infer,
  .run = layernorm_run,
  .macs = layernorm_macs,
};
