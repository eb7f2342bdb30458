/* onnx-loader.c — decode an ONNX ModelProto with protobuf-c and translate it into a cnn_graph.
 *
 * Every number in the file is untrusted: shapes are checked for overflow and absurd sizes, and
 * tensor data must match its declared shape before anything is allocated for it, so a small
 * hostile file cannot make us allocate gigabytes. Our onnx.proto leaves out the recursive parts
 * of the schema, which bounds protobuf-c's recursion depth.
 */
#include "onnx-loader.h"

#include "onnx-skeleton.h"
#include "onnx.pb-c.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define DEFAULT_MAX_MEMORY_BYTES (UINT64_C (4) << 30)
#define DEFAULT_MAX_FILE_BYTES (UINT64_C (2) << 30)
/* Far beyond any image classifier; keeps later int / size arithmetic safe. */
#define MAX_DIM (INT64_C (1) << 31)
#define MAX_ELEMENTS (UINT64_C (1) << 32)
#define MAX_COUNT (1 << 24)

typedef struct loader {
  cnn_graph *g;
  ProtobufCAllocator *allocator;        /* the one that decoded the model */
  uint64_t const_bytes;         /* constant data so far */
  uint64_t max_const_bytes;
  int *producer;                /* per value id: the node writing it, or -1 */
  int n_producer;
  int *ids;                     /* scratch: a node's input and output ids */
  size_t cap_ids;
  /* The file bytes: raw_data pointing there was cut out of the skeleton and is not
   * protobuf-c's to free; with release_file, its pages are returned once decoded. */
  const uint8_t *file;
  size_t file_size;
  bool release_file;
} loader;

typedef struct tensor_data {
  cnn_dtype dtype;
  int rank;
  int64_t dims[CNN_MAX_RANK];
  cnn_blob *blob;
} tensor_data;

/* protobuf-c returns NULL for both corrupt input and failed allocations: tell them apart. */
typedef struct alloc_state {
  bool failed;
} alloc_state;

static void *
pb_alloc (void *data, size_t size)
{
  void *p = malloc (size);
  if (!p)
    ((alloc_state *) data)->failed = true;
  return p;
}

static void
pb_free (void *data, void *p)
{
  (void) data;
  free (p);
}

static char *
dup_string (const char *s)
{
  size_t len = strlen (s);
  char *copy = malloc (len + 1);
  if (copy)
    memcpy (copy, s, len + 1);
  return copy;
}

static const char *
str_or_empty (const char *s)
{
  return s ? s : "";
}

static bool
is_default_domain (const char *domain)
{
  return !domain || !*domain || strcmp (domain, "ai.onnx") == 0;
}

static const char *
data_type_name (int32_t type)
{
  static const char *const names[] = {
    "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
    "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
  };
  if (type >= 0 && type < (int32_t) (sizeof names / sizeof names[0]))
    return names[type];
  return "unknown";
}

/* ONNX TensorProto.DataType → our element type for graph inputs and outputs. */
static cnn_dtype
elem_type_dtype (int32_t type)
{
  switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return CNN_DTYPE_FLOAT32;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return CNN_DTYPE_INT64;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return CNN_DTYPE_INT32;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return CNN_DTYPE_BOOL;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: return CNN_DTYPE_UINT8;
    default: return CNN_DTYPE_UNDEFINED;
  }
}

/* "36 bytes" or "12.5 MiB", for size limits in messages. */
static const char *
format_bytes (char *buf, size_t size, uint64_t bytes)
{
  if (bytes < 1024 * 1024)
    snprintf (buf, size, "%" PRIu64 " bytes", bytes);
  else
    snprintf (buf, size, "%.1f MiB", (double) bytes / (1024.0 * 1024.0));
  return buf;
}

/* ONNX raw_data is little-endian whatever the host. */
static void
copy_le (void *dst, const uint8_t *src, size_t count, size_t elsize)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  uint8_t *d = dst;
  for (size_t i = 0; i < count; i++)
    for (size_t b = 0; b < elsize; b++)
      d[i * elsize + b] = src[i * elsize + elsize - 1 - b];
#else
  memcpy (dst, src, count * elsize);
#endif
}

static cnn_status
loader_track_values (loader *l, cnn_error *err)
{
  cnn_graph *g = l->g;
  if (l->n_producer >= g->n_values)
    return CNN_STATUS_OK;
  int cap = l->n_producer < INT_MAX / 2 ? 2 * l->n_producer : INT_MAX;
  if (cap < g->n_values)
    cap = g->n_values;
  int *p = realloc (l->producer, (size_t) cap * sizeof *p);
  if (!p)
    return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  for (int i = l->n_producer; i < cap; i++)
    p[i] = -1;
  l->producer = p;
  l->n_producer = cap;
  return CNN_STATUS_OK;
}

