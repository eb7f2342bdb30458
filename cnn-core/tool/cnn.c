/* cnn.c — the `cnn` command-line tool: inspect, run and benchmark ONNX models.
 *
 * Uses only the public API in cnn/cnn.h. Exit status: 0 success, 1 error (the library's
 * message on stderr after "cnn: "), 2 usage error.
 */
#include <cnn/cnn.h>

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "npy.h"

#define EXIT_USAGE 2

#if defined(__GNUC__)
#define CNN_TOOL_PRINTF(f, a) __attribute__ ((format (printf, f, a)))
#else
#define CNN_TOOL_PRINTF(f, a)
#endif

typedef enum tool_command {
  TOOL_INSPECT,
  TOOL_RUN,
  TOOL_BENCH,
  TOOL_COMMAND_COUNT
} tool_command;

/* Which options each command accepts. */
enum {
  OPT_SHAPE = 1 << 0,
  OPT_JSON = 1 << 1,
  OPT_THREADS = 1 << 2,
  OPT_INPUT = 1 << 3,
  OPT_OUTPUT = 1 << 4,
  OPT_ITERATIONS = 1 << 5,
  OPT_WARMUP = 1 << 6,
  OPT_PROFILE = 1 << 7,
};

static const struct {
  const char *name;
  unsigned options;
  const char *summary;
  const char *help;
} tool_commands[TOOL_COMMAND_COUNT] = {
  [TOOL_INSPECT] = { "inspect", OPT_SHAPE | OPT_JSON | OPT_THREADS,
    "show inputs, outputs, metadata and a per-layer table",
    "Usage: cnn inspect MODEL.onnx [--shape NAME=D0,D1,...]... [--json] [--threads N]\n"
    "\n"
    "Loads and prepares MODEL, then prints its inputs and outputs, metadata and one row per\n"
    "layer of the optimised graph: output shape, parameters, multiply-accumulates, receptive\n"
    "field and jump (effective stride) in input pixels, followed by totals and the planned\n"
    "activation memory.\n"
    "\n"
    "  --shape NAME=DIMS  fix the shape of input NAME, e.g. --shape input=1,3,224,224;\n"
    "                     a dynamic batch dimension defaults to 1\n"
    "  --json             print one JSON document instead of tables\n"
    "  --threads N        worker threads (0 = one per CPU)\n" },
  [TOOL_RUN] = { "run", OPT_INPUT | OPT_OUTPUT | OPT_THREADS,
    "run a model on .npy inputs and write .npy outputs",
    "Usage: cnn run MODEL.onnx -i IN.npy [-i IN2.npy]... -o OUT.npy [-o OUT2.npy]...\n"
    "               [--threads N]\n"
    "\n"
    "Runs MODEL once. Inputs are given in graph-input order; each input's shape is taken from\n"
    "its .npy file and its dtype must match the model's. Outputs are written in graph-output\n"
    "order; give fewer -o than the model has outputs to write only the first ones.\n"
    "\n"
    "  -i, --input FILE   input tensor (.npy: float32 <f4, int64 <i8, int32 <i4, bool |b1)\n"
    "  -o, --output FILE  where to write an output tensor (.npy)\n"
    "  --threads N        worker threads (0 = one per CPU)\n" },
  [TOOL_BENCH] = { "bench", OPT_SHAPE | OPT_JSON | OPT_THREADS | OPT_ITERATIONS | OPT_WARMUP
        | OPT_PROFILE,
    "time inference on deterministic inputs",
    "Usage: cnn bench MODEL.onnx [--threads N] [--iterations K] [--warmup W]\n"
    "                 [--shape NAME=D0,D1,...]... [--json] [--profile]\n"
    "\n"
    "Runs MODEL W times untimed, then K times timed on a deterministic input (sin(i)), and\n"
    "prints the median and minimum time per run and the peak resident memory.\n"
    "\n"
    "  --threads N        worker threads (0 = one per CPU)\n"
    "  --iterations K     timed runs (default 50)\n"
    "  --warmup W         untimed runs first (default 5)\n"
    "  --shape NAME=DIMS  fix the shape of input NAME; a dynamic batch dimension defaults to 1\n"
    "  --json             print one line of JSON\n"
    "  --profile          also print the time of each layer and of each op type\n" },
};

typedef struct tool_shape {
  const char *name;             /* points into argv */
  size_t name_len;
  int rank;
  int64_t dims[CNN_MAX_RANK];
} tool_shape;

typedef struct tool_args {
  tool_command command;
  const char *model;
  int threads;
  bool threads_set;
  const char **inputs;
  int n_inputs;
  const char **outputs;
  int n_outputs;
  tool_shape *shapes;
  int n_shapes;
  int iterations;
  int warmup;
  bool json;
  bool profile;
} tool_args;

/* ---- messages ---------------------------------------------------------------------------- */

static int tool_fail (const char *fmt, ...) CNN_TOOL_PRINTF (1, 2);

static int
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

static int tool_usage_error (const char *command, const char *fmt, ...)
    CNN_TOOL_PRINTF (2, 3);

static int
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

