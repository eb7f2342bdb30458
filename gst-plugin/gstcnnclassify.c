/* gstcnnclassify.c — cnnclassify: classify video frames with an ONNX CNN.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-cnnclassify
 * @title: cnnclassify
 *
 * Runs an ONNX image classifier on every video frame and attaches the top results to the
 * buffer as a #GstCnnClassificationMeta (library gstcnnmeta-1.0). The video passes
 * through unchanged. With #GstCnnClassify:post-messages, each result is also posted on
 * the bus as an element message named `cnnclassify`.
 *
 * The frame is scaled to the model's input size, converted and normalised in a single
 * pass. Preprocessing defaults come from the model's ONNX metadata (`cnn.color_order`,
 * `cnn.value_range`, `cnn.mean`, `cnn.std`, `cnn.resize_mode`, `cnn.pad_value`,
 * `cnn.labels`, `cnn.output`, `cnn.model_name`); properties that were set explicitly win.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! cnnclassify model=mobilenetv2.onnx \
 *     labels=imagenet.txt post-messages=true ! videoconvert ! autovideosink
 * ]|
 */

/* This file holds the GObject side: properties, and the lifecycle that calls into
 * gstcnnsettings.c (what the settings and the model's metadata mean, labels, model
 * checks), preprocess.c (frame → tensor) and gstcnnresults.c (scores → meta, messages). */

#include "gstcnnclassify.h"

#include <cnn/cnn.h>

#include "gstcnncam.h"
#include "gstcnnregions.h"
#include "gstcnnresults.h"
#include "gstcnnsettings.h"

/* Not static: gstcnnsettings.c and gstcnnresults.c log to it too. */
GST_DEBUG_CATEGORY (gst_cnn_classify_debug);
#define GST_CAT_DEFAULT gst_cnn_classify_debug

#define DEFAULT_PROP_MODEL NULL
#define DEFAULT_PROP_LABELS NULL
#define DEFAULT_PROP_TOP_K 5
#define DEFAULT_PROP_THRESHOLD 0.0
#define DEFAULT_PROP_OUTPUT GST_CNN_DEFAULT_OUTPUT
#define DEFAULT_PROP_MEAN NULL
#define DEFAULT_PROP_STD NULL
#define DEFAULT_PROP_VALUE_RANGE NULL
#define DEFAULT_PROP_COLOR_ORDER GST_CNN_DEFAULT_COLOR_ORDER
#define DEFAULT_PROP_RESIZE_MODE GST_CNN_DEFAULT_RESIZE_MODE
#define DEFAULT_PROP_PAD_VALUE GST_CNN_DEFAULT_PAD_VALUE
#define DEFAULT_PROP_THREADS 1
#define DEFAULT_PROP_POST_MESSAGES FALSE
#define DEFAULT_PROP_ACTIVATION_MAP FALSE

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_LABELS,
  PROP_TOP_K,
  PROP_THRESHOLD,
  PROP_OUTPUT,
  PROP_MEAN,
  PROP_STD,
  PROP_VALUE_RANGE,
  PROP_COLOR_ORDER,
  PROP_RESIZE_MODE,
  PROP_PAD_VALUE,
  PROP_THREADS,
  PROP_POST_MESSAGES,
  PROP_MODEL_NAME,
  PROP_ACTIVATION_MAP,
  PROP_REGIONS_FIRST,           /* GST_CNN_REGION_N_PROPERTIES of them: gstcnnregions.c */
};

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
  gboolean preprocess_dirty;    /* a preprocessing property changed since configure */
  gchar *model_name;            /* read-only property, set in start() */
  GstCnnRegionSettings region_settings;

  /* Model state: built in start(), used by the streaming thread, freed in stop(). */
  cnn_model *model;
  gchar *model_source;          /* path used in error messages */
  gint in_channels, in_height, in_width;
  gfloat *input;                /* in_channels * in_height * in_width */
  GstCnnSettings metadata;      /* what the model's cnn.* metadata gives */
  GstCnnResults results;
  /* The threads value last handed to the model, whether or not it took it: a value it
   * refuses is warned about once, not tried again on every frame. */
  gint tried_threads;
  GstCnnPreprocess pre;
  GstCnnRegions regions;        /* inference-region=roi-list */
  GstCnnCam cam;                /* activation-map=true */
};

