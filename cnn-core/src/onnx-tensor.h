/* onnx-tensor.h — ONNX TensorProto → a checked, typed constant blob (initializers and
 * tensor attributes). Part of the loader, apart because it is where untrusted sizes meet
 * allocation: every count is checked against the data actually present and the memory
 * budget before anything is allocated. */
#ifndef CNN_ONNX_TENSOR_H
#define CNN_ONNX_TENSOR_H

#include "graph.h"
#include "onnx.pb-c.h"

/* Far beyond any image classifier; keeps later int / size arithmetic safe. */
#define CNN_ONNX_MAX_DIM (INT64_C (1) << 31)
#define CNN_ONNX_MAX_ELEMENTS (UINT64_C (1) << 32)

/* Where decoded tensors' bytes live, and what constant data may still be made. */
typedef struct cnn_onnx_tensors {
  cnn_graph *g;                 /* messages start with its source */
  ProtobufCAllocator *allocator;        /* the one that decoded the model */
  /* The file bytes: raw_data pointing there was cut out of the skeleton and is not
   * protobuf-c's to free; with release_file, its pages are returned once decoded. */
  const uint8_t *file;
  size_t file_size;
  bool release_file;
  uint64_t const_bytes;         /* constant data so far */
  uint64_t max_const_bytes;
} cnn_onnx_tensors;

typedef struct cnn_onnx_tensor {
  cnn_dtype dtype;
  int rank;
  int64_t dims[CNN_MAX_RANK];
  cnn_blob *blob;
} cnn_onnx_tensor;

/* Decodes @t into a new blob, then releases the tensor's data. @label names it in messages,
 * e.g. "initializer 'w'". */
cnn_status cnn_onnx_decode_tensor (cnn_onnx_tensors *ts, Onnx__TensorProto *t,
    const char *label, cnn_onnx_tensor *out, cnn_error *err);

/* Whether @p points into the file's own bytes (a payload the skeleton cut out). */
bool cnn_onnx_in_file (const cnn_onnx_tensors *ts, const void *p);

/* "FLOAT", "INT64", … for a TensorProto.DataType; "unknown" past the list. */
const char *cnn_onnx_data_type_name (int32_t type);

/* "36 bytes" or "12.5 MiB", for size limits in messages. */
const char *cnn_onnx_format_bytes (char *buf, size_t size, uint64_t bytes);

#endif /* CNN_ONNX_TENSOR_H */
