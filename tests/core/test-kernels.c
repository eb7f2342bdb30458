/* test-kernels.c — the compute-heavy ops against plain references, at 1 and 2 threads.
 *
 * Each case builds a one-node graph with graph.h, drives the op's hooks the way prepare and
 * run do (parse → infer → prepare → run, workspace per thread, a real thread pool) and
 * compares every output element with a reference within rtol 1e-4 / atol 1e-5 (Winograd
 * F(4×4, 3×3): see WINOGRAD_4X4_TOL):
 *   Conv           cnn_conv_reference (the 7-loop definition in kernels/conv-reference.c);
 *                  the expected output size of every case is written out by hand from the
 *                  ONNX formulas, and the algorithm prepare picked (gemm-1x1, im2col-gemm, winograd-2x2,
 *                  winograd-4x4, depthwise, depthwise-3x3) is checked so each fast path is
 *                  covered.
 *   pools, reduce, naive loops written here from the ONNX specification.
 *   Gemm, MatMul,
 *   BatchNorm
 * Test data are multiples of 1/64 in [-1, 1]: products and sums of them are exact in float,
 * so the fast kernels' summation order cannot matter and any difference is a real bug. Only
 * F(4×4, 3×3) rounds (its transforms divide by 6 and 24 and scale by up to 8).
 * Output buffers start as NaN, so an element a kernel forgets to write fails the case.
 */
#include "blas.h"
#include "cpu.h"
#include "graph.h"
#include "kernels/conv.h"
#include "ops/conv.h"
#include "ops/ops.h"
#include "threadpool.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RTOL 1e-4f
#define ATOL 1e-5f
/* Winograd F(4×4, 3×3): its error grows with the output's scale, not each element's, so its
 * absolute tolerance is this fraction of the largest |output| before the activation. Measured
 * on these cases: between 3e-6 and 4e-6 (fp32 rounds at 6e-8; the transforms' coefficients,
 * up to 25 for Bᵀ ⊗ Bᵀ and 64 for Aᵀ ⊗ Aᵀ, and the 36-term sums grow that about 60-fold). */
#define WINOGRAD_4X4_TOL 1e-5f
#define MAX_BUFFERS 16

static const int thread_counts[] = { 1, 2 };

/* ---- One-node graphs -------------------------------------------------------------------- */

typedef struct {
  cnn_graph *g;
  int node;
  void *buffers[MAX_BUFFERS];   /* data of non-constant values */
  int n_buffers;
  uint32_t seed;
} kcase;

static void
kcase_init (kcase *t, uint32_t seed)
{
  memset (t, 0, sizeof (*t));
  t->g = cnn_graph_new ("test-kernels", NULL);
  t->node = -1;
  t->seed = seed;
}

static void
kcase_clear (kcase *t)
{
  cnn_ops_release (t->g);
  cnn_graph_free (t->g);
  for (int i = 0; i < t->n_buffers; i++)
    free (t->buffers[i]);
}

static uint64_t
count_of (int rank, const int64_t *dims)
{
  uint64_t count = 1;
  for (int i = 0; i < rank; i++)
    count *= (uint64_t) dims[i];
  return count;
}

/* Multiples of 1/64 in [-1, 1] from a fixed LCG: exact sums in float. */
static void
fill_random (kcase *t, float *data, uint64_t count)
{
  for (uint64_t i = 0; i < count; i++) {
    t->seed = t->seed * 1664525u + 1013904223u;
    data[i] = (float) ((int) (t->seed >> 16) % 129 - 64) / 64.0f;
  }
}

/* A float tensor with random contents: a constant (initializer) or a run-time value. */
static int
add_tensor (kcase *t, const char *name, int rank, const int64_t *dims, bool constant)
{
  int id = cnn_graph_value (t->g, name);
  cnn_value *v = &t->g->values[id];
  uint64_t count = count_of (rank, dims);
  size_t bytes = (size_t) count * sizeof (float);

  if (constant) {
    cnn_blob *blob = cnn_blob_new (bytes);
    cnn_value_set_constant (v, CNN_DTYPE_FLOAT32, rank, dims, blob);
    v->ptr = blob->data;
  } else {
    cnn_value_set_shape (v, CNN_DTYPE_FLOAT32, rank, dims);
    v->ptr = malloc (bytes > 0 ? bytes : 1);
    t->buffers[t->n_buffers++] = v->ptr;
    v->is_input = true;
  }
  fill_random (t, v->ptr, count);
  return id;
}

static int
add_int64s (kcase *t, const char *name, int count, const int64_t *values)
{
  int id = cnn_graph_value (t->g, name);
  cnn_blob *blob = cnn_blob_new (sizeof (int64_t) * (size_t) (count > 0 ? count : 1));
  int64_t dims[1] = { count };

  memcpy (blob->data, values, sizeof (int64_t) * (size_t) count);
  cnn_value_set_constant (&t->g->values[id], CNN_DTYPE_INT64, 1, dims, blob);
  t->g->values[id].ptr = blob->data;
  return id;
}

static cnn_node *
add_node (kcase *t, const char *op, const int *inputs, int n_inputs, int n_outputs)
{
  int outputs[4];
  static const char *const names[4] = { "y", "y1", "y2", "y3" };

  for (int i = 0; i < n_outputs; i++)
    outputs[i] = cnn_graph_value (t->g, names[i]);
  t->node = cnn_graph_add_node (t->g, "node", op, "", inputs, n_inputs, outputs, n_outputs);
  cnn_node *n = &t->g->nodes[t->node];
  n->op = cnn_op_find ("", op);
  return n;
}

static void
attr_ints (kcase *t, const char *name, int count, const int64_t *values)
{
  cnn_attr *a = cnn_node_add_attr (t->g, t->node, name, CNN_ATTR_INTS);
  a->ints = malloc (sizeof (int64_t) * (size_t) count);
  memcpy (a->ints, values, sizeof (int64_t) * (size_t) count);
  a->count = (size_t) count;
}

static void
attr_int (kcase *t, const char *name, int64_t value)
{
  cnn_node_add_attr (t->g, t->node, name, CNN_ATTR_INT)->i = value;
}

static void
attr_float (kcase *t, const char *name, float value)
{
  cnn_node_add_attr (t->g, t->node, name, CNN_ATTR_FLOAT)->f = value;
}

static void
attr_string (kcase *t, const char *name, const char *value)
{
  cnn_node_add_attr (t->g, t->node, name, CNN_ATTR_STRING)->s = strdup (value);
}

static cnn_status
node_parse (kcase *t, cnn_error *err)
{
  cnn_node *n = &t->g->nodes[t->node];
  const cnn_op_def *def = cnn_op_def_of (n);
  return def->parse != NULL ? def->parse (t->g, n, err) : CNN_STATUS_OK;
}

static cnn_status
node_infer (kcase *t, cnn_error *err)
{
  cnn_node *n = &t->g->nodes[t->node];
  return cnn_op_def_of (n)->infer (t->g, n, err);
}

/* infer → prepare → run with `threads` workers; *out gets output 0 (caller frees). */
static cnn_status
node_run (kcase *t, int threads, float **out, cnn_error *err)
{
  cnn_node *n = &t->g->nodes[t->node];
  const cnn_op_def *def = cnn_op_def_of (n);
  cnn_value *y = &t->g->values[n->outputs[0]];
  cnn_status status;
  uint64_t count;

  *out = NULL;
  cnn_node_release_packed (n);
  if ((status = def->infer (t->g, n, err)) != CNN_STATUS_OK
      || (def->prepare != NULL && (status = def->prepare (t->g, n, threads, err))
          != CNN_STATUS_OK))
    return status;
  if (!cnn_value_elements (y, &count))
    return cnn_set_error (err, CNN_STATUS_INVALID_MODEL, "output size unknown");
  *out = malloc ((size_t) count * sizeof (float) + 1);
  memset (*out, 0xff, (size_t) count * sizeof (float));        /* NaN */
  y->ptr = *out;

  size_t stride = (n->workspace + 63) & ~(size_t) 63;
  void *workspace = stride > 0 ? aligned_alloc (64, stride * (size_t) threads) : NULL;
  void *shared = n->shared_workspace > 0
      ? aligned_alloc (64, (n->shared_workspace + 63) & ~(size_t) 63) : NULL;
  cnn_threadpool *pool = cnn_threadpool_create (threads);
  cnn_exec exec = { .pool = pool, .workspace = workspace, .workspace_stride = stride,
    .shared = shared };
  const cnn_value **slots = malloc (sizeof (cnn_value *) * (cnn_layer_io_slots (n) + 1));
  cnn_layer_io io;
  cnn_layer_io_bind (t->g, n, slots, &io);
  def->run (n, &io, &exec);
  cnn_threadpool_destroy (pool);
  free (slots);
  free (workspace);
  free (shared);
  return CNN_STATUS_OK;
}

static bool
check_dims (const cnn_value *v, int rank, const int64_t *dims)
{
  bool same = v->rank == rank;
  for (int i = 0; same && i < rank; i++)
    same = v->dims[i] == dims[i];
  if (!same) {
    printf ("    output rank %d dims", v->rank);
    for (int i = 0; i < v->rank; i++)
      printf (" %lld", (long long) v->dims[i]);
    printf (", expected rank %d dims", rank);
    for (int i = 0; i < rank; i++)
      printf (" %lld", (long long) dims[i]);
    printf ("\n");
  }
  return same;
}

static bool
check_close (const float *got, const float *want, uint64_t count, float atol)
{
  for (uint64_t i = 0; i < count; i++) {
    float d = fabsf (got[i] - want[i]);
    if (!(d <= atol + RTOL * fabsf (want[i]))) {
      printf ("    element %llu: got %.7g, want %.7g\n", (unsigned long long) i, got[i],
          want[i]);
      return false;
    }
  }
  return true;
}

/* Runs the node at every thread count and compares with `want` (absolute tolerance atol). */
static bool
run_and_compare_within (kcase *t, const float *want, uint64_t count, float atol)
{
  bool ok = true;

  for (size_t i = 0; i < sizeof (thread_counts) / sizeof (thread_counts[0]); i++) {
    cnn_error err = { "" };
    float *got;
    if (node_run (t, thread_counts[i], &got, &err) != CNN_STATUS_OK) {
      printf ("    threads %d: %s\n", thread_counts[i], err.message);
      ok = false;
    } else if (!check_close (got, want, count, atol)) {
      printf ("    (threads %d)\n", thread_counts[i]);
      ok = false;
    }
    free (got);
  }
  return ok;
}

static bool
run_and_compare (kcase *t, const float *want, uint64_t count)
{
  return run_and_compare_within (t, want, count, ATOL);
}

static int failures;

static void
report (const char *group, const char *name, const char *detail, bool ok)
{
  printf ("%s %s/%s%s%s\n", ok ? "PASS" : "FAIL", group, name, detail[0] ? " " : "", detail);
  if (!ok)
    failures++;
}

static float
act_alpha (cnn_activation act)
{
  return act == CNN_ACTIVATION_LEAKY_RELU ? 0.1f : act == CNN_ACTIVATION_CLIP ? -0.5f
      : act == CNN_ACTIVATION_HARD_SIGMOID ? 0.2f : 0.0f;
}

static float
act_beta (cnn_activation act)
{
  return act == CNN_ACTIVATION_CLIP ? 0.5f : act == CNN_ACTIVATION_HARD_SIGMOID ? 0.5f : 0.0f;
}

static float *
value_data (kcase *t, int id)
{
  return id >= 0 ? t->g->values[id].ptr : NULL;
}

/* ---- Conv -------------------------------------------------------------------------------- */

typedef struct {
  const char *name;
  int64_t n, c, h, w;           /* h = 0: a 1-D input [n, c, w] */
  int64_t m, kh, kw;
  int64_t sh, sw, dh, dw;
  int64_t pads[4];              /* top, left, bottom, right */
  int64_t group;
  const char *auto_pad;         /* NULL: explicit pads */
  bool bias, residual;
  cnn_activation act;
  bool weights_input;           /* weights are a run-time value, not an initializer */
  const char *algo;             /* what prepare should choose */
  int64_t oh, ow;               /* expected output size */
} conv_case;

#define NONE CNN_ACTIVATION_NONE
#define RELU CNN_ACTIVATION_RELU

