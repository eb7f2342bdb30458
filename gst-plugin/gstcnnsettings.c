/* gstcnnsettings.c — cnnclassify's settings: property strings, model metadata, labels and
 * the model checks. See gstcnnsettings.h.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "gstcnnsettings.h"

#include <math.h>
#include <string.h>

/* Messages go to the element's category. */
GST_DEBUG_CATEGORY_EXTERN (gst_cnn_classify_debug);
#define GST_CAT_DEFAULT gst_cnn_classify_debug

/* G_DEFINE_ENUM_VALUE would use the C name as the description that gst-inspect shows:
 * the rows are written out to keep a description a user can read. */
G_DEFINE_ENUM_TYPE (GstCnnColorOrder, gst_cnn_color_order,
    {GST_CNN_COLOR_ORDER_RGB, "Red, green, blue planes", "rgb"},
    {GST_CNN_COLOR_ORDER_BGR, "Blue, green, red planes", "bgr"},
    {GST_CNN_COLOR_ORDER_GRAY, "Luma replicated into every plane", "gray"});

G_DEFINE_ENUM_TYPE (GstCnnResizeMode, gst_cnn_resize_mode,
    {GST_CNN_RESIZE_MODE_STRETCH, "Scale to the input size, ignoring aspect ratio",
        "stretch"},
    {GST_CNN_RESIZE_MODE_CENTER_CROP,
        "Scale to cover the input keeping aspect ratio, crop the centre", "center-crop"},
    {GST_CNN_RESIZE_MODE_LETTERBOX,
        "Scale to fit inside the input keeping aspect ratio, pad with pad-value",
        "letterbox"},
    {GST_CNN_RESIZE_MODE_LETTERBOX_TOP_LEFT,
        "Like letterbox, but the picture at the top-left and the padding right and bottom "
        "(how OCR line classifiers are trained)", "letterbox-top-left"});

G_DEFINE_ENUM_TYPE (GstCnnPrecision, gst_cnn_precision,
    {GST_CNN_PRECISION_FP32, "32-bit float", "fp32"},
    {GST_CNN_PRECISION_BF16,
        "bfloat16 products with float32 sums (AVX512_BF16; fp32 elsewhere)", "bf16"});

G_DEFINE_ENUM_TYPE (GstCnnOutputActivation, gst_cnn_output_activation,
    {GST_CNN_OUTPUT_AUTO,
        "Softmax, unless the output already looks like probabilities "
          "(all in [0,1], summing to 1); sigmoid for a single output", "auto"},
    {GST_CNN_OUTPUT_NONE, "Report the raw scores", "none"},
    {GST_CNN_OUTPUT_SOFTMAX, "Softmax over all classes", "softmax"},
    {GST_CNN_OUTPUT_SIGMOID, "Sigmoid per class (multi-label)", "sigmoid"});

static const GstCnnSettings plain_defaults = {
  .given = 0,
  .output = GST_CNN_DEFAULT_OUTPUT,
  .color_order = GST_CNN_DEFAULT_COLOR_ORDER,
  .resize_mode = GST_CNN_DEFAULT_RESIZE_MODE,
  .pad_value = GST_CNN_DEFAULT_PAD_VALUE,
  .range = {0.0f, 1.0f},
  .mean = {0.0f, 0.0f, 0.0f},
  .std = {1.0f, 1.0f, 1.0f},
};

void
gst_cnn_settings_init (GstCnnSettings * s)
{
  *s = plain_defaults;
}

/* ------------------------------------------------------------------------------------ */
/* Parsing, shared by properties and model metadata */

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

