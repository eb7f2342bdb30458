/* activation.c — standalone activation ops: Relu, LeakyRelu, PRelu, Elu, Clip, Sigmoid,
 * Tanh, HardSigmoid, HardSwish.
 *
 * All but PRelu map onto activation.h's cnn_activation so they share the vectorised loops the
 * fused epilogues use. Float32 only: the integer forms (Relu/Clip opset 12+) do not occur in
 * image classifiers.
 */
#include "helpers.h"
#include "ops.h"

#include "kernels/activation.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Elements per parallel unit. */
#define ACT_GRAIN 16384

typedef struct {
  cnn_activation act;
  float alpha, beta;
} act_params;

static cnn_status
act_params_new (cnn_graph *g, cnn_node *n, cnn_activation act, float alpha, float beta,
    cnn_error *err)
{
  act_params *p = malloc (sizeof (*p));

  if (p == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  p->act = act;
  p->alpha = alpha;
  p->beta = beta;
  n->params = p;
  return CNN_STATUS_OK;
}

static cnn_status
relu_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return act_params_new (g, n, CNN_ACTIVATION_RELU, 0.0f, 0.0f, err);
}

static cnn_status
leaky_relu_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return act_params_new (g, n, CNN_ACTIVATION_LEAKY_RELU,
      cnn_node_attr_float (n, "alpha", 0.01f), 0.0f, err);
}

static cnn_status
elu_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return act_params_new (g, n, CNN_ACTIVATION_ELU, cnn_node_attr_float (n, "alpha", 1.0f),
      0.0f, err);
}

static cnn_status
sigmoid_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return act_params_new (g, n, CNN_ACTIVATION_SIGMOID, 0.0f, 0.0f, err);
}

static cnn_status
tanh_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return act_params_new (g, n, CNN_ACTIVATION_TANH, 0.0f, 0.0f, err);
}

static cnn_status
hard_sigmoid_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return act_params_new (g, n, CNN_ACTIVATION_HARD_SIGMOID,
      cnn_node_attr_float (n, "alpha", 0.2f), cnn_node_attr_float (n, "beta", 0.5f), err);
}

static cnn_status
hard_swish_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return act_params_new (g, n, CNN_ACTIVATION_HARD_SWISH, 0.0f, 0.0f, err);
}

/* Clip: before opset 11 the bounds are attributes; from 11 they are optional scalar inputs,
 * read in run so they may also be computed at run time. Defaults: the float range. */
static cnn_status
clip_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  float lo = -FLT_MAX, hi = FLT_MAX;

  if (g->opset < 11) {
    lo = cnn_node_attr_float (n, "min", lo);
    hi = cnn_node_attr_float (n, "max", hi);
    if (n->n_inputs > 1)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "min/max are attributes before opset 11, but the node has %d inputs", n->n_inputs);
  }
  return act_params_new (g, n, CNN_ACTIVATION_CLIP, lo, hi, err);
}

static cnn_status
unary_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = cnn_op_float_input (g, n, x, err);

  if (status == CNN_STATUS_OK)
    cnn_value_set_shape (cnn_node_output (g, n, 0), x->dtype, x->rank, x->dims);
  return status;
}

static cnn_status
clip_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  cnn_status status = unary_infer (g, n, err);

  for (int i = 1; i < 3 && status == CNN_STATUS_OK; i++) {
    const cnn_value *b = cnn_node_input (g, n, i);
    uint64_t count;
    if (b == NULL)
      continue;
    if (b->dtype != CNN_DTYPE_FLOAT32 || !cnn_value_elements (b, &count) || count != 1)
      status = cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "'%s' must be a float32 scalar like the input", i == 1 ? "min" : "max");
  }
  return status;
}

typedef struct {
  const float *in;
  float *out;
  cnn_activation act;
  float alpha, beta;
} act_task;

static void
act_range (void *arg, size_t begin, size_t end, int thread)
{
  const act_task *t = arg;
  (void) thread;

  if (t->out != t->in)
    memcpy (t->out + begin, t->in + begin, (end - begin) * sizeof (float));
  cnn_activate_array (t->out + begin, end - begin, 0.0f, t->act, t->alpha, t->beta);
}

static void
act_apply (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec, float alpha,
    float beta)
{
  const act_params *p = n->params;
  const cnn_value *x = cnn_layer_in (io, 0);
  const cnn_value *y = io->out[0];
  act_task t = { x->ptr, y->ptr, p->act, alpha, beta };
  uint64_t count;

  if (!cnn_value_elements (y, &count) || count == 0)
    return;
  cnn_parallel_for (exec != NULL ? exec->pool : NULL, (size_t) count, ACT_GRAIN, act_range, &t);
}

static void
act_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const act_params *p = n->params;

  act_apply (n, io, exec, p->alpha, p->beta);
}