static const conv_case conv_cases[] = {
  { "1x1 c3 m5 7x7", 1, 3, 7, 7, 5, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL, false, false, NONE,
    false, "gemm-1x1", 7, 7 },
  { "1x1 c37 m19 23x29 bias relu", 1, 37, 23, 29, 19, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL,
    true, false, RELU, false, "pointwise", 23, 29 },
  { "1x1 on a 1x1 map c64 m128", 1, 64, 1, 1, 128, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL, true,
    false, NONE, false, "gemm-1x1", 1, 1 },
  { "1x1 c160 m96 28x28 relu6", 1, 160, 28, 28, 96, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL, true,
    false, CNN_ACTIVATION_RELU6, false, "gemm-1x1", 28, 28 },
  { "1x1 stride 2 c24 m40 13x13", 1, 24, 13, 13, 40, 1, 1, 2, 2, 1, 1, { 0 }, 1, NULL, true,
    false, NONE, false, "im2col-gemm", 7, 7 },
  { "3x3 pad 1 c3 m16 32x32 bias", 1, 3, 32, 32, 16, 3, 3, 1, 1, 1, 1, { 1, 1, 1, 1 }, 1,
    NULL, true, false, NONE, false, "direct-stem", 32, 32 },
  { "3x3 stride 2 pad 1 c17 m33 15x15 relu6", 1, 17, 15, 15, 33, 3, 3, 2, 2, 1, 1,
    { 1, 1, 1, 1 }, 1, NULL, true, false, CNN_ACTIVATION_RELU6, false, "im2col-gemm", 8, 8 },
  { "5x5 stride 3 pad 2 on 2x3 c5 m7", 1, 5, 2, 3, 7, 5, 5, 3, 3, 1, 1, { 2, 2, 2, 2 }, 1,
    NULL, true, false, NONE, false, "im2col-gemm", 1, 1 },
  { "3x3 dilation 2 pad 2 c9 m10 11x13", 1, 9, 11, 13, 10, 3, 3, 1, 1, 2, 2, { 2, 2, 2, 2 },
    1, NULL, false, false, NONE, false, "im2col-gemm", 11, 13 },
  { "3x2 asymmetric pads c4 m6 9x7", 1, 4, 9, 7, 6, 3, 2, 1, 1, 1, 1, { 1, 0, 2, 3 }, 1,
    NULL, true, false, NONE, false, "direct-stem", 10, 9 },
  { "3x3 pad 1 c256 m200 7x7 relu (row split)", 1, 256, 7, 7, 200, 3, 3, 1, 1, 1, 1,
    { 1, 1, 1, 1 }, 1, NULL, true, false, RELU, false, "im2col-gemm", 7, 7 },
  { "3x3 pad 1 c64 m64 56x56 (many tiles, blocks across tile rows)", 1, 64, 56, 56, 64, 3, 3,
    1, 1, 1, 1, { 1, 1, 1, 1 }, 1, NULL, true, false, RELU, false, "winograd-4x4", 56, 56 },
  /* F(4×4, 3×3): maps and channels not multiples of 4 and 16, padding 0, 1 and asymmetric,
   * residual and activations, batches. */
  { "winograd-4x4 c19 m23 pad 0 on 30x31 (28x29 output)", 1, 19, 30, 31, 23, 3, 3, 1, 1, 1,
    1, { 0 }, 1, NULL, true, false, NONE, false, "winograd-4x4", 28, 29 },
  { "winograd-4x4 c17 m16 asymmetric pads 0,2,1,0 on 27x33", 1, 17, 27, 33, 16, 3, 3, 1, 1,
    1, 1, { 0, 2, 1, 0 }, 1, NULL, false, false, NONE, false, "winograd-4x4", 26, 33 },
  { "winograd-4x4 batch 2 c32 m48 residual relu 29x26", 2, 32, 29, 26, 48, 3, 3, 1, 1, 1, 1,
    { 1, 1, 1, 1 }, 1, NULL, true, true, RELU, false, "winograd-4x4", 29, 26 },
  { "winograd-4x4 c24 m20 residual tanh (after the store) 28x30", 1, 24, 28, 30, 20, 3, 3, 1, 1,
    1, 1, { 1, 1, 1, 1 }, 1, NULL, true, true, CNN_ACTIVATION_TANH, false, "winograd-4x4", 28,
    30 },
  { "winograd-4x4 c16 m33 SiLU 25x25", 1, 16, 25, 25, 33, 3, 3, 1, 1, 1, 1, { 1, 1, 1, 1 },
    1, NULL, true, false, CNN_ACTIVATION_SILU, false, "winograd-4x4", 25, 25 },
  { "winograd-4x4 c40 m24 SAME_UPPER residual clip 22x70 (rows of 18 tiles)", 1, 40, 22, 70,
    24, 3, 3, 1, 1, 1, 1, { 0 }, 1, "SAME_UPPER", true, true, CNN_ACTIVATION_CLIP, false,
    "winograd-4x4", 22, 70 },
  { "3x3 stride 1 c15 m64 (too few channels for Winograd)", 1, 15, 12, 12, 64, 3, 3, 1, 1,
    1, 1, { 1, 1, 1, 1 }, 1, NULL, true, false, NONE, false, "im2col-gemm", 12, 12 },
  { "winograd c16 m17 pad 0 on 17x14 (odd output rows)", 1, 16, 17, 14, 17, 3, 3, 1, 1, 1, 1,
    { 0 }, 1, NULL, true, false, NONE, false, "winograd-2x2", 15, 12 },
  { "winograd c19 m16 asymmetric pads 0,2,1,0 on 11x17", 1, 19, 11, 17, 16, 3, 3, 1, 1, 1, 1,
    { 0, 2, 1, 0 }, 1, NULL, false, false, NONE, false, "winograd-2x2", 10, 17 },
  { "winograd batch 2 c32 m48 residual relu 15x13", 2, 32, 15, 13, 48, 3, 3, 1, 1, 1, 1,
    { 1, 1, 1, 1 }, 1, NULL, true, true, RELU, false, "winograd-2x2", 15, 13 },
  { "3x3 c24 m40 SAME_UPPER on a 1x1 map (too small for Winograd)", 1, 24, 1, 1, 40, 3, 3, 1,
    1, 1, 1, { 0 }, 1, "SAME_UPPER", true, false, CNN_ACTIVATION_RELU6, false, "im2col-gemm",
    1, 1 },
  { "winograd c32 m64 SAME_LOWER 12x12 clip", 1, 32, 12, 12, 64, 3, 3, 1, 1, 1, 1, { 0 }, 1,
    "SAME_LOWER", true, false, CNN_ACTIVATION_CLIP, false, "winograd-2x2", 12, 12 },
  { "winograd-4x4 c128 m128 28x28 residual", 1, 128, 28, 28, 128, 3, 3, 1, 1, 1, 1,
    { 1, 1, 1, 1 }, 1, NULL, true, true, NONE, false, "winograd-4x4", 28, 28 },
  { "winograd c16 m20 residual relu6 4x70 (rows of 35 tiles)", 1, 16, 4, 70, 20, 3, 3, 1, 1, 1,
    1, { 1, 1, 1, 1 }, 1, NULL, true, true, CNN_ACTIVATION_RELU6, false, "winograd-2x2", 4,
    70 },
  { "winograd c96 m64 14x14 (whole map in one block)", 1, 96, 14, 14, 64, 3, 3, 1, 1, 1, 1,
    { 1, 1, 1, 1 }, 1, NULL, true, true, RELU, false, "winograd-2x2", 14, 14 },
  /* At 2 threads these split each block by output channel (32 + 8, 32 + 4, 48 + 48, 32 + 16,
   * 112 + 88 rows), the threads building one V (im2col matrix) per block together: inputs of at
   * least 16384 elements per image and group (conv.c's CONV_SHARED_MIN_INPUT). */
  { "winograd-4x4 batch 3 c24 m40 28x28 residual (V shared per image)", 3, 24, 28, 28, 40, 3,
    3, 1, 1, 1, 1, { 1, 1, 1, 1 }, 1, NULL, true, true, RELU, false, "winograd-4x4", 28, 28 },
  { "winograd batch 3 c84 m36 14x14 (V shared per image)", 3, 84, 14, 14, 36, 3, 3, 1, 1, 1,
    1, { 1, 1, 1, 1 }, 1, NULL, true, false, NONE, false, "winograd-2x2", 14, 14 },
  { "3x3 c352 m96 7x7 residual (narrow GEMM on a shared im2col)", 1, 352, 7, 7, 96, 3, 3, 1,
    1, 1, 1, { 1, 1, 1, 1 }, 1, NULL, true, true, RELU, false, "im2col-gemm", 7, 7 },
  { "group 2 3x3 c680 m96 7x7 (im2col shared per group)", 1, 680, 7, 7, 96, 3, 3, 1, 1, 1, 1,
    { 1, 1, 1, 1 }, 2, NULL, true, true, RELU, false, "im2col-gemm", 7, 7 },
  { "1x1 c64 m200 13x13 (split by output channel)", 1, 64, 13, 13, 200, 1, 1, 1, 1, 1, 1,
    { 0 }, 1, NULL, true, false, RELU, false, "gemm-1x1", 13, 13 },
  { "7x7 stride 2 pad 3 c3 m16 64x64", 1, 3, 64, 64, 16, 7, 7, 2, 2, 1, 1, { 3, 3, 3, 3 },
    1, NULL, true, false, RELU, false, "direct-stem", 32, 32 },
  { "group 2 3x3 pad 1 c6 m10 9x9", 1, 6, 9, 9, 10, 3, 3, 1, 1, 1, 1, { 1, 1, 1, 1 }, 2,
    NULL, true, false, NONE, false, "im2col-gemm", 9, 9 },
  { "group 4 1x1 c16 m8 5x6", 1, 16, 5, 6, 8, 1, 1, 1, 1, 1, 1, { 0 }, 4, NULL, true, false,
    NONE, false, "gemm-1x1", 5, 6 },
  { "group 3 3x3 stride 2 c9 m6 residual relu", 1, 9, 9, 9, 6, 3, 3, 2, 2, 1, 1,
    { 1, 1, 1, 1 }, 3, NULL, true, true, RELU, false, "im2col-gemm", 5, 5 },
  /* cnn_gemm_fused (AVX-512): last columns as dot products (1 to 4 of them, K in chunks)
   * and as a 16-column panel, row counts that are not multiples of its 6- and 12-row tiles,
   * K in several slices, residuals, activations applied on registers and (sigmoid) after
   * the store. */
  { "fused gemm 1x1 c601 m25 7x7 (K slices, 1-column tail) hard-sigmoid", 1, 601, 7, 7, 25,
    1, 1, 1, 1, 1, 1, { 0 }, 1, NULL, true, false, CNN_ACTIVATION_HARD_SIGMOID, false,
    "gemm-1x1", 7, 7 },
  { "fused gemm 1x1 c130 m13 14x14 residual leaky (4-column tail)", 1, 130, 14, 14, 13, 1, 1,
    1, 1, 1, 1, { 0 }, 1, NULL, true, true, CNN_ACTIVATION_LEAKY_RELU, false, "gemm-1x1",
    14, 14 },
  { "fused gemm 1x1 c1100 m7 4x5 residual relu (dot-product tail in K chunks)", 1, 1100, 4,
    5, 7, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL, true, true, RELU, false, "gemm-1x1", 4, 5 },
  { "fused gemm 1x1 c40 m9 3x11 (2-column dot-product tail)", 1, 40, 3, 11, 9, 1, 1, 1, 1, 1,
    1, { 0 }, 1, NULL, true, false, CNN_ACTIVATION_HARD_SWISH, false, "gemm-1x1", 3, 11 },
  { "fused gemm 1x1 c7 m31 5x7 sigmoid", 1, 7, 5, 7, 31, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL,
    true, false, CNN_ACTIVATION_SIGMOID, false, "gemm-1x1", 5, 7 },
  { "fused gemm 1x1 batch 2 c16 m100 16x2 hard-swish", 2, 16, 16, 2, 100, 1, 1, 1, 1, 1, 1,
    { 0 }, 1, NULL, false, true, CNN_ACTIVATION_HARD_SWISH, false, "gemm-1x1", 16, 2 },
  { "fused gemm im2col 3x3 stride 2 c5 m16 37x41", 1, 5, 37, 41, 16, 3, 3, 2, 2, 1, 1,
    { 1, 1, 1, 1 }, 1, NULL, true, false, CNN_ACTIVATION_HARD_SWISH, false, "im2col-gemm",
    19, 21 },
  /* Its Goto blocking: columns in chunks of 128 with the dot-product tail in the last one,
   * K slices of 512 with an odd last one, W rows a multiple of 4 KiB apart (K = 1024, 2048)
   * copied next to each other, constant or run-time weights, and 1×1 stride 2. */
  { "fused gemm 1x1 c1024 m27 13x13 run-time weights residual relu (rows copied)", 1, 1024,
    13, 13, 27, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL, true, true, RELU, true, "gemm-1x1", 13, 13 },
  { "fused gemm 1x1 c2048 m13 7x7 (rows copied, 1-column tail)", 1, 2048, 7, 7, 13, 1, 1, 1,
    1, 1, 1, { 0 }, 1, NULL, true, false, NONE, false, "gemm-1x1", 7, 7 },
  { "fused gemm 1x1 c523 m17 13x20 residual (2 column chunks, 4-column tail)", 1, 523, 13,
    20, 17, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL, true, true, CNN_ACTIVATION_LEAKY_RELU, false,
    "gemm-1x1", 13, 20 },
  /* More than 64 rows: chunks of as many columns as the packed slice holds (K 32: 2048,
   * K 64: 1024), the last one ragged. */
  { "fused gemm 1x1 c32 m100 50x50 residual silu (chunks of 2048 and 448, 4-column tail)", 1,
    32, 50, 50, 100, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL, true, true, CNN_ACTIVATION_SILU, false,
    "gemm-1x1", 50, 50 },
  { "fused gemm 1x1 batch 2 c64 m100 41x41 relu6 (chunks of 1024 and 656, 1-column tail)", 2,
    64, 41, 41, 100, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL, false, false, CNN_ACTIVATION_RELU6,
    false, "gemm-1x1", 41, 41 },
  { "fused gemm 1x1 stride 2 c33 m20 15x15 relu", 1, 33, 15, 15, 20, 1, 1, 2, 2, 1, 1, { 0 },
    1, NULL, true, false, RELU, false, "im2col-gemm", 8, 8 },
  { "fused gemm 1x1 stride 2 c1024 m14 13x13 run-time weights residual", 1, 1024, 13, 13, 14,
    1, 1, 2, 2, 1, 1, { 0 }, 1, NULL, false, true, NONE, true, "im2col-gemm", 7, 7 },
  /* cnn_gemm_fused_packed (AVX-512, maps of 256 positions and more, constant weights): W
   * packed in blocks of 12 rows (a last block of fewer), 12 × 32 tiles, a last panel 16 or
   * fewer wide, dot-product tails along M, K slices, X packed by the first block (K ≥ M) or
   * before it, and at 2 threads a row split at 80, inside a block. */
  { "fused packed 1x1 c24 m136 16x20 residual relu (rows split at 80)", 1, 24, 16, 20, 136, 1,
    1, 1, 1, 1, 1, { 0 }, 1, NULL, true, true, RELU, false, "gemm-1x1", 16, 20 },
  { "fused packed 1x1 c700 m30 13x20 residual leaky (K slices, 4-column tail)", 1, 700, 13,
    20, 30, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL, true, true, CNN_ACTIVATION_LEAKY_RELU, false,
    "gemm-1x1", 13, 20 },
  { "fused packed 1x1 c50 m61 15x18 sigmoid (14-column panel)", 1, 50, 15, 18, 61, 1, 1, 1,
    1, 1, 1, { 0 }, 1, NULL, true, false, CNN_ACTIVATION_SIGMOID, false, "gemm-1x1", 15, 18 },
  { "fused packed 1x1 batch 2 c64 m100 17x17 (1-column tail)", 2, 64, 17, 17, 100, 1, 1, 1,
    1, 1, 1, { 0 }, 1, NULL, false, false, NONE, false, "gemm-1x1", 17, 17 },
  { "fused packed 3x3 stride 2 c20 m25 40x36 residual relu6", 1, 20, 40, 36, 25, 3, 3, 2, 2,
    1, 1, { 1, 1, 1, 1 }, 1, NULL, true, true, CNN_ACTIVATION_RELU6, false, "im2col-gemm", 20,
    18 },
  /* cnn_gemm_fused_narrow (AVX-512, 7×7 maps and the like): weights packed in blocks of 16
   * rows (M not a multiple of 16: a last block part empty, or one of 16 rows alone), column
   * tiles of 12 down to 10 columns, 1×1 and im2col, residuals, activations, two images. */
  { "fused narrow 1x1 c300 m70 7x7 residual relu", 1, 300, 7, 7, 70, 1, 1, 1, 1, 1, 1, { 0 },
    1, NULL, true, true, RELU, false, "gemm-1x1", 7, 7 },
  { "fused narrow 3x3 c32 m64 7x7 (K 288) leaky", 1, 32, 7, 7, 64, 3, 3, 1, 1, 1, 1,
    { 1, 1, 1, 1 }, 1, NULL, true, false, CNN_ACTIVATION_LEAKY_RELU, false, "im2col-gemm", 7,
    7 },
  { "fused narrow 3x3 stride 2 c30 m80 13x13 (K 270) residual hard-swish", 1, 30, 13, 13, 80,
    3, 3, 2, 2, 1, 1, { 1, 1, 1, 1 }, 1, NULL, false, true, CNN_ACTIVATION_HARD_SWISH, false,
    "im2col-gemm", 7, 7 },
  { "fused narrow 1x1 batch 2 c256 m65 8x8 (64 columns, a 1-row block) sigmoid", 2, 256, 8, 8,
    65, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL, true, false, CNN_ACTIVATION_SIGMOID, false,
    "gemm-1x1", 8, 8 },
  { "fused narrow 1x1 c512 m96 3x7 (21 columns)", 1, 512, 3, 7, 96, 1, 1, 1, 1, 1, 1, { 0 }, 1,
    NULL, false, false, NONE, false, "gemm-1x1", 3, 7 },
  /* cnn_pointwise (AVX-512; gemm-1x1 elsewhere): few output channels (1 to 48) on maps of
   * 512 to 12544 positions, in groups of up to 8 rows of equal height (20: 7, 7, 6), K from 2
   * to 40, blocks of 48 columns with a last one of 1, 2 or 3 vectors, partly filled,
   * residuals, activations on registers and (tanh) after the store, batches, groups,
   * run-time weights. */
  { "pointwise c32 m16 64x64 bias relu6", 1, 32, 64, 64, 16, 1, 1, 1, 1, 1, 1, { 0 }, 1,
    NULL, true, false, CNN_ACTIVATION_RELU6, false, "pointwise", 64, 64 },
  { "1x1 c32 m16 113x112 (too large a map for pointwise)", 1, 32, 113, 112, 16, 1, 1, 1, 1, 1,
    1, { 0 }, 1, NULL, true, false, CNN_ACTIVATION_RELU6, false, "gemm-1x1", 113, 112 },
  { "pointwise c32 m16 112x112 residual (largest map)", 1, 32, 112, 112, 16, 1, 1, 1, 1, 1, 1,
    { 0 }, 1, NULL, true, true, NONE, false, "pointwise", 112, 112 },
  { "pointwise c17 m20 23x29 residual hard-swish (rows 7, 7, 6; last block 43 columns)", 1,
    17, 23, 29, 20, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL, true, true, CNN_ACTIVATION_HARD_SWISH,
    false, "pointwise", 23, 29 },
  { "pointwise c2 m13 16x33 clip (K 2)", 1, 2, 16, 33, 13, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL,
    true, false, CNN_ACTIVATION_CLIP, false, "pointwise", 16, 33 },
  { "pointwise c40 m48 25x25 residual relu (last block 1 column)", 1, 40, 25, 25, 48, 1, 1, 1,
    1, 1, 1, { 0 }, 1, NULL, true, true, RELU, false, "pointwise", 25, 25 },
  { "pointwise batch 2 c24 m24 24x24 residual tanh (after the store)", 2, 24, 24, 24, 24, 1, 1,
    1, 1, 1, 1, { 0 }, 1, NULL, true, true, CNN_ACTIVATION_TANH, false, "pointwise", 24, 24 },
  { "pointwise group 2 c32 m16 32x20 sigmoid (last block 1 vector)", 1, 32, 32, 20, 16, 1, 1,
    1, 1, 1, 1, { 0 }, 2, NULL, true, false, CNN_ACTIVATION_SIGMOID, false, "pointwise", 32,
    20 },
  { "pointwise c33 m1 17x31 leaky relu (one row)", 1, 33, 17, 31, 1, 1, 1, 1, 1, 1, 1, { 0 },
    1, NULL, true, false, CNN_ACTIVATION_LEAKY_RELU, false, "pointwise", 17, 31 },
  { "pointwise c7 m9 18x31 no bias silu (last block 2 vectors)", 1, 7, 18, 31, 9, 1, 1, 1, 1,
    1, 1, { 0 }, 1, NULL, false, false, CNN_ACTIVATION_SILU, false, "pointwise", 18, 31 },
  { "pointwise c24 m32 28x28 run-time weights hard-sigmoid", 1, 24, 28, 28, 32, 1, 1, 1, 1, 1,
    1, { 0 }, 1, NULL, true, false, CNN_ACTIVATION_HARD_SIGMOID, true, "pointwise", 28, 28 },
  { "1x1 c16 m49 28x28 (too many rows for pointwise)", 1, 16, 28, 28, 49, 1, 1, 1, 1, 1, 1,
    { 0 }, 1, NULL, true, false, RELU, false, "gemm-1x1", 28, 28 },
  /* cnn_depthwise_direct (AVX-512): rows wider than its 64-column blocks, narrow maps in
   * blocks of 4, 3, 2 and 1 rows, stride 2 with odd widths, 5×5 taps, residuals. */
  /* ... and its 3×3 passes for maps 8 to 32 wide out (rolling_3x3, rolling_3x3_s2): one and
   * two vectors per row, exactly 16 and 32 columns, asymmetric pads, a single row. */
  { "depthwise rolling 3x3 c5 14x14 residual relu6", 1, 5, 14, 14, 5, 3, 3, 1, 1, 1, 1,
    { 1, 1, 1, 1 }, 5, NULL, true, true, CNN_ACTIVATION_RELU6, false, "depthwise-3x3", 14,
    14 },
  { "depthwise rolling 3x3 c3 9x16 pads 0,2,2,0 sigmoid", 1, 3, 9, 16, 3, 3, 3, 1, 1, 1, 1,
    { 0, 2, 2, 0 }, 3, NULL, true, false, CNN_ACTIVATION_SIGMOID, false, "depthwise-3x3", 9,
    16 },
  { "depthwise rolling 3x3 c4 3x32 unpadded, no bias", 1, 4, 3, 32, 4, 3, 3, 1, 1, 1, 1,
    { 0 }, 4, NULL, false, false, NONE, false, "depthwise-3x3", 1, 30 },
  { "depthwise rolling 3x3 c2 20x32 residual hard-swish", 1, 2, 20, 32, 2, 3, 3, 1, 1, 1, 1,
    { 1, 1, 1, 1 }, 2, NULL, true, true, CNN_ACTIVATION_HARD_SWISH, false, "depthwise-3x3",
    20, 32 },
  { "depthwise rolling 3x3 c3 1x12 (one input row) pads 1,0,1,2", 1, 3, 1, 12, 3, 3, 3, 1, 1,
    1, 1, { 1, 0, 1, 2 }, 3, NULL, true, false, RELU, false, "depthwise-3x3", 1, 12 },
  { "depthwise rolling 3x3 stride 2 c3 28x28 residual relu6", 1, 3, 28, 28, 3, 3, 3, 2, 2, 1,
    1, { 1, 1, 1, 1 }, 3, NULL, true, true, CNN_ACTIVATION_RELU6, false, "depthwise-3x3", 14,
    14 },
  { "depthwise rolling 3x3 stride 2 c2 9x63 pads 0,1,2,0 sigmoid", 1, 2, 9, 63, 2, 3, 3, 2,
    2, 1, 1, { 0, 1, 2, 0 }, 2, NULL, true, false, CNN_ACTIVATION_SIGMOID, false,
    "depthwise-3x3", 5, 31 },
  { "depthwise rolling 3x3 stride 2 c4 3x33 unpadded, no bias", 1, 4, 3, 33, 4, 3, 3, 2, 2,
    1, 1, { 0 }, 4, NULL, false, false, NONE, false, "depthwise-3x3", 1, 16 },
  { "depthwise rolling 3x3 stride 2 c2 17x64 residual hard-swish", 1, 2, 17, 64, 2, 3, 3, 2,
    2, 1, 1, { 1, 1, 1, 1 }, 2, NULL, true, true, CNN_ACTIVATION_HARD_SWISH, false,
    "depthwise-3x3", 9, 32 },
  { "depthwise direct 3x3 c3 5x70 (64-column blocks) relu", 1, 3, 5, 70, 3, 3, 3, 1, 1, 1, 1,
    { 1, 1, 1, 1 }, 3, NULL, true, false, RELU, false, "depthwise-3x3", 5, 70 },
  { "depthwise direct 5x5 c17 7x7 hard-swish", 1, 17, 7, 7, 17, 5, 5, 1, 1, 1, 1,
    { 2, 2, 2, 2 }, 17, NULL, true, false, CNN_ACTIVATION_HARD_SWISH, false, "depthwise", 7,
    7 },
  { "depthwise direct 5x5 stride 2 c9 15x35 residual relu6", 1, 9, 15, 35, 9, 5, 5, 2, 2, 1, 1,
    { 2, 2, 2, 2 }, 9, NULL, true, true, CNN_ACTIVATION_RELU6, false, "depthwise", 8, 18 },
  { "depthwise direct 3x3 stride 2 c5 6x67 pads 0,0,1,1", 1, 5, 6, 67, 5, 3, 3, 2, 2, 1, 1,
    { 0, 0, 1, 1 }, 5, NULL, true, false, NONE, false, "depthwise-3x3", 3, 33 },
  { "depthwise direct 3x3 c4 2x3 sigmoid", 1, 4, 2, 3, 4, 3, 3, 1, 1, 1, 1, { 1, 1, 1, 1 },
    4, NULL, true, false, CNN_ACTIVATION_SIGMOID, false, "depthwise-3x3", 2, 3 },
  { "depthwise direct 3x3 c6 18x20 residual (2-vector rows) clip", 1, 6, 18, 20, 6, 3, 3, 1,
    1, 1, 1, { 1, 1, 1, 1 }, 6, NULL, true, true, CNN_ACTIVATION_CLIP, false,
    "depthwise-3x3", 18, 20 },
  { "depthwise direct 3x3 c2 7x40 (3-vector rows, 1-row tail)", 1, 2, 7, 40, 2, 3, 3, 1, 1,
    1, 1, { 1, 1, 1, 1 }, 2, NULL, true, true, RELU, false, "depthwise-3x3", 7, 40 },
  { "depthwise direct 5x5 c3 11x30 (2-vector rows, 3-row tail)", 1, 3, 11, 30, 3, 5, 5, 1, 1,
    1, 1, { 2, 2, 2, 2 }, 3, NULL, true, false, NONE, false, "depthwise", 11, 30 },
  { "depthwise direct 3x3 stride 2 c2 10x40 (1-row tail)", 1, 2, 10, 40, 2, 3, 3, 2, 2, 1, 1,
    { 1, 1, 1, 1 }, 2, NULL, true, false, CNN_ACTIVATION_HARD_SWISH, false, "depthwise-3x3",
    5, 20 },
  { "depthwise direct 3x3 c2 9x130 (64-column blocks, 4-vector rows)", 1, 2, 9, 130, 2, 3, 3,
    1, 1, 1, 1, { 1, 1, 1, 1 }, 2, NULL, true, false, NONE, false, "depthwise-3x3", 9, 130 },
  { "depthwise direct 7x7 stride 2 pad 3 c3 20x150 (taps shifted by 3, two column blocks)",
    1, 3, 20, 150, 3, 7, 7, 2, 2, 1, 1, { 3, 3, 3, 3 }, 3, NULL, true, true, RELU, false,
    "depthwise", 10, 75 },
  { "depthwise direct 2x2 stride 2 c4 9x70 (no shifted taps)", 1, 4, 9, 70, 4, 2, 2, 2, 2, 1,
    1, { 0 }, 4, NULL, true, false, NONE, false, "depthwise", 4, 35 },
  { "depthwise direct 4x4 stride 2 pads 1,2,1,0 c3 12x41", 1, 3, 12, 41, 3, 4, 4, 2, 2, 1, 1,
    { 1, 2, 1, 0 }, 3, NULL, true, false, CNN_ACTIVATION_HARD_SWISH, false, "depthwise", 6,
    20 },
  { "depthwise direct 3x3 c3 13x15 (row blocks of 7, 4 and 2)", 1, 3, 13, 15, 3, 3, 3, 1, 1,
    1, 1, { 1, 1, 1, 1 }, 3, NULL, true, true, CNN_ACTIVATION_RELU6, false, "depthwise-3x3",
    13, 15 },
  { "depthwise direct 5x5 stride 2 c2 23x20 (row blocks of 7, 4 and 1)", 1, 2, 23, 20, 2, 5,
    5, 2, 2, 1, 1, { 2, 2, 2, 2 }, 2, NULL, true, false, NONE, false, "depthwise", 12, 10 },
  { "depthwise 3x3 c13 14x15 relu6", 1, 13, 14, 15, 13, 3, 3, 1, 1, 1, 1, { 1, 1, 1, 1 }, 13,
    NULL, true, false, CNN_ACTIVATION_RELU6, false, "depthwise-3x3", 14, 15 },
  { "depthwise 3x3 stride 2 c7 15x16", 1, 7, 15, 16, 7, 3, 3, 2, 2, 1, 1, { 1, 1, 1, 1 }, 7,
    NULL, true, false, NONE, false, "depthwise-3x3", 8, 8 },
  { "depthwise 3x3 stride 2 SAME_UPPER c5 8x8", 1, 5, 8, 8, 5, 3, 3, 2, 2, 1, 1, { 0 }, 5,
    "SAME_UPPER", true, false, NONE, false, "depthwise-3x3", 4, 4 },
  { "depthwise 3x3 stride 2 pads 0,0,1,1 c3 8x8", 1, 3, 8, 8, 3, 3, 3, 2, 2, 1, 1,
    { 0, 0, 1, 1 }, 3, NULL, false, false, NONE, false, "depthwise-3x3", 4, 4 },
  { "depthwise 3x3 no pad c4 5x5", 1, 4, 5, 5, 4, 3, 3, 1, 1, 1, 1, { 0 }, 4, NULL, true,
    false, NONE, false, "depthwise-3x3", 3, 3 },
  { "depthwise 3x3 on a 1x1 map c8", 1, 8, 1, 1, 8, 3, 3, 1, 1, 1, 1, { 1, 1, 1, 1 }, 8,
    NULL, true, false, NONE, false, "depthwise-3x3", 1, 1 },
  { "depthwise 3x3 stride 2 on a 2x3 map c8", 1, 8, 2, 3, 8, 3, 3, 2, 2, 1, 1,
    { 1, 1, 1, 1 }, 8, NULL, true, false, NONE, false, "depthwise-3x3", 1, 2 },
  { "depthwise 3x3 c16 56x56 relu", 1, 16, 56, 56, 16, 3, 3, 1, 1, 1, 1, { 1, 1, 1, 1 }, 16,
    NULL, true, false, RELU, false, "depthwise-3x3", 56, 56 },
  { "depthwise 3x3 stride 2 c16 57x57", 1, 16, 57, 57, 16, 3, 3, 2, 2, 1, 1, { 1, 1, 1, 1 },
    16, NULL, true, false, NONE, false, "depthwise-3x3", 29, 29 },
  /* cnn_depthwise_channels (AVX-512): 16 channels per vector on maps at most 7 wide (14
   * for 5×5 kernels); channel counts that leave a partial block, blocks that straddle two
   * images, input rows and columns no window reads, activations after the store (tanh). */
  { "depthwise channels 3x3 c33 7x7 residual relu6 (last block 1 channel)", 1, 33, 7, 7, 33,
    3, 3, 1, 1, 1, 1, { 1, 1, 1, 1 }, 33, NULL, true, true, CNN_ACTIVATION_RELU6, false,
    "depthwise-3x3", 7, 7 },
  { "depthwise channels 3x3 stride 2 c20 14x14 hard-swish", 1, 20, 14, 14, 20, 3, 3, 2, 2, 1,
    1, { 1, 1, 1, 1 }, 20, NULL, true, false, CNN_ACTIVATION_HARD_SWISH, false,
    "depthwise-3x3", 7, 7 },
  { "depthwise channels 5x5 c17 14x14 sigmoid", 1, 17, 14, 14, 17, 5, 5, 1, 1, 1, 1,
    { 2, 2, 2, 2 }, 17, NULL, true, false, CNN_ACTIVATION_SIGMOID, false, "depthwise", 14,
    14 },
  { "depthwise channels 5x5 stride 2 pads 1,2,2,1 c9 13x13 tanh", 1, 9, 13, 13, 9, 5, 5, 2, 2,
    1, 1, { 1, 2, 2, 1 }, 9, NULL, true, false, CNN_ACTIVATION_TANH, false, "depthwise", 6,
    6 },
  { "depthwise channels batch 2 c20 3x3 on a 1x1 map residual", 2, 20, 1, 1, 20, 3, 3, 1, 1,
    1, 1, { 1, 1, 1, 1 }, 20, NULL, true, true, RELU, false, "depthwise-3x3", 1, 1 },
  { "depthwise channels batch 3 c23 3x3 stride 2 no pad 8x8 (row 7, column 7 unread)", 3, 23,
    8, 8, 23, 3, 3, 2, 2, 1, 1, { 0 }, 23, NULL, false, true, NONE, false, "depthwise-3x3", 3,
    3 },
  { "depthwise channels 3x5 no pad c16 6x9", 1, 16, 6, 9, 16, 3, 5, 1, 1, 1, 1, { 0 }, 16,
    NULL, true, false, CNN_ACTIVATION_SILU, false, "depthwise", 4, 5 },
  { "depthwise channels 3x3 c18 5x5 weights as input", 1, 18, 5, 5, 18, 3, 3, 1, 1, 1, 1,
    { 1, 1, 1, 1 }, 18, NULL, true, false, NONE, true, "depthwise-3x3", 5, 5 },
  /* Its path for inputs at most 16 wide, kernels up to 3×3 (two output rows per vector, taps
   * gathered by permutes, four pairs of rows per step), stride 2 and (7×7 maps, the c33 case
   * above too) stride 1: a last pair of one row, asymmetric pads, kernels smaller than 3×3,
   * maps taller than one step, residuals, activations on registers and after the store. */
  { "depthwise pairs 3x3 stride 1 c20 7x7 tanh", 1, 20, 7, 7, 20, 3, 3, 1, 1, 1, 1,
    { 1, 1, 1, 1 }, 20, NULL, true, false, CNN_ACTIVATION_TANH, false, "depthwise-3x3", 7, 7 },
  { "depthwise pairs 3x3 stride 1 no pad c17 9x9 residual hard-swish", 1, 17, 9, 9, 17, 3, 3,
    1, 1, 1, 1, { 0 }, 17, NULL, true, true, CNN_ACTIVATION_HARD_SWISH, false, "depthwise-3x3",
    7, 7 },
  { "depthwise pairs 2x2 stride 1 pads 0,0,1,1 c5 6x6 leaky relu", 1, 5, 6, 6, 5, 2, 2, 1, 1,
    1, 1, { 0, 0, 1, 1 }, 5, NULL, true, false, CNN_ACTIVATION_LEAKY_RELU, false, "depthwise",
    6, 6 },
  { "depthwise pairs 1x3 stride 1 pads 0,1,0,1 c9 5x7 hard-sigmoid", 1, 9, 5, 7, 9, 1, 3, 1, 1,
    1, 1, { 0, 1, 0, 1 }, 9, NULL, false, false, CNN_ACTIVATION_HARD_SIGMOID, false,
    "depthwise", 5, 7 },
  { "depthwise channels 3x3 c20 7x7 silu (stride 1 pairs not under SiLU)", 1, 20, 7, 7, 20, 3,
    3, 1, 1, 1, 1, { 1, 1, 1, 1 }, 20, NULL, true, false, CNN_ACTIVATION_SILU, false,
    "depthwise-3x3", 7, 7 },
  { "depthwise pairs 3x3 stride 1 c6 19x7 residual relu6 (three steps, last pair one row)", 1,
    6, 19, 7, 6, 3, 3, 1, 1, 1, 1, { 1, 1, 1, 1 }, 6, NULL, true, true, CNN_ACTIVATION_RELU6,
    false, "depthwise-3x3", 19, 7 },
  { "depthwise pairs 3x3 stride 2 c18 14x14 residual relu6 (last pair one row)", 1, 18, 14, 14,
    18, 3, 3, 2, 2, 1, 1, { 1, 1, 1, 1 }, 18, NULL, true, true, CNN_ACTIVATION_RELU6, false,
    "depthwise-3x3", 7, 7 },
  { "depthwise pairs 3x3 stride 2 pads 0,1,1,0 c17 13x12 residual clip", 1, 17, 13, 12, 17, 3,
    3, 2, 2, 1, 1, { 0, 1, 1, 0 }, 17, NULL, true, true, CNN_ACTIVATION_CLIP, false,
    "depthwise-3x3", 6, 6 },
  { "depthwise pairs 2x2 stride 2 c5 16x14 leaky relu", 1, 5, 16, 14, 5, 2, 2, 2, 2, 1, 1,
    { 0 }, 5, NULL, true, false, CNN_ACTIVATION_LEAKY_RELU, false, "depthwise", 8, 7 },
  { "depthwise pairs 3x3 stride 2 c4 30x13 tanh (two steps)", 1, 4, 30, 13, 4, 3, 3, 2, 2, 1,
    1, { 1, 1, 1, 1 }, 4, NULL, false, false, CNN_ACTIVATION_TANH, false, "depthwise-3x3", 15,
    7 },
  { "depthwise 5x5 stride 2 pad 2 c6 11x10", 1, 6, 11, 10, 6, 5, 5, 2, 2, 1, 1,
    { 2, 2, 2, 2 }, 6, NULL, true, false, CNN_ACTIVATION_HARD_SWISH, false, "depthwise", 6,
    5 },
  { "depthwise 7x7 pad 3 c3 10x9", 1, 3, 10, 9, 3, 7, 7, 1, 1, 1, 1, { 3, 3, 3, 3 }, 3, NULL,
    true, false, NONE, false, "depthwise", 10, 9 },
  { "depthwise 1x9 (two tap groups) pad 0,4 c2 5x12", 1, 2, 5, 12, 2, 1, 9, 1, 1, 1, 1,
    { 0, 4, 0, 4 }, 2, NULL, true, true, RELU, false, "depthwise", 5, 12 },
  { "depthwise 3x3 dilation 2 pad 2 c3 9x9", 1, 3, 9, 9, 3, 3, 3, 1, 1, 2, 2, { 2, 2, 2, 2 },
    3, NULL, true, false, NONE, false, "depthwise-3x3", 9, 9 },
  { "depthwise 3x3 stride 3 dilation 2 c4 13x11", 1, 4, 13, 11, 4, 3, 3, 3, 3, 2, 2,
    { 1, 2, 0, 1 }, 4, NULL, true, false, NONE, false, "depthwise-3x3", 4, 4 },
  { "depthwise 2x4 stride 2x1 pads 1,2,0,1 c5 7x9", 1, 5, 7, 9, 5, 2, 4, 2, 1, 1, 1,
    { 1, 2, 0, 1 }, 5, NULL, true, false, RELU, false, "depthwise", 4, 9 },
  { "1-channel input 5x5 pad 2 c1 m8 28x28 relu", 2, 1, 28, 28, 8, 5, 5, 1, 1, 1, 1,
    { 2, 2, 2, 2 }, 1, NULL, true, false, RELU, false, "depthwise", 28, 28 },
  { "depthwise channel multiplier 3 c4 m12 6x7", 1, 4, 6, 7, 12, 3, 3, 1, 1, 1, 1,
    { 1, 1, 1, 1 }, 4, NULL, true, false, NONE, false, "depthwise-3x3", 6, 7 },
  { "depthwise residual leaky relu c6 9x9", 1, 6, 9, 9, 6, 3, 3, 1, 1, 1, 1, { 1, 1, 1, 1 },
    6, NULL, true, true, CNN_ACTIVATION_LEAKY_RELU, false, "depthwise-3x3", 9, 9 },
  { "SAME_UPPER 4x4 stride 2 c3 m4 9x10", 1, 3, 9, 10, 4, 4, 4, 2, 2, 1, 1, { 0 }, 1,
    "SAME_UPPER", true, false, NONE, false, "direct-stem", 5, 5 },
  { "SAME_LOWER 3x3 stride 2 c2 m3 7x8", 1, 2, 7, 8, 3, 3, 3, 2, 2, 1, 1, { 0 }, 1,
    "SAME_LOWER", false, false, NONE, false, "direct-stem", 4, 4 },
  { "VALID 3x3 stride 2 c4 m5 9x8", 1, 4, 9, 8, 5, 3, 3, 2, 2, 1, 1, { 0 }, 1, "VALID", true,
    false, NONE, false, "direct-stem", 4, 3 },
  { "residual relu 3x3 c8 m8 10x10", 1, 8, 10, 10, 8, 3, 3, 1, 1, 1, 1, { 1, 1, 1, 1 }, 1,
    NULL, true, true, RELU, false, "im2col-gemm", 10, 10 },
  { "residual hard-swish 1x1 c12 m20 6x6", 1, 12, 6, 6, 20, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL,
    true, true, CNN_ACTIVATION_HARD_SWISH, false, "gemm-1x1", 6, 6 },
  { "residual clip 1x1 c32 m64 14x14", 1, 32, 14, 14, 64, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL,
    true, true, CNN_ACTIVATION_CLIP, false, "gemm-1x1", 14, 14 },
  { "1-D k3 stride 2 pad 1 c5 m6 L17", 1, 5, 0, 17, 6, 1, 3, 1, 2, 1, 1, { 0, 1, 0, 1 }, 1,
    NULL, true, false, NONE, false, "im2col-gemm", 1, 9 },
  { "1-D depthwise k5 pad 2 c4 L20", 1, 4, 0, 20, 4, 1, 5, 1, 1, 1, 1, { 0, 2, 0, 2 }, 4,
    NULL, true, false, NONE, false, "depthwise", 1, 20 },
  { "weights as a run-time input 3x3 c4 m6 8x8", 1, 4, 8, 8, 6, 3, 3, 1, 1, 1, 1,
    { 1, 1, 1, 1 }, 1, NULL, true, false, NONE, true, "direct-stem", 8, 8 },
  { "batch 3 3x3 c5 m9 6x7", 3, 5, 6, 7, 9, 3, 3, 1, 1, 1, 1, { 0 }, 1, NULL, true, false,
    NONE, false, "im2col-gemm", 4, 5 },
  { "batch 2 depthwise 3x3 c5 6x7 residual", 2, 5, 6, 7, 5, 3, 3, 1, 1, 1, 1, { 1, 1, 1, 1 },
    5, NULL, true, true, NONE, false, "depthwise-3x3", 6, 7 },
  /* SiLU (EfficientNet) in every epilogue: on registers, after the store, in Winograd. */
  { "SiLU fused gemm 1x1 c19 m37 9x11", 1, 19, 9, 11, 37, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL,
    true, false, CNN_ACTIVATION_SILU, false, "gemm-1x1", 9, 11 },
  { "SiLU 1x1 on a 1x1 map c130 m3 (dot-product tail)", 1, 130, 1, 1, 3, 1, 1, 1, 1, 1, 1,
    { 0 }, 1, NULL, true, true, CNN_ACTIVATION_SILU, false, "gemm-1x1", 1, 1 },
  { "SiLU im2col 3x3 stride 2 c3 m17 23x21 (stem)", 1, 3, 23, 21, 17, 3, 3, 2, 2, 1, 1,
    { 1, 1, 1, 1 }, 1, NULL, true, false, CNN_ACTIVATION_SILU, false, "direct-stem", 12, 11 },
  { "SiLU depthwise 3x3 stride 2 c21 15x15", 1, 21, 15, 15, 21, 3, 3, 2, 2, 1, 1,
    { 1, 1, 1, 1 }, 21, NULL, true, false, CNN_ACTIVATION_SILU, false, "depthwise-3x3", 8,
    8 },
  { "SiLU depthwise 5x5 dilation 2 c7 13x9 residual", 1, 7, 13, 9, 7, 5, 5, 1, 1, 2, 2,
    { 4, 4, 4, 4 }, 7, NULL, true, true, CNN_ACTIVATION_SILU, false, "depthwise", 13, 9 },
  { "SiLU winograd c32 m17 10x13", 1, 32, 10, 13, 17, 3, 3, 1, 1, 1, 1, { 1, 1, 1, 1 }, 1,
    NULL, true, false, CNN_ACTIVATION_SILU, false, "winograd-2x2", 10, 13 },
  { "batch 2 1x1 c7 m3 4x4 residual", 2, 7, 4, 4, 3, 1, 1, 1, 1, 1, 1, { 0 }, 1, NULL, false,
    true, NONE, false, "gemm-1x1", 4, 4 },
  /* direct-stem (AVX-512; im2col elsewhere): rows not a multiple of 16 wide, 2 to 4 input
   * channels, channel counts that leave a partial block of 16, strides 1, 2 and 4, odd input
   * sizes, pads 0, 1, 2 and 3, bands of rows that end early, activations on registers and
   * after the store, residuals, batches. */
  { "stem 3x3 stride 2 pad 1 c3 m16 37x41 hard-swish", 1, 3, 37, 41, 16, 3, 3, 2, 2, 1, 1,
    { 1, 1, 1, 1 }, 1, NULL, true, false, CNN_ACTIVATION_HARD_SWISH, false, "direct-stem", 19,
    21 },
  { "stem 7x7 stride 2 pad 3 c3 m64 29x31 relu", 1, 3, 29, 31, 64, 7, 7, 2, 2, 1, 1,
    { 3, 3, 3, 3 }, 1, NULL, true, false, RELU, false, "direct-stem", 15, 16 },
  { "stem 3x3 stride 2 no pad c3 m64 25x23 relu", 1, 3, 25, 23, 64, 3, 3, 2, 2, 1, 1, { 0 }, 1,
    NULL, true, false, RELU, false, "direct-stem", 12, 11 },
  { "stem 5x5 pad 2 c2 m5 9x18 residual", 1, 2, 9, 18, 5, 5, 5, 1, 1, 1, 1, { 2, 2, 2, 2 }, 1,
    NULL, true, true, NONE, false, "direct-stem", 9, 18 },
  { "stem batch 2 3x3 pad 1 c4 m19 13x35 residual silu", 2, 4, 13, 35, 19, 3, 3, 1, 1, 1, 1,
    { 1, 1, 1, 1 }, 1, NULL, true, true, CNN_ACTIVATION_SILU, false, "direct-stem", 13, 35 },
  { "stem 3x3 stride 2 pad 1 c3 m32 17x17 tanh no bias", 1, 3, 17, 17, 32, 3, 3, 2, 2, 1, 1,
    { 1, 1, 1, 1 }, 1, NULL, false, false, CNN_ACTIVATION_TANH, false, "direct-stem", 9, 9 },
  { "stem 11x11 stride 4 pad 2 c3 m5 35x35 relu6", 1, 3, 35, 35, 5, 11, 11, 4, 4, 1, 1,
    { 2, 2, 2, 2 }, 1, NULL, true, false, CNN_ACTIVATION_RELU6, false, "direct-stem", 8, 8 },
  { "stem 3x3 stride 2 dilation 2 pads 2,1,2,1 c3 m17 15x14", 1, 3, 15, 14, 17, 3, 3, 2, 2, 2,
    2, { 2, 1, 2, 1 }, 1, NULL, true, false, NONE, false, "direct-stem", 8, 6 },
  { "stem 3x3 stride 2 pad 1 on a 2x2 map c3 m5", 1, 3, 2, 2, 5, 3, 3, 2, 2, 1, 1,
    { 1, 1, 1, 1 }, 1, NULL, true, true, RELU, false, "direct-stem", 1, 1 },
  { "stem batch 3 7x7 stride 2 pad 3 c3 m24 19x21 (bands of 8 rows and 2) leaky relu", 3, 3,
    19, 21, 24, 7, 7, 2, 2, 1, 1, { 3, 3, 3, 3 }, 1, NULL, true, true,
    CNN_ACTIVATION_LEAKY_RELU, false, "direct-stem", 10, 11 },
  { "stem 1-D k5 stride 2 pad 2 c3 m7 L40", 1, 3, 0, 40, 7, 1, 5, 1, 2, 1, 1, { 0, 2, 0, 2 }, 1,
    NULL, true, false, NONE, false, "direct-stem", 1, 20 },
};