/* Frees a decoded tensor's data as soon as it is copied, so that loading peaks at about one
 * copy of the weights beside the file, not two. protobuf-c's free_unpacked skips NULL. */
static bool
in_file (const loader *l, const void *p)
{
  return l->file != NULL && (const uint8_t *) p >= l->file
      && (const uint8_t *) p < l->file + l->file_size;
}

/* The whole pages inside a decoded payload of the loader's own copy of the file go back to
 * the system: the file's bytes and the weights are then not both resident. */
static void
release_file_pages (const loader *l, const uint8_t *p, size_t len)
{
  long page = sysconf (_SC_PAGESIZE);

  if (!l->release_file || page <= 0)
    return;
  uintptr_t lo = ((uintptr_t) p + (uintptr_t) page - 1) & ~((uintptr_t) page - 1);
  uintptr_t hi = ((uintptr_t) p + len) & ~((uintptr_t) page - 1);
  if (hi > lo)
    madvise ((void *) lo, hi - lo, MADV_DONTNEED);
}

static void
release_tensor_data (loader *l, Onnx__TensorProto *t)
{
  void *arrays[] = { t->raw_data.data, t->float_data, t->int32_data, t->int64_data,
    t->double_data };

  if (in_file (l, t->raw_data.data)) {
    release_file_pages (l, t->raw_data.data, t->raw_data.len);
    arrays[0] = NULL;
  }
  for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
    if (arrays[i])
      l->allocator->free (l->allocator->allocator_data, arrays[i]);
  t->raw_data.data = NULL;
  t->raw_data.len = 0;
  t->float_data = NULL;
  t->n_float_data = 0;
  t->int32_data = NULL;
  t->n_int32_data = 0;
  t->int64_data = NULL;
  t->n_int64_data = 0;
  t->double_data = NULL;
  t->n_double_data = 0;
}

/* Decodes a TensorProto into a new blob, then releases the tensor's data. `label` names it in
 * messages, e.g. "initializer 'w'". Sizes are checked against the data actually present before
 * allocating. */
