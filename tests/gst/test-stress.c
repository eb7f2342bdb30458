/* test-stress.c — cnnclassify through the life of real pipelines: hundreds of state
 * cycles, caps changes mid-stream, flushing seeks, EOS and restarts, a model swapped in
 * READY, two classifiers side by side, a corrupt model and a model file deleted while
 * running.
 *
 * STRESS_CYCLES (default 500) sets the number of state cycles; the valgrind run of this
 * test uses fewer. Every buffer that reaches a sink is checked for the expected meta.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <gst/cnn/gstcnnclassificationmeta.h>

#include "test-frames.h"

#define MODEL(name) TEST_MODELS_DIR G_DIR_SEPARATOR_S name
#define TIMEOUT (30 * GST_SECOND)

static const gchar *const system_plugins[] = { "coreelements", "videotestsrc" };

static gboolean have_system_plugins;

static void
load_system_plugins (void)
{
  guint i;

  have_system_plugins = TRUE;
  for (i = 0; i < G_N_ELEMENTS (system_plugins); i++) {
    gchar *path = g_strdup_printf ("%s/libgst%s.so", SYSTEM_PLUGINS_DIR, system_plugins[i]);
    GError *error = NULL;
    GstPlugin *plugin = gst_plugin_load_file (path, &error);

    if (plugin == NULL) {
      g_printerr ("cannot load %s: %s\n", path, error->message);
      g_clear_error (&error);
      have_system_plugins = FALSE;
    } else {
      gst_object_unref (plugin);
    }
    g_free (path);
  }
}

/* ---- counting what reaches a sink -------------------------------------------------- */

/* What the buffers at one sink must carry: exactly one meta from @model_name with
 * @n_entries entries whose top-1 is @top1 (NULL: any). */
typedef struct
{
  const gchar *model_name;
  guint n_entries;
  const gchar *top1;
  gint buffers;                 /* atomics: written from streaming threads */
  gint good;
  gint bad;                     /* async: a result that is not what was expected */
} Expect;

static GstPadProbeReturn
check_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Expect *e = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstCnnClassificationMeta *meta = gst_buffer_get_cnn_classification_meta (buf);

  if (meta != NULL &&
      gst_buffer_get_n_meta (buf, GST_CNN_CLASSIFICATION_META_API_TYPE) == 1 &&
      g_strcmp0 (meta->model_name, e->model_name) == 0 &&
      meta->n_entries == e->n_entries &&
      (e->top1 == NULL || strcmp (meta->entries[0].label, e->top1) == 0))
    g_atomic_int_inc (&e->good);
  else
    GST_WARNING ("unexpected meta %p (%s, %u entries, top-1 %s) on %" GST_PTR_FORMAT,
        meta, meta ? meta->model_name : "-", meta ? meta->n_entries : 0,
        meta && meta->n_entries ? meta->entries[0].label : "-", buf);
  g_atomic_int_inc (&e->buffers);
  return GST_PAD_PROBE_OK;
}

static void
expect_at (GstElement * pipeline, const gchar * sink_name, Expect * e)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), sink_name);
  GstPad *pad;

  fail_unless (sink != NULL, "no element %s", sink_name);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, check_buffer, e, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
}

static void
expect_reset (Expect * e)
{
  g_atomic_int_set (&e->buffers, 0);
  g_atomic_int_set (&e->good, 0);
}

/* Every buffer so far was as expected. */
static void
assert_all_good (Expect * e, const gchar * what)
{
  gint buffers = g_atomic_int_get (&e->buffers), good = g_atomic_int_get (&e->good);

  fail_unless (buffers > 0, "%s: no buffers", what);
  fail_unless_equals_int (good, buffers);
}

