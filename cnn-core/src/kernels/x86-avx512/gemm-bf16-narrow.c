/* gemm-bf16-narrow.c — the bfloat16 GEMM of convolutions with few output columns, vectors
 * along M.
 *
 * cnn_gemm_bf16 puts 32 output columns in a tile's two vectors: on the 7×7 and 14×14 maps of
 * late layers a call has 49 columns (or 196 cut into 49s), so a quarter of every vdpbf16ps is
 * masked off. Here a vector holds 16 output channels instead, each column's X pair is a
 * broadcast, and a tile is 32 channels by up to 12 columns (24 accumulators) whatever n is.
 *
 * W comes packed once by cnn_gemm_bf16_narrow_pack: rows in blocks of 16, and in a block, for
 * each K pair p, the 16 rows' pairs side by side (one vector). X is packed per call into the
 * caller's scratch, column tile by column tile: tile t's pair p of its column r at
 * panel[t's start · pairs + p · R_t + r] — whole (cnn_gemm_bf16_narrow) or a band of K rows at
 * a time (cnn_gemm_bf16_narrow_pack_x, so that im2col can hand its patches over in small
 * pieces). K is never sliced: the accumulators live across all of K and meet Y once,
 * transposed to rows in registers. ResNet-50 layer4 (K 2048 and 4608 on 49 columns), 1 thread
 * Zen 4: 85 → 105 GMAC/s per GEMM.
 */
#include "kernels/gemm.h"

#include <stdint.h>

/* Columns per tile at most: 2 × 12 accumulators, 2 W vectors and a broadcast in 32 zmm. */
#define NARROW_COLS 12

int64_t
cnn_gemm_bf16_narrow_scratch (int64_t n, int64_t k)
{
  /* Pairs, and the 16 words a vector store may touch past the last one. */
  return cnn_gemm_bf16_stride (k) * n + 16;
}

/* Round to nearest even, as vcvtne2ps2bf16 does (weights are finite). */
static uint32_t
bf16_bits (float f)
{
  union { float f; uint32_t u; } v = { f };
  return (v.u + 0x7fffu + ((v.u >> 16) & 1u)) >> 16;
}

/* Columns of tile t when n columns are cut into `tiles` near-equal ones: the first n % tiles
 * have one more. */
static inline int64_t
tile_cols (int64_t n, int64_t tiles, int64_t t)
{
  return n / tiles + (t < n % tiles);
}

static inline int64_t
tile_start (int64_t n, int64_t tiles, int64_t t)
{
  return t * (n / tiles) + (t < n % tiles ? t : n % tiles);
}

static inline int64_t
tile_count (int64_t n)
{
  return (n + NARROW_COLS - 1) / NARROW_COLS;
}

