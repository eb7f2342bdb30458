/* conv.c — Conv (opset 1–17), 1-D and 2-D, float32, with the bias, a fused residual sum and
 * a fused activation applied while each piece of output is still in cache. The window
 * attributes and geometry are window.c's; the arithmetic is in kernels/.
 *
 * prepare() picks one algorithm from the shapes:
 *   gemm-1x1       1×1 kernel, stride 1, no padding: Y[M, HW] = W[M, C] · X[C, HW] read
 *                  straight from the input, nothing copied.
 *   pointwise      the same with few output channels on a map of 512 to 12544 positions, on
 *                  AVX-512 CPUs: X read in place by the GEMM too (kernels/x86-avx512/
 *                  pointwise.c), no packed copy.
 *   winograd-2x2   3×3 stride 1, group 1, constant weights, ≥ 16 channels in and out and a map
 *                  of at least 32 2×2 tiles (most of a ResNet): Winograd F(2×2, 3×3), 16 GEMMs
 *                  on transformed tiles, 2.25× fewer multiplications (kernels/winograd.c).
 *   winograd-4x4   the same on maps of at least 32 4×4 tiles (28×28 and up): F(4×4, 3×3),
 *                  36 GEMMs, 4× fewer multiplications (kernels/winograd-f43.c).
 *   im2col-gemm    any other conv with several input channels per group: the input patches
 *                  of a tile of output columns are gathered into a per-thread [K, tile] matrix
 *                  sized to stay in L2 (kernels/im2col.c), then one GEMM per tile writes the
 *                  output in place.
 *                  On 7×7 maps (at most CONV_FUSED_NARROW_MAX_COLS positions) with constant
 *                  weights, both GEMM algorithms run cnn_gemm_fused_narrow (vectors along M,
 *                  kernels/x86-avx512/gemm-narrow.c) on weights packed once in blocks of 16
 *                  rows.
 *   depthwise      one input channel per group (any channel multiplier, also a plain conv of
 *                  a 1-channel input): a direct kernel, no GEMM. The input plane is split into
 *                  padded stride-phase planes so each tap is a flat offset and the output is
 *                  one vectorised pass per tap ("depthwise-3x3": all nine taps in one pass;
 *                  kernels/depthwise.c).
 *   direct-stem    a network's first conv (at most 4 input channels, group 1) on AVX-512 CPUs:
 *                  16 output columns by 16 channels in registers, taps loaded straight from
 *                  padded stride-phase copies of the input rows (kernels/x86-avx512/
 *                  conv-stem.c); elsewhere these run through im2col.
 * On AVX-512 CPUs the GEMMs run in cnn_gemm_fused (kernels/x86-avx512/gemm.c: W in place or
 * packed once, bias, residual and activation on registers) instead of OpenBLAS
 * (cnn_gemm_blas), Winograd's on every map size too (whatever kernels OpenBLAS picked, see
 * blas.h), and depthwise convs with strides 1 or 2 read their input in place through
 * cnn_depthwise_direct (kernels/x86-avx512/depthwise.c) instead of phase planes. The
 * portable paths stay for other CPUs and are tested on every CPU (cnn_conv_set_portable).
 * GEMM work is split into (image, group, column tile, row block) items shared out among the
 * threads; each GEMM runs single-threaded inside its item. In fp32, weights are used in ONNX
 * layout ([M, C/group·kH·kW] is already GEMM's row-major A), so weights that are not
 * constants work the same way, except for Winograd's transform, on 7×7 maps
 * cnn_gemm_fused_narrow's blocks of 16 rows and on larger ones (group 1) cnn_gemm_fused_pack's
 * blocks of 12: prepared once, here, and replacing the constant weights where the conv is
 * their only reader (conv_weights_replace); bf16 packs constant weights into its plan.
 * A squeeze-excitation gate fused into the conv (node->fused_scale, passes.c) multiplies the
 * input's channels: the 1×1 GEMMs on ONNX-layout weights scale each item's rows of W by it
 * into their workspace (M·C multiplies instead of a pass over the input); the other
 * algorithms read a scaled copy of the input (kernels/channel-scale.c).
 */
#include "conv.h"
#include "ops.h"
#include "window.h"

#include "kernels/channel-scale.h"
#include "kernels/conv-stem.h"
#include "kernels/depthwise.h"
#include "kernels/gemm.h"
#include "kernels/im2col.h"
#include "kernels/pointwise.h"
#include "kernels/winograd.h"
#include "kernels/winograd-f43.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* im2col scratch per thread, in floats: 512 KiB keeps the tile and the GEMM's packed panels
 * in a 1 MiB L2 while each GEMM is wide enough to amortise packing the weights. */
#define CONV_TILE_FLOATS 131072
/* cnn_gemm_fused packs its own L2-sized slices of the matrix (read as long rows the hardware
 * prefetches) and reads W once per 128 columns: a matrix twice as wide streams W half as
 * often. ResNet-50, Zen 4: layer3.0 conv2 (3×3 stride 2) 43 → 47 GMAC/s, layer2.0
 * downsample (1×1 stride 2) 46 → 49. */
#define CONV_FUSED_TILE_FLOATS 262144
/* 1×1 convs read the input in place; their tiles only bound the output (or input) block the
 * epilogue then finds in cache. Measured best at about half the im2col size. */
#define CONV_1X1_TILE_FLOATS 65536
/* cnn_gemm_fused blocks its columns itself and reads W once per 128 of them: wider tiles
 * stream W fewer times. ResNet-50 layer3 1×1 convs (14×14 maps, 1 MiB of W), Zen 4: 42 → 47
 * GMAC/s with the 196 columns in one tile rather than four. */
#define CONV_1X1_FUSED_TILE_FLOATS 262144
/* Fewer output columns per GEMM than this waste OpenBLAS's kernels. */
#define CONV_MIN_TILE 64
/* With several threads and few column tiles, 1×1 convs in cnn_gemm_fused are split by
 * columns only if each thread keeps this many, else by output channel: each thread then
 * reads half of W, whose rows pass over twice as many 32-column panels with fewer ragged
 * ones, and X (read in place) is only packed twice. One-conv models, 2 threads Zen 4
 * (loaded machine, best of 7 alternated runs of 200): SqueezeNet's classifier (512 -> 1000
 * on 13×13) 0.97 -> 0.87 ms, ResNet-50's layer3 1×1 convs (14×14) 0.56 -> 0.55 and 0.48 ->
 * 0.47, GoogLeNet's 480 -> 192 0.187 -> 0.183; 28×28 maps (392 columns each) keep
 * columns. Not im2col's convs: 3×3 stride 2 to 14×14, 256 channels, 1.39 -> 1.48 ms. Nor
 * convs of fewer than 64 output channels per thread: SqueezeNet's 13×13 squeezes (48 and 64
 * channels) 0.033 -> 0.041 and 0.047 -> 0.059 ms in the network (per-layer minimum over 480
 * runs, 2 threads). */
#define CONV_1X1_FUSED_SPLIT_COLS 256
#define CONV_1X1_FUSED_SPLIT_ROWS 64
/* Convs of fewer multiply-adds than this (a few microseconds) run on the calling thread. */
#define CONV_PARALLEL_MIN_MACS 262144
/* Depthwise convs make about a quarter of a GEMM's multiply-adds per second (MobileNetV2's
 * 14×14 ones 19 GMAC/s against 45-55), so the same few microseconds are a quarter of the
 * multiply-adds: its 14×14 -> 7×7 stride-2 layer (254K, 27 µs on one thread) ran on one
 * thread; split, 0.029 -> 0.020 ms at 2 threads (Zen 4, per-layer minimum of 60 alternated
 * runs, twice). */
#define CONV_DEPTHWISE_PARALLEL_MIN_MACS 65536
/* Output positions per image below which cnn_gemm_fused's 32-wide tiles waste too much. */
#define CONV_FUSED_MIN_COLS 16
/* fp32 GEMMs with vectors along M (cnn_gemm_fused_narrow) on maps of at most this many
 * positions (7×7: 49 columns, 32 + 16 + a dot-product tail for cnn_gemm_fused), from this K
 * and this many output channels. Zen 4, 1 thread, min of 20-30 calls, fused -> narrow on 49
 * columns: ResNet-50's layer4 (K 512 to 4608, M 512 or 2048) 43-47 -> 46-56 GMAC/s, the 7×7
 * 1×1 convs of GoogLeNet, MobileNetV2/V3 and EfficientNet-B0 (K 320 to 1152) 45-48 -> 52-56,
 * K 128 by M 64 45 -> 47; but M 37 or 40 (a half-empty last block of 16 rows) 40 -> 37 and
 * 45 -> 39, and 14×14 maps (196 columns) 0.95-1.2× the time. */
