/* fusion.c — load-time recognition of the op chains exporters write for operations ONNX had
 * no op for: one node instead of five to nine, one pass over memory instead of as many.
 *
 * GELU (an op only from opset 20) as PyTorch writes it:
 *     y = Mul (Mul (x, Add (Erf (Div (x, √2)), 1)), 0.5)
 *   or  Mul (Mul (x, 0.5), Add (Erf (...), 1)), and Mul (x, 1/√2) for the Div
 *   → Gelu (x)
 * LayerNormalization (an op only from opset 17) as PyTorch writes it before:
 *     m = ReduceMean (x, trailing axes); d = Sub (x, m);
 *     y = Div (d, Sqrt (Add (ReduceMean (Pow (d, 2)), eps)))      [then Mul (y, γ), Add (·, β)]
 *   → LayerNormalization (x, γ, β, axis = -k, epsilon = eps)
 * Every intermediate must be read by the chain alone (not a graph output, no other reader);
 * constants must be the exact scalars the pattern needs. What does not match stays as it is.
 */
#include "fusion.h"

#include "ops/ops.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The node producing value v, if it is a live node of op kind `op`; else NULL. */
static cnn_node *
producer_of (cnn_graph *g, int v, int op)
{
  if (v < 0 || g->values[v].producer < 0)
    return NULL;
  cnn_node *n = &g->nodes[g->values[v].producer];
  return !n->dead && n->op == op ? n : NULL;
}

/* Value v is read by exactly `uses` live nodes and is no graph output. */
static bool
private_value (const cnn_graph *g, int v, int uses)
{
  const cnn_value *val = &g->values[v];
  return val->consumers == uses && !val->is_output && !val->is_input;
}

/* The only live reader of value v, if it is of op kind `op`; else NULL. */
static cnn_node *
sole_reader (cnn_graph *g, int v, int op)
{
  if (!private_value (g, v, 1))
    return NULL;
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    if (n->dead)
      continue;
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] == v)
        return n->op == op ? n : NULL;
  }
  return NULL;
}

/* Value v is a float32 constant with one element; its value in *out. */
static bool
scalar_const (const cnn_graph *g, int v, float *out)
{
  const cnn_value *val = v >= 0 ? &g->values[v] : NULL;
  uint64_t count;

  if (val == NULL || val->blob == NULL || val->dtype != CNN_DTYPE_FLOAT32
      || !cnn_value_elements (val, &count) || count != 1 || val->blob->size < sizeof (float))
    return false;
  memcpy (out, val->blob->data, sizeof (float));
  return true;
}

static bool
near (float a, float b)
{
  return fabsf (a - b) <= 1e-5f * fabsf (b);
}

/* Binary node n has constant scalar operand ≈ want on one side: the other side's value id in
 * *other, else false. */
static bool
with_scalar (const cnn_graph *g, const cnn_node *n, float want, int *other)
{
  float c;

  for (int side = 0; side < 2; side++)
    if (scalar_const (g, n->inputs[side], &c) && near (c, want)) {
      *other = n->inputs[1 - side];
      return true;
    }
  return false;
}

/* Adds a node of kind `op` named after `like`, binds it, and returns its index (-1: out of
 * memory). g->nodes may move: callers re-fetch node pointers. */
static int
add_fused_node (cnn_graph *g, int op, const char *like, const int *inputs, int n_inputs,
    int output, cnn_error *err)
{
  char name[256];

  snprintf (name, sizeof (name), "%s/%s", like, cnn_op_table[op].def->name);
  int id = cnn_graph_add_node (g, name, cnn_op_table[op].def->name, "", inputs, n_inputs,
      &output, 1);
  if (id < 0)
    cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  return id;
}

/* ---- GELU ------------------------------------------------------------------------------- */

