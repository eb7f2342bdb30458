/* row-sums.h — the sum of each row of a matrix, scaled: GlobalAveragePool, ReduceMean and
 * ReduceSum over the last axes (ops/reduce.c). See row-sums.c. */
#ifndef CNN_ROW_SUMS_H
#define CNN_ROW_SUMS_H

#include <stdint.h>

/* y[r] = scale · (x[r][0] + … + x[r][n - 1]) for rows × n floats. */
void cnn_row_sums (int64_t rows, int64_t n, const float *x, float scale, float *y);

#endif /* CNN_ROW_SUMS_H */
