/* layout.c — ops that move data without arithmetic: Flatten, Reshape, Transpose, Concat,
 * Squeeze, Unsqueeze, Slice, Gather, Pad, Identity, Dropout.
 *
 * All are dtype-agnostic (elements are copied by size). Reshape-like ops are a plain copy of
 * the bytes, skipped when input and output share storage. Transpose, Slice and Pad are one
 * strided copy (copy_plan) whose contiguous inner runs become memcpy. Shapes that depend on
 * tensor contents (Reshape's shape, Slice's starts/ends, Pad's pads, Squeeze/Unsqueeze axes
 * from opset 13) must be constants by prepare time: after folding, exporters' shape
 * sub-graphs are.
 */
#include "ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Elements per parallel unit of a strided copy. */
#define COPY_GRAIN 16384

static uint64_t
macs_none (const cnn_graph *g, const cnn_node *n)
{
  (void) g;
  (void) n;
  return 0;
}

/* Resolves a possibly negative axis against `rank` (valid range [-rank, rank-1]). */
static bool
resolve_axis (int64_t axis, int rank, int *out)
{
  if (axis < -rank || axis >= rank)
    return false;
  *out = (int) (axis < 0 ? axis + rank : axis);
  return true;
}

/* Reads a constant 1-D int64/int32 input into out[0 .. *count-1] (at most `max`). A missing
 * input gives *count = -1. */
static cnn_status
read_const_ints (cnn_graph *g, cnn_node *n, int index, const char *what, int max,
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

/* Axes from the `axes` attribute (before `input_opset`) or from input 1 (from it). */
static cnn_status
read_axes (cnn_graph *g, cnn_node *n, int64_t input_opset, int max, int64_t *axes,
    int *count, cnn_error *err)
{
  if (g->opset < input_opset) {
    const int64_t *a;
    const cnn_attr *attr = cnn_node_attr (n, "axes");
    size_t k = cnn_node_attr_ints (n, "axes", &a);
    *count = attr != NULL ? (int) k : -1;
    if (k > (size_t) max)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "has %zu axes, more than the output's rank allows", k);
    if (k > 0)
      memcpy (axes, a, k * sizeof (int64_t));
    return CNN_STATUS_OK;
  }
  return read_const_ints (g, n, 1, "axes", max, axes, count, err);
}

static cnn_status
input_known (cnn_graph *g, cnn_node *n, const cnn_value *x, cnn_error *err)
{
  if (x == NULL || x->rank < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "input shape is unknown");
  if (cnn_dtype_size (x->dtype) == 0)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "input type %s is not supported", cnn_dtype_string (x->dtype));
  return CNN_STATUS_OK;
}

/* Copies input 0 to output 0 byte for byte (same element count). */
static void
copy_run (cnn_graph *g, cnn_node *n, const cnn_exec *exec)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  const cnn_value *y = cnn_node_output (g, n, 0);
  uint64_t bytes;
  (void) exec;

  if (x->ptr != y->ptr && cnn_value_bytes (y, &bytes) && bytes > 0)
    memcpy (y->ptr, x->ptr, (size_t) bytes);
}

/* ---- Strided copy ----------------------------------------------------------------------- */

typedef struct {
  int rank;                     /* 0: nothing to copy */
  int64_t dims[CNN_MAX_RANK];
  int64_t ds[CNN_MAX_RANK], ss[CNN_MAX_RANK];   /* element strides of dst and src */
  unsigned char *dst;
  const unsigned char *src;
  size_t es;
} copy_plan;

static void
copy_plan_init (copy_plan *p, int rank, const int64_t *dims, const int64_t *ds,
    const int64_t *ss, void *dst, const void *src, size_t es)
{
  p->rank = 0;
  p->dst = dst;
  p->src = src;
  p->es = es;
  for (int i = 0; i < rank; i++)
    if (dims[i] <= 0)
      return;
  /* Drop size-1 dims; merge a dim into its outer neighbour when both sides stay regular. */
  for (int i = 0; i < rank; i++) {
    if (dims[i] == 1)
      continue;
    int k = p->rank;
    if (k > 0 && p->ds[k - 1] == ds[i] * dims[i] && p->ss[k - 1] == ss[i] * dims[i]) {
      p->dims[k - 1] *= dims[i];
      p->ds[k - 1] = ds[i];
      p->ss[k - 1] = ss[i];
      continue;
    }
    p->dims[k] = dims[i];
    p->ds[k] = ds[i];
    p->ss[k] = ss[i];
    p->rank++;
  }
  if (p->rank == 0) {
    p->rank = 1;
    p->dims[0] = 1;
    p->ds[0] = p->ss[0] = 1;
  }
}

