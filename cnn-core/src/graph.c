/* graph.c — construction, lookup, ordering and error reporting for cnn_graph. */
#include "graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cnn_blob *
cnn_blob_new (size_t size)
{
  cnn_blob *blob;

  if (size > SIZE_MAX - sizeof (cnn_blob) - 64)
    return NULL;
  /* Round up so aligned_alloc's size is a multiple of the alignment. */
  size_t total = (sizeof (cnn_blob) + size + 63) & ~(size_t) 63;
  blob = aligned_alloc (64, total);
  if (blob == NULL)
    return NULL;
  memset (blob, 0, total);
  blob->refs = 1;
  blob->size = size;
  return blob;
}

cnn_blob *
cnn_blob_ref (cnn_blob *blob)
{
  if (blob != NULL)
    blob->refs++;
  return blob;
}

void
cnn_blob_unref (cnn_blob *blob)
{
  if (blob != NULL && --blob->refs == 0)
    free (blob);
}

cnn_graph *
cnn_graph_new (const char *source, const cnn_options *options)
{
  cnn_graph *g = calloc (1, sizeof (*g));

  if (g == NULL)
    return NULL;
  g->source = strdup (source != NULL ? source : "<memory>");
  if (g->source == NULL) {
    free (g);
    return NULL;
  }
  g->options = cnn_options_resolve (options);
  g->opset = 13;
  return g;
}

static void
cnn_attr_clear (cnn_attr *a)
{
  free (a->name);
  free (a->s);
  free (a->floats);
  free (a->ints);
  if (a->strings != NULL) {
    for (size_t i = 0; i < a->count; i++)
      free (a->strings[i]);
    free (a->strings);
  }
}

void
cnn_graph_free (cnn_graph *g)
{
  if (g == NULL)
    return;
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    for (int a = 0; a < n->n_attrs; a++)
      cnn_attr_clear (&n->attrs[a]);
    free (n->attrs);
    free (n->inputs);
    free (n->outputs);
    free (n->name);
    free (n->op_type);
    free (n->domain);
  }
  for (int i = 0; i < g->n_values; i++) {
    cnn_value *v = &g->values[i];
    free (v->name);
    for (int d = 0; d < CNN_MAX_RANK; d++)
      free (v->dim_names[d]);
    cnn_blob_unref (v->blob);
  }
  for (int i = 0; i < g->n_meta; i++) {
    free (g->meta[i].key);
    free (g->meta[i].value);
  }
  free (g->meta);
  free (g->name_slots);
  free (g->nodes);
  free (g->values);
  free (g->inputs);
  free (g->outputs);
  free (g->name);
  free (g->source);
  free (g);
}

/* Grows *array (of `size`-byte items) so that index `needed` fits. */
static bool
grow (void **array, int *cap, int needed, size_t size)
{
  if (needed < *cap)
    return true;
  int new_cap = *cap > 0 ? *cap * 2 : 16;
  while (new_cap <= needed)
    new_cap *= 2;
  void *p = realloc (*array, (size_t) new_cap * size);
  if (p == NULL)
    return false;
  memset ((char *) p + (size_t) *cap * size, 0, (size_t) (new_cap - *cap) * size);
  *array = p;
  *cap = new_cap;
  return true;
}

/* FNV-1a: names in exported models share long prefixes, so hash every byte. */
static uint32_t
hash_name (const char *name)
{
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *) name; *p != '\0'; p++)
    h = (h ^ *p) * 16777619u;
  return h;
}

static void
index_insert (int *slots, int n_slots, const char *name, int id)
{
  uint32_t mask = (uint32_t) n_slots - 1;
  for (uint32_t i = hash_name (name) & mask;; i = (i + 1) & mask) {
    if (slots[i] == 0) {
      slots[i] = id + 1;
      return;
    }
  }
}

/* Keeps the table at most half full, so probes stay short. */
static bool
index_reserve (cnn_graph *g, int needed)
{
  if (needed * 2 < g->n_name_slots)
    return true;
  int n_slots = g->n_name_slots > 0 ? g->n_name_slots * 2 : 64;
  while (needed * 2 >= n_slots)
    n_slots *= 2;
  int *slots = calloc ((size_t) n_slots, sizeof (int));
  if (slots == NULL)
    return false;
  for (int v = 0; v < g->n_values; v++)
    if (g->values[v].name[0] != '\0')
      index_insert (slots, n_slots, g->values[v].name, v);
  free (g->name_slots);
  g->name_slots = slots;
  g->n_name_slots = n_slots;
  return true;
}

