/* gstcnndraw.c — classification results → overlay rectangles. See gstcnndraw.h.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "gstcnndraw.h"

#include <math.h>
#include <string.h>

#include <cairo.h>
#include <pango/pangocairo.h>

#include "gstcnnclassificationmeta.h"

#define MARGIN 4                /* between the panel and the frame's edge */
#define PAD 3                   /* inside the panel and tags */
#define BOX_LINE 2              /* region box outline width */

G_DEFINE_FLAGS_TYPE (GstCnnDrawWhat, gst_cnn_draw_what,
    {GST_CNN_DRAW_TOP_K, "The frame's top-k classes with confidence bars", "top-k"},
    {GST_CNN_DRAW_REGIONS, "Region boxes with their labels", "regions"},
    {GST_CNN_DRAW_HEATMAP, "The class activation map, as a heatmap", "heatmap"});

G_DEFINE_ENUM_TYPE (GstCnnCorner, gst_cnn_corner,
    {GST_CNN_CORNER_TOP_LEFT, "Top left", "top-left"},
    {GST_CNN_CORNER_TOP_RIGHT, "Top right", "top-right"},
    {GST_CNN_CORNER_BOTTOM_LEFT, "Bottom left", "bottom-left"},
    {GST_CNN_CORNER_BOTTOM_RIGHT, "Bottom right", "bottom-right"});

/* ------------------------------------------------------------------------------------ */
/* Surfaces and rectangles */

typedef struct
{
  cairo_surface_t *surface;
  cairo_t *cr;
  PangoLayout *layout;
} Canvas;

PangoContext *
gst_cnn_draw_pango_context_new (void)
{
  PangoFontMap *map = pango_cairo_font_map_new ();
  PangoContext *context = pango_font_map_create_context (map);

  g_object_unref (map);
  return context;
}

/* A transparent @w × @h canvas with a layout in the style's font. */
static void
canvas_init (Canvas * c, gint w, gint h, const GstCnnDrawStyle * style)
{
  c->surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, MAX (w, 1), MAX (h, 1));
  c->cr = cairo_create (c->surface);
  c->layout = pango_layout_new (style->pango);
  pango_layout_set_font_description (c->layout, style->font);
}

static void
canvas_clear (Canvas * c)
{
  g_object_unref (c->layout);
  cairo_destroy (c->cr);
  cairo_surface_destroy (c->surface);
}

/* Pixel size of @text in the style's font. */
static void
text_size (const GstCnnDrawStyle * style, const gchar * text, gint * w, gint * h)
{
  PangoLayout *layout = pango_layout_new (style->pango);

  pango_layout_set_font_description (layout, style->font);
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, w, h);
  g_object_unref (layout);
}

/* The canvas's pixels (premultiplied ARGB32, which is GStreamer's overlay BGRA on
 * little-endian and ARGB on big-endian machines) at @x, @y of the frame. */