#define CONV_FUSED_NARROW_MAX_COLS 64
#define CONV_FUSED_NARROW_MIN_K 128
#define CONV_FUSED_NARROW_MIN_ROWS 64
/* fp32 GEMMs on W packed once in blocks of 12 rows (cnn_gemm_fused_packed: 12 × 32 tiles)
 * on maps of at least this many positions. ResNet-50, 1 thread Zen 4, ab-layers (60 runs,
 * per-layer minimum) against W in ONNX layout: the 1×1 convs and the 1×1 stride-2
 * downsample on 56×56 and 28×28 0.93-0.97× the time, on 14×14 0.95-0.98 (the 3×3 stride 2
 * and the downsample to 14×14 even); SqueezeNet's 1×1 convs on 13×13 0.90-0.93. Not tried
 * below: 7×7 maps mostly take the narrow GEMM. With several threads, only where K >= M: at
 * 2 threads the packed tiles made the convs with fewer inputs than outputs slower
 * (MobileNetV2's 32 -> 192 on 28×28 0.060 -> 0.073 ms, ResNet-50's K 64 layer1 conv3s and
 * SqueezeNet's expand1x1s 5-20%), and keeping W in ONNX layout there made MobileNetV2,
 * ResNet-50 and EfficientNet-B0 0.98× the time (sum of layer minimums), SqueezeNet 1.01. */
#define CONV_FUSED_PACKED_MIN_COLS 128
/* Threads that split a block by output channel build its input matrix (Winograd's V,
 * im2col's) together, then run their channels from it, rather than each building all of it
 * (conv_run), only from this many input elements per image and group: below, a second job
 * costs more than the transform both threads did. Per-layer minimum in SqueezeNet 1.1, 2
 * threads Zen 4 (loaded machine, three runs of 16 shuffled rounds): its 27×27 Winograd convs
 * (32 × 27 × 27 inputs) 4-14% faster shared, its 13×13 ones (48 and 64 × 13 × 13) 1-6% slower;
 * ResNet-50's shared convs (25088 to 100352) 4-25% faster. */
#define CONV_SHARED_MIN_INPUT 16384
/* Winograd scratch per thread, in floats (transformed input and output of one block). */
#define WINOGRAD_FLOATS 262144
/* ... but blocks of at least this many tiles (a whole 28×28 map in F(4×4), a 14×14 one in
 * F(2×2)): each block streams all the transformed weights again, (tile + 2)² / 9 times the
 * conv's, and past L2 they cost more than a block that spills. ResNet-18, 1 thread, Zen 4:
 * 30.3 -> 29.7 ms for F(4×4) blocks of 64 rather than 32, 29.5 -> 28.3 ms for F(2×2)'s. */
#define WINOGRAD_MIN_BLOCK_TILES 64
/* Winograd pays for its transforms only when the GEMMs are big enough: at least this many
 * input and output channels (below, im2col's single GEMM is as fast). */
#define WINOGRAD_MIN_CHANNELS 16
/* ... and enough 2×2 tiles per image: on 7×7 maps (16 tiles) the 16 small GEMMs do 2.25×
 * fewer multiplications than im2col's one, but the transformed weights are 16/9 the size
 * (16 MiB per 512-channel conv) and, with the ONNX weights still resident, cost ResNet-18
 * 55 MB of peak RSS (73 -> 128 MB; ResNet-50 139 -> 177) for 4.5% (ResNet-18 1 thread, Zen 4:
 * 29.0 -> 27.7 ms; ResNet-50 1.7%): not worth it. */
#define WINOGRAD_MIN_TILES 32
/* With several threads, a map's tiles are shared out only if each part keeps this many;
 * otherwise the output channels are (conv_split): each thread then streams only its share of
 * the transformed weights, and the GEMMs keep every tile (14×14 and 28×28 maps: 49, not two
 * blocks of 25). ResNet-18, 2 threads, Zen 4 shared with other jobs: best of 4-5 runs 65.1 ->
 * 59.3 and 77.5 -> 65.5 ms against a minimum of 16. */
#define WINOGRAD_MIN_BLOCK 32
/* F(4×4, 3×3) instead of F(2×2) from this many 4×4 tiles per image: 28×28 maps (49) and
 * larger. On 14×14 maps F(4×4) has 16 tiles per GEMM, each weight feeds too few of them and
 * the 36 matrices of weights (9.4 MiB for 256 channels) stream from memory: F(2×2) with the
 * whole map in one block was faster there (ResNet-18 1 thread, Zen 4: 28.3 ms against 29.7),
 * in bf16 too, with half the weight bytes (best of 5: ResNet-18 17.3 ms against 18.8,
 * ResNet-50 47.0 against 49.3).
 * 56×56 and 28×28 maps gain about 40% per conv against F(2×2) (one-conv models, best of 5:
 * 64 channels on 56×56 1.47 -> 0.84 ms, 128 on 28×28 1.26 -> 0.74 ms). */
#define WINOGRAD_4X4_MIN_TILES 32
/* bf16 GEMMs with vectors along M (cnn_gemm_bf16_narrow) where 32-column tiles would idle
 * lanes: on maps of at most this many positions (14×14 and 7×7: 49 or 196 columns, a quarter
 * idle), one call per image. ResNet-50 bf16, 1 thread, Zen 4: layer3 and layer4 GEMMs 84 ->
 * 105 GMAC/s. */
#define CONV_BF16_NARROW_MAX_COLS 256
/* ... and im2col convs of K at least this on any map, in calls of at most as many columns:
 * the accumulators stay across all of K. 3×3 stride 2 on 56×56, 128 channels (K 1152), 1
 * thread Zen 4: 1.49 -> 1.38 ms; but the 7×7 stem (K 147) 1.60 -> 1.93. */
#define CONV_BF16_NARROW_MIN_IM2COL_K 512
/* ... and Winograd's 16 GEMMs whatever the map: their blocks of 49 or 25 tiles are as ragged.
 * ResNet-50 28×28 and 14×14 (K 128, 256): 82 -> 93, 85 -> 102 GMAC/s. */
/* Never below this K (Winograd's: input channels) or this many output channels: the two
 * transposes of each tile's epilogue then weigh too much, or the second vector of rows idles.
 * On 14×14: K 64 85 vs 93, K 24 58 vs 81, 24 rows 65 vs 80 GMAC/s narrow vs 32-column
 * tiles; Winograd on 56×56 (K 64) 79 vs 90. */
#define CONV_BF16_NARROW_MIN_K 128
#define CONV_BF16_NARROW_MIN_ROWS 32
/* im2col for the narrow GEMM gathers about this many rows of patches at a time, which
 * cnn_gemm_bf16_narrow_pack_x converts while they are in L1, instead of all K rows in fp32
 * (3.6 MiB on ResNet-50's 7×7 3×3 convs) and then converting them. */
#define CONV_NARROW_BAND_ROWS 128
/* pointwise (cnn_pointwise) instead of gemm-1x1 for at most this many output channels per
 * group on maps of this many positions: there cnn_gemm_fused's copy of X is a large share of
 * the call. 1 thread Zen 4, one call with X just written (best of 300): M 24 K 144 on 56×56
 * 0.300 -> 0.246 ms, M 32 K 192 on 28×28 0.123 -> 0.101, M 40 K 240 on 28×28 0.157 -> 0.147;
 * M 48 or 64 on 14×14 even. In MobileNetV2 (best of 8-10 alternated runs per layer) the
 * projections of features.2 to 6 (M 24 and 32) 9-13% faster. Up to 112×112 since pointwise
 * prefetches its output lines into L2 ahead of its stores: features.1's, M 16 K 32 on
 * 112×112, whose 0.8 MB of output lines come cold from memory, 0.204 -> 0.172 ms (1 thread,
 * min of 30 alternated runs; 0.20 -> 0.25 before that prefetch). Not the 16 -> 96 expansion
 * after it (K 16): 0.569 -> 0.584 ms. */
#define CONV_POINTWISE_MAX_ROWS 48
#define CONV_POINTWISE_MIN_COLS 512
#define CONV_POINTWISE_MAX_COLS 12544
/* direct-stem: output rows per item, whose input rows are copied into phases once. 16 was
 * no faster (within 2% on the five stems measured, loaded machine), 4 was 5-15% slower. */
#define CONV_STEM_ROWS 8
/* In bf16, stems of K (C·kH·kW) at least this keep im2col and the bf16 GEMM, at twice fp32's
 * rate: ResNet-50's 7×7 stem (K 147), 1 thread Zen 4 (loaded machine, best of 3): 2.38 ms
 * bf16 GEMM against 2.56 direct; the 3×3 ones (K 27) 0.22 -> 0.20 ms direct (MobileNetV3),
 * 0.54 -> 0.45 (EfficientNet-B0). */
#define CONV_STEM_BF16_MIN_K 64

typedef enum {
  CONV_GEMM_1X1 = 0,
  CONV_IM2COL_GEMM,
  CONV_DEPTHWISE,
  CONV_DEPTHWISE_3X3,
  CONV_WINOGRAD,
  CONV_WINOGRAD_4X4,
  CONV_DIRECT_STEM,
  CONV_POINTWISE,
} conv_algo;

static const char *const conv_algo_names[] = {
  [CONV_GEMM_1X1] = "gemm-1x1",
  [CONV_IM2COL_GEMM] = "im2col-gemm",
  [CONV_DEPTHWISE] = "depthwise",
  [CONV_DEPTHWISE_3X3] = "depthwise-3x3",
  [CONV_WINOGRAD] = "winograd-2x2",
  [CONV_WINOGRAD_4X4] = "winograd-4x4",
  [CONV_DIRECT_STEM] = "direct-stem",
  [CONV_POINTWISE] = "pointwise",
};

typedef struct {
  cnn_window_attrs win;
  int64_t group;
} conv_params;

/* cnn_value.blob_form of weights conv.c replaced by their prepared form: Winograd's
 * transform (the tile side, 2 or 4), cnn_gemm_fused_narrow_pack's blocks of 16 rows, or
 * cnn_gemm_fused_pack's blocks of 12. */
