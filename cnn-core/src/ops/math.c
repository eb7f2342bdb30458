/* math.c — elementwise math functions of one tensor: Sqrt, Exp, Log, Erf, Neg, Abs,
 * Reciprocal, and Gelu (ONNX opset 20; also what the fusion pass makes of the Erf form that
 * exporters write before it).
 *
 * Float32 (the integer forms of Neg and Abs do not occur in image classifiers). Results follow
 * C's libm: Sqrt and Log of negative numbers give NaN, Log(0) gives -inf, as in ONNX Runtime.
 * Erf and Gelu use the vectorised kernel in kernels/erf.c.
 */
#include "helpers.h"
#include "ops.h"

#include "kernels/erf.h"

#include <math.h>
#include <string.h>

/* Elements per parallel unit. */
#define MATH_GRAIN 16384

typedef enum {
  MATH_SQRT,
  MATH_EXP,
  MATH_LOG,
  MATH_ERF,
  MATH_NEG,
  MATH_ABS,
  MATH_RECIPROCAL,
  MATH_GELU,
  MATH_GELU_TANH,
} math_kind;

typedef struct {
  math_kind kind;
  const float *x;
  float *y;
} math_task;

static cnn_status
math_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  cnn_status status = cnn_op_float_input (g, n, x, err);

  if (status == CNN_STATUS_OK)
    cnn_value_set_shape (cnn_node_output (g, n, 0), x->dtype, x->rank, x->dims);
  return status;
}

/* The loops, one per function so each vectorises (or at least calls libm without a switch per
 * element). */
#define MATH_LOOP(EXPR)                                 \
  for (size_t i = begin; i < end; i++) {                \
    float v = x[i];                                     \
    y[i] = (EXPR);                                      \
  }

static void
math_range (void *arg, size_t begin, size_t end, int thread)
{
  const math_task *t = arg;
  const float *x = t->x;
  float *y = t->y;
  (void) thread;

  switch (t->kind) {
    case MATH_SQRT: MATH_LOOP (sqrtf (v)); break;
    case MATH_EXP: MATH_LOOP (expf (v)); break;
    case MATH_LOG: MATH_LOOP (logf (v)); break;
    case MATH_ERF: cnn_erf_array (y + begin, x + begin, end - begin); break;
    case MATH_NEG: MATH_LOOP (-v); break;
    case MATH_ABS: MATH_LOOP (fabsf (v)); break;
    case MATH_RECIPROCAL: MATH_LOOP (1.0f / v); break;
    case MATH_GELU: cnn_gelu_array (y + begin, x + begin, end - begin); break;
    case MATH_GELU_TANH:
      MATH_LOOP (0.5f * v * (1.0f + tanhf (0.79788456080286536f * (v + 0.044715f * v * v * v))));
      break;
  }
}

static void
math_apply (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec, math_kind kind)
{
  const cnn_value *x = cnn_layer_in (io, 0);
  const cnn_value *y = io->out[0];
  math_task t = { kind, x->ptr, y->ptr };
  uint64_t count;

  if (!cnn_value_elements (y, &count) || count == 0)
    return;
  cnn_parallel_for (exec != NULL ? exec->pool : NULL, (size_t) count, MATH_GRAIN, math_range,
      &t);
}

#define MATH_RUN(fn, KIND)                                            \
  static void                                                         \
  fn (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec) \
  {                                                                   \
    math_apply (n, io, exec, KIND);                                   \
  }

MATH_RUN (sqrt_run, MATH_SQRT)
MATH_RUN (exp_run, MATH_EXP)
MATH_RUN (log_run, MATH_LOG)
MATH_RUN (erf_run, MATH_ERF)
MATH_RUN (neg_run, MATH_NEG)
MATH_RUN (abs_run, MATH_ABS)
MATH_RUN (reciprocal_run, MATH_RECIPROCAL)

/* Gelu's `approximate` attribute: "none" (the erf form) or "tanh". */
static cnn_status
gelu_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const char *approximate = cnn_node_attr_string (n, "approximate", "none");

  if (strcmp (approximate, "none") != 0 && strcmp (approximate, "tanh") != 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "approximate '%s' is not one of 'none', 'tanh'", approximate);
  return CNN_STATUS_OK;
}

static void
gelu_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  bool tanh_form = strcmp (cnn_node_attr_string (n, "approximate", "none"), "tanh") == 0;

  math_apply (n, io, exec, tanh_form ? MATH_GELU_TANH : MATH_GELU);
}

#define MATH_DEF(NAME, RUN)     \
  {                             \
    .name = NAME,               \
    .min_inputs = 1,            \
    .max_inputs = 1,            \
    .min_outputs = 1,           \
    .max_outputs = 1,           \
    .infer = math_infer,        \
    .run = RUN,                 \
  }

const cnn_op_def cnn_op_sqrt = MATH_DEF ("Sqrt", sqrt_run);
const cnn_op_def cnn_op_exp = MATH_DEF ("Exp", exp_run);
const cnn_op_def cnn_op_log = MATH_DEF ("Log", log_run);
const cnn_op_def cnn_op_erf = MATH_DEF ("Erf", erf_run);
const cnn_op_def cnn_op_neg = MATH_DEF ("Neg", neg_run);
const cnn_op_def cnn_op_abs = MATH_DEF ("Abs", abs_run);
const cnn_op_def cnn_op_reciprocal = MATH_DEF ("Reciprocal", reciprocal_run);

const cnn_op_def cnn_op_gelu = {
  .name = "Gelu",
  .min_inputs = 1,
  .max_inputs = 1,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = gelu_parse,
  .infer = math_infer,
  .run = gelu_run,
};
