/* blas.c — OpenBLAS, loaded on first use (see blas.h). */
#include "blas.h"

#include "cnn/cnn.h"
#include "cpu.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CNN_OPENBLAS_LIBDIR
#define CNN_OPENBLAS_LIBDIR ""
#endif

/* CBLAS constants, so we need no header from a library we do not link. */
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };

typedef void (*sgemm_fn) (int order, int trans_a, int trans_b, int m, int n, int k,
    float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c,
    int ldc);
typedef void (*set_threads_fn) (int threads);
typedef char *(*corename_fn) (void);

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static sgemm_fn blas_sgemm;
static char blas_error[256];
static char blas_core[64] = "not loaded";

static void
blas_load (void)
{
  static const char *const names[] = {
    "libopenblas.so.0", CNN_OPENBLAS_LIBDIR "/libopenblas.so.0", "libopenblas.so",
  };
  void *handle = NULL;

  /* No setenv here: the environment is not thread-safe in the multi-threaded hosts that load
   * us. OpenBLAS picks its kernels and thread count itself; on AVX-512 CPUs our own GEMM
   * (kernels/x86-avx512/gemm.c) runs every conv, so the kernels it picks (Haswell's on CPUs
   * it does not know) matter only for dense layers. */
  for (size_t i = 0; i < sizeof (names) / sizeof (names[0]) && handle == NULL; i++)
    handle = dlopen (names[i], RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) {
    snprintf (blas_error, sizeof (blas_error), "cannot load OpenBLAS (libopenblas.so.0): %s",
        dlerror ());
    return;
  }
  blas_sgemm = (sgemm_fn) dlsym (handle, "cblas_sgemm");
  set_threads_fn set_threads = (set_threads_fn) dlsym (handle, "openblas_set_num_threads");
  corename_fn corename = (corename_fn) dlsym (handle, "openblas_get_corename");
  snprintf (blas_core, sizeof blas_core, "%s", corename != NULL ? corename () : "unknown");
  if (blas_sgemm == NULL) {
    snprintf (blas_error, sizeof (blas_error), "OpenBLAS has no cblas_sgemm");
    return;
  }
  /* Our thread pool splits the work; OpenBLAS threads would only compete with it. */
  if (set_threads != NULL)
    set_threads (1);
}

bool
cnn_blas_init (char *message, unsigned size)
{
  pthread_once (&blas_once, blas_load);
  if (blas_sgemm == NULL && message != NULL)
    snprintf (message, size, "%s", blas_error);
  return blas_sgemm != NULL;
}

void
cnn_sgemm (bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a,
    int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
  blas_sgemm (CBLAS_ROW_MAJOR, trans_a ? CBLAS_TRANS : CBLAS_NO_TRANS,
      trans_b ? CBLAS_TRANS : CBLAS_NO_TRANS, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* Loads OpenBLAS first (pthread_once), so the string is never read while it is written. */
const char *
cnn_blas_core (void)
{
  cnn_blas_init (NULL, 0);
  return blas_core;
}
