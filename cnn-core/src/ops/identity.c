/* identity.c — Identity and Dropout (inference: the input passes through, the optional mask
 * is all true). The load-time passes remove them (CNN_OP_TRAIT_PASSES_THROUGH) unless their
 * output is a graph output or the mask is read; then they run as a copy.
 */
#include "helpers.h"
#include "ops.h"

#include <string.h>

static cnn_status
identity_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = cnn_op_input_known (g, n, x, err);

  if (status == CNN_STATUS_OK)
    cnn_value_set_shape (cnn_node_output (g, n, 0), x->dtype, x->rank, x->dims);
  return status;
}

static bool
dropout_has_mask (const cnn_node *n)
{
  return n->n_outputs > 1 && n->outputs[1] >= 0;
}

static cnn_status
dropout_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  const cnn_value *t = cnn_node_input (g, n, 2);
  cnn_status status = identity_infer (g, n, err);

  if (status != CNN_STATUS_OK)
    return status;
  /* Opset 12+: training_mode is an input; only inference (false) is supported. */
  if (t != NULL) {
    if (t->blob == NULL)
      return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
          "training_mode must be a constant (only inference is supported)");
    if (t->blob->size > 0 && t->blob->data[0] != 0)
      return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
          "training_mode=true is not supported (inference only)");
  }
  if (g->opset < 12 && cnn_node_attr_int (n, "is_test", 1) == 0)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "is_test=0 (training) is not supported");
  if (dropout_has_mask (n))
    cnn_value_set_shape (cnn_node_output (g, n, 1), g->opset >= 10 ? CNN_DTYPE_BOOL : x->dtype,
        x->rank, x->dims);
  return CNN_STATUS_OK;
}

static void
dropout_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  uint64_t count;

  cnn_op_copy_run (n, io, exec);
  if (!dropout_has_mask (n))
    return;
  /* In inference nothing is dropped: the mask is all true (1 in the input's type before
   * opset 10). */
  const cnn_value *m = io->out[1];
  if (!cnn_value_elements (m, &count))
    return;
  size_t es = cnn_dtype_size (m->dtype);
  unsigned char one[8] = { 0 };
  switch (m->dtype) {
    case CNN_DTYPE_FLOAT32: { float v = 1.0f; memcpy (one, &v, 4); break; }
    case CNN_DTYPE_INT64: { int64_t v = 1; memcpy (one, &v, 8); break; }
    case CNN_DTYPE_INT32: { int32_t v = 1; memcpy (one, &v, 4); break; }
    default: one[0] = 1; break;
  }
  for (uint64_t i = 0; i < count; i++)
    memcpy ((unsigned char *) m->ptr + i * es, one, es);
}

const cnn_op_def cnn_op_identity = {
  .name = "Identity",
  .min_inputs = 1,
  .max_inputs = 1,
  .min_outputs = 1,
  .max_outputs = 1,
  .infer = identity_infer,
  .run = cnn_op_copy_run,
  .macs = cnn_op_macs_none,
};

const cnn_op_def cnn_op_dropout = {
  .name = "Dropout",
  .min_inputs = 1,
  .max_inputs = 3,
  .min_outputs = 1,
  .max_outputs = 2,
  .infer = dropout_infer,
  .run = dropout_run,
  .macs = cnn_op_macs_none,
};
