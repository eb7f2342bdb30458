/* test-cnnregions.c — cnnclassify with inference-region=roi-list.
 *
 * Frames are a red background with coloured boxes; the test puts a
 * GstVideoRegionOfInterestMeta on each box (as a detector upstream would) and checks that
 * every region is classified as its box's colour by the colour models of models/ (they
 * average each channel), with the results in the region's params, in a
 * GstCnnClassificationMeta carrying the region's id, and in the frame's message. Then
 * object-class filtering, cascades, regions out of the frame, empty, absurd and tiny
 * regions, and 10,000 regions on one frame.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <gst/cnn/gstcnnclassificationmeta.h>

#include "harness-push-pull.h"
#include "test-frames.h"

#define MODEL(name) TEST_MODELS_DIR G_DIR_SEPARATOR_S name

static const GstVideoFormat FORMATS[] = {
  GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBx,
  GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR,
  GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_ARGB,
  GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_GRAY8, GST_VIDEO_FORMAT_I420,
  GST_VIDEO_FORMAT_NV12,
};

typedef struct
{
  const gchar *type;
  gint x, y, w, h;
  guint8 rgb[3];
  const gchar *label;           /* expected top-1 of color.onnx */
} Box;

/* Even positions and sizes: I420/NV12 chroma stays inside each box. */
static const Box BOXES[] = {
  {"car", 8, 8, 20, 16, {0, 0, 255}, "blue"},
  {"face", 36, 20, 24, 20, {0, 255, 0}, "green"},
  {"face", 4, 30, 12, 12, {255, 255, 255}, "white"},
};

#define FRAME_W 64
#define FRAME_H 48

typedef struct
{
  const Box *boxes;
  guint n_boxes;
} Boxes;

static void
fill_boxes (gint x, gint y, gint w, gint h, guint8 * rgb, gconstpointer data)
{
  static const guint8 red[3] = { 255, 0, 0 };
  const Boxes *bs = data;
  const guint8 *c = red;
  guint b;

  for (b = 0; b < bs->n_boxes; b++)
    if (x >= bs->boxes[b].x && x < bs->boxes[b].x + bs->boxes[b].w && y >= bs->boxes[b].y
        && y < bs->boxes[b].y + bs->boxes[b].h)
      c = bs->boxes[b].rgb;
  memcpy (rgb, c, 3);
}

/* A red @w × @h frame in @format with @boxes drawn on it. */
static GstBuffer *
make_frame (GstVideoFormat format, gint w, gint h, const Box * boxes, guint n_boxes,
    GstVideoInfo * info)
{
  Boxes bs = { boxes, n_boxes };

  return make_frame_full (format, w, h, fill_boxes, &bs, NULL, info);
}

static GstVideoRegionOfInterestMeta *
add_roi (GstBuffer * buf, const gchar * type, gint x, gint y, guint w, guint h, gint id)
{
  GstVideoRegionOfInterestMeta *roi;

  roi = gst_buffer_add_video_region_of_interest_meta (buf, type, (guint) x, (guint) y, w,
      h);
  roi->id = id;
  return roi;
}

/* A frame with BOXES and one region per box, ids 100, 101, ... */
static GstBuffer *
make_boxes_frame (GstVideoFormat format, GstVideoInfo * info)
{
  GstBuffer *buf = make_frame (format, FRAME_W, FRAME_H, BOXES, G_N_ELEMENTS (BOXES),
      info);
  guint b;

  for (b = 0; b < G_N_ELEMENTS (BOXES); b++)
    add_roi (buf, BOXES[b].type, BOXES[b].x, BOXES[b].y, BOXES[b].w, BOXES[b].h, 100 + b);
  return buf;
}

static GstVideoRegionOfInterestMeta *
get_roi (GstBuffer * buf, gint id)
{
  GstVideoRegionOfInterestMeta *roi = gst_buffer_get_video_region_of_interest_meta_id (buf,
      id);

  fail_unless (roi != NULL, "region %d is gone", id);
  return roi;
}

/* @pipeline (gst-launch syntax) in a harness; @bus (optional) gets its messages. */
static GstHarness *
harness_new (const gchar * pipeline, GstBus ** bus)
{
  GstHarness *h = gst_harness_new_parse (pipeline);

  if (bus != NULL) {
    *bus = gst_bus_new ();
    gst_element_set_bus (h->element, *bus);
  }
  return h;
}

