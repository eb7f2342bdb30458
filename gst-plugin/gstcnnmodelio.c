/* gstcnnmodelio.c — which model inputs and outputs cnnclassify accepts, the size a dynamic
 * model runs at, and the buffers around the model (see gstcnnmodelio.h).
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstcnnmodelio.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

GST_DEBUG_CATEGORY_EXTERN (gst_cnn_classify_debug);
#define GST_CAT_DEFAULT gst_cnn_classify_debug

#define ACCEPTED_INPUTS "an image [1, C, H, W] or [1, H, W, C] with C = 1 or 3, float32 " \
  "or uint8"
#define ACCEPTED_OUTPUTS "a class vector [K], [1, K] or [1, K, 1, 1]"

/* The error of both checks; takes @reason. */
static gboolean
not_a_classifier (GstElement * element, const gchar * source, gchar * reason)
{
  GST_ELEMENT_ERROR (element, LIBRARY, SETTINGS,
      ("Model \"%s\" is not an image classifier: %s.", source, reason), (NULL));
  g_free (reason);
  return FALSE;
}

gboolean
gst_cnn_parse_input_size (const gchar * str, gint * width, gint * height)
{
  gchar *end;
  guint64 w, h;

  if (str == NULL || !g_ascii_isdigit (str[0]))
    return FALSE;
  w = g_ascii_strtoull (str, &end, 10);
  if (*end != 'x' || !g_ascii_isdigit (end[1]))
    return FALSE;
  h = g_ascii_strtoull (end + 1, &end, 10);
  if (*end != '\0' || w < 1 || h < 1 || w > 16384 || h > 16384)
    return FALSE;
  *width = (gint) w;
  *height = (gint) h;
  return TRUE;
}

/* The size a model with dynamic height or width runs at: the property, else the metadata,
 * else the default with a warning that says how to choose. */
static void
dynamic_size (GstElement * element, const cnn_model * model, const gchar * source,
    const gchar * input_size, const gchar * shape, gint * width, gint * height)
{
  const gchar *md = cnn_model_metadata (model, "cnn.input_size");

  if (input_size != NULL && gst_cnn_parse_input_size (input_size, width, height))
    return;
  if (md != NULL) {
    if (gst_cnn_parse_input_size (md, width, height))
      return;
    GST_ELEMENT_WARNING (element, LIBRARY, SETTINGS,
        ("Model \"%s\": ignoring invalid cnn.input_size metadata \"%s\" (expected \"WxH\").",
            source, md), (NULL));
  }
  *width = *height = GST_CNN_DYNAMIC_INPUT_SIZE;
  GST_ELEMENT_WARNING (element, LIBRARY, SETTINGS,
      ("Model \"%s\" has a dynamic input size %s and no size was given: running it at "
          "%dx%d. Set the \"input-size\" property (\"WxH\") or the model's cnn.input_size "
          "metadata to the size it was trained at.", source, shape, *width, *height),
      (NULL));
}

