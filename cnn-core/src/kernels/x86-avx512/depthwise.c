/* depthwise.c — depthwise convolution and max pooling of one plane, straight from
 * the input, for AVX-512 CPUs.
 *
 * The portable twin (kernels/depthwise.c) first copies each plane into padded stride-phase
 * planes and then makes one pass over the output per few taps. On the small maps of
 * MobileNets (7×7 to 28×28, 5×5 kernels) the copy and the extra passes cost more than the
 * arithmetic. Here each output row is up to four 16-lane registers that take every tap of
 * the window straight from the input rows, then bias, residual and activation, and are
 * stored once. Padding is masked loads (lanes outside the input read as zero and are never
 * touched); kernel rows outside the input are skipped. Stride 2 splits each input row into
 * its even and odd columns once, and each tap is one of them shifted. 3×3 convs of strides 1
 * and 2 into maps up to 32 wide take one pass down the rows instead (rolling_3x3).
 */
#include "kernels/depthwise.h"

#include "cpu.h"

#include <math.h>
#include <stdint.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include "avx512.h"

/* Lane masks of one block of output columns: which input columns each tap may read. They
 * depend on the columns only, so they are computed once for all the rows. */
typedef struct {
  __mmask16 lo[16][5], hi[16][5];       /* [kj][vector]; hi: stride 2's second load; one
                                         * vector past the block for stride 2's shifts */
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
  for (int v = 0; v <= nv; v++) {
    if (v < nv)
      mk->out[v] = lanes_inside (ow0 + 16 * v, s->ow);
    for (int64_t kj = 0; kj < s->kw; kj++) {
      int64_t start = (ow0 + 16 * v) * S - s->pl + kj;
      mk->lo[kj][v] = lanes_inside (start, s->w);
      mk->hi[kj][v] = lanes_inside (start + 16, s->w);
    }
  }
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
  __m512 acc[7][4];
  int64_t kh = K ? K : s->kh, kw = K ? K : s->kw;

  _Pragma ("GCC unroll 7")
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
    if (S == 2) {
      /* The row's even and odd columns once (one more vector for the taps that shift into
       * the next one); tap kj is then the even (kj even) or odd columns shifted by kj / 2:
       * one permute per tap instead of two loads and a permute (1 thread Zen 4, 3×3: 96
       * channels 112×112 0.226 -> 0.152 ms, 144 channels 56×56 0.081 -> 0.066 ms; 5×5:
       * 144 channels 56×56 0.178 -> 0.124 ms). */
      const __m512i even = _mm512_set_epi32 (30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6,
          4, 2, 0);
      const __m512i odd = _mm512_set_epi32 (31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7,
          5, 3, 1);
      const __m512i lane = _mm512_set_epi32 (15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1,
          0);
      __m512 ev[5], od[5];
      int64_t start = ow0 * 2 - s->pl;
      _Pragma ("GCC unroll 5")
      for (int v = 0; v < V + (kw > 2); v++) {
        __m512 a = _mm512_maskz_loadu_ps (mk->lo[0][v], row + start + 32 * v);
        __m512 b = _mm512_maskz_loadu_ps (mk->hi[0][v], row + start + 32 * v + 16);
        ev[v] = _mm512_permutex2var_ps (a, even, b);
        od[v] = _mm512_permutex2var_ps (a, odd, b);
      }
      _Pragma ("GCC unroll 8")
      for (int64_t kj = 0; kj < kw; kj++) {
        const __m512 *ph = kj & 1 ? od : ev;
        __m512i shift = _mm512_add_epi32 (lane, _mm512_set1_epi32 ((int) (kj >> 1)));
        _Pragma ("GCC unroll 4")
        for (int v = 0; v < V; v++) {
          __m512 in = kj < 2 ? ph[v] : _mm512_permutex2var_ps (ph[v], shift, ph[v + 1]);
          _Pragma ("GCC unroll 7")
          for (int r = 0; r < R; r++) {
            int64_t ki = t - S * r;
            if (ki >= 0 && ki < kh)
              acc[r][v] = _mm512_fmadd_ps (_mm512_set1_ps (w[ki * kw + kj]), in, acc[r][v]);
          }
        }
      }
      continue;
    }
    /* Stride 1: each tap a masked load. */
    _Pragma ("GCC unroll 8")
    for (int64_t kj = 0; kj < kw; kj++) {
      int64_t start = ow0 - s->pl + kj;
      _Pragma ("GCC unroll 4")
      for (int v = 0; v < V; v++) {
        __m512 in = _mm512_maskz_loadu_ps (mk->lo[kj][v], row + start + 16 * v);
        _Pragma ("GCC unroll 7")
        for (int r = 0; r < R; r++) {
          int64_t ki = t - S * r;
          if (ki >= 0 && ki < kh)
            acc[r][v] = _mm512_fmadd_ps (_mm512_set1_ps (w[ki * kw + kj]), in, acc[r][v]);
        }
      }
    }
  }
  _Pragma ("GCC unroll 7")
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
    /* Blocks of 7 rows (1 vector wide), 4 rows (2 vectors) or 2 rows (3 or 4 vectors):
     * enough accumulators to hide the FMA latency, and each input vector feeds several rows.
     * 7 rather than 4 on maps at most 16 wide (1 thread Zen 4: 3×3 14×14 384 channels
     * 0.038 -> 0.033 ms, 3×3 stride 2 to 14×14 192 channels 0.034 -> 0.030 ms); 6 for 2
     * vectors gained nothing at 28×28. */
    int rows = nv == 1 ? 7 : nv == 2 ? 4 : 2;
    int64_t oh = 0;
    for (; oh + rows <= s->oh; oh += rows)
      switch (nv) {
        case 4: ROW_BLOCK_K (4, 2, k); break;
        case 3: ROW_BLOCK_K (3, 2, k); break;
        case 2: ROW_BLOCK_K (2, 4, k); break;
        default: ROW_BLOCK_K (1, 7, k); break;
      }
    if (nv == 1 && s->oh - oh >= 4) {       /* then at most 3 rows are left */
      ROW_BLOCK_K (1, 4, k);
      oh += 4;
    }
    /* The last rows (at most 3), in one block. */
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

