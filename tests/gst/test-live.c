/* test-live.c — cnnclassify in live pipelines: async-inference, inference-interval,
 * smoothing, and every property that is mutable in PLAYING changed in PLAYING.
 *
 * models/slow.onnx is the colour model of test-cnnclassify.c behind an exact identity
 * that costs about a gigaMAC, so the async worker is busy while frames arrive (see
 * make-test-models.py). Frame i is solid red, green or blue (i % 3) with PTS i × 1/30 s,
 * so a result names the frame it was computed from and its top-1 says whether it really
 * was that frame. Nothing here measures time.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <gst/cnn/gstcnnclassificationmeta.h>

#define MODEL(name) TEST_MODELS_DIR G_DIR_SEPARATOR_S name
#define FRAME (GST_SECOND / 30)
#define WIDTH 64
#define HEIGHT 48
/* Frames pushed while waiting for an async result, 1 ms apart: far more than needed. */
#define MAX_WAIT_FRAMES 20000

static const gchar *const FRAME_COLOURS[] = { "red", "green", "blue" };

static const guint8 RGB[][3] = {
  {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {128, 128, 128}, {0, 0, 0}
};

enum
{ RED, GREEN, BLUE, GRAY, BLACK };

/* What one outgoing buffer carried. */
typedef struct
{
  gboolean has_meta;
  GstClockTime pts, source_pts, age;
  guint n;
  gchar top1[32];
  gchar model[32];
  gint ids[8];
  gfloat conf[8];
} Out;

/* ---- frames and harness ------------------------------------------------------------ */

/* A @w × @h RGB frame: colour @c, or with @columns, @c with a blue band in the middle
 * 120 of 320 columns (stretch sees @c, a centre crop sees mostly blue). */
static GstBuffer *
make_rgb (gint w, gint h, guint c, gboolean columns, GstClockTime pts)
{
  GstVideoInfo info;
  GstBuffer *buf;
  GstMapInfo map;
  gint x, y;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, w, h);
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  memset (map.data, 0, map.size);
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++) {
      gboolean band = columns && x >= 100 * w / 320 && x < 220 * w / 320;

      memcpy (map.data + y * GST_VIDEO_INFO_PLANE_STRIDE (&info, 0) + 3 * x,
          RGB[band ? BLUE : c], 3);
    }
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = FRAME;
  return buf;
}

static void
set_caps (GstHarness * h, gint w, gint hh)
{
  gchar *caps = g_strdup_printf ("video/x-raw,format=RGB,width=%d,height=%d,"
      "framerate=30/1", w, hh);

  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
}

static GstHarness *
live_harness (const gchar * model, const gchar * props, GstBus ** bus)
{
  gchar *desc = g_strdup_printf ("cnnclassify model=\"%s\" %s", model, props);
  GError *error = NULL;
  GstElement *e = gst_parse_launch (desc, &error);
  GstHarness *h;

  fail_unless (e != NULL && error == NULL, "%s: %s", desc, error ? error->message : "?");
  g_free (desc);
  *bus = gst_bus_new ();
  gst_element_set_bus (e, *bus);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  set_caps (h, WIDTH, HEIGHT);
  return h;
}

static void
teardown (GstHarness * h, GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);

  fail_unless (msg == NULL, "unexpected %" GST_PTR_FORMAT, msg);
  gst_element_set_bus (h->element, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

/* A flushing seek's events, and the new segment. */
static void
flush (GstHarness * h, gboolean reset_time)
{
  GstSegment segment;

  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (reset_time)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
}

/* Pushes @buf (taken) and pulls it back: every buffer comes out at once, whatever the
 * worker is doing. */
static Out
push_pull (GstHarness * h, GstBuffer * buf)
{
  GstCnnClassificationMeta *meta;
  GstBuffer *out;
  Out o;
  guint i;

  memset (&o, 0, sizeof (o));
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != NULL);
  o.pts = GST_BUFFER_PTS (out);
  fail_unless (gst_buffer_get_n_meta (out, GST_CNN_CLASSIFICATION_META_API_TYPE) <= 1);
  meta = gst_buffer_get_cnn_classification_meta (out);
  if (meta != NULL) {
    o.has_meta = TRUE;
    o.source_pts = gst_cnn_classification_meta_get_source_pts (meta);
    o.age = gst_cnn_classification_meta_get_age (meta);
    o.n = meta->n_entries;
    g_strlcpy (o.model, meta->model_name ? meta->model_name : "", sizeof (o.model));
    for (i = 0; i < MIN (o.n, G_N_ELEMENTS (o.ids)); i++) {
      o.ids[i] = meta->entries[i].class_id;
      o.conf[i] = meta->entries[i].confidence;
    }
    if (o.n > 0)
      g_strlcpy (o.top1, meta->entries[0].label, sizeof (o.top1));
  }
  gst_buffer_unref (out);
  return o;
}

