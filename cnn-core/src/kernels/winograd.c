/* winograd.c — Winograd F(2×2, 3×3) and F(4×4, 3×3) for 3×3 stride-1 convs (most of a
 * ResNet). This file holds F(2×2)'s transforms and the block both share; F(4×4)'s transforms
 * are in winograd-f43.c.
 *
 * 2×2 output tiles are computed from 4×4 input patches: Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A.
 * Per element of the 4×4 transformed domain (ξ) that is one GEMM [M, C] · [C, tiles], so the
 * multiplications drop from 36 to 16 per tile and channel pair (2.25×) and a GEMM kernel
 * still does them. The weights are transformed at prepare (U[ξ][M][C]); a block of tiles is
 * transformed into V[ξ][C][T], the 16 products land in M[ξ][rows][T] and the output
 * transform writes Y with bias, residual and activation. The transforms only add and halve,
 * so the result is as accurate as the direct sum. F(4×4, 3×3) does the same with 6×6 patches:
 * 36 GEMMs, 4× fewer multiplications than the direct sum.
 */
#include "winograd.h"
#include "winograd-f43.h"
#include "gemm.h"
#include "phase-planes.h"
#include "vectorize.h"

#include <string.h>

static inline size_t
round16 (int64_t n)
{
  return (size_t) ((n + 15) / 16 * 16);
}

/* F(2×2, 3×3)'s U. */
static void
winograd_f23_weights (const float *w, int64_t m, int64_t c, float *u)
{
  for (int64_t mm = 0; mm < m; mm++)
    for (int64_t cc = 0; cc < c; cc++) {
      const float *g = w + (mm * c + cc) * 9;
      float t[4][3], v[4][4];
      for (int j = 0; j < 3; j++) {
        t[0][j] = g[j];
        t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
        t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
        t[3][j] = g[6 + j];
      }
      for (int i = 0; i < 4; i++) {
        v[i][0] = t[i][0];
        v[i][1] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
        v[i][2] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
        v[i][3] = t[i][2];
      }
      for (int xi = 0; xi < 16; xi++)
        u[((size_t) xi * (size_t) m + (size_t) mm) * (size_t) c + (size_t) cc] =
            v[xi / 4][xi % 4];
    }
}

void
cnn_winograd_weights (const float *w, int64_t m, int64_t c, int tile, float *u)
{
  if (tile == 4)
    cnn_winograd_f43_weights (w, m, c, u);
  else
    winograd_f23_weights (w, m, c, u);
}

/* Scratch of one block, in floats: cnn_gemm_fused's, V [P][C][T], M [P][rows][T] (P =
 * (tile + 2)² points), what the input transform needs (F(2×2): eight deinterleaved input
 * rows), and the output transform's `tile` rows (then F(4×4)'s columns pass). With `base`,
 * also where each part starts. */
static size_t
winograd_layout (const cnn_conv_geom *s, int tile, int64_t tiles, float *base, float **gemm,
    float **v, float **mx, float **in, float **out)
{
  int64_t tiles_w = cnn_ceil_div (s->ow, tile), points = (tile + 2) * (tile + 2);
  size_t nv = round16 (points * s->c * tiles);
  size_t nm = (size_t) points * round16 (s->m) * (size_t) tiles;
  size_t nin = tile == 4 ? cnn_winograd_f43_input_scratch (tiles_w, tiles)
      : 8 * round16 (tiles_w + 1);
  size_t nout = (size_t) tile * round16 (tile * tiles_w)
      + (tile == 4 ? cnn_winograd_f43_output_scratch (tiles) : 0);

  /* A multiple of 16 floats: V stays 64-byte aligned. */
  size_t ngemm = round16 ((int64_t) (cnn_gemm_fused_scratch () / sizeof (float)));

  if (base != NULL) {
    *gemm = base;
    *v = base + ngemm;
    *mx = *v + nv;
    *in = *mx + nm;
    *out = *in + nin;
  }
  return ngemm + nv + nm + nin + nout;
}

size_t
cnn_winograd_scratch (const cnn_conv_geom *s, int tile, int64_t tiles)
{
  return winograd_layout (s, tile, tiles, NULL, NULL, NULL, NULL, NULL, NULL);
}

/* One row of Bᵀ d B for n tiles of one tile row and one channel. The row of Bᵀ d is
 * r = row a + sign · row b of the 4×4 patches (rows 0 − 2, 1 + 2, 2 − 1 or 1 − 3); the
 * patch columns of tile k are ea[k], oa[k], ea[k + 1], oa[k + 1] (even and odd input
 * columns, see cnn_deinterleave_row). Each pointer is a parameter so that `restrict` tells the
 * compiler the four output rows and the inputs never overlap: the loop then vectorises
 * across tiles. */
