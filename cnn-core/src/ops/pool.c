/* pool.c — MaxPool and AveragePool over 1-D and 2-D windows, float32.
 *
 * The pools share Conv's window attributes and geometry (window.h) and its depthwise
 * machinery: each input plane is split into padded stride-phase planes (padding is −∞ for
 * max, 0 for average), so every tap is a flat offset and each tap is one branch-free
 * vectorised pass over the output (kernels/depthwise.c). Averages are then scaled by per-row
 * and per-column reciprocal tap counts computed at prepare. On AVX-512 CPUs max pools with
 * strides 1 or 2 read their input in place (cnn_max_pool_direct) instead. Planes (image,
 * channel) are shared out among the threads.
 */
#include "conv.h"
#include "helpers.h"
#include "ops.h"
#include "window.h"

#include "kernels/depthwise.h"

#include <stdlib.h>

/* Outputs of taps a thread should at least get before the planes are split. */
#define POOL_GRAIN 16384

/* ---- MaxPool / AveragePool --------------------------------------------------------------- */

typedef struct {
  cnn_window_attrs win;
  bool average;
  bool count_include_pad;
} pool_params;

static cnn_status
pool_parse (cnn_graph *g, cnn_node *n, bool average, cnn_error *err)
{
  pool_params *p = calloc (1, sizeof (*p));
  cnn_status status;

  if (p == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  if ((status = cnn_window_parse (g, n, true, &p->win, err)) != CNN_STATUS_OK)
    goto error;
  if (p->win.kernel[0] == 0) {
    status = cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "attribute 'kernel_shape' is required");
    goto error;
  }
  p->average = average;
  if (average) {
    int64_t include = cnn_node_attr_int (n, "count_include_pad", 0);
    if (include != 0 && include != 1) {
      status = cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "count_include_pad must be 0 or 1, got %lld", (long long) include);
      goto error;
    }
    p->count_include_pad = include == 1;
  }
  /* storage_order only concerns the Indices output, which we refuse when it is used. */
  n->params = p;
  return CNN_STATUS_OK;

error:
  free (p);
  return status;
}

static cnn_status
max_pool_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return pool_parse (g, n, false, err);
}

static cnn_status
average_pool_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  return pool_parse (g, n, true, err);
}

static cnn_status
pool_geometry (const cnn_graph *g, const cnn_node *n, cnn_conv_geom *s, cnn_error *err)
{
  const pool_params *p = n->params;
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = cnn_op_float_input (g, n, x, err);

  if (status != CNN_STATUS_OK)
    return status;
  return cnn_window_geometry (g, n, &p->win, x, p->win.kernel, s, err);
}

static cnn_status
pool_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_conv_geom s;
  cnn_status status;

  if ((status = pool_geometry (g, n, &s, err)) != CNN_STATUS_OK)
    return status;
  if (cnn_op_output_used (g, n, 1))
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "the Indices output is not supported");
  int64_t dims[4] = { s.n, s.c, s.oh, s.ow };
  if (x->rank == 3)
    dims[2] = s.ow;
  cnn_value_set_shape (cnn_node_output (g, n, 0), CNN_DTYPE_FLOAT32, x->rank, dims);
  /* An unread Indices output still needs a size for the memory planner. */
  if (n->n_outputs > 1 && n->outputs[1] >= 0)
    cnn_value_set_shape (cnn_node_output (g, n, 1), CNN_DTYPE_INT64, x->rank, dims);
  return CNN_STATUS_OK;
}

/* What prepare worked out; lives in node->packed, followed by the scale arrays. */
typedef struct {
  cnn_conv_geom s;
  cnn_phase_layout l;
  bool average;
  bool direct;                  /* MaxPool: cnn_max_pool_direct, no phase planes */
  float *row_scale, *col_scale; /* AveragePool: 1 / taps counted per output row, column */
} pool_plan;

/* Taps t in [0, taps) whose position start + t · dilation lies in [lo, hi). */
static inline int64_t
taps_inside (int64_t start, int64_t taps, int64_t dilation, int64_t lo, int64_t hi)
{
  int64_t first = start >= lo ? 0 : (lo - start + dilation - 1) / dilation;
  int64_t last = hi - 1 - start < 0 ? -1 : cnn_min64 (taps - 1, (hi - 1 - start) / dilation);
  return cnn_max64 (0, last - first + 1);
}

/* 1 / the taps an average counts along one axis: those inside the input, or inside input
 * plus padding. A window that ceil_mode let run past the end padding counts only up to it
 * (like ONNX Runtime). The divisor of output (oh, ow) is the product of both axes'. */
