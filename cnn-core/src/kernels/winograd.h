/* winograd.h — Winograd F(2×2, 3×3) and F(4×4, 3×3): 3×3 stride-1 group-1 convs computed on
 * 2×2 or 4×4 output tiles with 2.25× or 4× fewer multiplications than the direct sum (see
 * winograd.c, winograd-f43.c). `tile` is the output tile's side, 2 or 4: (tile + 2)² points.
 */
#ifndef CNN_WINOGRAD_H
#define CNN_WINOGRAD_H

#include "conv.h"

#include <stdbool.h>
#include <stddef.h>

/* U[ξ][m][c] ((tile + 2)² · m · c floats) = G g Gᵀ for every 3×3 filter g = w[m][c]: done
 * once, at prepare. */
void cnn_winograd_weights (const float *w, int64_t m, int64_t c, int tile, float *u);

/* Floats of per-thread scratch for blocks of up to `tiles` tiles. */
size_t cnn_winograd_scratch (const cnn_conv_geom *s, int tile, int64_t tiles);

/* One run of a Winograd conv, cut into blocks of up to block_tiles tiles of one image by
 * up to block_rows output channels. */
typedef struct cnn_winograd_args {
  const cnn_conv_geom *s;
  int tile;                     /* 2: F(2×2, 3×3), 4: F(4×4, 3×3) */
  const float *u;               /* cnn_winograd_weights of the filters, or: */
  const uint32_t *ub;           /* ... the same packed by cnn_gemm_bf16_pack as points · m
                                 * rows of ldub pairs, for cnn_gemm_bf16_packed (bf16) */
  int64_t ldub;
  uint32_t *panel;              /* bf16: NULL, or ub is in cnn_gemm_bf16_narrow_pack's blocks
                                 * (m a multiple of 16) and this is cnn_gemm_bf16_narrow's X
                                 * scratch for block_tiles columns */
  const float *x, *b, *sum;     /* bias and residual may be NULL; the residual may be y */
  float *y;
  cnn_activation act;
  float alpha, beta;
  bool fused;                   /* the GEMMs in cnn_gemm_fused (AVX-512), else cnn_gemm_blas */
  bool bf16;                    /* ... or in cnn_gemm_bf16 (options.precision) */
  bool simd;                    /* the AVX-512 transforms, when
                                 * cnn_winograd_f43_avx512_available() */
  int64_t scratch_tiles;        /* what cnn_winograd_scratch was given */
  int64_t block_tiles;          /* at most scratch_tiles */
  int64_t block_rows;           /* a multiple of 16 */
} cnn_winograd_args;

/* Floats of V, the transformed input of one block of up to `tiles` tiles: what threads that
 * share out a block by output channel transform once, together. */
size_t cnn_winograd_input_floats (const cnn_conv_geom *s, int tile, int64_t tiles);

/* A block in two steps, for threads that share one V: the input transform of channels
 * [c0, c1) into v (V[ξ][c][k] at v[(ξ · s->c + c) · block_tiles + k], cnn_winograd_input_floats
 * of scratch_tiles), then, once every channel is there, the GEMMs and output transform of
 * output channels [m0, m0 + block_rows) from v. scratch: a thread's cnn_winograd_scratch (its
 * own V unused). */
void cnn_winograd_block_input (const cnn_winograd_args *a, int64_t img, int64_t t0, int64_t c0,
    int64_t c1, float *v, float *scratch);
void cnn_winograd_block_output (const cnn_winograd_args *a, int64_t img, int64_t t0,
    int64_t m0, const float *v, float *scratch);

/* The block of image img that starts at tile t0 (tiles row-major over the output map) and at
 * output channel m0: input transform, one GEMM per point, then the output transform writing y with
 * bias, residual and activation. Blocks past the last tile or channel are empty. */
void cnn_winograd_block (const cnn_winograd_args *a, int64_t img, int64_t t0, int64_t m0,
    float *scratch);

/* x86-avx512/winograd-f23.c: F(2×2)'s transforms on AVX-512 CPUs, twins of winograd.c's.
 * Input: V[ξ][k] at v[ξ · xi + k] for n tiles of one row of tiles, the patches of the
 * h × w plane starting at row ih0 and column col0 (zero outside the plane). Output: Aᵀ m A of
 * n tiles of one output channel (element ξ of tile k at m[ξ · xi + k]), the tiles' two output
 * rows interleaved into y0 and y1 (2n floats each). */
void cnn_winograd_f23_input_avx512 (const float *plane, int64_t h, int64_t w, int64_t ih0,
    int64_t col0, int64_t n, float *v, size_t xi);
void cnn_winograd_f23_output_avx512 (const float *m, size_t xi, int64_t n, float *y0,
    float *y1);

#endif /* CNN_WINOGRAD_H */
