/* planner.h — activation memory: one arena, values placed so that values alive at the same
 * time never overlap and values that are not reuse each other's bytes. */
#ifndef CNN_PLANNER_H
#define CNN_PLANNER_H

#include "graph.h"

/* Sets arena_offset of every value a live node computes (except graph outputs, which live in
 * the caller's buffers) and the arena size. Nodes must be sorted. Values marked `keep` stay
 * intact until the end of the run. */
cnn_status cnn_plan_memory (cnn_graph *g, uint64_t *arena_bytes, cnn_error *err);

#endif /* CNN_PLANNER_H */
