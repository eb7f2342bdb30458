/* test-cnncam.c — cnnclassify activation-map=true with the shipped digits model.
 *
 *   - the meta carries a 7x7 map of its top class, covering the part of the frame the
 *     network saw: the whole frame (stretch), the centre (center-crop), more than the
 *     frame (letterbox), a region's rectangle (inference-region=roi-list);
 *   - localisation through the element: held-out digits placed at known positions in
 *     56x56 frames; for the correctly classified ones the map's peak, mapped back to the
 *     frame through the meta's area, lies inside the digit's box for at least 90% (the
 *     figure is printed);
 *   - a model without the pattern posts one warning and attaches no map.
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

#include "harness-push-pull.h"

#define DIGITS_MODEL DIGITS_DIR G_DIR_SEPARATOR_S "digits.onnx"

static GstBuffer *
gray_frame (gint w, gint h, guint8 value, GstVideoInfo * info)
{
  GstBuffer *buf;

  gst_video_info_set_format (info, GST_VIDEO_FORMAT_GRAY8, w, h);
  buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  gst_buffer_memset (buf, 0, value, info->size);
  return buf;
}

/* The map on @meta is 7x7, for its top class, over (@x, @y, @w, @h). */
static void
check_map (GstCnnClassificationMeta * meta, gdouble x, gdouble y, gdouble w, gdouble h,
    const gchar * what)
{
  guint mw, mh, n;
  gint class_id;
  gdouble ax, ay, aw, ah;

  fail_unless (meta != NULL, "%s: no meta", what);
  fail_unless (gst_cnn_classification_meta_get_activation_map (meta, &mw, &mh, &class_id,
          &n) != NULL, "%s: no map", what);
  fail_unless (mw == 7 && mh == 7 && n == 49, "%s: map %ux%u", what, mw, mh);
  fail_unless_equals_int (class_id, meta->entries[0].class_id);
  fail_unless (gst_cnn_classification_meta_get_activation_map_area (meta, &ax, &ay, &aw,
          &ah));
  fail_unless (fabs (ax - x) < 1e-6 && fabs (ay - y) < 1e-6 && fabs (aw - w) < 1e-6 &&
      fabs (ah - h) < 1e-6, "%s: area %f,%f %fx%f, expected %f,%f %fx%f", what, ax, ay, aw,
      ah, x, y, w, h);
}

GST_START_TEST (test_map_area)
{
  static const struct
  {
    const gchar *props;
    gdouble x, y, w, h;
  } cases[] = {
    {"resize-mode=stretch", 0, 0, 1, 1},
    /* 320x240 → 28x28 covering: 240x240 from x = 40. */
    {"resize-mode=center-crop", 40.0 / 320, 0, 240.0 / 320, 1},
    /* 320x240 → 28x21 at row 3 of the tensor: the tensor spans 28/21 of the height. */
    {"resize-mode=letterbox", 0, -3.0 / 21, 1, 28.0 / 21},
  };
  guint c;

  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    gchar *desc = g_strdup_printf ("cnnclassify model=\"%s\" activation-map=true %s",
        DIGITS_MODEL, cases[c].props);
    GstHarness *h = gst_harness_new_parse (desc);
    GstVideoInfo info;
    GstBuffer *out = push_pull (h, &info, gray_frame (320, 240, 40, &info));

    check_map (gst_buffer_get_cnn_classification_meta (out), cases[c].x, cases[c].y,
        cases[c].w, cases[c].h, cases[c].props);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
    g_free (desc);
  }
}

GST_END_TEST;

