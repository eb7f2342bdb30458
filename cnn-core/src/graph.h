/* graph.h — the in-memory graph every stage works on.
 *
 * The loader (onnx-loader.c) or the builder fills a cnn_graph; ops/ops.c binds each node to
 * its op; load-time passes (passes.c) rewrite it once (Identity removal, BatchNormalization
 * folding, activation fusion); prepare.c infers shapes, folds shape sub-graphs into constants,
 * lets each op pack weights and size its workspace, and plans the activation arena; executor.c
 * then calls op->run per node. The graph itself knows nothing of ops: it sits just above
 * common.h.
 *
 * Values and nodes are addressed by index. Value ids are stable for the graph's lifetime; nodes
 * removed by a pass are marked `dead` rather than moved.
 */
#ifndef CNN_GRAPH_H
#define CNN_GRAPH_H

#include "common.h"

#include <stdarg.h>

typedef enum cnn_attr_type {
  CNN_ATTR_FLOAT = 0,
  CNN_ATTR_INT,
  CNN_ATTR_STRING,
  CNN_ATTR_TENSOR,
  CNN_ATTR_FLOATS,
  CNN_ATTR_INTS,
  CNN_ATTR_STRINGS,
  CNN_ATTR_OTHER,   /* graph, sparse tensor, type proto: never used by our ops */
  CNN_ATTR_COUNT
} cnn_attr_type;

typedef struct cnn_attr {
  char *name;
  cnn_attr_type type;
  float f;
  int64_t i;
  char *s;                /* STRING (NUL-terminated copy) */
  float *floats;          /* FLOATS */
  int64_t *ints;          /* INTS */
  char **strings;         /* STRINGS */
  size_t count;           /* elements of floats / ints / strings */
  int tensor;             /* TENSOR: id of a constant value holding it */
} cnn_attr;

/* Reference-counted constant storage, so a folded or shared constant is freed exactly once. */
typedef struct cnn_blob {
  int refs;
  size_t size;
  _Alignas (64) unsigned char data[];
} cnn_blob;

cnn_blob *cnn_blob_new (size_t size);   /* zero-filled, refs = 1; NULL if out of memory */
cnn_blob *cnn_blob_ref (cnn_blob *blob);
void cnn_blob_unref (cnn_blob *blob);

typedef struct cnn_value {
  char *name;
  cnn_dtype dtype;
  int rank;                             /* -1 while unknown */
  int64_t dims[CNN_MAX_RANK];           /* -1 where dynamic */
  char *dim_names[CNN_MAX_RANK];        /* symbolic names of dynamic dims, else NULL */
  cnn_blob *blob;                       /* constant contents (initializer, Constant, folded) */
  bool folded;                          /* blob was computed by prepare: dropped on re-prepare */
  int blob_form;                        /* 0: blob as loaded; else an op's own prepared form
                                         * of it (its only reader), which the op alone reads:
                                         * conv.c's Winograd weights (2, 4: the tile side) or
                                         * narrow GEMM weights (1: blocks of 16 rows) */
  bool is_input, is_output;
  bool keep;                            /* planned alive to the end of the run (cam.c) */
  int producer;                         /* node index, or -1 */
  int consumers;                        /* live nodes reading this value */
  int64_t arena_offset;                 /* byte offset in the activation arena, or -1 */
  void *ptr;                            /* where the data is during run (set by the executor) */
} cnn_value;

typedef struct cnn_node {
  char *name;
  char *op_type;
  char *domain;
  int op;                               /* cnn_op_kind */
  int n_inputs, n_outputs;
  int *inputs;                          /* value ids; -1 for an omitted optional input */
  int *outputs;
  int n_attrs;
  cnn_attr *attrs;
  void *params;                         /* op-specific, from op->parse; freed by cnn_ops_release */
  cnn_activation act;                   /* fused activation applied to the output */
  float act_alpha, act_beta;
  int fused_sum;                        /* value added before the activation, or -1 */
  int fused_scale;                      /* per-input-channel factors [N, C, 1, 1] the input
                                         * is multiplied by (a squeeze-excitation gate), or -1 */
  bool dead;                            /* removed by a pass */
  bool folded;                          /* all outputs became constants at prepare */
  size_t workspace;                     /* scratch bytes run needs, from op->prepare */
  size_t shared_workspace;              /* ... and bytes all threads of the run share */
  void *packed;                         /* op-owned prepared data (op->prepare) */
  double time_ms;                       /* profiling */
} cnn_node;

/* The values a node reads: its inputs, then the residual and the scale fused into it (-1 where
 * absent). k runs from 0 to n_inputs + CNN_NODE_FUSED_READS - 1. */