#define CONV_FORM_NARROW 1
#define CONV_FORM_FUSED 3

/* What prepare decided; lives in node->packed (one block with the Winograd weights). */
typedef struct {
  cnn_conv_geom s;
  conv_algo algo;
  int64_t tile;                 /* most output columns (Winograd: tiles) per GEMM item */
  int wtile;                    /* Winograd: output tile side, 2 or 4 */
  const float *u;               /* Winograd: transformed weights [(wtile + 2)²][M][C] */
  const uint32_t *wb;           /* bf16 with constant weights: W (Winograd: U) packed once by
                                 * cnn_gemm_bf16_pack, rows of ldwb pairs */
  int64_t ldwb;
  const float *wn;              /* fp32 on 7×7 maps: W packed by cnn_gemm_fused_narrow_pack
                                 * for cnn_gemm_fused_narrow */
  const float *wf;              /* fp32 on larger maps: W packed by cnn_gemm_fused_pack for
                                 * cnn_gemm_fused_packed */
  const float *w;               /* NULL, or the ONNX layout unpacked from weights packed by an
                                 * earlier prepare, for a plan that cannot read them packed */
  bool fused;                   /* GEMM algorithms: cnn_gemm_fused instead of OpenBLAS */
  bool bf16;                    /* GEMM algorithms: cnn_gemm_bf16 (options.precision) */
  bool narrow;                  /* bf16 1×1 and im2col on small maps, Winograd from K 128:
                                 * cnn_gemm_bf16_narrow, wb in its blocks of 16 rows */
  bool direct;                  /* depthwise: cnn_depthwise_direct, no phase planes;
                                 * Winograd F(4×4): the AVX-512 row passes */
  bool channels;                /* depthwise: cnn_depthwise_channels, 16 channels at a time */
  bool pairs;                   /* ... by cnn_depthwise_pairs: narrow inputs, kernels ≤ 3×3 */
  /* With a fused scale: GEMM items scale their rows of W into their workspace at this
   * offset (scale_weights), or the run scales the input into the shared workspace at
   * scaled_x_at. */
  bool scale_weights;
  size_t scaled_w_at, scaled_x_at;
  bool shares;                  /* threads split by output channel build the block's input
                                 * matrix together in the shared workspace (conv_run) */
} conv_plan;

/* One run, as the parallel workers see it. */
typedef struct {
  const conv_plan *plan;
  const float *x, *w, *b, *sum;
  const float *scale;           /* plan->scale_weights: the factors of W's columns, [N, C] */
  float *scaled_x;              /* else: where conv_scale_input writes the scaled input */
  float *y;
  cnn_activation act;
  float alpha, beta;
  char *workspace;
  size_t workspace_stride;
  int64_t tiles, tile;          /* column tiles per (image, group) and their width */
  int64_t mblocks, mrows;       /* output-channel blocks per group and their height */
  bool fused;                   /* GEMM items use cnn_gemm_fused, not OpenBLAS */
  /* Split by output channel (mblocks > 1), the threads share one block's input matrix
   * (Winograd's V, im2col's patches), built together first: NULL, or that matrix, and the
   * (image, group, column tile) block whose output-channel items run. */
  float *shared;
  int64_t block;
} conv_job;

static void conv_split (conv_job *job, int64_t cols, int64_t min_tile, int threads);

/* ---- Shapes ------------------------------------------------------------------------------ */

cnn_status
cnn_conv_geometry (const cnn_graph *g, const cnn_node *n, cnn_conv_geom *s, cnn_error *err)
{
  const conv_params *p = n->params;
  const cnn_value *x = cnn_node_input (g, n, 0);
  const cnn_value *w = cnn_node_input (g, n, 1);
  const cnn_value *b = cnn_node_input (g, n, 2);
  int64_t kernel[2] = { 1, 1 };
  char wdims[160];
  cnn_status status;

  if (x == NULL || w == NULL || x->rank < 0 || w->rank < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "input shapes are unknown");
  if (x->dtype != CNN_DTYPE_FLOAT32 || w->dtype != CNN_DTYPE_FLOAT32
      || (b != NULL && b->dtype != CNN_DTYPE_FLOAT32))
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "inputs are %s and weights %s; only float32 is supported",
        cnn_dtype_string (x->dtype), cnn_dtype_string (w->dtype));
  cnn_format_dims (wdims, sizeof (wdims), w->rank, w->dims);
  if (w->rank != x->rank)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "weights '%s' %s have rank %d but the input has rank %d", w->name, wdims, w->rank,
        x->rank);
  for (int d = 0; d < w->rank; d++)
    if (w->dims[d] < 1)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "weights '%s' %s must have known, non-zero dims", w->name, wdims);
  for (int a = 0; a + 2 < w->rank && a < 2; a++) {
    kernel[a] = w->dims[2 + a];
    if (p->win.kernel[a] != 0 && p->win.kernel[a] != kernel[a])
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "kernel_shape[%d] = %lld does not match weights '%s' %s", a,
          (long long) p->win.kernel[a], w->name, wdims);
  }
  if ((status = cnn_window_geometry (g, n, &p->win, x, kernel, s, err)) != CNN_STATUS_OK)
    return status;

  s->m = w->dims[0];
  s->group = p->group;
  if (s->c % s->group != 0 || s->m % s->group != 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "group %lld does not divide the %lld input and %lld output channels",
        (long long) s->group, (long long) s->c, (long long) s->m);
  if (w->dims[1] != s->c / s->group)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "weights '%s' %s have %lld input channels per group, expected %lld (%lld channels, "
        "group %lld)", w->name, wdims, (long long) w->dims[1], (long long) (s->c / s->group),
        (long long) s->c, (long long) s->group);
  if (b != NULL && (b->rank != 1 || b->dims[0] != s->m))
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "bias '%s' must have shape [%lld]", b->name, (long long) s->m);
  return CNN_STATUS_OK;
}

static cnn_status
conv_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  conv_params *p = calloc (1, sizeof (*p));
  cnn_status status;

  if (p == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  if ((status = cnn_window_parse (g, n, false, &p->win, err)) != CNN_STATUS_OK)
    goto error;
  p->group = cnn_node_attr_int (n, "group", 1);
  if (p->group < 1) {
    status = cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "group must be positive, got %lld", (long long) p->group);
    goto error;
  }
  n->params = p;
  return CNN_STATUS_OK;

error:
  free (p);
  return status;
}

static cnn_status
conv_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_conv_geom s;
  cnn_status status;

  if ((status = cnn_conv_geometry (g, n, &s, err)) != CNN_STATUS_OK)
    return status;
  int64_t dims[4] = { s.n, s.m, s.oh, s.ow };
  if (x->rank == 3)
    dims[2] = s.ow;
  cnn_value_set_shape (cnn_node_output (g, n, 0), CNN_DTYPE_FLOAT32, x->rank, dims);
  return CNN_STATUS_OK;
}

/* ---- Planning ---------------------------------------------------------------------------- */

/* The factors the fusion pass attached must be one per image and input channel. */
static cnn_status
conv_check_scale (cnn_graph *g, cnn_node *n, const cnn_conv_geom *s, cnn_error *err)
{
  if (n->fused_scale < 0)
    return CNN_STATUS_OK;
  const cnn_value *scale = &g->values[n->fused_scale];
  if (scale->dtype != CNN_DTYPE_FLOAT32 || scale->rank != 4 || scale->dims[0] != s->n
      || scale->dims[1] != s->c || scale->dims[2] != 1 || scale->dims[3] != 1)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "fused scale '%s' is not one factor per image and input channel", scale->name);
  return CNN_STATUS_OK;
}

/* The residual the fusion pass attached must be exactly the output's shape: we add it
 * element by element. */
static cnn_status
conv_check_sum (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *y = cnn_node_output (g, n, 0);
  const cnn_value *sum;

  if (n->fused_sum < 0)
    return CNN_STATUS_OK;
  sum = &g->values[n->fused_sum];
  bool same = sum->dtype == CNN_DTYPE_FLOAT32 && sum->rank == y->rank;
  for (int d = 0; same && d < y->rank; d++)
    same = sum->dims[d] == y->dims[d];
  if (!same) {
    char a[160], b[160];
    cnn_format_dims (a, sizeof (a), sum->rank, sum->dims);
    cnn_format_dims (b, sizeof (b), y->rank, y->dims);
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "fused residual '%s' %s does not have the output's shape %s", sum->name, a, b);
  }
  return CNN_STATUS_OK;
}

static bool conv_portable;

void
cnn_conv_set_portable (bool portable)
{
  conv_portable = portable;
}

bool
cnn_conv_portable (void)
{
  return conv_portable;
}

/* Whether the GEMM algorithms use cnn_gemm_fused: it needs AVX-512, and rows of at least
 * CONV_FUSED_MIN_COLS output positions to fill its vectors (below, OpenBLAS's GEMV-like
 * path is better). */
static bool
conv_use_fused (const cnn_conv_geom *s)
{
  return !conv_portable && cnn_gemm_fused_available () && s->oh * s->ow >= CONV_FUSED_MIN_COLS;
}

/* Where cnn_gemm_fused's scratch starts in an im2col GEMM item's workspace, in bytes:
 * after the k × tile matrix of patches, 64-byte aligned. */
