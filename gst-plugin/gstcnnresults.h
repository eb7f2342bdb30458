/* gstcnnresults.h — from cnnclassify's network output to what it reports.
 *
 * Scores become confidences (softmax, sigmoid, or as they are; `auto` decides from the
 * scores), the best classes at or above the threshold are picked, and the result is
 * attached to the buffer as a GstCnnClassificationMeta and, if asked for, posted on the
 * bus as a `cnnclassify` element message. The buffers are sized once, when the model is
 * loaded: nothing is allocated per frame but the meta and the message.
 *
 *     gst_cnn_results_init (&res, n_classes, labels);           // in start()
 *     cnn_model_run (model, inputs, (void *[]) { res.scores }, &err);
 *     gst_cnn_results_select (&res, output, top_k, threshold);  // per frame
 *     gst_cnn_results_attach (&res, buf, model_name, inference_time);
 *     gst_cnn_results_clear (&res);                             // in stop()
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_CNN_RESULTS_H
#define GST_CNN_RESULTS_H

#include <gst/base/gstbasetransform.h>

#include <cnn/cnn.h>

#include "gstcnnclassificationmeta.h"
#include "gstcnnmodelio.h"
#include "gstcnnsettings.h"

G_BEGIN_DECLS

typedef struct
{
  gsize n_classes;
  gchar **labels;               /* n_classes, never NULL entries; NULL-terminated */
  gfloat *scores;               /* n_classes, the raw network output */
  gfloat *probs;                /* n_classes, after the output activation */
  guint *top;                   /* the best classes, best first */
  guint n_top;                  /* how many of them, for the last select */
  gfloat *smoothed;             /* n_classes, moving average of probs across frames */
  gboolean smoothed_valid;      /* FALSE until the first frame after a reset */
} GstCnnResults;

/* Takes @labels (n_classes of them, NULL-terminated). FALSE when out of memory; then
 * gst_cnn_results_clear() still frees what was made. */
gboolean gst_cnn_results_init (GstCnnResults * res, gsize n_classes, gchar ** labels);
void gst_cnn_results_clear (GstCnnResults * res);

/* Confidences from the scores, then the @top_k best classes at or above @threshold (ties
 * keep the lower class id). Returns how many there are. */
guint gst_cnn_results_select (GstCnnResults * res, GstCnnOutputActivation output,
    guint top_k, gdouble threshold);

/* The same, after smoothing the confidences over the frames selected so far: an
 * exponential moving average that keeps @smoothing (0 – 1) of the history, so 0 is
 * gst_cnn_results_select(). The top-k, the reported confidences and the threshold all
 * use the smoothed values. */
guint gst_cnn_results_select_smoothed (GstCnnResults * res, GstCnnOutputActivation output,
    guint top_k, gdouble threshold, gdouble smoothing);

/* Forget the history: the next frame starts the average afresh (flush, discontinuity,
 * model swap). */
void gst_cnn_results_reset_smoothing (GstCnnResults * res);

/* Copies the last selection of @src (confidences, top-k, labels borrowed) into @dst,
 * made by gst_cnn_results_init() for the same number of classes with NULL labels. */
void gst_cnn_results_copy_selection (GstCnnResults * dst, const GstCnnResults * src);

/* Runs @model on @input (a preprocessed NCHW tensor fed through @io) into the scores;
 * *@inference_time is the network's wall-clock time. FALSE after an element error on
 * @element naming @source. */
gboolean gst_cnn_results_run (GstCnnResults * res, GstElement * element, GstCnnModelIO * io,
    cnn_model * model, const gchar * source, const gfloat * input,
    GstClockTime * inference_time);

/* The selected classes as a GstCnnClassificationMeta on @buf for the region of interest
 * @roi_id (-1: the whole frame), computed from the frame with PTS @source_pts that is
 * @age older than @buf (@buf's own PTS and 0 when the result is @buf's). Returns the
 * meta. */
GstCnnClassificationMeta *gst_cnn_results_attach (const GstCnnResults * res,
    GstBuffer * buf, GstClockTime source_pts, GstClockTime age, const gchar * model_name,
    GstClockTime inference_time, gint roi_id);

/* The selected classes as fields of @s: class-id, label, confidence (the best, if any)
 * and the arrays class-ids, labels, confidences (best first). */
void gst_cnn_results_set_fields (const GstCnnResults * res, GstStructure * s);

/* A `cnnclassify` message structure with @buf's timestamps in @trans's segment (@buf may
 * be NULL: then the source frame's), @source_pts and @age as in the meta, the model name
 * and the inference time, and no results yet. */
GstStructure *gst_cnn_results_message_new (GstBaseTransform * trans, GstBuffer * buf,
    GstClockTime source_pts, GstClockTime age, const gchar * model_name,
    GstClockTime inference_time);

/* The selected classes as a `cnnclassify` element message from @trans, with @buf's
 * timestamps in @trans's segment, and the @source_pts and @age as in the meta. @buf may
 * be NULL (a result that no buffer carries, at EOS): then the timestamps are the source
 * frame's. */
void gst_cnn_results_post (const GstCnnResults * res, GstBaseTransform * trans,
    GstBuffer * buf, GstClockTime source_pts, GstClockTime age, const gchar * model_name,
    GstClockTime inference_time);

G_END_DECLS

#endif /* GST_CNN_RESULTS_H */
