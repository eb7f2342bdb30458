/* gstcnntiming.h — cnnclassify's latency and QoS bookkeeping.
 *
 * Latency: in synchronous mode every frame waits for the network, so the element adds the
 * inference time it expects to the LATENCY query: the slowest of the recent runs (one
 * warm-up run at start, then every run; old runs fade), times 1.25, plus 2 ms. When runs
 * get slower than what was announced, the element posts a latency message and live sinks
 * re-query. With async-inference=true frames do not wait: it adds nothing.
 *
 * QoS: a QoS event from downstream says from which running time on frames are late
 * (timestamp + 2 × jitter, as GstBaseTransform computes it). A late frame is passed on at
 * once without inference — the video is never dropped here. In synchronous mode the
 * element also looks ahead: while the sink's last report leaves less slack (how early
 * frames arrive) than one inference takes, classifying would make the frame late, so it
 * passes unclassified too; the skipped frames let the stream catch up, the slack grows
 * back and the next frame is classified.
 *
 * All fields under the element's object lock.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_CNN_TIMING_H
#define GST_CNN_TIMING_H

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct
{
  GstClockTime expected;        /* decaying maximum of recent inference times */
  GstClockTime announced;       /* what the last LATENCY answer added */
  GstClockTime earliest;        /* QoS: frames before this running time are late */
  GstClockTimeDiff jitter;      /* QoS: the last report's lateness (< 0: early) */
  gboolean have_qos;
  guint64 qos_skipped;          /* frames passed on without inference, being late */
} GstCnnTiming;

void gst_cnn_timing_reset (GstCnnTiming * t);

/* One run took @inference_time. TRUE when the latency should be announced again. */
gboolean gst_cnn_timing_record (GstCnnTiming * t, GstClockTime inference_time);

/* What the element adds to the latency in synchronous mode (and remembers it). */
GstClockTime gst_cnn_timing_latency (GstCnnTiming * t);

/* A QoS event's values. */
void gst_cnn_timing_qos (GstCnnTiming * t, GstClockTimeDiff jitter, GstClockTime timestamp);

/* Should the frame at @running_time pass without inference: late, or (@look_ahead) would
 * an inference make it late? Counts it if so. */
gboolean gst_cnn_timing_is_late (GstCnnTiming * t, GstClockTime running_time,
    gboolean look_ahead);

/* The element's side, each under @lock (the element's object lock): a QoS event's
 * values; a LATENCY query answered upstream, plus what the element adds (nothing when
 * @async). */
void gst_cnn_timing_qos_event (GstCnnTiming * t, GstObject * lock, GstEvent * event);
void gst_cnn_timing_latency_query (GstCnnTiming * t, GstObject * lock, GstQuery * query,
    gboolean async);

G_END_DECLS

#endif /* GST_CNN_TIMING_H */
