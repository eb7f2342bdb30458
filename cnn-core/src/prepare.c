/* prepare.c — everything that depends on input shapes, done once per shape: shape inference,
 * folding of sub-graphs whose inputs are known (shape arithmetic, constants), prepare-time
 * passes, weight packing, the memory plan, and the per-layer report's receptive fields. */
#include "model.h"

#include "cam.h"
#include "kernels/activation.h"
#include "ops/ops.h"
#include "passes.h"
#include "planner.h"
#include "receptive-field.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cnn_model_release_plan (cnn_model *m)
{
  free (m->arena);
  free (m->workspace);
  free (m->layers);
  free (m->layer_io);
  free (m->layer_slots);
  if (m->layer_ops != NULL)
    for (int i = 0; i < m->n_layers; i++)
      free (m->layer_ops[i]);
  free (m->layer_ops);
  m->arena = m->workspace = m->shared = NULL;
  m->layers = NULL;
  m->layer_io = NULL;
  m->layer_slots = NULL;
  m->layer_ops = NULL;
  m->n_layers = 0;
  m->arena_bytes = 0;
  m->workspace_stride = 0;
  m->shared_bytes = 0;
  m->prepared = false;
}

/* Undoes what a previous prepare computed, so shapes can change. */
static void
reset_prepared (cnn_graph *g)
{
  for (int v = 0; v < g->n_values; v++) {
    cnn_value *val = &g->values[v];
    val->arena_offset = -1;
    val->ptr = NULL;
    if (val->folded) {
      cnn_blob_unref (val->blob);
      val->blob = NULL;
      val->folded = false;
    }
    if (!val->is_input && val->blob == NULL)
      val->rank = -1;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    g->nodes[i].folded = false;
    cnn_node_release_packed (&g->nodes[i]);
  }
}

static bool
all_inputs_constant (const cnn_graph *g, const cnn_node *n)
{
  /* Shape reads only its input's dims, which are known once inferred. */
  if (cnn_op_has_trait (n->op, CNN_OP_TRAIT_READS_SHAPE_ONLY))
    return n->fused_sum < 0 && n->fused_scale < 0;
  for (int k = 0; k < n->n_inputs; k++)
    if (n->inputs[k] >= 0 && g->values[n->inputs[k]].blob == NULL)
      return false;
  return n->fused_sum < 0 && n->fused_scale < 0;
}

/* Runs a node whose inputs are all known now and keeps its outputs as constants. */
static cnn_status
fold_node (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_op_def *def = cnn_op_def_of (n);
  cnn_status status = CNN_STATUS_OK;
  void *workspace = NULL, *shared = NULL;
  const cnn_value **slots = NULL;
  cnn_layer_io io;

  for (int k = 0; k < n->n_inputs; k++)
    if (n->inputs[k] >= 0 && g->values[n->inputs[k]].blob != NULL)
      g->values[n->inputs[k]].ptr = g->values[n->inputs[k]].blob->data;
  for (int o = 0; o < n->n_outputs; o++) {
    cnn_value *v = &g->values[n->outputs[o]];
    uint64_t bytes;
    if (!cnn_value_bytes (v, &bytes))
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "output '%s' has no computable size", v->name);
    cnn_blob_unref (v->blob);
    v->blob = cnn_blob_new ((size_t) bytes);
    if (v->blob == NULL)
      return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY,
          "out of memory folding constant '%s'", v->name);
    v->folded = true;
    v->ptr = v->blob->data;
  }
  if (def->prepare != NULL && (status = def->prepare (g, n, 1, err)) != CNN_STATUS_OK)
    return status;
  if ((n->workspace > 0 && (workspace = aligned_alloc (64, (n->workspace + 63) & ~(size_t) 63))
          == NULL) || (n->shared_workspace > 0 && (shared = aligned_alloc (64,
                  (n->shared_workspace + 63) & ~(size_t) 63)) == NULL)
      || (slots = malloc (sizeof (cnn_value *) * (cnn_layer_io_slots (n) + 1))) == NULL) {
    free (workspace);
    free (shared);
    cnn_node_release_packed (n);
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  }
  cnn_exec exec = { .pool = NULL, .workspace = workspace, .workspace_stride = n->workspace,
    .shared = shared };
  cnn_layer_io_bind (g, n, slots, &io);
  def->run (n, &io, &exec);
  free (workspace);
  free (shared);
  free (slots);
  cnn_node_release_packed (n);
  n->folded = true;
  return CNN_STATUS_OK;
}

