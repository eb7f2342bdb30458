/* im2col.c — the input patches of a tile of output columns gathered into a [K, tile] matrix,
 * one tap row segment at a time, padding written as zeros; Conv runs one GEMM per tile on it.
 */
#include "im2col.h"
#include "vectorize.h"

#include <string.h>

CNN_VECTORIZE void
cnn_im2col (const cnn_conv_geom *s, const float *x, int64_t cg, int64_t col0, int64_t ncols,
    float *col)
{
  for (int64_t c = 0; c < cg; c++) {
    const float *plane = x + c * s->h * s->w;
    for (int64_t ki = 0; ki < s->kh; ki++)
      for (int64_t kj = 0; kj < s->kw; kj++) {
        int64_t offset = kj * s->dw - s->pl, lo, hi;
        float *dst = col + ((c * s->kh + ki) * s->kw + kj) * ncols;
        cnn_window_valid_range (offset, s->sw, s->w, s->ow, &lo, &hi);
        /* Walk the tile one output row segment at a time. */
        for (int64_t p = col0, end = col0 + ncols; p < end;) {
          int64_t oh = p / s->ow, ow0 = p % s->ow;
          int64_t ow1 = cnn_min64 (s->ow, ow0 + (end - p));
          int64_t ih = oh * s->sh - s->pt + ki * s->dh;
          if (ih < 0 || ih >= s->h)
            memset (dst, 0, sizeof (float) * (size_t) (ow1 - ow0));
          else
            cnn_window_copy_row (dst, plane + ih * s->w, ow0, ow1, lo, hi, s->sw, offset, 0.0f);
          dst += ow1 - ow0;
          p += ow1 - ow0;
        }
      }
  }
}
