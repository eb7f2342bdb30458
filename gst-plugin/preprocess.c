/* preprocess.c — video frame → float32 NCHW tensor in one pass.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "preprocess.h"

#include <math.h>

#define SELECT_LUMA 3

gboolean
gst_cnn_preprocess_init (GstCnnPreprocess * pre, gint channels, gint height, gint width)
{
  gsize per_set;
  guint8 *p;
  gint t;

  memset (pre, 0, sizeof (*pre));
  g_return_val_if_fail (channels == 1 || channels == 3, FALSE);
  g_return_val_if_fail (height > 0 && width > 0, FALSE);

  pre->channels = channels;
  pre->height = height;
  pre->width = width;

  /* gint and gfloat are both 4 bytes: three arrays per axis, two axes, two table sets,
   * then the row buffers. */
  G_STATIC_ASSERT (sizeof (gint) == sizeof (gfloat));
  per_set = 3 * ((gsize) width + (gsize) height) * sizeof (gint);
  pre->storage = g_try_malloc (2 * per_set + G_N_ELEMENTS (pre->rowbuf) * (gsize) width *
      sizeof (gfloat));
  if (pre->storage == NULL)
    return FALSE;

  p = pre->storage;
  for (t = 0; t < 2; t++) {
    pre->cols[t].i0 = (gint *) p;
    pre->cols[t].i1 = pre->cols[t].i0 + width;
    pre->cols[t].w = (gfloat *) (pre->cols[t].i1 + width);
    pre->rows[t].i0 = (gint *) (pre->cols[t].w + width);
    pre->rows[t].i1 = pre->rows[t].i0 + height;
    pre->rows[t].w = (gfloat *) (pre->rows[t].i1 + height);
    p += per_set;
  }
  for (t = 0; t < (gint) G_N_ELEMENTS (pre->rowbuf); t++)
    pre->rowbuf[t] = (gfloat *) p + (gsize) t * width;
  return TRUE;
}

void
gst_cnn_preprocess_clear (GstCnnPreprocess * pre)
{
  g_free (pre->storage);
  memset (pre, 0, sizeof (*pre));
}

/* Output indices [dst0, dst0 + dst_len) sample the source span [src0, src0 + src_len),
 * given in full-resolution pixels, from a plane of plane_len samples subsampled by
 * 2^sub. Pixel centres sit at i + 0.5; positions are clamped to the plane's edge samples. */
static void
build_axis (const GstCnnAxisTable * t, gint dst0, gint dst_len, gdouble src0,
    gdouble src_len, gint plane_len, gint sub, gint step)
{
  gint i;

  for (i = 0; i < dst_len; i++) {
    gdouble s = src0 + (i + 0.5) * src_len / dst_len;
    gint i0;

    s = s / (1 << sub) - 0.5;
    s = CLAMP (s, 0.0, (gdouble) (plane_len - 1));
    i0 = (gint) s;
    t->i0[dst0 + i] = i0 * step;
    t->i1[dst0 + i] = MIN (i0 + 1, plane_len - 1) * step;
    t->w[dst0 + i] = (gfloat) (s - i0);
  }
}

static void
configure_yuv (GstCnnPreprocess * pre, const GstVideoInfo * info)
{
  gdouble kr, kb, kg;

  /* BT.601 unless the caps say otherwise (GstVideoInfo already defaults HD to BT.709). */
  if (!gst_video_color_matrix_get_Kr_Kb (info->colorimetry.matrix, &kr, &kb)) {
    kr = 0.299;
    kb = 0.114;
  }
  kg = 1.0 - kr - kb;

  if (info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255) {
    pre->yuv_y_off = 0.0f;
    pre->yuv_y_scale = 1.0f;
    pre->yuv_c_scale = 1.0f;
  } else {
    pre->yuv_y_off = 16.0f;
    pre->yuv_y_scale = 255.0f / 219.0f;
    pre->yuv_c_scale = 255.0f / 224.0f;
  }
  pre->yuv_rv = (gfloat) (2.0 * (1.0 - kr));
  pre->yuv_bu = (gfloat) (2.0 * (1.0 - kb));
  pre->yuv_gu = (gfloat) (2.0 * kb * (1.0 - kb) / kg);
  pre->yuv_gv = (gfloat) (2.0 * kr * (1.0 - kr) / kg);
}