/* Waits until at least @n buffers arrived, failing on an error message or a timeout. */
static void
wait_for_buffers (GstElement * pipeline, Expect * e, gint n)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gint64 deadline = g_get_monotonic_time () + TIMEOUT / GST_USECOND;

  while (g_atomic_int_get (&e->buffers) < n) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 2 * GST_MSECOND,
        GST_MESSAGE_ERROR);

    if (msg != NULL) {
      GError *err = NULL;

      gst_message_parse_error (msg, &err, NULL);
      fail ("error while waiting for buffers: %s", err->message);
    }
    fail_unless (g_get_monotonic_time () < deadline, "timeout: %d of %d buffers",
        g_atomic_int_get (&e->buffers), n);
  }
  gst_object_unref (bus);
}

static GstElement *
pipeline_new (const gchar * desc)
{
  GError *error = NULL;
  GstElement *pipeline;

  fail_unless (have_system_plugins, "needs the coreelements and videotestsrc plugins");
  pipeline = gst_parse_launch (desc, &error);
  fail_unless (pipeline != NULL && error == NULL, "%s: %s", desc,
      error ? error->message : "?");
  return pipeline;
}

static void
set_state_sync (GstElement * pipeline, GstState state)
{
  fail_if (gst_element_set_state (pipeline, state) == GST_STATE_CHANGE_FAILURE,
      "cannot go to %s", gst_element_state_get_name (state));
  fail_unless_equals_int (gst_element_get_state (pipeline, NULL, NULL, TIMEOUT),
      GST_STATE_CHANGE_SUCCESS);
}

/* PLAYING until EOS (an error fails the test); the pipeline is left in PLAYING. */
static void
play_to_eos (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, TIMEOUT, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "timeout waiting for EOS");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    fail ("error instead of EOS: %s", err->message);
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
}

/* The state change to PLAYING fails with an error that names @path; returns its code. */
static gint
expect_start_failure (GstElement * pipeline, const gchar * path)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  GError *err = NULL;
  gint code;

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, path) != NULL, "\"%s\" not in \"%s\"", path,
      err->message);
  code = err->code;
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_bus_set_flushing (bus, FALSE);
  gst_object_unref (bus);
  return code;
}

static guint
stress_cycles (void)
{
  const gchar *env = g_getenv ("STRESS_CYCLES");
  guint64 n = env ? g_ascii_strtoull (env, NULL, 10) : 0;

  return n > 0 ? (guint) n : 500;
}

#define RED_SOURCE(n) "videotestsrc pattern=red num-buffers=" G_STRINGIFY (n)

/* ---- tests ------------------------------------------------------------------------- */

/* NULL → PLAYING → NULL, many times: the model is loaded and freed every time. */
GST_START_TEST (test_state_cycles)
{
  GstElement *pipeline = pipeline_new ("videotestsrc pattern=red ! "
      "video/x-raw,format=I420,width=64,height=48 ! "
      "cnnclassify model=\"" MODEL ("color.onnx") "\" ! fakesink name=sink");
  Expect e = { .model_name = "colour-test", .n_entries = 5, .top1 = "red" };
  guint i, cycles = stress_cycles ();

  expect_at (pipeline, "sink", &e);
  for (i = 0; i < cycles; i++) {
    set_state_sync (pipeline, GST_STATE_PLAYING);
    fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
  }
  /* Each PLAYING prerolled at least one buffer. */
  fail_unless (g_atomic_int_get (&e.buffers) >= (gint) cycles);
  assert_all_good (&e, "state cycles");
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Buffers in async mode carry a result of an earlier frame, or nothing. */
static GstPadProbeReturn
check_async_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Expect *e = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstCnnClassificationMeta *meta = gst_buffer_get_cnn_classification_meta (buf);

  g_atomic_int_inc (&e->buffers);
  if (meta == NULL)
    return GST_PAD_PROBE_OK;
  if (g_strcmp0 (meta->model_name, e->model_name) == 0 && meta->n_entries == e->n_entries &&
      strcmp (meta->entries[0].label, e->top1) == 0 &&
      meta->source_pts < GST_BUFFER_PTS (buf))
    g_atomic_int_inc (&e->good);
  else
    g_atomic_int_inc (&e->bad);
  return GST_PAD_PROBE_OK;
}

