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

/* This file holds the GObject side: properties and the vfuncs. The model's state lives in
 * gstcnnclassifymodel.c and each frame's work in gstcnnclassifyframe.c; they call into
 * gstcnnsettings.c (what the settings and the model's metadata mean, labels),
 * gstcnnmodelio.c (model input and output forms), preprocess.c (frame → tensor),
 * gstcnnresults.c (scores → meta, messages) and the helpers beside them. */

#include "gstcnnclassifyprivate.h"

/* Not static: the element's other files log to it too. */
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
#define DEFAULT_PROP_PRECISION GST_CNN_PRECISION_FP32

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
  PROP_PRECISION,
  /* Last: GST_CNN_REGION_N_PROPERTIES of them, handled by gstcnnregions.c. */
  PROP_REGIONS_FIRST,
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
    case PROP_PRECISION:
      self->precision = g_value_get_enum (value);
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
    case PROP_PRECISION:
      g_value_set_enum (value, self->precision);
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
gst_cnn_classify_finalize (GObject * object)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (object);

  gst_cnn_swap_free (self->swap);
  gst_cnn_classify_free_model (self);
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
/* start / stop: load and check the model (gstcnnclassifymodel.c) */

static gboolean
gst_cnn_classify_start (GstBaseTransform * trans)
{
  return gst_cnn_classify_load_model (GST_CNN_CLASSIFY (trans));
}

static gboolean
gst_cnn_classify_stop (GstBaseTransform * trans)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (trans);

  gst_cnn_swap_cancel (self->swap);
  gst_cnn_classify_free_model (self);
  return TRUE;
}

/* ------------------------------------------------------------------------------------ */
/* Streaming: frames go to gstcnnclassifyframe.c */

static gboolean
gst_cnn_classify_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (filter);

  if (self->model == NULL)
    return FALSE;
  return gst_cnn_classify_configure_for_frame (self, in_info, self->worker != NULL);
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
  if (G_UNLIKELY (!gst_cnn_classify_swap_in_model (self)))
    return GST_FLOW_NOT_NEGOTIATED;
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
    self->reset_smoothing = TRUE;
  if (self->worker != NULL && (ret = gst_cnn_classify_deliver_async_result (self, buf)) != GST_FLOW_OK)
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
  ret = gst_cnn_classify_frame (self, &frame, buf);
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
        gst_cnn_classify_deliver_async_result (self, NULL);
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
  g_object_class_install_property (gobject_class, PROP_PRECISION,
      g_param_spec_enum ("precision", "Precision",
          "Arithmetic of convolutions: bf16 multiplies in bfloat16 and sums in float32 "
          "(faster, about 1e-2 relative error; needs AVX512_BF16, else fp32 with a warning)",
          GST_TYPE_CNN_PRECISION, DEFAULT_PROP_PRECISION, rw | GST_PARAM_MUTABLE_READY));
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
  gst_type_mark_as_plugin_api (GST_TYPE_CNN_PRECISION, 0);
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
  self->precision = DEFAULT_PROP_PRECISION;
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

