/* elementwise.c — Add, Sub, Mul, Div, Pow and the variadic Sum, Mean, Max, Min, with numpy
 * multidirectional broadcasting (opset 7+; the equal shapes that opsets 1–7 want of the
 * variadic ops are a special case), and the limited broadcasting of Add/Sub/Mul/Div in opsets
 * 1–6 (`broadcast` = 1 with `axis`: B's dims line up with A's from `axis` on, which is numpy
 * broadcasting once B gets trailing 1s). Pow and Mean are float32 only.
 *
 * Float32, int64 and int32. The integer forms matter because exporters compute shapes with
 * them (constant-folded at prepare). Integer Div truncates toward zero like C and like ONNX's
 * reference implementation (true divide, then cast back).
 *
 * run() collapses the broadcast into at most CNN_MAX_RANK dims of (a stride, b stride), merges
 * dims that stay contiguous, and walks rows of the innermost dim. Same-shape, scalar and
 * per-channel operands collapse into one or two dims whose inner loop has stride 1 or 0.
 */
#include "kernels/activation.h"
#include "kernels/channel-scale.h"
#include "kernels/vectorize.h"
#include "helpers.h"
#include "ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
  BIN_ADD,
  BIN_SUB,
  BIN_MUL,
  BIN_DIV,
  BIN_POW,                      /* float32 only */
  BIN_MAX,
  BIN_MIN,
} bin_kind;

/* Elements per parallel unit: below this a layer runs on the calling thread. */
#define BIN_GRAIN 16384

static cnn_status
binary_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  if (g->opset >= 7 && (cnn_node_attr (n, "broadcast") != NULL
          || cnn_node_attr (n, "axis") != NULL))
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "the 'broadcast' and 'axis' attributes exist only before opset 7");
  return CNN_STATUS_OK;
}

/* B's shape as numpy broadcasting sees it: as stored, or (opset < 7, broadcast = 1 with an
 * axis) followed by 1s so that its dims start at `axis` of A's. False when the axis does not
 * fit. */
static bool
binary_b_shape (const cnn_node *n, const cnn_value *a, const cnn_value *b, int *rank,
    int64_t dims[CNN_MAX_RANK])
{
  const cnn_attr *axis_attr = cnn_node_attr (n, "axis");

  *rank = b->rank;
  memcpy (dims, b->dims, sizeof (int64_t) * (size_t) b->rank);
  /* binary_parse refused these attributes from opset 7. */
  if (axis_attr == NULL || cnn_node_attr_int (n, "broadcast", 0) == 0)
    return true;
  int axis;
  if (!cnn_op_resolve_axis (axis_attr->i, a->rank, &axis) || axis + b->rank > a->rank)
    return false;
  for (int d = axis + b->rank; d < a->rank; d++)
    dims[(*rank)++] = 1;
  return true;
}

/* Numpy broadcasting: (rank, dims) becomes the broadcast of itself and (brank, bdims). False
 * (with the output dim in *bad) when two known dims differ and neither is 1. */
static bool
broadcast_shapes (int *rank, int64_t dims[CNN_MAX_RANK], int brank, const int64_t *bdims,
    int *bad)
{
  int64_t out[CNN_MAX_RANK];
  int arank = *rank, r = arank > brank ? arank : brank;

  for (int i = 0; i < r; i++) {
    int ia = i - (r - arank), ib = i - (r - brank);
    int64_t da = ia >= 0 ? dims[ia] : 1;
    int64_t db = ib >= 0 ? bdims[ib] : 1;
    if (da == db || db == 1)
      out[i] = da;
    else if (da == 1)
      out[i] = db;
    else if (da < 0 || db < 0)
      out[i] = da < 0 ? db : da;        /* a dynamic dim must match the known one */
    else {
      *bad = i;
      return false;
    }
  }
  memcpy (dims, out, sizeof (int64_t) * (size_t) r);
  *rank = r;
  return true;
}