static GstVideoOverlayRectangle *
canvas_to_rectangle (Canvas * c, gint x, gint y)
{
  gint w = cairo_image_surface_get_width (c->surface);
  gint h = cairo_image_surface_get_height (c->surface);
  gint stride = cairo_image_surface_get_stride (c->surface);
  GstVideoOverlayRectangle *rect;
  GstBuffer *pixels;
  GstMapInfo map;
  gint row;

  cairo_surface_flush (c->surface);
  pixels = gst_buffer_new_allocate (NULL, (gsize) w * h * 4, NULL);
  gst_buffer_map (pixels, &map, GST_MAP_WRITE);
  for (row = 0; row < h; row++)
    memcpy (map.data + (gsize) row * w * 4,
        cairo_image_surface_get_data (c->surface) + (gsize) row * stride, (gsize) w * 4);
  gst_buffer_unmap (pixels, &map);
  gst_buffer_add_video_meta (pixels, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, w, h);
  rect = gst_video_overlay_rectangle_new_raw (pixels, x, y, w, h,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  gst_buffer_unref (pixels);
  return rect;
}

static void
add_rectangle (GstVideoOverlayComposition ** comp, GstVideoOverlayRectangle * rect)
{
  if (*comp == NULL)
    *comp = gst_video_overlay_composition_new (rect);
  else
    gst_video_overlay_composition_add_rectangle (*comp, rect);
  gst_video_overlay_rectangle_unref (rect);
}

/* ------------------------------------------------------------------------------------ */
/* The frame's top-k panel */

static void
draw_top_k (const GstCnnDrawStyle * style, const GstCnnClassificationMeta * meta,
    gint frame_w, gint frame_h, GstVideoOverlayComposition ** comp)
{
  guint n = MIN (meta->n_entries, style->max_entries), i;
  gchar **lines;
  gint line_w = 0, text_h = 0, bar_h, row_h, panel_w, panel_h, x, y;
  Canvas c;

  if (n == 0)
    return;
  lines = g_new0 (gchar *, n + 1);
  for (i = 0; i < n; i++) {
    gint w, h;

    lines[i] = g_strdup_printf ("%s %.1f%%", meta->entries[i].label,
        100.0 * meta->entries[i].confidence);
    text_size (style, lines[i], &w, &h);
    line_w = MAX (line_w, w);
    text_h = MAX (text_h, h);
  }
  bar_h = MAX (2, text_h / 4);
  row_h = text_h + bar_h + 2;
  panel_w = MIN (line_w + 2 * PAD, frame_w - 2 * MARGIN);
  panel_h = MIN ((gint) n * row_h + 2 * PAD, frame_h - 2 * MARGIN);
  if (panel_w <= 2 * PAD || panel_h <= 2 * PAD) {
    g_strfreev (lines);
    return;
  }
  x = style->corner == GST_CNN_CORNER_TOP_LEFT ||
      style->corner == GST_CNN_CORNER_BOTTOM_LEFT ? MARGIN : frame_w - MARGIN - panel_w;
  y = style->corner == GST_CNN_CORNER_TOP_LEFT ||
      style->corner == GST_CNN_CORNER_TOP_RIGHT ? MARGIN : frame_h - MARGIN - panel_h;

  canvas_init (&c, panel_w, panel_h, style);
  cairo_set_source_rgba (c.cr, 0, 0, 0, 0.6);
  cairo_paint (c.cr);
  for (i = 0; i < n; i++) {
    gdouble conf = CLAMP (meta->entries[i].confidence, 0.0f, 1.0f);
    gint top = PAD + (gint) i * row_h;

    cairo_set_source_rgb (c.cr, 1, 1, 1);
    cairo_move_to (c.cr, PAD, top);
    pango_layout_set_text (c.layout, lines[i], -1);
    pango_cairo_show_layout (c.cr, c.layout);
    /* The bar: its full length in dark gray, the confidence in green (best) or blue. */
    cairo_set_source_rgb (c.cr, 0.25, 0.25, 0.25);
    cairo_rectangle (c.cr, PAD, top + text_h, panel_w - 2 * PAD, bar_h);
    cairo_fill (c.cr);
    if (i == 0)
      cairo_set_source_rgb (c.cr, 0.1, 0.9, 0.2);
    else
      cairo_set_source_rgb (c.cr, 0.2, 0.5, 1.0);
    cairo_rectangle (c.cr, PAD, top + text_h, (panel_w - 2 * PAD) * conf, bar_h);
    cairo_fill (c.cr);
  }
  add_rectangle (comp, canvas_to_rectangle (&c, x, y));
  canvas_clear (&c);
  g_strfreev (lines);
}

/* ------------------------------------------------------------------------------------ */
/* Region boxes and tags */

/* "label 97%, label 80%" for every classifier's result on region @id, else NULL. */
static gchar *
region_text (GstBuffer * buf, gint id)
{
  GString *text = NULL;
  gpointer state = NULL;
  GstMeta *m;

  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_CNN_CLASSIFICATION_META_API_TYPE))) {
    GstCnnClassificationMeta *meta = (GstCnnClassificationMeta *) m;

    if (meta->roi_id != id || meta->n_entries == 0)
      continue;
    if (text == NULL)
      text = g_string_new (NULL);
    else
      g_string_append (text, ", ");
    g_string_append_printf (text, "%s %.0f%%", meta->entries[0].label,
        100.0 * meta->entries[0].confidence);
  }
  return text ? g_string_free (text, FALSE) : NULL;
}

