/* gstcnnoverlay.c — cnnoverlay: draw classification results on the video.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-cnnoverlay
 * @title: cnnoverlay
 *
 * Draws what cnnclassify attached to each buffer: the frame's top-k classes with
 * confidence bars in a corner, every #GstVideoRegionOfInterestMeta as a box with the
 * labels classifiers gave it, and the class activation map as a heatmap when the meta
 * carries one. Text is laid out with Pango and drawn with Cairo.
 *
 * Like textoverlay, the drawing is a #GstVideoOverlayComposition: attached as a meta
 * when downstream says (in the allocation query) that it renders those, blended into the
 * frame otherwise. Blending touches only the pixels under what is drawn.
 *
 * Downstream elements that render the meta themselves can also say so in their caps,
 * with the `meta:GstVideoOverlayComposition` caps feature (as glimagesink does). Then
 * the video may be in any format and any memory (GL textures, DMABuf), which
 * cnnoverlay never maps: it only attaches the drawing. When downstream takes both,
 * plain system-memory caps are preferred and the allocation query decides, as above.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! cnnclassify model=mobilenetv2.onnx \
 *     labels=imagenet.txt ! cnnoverlay corner=top-right ! videoconvert ! autovideosink
 * ]|
 */

/* This file holds the GObject side; the drawing is in gstcnndraw.c. */

#include "gstcnnoverlay.h"

#include "gstcnndraw.h"

GST_DEBUG_CATEGORY_STATIC (gst_cnn_overlay_debug);
#define GST_CAT_DEFAULT gst_cnn_overlay_debug

#define DEFAULT_PROP_DRAW GST_CNN_DRAW_ALL
#define DEFAULT_PROP_FONT "Sans Bold 10"
#define DEFAULT_PROP_CORNER GST_CNN_CORNER_TOP_LEFT
#define DEFAULT_PROP_MAX_ENTRIES 5

enum
{
  PROP_0,
  PROP_DRAW,
  PROP_FONT,
  PROP_CORNER,
  PROP_MAX_ENTRIES,
};

struct _GstCnnOverlay
{
  GstVideoFilter parent;

  /* Properties, under the object lock. */
  GstCnnDrawWhat draw;
  gchar *font_name;
  PangoFontDescription *font;
  GstCnnCorner corner;
  guint max_entries;

  /* Streaming state: downstream renders GstVideoOverlayCompositionMeta itself. */
  gboolean attach;
  gint query_pending;           /* atomic: ask downstream again before the next frame */
  PangoContext *pango;          /* start() to stop(), used by the streaming thread */
};

/* The formats cnnclassify takes: gst_video_overlay_composition_blend() handles them all. */
#define VIDEO_FORMATS "{ RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR, " \
    "GRAY8, I420, NV12 }"

#define OVERLAY_FEATURE GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION

/* Blended: the formats above in system memory. Attached only: anything, in any memory,
 * with the overlay feature. */
#define OVERLAY_CAPS \
    GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS) "; " \
    GST_VIDEO_CAPS_MAKE_WITH_FEATURES ("ANY", GST_VIDEO_FORMATS_ALL)

static GstStaticPadTemplate gst_cnn_overlay_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (OVERLAY_CAPS));

static GstStaticPadTemplate gst_cnn_overlay_src_template =
GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (OVERLAY_CAPS));