static cnn_status
fuse_gelu (cnn_graph *g, int erf_index, bool *changed, cnn_error *err)
{
  cnn_node *erf = &g->nodes[erf_index];
  int x, a_other, y, m_other;
  cnn_node *scale_node, *add, *mul1, *mul2, *half = NULL;

  /* x / √2 or x · (1/√2) */
  if ((scale_node = producer_of (g, erf->inputs[0], CNN_OP_DIV)) != NULL) {
    float c;
    if (!scalar_const (g, scale_node->inputs[1], &c) || !near (c, 1.41421356f))
      return CNN_STATUS_OK;
    x = scale_node->inputs[0];
  } else if ((scale_node = producer_of (g, erf->inputs[0], CNN_OP_MUL)) == NULL
      || !with_scalar (g, scale_node, 0.70710678f, &x)) {
    return CNN_STATUS_OK;
  }
  if (!private_value (g, erf->inputs[0], 1)
      || (add = sole_reader (g, erf->outputs[0], CNN_OP_ADD)) == NULL
      || !with_scalar (g, add, 1.0f, &a_other) || a_other != erf->outputs[0]
      || (mul1 = sole_reader (g, add->outputs[0], CNN_OP_MUL)) == NULL)
    return CNN_STATUS_OK;
  m_other = mul1->inputs[0] == add->outputs[0] ? mul1->inputs[1] : mul1->inputs[0];
  if (m_other == x) {
    /* (x · a) · 0.5 */
    if ((mul2 = sole_reader (g, mul1->outputs[0], CNN_OP_MUL)) == NULL
        || !with_scalar (g, mul2, 0.5f, &a_other) || a_other != mul1->outputs[0])
      return CNN_STATUS_OK;
    y = mul2->outputs[0];
  } else {
    /* (x · 0.5) · a */
    int hx;
    if ((half = producer_of (g, m_other, CNN_OP_MUL)) == NULL
        || !with_scalar (g, half, 0.5f, &hx) || hx != x || !private_value (g, m_other, 1))
      return CNN_STATUS_OK;
    mul2 = NULL;
    y = mul1->outputs[0];
  }
  if (mul1->act != CNN_ACTIVATION_NONE || add->act != CNN_ACTIVATION_NONE
      || (mul2 != NULL && mul2->act != CNN_ACTIVATION_NONE))
    return CNN_STATUS_OK;

  scale_node->dead = erf->dead = add->dead = mul1->dead = true;
  if (mul2 != NULL)
    mul2->dead = true;
  if (half != NULL)
    half->dead = true;
  char like[200];
  snprintf (like, sizeof (like), "%s", erf->name);
  if (add_fused_node (g, CNN_OP_GELU, like, &x, 1, y, err) < 0)
    return CNN_STATUS_OUT_OF_MEMORY;
  *changed = true;
  return CNN_STATUS_OK;
}

/* ---- LayerNormalization ----------------------------------------------------------------- */

/* A ReduceMean over trailing axes -k .. -1 with keepdims: k, else 0. Axes are an attribute
 * before opset 18, a constant input from it. */
static int
trailing_mean_axes (const cnn_graph *g, const cnn_node *n)
{
  const int64_t *axes = NULL;
  int64_t from_input[CNN_MAX_RANK];
  size_t count = 0;

  if (cnn_node_attr_int (n, "keepdims", 1) == 0)
    return 0;
  if (n->n_inputs > 1 && n->inputs[1] >= 0) {
    const cnn_value *v = &g->values[n->inputs[1]];
    uint64_t k;
    if (v->blob == NULL || v->dtype != CNN_DTYPE_INT64 || !cnn_value_elements (v, &k)
        || k == 0 || k > CNN_MAX_RANK || v->blob->size < k * sizeof (int64_t))
      return 0;
    memcpy (from_input, v->blob->data, (size_t) k * sizeof (int64_t));
    axes = from_input;
    count = (size_t) k;
  } else {
    count = cnn_node_attr_ints (n, "axes", &axes);
  }
  if (count == 0 || count > CNN_MAX_RANK)
    return 0;
  /* {-k, ..., -1} in any order. */
  bool seen[CNN_MAX_RANK + 1] = { false };
  for (size_t i = 0; i < count; i++) {
    if (axes[i] >= 0 || axes[i] < -(int64_t) count || seen[-axes[i]])
      return 0;
    seen[-axes[i]] = true;
  }
  return (int) count;
}

/* An exponent-2 square of d: Pow (d, 2) or Mul (d, d). */
static bool
is_square_of (const cnn_graph *g, const cnn_node *n, int d)
{
  float c;

  if (n->op == CNN_OP_POW)
    return n->inputs[0] == d && scalar_const (g, n->inputs[1], &c) && c == 2.0f;
  return n->op == CNN_OP_MUL && n->inputs[0] == d && n->inputs[1] == d;
}

/* A constant per-element parameter for an axis = -1 LayerNormalization: 1-D. */
static bool
row_param (const cnn_graph *g, int v, int k)
{
  const cnn_value *val = &g->values[v];
  return k == 1 && val->blob != NULL && val->dtype == CNN_DTYPE_FLOAT32 && val->rank == 1;
}