CNN_VECTORIZE static void
winograd_input_quad (const float *restrict ea, const float *restrict oa,
    const float *restrict eb, const float *restrict ob, float sign, int64_t n,
    float *restrict v0, float *restrict v1, float *restrict v2, float *restrict v3)
{
  for (int64_t k = 0; k < n; k++) {
    float r0 = ea[k] + sign * eb[k], r1 = oa[k] + sign * ob[k];
    float r2 = ea[k + 1] + sign * eb[k + 1], r3 = oa[k + 1] + sign * ob[k + 1];
    v0[k] = r0 - r2;
    v1[k] = r1 + r2;
    v2[k] = r2 - r1;
    v3[k] = r1 - r3;
  }
}

/* Bᵀ d B for tiles [tw0, tw1) of one tile row and one channel: e[i] and o[i] are the even
 * and odd columns of patch row i. Element ξ of tile k goes to v[ξ · xi + k]. */
static void
winograd_input_row (const float *const e[4], const float *const o[4], int64_t tw0, int64_t tw1,
    float *v, size_t xi)
{
  /* Rows of Bᵀ d: (a, b, sign) for d_a + sign · d_b. */
  static const int rows[4][2] = { { 0, 2 }, { 1, 2 }, { 2, 1 }, { 1, 3 } };
  static const float signs[4] = { -1.0f, 1.0f, -1.0f, -1.0f };

  for (int i = 0; i < 4; i++) {
    float *vi = v + (size_t) (4 * i) * xi;
    int a = rows[i][0], b = rows[i][1];
    winograd_input_quad (e[a] + tw0, o[a] + tw0, e[b] + tw0, o[b] + tw0, signs[i],
        tw1 - tw0, vi, vi + xi, vi + 2 * xi, vi + 3 * xi);
  }
}

/* V[ξ][c][k] (row stride ld) for channels [c0, c1) and tiles [t0, t0 + nt) of image x;
 * `simd`: on AVX-512. */
static void
winograd_input (const cnn_conv_geom *s, const float *x, int64_t t0, int64_t nt, int64_t c0,
    int64_t c1, int64_t ld, float *v, float *rows, bool simd)
{
  int64_t tiles_w = cnn_ceil_div (s->ow, 2);
  size_t row = round16 (tiles_w + 1), xi = (size_t) (s->c * ld);

  for (int64_t c = c0; c < c1; c++) {
    const float *plane = x + c * s->h * s->w;
    for (int64_t t = t0; t < t0 + nt;) {
      int64_t th = t / tiles_w, tw0 = t % tiles_w;
      int64_t tw1 = cnn_min64 (tiles_w, tw0 + (t0 + nt - t));
      if (simd) {
        cnn_winograd_f23_input_avx512 (plane, s->h, s->w, 2 * th - s->pt, 2 * tw0 - s->pl,
            tw1 - tw0, v + c * ld + (t - t0), xi);
        t += tw1 - tw0;
        continue;
      }
      const float *e[4], *o[4];
      for (int i = 0; i < 4; i++) {
        float *er = rows + (size_t) (2 * i) * row, *orow = er + row;
        int64_t ih = 2 * th - s->pt + i;
        if (ih < 0 || ih >= s->h) {
          memset (er, 0, sizeof (float) * 2 * row);
        } else {
          cnn_deinterleave_row (plane + ih * s->w, s->w, -s->pl, tiles_w + 1, 0.0f, er, orow);
        }
        e[i] = er;
        o[i] = orow;
      }
      winograd_input_row (e, o, tw0, tw1, v + c * ld + (t - t0), xi);
      t += tw1 - tw0;
    }
  }
}

/* Aᵀ m A for n tiles of one output channel: the tiles' two output rows, interleaved into y0
 * and y1. Element ξ of tile k is m[ξ · xi + k]. */
