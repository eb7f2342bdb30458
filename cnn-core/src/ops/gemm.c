/* gemm.c — Gemm (opset 1–13) and MatMul (numpy semantics), float32, with fused activation.
 *
 * Both become one or more row-major products Y[M, N] = alpha · op(A) · op(B) (+ beta · C),
 * split into column blocks shared out among the threads (OpenBLAS single-threaded inside
 * each). A single row (M = 1, the classifier head at batch 1) does not go to SGEMM, which
 * would copy all of B into its packed layout first: our own GEMV reads B once. With
 * options.precision = BF16 (on AVX512_BF16 CPUs) that head, constant B transposed, reads B
 * as bfloat16 packed once at prepare (cnn_gemm_bf16_narrow): half the bytes of a product
 * that only streams its weights. ResNet-50's fc, 1 thread Zen 4: 0.39 -> 0.2 ms.
 */
#include "kernels/activation.h"
#include "kernels/gemm.h"
#include "blas.h"
#include "kernels/vectorize.h"
#include "ops.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Below this many multiply-adds a product runs on the calling thread. */
#define GEMM_PARALLEL_MACS (1 << 18)
/* Column blocks are multiples of this (whole SGEMM micro-tiles, whole cache lines). */
#define GEMM_COLUMN_ALIGN 16

typedef struct {
  bool trans_a, trans_b;
  float alpha, beta;
} gemm_params;

/* Shapes of one Gemm or MatMul, worked out by prepare; lives in node->packed. */
typedef struct {
  bool trans_a, trans_b;
  float alpha, beta;
  int64_t m, n, k;
  int64_t c_rows, c_cols;       /* Gemm's C broadcast as [1 or M, 1 or N]; 0 = no C */
  int64_t batches;              /* MatMul: products, over these broadcast batch dims */
  int batch_rank;
  int64_t batch_dims[CNN_MAX_RANK];
  int64_t a_stride[CNN_MAX_RANK], b_stride[CNN_MAX_RANK];     /* 0 where broadcast */
  const uint32_t *bb;           /* bf16 head: B's N rows by cnn_gemm_bf16_narrow_pack */
  int64_t ldbb;
} gemm_plan;

typedef struct {
  const gemm_plan *plan;
  const float *a, *b, *c;
  float *y;
  cnn_activation act;
  float act_alpha, act_beta;
  int64_t blocks, block;        /* column blocks per product and their width */
} gemm_job;

static cnn_status
check_float (const cnn_graph *g, const cnn_node *n, const cnn_value *v, const char *what,
    cnn_error *err)
{
  if (v->rank < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "shape of %s '%s' is unknown",
        what, v->name);
  if (v->dtype != CNN_DTYPE_FLOAT32)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "%s '%s' is %s; only float32 is supported", what, v->name,
        cnn_dtype_string (v->dtype));
  for (int d = 0; d < v->rank; d++)
    if (v->dims[d] < 1)
      return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
          "%s '%s' must have known, non-zero dims", what, v->name);
  return CNN_STATUS_OK;
}

/* ---- Kernels ----------------------------------------------------------------------------- */

CNN_VECTORIZE static float
dot (const float *restrict a, const float *restrict b, int64_t n)
{
  float acc[16] = { 0 }, total = 0.0f;
  int64_t i = 0;

  /* Sixteen partial sums vectorise without -ffast-math. */
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; j++)
      acc[j] += a[i + j] * b[i + j];
  for (; i < n; i++)
    total += a[i] * b[i];
  for (int j = 0; j < 16; j++)
    total += acc[j];
  return total;
}

/* y[j] += alpha · Σ_k a[k · a_step] · b[k, j] for the nc columns of b (row stride ldb). */
CNN_VECTORIZE static void
gemv_rows (const float *a, int64_t a_step, const float *b, int64_t ldb, int64_t k,
    int64_t nc, float alpha, float *restrict y)
{
  for (int64_t kk = 0; kk < k; kk++) {
    const float *restrict br = b + kk * ldb;
    float s = alpha * a[kk * a_step];
    for (int64_t j = 0; j < nc; j++)
      y[j] += s * br[j];
  }
}

/* Columns [n0, n0 + nc) of one product. y (the product's [M, N] output) already holds
 * beta · C when accumulate is set. */
