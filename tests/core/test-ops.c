/* test-ops.c — the light ops (elementwise, activation, softmax, shape, and the data-movement
 * ops: reshape, transpose, concat, slice, gather, pad, identity) on tiny graphs, and the
 * legacy forms of opsets 1-6, and the memory plan of a Concat's inputs (placed inside its
 * output when they are contiguous blocks of it).
 *
 * Each case builds a one-node graph with graph.h, runs the op's hooks the way prepare and run
 * do (parse → infer → run, outputs in caller buffers) and compares the output's shape and
 * values with ones worked out by hand from the ONNX specification. Cases that must be
 * rejected check the status and that the message names what is wrong.
 */
#include "graph.h"
#include "ops/ops.h"
#include "planner.h"
#include "threadpool.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Tiny graph construction ------------------------------------------------------------ */

#define MAX_BUFFERS 32

typedef struct {
  cnn_graph *g;
  cnn_threadpool *pool;
  void *buffers[MAX_BUFFERS];   /* data of non-constant values, owned by the case */
  int n_buffers;
  cnn_error err;
  int line;                     /* first failed check */
} tcase;

#define DIMS(...) \
  (int) (sizeof ((int64_t[]) { __VA_ARGS__ }) / sizeof (int64_t)), (int64_t[]) { __VA_ARGS__ }
#define SCALAR 0, NULL
#define F32(...) (float[]) { __VA_ARGS__ }
#define I64(...) (int64_t[]) { __VA_ARGS__ }
#define I32(...) (int32_t[]) { __VA_ARGS__ }

static void *
tc_alloc (tcase *t, size_t bytes)
{
  void *p = calloc (1, bytes > 0 ? bytes : 1);
  if (p != NULL && t->n_buffers < MAX_BUFFERS)
    t->buffers[t->n_buffers++] = p;
  return p;
}

/* A value with data: a constant (blob) or a run-time tensor (buffer). */
static int
tc_value (tcase *t, const char *name, cnn_dtype dtype, int rank, const int64_t *dims,
    const void *data, bool constant)
{
  int id = cnn_graph_value (t->g, name);
  cnn_value *v = &t->g->values[id];
  uint64_t count = 1;

  for (int i = 0; i < rank; i++)
    count *= (uint64_t) dims[i];
  size_t bytes = (size_t) count * cnn_dtype_size (dtype);
  if (constant) {
    cnn_blob *blob = cnn_blob_new (bytes);
    if (bytes > 0 && data != NULL)
      memcpy (blob->data, data, bytes);
    cnn_value_set_constant (v, dtype, rank, dims, blob);
    v->ptr = blob->data;
  } else {
    cnn_value_set_shape (v, dtype, rank, dims);
    v->ptr = tc_alloc (t, bytes);
    if (bytes > 0 && data != NULL)      /* NULL: only the shape matters */
      memcpy (v->ptr, data, bytes);
    v->is_input = true;
  }
  return id;
}

static int
tc_input (tcase *t, const char *name, cnn_dtype dtype, int rank, const int64_t *dims,
    const void *data)
{
  return tc_value (t, name, dtype, rank, dims, data, false);
}

static int
tc_const (tcase *t, const char *name, cnn_dtype dtype, int rank, const int64_t *dims,
    const void *data)
{
  return tc_value (t, name, dtype, rank, dims, data, true);
}

/* Adds the node; inputs are value ids (-1 = omitted); outputs are named y0, y1, ... */
static int
tc_node (tcase *t, cnn_op_kind op, const int *inputs, int n_inputs, int n_outputs)
{
  int outputs[4];
  char name[8];

  for (int i = 0; i < n_outputs; i++) {
    snprintf (name, sizeof (name), "y%d", i);
    outputs[i] = cnn_graph_value (t->g, name);
  }
  int node = cnn_graph_add_node (t->g, "n", cnn_op_table[op].def->name, "", inputs, n_inputs,
      outputs, n_outputs);
  t->g->nodes[node].op = op;
  return node;
}

static void
tc_attr_int (tcase *t, int node, const char *name, int64_t value)
{
  cnn_node_add_attr (t->g, node, name, CNN_ATTR_INT)->i = value;
}

static void
tc_attr_float (tcase *t, int node, const char *name, float value)
{
  cnn_node_add_attr (t->g, node, name, CNN_ATTR_FLOAT)->f = value;
}

static void
tc_attr_string (tcase *t, int node, const char *name, const char *value)
{
  cnn_node_add_attr (t->g, node, name, CNN_ATTR_STRING)->s = strdup (value);
}

static void
tc_attr_ints (tcase *t, int node, const char *name, int count, const int64_t *values)
{
  cnn_attr *a = cnn_node_add_attr (t->g, node, name, CNN_ATTR_INTS);
  a->ints = malloc (sizeof (int64_t) * (size_t) (count > 0 ? count : 1));
  memcpy (a->ints, values, sizeof (int64_t) * (size_t) count);
  a->count = (size_t) count;
}

static void
tc_attr_tensor (tcase *t, int node, const char *name, int value)
{
  cnn_node_add_attr (t->g, node, name, CNN_ATTR_TENSOR)->tensor = value;
}

/* parse → infer → allocate outputs → run, like bind_ops / prepare / run do. */
static cnn_status
tc_run (tcase *t, int node)
{
  cnn_graph *g = t->g;
  cnn_node *n = &g->nodes[node];
  const cnn_op_def *def = cnn_op_def_of (n);
  cnn_status status;

  if (def->parse != NULL && (status = def->parse (g, n, &t->err)) != CNN_STATUS_OK)
    return status;
  if ((status = def->infer (g, n, &t->err)) != CNN_STATUS_OK)
    return status;
  for (int o = 0; o < n->n_outputs; o++) {
    cnn_value *v = &g->values[n->outputs[o]];
    uint64_t bytes;
    if (!cnn_value_bytes (v, &bytes))
      return cnn_set_error (&t->err, CNN_STATUS_INVALID_MODEL, "output %d has no size", o);
    v->ptr = tc_alloc (t, (size_t) bytes);
    memset (v->ptr, 0xa5, (size_t) bytes);     /* catch elements run forgets to write */
  }
  cnn_exec exec = { .pool = t->pool };
  const cnn_value **slots = malloc (sizeof (cnn_value *) * (cnn_layer_io_slots (n) + 1));
  cnn_layer_io io;
  if (slots == NULL)
    return cnn_set_error (&t->err, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  cnn_layer_io_bind (g, n, slots, &io);
  def->run (n, &io, &exec);
  free (slots);
  return CNN_STATUS_OK;
}

/* ---- Checks ----------------------------------------------------------------------------- */

#define CHECK(cond)               \
  do {                            \
    if (!(cond)) {                \
      if (t->line == 0)           \
        t->line = __LINE__;       \
      return false;               \
    }                             \
  } while (0)

/* Runs the node and expects success. */
#define RUN(node)                                                             \
  do {                                                                        \
    cnn_status s_ = tc_run (t, (node));                                       \
    if (s_ != CNN_STATUS_OK) {                                                \
      fprintf (stderr, "    unexpected error: %s\n", t->err.message);        \
      CHECK (s_ == CNN_STATUS_OK);                                            \
    }                                                                         \
  } while (0)

/* Runs the node and expects `status` with `needle` in the message. */
#define RUN_FAILS(node, status, needle)                                       \
  do {                                                                        \
    cnn_status s_ = tc_run (t, (node));                                       \
    if (s_ != (status) || strstr (t->err.message, (needle)) == NULL) {        \
      fprintf (stderr, "    expected %s containing '%s', got %s: %s\n",      \
          cnn_status_string (status), (needle), cnn_status_string (s_),      \
          s_ != CNN_STATUS_OK ? t->err.message : "");                         \
      CHECK (false);                                                          \
    }                                                                         \
  } while (0)

static bool
shape_is (const cnn_value *v, cnn_dtype dtype, int rank, const int64_t *dims)
{
  if (v->dtype != dtype || v->rank != rank) {
    fprintf (stderr, "    got %s rank %d, expected %s rank %d\n", cnn_dtype_string (v->dtype),
        v->rank, cnn_dtype_string (dtype), rank);
    return false;
  }
  for (int i = 0; i < rank; i++) {
    if (v->dims[i] != dims[i]) {
      fprintf (stderr, "    dim %d is %lld, expected %lld\n", i, (long long) v->dims[i],
          (long long) dims[i]);
      return false;
    }
  }
  return true;
}

static uint64_t
count_of (int rank, const int64_t *dims)
{
  uint64_t n = 1;
  for (int i = 0; i < rank; i++)
    n *= (uint64_t) dims[i];
  return n;
}

static bool
expect_f32 (tcase *t, int rank, const int64_t *dims, const float *want, float tol)
{
  const cnn_value *v = &t->g->values[cnn_graph_find_value (t->g, "y0")];
  if (!shape_is (v, CNN_DTYPE_FLOAT32, rank, dims))
    return false;
  const float *got = v->ptr;
  for (uint64_t i = 0; i < count_of (rank, dims); i++) {
    bool same = isnan (want[i]) ? isnan (got[i])
        : isinf (want[i]) ? got[i] == want[i]
        : fabsf (got[i] - want[i]) <= tol * (1.0f + fabsf (want[i]));
    if (!same) {
      fprintf (stderr, "    element %llu is %.8g, expected %.8g\n", (unsigned long long) i,
          got[i], want[i]);
      return false;
    }
  }
  return true;
}

static bool
expect_ints (tcase *t, const char *value, cnn_dtype dtype, int rank, const int64_t *dims,
    const int64_t *want)
{
  const cnn_value *v = &t->g->values[cnn_graph_find_value (t->g, value)];
  if (!shape_is (v, dtype, rank, dims))
    return false;
  for (uint64_t i = 0; i < count_of (rank, dims); i++) {
    int64_t got = dtype == CNN_DTYPE_INT64 ? ((const int64_t *) v->ptr)[i]
        : dtype == CNN_DTYPE_INT32 ? ((const int32_t *) v->ptr)[i]
        : ((const uint8_t *) v->ptr)[i];
    if (got != want[i]) {
      fprintf (stderr, "    %s element %llu is %lld, expected %lld\n", value,
          (unsigned long long) i, (long long) got, (long long) want[i]);
      return false;
    }
  }
  return true;
}

#define EXPECT_F32(rank_dims, want) CHECK (expect_f32 (t, rank_dims, want, 1e-5f))
#define EXPECT_I64(rank_dims, want) CHECK (expect_ints (t, "y0", CNN_DTYPE_INT64, rank_dims, want))

/* ---- Elementwise ------------------------------------------------------------------------ */

static bool
add_same_shape (tcase *t)
{
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (2, 3), F32 (1, 2, 3, 4, 5, 6)),
    tc_const (t, "b", CNN_DTYPE_FLOAT32, DIMS (2, 3), F32 (10, 20, 30, 40, 50, 60)),
  };
  RUN (tc_node (t, CNN_OP_ADD, in, 2, 1));
  EXPECT_F32 (DIMS (2, 3), F32 (11, 22, 33, 44, 55, 66));
  return true;
}