CNN_VECTORIZE static void
winograd_output_row (const float *m, size_t xi, int64_t n, float *restrict y0,
    float *restrict y1)
{
  const float *q0 = m, *q1 = m + xi, *q2 = m + 2 * xi, *q3 = m + 3 * xi, *q4 = m + 4 * xi;
  const float *q5 = m + 5 * xi, *q6 = m + 6 * xi, *q7 = m + 7 * xi, *q8 = m + 8 * xi;
  const float *q9 = m + 9 * xi, *q10 = m + 10 * xi, *q11 = m + 11 * xi;
  const float *q12 = m + 12 * xi, *q13 = m + 13 * xi, *q14 = m + 14 * xi;
  const float *q15 = m + 15 * xi;

  for (int64_t k = 0; k < n; k++) {
    /* Aᵀ q: rows (q0 + q1 + q2, q1 − q2 − q3) of the 4×4 tile, column by column. */
    float t00 = q0[k] + q4[k] + q8[k], t01 = q1[k] + q5[k] + q9[k];
    float t02 = q2[k] + q6[k] + q10[k], t03 = q3[k] + q7[k] + q11[k];
    float t10 = q4[k] - q8[k] - q12[k], t11 = q5[k] - q9[k] - q13[k];
    float t12 = q6[k] - q10[k] - q14[k], t13 = q7[k] - q11[k] - q15[k];
    /* (Aᵀ q) A, interleaved into the two output rows. */
    y0[2 * k] = t00 + t01 + t02;
    y0[2 * k + 1] = t01 - t02 - t03;
    y1[2 * k] = t10 + t11 + t12;
    y1[2 * k + 1] = t11 - t12 - t13;
  }
}

/* dst = act(src + bias + sum) for one output row segment (sum may be NULL or dst itself):
 * one pass, vectorised for the activations networks fuse. */
CNN_VECTORIZE static void
winograd_store_row (float *dst, const float *restrict src, const float *sum, int64_t len,
    float bias, cnn_activation act, float alpha, float beta)
{
  float lo = act == CNN_ACTIVATION_CLIP ? alpha : 0.0f;
  float hi = act == CNN_ACTIVATION_CLIP ? beta : 6.0f;

  switch (act) {
    case CNN_ACTIVATION_NONE:
      if (sum != NULL)
        for (int64_t j = 0; j < len; j++)
          dst[j] = src[j] + bias + sum[j];
      else
        for (int64_t j = 0; j < len; j++)
          dst[j] = src[j] + bias;
      return;
    case CNN_ACTIVATION_RELU:
      if (sum != NULL)
        for (int64_t j = 0; j < len; j++) {
          float v = src[j] + bias + sum[j];
          dst[j] = v > 0.0f ? v : 0.0f;
        }
      else
        for (int64_t j = 0; j < len; j++) {
          float v = src[j] + bias;
          dst[j] = v > 0.0f ? v : 0.0f;
        }
      return;
    case CNN_ACTIVATION_RELU6:
    case CNN_ACTIVATION_CLIP:
      for (int64_t j = 0; j < len; j++) {
        float v = src[j] + bias + (sum != NULL ? sum[j] : 0.0f);
        dst[j] = v < lo ? lo : (v > hi ? hi : v);
      }
      return;
    default:
      for (int64_t j = 0; j < len; j++)
        dst[j] = cnn_activate (src[j] + bias + (sum != NULL ? sum[j] : 0.0f), act, alpha,
            beta);
      return;
  }
}

size_t
cnn_winograd_input_floats (const cnn_conv_geom *s, int tile, int64_t tiles)
{
  return round16 ((tile + 2) * (tile + 2) * s->c * tiles);
}

void
cnn_winograd_block_input (const cnn_winograd_args *a, int64_t img, int64_t t0, int64_t c0,
    int64_t c1, float *v, float *scratch)
{
  const cnn_conv_geom *s = a->s;
  int tile = a->tile;
  int64_t tiles = cnn_ceil_div (s->oh, tile) * cnn_ceil_div (s->ow, tile);
  int64_t nt = cnn_min64 (a->block_tiles, tiles - t0);
  float *gemm_scratch = NULL, *own_v = NULL, *mx = NULL, *in = NULL, *out = NULL;
  const float *x = a->x + img * s->c * s->h * s->w;

  if (nt <= 0 || c1 <= c0)
    return;
  winograd_layout (s, tile, a->scratch_tiles, scratch, &gemm_scratch, &own_v, &mx, &in, &out);
  if (tile == 4)
    cnn_winograd_f43_input (s, x, t0, nt, c0, c1, a->block_tiles, v, in, a->simd);
  else
    winograd_input (s, x, t0, nt, c0, c1, a->block_tiles, v, in, a->simd);
}

