/* npy.h — NumPy .npy files for the cnn tool: little-endian, C order, the dtypes the core uses.
 *
 * Reading is strict because the files come from users: bounded header, checked shape
 * arithmetic, and the data must fill the rest of the file exactly.
 */
#ifndef CNN_TOOL_NPY_H
#define CNN_TOOL_NPY_H

#include <cnn/cnn.h>

typedef struct cnn_npy {
  cnn_dtype dtype;
  int rank;
  int64_t dims[CNN_MAX_RANK];
  size_t count;                 /* elements */
  void *data;                   /* count * cnn_dtype_size (dtype) bytes, malloc'd */
} cnn_npy;

/* Reads `path` into `npy` (freed with cnn_npy_clear). On failure `npy` is left zeroed and
 * err names the file. */
cnn_status cnn_npy_read (const char *path, cnn_npy *npy, cnn_error *err);

/* Writes a version 1.0 file (2.0 if the header needs it). */
cnn_status cnn_npy_write (const char *path, cnn_dtype dtype, int rank, const int64_t *dims,
    const void *data, cnn_error *err);

void cnn_npy_clear (cnn_npy *npy);

#endif /* CNN_TOOL_NPY_H */
