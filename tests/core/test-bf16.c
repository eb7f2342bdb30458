/* test-bf16.c — the bfloat16 GEMM (kernels/x86-avx512/gemm-bf16.c) against references, on
 * any CPU.
 *
 * With AVX512_BF16, every case is held to two references computed in double:
 *   exact   the product of W and X rounded to bfloat16 (round to nearest even), as vdpbf16ps
 *           multiplies them: only fp32 summation may differ, |d| ≤ (k + 4) · 2^-24 · Σ|w·x|
 *           (+ 1e-30), so a wrong pairing, packing or mask fails at once;
 *   fp32    the plain fp32 product: bfloat16 keeps 8 significant bits, each rounding is at most
 *           2^-9 relative, a product of two at most 2^-8 + 2^-18, so |d| ≤ 2^-7 · Σ|w·x|
 *           (the bf16 error bound with room for fp32 summation), times 1.25 through the
 *           activation (its slope is at most 1.1).
 * Without AVX512_BF16 (the fallback), cnn_gemm_bf16 must give the fp32 result: the fp32
 * bound of cnn_gemm_blas, 1e-5 · Σ|w·x|.
 * W packed once (cnn_gemm_bf16_pack, as conv's prepare does): on any CPU every pair must hold
 * the round-to-nearest-even bfloat16 of w[i][2p] (low half) and w[i][2p + 1] (high half, zero
 * past an odd k), with nothing written past the last row; with AVX512_BF16,
 * cnn_gemm_bf16_packed, run as two row blocks (wb + i0 · ldwb) the way conv and Winograd cut
 * their work, is held to the same two references as cnn_gemm_bf16.
 * W packed for cnn_gemm_bf16_narrow (cnn_gemm_bf16_narrow_pack, blocks of 16 rows, a vector
 * per K pair): on any CPU every word must hold the same pair at its place in the block, zero
 * for the rows that pad the last block, nothing written past it; with AVX512_BF16 the narrow
 * GEMM, run as two row blocks split at a multiple of 16 (as conv's channel blocks are), the
 * second with X packed in bands of 10 rows (cnn_gemm_bf16_narrow_pack_x), is
 * held to the same two references, on column counts that cut into one to many tiles of up to
 * 12 (1, 7, 13, 49, 196) and row counts with a partial last block of 16.
 * Whole models: options.precision = BF16 on a builder network with each GEMM algorithm (a
 * 3×3 conv 16 → 19 channels on 13×11: Winograd; 3×3 stride 2: im2col; 1×1 to 7: gemm-1x1)
 * reports the precision that runs (BF16 only with AVX512_BF16) and stays within three
 * bfloat16 roundings, 3 · 2^-7 of the largest output, of the fp32 model; an invalid precision
 * is refused with a message naming the option. Winograd F(4×4, 3×3) (a 3×3 conv 16 → 19
 * channels on 29×27) rounds its transformed tiles V = Bᵀ d B and weights U = G g Gᵀ to
 * bfloat16, and its output transform sums 36 products with coefficients up to 64: each output
 * is held to its own bound, 2^-8 · Σ_c Σ_ξ |Aᵀ ⊗ Aᵀ|_ξ |U_ξ| |V_ξ| (each product off by at
 * most 2^-8 of itself) plus the fp32 transforms' 2e-5 of the largest output.
 * The narrow GEMM's conv paths (a 3×3 stride-2
 * conv of K 576 on 324 output columns, in calls of at most 256; Winograd 144 -> 144; a 1×1
 * stride-2 conv to 40 channels, a partial block of 16) stay within three roundings too. A dense head (global average pool of 1×1 maps,
 * then Gemm with transB, 1001 features to 300 outputs on two threads: two row blocks, the
 * last partial) is held to the same two references as the GEMM cases (the bf16-exact one and
 * fp32's; fp32's 1e-5 without AVX512_BF16).
 * Shapes: odd M, N and K (K = 1, odd K with a zero partner, K across several slices), 1×1
 * outputs (N = 1), N not a multiple of 16, strided X and Y, bias, residual, activations on
 * registers and after the store.
 */
#include "cpu.h"
#include "kernels/gemm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static float
to_bf16 (float f)
{
  union { float f; uint32_t u; } v = { f };
  uint32_t lsb = (v.u >> 16) & 1u;
  v.u = (v.u + 0x7fffu + lsb) & 0xffff0000u;     /* round to nearest even */
  return v.f;
}

