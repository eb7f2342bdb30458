/* gstcnnresults.c — scores → confidences → top-k → meta and bus message. See
 * gstcnnresults.h.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "gstcnnresults.h"

#include <math.h>
#include <string.h>

#include "gstcnnclassificationmeta.h"

gboolean
gst_cnn_results_init (GstCnnResults * res, gsize n_classes, gchar ** labels)
{
  memset (res, 0, sizeof (*res));
  res->n_classes = n_classes;
  res->labels = labels;
  res->scores = g_try_new (gfloat, n_classes);
  res->probs = g_try_new (gfloat, n_classes);
  res->top = g_try_new (guint, n_classes);
  res->smoothed = g_try_new (gfloat, n_classes);
  return res->scores != NULL && res->probs != NULL && res->top != NULL &&
      res->smoothed != NULL;
}

void
gst_cnn_results_clear (GstCnnResults * res)
{
  g_strfreev (res->labels);
  g_free (res->scores);
  g_free (res->probs);
  g_free (res->top);
  g_free (res->smoothed);
  memset (res, 0, sizeof (*res));
}

/* ------------------------------------------------------------------------------------ */
/* Confidences and selection */

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

guint
gst_cnn_results_select (GstCnnResults * res, GstCnnOutputActivation output, guint top_k,
    gdouble threshold)
{
  return gst_cnn_results_select_smoothed (res, output, top_k, threshold, 0.0);
}

/* probs become the moving average: s·history + (1 − s)·probs. */
static void
smooth (GstCnnResults * res, gdouble smoothing)
{
  gfloat keep = (gfloat) smoothing, take = 1.0f - keep;
  gsize i;

  if (!res->smoothed_valid) {
    memcpy (res->smoothed, res->probs, res->n_classes * sizeof (gfloat));
    res->smoothed_valid = TRUE;
    return;
  }
  for (i = 0; i < res->n_classes; i++) {
    res->smoothed[i] = keep * res->smoothed[i] + take * res->probs[i];
    res->probs[i] = res->smoothed[i];
  }
}

guint
gst_cnn_results_select_smoothed (GstCnnResults * res, GstCnnOutputActivation output,
    guint top_k, gdouble threshold, gdouble smoothing)
{
  apply_activation (output, res->scores, res->probs, res->n_classes);
  if (smoothing > 0.0)
    smooth (res, smoothing);
  else
    res->smoothed_valid = FALSE;
  res->n_top = select_top (res->probs, res->n_classes, MIN (top_k, res->n_classes),
      threshold, res->top);
  return res->n_top;
}

void
gst_cnn_results_reset_smoothing (GstCnnResults * res)
{
  res->smoothed_valid = FALSE;
}

void
gst_cnn_results_copy_selection (GstCnnResults * dst, const GstCnnResults * src)
{
  guint i;

  dst->labels = src->labels;
  dst->n_top = src->n_top;
  for (i = 0; i < src->n_top; i++) {
    dst->top[i] = src->top[i];
    dst->probs[src->top[i]] = src->probs[src->top[i]];
  }
}

/* ------------------------------------------------------------------------------------ */
/* Reporting */

gboolean
gst_cnn_results_run (GstCnnResults * res, GstElement * element, GstCnnModelIO * io,
    cnn_model * model, const gchar * source, const gfloat * input,
    GstClockTime * inference_time)
{
  cnn_error err;
  cnn_status status;
  gint64 t0, t1;

  t0 = g_get_monotonic_time ();
  status = gst_cnn_model_io_run (io, model, input, res->scores, &err);
  t1 = g_get_monotonic_time ();
  if (status != CNN_STATUS_OK) {
    GST_ELEMENT_ERROR (element, LIBRARY, FAILED,
        ("Inference with model \"%s\" failed (%s).", source, cnn_status_string (status)),
        ("%s", err.message));
    return FALSE;
  }
  *inference_time = (GstClockTime) (t1 - t0) * GST_USECOND;
  return TRUE;
}

GstCnnClassificationMeta *
gst_cnn_results_attach (const GstCnnResults * res, GstBuffer * buf,
    GstClockTime source_pts, GstClockTime age, const gchar * model_name,
    GstClockTime inference_time, gint roi_id)
{
  GstCnnClassificationMeta *meta;
  guint i;

  meta = gst_buffer_add_cnn_classification_meta_full (buf, model_name, inference_time,
      roi_id);
  gst_cnn_classification_meta_set_source (meta, source_pts, age);
  for (i = 0; i < res->n_top; i++)
    gst_cnn_classification_meta_add_entry (meta, (gint) res->top[i],
        res->labels[res->top[i]], res->probs[res->top[i]]);
  return meta;
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

void
gst_cnn_results_set_fields (const GstCnnResults * res, GstStructure * s)
{
  GValue ids = G_VALUE_INIT, labels = G_VALUE_INIT, confidences = G_VALUE_INIT;
  guint i;

  if (res->n_top > 0) {
    guint best = res->top[0];

    gst_structure_set (s, "class-id", G_TYPE_INT, (gint) best,
        "label", G_TYPE_STRING, res->labels[best],
        "confidence", G_TYPE_DOUBLE, (gdouble) res->probs[best], NULL);
  }

  g_value_init (&ids, GST_TYPE_ARRAY);
  g_value_init (&labels, GST_TYPE_ARRAY);
  g_value_init (&confidences, GST_TYPE_ARRAY);
  for (i = 0; i < res->n_top; i++) {
    gint id = (gint) res->top[i];
    gdouble p = res->probs[id];

    append_to_array (&ids, G_TYPE_INT, &id);
    append_to_array (&labels, G_TYPE_STRING, res->labels[id]);
    append_to_array (&confidences, G_TYPE_DOUBLE, &p);
  }
  gst_structure_take_value (s, "class-ids", &ids);
  gst_structure_take_value (s, "labels", &labels);
  gst_structure_take_value (s, "confidences", &confidences);
}

GstStructure *
gst_cnn_results_message_new (GstBaseTransform * trans, GstBuffer * buf,
    GstClockTime source_pts, GstClockTime age, const gchar * model_name,
    GstClockTime inference_time)
{
  GstClockTime pts = buf ? GST_BUFFER_PTS (buf) : source_pts;

  return gst_structure_new ("cnnclassify",
      "timestamp", G_TYPE_UINT64, pts,
      "stream-time", G_TYPE_UINT64,
      gst_segment_to_stream_time (&trans->segment, GST_FORMAT_TIME, pts),
      "running-time", G_TYPE_UINT64,
      gst_segment_to_running_time (&trans->segment, GST_FORMAT_TIME, pts),
      "duration", G_TYPE_UINT64, buf ? GST_BUFFER_DURATION (buf) : GST_CLOCK_TIME_NONE,
      "source-timestamp", G_TYPE_UINT64, source_pts,
      "age", G_TYPE_UINT64, age,
      "model-name", G_TYPE_STRING, model_name,
      "inference-time", G_TYPE_UINT64, inference_time, NULL);
}

void
gst_cnn_results_post (const GstCnnResults * res, GstBaseTransform * trans,
    GstBuffer * buf, GstClockTime source_pts, GstClockTime age, const gchar * model_name,
    GstClockTime inference_time)
{
  GstStructure *s = gst_cnn_results_message_new (trans, buf, source_pts, age, model_name,
      inference_time);

  gst_cnn_results_set_fields (res, s);

  gst_element_post_message (GST_ELEMENT (trans),
      gst_message_new_element (GST_OBJECT (trans), s));
}
