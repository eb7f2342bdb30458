/* kernel-gemm.c — the GEMM of convolutions, with their epilogue, for AVX-512 CPUs.
 *
 * Conv's GEMMs are small and oddly shaped: Y[M, N] = W[M, K] · X[K, N] with K as small as 16
 * (MobileNet's pointwise convs) or 27 (a stem), N a few dozen to a few thousand output
 * positions. OpenBLAS packs both operands for every call, which costs as much as the
 * arithmetic when K is small, and leaves bias, residual and activation to further passes
 * over the output. Here X is read in place (its rows are already contiguous output
 * positions), W is broadcast one weight at a time, and a 6 × 32 block of Y lives in twelve
 * registers from its bias and residual to its activation: each output is written once.
 *
 * Blocking: K in slices of KC so that the 32-column slice of X a micro-tile reads stays in L1
 * while every row block of W passes over it; columns past N are masked, never read.
 */
#include "conv.h"

#include <stdint.h>

/* Rows and columns of one micro-tile: 12 accumulators, 2 X vectors and a broadcast weight
 * fit the 32 vector registers with room to spare. */
#define GEMM_ROWS 6
#define GEMM_COLS 32
/* K slice: a KC × 32 slice of X is 16 KiB, half of L1. */
#define GEMM_KC 128

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define AVX512 __attribute__ ((target ("avx512f,avx512vl,avx512dq,fma")))
#define INLINE __attribute__ ((always_inline)) static inline

typedef struct {
  const float *bias, *sum;
  cnn_activation act;
  float alpha, beta;
} epilogue;

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

/* One micro-tile: rows [0, R) of w (stride ldw) times the packed kc × 32 panel x, y's
 * columns masked by m0, m1. The first K slice starts from bias + residual, later ones from
 * what the previous slice stored; the last one applies the activation. R is a constant at
 * every call, so the loops over it unroll and the accumulators stay in registers. */
