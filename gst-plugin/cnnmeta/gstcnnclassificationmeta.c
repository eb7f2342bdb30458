/* gstcnnclassificationmeta.c — GstCnnClassificationMeta: registration, copy, accessors.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstcnnclassificationmeta.h"

static void
clear_entries (GstCnnClassificationMeta * meta)
{
  guint i;

  for (i = 0; i < meta->n_entries; i++)
    g_free (meta->entries[i].label);
  g_free (meta->entries);
  meta->entries = NULL;
  meta->n_entries = 0;
  meta->n_allocated = 0;
}

static gboolean
gst_cnn_classification_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  GstCnnClassificationMeta *cmeta = (GstCnnClassificationMeta *) meta;

  cmeta->model_name = NULL;
  cmeta->inference_time = GST_CLOCK_TIME_NONE;
  cmeta->n_entries = 0;
  cmeta->n_allocated = 0;
  cmeta->entries = NULL;
  cmeta->source_pts = GST_CLOCK_TIME_NONE;
  cmeta->age = GST_CLOCK_TIME_NONE;
  cmeta->roi_id = -1;
  cmeta->map = NULL;
  cmeta->map_width = cmeta->map_height = 0;
  cmeta->map_class_id = -1;
  return TRUE;
}

static void
gst_cnn_classification_meta_free (GstMeta * meta, GstBuffer * buffer)
{
  GstCnnClassificationMeta *cmeta = (GstCnnClassificationMeta *) meta;

  clear_entries (cmeta);
  g_clear_pointer (&cmeta->model_name, g_free);
  g_clear_pointer (&cmeta->map, g_free);
}

/* A classification describes the whole picture, so every transform that keeps the picture
 * keeps the result: full buffer copies and video conversions or scaling. A copy of a byte
 * range is not a picture any more and drops it. */
static gboolean
gst_cnn_classification_meta_transform (GstBuffer * dest, GstMeta * meta, GstBuffer * buffer,
    GQuark type, gpointer data)
{
  GstCnnClassificationMeta *src = (GstCnnClassificationMeta *) meta;
  GstCnnClassificationMeta *dmeta;
  guint i;

  if (GST_META_TRANSFORM_IS_COPY (type)) {
    GstMetaTransformCopy *copy = data;

    if (copy->region)
      return FALSE;
  } else if (type != g_quark_from_static_string ("gst-video-scale")) {
    return FALSE;
  }

  dmeta = gst_buffer_add_cnn_classification_meta_full (dest, src->model_name,
      src->inference_time, src->roi_id);
  if (dmeta == NULL)
    return FALSE;
  dmeta->source_pts = src->source_pts;
  dmeta->age = src->age;
  for (i = 0; i < src->n_entries; i++)
    gst_cnn_classification_meta_add_entry (dmeta, src->entries[i].class_id,
        src->entries[i].label, src->entries[i].confidence);
  /* The area is relative to the frame's size: scaling keeps it. */
  if (src->map != NULL)
    gst_cnn_classification_meta_set_activation_map (dmeta, src->map_class_id,
        src->map_width, src->map_height, src->map, src->map_area[0], src->map_area[1],
        src->map_area[2], src->map_area[3]);
  return TRUE;
}

/**
 * gst_cnn_classification_meta_api_get_type:
 *
 * Returns: the #GType of the meta API, for gst_buffer_get_meta() and friends
 */
GType
gst_cnn_classification_meta_api_get_type (void)
{
  static GType type = 0;
  /* No tags: transforms that keep untagged metas (videoconvert, videoscale, tee copies)
   * keep this one. */
  static const gchar *tags[] = { NULL };

  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("GstCnnClassificationMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

/**
 * gst_cnn_classification_meta_get_info:
 *
 * Returns: (transfer none): the registered #GstMetaInfo of #GstCnnClassificationMeta
 */
const GstMetaInfo *
gst_cnn_classification_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;

  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *mi = gst_meta_register (GST_CNN_CLASSIFICATION_META_API_TYPE,
        "GstCnnClassificationMeta", sizeof (GstCnnClassificationMeta),
        gst_cnn_classification_meta_init, gst_cnn_classification_meta_free,
        gst_cnn_classification_meta_transform);
    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) mi);
  }
  return info;
}

