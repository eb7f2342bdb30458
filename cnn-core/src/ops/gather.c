/* gather.c — Gather along any axis with int64 or int32 indices, dtype-agnostic: constant
 * indices are checked at infer time, run-time ones out of range give zeros.
 */
#include "helpers.h"
#include "ops.h"

#include <string.h>

static cnn_status
gather_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  const cnn_value *idx = cnn_node_input (g, n, 1);
  cnn_status status = cnn_op_input_known (g, n, x, err);
  int64_t dims[CNN_MAX_RANK];
  int axis, rank = 0;

  if (status != CNN_STATUS_OK)
    return status;
  if (idx == NULL || idx->rank < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "indices shape is unknown");
  if (idx->dtype != CNN_DTYPE_INT64 && idx->dtype != CNN_DTYPE_INT32)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "indices must be int64 or int32, not %s", cnn_dtype_string (idx->dtype));
  if (!cnn_op_resolve_axis (cnn_node_attr_int (n, "axis", 0), x->rank, &axis))
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "axis %lld is out of range for a rank-%d input",
        (long long) cnn_node_attr_int (n, "axis", 0), x->rank);
  if (x->rank - 1 + idx->rank > CNN_MAX_RANK)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "output rank %d exceeds the supported %d", x->rank - 1 + idx->rank, CNN_MAX_RANK);

  /* Constant indices are checked now; run-time ones out of range give zeros. */
  int64_t size = x->dims[axis];
  uint64_t count;
  if (idx->blob != NULL && size >= 0 && cnn_value_elements (idx, &count)) {
    for (uint64_t i = 0; i < count; i++) {
      int64_t k = idx->dtype == CNN_DTYPE_INT64 ? ((const int64_t *) idx->blob->data)[i]
          : ((const int32_t *) idx->blob->data)[i];
      if (k < -size || k >= size)
        return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
            "index %lld is out of range for axis %d of size %lld", (long long) k, axis,
            (long long) size);
    }
  }
  for (int d = 0; d < axis; d++)
    dims[rank++] = x->dims[d];
  for (int d = 0; d < idx->rank; d++)
    dims[rank++] = idx->dims[d];
  for (int d = axis + 1; d < x->rank; d++)
    dims[rank++] = x->dims[d];
  cnn_value_set_shape (cnn_node_output (g, n, 0), x->dtype, rank, dims);
  return CNN_STATUS_OK;
}

static void
gather_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const cnn_value *x = cnn_layer_in (io, 0);
  const cnn_value *idx = cnn_layer_in (io, 1);
  const cnn_value *y = io->out[0];
  size_t outer = 1, inner = cnn_dtype_size (x->dtype);
  uint64_t count;
  int axis = 0;
  (void) exec;

  cnn_op_resolve_axis (cnn_node_attr_int (n, "axis", 0), x->rank, &axis);
  if (!cnn_value_elements (idx, &count))
    return;
  for (int d = 0; d < axis; d++)
    outer *= (size_t) x->dims[d];
  for (int d = axis + 1; d < x->rank; d++)
    inner *= (size_t) x->dims[d];
  int64_t size = x->dims[axis];
  const unsigned char *src = x->ptr;
  unsigned char *dst = y->ptr;
  for (size_t o = 0; o < outer; o++) {
    for (uint64_t i = 0; i < count; i++, dst += inner) {
      int64_t k = idx->dtype == CNN_DTYPE_INT64 ? ((const int64_t *) idx->ptr)[i]
          : ((const int32_t *) idx->ptr)[i];
      if (k < 0)
        k += size;
      if (k < 0 || k >= size)
        memset (dst, 0, inner);
      else
        memcpy (dst, src + (o * (size_t) size + (size_t) k) * inner, inner);
    }
  }
}

const cnn_op_def cnn_op_gather = {
  .name = "Gather",
  .min_inputs = 2,
  .max_inputs = 2,
  .min_outputs = 1,
  .max_outputs = 1,
  .infer = gather_infer,
  .run = gather_run,
  .macs = cnn_op_macs_none,
};
