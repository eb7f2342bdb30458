/* ab-layers.c — two builds of libcnn-core side by side in one process, layer by layer.
 *
 *     ab-layers LIB_A.so LIB_B.so MODEL.onnx [THREADS [RUNS [PRECISION]]]
 *
 * Loads each library into its own link namespace (dlmopen), prepares the model in both and
 * runs them alternately (A B B A ...) on one deterministic input. Prints each layer's minimum
 * time in both and their ratio, the sums of those minimums, and the median of the paired
 * whole-run ratios B / A.
 *
 * Why: on a shared VM, whole-network medians of two binaries run one after the other moved by
 * 10-50% within minutes (ONNX Runtime's own ResNet-50 40-387 ms in one helper's session), while
 * alternating in one process and keeping per-layer minimums came within 2% for two copies of
 * the same code. Not a test: timings never gate CI.
 *
 * Layers are matched by name: a layer one build fused away (a Mul folded into a conv) shows
 * "-" on that side, and the sums are over each build's own layers.
 *
 * With more than one thread, each library's idle workers yield the CPU for up to 2 ms before
 * they sleep, so right after one library ran, its workers took cores from the other's: at 2
 * threads MobileNetV2's 14x14 depthwise layers came out 2-3x slower than at 1 thread. So each
 * turn first waits out that window and makes one unrecorded run to wake its own workers.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "../bench-timing.h"

#include <cnn/cnn.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Longer than a library's idle workers yield before sleeping (threadpool.c: 2 ms). */
#define WORKERS_ASLEEP_NS 3000000L

/* The part of the API this tool calls, resolved in one library's namespace. */
typedef struct {
  const char *path;
  void *handle;
  cnn_options (*options_default) (void);
  cnn_status (*load_file) (const char *, const cnn_options *, cnn_model **, cnn_error *);
  cnn_status (*prepare) (cnn_model *, cnn_error *);
  cnn_status (*input_info) (const cnn_model *, size_t, cnn_tensor_info *);
  cnn_status (*output_info) (const cnn_model *, size_t, cnn_tensor_info *);
  cnn_status (*run) (cnn_model *, const void *const *, void *const *, cnn_error *);
  size_t (*layer_count) (const cnn_model *);
  cnn_status (*layer_info) (const cnn_model *, size_t, cnn_layer_info *);
  void (*set_profiling) (cnn_model *, bool);
  void (*destroy) (cnn_model *);
  cnn_model *model;
  float *input, *output;
  double *best;                 /* per layer, ms */
  double *runs;                 /* whole runs, ms */
} engine;

static uint64_t
elements (const cnn_tensor_info *t)
{
  uint64_t n = 1;

  for (int d = 0; d < t->rank; d++)
    n *= (uint64_t) (t->dims[d] > 0 ? t->dims[d] : 1);
  return n;
}

#define RESOLVE(e, handle, field, symbol)                                  \
  (((*(void **) &(e)->field) = dlsym (handle, symbol)) != NULL            \
      || (fprintf (stderr, "%s: no symbol %s\n", (e)->path, symbol), 0))