static void
draw_region (const GstCnnDrawStyle * style, GstBuffer * buf,
    const GstVideoRegionOfInterestMeta * roi, gint frame_w, gint frame_h,
    GstVideoOverlayComposition ** comp)
{
  gint64 x0 = (gint32) roi->x, y0 = (gint32) roi->y;
  gint64 x1 = MIN (x0 + roi->w, frame_w), y1 = MIN (y0 + roi->h, frame_h);
  gchar *text;
  gint w, h, tw, th, tx, ty;
  Canvas c;

  if (roi->w == 0 || roi->h == 0 || roi->w > G_MAXINT || roi->h > G_MAXINT)
    return;
  x0 = MAX (x0, 0);
  y0 = MAX (y0, 0);
  if (x1 <= x0 || y1 <= y0)
    return;
  w = (gint) (x1 - x0);
  h = (gint) (y1 - y0);

  /* The box: an outline inside the region's (clipped) rectangle. */
  canvas_init (&c, w, h, style);
  cairo_set_source_rgb (c.cr, 1.0, 0.85, 0.0);
  cairo_set_line_width (c.cr, MIN (BOX_LINE, MIN (w, h)));
  cairo_rectangle (c.cr, BOX_LINE / 2.0, BOX_LINE / 2.0, MAX (w - BOX_LINE, 0),
      MAX (h - BOX_LINE, 0));
  cairo_stroke (c.cr);
  add_rectangle (comp, canvas_to_rectangle (&c, (gint) x0, (gint) y0));
  canvas_clear (&c);

  /* The tag: above the box when there is room, else inside its top. */
  text = region_text (buf, roi->id);
  if (text == NULL)
    text = g_strdup (g_quark_to_string (roi->roi_type));
  if (text == NULL || *text == '\0') {
    g_free (text);
    return;
  }
  text_size (style, text, &tw, &th);
  tw = MIN (tw + 2 * PAD, frame_w);
  th = MIN (th + 2 * PAD, frame_h);
  tx = (gint) MIN (x0, frame_w - tw);
  ty = (gint) (y0 >= th ? y0 - th : y0);
  ty = MIN (ty, frame_h - th);
  canvas_init (&c, tw, th, style);
  cairo_set_source_rgba (c.cr, 1.0, 0.85, 0.0, 0.85);
  cairo_paint (c.cr);
  cairo_set_source_rgb (c.cr, 0, 0, 0);
  cairo_move_to (c.cr, PAD, PAD);
  pango_layout_set_text (c.layout, text, -1);
  pango_cairo_show_layout (c.cr, c.layout);
  add_rectangle (comp, canvas_to_rectangle (&c, tx, ty));
  canvas_clear (&c);
  g_free (text);
}

/* ------------------------------------------------------------------------------------ */
/* Class activation maps */

#define HEATMAP_MAX_SIDE 256    /* drawn at most this large, then scaled by the blend */

/* The map at fractional cell position (@mx, @my), cell centres at i + 0.5, bilinear. */
static gfloat
map_sample (const gfloat * map, gint w, gint h, gdouble mx, gdouble my)
{
  gint x0, y0, x1, y1;
  gdouble fx, fy;

  mx = CLAMP (mx - 0.5, 0.0, w - 1.0);
  my = CLAMP (my - 0.5, 0.0, h - 1.0);
  x0 = (gint) mx;
  y0 = (gint) my;
  x1 = MIN (x0 + 1, w - 1);
  y1 = MIN (y0 + 1, h - 1);
  fx = mx - x0;
  fy = my - y0;
  return (gfloat) ((map[y0 * w + x0] * (1 - fx) + map[y0 * w + x1] * fx) * (1 - fy) +
      (map[y1 * w + x0] * (1 - fx) + map[y1 * w + x1] * fx) * fy);
}

/* Blue → cyan → green → yellow → red for v in [0, 1]. */
static void
heat_colour (gdouble v, gdouble rgb[3])
{
  rgb[0] = CLAMP (1.5 - fabs (4 * v - 3), 0.0, 1.0);
  rgb[1] = CLAMP (1.5 - fabs (4 * v - 2), 0.0, 1.0);
  rgb[2] = CLAMP (1.5 - fabs (4 * v - 1), 0.0, 1.0);
}

/* @meta's map as a translucent heatmap over the part of the frame it covers: its
 * positive part, scaled to its maximum, coloured and more opaque where it is hot. */
