/* lrn.c — LRN, local response normalisation across channels (opset 1 and 13: same meaning).
 *
 * AlexNet, CaffeNet and GoogLeNet normalise each activation by the energy of its neighbours
 * in the channel direction:
 *   y[n,c,…] = x[n,c,…] / (bias + alpha / size · Σ x[n,c',…]²) ^ beta,
 * c' from c − ⌊(size−1)/2⌋ to c + ⌈(size−1)/2⌉, clipped to the channels there are. Float32,
 * any rank ≥ 3 (all trailing dims form one plane). Each output plane is one unit of work.
 */
#include "ops.h"

#include "helpers.h"

#include <math.h>
#include <stdlib.h>

/* Plane elements per parallel unit, at least. */
#define LRN_GRAIN 4096

typedef struct {
  float alpha, beta, bias;
  int64_t size;
} lrn_params;

typedef struct {
  const lrn_params *p;
  const float *x;
  float *y;
  int64_t channels, plane;
} lrn_task;

static cnn_status
lrn_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_attr *size = cnn_node_attr (n, "size");
  lrn_params *p;

  if (size == NULL || size->type != CNN_ATTR_INT)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "the 'size' attribute (an int) is required");
  if (size->i < 1 || size->i > 1 << 16)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "size %lld is out of range (1 to 65536)", (long long) size->i);
  if ((p = malloc (sizeof (*p))) == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  p->size = size->i;
  p->alpha = cnn_node_attr_float (n, "alpha", 1e-4f);
  p->beta = cnn_node_attr_float (n, "beta", 0.75f);
  p->bias = cnn_node_attr_float (n, "bias", 1.0f);
  n->params = p;
  return CNN_STATUS_OK;
}

static cnn_status
lrn_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  char dims[160];

  cnn_status status = cnn_op_float_input (g, n, x, err);

  if (status != CNN_STATUS_OK)
    return status;
  cnn_format_dims (dims, sizeof (dims), x->rank, x->dims);
  if (x->rank < 3)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "input %s must be [N, C, D1, ...]", dims);
  cnn_value_set_shape (cnn_node_output (g, n, 0), x->dtype, x->rank, x->dims);
  return CNN_STATUS_OK;
}

/* Planes [begin, end): plane i is image i / channels, channel i % channels. */
static void
lrn_range (void *arg, size_t begin, size_t end, int thread)
{
  const lrn_task *t = arg;
  const lrn_params *p = t->p;
  const int64_t before = (p->size - 1) / 2, after = p->size / 2;
  const float scale = p->alpha / (float) p->size;
  (void) thread;

  for (size_t i = begin; i < end; i++) {
    int64_t c = (int64_t) i % t->channels;
    const float *image = t->x + ((int64_t) i - c) * t->plane;
    const float *x = t->x + (int64_t) i * t->plane;
    float *y = t->y + (int64_t) i * t->plane;
    int64_t lo = c - before < 0 ? 0 : c - before;
    int64_t hi = c + after >= t->channels ? t->channels - 1 : c + after;

    /* y holds the sum of squares first, then the result: x and y never alias. */
    for (int64_t k = 0; k < t->plane; k++)
      y[k] = 0.0f;
    for (int64_t cc = lo; cc <= hi; cc++) {
      const float *xc = image + cc * t->plane;
      for (int64_t k = 0; k < t->plane; k++)
        y[k] += xc[k] * xc[k];
    }
    for (int64_t k = 0; k < t->plane; k++)
      y[k] = x[k] * powf (p->bias + scale * y[k], -p->beta);
  }
}

static void
lrn_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const cnn_value *x = cnn_layer_in (io, 0);
  const cnn_value *y = io->out[0];
  lrn_task t = { n->params, x->ptr, y->ptr, x->dims[1], 1 };

  for (int d = 2; d < x->rank; d++)
    t.plane *= x->dims[d];
  size_t planes = (size_t) (x->dims[0] * x->dims[1]);
  if (planes == 0 || t.plane == 0)
    return;
  size_t grain = t.plane >= LRN_GRAIN ? 1 : (size_t) (LRN_GRAIN / t.plane);
  cnn_parallel_for (exec != NULL ? exec->pool : NULL, planes, grain, lrn_range, &t);
}

static uint64_t
lrn_macs (const cnn_graph *g, const cnn_node *n)
{
  const lrn_params *p = n->params;
  uint64_t count = 0;

  cnn_value_elements (cnn_node_output (g, n, 0), &count);
  return count * (uint64_t) p->size;
}

const cnn_op_def cnn_op_lrn = {
  .name = "LRN",
  .min_inputs = 1,
  .max_inputs = 1,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = lrn_parse,
  .infer = lrn_infer,
  .run = lrn_run,
  .macs = lrn_macs,
};
