/* preprocess-reference.c — the plain per-pixel version of gst_cnn_preprocess_run().
 *
 * Recomputes every source position from the configured geometry, samples each
 * component through the frame's own strides, converts and normalises with the
 * parameters as the user gave them (no folded constants, no tables, no row buffers).
 * Slow on purpose: it exists so that tests can check the fast path against it.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "preprocess.h"

/* Bilinear sample of component @k at full-resolution position (@sx, @sy), the centre of
 * source pixel i being i + 0.5. */
static gdouble
sample (const GstVideoFrame * frame, gint k, gdouble sx, gdouble sy)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  const guint8 *data = GST_VIDEO_FRAME_COMP_DATA (frame, k);
  gint stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, k);
  gint pstride = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, k);
  gint w = GST_VIDEO_FRAME_COMP_WIDTH (frame, k);
  gint h = GST_VIDEO_FRAME_COMP_HEIGHT (frame, k);
  gdouble px = sx / (1 << GST_VIDEO_FORMAT_INFO_W_SUB (finfo, k)) - 0.5;
  gdouble py = sy / (1 << GST_VIDEO_FORMAT_INFO_H_SUB (finfo, k)) - 0.5;
  gint x0, y0, x1, y1;
  gdouble fx, fy, top, bottom;

  px = CLAMP (px, 0.0, (gdouble) (w - 1));
  py = CLAMP (py, 0.0, (gdouble) (h - 1));
  x0 = (gint) px;
  y0 = (gint) py;
  x1 = MIN (x0 + 1, w - 1);
  y1 = MIN (y0 + 1, h - 1);
  fx = px - x0;
  fy = py - y0;

#define PIXEL(x, y) ((gdouble) data[(gsize) (y) * stride + (gsize) (x) * pstride])
  top = PIXEL (x0, y0) * (1.0 - fx) + PIXEL (x1, y0) * fx;
  bottom = PIXEL (x0, y1) * (1.0 - fx) + PIXEL (x1, y1) * fx;
#undef PIXEL
  return top * (1.0 - fy) + bottom * fy;
}

/* R, G, B in 0..255 at one position. */
static void
sample_rgb (const GstCnnPreprocess * pre, const GstVideoFrame * frame, gdouble sx,
    gdouble sy, gdouble rgb[3])
{
  gint k;

  switch (pre->kind) {
    case GST_CNN_SOURCE_RGB:
      for (k = 0; k < 3; k++)
        rgb[k] = sample (frame, k, sx, sy);
      break;
    case GST_CNN_SOURCE_GRAY:
      rgb[0] = rgb[1] = rgb[2] = sample (frame, 0, sx, sy);
      break;
    case GST_CNN_SOURCE_YUV:{
      gdouble y = (sample (frame, 0, sx, sy) - pre->yuv_y_off) * pre->yuv_y_scale;
      gdouble u = (sample (frame, 1, sx, sy) - 128.0) * pre->yuv_c_scale;
      gdouble v = (sample (frame, 2, sx, sy) - 128.0) * pre->yuv_c_scale;

      rgb[0] = CLAMP (y + pre->yuv_rv * v, 0.0, 255.0);
      rgb[1] = CLAMP (y - pre->yuv_gu * u - pre->yuv_gv * v, 0.0, 255.0);
      rgb[2] = CLAMP (y + pre->yuv_bu * u, 0.0, 255.0);
      break;
    }
  }
}

/* The tensor value of channel @c for a pixel value in 0..255. */
static gfloat
normalise (const GstCnnPreprocessParams * p, gint c, gdouble pixel)
{
  gdouble ranged = pixel / 255.0 * (p->range_hi - p->range_lo) + p->range_lo;

  return (gfloat) ((ranged - p->mean[c]) / p->std[c]);
}

void
gst_cnn_preprocess_run_reference (const GstCnnPreprocess * pre,
    const GstVideoFrame * frame, gfloat * tensor)
{
  const GstCnnPreprocessParams *p = &pre->params;
  const gint dst_w = pre->dst_x1 - pre->dst_x0, dst_h = pre->dst_y1 - pre->dst_y0;
  gint c, x, y;

  g_return_if_fail (pre->configured);

  for (y = 0; y < pre->height; y++) {
    for (x = 0; x < pre->width; x++) {
      gsize at = (gsize) y * pre->width + x;
      gdouble rgb[3];

      if (x < pre->dst_x0 || x >= pre->dst_x1 || y < pre->dst_y0 || y >= pre->dst_y1) {
        for (c = 0; c < pre->channels; c++)
          tensor[c * (gsize) pre->width * pre->height + at] =
              normalise (p, c, p->pad_value);
        continue;
      }

      sample_rgb (pre, frame,
          pre->src_x0 + (x - pre->dst_x0 + 0.5) * pre->src_w / dst_w,
          pre->src_y0 + (y - pre->dst_y0 + 0.5) * pre->src_h / dst_h, rgb);

      for (c = 0; c < pre->channels; c++) {
        gdouble value;

        if (pre->kind == GST_CNN_SOURCE_GRAY)
          value = rgb[0];
        else if (pre->channels == 1 || p->color_order == GST_CNN_COLOR_ORDER_GRAY)
          value = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
        else if (p->color_order == GST_CNN_COLOR_ORDER_BGR)
          value = rgb[2 - c];
        else
          value = rgb[c];
        tensor[c * (gsize) pre->width * pre->height + at] = normalise (p, c, value);
      }
    }
  }
}