/* The same cycles with async-inference: the worker thread starts and stops each time,
 * often with a frame in flight. */
GST_START_TEST (test_state_cycles_async)
{
  GstElement *pipeline = pipeline_new ("videotestsrc pattern=red ! "
      "video/x-raw,format=I420,width=64,height=48,framerate=30/1 ! "
      "cnnclassify async-inference=true model=\"" MODEL ("color.onnx") "\" ! "
      "fakesink name=sink");
  Expect e = { .model_name = "colour-test", .n_entries = 5, .top1 = "red" };
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  guint i, cycles = stress_cycles ();

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, check_async_buffer, &e, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  for (i = 0; i < cycles; i++) {
    set_state_sync (pipeline, GST_STATE_PLAYING);
    fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
  }
  fail_unless (g_atomic_int_get (&e.buffers) >= (gint) cycles);
  fail_unless_equals_int (g_atomic_int_get (&e.bad), 0);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static void
fill_corner (gint x, gint y, gint w, gint h, guint8 * rgb, gconstpointer data)
{
  gboolean red = x < w / 2 && y < h / 2;

  rgb[0] = red ? 255 : 0;
  rgb[1] = 0;
  rgb[2] = red ? 0 : 255;
}

/* A frame of @format: blue with a red top-left quarter. The whole frame's top-1 is blue;
 * scaler tables left over from a larger frame would sample the red corner. */
static GstBuffer *
make_corner_frame (GstVideoFormat format, gint w, gint h, GstVideoInfo * info)
{
  return make_frame_full (format, w, h, fill_corner, NULL, NULL, info);
}

/* New caps between buffers, round after round: format and size both change. */
GST_START_TEST (test_caps_changes)
{
  static const struct
  {
    GstVideoFormat format;
    gint w, h;
  } caps[] = {
    {GST_VIDEO_FORMAT_RGBx, 320, 240},
    {GST_VIDEO_FORMAT_I420, 64, 48},
    {GST_VIDEO_FORMAT_NV12, 1280, 720},
    {GST_VIDEO_FORMAT_BGR, 33, 17},
    {GST_VIDEO_FORMAT_I420, 642, 362},
    {GST_VIDEO_FORMAT_ARGB, 16, 16},
    {GST_VIDEO_FORMAT_NV12, 2, 2},
  };
  GstHarness *h = gst_harness_new_parse ("cnnclassify model=\"" MODEL ("color.onnx") "\"");
  GstBuffer *frames[G_N_ELEMENTS (caps)];
  GstVideoInfo infos[G_N_ELEMENTS (caps)];
  guint round, i;

  for (i = 0; i < G_N_ELEMENTS (caps); i++)
    frames[i] = make_corner_frame (caps[i].format, caps[i].w, caps[i].h, &infos[i]);

  for (round = 0; round < 20; round++) {
    for (i = 0; i < G_N_ELEMENTS (caps); i++) {
      GstCnnClassificationMeta *meta;
      GstBuffer *out;

      gst_harness_set_src_caps (h, gst_video_info_to_caps (&infos[i]));
      fail_unless_equals_int (gst_harness_push (h, gst_buffer_copy (frames[i])),
          GST_FLOW_OK);
      out = gst_harness_pull (h);
      meta = gst_buffer_get_cnn_classification_meta (out);
      fail_unless (meta != NULL && meta->n_entries > 0);
      /* A 2x2 frame is a quarter red, so blue still wins; sizes agree on the label. */
      fail_unless (strcmp (meta->entries[0].label, "blue") == 0,
          "round %u, %s %dx%d: top-1 %s", round,
          gst_video_format_to_string (caps[i].format), caps[i].w, caps[i].h,
          meta->entries[0].label);
      gst_buffer_unref (out);
    }
  }
  for (i = 0; i < G_N_ELEMENTS (caps); i++)
    gst_buffer_unref (frames[i]);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Whether the caps on @pad are (a fixation of) @want. */
static gboolean
pad_has_caps (GstPad * pad, GstCaps * want)
{
  GstCaps *current = gst_pad_get_current_caps (pad);
  gboolean ok = current != NULL && gst_caps_is_subset (current, want);

  if (current != NULL)
    gst_caps_unref (current);
  return ok;
}

/* The source renegotiates while PLAYING when the capsfilter's caps change. */
GST_START_TEST (test_caps_changes_playing)
{
  static const gchar *const caps[] = {
    "video/x-raw,format=I420,width=320,height=240",
    "video/x-raw,format=RGBx,width=64,height=48",
    "video/x-raw,format=NV12,width=176,height=144",
    "video/x-raw,format=BGR,width=31,height=7",
  };
  GstElement *pipeline = pipeline_new ("videotestsrc pattern=red ! "
      "capsfilter name=filter caps=video/x-raw,format=I420,width=320,height=240 ! "
      "cnnclassify model=\"" MODEL ("color.onnx") "\" ! fakesink name=sink");
  GstElement *filter = gst_bin_get_by_name (GST_BIN (pipeline), "filter");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");
  Expect e = { .model_name = "colour-test", .n_entries = 5, .top1 = "red" };
  guint round, i;

  expect_at (pipeline, "sink", &e);
  set_state_sync (pipeline, GST_STATE_PLAYING);
  for (round = 0; round < 5; round++) {
    for (i = 0; i < G_N_ELEMENTS (caps); i++) {
      GstCaps *c = gst_caps_from_string (caps[i]);
      gint64 deadline = g_get_monotonic_time () + TIMEOUT / GST_USECOND;

      g_object_set (filter, "caps", c, NULL);
      /* Until the new caps went through the classifier, then a few frames more. */
      while (!pad_has_caps (sinkpad, c)) {
        fail_unless (g_get_monotonic_time () < deadline, "no renegotiation to %s",
            caps[i]);
        g_usleep (1000);
      }
      wait_for_buffers (pipeline, &e, g_atomic_int_get (&e.buffers) + 3);
      gst_caps_unref (c);
    }
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  assert_all_good (&e, "caps changes while playing");
  gst_object_unref (sinkpad);
  gst_object_unref (sink);
  gst_object_unref (filter);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Flushing seeks while PLAYING and while PAUSED: classification continues after each. */
GST_START_TEST (test_flushing_seeks)
{
  GstElement *pipeline = pipeline_new ("videotestsrc pattern=red ! "
      "video/x-raw,format=NV12,width=160,height=120,framerate=30/1 ! "
      "cnnclassify model=\"" MODEL ("color.onnx") "\" ! fakesink name=sink");
  Expect e = { .model_name = "colour-test", .n_entries = 5, .top1 = "red" };
  guint i;

  expect_at (pipeline, "sink", &e);
  set_state_sync (pipeline, GST_STATE_PLAYING);
  wait_for_buffers (pipeline, &e, 5);
  for (i = 0; i < 30; i++) {
    gint before;

    if (i % 10 == 9)
      set_state_sync (pipeline, GST_STATE_PAUSED);
    before = g_atomic_int_get (&e.buffers);
    fail_unless (gst_element_seek_simple (pipeline, GST_FORMAT_TIME,
            GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE, (i % 7) * GST_SECOND / 3));
    fail_unless_equals_int (gst_element_get_state (pipeline, NULL, NULL, TIMEOUT),
        GST_STATE_CHANGE_SUCCESS);
    if (i % 10 == 9)
      set_state_sync (pipeline, GST_STATE_PLAYING);
    wait_for_buffers (pipeline, &e, before + 3);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  assert_all_good (&e, "flushing seeks");
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* EOS reaches the sink with every buffer classified, and the pipeline runs again after. */
GST_START_TEST (test_eos_and_restart)
{
  GstElement *pipeline = pipeline_new (RED_SOURCE (30) " ! "
      "video/x-raw,format=RGBx,width=96,height=64 ! "
      "cnnclassify model=\"" MODEL ("color.onnx") "\" ! fakesink name=sink");
  Expect e = { .model_name = "colour-test", .n_entries = 5, .top1 = "red" };
  GstHarness *h;
  GstEvent *event;
  gboolean seen_eos = FALSE;
  guint i;

  expect_at (pipeline, "sink", &e);
  for (i = 0; i < 3; i++) {
    expect_reset (&e);
    play_to_eos (pipeline);
    fail_unless_equals_int (g_atomic_int_get (&e.buffers), 30);
    assert_all_good (&e, "until EOS");
    fail_unless_equals_int (gst_element_set_state (pipeline, i == 1 ? GST_STATE_READY :
            GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  /* The element itself forwards EOS. */
  h = gst_harness_new_parse ("cnnclassify model=\"" MODEL ("color.onnx") "\"");
  gst_harness_set_src_caps_str (h, "video/x-raw,format=GRAY8,width=16,height=16");
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  while ((event = gst_harness_try_pull_event (h)) != NULL) {
    seen_eos |= GST_EVENT_TYPE (event) == GST_EVENT_EOS;
    gst_event_unref (event);
  }
  fail_unless (seen_eos);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A different model set in READY is the one used after PLAYING again. */
GST_START_TEST (test_model_change_in_ready)
{
  GstElement *pipeline = pipeline_new (RED_SOURCE (10) " ! "
      "video/x-raw,format=I420,width=64,height=48 ! "
      "cnnclassify name=classify model=\"" MODEL ("color.onnx") "\" ! fakesink name=sink");
  GstElement *classify = gst_bin_get_by_name (GST_BIN (pipeline), "classify");
  Expect e = { .model_name = "colour-test", .n_entries = 5, .top1 = "red" };
  gchar *name;
  guint i;

  expect_at (pipeline, "sink", &e);
  for (i = 0; i < 4; i++) {
    gboolean luma = i % 2 == 1;

    /* The probe reads these only while streaming, which is stopped here. */
    e.model_name = luma ? "luma" : "colour-test";
    e.n_entries = luma ? 2 : 5;
    e.top1 = luma ? "dark" : "red";     /* red's luma is 0.3 */
    expect_reset (&e);
    play_to_eos (pipeline);
    fail_unless_equals_int (g_atomic_int_get (&e.buffers), 10);
    assert_all_good (&e, luma ? "after switching to luma.onnx" : "color.onnx");
    g_object_get (classify, "model-name", &name, NULL);
    fail_unless_equals_string (name, e.model_name);
    g_free (name);

    set_state_sync (pipeline, GST_STATE_READY);
    g_object_set (classify, "model", luma ? MODEL ("color.onnx") : MODEL ("luma.onnx"),
        NULL);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (classify);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Two classifiers with different models on two branches of one source, each on its own
 * streaming thread: each branch's buffers carry only their own classifier's meta. */
GST_START_TEST (test_two_classifiers_concurrently)
{
  GstElement *pipeline = pipeline_new (RED_SOURCE (100) " ! "
      "video/x-raw,format=I420,width=320,height=240 ! tee name=t "
      "t. ! queue ! cnnclassify model=\"" MODEL ("color.onnx") "\" ! fakesink name=a "
      "t. ! queue ! cnnclassify model=\"" MODEL ("luma.onnx") "\" threads=2 ! "
      "fakesink name=b");
  Expect a = { .model_name = "colour-test", .n_entries = 5, .top1 = "red" };
  Expect b = { .model_name = "luma", .n_entries = 2, .top1 = "dark" };

  expect_at (pipeline, "a", &a);
  expect_at (pipeline, "b", &b);
  play_to_eos (pipeline);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless_equals_int (g_atomic_int_get (&a.buffers), 100);
  fail_unless_equals_int (g_atomic_int_get (&b.buffers), 100);
  assert_all_good (&a, "branch a");
  assert_all_good (&b, "branch b");
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A corrupt model fails the state change with an error naming the file; with a good
 * model set instead, the same pipeline runs. */
GST_START_TEST (test_corrupt_model_then_fixed)
{
  GstElement *pipeline = pipeline_new (RED_SOURCE (5) " ! "
      "video/x-raw,format=RGBx,width=64,height=48 ! "
      "cnnclassify name=classify model=\"" MODEL ("corrupt.onnx") "\" ! fakesink name=sink");
  GstElement *classify = gst_bin_get_by_name (GST_BIN (pipeline), "classify");
  Expect e = { .model_name = "colour-test", .n_entries = 5, .top1 = "red" };
  guint i;

  expect_at (pipeline, "sink", &e);
  for (i = 0; i < 3; i++)
    fail_unless_equals_int (expect_start_failure (pipeline, MODEL ("corrupt.onnx")),
        GST_LIBRARY_ERROR_SETTINGS);
  fail_unless_equals_int (g_atomic_int_get (&e.buffers), 0);

  g_object_set (classify, "model", MODEL ("color.onnx"), NULL);
  play_to_eos (pipeline);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless_equals_int (g_atomic_int_get (&e.buffers), 5);
  assert_all_good (&e, "after fixing the model");
  gst_object_unref (classify);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* The model lives in memory once loaded: deleting its file changes nothing until the
 * next start, which then fails with "not found". */
GST_START_TEST (test_model_file_deleted)
{
  gchar *dir = g_dir_make_tmp ("cnn-stress-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "copy.onnx", NULL);
  gchar *contents, *desc;
  gsize len;
  GstElement *pipeline;
  Expect e = { .model_name = "colour-test", .n_entries = 5, .top1 = "red" };

  fail_unless (dir != NULL);
  fail_unless (g_file_get_contents (MODEL ("color.onnx"), &contents, &len, NULL));
  fail_unless (g_file_set_contents (path, contents, len, NULL));
  g_free (contents);

  desc = g_strdup_printf ("videotestsrc pattern=red ! "
      "video/x-raw,format=I420,width=64,height=48 ! cnnclassify model=\"%s\" ! "
      "fakesink name=sink", path);
  pipeline = pipeline_new (desc);
  g_free (desc);
  expect_at (pipeline, "sink", &e);

  set_state_sync (pipeline, GST_STATE_PLAYING);
  wait_for_buffers (pipeline, &e, 5);
  fail_unless_equals_int (g_unlink (path), 0);
  wait_for_buffers (pipeline, &e, g_atomic_int_get (&e.buffers) + 20);
  /* PAUSED and back does not reload either. */
  set_state_sync (pipeline, GST_STATE_PAUSED);
  set_state_sync (pipeline, GST_STATE_PLAYING);
  wait_for_buffers (pipeline, &e, g_atomic_int_get (&e.buffers) + 20);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  assert_all_good (&e, "after deleting the model file");

  fail_unless_equals_int (expect_start_failure (pipeline, path),
      GST_RESOURCE_ERROR_NOT_FOUND);
  gst_object_unref (pipeline);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

static Suite *
stress_suite (void)
{
  Suite *s = suite_create ("cnnclassify-stress");
  TCase *tc = tcase_create ("general");

  load_system_plugins ();
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_state_cycles);
  tcase_add_test (tc, test_state_cycles_async);
  tcase_add_test (tc, test_caps_changes);
  tcase_add_test (tc, test_caps_changes_playing);
  tcase_add_test (tc, test_flushing_seeks);
  tcase_add_test (tc, test_eos_and_restart);
  tcase_add_test (tc, test_model_change_in_ready);
  tcase_add_test (tc, test_two_classifiers_concurrently);
  tcase_add_test (tc, test_corrupt_model_then_fixed);
  tcase_add_test (tc, test_model_file_deleted);
  return s;
}

GST_CHECK_MAIN (stress);