void
cnn_winograd_block_output (const cnn_winograd_args *a, int64_t img, int64_t t0, int64_t m0,
    const float *v, float *scratch)
{
  const cnn_conv_geom *s = a->s;
  int tile = a->tile, points = (tile + 2) * (tile + 2);
  int64_t tiles_w = cnn_ceil_div (s->ow, tile), tiles = cnn_ceil_div (s->oh, tile) * tiles_w;
  int64_t ld = a->block_tiles, out_plane = s->oh * s->ow;
  int64_t nt = cnn_min64 (a->block_tiles, tiles - t0);
  int64_t nrows = cnn_min64 (a->block_rows, s->m - m0);
  cnn_gemm_fn *gemm = a->bf16 ? cnn_gemm_bf16 : cnn_gemm_blas;
  float *gemm_scratch = NULL, *own_v = NULL, *mx = NULL, *in = NULL, *out = NULL;

  if (nt <= 0 || nrows <= 0)
    return;
  winograd_layout (s, tile, a->scratch_tiles, scratch, &gemm_scratch, &own_v, &mx, &in, &out);
  size_t out_row = round16 (tile * tiles_w), mxi = (size_t) (a->block_rows * ld);

  for (int xi = 0; xi < points; xi++) {
    const float *vx = v + (size_t) xi * (size_t) (s->c * ld);
    float *mxx = mx + (size_t) xi * mxi;
    if (a->ub != NULL) {
      const uint32_t *ub = a->ub + (xi * s->m + m0) * a->ldub;
      if (a->panel != NULL)
        cnn_gemm_bf16_narrow (nrows, nt, s->c, ub, a->ldub, vx, ld, mxx, ld, NULL, NULL,
            CNN_ACTIVATION_NONE, 0.0f, 0.0f, a->panel);
      else
        cnn_gemm_bf16_packed (nrows, nt, s->c, ub, a->ldub, vx, ld, mxx, ld, NULL, NULL,
            CNN_ACTIVATION_NONE, 0.0f, 0.0f);
    } else {
      const float *u = a->u + ((size_t) xi * (size_t) s->m + (size_t) m0) * (size_t) s->c;
      if (a->fused && !a->bf16)
        cnn_gemm_fused (nrows, nt, s->c, u, s->c, vx, ld, mxx, ld, NULL, NULL,
            CNN_ACTIVATION_NONE, 0.0f, 0.0f, gemm_scratch);
      else
        gemm (nrows, nt, s->c, u, s->c, vx, ld, mxx, ld, NULL, NULL, CNN_ACTIVATION_NONE,
            0.0f, 0.0f);
    }
  }

  for (int64_t r = 0; r < nrows; r++) {
    int64_t m = m0 + r;
    float bias = a->b != NULL ? a->b[m] : 0.0f;
    float *columns = out + (size_t) tile * out_row;
    if (tile == 4)
      cnn_winograd_f43_output_columns (mx + (size_t) (r * ld), mxi, nt, columns, ld);
    for (int64_t t = t0; t < t0 + nt;) {
      int64_t th = t / tiles_w, tw0 = t % tiles_w;
      int64_t tw1 = cnn_min64 (tiles_w, tw0 + (t0 + nt - t));
      const float *mt = mx + (size_t) (r * ld + (t - t0));
      if (tile == 4)
        cnn_winograd_f43_output_rows (columns, ld, t - t0, tw1 - tw0, out, out_row, a->simd);
      else if (a->simd)
        cnn_winograd_f23_output_avx512 (mt, mxi, tw1 - tw0, out, out + out_row);
      else
        winograd_output_row (mt, mxi, tw1 - tw0, out, out + out_row);
      /* The last tile row or column may stick out of the output. */
      int64_t col0 = tile * tw0, len = cnn_min64 (tile * tw1, s->ow) - col0;
      for (int64_t rr = 0; rr < tile && tile * th + rr < s->oh; rr++) {
        int64_t offset = (img * s->m + m) * out_plane + (tile * th + rr) * s->ow + col0;
        winograd_store_row (a->y + offset, out + (size_t) rr * out_row,
            a->sum != NULL ? a->sum + offset : NULL, len, bias, a->act, a->alpha, a->beta);
      }
      t += tw1 - tw0;
    }
  }
}

void
cnn_winograd_block (const cnn_winograd_args *a, int64_t img, int64_t t0, int64_t m0,
    float *scratch)
{
  float *gemm_scratch = NULL, *v = NULL, *mx = NULL, *in = NULL, *out = NULL;

  winograd_layout (a->s, a->tile, a->scratch_tiles, scratch, &gemm_scratch, &v, &mx, &in, &out);
  cnn_winograd_block_input (a, img, t0, 0, a->s->c, v, scratch);
  cnn_winograd_block_output (a, img, t0, m0, v, scratch);
}