static cnn_status
decode_tensor (loader *l, Onnx__TensorProto *t, const char *label, tensor_data *out,
    cnn_error *err)
{
  cnn_graph *g = l->g;
  char shape[256];
  size_t src_size, dst_size, typed_count;
  const char *typed_field;
  uint64_t count = 1, need, bytes, total;
  cnn_status status = CNN_STATUS_OK;

  out->blob = NULL;

  if ((t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
      || t->n_external_data > 0) {
    const char *location = "?";
    for (size_t i = 0; i < t->n_external_data; i++)
      if (t->external_data[i]->key && strcmp (t->external_data[i]->key, "location") == 0)
        location = str_or_empty (t->external_data[i]->value);
    status = cnn_graph_error (err, g, CNN_STATUS_UNSUPPORTED,
        "%s: data is stored in an external file ('%s'), which is not supported; save the model "
        "as one self-contained .onnx file", label, location);
    goto error;
  }

  if (t->n_dims > CNN_MAX_RANK) {
    status = cnn_graph_error (err, g, CNN_STATUS_UNSUPPORTED,
        "%s has %zu dimensions, at most %d are supported", label, t->n_dims, CNN_MAX_RANK);
    goto error;
  }
  cnn_format_dims (shape, sizeof shape, (int) t->n_dims, t->dims);
  for (size_t i = 0; i < t->n_dims; i++) {
    if (t->dims[i] < 0) {
      status = cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL,
          "%s has a negative dimension (%" PRId64 ") in its shape %s", label, t->dims[i],
          shape);
      goto error;
    }
    if (t->dims[i] > MAX_DIM) {
      status = cnn_graph_error (err, g, CNN_STATUS_LIMIT_EXCEEDED,
          "%s has shape %s: dimension %" PRId64 " is larger than 2^31", label, shape, t->dims[i]);
      goto error;
    }
    if (cnn_mul_overflows (count, (uint64_t) t->dims[i], &count) || count > MAX_ELEMENTS) {
      status = cnn_graph_error (err, g, CNN_STATUS_LIMIT_EXCEEDED,
          "%s has shape %s: more than 2^32 elements", label, shape);
      goto error;
    }
  }
  out->rank = (int) t->n_dims;
  for (size_t i = 0; i < t->n_dims; i++)
    out->dims[i] = t->dims[i];

  int32_t type = t->has_data_type ? t->data_type : 0;
  switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
      out->dtype = CNN_DTYPE_FLOAT32;
      src_size = 4;
      typed_field = "float_data";
      typed_count = t->n_float_data;
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:       /* narrowed: no op of ours runs doubles */
      out->dtype = CNN_DTYPE_FLOAT32;
      src_size = 8;
      typed_field = "double_data";
      typed_count = t->n_double_data;
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
      out->dtype = CNN_DTYPE_INT64;
      src_size = 8;
      typed_field = "int64_data";
      typed_count = t->n_int64_data;
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
      out->dtype = CNN_DTYPE_INT32;
      src_size = 4;
      typed_field = "int32_data";
      typed_count = t->n_int32_data;
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
      out->dtype = CNN_DTYPE_BOOL;
      src_size = 1;
      typed_field = "int32_data";
      typed_count = t->n_int32_data;
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
      out->dtype = CNN_DTYPE_UINT8;
      src_size = 1;
      typed_field = "int32_data";
      typed_count = t->n_int32_data;
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED:
      status = cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL, "%s has no data type", label);
      goto error;
    default:
      status = cnn_graph_error (err, g, CNN_STATUS_UNSUPPORTED,
          "%s has element type %s (%" PRId32 "), which is not supported (float, double, int64, "
          "int32, bool and uint8 are)", label, data_type_name (type), type);
      goto error;
  }
  dst_size = cnn_dtype_size (out->dtype);

  /* count <= 2^32 and element sizes <= 8: no overflow below. */
  if (t->has_raw_data) {
    need = count * src_size;
    if (t->raw_data.len != need) {
      status = cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL,
          "%s: raw_data has %zu bytes, but shape %s of type %s needs %" PRIu64, label,
          t->raw_data.len, shape, data_type_name (type), need);
      goto error;
    }
  } else if (typed_count != count) {
    if (typed_count == 0)
      status = cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL,
          "%s has no data, but shape %s needs %" PRIu64 " values", label, shape, count);
    else
      status = cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL,
          "%s: %s has %zu values, but shape %s needs %" PRIu64, label, typed_field, typed_count,
          shape, count);
    goto error;
  }

  bytes = count * dst_size;
  if (cnn_add_overflows (l->const_bytes, bytes, &total) || total > l->max_const_bytes) {
    char need_s[32], limit_s[32];
    status = cnn_graph_error (err, g, CNN_STATUS_LIMIT_EXCEEDED,
        "%s: weights need %s, more than the limit of %s (max_memory_bytes)", label,
        format_bytes (need_s, sizeof need_s, total), format_bytes (limit_s, sizeof limit_s,
            l->max_const_bytes));
    goto error;
  }

  out->blob = cnn_blob_new ((size_t) bytes);
  if (!out->blob) {
    status = cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY,
        "%s: out of memory for %" PRIu64 " bytes", label, bytes);
    goto error;
  }

  void *dst = out->blob->data;
  size_t n = (size_t) count;
  if (n == 0) {
    /* Empty tensor: protobuf-c leaves the data pointers NULL. */
  } else if (t->has_raw_data) {
    const uint8_t *src = t->raw_data.data;
    if (type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) {
      float *f = dst;
      for (size_t i = 0; i < n; i++) {
        double d;
        copy_le (&d, src + i * 8, 1, 8);
        f[i] = (float) d;
      }
    } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL) {
      uint8_t *b = dst;
      for (size_t i = 0; i < n; i++)
        b[i] = src[i] != 0;
    } else {
      copy_le (dst, src, n, src_size);
    }
  } else {
    switch (type) {
      case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
        memcpy (dst, t->float_data, n * sizeof (float));
        break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
        for (size_t i = 0; i < n; i++)
          ((float *) dst)[i] = (float) t->double_data[i];
        break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        memcpy (dst, t->int64_data, n * sizeof (int64_t));
        break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
        memcpy (dst, t->int32_data, n * sizeof (int32_t));
        break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
        for (size_t i = 0; i < n; i++)
          ((uint8_t *) dst)[i] = (uint8_t) t->int32_data[i];
        break;
      default:  /* BOOL */
        for (size_t i = 0; i < n; i++)
          ((uint8_t *) dst)[i] = t->int32_data[i] != 0;
        break;
    }
  }
  l->const_bytes = total;
  release_tensor_data (l, t);
  return CNN_STATUS_OK;

error:
  if (out->blob)
    cnn_blob_unref (out->blob);
  out->blob = NULL;
  return status;
}

