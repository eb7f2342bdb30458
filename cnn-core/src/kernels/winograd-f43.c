/* winograd-f43.c — the transforms of Winograd F(4×4, 3×3), the interpolation points 0, ±1, ±2
 * and ∞ (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2015):
 *
 *        | 4  0 -5  0  1  0 |        | 1/4     0     0   |        | 1  1  1  1  1  0 |
 *        | 0 -4 -4  1  1  0 |        | -1/6  -1/6  -1/6  |   Aᵀ = | 0  1 -1  2 -2  0 |
 *   Bᵀ = | 0  4 -4 -1  1  0 |   G =  | -1/6   1/6  -1/6  |        | 0  1  1  4  4  0 |
 *        | 0 -2 -1  2  1  0 |        | 1/24  1/12   1/6  |        | 0  1 -1  8 -8  1 |
 *        | 0  2 -1 -2  1  0 |        | 1/24 -1/12   1/6  |
 *        | 0  4  0 -5  0  1 |        | 0     0      1    |
 *
 * A 4×4 output tile is Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A of its 6×6 input patch d: 36 products per
 * tile and channel pair instead of 144 (4×, 1.78× fewer than F(2×2, 3×3)). Unlike F(2×2)'s,
 * these transforms scale by up to 8 and divide by 6 and 24, so they round: on the kernel tests'
 * data (uniform in [-1, 1], 16 to 128 channels) the error is at most 4e-6 of the output's
 * largest magnitude (test-kernels.c allows 1e-5), against F(2×2)'s exact sums.
 *
 * Each 2-D transform is the 1-D one on the rows, then on the columns, one tile per vector
 * lane. The column passes run over a whole block of tiles, so that with `restrict` pointers
 * the compiler vectorises them 16 tiles to a vector; the row passes, which gather every fourth
 * input column or scatter to every fourth output column one row of tiles at a time, have
 * AVX-512 twins that do it with permutes (x86-avx512/winograd-f43.c).
 */
#include "winograd-f43.h"
#include "vectorize.h"

#include <string.h>

static inline size_t
round16 (int64_t n)
{
  return (size_t) ((n + 15) / 16 * 16);
}