static float
rnd (uint32_t *seed)
{
  *seed = *seed * 1664525u + 1013904223u;
  return (float) ((int32_t) (*seed >> 8) - (1 << 23)) / (float) (1 << 23);
}

typedef struct {
  int64_t m, n, k, ldx_pad, ldy_pad;
  bool bias, sum;
  cnn_activation act;
} gcase;

static const gcase cases[] = {
  { 1, 1, 1, 0, 0, false, false, CNN_ACTIVATION_NONE },
  { 5, 7, 3, 2, 1, true, false, CNN_ACTIVATION_RELU },
  { 13, 49, 27, 0, 3, true, true, CNN_ACTIVATION_NONE },
  { 7, 17, 130, 5, 0, true, false, CNN_ACTIVATION_SILU },
  { 16, 33, 257, 0, 0, true, true, CNN_ACTIVATION_RELU6 },
  { 6, 32, 256, 0, 0, false, false, CNN_ACTIVATION_SIGMOID },
  { 37, 100, 300, 7, 2, true, true, CNN_ACTIVATION_HARD_SWISH },
  { 3, 1, 64, 0, 0, true, false, CNN_ACTIVATION_ELU },
  { 64, 196, 576, 0, 0, true, false, CNN_ACTIVATION_RELU },
  { 11, 15, 513, 1, 1, false, true, CNN_ACTIVATION_TANH },
  { 40, 49, 512, 0, 0, true, true, CNN_ACTIVATION_RELU },
  { 33, 196, 67, 3, 5, true, false, CNN_ACTIVATION_HARD_SWISH },
  { 48, 13, 1, 0, 0, false, false, CNN_ACTIVATION_NONE },
};

typedef enum {
  GEMM_PLAIN,                   /* cnn_gemm_bf16: W in fp32 */
  GEMM_PACKED,                  /* cnn_gemm_bf16_pack + cnn_gemm_bf16_packed */
  GEMM_NARROW,                  /* cnn_gemm_bf16_narrow_pack + cnn_gemm_bf16_narrow */
} gemm_mode;

static const char *const mode_names[] = { "", " packed", " narrow" };

static uint32_t
bf16_bits (float f)
{
  union { float f; uint32_t u; } v = { to_bf16 (f) };
  return v.u >> 16;
}

/* Packs w (m × k, row stride ldw) and checks every pair and the words after the last row. */
static uint32_t *
pack_and_check (const gcase *c, const float *w, int64_t ldw, int *bad)
{
  int64_t ldwb = cnn_gemm_bf16_stride (c->k);
  size_t words = (size_t) (c->m * ldwb);
  uint32_t *wb = malloc (sizeof (uint32_t) * (words + 16));

  for (size_t i = 0; i < words + 16; i++)
    wb[i] = 0xdeadbeefu;
  cnn_gemm_bf16_pack (c->m, c->k, w, ldw, wb);
  for (int64_t i = 0; i < c->m; i++)
    for (int64_t p = 0; p < ldwb; p++) {
      uint32_t want = bf16_bits (w[i * ldw + 2 * p])
          | (2 * p + 1 < c->k ? bf16_bits (w[i * ldw + 2 * p + 1]) : 0u) << 16;
      if (wb[i * ldwb + p] != want && (*bad)++ < 3)
        printf ("  packed w[%lld] pair %lld = %08x, want %08x\n", (long long) i,
            (long long) p, wb[i * ldwb + p], want);
    }
  for (size_t i = words; i < words + 16; i++)
    if (wb[i] != 0xdeadbeefu && (*bad)++ < 3)
      printf ("  packed W written past its last row\n");
  return wb;
}

/* Packs w for the narrow GEMM and checks every word of the padded blocks and the words after
 * them. */
static uint32_t *
narrow_pack_and_check (const gcase *c, const float *w, int64_t ldw, int *bad)
{
  int64_t ldwb = cnn_gemm_bf16_stride (c->k), rows = (c->m + 15) / 16 * 16;
  size_t words = (size_t) (rows * ldwb);
  uint32_t *wb = malloc (sizeof (uint32_t) * (words + 16));

  for (size_t i = 0; i < words + 16; i++)
    wb[i] = 0xdeadbeefu;
  cnn_gemm_bf16_narrow_pack (c->m, c->k, w, ldw, wb);
  for (int64_t i = 0; i < rows; i++)
    for (int64_t p = 0; p < ldwb; p++) {
      uint32_t want = i >= c->m ? 0u : bf16_bits (w[i * ldw + 2 * p])
          | (2 * p + 1 < c->k ? bf16_bits (w[i * ldw + 2 * p + 1]) : 0u) << 16;
      uint32_t got = wb[i / 16 * 16 * ldwb + 16 * p + i % 16];
      if (got != want && (*bad)++ < 3)
        printf ("  narrow-packed w[%lld] pair %lld = %08x, want %08x\n", (long long) i,
            (long long) p, got, want);
    }
  for (size_t i = words; i < words + 16; i++)
    if (wb[i] != 0xdeadbeefu && (*bad)++ < 3)
      printf ("  narrow-packed W written past its last block\n");
  return wb;
}

