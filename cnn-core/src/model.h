/* model.h — the cnn_model object, shared by the files that implement the public API on it:
 * model.c (load, queries, threads), prepare.c (shapes, folding, packing, memory plan) and
 * executor.c (run). */
#ifndef CNN_MODEL_H
#define CNN_MODEL_H

#include "cam.h"
#include "graph.h"
#include "threadpool.h"

struct cnn_model {
  cnn_graph *g;
  int threads;
  cnn_threadpool *pool;
  int64_t (*declared)[CNN_MAX_RANK];    /* input dims as the file declared them */
  bool prepared;
  bool profiling;
  void *arena;
  uint64_t arena_bytes;
  void *workspace;                      /* threads × workspace_stride, then shared_bytes */
  size_t workspace_stride;
  void *shared;                         /* cnn_exec.shared: in workspace, or NULL */
  size_t shared_bytes;
  int *layers;                          /* live, non-folded node indices in run order */
  struct cnn_layer_io *layer_io;        /* each layer's tensors (layer_slots holds them) */
  const cnn_value **layer_slots;
  int n_layers;
  char **layer_ops;                     /* "Conv+Relu" */
  int64_t (*fields)[4];                 /* per value: receptive field h, w; jump h, w */
  cnn_cam cam;                          /* class activation maps, found by prepare */
};

/* Binds ops, sorts, runs load-time passes and wraps the graph. Takes ownership of g. */
cnn_status cnn_model_from_graph (cnn_graph *g, cnn_model **model, cnn_error *err);

/* Frees what prepare planned (arena, workspace, layer list); the model needs prepare again. */
void cnn_model_release_plan (cnn_model *m);

#endif /* CNN_MODEL_H */