gboolean
gst_cnn_model_io_check_input (GstCnnModelIO * io, GstElement * element, cnn_model * model,
    const gchar * source, const gchar * input_size)
{
  cnn_tensor_info info;
  int64_t dims[4];
  gchar shape[160], *reason = NULL;
  cnn_error err;
  gint c_axis, h_axis, w_axis, width = 0, height = 0;

  if (cnn_model_input_count (model) != 1) {
    reason = g_strdup_printf ("it has %" G_GSIZE_FORMAT " inputs, expected one image",
        cnn_model_input_count (model));
    goto error;
  }
  if (cnn_model_input_info (model, 0, &info) != CNN_STATUS_OK) {
    reason = g_strdup ("its input cannot be queried");
    goto error;
  }
  cnn_format_dims (shape, sizeof (shape), info.rank, info.dims);
  if (info.dtype != CNN_DTYPE_FLOAT32 && info.dtype != CNN_DTYPE_UINT8) {
    reason = g_strdup_printf ("input \"%s\" is %s, expected float32 or uint8", info.name,
        cnn_dtype_string (info.dtype));
    goto error;
  }
  io->dtype = info.dtype;
  if (info.rank == 4 && (info.dims[0] == 1 || info.dims[0] == -1)
      && (info.dims[1] == 1 || info.dims[1] == 3)) {
    io->layout = GST_CNN_LAYOUT_NCHW;
    c_axis = 1, h_axis = 2, w_axis = 3;
  } else if (info.rank == 4 && (info.dims[0] == 1 || info.dims[0] == -1)
      && (info.dims[3] == 1 || info.dims[3] == 3)) {
    io->layout = GST_CNN_LAYOUT_NHWC;
    c_axis = 3, h_axis = 1, w_axis = 2;
  } else {
    reason = g_strdup_printf ("input \"%s\" has shape %s, expected " ACCEPTED_INPUTS,
        info.name, shape);
    goto error;
  }

  memcpy (dims, info.dims, sizeof (dims));
  dims[0] = 1;
  io->dynamic = dims[h_axis] < 0 || dims[w_axis] < 0;
  if (io->dynamic) {
    dynamic_size (element, model, source, input_size, shape, &width, &height);
    if (dims[h_axis] < 0)
      dims[h_axis] = height;
    if (dims[w_axis] < 0)
      dims[w_axis] = width;
  } else if (input_size != NULL && gst_cnn_parse_input_size (input_size, &width, &height)
      && (width != dims[w_axis] || height != dims[h_axis])) {
    GST_ELEMENT_WARNING (element, LIBRARY, SETTINGS,
        ("Model \"%s\" takes a fixed input %s: ignoring input-size %s.", source, shape,
            input_size), (NULL));
  }
  if (dims[h_axis] > G_MAXINT / 4 || dims[w_axis] > G_MAXINT / 4) {
    reason = g_strdup_printf ("input \"%s\" has shape %s, too large", info.name, shape);
    goto error;
  }
  if (cnn_model_set_input_shape (model, 0, 4, dims, &err) != CNN_STATUS_OK) {
    reason = g_strdup (err.message);
    goto error;
  }
  io->channels = (gint) dims[c_axis];
  io->height = (gint) dims[h_axis];
  io->width = (gint) dims[w_axis];
  GST_INFO_OBJECT (element, "input %s %s as %s, %dx%dx%d", cnn_dtype_string (io->dtype),
      shape, io->layout == GST_CNN_LAYOUT_NCHW ? "NCHW" : "NHWC", io->channels, io->height,
      io->width);
  return TRUE;

error:
  return not_a_classifier (element, source, reason);
}

/* K if @info is a float32 class vector, else 0. */
static gsize
class_count (const cnn_tensor_info * info)
{
  int64_t k = -1;

  if (info->dtype != CNN_DTYPE_FLOAT32)
    return 0;
  if (info->rank == 1)
    k = info->dims[0];
  else if (info->rank == 2 && info->dims[0] == 1)
    k = info->dims[1];
  else if (info->rank == 4 && info->dims[0] == 1 && info->dims[2] == 1 && info->dims[3] == 1)
    k = info->dims[1];
  return k >= 1 && k <= G_MAXINT ? (gsize) k : 0;
}

static gchar *
describe_output (const cnn_tensor_info * info)
{
  gchar shape[160];

  cnn_format_dims (shape, sizeof (shape), info->rank, info->dims);
  return g_strdup_printf ("\"%s\" %s %s", info->name, cnn_dtype_string (info->dtype), shape);
}

/* "\"a\" float32 [1, 8], \"b\" ..." for messages. */
static gchar *
describe_outputs (const cnn_model * model)
{
  GString *s = g_string_new (NULL);
  gsize i;

  for (i = 0; i < cnn_model_output_count (model); i++) {
    cnn_tensor_info info;
    gchar *one;

    if (cnn_model_output_info (model, i, &info) != CNN_STATUS_OK)
      continue;
    one = describe_output (&info);
    g_string_append_printf (s, "%s%s", i > 0 ? ", " : "", one);
    g_free (one);
  }
  return g_string_free (s, FALSE);
}

/* The tensor buffers for the current size and the buffers of the outputs other than the
 * class vector, (re)allocated. */
