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
#include "gstcnnmodelio.h"
#include "gstcnnregions.h"
#include "gstcnnresults.h"
#include "gstcnnsettings.h"
#include "gstcnnswap.h"
#include "gstcnntiming.h"
#include "gstcnnworker.h"

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
#define DEFAULT_PROP_INPUT_SIZE NULL
#define DEFAULT_PROP_OUTPUT_NAME NULL
#define DEFAULT_PROP_KEEP_ASPECT_RATIO FALSE
#define DEFAULT_PROP_ASYNC_INFERENCE FALSE
#define DEFAULT_PROP_INFERENCE_INTERVAL 1
#define DEFAULT_PROP_SMOOTHING 0.0
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
  PROP_INPUT_SIZE,
  PROP_OUTPUT_NAME,
  PROP_KEEP_ASPECT_RATIO,
  PROP_ASYNC_INFERENCE,
  PROP_INFERENCE_INTERVAL,
  PROP_SMOOTHING,
  PROP_ACTIVATION_MAP,
  /* Last: GST_CNN_REGION_N_PROPERTIES of them, handled by gstcnnregions.c. */
  PROP_REGIONS_FIRST,
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

static gboolean gst_cnn_classify_start (GstBaseTransform * trans);
GST_ELEMENT_REGISTER_DEFINE (cnnclassify, "cnnclassify", GST_RANK_NONE,
    GST_TYPE_CNN_CLASSIFY);

static void
gst_cnn_classify_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (object);
  gchar *swap_model = NULL;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
    case PROP_LABELS:
    case PROP_OUTPUT_NAME:
    case PROP_INPUT_SIZE:{
      gchar **target = prop_id == PROP_MODEL ? &self->model_path :
          prop_id == PROP_LABELS ? &self->labels_path :
          prop_id == PROP_OUTPUT_NAME ? &self->output_name : &self->input_size;
      const gchar *str = g_value_get_string (value);
      gint w, h;

      if (prop_id == PROP_INPUT_SIZE && str != NULL && *str != '\0'
          && !gst_cnn_parse_input_size (str, &w, &h)) {
        GST_WARNING_OBJECT (self, "invalid input-size \"%s\" (expected \"WxH\", e.g. "
            "\"320x48\"), keeping the previous value", str);
        break;
      }
      /* Read in start(): a change while running would silently do nothing. */
      if ((prop_id == PROP_OUTPUT_NAME || prop_id == PROP_INPUT_SIZE)
          && GST_STATE (self) > GST_STATE_READY) {
        GST_WARNING_OBJECT (self, "%s can only be changed in the NULL or READY state",
            pspec->name);
        break;
      }
      g_free (*target);
      *target = str != NULL && *str != '\0' ? g_strdup (str) : NULL;
      /* A new model or labels while running: loaded off the streaming thread (below,
       * without the lock: a load in progress is waited for), swapped in between frames. */
      if ((prop_id == PROP_MODEL || prop_id == PROP_LABELS)
          && GST_STATE (self) > GST_STATE_READY) {
        swap_model = g_strdup (self->model_path);
      }
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
    case PROP_KEEP_ASPECT_RATIO:
      if (GST_STATE (self) > GST_STATE_READY) {
        GST_WARNING_OBJECT (self, "%s can only be changed in the NULL or READY state",
            pspec->name);
        break;
      }
      self->keep_aspect_ratio = g_value_get_boolean (value);
      break;
    case PROP_POST_MESSAGES:
      self->post_messages = g_value_get_boolean (value);
      break;
    case PROP_ASYNC_INFERENCE:
      if (GST_STATE (self) > GST_STATE_READY) {
        GST_WARNING_OBJECT (self, "%s can only be changed in the NULL or READY state",
            pspec->name);
        break;
      }
      self->async_inference = g_value_get_boolean (value);
      break;
    case PROP_INFERENCE_INTERVAL:
      self->interval = g_value_get_uint (value);
      break;
    case PROP_SMOOTHING:
      self->smoothing = g_value_get_double (value);
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

  if (swap_model != NULL) {
    gst_cnn_swap_request (self->swap, GST_ELEMENT (self), gst_cnn_classify_start,
        swap_model);
    g_free (swap_model);
  }
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
    case PROP_KEEP_ASPECT_RATIO:
      g_value_set_boolean (value, self->keep_aspect_ratio);
      break;
    case PROP_INPUT_SIZE:
      g_value_set_string (value, self->input_size);
      break;
    case PROP_OUTPUT_NAME:
      g_value_set_string (value, self->output_name);
      break;
    case PROP_ACTIVATION_MAP:
      g_value_set_boolean (value, self->activation_map);
      break;
    case PROP_MODEL_NAME:
      g_value_set_string (value, self->model_name);
      break;
    case PROP_ASYNC_INFERENCE:
      g_value_set_boolean (value, self->async_inference);
      break;
    case PROP_INFERENCE_INTERVAL:
      g_value_set_uint (value, self->interval);
      break;
    case PROP_SMOOTHING:
      g_value_set_double (value, self->smoothing);
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
  /* First: the worker runs the model. */
  g_clear_pointer (&self->worker, gst_cnn_worker_free);
  g_clear_pointer (&self->model, cnn_model_destroy);
  g_clear_pointer (&self->model_source, g_free);
  gst_cnn_model_io_clear (&self->io);
  gst_cnn_results_clear (&self->results);
  gst_cnn_preprocess_clear (&self->pre);
  gst_cnn_regions_clear (&self->regions);
  gst_cnn_cam_clear (&self->cam);
  gst_cnn_settings_init (&self->metadata);
}

