/* gemm-bf16.c — the GEMM of convolutions in bfloat16 with fp32 accumulation (AVX512_BF16).
 *
 * The same product and epilogue as cnn_gemm_fused (gemm.h), with W and X rounded to bfloat16
 * (8 bits of mantissa, round to nearest even) and multiplied by vdpbf16ps, which adds two
 * products per fp32 lane: twice the multiply-adds per instruction, half the bytes per panel.
 * The sums, bias, residual and activation stay in fp32.
 *
 * vdpbf16ps wants K in pairs: for each output column j a 32-bit lane holds (x[k][j],
 * x[k+1][j]), and a broadcast weight holds (w[i][k], w[i][k+1]). Each K slice of X is packed
 * that way, 32 columns at a time (an odd K gets a zero partner); W's pairs are adjacent in a
 * row already. cnn_gemm_bf16_pack converts W once (at prepare) into rows of such pairs, which
 * cnn_gemm_bf16_packed reads in place; cnn_gemm_bf16 converts a row block's slice once per
 * panel into a small buffer instead.
 * Micro-tiles are up to 6 rows × 32 columns (12 accumulators); columns past N are masked.
 */
#include "kernels/gemm.h"

#include "cpu.h"

#include <stdint.h>

#define BF16_ROWS 6
#define BF16_COLS 32
/* K slice (even): a 256 × 32 panel of bfloat16 is 16 KiB, half of L1. */
#define BF16_KC 256

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 10
#include "avx512.h"

#define AVX512BF16 \
  __attribute__ ((target ("avx512f,avx512vl,avx512dq,avx512bw,avx512bf16,fma")))

/* Packs kc rows of X (columns masked by m0, m1) as bfloat16 pairs along K: for pair p and
 * vector v, 16 lanes of (x[2p][j], x[2p + 1][j]). */
AVX512BF16 static void
pack_x (uint32_t *panel, const float *x, int64_t ldx, int64_t kc, __mmask16 m0, __mmask16 m1)
{
  const __mmask16 mask[2] = { m0, m1 };
  /* Interleaves the low 16 words (row k) with the high 16 (row k + 1). */
  const __m512i order = _mm512_set_epi16 (31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10,
      25, 9, 24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);

  for (int64_t p = 0; 2 * p < kc; p++)
    for (int v = 0; v < 2; v++) {
      __m512 lo = _mm512_maskz_loadu_ps (mask[v], x + 2 * p * ldx + 16 * v);
      __m512 hi = 2 * p + 1 < kc
          ? _mm512_maskz_loadu_ps (mask[v], x + (2 * p + 1) * ldx + 16 * v)
          : _mm512_setzero_ps ();
      __m512i both = (__m512i) _mm512_cvtne2ps_pbh (hi, lo);
      _mm512_store_si512 (panel + (p * 2 + v) * 16, _mm512_permutexvar_epi16 (order, both));
    }
}

/* Rows [0, r) of W's slice [k0, k0 + kc) as bfloat16 pairs, pairs of row i at wp + i · ldp. */
AVX512BF16 static void
pack_w (uint32_t *wp, int64_t ldp, const float *w, int64_t ldw, int64_t r, int64_t kc)
{
  for (int64_t i = 0; i < r; i++)
    for (int64_t k = 0; k < kc; k += 32) {
      int64_t left = kc - k;
      __mmask16 m0 = (__mmask16) (left >= 16 ? 0xffff : (1u << left) - 1);
      __mmask16 m1 = (__mmask16) (left >= 32 ? 0xffff : left > 16 ? (1u << (left - 16)) - 1
          : 0);
      __m512 lo = _mm512_maskz_loadu_ps (m0, w + i * ldw + k);
      __m512 hi = _mm512_maskz_loadu_ps (m1, w + i * ldw + k + 16);
      _mm512_storeu_si512 (wp + i * ldp + k / 2, (__m512i) _mm512_cvtne2ps_pbh (hi, lo));
    }
}

typedef struct {
  const float *bias, *sum;
  cnn_activation act;
  float alpha, beta;
  bool act_here;
} bf16_epilogue;