static bool
add_per_channel (tcase *t)
{
  /* [1,3,2,2] + [3,1,1]: one bias per channel. */
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (1, 3, 2, 2),
        F32 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)),
    tc_const (t, "b", CNN_DTYPE_FLOAT32, DIMS (3, 1, 1), F32 (100, 200, 300)),
  };
  RUN (tc_node (t, CNN_OP_ADD, in, 2, 1));
  EXPECT_F32 (DIMS (1, 3, 2, 2),
      F32 (100, 101, 102, 103, 204, 205, 206, 207, 308, 309, 310, 311));
  return true;
}

/* [2,3,1,2] · [2,3,1,1], then the gate first: one factor per image and channel (a
 * squeeze-excitation's Mul), elementwise.c's whole-plane path. */
static bool
mul_plane_gate (tcase *t)
{
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 3, 1, 2),
        F32 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)),
    tc_input (t, "gate", CNN_DTYPE_FLOAT32, DIMS (2, 3, 1, 1), F32 (1, 2, 3, 4, 5, 6)),
  };
  RUN (tc_node (t, CNN_OP_MUL, in, 2, 1));
  EXPECT_F32 (DIMS (2, 3, 1, 2), F32 (0, 1, 4, 6, 12, 15, 24, 28, 40, 45, 60, 66));
  return true;
}

static bool
mul_plane_gate_first (tcase *t)
{
  int in[2] = {
    tc_input (t, "gate", CNN_DTYPE_FLOAT32, DIMS (2, 3, 1, 1), F32 (1, 2, 3, 4, 5, 6)),
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 3, 1, 2),
        F32 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)),
  };
  RUN (tc_node (t, CNN_OP_MUL, in, 2, 1));
  EXPECT_F32 (DIMS (2, 3, 1, 2), F32 (0, 1, 4, 6, 12, 15, 24, 28, 40, 45, 60, 66));
  return true;
}

static bool
mul_scalar_first (tcase *t)
{
  int in[2] = {
    tc_const (t, "a", CNN_DTYPE_FLOAT32, SCALAR, F32 (0.5f)),
    tc_input (t, "b", CNN_DTYPE_FLOAT32, DIMS (4), F32 (2, 4, -6, 8)),
  };
  RUN (tc_node (t, CNN_OP_MUL, in, 2, 1));
  EXPECT_F32 (DIMS (4), F32 (1, 2, -3, 4));
  return true;
}

static bool
sub_outer_broadcast (tcase *t)
{
  /* [3,1] - [1,4] → [3,4]: both operands broadcast. */
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (3, 1), F32 (10, 20, 30)),
    tc_input (t, "b", CNN_DTYPE_FLOAT32, DIMS (1, 4), F32 (1, 2, 3, 4)),
  };
  RUN (tc_node (t, CNN_OP_SUB, in, 2, 1));
  EXPECT_F32 (DIMS (3, 4), F32 (9, 8, 7, 6, 19, 18, 17, 16, 29, 28, 27, 26));
  return true;
}

static bool
add_middle_broadcast (tcase *t)
{
  /* [2,1,3] + [4,1] → [2,4,3]: the general strided path. */
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (2, 1, 3), F32 (1, 2, 3, 4, 5, 6)),
    tc_input (t, "b", CNN_DTYPE_FLOAT32, DIMS (4, 1), F32 (10, 20, 30, 40)),
  };
  RUN (tc_node (t, CNN_OP_ADD, in, 2, 1));
  EXPECT_F32 (DIMS (2, 4, 3), F32 (11, 12, 13, 21, 22, 23, 31, 32, 33, 41, 42, 43,
      14, 15, 16, 24, 25, 26, 34, 35, 36, 44, 45, 46));
  return true;
}

static bool
div_float (tcase *t)
{
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (2, 2), F32 (1, -3, 5, 0)),
    tc_const (t, "b", CNN_DTYPE_FLOAT32, DIMS (2), F32 (2, 4)),
  };
  RUN (tc_node (t, CNN_OP_DIV, in, 2, 1));
  EXPECT_F32 (DIMS (2, 2), F32 (0.5f, -0.75f, 2.5f, 0));
  return true;
}

static bool
add_fused_relu (tcase *t)
{
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (1, 2, 2), F32 (1, -2, 3, -4)),
    tc_input (t, "b", CNN_DTYPE_FLOAT32, DIMS (1, 2, 2), F32 (-2, 1, -1, 5)),
  };
  int node = tc_node (t, CNN_OP_ADD, in, 2, 1);
  t->g->nodes[node].act = CNN_ACTIVATION_RELU;
  RUN (node);
  EXPECT_F32 (DIMS (1, 2, 2), F32 (0, 0, 2, 1));
  return true;
}

static bool
mul_int64_shape (tcase *t)
{
  /* Exporters scale shapes like this: Shape(x) * [1, 1, 2, 2]. */
  int in[2] = {
    tc_const (t, "a", CNN_DTYPE_INT64, DIMS (4), I64 (1, 3, 224, 224)),
    tc_const (t, "b", CNN_DTYPE_INT64, DIMS (4), I64 (1, 1, 2, 2)),
  };
  RUN (tc_node (t, CNN_OP_MUL, in, 2, 1));
  EXPECT_I64 (DIMS (4), I64 (1, 3, 448, 448));
  return true;
}

static bool
div_int64_truncates (tcase *t)
{
  /* Truncation toward zero (ONNX reference: true divide, cast back); /0 gives 0, not a trap. */
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_INT64, DIMS (6), I64 (7, -7, 7, -7, 5, INT64_MIN)),
    tc_input (t, "b", CNN_DTYPE_INT64, DIMS (6), I64 (2, 2, -2, -2, 0, -1)),
  };
  RUN (tc_node (t, CNN_OP_DIV, in, 2, 1));
  EXPECT_I64 (DIMS (6), I64 (3, -3, -3, 3, 0, INT64_MIN));
  return true;
}

