/* gemm.h — the GEMM of a conv with its epilogue, in two versions that compute the same thing:
 *
 *   y[i][j] = act(Σ_k w[i][k] · x[k][j] + bias[i] + sum[i][j])   for i < m, j < n,
 *
 * with y and sum (which may be y itself) sharing the row stride ldy; bias and sum may be NULL.
 * Both run on the calling thread.
 */
#ifndef CNN_GEMM_H
#define CNN_GEMM_H

#include "activation.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* x86-avx512/gemm.c: W read in place, bias, residual and activation applied on registers.
 * `scratch` (64-byte aligned, cnn_gemm_fused_scratch() bytes, per thread) holds its packed
 * slices of X. Only when cnn_gemm_fused_available() (AVX-512 CPUs). */
bool cnn_gemm_fused_available (void);
size_t cnn_gemm_fused_scratch (void);
void cnn_gemm_fused (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw,
    const float *x, int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta, float *scratch);

/* The same with W packed once by cnn_gemm_fused_pack: blocks of 12 rows (the last one of
 * m % 12 if not 0), block i0 / 12 at wp + i0 · k holding its rb rows side by side per K step,
 * w[i][p] at wp[i0 · k + p · rb + i - i0]; m · k floats, like the ONNX layout, which
 * cnn_gemm_fused_unpack writes back bit for bit. cnn_gemm_fused_packed computes rows
 * [row0, row0 + rows) of the packed matrix's m, any row0; y, bias and sum start at row row0. */
void cnn_gemm_fused_pack (int64_t m, int64_t k, const float *w, int64_t ldw, float *wp);
void cnn_gemm_fused_unpack (int64_t m, int64_t k, const float *wp, float *w, int64_t ldw);
void cnn_gemm_fused_packed (int64_t m, int64_t row0, int64_t rows, int64_t n, int64_t k,
    const float *wp, const float *x, int64_t ldx, float *y, int64_t ldy, const float *bias,
    const float *sum, cnn_activation act, float alpha, float beta, float *scratch);

/* x86-avx512/gemm-narrow.c: the same product for calls with few columns (7×7 maps), vectors
 * along M. W packed once by cnn_gemm_fused_narrow_pack in blocks of 16 rows: w[i][p] at
 * wb[i / 16 · 16 · k + 16 · p + i % 16], rows past m zero, so the matrix takes
 * (m + 15) / 16 · 16 · k floats and a block of rows starting at a multiple of 16, i0, is at
 * wb + i0 · k; cnn_gemm_fused_narrow_unpack writes the ONNX layout back, bit for bit. X is
 * copied per call into `scratch` (64-byte aligned, cnn_gemm_fused_narrow_scratch (n, k)
 * bytes). Only when cnn_gemm_fused_narrow_available() (AVX-512 CPUs). */
bool cnn_gemm_fused_narrow_available (void);
size_t cnn_gemm_fused_narrow_scratch (int64_t n, int64_t k);
void cnn_gemm_fused_narrow_pack (int64_t m, int64_t k, const float *w, int64_t ldw, float *wb);
void cnn_gemm_fused_narrow_unpack (int64_t m, int64_t k, const float *wb, float *w,
    int64_t ldw);
void cnn_gemm_fused_narrow (int64_t m, int64_t n, int64_t k, const float *wb, const float *x,
    int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta, float *scratch);

/* x86-avx512/gemm-bf16.c: W and X rounded to bfloat16, products summed in fp32 by vdpbf16ps;
 * epilogue in fp32. Only when cnn_gemm_bf16_available() (AVX512_BF16 CPUs); elsewhere it
 * computes cnn_gemm_blas's fp32 result. */
bool cnn_gemm_bf16_available (void);
void cnn_gemm_bf16 (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw,
    const float *x, int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta);

/* The same with W converted once, by cnn_gemm_bf16_pack, to bfloat16 pairs along K as
 * vdpbf16ps wants them: row i's pair p (w[i][2p] in the low half, w[i][2p + 1] in the high,
 * a zero partner past an odd k) at wb[i · cnn_gemm_bf16_stride (k) + p]. cnn_gemm_bf16_packed
 * reads them in place (rows of a sub-block: wb + i · ldwb, ldwb the whole matrix's stride), so
 * a run converts only X. Only when cnn_gemm_bf16_available(). */
static inline int64_t
cnn_gemm_bf16_stride (int64_t k)
{
  return (k + 1) / 2;
}

void cnn_gemm_bf16_pack (int64_t m, int64_t k, const float *w, int64_t ldw, uint32_t *wb);
void cnn_gemm_bf16_packed (int64_t m, int64_t n, int64_t k, const uint32_t *wb, int64_t ldwb,
    const float *x, int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta);

/* x86-avx512/gemm-bf16-narrow.c: the same product for calls with few columns (7×7 and 14×14
 * maps), vectors along M so no lane idles on a ragged n. W packed once by
 * cnn_gemm_bf16_narrow_pack in blocks of 16 rows: pair p of row 16b + r at
 * wb[16b · ldwb + 16p + r], ldwb = cnn_gemm_bf16_stride (k), rows past m zero, so the matrix
 * takes (m + 15) / 16 · 16 · ldwb words and a block of rows starting at a multiple of 16, i0,
 * is at wb + i0 · ldwb. X is converted per call into `scratch`, of
 * cnn_gemm_bf16_narrow_scratch (n, k) words: all at once by cnn_gemm_bf16_narrow, or a band
 * of rows [k0, k0 + rows) at a time (k0 even; x at row k0) by cnn_gemm_bf16_narrow_pack_x,
 * then cnn_gemm_bf16_narrow_panel. Only when cnn_gemm_bf16_available(). */
int64_t cnn_gemm_bf16_narrow_scratch (int64_t n, int64_t k);
void cnn_gemm_bf16_narrow_pack (int64_t m, int64_t k, const float *w, int64_t ldw,
    uint32_t *wb);
void cnn_gemm_bf16_narrow (int64_t m, int64_t n, int64_t k, const uint32_t *wb, int64_t ldwb,
    const float *x, int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta, uint32_t *scratch);
void cnn_gemm_bf16_narrow_pack_x (int64_t n, int64_t k, int64_t k0, int64_t rows,
    const float *x, int64_t ldx, uint32_t *scratch);
void cnn_gemm_bf16_narrow_panel (int64_t m, int64_t n, int64_t k, const uint32_t *wb,
    int64_t ldwb, const uint32_t *scratch, float *y, int64_t ldy, const float *bias,
    const float *sum, cnn_activation act, float alpha, float beta);

/* gemm.c: the portable twin on OpenBLAS (cnn_sgemm), for every CPU. */
void cnn_gemm_blas (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw,
    const float *x, int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta);

/* Either of them, picked once per plan. */
typedef void cnn_gemm_fn (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw,
    const float *x, int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta);

#endif /* CNN_GEMM_H */
