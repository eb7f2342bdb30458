/* args.h — the cnn tool's commands and their command-line options. */
#ifndef CNN_TOOL_ARGS_H
#define CNN_TOOL_ARGS_H

#include <cnn/cnn.h>

/* Options a command accepts (tool_command.options). */
enum {
  TOOL_OPT_SHAPE = 1 << 0,
  TOOL_OPT_JSON = 1 << 1,
  TOOL_OPT_THREADS = 1 << 2,
  TOOL_OPT_INPUT = 1 << 3,
  TOOL_OPT_OUTPUT = 1 << 4,
  TOOL_OPT_ITERATIONS = 1 << 5,
  TOOL_OPT_WARMUP = 1 << 6,
  TOOL_OPT_PROFILE = 1 << 7,
  TOOL_OPT_PRECISION = 1 << 8,
  TOOL_OPT_CAM = 1 << 9,
};

/* --shape NAME=D0,D1,... */
typedef struct tool_shape {
  const char *name;             /* points into argv */
  size_t name_len;
  int rank;
  int64_t dims[CNN_MAX_RANK];
} tool_shape;

/* The --threads line of every command's help; tool_parse_args sets the default. */
#define TOOL_HELP_THREADS \
  "  --threads N        worker threads (default 1; 0 = one per CPU)\n"
/* --precision: fp32 or bf16 convolutions (cnn_options.precision). */
#define TOOL_HELP_PRECISION \
  "  --precision P      fp32 (default) or bf16: convolutions in bfloat16 with fp32 sums on\n" \
  "                     AVX512_BF16 CPUs (a warning and fp32 elsewhere)\n"

typedef struct tool_args {
  const char *model;
  int threads;                  /* 1 unless --threads is given; 0 = one per online CPU */
  cnn_precision precision;      /* --precision, default fp32 */
  const char **inputs;          /* -i, in order */
  int n_inputs;
  const char **outputs;         /* -o, in order */
  int n_outputs;
  tool_shape *shapes;
  int n_shapes;
  int iterations;
  int warmup;
  bool json;
  bool profile;
  int cam_class;                /* --cam CLASS FILE: the class activation map to write */
  const char *cam_output;       /* NULL unless --cam is given */
} tool_args;

/* One command: what `cnn --help` lists, what `cnn help NAME` prints, and what runs it. */
typedef struct tool_command {
  const char *name;
  unsigned options;             /* TOOL_OPT_* it accepts */
  const char *summary;          /* one line */
  const char *help;
  int (*main) (const tool_args *args);  /* returns the exit status */
} tool_command;

/* The commands, one file each. */
extern const tool_command tool_inspect_command;       /* inspect.c */
extern const tool_command tool_run_command;           /* run.c */
extern const tool_command tool_bench_command;         /* bench.c */

/* Parses the arguments after the command name into args (cleared with tool_args_clear, also
 * after a failure). Returns -1 to go on, else the exit status: help was printed, or a usage
 * error. */
int tool_parse_args (const tool_command *command, int argc, char **argv, tool_args *args);
void tool_args_clear (tool_args *args);

#endif /* CNN_TOOL_ARGS_H */