static cnn_status
binary_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *a = cnn_node_input (g, n, 0);
  const cnn_value *b = cnn_node_input (g, n, 1);
  int64_t dims[CNN_MAX_RANK], bdims[CNN_MAX_RANK];
  int brank;
  char sa[160], sb[160];

  if (a == NULL || b == NULL || a->rank < 0 || b->rank < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "input shapes are unknown");
  if (!binary_b_shape (n, a, b, &brank, bdims)) {
    cnn_format_dims (sa, sizeof (sa), a->rank, a->dims);
    cnn_format_dims (sb, sizeof (sb), b->rank, b->dims);
    return cnn_node_error (err, g, n, CNN_STATUS_SHAPE_MISMATCH,
        "axis %lld does not place B of shape %s inside A of shape %s",
        (long long) cnn_node_attr_int (n, "axis", 0), sb, sa);
  }
  if (a->dtype != b->dtype)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "input types differ (%s and %s)", cnn_dtype_string (a->dtype),
        cnn_dtype_string (b->dtype));
  if (a->dtype != CNN_DTYPE_FLOAT32 && a->dtype != CNN_DTYPE_INT64
      && a->dtype != CNN_DTYPE_INT32)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "input type %s is not supported (float32, int64, int32 are)",
        cnn_dtype_string (a->dtype));

  int rank = a->rank, bad;
  memcpy (dims, a->dims, sizeof (int64_t) * (size_t) a->rank);
  if (!broadcast_shapes (&rank, dims, brank, bdims, &bad)) {
    cnn_format_dims (sa, sizeof (sa), a->rank, a->dims);
    cnn_format_dims (sb, sizeof (sb), b->rank, b->dims);
    return cnn_node_error (err, g, n, CNN_STATUS_SHAPE_MISMATCH,
        "shapes %s and %s cannot be broadcast together (dim %d)", sa, sb, bad);
  }
  cnn_value_set_shape (cnn_node_output (g, n, 0), a->dtype, rank, dims);
  return CNN_STATUS_OK;
}

/* The broadcast, collapsed: output is contiguous over dims[]; a and b step by sa[] / sb[]
 * elements (0 where broadcast). */
typedef struct {
  bin_kind kind;
  cnn_dtype dtype;
  int rank;
  int64_t dims[CNN_MAX_RANK];
  int64_t sa[CNN_MAX_RANK], sb[CNN_MAX_RANK];
  const void *a, *b;
  void *out;
  cnn_activation act;
  float alpha, beta;
} bin_plan;

static void
bin_plan_build (bin_plan *p, const cnn_value *a, int brank, const int64_t *bdims,
    const cnn_value *out)
{
  int64_t stride_a = 1, stride_b = 1;
  int64_t dims[CNN_MAX_RANK], sa[CNN_MAX_RANK], sb[CNN_MAX_RANK];
  int rank = out->rank;

  /* Strides of each operand aligned to the output's dims (right-aligned, 0 = broadcast). */
  for (int i = rank - 1; i >= 0; i--) {
    int ia = i - (rank - a->rank), ib = i - (rank - brank);
    int64_t da = ia >= 0 ? a->dims[ia] : 1;
    int64_t db = ib >= 0 ? bdims[ib] : 1;
    dims[i] = out->dims[i];
    sa[i] = da == 1 ? 0 : stride_a;
    sb[i] = db == 1 ? 0 : stride_b;
    stride_a *= da;
    stride_b *= db;
  }

  /* Drop size-1 dims, then merge neighbours that are contiguous for both operands. */
  p->rank = 0;
  for (int i = 0; i < rank; i++) {
    if (dims[i] == 1)
      continue;
    int k = p->rank;
    if (k > 0 && p->sa[k - 1] == sa[i] * dims[i] && p->sb[k - 1] == sb[i] * dims[i]) {
      p->dims[k - 1] *= dims[i];
      p->sa[k - 1] = sa[i];
      p->sb[k - 1] = sb[i];
      continue;
    }
    p->dims[k] = dims[i];
    p->sa[k] = sa[i];
    p->sb[k] = sb[i];
    p->rank++;
  }
  if (p->rank == 0) {
    p->rank = 1;
    p->dims[0] = 1;
    p->sa[0] = p->sb[0] = 0;
  }
}

