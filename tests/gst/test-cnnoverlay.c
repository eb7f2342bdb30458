/* test-cnnoverlay.c — cnnoverlay draws where it should and nowhere else.
 *
 * A gray frame in every supported format carries a whole-frame classification with a
 * class activation map over its lower left part, and one classified region. After
 * cnnoverlay (blending, as with a sink that does not render overlay metas), the pixels of
 * the top-k panel's corner, of the region's outline and of its tag have changed, the
 * heatmap is where the map's one hot cell lies, and every other pixel is exactly what it
 * was. With a downstream
 * that renders GstVideoOverlayCompositionMeta (said in the allocation query or with the
 * caps feature), the pixels are untouched and the meta carries the drawing instead; with
 * the caps feature, in formats blending does not handle too.
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

static const GstVideoFormat FORMATS[] = {
  GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBx,
  GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR,
  GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_ARGB,
  GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_GRAY8, GST_VIDEO_FORMAT_I420,
  GST_VIDEO_FORMAT_NV12,
};

#define W 320
#define H 240

/* The region, and where its tag and the panel may go (generous: font metrics vary). */
static const GstVideoRectangle BOX = { 200, 120, 80, 60 };
static const GstVideoRectangle TAG_AREA = { 198, 80, 122, 42 };
static const GstVideoRectangle PANEL_AREA = { 0, 0, 200, 120 };

/* The map: 4x4 over x 0..160, y 132..240 of the frame (fractions 0, 0.55, 0.5, 0.45),
 * zero but for cell (row 1, column 2), whose centre is at 100, 172.5; cells are 40 x 27
 * pixels and bilinear sampling spreads the cell over one cell around its centre. */
#define MAP_HOT (1 * 4 + 2)
static const GstVideoRectangle HEAT_SUPPORT = { 60, 145, 80, 55 };

/* A gray frame with a whole-frame result (cat 90%, dog 10%) and region 5 classified as
 * "car 80%". */
static GstBuffer *
make_frame (GstVideoFormat format, GstVideoInfo * info)
{
  GstBuffer *buf;
  GstVideoFrame frame;
  GstVideoRegionOfInterestMeta *roi;
  GstCnnClassificationMeta *meta;
  guint k;
  gint y;

  gst_video_info_set_format (info, format, W, H);
  buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  gst_buffer_memset (buf, 0, 0, info->size);
  fail_unless (gst_video_frame_map (&frame, info, buf, GST_MAP_WRITE));
  /* Mid gray: 128 in every R, G, B, Y, U, V and alpha byte; padding bytes too. */
  for (k = 0; k < GST_VIDEO_FRAME_N_PLANES (&frame); k++)
    for (y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&frame, k == 0 ? 0 : 1); y++)
      memset ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, k) +
          (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, k), 128,
          GST_VIDEO_FRAME_PLANE_STRIDE (&frame, k));
  gst_video_frame_unmap (&frame);

  meta = gst_buffer_add_cnn_classification_meta (buf, "test", 1000);
  gst_cnn_classification_meta_add_entry (meta, 0, "cat", 0.9f);
  gst_cnn_classification_meta_add_entry (meta, 1, "dog", 0.1f);
  {
    gfloat map[16] = { 0 };

    map[MAP_HOT] = 3.0f;
    gst_cnn_classification_meta_set_activation_map (meta, 0, 4, 4, map, 0.0, 0.55, 0.5,
        0.45);
  }
  roi = gst_buffer_add_video_region_of_interest_meta (buf, "vehicle", BOX.x, BOX.y, BOX.w,
      BOX.h);
  roi->id = 5;
  meta = gst_buffer_add_cnn_classification_meta_full (buf, "test", 1000, 5);
  gst_cnn_classification_meta_add_entry (meta, 2, "car", 0.8f);
  return buf;
}

static gboolean
inside (const GstVideoRectangle * r, gint x, gint y, gint slack)
{
  return x >= r->x - slack && x < r->x + r->w + slack && y >= r->y - slack &&
      y < r->y + r->h + slack;
}

/* changed[y * W + x]: did any component sample covering full-resolution pixel (x, y)
 * change? Compared component by component, so subsampled chroma marks its whole block. */
static gboolean *
changed_pixels (GstBuffer * before, GstBuffer * after, const GstVideoInfo * info)
{
  gboolean *changed = g_new0 (gboolean, W * H);
  GstVideoFrame a, b;
  guint k;
  gint x, y;

  fail_unless (gst_video_frame_map (&a, info, before, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&b, info, after, GST_MAP_READ));
  for (k = 0; k < GST_VIDEO_FRAME_N_COMPONENTS (&a); k++) {
    gint ws = GST_VIDEO_FORMAT_INFO_W_SUB (info->finfo, k);
    gint hs = GST_VIDEO_FORMAT_INFO_H_SUB (info->finfo, k);
    gint ps = GST_VIDEO_FRAME_COMP_PSTRIDE (&a, k);

    for (y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&a, k); y++) {
      const guint8 *ra = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&a, k) +
          (gsize) y * GST_VIDEO_FRAME_COMP_STRIDE (&a, k);
      const guint8 *rb = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&b, k) +
          (gsize) y * GST_VIDEO_FRAME_COMP_STRIDE (&b, k);

      for (x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&a, k); x++) {
        gint dx, dy;

        if (ra[x * ps] == rb[x * ps])
          continue;
        for (dy = 0; dy < (1 << hs); dy++)
          for (dx = 0; dx < (1 << ws); dx++)
            if ((y << hs) + dy < H && (x << ws) + dx < W)
              changed[((y << hs) + dy) * W + (x << ws) + dx] = TRUE;
      }
    }
  }
  gst_video_frame_unmap (&b);
  gst_video_frame_unmap (&a);
  return changed;
}