static Out
push_frame (GstHarness * h, guint64 i)
{
  return push_pull (h, make_rgb (WIDTH, HEIGHT, i % 3, FALSE, i * FRAME));
}

/* A meta's result belongs to an earlier frame of this stream, with the right top-1 and
 * age = the carrying buffer's PTS minus the source frame's (running time = PTS here). */
static guint64
check_async_result (const Out * o)
{
  guint64 src;

  fail_unless (o->has_meta);
  fail_unless (GST_CLOCK_TIME_IS_VALID (o->source_pts));
  fail_unless (o->source_pts < o->pts, "result of %" GST_TIME_FORMAT " on %"
      GST_TIME_FORMAT ": not a later buffer", GST_TIME_ARGS (o->source_pts),
      GST_TIME_ARGS (o->pts));
  fail_unless_equals_uint64 (o->source_pts % FRAME, 0);
  src = o->source_pts / FRAME;
  fail_unless_equals_string (o->top1, FRAME_COLOURS[src % 3]);
  fail_unless_equals_uint64 (o->age, o->pts - o->source_pts);
  return src;
}

/* The next @count results, pushing frames from *@next on, 1 ms apart. */
static void
wait_results (GstHarness * h, guint64 * next, guint count, guint64 * sources)
{
  guint found = 0, i;

  for (i = 0; i < MAX_WAIT_FRAMES && found < count; i++) {
    Out o;

    g_usleep (1000);
    o = push_frame (h, (*next)++);
    if (o.has_meta)
      sources[found++] = check_async_result (&o);
  }
  fail_unless (found == count, "%u of %u results", found, count);
}

/* The element messages on @bus: their source-timestamp and age, in order. */
static guint
pop_results (GstBus * bus, guint64 * sources, GstClockTime * ages, guint max)
{
  GstMessage *msg;
  guint n = 0;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT)) != NULL) {
    const GstStructure *s = gst_message_get_structure (msg);
    guint64 src, age;

    fail_unless (gst_structure_has_name (s, "cnnclassify"));
    fail_unless (gst_structure_get_uint64 (s, "source-timestamp", &src));
    fail_unless (gst_structure_get_uint64 (s, "age", &age));
    fail_unless_equals_string (gst_structure_get_string (s, "label"),
        FRAME_COLOURS[(src / FRAME) % 3]);
    fail_unless (n < max);
    sources[n] = src / FRAME;
    ages[n++] = age;
    gst_message_unref (msg);
  }
  return n;
}

/* ---- async-inference --------------------------------------------------------------- */

/* Results come on later buffers, name their frame, and are posted once each. */
GST_START_TEST (test_async_later_buffers)
{
  GstBus *bus;
  GstHarness *h = live_harness (MODEL ("slow.onnx"),
      "async-inference=true post-messages=true", &bus);
  guint64 next = 0, sources[3], msg_sources[8];
  GstClockTime ages[8];
  guint i, n;
  Out o;

  /* The first frame cannot carry a result: none exists yet. */
  o = push_frame (h, next++);
  fail_if (o.has_meta);
  wait_results (h, &next, 3, sources);
  for (i = 1; i < 3; i++)
    fail_unless (sources[i] > sources[i - 1], "results out of order");

  /* The messages say the same, in the same order. */
  n = pop_results (bus, msg_sources, ages, G_N_ELEMENTS (msg_sources));
  fail_unless_equals_int (n, 3);
  for (i = 0; i < 3; i++)
    fail_unless_equals_uint64 (msg_sources[i], sources[i]);
  teardown (h, bus);
}

