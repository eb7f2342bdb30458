/* expand.c — Expand: the input broadcast (numpy rules) to a shape given as a constant input,
 * dtype-agnostic: one strided copy whose source strides are 0 along broadcast dims.
 */
#include "helpers.h"
#include "ops.h"

#include "kernels/strided-copy.h"

#include <string.h>

static cnn_status
expand_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = cnn_op_input_known (g, n, x, err);
  int64_t shape[CNN_MAX_RANK], dims[CNN_MAX_RANK];
  int count;
  char sx[160], ss[160];

  if (status != CNN_STATUS_OK)
    return status;
  status = cnn_op_const_ints (g, n, 1, "shape", CNN_MAX_RANK, shape, &count, err);
  if (status != CNN_STATUS_OK)
    return status;
  int rank = count > x->rank ? count : x->rank;
  for (int i = 0; i < rank; i++) {
    int ix = i - (rank - x->rank), is = i - (rank - count);
    int64_t dx = ix >= 0 ? x->dims[ix] : 1, ds = is >= 0 ? shape[is] : 1;
    if (ds < 0 && is >= 0) {
      cnn_format_dims (ss, sizeof (ss), count, shape);
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "the shape %s has a negative dim", ss);
    }
    if (dx == ds || ds == 1)
      dims[i] = dx;
    else if (dx == 1)
      dims[i] = ds;
    else {
      cnn_format_dims (sx, sizeof (sx), x->rank, x->dims);
      cnn_format_dims (ss, sizeof (ss), count, shape);
      return cnn_node_error (err, g, n, CNN_STATUS_SHAPE_MISMATCH,
          "the input of shape %s cannot be expanded to %s (dim %d)", sx, ss, i);
    }
  }
  cnn_value_set_shape (cnn_node_output (g, n, 0), x->dtype, rank, dims);
  return CNN_STATUS_OK;
}

static void
expand_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const cnn_value *x = cnn_layer_in (io, 0);
  const cnn_value *y = io->out[0];
  int64_t ys[CNN_MAX_RANK], xs[CNN_MAX_RANK], ss[CNN_MAX_RANK];
  cnn_copy_plan plan;

  cnn_contiguous_strides (y->rank, y->dims, ys);
  cnn_contiguous_strides (x->rank, x->dims, xs);
  for (int i = 0; i < y->rank; i++) {
    int ix = i - (y->rank - x->rank);
    ss[i] = ix < 0 || x->dims[ix] == 1 ? 0 : xs[ix];
  }
  cnn_copy_plan_init (&plan, y->rank, y->dims, ys, ss, y->ptr, x->ptr,
      cnn_dtype_size (y->dtype));
  cnn_copy_plan_run (&plan, exec != NULL ? exec->pool : NULL);
}

const cnn_op_def cnn_op_expand = {
  .name = "Expand",
  .min_inputs = 2,
  .max_inputs = 2,
  .min_outputs = 1,
  .max_outputs = 1,
  .infer = expand_infer,
  .run = expand_run,
  .macs = cnn_op_macs_none,
};
