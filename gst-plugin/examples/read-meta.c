/* read-meta.c — print the classification that cnnclassify attaches to each frame.
 *
 *     read-meta MODEL.onnx [SOURCE]
 *
 * SOURCE is a gst-launch description of the video source, by default
 * "videotestsrc num-buffers=10". Build against gstcnnmeta-1.0:
 *
 *     cc read-meta.c $(pkg-config --cflags --libs gstcnnmeta-1.0) -o read-meta
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/gst.h>
#include <gst/cnn/gstcnnclassificationmeta.h>

/* Runs in the streaming thread for every buffer that reaches the sink. */
static GstPadProbeReturn
on_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstCnnClassificationMeta *meta = gst_buffer_get_cnn_classification_meta (buffer);
  guint i;

  if (meta == NULL) {
    g_print ("%" GST_TIME_FORMAT ": no classification\n",
        GST_TIME_ARGS (GST_BUFFER_PTS (buffer)));
    return GST_PAD_PROBE_OK;
  }

  g_print ("%" GST_TIME_FORMAT ": %s, %.2f ms\n", GST_TIME_ARGS (GST_BUFFER_PTS (buffer)),
      meta->model_name ? meta->model_name : "?",
      (gdouble) meta->inference_time / GST_MSECOND);
  for (i = 0; i < meta->n_entries; i++) {
    const GstCnnClassificationEntry *e = &meta->entries[i];

    g_print ("  %5.1f%%  %s (%d)\n", 100.0 * e->confidence, e->label, e->class_id);
  }
  return GST_PAD_PROBE_OK;
}

int
main (int argc, char **argv)
{
  const gchar *source = "videotestsrc num-buffers=10";
  GstElement *pipeline = NULL, *sink;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  GError *error = NULL;
  gchar *model, *description;
  int ret = 1;

  gst_init (&argc, &argv);
  if (argc < 2 || argc > 3) {
    g_printerr ("usage: %s MODEL.onnx [SOURCE]\n", argv[0]);
    return 2;
  }
  if (argc == 3)
    source = argv[2];

  /* Quote the path for the parser: it may contain spaces. */
  model = g_strescape (argv[1], NULL);
  description = g_strdup_printf ("%s ! videoconvert ! cnnclassify model=\"%s\" ! "
      "fakesink name=sink", source, model);
  pipeline = gst_parse_launch (description, &error);
  g_free (description);
  g_free (model);
  if (pipeline == NULL) {
    g_printerr ("could not build the pipeline: %s\n", error->message);
    g_clear_error (&error);
    return 1;
  }

  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, NULL, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    g_printerr ("could not start the pipeline\n");

  /* Errors during start-up (missing model, ...) also arrive here. */
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gchar *debug = NULL;

    gst_message_parse_error (msg, &error, &debug);
    g_printerr ("error: %s\n%s\n", error->message, debug ? debug : "");
    g_clear_error (&error);
    g_free (debug);
  } else {
    ret = 0;
  }
  gst_message_unref (msg);
  gst_object_unref (bus);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return ret;
}
