/* common.c — names, defaults, formatting and errors shared by every layer (see common.h). */
#include "common.h"

#include <stdio.h>
#include <unistd.h>

const char *
cnn_status_string (cnn_status status)
{
  static const char *const names[CNN_STATUS_COUNT] = {
    [CNN_STATUS_OK] = "ok",
    [CNN_STATUS_INVALID_ARGUMENT] = "invalid argument",
    [CNN_STATUS_IO_ERROR] = "I/O error",
    [CNN_STATUS_PARSE_ERROR] = "parse error",
    [CNN_STATUS_INVALID_MODEL] = "invalid model",
    [CNN_STATUS_UNSUPPORTED] = "unsupported",
    [CNN_STATUS_SHAPE_MISMATCH] = "shape mismatch",
    [CNN_STATUS_LIMIT_EXCEEDED] = "limit exceeded",
    [CNN_STATUS_OUT_OF_MEMORY] = "out of memory",
    [CNN_STATUS_NOT_PREPARED] = "not prepared",
  };
  return status >= 0 && status < CNN_STATUS_COUNT ? names[status] : "unknown status";
}

const char *
cnn_dtype_string (cnn_dtype dtype)
{
  static const char *const names[CNN_DTYPE_COUNT] = {
    [CNN_DTYPE_UNDEFINED] = "undefined",
    [CNN_DTYPE_FLOAT32] = "float32",
    [CNN_DTYPE_INT64] = "int64",
    [CNN_DTYPE_INT32] = "int32",
    [CNN_DTYPE_BOOL] = "bool",
    [CNN_DTYPE_UINT8] = "uint8",
  };
  return dtype >= 0 && dtype < CNN_DTYPE_COUNT ? names[dtype] : "undefined";
}

size_t
cnn_dtype_size (cnn_dtype dtype)
{
  switch (dtype) {
    case CNN_DTYPE_FLOAT32:
    case CNN_DTYPE_INT32:
      return 4;
    case CNN_DTYPE_INT64:
      return 8;
    case CNN_DTYPE_BOOL:
    case CNN_DTYPE_UINT8:
      return 1;
    default:
      return 0;
  }
}

cnn_options
cnn_options_default (void)
{
  cnn_options options = {
    .threads = 1,
    .max_memory_bytes = UINT64_C (4) << 30,
    .max_file_bytes = UINT64_C (2) << 30,
  };
  return options;
}

cnn_options
cnn_options_resolve (const cnn_options *options)
{
  cnn_options defaults = cnn_options_default ();
  cnn_options resolved = options != NULL ? *options : defaults;

  if (resolved.max_memory_bytes == 0)
    resolved.max_memory_bytes = defaults.max_memory_bytes;
  if (resolved.max_file_bytes == 0)
    resolved.max_file_bytes = defaults.max_file_bytes;
  return resolved;
}

int
cnn_online_cpus (void)
{
  long n = sysconf (_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (n > 64 ? 64 : (int) n);
}

void
cnn_format_dims (char *buf, size_t size, int rank, const int64_t *dims)
{
  size_t used = 0;

  if (buf == NULL || size == 0)
    return;
  if (rank < 0 || dims == NULL) {
    snprintf (buf, size, "[unknown]");
    return;
  }
  used += (size_t) snprintf (buf, size, "[");
  for (int d = 0; d < rank && used < size; d++) {
    const char *sep = d > 0 ? "," : "";
    if (dims[d] == -1)
      used += (size_t) snprintf (buf + used, size - used, "%s?", sep);
    else
      used += (size_t) snprintf (buf + used, size - used, "%s%lld", sep, (long long) dims[d]);
  }
  if (used < size)
    snprintf (buf + used, size - used, "]");
}

cnn_status
cnn_error_vset (cnn_error *err, cnn_status status, const char *prefix, const char *fmt,
    va_list ap)
{
  if (err != NULL) {
    int used = snprintf (err->message, sizeof (err->message), "%s", prefix);
    if (used < 0 || (size_t) used >= sizeof (err->message))
      used = (int) sizeof (err->message) - 1;
    vsnprintf (err->message + used, sizeof (err->message) - (size_t) used, fmt, ap);
  }
  return status;
}

cnn_status
cnn_set_error (cnn_error *err, cnn_status status, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  cnn_error_vset (err, status, "", fmt, ap);
  va_end (ap);
  return status;
}
