/* gstcnnregions.c — classify the regions of interest on a buffer. See gstcnnregions.h.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "gstcnnregions.h"

#include <string.h>

GST_DEBUG_CATEGORY_EXTERN (gst_cnn_classify_debug);
#define GST_CAT_DEFAULT gst_cnn_classify_debug

#define DEFAULT_MIN_SIZE 4
#define DEFAULT_MAX_REGIONS 1000
#define MAX_MAX_REGIONS 1000000

G_DEFINE_ENUM_TYPE (GstCnnInferenceRegion, gst_cnn_inference_region,
    {GST_CNN_INFERENCE_REGION_FULL_FRAME, "Classify the whole frame", "full-frame"},
    {GST_CNN_INFERENCE_REGION_ROI_LIST,
        "Classify every GstVideoRegionOfInterestMeta on the buffer", "roi-list"});

enum
{
  REGION_PROP_INFERENCE_REGION,
  REGION_PROP_OBJECT_CLASS,
  REGION_PROP_MIN_SIZE,
  REGION_PROP_MAX_REGIONS,
  REGION_PROP_RESULT_NAME,
};

G_STATIC_ASSERT (REGION_PROP_RESULT_NAME + 1 == GST_CNN_REGION_N_PROPERTIES);

/* ------------------------------------------------------------------------------------ */
/* Settings and properties */

void
gst_cnn_region_settings_init (GstCnnRegionSettings * s)
{
  memset (s, 0, sizeof (*s));
  s->inference_region = GST_CNN_INFERENCE_REGION_FULL_FRAME;
  s->min_size = DEFAULT_MIN_SIZE;
  s->max_regions = DEFAULT_MAX_REGIONS;
}

void
gst_cnn_region_settings_clear (GstCnnRegionSettings * s)
{
  g_free (s->object_class);
  g_strfreev (s->object_classes);
  g_free (s->result_name);
  gst_cnn_region_settings_init (s);
}

void
gst_cnn_region_settings_copy (GstCnnRegionSettings * dst, const GstCnnRegionSettings * src)
{
  *dst = *src;
  dst->object_class = g_strdup (src->object_class);
  dst->object_classes = g_strdupv (src->object_classes);
  dst->result_name = g_strdup (src->result_name);
}

/* "face, car,,person" → { "face", "car", "person" }; NULL when nothing is left. */
static gchar **
parse_object_classes (const gchar * str)
{
  gchar **parts, **out;
  guint i, n = 0;

  if (str == NULL)
    return NULL;
  parts = g_strsplit (str, ",", -1);
  out = g_new0 (gchar *, g_strv_length (parts) + 1);
  for (i = 0; parts[i] != NULL; i++) {
    g_strstrip (parts[i]);
    if (*parts[i] != '\0')
      out[n++] = g_strdup (parts[i]);
  }
  g_strfreev (parts);
  if (n == 0)
    g_clear_pointer (&out, g_free);
  return out;
}

gchar *
gst_cnn_regions_structure_name (const gchar * name)
{
  GString *out;
  const gchar *p;

  if (name == NULL || *name == '\0')
    return g_strdup ("cnn-result");
  out = g_string_new (g_ascii_isalpha (*name) ? NULL : "cnn-");
  for (p = name; *p != '\0'; p++)
    g_string_append_c (out, g_ascii_isalnum (*p) || strchr ("/-_.:+", *p) ? *p : '-');
  return g_string_free (out, FALSE);
}

void
gst_cnn_region_settings_install_properties (GObjectClass * klass, guint first_id)
{
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;

  g_object_class_install_property (klass, first_id + REGION_PROP_INFERENCE_REGION,
      g_param_spec_enum ("inference-region", "Inference region",
          "What is classified: the whole frame, or the picture inside every "
          "GstVideoRegionOfInterestMeta on the buffer (as a detector upstream attaches)",
          GST_TYPE_CNN_INFERENCE_REGION, GST_CNN_INFERENCE_REGION_FULL_FRAME, rw));
  g_object_class_install_property (klass, first_id + REGION_PROP_OBJECT_CLASS,
      g_param_spec_string ("object-class", "Object class",
          "With inference-region=roi-list: comma-separated region types to classify, "
          "e.g. \"face,person\" (empty: every region)", NULL, rw));
  g_object_class_install_property (klass, first_id + REGION_PROP_MIN_SIZE,
      g_param_spec_uint ("min-region-size", "Minimum region size",
          "With inference-region=roi-list: regions narrower or lower than this many "
          "pixels (after clipping to the frame) are skipped", 1, G_MAXINT,
          DEFAULT_MIN_SIZE, rw));
  g_object_class_install_property (klass, first_id + REGION_PROP_MAX_REGIONS,
      g_param_spec_uint ("max-regions", "Maximum regions",
          "With inference-region=roi-list: at most this many regions are classified per "
          "frame, in buffer order; the rest are skipped", 1, MAX_MAX_REGIONS,
          DEFAULT_MAX_REGIONS, rw));
  g_object_class_install_property (klass, first_id + REGION_PROP_RESULT_NAME,
      g_param_spec_string ("result-name", "Result name",
          "Name of the GstStructure added to each region's params (NULL: the model "
          "name); give cascaded classifiers of the same model different names", NULL,
          rw));
}

