/* gstcnndraw.h — cnnoverlay's drawing: classification results → overlay rectangles.
 *
 * Everything is drawn with Cairo (text laid out by Pango) into small premultiplied ARGB
 * surfaces, one per item, so that blending touches only the pixels of what is drawn:
 *
 *   - the frame's top-k (GstCnnClassificationMeta of the whole frame): one line per entry,
 *     label and confidence, with a bar as long as the confidence, on a dark panel in a
 *     corner;
 *   - each GstVideoRegionOfInterestMeta: its box, and a tag with the results that
 *     classifiers attached to it (else the region's type).
 *
 * The result is a GstVideoOverlayComposition that the element attaches or blends.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_CNN_DRAW_H
#define GST_CNN_DRAW_H

#include <gst/video/video.h>
#include <pango/pango.h>

G_BEGIN_DECLS

typedef enum
{
  GST_CNN_DRAW_TOP_K = 1 << 0,
  GST_CNN_DRAW_REGIONS = 1 << 1,
  GST_CNN_DRAW_HEATMAP = 1 << 2,
} GstCnnDrawWhat;

#define GST_CNN_DRAW_ALL (GST_CNN_DRAW_TOP_K | GST_CNN_DRAW_REGIONS | GST_CNN_DRAW_HEATMAP)

typedef enum
{
  GST_CNN_CORNER_TOP_LEFT,
  GST_CNN_CORNER_TOP_RIGHT,
  GST_CNN_CORNER_BOTTOM_LEFT,
  GST_CNN_CORNER_BOTTOM_RIGHT,
} GstCnnCorner;

#define GST_TYPE_CNN_DRAW_WHAT (gst_cnn_draw_what_get_type ())
GType gst_cnn_draw_what_get_type (void);
#define GST_TYPE_CNN_CORNER (gst_cnn_corner_get_type ())
GType gst_cnn_corner_get_type (void);

typedef struct
{
  GstCnnDrawWhat what;
  GstCnnCorner corner;
  PangoContext *pango;          /* from gst_cnn_draw_pango_context_new(), one thread at a time */
  const PangoFontDescription *font;
  guint max_entries;            /* top-k lines at most */
} GstCnnDrawStyle;

/* A Pango context on a font map of its own: Pango's default font map is per thread and
 * lives as long as the thread; this one is freed with the context's last reference. */
PangoContext *gst_cnn_draw_pango_context_new (void);

/* What to overlay on @buf (a frame described by @info), or NULL when there is nothing to
 * draw. */
GstVideoOverlayComposition *gst_cnn_draw_results (const GstCnnDrawStyle * style,
    GstBuffer * buf, const GstVideoInfo * info);

G_END_DECLS

#endif /* GST_CNN_DRAW_H */
