/* gstcnnclassificationmeta.h — image classification results attached to video buffers.
 *
 * The cnnclassify element attaches one GstCnnClassificationMeta to every buffer it
 * classifies. Applications read it with this library (pkg-config gstcnnmeta-1.0):
 *
 *     #include <gst/cnn/gstcnnclassificationmeta.h>
 *
 *     GstCnnClassificationMeta *meta = gst_buffer_get_cnn_classification_meta (buffer);
 *     if (meta != NULL && meta->n_entries > 0)
 *       g_print ("%s: %.1f%%\n", meta->entries[0].label, 100 * meta->entries[0].confidence);
 *
 * Entries are sorted by confidence, highest first. The meta has no API tags, so elements
 * that only convert or scale the image (videoconvert, videoscale, ...) and buffer copies
 * keep it: the classification of a frame does not depend on its pixel format or size.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_CNN_CLASSIFICATION_META_H
#define GST_CNN_CLASSIFICATION_META_H

#include <gst/gst.h>

G_BEGIN_DECLS

#if defined(BUILDING_GST_CNN_META) && defined(__GNUC__)
#define GST_CNN_META_API __attribute__ ((visibility ("default"))) extern
#else
#define GST_CNN_META_API extern
#endif

#define GST_CNN_CLASSIFICATION_META_API_TYPE (gst_cnn_classification_meta_api_get_type ())
#define GST_CNN_CLASSIFICATION_META_INFO (gst_cnn_classification_meta_get_info ())

typedef struct _GstCnnClassificationEntry GstCnnClassificationEntry;
typedef struct _GstCnnClassificationMeta GstCnnClassificationMeta;

/**
 * GstCnnClassificationEntry:
 * @class_id: index of the class in the model's output vector
 * @label: class name (from the labels file or model metadata, else the class number)
 * @confidence: score after the element's output activation, usually a probability in [0, 1]
 */
struct _GstCnnClassificationEntry
{
  gint class_id;
  gchar *label;
  gfloat confidence;
};

/**
 * GstCnnClassificationMeta:
 * @meta: parent #GstMeta
 * @model_name: name of the model that produced the result (may be %NULL)
 * @inference_time: wall-clock time of the network run, in nanoseconds
 * @n_entries: number of valid @entries
 * @entries: (array length=n_entries): results sorted by confidence, highest first
 * @roi_id: the id of the #GstVideoRegionOfInterestMeta whose picture was classified, or
 *   -1 when the result is for the whole frame
 * @source_pts: PTS of the frame the result was computed from. It is the buffer's own PTS
 *   unless cnnclassify runs with async-inference=true, where a result rides on a later
 *   buffer (%GST_CLOCK_TIME_NONE if unknown)
 * @age: how much later (in running time) the carrying buffer is than that frame: 0 when
 *   the result belongs to the buffer itself (%GST_CLOCK_TIME_NONE if unknown)
 *
 * Treat the fields as read-only; add entries with gst_cnn_classification_meta_add_entry().
 * A buffer carries one meta per classifier for the whole frame and one per classifier
 * and classified region.
 */
struct _GstCnnClassificationMeta
{
  GstMeta meta;

  gchar *model_name;
  GstClockTime inference_time;
  guint n_entries;
  GstCnnClassificationEntry *entries;
  gint roi_id;
  GstClockTime source_pts;
  GstClockTime age;

  /*< private >*/
  guint n_allocated;
  gfloat *map;
  guint map_width, map_height;
  gint map_class_id;
  gdouble map_area[4];
  gpointer _gst_reserved[GST_PADDING - 1];
};

GST_CNN_META_API
GType gst_cnn_classification_meta_api_get_type (void);

GST_CNN_META_API
const GstMetaInfo *gst_cnn_classification_meta_get_info (void);

/* Attaches an empty result (no entries) to a writable buffer. */
GST_CNN_META_API
GstCnnClassificationMeta *gst_buffer_add_cnn_classification_meta (GstBuffer * buffer,
    const gchar * model_name, GstClockTime inference_time);

