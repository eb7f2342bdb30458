/* row-sums.c — sums of rows, 16 rows at a time.
 *
 * Each row is summed into 16 partial sums (four vectors of them while the row lasts, so the
 * adds' latency stays off the critical path); the 16 rows' vectors are then folded together,
 * halves against halves of neighbouring rows (15 adds and 30 two-source shuffles for 16 rows),
 * rather than each row's 16 lanes folded on their own: the fold had cost as much as the sums
 * on small maps. EfficientNet-B0's pools, 1 thread Zen 4, one vector per row and a fold each:
 * 1152 rows of 49 ran 3.3 floats/ns, 480 of 196 9.2, 32 of 12544 18.
 */
#include "row-sums.h"

#include "vectorize.h"

#include <string.h>

typedef float v16 __attribute__ ((vector_size (64)));

/* The folds: lanes of a and b (16 + l for b's lane l), sum of the two halves' picks. GCC 12
 * and clang both have __builtin_shufflevector (constant lane lists). */
#define FOLD1(a, b) (__builtin_shufflevector (a, b, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, \
        20, 21, 22, 23) + __builtin_shufflevector (a, b, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, \
        26, 27, 28, 29, 30, 31))
#define FOLD2(a, b) (__builtin_shufflevector (a, b, 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, \
        11, 24, 25, 26, 27) + __builtin_shufflevector (a, b, 4, 5, 6, 7, 20, 21, 22, 23, 12, \
        13, 14, 15, 28, 29, 30, 31))
#define FOLD3(a, b) (__builtin_shufflevector (a, b, 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, \
        25, 12, 13, 28, 29) + __builtin_shufflevector (a, b, 2, 3, 18, 19, 6, 7, 22, 23, 10, \
        11, 26, 27, 14, 15, 30, 31))
#define FOLD4(a, b) (__builtin_shufflevector (a, b, 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, \
        26, 12, 28, 14, 30) + __builtin_shufflevector (a, b, 1, 17, 3, 19, 5, 21, 7, 23, 9, \
        25, 11, 27, 13, 29, 15, 31))

#define ALWAYS_INLINE __attribute__ ((always_inline)) static inline

ALWAYS_INLINE void
load16 (v16 *v, const float *x)
{
  memcpy (v, x, sizeof (*v));
}

/* 16 partial sums of x[0 .. n) in *out, plus the last n % 16 values summed on their own
 * (returned): a vector loaded from a buffer just stored element by element would wait for
 * the stores. */
ALWAYS_INLINE float
row_partials (const float *x, int64_t n, v16 *out)
{
  v16 a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 }, v;
  int64_t i = 0;

  for (; i + 64 <= n; i += 64) {
    load16 (&v, x + i);
    a0 += v;
    load16 (&v, x + i + 16);
    a1 += v;
    load16 (&v, x + i + 32);
    a2 += v;
    load16 (&v, x + i + 48);
    a3 += v;
  }
  for (; i + 16 <= n; i += 16) {
    load16 (&v, x + i);
    a0 += v;
  }
  float tail = 0.0f;
  for (; i < n; i++)
    tail += x[i];
  *out = (a0 + a1) + (a2 + a3);
  return tail;
}

CNN_VECTORIZE void
cnn_row_sums (int64_t rows, int64_t n, const float *x, float scale, float *y)
{
  /* After the four folds, lane l holds row ROW_OF_LANE[l] of the block. */
  static const int row_of_lane[16] = { 0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15 };
  int64_t r = 0;

  for (; r + 16 <= rows; r += 16) {
    v16 v[16], sums;
    float lanes[16], tails[16];
    for (int k = 0; k < 16; k++)
      tails[k] = row_partials (x + (r + k) * n, n, &v[k]);
    for (int k = 0; k < 8; k++)
      v[k] = FOLD1 (v[2 * k], v[2 * k + 1]);
    for (int k = 0; k < 4; k++)
      v[k] = FOLD2 (v[2 * k], v[2 * k + 1]);
    for (int k = 0; k < 2; k++)
      v[k] = FOLD3 (v[2 * k], v[2 * k + 1]);
    sums = FOLD4 (v[0], v[1]);
    memcpy (lanes, &sums, sizeof (lanes));
    for (int l = 0; l < 16; l++)
      y[r + row_of_lane[l]] = (lanes[l] + tails[row_of_lane[l]]) * scale;
  }
  for (; r < rows; r++) {
    v16 v;
    float lanes[16], tail = row_partials (x + r * n, n, &v);
    memcpy (lanes, &v, sizeof (lanes));
    for (int half = 8; half >= 1; half /= 2)
      for (int j = 0; j < half; j++)
        lanes[j] += lanes[j + half];
    y[r] = (lanes[0] + tail) * scale;
  }
}
