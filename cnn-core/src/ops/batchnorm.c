/* batchnorm.c — BatchNormalization in inference form (opset 1–15: the is_test and
 * consumed_inputs attributes of opsets 1–6 change nothing there), float32, with fused
 * activation.
 *
 * Most BatchNormalization nodes never get here: the load-time pass folds them into the
 * preceding Conv. What is left (BN after a pool or an Add, ONNX's node tests) is one affine
 * map per channel, y = a·x + b with a = scale / sqrt(var + epsilon), b = B − mean·a, computed
 * per plane at run time so nothing needs packing and non-constant statistics work too.
 */
#include "helpers.h"
#include "ops.h"

#include "kernels/activation.h"
#include "kernels/vectorize.h"

#include <math.h>
#include <stdlib.h>

/* Elements a thread should at least get before the work is split. */
#define BN_GRAIN 16384

typedef struct {
  float epsilon;
  bool spatial;
} bn_params;

typedef struct {
  const float *x, *scale, *bias, *mean, *var;
  float *y;
  float epsilon;
  int64_t channels, plane;
  cnn_activation act;
  float act_alpha, act_beta;
} bn_job;

static cnn_status
bn_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  bn_params *p;

  if (cnn_node_attr_int (n, "training_mode", 0) != 0)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "training_mode = 1 is not supported (inference only)");
  if ((p = calloc (1, sizeof (*p))) == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  p->epsilon = cnn_node_attr_float (n, "epsilon", 1e-5f);
  /* Opsets 1–8: spatial = 0 means statistics per activation, not per channel. is_test (opsets
   * 1–6) is ignored, as ONNX Runtime does: we only infer. */
  p->spatial = cnn_node_attr_int (n, "spatial", 1) != 0;
  n->params = p;
  return CNN_STATUS_OK;
}

static cnn_status
bn_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  static const char *const names[] = { "X", "scale", "B", "mean", "var" };
  const bn_params *p = n->params;
  const cnn_value *x = cnn_node_input (g, n, 0);
  char dims[160];

  for (int i = 0; i < 5; i++) {
    const cnn_value *v = cnn_node_input (g, n, i);
    if (v == NULL || v->rank < 0)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "shape of %s is unknown",
          names[i]);
    if (v->dtype != CNN_DTYPE_FLOAT32)
      return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
          "%s '%s' is %s; only float32 is supported", names[i], v->name,
          cnn_dtype_string (v->dtype));
  }
  cnn_format_dims (dims, sizeof (dims), x->rank, x->dims);
  if (x->rank < 2)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "input '%s' %s has no channel axis", x->name, dims);
  for (int d = 0; d < x->rank; d++)
    if (x->dims[d] < 1)
      return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
          "input '%s' %s must have known, non-zero dims", x->name, dims);
  for (int i = 1; i < 5; i++) {
    const cnn_value *v = cnn_node_input (g, n, i);
    uint64_t elements;
    if (!cnn_value_elements (v, &elements) || elements != (uint64_t) x->dims[1])
      return cnn_node_error (err, g, n, p->spatial ? CNN_STATUS_INVALID_MODEL
          : CNN_STATUS_UNSUPPORTED, "%s '%s' must have one value per channel (%lld)%s",
          names[i], v->name, (long long) x->dims[1],
          p->spatial ? "" : "; per-activation statistics (spatial = 0) are not supported");
  }
  for (int o = 1; o < n->n_outputs; o++) {
    if (cnn_op_output_used (g, n, o))
      return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
          "output %d ('%s', training statistics) is not supported", o,
          cnn_node_output (g, n, o)->name);
    /* Unread, but the memory planner still wants a size. */
    if (n->outputs[o] >= 0)
      cnn_value_set_shape (cnn_node_output (g, n, o), CNN_DTYPE_FLOAT32, 1, &x->dims[1]);
  }
  cnn_value_set_shape (cnn_node_output (g, n, 0), CNN_DTYPE_FLOAT32, x->rank, x->dims);
  return CNN_STATUS_OK;
}

CNN_VECTORIZE static void
affine (const float *restrict x, int64_t n, float a, float b, float *restrict y)
{
  for (int64_t i = 0; i < n; i++)
    y[i] = a * x[i] + b;
}

/* Planes [begin, end) of the flattened (image, channel) range. */
static void
bn_planes (void *arg, size_t begin, size_t end, int thread)
{
  const bn_job *job = arg;

  for (size_t plane = begin; plane < end; plane++) {
    int64_t c = (int64_t) plane % job->channels;
    double a = job->scale[c] / sqrt ((double) job->var[c] + job->epsilon);
    double b = job->bias[c] - job->mean[c] * a;
    float *y = job->y + plane * (size_t) job->plane;
    affine (job->x + plane * (size_t) job->plane, job->plane, (float) a, (float) b, y);
    if (job->act != CNN_ACTIVATION_NONE)
      cnn_activate_array (y, (size_t) job->plane, 0.0f, job->act, job->act_alpha,
          job->act_beta);
  }
}

static void
bn_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const bn_params *p = n->params;
  const cnn_value *x = cnn_layer_in (io, 0);
  bn_job job = {
    .x = x->ptr,
    .scale = io->in[1]->ptr,
    .bias = io->in[2]->ptr,
    .mean = io->in[3]->ptr,
    .var = io->in[4]->ptr,
    .y = io->out[0]->ptr,
    .epsilon = p->epsilon,
    .channels = x->dims[1],
    .plane = 1,
    .act = n->act,
    .act_alpha = n->act_alpha,
    .act_beta = n->act_beta,
  };

  for (int d = 2; d < x->rank; d++)
    job.plane *= x->dims[d];
  cnn_parallel_for (exec->pool, (size_t) (x->dims[0] * job.channels),
      job.plane >= BN_GRAIN ? 1 : (size_t) (BN_GRAIN / job.plane), bn_planes, &job);
}

const cnn_op_def cnn_op_batch_normalization = {
  .name = "BatchNormalization",
  .min_inputs = 5,
  .max_inputs = 5,
  .min_outputs = 1,
  .max_outputs = 5,
  .parse = bn_parse,
  .infer = bn_infer,
  .prepare = NULL,
  .run = bn_run,
};