/* out[i] = a[i * sa] OP b[i * sb], with the common stride pairs as separate loops so they
 * vectorise. */
#define BIN_LOOPS(T, EXPR)                                                       \
  do {                                                                            \
    const T *pa = av;                                                             \
    const T *pb = bv;                                                             \
    T *po = ov;                                                                   \
    if (sa == 1 && sb == 1) {                                                     \
      for (size_t i = 0; i < n; i++) {                                            \
        T x = pa[i], y = pb[i];                                                   \
        po[i] = (EXPR);                                                           \
      }                                                                           \
    } else if (sa == 1 && sb == 0) {                                              \
      T y = pb[0];                                                                \
      for (size_t i = 0; i < n; i++) {                                            \
        T x = pa[i];                                                              \
        po[i] = (EXPR);                                                           \
      }                                                                           \
    } else if (sa == 0 && sb == 1) {                                              \
      T x = pa[0];                                                                \
      for (size_t i = 0; i < n; i++) {                                            \
        T y = pb[i];                                                              \
        po[i] = (EXPR);                                                           \
      }                                                                           \
    } else {                                                                      \
      for (size_t i = 0; i < n; i++) {                                            \
        T x = pa[(int64_t) i * sa], y = pb[(int64_t) i * sb];                     \
        po[i] = (EXPR);                                                           \
      }                                                                           \
    }                                                                             \
  } while (0)

/* Integer arithmetic wraps (through the unsigned type) instead of being undefined; division
 * by zero gives 0 and INT_MIN / -1 wraps, since run cannot fail. */
#define INT_DIV(T, U, x, y) \
  ((y) == 0 ? (T) 0 : (y) == -1 ? (T) (0 - (U) (x)) : (T) ((x) / (y)))

/* float32 rows, compiled per CPU (vectorize.h) rather than for baseline x86-64 only: the
 * squeeze-excitation gates of EfficientNet-B0 and MobileNetV3 are Muls of whole planes by one
 * value, and their SSE2 loops took 1.0× to 1.5× the time depending on where the linker put
 * them (EfficientNet-B0's 16 Muls, Zen 4). */
CNN_VECTORIZE static void
bin_row_f32 (bin_kind kind, void *ov, const void *av, int64_t sa, const void *bv, int64_t sb,
    size_t n)
{
  switch (kind) {
    case BIN_ADD: BIN_LOOPS (float, x + y); break;
    case BIN_SUB: BIN_LOOPS (float, x - y); break;
    case BIN_MUL: BIN_LOOPS (float, x * y); break;
    case BIN_DIV: BIN_LOOPS (float, x / y); break;
    case BIN_POW: BIN_LOOPS (float, y == 2.0f ? x * x : powf (x, y)); break;
    /* NaN propagates, as in ONNX Runtime. */
    case BIN_MAX: BIN_LOOPS (float, x != x || x > y ? x : y); break;
    case BIN_MIN: BIN_LOOPS (float, x != x || x < y ? x : y); break;
  }
}

