/* gstcnnswap.h — cnnclassify's model hot-swap: load and prepare a model off the
 * streaming thread, hand it over between frames.
 *
 * Setting `model` or `labels` in PAUSED/PLAYING starts one loader thread. It builds a
 * private instance of the element with the element's settings (every writable property:
 * model, labels, threads, input-size, output-name…) and runs the element's own start() — the very checks and preparation a READY→PAUSED change does —
 * with the instance's messages going to a private bus. The streaming thread then takes
 * the outcome at the next frame: either the loaded instance, whose model state it swaps
 * with its own (the old state goes away with the instance), or the error and warnings,
 * which it posts as warnings while the old model keeps running.
 *
 *     gst_cnn_swap_request (swap, element, start, model);                  // property
 *     if (gst_cnn_swap_take (swap, &loaded, &path, &error, &warnings))      // per frame
 *       ...swap state with @loaded, or warn...
 *     gst_cnn_swap_cancel (swap);                                           // stop()
 *
 * Copyright (C) 2025 gst-cnn authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef GST_CNN_SWAP_H
#define GST_CNN_SWAP_H

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

typedef struct _GstCnnSwap GstCnnSwap;
typedef gboolean (*GstCnnSwapStartFunc) (GstBaseTransform * trans);

GstCnnSwap *gst_cnn_swap_new (void);

/* Waits for a load in progress and frees what was not taken. NULL is a no-op. */
void gst_cnn_swap_free (GstCnnSwap * swap);

/* Loads @model in a new thread: a new element of @like's type with @like's settings (read
 * now: call without @like's object lock), started with @start. A load in progress is
 * waited for first; its outcome, if not taken yet, is replaced. */
void gst_cnn_swap_request (GstCnnSwap * swap, GstElement * like,
    GstCnnSwapStartFunc start, const gchar * model);

/* The outcome of a finished load, once: TRUE with either @loaded (a started element of
 * the requested type; unref it) or @error (g_free) set, and @model the file (g_free) and
 * @warnings (g_strfreev, may be NULL) what the load warned about. Cheap when nothing
 * waits. */
gboolean gst_cnn_swap_take (GstCnnSwap * swap, GstElement ** loaded, gchar ** model,
    gchar ** error, gchar *** warnings);

/* Waits for a load in progress and drops any outcome (stop, state changes). */
void gst_cnn_swap_cancel (GstCnnSwap * swap);

G_END_DECLS

#endif /* GST_CNN_SWAP_H */
