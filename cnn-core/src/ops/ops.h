/* ops.h — the operator table: one row per supported ONNX op, one file (ops/NAME.c) per op or
 * small family of ops.
 *
 * Adding an op: one row in CNN_OP_LIST below (its enum name, the name of its cnn_op_def, its
 * traits) and one file defining `const cnn_op_def cnn_op_<name>`, listed in meson.build. The
 * enum, the table and the declarations all come from the list, so a missing definition fails
 * to link and a missing row cannot happen. Passes ask the table (traits and hooks) rather than
 * switching on op kinds. Every hook except run may fail with a message from cnn_node_error().
 */
#ifndef CNN_OPS_H
#define CNN_OPS_H

#include "graph.h"
#include "threadpool.h"

/* Traits: what passes may do with a node of the op. */
enum {
  CNN_OP_TRAIT_FUSES_ACTIVATION = 1 << 0,   /* applies node->act to its output */
  CNN_OP_TRAIT_FUSES_SUM = 1 << 1,          /* adds node->fused_sum before the activation */
  CNN_OP_TRAIT_PASSES_THROUGH = 1 << 2,     /* output 0 is input 0 (Identity, Dropout) */
  CNN_OP_TRAIT_READS_SHAPE_ONLY = 1 << 3,   /* reads its input's dims, not its data */
  CNN_OP_TRAIT_FUSES_INPUT_SCALE = 1 << 4,  /* multiplies input 0 by node->fused_scale, one
                                             * factor per image and channel [N, C, 1, 1] */
};

#define CNN_OP_LIST(X)                                                              \
  X (CONV, conv, CNN_OP_TRAIT_FUSES_ACTIVATION | CNN_OP_TRAIT_FUSES_SUM             \
      | CNN_OP_TRAIT_FUSES_INPUT_SCALE)                                             \
  X (MAX_POOL, max_pool, 0)                                                         \
  X (AVERAGE_POOL, average_pool, 0)                                                 \
  X (GLOBAL_AVERAGE_POOL, global_average_pool, 0)                                   \
  X (GLOBAL_MAX_POOL, global_max_pool, 0)                                           \
  X (REDUCE_MEAN, reduce_mean, 0)                                                   \
  X (REDUCE_SUM, reduce_sum, 0)                                                     \
  X (REDUCE_MAX, reduce_max, 0)                                                     \
  X (GEMM, gemm, CNN_OP_TRAIT_FUSES_ACTIVATION)                                     \
  X (MATMUL, matmul, CNN_OP_TRAIT_FUSES_ACTIVATION)                                 \
  X (BATCH_NORMALIZATION, batch_normalization, CNN_OP_TRAIT_FUSES_ACTIVATION)       \
  X (FLATTEN, flatten, 0)                                                           \
  X (RESHAPE, reshape, 0)                                                           \
  X (TRANSPOSE, transpose, 0)                                                       \
  X (CONCAT, concat, 0)                                                             \
  X (ADD, add, CNN_OP_TRAIT_FUSES_ACTIVATION)                                       \
  X (SUB, sub, 0)                                                                   \
  X (MUL, mul, 0)                                                                   \
  X (DIV, div, 0)                                                                   \
  X (RELU, relu, 0)                                                                 \
  X (LEAKY_RELU, leaky_relu, 0)                                                     \
  X (PRELU, prelu, 0)                                                               \
  X (ELU, elu, 0)                                                                   \
  X (CLIP, clip, 0)                                                                 \
  X (SIGMOID, sigmoid, 0)                                                           \
  X (TANH, tanh, 0)                                                                 \
  X (HARD_SIGMOID, hard_sigmoid, 0)                                                 \
  X (HARD_SWISH, hard_swish, 0)                                                     \
  X (SOFTMAX, softmax, 0)                                                           \
  X (LOG_SOFTMAX, log_softmax, 0)                                                   \
  X (PAD, pad, 0)                                                                   \
  X (IDENTITY, identity, CNN_OP_TRAIT_PASSES_THROUGH)                               \
  X (DROPOUT, dropout, CNN_OP_TRAIT_PASSES_THROUGH)                                 \
  X (CONSTANT, constant, 0)                                                         \
  X (SHAPE, shape, CNN_OP_TRAIT_READS_SHAPE_ONLY)                                   \
  X (GATHER, gather, 0)                                                             \
  X (UNSQUEEZE, unsqueeze, 0)                                                       \
  X (SQUEEZE, squeeze, 0)                                                           \
  X (SLICE, slice, 0)                                                               \
  X (CAST, cast, 0)                                                                 \
  X (CONSTANT_OF_SHAPE, constant_of_shape, 0)                                       \
  X (LRN, lrn, 0)                                                                   \
  X (POW, pow, 0)                                                                   \
  X (SUM, sum, 0)                                                                   \
  X (MEAN, mean, 0)                                                                 \
  X (MAX, max, 0)                                                                   \
  X (MIN, min, 0)                                                                   \
  X (SQRT, sqrt, 0)                                                                 \
  X (EXP, exp, 0)                                                                   \
  X (LOG, log, 0)                                                                   \
  X (ERF, erf, 0)                                                                   \
  X (NEG, neg, 0)                                                                   \
  X (ABS, abs, 0)                                                                   \
  X (RECIPROCAL, reciprocal, 0)                                                     \
  X (GELU, gelu, 0)                                                                 \
  X (LAYER_NORMALIZATION, layer_normalization, 0)                                   \
  X (SPLIT, split, 0)                                                               \
  X (EXPAND, expand, 0)