static void
bin_row (bin_kind kind, cnn_dtype dtype, void *ov, const void *av, int64_t sa, const void *bv,
    int64_t sb, size_t n)
{
  switch (dtype) {
    case CNN_DTYPE_FLOAT32:
      bin_row_f32 (kind, ov, av, sa, bv, sb, n);
      break;
    case CNN_DTYPE_INT64:
      switch (kind) {
        case BIN_ADD: BIN_LOOPS (int64_t, (int64_t) ((uint64_t) x + (uint64_t) y)); break;
        case BIN_SUB: BIN_LOOPS (int64_t, (int64_t) ((uint64_t) x - (uint64_t) y)); break;
        case BIN_MUL: BIN_LOOPS (int64_t, (int64_t) ((uint64_t) x * (uint64_t) y)); break;
        case BIN_DIV: BIN_LOOPS (int64_t, INT_DIV (int64_t, uint64_t, x, y)); break;
        case BIN_MAX: BIN_LOOPS (int64_t, x > y ? x : y); break;
        case BIN_MIN: BIN_LOOPS (int64_t, x < y ? x : y); break;
        case BIN_POW: break;
      }
      break;
    case CNN_DTYPE_INT32:
      switch (kind) {
        case BIN_ADD: BIN_LOOPS (int32_t, (int32_t) ((uint32_t) x + (uint32_t) y)); break;
        case BIN_SUB: BIN_LOOPS (int32_t, (int32_t) ((uint32_t) x - (uint32_t) y)); break;
        case BIN_MUL: BIN_LOOPS (int32_t, (int32_t) ((uint32_t) x * (uint32_t) y)); break;
        case BIN_DIV: BIN_LOOPS (int32_t, INT_DIV (int32_t, uint32_t, x, y)); break;
        case BIN_MAX: BIN_LOOPS (int32_t, x > y ? x : y); break;
        case BIN_MIN: BIN_LOOPS (int32_t, x < y ? x : y); break;
        case BIN_POW: break;
      }
      break;
    default:
      break;
  }
}

/* Processes output rows [begin, end) of the plan; a row is the innermost collapsed dim, except
 * for a 1-D plan where units are single elements (so one long vector still splits). */
static void
bin_range (void *arg, size_t begin, size_t end, int thread)
{
  const bin_plan *p = arg;
  size_t es = cnn_dtype_size (p->dtype);
  int last = p->rank - 1;
  (void) thread;

  if (p->rank == 1) {
    float *o = (float *) ((char *) p->out + begin * es);
    bin_row (p->kind, p->dtype, o, (const char *) p->a + (int64_t) begin * p->sa[0] * es,
        p->sa[0], (const char *) p->b + (int64_t) begin * p->sb[0] * es, p->sb[0],
        end - begin);
    if (p->act != CNN_ACTIVATION_NONE)
      cnn_activate_array (o, end - begin, 0.0f, p->act, p->alpha, p->beta);
    return;
  }

  /* Whole planes times one value each (a squeeze-excitation's gate, x [N, C, H, W] by
   * [N, C, 1, 1], which merges to rows of H·W by one value per row): one call for the range
   * rather than a call per row. EfficientNet-B0's 11 Muls the SE fold leaves (14×14 and 7×7),
   * 1 thread Zen 4, ab-layers 80 runs: 0.148 -> 0.084 ms; MobileNetV3-small's 3: 0.013 ->
   * 0.007. */
  if (p->kind == BIN_MUL && p->dtype == CNN_DTYPE_FLOAT32 && p->act == CNN_ACTIVATION_NONE
      && p->rank == 2) {
    int64_t inner = p->dims[1];
    bool b_gate = p->sa[0] == inner && p->sa[1] == 1 && p->sb[0] == 1 && p->sb[1] == 0;
    bool a_gate = p->sb[0] == inner && p->sb[1] == 1 && p->sa[0] == 1 && p->sa[1] == 0;
    if (a_gate || b_gate) {
      const float *x = a_gate ? p->b : p->a, *gate = a_gate ? p->a : p->b;
      cnn_scale_planes ((int64_t) (end - begin), inner, x + (int64_t) begin * inner,
          gate + begin, (float *) p->out + (int64_t) begin * inner);
      return;
    }
  }

  /* Index of row `begin` over dims[0 .. last-1], and the operands' offsets there. */
  int64_t idx[CNN_MAX_RANK];
  int64_t off_a = 0, off_b = 0;
  size_t rem = begin;
  for (int d = last - 1; d >= 0; d--) {
    idx[d] = (int64_t) (rem % (size_t) p->dims[d]);
    rem /= (size_t) p->dims[d];
    off_a += idx[d] * p->sa[d];
    off_b += idx[d] * p->sb[d];
  }
  size_t inner = (size_t) p->dims[last];
  for (size_t r = begin; r < end; r++) {
    void *o = (char *) p->out + r * inner * es;
    bin_row (p->kind, p->dtype, o, (const char *) p->a + off_a * (int64_t) es, p->sa[last],
        (const char *) p->b + off_b * (int64_t) es, p->sb[last], inner);
    if (p->act != CNN_ACTIVATION_NONE)
      cnn_activate_array (o, inner, 0.0f, p->act, p->alpha, p->beta);
    for (int d = last - 1; d >= 0; d--) {
      off_a += p->sa[d];
      off_b += p->sb[d];
      if (++idx[d] < p->dims[d])
        break;
      off_a -= p->sa[d] * p->dims[d];
      off_b -= p->sb[d] * p->dims[d];
      idx[d] = 0;
    }
  }
}

