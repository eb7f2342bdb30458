/* test-cnnclassify.c — the cnnclassify element in a GstHarness.
 *
 * The models in models/ (see make-test-models.py) average each channel and score six
 * colour classes, so a solid frame's top-1 is known in advance. Frames are drawn in RGB
 * and converted to every supported format with GstVideoConverter.
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

#include "test-frames.h"

#define MODEL(name) TEST_MODELS_DIR G_DIR_SEPARATOR_S name

#define MAX_RESULTS 8

typedef struct
{
  guint n;
  gint ids[MAX_RESULTS];
  gchar labels[MAX_RESULTS][32];
  gfloat conf[MAX_RESULTS];
  gchar model_name[64];
  GstClockTime inference_time;
} Result;

typedef struct
{
  const gchar *name;
  guint8 rgb[3];
} Colour;

static const Colour RED = { "red", {255, 0, 0} };
static const Colour GREEN = { "green", {0, 255, 0} };
static const Colour BLUE = { "blue", {0, 0, 255} };
static const Colour GRAY = { "gray", {128, 128, 128} };
static const Colour BLACK = { "black", {0, 0, 0} };
static const Colour WHITE = { "white", {255, 255, 255} };

static const Colour *const COLOURS[] = { &RED, &GREEN, &BLUE, &GRAY, &BLACK, &WHITE };

static const GstVideoFormat FORMATS[] = {
  GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBx,
  GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR,
  GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_ARGB,
  GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_GRAY8, GST_VIDEO_FORMAT_I420,
  GST_VIDEO_FORMAT_NV12,
};

/* ---- frames ------------------------------------------------------------------------ */

static void
fill_solid (gint x, gint y, gint w, gint h, guint8 * rgb, gconstpointer data)
{
  memcpy (rgb, ((const Colour *) data)->rgb, 3);
}

/* Blue top 30%; below it red on the left 70% and green on the right. Top-1: red. */
static void
fill_quadrants (gint x, gint y, gint w, gint h, guint8 * rgb, gconstpointer data)
{
  const Colour *c = y < 0.3 * h ? &BLUE : x < 0.7 * w ? &RED : &GREEN;

  memcpy (rgb, c->rgb, 3);
}

/* Red, blue in the middle 120 of 320 columns, red: stretch → red, center-crop → blue. */
static void
fill_columns (gint x, gint y, gint w, gint h, guint8 * rgb, gconstpointer data)
{
  const Colour *c = (x >= 100 * w / 320 && x < 220 * w / 320) ? &BLUE : &RED;

  memcpy (rgb, c->rgb, 3);
}

static GstBuffer *
make_frame (GstVideoFormat format, gint w, gint h, FillFunc fill, gconstpointer data,
    GstVideoInfo * info)
{
  return make_frame_full (format, w, h, fill, data, NULL, info);
}

static GstBuffer *
make_solid (GstVideoFormat format, gint w, gint h, const Colour * c, GstVideoInfo * info)
{
  return make_frame (format, w, h, fill_solid, c, info);
}

/* The same picture with larger strides, planes at odd offsets and garbage in between,
 * described by a GstVideoMeta. */
static GstBuffer *
relayout (GstBuffer * src, const GstVideoInfo * info)
{
  guint n_planes = GST_VIDEO_INFO_N_PLANES (info), p;
  gsize offset[GST_VIDEO_MAX_PLANES];
  gint stride[GST_VIDEO_MAX_PLANES];
  gsize total = 37, i;
  GstMapInfo sm, dm;
  GstBuffer *dst;

  for (p = 0; p < n_planes; p++) {
    stride[p] = GST_VIDEO_INFO_PLANE_STRIDE (info, p) + 29 + 16 * p;
    offset[p] = total;
    total += (gsize) stride[p] * GST_VIDEO_INFO_COMP_HEIGHT (info, p) + 11;
  }

  dst = gst_buffer_new_allocate (NULL, total, NULL);
  fail_unless (gst_buffer_map (dst, &dm, GST_MAP_WRITE));
  fail_unless (gst_buffer_map (src, &sm, GST_MAP_READ));
  for (i = 0; i < total; i++)
    dm.data[i] = (guint8) (i * 97 + 13);
  for (p = 0; p < n_planes; p++) {
    gint row;

    for (row = 0; row < GST_VIDEO_INFO_COMP_HEIGHT (info, p); row++)
      memcpy (dm.data + offset[p] + (gsize) row * stride[p],
          sm.data + GST_VIDEO_INFO_PLANE_OFFSET (info, p) +
          (gsize) row * GST_VIDEO_INFO_PLANE_STRIDE (info, p),
          GST_VIDEO_INFO_PLANE_STRIDE (info, p));
  }
  gst_buffer_unmap (src, &sm);
  gst_buffer_unmap (dst, &dm);

  gst_buffer_add_video_meta_full (dst, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), n_planes, offset, stride);
  return dst;
}

/* ---- harness ----------------------------------------------------------------------- */

/* cnnclassify with the given model and gst-launch style properties; @bus (optional)
 * receives its messages. */
static GstHarness *
harness_new (const gchar * model, const gchar * props, GstBus ** bus)
{
  gchar *desc = g_strdup_printf ("cnnclassify model=\"%s\" %s", model,
      props ? props : "");
  GError *error = NULL;
  GstElement *e;
  GstHarness *h;

  e = gst_parse_launch (desc, &error);
  fail_unless (e != NULL && error == NULL, "%s: %s", desc, error ? error->message : "?");
  g_free (desc);
  /* Before the harness starts it: start() posts the labels warnings. */
  if (bus != NULL) {
    *bus = gst_bus_new ();
    gst_element_set_bus (e, *bus);
  }
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  return h;
}