GST_END_TEST;

/* A burst faster than the network: the newest frame wins, nothing queues up, and at EOS
 * the last frame's result is posted although no buffer follows to carry it. */
GST_START_TEST (test_async_newest_frame)
{
  GstBus *bus;
  GstHarness *h = live_harness (MODEL ("slow.onnx"),
      "async-inference=true post-messages=true", &bus);
  GstBuffer *frames[32];
  const guint n_frames = G_N_ELEMENTS (frames);
  guint64 sources[G_N_ELEMENTS (frames) + 1];
  GstClockTime ages[G_N_ELEMENTS (frames) + 1];
  guint i, n, metas = 0;

  /* Made first, so that the pushes follow each other closely. */
  for (i = 0; i < n_frames; i++)
    frames[i] = make_rgb (WIDTH, HEIGHT, i % 3, FALSE, i * FRAME);
  for (i = 0; i < n_frames; i++)
    if (push_pull (h, frames[i]).has_meta)
      metas++;
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  n = pop_results (bus, sources, ages, G_N_ELEMENTS (sources));
  fail_unless_equals_int (n, metas + 1);
  fail_unless (n < n_frames, "%u results for %u frames: frames were queued", n, n_frames);
  for (i = 1; i < n; i++)
    fail_unless (sources[i] > sources[i - 1]);
  fail_unless_equals_uint64 (sources[n - 1], n_frames - 1);
  fail_unless_equals_uint64 (ages[n - 1], GST_CLOCK_TIME_NONE);
  teardown (h, bus);
}

GST_END_TEST;

/* A flushing seek, EOS and a state change with an inference in flight: no deadlock, no
 * leak (valgrind), and no result from before a flush lands after it. */
GST_START_TEST (test_async_flush_eos_state)
{
  GstBus *bus;
  GstHarness *h = live_harness (MODEL ("slow.onnx"), "async-inference=true", &bus);
  guint64 next, sources[2];
  guint i;

  for (i = 0; i < 4; i++)
    push_frame (h, i);
  flush (h, FALSE);
  next = 300;
  wait_results (h, &next, 2, sources);
  fail_unless (sources[0] >= 300, "frame %" G_GUINT64_FORMAT " from before the flush",
      sources[0]);

  for (i = 0; i < 2; i++)
    push_frame (h, next++);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  teardown (h, bus);

  /* Torn down (PLAYING → NULL) right after a frame was submitted. */
  for (i = 0; i < 3; i++) {
    h = live_harness (MODEL ("slow.onnx"), "async-inference=true", &bus);
    push_frame (h, 0);
    push_frame (h, 1);
    teardown (h, bus);
  }
}

GST_END_TEST;

/* ---- inference-interval ------------------------------------------------------------ */

/* Every Nth frame is classified; the frames in between carry nothing and post nothing. */
GST_START_TEST (test_interval)
{
  GstBus *bus;
  GstHarness *h = live_harness (MODEL ("color.onnx"),
      "inference-interval=3 post-messages=true", &bus);
  guint64 sources[16], i;
  GstClockTime ages[16];
  guint n;

  for (i = 0; i < 10; i++) {
    Out o = push_frame (h, i);

    fail_unless_equals_int (o.has_meta, i % 3 == 0);
    if (o.has_meta) {
      fail_unless_equals_string (o.top1, FRAME_COLOURS[i % 3]);
      fail_unless_equals_uint64 (o.source_pts, o.pts);
      fail_unless_equals_uint64 (o.age, 0);
    }
  }
  n = pop_results (bus, sources, ages, G_N_ELEMENTS (sources));
  fail_unless_equals_int (n, 4);
  for (i = 0; i < n; i++) {
    fail_unless_equals_uint64 (sources[i], 3 * i);
    fail_unless_equals_uint64 (ages[i], 0);
  }

  /* Changed in PLAYING: frames 10, 12 (the count goes on). */
  g_object_set (h->element, "inference-interval", 2, NULL);
  for (i = 10; i < 14; i++)
    fail_unless_equals_int (push_frame (h, i).has_meta, i % 2 == 0);
  /* A flush starts counting again: its first frame is classified. */
  flush (h, TRUE);
  fail_unless (push_frame (h, 15).has_meta);
  fail_if (push_frame (h, 16).has_meta);
  fail_unless_equals_int (pop_results (bus, sources, ages, G_N_ELEMENTS (sources)), 3);
  teardown (h, bus);
}

