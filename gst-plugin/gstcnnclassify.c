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

#include "gstcnnclassify.h"

#include <math.h>
#include <string.h>

#include <cnn/cnn.h>

#include "gstcnnclassificationmeta.h"

GST_DEBUG_CATEGORY_STATIC (gst_cnn_classify_debug);
#define GST_CAT_DEFAULT gst_cnn_classify_debug

#define DEFAULT_PROP_MODEL NULL
#define DEFAULT_PROP_LABELS NULL
#define DEFAULT_PROP_TOP_K 5
#define DEFAULT_PROP_THRESHOLD 0.0
#define DEFAULT_PROP_OUTPUT GST_CNN_OUTPUT_AUTO
#define DEFAULT_PROP_MEAN NULL
#define DEFAULT_PROP_STD NULL
#define DEFAULT_PROP_VALUE_RANGE NULL
#define DEFAULT_PROP_COLOR_ORDER GST_CNN_COLOR_ORDER_RGB
#define DEFAULT_PROP_RESIZE_MODE GST_CNN_RESIZE_MODE_STRETCH
#define DEFAULT_PROP_PAD_VALUE 0
#define DEFAULT_PROP_THREADS 1
#define DEFAULT_PROP_POST_MESSAGES FALSE

/* Input size used when the model leaves height or width dynamic. */
#define DYNAMIC_INPUT_SIZE 224

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
};

/* Properties that have a model-metadata default: remember which ones the user set. */
enum
{
  SET_OUTPUT = 1 << 0,
  SET_COLOR_ORDER = 1 << 1,
  SET_RESIZE_MODE = 1 << 2,
  SET_PAD_VALUE = 1 << 3,
};

/* Preprocessing settings read from the model's metadata_props in start(). */
typedef struct
{
  gboolean has_color_order, has_resize_mode, has_pad_value, has_range, has_mean, has_std,
      has_output;
  GstCnnColorOrder color_order;
  GstCnnResizeMode resize_mode;
  guint pad_value;
  gfloat range[2], mean[3], std[3];
  GstCnnOutputActivation output;
} ModelDefaults;

struct _GstCnnClassify
{
  GstVideoFilter parent;

  /* Properties, under the object lock. Float lists are kept parsed and as canonical
   * strings (NULL = not set). */
  gchar *model_path;
  gchar *labels_path;
  guint top_k;
  gdouble threshold;
  GstCnnOutputActivation output;
  gchar *mean_str, *std_str, *range_str;
  gfloat mean[3], std[3], range[2];
  GstCnnColorOrder color_order;
  GstCnnResizeMode resize_mode;
  guint pad_value;
  gint threads;
  gboolean post_messages;
  guint set_flags;
  gboolean preprocess_dirty;    /* a preprocessing property changed since configure */
  gchar *model_name;            /* read-only property, set in start() */