/* Messages reference the element and the element the bus: break the cycle. */
static void
harness_teardown_with_bus (GstHarness * h, GstBus * bus)
{
  gst_element_set_bus (h->element, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

static GstElement *
harness_element (GstHarness * h)
{
  return h->element;
}

static void
harness_set_info (GstHarness * h, const GstVideoInfo * info)
{
  gst_harness_set_src_caps (h, gst_video_info_to_caps (info));
}

/* Pushes @buf (taken), pulls it back, checks the pixels are untouched and returns the
 * classification meta's contents. */
static Result
classify (GstHarness * h, GstBuffer * buf)
{
  Result r;
  gsize size = gst_buffer_get_size (buf);
  guint8 *before = g_malloc (size);
  GstCnnClassificationMeta *meta;
  GstBuffer *out;
  guint i;

  memset (&r, 0, sizeof (r));
  gst_buffer_extract (buf, 0, before, size);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != NULL);
  fail_unless_equals_int (gst_buffer_get_size (out), size);
  fail_unless (gst_buffer_memcmp (out, 0, before, size) == 0, "pixels were modified");
  g_free (before);

  fail_unless_equals_int (gst_buffer_get_n_meta (out, GST_CNN_CLASSIFICATION_META_API_TYPE),
      1);
  meta = gst_buffer_get_cnn_classification_meta (out);
  fail_unless (meta != NULL);
  r.n = meta->n_entries;
  r.inference_time = meta->inference_time;
  g_strlcpy (r.model_name, meta->model_name ? meta->model_name : "", sizeof (r.model_name));
  for (i = 0; i < MIN (meta->n_entries, MAX_RESULTS); i++) {
    r.ids[i] = meta->entries[i].class_id;
    g_strlcpy (r.labels[i], meta->entries[i].label, sizeof (r.labels[i]));
    r.conf[i] = meta->entries[i].confidence;
    if (i > 0)
      fail_unless (r.conf[i - 1] >= r.conf[i], "entries not sorted");
  }
  gst_buffer_unref (out);
  return r;
}

/* Convenience: classify one solid frame in its own caps. */
static Result
classify_solid (GstHarness * h, GstVideoFormat format, gint w, gint h_, const Colour * c)
{
  GstVideoInfo info;
  GstBuffer *buf = make_solid (format, w, h_, c, &info);

  harness_set_info (h, &info);
  return classify (h, buf);
}

static const gchar *
top1 (const Result * r)
{
  fail_unless (r->n > 0, "no result");
  return r->labels[0];
}

static void
assert_same_result (const Result * a, const Result * b, gdouble tol, const gchar * what)
{
  guint i;

  fail_unless_equals_int (a->n, b->n);
  fail_unless (strcmp (a->labels[0], b->labels[0]) == 0, "%s: top-1 %s, expected %s", what,
      b->labels[0], a->labels[0]);
  for (i = 0; i < MIN (a->n, MAX_RESULTS); i++)
    fail_unless (fabs (a->conf[i] - b->conf[i]) <= tol,
        "%s: entry %u confidence %f, expected %f", what, i, b->conf[i], a->conf[i]);
}

static gboolean
is_exact_format (GstVideoFormat f)
{
  const GstVideoFormatInfo *fi = gst_video_format_get_info (f);

  return GST_VIDEO_FORMAT_INFO_IS_RGB (fi);
}

/* ---- formats ----------------------------------------------------------------------- */

GST_START_TEST (test_formats_solid)
{
  static const gint sizes[][2] = { {16, 16}, {321, 241}, {320, 240}, {7, 5} };
  guint s, f, c;

  for (s = 0; s < G_N_ELEMENTS (sizes); s++) {
    gint w = sizes[s][0], h_ = sizes[s][1];
    Result ref[G_N_ELEMENTS (COLOURS)];
    GstHarness *h = harness_new (MODEL ("color.onnx"), NULL, NULL);

    for (c = 0; c < G_N_ELEMENTS (COLOURS); c++) {
      ref[c] = classify_solid (h, GST_VIDEO_FORMAT_RGB, w, h_, COLOURS[c]);
      fail_unless_equals_string (top1 (&ref[c]), COLOURS[c]->name);
    }
    gst_harness_teardown (h);

    for (f = 1; f < G_N_ELEMENTS (FORMATS); f++) {
      gboolean gray = FORMATS[f] == GST_VIDEO_FORMAT_GRAY8;

      h = harness_new (MODEL ("color.onnx"), NULL, NULL);
      for (c = 0; c < G_N_ELEMENTS (COLOURS); c++) {
        const Colour *col = COLOURS[c];
        gchar *what = g_strdup_printf ("%s %dx%d %s", gst_video_format_to_string (FORMATS[f]),
            w, h_, col->name);
        Result r;

        /* A gray frame of a saturated colour is just gray. */
        if (gray && (col->rgb[0] != col->rgb[1] || col->rgb[1] != col->rgb[2])) {
          g_free (what);
          continue;
        }
        r = classify_solid (h, FORMATS[f], w, h_, col);
        assert_same_result (&ref[c], &r, is_exact_format (FORMATS[f]) ? 1e-6 : 0.02, what);
        g_free (what);
      }
      gst_harness_teardown (h);
    }
  }
}

GST_END_TEST;

/* A picture with edges: scaling must agree across layouts (chroma subsampling blurs the
 * edges a little in YUV). */
GST_START_TEST (test_formats_pattern)
{
  GstVideoInfo info;
  GstHarness *h;
  Result ref;
  guint f;

  h = harness_new (MODEL ("color.onnx"), "top-k=6", NULL);
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, 321, 241);
  harness_set_info (h, &info);
  ref = classify (h, make_frame (GST_VIDEO_FORMAT_RGB, 321, 241, fill_quadrants, NULL,
          &info));
  fail_unless_equals_string (top1 (&ref), "red");
  fail_unless_equals_int (ref.n, 6);

  for (f = 1; f < G_N_ELEMENTS (FORMATS); f++) {
    GstBuffer *buf;
    Result r;

    if (FORMATS[f] == GST_VIDEO_FORMAT_GRAY8)
      continue;
    buf = make_frame (FORMATS[f], 321, 241, fill_quadrants, NULL, &info);
    harness_set_info (h, &info);
    r = classify (h, buf);
    assert_same_result (&ref, &r, is_exact_format (FORMATS[f]) ? 1e-6 : 0.03,
        gst_video_format_to_string (FORMATS[f]));
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* YUV frames are decoded with the matrix and range their caps announce. */
GST_START_TEST (test_colorimetry)
{
  static const gchar *const colorimetries[] = { "bt601", "bt709", "1:4:0:0" /* full range BT.601 */ };
  static const Colour *const colours[] = { &RED, &GREEN, &BLUE };
  GstHarness *h = harness_new (MODEL ("color.onnx"), NULL, NULL);
  GstVideoInfo info;
  GstBuffer *buf;
  guint i, c;

  for (c = 0; c < G_N_ELEMENTS (colours); c++) {
    Result ref = classify_solid (h, GST_VIDEO_FORMAT_RGB, 64, 48, colours[c]), r;

    for (i = 0; i < G_N_ELEMENTS (colorimetries); i++) {
      buf = make_frame_full (GST_VIDEO_FORMAT_I420, 64, 48, fill_solid, colours[c],
          colorimetries[i], &info);
      harness_set_info (h, &info);
      r = classify (h, buf);
      assert_same_result (&ref, &r, 0.02, colorimetries[i]);
    }

    /* The check is sensitive: BT.709 pixels announced as BT.601 decode differently. */
    buf = make_frame_full (GST_VIDEO_FORMAT_I420, 64, 48, fill_solid, colours[c], "bt709",
        &info);
    fail_unless (gst_video_colorimetry_from_string (&info.colorimetry, "bt601"));
    harness_set_info (h, &info);
    r = classify (h, buf);
    fail_unless (fabs (r.conf[0] - ref.conf[0]) > 0.02, "%s: %f vs %f", colours[c]->name,
        r.conf[0], ref.conf[0]);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Custom strides and plane offsets (GstVideoMeta) give exactly the default-layout result. */
GST_START_TEST (test_strides_and_offsets)
{
  guint f;

  for (f = 0; f < G_N_ELEMENTS (FORMATS); f++) {
    GstHarness *h = harness_new (MODEL ("color.onnx"), "top-k=6", NULL);
    GstVideoInfo info;
    GstBuffer *plain, *padded;
    Result a, b;

    plain = make_frame (FORMATS[f], 321, 241, fill_quadrants, NULL, &info);
    padded = relayout (plain, &info);
    harness_set_info (h, &info);
    a = classify (h, plain);
    b = classify (h, padded);
    assert_same_result (&a, &b, 0.0, gst_video_format_to_string (FORMATS[f]));
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* ---- results ----------------------------------------------------------------------- */

static void
softmax (const gfloat * logits, gfloat * out, guint n)
{
  gdouble sum = 0;
  guint i;

  for (i = 0; i < n; i++)
    sum += exp (logits[i]);
  for (i = 0; i < n; i++)
    out[i] = (gfloat) (exp (logits[i]) / sum);
}

/* Logits of the colour model for a pure red frame. */
static const gfloat RED_LOGITS[6] = { 2.0f, -1.0f, -1.0f, 0.2f, -0.7f, -1.4f };

GST_START_TEST (test_meta_contents)
{
  GstHarness *h = harness_new (MODEL ("color.onnx"), NULL, NULL);
  static const gint order[5] = { 0, 3, 4, 1, 2 };       /* red, gray, black, green, blue */
  static const gchar *labels[5] = { "red", "gray", "black", "green", "blue" };
  gfloat p[6];
  Result r;
  guint i;

  softmax (RED_LOGITS, p, 6);
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 64, 48, &RED);
  fail_unless_equals_int (r.n, 5);      /* default top-k */
  fail_unless_equals_string (r.model_name, "colour-test");
  fail_unless (GST_CLOCK_TIME_IS_VALID (r.inference_time));
  for (i = 0; i < 5; i++) {
    fail_unless_equals_int (r.ids[i], order[i]);
    fail_unless_equals_string (r.labels[i], labels[i]);
    fail_unless (fabs (r.conf[i] - p[order[i]]) < 1e-5, "entry %u: %f vs %f", i, r.conf[i],
        p[order[i]]);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_top_k_and_threshold)
{
  GstHarness *h = harness_new (MODEL ("color.onnx"), "top-k=2", NULL);
  GstElement *e = harness_element (h);
  Result r;

  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 32, 32, &RED);
  fail_unless_equals_int (r.n, 2);

  /* More than the model has: every class once. */
  g_object_set (e, "top-k", 1000, NULL);
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 32, 32, &RED);
  fail_unless_equals_int (r.n, 6);

  /* Red's softmax confidence is 0.732: only it passes 0.5, nothing passes 0.9. */
  g_object_set (e, "threshold", 0.5, NULL);
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 32, 32, &RED);
  fail_unless_equals_int (r.n, 1);
  fail_unless_equals_string (r.labels[0], "red");
  g_object_set (e, "threshold", 0.9, NULL);
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 32, 32, &RED);
  fail_unless_equals_int (r.n, 0);      /* the meta is still there, empty */
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_output_activation)
{
  GstHarness *h = harness_new (MODEL ("color.onnx"), NULL, NULL);
  GstElement *e = harness_element (h);
  gfloat p[6];
  Result r;

  softmax (RED_LOGITS, p, 6);

  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &RED);       /* auto: logits */
  fail_unless (fabs (r.conf[0] - p[0]) < 1e-5);
  gst_util_set_object_arg (G_OBJECT (e), "output", "none");
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &RED);
  fail_unless (fabs (r.conf[0] - 2.0f) < 1e-5);
  gst_util_set_object_arg (G_OBJECT (e), "output", "sigmoid");
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &RED);
  fail_unless (fabs (r.conf[0] - 1.0 / (1.0 + exp (-2.0))) < 1e-5);
  fail_unless (fabs (r.conf[1] - 1.0 / (1.0 + exp (-0.2))) < 1e-5);
  gst_util_set_object_arg (G_OBJECT (e), "output", "softmax");
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &RED);
  fail_unless (fabs (r.conf[0] - p[0]) < 1e-5);
  gst_harness_teardown (h);

  /* A model that ends in Softmax: auto must not apply a second one. */
  h = harness_new (MODEL ("color-softmax.onnx"), NULL, NULL);
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &RED);
  fail_unless (fabs (r.conf[0] - p[0]) < 1e-5, "auto re-applied softmax: %f", r.conf[0]);
  gst_util_set_object_arg (G_OBJECT (harness_element (h)), "output", "softmax");
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &RED);
  fail_unless (r.conf[0] < 0.5f);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_messages)
{
  GstBus *bus;
  GstHarness *h = harness_new (MODEL ("color.onnx"), "post-messages=true top-k=3", &bus);
  GstElement *e = harness_element (h);
  GstVideoInfo info;
  GstBuffer *buf;
  GstMessage *msg;
  const GstStructure *s;
  const GValue *ids, *labels, *confs;
  guint64 ts, inference_time;
  gint class_id;
  gdouble confidence;
  Result r;
  guint i;

  buf = make_solid (GST_VIDEO_FORMAT_RGB, 40, 30, &BLUE, &info);
  GST_BUFFER_PTS (buf) = 3 * GST_SECOND;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  harness_set_info (h, &info);
  r = classify (h, buf);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL);
  fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (e));
  s = gst_message_get_structure (msg);
  fail_unless (gst_structure_has_name (s, "cnnclassify"));
  fail_unless (gst_structure_get_uint64 (s, "timestamp", &ts));
  fail_unless_equals_uint64 (ts, 3 * GST_SECOND);
  fail_unless (gst_structure_get_int (s, "class-id", &class_id));
  fail_unless_equals_int (class_id, 2);
  fail_unless_equals_string (gst_structure_get_string (s, "label"), "blue");
  fail_unless (gst_structure_get_double (s, "confidence", &confidence));
  fail_unless (fabs (confidence - r.conf[0]) < 1e-6);
  fail_unless (gst_structure_get_uint64 (s, "inference-time", &inference_time));
  fail_unless_equals_uint64 (inference_time, r.inference_time);
  fail_unless_equals_string (gst_structure_get_string (s, "model-name"), "colour-test");
  fail_unless (gst_structure_has_field_typed (s, "running-time", G_TYPE_UINT64));
  fail_unless (gst_structure_has_field_typed (s, "stream-time", G_TYPE_UINT64));
  fail_unless (gst_structure_has_field_typed (s, "duration", G_TYPE_UINT64));

  ids = gst_structure_get_value (s, "class-ids");
  labels = gst_structure_get_value (s, "labels");
  confs = gst_structure_get_value (s, "confidences");
  fail_unless (ids && GST_VALUE_HOLDS_ARRAY (ids));
  fail_unless (labels && GST_VALUE_HOLDS_ARRAY (labels));
  fail_unless (confs && GST_VALUE_HOLDS_ARRAY (confs));
  fail_unless_equals_int (gst_value_array_get_size (ids), 3);
  fail_unless_equals_int (gst_value_array_get_size (labels), 3);
  fail_unless_equals_int (gst_value_array_get_size (confs), 3);
  for (i = 0; i < 3; i++) {
    fail_unless_equals_int (g_value_get_int (gst_value_array_get_value (ids, i)), r.ids[i]);
    fail_unless_equals_string (g_value_get_string (gst_value_array_get_value (labels, i)),
        r.labels[i]);
    fail_unless (fabs (g_value_get_double (gst_value_array_get_value (confs, i)) -
            r.conf[i]) < 1e-6);
  }
  gst_message_unref (msg);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT) == NULL, "one per frame");

  /* Nothing above the threshold: no top-1 fields, empty lists. */
  g_object_set (e, "threshold", 0.99, NULL);
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 40, 30, &BLUE);
  fail_unless_equals_int (r.n, 0);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL);
  s = gst_message_get_structure (msg);
  fail_if (gst_structure_has_field (s, "class-id"));
  fail_if (gst_structure_has_field (s, "label"));
  fail_unless_equals_int (gst_value_array_get_size (gst_structure_get_value (s,
              "class-ids")), 0);
  gst_message_unref (msg);

  /* Off: no messages. */
  g_object_set (e, "post-messages", FALSE, NULL);
  classify_solid (h, GST_VIDEO_FORMAT_RGB, 40, 30, &BLUE);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT) == NULL);

  harness_teardown_with_bus (h, bus);
}

