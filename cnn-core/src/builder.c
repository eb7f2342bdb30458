/* builder.c — networks assembled in code become the same graph an ONNX file would give, so
 * they go through the same checks, passes and kernels. */
#include "cnn/cnn.h"

#include "graph.h"
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cnn_builder {
  cnn_graph *g;
  cnn_status status;            /* first error, reported by finish */
  cnn_error err;
  int counter;                  /* for generated names */
};

cnn_builder *
cnn_builder_create (const char *name)
{
  cnn_builder *b = calloc (1, sizeof (*b));
  if (b == NULL)
    return NULL;
  b->g = cnn_graph_new (name != NULL ? name : "builder", NULL);
  if (b->g == NULL) {
    free (b);
    return NULL;
  }
  b->g->opset = 17;
  return b;
}

void
cnn_builder_destroy (cnn_builder *b)
{
  if (b == NULL)
    return;
  cnn_graph_free (b->g);
  free (b);
}

static int
fail (cnn_builder *b, cnn_status status, const char *what)
{
  if (b->status == CNN_STATUS_OK)
    b->status = cnn_graph_error (&b->err, b->g, status, "%s", what);
  return -1;
}

static bool
valid_value (cnn_builder *b, int x)
{
  if (b->status != CNN_STATUS_OK)
    return false;
  if (x < 0 || x >= b->g->n_values) {
    fail (b, CNN_STATUS_INVALID_ARGUMENT, "layer input is not a value of this builder");
    return false;
  }
  return true;
}

/* A new anonymous value named after its role, e.g. "conv3". */
static int
new_value (cnn_builder *b, const char *role)
{
  char name[64];
  snprintf (name, sizeof (name), "%s%d", role, ++b->counter);
  int id = cnn_graph_value (b->g, name);
  return id < 0 ? fail (b, CNN_STATUS_OUT_OF_MEMORY, "out of memory") : id;
}

