/* npy.c — NumPy .npy reader/writer (format versions 1.0–3.0, little-endian, C order). */
#include "npy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "format.h"

/* numpy itself refuses headers above 10000 bytes unless told otherwise. */
#define NPY_MAX_HEADER 65536
#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6

static const struct {
  const char *descr;
  cnn_dtype dtype;
} npy_dtypes[] = {
  { "<f4", CNN_DTYPE_FLOAT32 },
  { "<i8", CNN_DTYPE_INT64 },
  { "<i4", CNN_DTYPE_INT32 },
  { "|b1", CNN_DTYPE_BOOL },
  { "|u1", CNN_DTYPE_UINT8 },
};

/* A cursor over the header dict, which is a Python literal such as
 * {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), } */
typedef struct npy_parser {
  const char *p, *end;
} npy_parser;

static void
npy_skip_space (npy_parser *ps)
{
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static bool
npy_accept (npy_parser *ps, char c)
{
  npy_skip_space (ps);
  if (ps->p < ps->end && *ps->p == c) {
    ps->p++;
    return true;
  }
  return false;
}

/* A quoted string without escapes into buf; false if malformed or longer than the buffer. */
static bool
npy_string (npy_parser *ps, char *buf, size_t size)
{
  char quote;
  size_t n = 0;

  npy_skip_space (ps);
  if (ps->p >= ps->end || (*ps->p != '\'' && *ps->p != '"'))
    return false;
  quote = *ps->p++;
  while (ps->p < ps->end && *ps->p != quote) {
    /* Printable ASCII only, so messages quoting it stay clean. */
    if (*ps->p == '\\' || *ps->p < 0x20 || *ps->p > 0x7e || n + 1 >= size)
      return false;
    buf[n++] = *ps->p++;
  }
  if (ps->p >= ps->end)
    return false;
  ps->p++;
  buf[n] = '\0';
  return true;
}

static bool
npy_word (npy_parser *ps, const char *word)
{
  size_t len = strlen (word);

  npy_skip_space (ps);
  if ((size_t) (ps->end - ps->p) < len || memcmp (ps->p, word, len) != 0)
    return false;
  ps->p += len;
  return true;
}

/* Shape tuple: "()", "(3,)", "(1, 3, 224, 224)"; also Python 2's "3L". */
static bool
npy_shape (npy_parser *ps, int *rank, int64_t *dims, bool *too_many)
{
  int n = 0;

  *too_many = false;
  if (!npy_accept (ps, '('))
    return false;
  for (;;) {
    int64_t v = 0;
    bool digits = false;

    if (npy_accept (ps, ')'))
      break;
    npy_skip_space (ps);
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
      if (v > (INT64_MAX - 9) / 10)
        return false;
      v = v * 10 + (*ps->p++ - '0');
      digits = true;
    }
    if (!digits)
      return false;
    if (ps->p < ps->end && *ps->p == 'L')
      ps->p++;
    if (n == CNN_MAX_RANK) {
      *too_many = true;
      return false;
    }
    dims[n++] = v;
    if (npy_accept (ps, ')'))
      break;
    if (!npy_accept (ps, ','))
      return false;
  }
  /* "(3)" is an int in parentheses, not a tuple; numpy never writes it. */
  *rank = n;
  return true;
}

static cnn_status
npy_parse_header (const char *path, const char *text, size_t len, cnn_npy *npy,
    cnn_error *err)
{
  npy_parser ps = { text, text + len };
  bool have_descr = false, have_order = false, have_shape = false, too_many;
  char key[32], descr[32];

  if (!npy_accept (&ps, '{'))
    goto malformed;
  while (!npy_accept (&ps, '}')) {
    if (!npy_string (&ps, key, sizeof key) || !npy_accept (&ps, ':'))
      goto malformed;
    if (strcmp (key, "descr") == 0 && !have_descr) {
      size_t i;

      if (!npy_string (&ps, descr, sizeof descr))
        return tool_set_error (err, CNN_STATUS_UNSUPPORTED,
            "%s: unsupported .npy dtype (structured or malformed 'descr'); "
            "expected one of <f4, <i8, <i4, |b1", path);
      for (i = 0; i < sizeof npy_dtypes / sizeof npy_dtypes[0]; i++)
        if (strcmp (descr, npy_dtypes[i].descr) == 0)
          break;
      if (i == sizeof npy_dtypes / sizeof npy_dtypes[0])
        return tool_set_error (err, CNN_STATUS_UNSUPPORTED,
            "%s: unsupported .npy dtype '%s'; expected one of <f4 (float32), <i8 (int64), "
            "<i4 (int32), |b1 (bool)", path, descr);
      npy->dtype = npy_dtypes[i].dtype;
      have_descr = true;
    } else if (strcmp (key, "fortran_order") == 0 && !have_order) {
      if (npy_word (&ps, "True"))
        return tool_set_error (err, CNN_STATUS_UNSUPPORTED,
            "%s: Fortran-order .npy arrays are not supported; save a C-order array "
            "(numpy.ascontiguousarray)", path);
      if (!npy_word (&ps, "False"))
        goto malformed;
      have_order = true;
    } else if (strcmp (key, "shape") == 0 && !have_shape) {
      if (!npy_shape (&ps, &npy->rank, npy->dims, &too_many)) {
        if (too_many)
          return tool_set_error (err, CNN_STATUS_UNSUPPORTED,
              "%s: .npy array has more than %d dimensions", path, CNN_MAX_RANK);
        goto malformed;
      }
      have_shape = true;
    } else {
      goto malformed;
    }
    if (!npy_accept (&ps, ',')) {
      if (!npy_accept (&ps, '}'))
        goto malformed;
      break;
    }
  }
  npy_skip_space (&ps);
  if (ps.p != ps.end || !have_descr || !have_order || !have_shape)
    goto malformed;
  return CNN_STATUS_OK;

malformed:
  return tool_set_error (err, CNN_STATUS_PARSE_ERROR,
      "%s: malformed .npy header (expected a dict with 'descr', 'fortran_order' and 'shape')",
      path);
}

