/* test-threads.c — the new properties of cnnclassify and cnnoverlay changed from the
 * application thread while frames stream through them on another.
 *
 *     videotestsrc ! (probe: 8 regions per frame) ! queue ! cnnclassify ! queue !
 *         cnnoverlay ! fakesink
 *
 * The main thread toggles inference-region, object-class, min-region-size, max-regions,
 * result-name and activation-map, and cnnoverlay's draw, font, corner and max-entries,
 * while the streaming threads read them; the stream must not stall and, once whole frames
 * are asked for again, the next frames must arrive classified.
 *
 * Not run under helgrind or TSAN: both follow pthread mutexes, and GLib's GMutex (behind
 * GST_OBJECT_LOCK) is built on futexes, so they report every access made under the
 * object lock as a race (tried: helgrind flags gst_cnn_region_settings_copy against
 * gst_cnn_region_settings_set_property, both under the lock).
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <gst/cnn/gstcnnclassificationmeta.h>

#define DIGITS_MODEL DIGITS_DIR G_DIR_SEPARATOR_S "digits.onnx"

static gint n_frames, n_classified;

static GstPadProbeReturn
add_regions (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  gint i;

  for (i = 0; i < 8; i++) {
    GstVideoRegionOfInterestMeta *roi =
        gst_buffer_add_video_region_of_interest_meta (buf, i % 2 ? "face" : "car",
        10 * i, 5 * i, 40, 30);

    roi->id = i;
  }
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_results (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  g_atomic_int_inc (&n_frames);
  if (gst_buffer_get_n_cnn_classification_metas (buf) > 0)
    g_atomic_int_inc (&n_classified);
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_properties_while_streaming)
{
  static const gchar *const classes[] = { "", "face", "car", "face,car", "person" };
  static const gchar *const fonts[] = { "Sans 8", "Sans Bold 12", "Serif 10" };
  GstElement *pipeline, *classify, *overlay, *src, *sink;
  GstPad *pad;
  GstMessage *msg;
  gint i, cycles = g_getenv ("THREADS_CYCLES") ? atoi (g_getenv ("THREADS_CYCLES")) : 200;

  pipeline = gst_parse_launch ("videotestsrc name=src num-buffers=-1 is-live=false ! "
      "video/x-raw,format=I420,width=160,height=120 ! queue ! cnnclassify name=c model=\""
      DIGITS_MODEL "\" ! queue ! cnnoverlay name=o ! fakesink name=sink sync=false", NULL);
  fail_unless (pipeline != NULL);
  classify = gst_bin_get_by_name (GST_BIN (pipeline), "c");
  overlay = gst_bin_get_by_name (GST_BIN (pipeline), "o");
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, add_regions, NULL, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_results, NULL, NULL);
  gst_object_unref (pad);

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  /* At least 10 frames through while the properties change, however slow the machine. */
  for (i = 0; i < cycles || (g_atomic_int_get (&n_frames) < 10 && i < 100000); i++) {
    gchar *name = g_strdup_printf ("result%d", i % 3);

    g_object_set (classify, "inference-region", i % 4 == 3 ? 0 : 1,
        "object-class", classes[i % G_N_ELEMENTS (classes)],
        "min-region-size", 1 + i % 20, "max-regions", 1 + i % 9, "result-name", name,
        "activation-map", i % 2 == 0, NULL);
    g_object_set (overlay, "draw", 1 + i % 7, "font", fonts[i % G_N_ELEMENTS (fonts)],
        "corner", i % 4, "max-entries", 1 + i % 5, NULL);
    g_free (name);
    g_usleep (2000);
  }
  /* Then whole frames again: the next frames must all be classified. */
  g_object_set (classify, "inference-region", 0, NULL);
  {
    gint frames = g_atomic_int_get (&n_frames);
    gint64 deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;

    while (g_atomic_int_get (&n_frames) < frames + 5 && g_get_monotonic_time () < deadline)
      g_usleep (1000);
    fail_unless (g_atomic_int_get (&n_frames) >= frames + 5, "the stream stalled");
    frames = g_atomic_int_get (&n_classified);
    fail_unless (frames >= 3, "only %d frames classified", frames);
  }
  gst_element_send_event (pipeline, gst_event_new_eos ());
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline), 120 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS, "no EOS");
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  GST_INFO ("%d frames, %d with results", n_frames, n_classified);

  gst_object_unref (classify);
  gst_object_unref (overlay);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
threads_suite (void)
{
  Suite *s = suite_create ("threads");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_properties_while_streaming);
  return s;
}

GST_CHECK_MAIN (threads);