static size_t
conv_gemm_scratch_at (int64_t k, int64_t tile)
{
  return ((size_t) (k * tile) * sizeof (float) + 63) & ~(size_t) 63;
}

/* Bytes of cnn_gemm_bf16_narrow's X panel for `cols` columns, a multiple of 64 (it follows
 * im2col's columns in the workspace). */
static size_t
conv_narrow_scratch (int64_t k, int64_t cols)
{
  return ((size_t) cnn_gemm_bf16_narrow_scratch (cols, k) * sizeof (uint32_t) + 63)
      & ~(size_t) 63;
}

static int64_t conv_narrow_band (const cnn_conv_geom *s);

/* Bytes of one band of im2col rows for `cols` columns, a multiple of 64 (the narrow GEMM's
 * X panel follows). */
static size_t
conv_narrow_col_bytes (const cnn_conv_geom *s, int64_t cols)
{
  return ((size_t) (conv_narrow_band (s) * s->kh * s->kw * cols) * sizeof (float) + 63)
      & ~(size_t) 63;
}

/* Channels per band of im2col rows for the narrow GEMM: an even number of rows, as bands
 * start on a K pair. */
static int64_t
conv_narrow_band (const cnn_conv_geom *s)
{
  int64_t taps = s->kh * s->kw;
  int64_t band = cnn_max64 (taps % 2 != 0 ? 2 : 1, CONV_NARROW_BAND_ROWS / taps);

  return taps % 2 != 0 && band % 2 != 0 ? band - 1 : band;
}

/* Whether n's constant weights can be replaced by a prepared form (Winograd's transform,
 * cnn_gemm_fused_narrow's packing), or already were: they have no other reader. */
static bool
conv_weights_may_replace (const cnn_graph *g, const cnn_node *n)
{
  const cnn_value *w = &g->values[n->inputs[1]];

  return w->blob_form != 0 || (w->consumers == 1 && !w->is_output && !w->is_input);
}

/* Weights w in ONNX layout into `form`: a Winograd transform, or narrow- or fused-packed. */
static void
conv_weights_prepare (const cnn_conv_geom *s, const float *w, int form, float *out)
{
  int64_t k = s->c * s->kh * s->kw;

  if (form == CONV_FORM_NARROW)
    cnn_gemm_fused_narrow_pack (s->m, k, w, k, out);
  else if (form == CONV_FORM_FUSED)
    cnn_gemm_fused_pack (s->m, k, w, k, out);
  else
    cnn_winograd_weights (w, s->m, s->c, form, out);
}

/* Weights packed in `form` (narrow or fused) back into ONNX layout, bit for bit. */
static void
conv_weights_unpack (const cnn_conv_geom *s, const float *w, int form, float *out)
{
  int64_t k = s->c * s->kh * s->kw;

  if (form == CONV_FORM_NARROW)
    cnn_gemm_fused_narrow_unpack (s->m, k, w, out, k);
  else
    cnn_gemm_fused_unpack (s->m, k, w, out, k);
}

/* Floats of a form of the weights. */
static int64_t
conv_form_floats (const cnn_conv_geom *s, int form)
{
  return form == CONV_FORM_NARROW ? cnn_ceil_div (s->m, 16) * 16 * s->c * s->kh * s->kw
      : form == CONV_FORM_FUSED ? s->m * s->c * s->kh * s->kw
      : (form + 2) * (form + 2) * s->m * s->c;
}

/* Replaces n's constant weights by their prepared form (F(wtile×wtile, 3×3): a matrix of M
 * rows by C per point; CONV_FORM_NARROW: cnn_gemm_fused_narrow_pack's blocks), unless they
 * already are: one copy of the weights in memory rather than the ONNX layout beside a
 * transform 16/9 (F(2×2)) or 4 (F(4×4)) times its size, or beside a packed copy.
 * ResNet-50 fp32, 1 thread: peak RSS 144 -> 131 MB. A later prepare (other threads, another
 * input size) finds them prepared and stays on the same algorithm, exact on any map. */
static cnn_status
conv_weights_replace (cnn_graph *g, cnn_node *n, const cnn_conv_geom *s, int form,
    cnn_error *err)
{
  cnn_value *weights = &g->values[n->inputs[1]];

  if (weights->blob_form == form)
    return CNN_STATUS_OK;
  cnn_blob *u = cnn_blob_new (sizeof (float) * (size_t) conv_form_floats (s, form));
  if (u == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY,
        "out of memory preparing weights '%s'", weights->name);
  conv_weights_prepare (s, (const float *) weights->blob->data, form, (float *) u->data);
  cnn_blob_unref (weights->blob);
  weights->blob = u;
  weights->ptr = u->data;
  weights->blob_form = form;
  return CNN_STATUS_OK;
}

static conv_algo
conv_choose (const cnn_conv_geom *s, bool weights_constant)
{
  if (s->c == s->group)
    return s->kh == 3 && s->kw == 3 ? CONV_DEPTHWISE_3X3 : CONV_DEPTHWISE;
  if (s->kh == 1 && s->kw == 1 && s->sh == 1 && s->sw == 1 && s->pt == 0 && s->pl == 0
      && s->pb == 0 && s->pr == 0)
    return CONV_GEMM_1X1;
  if (!conv_portable && cnn_conv_stem_available (s))
    return CONV_DIRECT_STEM;
  /* Winograd transforms the weights once, here, so they must be constants. */
  if (weights_constant && s->group == 1 && s->kh == 3 && s->kw == 3 && s->sh == 1
      && s->sw == 1 && s->dh == 1 && s->dw == 1 && s->c >= WINOGRAD_MIN_CHANNELS
      && s->m >= WINOGRAD_MIN_CHANNELS
      && cnn_ceil_div (s->oh, 2) * cnn_ceil_div (s->ow, 2) >= WINOGRAD_MIN_TILES)
    return cnn_ceil_div (s->oh, 4) * cnn_ceil_div (s->ow, 4) >= WINOGRAD_4X4_MIN_TILES
        ? CONV_WINOGRAD_4X4 : CONV_WINOGRAD;
  return CONV_IM2COL_GEMM;
}

/* Whether a depthwise conv runs 16 channels at a time (cnn_depthwise_channels) rather than a
 * plane at a time along its rows (cnn_depthwise_direct): where rows fill few lanes, or 5×5
 * kernels amortise the transposes. Zen 4, 1 thread, channels / rows time: 3×3 7×7 0.78,
 * 3×3 stride 2 14×14 0.75, 5×5 7×7 0.55, 5×5 stride 2 14×14 0.60, 5×5 14×14 0.91; but 5×5
 * stride 2 28×28 1.16, 5×5 28×28 1.15, 3×3 stride 2 28×28 1.47, 3×3 14×14 1.3. */
static bool
conv_depthwise_by_channels (const cnn_conv_geom *s)
{
  return cnn_depthwise_channels_available (s)
      && (s->ow <= 7 || (s->kh * s->kw >= 25 && s->sw == 1 && s->ow <= 14));
}