  /* Model state: built in start(), used by the streaming thread, freed in stop(). */
  cnn_model *model;
  gchar *model_source;          /* path used in error messages */
  gint in_channels, in_height, in_width;
  gsize n_classes;
  gfloat *input;                /* in_channels * in_height * in_width */
  gfloat *scores;               /* n_classes, raw network output */
  gfloat *probs;                /* n_classes, after the output activation */
  guint *top;                   /* n_classes, indices of the best classes */
  gchar **labels;               /* n_classes, never NULL entries */
  ModelDefaults defaults;
  gint applied_threads;
  GstCnnPreprocess pre;
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

GType
gst_cnn_color_order_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_CNN_COLOR_ORDER_RGB, "Red, green, blue planes", "rgb"},
    {GST_CNN_COLOR_ORDER_BGR, "Blue, green, red planes", "bgr"},
    {GST_CNN_COLOR_ORDER_GRAY, "Luma replicated into every plane", "gray"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstCnnColorOrder", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_cnn_resize_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_CNN_RESIZE_MODE_STRETCH, "Scale to the input size, ignoring aspect ratio",
        "stretch"},
    {GST_CNN_RESIZE_MODE_CENTER_CROP,
        "Scale to cover the input keeping aspect ratio, crop the centre", "center-crop"},
    {GST_CNN_RESIZE_MODE_LETTERBOX,
        "Scale to fit inside the input keeping aspect ratio, pad with pad-value",
        "letterbox"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstCnnResizeMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_cnn_output_activation_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_CNN_OUTPUT_AUTO,
        "Softmax, unless the output already looks like probabilities "
          "(all in [0,1], summing to 1); sigmoid for a single output", "auto"},
    {GST_CNN_OUTPUT_NONE, "Report the raw scores", "none"},
    {GST_CNN_OUTPUT_SOFTMAX, "Softmax over all classes", "softmax"},
    {GST_CNN_OUTPUT_SIGMOID, "Sigmoid per class (multi-label)", "sigmoid"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstCnnOutputActivation", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ------------------------------------------------------------------------------------ */
/* Parsing helpers shared by properties and model metadata. */

/* "a,b,c" → up to max finite floats. */
static gboolean
parse_floats (const gchar * str, gfloat * out, gint max, gint * n_out)
{
  gchar **parts;
  gint n = 0, i;
  gboolean ok = TRUE;

  if (str == NULL)
    return FALSE;
  parts = g_strsplit (str, ",", -1);
  for (i = 0; parts[i] != NULL; i++) {
    gchar *s = g_strstrip (parts[i]), *end;
    gdouble v;

    if (n == max) {
      ok = FALSE;
      break;
    }
    v = g_ascii_strtod (s, &end);
    if (*s == '\0' || *end != '\0' || !isfinite (v)) {
      ok = FALSE;
      break;
    }
    out[n++] = (gfloat) v;
  }
  g_strfreev (parts);
  if (!ok || n == 0)
    return FALSE;
  *n_out = n;
  return TRUE;
}

/* Per-channel lists take one value (all channels) or three. */
static gboolean
parse_channel_list (const gchar * str, gfloat out[3], gboolean positive)
{
  gfloat v[3];
  gint n, i;

  if (!parse_floats (str, v, 3, &n) || n == 2)
    return FALSE;
  for (i = 0; i < 3; i++) {
    out[i] = v[n == 1 ? 0 : i];
    if (positive && !(out[i] > 0.0f))
      return FALSE;
  }
  return TRUE;
}

static gboolean
parse_range (const gchar * str, gfloat out[2])
{
  gint n;

  return parse_floats (str, out, 2, &n) && n == 2 && out[0] != out[1];
}

static gchar *
format_floats (const gfloat * v, gint n)
{
  GString *s = g_string_new (NULL);
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
  gint i;

  for (i = 0; i < n; i++) {
    if (i > 0)
      g_string_append_c (s, ',');
    g_string_append (s, g_ascii_formatd (buf, sizeof (buf), "%g", v[i]));
  }
  return g_string_free (s, FALSE);
}

static gboolean
parse_enum_nick (GType type, const gchar * str, gint * out)
{
  GEnumClass *klass = g_type_class_ref (type);
  gchar *nick = g_ascii_strdown (str, -1);
  GEnumValue *value;

  g_strstrip (nick);
  g_strdelimit (nick, "_", '-');
  value = g_enum_get_value_by_nick (klass, nick);
  if (value != NULL)
    *out = value->value;
  g_free (nick);
  g_type_class_unref (klass);
  return value != NULL;
}

static gchar *
format_dims (const cnn_tensor_info * info)
{
  GString *s = g_string_new ("[");
  gint i;

  for (i = 0; i < info->rank; i++)
    g_string_append_printf (s, i ? ", %" G_GINT64_FORMAT : "%" G_GINT64_FORMAT,
        (gint64) info->dims[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------------------------------ */
/* GObject */

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
      self->output = g_value_get_enum (value);
      self->set_flags |= SET_OUTPUT;
      break;
    case PROP_MEAN:
    case PROP_STD:
    case PROP_VALUE_RANGE:{
      const gchar *str = g_value_get_string (value);
      gchar **target = prop_id == PROP_MEAN ? &self->mean_str :
          prop_id == PROP_STD ? &self->std_str : &self->range_str;
      gfloat *parsed = prop_id == PROP_MEAN ? self->mean :
          prop_id == PROP_STD ? self->std : self->range;
      gint n = prop_id == PROP_VALUE_RANGE ? 2 : 3;
      gfloat v[3];
      gboolean ok;

      if (str == NULL || *str == '\0') {
        g_clear_pointer (target, g_free);
        self->preprocess_dirty = TRUE;
        break;
      }
      ok = prop_id == PROP_VALUE_RANGE ? parse_range (str, v) :
          parse_channel_list (str, v, prop_id == PROP_STD);
      if (!ok) {
        GST_WARNING_OBJECT (self, "ignoring invalid %s \"%s\"", pspec->name, str);
        break;
      }
      memcpy (parsed, v, n * sizeof (gfloat));
      g_free (*target);
      /* Keep one value as one value, so that it still reads like what was set. */
      *target = format_floats (v, (n == 3 && strchr (str, ',') == NULL) ? 1 : n);
      self->preprocess_dirty = TRUE;
      break;
    }
    case PROP_COLOR_ORDER:
      self->color_order = g_value_get_enum (value);
      self->set_flags |= SET_COLOR_ORDER;
      self->preprocess_dirty = TRUE;
      break;
    case PROP_RESIZE_MODE:
      self->resize_mode = g_value_get_enum (value);
      self->set_flags |= SET_RESIZE_MODE;
      self->preprocess_dirty = TRUE;
      break;
    case PROP_PAD_VALUE:
      self->pad_value = g_value_get_uint (value);
      self->set_flags |= SET_PAD_VALUE;
      self->preprocess_dirty = TRUE;
      break;
    case PROP_THREADS:
      self->threads = g_value_get_int (value);
      break;
    case PROP_POST_MESSAGES:
      self->post_messages = g_value_get_boolean (value);
      break;
    default:
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
      g_value_set_enum (value, self->output);
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
      g_value_set_enum (value, self->color_order);
      break;
    case PROP_RESIZE_MODE:
      g_value_set_enum (value, self->resize_mode);
      break;
    case PROP_PAD_VALUE:
      g_value_set_uint (value, self->pad_value);
      break;
    case PROP_THREADS:
      g_value_set_int (value, self->threads);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->post_messages);
      break;
    case PROP_MODEL_NAME:
      g_value_set_string (value, self->model_name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
free_model_state (GstCnnClassify * self)
{
  gsize i;

  g_clear_pointer (&self->model, cnn_model_destroy);
  g_clear_pointer (&self->model_source, g_free);
  if (self->labels != NULL) {
    for (i = 0; i < self->n_classes; i++)
      g_free (self->labels[i]);
    g_clear_pointer (&self->labels, g_free);
  }
  g_clear_pointer (&self->input, g_free);
  g_clear_pointer (&self->scores, g_free);
  g_clear_pointer (&self->probs, g_free);
  g_clear_pointer (&self->top, g_free);
  gst_cnn_preprocess_clear (&self->pre);
  memset (&self->defaults, 0, sizeof (self->defaults));
  self->n_classes = 0;
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

  G_OBJECT_CLASS (gst_cnn_classify_parent_class)->finalize (object);
}

/* ------------------------------------------------------------------------------------ */
/* start / stop: load and check the model */

static void
warn_bad_metadata (GstCnnClassify * self, const gchar * key, const gchar * value)
{
  GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
      ("Ignoring invalid metadata %s=\"%s\" in model \"%s\".", key, value,
          self->model_source), (NULL));
}

/* An enum from the model's metadata: FALSE (with a warning) when it is there but invalid. */
static gboolean
metadata_enum (GstCnnClassify * self, const gchar * key, GType type, gint * value)
{
  const gchar *v = cnn_model_metadata (self->model, key);

  if (v == NULL)
    return FALSE;
  if (parse_enum_nick (type, v, value))
    return TRUE;
  warn_bad_metadata (self, key, v);
  return FALSE;
}

static void
read_model_defaults (GstCnnClassify * self)
{
  ModelDefaults *d = &self->defaults;
  const gchar *v;
  gint e;


  memset (d, 0, sizeof (*d));
  if ((d->has_color_order = metadata_enum (self, "cnn.color_order", GST_TYPE_CNN_COLOR_ORDER,
              &e)))
    d->color_order = e;
  if ((d->has_resize_mode = metadata_enum (self, "cnn.resize_mode", GST_TYPE_CNN_RESIZE_MODE,
              &e)))
    d->resize_mode = e;
  if ((d->has_output = metadata_enum (self, "cnn.output", GST_TYPE_CNN_OUTPUT_ACTIVATION,
              &e)))
    d->output = e;
  if ((v = cnn_model_metadata (self->model, "cnn.pad_value")) != NULL) {
    gfloat f;
    gint n;

    if (parse_floats (v, &f, 1, &n) && f >= 0.0f && f <= 255.0f) {
      d->has_pad_value = TRUE;
      d->pad_value = (guint) lrintf (f);
    } else {
      warn_bad_metadata (self, "cnn.pad_value", v);
    }
  }
  if ((v = cnn_model_metadata (self->model, "cnn.value_range")) != NULL) {
    if (parse_range (v, d->range))
      d->has_range = TRUE;
    else
      warn_bad_metadata (self, "cnn.value_range", v);
  }
  if ((v = cnn_model_metadata (self->model, "cnn.mean")) != NULL) {
    if (parse_channel_list (v, d->mean, FALSE))
      d->has_mean = TRUE;
    else
      warn_bad_metadata (self, "cnn.mean", v);
  }
  if ((v = cnn_model_metadata (self->model, "cnn.std")) != NULL) {
    if (parse_channel_list (v, d->std, TRUE))
      d->has_std = TRUE;
    else
      warn_bad_metadata (self, "cnn.std", v);
  }
}

/* Property if set, else model metadata, else the documented default. Object lock held. */
static void
resolve_preprocess_params (GstCnnClassify * self, GstCnnPreprocessParams * p)
{
  const ModelDefaults *d = &self->defaults;
  gint c;

  p->color_order = (self->set_flags & SET_COLOR_ORDER) ? self->color_order :
      d->has_color_order ? d->color_order : DEFAULT_PROP_COLOR_ORDER;
  p->resize_mode = (self->set_flags & SET_RESIZE_MODE) ? self->resize_mode :
      d->has_resize_mode ? d->resize_mode : DEFAULT_PROP_RESIZE_MODE;
  p->pad_value = (self->set_flags & SET_PAD_VALUE) ? self->pad_value :
      d->has_pad_value ? d->pad_value : DEFAULT_PROP_PAD_VALUE;

  p->range_lo = 0.0f;
  p->range_hi = 1.0f;
  if (self->range_str != NULL) {
    p->range_lo = self->range[0];
    p->range_hi = self->range[1];
  } else if (d->has_range) {
    p->range_lo = d->range[0];
    p->range_hi = d->range[1];
  }
  for (c = 0; c < 3; c++) {
    p->mean[c] = self->mean_str ? self->mean[c] : d->has_mean ? d->mean[c] : 0.0f;
    p->std[c] = self->std_str ? self->std[c] : d->has_std ? d->std[c] : 1.0f;
  }
}

static GstCnnOutputActivation
resolve_output (GstCnnClassify * self)
{
  if (self->set_flags & SET_OUTPUT)
    return self->output;
  return self->defaults.has_output ? self->defaults.output : DEFAULT_PROP_OUTPUT;
}

/* Labels from the labels file, else the cnn.labels metadata; numbers fill the gaps. */
static gboolean
load_labels (GstCnnClassify * self, const gchar * labels_path)
{
  gchar *contents = NULL;
  gchar **lines = NULL;
  const gchar *source = NULL;
  GError *error = NULL;
  guint n_lines = 0;
  gsize i;

  if (labels_path != NULL) {
    if (!g_file_get_contents (labels_path, &contents, NULL, &error)) {
      if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
            ("Labels file \"%s\" not found.", labels_path), ("%s", error->message));
      else
        GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
            ("Could not read labels file \"%s\".", labels_path), ("%s", error->message));
      g_error_free (error);
      return FALSE;
    }
    source = labels_path;
  } else {
    contents = g_strdup (cnn_model_metadata (self->model, "cnn.labels"));
    source = "cnn.labels metadata";
  }

  if (contents != NULL) {
    gsize len = strlen (contents);

    /* A final newline ends the last label, it does not start an empty one. */
    if (len > 0 && contents[len - 1] == '\n')
      contents[len - 1] = '\0';
    lines = g_strsplit (contents, "\n", -1);
    n_lines = g_strv_length (lines);
    for (i = 0; i < n_lines; i++)
      g_strchomp (lines[i]);    /* CRLF files, trailing blanks */
    if (n_lines != self->n_classes) {
      GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
          ("Labels from %s: %u labels for %" G_GSIZE_FORMAT " classes in model \"%s\".",
              source, n_lines, self->n_classes, self->model_source),
          ("Classes without a label are reported by number."));
    }
  }

  self->labels = g_new0 (gchar *, self->n_classes);
  for (i = 0; i < self->n_classes; i++) {
    if (i < n_lines && lines[i][0] != '\0')
      self->labels[i] = g_strdup (lines[i]);
    else
      self->labels[i] = g_strdup_printf ("%" G_GSIZE_FORMAT, i);
  }
  g_strfreev (lines);
  g_free (contents);
  return TRUE;
}