GST_END_TEST;

/* ---- preprocessing settings -------------------------------------------------------- */

GST_START_TEST (test_resize_modes)
{
  GstHarness *h = harness_new (MODEL ("color.onnx"), NULL, NULL);
  GstElement *e = harness_element (h);
  GstVideoInfo info;
  Result r;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, 320, 160);
  harness_set_info (h, &info);
  r = classify (h, make_frame (GST_VIDEO_FORMAT_RGB, 320, 160, fill_columns, NULL, &info));
  fail_unless_equals_string (top1 (&r), "red");
  gst_util_set_object_arg (G_OBJECT (e), "resize-mode", "center-crop");
  r = classify (h, make_frame (GST_VIDEO_FORMAT_RGB, 320, 160, fill_columns, NULL, &info));
  fail_unless_equals_string (top1 (&r), "blue");
  gst_util_set_object_arg (G_OBJECT (e), "resize-mode", "letterbox");
  r = classify (h, make_frame (GST_VIDEO_FORMAT_RGB, 320, 160, fill_columns, NULL, &info));
  fail_unless_equals_string (top1 (&r), "red");

  /* Letterboxed black 4:1 frame with white borders: 1/4 black, 3/4 white → gray. */
  g_object_set (e, "pad-value", 255, NULL);
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 320, 80, &BLACK);
  fail_unless_equals_string (top1 (&r), "gray");
  r = classify_solid (h, GST_VIDEO_FORMAT_I420, 320, 80, &BLACK);
  fail_unless_equals_string (top1 (&r), "gray");
  gst_util_set_object_arg (G_OBJECT (e), "resize-mode", "stretch");
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 320, 80, &BLACK);
  fail_unless_equals_string (top1 (&r), "black");
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_color_order)
{
  GstHarness *h = harness_new (MODEL ("color.onnx"), "color-order=bgr", NULL);
  GstElement *e = harness_element (h);
  Result r;

  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &RED);
  fail_unless_equals_string (top1 (&r), "blue");
  r = classify_solid (h, GST_VIDEO_FORMAT_BGRx, 16, 16, &RED);
  fail_unless_equals_string (top1 (&r), "blue");
  r = classify_solid (h, GST_VIDEO_FORMAT_NV12, 16, 16, &BLUE);
  fail_unless_equals_string (top1 (&r), "red");

  /* gray: luma of red is 0.299 in every channel → "gray". */
  gst_util_set_object_arg (G_OBJECT (e), "color-order", "gray");
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &RED);
  fail_unless_equals_string (top1 (&r), "gray");
  gst_util_set_object_arg (G_OBJECT (e), "color-order", "rgb");
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &RED);
  fail_unless_equals_string (top1 (&r), "red");
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_normalisation)
{
  GstHarness *h = harness_new (MODEL ("color.onnx"), NULL, NULL);
  GstElement *e = harness_element (h);
  Result r;

  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &GRAY);
  fail_unless_equals_string (top1 (&r), "gray");

  /* (0.502 - 0.5) / 0.5 ≈ 0 in every channel → "black". Changed while playing. */
  g_object_set (e, "mean", "0.5", "std", "0.5", NULL);
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &GRAY);
  fail_unless_equals_string (top1 (&r), "black");

  /* Per-channel std: blue / 0.25 dominates. */
  g_object_set (e, "mean", "0,0,0", "std", "1,1,0.25", NULL);
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &GRAY);
  fail_unless_equals_string (top1 (&r), "blue");

  /* 0..255 input range: 128 per channel → "white". */
  g_object_set (e, "mean", NULL, "std", NULL, "value-range", "0,255", NULL);
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &GRAY);
  fail_unless_equals_string (top1 (&r), "white");
  /* -1..1: 128 → 0.004 → "black". */
  g_object_set (e, "value-range", "-1,1", NULL);
  r = classify_solid (h, GST_VIDEO_FORMAT_I420, 16, 16, &GRAY);
  fail_unless_equals_string (top1 (&r), "black");
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_metadata_defaults)
{
  /* color-bgr.onnx: cnn.color_order=BGR, cnn.resize_mode=letterbox, cnn.pad_value=255. */
  GstHarness *h = harness_new (MODEL ("color-bgr.onnx"), NULL, NULL);
  GstElement *e = harness_element (h);
  gchar *name = NULL;
  Result r;

  g_object_get (e, "model-name", &name, NULL);
  fail_unless_equals_string (name, "colour-bgr");
  g_free (name);

  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 320, 240, &RED);
  fail_unless_equals_string (top1 (&r), "blue");
  fail_unless_equals_string (r.model_name, "colour-bgr");
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 320, 80, &BLACK);
  fail_unless_equals_string (top1 (&r), "gray");

  /* Properties set explicitly win over the metadata, also when set to the default. */
  g_object_set (e, "pad-value", 0, NULL);
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 320, 80, &BLACK);
  fail_unless_equals_string (top1 (&r), "black");
  g_object_set (e, "pad-value", 255, NULL);
  gst_util_set_object_arg (G_OBJECT (e), "resize-mode", "stretch");
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 320, 80, &BLACK);
  fail_unless_equals_string (top1 (&r), "black");
  gst_util_set_object_arg (G_OBJECT (e), "color-order", "rgb");
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 320, 240, &RED);
  fail_unless_equals_string (top1 (&r), "red");
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_luma_model)
{
  GstHarness *h = harness_new (MODEL ("luma.onnx"), NULL, NULL);
  static const Colour LIGHT = { "light", {200, 200, 200} };
  Result r;

  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 33, 17, &RED);       /* luma 0.299 */
  fail_unless_equals_string (top1 (&r), "dark");
  fail_unless_equals_int (r.n, 2);
  r = classify_solid (h, GST_VIDEO_FORMAT_BGRA, 33, 17, &GREEN);    /* luma 0.587 */
  fail_unless_equals_string (top1 (&r), "bright");
  r = classify_solid (h, GST_VIDEO_FORMAT_I420, 33, 17, &GREEN);
  fail_unless_equals_string (top1 (&r), "bright");
  r = classify_solid (h, GST_VIDEO_FORMAT_NV12, 33, 17, &BLUE);
  fail_unless_equals_string (top1 (&r), "dark");
  r = classify_solid (h, GST_VIDEO_FORMAT_GRAY8, 33, 17, &LIGHT);
  fail_unless_equals_string (top1 (&r), "bright");
  r = classify_solid (h, GST_VIDEO_FORMAT_GRAY8, 33, 17, &GRAY);
  fail_unless_equals_string (top1 (&r), "bright");      /* 128/255 > 0.5 */
  r = classify_solid (h, GST_VIDEO_FORMAT_GRAY8, 33, 17, &BLACK);
  fail_unless_equals_string (top1 (&r), "dark");
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_dynamic_input)
{
  GstHarness *h = harness_new (MODEL ("color-dynamic.onnx"), NULL, NULL);
  GstVideoInfo info;
  GstBuffer *buf;
  Result r;

  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 300, 200, &GREEN);
  fail_unless_equals_string (top1 (&r), "green");
  buf = make_frame (GST_VIDEO_FORMAT_I420, 300, 200, fill_quadrants, NULL, &info);
  harness_set_info (h, &info);
  r = classify (h, buf);
  fail_unless_equals_string (top1 (&r), "red");
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Caps change mid-stream: new tables, same model, both classified. */
GST_START_TEST (test_renegotiation)
{
  GstHarness *h = harness_new (MODEL ("color.onnx"), NULL, NULL);
  Result r;

  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 320, 240, &RED);
  fail_unless_equals_string (top1 (&r), "red");
  r = classify_solid (h, GST_VIDEO_FORMAT_I420, 160, 120, &BLUE);
  fail_unless_equals_string (top1 (&r), "blue");
  r = classify_solid (h, GST_VIDEO_FORMAT_GRAY8, 64, 48, &WHITE);
  fail_unless_equals_string (top1 (&r), "white");
  r = classify_solid (h, GST_VIDEO_FORMAT_xBGR, 641, 479, &GREEN);
  fail_unless_equals_string (top1 (&r), "green");
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- threads ----------------------------------------------------------------------- */

