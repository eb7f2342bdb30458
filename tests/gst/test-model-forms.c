/* test-model-forms.c — cnnclassify with models we did not make: each form of input or
 * output the element accepts is run against a twin that computes the same thing in the form
 * the element always knew, on the same frames, and must give the same top-1 and confidences
 * (within 1e-4). Models: make-test-models.py.
 *
 *   opset-6 classic (legacy broadcast, Gemm's broadcast)   vs its opset-13 twin
 *   NHWC input [1, H, W, 3] (Transpose inside)             vs the NCHW color.onnx
 *   uint8 input fed raw 0-255 (Cast and scale inside)       vs color.onnx
 *   three outputs, default and output-name=probs           vs color.onnx, color-softmax.onnx
 *   dynamic H/W at input-size=32x24, and with cnn.input_size metadata
 *                                                           vs a fixed [1, 3, 24, 32] twin
 *   letterbox-top-left                                      vs where the picture must be
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
#define TOLERANCE 1e-4

/* Confidence per class id (the model's six colour classes); top is the top-1 id. */
typedef struct
{
  gint top;
  gfloat conf[6];
} Scores;

/* An RGB frame: solid @rgb, or (rgb == NULL) a pattern of red, green, blue bands and a
 * gray corner, so every class gets a different score. */
static GstBuffer *
make_frame (gint w, gint h, const guint8 * rgb, GstVideoInfo * info)
{
  GstVideoFrame frame;
  GstBuffer *buf;
  gint x, y;

  gst_video_info_set_format (info, GST_VIDEO_FORMAT_RGB, w, h);
  buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  gst_buffer_memset (buf, 0, 0, info->size);
  fail_unless (gst_video_frame_map (&frame, info, buf, GST_MAP_WRITE));
  for (y = 0; y < h; y++) {
    guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);

    for (x = 0; x < w; x++) {
      guint8 *p = row + 3 * x;

      if (rgb != NULL) {
        memcpy (p, rgb, 3);
      } else if (x > 3 * w / 4 && y > 3 * h / 4) {
        p[0] = p[1] = p[2] = 128;
      } else {
        p[0] = x < w / 2 ? 230 : 20;
        p[1] = y < h / 3 ? 200 : 40;
        p[2] = (x + y) % 7 < 3 ? 180 : 10;
      }
    }
  }
  gst_video_frame_unmap (&frame);
  return buf;
}

static GstElement *
element_new (const gchar * model, const gchar * props, GstBus * bus)
{
  gchar *desc = g_strdup_printf ("cnnclassify model=\"%s\" top-k=6 %s", model,
      props ? props : "");
  GError *error = NULL;
  GstElement *e = gst_parse_launch (desc, &error);

  fail_unless (e != NULL && error == NULL, "%s: %s", desc, error ? error->message : "?");
  g_free (desc);
  if (bus != NULL)
    gst_element_set_bus (e, bus);
  return e;
}

/* Pushes a frame (w × h, solid @rgb or the pattern) in its own caps; its scores. With
 * async-inference the result comes on a later buffer: the same frame is pushed again until
 * one carries it (bounded: a test that never gets a result fails). */
static Scores
classify_in (GstHarness * harness, const gchar * model, gint w, gint h, const guint8 * rgb)
{
  GstCnnClassificationMeta *meta = NULL;
  GstVideoInfo info;
  GstBuffer *out = NULL;
  Scores s;
  guint i, tries;

  memset (&s, 0, sizeof (s));
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, w, h);
  gst_harness_set_src_caps (harness, gst_video_info_to_caps (&info));
  for (tries = 0; meta == NULL && tries < 5000; tries++) {
    if (out != NULL) {
      gst_buffer_unref (out);
      g_usleep (1000);
    }
    fail_unless_equals_int (gst_harness_push (harness, make_frame (w, h, rgb, &info)),
        GST_FLOW_OK);
    out = gst_harness_pull (harness);
    fail_unless (out != NULL);
    meta = gst_buffer_get_cnn_classification_meta (out);
  }
  fail_unless (meta != NULL && meta->n_entries == 6, "%s: no meta of 6 entries", model);
  s.top = meta->entries[0].class_id;
  for (i = 0; i < meta->n_entries; i++) {
    fail_unless (meta->entries[i].class_id < 6);
    s.conf[meta->entries[i].class_id] = meta->entries[i].confidence;
  }
  gst_buffer_unref (out);
  return s;
}

/* Classifies one frame with a new element for @model and @props. */
static Scores
classify_with (const gchar * model, const gchar * props, gint w, gint h, const guint8 * rgb,
    GstBus * bus)
{
  GstElement *e = element_new (model, props, bus);
  GstHarness *harness = gst_harness_new_with_element (e, "sink", "src");
  Scores s = classify_in (harness, model, w, h, rgb);

  if (bus != NULL)
    gst_element_set_bus (e, NULL);
  gst_object_unref (e);
  gst_harness_teardown (harness);
  return s;
}

