/* test-api.c — the public API end to end: builder networks against a naive reference,
 * receptive fields, re-preparing, threads, and every error path a caller can hit. */
#include "cnn/cnn.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ops/conv.h"

static float
pseudo_random (unsigned *state)
{
  *state = *state * 1664525u + 1013904223u;
  return (float) ((*state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static float *
random_array (size_t n, unsigned seed)
{
  float *a = malloc (n * sizeof (float));
  for (size_t i = 0; i < n; i++)
    a[i] = pseudo_random (&seed);
  return a;
}

/* Naive NCHW conv, batch 1, square kernel and symmetric padding, ReLU optional. */
static void
reference_conv (const float *x, int c, int h, int w, const float *wt, const float *bias, int m,
    int k, int stride, int pad, int dilation, int groups, bool relu, float *y, int *oh, int *ow)
{
  *oh = (h + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
  *ow = (w + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
  int cg = c / groups, mg = m / groups;
  for (int o = 0; o < m; o++)
    for (int i = 0; i < *oh; i++)
      for (int j = 0; j < *ow; j++) {
        double s = bias ? bias[o] : 0.0;
        int g = o / mg;
        for (int ci = 0; ci < cg; ci++)
          for (int ki = 0; ki < k; ki++)
            for (int kj = 0; kj < k; kj++) {
              int yi = i * stride - pad + ki * dilation, xj = j * stride - pad + kj * dilation;
              if (yi < 0 || yi >= h || xj < 0 || xj >= w)
                continue;
              s += (double) x[((size_t) (g * cg + ci) * h + yi) * w + xj]
                  * wt[(((size_t) o * cg + ci) * k + ki) * k + kj];
            }
        y[((size_t) o * *oh + i) * *ow + j] = relu && s < 0 ? 0.0f : (float) s;
      }
}

static void
expect_close (const char *what, const float *got, const float *want, size_t n)
{
  double worst = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs ((double) got[i] - want[i]);
    double tol = 1e-4 + 1e-4 * fabs (want[i]);
    if (d > tol && d > worst)
      worst = d;
  }
  CHECK (worst == 0.0, "%s: max abs error %g", what, worst);
}

/* conv(3x3) → ReLU → depthwise conv(3x3, stride 2) → max pool → global average → dense. */
static void
test_builder_network (int threads)
{
  const int c = 3, h = 13, w = 11, m = 8, classes = 5;
  float *x = random_array ((size_t) c * h * w, 1);
  float *w1 = random_array ((size_t) m * c * 9, 2), *b1 = random_array (m, 3);
  float *w2 = random_array ((size_t) m * 9, 4), *b2 = random_array (m, 5);
  float *wd = random_array ((size_t) classes * m, 6), *bd = random_array (classes, 7);
  cnn_options options = cnn_options_default ();
  options.threads = threads;
  cnn_error err;
  cnn_model *model = NULL;

  cnn_builder *b = cnn_builder_create ("builder-net");
  int v = cnn_builder_input (b, "image", c, h, w);
  v = cnn_builder_conv (b, v, m, 3, 3, 1, 1, 1, 1, w1, b1, CNN_ACTIVATION_RELU);
  v = cnn_builder_conv (b, v, m, 3, 3, 2, 1, 1, m, w2, b2, CNN_ACTIVATION_NONE);
  v = cnn_builder_pool (b, v, CNN_POOL_MAX, 2, 2, 0);
  v = cnn_builder_global_pool (b, v, CNN_POOL_AVERAGE);
  v = cnn_builder_dense (b, v, classes, wd, bd, CNN_ACTIVATION_NONE);
  cnn_builder_output (b, v, "scores");
  cnn_status s = cnn_builder_finish (b, &options, &model, &err);
  CHECK (s == CNN_STATUS_OK, "finish: %s", err.message);
  if (s != CNN_STATUS_OK)
    goto done;
  s = cnn_model_prepare (model, &err);
  CHECK (s == CNN_STATUS_OK, "prepare: %s", err.message);

  cnn_tensor_info info;
  CHECK (cnn_model_output_info (model, 0, &info) == CNN_STATUS_OK, "output info");
  CHECK (info.rank == 2 && info.dims[0] == 1 && info.dims[1] == classes,
      "output shape rank %d [%lld,%lld]", info.rank, (long long) info.dims[0],
      (long long) info.dims[1]);
  CHECK (strcmp (info.name, "scores") == 0, "output name %s", info.name);

  float got[5];
  const void *in[1] = { x };
  void *out[1] = { got };
  s = cnn_model_run (model, in, out, &err);
  CHECK (s == CNN_STATUS_OK, "run: %s", err.message);

  /* Reference, step by step. */
  int oh, ow, ph, pw;
  float *y1 = malloc (sizeof (float) * (size_t) m * h * w);
  float *y2 = malloc (sizeof (float) * (size_t) m * h * w);
  reference_conv (x, c, h, w, w1, b1, m, 3, 1, 1, 1, 1, true, y1, &oh, &ow);
  reference_conv (y1, m, oh, ow, w2, b2, m, 3, 2, 1, 1, m, false, y2, &ph, &pw);
  int qh = ph / 2, qw = pw / 2;
  float want[5], pooled[8];
  for (int o = 0; o < m; o++) {
    double sum = 0.0;
    for (int i = 0; i < qh; i++)
      for (int j = 0; j < qw; j++) {
        float best = -INFINITY;
        for (int a = 0; a < 2; a++)
          for (int bb = 0; bb < 2; bb++) {
            float t = y2[((size_t) o * ph + 2 * i + a) * pw + 2 * j + bb];
            best = t > best ? t : best;
          }
        sum += best;
      }
    pooled[o] = (float) (sum / (qh * qw));
  }
  for (int k = 0; k < classes; k++) {
    double sum = bd[k];
    for (int o = 0; o < m; o++)
      sum += (double) wd[k * m + o] * pooled[o];
    want[k] = (float) sum;
  }
  expect_close (threads == 1 ? "builder network, 1 thread" : "builder network, 2 threads",
      got, want, classes);

  /* Run again: results must not depend on leftovers from the first run. */
  float again[5];
  out[0] = again;
  cnn_model_run (model, in, out, &err);
  expect_close ("second run", again, got, classes);
  free (y1);
  free (y2);

done:
  cnn_model_destroy (model);
  free (x);
  free (w1);
  free (b1);
  free (w2);
  free (b2);
  free (wd);
  free (bd);
}

static cnn_model *
stacked_convs (int64_t stride, int64_t dilation)
{
  float wt[9] = { 0 };
  cnn_error err;
  cnn_model *model = NULL;
  cnn_builder *b = cnn_builder_create ("stack");
  int v = cnn_builder_input (b, "x", 1, 32, 32);
  for (int i = 0; i < 3; i++)
    v = cnn_builder_conv (b, v, 1, 3, 3, stride, 1, dilation, 1, wt, NULL,
        CNN_ACTIVATION_RELU);
  cnn_builder_output (b, v, "y");
  if (cnn_builder_finish (b, NULL, &model, &err) != CNN_STATUS_OK
      || cnn_model_prepare (model, &err) != CNN_STATUS_OK) {
    printf ("stacked convs: %s\n", err.message);
    cnn_model_destroy (model);
    return NULL;
  }
  return model;
}

static void
test_receptive_field (void)
{
  static const struct {
    int64_t stride, dilation;
    int64_t field[3], jump[3];
  } cases[] = {
    { 1, 1, { 3, 5, 7 }, { 1, 1, 1 } },
    { 2, 1, { 3, 7, 15 }, { 2, 4, 8 } },
    { 1, 2, { 5, 9, 13 }, { 1, 1, 1 } },
  };
  for (size_t c = 0; c < sizeof (cases) / sizeof (cases[0]); c++) {
    cnn_model *model = stacked_convs (cases[c].stride, cases[c].dilation);
    CHECK (model != NULL, "stride %lld dilation %lld", (long long) cases[c].stride,
        (long long) cases[c].dilation);
    if (model == NULL)
      continue;
    CHECK (cnn_model_layer_count (model) == 3, "%zu layers", cnn_model_layer_count (model));
    for (size_t l = 0; l < cnn_model_layer_count (model) && l < 3; l++) {
      cnn_layer_info info;
      cnn_model_layer_info (model, l, &info);
      CHECK (info.receptive_field[0] == cases[c].field[l]
          && info.receptive_field[1] == cases[c].field[l] && info.jump[0] == cases[c].jump[l],
          "stride %lld dilation %lld layer %zu: field %lldx%lld jump %lld, want %lld jump %lld",
          (long long) cases[c].stride, (long long) cases[c].dilation, l,
          (long long) info.receptive_field[0], (long long) info.receptive_field[1],
          (long long) info.jump[0], (long long) cases[c].field[l],
          (long long) cases[c].jump[l]);
      CHECK (strcmp (info.op, "Conv+Relu") == 0, "layer op %s", info.op);
      CHECK (info.params == 9, "params %llu", (unsigned long long) info.params);
    }
    cnn_model_destroy (model);
  }
}

static void
test_errors (void)
{
  cnn_error err;
  cnn_model *model = (cnn_model *) 0x1;   /* must stay untouched on failure */
  cnn_status s;

  s = cnn_model_load_file ("/nonexistent/model.onnx", NULL, &model, &err);
  CHECK (s == CNN_STATUS_IO_ERROR && strstr (err.message, "/nonexistent/model.onnx"),
      "missing file: %s", err.message);
  CHECK (model == (cnn_model *) 0x1, "model written on failure");

  s = cnn_model_load_file ("/tmp", NULL, &model, &err);
  CHECK (s == CNN_STATUS_IO_ERROR, "directory: %s", err.message);

  static const unsigned char garbage[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x34 };
  s = cnn_model_load_memory (garbage, sizeof (garbage), "garbage.onnx", NULL, &model, &err);
  CHECK (s == CNN_STATUS_PARSE_ERROR && strstr (err.message, "garbage.onnx"),
      "garbage: %s %s", cnn_status_string (s), err.message);

  s = cnn_model_load_memory (NULL, 0, "x", NULL, &model, &err);
  CHECK (s == CNN_STATUS_INVALID_ARGUMENT, "NULL data");
  CHECK (model == (cnn_model *) 0x1, "model written on failure");

  cnn_model_destroy (NULL);
  cnn_builder_destroy (NULL);

  /* Builder misuse is reported once, by finish. */
  float wt[4] = { 0 };
  cnn_builder *b = cnn_builder_create ("bad");
  int v = cnn_builder_input (b, "x", 3, 8, 8);
  v = cnn_builder_conv (b, v, 4, 1, 1, 1, 0, 1, 2, wt, NULL, CNN_ACTIVATION_NONE);
  CHECK (v == -1, "conv with 3 channels in 2 groups accepted");
  s = cnn_builder_finish (b, NULL, &model, &err);
  CHECK (s == CNN_STATUS_INVALID_ARGUMENT && strstr (err.message, "groups"),
      "builder error: %s", err.message);

  b = cnn_builder_create ("no-output");
  cnn_builder_input (b, "x", 1, 4, 4);
  s = cnn_builder_finish (b, NULL, &model, &err);
  CHECK (s == CNN_STATUS_INVALID_ARGUMENT && strstr (err.message, "no output"),
      "no output: %s", err.message);
}

static void
test_shapes_and_limits (void)
{
  cnn_error err;
  cnn_model *model = stacked_convs (1, 1);
  if (model == NULL) {
    CHECK (0, "could not build");
    return;
  }
  int64_t bad_rank[3] = { 1, 32, 32 };
  int64_t bad_dims[4] = { 1, 3, 32, 32 };
  cnn_status s = cnn_model_set_input_shape (model, 0, 3, bad_rank, &err);
  CHECK (s == CNN_STATUS_SHAPE_MISMATCH && strstr (err.message, "'x'"), "rank: %s",
      err.message);
  s = cnn_model_set_input_shape (model, 0, 4, bad_dims, &err);
  CHECK (s == CNN_STATUS_SHAPE_MISMATCH && strstr (err.message, "[1,1,32,32]"), "dims: %s",
      err.message);
  s = cnn_model_set_input_shape (model, 5, 4, bad_dims, &err);
  CHECK (s == CNN_STATUS_INVALID_ARGUMENT, "index");

  /* A failed set_input_shape keeps the prepared plan; a good one asks for prepare again. */
  int64_t good[4] = { 1, 1, 32, 32 };
  float x[32 * 32] = { 0 }, y[32 * 32];
  const void *in[1] = { x };
  void *out[1] = { y };
  CHECK (cnn_model_run (model, in, out, &err) == CNN_STATUS_OK, "run: %s", err.message);
  CHECK (cnn_model_set_input_shape (model, 0, 4, good, &err) == CNN_STATUS_OK, "same shape");
  s = cnn_model_run (model, in, out, &err);
  CHECK (s == CNN_STATUS_NOT_PREPARED, "run after set_input_shape: %s",
      cnn_status_string (s));
  CHECK (cnn_model_prepare (model, &err) == CNN_STATUS_OK, "prepare again: %s", err.message);
  CHECK (cnn_model_run (model, in, out, &err) == CNN_STATUS_OK, "run again: %s", err.message);
  /* A thread count change keeps a prepared model runnable, with the same results, whatever
   * the number of CPUs. */
  float y_one[32 * 32];
  for (int i = 0; i < 32 * 32; i++)
    x[i] = (float) (i % 7) - 3.0f;
  CHECK (cnn_model_run (model, in, out, &err) == CNN_STATUS_OK, "run: %s", err.message);
  memcpy (y_one, y, sizeof (y));
  for (int threads = 3; threads >= 1; threads--) {
    memset (y, 0, sizeof (y));
    CHECK (cnn_model_set_threads (model, threads, &err) == CNN_STATUS_OK, "threads %d",
        threads);
    s = cnn_model_run (model, in, out, &err);
    CHECK (s == CNN_STATUS_OK, "run at %d threads without prepare: %s", threads,
        cnn_status_string (s));
    CHECK (memcmp (y, y_one, sizeof (y)) == 0, "same output at %d threads", threads);
  }
  CHECK (cnn_model_threads (model) == 1, "threads now %d", cnn_model_threads (model));
  CHECK (cnn_model_arena_bytes (model) > 0, "arena");
  cnn_model_destroy (model);

  /* A memory cap smaller than the activations is refused at prepare, with the figures. */
  float wt[9] = { 0 };
  cnn_options options = cnn_options_default ();
  options.max_memory_bytes = 1000;
  cnn_builder *b = cnn_builder_create ("capped");
  int v = cnn_builder_input (b, "x", 1, 64, 64);
  v = cnn_builder_conv (b, v, 1, 3, 3, 1, 1, 1, 1, wt, NULL, CNN_ACTIVATION_NONE);
  cnn_builder_output (b, v, "y");
  s = cnn_builder_finish (b, &options, &model, &err);
  CHECK (s == CNN_STATUS_OK, "finish: %s", err.message);
  if (s == CNN_STATUS_OK) {
    s = cnn_model_prepare (model, &err);
    CHECK (s == CNN_STATUS_LIMIT_EXCEEDED && strstr (err.message, "limit"), "cap: %s",
        err.message);
    cnn_model_destroy (model);
  }
}

static void
test_global_pools (void)
{
  static const cnn_pool kinds[] = { CNN_POOL_MAX, CNN_POOL_AVERAGE, CNN_POOL_SUM };
  float x[2 * 3 * 3] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2, -3, -4, -5, -6, -7, -8, 0 };
  const float want[3][2] = { { 9, 0 }, { 5, -4 }, { 45, -36 } };
  for (int k = 0; k < 3; k++) {
    cnn_error err;
    cnn_model *model = NULL;
    cnn_builder *b = cnn_builder_create ("pool");
    int v = cnn_builder_input (b, "x", 2, 3, 3);
    v = cnn_builder_global_pool (b, v, kinds[k]);
    cnn_builder_output (b, v, "y");
    cnn_status s = cnn_builder_finish (b, NULL, &model, &err);
    if (s == CNN_STATUS_OK)
      s = cnn_model_prepare (model, &err);
    CHECK (s == CNN_STATUS_OK, "global pool %d: %s", k, err.message);
    if (s == CNN_STATUS_OK) {
      float y[2];
      const void *in[1] = { x };
      void *out[1] = { y };
      cnn_model_run (model, in, out, &err);
      expect_close ("global pool", y, want[k], 2);
    }
    cnn_model_destroy (model);
  }
}

/* A conv on Winograd F(4×4) replaces its weights by their transform at the first prepare
 * (conv.c); re-planning for other thread counts must keep reading the transform, not
 * transform it again: the same output, bit for bit, at 1, 2 and 1 threads. */
static void
test_winograd_replan (void)
{
  enum { C = 16, HW = 30 };
  static float w[C * C * 9], x[C * HW * HW], y[C * HW * HW], y_first[C * HW * HW];
  cnn_error err;
  cnn_model *model = NULL;
  cnn_builder *b = cnn_builder_create ("winograd");

  for (int i = 0; i < C * C * 9; i++)
    w[i] = (float) ((i * 37) % 19 - 9) / 64.0f;
  for (int i = 0; i < C * HW * HW; i++)
    x[i] = (float) ((i * 11) % 23 - 11) / 8.0f;
  int v = cnn_builder_input (b, "x", C, HW, HW);
  v = cnn_builder_conv (b, v, C, 3, 3, 1, 1, 1, 1, w, NULL, CNN_ACTIVATION_NONE);
  cnn_builder_output (b, v, "y");
  if (cnn_builder_finish (b, NULL, &model, &err) != CNN_STATUS_OK
      || cnn_model_prepare (model, &err) != CNN_STATUS_OK) {
    CHECK (0, "winograd model: %s", err.message);
    cnn_model_destroy (model);
    return;
  }
  const void *in[1] = { x };
  void *out[1] = { y_first };
  CHECK (cnn_model_run (model, in, out, &err) == CNN_STATUS_OK, "run: %s", err.message);
  /* The reference sum of one output, far from the borders: within F(4×4)'s fp32 error. */
  double want = 0;
  for (int c = 0; c < C; c++)
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++)
        want += (double) w[(c * 3 + i) * 3 + j] * x[(c * HW + 14 + i) * HW + 14 + j];
  CHECK (fabs (y_first[15 * HW + 15] - want) < 1e-4, "output 0,15,15: %g, expected %g",
      y_first[15 * HW + 15], want);
  out[0] = y;
  for (int threads = 2; threads >= 1; threads--) {
    memset (y, 0, sizeof (y));
    CHECK (cnn_model_set_threads (model, threads, &err) == CNN_STATUS_OK, "threads %d: %s",
        threads, err.message);
    CHECK (cnn_model_run (model, in, out, &err) == CNN_STATUS_OK, "run: %s", err.message);
    CHECK (memcmp (y, y_first, sizeof (y)) == 0, "%d threads after re-planning: not the first "
        "run's output", threads);
  }
  cnn_model_destroy (model);
}

/* On 7×7 maps a 1×1 conv's constant weights are replaced by cnn_gemm_fused_narrow's blocks
 * of 16 rows at the first prepare (conv.c, AVX-512 CPUs). Re-planning for 2 threads must read
 * them as they are (the same output, bit for bit), and a plan on the portable kernels
 * (OpenBLAS) must unpack them into its plan and still compute the conv. */
static void
test_narrow_replan (void)
{
  enum { C = 256, M = 64, HW = 7 };
  static float w[M * C], x[C * HW * HW], y[M * HW * HW], y_first[M * HW * HW];
  cnn_error err;
  cnn_model *model = NULL;
  cnn_builder *b = cnn_builder_create ("narrow");

  for (int i = 0; i < M * C; i++)
    w[i] = (float) ((i * 37) % 19 - 9) / 256.0f;
  for (int i = 0; i < C * HW * HW; i++)
    x[i] = (float) ((i * 11) % 23 - 11) / 8.0f;
  int v = cnn_builder_input (b, "x", C, HW, HW);
  v = cnn_builder_conv (b, v, M, 1, 1, 1, 0, 1, 1, w, NULL, CNN_ACTIVATION_NONE);
  cnn_builder_output (b, v, "y");
  if (cnn_builder_finish (b, NULL, &model, &err) != CNN_STATUS_OK
      || cnn_model_prepare (model, &err) != CNN_STATUS_OK) {
    CHECK (0, "narrow model: %s", err.message);
    cnn_model_destroy (model);
    return;
  }
  const void *in[1] = { x };
  void *out[1] = { y_first };
  CHECK (cnn_model_run (model, in, out, &err) == CNN_STATUS_OK, "run: %s", err.message);
  out[0] = y;
  CHECK (cnn_model_set_threads (model, 2, &err) == CNN_STATUS_OK, "threads: %s", err.message);
  CHECK (cnn_model_run (model, in, out, &err) == CNN_STATUS_OK, "run: %s", err.message);
  CHECK (memcmp (y, y_first, sizeof (y_first)) == 0, "2 threads after re-planning: not the "
      "first run's output");
  cnn_conv_set_portable (true);
  memset (y, 0, sizeof (y));
  CHECK (cnn_model_set_threads (model, 1, &err) == CNN_STATUS_OK, "portable: %s", err.message);
  CHECK (cnn_model_run (model, in, out, &err) == CNN_STATUS_OK, "run: %s", err.message);
  cnn_conv_set_portable (false);
  for (int run = 0; run < 2; run++) {
    const float *got = run == 0 ? y_first : y;
    for (int m = 0; m < M; m += 3)
      for (int p = 0; p < HW * HW; p += 4) {
        double want = 0;
        for (int c = 0; c < C; c++)
          want += (double) w[m * C + c] * x[c * HW * HW + p];
        CHECK (fabs (got[m * HW * HW + p] - want) < 1e-4, "%s output %d,%d: %g, expected %g",
            run == 0 ? "first" : "portable", m, p, got[m * HW * HW + p], want);
      }
  }
  cnn_model_destroy (model);
}

/* cnn_gemm_fused packs its slices of X in the per-thread workspace, not on the stack (144
 * KiB): a run on a thread with musl's default 128 KiB stack must work, and give the output of
 * a run on the main thread. The network takes the 1×1 GEMM, im2col (3×3 stride 2) and
 * Winograd (3×3 on 30×30), all through cnn_gemm_fused on AVX-512 CPUs. */
enum { SMALL_C = 32, SMALL_HW = 30, SMALL_OUT = SMALL_C * 15 * 15 };

typedef struct {
  cnn_model *model;
  const float *x;
  float *y;
  cnn_status status;
} small_stack_run;

static void *
small_stack_thread (void *arg)
{
  small_stack_run *r = arg;
  const void *in[1] = { r->x };
  void *out[1] = { r->y };
  cnn_error err;

  r->status = cnn_model_run (r->model, in, out, &err);
  return NULL;
}

static void
test_small_stack (void)
{
  static float w1[SMALL_C * SMALL_C], w3[SMALL_C * SMALL_C * 9], x[SMALL_C * SMALL_HW * SMALL_HW];
  static float y_main[SMALL_OUT], y_small[SMALL_OUT];
  cnn_error err;
  cnn_model *model = NULL;
  cnn_builder *b = cnn_builder_create ("small-stack");

  for (int i = 0; i < SMALL_C * SMALL_C; i++)
    w1[i] = (float) ((i * 13) % 17 - 8) / 64.0f;
  for (int i = 0; i < SMALL_C * SMALL_C * 9; i++)
    w3[i] = (float) ((i * 37) % 19 - 9) / 128.0f;
  for (int i = 0; i < SMALL_C * SMALL_HW * SMALL_HW; i++)
    x[i] = (float) ((i * 11) % 23 - 11) / 8.0f;
  int v = cnn_builder_input (b, "x", SMALL_C, SMALL_HW, SMALL_HW);
  v = cnn_builder_conv (b, v, SMALL_C, 1, 1, 1, 0, 1, 1, w1, NULL, CNN_ACTIVATION_RELU);
  v = cnn_builder_conv (b, v, SMALL_C, 3, 3, 1, 1, 1, 1, w3, NULL, CNN_ACTIVATION_RELU);
  v = cnn_builder_conv (b, v, SMALL_C, 3, 3, 2, 1, 1, 1, w3, NULL, CNN_ACTIVATION_NONE);
  cnn_builder_output (b, v, "y");
  if (cnn_builder_finish (b, NULL, &model, &err) != CNN_STATUS_OK
      || cnn_model_prepare (model, &err) != CNN_STATUS_OK) {
    CHECK (0, "small-stack model: %s", err.message);
    cnn_model_destroy (model);
    return;
  }
  small_stack_run r = { model, x, y_main, CNN_STATUS_OK };
  small_stack_thread (&r);
  CHECK (r.status == CNN_STATUS_OK, "run on the main thread");
  r.y = y_small;
  r.status = CNN_STATUS_INVALID_ARGUMENT;
  pthread_attr_t attr;
  pthread_t thread;
  pthread_attr_init (&attr);
  pthread_attr_setstacksize (&attr, 128 * 1024);
  CHECK (pthread_create (&thread, &attr, small_stack_thread, &r) == 0, "pthread_create");
  pthread_join (thread, NULL);
  pthread_attr_destroy (&attr);
  CHECK (r.status == CNN_STATUS_OK, "run on a 128 KiB stack");
  CHECK (memcmp (y_main, y_small, sizeof (y_main)) == 0, "a 128 KiB stack changed the output");
  cnn_model_destroy (model);
}

int
main (void)
{
  test_builder_network (1);
  test_builder_network (2);
  test_receptive_field ();
  test_errors ();
  test_shapes_and_limits ();
  test_winograd_replan ();
  test_small_stack ();
  test_narrow_replan ();
  test_global_pools ();
  printf ("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}