int
cnn_graph_find_value (const cnn_graph *g, const char *name)
{
  if (name == NULL || name[0] == '\0' || g->n_name_slots == 0)
    return -1;
  uint32_t mask = (uint32_t) g->n_name_slots - 1;
  for (uint32_t i = hash_name (name) & mask; g->name_slots[i] != 0; i = (i + 1) & mask) {
    int id = g->name_slots[i] - 1;
    if (strcmp (g->values[id].name, name) == 0)
      return id;
  }
  return -1;
}

int
cnn_graph_value (cnn_graph *g, const char *name)
{
  int id = cnn_graph_find_value (g, name);

  if (id >= 0)
    return id;
  if (!grow ((void **) &g->values, &g->cap_values, g->n_values, sizeof (cnn_value))
      || !index_reserve (g, g->n_values + 1))
    return -1;
  cnn_value *v = &g->values[g->n_values];
  memset (v, 0, sizeof (*v));
  v->name = strdup (name != NULL ? name : "");
  if (v->name == NULL)
    return -1;
  v->rank = -1;
  v->producer = -1;
  v->arena_offset = -1;
  if (v->name[0] != '\0')
    index_insert (g->name_slots, g->n_name_slots, v->name, g->n_values);
  return g->n_values++;
}

bool
cnn_graph_rename_value (cnn_graph *g, int id, const char *name)
{
  char *copy = strdup (name);
  if (copy == NULL)
    return false;
  free (g->values[id].name);
  g->values[id].name = copy;
  /* Rebuild rather than delete in place: renames are rare (the builder's outputs). */
  g->n_name_slots = 0;
  free (g->name_slots);
  g->name_slots = NULL;
  return index_reserve (g, g->n_values);
}

int
cnn_graph_add_node (cnn_graph *g, const char *name, const char *op_type, const char *domain,
    const int *inputs, int n_inputs, const int *outputs, int n_outputs)
{
  if (!grow ((void **) &g->nodes, &g->cap_nodes, g->n_nodes, sizeof (cnn_node)))
    return -1;
  cnn_node *n = &g->nodes[g->n_nodes];
  memset (n, 0, sizeof (*n));
  n->op = -1;
  n->fused_sum = -1;
  n->fused_scale = -1;
  n->name = strdup (name != NULL ? name : "");
  n->op_type = strdup (op_type != NULL ? op_type : "");
  n->domain = strdup (domain != NULL ? domain : "");
  n->inputs = malloc (sizeof (int) * (size_t) (n_inputs > 0 ? n_inputs : 1));
  n->outputs = malloc (sizeof (int) * (size_t) (n_outputs > 0 ? n_outputs : 1));
  if (n->name == NULL || n->op_type == NULL || n->domain == NULL || n->inputs == NULL
      || n->outputs == NULL) {
    free (n->name);
    free (n->op_type);
    free (n->domain);
    free (n->inputs);
    free (n->outputs);
    return -1;
  }
  if (n_inputs > 0)
    memcpy (n->inputs, inputs, sizeof (int) * (size_t) n_inputs);
  if (n_outputs > 0)
    memcpy (n->outputs, outputs, sizeof (int) * (size_t) n_outputs);
  n->n_inputs = n_inputs;
  n->n_outputs = n_outputs;
  return g->n_nodes++;
}

cnn_attr *
cnn_node_add_attr (cnn_graph *g, int node, const char *name, cnn_attr_type type)
{
  cnn_node *n = &g->nodes[node];
  cnn_attr *attrs = realloc (n->attrs, sizeof (cnn_attr) * (size_t) (n->n_attrs + 1));

  if (attrs == NULL)
    return NULL;
  n->attrs = attrs;
  cnn_attr *a = &attrs[n->n_attrs];
  memset (a, 0, sizeof (*a));
  a->name = strdup (name);
  if (a->name == NULL)
    return NULL;
  a->type = type;
  a->tensor = -1;
  n->n_attrs++;
  return a;
}

void
cnn_value_set_shape (cnn_value *v, cnn_dtype dtype, int rank, const int64_t *dims)
{
  v->dtype = dtype;
  v->rank = rank;
  for (int i = 0; i < CNN_MAX_RANK; i++)
    v->dims[i] = i < rank ? dims[i] : 0;
}

