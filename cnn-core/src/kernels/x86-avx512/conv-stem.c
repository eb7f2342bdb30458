/* conv-stem.c — the first conv of a network (3 input channels, 3×3 to 7×7, stride 2), direct,
 * for AVX-512 CPUs.
 *
 * Through im2col these convs gather a K = 27 or 147 row matrix and run a GEMM of 16 to 64
 * rows on it. Here each input row a band of output rows reads is copied once, padded, into
 * its stride phases (phase r holds the padded row's columns S·i + r), so that every tap of a
 * window is a plain 16-lane load at a constant offset. 16 output columns by 16 output channels then stay in registers over all the taps,
 * each weight broadcast from a block the call packs once ([tap][16 channels]), and bias,
 * residual and activation are applied before the one store. 1 thread Zen 4 (loaded machine,
 * best of 3, against im2col): MobileNetV3-small's stem 0.34 -> 0.21 ms, MobileNetV2's 0.50 ->
 * 0.36, EfficientNet-B0's 0.57 -> 0.46, SqueezeNet 1.1's 0.77 -> 0.72, ResNet-50's 7×7
 * 2.85 -> 2.44.
 */
#include "kernels/conv-stem.h"

#include "cpu.h"

#include <string.h>

/* Output channels per block: 16 accumulators, four FMA latencies deep, each input vector
 * loaded once for 16 FMAs whose weights are broadcast from memory. 2 rows by 8 channels
 * (10 loads per 16 FMAs rather than 17) measured slower with GCC 12, which spilled
 * accumulators (MobileNetV2's stem 0.43 -> 0.56 ms, loaded machine). */
#define STEM_BLOCK 16
#define STEM_MAX_C 4
#define STEM_MAX_KW 16

static int64_t
round16 (int64_t n)
{
  return (n + 15) / 16 * 16;
}

/* Floats per phase row: whole vectors of output columns plus the furthest tap's shift. */
static int64_t
stem_row_len (const cnn_conv_geom *s)
{
  return round16 (round16 (s->ow) + s->dw * (s->kw - 1) / s->sw);
}

/* Input rows a band of `rows` output rows reads. */
static int64_t
stem_in_rows (const cnn_conv_geom *s, int64_t rows)
{
  return (rows - 1) * s->sh + (s->kh - 1) * s->dh + 1;
}

static int64_t
stem_weight_floats (const cnn_conv_geom *s)
{
  return round16 (s->m) * s->c * s->kh * s->kw;
}

bool
cnn_conv_stem_available (const cnn_conv_geom *s)
{
  return cnn_cpu_has_avx512 () && s->group == 1 && s->c <= STEM_MAX_C && s->kw <= STEM_MAX_KW;
}

