/* gstcnnswap.c — model hot-swap: a loader thread and a one-slot outcome. See
 * gstcnnswap.h.
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstcnnswap.h"

#include <pthread.h>
#include <string.h>

typedef struct
{
  GstElement *loaded;
  gchar *model;
  gchar *error;
  gchar **warnings;
} Outcome;

struct _GstCnnSwap
{
  pthread_mutex_t lock;         /* the outcome and `ready` */
  gint ready;                   /* atomic: an outcome waits */
  Outcome outcome;

  /* Under request_lock: the property setter's and stop()'s. */
  pthread_mutex_t request_lock;
  gboolean running;
  pthread_t thread;
  GType type;
  GstCnnSwapStartFunc start;
  gchar *model;
  /* The requesting element's settings, given to the new instance. */
  guint n_settings;
  const gchar **names;          /* the class's property names: static */
  GValue *values;
};

static void
outcome_clear (Outcome * o)
{
  g_clear_pointer (&o->loaded, gst_object_unref);
  g_clear_pointer (&o->model, g_free);
  g_clear_pointer (&o->error, g_free);
  g_clear_pointer (&o->warnings, g_strfreev);
}

/* A message's text and debug details, for a warning on the real element. */
static gchar *
message_text (GstMessage * msg)
{
  GError *err = NULL;
  gchar *debug = NULL, *text;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &err, &debug);
  else
    gst_message_parse_warning (msg, &err, &debug);
  text = debug ? g_strdup_printf ("%s (%s)", err->message, debug) : g_strdup (err->message);
  g_clear_error (&err);
  g_free (debug);
  return text;
}

static void *
load_main (void *data)
{
  GstCnnSwap *swap = data;
  GstElement *e = GST_ELEMENT (g_object_new_with_properties (swap->type, swap->n_settings,
          swap->names, swap->values));
  GstBus *bus = gst_bus_new ();
  GPtrArray *warnings = g_ptr_array_new ();
  GstMessage *msg;
  Outcome o = { NULL, g_strdup (swap->model), NULL, NULL };

  gst_object_ref_sink (e);
  gst_element_set_bus (e, bus);
  if (swap->start (GST_BASE_TRANSFORM (e)))
    o.loaded = gst_object_ref (e);

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR | GST_MESSAGE_WARNING))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR && o.error == NULL)
      o.error = message_text (msg);
    else
      g_ptr_array_add (warnings, message_text (msg));
    gst_message_unref (msg);
  }
  if (o.loaded == NULL && o.error == NULL)
    o.error = g_strdup ("the model could not be loaded");
  g_ptr_array_add (warnings, NULL);
  o.warnings = (gchar **) g_ptr_array_free (warnings, FALSE);
  if (o.warnings[0] == NULL)
    g_clear_pointer (&o.warnings, g_strfreev);
  gst_element_set_bus (e, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_object_unref (e);

  pthread_mutex_lock (&swap->lock);
  outcome_clear (&swap->outcome);
  swap->outcome = o;
  g_atomic_int_set (&swap->ready, 1);
  pthread_mutex_unlock (&swap->lock);
  return NULL;
}

GstCnnSwap *
gst_cnn_swap_new (void)
{
  GstCnnSwap *swap = g_new0 (GstCnnSwap, 1);

  pthread_mutex_init (&swap->lock, NULL);
  pthread_mutex_init (&swap->request_lock, NULL);
  return swap;
}

static void
join (GstCnnSwap * swap)
{
  if (!swap->running)
    return;
  pthread_join (swap->thread, NULL);
  swap->running = FALSE;
  g_clear_pointer (&swap->model, g_free);
  for (guint i = 0; i < swap->n_settings; i++)
    g_value_unset (&swap->values[i]);
  g_clear_pointer (&swap->values, g_free);
  g_clear_pointer (&swap->names, g_free);
  swap->n_settings = 0;
}

/* Every property of @like that can be set again (not the object's name or parent): what
 * start() reads, whatever properties the element gains. */
static void
snapshot_settings (GstCnnSwap * swap, GstElement * like)
{
  guint n, i;
  GParamSpec **specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (like), &n);

  swap->names = g_new0 (const gchar *, n);
  swap->n_settings = 0;
  for (i = 0; i < n; i++) {
    GParamFlags f = specs[i]->flags;

    if ((f & G_PARAM_READWRITE) == G_PARAM_READWRITE && !(f & G_PARAM_CONSTRUCT_ONLY)
        && strcmp (specs[i]->name, "name") != 0 && strcmp (specs[i]->name, "parent") != 0)
      swap->names[swap->n_settings++] = specs[i]->name;
  }
  swap->values = g_new0 (GValue, swap->n_settings);
  g_object_getv (G_OBJECT (like), swap->n_settings, swap->names, swap->values);
  g_free (specs);
}

void
gst_cnn_swap_request (GstCnnSwap * swap, GstElement * like, GstCnnSwapStartFunc start,
    const gchar * model)
{
  pthread_mutex_lock (&swap->request_lock);
  join (swap);
  swap->type = G_OBJECT_TYPE (like);
  swap->start = start;
  swap->model = g_strdup (model);
  snapshot_settings (swap, like);
  swap->running = pthread_create (&swap->thread, NULL, load_main, swap) == 0;
  if (!swap->running) {
    pthread_mutex_lock (&swap->lock);
    outcome_clear (&swap->outcome);
    swap->outcome.model = g_strdup (model);
    swap->outcome.error = g_strdup ("could not start a thread to load it");
    g_atomic_int_set (&swap->ready, 1);
    pthread_mutex_unlock (&swap->lock);
  }
  pthread_mutex_unlock (&swap->request_lock);
}

gboolean
gst_cnn_swap_take (GstCnnSwap * swap, GstElement ** loaded, gchar ** model,
    gchar ** error, gchar *** warnings)
{
  if (!g_atomic_int_get (&swap->ready))
    return FALSE;
  pthread_mutex_lock (&swap->lock);
  *loaded = swap->outcome.loaded;
  *model = swap->outcome.model;
  *error = swap->outcome.error;
  *warnings = swap->outcome.warnings;
  memset (&swap->outcome, 0, sizeof (swap->outcome));
  g_atomic_int_set (&swap->ready, 0);
  pthread_mutex_unlock (&swap->lock);
  return TRUE;
}

void
gst_cnn_swap_cancel (GstCnnSwap * swap)
{
  pthread_mutex_lock (&swap->request_lock);
  join (swap);
  pthread_mutex_unlock (&swap->request_lock);
  pthread_mutex_lock (&swap->lock);
  outcome_clear (&swap->outcome);
  g_atomic_int_set (&swap->ready, 0);
  pthread_mutex_unlock (&swap->lock);
}

void
gst_cnn_swap_free (GstCnnSwap * swap)
{
  if (swap == NULL)
    return;
  gst_cnn_swap_cancel (swap);
  pthread_mutex_destroy (&swap->lock);
  pthread_mutex_destroy (&swap->request_lock);
  g_free (swap);
}