#define VIDEO_FORMATS "{ RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR, " \
    "GRAY8, I420, NV12 }"

static GstStaticPadTemplate gst_cnn_classify_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

static GstStaticPadTemplate gst_cnn_classify_src_template =
GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

G_DEFINE_TYPE (GstCnnClassify, gst_cnn_classify, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (cnnclassify, "cnnclassify", GST_RANK_NONE,
    GST_TYPE_CNN_CLASSIFY);

static void
gst_cnn_classify_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
    case PROP_LABELS:{
      gchar **target = prop_id == PROP_MODEL ? &self->model_path : &self->labels_path;

      /* Read in start(): a change while running would silently do nothing. */
      if (GST_STATE (self) > GST_STATE_READY) {
        GST_WARNING_OBJECT (self, "%s can only be changed in the NULL or READY state",
            pspec->name);
        break;
      }
      g_free (*target);
      *target = g_value_dup_string (value);
      break;
    }
    case PROP_TOP_K:
      self->top_k = g_value_get_uint (value);
      break;
    case PROP_THRESHOLD:
      self->threshold = g_value_get_double (value);
      break;
    case PROP_OUTPUT:
      self->settings.output = g_value_get_enum (value);
      self->settings.given |= GST_CNN_SETTING_OUTPUT;
      break;
    case PROP_MEAN:
    case PROP_STD:
    case PROP_VALUE_RANGE:{
      const gchar *str = g_value_get_string (value);
      GstCnnSettingFlags which = prop_id == PROP_MEAN ? GST_CNN_SETTING_MEAN :
          prop_id == PROP_STD ? GST_CNN_SETTING_STD : GST_CNN_SETTING_VALUE_RANGE;
      gchar **canonical = prop_id == PROP_MEAN ? &self->mean_str :
          prop_id == PROP_STD ? &self->std_str : &self->range_str;

      if (gst_cnn_settings_set_list (&self->settings, which, str, canonical))
        self->preprocess_dirty = TRUE;
      else
        GST_WARNING_OBJECT (self, "ignoring invalid %s \"%s\"", pspec->name, str);
      break;
    }
    case PROP_COLOR_ORDER:
      self->settings.color_order = g_value_get_enum (value);
      self->settings.given |= GST_CNN_SETTING_COLOR_ORDER;
      self->preprocess_dirty = TRUE;
      break;
    case PROP_RESIZE_MODE:
      self->settings.resize_mode = g_value_get_enum (value);
      self->settings.given |= GST_CNN_SETTING_RESIZE_MODE;
      self->preprocess_dirty = TRUE;
      break;
    case PROP_PAD_VALUE:
      self->settings.pad_value = g_value_get_uint (value);
      self->settings.given |= GST_CNN_SETTING_PAD_VALUE;
      self->preprocess_dirty = TRUE;
      break;
    case PROP_THREADS:
      self->threads = g_value_get_int (value);
      break;
    case PROP_POST_MESSAGES:
      self->post_messages = g_value_get_boolean (value);
      break;
    case PROP_ACTIVATION_MAP:
      self->activation_map = g_value_get_boolean (value);
      break;
    default:
      if (!gst_cnn_region_settings_set_property (&self->region_settings, object,
              PROP_REGIONS_FIRST, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_cnn_classify_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_LABELS:
      g_value_set_string (value, self->labels_path);
      break;
    case PROP_TOP_K:
      g_value_set_uint (value, self->top_k);
      break;
    case PROP_THRESHOLD:
      g_value_set_double (value, self->threshold);
      break;
    case PROP_OUTPUT:
      g_value_set_enum (value, self->settings.output);
      break;
    case PROP_MEAN:
      g_value_set_string (value, self->mean_str);
      break;
    case PROP_STD:
      g_value_set_string (value, self->std_str);
      break;
    case PROP_VALUE_RANGE:
      g_value_set_string (value, self->range_str);
      break;
    case PROP_COLOR_ORDER:
      g_value_set_enum (value, self->settings.color_order);
      break;
    case PROP_RESIZE_MODE:
      g_value_set_enum (value, self->settings.resize_mode);
      break;
    case PROP_PAD_VALUE:
      g_value_set_uint (value, self->settings.pad_value);
      break;
    case PROP_THREADS:
      g_value_set_int (value, self->threads);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->post_messages);
      break;
    case PROP_ACTIVATION_MAP:
      g_value_set_boolean (value, self->activation_map);
      break;
    case PROP_MODEL_NAME:
      g_value_set_string (value, self->model_name);
      break;
    default:
      if (!gst_cnn_region_settings_get_property (&self->region_settings,
              PROP_REGIONS_FIRST, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
free_model_state (GstCnnClassify * self)
{
  g_clear_pointer (&self->model, cnn_model_destroy);
  g_clear_pointer (&self->model_source, g_free);
  g_clear_pointer (&self->input, g_free);
  gst_cnn_results_clear (&self->results);
  gst_cnn_preprocess_clear (&self->pre);
  gst_cnn_regions_clear (&self->regions);
  gst_cnn_cam_clear (&self->cam);
  gst_cnn_settings_init (&self->metadata);
  self->in_channels = self->in_height = self->in_width = 0;
}

static void
gst_cnn_classify_finalize (GObject * object)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (object);

  free_model_state (self);
  g_free (self->model_path);
  g_free (self->labels_path);
  g_free (self->mean_str);
  g_free (self->std_str);
  g_free (self->range_str);
  g_free (self->model_name);
  gst_cnn_region_settings_clear (&self->region_settings);

  G_OBJECT_CLASS (gst_cnn_classify_parent_class)->finalize (object);
}

/* ------------------------------------------------------------------------------------ */
/* start / stop: load and check the model */

static gboolean
gst_cnn_classify_start (GstBaseTransform * trans)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (trans);
  GstElement *element = GST_ELEMENT (trans);
  gchar *model_path, *labels_path, *name;
  gchar **labels;
  gsize n_classes;
  cnn_options options = cnn_options_default ();
  cnn_error err;
  cnn_status status;
  gboolean ret = FALSE;

  GST_OBJECT_LOCK (self);
  model_path = g_strdup (self->model_path);
  labels_path = g_strdup (self->labels_path);
  options.threads = self->threads;
  GST_OBJECT_UNLOCK (self);

  free_model_state (self);
  if (model_path == NULL || *model_path == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No model file set."),
        ("Set the \"model\" property to an ONNX image classifier."));
    goto done;
  }
  self->model_source = g_strdup (model_path);

  status = cnn_model_load_file (model_path, &options, &self->model, &err);
  if (status == CNN_STATUS_IO_ERROR) {
    gboolean exists = g_file_test (model_path, G_FILE_TEST_EXISTS);

    if (exists)
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not read model file \"%s\".", model_path), ("%s", err.message));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("Model file \"%s\" not found.", model_path), ("%s", err.message));
    goto done;
  } else if (status != CNN_STATUS_OK) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Could not load model \"%s\" (%s).", model_path, cnn_status_string (status)),
        ("%s", err.message));
    goto done;
  }
  self->tried_threads = options.threads;

  if (!gst_cnn_check_input (element, self->model, model_path, &self->in_channels,
          &self->in_height, &self->in_width))
    goto done;
  status = cnn_model_prepare (self->model, &err);
  if (status != CNN_STATUS_OK) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Could not prepare model \"%s\" (%s).", model_path, cnn_status_string (status)),
        ("%s", err.message));
    goto done;
  }
  if (!gst_cnn_check_output (element, self->model, model_path, &n_classes))
    goto done;

  gst_cnn_settings_read_metadata (&self->metadata, element, self->model, model_path);
  labels = gst_cnn_load_labels (element, self->model, model_path, labels_path, n_classes);
  if (labels == NULL)
    goto done;

  self->input = g_try_new (gfloat, (gsize) self->in_channels * self->in_height *
      self->in_width);
  if (!gst_cnn_results_init (&self->results, n_classes, labels) || self->input == NULL ||
      !gst_cnn_preprocess_init (&self->pre, self->in_channels, self->in_height,
          self->in_width) || !gst_cnn_regions_init (&self->regions, self->in_channels,
          self->in_height, self->in_width) || !gst_cnn_cam_init (&self->cam, self->model)) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Out of memory for model \"%s\".", model_path), (NULL));
    goto done;
  }

  name = gst_cnn_model_name (self->model, model_path);
  GST_OBJECT_LOCK (self);
  g_free (self->model_name);
  self->model_name = name;
  self->preprocess_dirty = TRUE;
  GST_OBJECT_UNLOCK (self);

  GST_INFO_OBJECT (self, "model \"%s\" (%s): input %dx%dx%d, %" G_GSIZE_FORMAT
      " classes, arena %" G_GUINT64_FORMAT " bytes", name, model_path, self->in_channels,
      self->in_height, self->in_width, n_classes,
      (guint64) cnn_model_arena_bytes (self->model));
  ret = TRUE;

