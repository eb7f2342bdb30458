/* avx512.h — what the AVX-512 kernels (gemm.c, depthwise.c) share: the
 * target attributes and the fused activations applied to 16 outputs still in registers.
 * Include only inside an x86-64 GCC/clang section. */
#ifndef CNN_KERNEL_AVX512_H
#define CNN_KERNEL_AVX512_H

#include "kernels/activation.h"

#include <immintrin.h>
#include <stdbool.h>

#define AVX512 __attribute__ ((target ("avx512f,avx512vl,avx512dq,fma")))
#define INLINE __attribute__ ((always_inline)) static inline

/* The activations networks fuse into convs, on registers; false for the rest, which the
 * caller then applies to the stored tile. */
AVX512 INLINE __m512
activate16 (__m512 v, cnn_activation act, float alpha, float beta)
{
  const __m512 zero = _mm512_setzero_ps ();

  switch (act) {
    case CNN_ACTIVATION_RELU:
      return _mm512_max_ps (v, zero);
    case CNN_ACTIVATION_RELU6:
      return _mm512_min_ps (_mm512_max_ps (v, zero), _mm512_set1_ps (6.0f));
    case CNN_ACTIVATION_CLIP:
      return _mm512_min_ps (_mm512_max_ps (v, _mm512_set1_ps (alpha)), _mm512_set1_ps (beta));
    case CNN_ACTIVATION_HARD_SWISH: {
      __m512 g = _mm512_fmadd_ps (v, _mm512_set1_ps (1.0f / 6.0f), _mm512_set1_ps (0.5f));
      g = _mm512_min_ps (_mm512_max_ps (g, zero), _mm512_set1_ps (1.0f));
      return _mm512_mul_ps (v, g);
    }
    case CNN_ACTIVATION_HARD_SIGMOID: {
      __m512 g = _mm512_fmadd_ps (v, _mm512_set1_ps (alpha), _mm512_set1_ps (beta));
      return _mm512_min_ps (_mm512_max_ps (g, zero), _mm512_set1_ps (1.0f));
    }
    case CNN_ACTIVATION_LEAKY_RELU: {
      __mmask16 neg = _mm512_cmp_ps_mask (v, zero, _CMP_LT_OQ);
      return _mm512_mask_mul_ps (v, neg, v, _mm512_set1_ps (alpha));
    }
    default:
      return v;
  }
}

static bool
activation_in_registers (cnn_activation act)
{
  return act == CNN_ACTIVATION_NONE || act == CNN_ACTIVATION_RELU
      || act == CNN_ACTIVATION_RELU6 || act == CNN_ACTIVATION_CLIP
      || act == CNN_ACTIVATION_HARD_SWISH || act == CNN_ACTIVATION_HARD_SIGMOID
      || act == CNN_ACTIVATION_LEAKY_RELU;
}

#endif /* CNN_KERNEL_AVX512_H */