static void
test_conv (const conv_case *cc, uint32_t seed)
{
  kcase t;
  bool one_d = cc->h == 0;
  int rank = one_d ? 3 : 4;
  int64_t xd[4] = { cc->n, cc->c, cc->h, cc->w }, wd[4] = { cc->m, cc->c / cc->group, cc->kh,
    cc->kw }, yd[4] = { cc->n, cc->m, cc->oh, cc->ow };
  cnn_error err = { "" };
  float *want = NULL;
  bool ok = false;
  char detail[64] = "";

  if (one_d) {
    xd[2] = cc->w;
    wd[2] = cc->kw;
    yd[2] = cc->ow;
  }
  kcase_init (&t, seed);
  int inputs[3];
  inputs[0] = add_tensor (&t, "x", rank, xd, false);
  inputs[1] = add_tensor (&t, "w", rank, wd, !cc->weights_input);
  inputs[2] = cc->bias ? add_tensor (&t, "b", 1, &cc->m, true) : -1;
  int sum = cc->residual ? add_tensor (&t, "sum", rank, yd, false) : -1;
  cnn_node *n = add_node (&t, "Conv", inputs, cc->bias ? 3 : 2, 1);
  /* The conv is its constant weights' only reader, as in a network: prepare may replace
   * them by a prepared form (Winograd's transform, the narrow GEMM's blocks), which the
   * second thread count's prepare then reads. */
  t.g->values[inputs[1]].consumers = 1;

  if (one_d) {
    attr_ints (&t, "strides", 1, &cc->sw);
    attr_ints (&t, "dilations", 1, &cc->dw);
    if (cc->auto_pad == NULL)
      attr_ints (&t, "pads", 2, (int64_t[]) { cc->pads[1], cc->pads[3] });
  } else {
    attr_ints (&t, "kernel_shape", 2, (int64_t[]) { cc->kh, cc->kw });
    attr_ints (&t, "strides", 2, (int64_t[]) { cc->sh, cc->sw });
    attr_ints (&t, "dilations", 2, (int64_t[]) { cc->dh, cc->dw });
    if (cc->auto_pad == NULL)
      attr_ints (&t, "pads", 4, cc->pads);
  }
  if (cc->auto_pad != NULL)
    attr_string (&t, "auto_pad", cc->auto_pad);
  attr_int (&t, "group", cc->group);
  n = &t.g->nodes[t.node];
  n->act = cc->act;
  n->act_alpha = act_alpha (cc->act);
  n->act_beta = act_beta (cc->act);
  n->fused_sum = sum;

  cnn_conv_geom s;
  uint64_t count = count_of (rank, yd);
  if (node_parse (&t, &err) != CNN_STATUS_OK || node_infer (&t, &err) != CNN_STATUS_OK
      || cnn_conv_geometry (t.g, n, &s, &err) != CNN_STATUS_OK) {
    printf ("    %s\n", err.message);
    goto done;
  }
  if (!check_dims (&t.g->values[n->outputs[0]], rank, yd))
    goto done;
  want = malloc (sizeof (float) * (size_t) count);
  cnn_conv_reference (&s, value_data (&t, inputs[0]), value_data (&t, inputs[1]),
      value_data (&t, inputs[2]), value_data (&t, sum), n->act, n->act_alpha, n->act_beta,
      want);
  float atol = ATOL;
  if (strcmp (cc->algo, "winograd-4x4") == 0) {
    float *linear = malloc (sizeof (float) * (size_t) count), largest = 0.0f;
    cnn_conv_reference (&s, value_data (&t, inputs[0]), value_data (&t, inputs[1]),
        value_data (&t, inputs[2]), value_data (&t, sum), CNN_ACTIVATION_NONE, 0.0f, 0.0f,
        linear);
    for (uint64_t i = 0; i < count; i++)
      largest = fmaxf (largest, fabsf (linear[i]));
    free (linear);
    atol = WINOGRAD_4X4_TOL * largest;
  }
  ok = run_and_compare_within (&t, want, count, atol);
  snprintf (detail, sizeof (detail), "[%s]", cnn_conv_algorithm (n));
  /* Weights replaced by a prepared form (Winograd's transform, the narrow GEMM's blocks)
   * must also serve a later plan on the portable kernels, which read them unpacked or
   * through OpenBLAS. */
  if (t.g->values[inputs[1]].blob_form != 0 && !cnn_conv_portable ()) {
    cnn_conv_set_portable (true);
    if (!run_and_compare_within (&t, want, count, atol)) {
      printf ("    re-planned on the portable kernels\n");
      ok = false;
    }
    cnn_conv_set_portable (false);
    n = &t.g->nodes[t.node];
  }
  /* The direct stem and pointwise convs are AVX-512 only; other CPUs and the portable run
   * take im2col and gemm-1x1. */
  bool avx512 = !cnn_conv_portable () && cnn_cpu_has_avx512 ();
  const char *algo = avx512 ? cc->algo : strcmp (cc->algo, "direct-stem") == 0
      ? "im2col-gemm" : strcmp (cc->algo, "pointwise") == 0 ? "gemm-1x1" : cc->algo;
  if (strcmp (cnn_conv_algorithm (n), algo) != 0) {
    printf ("    prepare chose %s, expected %s\n", cnn_conv_algorithm (n), algo);
    ok = false;
  }

done:
  report ("conv", cc->name, detail, ok);
  free (want);
  kcase_clear (&t);
}