typedef enum cnn_op_kind {
#define CNN_OP_ENUM(id, name, traits) CNN_OP_##id,
  CNN_OP_LIST (CNN_OP_ENUM)
#undef CNN_OP_ENUM
  CNN_OP_COUNT
} cnn_op_kind;

/* A layer's tensors, bound by the executor before the first run: run reads and writes these
 * and reaches nothing else of the graph. */
typedef struct cnn_layer_io {
  const cnn_value *const *in;   /* n_in entries, NULL where an optional input is omitted */
  const cnn_value *const *out;  /* n_out entries, NULL where an optional output is omitted */
  const cnn_value *sum;         /* the residual fused into the layer (node->fused_sum), or NULL */
  const cnn_value *scale;       /* the input's per-channel factors (node->fused_scale), or NULL */
  int n_in, n_out;
} cnn_layer_io;

/* Input i, or NULL when the node has fewer inputs or omits it. */
static inline const cnn_value *
cnn_layer_in (const cnn_layer_io *io, int i)
{
  return i < io->n_in ? io->in[i] : NULL;
}

/* Pointers a node's binding takes, and the binding itself into `slots`. */
size_t cnn_layer_io_slots (const cnn_node *n);
void cnn_layer_io_bind (const cnn_graph *g, const cnn_node *n, const cnn_value **slots,
    cnn_layer_io *io);

/* What a kernel gets at run time besides its tensors. */
typedef struct cnn_exec {
  cnn_threadpool *pool;
  void *workspace;              /* node->workspace bytes, 64-byte aligned, per thread: */
  size_t workspace_stride;      /* thread t owns workspace + t * workspace_stride */
  void *shared;                 /* node->shared_workspace bytes, 64-byte aligned, for all
                                 * threads (NULL when 0): what one step of a kernel writes
                                 * for the next to read */
} cnn_exec;

typedef struct cnn_op_def {
  const char *name;             /* ONNX op type */
  int min_inputs, max_inputs;
  int min_outputs, max_outputs;
  /* Load time: attributes → node->params; checks what does not depend on shapes. */
  cnn_status (*parse) (cnn_graph *g, cnn_node *n, cnn_error *err);
  /* Prepare time: output dtypes and shapes from the inputs' (constant inputs carry data). */
  cnn_status (*infer) (cnn_graph *g, cnn_node *n, cnn_error *err);
  /* Prepare time, after infer: pack weights into node->packed, set node->workspace (bytes per
   * thread) and node->shared_workspace. NULL when there is nothing to do. */
  cnn_status (*prepare) (cnn_graph *g, cnn_node *n, int threads, cnn_error *err);
  /* Computes the outputs. Cannot fail: everything that can was checked before. */
  void (*run) (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec);
  void (*free_params) (void *params);   /* NULL: free() */
  void (*free_packed) (void *packed);   /* NULL: free() */
  /* Multiply-accumulates per run (NULL: one per output element). */
  uint64_t (*macs) (const cnn_graph *g, const cnn_node *n);
  /* Sliding window over H and W for receptive-field reporting: kernel extent (dilation
   * included), stride. NULL: a pointwise op (1, 1). Return false if it is a global op. */
  bool (*window) (const cnn_graph *g, const cnn_node *n, int64_t kernel[2], int64_t stride[2]);
  /* Elementwise activations: the cnn_activation this node computes, for fusing it into its
   * producer; false when it cannot be fused (e.g. Clip bounds computed at run time). NULL for
   * every other op. */
  bool (*activation) (const cnn_graph *g, const cnn_node *n, cnn_activation *act,
      float *alpha, float *beta);
} cnn_op_def;

typedef struct cnn_op_row {
  const cnn_op_def *def;
  unsigned traits;              /* CNN_OP_TRAIT_* */
} cnn_op_row;

extern const cnn_op_row cnn_op_table[CNN_OP_COUNT];

static inline const cnn_op_def *
cnn_op_def_of (const cnn_node *n)
{
  return cnn_op_table[n->op].def;
}

static inline bool
cnn_op_has_trait (int op, unsigned trait)
{
  return op >= 0 && op < CNN_OP_COUNT && (cnn_op_table[op].traits & trait) != 0;
}

/* Maps every live node to its op, checks its arity and parses its attributes. */
cnn_status cnn_ops_bind (cnn_graph *g, cnn_error *err);
/* Frees every node's params and packed data (before cnn_graph_free). */
void cnn_ops_release (cnn_graph *g);
/* Frees only node->packed (before re-preparing). */
void cnn_node_release_packed (cnn_node *n);

/* Looks up an op type in the default ONNX domain; -1 if unsupported. */
int cnn_op_find (const char *domain, const char *op_type);

#define CNN_OP_DECLARE(id, name, traits) extern const cnn_op_def cnn_op_##name;
CNN_OP_LIST (CNN_OP_DECLARE)
#undef CNN_OP_DECLARE

#endif /* CNN_OPS_H */
