/* onnx-skeleton.h — an ONNX file without its weights, so that decoding it copies no weights.
 *
 * protobuf-c copies every bytes field it decodes: a 100 MB model held in memory plus its
 * decoded copy is 200 MB at the peak. The skeleton is the same ModelProto with the raw_data
 * of its large initializers cut out (the enclosing lengths re-encoded); protobuf-c decodes
 * that, and the loader reads each cut-out payload straight from the file bytes, where
 * `raw_offset`/`raw_len` say it is. Initializers are counted in file order, as protobuf-c
 * decodes them.
 *
 * Only the plain layout exporters write is cut: one `graph` field, initializers as
 * length-delimited fields, at most one raw_data each. Anything else (malformed varints,
 * groups, several graph fields that protobuf would merge) makes cnn_onnx_skeleton_build
 * return false, and the loader decodes the file as it is, with all its checks.
 */
#ifndef CNN_ONNX_SKELETON_H
#define CNN_ONNX_SKELETON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* raw_data payloads smaller than this stay in the skeleton. */
#define CNN_ONNX_SKELETON_MIN_CUT 4096

typedef struct cnn_onnx_skeleton {
  uint8_t *data;                /* the ModelProto without the cut payloads */
  size_t size;
  size_t n_initializers;        /* initializers seen, in file order */
  size_t *raw_offset;           /* per initializer: offset of its cut raw_data in the file */
  size_t *raw_len;              /* its length; 0 if nothing was cut */
  size_t n_cut;                 /* initializers whose raw_data was cut */
} cnn_onnx_skeleton;

/* false (and *skel empty) when the file has no payload worth cutting, has a layout this does
 * not handle, or memory runs out: decode the file itself then. */
bool cnn_onnx_skeleton_build (const uint8_t *data, size_t size, cnn_onnx_skeleton *skel);
void cnn_onnx_skeleton_free (cnn_onnx_skeleton *skel);

#endif /* CNN_ONNX_SKELETON_H */