static void
run_case (const gcase *c, bool have_bf16, gemm_mode mode)
{
  bool packed = mode != GEMM_PLAIN;
  int64_t ldx = c->n + c->ldx_pad, ldy = c->n + c->ldy_pad;
  /* Packed: W with a padded row stride, as a Winograd matrix inside U is not. */
  int64_t ldw = packed ? c->k + 3 : c->k;
  float *w = malloc (sizeof (float) * (size_t) (c->m * ldw));
  uint32_t *wb = NULL;
  float *x = malloc (sizeof (float) * (size_t) (c->k * ldx));
  float *y = malloc (sizeof (float) * (size_t) (c->m * ldy));
  float *s = malloc (sizeof (float) * (size_t) (c->m * ldy));
  float *b = malloc (sizeof (float) * (size_t) c->m);
  uint32_t seed = (uint32_t) (c->m * 131 + c->n * 7 + c->k);
  int bad = 0;
  double worst = 0;

  for (int64_t i = 0; i < c->m * ldw; i++)
    w[i] = i % ldw < c->k ? rnd (&seed) : NAN;
  for (int64_t i = 0; i < c->k * ldx; i++)
    x[i] = rnd (&seed) * 3.0f;
  for (int64_t i = 0; i < c->m * ldy; i++) {
    s[i] = rnd (&seed);
    y[i] = NAN;
  }
  for (int64_t i = 0; i < c->m; i++)
    b[i] = rnd (&seed);

  if (!packed) {
    cnn_gemm_bf16 (c->m, c->n, c->k, w, c->k, x, ldx, y, ldy, c->bias ? b : NULL,
        c->sum ? s : NULL, c->act, 1.0f, 0.0f);
  } else {
    wb = mode == GEMM_NARROW ? narrow_pack_and_check (c, w, ldw, &bad)
        : pack_and_check (c, w, ldw, &bad);
    if (!have_bf16) {
      printf ("%s bf16%s pack m%lld k%lld (no AVX512_BF16: the packed GEMM is not run)\n",
          bad ? "FAIL" : "PASS", mode_names[mode], (long long) c->m, (long long) c->k);
      failures += bad != 0;
      goto done;
    }
    int64_t ldwb = cnn_gemm_bf16_stride (c->k), i0 = c->m / 2;
    if (mode == GEMM_NARROW) {
      /* Blocks of rows start at multiples of 16. */
      i0 = c->m / 32 * 16;
      uint32_t *scratch = malloc (sizeof (uint32_t)
          * (size_t) cnn_gemm_bf16_narrow_scratch (c->n, c->k));
      /* The first block packs X whole, the second in bands of 10 rows (as conv's im2col
       * hands them over). */
      cnn_gemm_bf16_narrow (i0, c->n, c->k, wb, ldwb, x, ldx, y, ldy, c->bias ? b : NULL,
          c->sum ? s : NULL, c->act, 1.0f, 0.0f, scratch);
      for (int64_t k0 = 0; k0 < c->k; k0 += 10)
        cnn_gemm_bf16_narrow_pack_x (c->n, c->k, k0, c->k - k0 < 10 ? c->k - k0 : 10,
            x + k0 * ldx, ldx, scratch);
      cnn_gemm_bf16_narrow_panel (c->m - i0, c->n, c->k, wb + i0 * ldwb, ldwb, scratch,
          y + i0 * ldy, ldy, c->bias ? b + i0 : NULL, c->sum ? s + i0 * ldy : NULL, c->act,
          1.0f, 0.0f);
      free (scratch);
    }
    for (int half = 0; half < 2 && mode == GEMM_PACKED; half++) {
      int64_t r0 = half ? i0 : 0, rows = half ? c->m - i0 : i0;
      cnn_gemm_bf16_packed (rows, c->n, c->k, wb + r0 * ldwb, ldwb, x, ldx, y + r0 * ldy,
          ldy, c->bias ? b + r0 : NULL, c->sum ? s + r0 * ldy : NULL, c->act, 1.0f, 0.0f);
    }
  }

  for (int64_t i = 0; i < c->m; i++)
    for (int64_t j = 0; j < c->n; j++) {
      double exact = 0, plain = 0, mag = 0;
      for (int64_t k = 0; k < c->k; k++) {
        exact += (double) to_bf16 (w[i * ldw + k]) * to_bf16 (x[k * ldx + j]);
        plain += (double) w[i * ldw + k] * x[k * ldx + j];
        mag += fabs ((double) w[i * ldw + k] * x[k * ldx + j]);
      }
      double add = (c->bias ? b[i] : 0.0) + (c->sum ? s[i * ldy + j] : 0.0);
      double want_exact = cnn_activate ((float) (exact + add), c->act, 1.0f, 0.0f);
      double want_plain = cnn_activate ((float) (plain + add), c->act, 1.0f, 0.0f);
      double got = y[i * ldy + j];
      bool ok;
      if (have_bf16) {
        double tol_exact = (double) (c->k + 4) * ldexp (1.0, -24) * (mag + fabs (add)) * 1.25
            + 1e-30;
        double tol_plain = ldexp (1.0, -7) * mag * 1.25 + 1e-6 * fabs (add);
        ok = fabs (got - want_exact) <= tol_exact && fabs (got - want_plain) <= tol_plain;
        if (fabs (got - want_plain) / (mag + 1e-30) > worst)
          worst = fabs (got - want_plain) / (mag + 1e-30);
      } else {
        ok = fabs (got - want_plain) <= 1e-5 * (mag + fabs (add)) + 1e-6;
      }
      if (!ok && bad++ < 3)
        printf ("  y[%lld][%lld] = %.9g, want %.9g (bf16-exact %.9g)\n", (long long) i,
            (long long) j, got, want_plain, want_exact);
    }
  /* Columns between n and ldy are never written. */
  for (int64_t i = 0; i < c->m; i++)
    for (int64_t j = c->n; j < ldy; j++)
      if (!isnan (y[i * ldy + j]) && bad++ < 3)
        printf ("  y[%lld][%lld] written past n\n", (long long) i, (long long) j);

  printf ("%s bf16 gemm%s m%lld n%lld k%lld%s%s %s: max |err| / Σ|w·x| vs fp32 = %.2e\n",
      bad ? "FAIL" : "PASS", mode_names[mode], (long long) c->m, (long long) c->n, (long long) c->k,
      c->bias ? " bias" : "", c->sum ? " residual" : "", cnn_activation_name (c->act)[0]
      ? cnn_activation_name (c->act) : "linear", worst);
  failures += bad != 0;
done:
  free (wb);
  free (w);
  free (x);
  free (y);
  free (s);
  free (b);
}