/**
 * gst_buffer_add_cnn_classification_meta:
 * @buffer: a writable #GstBuffer
 * @model_name: (nullable): name of the model that made the result
 * @inference_time: time of the network run, in nanoseconds
 *
 * Attaches an empty result (no entries) for the whole frame.
 *
 * Returns: (transfer none) (nullable): the new meta
 */
GstCnnClassificationMeta *
gst_buffer_add_cnn_classification_meta (GstBuffer * buffer, const gchar * model_name,
    GstClockTime inference_time)
{
  return gst_buffer_add_cnn_classification_meta_full (buffer, model_name, inference_time,
      -1);
}

/**
 * gst_buffer_add_cnn_classification_meta_full:
 * @buffer: a writable #GstBuffer
 * @model_name: (nullable): name of the model that made the result
 * @inference_time: time of the network run, in nanoseconds
 * @roi_id: id of the #GstVideoRegionOfInterestMeta classified, -1 for the whole frame
 *
 * Attaches an empty result (no entries) for a region of interest or the whole frame.
 *
 * Returns: (transfer none) (nullable): the new meta
 */
GstCnnClassificationMeta *
gst_buffer_add_cnn_classification_meta_full (GstBuffer * buffer, const gchar * model_name,
    GstClockTime inference_time, gint roi_id)
{
  GstCnnClassificationMeta *meta;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (gst_buffer_is_writable (buffer), NULL);

  meta = (GstCnnClassificationMeta *) gst_buffer_add_meta (buffer,
      GST_CNN_CLASSIFICATION_META_INFO, NULL);
  if (meta == NULL)
    return NULL;
  meta->model_name = g_strdup (model_name);
  meta->inference_time = inference_time;
  meta->roi_id = roi_id;
  return meta;
}

/**
 * gst_buffer_get_cnn_classification_meta:
 * @buffer: a #GstBuffer
 *
 * Returns: (transfer none) (nullable): the first classification meta for the whole
 *   frame, or %NULL
 */
GstCnnClassificationMeta *
gst_buffer_get_cnn_classification_meta (GstBuffer * buffer)
{
  return gst_buffer_get_cnn_classification_meta_for_region (buffer, -1, NULL);
}

/**
 * gst_buffer_get_cnn_classification_meta_for_region:
 * @buffer: a #GstBuffer
 * @roi_id: id of a #GstVideoRegionOfInterestMeta, -1 for the whole frame
 * @model_name: (nullable): only a result of this model; %NULL for any
 *
 * Returns: (transfer none) (nullable): the first classification meta of that region
 *   (and model), or %NULL
 */
GstCnnClassificationMeta *
gst_buffer_get_cnn_classification_meta_for_region (GstBuffer * buffer, gint roi_id,
    const gchar * model_name)
{
  gpointer state = NULL;
  GstMeta *m;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);

  while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_CNN_CLASSIFICATION_META_API_TYPE))) {
    GstCnnClassificationMeta *meta = (GstCnnClassificationMeta *) m;

    if (meta->roi_id == roi_id && (model_name == NULL ||
            g_strcmp0 (model_name, meta->model_name) == 0))
      return meta;
  }
  return NULL;
}

/**
 * gst_buffer_get_n_cnn_classification_metas:
 * @buffer: a #GstBuffer
 *
 * Returns: how many classification metas @buffer carries, whole frame and regions
 */
guint
gst_buffer_get_n_cnn_classification_metas (GstBuffer * buffer)
{
  g_return_val_if_fail (GST_IS_BUFFER (buffer), 0);

  return gst_buffer_get_n_meta (buffer, GST_CNN_CLASSIFICATION_META_API_TYPE);
}

/**
 * gst_buffer_get_nth_cnn_classification_meta:
 * @buffer: a #GstBuffer
 * @index: from 0 to gst_buffer_get_n_cnn_classification_metas() - 1
 *
 * Returns: (transfer none) (nullable): the @index-th classification meta in the order
 *   gst_buffer_iterate_meta() gives, or %NULL when out of range
 */
GstCnnClassificationMeta *
gst_buffer_get_nth_cnn_classification_meta (GstBuffer * buffer, guint index)
{
  gpointer state = NULL;
  GstMeta *m;
  guint i = 0;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);

  while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_CNN_CLASSIFICATION_META_API_TYPE)))
    if (i++ == index)
      return (GstCnnClassificationMeta *) m;
  return NULL;
}

