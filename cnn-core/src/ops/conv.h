/* conv.h — what Conv tells the rest of the library beyond its table row: the geometry of a
 * Conv node, the algorithm its prepare chose, and the tests' switch to the portable kernels.
 */
#ifndef CNN_OPS_CONV_H
#define CNN_OPS_CONV_H

#include "graph.h"
#include "kernels/conv.h"

/* The geometry of a Conv node whose input shapes are known (after parse). */
cnn_status cnn_conv_geometry (const cnn_graph *g, const cnn_node *n, cnn_conv_geom *s,
    cnn_error *err);

/* Name of the algorithm Conv's prepare chose ("gemm-1x1", "im2col-gemm", "winograd-2x2",
 * "winograd-4x4", "depthwise", "depthwise-3x3"), for tests and debugging; "" before
 * prepare. */
const char *cnn_conv_algorithm (const cnn_node *n);

/* For tests: plans made afterwards use only the portable kernels (OpenBLAS and the
 * phase-plane depthwise and max pooling), as on a CPU without AVX-512, so that both are held
 * to the reference. Not thread-safe; off by default. */
void cnn_conv_set_portable (bool portable);
bool cnn_conv_portable (void);

#endif /* CNN_OPS_CONV_H */