enum { C_IN = 16, C_MID = 19, H = 13, W = 11, C_OUT = 7 };

static cnn_model *
build (cnn_precision precision, const float *w1, const float *w3, const float *w2,
    cnn_error *err)
{
  cnn_builder *b = cnn_builder_create ("bf16");
  cnn_options options = cnn_options_default ();
  cnn_model *model = NULL;
  int x = cnn_builder_input (b, "input", C_IN, H, W);
  x = cnn_builder_conv (b, x, C_MID, 3, 3, 1, 1, 1, 1, w1, NULL, CNN_ACTIVATION_RELU);
  x = cnn_builder_conv (b, x, C_MID, 3, 3, 2, 1, 1, 1, w3, NULL, CNN_ACTIVATION_RELU);
  x = cnn_builder_conv (b, x, C_OUT, 1, 1, 1, 0, 1, 1, w2, NULL, CNN_ACTIVATION_NONE);
  cnn_builder_output (b, x, "y");
  options.precision = precision;
  if (cnn_builder_finish (b, &options, &model, err) != CNN_STATUS_OK
      || cnn_model_prepare (model, err) != CNN_STATUS_OK) {
    cnn_model_destroy (model);
    return NULL;
  }
  return model;
}

/* Winograd F(4×4, 3×3)'s matrices (kernels/winograd-f43.c), in double. */
static const double wg_bt[6][6] = {
  { 4, 0, -5, 0, 1, 0 }, { 0, -4, -4, 1, 1, 0 }, { 0, 4, -4, -1, 1, 0 },
  { 0, -2, -1, 2, 1, 0 }, { 0, 2, -1, -2, 1, 0 }, { 0, 4, 0, -5, 0, 1 },
};
static const double wg_g[6][3] = {
  { 1.0 / 4, 0, 0 }, { -1.0 / 6, -1.0 / 6, -1.0 / 6 }, { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
  { 1.0 / 24, 1.0 / 12, 1.0 / 6 }, { 1.0 / 24, -1.0 / 12, 1.0 / 6 }, { 0, 0, 1 },
};
static const double wg_at[4][6] = {
  { 1, 1, 1, 1, 1, 0 }, { 0, 1, -1, 2, -2, 0 }, { 0, 1, 1, 4, 4, 0 }, { 0, 1, -1, 8, -8, 1 },
};

enum { F4_IN = 16, F4_OUT = 19, F4_H = 29, F4_W = 27 };

/* |Bᵀ d B| of the tile at (ty, tx) of channel c of the padded (pad 1) input, and |G g Gᵀ|. */
static void
f43_abs_v (const float *in, int c, int ty, int tx, double v[6][6])
{
  double d[6][6], t[6][6];
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 6; j++) {
      int y = 4 * ty - 1 + i, x = 4 * tx - 1 + j;
      d[i][j] = y >= 0 && y < F4_H && x >= 0 && x < F4_W ? in[(c * F4_H + y) * F4_W + x] : 0.0;
    }
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 6; j++) {
      t[i][j] = 0;
      for (int k = 0; k < 6; k++)
        t[i][j] += wg_bt[i][k] * d[k][j];
    }
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 6; j++) {
      double sum = 0;
      for (int k = 0; k < 6; k++)
        sum += t[i][k] * wg_bt[j][k];
      v[i][j] = fabs (sum);
    }
}

