/* test-frames.h — test pictures for the element tests: painted in RGB by a function,
 * then converted to the format under test with GstVideoConverter.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef TEST_FRAMES_H
#define TEST_FRAMES_H

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

/* Paints pixel (@x, @y) of a @w × @h picture: rgb[0..2]. */
typedef void (*FillFunc) (gint x, gint y, gint w, gint h, guint8 * rgb, gconstpointer data);

/* An RGB picture converted to @format, with GstVideoInfo's default layout and, unless
 * @colorimetry is given, default colorimetry. */
static inline GstBuffer *
make_frame_full (GstVideoFormat format, gint w, gint h, FillFunc fill, gconstpointer data,
    const gchar * colorimetry, GstVideoInfo * info)
{
  GstVideoInfo rgb_info;
  GstVideoFrame in, out;
  GstVideoConverter *conv;
  GstBuffer *rgb, *buf;
  gint x, y;

  gst_video_info_set_format (&rgb_info, GST_VIDEO_FORMAT_RGB, w, h);
  rgb = gst_buffer_new_allocate (NULL, rgb_info.size, NULL);
  gst_buffer_memset (rgb, 0, 0, rgb_info.size);        /* row padding too */
  fail_unless (gst_video_frame_map (&in, &rgb_info, rgb, GST_MAP_WRITE));
  for (y = 0; y < h; y++) {
    guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&in, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&in, 0);

    for (x = 0; x < w; x++)
      fill (x, y, w, h, row + 3 * x, data);
  }
  gst_video_frame_unmap (&in);

  if (format == GST_VIDEO_FORMAT_RGB) {
    *info = rgb_info;
    return rgb;
  }

  gst_video_info_set_format (info, format, w, h);
  if (colorimetry != NULL)
    fail_unless (gst_video_colorimetry_from_string (&info->colorimetry, colorimetry));
  buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  gst_buffer_memset (buf, 0, 0, info->size);
  conv = gst_video_converter_new (&rgb_info, info, NULL);
  fail_unless (conv != NULL);
  fail_unless (gst_video_frame_map (&in, &rgb_info, rgb, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&out, info, buf, GST_MAP_WRITE));
  gst_video_converter_frame (conv, &in, &out);
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&in);
  gst_video_converter_free (conv);
  gst_buffer_unref (rgb);
  return buf;
}

#endif /* TEST_FRAMES_H */