static cnn_status
conv_prepare (cnn_graph *g, cnn_node *n, int threads, cnn_error *err)
{
  const cnn_value *weights = cnn_node_input (g, n, 1);
  cnn_conv_geom s;
  cnn_status status;

  if ((status = cnn_conv_geometry (g, n, &s, err)) != CNN_STATUS_OK
      || (status = conv_check_sum (g, n, err)) != CNN_STATUS_OK
      || (status = conv_check_scale (g, n, &s, err)) != CNN_STATUS_OK)
    return status;

  /* bf16 GEMMs (options.precision, on AVX512_BF16 CPUs) for every GEMM algorithm. */
  bool bf16 = g->options.precision == CNN_PRECISION_BF16 && !conv_portable
      && cnn_gemm_bf16_available ();
  /* Weights already replaced by their Winograd transform stay on that algorithm; packed for
   * the narrow or the 12-row GEMM, on a GEMM algorithm. */
  conv_algo algo = weights->blob_form == 4 ? CONV_WINOGRAD_4X4
      : weights->blob_form == 2 ? CONV_WINOGRAD : conv_choose (&s, weights->blob != NULL);
  if ((weights->blob_form == CONV_FORM_NARROW || weights->blob_form == CONV_FORM_FUSED)
      && algo != CONV_GEMM_1X1)
    algo = CONV_IM2COL_GEMM;
  if (algo == CONV_DIRECT_STEM && bf16 && s.c * s.kh * s.kw >= CONV_STEM_BF16_MIN_K)
    algo = CONV_IM2COL_GEMM;
  if (algo == CONV_GEMM_1X1 && weights->blob_form == 0 && !bf16 && !conv_portable
      && cnn_pointwise_available ()
      && s.m / s.group <= CONV_POINTWISE_MAX_ROWS && s.oh * s.ow >= CONV_POINTWISE_MIN_COLS
      && s.oh * s.ow <= CONV_POINTWISE_MAX_COLS)
    algo = CONV_POINTWISE;
  int64_t k = s.c / s.group * s.kh * s.kw;
  int64_t mg = s.m / s.group;
  int64_t cols = s.oh * s.ow;
  /* BLAS takes int sizes and strides. */
  if (k > INT_MAX || s.m > INT_MAX || cols > INT_MAX || s.h * s.w > INT_MAX)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "a %lld-channel conv over %lld positions is too large", (long long) s.c,
        (long long) cols);
  bool winograd = algo == CONV_WINOGRAD || algo == CONV_WINOGRAD_4X4;
  int wtile = algo == CONV_WINOGRAD_4X4 ? 4 : 2, points = (wtile + 2) * (wtile + 2);
  /* F(4×4) in bf16 too: its transforms amplify bf16's rounding of U and V (a single random
   * 16 -> 19 channel conv: 6% of the largest output against 0.6% for F(2×2), test-bf16.c),
   * but on networks the logits move little (benchmarks/perf/bf16-accuracy.py, 200 images:
   * top-1 unchanged on all; ResNet-18's median error 3.0e-3 -> 3.8e-3, ResNet-50's 3.2e-3 ->
   * 3.4e-3; the digits model's held-out accuracy 99.25% in both) and ResNet-18 bf16 runs in
   * 20.7 ms instead of 22.6 (1 thread, Zen 4). */
  bf16 = bf16 && (algo == CONV_GEMM_1X1 || algo == CONV_IM2COL_GEMM || winograd);
  /* bf16 with constant weights: W (Winograd: its transform) as bfloat16 pairs, packed now so
   * that runs convert only the activations. */
  bool packed = bf16 && weights->blob != NULL;
  bool narrow = packed && (winograd ? s.c : k) >= CONV_BF16_NARROW_MIN_K
      && mg >= CONV_BF16_NARROW_MIN_ROWS && (winograd ? s.m % 16 == 0
          : s.group == 1 && (cols <= CONV_BF16_NARROW_MAX_COLS
              || (algo == CONV_IM2COL_GEMM && k >= CONV_BF16_NARROW_MIN_IM2COL_K)));
  int64_t ldwb = cnn_gemm_bf16_stride (winograd ? s.c : k);
  /* The plan, then its weights (Winograd's transform in fp32, or the bf16 pairs), 64-byte
   * aligned for the GEMM. */
  size_t head = (sizeof (conv_plan) + 63) & ~(size_t) 63;
  int64_t packed_rows = (winograd ? points : 1) * (narrow ? cnn_ceil_div (s.m, 16) * 16 : s.m);
  /* fp32 Winograd keeps its transform in the weights' own blob where it may
   * (conv_weights_replace), else in the plan. */
  bool replace = winograd && !packed && conv_weights_may_replace (g, n);
  /* fp32 on 7×7 maps with constant weights: cnn_gemm_fused_narrow, W in its blocks of 16
   * rows, in the weights' own blob where it may. Weights packed so by an earlier prepare
   * for a plan that cannot read them (the portable path, another map size) are unpacked
   * into the plan. */
  bool fp32_narrow = (algo == CONV_GEMM_1X1 || algo == CONV_IM2COL_GEMM) && !bf16
      && weights->blob != NULL && s.group == 1 && conv_use_fused (&s)
      && cnn_gemm_fused_narrow_available () && cols <= CONV_FUSED_NARROW_MAX_COLS
      && k >= CONV_FUSED_NARROW_MIN_K && s.m >= CONV_FUSED_NARROW_MIN_ROWS;
  bool narrow_replace = fp32_narrow && conv_weights_may_replace (g, n);
  /* fp32 elsewhere with constant weights: cnn_gemm_fused_packed, W in its blocks of 12 rows
   * in the weights' own blob (never in the plan: a second copy of W). Not under a fused SE
   * gate, whose GEMM scales the rows of W in ONNX layout per item (scale_weights below). */
  bool fp32_packed = (algo == CONV_GEMM_1X1 || algo == CONV_IM2COL_GEMM) && !bf16
      && weights->blob != NULL && s.group == 1 && conv_use_fused (&s) && !fp32_narrow
      && cols >= CONV_FUSED_PACKED_MIN_COLS && (threads == 1 || k >= s.m)
      && n->fused_scale < 0 && conv_weights_may_replace (g, n);
  bool unpack = (weights->blob_form == CONV_FORM_NARROW && !fp32_narrow)
      || (weights->blob_form == CONV_FORM_FUSED && !fp32_packed);
  size_t extra = packed ? sizeof (uint32_t) * (size_t) (packed_rows * ldwb)
      : winograd && !replace ? sizeof (float) * (size_t) (points * s.m * s.c)
      : fp32_narrow && !narrow_replace
      ? sizeof (float) * (size_t) conv_form_floats (&s, CONV_FORM_NARROW) : 0;
  if (unpack)
    extra = sizeof (float) * (size_t) (s.m * k);
  conv_plan *plan = aligned_alloc (64, (head + extra + 63) & ~(size_t) 63);

  if (plan == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  memset (plan, 0, sizeof (*plan));
  plan->s = s;
  plan->algo = algo;
  plan->bf16 = bf16;
  plan->narrow = narrow;
  if (unpack) {
    /* Nothing else in the plan: bf16 is off when the weights are packed (a graph's
     * precision never changes) and Winograd does not take them. */
    conv_weights_unpack (&s, (const float *) weights->blob->data, weights->blob_form,
        (float *) ((char *) plan + head));
    plan->w = (const float *) ((char *) plan + head);
  } else if (fp32_packed) {
    if ((status = conv_weights_replace (g, n, &s, CONV_FORM_FUSED, err)) != CNN_STATUS_OK) {
      free (plan);
      return status;
    }
    plan->wf = (const float *) weights->blob->data;
  } else if (narrow_replace) {
    if ((status = conv_weights_replace (g, n, &s, CONV_FORM_NARROW, err)) != CNN_STATUS_OK) {
      free (plan);
      return status;
    }
    plan->wn = (const float *) weights->blob->data;
  } else if (fp32_narrow && weights->blob_form == CONV_FORM_NARROW) {
    plan->wn = (const float *) weights->blob->data;
  } else if (fp32_narrow) {
    conv_weights_prepare (&s, (const float *) weights->blob->data, CONV_FORM_NARROW,
        (float *) ((char *) plan + head));
    plan->wn = (const float *) ((char *) plan + head);
  }
  if (packed) {
    plan->wb = (const uint32_t *) ((char *) plan + head);
    plan->ldwb = ldwb;
    if (narrow && !winograd)
      cnn_gemm_bf16_narrow_pack (s.m, k, (const float *) weights->blob->data, k,
          (uint32_t *) ((char *) plan + head));
    else if (!winograd)
      cnn_gemm_bf16_pack (s.m, k, (const float *) weights->blob->data, k,
          (uint32_t *) ((char *) plan + head));
  }
  switch (algo) {
    case CONV_POINTWISE:
    case CONV_GEMM_1X1:
      plan->fused = conv_use_fused (&s);
      /* The tile only bounds how much output the epilogue finds in cache; the scratch is
       * the GEMM's own (cnn_gemm_fused's X slices, the narrow GEMMs' X copies). */
      plan->tile = cnn_max64 (CONV_MIN_TILE, (plan->fused && !bf16 ? CONV_1X1_FUSED_TILE_FLOATS
              : CONV_1X1_TILE_FLOATS) / cnn_max64 (k, mg) / 16 * 16);
      n->workspace = plan->fused && !bf16 && algo == CONV_GEMM_1X1 ? cnn_gemm_fused_scratch ()
          : 0;
      if (narrow) {
        plan->tile = cols;
        n->workspace = conv_narrow_scratch (k, cols);
      }
      if (plan->wn != NULL)
        n->workspace = cnn_gemm_fused_narrow_scratch (cnn_min64 (cols, plan->tile), k);
      break;
    case CONV_IM2COL_GEMM:
      plan->fused = conv_use_fused (&s);
      plan->tile = cnn_min64 (cols, cnn_max64 (CONV_MIN_TILE, (plan->fused && !bf16
                  ? CONV_FUSED_TILE_FLOATS : CONV_TILE_FLOATS) / k / 16 * 16));
      if (narrow)
        plan->tile = cnn_min64 (cols, CONV_BF16_NARROW_MAX_COLS);
      else if (bf16 && plan->tile > 32)
        /* Whole 32-column bf16 tiles (conv_bf16_round_tile): 3×3 stride 2 on 56×56, 128
         * channels, 1 thread Zen 4: 1.55 -> 1.49 ms. */
        plan->tile = plan->tile / 32 * 32;
      n->workspace = (size_t) (k * plan->tile) * sizeof (float);
      if (plan->fused && !bf16)
        n->workspace = conv_gemm_scratch_at (k, plan->tile) + (plan->wn != NULL
            ? cnn_gemm_fused_narrow_scratch (plan->tile, k) : cnn_gemm_fused_scratch ());
      if (narrow)
        n->workspace = conv_narrow_col_bytes (&s, plan->tile)
            + conv_narrow_scratch (k, plan->tile);
      break;
    case CONV_WINOGRAD:
    case CONV_WINOGRAD_4X4: {
      float *u = (float *) ((char *) plan + head);
      int64_t tiles = cnn_ceil_div (s.oh, wtile) * cnn_ceil_div (s.ow, wtile);
      /* On every map size: OpenBLAS's SkylakeX kernels ran the wide GEMMs of maps above
       * 14×14 about as fast, but without OPENBLAS_CORETYPE (the library sets none) Debian's
       * OpenBLAS may pick Haswell's on AVX-512 CPUs it does not know. ResNet-50, 1 thread,
       * Zen 4: 86.4 ms this way with OpenBLAS forced to Haswell, 88.5 ms before (SkylakeX). */
      plan->fused = conv_use_fused (&s);
      if (packed) {
        /* U in fp32 only until it is packed (one matrix of M rows by C per point), unless
         * the weights already hold it (replaced by an earlier fp32 prepare). */
        const float *from = (const float *) weights->blob->data;
        float *tmp = NULL;
        if (weights->blob_form == 0) {
          tmp = malloc (sizeof (float) * (size_t) (points * s.m * s.c));
          if (tmp == NULL) {
            free (plan);
            return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
          }
          cnn_winograd_weights (from, s.m, s.c, wtile, tmp);
          from = tmp;
        }
        uint32_t *ub = (uint32_t *) ((char *) plan + head);
        if (narrow)
          cnn_gemm_bf16_narrow_pack (points * s.m, s.c, from, s.c, ub);
        else
          cnn_gemm_bf16_pack (points * s.m, s.c, from, s.c, ub);
        free (tmp);
      } else if (replace) {
        if ((status = conv_weights_replace (g, n, &s, wtile, err)) != CNN_STATUS_OK) {
          free (plan);
          return status;
        }
        plan->u = (const float *) cnn_node_input (g, n, 1)->blob->data;
      } else {
        cnn_winograd_weights ((const float *) weights->blob->data, s.m, s.c, wtile, u);
        plan->u = u;
      }
      plan->wtile = wtile;
      plan->direct = !conv_portable && cnn_winograd_f43_avx512_available ();
      plan->tile = cnn_min64 (tiles, cnn_max64 (WINOGRAD_MIN_BLOCK_TILES,
              WINOGRAD_FLOATS / (points * (s.c + s.m)) / 16 * 16));
      n->workspace = cnn_winograd_scratch (&s, wtile, plan->tile) * sizeof (float);
      if (narrow)
        n->workspace = ((n->workspace + 63) & ~(size_t) 63) + conv_narrow_scratch (s.c,
            plan->tile);
      break;
    }
    case CONV_DEPTHWISE_3X3:
    case CONV_DEPTHWISE:
      plan->tile = cols;
      plan->channels = !conv_portable && conv_depthwise_by_channels (&s);
      /* 3×3 stride 2 14×14 -> 7×7, 576 channels, 1 thread Zen 4: 0.037 -> 0.030 ms; stride 1
       * on 7×7, 960 channels (in MobileNetV2): 0.037 -> 0.033. But not stride 1 under SiLU
       * or sigmoid (EfficientNet-B0's features.7.0, 1152 channels, SiLU: 0.052 -> 0.056). */
      plan->pairs = plan->channels && cnn_depthwise_pairs_available (&s)
          && (s.sw == 2 || (n->act != CNN_ACTIVATION_SILU && n->act != CNN_ACTIVATION_SIGMOID));
      plan->direct = !conv_portable && !plan->channels && cnn_depthwise_direct_available (&s);
      n->workspace = plan->channels ? cnn_depthwise_channels_scratch (&s) * sizeof (float)
          : plan->direct ? 0 : cnn_phase_scratch (&s) * sizeof (float);
      break;
    case CONV_DIRECT_STEM:
      plan->tile = cnn_min64 (s.oh, CONV_STEM_ROWS);
      n->workspace = cnn_conv_stem_scratch (&s, plan->tile) * sizeof (float);
      break;
  }
  /* What threads splitting a block by output channel build together (conv_run). */
  conv_job split = { .plan = plan };
  bool shares = s.c / s.group * s.h * s.w >= CONV_SHARED_MIN_INPUT;
  if (shares && winograd) {
    conv_split (&split, cnn_ceil_div (s.oh, wtile) * cnn_ceil_div (s.ow, wtile),
        WINOGRAD_MIN_BLOCK, threads);
    if (split.mblocks > 1)
      n->shared_workspace = cnn_winograd_input_floats (&s, wtile, plan->tile) * sizeof (float);
  } else if (shares && algo == CONV_IM2COL_GEMM && !narrow) {
    conv_split (&split, cols, CONV_MIN_TILE, threads);
    if (split.mblocks > 1)
      n->shared_workspace = (size_t) (k * plan->tile) * sizeof (float);
  }
  plan->shares = n->shared_workspace > 0;
  if (n->fused_scale >= 0) {
    plan->scale_weights = (algo == CONV_GEMM_1X1 || algo == CONV_POINTWISE) && !bf16
        && s.group == 1 && plan->w == NULL && plan->wn == NULL && plan->wf == NULL
        && plan->wb == NULL;
    if (plan->scale_weights) {
      plan->scaled_w_at = (n->workspace + 63) & ~(size_t) 63;
      n->workspace = plan->scaled_w_at + (size_t) (mg * k) * sizeof (float);
    } else {
      plan->scaled_x_at = (n->shared_workspace + 63) & ~(size_t) 63;
      n->shared_workspace = plan->scaled_x_at
          + (size_t) (s.n * s.c * s.h * s.w) * sizeof (float);
    }
  }
  n->packed = plan;
  return CNN_STATUS_OK;
}

