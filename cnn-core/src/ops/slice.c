/* slice.c — Slice: starts, ends, axes and steps (attributes before opset 10, constant inputs
 * from it), negative steps included, clamped as ONNX says; dtype-agnostic, one strided copy.
 */
#include "helpers.h"
#include "ops.h"

#include "kernels/strided-copy.h"

#include <stdlib.h>

typedef struct {
  int64_t start[CNN_MAX_RANK];  /* resolved by infer, per input dim */
  int64_t step[CNN_MAX_RANK];
} slice_params;

static cnn_status
slice_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  slice_params *p;

  if (g->opset < 10 && (cnn_node_attr (n, "starts") == NULL || cnn_node_attr (n, "ends") == NULL))
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "the 'starts' and 'ends' attributes are required before opset 10");
  if (g->opset >= 10 && n->n_inputs < 3)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "needs the starts and ends inputs from opset 10");
  p = calloc (1, sizeof (*p));
  if (p == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  n->params = p;
  return CNN_STATUS_OK;
}

/* One of starts/ends/axes/steps: attribute before opset 10, constant input from it. */
static cnn_status
slice_arg (cnn_graph *g, cnn_node *n, const char *name, int index, int64_t *out, int *count,
    cnn_error *err)
{
  return cnn_op_ints (g, n, name, index, 10, CNN_MAX_RANK, out, count, err);
}

static cnn_status
slice_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  slice_params *p = n->params;
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = cnn_op_input_known (g, n, x, err);
  int64_t starts[CNN_MAX_RANK], ends[CNN_MAX_RANK], axes[CNN_MAX_RANK], steps[CNN_MAX_RANK];
  int64_t dims[CNN_MAX_RANK];
  int n_starts, n_ends, n_axes, n_steps = -1;
  bool seen[CNN_MAX_RANK] = { false };

  if (status != CNN_STATUS_OK)
    return status;
  if ((status = slice_arg (g, n, "starts", 1, starts, &n_starts, err)) != CNN_STATUS_OK
      || (status = slice_arg (g, n, "ends", 2, ends, &n_ends, err)) != CNN_STATUS_OK
      || (status = slice_arg (g, n, "axes", 3, axes, &n_axes, err)) != CNN_STATUS_OK
      || (g->opset >= 10
          && (status = slice_arg (g, n, "steps", 4, steps, &n_steps, err)) != CNN_STATUS_OK))
    return status;
  if (n_starts < 0 || n_starts != n_ends || (n_axes >= 0 && n_axes != n_starts)
      || (n_steps >= 0 && n_steps != n_starts))
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "starts, ends, axes and steps must have the same length (%d, %d, %d, %d)", n_starts,
        n_ends, n_axes, n_steps);

  for (int d = 0; d < x->rank; d++) {
    p->start[d] = 0;
    p->step[d] = 1;
    dims[d] = x->dims[d];
  }
  for (int i = 0; i < n_starts; i++) {
    int a;
    int64_t axis = n_axes >= 0 ? axes[i] : i;
    int64_t step = n_steps >= 0 ? steps[i] : 1;
    if (!cnn_op_resolve_axis (axis, x->rank, &a))
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "axis %lld is out of range for a rank-%d input", (long long) axis, x->rank);
    if (seen[a])
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "axis %d is repeated", a);
    seen[a] = true;
    if (step == 0)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "step for axis %d is 0", a);
    int64_t d = x->dims[a];
    if (d < 0)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "dim %d is dynamic; slicing it needs a concrete size", a);
    /* ONNX clamping: [0, d] for positive steps, [0, d-1] / [-1, d-1] for negative ones. */
    int64_t s = starts[i], e = ends[i];
    if (s < 0)
      s += d;
    if (e < 0)
      e += d;
    int64_t len;
    if (step > 0) {
      s = s < 0 ? 0 : (s > d ? d : s);
      e = e < 0 ? 0 : (e > d ? d : e);
      len = e > s ? (e - s - 1) / step + 1 : 0;
    } else {
      s = s < 0 ? 0 : (s > d - 1 ? d - 1 : s);
      e = e < -1 ? -1 : (e > d - 1 ? d - 1 : e);
      len = s > e ? (s - e - 1) / -(step < -INT64_MAX ? -INT64_MAX : step) + 1 : 0;
    }
    /* With fewer than two elements the step is irrelevant; 1 keeps strides from overflowing. */
    p->start[a] = len > 0 ? s : 0;
    p->step[a] = len > 1 ? step : 1;
    dims[a] = len;
  }
  cnn_value_set_shape (cnn_node_output (g, n, 0), x->dtype, x->rank, dims);
  return CNN_STATUS_OK;
}

static void
slice_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const slice_params *sp = n->params;
  const cnn_value *x = cnn_layer_in (io, 0);
  const cnn_value *y = io->out[0];
  size_t es = cnn_dtype_size (x->dtype);
  int64_t in_strides[CNN_MAX_RANK], ss[CNN_MAX_RANK], ds[CNN_MAX_RANK];
  int64_t offset = 0;
  cnn_copy_plan p;

  cnn_contiguous_strides (x->rank, x->dims, in_strides);
  cnn_contiguous_strides (y->rank, y->dims, ds);
  for (int d = 0; d < x->rank; d++) {
    offset += sp->start[d] * in_strides[d];
    ss[d] = sp->step[d] * in_strides[d];
  }
  cnn_copy_plan_init (&p, y->rank, y->dims, ds, ss, y->ptr,
      (const unsigned char *) x->ptr + offset * (int64_t) es, es);
  cnn_copy_plan_run (&p, exec->pool);
}

const cnn_op_def cnn_op_slice = {
  .name = "Slice",
  .min_inputs = 1,
  .max_inputs = 5,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = slice_parse,
  .infer = slice_infer,
  .run = slice_run,
  .macs = cnn_op_macs_none,
};
