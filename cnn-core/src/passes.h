/* passes.h — graph rewrites that make the graph cheaper to run without changing results. */
#ifndef CNN_PASSES_H
#define CNN_PASSES_H

#include "graph.h"

/* Once, after loading (shape-independent): Identity and Dropout removal, BatchNormalization
 * folded into the preceding Conv, activations fused into their producer, dead nodes removed. */
cnn_status cnn_passes_load (cnn_graph *g, cnn_error *err);

/* At prepare, once shapes are known and constants folded: residual Add fused into the Conv
 * that produces one of its operands; a squeeze-excitation's Mul (x, gate) into the 1×1 Conv
 * that reads it (fp32). */
cnn_status cnn_passes_prepare (cnn_graph *g, cnn_error *err);

#endif /* CNN_PASSES_H */
