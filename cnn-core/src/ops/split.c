/* split.c — Split along one axis into several outputs, dtype-agnostic: each output is one
 * strided copy of its part of the input.
 *
 * The sizes of the parts: the `split` attribute (opsets 1–12; opset 1 also took them as a
 * second input), the constant `split` input (opset 13+), or equal parts — `num_outputs` of
 * them from opset 18, where the last part may be smaller, else one per output, which must
 * divide the axis evenly.
 */
#include "helpers.h"
#include "ops.h"

#include "kernels/strided-copy.h"

#include <stdlib.h>
#include <string.h>

/* Outputs beyond this many are refused at load. */
#define SPLIT_MAX_OUTPUTS 64

typedef struct {
  int axis;
  int64_t sizes[SPLIT_MAX_OUTPUTS];     /* resolved by infer */
} split_params;

static cnn_status
split_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  split_params *p = calloc (1, sizeof (*p));

  if (p == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  n->params = p;
  if (g->opset >= 18 && cnn_node_attr (n, "num_outputs") != NULL
      && cnn_node_attr_int (n, "num_outputs", 0) != n->n_outputs)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "num_outputs is %lld but the node has %d outputs",
        (long long) cnn_node_attr_int (n, "num_outputs", 0), n->n_outputs);
  return CNN_STATUS_OK;
}

static cnn_status
split_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  split_params *p = n->params;
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = cnn_op_input_known (g, n, x, err);
  int64_t axis_attr = cnn_node_attr_int (n, "axis", 0);
  int count = -1;

  if (status != CNN_STATUS_OK)
    return status;
  if (!cnn_op_resolve_axis (axis_attr, x->rank, &p->axis))
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "axis %lld is out of range for a rank-%d input", (long long) axis_attr, x->rank);
  int64_t len = x->dims[p->axis];
  if (len < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "the split axis %d has a dynamic size", p->axis);
  /* Sizes from the attribute before opset 13 (or opset 1's second input), the input from 13. */
  if (g->opset < 13 && cnn_node_attr (n, "split") != NULL)
    status = cnn_op_ints (g, n, "split", 1, 13, SPLIT_MAX_OUTPUTS, p->sizes, &count, err);
  else if (n->n_inputs > 1 && n->inputs[1] >= 0)
    status = cnn_op_const_ints (g, n, 1, "split", SPLIT_MAX_OUTPUTS, p->sizes, &count, err);
  if (status != CNN_STATUS_OK)
    return status;
  if (count >= 0) {
    int64_t total = 0;
    if (count != n->n_outputs)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "split has %d sizes for %d outputs", count, n->n_outputs);
    for (int i = 0; i < count; i++) {
      if (p->sizes[i] < 0 || p->sizes[i] > len)
        return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
            "split size %d is %lld (the axis has %lld)", i, (long long) p->sizes[i],
            (long long) len);
      total += p->sizes[i];
    }
    if (total != len)
      return cnn_node_error (err, g, n, CNN_STATUS_SHAPE_MISMATCH,
          "split sizes add up to %lld but axis %d has %lld", (long long) total, p->axis,
          (long long) len);
  } else {
    int parts = n->n_outputs;
    int64_t each = (len + parts - 1) / parts;
    if (g->opset < 18 && len % parts != 0)
      return cnn_node_error (err, g, n, CNN_STATUS_SHAPE_MISMATCH,
          "axis %d of size %lld does not split into %d equal parts", p->axis,
          (long long) len, parts);
    for (int i = 0; i < parts; i++) {
      int64_t left = len - each * i;
      p->sizes[i] = left < 0 ? 0 : left < each ? left : each;
    }
  }
  for (int i = 0; i < n->n_outputs; i++) {
    int64_t dims[CNN_MAX_RANK];
    memcpy (dims, x->dims, sizeof (int64_t) * (size_t) x->rank);
    dims[p->axis] = p->sizes[i];
    cnn_value_set_shape (cnn_node_output (g, n, i), x->dtype, x->rank, dims);
  }
  return CNN_STATUS_OK;
}

static void
split_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const split_params *p = n->params;
  const cnn_value *x = cnn_layer_in (io, 0);
  size_t es = cnn_dtype_size (x->dtype);
  int64_t xs[CNN_MAX_RANK], offset = 0;

  cnn_contiguous_strides (x->rank, x->dims, xs);
  for (int i = 0; i < n->n_outputs; i++) {
    const cnn_value *y = io->out[i];
    int64_t ys[CNN_MAX_RANK];
    cnn_copy_plan plan;
    cnn_contiguous_strides (y->rank, y->dims, ys);
    cnn_copy_plan_init (&plan, y->rank, y->dims, ys, xs, y->ptr,
        (const unsigned char *) x->ptr + (size_t) (offset * xs[p->axis]) * es, es);
    cnn_copy_plan_run (&plan, exec != NULL ? exec->pool : NULL);
    offset += p->sizes[i];
  }
}

const cnn_op_def cnn_op_split = {
  .name = "Split",
  .min_inputs = 1,
  .max_inputs = 2,
  .min_outputs = 1,
  .max_outputs = SPLIT_MAX_OUTPUTS,
  .parse = split_parse,
  .infer = split_infer,
  .run = split_run,
  .macs = cnn_op_macs_none,
};
