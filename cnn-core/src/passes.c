/* passes.c — graph rewrites: fewer nodes and fewer passes over memory, same results. */
#include "passes.h"

#include "fusion.h"
#include "ops/ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Points every reader of value `from` at value `to` instead. */
static void
replace_uses (cnn_graph *g, int from, int to)
{
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    if (n->dead)
      continue;
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] == from)
        n->inputs[k] = to;
    if (n->fused_sum == from)
      n->fused_sum = to;
    if (n->fused_scale == from)
      n->fused_scale = to;
  }
}

static bool
is_constant (const cnn_graph *g, int id)
{
  return id >= 0 && g->values[id].blob != NULL;
}

/* The only reader of `value` is one live node, and the caller does not see it. */
static bool
single_private_use (const cnn_graph *g, int value)
{
  const cnn_value *v = &g->values[value];
  return v->consumers == 1 && !v->is_output && !v->is_input;
}

/* A Constant node holding a tensor is a constant from the start, so the passes below can read
 * its value (Clip bounds, BatchNormalization parameters). */
static void
materialize_constants (cnn_graph *g)
{
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    if (n->dead || n->op != CNN_OP_CONSTANT)
      continue;
    const cnn_attr *a = cnn_node_attr (n, "value");
    if (a == NULL || a->type != CNN_ATTR_TENSOR || a->tensor < 0)
      continue;
    const cnn_value *src = &g->values[a->tensor];
    cnn_value *out = &g->values[n->outputs[0]];
    if (src->blob == NULL || out->is_input)
      continue;
    cnn_value_set_constant (out, src->dtype, src->rank, src->dims, cnn_blob_ref (src->blob));
    n->dead = true;
  }
}

/* Ops that pass their input through (Identity, Dropout in inference) disappear. */
static void
remove_identities (cnn_graph *g)
{
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    if (n->dead || !cnn_op_has_trait (n->op, CNN_OP_TRAIT_PASSES_THROUGH))
      continue;
    int in = n->inputs[0], out = n->outputs[0];
    bool mask_used = n->n_outputs > 1 && (g->values[n->outputs[1]].consumers > 0
        || g->values[n->outputs[1]].is_output);
    if (g->values[out].is_output || mask_used)
      continue;
    replace_uses (g, out, in);
    n->dead = true;
  }
}

/* Conv → BatchNormalization becomes one Conv with scaled weights and a new bias. New
 * constants are created so that weights shared with other nodes stay intact. */
