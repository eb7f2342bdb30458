/* activation.h — elementwise activations, shared by the standalone activation ops and by every
 * kernel that applies a fused activation to its output while it is still in cache. */
#ifndef CNN_ACTIVATION_H
#define CNN_ACTIVATION_H

#include "cnn/cnn.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

static inline float
cnn_activate (float x, cnn_activation act, float alpha, float beta)
{
  switch (act) {
    case CNN_ACTIVATION_NONE:
      return x;
    case CNN_ACTIVATION_RELU:
      return x > 0.0f ? x : 0.0f;
    case CNN_ACTIVATION_RELU6:
      return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
    case CNN_ACTIVATION_LEAKY_RELU:
      return x >= 0.0f ? x : alpha * x;
    case CNN_ACTIVATION_ELU:
      return x >= 0.0f ? x : alpha * expm1f (x);
    case CNN_ACTIVATION_CLIP:
      return x < alpha ? alpha : (x > beta ? beta : x);
    case CNN_ACTIVATION_SIGMOID:
      return 1.0f / (1.0f + expf (-x));
    case CNN_ACTIVATION_TANH:
      return tanhf (x);
    case CNN_ACTIVATION_HARD_SIGMOID: {
      float y = alpha * x + beta;
      return y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
    }
    case CNN_ACTIVATION_HARD_SWISH: {
      float y = x / 6.0f + 0.5f;
      return x * (y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y));
    }
    case CNN_ACTIVATION_SILU:
      return x / (1.0f + expf (-x));
    case CNN_ACTIVATION_COUNT:
      break;
  }
  return x;
}

/* Limits of the exponential's argument in the vectorised sigmoid: below CNN_EXP_MIN, 2^n would
 * be subnormal, so exp gives exp(-87.3) = 1.2e-38; above CNN_EXP_MAX it gives +inf (from 88.38
 * in the portable loop, where exp(x) is 2.4e38 and more), so x / (1 + exp(-x)) is -0 for very
 * negative x and NaN for -inf, as in the definition. */
#define CNN_EXP_MIN (-87.3f)
#define CNN_EXP_MAX 89.0f

/* exp(x) = 2^n · exp(r), n = round(x / ln 2), |r| ≤ ln 2 / 2, exp(r) by Cephes' degree-7
 * polynomial (about 1 ulp), 2^n built in the exponent bits. Branch-free, so loops over it
 * vectorise; the AVX-512 twin is exp16 in x86-avx512/avx512.h. NaN stays NaN. */
static inline float
cnn_exp_poly (float x)
{
  union { float f; int32_t i; } t, scale;

  x = x < CNN_EXP_MIN ? CNN_EXP_MIN : x;
  x = x > CNN_EXP_MAX ? CNN_EXP_MAX : x;
  t.f = x * 1.44269504088896341f + 12582912.0f;     /* 1.5 · 2^23: rounds to an integer */
  float n = t.f - 12582912.0f;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  /* 2^n, n in [-126, 128]: 128 is +inf. Unsigned, as a NaN's t.i (any n) would overflow an
   * int: the bits wrap to some scale and p stays NaN. */
  scale.i = (int32_t) (((uint32_t) t.i - 0x4B400000u + 127u) << 23);
  return p * scale.f;
}

/* x[i] = act(x[i] + bias) for n elements; the common cases are vectorised (sigmoid and SiLU
 * through cnn_exp_poly, within a few ulp of cnn_activate). */
void cnn_activate_array (float *x, size_t n, float bias, cnn_activation act, float alpha,
    float beta);

/* cnn_activate_array over `rows` rows of n elements, ldy apart: the epilogue the GEMM and
 * conv kernels apply after their stores for activations they do not compute on registers. */
void cnn_activate_rows (float *y, int64_t rows, int64_t n, int64_t ldy, cnn_activation act,
    float alpha, float beta);

const char *cnn_activation_name (cnn_activation act);

#endif /* CNN_ACTIVATION_H */