static void
harness_teardown (GstHarness * h, GstBus * bus)
{
  if (bus != NULL) {
    gst_element_set_bus (h->element, NULL);
    gst_bus_set_flushing (bus, TRUE);
    gst_object_unref (bus);
  }
  gst_harness_teardown (h);
}

/* The element named "c" in the harness's bin. */
static GstElement *
harness_child (GstHarness * h)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (h->element), "c");

  fail_unless (e != NULL);
  return e;
}

/* The region's param @name says @label, with the fields every result has. */
static void
check_param (GstVideoRegionOfInterestMeta * roi, const gchar * name, const gchar * label,
    const gchar * model_name)
{
  GstStructure *s = gst_video_region_of_interest_meta_get_param (roi, name);
  const GValue *labels, *ids, *confs;
  gint class_id;
  gdouble conf;

  fail_unless (s != NULL, "region %d (%s) has no \"%s\" param", roi->id,
      g_quark_to_string (roi->roi_type), name);
  fail_unless_equals_string (gst_structure_get_string (s, "label"), label);
  fail_unless_equals_string (gst_structure_get_string (s, "model-name"), model_name);
  fail_unless (gst_structure_get_int (s, "class-id", &class_id));
  fail_unless (gst_structure_get_double (s, "confidence", &conf));
  fail_unless (conf > 0.0 && conf <= 1.0);
  labels = gst_structure_get_value (s, "labels");
  ids = gst_structure_get_value (s, "class-ids");
  confs = gst_structure_get_value (s, "confidences");
  fail_unless (labels && ids && confs);
  fail_unless (gst_value_array_get_size (labels) >= 1);
  fail_unless_equals_int (gst_value_array_get_size (labels),
      gst_value_array_get_size (ids));
  fail_unless_equals_int (gst_value_array_get_size (labels),
      gst_value_array_get_size (confs));
  fail_unless_equals_string (g_value_get_string (gst_value_array_get_value (labels, 0)),
      label);
  fail_unless_equals_int (g_value_get_int (gst_value_array_get_value (ids, 0)), class_id);
}

/* The meta of region @id from @model_name has top-1 @label. */
static void
check_meta (GstBuffer * buf, gint id, const gchar * model_name, const gchar * label)
{
  GstCnnClassificationMeta *meta =
      gst_buffer_get_cnn_classification_meta_for_region (buf, id, model_name);

  fail_unless (meta != NULL, "no meta for region %d from %s", id, model_name);
  fail_unless_equals_int (gst_cnn_classification_meta_get_roi_id (meta), id);
  fail_unless (meta->n_entries >= 1);
  fail_unless_equals_string (meta->entries[0].label, label);
  fail_unless_equals_string (meta->model_name, model_name);
}

static GstStructure *
pop_message (GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  GstStructure *s;

  fail_unless (msg != NULL, "no element message");
  s = gst_structure_copy (gst_message_get_structure (msg));
  gst_message_unref (msg);
  fail_unless (gst_structure_has_name (s, "cnnclassify"));
  return s;
}

/* ---- tests ------------------------------------------------------------------------- */

/* Every format: each region gets its box's colour, in params, meta and message; the
 * frame as a whole is not classified. */
GST_START_TEST (test_regions_classified)
{
  guint f, b;

  for (f = 0; f < G_N_ELEMENTS (FORMATS); f++) {
    gboolean gray = FORMATS[f] == GST_VIDEO_FORMAT_GRAY8;
    GstBus *bus;
    GstHarness *h = harness_new ("cnnclassify model=\"" MODEL ("color.onnx") "\" "
        "inference-region=roi-list post-messages=true top-k=3", &bus);
    GstVideoInfo info;
    GstBuffer *out = push_pull (h, &info, make_boxes_frame (FORMATS[f], &info));
    GstStructure *msg;
    const GValue *regions;

    fail_unless (gst_buffer_get_cnn_classification_meta (out) == NULL,
        "roi-list attached a whole-frame meta");
    fail_unless_equals_int (gst_buffer_get_n_cnn_classification_metas (out),
        G_N_ELEMENTS (BOXES));

    msg = pop_message (bus);
    regions = gst_structure_get_value (msg, "regions");
    fail_unless (regions != NULL && GST_VALUE_HOLDS_ARRAY (regions));
    fail_unless_equals_int (gst_value_array_get_size (regions), G_N_ELEMENTS (BOXES));

    for (b = 0; b < G_N_ELEMENTS (BOXES); b++) {
      /* Gray frames have no colour: only the white box keeps its class. */
      const gchar *label = gray && b != 2 ? NULL : BOXES[b].label;
      const GstStructure *r =
          gst_value_get_structure (gst_value_array_get_value (regions, b));
      gint v;

      if (label != NULL) {
        check_param (get_roi (out, 100 + b), "colour-test", label, "colour-test");
        check_meta (out, 100 + b, "colour-test", label);
        fail_unless_equals_string (gst_structure_get_string (r, "label"), label);
      }
      fail_unless (gst_structure_get_int (r, "roi-id", &v) && v == 100 + (gint) b);
      fail_unless_equals_string (gst_structure_get_string (r, "roi-type"),
          BOXES[b].type);
      fail_unless (gst_structure_get_int (r, "x", &v) && v == BOXES[b].x);
      fail_unless (gst_structure_get_int (r, "width", &v) && v == BOXES[b].w);
    }
    gst_structure_free (msg);
    gst_buffer_unref (out);
    harness_teardown (h, bus);
  }
}