const char *
cnn_conv_algorithm (const cnn_node *n)
{
  const conv_plan *plan = n->packed;
  return plan != NULL ? conv_algo_names[plan->algo] : "";
}

/* ---- Runs -------------------------------------------------------------------------------- */

/* Runs GEMM items: each computes rows [m0, m0 + nrows) of one group and columns
 * [col0, col0 + ncols) of one image, then its epilogue. */
static void
conv_gemm_items (void *arg, size_t begin, size_t end, int thread)
{
  const conv_job *job = arg;
  const cnn_conv_geom *s = &job->plan->s;
  int64_t cg = s->c / s->group, mg = s->m / s->group, k = cg * s->kh * s->kw;
  int64_t cols = s->oh * s->ow, in_plane = s->h * s->w;
  /* Only im2col, cnn_gemm_fused and the narrow GEMM have a workspace (the OpenBLAS 1×1
   * GEMM's may be NULL). */
  char *workspace = job->workspace != NULL
      ? job->workspace + (size_t) thread * job->workspace_stride : NULL;
  float *col = job->plan->algo == CONV_IM2COL_GEMM ? (float *) workspace : NULL;
  /* After im2col's band of rows. */
  uint32_t *panel = job->plan->narrow ? (uint32_t *) (workspace + (col != NULL
          ? conv_narrow_col_bytes (s, job->plan->tile) : 0)) : NULL;
  cnn_gemm_fn *gemm = job->plan->bf16 ? cnn_gemm_bf16
      : job->plan->algo == CONV_POINTWISE ? cnn_pointwise : cnn_gemm_blas;
  bool fused = job->fused && !job->plan->bf16 && job->plan->algo != CONV_POINTWISE;
  float *fused_scratch = fused ? (float *) (workspace + (col != NULL
          ? conv_gemm_scratch_at (k, job->plan->tile) : 0)) : NULL;
  /* Shared: items are the output-channel blocks of job->block. */
  size_t first = job->shared != NULL ? (size_t) (job->block * job->mblocks) : 0;
  int64_t scaled_img = -1, scaled_m0 = -1, scaled_rows = -1;

  for (size_t item = first + begin; item < first + end; item++) {
    int64_t rest = (int64_t) item;
    int64_t mb = rest % job->mblocks;
    rest /= job->mblocks;
    int64_t t = rest % job->tiles;
    rest /= job->tiles;
    int64_t grp = rest % s->group, img = rest / s->group;
    int64_t col0 = t * job->tile, ncols = cnn_min64 (job->tile, cols - col0);
    int64_t m0 = grp * mg + mb * job->mrows;
    int64_t nrows = cnn_min64 (job->mrows, mg - mb * job->mrows);
    if (ncols <= 0 || nrows <= 0)
      continue;

    const float *w = job->w + m0 * k;
    if (job->scale != NULL) {
      /* This item's rows of W, columns scaled by its image's factors (group 1), unless the
       * thread's previous item left them there. */
      float *scaled = (float *) (workspace + job->plan->scaled_w_at);
      if (img != scaled_img || m0 != scaled_m0 || nrows != scaled_rows) {
        cnn_scale_weight_columns (nrows, k, w, k, job->scale + img * s->c, scaled);
        scaled_img = img;
        scaled_m0 = m0;
        scaled_rows = nrows;
      }
      w = scaled;
    }
    const float *xg = job->x + (img * s->c + grp * cg) * in_plane;
    const float *bmat = xg + col0;
    int64_t ldb = in_plane;
    int64_t offset = (img * s->m + m0) * cols + col0;
    if (job->plan->narrow) {
      /* Patches a band of channels at a time, converted to the panel while in L1. */
      int64_t taps = s->kh * s->kw, band = conv_narrow_band (s);
      for (int64_t c0 = 0; c0 < cg && col != NULL; c0 += band) {
        int64_t cb = cnn_min64 (band, cg - c0);
        cnn_im2col (s, xg + c0 * in_plane, cb, col0, ncols, col);
        cnn_gemm_bf16_narrow_pack_x (ncols, k, c0 * taps, cb * taps, col, ncols, panel);
      }
      if (col == NULL)
        cnn_gemm_bf16_narrow_pack_x (ncols, k, 0, k, bmat, ldb, panel);
      cnn_gemm_bf16_narrow_panel (nrows, ncols, k, job->plan->wb + m0 * job->plan->ldwb,
          job->plan->ldwb, panel, job->y + offset, cols,
          job->b != NULL ? job->b + m0 : NULL, job->sum != NULL ? job->sum + offset : NULL,
          job->act, job->alpha, job->beta);
      continue;
    }
    if (job->plan->algo == CONV_IM2COL_GEMM) {
      if (job->shared == NULL)
        cnn_im2col (s, xg, cg, col0, ncols, col);
      bmat = job->shared != NULL ? job->shared : col;
      ldb = ncols;
    }
    if (job->plan->wb != NULL)
      cnn_gemm_bf16_packed (nrows, ncols, k, job->plan->wb + m0 * job->plan->ldwb,
          job->plan->ldwb, bmat, ldb, job->y + offset, cols,
          job->b != NULL ? job->b + m0 : NULL, job->sum != NULL ? job->sum + offset : NULL,
          job->act, job->alpha, job->beta);
    else if (job->plan->wn != NULL)
      /* Row blocks start on a multiple of 16 (conv_split); group 1. */
      cnn_gemm_fused_narrow (nrows, ncols, k, job->plan->wn + m0 * k, bmat, ldb,
          job->y + offset, cols, job->b != NULL ? job->b + m0 : NULL,
          job->sum != NULL ? job->sum + offset : NULL, job->act, job->alpha, job->beta,
          fused_scratch);
    else if (job->plan->wf != NULL)
      /* Group 1. */
      cnn_gemm_fused_packed (s->m, m0, nrows, ncols, k, job->plan->wf, bmat, ldb,
          job->y + offset, cols, job->b != NULL ? job->b + m0 : NULL,
          job->sum != NULL ? job->sum + offset : NULL, job->act, job->alpha, job->beta,
          fused_scratch);
    else if (fused)
      cnn_gemm_fused (nrows, ncols, k, w, k, bmat, ldb, job->y + offset, cols,
          job->b != NULL ? job->b + m0 : NULL, job->sum != NULL ? job->sum + offset : NULL,
          job->act, job->alpha, job->beta, fused_scratch);
    else
      gemm (nrows, ncols, k, w, k, bmat, ldb, job->y + offset, cols,
          job->b != NULL ? job->b + m0 : NULL, job->sum != NULL ? job->sum + offset : NULL,
          job->act, job->alpha, job->beta);
  }
}

