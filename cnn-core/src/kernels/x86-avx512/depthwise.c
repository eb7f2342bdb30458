/* depthwise.c — depthwise convolution and max pooling of one plane, straight from
 * the input, for AVX-512 CPUs.
 *
 * The portable twin (kernels/depthwise.c) first copies each plane into padded stride-phase
 * planes and then makes one pass over the output per few taps. On the small maps of
 * MobileNets (7×7 to 28×28, 5×5 kernels) the copy and the extra passes cost more than the
 * arithmetic. Here each output row is up to four 16-lane registers that take every tap of
 * the window straight from the input rows, then bias, residual and activation, and are
 * stored once. Padding is masked loads (lanes outside the input read as zero and are never
 * touched); kernel rows outside the input are skipped. Stride 2 loads 32 input columns and
 * keeps the even ones with one permute.
 */
#include "kernels/depthwise.h"

#include "cpu.h"

#include <math.h>
#include <stdint.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include "avx512.h"

/* Lanes l of a 16-lane load starting at input column `start` with 0 <= start + l < w. */
static inline __mmask16
lanes_inside (int64_t start, int64_t w)
{
  int64_t lo = start < 0 ? -start : 0, hi = w - start;

  if (hi > 16)
    hi = 16;
  if (hi <= lo)
    return 0;
  return (__mmask16) ((((uint32_t) 1 << hi) - 1) & ~(((uint32_t) 1 << lo) - 1));
}

/* Lane masks of one block of output columns: which input columns each tap may read. They
 * depend on the columns only, so they are computed once for all the rows. */
typedef struct {
  __mmask16 lo[16][4], hi[16][4];       /* [kj][vector]; hi: stride 2's second load */
  __mmask16 out[4];
} block_masks;

/* Kernels this many taps wide or less take the direct path (block_masks' size). */
#define DIRECT_MAX_KW 16
/* Input rows this wide or less: kernel rows in the padding read this row of zeros. */
#define DIRECT_MAX_W 4096
static const float zero_row[DIRECT_MAX_W];

static void
block_masks_init (block_masks *mk, int S, const cnn_conv_geom *s, int64_t ow0, int nv)
{
  for (int v = 0; v < nv; v++) {
    mk->out[v] = lanes_inside (ow0 + 16 * v, s->ow);
    for (int64_t kj = 0; kj < s->kw; kj++) {
      int64_t start = (ow0 + 16 * v) * S - s->pl + kj;
      mk->lo[kj][v] = lanes_inside (start, s->w);
      mk->hi[kj][v] = lanes_inside (start + 16, s->w);
    }
  }
}

/* Input columns start + S·l for the 16 lanes l, zero outside the masks. */
AVX512 INLINE __m512
load_taps (int S, const float *row, int64_t start, __mmask16 lo, __mmask16 hi)
{
  if (S == 1)
    return _mm512_maskz_loadu_ps (lo, row + start);
  /* Stride 2: the even columns of 32 consecutive ones. */
  const __m512i even = _mm512_set_epi32 (30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4,
      2, 0);
  __m512 a = _mm512_maskz_loadu_ps (lo, row + start);
  __m512 b = _mm512_maskz_loadu_ps (hi, row + start + 16);
  return _mm512_permutex2var_ps (a, even, b);
}


/* Output columns [ow0, ow0 + 16·V) of output rows [oh, oh + R). V, R, S and K (a square
 * kernel's size, 0: any) are constants at every call, so the tap loops unroll and the R·V
 * accumulators stay in registers. Several rows keep several FMA chains in flight on narrow
 * maps, where one row is a single vector. */