static bool
sub_int32_scalar (tcase *t)
{
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_INT32, DIMS (3), I32 (5, 0, -5)),
    tc_const (t, "b", CNN_DTYPE_INT32, SCALAR, I32 (2)),
  };
  RUN (tc_node (t, CNN_OP_SUB, in, 2, 1));
  CHECK (expect_ints (t, "y0", CNN_DTYPE_INT32, DIMS (3), I64 (3, -2, -7)));
  return true;
}

static bool
add_rejects_bad_broadcast (tcase *t)
{
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (2, 3), F32 (0, 0, 0, 0, 0, 0)),
    tc_input (t, "b", CNN_DTYPE_FLOAT32, DIMS (4), F32 (0, 0, 0, 0)),
  };
  RUN_FAILS (tc_node (t, CNN_OP_ADD, in, 2, 1), CNN_STATUS_SHAPE_MISMATCH, "[2,3] and [4]");
  CHECK (strstr (t->err.message, "node 'n' (Add") != NULL);
  return true;
}

static bool
add_rejects_mixed_types (tcase *t)
{
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (1), F32 (0)),
    tc_input (t, "b", CNN_DTYPE_INT64, DIMS (1), I64 (0)),
  };
  RUN_FAILS (tc_node (t, CNN_OP_ADD, in, 2, 1), CNN_STATUS_INVALID_MODEL, "float32 and int64");
  return true;
}

/* Large broadcasts on two threads against a plain reference loop. */
static bool
broadcast_threads_match_reference (tcase *t)
{
  enum { C = 37, H = 61, W = 53 };
  static float a[2 * C * H * W], b[C * W], want[2 * C * H * W];

  for (int i = 0; i < 2 * C * H * W; i++)
    a[i] = (float) (i % 1013) * 0.25f;
  for (int i = 0; i < C * W; i++)
    b[i] = (float) (i % 97) - 48.0f;
  for (int n = 0; n < 2; n++)
    for (int c = 0; c < C; c++)
      for (int h = 0; h < H; h++)
        for (int w = 0; w < W; w++) {
          int i = ((n * C + c) * H + h) * W + w;
          want[i] = a[i] * b[c * W + w];
        }
  cnn_threadpool_destroy (t->pool);
  t->pool = cnn_threadpool_create (2);
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (2, C, H, W), a),
    tc_input (t, "b", CNN_DTYPE_FLOAT32, DIMS (C, 1, W), b),
  };
  RUN (tc_node (t, CNN_OP_MUL, in, 2, 1));
  EXPECT_F32 (DIMS (2, C, H, W), want);
  return true;
}

/* ---- Activations ------------------------------------------------------------------------ */

static bool
unary (tcase *t, cnn_op_kind op, const float *x, const float *want, int n_attrs,
    const char *attr, float value)
{
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (5), x) };
  int node = tc_node (t, op, in, 1, 1);
  if (n_attrs > 0)
    tc_attr_float (t, node, attr, value);
  RUN (node);
  EXPECT_F32 (DIMS (5), want);
  return true;
}

#define XS F32 (-2, -0.5f, 0, 0.5f, 3)

static bool
relu (tcase *t)
{
  return unary (t, CNN_OP_RELU, XS, F32 (0, 0, 0, 0.5f, 3), 0, NULL, 0);
}

static bool
leaky_relu_default_alpha (tcase *t)
{
  return unary (t, CNN_OP_LEAKY_RELU, XS, F32 (-0.02f, -0.005f, 0, 0.5f, 3), 0, NULL, 0);
}

static bool
elu_alpha (tcase *t)
{
  return unary (t, CNN_OP_ELU, XS, F32 (2 * expm1f (-2), 2 * expm1f (-0.5f), 0, 0.5f, 3), 1,
      "alpha", 2.0f);
}

static bool
sigmoid (tcase *t)
{
  return unary (t, CNN_OP_SIGMOID, XS, F32 (0.11920292f, 0.37754067f, 0.5f, 0.62245933f,
        0.95257413f), 0, NULL, 0);
}

static bool
tanh_values (tcase *t)
{
  return unary (t, CNN_OP_TANH, XS, F32 (-0.96402758f, -0.46211716f, 0, 0.46211716f,
        0.99505475f), 0, NULL, 0);
}

static bool
hard_sigmoid_defaults (tcase *t)
{
  /* max(0, min(1, 0.2x + 0.5)) */
  return unary (t, CNN_OP_HARD_SIGMOID, XS, F32 (0.1f, 0.4f, 0.5f, 0.6f, 1), 0, NULL, 0);
}

static bool
hard_swish (tcase *t)
{
  /* x * max(0, min(1, x/6 + 0.5)) */
  return unary (t, CNN_OP_HARD_SWISH, F32 (-4, -1, 0, 1, 4),
      F32 (0, -1.0f / 3, 0, 2.0f / 3, 4), 0, NULL, 0);
}

static bool
clip_attrs_opset6 (tcase *t)
{
  t->g->opset = 6;
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (5), XS) };
  int node = tc_node (t, CNN_OP_CLIP, in, 1, 1);
  tc_attr_float (t, node, "min", -1.0f);
  tc_attr_float (t, node, "max", 1.0f);
  RUN (node);
  EXPECT_F32 (DIMS (5), F32 (-1, -0.5f, 0, 0.5f, 1));
  return true;
}

static bool
clip_min_input_only (tcase *t)
{
  /* Opset 13: min given, max omitted (defaults to +inf); min may be a run-time scalar. */
  int in[3] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (5), XS),
    tc_input (t, "min", CNN_DTYPE_FLOAT32, SCALAR, F32 (-1)),
    -1,
  };
  RUN (tc_node (t, CNN_OP_CLIP, in, 3, 1));
  EXPECT_F32 (DIMS (5), F32 (-1, -0.5f, 0, 0.5f, 3));
  return true;
}

static bool
clip_min_above_max (tcase *t)
{
  /* ONNX: min > max makes every output max. */
  int in[3] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (5), XS),
    tc_const (t, "min", CNN_DTYPE_FLOAT32, SCALAR, F32 (2)),
    tc_const (t, "max", CNN_DTYPE_FLOAT32, SCALAR, F32 (1)),
  };
  RUN (tc_node (t, CNN_OP_CLIP, in, 3, 1));
  EXPECT_F32 (DIMS (5), F32 (1, 1, 1, 1, 1));
  return true;
}

static bool
prelu_per_channel (tcase *t)
{
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (1, 2, 2, 2), F32 (-1, 2, -3, 4, -5, 6, -7, 8)),
    tc_const (t, "slope", CNN_DTYPE_FLOAT32, DIMS (2, 1, 1), F32 (0.5f, 0.25f)),
  };
  RUN (tc_node (t, CNN_OP_PRELU, in, 2, 1));
  EXPECT_F32 (DIMS (1, 2, 2, 2), F32 (-0.5f, 2, -1.5f, 4, -1.25f, 6, -1.75f, 8));
  return true;
}

static bool
prelu_last_axis (tcase *t)
{
  /* Numpy rules: slope [3] lines up with the last dim. */
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 3), F32 (-1, -1, -1, 1, -2, -2)),
    tc_const (t, "slope", CNN_DTYPE_FLOAT32, DIMS (3), F32 (1, 2, 3)),
  };
  RUN (tc_node (t, CNN_OP_PRELU, in, 2, 1));
  EXPECT_F32 (DIMS (2, 3), F32 (-1, -2, -3, 1, -4, -6));
  return true;
}

static bool
prelu_rejects_bad_slope (tcase *t)
{
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (1, 2, 2, 2), F32 (0, 0, 0, 0, 0, 0, 0, 0)),
    tc_const (t, "slope", CNN_DTYPE_FLOAT32, DIMS (3), F32 (1, 2, 3)),
  };
  RUN_FAILS (tc_node (t, CNN_OP_PRELU, in, 2, 1), CNN_STATUS_SHAPE_MISMATCH, "[3]");
  return true;
}

/* ---- Softmax ---------------------------------------------------------------------------- */

#define SM_X F32 (0, 1, 2, 3, 4, 5, 1, 1, 1, 1, 1, 1)

/* Softmax of 0..5 as one vector. */
static const float sm6[6] = { 0.0042697785f, 0.011606461f, 0.031549633f, 0.085760795f,
  0.23312201f, 0.63369132f };

