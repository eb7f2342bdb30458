/* bench-cam.c — what a class activation map costs next to the inference it explains.
 *
 *     bench-cam MODEL.onnx [ITERATIONS]
 *
 * Times cnn_model_run and then cnn_model_cam of the top class, alternately in one run, on
 * a deterministic input, and prints the medians and their ratio. Not a test: timings
 * never gate CI.
 */
#include "../bench-timing.h"

#include <cnn/cnn.h>

#include <stdio.h>
#include <stdlib.h>

int
main (int argc, char **argv)
{
  int iterations = argc > 2 ? atoi (argv[2]) : 200, h, w, best = 0;
  cnn_model *model;
  cnn_tensor_info in, out;
  cnn_error err;
  uint64_t n_in = 1, n_out = 1;

  if (argc < 2 || iterations < 1) {
    fprintf (stderr, "usage: bench-cam MODEL.onnx [ITERATIONS]\n");
    return 2;
  }
  if (cnn_model_load_file (argv[1], NULL, &model, &err) != CNN_STATUS_OK
      || cnn_model_prepare (model, &err) != CNN_STATUS_OK
      || cnn_model_cam_info (model, &h, &w, &err) != CNN_STATUS_OK) {
    fprintf (stderr, "%s\n", err.message);
    return 1;
  }
  cnn_model_input_info (model, 0, &in);
  cnn_model_output_info (model, 0, &out);
  for (int d = 0; d < in.rank; d++)
    n_in *= (uint64_t) in.dims[d];
  for (int d = 0; d < out.rank; d++)
    n_out *= (uint64_t) out.dims[d];
  float *x = malloc (sizeof (float) * n_in), *y = malloc (sizeof (float) * n_out);
  float *map = malloc (sizeof (float) * (size_t) h * w);
  double *t_run = malloc (sizeof (double) * iterations);
  double *t_cam = malloc (sizeof (double) * iterations);
  for (uint64_t i = 0; i < n_in; i++)
    x[i] = (float) ((i * 2654435761u) % 1000) / 500.0f - 1.0f;

  for (int it = -10; it < iterations; it++) {
    double t0 = bench_now_ms (), t1, t2;

    cnn_model_run (model, (const void *[]) { x }, (void *[]) { y }, &err);
    t1 = bench_now_ms ();
    for (uint64_t c = 1; c < n_out; c++)
      if (y[c] > y[best])
        best = (int) c;
    cnn_model_cam (model, best, map, &err);
    t2 = bench_now_ms ();
    if (it >= 0) {
      t_run[it] = t1 - t0;
      t_cam[it] = t2 - t1;
    }
  }
  qsort (t_run, (size_t) iterations, sizeof (double), bench_by_value);
  qsort (t_cam, (size_t) iterations, sizeof (double), bench_by_value);
  printf ("%s: run median %.4f ms, map (%dx%d, class %d) median %.4f ms = %.2f%% of the "
      "run; arena %llu KiB\n", argv[1], t_run[iterations / 2], h, w, best,
      t_cam[iterations / 2], 100.0 * t_cam[iterations / 2] / t_run[iterations / 2],
      (unsigned long long) (cnn_model_arena_bytes (model) >> 10));
  free (x);
  free (y);
  free (map);
  free (t_run);
  free (t_cam);
  cnn_model_destroy (model);
  return 0;
}