static void
draw_heatmap (const GstCnnDrawStyle * style, const GstCnnClassificationMeta * meta,
    gint frame_w, gint frame_h, GstVideoOverlayComposition ** comp)
{
  guint mw, mh, n, i;
  const gfloat *map = gst_cnn_classification_meta_get_activation_map (meta, &mw, &mh, NULL,
      &n);
  gdouble ax, ay, aw, ah, vx0, vy0, vx1, vy1;
  gfloat max = 0.0f;
  gint sw, sh, x, y, stride;
  guint8 *data;
  Canvas c;

  if (map == NULL || !gst_cnn_classification_meta_get_activation_map_area (meta, &ax, &ay,
          &aw, &ah) || !(aw > 0 && ah > 0))
    return;
  for (i = 0; i < n; i++)
    max = MAX (max, map[i]);
  if (!(max > 0.0f))
    return;
  /* The visible part of the area, in frame pixels (whole pixels, inside the frame). */
  ax *= frame_w;
  aw *= frame_w;
  ay *= frame_h;
  ah *= frame_h;
  vx0 = CLAMP (floor (ax), 0, frame_w);
  vy0 = CLAMP (floor (ay), 0, frame_h);
  vx1 = CLAMP (ceil (ax + aw), 0, frame_w);
  vy1 = CLAMP (ceil (ay + ah), 0, frame_h);
  if (vx1 - vx0 < 1 || vy1 - vy0 < 1)
    return;
  sw = (gint) MIN (vx1 - vx0, HEATMAP_MAX_SIDE);
  sh = (gint) MIN (vy1 - vy0, HEATMAP_MAX_SIDE);

  canvas_init (&c, sw, sh, style);
  cairo_surface_flush (c.surface);
  data = cairo_image_surface_get_data (c.surface);
  stride = cairo_image_surface_get_stride (c.surface);
  for (y = 0; y < sh; y++) {
    guint32 *row = (guint32 *) (data + (gsize) y * stride);
    gdouble fy = vy0 + (y + 0.5) * (vy1 - vy0) / sh;

    for (x = 0; x < sw; x++) {
      gdouble fx = vx0 + (x + 0.5) * (vx1 - vx0) / sw;
      gdouble v = map_sample (map, mw, mh, (fx - ax) / aw * mw, (fy - ay) / ah * mh) / max;
      gdouble rgb[3], a;

      v = CLAMP (v, 0.0, 1.0);
      heat_colour (v, rgb);
      a = 0.6 * v;
      /* Premultiplied ARGB32, native endian, as cairo stores it. */
      row[x] = (guint32) (a * 255 + 0.5) << 24 | (guint32) (rgb[0] * a * 255 + 0.5) << 16 |
          (guint32) (rgb[1] * a * 255 + 0.5) << 8 | (guint32) (rgb[2] * a * 255 + 0.5);
    }
  }
  cairo_surface_mark_dirty (c.surface);
  {
    GstVideoOverlayRectangle *rect = canvas_to_rectangle (&c, (gint) vx0, (gint) vy0);

    gst_video_overlay_rectangle_set_render_rectangle (rect, (gint) vx0, (gint) vy0,
        (guint) (vx1 - vx0), (guint) (vy1 - vy0));
    add_rectangle (comp, rect);
  }
  canvas_clear (&c);
}

/* ------------------------------------------------------------------------------------ */

GstVideoOverlayComposition *
gst_cnn_draw_results (const GstCnnDrawStyle * style, GstBuffer * buf,
    const GstVideoInfo * info)
{
  gint frame_w = GST_VIDEO_INFO_WIDTH (info), frame_h = GST_VIDEO_INFO_HEIGHT (info);
  GstVideoOverlayComposition *comp = NULL;

  /* Heatmaps first, so that boxes, tags and the panel are drawn over them. */
  if (style->what & GST_CNN_DRAW_HEATMAP) {
    gpointer state = NULL;
    GstMeta *m;

    while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
                GST_CNN_CLASSIFICATION_META_API_TYPE)))
      draw_heatmap (style, (GstCnnClassificationMeta *) m, frame_w, frame_h, &comp);
  }
  if (style->what & GST_CNN_DRAW_REGIONS) {
    gpointer state = NULL;
    GstMeta *m;

    while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
                GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
      draw_region (style, buf, (GstVideoRegionOfInterestMeta *) m, frame_w, frame_h,
          &comp);
  }
  if (style->what & GST_CNN_DRAW_TOP_K) {
    GstCnnClassificationMeta *meta = gst_buffer_get_cnn_classification_meta (buf);

    if (meta != NULL)
      draw_top_k (style, meta, frame_w, frame_h, &comp);
  }
  return comp;
}