static void
clip_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const act_params *p = n->params;
  const cnn_value *lo = cnn_layer_in (io, 1), *hi = cnn_layer_in (io, 2);
  float alpha = lo != NULL ? *(const float *) lo->ptr : p->alpha;
  float beta = hi != NULL ? *(const float *) hi->ptr : p->beta;

  /* ONNX: when min > max every output is max. */
  act_apply (n, io, exec, alpha > beta ? beta : alpha, beta);
}

/* The fusion hooks: what passes.c folds into the producing node's epilogue. */
static bool
act_activation (const cnn_graph *g, const cnn_node *n, cnn_activation *act, float *alpha,
    float *beta)
{
  const act_params *p = n->params;

  *act = p->act;
  *alpha = p->alpha;
  *beta = p->beta;
  return true;
}

/* An optional bound input: absent gives the default, a constant scalar its value; anything
 * computed at run time cannot be fused. */
static bool
constant_bound (const cnn_graph *g, const cnn_node *n, int k, float fallback, float *out)
{
  const cnn_value *v = cnn_node_input (g, n, k);
  uint64_t count;

  *out = fallback;
  if (v == NULL)
    return true;
  if (v->blob == NULL || v->dtype != CNN_DTYPE_FLOAT32 || !cnn_value_elements (v, &count)
      || count != 1)
    return false;
  *out = *(const float *) v->blob->data;
  return true;
}

static bool
clip_activation (const cnn_graph *g, const cnn_node *n, cnn_activation *act, float *alpha,
    float *beta)
{
  const act_params *p = n->params;
  float lo, hi;

  if (!constant_bound (g, n, 1, p->alpha, &lo) || !constant_bound (g, n, 2, p->beta, &hi))
    return false;
  *alpha = lo > hi ? hi : lo;   /* as clip_run: when min > max every output is max */
  *beta = hi;
  *act = *alpha == 0.0f && *beta == 6.0f ? CNN_ACTIVATION_RELU6 : CNN_ACTIVATION_CLIP;
  return true;
}

/* PRelu: y = x < 0 ? slope * x : x, slope broadcast unidirectionally to x (typically [C,1,1]
 * against [N,C,H,W]). The slope's strides are collapsed like a binary op's. */

typedef struct {
  bool per_channel_1d;          /* opset < 7: a 1-D slope of C values is per channel */
} prelu_params;

static cnn_status
prelu_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  prelu_params *p = calloc (1, sizeof (prelu_params));

  if (p == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  p->per_channel_1d = g->opset < 7;
  n->params = p;
  return CNN_STATUS_OK;
}

/* The slope's shape as broadcasting sees it. Before opset 7 a 1-D slope of C values is per
 * channel (axis 1), as PyTorch exported PReLU then: it becomes [C, 1, ...]. */
static int
prelu_slope_shape (const cnn_node *n, const cnn_value *x, const cnn_value *s,
    int64_t dims[CNN_MAX_RANK])
{
  const prelu_params *p = n->params;
  int rank = s->rank;

  memcpy (dims, s->dims, sizeof (int64_t) * (size_t) s->rank);
  if (p->per_channel_1d && s->rank == 1 && x->rank >= 2 && s->dims[0] == x->dims[1]
      && s->dims[0] != 1)
    for (; rank < x->rank - 1; rank++)
      dims[rank] = 1;
  return rank;
}

static cnn_status
prelu_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  const cnn_value *s = cnn_node_input (g, n, 1);
  cnn_status status = unary_infer (g, n, err);
  int64_t sdims[CNN_MAX_RANK];
  char sx[160], ss[160];

  if (status != CNN_STATUS_OK)
    return status;
  if (s == NULL || s->rank < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "slope shape is unknown");
  if (s->dtype != CNN_DTYPE_FLOAT32)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "slope type %s is not supported (float32 is)", cnn_dtype_string (s->dtype));
  int srank = prelu_slope_shape (n, x, s, sdims);
  bool ok = srank <= x->rank;
  for (int i = 0; ok && i < srank; i++) {
    int64_t ds = sdims[i], dx = x->dims[x->rank - srank + i];
    ok = ds == 1 || ds == dx;
  }
  if (!ok) {
    cnn_format_dims (sx, sizeof (sx), x->rank, x->dims);
    cnn_format_dims (ss, sizeof (ss), s->rank, s->dims);
    return cnn_node_error (err, g, n, CNN_STATUS_SHAPE_MISMATCH,
        "slope of shape %s cannot be broadcast to the input's shape %s", ss, sx);
  }
  return CNN_STATUS_OK;
}

typedef struct {
  int rank;
  int64_t dims[CNN_MAX_RANK];
  int64_t ss[CNN_MAX_RANK];     /* slope strides, 0 where broadcast */
  const float *x, *slope;
  float *y;
} prelu_plan;

