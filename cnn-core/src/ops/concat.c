/* concat.c — Concat along any axis, dtype-agnostic: each input's block per outer index is one
 * memcpy. Inputs the memory planner placed inside the output (planner.c) are already there.
 */
#include "helpers.h"
#include "ops.h"

#include <string.h>

static cnn_status
concat_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  /* Opsets 1–3: axis defaults to 1. */
  if (g->opset >= 4 && cnn_node_attr (n, "axis") == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "the 'axis' attribute is required");
  return CNN_STATUS_OK;
}

static cnn_status
concat_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x0 = cnn_node_input (g, n, 0);
  cnn_status status = cnn_op_input_known (g, n, x0, err);
  int64_t dims[CNN_MAX_RANK];
  int axis = 0;
  char s0[200], si[200];

  if (status != CNN_STATUS_OK)
    return status;
  int64_t axis_attr = cnn_node_attr_int (n, "axis", 1);
  if (!cnn_op_resolve_axis (axis_attr, x0->rank, &axis))
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "axis %lld is out of range for rank-%d inputs", (long long) axis_attr, x0->rank);
  memcpy (dims, x0->dims, sizeof (dims));
  for (int i = 1; i < n->n_inputs; i++) {
    const cnn_value *xi = cnn_node_input (g, n, i);
    if (xi == NULL || xi->rank < 0)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "input %d has an unknown shape", i);
    if (xi->dtype != x0->dtype)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "input %d is %s but input 0 is %s", i, cnn_dtype_string (xi->dtype),
          cnn_dtype_string (x0->dtype));
    bool ok = xi->rank == x0->rank;
    for (int d = 0; ok && d < x0->rank; d++)
      ok = d == axis || xi->dims[d] == x0->dims[d] || xi->dims[d] < 0 || x0->dims[d] < 0;
    if (!ok) {
      cnn_format_dims (s0, sizeof (s0), x0->rank, x0->dims);
      cnn_format_dims (si, sizeof (si), xi->rank, xi->dims);
      return cnn_node_error (err, g, n, CNN_STATUS_SHAPE_MISMATCH,
          "input %d of shape %s does not fit input 0 of shape %s along axis %d", i, si, s0,
          axis);
    }
    dims[axis] = (dims[axis] < 0 || xi->dims[axis] < 0) ? -1 : dims[axis] + xi->dims[axis];
  }
  cnn_value_set_shape (cnn_node_output (g, n, 0), x0->dtype, x0->rank, dims);
  return CNN_STATUS_OK;
}

static void
concat_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const cnn_value *y = io->out[0];
  size_t es = cnn_dtype_size (y->dtype);
  int axis = 0;
  size_t outer = 1, inner = es;
  (void) exec;

  cnn_op_resolve_axis (cnn_node_attr_int (n, "axis", 1), y->rank, &axis);
  for (int d = 0; d < axis; d++)
    outer *= (size_t) y->dims[d];
  for (int d = axis + 1; d < y->rank; d++)
    inner *= (size_t) y->dims[d];
  size_t row = (size_t) y->dims[axis] * inner;   /* output bytes per outer index */
  size_t offset = 0;
  for (int i = 0; i < n->n_inputs; i++) {
    const cnn_value *x = cnn_layer_in (io, i);
    size_t chunk = (size_t) x->dims[axis] * inner;
    const unsigned char *src = x->ptr;
    unsigned char *dst = (unsigned char *) y->ptr + offset;
    if (chunk > 0 && src != dst)
      for (size_t o = 0; o < outer; o++)
        memcpy (dst + o * row, src + o * chunk, chunk);
    offset += chunk;
  }
}

const cnn_op_def cnn_op_concat = {
  .name = "Concat",
  .min_inputs = 1,
  .max_inputs = 1 << 20,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = concat_parse,
  .infer = concat_infer,
  .run = concat_run,
  .macs = cnn_op_macs_none,
};