/**
 * gst_cnn_classification_meta_add_entry:
 * @meta: a #GstCnnClassificationMeta
 * @class_id: index of the class in the model's output
 * @label: (nullable): class name, copied; %NULL stores the class number
 * @confidence: the class's confidence
 *
 * Inserts a result, keeping the entries sorted by confidence (ties keep insertion order).
 */
void
gst_cnn_classification_meta_add_entry (GstCnnClassificationMeta * meta, gint class_id,
    const gchar * label, gfloat confidence)
{
  guint pos;

  g_return_if_fail (meta != NULL);

  if (meta->n_entries == meta->n_allocated) {
    meta->n_allocated = MAX (4, 2 * meta->n_allocated);
    meta->entries = g_renew (GstCnnClassificationEntry, meta->entries, meta->n_allocated);
  }

  /* Stable insertion: after every entry whose confidence is >= the new one. NaN sorts
   * last because every comparison with it is false. */
  pos = meta->n_entries;
  while (pos > 0 && !(meta->entries[pos - 1].confidence >= confidence))
    pos--;
  memmove (&meta->entries[pos + 1], &meta->entries[pos],
      (meta->n_entries - pos) * sizeof (GstCnnClassificationEntry));

  meta->entries[pos].class_id = class_id;
  meta->entries[pos].label = label ? g_strdup (label) : g_strdup_printf ("%d", class_id);
  meta->entries[pos].confidence = confidence;
  meta->n_entries++;
}

/**
 * gst_cnn_classification_meta_get_n_entries:
 * @meta: a #GstCnnClassificationMeta
 *
 * Returns: the number of entries
 */
guint
gst_cnn_classification_meta_get_n_entries (const GstCnnClassificationMeta * meta)
{
  g_return_val_if_fail (meta != NULL, 0);

  return meta->n_entries;
}

/**
 * gst_cnn_classification_meta_get_entry:
 * @meta: a #GstCnnClassificationMeta
 * @index: 0 for the most confident entry
 *
 * Returns: (transfer none) (nullable): entry @index, owned by @meta, or %NULL when out
 *   of range
 */
const GstCnnClassificationEntry *
gst_cnn_classification_meta_get_entry (const GstCnnClassificationMeta * meta, guint index)
{
  g_return_val_if_fail (meta != NULL, NULL);

  if (index >= meta->n_entries)
    return NULL;
  return &meta->entries[index];
}

/**
 * gst_cnn_classification_meta_get_model_name:
 * @meta: a #GstCnnClassificationMeta
 *
 * Returns: (transfer none) (nullable): the name of the model that made the result
 */
const gchar *
gst_cnn_classification_meta_get_model_name (const GstCnnClassificationMeta * meta)
{
  g_return_val_if_fail (meta != NULL, NULL);

  return meta->model_name;
}

/**
 * gst_cnn_classification_meta_get_inference_time:
 * @meta: a #GstCnnClassificationMeta
 *
 * Returns: the time of the network run, in nanoseconds
 */
GstClockTime
gst_cnn_classification_meta_get_inference_time (const GstCnnClassificationMeta * meta)
{
  g_return_val_if_fail (meta != NULL, GST_CLOCK_TIME_NONE);

  return meta->inference_time;
}

/**
 * gst_cnn_classification_meta_set_source:
 * @meta: a #GstCnnClassificationMeta
 * @source_pts: PTS of the frame the result was computed from
 * @age: how much later the carrying buffer is, in running time
 *
 * Records which frame the result belongs to (async-inference results ride on later buffers).
 */
void
gst_cnn_classification_meta_set_source (GstCnnClassificationMeta * meta,
    GstClockTime source_pts, GstClockTime age)
{
  g_return_if_fail (meta != NULL);

  meta->source_pts = source_pts;
  meta->age = age;
}

/**
 * gst_cnn_classification_meta_get_source_pts:
 * @meta: a #GstCnnClassificationMeta
 *
 * Returns: the PTS of the frame the result was computed from
 */
GstClockTime
gst_cnn_classification_meta_get_source_pts (const GstCnnClassificationMeta * meta)
{
  g_return_val_if_fail (meta != NULL, GST_CLOCK_TIME_NONE);

  return meta->source_pts;
}

