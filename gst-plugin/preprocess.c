/* preprocess.c — video frame → float32 NCHW tensor in one pass.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "preprocess.h"

#include <math.h>
#include <string.h>

#define SELECT_LUMA 3

/* Source lines are prefetched this many output rows ahead (1 to 4 measured alike). */
#define PREFETCH_AHEAD 2

/* The per-row kernels are also compiled for AVX2 and picked at load time; the plugin
 * itself targets baseline x86-64. AVX2 doubles the lanes of the tap loads. Tests build a
 * copy with GST_CNN_PREPROCESS_BASELINE to check the baseline code on AVX2 machines too. */
#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__)) \
    && !defined(GST_CNN_PREPROCESS_BASELINE)
#define GST_CNN_VECTORIZE __attribute__ ((target_clones ("arch=x86-64-v3", "default")))
#else
#define GST_CNN_VECTORIZE
#endif

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
    /* The last sample as the second tap at weight 1: taps stay one sample apart. */
    i0 = MIN ((gint) s, MAX (plane_len - 2, 0));
    t->i0[dst0 + i] = i0 * step;
    t->i1[dst0 + i] = MIN (i0 + 1, plane_len - 1) * step;
    t->w[dst0 + i] = (gfloat) (s - i0);
  }
}

/* Bit position of byte @i of a @size-byte word loaded from memory. */
static gint
byte_shift (gint i, gint size)
{
  return 8 * (G_BYTE_ORDER == G_LITTLE_ENDIAN ? i : size - 1 - i);
}

/* Component @k is read through table @table from a load that starts @back bytes before
 * it (packed RGB: at the pixel's first byte; NV12: U and V from one load). */
static void
configure_sampler (GstCnnPreprocess * pre, const GstVideoInfo * info, gint k, gint table,
    gint back)
{
  GstCnnCompSampler *cs = &pre->comp[k];
  const GstCnnAxisTable *cols = &pre->cols[table];
  gint pstride = GST_VIDEO_INFO_COMP_PSTRIDE (info, k);
  gint width = GST_VIDEO_INFO_COMP_WIDTH (info, k);
  gint delta = width > 1 ? pstride : 0;        /* bytes between the two taps */
  /* Bytes from the load origin up to and including the component's last byte in a line:
   * nothing after it is guaranteed to exist (the last line may end the buffer). */
  gint avail = back + (width - 1) * pstride + 1;
  gint x;

  cs->table = table;
  cs->back = back;
  cs->load = back + delta < 4 ? 4 : 8;
  cs->shift0 = byte_shift (back, cs->load);
  cs->shift1 = byte_shift (back + delta, cs->load);
  /* Offsets grow with x: the columns too close to the end of the line come last. */
  x = pre->dst_x1;
  while (x > pre->dst_x0 && cols->i0[x - 1] + cs->load > avail)
    x--;
  cs->safe_end = x;
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
  return gst_cnn_preprocess_configure_rect (pre, info, params, NULL);
}

