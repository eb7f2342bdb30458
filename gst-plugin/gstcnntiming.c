/* gstcnntiming.c — latency and QoS bookkeeping for cnnclassify. See gstcnntiming.h.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstcnntiming.h"

GST_DEBUG_CATEGORY_EXTERN (gst_cnn_classify_debug);
#define GST_CAT_DEFAULT gst_cnn_classify_debug

#define MARGIN_NUM 5            /* × 5/4 */
#define MARGIN_DEN 4
#define MARGIN_FIXED (2 * GST_MSECOND)

void
gst_cnn_timing_reset (GstCnnTiming * t)
{
  t->expected = 0;
  t->announced = 0;
  t->earliest = GST_CLOCK_TIME_NONE;
  t->jitter = 0;
  t->have_qos = FALSE;
  t->qos_skipped = 0;
}

gboolean
gst_cnn_timing_record (GstCnnTiming * t, GstClockTime inference_time)
{
  /* A slower run counts at once; faster ones lower the expectation slowly (1/16). */
  if (inference_time >= t->expected)
    t->expected = inference_time;
  else
    t->expected -= (t->expected - inference_time) / 16;
  return t->announced != 0 && t->expected > t->announced;
}

GstClockTime
gst_cnn_timing_latency (GstCnnTiming * t)
{
  t->announced = t->expected * MARGIN_NUM / MARGIN_DEN + MARGIN_FIXED;
  return t->announced;
}

void
gst_cnn_timing_qos (GstCnnTiming * t, GstClockTimeDiff jitter, GstClockTime timestamp)
{
  if (!GST_CLOCK_TIME_IS_VALID (timestamp))
    return;
  t->jitter = jitter;
  t->have_qos = TRUE;
  if (jitter > 0)
    t->earliest = timestamp + 2 * jitter;
  else
    t->earliest = timestamp > (GstClockTime) (-jitter) ? timestamp + jitter : 0;
}

gboolean
gst_cnn_timing_is_late (GstCnnTiming * t, GstClockTime running_time, gboolean look_ahead)
{
  gboolean late = GST_CLOCK_TIME_IS_VALID (running_time) &&
      GST_CLOCK_TIME_IS_VALID (t->earliest) && running_time <= t->earliest;

  if (!late && look_ahead && t->have_qos)
    late = t->jitter <= 0 && (GstClockTime) (-t->jitter) < t->expected;
  if (late)
    t->qos_skipped++;
  return late;
}

void
gst_cnn_timing_qos_event (GstCnnTiming * t, GstObject * lock, GstEvent * event)
{
  GstClockTimeDiff jitter;
  GstClockTime timestamp;

  gst_event_parse_qos (event, NULL, NULL, &jitter, &timestamp);
  GST_OBJECT_LOCK (lock);
  gst_cnn_timing_qos (t, jitter, timestamp);
  GST_OBJECT_UNLOCK (lock);
}

void
gst_cnn_timing_latency_query (GstCnnTiming * t, GstObject * lock, GstQuery * query,
    gboolean async)
{
  GstClockTime min, max, ours;
  gboolean live;

  gst_query_parse_latency (query, &live, &min, &max);
  GST_OBJECT_LOCK (lock);
  ours = async ? 0 : gst_cnn_timing_latency (t);
  GST_OBJECT_UNLOCK (lock);
  GST_DEBUG_OBJECT (lock, "latency: upstream %" GST_TIME_FORMAT ", ours %" GST_TIME_FORMAT,
      GST_TIME_ARGS (min), GST_TIME_ARGS (ours));
  gst_query_set_latency (query, live, min + ours,
      GST_CLOCK_TIME_IS_VALID (max) ? max + ours : max);
}