/* Checks an inferred output against the memory limit before anything is allocated for it. */
static cnn_status
check_output (cnn_graph *g, cnn_node *n, cnn_value *v, cnn_error *err)
{
  uint64_t bytes;
  char dims[160];

  cnn_format_dims (dims, sizeof (dims), v->rank, v->dims);
  if (v->rank < 0 || cnn_dtype_size (v->dtype) == 0 || !cnn_value_bytes (v, &bytes))
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "output '%s' has no computable size (%s %s)", v->name, cnn_dtype_string (v->dtype),
        dims);
  if (bytes > g->options.max_memory_bytes)
    return cnn_node_error (err, g, n, CNN_STATUS_LIMIT_EXCEEDED,
        "output '%s' %s needs %llu MiB, more than the limit of %llu MiB", v->name, dims,
        (unsigned long long) (bytes >> 20),
        (unsigned long long) (g->options.max_memory_bytes >> 20));
  return CNN_STATUS_OK;
}

static cnn_status
infer_and_fold (cnn_model *m, cnn_error *err)
{
  cnn_graph *g = m->g;
  cnn_status status;

  for (int i = 0; i < g->n_inputs; i++) {
    cnn_value *v = &g->values[g->inputs[i]];
    if (v->rank < 0)
      return cnn_graph_error (err, g, CNN_STATUS_SHAPE_MISMATCH,
          "input '%s' has no declared shape; set it with cnn_model_set_input_shape", v->name);
    for (int d = 0; d < v->rank; d++) {
      if (v->dims[d] >= 0)
        continue;
      if (d == 0) {
        v->dims[d] = 1;         /* a dynamic batch means one image at a time */
        continue;
      }
      return cnn_graph_error (err, g, CNN_STATUS_SHAPE_MISMATCH,
          "input '%s' has a dynamic dimension %d ('%s'); set it with "
          "cnn_model_set_input_shape", v->name, d, v->dim_names[d] ? v->dim_names[d] : "?");
    }
    uint64_t bytes;
    char dims[160];
    cnn_format_dims (dims, sizeof (dims), v->rank, v->dims);
    if (!cnn_value_bytes (v, &bytes))
      return cnn_graph_error (err, g, CNN_STATUS_LIMIT_EXCEEDED,
          "input '%s' %s has more elements than memory can address", v->name, dims);
    if (bytes > g->options.max_memory_bytes)
      return cnn_graph_error (err, g, CNN_STATUS_LIMIT_EXCEEDED,
          "input '%s' %s needs %llu MiB, more than the limit of %llu MiB", v->name, dims,
          (unsigned long long) (bytes >> 20),
          (unsigned long long) (g->options.max_memory_bytes >> 20));
  }

  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    if (n->dead)
      continue;
    const cnn_op_def *def = cnn_op_def_of (n);
    if ((status = def->infer (g, n, err)) != CNN_STATUS_OK)
      return status;
    for (int o = 0; o < n->n_outputs; o++)
      if ((status = check_output (g, n, &g->values[n->outputs[o]], err)) != CNN_STATUS_OK)
        return status;
    if (all_inputs_constant (g, n) && (status = fold_node (g, n, err)) != CNN_STATUS_OK)
      return status;
  }
  return CNN_STATUS_OK;
}

static char *
layer_op_name (const cnn_node *n)
{
  const char *act = cnn_activation_name (n->act);
  size_t len = strlen (n->op_type) + strlen (act) + 16;
  char *s = malloc (len);
  if (s != NULL)
    snprintf (s, len, "%s%s%s%s%s", n->op_type, n->fused_scale >= 0 ? "+SEScale" : "",
        n->fused_sum >= 0 ? "+Add" : "", act[0] ? "+" : "", act);
  return s;
}

