/* cam.c — class activation maps: find the pattern at prepare, compute maps after a run.
 * See cam.h. */
#include "model.h"

#include "ops/ops.h"

#include <stdio.h>
#include <string.h>

/* The live node that computes value @v, or NULL (a graph input or a constant). */
static const cnn_node *
producer_of (const cnn_graph *g, int v)
{
  int p = v >= 0 ? g->values[v].producer : -1;

  if (p < 0 || g->nodes[p].dead || g->nodes[p].folded)
    return NULL;
  return &g->nodes[p];
}

/* Does @n average its rank-4 input over H and W (GlobalAveragePool, ReduceMean over
 * axes 2 and 3)? */
static bool
is_spatial_mean (const cnn_graph *g, const cnn_node *n)
{
  const cnn_value *in = cnn_node_input (g, n, 0);
  const int64_t *axes;
  size_t n_axes;

  if (in == NULL || in->rank != 4)
    return false;
  if (n->op == CNN_OP_GLOBAL_AVERAGE_POOL)
    return true;
  if (n->op != CNN_OP_REDUCE_MEAN || n->n_inputs > 1)
    return false;
  n_axes = cnn_node_attr_ints (n, "axes", &axes);
  return n_axes == 2 && ((axes[0] == 2 || axes[0] == -2) && (axes[1] == 3 || axes[1] == -1));
}

/* Through the reshapes that may follow a pool, to the pool. */
static const cnn_node *
pool_before (const cnn_graph *g, const cnn_node *n)
{
  while (n != NULL && (n->op == CNN_OP_FLATTEN || n->op == CNN_OP_RESHAPE
          || n->op == CNN_OP_SQUEEZE))
    n = producer_of (g, n->inputs[0]);
  return n != NULL && is_spatial_mean (g, n) ? n : NULL;
}

/* All-convolutional classifiers (SqueezeNet): the pooled map's channels are the classes,
 * and the map of class c is channel c itself (w is the identity). @n produces the output
 * (after an optional Softmax). */
static bool
find_pooled_classes (cnn_cam *cam, cnn_graph *g, const cnn_node *n)
{
  const cnn_node *pool = pool_before (g, n);
  const cnn_value *feature;

  if (pool == NULL)
    return false;
  feature = cnn_node_input (g, pool, 0);
  if (feature->dtype != CNN_DTYPE_FLOAT32 || feature->dims[0] != 1
      || feature->producer < 0 || feature->blob != NULL)
    return false;
  cam->channels = cam->classes = feature->dims[1];
  cam->height = feature->dims[2];
  cam->width = feature->dims[3];
  cam->alpha = 1.0f;
  cam->feature = pool->inputs[0];
  cam->found = true;
  g->values[cam->feature].keep = true;
  return true;
}

static void
not_found (cnn_cam *cam, const cnn_graph *g, const char *fmt, const char *what,
    const cnn_node *n)
{
  char reason[256];

  snprintf (reason, sizeof reason, fmt, what, n ? n->name : "", n ? n->op_type : "");
  snprintf (cam->why, sizeof cam->why, "%s: no class activation map: %s (it needs a "
      "feature map, a global average pool, and a dense layer with constant weights at the "
      "end)", g->source, reason);
}

