/* gemm.c — the GEMM of convolutions, with their epilogue, for AVX-512 CPUs.
 *
 * Conv's GEMMs are small and oddly shaped: Y[M, N] = W[M, K] · X[K, N] with K as small as 16
 * (MobileNet's pointwise convs) or 27 (a stem), N a few dozen to a few thousand output
 * positions. OpenBLAS packs both operands for every call, which costs as much as the
 * arithmetic when K is small, and leaves bias, residual and activation to further passes
 * over the output. Here W is read in place and broadcast one weight at a time, and a 6 × 32
 * block of Y lives in twelve registers from its bias and residual to its activation: each
 * output is written once.
 *
 * Blocking: K in equal slices of at most KC; each slice of X is copied 32 columns at a time
 * into a small panel (its rows are whole input planes apart, which L1 and the prefetchers
 * handle badly), and every row block of W passes over that panel while it is in L1. Columns
 * past N are masked, never read. A last 1–4 columns past a multiple of 16 (7×7 maps: 49) are
 * dot products over K rather than a mostly empty vector.
 */
#include "kernels/gemm.h"

#include "cpu.h"

#include <stdint.h>

/* A micro-tile is 6 rows × 32 columns (12 accumulators, 2 X vectors and a broadcast weight
 * fit the 32 registers with room to spare), or GEMM_ROWS rows × 16 columns for a last panel
 * only one vector wide. */
#define GEMM_ROWS 12
#define GEMM_COLS 32
/* K slice: a KC × 32 panel of X is 16 KiB, half of L1. */
#define GEMM_KC 128
/* Tail columns computed as dot products, and the K chunk they are gathered in (4 columns of
 * GEMV_CHUNK fill the panel buffer). */
#define GEMV_MAX_COLS 4
#define GEMV_CHUNK (GEMM_KC * GEMM_COLS / GEMV_MAX_COLS)

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include "avx512.h"

typedef struct {
  const float *bias, *sum;
  cnn_activation act;
  float alpha, beta;
} epilogue;


/* One micro-tile: rows [0, R) of w (row stride ldw) times the packed kc × 16·V panel x, y's
 * columns masked by m0, m1. The first K slice starts from bias + residual, later ones from
 * what the previous slice stored; the last one applies the activation. R and V are constants
 * at every call, so the loops over them unroll and the accumulators stay in registers. */
AVX512 INLINE void
micro_tile (int R, int V, int64_t kc, const float *w, int64_t ldw, const float *x, float *y,
    int64_t ldy, int64_t row0, __mmask16 m0, __mmask16 m1, bool first, bool last,
    const epilogue *e, bool act_here)
{
  __m512 acc[GEMM_ROWS][2];
  const __mmask16 mask[2] = { m0, m1 };

  _Pragma ("GCC unroll 12")
  for (int r = 0; r < R; r++)
    _Pragma ("GCC unroll 2")
    for (int v = 0; v < V; v++) {
      if (first) {
        acc[r][v] = _mm512_set1_ps (e->bias != NULL ? e->bias[row0 + r] : 0.0f);
        if (e->sum != NULL)
          acc[r][v] = _mm512_add_ps (acc[r][v],
              _mm512_maskz_loadu_ps (mask[v], e->sum + r * ldy + 16 * v));
      } else {
        acc[r][v] = _mm512_maskz_loadu_ps (mask[v], y + r * ldy + 16 * v);
      }
    }
  for (int64_t k = 0; k < kc; k++) {
    __m512 xv[2];
    _Pragma ("GCC unroll 2")
    for (int v = 0; v < V; v++)
      xv[v] = _mm512_load_ps (x + k * 16 * V + 16 * v);
    _Pragma ("GCC unroll 12")
    for (int r = 0; r < R; r++) {
      __m512 wb = _mm512_set1_ps (w[r * ldw + k]);
      _Pragma ("GCC unroll 2")
      for (int v = 0; v < V; v++)
        acc[r][v] = _mm512_fmadd_ps (wb, xv[v], acc[r][v]);
    }
  }
  _Pragma ("GCC unroll 12")
  for (int r = 0; r < R; r++)
    _Pragma ("GCC unroll 2")
    for (int v = 0; v < V; v++) {
      if (last && act_here)
        acc[r][v] = activate16 (acc[r][v], e->act, e->alpha, e->beta);
      _mm512_mask_storeu_ps (y + r * ldy + 16 * v, mask[v], acc[r][v]);
    }
}

#define MICRO(R, V) \
  micro_tile (R, V, kc, w, ldw, x, y, ldy, row0, m0, m1, first, last, &ei, act_here)

