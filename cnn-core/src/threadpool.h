/* threadpool.h — a fixed set of worker threads owned by one model.
 *
 * One threading model for the whole library: our workers share out each kernel's work in
 * contiguous slices, and OpenBLAS runs single-threaded inside each range (its own threads
 * spin and are process-global; mixing both oversubscribes two cores).
 */
#ifndef CNN_THREADPOOL_H
#define CNN_THREADPOOL_H

#include <stddef.h>

typedef struct cnn_threadpool cnn_threadpool;

/* fn processes items [begin, end) as thread `thread` (0 .. threads-1). */
typedef void (*cnn_parallel_fn) (void *arg, size_t begin, size_t end, int thread);

/* `threads` >= 1; the calling thread is thread 0. NULL when threads cannot be created. */
cnn_threadpool *cnn_threadpool_create (int threads);
void cnn_threadpool_destroy (cnn_threadpool *pool);
int cnn_threadpool_threads (const cnn_threadpool *pool);

/* Runs fn over [0, n) in parallel, in contiguous slices of whole multiples of `grain` items
 * (except the last) that the threads take in turn, so which thread runs an item varies from
 * run to run: fn's `thread` may only choose per-thread scratch, and an item's result must not
 * depend on it. Returns when all are done. pool may be NULL (runs inline). */
void cnn_parallel_for (cnn_threadpool *pool, size_t n, size_t grain, cnn_parallel_fn fn,
    void *arg);

#endif /* CNN_THREADPOOL_H */
