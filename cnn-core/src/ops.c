/* ops.c — the operator table. One row per op; the definitions live in the op family files. */
#include "ops.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

const cnn_op_def *const cnn_op_table[CNN_OP_COUNT] = {
  [CNN_OP_CONV] = &cnn_op_conv,
  [CNN_OP_MAX_POOL] = &cnn_op_max_pool,
  [CNN_OP_AVERAGE_POOL] = &cnn_op_average_pool,
  [CNN_OP_GLOBAL_AVERAGE_POOL] = &cnn_op_global_average_pool,
  [CNN_OP_GLOBAL_MAX_POOL] = &cnn_op_global_max_pool,
  [CNN_OP_REDUCE_MEAN] = &cnn_op_reduce_mean,
  [CNN_OP_REDUCE_SUM] = &cnn_op_reduce_sum,
  [CNN_OP_REDUCE_MAX] = &cnn_op_reduce_max,
  [CNN_OP_GEMM] = &cnn_op_gemm,
  [CNN_OP_MATMUL] = &cnn_op_matmul,
  [CNN_OP_BATCH_NORMALIZATION] = &cnn_op_batch_normalization,
  [CNN_OP_FLATTEN] = &cnn_op_flatten,
  [CNN_OP_RESHAPE] = &cnn_op_reshape,
  [CNN_OP_TRANSPOSE] = &cnn_op_transpose,
  [CNN_OP_CONCAT] = &cnn_op_concat,
  [CNN_OP_ADD] = &cnn_op_add,
  [CNN_OP_SUB] = &cnn_op_sub,
  [CNN_OP_MUL] = &cnn_op_mul,
  [CNN_OP_DIV] = &cnn_op_div,
  [CNN_OP_RELU] = &cnn_op_relu,
  [CNN_OP_LEAKY_RELU] = &cnn_op_leaky_relu,
  [CNN_OP_PRELU] = &cnn_op_prelu,
  [CNN_OP_ELU] = &cnn_op_elu,
  [CNN_OP_CLIP] = &cnn_op_clip,
  [CNN_OP_SIGMOID] = &cnn_op_sigmoid,
  [CNN_OP_TANH] = &cnn_op_tanh,
  [CNN_OP_HARD_SIGMOID] = &cnn_op_hard_sigmoid,
  [CNN_OP_HARD_SWISH] = &cnn_op_hard_swish,
  [CNN_OP_SOFTMAX] = &cnn_op_softmax,
  [CNN_OP_LOG_SOFTMAX] = &cnn_op_log_softmax,
  [CNN_OP_PAD] = &cnn_op_pad,
  [CNN_OP_IDENTITY] = &cnn_op_identity,
  [CNN_OP_DROPOUT] = &cnn_op_dropout,
  [CNN_OP_CONSTANT] = &cnn_op_constant,
  [CNN_OP_SHAPE] = &cnn_op_shape,
  [CNN_OP_GATHER] = &cnn_op_gather,
  [CNN_OP_UNSQUEEZE] = &cnn_op_unsqueeze,
  [CNN_OP_SQUEEZE] = &cnn_op_squeeze,
  [CNN_OP_SLICE] = &cnn_op_slice,
  [CNN_OP_CAST] = &cnn_op_cast,
  [CNN_OP_CONSTANT_OF_SHAPE] = &cnn_op_constant_of_shape,
};

static_assert (sizeof (cnn_op_table) / sizeof (cnn_op_table[0]) == CNN_OP_COUNT,
    "every op kind has a row");

int
cnn_op_find (const char *domain, const char *op_type)
{
  if (domain != NULL && domain[0] != '\0' && strcmp (domain, "ai.onnx") != 0)
    return -1;
  for (int i = 0; i < CNN_OP_COUNT; i++)
    if (cnn_op_table[i] != NULL && strcmp (cnn_op_table[i]->name, op_type) == 0)
      return i;
  return -1;
}

void
cnn_node_release_packed (cnn_node *n)
{
  const cnn_op_def *def = n->op >= 0 && n->op < CNN_OP_COUNT ? cnn_op_table[n->op] : NULL;

  if (n->packed != NULL) {
    if (def != NULL && def->free_packed != NULL)
      def->free_packed (n->packed);
    else
      free (n->packed);
  }
  n->packed = NULL;
  n->workspace = 0;
}

void
cnn_node_release (cnn_node *n)
{
  const cnn_op_def *def = n->op >= 0 && n->op < CNN_OP_COUNT ? cnn_op_table[n->op] : NULL;

  cnn_node_release_packed (n);
  if (n->params != NULL) {
    if (def != NULL && def->free_params != NULL)
      def->free_params (n->params);
    else
      free (n->params);
  }
  n->params = NULL;
}
