/* threadpool.c — fork-join workers: the caller posts one job, the caller and every worker
 * take slices of it from a shared counter until none is left, and the caller waits for the
 * last slice to finish. Slices rather than one fixed range per thread: a thread that the OS
 * has paused (a busy machine, a host application's own threads) no longer holds up the layer
 * while the others idle; whoever runs takes the next slice. Jobs are short (one layer), so
 * workers spin briefly before sleeping on a condition variable. */
#include "threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

struct cnn_threadpool {
  int threads;
  pthread_t *workers;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  atomic_uint generation;       /* bumped for each job */
  atomic_int remaining;         /* workers still busy with the current job */
  atomic_int sleepers;          /* workers blocked (or about to block) on `wake` */
  bool quit;
  /* The current job: items [0, n), handed out `slice` items at a time from `next`. */
  cnn_parallel_fn fn;
  void *arg;
  size_t n, slice;
  atomic_size_t next;
};

typedef struct {
  cnn_threadpool *pool;
  int index;
} worker_start;

/* Runs slices of the current job as thread t until none is left. */
static void
run_slices (cnn_threadpool *pool, int t)
{
  for (;;) {
    size_t begin = atomic_fetch_add (&pool->next, pool->slice);
    if (begin >= pool->n)
      return;
    size_t end = pool->n - begin > pool->slice ? begin + pool->slice : pool->n;
    pool->fn (pool->arg, begin, end, t);
  }
}

static void *
worker_main (void *data)
{
  worker_start start = *(worker_start *) data;
  cnn_threadpool *pool = start.pool;
  unsigned seen = 0;

  free (data);
  for (;;) {
    /* Spin a little: the next layer's job usually arrives within microseconds. */
    for (int spin = 0; spin < 20000 && atomic_load (&pool->generation) == seen; spin++)
      sched_yield ();
    /* Announce the sleep before checking for work: a dispatcher that bumps the generation
     * after this either sees us here and wakes us, or we see its new generation. */
    pthread_mutex_lock (&pool->lock);
    atomic_fetch_add (&pool->sleepers, 1);
    while (atomic_load (&pool->generation) == seen && !pool->quit)
      pthread_cond_wait (&pool->wake, &pool->lock);
    atomic_fetch_sub (&pool->sleepers, 1);
    bool quit = pool->quit;
    pthread_mutex_unlock (&pool->lock);
    if (quit)
      return NULL;
    seen = atomic_load (&pool->generation);
    run_slices (pool, start.index);
    atomic_fetch_sub (&pool->remaining, 1);
  }
}

cnn_threadpool *
cnn_threadpool_create (int threads)
{
  cnn_threadpool *pool = calloc (1, sizeof (*pool));

  if (pool == NULL)
    return NULL;
  pool->threads = threads < 1 ? 1 : threads;
  pthread_mutex_init (&pool->lock, NULL);
  pthread_cond_init (&pool->wake, NULL);
  pool->workers = calloc ((size_t) pool->threads, sizeof (pthread_t));
  if (pool->workers == NULL)
    goto error;
  for (int t = 1; t < pool->threads; t++) {
    worker_start *start = malloc (sizeof (*start));
    if (start == NULL)
      goto error;
    start->pool = pool;
    start->index = t;
    if (pthread_create (&pool->workers[t], NULL, worker_main, start) != 0) {
      free (start);
      pool->threads = t;        /* destroy joins only the ones that started */
      goto error;
    }
  }
  return pool;

error:
  cnn_threadpool_destroy (pool);
  return NULL;
}

void
cnn_threadpool_destroy (cnn_threadpool *pool)
{
  if (pool == NULL)
    return;
  pthread_mutex_lock (&pool->lock);
  pool->quit = true;
  pthread_cond_broadcast (&pool->wake);
  pthread_mutex_unlock (&pool->lock);
  for (int t = 1; t < pool->threads && pool->workers != NULL; t++)
    pthread_join (pool->workers[t], NULL);
  pthread_mutex_destroy (&pool->lock);
  pthread_cond_destroy (&pool->wake);
  free (pool->workers);
  free (pool);
}

int
cnn_threadpool_threads (const cnn_threadpool *pool)
{
  return pool != NULL ? pool->threads : 1;
}

/* How many units (of `grain` items) one slice holds. */
static size_t
slice_units (size_t units, int threads)
{
  size_t per = units / (4 * (size_t) threads);
  return per > 0 ? per : 1;
}

void
cnn_parallel_for (cnn_threadpool *pool, size_t n, size_t grain, cnn_parallel_fn fn, void *arg)
{
  if (n == 0)
    return;
  if (grain == 0)
    grain = 1;
  size_t units = (n + grain - 1) / grain;
  int threads = cnn_threadpool_threads (pool);
  if (threads == 1 || units == 1) {
    fn (arg, 0, n, 0);
    return;
  }
  if ((size_t) threads > units)
    threads = (int) units;

  pool->fn = fn;
  pool->arg = arg;
  pool->n = n;
  /* About four slices per thread, each a whole number of grains: few enough that taking one
   * costs nothing, enough that a late thread's share is picked up by the others. Jobs of a
   * few units go one unit at a time. */
  pool->slice = slice_units (units, threads) * grain;
  atomic_store (&pool->next, 0);
  atomic_store (&pool->remaining, pool->threads - 1);
  atomic_fetch_add (&pool->generation, 1);
  /* Between layers the workers are usually still spinning: only wake sleepers. */
  if (atomic_load (&pool->sleepers) > 0) {
    pthread_mutex_lock (&pool->lock);
    pthread_cond_broadcast (&pool->wake);
    pthread_mutex_unlock (&pool->lock);
  }

  run_slices (pool, 0);
  while (atomic_load (&pool->remaining) > 0)
    sched_yield ();
}