GST_START_TEST (test_blend_every_format)
{
  guint f;

  for (f = 0; f < G_N_ELEMENTS (FORMATS); f++) {
    const gchar *name = gst_video_format_to_string (FORMATS[f]);
    GstHarness *h = gst_harness_new_parse ("cnnoverlay");
    GstVideoInfo info;
    GstBuffer *in = make_frame (FORMATS[f], &info), *before, *out;
    gboolean *changed;
    guint n_panel = 0, n_tag = 0, n_heat = 0, n_elsewhere = 0;
    gint x, y, lx = -1, ly = -1;

    before = gst_buffer_copy_deep (in);
    out = push_pull (h, &info, in);
    changed = changed_pixels (before, out, &info);
    for (y = 0; y < H; y++)
      for (x = 0; x < W; x++) {
        if (!changed[y * W + x])
          continue;
        /* Chroma blocks are 2x2: one pixel of slack around the drawn areas. */
        if (inside (&PANEL_AREA, x, y, 1))
          n_panel++;
        else if (inside (&TAG_AREA, x, y, 1))
          n_tag++;
        else if (inside (&HEAT_SUPPORT, x, y, 1))
          n_heat++;
        else if (!inside (&BOX, x, y, 1)) {
          n_elsewhere++;
          lx = x;
          ly = y;
        }
      }
    fail_unless (n_elsewhere == 0, "%s: %u pixels changed outside the drawn areas, "
        "e.g. %d,%d", name, n_elsewhere, lx, ly);
    fail_unless (n_panel > 200, "%s: top-k panel not drawn (%u pixels)", name, n_panel);
    fail_unless (n_tag > 100, "%s: region tag not drawn (%u pixels)", name, n_tag);
    fail_unless (n_heat > 500, "%s: heatmap not drawn (%u pixels)", name, n_heat);
    fail_unless (changed[172 * W + 100], "%s: the map's hot cell is not drawn", name);
    /* The box outline: its edges change, its inside does not. */
    fail_unless (changed[(BOX.y + BOX.h / 2) * W + BOX.x], "%s: left edge", name);
    fail_unless (changed[(BOX.y + BOX.h / 2) * W + BOX.x + BOX.w - 1], "%s: right edge",
        name);
    fail_unless (changed[(BOX.y + BOX.h - 1) * W + BOX.x + BOX.w / 2], "%s: bottom", name);
    for (y = BOX.y + 4; y < BOX.y + BOX.h - 4; y++)
      for (x = BOX.x + 4; x < BOX.x + BOX.w - 4; x++)
        fail_if (changed[y * W + x], "%s: inside of the box changed at %d,%d", name, x,
            y);
    /* Every GstCnnClassificationMeta is still there, and no composition meta. */
    fail_unless_equals_int (gst_buffer_get_n_cnn_classification_metas (out), 2);
    fail_unless (gst_buffer_get_video_overlay_composition_meta (out) == NULL);

    g_free (changed);
    gst_buffer_unref (before);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* corner= moves the panel; draw= leaves things out. */
GST_START_TEST (test_corner_and_draw)
{
  static const GstVideoRectangle bottom_right = { W - 200, H - 120, 200, 120 };
  GstHarness *h = gst_harness_new_parse ("cnnoverlay corner=bottom-right draw=top-k");
  GstVideoInfo info;
  GstBuffer *in = make_frame (GST_VIDEO_FORMAT_BGRx, &info), *before, *out;
  gboolean *changed;
  guint n_corner = 0, n_other = 0;
  gint x, y;

  before = gst_buffer_copy_deep (in);
  out = push_pull (h, &info, in);
  changed = changed_pixels (before, out, &info);
  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++)
      if (changed[y * W + x]) {
        if (inside (&bottom_right, x, y, 0))
          n_corner++;
        else
          n_other++;
      }
  fail_unless (n_corner > 200, "panel not in the bottom-right corner");
  fail_unless_equals_int (n_other, 0);
  /* draw=top-k: the region's box is not drawn. */
  fail_if (changed[(BOX.y + BOX.h / 2) * W + BOX.x], "the region's box was drawn");
  g_free (changed);
  gst_buffer_unref (before);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The overlay feature in the caps negotiated on @h's output. */
static gboolean
output_has_feature (GstHarness * h)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  gboolean has;

  fail_unless (caps != NULL);
  has = gst_caps_features_contains (gst_caps_get_features (caps, 0),
      GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION);
  gst_caps_unref (caps);
  return has;
}

/* Pushes a frame of @format through @h and checks what comes out: the negotiated caps
 * carry the overlay feature as @feature says, the pixels are those pushed, and a meta
 * carries the four rectangles instead. */
static void
push_expect_attached (GstHarness * h, GstVideoFormat format, gboolean feature)
{
  GstVideoInfo info;
  GstBuffer *in = make_frame (format, &info), *before = gst_buffer_copy_deep (in), *out;
  GstVideoOverlayCompositionMeta *cmeta;
  GstMapInfo a, b;

  out = push_pull (h, &info, in);
  fail_unless_equals_int (output_has_feature (h), feature);
  fail_unless (gst_buffer_map (before, &a, GST_MAP_READ));
  fail_unless (gst_buffer_map (out, &b, GST_MAP_READ));
  fail_unless (a.size == b.size && memcmp (a.data, b.data, a.size) == 0,
      "pixels changed although downstream renders the overlay");
  gst_buffer_unmap (out, &b);
  gst_buffer_unmap (before, &a);
  cmeta = gst_buffer_get_video_overlay_composition_meta (out);
  fail_unless (cmeta != NULL);
  /* The heatmap, the box, its tag and the panel. */
  fail_unless_equals_int (gst_video_overlay_composition_n_rectangles (cmeta->overlay), 4);
  gst_buffer_unref (before);
  gst_buffer_unref (out);
}

/* Downstream renders overlay metas: the drawing is attached, the pixels untouched. */
GST_START_TEST (test_attach_meta)
{
  GstHarness *h = gst_harness_new_parse ("cnnoverlay");

  gst_harness_add_propose_allocation_meta (h, GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE,
      NULL);
  push_expect_attached (h, GST_VIDEO_FORMAT_I420, FALSE);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Downstream asks for the overlay feature in its caps: it gets them, and the drawing as a
 * meta, with no allocation query answer needed. */
GST_START_TEST (test_attach_feature_caps)
{
  GstHarness *h = gst_harness_new_parse ("cnnoverlay");

  gst_harness_set_sink_caps_str (h, "video/x-raw(" GST_CAPS_FEATURE_MEMORY_SYSTEM_MEMORY ", "
      GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION ")");
  push_expect_attached (h, GST_VIDEO_FORMAT_NV12, TRUE);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A format blending cannot handle (10-bit P010) negotiates only with the feature, and
 * the drawing is attached; a downstream wanting it without the feature is refused. */
GST_START_TEST (test_attach_unblendable_format)
{
  GstHarness *h = gst_harness_new_parse ("cnnoverlay");
  GstVideoInfo info;

  push_expect_attached (h, GST_VIDEO_FORMAT_P010_10LE, TRUE);
  gst_harness_teardown (h);

  h = gst_harness_new_parse ("cnnoverlay");
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_P010_10LE, W, H);
  gst_harness_set_sink_caps (h, gst_video_info_to_caps (&info));
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  fail_unless_equals_int (gst_harness_push (h, make_frame (GST_VIDEO_FORMAT_P010_10LE,
              &info)), GST_FLOW_NOT_NEGOTIATED);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Downstream that takes anything (the harness's sink, like fakesink) gets plain caps:
 * blending, as before the feature existed. */
GST_START_TEST (test_plain_caps_preferred)
{
  GstHarness *h = gst_harness_new_parse ("cnnoverlay");
  GstVideoInfo info;
  GstBuffer *out = push_pull (h, &info, make_frame (GST_VIDEO_FORMAT_RGBA, &info));

  fail_if (output_has_feature (h));
  fail_unless (gst_buffer_get_video_overlay_composition_meta (out) == NULL);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A frame without results passes untouched. */
GST_START_TEST (test_nothing_to_draw)
{
  GstHarness *h = gst_harness_new_parse ("cnnoverlay");
  GstVideoInfo info;
  GstBuffer *in, *out;
  guint8 *bytes;
  gsize size;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_NV12, W, H);
  in = gst_buffer_new_allocate (NULL, info.size, NULL);
  gst_buffer_memset (in, 0, 77, info.size);
  size = gst_buffer_get_size (in);
  bytes = g_malloc (size);
  gst_buffer_extract (in, 0, bytes, size);
  out = push_pull (h, &info, in);
  fail_unless (gst_buffer_memcmp (out, 0, bytes, size) == 0);
  fail_unless (gst_buffer_get_video_overlay_composition_meta (out) == NULL);
  g_free (bytes);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
cnnoverlay_suite (void)
{
  Suite *s = suite_create ("cnnoverlay");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_blend_every_format);
  tcase_add_test (tc, test_corner_and_draw);
  tcase_add_test (tc, test_attach_meta);
  tcase_add_test (tc, test_attach_feature_caps);
  tcase_add_test (tc, test_attach_unblendable_format);
  tcase_add_test (tc, test_plain_caps_preferred);
  tcase_add_test (tc, test_nothing_to_draw);
  return s;
}

GST_CHECK_MAIN (cnnoverlay);