/* ---- MaxPool / AveragePool --------------------------------------------------------------- */

typedef struct {
  const char *name;
  bool average;
  int64_t n, c, h, w;           /* h = 0: 1-D */
  int64_t kh, kw, sh, sw, dh, dw;
  int64_t pads[4];              /* top, left, bottom, right */
  const char *auto_pad;
  bool ceil_mode, count_include_pad;
  int64_t oh, ow;
} pool_case;

static const pool_case pool_cases[] = {
  { "max 2x2 stride 2 c3 8x8", false, 1, 3, 8, 8, 2, 2, 2, 2, 1, 1, { 0 }, NULL, false, false,
    4, 4 },
  { "max 3x3 stride 2 pad 1 c5 13x13", false, 2, 5, 13, 13, 3, 3, 2, 2, 1, 1, { 1, 1, 1, 1 },
    NULL, false, false, 7, 7 },
  { "max 3x3 stride 2 ceil_mode 4x4", false, 1, 1, 4, 4, 3, 3, 2, 2, 1, 1, { 0 }, NULL, true,
    false, 2, 2 },
  { "max 3x3 stride 2 pad 1 ceil_mode 6x6", false, 1, 2, 6, 6, 3, 3, 2, 2, 1, 1,
    { 1, 1, 1, 1 }, NULL, true, false, 4, 4 },
  { "max 2x2 stride 2 pad 1 ceil_mode 5x5 (last window dropped)", false, 1, 2, 5, 5, 2, 2, 2,
    2, 1, 1, { 1, 1, 1, 1 }, NULL, true, false, 3, 3 },
  { "max 2x2 dilation 2 4x4", false, 1, 1, 4, 4, 2, 2, 1, 1, 2, 2, { 0 }, NULL, false, false,
    2, 2 },
  { "max 3x3 stride 2 SAME_UPPER 5x5", false, 1, 3, 5, 5, 3, 3, 2, 2, 1, 1, { 0 },
    "SAME_UPPER", false, false, 3, 3 },
  { "max 2x2 SAME_LOWER c3 6x7", false, 1, 3, 6, 7, 2, 2, 1, 1, 1, 1, { 0 }, "SAME_LOWER",
    false, false, 6, 7 },
  { "max 3x3 pad 1 on a 1x1 map", false, 1, 4, 1, 1, 3, 3, 1, 1, 1, 1, { 1, 1, 1, 1 }, NULL,
    false, false, 1, 1 },
  { "max 1-D k2 c3 L9", false, 1, 3, 0, 9, 1, 2, 1, 1, 1, 1, { 0 }, NULL, false, false, 1, 8 },
  { "max 3x3 stride 2 pad 1 c32 56x56", false, 1, 32, 56, 56, 3, 3, 2, 2, 1, 1,
    { 1, 1, 1, 1 }, NULL, false, false, 28, 28 },
  { "max 3x3 stride 2 ceil_mode c4 111x111 (SqueezeNet's first pool)", false, 1, 4, 111,
    111, 3, 3, 2, 2, 1, 1, { 0 }, NULL, true, false, 55, 55 },
  { "max 3x3 pad 1 c2 5x70 (64-column blocks)", false, 1, 2, 5, 70, 3, 3, 1, 1, 1, 1,
    { 1, 1, 1, 1 }, NULL, false, false, 5, 70 },
  { "max 2x3 stride 2 pads 1,0,1,2 c3 9x41", false, 1, 3, 9, 41, 2, 3, 2, 2, 1, 1,
    { 1, 0, 1, 2 }, NULL, false, false, 5, 21 },
  { "max 3x3 stride 2 pad 1 c3 9x150 (two column blocks, shared rows)", false, 1, 3, 9, 150,
    3, 3, 2, 2, 1, 1, { 1, 1, 1, 1 }, NULL, false, false, 5, 75 },
  { "max 4x3 stride 2 c2 11x20 (4-tall windows)", false, 1, 2, 11, 20, 4, 3, 2, 2, 1, 1,
    { 0 }, NULL, false, false, 4, 9 },
  { "avg 3x3 pad 2 c3 7x7", true, 1, 3, 7, 7, 3, 3, 1, 1, 1, 1, { 2, 2, 2, 2 }, NULL, false,
    false, 9, 9 },
  { "avg 3x3 pad 2 count_include_pad c3 7x7", true, 1, 3, 7, 7, 3, 3, 1, 1, 1, 1,
    { 2, 2, 2, 2 }, NULL, false, true, 9, 9 },
  { "avg 3x3 stride 2 pad 1 ceil_mode count_include_pad 6x6", true, 1, 2, 6, 6, 3, 3, 2, 2,
    1, 1, { 1, 1, 1, 1 }, NULL, true, true, 4, 4 },
  { "avg 3x3 stride 2 ceil_mode 4x4", true, 1, 1, 4, 4, 3, 3, 2, 2, 1, 1, { 0 }, NULL, true,
    false, 2, 2 },
  { "avg 5x5 stride 3 pad 2 on 2x3", true, 1, 3, 2, 3, 5, 5, 3, 3, 1, 1, { 2, 2, 2, 2 }, NULL,
    false, false, 1, 1 },
  { "avg 2x2 SAME_UPPER c3 8x8", true, 1, 3, 8, 8, 2, 2, 1, 1, 1, 1, { 0 }, "SAME_UPPER",
    false, false, 8, 8 },
  { "avg asymmetric pads 0,1,2,0 count_include_pad", true, 1, 2, 5, 6, 3, 2, 2, 1, 1, 1,
    { 0, 1, 2, 0 }, NULL, false, true, 3, 6 },
  { "avg 1-D k3 stride 2 pad 1 count_include_pad L10", true, 1, 2, 0, 10, 1, 3, 1, 2, 1, 1,
    { 0, 1, 0, 1 }, NULL, false, true, 1, 5 },
  { "avg 2x2 stride 2 c16 56x56", true, 1, 16, 56, 56, 2, 2, 2, 2, 1, 1, { 0 }, NULL, false,
    false, 28, 28 },
};