static cnn_status
load_initializers (loader *l, const Onnx__GraphProto *gp, cnn_error *err)
{
  cnn_graph *g = l->g;
  char label[320];
  tensor_data td;
  cnn_status status;

  for (size_t i = 0; i < gp->n_initializer; i++) {
    Onnx__TensorProto *t = gp->initializer[i];
    if (!t->name || !*t->name)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL, "initializer %zu has no name", i);
    snprintf (label, sizeof label, "initializer '%s'", t->name);
    int id = cnn_graph_find_value (g, t->name);
    if (id >= 0 && g->values[id].blob)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL,
          "%s is defined twice", label);
    status = decode_tensor (l, t, label, &td, err);
    if (status != CNN_STATUS_OK)
      return status;
    id = cnn_graph_value (g, t->name);
    if (id < 0) {
      cnn_blob_unref (td.blob);
      return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    }
    cnn_value_set_constant (&g->values[id], td.dtype, td.rank, td.dims, td.blob);
  }
  return CNN_STATUS_OK;
}

/* Declared type of a graph input or output. Inputs must say what they are; outputs may leave
 * it to shape inference. */
static cnn_status
load_value_type (loader *l, int id, const Onnx__ValueInfoProto *vi, bool is_input,
    cnn_error *err)
{
  cnn_graph *g = l->g;
  const char *what = is_input ? "graph input" : "graph output";
  const Onnx__TypeProto *type = vi->type;
  const Onnx__TypeProto__Tensor *tt;
  cnn_value *v = &g->values[id];

  v->dtype = CNN_DTYPE_UNDEFINED;
  v->rank = -1;
  if (!type) {
    if (is_input)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL, "%s '%s' has no type", what,
          v->name);
    return CNN_STATUS_OK;
  }
  if (type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !type->tensor_type)
    return cnn_graph_error (err, g, CNN_STATUS_UNSUPPORTED,
        "%s '%s' is not a tensor (sequences, maps and optionals are not supported)", what,
        v->name);
  tt = type->tensor_type;

  int32_t elem = tt->has_elem_type ? tt->elem_type : 0;
  if (elem == 0) {
    if (is_input)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL,
          "%s '%s' has no element type", what, v->name);
  } else {
    v->dtype = elem_type_dtype (elem);
    if (v->dtype == CNN_DTYPE_UNDEFINED)
      return cnn_graph_error (err, g, CNN_STATUS_UNSUPPORTED,
          "%s '%s' has element type %s (%" PRId32 "), which is not supported (float, int64, "
          "int32 and bool are)", what, v->name, data_type_name (elem), elem);
  }

  if (!tt->shape)
    return CNN_STATUS_OK;
  if (tt->shape->n_dim > CNN_MAX_RANK)
    return cnn_graph_error (err, g, CNN_STATUS_UNSUPPORTED,
        "%s '%s' has %zu dimensions, at most %d are supported", what, v->name,
        tt->shape->n_dim, CNN_MAX_RANK);
  for (size_t i = 0; i < tt->shape->n_dim; i++) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
    v->dims[i] = -1;
    if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
      if (d->dim_value > MAX_DIM)
        return cnn_graph_error (err, g, CNN_STATUS_LIMIT_EXCEEDED,
            "%s '%s': dimension %zu is %" PRId64 ", larger than 2^31", what, v->name, i,
            d->dim_value);
      if (d->dim_value > 0)
        v->dims[i] = d->dim_value;
    } else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
        && d->dim_param && *d->dim_param) {
      free (v->dim_names[i]);
      v->dim_names[i] = dup_string (d->dim_param);
      if (!v->dim_names[i])
        return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    }
  }
  v->rank = (int) tt->shape->n_dim;
  return CNN_STATUS_OK;
}

static cnn_status
load_inputs (loader *l, const Onnx__GraphProto *gp, cnn_error *err)
{
  cnn_graph *g = l->g;
  cnn_status status;

  g->inputs = malloc ((gp->n_input ? gp->n_input : 1) * sizeof *g->inputs);
  if (!g->inputs)
    return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < gp->n_input; i++) {
    const Onnx__ValueInfoProto *vi = gp->input[i];
    if (!vi->name || !*vi->name)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL, "graph input %zu has no name", i);
    int id = cnn_graph_find_value (g, vi->name);
    if (id >= 0 && g->values[id].blob)
      continue;   /* an initializer listed as input (IR < 4 style): a constant for us */
    if (id >= 0 && g->values[id].is_input)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL,
          "graph input '%s' is listed twice", vi->name);
    id = cnn_graph_value (g, vi->name);
    if (id < 0)
      return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    status = load_value_type (l, id, vi, true, err);
    if (status != CNN_STATUS_OK)
      return status;
    g->values[id].is_input = true;
    g->inputs[g->n_inputs++] = id;
  }
  return CNN_STATUS_OK;
}