static bool
softmax_opset11_flattens (tcase *t)
{
  /* [2,2,3] with axis 1 before opset 13: each batch's 6 values form one distribution. */
  t->g->opset = 11;
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 2, 3), SM_X) };
  int node = tc_node (t, CNN_OP_SOFTMAX, in, 1, 1);
  tc_attr_int (t, node, "axis", 1);
  RUN (node);
  float s = 1.0f / 6;
  EXPECT_F32 (DIMS (2, 2, 3), F32 (sm6[0], sm6[1], sm6[2], sm6[3], sm6[4], sm6[5],
      s, s, s, s, s, s));
  return true;
}

static bool
softmax_opset13_one_axis (tcase *t)
{
  /* Same input and axis from opset 13: only dim 1 (pairs 3 apart) is normalised. */
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 2, 3), SM_X) };
  int node = tc_node (t, CNN_OP_SOFTMAX, in, 1, 1);
  tc_attr_int (t, node, "axis", 1);
  RUN (node);
  float lo = 1.0f / (1.0f + expf (3)), hi = 1.0f - lo;
  EXPECT_F32 (DIMS (2, 2, 3), F32 (lo, lo, lo, hi, hi, hi, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f,
      0.5f));
  return true;
}

static bool
softmax_opset13_default_last (tcase *t)
{
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 3), F32 (0, 1, 2, 3, 4, 5)) };
  RUN (tc_node (t, CNN_OP_SOFTMAX, in, 1, 1));
  float a = 0.09003057f, b = 0.24472847f, c = 0.66524096f;
  EXPECT_F32 (DIMS (2, 3), F32 (a, b, c, a, b, c));
  return true;
}

static bool
softmax_opset11_default_axis1 (tcase *t)
{
  /* Default axis before 13 is 1: a [2,3] input is two rows (same as -1 here). */
  t->g->opset = 7;
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (1, 2, 3), F32 (0, 1, 2, 3, 4, 5)) };
  RUN (tc_node (t, CNN_OP_SOFTMAX, in, 1, 1));
  EXPECT_F32 (DIMS (1, 2, 3), sm6);
  return true;
}

static bool
softmax_large_values (tcase *t)
{
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (3), F32 (1000, 1001, 1002)) };
  RUN (tc_node (t, CNN_OP_SOFTMAX, in, 1, 1));
  EXPECT_F32 (DIMS (3), F32 (0.09003057f, 0.24472847f, 0.66524096f));
  return true;
}

static bool
log_softmax_negative_axis (tcase *t)
{
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 2), F32 (1, 2, 3, 3)) };
  int node = tc_node (t, CNN_OP_LOG_SOFTMAX, in, 1, 1);
  tc_attr_int (t, node, "axis", -2);
  RUN (node);
  /* Columns (1,3) and (2,3). */
  float l13 = logf (1 + expf (2)), l23 = logf (1 + expf (1));
  EXPECT_F32 (DIMS (2, 2), F32 (1 - 3 - logf (expf (-2) + 1), 2 - 3 - logf (expf (-1) + 1),
      -(l13 - 2), -(l23 - 1)));
  return true;
}

static bool
softmax_rejects_bad_axis (tcase *t)
{
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 2), F32 (1, 2, 3, 3)) };
  int node = tc_node (t, CNN_OP_SOFTMAX, in, 1, 1);
  tc_attr_int (t, node, "axis", 2);
  RUN_FAILS (node, CNN_STATUS_INVALID_MODEL, "axis 2");
  return true;
}

/* ---- Shape ops -------------------------------------------------------------------------- */

static bool
constant_tensor (tcase *t)
{
  int value = tc_const (t, "v", CNN_DTYPE_INT64, DIMS (2, 2), I64 (1, 2, 3, 4));
  int node = tc_node (t, CNN_OP_CONSTANT, NULL, 0, 1);
  tc_attr_tensor (t, node, "value", value);
  RUN (node);
  EXPECT_I64 (DIMS (2, 2), I64 (1, 2, 3, 4));
  return true;
}

static bool
constant_value_ints_and_float (tcase *t)
{
  int node = tc_node (t, CNN_OP_CONSTANT, NULL, 0, 1);
  tc_attr_ints (t, node, "value_ints", DIMS (-1, 7, 0));
  RUN (node);
  EXPECT_I64 (DIMS (3), I64 (-1, 7, 0));

  cnn_ops_release (t->g);
  cnn_graph_free (t->g);
  t->g = cnn_graph_new ("test.onnx", NULL);
  node = tc_node (t, CNN_OP_CONSTANT, NULL, 0, 1);
  tc_attr_float (t, node, "value_float", 2.5f);
  RUN (node);
  EXPECT_F32 (SCALAR, F32 (2.5f));
  return true;
}

static bool
constant_rejects_strings (tcase *t)
{
  int node = tc_node (t, CNN_OP_CONSTANT, NULL, 0, 1);
  tc_attr_string (t, node, "value_string", "hello");
  RUN_FAILS (node, CNN_STATUS_UNSUPPORTED, "string");
  return true;
}

static bool
shape_start_end (tcase *t)
{
  t->g->opset = 15;
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 3, 4, 5), NULL) };
  int node = tc_node (t, CNN_OP_SHAPE, in, 1, 1);
  tc_attr_int (t, node, "start", 1);
  tc_attr_int (t, node, "end", -1);
  RUN (node);
  EXPECT_I64 (DIMS (2), I64 (3, 4));
  return true;
}

static bool
shape_whole (tcase *t)
{
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (1, 3, 7), NULL) };
  RUN (tc_node (t, CNN_OP_SHAPE, in, 1, 1));
  EXPECT_I64 (DIMS (3), I64 (1, 3, 7));
  return true;
}

static bool
cast_float_to_int64 (tcase *t)
{
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (5), F32 (1.9f, -1.9f, 0, NAN, 1e30f)) };
  int node = tc_node (t, CNN_OP_CAST, in, 1, 1);
  tc_attr_int (t, node, "to", 7);
  RUN (node);
  EXPECT_I64 (DIMS (5), I64 (1, -1, 0, 0, INT64_MAX));
  return true;
}

static bool
cast_int64_to_float_and_bool (tcase *t)
{
  int in[1] = { tc_input (t, "x", CNN_DTYPE_INT64, DIMS (3), I64 (-3, 0, 1 << 20)) };
  int node = tc_node (t, CNN_OP_CAST, in, 1, 1);
  tc_attr_int (t, node, "to", 1);
  RUN (node);
  EXPECT_F32 (DIMS (3), F32 (-3, 0, 1 << 20));

  cnn_ops_release (t->g);
  cnn_graph_free (t->g);
  t->g = cnn_graph_new ("test.onnx", NULL);
  in[0] = tc_input (t, "x", CNN_DTYPE_INT64, DIMS (3), I64 (-3, 0, 1 << 20));
  node = tc_node (t, CNN_OP_CAST, in, 1, 1);
  tc_attr_int (t, node, "to", 9);
  RUN (node);
  CHECK (expect_ints (t, "y0", CNN_DTYPE_BOOL, DIMS (3), I64 (1, 0, 1)));
  return true;
}

static bool
cast_rejects_float16 (tcase *t)
{
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (1), F32 (0)) };
  int node = tc_node (t, CNN_OP_CAST, in, 1, 1);
  tc_attr_int (t, node, "to", 10);
  RUN_FAILS (node, CNN_STATUS_UNSUPPORTED, "FLOAT16");
  return true;
}

static bool
constant_of_shape_default (tcase *t)
{
  int in[1] = { tc_const (t, "s", CNN_DTYPE_INT64, DIMS (2), I64 (2, 3)) };
  RUN (tc_node (t, CNN_OP_CONSTANT_OF_SHAPE, in, 1, 1));
  EXPECT_F32 (DIMS (2, 3), F32 (0, 0, 0, 0, 0, 0));
  return true;
}

static bool
constant_of_shape_int64_value (tcase *t)
{
  int value = tc_const (t, "v", CNN_DTYPE_INT64, DIMS (1), I64 (-7));
  int in[1] = { tc_const (t, "s", CNN_DTYPE_INT64, DIMS (1), I64 (3)) };
  int node = tc_node (t, CNN_OP_CONSTANT_OF_SHAPE, in, 1, 1);
  tc_attr_tensor (t, node, "value", value);
  RUN (node);
  EXPECT_I64 (DIMS (3), I64 (-7, -7, -7));
  return true;
}

/* ---- Layout ops ------------------------------------------------------------------------- */