/* Splits the GEMM work over `cols` output columns (Winograd: 2×2 tiles) for `threads`: whole
 * column tiles when the maps are large, and also output-channel blocks when there are too few
 * tiles to keep every thread busy (late layers with 7×7 maps). Items of equal size in a
 * multiple of `threads` balance best. */
static void
conv_split (conv_job *job, int64_t cols, int64_t min_tile, int threads)
{
  const cnn_conv_geom *s = &job->plan->s;
  int64_t mg = s->m / s->group, outer = s->n * s->group;

  job->tiles = cnn_ceil_div (cols, job->plan->tile);
  job->mblocks = 1;
  if (threads > 1 && outer * job->tiles < 4 * threads) {
    int64_t even = cnn_ceil_div (cnn_ceil_div (outer * job->tiles, threads) * threads, outer);
    if (cols / even >= min_tile || mg < 32)
      job->tiles = even;
    else
      job->mblocks = cnn_min64 (threads, mg / 16);
  }
  job->tile = cnn_ceil_div (cols, job->tiles);
  job->mrows = cnn_ceil_div (cnn_ceil_div (mg, job->mblocks), 16) * 16;
  job->mblocks = cnn_ceil_div (mg, job->mrows);
}

/* bf16 GEMMs with vectors along N (cnn_gemm_bf16, cnn_gemm_bf16_packed) fill 32 columns per
 * tile: column tiles in multiples of 32 (at most the plan's, which sized the workspace), so
 * only the last one is ragged. ResNet-50's 28×28 1×1 convs, 1 thread Zen 4: 0.58 -> 0.52 ms.
 * Not Winograd's blocks of 2×2 tiles: 56×56 with 64 channels gained 3% (1.06 -> 1.03 ms) but
 * SqueezeNet's 3×3 expands, 16 and 32 channels in on 55×55 and 27×27, lost 30% (0.33 ->
 * 0.43 ms), and on 28×28 (before the narrow GEMM took those) 4 × 49 tiles -> 64, 64, 64, 4
 * went 0.90 -> 1.02 ms. */
static void
conv_bf16_round_tile (conv_job *job, int64_t cols)
{
  int64_t tile = cnn_min64 (job->plan->tile, cnn_ceil_div (job->tile, 32) * 32);

  if (tile > job->tile) {
    job->tile = tile;
    job->tiles = cnn_ceil_div (cols, tile);
  }
}

/* What cnn_winograd_block needs of a job, and thread's scratch. */
static float *
conv_winograd_args (const conv_job *job, int thread, cnn_winograd_args *args)
{
  cnn_winograd_args a = {
    .s = &job->plan->s,
    .tile = job->plan->wtile,
    .u = job->plan->u,
    .ub = job->plan->wb,
    .ldub = job->plan->ldwb,
    .x = job->x,
    .b = job->b,
    .sum = job->sum,
    .y = job->y,
    .act = job->act,
    .alpha = job->alpha,
    .beta = job->beta,
    .fused = job->plan->fused,
    .bf16 = job->plan->bf16,
    .simd = job->plan->direct,
    .scratch_tiles = job->plan->tile,
    .block_tiles = job->tile,
    .block_rows = job->mrows,
  };
  float *scratch = (float *) (job->workspace + (size_t) thread * job->workspace_stride);

  /* The narrow GEMM's X panel after the transforms' scratch, 64-byte aligned. */
  if (job->plan->narrow)
    a.panel = (uint32_t *) ((char *) scratch + ((cnn_winograd_scratch (a.s, a.tile, a.scratch_tiles)
                * sizeof (float) + 63) & ~(size_t) 63));
  *args = a;
  return scratch;
}

/* Runs Winograd items: blocks of job->tile tiles of one image by job->mrows output
 * channels; shared: the output-channel blocks of job->block, from its V in job->shared. */
static void
conv_winograd_items (void *arg, size_t begin, size_t end, int thread)
{
  const conv_job *job = arg;
  cnn_winograd_args a;
  float *scratch = conv_winograd_args (job, thread, &a);
  size_t first = job->shared != NULL ? (size_t) (job->block * job->mblocks) : 0;

  for (size_t item = first + begin; item < first + end; item++) {
    int64_t rest = (int64_t) item;
    int64_t mb = rest % job->mblocks;
    rest /= job->mblocks;
    int64_t t = rest % job->tiles, img = rest / job->tiles;
    if (job->shared != NULL)
      cnn_winograd_block_output (&a, img, t * job->tile, mb * job->mrows, job->shared, scratch);
    else
      cnn_winograd_block (&a, img, t * job->tile, mb * job->mrows, scratch);
  }
}

/* Shared: transforms input channels [begin, end) of job->block into its V. */
static void
conv_winograd_inputs (void *arg, size_t begin, size_t end, int thread)
{
  const conv_job *job = arg;
  cnn_winograd_args a;
  float *scratch = conv_winograd_args (job, thread, &a);

  cnn_winograd_block_input (&a, job->block / job->tiles, job->block % job->tiles * job->tile,
      (int64_t) begin, (int64_t) end, job->shared, scratch);
}

/* Shared: the patches of input channels [begin, end) of job->block, rows of its im2col
 * matrix. */
static void
conv_im2col_rows (void *arg, size_t begin, size_t end, int thread)
{
  const conv_job *job = arg;
  const cnn_conv_geom *s = &job->plan->s;
  int64_t cg = s->c / s->group, cols = s->oh * s->ow;
  int64_t t = job->block % job->tiles, grp = job->block / job->tiles % s->group;
  int64_t img = job->block / job->tiles / s->group;
  int64_t col0 = t * job->tile, ncols = cnn_min64 (job->tile, cols - col0);

  (void) thread;
  if (ncols > 0)
    cnn_im2col (s, job->x + (img * s->c + grp * cg + (int64_t) begin) * s->h * s->w,
        (int64_t) (end - begin), col0, ncols,
        job->shared + (int64_t) begin * s->kh * s->kw * ncols);
}

