/* reshape.c — Flatten, Reshape, Squeeze and Unsqueeze: a new shape for the same bytes.
 *
 * Dtype-agnostic. Each computes its output shape at infer time and runs as a plain copy of
 * the bytes, skipped when input and output share storage. Reshape's shape (from opset 5) and Squeeze's
 * and Unsqueeze's axes (from opset 13) are inputs that must be constants by prepare time: after
 * folding, exporters' shape sub-graphs are.
 */
#include "helpers.h"
#include "ops.h"

/* ---- Flatten ---------------------------------------------------------------------------- */

static cnn_status
flatten_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = cnn_op_input_known (g, n, x, err);
  int64_t axis = cnn_node_attr_int (n, "axis", 1);
  int64_t dims[2] = { 1, 1 };

  if (status != CNN_STATUS_OK)
    return status;
  /* Flatten's axis may equal rank: [-r, r]. */
  if (axis < -x->rank || axis > x->rank)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "axis %lld is out of range for a rank-%d input", (long long) axis, x->rank);
  if (axis < 0)
    axis += x->rank;
  for (int i = 0; i < x->rank; i++) {
    int64_t *d = &dims[i < axis ? 0 : 1];
    *d = (x->dims[i] < 0 || *d < 0) ? -1 : *d * x->dims[i];
  }
  cnn_value_set_shape (cnn_node_output (g, n, 0), x->dtype, 2, dims);
  return CNN_STATUS_OK;
}

/* ---- Reshape ---------------------------------------------------------------------------- */

static cnn_status
reshape_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = cnn_op_input_known (g, n, x, err);
  bool allowzero = g->opset >= 14 && cnn_node_attr_int (n, "allowzero", 0) != 0;
  int64_t dims[CNN_MAX_RANK];
  int count = 0, infer_at = -1;
  uint64_t in_elems = 0, known = 1;
  bool in_known;
  char sx[200], sy[200];

  if (status != CNN_STATUS_OK)
    return status;
  /* Opsets 1–4: the shape is an attribute. */
  status = cnn_op_ints (g, n, "shape", 1, 5, CNN_MAX_RANK, dims, &count, err);
  if (status != CNN_STATUS_OK)
    return status;
  if (count < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, g->opset < 5
        ? "the 'shape' attribute is missing" : "the shape input is missing");
  in_known = cnn_value_elements (x, &in_elems);

  bool has_zero = false;
  for (int i = 0; i < count; i++) {
    if (dims[i] == 0 && !allowzero) {
      if (i >= x->rank)
        return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
            "shape[%d] is 0 (copy the input's dim) but the input has rank %d", i, x->rank);
      dims[i] = x->dims[i];
    } else if (dims[i] == -1) {
      if (infer_at >= 0)
        return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
            "shape has more than one -1");
      infer_at = i;
      continue;
    } else if (dims[i] < -1) {
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "shape[%d] is %lld", i, (long long) dims[i]);
    }
    has_zero |= dims[i] == 0;
    if (dims[i] < 0 || known == UINT64_MAX || cnn_mul_overflows (known, (uint64_t) dims[i],
            &known))
      known = UINT64_MAX;       /* a copied dynamic dim: the total is unknown */
  }
  if (allowzero && has_zero && infer_at >= 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "with allowzero=1 the shape cannot hold both 0 and -1");

  if (infer_at >= 0) {
    if (!in_known || known == UINT64_MAX)
      dims[infer_at] = -1;
    else if (known == 0 || in_elems % known != 0)
      goto mismatch;
    else
      dims[infer_at] = (int64_t) (in_elems / known);
  } else if (in_known && known != UINT64_MAX && known != in_elems) {
    goto mismatch;
  }
  cnn_value_set_shape (cnn_node_output (g, n, 0), x->dtype, count, dims);
  return CNN_STATUS_OK;

mismatch:
  cnn_format_dims (sx, sizeof (sx), x->rank, x->dims);
  cnn_format_dims (sy, sizeof (sy), count, dims);
  if (infer_at >= 0)
    return cnn_node_error (err, g, n, CNN_STATUS_SHAPE_MISMATCH,
        "cannot reshape %s (%llu elements) to %s with -1 at dim %d (%llu elements are fixed)",
        sx, (unsigned long long) in_elems, sy, infer_at, (unsigned long long) known);
  return cnn_node_error (err, g, n, CNN_STATUS_SHAPE_MISMATCH,
      "cannot reshape %s (%llu elements) to %s (%llu elements)", sx,
      (unsigned long long) in_elems, sy, (unsigned long long) known);
}

