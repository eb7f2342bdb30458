/* ops.h — the operator table: one row per supported ONNX op, one file per op family.
 *
 * Adding an op: add a CNN_OP_* value, define its cnn_op_def in the op's file, add the row in
 * ops.c. Every hook except run may fail with a message built by cnn_node_error().
 */
#ifndef CNN_OPS_H
#define CNN_OPS_H

#include "graph.h"
#include "threadpool.h"

typedef enum cnn_op_kind {
  CNN_OP_CONV = 0,
  CNN_OP_MAX_POOL,
  CNN_OP_AVERAGE_POOL,
  CNN_OP_GLOBAL_AVERAGE_POOL,
  CNN_OP_GLOBAL_MAX_POOL,
  CNN_OP_REDUCE_MEAN,
  CNN_OP_REDUCE_SUM,
  CNN_OP_REDUCE_MAX,
  CNN_OP_GEMM,
  CNN_OP_MATMUL,
  CNN_OP_BATCH_NORMALIZATION,
  CNN_OP_FLATTEN,
  CNN_OP_RESHAPE,
  CNN_OP_TRANSPOSE,
  CNN_OP_CONCAT,
  CNN_OP_ADD,
  CNN_OP_SUB,
  CNN_OP_MUL,
  CNN_OP_DIV,
  CNN_OP_RELU,
  CNN_OP_LEAKY_RELU,
  CNN_OP_PRELU,
  CNN_OP_ELU,
  CNN_OP_CLIP,
  CNN_OP_SIGMOID,
  CNN_OP_TANH,
  CNN_OP_HARD_SIGMOID,
  CNN_OP_HARD_SWISH,
  CNN_OP_SOFTMAX,
  CNN_OP_LOG_SOFTMAX,
  CNN_OP_PAD,
  CNN_OP_IDENTITY,
  CNN_OP_DROPOUT,
  CNN_OP_CONSTANT,
  CNN_OP_SHAPE,
  CNN_OP_GATHER,
  CNN_OP_UNSQUEEZE,
  CNN_OP_SQUEEZE,
  CNN_OP_SLICE,
  CNN_OP_CAST,
  CNN_OP_CONSTANT_OF_SHAPE,
  CNN_OP_COUNT
} cnn_op_kind;

/* What a kernel gets at run time. Value data is at g->values[id].ptr. */
typedef struct cnn_exec {
  cnn_threadpool *pool;
  void *workspace;              /* node->workspace bytes, 64-byte aligned, per thread: */
  size_t workspace_stride;      /* thread t owns workspace + t * workspace_stride */
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
   * thread). NULL when there is nothing to do. */
  cnn_status (*prepare) (cnn_graph *g, cnn_node *n, int threads, cnn_error *err);
  /* Computes the outputs. Cannot fail: everything that can was checked before. */
  void (*run) (cnn_graph *g, cnn_node *n, const cnn_exec *exec);
  void (*free_params) (void *params);   /* NULL: free() */
  void (*free_packed) (void *packed);   /* NULL: free() */
  /* Multiply-accumulates per run (NULL: one per output element). */
  uint64_t (*macs) (const cnn_graph *g, const cnn_node *n);
  /* Sliding window over H and W for receptive-field reporting: kernel extent (dilation
   * included), stride. NULL: a pointwise op (1, 1). Return false if it is a global op. */
  bool (*window) (const cnn_graph *g, const cnn_node *n, int64_t kernel[2], int64_t stride[2]);
} cnn_op_def;

extern const cnn_op_def *const cnn_op_table[CNN_OP_COUNT];

/* Frees node->params and node->packed through the node's op definition. */
void cnn_node_release (cnn_node *n);
/* Frees only node->packed (before re-preparing). */
void cnn_node_release_packed (cnn_node *n);

/* Looks up an op type in the default ONNX domain; -1 if unsupported. */
int cnn_op_find (const char *domain, const char *op_type);

/* Op definitions, one per row (defined in the op family files). */
extern const cnn_op_def cnn_op_conv;
extern const cnn_op_def cnn_op_max_pool, cnn_op_average_pool;
extern const cnn_op_def cnn_op_global_average_pool, cnn_op_global_max_pool;
extern const cnn_op_def cnn_op_reduce_mean, cnn_op_reduce_sum, cnn_op_reduce_max;
extern const cnn_op_def cnn_op_gemm, cnn_op_matmul;
extern const cnn_op_def cnn_op_batch_normalization;
extern const cnn_op_def cnn_op_flatten, cnn_op_reshape, cnn_op_transpose, cnn_op_concat;
extern const cnn_op_def cnn_op_add, cnn_op_sub, cnn_op_mul, cnn_op_div;
extern const cnn_op_def cnn_op_relu, cnn_op_leaky_relu, cnn_op_prelu, cnn_op_elu, cnn_op_clip;
extern const cnn_op_def cnn_op_sigmoid, cnn_op_tanh, cnn_op_hard_sigmoid, cnn_op_hard_swish;
extern const cnn_op_def cnn_op_softmax, cnn_op_log_softmax;
extern const cnn_op_def cnn_op_pad, cnn_op_identity, cnn_op_dropout;
extern const cnn_op_def cnn_op_constant, cnn_op_shape, cnn_op_gather, cnn_op_unsqueeze;
extern const cnn_op_def cnn_op_squeeze, cnn_op_slice, cnn_op_cast, cnn_op_constant_of_shape;

#endif /* CNN_OPS_H */