AVX512BF16 INLINE void
bf16_tile (int R, int64_t pairs, const uint32_t *wp, int64_t ldp, const uint32_t *panel,
    float *y, int64_t ldy, int64_t row0, __mmask16 m0, __mmask16 m1, bool first, bool last,
    const bf16_epilogue *e, const float *sum)
{
  __m512 acc[BF16_ROWS][2];
  const __mmask16 mask[2] = { m0, m1 };

  _Pragma ("GCC unroll 6")
  for (int r = 0; r < R; r++)
    for (int v = 0; v < 2; v++) {
      if (first) {
        acc[r][v] = _mm512_set1_ps (e->bias != NULL ? e->bias[row0 + r] : 0.0f);
        if (sum != NULL)
          acc[r][v] = _mm512_add_ps (acc[r][v],
              _mm512_maskz_loadu_ps (mask[v], sum + r * ldy + 16 * v));
      } else {
        acc[r][v] = _mm512_maskz_loadu_ps (mask[v], y + r * ldy + 16 * v);
      }
    }
  for (int64_t p = 0; p < pairs; p++) {
    __m512bh x0 = (__m512bh) _mm512_load_si512 (panel + p * 32);
    __m512bh x1 = (__m512bh) _mm512_load_si512 (panel + p * 32 + 16);
    _Pragma ("GCC unroll 6")
    for (int r = 0; r < R; r++) {
      __m512bh wb = (__m512bh) _mm512_set1_epi32 ((int) wp[r * ldp + p]);
      acc[r][0] = _mm512_dpbf16_ps (acc[r][0], wb, x0);
      acc[r][1] = _mm512_dpbf16_ps (acc[r][1], wb, x1);
    }
  }
  _Pragma ("GCC unroll 6")
  for (int r = 0; r < R; r++)
    for (int v = 0; v < 2; v++) {
      if (last && e->act_here)
        acc[r][v] = activate16 (acc[r][v], e->act, e->alpha, e->beta);
      _mm512_mask_storeu_ps (y + r * ldy + 16 * v, mask[v], acc[r][v]);
    }
}

#define BF16_TILE(R) \
  bf16_tile (R, pairs, wp, ldp, panel, y, ldy, row0, m0, m1, first, last, e, sum)

AVX512BF16 static void
bf16_rows (int64_t r, int64_t pairs, const uint32_t *wp, int64_t ldp, const uint32_t *panel,
    float *y, int64_t ldy, int64_t row0, __mmask16 m0, __mmask16 m1, bool first, bool last,
    const bf16_epilogue *e, const float *sum)
{
  switch (r) {
    case 6: BF16_TILE (6); break;
    case 5: BF16_TILE (5); break;
    case 4: BF16_TILE (4); break;
    case 3: BF16_TILE (3); break;
    case 2: BF16_TILE (2); break;
    default: BF16_TILE (1); break;
  }
}

/* W given either as fp32 (w, ldw: converted per panel) or as cnn_gemm_bf16_pack's pairs (wb,
 * ldwb: read in place). */
AVX512BF16 static void
gemm_bf16 (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw, const uint32_t *wb,
    int64_t ldwb, const float *x, int64_t ldx, float *y, int64_t ldy, const bf16_epilogue *e)
{
  uint32_t panel[BF16_KC / 2 * BF16_COLS] __attribute__ ((aligned (64)));
  uint32_t wp[BF16_ROWS * (BF16_KC / 2 + 16)] __attribute__ ((aligned (64)));
  const int64_t ldp = BF16_KC / 2 + 16;

  /* Even K slices of equal length, as in cnn_gemm_fused. */
  int64_t slices = (k + BF16_KC - 1) / BF16_KC;
  int64_t step = ((k + slices - 1) / slices + 1) & ~(int64_t) 1;
  for (int64_t k0 = 0; k0 < k; k0 += step) {
    int64_t kc = k - k0 < step ? k - k0 : step, pairs = (kc + 1) / 2;
    bool first = k0 == 0, last = k0 + kc == k;
    for (int64_t j = 0; j < n; j += BF16_COLS) {
      int64_t cols = n - j < BF16_COLS ? n - j : BF16_COLS;
      __mmask16 m0 = (__mmask16) (cols >= 16 ? 0xffff : (1u << cols) - 1);
      __mmask16 m1 = (__mmask16) (cols >= 32 ? 0xffff : cols > 16 ? (1u << (cols - 16)) - 1
          : 0);
      pack_x (panel, x + k0 * ldx + j, ldx, kc, m0, m1);
      for (int64_t i = 0; i < m; i += BF16_ROWS) {
        int64_t r = m - i < BF16_ROWS ? m - i : BF16_ROWS;
        if (wb != NULL) {
          bf16_rows (r, pairs, wb + i * ldwb + k0 / 2, ldwb, panel, y + i * ldy + j, ldy, i,
              m0, m1, first, last, e, e->sum != NULL ? e->sum + i * ldy + j : NULL);
        } else {
          pack_w (wp, ldp, w + i * ldw + k0, ldw, r, kc);
          bf16_rows (r, pairs, wp, ldp, panel, y + i * ldy + j, ldy, i, m0, m1, first, last, e,
              e->sum != NULL ? e->sum + i * ldy + j : NULL);
        }
      }
    }
  }
  if (!e->act_here)
    cnn_activate_rows (y, m, n, ldy, e->act, e->alpha, e->beta);
}

