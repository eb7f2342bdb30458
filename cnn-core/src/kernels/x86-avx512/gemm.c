/* gemm.c — the GEMM of convolutions, with their epilogue, for AVX-512 CPUs.
 *
 * Conv's GEMMs are small and oddly shaped: Y[M, N] = W[M, K] · X[K, N] with K as small as 16
 * (MobileNet's pointwise convs) or 27 (a stem), N a few dozen to a few thousand output
 * positions. OpenBLAS packs both operands for every call, which costs as much as the
 * arithmetic when K is small, and leaves bias, residual and activation to further passes
 * over the output. Here W is broadcast one weight at a time, and a block of Y lives in
 * registers from its bias and residual to its activation: each output is written once.
 * cnn_gemm_fused reads W in place (ONNX layout, any W: 6 × 32 blocks of Y in twelve
 * registers, as its row pointers fill the general ones); cnn_gemm_fused_packed reads W that
 * Conv packed once at prepare, 12 rows side by side per K step (one pointer: 12 × 32 blocks
 * in 24 registers, each X vector feeding twice as many FMAs).
 *
 * Blocking (Goto's order): K in equal slices of at most KC; up to NC columns of a slice of X
 * (with more than 64 rows of W, as many as KC × NC floats hold) are copied into panels of 32
 * columns (its rows are whole input planes apart, which L1 and the prefetchers handle
 * badly; with K ≥ M, by the first block of W's rows as it computes), then each block of 12
 * rows of W, read once from memory and kept in L1, passes over all of those panels. Columns
 * past N are masked, never read. A last 1–4 columns past a multiple of 16 (7×7 maps: 49,
 * 14×14: 196) are dot products rather than a mostly empty vector.
 *
 * In a network W, X, the residual and the output lines come from L3 or memory, not the L1 or
 * L2 a lone GEMM benchmark sees (the reason ResNet-50's 1×1 convs ran at 34–42 GMAC/s in the
 * network but 52–55 alone): the next row block's W, the next slice of X and the next tile's
 * residual and output are prefetched. Zen 4, 1 thread, caches flushed before each call:
 * ResNet-50 layer1 conv3 (64 → 256 + residual) 29 → 40 GMAC/s, layer4 conv3 (7×7 maps)
 * 40 → 46 GMAC/s; with the wider Conv tiles, the whole network 1.16 → 0.98 × ONNX Runtime's
 * CPU time at 1 thread.
 */
#include "kernels/gemm.h"

#include "common.h"
#include "cpu.h"

#include <stdint.h>

/* A micro-tile is 6 rows × 32 columns (12 accumulators, 2 X vectors and a broadcast weight
 * fit the 32 registers with room to spare), or GEMM_ROWS rows × 16 columns for a last panel
 * only one vector wide. */
#define GEMM_ROWS 12
#define GEMM_COLS 32
/* K slice and columns packed per slice: KC × NC of X is 256 KiB (in the scratch), in L2 while
 * every block of W's rows passes over it, and a block of 12 rows of W (24 KiB) stays in L1.
 * Slices of 256 rather than 128 reload each output half as often: ResNet-50's layer3 and
 * layer4 1×1 convs 2–4% faster on Zen 4. Of 512 rather than 256 (with the wider chunks
 * below): ResNet-50 0.987–0.999× the time (sum of layer minimums, both versions alternated
 * run by run in one process, three runs; KC 768 the same), GoogLeNet, MobileNetV2 0.994,
 * SqueezeNet 0.982, EfficientNet-B0 0.996, ResNet-18 1.000. */
#define GEMM_KC 512
#define GEMM_NC 128
/* ... or, for calls of more rows than this, as many columns as KC × NC floats hold for the
 * call's K slice (K 16: 4096, K 64: 1024; from K 512, NC): each block of W's rows then writes
 * longer rows of output, streams the prefetchers follow. Measured with KC 256 (half these
 * widths), Zen 4, 1 thread, the two versions alternated run by run in one process, best of
 * 30-60 runs per layer: ResNet-50's conv3
 * (+ residual) 0.97-0.99× the time, the 16 → 96 expansion on 112×112 of EfficientNet-B0 and
 * MobileNetV2 0.94 and 0.90× (kernel alone, caches flushed: 0.85×); whole networks (sum of
 * layer minimums) ResNet-50 0.96-1.00 (three runs), GoogLeNet 0.99, EfficientNet-B0 0.97-1.02
 * (three), ResNet-18, MobileNetV2, MobileNetV3-small, SqueezeNet 1.00. With 64 rows or fewer,
 * where 128 columns of X stay in L1 from one block of rows to the next, it lost: GoogLeNet's
 * conv2 (64 rows, K 64) 1.04×, MobileNetV2's 32 → 16 on 112×112 1.09×. */
