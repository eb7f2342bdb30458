/* test-pipeline.c — the classification meta travels down real pipelines: through tee,
 * queue, videoconvert and videoscale.
 *
 * The registry only scans the build dir; the few system plugins needed here are loaded
 * explicitly from SYSTEM_PLUGINS_DIR.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <gst/cnn/gstcnnclassificationmeta.h>

#define MODEL(name) TEST_MODELS_DIR G_DIR_SEPARATOR_S name

static const gchar *const system_plugins[] = {
  "coreelements", "videoconvertscale", "videotestsrc",
};

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

static GstBuffer *
make_red_frame (gint w, gint h, GstVideoInfo * info)
{
  GstBuffer *buf;
  GstMapInfo map;
  gsize i;

  gst_video_info_set_format (info, GST_VIDEO_FORMAT_RGBx, w, h);
  buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i + 4 <= map.size; i += 4) {
    map.data[i] = 255;
    map.data[i + 1] = map.data[i + 2] = map.data[i + 3] = 0;
  }
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  return buf;
}

static void
assert_red_meta (GstBuffer * buf)
{
  GstCnnClassificationMeta *meta = gst_buffer_get_cnn_classification_meta (buf);

  fail_unless (meta != NULL, "classification meta lost");
  fail_unless_equals_string (meta->model_name, "colour-test");
  fail_unless (meta->n_entries > 0);
  fail_unless_equals_int (meta->entries[0].class_id, 0);
  fail_unless_equals_string (meta->entries[0].label, "red");
}

/* Format and size change after the classifier: the meta is copied by both converters. */
GST_START_TEST (test_meta_survives_convert_and_scale)
{
  GstHarness *h;
  GstVideoInfo info, out_info;
  GstBuffer *out;
  GstCaps *caps;

  fail_unless (have_system_plugins, "needs coreelements, videoconvertscale, videotestsrc");

  h = gst_harness_new_parse ("cnnclassify model=\"" MODEL ("color.onnx") "\" ! tee ! "
      "queue ! videoconvert ! video/x-raw,format=I420 ! videoscale ! "
      "capsfilter caps=video/x-raw,width=64,height=48");
  out = make_red_frame (320, 240, &info);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  fail_unless_equals_int (gst_harness_push (h, out), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != NULL);

  /* It really went through both: I420 at 64x48. */
  caps = gst_pad_get_current_caps (h->sinkpad);
  fail_unless (gst_video_info_from_caps (&out_info, caps));
  gst_caps_unref (caps);
  fail_unless_equals_int (GST_VIDEO_INFO_FORMAT (&out_info), GST_VIDEO_FORMAT_I420);
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&out_info), 64);
  fail_unless_equals_int (gst_buffer_get_size (out), out_info.size);

  assert_red_meta (out);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

typedef struct
{
  gint buffers;
  gint with_meta;
} Count;

static GstPadProbeReturn
count_meta (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Count *count = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstCnnClassificationMeta *meta = gst_buffer_get_cnn_classification_meta (buf);

  g_atomic_int_inc (&count->buffers);
  if (meta != NULL && meta->n_entries > 0 && strcmp (meta->entries[0].label, "red") == 0)
    g_atomic_int_inc (&count->with_meta);
  return GST_PAD_PROBE_OK;
}

static void
probe_sink (GstElement * pipeline, const gchar * name, Count * count)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstPad *pad = gst_element_get_static_pad (sink, "sink");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_meta, count, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
}

/* A live-style pipeline with two tee branches, one converted and scaled. */
GST_START_TEST (test_pipeline_tee_branches)
{
  GstElement *pipeline;
  GstBus *bus;
  GstMessage *msg;
  Count a = { 0, 0 }, b = { 0, 0 };
  GError *error = NULL;

  fail_unless (have_system_plugins, "needs coreelements, videoconvertscale, videotestsrc");

  pipeline = gst_parse_launch ("videotestsrc num-buffers=5 pattern=red ! "
      "video/x-raw,format=NV12,width=320,height=240 ! "
      "cnnclassify model=\"" MODEL ("color.onnx") "\" ! tee name=t "
      "t. ! queue ! videoconvert ! video/x-raw,format=BGRx ! videoscale ! "
      "video/x-raw,width=100,height=50 ! fakesink name=a "
      "t. ! queue ! fakesink name=b", &error);
  fail_unless (pipeline != NULL, "%s", error ? error->message : "?");
  probe_sink (pipeline, "a", &a);
  probe_sink (pipeline, "b", &b);

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "timeout");
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  fail_unless_equals_int (a.buffers, 5);
  fail_unless_equals_int (a.with_meta, 5);
  fail_unless_equals_int (b.buffers, 5);
  fail_unless_equals_int (b.with_meta, 5);
}

GST_END_TEST;

static Suite *
pipeline_suite (void)
{
  Suite *s = suite_create ("cnnclassify-pipeline");
  TCase *tc = tcase_create ("general");

  load_system_plugins ();
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_meta_survives_convert_and_scale);
  tcase_add_test (tc, test_pipeline_tee_branches);
  return s;
}

GST_CHECK_MAIN (pipeline);