static void
copy_row (unsigned char *d, int64_t ds, const unsigned char *s, int64_t ss, size_t n,
    size_t es)
{
  if (ds == 1 && ss == 1) {
    memcpy (d, s, n * es);
    return;
  }
  switch (es) {
    case 4: {
      uint32_t *dd = (uint32_t *) d;
      const uint32_t *sp = (const uint32_t *) s;
      for (size_t i = 0; i < n; i++)
        dd[(int64_t) i * ds] = sp[(int64_t) i * ss];
      break;
    }
    case 8: {
      uint64_t *dd = (uint64_t *) d;
      const uint64_t *sp = (const uint64_t *) s;
      for (size_t i = 0; i < n; i++)
        dd[(int64_t) i * ds] = sp[(int64_t) i * ss];
      break;
    }
    case 1:
      for (size_t i = 0; i < n; i++)
        d[(int64_t) i * ds] = s[(int64_t) i * ss];
      break;
    default:
      for (size_t i = 0; i < n; i++)
        memcpy (d + (int64_t) i * ds * (int64_t) es, s + (int64_t) i * ss * (int64_t) es, es);
      break;
  }
}

/* Units are rows of the innermost dim, or elements for a 1-D plan. */
static void
copy_range (void *arg, size_t begin, size_t end, int thread)
{
  const copy_plan *p = arg;
  int64_t es = (int64_t) p->es;
  int last = p->rank - 1;
  (void) thread;

  if (p->rank == 1) {
    copy_row (p->dst + (int64_t) begin * p->ds[0] * es, p->ds[0],
        p->src + (int64_t) begin * p->ss[0] * es, p->ss[0], end - begin, p->es);
    return;
  }
  int64_t idx[CNN_MAX_RANK], od = 0, os = 0;
  size_t rem = begin;
  for (int d = last - 1; d >= 0; d--) {
    idx[d] = (int64_t) (rem % (size_t) p->dims[d]);
    rem /= (size_t) p->dims[d];
    od += idx[d] * p->ds[d];
    os += idx[d] * p->ss[d];
  }
  for (size_t r = begin; r < end; r++) {
    copy_row (p->dst + od * es, p->ds[last], p->src + os * es, p->ss[last],
        (size_t) p->dims[last], p->es);
    for (int d = last - 1; d >= 0; d--) {
      od += p->ds[d];
      os += p->ss[d];
      if (++idx[d] < p->dims[d])
        break;
      od -= p->ds[d] * p->dims[d];
      os -= p->ss[d] * p->dims[d];
      idx[d] = 0;
    }
  }
}

static void
copy_plan_run (copy_plan *p, const cnn_exec *exec)
{
  size_t units = 1, grain = COPY_GRAIN;

  if (p->rank == 0)
    return;
  for (int d = 0; d < p->rank - 1; d++)
    units *= (size_t) p->dims[d];
  if (p->rank == 1) {
    units = (size_t) p->dims[0];
  } else {
    size_t inner = (size_t) p->dims[p->rank - 1];
    grain = inner >= COPY_GRAIN ? 1 : COPY_GRAIN / inner;
  }
  cnn_parallel_for (exec != NULL ? exec->pool : NULL, units, grain, copy_range, p);
}

/* Row-major element strides of a shape. */
static void
contiguous_strides (int rank, const int64_t *dims, int64_t *strides)
{
  int64_t s = 1;

  for (int i = rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i];
  }
}

/* ---- Flatten ---------------------------------------------------------------------------- */

