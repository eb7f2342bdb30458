/* shape.c — ops that make or describe tensors rather than transform activations: Constant,
 * Shape, Cast, ConstantOfShape.
 *
 * These mostly live in the shape sub-graphs exporters emit (Shape → Gather → Concat →
 * Reshape), which prepare folds into constants by calling infer and then run.
 */
#include "helpers.h"
#include "ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ONNX TensorProto.DataType names, for messages. */
static const char *
onnx_type_name (int64_t type)
{
  static const char *const names[] = {
    "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
    "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
    "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4",
  };
  return type >= 0 && type < (int64_t) (sizeof (names) / sizeof (names[0])) ? names[type]
      : "unknown";
}

/* ---- Constant --------------------------------------------------------------------------- */

typedef struct {
  int tensor;                   /* `value`: id of the constant value, or -1 */
  const void *value;            /* ... its data, from infer on */
  cnn_dtype dtype;              /* value_float(s) / value_int(s): the data below */
  int rank;
  int64_t count;
  void *data;
} constant_params;

static void
constant_free (void *params)
{
  constant_params *p = params;

  if (p != NULL)
    free (p->data);
  free (p);
}

static cnn_status
constant_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  cnn_status status = CNN_STATUS_OK;
  constant_params *p = calloc (1, sizeof (*p));
  const cnn_attr *a;

  if (p == NULL) {
    status = cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    goto error;
  }
  p->tensor = -1;
  if ((a = cnn_node_attr (n, "value")) != NULL) {
    if (a->type != CNN_ATTR_TENSOR || a->tensor < 0 || a->tensor >= g->n_values) {
      status = cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "attribute 'value' is not a tensor");
      goto error;
    }
    p->tensor = a->tensor;
  } else if ((a = cnn_node_attr (n, "value_float")) != NULL
      || (a = cnn_node_attr (n, "value_floats")) != NULL) {
    bool list = a->type == CNN_ATTR_FLOATS;
    if (a->type != CNN_ATTR_FLOAT && !list) {
      status = cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "attribute '%s' has the wrong type", a->name);
      goto error;
    }
    p->dtype = CNN_DTYPE_FLOAT32;
    p->rank = list ? 1 : 0;
    p->count = list ? (int64_t) a->count : 1;
    p->data = malloc (sizeof (float) * (size_t) (p->count > 0 ? p->count : 1));
    if (p->data == NULL) {
      status = cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
      goto error;
    }
    if (list && p->count > 0)
      memcpy (p->data, a->floats, sizeof (float) * (size_t) p->count);
    else if (!list)
      *(float *) p->data = a->f;
  } else if ((a = cnn_node_attr (n, "value_int")) != NULL
      || (a = cnn_node_attr (n, "value_ints")) != NULL) {
    bool list = a->type == CNN_ATTR_INTS;
    if (a->type != CNN_ATTR_INT && !list) {
      status = cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "attribute '%s' has the wrong type", a->name);
      goto error;
    }
    p->dtype = CNN_DTYPE_INT64;
    p->rank = list ? 1 : 0;
    p->count = list ? (int64_t) a->count : 1;
    p->data = malloc (sizeof (int64_t) * (size_t) (p->count > 0 ? p->count : 1));
    if (p->data == NULL) {
      status = cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
      goto error;
    }
    if (list && p->count > 0)
      memcpy (p->data, a->ints, sizeof (int64_t) * (size_t) p->count);
    else if (!list)
      *(int64_t *) p->data = a->i;
  } else if (cnn_node_attr (n, "value_string") != NULL
      || cnn_node_attr (n, "value_strings") != NULL) {
    status = cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "string constants are not supported");
    goto error;
  } else if (cnn_node_attr (n, "sparse_value") != NULL) {
    status = cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "sparse constants are not supported");
    goto error;
  } else {
    status = cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "has none of the attributes value, value_float(s), value_int(s)");
    goto error;
  }
  n->params = p;
  return CNN_STATUS_OK;

error:
  constant_free (p);
  return status;
}

static cnn_status
constant_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  constant_params *p = n->params;
  cnn_value *out = cnn_node_output (g, n, 0);

  if (p->tensor >= 0) {
    const cnn_value *t = &g->values[p->tensor];
    uint64_t bytes;
    if (t->blob == NULL || t->rank < 0)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "attribute 'value' has no data");
    if (cnn_dtype_size (t->dtype) == 0)
      return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
          "tensor type %s is not supported", cnn_dtype_string (t->dtype));
    if (!cnn_value_bytes (t, &bytes) || bytes > t->blob->size)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "attribute 'value' holds fewer bytes than its shape needs");
    cnn_value_set_shape (out, t->dtype, t->rank, t->dims);
    p->value = t->blob->data;
  } else {
    int64_t dims[1] = { p->count };
    cnn_value_set_shape (out, p->dtype, p->rank, dims);
  }
  return CNN_STATUS_OK;
}