/* The common 3-wide, stride-2 window (ResNet's and SqueezeNet's pools), for all the output
 * rows of one block of V vectors: the rows' maximum first, over input columns X[0, 48) of
 * each vector, then out[l] = max(X[2l], X[2l + 1], X[2l + 2]) as the even and odd lanes of
 * X[0, 32) and the even ones shifted by one: three permutes instead of nine, and a third of
 * the loads. The masks are the same for every row, and with 3-tall windows an output row's
 * last input row is the next one's first: it is loaded once (SqueezeNet 1.1's pools, 1 thread
 * Zen 4: 128 channels 55×55 0.058 -> 0.042 ms, 256 channels 27×27 0.031 -> 0.024 ms; the
 * first, 111×111, is bound by memory either way). */
AVX512 INLINE void
max_rows_3s2 (int V, const cnn_conv_geom *s, const float *x, float *y, int64_t ow0,
    const __mmask16 *out)
{
  const __m512 none = _mm512_set1_ps (-INFINITY);
  const __m512i even = _mm512_set_epi32 (30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4,
      2, 0);
  const __m512i odd = _mm512_set_epi32 (31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5,
      3, 1);
  const __m512i next = _mm512_set_epi32 (16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
      1);
  int64_t start[4];
  __mmask16 ma[4], mb[4], mc[4];
  __m512 a[4], b[4], c[4], carry[4][3];

  _Pragma ("GCC unroll 4")
  for (int v = 0; v < V; v++) {
    start[v] = (ow0 + 16 * v) * 2 - s->pl;
    ma[v] = lanes_inside (start[v], s->w);
    mb[v] = lanes_inside (start[v] + 16, s->w);
    mc[v] = lanes_inside (start[v] + 32, s->w) & 1;
    carry[v][0] = carry[v][1] = carry[v][2] = none;
  }
  /* Rows' maximum of input rows [lo, hi) into a, b, c (−∞ for rows outside the input). */
#define MAX_OF_ROWS(lo, hi) \
  do { \
    _Pragma ("GCC unroll 4") \
    for (int v = 0; v < V; v++) \
      a[v] = b[v] = c[v] = none; \
    for (int64_t ih = cnn_max64 (lo, 0); ih < cnn_min64 (hi, s->h); ih++) { \
      const float *row = x + ih * s->w; \
      _Pragma ("GCC unroll 4") \
      for (int v = 0; v < V; v++) { \
        a[v] = _mm512_max_ps (a[v], _mm512_mask_loadu_ps (none, ma[v], row + start[v])); \
        b[v] = _mm512_max_ps (b[v], _mm512_mask_loadu_ps (none, mb[v], row + start[v] + 16)); \
        c[v] = _mm512_max_ps (c[v], _mm512_mask_loadu_ps (none, mc[v], row + start[v] + 32)); \
      } \
    } \
  } while (0)

  bool shared = s->kh == 3;
  for (int64_t oh = 0; oh < s->oh; oh++) {
    int64_t ih0 = oh * 2 - s->pt;
    if (shared && oh > 0) {
      /* Rows ih0 + 1 and ih0 + 2, then the carried row ih0. */
      MAX_OF_ROWS (ih0 + 1, ih0 + 2);
      __m512 a1[4], b1[4], c1[4];
      _Pragma ("GCC unroll 4")
      for (int v = 0; v < V; v++)
        a1[v] = a[v], b1[v] = b[v], c1[v] = c[v];
      MAX_OF_ROWS (ih0 + 2, ih0 + 3);
      _Pragma ("GCC unroll 4")
      for (int v = 0; v < V; v++) {
        __m512 a2 = a[v], b2 = b[v], c2 = c[v];
        a[v] = _mm512_max_ps (carry[v][0], _mm512_max_ps (a1[v], a2));
        b[v] = _mm512_max_ps (carry[v][1], _mm512_max_ps (b1[v], b2));
        c[v] = _mm512_max_ps (carry[v][2], _mm512_max_ps (c1[v], c2));
        carry[v][0] = a2, carry[v][1] = b2, carry[v][2] = c2;
      }
    } else {
      MAX_OF_ROWS (ih0, ih0 + s->kh);
      if (shared) {
        /* The next output row starts at this one's last input row. */
        __m512 a0[4], b0[4], c0[4];
        _Pragma ("GCC unroll 4")
        for (int v = 0; v < V; v++)
          a0[v] = a[v], b0[v] = b[v], c0[v] = c[v];
        MAX_OF_ROWS (ih0 + 2, ih0 + 3);
        _Pragma ("GCC unroll 4")
        for (int v = 0; v < V; v++) {
          carry[v][0] = a[v], carry[v][1] = b[v], carry[v][2] = c[v];
          a[v] = a0[v], b[v] = b0[v], c[v] = c0[v];
        }
      }
    }
    _Pragma ("GCC unroll 4")
    for (int v = 0; v < V; v++) {
      __m512 e = _mm512_permutex2var_ps (a[v], even, b[v]);
      __m512 m = _mm512_max_ps (e, _mm512_permutex2var_ps (a[v], odd, b[v]));
      m = _mm512_max_ps (m, _mm512_permutex2var_ps (e, next, c[v]));
      _mm512_mask_storeu_ps (y + oh * s->ow + ow0 + 16 * v, out[v], m);
    }
  }
#undef MAX_OF_ROWS
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
      switch (nv) {
        case 4: max_rows_3s2 (4, s, x, y, ow0, mk.out); break;
        case 3: max_rows_3s2 (3, s, x, y, ow0, mk.out); break;
        case 2: max_rows_3s2 (2, s, x, y, ow0, mk.out); break;
        default: max_rows_3s2 (1, s, x, y, ow0, mk.out); break;
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

/* 3×3 stride 1 on maps 8 to 32 wide (MobileNets' 14×14 and 28×28 layers): row_block's
 * unrolled blocks, generic in V, R and K, kept masks and weights on the stack there (about
 * 340-430 cycles per 14×14 plane, 3 times its 126 FMAs). Here a plane is one pass down its
 * input rows with the nine weights and the three tap masks in registers: each input row is
 * loaded once per tap and feeds the three output rows it belongs to, whose sums roll from
 * one row to the next (the oldest complete and stored, a new one started from bias and
 * residual). MobileNetV2, 1 thread Zen 4 (per-layer minimum of 100 alternated runs, twice):
 * 14×14, 384 and 576 channels, 0.036 -> 0.026 and 0.054 -> 0.040 ms; 28×28, 192 channels,
 * 0.055 -> 0.042 ms. Summing each kernel row's three taps first and adding them to the rolling
 * sums (shorter chains) was no faster; 7×7 maps keep cnn_depthwise_pairs (about 120 cycles
 * per plane against 147 here). V: vectors per row, 1 or 2. */
AVX512 INLINE void
rolling_3x3 (int V, const cnn_conv_geom *s, const float *x, const float *w, float bias,
    const float *sum, float *y, cnn_activation act, float alpha, float beta)
{
  bool act_here = activation_in_registers (act);
  __mmask16 tap[3][2], out[2];
  __m512 wv[9];

  for (int v = 0; v < V; v++) {
    out[v] = lanes_inside (16 * v, s->ow);
    for (int kj = 0; kj < 3; kj++)
      tap[kj][v] = lanes_inside (16 * v - s->pl + kj, s->w);
  }
  for (int i = 0; i < 9; i++)
    wv[i] = _mm512_set1_ps (w[i]);

  /* a: output row r − 2 (its last tap row now), b: row r − 1, c: row r (its first). */
  __m512 a[2], b[2], c[2];
  for (int v = 0; v < V; v++)
    a[v] = b[v] = _mm512_setzero_ps ();
  for (int64_t r = 0; r < s->oh + 2; r++) {
    int64_t ih = r - s->pt;
    const float *row = ih >= 0 && ih < s->h ? x + ih * s->w : zero_row;
    _Pragma ("GCC unroll 2")
    for (int v = 0; v < V; v++) {
      c[v] = _mm512_set1_ps (bias);
      if (sum != NULL && r < s->oh)
        c[v] = _mm512_add_ps (c[v], _mm512_maskz_loadu_ps (out[v], sum + r * s->ow + 16 * v));
      _Pragma ("GCC unroll 3")
      for (int kj = 0; kj < 3; kj++) {
        __m512 in = _mm512_maskz_loadu_ps (tap[kj][v], row + 16 * v - s->pl + kj);
        a[v] = _mm512_fmadd_ps (wv[6 + kj], in, a[v]);
        b[v] = _mm512_fmadd_ps (wv[3 + kj], in, b[v]);
        c[v] = _mm512_fmadd_ps (wv[kj], in, c[v]);
      }
      if (r >= 2) {
        __m512 done = act_here ? activate16 (a[v], act, alpha, beta) : a[v];
        _mm512_mask_storeu_ps (y + (r - 2) * s->ow + 16 * v, out[v], done);
      }
      a[v] = b[v];
      b[v] = c[v];
    }
  }
  if (!act_here)
    cnn_activate_array (y, (size_t) (s->oh * s->ow), 0.0f, act, alpha, beta);
}

/* The same for stride 2 (maps 8 to 32 wide out): output row o reads input rows 2o − pt + ki,
 * so each pair of input rows finishes the previous output row (its last tap row) and makes
 * the current one's first two. Each input row's even and odd columns and the even ones moved
 * by one (taps 0, 1, 2) are permutes of two loads and the next vector's first column.
 * MobileNetV2, 1 thread Zen 4 (per-layer minimum of 100 alternated runs): 56×56 -> 28×28,
 * 144 channels, 0.066 -> 0.058 ms; 28×28 -> 14×14, 192 channels, 0.031 -> 0.021 ms. 14×14 ->
 * 7×7 keeps cnn_depthwise_pairs (about 170 cycles per plane against 210 here). */
AVX512 INLINE void
rolling_3x3_s2 (int V, const cnn_conv_geom *s, const float *x, const float *w, float bias,
    const float *sum, float *y, cnn_activation act, float alpha, float beta)
{
  const __m512i even = _mm512_set_epi32 (30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4,
      2, 0);
  const __m512i odd = _mm512_set_epi32 (31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5,
      3, 1);
  const __m512i next = _mm512_set_epi32 (16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
      1);
  bool act_here = activation_in_registers (act);
  __mmask16 lo[3], hi[2], out[2];
  __m512 wv[9];

  for (int v = 0; v <= V; v++) {
    lo[v] = lanes_inside (32 * v - s->pl, s->w);
    if (v < V) {
      hi[v] = lanes_inside (32 * v - s->pl + 16, s->w);
      out[v] = lanes_inside (16 * v, s->ow);
    }
  }
  lo[V] &= 1;
  for (int i = 0; i < 9; i++)
    wv[i] = _mm512_set1_ps (w[i]);

  /* Taps 0, 1 and 2 of input row ih for output vector v. */
#define ROLLING_TAPS(ih, t) \
  do { \
    const float *row = (ih) >= 0 && (ih) < s->h ? x + (ih) * s->w : zero_row; \
    __m512 first[3]; \
    _Pragma ("GCC unroll 3") \
    for (int v = 0; v <= V; v++) \
      first[v] = _mm512_maskz_loadu_ps (lo[v], row + 32 * v - s->pl); \
    _Pragma ("GCC unroll 2") \
    for (int v = 0; v < V; v++) { \
      __m512 second = _mm512_maskz_loadu_ps (hi[v], row + 32 * v - s->pl + 16); \
      __m512 ev = _mm512_permutex2var_ps (first[v], even, second); \
      t[v][0] = ev; \
      t[v][1] = _mm512_permutex2var_ps (first[v], odd, second); \
      t[v][2] = _mm512_permutex2var_ps (ev, next, first[v + 1]); \
    } \
  } while (0)

  __m512 prev[2], cur[2];
  for (int v = 0; v < V; v++)
    prev[v] = _mm512_setzero_ps ();
  for (int64_t o = 0; o <= s->oh; o++) {
    __m512 t[2][3];
    ROLLING_TAPS (2 * o - s->pt, t);
    _Pragma ("GCC unroll 2")
    for (int v = 0; v < V; v++) {
      cur[v] = _mm512_set1_ps (bias);
      if (sum != NULL && o < s->oh)
        cur[v] = _mm512_add_ps (cur[v], _mm512_maskz_loadu_ps (out[v], sum + o * s->ow + 16 * v));
      _Pragma ("GCC unroll 3")
      for (int kj = 0; kj < 3; kj++) {
        prev[v] = _mm512_fmadd_ps (wv[6 + kj], t[v][kj], prev[v]);
        cur[v] = _mm512_fmadd_ps (wv[kj], t[v][kj], cur[v]);
      }
      if (o >= 1) {
        __m512 done = act_here ? activate16 (prev[v], act, alpha, beta) : prev[v];
        _mm512_mask_storeu_ps (y + (o - 1) * s->ow + 16 * v, out[v], done);
      }
    }
    if (o == s->oh)
      break;
    ROLLING_TAPS (2 * o - s->pt + 1, t);
    _Pragma ("GCC unroll 2")
    for (int v = 0; v < V; v++) {
      _Pragma ("GCC unroll 3")
      for (int kj = 0; kj < 3; kj++)
        cur[v] = _mm512_fmadd_ps (wv[3 + kj], t[v][kj], cur[v]);
      prev[v] = cur[v];
    }
  }
#undef ROLLING_TAPS
  if (!act_here)
    cnn_activate_array (y, (size_t) (s->oh * s->ow), 0.0f, act, alpha, beta);
}

AVX512 static void
rolling_3x3_s2_v1 (const cnn_conv_geom *s, const float *x, const float *w, float bias,
    const float *sum, float *y, cnn_activation act, float alpha, float beta)
{
  rolling_3x3_s2 (1, s, x, w, bias, sum, y, act, alpha, beta);
}

AVX512 static void
rolling_3x3_s2_v2 (const cnn_conv_geom *s, const float *x, const float *w, float bias,
    const float *sum, float *y, cnn_activation act, float alpha, float beta)
{
  rolling_3x3_s2 (2, s, x, w, bias, sum, y, act, alpha, beta);
}

AVX512 static void
rolling_3x3_v1 (const cnn_conv_geom *s, const float *x, const float *w, float bias,
    const float *sum, float *y, cnn_activation act, float alpha, float beta)
{
  rolling_3x3 (1, s, x, w, bias, sum, y, act, alpha, beta);
}

AVX512 static void
rolling_3x3_v2 (const cnn_conv_geom *s, const float *x, const float *w, float bias,
    const float *sum, float *y, cnn_activation act, float alpha, float beta)
{
  rolling_3x3 (2, s, x, w, bias, sum, y, act, alpha, beta);
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
  return cnn_cpu_has_avx512 () && s->sh == s->sw && (s->sh == 1 || s->sh == 2) && s->dh == 1
      && s->dw == 1 && s->kw <= DIRECT_MAX_KW && s->w <= DIRECT_MAX_W;
}

void
cnn_depthwise_direct (const cnn_conv_geom *s, const float *x, const float *w, float bias,
    const float *sum, float *y, cnn_activation act, float alpha, float beta)
{
  if (s->sw == 1 && s->kh == 3 && s->kw == 3 && s->ow <= 32) {
    if (s->ow <= 16)
      rolling_3x3_v1 (s, x, w, bias, sum, y, act, alpha, beta);
    else
      rolling_3x3_v2 (s, x, w, bias, sum, y, act, alpha, beta);
  } else if (s->sw == 2 && s->kh == 3 && s->kw == 3 && s->ow <= 32) {
    if (s->ow <= 16)
      rolling_3x3_s2_v1 (s, x, w, bias, sum, y, act, alpha, beta);
    else
      rolling_3x3_s2_v2 (s, x, w, bias, sum, y, act, alpha, beta);
  } else if (s->sw == 1)
    plane_s1 (s, x, w, bias, sum, y, act, alpha, beta);
  else
    plane_s2 (s, x, w, bias, sum, y, act, alpha, beta);
}

/* ---- Channel blocks: 16 channels per vector ------------------------------------------- */

/* On small maps (7×7, 14×14) and with stride 2, a row is one part-filled vector and every tap
 * a masked load (and a permute for stride 2): the rows above ran MobileNetV2's 7×7 and
 * stride-2 depthwise layers 2 to 3 times slower than ONNX Runtime's NCHWc kernels. Here 16
 * channels are transposed into a zero-padded [row][column][16 channels] block, so each tap
 * of each output is one full-width FMA with an aligned load and no mask, whatever the map
 * size or stride; the outputs are transposed back, the residual added and the activation
 * applied on the way out. */

/* Kernels this many taps tall and wide or less (their weights stay on the stack). */
#define CHANNELS_MAX_K 7

/* The padded input block: the rows and columns the windows read. */
static inline void
block_extent (const cnn_conv_geom *s, int64_t *hp, int64_t *wp)
{
  *hp = (s->oh - 1) * s->sh + s->kh;
  *wp = (s->ow - 1) * s->sw + s->kw;
}

size_t
cnn_depthwise_channels_scratch (const cnn_conv_geom *s)
{
  int64_t hp, wp;

  block_extent (s, &hp, &wp);
  /* Input block, then the outputs (whole 16-position chunks for the transpose back). */
  return (size_t) (hp * wp * 16 + cnn_ceil_div (s->oh * s->ow, 16) * 16 * 16);
}

/* Input rows of `channels` planes (x, plane stride in_plane) into the block p, zero outside
 * the input. */
AVX512 static void
block_pack (const cnn_conv_geom *s, int64_t channels, const float *x, int64_t in_plane,
    float *p)
{
  int64_t hp, wp;
  const __m512 zero = _mm512_setzero_ps ();

  block_extent (s, &hp, &wp);
  int64_t rows = cnn_min64 (s->h, hp - s->pt), cols = cnn_min64 (s->w, wp - s->pl);
  /* Padding rows and columns only: the inside is overwritten below. */
  for (int64_t r = 0; r < hp; r++) {
    bool inside = r >= s->pt && r - s->pt < rows;
    for (int64_t c = 0; c < wp; c++)
      if (!inside || c < s->pl || c - s->pl >= cols)
        _mm512_store_ps (p + (r * wp + c) * 16, zero);
  }
  /* The planes as flat arrays, 16 positions at a time whatever the row width: a 7×7 map
   * takes 4 transposes instead of 7. */
  int64_t total = rows * s->w, ih = 0, iw = 0;
  for (int64_t f0 = 0; f0 < total; f0 += 16) {
    __m512 v[16];
    int64_t n = cnn_min64 (16, total - f0);
    __mmask16 m = (__mmask16) (((uint32_t) 1 << n) - 1);
    for (int c = 0; c < 16; c++)
      v[c] = c < channels ? _mm512_maskz_loadu_ps (m, x + c * in_plane + f0) : zero;
    transpose16 (v);
    for (int64_t j = 0; j < n; j++) {
      if (iw < cols)
        _mm512_store_ps (p + ((ih + s->pt) * wp + s->pl + iw) * 16, v[j]);
      if (++iw == s->w)
        iw = 0, ih++;
    }
  }
}

/* Outputs [ow0, ow0 + N) of output row oh, every tap a full-width FMA. N, S and K (a square
 * kernel's size, 0: any) are constants at every call. */
AVX512 INLINE void
block_outputs (int N, int S, int K, const cnn_conv_geom *s, int64_t wp, const float *p,
    const float *wv, __m512 bias, float *o, int64_t oh, int64_t ow0)
{
  __m512 acc[8];
  int64_t kh = K ? K : s->kh, kw = K ? K : s->kw;

  _Pragma ("GCC unroll 8")
  for (int j = 0; j < N; j++)
    acc[j] = bias;
  _Pragma ("GCC unroll 5")
  for (int64_t ki = 0; ki < kh; ki++) {
    const float *row = p + ((oh * S + ki) * wp + ow0 * S) * 16;
    _Pragma ("GCC unroll 5")
    for (int64_t kj = 0; kj < kw; kj++) {
      __m512 w = _mm512_load_ps (wv + (ki * kw + kj) * 16);
      _Pragma ("GCC unroll 8")
      for (int j = 0; j < N; j++)
        acc[j] = _mm512_fmadd_ps (_mm512_load_ps (row + (j * S + kj) * 16), w, acc[j]);
    }
  }
  _Pragma ("GCC unroll 8")
  for (int j = 0; j < N; j++)
    _mm512_store_ps (o + (oh * s->ow + ow0 + j) * 16, acc[j]);
}

#define BLOCK_OUTPUTS_N(N, K) block_outputs (N, S, K, s, wp, p, wv, bias, o, oh, ow0)
#define BLOCK_OUTPUTS(N) \
  (k == 3 ? BLOCK_OUTPUTS_N (N, 3) : k == 5 ? BLOCK_OUTPUTS_N (N, 5) : BLOCK_OUTPUTS_N (N, 0))

AVX512 INLINE void
block_compute (int S, const cnn_conv_geom *s, const float *p, const float *wv, __m512 bias,
    float *o)
{
  int64_t hp, wp;
  int k = s->kh == 3 && s->kw == 3 ? 3 : s->kh == 5 && s->kw == 5 ? 5 : 0;

  block_extent (s, &hp, &wp);
  for (int64_t oh = 0; oh < s->oh; oh++)
    for (int64_t ow0 = 0; ow0 < s->ow; ow0 += 8)
      /* Up to 8 independent FMA chains: enough to hide the latency. */
      switch (cnn_min64 (8, s->ow - ow0)) {
        case 8: BLOCK_OUTPUTS (8); break;
        case 7: BLOCK_OUTPUTS (7); break;
        case 6: BLOCK_OUTPUTS (6); break;
        case 5: BLOCK_OUTPUTS (5); break;
        case 4: BLOCK_OUTPUTS (4); break;
        case 3: BLOCK_OUTPUTS (3); break;
        case 2: BLOCK_OUTPUTS (2); break;
        default: BLOCK_OUTPUTS (1); break;
      }
}

AVX512 static void
block_compute_s1 (const cnn_conv_geom *s, const float *p, const float *wv, __m512 bias,
    float *o)
{
  block_compute (1, s, p, wv, bias, o);
}

AVX512 static void
block_compute_s2 (const cnn_conv_geom *s, const float *p, const float *wv, __m512 bias,
    float *o)
{
  block_compute (2, s, p, wv, bias, o);
}

/* The outputs o [position][16 channels] back to `channels` planes of y, with the residual
 * and the activation. */
AVX512 static void
block_unpack (const cnn_conv_geom *s, int64_t channels, const float *o, const float *sum,
    float *y, int64_t out_plane, cnn_activation act, float alpha, float beta)
{
  bool act_here = activation_in_registers (act);

  for (int64_t p0 = 0; p0 < out_plane; p0 += 16) {
    __m512 v[16];
    int64_t n = cnn_min64 (16, out_plane - p0);
    __mmask16 m = (__mmask16) (((uint32_t) 1 << n) - 1);
    for (int j = 0; j < 16; j++)
      v[j] = _mm512_load_ps (o + (p0 + j) * 16);
    transpose16 (v);
    for (int64_t c = 0; c < channels; c++) {
      __m512 r = v[c];
      if (sum != NULL)
        r = _mm512_add_ps (r, _mm512_maskz_loadu_ps (m, sum + c * out_plane + p0));
      if (act_here)
        r = activate16 (r, act, alpha, beta);
      _mm512_mask_storeu_ps (y + c * out_plane + p0, m, r);
    }
  }
  if (!act_here)
    cnn_activate_rows (y, channels, out_plane, out_plane, act, alpha, beta);
}

bool
cnn_depthwise_channels_available (const cnn_conv_geom *s)
{
  return cnn_cpu_has_avx512 () && s->m == s->c && s->sh == s->sw && (s->sh == 1 || s->sh == 2)
      && s->dh == 1 && s->dw == 1 && s->kh <= CHANNELS_MAX_K && s->kw <= CHANNELS_MAX_K;
}

AVX512 void
cnn_depthwise_channels (const cnn_conv_geom *s, int64_t channels, const float *x,
    const float *w, const float *bias, const float *sum, float *y, cnn_activation act,
    float alpha, float beta, float *scratch)
{
  int64_t hp, wp, taps = s->kh * s->kw;
  /* Taps' weights as 16-channel vectors, 64-byte aligned. */
  float wv_store[CHANNELS_MAX_K * CHANNELS_MAX_K * 16 + 16];
  float *wv = (float *) (((uintptr_t) wv_store + 63) & ~(uintptr_t) 63);
  float b[16] = { 0 };

  block_extent (s, &hp, &wp);
  for (int64_t c = 0; c < 16; c++)
    for (int64_t t = 0; t < taps; t++)
      wv[t * 16 + c] = c < channels ? w[c * taps + t] : 0.0f;
  for (int64_t c = 0; c < channels && bias != NULL; c++)
    b[c] = bias[c];
  float *p = scratch, *o = scratch + hp * wp * 16;
  block_pack (s, channels, x, s->h * s->w, p);
  if (s->sw == 1)
    block_compute_s1 (s, p, wv, _mm512_loadu_ps (b), o);
  else
    block_compute_s2 (s, p, wv, _mm512_loadu_ps (b), o);
  block_unpack (s, channels, o, sum, y, s->oh * s->ow, act, alpha, beta);
}

#else /* not x86-64 */

bool
cnn_depthwise_channels_available (const cnn_conv_geom *s)
{
  (void) s;
  return false;
}

size_t
cnn_depthwise_channels_scratch (const cnn_conv_geom *s)
{
  (void) s;
  return 0;
}

void
cnn_depthwise_channels (const cnn_conv_geom *s, int64_t channels, const float *x,
    const float *w, const float *bias, const float *sum, float *y, cnn_activation act,
    float alpha, float beta, float *scratch)
{
  (void) s, (void) channels, (void) x, (void) w, (void) bias, (void) sum, (void) y;
  (void) act, (void) alpha, (void) beta, (void) scratch;
}

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
