/* depthwise.h — one output plane of a depthwise conv or a windowed pool, in two versions that
 * compute the same thing: straight from the input plane on AVX-512 CPUs
 * (x86-avx512/depthwise.c), and from padded stride-phase planes everywhere (depthwise.c).
 */
#ifndef CNN_DEPTHWISE_H
#define CNN_DEPTHWISE_H

#include "conv.h"
#include "phase-planes.h"

#include <stdbool.h>
#include <stddef.h>

/* Direct: only when cnn_depthwise_direct_available(s): AVX-512 CPUs, strides 1 or 2, no
 * dilation. */
bool cnn_depthwise_direct_available (const cnn_conv_geom *s);
/* y = act(conv(x, w) + bias + sum) for one plane; sum (the plane's residual, may be y) may
 * be NULL. */
void cnn_depthwise_direct (const cnn_conv_geom *s, const float *x, const float *w, float bias,
    const float *sum, float *y, cnn_activation act, float alpha, float beta);
/* Channel-blocked (AVX-512): up to 16 planes at once, vectorised across the channels
 * rather than along a row: for small maps and stride 2, where a row fills few lanes. Only
 * when cnn_depthwise_channels_available(s): one output per input channel, strides 1 or 2,
 * no dilation, kernels up to 7×7. x, y and sum (may be NULL, may be y) point at the first of
 * `channels` ≤ 16 consecutive planes; w at its kh·kw weights, bias (may be NULL) at its bias.
 * scratch: cnn_depthwise_channels_scratch(s) floats, 64-byte aligned. */
bool cnn_depthwise_channels_available (const cnn_conv_geom *s);
size_t cnn_depthwise_channels_scratch (const cnn_conv_geom *s);
void cnn_depthwise_channels (const cnn_conv_geom *s, int64_t channels, const float *x,
    const float *w, const float *bias, const float *sum, float *y, cnn_activation act,
    float alpha, float beta, float *scratch);
/* Strides 1 and 2 from inputs at most 16 wide (x86-avx512/depthwise-pairs.c): the same as
 * cnn_depthwise_channels, with no scratch, two output rows per vector. Only when
 * cnn_depthwise_pairs_available(s): AVX-512 CPUs, one output per input channel, stride 1 or
 * 2 (the same along both axes), no dilation, kernels up to 3×3, inputs at most 16 wide,
 * outputs at most 8. */
bool cnn_depthwise_pairs_available (const cnn_conv_geom *s);
void cnn_depthwise_pairs (const cnn_conv_geom *s, int64_t channels, const float *x,
    const float *w, const float *bias, const float *sum, float *y, cnn_activation act,
    float alpha, float beta);
/* One max-pooled plane the same way (−∞ padding). */
void cnn_max_pool_direct (const cnn_conv_geom *s, const float *x, float *y);

/* Portable: the same depthwise plane from the phase planes of its input (cnn_phase_split with
 * zero padding), which consecutive output channels of a channel multiplier share. out is
 * OH × Wq floats of scratch (what cnn_phase_scratch counts after the planes). */
void cnn_depthwise_phase (const cnn_conv_geom *s, const cnn_phase_layout *l,
    const float *planes, const float *w, float bias, const float *sum, float *y,
    cnn_activation act, float alpha, float beta, float *out);
/* One max- or average-pooled plane of x through phase planes (−∞ or zero padding); averages
 * are scaled by row_scale[oh] · col_scale[ow], the reciprocal tap counts. scratch holds
 * cnn_phase_scratch(s) floats. */
void cnn_pool_phase (const cnn_conv_geom *s, const cnn_phase_layout *l, const float *x,
    bool average, const float *row_scale, const float *col_scale, float *y, float *scratch);

#endif /* CNN_DEPTHWISE_H */