static void
constant_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const constant_params *p = n->params;
  const cnn_value *out = io->out[0];
  const void *src = p->tensor >= 0 ? p->value : p->data;
  uint64_t bytes;
  (void) exec;

  if (cnn_value_bytes (out, &bytes) && bytes > 0 && out->ptr != src)
    memcpy (out->ptr, src, (size_t) bytes);
}

/* ---- Shape ------------------------------------------------------------------------------ */

typedef struct {
  int64_t start, end;           /* opset 15 attributes, as written */
} shape_params;

static cnn_status
shape_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  shape_params *p = malloc (sizeof (*p));

  if (p == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  p->start = cnn_node_attr_int (n, "start", 0);
  p->end = cnn_node_attr_int (n, "end", INT64_MAX);
  n->params = p;
  return CNN_STATUS_OK;
}

/* Negative positions count from the end; both are clamped to [0, rank]. */
static void
shape_range (const shape_params *p, int rank, int *start, int *end)
{
  int64_t s = p->start < 0 ? p->start + rank : p->start;
  int64_t e = p->end < 0 ? p->end + rank : p->end;
  s = s < 0 ? 0 : (s > rank ? rank : s);
  e = e < 0 ? 0 : (e > rank ? rank : e);
  *start = (int) s;
  *end = (int) (e > s ? e : s);
}

static cnn_status
shape_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_value *x = cnn_node_input (g, n, 0);
  int start, end;

  if (x == NULL || x->rank < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "input rank is unknown");
  shape_range (n->params, x->rank, &start, &end);
  int64_t dims[1] = { end - start };
  cnn_value_set_shape (cnn_node_output (g, n, 0), CNN_DTYPE_INT64, 1, dims);
  return CNN_STATUS_OK;
}

/* Reads only the input's dims, never its data. */
static void
shape_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const cnn_value *x = cnn_layer_in (io, 0);
  int64_t *out = io->out[0]->ptr;
  int start, end;
  (void) exec;

  shape_range (n->params, x->rank, &start, &end);
  for (int i = start; i < end; i++)
    out[i - start] = x->dims[i];
}

/* ---- Cast ------------------------------------------------------------------------------- */

typedef struct {
  cnn_dtype to;
} cast_params;

static cnn_status
cast_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_attr *a = cnn_node_attr (n, "to");
  cast_params *p;
  cnn_dtype to;

  int64_t code = a != NULL && a->type == CNN_ATTR_INT ? a->i : -1;

  /* Opsets 1–5 name the type as a string. */
  if (a != NULL && a->type == CNN_ATTR_STRING && g->opset < 6) {
    static const struct { const char *name; int64_t code; } names[] = {
      { "FLOAT", 1 }, { "DOUBLE", 11 }, { "INT32", 6 }, { "INT64", 7 }, { "BOOL", 9 },
      { "UINT8", 2 },
    };
    for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++)
      if (strcmp (a->s, names[i].name) == 0)
        code = names[i].code;
    if (code < 0)
      return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
          "cast to '%s' is not supported (FLOAT, DOUBLE, INT32, INT64, BOOL, UINT8 are)", a->s);
  }
  if (code < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "the attribute 'to' is missing (an integer, or a type name before opset 6)");
  switch (code) {
    case 1:                     /* FLOAT */
      to = CNN_DTYPE_FLOAT32;
      break;
    case 11:                    /* DOUBLE: we carry doubles as float32 */
      to = CNN_DTYPE_FLOAT32;
      break;
    case 6:
      to = CNN_DTYPE_INT32;
      break;
    case 7:
      to = CNN_DTYPE_INT64;
      break;
    case 9:
      to = CNN_DTYPE_BOOL;
      break;
    case 2:
      to = CNN_DTYPE_UINT8;
      break;
    default:
      return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
          "cast to %s (%lld) is not supported (FLOAT, DOUBLE, INT32, INT64, BOOL, UINT8 are)",
          onnx_type_name (code), (long long) code);
  }
  p = malloc (sizeof (*p));
  if (p == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  p->to = to;
  n->params = p;
  return CNN_STATUS_OK;
}

