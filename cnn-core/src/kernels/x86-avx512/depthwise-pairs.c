/* depthwise-pairs.c — depthwise convs of stride 1 or 2 from inputs at most 16 wide into
 * outputs at most 8 wide, kernels up to 3×3, for AVX-512 CPUs: two output rows per vector.
 *
 * From inputs at most 16 wide (MobileNetV2's 14×14 -> 7×7) cnn_depthwise_channels spends most
 * of its time transposing: 13 transposes of 16 input positions for 4 of outputs. Here each
 * plane stays as it is: a vector holds two output rows (2 · ow lanes), and each tap gathers its
 * inputs from the two input rows it reads with one two-source permute (columns S·j + kj − pl of
 * each, S the stride), zeroed outside the input, then one FMA. 1 thread Zen 4, one call over
 * all channels with the input just written (best of 300): 3×3 14×14 -> 7×7, 576 channels 0.037
 * -> 0.030 ms. Not 5×5 kernels, whose 25 permutes per pair of rows cost as much as the
 * transposes (288 channels 0.025 ms both, 672 0.060 both).
 * Stride 1 on 7×7 maps the same way (4 transposes in and 4 out there): MobileNetV2's
 * features.15 to 17 (3×3, 960 channels), 1 thread, min of 30 alternated runs in the network,
 * 0.039, 0.036, 0.037 -> 0.034, 0.033, 0.033 ms; but under SiLU 8% slower (EfficientNet-B0's
 * features.7.0, 1152 channels), where ops/conv.c keeps the channel blocks. (Flattened planes
 * with each tap one load at a flat offset, lanes outside the window masked, were no faster
 * than the transposes.)
 * In its own file: beside the channel blocks in depthwise.c it made them 5-12% slower
 * (GCC's inlining there changed; 5×5 on 14×14, 672 channels, 0.113 -> 0.128 ms).
 */
#include "kernels/depthwise.h"

#include "cpu.h"