static void
f43_abs_u (const float *g, double u[6][6])
{
  double t[6][3];
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 3; j++)
      t[i][j] = wg_g[i][0] * g[j] + wg_g[i][1] * g[3 + j] + wg_g[i][2] * g[6 + j];
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 6; j++)
      u[i][j] = fabs (t[i][0] * wg_g[j][0] + t[i][1] * wg_g[j][1] + t[i][2] * wg_g[j][2]);
}

static void
check_winograd_4x4 (bool have)
{
  static float w[F4_OUT * F4_IN * 9], in[F4_IN * F4_H * F4_W];
  static float y32[F4_OUT * F4_H * F4_W], y16[F4_OUT * F4_H * F4_W];
  static double u[F4_OUT][F4_IN][6][6];
  uint32_t seed = 23;
  cnn_model *m[2] = { NULL, NULL };
  cnn_error err;

  for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
    w[i] = rnd (&seed);
  for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
    in[i] = rnd (&seed);
  for (int p = 0; p < 2; p++) {
    cnn_builder *b = cnn_builder_create ("bf16-winograd-4x4");
    cnn_options options = cnn_options_default ();
    int x = cnn_builder_input (b, "input", F4_IN, F4_H, F4_W);
    x = cnn_builder_conv (b, x, F4_OUT, 3, 3, 1, 1, 1, 1, w, NULL, CNN_ACTIVATION_NONE);
    cnn_builder_output (b, x, "y");
    options.precision = p == 0 ? CNN_PRECISION_FP32 : CNN_PRECISION_BF16;
    if (cnn_builder_finish (b, &options, &m[p], &err) != CNN_STATUS_OK
        || cnn_model_prepare (m[p], &err) != CNN_STATUS_OK) {
      cnn_model_destroy (m[p]);
      m[p] = NULL;
    }
  }
  const void *inputs[1] = { in };
  void *o32[1] = { y32 }, *o16[1] = { y16 };
  if (m[0] == NULL || m[1] == NULL || cnn_model_run (m[0], inputs, o32, &err) != 0
      || cnn_model_run (m[1], inputs, o16, &err) != 0) {
    printf ("FAIL bf16 winograd-4x4 model: %s\n", err.message);
    failures++;
    goto done;
  }

  double scale = 0, worst = 0, worst_share = 0;
  for (size_t i = 0; i < sizeof y32 / sizeof y32[0]; i++)
    scale = fmax (scale, fabs ((double) y32[i]));
  for (int o = 0; o < F4_OUT; o++)
    for (int c = 0; c < F4_IN; c++)
      f43_abs_u (w + (o * F4_IN + c) * 9, u[o][c]);
  bool ok = true;
  for (int ty = 0; ty < (F4_H + 3) / 4; ty++)
    for (int tx = 0; tx < (F4_W + 3) / 4; tx++) {
      static double v[F4_IN][6][6];
      for (int c = 0; c < F4_IN; c++)
        f43_abs_v (in, c, ty, tx, v[c]);
      for (int o = 0; o < F4_OUT; o++)
        for (int i = 0; i < 4 && 4 * ty + i < F4_H; i++)
          for (int j = 0; j < 4 && 4 * tx + j < F4_W; j++) {
            double sum = 0;
            for (int c = 0; c < F4_IN; c++)
              for (int a = 0; a < 6; a++)
                for (int e = 0; e < 6; e++)
                  sum += fabs (wg_at[i][a] * wg_at[j][e]) * u[o][c][a][e] * v[c][a][e];
            size_t k = ((size_t) o * F4_H + (size_t) (4 * ty + i)) * F4_W + (size_t) (4 * tx + j);
            double d = fabs ((double) y16[k] - y32[k]);
            double bound = have ? ldexp (1.0, -8) * (1 + ldexp (1.0, -8)) * sum + 2e-5 * scale
                : 1e-5 * scale;
            worst = fmax (worst, d);
            worst_share = fmax (worst_share, d / bound);
            ok = ok && d <= bound;
          }
    }
  cnn_precision want = have ? CNN_PRECISION_BF16 : CNN_PRECISION_FP32;
  ok = ok && cnn_model_precision (m[1]) == want && (!have || worst > 0);
  printf ("%s bf16 winograd-4x4 model: runs %s; max |bf16 - fp32| = %.3g (max |y| %.3g), at most"
      " %.2f of each output's bound\n", ok ? "PASS" : "FAIL",
      cnn_precision_name (cnn_model_precision (m[1])), worst, scale, worst_share);
  failures += !ok;
done:
  cnn_model_destroy (m[0]);
  cnn_model_destroy (m[1]);
}

