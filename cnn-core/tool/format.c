/* format.c — what the cnn tool writes: messages, and text and JSON helpers for its output. */
#include "format.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>

/* ---- messages ---------------------------------------------------------------------------- */

int
tool_fail (const char *fmt, ...)
{
  va_list ap;

  fputs ("cnn: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  return EXIT_FAILURE;
}

int
tool_usage_error (const char *command, const char *fmt, ...)
{
  va_list ap;

  fputs ("cnn: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  if (command)
    fprintf (stderr, "\nTry 'cnn help %s'.\n", command);
  else
    fputs ("\nTry 'cnn --help'.\n", stderr);
  return EXIT_USAGE;
}

int
tool_flush_stdout (void)
{
  if (fflush (stdout) != 0 || ferror (stdout))
    return tool_fail ("error writing to standard output");
  return EXIT_SUCCESS;
}

/* ---- text -------------------------------------------------------------------------------- */

const char *
tool_shape_string (char *buf, size_t size, int rank, const int64_t *dims,
    const char *const *dim_names)
{
  size_t n = 0;

  n += (size_t) snprintf (buf + n, size - n, "[");
  for (int d = 0; d < rank && n < size; d++) {
    const char *sep = d ? ", " : "";

    if (dim_names && dim_names[d] && dims[d] >= 0)
      n += (size_t) snprintf (buf + n, size - n, "%s%s=%" PRId64, sep, dim_names[d], dims[d]);
    else if (dim_names && dim_names[d])
      n += (size_t) snprintf (buf + n, size - n, "%s%s", sep, dim_names[d]);
    else if (dims[d] < 0)
      n += (size_t) snprintf (buf + n, size - n, "%s?", sep);
    else
      n += (size_t) snprintf (buf + n, size - n, "%s%" PRId64, sep, dims[d]);
  }
  if (n < size)
    snprintf (buf + n, size - n, "]");
  return buf;
}

/* v divided by `base` while it is at least that and units remain, with 3 significant
 * figures: units[0] is the unscaled unit, sep goes between number and unit. */
static const char *
tool_scaled_string (char *buf, size_t size, uint64_t v, double base, const char *const *units,
    size_t n_units, const char *sep)
{
  double x = (double) v;
  size_t u = 0;

  while (x >= base && u + 1 < n_units) {
    x /= base;
    u++;
  }
  if (u == 0)
    snprintf (buf, size, "%" PRIu64 "%s%s", v, sep, units[0]);
  else
    snprintf (buf, size, "%.*f%s%s", x < 10 ? 2 : x < 100 ? 1 : 0, x, sep, units[u]);
  return buf;
}

const char *
tool_count_string (char *buf, size_t size, uint64_t v)
{
  static const char *const units[] = { "", "K", "M", "G", "T", "P" };

  return tool_scaled_string (buf, size, v, 1000.0, units, sizeof units / sizeof units[0], "");
}

const char *
tool_bytes_string (char *buf, size_t size, uint64_t v)
{
  static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };

  return tool_scaled_string (buf, size, v, 1024.0, units, sizeof units / sizeof units[0], " ");
}

/* A copy of s for a terminal: control characters escaped (\n, \t, \xNN), truncated to fit. */
const char *
tool_printable (char *buf, size_t size, const char *s)
{
  size_t n = 0;

  for (const unsigned char *p = (const unsigned char *) (s ? s : ""); *p && n + 5 < size; p++) {
    if (*p == '\n')
      n += (size_t) snprintf (buf + n, size - n, "\\n");
    else if (*p == '\t')
      n += (size_t) snprintf (buf + n, size - n, "\\t");
    else if (*p < 0x20 || *p == 0x7f)
      n += (size_t) snprintf (buf + n, size - n, "\\x%02x", *p);
    else
      buf[n++] = (char) *p;
  }
  buf[n] = '\0';
  return buf;
}

/* Characters a UTF-8 string takes on a terminal (continuation bytes do not count). */
int
tool_text_width (const char *s)
{
  int w = 0;

  for (; *s; s++)
    if (((unsigned char) *s & 0xc0) != 0x80)
      w++;
  return w;
}

/* Prints s in a column of `width` characters, aligned left or right. */
void
tool_print_cell (FILE *out, const char *s, int width, bool right)
{
  int pad = width - tool_text_width (s);

  if (right)
    for (int k = 0; k < pad; k++)
      fputc (' ', out);
  fputs (s, out);
  if (!right)
    for (int k = 0; k < pad; k++)
      fputc (' ', out);
}

/* ---- JSON -------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (0 if invalid). */
static size_t
tool_utf8_len (const unsigned char *s)
{
  size_t len;
  uint32_t c;

  if (s[0] < 0x80)
    return 1;
  if (s[0] >= 0xc2 && s[0] <= 0xdf) {
    len = 2;
    c = s[0] & 0x1f;
  } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
    len = 3;
    c = s[0] & 0x0f;
  } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
    len = 4;
    c = s[0] & 0x07;
  } else {
    return 0;
  }
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    c = c << 6 | (s[i] & 0x3f);
  }
  if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (len == 4
          && (c < 0x10000 || c > 0x10ffff)))
    return 0;
  return len;
}

/* A JSON string literal; invalid UTF-8 becomes U+FFFD so the document always parses. */
void
tool_json_string (FILE *out, const char *s)
{
  const unsigned char *p = (const unsigned char *) (s ? s : "");

  fputc ('"', out);
  while (*p) {
    size_t len;

    switch (*p) {
      case '"': fputs ("\\\"", out); p++; continue;
      case '\\': fputs ("\\\\", out); p++; continue;
      case '\n': fputs ("\\n", out); p++; continue;
      case '\r': fputs ("\\r", out); p++; continue;
      case '\t': fputs ("\\t", out); p++; continue;
      default: break;
    }
    if (*p < 0x20 || *p == 0x7f) {
      fprintf (out, "\\u%04x", *p);
      p++;
      continue;
    }
    len = tool_utf8_len (p);
    if (len == 0) {
      fputs ("\\ufffd", out);
      p++;
      continue;
    }
    fwrite (p, 1, len, out);
    p += len;
  }
  fputc ('"', out);
}

void
tool_json_dims (FILE *out, int rank, const int64_t *dims)
{
  fputc ('[', out);
  for (int d = 0; d < rank; d++)
    fprintf (out, "%s%" PRId64, d ? "," : "", dims[d]);
  fputc (']', out);
}

cnn_status
tool_set_error (cnn_error *err, cnn_status status, const char *fmt, ...)
{
  va_list ap;

  if (err) {
    va_start (ap, fmt);
    vsnprintf (err->message, sizeof err->message, fmt, ap);
    va_end (ap);
  }
  return status;
}