done:
  if (!ret)
    free_model_state (self);
  g_free (model_path);
  g_free (labels_path);
  return ret;
}

static gboolean
gst_cnn_classify_stop (GstBaseTransform * trans)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (trans);

  free_model_state (self);
  return TRUE;
}

/* ------------------------------------------------------------------------------------ */
/* Streaming */

static gboolean
gst_cnn_classify_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (filter);
  GstCnnPreprocessParams params;

  if (self->model == NULL)
    return FALSE;

  GST_OBJECT_LOCK (self);
  gst_cnn_settings_resolve_preprocess (&self->settings, &self->metadata, &params);
  self->preprocess_dirty = FALSE;
  GST_OBJECT_UNLOCK (self);

  /* Only the scaler tables depend on the frame: the model is not touched. */
  if (!gst_cnn_preprocess_configure (&self->pre, in_info, &params)) {
    GST_ERROR_OBJECT (self, "cannot preprocess %" GST_PTR_FORMAT, incaps);
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "%s %dx%d -> %dx%dx%d", GST_VIDEO_INFO_NAME (in_info),
      GST_VIDEO_INFO_WIDTH (in_info), GST_VIDEO_INFO_HEIGHT (in_info), self->in_channels,
      self->in_height, self->in_width);
  return TRUE;
}

