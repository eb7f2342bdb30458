/* transpose.c — Transpose: any permutation (reversed dims by default), dtype-agnostic, one
 * strided copy whose contiguous inner runs become memcpy.
 */
#include "helpers.h"
#include "ops.h"

#include "kernels/strided-copy.h"

static cnn_status
transpose_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const int64_t *perm;
  size_t k = cnn_node_attr_ints (n, "perm", &perm);
  bool seen[CNN_MAX_RANK] = { false };

  if (k > CNN_MAX_RANK)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "perm has %zu entries, more than the supported rank %d", k, CNN_MAX_RANK);
  for (size_t i = 0; i < k; i++) {
    if (perm[i] < 0 || perm[i] >= (int64_t) k || seen[perm[i]])
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "perm is not a permutation of 0..%zu", k - 1);
    seen[perm[i]] = true;
  }
  return CNN_STATUS_OK;
}

/* perm attribute, or reversed dims by default. */
static void
transpose_perm (const cnn_node *n, int rank, int *perm)
{
  const int64_t *p;
  size_t k = cnn_node_attr_ints (n, "perm", &p);

  for (int i = 0; i < rank; i++)
    perm[i] = k > 0 ? (int) p[i] : rank - 1 - i;
}

static cnn_status
transpose_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = cnn_op_input_known (g, n, x, err);
  const int64_t *p;
  size_t k = cnn_node_attr_ints (n, "perm", &p);
  int perm[CNN_MAX_RANK];
  int64_t dims[CNN_MAX_RANK];

  if (status != CNN_STATUS_OK)
    return status;
  if (k > 0 && k != (size_t) x->rank)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "perm has %zu entries but the input has rank %d", k, x->rank);
  transpose_perm (n, x->rank, perm);
  for (int i = 0; i < x->rank; i++)
    dims[i] = x->dims[perm[i]];
  cnn_value_set_shape (cnn_node_output (g, n, 0), x->dtype, x->rank, dims);
  return CNN_STATUS_OK;
}

static void
transpose_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const cnn_value *x = cnn_layer_in (io, 0);
  const cnn_value *y = io->out[0];
  int perm[CNN_MAX_RANK];
  int64_t in_strides[CNN_MAX_RANK], ss[CNN_MAX_RANK], ds[CNN_MAX_RANK];
  cnn_copy_plan p;

  transpose_perm (n, x->rank, perm);
  cnn_contiguous_strides (x->rank, x->dims, in_strides);
  cnn_contiguous_strides (y->rank, y->dims, ds);
  for (int i = 0; i < x->rank; i++)
    ss[i] = in_strides[perm[i]];
  cnn_copy_plan_init (&p, y->rank, y->dims, ds, ss, y->ptr, x->ptr, cnn_dtype_size (x->dtype));
  cnn_copy_plan_run (&p, exec->pool);
}

const cnn_op_def cnn_op_transpose = {
  .name = "Transpose",
  .min_inputs = 1,
  .max_inputs = 1,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = transpose_parse,
  .infer = transpose_infer,
  .run = transpose_run,
  .macs = cnn_op_macs_none,
};