/**
 * gst_cnn_classification_meta_get_age:
 * @meta: a #GstCnnClassificationMeta
 *
 * Returns: how much later (running time) the carrying buffer is than the source frame
 */
GstClockTime
gst_cnn_classification_meta_get_age (const GstCnnClassificationMeta * meta)
{
  g_return_val_if_fail (meta != NULL, GST_CLOCK_TIME_NONE);

  return meta->age;
}

/**
 * gst_cnn_classification_meta_get_roi_id:
 * @meta: a #GstCnnClassificationMeta
 *
 * Returns: the id of the #GstVideoRegionOfInterestMeta classified, or -1 for the whole
 *   frame
 */
gint
gst_cnn_classification_meta_get_roi_id (const GstCnnClassificationMeta * meta)
{
  g_return_val_if_fail (meta != NULL, -1);

  return meta->roi_id;
}

/**
 * gst_cnn_classification_meta_set_activation_map:
 * @meta: a #GstCnnClassificationMeta
 * @class_id: the class whose evidence the map shows
 * @width: map width
 * @height: map height
 * @data: (array) (transfer none): @width × @height values, row-major; copied
 * @x: left edge of the area the map covers, as a fraction of the frame's width
 * @y: top edge, as a fraction of the frame's height
 * @w: width of that area, as a fraction of the frame's width
 * @h: height of that area, as a fraction of the frame's height
 *
 * Stores a class activation map, replacing any earlier one.
 */
void
gst_cnn_classification_meta_set_activation_map (GstCnnClassificationMeta * meta,
    gint class_id, guint width, guint height, const gfloat * data, gdouble x, gdouble y,
    gdouble w, gdouble h)
{
  g_return_if_fail (meta != NULL);
  g_return_if_fail (data != NULL && width > 0 && height > 0);
  g_return_if_fail (width <= G_MAXUINT / height);

  g_free (meta->map);
  meta->map = g_memdup2 (data, (gsize) width * height * sizeof (gfloat));
  meta->map_width = width;
  meta->map_height = height;
  meta->map_class_id = class_id;
  meta->map_area[0] = x;
  meta->map_area[1] = y;
  meta->map_area[2] = w;
  meta->map_area[3] = h;
}

/**
 * gst_cnn_classification_meta_get_activation_map:
 * @meta: a #GstCnnClassificationMeta
 * @width: (out) (optional): map width
 * @height: (out) (optional): map height
 * @class_id: (out) (optional): the class the map is for
 * @n_values: (out) (optional): @width × @height
 *
 * Returns: (array length=n_values) (transfer none) (nullable): the map, row-major, or
 *   %NULL when the meta has none
 */
const gfloat *
gst_cnn_classification_meta_get_activation_map (const GstCnnClassificationMeta * meta,
    guint * width, guint * height, gint * class_id, guint * n_values)
{
  g_return_val_if_fail (meta != NULL, NULL);

  if (width != NULL)
    *width = meta->map_width;
  if (height != NULL)
    *height = meta->map_height;
  if (class_id != NULL)
    *class_id = meta->map_class_id;
  if (n_values != NULL)
    *n_values = meta->map_width * meta->map_height;
  return meta->map;
}

/**
 * gst_cnn_classification_meta_get_activation_map_area:
 * @meta: a #GstCnnClassificationMeta
 * @x: (out) (optional): left edge, as a fraction of the frame's width
 * @y: (out) (optional): top edge, as a fraction of the frame's height
 * @w: (out) (optional): width, as a fraction of the frame's width
 * @h: (out) (optional): height, as a fraction of the frame's height
 *
 * Returns: %FALSE when the meta has no map
 */
gboolean
gst_cnn_classification_meta_get_activation_map_area (const GstCnnClassificationMeta * meta,
    gdouble * x, gdouble * y, gdouble * w, gdouble * h)
{
  g_return_val_if_fail (meta != NULL, FALSE);

  if (meta->map == NULL)
    return FALSE;
  if (x != NULL)
    *x = meta->map_area[0];
  if (y != NULL)
    *y = meta->map_area[1];
  if (w != NULL)
    *w = meta->map_area[2];
  if (h != NULL)
    *h = meta->map_area[3];
  return TRUE;
}