static cnn_status
cast_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cast_params *p = n->params;
  const cnn_value *x = cnn_node_input (g, n, 0);

  if (x == NULL || x->rank < 0)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL, "input shape is unknown");
  if (cnn_dtype_size (x->dtype) == 0)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "input type %s is not supported", cnn_dtype_string (x->dtype));
  cnn_value_set_shape (cnn_node_output (g, n, 0), p->to, x->rank, x->dims);
  return CNN_STATUS_OK;
}

/* Float to integer saturates and maps NaN to 0: C leaves those cases undefined. */
static inline int64_t
float_to_int64 (float x)
{
  if (isnan (x))
    return 0;
  if (x >= 9223372036854775807.0f)
    return INT64_MAX;
  if (x <= -9223372036854775808.0f)
    return INT64_MIN;
  return (int64_t) x;
}

static inline int32_t
float_to_int32 (float x)
{
  if (isnan (x))
    return 0;
  if (x >= 2147483647.0f)
    return INT32_MAX;
  if (x <= -2147483648.0f)
    return INT32_MIN;
  return (int32_t) x;
}

typedef struct {
  cnn_dtype from, to;
  const void *in;
  void *out;
} cast_task;

#define CAST_LOOP(ST, DT, EXPR)                 \
  do {                                          \
    const ST *s = (const ST *) t->in + begin;   \
    DT *d = (DT *) t->out + begin;              \
    for (size_t i = 0; i < end - begin; i++) {  \
      ST x = s[i];                              \
      d[i] = (EXPR);                            \
    }                                           \
  } while (0)

static void
cast_range (void *arg, size_t begin, size_t end, int thread)
{
  const cast_task *t = arg;
  (void) thread;

  /* Integers narrow by wrapping, like numpy's astype. */
  switch (t->from) {
    case CNN_DTYPE_FLOAT32:
      switch (t->to) {
        case CNN_DTYPE_INT64: CAST_LOOP (float, int64_t, float_to_int64 (x)); break;
        case CNN_DTYPE_INT32: CAST_LOOP (float, int32_t, float_to_int32 (x)); break;
        case CNN_DTYPE_BOOL: CAST_LOOP (float, uint8_t, x != 0.0f); break;
        case CNN_DTYPE_UINT8: CAST_LOOP (float, uint8_t, (uint8_t) float_to_int32 (x)); break;
        default: break;
      }
      break;
    case CNN_DTYPE_INT64:
      switch (t->to) {
        case CNN_DTYPE_FLOAT32: CAST_LOOP (int64_t, float, (float) x); break;
        case CNN_DTYPE_INT32: CAST_LOOP (int64_t, int32_t, (int32_t) (uint32_t) x); break;
        case CNN_DTYPE_BOOL: CAST_LOOP (int64_t, uint8_t, x != 0); break;
        default: break;
      }
      break;
    case CNN_DTYPE_INT32:
      switch (t->to) {
        case CNN_DTYPE_FLOAT32: CAST_LOOP (int32_t, float, (float) x); break;
        case CNN_DTYPE_INT64: CAST_LOOP (int32_t, int64_t, x); break;
        case CNN_DTYPE_BOOL: CAST_LOOP (int32_t, uint8_t, x != 0); break;
        default: break;
      }
      break;
    case CNN_DTYPE_UINT8:
      switch (t->to) {
        case CNN_DTYPE_FLOAT32: CAST_LOOP (uint8_t, float, (float) x); break;
        case CNN_DTYPE_INT64: CAST_LOOP (uint8_t, int64_t, x); break;
        case CNN_DTYPE_INT32: CAST_LOOP (uint8_t, int32_t, x); break;
        case CNN_DTYPE_BOOL: CAST_LOOP (uint8_t, uint8_t, x != 0); break;
        default: break;
      }
      break;
    case CNN_DTYPE_BOOL:
      switch (t->to) {
        case CNN_DTYPE_FLOAT32: CAST_LOOP (uint8_t, float, x ? 1.0f : 0.0f); break;
        case CNN_DTYPE_INT64: CAST_LOOP (uint8_t, int64_t, x ? 1 : 0); break;
        case CNN_DTYPE_INT32: CAST_LOOP (uint8_t, int32_t, x ? 1 : 0); break;
        default: break;
      }
      break;
    default:
      break;
  }
}

