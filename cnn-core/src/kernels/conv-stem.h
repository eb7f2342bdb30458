/* conv-stem.h — a direct conv for inputs of few channels (a network's first conv, on RGB),
 * vectorised along output rows, with no im2col matrix (x86-avx512/conv-stem.c). Other CPUs
 * run these convs through im2col and the GEMM.
 */
#ifndef CNN_CONV_STEM_H
#define CNN_CONV_STEM_H

#include "conv.h"

#include <stdbool.h>
#include <stddef.h>

/* Only when cnn_conv_stem_available(s): AVX-512 CPUs, group 1, at most 4 input channels,
 * kernels at most 16 taps wide. */
bool cnn_conv_stem_available (const cnn_conv_geom *s);
/* Floats of scratch one call on `rows` output rows needs. */
size_t cnn_conv_stem_scratch (const cnn_conv_geom *s, int64_t rows);
/* Output rows [oh0, oh1) of one image, every output channel: y = act(conv(x, w) + bias +
 * sum). x, y and sum (may be NULL, may be y) point at the image; bias may be NULL; w is in
 * ONNX layout [M, C, kH, kW]. */
void cnn_conv_stem (const cnn_conv_geom *s, const float *x, const float *w, const float *bias,
    const float *sum, float *y, int64_t oh0, int64_t oh1, cnn_activation act, float alpha,
    float beta, float *scratch);

#endif /* CNN_CONV_STEM_H */
