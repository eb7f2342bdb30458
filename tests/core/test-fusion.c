/* test-fusion.c — the GELU and LayerNormalization chains exporters write become one node each,
 * the erf kernel behind Erf and Gelu agrees with libm, and a squeeze-excitation's Mul folds
 * into the 1×1 conv that reads it, only where that is safe.
 *
 *     test-fusion NETWORKS_DIR MODELS_DIR   (tests/networks: the small ConvNeXt exports;
 *                                            tests/models: se-*.onnx)
 *
 * The opset-11 ConvNeXt writes LayerNorm as ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add
 * and GELU as Div/Erf/Add/Mul/Mul; after loading, its layers must hold LayerNormalization and
 * Gelu nodes and none of the chains' ops, the same counts as the opset-17 export (where
 * LayerNormalization is an op). Whether the fused network computes the right numbers is the
 * `networks` test's job (against PyTorch).
 */
#include "cnn/cnn.h"
#include "kernels/erf.h"
#include "ops/conv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Layers of op `op` in the prepared model at path (-1 when it does not load). */
static int
count_ops (const char *path, const char *op)
{
  cnn_model *m = NULL;
  cnn_error err = { "" };
  int count = 0;

  if (cnn_model_load_file (path, NULL, &m, &err) != CNN_STATUS_OK
      || cnn_model_prepare (m, &err) != CNN_STATUS_OK) {
    printf ("    %s\n", err.message);
    cnn_model_destroy (m);
    return -1;
  }
  for (size_t i = 0; i < cnn_model_layer_count (m); i++) {
    cnn_layer_info info;
    if (cnn_model_layer_info (m, i, &info) == CNN_STATUS_OK && strcmp (info.op, op) == 0)
      count++;
  }
  cnn_model_destroy (m);
  return count;
}

static void
test_convnext_chains_fuse (const char *dir)
{
  char op11[1024], op17[1024];
  static const char *const gone[] = { "Erf", "Pow", "Sqrt", "ReduceMean", "Sub", "Div" };

  snprintf (op11, sizeof (op11), "%s/convnext_tiny_opset11.onnx", dir);
  snprintf (op17, sizeof (op17), "%s/convnext_tiny_opset17.onnx", dir);
  int ln11 = count_ops (op11, "LayerNormalization"), ln17 = count_ops (op17, "LayerNormalization");
  int gelu11 = count_ops (op11, "Gelu"), gelu17 = count_ops (op17, "Gelu");
  CHECK (ln11 > 0 && ln11 == ln17, "LayerNormalization: %d at opset 11, %d at 17", ln11, ln17);
  CHECK (gelu11 > 0 && gelu11 == gelu17, "Gelu: %d at opset 11, %d at 17", gelu11, gelu17);
  for (size_t i = 0; i < sizeof (gone) / sizeof (gone[0]); i++) {
    int left = count_ops (op11, gone[i]);
    CHECK (left == 0, "%d %s layers left in the opset-11 export", left, gone[i]);
  }
  printf ("convnext: %d LayerNormalization, %d Gelu at opsets 11 and 17\n", ln11, gelu11);
}

/* ---- Squeeze-excitation gates folded into the projection ------------------------------- */

enum { SE_BATCH = 2, SE_IN = 131, SE_OUT = 67 };

/* tests/models/NAME.onnx prepared for SE_BATCH × SE_IN × h × w, or NULL. */
static cnn_model *
se_model (const char *dir, const char *name, int64_t h, int64_t w, cnn_precision precision,
    int threads)
{
  char path[1024];
  cnn_options options = cnn_options_default ();
  cnn_model *m = NULL;
  cnn_error err = { "" };
  int64_t dims[4] = { SE_BATCH, SE_IN, h, w };

  options.precision = precision;
  options.threads = threads;
  snprintf (path, sizeof (path), "%s/%s.onnx", dir, name);
  if (cnn_model_load_file (path, &options, &m, &err) != CNN_STATUS_OK
      || cnn_model_set_input_shape (m, 0, 4, dims, &err) != CNN_STATUS_OK
      || cnn_model_prepare (m, &err) != CNN_STATUS_OK) {
    printf ("    %s: %s\n", name, err.message);
    cnn_model_destroy (m);
    return NULL;
  }
  return m;
}