/* ONNX's SAME padding for one axis: the odd pixel at the end (UPPER) or the start. */
static void
same_pads (const char *mode, int64_t in, int64_t k, int64_t s, int64_t d, int64_t *begin,
    int64_t *end)
{
  int64_t out = (in + s - 1) / s;
  int64_t total = (out - 1) * s + (k - 1) * d + 1 - in;

  if (total < 0)
    total = 0;
  *begin = strcmp (mode, "SAME_UPPER") == 0 ? total / 2 : total - total / 2;
  *end = total - *begin;
}

/* The definition: each output looks at every tap of its window. */
static void
pool_reference (const pool_case *pc, const int64_t pads[4], const float *x, float *y)
{
  int64_t h = pc->h ? pc->h : 1, oh = pc->h ? pc->oh : 1;

  for (int64_t plane = 0; plane < pc->n * pc->c; plane++)
    for (int64_t i = 0; i < oh; i++)
      for (int64_t j = 0; j < pc->ow; j++) {
        double acc = pc->average ? 0.0 : -INFINITY;
        int64_t count = 0;
        for (int64_t ki = 0; ki < pc->kh; ki++)
          for (int64_t kj = 0; kj < pc->kw; kj++) {
            int64_t ih = i * pc->sh - pads[0] + ki * pc->dh;
            int64_t iw = j * pc->sw - pads[1] + kj * pc->dw;
            bool inside = ih >= 0 && ih < h && iw >= 0 && iw < pc->w;
            bool in_padding = ih >= -pads[0] && ih < h + pads[2] && iw >= -pads[1]
                && iw < pc->w + pads[3];
            if (inside) {
              float v = x[(plane * h + ih) * pc->w + iw];
              acc = pc->average ? acc + v : (v > acc ? v : acc);
            }
            if (pc->count_include_pad ? in_padding : inside)
              count++;
          }
        y[(plane * oh + i) * pc->ow + j] = (float) (pc->average ? acc / (double) count : acc);
      }
}