static void
gst_cnn_classify_finalize (GObject * object)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (object);

  gst_cnn_swap_free (self->swap);
  free_model_state (self);
  g_free (self->model_path);
  g_free (self->labels_path);
  g_free (self->mean_str);
  g_free (self->std_str);
  g_free (self->range_str);
  g_free (self->model_name);
  g_free (self->input_size);
  g_free (self->output_name);
  gst_cnn_region_settings_clear (&self->region_settings);

  G_OBJECT_CLASS (gst_cnn_classify_parent_class)->finalize (object);
}

/* ------------------------------------------------------------------------------------ */
/* start / stop: load and check the model */

/* Two runs on a blank tensor (the first one pays for cold caches): the second is what
 * the latency query announces before the first frame. */
static gboolean
warm_up (GstCnnClassify * self)
{
  cnn_error err;
  cnn_status status;
  gint64 t0 = 0;
  gint i;

  for (i = 0, status = CNN_STATUS_OK; i < 2 && status == CNN_STATUS_OK; i++) {
    t0 = g_get_monotonic_time ();
    status = gst_cnn_model_io_run (&self->io, self->model, self->io.nchw,
        self->results.scores, &err);
  }
  if (status != CNN_STATUS_OK) {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED,
        ("Inference with model \"%s\" failed (%s).", self->model_source,
            cnn_status_string (status)), ("%s", err.message));
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  gst_cnn_timing_reset (&self->timing);
  gst_cnn_timing_record (&self->timing, (g_get_monotonic_time () - t0) * GST_USECOND);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
gst_cnn_classify_start (GstBaseTransform * trans)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (trans);
  GstElement *element = GST_ELEMENT (trans);
  gchar *model_path, *labels_path, *name, *input_size, *output_name;
  gboolean keep_aspect;
  gchar **labels;
  gsize n_classes;
  gboolean async;
  cnn_options options = cnn_options_default ();
  cnn_error err;
  cnn_status status;
  gboolean ret = FALSE;

  GST_OBJECT_LOCK (self);
  model_path = g_strdup (self->model_path);
  labels_path = g_strdup (self->labels_path);
  input_size = g_strdup (self->input_size);
  output_name = g_strdup (self->output_name);
  keep_aspect = self->keep_aspect_ratio;
  options.threads = self->threads;
  async = self->async_inference;
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

  if (!gst_cnn_model_io_check_input (&self->io, element, self->model, model_path,
          input_size))
    goto done;
  /* keep-aspect-ratio: the size's width becomes the largest; set_info picks the width. */
  if (keep_aspect && self->io.dynamic)
    self->io.max_width = self->io.width;
  else if (keep_aspect)
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
        ("Model \"%s\" has a fixed input size: ignoring keep-aspect-ratio.", model_path),
        (NULL));
  status = cnn_model_prepare (self->model, &err);
  if (status != CNN_STATUS_OK) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Could not prepare model \"%s\" (%s).", model_path, cnn_status_string (status)),
        ("%s", err.message));
    goto done;
  }
  if (!gst_cnn_model_io_check_output (&self->io, element, self->model, model_path,
          output_name))
    goto done;
  n_classes = self->io.n_classes;

  gst_cnn_settings_read_metadata (&self->metadata, element, self->model, model_path);
  labels = gst_cnn_load_labels (element, self->model, model_path, labels_path, n_classes);
  if (labels == NULL)
    goto done;

  if (!gst_cnn_results_init (&self->results, n_classes, labels) ||
      !gst_cnn_preprocess_init (&self->pre, self->io.channels, self->io.height,
          self->io.width) || !gst_cnn_regions_init (&self->regions, self->io.channels,
          self->io.height, self->io.width) || !gst_cnn_cam_init (&self->cam, self->model)) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Out of memory for model \"%s\".", model_path), (NULL));
    goto done;
  }
  if (!warm_up (self))
    goto done;
  if (async && (self->worker = gst_cnn_worker_new (self->model, &self->io,
              &self->results)) == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not start the inference thread for model \"%s\".", model_path), (NULL));
    goto done;
  }
  self->frame_count = 0;
  self->reset_smoothing = TRUE;

  name = gst_cnn_model_name (self->model, model_path);
  GST_OBJECT_LOCK (self);
  g_free (self->model_name);
  self->model_name = name;
  self->preprocess_dirty = TRUE;
  GST_OBJECT_UNLOCK (self);

  GST_INFO_OBJECT (self, "model \"%s\" (%s): input %dx%dx%d, %" G_GSIZE_FORMAT
      " classes, arena %" G_GUINT64_FORMAT " bytes", name, model_path, self->io.channels,
      self->io.height, self->io.width, n_classes,
      (guint64) cnn_model_arena_bytes (self->model));
  ret = TRUE;

