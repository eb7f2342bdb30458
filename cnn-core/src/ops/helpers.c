/* helpers.c — small pieces several ops share (helpers.h). */
#include "helpers.h"

#include <string.h>

uint64_t
cnn_op_macs_none (const cnn_graph *g, const cnn_node *n)
{
  (void) g;
  (void) n;
  return 0;
}

bool
cnn_op_resolve_axis (int64_t axis, int rank, int *out)
{
  if (axis < -rank || axis >= rank)
    return false;
  *out = (int) (axis < 0 ? axis + rank : axis);
  return true;
}

cnn_status
cnn_op_const_ints (cnn_graph *g, cnn_node *n, int index, const char *what, int max,
    int64_t *out, int *count, cnn_error *err)
{
  const cnn_value *v = cnn_node_input (g, n, index);
  uint64_t elems;

  *count = -1;
  if (v == NULL)
    return CNN_STATUS_OK;
  if (v->blob == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "the %s input must be computable at load time", what);
  if ((v->dtype != CNN_DTYPE_INT64 && v->dtype != CNN_DTYPE_INT32) || v->rank > 1
      || !cnn_value_elements (v, &elems))
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "the %s input must be a 1-D int64 or int32 tensor", what);
  if (elems > (uint64_t) max)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "the %s input has %llu values, more than the %d supported", what,
        (unsigned long long) elems, max);
  if (elems * cnn_dtype_size (v->dtype) > v->blob->size)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "the %s input holds fewer bytes than its shape needs", what);
  for (uint64_t i = 0; i < elems; i++)
    out[i] = v->dtype == CNN_DTYPE_INT64 ? ((const int64_t *) v->blob->data)[i]
        : ((const int32_t *) v->blob->data)[i];
  *count = (int) elems;
  return CNN_STATUS_OK;
}

cnn_status
cnn_op_ints (cnn_graph *g, cnn_node *n, const char *name, int index, int64_t input_opset,
    int max, int64_t *out, int *count, cnn_error *err)
{
  if (g->opset < input_opset) {
    const int64_t *a;
    size_t k = cnn_node_attr_ints (n, name, &a);
    *count = cnn_node_attr (n, name) != NULL ? (int) k : -1;
    if (k > (size_t) max)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "attribute '%s' has %zu values, more than the %d supported", name, k, max);
    if (k > 0)
      memcpy (out, a, k * sizeof (int64_t));
    return CNN_STATUS_OK;
  }
  return cnn_op_const_ints (g, n, index, name, max, out, count, err);
}

cnn_status
cnn_op_input_known (cnn_graph *g, cnn_node *n, const cnn_value *x, cnn_error *err)
{
  if (x == NULL || x->rank < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "input shape is unknown");
  if (cnn_dtype_size (x->dtype) == 0)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "input type %s is not supported", cnn_dtype_string (x->dtype));
  return CNN_STATUS_OK;
}

void
cnn_op_copy_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const cnn_value *x = cnn_layer_in (io, 0);
  const cnn_value *y = io->out[0];
  uint64_t bytes;
  (void) exec;

  if (x->ptr != y->ptr && cnn_value_bytes (y, &bytes) && bytes > 0)
    memcpy (y->ptr, x->ptr, (size_t) bytes);
}

cnn_status
cnn_op_float_input (const cnn_graph *g, const cnn_node *n, const cnn_value *x, cnn_error *err)
{
  if (x == NULL || x->rank < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "input shape is unknown");
  if (x->dtype != CNN_DTYPE_FLOAT32)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "input type %s is not supported (float32 is)", cnn_dtype_string (x->dtype));
  return CNN_STATUS_OK;
}

bool
cnn_op_output_used (const cnn_graph *g, const cnn_node *n, int i)
{
  if (i >= n->n_outputs || n->outputs[i] < 0)
    return false;
  const cnn_value *v = &g->values[n->outputs[i]];
  return v->name[0] != '\0' && (v->consumers > 0 || v->is_output);
}
