/* model.h — internal entry points shared by model.c, the builder and the loader. */
#ifndef CNN_MODEL_H
#define CNN_MODEL_H

#include "graph.h"

/* Binds ops, sorts, runs load-time passes and wraps the graph. Takes ownership of g. */
cnn_status cnn_model_from_graph (cnn_graph *g, cnn_model **model, cnn_error *err);

/* "[1,3,224,224]", with "?" for dynamic dims. */
void cnn_format_dims (char *buf, size_t size, int rank, const int64_t *dims);

#endif /* CNN_MODEL_H */