static void
test_pool (const pool_case *pc, uint32_t seed)
{
  kcase t;
  bool one_d = pc->h == 0;
  int rank = one_d ? 3 : 4;
  int64_t xd[4] = { pc->n, pc->c, pc->h, pc->w }, yd[4] = { pc->n, pc->c, pc->oh, pc->ow };
  int64_t pads[4] = { pc->pads[0], pc->pads[1], pc->pads[2], pc->pads[3] };
  cnn_error err = { "" };
  float *want = NULL;
  bool ok = false;

  if (one_d) {
    xd[2] = pc->w;
    yd[2] = pc->ow;
  }
  if (pc->auto_pad != NULL && strncmp (pc->auto_pad, "SAME", 4) == 0) {
    same_pads (pc->auto_pad, pc->h ? pc->h : 1, pc->kh, pc->sh, pc->dh, &pads[0], &pads[2]);
    same_pads (pc->auto_pad, pc->w, pc->kw, pc->sw, pc->dw, &pads[1], &pads[3]);
  }
  kcase_init (&t, seed);
  int x = add_tensor (&t, "x", rank, xd, false);
  add_node (&t, pc->average ? "AveragePool" : "MaxPool", &x, 1, 1);
  if (one_d) {
    attr_ints (&t, "kernel_shape", 1, &pc->kw);
    attr_ints (&t, "strides", 1, &pc->sw);
    if (pc->auto_pad == NULL)
      attr_ints (&t, "pads", 2, (int64_t[]) { pc->pads[1], pc->pads[3] });
  } else {
    attr_ints (&t, "kernel_shape", 2, (int64_t[]) { pc->kh, pc->kw });
    attr_ints (&t, "strides", 2, (int64_t[]) { pc->sh, pc->sw });
    if (pc->dh != 1 || pc->dw != 1)
      attr_ints (&t, "dilations", 2, (int64_t[]) { pc->dh, pc->dw });
    if (pc->auto_pad == NULL)
      attr_ints (&t, "pads", 4, pc->pads);
  }
  if (pc->auto_pad != NULL)
    attr_string (&t, "auto_pad", pc->auto_pad);
  if (pc->ceil_mode)
    attr_int (&t, "ceil_mode", 1);
  if (pc->count_include_pad)
    attr_int (&t, "count_include_pad", 1);

  uint64_t count = count_of (rank, yd);
  if (node_parse (&t, &err) != CNN_STATUS_OK || node_infer (&t, &err) != CNN_STATUS_OK) {
    printf ("    %s\n", err.message);
    goto done;
  }
  if (!check_dims (&t.g->values[t.g->nodes[t.node].outputs[0]], rank, yd))
    goto done;
  want = malloc (sizeof (float) * (size_t) count);
  pool_reference (pc, pads, value_data (&t, x), want);
  ok = run_and_compare (&t, want, count);

done:
  report ("pool", pc->name, "", ok);
  free (want);
  kcase_clear (&t);
}

/* ---- Global pools and Reduce* ------------------------------------------------------------ */

typedef struct {
  const char *name;
  const char *op;
  int rank;
  int64_t dims[4];
  int n_axes;                   /* -1: no axes given */
  int64_t axes[4];
  bool axes_input;              /* axes as a constant second input instead of the attribute */
  int keepdims;                 /* -1: attribute absent (default 1) */
  bool noop_with_empty_axes;
  int out_rank;
  int64_t out_dims[4];
} reduce_case;

