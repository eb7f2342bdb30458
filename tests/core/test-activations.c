/* test-activations.c — the vectorised sigmoid and SiLU against their definitions, and the
 * load-time pass that fuses SiLU (x · Sigmoid(x)) into the conv producing x.
 *
 *   cnn_activate_array   (portable loops, compiled for AVX-512/AVX2/baseline) and activate16
 *                        (the AVX-512 epilogue, on CPUs that have it) against the definitions
 *                        in double precision, over lengths that leave every vector tail, and
 *                        over the whole float range: ±0, subnormals, the exp clamp, ±inf, NaN.
 *   fuse_silu            builder networks: Conv → Sigmoid → Mul becomes one "Conv+SiLU" layer
 *                        whose output matches the unfused graph; a conv output read elsewhere
 *                        too is left alone (and still right).
 *
 * Tolerance, derived from where the roundings happen: the portable exponential (Cephes) is
 * good to about 2 ulp; activate16's (exp_neg16 in avx512.h) rounds y = -x·log2(e) first,
 * which is exact exp of an x within half an ulp, a relative error of |x|·2^-24, then a
 * polynomial of 0.7 ulp. 1 + e and the division add one rounding each. So
 * |got − want| ≤ (8 · 2^-23 + |x| · 2^-24) · |want|, plus 1e-35 for the values near zero
 * where exp saturates (the portable clamp: exp(−87.3) = 1.2e-38; exp above 88.4 is +inf, so
 * SiLU(-88.5) = -3e-37 comes out -0). Infinities and NaN must come out exactly as the
 * definition gives them.
 */
#include "cpu.h"
#include "kernels/activation.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include "kernels/x86-avx512/avx512.h"
#define HAVE_AVX512_KERNELS 1
#endif

static int failures;

static double
reference (double x, cnn_activation act)
{
  double s = 1.0 / (1.0 + exp (-x));
  return act == CNN_ACTIVATION_SILU ? x * s : s;
}

static bool
close_enough (float got, float x, cnn_activation act)
{
  double want = reference ((double) x, act);

  if (isnan (want))                 /* NaN in; SiLU(-inf) = -inf · 0 */
    return isnan (got);
  if (isinf (want) || isinf (x))    /* sigmoid(±inf) = 0 or 1 exactly */
    return got == want;
  double rel = 8.0 * FLT_EPSILON + fabs ((double) x) * FLT_EPSILON / 2.0;
  return fabs ((double) got - want) <= rel * fabs (want) + 1e-35;
}

/* Inputs: a sweep over [-100, 100] with every exponent of interest, plus special values. */
static size_t
make_inputs (float *x, size_t cap)
{
  static const float special[] = { 0.0f, -0.0f, 1e-40f, -1e-40f, FLT_MIN, -FLT_MIN, 1e-7f,
    -1e-7f, 0.5f, -0.5f, 87.0f, -87.0f, 87.3f, -87.3f, 88.0f, -88.0f, 88.3f, -88.3f, 89.0f,
    -89.0f, 103.0f, -103.0f, 1e10f, -1e10f, FLT_MAX, -FLT_MAX, INFINITY, -INFINITY, NAN };
  size_t n = 0;

  for (size_t i = 0; i < sizeof special / sizeof special[0] && n < cap; i++)
    x[n++] = special[i];
  for (int i = -4000; i <= 4000 && n < cap; i++)
    x[n++] = (float) i * 0.025f + (float) (i % 7) * 1e-4f;
  return n;
}

static void
check_array (cnn_activation act, float bias)
{
  enum { CAP = 8192 };
  static const size_t lengths[] = { 1, 7, 15, 16, 17, 33, 100, 8029 };
  float *x = malloc (sizeof (float) * CAP), *y = malloc (sizeof (float) * CAP);
  size_t n = make_inputs (x, CAP);

  for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
    size_t len = lengths[l] < n ? lengths[l] : n;
    int bad = 0;
    /* Start at several offsets so the special values meet every lane and the tails. */
    for (size_t off = 0; off + len <= n && off < 40; off += 13) {
      memcpy (y, x + off, sizeof (float) * len);
      cnn_activate_array (y, len, bias, act, 0.0f, 0.0f);
      for (size_t i = 0; i < len; i++) {
        float in = x[off + i] + bias;
        if (!close_enough (y[i], in, act)) {
          if (bad++ < 3)
            printf ("  %s(%.9g) = %.9g, want %.9g\n", cnn_activation_name (act), in, y[i],
                reference (in, act));
        }
      }
    }
    printf ("%s array/%s bias %g length %zu\n", bad ? "FAIL" : "PASS",
        cnn_activation_name (act), bias, len);
    failures += bad != 0;
  }
  free (x);
  free (y);
}

#ifdef HAVE_AVX512_KERNELS
AVX512 static void
activate16_array (float *y, const float *x, size_t n, cnn_activation act)
{
  for (size_t i = 0; i < n; i += 16) {
    __mmask16 m = n - i >= 16 ? 0xffff : (__mmask16) ((1u << (n - i)) - 1);
    __m512 v = _mm512_maskz_loadu_ps (m, x + i);
    _mm512_mask_storeu_ps (y + i, m, activate16 (v, act, 0.0f, 0.0f));
  }
}