#define CNN_NODE_FUSED_READS 2
static inline int
cnn_node_read (const cnn_node *n, int k)
{
  return k < n->n_inputs ? n->inputs[k] : k == n->n_inputs ? n->fused_sum : n->fused_scale;
}

typedef struct cnn_meta_prop {
  char *key;
  char *value;
} cnn_meta_prop;

typedef struct cnn_graph {
  char *source;                         /* file name for messages */
  char *name;
  int64_t opset;                        /* default-domain opset version */
  cnn_value *values;
  int n_values, cap_values;
  int *name_slots;                      /* open-addressing hash of value names → id + 1 */
  int n_name_slots;                     /* a power of two, or 0 */
  cnn_node *nodes;                      /* in topological order after cnn_graph_sort */
  int n_nodes, cap_nodes;
  int *inputs, n_inputs;                /* graph inputs that are not initializers */
  int *outputs, n_outputs;
  cnn_meta_prop *meta;
  int n_meta;
  cnn_options options;
} cnn_graph;

cnn_graph *cnn_graph_new (const char *source, const cnn_options *options);
void cnn_graph_free (cnn_graph *g);

/* Adds a value with this name (names are unique; "" allowed for anonymous values). Returns its
 * id, or -1 when out of memory. Looking up an existing name returns that id. */
int cnn_graph_value (cnn_graph *g, const char *name);
int cnn_graph_find_value (const cnn_graph *g, const char *name);
/* Renames value id (the new name must be unused); false when out of memory. */
bool cnn_graph_rename_value (cnn_graph *g, int id, const char *name);
/* Adds a node; inputs/outputs are copied; returns its index or -1 when out of memory. */
int cnn_graph_add_node (cnn_graph *g, const char *name, const char *op_type, const char *domain,
    const int *inputs, int n_inputs, const int *outputs, int n_outputs);
/* Appends an attribute to node n (name copied, arrays copied). NULL when out of memory. */
cnn_attr *cnn_node_add_attr (cnn_graph *g, int node, const char *name, cnn_attr_type type);
/* Sets a value's constant contents (takes ownership of blob) and its dtype and shape. */
void cnn_value_set_constant (cnn_value *v, cnn_dtype dtype, int rank, const int64_t *dims,
    cnn_blob *blob);

/* Orders nodes topologically, recomputes producers and consumer counts. Fails on cycles or on
 * values read before anything produces them. */
cnn_status cnn_graph_sort (cnn_graph *g, cnn_error *err);

/* Attribute access with defaults. *_ints returns the count and sets *out (borrowed). */
const cnn_attr *cnn_node_attr (const cnn_node *n, const char *name);
int64_t cnn_node_attr_int (const cnn_node *n, const char *name, int64_t fallback);
float cnn_node_attr_float (const cnn_node *n, const char *name, float fallback);
const char *cnn_node_attr_string (const cnn_node *n, const char *name, const char *fallback);
size_t cnn_node_attr_ints (const cnn_node *n, const char *name, const int64_t **out);

/* Element count of a fully known shape; false on unknown dims or overflow. */
bool cnn_shape_elements (int rank, const int64_t *dims, uint64_t *count);
bool cnn_value_elements (const cnn_value *v, uint64_t *count);
/* Bytes of a fully known value; false on unknown dims or overflow. */
bool cnn_value_bytes (const cnn_value *v, uint64_t *bytes);
/* Checked arithmetic for sizes read from files. */
bool cnn_mul_overflows (uint64_t a, uint64_t b, uint64_t *out);
bool cnn_add_overflows (uint64_t a, uint64_t b, uint64_t *out);

/* Convenience: the input/output value of a node (NULL for omitted optional inputs). */
static inline cnn_value *
cnn_node_input (const cnn_graph *g, const cnn_node *n, int i)
{
  return (i < n->n_inputs && n->inputs[i] >= 0) ? &g->values[n->inputs[i]] : NULL;
}

static inline cnn_value *
cnn_node_output (const cnn_graph *g, const cnn_node *n, int i)
{
  return &g->values[n->outputs[i]];
}

/* Sets the output's dtype and shape (used by infer functions). */
void cnn_value_set_shape (cnn_value *v, cnn_dtype dtype, int rank, const int64_t *dims);

/* Error helpers. All messages start with the source file name:
 *   "model.onnx: node 'conv1' (Conv): kernel_shape has 3 values, expected 2" */
cnn_status cnn_graph_error (cnn_error *err, const cnn_graph *g, cnn_status status,
    const char *fmt, ...) __attribute__ ((format (printf, 4, 5)));
cnn_status cnn_node_error (cnn_error *err, const cnn_graph *g, const cnn_node *n,
    cnn_status status, const char *fmt, ...) __attribute__ ((format (printf, 5, 6)));

#endif /* CNN_GRAPH_H */
