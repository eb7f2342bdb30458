/* test-preprocess.c — the per-frame preprocessing path against the plain reference.
 *
 * gst_cnn_preprocess_run() samples through tables, loads both taps of a component with
 * one wide load and folds the normalisation into one multiply-add; the reference
 * recomputes every source position and applies the parameters as given. Over every
 * supported format, odd and tiny frame sizes, tensor shapes, resize modes, colour orders,
 * normalisations and YUV colorimetries, the tensors must agree to 1e-4 (relative for large
 * values).
 *
 * Frames have random pixels, tight strides and end exactly at a page boundary followed by
 * an inaccessible page: a load that reads past the last pixel of the last line crashes.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include "preprocess.h"

#define TOLERANCE 1e-4

static const GstVideoFormat FORMATS[] = {
  GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBx,
  GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR,
  GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_ARGB,
  GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_GRAY8, GST_VIDEO_FORMAT_I420,
  GST_VIDEO_FORMAT_NV12,
};

static const gint FRAME_SIZES[][2] = {
  {1, 1}, {2, 1}, {1, 2}, {3, 3}, {7, 5}, {321, 241}, {1280, 720},
};

/* channels, height, width */
static const gint TENSORS[][3] = {
  {3, 224, 224}, {1, 28, 28}, {3, 5, 7}, {3, 1, 1},
};

static const GstCnnPreprocessParams PARAMS[] = {
  {GST_CNN_COLOR_ORDER_RGB, GST_CNN_RESIZE_MODE_STRETCH, 0, 0.0f, 1.0f,
      {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}},
  {GST_CNN_COLOR_ORDER_BGR, GST_CNN_RESIZE_MODE_LETTERBOX, 114, -1.0f, 1.0f,
      {0.0f, 0.1f, -0.2f}, {1.0f, 0.5f, 2.0f}},
  {GST_CNN_COLOR_ORDER_GRAY, GST_CNN_RESIZE_MODE_CENTER_CROP, 255, 0.0f, 255.0f,
      {0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f}},
  {GST_CNN_COLOR_ORDER_RGB, GST_CNN_RESIZE_MODE_LETTERBOX_TOP_LEFT, 200, 0.0f, 1.0f,
      {0.5f, 0.5f, 0.5f}, {0.25f, 0.25f, 0.25f}},
};

static const gchar *const COLORIMETRIES[] = { NULL, "bt709", "bt601", "1:4:0:0" };

static gsize page_size;

typedef struct
{
  guint8 *map;
  gsize map_size;
} GuardedMemory;

static void
guarded_free (gpointer data)
{
  GuardedMemory *g = data;

  munmap (g->map, g->map_size);
  g_free (g);
}

/* A @size-byte buffer whose last byte is the last one before a PROT_NONE page. */
static GstBuffer *
guarded_buffer_new (gsize size)
{
  gsize data_pages = (size + page_size - 1) / page_size;
  GuardedMemory *g = g_new (GuardedMemory, 1);
  guint8 *data;

  g->map_size = (data_pages + 1) * page_size;
  g->map = mmap (NULL, g->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
      -1, 0);
  fail_unless (g->map != MAP_FAILED);
  fail_unless (mprotect (g->map + data_pages * page_size, page_size, PROT_NONE) == 0);
  data = g->map + data_pages * page_size - size;
  return gst_buffer_new_wrapped_full (0, data, size, 0, size, g, guarded_free);
}

/* @info with planes packed back to back and lines exactly as long as their pixels. */
static void
set_tight_layout (GstVideoInfo * info)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  gsize offset = 0;
  guint p, k;

  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (info); p++) {
    for (k = 0; k < GST_VIDEO_INFO_N_COMPONENTS (info); k++)
      if (GST_VIDEO_FORMAT_INFO_PLANE (finfo, k) == p)
        break;
    info->stride[p] = GST_VIDEO_INFO_COMP_WIDTH (info, k) *
        GST_VIDEO_INFO_COMP_PSTRIDE (info, k);
    info->offset[p] = offset;
    offset += (gsize) info->stride[p] * GST_VIDEO_INFO_COMP_HEIGHT (info, k);
  }
  info->size = offset;
}

static GstBuffer *
random_frame (GstVideoInfo * info, GRand * rand)
{
  GstBuffer *buf;
  GstMapInfo map;
  gsize i;

  set_tight_layout (info);
  buf = guarded_buffer_new (info->size);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  for (i = 0; i < map.size; i++)
    map.data[i] = (guint8) g_rand_int_range (rand, 0, 256);
  gst_buffer_unmap (buf, &map);
  return buf;
}