AVX512 INLINE void
row_block (int V, int R, int S, int K, const cnn_conv_geom *s, const block_masks *mk,
    const float *x, const float *w, float bias, const float *sum, float *y, int64_t oh,
    int64_t ow0, const cnn_activation act, float alpha, float beta, bool act_here)
{
  __m512 acc[4][4];
  int64_t kh = K ? K : s->kh, kw = K ? K : s->kw;

  _Pragma ("GCC unroll 4")
  for (int r = 0; r < R; r++)
    _Pragma ("GCC unroll 4")
    for (int v = 0; v < V; v++) {
      acc[r][v] = _mm512_set1_ps (bias);
      if (sum != NULL)
        acc[r][v] = _mm512_add_ps (acc[r][v],
            _mm512_maskz_loadu_ps (mk->out[v], sum + (oh + r) * s->ow + ow0 + 16 * v));
    }
  /* Input row t of the block serves output row r through kernel row t − S·r: each input
   * vector is loaded once for all the rows it feeds (loads, not FMAs, bound this kernel). */
  _Pragma ("GCC unroll 16")
  for (int64_t t = 0; t < S * (R - 1) + kh; t++) {
    /* Rows in the padding read zeros: no branch in the unrolled taps. */
    int64_t ih = oh * S - s->pt + t;
    const float *row = ih >= 0 && ih < s->h ? x + ih * s->w : zero_row;
    _Pragma ("GCC unroll 8")
    for (int64_t kj = 0; kj < kw; kj++) {
      int64_t start = ow0 * S - s->pl + kj;
      _Pragma ("GCC unroll 4")
      for (int v = 0; v < V; v++) {
        __m512 in = load_taps (S, row, start + 16 * S * v, mk->lo[kj][v], mk->hi[kj][v]);
        _Pragma ("GCC unroll 4")
        for (int r = 0; r < R; r++) {
          int64_t ki = t - S * r;
          if (ki >= 0 && ki < kh)
            acc[r][v] = _mm512_fmadd_ps (_mm512_set1_ps (w[ki * kw + kj]), in, acc[r][v]);
        }
      }
    }
  }
  _Pragma ("GCC unroll 4")
  for (int r = 0; r < R; r++)
    _Pragma ("GCC unroll 4")
    for (int v = 0; v < V; v++) {
      if (act_here)
        acc[r][v] = activate16 (acc[r][v], act, alpha, beta);
      _mm512_mask_storeu_ps (y + (oh + r) * s->ow + ow0 + 16 * v, mk->out[v], acc[r][v]);
    }
}

#define ROW_BLOCK_V(V, R, K) \
  row_block (V, R, S, K, s, &mk, x, w, bias, sum, y, oh, ow0, act, alpha, beta, act_here)
/* One specialised copy per common kernel size. */
#define ROW_BLOCK_K(V, R, k) \
  ((k) == 3 ? ROW_BLOCK_V (V, R, 3) : (k) == 5 ? ROW_BLOCK_V (V, R, 5) \
      : ROW_BLOCK_V (V, R, 0))

AVX512 INLINE void
plane (int S, const cnn_conv_geom *s, const float *x, const float *w, float bias,
    const float *sum, float *y, cnn_activation act, float alpha, float beta)
{
  bool act_here = activation_in_registers (act);
  block_masks mk;

  for (int64_t ow0 = 0; ow0 < s->ow; ow0 += 64) {
    int64_t rest = s->ow - ow0;
    int nv = rest > 48 ? 4 : rest > 32 ? 3 : rest > 16 ? 2 : 1;
    block_masks_init (&mk, S, s, ow0, nv);
    int k = s->kh == 3 && s->kw == 3 ? 3 : s->kh == 5 && s->kw == 5 ? 5 : 0;
    /* Blocks of 4 rows (1 or 2 vectors wide) or 2 rows (3 or 4 vectors): enough
     * accumulators to hide the FMA latency, and each input vector feeds several rows. */
    int rows = nv <= 2 ? 4 : 2;
    int64_t oh = 0;
    for (; oh + rows <= s->oh; oh += rows)
      switch (nv) {
        case 4: ROW_BLOCK_K (4, 2, k); break;
        case 3: ROW_BLOCK_K (3, 2, k); break;
        case 2: ROW_BLOCK_K (2, 4, k); break;
        default: ROW_BLOCK_K (1, 4, k); break;
      }
    /* The last rows (fewer than `rows`), in one block. */
    switch (s->oh - oh == 0 ? 0 : nv * 4 + (int) (s->oh - oh)) {
      case 4 * 4 + 1: ROW_BLOCK_K (4, 1, k); break;
      case 3 * 4 + 1: ROW_BLOCK_K (3, 1, k); break;
      case 2 * 4 + 3: ROW_BLOCK_K (2, 3, k); break;
      case 2 * 4 + 2: ROW_BLOCK_K (2, 2, k); break;
      case 2 * 4 + 1: ROW_BLOCK_K (2, 1, k); break;
      case 1 * 4 + 3: ROW_BLOCK_K (1, 3, k); break;
      case 1 * 4 + 2: ROW_BLOCK_K (1, 2, k); break;
      case 1 * 4 + 1: ROW_BLOCK_K (1, 1, k); break;
      default: break;
    }
  }
  if (!act_here)
    cnn_activate_array (y, (size_t) (s->oh * s->ow), 0.0f, act, alpha, beta);
}

