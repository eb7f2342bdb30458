/* channel-scale.h — a conv's operands multiplied by per-input-channel factors: a
 * squeeze-excitation gate folded into the 1×1 conv that reads the gated tensor, or applied by
 * Mul where it is not folded (see channel-scale.c). */
#ifndef CNN_CHANNEL_SCALE_H
#define CNN_CHANNEL_SCALE_H

#include <stdint.h>

/* dst[r][k] = w[r][k] · scale[k] for rows × k weights (row stride ldw; dst's is k). */
void cnn_scale_weight_columns (int64_t rows, int64_t k, const float *w, int64_t ldw,
    const float *scale, float *dst);

/* dst[c][i] = x[c][i] · scale[c] for channels × plane elements. */
void cnn_scale_planes (int64_t channels, int64_t plane, const float *x, const float *scale,
    float *dst);

#endif /* CNN_CHANNEL_SCALE_H */
