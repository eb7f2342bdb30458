/* test-threadpool.c — cnn_parallel_for runs every item exactly once, in slices of whole
 * grains, with thread indices in range, over thousands of back-to-back jobs of every size
 * (the case where a worker wakes after its job is over and must not take a slice of the
 * next one), with threads that sleep mid-job, and on a pool that is destroyed right after
 * its jobs. Build it with clang -fsanitize=thread to check the pool's synchronisation (helgrind
 * does not follow C11 atomics). */
#include "threadpool.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

#define MAX_ITEMS 4096

typedef struct {
  size_t n, grain;
  int threads;
  unsigned job;                 /* which job this is, written into every item it runs */
  bool nap;                     /* a short sleep in some slices, so others take over */
  atomic_uint runs[MAX_ITEMS];
  atomic_uint last_job[MAX_ITEMS];
  atomic_int bad_slices, bad_threads;
} job_check;

static void
count_items (void *arg, size_t begin, size_t end, int thread)
{
  job_check *j = arg;

  if (begin % j->grain != 0 || (end != j->n && end % j->grain != 0) || begin >= end
      || end > j->n)
    atomic_fetch_add (&j->bad_slices, 1);
  if (thread < 0 || thread >= j->threads)
    atomic_fetch_add (&j->bad_threads, 1);
  if (j->nap && begin % 3 == 0) {
    struct timespec pause = { 0, 20000 };
    nanosleep (&pause, NULL);
  }
  for (size_t i = begin; i < end; i++) {
    atomic_fetch_add_explicit (&j->runs[i], 1, memory_order_relaxed);
    atomic_store_explicit (&j->last_job[i], j->job, memory_order_relaxed);
  }
}

/* Runs `jobs` jobs of sizes cycling through a table on one pool; every item of every job
 * must have run once, for that job. */
static void
check_jobs (int threads, int jobs, bool nap)
{
  static const size_t sizes[][2] = {
    { 1, 1 }, { 2, 1 }, { 3, 1 }, { 7, 1 }, { 8, 1 }, { 64, 1 }, { 1000, 1 }, { 17, 16 },
    { 16, 16 }, { 100, 16 }, { 4096, 7 }, { 5, 100 }, { 513, 64 }, { 4096, 1 },
  };
  size_t kinds = sizeof (sizes) / sizeof (sizes[0]);
  cnn_threadpool *pool = cnn_threadpool_create (threads);
  job_check *j = calloc (1, sizeof (*j));

  CHECK (pool != NULL, "threads %d", threads);
  if (pool == NULL || j == NULL) {
    free (j);
    return;
  }
  CHECK (cnn_threadpool_threads (pool) == threads, "threads %d", threads);
  for (int k = 0; k < jobs; k++) {
    size_t n = sizes[k % kinds][0], grain = sizes[k % kinds][1];
    for (size_t i = 0; i < n; i++)
      atomic_store_explicit (&j->runs[i], 0, memory_order_relaxed);
    j->n = n;
    j->grain = grain;
    j->threads = threads;
    j->job = (unsigned) k + 1;
    j->nap = nap;
    cnn_parallel_for (pool, n, grain, count_items, j);
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++)
      wrong += atomic_load (&j->runs[i]) != 1 || atomic_load (&j->last_job[i]) != j->job;
    CHECK (wrong == 0, "threads %d, job %d (n %zu, grain %zu): %zu items not run exactly "
        "once", threads, k, n, grain, wrong);
    if (wrong != 0)
      break;
  }
  CHECK (atomic_load (&j->bad_slices) == 0, "threads %d: %d slices not in whole grains",
      threads, atomic_load (&j->bad_slices));
  CHECK (atomic_load (&j->bad_threads) == 0, "threads %d: %d thread indices out of range",
      threads, atomic_load (&j->bad_threads));
  cnn_threadpool_destroy (pool);
  free (j);
}

int
main (void)
{
  /* n = 0 runs nothing, a NULL pool runs inline. */
  job_check *j = calloc (1, sizeof (*j));
  j->n = 5;
  j->grain = 1;
  j->threads = 1;
  j->job = 1;
  cnn_parallel_for (NULL, 0, 1, count_items, j);
  CHECK (atomic_load (&j->runs[0]) == 0, "n = 0 ran an item");
  cnn_parallel_for (NULL, 5, 1, count_items, j);
  CHECK (atomic_load (&j->runs[4]) == 1 && atomic_load (&j->bad_slices) == 0,
      "NULL pool: item 4 ran %u times", atomic_load (&j->runs[4]));
  free (j);
  cnn_threadpool_destroy (NULL);

  for (int threads = 1; threads <= 4; threads++) {
    check_jobs (threads, 20000, false);
    check_jobs (threads, 300, true);
  }
  /* Pools created and destroyed straight away, and after a single job. */
  for (int k = 0; k < 50; k++) {
    cnn_threadpool_destroy (cnn_threadpool_create (2 + k % 3));
    check_jobs (2 + k % 3, 1, false);
  }
  printf ("%s\n", failures == 0 ? "ok" : "FAILED");
  return failures != 0;
}