static cnn_status
load_outputs (loader *l, const Onnx__GraphProto *gp, cnn_error *err)
{
  cnn_graph *g = l->g;
  cnn_status status;

  if (gp->n_output == 0)
    return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL, "the graph has no outputs");
  g->outputs = malloc (gp->n_output * sizeof *g->outputs);
  if (!g->outputs)
    return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < gp->n_output; i++) {
    const Onnx__ValueInfoProto *vi = gp->output[i];
    if (!vi->name || !*vi->name)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL, "graph output %zu has no name",
          i);
    int id = cnn_graph_value (g, vi->name);
    if (id < 0)
      return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    if (g->values[id].is_output)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL,
          "graph output '%s' is listed twice", vi->name);
    /* A constant or a graph input already has its type. */
    if (!g->values[id].blob && !g->values[id].is_input) {
      status = load_value_type (l, id, vi, false, err);
      if (status != CNN_STATUS_OK)
        return status;
    }
    g->values[id].is_output = true;
    g->outputs[g->n_outputs++] = id;
  }
  return CNN_STATUS_OK;
}

static cnn_status
load_attr (loader *l, int node, const Onnx__AttributeProto *ap, cnn_error *err)
{
  cnn_graph *g = l->g;
  cnn_attr_type type;
  cnn_attr *a;
  tensor_data td;
  char label[512];
  int tensor = -1;
  cnn_status status;

  if (!ap->name || !*ap->name)
    return cnn_node_error (err, g, &g->nodes[node], CNN_STATUS_INVALID_MODEL,
        "an attribute has no name");

  /* Very old exporters leave `type` out: infer it from the field that is set. */
  Onnx__AttributeProto__AttributeType pt = ap->has_type ? ap->type
      : ap->has_f ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT
      : ap->has_i ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT
      : ap->has_s ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING
      : ap->t ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR
      : ap->n_floats ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS
      : ap->n_ints ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS
      : ap->n_strings ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS
      : ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
  switch (pt) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: type = CNN_ATTR_FLOAT; break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: type = CNN_ATTR_INT; break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: type = CNN_ATTR_STRING; break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: type = CNN_ATTR_TENSOR; break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: type = CNN_ATTR_FLOATS; break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: type = CNN_ATTR_INTS; break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: type = CNN_ATTR_STRINGS; break;
    default: type = CNN_ATTR_OTHER; break;
  }

  if (type == CNN_ATTR_TENSOR) {
    const cnn_node *n = &g->nodes[node];
    /* Worded like cnn_node_error. */
    snprintf (label, sizeof label, "node '%s' (%s, opset %" PRId64 "): attribute '%s'",
        n->name, n->op_type, g->opset, ap->name);
    if (!ap->t)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL, "%s has type TENSOR but no "
          "tensor", label);
    status = decode_tensor (l, ap->t, label, &td, err);
    if (status != CNN_STATUS_OK)
      return status;
    tensor = cnn_graph_value (g, "");
    if (tensor < 0) {
      cnn_blob_unref (td.blob);
      return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    }
    cnn_value_set_constant (&g->values[tensor], td.dtype, td.rank, td.dims, td.blob);
  }

  a = cnn_node_add_attr (g, node, ap->name, type);
  if (!a)
    goto oom;
  switch (type) {
    case CNN_ATTR_FLOAT:
      a->f = ap->f;
      break;
    case CNN_ATTR_INT:
      a->i = ap->i;
      break;
    case CNN_ATTR_STRING:
      a->s = malloc (ap->s.len + 1);
      if (!a->s)
        goto oom;
      if (ap->s.len)
        memcpy (a->s, ap->s.data, ap->s.len);
      a->s[ap->s.len] = '\0';
      break;
    case CNN_ATTR_TENSOR:
      a->tensor = tensor;
      break;
    case CNN_ATTR_FLOATS:
      if (ap->n_floats) {
        a->floats = malloc (ap->n_floats * sizeof *a->floats);
        if (!a->floats)
          goto oom;
        memcpy (a->floats, ap->floats, ap->n_floats * sizeof *a->floats);
      }
      a->count = ap->n_floats;
      break;
    case CNN_ATTR_INTS:
      if (ap->n_ints) {
        a->ints = malloc (ap->n_ints * sizeof *a->ints);
        if (!a->ints)
          goto oom;
        memcpy (a->ints, ap->ints, ap->n_ints * sizeof *a->ints);
      }
      a->count = ap->n_ints;
      break;
    case CNN_ATTR_STRINGS:
      if (ap->n_strings) {
        a->strings = calloc (ap->n_strings, sizeof *a->strings);
        if (!a->strings)
          goto oom;
        a->count = ap->n_strings;
        for (size_t i = 0; i < ap->n_strings; i++) {
          a->strings[i] = malloc (ap->strings[i].len + 1);
          if (!a->strings[i])
            goto oom;
          if (ap->strings[i].len)
            memcpy (a->strings[i], ap->strings[i].data, ap->strings[i].len);
          a->strings[i][ap->strings[i].len] = '\0';
        }
      }
      break;
    default:
      break;
  }
  return CNN_STATUS_OK;