void
cnn_winograd_f43_weights (const float *w, int64_t m, int64_t c, float *u)
{
  /* In double, rounded once: the weights carry no error of their own into the products. */
  static const double g6[6][3] = {
    { 1.0 / 4, 0, 0 },
    { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
    { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
    { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
    { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
    { 0, 0, 1 },
  };

  for (int64_t mm = 0; mm < m; mm++)
    for (int64_t cc = 0; cc < c; cc++) {
      const float *g = w + (mm * c + cc) * 9;
      double t[6][3];
      for (int i = 0; i < 6; i++)
        for (int j = 0; j < 3; j++)
          t[i][j] = g6[i][0] * g[j] + g6[i][1] * g[3 + j] + g6[i][2] * g[6 + j];
      for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++) {
          double v = t[i][0] * g6[j][0] + t[i][1] * g6[j][1] + t[i][2] * g6[j][2];
          u[((size_t) (6 * i + j) * (size_t) m + (size_t) mm) * (size_t) c + (size_t) cc] =
              (float) v;
        }
    }
}

/* Scratch of the input transform: one padded row of 4 · tiles_w + 2 floats, then the 36 rows
 * of d B of a block. */
size_t
cnn_winograd_f43_input_scratch (int64_t tiles_w, int64_t block)
{
  return round16 (4 * tiles_w + 2) + 36 * (size_t) block;
}

/* Aᵀ m of a block: 24 rows. */
size_t
cnn_winograd_f43_output_scratch (int64_t block)
{
  return 24 * (size_t) block;
}

/* r = Bᵀ d across n tiles: d0 … d5 one element of each tile's patch column (or row). */
CNN_VECTORIZE static void
winograd_f43_bt (const float *restrict d0, const float *restrict d1, const float *restrict d2,
    const float *restrict d3, const float *restrict d4, const float *restrict d5, int64_t n,
    float *restrict r0, float *restrict r1, float *restrict r2, float *restrict r3,
    float *restrict r4, float *restrict r5)
{
  for (int64_t k = 0; k < n; k++) {
    float a = d4[k] - 4.0f * d2[k], b = d3[k] - 4.0f * d1[k];
    float e = d4[k] - d2[k], f = 2.0f * (d3[k] - d1[k]);
    r0[k] = 4.0f * d0[k] - 5.0f * d2[k] + d4[k];
    r1[k] = a + b;
    r2[k] = a - b;
    r3[k] = e + f;
    r4[k] = e - f;
    r5[k] = 4.0f * d1[k] - 5.0f * d3[k] + d5[k];
  }
}

/* d B of one padded patch row (4n + 2 floats) to r[j · ldr + k]. */
CNN_VECTORIZE static void
winograd_f43_input_row (const float *row, int64_t n, float *r, size_t ldr)
{
  float *restrict r0 = r, *restrict r1 = r + ldr, *restrict r2 = r + 2 * ldr;
  float *restrict r3 = r + 3 * ldr, *restrict r4 = r + 4 * ldr, *restrict r5 = r + 5 * ldr;

  for (int64_t k = 0; k < n; k++) {
    const float *d = row + 4 * k;
    float a = d[4] - 4.0f * d[2], b = d[3] - 4.0f * d[1];
    float e = d[4] - d[2], f = 2.0f * (d[3] - d[1]);
    r0[k] = 4.0f * d[0] - 5.0f * d[2] + d[4];
    r1[k] = a + b;
    r2[k] = a - b;
    r3[k] = e + f;
    r4[k] = e - f;
    r5[k] = 4.0f * d[1] - 5.0f * d[3] + d[5];
  }
}

void
cnn_winograd_f43_input_rows (const float *plane, int64_t h, int64_t w, int64_t ih0,
    int64_t col0, int64_t n, float *r, size_t ldr, float *buf)
{
  int64_t len = 4 * n + 2;
  int64_t lo = cnn_min64 (len, cnn_max64 (0, -col0));
  int64_t hi = cnn_max64 (lo, cnn_min64 (len, w - col0));

  for (int64_t ih = ih0; ih < ih0 + 6; ih++) {
    /* Columns [col0, col0 + len) of the row, zero outside the plane. */
    if (ih < 0 || ih >= h) {
      memset (buf, 0, sizeof (float) * (size_t) len);
    } else {
      memset (buf, 0, sizeof (float) * (size_t) lo);
      memcpy (buf + lo, plane + ih * w + col0 + lo, sizeof (float) * (size_t) (hi - lo));
      memset (buf + hi, 0, sizeof (float) * (size_t) (len - hi));
    }
    winograd_f43_input_row (buf, n, r + (size_t) (6 * (ih - ih0)) * ldr, ldr);
  }
}

void
cnn_winograd_f43_input (const cnn_conv_geom *s, const float *x, int64_t t0, int64_t nt,
    int64_t c0, int64_t c1, int64_t ld, float *v, float *scratch, bool simd)
{
  int64_t tiles_w = cnn_ceil_div (s->ow, 4);
  size_t xi = (size_t) (s->c * ld);
  float *buf = scratch, *db = scratch + round16 (4 * tiles_w + 2);

  for (int64_t c = c0; c < c1; c++) {
    const float *plane = x + c * s->h * s->w;
    /* d B of each patch row, one row of tiles at a time: row i of the patches of tile q
     * goes to db[(6i + j) · ld + q]. */
    for (int64_t t = t0; t < t0 + nt;) {
      int64_t th = t / tiles_w, tw0 = t % tiles_w;
      int64_t n = cnn_min64 (tiles_w, tw0 + (t0 + nt - t)) - tw0;
      if (simd)
        cnn_winograd_f43_input_rows_avx512 (plane, s->h, s->w, 4 * th - s->pt, 4 * tw0 - s->pl,
            n, db + (t - t0), (size_t) ld, buf);
      else
        cnn_winograd_f43_input_rows (plane, s->h, s->w, 4 * th - s->pt, 4 * tw0 - s->pl, n,
            db + (t - t0), (size_t) ld, buf);
      t += n;
    }
    /* Bᵀ (d B), column by column over the whole block, into V. */
    float *vc = v + c * ld;
    for (int j = 0; j < 6; j++) {
      const float *col = db + (size_t) j * (size_t) ld;
      size_t l6 = 6 * (size_t) ld;
      winograd_f43_bt (col, col + l6, col + 2 * l6, col + 3 * l6, col + 4 * l6, col + 5 * l6,
          nt, vc + (size_t) j * xi, vc + (size_t) (6 + j) * xi, vc + (size_t) (12 + j) * xi,
          vc + (size_t) (18 + j) * xi, vc + (size_t) (24 + j) * xi,
          vc + (size_t) (30 + j) * xi);
    }
  }
}

/* o = Aᵀ m across n tiles: m0 … m5 one element of each tile's column. */
CNN_VECTORIZE static void
winograd_f43_at (const float *restrict m0, const float *restrict m1, const float *restrict m2,
    const float *restrict m3, const float *restrict m4, const float *restrict m5, int64_t n,
    float *restrict o0, float *restrict o1, float *restrict o2, float *restrict o3)
{
  for (int64_t k = 0; k < n; k++) {
    float a = m1[k] + m2[k], b = m1[k] - m2[k], e = m3[k] + m4[k], f = m3[k] - m4[k];
    o0[k] = m0[k] + a + e;
    o1[k] = b + 2.0f * f;
    o2[k] = a + 4.0f * e;
    o3[k] = b + 8.0f * f + m5[k];
  }
}

CNN_VECTORIZE void
cnn_winograd_f43_output_row (const float *s, size_t lds, int64_t n, float *y)
{
  const float *restrict m0 = s, *restrict m1 = s + lds, *restrict m2 = s + 2 * lds;
  const float *restrict m3 = s + 3 * lds, *restrict m4 = s + 4 * lds, *restrict m5 = s + 5 * lds;
  float *restrict out = y;

  for (int64_t k = 0; k < n; k++) {
    float a = m1[k] + m2[k], b = m1[k] - m2[k], e = m3[k] + m4[k], f = m3[k] - m4[k];
    out[4 * k] = m0[k] + a + e;
    out[4 * k + 1] = b + 2.0f * f;
    out[4 * k + 2] = a + 4.0f * e;
    out[4 * k + 3] = b + 8.0f * f + m5[k];
  }
}

void
cnn_winograd_f43_output_columns (const float *m, size_t xi, int64_t nt, float *scratch,
    int64_t ld)
{
  /* Row r of column j lands in scratch row 6r + j. */
  for (int j = 0; j < 6; j++) {
    const float *col = m + (size_t) j * xi;
    float *o = scratch + (size_t) j * (size_t) ld;
    size_t l6 = 6 * (size_t) ld;
    winograd_f43_at (col, col + 6 * xi, col + 12 * xi, col + 18 * xi, col + 24 * xi,
        col + 30 * xi, nt, o, o + l6, o + 2 * l6, o + 3 * l6);
  }
}

void
cnn_winograd_f43_output_rows (const float *scratch, int64_t ld, int64_t k0, int64_t n,
    float *y, size_t ldy, bool simd)
{
  for (int r = 0; r < 4; r++) {
    const float *row = scratch + (size_t) (6 * r) * (size_t) ld + k0;
    if (simd)
      cnn_winograd_f43_output_row_avx512 (row, (size_t) ld, n, y + (size_t) r * ldy);
    else
      cnn_winograd_f43_output_row (row, (size_t) ld, n, y + (size_t) r * ldy);
  }
}