static const Colour *const THREAD_COLOURS[] = { &RED, &GREEN, &BLUE, &WHITE };

/* Every entry of @b is the same as in @a, to the bit. */
static void
assert_identical_result (const Result * a, const Result * b, const gchar * what)
{
  guint i;

  fail_unless_equals_int (b->n, a->n);
  for (i = 0; i < MIN (a->n, MAX_RESULTS); i++) {
    fail_unless (b->ids[i] == a->ids[i], "%s: entry %u is class %d, expected %d", what, i,
        b->ids[i], a->ids[i]);
    fail_unless (b->conf[i] == a->conf[i], "%s: entry %u confidence %.9g, expected %.9g",
        what, i, b->conf[i], a->conf[i]);
  }
}

/* Sets threads on the running element, checks it reads back, then classifies each of
 * THREAD_COLOURS and compares with @ref. */
static void
check_threads (GstHarness * h, gint threads, const Result * ref)
{
  gchar *what = g_strdup_printf ("threads=%d", threads);
  gint got;
  guint c;

  g_object_set (harness_element (h), "threads", threads, NULL);
  g_object_get (harness_element (h), "threads", &got, NULL);
  fail_unless_equals_int (got, threads);
  for (c = 0; c < G_N_ELEMENTS (THREAD_COLOURS); c++) {
    Result r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 64, 64, THREAD_COLOURS[c]);

    assert_identical_result (&ref[c], &r, what);
  }
  g_free (what);
}