static void
assert_same (const Scores * want, const Scores * got, const gchar * what)
{
  gint c;

  fail_unless (got->top == want->top, "%s: top-1 %d, twin's %d", what, got->top, want->top);
  for (c = 0; c < 6; c++)
    fail_unless (fabs (got->conf[c] - want->conf[c]) <= TOLERANCE,
        "%s: class %d confidence %f, twin's %f", what, c, got->conf[c], want->conf[c]);
}

static const guint8 RED[3] = { 255, 0, 0 }, BLUE[3] = { 0, 0, 255 };

/* The twins on a solid red, a solid blue and a patterned frame of odd size. */
static void
assert_twins (const gchar * model, const gchar * props, const gchar * twin,
    const gchar * twin_props)
{
  const guint8 *frames[] = { RED, BLUE, NULL };
  guint f;

  for (f = 0; f < G_N_ELEMENTS (frames); f++) {
    Scores a = classify_with (twin, twin_props, 37, 29, frames[f], NULL);
    Scores b = classify_with (model, props, 37, 29, frames[f], NULL);
    assert_same (&a, &b, model);
  }
}

/* Pops the bus's warnings; whether one contains @needle. */
static gboolean
bus_has_warning (GstBus * bus, const gchar * needle)
{
  GstMessage *msg;
  gboolean found = FALSE;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING)) != NULL) {
    GError *err = NULL;

    gst_message_parse_warning (msg, &err, NULL);
    if (strstr (err->message, needle) != NULL)
      found = TRUE;
    g_error_free (err);
    gst_message_unref (msg);
  }
  return found;
}

GST_START_TEST (test_opset6_twin)
{
  assert_twins (MODEL ("color-opset6.onnx"), NULL, MODEL ("color-opset13.onnx"), NULL);
}

GST_END_TEST;

GST_START_TEST (test_nhwc_twin)
{
  assert_twins (MODEL ("color-nhwc.onnx"), NULL, MODEL ("color.onnx"), NULL);
}

GST_END_TEST;

GST_START_TEST (test_uint8_twin)
{
  /* Frames the scaler does not resample (solid, or 16x16 into 16x16): the bytes are the
   * pixels exactly. value-range, mean and std do not apply to raw-pixel models. */
  const guint8 *frames[] = { RED, BLUE, NULL };
  guint f;

  for (f = 0; f < G_N_ELEMENTS (frames); f++) {
    gint size = frames[f] == NULL ? 16 : 37;
    Scores a = classify_with (MODEL ("color.onnx"), NULL, size, size, frames[f], NULL);
    Scores b = classify_with (MODEL ("color-uint8.onnx"), NULL, size, size, frames[f], NULL);
    Scores c = classify_with (MODEL ("color-uint8.onnx"), "mean=0.5 std=0.25 value-range=-1,1",
        size, size, frames[f], NULL);
    assert_same (&a, &b, "uint8");
    assert_same (&a, &c, "uint8 with normalisation properties");
  }
}

GST_END_TEST;

GST_START_TEST (test_outputs)
{
  /* Default: the first class vector, "logits" (not the feature map before it). */
  assert_twins (MODEL ("color-outputs.onnx"), NULL, MODEL ("color.onnx"), NULL);
  assert_twins (MODEL ("color-outputs.onnx"), "output-name=probs",
      MODEL ("color-softmax.onnx"), NULL);
}

GST_END_TEST;

/* A frame 4x wider than high, letterboxed with white borders: how much border the tensor
 * gets depends on the input size, so a wrong size shows in the scores. */
#define WIDE_PROPS "resize-mode=letterbox pad-value=255"