/* The threads property is mutable in PLAYING: hand a changed value to the model, which
 * plans again for it and stays runnable. A refused value leaves the model as it was. */
static void
apply_threads (GstCnnClassify * self, gint threads)
{
  cnn_error err;

  if (threads == self->tried_threads)
    return;
  self->tried_threads = threads;
  if (cnn_model_set_threads (self->model, threads, &err) == CNN_STATUS_OK)
    GST_DEBUG_OBJECT (self, "threads %d: running on %d", threads,
        cnn_model_threads (self->model));
  else
    GST_WARNING_OBJECT (self, "cannot use %d threads: %s", threads, err.message);
}

static GstFlowReturn
classify_frame (GstCnnClassify * self, GstVideoFrame * frame, GstBuffer * buf)
{
  GstVideoFilter *filter = GST_VIDEO_FILTER (self);
  GstCnnResults *res = &self->results;
  GstCnnPreprocessParams params;
  gboolean reconfigure;
  guint top_k, n;
  gdouble threshold;
  gboolean post_messages;
  gint threads;
  GstCnnOutputActivation output;
  gchar *model_name;
  GstCnnRegionSettings regions;
  GstCnnClassificationMeta *meta;
  gboolean activation_map;
  gint64 t_pre, t0;
  GstClockTime inference_time;
  GstFlowReturn ret = GST_FLOW_OK;

  /* Settings to locals; the network runs without the lock. */
  GST_OBJECT_LOCK (self);
  top_k = self->top_k;
  threshold = self->threshold;
  post_messages = self->post_messages;
  activation_map = self->activation_map;
  threads = self->threads;
  output = gst_cnn_settings_resolve_output (&self->settings, &self->metadata);
  reconfigure = self->preprocess_dirty;
  if (reconfigure) {
    gst_cnn_settings_resolve_preprocess (&self->settings, &self->metadata, &params);
    self->preprocess_dirty = FALSE;
  }
  model_name = g_strdup (self->model_name);
  gst_cnn_region_settings_copy (&regions, &self->region_settings);
  if (regions.inference_region == GST_CNN_INFERENCE_REGION_ROI_LIST)
    gst_cnn_settings_resolve_preprocess (&self->settings, &self->metadata, &params);
  GST_OBJECT_UNLOCK (self);

  if (reconfigure && !gst_cnn_preprocess_configure (&self->pre, &filter->in_info, &params)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL), ("preprocessing setup failed"));
    ret = GST_FLOW_NOT_NEGOTIATED;
    goto done;
  }
  apply_threads (self, threads);

  if (regions.inference_region == GST_CNN_INFERENCE_REGION_ROI_LIST) {
    GstCnnRegionJob job = { GST_BASE_TRANSFORM (self), self->model, self->model_source,
      self->input, res, output, top_k, threshold, post_messages, model_name, &params,
      &regions, activation_map ? &self->cam : NULL
    };

    ret = gst_cnn_regions_classify (&self->regions, &job, frame, buf);
    goto done;
  }

  t_pre = g_get_monotonic_time ();
  gst_cnn_preprocess_run (&self->pre, frame, self->input);
  t0 = g_get_monotonic_time ();
  if (!gst_cnn_results_run (res, GST_ELEMENT (self), self->model, self->model_source,
          self->input, &inference_time)) {
    ret = GST_FLOW_ERROR;
    goto done;
  }

  n = gst_cnn_results_select (res, output, top_k, threshold);
  meta = gst_cnn_results_attach (res, buf, model_name, inference_time, -1);
  if (activation_map)
    gst_cnn_cam_attach (&self->cam, GST_ELEMENT (self), self->model, self->model_source,
        &self->pre, GST_VIDEO_INFO_WIDTH (&filter->in_info),
        GST_VIDEO_INFO_HEIGHT (&filter->in_info), meta);

  GST_LOG_OBJECT (self, "%" GST_TIME_FORMAT ": %s (%.3f), preprocessing %"
      G_GINT64_FORMAT " us, inference %" G_GUINT64_FORMAT " us",
      GST_TIME_ARGS (GST_BUFFER_PTS (buf)), n ? res->labels[res->top[0]] : "-",
      n ? res->probs[res->top[0]] : 0.0f, t0 - t_pre, inference_time / GST_USECOND);

  if (post_messages)
    gst_cnn_results_post (res, GST_BASE_TRANSFORM (self), buf, model_name,
        inference_time);