static cnn_status
fold_batch_norms (cnn_graph *g, cnn_error *err)
{
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *bn = &g->nodes[i];
    if (bn->dead || bn->op != CNN_OP_BATCH_NORMALIZATION || bn->n_outputs > 1)
      continue;
    int x = bn->inputs[0];
    if (g->values[x].producer < 0 || !single_private_use (g, x))
      continue;
    cnn_node *conv = &g->nodes[g->values[x].producer];
    if (conv->dead || conv->op != CNN_OP_CONV || conv->act != CNN_ACTIVATION_NONE
        || conv->fused_sum >= 0 || !is_constant (g, conv->inputs[1]))
      continue;
    int bias_id = conv->n_inputs > 2 ? conv->inputs[2] : -1;
    if (bias_id >= 0 && !is_constant (g, bias_id))
      continue;
    bool params_constant = true;
    for (int k = 1; k < 5; k++)
      params_constant = params_constant && is_constant (g, bn->inputs[k]);
    if (!params_constant)
      continue;

    const cnn_value *w = &g->values[conv->inputs[1]];
    uint64_t w_count, per_channel;
    if (w->dtype != CNN_DTYPE_FLOAT32 || w->rank < 3 || !cnn_value_elements (w, &w_count))
      continue;
    int64_t m = w->dims[0];
    bool sizes_ok = m > 0;
    for (int k = 1; k < 5 && sizes_ok; k++) {
      uint64_t count;
      const cnn_value *p = &g->values[bn->inputs[k]];
      sizes_ok = p->dtype == CNN_DTYPE_FLOAT32 && cnn_value_elements (p, &count)
          && count == (uint64_t) m;
    }
    if (bias_id >= 0) {
      uint64_t count;
      sizes_ok = sizes_ok && g->values[bias_id].dtype == CNN_DTYPE_FLOAT32
          && cnn_value_elements (&g->values[bias_id], &count) && count == (uint64_t) m;
    }
    if (!sizes_ok)
      continue;
    per_channel = w_count / (uint64_t) m;

    const float *scale = (const float *) g->values[bn->inputs[1]].blob->data;
    const float *shift = (const float *) g->values[bn->inputs[2]].blob->data;
    const float *mean = (const float *) g->values[bn->inputs[3]].blob->data;
    const float *var = (const float *) g->values[bn->inputs[4]].blob->data;
    const float *old_w = (const float *) w->blob->data;
    const float *old_b = bias_id >= 0 ? (const float *) g->values[bias_id].blob->data : NULL;
    float epsilon = cnn_node_attr_float (bn, "epsilon", 1e-5f);

    cnn_blob *new_w = cnn_blob_new (w_count * sizeof (float));
    cnn_blob *new_b = cnn_blob_new ((size_t) m * sizeof (float));
    int w_id = cnn_graph_value (g, "");
    int b_id = w_id >= 0 ? cnn_graph_value (g, "") : -1;
    if (new_w == NULL || new_b == NULL || w_id < 0 || b_id < 0) {
      cnn_blob_unref (new_w);
      cnn_blob_unref (new_b);
      return cnn_node_error (err, g, bn, CNN_STATUS_OUT_OF_MEMORY, "out of memory folding");
    }
    /* cnn_graph_value may have moved the value array. */
    w = &g->values[conv->inputs[1]];
    float *fw = (float *) new_w->data, *fb = (float *) new_b->data;
    for (int64_t c = 0; c < m; c++) {
      float s = scale[c] / sqrtf (var[c] + epsilon);
      for (uint64_t k = 0; k < per_channel; k++)
        fw[(uint64_t) c * per_channel + k] = old_w[(uint64_t) c * per_channel + k] * s;
      fb[c] = ((old_b != NULL ? old_b[c] : 0.0f) - mean[c]) * s + shift[c];
    }
    cnn_value_set_constant (&g->values[w_id], CNN_DTYPE_FLOAT32, w->rank, w->dims, new_w);
    cnn_value_set_constant (&g->values[b_id], CNN_DTYPE_FLOAT32, 1, &m, new_b);

    if (conv->n_inputs < 3) {
      int *inputs = realloc (conv->inputs, sizeof (int) * 3);
      if (inputs == NULL)
        return cnn_node_error (err, g, conv, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
      conv->inputs = inputs;
      conv->n_inputs = 3;
    }
    conv->inputs[1] = w_id;
    conv->inputs[2] = b_id;
    conv->outputs[0] = bn->outputs[0];
    bn->dead = true;
  }
  return CNN_STATUS_OK;
}

static void
fuse_activations (cnn_graph *g)
{
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *a = &g->nodes[i];
    cnn_activation act;
    float alpha, beta;
    const cnn_op_def *def = cnn_op_def_of (a);
    if (a->dead || def->activation == NULL || !def->activation (g, a, &act, &alpha, &beta))
      continue;
    int x = a->inputs[0];
    if (g->values[x].producer < 0 || !single_private_use (g, x))
      continue;
    cnn_node *p = &g->nodes[g->values[x].producer];
    if (p->dead || !cnn_op_has_trait (p->op, CNN_OP_TRAIT_FUSES_ACTIVATION) || p->act != CNN_ACTIVATION_NONE
        || p->n_outputs != 1)
      continue;
    p->act = act;
    p->act_alpha = alpha;
    p->act_beta = beta;
    p->outputs[0] = a->outputs[0];
    a->dead = true;
  }
}

/* SiLU as exporters write it, Mul(x, Sigmoid(x)), becomes the epilogue of the node that
 * produces x when nothing else reads x or the sigmoid (EfficientNet: 49 of them). */