gboolean
gst_cnn_preprocess_configure_rect (GstCnnPreprocess * pre, const GstVideoInfo * info,
    const GstCnnPreprocessParams * params, const GstVideoRectangle * rect)
{
  const gint W = pre->width, H = pre->height;
  gint frame_w = GST_VIDEO_INFO_WIDTH (info), frame_h = GST_VIDEO_INFO_HEIGHT (info);
  gint rect_x = 0, rect_y = 0, in_w = frame_w, in_h = frame_h;
  gdouble disp_w, src_x0, src_y0, src_w, src_h;
  gint n_tables, t, c;

  pre->configured = FALSE;
  if (pre->storage == NULL || frame_w <= 0 || frame_h <= 0)
    return FALSE;
  if (rect != NULL) {
    /* Inside the frame and not empty; gint arithmetic cannot overflow after these. */
    if (rect->x < 0 || rect->y < 0 || rect->w <= 0 || rect->h <= 0 ||
        rect->x > frame_w - rect->w || rect->y > frame_h - rect->h)
      return FALSE;
    rect_x = rect->x;
    rect_y = rect->y;
    in_w = rect->w;
    in_h = rect->h;
  }
  src_x0 = 0;
  src_y0 = 0;
  src_w = in_w;
  src_h = in_h;

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
    case GST_CNN_RESIZE_MODE_LETTERBOX:
    case GST_CNN_RESIZE_MODE_LETTERBOX_TOP_LEFT:{
      gdouble s = MIN (W / disp_w, (gdouble) H / in_h);
      gint cw = CLAMP ((gint) lround (disp_w * s), 1, W);
      gint ch = CLAMP ((gint) lround (in_h * s), 1, H);
      gboolean centred = params->resize_mode == GST_CNN_RESIZE_MODE_LETTERBOX;

      /* Centred, or anchored at the top-left as OCR line classifiers are trained. */
      pre->dst_x0 = centred ? (W - cw) / 2 : 0;
      pre->dst_x1 = pre->dst_x0 + cw;
      pre->dst_y0 = centred ? (H - ch) / 2 : 0;
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

  pre->params = *params;
  pre->src_x0 = rect_x + src_x0;
  pre->src_y0 = rect_y + src_y0;
  pre->src_w = src_w;
  pre->src_h = src_h;

  n_tables = pre->kind == GST_CNN_SOURCE_YUV ? 2 : 1;
  for (t = 0; t < n_tables; t++) {
    gint comp = t == 0 ? 0 : 1;

    build_axis (&pre->cols[t], pre->dst_x0, pre->dst_x1 - pre->dst_x0, pre->src_x0, src_w,
        GST_VIDEO_INFO_COMP_WIDTH (info, comp),
        GST_VIDEO_FORMAT_INFO_W_SUB (info->finfo, comp),
        GST_VIDEO_INFO_COMP_PSTRIDE (info, comp));
    build_axis (&pre->rows[t], pre->dst_y0, pre->dst_y1 - pre->dst_y0, pre->src_y0, src_h,
        GST_VIDEO_INFO_COMP_HEIGHT (info, comp),
        GST_VIDEO_FORMAT_INFO_H_SUB (info->finfo, comp), 1);
  }

  switch (pre->kind) {
    case GST_CNN_SOURCE_RGB:{
      gint first = MIN (GST_VIDEO_INFO_COMP_POFFSET (info, 0),
          MIN (GST_VIDEO_INFO_COMP_POFFSET (info, 1), GST_VIDEO_INFO_COMP_POFFSET (info,
                  2)));

      for (c = 0; c < 3; c++)
        configure_sampler (pre, info, c, 0, GST_VIDEO_INFO_COMP_POFFSET (info, c) - first);
      break;
    }
    case GST_CNN_SOURCE_GRAY:
      configure_sampler (pre, info, 0, 0, 0);
      break;
    case GST_CNN_SOURCE_YUV:
      configure_sampler (pre, info, 0, 0, 0);
      configure_sampler (pre, info, 1, 1, 0);
      /* NV12's V follows U in the same plane: one load carries both. */
      configure_sampler (pre, info, 2, 1,
          GST_VIDEO_INFO_COMP_PLANE (info, 2) == GST_VIDEO_INFO_COMP_PLANE (info, 1) ?
          GST_VIDEO_INFO_COMP_POFFSET (info, 2) - GST_VIDEO_INFO_COMP_POFFSET (info, 1) : 0);
      break;
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

/* The two taps of both source lines come from one 4- or 8-byte load per line: gcc
 * vectorises these loops (the loads become short gathers), while a byte-per-tap loop
 * stays scalar. */
#define DEFINE_SAMPLE_ROW(name, word_t)                                                 \
GST_CNN_VECTORIZE static void                                                           \
name (const guint8 * r0, const guint8 * r1, gfloat wy, const gint * restrict i0,        \
    const gfloat * restrict wx, gint x0, gint x1, gint shift0, gint shift1,            \
    gfloat * restrict out)                                                              \
{                                                                                       \
  gint x;                                                                               \
                                                                                        \
  for (x = x0; x < x1; x++) {                                                           \
    word_t p, q;                                                                        \
    gfloat a, b, c, d, top, bottom;                                                     \
                                                                                        \
    memcpy (&p, r0 + i0[x], sizeof (p));                                                \
    memcpy (&q, r1 + i0[x], sizeof (q));                                                \
    /* Narrow before converting: 32-bit lanes convert to float, 64-bit ones do not. */  \
    a = (guint32) (p >> shift0) & 0xff;                                                 \
    b = (guint32) (p >> shift1) & 0xff;                                                 \
    c = (guint32) (q >> shift0) & 0xff;                                                 \
    d = (guint32) (q >> shift1) & 0xff;                                                 \
    top = a + (b - a) * wx[x];                                                          \
    bottom = c + (d - c) * wx[x];                                                       \
    out[x] = top + (bottom - top) * wy;                                                 \
  }                                                                                     \
}

DEFINE_SAMPLE_ROW (sample_row_32, guint32);
DEFINE_SAMPLE_ROW (sample_row_64, guint64);

/* The columns whose load would run past the end of the line: one byte per tap. */
static void
sample_row_tail (const guint8 * r0, const guint8 * r1, gfloat wy,
    const GstCnnAxisTable * cols, gint x0, gint x1, gfloat * restrict out)
{
  gint x;

  for (x = x0; x < x1; x++) {
    gfloat a = r0[cols->i0[x]], b = r0[cols->i1[x]], c = r1[cols->i0[x]],
        d = r1[cols->i1[x]];
    gfloat top = a + (b - a) * cols->w[x];
    gfloat bottom = c + (d - c) * cols->w[x];

    out[x] = top + (bottom - top) * wy;
  }
}

/* Component @cs of output row @y into out[x0, x1); @base and @stride are the component's
 * own data and line stride. */
static void
sample_row (const GstCnnPreprocess * pre, const GstCnnCompSampler * cs,
    const guint8 * base, gint stride, gint y, gint x0, gint x1, gfloat * out)
{
  const GstCnnAxisTable *rows = &pre->rows[cs->table], *cols = &pre->cols[cs->table];
  const guint8 *r0 = base + (gsize) rows->i0[y] * stride;
  const guint8 *r1 = base + (gsize) rows->i1[y] * stride;
  gint safe_end = CLAMP (cs->safe_end, x0, x1);

  if (cs->load == 4)
    sample_row_32 (r0 - cs->back, r1 - cs->back, rows->w[y], cols->i0, cols->w, x0,
        safe_end, cs->shift0, cs->shift1, out);
  else
    sample_row_64 (r0 - cs->back, r1 - cs->back, rows->w[y], cols->i0, cols->w, x0,
        safe_end, cs->shift0, cs->shift1, out);
  sample_row_tail (r0, r1, rows->w[y], cols, safe_end, x1, out);
}

/* Asks for the source lines of component @cs in output row @y, so that they arrive while
 * the rows before it are computed: the network evicts the frame from the caches, and
 * the hardware prefetcher does not guess the jumps between sampled lines. */
static void
prefetch_row (const GstCnnPreprocess * pre, const GstCnnCompSampler * cs,
    const guint8 * base, gint stride, gint y)
{
#if defined(__GNUC__) || defined(__clang__)
  const GstCnnAxisTable *rows = &pre->rows[cs->table], *cols = &pre->cols[cs->table];
  gsize first = cols->i0[pre->dst_x0], last = cols->i1[pre->dst_x1 - 1];
  gint line[2] = { rows->i0[y], rows->i1[y] }, l;
  gsize at;

  for (l = 0; l < 2; l++) {
    const guint8 *p = base + (gsize) line[l] * stride;

    for (at = first; at < last + 64; at += 64)
      __builtin_prefetch (p + MIN (at, last));
  }
#endif
}

static inline gfloat
clamp_255 (gfloat v)
{
  v = v < 0.0f ? 0.0f : v;
  return v > 255.0f ? 255.0f : v;
}

/* Interpolating Y, U and V and then converting equals converting the four taps and then
 * interpolating (the conversion is affine), up to the clamping of out-of-gamut taps. */
GST_CNN_VECTORIZE static void
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

GST_CNN_VECTORIZE static void
normalise_row (const gfloat * restrict in, gfloat scale, gfloat bias,
    gfloat * restrict out, gint x0, gint x1)
{
  gint x;

  for (x = x0; x < x1; x++)
    out[x] = in[x] * scale + bias;
}

GST_CNN_VECTORIZE static void
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
      /* Components loaded from another one's origin share its lines. */
      if (y + PREFETCH_AHEAD < pre->dst_y1 && pre->comp[k].back == 0)
        prefetch_row (pre, &pre->comp[k], base[k], stride[k], y + PREFETCH_AHEAD);
      sample_row (pre, &pre->comp[k], base[k], stride[k], y, x0, x1, comp[k]);
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