GST_END_TEST;

/* With async-inference: only every 4th frame goes to the worker. */
GST_START_TEST (test_interval_async)
{
  GstBus *bus;
  GstHarness *h = live_harness (MODEL ("slow.onnx"),
      "async-inference=true inference-interval=4", &bus);
  guint64 next = 0, sources[3];
  guint i;

  wait_results (h, &next, 3, sources);
  for (i = 0; i < 3; i++)
    fail_unless_equals_uint64 (sources[i] % 4, 0);
  teardown (h, bus);
}

GST_END_TEST;

/* ---- latency and QoS -------------------------------------------------------------- */

/* Synchronous mode adds the inference time it expects (with margin) to the upstream
 * latency; async mode adds nothing. */
GST_START_TEST (test_latency)
{
  const GstClockTime upstream = 40 * GST_MSECOND;
  GstBus *bus;
  GstHarness *h;
  GstClockTime lat;

  h = live_harness (MODEL ("slow.onnx"), "", &bus);
  gst_harness_set_upstream_latency (h, upstream);
  fail_unless (push_frame (h, 0).has_meta);
  lat = gst_harness_query_latency (h);
  fail_unless (lat >= upstream + 2 * GST_MSECOND, "latency %" GST_TIME_FORMAT,
      GST_TIME_ARGS (lat));
  teardown (h, bus);

  h = live_harness (MODEL ("slow.onnx"), "async-inference=true", &bus);
  gst_harness_set_upstream_latency (h, upstream);
  push_frame (h, 0);
  fail_unless_equals_uint64 (gst_harness_query_latency (h), upstream);
  teardown (h, bus);
}

GST_END_TEST;

/* Late frames (QoS) pass at once without inference; the video is never dropped. */
GST_START_TEST (test_qos_skips_inference)
{
  GstBus *bus;
  GstHarness *h = live_harness (MODEL ("color.onnx"), "", &bus);
  GstMessage *msg;
  guint64 i;

  fail_unless (push_frame (h, 0).has_meta);
  /* Frame 10 was 5 frames late: frames up to 10 + 2 × 5 are late. */
  fail_unless (gst_harness_push_upstream_event (h, gst_event_new_qos (GST_QOS_TYPE_UNDERFLOW,
              1.5, 5 * FRAME, 10 * FRAME)));
  for (i = 1; i < 26; i++) {
    Out o = push_frame (h, i);

    fail_unless_equals_uint64 (o.pts, i * FRAME);
    fail_unless_equals_int (o.has_meta, i > 20);
  }
  /* Looking ahead: frames arrive 1 ns early, less than an inference takes, so
   * classifying would make them late; half a second early is plenty. */
  fail_unless (gst_harness_push_upstream_event (h, gst_event_new_qos (GST_QOS_TYPE_UNDERFLOW,
              1.0, -1, 30 * FRAME)));
  fail_if (push_frame (h, 31).has_meta);
  fail_unless (gst_harness_push_upstream_event (h, gst_event_new_qos (GST_QOS_TYPE_OVERFLOW,
              1.0, -(GstClockTimeDiff) GST_SECOND / 2, 31 * FRAME)));
  fail_unless (push_frame (h, 32).has_meta);
  /* A flush forgets it all. */
  fail_unless (gst_harness_push_upstream_event (h, gst_event_new_qos (GST_QOS_TYPE_UNDERFLOW,
              1.0, -1, 32 * FRAME)));
  flush (h, TRUE);
  fail_unless (push_frame (h, 0).has_meta);
  teardown (h, bus);

  /* With async-inference, frames do not wait for the network: no looking ahead. */
  h = live_harness (MODEL ("color.onnx"), "async-inference=true post-messages=true", &bus);
  fail_unless (gst_harness_push_upstream_event (h, gst_event_new_qos (GST_QOS_TYPE_UNDERFLOW,
              1.0, -1, FRAME)));
  push_frame (h, 1);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL, "frame 1 was not classified");
  gst_message_unref (msg);
  teardown (h, bus);
}

