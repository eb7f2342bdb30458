/* pointwise.c — the GEMM of 1×1 convs with few output channels, for AVX-512 CPUs: X read in
 * place, nothing packed.
 *
 * cnn_gemm_fused copies each slice of X into panels before W's rows pass over it; that copy
 * costs as much as K·N and pays off over M rows, so with the 16 to 48 output channels of the
 * projections of MobileNets and EfficientNets (M 16, 24, 32 on 56×56 and larger maps) it is a
 * large share of the call. Here a block of 48 columns of X (K rows, whole planes apart) is
 * read where it lies and stays in L1 while every group of 8 rows of W passes over it; 8 × 48
 * outputs live in 24 registers from bias and residual to activation, each output written
 * once.
 * Zen 4, 1 thread, one call with X just written by its producer (best of 300, cnn_gemm_fused
 * -> this): M 16 K 32 on 112×112 0.187 -> 0.150 ms, M 24 K 144 on 56×56 0.300 -> 0.246, M 32
 * K 192 on 28×28 0.123 -> 0.101, M 40 K 240 on 28×28 0.157 -> 0.147; even from M 48 on 14×14
 * (0.028 both) and behind from M 96 (K 16 on 112×112 0.50 against 0.50-0.68), where W's rows
 * reuse the packed panels enough. With the output lines cold (caches flushed) M 16 K 32 is
 * even (0.20 -> 0.18-0.23 ms). In MobileNetV2 (best of 8-10 alternated runs per layer): the
 * projections of features.2 to 6 (M 24 and 32) 9-13% faster, 0.08 ms in all; features.1's
 * (M 16 on 112×112) up to 20% slower, its output lines cold, until the prefetch of output
 * lines below.
 * Blocks are taken in column order and X is not prefetched: prefetching the next 96 columns of
 * all K rows at once, then writing each output row 96 columns at a time, was slower in the
 * network (MobileNetV2 1 thread, min of 20-25 alternated runs per layer: features.2's
 * projection, M 24 K 96 on 56×56, 0.159 -> 0.150 ms, features.3's, M 24 K 144 with its
 * residual, 0.243 -> 0.221; M 32 on 28×28 2-3% faster). Prefetching X row by row in the K loop
 * gained nothing.
 * The output lines are prefetched into L2 PW_AHEAD columns ahead of each block: in a network
 * they often come from memory (features.1's projection: the planner puts them where nothing ran
 * since the last inference; one call with them evicted took 0.20 ms in both kernels, 0.14 here
 * with them in L3), and write misses on M rows at once are more streams than the hardware
 * prefetchers follow. That layer 0.204 -> 0.172 ms (cnn_gemm_fused -> this, min of 30
 * alternated runs; 0.240 here without the prefetch), the expansion after it 4% faster;
 * prefetchw into L1 gained nothing, 192 columns ahead was as fast, 768 slower (0.183).
 */
#include "kernels/pointwise.h"

#include "cpu.h"

/* Rows of W per group and vectors of 16 columns per block: 24 accumulators, 3 X vectors. 6
 * rows × 64 columns, 12 × 32 and 8 × 32 were as fast or up to 10% slower on the shapes
 * above. */
#define PW_ROWS 8
#define PW_VECS 3
/* Output columns between the block being computed and the one whose lines are prefetched:
 * 8 blocks, a few microseconds of work for the lines to arrive from memory. */
#define PW_AHEAD 384

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include "avx512.h"

typedef struct {
  const float *bias;
  cnn_activation act;
  float alpha, beta;
  bool act_here;                /* the activation on registers, else after the stores */
} epilogue;

/* Rows [0, R) of y over V vectors of columns (lanes mk[v]): bias and residual, K rows of x
 * read in place, activation, one store. R and V are constants at every call, so the loops
 * over them unroll and the accumulators stay in registers. */