done:
  if (!ret)
    free_model_state (self);
  g_free (model_path);
  g_free (labels_path);
  g_free (input_size);
  g_free (output_name);
  return ret;
}

static gboolean
gst_cnn_classify_stop (GstBaseTransform * trans)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (trans);

  gst_cnn_swap_cancel (self->swap);
  free_model_state (self);
  return TRUE;
}

/* ------------------------------------------------------------------------------------ */
/* Streaming */

/* Everything that depends on the frame: preprocessing for @in_info and, with
 * keep-aspect-ratio, the model's input width (prepared again, no reload). The async worker
 * passes tensors of the input's size: it is (re)started at the size that results when
 * @async. FALSE after an error. */
static gboolean
configure_for_frame (GstCnnClassify * self, const GstVideoInfo * in_info, gboolean async)
{
  GstCnnPreprocessParams params;

  GST_OBJECT_LOCK (self);
  gst_cnn_settings_resolve_preprocess (&self->settings, &self->metadata, &params);
  self->preprocess_dirty = FALSE;
  GST_OBJECT_UNLOCK (self);
  gst_cnn_model_io_adjust_params (&self->io, &params);

  if (self->io.max_width > 0) {
    gdouble disp_w = GST_VIDEO_INFO_WIDTH (in_info);
    gint width;

    if (GST_VIDEO_INFO_PAR_N (in_info) > 0 && GST_VIDEO_INFO_PAR_D (in_info) > 0)
      disp_w = disp_w * GST_VIDEO_INFO_PAR_N (in_info) / GST_VIDEO_INFO_PAR_D (in_info);
    width = gst_cnn_model_io_aspect_width (&self->io, disp_w,
        GST_VIDEO_INFO_HEIGHT (in_info));
    if (width != self->io.width) {
      GST_DEBUG_OBJECT (self, "keep-aspect-ratio: input width %d -> %d", self->io.width,
          width);
      g_clear_pointer (&self->worker, gst_cnn_worker_free);     /* a run in flight ends */
      if (!gst_cnn_model_io_set_width (&self->io, GST_ELEMENT (self), self->model,
              self->model_source, width))
        return FALSE;
      /* What is sized for the input: preprocessing (frame and regions) and the map. */
      gst_cnn_preprocess_clear (&self->pre);
      gst_cnn_regions_clear (&self->regions);
      gst_cnn_cam_clear (&self->cam);
      if (!gst_cnn_preprocess_init (&self->pre, self->io.channels, self->io.height,
              self->io.width) || !gst_cnn_regions_init (&self->regions, self->io.channels,
              self->io.height, self->io.width) || !gst_cnn_cam_init (&self->cam,
              self->model)) {
        GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("Out of memory."), (NULL));
        return FALSE;
      }
    }
  }

  if (!gst_cnn_preprocess_configure (&self->pre, in_info, &params)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("cannot preprocess %s %dx%d for model \"%s\"", GST_VIDEO_INFO_NAME (in_info),
            GST_VIDEO_INFO_WIDTH (in_info), GST_VIDEO_INFO_HEIGHT (in_info),
            self->model_source));
    return FALSE;
  }
  if (async && self->worker == NULL
      && (self->worker = gst_cnn_worker_new (self->model, &self->io,
              &self->results)) == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not start the inference thread for model \"%s\".", self->model_source),
        (NULL));
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "%s %dx%d -> %dx%dx%d", GST_VIDEO_INFO_NAME (in_info),
      GST_VIDEO_INFO_WIDTH (in_info), GST_VIDEO_INFO_HEIGHT (in_info), self->io.channels,
      self->io.height, self->io.width);
  return TRUE;
}