bool
cnn_depthwise_pairs_available (const cnn_conv_geom *s)
{
  return cnn_cpu_has_avx512 () && s->m == s->c && s->sh == s->sw && (s->sh == 1 || s->sh == 2)
      && s->dh == 1 && s->dw == 1 && s->kh <= 3 && s->kw <= 3 && s->w <= 16 && 2 * s->ow <= 16;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include "avx512.h"

/* Output rows [oh0, oh0 + 2P) of one plane in P vectors, P independent FMA chains; S (the
 * stride), K (a square kernel's size, 0: any up to 3×3) and P are constants at every call.
 * rows[i] holds input row S · oh0 − pt + i (zero outside the plane); lanes past the output
 * rows compute garbage the caller's stores mask off. */
AVX512 INLINE void
pairs_taps (int S, int K, int P, const cnn_conv_geom *s, const __m512 *rows,
    const __m512i *idx, const __mmask16 *cols, const float *w, __m512 *acc)
{
  int64_t kh = K ? K : s->kh, kw = K ? K : s->kw;

  _Pragma ("GCC unroll 3")
  for (int64_t ki = 0; ki < kh; ki++)
    _Pragma ("GCC unroll 3")
    for (int64_t kj = 0; kj < kw; kj++) {
      __m512 wb = _mm512_set1_ps (w[ki * kw + kj]);
      _Pragma ("GCC unroll 4")
      for (int p = 0; p < P; p++)
        acc[p] = _mm512_fmadd_ps (_mm512_maskz_permutex2var_ps (cols[kj],
                rows[2 * S * p + ki], idx[kj], rows[2 * S * p + ki + S]), wb, acc[p]);
    }
}

/* Pairs of output rows per step: 4 FMA chains, each tap's loads shared by two of them.
 * One chain ran MobileNetV2's 14×14 -> 7×7 (576 channels) no faster than the channel
 * blocks, bound by the latency of its 9 FMAs. */
#define PAIRS_STEP 4

AVX512 INLINE void
pairs_planes (int S, const cnn_conv_geom *s, int64_t channels, const float *x, const float *w,
    const float *bias, const float *sum, float *y, cnn_activation act, float alpha,
    float beta)
{
  int64_t in_plane = s->h * s->w, out_plane = s->oh * s->ow, taps = s->kh * s->kw;
  bool square3 = s->kh == 3 && s->kw == 3;
  bool act_here = activation_in_registers (act);
  const __mmask16 row_lanes = tail_mask (s->w);
  __m512i idx[3];
  __mmask16 cols[3];

  /* Lane l = q · ow + j: output row q of the pair (0: the first source, 1: the second),
   * column j, which reads input column S·j + kj − pl. Counted, not divided: a division per
   * lane cost a quarter of the call. */
  for (int64_t kj = 0; kj < s->kw; kj++) {
    int32_t ix[16];
    uint32_t m = 0;
    for (int64_t l = 0, q = 0, j = 0; l < 16; l++) {
      int64_t ic = S * j + kj - s->pl;
      bool inside = q < 2 && ic >= 0 && ic < s->w;
      ix[l] = inside ? (int32_t) (q * 16 + ic) : 0;
      m |= inside ? 1u << l : 0;
      if (++j == s->ow)
        j = 0, q++;
    }
    idx[kj] = _mm512_loadu_si512 (ix);
    cols[kj] = (__mmask16) m;
  }
  for (int64_t c = 0; c < channels; c++) {
    const float *xc = x + c * in_plane, *wc = w + c * taps;
    __m512 b = _mm512_set1_ps (bias != NULL ? bias[c] : 0.0f);
    for (int64_t oh0 = 0; oh0 < s->oh; oh0 += 2 * PAIRS_STEP) {
      __m512 rows[4 * PAIRS_STEP + 1], acc[PAIRS_STEP];
      for (int64_t i = 0; i < S * (2 * PAIRS_STEP - 1) + s->kh; i++) {
        int64_t ih = S * oh0 - s->pt + i;
        rows[i] = ih >= 0 && ih < s->h ? _mm512_maskz_loadu_ps (row_lanes, xc + ih * s->w)
            : _mm512_setzero_ps ();
      }
      for (int p = 0; p < PAIRS_STEP; p++) {
        int64_t o = c * out_plane + (oh0 + 2 * p) * s->ow;
        acc[p] = b;
        if (sum != NULL && oh0 + 2 * p < s->oh)
          acc[p] = _mm512_add_ps (b, _mm512_maskz_loadu_ps (tail_mask (cnn_min64 (2,
                          s->oh - oh0 - 2 * p) * s->ow), sum + o));
      }
      if (square3)
        pairs_taps (S, 3, PAIRS_STEP, s, rows, idx, cols, wc, acc);
      else
        pairs_taps (S, 0, PAIRS_STEP, s, rows, idx, cols, wc, acc);
      for (int p = 0; p < PAIRS_STEP && oh0 + 2 * p < s->oh; p++) {
        if (act_here)
          acc[p] = activate16 (acc[p], act, alpha, beta);
        _mm512_mask_storeu_ps (y + c * out_plane + (oh0 + 2 * p) * s->ow,
            tail_mask (cnn_min64 (2, s->oh - oh0 - 2 * p) * s->ow), acc[p]);
      }
    }
  }
  if (!act_here)
    cnn_activate_rows (y, channels, out_plane, out_plane, act, alpha, beta);
}

/* One function per stride: both copies inlined into one made stride 2 6% slower
 * (MobileNetV2's features.14, 14×14 -> 7×7, 576 channels: 0.0271 -> 0.0288 ms; 0.0277 so). */
AVX512 static void
pairs_s1 (const cnn_conv_geom *s, int64_t channels, const float *x, const float *w,
    const float *bias, const float *sum, float *y, cnn_activation act, float alpha,
    float beta)
{
  pairs_planes (1, s, channels, x, w, bias, sum, y, act, alpha, beta);
}

AVX512 static void
pairs_s2 (const cnn_conv_geom *s, int64_t channels, const float *x, const float *w,
    const float *bias, const float *sum, float *y, cnn_activation act, float alpha,
    float beta)
{
  pairs_planes (2, s, channels, x, w, bias, sum, y, act, alpha, beta);
}

void
cnn_depthwise_pairs (const cnn_conv_geom *s, int64_t channels, const float *x, const float *w,
    const float *bias, const float *sum, float *y, cnn_activation act, float alpha,
    float beta)
{
  if (s->sw == 1)
    pairs_s1 (s, channels, x, w, bias, sum, y, act, alpha, beta);
  else
    pairs_s2 (s, channels, x, w, bias, sum, y, act, alpha, beta);
}

#else /* not x86-64: cnn_depthwise_pairs_available is false there */

void
cnn_depthwise_pairs (const cnn_conv_geom *s, int64_t channels, const float *x, const float *w,
    const float *bias, const float *sum, float *y, cnn_activation act, float alpha,
    float beta)
{
  (void) s, (void) channels, (void) x, (void) w, (void) bias, (void) sum, (void) y;
  (void) act, (void) alpha, (void) beta;
}

#endif