/* out = a OP b over out's shape; a and b broadcast to it (strides 0 where they are 1). */
static void
bin_apply (const cnn_exec *exec, bin_kind kind, const cnn_value *a, int brank,
    const int64_t *bdims, const void *bdata, const cnn_value *out, const cnn_node *n)
{
  uint64_t count;
  bin_plan p;

  if (!cnn_value_elements (out, &count) || count == 0)
    return;
  bin_plan_build (&p, a, brank, bdims, out);
  p.kind = kind;
  p.dtype = out->dtype;
  p.a = a->ptr;
  p.b = bdata;
  p.out = out->ptr;
  /* Fused activations only make sense on float outputs. */
  p.act = n != NULL && out->dtype == CNN_DTYPE_FLOAT32 ? n->act : CNN_ACTIVATION_NONE;
  p.alpha = n != NULL ? n->act_alpha : 0.0f;
  p.beta = n != NULL ? n->act_beta : 0.0f;

  size_t units, grain;
  if (p.rank == 1) {
    units = (size_t) count;
    grain = BIN_GRAIN;
  } else {
    size_t inner = (size_t) p.dims[p.rank - 1];
    units = (size_t) count / inner;
    grain = inner >= BIN_GRAIN ? 1 : BIN_GRAIN / inner;
  }
  cnn_parallel_for (exec != NULL ? exec->pool : NULL, units, grain, bin_range, &p);
}

static void
binary_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec, bin_kind kind)
{
  const cnn_value *a = cnn_layer_in (io, 0);
  const cnn_value *b = cnn_layer_in (io, 1);
  int64_t bdims[CNN_MAX_RANK];
  int brank;

  binary_b_shape (n, a, b, &brank, bdims);   /* checked by infer */
  bin_apply (exec, kind, a, brank, bdims, b->ptr, io->out[0], n);
}

static void
add_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  binary_run (n, io, exec, BIN_ADD);
}

static void
sub_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  binary_run (n, io, exec, BIN_SUB);
}

static void
mul_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  binary_run (n, io, exec, BIN_MUL);
}

static void
div_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  binary_run (n, io, exec, BIN_DIV);
}

/* Pow: a float32 base; the exponent float32, or an int64/int32 constant (converted to
 * float32 once, at prepare, into node->packed). Integer bases do not occur in image
 * classifiers. */
static bool
pow_int_exponent (const cnn_value *b)
{
  return b->dtype == CNN_DTYPE_INT64 || b->dtype == CNN_DTYPE_INT32;
}