void
cnn_value_set_constant (cnn_value *v, cnn_dtype dtype, int rank, const int64_t *dims,
    cnn_blob *blob)
{
  cnn_value_set_shape (v, dtype, rank, dims);
  cnn_blob_unref (v->blob);
  v->blob = blob;
}

const cnn_attr *
cnn_node_attr (const cnn_node *n, const char *name)
{
  for (int i = 0; i < n->n_attrs; i++)
    if (strcmp (n->attrs[i].name, name) == 0)
      return &n->attrs[i];
  return NULL;
}

int64_t
cnn_node_attr_int (const cnn_node *n, const char *name, int64_t fallback)
{
  const cnn_attr *a = cnn_node_attr (n, name);
  return a != NULL && a->type == CNN_ATTR_INT ? a->i : fallback;
}

float
cnn_node_attr_float (const cnn_node *n, const char *name, float fallback)
{
  const cnn_attr *a = cnn_node_attr (n, name);
  return a != NULL && a->type == CNN_ATTR_FLOAT ? a->f : fallback;
}

const char *
cnn_node_attr_string (const cnn_node *n, const char *name, const char *fallback)
{
  const cnn_attr *a = cnn_node_attr (n, name);
  return a != NULL && a->type == CNN_ATTR_STRING && a->s != NULL ? a->s : fallback;
}

size_t
cnn_node_attr_ints (const cnn_node *n, const char *name, const int64_t **out)
{
  const cnn_attr *a = cnn_node_attr (n, name);
  if (a == NULL || a->type != CNN_ATTR_INTS) {
    *out = NULL;
    return 0;
  }
  *out = a->ints;
  return a->count;
}

bool
cnn_mul_overflows (uint64_t a, uint64_t b, uint64_t *out)
{
  return __builtin_mul_overflow (a, b, out);
}

bool
cnn_add_overflows (uint64_t a, uint64_t b, uint64_t *out)
{
  return __builtin_add_overflow (a, b, out);
}

bool
cnn_shape_elements (int rank, const int64_t *dims, uint64_t *count)
{
  uint64_t n = 1;

  if (rank < 0)
    return false;
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0 || cnn_mul_overflows (n, (uint64_t) dims[i], &n))
      return false;
  }
  *count = n;
  return true;
}

bool
cnn_value_elements (const cnn_value *v, uint64_t *count)
{
  return cnn_shape_elements (v->rank, v->dims, count);
}

bool
cnn_value_bytes (const cnn_value *v, uint64_t *bytes)
{
  uint64_t n;
  size_t size = cnn_dtype_size (v->dtype);

  return size > 0 && cnn_value_elements (v, &n) && !cnn_mul_overflows (n, size, bytes);
}