/* threads is mutable in PLAYING: each change plans the model again, and it keeps running
 * with the same results. Each value differs from the one before in what the core runs,
 * whatever the CPU count: 1 → 3 → 1 → 0 (one per CPU; equal to 1 only on one CPU) →
 * CPUs + 1. */
GST_START_TEST (test_threads)
{
  GstBus *bus;
  GstHarness *h = harness_new (MODEL ("color.onnx"), "threads=1", &bus);
  const gint values[] = { 3, 1, 0, MIN (g_get_num_processors () + 1, 256) };
  Result ref[G_N_ELEMENTS (THREAD_COLOURS)];
  GstState state;
  guint c, v;

  for (c = 0; c < G_N_ELEMENTS (THREAD_COLOURS); c++) {
    ref[c] = classify_solid (h, GST_VIDEO_FORMAT_RGB, 64, 64, THREAD_COLOURS[c]);
    fail_unless_equals_string (top1 (&ref[c]), THREAD_COLOURS[c]->name);
  }
  fail_unless_equals_int (gst_element_get_state (harness_element (h), &state, NULL, 0),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (state, GST_STATE_PLAYING);

  for (v = 0; v < G_N_ELEMENTS (values); v++)
    check_threads (h, values[v], ref);

  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR | GST_MESSAGE_WARNING) == NULL,
      "error or warning message");
  harness_teardown_with_bus (h, bus);
}