/* Runs depthwise output planes [begin, end) of the flattened (image, channel) range. */
static void
conv_depthwise_planes (void *arg, size_t begin, size_t end, int thread)
{
  const conv_job *job = arg;
  const cnn_conv_geom *s = &job->plan->s;
  cnn_phase_layout l = cnn_phase_layout_of (s);
  int64_t mult = s->m / s->c, in_plane = s->h * s->w, out_plane = s->oh * s->ow;
  int64_t split = -1;           /* input plane currently split */

  if (job->plan->channels) {
    float *scratch = (float *) (job->workspace + (size_t) thread * job->workspace_stride);
    /* Blocks of up to 16 channels of one image. */
    for (size_t plane = begin; plane < end;) {
      int64_t m = (int64_t) plane % s->m;
      int64_t count = cnn_min64 (cnn_min64 (16, s->m - m), (int64_t) (end - plane));
      if (job->plan->pairs)
        cnn_depthwise_pairs (s, count, job->x + plane * in_plane, job->w + m * s->kh * s->kw,
            job->b != NULL ? job->b + m : NULL,
            job->sum != NULL ? job->sum + plane * out_plane : NULL,
            job->y + plane * out_plane, job->act, job->alpha, job->beta);
      else
        cnn_depthwise_channels (s, count, job->x + plane * in_plane,
            job->w + m * s->kh * s->kw, job->b != NULL ? job->b + m : NULL,
            job->sum != NULL ? job->sum + plane * out_plane : NULL,
            job->y + plane * out_plane, job->act, job->alpha, job->beta, scratch);
      plane += (size_t) count;
    }
    return;
  }
  /* No workspace: it may be NULL. */
  if (job->plan->direct) {
    for (size_t plane = begin; plane < end; plane++) {
      int64_t img = (int64_t) plane / s->m, m = (int64_t) plane % s->m;
      int64_t c = img * s->c + m / mult;
      cnn_depthwise_direct (s, job->x + c * in_plane, job->w + m * s->kh * s->kw,
          job->b != NULL ? job->b[m] : 0.0f,
          job->sum != NULL ? job->sum + plane * out_plane : NULL,
          job->y + plane * out_plane, job->act, job->alpha, job->beta);
    }
    return;
  }
  float *planes = (float *) (job->workspace + (size_t) thread * job->workspace_stride);
  float *out = planes + (size_t) l.phases * l.plane;
  for (size_t plane = begin; plane < end; plane++) {
    int64_t img = (int64_t) plane / s->m, m = (int64_t) plane % s->m;
    int64_t c = img * s->c + m / mult;

    /* With a channel multiplier, consecutive outputs share their input plane. */
    if (c != split) {
      cnn_phase_split (s, &l, job->x + c * in_plane, 0.0f, planes);
      split = c;
    }
    cnn_depthwise_phase (s, &l, planes, job->w + m * s->kh * s->kw,
        job->b != NULL ? job->b[m] : 0.0f,
        job->sum != NULL ? job->sum + plane * out_plane : NULL,
        job->y + plane * out_plane, job->act, job->alpha, job->beta, out);
  }
}

/* Runs direct-stem items: bands of plan->tile output rows of one image. */
static void
conv_stem_bands (void *arg, size_t begin, size_t end, int thread)
{
  const conv_job *job = arg;
  const cnn_conv_geom *s = &job->plan->s;
  int64_t bands = cnn_ceil_div (s->oh, job->plan->tile);
  float *scratch = (float *) (job->workspace + (size_t) thread * job->workspace_stride);

  for (size_t item = begin; item < end; item++) {
    int64_t img = (int64_t) item / bands, oh0 = (int64_t) item % bands * job->plan->tile;
    int64_t in = img * s->c * s->h * s->w, out = img * s->m * s->oh * s->ow;
    cnn_conv_stem (s, job->x + in, job->w, job->b, job->sum != NULL ? job->sum + out : NULL,
        job->y + out, oh0, cnn_min64 (s->oh, oh0 + job->plan->tile), job->act, job->alpha,
        job->beta, scratch);
  }
}

/* Input planes [begin, end) of all images times job->scale, into the shared workspace. */
static void
conv_scale_input (void *arg, size_t begin, size_t end, int thread)
{
  const conv_job *job = arg;
  int64_t plane = job->plan->s.h * job->plan->s.w;

  (void) thread;
  cnn_scale_planes ((int64_t) (end - begin), plane, job->x + (int64_t) begin * plane,
      job->scale + begin, job->scaled_x + (int64_t) begin * plane);
}

/* ---- Hooks ------------------------------------------------------------------------------- */

static void
conv_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const conv_plan *plan = n->packed;
  const cnn_value *b = cnn_layer_in (io, 2);
  conv_job job = {
    .plan = plan,
    .x = io->in[0]->ptr,
    .w = plan->w != NULL ? plan->w : io->in[1]->ptr,
    .b = b != NULL ? b->ptr : NULL,
    .sum = io->sum != NULL ? io->sum->ptr : NULL,
    .y = io->out[0]->ptr,
    .act = n->act,
    .alpha = n->act_alpha,
    .beta = n->act_beta,
    .workspace = exec->workspace,
    .workspace_stride = exec->workspace_stride,
  };
  /* Layers this small (the 1×1 convs of squeeze-excitation blocks) cost less than waking
   * the other threads: run them on this one. */
  const cnn_conv_geom *s = &plan->s;
  uint64_t macs = (uint64_t) (s->n * s->m * (s->c / s->group) * s->kh * s->kw * s->oh * s->ow);
  bool depthwise = plan->algo == CONV_DEPTHWISE || plan->algo == CONV_DEPTHWISE_3X3;
  cnn_threadpool *pool = macs >= (depthwise ? CONV_DEPTHWISE_PARALLEL_MIN_MACS
      : CONV_PARALLEL_MIN_MACS) ? exec->pool : NULL;

  if (io->scale != NULL) {
    job.scale = io->scale->ptr;
    if (!plan->scale_weights) {
      /* The algorithm reads a scaled copy of the input instead of scaled weights. */
      job.scaled_x = (float *) ((char *) exec->shared + plan->scaled_x_at);
      cnn_parallel_for (pool, (size_t) (s->n * s->c), 16, conv_scale_input, &job);
      job.x = job.scaled_x;
      job.scale = NULL;
    }
  }

  if (depthwise) {
    cnn_parallel_for (pool, (size_t) (s->n * s->m), plan->channels ? 16 : 1,
        conv_depthwise_planes, &job);
    return;
  }
  if (plan->algo == CONV_DIRECT_STEM) {
    cnn_parallel_for (pool, (size_t) (s->n * cnn_ceil_div (s->oh, plan->tile)), 1,
        conv_stem_bands, &job);
    return;
  }
  bool winograd = plan->algo == CONV_WINOGRAD || plan->algo == CONV_WINOGRAD_4X4;
  if (winograd)
    conv_split (&job, cnn_ceil_div (s->oh, plan->wtile) * cnn_ceil_div (s->ow, plan->wtile),
        WINOGRAD_MIN_BLOCK, cnn_threadpool_threads (pool));
  else {
    int threads = cnn_threadpool_threads (pool);
    bool rows_first = plan->algo == CONV_GEMM_1X1 && plan->fused && !plan->bf16
        && s->m / s->group >= CONV_1X1_FUSED_SPLIT_ROWS * threads;
    job.fused = plan->fused;
    conv_split (&job, s->oh * s->ow, rows_first ? CONV_1X1_FUSED_SPLIT_COLS : CONV_MIN_TILE,
        threads);
    if (plan->bf16 && !plan->narrow)
      conv_bf16_round_tile (&job, s->oh * s->ow);
  }
  size_t blocks = (size_t) (s->n * s->group * job.tiles);
  /* Split by output channel, every thread would transform (im2col: gather) the whole input
   * of the block: they build it once, together, a share of the input channels each, then
   * each runs its output channels from it (two jobs: the second reads what all of the first
   * wrote). ResNet-50 at 2 threads, CPU time of the pool's work per layer (best of 3, Zen 4):
   * layer2's 28×28 F(4×4) convs 1.20 -> 1.10 ms, layer3's 14×14 F(2×2) 1.45 -> 1.41, layer4's
   * 7×7 im2col 2.81 -> 2.62; the whole network's 2% above its 1-thread CPU time. */
  if (job.mblocks > 1 && exec->shared != NULL && plan->shares
      && (winograd || (plan->algo == CONV_IM2COL_GEMM && !plan->narrow))) {
    job.shared = exec->shared;
    for (job.block = 0; job.block < (int64_t) blocks; job.block++) {
      cnn_parallel_for (pool, (size_t) (s->c / s->group), 1,
          winograd ? conv_winograd_inputs : conv_im2col_rows, &job);
      cnn_parallel_for (pool, (size_t) job.mblocks, 1,
          winograd ? conv_winograd_items : conv_gemm_items, &job);
    }
    return;
  }
  cnn_parallel_for (pool, blocks * (size_t) job.mblocks, 1,
      winograd ? conv_winograd_items : conv_gemm_items, &job);
}

static uint64_t
conv_macs (const cnn_graph *g, const cnn_node *n)
{
  const cnn_value *w = cnn_node_input (g, n, 1);
  const cnn_value *y = cnn_node_output (g, n, 0);
  uint64_t macs = 1;

  if (w == NULL || w->rank < 3 || y->rank != w->rank)
    return 0;
  /* M · C/group · taps per weight, times N · output positions. */
  for (int d = 0; d < w->rank; d++)
    macs *= (uint64_t) (w->dims[d] > 0 ? w->dims[d] : 0);
  macs *= (uint64_t) (y->dims[0] > 0 ? y->dims[0] : 0);
  for (int d = 2; d < y->rank; d++)
    macs *= (uint64_t) (y->dims[d] > 0 ? y->dims[d] : 0);
  return macs;
}

static bool
conv_window (const cnn_graph *g, const cnn_node *n, int64_t kernel[2], int64_t stride[2])
{
  const conv_params *p = n->params;
  const cnn_value *w = cnn_node_input (g, n, 1);
  int spatial = w != NULL && w->rank >= 3 ? (w->rank - 2 < 2 ? w->rank - 2 : 2) : 0;

  cnn_window_span (&p->win, spatial, w != NULL ? w->dims + 2 : NULL, kernel, stride);
  return true;
}

const cnn_op_def cnn_op_conv = {
  .name = "Conv",
  .min_inputs = 2,
  .max_inputs = 3,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = conv_parse,
  .infer = conv_infer,
  .prepare = conv_prepare,
  .run = conv_run,
  .macs = conv_macs,
  .window = conv_window,
};
