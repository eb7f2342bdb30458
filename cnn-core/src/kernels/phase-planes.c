/* phase-planes.c — padded stride-phase planes, which make every tap of a window a flat offset.
 *
 * One input plane is split into stride_h × stride_w padded "phase" planes,
 * P[a][b][r][c] = x[r·sh + a − pt][c·sw + b − pl], all Hq × Wq. Tap (ki, kj) of output
 * (oh, ow) is then P[phase][oh + shift_h][ow + shift_w]: with the row width Wq shared by every
 * phase plane, each tap is one flat offset, and the whole output (computed Wq wide, the
 * columns past OW discarded) is a single branch-free vectorised loop over oh·Wq + ow —
 * padding, stride and dilation cost nothing inside it, and small 7×7 maps vectorise as well
 * as big ones. For stride 1 the split is a padded copy.
 */
#include "phase-planes.h"
#include "vectorize.h"

cnn_phase_layout
cnn_phase_layout_of (const cnn_conv_geom *s)
{
  cnn_phase_layout l;

  l.hq = s->oh + (s->kh - 1) * s->dh / s->sh;
  l.wq = s->ow + (s->kw - 1) * s->dw / s->sw;
  l.phases = s->sh * s->sw;
  /* The flat loop reads up to Wq − OW floats past the last row. */
  l.plane = (size_t) ((l.hq * l.wq + l.wq + 15) / 16 * 16);
  return l;
}

size_t
cnn_phase_scratch (const cnn_conv_geom *s)
{
  cnn_phase_layout l = cnn_phase_layout_of (s);
  return (size_t) l.phases * l.plane + (size_t) (s->oh * l.wq);
}

CNN_VECTORIZE void
cnn_deinterleave_row (const float *row, int64_t w, int64_t offset, int64_t n, float pad,
    float *restrict dst0, float *restrict dst1)
{
  /* [lo, hi): columns where both 2c + offset and 2c + 1 + offset are inside the row. */
  int64_t lo = offset >= 0 ? 0 : (-offset + 1) / 2;
  int64_t hi = w - 2 - offset < 0 ? 0 : (w - 2 - offset) / 2 + 1;

  lo = lo < n ? lo : n;
  hi = hi < lo ? lo : (hi < n ? hi : n);
  /* The few columns at either end that touch padding. */
  for (int64_t c = 0; c < n; c++) {
    if (c == lo)
      c = hi;
    if (c >= n)
      break;
    int64_t i0 = 2 * c + offset, i1 = i0 + 1;
    dst0[c] = i0 >= 0 && i0 < w ? row[i0] : pad;
    dst1[c] = i1 >= 0 && i1 < w ? row[i1] : pad;
  }
  const float *src = row + 2 * lo + offset;
  for (int64_t i = 0; i < hi - lo; i++) {
    dst0[lo + i] = src[2 * i];
    dst1[lo + i] = src[2 * i + 1];
  }
}

CNN_VECTORIZE void
cnn_phase_split (const cnn_conv_geom *s, const cnn_phase_layout *l, const float *x, float pad,
    float *planes)
{
  for (int64_t a = 0; a < s->sh; a++)
    for (int64_t r = 0; r < l->hq; r++) {
      int64_t ih = r * s->sh + a - s->pt;
      float *dst = planes + (size_t) (a * s->sw) * l->plane + (size_t) (r * l->wq);
      if (ih < 0 || ih >= s->h) {
        for (int64_t b = 0; b < s->sw; b++)
          for (int64_t j = 0; j < l->wq; j++)
            dst[(size_t) b * l->plane + (size_t) j] = pad;
        continue;
      }
      const float *row = x + ih * s->w;
      if (s->sw == 2) {
        cnn_deinterleave_row (row, s->w, -s->pl, l->wq, pad, dst, dst + l->plane);
        continue;
      }
      for (int64_t b = 0; b < s->sw; b++) {
        int64_t lo, hi, offset = b - s->pl;
        cnn_window_valid_range (offset, s->sw, s->w, l->wq, &lo, &hi);
        cnn_window_copy_row (dst + (size_t) b * l->plane, row, 0, l->wq, lo, hi, s->sw, offset,
            pad);
      }
    }
  /* The tail the flat loop may read past the last row. */
  for (int64_t p = 0; p < l->phases; p++)
    for (size_t i = (size_t) (l->hq * l->wq); i < l->plane; i++)
      planes[(size_t) p * l->plane + i] = pad;
}

const float *
cnn_phase_tap (const cnn_conv_geom *s, const cnn_phase_layout *l, const float *planes,
    int64_t ki, int64_t kj)
{
  int64_t rh = ki * s->dh, rw = kj * s->dw;
  int64_t phase = (rh % s->sh) * s->sw + rw % s->sw;
  return planes + (size_t) phase * l->plane + (size_t) (rh / s->sh * l->wq + rw / s->sw);
}