static cnn_status
flatten_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = input_known (g, n, x, err);
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
  cnn_status status = input_known (g, n, x, err);
  bool allowzero = g->opset >= 14 && cnn_node_attr_int (n, "allowzero", 0) != 0;
  int64_t dims[CNN_MAX_RANK];
  int count = 0, infer_at = -1;
  uint64_t in_elems = 0, known = 1;
  bool in_known;
  char sx[200], sy[200];

  if (status != CNN_STATUS_OK)
    return status;
  status = read_const_ints (g, n, 1, "shape", CNN_MAX_RANK, dims, &count, err);
  if (status != CNN_STATUS_OK)
    return status;
  if (count < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "the shape input is missing");
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

/* ---- Transpose -------------------------------------------------------------------------- */

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
  cnn_status status = input_known (g, n, x, err);
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
transpose_run (cnn_graph *g, cnn_node *n, const cnn_exec *exec)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  const cnn_value *y = cnn_node_output (g, n, 0);
  int perm[CNN_MAX_RANK];
  int64_t in_strides[CNN_MAX_RANK], ss[CNN_MAX_RANK], ds[CNN_MAX_RANK];
  copy_plan p;

  transpose_perm (n, x->rank, perm);
  contiguous_strides (x->rank, x->dims, in_strides);
  contiguous_strides (y->rank, y->dims, ds);
  for (int i = 0; i < x->rank; i++)
    ss[i] = in_strides[perm[i]];
  copy_plan_init (&p, y->rank, y->dims, ds, ss, y->ptr, x->ptr, cnn_dtype_size (x->dtype));
  copy_plan_run (&p, exec);
}

/* ---- Concat ----------------------------------------------------------------------------- */

static cnn_status
concat_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  if (cnn_node_attr (n, "axis") == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "the 'axis' attribute is required");
  return CNN_STATUS_OK;
}

static cnn_status
concat_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x0 = cnn_node_input (g, n, 0);
  cnn_status status = input_known (g, n, x0, err);
  int64_t dims[CNN_MAX_RANK];
  int axis = 0;
  char s0[200], si[200];

  if (status != CNN_STATUS_OK)
    return status;
  if (!resolve_axis (cnn_node_attr_int (n, "axis", 0), x0->rank, &axis))
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "axis %lld is out of range for rank-%d inputs",
        (long long) cnn_node_attr_int (n, "axis", 0), x0->rank);
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
concat_run (cnn_graph *g, cnn_node *n, const cnn_exec *exec)
{
  const cnn_value *y = cnn_node_output (g, n, 0);
  size_t es = cnn_dtype_size (y->dtype);
  int axis = 0;
  size_t outer = 1, inner = es;
  (void) exec;

  resolve_axis (cnn_node_attr_int (n, "axis", 0), y->rank, &axis);
  for (int d = 0; d < axis; d++)
    outer *= (size_t) y->dims[d];
  for (int d = axis + 1; d < y->rank; d++)
    inner *= (size_t) y->dims[d];
  size_t row = (size_t) y->dims[axis] * inner;   /* output bytes per outer index */
  size_t offset = 0;
  for (int i = 0; i < n->n_inputs; i++) {
    const cnn_value *x = cnn_node_input (g, n, i);
    size_t chunk = (size_t) x->dims[axis] * inner;
    const unsigned char *src = x->ptr;
    unsigned char *dst = (unsigned char *) y->ptr + offset;
    if (chunk > 0)
      for (size_t o = 0; o < outer; o++)
        memcpy (dst + o * row, src + o * chunk, chunk);
    offset += chunk;
  }
}

/* ---- Squeeze / Unsqueeze ---------------------------------------------------------------- */

static cnn_status
squeeze_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = input_known (g, n, x, err);
  int64_t axes[CNN_MAX_RANK], dims[CNN_MAX_RANK];
  bool drop[CNN_MAX_RANK] = { false };
  int count, rank = 0;

  if (status != CNN_STATUS_OK)
    return status;
  status = read_axes (g, n, 13, CNN_MAX_RANK, axes, &count, err);
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
    if (!resolve_axis (axes[i], x->rank, &a))
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
  cnn_status status = input_known (g, n, x, err);
  int64_t axes[CNN_MAX_RANK], dims[CNN_MAX_RANK];
  bool added[CNN_MAX_RANK] = { false };
  int count;

  if (status != CNN_STATUS_OK)
    return status;
  status = read_axes (g, n, 13, CNN_MAX_RANK, axes, &count, err);
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
    if (!resolve_axis (axes[i], rank, &a))
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