static void
cast_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const cnn_value *x = cnn_layer_in (io, 0);
  const cnn_value *y = io->out[0];
  cast_task t = { x->dtype, y->dtype, x->ptr, y->ptr };
  uint64_t count;

  if (!cnn_value_elements (y, &count) || count == 0)
    return;
  if (t.from == t.to) {
    if (t.out != t.in)
      memcpy (t.out, t.in, (size_t) count * cnn_dtype_size (t.to));
    return;
  }
  cnn_parallel_for (exec != NULL ? exec->pool : NULL, (size_t) count, 16384, cast_range, &t);
}

/* ---- ConstantOfShape -------------------------------------------------------------------- */

typedef struct {
  int tensor;                   /* `value` attribute, or -1 for float 0 */
  cnn_dtype dtype;              /* resolved by infer */
  unsigned char value[8];
} constant_of_shape_params;

static cnn_status
constant_of_shape_parse (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_attr *a = cnn_node_attr (n, "value");
  constant_of_shape_params *p;

  if (a != NULL && (a->type != CNN_ATTR_TENSOR || a->tensor < 0 || a->tensor >= g->n_values))
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "attribute 'value' is not a tensor");
  p = calloc (1, sizeof (*p));
  if (p == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  p->tensor = a != NULL ? a->tensor : -1;
  p->dtype = CNN_DTYPE_FLOAT32;
  n->params = p;
  return CNN_STATUS_OK;
}

static cnn_status
constant_of_shape_infer (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  constant_of_shape_params *p = n->params;
  const cnn_value *s = cnn_node_input (g, n, 0);
  int64_t dims[CNN_MAX_RANK];
  uint64_t count;

  if (p->tensor >= 0) {
    const cnn_value *t = &g->values[p->tensor];
    size_t size = cnn_dtype_size (t->dtype);
    if (size == 0 || size > sizeof (p->value))
      return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
          "value type %s is not supported", cnn_dtype_string (t->dtype));
    if (t->blob == NULL || !cnn_value_elements (t, &count) || count != 1
        || t->blob->size < size)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "attribute 'value' must hold exactly one element");
    p->dtype = t->dtype;
    memcpy (p->value, t->blob->data, size);
  }

  if (s == NULL || s->blob == NULL)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "the shape input must be computable at load time");
  if (s->dtype != CNN_DTYPE_INT64 || s->rank != 1)
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "the shape input must be a 1-D int64 tensor");
  if (s->dims[0] > CNN_MAX_RANK)
    return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
        "output rank %lld exceeds the supported %d", (long long) s->dims[0], CNN_MAX_RANK);
  const int64_t *shape = (const int64_t *) s->blob->data;
  for (int i = 0; i < s->dims[0]; i++) {
    if (shape[i] < 0)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "shape[%d] is negative (%lld)", i, (long long) shape[i]);
    dims[i] = shape[i];
  }
  cnn_value_set_shape (cnn_node_output (g, n, 0), p->dtype, (int) s->dims[0], dims);
  return CNN_STATUS_OK;
}

static void
constant_of_shape_run (const cnn_node *n, const cnn_layer_io *io, const cnn_exec *exec)
{
  const constant_of_shape_params *p = n->params;
  const cnn_value *y = io->out[0];
  size_t size = cnn_dtype_size (y->dtype);
  unsigned char *out = y->ptr;
  uint64_t count;
  (void) exec;

  if (!cnn_value_elements (y, &count))
    return;
  for (uint64_t i = 0; i < count; i++)
    memcpy (out + i * size, p->value, size);
}

/* ---- Table rows ------------------------------------------------------------------------- */

const cnn_op_def cnn_op_constant = {
  .name = "Constant",
  .min_inputs = 0,
  .max_inputs = 0,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = constant_parse,
  .infer = constant_infer,
  .run = constant_run,
  .free_params = constant_free,
  .macs = cnn_op_macs_none,
};

const cnn_op_def cnn_op_shape = {
  .name = "Shape",
  .min_inputs = 1,
  .max_inputs = 1,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = shape_parse,
  .infer = shape_infer,
  .run = shape_run,
  .macs = cnn_op_macs_none,
};

const cnn_op_def cnn_op_cast = {
  .name = "Cast",
  .min_inputs = 1,
  .max_inputs = 1,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = cast_parse,
  .infer = cast_infer,
  .run = cast_run,
  .macs = cnn_op_macs_none,
};

const cnn_op_def cnn_op_constant_of_shape = {
  .name = "ConstantOfShape",
  .min_inputs = 1,
  .max_inputs = 1,
  .min_outputs = 1,
  .max_outputs = 1,
  .parse = constant_of_shape_parse,
  .infer = constant_of_shape_infer,
  .run = constant_of_shape_run,
  .macs = cnn_op_macs_none,
};
