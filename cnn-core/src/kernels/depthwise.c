/* depthwise.c — depthwise convolution and pooling of one plane through padded stride-phase
 * planes (phase-planes.c): the portable twins of x86-avx512/depthwise.c, for every CPU.
 *
 * With every tap a flat offset into the phase planes, the output (computed Wq wide, the
 * columns past OW dropped when it is stored) is one branch-free vectorised pass per few taps:
 * nine taps in one pass for 3×3 kernels, groups of up to seven taps of a kernel row
 * otherwise. Pools take the max or the sum over the taps, averages then scaled by per-row and
 * per-column reciprocal tap counts.
 */
#include "depthwise.h"
#include "vectorize.h"

#include <math.h>
#include <string.h>

/* Taps of one kernel row handled per pass over the output. */
#define DEPTHWISE_GROUP 7

/* out[p] (or bias, on the first pass) + Σ_j w[j] · t[j][p]. */
static inline void
depthwise_pass (float *restrict out, const float *const *t, const float *w, int64_t taps,
    int64_t n, float bias, bool first)
{
  for (int64_t p = 0; p < n; p++) {
    float acc = first ? bias : out[p];
    for (int64_t j = 0; j < taps; j++)
      acc += w[j] * t[j][p];
    out[p] = acc;
  }
}

/* out[p] = bias + Σ taps, p over the Wq-wide output. Nine taps unrolled for 3×3. */
CNN_VECTORIZE static void
depthwise_taps (const cnn_conv_geom *s, const cnn_phase_layout *l, const float *planes,
    const float *w, float bias, float *restrict out)
{
  int64_t n = s->oh * l->wq;

  if (s->kh == 3 && s->kw == 3) {
    const float *restrict t0 = cnn_phase_tap (s, l, planes, 0, 0);
    const float *restrict t1 = cnn_phase_tap (s, l, planes, 0, 1);
    const float *restrict t2 = cnn_phase_tap (s, l, planes, 0, 2);
    const float *restrict t3 = cnn_phase_tap (s, l, planes, 1, 0);
    const float *restrict t4 = cnn_phase_tap (s, l, planes, 1, 1);
    const float *restrict t5 = cnn_phase_tap (s, l, planes, 1, 2);
    const float *restrict t6 = cnn_phase_tap (s, l, planes, 2, 0);
    const float *restrict t7 = cnn_phase_tap (s, l, planes, 2, 1);
    const float *restrict t8 = cnn_phase_tap (s, l, planes, 2, 2);
    const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5];
    const float w6 = w[6], w7 = w[7], w8 = w[8];
    for (int64_t p = 0; p < n; p++)
      out[p] = bias + w0 * t0[p] + w1 * t1[p] + w2 * t2[p] + w3 * t3[p] + w4 * t4[p]
          + w5 * t5[p] + w6 * t6[p] + w7 * t7[p] + w8 * t8[p];
    return;
  }
  /* Other kernels: one pass per group of up to DEPTHWISE_GROUP taps of a kernel row. */
  bool first = true;
  for (int64_t ki = 0; ki < s->kh; ki++)
    for (int64_t kj = 0; kj < s->kw; kj += DEPTHWISE_GROUP) {
      const float *t[DEPTHWISE_GROUP];
      int64_t taps = cnn_min64 (DEPTHWISE_GROUP, s->kw - kj);
      for (int64_t j = 0; j < taps; j++)
        t[j] = cnn_phase_tap (s, l, planes, ki, kj + j);
      const float *wk = w + ki * s->kw + kj;
      /* Constant tap counts let each call unroll and vectorise like the 3×3 loop. */
      switch (taps) {
        case 1: depthwise_pass (out, t, wk, 1, n, bias, first); break;
        case 2: depthwise_pass (out, t, wk, 2, n, bias, first); break;
        case 3: depthwise_pass (out, t, wk, 3, n, bias, first); break;
        case 4: depthwise_pass (out, t, wk, 4, n, bias, first); break;
        case 5: depthwise_pass (out, t, wk, 5, n, bias, first); break;
        case 6: depthwise_pass (out, t, wk, 6, n, bias, first); break;
        default: depthwise_pass (out, t, wk, 7, n, bias, first); break;
      }
      first = false;
    }
}

/* y = out without the columns past OW, plus the residual (which may share y's buffer). */
CNN_VECTORIZE static void
depthwise_store (const cnn_conv_geom *s, const cnn_phase_layout *l, const float *out,
    const float *sum, float *y)
{
  for (int64_t oh = 0; oh < s->oh; oh++) {
    const float *o = out + oh * l->wq;
    float *yr = y + oh * s->ow;
    if (sum != NULL) {
      const float *sr = sum + oh * s->ow;
      for (int64_t j = 0; j < s->ow; j++)
        yr[j] = o[j] + sr[j];
    } else {
      memcpy (yr, o, sizeof (float) * (size_t) s->ow);
    }
  }
}

void
cnn_depthwise_phase (const cnn_conv_geom *s, const cnn_phase_layout *l, const float *planes,
    const float *w, float bias, const float *sum, float *y, cnn_activation act, float alpha,
    float beta, float *out)
{
  depthwise_taps (s, l, planes, w, bias, out);
  depthwise_store (s, l, out, sum, y);
  if (act != CNN_ACTIVATION_NONE)
    cnn_activate_array (y, (size_t) (s->oh * s->ow), 0.0f, act, alpha, beta);
}

/* out[p] = max or sum over the window's taps, p = oh·Wq + ow. */
CNN_VECTORIZE static void
pool_taps (const cnn_conv_geom *s, const cnn_phase_layout *l, const float *planes, bool average,
    float *restrict out)
{
  int64_t n = s->oh * l->wq;

  memcpy (out, cnn_phase_tap (s, l, planes, 0, 0), sizeof (float) * (size_t) n);
  for (int64_t ki = 0; ki < s->kh; ki++)
    for (int64_t kj = 0; kj < s->kw; kj++) {
      const float *restrict t = cnn_phase_tap (s, l, planes, ki, kj);
      if (ki == 0 && kj == 0)
        continue;
      if (average)
        for (int64_t i = 0; i < n; i++)
          out[i] += t[i];
      else
        for (int64_t i = 0; i < n; i++)
          out[i] = t[i] > out[i] ? t[i] : out[i];
    }
}

/* y = out without the columns past OW, averages divided by their tap counts. */
CNN_VECTORIZE static void
pool_store (const cnn_conv_geom *s, const cnn_phase_layout *l, const float *out, bool average,
    const float *row_scale, const float *col_scale, float *restrict y)
{
  for (int64_t oh = 0; oh < s->oh; oh++) {
    const float *o = out + oh * l->wq;
    float *yr = y + oh * s->ow;
    if (average) {
      float rs = row_scale[oh];
      for (int64_t j = 0; j < s->ow; j++)
        yr[j] = o[j] * rs * col_scale[j];
    } else {
      memcpy (yr, o, sizeof (float) * (size_t) s->ow);
    }
  }
}

void
cnn_pool_phase (const cnn_conv_geom *s, const cnn_phase_layout *l, const float *x,
    bool average, const float *row_scale, const float *col_scale, float *y, float *scratch)
{
  float *out = scratch + (size_t) l->phases * l->plane;

  cnn_phase_split (s, l, x, average ? 0.0f : -INFINITY, scratch);
  pool_taps (s, l, scratch, average, out);
  pool_store (s, l, out, average, row_scale, col_scale, y);
}