bool
cnn_gemm_bf16_available (void)
{
  return cnn_cpu_has_avx512_bf16 ();
}

void
cnn_gemm_bf16 (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw, const float *x,
    int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta)
{
  bf16_epilogue e = { bias, sum, act, alpha, beta, activation_in_registers (act) };

  if (m > 0 && n > 0 && k > 0)
    gemm_bf16 (m, n, k, w, ldw, NULL, 0, x, ldx, y, ldy, &e);
  else if (m > 0 && n > 0)
    cnn_gemm_blas (m, n, k, w, ldw, x, ldx, y, ldy, bias, sum, act, alpha, beta);
}

AVX512BF16 void
cnn_gemm_bf16_pack (int64_t m, int64_t k, const float *w, int64_t ldw, uint32_t *wb)
{
  int64_t ldwb = cnn_gemm_bf16_stride (k);

  for (int64_t i = 0; i < m; i++)
    for (int64_t k0 = 0; k0 < k; k0 += 32) {
      int64_t left = k - k0, pairs = (left >= 32 ? 32 : left + 1) / 2;
      __mmask16 m0 = (__mmask16) (left >= 16 ? 0xffff : (1u << left) - 1);
      __mmask16 m1 = (__mmask16) (left >= 32 ? 0xffff : left > 16 ? (1u << (left - 16)) - 1
          : 0);
      __m512 lo = _mm512_maskz_loadu_ps (m0, w + i * ldw + k0);
      __m512 hi = _mm512_maskz_loadu_ps (m1, w + i * ldw + k0 + 16);
      _mm512_mask_storeu_epi32 (wb + i * ldwb + k0 / 2, (__mmask16) ((1u << pairs) - 1),
          (__m512i) _mm512_cvtne2ps_pbh (hi, lo));
    }
}

void
cnn_gemm_bf16_packed (int64_t m, int64_t n, int64_t k, const uint32_t *wb, int64_t ldwb,
    const float *x, int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta)
{
  bf16_epilogue e = { bias, sum, act, alpha, beta, activation_in_registers (act) };

  if (m > 0 && n > 0 && k > 0)
    gemm_bf16 (m, n, k, NULL, 0, wb, ldwb, x, ldx, y, ldy, &e);
  else if (m > 0 && n > 0)
    cnn_gemm_blas (m, n, 0, NULL, 1, x, ldx, y, ldy, bias, sum, act, alpha, beta);
}

#else /* no AVX512_BF16 compiler support */

bool
cnn_gemm_bf16_available (void)
{
  return false;
}

void
cnn_gemm_bf16 (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw, const float *x,
    int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta)
{
  cnn_gemm_blas (m, n, k, w, ldw, x, ldx, y, ldy, bias, sum, act, alpha, beta);
}

/* Never chosen (cnn_gemm_bf16_available is false): plain loops over the bfloat16 pairs. */
void
cnn_gemm_bf16_pack (int64_t m, int64_t k, const float *w, int64_t ldw, uint32_t *wb)
{
  int64_t ldwb = cnn_gemm_bf16_stride (k);

  for (int64_t i = 0; i < m; i++)
    for (int64_t kk = 0; kk < 2 * ldwb; kk++) {
      union { float f; uint32_t u; } v = { kk < k ? w[i * ldw + kk] : 0.0f };
      uint32_t h = (v.u + 0x7fffu + ((v.u >> 16) & 1u)) >> 16;
      wb[i * ldwb + kk / 2] = kk % 2 == 0 ? h : wb[i * ldwb + kk / 2] | h << 16;
    }
}

void
cnn_gemm_bf16_packed (int64_t m, int64_t n, int64_t k, const uint32_t *wb, int64_t ldwb,
    const float *x, int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta)
{
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      float acc = bias != NULL ? bias[i] : 0.0f;
      for (int64_t kk = 0; kk < k; kk++) {
        union { uint32_t u; float f; } v = { (wb[i * ldwb + kk / 2] >> (16 * (kk % 2))) << 16 };
        acc += v.f * x[kk * ldx + j];
      }
      if (sum != NULL)
        acc += sum[i * ldy + j];
      y[i * ldy + j] = cnn_activate (acc, act, alpha, beta);
    }
}

#endif