gboolean
gst_cnn_preprocess_configure (GstCnnPreprocess * pre, const GstVideoInfo * info,
    const GstCnnPreprocessParams * params)
{
  const gint W = pre->width, H = pre->height;
  gint in_w = GST_VIDEO_INFO_WIDTH (info), in_h = GST_VIDEO_INFO_HEIGHT (info);
  gdouble disp_w, src_x0 = 0, src_y0 = 0, src_w = in_w, src_h = in_h;
  gint n_tables, t, c;

  pre->configured = FALSE;
  if (pre->storage == NULL || in_w <= 0 || in_h <= 0)
    return FALSE;

  switch (GST_VIDEO_INFO_FORMAT (info)) {
    case GST_VIDEO_FORMAT_RGB:
    case GST_VIDEO_FORMAT_BGR:
    case GST_VIDEO_FORMAT_RGBx:
    case GST_VIDEO_FORMAT_BGRx:
    case GST_VIDEO_FORMAT_xRGB:
    case GST_VIDEO_FORMAT_xBGR:
    case GST_VIDEO_FORMAT_RGBA:
    case GST_VIDEO_FORMAT_BGRA:
    case GST_VIDEO_FORMAT_ARGB:
    case GST_VIDEO_FORMAT_ABGR:
      pre->kind = GST_CNN_SOURCE_RGB;
      pre->n_comps = 3;
      break;
    case GST_VIDEO_FORMAT_GRAY8:
      pre->kind = GST_CNN_SOURCE_GRAY;
      pre->n_comps = 1;
      break;
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_NV12:
      pre->kind = GST_CNN_SOURCE_YUV;
      pre->n_comps = 3;
      configure_yuv (pre, info);
      break;
    default:
      return FALSE;
  }
  for (c = 0; c < 3; c++)
    pre->comp_table[c] = (pre->kind == GST_CNN_SOURCE_YUV && c > 0) ? 1 : 0;

  /* Resize geometry in full-resolution source pixels; the pixel aspect ratio counts so
   * that letterbox and center-crop keep the displayed shape. */
  disp_w = in_w;
  if (info->par_n > 0 && info->par_d > 0)
    disp_w = (gdouble) in_w * info->par_n / info->par_d;

  pre->dst_x0 = 0;
  pre->dst_x1 = W;
  pre->dst_y0 = 0;
  pre->dst_y1 = H;
  switch (params->resize_mode) {
    case GST_CNN_RESIZE_MODE_LETTERBOX:{
      gdouble s = MIN (W / disp_w, (gdouble) H / in_h);
      gint cw = CLAMP ((gint) lround (disp_w * s), 1, W);
      gint ch = CLAMP ((gint) lround (in_h * s), 1, H);

      pre->dst_x0 = (W - cw) / 2;
      pre->dst_x1 = pre->dst_x0 + cw;
      pre->dst_y0 = (H - ch) / 2;
      pre->dst_y1 = pre->dst_y0 + ch;
      break;
    }
    case GST_CNN_RESIZE_MODE_CENTER_CROP:{
      gdouble s = MAX (W / disp_w, (gdouble) H / in_h);

      src_w = (W / s) * (in_w / disp_w);
      src_h = H / s;
      src_x0 = (in_w - src_w) / 2;
      src_y0 = (in_h - src_h) / 2;
      break;
    }
    case GST_CNN_RESIZE_MODE_STRETCH:
    default:
      break;
  }

  pre->info = *info;
  pre->params = *params;
  pre->src_x0 = src_x0;
  pre->src_y0 = src_y0;
  pre->src_w = src_w;
  pre->src_h = src_h;

  n_tables = pre->kind == GST_CNN_SOURCE_YUV ? 2 : 1;
  for (t = 0; t < n_tables; t++) {
    gint comp = t == 0 ? 0 : 1;

    build_axis (&pre->cols[t], pre->dst_x0, pre->dst_x1 - pre->dst_x0, src_x0, src_w,
        GST_VIDEO_INFO_COMP_WIDTH (info, comp),
        GST_VIDEO_FORMAT_INFO_W_SUB (info->finfo, comp),
        GST_VIDEO_INFO_COMP_PSTRIDE (info, comp));
    build_axis (&pre->rows[t], pre->dst_y0, pre->dst_y1 - pre->dst_y0, src_y0, src_h,
        GST_VIDEO_INFO_COMP_HEIGHT (info, comp),
        GST_VIDEO_FORMAT_INFO_H_SUB (info->finfo, comp), 1);
  }

  /* ((pixel / 255) * (hi - lo) + lo - mean) / std as one multiply-add per channel. */
  for (c = 0; c < pre->channels; c++) {
    gfloat std = params->std[c];

    if (pre->channels == 1 || params->color_order == GST_CNN_COLOR_ORDER_GRAY)
      pre->select[c] = SELECT_LUMA;
    else if (params->color_order == GST_CNN_COLOR_ORDER_BGR)
      pre->select[c] = 2 - c;
    else
      pre->select[c] = c;

    pre->scale[c] = (params->range_hi - params->range_lo) / 255.0f / std;
    pre->bias[c] = (params->range_lo - params->mean[c]) / std;
    pre->pad[c] = params->pad_value * pre->scale[c] + pre->bias[c];
  }

  pre->configured = TRUE;
  return TRUE;
}

