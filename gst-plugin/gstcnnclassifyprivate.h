/* gstcnnclassifyprivate.h — the cnnclassify instance, shared by the element's files:
 * gstcnnclassify.c (GObject code: properties and vfuncs), gstcnnclassifymodel.c (the
 * model state: load, check, warm up, configure for the frame, hot swap) and
 * gstcnnclassifyframe.c (one frame: preprocess, run or hand to the worker, report).
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_CNN_CLASSIFY_PRIVATE_H
#define GST_CNN_CLASSIFY_PRIVATE_H

#include "gstcnnclassify.h"

#include <cnn/cnn.h>

#include "gstcnncam.h"
#include "gstcnnmodelio.h"
#include "gstcnnregions.h"
#include "gstcnnresults.h"
#include "gstcnnsettings.h"
#include "gstcnnswap.h"
#include "gstcnntiming.h"
#include "gstcnnworker.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_cnn_classify_debug);

struct _GstCnnClassify
{
  GstVideoFilter parent;

  /* Properties, under the object lock. */
  gchar *model_path;
  gchar *labels_path;
  guint top_k;
  gdouble threshold;
  GstCnnSettings settings;      /* those with a model-metadata default, as the user set them */
  gchar *mean_str, *std_str, *range_str;        /* canonical strings, NULL = not set */
  gint threads;
  gboolean post_messages;
  gboolean activation_map;
  GstCnnPrecision precision;
  gboolean preprocess_dirty;    /* a preprocessing property changed since configure */
  gchar *model_name;            /* read-only property, set in start() */
  gchar *input_size;            /* "WxH" for dynamic models, NULL = metadata or default */
  gchar *output_name;           /* the class-vector output, NULL = the first one */
  gboolean keep_aspect_ratio;   /* dynamic models: input width follows the frame's shape */
  gboolean async_inference;
  guint interval;
  gdouble smoothing;
  GstCnnRegionSettings region_settings;

  /* Model state: built in start(), used by the streaming thread, freed in stop(). */
  cnn_model *model;
  gchar *model_source;          /* path used in error messages */
  GstCnnModelIO io;             /* input layout and size, class output, their buffers */
  GstCnnSettings metadata;      /* what the model's cnn.* metadata gives */
  GstCnnResults results;
  /* The threads value last handed to the model, whether or not it took it: a value it
   * refuses is warned about once, not tried again on every frame. */
  gint tried_threads;
  GstCnnPreprocess pre;
  /* async-inference: the thread that runs the model (and alone uses it and results). */
  GstCnnWorker *worker;
  guint64 frame_count;          /* frames since start or flush, for inference-interval */
  gboolean reset_smoothing;     /* start the average afresh with the next classification */
  GstCnnTiming timing;          /* latency and QoS, under the object lock */
  GstCnnSwap *swap;             /* model hot-swap: a model set in PAUSED/PLAYING loads here */
  GstCnnRegions regions;        /* inference-region=roi-list */
  GstCnnCam cam;                /* activation-map=true */
};

/* gstcnnclassifymodel.c */

/* start(): loads, checks and prepares the model the properties name, warms it up, and
 * starts the async worker if asked. FALSE after an element error. */
gboolean gst_cnn_classify_load_model (GstCnnClassify * self);
/* Everything built from the model; the element is then as after construction. */
void gst_cnn_classify_free_model (GstCnnClassify * self);
gboolean gst_cnn_classify_configure_for_frame (GstCnnClassify * self,
    const GstVideoInfo * in_info, gboolean async);
void gst_cnn_classify_apply_threads (GstCnnClassify * self, gint threads);
/* Between frames: swaps in a model gstcnnswap.c loaded, if one is ready. FALSE after an
 * element error. */
gboolean gst_cnn_classify_swap_in_model (GstCnnClassify * self);

/* gstcnnclassifyframe.c */

/* Puts the async worker's newest result on @buf (and the bus). */
GstFlowReturn gst_cnn_classify_deliver_async_result (GstCnnClassify * self, GstBuffer * buf);
/* Classifies @frame (or its regions) and attaches the results to @buf. */
GstFlowReturn gst_cnn_classify_frame (GstCnnClassify * self, GstVideoFrame * frame,
    GstBuffer * buf);

G_END_DECLS

#endif /* GST_CNN_CLASSIFY_PRIVATE_H */