GST_END_TEST;

/* Resize mode and normalisation apply to regions: color-bgr.onnx reads blue as red. */
GST_START_TEST (test_regions_preprocessed)
{
  GstHarness *h = harness_new ("cnnclassify model=\"" MODEL ("color-bgr.onnx") "\" "
      "inference-region=roi-list", NULL);
  GstVideoInfo info;
  GstBuffer *buf = make_boxes_frame (GST_VIDEO_FORMAT_I420, &info), *out;

  out = push_pull (h, &info, buf);
  check_param (get_roi (out, 100), "colour-bgr", "red", "colour-bgr");
  check_param (get_roi (out, 101), "colour-bgr", "green", "colour-bgr");
  gst_buffer_unref (out);
  harness_teardown (h, NULL);
}

GST_END_TEST;

/* Regions reach the model through the same input forms as frames (NHWC, uint8), and
 * with async-inference they are classified at once, on the streaming thread. */
GST_START_TEST (test_regions_model_forms)
{
  static const gchar *const variants[] = {
    "model=\"" MODEL ("color-nhwc.onnx") "\"",
    "model=\"" MODEL ("color-uint8.onnx") "\"",
    "model=\"" MODEL ("color.onnx") "\" async-inference=true",
  };
  guint v, b;

  for (v = 0; v < G_N_ELEMENTS (variants); v++) {
    gchar *desc = g_strdup_printf ("cnnclassify name=c %s inference-region=roi-list",
        variants[v]);
    GstHarness *h = harness_new (desc, NULL);
    GstElement *c = harness_child (h);
    GstVideoInfo info;
    GstBuffer *out = push_pull (h, &info, make_boxes_frame (GST_VIDEO_FORMAT_RGB, &info));
    gchar *name = NULL;

    g_object_get (c, "model-name", &name, NULL);
    for (b = 0; b < G_N_ELEMENTS (BOXES); b++)
      check_meta (out, 100 + b, name, BOXES[b].label);
    g_free (name);
    gst_object_unref (c);
    gst_buffer_unref (out);
    harness_teardown (h, NULL);
    g_free (desc);
  }
}

GST_END_TEST;

GST_START_TEST (test_object_class)
{
  static const struct
  {
    const gchar *object_class;
    gboolean classified[3];
  } cases[] = {
    {"face", {FALSE, TRUE, TRUE}},
    {"car", {TRUE, FALSE, FALSE}},
    {" car , face ", {TRUE, TRUE, TRUE}},
    {"", {TRUE, TRUE, TRUE}},
    {"person", {FALSE, FALSE, FALSE}},
  };
  guint c, b;

  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    GstHarness *h = harness_new ("cnnclassify name=c model=\"" MODEL ("color.onnx") "\" "
        "inference-region=roi-list", NULL);
    GstElement *e = harness_child (h);
    GstVideoInfo info;
    GstBuffer *out;
    guint n = 0;

    g_object_set (e, "object-class", cases[c].object_class, NULL);
    out = push_pull (h, &info, make_boxes_frame (GST_VIDEO_FORMAT_RGBA, &info));
    for (b = 0; b < G_N_ELEMENTS (BOXES); b++) {
      GstVideoRegionOfInterestMeta *roi = get_roi (out, 100 + b);

      if (cases[c].classified[b]) {
        check_param (roi, "colour-test", BOXES[b].label, "colour-test");
        n++;
      } else {
        fail_unless (roi->params == NULL, "object-class=\"%s\": region %s classified",
            cases[c].object_class, BOXES[b].type);
      }
    }
    fail_unless_equals_int (gst_buffer_get_n_cnn_classification_metas (out), n);
    gst_buffer_unref (out);
    gst_object_unref (e);
    harness_teardown (h, NULL);
  }
}