/* ---- Squeeze / Unsqueeze ---------------------------------------------------------------- */

static cnn_status
squeeze_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = cnn_op_input_known (g, n, x, err);
  int64_t axes[CNN_MAX_RANK], dims[CNN_MAX_RANK];
  bool drop[CNN_MAX_RANK] = { false };
  int count, rank = 0;

  if (status != CNN_STATUS_OK)
    return status;
  status = cnn_op_ints (g, n, "axes", 1, 13, CNN_MAX_RANK, axes, &count, err);
  if (status != CNN_STATUS_OK)
    return status;
  if (count < 0) {
    /* No axes: drop every dim of size 1. */
    for (int d = 0; d < x->rank; d++) {
      if (x->dims[d] < 0)
        return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
            "without axes, every dim must be known (dim %d is dynamic)", d);
      drop[d] = x->dims[d] == 1;
    }
  }
  for (int i = 0; i < count; i++) {
    int a;
    if (!cnn_op_resolve_axis (axes[i], x->rank, &a))
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "axis %lld is out of range for a rank-%d input", (long long) axes[i], x->rank);
    if (drop[a])
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "axis %d is repeated", a);
    if (x->dims[a] != 1 && x->dims[a] >= 0)
      return cnn_node_error (err, g, n, CNN_STATUS_SHAPE_MISMATCH,
          "cannot squeeze axis %d of size %lld", a, (long long) x->dims[a]);
    drop[a] = true;
  }
  for (int d = 0; d < x->rank; d++)
    if (!drop[d])
      dims[rank++] = x->dims[d];
  cnn_value_set_shape (cnn_node_output (g, n, 0), x->dtype, rank, dims);
  return CNN_STATUS_OK;
}

static cnn_status
unsqueeze_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = cnn_op_input_known (g, n, x, err);
  int64_t axes[CNN_MAX_RANK], dims[CNN_MAX_RANK];
  bool added[CNN_MAX_RANK] = { false };
  int count;

  if (status != CNN_STATUS_OK)
    return status;
  status = cnn_op_ints (g, n, "axes", 1, 13, CNN_MAX_RANK, axes, &count, err);
  if (status != CNN_STATUS_OK)
    return status;
  if (count < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "axes are missing");
  int rank = x->rank + count;
  if (rank > CNN_MAX_RANK)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "output rank %d exceeds the supported %d", rank, CNN_MAX_RANK);
  for (int i = 0; i < count; i++) {
    int a;
    if (!cnn_op_resolve_axis (axes[i], rank, &a))
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "axis %lld is out of range for a rank-%d output", (long long) axes[i], rank);
    if (added[a])
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "axis %d is repeated", a);
    added[a] = true;
  }
  for (int d = 0, k = 0; d < rank; d++)
    dims[d] = added[d] ? 1 : x->dims[k++];
  cnn_value_set_shape (cnn_node_output (g, n, 0), x->dtype, rank, dims);
  return CNN_STATUS_OK;
}

/* ---- Table rows ------------------------------------------------------------------------- */

const cnn_op_def cnn_op_flatten = {
  .name = "Flatten",
  .min_inputs = 1,
  .max_inputs = 1,
  .min_outputs = 1,
  .max_outputs = 1,
  .infer = flatten_infer,
  .run = cnn_op_copy_run,
  .macs = cnn_op_macs_none,
};

const cnn_op_def cnn_op_reshape = {
  .name = "Reshape",
  .min_inputs = 1,              /* opsets 1–4: shape attribute; checked by infer */
  .max_inputs = 2,
  .min_outputs = 1,
  .max_outputs = 1,
  .infer = reshape_infer,
  .run = cnn_op_copy_run,
  .macs = cnn_op_macs_none,
};

const cnn_op_def cnn_op_squeeze = {
  .name = "Squeeze",
  .min_inputs = 1,
  .max_inputs = 2,
  .min_outputs = 1,
  .max_outputs = 1,
  .infer = squeeze_infer,
  .run = cnn_op_copy_run,
  .macs = cnn_op_macs_none,
};

const cnn_op_def cnn_op_unsqueeze = {
  .name = "Unsqueeze",
  .min_inputs = 1,
  .max_inputs = 2,
  .min_outputs = 1,
  .max_outputs = 1,
  .infer = unsqueeze_infer,
  .run = cnn_op_copy_run,
  .macs = cnn_op_macs_none,
};