/* Input must be one float32 [1, C, H, W] image with C = 1 or 3; dynamic H/W become 224. */
static gboolean
check_input (GstCnnClassify * self)
{
  cnn_tensor_info info;
  int64_t dims[4];
  gchar *shape = NULL, *reason = NULL;
  cnn_error err;
  gboolean dynamic = FALSE;
  gint i;

  if (cnn_model_input_count (self->model) != 1) {
    reason = g_strdup_printf ("it has %" G_GSIZE_FORMAT " inputs, expected one image",
        cnn_model_input_count (self->model));
    goto error;
  }
  if (cnn_model_input_info (self->model, 0, &info) != CNN_STATUS_OK) {
    reason = g_strdup ("its input cannot be queried");
    goto error;
  }
  shape = format_dims (&info);
  if (info.dtype != CNN_DTYPE_FLOAT32) {
    reason = g_strdup_printf ("input \"%s\" is %s, expected float32", info.name,
        cnn_dtype_string (info.dtype));
    goto error;
  }
  if (info.rank != 4 || (info.dims[0] != 1 && info.dims[0] != -1) ||
      (info.dims[1] != 1 && info.dims[1] != 3)) {
    reason = g_strdup_printf ("input \"%s\" has shape %s, expected an image "
        "[1, C, H, W] with C = 1 or 3", info.name, shape);
    goto error;
  }
  for (i = 0; i < 4; i++) {
    dims[i] = info.dims[i];
    if (dims[i] < 0) {
      dynamic = TRUE;
      dims[i] = i == 0 ? 1 : DYNAMIC_INPUT_SIZE;
    }
  }
  if (dynamic) {
    GST_INFO_OBJECT (self, "dynamic input %s, using [1, %" G_GINT64_FORMAT ", %"
        G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]", shape, (gint64) dims[1],
        (gint64) dims[2], (gint64) dims[3]);
    if (cnn_model_set_input_shape (self->model, 0, 4, dims, &err) != CNN_STATUS_OK) {
      reason = g_strdup (err.message);
      goto error;
    }
  }
  if (dims[2] > G_MAXINT / 4 || dims[3] > G_MAXINT / 4) {
    reason = g_strdup_printf ("input \"%s\" has shape %s, too large", info.name, shape);
    goto error;
  }
  self->in_channels = (gint) dims[1];
  self->in_height = (gint) dims[2];
  self->in_width = (gint) dims[3];
  g_free (shape);
  return TRUE;

