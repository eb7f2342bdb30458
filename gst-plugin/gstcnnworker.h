/* gstcnnworker.h — cnnclassify's inference thread for async-inference=true.
 *
 * One worker per element, one owner (the element), one thread. The streaming thread
 * preprocesses each frame into the worker's staging tensor and submits it; the worker
 * always runs the newest submitted frame: a frame submitted while it is busy replaces the
 * one waiting in the one-slot mailbox, so at most one frame waits and one runs. When a
 * run ends, its result (top-k, confidences) is published; the streaming thread takes it
 * and attaches it to the next outgoing buffer. Video never waits for the network.
 *
 *     w = gst_cnn_worker_new (model, &io, &results);                    // in start()
 *     gst_cnn_preprocess_run (&pre, &frame, gst_cnn_worker_staging (w));
 *     gst_cnn_worker_submit (w, &job);                                   // per frame
 *     if ((r = gst_cnn_worker_take (w)) != NULL) ...attach r->results...
 *     gst_cnn_worker_free (w);                                           // in stop()
 *
 * Why the tensor and not the buffer goes into the mailbox: preprocessing costs a fraction
 * of a millisecond on the streaming thread, while holding a reference to the frame would
 * keep a buffer of a live source's (often small) pool out of circulation for a whole
 * inference, and would make the buffer read-only for the meta. The tensor is the model's
 * input size, however large the frame: three of them (staging, mailbox, running) bound
 * the memory.
 *
 * The worker thread touches only the model, the results and this file's state, under a
 * pthread mutex and condition variable (not GLib's: helgrind and TSAN understand POSIX
 * threads, and the async tests run under helgrind). It never calls into GStreamer: errors
 * and warnings are handed to the streaming thread, which reports them
 * (gst_cnn_worker_deliver(), the one function here that does call GStreamer).
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_CNN_WORKER_H
#define GST_CNN_WORKER_H

#include <cnn/cnn.h>

#include "gstcnnmodelio.h"
#include "gstcnnresults.h"

G_BEGIN_DECLS

typedef struct _GstCnnWorker GstCnnWorker;

/* One frame's work: where it came from and the settings of the moment. */
typedef struct
{
  GstClockTime pts;             /* the frame's PTS */
  GstClockTime running_time;    /* ... in running time, for the result's age */
  GstCnnOutputActivation output;
  guint top_k;
  gdouble threshold;
  gdouble smoothing;
  gboolean reset_smoothing;     /* flush, discontinuity: start the average afresh */
  gint threads;
} GstCnnWorkerJob;

/* A published result: valid until the next gst_cnn_worker_take() or _free(). */
typedef struct
{
  GstCnnResults results;        /* the selection: n_top, top, probs; labels borrowed */
  GstCnnWorkerJob job;          /* the frame it was computed from */
  GstClockTime inference_time;
} GstCnnWorkerResult;

/* Starts the thread. The worker borrows @model, @io (its feed and output buffers) and
 * @results (made for @model) and is their only user until gst_cnn_worker_free(); the
 * tensors it passes around are @io's size now, so a new input size needs a new worker.
 * NULL if the thread or memory cannot be had. */
GstCnnWorker *gst_cnn_worker_new (cnn_model * model, GstCnnModelIO * io,
    GstCnnResults * results);

/* Stops the thread (a run in progress completes first) and frees everything. NULL is a
 * no-op. */
void gst_cnn_worker_free (GstCnnWorker * w);

/* Streaming thread: the tensor to preprocess the next frame into. */
gfloat *gst_cnn_worker_staging (GstCnnWorker * w);

/* Streaming thread: hands the staging tensor to the worker; a frame still waiting is
 * replaced (returns TRUE then). */
gboolean gst_cnn_worker_submit (GstCnnWorker * w, const GstCnnWorkerJob * job);

/* Streaming thread: the result published since the last take, or NULL. */
const GstCnnWorkerResult *gst_cnn_worker_take (GstCnnWorker * w);

/* Drops the waiting frame and any result not taken yet; a result of the run in progress
 * is dropped too when it ends. For flushes. */
void gst_cnn_worker_flush (GstCnnWorker * w);

/* Waits until the waiting frame and the run in progress are done (at most two runs).
 * For EOS: then take the last result. */
void gst_cnn_worker_drain (GstCnnWorker * w);

/* Streaming thread: a failed run (FALSE, with the status and the library's message) or a
 * refused threads value (TRUE, @warning set), reported once each. */
gboolean gst_cnn_worker_check (GstCnnWorker * w, cnn_status * status, gchar ** message,
    gchar ** warning);

/* Streaming thread, per frame: reports what gst_cnn_worker_check() found on @trans
 * (a failed run is GST_ELEMENT_ERROR naming @model_source, and GST_FLOW_ERROR), then the
 * result published since the last call, if any, goes on @buf (the next outgoing buffer)
 * as meta with its source PTS and age, and with @post_messages in a bus message. @buf is
 * NULL at EOS: no buffer follows, so only the message goes out. */
GstFlowReturn gst_cnn_worker_deliver (GstCnnWorker * w, GstBaseTransform * trans,
    GstBuffer * buf, const gchar * model_source, const gchar * model_name,
    gboolean post_messages);

G_END_DECLS

#endif /* GST_CNN_WORKER_H */
