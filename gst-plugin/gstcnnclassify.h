/* gstcnnclassify.h — cnnclassify: classify video frames with an ONNX CNN.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_CNN_CLASSIFY_H
#define GST_CNN_CLASSIFY_H

#include <gst/video/gstvideofilter.h>

#include "preprocess.h"

G_BEGIN_DECLS

/* How scores become confidences. */
typedef enum
{
  GST_CNN_OUTPUT_AUTO,
  GST_CNN_OUTPUT_NONE,
  GST_CNN_OUTPUT_SOFTMAX,
  GST_CNN_OUTPUT_SIGMOID,
} GstCnnOutputActivation;

#define GST_TYPE_CNN_COLOR_ORDER (gst_cnn_color_order_get_type ())
GType gst_cnn_color_order_get_type (void);

#define GST_TYPE_CNN_RESIZE_MODE (gst_cnn_resize_mode_get_type ())
GType gst_cnn_resize_mode_get_type (void);

#define GST_TYPE_CNN_OUTPUT_ACTIVATION (gst_cnn_output_activation_get_type ())
GType gst_cnn_output_activation_get_type (void);

#define GST_TYPE_CNN_CLASSIFY (gst_cnn_classify_get_type ())
G_DECLARE_FINAL_TYPE (GstCnnClassify, gst_cnn_classify, GST, CNN_CLASSIFY, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (cnnclassify);

G_END_DECLS

#endif /* GST_CNN_CLASSIFY_H */