static void
tool_print_usage (FILE *out)
{
  fputs ("Usage: cnn COMMAND MODEL.onnx [OPTION]...\n"
      "\n"
      "Inspect, run and benchmark ONNX image classifiers with the gst-cnn core.\n"
      "\n"
      "Commands:\n", out);
  for (int c = 0; c < TOOL_COMMAND_COUNT; c++)
    fprintf (out, "  %-9s %s\n", tool_commands[c].name, tool_commands[c].summary);
  fputs ("  help CMD  show the options of CMD\n"
      "\n"
      "Exit status: 0 on success, 1 on error, 2 on a usage error.\n", out);
}

/* ---- argument parsing -------------------------------------------------------------------- */

static bool
tool_parse_int (const char *text, long min, long max, int *value)
{
  char *end;
  long v;

  if (!*text)
    return false;
  v = strtol (text, &end, 10);
  if (*end || v < min || v > max)
    return false;
  *value = (int) v;
  return true;
}

/* NAME=D0,D1,... with positive dims. */
static bool
tool_parse_shape (const char *text, tool_shape *shape)
{
  const char *eq = strrchr (text, '=');
  const char *p;

  if (!eq || eq == text)
    return false;
  shape->name = text;
  shape->name_len = (size_t) (eq - text);
  shape->rank = 0;
  p = eq + 1;
  if (!*p)
    return false;
  for (;;) {
    char *end;
    long long v;

    if (*p < '0' || *p > '9')
      return false;
    v = strtoll (p, &end, 10);
    if (v <= 0 || v == LLONG_MAX || shape->rank == CNN_MAX_RANK)
      return false;
    shape->dims[shape->rank++] = v;
    if (!*end)
      return true;
    if (*end != ',')
      return false;
    p = end + 1;
  }
}

/* Matches "--name VALUE", "--name=VALUE" or "-x VALUE"; *value is NULL when missing. */
static bool
tool_match (char **argv, int argc, int *i, const char *long_name, const char *short_name,
    const char **value, bool *missing)
{
  const char *arg = argv[*i];
  size_t len = strlen (long_name);

  *missing = false;
  if (strncmp (arg, long_name, len) == 0 && arg[len] == '=') {
    *value = arg + len + 1;
    return true;
  }
  if (strcmp (arg, long_name) != 0 && !(short_name && strcmp (arg, short_name) == 0))
    return false;
  if (*i + 1 >= argc) {
    *missing = true;
    *value = NULL;
    return true;
  }
  *value = argv[++*i];
  return true;
}

/* Returns -1 to go on, else the exit status (help printed, or a usage error). */
static int
tool_parse_args (tool_command command, int argc, char **argv, tool_args *args)
{
  static const struct {
    unsigned flag;
    const char *long_name, *short_name;
  } valued[] = {
    { OPT_SHAPE, "--shape", NULL },
    { OPT_THREADS, "--threads", NULL },
    { OPT_INPUT, "--input", "-i" },
    { OPT_OUTPUT, "--output", "-o" },
    { OPT_ITERATIONS, "--iterations", NULL },
    { OPT_WARMUP, "--warmup", NULL },
  };
  const char *name = tool_commands[command].name;
  unsigned allowed = tool_commands[command].options;
  bool options_done = false;

  memset (args, 0, sizeof *args);
  args->command = command;
  args->iterations = 50;
  args->warmup = 5;
  /* Upper bounds: every argument could be one of these. */
  args->inputs = calloc ((size_t) argc + 1, sizeof *args->inputs);
  args->outputs = calloc ((size_t) argc + 1, sizeof *args->outputs);
  args->shapes = calloc ((size_t) argc + 1, sizeof *args->shapes);
  if (!args->inputs || !args->outputs || !args->shapes)
    return tool_fail ("out of memory");

  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    const char *value = NULL;
    unsigned flag = 0;
    bool missing = false;

    if (options_done || arg[0] != '-' || arg[1] == '\0') {
      if (args->model)
        return tool_usage_error (name, "unexpected argument '%s' (only one model per run)", arg);
      args->model = arg;
      continue;
    }
    if (strcmp (arg, "--") == 0) {
      options_done = true;
      continue;
    }
    if (strcmp (arg, "-h") == 0 || strcmp (arg, "--help") == 0) {
      fputs (tool_commands[command].help, stdout);
      return EXIT_SUCCESS;
    }
    if ((allowed & OPT_JSON) && strcmp (arg, "--json") == 0) {
      args->json = true;
      continue;
    }
    if ((allowed & OPT_PROFILE) && strcmp (arg, "--profile") == 0) {
      args->profile = true;
      continue;
    }
    for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++) {
      if ((allowed & valued[k].flag)
          && tool_match (argv, argc, &i, valued[k].long_name, valued[k].short_name, &value,
              &missing)) {
        flag = valued[k].flag;
        if (missing)
          return tool_usage_error (name, "option %s needs a value", arg);
        break;
      }
    }
    switch (flag) {
      case OPT_SHAPE:
        if (!tool_parse_shape (value, &args->shapes[args->n_shapes]))
          return tool_usage_error (name, "invalid value '%s' for --shape "
              "(expected NAME=D0,D1,... with positive integers, at most %d dims)", value,
              CNN_MAX_RANK);
        for (int s = 0; s < args->n_shapes; s++)
          if (args->shapes[s].name_len == args->shapes[args->n_shapes].name_len
              && memcmp (args->shapes[s].name, value, args->shapes[s].name_len) == 0)
            return tool_usage_error (name, "--shape given twice for input '%.*s'",
                (int) args->shapes[s].name_len, value);
        args->n_shapes++;
        break;
      case OPT_THREADS:
        if (!tool_parse_int (value, 0, 1024, &args->threads))
          return tool_usage_error (name, "invalid value '%s' for --threads "
              "(expected an integer from 0 to 1024)", value);
        args->threads_set = true;
        break;
      case OPT_INPUT:
        args->inputs[args->n_inputs++] = value;
        break;
      case OPT_OUTPUT:
        args->outputs[args->n_outputs++] = value;
        break;
      case OPT_ITERATIONS:
        if (!tool_parse_int (value, 1, 10000000, &args->iterations))
          return tool_usage_error (name, "invalid value '%s' for --iterations "
              "(expected an integer from 1 to 10000000)", value);
        break;
      case OPT_WARMUP:
        if (!tool_parse_int (value, 0, 10000000, &args->warmup))
          return tool_usage_error (name, "invalid value '%s' for --warmup "
              "(expected an integer from 0 to 10000000)", value);
        break;
      default:
        return tool_usage_error (name, "unknown option '%s' for '%s'", arg, name);
    }
  }
  if (!args->model)
    return tool_usage_error (name, "missing MODEL.onnx");
  if (command == TOOL_RUN && args->n_outputs == 0)
    return tool_usage_error (name, "missing -o OUT.npy");
  return -1;
}