static gdouble
compare (const gfloat * fast, const gfloat * ref, gsize n, gsize * worst)
{
  gdouble max_err = 0.0;
  gsize i;

  *worst = 0;
  for (i = 0; i < n; i++) {
    gdouble err = fabs ((gdouble) fast[i] - ref[i]) / MAX (1.0, fabs (ref[i]));

    if (!(err <= max_err)) {
      max_err = err;
      *worst = i;
    }
  }
  return max_err;
}

/* One frame through both paths; the combination under test is described in the failure. */
static void
check_case (GstVideoFormat format, gint w, gint h, const gint tensor_shape[3],
    const GstCnnPreprocessParams * params, const gchar * colorimetry, gint par_n,
    const GstVideoRectangle * rect, GRand * rand)
{
  const gint C = tensor_shape[0], H = tensor_shape[1], W = tensor_shape[2];
  gsize n = (gsize) C * H * W, worst;
  GstVideoInfo info;
  GstVideoFrame frame;
  GstCnnPreprocess pre;
  GstBuffer *buf;
  gfloat *fast = g_new (gfloat, n), *ref = g_new (gfloat, n);
  gdouble err;
  gsize i;

  gst_video_info_set_format (&info, format, w, h);
  info.par_n = par_n;
  info.par_d = 3;
  if (colorimetry != NULL && GST_VIDEO_FORMAT_INFO_IS_YUV (info.finfo))
    fail_unless (gst_video_colorimetry_from_string (&info.colorimetry, colorimetry));
  buf = random_frame (&info, rand);

  fail_unless (gst_cnn_preprocess_init (&pre, C, H, W));
  fail_unless (gst_cnn_preprocess_configure_rect (&pre, &info, params, rect));
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_READ));
  for (i = 0; i < n; i++)
    fast[i] = ref[i] = NAN;
  gst_cnn_preprocess_run (&pre, &frame, fast);
  gst_cnn_preprocess_run_reference (&pre, &frame, ref);
  gst_video_frame_unmap (&frame);

  err = compare (fast, ref, n, &worst);
  fail_unless (err <= TOLERANCE,
      "%s %dx%d (par %d/3, %s) rect %d,%d %dx%d -> %dx%dx%d, order %d, mode %d: tensor[%"
      G_GSIZE_FORMAT "] = %.6f, reference %.6f", gst_video_format_to_string (format), w, h,
      par_n, colorimetry ? colorimetry : "default", rect ? rect->x : 0, rect ? rect->y : 0,
      rect ? rect->w : w, rect ? rect->h : h, C, H, W, params->color_order,
      params->resize_mode, worst, fast[worst], ref[worst]);

  gst_cnn_preprocess_clear (&pre);
  gst_buffer_unref (buf);
  g_free (fast);
  g_free (ref);
}

/* Every format, frame size and tensor shape; the parameter sets, colorimetries and pixel
 * aspect ratios rotate through the combinations. */
GST_START_TEST (test_fast_matches_reference)
{
  GRand *rand = g_rand_new_with_seed (42);
  guint f, s, t, round = 0;

  for (f = 0; f < G_N_ELEMENTS (FORMATS); f++) {
    for (s = 0; s < G_N_ELEMENTS (FRAME_SIZES); s++) {
      for (t = 0; t < G_N_ELEMENTS (TENSORS); t++, round++) {
        check_case (FORMATS[f], FRAME_SIZES[s][0], FRAME_SIZES[s][1], TENSORS[t],
            &PARAMS[round % G_N_ELEMENTS (PARAMS)],
            COLORIMETRIES[(round / 3) % G_N_ELEMENTS (COLORIMETRIES)],
            (round % 5 == 4) ? 4 : 3, NULL, rand);
      }
    }
  }
  g_rand_free (rand);
}

GST_END_TEST;

/* Every parameter set with every resize mode and colour order, on the formats with the
 * most distinct code paths. */
GST_START_TEST (test_all_settings)
{
  static const GstVideoFormat formats[] = {
    GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_xBGR,
    GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_GRAY8,
  };
  static const gint tensor[3] = { 3, 24, 32 };
  GRand *rand = g_rand_new_with_seed (7);
  guint f, p, mode, order;

  for (f = 0; f < G_N_ELEMENTS (formats); f++)
    for (p = 0; p < G_N_ELEMENTS (PARAMS); p++)
      for (mode = 0; mode < 3; mode++)
        for (order = 0; order < 3; order++) {
          GstCnnPreprocessParams params = PARAMS[p];

          params.resize_mode = mode;
          params.color_order = order;
          check_case (formats[f], 61, 37, tensor, &params, "bt709", 3, NULL, rand);
        }
  g_rand_free (rand);
}

