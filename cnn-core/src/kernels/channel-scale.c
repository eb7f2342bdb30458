/* channel-scale.c — per-input-channel factors applied to a conv's weights or input.
 *
 * A squeeze-excitation block ends in Mul (x, gate), gate [N, C, 1, 1], read by a 1×1 conv: the
 * conv then reads x directly with weight column c scaled by gate[c] (M·C multiplies per image
 * rather than C·H·W, and no pass over x). Where the weights cannot be scaled (packed forms),
 * the input is scaled into a copy instead, which costs what the Mul did.
 */
#include "channel-scale.h"

#include "vectorize.h"

CNN_VECTORIZE void
cnn_scale_weight_columns (int64_t rows, int64_t k, const float *w, int64_t ldw,
    const float *scale, float *dst)
{
  for (int64_t r = 0; r < rows; r++) {
    const float *src = w + r * ldw;
    float *out = dst + r * k;
    for (int64_t i = 0; i < k; i++)
      out[i] = src[i] * scale[i];
  }
}

CNN_VECTORIZE void
cnn_scale_planes (int64_t channels, int64_t plane, const float *x, const float *scale,
    float *dst)
{
  for (int64_t c = 0; c < channels; c++) {
    const float *src = x + c * plane;
    float *out = dst + c * plane;
    float f = scale[c];
    for (int64_t i = 0; i < plane; i++)
      out[i] = src[i] * f;
  }
}