GST_END_TEST;

/* ---- properties in PLAYING --------------------------------------------------------- */

/* The result for a @w × @h frame of colour @c with the settings of now: in async mode,
 * the first result from a frame pushed after this call. */
static Out
result_now (GstHarness * h, gboolean async, guint64 * pts, gint w, gint hh, guint c,
    gboolean columns)
{
  GstClockTime first = *pts * FRAME;
  guint i;

  set_caps (h, w, hh);
  if (!async)
    return push_pull (h, make_rgb (w, hh, c, columns, (*pts)++ * FRAME));
  for (i = 0; i < MAX_WAIT_FRAMES; i++) {
    Out o;

    g_usleep (1000);
    o = push_pull (h, make_rgb (w, hh, c, columns, (*pts)++ * FRAME));
    if (o.has_meta && o.source_pts >= first)
      return o;
  }
  fail ("no result");
  return push_pull (h, make_rgb (w, hh, c, columns, (*pts)++ * FRAME));
}

static void
check_mutable_properties (const gchar * model, gboolean async)
{
  GstBus *bus;
  GstHarness *h = live_harness (model, async ? "async-inference=true" : "", &bus);
  GObject *e = G_OBJECT (h->element);
  const gint threads[] = { 0, 2, 3, 1 };
  guint64 pts = 0;
  GstMessage *msg;
  guint i;
  Out o;

  o = result_now (h, async, &pts, WIDTH, HEIGHT, RED, FALSE);
  fail_unless_equals_string (o.top1, "red");
  fail_unless_equals_int (o.n, 5);

  g_object_set (e, "top-k", 2, NULL);
  o = result_now (h, async, &pts, WIDTH, HEIGHT, RED, FALSE);
  fail_unless_equals_int (o.n, 2);

  g_object_set (e, "threshold", 0.5, NULL);
  o = result_now (h, async, &pts, WIDTH, HEIGHT, RED, FALSE);
  fail_unless_equals_int (o.n, 1);
  g_object_set (e, "threshold", 0.0, NULL);

  /* Raw scores: red = 2r − g − b = 2. */
  gst_util_set_object_arg (e, "output", "none");
  o = result_now (h, async, &pts, WIDTH, HEIGHT, RED, FALSE);
  fail_unless (fabs (o.conf[0] - 2.0) < 1e-3, "output=none: %f", o.conf[0]);
  gst_util_set_object_arg (e, "output", "auto");

  gst_util_set_object_arg (e, "color-order", "bgr");
  o = result_now (h, async, &pts, WIDTH, HEIGHT, RED, FALSE);
  fail_unless_equals_string (o.top1, "blue");
  gst_util_set_object_arg (e, "color-order", "rgb");

  /* (0.502 − 0.5) / 0.5 ≈ 0 → black; 0..255 → 128 → white. */
  g_object_set (e, "mean", "0.5", "std", "0.5", NULL);
  o = result_now (h, async, &pts, WIDTH, HEIGHT, GRAY, FALSE);
  fail_unless_equals_string (o.top1, "black");
  g_object_set (e, "mean", NULL, "std", NULL, "value-range", "0,255", NULL);
  o = result_now (h, async, &pts, WIDTH, HEIGHT, GRAY, FALSE);
  fail_unless_equals_string (o.top1, "white");
  g_object_set (e, "value-range", NULL, NULL);

  o = result_now (h, async, &pts, 320, 160, RED, TRUE);
  fail_unless_equals_string (o.top1, "red");
  gst_util_set_object_arg (e, "resize-mode", "center-crop");
  o = result_now (h, async, &pts, 320, 160, RED, TRUE);
  fail_unless_equals_string (o.top1, "blue");

  /* Letterboxed black 4:1 frame, white border: 1/4 black, 3/4 white → gray. */
  gst_util_set_object_arg (e, "resize-mode", "letterbox");
  g_object_set (e, "pad-value", 255, NULL);
  o = result_now (h, async, &pts, 320, 80, BLACK, FALSE);
  fail_unless_equals_string (o.top1, "gray");
  gst_util_set_object_arg (e, "resize-mode", "stretch");

  for (i = 0; i < G_N_ELEMENTS (threads); i++) {
    g_object_set (e, "threads", threads[i], NULL);
    o = result_now (h, async, &pts, WIDTH, HEIGHT, GREEN, FALSE);
    fail_unless_equals_string (o.top1, "green");
  }

  g_object_set (e, "post-messages", TRUE, NULL);
  result_now (h, async, &pts, WIDTH, HEIGHT, GREEN, FALSE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL, "post-messages=true: no message");
  gst_message_unref (msg);
  teardown (h, bus);
}