/* Attaches an empty result for the region of interest @roi_id (-1: the whole frame). */
GST_CNN_META_API
GstCnnClassificationMeta *gst_buffer_add_cnn_classification_meta_full (GstBuffer * buffer,
    const gchar * model_name, GstClockTime inference_time, gint roi_id);

/* The first classification meta for the whole frame on the buffer, or NULL. */
GST_CNN_META_API
GstCnnClassificationMeta *gst_buffer_get_cnn_classification_meta (GstBuffer * buffer);

/* The first classification meta of the region of interest @roi_id (-1: the whole frame)
 * made by the model @model_name (NULL: any model), or NULL. */
GST_CNN_META_API
GstCnnClassificationMeta *gst_buffer_get_cnn_classification_meta_for_region (
    GstBuffer * buffer, gint roi_id, const gchar * model_name);

/* How many classification metas the buffer carries (whole frame and regions), and the
 * @index-th of them (NULL when out of range), in the order gst_buffer_iterate_meta()
 * gives. */
GST_CNN_META_API
guint gst_buffer_get_n_cnn_classification_metas (GstBuffer * buffer);

GST_CNN_META_API
GstCnnClassificationMeta *gst_buffer_get_nth_cnn_classification_meta (GstBuffer * buffer,
    guint index);

/* Inserts a result, keeping entries sorted by confidence (ties keep insertion order).
 * @label is copied; NULL stores the class number as the label. */
GST_CNN_META_API
void gst_cnn_classification_meta_add_entry (GstCnnClassificationMeta * meta, gint class_id,
    const gchar * label, gfloat confidence);

GST_CNN_META_API
guint gst_cnn_classification_meta_get_n_entries (const GstCnnClassificationMeta * meta);

/* Entry @index (0 = most confident), or NULL when out of range. Owned by the meta. */
GST_CNN_META_API
const GstCnnClassificationEntry *gst_cnn_classification_meta_get_entry (
    const GstCnnClassificationMeta * meta, guint index);

GST_CNN_META_API
const gchar *gst_cnn_classification_meta_get_model_name (const GstCnnClassificationMeta * meta);

GST_CNN_META_API
GstClockTime gst_cnn_classification_meta_get_inference_time (
    const GstCnnClassificationMeta * meta);

/* Which frame the result was computed from, and how long before the carrying buffer. */
GST_CNN_META_API
void gst_cnn_classification_meta_set_source (GstCnnClassificationMeta * meta,
    GstClockTime source_pts, GstClockTime age);

GST_CNN_META_API
GstClockTime gst_cnn_classification_meta_get_source_pts (
    const GstCnnClassificationMeta * meta);

GST_CNN_META_API
GstClockTime gst_cnn_classification_meta_get_age (const GstCnnClassificationMeta * meta);

GST_CNN_META_API
gint gst_cnn_classification_meta_get_roi_id (const GstCnnClassificationMeta * meta);

/* Class activation map: where in the picture the evidence for one class lies. @data is
 * @width × @height floats, row-major, copied; (@x, @y, @w, @h) is the part of the frame
 * the map covers, as fractions of the frame's width and height (outside [0, 1] where the
 * network saw letterbox padding; a region's map covers part of the frame). */
GST_CNN_META_API
void gst_cnn_classification_meta_set_activation_map (GstCnnClassificationMeta * meta,
    gint class_id, guint width, guint height, const gfloat * data, gdouble x, gdouble y,
    gdouble w, gdouble h);

/* The map's values (NULL when the meta has none), its size and class. */
GST_CNN_META_API
const gfloat *gst_cnn_classification_meta_get_activation_map (
    const GstCnnClassificationMeta * meta, guint * width, guint * height, gint * class_id,
    guint * n_values);

/* The part of the frame the map covers, as fractions of the frame's size. FALSE when the
 * meta has no map. */
GST_CNN_META_API
gboolean gst_cnn_classification_meta_get_activation_map_area (
    const GstCnnClassificationMeta * meta, gdouble * x, gdouble * y, gdouble * w,
    gdouble * h);

G_END_DECLS

#endif /* GST_CNN_CLASSIFICATION_META_H */