error:
  GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
      ("Model \"%s\" is not an image classifier: %s.", self->model_source, reason), (NULL));
  g_free (reason);
  g_free (shape);
  return FALSE;
}

/* Output 0 must be a float32 class vector: [K], [1, K] or [1, K, 1, 1]. */
static gboolean
check_output (GstCnnClassify * self)
{
  cnn_tensor_info info;
  gchar *shape = NULL, *reason = NULL;
  int64_t k = -1;

  if (cnn_model_output_info (self->model, 0, &info) != CNN_STATUS_OK) {
    reason = g_strdup ("its output cannot be queried");
    goto error;
  }
  shape = format_dims (&info);
  if (cnn_model_output_count (self->model) > 1)
    GST_INFO_OBJECT (self, "model has %" G_GSIZE_FORMAT " outputs, using \"%s\"",
        cnn_model_output_count (self->model), info.name);
  if (info.dtype != CNN_DTYPE_FLOAT32) {
    reason = g_strdup_printf ("output \"%s\" is %s, expected float32", info.name,
        cnn_dtype_string (info.dtype));
    goto error;
  }
  if (info.rank == 1)
    k = info.dims[0];
  else if (info.rank == 2 && info.dims[0] == 1)
    k = info.dims[1];
  else if (info.rank == 4 && info.dims[0] == 1 && info.dims[2] == 1 && info.dims[3] == 1)
    k = info.dims[1];
  if (k < 1 || k > G_MAXINT) {
    reason = g_strdup_printf ("output \"%s\" has shape %s, expected a class vector "
        "[K], [1, K] or [1, K, 1, 1]", info.name, shape);
    goto error;
  }
  self->n_classes = (gsize) k;
  g_free (shape);
  return TRUE;

error:
  GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
      ("Model \"%s\" is not an image classifier: %s.", self->model_source, reason), (NULL));
  g_free (reason);
  g_free (shape);
  return FALSE;
}

