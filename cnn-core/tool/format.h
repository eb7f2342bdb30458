/* format.h — what the cnn tool writes: messages, and text and JSON helpers for its output. */
#ifndef CNN_TOOL_FORMAT_H
#define CNN_TOOL_FORMAT_H

#include <cnn/cnn.h>

#include <stdio.h>

#if defined(__GNUC__)
#define CNN_TOOL_PRINTF(f, a) __attribute__ ((format (printf, f, a)))
#else
#define CNN_TOOL_PRINTF(f, a)
#endif

/* Exit status for a usage error (EXIT_FAILURE is any other error). */
#define EXIT_USAGE 2

/* "cnn: MESSAGE" on stderr; returns EXIT_FAILURE. */
int tool_fail (const char *fmt, ...) CNN_TOOL_PRINTF (1, 2);
/* Fills err (if not NULL) with the message; returns status. For the tool's own file
 * readers and writers, which report like the library does. */
cnn_status tool_set_error (cnn_error *err, cnn_status status, const char *fmt, ...)
    CNN_TOOL_PRINTF (3, 4);
/* "cnn: MESSAGE" and where to read more: 'cnn help COMMAND', or 'cnn --help' when command is
 * NULL; returns EXIT_USAGE. */
int tool_usage_error (const char *command, const char *fmt, ...) CNN_TOOL_PRINTF (2, 3);
/* Flushes stdout; EXIT_SUCCESS, or EXIT_FAILURE with a message when writing failed. */
int tool_flush_stdout (void);

/* "[1, 3, batch=1, ?]": dims, with symbolic names where dim_names (may be NULL) has them. */
const char *tool_shape_string (char *buf, size_t size, int rank, const int64_t *dims,
    const char *const *dim_names);
/* 1234567 → "1.23M"; decimal prefixes for counts. */
const char *tool_count_string (char *buf, size_t size, uint64_t v);
/* 1536 → "1.50 KiB"; binary prefixes for bytes. */
const char *tool_bytes_string (char *buf, size_t size, uint64_t v);
/* A copy of s for a terminal: control characters escaped (\n, \t, \xNN), truncated to fit. */
const char *tool_printable (char *buf, size_t size, const char *s);
/* Characters a UTF-8 string takes on a terminal (continuation bytes do not count). */
int tool_text_width (const char *s);
/* Prints s in a column of `width` characters, aligned left or right. */
void tool_print_cell (FILE *out, const char *s, int width, bool right);

/* A JSON string literal; invalid UTF-8 becomes U+FFFD so the document always parses. */
void tool_json_string (FILE *out, const char *s);
/* [d0,d1,...] */
void tool_json_dims (FILE *out, int rank, const int64_t *dims);

#endif /* CNN_TOOL_FORMAT_H */
