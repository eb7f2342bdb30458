/* gstcnnclassifymodel.c — cnnclassify's model state: load and check the model at start,
 * warm it up, size what depends on the frame, and swap in a model loaded while running.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstcnnclassifyprivate.h"

#define GST_CAT_DEFAULT gst_cnn_classify_debug

void
gst_cnn_classify_free_model (GstCnnClassify * self)
{
  /* First: the worker runs the model. */
  g_clear_pointer (&self->worker, gst_cnn_worker_free);
  g_clear_pointer (&self->model, cnn_model_destroy);
  g_clear_pointer (&self->model_source, g_free);
  gst_cnn_model_io_clear (&self->io);
  gst_cnn_results_clear (&self->results);
  gst_cnn_preprocess_clear (&self->pre);
  gst_cnn_regions_clear (&self->regions);
  gst_cnn_cam_clear (&self->cam);
  gst_cnn_settings_init (&self->metadata);
}

/* Two runs on a blank tensor (the first one pays for cold caches): the second is what
 * the latency query announces before the first frame. */
static gboolean
warm_up (GstCnnClassify * self)
{
  cnn_error err;
  cnn_status status;
  gint64 t0 = 0;
  gint i;

  for (i = 0, status = CNN_STATUS_OK; i < 2 && status == CNN_STATUS_OK; i++) {
    t0 = g_get_monotonic_time ();
    status = gst_cnn_model_io_run (&self->io, self->model, self->io.nchw,
        self->results.scores, &err);
  }
  if (status != CNN_STATUS_OK) {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED,
        ("Inference with model \"%s\" failed (%s).", self->model_source,
            cnn_status_string (status)), ("%s", err.message));
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  gst_cnn_timing_reset (&self->timing);
  gst_cnn_timing_record (&self->timing, (g_get_monotonic_time () - t0) * GST_USECOND);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

gboolean
gst_cnn_classify_load_model (GstCnnClassify * self)
{
  GstElement *element = GST_ELEMENT (self);
  gchar *model_path, *labels_path, *name, *input_size, *output_name;
  gboolean keep_aspect;
  gchar **labels;
  gsize n_classes;
  gboolean async;
  cnn_options options = cnn_options_default ();
  cnn_error err;
  cnn_status status;
  gboolean ret = FALSE;

  GST_OBJECT_LOCK (self);
  model_path = g_strdup (self->model_path);
  labels_path = g_strdup (self->labels_path);
  input_size = g_strdup (self->input_size);
  output_name = g_strdup (self->output_name);
  keep_aspect = self->keep_aspect_ratio;
  options.threads = self->threads;
  options.precision = (cnn_precision) self->precision;
  async = self->async_inference;
  GST_OBJECT_UNLOCK (self);

  gst_cnn_classify_free_model (self);
  if (model_path == NULL || *model_path == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No model file set."),
        ("Set the \"model\" property to an ONNX image classifier."));
    goto done;
  }
  self->model_source = g_strdup (model_path);

  status = cnn_model_load_file (model_path, &options, &self->model, &err);
  if (status == CNN_STATUS_IO_ERROR) {
    gboolean exists = g_file_test (model_path, G_FILE_TEST_EXISTS);

    if (exists)
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not read model file \"%s\".", model_path), ("%s", err.message));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("Model file \"%s\" not found.", model_path), ("%s", err.message));
    goto done;
  } else if (status != CNN_STATUS_OK) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Could not load model \"%s\" (%s).", model_path, cnn_status_string (status)),
        ("%s", err.message));
    goto done;
  }
  self->tried_threads = options.threads;
  if (options.precision != cnn_model_precision (self->model))
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
        ("precision=%s needs AVX512_BF16, which this CPU lacks: model \"%s\" runs in %s.",
            cnn_precision_name (options.precision), model_path,
            cnn_precision_name (cnn_model_precision (self->model))), (NULL));

  if (!gst_cnn_model_io_check_input (&self->io, element, self->model, model_path,
          input_size))
    goto done;
  /* keep-aspect-ratio: the size's width becomes the largest; set_info picks the width. */
  if (keep_aspect && self->io.dynamic)
    self->io.max_width = self->io.width;
  else if (keep_aspect)
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
        ("Model \"%s\" has a fixed input size: ignoring keep-aspect-ratio.", model_path),
        (NULL));
  status = cnn_model_prepare (self->model, &err);
  if (status != CNN_STATUS_OK) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Could not prepare model \"%s\" (%s).", model_path, cnn_status_string (status)),
        ("%s", err.message));
    goto done;
  }
  if (!gst_cnn_model_io_check_output (&self->io, element, self->model, model_path,
          output_name))
    goto done;
  n_classes = self->io.n_classes;

  gst_cnn_settings_read_metadata (&self->metadata, element, self->model, model_path);
  labels = gst_cnn_load_labels (element, self->model, model_path, labels_path, n_classes);
  if (labels == NULL)
    goto done;

  if (!gst_cnn_results_init (&self->results, n_classes, labels) ||
      !gst_cnn_preprocess_init (&self->pre, self->io.channels, self->io.height,
          self->io.width) || !gst_cnn_regions_init (&self->regions, self->io.channels,
          self->io.height, self->io.width) || !gst_cnn_cam_init (&self->cam, self->model)) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Out of memory for model \"%s\".", model_path), (NULL));
    goto done;
  }
  if (!warm_up (self))
    goto done;
  if (async && (self->worker = gst_cnn_worker_new (self->model, &self->io,
              &self->results)) == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not start the inference thread for model \"%s\".", model_path), (NULL));
    goto done;
  }
  self->frame_count = 0;
  self->reset_smoothing = TRUE;

  name = gst_cnn_model_name (self->model, model_path);
  GST_OBJECT_LOCK (self);
  g_free (self->model_name);
  self->model_name = name;
  self->preprocess_dirty = TRUE;
  GST_OBJECT_UNLOCK (self);

  GST_INFO_OBJECT (self, "model \"%s\" (%s): input %dx%dx%d, %" G_GSIZE_FORMAT
      " classes, arena %" G_GUINT64_FORMAT " bytes", name, model_path, self->io.channels,
      self->io.height, self->io.width, n_classes,
      (guint64) cnn_model_arena_bytes (self->model));
  ret = TRUE;

