/* pointwise.h — the GEMM of a 1×1 conv of few input channels (K up to a few dozen: the
 * pointwise convs of MobileNets and EfficientNets), X read in place with no packed copy
 * (x86-avx512/pointwise.c). It computes cnn_gemm_fused's product and epilogue (gemm.h):
 *
 *   y[i][j] = act(Σ_k w[i][k] · x[k][j] + bias[i] + sum[i][j])   for i < m, j < n,
 *
 * with y and sum (which may be y itself) sharing the row stride ldy; bias and sum may be NULL.
 * Only when cnn_pointwise_available() (AVX-512 CPUs); other CPUs run these convs through the
 * GEMM. Runs on the calling thread.
 */
#ifndef CNN_POINTWISE_H
#define CNN_POINTWISE_H

#include "activation.h"

#include <stdbool.h>
#include <stdint.h>

bool cnn_pointwise_available (void);
void cnn_pointwise (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw,
    const float *x, int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta);

#endif /* CNN_POINTWISE_H */
