/* gstcnnsettings.h — what cnnclassify's settings mean, and what the model says.
 *
 * The element's property values and the model's ONNX metadata (`cnn.*` keys) both feed
 * the same settings; a property that was set wins over the metadata, which wins over the
 * plain default. This file holds that side of the element, apart from its GObject code:
 *
 *   - the enum GTypes of the properties (gst-inspect shows their nicks),
 *   - parsing of the property strings (float lists, channel lists, ranges, enum nicks),
 *   - reading the `cnn.*` metadata defaults and the model name,
 *   - resolving property / metadata / default into preprocessing parameters,
 *   - loading the labels.
 *
 * Which model inputs and outputs the element accepts is gstcnnmodelio.c's concern.
 *
 * Problems are reported on @element (GST_ELEMENT_ERROR / GST_ELEMENT_WARNING), with
 * @source, the model's path, in the message.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_CNN_SETTINGS_H
#define GST_CNN_SETTINGS_H

#include <gst/gst.h>

#include <cnn/cnn.h>

#include "preprocess.h"

G_BEGIN_DECLS

/* How scores become confidences. */
typedef enum
{
  GST_CNN_OUTPUT_AUTO,
  GST_CNN_OUTPUT_NONE,
  GST_CNN_OUTPUT_SOFTMAX,
  GST_CNN_OUTPUT_SIGMOID,
} GstCnnOutputActivation;

#define GST_TYPE_CNN_COLOR_ORDER (gst_cnn_color_order_get_type ())
GType gst_cnn_color_order_get_type (void);

#define GST_TYPE_CNN_RESIZE_MODE (gst_cnn_resize_mode_get_type ())
GType gst_cnn_resize_mode_get_type (void);

/* The arithmetic of convolutions and dense layers; values are the core's cnn_precision. */
typedef enum
{
  GST_CNN_PRECISION_FP32 = CNN_PRECISION_FP32,
  GST_CNN_PRECISION_BF16 = CNN_PRECISION_BF16,
} GstCnnPrecision;

#define GST_TYPE_CNN_PRECISION (gst_cnn_precision_get_type ())
GType gst_cnn_precision_get_type (void);

#define GST_TYPE_CNN_OUTPUT_ACTIVATION (gst_cnn_output_activation_get_type ())
GType gst_cnn_output_activation_get_type (void);

/* Used when neither a property nor the model's metadata gives a value. */
#define GST_CNN_DEFAULT_OUTPUT GST_CNN_OUTPUT_AUTO
#define GST_CNN_DEFAULT_COLOR_ORDER GST_CNN_COLOR_ORDER_RGB
#define GST_CNN_DEFAULT_RESIZE_MODE GST_CNN_RESIZE_MODE_STRETCH
#define GST_CNN_DEFAULT_PAD_VALUE 0

typedef enum
{
  GST_CNN_SETTING_OUTPUT = 1 << 0,
  GST_CNN_SETTING_COLOR_ORDER = 1 << 1,
  GST_CNN_SETTING_RESIZE_MODE = 1 << 2,
  GST_CNN_SETTING_PAD_VALUE = 1 << 3,
  GST_CNN_SETTING_VALUE_RANGE = 1 << 4,
  GST_CNN_SETTING_MEAN = 1 << 5,
  GST_CNN_SETTING_STD = 1 << 6,
} GstCnnSettingFlags;

/* The settings that a property or the model's metadata may give. A value counts only
 * where its flag is in @given: the element keeps one of these for what the user set and
 * one for what the model's metadata says. */
typedef struct
{
  GstCnnSettingFlags given;
  GstCnnOutputActivation output;
  GstCnnColorOrder color_order;
  GstCnnResizeMode resize_mode;
  guint pad_value;
  gfloat range[2];
  gfloat mean[3];
  gfloat std[3];
} GstCnnSettings;

/* Nothing given; the values are the plain defaults. */
void gst_cnn_settings_init (GstCnnSettings * s);

/* Sets the value-range, mean or std list (@which) from a property string and gives
 * *@canonical the canonical form of it ("0.5" stays one value, "1,2,3" three). NULL or ""
 * unsets it (*@canonical becomes NULL). FALSE for an invalid string: nothing changes. */
gboolean gst_cnn_settings_set_list (GstCnnSettings * s, GstCnnSettingFlags which,
    const gchar * str, gchar ** canonical);

/* The settings in @model's `cnn.*` metadata; invalid values are warned about on @element
 * and left out. */
void gst_cnn_settings_read_metadata (GstCnnSettings * s, GstElement * element,
    const cnn_model * model, const gchar * source);

/* For each setting: @props if given there, else @metadata, else the plain default. */
void gst_cnn_settings_resolve_preprocess (const GstCnnSettings * props,
    const GstCnnSettings * metadata, GstCnnPreprocessParams * params);
GstCnnOutputActivation gst_cnn_settings_resolve_output (const GstCnnSettings * props,
    const GstCnnSettings * metadata);

/* `cnn.model_name` metadata, else the file name of @path without ".onnx". */
gchar *gst_cnn_model_name (const cnn_model * model, const gchar * path);

/* @n_classes labels (a NULL-terminated array) from the file at @labels_path, else from
 * the `cnn.labels` metadata; classes without one are named by their number. NULL after
 * an element error (the labels file cannot be read). */
gchar **gst_cnn_load_labels (GstElement * element, const cnn_model * model,
    const gchar * source, const gchar * labels_path, gsize n_classes);

G_END_DECLS

#endif /* GST_CNN_SETTINGS_H */