static void
tool_args_clear (tool_args *args)
{
  free (args->inputs);
  free (args->outputs);
  free (args->shapes);
}

/* ---- formatting -------------------------------------------------------------------------- */

static const char *
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

/* 1234567 → "1.23M"; decimal prefixes for counts. */
static const char *
tool_count_string (char *buf, size_t size, uint64_t v)
{
  static const char units[] = "KMGTP";
  double x = (double) v;
  int u = -1;

  while (x >= 1000.0 && u < 4) {
    x /= 1000.0;
    u++;
  }
  if (u < 0)
    snprintf (buf, size, "%" PRIu64, v);
  else
    snprintf (buf, size, "%.*f%c", x < 10 ? 2 : x < 100 ? 1 : 0, x, units[u]);
  return buf;
}

/* Binary prefixes for bytes. */
static const char *
tool_bytes_string (char *buf, size_t size, uint64_t v)
{
  static const char *units[] = { "KiB", "MiB", "GiB", "TiB" };
  double x = (double) v;
  int u = -1;

  while (x >= 1024.0 && u < 3) {
    x /= 1024.0;
    u++;
  }
  if (u < 0)
    snprintf (buf, size, "%" PRIu64 " B", v);
  else
    snprintf (buf, size, "%.*f %s", x < 10 ? 2 : x < 100 ? 1 : 0, x, units[u]);
  return buf;
}

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
static void
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

static void
tool_json_dims (FILE *out, int rank, const int64_t *dims)
{
  fputc ('[', out);
  for (int d = 0; d < rank; d++)
    fprintf (out, "%s%" PRId64, d ? "," : "", dims[d]);
  fputc (']', out);
}

/* A copy of s for a terminal: control characters escaped (\n, \t, \xNN), truncated to fit. */
static const char *
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
static int
tool_text_width (const char *s)
{
  int w = 0;

  for (; *s; s++)
    if (((unsigned char) *s & 0xc0) != 0x80)
      w++;
  return w;
}

/* Prints s left-aligned in a column of `width` characters. */
static void
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

/* ---- model setup shared by the commands -------------------------------------------------- */

static int
tool_load (const tool_args *args, cnn_model **model)
{
  cnn_options options = cnn_options_default ();
  cnn_error err;

  if (args->threads_set)
    options.threads = args->threads;
  if (cnn_model_load_file (args->model, &options, model, &err) != CNN_STATUS_OK)
    return tool_fail ("%s", err.message);
  return EXIT_SUCCESS;
}

