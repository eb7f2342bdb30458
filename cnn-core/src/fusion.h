/* fusion.h — load-time recognition of exporters' op chains for GELU and LayerNormalization
 * (see fusion.c). */
#ifndef CNN_FUSION_H
#define CNN_FUSION_H

#include "graph.h"

/* Replaces each matching chain by one Gelu or LayerNormalization node, bound to its op; the
 * graph is sorted again when anything changed. Needs producers and consumers up to date (run
 * after cnn_graph_sort). */
cnn_status cnn_fuse_patterns (cnn_graph *g, cnn_error *err);

#endif /* CNN_FUSION_H */
