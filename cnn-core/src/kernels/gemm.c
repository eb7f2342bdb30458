/* gemm.c — the GEMM of a conv with its epilogue on OpenBLAS: the portable twin of
 * x86-avx512/gemm.c. y starts as bias + residual and the GEMM accumulates onto it (beta = 1),
 * which replaces the pass in which OpenBLAS would zero it; one more pass applies the
 * activation.
 */
#include "gemm.h"
#include "vectorize.h"

#include "blas.h"

/* Starts an output tile [nrows, ncols] (row stride ld) at bias + residual, for the GEMM to
 * accumulate onto with beta = 1. That replaces the pass in which OpenBLAS would zero C for
 * beta = 0, leaves only the activation for afterwards, and stays correct when the residual
 * shares the output's buffer. Returns the GEMM's beta. */
CNN_VECTORIZE static float
tile_init (float *y, const float *sum, const float *bias, int64_t nrows, int64_t ncols,
    int64_t ld)
{
  if (sum == NULL && bias == NULL)
    return 0.0f;
  for (int64_t r = 0; r < nrows; r++) {
    float b = bias != NULL ? bias[r] : 0.0f;
    float *yr = y + r * ld;
    if (sum != NULL) {
      const float *sr = sum + r * ld;
      for (int64_t j = 0; j < ncols; j++)
        yr[j] = sr[j] + b;
    } else {
      for (int64_t j = 0; j < ncols; j++)
        yr[j] = b;
    }
  }
  return 1.0f;
}

void
cnn_gemm_blas (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw, const float *x,
    int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta)
{
  float c_beta = tile_init (y, sum, bias, m, n, ldy);

  cnn_sgemm (false, false, (int) m, (int) n, (int) k, 1.0f, w, (int) ldw, x, (int) ldx, c_beta,
      y, (int) ldy);
  cnn_activate_rows (y, m, n, ldy, act, alpha, beta);
}