/* Applies --shape, defaults a dynamic batch dimension to 1, and rejects other dynamic dims. */
static int
tool_apply_shapes (const tool_args *args, cnn_model *model)
{
  size_t n = cnn_model_input_count (model);
  cnn_error err;

  for (int s = 0; s < args->n_shapes; s++) {
    const tool_shape *shape = &args->shapes[s];
    size_t i;

    for (i = 0; i < n; i++) {
      cnn_tensor_info info;

      if (cnn_model_input_info (model, i, &info) == CNN_STATUS_OK
          && strlen (info.name) == shape->name_len
          && memcmp (info.name, shape->name, shape->name_len) == 0)
        break;
    }
    if (i == n) {
      char names[256] = "";
      size_t len = 0;

      for (size_t k = 0; k < n && len < sizeof names; k++) {
        cnn_tensor_info info;

        if (cnn_model_input_info (model, k, &info) == CNN_STATUS_OK)
          len += (size_t) snprintf (names + len, sizeof names - len, "%s'%s'", k ? ", " : "",
              info.name);
      }
      return tool_fail ("%s: --shape names input '%.*s' but the model's inputs are %s",
          args->model, (int) shape->name_len, shape->name, n ? names : "(none)");
    }
  }

  for (size_t i = 0; i < n; i++) {
    cnn_tensor_info info;
    const tool_shape *given = NULL;
    int64_t dims[CNN_MAX_RANK];
    bool dynamic = false;

    if (cnn_model_input_info (model, i, &info) != CNN_STATUS_OK)
      return tool_fail ("%s: cannot query input %zu", args->model, i);
    for (int s = 0; s < args->n_shapes; s++)
      if (strlen (info.name) == args->shapes[s].name_len
          && memcmp (info.name, args->shapes[s].name, args->shapes[s].name_len) == 0)
        given = &args->shapes[s];
    if (given) {
      if (cnn_model_set_input_shape (model, i, given->rank, given->dims, &err) != CNN_STATUS_OK)
        return tool_fail ("--shape %.*s: %s", (int) given->name_len, given->name, err.message);
      continue;
    }
    for (int d = 0; d < info.rank; d++) {
      dims[d] = info.dims[d];
      if (dims[d] >= 0)
        continue;
      if (d == 0) {
        dims[d] = 1;
        dynamic = true;
        continue;
      }
      {
        char hint[256];
        size_t len = 0;

        for (int k = 0; k < info.rank && len < sizeof hint; k++) {
          if (k == 0 && info.dims[0] < 0)
            len += (size_t) snprintf (hint + len, sizeof hint - len, "1");
          else if (info.dims[k] >= 0)
            len += (size_t) snprintf (hint + len, sizeof hint - len, "%s%" PRId64,
                k ? "," : "", info.dims[k]);
          else
            len += (size_t) snprintf (hint + len, sizeof hint - len, "%s%s", k ? "," : "",
                info.dim_names[k] ? info.dim_names[k] : "?");
        }
        return tool_fail ("%s: input '%s' has dynamic dimension %d%s%s%s; "
            "give its shape with --shape %s=%s", args->model, info.name, d,
            info.dim_names[d] ? " ('" : "", info.dim_names[d] ? info.dim_names[d] : "",
            info.dim_names[d] ? "')" : "", info.name, hint);
      }
    }
    if (dynamic
        && cnn_model_set_input_shape (model, i, info.rank, dims, &err) != CNN_STATUS_OK)
      return tool_fail ("%s", err.message);
  }
  return EXIT_SUCCESS;
}

static int
tool_prepare (cnn_model *model)
{
  cnn_error err;

  if (cnn_model_prepare (model, &err) != CNN_STATUS_OK)
    return tool_fail ("%s", err.message);
  return EXIT_SUCCESS;
}

static size_t
tool_tensor_bytes (const cnn_tensor_info *info)
{
  size_t count = 1;

  for (int d = 0; d < info->rank; d++)
    count *= (size_t) (info->dims[d] > 0 ? info->dims[d] : 0);
  return count * cnn_dtype_size (info->dtype);
}

/* ---- inspect ----------------------------------------------------------------------------- */

