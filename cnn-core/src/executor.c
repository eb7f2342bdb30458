/* executor.c — runs a prepared model: binds the caller's buffers, then calls each layer's
 * kernel in order on the model's thread pool. Allocates nothing. */
#include "model.h"

#include "ops/ops.h"

#include <string.h>
#include <time.h>

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec * 1e-6;
}

cnn_status
cnn_model_run (cnn_model *model, const void *const *inputs, void *const *outputs,
    cnn_error *err)
{
  if (model == NULL || (model->g->n_inputs > 0 && inputs == NULL)
      || (model->g->n_outputs > 0 && outputs == NULL))
    return cnn_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "missing input or output buffers");
  if (!model->prepared)
    return cnn_set_error (err, CNN_STATUS_NOT_PREPARED, "%s: call cnn_model_prepare before "
        "cnn_model_run", model->g->source);
  cnn_graph *g = model->g;
  for (int i = 0; i < g->n_inputs; i++) {
    cnn_value *v = &g->values[g->inputs[i]];
    if (v->blob != NULL) {      /* given before prepare: cnn_model_set_input_value */
      v->ptr = v->blob->data;
      continue;
    }
    if (inputs[i] == NULL)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_ARGUMENT, "input %d is NULL", i);
    v->ptr = (void *) inputs[i];
  }
  for (int i = 0; i < g->n_outputs; i++) {
    cnn_value *v = &g->values[g->outputs[i]];
    if (outputs[i] == NULL)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_ARGUMENT, "output %d is NULL", i);
    /* Outputs a node computes are written straight into the caller's buffer. */
    if (!v->is_input && v->blob == NULL)
      v->ptr = outputs[i];
  }

  cnn_exec exec = {
    .pool = model->pool,
    .workspace = model->workspace,
    .workspace_stride = model->workspace_stride,
    .shared = model->shared,
  };
  for (int l = 0; l < model->n_layers; l++) {
    cnn_node *n = &g->nodes[model->layers[l]];
    double start = model->profiling ? now_ms () : 0.0;
    cnn_op_def_of (n)->run (n, &model->layer_io[l], &exec);
    if (model->profiling)
      n->time_ms += now_ms () - start;
  }

  /* Outputs that are constants or inputs were never written by a node. */
  for (int i = 0; i < g->n_outputs; i++) {
    cnn_value *v = &g->values[g->outputs[i]];
    uint64_t bytes;
    if ((v->is_input || v->blob != NULL) && cnn_value_bytes (v, &bytes))
      memmove (outputs[i], v->is_input ? v->ptr : v->blob->data, (size_t) bytes);
  }
  return CNN_STATUS_OK;
}
void
cnn_model_set_profiling (cnn_model *model, bool enabled)
{
  if (model == NULL)
    return;
  model->profiling = enabled;
  for (int i = 0; i < model->g->n_nodes; i++)
    model->g->nodes[i].time_ms = 0.0;
}
