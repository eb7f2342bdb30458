/* gstcnnworker.c — the async-inference thread: a one-slot newest-frame mailbox in, the
 * latest result out. See gstcnnworker.h.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstcnnworker.h"

#include <pthread.h>
#include <stdio.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include <string.h>
#include <time.h>

GST_DEBUG_CATEGORY_EXTERN (gst_cnn_classify_debug);
#define GST_CAT_DEFAULT gst_cnn_classify_debug

#define WORKER_NICE 5

struct _GstCnnWorker
{
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t cond;          /* a frame waits, a run ended, or quit */

  /* The worker thread's alone while it runs. */
  cnn_model *model;
  GstCnnModelIO *io;
  GstCnnResults *results;
  gint tried_threads;
  gfloat *running;

  /* The streaming thread's alone. */
  gfloat *staging;
  GstCnnWorkerResult taken;

  /* Under the lock. */
  gfloat *waiting;
  GstCnnWorkerJob waiting_job;
  gboolean has_waiting;
  gboolean busy;
  gboolean quit;
  guint generation;             /* a flush starts a new one: older runs are dropped */
  GstCnnWorkerResult published;
  gboolean has_published;
  cnn_status error_status;
  gchar error_message[512];
  gboolean error_reported;
  gchar warning[640];
};

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Worker thread: the run itself, without the lock. */
static cnn_status
run_job (GstCnnWorker * w, const GstCnnWorkerJob * job, GstClockTime * inference_time,
    cnn_error * err, gchar * warning, gsize warning_size)
{
  cnn_status status;
  gint64 t0;

  if (job->threads != w->tried_threads) {
    w->tried_threads = job->threads;
    if (cnn_model_set_threads (w->model, job->threads, err) != CNN_STATUS_OK)
      snprintf (warning, warning_size, "cannot use %d threads: %s", job->threads,
          err->message);
  }
  if (job->reset_smoothing)
    gst_cnn_results_reset_smoothing (w->results);

  t0 = now_ns ();
  status = gst_cnn_model_io_run (w->io, w->model, w->running, w->results->scores, err);
  *inference_time = (GstClockTime) (now_ns () - t0);
  if (status == CNN_STATUS_OK)
    gst_cnn_results_select_smoothed (w->results, job->output, job->top_k, job->threshold,
        job->smoothing);
  return status;
}

static void *
worker_main (void *data)
{
  GstCnnWorker *w = data;

#ifdef __linux__
  /* Below the streaming thread: on a busy CPU the video goes first, the network waits.
   * (Linux nice values are per thread; the model's own pool threads, created later on
   * this thread's behalf, inherit it.) Best effort: failure changes nothing else. */
  (void) setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), WORKER_NICE);
#endif
  pthread_mutex_lock (&w->lock);
  for (;;) {
    GstCnnWorkerJob job;
    GstClockTime inference_time = 0;
    gchar warning[sizeof (w->warning)] = "";
    cnn_error err;
    cnn_status status;
    guint generation;
    gfloat *t;

    while (!w->quit && !w->has_waiting)
      pthread_cond_wait (&w->cond, &w->lock);
    if (w->quit)
      break;

    /* Take the newest frame; the slot is free for the next one. */
    t = w->running;
    w->running = w->waiting;
    w->waiting = t;
    job = w->waiting_job;
    w->has_waiting = FALSE;
    w->busy = TRUE;
    generation = w->generation;
    pthread_mutex_unlock (&w->lock);

    status = run_job (w, &job, &inference_time, &err, warning, sizeof (warning));

    pthread_mutex_lock (&w->lock);
    w->busy = FALSE;
    if (warning[0] != '\0')
      memcpy (w->warning, warning, sizeof (warning));
    if (status != CNN_STATUS_OK) {
      if (w->error_status == CNN_STATUS_OK) {
        w->error_status = status;
        snprintf (w->error_message, sizeof (w->error_message), "%s", err.message);
      }
    } else if (generation == w->generation) {
      gst_cnn_results_copy_selection (&w->published.results, w->results);
      w->published.job = job;
      w->published.inference_time = inference_time;
      w->has_published = TRUE;
    }
    pthread_cond_broadcast (&w->cond);
  }
  pthread_mutex_unlock (&w->lock);
  return NULL;
}

static void
clear_result (GstCnnWorkerResult * r)
{
  r->results.labels = NULL;     /* borrowed */
  gst_cnn_results_clear (&r->results);
}

/* The tensors, the result copies and @w itself. */
static void
free_memory (GstCnnWorker * w)
{
  clear_result (&w->published);
  clear_result (&w->taken);
  g_free (w->staging);
  g_free (w->waiting);
  g_free (w->running);
  g_free (w);
}

GstCnnWorker *
gst_cnn_worker_new (cnn_model * model, GstCnnModelIO * io, GstCnnResults * results)
{
  GstCnnWorker *w = g_new0 (GstCnnWorker, 1);
  gsize tensor_len = gst_cnn_model_io_tensor_len (io);

  w->model = model;
  w->io = io;
  w->results = results;
  w->tried_threads = cnn_model_threads (model);
  w->staging = g_try_new0 (gfloat, tensor_len);
  w->waiting = g_try_new0 (gfloat, tensor_len);
  w->running = g_try_new0 (gfloat, tensor_len);
  if (w->staging == NULL || w->waiting == NULL || w->running == NULL ||
      !gst_cnn_results_init (&w->published.results, results->n_classes, NULL) ||
      !gst_cnn_results_init (&w->taken.results, results->n_classes, NULL))
    goto error;

  pthread_mutex_init (&w->lock, NULL);
  pthread_cond_init (&w->cond, NULL);
  if (pthread_create (&w->thread, NULL, worker_main, w) != 0) {
    pthread_cond_destroy (&w->cond);
    pthread_mutex_destroy (&w->lock);
    goto error;
  }
  return w;

error:
  free_memory (w);
  return NULL;
}