static void
check_model (bool have)
{
  float w1[C_MID * C_IN * 9], w3[C_MID * C_MID * 9], w2[C_OUT * C_MID], in[C_IN * H * W];
  float y32[C_OUT * 7 * 6], y16[C_OUT * 7 * 6];
  uint32_t seed = 11;
  cnn_error err;

  for (size_t i = 0; i < sizeof w1 / sizeof w1[0]; i++)
    w1[i] = rnd (&seed);
  for (size_t i = 0; i < sizeof w2 / sizeof w2[0]; i++)
    w2[i] = rnd (&seed);
  for (size_t i = 0; i < sizeof w3 / sizeof w3[0]; i++)
    w3[i] = rnd (&seed);
  for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
    in[i] = rnd (&seed);
  cnn_model *m32 = build (CNN_PRECISION_FP32, w1, w3, w2, &err);
  cnn_model *m16 = build (CNN_PRECISION_BF16, w1, w3, w2, &err);
  const void *inputs[1] = { in };
  void *o32[1] = { y32 }, *o16[1] = { y16 };
  bool ran = m32 != NULL && m16 != NULL && cnn_model_run (m32, inputs, o32, &err) == 0
      && cnn_model_run (m16, inputs, o16, &err) == 0;
  if (!ran) {
    printf ("FAIL bf16 model: %s\n", err.message);
    failures++;
  } else {
    double worst = 0, scale = 0;
    for (size_t i = 0; i < sizeof y32 / sizeof y32[0]; i++) {
      worst = fmax (worst, fabs ((double) y32[i] - y16[i]));
      scale = fmax (scale, fabs ((double) y32[i]));
    }
    double bound = have ? 3.0 * ldexp (1.0, -7) * scale : 1e-5 * scale;
    cnn_precision want = have ? CNN_PRECISION_BF16 : CNN_PRECISION_FP32;
    bool ok = cnn_model_precision (m16) == want && cnn_model_precision (m32)
        == CNN_PRECISION_FP32 && worst <= bound && (!have || worst > 0);
    printf ("%s bf16 model: runs %s; max |bf16 - fp32| = %.3g (max |y| %.3g, bound %.3g)\n",
        ok ? "PASS" : "FAIL", cnn_precision_name (cnn_model_precision (m16)), worst, scale,
        bound);
    failures += !ok;
  }
  cnn_model_destroy (m32);
  cnn_model_destroy (m16);

  cnn_model *bad = build ((cnn_precision) 7, w1, w3, w2, &err);
  bool refused = bad == NULL && strstr (err.message, "options.precision") != NULL;
  printf ("%s invalid precision refused: %s\n", refused ? "PASS" : "FAIL",
      bad == NULL ? err.message : "(loaded)");
  failures += !refused;
  cnn_model_destroy (bad);
}

