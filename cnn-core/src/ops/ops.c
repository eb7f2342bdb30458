/* ops.c — the operator table built from CNN_OP_LIST, op lookup and binding. */
#include "ops.h"

#include <stdlib.h>
#include <string.h>

const cnn_op_row cnn_op_table[CNN_OP_COUNT] = {
#define CNN_OP_ROW(id, name, op_traits) [CNN_OP_##id] = { .def = &cnn_op_##name, .traits = (op_traits) },
  CNN_OP_LIST (CNN_OP_ROW)
#undef CNN_OP_ROW
};

const char *
cnn_op_name (size_t index)
{
  return index < CNN_OP_COUNT ? cnn_op_table[index].def->name : NULL;
}

int
cnn_op_find (const char *domain, const char *op_type)
{
  if (domain != NULL && domain[0] != '\0' && strcmp (domain, "ai.onnx") != 0)
    return -1;
  for (int i = 0; i < CNN_OP_COUNT; i++)
    if (strcmp (cnn_op_table[i].def->name, op_type) == 0)
      return i;
  return -1;
}

cnn_status
cnn_ops_bind (cnn_graph *g, cnn_error *err)
{
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    if (n->dead || n->op >= 0)
      continue;
    int op = cnn_op_find (n->domain, n->op_type);
    if (op < 0) {
      if (n->domain[0] != '\0' && strcmp (n->domain, "ai.onnx") != 0)
        return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
            "op domain '%s' is not supported (only the default ONNX domain is)", n->domain);
      return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
          "op type '%s' is not supported", n->op_type);
    }
    const cnn_op_def *def = cnn_op_table[op].def;
    int present = n->n_inputs;
    while (present > 0 && n->inputs[present - 1] < 0)
      present--;
    if (present < def->min_inputs || n->n_inputs > def->max_inputs)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "has %d inputs; %s takes %d to %d", n->n_inputs, def->name, def->min_inputs,
          def->max_inputs);
    if (n->n_outputs < def->min_outputs || n->n_outputs > def->max_outputs)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "has %d outputs; %s produces %d to %d", n->n_outputs, def->name,
          def->min_outputs, def->max_outputs);
    for (int k = 0; k < def->min_inputs; k++)
      if (n->inputs[k] < 0)
        return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
            "required input %d is missing", k);
    n->op = op;
    if (def->parse != NULL) {
      cnn_status status = def->parse (g, n, err);
      if (status != CNN_STATUS_OK)
        return status;
    }
  }
  return CNN_STATUS_OK;
}


size_t
cnn_layer_io_slots (const cnn_node *n)
{
  return (size_t) n->n_inputs + (size_t) n->n_outputs;
}

void
cnn_layer_io_bind (const cnn_graph *g, const cnn_node *n, const cnn_value **slots,
    cnn_layer_io *io)
{
  for (int i = 0; i < n->n_inputs; i++)
    slots[i] = n->inputs[i] >= 0 ? &g->values[n->inputs[i]] : NULL;
  for (int i = 0; i < n->n_outputs; i++)
    slots[n->n_inputs + i] = n->outputs[i] >= 0 ? &g->values[n->outputs[i]] : NULL;
  *io = (cnn_layer_io) {
    .in = slots,
    .out = slots + n->n_inputs,
    .sum = n->fused_sum >= 0 ? &g->values[n->fused_sum] : NULL,
    .scale = n->fused_scale >= 0 ? &g->values[n->fused_scale] : NULL,
    .n_in = n->n_inputs,
    .n_out = n->n_outputs,
  };
}

void
cnn_node_release_packed (cnn_node *n)
{
  const cnn_op_def *def = n->op >= 0 && n->op < CNN_OP_COUNT ? cnn_op_table[n->op].def : NULL;

  if (n->packed != NULL) {
    if (def != NULL && def->free_packed != NULL)
      def->free_packed (n->packed);
    else
      free (n->packed);
  }
  n->packed = NULL;
  n->workspace = 0;
  n->shared_workspace = 0;
}

void
cnn_ops_release (cnn_graph *g)
{
  if (g == NULL)
    return;
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    const cnn_op_def *def = n->op >= 0 && n->op < CNN_OP_COUNT ? cnn_op_table[n->op].def : NULL;
    cnn_node_release_packed (n);
    if (n->params != NULL) {
      if (def != NULL && def->free_params != NULL)
        def->free_params (n->params);
      else
        free (n->params);
    }
    n->params = NULL;
  }
}
