/* cnn.c — the `cnn` command-line tool: main, the list of commands, and the general usage.
 *
 * Inspect, run and benchmark ONNX models with the public API in cnn/cnn.h only. Exit status:
 * 0 success, 1 error (the library's message on stderr after "cnn: "), 2 usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cnn/cnn.h>

#include "args.h"
#include "format.h"

static const tool_command *const tool_commands[] = {
  &tool_inspect_command,
  &tool_run_command,
  &tool_bench_command,
};

#define TOOL_N_COMMANDS (sizeof tool_commands / sizeof tool_commands[0])

static void
tool_print_usage (FILE *out)
{
  fputs ("Usage: cnn COMMAND MODEL.onnx [OPTION]...\n"
      "\n"
      "Inspect, run and benchmark ONNX image classifiers with the gst-cnn core.\n"
      "\n"
      "Commands:\n", out);
  for (size_t c = 0; c < TOOL_N_COMMANDS; c++)
    fprintf (out, "  %-9s %s\n", tool_commands[c]->name, tool_commands[c]->summary);
  fputs ("  ops       list the ONNX op types the library runs\n"
      "  help CMD  show the options of CMD\n"
      "\n"
      "Exit status: 0 on success, 1 on error, 2 on a usage error.\n", out);
}

static const tool_command *
tool_find_command (const char *name)
{
  for (size_t c = 0; c < TOOL_N_COMMANDS; c++)
    if (strcmp (tool_commands[c]->name, name) == 0)
      return tool_commands[c];
  return NULL;
}

int
main (int argc, char **argv)
{
  const tool_command *command;
  tool_args args;
  int status;

  if (argc < 2) {
    tool_print_usage (stderr);
    return EXIT_USAGE;
  }
  if (strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0) {
    tool_print_usage (stdout);
    return EXIT_SUCCESS;
  }
  if (strcmp (argv[1], "ops") == 0) {
    if (argc > 2)
      return tool_usage_error (NULL, "'ops' takes no arguments");
    for (size_t i = 0; cnn_op_name (i) != NULL; i++)
      puts (cnn_op_name (i));
    return EXIT_SUCCESS;
  }
  if (strcmp (argv[1], "help") == 0) {
    if (argc == 2) {
      tool_print_usage (stdout);
      return EXIT_SUCCESS;
    }
    command = tool_find_command (argv[2]);
    if (!command || argc > 3)
      return tool_usage_error (NULL, "no command '%s'", argc > 3 ? argv[3] : argv[2]);
    fputs (command->help, stdout);
    return EXIT_SUCCESS;
  }
  command = tool_find_command (argv[1]);
  if (!command)
    return tool_usage_error (NULL, "unknown command '%s'", argv[1]);

  status = tool_parse_args (command, argc - 2, argv + 2, &args);
  if (status < 0)
    status = command->main (&args);
  tool_args_clear (&args);
  return status;
}
