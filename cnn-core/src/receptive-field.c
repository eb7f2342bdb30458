/* receptive-field.c — receptive field and jump of every value (see receptive-field.h). */
#include "receptive-field.h"

#include "ops/ops.h"

#include <string.h>

/* Follows the sort order: a node's field grows from the widest of its non-constant inputs. */
void
cnn_receptive_fields (const cnn_graph *g, int64_t (*fields)[4])
{

  for (int v = 0; v < g->n_values; v++) {
    bool spatial = g->values[v].is_input;
    fields[v][0] = fields[v][1] = spatial ? 1 : 0;
    fields[v][2] = fields[v][3] = spatial ? 1 : 0;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    const cnn_node *n = &g->nodes[i];
    if (n->dead || n->folded)
      continue;
    int64_t in[4] = { 0, 0, 0, 0 };
    const cnn_value *x = NULL;
    for (int k = 0; k < n->n_inputs + CNN_NODE_FUSED_READS; k++) {
      int id = cnn_node_read (n, k);
      if (id < 0 || g->values[id].blob != NULL)
        continue;
      if (x == NULL)
        x = &g->values[id];
      for (int j = 0; j < 4; j++)
        if (fields[id][j] > in[j])
          in[j] = fields[id][j];
    }
    int64_t out[4] = { in[0], in[1], in[2], in[3] };
    const cnn_op_def *def = cnn_op_def_of (n);
    int64_t kernel[2] = { 1, 1 }, stride[2] = { 1, 1 };
    if (in[2] > 0 && def->window != NULL) {
      if (def->window (g, n, kernel, stride)) {
        for (int a = 0; a < 2; a++) {
          out[a] = in[a] + (kernel[a] - 1) * in[2 + a];
          out[2 + a] = in[2 + a] * stride[a];
        }
      } else if (x != NULL && x->rank >= 3) {
        /* A global op sees its whole input map. */
        int64_t extent[2] = { x->rank >= 4 ? x->dims[x->rank - 2] : 1, x->dims[x->rank - 1] };
        for (int a = 0; a < 2; a++)
          out[a] = in[a] + (extent[a] - 1) * in[2 + a];
      }
    }
    for (int o = 0; o < n->n_outputs; o++)
      memcpy (fields[n->outputs[o]], out, sizeof (out));
  }
}
