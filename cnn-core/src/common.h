/* common.h — the bottom of the library: facts every layer needs and nothing above it provides.
 *
 * Status and dtype names, the option defaults (the only copy), dims formatting, the plain
 * error setter, and small integer helpers. Depends on nothing but the public header.
 */
#ifndef CNN_COMMON_H
#define CNN_COMMON_H

#include "cnn/cnn.h"

#include <stdarg.h>

/* `options` (NULL: defaults) with every zero limit replaced by its default. */
cnn_options cnn_options_resolve (const cnn_options *options);

/* Processors online, clamped to 1..64: what threads = 0 means. */
int cnn_online_cpus (void);

/* Writes "prefix" then the formatted message into err (if not NULL); returns status. */
cnn_status cnn_error_vset (cnn_error *err, cnn_status status, const char *prefix,
    const char *fmt, va_list ap);
cnn_status cnn_set_error (cnn_error *err, cnn_status status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static inline int64_t
cnn_min64 (int64_t a, int64_t b)
{
  return a < b ? a : b;
}

static inline int64_t
cnn_max64 (int64_t a, int64_t b)
{
  return a > b ? a : b;
}

/* ⌈a / b⌉ for a ≥ 0, b > 0. */
static inline int64_t
cnn_ceil_div (int64_t a, int64_t b)
{
  return (a + b - 1) / b;
}

#endif /* CNN_COMMON_H */