static void
gemm_block (const gemm_plan *p, const float *a, const float *b, float *y, int64_t n0,
    int64_t nc, bool accumulate)
{
  int64_t lda = p->trans_a ? p->m : p->k, ldb = p->trans_b ? p->k : p->n;
  const float *bb = p->trans_b ? b + n0 * p->k : b + n0;

  if (p->m == 1) {
    /* GEMV: A's single row is contiguous whether or not it is transposed (lda = 1). */
    if (p->trans_b) {
      for (int64_t j = 0; j < nc; j++)
        y[n0 + j] = p->alpha * dot (a, bb + j * p->k, p->k) + (accumulate ? y[n0 + j] : 0.0f);
    } else {
      if (!accumulate)
        memset (y + n0, 0, sizeof (float) * (size_t) nc);
      gemv_rows (a, 1, bb, ldb, p->k, nc, p->alpha, y + n0);
    }
    return;
  }
  cnn_sgemm (p->trans_a, p->trans_b, (int) p->m, (int) nc, (int) p->k, p->alpha, a, (int) lda,
      bb, (int) ldb, accumulate ? 1.0f : 0.0f, y + n0, (int) p->n);
}

/* Items [begin, end) of (product, column block). */
static void
gemm_items (void *arg, size_t begin, size_t end, int thread)
{
  const gemm_job *job = arg;
  const gemm_plan *p = job->plan;

  for (size_t item = begin; item < end; item++) {
    int64_t batch = (int64_t) item / job->blocks, blk = (int64_t) item % job->blocks;
    int64_t n0 = blk * job->block, nc = cnn_min64 (job->block, p->n - n0);
    int64_t a_off = 0, b_off = 0, rest = batch;
    if (nc <= 0)
      continue;
    for (int d = p->batch_rank - 1; d >= 0; d--) {
      int64_t i = rest % p->batch_dims[d];
      rest /= p->batch_dims[d];
      a_off += i * p->a_stride[d];
      b_off += i * p->b_stride[d];
    }
    float *y = job->y + batch * p->m * p->n;
    bool accumulate = job->c != NULL;
    if (accumulate)
      for (int64_t i = 0; i < p->m; i++) {
        const float *cr = job->c + (p->c_rows == 1 ? 0 : i * p->c_cols);
        float *yr = y + i * p->n + n0;
        for (int64_t j = 0; j < nc; j++)
          yr[j] = p->beta * cr[p->c_cols == 1 ? 0 : n0 + j];
      }
    gemm_block (p, job->a + a_off, job->b + b_off, y, n0, nc, accumulate);
    cnn_activate_rows (y + n0, p->m, nc, p->n, job->act, job->act_alpha, job->act_beta);
  }
}

static void
gemm_execute (const gemm_plan *p, const cnn_node *n, const cnn_layer_io *io,
    const cnn_exec *exec, const float *c)
{
  int threads = cnn_threadpool_threads (exec->pool);
  gemm_job job = {
    .plan = p,
    .a = io->in[0]->ptr,
    .b = io->in[1]->ptr,
    .c = c,
    .y = io->out[0]->ptr,
    .act = n->act,
    .act_alpha = n->act_alpha,
    .act_beta = n->act_beta,
    .blocks = 1,
    .block = p->n,
  };

  size_t items, grain = 1;

  /* Small products stay on the calling thread. Columns are split only when the products
   * alone cannot keep the threads evenly busy. */
  if (p->batches * p->m * p->n * p->k < GEMM_PARALLEL_MACS) {
    grain = (size_t) p->batches;
  } else if (threads > 1 && p->batches % threads != 0 && p->batches < 4 * threads) {
    job.blocks = cnn_min64 (threads, cnn_ceil_div (p->n, GEMM_COLUMN_ALIGN));
    job.block = cnn_ceil_div (cnn_ceil_div (p->n, job.blocks), GEMM_COLUMN_ALIGN)
        * GEMM_COLUMN_ALIGN;
    job.blocks = cnn_ceil_div (p->n, job.block);
  }
  items = (size_t) (p->batches * job.blocks);
  cnn_parallel_for (exec->pool, items, grain, gemm_items, &job);
}

static uint64_t
gemm_macs (const cnn_graph *g, const cnn_node *n)
{
  const gemm_plan *p = n->packed;
  return p != NULL ? (uint64_t) (p->batches * p->m * p->n * p->k) : 0;
}

/* Every output reads every input feature. */
static bool
gemm_window (const cnn_graph *g, const cnn_node *n, int64_t kernel[2], int64_t stride[2])
{
  kernel[0] = kernel[1] = stride[0] = stride[1] = 1;
  return false;
}