done:
  if (!ret)
    gst_cnn_classify_free_model (self);
  g_free (model_path);
  g_free (labels_path);
  g_free (input_size);
  g_free (output_name);
  return ret;
}

/* Everything that depends on the frame: preprocessing for @in_info and, with
 * keep-aspect-ratio, the model's input width (prepared again, no reload). The async worker
 * passes tensors of the input's size: it is (re)started at the size that results when
 * @async. FALSE after an error. */
gboolean
gst_cnn_classify_configure_for_frame (GstCnnClassify * self, const GstVideoInfo * in_info, gboolean async)
{
  GstCnnPreprocessParams params;

  GST_OBJECT_LOCK (self);
  gst_cnn_settings_resolve_preprocess (&self->settings, &self->metadata, &params);
  self->preprocess_dirty = FALSE;
  GST_OBJECT_UNLOCK (self);
  gst_cnn_model_io_adjust_params (&self->io, &params);

  if (self->io.max_width > 0) {
    gdouble disp_w = GST_VIDEO_INFO_WIDTH (in_info);
    gint width;

    if (GST_VIDEO_INFO_PAR_N (in_info) > 0 && GST_VIDEO_INFO_PAR_D (in_info) > 0)
      disp_w = disp_w * GST_VIDEO_INFO_PAR_N (in_info) / GST_VIDEO_INFO_PAR_D (in_info);
    width = gst_cnn_model_io_aspect_width (&self->io, disp_w,
        GST_VIDEO_INFO_HEIGHT (in_info));
    if (width != self->io.width) {
      GST_DEBUG_OBJECT (self, "keep-aspect-ratio: input width %d -> %d", self->io.width,
          width);
      g_clear_pointer (&self->worker, gst_cnn_worker_free);     /* a run in flight ends */
      if (!gst_cnn_model_io_set_width (&self->io, GST_ELEMENT (self), self->model,
              self->model_source, width))
        return FALSE;
      /* What is sized for the input: preprocessing (frame and regions) and the map. */
      gst_cnn_preprocess_clear (&self->pre);
      gst_cnn_regions_clear (&self->regions);
      gst_cnn_cam_clear (&self->cam);
      if (!gst_cnn_preprocess_init (&self->pre, self->io.channels, self->io.height,
              self->io.width) || !gst_cnn_regions_init (&self->regions, self->io.channels,
              self->io.height, self->io.width) || !gst_cnn_cam_init (&self->cam,
              self->model)) {
        GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("Out of memory."), (NULL));
        return FALSE;
      }
    }
  }

  if (!gst_cnn_preprocess_configure (&self->pre, in_info, &params)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("cannot preprocess %s %dx%d for model \"%s\"", GST_VIDEO_INFO_NAME (in_info),
            GST_VIDEO_INFO_WIDTH (in_info), GST_VIDEO_INFO_HEIGHT (in_info),
            self->model_source));
    return FALSE;
  }
  if (async && self->worker == NULL
      && (self->worker = gst_cnn_worker_new (self->model, &self->io,
              &self->results)) == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not start the inference thread for model \"%s\".", self->model_source),
        (NULL));
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "%s %dx%d -> %dx%dx%d", GST_VIDEO_INFO_NAME (in_info),
      GST_VIDEO_INFO_WIDTH (in_info), GST_VIDEO_INFO_HEIGHT (in_info), self->io.channels,
      self->io.height, self->io.width);
  return TRUE;
}