#define X24 F32 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, \
    21, 22, 23)

static bool
flatten_negative_axis (tcase *t)
{
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 3, 4), X24) };
  int node = tc_node (t, CNN_OP_FLATTEN, in, 1, 1);
  tc_attr_int (t, node, "axis", -1);
  RUN (node);
  EXPECT_F32 (DIMS (6, 4), X24);
  return true;
}

static bool
flatten_axis0 (tcase *t)
{
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 3, 4), X24) };
  int node = tc_node (t, CNN_OP_FLATTEN, in, 1, 1);
  tc_attr_int (t, node, "axis", 0);
  RUN (node);
  EXPECT_F32 (DIMS (1, 24), X24);
  return true;
}

static bool
reshape_zero_and_minus_one (tcase *t)
{
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 3, 4), X24),
    tc_const (t, "shape", CNN_DTYPE_INT64, DIMS (3), I64 (0, -1, 2)),
  };
  RUN (tc_node (t, CNN_OP_RESHAPE, in, 2, 1));
  EXPECT_F32 (DIMS (2, 6, 2), X24);
  return true;
}

static bool
reshape_allowzero (tcase *t)
{
  /* allowzero=1: 0 is a real zero-sized dim, so [0,3,4] → [3,4,0] is valid. */
  t->g->opset = 14;
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (0, 3, 4), NULL),
    tc_const (t, "shape", CNN_DTYPE_INT64, DIMS (3), I64 (3, 4, 0)),
  };
  int node = tc_node (t, CNN_OP_RESHAPE, in, 2, 1);
  tc_attr_int (t, node, "allowzero", 1);
  RUN (node);
  CHECK (shape_is (&t->g->values[cnn_graph_find_value (t->g, "y0")], CNN_DTYPE_FLOAT32,
          DIMS (3, 4, 0)));
  return true;
}

static bool
reshape_rejects_mismatch (tcase *t)
{
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (1, 512, 7, 7), NULL),
    tc_const (t, "shape", CNN_DTYPE_INT64, DIMS (2), I64 (1, 1000)),
  };
  RUN_FAILS (tc_node (t, CNN_OP_RESHAPE, in, 2, 1), CNN_STATUS_SHAPE_MISMATCH,
      "cannot reshape [1,512,7,7] (25088 elements) to [1,1000] (1000 elements)");
  return true;
}

static bool
reshape_rejects_runtime_shape (tcase *t)
{
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 2), F32 (0, 0, 0, 0)),
    tc_input (t, "shape", CNN_DTYPE_INT64, DIMS (1), I64 (4)),
  };
  RUN_FAILS (tc_node (t, CNN_OP_RESHAPE, in, 2, 1), CNN_STATUS_UNSUPPORTED,
      "shape input must be computable at load time");
  return true;
}

static bool
transpose_default_reverses (tcase *t)
{
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 3), F32 (1, 2, 3, 4, 5, 6)) };
  RUN (tc_node (t, CNN_OP_TRANSPOSE, in, 1, 1));
  EXPECT_F32 (DIMS (3, 2), F32 (1, 4, 2, 5, 3, 6));
  return true;
}

static bool
transpose_perm_3d (tcase *t)
{
  /* [2,3,4] with perm [1,0,2]: y[j][i][k] = x[i][j][k] (inner runs stay contiguous). */
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 3, 4), X24) };
  int node = tc_node (t, CNN_OP_TRANSPOSE, in, 1, 1);
  tc_attr_ints (t, node, "perm", DIMS (1, 0, 2));
  RUN (node);
  EXPECT_F32 (DIMS (3, 2, 4), F32 (0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7, 16, 17, 18, 19,
      8, 9, 10, 11, 20, 21, 22, 23));
  return true;
}

static bool
transpose_perm_int64 (tcase *t)
{
  /* [2,3,2] int64 with perm [2,0,1]: y[k][i][j] = x[i][j][k]. */
  int in[1] = { tc_input (t, "x", CNN_DTYPE_INT64, DIMS (2, 3, 2),
        I64 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)) };
  int node = tc_node (t, CNN_OP_TRANSPOSE, in, 1, 1);
  tc_attr_ints (t, node, "perm", DIMS (2, 0, 1));
  RUN (node);
  EXPECT_I64 (DIMS (2, 2, 3), I64 (0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11));
  return true;
}

static bool
concat_negative_axis (tcase *t)
{
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (2, 1), F32 (1, 2)),
    tc_const (t, "b", CNN_DTYPE_FLOAT32, DIMS (2, 2), F32 (3, 4, 5, 6)),
  };
  int node = tc_node (t, CNN_OP_CONCAT, in, 2, 1);
  tc_attr_int (t, node, "axis", -1);
  RUN (node);
  EXPECT_F32 (DIMS (2, 3), F32 (1, 3, 4, 2, 5, 6));
  return true;
}

static bool
concat_int64_shapes (tcase *t)
{
  /* The tail of a shape sub-graph: Concat([batch], [-1]). */
  int in[3] = {
    tc_const (t, "a", CNN_DTYPE_INT64, DIMS (1), I64 (1)),
    tc_const (t, "b", CNN_DTYPE_INT64, DIMS (0), NULL),
    tc_const (t, "c", CNN_DTYPE_INT64, DIMS (1), I64 (-1)),
  };
  int node = tc_node (t, CNN_OP_CONCAT, in, 3, 1);
  tc_attr_int (t, node, "axis", 0);
  RUN (node);
  EXPECT_I64 (DIMS (2), I64 (1, -1));
  return true;
}

static bool
concat_rejects_mismatch (tcase *t)
{
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (2, 1), F32 (1, 2)),
    tc_input (t, "b", CNN_DTYPE_FLOAT32, DIMS (3, 1), F32 (3, 4, 5)),
  };
  int node = tc_node (t, CNN_OP_CONCAT, in, 2, 1);
  tc_attr_int (t, node, "axis", 1);
  RUN_FAILS (node, CNN_STATUS_SHAPE_MISMATCH, "[3,1]");
  return true;
}

static bool
squeeze_attr_negative (tcase *t)
{
  t->g->opset = 11;
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (1, 3, 1), F32 (1, 2, 3)) };
  int node = tc_node (t, CNN_OP_SQUEEZE, in, 1, 1);
  tc_attr_ints (t, node, "axes", DIMS (-1));
  RUN (node);
  EXPECT_F32 (DIMS (1, 3), F32 (1, 2, 3));
  return true;
}

static bool
squeeze_input_and_all (tcase *t)
{
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (1, 3, 1), F32 (1, 2, 3)),
    tc_const (t, "axes", CNN_DTYPE_INT64, DIMS (1), I64 (0)),
  };
  RUN (tc_node (t, CNN_OP_SQUEEZE, in, 2, 1));
  EXPECT_F32 (DIMS (3, 1), F32 (1, 2, 3));

  /* No axes: every 1 goes. */
  cnn_ops_release (t->g);
  cnn_graph_free (t->g);
  t->g = cnn_graph_new ("test.onnx", NULL);
  in[0] = tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (1, 3, 1), F32 (1, 2, 3));
  RUN (tc_node (t, CNN_OP_SQUEEZE, in, 1, 1));
  EXPECT_F32 (DIMS (3), F32 (1, 2, 3));
  return true;
}

static bool
squeeze_rejects_non_one (tcase *t)
{
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (1, 3), F32 (1, 2, 3)),
    tc_const (t, "axes", CNN_DTYPE_INT64, DIMS (1), I64 (1)),
  };
  RUN_FAILS (tc_node (t, CNN_OP_SQUEEZE, in, 2, 1), CNN_STATUS_SHAPE_MISMATCH,
      "axis 1 of size 3");
  return true;
}

static bool
unsqueeze_input_negative (tcase *t)
{
  /* Axes refer to the output: [3] with [0,-1] → [1,3,1]. */
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_INT64, DIMS (3), I64 (4, 5, 6)),
    tc_const (t, "axes", CNN_DTYPE_INT64, DIMS (2), I64 (-1, 0)),
  };
  RUN (tc_node (t, CNN_OP_UNSQUEEZE, in, 2, 1));
  EXPECT_I64 (DIMS (1, 3, 1), I64 (4, 5, 6));
  return true;
}

