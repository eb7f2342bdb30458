/* gstcnncam.c — the top class's activation map on the meta. See gstcnncam.h.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "gstcnncam.h"

#include <string.h>

GST_DEBUG_CATEGORY_EXTERN (gst_cnn_classify_debug);
#define GST_CAT_DEFAULT gst_cnn_classify_debug

gboolean
gst_cnn_cam_init (GstCnnCam * cam, const cnn_model * model)
{
  cnn_error err;

  memset (cam, 0, sizeof (*cam));
  if (cnn_model_cam_info (model, &cam->height, &cam->width, &err) != CNN_STATUS_OK) {
    cam->why = g_strdup (err.message);
    return TRUE;
  }
  cam->map = g_try_new (gfloat, (gsize) cam->width * cam->height);
  cam->available = cam->map != NULL;
  return cam->map != NULL;
}

void
gst_cnn_cam_clear (GstCnnCam * cam)
{
  g_free (cam->why);
  g_free (cam->map);
  memset (cam, 0, sizeof (*cam));
}

void
gst_cnn_cam_attach (GstCnnCam * cam, GstElement * element, const cnn_model * model,
    const gchar * source, const GstCnnPreprocess * pre, gint frame_width,
    gint frame_height, GstCnnClassificationMeta * meta)
{
  gdouble sx, sy;
  cnn_error err;
  gint class_id;

  if (!cam->available) {
    if (!cam->warned)
      GST_ELEMENT_WARNING (element, STREAM, FAILED,
          ("Model \"%s\" has no class activation map: activation-map is ignored.", source),
          ("%s", cam->why ? cam->why : "not prepared"));
    cam->warned = TRUE;
    return;
  }
  if (meta == NULL || meta->n_entries == 0)
    return;
  class_id = meta->entries[0].class_id;
  if (cnn_model_cam (model, class_id, cam->map, &err) != CNN_STATUS_OK) {
    GST_WARNING_OBJECT (element, "no activation map for class %d: %s", class_id,
        err.message);
    return;
  }
  /* The tensor spans [0, width) × [0, height); the picture fills [dst_x0, dst_x1) of it
   * and comes from [src_x0, src_x0 + src_w) of the frame. */
  sx = pre->src_w / (pre->dst_x1 - pre->dst_x0);
  sy = pre->src_h / (pre->dst_y1 - pre->dst_y0);
  gst_cnn_classification_meta_set_activation_map (meta, class_id, cam->width, cam->height,
      cam->map, (pre->src_x0 - pre->dst_x0 * sx) / frame_width,
      (pre->src_y0 - pre->dst_y0 * sy) / frame_height, pre->width * sx / frame_width,
      pre->height * sy / frame_height);
}