done:
  gst_cnn_region_settings_clear (&regions);
  g_free (model_name);
  return ret;
}

/* Like GstVideoFilter's transform_ip, but the frame is mapped read-only: the element never
 * writes pixels, and a writable map of memory shared with another buffer (tee, decoder
 * references) would copy the whole frame. The buffer itself is writable for the meta. */
static GstFlowReturn
gst_cnn_classify_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (trans);
  GstVideoFilter *filter = GST_VIDEO_FILTER (trans);
  GstVideoFrame frame;
  GstFlowReturn ret;

  if (G_UNLIKELY (!filter->negotiated || !self->pre.configured)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL), ("no caps negotiated"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  /* NO_REF: a mapped frame's extra reference would make the buffer read-only for the meta. */
  if (!gst_video_frame_map (&frame, &filter->in_info, buf,
          GST_MAP_READ | GST_VIDEO_FRAME_MAP_FLAG_NO_REF)) {
    GST_ELEMENT_WARNING (self, STREAM, FAILED, (NULL),
        ("invalid video buffer received, passing it on unclassified"));
    return GST_FLOW_OK;
  }
  ret = classify_frame (self, &frame, buf);
  gst_video_frame_unmap (&frame);
  return ret;
}

/* ------------------------------------------------------------------------------------ */