GST_START_TEST (test_dynamic_input_size)
{
  GstBus *bus = gst_bus_new ();
  Scores fixed, sized, from_md, fallback;

  fixed = classify_with (MODEL ("color-32x24.onnx"), WIDE_PROPS, 64, 16, RED, NULL);
  sized = classify_with (MODEL ("color-dynamic.onnx"), WIDE_PROPS " input-size=32x24", 64, 16,
      RED, bus);
  assert_same (&fixed, &sized, "input-size=32x24");
  fail_if (bus_has_warning (bus, "input-size"), "warned although input-size was set");

  from_md = classify_with (MODEL ("color-dynamic-sized.onnx"), WIDE_PROPS, 64, 16, RED, bus);
  assert_same (&fixed, &from_md, "cnn.input_size metadata 32x24");
  fail_if (bus_has_warning (bus, "input-size"), "warned although the metadata gave a size");

  /* Neither: 224x224 and a warning naming the property. */
  fallback = classify_with (MODEL ("color-dynamic.onnx"), WIDE_PROPS, 64, 16, RED, bus);
  fail_unless (bus_has_warning (bus, "\"input-size\""), "no warning naming input-size");
  fail_unless (fabs (fallback.conf[0] - fixed.conf[0]) > 1e-3,
      "224x224 and 32x24 letterbox alike (%f, %f): the size did not matter",
      fallback.conf[0], fixed.conf[0]);

  /* A fixed-size model warns that input-size does not apply, and runs as before. */
  sized = classify_with (MODEL ("color-32x24.onnx"), WIDE_PROPS " input-size=100x100", 64, 16,
      RED, bus);
  assert_same (&fixed, &sized, "fixed model with input-size");
  fail_unless (bus_has_warning (bus, "ignoring input-size"));

  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

GST_END_TEST;

GST_START_TEST (test_keep_aspect_ratio)
{
  /* Height 16 kept, width following the frame up to 64. Letterboxed with white borders, a
   * red frame classifies as pure red only if the tensor has the frame's aspect ratio. */
  const gchar *props = "input-size=64x16 keep-aspect-ratio=true " WIDE_PROPS;
  GstElement *e = element_new (MODEL ("color-dynamic.onnx"), props, NULL);
  GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
  Scores got, want, padded;

  /* 32x16: width 32, as the fixed [1, 3, 16, 32] twin. */
  got = classify_in (h, "keep-aspect 32x16", 32, 16, RED);
  want = classify_with (MODEL ("color-32x16.onnx"), WIDE_PROPS, 32, 16, RED, NULL);
  assert_same (&want, &got, "keep-aspect-ratio, 32x16 frame");
  padded = classify_with (MODEL ("color-dynamic.onnx"), "input-size=64x16 " WIDE_PROPS, 32, 16,
      RED, NULL);
  fail_unless (fabs (padded.conf[0] - got.conf[0]) > 1e-3, "64x16 letterbox alike");

  /* Caps change to 128x16: re-prepared, width capped at 64. Then 16x16: width 16. */
  got = classify_in (h, "keep-aspect 128x16", 128, 16, RED);
  want = classify_with (MODEL ("color-dynamic.onnx"), "input-size=64x16 " WIDE_PROPS, 128, 16,
      RED, NULL);
  assert_same (&want, &got, "keep-aspect-ratio, 128x16 frame");
  got = classify_in (h, "keep-aspect 16x16", 16, 16, NULL);
  want = classify_with (MODEL ("color-dynamic.onnx"), "input-size=16x16 " WIDE_PROPS, 16, 16,
      NULL, NULL);
  assert_same (&want, &got, "keep-aspect-ratio, 16x16 frame");

  gst_object_unref (e);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The async worker feeds the model through the same input forms: NHWC, uint8, a chosen
 * output, and keep-aspect-ratio's new widths on caps changes (the worker restarts). */
GST_START_TEST (test_async_forms)
{
  const gchar *wide = "input-size=64x16 keep-aspect-ratio=true async-inference=true "
      WIDE_PROPS;
  GstElement *e = element_new (MODEL ("color-dynamic.onnx"), wide, NULL);
  GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
  Scores got, want;

  assert_twins (MODEL ("color-nhwc.onnx"), "async-inference=true", MODEL ("color.onnx"), NULL);
  assert_twins (MODEL ("color-uint8.onnx"), "async-inference=true",
      MODEL ("color-uint8.onnx"), NULL);
  assert_twins (MODEL ("color-outputs.onnx"), "output-name=probs async-inference=true",
      MODEL ("color-softmax.onnx"), NULL);

  got = classify_in (h, "async keep-aspect 32x16", 32, 16, RED);
  want = classify_with (MODEL ("color-32x16.onnx"), WIDE_PROPS, 32, 16, RED, NULL);
  assert_same (&want, &got, "async keep-aspect-ratio, 32x16 frame");
  got = classify_in (h, "async keep-aspect 16x16", 16, 16, NULL);
  want = classify_with (MODEL ("color-dynamic.onnx"), "input-size=16x16 " WIDE_PROPS, 16, 16,
      NULL, NULL);
  assert_same (&want, &got, "async keep-aspect-ratio, 16x16 frame");

  gst_object_unref (e);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A model swapped in while running gets the element's settings: a dynamic model runs at
 * the input-size set on the element, without the fallback warning. */
GST_START_TEST (test_swap_keeps_settings)
{
  GstBus *bus = gst_bus_new ();
  GstElement *e = element_new (MODEL ("color.onnx"), WIDE_PROPS " input-size=32x24", bus);
  GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
  Scores want = classify_with (MODEL ("color-32x24.onnx"), WIDE_PROPS, 64, 16, RED, NULL);
  Scores got;
  gchar *name = NULL;
  guint tries;

  classify_in (h, "before the swap", 64, 16, RED);
  bus_has_warning (bus, "");    /* drop "ignoring input-size" from the fixed-size model */
  g_object_set (e, "model", MODEL ("color-dynamic.onnx"), NULL);
  for (tries = 0; tries < 5000; tries++) {
    got = classify_in (h, "swapping", 64, 16, RED);
    g_free (name);
    g_object_get (e, "model-name", &name, NULL);
    if (strstr (name, "color-dynamic") != NULL)
      break;
    g_usleep (1000);
  }
  fail_unless (strstr (name, "color-dynamic") != NULL, "not swapped: %s", name);
  got = classify_in (h, "after the swap", 64, 16, RED);
  assert_same (&want, &got, "swapped-in dynamic model at input-size=32x24");
  fail_if (bus_has_warning (bus, "\"input-size\""), "swapped-in model ignored input-size");

  g_free (name);
  gst_element_set_bus (e, NULL);
  gst_object_unref (e);
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

GST_END_TEST;

GST_START_TEST (test_letterbox_top_left)
{
  /* The model scores only the tensor's top half. A 64x16 red frame letterboxed into 16x16
   * covers rows 0-3 at the top-left (half of the top half red) but rows 6-9 centred (a
   * quarter): red must score higher top-left. */
  Scores top_left = classify_with (MODEL ("color-top-half.onnx"),
      "resize-mode=letterbox-top-left pad-value=0", 64, 16, RED, NULL);
  Scores centred = classify_with (MODEL ("color-top-half.onnx"),
      "resize-mode=letterbox pad-value=0", 64, 16, RED, NULL);

  fail_unless_equals_int (top_left.top, 0);
  fail_unless (top_left.conf[0] > centred.conf[0] + 0.05, "red %f top-left, %f centred",
      top_left.conf[0], centred.conf[0]);
}

GST_END_TEST;

static void
expect_start_error (const gchar * model, const gchar * props, const gchar * needle,
    const gchar * needle2)
{
  GstBus *bus = gst_bus_new ();
  GstElement *e = element_new (model, props, bus);
  GstMessage *msg;
  GError *err = NULL;

  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error for %s %s", model, props);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, needle) != NULL, "\"%s\" not in \"%s\"", needle,
      err->message);
  fail_unless (strstr (err->message, needle2) != NULL, "\"%s\" not in \"%s\"", needle2,
      err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (e);
  gst_object_unref (bus);
}

GST_START_TEST (test_errors)
{
  /* Not an image: the message names the shape and what the element accepts. */
  expect_start_error (MODEL ("bad-input-rank2.onnx"), NULL, "[1,48]", "[1, H, W, C]");
  /* output-name: a missing name lists the outputs; a feature map is not a class vector. */
  expect_start_error (MODEL ("color-outputs.onnx"), "output-name=nope", "no output named",
      "\"probs\" float32 [1,6]");
  expect_start_error (MODEL ("color-outputs.onnx"), "output-name=features", "\"features\"",
      "class vector");
}

GST_END_TEST;

GST_START_TEST (test_input_size_property)
{
  GstElement *e = gst_element_factory_make ("cnnclassify", NULL);
  gchar *v = NULL;

  g_object_set (e, "input-size", "320x48", NULL);
  g_object_get (e, "input-size", &v, NULL);
  fail_unless_equals_string (v, "320x48");
  g_free (v);
  /* Invalid strings are refused with a warning; the previous value stays. */
  g_object_set (e, "input-size", "320", NULL);
  g_object_set (e, "input-size", "0x48", NULL);
  g_object_set (e, "input-size", "32x48junk", NULL);
  g_object_get (e, "input-size", &v, NULL);
  fail_unless_equals_string (v, "320x48");
  g_free (v);
  g_object_set (e, "input-size", NULL, NULL);
  g_object_get (e, "input-size", &v, NULL);
  fail_unless (v == NULL);
  gst_object_unref (e);
}

GST_END_TEST;

static Suite *
model_forms_suite (void)
{
  Suite *s = suite_create ("cnnclassify-model-forms");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_opset6_twin);
  tcase_add_test (tc, test_nhwc_twin);
  tcase_add_test (tc, test_uint8_twin);
  tcase_add_test (tc, test_outputs);
  tcase_add_test (tc, test_dynamic_input_size);
  tcase_add_test (tc, test_keep_aspect_ratio);
  tcase_add_test (tc, test_async_forms);
  tcase_add_test (tc, test_swap_keeps_settings);
  tcase_add_test (tc, test_letterbox_top_left);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_input_size_property);
  return s;
}

GST_CHECK_MAIN (model_forms);