static cnn_status
fuse_layernorm (cnn_graph *g, int sub_index, bool *changed, cnn_error *err)
{
  cnn_node *sub = &g->nodes[sub_index];
  int x = sub->inputs[0], d = sub->outputs[0];
  cnn_node *mean1 = producer_of (g, sub->inputs[1], CNN_OP_REDUCE_MEAN);
  int k = mean1 != NULL ? trailing_mean_axes (g, mean1) : 0;

  if (k == 0 || mean1->inputs[0] != x || !private_value (g, sub->inputs[1], 1)
      || !private_value (g, d, 2) || sub->act != CNN_ACTIVATION_NONE)
    return CNN_STATUS_OK;
  /* d's two readers: the square and the Div. */
  cnn_node *square = NULL, *div = NULL;
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    if (n->dead)
      continue;
    bool reads = false;
    for (int j = 0; j < n->n_inputs; j++)
      reads |= n->inputs[j] == d;
    if (!reads)
      continue;
    if (n->op == CNN_OP_DIV && n->inputs[0] == d)
      div = n;
    else if (is_square_of (g, n, d))
      square = n;
  }
  if (square == NULL || div == NULL)
    return CNN_STATUS_OK;
  cnn_node *mean2 = sole_reader (g, square->outputs[0], CNN_OP_REDUCE_MEAN);
  cnn_node *add = mean2 != NULL ? sole_reader (g, mean2->outputs[0], CNN_OP_ADD) : NULL;
  cnn_node *sqrt_node = add != NULL ? sole_reader (g, add->outputs[0], CNN_OP_SQRT) : NULL;
  int var, other;
  float eps;
  if (sqrt_node == NULL || trailing_mean_axes (g, mean2) != k
      || div->inputs[1] != sqrt_node->outputs[0] || !private_value (g, sqrt_node->outputs[0], 1)
      || add->act != CNN_ACTIVATION_NONE || div->act != CNN_ACTIVATION_NONE)
    return CNN_STATUS_OK;
  var = mean2->outputs[0];
  other = add->inputs[0] == var ? add->inputs[1] : add->inputs[0];
  if (!scalar_const (g, other, &eps) || eps < 0.0f)
    return CNN_STATUS_OK;

  /* The affine part, when it is one value per element of the last axis. */
  int y = div->outputs[0], scale = -1, bias = -1;
  cnn_node *mul = sole_reader (g, y, CNN_OP_MUL), *shift = NULL;
  if (mul != NULL && mul->act == CNN_ACTIVATION_NONE) {
    int gamma = mul->inputs[0] == y ? mul->inputs[1] : mul->inputs[0];
    if (row_param (g, gamma, k)) {
      scale = gamma;
      y = mul->outputs[0];
      shift = sole_reader (g, y, CNN_OP_ADD);
      if (shift != NULL && shift->act == CNN_ACTIVATION_NONE) {
        int beta = shift->inputs[0] == y ? shift->inputs[1] : shift->inputs[0];
        if (row_param (g, beta, k)) {
          bias = beta;
          y = shift->outputs[0];
        } else {
          shift = NULL;
        }
      } else {
        shift = NULL;
      }
    } else {
      mul = NULL;
    }
  } else {
    mul = NULL;
  }

  char like[200];
  snprintf (like, sizeof (like), "%s", div->name);
  mean1->dead = sub->dead = square->dead = mean2->dead = add->dead = sqrt_node->dead = true;
  div->dead = true;
  if (mul != NULL)
    mul->dead = true;
  if (shift != NULL)
    shift->dead = true;
  if (scale < 0) {
    /* No γ: a scale of one. */
    char name[256];
    cnn_blob *one = cnn_blob_new (sizeof (float));
    snprintf (name, sizeof (name), "%s/LayerNormalization/scale", like);
    if (one == NULL || (scale = cnn_graph_value (g, name)) < 0) {
      cnn_blob_unref (one);
      return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    }
    *(float *) one->data = 1.0f;
    cnn_value_set_constant (&g->values[scale], CNN_DTYPE_FLOAT32, 0, NULL, one);
  }
  int inputs[3] = { x, scale, bias };
  int id = add_fused_node (g, CNN_OP_LAYER_NORMALIZATION, like, inputs, bias >= 0 ? 3 : 2, y,
      err);
  if (id < 0)
    return CNN_STATUS_OUT_OF_MEMORY;
  /* Each cnn_node_add_attr may move the node's attributes: set one before adding the next. */
  cnn_attr *a = cnn_node_add_attr (g, id, "axis", CNN_ATTR_INT);
  if (a == NULL)
    return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  a->i = -k;
  if ((a = cnn_node_add_attr (g, id, "epsilon", CNN_ATTR_FLOAT)) == NULL)
    return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  a->f = eps;
  *changed = true;
  return CNN_STATUS_OK;
}

cnn_status
cnn_fuse_patterns (cnn_graph *g, cnn_error *err)
{
  bool changed = false;
  cnn_status status = CNN_STATUS_OK;
  int n_nodes = g->n_nodes;     /* nodes added here are not looked at again */

  for (int i = 0; i < n_nodes && status == CNN_STATUS_OK; i++) {
    const cnn_node *n = &g->nodes[i];
    if (n->dead)
      continue;
    if (n->op == CNN_OP_ERF)
      status = fuse_gelu (g, i, &changed, err);
    else if (n->op == CNN_OP_SUB)
      status = fuse_layernorm (g, i, &changed, err);
  }
  if (status != CNN_STATUS_OK || !changed)
    return status;
  /* The new nodes: bind them to their ops (parse their attributes), then order the graph. */
  if ((status = cnn_ops_bind (g, err)) != CNN_STATUS_OK)
    return status;
  return cnn_graph_sort (g, err);
}
