/* blas.h — single-precision GEMM through OpenBLAS, loaded at first use.
 *
 * Debian's OpenBLAS picks its kernels when it is loaded, and picks Haswell (AVX2) kernels on
 * AVX-512 CPUs it does not know (Zen 4/5): half the speed. Linking it normally would load it
 * before any of our code runs, so we dlopen it ourselves after setting OPENBLAS_CORETYPE to
 * SkylakeX when the CPU has AVX-512 and the user did not choose a core. If the host process
 * already loaded OpenBLAS, we share that copy as it is.
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
