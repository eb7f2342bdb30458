/* bench-element.c — what cnnclassify itself costs per frame, apart from inference.
 *
 * Two measurements, both on a synthetic 1280x720 I420 frame (size and format can be
 * changed):
 *
 *   preprocess  gst_cnn_preprocess_run(): scale + colour conversion + normalisation into
 *               the model's C x H x W float tensor, timed over many frames: with the frame
 *               in the caches, and "cold" after evicting it (what the element sees after
 *               running the network); also the plain reference path, for comparison.
 *   element     the whole element in a GstHarness with --model: wall time of each push
 *               minus the inference time the element reports in its meta, i.e. mapping,
 *               preprocessing, output activation, top-k, the meta and the pad push.
 *
 * A benchmark, not a test: nothing here gates CI. bench-element.sh runs this next to
 * `cnn bench` and prints the ratio to the inference time.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <gst/cnn/gstcnnclassificationmeta.h>

#include "preprocess.h"

/* More than the last-level cache of the machines we run on. */
#define JUNK_SIZE (64 << 20)

typedef void (*RunFunc) (const GstCnnPreprocess * pre, const GstVideoFrame * frame,
    gfloat * tensor);

static gint
compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gdouble
median (gdouble * v, gint n)
{
  qsort (v, n, sizeof (gdouble), compare_doubles);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static gdouble
minimum (const gdouble * v, gint n)
{
  gdouble m = v[0];
  gint i;

  for (i = 1; i < n; i++)
    m = MIN (m, v[i]);
  return m;
}

/* A frame with detail everywhere (so no branch or cache effect flatters the scaler). */
static GstBuffer *
make_frame (const GstVideoInfo * info)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (info), NULL);
  GstVideoFrame frame;
  guint k;
  gint x, y;

  if (!gst_video_frame_map (&frame, info, buf, GST_MAP_WRITE))
    g_error ("cannot map frame");
  for (k = 0; k < GST_VIDEO_FRAME_N_COMPONENTS (&frame); k++) {
    guint8 *data = GST_VIDEO_FRAME_COMP_DATA (&frame, k);
    gint stride = GST_VIDEO_FRAME_COMP_STRIDE (&frame, k);
    gint pstride = GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, k);

    for (y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&frame, k); y++)
      for (x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&frame, k); x++)
        data[y * stride + x * pstride] = (guint8) ((x * 7 + y * 13 + k * 101) ^ (x * y));
  }
  gst_video_frame_unmap (&frame);
  return buf;
}

/* Evicts the frame from the caches, as running the network between two frames does. */
static void
flush_caches (guint8 * junk, gsize size)
{
  gsize i;

  for (i = 0; i < size; i += 64)
    junk[i]++;
}

/* Median and minimum ms per frame of @run over @iterations frames, with the frame in
 * the caches (@junk NULL) or not. */
static void
time_preprocess (RunFunc run, const GstCnnPreprocess * pre, const GstVideoFrame * frame,
    gfloat * tensor, gint iterations, guint8 * junk, gsize junk_size, gdouble * med,
    gdouble * min)
{
  gdouble *t = g_new (gdouble, iterations);
  gint i;

  for (i = 0; i < 10; i++)
    run (pre, frame, tensor);
  for (i = 0; i < iterations; i++) {
    gint64 t0;

    if (junk != NULL)
      flush_caches (junk, junk_size);
    t0 = g_get_monotonic_time ();
    run (pre, frame, tensor);
    t[i] = (g_get_monotonic_time () - t0) / 1000.0;
  }
  *min = minimum (t, iterations);
  *med = median (t, iterations);
  g_free (t);
}

/* Median and minimum of (push time - reported inference time), and the median inference
 * time, over @frames frames through cnnclassify with @model on one thread. */
static gboolean
time_element (const gchar * model, const GstVideoInfo * info, GstBuffer * frame,
    gint frames, gdouble * own_med, gdouble * own_min, gdouble * infer_med)
{
  gchar *desc = g_strdup_printf ("cnnclassify model=\"%s\" threads=1", model);
  gdouble *own = g_new (gdouble, frames), *infer = g_new (gdouble, frames);
  GstHarness *h = gst_harness_new_parse (desc);
  gint i, n = 0;

  g_free (desc);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (info));
  for (i = -3; i < frames; i++) {
    /* A shallow copy shares the pixels but carries no meta from the last round. */
    GstBuffer *in = gst_buffer_copy (frame), *out;
    GstCnnClassificationMeta *meta;
    gint64 t0, t1;

    t0 = g_get_monotonic_time ();
    if (gst_harness_push (h, in) != GST_FLOW_OK)
      break;
    t1 = g_get_monotonic_time ();
    out = gst_harness_pull (h);
    meta = gst_buffer_get_cnn_classification_meta (out);
    if (meta == NULL) {
      gst_buffer_unref (out);
      break;
    }
    if (i >= 0) {
      infer[n] = meta->inference_time / 1e6;
      own[n] = (t1 - t0) / 1000.0 - infer[n];
      n++;
    }
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);

  if (n == frames) {
    *own_min = minimum (own, n);
    *own_med = median (own, n);
    *infer_med = median (infer, n);
  }
  g_free (own);
  g_free (infer);
  return n == frames;
}