GST_END_TEST;

/* ---- labels ------------------------------------------------------------------------ */

GST_START_TEST (test_labels_file)
{
  GstHarness *h = harness_new (MODEL ("color.onnx"),
      "labels=\"" MODEL ("color-labels.txt") "\"", NULL);
  Result r;

  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &RED);
  fail_unless_equals_string (top1 (&r), "Red");
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_labels_numbers)
{
  GstHarness *h = harness_new (MODEL ("color-plain.onnx"), NULL, NULL);
  gchar *name = NULL;
  Result r;

  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &BLUE);
  fail_unless_equals_string (top1 (&r), "2");
  fail_unless_equals_int (r.ids[0], 2);
  fail_unless_equals_string (r.model_name, "color-plain");
  g_object_get (harness_element (h), "model-name", &name, NULL);
  fail_unless_equals_string (name, "color-plain");
  g_free (name);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_labels_mismatch)
{
  GstBus *bus;
  GstHarness *h = harness_new (MODEL ("color.onnx"),
      "labels=\"" MODEL ("four-labels.txt") "\"", &bus);
  GstMessage *msg;
  GError *err = NULL;
  Result r;

  /* Still runs: the first four classes get the file's labels, the others numbers. */
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &RED);
  fail_unless_equals_string (top1 (&r), "one");
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &BLACK);
  fail_unless_equals_string (top1 (&r), "4");

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning for a labels count mismatch");
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (strstr (err->message, "four-labels.txt") != NULL, "%s", err->message);
  fail_unless (strstr (err->message, "4 labels") != NULL, "%s", err->message);
  fail_unless (strstr (err->message, "6 classes") != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  harness_teardown_with_bus (h, bus);
}