/* ---- Gemm -------------------------------------------------------------------------------- */

static cnn_status
gemm_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  gemm_params *p = calloc (1, sizeof (*p));

  if (p == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  /* Before opset 7 C broadcasts only with broadcast = 1; numpy's unidirectional broadcasting
   * below accepts both forms. */
  if (g->opset >= 7 && cnn_node_attr (n, "broadcast") != NULL) {
    free (p);
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "the 'broadcast' attribute exists only before opset 7");
  }
  p->trans_a = cnn_node_attr_int (n, "transA", 0) != 0;
  p->trans_b = cnn_node_attr_int (n, "transB", 0) != 0;
  p->alpha = cnn_node_attr_float (n, "alpha", 1.0f);
  p->beta = cnn_node_attr_float (n, "beta", 1.0f);
  n->params = p;
  return CNN_STATUS_OK;
}

/* Fills the plan of a Gemm node from its input shapes. */
static cnn_status
gemm_shapes (const cnn_graph *g, const cnn_node *n, gemm_plan *plan, cnn_error *err)
{
  const gemm_params *p = n->params;
  const cnn_value *a = cnn_node_input (g, n, 0);
  const cnn_value *b = cnn_node_input (g, n, 1);
  const cnn_value *c = cnn_node_input (g, n, 2);
  char da[160], db[160];
  cnn_status status;

  if ((status = check_float (g, n, a, "input A", err)) != CNN_STATUS_OK
      || (status = check_float (g, n, b, "input B", err)) != CNN_STATUS_OK
      || (c != NULL && (status = check_float (g, n, c, "input C", err)) != CNN_STATUS_OK))
    return status;
  cnn_format_dims (da, sizeof (da), a->rank, a->dims);
  cnn_format_dims (db, sizeof (db), b->rank, b->dims);
  if (a->rank != 2 || b->rank != 2)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "inputs A %s and B %s must be matrices", da, db);

  memset (plan, 0, sizeof (*plan));
  plan->trans_a = p->trans_a;
  plan->trans_b = p->trans_b;
  plan->alpha = p->alpha;
  plan->beta = p->beta;
  plan->m = a->dims[p->trans_a ? 1 : 0];
  plan->k = a->dims[p->trans_a ? 0 : 1];
  plan->n = b->dims[p->trans_b ? 0 : 1];
  plan->batches = 1;
  if (b->dims[p->trans_b ? 1 : 0] != plan->k)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "inner dimensions of A %s%s and B %s%s differ", da, p->trans_a ? " (transposed)" : "",
        db, p->trans_b ? " (transposed)" : "");
  if (c != NULL && p->beta != 0.0f) {
    /* C broadcasts one way to [M, N]. */
    plan->c_rows = c->rank == 2 ? c->dims[0] : 1;
    plan->c_cols = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
    if (c->rank > 2 || (plan->c_rows != 1 && plan->c_rows != plan->m)
        || (plan->c_cols != 1 && plan->c_cols != plan->n)) {
      char dc[160];
      cnn_format_dims (dc, sizeof (dc), c->rank, c->dims);
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "C %s does not broadcast to [%lld,%lld]", dc, (long long) plan->m,
          (long long) plan->n);
    }
  }
  return CNN_STATUS_OK;
}

static cnn_status
gemm_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  gemm_plan plan;
  cnn_status status = gemm_shapes (g, n, &plan, err);

  if (status == CNN_STATUS_OK)
    cnn_value_set_shape (cnn_node_output (g, n, 0), CNN_DTYPE_FLOAT32, 2,
        (int64_t[]) { plan.m, plan.n });
  return status;
}

/* BLAS takes int sizes and strides. */
static cnn_status
gemm_check_size (const cnn_graph *g, const cnn_node *n, const gemm_plan *p, cnn_error *err)
{
  if (p->m > INT_MAX || p->n > INT_MAX || p->k > INT_MAX)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "a [%lld,%lld]·[%lld,%lld] product is too large", (long long) p->m, (long long) p->k,
        (long long) p->k, (long long) p->n);
  return CNN_STATUS_OK;
}

/* The bf16 head: y[0][j] = act(Σ_k a[k] · B[j][k] + C[j]), B constant and transposed, C
 * absent or one row, no scaling; B's rows are the narrow GEMM's output rows. */
