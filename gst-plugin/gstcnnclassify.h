/* gstcnnclassify.h — cnnclassify: classify video frames with an ONNX CNN.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_CNN_CLASSIFY_H
#define GST_CNN_CLASSIFY_H

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_CNN_CLASSIFY (gst_cnn_classify_get_type ())
G_DECLARE_FINAL_TYPE (GstCnnClassify, gst_cnn_classify, GST, CNN_CLASSIFY, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (cnnclassify);

G_END_DECLS

#endif /* GST_CNN_CLASSIFY_H */
