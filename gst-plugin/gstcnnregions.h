/* gstcnnregions.h — cnnclassify's region classification (inference-region=roi-list).
 *
 * With inference-region=roi-list the element classifies the picture inside every
 * GstVideoRegionOfInterestMeta on the buffer (what upstream detectors attach) instead of
 * the whole frame. Each region is clipped to the frame, filtered by type (object-class)
 * and size (min-region-size), bounded in number (max-regions), preprocessed as a frame
 * would be (resize mode, colour order, mean/std) and classified. Its results go to
 *
 *   - the region's own params: a GstStructure named result-name (default: the model
 *     name) with class-id, label, confidence, class-ids, labels, confidences, model-name;
 *   - a GstCnnClassificationMeta whose roi_id is the region's id;
 *   - with post-messages, the frame's `cnnclassify` message, in its `regions` array.
 *
 * This file owns the region properties (installed on the element's class), the one
 * preprocessing set-up reconfigured per region, and the per-frame loop.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_CNN_REGIONS_H
#define GST_CNN_REGIONS_H

#include <gst/base/gstbasetransform.h>
#include <gst/video/video.h>

#include <cnn/cnn.h>

#include "gstcnncam.h"
#include "gstcnnresults.h"
#include "preprocess.h"

G_BEGIN_DECLS

typedef enum
{
  GST_CNN_INFERENCE_REGION_FULL_FRAME,
  GST_CNN_INFERENCE_REGION_ROI_LIST,
} GstCnnInferenceRegion;

#define GST_TYPE_CNN_INFERENCE_REGION (gst_cnn_inference_region_get_type ())
GType gst_cnn_inference_region_get_type (void);

/* The region properties, in the element's instance struct under its object lock. */
typedef struct
{
  GstCnnInferenceRegion inference_region;
  gchar *object_class;          /* as set: "" or NULL = every type */
  gchar **object_classes;       /* parsed, NULL = every type */
  guint min_size;
  guint max_regions;
  gchar *result_name;           /* NULL = the model name */
} GstCnnRegionSettings;

void gst_cnn_region_settings_init (GstCnnRegionSettings * s);
void gst_cnn_region_settings_clear (GstCnnRegionSettings * s);
/* A deep copy, for the streaming thread to use without the lock. */
void gst_cnn_region_settings_copy (GstCnnRegionSettings * dst,
    const GstCnnRegionSettings * src);

/* Installs inference-region, object-class, min-region-size, max-regions and result-name
 * as property ids @first_id .. @first_id + GST_CNN_REGION_N_PROPERTIES - 1. */
#define GST_CNN_REGION_N_PROPERTIES 5
void gst_cnn_region_settings_install_properties (GObjectClass * klass, guint first_id);
/* Set or get property @id - @first_id; FALSE if @id is not one of them. Call with the
 * object lock held. An invalid result-name is warned about on @object and ignored. */
gboolean gst_cnn_region_settings_set_property (GstCnnRegionSettings * s, GObject * object,
    guint first_id, guint id, const GValue * value);
gboolean gst_cnn_region_settings_get_property (const GstCnnRegionSettings * s,
    guint first_id, guint id, GValue * value);

/* What one frame's classification needs from the element; the settings are copies. */
typedef struct
{
  GstBaseTransform *trans;
  cnn_model *model;
  const gchar *source;          /* model path, for error messages */
  GstCnnModelIO *io;            /* the model's input forms and tensor (io->nchw) */
  GstCnnResults *results;
  GstCnnOutputActivation output;
  guint top_k;
  gdouble threshold;
  gboolean post_messages;
  const gchar *model_name;
  const GstCnnPreprocessParams *params;
  const GstCnnRegionSettings *regions;
  GstCnnCam *cam;               /* NULL unless activation-map is on */
} GstCnnRegionJob;

/* The per-region preprocessing, sized for the model's input. */
typedef struct
{
  GstCnnPreprocess pre;
} GstCnnRegions;

gboolean gst_cnn_regions_init (GstCnnRegions * r, gint channels, gint height, gint width);
void gst_cnn_regions_clear (GstCnnRegions * r);

/* Classifies the regions of interest of @buf (mapped as @frame) and stores the results.
 * GST_FLOW_ERROR after an element error (the network failed). */
GstFlowReturn gst_cnn_regions_classify (GstCnnRegions * r, const GstCnnRegionJob * job,
    const GstVideoFrame * frame, GstBuffer * buf);

/* A valid GstStructure name made from @name: characters GstStructure does not allow
 * become '-', and a name not starting with a letter gets "cnn-" in front. */
gchar *gst_cnn_regions_structure_name (const gchar * name);

G_END_DECLS

#endif /* GST_CNN_REGIONS_H */