static void
tool_inspect_text (const tool_args *args, cnn_model *model)
{
  size_t n_layers = cnn_model_layer_count (model);
  uint64_t total_params = 0, total_macs = 0;
  char buf[512], buf2[64], name[256];
  enum { COLS = 8 };
  static const char *headers[COLS] = {
    "#", "name", "op", "output", "params", "MACs", "RF (h×w)", "jump (h×w)"
  };
  static const bool right[COLS] = { true, false, false, false, true, true, true, true };
  int widths[COLS];
  bool any_metadata = false;

  printf ("model: %s\n", cnn_model_source (model) ? cnn_model_source (model) : args->model);
  for (int io = 0; io < 2; io++) {
    size_t n = io == 0 ? cnn_model_input_count (model) : cnn_model_output_count (model);

    printf ("%s:\n", io == 0 ? "inputs" : "outputs");
    for (size_t i = 0; i < n; i++) {
      cnn_tensor_info info;

      if ((io == 0 ? cnn_model_input_info (model, i, &info)
              : cnn_model_output_info (model, i, &info)) != CNN_STATUS_OK)
        continue;
      tool_printable (name, sizeof name, info.name);
      printf ("  ");
      tool_print_cell (stdout, name, 20, false);
      printf (" %-8s %s\n", cnn_dtype_string (info.dtype),
          tool_shape_string (buf, sizeof buf, info.rank, info.dims, info.dim_names));
    }
  }
  for (size_t k = 0; k < cnn_model_metadata_count (model); k++) {
    const char *key, *value;

    if (cnn_model_metadata_entry (model, k, &key, &value) != CNN_STATUS_OK)
      continue;
    if (!any_metadata)
      printf ("metadata:\n");
    any_metadata = true;
    /* Multi-line values (labels) on one line, so the listing stays readable. */
    printf ("  %s: %s\n", tool_printable (name, sizeof name, key),
        tool_printable (buf, sizeof buf, value));
  }

  for (int c = 0; c < COLS; c++)
    widths[c] = tool_text_width (headers[c]);
  /* Two passes: measure the columns, then print. */
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) {
      printf ("\n");
      for (int c = 0; c < COLS; c++) {
        tool_print_cell (stdout, headers[c], widths[c], right[c]);
        fputs (c + 1 < COLS ? "  " : "\n", stdout);
      }
    }
    for (size_t l = 0; l < n_layers; l++) {
      cnn_layer_info li;
      char cells[COLS][160];

      if (cnn_model_layer_info (model, l, &li) != CNN_STATUS_OK)
        continue;
      snprintf (cells[0], sizeof cells[0], "%zu", l);
      tool_printable (cells[1], sizeof cells[1], li.name && *li.name ? li.name : "-");
      tool_printable (cells[2], sizeof cells[2], li.op ? li.op : "?");
      tool_shape_string (cells[3], sizeof cells[3], li.rank, li.output_dims, NULL);
      snprintf (cells[4], sizeof cells[4], "%s", li.params
          ? tool_count_string (buf2, sizeof buf2, li.params) : "-");
      snprintf (cells[5], sizeof cells[5], "%s", tool_count_string (buf2, sizeof buf2,
              li.macs));
      if (li.receptive_field[0] > 0) {
        snprintf (cells[6], sizeof cells[6], "%" PRId64 "×%" PRId64, li.receptive_field[0],
            li.receptive_field[1]);
        snprintf (cells[7], sizeof cells[7], "%" PRId64 "×%" PRId64, li.jump[0], li.jump[1]);
      } else {
        snprintf (cells[6], sizeof cells[6], "-");
        snprintf (cells[7], sizeof cells[7], "-");
      }
      if (pass == 0) {
        for (int c = 0; c < COLS; c++)
          if (tool_text_width (cells[c]) > widths[c])
            widths[c] = tool_text_width (cells[c]);
        total_params += li.params;
        total_macs += li.macs;
        continue;
      }
      for (int c = 0; c < COLS; c++) {
        tool_print_cell (stdout, cells[c], widths[c], right[c]);
        fputs (c + 1 < COLS ? "  " : "\n", stdout);
      }
    }
  }

  printf ("\nlayers: %zu\n", n_layers);
  printf ("parameters: %s (%" PRIu64 ")\n", tool_count_string (buf2, sizeof buf2,
          total_params), total_params);
  printf ("MACs: %s (%" PRIu64 ")\n", tool_count_string (buf2, sizeof buf2, total_macs),
      total_macs);
  printf ("activation memory: %s (%" PRIu64 " bytes)\n", tool_bytes_string (buf2,
          sizeof buf2, cnn_model_arena_bytes (model)), cnn_model_arena_bytes (model));
}

static void
tool_inspect_json (const tool_args *args, cnn_model *model)
{
  size_t n_layers = cnn_model_layer_count (model);
  uint64_t total_params = 0, total_macs = 0;
  bool first = true;

  printf ("{\"model\":");
  tool_json_string (stdout, cnn_model_source (model) ? cnn_model_source (model) : args->model);
  for (int io = 0; io < 2; io++) {
    size_t n = io == 0 ? cnn_model_input_count (model) : cnn_model_output_count (model);

    printf (",\n\"%s\":[", io == 0 ? "inputs" : "outputs");
    for (size_t i = 0; i < n; i++) {
      cnn_tensor_info info;

      if ((io == 0 ? cnn_model_input_info (model, i, &info)
              : cnn_model_output_info (model, i, &info)) != CNN_STATUS_OK)
        continue;
      printf ("%s\n  {\"name\":", i ? "," : "");
      tool_json_string (stdout, info.name);
      printf (",\"dtype\":");
      tool_json_string (stdout, cnn_dtype_string (info.dtype));
      printf (",\"shape\":");
      tool_json_dims (stdout, info.rank, info.dims);
      printf (",\"dim_names\":[");
      for (int d = 0; d < info.rank; d++) {
        if (d)
          fputc (',', stdout);
        if (info.dim_names[d])
          tool_json_string (stdout, info.dim_names[d]);
        else
          fputs ("null", stdout);
      }
      printf ("]}");
    }
    printf ("]");
  }
  printf (",\n\"metadata\":{");
  for (size_t k = 0; k < cnn_model_metadata_count (model); k++) {
    const char *key, *value;

    if (cnn_model_metadata_entry (model, k, &key, &value) != CNN_STATUS_OK)
      continue;
    if (!first)
      fputc (',', stdout);
    first = false;
    tool_json_string (stdout, key);
    fputc (':', stdout);
    tool_json_string (stdout, value);
  }
  printf ("},\n\"layers\":[");
  for (size_t l = 0; l < n_layers; l++) {
    cnn_layer_info li;

    if (cnn_model_layer_info (model, l, &li) != CNN_STATUS_OK)
      continue;
    total_params += li.params;
    total_macs += li.macs;
    printf ("%s\n  {\"name\":", l ? "," : "");
    tool_json_string (stdout, li.name);
    printf (",\"op\":");
    tool_json_string (stdout, li.op);
    printf (",\"output_shape\":");
    tool_json_dims (stdout, li.rank, li.output_dims);
    printf (",\"params\":%" PRIu64 ",\"macs\":%" PRIu64 ",\"receptive_field\":[%" PRId64
        ",%" PRId64 "],\"jump\":[%" PRId64 ",%" PRId64 "]}", li.params, li.macs,
        li.receptive_field[0], li.receptive_field[1], li.jump[0], li.jump[1]);
  }
  printf ("],\n\"totals\":{\"params\":%" PRIu64 ",\"macs\":%" PRIu64 ",\"arena_bytes\":%"
      PRIu64 "}}\n", total_params, total_macs, cnn_model_arena_bytes (model));
}