/* ---- per-frame path ------------------------------------------------------------------
 *
 * Each output row goes through three small loops over the tensor row:
 *   1. sample: for each source component, bilinear taps from its two source lines
 *      (gathers through the column table: the only pass that touches the frame);
 *   2. YUV → RGB with clamping, for YUV sources;
 *   3. channel selection and normalisation into the NCHW planes.
 * Loops 2 and 3 read and write contiguous float rows, which the compiler vectorises. */

static void
sample_row (const guint8 * r0, const guint8 * r1, gfloat wy, const GstCnnAxisTable * cols,
    gint x0, gint x1, gfloat * restrict out)
{
  const gint *restrict i0 = cols->i0, *restrict i1 = cols->i1;
  const gfloat *restrict wx = cols->w;
  gint x;

  for (x = x0; x < x1; x++) {
    gfloat a = r0[i0[x]], b = r0[i1[x]], c = r1[i0[x]], d = r1[i1[x]];
    gfloat top = a + (b - a) * wx[x];
    gfloat bottom = c + (d - c) * wx[x];

    out[x] = top + (bottom - top) * wy;
  }
}

static inline gfloat
clamp_255 (gfloat v)
{
  v = v < 0.0f ? 0.0f : v;
  return v > 255.0f ? 255.0f : v;
}

/* Interpolating Y, U and V and then converting equals converting the four taps and then
 * interpolating (the conversion is affine), up to the clamping of out-of-gamut taps. */
static void
yuv_row_to_rgb (const GstCnnPreprocess * pre, const gfloat * restrict yy,
    const gfloat * restrict uu, const gfloat * restrict vv, gfloat * restrict r,
    gfloat * restrict g, gfloat * restrict b, gint x0, gint x1)
{
  const gfloat ys = pre->yuv_y_scale, yo = -pre->yuv_y_off * pre->yuv_y_scale;
  const gfloat cs = pre->yuv_c_scale, co = -128.0f * pre->yuv_c_scale;
  const gfloat rv = pre->yuv_rv, gu = pre->yuv_gu, gv = pre->yuv_gv, bu = pre->yuv_bu;
  gint x;

  for (x = x0; x < x1; x++) {
    gfloat y = yy[x] * ys + yo, u = uu[x] * cs + co, v = vv[x] * cs + co;

    r[x] = clamp_255 (y + rv * v);
    g[x] = clamp_255 (y - gu * u - gv * v);
    b[x] = clamp_255 (y + bu * u);
  }
}