static gboolean
alloc_buffers (GstCnnModelIO * io, const cnn_model * model)
{
  gsize elements = (gsize) io->channels * io->height * io->width, i;
  cnn_tensor_info info;

  g_free (io->nchw);
  g_free (io->nhwc);
  g_free (io->bytes);
  io->nhwc = NULL;
  io->bytes = NULL;
  io->nchw = g_try_new0 (gfloat, elements);   /* warm-up runs read it before a frame */
  if (io->layout == GST_CNN_LAYOUT_NHWC)
    io->nhwc = g_try_new (gfloat, elements);
  if (io->dtype == CNN_DTYPE_UINT8)
    io->bytes = g_try_new (guint8, elements);
  if (io->nchw == NULL || (io->layout == GST_CNN_LAYOUT_NHWC && io->nhwc == NULL)
      || (io->dtype == CNN_DTYPE_UINT8 && io->bytes == NULL))
    return FALSE;
  for (i = 0; i < io->n_outputs; i++) {
    gsize bytes;
    gint d;

    if (i == io->output || cnn_model_output_info (model, i, &info) != CNN_STATUS_OK)
      continue;
    bytes = cnn_dtype_size (info.dtype);
    for (d = 0; d < info.rank; d++)
      bytes *= (gsize) info.dims[d];
    g_free (io->outputs[i]);
    if ((io->outputs[i] = g_try_malloc (MAX (bytes, 1))) == NULL)
      return FALSE;
  }
  return TRUE;
}

gboolean
gst_cnn_model_io_check_output (GstCnnModelIO * io, GstElement * element,
    const cnn_model * model, const gchar * source, const gchar * output_name)
{
  gsize n = cnn_model_output_count (model), i, found = n, k = 0;
  cnn_tensor_info info;
  gchar *reason = NULL, *all;

  for (i = 0; i < n && found == n; i++) {
    if (cnn_model_output_info (model, i, &info) != CNN_STATUS_OK)
      continue;
    if (output_name != NULL && *output_name != '\0') {
      if (strcmp (info.name, output_name) != 0)
        continue;
      found = i;
      if ((k = class_count (&info)) == 0) {
        gchar *one = describe_output (&info);
        reason = g_strdup_printf ("output-name selects %s, expected " ACCEPTED_OUTPUTS, one);
        g_free (one);
        goto error;
      }
    } else if ((k = class_count (&info)) > 0) {
      found = i;
    }
  }
  if (found == n) {
    all = describe_outputs (model);
    if (output_name != NULL && *output_name != '\0')
      reason = g_strdup_printf ("it has no output named \"%s\" (outputs: %s)", output_name,
          all);
    else
      reason = g_strdup_printf ("no output is " ACCEPTED_OUTPUTS " (outputs: %s)", all);
    g_free (all);
    goto error;
  }
  if (n > 1) {
    cnn_model_output_info (model, found, &info);
    GST_INFO_OBJECT (element, "model has %" G_GSIZE_FORMAT " outputs, using \"%s\"", n,
        info.name);
  }
  io->output = found;
  io->n_classes = k;

  io->n_outputs = n;
  io->outputs = g_try_new0 (gpointer, n);
  if (io->outputs == NULL || !alloc_buffers (io, model))
    goto oom;
  return TRUE;

oom:
  GST_ELEMENT_ERROR (element, RESOURCE, FAILED,
      ("Out of memory for model \"%s\".", source), (NULL));
  return FALSE;

error:
  return not_a_classifier (element, source, reason);
}

gint
gst_cnn_model_io_aspect_width (const GstCnnModelIO * io, gdouble frame_w, gdouble frame_h)
{
  gdouble w = frame_h > 0 ? io->height * frame_w / frame_h : io->max_width;

  return (gint) CLAMP (lround (w), 1, io->max_width);
}