static int
layers_of (const cnn_model *m, const char *op)
{
  int count = 0;

  for (size_t i = 0; m != NULL && i < cnn_model_layer_count (m); i++) {
    cnn_layer_info info;
    if (cnn_model_layer_info (m, i, &info) == CNN_STATUS_OK && strcmp (info.op, op) == 0)
      count++;
  }
  return count;
}

/* Runs m on a deterministic input of h × w maps into out (SE_BATCH × SE_OUT × h × w). */
static bool
se_run (cnn_model *m, int64_t h, int64_t w, float *out)
{
  size_t n = (size_t) (SE_BATCH * SE_IN * h * w);
  float *x = malloc (sizeof (float) * n);
  cnn_error err = { "" };

  if (x == NULL)
    return false;
  for (size_t i = 0; i < n; i++)
    x[i] = 1.5f * sinf ((float) i * 0.37f + 0.1f);
  const void *inputs[1] = { x };
  void *outputs[1] = { out };
  bool ok = cnn_model_run (m, inputs, outputs, &err) == CNN_STATUS_OK;
  if (!ok)
    printf ("    run: %s\n", err.message);
  free (x);
  return ok;
}

/* Largest |a - b| over n values, relative to b's largest magnitude. */
static double
relative_difference (const float *a, const float *b, size_t n)
{
  double worst = 0.0, scale = 1e-30;

  for (size_t i = 0; i < n; i++) {
    double d = fabs ((double) a[i] - b[i]);
    worst = d > worst ? d : worst;
    scale = fabs (b[i]) > scale ? fabs (b[i]) : scale;
  }
  return worst / scale;
}

/* se-block's Mul folds into its projection in fp32 (the numbers against numpy are
 * test-cli.sh's); a gate or a gated tensor with a second reader stays a Mul; bf16 keeps it. The
 * folded conv then gives the unfolded graph's output on a map whose projection cannot scale
 * its weights (7×7: cnn_gemm_fused_narrow's packed weights, so it scales a copy of the input)
 * and with the portable kernels. The order of the products changes: within fp32 rounding. */
static void
test_se_fold (const char *dir)
{
  cnn_model *block = se_model (dir, "se-block", 16, 13, CNN_PRECISION_FP32, 1);
  cnn_model *gate = se_model (dir, "se-shared-gate", 16, 13, CNN_PRECISION_FP32, 1);
  cnn_model *product = se_model (dir, "se-shared-product", 16, 13, CNN_PRECISION_FP32, 1);
  cnn_model *bf16 = se_model (dir, "se-block", 16, 13, CNN_PRECISION_BF16, 1);
  /* Folded into an im2col conv that two threads split by output channel (its numbers:
   * test-cli.sh, 2 threads). */
  cnn_model *stride2 = se_model (dir, "se-stride2", 11, 11, CNN_PRECISION_FP32, 2);

  CHECK (layers_of (block, "Conv+SEScale") == 1 && layers_of (block, "Mul") == 0,
      "se-block: %d Conv+SEScale, %d Mul", layers_of (block, "Conv+SEScale"),
      layers_of (block, "Mul"));
  CHECK (layers_of (gate, "Mul") == 2 && layers_of (gate, "Conv+SEScale") == 0,
      "se-shared-gate: %d Mul, %d Conv+SEScale", layers_of (gate, "Mul"),
      layers_of (gate, "Conv+SEScale"));
  CHECK (layers_of (product, "Mul") == 1 && layers_of (product, "Conv+SEScale") == 0,
      "se-shared-product: %d Mul, %d Conv+SEScale", layers_of (product, "Mul"),
      layers_of (product, "Conv+SEScale"));
  CHECK (layers_of (stride2, "Conv+SEScale") == 1, "se-stride2: %d Conv+SEScale",
      layers_of (stride2, "Conv+SEScale"));
  CHECK (layers_of (bf16, "Mul") == 1 && layers_of (bf16, "Conv+SEScale") == 0,
      "se-block bf16: %d Mul, %d Conv+SEScale", layers_of (bf16, "Mul"),
      layers_of (bf16, "Conv+SEScale"));

  size_t n16 = SE_BATCH * SE_OUT * 16 * 13, n7 = SE_BATCH * SE_OUT * 7 * 7;
  float *fast = malloc (sizeof (float) * n16), *portable = malloc (sizeof (float) * n16);
  float *folded7 = malloc (sizeof (float) * n7), *plain7 = malloc (sizeof (float) * n7);
  cnn_model *fresh7 = se_model (dir, "se-block", 7, 7, CNN_PRECISION_FP32, 1);
  cnn_error err = { "" };
  int64_t dims7[4] = { SE_BATCH, SE_IN, 7, 7 };
  CHECK (fast != NULL && portable != NULL && folded7 != NULL && plain7 != NULL
      && block != NULL && fresh7 != NULL, "se-block models or buffers missing");
  if (fast == NULL || portable == NULL || folded7 == NULL || plain7 == NULL || block == NULL
      || fresh7 == NULL)
    goto done;
  /* 7×7 from the start: 49 positions for 67 output channels, no fold. */
  CHECK (layers_of (fresh7, "Mul") == 1, "se-block 7x7: %d Mul", layers_of (fresh7, "Mul"));
  CHECK (se_run (block, 16, 13, fast), "se-block 16x13 run");

  cnn_conv_set_portable (true);
  cnn_model *port = se_model (dir, "se-block", 16, 13, CNN_PRECISION_FP32, 1);
  cnn_conv_set_portable (false);
  CHECK (layers_of (port, "Conv+SEScale") == 1 && se_run (port, 16, 13, portable),
      "se-block portable");
  double d = relative_difference (fast, portable, n16);
  CHECK (d <= 1e-5, "se-block: portable kernels differ by %.3g", d);
  cnn_model_destroy (port);

  /* The folded graph re-prepared for 7×7 maps. */
  CHECK (cnn_model_set_input_shape (block, 0, 4, dims7, &err) == CNN_STATUS_OK
      && cnn_model_prepare (block, &err) == CNN_STATUS_OK, "se-block 7x7: %s", err.message);
  CHECK (layers_of (block, "Conv+SEScale") == 1, "se-block 7x7 after 16x13: no Conv+SEScale");
  CHECK (se_run (block, 7, 7, folded7) && se_run (fresh7, 7, 7, plain7), "se-block 7x7 runs");
  double d7 = relative_difference (folded7, plain7, n7);
  CHECK (d7 <= 1e-5, "se-block 7x7: folded differs from the Mul by %.3g", d7);
  printf ("se fold: portable %.2g, 7x7 input-scaling fallback %.2g from the unfolded graph\n",
      d, d7);

done:
  free (fast);
  free (portable);
  free (folded7);
  free (plain7);
  cnn_model_destroy (fresh7);
  cnn_model_destroy (block);
  cnn_model_destroy (gate);
  cnn_model_destroy (product);
  cnn_model_destroy (bf16);
  cnn_model_destroy (stride2);
}