static bool
unsqueeze_attr_scalar (tcase *t)
{
  t->g->opset = 11;
  int in[1] = { tc_const (t, "x", CNN_DTYPE_INT64, SCALAR, I64 (42)) };
  int node = tc_node (t, CNN_OP_UNSQUEEZE, in, 1, 1);
  tc_attr_ints (t, node, "axes", DIMS (0));
  RUN (node);
  EXPECT_I64 (DIMS (1), I64 (42));
  return true;
}

static bool
slice_negative_step (tcase *t)
{
  /* x[-1:-1000:-2] over 10 elements → 9, 7, 5, 3, 1. */
  int in[5] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (10), F32 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)),
    tc_const (t, "starts", CNN_DTYPE_INT64, DIMS (1), I64 (-1)),
    tc_const (t, "ends", CNN_DTYPE_INT64, DIMS (1), I64 (-1000)),
    tc_const (t, "axes", CNN_DTYPE_INT64, DIMS (1), I64 (0)),
    tc_const (t, "steps", CNN_DTYPE_INT64, DIMS (1), I64 (-2)),
  };
  RUN (tc_node (t, CNN_OP_SLICE, in, 5, 1));
  EXPECT_F32 (DIMS (5), F32 (9, 7, 5, 3, 1));
  return true;
}

static bool
slice_2d_axes_and_clamp (tcase *t)
{
  /* x[2,3,4][:, 1:INT64_MAX, ::-3] with axes [-1, 1] given out of order. */
  int in[5] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 3, 4), X24),
    tc_const (t, "starts", CNN_DTYPE_INT32, DIMS (2), I32 (100, 1)),
    tc_const (t, "ends", CNN_DTYPE_INT64, DIMS (2), I64 (INT64_MIN, INT64_MAX)),
    tc_const (t, "axes", CNN_DTYPE_INT64, DIMS (2), I64 (-1, 1)),
    tc_const (t, "steps", CNN_DTYPE_INT64, DIMS (2), I64 (-3, 1)),
  };
  RUN (tc_node (t, CNN_OP_SLICE, in, 5, 1));
  /* Last axis: start 100 → 3, end → -1, step -3: indices 3, 0. */
  EXPECT_F32 (DIMS (2, 2, 2), F32 (7, 4, 11, 8, 19, 16, 23, 20));
  return true;
}

static bool
slice_opset9_attrs (tcase *t)
{
  t->g->opset = 9;
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 3), F32 (1, 2, 3, 4, 5, 6)) };
  int node = tc_node (t, CNN_OP_SLICE, in, 1, 1);
  tc_attr_ints (t, node, "starts", DIMS (1, 0));
  tc_attr_ints (t, node, "ends", DIMS (2, -1));
  RUN (node);
  EXPECT_F32 (DIMS (1, 2), F32 (4, 5));
  return true;
}

static bool
slice_empty (tcase *t)
{
  int in[3] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (4), F32 (1, 2, 3, 4)),
    tc_const (t, "starts", CNN_DTYPE_INT64, DIMS (1), I64 (3)),
    tc_const (t, "ends", CNN_DTYPE_INT64, DIMS (1), I64 (1)),
  };
  RUN (tc_node (t, CNN_OP_SLICE, in, 3, 1));
  CHECK (shape_is (&t->g->values[cnn_graph_find_value (t->g, "y0")], CNN_DTYPE_FLOAT32,
          DIMS (0)));
  return true;
}

static bool
gather_negative_indices (tcase *t)
{
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (3, 2), F32 (1, 2, 3, 4, 5, 6)),
    tc_const (t, "i", CNN_DTYPE_INT64, DIMS (2, 2), I64 (-1, 0, 1, -3)),
  };
  RUN (tc_node (t, CNN_OP_GATHER, in, 2, 1));
  EXPECT_F32 (DIMS (2, 2, 2), F32 (5, 6, 1, 2, 3, 4, 1, 2));
  return true;
}

static bool
gather_scalar_index_axis1 (tcase *t)
{
  /* Shape(x)[1]-style: scalar int32 index, negative axis. */
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_INT64, DIMS (2, 3), I64 (1, 2, 3, 4, 5, 6)),
    tc_const (t, "i", CNN_DTYPE_INT32, SCALAR, I32 (-2)),
  };
  int node = tc_node (t, CNN_OP_GATHER, in, 2, 1);
  tc_attr_int (t, node, "axis", -1);
  RUN (node);
  EXPECT_I64 (DIMS (2), I64 (2, 5));
  return true;
}

static bool
gather_rejects_out_of_range (tcase *t)
{
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (3), F32 (1, 2, 3)),
    tc_const (t, "i", CNN_DTYPE_INT64, DIMS (1), I64 (3)),
  };
  RUN_FAILS (tc_node (t, CNN_OP_GATHER, in, 2, 1), CNN_STATUS_INVALID_MODEL,
      "index 3 is out of range");
  return true;
}

static bool
pad_constant_and_crop (tcase *t)
{
  /* [2,3], pads begin (1, -1), end (0, 1), value 9: a row of 9s on top, the first column
   * cropped, a column of 9s on the right. */
  int in[3] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 3), F32 (1, 2, 3, 4, 5, 6)),
    tc_const (t, "pads", CNN_DTYPE_INT64, DIMS (4), I64 (1, -1, 0, 1)),
    tc_const (t, "v", CNN_DTYPE_FLOAT32, SCALAR, F32 (9)),
  };
  RUN (tc_node (t, CNN_OP_PAD, in, 3, 1));
  EXPECT_F32 (DIMS (3, 3), F32 (9, 9, 9, 2, 3, 9, 5, 6, 9));
  return true;
}

static bool
pad_opset2_attrs_nchw (tcase *t)
{
  t->g->opset = 2;
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (1, 1, 2, 2), F32 (1, 2, 3, 4)) };
  int node = tc_node (t, CNN_OP_PAD, in, 1, 1);
  tc_attr_ints (t, node, "pads", DIMS (0, 0, 1, 0, 0, 0, 0, 1));
  RUN (node);
  EXPECT_F32 (DIMS (1, 1, 3, 3), F32 (0, 0, 0, 1, 2, 0, 3, 4, 0));
  return true;
}

static bool
pad_reflect (tcase *t)
{
  /* [1,2,3] padded 2 before, 4 after: mirrored without repeating the edge (period 4). */
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (1, 3), F32 (1, 2, 3)),
    tc_const (t, "pads", CNN_DTYPE_INT64, DIMS (4), I64 (0, 2, 0, 4)),
  };
  int node = tc_node (t, CNN_OP_PAD, in, 2, 1);
  tc_attr_string (t, node, "mode", "reflect");
  RUN (node);
  EXPECT_F32 (DIMS (1, 9), F32 (3, 2, 1, 2, 3, 2, 1, 2, 3));
  return true;
}

static bool
pad_edge_2d (tcase *t)
{
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 2), F32 (1, 2, 3, 4)),
    tc_const (t, "pads", CNN_DTYPE_INT64, DIMS (4), I64 (1, 0, 0, 1)),
  };
  int node = tc_node (t, CNN_OP_PAD, in, 2, 1);
  tc_attr_string (t, node, "mode", "edge");
  RUN (node);
  EXPECT_F32 (DIMS (3, 3), F32 (1, 2, 2, 1, 2, 2, 3, 4, 4));
  return true;
}

static bool
pad_rejects_wrap (tcase *t)
{
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2), F32 (1, 2)),
    tc_const (t, "pads", CNN_DTYPE_INT64, DIMS (2), I64 (1, 1)),
  };
  int node = tc_node (t, CNN_OP_PAD, in, 2, 1);
  tc_attr_string (t, node, "mode", "wrap");
  RUN_FAILS (node, CNN_STATUS_UNSUPPORTED, "'wrap'");
  return true;
}

static bool
identity_copies (tcase *t)
{
  int in[1] = { tc_input (t, "x", CNN_DTYPE_INT32, DIMS (3), I32 (1, -2, 3)) };
  RUN (tc_node (t, CNN_OP_IDENTITY, in, 1, 1));
  CHECK (expect_ints (t, "y0", CNN_DTYPE_INT32, DIMS (3), I64 (1, -2, 3)));
  return true;
}

static bool
dropout_mask_all_true (tcase *t)
{
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (3), F32 (1, 2, 3)),
    tc_const (t, "ratio", CNN_DTYPE_FLOAT32, SCALAR, F32 (0.5f)),
  };
  RUN (tc_node (t, CNN_OP_DROPOUT, in, 2, 2));
  EXPECT_F32 (DIMS (3), F32 (1, 2, 3));
  CHECK (expect_ints (t, "y1", CNN_DTYPE_BOOL, DIMS (3), I64 (1, 1, 1)));
  return true;
}