int
main (int argc, char **argv)
{
  gchar *model = NULL, *format = NULL;
  gint width = 1280, height = 720, size = 224, channels = 3;
  gint iterations = 2000, frames = 30;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model,
        "Also time the whole element with this model (one thread)", "ONNX"},
    {"width", 0, 0, G_OPTION_ARG_INT, &width, "Frame width (1280)", "W"},
    {"height", 0, 0, G_OPTION_ARG_INT, &height, "Frame height (720)", "H"},
    {"format", 0, 0, G_OPTION_ARG_STRING, &format, "Frame format (I420)", "FMT"},
    {"size", 0, 0, G_OPTION_ARG_INT, &size, "Tensor height and width (224)", "N"},
    {"channels", 0, 0, G_OPTION_ARG_INT, &channels, "Tensor channels, 1 or 3", "C"},
    {"iterations", 'i', 0, G_OPTION_ARG_INT, &iterations,
        "Preprocessed frames timed (2000)", "K"},
    {"frames", 'f', 0, G_OPTION_ARG_INT, &frames, "Frames through the element (30)", "K"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one line of JSON", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- time cnnclassify's own work per frame");
  GError *error = NULL;
  GstVideoFormat fmt;
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buf;
  GstCnnPreprocess pre;
  GstCnnPreprocessParams params = {
    .color_order = GST_CNN_COLOR_ORDER_RGB,
    .resize_mode = GST_CNN_RESIZE_MODE_STRETCH,
    .range_lo = 0.0f, .range_hi = 1.0f,
    .mean = {0.485f, 0.456f, 0.406f},
    .std = {0.229f, 0.224f, 0.225f},
  };
  gfloat *tensor;
  gdouble fast_med, fast_min, cold_med, cold_min, ref_med, ref_min;
  guint8 *junk;
  gdouble own_med = 0, own_min = 0, infer_med = 0;
  gboolean have_element = FALSE;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  g_option_context_free (ctx);

  fmt = gst_video_format_from_string (format ? format : "I420");
  if (fmt == GST_VIDEO_FORMAT_UNKNOWN || width < 1 || height < 1 || size < 1 ||
      (channels != 1 && channels != 3) || iterations < 1 || frames < 1) {
    g_printerr ("bad arguments\n");
    return 2;
  }
  gst_video_info_set_format (&info, fmt, width, height);
  buf = make_frame (&info);

  if (!gst_cnn_preprocess_init (&pre, channels, size, size) ||
      !gst_cnn_preprocess_configure (&pre, &info, &params)) {
    g_printerr ("cannot preprocess %s %dx%d\n", gst_video_format_to_string (fmt), width,
        height);
    return 1;
  }
  tensor = g_new (gfloat, (gsize) channels * size * size);
  if (!gst_video_frame_map (&frame, &info, buf, GST_MAP_READ))
    g_error ("cannot map frame");
  time_preprocess (gst_cnn_preprocess_run, &pre, &frame, tensor, iterations, NULL, 0,
      &fast_med, &fast_min);
  junk = g_malloc0 (JUNK_SIZE);
  time_preprocess (gst_cnn_preprocess_run, &pre, &frame, tensor, MAX (iterations / 10, 10),
      junk, JUNK_SIZE, &cold_med, &cold_min);
  g_free (junk);
  time_preprocess (gst_cnn_preprocess_run_reference, &pre, &frame, tensor,
      MAX (iterations / 20, 10), NULL, 0, &ref_med, &ref_min);
  gst_video_frame_unmap (&frame);

  if (model != NULL) {
    have_element = time_element (model, &info, buf, frames, &own_med, &own_min,
        &infer_med);
    if (!have_element) {
      g_printerr ("cnnclassify with %s failed (is GST_PLUGIN_PATH set?)\n", model);
      return 1;
    }
  }

  if (json) {
    g_print ("{\"frame\":\"%s %dx%d\",\"tensor\":\"%dx%dx%d\","
        "\"preprocess_median_ms\":%.4f,\"preprocess_min_ms\":%.4f,"
        "\"preprocess_cold_median_ms\":%.4f,\"reference_median_ms\":%.4f",
        gst_video_format_to_string (fmt), width, height, channels, size, size, fast_med,
        fast_min, cold_med, ref_med);
    if (have_element)
      g_print (",\"element_own_median_ms\":%.4f,\"element_own_min_ms\":%.4f,"
          "\"element_inference_median_ms\":%.4f", own_med, own_min, infer_med);
    g_print ("}\n");
  } else {
    g_print ("frame %s %dx%d -> tensor %dx%dx%d\n", gst_video_format_to_string (fmt),
        width, height, channels, size, size);
    g_print ("preprocess            median %.4f ms  min %.4f ms  (%d frames)\n",
        fast_med, fast_min, iterations);
    g_print ("preprocess, cold      median %.4f ms  min %.4f ms  (frame not in cache)\n",
        cold_med, cold_min);
    g_print ("preprocess reference  median %.4f ms  min %.4f ms\n", ref_med, ref_min);
    if (have_element) {
      g_print ("element own work      median %.4f ms  min %.4f ms  (%d frames)\n",
          own_med, own_min, frames);
      g_print ("element inference     median %.4f ms\n", infer_med);
    }
  }

  g_free (tensor);
  gst_buffer_unref (buf);
  gst_cnn_preprocess_clear (&pre);
  g_free (model);
  g_free (format);
  return 0;
}
