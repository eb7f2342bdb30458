/* gstcnnclassifyframe.c — one frame through cnnclassify: settings to locals, the frame
 * (or each region) to a tensor, the network run here or by the async worker, and the
 * results onto the buffer and the bus.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstcnnclassifyprivate.h"

#define GST_CAT_DEFAULT gst_cnn_classify_debug

/* async-inference: the worker's latest result, if any, goes on @buf (the next outgoing
 * buffer) and in a message; @buf NULL at EOS, where only the message goes out. */
GstFlowReturn
gst_cnn_classify_deliver_async_result (GstCnnClassify * self, GstBuffer * buf)
{
  gboolean post_messages;
  gchar *model_name;
  GstFlowReturn ret;

  GST_OBJECT_LOCK (self);
  post_messages = self->post_messages;
  model_name = g_strdup (self->model_name);
  GST_OBJECT_UNLOCK (self);
  ret = gst_cnn_worker_deliver (self->worker, GST_BASE_TRANSFORM (self), buf,
      self->model_source, model_name, post_messages);
  g_free (model_name);
  return ret;
}

GstFlowReturn
gst_cnn_classify_frame (GstCnnClassify * self, GstVideoFrame * frame, GstBuffer * buf)
{
  GstVideoFilter *filter = GST_VIDEO_FILTER (self);
  GstCnnResults *res = &self->results;
  GstCnnPreprocessParams params;
  GstCnnWorkerJob job;
  gboolean reconfigure, reannounce;
  guint n;
  gboolean post_messages;
  gchar *model_name;
  GstCnnRegionSettings regions;
  GstCnnClassificationMeta *meta;
  gboolean activation_map;
  cnn_error err;
  cnn_status status;
  gint64 t_pre, t0, t1;
  GstClockTime inference_time, pts = GST_BUFFER_PTS (buf);
  GstFlowReturn ret = GST_FLOW_OK;

  /* Settings to locals; the network runs without the lock. */
  GST_OBJECT_LOCK (self);
  job.top_k = self->top_k;
  job.threshold = self->threshold;
  job.smoothing = self->smoothing;
  job.threads = self->threads;
  job.output = gst_cnn_settings_resolve_output (&self->settings, &self->metadata);
  post_messages = self->post_messages;
  activation_map = self->activation_map;
  reconfigure = self->preprocess_dirty;
  if (reconfigure) {
    gst_cnn_settings_resolve_preprocess (&self->settings, &self->metadata, &params);
    self->preprocess_dirty = FALSE;
  }
  model_name = g_strdup (self->model_name);
  gst_cnn_region_settings_copy (&regions, &self->region_settings);
  if (regions.inference_region == GST_CNN_INFERENCE_REGION_ROI_LIST)
    gst_cnn_settings_resolve_preprocess (&self->settings, &self->metadata, &params);
  GST_OBJECT_UNLOCK (self);
  job.reset_smoothing = self->reset_smoothing;
  self->reset_smoothing = FALSE;

  if (reconfigure)
    gst_cnn_model_io_adjust_params (&self->io, &params);
  if (reconfigure && !gst_cnn_preprocess_configure (&self->pre, &filter->in_info, &params)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL), ("preprocessing setup failed"));
    ret = GST_FLOW_NOT_NEGOTIATED;
    goto done;
  }

  if (regions.inference_region == GST_CNN_INFERENCE_REGION_ROI_LIST) {
    /* Regions are classified here, on the streaming thread: an async worker finishes
     * its run first, as it is the model's other user. */
    GstCnnRegionJob region_job = { GST_BASE_TRANSFORM (self), self->model,
      self->model_source, &self->io, res, job.output, job.top_k, job.threshold,
      post_messages, model_name, &params, &regions, activation_map ? &self->cam : NULL
    };

    if (self->worker != NULL)
      gst_cnn_worker_drain (self->worker);
    gst_cnn_model_io_adjust_params (&self->io, &params);
    gst_cnn_classify_apply_threads (self, job.threads);
    ret = gst_cnn_regions_classify (&self->regions, &region_job, frame, buf);
    goto done;
  }

  if (self->worker != NULL) {
    /* The worker runs the network; the frame goes on at once. */
    job.pts = pts;
    job.running_time = gst_segment_to_running_time (&GST_BASE_TRANSFORM (self)->segment,
        GST_FORMAT_TIME, pts);
    gst_cnn_preprocess_run (&self->pre, frame, gst_cnn_worker_staging (self->worker));
    if (gst_cnn_worker_submit (self->worker, &job))
      GST_LOG_OBJECT (self, "worker busy: %" GST_TIME_FORMAT " replaces the waiting frame",
          GST_TIME_ARGS (pts));
    goto done;
  }

  gst_cnn_classify_apply_threads (self, job.threads);
  if (job.reset_smoothing)
    gst_cnn_results_reset_smoothing (res);

  t_pre = g_get_monotonic_time ();
  gst_cnn_preprocess_run (&self->pre, frame, self->io.nchw);

  t0 = g_get_monotonic_time ();
  status = gst_cnn_model_io_run (&self->io, self->model, self->io.nchw, res->scores, &err);
  t1 = g_get_monotonic_time ();
  if (status != CNN_STATUS_OK) {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED,
        ("Inference with model \"%s\" failed (%s).", self->model_source,
            cnn_status_string (status)), ("%s", err.message));
    ret = GST_FLOW_ERROR;
    goto done;
  }
  inference_time = (GstClockTime) (t1 - t0) * GST_USECOND;
  GST_OBJECT_LOCK (self);
  reannounce = gst_cnn_timing_record (&self->timing, inference_time);
  GST_OBJECT_UNLOCK (self);
  if (reannounce)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_latency (GST_OBJECT (self)));

  n = gst_cnn_results_select_smoothed (res, job.output, job.top_k, job.threshold,
      job.smoothing);
  meta = gst_cnn_results_attach (res, buf, pts, 0, model_name, inference_time, -1);
  if (activation_map)
    gst_cnn_cam_attach (&self->cam, GST_ELEMENT (self), self->model, self->model_source,
        &self->pre, GST_VIDEO_INFO_WIDTH (&filter->in_info),
        GST_VIDEO_INFO_HEIGHT (&filter->in_info), meta);

  GST_LOG_OBJECT (self, "%" GST_TIME_FORMAT ": %s (%.3f), preprocessing %"
      G_GINT64_FORMAT " us, inference %" G_GINT64_FORMAT " us",
      GST_TIME_ARGS (pts), n ? res->labels[res->top[0]] : "-",
      n ? res->probs[res->top[0]] : 0.0f, t0 - t_pre, t1 - t0);

  if (post_messages)
    gst_cnn_results_post (res, GST_BASE_TRANSFORM (self), buf, pts, 0, model_name,
        inference_time);
done:
  gst_cnn_region_settings_clear (&regions);
  g_free (model_name);
  return ret;
}
