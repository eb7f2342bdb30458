/* im2col.h — the input patches of a conv gathered into a matrix, so that one GEMM computes a
 * tile of output columns (Conv's im2col-gemm algorithm).
 */
#ifndef CNN_IM2COL_H
#define CNN_IM2COL_H

#include "conv.h"

/* col[K, ncols] = the input patches of output positions [col0, col0 + ncols) for the cg
 * channels starting at x; K is ordered (channel, tap row, tap column) like the weights. */
void cnn_im2col (const cnn_conv_geom *s, const float *x, int64_t cg, int64_t col0,
    int64_t ncols, float *col);

#endif /* CNN_IM2COL_H */