static const reduce_case reduce_cases[] = {
  { "GlobalAveragePool c7 5x5", "GlobalAveragePool", 4, { 1, 7, 5, 5 }, -1, { 0 }, false, -1,
    false, 4, { 1, 7, 1, 1 } },
  { "GlobalAveragePool c16 28x28 batch 2", "GlobalAveragePool", 4, { 2, 16, 28, 28 }, -1,
    { 0 }, false, -1, false, 4, { 2, 16, 1, 1 } },
  { "GlobalAveragePool on a 1x1 map", "GlobalAveragePool", 4, { 1, 9, 1, 1 }, -1, { 0 }, false,
    -1, false, 4, { 1, 9, 1, 1 } },
  /* cnn_row_sums: blocks of 16 rows and the rows after them, rows of 64, 16 and fewer. */
  { "GlobalAveragePool c35 7x7 (16-row blocks)", "GlobalAveragePool", 4, { 1, 35, 7, 7 }, -1,
    { 0 }, false, -1, false, 4, { 1, 35, 1, 1 } },
  { "GlobalAveragePool c33 14x14", "GlobalAveragePool", 4, { 1, 33, 14, 14 }, -1, { 0 },
    false, -1, false, 4, { 1, 33, 1, 1 } },
  { "GlobalAveragePool c17 13x11 batch 2", "GlobalAveragePool", 4, { 2, 17, 13, 11 }, -1,
    { 0 }, false, -1, false, 4, { 2, 17, 1, 1 } },
  { "GlobalAveragePool c16 on a 1x1 map", "GlobalAveragePool", 4, { 1, 16, 1, 1 }, -1, { 0 },
    false, -1, false, 4, { 1, 16, 1, 1 } },
  { "ReduceSum last axis 19x70", "ReduceSum", 2, { 19, 70 }, 1, { -1 }, false, 0, false, 1,
    { 19 } },
  { "GlobalMaxPool c7 13x11", "GlobalMaxPool", 4, { 1, 7, 13, 11 }, -1, { 0 }, false, -1,
    false, 4, { 1, 7, 1, 1 } },
  { "GlobalMaxPool 1-D c3 L10", "GlobalMaxPool", 3, { 2, 3, 10 }, -1, { 0 }, false, -1, false,
    3, { 2, 3, 1 } },
  { "ReduceMean axes 2,3 keepdims", "ReduceMean", 4, { 1, 5, 6, 7 }, 2, { 2, 3 }, false, 1,
    false, 4, { 1, 5, 1, 1 } },
  { "ReduceMean axes -1,-2 no keepdims", "ReduceMean", 4, { 2, 5, 6, 7 }, 2, { -1, -2 }, false,
    0, false, 2, { 2, 5 } },
  { "ReduceMean axis 1 (inner rows)", "ReduceMean", 3, { 3, 4, 5 }, 1, { 1 }, false, -1,
    false, 3, { 3, 1, 5 } },
  { "ReduceMean all axes", "ReduceMean", 3, { 3, 2, 2 }, -1, { 0 }, false, 1, false, 3,
    { 1, 1, 1 } },
  { "ReduceMax axes 0,2 (not contiguous)", "ReduceMax", 3, { 3, 4, 5 }, 2, { 0, 2 }, false, 0,
    false, 1, { 4 } },
  { "ReduceMax axes 1,3 on NCHW", "ReduceMax", 4, { 2, 3, 4, 5 }, 2, { 1, 3 }, false, 1, false,
    4, { 2, 1, 4, 1 } },
  { "ReduceSum axes input [1]", "ReduceSum", 3, { 3, 2, 2 }, 1, { 1 }, true, 1, false, 3,
    { 3, 1, 2 } },
  { "ReduceSum axes input [-2] no keepdims", "ReduceSum", 3, { 3, 2, 2 }, 1, { -2 }, true, 0,
    false, 2, { 3, 2 } },
  { "ReduceSum empty axes input: all", "ReduceSum", 3, { 3, 2, 2 }, 0, { 0 }, true, 1, false,
    3, { 1, 1, 1 } },
  { "ReduceSum empty axes noop", "ReduceSum", 3, { 3, 2, 2 }, 0, { 0 }, true, 1, true, 3,
    { 3, 2, 2 } },
  { "ReduceSum axis of size 1 between", "ReduceSum", 4, { 2, 3, 1, 4 }, 2, { 1, 3 }, false, 1,
    false, 4, { 2, 1, 1, 1 } },
};

/* For every output element, scan the whole input for the elements that reduce into it. */
static void
reduce_reference (const reduce_case *rc, const bool reduced[], const float *x, float *y)
{
  bool max = strstr (rc->op, "Max") != NULL, mean = strstr (rc->op, "Average") != NULL
      || strstr (rc->op, "Mean") != NULL;
  int64_t in_count = (int64_t) count_of (rc->rank, rc->dims), out_count = 1;

  for (int d = 0; d < rc->rank; d++)
    out_count *= reduced[d] ? 1 : rc->dims[d];
  for (int64_t o = 0; o < out_count; o++) {
    double acc = max ? -INFINITY : 0.0;
    int64_t members = 0;
    for (int64_t i = 0; i < in_count; i++) {
      /* Output index of input element i: its coordinates on the kept axes. */
      int64_t rest = i, index = 0, scale = 1;
      for (int d = rc->rank - 1; d >= 0; d--) {
        int64_t coord = rest % rc->dims[d];
        rest /= rc->dims[d];
        if (!reduced[d]) {
          index += coord * scale;
          scale *= rc->dims[d];
        }
      }
      if (index != o)
        continue;
      acc = max ? (x[i] > acc ? x[i] : acc) : acc + x[i];
      members++;
    }
    y[o] = (float) (mean ? acc / (double) members : acc);
  }
}

static void
test_reduce (const reduce_case *rc, uint32_t seed)
{
  kcase t;
  bool reduced[4] = { false, false, false, false };
  cnn_error err = { "" };
  float *want = NULL;
  bool ok = false;

  if (strncmp (rc->op, "Global", 6) == 0) {
    for (int d = 2; d < rc->rank; d++)
      reduced[d] = true;
  } else if (rc->n_axes <= 0) {
    for (int d = 0; d < rc->rank; d++)
      reduced[d] = !rc->noop_with_empty_axes;
  } else {
    for (int i = 0; i < rc->n_axes; i++)
      reduced[rc->axes[i] < 0 ? rc->axes[i] + rc->rank : rc->axes[i]] = true;
  }

  kcase_init (&t, seed);
  int inputs[2] = { add_tensor (&t, "x", rc->rank, rc->dims, false), -1 };
  if (rc->axes_input)
    inputs[1] = add_int64s (&t, "axes", rc->n_axes, rc->axes);
  add_node (&t, rc->op, inputs, rc->axes_input ? 2 : 1, 1);
  if (rc->n_axes >= 0 && !rc->axes_input)
    attr_ints (&t, "axes", rc->n_axes, rc->axes);
  if (rc->keepdims >= 0)
    attr_int (&t, "keepdims", rc->keepdims);
  if (rc->noop_with_empty_axes)
    attr_int (&t, "noop_with_empty_axes", 1);

  uint64_t count = count_of (rc->out_rank, rc->out_dims);
  if (node_parse (&t, &err) != CNN_STATUS_OK || node_infer (&t, &err) != CNN_STATUS_OK) {
    printf ("    %s\n", err.message);
    goto done;
  }
  if (!check_dims (&t.g->values[t.g->nodes[t.node].outputs[0]], rc->out_rank, rc->out_dims))
    goto done;
  want = malloc (sizeof (float) * (size_t) count);
  reduce_reference (rc, reduced, value_data (&t, inputs[0]), want);
  ok = run_and_compare (&t, want, count);

done:
  report ("reduce", rc->name, "", ok);
  free (want);
  kcase_clear (&t);
}

/* ---- Gemm -------------------------------------------------------------------------------- */

typedef struct {
  const char *name;
  int64_t m, n, k;
  bool trans_a, trans_b;
  float alpha, beta;            /* 0 alpha: attribute absent */
  int c_rank;                   /* -1: no C */
  int64_t c_dims[2];
  cnn_activation act;
} gemm_case;

static const gemm_case gemm_cases[] = {
  { "all attributes 3x5x4", 3, 5, 4, true, true, 0.25f, 0.35f, 2, { 1, 5 }, NONE },
  { "C [M,N] 3x4x6", 3, 4, 6, false, false, 0, 0, 2, { 3, 4 }, NONE },
  { "C [M,1] 7x9x13 relu", 7, 9, 13, false, true, 0, 0, 2, { 7, 1 }, RELU },
  { "C scalar 2x4x3", 2, 4, 3, false, false, 0, 0, 0, { 0 }, NONE },
  { "C [1] 3x3x7", 3, 3, 7, false, false, 0, 0, 1, { 1 }, NONE },
  { "C [N] transA 5x6x7", 5, 6, 7, true, false, 0, 0, 1, { 6 }, NONE },
  { "no C 2x3x10", 2, 3, 10, false, false, 0, 0, -1, { 0 }, NONE },
  { "dense head M=1 transB 1x100x300 (GEMV)", 1, 100, 300, false, true, 0, 0, 1, { 100 },
    NONE },
  { "M=1 no transpose 1x33x64 (GEMV)", 1, 33, 64, false, false, 0.5f, 2.0f, 2, { 1, 33 },
    RELU },
  { "M=1 transA 1x40x50 (GEMV)", 1, 40, 50, true, true, 0, 0, -1, { 0 }, NONE },
  { "M=1 1x1000x512 (column split)", 1, 1000, 512, false, true, 0, 0, 1, { 1000 }, NONE },
  { "64x200x128 relu (column split)", 64, 200, 128, false, false, 0, 0, 1, { 200 }, RELU },
};

static void
test_gemm (const gemm_case *gc, uint32_t seed)
{
  kcase t;
  cnn_error err = { "" };
  float *want = NULL;
  bool ok = false;
  int64_t ad[2] = { gc->trans_a ? gc->k : gc->m, gc->trans_a ? gc->m : gc->k };
  int64_t bd[2] = { gc->trans_b ? gc->n : gc->k, gc->trans_b ? gc->k : gc->n };
  float alpha = gc->alpha != 0.0f ? gc->alpha : 1.0f, beta = gc->beta != 0.0f ? gc->beta : 1.0f;

  kcase_init (&t, seed);
  int inputs[3] = { add_tensor (&t, "a", 2, ad, false), add_tensor (&t, "b", 2, bd, true),
    gc->c_rank >= 0 ? add_tensor (&t, "c", gc->c_rank, gc->c_dims, true) : -1 };
  cnn_node *n = add_node (&t, "Gemm", inputs, gc->c_rank >= 0 ? 3 : 2, 1);
  n->act = gc->act;
  if (gc->trans_a)
    attr_int (&t, "transA", 1);
  if (gc->trans_b)
    attr_int (&t, "transB", 1);
  if (gc->alpha != 0.0f)
    attr_float (&t, "alpha", gc->alpha);
  if (gc->beta != 0.0f)
    attr_float (&t, "beta", gc->beta);

  uint64_t count = (uint64_t) (gc->m * gc->n);
  if (node_parse (&t, &err) != CNN_STATUS_OK || node_infer (&t, &err) != CNN_STATUS_OK) {
    printf ("    %s\n", err.message);
    goto done;
  }
  if (!check_dims (&t.g->values[t.g->nodes[t.node].outputs[0]], 2,
          (int64_t[]) { gc->m, gc->n }))
    goto done;
  want = malloc (sizeof (float) * (size_t) count);
  const float *a = value_data (&t, inputs[0]), *b = value_data (&t, inputs[1]);
  const float *c = value_data (&t, inputs[2]);
  for (int64_t i = 0; i < gc->m; i++)
    for (int64_t j = 0; j < gc->n; j++) {
      double acc = 0.0;
      for (int64_t k = 0; k < gc->k; k++)
        acc += (double) (gc->trans_a ? a[k * gc->m + i] : a[i * gc->k + k])
            * (gc->trans_b ? b[j * gc->k + k] : b[k * gc->n + j]);
      acc *= alpha;
      if (c != NULL) {
        int64_t rows = gc->c_rank == 2 ? gc->c_dims[0] : 1;
        int64_t cols = gc->c_rank >= 1 ? gc->c_dims[gc->c_rank - 1] : 1;
        acc += beta * c[(rows == 1 ? 0 : i * cols) + (cols == 1 ? 0 : j)];
      }
      want[i * gc->n + j] = cnn_activate ((float) acc, gc->act, 0.0f, 0.0f);
    }
  ok = run_and_compare (&t, want, count);

done:
  report ("gemm", gc->name, "", ok);
  free (want);
  kcase_clear (&t);
}

/* ---- MatMul ------------------------------------------------------------------------------ */

typedef struct {
  const char *name;
  int a_rank, b_rank, y_rank;
  int64_t a[4], b[4], y[4];
} matmul_case;

static const matmul_case matmul_cases[] = {
  { "2-D 3x4 · 4x3", 2, 2, 2, { 3, 4 }, { 4, 3 }, { 3, 3 } },
  { "batched 2x3x4 · 2x4x3", 3, 3, 3, { 2, 3, 4 }, { 2, 4, 3 }, { 2, 3, 3 } },
  { "4-D 1x2x3x4 · 1x2x4x3", 4, 4, 4, { 1, 2, 3, 4 }, { 1, 2, 4, 3 }, { 1, 2, 3, 3 } },
  { "broadcast 2x1x3x4 · 3x4x5", 4, 3, 4, { 2, 1, 3, 4 }, { 3, 4, 5 }, { 2, 3, 3, 5 } },
  { "1-D A [4] · 2x4x3", 1, 3, 2, { 4 }, { 2, 4, 3 }, { 2, 3 } },
  { "1-D B 2x3x4 · [4]", 3, 1, 2, { 2, 3, 4 }, { 4 }, { 2, 3 } },
  { "1-D both [5] · [5]", 1, 1, 0, { 5 }, { 5 }, { 0 } },
  { "shared B 3x5x7 · 7x6 (rows merged)", 3, 2, 3, { 3, 5, 7 }, { 7, 6 }, { 3, 5, 6 } },
  { "row vector 1x256 · 256x300", 2, 2, 2, { 1, 256 }, { 256, 300 }, { 1, 300 } },
  { "large 96x128 · 128x160", 2, 2, 2, { 96, 128 }, { 128, 160 }, { 96, 160 } },
};

/* Offset of the matrix for output batch index `batch` in an operand with these batch dims. */
static int64_t
batch_offset (int64_t batch, int y_batch_rank, const int64_t *y_dims, int rank,
    const int64_t *dims, int64_t matrix)
{
  int batch_rank = rank > 2 ? rank - 2 : 0;
  int64_t offset = 0, scale = matrix;

  for (int d = y_batch_rank - 1; d >= 0; d--) {
    int64_t coord = batch % y_dims[d];
    batch /= y_dims[d];
    int od = d - (y_batch_rank - batch_rank);
    if (od >= 0) {
      offset += (dims[od] == 1 ? 0 : coord) * scale;
      scale *= dims[od];
    }
  }
  return offset;
}