size_t
cnn_conv_stem_scratch (const cnn_conv_geom *s, int64_t rows)
{
  return (size_t) (stem_weight_floats (s) + s->c * stem_in_rows (s, rows) * s->sw
      * stem_row_len (s));
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include "avx512.h"

/* dst[r·len + i] = row[S·i + r − pl] (zero outside the row) for the S phases; row NULL: a
 * row of the padding. Stride 2 splits 32 columns at a time with two permutes, the padding
 * by masked loads (no faster than GCC's vectorised stride-2 loop on the measured stems, but
 * branch-free at the edges). */
AVX512 static void
stem_phase_row (const cnn_conv_geom *s, const float *row, int64_t len, float *dst)
{
  if (row == NULL) {
    memset (dst, 0, sizeof (float) * (size_t) (s->sw * len));
    return;
  }
  if (s->sw == 2) {
    const __m512i even = _mm512_set_epi32 (30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6,
        4, 2, 0);
    const __m512i odd = _mm512_set_epi32 (31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7,
        5, 3, 1);
    for (int64_t i = 0; i < len; i += 16) {
      int64_t start = 2 * i - s->pl;
      __m512 a = _mm512_maskz_loadu_ps (lanes_inside (start, s->w), row + start);
      __m512 b = _mm512_maskz_loadu_ps (lanes_inside (start + 16, s->w), row + start + 16);
      _mm512_storeu_ps (dst + i, _mm512_permutex2var_ps (a, even, b));
      _mm512_storeu_ps (dst + len + i, _mm512_permutex2var_ps (a, odd, b));
    }
    return;
  }
  for (int64_t r = 0; r < s->sw; r++) {
    float *d = dst + r * len;
    int64_t lo, hi, offset = r - s->pl;
    cnn_window_valid_range (offset, s->sw, s->w, len, &lo, &hi);
    memset (d, 0, sizeof (float) * (size_t) lo);
    if (s->sw == 1)
      memcpy (d + lo, row + lo + offset, sizeof (float) * (size_t) (hi - lo));
    else
      for (int64_t i = lo; i < hi; i++)
        d[i] = row[s->sw * i + offset];
    memset (d + hi, 0, sizeof (float) * (size_t) (len - hi));
  }
}

/* Output rows [oh0, oh1) of the 16 channels [m0, m0 + 16) (stored: the first nm) from the
 * band's phase rows. KW (0: any) is a constant at each call so that the tap loop unrolls. */
AVX512 INLINE void
stem_block (int KW, const cnn_conv_geom *s, const float *prep, int64_t len, const float *wp,
    int64_t m0, int nm, const float *bias, const float *sum, float *y, int64_t oh0,
    int64_t oh1, cnn_activation act, float alpha, float beta, bool act_here)
{
  int64_t kw = KW ? KW : s->kw, out_plane = s->oh * s->ow;
  int64_t off[STEM_MAX_KW];
  float b[STEM_BLOCK] = { 0 };

  for (int64_t kj = 0; kj < kw; kj++)
    off[kj] = (kj * s->dw) % s->sw * len + kj * s->dw / s->sw;
  for (int m = 0; m < nm && bias != NULL; m++)
    b[m] = bias[m0 + m];
  for (int64_t oh = oh0; oh < oh1; oh++) {
    const float *band = prep + (oh - oh0) * s->sh * s->c * s->sw * len;
    for (int64_t ow0 = 0; ow0 < s->ow; ow0 += 16) {
      int64_t left = s->ow - ow0;
      __mmask16 lanes = left >= 16 ? (__mmask16) 0xffff : (__mmask16) ((1u << left) - 1);
      __m512 acc[STEM_BLOCK];
      _Pragma ("GCC unroll 16")
      for (int m = 0; m < STEM_BLOCK; m++)
        acc[m] = _mm512_set1_ps (b[m]);
      /* The output lines two blocks on (past a row's end, the next row's first), for
       * writing: in a network they come cold from memory, and without this a fifth of the
       * time went to waiting on the stores. Per-layer minimum in the network, 1 thread Zen 4
       * (loaded machine, 8-12 shuffled rounds): SqueezeNet 1.1's stem 0.91 -> 0.74 ms,
       * MobileNetV2's 0.48 -> 0.43, EfficientNet-B0's 0.53 -> 0.47, ResNet-50's 7×7 2.61 ->
       * 2.33 (other layers 5% apart in the same runs); SqueezeNet's at 2 threads 0.46 -> 0.44. */
      const float *ahead = y + m0 * out_plane + oh * s->ow + ow0 + 32;
      for (int m = 0; m < nm; m++)
        _mm_prefetch ((const char *) (ahead + m * out_plane), _MM_HINT_ET0);
      const float *wt = wp;
      for (int64_t ki = 0; ki < s->kh; ki++)
        for (int64_t c = 0; c < s->c; c++) {
          const float *row = band + (ki * s->dh * s->c + c) * s->sw * len + ow0;
          _Pragma ("GCC unroll 8")
          for (int64_t kj = 0; kj < kw; kj++, wt += STEM_BLOCK) {
            __m512 in = _mm512_loadu_ps (row + off[kj]);
            _Pragma ("GCC unroll 16")
            for (int m = 0; m < STEM_BLOCK; m++)
              acc[m] = _mm512_fmadd_ps (_mm512_set1_ps (wt[m]), in, acc[m]);
          }
        }
      float *yo = y + m0 * out_plane + oh * s->ow + ow0;
      const float *so = sum != NULL ? sum + m0 * out_plane + oh * s->ow + ow0 : NULL;
      /* A constant bound, so that the accumulators stay in registers: a loop to nm spilled
       * all sixteen to the stack. Per-layer minimum in the network, 1 thread Zen 4 (loaded
       * machine, 6-10 shuffled rounds): SqueezeNet 1.1's stem 0.60 -> 0.52 ms, EfficientNet-B0's
       * 0.37 -> 0.34, MobileNetV3-small's 0.178 -> 0.171. */
      _Pragma ("GCC unroll 16")
      for (int m = 0; m < STEM_BLOCK; m++) {
        if (m >= nm)
          break;
        if (so != NULL)
          acc[m] = _mm512_add_ps (acc[m], _mm512_maskz_loadu_ps (lanes, so + m * out_plane));
        if (act_here)
          acc[m] = activate16 (acc[m], act, alpha, beta);
        _mm512_mask_storeu_ps (yo + m * out_plane, lanes, acc[m]);
      }
    }
  }
}

AVX512 AVX512 void
cnn_conv_stem (const cnn_conv_geom *s, const float *x, const float *w, const float *bias,
    const float *sum, float *y, int64_t oh0, int64_t oh1, cnn_activation act, float alpha,
    float beta, float *scratch)
{
  int64_t len = stem_row_len (s), taps = s->c * s->kh * s->kw, out_plane = s->oh * s->ow;
  int64_t ih0 = oh0 * s->sh - s->pt, in_rows = stem_in_rows (s, oh1 - oh0);
  float *wp = scratch, *prep = scratch + stem_weight_floats (s);
  bool act_here = activation_in_registers (act);

  /* Weights by blocks of 16 channels, tap-major in the order the block reads them (kernel
   * row, channel, column); channels past M are zero. */
  for (int64_t m = 0; m < round16 (s->m); m++)
    for (int64_t ki = 0; ki < s->kh; ki++)
      for (int64_t c = 0; c < s->c; c++)
        for (int64_t kj = 0; kj < s->kw; kj++) {
          int64_t t = (ki * s->c + c) * s->kw + kj;
          wp[(m / STEM_BLOCK * taps + t) * STEM_BLOCK + m % STEM_BLOCK] = m < s->m
              ? w[((m * s->c + c) * s->kh + ki) * s->kw + kj] : 0.0f;
        }
  /* Phase rows by input row, then channel. */
  for (int64_t t = 0; t < in_rows; t++)
    for (int64_t c = 0; c < s->c; c++) {
      int64_t ih = ih0 + t;
      stem_phase_row (s, ih >= 0 && ih < s->h ? x + (c * s->h + ih) * s->w : NULL, len,
          prep + (t * s->c + c) * s->sw * len);
    }
  for (int64_t m0 = 0; m0 < s->m; m0 += STEM_BLOCK) {
    int nm = (int) cnn_min64 (STEM_BLOCK, s->m - m0);
    const float *wb = wp + m0 * taps;
    switch (s->kw) {
      case 3:
        stem_block (3, s, prep, len, wb, m0, nm, bias, sum, y, oh0, oh1, act, alpha, beta,
            act_here);
        break;
      case 7:
        stem_block (7, s, prep, len, wb, m0, nm, bias, sum, y, oh0, oh1, act, alpha, beta,
            act_here);
        break;
      default:
        stem_block (0, s, prep, len, wb, m0, nm, bias, sum, y, oh0, oh1, act, alpha, beta,
            act_here);
        break;
    }
  }
  /* Activations not computed on registers, on the stored rows. */
  if (!act_here)
    cnn_activate_rows (y + oh0 * s->ow, s->m, (oh1 - oh0) * s->ow, out_plane, act, alpha, beta);
}

#else /* not x86-64: cnn_conv_stem_available is false there */

void
cnn_conv_stem (const cnn_conv_geom *s, const float *x, const float *w, const float *bias,
    const float *sum, float *y, int64_t oh0, int64_t oh1, cnn_activation act, float alpha,
    float beta, float *scratch)
{
  (void) s, (void) x, (void) w, (void) bias, (void) sum, (void) y, (void) oh0, (void) oh1;
  (void) act, (void) alpha, (void) beta, (void) scratch;
}

#endif