gboolean
gst_cnn_region_settings_set_property (GstCnnRegionSettings * s, GObject * object,
    guint first_id, guint id, const GValue * value)
{
  if (id < first_id || id >= first_id + GST_CNN_REGION_N_PROPERTIES)
    return FALSE;
  switch (id - first_id) {
    case REGION_PROP_INFERENCE_REGION:
      s->inference_region = g_value_get_enum (value);
      break;
    case REGION_PROP_OBJECT_CLASS:
      g_free (s->object_class);
      g_strfreev (s->object_classes);
      s->object_class = g_value_dup_string (value);
      s->object_classes = parse_object_classes (s->object_class);
      break;
    case REGION_PROP_MIN_SIZE:
      s->min_size = g_value_get_uint (value);
      break;
    case REGION_PROP_MAX_REGIONS:
      s->max_regions = g_value_get_uint (value);
      break;
    case REGION_PROP_RESULT_NAME:{
      const gchar *name = g_value_get_string (value);
      gchar *valid = gst_cnn_regions_structure_name (name);
      gboolean ok = name == NULL || *name == '\0' || strcmp (valid, name) == 0;

      g_free (valid);
      if (!ok) {
        GST_WARNING_OBJECT (object, "ignoring result-name \"%s\": not a valid "
            "GstStructure name (a letter, then letters, digits or /-_.:+)", name);
        break;
      }
      g_free (s->result_name);
      s->result_name = name != NULL && *name != '\0' ? g_strdup (name) : NULL;
      break;
    }
  }
  return TRUE;
}

gboolean
gst_cnn_region_settings_get_property (const GstCnnRegionSettings * s, guint first_id,
    guint id, GValue * value)
{
  if (id < first_id || id >= first_id + GST_CNN_REGION_N_PROPERTIES)
    return FALSE;
  switch (id - first_id) {
    case REGION_PROP_INFERENCE_REGION:
      g_value_set_enum (value, s->inference_region);
      break;
    case REGION_PROP_OBJECT_CLASS:
      g_value_set_string (value, s->object_class);
      break;
    case REGION_PROP_MIN_SIZE:
      g_value_set_uint (value, s->min_size);
      break;
    case REGION_PROP_MAX_REGIONS:
      g_value_set_uint (value, s->max_regions);
      break;
    case REGION_PROP_RESULT_NAME:
      g_value_set_string (value, s->result_name);
      break;
  }
  return TRUE;
}

/* ------------------------------------------------------------------------------------ */
/* Per frame */

gboolean
gst_cnn_regions_init (GstCnnRegions * r, gint channels, gint height, gint width)
{
  return gst_cnn_preprocess_init (&r->pre, channels, height, width);
}

void
gst_cnn_regions_clear (GstCnnRegions * r)
{
  gst_cnn_preprocess_clear (&r->pre);
}

static gboolean
type_wanted (const GstCnnRegionSettings * s, GQuark roi_type)
{
  const gchar *type = g_quark_to_string (roi_type);
  guint i;

  if (s->object_classes == NULL)
    return TRUE;
  for (i = 0; type != NULL && s->object_classes[i] != NULL; i++)
    if (strcmp (type, s->object_classes[i]) == 0)
      return TRUE;
  return FALSE;
}

/* The part of @roi inside a @frame_w × @frame_h frame. Coordinates are read as signed
 * (a detector's negative x cast to guint is still left of the frame); sizes above
 * G_MAXINT are nonsense. FALSE, with the reason in *@why, when nothing usable is left. */
static gboolean
clip_region (const GstVideoRegionOfInterestMeta * roi, gint frame_w, gint frame_h,
    guint min_size, GstVideoRectangle * rect, const gchar ** why)
{
  gint64 x0 = (gint32) roi->x, y0 = (gint32) roi->y, x1, y1;

  if (roi->w == 0 || roi->h == 0) {
    *why = "empty";
    return FALSE;
  }
  if (roi->w > G_MAXINT || roi->h > G_MAXINT) {
    *why = "absurd size";
    return FALSE;
  }
  x1 = MIN (x0 + roi->w, frame_w);
  y1 = MIN (y0 + roi->h, frame_h);
  x0 = MAX (x0, 0);
  y0 = MAX (y0, 0);
  if (x1 <= x0 || y1 <= y0) {
    *why = "outside the frame";
    return FALSE;
  }
  if (x1 - x0 < min_size || y1 - y0 < min_size) {
    *why = "smaller than min-region-size";
    return FALSE;
  }
  rect->x = (gint) x0;
  rect->y = (gint) y0;
  rect->w = (gint) (x1 - x0);
  rect->h = (gint) (y1 - y0);
  return TRUE;
}

