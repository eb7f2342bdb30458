/* gstcnncam.h — cnnclassify's class activation maps (activation-map=true).
 *
 * When the model ends in feature map → global average pool → dense layer, the core keeps
 * the feature map through each run and computes the map of any class
 * (cnn_model_cam). This file puts the map of the top class on the result's
 * GstCnnClassificationMeta, with the part of the frame the map covers: the model's input
 * tensor mapped back through the resize mode (stretch, centre crop, letterbox) and, for a
 * region, the region's place in the frame. A model without the pattern gets one warning.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_CNN_CAM_H
#define GST_CNN_CAM_H

#include <gst/gst.h>

#include <cnn/cnn.h>

#include "gstcnnclassificationmeta.h"
#include "preprocess.h"

G_BEGIN_DECLS

typedef struct
{
  gboolean available;           /* the model has the pattern */
  gchar *why;                   /* if not, the core's reason */
  gint width, height;
  gfloat *map;                  /* width × height, sized once */
  gboolean warned;
} GstCnnCam;

/* Asks the prepared @model for its maps. FALSE when out of memory. */
gboolean gst_cnn_cam_init (GstCnnCam * cam, const cnn_model * model);
void gst_cnn_cam_clear (GstCnnCam * cam);

/* After a run whose input @pre made from a frame of @frame_width × @frame_height: the map
 * of @meta's top class on @meta. A model without maps is warned about once on @element
 * (naming @source) and nothing is attached. */
void gst_cnn_cam_attach (GstCnnCam * cam, GstElement * element, const cnn_model * model,
    const gchar * source, const GstCnnPreprocess * pre, gint frame_width,
    gint frame_height, GstCnnClassificationMeta * meta);

G_END_DECLS

#endif /* GST_CNN_CAM_H */