oom:
  /* Whatever was attached is owned by the graph and freed with it. */
  return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
}

static cnn_status
load_nodes (loader *l, const Onnx__GraphProto *gp, cnn_error *err)
{
  cnn_graph *g = l->g;
  char auto_name[128];
  cnn_status status;

  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto *np = gp->node[i];
    const char *op_type = str_or_empty (np->op_type);
    const char *name = np->name;

    if (!name || !*name) {
      /* So that every message can name the node. */
      snprintf (auto_name, sizeof auto_name, "%.100s_%zu", *op_type ? op_type : "node", i);
      name = auto_name;
    }
    if (!*op_type)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL, "node '%s' has no op_type",
          name);
    if (np->n_input > MAX_COUNT || np->n_output > MAX_COUNT)
      return cnn_graph_error (err, g, CNN_STATUS_LIMIT_EXCEEDED,
          "node '%s' (%s) has %zu inputs and %zu outputs, too many", name, op_type,
          np->n_input, np->n_output);

    size_t n_in = np->n_input, n_out = np->n_output;
    /* Empty trailing output names are omitted optional outputs: drop them. Empty names in the
     * middle get an anonymous value so ops can still address every output. */
    while (n_out > 0 && !*str_or_empty (np->output[n_out - 1]))
      n_out--;
    if (n_in + n_out + 1 > l->cap_ids) {      /* + 1: never NULL, even for no ids */
      int *ids = realloc (l->ids, (n_in + n_out + 1) * sizeof *ids);
      if (!ids)
        return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
      l->ids = ids;
      l->cap_ids = n_in + n_out + 1;
    }
    int *in = l->ids, *out = l->ids + n_in;
    for (size_t k = 0; k < n_in; k++) {
      const char *vname = str_or_empty (np->input[k]);
      in[k] = -1;
      if (*vname && (in[k] = cnn_graph_value (g, vname)) < 0)
        return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    }
    for (size_t k = 0; k < n_out; k++) {
      out[k] = cnn_graph_value (g, str_or_empty (np->output[k]));
      if (out[k] < 0)
        return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    }

    /* Added before checking, so that cnn_node_error words every message the same way; the
     * graph is thrown away on error anyway. */
    int node = cnn_graph_add_node (g, name, op_type, is_default_domain (np->domain) ? ""
        : np->domain, in, (int) n_in, out, (int) n_out);
    if (node < 0)
      return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    const cnn_node *n = &g->nodes[node];
    if (!is_default_domain (np->domain))
      return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
          "domain '%s' is not supported: only standard ONNX operators (domain ai.onnx) are",
          np->domain);

    status = loader_track_values (l, err);
    if (status != CNN_STATUS_OK)
      return status;
    for (size_t k = 0; k < n_out; k++) {
      const cnn_value *v = &g->values[out[k]];
      int other = l->producer[out[k]];
      if (other == node)
        return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
            "output '%s' is listed twice", v->name);
      if (other >= 0)
        return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
            "output '%s' is also written by node '%s' (%s)", v->name, g->nodes[other].name,
            g->nodes[other].op_type);
      if (v->blob || v->is_input)
        return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
            "output '%s' is a graph %s", v->name, v->blob ? "initializer" : "input");
      l->producer[out[k]] = node;
    }

    for (size_t k = 0; k < np->n_attribute; k++) {
      status = load_attr (l, node, np->attribute[k], err);
      if (status != CNN_STATUS_OK)
        return status;
    }
  }
  return CNN_STATUS_OK;
}