static gboolean
gst_cnn_classify_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (filter);

  if (self->model == NULL)
    return FALSE;
  return configure_for_frame (self, in_info, self->worker != NULL);
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

/* async-inference: the worker's latest result, if any, goes on @buf (the next outgoing
 * buffer) and in a message; @buf NULL at EOS, where only the message goes out. */
static GstFlowReturn
deliver_async_result (GstCnnClassify * self, GstBuffer * buf)
{
  gboolean post_messages;
  gchar *model_name;
  GstFlowReturn ret;

  GST_OBJECT_LOCK (self);
  post_messages = self->post_messages;
  model_name = g_strdup (self->model_name);
  GST_OBJECT_UNLOCK (self);
  ret = gst_cnn_worker_deliver (self->worker, GST_BASE_TRANSFORM (self), buf,
      self->model_source, model_name, post_messages);
  g_free (model_name);
  return ret;
}

static GstFlowReturn
classify_frame (GstCnnClassify * self, GstVideoFrame * frame, GstBuffer * buf)
{
  GstVideoFilter *filter = GST_VIDEO_FILTER (self);
  GstCnnResults *res = &self->results;
  GstCnnPreprocessParams params;
  GstCnnWorkerJob job;
  gboolean reconfigure, reannounce;
  guint n;
  gboolean post_messages;
  gchar *model_name;
  GstCnnRegionSettings regions;
  GstCnnClassificationMeta *meta;
  gboolean activation_map;
  cnn_error err;
  cnn_status status;
  gint64 t_pre, t0, t1;
  GstClockTime inference_time, pts = GST_BUFFER_PTS (buf);
  GstFlowReturn ret = GST_FLOW_OK;

  /* Settings to locals; the network runs without the lock. */
  GST_OBJECT_LOCK (self);
  job.top_k = self->top_k;
  job.threshold = self->threshold;
  job.smoothing = self->smoothing;
  job.threads = self->threads;
  job.output = gst_cnn_settings_resolve_output (&self->settings, &self->metadata);
  post_messages = self->post_messages;
  activation_map = self->activation_map;
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
  job.reset_smoothing = self->reset_smoothing;
  self->reset_smoothing = FALSE;

  if (reconfigure)
    gst_cnn_model_io_adjust_params (&self->io, &params);
  if (reconfigure && !gst_cnn_preprocess_configure (&self->pre, &filter->in_info, &params)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL), ("preprocessing setup failed"));
    ret = GST_FLOW_NOT_NEGOTIATED;
    goto done;
  }

  if (regions.inference_region == GST_CNN_INFERENCE_REGION_ROI_LIST) {
    /* Regions are classified here, on the streaming thread: an async worker finishes
     * its run first, as it is the model's other user. */
    GstCnnRegionJob region_job = { GST_BASE_TRANSFORM (self), self->model,
      self->model_source, &self->io, res, job.output, job.top_k, job.threshold,
      post_messages, model_name, &params, &regions, activation_map ? &self->cam : NULL
    };

    if (self->worker != NULL)
      gst_cnn_worker_drain (self->worker);
    gst_cnn_model_io_adjust_params (&self->io, &params);
    apply_threads (self, job.threads);
    ret = gst_cnn_regions_classify (&self->regions, &region_job, frame, buf);
    goto done;
  }

  if (self->worker != NULL) {
    /* The worker runs the network; the frame goes on at once. */
    job.pts = pts;
    job.running_time = gst_segment_to_running_time (&GST_BASE_TRANSFORM (self)->segment,
        GST_FORMAT_TIME, pts);
    gst_cnn_preprocess_run (&self->pre, frame, gst_cnn_worker_staging (self->worker));
    if (gst_cnn_worker_submit (self->worker, &job))
      GST_LOG_OBJECT (self, "worker busy: %" GST_TIME_FORMAT " replaces the waiting frame",
          GST_TIME_ARGS (pts));
    goto done;
  }

  apply_threads (self, job.threads);
  if (job.reset_smoothing)
    gst_cnn_results_reset_smoothing (res);

  t_pre = g_get_monotonic_time ();
  gst_cnn_preprocess_run (&self->pre, frame, self->io.nchw);

  t0 = g_get_monotonic_time ();
  status = gst_cnn_model_io_run (&self->io, self->model, self->io.nchw, res->scores, &err);
  t1 = g_get_monotonic_time ();
  if (status != CNN_STATUS_OK) {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED,
        ("Inference with model \"%s\" failed (%s).", self->model_source,
            cnn_status_string (status)), ("%s", err.message));
    ret = GST_FLOW_ERROR;
    goto done;
  }
  inference_time = (GstClockTime) (t1 - t0) * GST_USECOND;
  GST_OBJECT_LOCK (self);
  reannounce = gst_cnn_timing_record (&self->timing, inference_time);
  GST_OBJECT_UNLOCK (self);
  if (reannounce)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_latency (GST_OBJECT (self)));

  n = gst_cnn_results_select_smoothed (res, job.output, job.top_k, job.threshold,
      job.smoothing);
  meta = gst_cnn_results_attach (res, buf, pts, 0, model_name, inference_time, -1);
  if (activation_map)
    gst_cnn_cam_attach (&self->cam, GST_ELEMENT (self), self->model, self->model_source,
        &self->pre, GST_VIDEO_INFO_WIDTH (&filter->in_info),
        GST_VIDEO_INFO_HEIGHT (&filter->in_info), meta);

  GST_LOG_OBJECT (self, "%" GST_TIME_FORMAT ": %s (%.3f), preprocessing %"
      G_GINT64_FORMAT " us, inference %" G_GINT64_FORMAT " us",
      GST_TIME_ARGS (pts), n ? res->labels[res->top[0]] : "-",
      n ? res->probs[res->top[0]] : 0.0f, t0 - t_pre, t1 - t0);

  if (post_messages)
    gst_cnn_results_post (res, GST_BASE_TRANSFORM (self), buf, pts, 0, model_name,
        inference_time);
