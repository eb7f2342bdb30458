/* preprocess.h — video frame → float32 NCHW tensor in one pass.
 *
 * Scaling (bilinear, from per-row and per-column tables), the resize mode, colour
 * conversion (YUV → RGB, colour order, gray ↔ colour) and normalisation are done one
 * output row at a time; nothing is allocated per frame. Only the source samples that the
 * bilinear taps touch are read, so the cost depends on the tensor size, not the frame's.
 *
 *     gst_cnn_preprocess_init (&pre, 3, 224, 224);        // when the model is known
 *     gst_cnn_preprocess_configure (&pre, &info, &params); // on caps or setting changes
 *     gst_cnn_preprocess_run (&pre, &frame, tensor);       // per frame
 *     gst_cnn_preprocess_clear (&pre);
 *
 * gst_cnn_preprocess_run_reference() computes the same tensor the plain way (no tables,
 * no folded constants, one pixel at a time); tests compare the two.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_CNN_PREPROCESS_H
#define GST_CNN_PREPROCESS_H

#include <gst/video/video.h>

G_BEGIN_DECLS

typedef enum
{
  GST_CNN_COLOR_ORDER_RGB,
  GST_CNN_COLOR_ORDER_BGR,
  GST_CNN_COLOR_ORDER_GRAY,
} GstCnnColorOrder;

typedef enum
{
  GST_CNN_RESIZE_MODE_STRETCH,
  GST_CNN_RESIZE_MODE_CENTER_CROP,
  GST_CNN_RESIZE_MODE_LETTERBOX,
  GST_CNN_RESIZE_MODE_LETTERBOX_TOP_LEFT,  /* picture at the top-left, padding right/bottom */
} GstCnnResizeMode;

typedef struct
{
  GstCnnColorOrder color_order;  /* ignored by 1-channel models, which always get luma */
  GstCnnResizeMode resize_mode;
  guint8 pad_value;              /* letterbox border, as a gray pixel value */
  gfloat range_lo, range_hi;     /* pixel 0..255 maps linearly onto [lo, hi] */
  gfloat mean[3];                /* then (value - mean[c]) / std[c], per tensor channel */
  gfloat std[3];
} GstCnnPreprocessParams;

/* One axis of the scaler: for each output index, the two source positions and the weight
 * of the second. Column entries are byte offsets (pixel stride applied), row entries are
 * line numbers (the stride comes from each frame). Unless the plane is one sample wide
 * or high, the second position is always the first plus one sample (the last sample is
 * reached with weight 1 on it), so that one load can fetch both taps. */
typedef struct
{
  gint *i0;
  gint *i1;
  gfloat *w;
} GstCnnAxisTable;

typedef enum
{
  GST_CNN_SOURCE_RGB,
  GST_CNN_SOURCE_GRAY,
  GST_CNN_SOURCE_YUV,
} GstCnnSourceKind;

/* How the per-frame path fetches one source component: a 4- or 8-byte load at
 * (component data - back + column offset) holds both horizontal taps, at bit positions
 * shift0 and shift1. Output columns from safe_end on would load past the component's
 * last byte in the line, and read the two taps one byte at a time instead. */
typedef struct
{
  gint table;                    /* 0 = full-resolution tables, 1 = chroma tables */
  gint back;
  gint load;
  gint shift0, shift1;
  gint safe_end;
} GstCnnCompSampler;

typedef struct
{
  gint channels, height, width;  /* tensor */

  /* Set by configure. */
  gboolean configured;
  GstCnnSourceKind kind;
  gint n_comps;
  GstCnnCompSampler comp[3];
  gint dst_x0, dst_x1, dst_y0, dst_y1;  /* where the picture lands; the rest is padding */
  GstCnnAxisTable cols[2], rows[2];
  gint select[3];                /* per tensor channel: 0..2 = R, G, B; 3 = luma */
  gfloat scale[3], bias[3];      /* tensor = value * scale + bias, value in 0..255 */
  gfloat pad[3];                 /* normalised padding per tensor channel */
  gfloat yuv_y_off, yuv_y_scale, yuv_c_scale;    /* Y' = (Y - off) * scale, C' = (C - 128) * c_scale */
  gfloat yuv_rv, yuv_gu, yuv_gv, yuv_bu;          /* R = Y'+rv V', G = Y'-gu U'-gv V', B = Y'+bu U' */

  /* What the tables were built from, for the reference path. */
  GstCnnPreprocessParams params;
  gdouble src_x0, src_y0, src_w, src_h;  /* sampled source rectangle, full-res frame pixels */

  gfloat *rowbuf[6];             /* one tensor row per sampled component and per R, G, B */
  gpointer storage;
} GstCnnPreprocess;

/* Sizes the tables for a channels × height × width tensor (channels 1 or 3). */
gboolean gst_cnn_preprocess_init (GstCnnPreprocess * pre, gint channels, gint height,
    gint width);
void gst_cnn_preprocess_clear (GstCnnPreprocess * pre);

/* Fills the tables for frames described by @info; allocates nothing. FALSE if the format
 * is not supported. */
gboolean gst_cnn_preprocess_configure (GstCnnPreprocess * pre, const GstVideoInfo * info,
    const GstCnnPreprocessParams * params);

/* Like gst_cnn_preprocess_configure(), for the part @rect of each frame (full-resolution
 * pixels; NULL = the whole frame): the rectangle is fitted to the tensor as a frame would
 * be (resize mode, pixel aspect ratio). Bilinear taps at its edges may read the pixels
 * just outside it. FALSE if the rectangle is empty or not inside the frame. */
gboolean gst_cnn_preprocess_configure_rect (GstCnnPreprocess * pre,
    const GstVideoInfo * info, const GstCnnPreprocessParams * params,
    const GstVideoRectangle * rect);

/* Writes channels × height × width floats. The frame must match the configured info.
 * Uses the row buffers in @pre: one call at a time per GstCnnPreprocess. */
void gst_cnn_preprocess_run (const GstCnnPreprocess * pre, const GstVideoFrame * frame,
    gfloat * tensor);

/* The same result (within float rounding), computed directly from the configured video
 * info and parameters; slow. */
void gst_cnn_preprocess_run_reference (const GstCnnPreprocess * pre,
    const GstVideoFrame * frame, gfloat * tensor);

G_END_DECLS

#endif /* GST_CNN_PREPROCESS_H */
