/* bench.c — `cnn bench`: time inference on deterministic inputs, optionally per layer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "args.h"
#include "format.h"
#include "model.h"

static double
bench_now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec * 1e-6;
}

static int
bench_compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

typedef struct bench_op_total {
  const char *op;
  double ms;
  int count;
} bench_op_total;

static int
bench_compare_op_total (const void *a, const void *b)
{
  const bench_op_total *x = a, *y = b;

  return (x->ms < y->ms) - (x->ms > y->ms);
}

static void
bench_print_profile (const tool_args *args, cnn_model *model)
{
  size_t n_layers = cnn_model_layer_count (model);
  bench_op_total *totals = calloc (n_layers + 1, sizeof *totals);
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

  qsort (totals, n_totals, sizeof *totals, bench_compare_op_total);
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
bench_print_profile_json (const tool_args *args, cnn_model *model)
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

/* sin(i) in every float input; other inputs stay zero. */
static void
bench_fill_inputs (const cnn_model *model, void **inputs)
{
  for (size_t i = 0; inputs[i]; i++) {
    cnn_tensor_info info;

    if (cnn_model_input_info (model, i, &info) == CNN_STATUS_OK
        && info.dtype == CNN_DTYPE_FLOAT32) {
      float *f = inputs[i];
      size_t n = tool_tensor_bytes (&info) / sizeof (float);

      for (size_t k = 0; k < n; k++)
        f[k] = (float) sin ((double) k);
    }
  }
}

static int
bench_main (const tool_args *args)
{
  cnn_model *model = NULL;
  void **inputs = NULL, **outputs = NULL;
  double *times = NULL;
  struct rusage usage;
  double median, min;
  int threads;
  cnn_error err;
  int status;

  status = tool_model_open (args, NULL, NULL, &model);
  if (status != EXIT_SUCCESS)
    goto done;
  status = tool_buffers_alloc (args, model, false, &inputs);
  if (status != EXIT_SUCCESS)
    goto done;
  status = tool_buffers_alloc (args, model, true, &outputs);
  if (status != EXIT_SUCCESS)
    goto done;
  times = calloc ((size_t) args->iterations, sizeof *times);
  if (!times) {
    status = tool_fail ("out of memory");
    goto done;
  }
  bench_fill_inputs (model, inputs);

  /* Warm-up runs first, untimed and unprofiled. */
  for (int k = 0; k < args->warmup + args->iterations; k++) {
    double t0;

    if (k == args->warmup && args->profile)
      cnn_model_set_profiling (model, true);
    t0 = bench_now_ms ();
    if (cnn_model_run (model, (const void *const *) inputs, outputs, &err) != CNN_STATUS_OK) {
      status = tool_fail ("%s", err.message);
      goto done;
    }
    if (k >= args->warmup)
      times[k - args->warmup] = bench_now_ms () - t0;
  }
  qsort (times, (size_t) args->iterations, sizeof *times, bench_compare_double);
  min = times[0];
  median = args->iterations % 2 ? times[args->iterations / 2]
      : 0.5 * (times[args->iterations / 2 - 1] + times[args->iterations / 2]);
  getrusage (RUSAGE_SELF, &usage);
  /* What run used: the core's count, not what was asked for (0 is one per online CPU). */
  threads = cnn_model_threads (model);

  if (args->json) {
    printf ("{\"model\":");
    tool_json_string (stdout, args->model);
    printf (",\"threads\":%d,\"iterations\":%d,\"median_ms\":%.4f,\"min_ms\":%.4f,"
        "\"peak_rss_kb\":%ld,\"cpu\":", threads, args->iterations, median, min,
        usage.ru_maxrss);
    tool_json_string (stdout, cnn_cpu_description ());
    printf (",\"openblas_core\":");
    tool_json_string (stdout, cnn_blas_core ());
    printf (",\"precision\":\"%s\"", cnn_precision_name (cnn_model_precision (model)));
    if (args->profile)
      bench_print_profile_json (args, model);
    printf ("}\n");
  } else {
    printf ("model: %s\n", args->model);
    printf ("cpu: %s\n", cnn_cpu_description ());
    printf ("openblas core: %s\n", cnn_blas_core ());
    printf ("threads: %d, precision: %s, iterations: %d, warmup: %d\n", threads,
        cnn_precision_name (cnn_model_precision (model)), args->iterations, args->warmup);
    printf ("median: %.3f ms, min: %.3f ms\n", median, min);
    printf ("peak RSS: %ld KB\n", usage.ru_maxrss);
    if (args->profile)
      bench_print_profile (args, model);
  }
  status = tool_flush_stdout ();

done:
  tool_buffers_free (inputs);
  tool_buffers_free (outputs);
  free (times);
  cnn_model_destroy (model);
  return status;
}

const tool_command tool_bench_command = {
  "bench", TOOL_OPT_SHAPE | TOOL_OPT_JSON | TOOL_OPT_THREADS | TOOL_OPT_PRECISION
      | TOOL_OPT_ITERATIONS
      | TOOL_OPT_WARMUP | TOOL_OPT_PROFILE,
  "time inference on deterministic inputs",
  "Usage: cnn bench MODEL.onnx [--threads N] [--precision P] [--iterations K] [--warmup W]\n"
  "                 [--shape NAME=D0,D1,...]... [--json] [--profile]\n"
  "\n"
  "Runs MODEL W times untimed, then K times timed on a deterministic input (sin(i)), and\n"
  "prints the threads it ran with, the median and minimum time per run and the peak\n"
  "resident memory.\n"
  "\n"
  TOOL_HELP_THREADS
  TOOL_HELP_PRECISION
  "  --iterations K     timed runs (default 50)\n"
  "  --warmup W         untimed runs first (default 5)\n"
  "  --shape NAME=DIMS  fix the shape of input NAME; a dynamic batch dimension defaults to 1\n"
  "  --json             print one line of JSON\n"
  "  --profile          also print the time of each layer and of each op type\n",
  bench_main,
};