GST_START_TEST (test_mutable_in_playing)
{
  check_mutable_properties (MODEL ("color.onnx"), FALSE);
}

GST_END_TEST;

GST_START_TEST (test_mutable_in_playing_async)
{
  check_mutable_properties (MODEL ("slow.onnx"), TRUE);
}

GST_END_TEST;

/* ---- model hot-swap ---------------------------------------------------------------- */

/* Frames of colour @c until one carries a result of model @name; every frame comes out. */
static Out
wait_model (GstHarness * h, guint64 * pts, const gchar * name, guint c)
{
  guint i;

  for (i = 0; i < MAX_WAIT_FRAMES; i++) {
    Out o;

    g_usleep (1000);
    o = push_pull (h, make_rgb (WIDTH, HEIGHT, c, FALSE, (*pts)++ * FRAME));
    if (o.has_meta && strcmp (o.model, name) == 0)
      return o;
  }
  fail ("model %s never produced a result", name);
  return push_pull (h, make_rgb (WIDTH, HEIGHT, c, FALSE, (*pts)++ * FRAME));
}

static void
check_hot_swap (gboolean async)
{
  GstBus *bus;
  GstHarness *h = live_harness (MODEL ("color.onnx"),
      async ? "async-inference=true" : "", &bus);
  GstMessage *msg = NULL;
  GError *err = NULL;
  gchar *debug = NULL, *model = NULL;
  guint64 pts = 0;
  guint i;
  Out o;

  o = result_now (h, async, &pts, WIDTH, HEIGHT, RED, FALSE);
  fail_unless_equals_string (o.model, "colour-test");
  fail_unless_equals_string (o.top1, "red");

  /* A good model: its results (BGR order from its metadata: red reads as blue). */
  g_object_set (h->element, "model", MODEL ("color-bgr.onnx"), NULL);
  o = wait_model (h, &pts, "colour-bgr", RED);
  fail_unless_equals_string (o.top1, "blue");
  for (i = 0; i < 5; i++) {
    o = push_frame (h, pts++);
    fail_if (o.has_meta && strcmp (o.model, "colour-bgr") != 0, "old model's result");
  }

  /* A bad one: a warning naming the file, and the model that ran goes on. */
  g_object_set (h->element, "model", MODEL ("corrupt.onnx"), NULL);
  for (i = 0; i < MAX_WAIT_FRAMES && msg == NULL; i++) {
    g_usleep (1000);
    push_frame (h, pts++);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING | GST_MESSAGE_ERROR);
  }
  fail_unless (msg != NULL, "no warning");
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_WARNING);
  gst_message_parse_warning (msg, &err, &debug);
  fail_unless (strstr (err->message, "corrupt.onnx") != NULL, "%s", err->message);
  fail_unless (strstr (err->message, "color-bgr.onnx") != NULL, "%s", err->message);
  g_clear_error (&err);
  g_free (debug);
  gst_message_unref (msg);
  o = result_now (h, async, &pts, WIDTH, HEIGHT, RED, FALSE);
  fail_unless_equals_string (o.model, "colour-bgr");
  fail_unless_equals_string (o.top1, "blue");
  g_object_get (h->element, "model", &model, NULL);
  fail_unless_equals_string (model, MODEL ("color-bgr.onnx"));
  g_free (model);

  /* Torn down with a load in progress. */
  g_object_set (h->element, "model", MODEL ("slow.onnx"), NULL);
  teardown (h, bus);
}