done:
  gst_cnn_region_settings_clear (&regions);
  g_free (model_name);
  return ret;
}

#define SWAP(a, b) G_STMT_START { __typeof__ (a) _t = (a); (a) = (b); (b) = _t; } G_STMT_END

/* A model loaded by gstcnnswap.c: its state and ours change places between two frames
 * (the old state leaves with @loaded), or the old model keeps running with a warning. */
static gboolean
swap_in_model (GstCnnClassify * self)
{
  GstVideoFilter *filter = GST_VIDEO_FILTER (self);
  GstCnnClassify *loaded;
  GstElement *element = NULL;
  gchar *path = NULL, *error = NULL, **warnings = NULL, **w;
  gboolean ok = TRUE, async;

  if (!gst_cnn_swap_take (self->swap, &element, &path, &error, &warnings))
    return TRUE;
  for (w = warnings; w && *w; w++)
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS, ("New model \"%s\": %s", path, *w),
        (NULL));
  if (element == NULL) {
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("Could not switch to model \"%s\"; keeping \"%s\".", path, self->model_source),
        ("%s", error));
    /* The properties name the model that runs. */
    GST_OBJECT_LOCK (self);
    g_free (self->model_path);
    self->model_path = g_strdup (self->model_source);
    GST_OBJECT_UNLOCK (self);
    goto done;
  }

  loaded = GST_CNN_CLASSIFY (element);
  async = self->worker != NULL;
  g_clear_pointer (&self->worker, gst_cnn_worker_free);     /* a run in flight ends */
  SWAP (self->model, loaded->model);
  SWAP (self->model_source, loaded->model_source);
  SWAP (self->io, loaded->io);
  SWAP (self->metadata, loaded->metadata);
  SWAP (self->results, loaded->results);
  SWAP (self->tried_threads, loaded->tried_threads);
  SWAP (self->pre, loaded->pre);
  SWAP (self->regions, loaded->regions);
  SWAP (self->cam, loaded->cam);
  self->reset_smoothing = TRUE;

  GST_OBJECT_LOCK (self);
  SWAP (self->model_name, loaded->model_name);
  self->timing.expected = loaded->timing.expected;
  GST_OBJECT_UNLOCK (self);

  ok = configure_for_frame (self, &filter->in_info, async);
  if (ok)
    GST_INFO_OBJECT (self, "switched to model \"%s\"", path);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_latency (GST_OBJECT (self)));
  gst_object_unref (element);

