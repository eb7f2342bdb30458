/* planner.c — greedy by size: place the largest values first at the lowest offset that does
 * not overlap any placed value whose lifetime intersects. Near-optimal for CNN chains.
 *
 * To find the placed values a new one must avoid, each node step keeps a list of the placed
 * values alive at it; a value only looks at the steps of its own lifetime, so planning stays
 * near-linear even for graphs with hundreds of thousands of nodes.
 *
 * The inputs of a Concat along its outermost non-unit axis are placed inside its output, each
 * at its own offset, so their producers write the concatenation directly and the Concat
 * copies nothing (SqueezeNet's fire modules, GoogLeNet's inception blocks). The output then
 * lives from the first of those producers on. */
#include "planner.h"

#include "ops/ops.h"

#include <stdlib.h>

typedef struct {
  int item;
  int next;             /* next entry alive at the same step, or -1 */
} alive_entry;

typedef struct {
  int value;
  uint64_t size;
  int first, last;      /* node indices: produced at first, last read at last */
  uint64_t offset;
} plan_item;

static int
by_size_desc (const void *a, const void *b)
{
  const plan_item *x = a, *y = b;
  if (x->size != y->size)
    return x->size < y->size ? 1 : -1;
  return x->value - y->value;
}

static int
by_offset (const void *a, const void *b)
{
  const plan_item *const *x = a, *const *y = b;
  return (*x)->offset < (*y)->offset ? -1 : (*x)->offset > (*y)->offset;
}

/* Value v can be a slice of a concat output: computed by a live node into the arena, read by
 * that Concat alone, and not itself a concatenation (no chains). */
static bool
concat_slice_candidate (const cnn_graph *g, int v)
{
  const cnn_value *val = &g->values[v];

  if (val->producer < 0 || val->blob != NULL || val->is_output || val->is_input || val->keep
      || val->consumers != 1)
    return false;
  const cnn_node *p = &g->nodes[val->producer];
  return !p->dead && !p->folded && p->op != CNN_OP_CONCAT;
}

/* For each input of a Concat that can write into the output in place: slice_of[input] = the
 * output value and slice_offset[input] its byte offset there. Needs every dim before the axis
 * to be 1 (each input one contiguous block of the output), 64-byte aligned offsets (the
 * kernels' stores), and inputs that appear once. */
static void
find_concat_slices (const cnn_graph *g, int *slice_of, uint64_t *slice_offset)
{
  for (int i = 0; i < g->n_nodes; i++) {
    const cnn_node *n = &g->nodes[i];
    if (n->dead || n->folded || n->op != CNN_OP_CONCAT || n->n_outputs != 1)
      continue;
    int out = n->outputs[0];
    const cnn_value *y = &g->values[out];
    if (y->producer != i || y->blob != NULL || y->is_output || y->rank < 1)
      continue;
    int64_t axis = cnn_node_attr_int (n, "axis", 1);
    if (axis < 0)
      axis += y->rank;
    bool contiguous = axis >= 0 && axis < y->rank;
    for (int d = 0; contiguous && d < axis; d++)
      contiguous = y->dims[d] == 1;
    if (!contiguous)
      continue;
    uint64_t offset = 0;
    for (int k = 0; k < n->n_inputs; k++) {
      int x = n->inputs[k];
      uint64_t bytes;
      bool once = true;
      for (int j = 0; j < n->n_inputs && once; j++)
        once = j == k || n->inputs[j] != x;
      if (x < 0 || !cnn_value_bytes (&g->values[x], &bytes))
        break;
      if (once && offset % 64 == 0 && concat_slice_candidate (g, x)) {
        slice_of[x] = out;
        slice_offset[x] = offset;
      }
      offset += bytes;
    }
  }
}

