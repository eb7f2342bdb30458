/* args.c — the cnn tool's command-line options: parsing and checking them. */
#include "args.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

/* An integer option from min to max into *value. Returns -1 when it is one, else the usage
 * error's exit status. */
static int
tool_parse_int (const char *command, const char *option, const char *text, long min, long max,
    int *value)
{
  char *end;
  long v;

  v = strtol (text, &end, 10);
  if (!*text || *end || v < min || v > max)
    return tool_usage_error (command, "invalid value '%s' for %s "
        "(expected an integer from %ld to %ld)", text, option, min, max);
  *value = (int) v;
  return -1;
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

int
tool_parse_args (const tool_command *command, int argc, char **argv, tool_args *args)
{
  static const struct {
    unsigned flag;
    const char *long_name, *short_name;
  } valued[] = {
    { TOOL_OPT_SHAPE, "--shape", NULL },
    { TOOL_OPT_THREADS, "--threads", NULL },
    { TOOL_OPT_PRECISION, "--precision", NULL },
    { TOOL_OPT_INPUT, "--input", "-i" },
    { TOOL_OPT_OUTPUT, "--output", "-o" },
    { TOOL_OPT_ITERATIONS, "--iterations", NULL },
    { TOOL_OPT_WARMUP, "--warmup", NULL },
  };
  const char *name = command->name;
  unsigned allowed = command->options;
  bool options_done = false;

  memset (args, 0, sizeof *args);
  args->threads = 1;            /* as the core: one thread unless asked for more */
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
    int status = -1;

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
      fputs (command->help, stdout);
      return EXIT_SUCCESS;
    }
    if ((allowed & TOOL_OPT_JSON) && strcmp (arg, "--json") == 0) {
      args->json = true;
      continue;
    }
    if ((allowed & TOOL_OPT_PROFILE) && strcmp (arg, "--profile") == 0) {
      args->profile = true;
      continue;
    }
    if ((allowed & TOOL_OPT_CAM) && strcmp (arg, "--cam") == 0) {
      if (i + 2 >= argc)
        return tool_usage_error (name, "option --cam needs a class and a file");
      status = tool_parse_int (name, "--cam", argv[i + 1], 0, 1000000, &args->cam_class);
      if (status >= 0)
        return status;
      args->cam_output = argv[i + 2];
      i += 2;
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
      case TOOL_OPT_SHAPE:
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
      case TOOL_OPT_THREADS:
        status = tool_parse_int (name, "--threads", value, 0, CNN_MAX_THREADS, &args->threads);
        break;
      case TOOL_OPT_PRECISION:
        if (strcmp (value, "fp32") == 0)
          args->precision = CNN_PRECISION_FP32;
        else if (strcmp (value, "bf16") == 0)
          args->precision = CNN_PRECISION_BF16;
        else
          return tool_usage_error (name, "invalid value '%s' for --precision (fp32 or bf16)",
              value);
        break;
      case TOOL_OPT_INPUT:
        args->inputs[args->n_inputs++] = value;
        break;
      case TOOL_OPT_OUTPUT:
        args->outputs[args->n_outputs++] = value;
        break;
      case TOOL_OPT_ITERATIONS:
        status = tool_parse_int (name, "--iterations", value, 1, 10000000, &args->iterations);
        break;
      case TOOL_OPT_WARMUP:
        status = tool_parse_int (name, "--warmup", value, 0, 10000000, &args->warmup);
        break;
      default:
        return tool_usage_error (name, "unknown option '%s' for '%s'", arg, name);
    }
    if (status >= 0)
      return status;
  }
  if (!args->model)
    return tool_usage_error (name, "missing MODEL.onnx");
  /* A command that writes outputs (run) needs somewhere to write them. */
  if ((allowed & TOOL_OPT_OUTPUT) && args->n_outputs == 0)
    return tool_usage_error (name, "missing -o OUT.npy");
  return -1;
}

void
tool_args_clear (tool_args *args)
{
  free (args->inputs);
  free (args->outputs);
  free (args->shapes);
}