static void
gst_cnn_classify_class_init (GstCnnClassifyClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  GST_DEBUG_CATEGORY_INIT (gst_cnn_classify_debug, "cnnclassify", 0,
      "CNN image classification");

  gobject_class->set_property = gst_cnn_classify_set_property;
  gobject_class->get_property = gst_cnn_classify_get_property;
  gobject_class->finalize = gst_cnn_classify_finalize;

  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Path of the ONNX image classifier (required). Input: one float32 "
          "[1, C, H, W] tensor, C = 1 or 3 (dynamic H/W run at 224x224); output: "
          "class scores [K], [1, K] or [1, K, 1, 1]",
          DEFAULT_PROP_MODEL, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_LABELS,
      g_param_spec_string ("labels", "Labels",
          "Path of a text file with one class label per line (default: the model's "
          "cnn.labels metadata, else class numbers)",
          DEFAULT_PROP_LABELS, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TOP_K,
      g_param_spec_uint ("top-k", "Top K",
          "Number of best classes reported per frame", 1, 1000, DEFAULT_PROP_TOP_K,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_double ("threshold", "Threshold",
          "Classes with a lower confidence are not reported", 0.0, 1.0,
          DEFAULT_PROP_THRESHOLD, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_OUTPUT,
      g_param_spec_enum ("output", "Output activation",
          "How scores become confidences (default: the model's cnn.output metadata, "
          "else auto)", GST_TYPE_CNN_OUTPUT_ACTIVATION, DEFAULT_PROP_OUTPUT,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MEAN,
      g_param_spec_string ("mean", "Mean",
          "Per-channel mean subtracted after value-range scaling, \"r,g,b\" or one value "
          "(default: the model's cnn.mean metadata, else 0)",
          DEFAULT_PROP_MEAN, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_STD,
      g_param_spec_string ("std", "Standard deviation",
          "Per-channel divisor applied after the mean, \"r,g,b\" or one value, > 0 "
          "(default: the model's cnn.std metadata, else 1)",
          DEFAULT_PROP_STD, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_VALUE_RANGE,
      g_param_spec_string ("value-range", "Value range",
          "Range \"lo,hi\" that pixel values 0..255 map onto before mean/std, e.g. "
          "\"0,1\", \"0,255\", \"-1,1\" (default: the model's cnn.value_range metadata, "
          "else 0,1)", DEFAULT_PROP_VALUE_RANGE, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_COLOR_ORDER,
      g_param_spec_enum ("color-order", "Color order",
          "Channel order of 3-channel model inputs; 1-channel models always get luma "
          "(default: the model's cnn.color_order metadata, else rgb)",
          GST_TYPE_CNN_COLOR_ORDER, DEFAULT_PROP_COLOR_ORDER,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_RESIZE_MODE,
      g_param_spec_enum ("resize-mode", "Resize mode",
          "How frames are fitted to the model's input size (default: the model's "
          "cnn.resize_mode metadata, else stretch)",
          GST_TYPE_CNN_RESIZE_MODE, DEFAULT_PROP_RESIZE_MODE,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_PAD_VALUE,
      g_param_spec_uint ("pad-value", "Pad value",
          "Gray level of the letterbox border, before normalisation (default: the "
          "model's cnn.pad_value metadata, else 0)", 0, 255, DEFAULT_PROP_PAD_VALUE,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_int ("threads", "Threads",
          "Worker threads for inference (0 = one per CPU)", 0, CNN_MAX_THREADS,
          DEFAULT_PROP_THREADS, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post a \"cnnclassify\" element message on the bus for every frame",
          DEFAULT_PROP_POST_MESSAGES, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MODEL_NAME,
      g_param_spec_string ("model-name", "Model name",
          "Name of the loaded model (cnn.model_name metadata, else the file name)",
          NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_ACTIVATION_MAP,
      g_param_spec_boolean ("activation-map", "Activation map",
          "Attach the top class's class activation map (where in the picture its evidence "
          "lies) to the meta; needs a model that ends in a feature map, a global average "
          "pool and a dense layer", DEFAULT_PROP_ACTIVATION_MAP,
          rw | GST_PARAM_MUTABLE_PLAYING));
  gst_cnn_region_settings_install_properties (gobject_class, PROP_REGIONS_FIRST);

  gst_element_class_set_static_metadata (element_class,
      "CNN image classifier", "Filter/Analyzer/Video",
      "Classifies video frames with an ONNX convolutional network and attaches "
      "the top results as GstCnnClassificationMeta", "gst-cnn authors");
  gst_element_class_add_static_pad_template (element_class,
      &gst_cnn_classify_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &gst_cnn_classify_src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_cnn_classify_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_cnn_classify_stop);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_cnn_classify_transform_ip);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_cnn_classify_set_info);

  gst_type_mark_as_plugin_api (GST_TYPE_CNN_COLOR_ORDER, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_CNN_RESIZE_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_CNN_OUTPUT_ACTIVATION, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_CNN_INFERENCE_REGION, 0);
}

static void
gst_cnn_classify_init (GstCnnClassify * self)
{
  self->top_k = DEFAULT_PROP_TOP_K;
  self->threshold = DEFAULT_PROP_THRESHOLD;
  gst_cnn_settings_init (&self->settings);
  gst_cnn_settings_init (&self->metadata);
  self->threads = DEFAULT_PROP_THREADS;
  self->post_messages = DEFAULT_PROP_POST_MESSAGES;
  gst_cnn_region_settings_init (&self->region_settings);

  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