/* The conv paths of the narrow GEMM: a 3×3 stride-2 conv with K = 64 · 9 to 144 channels
 * (on 35×35, an 18×18 output: 324 columns, im2col in calls of at most 256); a 3×3 stride-1
 * conv 144 -> 144 on its output (Winograd: F(2×2) on 18×18, F(4×4) and its 36 matrices on
 * 31×31 from a 61×61 input); a 1×1 stride-2 conv to 40 channels (a partial block of 16)
 * (im2col of one tap). bf16 against fp32 within three bfloat16 roundings of the largest
 * output, as check_model; bf16 on two threads (work split by columns and by channel blocks)
 * equal to bf16 on one, bit for bit: every output sums the same pairs in the same order. */
static void
check_narrow_convs (bool have, int hw)
{
  enum { CI = 64, CO = 144, CO2 = 40 };
  const int HW = hw, OHW = ((hw + 1) / 2 + 1) / 2;
  float *w = malloc (sizeof (float) * CO * CI * 9), *in = malloc (sizeof (float) * CI * HW * HW);
  float *w2 = malloc (sizeof (float) * CO2 * CO), *wg = malloc (sizeof (float) * CO * CO * 9);
  float *y[3] = { malloc (sizeof (float) * CO2 * OHW * OHW),
    malloc (sizeof (float) * CO2 * OHW * OHW), malloc (sizeof (float) * CO2 * OHW * OHW) };
  cnn_model *models[3] = { NULL, NULL, NULL };
  uint32_t seed = 17;
  cnn_error err;
  bool ok = true;

  for (int i = 0; i < CO * CI * 9; i++)
    w[i] = rnd (&seed);
  for (int i = 0; i < CI * HW * HW; i++)
    in[i] = rnd (&seed);
  for (int i = 0; i < CO2 * CO; i++)
    w2[i] = rnd (&seed);
  for (int i = 0; i < CO * CO * 9; i++)
    wg[i] = rnd (&seed);
  for (int m = 0; m < 3; m++) {
    cnn_builder *bld = cnn_builder_create ("wide");
    cnn_options options = cnn_options_default ();
    int x = cnn_builder_input (bld, "input", CI, HW, HW);
    x = cnn_builder_conv (bld, x, CO, 3, 3, 2, 1, 1, 1, w, NULL, CNN_ACTIVATION_NONE);
    x = cnn_builder_conv (bld, x, CO, 3, 3, 1, 1, 1, 1, wg, NULL, CNN_ACTIVATION_NONE);
    x = cnn_builder_conv (bld, x, CO2, 1, 1, 2, 0, 1, 1, w2, NULL, CNN_ACTIVATION_NONE);
    cnn_builder_output (bld, x, "y");
    options.precision = m ? CNN_PRECISION_BF16 : CNN_PRECISION_FP32;
    options.threads = m == 2 ? 2 : 1;
    const void *inputs[1] = { in };
    void *outputs[1] = { y[m] };
    ok = ok && cnn_builder_finish (bld, &options, &models[m], &err) == CNN_STATUS_OK
        && cnn_model_prepare (models[m], &err) == CNN_STATUS_OK
        && cnn_model_run (models[m], inputs, outputs, &err) == CNN_STATUS_OK;
  }
  if (!ok) {
    printf ("FAIL bf16 narrow conv paths on %d×%d: %s\n", hw, hw, err.message);
    failures++;
  } else {
    double worst = 0, scale = 0;
    int split_differs = 0;
    for (int i = 0; i < CO2 * OHW * OHW; i++) {
      worst = fmax (worst, fabs ((double) y[0][i] - y[1][i]));
      scale = fmax (scale, fabs ((double) y[0][i]));
      split_differs += y[2][i] != y[1][i];
    }
    double bound = have ? 3.0 * ldexp (1.0, -7) * scale : 1e-5 * scale;
    ok = worst <= bound && (!have || worst > 0) && split_differs == 0;
    printf ("%s bf16 narrow conv paths on %d×%d (im2col K 576, Winograd 144 -> 144, "
        "1×1 stride 2): max |bf16 - fp32| = %.3g (bound %.3g); %d outputs differ on 2 "
        "threads\n", ok ? "PASS" : "FAIL", hw, hw, worst, bound, split_differs);
    failures += !ok;
  }
  for (int m = 0; m < 3; m++) {
    cnn_model_destroy (models[m]);
    free (y[m]);
  }
  free (w);
  free (w2);
  free (wg);
  free (in);
}