/* The threads property is mutable in PLAYING: hand a changed value to the model, which
 * plans again for it and stays runnable. A refused value leaves the model as it was. */
void
gst_cnn_classify_apply_threads (GstCnnClassify * self, gint threads)
{
  cnn_error err;

  if (threads == self->tried_threads)
    return;
  self->tried_threads = threads;
  if (cnn_model_set_threads (self->model, threads, &err) == CNN_STATUS_OK)
    GST_DEBUG_OBJECT (self, "threads %d: running on %d", threads,
        cnn_model_threads (self->model));
  else
    GST_WARNING_OBJECT (self, "cannot use %d threads: %s", threads, err.message);
}

#define SWAP(a, b) G_STMT_START { __typeof__ (a) _t = (a); (a) = (b); (b) = _t; } G_STMT_END

/* A model loaded by gstcnnswap.c: its state and ours change places between two frames
 * (the old state leaves with @loaded), or the old model keeps running with a warning. */
gboolean
gst_cnn_classify_swap_in_model (GstCnnClassify * self)
{
  GstVideoFilter *filter = GST_VIDEO_FILTER (self);
  GstCnnClassify *loaded;
  GstElement *element = NULL;
  gchar *path = NULL, *error = NULL, **warnings = NULL, **w;
  gboolean ok = TRUE, async;

  if (!gst_cnn_swap_take (self->swap, &element, &path, &error, &warnings))
    return TRUE;
  for (w = warnings; w && *w; w++)
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS, ("New model \"%s\": %s", path, *w),
        (NULL));
  if (element == NULL) {
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("Could not switch to model \"%s\"; keeping \"%s\".", path, self->model_source),
        ("%s", error));
    /* The properties name the model that runs. */
    GST_OBJECT_LOCK (self);
    g_free (self->model_path);
    self->model_path = g_strdup (self->model_source);
    GST_OBJECT_UNLOCK (self);
    goto done;
  }

  loaded = GST_CNN_CLASSIFY (element);
  async = self->worker != NULL;
  g_clear_pointer (&self->worker, gst_cnn_worker_free);     /* a run in flight ends */
  SWAP (self->model, loaded->model);
  SWAP (self->model_source, loaded->model_source);
  SWAP (self->io, loaded->io);
  SWAP (self->metadata, loaded->metadata);
  SWAP (self->results, loaded->results);
  SWAP (self->tried_threads, loaded->tried_threads);
  SWAP (self->pre, loaded->pre);
  SWAP (self->regions, loaded->regions);
  SWAP (self->cam, loaded->cam);
  self->reset_smoothing = TRUE;

  GST_OBJECT_LOCK (self);
  SWAP (self->model_name, loaded->model_name);
  self->timing.expected = loaded->timing.expected;
  GST_OBJECT_UNLOCK (self);

  ok = gst_cnn_classify_configure_for_frame (self, &filter->in_info, async);
  if (ok)
    GST_INFO_OBJECT (self, "switched to model \"%s\"", path);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_latency (GST_OBJECT (self)));
  gst_object_unref (element);

done:
  g_free (path);
  g_free (error);
  g_strfreev (warnings);
  return ok;
}
