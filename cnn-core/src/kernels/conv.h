/* conv.h — sliding-window geometry shared by Conv, MaxPool and AveragePool, and the reference
 * convolution the tests hold the fast kernels to.
 *
 * ONNX describes a window per spatial axis (kernel_shape, strides, dilations, pads as
 * begin..., end..., auto_pad, ceil_mode). We support 1-D and 2-D windows and run both as 2-D:
 * a 1-D input [N, C, L] is [N, C, 1, L] with a 1-tall kernel.
 */
#ifndef CNN_CONV_H
#define CNN_CONV_H

#include "activation.h"
#include "graph.h"

/* Hot loops are compiled for AVX-512, AVX2+FMA and baseline x86-64, picked at load time (the
 * build itself targets baseline x86-64 so the library runs on any machine). GCC only: clang 14
 * cannot link calls to a target_clones function from another file (the fuzz build uses clang,
 * and gets the baseline loops). */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define CNN_VECTORIZE \
  __attribute__ ((target_clones ("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CNN_VECTORIZE
#endif

typedef enum cnn_auto_pad {
  CNN_AUTO_PAD_NOTSET = 0,
  CNN_AUTO_PAD_SAME_UPPER,      /* the odd padding pixel goes at the end */
  CNN_AUTO_PAD_SAME_LOWER,      /* ... at the beginning */
  CNN_AUTO_PAD_VALID,
} cnn_auto_pad;

/* Window attributes as written in the node, per spatial axis in ONNX order. */
typedef struct cnn_window_attrs {
  int spatial;                  /* axes the attributes describe; 0 = none given (Conv) */
  int64_t kernel[2];            /* 0 = not given: Conv takes it from the weights */
  int64_t stride[2], dilation[2];
  int64_t pad_begin[2], pad_end[2];
  cnn_auto_pad auto_pad;
  bool ceil_mode;
} cnn_window_attrs;

/* Reads kernel_shape, strides, dilations, pads, auto_pad and (pools) ceil_mode; checks what
 * does not depend on shapes. 3-D windows are reported as unsupported. */
cnn_status cnn_window_parse (cnn_graph *g, cnn_node *n, bool pool, cnn_window_attrs *w,
    cnn_error *err);

/* One 2-D sliding window over an NCHW tensor. For Conv, c and m are input and output channels;
 * for pools m == c. */
typedef struct cnn_conv_geom {
  int64_t n, c, h, w;           /* input */
  int64_t m, oh, ow;            /* output */
  int64_t group;
  int64_t kh, kw;               /* kernel taps */
  int64_t sh, sw;               /* strides */
  int64_t dh, dw;               /* dilations */
  int64_t pt, pl, pb, pr;       /* padding top, left, bottom, right */
} cnn_conv_geom;

/* Geometry of node n for input x (rank 3 or 4) and a kernel of kernel[0] × kernel[1] taps in
 * ONNX axis order (kernel[1] unused for 1-D). m and group are left to the caller. */
cnn_status cnn_window_geometry (const cnn_graph *g, const cnn_node *n,
    const cnn_window_attrs *w, const cnn_value *x, const int64_t *kernel, cnn_conv_geom *s,
    cnn_error *err);

/* The geometry of a Conv node whose input shapes are known (after parse). */
cnn_status cnn_conv_geometry (const cnn_graph *g, const cnn_node *n, cnn_conv_geom *s,
    cnn_error *err);

/* Name of the algorithm Conv's prepare chose ("gemm-1x1", "im2col-gemm", "depthwise",
 * "depthwise-3x3"), for tests and debugging; "" before prepare. */
const char *cnn_conv_algorithm (const cnn_node *n);

/* Phase planes: a plane split by stride phase and padded, so that every tap of a window op
 * is a flat offset (see op-conv.c). Used by the depthwise conv and the pooling kernels. */
typedef struct cnn_phase_layout {
  int64_t hq, wq;               /* size of each phase plane; Wq is the computed row width */
  int64_t phases;               /* sh · sw */
  size_t plane;                 /* floats per phase plane, including a padded tail */
} cnn_phase_layout;

cnn_phase_layout cnn_phase_layout_of (const cnn_conv_geom *s);
/* Floats of per-thread scratch: the phase planes, then an OH × Wq output. */
size_t cnn_phase_scratch (const cnn_conv_geom *s);
/* Splits input plane x into the phase planes, writing `pad` where the window is outside x. */
void cnn_phase_split (const cnn_conv_geom *s, const cnn_phase_layout *l, const float *x,
    float pad, float *planes);
/* Tap (ki, kj): out[p] for p = oh·Wq + ow reads tap[p]. */
const float *cnn_phase_tap (const cnn_conv_geom *s, const cnn_phase_layout *l,
    const float *planes, int64_t ki, int64_t kj);

/* The GEMM of a conv with its epilogue (kernel-gemm.c):
 * y[i][j] = act(Σ_k w[i][k] · x[k][j] + bias[i] + sum[i][j]) for i < m, j < n, with y and
 * sum (which may be y itself) sharing the row stride ldy; bias and sum may be NULL. Runs on
 * the calling thread. Only when cnn_gemm_fused_available(): CPUs without AVX-512 use
 * cnn_sgemm and a separate epilogue. */
bool cnn_gemm_fused_available (void);
void cnn_gemm_fused (int64_t m, int64_t n, int64_t k, const float *w, int64_t ldw,
    const float *x, int64_t ldx, float *y, int64_t ldy, const float *bias, const float *sum,
    cnn_activation act, float alpha, float beta);

/* One depthwise output plane straight from its input plane (kernel-depthwise.c):
 * y = act(conv(x, w) + bias + sum), sum (the plane's residual, may be y) may be NULL. Only
 * when cnn_depthwise_direct_available(s): AVX-512 CPUs, strides 1 or 2, no dilation. */
bool cnn_depthwise_direct_available (const cnn_conv_geom *s);
/* One max-pooled plane the same way (−∞ padding), under the same condition. */
void cnn_max_pool_direct (const cnn_conv_geom *s, const float *x, float *y);
void cnn_depthwise_direct (const cnn_conv_geom *s, const float *x, const float *w, float bias,
    const float *sum, float *y, cnn_activation act, float alpha, float beta);

/* For tests: plans made afterwards use only the portable kernels (OpenBLAS and the
 * phase-plane depthwise and max pooling), as on a CPU without AVX-512, so that both are held to the
 * reference. Not thread-safe; off by default. */
void cnn_conv_set_portable (bool portable);
bool cnn_conv_portable (void);

/* y = act(conv(x, w) + b + sum), the definition written out as loops. b and sum may be NULL.
 * Accumulates in double: this is the yardstick, not a kernel. */
void cnn_conv_reference (const cnn_conv_geom *s, const float *x, const float *w,
    const float *b, const float *sum, cnn_activation act, float alpha, float beta, float *y);

/* Output positions o in [0, out) whose input index o * stride + offset lies in [0, in):
 * the interior [*lo, *hi) of one kernel tap, so inner loops need no bounds checks. */
static inline void
cnn_window_valid_range (int64_t offset, int64_t stride, int64_t in, int64_t out, int64_t *lo,
    int64_t *hi)
{
  int64_t a = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t b = in - 1 - offset < 0 ? 0 : (in - 1 - offset) / stride + 1;

  a = a < out ? a : out;
  b = b < out ? b : out;
  *lo = a;
  *hi = b > a ? b : a;
}

#endif /* CNN_CONV_H */