static int
tool_inspect (const tool_args *args)
{
  cnn_model *model = NULL;
  int status;

  status = tool_load (args, &model);
  if (status != EXIT_SUCCESS)
    goto done;
  status = tool_apply_shapes (args, model);
  if (status != EXIT_SUCCESS)
    goto done;
  status = tool_prepare (model);
  if (status != EXIT_SUCCESS)
    goto done;
  if (args->json)
    tool_inspect_json (args, model);
  else
    tool_inspect_text (args, model);
  if (fflush (stdout) != 0 || ferror (stdout))
    status = tool_fail ("error writing to standard output");

done:
  cnn_model_destroy (model);
  return status;
}

/* ---- run --------------------------------------------------------------------------------- */

static int
tool_run (const tool_args *args)
{
  cnn_model *model = NULL;
  cnn_npy *npys = NULL;
  void **outputs = NULL;
  const void **inputs = NULL;
  size_t n_in = 0, n_out = 0;
  cnn_error err;
  int status;

  status = tool_load (args, &model);
  if (status != EXIT_SUCCESS)
    goto done;
  n_in = cnn_model_input_count (model);
  n_out = cnn_model_output_count (model);
  if ((size_t) args->n_inputs != n_in) {
    status = tool_fail ("%s: the model has %zu input%s but %d -i file%s given", args->model,
        n_in, n_in == 1 ? "" : "s", args->n_inputs, args->n_inputs == 1 ? " was" : "s were");
    goto done;
  }
  if ((size_t) args->n_outputs > n_out) {
    status = tool_fail ("%s: the model has %zu output%s but %d -o files were given",
        args->model, n_out, n_out == 1 ? "" : "s", args->n_outputs);
    goto done;
  }
  npys = calloc (n_in + 1, sizeof *npys);
  inputs = calloc (n_in + 1, sizeof *inputs);
  outputs = calloc (n_out + 1, sizeof *outputs);
  if (!npys || !inputs || !outputs) {
    status = tool_fail ("out of memory");
    goto done;
  }

  for (size_t i = 0; i < n_in; i++) {
    cnn_tensor_info info;

    if (cnn_npy_read (args->inputs[i], &npys[i], &err) != CNN_STATUS_OK) {
      status = tool_fail ("%s", err.message);
      goto done;
    }
    if (cnn_model_input_info (model, i, &info) != CNN_STATUS_OK) {
      status = tool_fail ("%s: cannot query input %zu", args->model, i);
      goto done;
    }
    if (npys[i].dtype != info.dtype) {
      status = tool_fail ("%s: dtype %s does not match input '%s' of %s, which is %s",
          args->inputs[i], cnn_dtype_string (npys[i].dtype), info.name, args->model,
          cnn_dtype_string (info.dtype));
      goto done;
    }
    if (cnn_model_set_input_shape (model, i, npys[i].rank, npys[i].dims, &err)
        != CNN_STATUS_OK) {
      status = tool_fail ("%s: %s", args->inputs[i], err.message);
      goto done;
    }
    inputs[i] = npys[i].data;
  }
  status = tool_prepare (model);
  if (status != EXIT_SUCCESS)
    goto done;

  for (size_t o = 0; o < n_out; o++) {
    cnn_tensor_info info;
    size_t bytes;

    if (cnn_model_output_info (model, o, &info) != CNN_STATUS_OK) {
      status = tool_fail ("%s: cannot query output %zu", args->model, o);
      goto done;
    }
    bytes = tool_tensor_bytes (&info);
    outputs[o] = malloc (bytes ? bytes : 1);
    if (!outputs[o]) {
      status = tool_fail ("out of memory for output '%s' (%zu bytes)", info.name, bytes);
      goto done;
    }
  }
  if (cnn_model_run (model, inputs, outputs, &err) != CNN_STATUS_OK) {
    status = tool_fail ("%s", err.message);
    goto done;
  }
  for (int o = 0; o < args->n_outputs; o++) {
    cnn_tensor_info info;

    cnn_model_output_info (model, (size_t) o, &info);
    if (cnn_npy_write (args->outputs[o], info.dtype, info.rank, info.dims, outputs[o], &err)
        != CNN_STATUS_OK) {
      status = tool_fail ("%s", err.message);
      goto done;
    }
  }

done:
  if (npys)
    for (size_t i = 0; i < n_in; i++)
      cnn_npy_clear (&npys[i]);
  if (outputs)
    for (size_t o = 0; o < n_out; o++)
      free (outputs[o]);
  free (npys);
  free (inputs);
  free (outputs);
  cnn_model_destroy (model);
  return status;
}