static int
new_constant (cnn_builder *b, const char *role, int rank, const int64_t *dims,
    const float *data)
{
  uint64_t count;
  if (!cnn_shape_elements (rank, dims, &count) || count > (UINT64_C (1) << 32))
    return fail (b, CNN_STATUS_INVALID_ARGUMENT, "weight shape is out of range");
  int id = new_value (b, role);
  if (id < 0)
    return -1;
  cnn_blob *blob = cnn_blob_new ((size_t) count * sizeof (float));
  if (blob == NULL)
    return fail (b, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  memcpy (blob->data, data, (size_t) count * sizeof (float));
  cnn_value_set_constant (&b->g->values[id], CNN_DTYPE_FLOAT32, rank, dims, blob);
  return id;
}

static int
new_node (cnn_builder *b, const char *op, const int *inputs, int n_inputs, int *out)
{
  *out = new_value (b, op);
  if (*out < 0)
    return -1;
  int node = cnn_graph_add_node (b->g, b->g->values[*out].name, op, "", inputs, n_inputs,
      out, 1);
  return node < 0 ? fail (b, CNN_STATUS_OUT_OF_MEMORY, "out of memory") : node;
}

static bool
set_ints (cnn_builder *b, int node, const char *name, int64_t v0, int64_t v1, int64_t v2,
    int64_t v3, int count)
{
  cnn_attr *a = cnn_node_add_attr (b->g, node, name, CNN_ATTR_INTS);
  int64_t values[4] = { v0, v1, v2, v3 };
  if (a == NULL || (a->ints = malloc (sizeof (int64_t) * (size_t) count)) == NULL) {
    fail (b, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    return false;
  }
  memcpy (a->ints, values, sizeof (int64_t) * (size_t) count);
  a->count = (size_t) count;
  return true;
}

static bool
set_int (cnn_builder *b, int node, const char *name, int64_t value)
{
  cnn_attr *a = cnn_node_add_attr (b->g, node, name, CNN_ATTR_INT);
  if (a == NULL) {
    fail (b, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    return false;
  }
  a->i = value;
  return true;
}

static bool
set_float (cnn_builder *b, int node, const char *name, float value)
{
  cnn_attr *a = cnn_node_add_attr (b->g, node, name, CNN_ATTR_FLOAT);
  if (a == NULL) {
    fail (b, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    return false;
  }
  a->f = value;
  return true;
}

int
cnn_builder_input (cnn_builder *b, const char *name, int64_t channels, int64_t height,
    int64_t width)
{
  if (b == NULL || b->status != CNN_STATUS_OK)
    return -1;
  if (name == NULL || channels < 1 || height < 1 || width < 1)
    return fail (b, CNN_STATUS_INVALID_ARGUMENT, "input needs a name and positive C, H, W");
  if (cnn_graph_find_value (b->g, name) >= 0)
    return fail (b, CNN_STATUS_INVALID_ARGUMENT, "input name is already used");
  int id = cnn_graph_value (b->g, name);
  int *inputs = realloc (b->g->inputs, sizeof (int) * (size_t) (b->g->n_inputs + 1));
  if (id < 0 || inputs == NULL)
    return fail (b, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  b->g->inputs = inputs;
  b->g->inputs[b->g->n_inputs++] = id;
  int64_t dims[4] = { 1, channels, height, width };
  cnn_value_set_shape (&b->g->values[id], CNN_DTYPE_FLOAT32, 4, dims);
  b->g->values[id].is_input = true;
  return id;
}

/* Channel count of an NCHW value the builder made. */
static int64_t
channels_of (cnn_builder *b, int x)
{
  const cnn_value *v = &b->g->values[x];
  return v->rank >= 2 ? v->dims[1] : -1;
}

static int
with_activation (cnn_builder *b, int x, cnn_activation act)
{
  return act == CNN_ACTIVATION_NONE ? x : cnn_builder_activation (b, x, act, 0.01f, 0.0f);
}

int
cnn_builder_conv (cnn_builder *b, int x, int64_t out_channels, int64_t kernel_h,
    int64_t kernel_w, int64_t stride, int64_t pad, int64_t dilation, int64_t groups,
    const float *weights, const float *bias, cnn_activation activation)
{
  if (b == NULL || !valid_value (b, x))
    return -1;
  int64_t c = channels_of (b, x);
  if (weights == NULL || out_channels < 1 || kernel_h < 1 || kernel_w < 1 || stride < 1
      || pad < 0 || dilation < 1 || groups < 1 || c < 1 || c % groups != 0
      || out_channels % groups != 0)
    return fail (b, CNN_STATUS_INVALID_ARGUMENT, "conv: invalid weights, sizes or groups");
  int64_t wdims[4] = { out_channels, c / groups, kernel_h, kernel_w };
  int inputs[3] = { x, new_constant (b, "conv_w", 4, wdims, weights), -1 };
  if (bias != NULL)
    inputs[2] = new_constant (b, "conv_b", 1, &out_channels, bias);
  if (b->status != CNN_STATUS_OK)
    return -1;
  int out, node = new_node (b, "Conv", inputs, bias != NULL ? 3 : 2, &out);
  if (node < 0 || !set_ints (b, node, "kernel_shape", kernel_h, kernel_w, 0, 0, 2)
      || !set_ints (b, node, "strides", stride, stride, 0, 0, 2)
      || !set_ints (b, node, "pads", pad, pad, pad, pad, 4)
      || !set_ints (b, node, "dilations", dilation, dilation, 0, 0, 2)
      || !set_int (b, node, "group", groups))
    return -1;
  /* Shapes are inferred at prepare; keep the channel count for the next layer's checks. */
  int64_t dims[4] = { 1, out_channels, -1, -1 };
  cnn_value_set_shape (&b->g->values[out], CNN_DTYPE_FLOAT32, 4, dims);
  return with_activation (b, out, activation);
}

int
cnn_builder_pool (cnn_builder *b, int x, cnn_pool kind, int64_t kernel, int64_t stride,
    int64_t pad)
{
  if (b == NULL || !valid_value (b, x))
    return -1;
  if ((kind != CNN_POOL_MAX && kind != CNN_POOL_AVERAGE) || kernel < 1 || stride < 1
      || pad < 0 || pad >= kernel)
    return fail (b, CNN_STATUS_INVALID_ARGUMENT, "pool: invalid kind, kernel, stride or pad");
  int out, node = new_node (b, kind == CNN_POOL_MAX ? "MaxPool" : "AveragePool", &x, 1, &out);
  if (node < 0 || !set_ints (b, node, "kernel_shape", kernel, kernel, 0, 0, 2)
      || !set_ints (b, node, "strides", stride, stride, 0, 0, 2)
      || !set_ints (b, node, "pads", pad, pad, pad, pad, 4))
    return -1;
  int64_t dims[4] = { 1, channels_of (b, x), -1, -1 };
  cnn_value_set_shape (&b->g->values[out], CNN_DTYPE_FLOAT32, 4, dims);
  return out;
}

int
cnn_builder_global_pool (cnn_builder *b, int x, cnn_pool kind)
{
  static const char *const ops[CNN_POOL_COUNT] = {
    [CNN_POOL_MAX] = "GlobalMaxPool", [CNN_POOL_AVERAGE] = "GlobalAveragePool",
    [CNN_POOL_SUM] = "ReduceSum",
  };
  if (b == NULL || !valid_value (b, x))
    return -1;
  if (kind < 0 || kind >= CNN_POOL_COUNT)
    return fail (b, CNN_STATUS_INVALID_ARGUMENT, "global pool: invalid kind");
  int inputs[2] = { x, -1 };
  if (kind == CNN_POOL_SUM) {
    /* From opset 13 ReduceSum takes its axes as an input. */
    static const int64_t axes[2] = { 2, 3 };
    int64_t count = 2;
    inputs[1] = new_value (b, "axes");
    cnn_blob *blob = inputs[1] >= 0 ? cnn_blob_new (sizeof (axes)) : NULL;
    if (blob == NULL)
      return fail (b, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    memcpy (blob->data, axes, sizeof (axes));
    cnn_value_set_constant (&b->g->values[inputs[1]], CNN_DTYPE_INT64, 1, &count, blob);
  }
  int pooled, node = new_node (b, ops[kind], inputs, kind == CNN_POOL_SUM ? 2 : 1, &pooled);
  if (node < 0)
    return -1;
  int out, flat = new_node (b, "Flatten", &pooled, 1, &out);
  if (flat < 0 || !set_int (b, flat, "axis", 1))
    return -1;
  int64_t dims[2] = { 1, channels_of (b, x) };
  cnn_value_set_shape (&b->g->values[out], CNN_DTYPE_FLOAT32, 2, dims);
  return out;
}

int
cnn_builder_dense (cnn_builder *b, int x, int64_t out_features, const float *weights,
    const float *bias, cnn_activation activation)
{
  if (b == NULL || !valid_value (b, x))
    return -1;
  const cnn_value *v = &b->g->values[x];
  int64_t in_features = 1;
  for (int d = 1; d < v->rank; d++)
    in_features = v->dims[d] > 0 && in_features > 0 ? in_features * v->dims[d] : -1;
  if (weights == NULL || out_features < 1 || in_features < 1)
    return fail (b, CNN_STATUS_INVALID_ARGUMENT,
        "dense: needs weights, out_features > 0 and an input of known size (use global pool "
        "before dense)");
  int flat_in = x;
  if (v->rank != 2) {
    int node = new_node (b, "Flatten", &x, 1, &flat_in);
    if (node < 0 || !set_int (b, node, "axis", 1))
      return -1;
  }
  int64_t wdims[2] = { out_features, in_features };
  int inputs[3] = { flat_in, new_constant (b, "dense_w", 2, wdims, weights), -1 };
  if (bias != NULL)
    inputs[2] = new_constant (b, "dense_b", 1, &out_features, bias);
  if (b->status != CNN_STATUS_OK)
    return -1;
  int out, node = new_node (b, "Gemm", inputs, bias != NULL ? 3 : 2, &out);
  if (node < 0 || !set_int (b, node, "transB", 1))
    return -1;
  int64_t dims[2] = { 1, out_features };
  cnn_value_set_shape (&b->g->values[out], CNN_DTYPE_FLOAT32, 2, dims);
  return with_activation (b, out, activation);
}

int
cnn_builder_activation (cnn_builder *b, int x, cnn_activation activation, float alpha,
    float beta)
{
  static const char *const ops[CNN_ACTIVATION_COUNT] = {
    [CNN_ACTIVATION_NONE] = "Identity", [CNN_ACTIVATION_RELU] = "Relu",
    [CNN_ACTIVATION_RELU6] = "Clip", [CNN_ACTIVATION_LEAKY_RELU] = "LeakyRelu",
    [CNN_ACTIVATION_ELU] = "Elu", [CNN_ACTIVATION_CLIP] = "Clip",
    [CNN_ACTIVATION_SIGMOID] = "Sigmoid", [CNN_ACTIVATION_TANH] = "Tanh",
    [CNN_ACTIVATION_HARD_SIGMOID] = "HardSigmoid", [CNN_ACTIVATION_HARD_SWISH] = "HardSwish",
  };
  if (b == NULL || !valid_value (b, x))
    return -1;
  if (activation < 0 || activation >= CNN_ACTIVATION_COUNT)
    return fail (b, CNN_STATUS_INVALID_ARGUMENT, "invalid activation");
  int inputs[3] = { x, -1, -1 };
  int n_inputs = 1;
  if (activation == CNN_ACTIVATION_RELU6 || activation == CNN_ACTIVATION_CLIP) {
    float lo = activation == CNN_ACTIVATION_RELU6 ? 0.0f : alpha;
    float hi = activation == CNN_ACTIVATION_RELU6 ? 6.0f : beta;
    inputs[1] = new_constant (b, "clip_min", 0, NULL, &lo);
    inputs[2] = new_constant (b, "clip_max", 0, NULL, &hi);
    n_inputs = 3;
    if (b->status != CNN_STATUS_OK)
      return -1;
  }
  /* SiLU as exporters write it, x · Sigmoid(x); the load-time passes fuse the pair. */
  if (activation == CNN_ACTIVATION_SILU) {
    int s = cnn_builder_activation (b, x, CNN_ACTIVATION_SIGMOID, 0.0f, 0.0f), out;
    int mul[2] = { x, s };
    if (s < 0 || new_node (b, "Mul", mul, 2, &out) < 0)
      return -1;
    const cnn_value *v = &b->g->values[x];
    cnn_value_set_shape (&b->g->values[out], CNN_DTYPE_FLOAT32, v->rank, v->dims);
    return out;
  }
  int out, node = new_node (b, ops[activation], inputs, n_inputs, &out);
  if (node < 0)
    return -1;
  if ((activation == CNN_ACTIVATION_LEAKY_RELU || activation == CNN_ACTIVATION_ELU
          || activation == CNN_ACTIVATION_HARD_SIGMOID) && !set_float (b, node, "alpha", alpha))
    return -1;
  if (activation == CNN_ACTIVATION_HARD_SIGMOID && !set_float (b, node, "beta", beta))
    return -1;
  const cnn_value *v = &b->g->values[x];
  cnn_value_set_shape (&b->g->values[out], CNN_DTYPE_FLOAT32, v->rank, v->dims);
  return out;
}

int
cnn_builder_softmax (cnn_builder *b, int x)
{
  if (b == NULL || !valid_value (b, x))
    return -1;
  int out, node = new_node (b, "Softmax", &x, 1, &out);
  if (node < 0 || !set_int (b, node, "axis", -1))
    return -1;
  const cnn_value *v = &b->g->values[x];
  cnn_value_set_shape (&b->g->values[out], CNN_DTYPE_FLOAT32, v->rank, v->dims);
  return out;
}

int
cnn_builder_add (cnn_builder *b, int x, int y)
{
  if (b == NULL || !valid_value (b, x) || !valid_value (b, y))
    return -1;
  int inputs[2] = { x, y };
  int out, node = new_node (b, "Add", inputs, 2, &out);
  if (node < 0)
    return -1;
  const cnn_value *v = &b->g->values[x];
  cnn_value_set_shape (&b->g->values[out], CNN_DTYPE_FLOAT32, v->rank, v->dims);
  return out;
}

int
cnn_builder_output (cnn_builder *b, int x, const char *name)
{
  if (b == NULL || !valid_value (b, x))
    return -1;
  cnn_graph *g = b->g;
  if (g->values[x].is_input)
    return fail (b, CNN_STATUS_INVALID_ARGUMENT, "an input cannot be an output directly");
  if (name != NULL && name[0] != '\0') {
    if (cnn_graph_find_value (g, name) >= 0)
      return fail (b, CNN_STATUS_INVALID_ARGUMENT, "output name is already used");
    if (!cnn_graph_rename_value (g, x, name))
      return fail (b, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  }
  int *outputs = realloc (g->outputs, sizeof (int) * (size_t) (g->n_outputs + 1));
  if (outputs == NULL)
    return fail (b, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  g->outputs = outputs;
  g->outputs[g->n_outputs++] = x;
  return x;
}

cnn_status
cnn_builder_finish (cnn_builder *b, const cnn_options *options, cnn_model **model,
    cnn_error *err)
{
  cnn_status status;

  if (b == NULL || model == NULL)
    return cnn_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "no builder or model pointer");
  if (b->status != CNN_STATUS_OK) {
    status = b->status;
    if (err != NULL)
      *err = b->err;
    cnn_builder_destroy (b);
    return status;
  }
  if (b->g->n_outputs == 0) {
    status = cnn_graph_error (err, b->g, CNN_STATUS_INVALID_ARGUMENT,
        "the network has no output (call cnn_builder_output)");
    cnn_builder_destroy (b);
    return status;
  }
  if (options != NULL)
    b->g->options = cnn_options_resolve (options);
  /* Intermediate shapes were placeholders: prepare infers the real ones. */
  for (int v = 0; v < b->g->n_values; v++)
    if (!b->g->values[v].is_input && b->g->values[v].blob == NULL)
      b->g->values[v].rank = -1;
  cnn_graph *g = b->g;
  b->g = NULL;
  cnn_builder_destroy (b);
  return cnn_model_from_graph (g, model, err);
}
