/* avx512.h — what the AVX-512 kernels (gemm.c, depthwise.c) share: the
 * target attributes and the fused activations applied to 16 outputs still in registers.
 * Include only inside an x86-64 GCC/clang section. */
#ifndef CNN_KERNEL_AVX512_H
#define CNN_KERNEL_AVX512_H

#include "kernels/activation.h"

#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

#define AVX512 __attribute__ ((target ("avx512f,avx512vl,avx512dq,fma")))
#define INLINE __attribute__ ((always_inline)) static inline

/* exp(-x) on 16 lanes for sigmoid and SiLU, as 2^y with y = -x·log2(e): vreduce takes
 * f = y - floor(y) in [0, 1) and vscalef multiplies by 2^floor(y), so the only range
 * reduction is one multiply (Cody-Waite's two FMAs and the rounding go); 2^f is a degree-5
 * minimax polynomial (relative error 8.2e-8, fitted by Lawson's algorithm). Rounding y is a
 * relative change of 2^-24 in x: the result is exact for an x within half an ulp, which for
 * exp is a relative error of |x|·2^-24. Sigmoid and SiLU built on it are within
 * 2^-22 + |x|·2^-24 of their definitions (measured: 1.8e-7·(1 + |x|), 3.8e-6 at x = -80).
 * No clamp: past ±150 vscalef saturates to 0 or +inf whatever f is, vreduce gives 0 for
 * y = ±inf (and vscalef then 0 or +inf again), NaN stays NaN. Zen 4, SiLU on
 * L1-resident data: 0.64 -> 0.39 TSC ticks per element (Cephes exp: 0.64; with the clamp to
 * ±104 this used to have, 0.43). */
AVX512 INLINE __m512
exp_neg16 (__m512 x)
{
  __m512 y = _mm512_mul_ps (x, _mm512_set1_ps (-1.44269504088896341f));
  __m512 f = _mm512_reduce_ps (y, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  __m512 p = _mm512_set1_ps (0x1.e974fcp-10f);
  p = _mm512_fmadd_ps (p, f, _mm512_set1_ps (0x1.277854p-7f));
  p = _mm512_fmadd_ps (p, f, _mm512_set1_ps (0x1.c91ce6p-5f));
  p = _mm512_fmadd_ps (p, f, _mm512_set1_ps (0x1.ebdb56p-3f));
  p = _mm512_fmadd_ps (p, f, _mm512_set1_ps (0x1.62e4bap-1f));
  p = _mm512_fmadd_ps (p, f, _mm512_set1_ps (1.0f));
  return _mm512_scalef_ps (p, y);
}

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
    case CNN_ACTIVATION_SIGMOID:
      return _mm512_div_ps (_mm512_set1_ps (1.0f),
          _mm512_add_ps (_mm512_set1_ps (1.0f), exp_neg16 (v)));
    case CNN_ACTIVATION_SILU:
      return _mm512_div_ps (v, _mm512_add_ps (_mm512_set1_ps (1.0f), exp_neg16 (v)));
    default:
      return v;
  }
}

/* The first n lanes of a vector (all 16 from n = 16). */
static inline __mmask16
tail_mask (int64_t n)
{
  return (__mmask16) (n >= 16 ? 0xffff : (1u << n) - 1);
}

/* Lanes [lo, hi) of a vector, each clamped to [0, 16]. */
static inline __mmask16
lanes (int64_t lo, int64_t hi)
{
  lo = lo < 0 ? 0 : lo > 16 ? 16 : lo;
  hi = hi < lo ? lo : hi > 16 ? 16 : hi;
  return (__mmask16) (((1u << hi) - 1) & ~((1u << lo) - 1));
}

/* Lanes l of a 16-lane load starting at input column `start` with 0 <= start + l < w. */
static inline __mmask16
lanes_inside (int64_t start, int64_t w)
{
  return lanes (-start, w - start);
}

static inline bool
activation_in_registers (cnn_activation act)
{
  return act == CNN_ACTIVATION_NONE || act == CNN_ACTIVATION_RELU
      || act == CNN_ACTIVATION_RELU6 || act == CNN_ACTIVATION_CLIP
      || act == CNN_ACTIVATION_HARD_SWISH || act == CNN_ACTIVATION_HARD_SIGMOID
      || act == CNN_ACTIVATION_LEAKY_RELU || act == CNN_ACTIVATION_SIGMOID
      || act == CNN_ACTIVATION_SILU;
}

