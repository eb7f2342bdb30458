/* conv.h — the sliding window every window kernel takes (Conv, MaxPool, AveragePool), the row
 * helpers they share, and the reference convolution the tests hold the fast kernels to.
 *
 * A window runs as 2-D over NCHW planes: a 1-D input [N, C, L] is [N, C, 1, L] with a
 * 1-tall kernel. How a node's attributes become this geometry is the ops' business
 * (ops/window.h). The kernels that take it: im2col.h, phase-planes.h, gemm.h, depthwise.h,
 * winograd.h.
 */
#ifndef CNN_CONV_H
#define CNN_CONV_H

#include "activation.h"
#include "common.h"

#include <stdint.h>
#include <string.h>

/* One 2-D sliding window over an NCHW tensor. For Conv, c and m are input and output channels;
 * for pools m == c. */
typedef struct cnn_conv_geom {
  int64_t n, c, h, w;           /* input */
  int64_t m, oh, ow;            /* output */
  int64_t group;
  int64_t kh, kw;               /* kernel taps */
  int64_t sh, sw;               /* strides */
  int64_t dh, dw;               /* dilations */
  int64_t pt, pl, pb, pr;       /* padding top, left, bottom, right */
} cnn_conv_geom;

/* y = act(conv(x, w) + b + sum), the definition written out as loops (conv-reference.c). b and
 * sum may be NULL. Accumulates in double: this is the yardstick, not a kernel. */
void cnn_conv_reference (const cnn_conv_geom *s, const float *x, const float *w,
    const float *b, const float *sum, cnn_activation act, float alpha, float beta, float *y);

/* Output positions o in [0, out) whose input index o * stride + offset lies in [0, in):
 * the interior [*lo, *hi) of one kernel tap, so inner loops need no bounds checks. */
static inline void
cnn_window_valid_range (int64_t offset, int64_t stride, int64_t in, int64_t out, int64_t *lo,
    int64_t *hi)
{
  int64_t a = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t b = in - 1 - offset < 0 ? 0 : (in - 1 - offset) / stride + 1;

  a = a < out ? a : out;
  b = b < out ? b : out;
  *lo = a;
  *hi = b > a ? b : a;
}

/* dst[ow - ow0] = row[ow * stride + offset] for ow in [ow0, ow1), `pad` outside [lo, hi) (the
 * tap's cnn_window_valid_range): one tap's row of a window, as im2col and the phase planes
 * gather it. */
static inline void
cnn_window_copy_row (float *restrict dst, const float *restrict row, int64_t ow0, int64_t ow1,
    int64_t lo, int64_t hi, int64_t stride, int64_t offset, float pad)
{
  int64_t a = cnn_min64 (cnn_max64 (lo, ow0), ow1), b = cnn_min64 (cnn_max64 (hi, a), ow1);

  for (int64_t ow = ow0; ow < a; ow++)
    dst[ow - ow0] = pad;
  if (stride == 1) {
    memcpy (dst + (a - ow0), row + a + offset, sizeof (float) * (size_t) (b - a));
  } else if (stride == 2) {
    /* A constant stride lets the compiler vectorise the gather (stems, downsampling). */
    for (int64_t ow = a; ow < b; ow++)
      dst[ow - ow0] = row[ow * 2 + offset];
  } else {
    for (int64_t ow = a; ow < b; ow++)
      dst[ow - ow0] = row[ow * stride + offset];
  }
  for (int64_t ow = b; ow < ow1; ow++)
    dst[ow - ow0] = pad;
}

#endif /* CNN_CONV_H */
