/* helpers.h — small pieces several ops share: stock hooks, input checks, and the reading of
 * axes and of integer lists that ONNX gives as attributes or as constant inputs.
 */
#ifndef CNN_OPS_HELPERS_H
#define CNN_OPS_HELPERS_H

#include "ops.h"

/* The macs hook of ops that only move data: none. */
uint64_t cnn_op_macs_none (const cnn_graph *g, const cnn_node *n);

/* The run hook of ops whose output is their input's bytes (reshapes, Identity): copies input
 * 0 to output 0, nothing when they share storage. */
void cnn_op_copy_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec);

/* OK when x's shape is known and its dtype has a size (ops that copy elements by size). */
cnn_status cnn_op_input_known (cnn_graph *g, cnn_node *n, const cnn_value *x, cnn_error *err);

/* OK when x's shape is known and x is float32 (ops that compute on floats). */
cnn_status cnn_op_float_input (const cnn_graph *g, const cnn_node *n, const cnn_value *x,
    cnn_error *err);

/* Whether optional output i exists and is read (by a node or as a graph output): outputs we
 * do not compute (MaxPool's Indices, BatchNormalization's statistics) are fine otherwise. */
bool cnn_op_output_used (const cnn_graph *g, const cnn_node *n, int i);

/* Resolves a possibly negative axis against `rank` (valid range [-rank, rank-1]). */
bool cnn_op_resolve_axis (int64_t axis, int rank, int *out);

/* Reads constant 1-D int64/int32 input `index` into out[0 .. *count-1] (at most `max`). A
 * missing input gives *count = -1. */
cnn_status cnn_op_const_ints (cnn_graph *g, cnn_node *n, int index, const char *what, int max,
    int64_t *out, int *count, cnn_error *err);

/* An integer list that is attribute `name` before opset `input_opset` and constant input
 * `index` from it (Squeeze's axes, Slice's starts ...), read like cnn_op_const_ints. */
cnn_status cnn_op_ints (cnn_graph *g, cnn_node *n, const char *name, int index,
    int64_t input_opset, int max, int64_t *out, int *count, cnn_error *err);

#endif /* CNN_OPS_HELPERS_H */