G_DEFINE_TYPE (GstCnnOverlay, gst_cnn_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (cnnoverlay, "cnnoverlay", GST_RANK_NONE,
    GST_TYPE_CNN_OVERLAY);

static void
gst_cnn_overlay_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstCnnOverlay *self = GST_CNN_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DRAW:
      self->draw = g_value_get_flags (value);
      break;
    case PROP_FONT:{
      const gchar *name = g_value_get_string (value);

      g_free (self->font_name);
      self->font_name = g_strdup (name ? name : DEFAULT_PROP_FONT);
      pango_font_description_free (self->font);
      self->font = pango_font_description_from_string (self->font_name);
      break;
    }
    case PROP_CORNER:
      self->corner = g_value_get_enum (value);
      break;
    case PROP_MAX_ENTRIES:
      self->max_entries = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_cnn_overlay_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstCnnOverlay *self = GST_CNN_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DRAW:
      g_value_set_flags (value, self->draw);
      break;
    case PROP_FONT:
      g_value_set_string (value, self->font_name);
      break;
    case PROP_CORNER:
      g_value_set_enum (value, self->corner);
      break;
    case PROP_MAX_ENTRIES:
      g_value_set_uint (value, self->max_entries);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_cnn_overlay_finalize (GObject * object)
{
  GstCnnOverlay *self = GST_CNN_OVERLAY (object);

  g_free (self->font_name);
  pango_font_description_free (self->font);
  g_clear_object (&self->pango);
  G_OBJECT_CLASS (gst_cnn_overlay_parent_class)->finalize (object);
}

/* Whether downstream renders GstVideoOverlayCompositionMeta, as textoverlay asks: an
 * allocation query with the current caps. GstBaseTransform sends none for an element
 * that always works in place, so the element sends its own, after new caps and when
 * downstream asks for a reconfiguration. Caps with the overlay feature need no asking. */
static void
query_downstream (GstCnnOverlay * self)
{
  GstPad *srcpad = GST_BASE_TRANSFORM_SRC_PAD (self);
  GstCaps *caps = gst_pad_get_current_caps (srcpad);
  GstQuery *query;

  if (caps == NULL)
    return;
  if (gst_caps_features_contains (gst_caps_get_features (caps, 0), OVERLAY_FEATURE)) {
    self->attach = TRUE;
    GST_DEBUG_OBJECT (self, "overlay feature negotiated: attaching");
    gst_caps_unref (caps);
    return;
  }
  query = gst_query_new_allocation (caps, FALSE);
  self->attach = gst_pad_peer_query (srcpad, query) &&
      gst_query_find_allocation_meta (query, GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE,
      NULL);
  GST_DEBUG_OBJECT (self, "downstream %s overlay composition metas: %s",
      self->attach ? "renders" : "does not render",
      self->attach ? "attaching" : "blending");
  gst_query_unref (query);
  gst_caps_unref (caps);
}

/* Plain system memory in a format blending handles. */
static gboolean
blendable (const GstStructure * s, GstCapsFeatures * f)
{
  static GstStaticCaps blend_caps = GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS));
  GstCaps *one, *blend;
  gboolean ok;

  if (!gst_caps_features_is_equal (f, GST_CAPS_FEATURES_MEMORY_SYSTEM_MEMORY))
    return FALSE;
  one = gst_caps_new_full (gst_structure_copy (s), NULL);
  blend = gst_static_caps_get (&blend_caps);
  ok = gst_caps_can_intersect (one, blend);
  gst_caps_unref (blend);
  gst_caps_unref (one);
  return ok;
}

/* @caps with structure @s merged in, its features @f plus or minus the overlay feature. */
static GstCaps *
merge_with_features (GstCaps * caps, const GstStructure * s, GstCapsFeatures * f,
    const gchar * add, const gchar * remove)
{
  GstCapsFeatures *copy = gst_caps_features_copy (f);

  if (add != NULL && !gst_caps_features_contains (copy, add))
    gst_caps_features_add (copy, add);
  if (remove != NULL)
    gst_caps_features_remove (copy, remove);
  /* Removing the only feature leaves none: plain system memory. */
  if (!gst_caps_features_is_any (copy) && gst_caps_features_get_size (copy) == 0)
    gst_caps_features_add (copy, GST_CAPS_FEATURE_MEMORY_SYSTEM_MEMORY);
  return gst_caps_merge_structure_full (caps, gst_structure_copy (s), copy);
}

/* Video goes through in place: only the overlay feature may change between the pads.
 * Upstream caps without it go downstream as they are (if blending can handle them) and
 * with it; caps with it stay as they are (the drawing is attached whatever downstream
 * said). Backwards, downstream caps with the feature come from upstream caps with or
 * without it, plain ones only from plain blendable ones. */