/* The value-range, mean or std list (@which) of @str into @out (2 or 3 floats). */
static gboolean
parse_list (GstCnnSettingFlags which, const gchar * str, gfloat * out)
{
  if (which == GST_CNN_SETTING_VALUE_RANGE)
    return parse_range (str, out);
  return parse_channel_list (str, out, which == GST_CNN_SETTING_STD);
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

static gfloat *
list_of (GstCnnSettings * s, GstCnnSettingFlags which)
{
  return which == GST_CNN_SETTING_VALUE_RANGE ? s->range :
      which == GST_CNN_SETTING_MEAN ? s->mean : s->std;
}

gboolean
gst_cnn_settings_set_list (GstCnnSettings * s, GstCnnSettingFlags which,
    const gchar * str, gchar ** canonical)
{
  gint n = which == GST_CNN_SETTING_VALUE_RANGE ? 2 : 3;
  gfloat v[3];

  g_return_val_if_fail (which == GST_CNN_SETTING_VALUE_RANGE ||
      which == GST_CNN_SETTING_MEAN || which == GST_CNN_SETTING_STD, FALSE);

  if (str == NULL || *str == '\0') {
    s->given &= ~which;
    g_clear_pointer (canonical, g_free);
    return TRUE;
  }
  if (!parse_list (which, str, v))
    return FALSE;
  memcpy (list_of (s, which), v, n * sizeof (gfloat));
  s->given |= which;
  g_free (*canonical);
  /* Keep one value as one value, so that it still reads like what was set. */
  *canonical = format_floats (v, (n == 3 && strchr (str, ',') == NULL) ? 1 : n);
  return TRUE;
}

/* ------------------------------------------------------------------------------------ */
/* Model metadata */

static void
warn_bad_metadata (GstElement * element, const gchar * source, const gchar * key,
    const gchar * value)
{
  GST_ELEMENT_WARNING (element, LIBRARY, SETTINGS,
      ("Ignoring invalid metadata %s=\"%s\" in model \"%s\".", key, value, source), (NULL));
}

/* An enum from the model's metadata: FALSE (with a warning) when it is there but invalid. */
static gboolean
metadata_enum (GstElement * element, const cnn_model * model, const gchar * source,
    const gchar * key, GType type, gint * value)
{
  const gchar *v = cnn_model_metadata (model, key);

  if (v == NULL)
    return FALSE;
  if (parse_enum_nick (type, v, value))
    return TRUE;
  warn_bad_metadata (element, source, key, v);
  return FALSE;
}

/* A value-range, mean or std list from the model's metadata. */
static void
metadata_list (GstCnnSettings * s, GstElement * element, const cnn_model * model,
    const gchar * source, const gchar * key, GstCnnSettingFlags which)
{
  const gchar *v = cnn_model_metadata (model, key);

  if (v == NULL)
    return;
  if (parse_list (which, v, list_of (s, which)))
    s->given |= which;
  else
    warn_bad_metadata (element, source, key, v);
}

void
gst_cnn_settings_read_metadata (GstCnnSettings * s, GstElement * element,
    const cnn_model * model, const gchar * source)
{
  const gchar *v;
  gint e;

  gst_cnn_settings_init (s);
  if (metadata_enum (element, model, source, "cnn.color_order", GST_TYPE_CNN_COLOR_ORDER,
          &e)) {
    s->color_order = e;
    s->given |= GST_CNN_SETTING_COLOR_ORDER;
  }
  if (metadata_enum (element, model, source, "cnn.resize_mode", GST_TYPE_CNN_RESIZE_MODE,
          &e)) {
    s->resize_mode = e;
    s->given |= GST_CNN_SETTING_RESIZE_MODE;
  }
  if (metadata_enum (element, model, source, "cnn.output",
          GST_TYPE_CNN_OUTPUT_ACTIVATION, &e)) {
    s->output = e;
    s->given |= GST_CNN_SETTING_OUTPUT;
  }
  if ((v = cnn_model_metadata (model, "cnn.pad_value")) != NULL) {
    gfloat f;
    gint n;

    if (parse_floats (v, &f, 1, &n) && f >= 0.0f && f <= 255.0f) {
      s->pad_value = (guint) lrintf (f);
      s->given |= GST_CNN_SETTING_PAD_VALUE;
    } else {
      warn_bad_metadata (element, source, "cnn.pad_value", v);
    }
  }
  metadata_list (s, element, model, source, "cnn.value_range",
      GST_CNN_SETTING_VALUE_RANGE);
  metadata_list (s, element, model, source, "cnn.mean", GST_CNN_SETTING_MEAN);
  metadata_list (s, element, model, source, "cnn.std", GST_CNN_SETTING_STD);
}

/* Where a setting comes from: the properties, else the metadata, else the defaults. */
static const GstCnnSettings *
pick (const GstCnnSettings * props, const GstCnnSettings * metadata,
    GstCnnSettingFlags which)
{
  if (props->given & which)
    return props;
  if (metadata->given & which)
    return metadata;
  return &plain_defaults;
}

void
gst_cnn_settings_resolve_preprocess (const GstCnnSettings * props,
    const GstCnnSettings * metadata, GstCnnPreprocessParams * p)
{
  const GstCnnSettings *range = pick (props, metadata, GST_CNN_SETTING_VALUE_RANGE);
  const GstCnnSettings *mean = pick (props, metadata, GST_CNN_SETTING_MEAN);
  const GstCnnSettings *std = pick (props, metadata, GST_CNN_SETTING_STD);
  gint c;

  p->color_order = pick (props, metadata, GST_CNN_SETTING_COLOR_ORDER)->color_order;
  p->resize_mode = pick (props, metadata, GST_CNN_SETTING_RESIZE_MODE)->resize_mode;
  p->pad_value = pick (props, metadata, GST_CNN_SETTING_PAD_VALUE)->pad_value;
  p->range_lo = range->range[0];
  p->range_hi = range->range[1];
  for (c = 0; c < 3; c++) {
    p->mean[c] = mean->mean[c];
    p->std[c] = std->std[c];
  }
}

GstCnnOutputActivation
gst_cnn_settings_resolve_output (const GstCnnSettings * props,
    const GstCnnSettings * metadata)
{
  return pick (props, metadata, GST_CNN_SETTING_OUTPUT)->output;
}

gchar *
gst_cnn_model_name (const cnn_model * model, const gchar * path)
{
  const gchar *md_name = cnn_model_metadata (model, "cnn.model_name");
  gchar *base;

  if (md_name != NULL && *md_name != '\0')
    return g_strdup (md_name);
  base = g_path_get_basename (path);
  if (g_str_has_suffix (base, ".onnx"))
    base[strlen (base) - strlen (".onnx")] = '\0';
  return base;
}

/* ------------------------------------------------------------------------------------ */
/* Labels */

gchar **
gst_cnn_load_labels (GstElement * element, const cnn_model * model, const gchar * source,
    const gchar * labels_path, gsize n_classes)
{
  gchar *contents = NULL;
  gchar **lines = NULL, **labels;
  const gchar *from = NULL;
  GError *error = NULL;
  guint n_lines = 0;
  gsize i;

  if (labels_path != NULL) {
    if (!g_file_get_contents (labels_path, &contents, NULL, &error)) {
      if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        GST_ELEMENT_ERROR (element, RESOURCE, NOT_FOUND,
            ("Labels file \"%s\" not found.", labels_path), ("%s", error->message));
      else
        GST_ELEMENT_ERROR (element, RESOURCE, OPEN_READ,
            ("Could not read labels file \"%s\".", labels_path), ("%s", error->message));
      g_error_free (error);
      return NULL;
    }
    from = labels_path;
  } else {
    contents = g_strdup (cnn_model_metadata (model, "cnn.labels"));
    from = "cnn.labels metadata";
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
    if (n_lines != n_classes) {
      GST_ELEMENT_WARNING (element, RESOURCE, SETTINGS,
          ("Labels from %s: %u labels for %" G_GSIZE_FORMAT " classes in model \"%s\".",
              from, n_lines, n_classes, source),
          ("Classes without a label are reported by number."));
    }
  }

  labels = g_new0 (gchar *, n_classes + 1);
  for (i = 0; i < n_classes; i++) {
    if (i < n_lines && lines[i][0] != '\0')
      labels[i] = g_strdup (lines[i]);
    else
      labels[i] = g_strdup_printf ("%" G_GSIZE_FORMAT, i);
  }
  g_strfreev (lines);
  g_free (contents);
  return labels;
}