done:
  g_free (path);
  g_free (error);
  g_strfreev (warnings);
  return ok;
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
  GstFlowReturn ret = GST_FLOW_OK;
  GstClockTime running_time;
  gboolean late;
  guint interval;

  if (G_UNLIKELY (!filter->negotiated || !self->pre.configured)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL), ("no caps negotiated"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (G_UNLIKELY (!swap_in_model (self)))
    return GST_FLOW_NOT_NEGOTIATED;
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
    self->reset_smoothing = TRUE;
  if (self->worker != NULL && (ret = deliver_async_result (self, buf)) != GST_FLOW_OK)
    return ret;

  /* inference-interval: frames in between pass with nothing attached. QoS: a frame
   * that is already late passes at once, unclassified. */
  running_time = gst_segment_to_running_time (&trans->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  GST_OBJECT_LOCK (self);
  interval = self->interval;
  late = self->frame_count % interval == 0 &&
      gst_cnn_timing_is_late (&self->timing, running_time, self->worker == NULL);
  GST_OBJECT_UNLOCK (self);
  if (self->frame_count++ % interval != 0)
    return GST_FLOW_OK;
  if (late) {
    GST_DEBUG_OBJECT (self, "late (QoS): %" GST_TIME_FORMAT " passes unclassified",
        GST_TIME_ARGS (running_time));
    return GST_FLOW_OK;
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

/* QoS events from downstream: remember from when on frames are late. */
static gboolean
gst_cnn_classify_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_QOS)
    gst_cnn_timing_qos_event (&self->timing, GST_OBJECT (self), event);
  return GST_BASE_TRANSFORM_CLASS (gst_cnn_classify_parent_class)->src_event (trans,
      event);
}

/* The latency upstream, plus the inference time each frame waits for (synchronous mode). */
static gboolean
gst_cnn_classify_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (trans);

  if (!GST_BASE_TRANSFORM_CLASS (gst_cnn_classify_parent_class)->query (trans, direction,
          query))
    return FALSE;
  if (direction == GST_PAD_SRC && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY)
    gst_cnn_timing_latency_query (&self->timing, GST_OBJECT (self), query,
        self->worker != NULL);
  return TRUE;
}