/* ---- Max pooling: the same windows, max instead of multiply-add ---------------------- */

/* Input columns start + S·l for the 16 lanes l, −∞ outside the masks. */
AVX512 INLINE __m512
load_taps_max (int S, const float *row, int64_t start, __mmask16 lo, __mmask16 hi)
{
  const __m512 none = _mm512_set1_ps (-INFINITY);

  if (S == 1)
    return _mm512_mask_loadu_ps (none, lo, row + start);
  const __m512i even = _mm512_set_epi32 (30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4,
      2, 0);
  __m512 a = _mm512_mask_loadu_ps (none, lo, row + start);
  __m512 b = _mm512_mask_loadu_ps (none, hi, row + start + 16);
  return _mm512_permutex2var_ps (a, even, b);
}

/* Output columns [ow0, ow0 + 16·V) of output row oh; V and S constants at every call. */
AVX512 INLINE void
max_row (int V, int S, const cnn_conv_geom *s, const block_masks *mk, const float *x,
    float *y, int64_t oh, int64_t ow0)
{
  __m512 acc[4];

  _Pragma ("GCC unroll 4")
  for (int v = 0; v < V; v++)
    acc[v] = _mm512_set1_ps (-INFINITY);
  for (int64_t ki = 0; ki < s->kh; ki++) {
    int64_t ih = oh * S - s->pt + ki;
    if (ih < 0 || ih >= s->h)
      continue;
    const float *row = x + ih * s->w;
    for (int64_t kj = 0; kj < s->kw; kj++) {
      int64_t start = ow0 * S - s->pl + kj;
      _Pragma ("GCC unroll 4")
      for (int v = 0; v < V; v++)
        acc[v] = _mm512_max_ps (acc[v],
            load_taps_max (S, row, start + 16 * S * v, mk->lo[kj][v], mk->hi[kj][v]));
    }
  }
  _Pragma ("GCC unroll 4")
  for (int v = 0; v < V; v++)
    _mm512_mask_storeu_ps (y + oh * s->ow + ow0 + 16 * v, mk->out[v], acc[v]);
}

/* The common 3-wide, stride-2 window (ResNet's and SqueezeNet's pools): the rows' maximum
 * first, over input columns X[0, 48) of the block, then out[l] = max(X[2l], X[2l + 1],
 * X[2l + 2]) as the even and odd lanes of X[0, 32) and the even ones shifted by one: three
 * permutes instead of nine, and a third of the loads. */
AVX512 INLINE void
max_row_3s2 (int V, const cnn_conv_geom *s, const float *x, float *y, int64_t oh,
    int64_t ow0, const __mmask16 *out)
{
  const __m512 none = _mm512_set1_ps (-INFINITY);
  const __m512i even = _mm512_set_epi32 (30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4,
      2, 0);
  const __m512i odd = _mm512_set_epi32 (31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5,
      3, 1);
  const __m512i next = _mm512_set_epi32 (16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
      1);

  _Pragma ("GCC unroll 4")
  for (int v = 0; v < V; v++) {
    int64_t start = (ow0 + 16 * v) * 2 - s->pl;
    __mmask16 ma = lanes_inside (start, s->w), mb = lanes_inside (start + 16, s->w);
    __mmask16 mc = lanes_inside (start + 32, s->w) & 1;
    __m512 a = none, b = none, c = none;
    for (int64_t ki = 0; ki < s->kh; ki++) {
      int64_t ih = oh * 2 - s->pt + ki;
      if (ih < 0 || ih >= s->h)
        continue;
      const float *row = x + ih * s->w + start;
      a = _mm512_max_ps (a, _mm512_mask_loadu_ps (none, ma, row));
      b = _mm512_max_ps (b, _mm512_mask_loadu_ps (none, mb, row + 16));
      c = _mm512_max_ps (c, _mm512_mask_loadu_ps (none, mc, row + 32));
    }
    __m512 e = _mm512_permutex2var_ps (a, even, b);
    __m512 m = _mm512_max_ps (e, _mm512_permutex2var_ps (a, odd, b));
    m = _mm512_max_ps (m, _mm512_permutex2var_ps (e, next, c));
    _mm512_mask_storeu_ps (y + oh * s->ow + ow0 + 16 * v, out[v], m);
  }
}