/* ---- bench ------------------------------------------------------------------------------- */

static double
tool_now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec * 1e-6;
}

static int
tool_compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

typedef struct tool_op_total {
  const char *op;
  double ms;
  int count;
} tool_op_total;

static int
tool_compare_op_total (const void *a, const void *b)
{
  const tool_op_total *x = a, *y = b;

  return (x->ms < y->ms) - (x->ms > y->ms);
}

static void
tool_print_profile (const tool_args *args, cnn_model *model)
{
  size_t n_layers = cnn_model_layer_count (model);
  tool_op_total *totals = calloc (n_layers + 1, sizeof *totals);
  size_t n_totals = 0;
  double sum = 0;
  int name_w = 4, op_w = 2;
  char name[256];

  if (!totals)
    return;
  for (size_t l = 0; l < n_layers; l++) {
    cnn_layer_info li;
    size_t t;

    if (cnn_model_layer_info (model, l, &li) != CNN_STATUS_OK)
      continue;
    sum += li.time_ms;
    tool_printable (name, sizeof name, li.name && *li.name ? li.name : "-");
    if (tool_text_width (name) > name_w)
      name_w = tool_text_width (name);
    if (li.op && tool_text_width (li.op) > op_w)
      op_w = tool_text_width (li.op);
    for (t = 0; t < n_totals; t++)
      if (strcmp (totals[t].op, li.op ? li.op : "?") == 0)
        break;
    if (t == n_totals)
      totals[n_totals++].op = li.op ? li.op : "?";
    totals[t].ms += li.time_ms;
    totals[t].count++;
  }
  if (sum <= 0)
    sum = 1;

  printf ("\n%5s  ", "#");
  tool_print_cell (stdout, "name", name_w, false);
  fputs ("  ", stdout);
  tool_print_cell (stdout, "op", op_w, false);
  printf ("  %10s  %6s\n", "ms/run", "%");
  for (size_t l = 0; l < n_layers; l++) {
    cnn_layer_info li;

    if (cnn_model_layer_info (model, l, &li) != CNN_STATUS_OK)
      continue;
    printf ("%5zu  ", l);
    tool_print_cell (stdout, tool_printable (name, sizeof name, li.name && *li.name ? li.name
            : "-"), name_w, false);
    fputs ("  ", stdout);
    tool_print_cell (stdout, li.op ? li.op : "?", op_w, false);
    printf ("  %10.4f  %5.1f%%\n", li.time_ms / args->iterations, 100.0 * li.time_ms / sum);
  }

  qsort (totals, n_totals, sizeof *totals, tool_compare_op_total);
  printf ("\nper op type:\n");
  for (size_t t = 0; t < n_totals; t++) {
    printf ("  ");
    tool_print_cell (stdout, totals[t].op, op_w, false);
    printf ("  %4d layer%s  %10.4f ms/run  %5.1f%%\n", totals[t].count,
        totals[t].count == 1 ? " " : "s", totals[t].ms / args->iterations,
        100.0 * totals[t].ms / sum);
  }
  free (totals);
}

static void
tool_print_profile_json (const tool_args *args, cnn_model *model)
{
  size_t n_layers = cnn_model_layer_count (model);

  printf (",\"layers\":[");
  for (size_t l = 0; l < n_layers; l++) {
    cnn_layer_info li;

    if (cnn_model_layer_info (model, l, &li) != CNN_STATUS_OK)
      continue;
    printf ("%s{\"name\":", l ? "," : "");
    tool_json_string (stdout, li.name);
    printf (",\"op\":");
    tool_json_string (stdout, li.op);
    printf (",\"ms\":%.6f}", li.time_ms / args->iterations);
  }
  printf ("]");
}