static bool
dropout_rejects_training (tcase *t)
{
  int in[3] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (3), F32 (1, 2, 3)),
    -1,
    tc_const (t, "training", CNN_DTYPE_BOOL, SCALAR, (uint8_t[]) { 1 }),
  };
  RUN_FAILS (tc_node (t, CNN_OP_DROPOUT, in, 3, 1), CNN_STATUS_UNSUPPORTED, "training_mode");
  return true;
}

/* ---- Opsets 1-6: the legacy forms ------------------------------------------------------ */

static bool
add_opset6_broadcast_axis (tcase *t)
{
  /* broadcast = 1, axis = 1: B [3] lines up with dim 1 of A [2,3,2]. */
  t->g->opset = 6;
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (2, 3, 2), F32 (0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5)),
    tc_const (t, "b", CNN_DTYPE_FLOAT32, DIMS (3), F32 (10, 20, 30)),
  };
  int node = tc_node (t, CNN_OP_ADD, in, 2, 1);
  tc_attr_int (t, node, "broadcast", 1);
  tc_attr_int (t, node, "axis", 1);
  RUN (node);
  EXPECT_F32 (DIMS (2, 3, 2), F32 (10, 10, 21, 21, 32, 32, 13, 13, 24, 24, 35, 35));
  return true;
}

static bool
mul_opset6_broadcast_suffix (tcase *t)
{
  /* broadcast = 1 without axis: B's shape is a suffix of A's, as numpy's. */
  t->g->opset = 6;
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (2, 2), F32 (1, 2, 3, 4)),
    tc_input (t, "b", CNN_DTYPE_FLOAT32, DIMS (2), F32 (10, 100)),
  };
  int node = tc_node (t, CNN_OP_MUL, in, 2, 1);
  tc_attr_int (t, node, "broadcast", 1);
  RUN (node);
  EXPECT_F32 (DIMS (2, 2), F32 (10, 200, 30, 400));
  return true;
}

static bool
sub_opset6_rejects_bad_axis (tcase *t)
{
  t->g->opset = 6;
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (2, 3), F32 (0, 0, 0, 0, 0, 0)),
    tc_const (t, "b", CNN_DTYPE_FLOAT32, DIMS (2, 3), F32 (1, 2, 3, 4, 5, 6)),
  };
  int node = tc_node (t, CNN_OP_SUB, in, 2, 1);
  tc_attr_int (t, node, "broadcast", 1);
  tc_attr_int (t, node, "axis", 1);
  RUN_FAILS (node, CNN_STATUS_SHAPE_MISMATCH, "axis 1");
  return true;
}

static bool
add_opset7_rejects_legacy_attrs (tcase *t)
{
  t->g->opset = 7;
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (2), F32 (1, 2)),
    tc_const (t, "b", CNN_DTYPE_FLOAT32, DIMS (2), F32 (1, 2)),
  };
  int node = tc_node (t, CNN_OP_ADD, in, 2, 1);
  tc_attr_int (t, node, "broadcast", 1);
  RUN_FAILS (node, CNN_STATUS_INVALID_MODEL, "before opset 7");
  return true;
}

static bool
pow_opset6_broadcast_axis (tcase *t)
{
  /* Pow-1 has Add's legacy broadcast: exponent [2] lines up with dim 0 of base [2,2]. */
  t->g->opset = 6;
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (2, 2), F32 (2, 3, 2, 3)),
    tc_const (t, "b", CNN_DTYPE_FLOAT32, DIMS (2), F32 (2, 3)),
  };
  int node = tc_node (t, CNN_OP_POW, in, 2, 1);
  tc_attr_int (t, node, "broadcast", 1);
  tc_attr_int (t, node, "axis", 0);
  RUN (node);
  EXPECT_F32 (DIMS (2, 2), F32 (4, 9, 8, 27));
  return true;
}

static bool
pow_opset7_rejects_legacy_attrs (tcase *t)
{
  t->g->opset = 7;
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (2), F32 (1, 2)),
    tc_const (t, "b", CNN_DTYPE_FLOAT32, DIMS (2), F32 (1, 2)),
  };
  int node = tc_node (t, CNN_OP_POW, in, 2, 1);
  tc_attr_int (t, node, "axis", 0);
  RUN_FAILS (node, CNN_STATUS_INVALID_MODEL, "before opset 7");
  return true;
}

static bool
prelu_opset6_slope_per_channel (tcase *t)
{
  /* Opset 6: slope [C] is per channel (axis 1), not numpy-aligned with the last dim. */
  t->g->opset = 6;
  int in[2] = {
    tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (1, 2, 3), F32 (-1, -2, 3, -4, 5, -6)),
    tc_const (t, "slope", CNN_DTYPE_FLOAT32, DIMS (2), F32 (0.5f, 0.25f)),
  };
  RUN (tc_node (t, CNN_OP_PRELU, in, 2, 1));
  EXPECT_F32 (DIMS (1, 2, 3), F32 (-0.5f, -1, 3, -1, 5, -1.5f));
  return true;
}

static bool
reshape_opset4_shape_attr (tcase *t)
{
  t->g->opset = 4;
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 3, 4), X24) };
  int node = tc_node (t, CNN_OP_RESHAPE, in, 1, 1);
  tc_attr_ints (t, node, "shape", DIMS (4, -1));
  RUN (node);
  EXPECT_F32 (DIMS (4, 6), X24);
  return true;
}

static bool
reshape_opset5_needs_input (tcase *t)
{
  t->g->opset = 5;
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2, 3, 4), X24) };
  int node = tc_node (t, CNN_OP_RESHAPE, in, 1, 1);
  tc_attr_ints (t, node, "shape", DIMS (4, -1));
  RUN_FAILS (node, CNN_STATUS_INVALID_MODEL, "shape input is missing");
  return true;
}

static bool
concat_opset3_default_axis1 (tcase *t)
{
  t->g->opset = 3;
  int in[2] = {
    tc_input (t, "a", CNN_DTYPE_FLOAT32, DIMS (2, 1), F32 (1, 2)),
    tc_const (t, "b", CNN_DTYPE_FLOAT32, DIMS (2, 2), F32 (3, 4, 5, 6)),
  };
  RUN (tc_node (t, CNN_OP_CONCAT, in, 2, 1));
  EXPECT_F32 (DIMS (2, 3), F32 (1, 3, 4, 2, 5, 6));
  return true;
}

/* Relu(x) and Sigmoid(x) [batch, 4, 2, 2] concatenated along the channels, then a Relu that
 * is the graph output: the planner's arena offsets of a, b and their concatenation c. */
static bool
plan_concat_of_two_branches (tcase *t, int64_t batch, int64_t offsets[3])
{
  const int64_t half[4] = { batch, 4, 2, 2 }, whole[4] = { batch, 8, 2, 2 };
  int x = tc_input (t, "x", CNN_DTYPE_FLOAT32, 4, half, NULL);
  int a = cnn_graph_value (t->g, "a"), b = cnn_graph_value (t->g, "b");
  int c = cnn_graph_value (t->g, "c"), y = cnn_graph_value (t->g, "y");
  int ab[2] = { a, b };
  uint64_t bytes;

  /* Each node's index first: adding a node may move g->nodes. */
  int relu = cnn_graph_add_node (t->g, "relu", "Relu", "", &x, 1, &a, 1);
  int sigmoid = cnn_graph_add_node (t->g, "sigmoid", "Sigmoid", "", &x, 1, &b, 1);
  int concat = cnn_graph_add_node (t->g, "concat", "Concat", "", ab, 2, &c, 1);
  int out = cnn_graph_add_node (t->g, "out", "Relu", "", &c, 1, &y, 1);
  t->g->nodes[relu].op = t->g->nodes[out].op = CNN_OP_RELU;
  t->g->nodes[sigmoid].op = CNN_OP_SIGMOID;
  t->g->nodes[concat].op = CNN_OP_CONCAT;
  tc_attr_int (t, concat, "axis", 1);
  cnn_value_set_shape (&t->g->values[a], CNN_DTYPE_FLOAT32, 4, half);
  cnn_value_set_shape (&t->g->values[b], CNN_DTYPE_FLOAT32, 4, half);
  cnn_value_set_shape (&t->g->values[c], CNN_DTYPE_FLOAT32, 4, whole);
  cnn_value_set_shape (&t->g->values[y], CNN_DTYPE_FLOAT32, 4, whole);
  t->g->values[y].is_output = true;
  if (cnn_graph_sort (t->g, &t->err) != CNN_STATUS_OK
      || cnn_plan_memory (t->g, &bytes, &t->err) != CNN_STATUS_OK)
    return false;
  offsets[0] = t->g->values[a].arena_offset;
  offsets[1] = t->g->values[b].arena_offset;
  offsets[2] = t->g->values[c].arena_offset;
  return true;
}

