/* blas.h — single-precision GEMM through OpenBLAS, loaded at first use (dlopen), so that
 * programs that never prepare a model do not load it. If the host process already loaded
 * OpenBLAS, we share that copy as it is. We set nothing in the environment: OpenBLAS picks
 * its kernels from the CPU's features (0.3.21 reports Cooperlake on a Zen 4 with
 * AVX512_BF16; issue 14 saw Haswell's on a Zen 5) or the user's OPENBLAS_CORETYPE, and its
 * thread count; we call it single-threaded. On AVX-512 CPUs every conv GEMM runs in our own
 * kernel, so only dense layers reach it there.
 */
#ifndef CNN_BLAS_H
#define CNN_BLAS_H

#include <stdbool.h>

/* C[M×N] = alpha · op(A) · op(B) + beta · C, row-major, on the calling thread only. */
void cnn_sgemm (bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a,
    int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* Loads OpenBLAS (idempotent, thread-safe). false with a message if it cannot be found. */
bool cnn_blas_init (char *message, unsigned size);

#endif /* CNN_BLAS_H */