/* Micro-tiles of r rows (6 at most) × 32 columns, and r rows (12 at most) × 16 columns:
 * one unrolled copy per row count. */
AVX512 static void
gemm_tile2 (int64_t r, int64_t kc, const float *w, int64_t ldw, const float *x, float *y, int64_t ldy,
    int64_t row0, __mmask16 m0, __mmask16 m1, bool first, bool last, const epilogue *e,
    const float *sum, bool act_here)
{
  epilogue ei = *e;

  ei.sum = sum;
  switch (r) {
    case 6: MICRO (6, 2); break;
    case 5: MICRO (5, 2); break;
    case 4: MICRO (4, 2); break;
    case 3: MICRO (3, 2); break;
    case 2: MICRO (2, 2); break;
    default: MICRO (1, 2); break;
  }
}

AVX512 static void
gemm_tile1 (int64_t r, int64_t kc, const float *w, int64_t ldw, const float *x, float *y, int64_t ldy,
    int64_t row0, __mmask16 m0, bool first, bool last, const epilogue *e, const float *sum,
    bool act_here)
{
  epilogue ei = *e;
  __mmask16 m1 = 0;

  ei.sum = sum;
  switch (r) {
    case 12: MICRO (12, 1); break;
    case 11: MICRO (11, 1); break;
    case 10: MICRO (10, 1); break;
    case 9: MICRO (9, 1); break;
    case 8: MICRO (8, 1); break;
    case 7: MICRO (7, 1); break;
    case 6: MICRO (6, 1); break;
    case 5: MICRO (5, 1); break;
    case 4: MICRO (4, 1); break;
    case 3: MICRO (3, 1); break;
    case 2: MICRO (2, 1); break;
    default: MICRO (1, 1); break;
  }
}

/* Rows [0, R) of y's T tail columns: dot products of W's rows with the gathered columns
 * xc (stride GEMV_CHUNK), vectorised over the kc values of K from k0. R and T are constants
 * at every call: R·T accumulators in registers, each W vector feeding T of them. */
AVX512 INLINE void
gemv_block (int R, int T, int64_t kc, const float *w, int64_t ldw, const float *xc,
    float *y, int64_t ldy, int64_t row0, bool first, bool last, const epilogue *e,
    const float *sum, bool act_here)
{
  __m512 acc[4][GEMV_MAX_COLS];

  _Pragma ("GCC unroll 4")
  for (int r = 0; r < R; r++)
    _Pragma ("GCC unroll 4")
    for (int c = 0; c < T; c++)
      acc[r][c] = _mm512_setzero_ps ();
  for (int64_t kk = 0; kk < kc; kk += 16) {
    __mmask16 mask = kc - kk >= 16 ? 0xffff : (__mmask16) ((1u << (kc - kk)) - 1);
    _Pragma ("GCC unroll 4")
    for (int r = 0; r < R; r++) {
      __m512 wv = _mm512_maskz_loadu_ps (mask, w + r * ldw + kk);
      _Pragma ("GCC unroll 4")
      for (int c = 0; c < T; c++)
        acc[r][c] = _mm512_fmadd_ps (wv, _mm512_load_ps (xc + c * GEMV_CHUNK + kk),
            acc[r][c]);
    }
  }
  _Pragma ("GCC unroll 4")
  for (int r = 0; r < R; r++)
    _Pragma ("GCC unroll 4")
    for (int c = 0; c < T; c++) {
      float v = _mm512_reduce_add_ps (acc[r][c]);
      float *yp = y + r * ldy + c;
      if (first)
        v += (e->bias != NULL ? e->bias[row0 + r] : 0.0f)
            + (sum != NULL ? sum[r * ldy + c] : 0.0f);
      else
        v += *yp;
      if (last && act_here)
        v = cnn_activate (v, e->act, e->alpha, e->beta);
      *yp = v;
    }
}

#define GEMV(R, T) \
  gemv_block (R, T, kc, w + i * ldw + k0, ldw, buf, y + i * ldy, ldy, i, first, last, e, \
      sum != NULL ? sum + i * ldy : NULL, act_here)

/* The last `tail` (≤ GEMV_MAX_COLS) columns of y, in K chunks of GEMV_CHUNK: each chunk of
 * the columns is gathered (zero-padded to whole vectors) into buf, GEMM_KC · GEMM_COLS
 * floats. */