static GstCaps *
gst_cnn_overlay_transform_caps (GstBaseTransform * trans, GstPadDirection direction,
    GstCaps * caps, GstCaps * filter)
{
  GstCaps *result = gst_caps_new_empty ();
  guint i;

  for (i = 0; i < gst_caps_get_size (caps); i++) {
    const GstStructure *s = gst_caps_get_structure (caps, i);
    GstCapsFeatures *f = gst_caps_get_features (caps, i);

    if (gst_caps_features_is_any (f)) {
      result = merge_with_features (result, s, f, NULL, NULL);
    } else if (gst_caps_features_contains (f, OVERLAY_FEATURE)) {
      result = merge_with_features (result, s, f, NULL, NULL);
      if (direction == GST_PAD_SRC)
        result = merge_with_features (result, s, f, NULL, OVERLAY_FEATURE);
    } else if (blendable (s, f)) {
      result = merge_with_features (result, s, f, NULL, NULL);
      if (direction == GST_PAD_SINK)
        result = merge_with_features (result, s, f, OVERLAY_FEATURE, NULL);
    } else if (direction == GST_PAD_SINK) {
      result = merge_with_features (result, s, f, OVERLAY_FEATURE, NULL);
    }
  }
  if (filter != NULL) {
    GstCaps *both = gst_caps_intersect_full (filter, result, GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (result);
    result = both;
  }
  GST_LOG_OBJECT (trans, "%s caps %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      direction == GST_PAD_SINK ? "sink" : "src", caps, result);
  return result;
}

/* Downstream taking the same caps with and without the feature (a fakesink, an
 * appsink) gets them without, as before the feature existed: the allocation query then
 * decides between attaching and blending. */
static GstCaps *
gst_cnn_overlay_fixate_caps (GstBaseTransform * trans, GstPadDirection direction,
    GstCaps * caps, GstCaps * othercaps)
{
  guint i;

  if (direction == GST_PAD_SINK) {
    for (i = 0; i < gst_caps_get_size (othercaps); i++) {
      GstCapsFeatures *f = gst_caps_get_features (othercaps, i);

      if (!gst_caps_features_is_any (f) && !gst_caps_features_contains (f, OVERLAY_FEATURE)) {
        GstCaps *plain = gst_caps_copy_nth (othercaps, i);

        gst_caps_unref (othercaps);
        othercaps = plain;
        break;
      }
    }
  }
  return GST_BASE_TRANSFORM_CLASS (gst_cnn_overlay_parent_class)->fixate_caps (trans,
      direction, caps, othercaps);
}

static gboolean
gst_cnn_overlay_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  g_atomic_int_set (&GST_CNN_OVERLAY (filter)->query_pending, TRUE);
  return TRUE;
}

static gboolean
gst_cnn_overlay_src_event (GstBaseTransform * trans, GstEvent * event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_RECONFIGURE)
    g_atomic_int_set (&GST_CNN_OVERLAY (trans)->query_pending, TRUE);
  return GST_BASE_TRANSFORM_CLASS (gst_cnn_overlay_parent_class)->src_event (trans,
      event);
}

static gboolean
gst_cnn_overlay_start (GstBaseTransform * trans)
{
  GstCnnOverlay *self = GST_CNN_OVERLAY (trans);

  g_clear_object (&self->pango);
  self->pango = gst_cnn_draw_pango_context_new ();
  return TRUE;
}

static gboolean
gst_cnn_overlay_stop (GstBaseTransform * trans)
{
  g_clear_object (&GST_CNN_OVERLAY (trans)->pango);
  GST_CNN_OVERLAY (trans)->attach = FALSE;
  g_atomic_int_set (&GST_CNN_OVERLAY (trans)->query_pending, TRUE);
  return TRUE;
}