void
gst_cnn_worker_free (GstCnnWorker * w)
{
  if (w == NULL)
    return;

  pthread_mutex_lock (&w->lock);
  w->quit = TRUE;
  pthread_cond_broadcast (&w->cond);
  pthread_mutex_unlock (&w->lock);
  pthread_join (w->thread, NULL);

  pthread_cond_destroy (&w->cond);
  pthread_mutex_destroy (&w->lock);
  free_memory (w);
}

gfloat *
gst_cnn_worker_staging (GstCnnWorker * w)
{
  return w->staging;
}

gboolean
gst_cnn_worker_submit (GstCnnWorker * w, const GstCnnWorkerJob * job)
{
  gboolean replaced, reset;
  gfloat *t;

  pthread_mutex_lock (&w->lock);
  replaced = w->has_waiting;
  t = w->waiting;
  w->waiting = w->staging;
  w->staging = t;
  /* A reset asked for by the replaced frame still holds. */
  reset = replaced && w->waiting_job.reset_smoothing;
  w->waiting_job = *job;
  w->waiting_job.reset_smoothing |= reset;
  w->has_waiting = TRUE;
  pthread_cond_broadcast (&w->cond);
  pthread_mutex_unlock (&w->lock);
  return replaced;
}

const GstCnnWorkerResult *
gst_cnn_worker_take (GstCnnWorker * w)
{
  GstCnnWorkerResult t;
  gboolean have;

  pthread_mutex_lock (&w->lock);
  have = w->has_published;
  if (have) {
    t = w->taken;
    w->taken = w->published;
    w->published = t;
    w->has_published = FALSE;
  }
  pthread_mutex_unlock (&w->lock);
  return have ? &w->taken : NULL;
}

void
gst_cnn_worker_flush (GstCnnWorker * w)
{
  pthread_mutex_lock (&w->lock);
  w->has_waiting = FALSE;
  w->has_published = FALSE;
  w->generation++;
  pthread_mutex_unlock (&w->lock);
}

void
gst_cnn_worker_drain (GstCnnWorker * w)
{
  pthread_mutex_lock (&w->lock);
  while ((w->has_waiting || w->busy) && !w->quit)
    pthread_cond_wait (&w->cond, &w->lock);
  pthread_mutex_unlock (&w->lock);
}

gboolean
gst_cnn_worker_check (GstCnnWorker * w, cnn_status * status, gchar ** message,
    gchar ** warning)
{
  gboolean ok = TRUE;

  *warning = NULL;
  pthread_mutex_lock (&w->lock);
  if (w->warning[0] != '\0') {
    *warning = g_strdup (w->warning);
    w->warning[0] = '\0';
  }
  if (w->error_status != CNN_STATUS_OK && !w->error_reported) {
    *status = w->error_status;
    *message = g_strdup (w->error_message);
    w->error_reported = TRUE;
    ok = FALSE;
  }
  pthread_mutex_unlock (&w->lock);
  return ok;
}

/* ------------------------------------------------------------------------------------ */
/* Streaming thread: results onto buffers and the bus */

GstFlowReturn
gst_cnn_worker_deliver (GstCnnWorker * w, GstBaseTransform * trans, GstBuffer * buf,
    const gchar * model_source, const gchar * model_name, gboolean post_messages)
{
  const GstCnnWorkerResult *r;
  cnn_status status = CNN_STATUS_OK;
  gchar *message = NULL, *warning = NULL;
  GstClockTime age = GST_CLOCK_TIME_NONE, rt;

  if (!gst_cnn_worker_check (w, &status, &message, &warning)) {
    GST_ELEMENT_ERROR (trans, LIBRARY, FAILED,
        ("Inference with model \"%s\" failed (%s).", model_source,
            cnn_status_string (status)), ("%s", message));
    g_free (message);
    g_free (warning);
    return GST_FLOW_ERROR;
  }
  if (warning != NULL)
    GST_WARNING_OBJECT (trans, "%s", warning);
  g_free (warning);

  r = gst_cnn_worker_take (w);
  if (r == NULL)
    return GST_FLOW_OK;

  if (buf != NULL) {
    rt = gst_segment_to_running_time (&trans->segment, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buf));
    if (GST_CLOCK_TIME_IS_VALID (rt) && GST_CLOCK_TIME_IS_VALID (r->job.running_time))
      age = rt >= r->job.running_time ? rt - r->job.running_time : 0;
  }
  GST_LOG_OBJECT (trans, "result of %" GST_TIME_FORMAT " (age %" GST_TIME_FORMAT
      ", inference %" GST_TIME_FORMAT ")", GST_TIME_ARGS (r->job.pts),
      GST_TIME_ARGS (age), GST_TIME_ARGS (r->inference_time));
  if (buf != NULL)
    gst_cnn_results_attach (&r->results, buf, r->job.pts, age, model_name,
        r->inference_time, -1);
  if (post_messages)
    gst_cnn_results_post (&r->results, trans, buf, r->job.pts, age, model_name,
        r->inference_time);
  return GST_FLOW_OK;
}