static bool
plan_concat_inputs_inside_output (tcase *t)
{
  int64_t o[3];

  /* Batch 1: each branch is one contiguous block of c, at 64-byte offsets (16 floats each). */
  CHECK (plan_concat_of_two_branches (t, 1, o));
  CHECK (o[2] >= 0 && o[0] == o[2] && o[1] == o[2] + 16 * (int64_t) sizeof (float));
  return true;
}

static bool
plan_concat_inputs_apart_with_batch (tcase *t)
{
  int64_t o[3];

  /* Batch 2: a branch is two blocks of c, so each gets its own place, outside c. */
  CHECK (plan_concat_of_two_branches (t, 2, o));
  for (int k = 0; k < 2; k++)
    CHECK (o[k] >= 0 && (o[k] + 32 * (int64_t) sizeof (float) <= o[2]
            || o[k] >= o[2] + 64 * (int64_t) sizeof (float)));
  return true;
}

static bool
cast_opset5_type_name (tcase *t)
{
  t->g->opset = 5;
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2), F32 (1.9f, -2.5f)) };
  int node = tc_node (t, CNN_OP_CAST, in, 1, 1);
  tc_attr_string (t, node, "to", "INT64");
  RUN (node);
  EXPECT_I64 (DIMS (2), I64 (1, -2));
  return true;
}

static bool
cast_opset5_rejects_unknown_name (tcase *t)
{
  t->g->opset = 5;
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (2), F32 (1, 2)) };
  int node = tc_node (t, CNN_OP_CAST, in, 1, 1);
  tc_attr_string (t, node, "to", "FLOAT16");
  RUN_FAILS (node, CNN_STATUS_UNSUPPORTED, "'FLOAT16'");
  return true;
}

static bool
pad_opset1_paddings_attr (tcase *t)
{
  t->g->opset = 1;
  int in[1] = { tc_input (t, "x", CNN_DTYPE_FLOAT32, DIMS (1, 2), F32 (1, 2)) };
  int node = tc_node (t, CNN_OP_PAD, in, 1, 1);
  tc_attr_ints (t, node, "paddings", DIMS (0, 1, 0, 0));
  tc_attr_float (t, node, "value", 7.0f);
  RUN (node);
  EXPECT_F32 (DIMS (1, 3), F32 (7, 1, 2));
  return true;
}

/* ---- Driver ----------------------------------------------------------------------------- */

typedef struct {
  const char *name;
  bool (*fn) (tcase *t);
} test_entry;

#define ENTRY(fn) { #fn, fn }

static const test_entry tests[] = {
  ENTRY (add_same_shape),
  ENTRY (add_per_channel),
  ENTRY (mul_plane_gate),
  ENTRY (mul_plane_gate_first),
  ENTRY (mul_scalar_first),
  ENTRY (sub_outer_broadcast),
  ENTRY (add_middle_broadcast),
  ENTRY (div_float),
  ENTRY (add_fused_relu),
  ENTRY (mul_int64_shape),
  ENTRY (div_int64_truncates),
  ENTRY (sub_int32_scalar),
  ENTRY (add_rejects_bad_broadcast),
  ENTRY (add_rejects_mixed_types),
  ENTRY (broadcast_threads_match_reference),
  ENTRY (relu),
  ENTRY (leaky_relu_default_alpha),
  ENTRY (elu_alpha),
  ENTRY (sigmoid),
  ENTRY (tanh_values),
  ENTRY (hard_sigmoid_defaults),
  ENTRY (hard_swish),
  ENTRY (clip_attrs_opset6),
  ENTRY (clip_min_input_only),
  ENTRY (clip_min_above_max),
  ENTRY (prelu_per_channel),
  ENTRY (prelu_last_axis),
  ENTRY (prelu_rejects_bad_slope),
  ENTRY (softmax_opset11_flattens),
  ENTRY (softmax_opset13_one_axis),
  ENTRY (softmax_opset13_default_last),
  ENTRY (softmax_opset11_default_axis1),
  ENTRY (softmax_large_values),
  ENTRY (log_softmax_negative_axis),
  ENTRY (softmax_rejects_bad_axis),
  ENTRY (constant_tensor),
  ENTRY (constant_value_ints_and_float),
  ENTRY (constant_rejects_strings),
  ENTRY (shape_start_end),
  ENTRY (shape_whole),
  ENTRY (cast_float_to_int64),
  ENTRY (cast_int64_to_float_and_bool),
  ENTRY (cast_rejects_float16),
  ENTRY (constant_of_shape_default),
  ENTRY (constant_of_shape_int64_value),
  ENTRY (flatten_negative_axis),
  ENTRY (flatten_axis0),
  ENTRY (reshape_zero_and_minus_one),
  ENTRY (reshape_allowzero),
  ENTRY (reshape_rejects_mismatch),
  ENTRY (reshape_rejects_runtime_shape),
  ENTRY (transpose_default_reverses),
  ENTRY (transpose_perm_3d),
  ENTRY (transpose_perm_int64),
  ENTRY (concat_negative_axis),
  ENTRY (concat_int64_shapes),
  ENTRY (concat_rejects_mismatch),
  ENTRY (squeeze_attr_negative),
  ENTRY (squeeze_input_and_all),
  ENTRY (squeeze_rejects_non_one),
  ENTRY (unsqueeze_input_negative),
  ENTRY (unsqueeze_attr_scalar),
  ENTRY (slice_negative_step),
  ENTRY (slice_2d_axes_and_clamp),
  ENTRY (slice_opset9_attrs),
  ENTRY (slice_empty),
  ENTRY (gather_negative_indices),
  ENTRY (gather_scalar_index_axis1),
  ENTRY (gather_rejects_out_of_range),
  ENTRY (pad_constant_and_crop),
  ENTRY (pad_opset2_attrs_nchw),
  ENTRY (pad_reflect),
  ENTRY (pad_edge_2d),
  ENTRY (pad_rejects_wrap),
  ENTRY (identity_copies),
  ENTRY (dropout_mask_all_true),
  ENTRY (dropout_rejects_training),
  ENTRY (add_opset6_broadcast_axis),
  ENTRY (mul_opset6_broadcast_suffix),
  ENTRY (sub_opset6_rejects_bad_axis),
  ENTRY (add_opset7_rejects_legacy_attrs),
  ENTRY (pow_opset6_broadcast_axis),
  ENTRY (pow_opset7_rejects_legacy_attrs),
  ENTRY (prelu_opset6_slope_per_channel),
  ENTRY (reshape_opset4_shape_attr),
  ENTRY (reshape_opset5_needs_input),
  ENTRY (concat_opset3_default_axis1),
  ENTRY (plan_concat_inputs_inside_output),
  ENTRY (plan_concat_inputs_apart_with_batch),
  ENTRY (cast_opset5_type_name),
  ENTRY (cast_opset5_rejects_unknown_name),
  ENTRY (pad_opset1_paddings_attr),
};

int
main (int argc, char **argv)
{
  int failed = 0, run = 0;

  for (size_t i = 0; i < sizeof (tests) / sizeof (tests[0]); i++) {
    /* An argument runs only the cases whose names contain it. */
    if (argc > 1 && strstr (tests[i].name, argv[1]) == NULL)
      continue;
    tcase t = { .g = cnn_graph_new ("test.onnx", NULL), .pool = cnn_threadpool_create (1) };
    if (t.g == NULL || t.pool == NULL) {
      fprintf (stderr, "out of memory\n");
      return 1;
    }
    t.g->opset = 13;
    bool ok = tests[i].fn (&t);
    printf ("%s %s", ok ? "PASS" : "FAIL", tests[i].name);
    if (!ok)
      printf (" (check at line %d)", t.line);
    printf ("\n");
    failed += !ok;
    run++;
    cnn_ops_release (t.g);
    cnn_graph_free (t.g);
    cnn_threadpool_destroy (t.pool);
    for (int b = 0; b < t.n_buffers; b++)
      free (t.buffers[b]);
  }
  printf ("%d of %d cases passed\n", run - failed, run);
  return failed > 0 || run == 0;
}