/* Kahn's algorithm; a value that no node produces must be an input or a constant. */
cnn_status
cnn_graph_sort (cnn_graph *g, cnn_error *err)
{
  cnn_status status = CNN_STATUS_OK;
  int *pending = NULL, *order = NULL, *ready = NULL;
  cnn_node *sorted = NULL;
  int n_live = 0, n_ready = 0, n_order = 0;

  for (int v = 0; v < g->n_values; v++) {
    g->values[v].producer = -1;
    g->values[v].consumers = 0;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    if (n->dead)
      continue;
    n_live++;
    for (int o = 0; o < n->n_outputs; o++) {
      cnn_value *v = &g->values[n->outputs[o]];
      if (v->producer >= 0 || v->is_input || (v->blob != NULL && !v->folded)) {
        status = cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
            "output '%s' is already defined elsewhere", v->name);
        goto done;
      }
      v->producer = i;
    }
  }

  /* Consumer lists per value (CSR layout), so the sort is linear in nodes + edges. */
  int *first = calloc ((size_t) g->n_values + 1, sizeof (int));
  int n_edges = 0;
  pending = calloc ((size_t) g->n_nodes + 1, sizeof (int));
  order = malloc (sizeof (int) * ((size_t) g->n_nodes + 1));
  ready = malloc (sizeof (int) * ((size_t) g->n_nodes + 1));
  sorted = malloc (sizeof (cnn_node) * ((size_t) g->n_nodes + 1));
  if (first == NULL || pending == NULL || order == NULL || ready == NULL || sorted == NULL) {
    free (first);
    status = cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory sorting nodes");
    goto done;
  }

  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    if (n->dead)
      continue;
    for (int k = 0; k < n->n_inputs + CNN_NODE_FUSED_READS; k++) {
      int id = cnn_node_read (n, k);
      if (id < 0)
        continue;
      cnn_value *v = &g->values[id];
      v->consumers++;
      if (v->producer >= 0) {
        pending[i]++;
        first[id + 1]++;
        n_edges++;
      } else if (!v->is_input && v->blob == NULL) {
        free (first);
        status = cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
            "input '%s' is not a graph input, an initializer or any node's output", v->name);
        goto done;
      }
    }
  }
  for (int v = 0; v < g->n_values; v++)
    first[v + 1] += first[v];
  int *edges = malloc (sizeof (int) * ((size_t) n_edges + 1));
  int *fill = calloc ((size_t) g->n_values + 1, sizeof (int));
  if (edges == NULL || fill == NULL) {
    free (first);
    free (edges);
    free (fill);
    status = cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory sorting nodes");
    goto done;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    if (n->dead)
      continue;
    for (int k = 0; k < n->n_inputs + CNN_NODE_FUSED_READS; k++) {
      int id = cnn_node_read (n, k);
      if (id >= 0 && g->values[id].producer >= 0)
        edges[first[id] + fill[id]++] = i;
    }
    if (pending[i] == 0)
      ready[n_ready++] = i;
  }

  /* A min-heap would keep file order exactly; a FIFO keeps it closely enough and stays
   * linear. Ready nodes are appended in the order they become ready. */
  for (int head = 0; head < n_ready; head++) {
    int i = ready[head];
    order[n_order++] = i;
    cnn_node *n = &g->nodes[i];
    for (int o = 0; o < n->n_outputs; o++) {
      int id = n->outputs[o];
      for (int e = first[id]; e < first[id + 1]; e++)
        if (--pending[edges[e]] == 0)
          ready[n_ready++] = edges[e];
    }
  }
  free (first);
  free (edges);
  free (fill);

  if (n_order != n_live) {
    for (int i = 0; i < g->n_nodes; i++) {
      if (!g->nodes[i].dead && pending[i] > 0) {
        status = cnn_node_error (err, g, &g->nodes[i], CNN_STATUS_INVALID_MODEL,
            "the graph has a cycle through this node");
        goto done;
      }
    }
  }

  for (int i = 0; i < g->n_outputs; i++) {
    const cnn_value *v = &g->values[g->outputs[i]];
    if (v->producer < 0 && !v->is_input && v->blob == NULL) {
      status = cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL,
          "graph output '%s' is not computed by any node", v->name);
      goto done;
    }
  }

  /* Rewrite the node array in order, dead nodes last, and renumber producers. */
  {
    int k = 0;
    for (int r = 0; r < n_order; r++)
      sorted[k++] = g->nodes[order[r]];
    for (int i = 0; i < g->n_nodes; i++)
      if (g->nodes[i].dead)
        sorted[k++] = g->nodes[i];
    if (g->n_nodes > 0)
      memcpy (g->nodes, sorted, sizeof (cnn_node) * (size_t) g->n_nodes);
    for (int i = 0; i < g->n_nodes; i++) {
      if (g->nodes[i].dead)
        continue;
      for (int o = 0; o < g->nodes[i].n_outputs; o++)
        g->values[g->nodes[i].outputs[o]].producer = i;
    }
  }

done:
  free (pending);
  free (order);
  free (ready);
  free (sorted);
  return status;
}

cnn_status
cnn_graph_error (cnn_error *err, const cnn_graph *g, cnn_status status, const char *fmt, ...)
{
  char prefix[300];
  va_list ap;

  snprintf (prefix, sizeof (prefix), "%s: ", g->source);
  va_start (ap, fmt);
  cnn_error_vset (err, status, prefix, fmt, ap);
  va_end (ap);
  return status;
}

cnn_status
cnn_node_error (cnn_error *err, const cnn_graph *g, const cnn_node *n, cnn_status status,
    const char *fmt, ...)
{
  char prefix[400];
  va_list ap;

  snprintf (prefix, sizeof (prefix), "%s: node '%s' (%s, opset %lld): ", g->source, n->name,
      n->op_type, (long long) g->opset);
  va_start (ap, fmt);
  cnn_error_vset (err, status, prefix, fmt, ap);
  va_end (ap);
  return status;
}