/* A region's map covers the region. Off by default. */
GST_START_TEST (test_region_map_and_default)
{
  GstHarness *h = gst_harness_new_parse ("cnnclassify model=\"" DIGITS_MODEL "\" "
      "activation-map=true inference-region=roi-list");
  GstVideoInfo info;
  GstBuffer *buf = gray_frame (320, 240, 40, &info), *out;
  GstVideoRegionOfInterestMeta *roi;

  roi = gst_buffer_add_video_region_of_interest_meta (buf, "digit", 40, 20, 56, 56);
  roi->id = 3;
  out = push_pull (h, &info, buf);
  check_map (gst_buffer_get_cnn_classification_meta_for_region (out, 3, NULL),
      40.0 / 320, 20.0 / 240, 56.0 / 320, 56.0 / 240, "region");
  gst_buffer_unref (out);
  gst_harness_teardown (h);

  h = gst_harness_new_parse ("cnnclassify model=\"" DIGITS_MODEL "\"");
  out = push_pull (h, &info, gray_frame (64, 64, 40, &info));
  fail_if (gst_cnn_classification_meta_get_activation_map
      (gst_buffer_get_cnn_classification_meta (out), NULL, NULL, NULL, NULL) != NULL);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Each held-out digit at a pseudo-random place in a 56x56 frame. */
GST_START_TEST (test_localisation)
{
  gchar *pixels = NULL, *labels_text = NULL, **labels;
  gsize n_bytes;
  GstHarness *h = gst_harness_new_parse ("cnnclassify model=\"" DIGITS_MODEL "\" "
      "activation-map=true");
  GRand *rand = g_rand_new_with_seed (5);
  guint n, i, n_right = 0, n_inside = 0;
  GstVideoInfo info;

  fail_unless (g_file_get_contents (DIGITS_DIR "/heldout-digits.gray8", &pixels, &n_bytes,
          NULL));
  fail_unless (g_file_get_contents (DIGITS_DIR "/heldout-labels.txt", &labels_text, NULL,
          NULL));
  labels = g_strsplit (g_strstrip (labels_text), "\n", -1);
  n = MIN (n_bytes / 784, g_strv_length (labels));
  fail_unless (n >= 1000);

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_GRAY8, 56, 56);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  for (i = 0; i < n; i += 2) {
    gint px = g_rand_int_range (rand, 0, 29), py = g_rand_int_range (rand, 0, 29);
    GstBuffer *buf = gst_buffer_new_allocate (NULL, info.size, NULL), *out;
    GstCnnClassificationMeta *meta;
    GstVideoFrame frame;
    const gfloat *map;
    guint mw, mh, p, peak = 0;
    gdouble ax, ay, aw, ah, cx, cy;
    gint y;

    fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE));
    for (y = 0; y < 56; y++)
      memset ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
          y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), 0, 56);
    for (y = 0; y < 28; y++)
      memcpy ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
          (py + y) * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0) + px,
          pixels + (gsize) i * 784 + y * 28, 28);
    gst_video_frame_unmap (&frame);

    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    out = gst_harness_pull (h);
    meta = gst_buffer_get_cnn_classification_meta (out);
    fail_unless (meta != NULL && meta->n_entries > 0);
    if (strcmp (meta->entries[0].label, labels[i]) != 0) {
      gst_buffer_unref (out);
      continue;
    }
    n_right++;
    map = gst_cnn_classification_meta_get_activation_map (meta, &mw, &mh, NULL, NULL);
    fail_unless (map != NULL);
    fail_unless (gst_cnn_classification_meta_get_activation_map_area (meta, &ax, &ay, &aw,
            &ah));
    for (p = 1; p < mw * mh; p++)
      if (map[p] > map[peak])
        peak = p;
    cx = (ax + (peak % mw + 0.5) / mw * aw) * 56;
    cy = (ay + (peak / mw + 0.5) / mh * ah) * 56;
    n_inside += cx >= px && cx < px + 28 && cy >= py && cy < py + 28;
    gst_buffer_unref (out);
  }
  g_print ("cnnclassify activation-map: the peak is inside the digit's box for %u of %u "
      "correctly classified digits (of %u) in 56x56 frames: %.1f%%\n", n_inside, n_right,
      (n + 1) / 2, 100.0 * n_inside / MAX (n_right, 1));
  fail_unless (n_right > n / 4, "only %u right", n_right);
  fail_unless (n_inside >= 0.9 * n_right, "peak inside for %u of %u", n_inside, n_right);

  g_rand_free (rand);
  g_strfreev (labels);
  g_free (labels_text);
  g_free (pixels);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A model that ends in a dense layer right on its input has no map: one warning. */
GST_START_TEST (test_no_pattern_warns)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = gst_harness_new_parse ("cnnclassify model=\"" TEST_MODELS_DIR
      "/color.onnx\" activation-map=true");
  GstVideoInfo info;
  GstBuffer *out;
  GstMessage *msg;
  GError *error = NULL;
  gchar *debug = NULL;
  guint k;

  gst_element_set_bus (h->element, bus);
  for (k = 0; k < 3; k++) {
    GstBuffer *in;

    gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, 32, 32);
    in = gst_buffer_new_allocate (NULL, info.size, NULL);
    gst_buffer_memset (in, 0, 60 * k, info.size);
    out = push_pull (h, &info, in);
    fail_unless (gst_buffer_get_cnn_classification_meta (out) != NULL);
    fail_unless (gst_cnn_classification_meta_get_activation_map
        (gst_buffer_get_cnn_classification_meta (out), NULL, NULL, NULL, NULL) == NULL);
    gst_buffer_unref (out);
  }
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning");
  gst_message_parse_warning (msg, &error, &debug);
  fail_unless (strstr (error->message, "has no class activation map") != NULL, "%s",
      error->message);
  fail_unless (strstr (debug, "color.onnx: no class activation map") != NULL, "%s", debug);
  g_clear_error (&error);
  g_free (debug);
  gst_message_unref (msg);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING) == NULL, "warned twice");

  gst_element_set_bus (h->element, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
cnncam_suite (void)
{
  Suite *s = suite_create ("cnncam");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_map_area);
  tcase_add_test (tc, test_region_map_and_default);
  tcase_add_test (tc, test_localisation);
  tcase_add_test (tc, test_no_pattern_warns);
  return s;
}

GST_CHECK_MAIN (cnncam);