static gboolean
gst_cnn_classify_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_STOP:
      /* Results of frames from before the seek must not land on frames after it. */
      if (self->worker != NULL)
        gst_cnn_worker_flush (self->worker);
      self->frame_count = 0;
      self->reset_smoothing = TRUE;
      GST_OBJECT_LOCK (self);
      self->timing.earliest = GST_CLOCK_TIME_NONE;
      self->timing.have_qos = FALSE;
      GST_OBJECT_UNLOCK (self);
      break;
    case GST_EVENT_EOS:
      /* The last frames' result: no buffer follows to carry it, so a message only. */
      if (self->worker != NULL) {
        gst_cnn_worker_drain (self->worker);
        deliver_async_result (self, NULL);
      }
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_cnn_classify_parent_class)->sink_event (trans,
      event);
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
          "[1, C, H, W] or [1, H, W, C] tensor, C = 1 or 3 (dynamic H/W: see "
          "input-size); output: class scores [K], [1, K] or [1, K, 1, 1] (see output-name). "
          "Set while running, the new model is loaded in the background and swapped in "
          "between frames; a model that fails to load is warned about and the old one kept",
          DEFAULT_PROP_MODEL, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_LABELS,
      g_param_spec_string ("labels", "Labels",
          "Path of a text file with one class label per line (default: the model's "
          "cnn.labels metadata, else class numbers); set while running, the model is "
          "loaded again with them",
          DEFAULT_PROP_LABELS, rw | GST_PARAM_MUTABLE_PLAYING));
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
  g_object_class_install_property (gobject_class, PROP_INPUT_SIZE,
      g_param_spec_string ("input-size", "Input size",
          "\"WxH\" a model with dynamic height or width runs at (default: the model's "
          "cnn.input_size metadata, else 224x224 with a warning); ignored by fixed-size models",
          DEFAULT_PROP_INPUT_SIZE, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_KEEP_ASPECT_RATIO,
      g_param_spec_boolean ("keep-aspect-ratio", "Keep aspect ratio",
          "For models with dynamic height and width that end in global pooling: keep the "
          "input-size height and let the width follow each frame's aspect ratio, up to the "
          "input-size width; the model is prepared again when the caps change",
          DEFAULT_PROP_KEEP_ASPECT_RATIO, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_OUTPUT_NAME,
      g_param_spec_string ("output-name", "Output name",
          "Name of the model output holding the class scores (default: the first output "
          "shaped [K], [1, K] or [1, K, 1, 1])",
          DEFAULT_PROP_OUTPUT_NAME, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_ASYNC_INFERENCE,
      g_param_spec_boolean ("async-inference", "Asynchronous inference",
          "Run the network on the element's own thread: video passes without waiting, "
          "the newest frame is classified whenever the thread is free, and each result "
          "goes on the next outgoing buffer (its meta's source-pts names the frame)",
          DEFAULT_PROP_ASYNC_INFERENCE, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint ("inference-interval", "Inference interval",
          "Classify every Nth frame (the first after start or a flush, then every Nth); "
          "frames in between carry no meta and post no message",
          1, G_MAXINT, DEFAULT_PROP_INFERENCE_INTERVAL, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_SMOOTHING,
      g_param_spec_double ("smoothing", "Smoothing",
          "Exponential moving average of class confidences over classified frames: the "
          "share of the history kept (0 = none); reset on flush, discontinuity and new "
          "model. The top-k comes from the smoothed confidences",
          0.0, 1.0, DEFAULT_PROP_SMOOTHING, rw | GST_PARAM_MUTABLE_PLAYING));
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
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_cnn_classify_sink_event);
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_cnn_classify_src_event);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_cnn_classify_query);
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
  self->async_inference = DEFAULT_PROP_ASYNC_INFERENCE;
  self->interval = DEFAULT_PROP_INFERENCE_INTERVAL;
  self->smoothing = DEFAULT_PROP_SMOOTHING;
  self->swap = gst_cnn_swap_new ();
  gst_cnn_region_settings_init (&self->region_settings);

  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  /* GstVideoFilter turns QoS on, and GstBaseTransform would then drop late frames: here
   * a late frame only skips inference (src_event, transform_ip). */
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), FALSE);
}
