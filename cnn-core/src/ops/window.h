/* window.h — the sliding-window attributes of Conv, MaxPool and AveragePool, and the geometry
 * they give a node (the cnn_conv_geom the window kernels take, kernels/conv.h).
 *
 * ONNX describes a window per spatial axis (kernel_shape, strides, dilations, pads as
 * begin..., end..., auto_pad, ceil_mode). We support 1-D and 2-D windows and run both as 2-D:
 * a 1-D input [N, C, L] is [N, C, 1, L] with a 1-tall kernel.
 */
#ifndef CNN_WINDOW_H
#define CNN_WINDOW_H

#include "graph.h"
#include "kernels/conv.h"

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

/* Geometry of node n for input x (rank 3 or 4) and a kernel of kernel[0] × kernel[1] taps in
 * ONNX axis order (kernel[1] unused for 1-D). m and group are left to the caller. */
cnn_status cnn_window_geometry (const cnn_graph *g, const cnn_node *n,
    const cnn_window_attrs *w, const cnn_value *x, const int64_t *kernel, cnn_conv_geom *s,
    cnn_error *err);

/* The op `window` hook's answer for `spatial` axes of taps[a] taps: kernel extent (dilation
 * included) and stride over H and W, a 1-D window being W. */
void cnn_window_span (const cnn_window_attrs *w, int spatial, const int64_t *taps,
    int64_t kernel[2], int64_t stride[2]);

#endif /* CNN_WINDOW_H */