/* Plain loops, on every CPU: it runs once per conv at prepare. */
void
cnn_gemm_bf16_narrow_pack (int64_t m, int64_t k, const float *w, int64_t ldw, uint32_t *wb)
{
  int64_t ldwb = cnn_gemm_bf16_stride (k);

  for (int64_t i = 0; i < (m + 15) / 16 * 16; i++)
    for (int64_t p = 0; p < ldwb; p++) {
      uint32_t lo = i < m ? bf16_bits (w[i * ldw + 2 * p]) : 0u;
      uint32_t hi = i < m && 2 * p + 1 < k ? bf16_bits (w[i * ldw + 2 * p + 1]) : 0u;
      wb[i / 16 * 16 * ldwb + 16 * p + i % 16] = lo | hi << 16;
    }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 10
#include "avx512.h"

#define AVX512BF16 \
  __attribute__ ((target ("avx512f,avx512vl,avx512dq,avx512bw,avx512bf16,fma")))


/* k rows of X's columns [j0, j0 + cols) as bfloat16 pairs along K: pair p of column r at
 * panel[p · cols + r] (a zero partner past an odd k). */
AVX512BF16 static void
pack_x_tile (uint32_t *panel, const float *x, int64_t ldx, int64_t k, int64_t cols)
{
  const __mmask16 m = (__mmask16) ((1u << cols) - 1);
  /* Interleaves the low 16 words (row 2p) with the high 16 (row 2p + 1). */
  const __m512i order = _mm512_set_epi16 (31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10,
      25, 9, 24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);

  for (int64_t p = 0; 2 * p < k; p++) {
    __m512 lo = _mm512_maskz_loadu_ps (m, x + 2 * p * ldx);
    __m512 hi = 2 * p + 1 < k ? _mm512_maskz_loadu_ps (m, x + (2 * p + 1) * ldx)
        : _mm512_setzero_ps ();
    __m512i both = (__m512i) _mm512_cvtne2ps_pbh (hi, lo);
    _mm512_mask_storeu_epi32 (panel + p * cols, m, _mm512_permutexvar_epi16 (order, both));
  }
}

/* Rows [row0, row0 + 16 · V) (valid lanes in rmask[v]) by the tile's R columns, all of K.
 * The residual is transposed to columns to start the sums with bias + residual, as
 * cnn_gemm_bf16 does (the same rounding, so the same results), and the accumulators (a
 * vector per column) are transposed to rows for the store: a gather and a scatter per vector
 * instead cost ResNet-50's layer3 conv3 (K 256) a fifth of its time. */
AVX512BF16 INLINE void
narrow_tile (int R, int V, int64_t pairs, const uint32_t *w, int64_t ldwb,
    const uint32_t *panel, float *y, int64_t ldy, int64_t row0, const __mmask16 rmask[2],
    const narrow_epilogue *e)
{
  __m512 acc[NARROW_COLS][2];
  const __mmask16 cols = (__mmask16) ((1u << R) - 1);

  for (int v = 0; v < V; v++) {
    __m512 b = e->bias != NULL ? _mm512_maskz_loadu_ps (rmask[v], e->bias + row0 + 16 * v)
        : _mm512_setzero_ps ();
    if (e->sum != NULL) {
      __m512 c[16];
      _Pragma ("GCC unroll 16")
      for (int i = 0; i < 16; i++)
        c[i] = rmask[v] >> i & 1
            ? _mm512_maskz_loadu_ps (cols, e->sum + (row0 + 16 * v + i) * ldy)
            : _mm512_setzero_ps ();
      transpose16 (c);
      _Pragma ("GCC unroll 12")
      for (int r = 0; r < R; r++)
        acc[r][v] = _mm512_add_ps (b, c[r]);
    } else {
      _Pragma ("GCC unroll 12")
      for (int r = 0; r < R; r++)
        acc[r][v] = b;
    }
  }
  for (int64_t p = 0; p < pairs; p++) {
    __m512bh w0 = (__m512bh) _mm512_loadu_si512 (w + p * 16);
    __m512bh w1 = V > 1 ? (__m512bh) _mm512_loadu_si512 (w + (ldwb + p) * 16) : w0;
    _Pragma ("GCC unroll 12")
    for (int r = 0; r < R; r++) {
      __m512bh xb = (__m512bh) _mm512_set1_epi32 ((int) panel[p * R + r]);
      acc[r][0] = _mm512_dpbf16_ps (acc[r][0], w0, xb);
      if (V > 1)
        acc[r][1] = _mm512_dpbf16_ps (acc[r][1], w1, xb);
    }
  }
  /* The residual is in the sums already. */
  narrow_store_rows (R, V, acc, y, ldy, row0, rmask, NULL, e);
}

#define NARROW_CASE(R) \
  case R: \
    if (V == 2) \
      narrow_tile (R, 2, pairs, w, ldwb, panel, y, ldy, row0, rmask, e); \
    else \
      narrow_tile (R, 1, pairs, w, ldwb, panel, y, ldy, row0, rmask, e); \
    break;

AVX512BF16 static void
narrow_tiles (int R, int V, int64_t pairs, const uint32_t *w, int64_t ldwb,
    const uint32_t *panel, float *y, int64_t ldy, int64_t row0, const __mmask16 rmask[2],
    const narrow_epilogue *e)
{
  switch (R) {
    NARROW_CASE (12) NARROW_CASE (11) NARROW_CASE (10) NARROW_CASE (9) NARROW_CASE (8)
    NARROW_CASE (7) NARROW_CASE (6) NARROW_CASE (5) NARROW_CASE (4) NARROW_CASE (3)
    NARROW_CASE (2) default: NARROW_CASE (1)
  }
}

AVX512BF16 void
cnn_gemm_bf16_narrow_pack_x (int64_t n, int64_t k, int64_t k0, int64_t rows, const float *x,
    int64_t ldx, uint32_t *scratch)
{
  int64_t pairs = cnn_gemm_bf16_stride (k), tiles = tile_count (n);

  for (int64_t t = 0; t < tiles; t++) {
    int64_t j0 = tile_start (n, tiles, t), cols = tile_cols (n, tiles, t);
    pack_x_tile (scratch + j0 * pairs + k0 / 2 * cols, x + j0, ldx, rows, cols);
  }
}

AVX512BF16 void
cnn_gemm_bf16_narrow_panel (int64_t m, int64_t n, int64_t k, const uint32_t *wb, int64_t ldwb,
    const uint32_t *scratch, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta)
{
  narrow_epilogue e = { bias, sum, act, alpha, beta, activation_in_registers (act) };
  int64_t pairs = cnn_gemm_bf16_stride (k), tiles = tile_count (n);

  if (m <= 0 || n <= 0)
    return;
  /* 32 rows at a time (16 at the end), every column tile: a block of W (32 rows by K) is
   * read from memory once and from L2 for the other tiles. */
  for (int64_t i = 0; i < m; i += 32) {
    __mmask16 rmask[2];
    int V = narrow_row_masks (m - i, rmask);
    for (int64_t t = 0; t < tiles; t++) {
      int64_t j0 = tile_start (n, tiles, t);
      narrow_epilogue et = e;
      et.sum = sum != NULL ? sum + j0 : NULL;
      narrow_tiles ((int) tile_cols (n, tiles, t), V, pairs, wb + i * ldwb, ldwb,
          scratch + j0 * pairs, y + j0, ldy, i, rmask, &et);
    }
  }
  if (!e.act_here)
    cnn_activate_rows (y, m, n, ldy, act, alpha, beta);
}

#else /* no AVX512_BF16 compiler support: never chosen (cnn_gemm_bf16_available is false) */

static float
bf16_value (uint32_t h)
{
  union { uint32_t u; float f; } v = { h << 16 };
  return v.f;
}

void
cnn_gemm_bf16_narrow_pack_x (int64_t n, int64_t k, int64_t k0, int64_t rows, const float *x,
    int64_t ldx, uint32_t *scratch)
{
  int64_t pairs = cnn_gemm_bf16_stride (k), tiles = tile_count (n);

  for (int64_t t = 0; t < tiles; t++) {
    int64_t j0 = tile_start (n, tiles, t), cols = tile_cols (n, tiles, t);
    for (int64_t p = 0; 2 * p < rows; p++)
      for (int64_t r = 0; r < cols; r++) {
        uint32_t lo = bf16_bits (x[2 * p * ldx + j0 + r]);
        uint32_t hi = 2 * p + 1 < rows ? bf16_bits (x[(2 * p + 1) * ldx + j0 + r]) : 0u;
        scratch[j0 * pairs + (k0 / 2 + p) * cols + r] = lo | hi << 16;
      }
  }
}

void
cnn_gemm_bf16_narrow_panel (int64_t m, int64_t n, int64_t k, const uint32_t *wb, int64_t ldwb,
    const uint32_t *scratch, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta)
{
  int64_t pairs = cnn_gemm_bf16_stride (k), tiles = tile_count (n);

  for (int64_t t = 0; t < tiles; t++) {
    int64_t j0 = tile_start (n, tiles, t), cols = tile_cols (n, tiles, t);
    for (int64_t i = 0; i < m; i++)
      for (int64_t r = 0; r < cols; r++) {
        float acc = (bias != NULL ? bias[i] : 0.0f) + (sum != NULL ? sum[i * ldy + j0 + r]
            : 0.0f);
        for (int64_t p = 0; p < pairs; p++) {
          uint32_t w = wb[i / 16 * 16 * ldwb + 16 * p + i % 16];
          uint32_t xp = scratch[j0 * pairs + p * cols + r];
          acc += bf16_value (w & 0xffffu) * bf16_value (xp & 0xffffu)
              + bf16_value (w >> 16) * bf16_value (xp >> 16);
        }
        y[i * ldy + j0 + r] = cnn_activate (acc, act, alpha, beta);
      }
  }
}

#endif

void
cnn_gemm_bf16_narrow (int64_t m, int64_t n, int64_t k, const uint32_t *wb, int64_t ldwb,
    const float *x, int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta, uint32_t *scratch)
{
  cnn_gemm_bf16_narrow_pack_x (n, k, 0, k, x, ldx, scratch);
  cnn_gemm_bf16_narrow_panel (m, n, k, wb, ldwb, scratch, y, ldy, bias, sum, act, alpha, beta);
}
