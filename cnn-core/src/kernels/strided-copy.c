/* strided-copy.c — a strided copy between two tensors, elements copied by size: the index
 * space is simplified first (size-1 dims dropped, regular neighbours merged), contiguous
 * inner runs become memcpy, and rows are shared out among the threads.
 */
#include "strided-copy.h"

#include <string.h>

/* Elements per parallel unit of a strided copy. */
#define COPY_GRAIN 16384

void
cnn_copy_plan_init (cnn_copy_plan *p, int rank, const int64_t *dims, const int64_t *ds,
    const int64_t *ss, void *dst, const void *src, size_t es)
{
  p->rank = 0;
  p->dst = dst;
  p->src = src;
  p->es = es;
  for (int i = 0; i < rank; i++)
    if (dims[i] <= 0)
      return;
  /* Drop size-1 dims; merge a dim into its outer neighbour when both sides stay regular. */
  for (int i = 0; i < rank; i++) {
    if (dims[i] == 1)
      continue;
    int k = p->rank;
    if (k > 0 && p->ds[k - 1] == ds[i] * dims[i] && p->ss[k - 1] == ss[i] * dims[i]) {
      p->dims[k - 1] *= dims[i];
      p->ds[k - 1] = ds[i];
      p->ss[k - 1] = ss[i];
      continue;
    }
    p->dims[k] = dims[i];
    p->ds[k] = ds[i];
    p->ss[k] = ss[i];
    p->rank++;
  }
  if (p->rank == 0) {
    p->rank = 1;
    p->dims[0] = 1;
    p->ds[0] = p->ss[0] = 1;
  }
}

static void
copy_row (unsigned char *d, int64_t ds, const unsigned char *s, int64_t ss, size_t n,
    size_t es)
{
  if (ds == 1 && ss == 1) {
    memcpy (d, s, n * es);
    return;
  }
  switch (es) {
    case 4: {
      uint32_t *dd = (uint32_t *) d;
      const uint32_t *sp = (const uint32_t *) s;
      for (size_t i = 0; i < n; i++)
        dd[(int64_t) i * ds] = sp[(int64_t) i * ss];
      break;
    }
    case 8: {
      uint64_t *dd = (uint64_t *) d;
      const uint64_t *sp = (const uint64_t *) s;
      for (size_t i = 0; i < n; i++)
        dd[(int64_t) i * ds] = sp[(int64_t) i * ss];
      break;
    }
    case 1:
      for (size_t i = 0; i < n; i++)
        d[(int64_t) i * ds] = s[(int64_t) i * ss];
      break;
    default:
      for (size_t i = 0; i < n; i++)
        memcpy (d + (int64_t) i * ds * (int64_t) es, s + (int64_t) i * ss * (int64_t) es, es);
      break;
  }
}

/* Units are rows of the innermost dim, or elements for a 1-D plan. */
static void
copy_range (void *arg, size_t begin, size_t end, int thread)
{
  const cnn_copy_plan *p = arg;
  int64_t es = (int64_t) p->es;
  int last = p->rank - 1;
  (void) thread;

  if (p->rank == 1) {
    copy_row (p->dst + (int64_t) begin * p->ds[0] * es, p->ds[0],
        p->src + (int64_t) begin * p->ss[0] * es, p->ss[0], end - begin, p->es);
    return;
  }
  int64_t idx[CNN_MAX_RANK], od = 0, os = 0;
  size_t rem = begin;
  for (int d = last - 1; d >= 0; d--) {
    idx[d] = (int64_t) (rem % (size_t) p->dims[d]);
    rem /= (size_t) p->dims[d];
    od += idx[d] * p->ds[d];
    os += idx[d] * p->ss[d];
  }
  for (size_t r = begin; r < end; r++) {
    copy_row (p->dst + od * es, p->ds[last], p->src + os * es, p->ss[last],
        (size_t) p->dims[last], p->es);
    for (int d = last - 1; d >= 0; d--) {
      od += p->ds[d];
      os += p->ss[d];
      if (++idx[d] < p->dims[d])
        break;
      od -= p->ds[d] * p->dims[d];
      os -= p->ss[d] * p->dims[d];
      idx[d] = 0;
    }
  }
}

void
cnn_copy_plan_run (const cnn_copy_plan *p, cnn_threadpool *pool)
{
  size_t units = 1, grain = COPY_GRAIN;

  if (p->rank == 0)
    return;
  for (int d = 0; d < p->rank - 1; d++)
    units *= (size_t) p->dims[d];
  if (p->rank == 1) {
    units = (size_t) p->dims[0];
  } else {
    size_t inner = (size_t) p->dims[p->rank - 1];
    grain = inner >= COPY_GRAIN ? 1 : COPY_GRAIN / inner;
  }
  cnn_parallel_for (pool, units, grain, copy_range, (void *) p);
}

void
cnn_contiguous_strides (int rank, const int64_t *dims, int64_t *strides)
{
  int64_t s = 1;

  for (int i = rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i];
  }
}