static void
fuse_silu (cnn_graph *g)
{
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *mul = &g->nodes[i];
    if (mul->dead || mul->op != CNN_OP_MUL || mul->n_inputs != 2 || mul->n_outputs != 1)
      continue;
    for (int side = 0; side < 2; side++) {
      int x = mul->inputs[1 - side], s = mul->inputs[side];
      const cnn_value *xv = &g->values[x], *sv = &g->values[s];
      if (x == s || xv->producer < 0 || sv->producer < 0 || !single_private_use (g, s)
          || xv->consumers != 2 || xv->is_output || xv->is_input)
        continue;
      cnn_node *sig = &g->nodes[sv->producer], *p = &g->nodes[xv->producer];
      if (sig->dead || sig->op != CNN_OP_SIGMOID || sig->inputs[0] != x || p->dead
          || !cnn_op_has_trait (p->op, CNN_OP_TRAIT_FUSES_ACTIVATION)
          || p->act != CNN_ACTIVATION_NONE || p->n_outputs != 1)
        continue;   /* x · sigmoid(x) has x's shape: no broadcasting to check */
      p->act = CNN_ACTIVATION_SILU;
      p->act_alpha = p->act_beta = 0.0f;
      p->outputs[0] = mul->outputs[0];
      sig->dead = mul->dead = true;
      break;
    }
  }
}

/* Nodes nobody reads from: mark dead, repeating until nothing changes. */
static void
remove_dead_nodes (cnn_graph *g)
{
  bool changed = true;
  while (changed) {
    changed = false;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
      cnn_node *n = &g->nodes[i];
      if (n->dead)
        continue;
      bool used = false;
      for (int o = 0; o < n->n_outputs && !used; o++) {
        const cnn_value *v = &g->values[n->outputs[o]];
        used = v->is_output || v->consumers > 0;
      }
      if (used)
        continue;
      n->dead = true;
      changed = true;
      for (int k = 0; k < n->n_inputs + CNN_NODE_FUSED_READS; k++) {
        int id = cnn_node_read (n, k);
        if (id >= 0)
          g->values[id].consumers--;
      }
    }
  }
}

cnn_status
cnn_passes_load (cnn_graph *g, cnn_error *err)
{
  cnn_status status;

  materialize_constants (g);
  remove_identities (g);
  if ((status = cnn_graph_sort (g, err)) != CNN_STATUS_OK)
    return status;
  if ((status = cnn_fuse_patterns (g, err)) != CNN_STATUS_OK)
    return status;
  if ((status = fold_batch_norms (g, err)) != CNN_STATUS_OK)
    return status;
  if ((status = cnn_graph_sort (g, err)) != CNN_STATUS_OK)
    return status;
  fuse_silu (g);
  fuse_activations (g);
  if ((status = cnn_graph_sort (g, err)) != CNN_STATUS_OK)
    return status;
  remove_dead_nodes (g);
  return cnn_graph_sort (g, err);
}

static bool
same_shape (const cnn_value *a, const cnn_value *b)
{
  if (a->rank != b->rank || a->dtype != b->dtype)
    return false;
  for (int d = 0; d < a->rank; d++)
    if (a->dims[d] != b->dims[d])
      return false;
  return true;
}

/* gate [N, C, 1, 1] holds one factor per image and channel of x [N, C, H, W], both float32. */
static bool
is_channel_gate (const cnn_value *gate, const cnn_value *x)
{
  return gate->rank == 4 && x->rank == 4 && gate->dtype == CNN_DTYPE_FLOAT32
      && x->dtype == CNN_DTYPE_FLOAT32 && gate->dims[0] == x->dims[0]
      && gate->dims[1] == x->dims[1] && gate->dims[2] == 1 && gate->dims[3] == 1;
}

/* reader[v]: the index of a live node that reads value v (the last one), or -1; for a value
 * of one consumer, its only reader. One pass, so a graph of many gates stays linear. NULL
 * when out of memory. */
static int *
value_readers (const cnn_graph *g)
{
  int *reader = malloc (sizeof (int) * ((size_t) g->n_values + 1));

  if (reader == NULL)
    return NULL;
  for (int v = 0; v < g->n_values; v++)
    reader[v] = -1;
  for (int i = 0; i < g->n_nodes; i++) {
    const cnn_node *n = &g->nodes[i];
    if (n->dead || n->folded)
      continue;
    for (int k = 0; k < n->n_inputs + CNN_NODE_FUSED_READS; k++)
      if (cnn_node_read (n, k) >= 0)
        reader[cnn_node_read (n, k)] = i;
  }
  return reader;
}