static bool
gemm_bf16_head (const cnn_graph *g, const cnn_node *n, const gemm_plan *p)
{
  const cnn_value *b = cnn_node_input (g, n, 1);

  return g->options.precision == CNN_PRECISION_BF16 && cnn_gemm_bf16_available ()
      && p->m == 1 && p->trans_b && b->blob != NULL && p->alpha == 1.0f
      && (p->c_rows == 0 || (p->c_rows == 1 && p->c_cols == p->n && p->beta == 1.0f));
}

static cnn_status
gemm_prepare (cnn_graph *g, cnn_node *n, int threads, cnn_error *err)
{
  gemm_plan shapes;
  cnn_status status;

  if ((status = gemm_shapes (g, n, &shapes, err)) != CNN_STATUS_OK
      || (status = gemm_check_size (g, n, &shapes, err)) != CNN_STATUS_OK)
    return status;
  /* The plan, then (bf16 head) B packed, 64-byte aligned. */
  bool head = gemm_bf16_head (g, n, &shapes);
  size_t size = (sizeof (gemm_plan) + 63) & ~(size_t) 63;
  int64_t ldbb = cnn_gemm_bf16_stride (shapes.k);
  size_t packed = head ? sizeof (uint32_t) * (size_t) (cnn_ceil_div (shapes.n, 16) * 16 * ldbb)
      : 0;
  gemm_plan *plan = aligned_alloc (64, (size + packed + 63) & ~(size_t) 63);

  if (plan == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  *plan = shapes;
  n->workspace = 0;
  if (head) {
    uint32_t *bb = (uint32_t *) ((char *) plan + size);
    cnn_gemm_bf16_narrow_pack (plan->n, plan->k,
        (const float *) cnn_node_input (g, n, 1)->blob->data, plan->k, bb);
    plan->bb = bb;
    plan->ldbb = ldbb;
    n->workspace = sizeof (uint32_t) * (size_t) cnn_gemm_bf16_narrow_scratch (1, plan->k);
  }
  n->packed = plan;
  return CNN_STATUS_OK;
}

typedef struct {
  const gemm_plan *plan;
  const float *a, *c;
  float *y;
  cnn_activation act;
  float act_alpha, act_beta;
  int64_t rows;                 /* output columns (B's rows) per item, a multiple of 16 */
  char *workspace;
  size_t workspace_stride;
} gemm_head_job;

static void
gemm_head_items (void *arg, size_t begin, size_t end, int thread)
{
  const gemm_head_job *job = arg;
  const gemm_plan *p = job->plan;
  uint32_t *scratch = (uint32_t *) (job->workspace + (size_t) thread * job->workspace_stride);

  for (size_t item = begin; item < end; item++) {
    int64_t j0 = (int64_t) item * job->rows, nj = cnn_min64 (job->rows, p->n - j0);
    cnn_gemm_bf16_narrow (nj, 1, p->k, p->bb + j0 * p->ldbb, p->ldbb, job->a, 1, job->y + j0,
        1, job->c != NULL ? job->c + j0 : NULL, NULL, job->act, job->act_alpha, job->act_beta,
        scratch);
  }
}

static void
gemm_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const gemm_plan *p = n->packed;
  const float *c = p->c_rows > 0 ? io->in[2]->ptr : NULL;

  if (p->bb != NULL) {
    int threads = p->n * p->k >= GEMM_PARALLEL_MACS ? cnn_threadpool_threads (exec->pool) : 1;
    gemm_head_job job = {
      .plan = p,
      .a = io->in[0]->ptr,
      .c = c,
      .y = io->out[0]->ptr,
      .act = n->act,
      .act_alpha = n->act_alpha,
      .act_beta = n->act_beta,
      .rows = cnn_ceil_div (cnn_ceil_div (p->n, threads), 16) * 16,
      .workspace = exec->workspace,
      .workspace_stride = exec->workspace_stride,
    };
    cnn_parallel_for (threads > 1 ? exec->pool : NULL, (size_t) cnn_ceil_div (p->n, job.rows),
        1, gemm_head_items, &job);
    return;
  }
  gemm_execute (p, n, io, exec, c);
}

const cnn_op_def cnn_op_gemm = {
  .name = "Gemm",
  .min_inputs = 2,
  .max_inputs = 3,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = gemm_parse,
  .infer = gemm_infer,
  .prepare = gemm_prepare,
  .run = gemm_run,
  .macs = gemm_macs,
  .window = gemm_window,
};