static cnn_status
pow_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *a = cnn_node_input (g, n, 0);
  const cnn_value *b = cnn_node_input (g, n, 1);
  int64_t bdims[CNN_MAX_RANK];
  int brank, rank, bad;
  int64_t dims[CNN_MAX_RANK];
  char sa[160], sb[160];

  if (a == NULL || b == NULL || a->rank < 0 || b->rank < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "input shapes are unknown");
  if (a->dtype != CNN_DTYPE_FLOAT32
      || (b->dtype != CNN_DTYPE_FLOAT32 && !(pow_int_exponent (b) && b->blob != NULL)))
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "%s to the power %s%s is not supported (a float32 base with a float32 exponent or a "
        "constant integer one is)", cnn_dtype_string (a->dtype), cnn_dtype_string (b->dtype),
        a->dtype == CNN_DTYPE_FLOAT32 && b->blob == NULL ? " computed at run time" : "");
  if (b->dtype == CNN_DTYPE_FLOAT32)
    return binary_infer (g, n, err);
  binary_b_shape (n, a, b, &brank, bdims);
  rank = a->rank;
  memcpy (dims, a->dims, sizeof (int64_t) * (size_t) a->rank);
  if (!broadcast_shapes (&rank, dims, brank, bdims, &bad)) {
    cnn_format_dims (sa, sizeof (sa), a->rank, a->dims);
    cnn_format_dims (sb, sizeof (sb), b->rank, b->dims);
    return cnn_node_error (err, g, n, CNN_STATUS_SHAPE_MISMATCH,
        "shapes %s and %s cannot be broadcast together (dim %d)", sa, sb, bad);
  }
  cnn_value_set_shape (cnn_node_output (g, n, 0), CNN_DTYPE_FLOAT32, rank, dims);
  return CNN_STATUS_OK;
}

static cnn_status
pow_prepare (cnn_graph *g, cnn_node *n, int threads, cnn_error *err)
{
  const cnn_value *b = cnn_node_input (g, n, 1);
  uint64_t count;
  (void) threads;

  if (!pow_int_exponent (b) || !cnn_value_elements (b, &count))
    return CNN_STATUS_OK;
  float *f = malloc ((size_t) (count > 0 ? count : 1) * sizeof (float));
  if (f == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  for (uint64_t i = 0; i < count; i++)
    f[i] = b->dtype == CNN_DTYPE_INT64 ? (float) ((const int64_t *) b->blob->data)[i]
        : (float) ((const int32_t *) b->blob->data)[i];
  n->packed = f;
  return CNN_STATUS_OK;
}

static void
pow_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const cnn_value *a = cnn_layer_in (io, 0);
  const cnn_value *b = cnn_layer_in (io, 1);
  int64_t bdims[CNN_MAX_RANK];
  int brank;

  binary_b_shape (n, a, b, &brank, bdims);
  bin_apply (exec, BIN_POW, a, brank, bdims, n->packed != NULL ? n->packed : b->ptr,
      io->out[0], n);
}

/* ---- Sum, Mean, Max, Min: any number of inputs, broadcast together ----------------------- */

static cnn_status
variadic_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x0 = cnn_node_input (g, n, 0);
  int64_t dims[CNN_MAX_RANK];
  int rank, bad;
  char s0[160], si[160];

  if (x0 == NULL || x0->rank < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "input 0 has an unknown shape");
  if (x0->dtype != CNN_DTYPE_FLOAT32 && x0->dtype != CNN_DTYPE_INT64
      && x0->dtype != CNN_DTYPE_INT32)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "input type %s is not supported (float32, int64, int32 are)",
        cnn_dtype_string (x0->dtype));
  if (strcmp (n->op_type, "Mean") == 0 && x0->dtype != CNN_DTYPE_FLOAT32)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "input type %s is not supported (float32 is)", cnn_dtype_string (x0->dtype));
  rank = x0->rank;
  memcpy (dims, x0->dims, sizeof (int64_t) * (size_t) rank);
  for (int i = 1; i < n->n_inputs; i++) {
    const cnn_value *xi = cnn_node_input (g, n, i);
    if (xi == NULL || xi->rank < 0)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "input %d is missing or has an unknown shape", i);
    if (xi->dtype != x0->dtype)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "input %d is %s but input 0 is %s", i, cnn_dtype_string (xi->dtype),
          cnn_dtype_string (x0->dtype));
    if (!broadcast_shapes (&rank, dims, xi->rank, xi->dims, &bad)) {
      cnn_format_dims (s0, sizeof (s0), rank, dims);
      cnn_format_dims (si, sizeof (si), xi->rank, xi->dims);
      return cnn_node_error (err, g, n, CNN_STATUS_SHAPE_MISMATCH,
          "input %d of shape %s cannot be broadcast with the others' %s (dim %d)", i, si, s0,
          bad);
    }
  }
  cnn_value_set_shape (cnn_node_output (g, n, 0), x0->dtype, rank, dims);
  return CNN_STATUS_OK;
}