static cnn_status
plan (cnn_model *m, cnn_error *err)
{
  cnn_graph *g = m->g;
  cnn_status status;
  size_t max_workspace = 0, max_shared = 0;
  uint64_t weights = 0, total;

  if ((status = cnn_passes_prepare (g, err)) != CNN_STATUS_OK)
    return status;
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    if (n->dead || n->folded)
      continue;
    const cnn_op_def *def = cnn_op_def_of (n);
    if (def->prepare != NULL && (status = def->prepare (g, n, m->threads, err))
        != CNN_STATUS_OK)
      return status;
    if (n->workspace > max_workspace)
      max_workspace = n->workspace;
    if (n->shared_workspace > max_shared)
      max_shared = n->shared_workspace;
  }
  cnn_cam_find (&m->cam, g);
  if ((status = cnn_plan_memory (g, &m->arena_bytes, err)) != CNN_STATUS_OK)
    return status;
  for (int v = 0; v < g->n_values; v++)
    if (g->values[v].blob != NULL)
      weights += g->values[v].blob->size;
  m->workspace_stride = (max_workspace + 63) & ~(size_t) 63;
  m->shared_bytes = (max_shared + 63) & ~(size_t) 63;
  size_t scratch = m->workspace_stride * (size_t) m->threads + m->shared_bytes;
  total = weights + m->arena_bytes + scratch;
  if (total > g->options.max_memory_bytes)
    return cnn_graph_error (err, g, CNN_STATUS_LIMIT_EXCEEDED,
        "the model needs %llu MiB (weights %llu, activations %llu, scratch %llu), more than "
        "the limit of %llu MiB", (unsigned long long) (total >> 20),
        (unsigned long long) (weights >> 20), (unsigned long long) (m->arena_bytes >> 20),
        (unsigned long long) (scratch >> 20),
        (unsigned long long) (g->options.max_memory_bytes >> 20));

  /* Never NULL, so even empty tensors (a dim of 0) have a valid address. */
  if ((m->arena = aligned_alloc (64, m->arena_bytes > 0 ? m->arena_bytes : 64)) == NULL
      || (scratch > 0 && (m->workspace = aligned_alloc (64, scratch)) == NULL))
    return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY,
        "out of memory allocating %llu MiB of activations",
        (unsigned long long) (m->arena_bytes >> 20));
  memset (m->arena, 0, m->arena_bytes);   /* touch it now, not during the first frame */
  if (m->shared_bytes > 0)
    m->shared = (char *) m->workspace + m->workspace_stride * (size_t) m->threads;

  for (int v = 0; v < g->n_values; v++) {
    cnn_value *val = &g->values[v];
    if (val->blob != NULL)
      val->ptr = val->blob->data;
    else if (val->arena_offset >= 0)
      val->ptr = (char *) m->arena + val->arena_offset;
  }

  m->layers = malloc (sizeof (int) * ((size_t) g->n_nodes + 1));
  m->layer_ops = calloc ((size_t) g->n_nodes + 1, sizeof (char *));
  if (m->layers == NULL || m->layer_ops == NULL)
    return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    if (n->dead || n->folded)
      continue;
    m->layer_ops[m->n_layers] = layer_op_name (n);
    if (m->layer_ops[m->n_layers] == NULL)
      return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    m->layers[m->n_layers++] = i;
  }
  /* Each layer's tensors, bound once: run hands them to the op. */
  size_t n_slots = 0;
  for (int l = 0; l < m->n_layers; l++)
    n_slots += cnn_layer_io_slots (&g->nodes[m->layers[l]]);
  m->layer_io = malloc (sizeof (cnn_layer_io) * ((size_t) m->n_layers + 1));
  m->layer_slots = malloc (sizeof (cnn_value *) * (n_slots + 1));
  if (m->layer_io == NULL || m->layer_slots == NULL)
    return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  n_slots = 0;
  for (int l = 0; l < m->n_layers; l++) {
    const cnn_node *n = &g->nodes[m->layers[l]];
    cnn_layer_io_bind (g, n, m->layer_slots + n_slots, &m->layer_io[l]);
    n_slots += cnn_layer_io_slots (n);
  }
  cnn_receptive_fields (g, m->fields);
  return CNN_STATUS_OK;
}

cnn_status
cnn_model_prepare (cnn_model *model, cnn_error *err)
{
  cnn_status status;

  if (model == NULL)
    return cnn_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "no model");
  cnn_model_release_plan (model);
  reset_prepared (model->g);
  if ((status = infer_and_fold (model, err)) != CNN_STATUS_OK
      || (status = plan (model, err)) != CNN_STATUS_OK) {
    cnn_model_release_plan (model);
    reset_prepared (model->g);
    return status;
  }
  model->prepared = true;
  return CNN_STATUS_OK;
}