/* The region's params get @s (taken), replacing a structure of the same name. */
static void
set_region_param (GstVideoRegionOfInterestMeta * roi, GstStructure * s)
{
  GList *l;

  for (l = roi->params; l != NULL; l = l->next) {
    if (gst_structure_has_name (l->data, gst_structure_get_name (s))) {
      gst_structure_free (l->data);
      roi->params = g_list_delete_link (roi->params, l);
      break;
    }
  }
  gst_video_region_of_interest_meta_add_param (roi, s);
}

GstFlowReturn
gst_cnn_regions_classify (GstCnnRegions * r, const GstCnnRegionJob * job,
    const GstVideoFrame * frame, GstBuffer * buf)
{
  const GstCnnRegionSettings *settings = job->regions;
  GstElement *element = GST_ELEMENT (job->trans);
  gint frame_w = GST_VIDEO_FRAME_WIDTH (frame), frame_h = GST_VIDEO_FRAME_HEIGHT (frame);
  gchar *result_name = gst_cnn_regions_structure_name (settings->result_name ?
      settings->result_name : job->model_name);
  GValue regions = G_VALUE_INIT;
  GstClockTime total_time = 0;
  guint n_classified = 0, n_over = 0;
  GstFlowReturn ret = GST_FLOW_OK;
  gpointer state = NULL;
  GstMeta *m;

  if (job->post_messages)
    g_value_init (&regions, GST_TYPE_ARRAY);

  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    GstCnnClassificationMeta *meta;
    GstClockTime inference_time;
    GstVideoRectangle rect;
    GstStructure *s;
    const gchar *why;

    if (!type_wanted (settings, roi->roi_type))
      continue;
    if (!clip_region (roi, frame_w, frame_h, settings->min_size, &rect, &why)) {
      GST_DEBUG_OBJECT (element, "skipping region %d (%s, %d,%d %ux%u): %s", roi->id,
          g_quark_to_string (roi->roi_type), (gint32) roi->x, (gint32) roi->y, roi->w,
          roi->h, why);
      continue;
    }
    if (n_classified == settings->max_regions) {
      n_over++;
      continue;
    }
    if (!gst_cnn_preprocess_configure_rect (&r->pre, &frame->info, job->params, &rect)) {
      GST_DEBUG_OBJECT (element, "skipping region %d: cannot preprocess it", roi->id);
      continue;
    }
    gst_cnn_preprocess_run (&r->pre, frame, job->io->nchw);
    if (!gst_cnn_results_run (job->results, element, job->io, job->model, job->source,
            job->io->nchw, &inference_time)) {
      ret = GST_FLOW_ERROR;
      break;
    }
    total_time += inference_time;
    n_classified++;
    gst_cnn_results_select (job->results, job->output, job->top_k, job->threshold);
    meta = gst_cnn_results_attach (job->results, buf, GST_BUFFER_PTS (buf), 0,
        job->model_name, inference_time, roi->id);
    if (job->cam != NULL)
      gst_cnn_cam_attach (job->cam, element, job->model, job->source, &r->pre, frame_w,
          frame_h, meta);

    s = gst_structure_new_empty (result_name);
    gst_cnn_results_set_fields (job->results, s);
    gst_structure_set (s, "model-name", G_TYPE_STRING, job->model_name, NULL);
    if (job->post_messages) {
      GValue v = G_VALUE_INIT;
      GstStructure *entry = gst_structure_copy (s);

      gst_structure_set_name (entry, "region");
      gst_structure_set (entry, "roi-id", G_TYPE_INT, roi->id,
          "roi-type", G_TYPE_STRING, g_quark_to_string (roi->roi_type),
          "x", G_TYPE_INT, rect.x, "y", G_TYPE_INT, rect.y,
          "width", G_TYPE_INT, rect.w, "height", G_TYPE_INT, rect.h, NULL);
      g_value_init (&v, GST_TYPE_STRUCTURE);
      g_value_take_boxed (&v, entry);
      gst_value_array_append_and_take_value (&regions, &v);
    }
    set_region_param (roi, s);
  }

  if (n_over > 0)
    GST_DEBUG_OBJECT (element, "%u regions over max-regions=%u skipped", n_over,
        settings->max_regions);
  GST_LOG_OBJECT (element, "%" GST_TIME_FORMAT ": %u regions classified in %"
      G_GUINT64_FORMAT " us", GST_TIME_ARGS (GST_BUFFER_PTS (buf)), n_classified,
      total_time / GST_USECOND);

  if (job->post_messages) {
    if (ret == GST_FLOW_OK) {
      GstStructure *msg = gst_cnn_results_message_new (job->trans, buf,
          GST_BUFFER_PTS (buf), 0, job->model_name, total_time);

      gst_structure_take_value (msg, "regions", &regions);
      gst_element_post_message (element, gst_message_new_element (GST_OBJECT (element),
              msg));
    } else {
      g_value_unset (&regions);
    }
  }
  g_free (result_name);
  return ret;
}
