/* bench-timing.h — the clock and the sort order the C benchmarks share. */
#ifndef BENCH_TIMING_H
#define BENCH_TIMING_H

#include <time.h>

/* Monotonic time in milliseconds. */
static inline double
bench_now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/* qsort order of doubles, ascending: medians and minimums of timings. */
static inline int
bench_by_value (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

#endif