static void
test_erf_kernel (void)
{
  enum { N = 20001 };
  static float x[N], fast[N], ref[N], gfast[N], gref[N];
  double worst = 0.0, gworst = 0.0;

  /* [-8, 8] in steps of 0.0008, plus the extremes and specials at the end. */
  for (int i = 0; i < N; i++)
    x[i] = -8.0f + 16.0f * (float) i / (float) (N - 1);
  x[0] = -INFINITY;
  x[N - 1] = INFINITY;
  cnn_erf_array (fast, x, N);
  cnn_erf_array_reference (ref, x, N);
  cnn_gelu_array (gfast, x + 1, N - 2);
  cnn_gelu_array_reference (gref, x + 1, N - 2);
  for (int i = 0; i < N; i++) {
    double d = fabs ((double) fast[i] - ref[i]);
    worst = d > worst ? d : worst;
  }
  for (int i = 0; i < N - 2; i++) {
    double d = fabs ((double) gfast[i] - gref[i]) / (1.0 + fabs (gref[i]));
    gworst = d > gworst ? d : gworst;
  }
  CHECK (worst <= 5e-7, "erf: largest difference from erff %.3g", worst);
  CHECK (gworst <= 2e-6, "gelu: largest difference from the erff form %.3g", gworst);
  CHECK (fast[0] == -1.0f && fast[N - 1] == 1.0f, "erf(-inf) %g, erf(inf) %g", fast[0],
      fast[N - 1]);
  printf ("erf kernel: largest |difference| from erff %.2g, gelu %.2g\n", worst, gworst);
}

int
main (int argc, char **argv)
{
  if (argc != 3) {
    fprintf (stderr, "usage: test-fusion NETWORKS_DIR MODELS_DIR\n");
    return 2;
  }
  test_erf_kernel ();
  test_convnext_chains_fuse (argv[1]);
  test_se_fold (argv[2]);
  printf ("%s\n", failures == 0 ? "PASS" : "FAIL");
  return failures != 0;
}