AVX512 INLINE void
micro_tile (int R, int64_t kc, const float *w, int64_t ldw, const float *x, float *y, int64_t ldy, int64_t row0, __mmask16 m0, __mmask16 m1, bool first, bool last,
    const epilogue *e, bool act_here)
{
  __m512 acc[GEMM_ROWS][2];

  for (int r = 0; r < R; r++) {
    if (first) {
      __m512 b = _mm512_set1_ps (e->bias != NULL ? e->bias[row0 + r] : 0.0f);
      if (e->sum != NULL) {
        const float *s = e->sum + r * ldy;
        acc[r][0] = _mm512_add_ps (b, _mm512_maskz_loadu_ps (m0, s));
        acc[r][1] = _mm512_add_ps (b, _mm512_maskz_loadu_ps (m1, s + 16));
      } else {
        acc[r][0] = acc[r][1] = b;
      }
    } else {
      acc[r][0] = _mm512_maskz_loadu_ps (m0, y + r * ldy);
      acc[r][1] = _mm512_maskz_loadu_ps (m1, y + r * ldy + 16);
    }
  }
  for (int64_t k = 0; k < kc; k++) {
    __m512 x0 = _mm512_load_ps (x + k * GEMM_COLS);
    __m512 x1 = _mm512_load_ps (x + k * GEMM_COLS + 16);
    for (int r = 0; r < R; r++) {
      __m512 wb = _mm512_set1_ps (w[r * ldw + k]);
      acc[r][0] = _mm512_fmadd_ps (wb, x0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps (wb, x1, acc[r][1]);
    }
  }
  for (int r = 0; r < R; r++) {
    if (last && act_here) {
      acc[r][0] = activate16 (acc[r][0], e->act, e->alpha, e->beta);
      acc[r][1] = activate16 (acc[r][1], e->act, e->alpha, e->beta);
    }
    _mm512_mask_storeu_ps (y + r * ldy, m0, acc[r][0]);
    _mm512_mask_storeu_ps (y + r * ldy + 16, m1, acc[r][1]);
  }
}

AVX512 static void
gemm_avx512 (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw, const float *x,
    int64_t ldx, float *y, int64_t ldy, const epilogue *e)
{
  bool act_here = activation_in_registers (e->act);
  float panel[GEMM_KC * GEMM_COLS] __attribute__ ((aligned (64)));

  for (int64_t k0 = 0; k0 < k; k0 += GEMM_KC) {
    int64_t kc = k - k0 < GEMM_KC ? k - k0 : GEMM_KC;
    bool first = k0 == 0, last = k0 + kc == k;
    for (int64_t j = 0; j < n; j += GEMM_COLS) {
      int64_t cols = n - j < GEMM_COLS ? n - j : GEMM_COLS;
      __mmask16 m0 = (__mmask16) (cols >= 16 ? 0xffff : (1u << cols) - 1);
      __mmask16 m1 = (__mmask16) (cols >= 32 ? 0xffff : cols > 16 ? (1u << (cols - 16)) - 1 : 0);
      /* Rows of X are whole input planes apart: gathering the slice into a contiguous
       * panel keeps it in L1 and within a few pages for all the row blocks that reuse it. */
      const float *xs = x + k0 * ldx + j;
      for (int64_t kk = 0; kk < kc; kk++) {
        _mm512_store_ps (panel + kk * GEMM_COLS, _mm512_maskz_loadu_ps (m0, xs + kk * ldx));
        _mm512_store_ps (panel + kk * GEMM_COLS + 16,
            _mm512_maskz_loadu_ps (m1, xs + kk * ldx + 16));
      }
      for (int64_t i = 0; i < m; i += GEMM_ROWS) {
        const float *ws = w + i * ldw + k0;
        float *ys = y + i * ldy + j;
        epilogue ei = *e;
        if (ei.sum != NULL)
          ei.sum += i * ldy + j;
        /* Constant row counts: one unrolled copy of the micro-tile each. */
        switch (m - i < GEMM_ROWS ? m - i : GEMM_ROWS) {
          case 6: micro_tile (6, kc, ws, ldw, panel, ys, ldy, i, m0, m1, first, last, &ei, act_here); break;
          case 5: micro_tile (5, kc, ws, ldw, panel, ys, ldy, i, m0, m1, first, last, &ei, act_here); break;
          case 4: micro_tile (4, kc, ws, ldw, panel, ys, ldy, i, m0, m1, first, last, &ei, act_here); break;
          case 3: micro_tile (3, kc, ws, ldw, panel, ys, ldy, i, m0, m1, first, last, &ei, act_here); break;
          case 2: micro_tile (2, kc, ws, ldw, panel, ys, ldy, i, m0, m1, first, last, &ei, act_here); break;
          default: micro_tile (1, kc, ws, ldw, panel, ys, ldy, i, m0, m1, first, last, &ei, act_here); break;
        }
      }
    }
  }
  if (!act_here)
    for (int64_t i = 0; i < m; i++)
      cnn_activate_array (y + i * ldy, (size_t) n, 0.0f, e->act, e->alpha, e->beta);
}

bool
cnn_gemm_fused_available (void)
{
  static int available = -1;

  if (available < 0) {
    __builtin_cpu_init ();
    available = __builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512vl")
        && __builtin_cpu_supports ("avx512dq");
  }
  return available;
}

void
cnn_gemm_fused (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw, const float *x,
    int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta)
{
  epilogue e = { bias, sum, act, alpha, beta };

  if (m > 0 && n > 0)
    gemm_avx512 (m, n, k, w, ldw, x, ldx, y, ldy, &e);
}

#else /* not x86-64 */

bool
cnn_gemm_fused_available (void)
{
  return false;
}

void
cnn_gemm_fused (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw, const float *x,
    int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta)
{
  (void) m, (void) n, (void) k, (void) w, (void) ldw, (void) x, (void) ldx, (void) y;
  (void) ldy, (void) bias, (void) sum, (void) act, (void) alpha, (void) beta;
}

#endif
