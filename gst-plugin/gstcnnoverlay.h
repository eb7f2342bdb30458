/* gstcnnoverlay.h — cnnoverlay: draw classification results on the video.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_CNN_OVERLAY_H
#define GST_CNN_OVERLAY_H

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_CNN_OVERLAY (gst_cnn_overlay_get_type ())
G_DECLARE_FINAL_TYPE (GstCnnOverlay, gst_cnn_overlay, GST, CNN_OVERLAY, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (cnnoverlay);

G_END_DECLS

#endif /* GST_CNN_OVERLAY_H */
