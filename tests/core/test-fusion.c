/* test-fusion.c — the GELU and LayerNormalization chains exporters write become one node each,
 * and the erf kernel behind Erf and Gelu agrees with libm.
 *
 *     test-fusion MODELS_DIR        (tests/networks: the small ConvNeXt exports)
 *
 * The opset-11 ConvNeXt writes LayerNorm as ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add
 * and GELU as Div/Erf/Add/Mul/Mul; after loading, its layers must hold LayerNormalization and
 * Gelu nodes and none of the chains' ops, the same counts as the opset-17 export (where
 * LayerNormalization is an op). Whether the fused network computes the right numbers is the
 * `networks` test's job (against PyTorch).
 */
#include "cnn/cnn.h"
#include "kernels/erf.h"

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
  if (argc != 2) {
    fprintf (stderr, "usage: test-fusion MODELS_DIR\n");
    return 2;
  }
  test_erf_kernel ();
  test_convnext_chains_fuse (argv[1]);
  printf ("%s\n", failures == 0 ? "PASS" : "FAIL");
  return failures != 0;
}