/* ---- Slice ------------------------------------------------------------------------------ */

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
  if (g->opset < 10) {
    const int64_t *a;
    size_t k = cnn_node_attr_ints (n, name, &a);
    *count = cnn_node_attr (n, name) != NULL ? (int) k : -1;
    if (k > CNN_MAX_RANK)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "'%s' has %zu values, more than the supported rank %d", name, k, CNN_MAX_RANK);
    if (k > 0)
      memcpy (out, a, k * sizeof (int64_t));
    return CNN_STATUS_OK;
  }
  return read_const_ints (g, n, index, name, CNN_MAX_RANK, out, count, err);
}

static cnn_status
slice_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  slice_params *p = n->params;
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = input_known (g, n, x, err);
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
    if (!resolve_axis (axis, x->rank, &a))
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
slice_run (cnn_graph *g, cnn_node *n, const cnn_exec *exec)
{
  const slice_params *sp = n->params;
  const cnn_value *x = cnn_node_input (g, n, 0);
  const cnn_value *y = cnn_node_output (g, n, 0);
  size_t es = cnn_dtype_size (x->dtype);
  int64_t in_strides[CNN_MAX_RANK], ss[CNN_MAX_RANK], ds[CNN_MAX_RANK];
  int64_t offset = 0;
  copy_plan p;

  contiguous_strides (x->rank, x->dims, in_strides);
  contiguous_strides (y->rank, y->dims, ds);
  for (int d = 0; d < x->rank; d++) {
    offset += sp->start[d] * in_strides[d];
    ss[d] = sp->step[d] * in_strides[d];
  }
  copy_plan_init (&p, y->rank, y->dims, ds, ss, y->ptr,
      (const unsigned char *) x->ptr + offset * (int64_t) es, es);
  copy_plan_run (&p, exec);
}

/* ---- Gather ----------------------------------------------------------------------------- */

static cnn_status
gather_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  const cnn_value *idx = cnn_node_input (g, n, 1);
  cnn_status status = input_known (g, n, x, err);
  int64_t dims[CNN_MAX_RANK];
  int axis, rank = 0;

  if (status != CNN_STATUS_OK)
    return status;
  if (idx == NULL || idx->rank < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "indices shape is unknown");
  if (idx->dtype != CNN_DTYPE_INT64 && idx->dtype != CNN_DTYPE_INT32)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "indices must be int64 or int32, not %s", cnn_dtype_string (idx->dtype));
  if (!resolve_axis (cnn_node_attr_int (n, "axis", 0), x->rank, &axis))
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
gather_run (cnn_graph *g, cnn_node *n, const cnn_exec *exec)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  const cnn_value *idx = cnn_node_input (g, n, 1);
  const cnn_value *y = cnn_node_output (g, n, 0);
  size_t outer = 1, inner = cnn_dtype_size (x->dtype);
  uint64_t count;
  int axis = 0;
  (void) exec;

  resolve_axis (cnn_node_attr_int (n, "axis", 0), x->rank, &axis);
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

/* ---- Pad -------------------------------------------------------------------------------- */

typedef struct {
  int64_t pads[2 * CNN_MAX_RANK];       /* begin for each dim, then end; resolved by infer */
  float value;                          /* `value` attribute before opset 11 */
} pad_params;

static cnn_status
pad_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const char *mode = cnn_node_attr_string (n, "mode", "constant");
  pad_params *p;

  if (strcmp (mode, "constant") != 0)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "mode '%s' is not supported (only 'constant' is)", mode);
  if (g->opset < 11 && cnn_node_attr (n, "pads") == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "the 'pads' attribute is required before opset 11");
  if (g->opset >= 11 && n->n_inputs < 2)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "needs the pads input from opset 11");
  p = calloc (1, sizeof (*p));
  if (p == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  p->value = cnn_node_attr_float (n, "value", 0.0f);
  n->params = p;
  return CNN_STATUS_OK;
}