/* Opens the library, loads and prepares the model; false with a message on stderr. */
static bool
engine_open (engine *e, const char *path, const char *model, int threads, const char *precision,
    int runs)
{
  void *handle = dlmopen (LM_ID_NEWLM, path, RTLD_NOW | RTLD_LOCAL);
  cnn_error err;

  e->path = path;
  e->handle = handle;
  if (handle == NULL) {
    fprintf (stderr, "%s\n", dlerror ());
    return false;
  }
  if (!RESOLVE (e, handle, options_default, "cnn_options_default")
      || !RESOLVE (e, handle, load_file, "cnn_model_load_file")
      || !RESOLVE (e, handle, prepare, "cnn_model_prepare")
      || !RESOLVE (e, handle, input_info, "cnn_model_input_info")
      || !RESOLVE (e, handle, output_info, "cnn_model_output_info")
      || !RESOLVE (e, handle, run, "cnn_model_run")
      || !RESOLVE (e, handle, layer_count, "cnn_model_layer_count")
      || !RESOLVE (e, handle, layer_info, "cnn_model_layer_info")
      || !RESOLVE (e, handle, set_profiling, "cnn_model_set_profiling")
      || !RESOLVE (e, handle, destroy, "cnn_model_destroy"))
    return false;

  cnn_options options = e->options_default ();
  options.threads = threads;
  options.precision = strcmp (precision, "bf16") == 0 ? CNN_PRECISION_BF16 : CNN_PRECISION_FP32;
  cnn_tensor_info in, out;
  if (e->load_file (model, &options, &e->model, &err) != CNN_STATUS_OK
      || e->prepare (e->model, &err) != CNN_STATUS_OK
      || e->input_info (e->model, 0, &in) != CNN_STATUS_OK
      || e->output_info (e->model, 0, &out) != CNN_STATUS_OK) {
    fprintf (stderr, "%s: %s\n", path, err.message);
    return false;
  }
  uint64_t n_in = elements (&in);
  e->input = malloc (sizeof (float) * n_in);
  e->output = malloc (sizeof (float) * elements (&out));
  e->best = malloc (sizeof (double) * e->layer_count (e->model));
  e->runs = malloc (sizeof (double) * (size_t) runs);
  if (e->input == NULL || e->output == NULL || e->best == NULL || e->runs == NULL) {
    fprintf (stderr, "out of memory\n");
    return false;
  }
  /* The same input in both: a fixed pattern in [0, 1). */
  for (uint64_t i = 0; i < n_in; i++)
    e->input[i] = (float) (i * 37 % 101) / 101.0f;
  for (size_t l = 0; l < e->layer_count (e->model); l++)
    e->best[l] = 1e30;
  e->set_profiling (e->model, true);
  return true;
}

static void
engine_close (engine *e)
{
  if (e->model != NULL)
    e->destroy (e->model);
  free (e->input);
  free (e->output);
  free (e->best);
  free (e->runs);
  if (e->handle != NULL)
    dlclose (e->handle);
}

/* One run; returns its time and keeps each layer's minimum. */
static double
engine_run (engine *e)
{
  const void *inputs[1] = { e->input };
  void *outputs[1] = { e->output };
  cnn_error err;
  cnn_layer_info info;

  e->set_profiling (e->model, true);        /* resets the layers' counters */
  double start = bench_now_ms ();
  e->run (e->model, inputs, outputs, &err);
  double ms = bench_now_ms () - start;
  for (size_t l = 0; l < e->layer_count (e->model); l++)
    if (e->layer_info (e->model, l, &info) == CNN_STATUS_OK && info.time_ms < e->best[l])
      e->best[l] = info.time_ms;
  return ms;
}

/* One recorded run, with the other library's workers asleep and this one's awake. */
static double
engine_turn (engine *e, int threads)
{
  if (threads > 1) {
    struct timespec pause = { 0, WORKERS_ASLEEP_NS };
    nanosleep (&pause, NULL);
    engine_run (e);
  }
  return engine_run (e);
}