GST_END_TEST;

/* Two classifiers on the same regions keep separate results: by model name, or by
 * result-name when the model is the same. */
GST_START_TEST (test_cascade)
{
  GstHarness *h = harness_new ("cnnclassify model=\"" MODEL ("color.onnx") "\" "
      "inference-region=roi-list ! cnnclassify model=\"" MODEL ("color-bgr.onnx") "\" "
      "inference-region=roi-list object-class=car ! cnnclassify model=\""
      MODEL ("color.onnx") "\" inference-region=roi-list result-name=second top-k=1",
      NULL);
  GstVideoInfo info;
  GstBuffer *out = push_pull (h, &info, make_boxes_frame (GST_VIDEO_FORMAT_NV12, &info));
  GstVideoRegionOfInterestMeta *car = get_roi (out, 100), *face = get_roi (out, 101);

  check_param (car, "colour-test", "blue", "colour-test");
  check_param (car, "colour-bgr", "red", "colour-bgr");
  check_param (car, "second", "blue", "colour-test");
  fail_unless_equals_int (g_list_length (car->params), 3);
  check_param (face, "colour-test", "green", "colour-test");
  check_param (face, "second", "green", "colour-test");
  fail_unless (gst_video_region_of_interest_meta_get_param (face, "colour-bgr") == NULL);
  fail_unless_equals_int (g_list_length (face->params), 2);

  check_meta (out, 100, "colour-test", "blue");
  check_meta (out, 100, "colour-bgr", "red");
  fail_unless (gst_buffer_get_cnn_classification_meta_for_region (out, 101,
          "colour-bgr") == NULL);
  /* 3 regions by the first, 1 by the second, 3 by the third. */
  fail_unless_equals_int (gst_buffer_get_n_cnn_classification_metas (out), 7);
  gst_buffer_unref (out);
  harness_teardown (h, NULL);
}

GST_END_TEST;

/* Partly outside: clipped and classified. Outside, empty, absurd or below
 * min-region-size: skipped without a result. Nothing crashes. */
GST_START_TEST (test_bad_regions)
{
  static const Box box = { "x", 0, 0, 16, 16, {0, 0, 255}, "blue" };
  GstBus *bus;
  GstHarness *h = harness_new ("cnnclassify name=c model=\"" MODEL ("color.onnx") "\" "
      "inference-region=roi-list post-messages=true", &bus);
  GstVideoInfo info;
  GstBuffer *buf = make_frame (GST_VIDEO_FORMAT_RGB, FRAME_W, FRAME_H, &box, 1, &info);
  GstBuffer *out;
  GstStructure *msg;
  const GValue *regions;
  const GstStructure *r;
  gint v;
  guint i;

  add_roi (buf, "x", -8, -4, 24, 20, 1);        /* clipped to 0,0 16x16: blue */
  add_roi (buf, "x", 56, 40, 100, 100, 2);      /* clipped to 56,40 8x8: red */
  add_roi (buf, "x", 1000, 10, 10, 10, 3);      /* right of the frame */
  add_roi (buf, "x", 10, -50, 10, 20, 4);       /* above the frame */
  add_roi (buf, "x", 10, 10, 0, 10, 5);         /* zero width */
  add_roi (buf, "x", 10, 10, 10, 0, 6);         /* zero height */
  add_roi (buf, "x", 0, 0, G_MAXUINT, 10, 7);   /* absurd width */
  add_roi (buf, "x", G_MAXINT, G_MAXINT, G_MAXUINT, G_MAXUINT, 8);
  add_roi (buf, "x", 30, 30, 3, 30, 9);         /* narrower than min-region-size 4 */
  add_roi (buf, "x", 62, 46, 8, 8, 10);         /* clipped to 2x2: too small */

  out = push_pull (h, &info, buf);
  check_param (get_roi (out, 1), "colour-test", "blue", "colour-test");
  check_param (get_roi (out, 2), "colour-test", "red", "colour-test");
  for (i = 3; i <= 10; i++)
    fail_unless (get_roi (out, i)->params == NULL, "region %u was classified", i);
  fail_unless_equals_int (gst_buffer_get_n_cnn_classification_metas (out), 2);

  msg = pop_message (bus);
  regions = gst_structure_get_value (msg, "regions");
  fail_unless_equals_int (gst_value_array_get_size (regions), 2);
  r = gst_value_get_structure (gst_value_array_get_value (regions, 0));
  fail_unless (gst_structure_get_int (r, "x", &v) && v == 0);
  fail_unless (gst_structure_get_int (r, "y", &v) && v == 0);
  fail_unless (gst_structure_get_int (r, "width", &v) && v == 16);
  fail_unless (gst_structure_get_int (r, "height", &v) && v == 16);
  r = gst_value_get_structure (gst_value_array_get_value (regions, 1));
  fail_unless (gst_structure_get_int (r, "width", &v) && v == 8);
  fail_unless (gst_structure_get_int (r, "height", &v) && v == 8);
  gst_structure_free (msg);
  gst_buffer_unref (out);

  /* min-region-size=1 lets the 2x2 corner and the 3-pixel-wide region through. */
  {
    GstElement *e = harness_child (h);

    g_object_set (e, "min-region-size", 1, NULL);
    gst_object_unref (e);
  }
  buf = make_frame (GST_VIDEO_FORMAT_RGB, FRAME_W, FRAME_H, &box, 1, &info);
  add_roi (buf, "x", 30, 30, 3, 30, 9);
  add_roi (buf, "x", 62, 46, 8, 8, 10);
  out = push_pull (h, &info, buf);
  check_param (get_roi (out, 9), "colour-test", "red", "colour-test");
  check_param (get_roi (out, 10), "colour-test", "red", "colour-test");
  gst_buffer_unref (out);
  harness_teardown (h, bus);
}