static void
normalise_row (const gfloat * restrict in, gfloat scale, gfloat bias,
    gfloat * restrict out, gint x0, gint x1)
{
  gint x;

  for (x = x0; x < x1; x++)
    out[x] = in[x] * scale + bias;
}

static void
normalise_luma_row (const gfloat * restrict r, const gfloat * restrict g,
    const gfloat * restrict b, gfloat scale, gfloat bias, gfloat * restrict out, gint x0,
    gint x1)
{
  gint x;

  for (x = x0; x < x1; x++)
    out[x] = (0.299f * r[x] + 0.587f * g[x] + 0.114f * b[x]) * scale + bias;
}

static void
fill_row (gfloat * out, gfloat value, gint x0, gint x1)
{
  gint x;

  for (x = x0; x < x1; x++)
    out[x] = value;
}

void
gst_cnn_preprocess_run (const GstCnnPreprocess * pre, const GstVideoFrame * frame,
    gfloat * tensor)
{
  const gsize plane = (gsize) pre->width * pre->height;
  const gint x0 = pre->dst_x0, x1 = pre->dst_x1;
  gfloat *const *comp = pre->rowbuf, *const *rgb_buf = pre->rowbuf + 3;
  const guint8 *base[3];
  gint stride[3];
  gint k, c, y;

  g_return_if_fail (pre->configured);

  for (k = 0; k < pre->n_comps; k++) {
    base[k] = GST_VIDEO_FRAME_COMP_DATA (frame, k);
    stride[k] = GST_VIDEO_FRAME_COMP_STRIDE (frame, k);
  }

  for (y = 0; y < pre->height; y++) {
    const gfloat *rgb[3];
    gfloat *out[3];

    for (c = 0; c < pre->channels; c++)
      out[c] = tensor + c * plane + (gsize) y * pre->width;

    if (y < pre->dst_y0 || y >= pre->dst_y1) {
      for (c = 0; c < pre->channels; c++)
        fill_row (out[c], pre->pad[c], 0, pre->width);
      continue;
    }
    for (c = 0; c < pre->channels; c++) {
      fill_row (out[c], pre->pad[c], 0, x0);
      fill_row (out[c], pre->pad[c], x1, pre->width);
    }

    for (k = 0; k < pre->n_comps; k++) {
      const GstCnnAxisTable *rows = &pre->rows[pre->comp_table[k]];

      sample_row (base[k] + (gsize) rows->i0[y] * stride[k],
          base[k] + (gsize) rows->i1[y] * stride[k], rows->w[y],
          &pre->cols[pre->comp_table[k]], x0, x1, comp[k]);
    }

    switch (pre->kind) {
      case GST_CNN_SOURCE_YUV:
        yuv_row_to_rgb (pre, comp[0], comp[1], comp[2], rgb_buf[0], rgb_buf[1],
            rgb_buf[2], x0, x1);
        rgb[0] = rgb_buf[0];
        rgb[1] = rgb_buf[1];
        rgb[2] = rgb_buf[2];
        break;
      case GST_CNN_SOURCE_GRAY:
        /* R = G = B = luma: every selection reads the one sampled component. */
        rgb[0] = rgb[1] = rgb[2] = comp[0];
        break;
      case GST_CNN_SOURCE_RGB:
      default:
        rgb[0] = comp[0];
        rgb[1] = comp[1];
        rgb[2] = comp[2];
        break;
    }

    for (c = 0; c < pre->channels; c++) {
      gint s = pre->select[c];

      if (s == SELECT_LUMA && pre->kind != GST_CNN_SOURCE_GRAY)
        normalise_luma_row (rgb[0], rgb[1], rgb[2], pre->scale[c], pre->bias[c], out[c],
            x0, x1);
      else
        normalise_row (rgb[s == SELECT_LUMA ? 0 : s], pre->scale[c], pre->bias[c], out[c],
            x0, x1);
    }
  }
}
