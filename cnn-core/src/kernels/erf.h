/* erf.h — the error function and GELU over arrays, vectorisable (see erf.c), with libm's
 * erff as the reference path tests compare against.
 */
#ifndef CNN_ERF_H
#define CNN_ERF_H

#include <stddef.h>

/* y[i] = erf(x[i]); |error| below 5e-7 against libm. y may be x. */
void cnn_erf_array (float *y, const float *x, size_t n);

/* y[i] = x[i] / 2 · (1 + erf(x[i] / √2)), GELU's exact (erf) form. y may be x. */
void cnn_gelu_array (float *y, const float *x, size_t n);

/* The reference paths: libm's erff, one element at a time. */
void cnn_erf_array_reference (float *y, const float *x, size_t n);
void cnn_gelu_array_reference (float *y, const float *x, size_t n);

#endif /* CNN_ERF_H */