AVX512 INLINE void
pw_tile (int R, int V, int64_t k, const float *w, int64_t ldw, const float *x, int64_t ldx,
    float *y, const float *sum, int64_t ldy, const __mmask16 *mk, const epilogue *e,
    int64_t row0)
{
  __m512 acc[PW_ROWS][PW_VECS];

  _Pragma ("GCC unroll 8")
  for (int r = 0; r < R; r++)
    _Pragma ("GCC unroll 3")
    for (int v = 0; v < V; v++) {
      acc[r][v] = _mm512_set1_ps (e->bias != NULL ? e->bias[row0 + r] : 0.0f);
      if (sum != NULL)
        acc[r][v] = _mm512_add_ps (acc[r][v], _mm512_maskz_loadu_ps (mk[v],
                sum + r * ldy + 16 * v));
    }
  for (int64_t kk = 0; kk < k; kk++) {
    __m512 xv[PW_VECS];
    _Pragma ("GCC unroll 3")
    for (int v = 0; v < V; v++)
      xv[v] = _mm512_maskz_loadu_ps (mk[v], x + kk * ldx + 16 * v);
    _Pragma ("GCC unroll 8")
    for (int r = 0; r < R; r++) {
      __m512 wb = _mm512_set1_ps (w[r * ldw + kk]);
      _Pragma ("GCC unroll 3")
      for (int v = 0; v < V; v++)
        acc[r][v] = _mm512_fmadd_ps (wb, xv[v], acc[r][v]);
    }
  }
  _Pragma ("GCC unroll 8")
  for (int r = 0; r < R; r++)
    _Pragma ("GCC unroll 3")
    for (int v = 0; v < V; v++) {
      if (e->act_here)
        acc[r][v] = activate16 (acc[r][v], e->act, e->alpha, e->beta);
      _mm512_mask_storeu_ps (y + r * ldy + 16 * v, mk[v], acc[r][v]);
    }
}

#define TILE(R, V) pw_tile (R, V, k, w, ldw, x, ldx, y, sum, ldy, mk, e, row0)
#define TILE_ROWS(V) \
  switch (r) { \
    case 8: TILE (8, V); break; \
    case 7: TILE (7, V); break; \
    case 6: TILE (6, V); break; \
    case 5: TILE (5, V); break; \
    case 4: TILE (4, V); break; \
    case 3: TILE (3, V); break; \
    case 2: TILE (2, V); break; \
    default: TILE (1, V); break; \
  }

/* One group of r (≤ PW_ROWS) rows over one block of up to 16 · PW_VECS columns: one unrolled
 * copy per row count and vector count. */
AVX512 static void
pw_group (int64_t r, int vecs, int64_t k, const float *w, int64_t ldw, const float *x,
    int64_t ldx, float *y, const float *sum, int64_t ldy, const __mmask16 *mk,
    const epilogue *e, int64_t row0)
{
  if (vecs == 3)
    TILE_ROWS (3)
  else if (vecs == 2)
    TILE_ROWS (2)
  else
    TILE_ROWS (1)
}

AVX512 static void
pointwise_avx512 (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw,
    const float *x, int64_t ldx, float *y, int64_t ldy, const float *sum, const epilogue *e)
{
  /* Groups of equal height (24 rows: 8, 8, 8; 20: 7, 7, 6), not a short last one. */
  int64_t groups = (m + PW_ROWS - 1) / PW_ROWS, rows = (m + groups - 1) / groups;
  const int64_t tile = 16 * PW_VECS;

  for (int64_t j = 0; j < n; j += tile) {
    int64_t cols = n - j < tile ? n - j : tile;
    __mmask16 mk[PW_VECS];
    for (int v = 0; v < PW_VECS; v++)
      mk[v] = lanes (0, cols - 16 * v);
    /* Into L2: a read prefetch of a line no other core holds leaves it writable. */
    if (j + PW_AHEAD < n)
      for (int64_t i = 0; i < m; i++)
        for (int v = 0; v < PW_VECS; v++)
          _mm_prefetch ((const char *) (y + i * ldy + j + PW_AHEAD + 16 * v), _MM_HINT_T1);
    for (int64_t i = 0; i < m; i += rows) {
      int64_t r = m - i < rows ? m - i : rows;
      pw_group (r, (int) ((cols + 15) / 16), k, w + i * ldw, ldw, x + j, ldx,
          y + i * ldy + j, sum != NULL ? sum + i * ldy + j : NULL, ldy, mk, e, i);
    }
  }
  if (!e->act_here)
    cnn_activate_rows (y, m, n, ldy, e->act, e->alpha, e->beta);
}

bool
cnn_pointwise_available (void)
{
  return cnn_cpu_has_avx512 ();
}

void
cnn_pointwise (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw, const float *x,
    int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta)
{
  epilogue e = { bias, act, alpha, beta, activation_in_registers (act) };

  if (m > 0 && n > 0)
    pointwise_avx512 (m, n, k, w, ldw, x, ldx, y, ldy, sum, &e);
}

#else /* not x86-64: cnn_pointwise_available is false there */

bool
cnn_pointwise_available (void)
{
  return false;
}

void
cnn_pointwise (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw, const float *x,
    int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta)
{
  (void) m, (void) n, (void) k, (void) w, (void) ldw, (void) x, (void) ldx, (void) y;
  (void) ldy, (void) bias, (void) sum, (void) act, (void) alpha, (void) beta;
}

#endif