enum { HEAD_IN = 1001, HEAD_OUT = 300 };

static void
check_dense_head (bool have)
{
  float *w = malloc (sizeof (float) * HEAD_IN * HEAD_OUT), b[HEAD_OUT], in[HEAD_IN];
  float y32[HEAD_OUT], y16[HEAD_OUT];
  cnn_model *models[2] = { NULL, NULL };
  uint32_t seed = 5;
  cnn_error err;
  bool ok = true;

  for (int i = 0; i < HEAD_IN * HEAD_OUT; i++)
    w[i] = rnd (&seed);
  for (int i = 0; i < HEAD_OUT; i++)
    b[i] = rnd (&seed);
  for (int i = 0; i < HEAD_IN; i++)
    in[i] = rnd (&seed) * 2.0f;
  for (int m = 0; m < 2; m++) {
    cnn_builder *bld = cnn_builder_create ("head");
    cnn_options options = cnn_options_default ();
    int x = cnn_builder_input (bld, "input", HEAD_IN, 1, 1);
    x = cnn_builder_global_pool (bld, x, CNN_POOL_AVERAGE);
    x = cnn_builder_dense (bld, x, HEAD_OUT, w, b, CNN_ACTIVATION_RELU);
    cnn_builder_output (bld, x, "y");
    options.precision = m ? CNN_PRECISION_BF16 : CNN_PRECISION_FP32;
    options.threads = 2;
    const void *inputs[1] = { in };
    void *outputs[1] = { m ? y16 : y32 };
    ok = ok && cnn_builder_finish (bld, &options, &models[m], &err) == CNN_STATUS_OK
        && cnn_model_prepare (models[m], &err) == CNN_STATUS_OK
        && cnn_model_run (models[m], inputs, outputs, &err) == CNN_STATUS_OK;
  }
  if (!ok) {
    printf ("FAIL bf16 dense head: %s\n", err.message);
    failures++;
  } else {
    int bad = 0;
    double differs = 0;
    for (int j = 0; j < HEAD_OUT; j++) {
      double plain = b[j], exact = b[j], mag = 0;
      for (int k = 0; k < HEAD_IN; k++) {
        plain += (double) w[j * HEAD_IN + k] * in[k];
        exact += (double) to_bf16 (w[j * HEAD_IN + k]) * to_bf16 (in[k]);
        mag += fabs ((double) w[j * HEAD_IN + k] * in[k]);
      }
      double want = plain > 0 ? plain : 0, want_exact = exact > 0 ? exact : 0;
      double tol_plain = 1e-5 * (mag + fabs (b[j])) + 1e-6;
      bool good = have ? fabs (y16[j] - want_exact)
          <= (HEAD_IN + 4) * ldexp (1.0, -24) * (mag + fabs (b[j])) * 1.25 + 1e-30
          && fabs (y16[j] - want) <= ldexp (1.0, -7) * mag * 1.25 + 1e-6
          : fabs (y16[j] - want) <= tol_plain;
      if ((!good || fabs (y32[j] - want) > tol_plain) && bad++ < 3)
        printf ("  y[%d] = %.9g (fp32 %.9g), want %.9g (bf16-exact %.9g)\n", j, y16[j],
            y32[j], want, want_exact);
      differs = fmax (differs, fabs ((double) y16[j] - y32[j]));
    }
    ok = bad == 0;
    printf ("%s bf16 dense head %d -> %d: max |bf16 - fp32| = %.3g\n", ok ? "PASS" : "FAIL",
        HEAD_IN, HEAD_OUT, differs);
    failures += !ok;
  }
  cnn_model_destroy (models[0]);
  cnn_model_destroy (models[1]);
  free (w);
}

int
main (void)
{
  bool have = cnn_gemm_bf16_available ();

  if (have && !cnn_cpu_has_avx512_bf16 ()) {
    printf ("FAIL cnn_gemm_bf16_available on a CPU without AVX512_BF16\n");
    failures++;
  }
  printf ("# %s: %s\n", have ? "AVX512_BF16" : "no AVX512_BF16 (the fp32 fallback is tested)",
      "cases follow");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    run_case (&cases[i], have, GEMM_PLAIN);
    run_case (&cases[i], have, GEMM_PACKED);
    run_case (&cases[i], have, GEMM_NARROW);
  }
  check_model (have);
  check_winograd_4x4 (have);
  check_dense_head (have);
  check_narrow_convs (have, 35);
  check_narrow_convs (have, 61);
  printf ("%d failures\n", failures);
  return failures != 0;
}