static void
prelu_row (float *y, const float *x, const float *s, int64_t ss, size_t n)
{
  if (ss == 0) {
    float a = s[0];
    for (size_t i = 0; i < n; i++)
      y[i] = x[i] < 0.0f ? a * x[i] : x[i];
  } else {
    for (size_t i = 0; i < n; i++) {
      float a = s[(int64_t) i * ss];
      y[i] = x[i] < 0.0f ? a * x[i] : x[i];
    }
  }
}

static void
prelu_range (void *arg, size_t begin, size_t end, int thread)
{
  const prelu_plan *p = arg;
  int last = p->rank - 1;
  (void) thread;

  if (p->rank == 1) {
    prelu_row (p->y + begin, p->x + begin, p->slope + (int64_t) begin * p->ss[0], p->ss[0],
        end - begin);
    return;
  }
  int64_t idx[CNN_MAX_RANK], off = 0;
  size_t rem = begin;
  for (int d = last - 1; d >= 0; d--) {
    idx[d] = (int64_t) (rem % (size_t) p->dims[d]);
    rem /= (size_t) p->dims[d];
    off += idx[d] * p->ss[d];
  }
  size_t inner = (size_t) p->dims[last];
  for (size_t r = begin; r < end; r++) {
    prelu_row (p->y + r * inner, p->x + r * inner, p->slope + off, p->ss[last], inner);
    for (int d = last - 1; d >= 0; d--) {
      off += p->ss[d];
      if (++idx[d] < p->dims[d])
        break;
      off -= p->ss[d] * p->dims[d];
      idx[d] = 0;
    }
  }
}

static void
prelu_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const cnn_value *x = cnn_layer_in (io, 0);
  const cnn_value *s = cnn_layer_in (io, 1);
  const cnn_value *y = io->out[0];
  prelu_plan p = { .x = x->ptr, .slope = s->ptr, .y = y->ptr };
  int64_t stride = 1;
  int64_t ss[CNN_MAX_RANK];
  uint64_t count;

  if (!cnn_value_elements (y, &count) || count == 0)
    return;
  int64_t sdims[CNN_MAX_RANK];
  int srank = prelu_slope_shape (n, x, s, sdims);
  for (int i = x->rank - 1; i >= 0; i--) {
    int is = i - (x->rank - srank);
    int64_t ds = is >= 0 ? sdims[is] : 1;
    ss[i] = ds == 1 ? 0 : stride;
    stride *= ds;
  }
  /* Drop size-1 dims; merge neighbours where the slope stays contiguous (x always is). */
  for (int i = 0; i < x->rank; i++) {
    if (x->dims[i] == 1)
      continue;
    if (p.rank > 0 && p.ss[p.rank - 1] == ss[i] * x->dims[i]) {
      p.dims[p.rank - 1] *= x->dims[i];
      p.ss[p.rank - 1] = ss[i];
      continue;
    }
    p.dims[p.rank] = x->dims[i];
    p.ss[p.rank] = ss[i];
    p.rank++;
  }
  if (p.rank == 0) {
    p.rank = 1;
    p.dims[0] = 1;
    p.ss[0] = 0;
  }

  size_t units = (size_t) count, grain = ACT_GRAIN;
  if (p.rank > 1) {
    size_t inner = (size_t) p.dims[p.rank - 1];
    units = (size_t) count / inner;
    grain = inner >= ACT_GRAIN ? 1 : ACT_GRAIN / inner;
  }
  cnn_parallel_for (exec != NULL ? exec->pool : NULL, units, grain, prelu_range, &p);
}

#define ACT_DEF(NAME, PARSE)      \
  {                               \
    .name = NAME,                 \
    .min_inputs = 1,              \
    .max_inputs = 1,              \
    .min_outputs = 1,             \
    .max_outputs = 1,             \
    .parse = PARSE,               \
    .infer = unary_infer,         \
    .run = act_run,               \
    .activation = act_activation, \
  }

const cnn_op_def cnn_op_relu = ACT_DEF ("Relu", relu_parse);
const cnn_op_def cnn_op_leaky_relu = ACT_DEF ("LeakyRelu", leaky_relu_parse);
const cnn_op_def cnn_op_elu = ACT_DEF ("Elu", elu_parse);
const cnn_op_def cnn_op_sigmoid = ACT_DEF ("Sigmoid", sigmoid_parse);
const cnn_op_def cnn_op_tanh = ACT_DEF ("Tanh", tanh_parse);
const cnn_op_def cnn_op_hard_sigmoid = ACT_DEF ("HardSigmoid", hard_sigmoid_parse);
const cnn_op_def cnn_op_hard_swish = ACT_DEF ("HardSwish", hard_swish_parse);

const cnn_op_def cnn_op_clip = {
  .name = "Clip",
  .min_inputs = 1,
  .max_inputs = 3,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = clip_parse,
  .infer = clip_infer,
  .run = clip_run,
  .activation = clip_activation,
};

const cnn_op_def cnn_op_prelu = {
  .name = "PRelu",
  .min_inputs = 2,
  .max_inputs = 2,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = prelu_parse,
  .infer = prelu_infer,
  .run = prelu_run,
};