AVX512 static void
gemv_tail (int64_t m, int64_t tail, int64_t k, const float *w, int64_t ldw, const float *x,
    int64_t ldx, float *y, int64_t ldy, const epilogue *e, const float *sum, bool act_here,
    float *buf)
{
  for (int64_t k0 = 0; k0 < k; k0 += GEMV_CHUNK) {
    int64_t kc = k - k0 < GEMV_CHUNK ? k - k0 : GEMV_CHUNK;
    bool first = k0 == 0, last = k0 + kc == k;
    for (int64_t c = 0; c < tail; c++) {
      float *dst = buf + c * GEMV_CHUNK;
      for (int64_t kk = 0; kk < kc; kk++)
        dst[kk] = x[(k0 + kk) * ldx + c];
      for (int64_t kk = kc; kk % 16 != 0; kk++)
        dst[kk] = 0.0f;
    }
    int64_t i = 0;
    for (; i + 4 <= m; i += 4)
      switch (tail) {
        case 4: GEMV (4, 4); break;
        case 3: GEMV (4, 3); break;
        case 2: GEMV (4, 2); break;
        default: GEMV (4, 1); break;
      }
    for (; i < m; i++)
      switch (tail) {
        case 4: GEMV (1, 4); break;
        case 3: GEMV (1, 3); break;
        case 2: GEMV (1, 2); break;
        default: GEMV (1, 1); break;
      }
  }
}

AVX512 static void
gemm_avx512 (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw, const float *x,
    int64_t ldx, float *y, int64_t ldy, const epilogue *e)
{
  bool act_here = activation_in_registers (e->act);
  float panel[GEMM_KC * GEMM_COLS] __attribute__ ((aligned (64)));
  /* A few columns past a multiple of 16 (7×7 maps: 49 = 3 · 16 + 1) would fill a vector
   * of their own; dot products over K waste nothing on them. */
  int64_t tail = n > 16 && n % 16 <= GEMV_MAX_COLS ? n % 16 : 0;
  int64_t nm = n - tail;

  /* K slices of equal length (147 = 74 + 73, not 128 + 19): a short last slice would pay
   * each micro-tile's accumulator loads and stores for little work. */
  int64_t slices = (k + GEMM_KC - 1) / GEMM_KC, step = (k + slices - 1) / slices;
  for (int64_t k0 = 0; k0 < k; k0 += step) {
    int64_t kc = k - k0 < step ? k - k0 : step;
    bool first = k0 == 0, last = k0 + kc == k;
    for (int64_t j = 0; j < nm; j += GEMM_COLS) {
      int64_t cols = nm - j < GEMM_COLS ? nm - j : GEMM_COLS;
      __mmask16 m0 = (__mmask16) (cols >= 16 ? 0xffff : (1u << cols) - 1);
      __mmask16 m1 = (__mmask16) (cols >= 32 ? 0xffff : cols > 16 ? (1u << (cols - 16)) - 1 : 0);
      /* A last panel of 16 columns or fewer is one vector wide, with twice the rows. */
      int vecs = cols > 16 ? 2 : 1;
      /* Rows of X are whole input planes apart: gathering the slice into a contiguous
       * panel keeps it in L1 and within a few pages for all the row blocks that reuse it. */
      const float *xs = x + k0 * ldx + j;
      for (int64_t kk = 0; kk < kc; kk++) {
        _mm512_store_ps (panel + kk * 16 * vecs, _mm512_maskz_loadu_ps (m0, xs + kk * ldx));
        if (vecs == 2)
          _mm512_store_ps (panel + kk * 32 + 16, _mm512_maskz_loadu_ps (m1, xs + kk * ldx + 16));
      }
      for (int64_t i = 0; i < m; i += GEMM_ROWS) {
        int64_t r = m - i < GEMM_ROWS ? m - i : GEMM_ROWS;
        if (vecs == 2) {
          /* 6 × 32 tiles: 12 accumulators each. */
          for (int64_t h = 0; h < r; h += 6)
            gemm_tile2 (r - h < 6 ? r - h : 6, kc, w + (i + h) * ldw + k0, ldw, panel,
                y + (i + h) * ldy + j, ldy, i + h, m0, m1, first, last, e,
                e->sum != NULL ? e->sum + (i + h) * ldy + j : NULL, act_here);
        } else {
          gemm_tile1 (r, kc, w + i * ldw + k0, ldw, panel, y + i * ldy + j, ldy, i, m0, first, last,
              e, e->sum != NULL ? e->sum + i * ldy + j : NULL, act_here);
        }
      }
    }
  }
  if (tail > 0)
    gemv_tail (m, tail, k, w, ldw, x + nm, ldx, y + nm, ldy, e,
        e->sum != NULL ? e->sum + nm : NULL, act_here, panel);
  if (!act_here)
    for (int64_t i = 0; i < m; i++)
      cnn_activate_array (y + i * ldy, (size_t) n, 0.0f, e->act, e->alpha, e->beta);
}

bool
cnn_gemm_fused_available (void)
{
  return cnn_cpu_has_avx512 ();
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