static void
pool_scales (int64_t out, int64_t in, int64_t taps, int64_t stride, int64_t dilation,
    int64_t pad_begin, int64_t pad_end, bool include_pad, float *scale)
{
  int64_t lo = include_pad ? -pad_begin : 0, hi = in + (include_pad ? pad_end : 0);

  for (int64_t o = 0; o < out; o++) {
    int64_t count = taps_inside (o * stride - pad_begin, taps, dilation, lo, hi);
    scale[o] = count > 0 ? 1.0f / (float) count : 0.0f;
  }
}

static cnn_status
pool_prepare (cnn_graph *g, cnn_node *n, int threads, cnn_error *err)
{
  const pool_params *p = n->params;
  cnn_conv_geom s;
  cnn_status status;

  if ((status = pool_geometry (g, n, &s, err)) != CNN_STATUS_OK)
    return status;
  pool_plan *plan = malloc (sizeof (*plan) + sizeof (float) * (size_t) (s.oh + s.ow));
  if (plan == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  plan->s = s;
  plan->l = cnn_phase_layout_of (&s);
  plan->average = p->average;
  plan->direct = !p->average && !cnn_conv_portable () && cnn_depthwise_direct_available (&s);
  plan->row_scale = (float *) (plan + 1);
  plan->col_scale = plan->row_scale + s.oh;
  pool_scales (s.oh, s.h, s.kh, s.sh, s.dh, s.pt, s.pb, p->count_include_pad, plan->row_scale);
  pool_scales (s.ow, s.w, s.kw, s.sw, s.dw, s.pl, s.pr, p->count_include_pad, plan->col_scale);
  n->packed = plan;
  n->workspace = plan->direct ? 0 : cnn_phase_scratch (&s) * sizeof (float);
  return CNN_STATUS_OK;
}

typedef struct {
  const pool_plan *plan;
  const float *x;
  float *y;
  char *workspace;
  size_t workspace_stride;
} pool_job;

static void
pool_planes (void *arg, size_t begin, size_t end, int thread)
{
  const pool_job *job = arg;
  const pool_plan *plan = job->plan;
  const cnn_conv_geom *s = &plan->s;

  /* No workspace: it may be NULL. */
  if (plan->direct) {
    for (size_t plane = begin; plane < end; plane++)
      cnn_max_pool_direct (s, job->x + plane * (size_t) (s->h * s->w),
          job->y + plane * (size_t) (s->oh * s->ow));
    return;
  }
  float *scratch = (float *) (job->workspace + (size_t) thread * job->workspace_stride);
  for (size_t plane = begin; plane < end; plane++)
    cnn_pool_phase (s, &plan->l, job->x + plane * (size_t) (s->h * s->w), plan->average,
        plan->row_scale, plan->col_scale, job->y + plane * (size_t) (s->oh * s->ow), scratch);
}

static void
pool_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const pool_plan *plan = n->packed;
  const cnn_conv_geom *s = &plan->s;
  pool_job job = {
    .plan = plan,
    .x = io->in[0]->ptr,
    .y = io->out[0]->ptr,
    .workspace = exec->workspace,
    .workspace_stride = exec->workspace_stride,
  };
  size_t plane = (size_t) (s->oh * s->ow * s->kh * s->kw);

  cnn_parallel_for (exec->pool, (size_t) (s->n * s->c),
      plane >= POOL_GRAIN ? 1 : POOL_GRAIN / plane, pool_planes, &job);
}

static uint64_t
pool_macs (const cnn_graph *g, const cnn_node *n)
{
  const pool_params *p = n->params;
  uint64_t elements;

  /* One operation per tap of every output. */
  if (!cnn_value_elements (cnn_node_output (g, n, 0), &elements))
    return 0;
  return elements * (uint64_t) p->win.kernel[0]
      * (uint64_t) (p->win.spatial == 2 ? p->win.kernel[1] : 1);
}

static bool
pool_window (const cnn_graph *g, const cnn_node *n, int64_t kernel[2], int64_t stride[2])
{
  const pool_params *p = n->params;

  cnn_window_span (&p->win, p->win.spatial, p->win.kernel, kernel, stride);
  return true;
}

const cnn_op_def cnn_op_max_pool = {
  .name = "MaxPool",
  .min_inputs = 1,
  .max_inputs = 1,
  .min_outputs = 1,
  .max_outputs = 2,
  .parse = max_pool_parse,
  .infer = pool_infer,
  .prepare = pool_prepare,
  .run = pool_run,
  .macs = pool_macs,
  .window = pool_window,
};

const cnn_op_def cnn_op_average_pool = {
  .name = "AveragePool",
  .min_inputs = 1,
  .max_inputs = 1,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = average_pool_parse,
  .infer = pool_infer,
  .prepare = pool_prepare,
  .run = pool_run,
  .macs = pool_macs,
  .window = pool_window,
};