AVX512 INLINE void
max_plane (int S, const cnn_conv_geom *s, const float *x, float *y)
{
  block_masks mk;

  for (int64_t ow0 = 0; ow0 < s->ow; ow0 += 64) {
    int64_t rest = s->ow - ow0;
    int nv = rest > 48 ? 4 : rest > 32 ? 3 : rest > 16 ? 2 : 1;
    block_masks_init (&mk, S, s, ow0, nv);
    if (S == 2 && s->kw == 3) {
      for (int64_t oh = 0; oh < s->oh; oh++)
        switch (nv) {
          case 4: max_row_3s2 (4, s, x, y, oh, ow0, mk.out); break;
          case 3: max_row_3s2 (3, s, x, y, oh, ow0, mk.out); break;
          case 2: max_row_3s2 (2, s, x, y, oh, ow0, mk.out); break;
          default: max_row_3s2 (1, s, x, y, oh, ow0, mk.out); break;
        }
      continue;
    }
    for (int64_t oh = 0; oh < s->oh; oh++)
      switch (nv) {
        case 4: max_row (4, S, s, &mk, x, y, oh, ow0); break;
        case 3: max_row (3, S, s, &mk, x, y, oh, ow0); break;
        case 2: max_row (2, S, s, &mk, x, y, oh, ow0); break;
        default: max_row (1, S, s, &mk, x, y, oh, ow0); break;
      }
  }
}

AVX512 static void
max_plane_s1 (const cnn_conv_geom *s, const float *x, float *y)
{
  max_plane (1, s, x, y);
}

AVX512 static void
max_plane_s2 (const cnn_conv_geom *s, const float *x, float *y)
{
  max_plane (2, s, x, y);
}

void
cnn_max_pool_direct (const cnn_conv_geom *s, const float *x, float *y)
{
  if (s->sw == 1)
    max_plane_s1 (s, x, y);
  else
    max_plane_s2 (s, x, y);
}

AVX512 static void
plane_s1 (const cnn_conv_geom *s, const float *x, const float *w, float bias, const float *sum,
    float *y, cnn_activation act, float alpha, float beta)
{
  plane (1, s, x, w, bias, sum, y, act, alpha, beta);
}

AVX512 static void
plane_s2 (const cnn_conv_geom *s, const float *x, const float *w, float bias, const float *sum,
    float *y, cnn_activation act, float alpha, float beta)
{
  plane (2, s, x, w, bias, sum, y, act, alpha, beta);
}

bool
cnn_depthwise_direct_available (const cnn_conv_geom *s)
{
  /* Both strides the same, 1 or 2; no dilation. */
  return cnn_cpu_has_avx512 () && s->sh == s->sw && (s->sh == 1 || s->sh == 2) && s->dh == 1 && s->dw == 1
      && s->kw <= DIRECT_MAX_KW && s->w <= DIRECT_MAX_W;
}

void
cnn_depthwise_direct (const cnn_conv_geom *s, const float *x, const float *w, float bias,
    const float *sum, float *y, cnn_activation act, float alpha, float beta)
{
  if (s->sw == 1)
    plane_s1 (s, x, w, bias, sum, y, act, alpha, beta);
  else
    plane_s2 (s, x, w, bias, sum, y, act, alpha, beta);
}

#else /* not x86-64 */

void
cnn_max_pool_direct (const cnn_conv_geom *s, const float *x, float *y)
{
  (void) s, (void) x, (void) y;
}

void
cnn_depthwise_direct (const cnn_conv_geom *s, const float *x, const float *w, float bias,
    const float *sum, float *y, cnn_activation act, float alpha, float beta)
{
  (void) s, (void) x, (void) w, (void) bias, (void) sum, (void) y, (void) act, (void) alpha;
  (void) beta;
}

#endif
