/* receptive-field.h — how much of the input each value sees, for `cnn inspect`. */
#ifndef CNN_RECEPTIVE_FIELD_H
#define CNN_RECEPTIVE_FIELD_H

#include "graph.h"

/* For every value v: fields[v] = { field height, field width, jump height, jump width } in
 * input pixels (0 for values that do not depend on an input). Nodes must be sorted and
 * shapes inferred; each op's window hook says how it slides. */
void cnn_receptive_fields (const cnn_graph *g, int64_t (*fields)[4]);

#endif /* CNN_RECEPTIVE_FIELD_H */