static int
tool_bench (const tool_args *args)
{
  cnn_model *model = NULL;
  void **inputs = NULL, **outputs = NULL;
  double *times = NULL;
  size_t n_in = 0, n_out = 0;
  struct rusage usage;
  double median, min;
  long threads;
  cnn_error err;
  int status;

  status = tool_load (args, &model);
  if (status != EXIT_SUCCESS)
    goto done;
  status = tool_apply_shapes (args, model);
  if (status != EXIT_SUCCESS)
    goto done;
  status = tool_prepare (model);
  if (status != EXIT_SUCCESS)
    goto done;

  n_in = cnn_model_input_count (model);
  n_out = cnn_model_output_count (model);
  inputs = calloc (n_in + 1, sizeof *inputs);
  outputs = calloc (n_out + 1, sizeof *outputs);
  times = calloc ((size_t) args->iterations, sizeof *times);
  if (!inputs || !outputs || !times) {
    status = tool_fail ("out of memory");
    goto done;
  }
  for (size_t i = 0; i < n_in + n_out; i++) {
    bool is_input = i < n_in;
    size_t idx = is_input ? i : i - n_in;
    cnn_tensor_info info;
    size_t bytes;
    void *buf;

    if ((is_input ? cnn_model_input_info (model, idx, &info)
            : cnn_model_output_info (model, idx, &info)) != CNN_STATUS_OK) {
      status = tool_fail ("%s: cannot query tensor %zu", args->model, i);
      goto done;
    }
    bytes = tool_tensor_bytes (&info);
    /* Zero-filled: integer and bool inputs (indices, masks) stay valid. */
    buf = calloc (1, bytes ? bytes : 1);
    if (!buf) {
      status = tool_fail ("out of memory for '%s' (%zu bytes)", info.name, bytes);
      goto done;
    }
    if (is_input) {
      inputs[idx] = buf;
      if (info.dtype == CNN_DTYPE_FLOAT32) {
        float *f = buf;
        for (size_t k = 0; k < bytes / sizeof (float); k++)
          f[k] = (float) sin ((double) k);
      }
    } else {
      outputs[idx] = buf;
    }
  }

  for (int k = 0; k < args->warmup; k++) {
    if (cnn_model_run (model, (const void *const *) inputs, outputs, &err) != CNN_STATUS_OK) {
      status = tool_fail ("%s", err.message);
      goto done;
    }
  }
  if (args->profile)
    cnn_model_set_profiling (model, true);
  for (int k = 0; k < args->iterations; k++) {
    double t0 = tool_now_ms ();

    if (cnn_model_run (model, (const void *const *) inputs, outputs, &err) != CNN_STATUS_OK) {
      status = tool_fail ("%s", err.message);
      goto done;
    }
    times[k] = tool_now_ms () - t0;
  }
  qsort (times, (size_t) args->iterations, sizeof *times, tool_compare_double);
  min = times[0];
  median = args->iterations % 2 ? times[args->iterations / 2]
      : 0.5 * (times[args->iterations / 2 - 1] + times[args->iterations / 2]);
  getrusage (RUSAGE_SELF, &usage);
  threads = args->threads_set && args->threads > 0 ? args->threads
      : sysconf (_SC_NPROCESSORS_ONLN);
  if (threads < 1)
    threads = 1;

  if (args->json) {
    printf ("{\"model\":");
    tool_json_string (stdout, args->model);
    printf (",\"threads\":%ld,\"iterations\":%d,\"median_ms\":%.4f,\"min_ms\":%.4f,"
        "\"peak_rss_kb\":%ld", threads, args->iterations, median, min, usage.ru_maxrss);
    if (args->profile)
      tool_print_profile_json (args, model);
    printf ("}\n");
  } else {
    printf ("model: %s\n", args->model);
    printf ("threads: %ld, iterations: %d, warmup: %d\n", threads, args->iterations,
        args->warmup);
    printf ("median: %.3f ms, min: %.3f ms\n", median, min);
    printf ("peak RSS: %ld KB\n", usage.ru_maxrss);
    if (args->profile)
      tool_print_profile (args, model);
  }
  if (fflush (stdout) != 0 || ferror (stdout))
    status = tool_fail ("error writing to standard output");

done:
  if (inputs)
    for (size_t i = 0; i < n_in; i++)
      free (inputs[i]);
  if (outputs)
    for (size_t o = 0; o < n_out; o++)
      free (outputs[o]);
  free (inputs);
  free (outputs);
  free (times);
  cnn_model_destroy (model);
  return status;
}

/* ---- main -------------------------------------------------------------------------------- */

static int
tool_find_command (const char *name)
{
  for (int c = 0; c < TOOL_COMMAND_COUNT; c++)
    if (strcmp (tool_commands[c].name, name) == 0)
      return c;
  return -1;
}

int
main (int argc, char **argv)
{
  static int (*const handlers[TOOL_COMMAND_COUNT]) (const tool_args *) = {
    [TOOL_INSPECT] = tool_inspect,
    [TOOL_RUN] = tool_run,
    [TOOL_BENCH] = tool_bench,
  };
  tool_args args;
  int command, status;

  if (argc < 2) {
    tool_print_usage (stderr);
    return EXIT_USAGE;
  }
  if (strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0) {
    tool_print_usage (stdout);
    return EXIT_SUCCESS;
  }
  if (strcmp (argv[1], "help") == 0) {
    if (argc == 2) {
      tool_print_usage (stdout);
      return EXIT_SUCCESS;
    }
    command = tool_find_command (argv[2]);
    if (command < 0 || argc > 3)
      return tool_usage_error (NULL, "no command '%s'", argc > 3 ? argv[3] : argv[2]);
    fputs (tool_commands[command].help, stdout);
    return EXIT_SUCCESS;
  }
  command = tool_find_command (argv[1]);
  if (command < 0)
    return tool_usage_error (NULL, "unknown command '%s'", argv[1]);

  status = tool_parse_args ((tool_command) command, argc - 2, argv + 2, &args);
  if (status < 0)
    status = handlers[command] (&args);
  tool_args_clear (&args);
  return status;
}