static gboolean
gst_cnn_classify_start (GstBaseTransform * trans)
{
  GstCnnClassify *self = GST_CNN_CLASSIFY (trans);
  gchar *model_path, *labels_path, *name;
  const gchar *md_name;
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
  self->applied_threads = options.threads;

  if (!check_input (self))
    goto done;
  status = cnn_model_prepare (self->model, &err);
  if (status != CNN_STATUS_OK) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Could not prepare model \"%s\" (%s).", model_path, cnn_status_string (status)),
        ("%s", err.message));
    goto done;
  }
  if (!check_output (self))
    goto done;

  self->input = g_try_new (gfloat, (gsize) self->in_channels * self->in_height *
      self->in_width);
  self->scores = g_try_new (gfloat, self->n_classes);
  self->probs = g_try_new (gfloat, self->n_classes);
  self->top = g_try_new (guint, self->n_classes);
  if (self->input == NULL || self->scores == NULL || self->probs == NULL ||
      self->top == NULL || !gst_cnn_preprocess_init (&self->pre, self->in_channels,
          self->in_height, self->in_width)) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Out of memory for model \"%s\".", model_path), (NULL));
    goto done;
  }

  read_model_defaults (self);
  if (!load_labels (self, labels_path))
    goto done;

  md_name = cnn_model_metadata (self->model, "cnn.model_name");
  if (md_name != NULL && *md_name != '\0') {
    name = g_strdup (md_name);
  } else {
    gchar *base = g_path_get_basename (model_path);

    if (g_str_has_suffix (base, ".onnx"))
      base[strlen (base) - strlen (".onnx")] = '\0';
    name = base;
  }

  GST_OBJECT_LOCK (self);
  g_free (self->model_name);
  self->model_name = name;
  self->preprocess_dirty = TRUE;
  GST_OBJECT_UNLOCK (self);

  GST_INFO_OBJECT (self, "model \"%s\" (%s): input %dx%dx%d, %" G_GSIZE_FORMAT
      " classes, arena %" G_GUINT64_FORMAT " bytes", name, model_path, self->in_channels,
      self->in_height, self->in_width, self->n_classes,
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
  resolve_preprocess_params (self, &params);
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

/* Does the output already look like a probability distribution? */
static gboolean
looks_like_probabilities (const gfloat * v, gsize n)
{
  gdouble sum = 0.0;
  gsize i;

  for (i = 0; i < n; i++) {
    if (!(v[i] >= 0.0f && v[i] <= 1.0f))
      return FALSE;
    sum += v[i];
  }
  return n == 1 || fabs (sum - 1.0) < 1e-3;
}

static void
apply_activation (GstCnnOutputActivation act, const gfloat * in, gfloat * out, gsize n)
{
  gsize i;

  if (act == GST_CNN_OUTPUT_AUTO) {
    if (looks_like_probabilities (in, n))
      act = GST_CNN_OUTPUT_NONE;
    else
      act = n == 1 ? GST_CNN_OUTPUT_SIGMOID : GST_CNN_OUTPUT_SOFTMAX;
  }

  switch (act) {
    case GST_CNN_OUTPUT_SOFTMAX:{
      gfloat max = -INFINITY;
      gdouble sum = 0.0;

      for (i = 0; i < n; i++)
        max = MAX (max, in[i]);
      for (i = 0; i < n; i++) {
        out[i] = expf (in[i] - max);
        sum += out[i];
      }
      for (i = 0; i < n; i++)
        out[i] = (gfloat) (out[i] / sum);
      break;
    }
    case GST_CNN_OUTPUT_SIGMOID:
      for (i = 0; i < n; i++)
        out[i] = 1.0f / (1.0f + expf (-in[i]));
      break;
    case GST_CNN_OUTPUT_NONE:
    case GST_CNN_OUTPUT_AUTO:
    default:
      memcpy (out, in, n * sizeof (gfloat));
      break;
  }
}

/* The k best classes at or above threshold, best first; ties keep the lower index. */
static guint
select_top (const gfloat * probs, gsize n, guint k, gdouble threshold, guint * top)
{
  guint count = 0;
  gsize i;

  for (i = 0; i < n; i++) {
    gfloat p = probs[i];
    guint pos;

    if (!(p >= threshold))
      continue;
    if (count == k && !(p > probs[top[k - 1]]))
      continue;
    pos = count < k ? count++ : k - 1;
    while (pos > 0 && p > probs[top[pos - 1]]) {
      top[pos] = top[pos - 1];
      pos--;
    }
    top[pos] = (guint) i;
  }
  return count;
}

static void
append_to_array (GValue * array, GType type, gconstpointer data)
{
  GValue v = G_VALUE_INIT;

  g_value_init (&v, type);
  if (type == G_TYPE_INT)
    g_value_set_int (&v, *(const gint *) data);
  else if (type == G_TYPE_DOUBLE)
    g_value_set_double (&v, *(const gdouble *) data);
  else
    g_value_set_string (&v, data);
  gst_value_array_append_and_take_value (array, &v);
}

static void
post_result (GstCnnClassify * self, GstBuffer * buf, const gchar * model_name,
    guint n, GstClockTime inference_time)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstClockTime pts = GST_BUFFER_PTS (buf);
  GstStructure *s;
  GValue ids = G_VALUE_INIT, labels = G_VALUE_INIT, confidences = G_VALUE_INIT;
  guint i;

  s = gst_structure_new ("cnnclassify",
      "timestamp", G_TYPE_UINT64, pts,
      "stream-time", G_TYPE_UINT64,
      gst_segment_to_stream_time (&trans->segment, GST_FORMAT_TIME, pts),
      "running-time", G_TYPE_UINT64,
      gst_segment_to_running_time (&trans->segment, GST_FORMAT_TIME, pts),
      "duration", G_TYPE_UINT64, GST_BUFFER_DURATION (buf),
      "model-name", G_TYPE_STRING, model_name,
      "inference-time", G_TYPE_UINT64, inference_time, NULL);

  if (n > 0) {
    guint best = self->top[0];

    gst_structure_set (s, "class-id", G_TYPE_INT, (gint) best,
        "label", G_TYPE_STRING, self->labels[best],
        "confidence", G_TYPE_DOUBLE, (gdouble) self->probs[best], NULL);
  }

  g_value_init (&ids, GST_TYPE_ARRAY);
  g_value_init (&labels, GST_TYPE_ARRAY);
  g_value_init (&confidences, GST_TYPE_ARRAY);
  for (i = 0; i < n; i++) {
    gint id = (gint) self->top[i];
    gdouble p = self->probs[id];

    append_to_array (&ids, G_TYPE_INT, &id);
    append_to_array (&labels, G_TYPE_STRING, self->labels[id]);
    append_to_array (&confidences, G_TYPE_DOUBLE, &p);
  }
  gst_structure_take_value (s, "class-ids", &ids);
  gst_structure_take_value (s, "labels", &labels);
  gst_structure_take_value (s, "confidences", &confidences);

  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static GstFlowReturn
classify_frame (GstCnnClassify * self, GstVideoFrame * frame, GstBuffer * buf)
{
  GstVideoFilter *filter = GST_VIDEO_FILTER (self);
  GstCnnPreprocessParams params;
  gboolean reconfigure;
  guint top_k, n, i;
  gdouble threshold;
  gboolean post_messages;
  gint threads;
  GstCnnOutputActivation output;
  gchar *model_name;
  const void *inputs[1];
  void *outputs[1];
  cnn_error err;
  cnn_status status;
  gint64 t_pre, t0, t1;
  GstClockTime inference_time;
  GstCnnClassificationMeta *meta;

  /* Settings to locals; the network runs without the lock. */
  GST_OBJECT_LOCK (self);
  top_k = self->top_k;
  threshold = self->threshold;
  post_messages = self->post_messages;
  threads = self->threads;
  output = resolve_output (self);
  reconfigure = self->preprocess_dirty;
  if (reconfigure) {
    resolve_preprocess_params (self, &params);
    self->preprocess_dirty = FALSE;
  }
  model_name = g_strdup (self->model_name);
  GST_OBJECT_UNLOCK (self);

  if (reconfigure && !gst_cnn_preprocess_configure (&self->pre, &filter->in_info, &params)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL), ("preprocessing setup failed"));
    g_free (model_name);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (threads != self->applied_threads) {
    if (cnn_model_set_threads (self->model, threads, &err) == CNN_STATUS_OK)
      self->applied_threads = threads;
    else
      GST_WARNING_OBJECT (self, "cannot use %d threads: %s", threads, err.message);
  }

  t_pre = g_get_monotonic_time ();
  gst_cnn_preprocess_run (&self->pre, frame, self->input);

  inputs[0] = self->input;
  outputs[0] = self->scores;
  t0 = g_get_monotonic_time ();
  status = cnn_model_run (self->model, inputs, outputs, &err);
  t1 = g_get_monotonic_time ();
  if (status != CNN_STATUS_OK) {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED,
        ("Inference with model \"%s\" failed (%s).", self->model_source,
            cnn_status_string (status)), ("%s", err.message));
    g_free (model_name);
    return GST_FLOW_ERROR;
  }
  inference_time = (GstClockTime) (t1 - t0) * GST_USECOND;

  apply_activation (output, self->scores, self->probs, self->n_classes);
  n = select_top (self->probs, self->n_classes, MIN (top_k, self->n_classes), threshold,
      self->top);

  meta = gst_buffer_add_cnn_classification_meta (buf, model_name, inference_time);
  for (i = 0; i < n; i++)
    gst_cnn_classification_meta_add_entry (meta, (gint) self->top[i],
        self->labels[self->top[i]], self->probs[self->top[i]]);

  GST_LOG_OBJECT (self, "%" GST_TIME_FORMAT ": %s (%.3f), preprocessing %"
      G_GINT64_FORMAT " us, inference %" G_GINT64_FORMAT " us",
      GST_TIME_ARGS (GST_BUFFER_PTS (buf)), n ? self->labels[self->top[0]] : "-",
      n ? self->probs[self->top[0]] : 0.0f, t0 - t_pre, t1 - t0);

  if (post_messages)
    post_result (self, buf, model_name, n, inference_time);
  g_free (model_name);
  return GST_FLOW_OK;
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
          "Worker threads for inference (0 = one per CPU)", 0, 1024,
          DEFAULT_PROP_THREADS, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post a \"cnnclassify\" element message on the bus for every frame",
          DEFAULT_PROP_POST_MESSAGES, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MODEL_NAME,
      g_param_spec_string ("model-name", "Model name",
          "Name of the loaded model (cnn.model_name metadata, else the file name)",
          NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

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
}

static void
gst_cnn_classify_init (GstCnnClassify * self)
{
  self->top_k = DEFAULT_PROP_TOP_K;
  self->threshold = DEFAULT_PROP_THRESHOLD;
  self->output = DEFAULT_PROP_OUTPUT;
  self->color_order = DEFAULT_PROP_COLOR_ORDER;
  self->resize_mode = DEFAULT_PROP_RESIZE_MODE;
  self->pad_value = DEFAULT_PROP_PAD_VALUE;
  self->threads = DEFAULT_PROP_THREADS;
  self->post_messages = DEFAULT_PROP_POST_MESSAGES;
  self->mean[0] = self->mean[1] = self->mean[2] = 0.0f;
  self->std[0] = self->std[1] = self->std[2] = 1.0f;
  self->range[0] = 0.0f;
  self->range[1] = 1.0f;

  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