GST_END_TEST;

GST_START_TEST (test_bad_metadata)
{
  GstBus *bus;
  GstHarness *h = harness_new (MODEL ("color-bad-metadata.onnx"), NULL, &bus);
  GstHarness *plain = harness_new (MODEL ("color-plain.onnx"), NULL, NULL);
  const gchar *keys[2] = { "cnn.color_order", "cnn.mean" };
  gboolean warned[2] = { FALSE, FALSE };
  GstMessage *msg;
  Result r, want;

  /* The invalid keys fall back to the plain defaults (rgb, mean 0): same answers as a model
   * without metadata, where bgr would swap red and blue. */
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &RED);
  want = classify_solid (plain, GST_VIDEO_FORMAT_RGB, 16, 16, &RED);
  fail_unless_equals_string (top1 (&r), top1 (&want));
  r = classify_solid (h, GST_VIDEO_FORMAT_RGB, 16, 16, &BLUE);
  want = classify_solid (plain, GST_VIDEO_FORMAT_RGB, 16, 16, &BLUE);
  fail_unless_equals_string (top1 (&r), top1 (&want));

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING)) != NULL) {
    GError *err = NULL;

    gst_message_parse_warning (msg, &err, NULL);
    fail_unless (strstr (err->message, "color-bad-metadata.onnx") != NULL, "%s", err->message);
    for (guint k = 0; k < 2; k++)
      warned[k] |= strstr (err->message, keys[k]) != NULL;
    g_error_free (err);
    gst_message_unref (msg);
  }
  fail_unless (warned[0], "no warning for an invalid cnn.color_order");
  fail_unless (warned[1], "no warning for an invalid cnn.mean");
  gst_harness_teardown (plain);
  harness_teardown_with_bus (h, bus);
}

GST_END_TEST;

/* ---- properties -------------------------------------------------------------------- */

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("cnnclassify", NULL);
  gchar *model, *labels, *mean, *std, *range, *name;
  guint top_k, pad;
  gdouble threshold;
  gint threads, output, order, resize;
  gboolean post;

  fail_unless (e != NULL);
  g_object_get (e, "model", &model, "labels", &labels, "top-k", &top_k, "threshold",
      &threshold, "output", &output, "mean", &mean, "std", &std, "value-range", &range,
      "color-order", &order, "resize-mode", &resize, "pad-value", &pad, "threads",
      &threads, "post-messages", &post, "model-name", &name, NULL);
  fail_unless (model == NULL && labels == NULL && mean == NULL && std == NULL &&
      range == NULL && name == NULL);
  fail_unless_equals_int (top_k, 5);
  fail_unless_equals_float (threshold, 0.0);
  fail_unless_equals_int (output, 0);   /* auto */
  fail_unless_equals_int (order, 0);    /* rgb */
  fail_unless_equals_int (resize, 0);   /* stretch */
  fail_unless_equals_int (pad, 0);
  fail_unless_equals_int (threads, 1);
  fail_unless (!post);

  gst_util_set_object_arg (G_OBJECT (e), "output", "sigmoid");
  gst_util_set_object_arg (G_OBJECT (e), "color-order", "bgr");
  gst_util_set_object_arg (G_OBJECT (e), "resize-mode", "center-crop");
  g_object_set (e, "model", MODEL ("color.onnx"), "labels", "/tmp/labels.txt",
      "top-k", 7, "threshold", 0.25, "mean", "0.485, 0.456,0.406", "std",
      "0.229,0.224,0.225", "value-range", "-1,1", "pad-value", 114, "threads", 3,
      "post-messages", TRUE, NULL);
  g_object_get (e, "model", &model, "labels", &labels, "top-k", &top_k, "threshold",
      &threshold, "output", &output, "mean", &mean, "std", &std, "value-range", &range,
      "color-order", &order, "resize-mode", &resize, "pad-value", &pad, "threads",
      &threads, "post-messages", &post, NULL);
  fail_unless_equals_string (model, MODEL ("color.onnx"));
  fail_unless_equals_string (labels, "/tmp/labels.txt");
  fail_unless_equals_int (top_k, 7);
  fail_unless_equals_float (threshold, 0.25);
  fail_unless_equals_int (output, 3);
  fail_unless_equals_string (mean, "0.485,0.456,0.406");
  fail_unless_equals_string (std, "0.229,0.224,0.225");
  fail_unless_equals_string (range, "-1,1");
  fail_unless_equals_int (order, 1);
  fail_unless_equals_int (resize, 1);
  fail_unless_equals_int (pad, 114);
  fail_unless_equals_int (threads, 3);
  fail_unless (post);
  g_free (model);
  g_free (labels);
  g_free (mean);
  g_free (std);
  g_free (range);

  /* Invalid lists are refused and the previous value kept. */
  g_object_set (e, "mean", "0.1,0.2", "std", "0", "value-range", "1,1", NULL);
  g_object_set (e, "mean", "a,b,c", "std", "1,-1,1", "value-range", "0", NULL);
  g_object_get (e, "mean", &mean, "std", &std, "value-range", &range, NULL);
  fail_unless_equals_string (mean, "0.485,0.456,0.406");
  fail_unless_equals_string (std, "0.229,0.224,0.225");
  fail_unless_equals_string (range, "-1,1");
  g_free (mean);
  g_free (std);
  g_free (range);

  /* One value stays one value; an empty string unsets. */
  g_object_set (e, "mean", "0.5", "std", "", NULL);
  g_object_get (e, "mean", &mean, "std", &std, NULL);
  fail_unless_equals_string (mean, "0.5");
  fail_unless (std == NULL);
  g_free (mean);

  /* model-name appears once the model is loaded. A model set while running is loaded in
   * the background and swapped in at the next frame (test-live.c); the property says
   * what was asked for at once. */
  g_object_set (e, "labels", NULL, NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_SUCCESS);
  g_object_get (e, "model-name", &name, NULL);
  fail_unless_equals_string (name, "colour-test");
  g_free (name);
  g_object_set (e, "model", MODEL ("luma.onnx"), NULL);
  g_object_get (e, "model", &model, NULL);
  fail_unless_equals_string (model, MODEL ("luma.onnx"));
  g_free (model);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (e);
}