/* ---- MatMul ------------------------------------------------------------------------------ */

/* Fills the plan of a MatMul node and its output shape (numpy matmul: a 1-D operand is a
 * row (A) or column (B) vector whose unit dim is dropped again; batch dims broadcast). */
static cnn_status
matmul_shapes (const cnn_graph *g, const cnn_node *n, gemm_plan *plan, int *rank,
    int64_t *dims, cnn_error *err)
{
  const cnn_value *a = cnn_node_input (g, n, 0);
  const cnn_value *b = cnn_node_input (g, n, 1);
  char da[160], db[160];
  cnn_status status;

  if ((status = check_float (g, n, a, "input A", err)) != CNN_STATUS_OK
      || (status = check_float (g, n, b, "input B", err)) != CNN_STATUS_OK)
    return status;
  cnn_format_dims (da, sizeof (da), a->rank, a->dims);
  cnn_format_dims (db, sizeof (db), b->rank, b->dims);
  if (a->rank < 1 || b->rank < 1)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "inputs A %s and B %s must have at least one dim", da, db);

  memset (plan, 0, sizeof (*plan));
  plan->alpha = 1.0f;
  plan->m = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
  plan->k = a->dims[a->rank - 1];
  plan->n = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
  if (b->dims[b->rank >= 2 ? b->rank - 2 : 0] != plan->k)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "inner dimensions of A %s and B %s differ", da, db);

  /* Batch dims, right-aligned, each 1 or the common size. */
  int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
  int64_t a_size = plan->m * plan->k, b_size = plan->k * plan->n;
  plan->batch_rank = ra > rb ? ra : rb;
  plan->batches = 1;
  for (int d = plan->batch_rank - 1; d >= 0; d--) {
    int ia = d - (plan->batch_rank - ra), ib = d - (plan->batch_rank - rb);
    int64_t sa = ia >= 0 ? a->dims[ia] : 1, sb = ib >= 0 ? b->dims[ib] : 1;
    if (sa != sb && sa != 1 && sb != 1)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "batch dimensions of A %s and B %s do not broadcast", da, db);
    plan->batch_dims[d] = sa > sb ? sa : sb;
    plan->a_stride[d] = sa == 1 ? 0 : a_size;
    plan->b_stride[d] = sb == 1 ? 0 : b_size;
    a_size *= sa;
    b_size *= sb;
    plan->batches *= plan->batch_dims[d];
  }

  *rank = 0;
  for (int d = 0; d < plan->batch_rank; d++)
    dims[(*rank)++] = plan->batch_dims[d];
  if (a->rank >= 2)
    dims[(*rank)++] = plan->m;
  if (b->rank >= 2)
    dims[(*rank)++] = plan->n;

  /* A shared B: all of A's rows are one product (one bigger SGEMM, better blocking). */
  if (rb == 0 && plan->batches > 1) {
    plan->m *= plan->batches;
    plan->batches = 1;
    plan->batch_rank = 0;
  }
  return CNN_STATUS_OK;
}

static cnn_status
matmul_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  gemm_plan plan;
  int64_t dims[CNN_MAX_RANK];
  int rank = 0;
  cnn_status status = matmul_shapes (g, n, &plan, &rank, dims, err);

  if (status == CNN_STATUS_OK)
    cnn_value_set_shape (cnn_node_output (g, n, 0), CNN_DTYPE_FLOAT32, rank, dims);
  return status;
}

static cnn_status
matmul_prepare (cnn_graph *g, cnn_node *n, int threads, cnn_error *err)
{
  gemm_plan *plan = malloc (sizeof (*plan));
  int64_t dims[CNN_MAX_RANK];
  int rank = 0;
  cnn_status status;

  if (plan == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  if ((status = matmul_shapes (g, n, plan, &rank, dims, err)) != CNN_STATUS_OK
      || (status = gemm_check_size (g, n, plan, err)) != CNN_STATUS_OK) {
    free (plan);
    return status;
  }
  n->packed = plan;
  n->workspace = 0;
  return CNN_STATUS_OK;
}

static void
matmul_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  gemm_execute (n->packed, n, io, exec, NULL);
}

const cnn_op_def cnn_op_matmul = {
  .name = "MatMul",
  .min_inputs = 2,
  .max_inputs = 2,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = NULL,
  .infer = matmul_infer,
  .prepare = matmul_prepare,
  .run = matmul_run,
  .macs = gemm_macs,
  .window = gemm_window,
};