cnn_status
cnn_plan_memory (cnn_graph *g, uint64_t *arena_bytes, cnn_error *err)
{
  cnn_status status = CNN_STATUS_OK;
  plan_item *items = malloc (sizeof (plan_item) * ((size_t) g->n_values + 1));
  plan_item **placed = malloc (sizeof (plan_item *) * ((size_t) g->n_values + 1));
  int *item_of = malloc (sizeof (int) * ((size_t) g->n_values + 1));
  int *slice_of = malloc (sizeof (int) * ((size_t) g->n_values + 1));
  uint64_t *slice_offset = malloc (sizeof (uint64_t) * ((size_t) g->n_values + 1));
  alive_entry *entries = NULL;
  int *heads = NULL, *seen = NULL;
  int n_items = 0;
  uint64_t total = 0;

  if (items == NULL || placed == NULL || item_of == NULL || slice_of == NULL
      || slice_offset == NULL) {
    status = cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory planning");
    goto done;
  }
  for (int v = 0; v < g->n_values; v++)
    slice_of[v] = -1;
  find_concat_slices (g, slice_of, slice_offset);
  for (int v = 0; v < g->n_values; v++) {
    cnn_value *val = &g->values[v];
    item_of[v] = -1;
    val->arena_offset = -1;
    if (val->producer < 0 || val->blob != NULL || val->is_output || val->is_input
        || slice_of[v] >= 0)
      continue;
    const cnn_node *p = &g->nodes[val->producer];
    if (p->dead || p->folded)
      continue;
    uint64_t bytes;
    if (!cnn_value_bytes (val, &bytes)) {
      status = cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL,
          "value '%s' has no computable size", val->name);
      goto done;
    }
    item_of[v] = n_items;
    items[n_items++] = (plan_item) { .value = v, .size = (bytes + 63) & ~UINT64_C (63),
      .first = val->producer, .last = val->producer };
  }
  for (int i = 0; i < g->n_nodes; i++) {
    const cnn_node *n = &g->nodes[i];
    if (n->dead || n->folded)
      continue;
    for (int k = 0; k < n->n_inputs + CNN_NODE_FUSED_READS; k++) {
      int id = cnn_node_read (n, k);
      if (id >= 0 && item_of[id] >= 0 && items[item_of[id]].last < i)
        items[item_of[id]].last = i;
    }
  }
  for (int i = 0; i < n_items; i++)
    if (g->values[items[i].value].keep)
      items[i].last = g->n_nodes - 1;
  /* A concat output holds its slices from the first one's producer on. */
  for (int v = 0; v < g->n_values; v++)
    if (slice_of[v] >= 0 && item_of[slice_of[v]] >= 0) {
      plan_item *it = &items[item_of[slice_of[v]]];
      if (g->values[v].producer < it->first)
        it->first = g->values[v].producer;
    }

  /* One list entry per (value, step of its lifetime). */
  uint64_t n_entries = 0;
  for (int i = 0; i < n_items; i++)
    n_entries += (uint64_t) (items[i].last - items[i].first + 1);
  if (n_entries > (UINT64_C (1) << 27)) {
    status = cnn_graph_error (err, g, CNN_STATUS_LIMIT_EXCEEDED,
        "the graph is too large to plan (%llu value-steps)", (unsigned long long) n_entries);
    goto done;
  }
  entries = malloc (sizeof (alive_entry) * ((size_t) n_entries + 1));
  heads = malloc (sizeof (int) * ((size_t) g->n_nodes + 1));
  seen = calloc ((size_t) n_items + 1, sizeof (int));
  if (entries == NULL || heads == NULL || seen == NULL) {
    status = cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory planning");
    goto done;
  }
  for (int i = 0; i < g->n_nodes; i++)
    heads[i] = -1;

  qsort (items, (size_t) n_items, sizeof (plan_item), by_size_desc);
  int n_used = 0;
  for (int i = 0; i < n_items; i++) {
    plan_item *it = &items[i];
    int n_conflicts = 0;
    for (int step = it->first; step <= it->last; step++)
      for (int e = heads[step]; e >= 0; e = entries[e].next)
        if (seen[entries[e].item] != i + 1) {
          seen[entries[e].item] = i + 1;
          placed[n_conflicts++] = &items[entries[e].item];
        }
    qsort (placed, (size_t) n_conflicts, sizeof (plan_item *), by_offset);
    uint64_t offset = 0;
    for (int j = 0; j < n_conflicts; j++) {
      if (placed[j]->offset >= offset + it->size)
        break;                  /* fits in the gap before this one */
      if (placed[j]->offset + placed[j]->size > offset)
        offset = placed[j]->offset + placed[j]->size;
    }
    it->offset = offset;
    if (offset + it->size > total)
      total = offset + it->size;
    g->values[it->value].arena_offset = (int64_t) offset;
    for (int step = it->first; step <= it->last; step++) {
      entries[n_used] = (alive_entry) { .item = i, .next = heads[step] };
      heads[step] = n_used++;
    }
  }
  for (int v = 0; v < g->n_values; v++)
    if (slice_of[v] >= 0)
      g->values[v].arena_offset = g->values[slice_of[v]].arena_offset
          + (int64_t) slice_offset[v];
  *arena_bytes = total;

done:
  free (entries);
  free (heads);
  free (seen);
  free (items);
  free (placed);
  free (item_of);
  free (slice_of);
  free (slice_offset);
  return status;
}