#define GEMM_WIDE_MIN_ROWS 64
/* Tail columns computed as dot products, gathered KC at a time. */
#define GEMV_MAX_COLS 4

size_t
cnn_gemm_fused_scratch (void)
{
  return sizeof (float) * (GEMM_KC * GEMM_NC + GEMV_MAX_COLS * GEMM_KC + GEMM_ROWS * GEMM_KC);
}

void
cnn_gemm_fused_pack (int64_t m, int64_t k, const float *w, int64_t ldw, float *wp)
{
  for (int64_t i0 = 0; i0 < m; i0 += GEMM_ROWS) {
    int64_t rb = cnn_min64 (GEMM_ROWS, m - i0);
    for (int64_t kk = 0; kk < k; kk++)
      for (int64_t r = 0; r < rb; r++)
        wp[i0 * k + kk * rb + r] = w[(i0 + r) * ldw + kk];
  }
}

void
cnn_gemm_fused_unpack (int64_t m, int64_t k, const float *wp, float *w, int64_t ldw)
{
  for (int64_t i0 = 0; i0 < m; i0 += GEMM_ROWS) {
    int64_t rb = cnn_min64 (GEMM_ROWS, m - i0);
    for (int64_t kk = 0; kk < k; kk++)
      for (int64_t r = 0; r < rb; r++)
        w[(i0 + r) * ldw + kk] = wp[i0 * k + kk * rb + r];
  }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include "avx512.h"

typedef struct {
  const float *bias, *sum;
  cnn_activation act;
  float alpha, beta;
} epilogue;

/* W packed by cnn_gemm_fused_pack (m rows), of which a call computes rows from row0. */
typedef struct {
  const float *w;
  int64_t m, row0;
} packed_rows;

/* The rows of the packed block holding row g: 12, or fewer in the last. */
static inline int64_t
packed_block_rows (const packed_rows *pw, int64_t g)
{
  return cnn_min64 (GEMM_ROWS, pw->m - g / GEMM_ROWS * GEMM_ROWS);
}

/* Where the packed block holding row g starts: whole blocks of GEMM_ROWS × k before it. */
static inline const float *
packed_block (const packed_rows *pw, int64_t g, int64_t k)
{
  return pw->w + g / GEMM_ROWS * GEMM_ROWS * k;
}


/* One micro-tile: rows [0, R) of w (row stride ldw) times the packed kc × 16·V panel x, y's
 * columns masked by m0, m1. The first K slice starts from bias + residual, later ones from
 * what the previous slice stored; the last one applies the activation. With xs, the panel
 * is read from X in place (row stride ldxs, columns past the masks as zeros) and stored into
 * x on the way. R and V are constants at every call, so the loops over them unroll and the
 * accumulators stay in registers. */
AVX512 INLINE void
micro_tile (int R, int V, bool P, int64_t kc, const float *w, int64_t ldw, const float *x,
    float *y, int64_t ldy, int64_t row0, __mmask16 m0, __mmask16 m1, bool first, bool last,
    const epilogue *e, bool act_here, const float *pf, int64_t pf_rows, int64_t ldp,
    const float *xs, int64_t ldxs)
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
  /* The next tile along the rows (32 columns on): its residual, and its output lines for
   * writing, which come from L3 or memory in a network (later K slices find them in L2). */
  if (V == 2 && first)
    _Pragma ("GCC unroll 12")
    for (int r = 0; r < R; r++) {
      if (e->sum != NULL) {
        _mm_prefetch ((const char *) (e->sum + r * ldy + 32), _MM_HINT_T0);
        _mm_prefetch ((const char *) (e->sum + r * ldy + 48), _MM_HINT_T0);
      }
      _mm_prefetch ((const char *) (y + r * ldy + 32), _MM_HINT_ET0);
      _mm_prefetch ((const char *) (y + r * ldy + 48), _MM_HINT_ET0);
    }
  for (int64_t k = 0; k < kc; k++) {
    __m512 xv[2];
    /* A cache line of each of the next block's W rows every 16 steps (packed: the
     * pf_rows lines those 16 steps of the next block take). */
    if (pf != NULL && (k & 15) == 0)
      for (int64_t r = 0; r < pf_rows; r++)
        _mm_prefetch ((const char *) (P ? pf + k * pf_rows + 16 * r : pf + r * ldp + k),
            _MM_HINT_T0);
    _Pragma ("GCC unroll 2")
    for (int v = 0; v < V; v++) {
      if (xs != NULL) {
        xv[v] = _mm512_maskz_loadu_ps (mask[v], xs + k * ldxs + 16 * v);
        _mm512_store_ps ((float *) x + k * 16 * V + 16 * v, xv[v]);
      } else {
        xv[v] = _mm512_load_ps (x + k * 16 * V + 16 * v);
      }
    }
    _Pragma ("GCC unroll 12")
    for (int r = 0; r < R; r++) {
      __m512 wb = _mm512_set1_ps (P ? w[r + k * ldw] : w[r * ldw + k]);
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
  if (pf != NULL && !P)
    for (int64_t r = 0; r < pf_rows; r++)
      _mm_prefetch ((const char *) (pf + r * ldp + kc - 1), _MM_HINT_T0);
}

#define MICRO(R, V, P) \
  micro_tile (R, V, P, kc, w, ldw, x, y, ldy, row0, m0, m1, first, last, &ei, act_here, pf, \
      pf_rows, ldp, NULL, 0)
#define MICRO_PACK(R, V, P) \
  micro_tile (R, V, P, kc, w, ldw, x, y, ldy, row0, m0, m1, first, last, &ei, act_here, pf, \
      pf_rows, ldp, xs, ldxs)
/* One case per row count: up to 6 rows, or 7 to 12 (W in ONNX layout). */
#define ROWS_UP_TO_6(MAC, V, P) \
  case 6: MAC (6, V, P); return; \
  case 5: MAC (5, V, P); return; \
  case 4: MAC (4, V, P); return; \
  case 3: MAC (3, V, P); return; \
  case 2: MAC (2, V, P); return; \
  default: MAC (1, V, P); return;
#define ROWS_7_TO_12(MAC, V, P) \
  case 12: MAC (12, V, P); return; \
  case 11: MAC (11, V, P); return; \
  case 10: MAC (10, V, P); return; \
  case 9: MAC (9, V, P); return; \
  case 8: MAC (8, V, P); return; \
  case 7: MAC (7, V, P); return;

/* Micro-tiles of r rows (6 at most) × 32 columns, and r rows (12 at most) × 16 columns:
 * one unrolled copy per row count. */
AVX512 static void
gemm_tile2 (int64_t r, int64_t kc, const float *w, int64_t ldw, const float *x, float *y,
    int64_t ldy, int64_t row0, __mmask16 m0, __mmask16 m1, bool first, bool last,
    const epilogue *e, const float *sum, bool act_here, const float *pf, int64_t pf_rows,
    int64_t ldp, const float *xs, int64_t ldxs)
{
  epilogue ei = *e;

  ei.sum = sum;
  if (xs != NULL)
    switch (r) { ROWS_UP_TO_6 (MICRO_PACK, 2, false) }
  else
    switch (r) { ROWS_UP_TO_6 (MICRO, 2, false) }
}

AVX512 static void
gemm_tile1 (int64_t r, int64_t kc, const float *w, int64_t ldw, const float *x, float *y,
    int64_t ldy, int64_t row0, __mmask16 m0, bool first, bool last, const epilogue *e,
    const float *sum, bool act_here, const float *pf, int64_t pf_rows, int64_t ldp,
    const float *xs, int64_t ldxs)
{
  epilogue ei = *e;
  __mmask16 m1 = 0;

  ei.sum = sum;
  if (xs != NULL)
    switch (r) { ROWS_7_TO_12 (MICRO_PACK, 1, false) ROWS_UP_TO_6 (MICRO_PACK, 1, false) }
  else
    switch (r) { ROWS_7_TO_12 (MICRO, 1, false) ROWS_UP_TO_6 (MICRO, 1, false) }
}

/* The same with W packed (cnn_gemm_fused_pack: rows side by side, K steps ldw apart), 12
 * rows × 32 columns: 24 accumulators, each X vector feeding twice as many FMAs as in 6-row
 * tiles, whose row pointers already fill the general registers in ONNX layout. Fewer rows (a
 * last block, a thread's share starting inside one) as tiles of at most 6: a copy per row
 * count from 7 to 11 too made gemm.c take over 10 minutes to compile with clang's
 * sanitizers (tests/fuzz). */
AVX512 static void
gemm_tile2_packed (int64_t r, int64_t kc, const float *w, int64_t ldw, const float *x,
    float *y, int64_t ldy, int64_t row0, __mmask16 m0, __mmask16 m1, bool first, bool last,
    const epilogue *e, const float *sum, bool act_here, const float *pf, int64_t pf_rows,
    int64_t ldp, const float *xs, int64_t ldxs)
{
  epilogue ei = *e;

  if (r > 6 && r < 12) {
    gemm_tile2_packed (6, kc, w, ldw, x, y, ldy, row0, m0, m1, first, last, e, sum, act_here,
        pf, pf_rows, ldp, xs, ldxs);
    gemm_tile2_packed (r - 6, kc, w + 6, ldw, x, y + 6 * ldy, ldy, row0 + 6, m0, m1, first,
        last, e, sum != NULL ? sum + 6 * ldy : NULL, act_here, NULL, 0, ldp, NULL, ldxs);
    return;
  }
  ei.sum = sum;
  if (xs != NULL)
    switch (r) { case 12: MICRO_PACK (12, 2, true); return; ROWS_UP_TO_6 (MICRO_PACK, 2, true) }
  else
    switch (r) { case 12: MICRO (12, 2, true); return; ROWS_UP_TO_6 (MICRO, 2, true) }
}

AVX512 static void
gemm_tile1_packed (int64_t r, int64_t kc, const float *w, int64_t ldw, const float *x,
    float *y, int64_t ldy, int64_t row0, __mmask16 m0, bool first, bool last,
    const epilogue *e, const float *sum, bool act_here, const float *pf, int64_t pf_rows,
    int64_t ldp, const float *xs, int64_t ldxs)
{
  epilogue ei = *e;
  __mmask16 m1 = 0;

  if (r > 6 && r < 12) {
    gemm_tile1_packed (6, kc, w, ldw, x, y, ldy, row0, m0, first, last, e, sum, act_here, pf,
        pf_rows, ldp, xs, ldxs);
    gemm_tile1_packed (r - 6, kc, w + 6, ldw, x, y + 6 * ldy, ldy, row0 + 6, m0, first, last,
        e, sum != NULL ? sum + 6 * ldy : NULL, act_here, NULL, 0, ldp, NULL, ldxs);
    return;
  }
  ei.sum = sum;
  if (xs != NULL)
    switch (r) { case 12: MICRO_PACK (12, 1, true); return; ROWS_UP_TO_6 (MICRO_PACK, 1, true) }
  else
    switch (r) { case 12: MICRO (12, 1, true); return; ROWS_UP_TO_6 (MICRO, 1, true) }
}

/* Rows [0, R) of y's T tail columns: dot products of W's rows with the gathered columns
 * xc (stride GEMM_KC), vectorised over the kc values of K from k0. R and T are constants
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
        acc[r][c] = _mm512_fmadd_ps (wv, _mm512_load_ps (xc + c * GEMM_KC + kk),
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
  gemv_block (R, T, kc, w + i * ldw, ldw, xc, y + i * ldy, ldy, row0 + i, first, last, e, \
      sum != NULL ? sum + i * ldy : NULL, act_here)

/* Rows [0, r) of the `tail` (≤ GEMV_MAX_COLS) last columns of y for one K slice, from the
 * columns pack_tails gathered. */
AVX512 static void
gemv_rows (int64_t r, int64_t tail, int64_t kc, const float *w, int64_t ldw, const float *xc,
    float *y, int64_t ldy, int64_t row0, bool first, bool last, const epilogue *e,
    const float *sum, bool act_here)
{
  int64_t i = 0;
  for (; i + 4 <= r; i += 4)
    switch (tail) {
      case 4: GEMV (4, 4); break;
      case 3: GEMV (4, 3); break;
      case 2: GEMV (4, 2); break;
      default: GEMV (4, 1); break;
    }
  for (; i < r; i++)
    switch (tail) {
      case 4: GEMV (1, 4); break;
      case 3: GEMV (1, 3); break;
      case 2: GEMV (1, 2); break;
      default: GEMV (1, 1); break;
    }
}

/* gemv_rows with W packed (cnn_gemm_fused_pack): rows [0, r) of a block whose K step kk is
 * the r ≤ 16 values at w + kk · ldk, one vector, so vectors run along M here: each feeds T
 * accumulators, one per column, transposed to y's rows through memory at the end. Four sums
 * per column (K steps mod 4) keep the FMAs' latency hidden; with one, the 4-column tail of
 * 14×14 maps cost 5% of ResNet-50's layer3 1×1 convs. T is a constant at every call. */
AVX512 INLINE void
gemv_packed_block (int T, int64_t r, int64_t kc, const float *w, int64_t ldk, const float *xc,
    float *y, int64_t ldy, int64_t row0, bool first, bool last, const epilogue *e,
    const float *sum, bool act_here)
{
  __mmask16 mr = (__mmask16) ((1u << r) - 1);
  __m512 acc[4][GEMV_MAX_COLS];
  float out[GEMV_MAX_COLS][16];

  _Pragma ("GCC unroll 4")
  for (int h = 0; h < 4; h++)
    _Pragma ("GCC unroll 4")
    for (int c = 0; c < T; c++)
      acc[h][c] = _mm512_setzero_ps ();
  int64_t kk = 0;
  for (; kk + 4 <= kc; kk += 4)
    _Pragma ("GCC unroll 4")
    for (int h = 0; h < 4; h++) {
      __m512 wv = _mm512_maskz_loadu_ps (mr, w + (kk + h) * ldk);
      _Pragma ("GCC unroll 4")
      for (int c = 0; c < T; c++)
        acc[h][c] = _mm512_fmadd_ps (wv, _mm512_set1_ps (xc[c * GEMM_KC + kk + h]),
            acc[h][c]);
    }
  for (; kk < kc; kk++) {
    __m512 wv = _mm512_maskz_loadu_ps (mr, w + kk * ldk);
    _Pragma ("GCC unroll 4")
    for (int c = 0; c < T; c++)
      acc[0][c] = _mm512_fmadd_ps (wv, _mm512_set1_ps (xc[c * GEMM_KC + kk]), acc[0][c]);
  }
  _Pragma ("GCC unroll 4")
  for (int c = 0; c < T; c++)
    _mm512_storeu_ps (out[c], _mm512_add_ps (_mm512_add_ps (acc[0][c], acc[1][c]),
            _mm512_add_ps (acc[2][c], acc[3][c])));
  for (int c = 0; c < T; c++)
    for (int64_t i = 0; i < r; i++) {
      float v = out[c][i];
      float *yp = y + i * ldy + c;
      if (first)
        v += (e->bias != NULL ? e->bias[row0 + i] : 0.0f)
            + (sum != NULL ? sum[i * ldy + c] : 0.0f);
      else
        v += *yp;
      if (last && act_here)
        v = cnn_activate (v, e->act, e->alpha, e->beta);
      *yp = v;
    }
}

#define GEMV_PACKED(T) \
  gemv_packed_block (T, r, kc, w, ldk, xc, y, ldy, row0, first, last, e, sum, act_here)

AVX512 static void
gemv_packed (int64_t r, int64_t tail, int64_t kc, const float *w, int64_t ldk, const float *xc,
    float *y, int64_t ldy, int64_t row0, bool first, bool last, const epilogue *e,
    const float *sum, bool act_here)
{
  switch (tail) {
    case 4: GEMV_PACKED (4); break;
    case 3: GEMV_PACKED (3); break;
    case 2: GEMV_PACKED (2); break;
    default: GEMV_PACKED (1); break;
  }
}

/* The kc × tail columns of x as `tail` contiguous columns of GEMM_KC floats, zero-padded to
 * whole vectors. */
static void
pack_tails (const float *x, int64_t ldx, int64_t kc, int64_t tail, float *xc)
{
  for (int64_t c = 0; c < tail; c++) {
    float *dst = xc + c * GEMM_KC;
    for (int64_t kk = 0; kk < kc; kk++)
      dst[kk] = x[kk * ldx + c];
    for (int64_t kk = kc; kk % 16 != 0; kk++)
      dst[kk] = 0.0f;
  }
}

/* The kc × nc block of x as panels of 32 columns (the last one 16 wide if it has 16 or
 * fewer), kc rows each, panel j / 32 at xp + j · kc; columns past nc are zeros. Rows of X
 * are whole input planes apart: each is read as one contiguous stream. */
AVX512 static void
pack_panels (const float *x, int64_t ldx, int64_t kc, int64_t nc, float *xp)
{
  for (int64_t kk = 0; kk < kc; kk++) {
    const float *row = x + kk * ldx;
    for (int64_t j = 0; j < nc; j += GEMM_COLS) {
      int64_t cols = nc - j;
      __mmask16 m0 = (__mmask16) (cols >= 16 ? 0xffff : (1u << cols) - 1);
      if (cols > 16) {
        __mmask16 m1 = (__mmask16) (cols >= 32 ? 0xffff : (1u << (cols - 16)) - 1);
        _mm512_store_ps (xp + j * kc + kk * 32, _mm512_maskz_loadu_ps (m0, row + j));
        _mm512_store_ps (xp + j * kc + kk * 32 + 16, _mm512_maskz_loadu_ps (m1, row + j + 16));
      } else {
        _mm512_store_ps (xp + j * kc + kk * 16, _mm512_maskz_loadu_ps (m0, row + j));
      }
    }
  }
}

/* Rows [0, r) of w, kc values each, to dst kc apart. */
AVX512 static void
copy_rows (const float *w, int64_t ldw, int64_t r, int64_t kc, float *dst)
{
  for (int64_t i = 0; i < r; i++)
    for (int64_t kk = 0; kk < kc; kk += 16) {
      __mmask16 mk = kc - kk >= 16 ? 0xffff : (__mmask16) ((1u << (kc - kk)) - 1);
      _mm512_mask_storeu_ps (dst + i * kc + kk, mk, _mm512_maskz_loadu_ps (mk, w + i * ldw + kk));
    }
}

/* Prefetch of the part of X the next pack_panels reads, spread over the micro-tiles of this
 * slice: its rows are whole planes apart and each is read 512 bytes at a time, too short a
 * stream for the hardware prefetchers, so without it every pack waits on memory. Into L2
 * (T1), where the pack finds it, not L1, which the current panels and W rows need: Zen 4,
 * caches flushed, ResNet-50's layer1–3 conv1 2–4% faster than with T0. */
typedef struct {
  const char *x;
  int64_t ldx, rows, lines;     /* bytes between rows; rows; cache lines per row */
  int64_t row, line, quota;     /* next line to fetch; lines per call */
} x_prefetch;

static void
x_prefetch_start (x_prefetch *p, const float *x, int64_t ldx, int64_t rows, int64_t cols,
    int64_t calls)
{
  p->x = (const char *) x;
  p->ldx = ldx * (int64_t) sizeof (float);
  p->rows = rows;
  p->lines = (cols * (int64_t) sizeof (float) + 63) / 64 + 1;
  p->row = p->line = 0;
  p->quota = (rows * p->lines + calls - 1) / calls;
}

AVX512 INLINE void
x_prefetch_some (x_prefetch *p)
{
  for (int64_t q = 0; q < p->quota && p->row < p->rows; q++) {
    _mm_prefetch (p->x + p->row * p->ldx + 64 * p->line, _MM_HINT_T1);
    if (++p->line == p->lines) {
      p->line = 0;
      p->row++;
    }
  }
}

AVX512 INLINE void
gemm_avx512 (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw, const packed_rows *pw,
    const float *x, int64_t ldx, float *y, int64_t ldy, const epilogue *e, float *scratch)
{
  bool act_here = activation_in_registers (e->act);
  /* In the caller's scratch (cnn_gemm_fused_scratch), not on the stack: these 280 KiB
   * would overflow musl's 128 KiB thread stacks. */
  float *xp = scratch;
  float *tails = xp + GEMM_KC * GEMM_NC;
  float *wrows = tails + GEMV_MAX_COLS * GEMM_KC;
  /* A few columns past a multiple of 16 (7×7 maps: 49 = 3 · 16 + 1) would fill a vector
   * of their own; dot products over K waste nothing on them. */
  int64_t tail = n > 16 && n % 16 <= GEMV_MAX_COLS ? n % 16 : 0;
  int64_t nm = n - tail;
  /* With K at least M, packing X is a large share of the call (each packed value feeds M
   * FMAs, and reading its rows, whole planes apart, waits on L3): the first block of W's rows
   * then reads X in place and stores the panels as it goes, the loads hidden behind its
   * FMAs. Zen 4, 1 thread, caches flushed, best of 50 alternated calls: M 64 K 256 on 56×56
   * 0.94-0.96× the time, M 128 K 512 on 28×28 0.98, GoogLeNet's 480 -> 192 0.96-0.99; in
   * ResNet-50 (ab-layers, 60 runs) its conv1s 0.97-0.98. With K below M (M 256 K 64, M 512
   * K 128) each packed value feeds more rows and no gain showed (1.00-1.03×, noise). */
  bool pack_in_tiles = k >= m;

  /* K slices of equal length (147 = 74 + 73, not 128 + 19): a short last slice would pay
   * each micro-tile's accumulator loads and stores for little work. */
  int64_t slices = (k + GEMM_KC - 1) / GEMM_KC, step = (k + slices - 1) / slices;
  /* Columns packed per slice (GEMM_WIDE_MIN_ROWS). */
  int64_t ncmax = m > GEMM_WIDE_MIN_ROWS
      ? cnn_max64 (GEMM_NC, GEMM_KC * GEMM_NC / step / GEMM_COLS * GEMM_COLS) : GEMM_NC;
  for (int64_t j0 = 0; j0 < nm; j0 += ncmax) {
    int64_t nc = nm - j0 < ncmax ? nm - j0 : ncmax;
    int64_t tc = j0 + nc == nm ? tail : 0;
    for (int64_t k0 = 0; k0 < k; k0 += step) {
      int64_t kc = k - k0 < step ? k - k0 : step;
      bool first = k0 == 0, last = k0 + kc == k;
      if (!pack_in_tiles)
        pack_panels (x + k0 * ldx + j0, ldx, kc, nc, xp);
      if (tc > 0)
        pack_tails (x + k0 * ldx + nm, ldx, kc, tc, tails);
      /* The next slice of this chunk, or the first of the next chunk. */
      x_prefetch pfx = { 0 };
      int64_t calls = (m + GEMM_ROWS - 1) / GEMM_ROWS * ((nc + GEMM_COLS - 1) / GEMM_COLS);
      if (k0 + kc < k)
        x_prefetch_start (&pfx, x + (k0 + kc) * ldx + j0, ldx, cnn_min64 (step, k - k0 - kc),
            nc + tc, calls);
      else if (j0 + nc < nm)
        x_prefetch_start (&pfx, x + j0 + nc, ldx, step, cnn_min64 (ncmax, n - j0 - nc), calls);
      /* Goto's order: each block of W's rows meets every panel of the slice while it is in
       * L1, so W is read once per slice (7×7 maps: once per call) rather than once per
       * panel; the next block's rows are prefetched meanwhile, as networks stream W from
       * memory. */
      for (int64_t i = 0, r; i < m; i += r) {
        /* This block's rows: r of them from wb, row stride ldb (packed: rows side by side,
         * K steps ldb apart), and the next block's (or next slice's first) to prefetch. */
        const float *wb, *next = NULL;
        int64_t ldb, next_rows = 0;
        if (pw != NULL) {
          int64_t g = pw->row0 + i, rb = packed_block_rows (pw, g);
          r = cnn_min64 (rb - g % GEMM_ROWS, m - i);
          wb = packed_block (pw, g, k) + k0 * rb + g % GEMM_ROWS;
          ldb = rb;
          int64_t gn = i + r < m ? g + r : pw->row0;
          if (i + r < m || k0 + kc < k) {
            next_rows = packed_block_rows (pw, gn);
            next = packed_block (pw, gn, k) + (i + r < m ? k0 : k0 + kc) * next_rows;
          }
        } else {
          r = m - i < GEMM_ROWS ? m - i : GEMM_ROWS;
          wb = w + i * ldw + k0;
          ldb = ldw;
          next = i + GEMM_ROWS < m ? wb + GEMM_ROWS * ldw : k0 + kc < k ? w + k0 + kc : NULL;
          next_rows = i + GEMM_ROWS < m ? cnn_min64 (GEMM_ROWS, m - i - GEMM_ROWS)
              : cnn_min64 (GEMM_ROWS, m);
          /* Rows 4 KiB apart or a multiple of it (K = 1024, 2048) all fall in one L1 set and
           * evict each other between panels: such blocks are copied next to each other
           * first. ResNet-50 layer4 1×1 convs (K = 1024, 2048, 7×7 maps), Zen 4: 44 → 50
           * GMAC/s. For other strides the copy costs more than it saves. */
          if (ldw % 1024 == 0) {
            copy_rows (wb, ldw, r, kc, wrows);
            wb = wrows;
            ldb = kc;
          }
        }
        for (int64_t j = 0; j < nc; j += GEMM_COLS) {
          int64_t cols = nc - j < GEMM_COLS ? nc - j : GEMM_COLS;
          __mmask16 m0 = (__mmask16) (cols >= 16 ? 0xffff : (1u << cols) - 1);
          __mmask16 m1 = (__mmask16) (cols >= 32 ? 0xffff : cols > 16 ? (1u << (cols - 16)) - 1
              : 0);
          const float *panel = xp + j * kc;
          float *yt = y + i * ldy + j0 + j;
          const float *st = e->sum != NULL ? e->sum + i * ldy + j0 + j : NULL;
          const float *pf = j == 0 ? next : NULL;
          const float *xs = pack_in_tiles && i == 0 ? x + k0 * ldx + j0 + j : NULL;
          x_prefetch_some (&pfx);
          if (cols > 16 && pw != NULL) {
            /* 12 × 32 tiles: 24 accumulators. */
            gemm_tile2_packed (r, kc, wb, ldb, panel, yt, ldy, i, m0, m1, first, last, e, st,
                act_here, pf, next_rows, 0, xs, ldx);
          } else if (cols > 16) {
            /* 6 × 32 tiles: 12 accumulators each. */
            for (int64_t h = 0; h < r; h += 6) {
              int64_t pr = h < next_rows ? cnn_min64 (6, next_rows - h) : 0;
              gemm_tile2 (r - h < 6 ? r - h : 6, kc, wb + h * ldb, ldb, panel,
                  yt + h * ldy, ldy, i + h, m0, m1, first, last, e,
                  st != NULL ? st + h * ldy : NULL, act_here,
                  pf != NULL && pr > 0 ? pf + h * ldw : NULL, pr, ldw, h == 0 ? xs : NULL, ldx);
            }
          } else {
            /* A last panel of 16 columns or fewer is one vector wide, with twice the rows. */
            if (pw != NULL)
              gemm_tile1_packed (r, kc, wb, ldb, panel, yt, ldy, i, m0, first, last, e, st,
                  act_here, pf, next_rows, ldw, xs, ldx);
            else
              gemm_tile1 (r, kc, wb, ldb, panel, yt, ldy, i, m0, first, last, e, st, act_here,
                  pf, next_rows, ldw, xs, ldx);
          }
        }
        if (tc > 0 && pw != NULL)
          gemv_packed (r, tc, kc, wb, ldb, tails, y + i * ldy + nm, ldy, i, first, last, e,
              e->sum != NULL ? e->sum + i * ldy + nm : NULL, act_here);
        else if (tc > 0)
          gemv_rows (r, tc, kc, wb, ldb, tails, y + i * ldy + nm, ldy, i, first, last, e,
              e->sum != NULL ? e->sum + i * ldy + nm : NULL, act_here);
      }
    }
  }
  if (!act_here)
    cnn_activate_rows (y, m, n, ldy, e->act, e->alpha, e->beta);
}

/* gemm_avx512 compiled twice, each copy with only its own layout's branches. */
AVX512 static void
gemm_onnx_layout (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw, const float *x,
    int64_t ldx, float *y, int64_t ldy, const epilogue *e, float *scratch)
{
  gemm_avx512 (m, n, k, w, ldw, NULL, x, ldx, y, ldy, e, scratch);
}

AVX512 static void
gemm_packed (int64_t n, int64_t k, const packed_rows *pw, int64_t rows, const float *x,
    int64_t ldx, float *y, int64_t ldy, const epilogue *e, float *scratch)
{
  gemm_avx512 (rows, n, k, NULL, 0, pw, x, ldx, y, ldy, e, scratch);
}

bool
cnn_gemm_fused_available (void)
{
  return cnn_cpu_has_avx512 ();
}

void
cnn_gemm_fused (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw, const float *x,
    int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta, float *scratch)
{
  epilogue e = { bias, sum, act, alpha, beta };

  if (m > 0 && n > 0)
    gemm_onnx_layout (m, n, k, w, ldw, x, ldx, y, ldy, &e, scratch);
}

void
cnn_gemm_fused_packed (int64_t m, int64_t row0, int64_t rows, int64_t n, int64_t k,
    const float *wp, const float *x, int64_t ldx, float *y, int64_t ldy, const float *bias,
    const float *sum, cnn_activation act, float alpha, float beta, float *scratch)
{
  epilogue e = { bias, sum, act, alpha, beta };
  packed_rows pw = { wp, m, row0 };

  if (rows > 0 && n > 0)
    gemm_packed (n, k, &pw, rows, x, ldx, y, ldy, &e, scratch);
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
    cnn_activation act, float alpha, float beta, float *scratch)
{
  (void) m, (void) n, (void) k, (void) w, (void) ldw, (void) x, (void) ldx, (void) y;
  (void) ldy, (void) bias, (void) sum, (void) act, (void) alpha, (void) beta, (void) scratch;
}

void
cnn_gemm_fused_packed (int64_t m, int64_t row0, int64_t rows, int64_t n, int64_t k,
    const float *wp, const float *x, int64_t ldx, float *y, int64_t ldy, const float *bias,
    const float *sum, cnn_activation act, float alpha, float beta, float *scratch)
{
  (void) m, (void) row0, (void) rows, (void) n, (void) k, (void) wp, (void) x, (void) ldx;
  (void) y, (void) ldy, (void) bias, (void) sum, (void) act, (void) alpha, (void) beta;
  (void) scratch;
}

#endif