static void
test_matmul (const matmul_case *mc, uint32_t seed)
{
  kcase t;
  cnn_error err = { "" };
  float *want = NULL;
  bool ok = false;
  int64_t m = mc->a_rank >= 2 ? mc->a[mc->a_rank - 2] : 1, k = mc->a[mc->a_rank - 1];
  int64_t n = mc->b_rank >= 2 ? mc->b[mc->b_rank - 1] : 1;
  int y_batch_rank = mc->y_rank - (mc->a_rank >= 2) - (mc->b_rank >= 2);
  int64_t batches = (int64_t) count_of (y_batch_rank, mc->y);

  kcase_init (&t, seed);
  int inputs[2] = { add_tensor (&t, "a", mc->a_rank, mc->a, false),
    add_tensor (&t, "b", mc->b_rank, mc->b, true) };
  add_node (&t, "MatMul", inputs, 2, 1);

  uint64_t count = count_of (mc->y_rank, mc->y);
  if (node_parse (&t, &err) != CNN_STATUS_OK || node_infer (&t, &err) != CNN_STATUS_OK) {
    printf ("    %s\n", err.message);
    goto done;
  }
  if (!check_dims (&t.g->values[t.g->nodes[t.node].outputs[0]], mc->y_rank, mc->y))
    goto done;
  want = malloc (sizeof (float) * (size_t) count);
  const float *a = value_data (&t, inputs[0]), *b = value_data (&t, inputs[1]);
  for (int64_t batch = 0; batch < batches; batch++) {
    const float *ab = a + batch_offset (batch, y_batch_rank, mc->y, mc->a_rank, mc->a, m * k);
    const float *bb = b + batch_offset (batch, y_batch_rank, mc->y, mc->b_rank, mc->b, k * n);
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) {
        double acc = 0.0;
        for (int64_t kk = 0; kk < k; kk++)
          acc += (double) ab[i * k + kk] * bb[kk * n + j];
        want[(batch * m + i) * n + j] = (float) acc;
      }
  }
  ok = run_and_compare (&t, want, count);

done:
  report ("matmul", mc->name, "", ok);
  free (want);
  kcase_clear (&t);
}

/* ---- BatchNormalization ------------------------------------------------------------------ */

typedef struct {
  const char *name;
  int rank;
  int64_t dims[4];
  float epsilon;                /* 0: attribute absent */
  cnn_activation act;
} bn_case;

static const bn_case bn_cases[] = {
  { "2x3x4x5", 4, { 2, 3, 4, 5 }, 0.0f, NONE },
  { "epsilon 0.01 relu 1x7x9x9", 4, { 1, 7, 9, 9 }, 0.01f, RELU },
  { "rank 2 [4,6]", 2, { 4, 6 }, 0.0f, NONE },
  { "1-D 2x3x10 clip", 3, { 2, 3, 10 }, 0.0f, CNN_ACTIVATION_CLIP },
};

static void
test_bn (const bn_case *bc, uint32_t seed)
{
  kcase t;
  cnn_error err = { "" };
  float *want = NULL;
  bool ok = false;
  int64_t c = bc->dims[1];
  float epsilon = bc->epsilon != 0.0f ? bc->epsilon : 1e-5f;

  kcase_init (&t, seed);
  int inputs[5] = { add_tensor (&t, "x", bc->rank, bc->dims, false),
    add_tensor (&t, "scale", 1, &c, true), add_tensor (&t, "bias", 1, &c, true),
    add_tensor (&t, "mean", 1, &c, true), add_tensor (&t, "var", 1, &c, true) };
  float *var = value_data (&t, inputs[4]);
  for (int64_t i = 0; i < c; i++)
    var[i] = fabsf (var[i]) + 0.25f;            /* variances are positive */
  cnn_node *n = add_node (&t, "BatchNormalization", inputs, 5, 1);
  n->act = bc->act;
  n->act_alpha = act_alpha (bc->act);
  n->act_beta = act_beta (bc->act);
  if (bc->epsilon != 0.0f)
    attr_float (&t, "epsilon", bc->epsilon);

  uint64_t count = count_of (bc->rank, bc->dims);
  if (node_parse (&t, &err) != CNN_STATUS_OK || node_infer (&t, &err) != CNN_STATUS_OK) {
    printf ("    %s\n", err.message);
    goto done;
  }
  want = malloc (sizeof (float) * (size_t) count);
  const float *x = value_data (&t, inputs[0]), *scale = value_data (&t, inputs[1]);
  const float *bias = value_data (&t, inputs[2]), *mean = value_data (&t, inputs[3]);
  uint64_t plane = count / (uint64_t) (bc->dims[0] * c);
  for (uint64_t i = 0; i < count; i++) {
    int64_t ch = (int64_t) (i / plane) % c;
    double v = (x[i] - mean[ch]) / sqrt ((double) var[ch] + epsilon) * scale[ch] + bias[ch];
    want[i] = cnn_activate ((float) v, n->act, n->act_alpha, n->act_beta);
  }
  ok = run_and_compare (&t, want, count);

done:
  report ("batchnorm", bc->name, "", ok);
  free (want);
  kcase_clear (&t);
}

/* ---- Models we must refuse --------------------------------------------------------------- */

typedef enum { AT_PARSE, AT_INFER } stage;

/* Runs parse then infer and checks the status of the stage that must fail, and that the
 * message names the node and op. */
static void
expect_error (kcase *t, const char *name, stage at, cnn_status want, const char *needle)
{
  cnn_error err = { "" };
  cnn_status status = node_parse (t, &err);

  if (status == CNN_STATUS_OK && at == AT_INFER)
    status = node_infer (t, &err);
  bool ok = status == want && strstr (err.message, "'node'") != NULL
      && strstr (err.message, needle) != NULL;
  if (!ok)
    printf ("    status %s, expected %s: %s\n", cnn_status_string (status),
        cnn_status_string (want), err.message);
  report ("errors", name, "", ok);
  kcase_clear (t);
}

static void
test_errors (void)
{
  kcase t;

  kcase_init (&t, 1);
  int conv[2] = { add_tensor (&t, "x", 4, (int64_t[]) { 1, 4, 5, 5 }, false),
    add_tensor (&t, "w", 4, (int64_t[]) { 6, 4, 3, 3 }, true) };
  add_node (&t, "Conv", conv, 2, 1);
  attr_int (&t, "group", 3);
  expect_error (&t, "conv group must divide channels", AT_INFER, CNN_STATUS_INVALID_MODEL,
      "group 3");

  kcase_init (&t, 1);
  conv[0] = add_tensor (&t, "x", 5, (int64_t[]) { 1, 1, 4, 4, 4 }, false);
  conv[1] = add_tensor (&t, "w", 5, (int64_t[]) { 1, 1, 2, 2, 2 }, true);
  add_node (&t, "Conv", conv, 2, 1);
  expect_error (&t, "3-D conv is unsupported", AT_INFER, CNN_STATUS_UNSUPPORTED, "3-D");

  kcase_init (&t, 1);
  conv[0] = add_tensor (&t, "x", 4, (int64_t[]) { 1, 2, 5, 5 }, false);
  conv[1] = add_tensor (&t, "w", 4, (int64_t[]) { 3, 2, 3, 3 }, true);
  add_node (&t, "Conv", conv, 2, 1);
  attr_ints (&t, "kernel_shape", 2, (int64_t[]) { 5, 5 });
  expect_error (&t, "conv kernel_shape must match weights", AT_INFER,
      CNN_STATUS_INVALID_MODEL, "kernel_shape");

  kcase_init (&t, 1);
  conv[0] = add_tensor (&t, "x", 4, (int64_t[]) { 1, 2, 2, 2 }, false);
  conv[1] = add_tensor (&t, "w", 4, (int64_t[]) { 3, 2, 3, 3 }, true);
  add_node (&t, "Conv", conv, 2, 1);
  expect_error (&t, "conv window larger than input", AT_INFER, CNN_STATUS_INVALID_MODEL,
      "does not fit");

  kcase_init (&t, 1);
  conv[0] = add_tensor (&t, "x", 4, (int64_t[]) { 1, 2, 5, 5 }, false);
  add_node (&t, "MaxPool", conv, 1, 1);
  attr_ints (&t, "strides", 3, (int64_t[]) { 1, 1, 1 });
  attr_ints (&t, "kernel_shape", 2, (int64_t[]) { 2, 2 });
  expect_error (&t, "pool attribute lengths must agree", AT_PARSE, CNN_STATUS_INVALID_MODEL,
      "strides");

  kcase_init (&t, 1);
  conv[0] = add_tensor (&t, "x", 4, (int64_t[]) { 1, 2, 5, 5 }, false);
  add_node (&t, "AveragePool", conv, 1, 1);
  expect_error (&t, "pool needs kernel_shape", AT_PARSE, CNN_STATUS_INVALID_MODEL,
      "kernel_shape");

  kcase_init (&t, 1);
  conv[0] = add_tensor (&t, "x", 4, (int64_t[]) { 1, 2, 5, 5 }, false);
  cnn_node *n = add_node (&t, "MaxPool", conv, 1, 2);
  attr_ints (&t, "kernel_shape", 2, (int64_t[]) { 2, 2 });
  t.g->values[n->outputs[1]].is_output = true;
  expect_error (&t, "MaxPool Indices output is unsupported", AT_INFER,
      CNN_STATUS_UNSUPPORTED, "Indices");

  kcase_init (&t, 1);
  int bn[5];
  bn[0] = add_tensor (&t, "x", 4, (int64_t[]) { 1, 2, 3, 3 }, false);
  for (int i = 1; i < 5; i++)
    bn[i] = add_tensor (&t, (const char *[]) { "", "s", "b", "m", "v" }[i], 1,
        (int64_t[]) { 2 }, true);
  add_node (&t, "BatchNormalization", bn, 5, 1);
  attr_int (&t, "training_mode", 1);
  expect_error (&t, "BatchNormalization training_mode is unsupported", AT_PARSE,
      CNN_STATUS_UNSUPPORTED, "training_mode");

  kcase_init (&t, 1);
  int gemm[2] = { add_tensor (&t, "a", 2, (int64_t[]) { 2, 3 }, false),
    add_tensor (&t, "b", 2, (int64_t[]) { 4, 5 }, true) };
  add_node (&t, "Gemm", gemm, 2, 1);
  expect_error (&t, "gemm inner dimensions must agree", AT_INFER, CNN_STATUS_INVALID_MODEL,
      "inner dimensions");

  kcase_init (&t, 1);
  gemm[0] = add_tensor (&t, "a", 3, (int64_t[]) { 2, 3, 4 }, false);
  gemm[1] = add_tensor (&t, "b", 3, (int64_t[]) { 3, 4, 5 }, true);
  add_node (&t, "MatMul", gemm, 2, 1);
  expect_error (&t, "matmul batch dims must broadcast", AT_INFER, CNN_STATUS_INVALID_MODEL,
      "broadcast");

  kcase_init (&t, 1);
  gemm[0] = add_tensor (&t, "x", 3, (int64_t[]) { 2, 3, 4 }, false);
  add_node (&t, "ReduceMean", gemm, 1, 1);
  attr_ints (&t, "axes", 1, (int64_t[]) { 3 });
  expect_error (&t, "reduce axis out of range", AT_INFER, CNN_STATUS_INVALID_MODEL, "axis 3");
}

int
main (void)
{
  uint32_t seed = 12345;
  char message[256];

  setvbuf (stdout, NULL, _IOLBF, 0);
  if (!cnn_blas_init (message, sizeof (message))) {
    printf ("FAIL %s\n", message);
    return 1;
  }
  for (size_t i = 0; i < sizeof (conv_cases) / sizeof (conv_cases[0]); i++)
    test_conv (&conv_cases[i], seed++);
  /* Again with the portable kernels that CPUs without AVX-512 run. */
  printf ("# portable conv kernels\n");
  cnn_conv_set_portable (true);
  for (size_t i = 0; i < sizeof (conv_cases) / sizeof (conv_cases[0]); i++)
    test_conv (&conv_cases[i], seed++);
  for (size_t i = 0; i < sizeof (pool_cases) / sizeof (pool_cases[0]); i++)
    test_pool (&pool_cases[i], seed++);
  cnn_conv_set_portable (false);
  for (size_t i = 0; i < sizeof (pool_cases) / sizeof (pool_cases[0]); i++)
    test_pool (&pool_cases[i], seed++);
  for (size_t i = 0; i < sizeof (reduce_cases) / sizeof (reduce_cases[0]); i++)
    test_reduce (&reduce_cases[i], seed++);
  for (size_t i = 0; i < sizeof (gemm_cases) / sizeof (gemm_cases[0]); i++)
    test_gemm (&gemm_cases[i], seed++);
  for (size_t i = 0; i < sizeof (matmul_cases) / sizeof (matmul_cases[0]); i++)
    test_matmul (&matmul_cases[i], seed++);
  for (size_t i = 0; i < sizeof (bn_cases) / sizeof (bn_cases[0]); i++)
    test_bn (&bn_cases[i], seed++);
  test_errors ();

  printf ("%d failure%s\n", failures, failures == 1 ? "" : "s");
  return failures > 0 ? 1 : 0;
}
