/* onnx-tensor.c — TensorProto decoding with every size checked (see onnx-tensor.h). */
#include "onnx-tensor.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const char *
cnn_onnx_data_type_name (int32_t type)
{
  static const char *const names[] = {
    "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
    "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
  };
  if (type >= 0 && type < (int32_t) (sizeof names / sizeof names[0]))
    return names[type];
  return "unknown";
}

const char *
cnn_onnx_format_bytes (char *buf, size_t size, uint64_t bytes)
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

bool
cnn_onnx_in_file (const cnn_onnx_tensors *ts, const void *p)
{
  return ts->file != NULL && (const uint8_t *) p >= ts->file
      && (const uint8_t *) p < ts->file + ts->file_size;
}

/* The whole pages inside a decoded payload of the loader's own copy of the file go back to
 * the system: the file's bytes and the weights are then not both resident. */
static void
release_file_pages (const cnn_onnx_tensors *ts, const uint8_t *p, size_t len)
{
  long page = sysconf (_SC_PAGESIZE);

  if (!ts->release_file || page <= 0)
    return;
  uintptr_t lo = ((uintptr_t) p + (uintptr_t) page - 1) & ~((uintptr_t) page - 1);
  uintptr_t hi = ((uintptr_t) p + len) & ~((uintptr_t) page - 1);
  if (hi > lo)
    madvise ((void *) lo, hi - lo, MADV_DONTNEED);
}

/* Frees a decoded tensor's data as soon as it is copied, so that loading peaks at about one
 * copy of the weights beside the file, not two. protobuf-c's free_unpacked skips NULL. */
static void
release_tensor_data (cnn_onnx_tensors *ts, Onnx__TensorProto *t)
{
  void *arrays[] = { t->raw_data.data, t->float_data, t->int32_data, t->int64_data,
    t->double_data };

  if (cnn_onnx_in_file (ts, t->raw_data.data)) {
    release_file_pages (ts, t->raw_data.data, t->raw_data.len);
    arrays[0] = NULL;
  }
  for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
    if (arrays[i])
      ts->allocator->free (ts->allocator->allocator_data, arrays[i]);
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
cnn_status
cnn_onnx_decode_tensor (cnn_onnx_tensors *ts, Onnx__TensorProto *t, const char *label, cnn_onnx_tensor *out,
    cnn_error *err)
{
  cnn_graph *g = ts->g;
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
        location = t->external_data[i]->value ? t->external_data[i]->value : "";
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
    if (t->dims[i] > CNN_ONNX_MAX_DIM) {
      status = cnn_graph_error (err, g, CNN_STATUS_LIMIT_EXCEEDED,
          "%s has shape %s: dimension %" PRId64 " is larger than 2^31", label, shape, t->dims[i]);
      goto error;
    }
    if (cnn_mul_overflows (count, (uint64_t) t->dims[i], &count) || count > CNN_ONNX_MAX_ELEMENTS) {
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
          "int32, bool and uint8 are)", label, cnn_onnx_data_type_name (type), type);
      goto error;
  }
  dst_size = cnn_dtype_size (out->dtype);

  /* count <= 2^32 and element sizes <= 8: no overflow below. */
  if (t->has_raw_data) {
    need = count * src_size;
    if (t->raw_data.len != need) {
      status = cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL,
          "%s: raw_data has %zu bytes, but shape %s of type %s needs %" PRIu64, label,
          t->raw_data.len, shape, cnn_onnx_data_type_name (type), need);
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
  if (cnn_add_overflows (ts->const_bytes, bytes, &total) || total > ts->max_const_bytes) {
    char need_s[32], limit_s[32];
    status = cnn_graph_error (err, g, CNN_STATUS_LIMIT_EXCEEDED,
        "%s: weights need %s, more than the limit of %s (max_memory_bytes)", label,
        cnn_onnx_format_bytes (need_s, sizeof need_s, total), cnn_onnx_format_bytes (limit_s, sizeof limit_s,
            ts->max_const_bytes));
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
  ts->const_bytes = total;
  release_tensor_data (ts, t);
  return CNN_STATUS_OK;

error:
  if (out->blob)
    cnn_blob_unref (out->blob);
  out->blob = NULL;
  return status;
}