/* Every value read must come from somewhere; caught here, the message can name the reader. */
static cnn_status
check_links (loader *l, cnn_error *err)
{
  cnn_graph *g = l->g;
  cnn_status status = loader_track_values (l, err);

  if (status != CNN_STATUS_OK)
    return status;
  for (int i = 0; i < g->n_nodes; i++) {
    const cnn_node *n = &g->nodes[i];
    for (int k = 0; k < n->n_inputs; k++) {
      int id = n->inputs[k];
      if (id < 0 || l->producer[id] >= 0 || g->values[id].blob || g->values[id].is_input)
        continue;
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "input %d '%s' is not computed by any node, nor a graph input or initializer", k,
          g->values[id].name);
    }
  }
  for (int i = 0; i < g->n_outputs; i++) {
    int id = g->outputs[i];
    if (l->producer[id] < 0 && !g->values[id].blob && !g->values[id].is_input)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL,
          "graph output '%s' is not computed by any node", g->values[id].name);
  }
  return CNN_STATUS_OK;
}

static cnn_status
load_metadata (loader *l, const Onnx__ModelProto *model, cnn_error *err)
{
  cnn_graph *g = l->g;

  if (model->n_metadata_props == 0)
    return CNN_STATUS_OK;
  g->meta = calloc (model->n_metadata_props, sizeof *g->meta);
  if (!g->meta)
    return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < model->n_metadata_props; i++) {
    const Onnx__StringStringEntryProto *e = model->metadata_props[i];
    cnn_meta_prop *m = &g->meta[g->n_meta++];
    m->key = dup_string (str_or_empty (e->key));
    m->value = dup_string (str_or_empty (e->value));
    if (!m->key || !m->value)
      return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  }
  return CNN_STATUS_OK;
}

/* Points the initializers whose raw_data the skeleton cut at their bytes in the file. false
 * if the decoded skeleton does not have the initializers it was cut from. */
static bool
attach_cut_payloads (loader *l, Onnx__ModelProto *model, const cnn_onnx_skeleton *skel)
{
  Onnx__GraphProto *gp = model->graph;

  if (gp == NULL || gp->n_initializer != skel->n_initializers)
    return false;
  for (size_t i = 0; i < gp->n_initializer; i++) {
    Onnx__TensorProto *t = gp->initializer[i];
    if (skel->raw_len[i] == 0)
      continue;
    if (t->has_raw_data)        /* it had one raw_data field, and that was cut */
      return false;
    t->has_raw_data = 1;
    t->raw_data.data = (uint8_t *) l->file + skel->raw_offset[i];
    t->raw_data.len = skel->raw_len[i];
  }
  return true;
}

/* Before protobuf-c frees the decoded model: what points into the file is not its to free. */
static void
detach_cut_payloads (const loader *l, Onnx__ModelProto *model)
{
  Onnx__GraphProto *gp = model->graph;

  for (size_t i = 0; gp != NULL && i < gp->n_initializer; i++)
    if (in_file (l, gp->initializer[i]->raw_data.data)) {
      gp->initializer[i]->raw_data.data = NULL;
      gp->initializer[i]->raw_data.len = 0;
    }
}

/* Decodes the skeleton when the file has large raw_data payloads (see onnx-skeleton.h), else
 * the file itself. */
static Onnx__ModelProto *
unpack_model (loader *l, ProtobufCAllocator *allocator, const uint8_t *data, size_t size)
{
  cnn_onnx_skeleton skel;
  Onnx__ModelProto *model;

  if (!cnn_onnx_skeleton_build (data, size, &skel))
    return onnx__model_proto__unpack (allocator, size, data);
  model = onnx__model_proto__unpack (allocator, skel.size, skel.data);
  if (model != NULL && !attach_cut_payloads (l, model, &skel)) {
    detach_cut_payloads (l, model);
    onnx__model_proto__free_unpacked (model, allocator);
    model = onnx__model_proto__unpack (allocator, size, data);
  }
  cnn_onnx_skeleton_free (&skel);
  return model;
}