GST_END_TEST;

/* Regions of a frame (what cnnclassify's inference-region=roi-list crops): at the
 * corners, on the edges (the last line ends at the guard page), one pixel, odd
 * sizes; every format, every resize mode. */
GST_START_TEST (test_rects_match_reference)
{
  static const GstVideoRectangle rects[] = {
    {0, 0, 1, 1}, {60, 36, 1, 1}, {0, 0, 61, 37}, {13, 7, 20, 11}, {40, 20, 21, 17},
    {1, 1, 3, 35}, {0, 30, 61, 7}, {59, 0, 2, 37},
  };
  static const gint tensor[3] = { 3, 12, 10 };
  GRand *rand = g_rand_new_with_seed (11);
  guint f, r, round = 0;

  for (f = 0; f < G_N_ELEMENTS (FORMATS); f++)
    for (r = 0; r < G_N_ELEMENTS (rects); r++, round++) {
      GstCnnPreprocessParams params = PARAMS[round % G_N_ELEMENTS (PARAMS)];

      params.resize_mode = round % 3;
      check_case (FORMATS[f], 61, 37, tensor, &params, "bt601", 3, &rects[r], rand);
    }
  g_rand_free (rand);
}

GST_END_TEST;

/* Rectangles that are empty or reach outside the frame are refused, not clipped: the
 * element clips them first. */
GST_START_TEST (test_rects_refused)
{
  static const GstVideoRectangle bad[] = {
    {0, 0, 0, 5}, {0, 0, 5, 0}, {-1, 0, 5, 5}, {0, -1, 5, 5}, {60, 0, 2, 5},
    {0, 36, 5, 2}, {G_MAXINT, 0, 5, 5}, {0, 0, G_MAXINT, 5}, {1, 1, -4, 3},
  };
  GstCnnPreprocess pre;
  GstVideoInfo info;
  guint i;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 61, 37);
  fail_unless (gst_cnn_preprocess_init (&pre, 3, 8, 8));
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    fail_if (gst_cnn_preprocess_configure_rect (&pre, &info, &PARAMS[0], &bad[i]),
        "rect %u accepted", i);
  fail_unless (gst_cnn_preprocess_configure_rect (&pre, &info, &PARAMS[0],
          &(GstVideoRectangle) {60, 36, 1, 1}));
  gst_cnn_preprocess_clear (&pre);
}

GST_END_TEST;

/* A solid frame must give exactly the expected normalised value everywhere. */
GST_START_TEST (test_solid_values)
{
  static const gint tensor[3] = { 3, 224, 224 };
  const GstCnnPreprocessParams *params = &PARAMS[0];
  gsize n = 3 * 224 * 224, i;
  gfloat *out = g_new (gfloat, n);
  GstVideoInfo info;
  GstVideoFrame frame;
  GstCnnPreprocess pre;
  GstBuffer *buf;
  GstMapInfo map;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBx, 1280, 720);
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  for (i = 0; i < map.size; i += 4) {
    map.data[i] = 200;
    map.data[i + 1] = 100;
    map.data[i + 2] = 0;
  }
  gst_buffer_unmap (buf, &map);

  fail_unless (gst_cnn_preprocess_init (&pre, tensor[0], tensor[1], tensor[2]));
  fail_unless (gst_cnn_preprocess_configure (&pre, &info, params));
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_READ));
  gst_cnn_preprocess_run (&pre, &frame, out);
  gst_video_frame_unmap (&frame);
  for (i = 0; i < n; i++) {
    static const gfloat pixel[3] = { 200, 100, 0 };
    gint c = i / (224 * 224);
    gfloat expected = (pixel[c] / 255.0f - params->mean[c]) / params->std[c];

    fail_unless (fabsf (out[i] - expected) < 1e-5, "tensor[%" G_GSIZE_FORMAT "] = %f, "
        "expected %f", i, out[i], expected);
  }
  gst_cnn_preprocess_clear (&pre);
  gst_buffer_unref (buf);
  g_free (out);
}

GST_END_TEST;

static Suite *
preprocess_suite (void)
{
  Suite *s = suite_create ("preprocess");
  TCase *tc = tcase_create ("general");

  page_size = (gsize) sysconf (_SC_PAGESIZE);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_fast_matches_reference);
  tcase_add_test (tc, test_all_settings);
  tcase_add_test (tc, test_rects_match_reference);
  tcase_add_test (tc, test_rects_refused);
  tcase_add_test (tc, test_solid_values);
  return s;
}

GST_CHECK_MAIN (preprocess);
