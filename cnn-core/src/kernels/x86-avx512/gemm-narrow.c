/* gemm-narrow.c — the fp32 GEMM of convolutions on 7×7 maps, vectors along M.
 *
 * cnn_gemm_fused cuts a call's columns into 32-wide panels: 49 columns are a panel of 32,
 * one of 16 and a dot-product tail, and each block of W's rows, kept in L1, meets three
 * pieces of work too short to hide its loads. Here, as in the bf16 twin
 * (gemm-bf16-narrow.c), a vector holds 16 output channels, each column's x is a broadcast,
 * and a tile is 32 channels by up to 12 columns (24 accumulators) whatever n is: 49 columns
 * are tiles of 10, 10, 10, 10 and 9, none of them masked. W comes packed once (at prepare)
 * by cnn_gemm_fused_narrow_pack, 16 rows per K step side by side, so each step reads two
 * aligned vectors. K is never sliced: the accumulators live across all of K and meet Y once,
 * transposed to rows in registers. Zen 4, 1 thread, min of 20 calls: ResNet-50 layer4
 * shapes (K 512 to 4608 on 49 columns) 44-46 -> 46-53 GMAC/s.
 */
#include "kernels/gemm.h"

#include <stdint.h>

/* Columns per tile at most: 2 × 12 accumulators, 2 W vectors and a broadcast in 32 zmm. */
#define NARROW_COLS 12

size_t
cnn_gemm_fused_narrow_scratch (int64_t n, int64_t k)
{
  return sizeof (float) * (size_t) (n * k);
}

/* Plain loops, on every CPU: they run once per conv at prepare. */
void
cnn_gemm_fused_narrow_pack (int64_t m, int64_t k, const float *w, int64_t ldw, float *wb)
{
  for (int64_t i = 0; i < (m + 15) / 16 * 16; i++)
    for (int64_t p = 0; p < k; p++)
      wb[i / 16 * 16 * k + 16 * p + i % 16] = i < m ? w[i * ldw + p] : 0.0f;
}

void
cnn_gemm_fused_narrow_unpack (int64_t m, int64_t k, const float *wb, float *w, int64_t ldw)
{
  for (int64_t i = 0; i < m; i++)
    for (int64_t p = 0; p < k; p++)
      w[i * ldw + p] = wb[i / 16 * 16 * k + 16 * p + i % 16];
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

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include "avx512.h"

#include "cpu.h"

/* Rows [row0, row0 + 16 · V) (valid lanes in rmask[v]) by the tile's R columns (panel: R
 * floats per step of K), all of K; then bias, residual and activation on the rows. */
AVX512 INLINE void
narrow_tile (int R, int V, int64_t k, const float *w, const float *panel, float *y,
    int64_t ldy, int64_t row0, const __mmask16 rmask[2], const narrow_epilogue *e)
{
  __m512 acc[NARROW_COLS][2];

  for (int v = 0; v < V; v++) {
    __m512 b = e->bias != NULL ? _mm512_maskz_loadu_ps (rmask[v], e->bias + row0 + 16 * v)
        : _mm512_setzero_ps ();
    _Pragma ("GCC unroll 12")
    for (int r = 0; r < R; r++)
      acc[r][v] = b;
  }
  for (int64_t p = 0; p < k; p++) {
    __m512 w0 = _mm512_load_ps (w + p * 16);
    __m512 w1 = V > 1 ? _mm512_load_ps (w + (k + p) * 16) : w0;
    _Pragma ("GCC unroll 12")
    for (int r = 0; r < R; r++) {
      __m512 xb = _mm512_set1_ps (panel[p * R + r]);
      acc[r][0] = _mm512_fmadd_ps (w0, xb, acc[r][0]);
      if (V > 1)
        acc[r][1] = _mm512_fmadd_ps (w1, xb, acc[r][1]);
    }
  }
  narrow_store_rows (R, V, acc, y, ldy, row0, rmask, e->sum, e);
}

#define NARROW_CASE(R) \
  case R: \
    if (V == 2) \
      narrow_tile (R, 2, k, w, panel, y, ldy, row0, rmask, e); \
    else \
      narrow_tile (R, 1, k, w, panel, y, ldy, row0, rmask, e); \
    break;

AVX512 static void
narrow_tiles (int R, int V, int64_t k, const float *w, const float *panel, float *y,
    int64_t ldy, int64_t row0, const __mmask16 rmask[2], const narrow_epilogue *e)
{
  switch (R) {
    NARROW_CASE (12) NARROW_CASE (11) NARROW_CASE (10) NARROW_CASE (9) NARROW_CASE (8)
    NARROW_CASE (7) NARROW_CASE (6) NARROW_CASE (5) NARROW_CASE (4) NARROW_CASE (3)
    NARROW_CASE (2) default: NARROW_CASE (1)
  }
}

bool
cnn_gemm_fused_narrow_available (void)
{
  return cnn_cpu_has_avx512 ();
}

AVX512 void
cnn_gemm_fused_narrow (int64_t m, int64_t n, int64_t k, const float *wb, const float *x,
    int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta, float *scratch)
{
  narrow_epilogue e = { bias, sum, act, alpha, beta, activation_in_registers (act) };
  int64_t tiles = (n + NARROW_COLS - 1) / NARROW_COLS;

  if (m <= 0 || n <= 0)
    return;
  /* X tile by tile, R floats per step of K: each step's broadcasts read one line. */
  for (int64_t t = 0; t < tiles; t++) {
    int64_t j0 = tile_start (n, tiles, t), cols = tile_cols (n, tiles, t);
    const __mmask16 mask = (__mmask16) ((1u << cols) - 1);
    for (int64_t p = 0; p < k; p++)
      _mm512_mask_storeu_ps (scratch + j0 * k + p * cols, mask,
          _mm512_maskz_loadu_ps (mask, x + p * ldx + j0));
  }
  /* 32 rows at a time (16 at the end), every column tile: a block of W (32 rows by K) is
   * read from memory once and from L2 for the other tiles. */
  for (int64_t i = 0; i < m; i += 32) {
    __mmask16 rmask[2];
    int V = narrow_row_masks (m - i, rmask);
    for (int64_t t = 0; t < tiles; t++) {
      int64_t j0 = tile_start (n, tiles, t);
      narrow_epilogue et = e;
      et.sum = sum != NULL ? sum + j0 : NULL;
      narrow_tiles ((int) tile_cols (n, tiles, t), V, k, wb + i * k, scratch + j0 * k,
          y + j0, ldy, i, rmask, &et);
    }
  }
  if (!e.act_here)
    cnn_activate_rows (y, m, n, ldy, act, alpha, beta);
}

#else /* not x86-64: never chosen (cnn_gemm_fused_narrow_available is false) */

bool
cnn_gemm_fused_narrow_available (void)
{
  return false;
}

void
cnn_gemm_fused_narrow (int64_t m, int64_t n, int64_t k, const float *wb, const float *x,
    int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta, float *scratch)
{
  (void) m, (void) n, (void) k, (void) wb, (void) x, (void) ldx, (void) y, (void) ldy;
  (void) bias, (void) sum, (void) act, (void) alpha, (void) beta, (void) scratch;
}

#endif