GST_START_TEST (test_hot_swap)
{
  check_hot_swap (FALSE);
}

GST_END_TEST;

GST_START_TEST (test_hot_swap_async)
{
  check_hot_swap (TRUE);
}

GST_END_TEST;

/* ---- smoothing --------------------------------------------------------------------- */

static gfloat
conf_of (const Out * o, gint id)
{
  guint i;

  for (i = 0; i < o->n; i++)
    if (o->ids[i] == id)
      return o->conf[i];
  fail ("class %d not reported", id);
  return -1;
}

static void
assert_mix (const Out * o, gdouble keep, const Out * old, const Out * cur)
{
  gint id;

  for (id = 0; id < 6; id++) {
    gdouble want = keep * conf_of (old, id) + (1 - keep) * conf_of (cur, id);

    fail_unless (fabs (conf_of (o, id) - want) < 1e-5, "class %d: %f, expected %f", id,
        conf_of (o, id), want);
  }
}

GST_START_TEST (test_smoothing)
{
  GstBus *bus;
  GstHarness *h = live_harness (MODEL ("color.onnx"), "top-k=6 output=softmax", &bus);
  GstBuffer *buf;
  Out red, green, o1, o2, o;

  red = push_pull (h, make_rgb (WIDTH, HEIGHT, RED, FALSE, 0));
  green = push_pull (h, make_rgb (WIDTH, HEIGHT, GREEN, FALSE, 0));
  fail_unless_equals_string (green.top1, "green");

  /* Switched on in PLAYING: the average starts with the next frame. */
  g_object_set (h->element, "smoothing", 0.75, NULL);
  o = push_pull (h, make_rgb (WIDTH, HEIGHT, RED, FALSE, 0));
  assert_mix (&o, 0.0, &red, &red);
  /* One green frame does not flip a steady red: the top-1 stays. */
  o1 = push_pull (h, make_rgb (WIDTH, HEIGHT, GREEN, FALSE, 0));
  assert_mix (&o1, 0.75, &red, &green);
  fail_unless_equals_string (o1.top1, "red");
  o2 = push_pull (h, make_rgb (WIDTH, HEIGHT, GREEN, FALSE, 0));
  assert_mix (&o2, 0.75, &o1, &green);

  /* A discontinuity starts afresh. */
  buf = make_rgb (WIDTH, HEIGHT, GREEN, FALSE, 0);
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  o = push_pull (h, buf);
  assert_mix (&o, 0.0, &green, &green);
  /* So does a flush. */
  flush (h, TRUE);
  o = push_pull (h, make_rgb (WIDTH, HEIGHT, RED, FALSE, 0));
  assert_mix (&o, 0.0, &red, &red);
  teardown (h, bus);
}

GST_END_TEST;

static Suite *
live_suite (void)
{
  Suite *s = suite_create ("cnnclassify-live");
  TCase *tc = tcase_create ("live");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_async_later_buffers);
  tcase_add_test (tc, test_async_newest_frame);
  tcase_add_test (tc, test_async_flush_eos_state);
  tcase_add_test (tc, test_interval);
  tcase_add_test (tc, test_interval_async);
  tcase_add_test (tc, test_latency);
  tcase_add_test (tc, test_qos_skips_inference);
  tcase_add_test (tc, test_mutable_in_playing);
  tcase_add_test (tc, test_mutable_in_playing_async);
  tcase_add_test (tc, test_smoothing);
  tcase_add_test (tc, test_hot_swap);
  tcase_add_test (tc, test_hot_swap_async);
  return s;
}

GST_CHECK_MAIN (live);