static cnn_status
pad_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  pad_params *p = n->params;
  const cnn_value *x = cnn_node_input (g, n, 0);
  const cnn_value *cv = cnn_node_input (g, n, 2);
  cnn_status status = input_known (g, n, x, err);
  int64_t dims[CNN_MAX_RANK];
  int count;

  if (status != CNN_STATUS_OK)
    return status;
  if (g->opset < 11) {
    const int64_t *a;
    count = (int) cnn_node_attr_ints (n, "pads", &a);
    if (count == 2 * x->rank)
      memcpy (p->pads, a, (size_t) count * sizeof (int64_t));
  } else {
    status = read_const_ints (g, n, 1, "pads", 2 * CNN_MAX_RANK, p->pads, &count, err);
    if (status != CNN_STATUS_OK)
      return status;
  }
  if (count != 2 * x->rank)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "pads has %d values; a rank-%d input needs %d", count, x->rank, 2 * x->rank);
  if (cv != NULL) {
    uint64_t k;
    if (cv->dtype != x->dtype || !cnn_value_elements (cv, &k) || k != 1)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "constant_value must be a one-element %s tensor", cnn_dtype_string (x->dtype));
  }
  for (int d = 0; d < x->rank; d++) {
    int64_t b = p->pads[d], e = p->pads[d + x->rank];
    /* Pads come from the file: bound them before adding, so the sum cannot overflow. */
    const int64_t limit = INT64_C (1) << 31;
    if (b > limit || b < -limit || e > limit || e < -limit)
      return cnn_node_error (err, g, n, CNN_STATUS_LIMIT_EXCEEDED,
          "pads %lld and %lld for dim %d are out of range (at most 2^31)", (long long) b,
          (long long) e, d);
    dims[d] = x->dims[d] < 0 ? -1 : x->dims[d] + b + e;
    if (x->dims[d] >= 0 && dims[d] < 0)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "pads %lld and %lld crop more than dim %d's %lld elements", (long long) b,
          (long long) e, d, (long long) x->dims[d]);
  }
  cnn_value_set_shape (cnn_node_output (g, n, 0), x->dtype, x->rank, dims);
  return CNN_STATUS_OK;
}

static void
pad_run (cnn_graph *g, cnn_node *n, const cnn_exec *exec)
{
  const pad_params *pp = n->params;
  const cnn_value *x = cnn_node_input (g, n, 0);
  const cnn_value *cv = cnn_node_input (g, n, 2);
  const cnn_value *y = cnn_node_output (g, n, 0);
  size_t es = cnn_dtype_size (y->dtype);
  int rank = x->rank;
  unsigned char value[8] = { 0 };
  uint64_t count;

  if (!cnn_value_elements (y, &count) || count == 0)
    return;

  /* Fill with the constant, then copy the input's surviving part inside. */
  if (cv != NULL) {
    memcpy (value, cv->ptr, es);
  } else {
    switch (y->dtype) {
      case CNN_DTYPE_FLOAT32: memcpy (value, &pp->value, sizeof (float)); break;
      case CNN_DTYPE_INT64: { int64_t v = (int64_t) pp->value; memcpy (value, &v, 8); break; }
      case CNN_DTYPE_INT32: { int32_t v = (int32_t) pp->value; memcpy (value, &v, 4); break; }
      case CNN_DTYPE_BOOL: value[0] = pp->value != 0.0f; break;
      default: break;
    }
  }
  bool zero = true;
  for (size_t i = 0; i < es; i++)
    zero &= value[i] == 0;
  unsigned char *out = y->ptr;
  if (zero)
    memset (out, 0, (size_t) count * es);
  else
    for (uint64_t i = 0; i < count; i++)
      memcpy (out + i * es, value, es);

  int64_t in_strides[CNN_MAX_RANK], out_strides[CNN_MAX_RANK], dims[CNN_MAX_RANK];
  int64_t in_off = 0, out_off = 0;
  contiguous_strides (rank, x->dims, in_strides);
  contiguous_strides (rank, y->dims, out_strides);
  for (int d = 0; d < rank; d++) {
    int64_t b = pp->pads[d], e = pp->pads[d + rank];
    int64_t skip_in = b < 0 ? -b : 0;   /* negative pads crop */
    dims[d] = x->dims[d] - skip_in - (e < 0 ? -e : 0);
    if (dims[d] <= 0)
      return;
    in_off += skip_in * in_strides[d];
    out_off += (b > 0 ? b : 0) * out_strides[d];
  }
  copy_plan p;
  copy_plan_init (&p, rank, dims, out_strides, in_strides, out + out_off * (int64_t) es,
      (const unsigned char *) x->ptr + in_off * (int64_t) es, es);
  copy_plan_run (&p, exec);
}