/* out = x0 OP x1, then out = out OP xk for the others: every step over out's whole shape. */
static void
variadic_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec, bin_kind kind)
{
  const cnn_value *x0 = cnn_layer_in (io, 0);
  const cnn_value *out = io->out[0];
  uint64_t count;

  if (!cnn_value_elements (out, &count) || count == 0)
    return;
  if (n->n_inputs == 1) {
    if (out->ptr != x0->ptr)
      memcpy (out->ptr, x0->ptr, (size_t) count * cnn_dtype_size (out->dtype));
    return;
  }
  for (int i = 1; i < n->n_inputs; i++) {
    const cnn_value *xi = cnn_layer_in (io, i);
    bin_apply (exec, kind, i == 1 ? x0 : out, xi->rank, xi->dims, xi->ptr, out, NULL);
  }
  if (strcmp (n->op_type, "Mean") == 0) {
    float *y = out->ptr, scale = 1.0f / (float) n->n_inputs;
    for (uint64_t i = 0; i < count; i++)
      y[i] *= scale;
  }
}

static void
sum_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  variadic_run (n, io, exec, BIN_ADD);
}

static void
max_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  variadic_run (n, io, exec, BIN_MAX);
}

static void
min_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  variadic_run (n, io, exec, BIN_MIN);
}

#define BINARY_DEF(NAME, RUN)   \
  {                             \
    .name = NAME,               \
    .min_inputs = 2,            \
    .max_inputs = 2,            \
    .min_outputs = 1,           \
    .max_outputs = 1,           \
    .parse = binary_parse,      \
    .infer = binary_infer,      \
    .run = RUN,                 \
  }

const cnn_op_def cnn_op_add = BINARY_DEF ("Add", add_run);
const cnn_op_def cnn_op_sub = BINARY_DEF ("Sub", sub_run);
const cnn_op_def cnn_op_mul = BINARY_DEF ("Mul", mul_run);
const cnn_op_def cnn_op_div = BINARY_DEF ("Div", div_run);

const cnn_op_def cnn_op_pow = {
  .name = "Pow",
  .min_inputs = 2,
  .max_inputs = 2,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = binary_parse,
  .infer = pow_infer,
  .prepare = pow_prepare,
  .run = pow_run,
};

/* Inputs beyond this many are refused at load: no classifier sums more. */
#define VARIADIC_MAX_INPUTS 64

#define VARIADIC_DEF(NAME, RUN)               \
  {                                           \
    .name = NAME,                             \
    .min_inputs = 1,                          \
    .max_inputs = VARIADIC_MAX_INPUTS,        \
    .min_outputs = 1,                         \
    .max_outputs = 1,                         \
    .infer = variadic_infer,                  \
    .run = RUN,                               \
  }

const cnn_op_def cnn_op_sum = VARIADIC_DEF ("Sum", sum_run);
const cnn_op_def cnn_op_mean = VARIADIC_DEF ("Mean", sum_run);
const cnn_op_def cnn_op_max = VARIADIC_DEF ("Max", max_run);
const cnn_op_def cnn_op_min = VARIADIC_DEF ("Min", min_run);