gboolean
gst_cnn_model_io_set_width (GstCnnModelIO * io, GstElement * element, cnn_model * model,
    const gchar * source, gint width)
{
  cnn_tensor_info info;
  int64_t dims[4] = { 1, 0, 0, 0 };
  cnn_error err;
  gint c_axis = io->layout == GST_CNN_LAYOUT_NCHW ? 1 : 3;
  gint h_axis = io->layout == GST_CNN_LAYOUT_NCHW ? 2 : 1;
  gint w_axis = io->layout == GST_CNN_LAYOUT_NCHW ? 3 : 2;
  gsize k;

  dims[c_axis] = io->channels;
  dims[h_axis] = io->height;
  dims[w_axis] = width;
  if (cnn_model_set_input_shape (model, 0, 4, dims, &err) != CNN_STATUS_OK
      || cnn_model_prepare (model, &err) != CNN_STATUS_OK) {
    GST_ELEMENT_ERROR (element, LIBRARY, SETTINGS,
        ("Could not prepare model \"%s\" at %dx%d for the frame's aspect ratio.", source,
            width, io->height), ("%s", err.message));
    return FALSE;
  }
  cnn_model_output_info (model, io->output, &info);
  if ((k = class_count (&info)) != io->n_classes) {
    GST_ELEMENT_ERROR (element, LIBRARY, SETTINGS,
        ("Model \"%s\" gives %" G_GSIZE_FORMAT " classes at %dx%d but %" G_GSIZE_FORMAT
            " at %dx%d: keep-aspect-ratio needs a model whose output does not depend on "
            "the input size (global pooling).", source, k, width, io->height, io->n_classes,
            io->width, io->height), (NULL));
    return FALSE;
  }
  io->width = width;
  if (!alloc_buffers (io, model)) {
    GST_ELEMENT_ERROR (element, RESOURCE, FAILED,
        ("Out of memory for model \"%s\".", source), (NULL));
    return FALSE;
  }
  return TRUE;
}

void
gst_cnn_model_io_adjust_params (const GstCnnModelIO * io, GstCnnPreprocessParams * params)
{
  gint c;

  if (io->dtype != CNN_DTYPE_UINT8)
    return;
  params->range_lo = 0.0f;
  params->range_hi = 255.0f;
  for (c = 0; c < 3; c++) {
    params->mean[c] = 0.0f;
    params->std[c] = 1.0f;
  }
}

/* The transposed (NHWC) or plain (NCHW) floats as the model's input. */
static const gfloat *
layout_floats (GstCnnModelIO * io, const gfloat * nchw)
{
  gint c, y, x;
  const gint C = io->channels, HW = io->height * io->width;

  if (io->layout == GST_CNN_LAYOUT_NCHW)
    return nchw;
  for (c = 0; c < C; c++) {
    const gfloat *plane = nchw + (gsize) c * HW;

    for (y = 0; y < io->height; y++)
      for (x = 0; x < io->width; x++) {
        gsize p = (gsize) y * io->width + x;

        io->nhwc[p * C + c] = plane[p];
      }
  }
  return io->nhwc;
}

gsize
gst_cnn_model_io_tensor_len (const GstCnnModelIO * io)
{
  return (gsize) io->channels * io->height * io->width;
}

const void *
gst_cnn_model_io_feed (GstCnnModelIO * io, const gfloat * nchw)
{
  const gfloat *f = layout_floats (io, nchw);
  gsize i, n = gst_cnn_model_io_tensor_len (io);

  if (io->dtype != CNN_DTYPE_UINT8)
    return f;
  /* Values are 0..255 (adjust_params), up to bilinear rounding: round and clamp. */
  for (i = 0; i < n; i++) {
    gfloat v = f[i] + 0.5f;
    io->bytes[i] = v <= 0.0f ? 0 : v >= 255.0f ? 255 : (guint8) v;
  }
  return io->bytes;
}

cnn_status
gst_cnn_model_io_run (GstCnnModelIO * io, cnn_model * model, const gfloat * nchw,
    gfloat * scores, cnn_error * err)
{
  const void *inputs[1] = { gst_cnn_model_io_feed (io, nchw) };

  io->outputs[io->output] = scores;
  return cnn_model_run (model, inputs, io->outputs, err);
}

void
gst_cnn_model_io_clear (GstCnnModelIO * io)
{
  gsize i;

  if (io->outputs != NULL)
    for (i = 0; i < io->n_outputs; i++)
      if (i != io->output)
        g_free (io->outputs[i]);
  g_free (io->outputs);
  g_free (io->nchw);
  g_free (io->nhwc);
  g_free (io->bytes);
  memset (io, 0, sizeof (*io));
}
