/* strided-copy.h — one strided copy of elements of any size between two tensors, the
 * data movement of Transpose, Slice and Pad (see strided-copy.c).
 */
#ifndef CNN_STRIDED_COPY_H
#define CNN_STRIDED_COPY_H

#include "cnn/cnn.h"
#include "threadpool.h"

typedef struct cnn_copy_plan {
  int rank;                     /* 0: nothing to copy */
  int64_t dims[CNN_MAX_RANK];
  int64_t ds[CNN_MAX_RANK], ss[CNN_MAX_RANK];   /* element strides of dst and src */
  unsigned char *dst;
  const unsigned char *src;
  size_t es;
} cnn_copy_plan;

/* dst[i · ds] = src[i · ss] over the index space dims (rank dims), elements of es bytes:
 * size-1 dims dropped, dims merged into their outer neighbour where both sides stay regular. */
void cnn_copy_plan_init (cnn_copy_plan *p, int rank, const int64_t *dims, const int64_t *ds,
    const int64_t *ss, void *dst, const void *src, size_t es);
/* Runs the copy, rows of the innermost dim shared out among the pool's threads (pool may be
 * NULL). */
void cnn_copy_plan_run (const cnn_copy_plan *p, cnn_threadpool *pool);

/* Row-major element strides of a shape. */
void cnn_contiguous_strides (int rank, const int64_t *dims, int64_t *strides);

#endif /* CNN_STRIDED_COPY_H */