static void
check_registers (cnn_activation act)
{
  enum { CAP = 8192 };
  float *x = malloc (sizeof (float) * CAP), *y = malloc (sizeof (float) * CAP);
  size_t n = make_inputs (x, CAP);
  int bad = 0;

  if (!activation_in_registers (act)) {
    printf ("FAIL activate16/%s: not applied on registers\n", cnn_activation_name (act));
    failures++;
  }
  activate16_array (y, x, n, act);
  for (size_t i = 0; i < n; i++)
    if (!close_enough (y[i], x[i], act) && bad++ < 3)
      printf ("  %s(%.9g) = %.9g, want %.9g\n", cnn_activation_name (act), x[i], y[i],
          reference (x[i], act));
  printf ("%s activate16/%s over %zu inputs\n", bad ? "FAIL" : "PASS", cnn_activation_name (act),
      n);
  failures += bad != 0;
  free (x);
  free (y);
}
#endif

/* ---- The SiLU fusion pass, through the public builder -------------------------------------- */

enum { C_IN = 5, C_OUT = 19, H = 9, W = 7 };

static cnn_model *
build (bool also_read_x, float *weights, float *bias)
{
  cnn_builder *b = cnn_builder_create ("silu");
  cnn_model *model = NULL;
  cnn_error err;
  int in = cnn_builder_input (b, "input", C_IN, H, W);
  int x = cnn_builder_conv (b, in, C_OUT, 3, 3, 2, 1, 1, 1, weights, bias, CNN_ACTIVATION_NONE);
  int y = cnn_builder_activation (b, x, CNN_ACTIVATION_SILU, 0.0f, 0.0f);
  if (also_read_x)
    y = cnn_builder_add (b, y, x);
  cnn_builder_output (b, y, "y");
  if (cnn_builder_finish (b, NULL, &model, &err) != CNN_STATUS_OK
      || cnn_model_prepare (model, &err) != CNN_STATUS_OK) {
    printf ("FAIL silu pass: %s\n", err.message);
    failures++;
    cnn_model_destroy (model);
    return NULL;
  }
  return model;
}

static void
check_pass (bool also_read_x)
{
  float weights[C_OUT * C_IN * 9], bias[C_OUT], in[C_IN * H * W], out[C_OUT * 5 * 4];
  cnn_error err;
  uint32_t seed = 7;

  for (size_t i = 0; i < sizeof weights / sizeof weights[0]; i++)
    weights[i] = (float) ((int) ((seed = seed * 1664525u + 1013904223u) >> 26) - 32) / 32.0f;
  for (int i = 0; i < C_OUT; i++)
    bias[i] = (float) (i - 9) / 4.0f;
  for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
    in[i] = sinf ((float) i);

  cnn_model *model = build (also_read_x, weights, bias);
  if (model == NULL)
    return;
  const void *inputs[1] = { in };
  void *outputs[1] = { out };
  cnn_layer_info li;
  bool fused = false;
  for (size_t l = 0; l < cnn_model_layer_count (model); l++)
    if (cnn_model_layer_info (model, l, &li) == CNN_STATUS_OK && strstr (li.op, "SiLU"))
      fused = true;
  size_t layers = cnn_model_layer_count (model);
  if (cnn_model_run (model, inputs, outputs, &err) != CNN_STATUS_OK) {
    printf ("FAIL silu pass run: %s\n", err.message);
    failures++;
    cnn_model_destroy (model);
    return;
  }
  cnn_model_destroy (model);

  /* Reference: the conv's 7 loops, then x · sigmoid(x) (+ x) in double. */
  int bad = 0;
  for (int m = 0; m < C_OUT; m++)
    for (int oy = 0; oy < 5; oy++)
      for (int ox = 0; ox < 4; ox++) {
        double acc = bias[m];
        for (int c = 0; c < C_IN; c++)
          for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) {
              int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
              if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                acc += (double) weights[((m * C_IN + c) * 3 + ky) * 3 + kx]
                    * in[(c * H + iy) * W + ix];
            }
        double v = acc / (1.0 + exp (-acc)) + (also_read_x ? acc : 0.0);
        size_t o = ((size_t) m * 5 + oy) * 4 + ox;
        if (!(fabs (out[o] - v) <= 1e-5 + 1e-5 * fabs (v)) && bad++ < 3)
          printf ("  y[%zu] = %.9g, want %.9g\n", o, out[o], v);
      }
  /* Fused: one layer. Read elsewhere: conv, sigmoid, mul and add stay (4 layers, or 3 when
   * the add took the mul's residual) and no SiLU epilogue. */
  bool shape_ok = also_read_x ? !fused && layers >= 3 : fused && layers == 1;
  printf ("%s silu pass (%s): %zu layer%s, %s\n", bad || !shape_ok ? "FAIL" : "PASS",
      also_read_x ? "conv output read elsewhere: not fused" : "fused into the conv", layers,
      layers == 1 ? "" : "s", fused ? "Conv+SiLU" : "no SiLU epilogue");
  failures += bad || !shape_ok;
}

int
main (void)
{
  check_array (CNN_ACTIVATION_SIGMOID, 0.0f);
  check_array (CNN_ACTIVATION_SILU, 0.0f);
  check_array (CNN_ACTIVATION_SIGMOID, 0.375f);
  check_array (CNN_ACTIVATION_SILU, -1.5f);
#ifdef HAVE_AVX512_KERNELS
  if (cnn_cpu_has_avx512 ()) {
    check_registers (CNN_ACTIVATION_SIGMOID);
    check_registers (CNN_ACTIVATION_SILU);
  } else {
    printf ("# no AVX-512 on this CPU: activate16 not run (the portable loops were)\n");
  }
#endif
  check_pass (false);
  check_pass (true);
  printf ("%d failures\n", failures);
  return failures != 0;
}