GST_END_TEST;

/* ---- errors ------------------------------------------------------------------------ */

/* Going to PAUSED must fail with an error whose message contains @needle. */
static void
expect_start_error (const gchar * model, const gchar * labels, GQuark domain, gint code,
    const gchar * needle, const gchar * needle2)
{
  GstElement *e = gst_element_factory_make ("cnnclassify", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;

  gst_element_set_bus (e, bus);
  g_object_set (e, "model", model, "labels", labels, NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message for %s", model ? model : "(no model)");
  gst_message_parse_error (msg, &err, &debug);
  GST_INFO ("%s: %s (%s)", model, err->message, debug);
  fail_unless (err->domain == domain && err->code == code, "%s: unexpected %s %d: %s",
      model, g_quark_to_string (err->domain), err->code, err->message);
  if (needle != NULL)
    fail_unless (strstr (err->message, needle) != NULL, "\"%s\" not in \"%s\"", needle,
        err->message);
  if (needle2 != NULL)
    fail_unless (strstr (err->message, needle2) != NULL, "\"%s\" not in \"%s\"", needle2,
        err->message);
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (e);
  gst_object_unref (bus);
}

GST_START_TEST (test_error_no_model)
{
  expect_start_error (NULL, NULL, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "model", NULL);
}

GST_END_TEST;

GST_START_TEST (test_error_missing_file)
{
  expect_start_error (MODEL ("does-not-exist.onnx"), NULL, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_FOUND, MODEL ("does-not-exist.onnx"), NULL);
}

GST_END_TEST;

GST_START_TEST (test_error_corrupt_file)
{
  expect_start_error (MODEL ("corrupt.onnx"), NULL, GST_LIBRARY_ERROR,
      GST_LIBRARY_ERROR_SETTINGS, MODEL ("corrupt.onnx"), NULL);
}

GST_END_TEST;

GST_START_TEST (test_error_not_an_image)
{
  expect_start_error (MODEL ("bad-input-rank2.onnx"), NULL, GST_LIBRARY_ERROR,
      GST_LIBRARY_ERROR_SETTINGS, MODEL ("bad-input-rank2.onnx"), "[1,48]");
}

GST_END_TEST;

GST_START_TEST (test_error_not_a_class_vector)
{
  expect_start_error (MODEL ("bad-output-featuremap.onnx"), NULL, GST_LIBRARY_ERROR,
      GST_LIBRARY_ERROR_SETTINGS, MODEL ("bad-output-featuremap.onnx"), "[1,3,8,8]");
}

GST_END_TEST;

GST_START_TEST (test_error_missing_labels)
{
  expect_start_error (MODEL ("color.onnx"), MODEL ("no-such-labels.txt"),
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND, MODEL ("no-such-labels.txt"), NULL);
}

GST_END_TEST;

static Suite *
cnnclassify_suite (void)
{
  Suite *s = suite_create ("cnnclassify");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_formats_solid);
  tcase_add_test (tc, test_formats_pattern);
  tcase_add_test (tc, test_colorimetry);
  tcase_add_test (tc, test_strides_and_offsets);
  tcase_add_test (tc, test_meta_contents);
  tcase_add_test (tc, test_top_k_and_threshold);
  tcase_add_test (tc, test_output_activation);
  tcase_add_test (tc, test_messages);
  tcase_add_test (tc, test_resize_modes);
  tcase_add_test (tc, test_color_order);
  tcase_add_test (tc, test_normalisation);
  tcase_add_test (tc, test_metadata_defaults);
  tcase_add_test (tc, test_luma_model);
  tcase_add_test (tc, test_dynamic_input);
  tcase_add_test (tc, test_renegotiation);
  tcase_add_test (tc, test_threads);
  tcase_add_test (tc, test_labels_file);
  tcase_add_test (tc, test_labels_numbers);
  tcase_add_test (tc, test_labels_mismatch);
  tcase_add_test (tc, test_bad_metadata);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_error_no_model);
  tcase_add_test (tc, test_error_missing_file);
  tcase_add_test (tc, test_error_corrupt_file);
  tcase_add_test (tc, test_error_not_an_image);
  tcase_add_test (tc, test_error_not_a_class_vector);
  tcase_add_test (tc, test_error_missing_labels);
  return s;
}

GST_CHECK_MAIN (cnnclassify);