/* ---- Identity / Dropout ----------------------------------------------------------------- */

static cnn_status
identity_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = input_known (g, n, x, err);

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
dropout_run (cnn_graph *g, cnn_node *n, const cnn_exec *exec)
{
  uint64_t count;

  copy_run (g, n, exec);
  if (!dropout_has_mask (n))
    return;
  /* In inference nothing is dropped: the mask is all true (1 in the input's type before
   * opset 10). */
  const cnn_value *m = cnn_node_output (g, n, 1);
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

/* ---- Table rows ------------------------------------------------------------------------- */

const cnn_op_def cnn_op_flatten = {
  .name = "Flatten",
  .min_inputs = 1,
  .max_inputs = 1,
  .min_outputs = 1,
  .max_outputs = 1,
  .infer = flatten_infer,
  .run = copy_run,
  .macs = macs_none,
};

const cnn_op_def cnn_op_reshape = {
  .name = "Reshape",
  .min_inputs = 2,
  .max_inputs = 2,
  .min_outputs = 1,
  .max_outputs = 1,
  .infer = reshape_infer,
  .run = copy_run,
  .macs = macs_none,
};

const cnn_op_def cnn_op_transpose = {
  .name = "Transpose",
  .min_inputs = 1,
  .max_inputs = 1,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = transpose_parse,
  .infer = transpose_infer,
  .run = transpose_run,
  .macs = macs_none,
};

const cnn_op_def cnn_op_concat = {
  .name = "Concat",
  .min_inputs = 1,
  .max_inputs = 1 << 20,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = concat_parse,
  .infer = concat_infer,
  .run = concat_run,
  .macs = macs_none,
};

const cnn_op_def cnn_op_squeeze = {
  .name = "Squeeze",
  .min_inputs = 1,
  .max_inputs = 2,
  .min_outputs = 1,
  .max_outputs = 1,
  .infer = squeeze_infer,
  .run = copy_run,
  .macs = macs_none,
};

const cnn_op_def cnn_op_unsqueeze = {
  .name = "Unsqueeze",
  .min_inputs = 1,
  .max_inputs = 2,
  .min_outputs = 1,
  .max_outputs = 1,
  .infer = unsqueeze_infer,
  .run = copy_run,
  .macs = macs_none,
};

const cnn_op_def cnn_op_slice = {
  .name = "Slice",
  .min_inputs = 1,
  .max_inputs = 5,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = slice_parse,
  .infer = slice_infer,
  .run = slice_run,
  .macs = macs_none,
};

const cnn_op_def cnn_op_gather = {
  .name = "Gather",
  .min_inputs = 2,
  .max_inputs = 2,
  .min_outputs = 1,
  .max_outputs = 1,
  .infer = gather_infer,
  .run = gather_run,
  .macs = macs_none,
};

const cnn_op_def cnn_op_pad = {
  .name = "Pad",
  .min_inputs = 1,
  .max_inputs = 3,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = pad_parse,
  .infer = pad_infer,
  .run = pad_run,
  .macs = macs_none,
};

const cnn_op_def cnn_op_identity = {
  .name = "Identity",
  .min_inputs = 1,
  .max_inputs = 1,
  .min_outputs = 1,
  .max_outputs = 1,
  .infer = identity_infer,
  .run = copy_run,
  .macs = macs_none,
};

const cnn_op_def cnn_op_dropout = {
  .name = "Dropout",
  .min_inputs = 1,
  .max_inputs = 3,
  .min_outputs = 1,
  .max_outputs = 2,
  .infer = dropout_infer,
  .run = dropout_run,
  .macs = macs_none,
};