static cnn_status
load_impl (const void *data, size_t size, const char *source, const cnn_options *options,
    bool release_file, cnn_graph **graph, cnn_error *err)
{
  alloc_state as = { false };
  ProtobufCAllocator allocator = { pb_alloc, pb_free, &as };
  Onnx__ModelProto *model = NULL;
  const Onnx__GraphProto *gp;
  loader l = { 0 };
  int64_t opset = 1;            /* what a model without opset_import meant (IR < 3) */
  bool has_default_opset = false;
  uint64_t max_file;
  cnn_status status = CNN_STATUS_OK;

  if (!source)
    source = "<memory>";
  if (!graph || (!data && size > 0)) {
    status = cnn_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "%s: no model data", source);
    goto error;
  }
  max_file = options && options->max_file_bytes ? options->max_file_bytes
      : DEFAULT_MAX_FILE_BYTES;
  l.max_const_bytes = options && options->max_memory_bytes ? options->max_memory_bytes
      : DEFAULT_MAX_MEMORY_BYTES;
  if (size == 0) {
    status = cnn_set_error (err, CNN_STATUS_PARSE_ERROR,
        "%s: not a valid ONNX model (the file is empty)", source);
    goto error;
  }
  if ((uint64_t) size > max_file) {
    char size_s[32], limit_s[32];
    status = cnn_set_error (err, CNN_STATUS_LIMIT_EXCEEDED,
        "%s: the file has %s, more than the limit of %s (max_file_bytes)", source,
        format_bytes (size_s, sizeof size_s, size), format_bytes (limit_s, sizeof limit_s,
            max_file));
    goto error;
  }

  l.file = data;
  l.file_size = size;
  l.release_file = release_file;
  model = unpack_model (&l, &allocator, data, size);
  if (!model) {
    if (as.failed)
      status = cnn_set_error (err, CNN_STATUS_OUT_OF_MEMORY,
          "%s: out of memory while decoding the model", source);
    else
      status = cnn_set_error (err, CNN_STATUS_PARSE_ERROR,
          "%s: not a valid ONNX model (protobuf decoding failed)", source);
    goto error;
  }

  for (size_t i = 0; i < model->n_opset_import; i++)
    if (is_default_domain (model->opset_import[i]->domain)) {
      has_default_opset = true;
      if (model->opset_import[i]->has_version)
        opset = model->opset_import[i]->version;
    }
  if (!has_default_opset && model->n_opset_import > 0) {
    /* Only other domains imported, e.g. ai.onnx.preview.training. */
    status = cnn_set_error (err, CNN_STATUS_UNSUPPORTED,
        "%s: the model imports no opset of the standard ONNX domain, only '%s': only standard "
        "ONNX operators are supported", source,
        str_or_empty (model->opset_import[0]->domain));
    goto error;
  }
  if (opset < CNN_ONNX_MIN_OPSET) {
    status = cnn_set_error (err, CNN_STATUS_UNSUPPORTED,
        "%s: the model uses ONNX opset %" PRId64 "; opset %d or newer is needed (convert it "
        "with onnx.version_converter)", source, opset, CNN_ONNX_MIN_OPSET);
    goto error;
  }

  gp = model->graph;
  if (!gp) {
    status = cnn_set_error (err, CNN_STATUS_INVALID_MODEL,
        "%s: not a valid ONNX model (it contains no graph)", source);
    goto error;
  }
  if (gp->n_node > MAX_COUNT || gp->n_initializer > MAX_COUNT || gp->n_input > MAX_COUNT
      || gp->n_output > MAX_COUNT) {
    status = cnn_set_error (err, CNN_STATUS_LIMIT_EXCEEDED,
        "%s: the graph has %zu nodes, %zu initializers, %zu inputs and %zu outputs, more than "
        "%d of one kind", source, gp->n_node, gp->n_initializer, gp->n_input, gp->n_output,
        MAX_COUNT);
    goto error;
  }

  l.g = cnn_graph_new (source, options);
  if (!l.g) {
    status = cnn_set_error (err, CNN_STATUS_OUT_OF_MEMORY, "%s: out of memory", source);
    goto error;
  }
  l.allocator = &allocator;
  l.g->opset = opset;
  free (l.g->name);
  l.g->name = dup_string (str_or_empty (gp->name));
  if (!l.g->name) {
    status = cnn_graph_error (err, l.g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    goto error;
  }

  if ((status = load_metadata (&l, model, err)) != CNN_STATUS_OK
      || (status = load_initializers (&l, gp, err)) != CNN_STATUS_OK
      || (status = load_inputs (&l, gp, err)) != CNN_STATUS_OK
      || (status = load_outputs (&l, gp, err)) != CNN_STATUS_OK
      || (status = load_nodes (&l, gp, err)) != CNN_STATUS_OK
      || (status = check_links (&l, err)) != CNN_STATUS_OK)
    goto error;

  *graph = l.g;
  l.g = NULL;

error:
  if (l.g)
    cnn_graph_free (l.g);
  if (model) {
    detach_cut_payloads (&l, model);
    onnx__model_proto__free_unpacked (model, &allocator);
  }
  free (l.producer);
  free (l.ids);
  return status;
}

cnn_status
cnn_onnx_load (const void *data, size_t size, const char *source, const cnn_options *options,
    cnn_graph **graph, cnn_error *err)
{
  return load_impl (data, size, source, options, false, graph, err);
}

cnn_status
cnn_onnx_load_owned (void *data, size_t size, const char *source,
    const cnn_options *options, cnn_graph **graph, cnn_error *err)
{
  return load_impl (data, size, source, options, true, graph, err);
}