/* A squeeze-excitation's Mul (x, gate), gate [N, C, 1, 1], read by a 1×1 conv alone becomes
 * that conv's fused_scale: the conv reads x and scales its weights' columns by the gate per
 * run (conv.c), so the Mul's pass over x disappears. Only on maps of at least
 * SE_FOLD_MIN_POSITIONS positions per output channel: scaling the weights costs M·C
 * multiplies, the Mul C·H·W, and threads that split the columns each scale all of W.
 * EfficientNet-B0, Zen 4 (ab-layers, 60-80 runs): the projections of features.1 to 3 (19.6 to
 * 784 positions per channel) gain more than their Mul's time; features.4's (14×14, 80
 * channels: 2.45) cost what their Mul did at 1 thread (+0.024 ms against 0.023 for the
 * three) and a little more at 2, features.5's (1.75) lost 0.010-0.016 ms per conv against a
 * Mul of 0.009-0.014; 7×7 blocks keep their Mul. MobileNetV3-small's 14×14 ones (40 and 48
 * channels: 4.1 to 4.9) gain at both. Not in bf16, whose weights are packed once. The gate
 * and the product must have no other reader: another Mul or consumer of either still needs
 * them. */
#define SE_FOLD_MIN_POSITIONS 3
static bool
fold_channel_gates (cnn_graph *g)
{
  bool changed = false;

  if (g->options.precision != CNN_PRECISION_FP32)
    return false;
  /* Without memory for the index the Muls stay: slower, same results. */
  int *reader = value_readers (g);
  if (reader == NULL)
    return false;
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *mul = &g->nodes[i];
    if (mul->dead || mul->folded || mul->op != CNN_OP_MUL || mul->n_inputs != 2
        || mul->act != CNN_ACTIVATION_NONE || !single_private_use (g, mul->outputs[0]))
      continue;
    int y = mul->outputs[0];
    cnn_node *conv = reader[y] >= 0 ? &g->nodes[reader[y]] : NULL;
    if (conv == NULL || !cnn_op_has_trait (conv->op, CNN_OP_TRAIT_FUSES_INPUT_SCALE)
        || conv->fused_scale >= 0 || conv->inputs[0] != y || conv->n_inputs < 2
        || conv->inputs[1] == y || (conv->n_inputs > 2 && conv->inputs[2] == y)
        || !is_constant (g, conv->inputs[1]) || cnn_node_attr_int (conv, "group", 1) != 1)
      continue;
    const cnn_value *w = &g->values[conv->inputs[1]];
    for (int side = 0; side < 2; side++) {
      int x = mul->inputs[1 - side], gate = mul->inputs[side];
      const cnn_value *xv = &g->values[x], *gv = &g->values[gate];
      if (x == gate || !is_channel_gate (gv, xv) || !same_shape (xv, &g->values[y])
          || !single_private_use (g, gate) || w->rank != 4 || w->dims[1] != xv->dims[1]
          || w->dims[2] != 1 || w->dims[3] != 1
          || xv->dims[2] * xv->dims[3] < SE_FOLD_MIN_POSITIONS * w->dims[0])
        continue;
      conv->inputs[0] = x;
      conv->fused_scale = gate;
      mul->dead = true;
      changed = true;
      break;
    }
  }
  free (reader);
  return changed;
}

cnn_status
cnn_passes_prepare (cnn_graph *g, cnn_error *err)
{
  bool changed = fold_channel_gates (g);

  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *add = &g->nodes[i];
    if (add->dead || add->folded || add->op != CNN_OP_ADD)
      continue;
    const cnn_value *out = &g->values[add->outputs[0]];
    for (int side = 0; side < 2; side++) {
      int x = add->inputs[side], other = add->inputs[1 - side];
      const cnn_value *xv = &g->values[x], *ov = &g->values[other];
      if (xv->producer < 0 || xv->blob != NULL || ov->blob != NULL || x == other
          || !single_private_use (g, x) || !same_shape (xv, out) || !same_shape (ov, out)
          || out->dtype != CNN_DTYPE_FLOAT32)
        continue;
      cnn_node *conv = &g->nodes[xv->producer];
      if (conv->dead || conv->folded || !cnn_op_has_trait (conv->op, CNN_OP_TRAIT_FUSES_SUM)
          || conv->act != CNN_ACTIVATION_NONE || conv->fused_sum >= 0)
        continue;
      conv->fused_sum = other;
      conv->act = add->act;
      conv->act_alpha = add->act_alpha;
      conv->act_beta = add->act_beta;
      conv->outputs[0] = add->outputs[0];
      add->dead = true;
      changed = true;
      break;
    }
  }
  /* The fused sum and scale are new dependencies of the conv: order again. */
  return changed ? cnn_graph_sort (g, err) : CNN_STATUS_OK;
}
