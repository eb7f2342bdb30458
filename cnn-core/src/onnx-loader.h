/* onnx-loader.h — ONNX protobuf bytes → cnn_graph.
 *
 * The loader only translates: values, initializers (as constants), graph inputs and outputs
 * with their declared types, nodes with all their attributes, metadata. It checks what the file
 * itself can get wrong (truncated or corrupt protobuf, tensor data that does not match its
 * shape, absurd sizes, external data, non-standard domains, opset range) but does not look op
 * types up, parse op attributes or sort nodes: cnn_model_from_graph (model.c) does that
 * afterwards, through ops/ops.c and passes.c.
 */
#ifndef CNN_ONNX_LOADER_H
#define CNN_ONNX_LOADER_H

#include "graph.h"

/* Default-domain opsets we accept. Newer opsets load too (most ops we run did not change);
 * the newest one the test suite covers is CNN_ONNX_TESTED_OPSET. */
#define CNN_ONNX_MIN_OPSET 1
#define CNN_ONNX_TESTED_OPSET 18

/* Decodes `size` bytes of an ONNX ModelProto. `source` names the model in messages (NULL:
 * "<memory>"); `options` may be NULL for defaults (only max_memory_bytes and max_file_bytes are
 * used here). Everything is copied: the caller may free `data` afterwards. On failure *graph is
 * untouched and err says what is wrong, starting with the source name. */
cnn_status cnn_onnx_load (const void *data, size_t size, const char *source,
    const cnn_options *options, cnn_graph **graph, cnn_error *err);

/* As cnn_onnx_load, for the caller's own copy of a file: the pages of `data` that held
 * weights are given back to the system as they are decoded (their contents are gone after),
 * so loading peaks near one copy of the weights, not two. */
cnn_status cnn_onnx_load_owned (void *data, size_t size, const char *source,
    const cnn_options *options, cnn_graph **graph, cnn_error *err);

#endif /* CNN_ONNX_LOADER_H */