/* r[j] ← column j of the 16×16 matrix whose rows are r[0..15] (depthwise.c's channel blocks,
 * the narrow GEMMs' accumulators along M turned into rows of Y). */
AVX512 INLINE void
transpose16 (__m512 r[16])
{
  __m512 t[16];

  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps (r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps (r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_castpd_ps (_mm512_unpacklo_pd (_mm512_castps_pd (t[i]),
            _mm512_castps_pd (t[i + 2])));
    r[i + 1] = _mm512_castpd_ps (_mm512_unpackhi_pd (_mm512_castps_pd (t[i]),
            _mm512_castps_pd (t[i + 2])));
    r[i + 2] = _mm512_castpd_ps (_mm512_unpacklo_pd (_mm512_castps_pd (t[i + 1]),
            _mm512_castps_pd (t[i + 3])));
    r[i + 3] = _mm512_castpd_ps (_mm512_unpackhi_pd (_mm512_castps_pd (t[i + 1]),
            _mm512_castps_pd (t[i + 3])));
  }
  /* r[4q + j] now holds column 4k + j of rows 4q..4q+3 in 128-bit lane k. */
  for (int h = 0; h < 16; h += 8)
    for (int j = 0; j < 4; j++) {
      t[h + j] = _mm512_shuffle_f32x4 (r[h + j], r[h + 4 + j], 0x88);
      t[h + 4 + j] = _mm512_shuffle_f32x4 (r[h + j], r[h + 4 + j], 0xdd);
    }
  for (int j = 0; j < 8; j++) {
    r[j] = _mm512_shuffle_f32x4 (t[j], t[8 + j], 0x88);
    r[8 + j] = _mm512_shuffle_f32x4 (t[j], t[8 + j], 0xdd);
  }
}

/* The narrow GEMMs' (gemm-narrow.c, gemm-bf16-narrow.c) epilogue: act_here when the
 * activation is applied on registers (activation_in_registers). */
typedef struct {
  const float *bias, *sum;
  cnn_activation act;
  float alpha, beta;
  bool act_here;
} narrow_epilogue;

/* Their blocks of up to 32 rows along M: the masks of the rows left (rows_left from the
 * block's first) in each of its two vectors, and how many vectors hold any. */
static inline int
narrow_row_masks (int64_t rows_left, __mmask16 rmask[2])
{
  rmask[0] = lanes (0, rows_left);
  rmask[1] = lanes (0, rows_left - 16);
  return rows_left > 16 ? 2 : 1;
}

/* Their store: acc[r][v] holds column r of rows row0 + 16·v .. + 15 (vectors along M) for
 * R columns and V blocks of 16 rows; each block is transposed to rows, `sum`'s rows added
 * (NULL: no residual, or already in the sums), e's activation applied if act_here, and the
 * rows in rmask[v] stored, R columns each. */
AVX512 INLINE void
narrow_store_rows (int R, int V, __m512 acc[][2], float *y, int64_t ldy, int64_t row0,
    const __mmask16 rmask[2], const float *sum, const narrow_epilogue *e)
{
  const __mmask16 cols = (__mmask16) ((1u << R) - 1);

  for (int v = 0; v < V; v++) {
    __m512 c[16];
    _Pragma ("GCC unroll 16")
    for (int r = 0; r < 16; r++)
      c[r] = r < R ? acc[r][v] : _mm512_setzero_ps ();
    transpose16 (c);
    _Pragma ("GCC unroll 16")
    for (int i = 0; i < 16; i++) {
      if (!(rmask[v] >> i & 1))
        break;
      int64_t row = row0 + 16 * v + i;
      __m512 out = c[i];
      if (sum != NULL)
        out = _mm512_add_ps (out, _mm512_maskz_loadu_ps (cols, sum + row * ldy));
      if (e->act_here)
        out = activate16 (out, e->act, e->alpha, e->beta);
      _mm512_mask_storeu_ps (y + row * ldy, cols, out);
    }
  }
}

#endif /* CNN_KERNEL_AVX512_H */