int
main (int argc, char **argv)
{
  engine a = { 0 }, b = { 0 };

  if (argc < 4) {
    fprintf (stderr, "usage: %s LIB_A.so LIB_B.so MODEL.onnx [THREADS [RUNS [fp32|bf16]]]\n",
        argv[0]);
    return 2;
  }
  int threads = argc > 4 ? atoi (argv[4]) : 1, runs = argc > 5 ? atoi (argv[5]) : 100;
  const char *precision = argc > 6 ? argv[6] : "fp32";
  if (runs < 1)
    runs = 1;
  if (!engine_open (&a, argv[1], argv[3], threads, precision, runs)
      || !engine_open (&b, argv[2], argv[3], threads, precision, runs)) {
    engine_close (&a);
    engine_close (&b);
    return 1;
  }
  size_t layers = a.layer_count (a.model), layers_b = b.layer_count (b.model);
  /* For each of A's layers, B's layer of that name (-1: none); B's unmatched ones follow. */
  long *match = malloc (sizeof (long) * (layers + 1));
  bool *matched_b = calloc (layers_b + 1, sizeof (bool));
  if (match == NULL || matched_b == NULL)
    return 1;
  for (size_t l = 0; l < layers; l++) {
    cnn_layer_info ia, ib;
    match[l] = -1;
    a.layer_info (a.model, l, &ia);
    for (size_t j = 0; j < layers_b && match[l] < 0; j++)
      if (!matched_b[j] && b.layer_info (b.model, j, &ib) == CNN_STATUS_OK
          && strcmp (ia.name, ib.name) == 0) {
        match[l] = (long) j;
        matched_b[j] = true;
      }
  }

  for (int i = 0; i < 5; i++) {      /* warm-up: first-touch, thread start */
    engine_run (&a);
    engine_run (&b);
  }
  for (size_t l = 0; l < layers; l++)
    a.best[l] = 1e30;
  for (size_t l = 0; l < layers_b; l++)
    b.best[l] = 1e30;
  /* A B B A ...: neither library always runs right after the other. */
  double *ratios = malloc (sizeof (double) * (size_t) runs);
  if (ratios == NULL)
    return 1;
  for (int i = 0; i < runs; i++) {
    engine *first = i % 2 == 0 ? &a : &b, *second = i % 2 == 0 ? &b : &a;
    first->runs[i] = engine_turn (first, threads);
    second->runs[i] = engine_turn (second, threads);
    ratios[i] = b.runs[i] / a.runs[i];
  }

  printf ("model: %s, threads: %d, precision: %s, runs: %d each, alternated\n"
      "A: %s\nB: %s\n\n| # | layer | op | A ms | B ms | B/A |\n|---|---|---|---|---|---|\n",
      argv[3], threads, precision, runs, argv[1], argv[2]);
  double sum_a = 0.0, sum_b = 0.0;
  for (size_t l = 0; l < layers; l++) {
    cnn_layer_info info, info_b;
    a.layer_info (a.model, l, &info);
    sum_a += a.best[l];
    if (match[l] < 0) {
      printf ("| %zu | %s | %s | %.3f | - | - |\n", l, info.name, info.op, a.best[l]);
      continue;
    }
    b.layer_info (b.model, (size_t) match[l], &info_b);
    double tb = b.best[match[l]];
    printf ("| %zu | %s | %s%s%s | %.3f | %.3f | %.2f |\n", l, info.name, info.op,
        strcmp (info.op, info_b.op) != 0 ? " / " : "",
        strcmp (info.op, info_b.op) != 0 ? info_b.op : "", a.best[l], tb, tb / a.best[l]);
    sum_b += tb;
  }
  for (size_t j = 0; j < layers_b; j++) {
    cnn_layer_info info;
    if (matched_b[j])
      continue;
    b.layer_info (b.model, j, &info);
    printf ("| - | %s | %s | - | %.3f | - |\n", info.name, info.op, b.best[j]);
    sum_b += b.best[j];
  }
  free (match);
  free (matched_b);
  qsort (a.runs, (size_t) runs, sizeof (double), bench_by_value);
  qsort (b.runs, (size_t) runs, sizeof (double), bench_by_value);
  qsort (ratios, (size_t) runs, sizeof (double), bench_by_value);
  printf ("\nsum of layer minimums: A %.3f ms, B %.3f ms, B/A %.3f\n"
      "whole run: median A %.3f ms, B %.3f ms; median of paired ratios B/A %.3f\n", sum_a,
      sum_b, sum_b / sum_a, a.runs[runs / 2], b.runs[runs / 2], ratios[runs / 2]);
  free (ratios);
  engine_close (&a);
  engine_close (&b);
  return 0;
}
