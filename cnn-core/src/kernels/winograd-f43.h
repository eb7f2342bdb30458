/* winograd-f43.h — the transforms of Winograd F(4×4, 3×3) (see winograd-f43.c); the block
 * around them (GEMMs, epilogue) is winograd.c's. The row passes have AVX-512 twins
 * (x86-avx512/winograd-f43.c), used when cnn_winograd_f43_avx512_available().
 */
#ifndef CNN_WINOGRAD_F43_H
#define CNN_WINOGRAD_F43_H

#include "conv.h"

#include <stdbool.h>
#include <stddef.h>

/* U[ξ][m][c] (36 · m · c floats) = G g Gᵀ for every 3×3 filter g = w[m][c]. */
void cnn_winograd_f43_weights (const float *w, int64_t m, int64_t c, float *u);

/* Floats of scratch cnn_winograd_f43_input and the output passes need for blocks of up to
 * `block` tiles of maps with tiles_w 4×4 tiles per row. */
size_t cnn_winograd_f43_input_scratch (int64_t tiles_w, int64_t block);
size_t cnn_winograd_f43_output_scratch (int64_t block);

/* V[ξ][c][k] = Bᵀ d B at v[(ξ · s->c + c) · ld + k] for channels [c0, c1) and tiles
 * [t0, t0 + nt) (row-major over the output map) of image x; `simd`: the AVX-512 row pass. */
void cnn_winograd_f43_input (const cnn_conv_geom *s, const float *x, int64_t t0, int64_t nt,
    int64_t c0, int64_t c1, int64_t ld, float *v, float *scratch, bool simd);

/* Aᵀ m A of nt tiles of one output channel, element ξ of tile k at m[ξ · xi + k], in two
 * passes: the columns of all nt tiles into the scratch, then the rows of n tiles from tile k0
 * (one row of tiles at a time): four output rows of 4n floats at y + r · ldy. */
void cnn_winograd_f43_output_columns (const float *m, size_t xi, int64_t nt, float *scratch,
    int64_t ld);
void cnn_winograd_f43_output_rows (const float *scratch, int64_t ld, int64_t k0, int64_t n,
    float *y, size_t ldy, bool simd);

/* The row passes for n tiles of one row of tiles:
 *   d B of the six patch rows ih0 … ih0 + 5 of an h × w plane, the patches starting at column
 *   col0 (zero outside the plane): row i's column j of tile k to r[(6i + j) · ldr + k]; buf
 *   holds 4n + 2 floats (one padded row, for the portable version);
 *   (Aᵀ m) A of one output row, s[j · lds + k], to y[4k … 4k + 3]. */
void cnn_winograd_f43_input_rows (const float *plane, int64_t h, int64_t w, int64_t ih0,
    int64_t col0, int64_t n, float *r, size_t ldr, float *buf);
void cnn_winograd_f43_output_row (const float *s, size_t lds, int64_t n, float *y);

/* x86-avx512/winograd-f43.c: the same two on AVX-512 CPUs. */
bool cnn_winograd_f43_avx512_available (void);
void cnn_winograd_f43_input_rows_avx512 (const float *plane, int64_t h, int64_t w,
    int64_t ih0, int64_t col0, int64_t n, float *r, size_t ldr, float *buf);
void cnn_winograd_f43_output_row_avx512 (const float *s, size_t lds, int64_t n, float *y);

#endif /* CNN_WINOGRAD_F43_H */
