/* gstcnnmodelio.h — the forms of model input and output cnnclassify accepts, and the
 * buffers between the preprocessed frame and the model.
 *
 * Input 0 must be one image tensor: [1, C, H, W] (NCHW, PyTorch and most exporters) or
 * [1, H, W, C] (NHWC, Keras/TensorFlow through tf2onnx), C = 1 or 3, told apart by where
 * the 1 or 3 is; float32, or uint8 (fed the raw 0-255 pixel values: such models normalise
 * inside, so value-range, mean and std do not apply). Dynamic height and width take the `input-size` property,
 * else the model's `cnn.input_size` metadata ("WxH"), else GST_CNN_DYNAMIC_INPUT_SIZE
 * with a GST_ELEMENT_WARNING naming the property. The class vector is the output named by
 * `output-name`, else the first output of the form [K], [1, K] or [1, K, 1, 1].
 *
 * Preprocessing always writes NCHW floats; gst_cnn_model_io_feed() transposes them into
 * an NHWC model's layout and rounds them to bytes for a uint8 model.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_CNN_MODEL_IO_H
#define GST_CNN_MODEL_IO_H

#include <gst/gst.h>

#include <cnn/cnn.h>

#include "preprocess.h"

G_BEGIN_DECLS

/* Input size used when the model leaves height or width dynamic and neither the
 * input-size property nor the cnn.input_size metadata gives one. */
#define GST_CNN_DYNAMIC_INPUT_SIZE 224

typedef enum
{
  GST_CNN_LAYOUT_NCHW,
  GST_CNN_LAYOUT_NHWC,
} GstCnnLayout;

typedef struct
{
  GstCnnLayout layout;
  cnn_dtype dtype;              /* float32 or uint8 */
  gint channels, height, width;
  gboolean dynamic;             /* the model leaves height or width open */
  gint max_width;               /* keep-aspect-ratio: the widest input (the size's width) */
  gsize output;                 /* index of the class-vector output */
  gsize n_classes;
  gfloat *nchw;                 /* what preprocessing writes: channels × height × width */
  gfloat *nhwc;                 /* the transposed copy for NHWC models, else NULL */
  guint8 *bytes;                /* the model's input for uint8 models, else NULL */
  gpointer *outputs;            /* one buffer per model output; the class vector's is set
                                 * by the caller (the results' scores) */
  gsize n_outputs;
} GstCnnModelIO;

/* Parses "WxH" (e.g. "320x48"): both in 1..16384. FALSE for anything else. */
gboolean gst_cnn_parse_input_size (const gchar * str, gint * width, gint * height);

/* Checks input 0 of @model and fixes its shape (dynamic dims from @input_size, a "WxH"
 * property value or NULL, then the metadata, then the default). FALSE after an element
 * error. */
gboolean gst_cnn_model_io_check_input (GstCnnModelIO * io, GstElement * element,
    cnn_model * model, const gchar * source, const gchar * input_size);

/* After prepare: picks the class-vector output (@output_name, or NULL for the first one
 * that is a class vector) and allocates the tensor and the other outputs' buffers. FALSE
 * after an element error. */
gboolean gst_cnn_model_io_check_output (GstCnnModelIO * io, GstElement * element,
    const cnn_model * model, const gchar * source, const gchar * output_name);

/* keep-aspect-ratio: the input width that keeps a frame of @frame_w × @frame_h (display
 * pixels) undistorted at the model's height, within 1 .. io->max_width. */
gint gst_cnn_model_io_aspect_width (const GstCnnModelIO * io, gdouble frame_w,
    gdouble frame_h);

/* Re-prepares @model at @width (same height) and resizes the buffers, without reloading.
 * The class count must stay the same. FALSE after an element error (the model is then
 * unusable). */
gboolean gst_cnn_model_io_set_width (GstCnnModelIO * io, GstElement * element,
    cnn_model * model, const gchar * source, gint width);

/* What the model's input type needs of the preprocessing parameters: uint8 models get the
 * pixel values 0-255 unchanged (value range 0,255, mean 0, std 1). */
void gst_cnn_model_io_adjust_params (const GstCnnModelIO * io,
    GstCnnPreprocessParams * params);

/* Floats in the NCHW tensor at the model's current input size. */
gsize gst_cnn_model_io_tensor_len (const GstCnnModelIO * io);

/* The model's input for @nchw, a preprocessed NCHW tensor (io->nchw, or another buffer of
 * gst_cnn_model_io_tensor_len() floats, as the async worker's). */
const void *gst_cnn_model_io_feed (GstCnnModelIO * io, const gfloat * nchw);

/* Runs @model on @nchw, the class vector into @scores and the other outputs into io's
 * buffers. Only one thread at a time: the streaming thread, or the async worker. */
cnn_status gst_cnn_model_io_run (GstCnnModelIO * io, cnn_model * model,
    const gfloat * nchw, gfloat * scores, cnn_error * err);

void gst_cnn_model_io_clear (GstCnnModelIO * io);

G_END_DECLS

#endif /* GST_CNN_MODEL_IO_H */