static GstFlowReturn
gst_cnn_overlay_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstCnnOverlay *self = GST_CNN_OVERLAY (trans);
  GstVideoFilter *filter = GST_VIDEO_FILTER (trans);
  GstVideoOverlayComposition *comp;
  GstCnnDrawStyle style;
  PangoFontDescription *font;
  GstVideoFrame frame;

  if (G_UNLIKELY (!filter->negotiated)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL), ("no caps negotiated"));
    return GST_FLOW_NOT_NEGOTIATED;
  }

  if (g_atomic_int_compare_and_exchange (&self->query_pending, TRUE, FALSE))
    query_downstream (self);

  GST_OBJECT_LOCK (self);
  style.what = self->draw;
  style.corner = self->corner;
  style.max_entries = self->max_entries;
  font = pango_font_description_copy (self->font);
  GST_OBJECT_UNLOCK (self);
  style.font = font;
  style.pango = self->pango;

  comp = gst_cnn_draw_results (&style, buf, &filter->in_info);
  pango_font_description_free (font);
  if (comp == NULL)
    return GST_FLOW_OK;

  if (self->attach) {
    gst_buffer_add_video_overlay_composition_meta (buf, comp);
  } else if (gst_video_frame_map (&frame, &filter->in_info, buf, GST_MAP_READWRITE)) {
    gst_video_overlay_composition_blend (comp, &frame);
    gst_video_frame_unmap (&frame);
  } else {
    GST_ELEMENT_WARNING (self, STREAM, FAILED, (NULL),
        ("invalid video buffer received, passing it on without the overlay"));
  }
  gst_video_overlay_composition_unref (comp);
  return GST_FLOW_OK;
}

static void
gst_cnn_overlay_class_init (GstCnnOverlayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;

  GST_DEBUG_CATEGORY_INIT (gst_cnn_overlay_debug, "cnnoverlay", 0,
      "Draws CNN classification results");

  gobject_class->set_property = gst_cnn_overlay_set_property;
  gobject_class->get_property = gst_cnn_overlay_get_property;
  gobject_class->finalize = gst_cnn_overlay_finalize;

  g_object_class_install_property (gobject_class, PROP_DRAW,
      g_param_spec_flags ("draw", "Draw", "What to draw", GST_TYPE_CNN_DRAW_WHAT,
          DEFAULT_PROP_DRAW, rw));
  g_object_class_install_property (gobject_class, PROP_FONT,
      g_param_spec_string ("font", "Font",
          "Pango font description of the text, e.g. \"Sans Bold 14\"",
          DEFAULT_PROP_FONT, rw));
  g_object_class_install_property (gobject_class, PROP_CORNER,
      g_param_spec_enum ("corner", "Corner", "Where the frame's top-k panel goes",
          GST_TYPE_CNN_CORNER, DEFAULT_PROP_CORNER, rw));
  g_object_class_install_property (gobject_class, PROP_MAX_ENTRIES,
      g_param_spec_uint ("max-entries", "Maximum entries",
          "At most this many of the frame's classes are listed", 1, 100,
          DEFAULT_PROP_MAX_ENTRIES, rw));

  gst_element_class_set_static_metadata (element_class,
      "CNN classification overlay", "Filter/Editor/Video",
      "Draws the classifications, region labels and activation maps that cnnclassify "
      "attached to each frame", "gst-cnn authors");
  gst_element_class_add_static_pad_template (element_class,
      &gst_cnn_overlay_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &gst_cnn_overlay_src_template);

  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_cnn_overlay_src_event);
  trans_class->start = GST_DEBUG_FUNCPTR (gst_cnn_overlay_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_cnn_overlay_stop);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_cnn_overlay_transform_ip);
  trans_class->transform_caps = GST_DEBUG_FUNCPTR (gst_cnn_overlay_transform_caps);
  trans_class->fixate_caps = GST_DEBUG_FUNCPTR (gst_cnn_overlay_fixate_caps);
  GST_VIDEO_FILTER_CLASS (klass)->set_info = GST_DEBUG_FUNCPTR (gst_cnn_overlay_set_info);

  gst_type_mark_as_plugin_api (GST_TYPE_CNN_DRAW_WHAT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_CNN_CORNER, 0);
}

static void
gst_cnn_overlay_init (GstCnnOverlay * self)
{
  self->draw = DEFAULT_PROP_DRAW;
  self->font_name = g_strdup (DEFAULT_PROP_FONT);
  self->font = pango_font_description_from_string (self->font_name);
  self->corner = DEFAULT_PROP_CORNER;
  self->max_entries = DEFAULT_PROP_MAX_ENTRIES;
  self->query_pending = TRUE;
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