static uint32_t
npy_le32 (const unsigned char *b)
{
  return (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;
}

cnn_status
cnn_npy_read (const char *path, cnn_npy *npy, cnn_error *err)
{
  cnn_npy result = { 0 };
  cnn_status status = CNN_STATUS_OK;
  FILE *f = NULL;
  struct stat st;
  unsigned char pre[12];
  char *header = NULL;
  size_t header_len, prefix_len, elem_size, count = 1, bytes;
  int major;

  memset (npy, 0, sizeof *npy);
  f = fopen (path, "rb");
  if (!f) {
    status = tool_set_error (err, CNN_STATUS_IO_ERROR, "%s: cannot open: %s", path, strerror (errno));
    goto error;
  }
  if (fstat (fileno (f), &st) != 0 || !S_ISREG (st.st_mode)) {
    status = tool_set_error (err, CNN_STATUS_IO_ERROR, "%s: not a regular file", path);
    goto error;
  }
  if (fread (pre, 1, 10, f) != 10 || memcmp (pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
    status = tool_set_error (err, CNN_STATUS_PARSE_ERROR,
        "%s: not a .npy file (missing \\x93NUMPY magic)", path);
    goto error;
  }
  major = pre[6];
  if (major == 1) {
    header_len = (size_t) pre[8] | (size_t) pre[9] << 8;
    prefix_len = 10;
  } else if (major == 2 || major == 3) {
    if (fread (pre + 10, 1, 2, f) != 2) {
      status = tool_set_error (err, CNN_STATUS_PARSE_ERROR, "%s: truncated .npy header", path);
      goto error;
    }
    header_len = npy_le32 (pre + 8);
    prefix_len = 12;
  } else {
    status = tool_set_error (err, CNN_STATUS_UNSUPPORTED,
        "%s: unsupported .npy format version %d.%d", path, pre[6], pre[7]);
    goto error;
  }
  if (header_len > NPY_MAX_HEADER) {
    status = tool_set_error (err, CNN_STATUS_PARSE_ERROR,
        "%s: .npy header of %zu bytes is larger than the %d-byte limit", path, header_len,
        NPY_MAX_HEADER);
    goto error;
  }
  if ((uint64_t) st.st_size < prefix_len + header_len) {
    status = tool_set_error (err, CNN_STATUS_PARSE_ERROR, "%s: truncated .npy header", path);
    goto error;
  }
  header = malloc (header_len + 1);
  if (!header) {
    status = tool_set_error (err, CNN_STATUS_OUT_OF_MEMORY, "%s: out of memory", path);
    goto error;
  }
  if (fread (header, 1, header_len, f) != header_len) {
    status = tool_set_error (err, CNN_STATUS_IO_ERROR, "%s: truncated .npy header", path);
    goto error;
  }
  header[header_len] = '\0';
  if (memchr (header, '\0', header_len)) {
    status = tool_set_error (err, CNN_STATUS_PARSE_ERROR, "%s: malformed .npy header", path);
    goto error;
  }
  status = npy_parse_header (path, header, header_len, &result, err);
  if (status != CNN_STATUS_OK)
    goto error;

  elem_size = cnn_dtype_size (result.dtype);
  for (int i = 0; i < result.rank; i++) {
    if (result.dims[i] != 0 && count > SIZE_MAX / elem_size / (uint64_t) result.dims[i]) {
      status = tool_set_error (err, CNN_STATUS_LIMIT_EXCEEDED,
          "%s: .npy shape is too large", path);
      goto error;
    }
    count *= (size_t) result.dims[i];
  }
  bytes = count * elem_size;
  if ((uint64_t) st.st_size - prefix_len - header_len != bytes) {
    status = tool_set_error (err, CNN_STATUS_PARSE_ERROR,
        "%s: .npy data is %llu bytes but the header's shape and dtype need %zu", path,
        (unsigned long long) ((uint64_t) st.st_size - prefix_len - header_len), bytes);
    goto error;
  }
  result.count = count;
  result.data = malloc (bytes ? bytes : 1);
  if (!result.data) {
    status = tool_set_error (err, CNN_STATUS_OUT_OF_MEMORY, "%s: out of memory (%zu bytes)", path,
        bytes);
    goto error;
  }
  if (fread (result.data, 1, bytes, f) != bytes) {
    status = tool_set_error (err, CNN_STATUS_IO_ERROR, "%s: read error", path);
    goto error;
  }
  if (result.dtype == CNN_DTYPE_BOOL) {
    unsigned char *b = result.data;
    for (size_t i = 0; i < count; i++)
      b[i] = b[i] != 0;
  }
  *npy = result;
  result.data = NULL;

error:
  free (result.data);
  free (header);
  if (f)
    fclose (f);
  return status;
}

cnn_status
cnn_npy_write (const char *path, cnn_dtype dtype, int rank, const int64_t *dims,
    const void *data, cnn_error *err)
{
  cnn_status status = CNN_STATUS_OK;
  const char *descr = NULL;
  char dict[64 + CNN_MAX_RANK * 24 + 32];
  unsigned char prefix[12];
  size_t n, prefix_len, total, count = 1, elem_size;
  FILE *f = NULL;

  for (size_t i = 0; i < sizeof npy_dtypes / sizeof npy_dtypes[0]; i++)
    if (npy_dtypes[i].dtype == dtype)
      descr = npy_dtypes[i].descr;
  if (!descr || rank < 0 || rank > CNN_MAX_RANK)
    return tool_set_error (err, CNN_STATUS_INVALID_ARGUMENT,
        "%s: cannot write a .npy of dtype %s and rank %d", path, cnn_dtype_string (dtype), rank);

  n = (size_t) snprintf (dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
      descr);
  for (int i = 0; i < rank; i++) {
    n += (size_t) snprintf (dict + n, sizeof dict - n, "%s%lld", i ? ", " : "",
        (long long) dims[i]);
    count *= (size_t) dims[i];
  }
  n += (size_t) snprintf (dict + n, sizeof dict - n, "%s), }", rank == 1 ? "," : "");

  /* Pad with spaces and a final newline so the data starts 64-byte aligned, as numpy does. */
  prefix_len = 10;
  total = prefix_len + n + 1;
  if (total > 65535)
    prefix_len = 12;
  total = (prefix_len + n + 1 + 63) / 64 * 64;

  memcpy (prefix, NPY_MAGIC, NPY_MAGIC_LEN);
  prefix[6] = prefix_len == 10 ? 1 : 2;
  prefix[7] = 0;
  {
    size_t hl = total - prefix_len;
    prefix[8] = hl & 0xff;
    prefix[9] = (hl >> 8) & 0xff;
    prefix[10] = (hl >> 16) & 0xff;
    prefix[11] = (hl >> 24) & 0xff;
  }

  elem_size = cnn_dtype_size (dtype);
  f = fopen (path, "wb");
  if (!f) {
    status = tool_set_error (err, CNN_STATUS_IO_ERROR, "%s: cannot create: %s", path,
        strerror (errno));
    goto done;
  }
  if (fwrite (prefix, 1, prefix_len, f) != prefix_len || fwrite (dict, 1, n, f) != n)
    goto write_error;
  for (size_t i = prefix_len + n; i + 1 < total; i++)
    if (fputc (' ', f) == EOF)
      goto write_error;
  if (fputc ('\n', f) == EOF)
    goto write_error;
  if (count && fwrite (data, elem_size, count, f) != count)
    goto write_error;
  if (fclose (f) != 0) {
    f = NULL;
    goto write_error;
  }
  f = NULL;
  goto done;

write_error:
  status = tool_set_error (err, CNN_STATUS_IO_ERROR, "%s: write error: %s", path, strerror (errno));
done:
  if (f)
    fclose (f);
  return status;
}

void
cnn_npy_clear (cnn_npy *npy)
{
  if (!npy)
    return;
  free (npy->data);
  memset (npy, 0, sizeof *npy);
}