GST_END_TEST;

/* 10,000 regions on one frame: max-regions bounds the work, and raising it classifies
 * them all. */
GST_START_TEST (test_many_regions)
{
  static const guint N = 10000;
  GstHarness *h = harness_new ("cnnclassify name=c model=\"" MODEL ("color.onnx") "\" "
      "inference-region=roi-list top-k=1", NULL);
  GstElement *e = harness_child (h);
  guint round, i;

  for (round = 0; round < 2; round++) {
    guint max = round == 0 ? 250 : N;
    GstVideoInfo info;
    GstBuffer *buf = make_frame (GST_VIDEO_FORMAT_I420, 320, 240, BOXES, 1, &info), *out;
    guint n_params = 0;

    g_object_set (e, "max-regions", max, NULL);
    for (i = 0; i < N; i++)
      add_roi (buf, "x", (gint) (i * 7) % 300, (gint) (i * 13) % 220, 4 + i % 40,
          4 + i % 30, (gint) i);
    out = push_pull (h, &info, buf);
    for (i = 0; i < N; i++)
      n_params += get_roi (out, i)->params != NULL;
    fail_unless_equals_int (n_params, max);
    fail_unless_equals_int (gst_buffer_get_n_cnn_classification_metas (out), max);
    /* In buffer order: the first max regions. */
    fail_unless (get_roi (out, max - 1)->params != NULL);
    gst_buffer_unref (out);
  }
  gst_object_unref (e);
  harness_teardown (h, NULL);
}

GST_END_TEST;

/* An invalid result-name is refused with a warning; valid ones are used as given. */
GST_START_TEST (test_result_name)
{
  GstElement *e = gst_element_factory_make ("cnnclassify", NULL);
  gchar *name;

  fail_unless (e != NULL);
  g_object_set (e, "result-name", "age", NULL);
  g_object_set (e, "result-name", "9 lives", NULL);
  g_object_get (e, "result-name", &name, NULL);
  fail_unless_equals_string (name, "age");
  g_free (name);
  g_object_set (e, "result-name", "", NULL);
  g_object_get (e, "result-name", &name, NULL);
  fail_unless (name == NULL);
  gst_object_unref (e);
}

GST_END_TEST;

static Suite *
cnnregions_suite (void)
{
  Suite *s = suite_create ("cnnregions");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_regions_classified);
  tcase_add_test (tc, test_regions_preprocessed);
  tcase_add_test (tc, test_regions_model_forms);
  tcase_add_test (tc, test_object_class);
  tcase_add_test (tc, test_cascade);
  tcase_add_test (tc, test_bad_regions);
  tcase_add_test (tc, test_many_regions);
  tcase_add_test (tc, test_result_name);
  return s;
}

GST_CHECK_MAIN (cnnregions);