void
cnn_cam_find (cnn_cam *cam, cnn_graph *g)
{
  const cnn_node *n, *dense, *pool;
  const cnn_value *w, *feature, *out;

  for (int v = 0; v < g->n_values; v++)
    g->values[v].keep = false;
  memset (cam, 0, sizeof (*cam));
  cam->feature = cam->weights = -1;

  if (g->n_outputs < 1) {
    not_found (cam, g, "the model has no output%s%s%s", "", NULL);
    return;
  }
  out = &g->values[g->outputs[0]];
  n = producer_of (g, g->outputs[0]);
  if (n != NULL && (n->op == CNN_OP_SOFTMAX || n->op == CNN_OP_LOG_SOFTMAX))
    n = producer_of (g, n->inputs[0]);
  if (find_pooled_classes (cam, g, n))
    return;
  if (n == NULL || (n->op != CNN_OP_GEMM && n->op != CNN_OP_MATMUL) || n->fused_sum >= 0) {
    not_found (cam, g, "output '%s' does not come from a Gemm or MatMul%s%s", out->name,
        NULL);
    return;
  }
  dense = n;
  w = cnn_node_input (g, dense, 1);
  if (w == NULL || w->blob == NULL || w->dtype != CNN_DTYPE_FLOAT32 || w->rank != 2
      || (dense->op == CNN_OP_GEMM && cnn_node_attr_int (dense, "transA", 0) != 0)) {
    not_found (cam, g, "%snode '%s' (%s) has no constant 2-D weights", "", dense);
    return;
  }

  /* Through the reshapes between the pool and the dense layer. */
  pool = pool_before (g, producer_of (g, dense->inputs[0]));
  if (pool == NULL) {
    not_found (cam, g, "%sthe input of '%s' (%s) is not a global average pool", "", dense);
    return;
  }
  feature = cnn_node_input (g, pool, 0);
  if (feature->dtype != CNN_DTYPE_FLOAT32 || feature->dims[0] != 1
      || feature->producer < 0 || feature->blob != NULL) {
    not_found (cam, g, "%sthe input of '%s' (%s) is not a computed [1, K, H, W] map", "",
        pool);
    return;
  }

  cam->channels = feature->dims[1];
  cam->height = feature->dims[2];
  cam->width = feature->dims[3];
  if (dense->op == CNN_OP_GEMM && cnn_node_attr_int (dense, "transB", 0) != 0) {
    /* B is [classes, K]. */
    cam->classes = w->dims[0];
    cam->row_stride = w->dims[1];
    cam->col_stride = 1;
    if (w->dims[1] != cam->channels)
      goto mismatch;
  } else {
    /* B is [K, classes]. */
    cam->classes = w->dims[1];
    cam->row_stride = 1;
    cam->col_stride = w->dims[1];
    if (w->dims[0] != cam->channels)
      goto mismatch;
  }
  cam->alpha = dense->op == CNN_OP_GEMM ? cnn_node_attr_float (dense, "alpha", 1.0f) : 1.0f;
  cam->feature = pool->inputs[0];
  cam->weights = dense->inputs[1];
  cam->found = true;
  g->values[cam->feature].keep = true;
  return;

mismatch:
  not_found (cam, g, "%sthe weights of '%s' (%s) do not match the pooled channels", "",
      dense);
}

/* ---- public API ---------------------------------------------------------------------- */

cnn_status
cnn_model_cam_info (const cnn_model *model, int *height, int *width, cnn_error *err)
{
  if (model == NULL)
    return cnn_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "no model");
  if (!model->prepared)
    return cnn_set_error (err, CNN_STATUS_NOT_PREPARED, "%s: call cnn_model_prepare before "
        "asking for class activation maps", model->g->source);
  if (!model->cam.found)
    return cnn_set_error (err, CNN_STATUS_UNSUPPORTED, "%s", model->cam.why);
  if (height != NULL)
    *height = (int) model->cam.height;
  if (width != NULL)
    *width = (int) model->cam.width;
  return CNN_STATUS_OK;
}

cnn_status
cnn_model_cam (const cnn_model *model, int class_index, float *map, cnn_error *err)
{
  cnn_status status = cnn_model_cam_info (model, NULL, NULL, err);
  const cnn_cam *cam = &model->cam;

  if (status != CNN_STATUS_OK)
    return status;
  if (map == NULL)
    return cnn_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "no map buffer");
  if (class_index < 0 || class_index >= cam->classes)
    return cnn_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "%s: class %d is not in 0..%lld",
        model->g->source, class_index, (long long) cam->classes - 1);

  const float *a = model->g->values[cam->feature].ptr;
  const int64_t plane = cam->height * cam->width;

  if (cam->weights < 0) {       /* the classes are the feature map's channels */
    for (int64_t i = 0; i < plane; i++)
      map[i] = a[class_index * plane + i];
    return CNN_STATUS_OK;
  }
  const float *w = (const float *) model->g->values[cam->weights].blob->data
      + (int64_t) class_index * cam->row_stride;

  for (int64_t i = 0; i < plane; i++)
    map[i] = 0.0f;
  for (int64_t k = 0; k < cam->channels; k++) {
    const float wk = cam->alpha * w[k * cam->col_stride];
    const float *ak = a + k * plane;

    for (int64_t i = 0; i < plane; i++)
      map[i] += wk * ak[i];
  }
  return CNN_STATUS_OK;
}
