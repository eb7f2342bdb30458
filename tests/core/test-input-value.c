/* test-input-value.c — cnn_model_set_input_value: an input that decides shapes (here
 * Reshape's `shape`, a graph input as in the ONNX backend tests) given before prepare.
 *
 *     test-input-value PATH/TO/node/test_reshape_reordered_all_dims/model.onnx
 *
 * Without the value prepare must refuse, naming the node; with it the output takes the shape
 * the value says, run works with a NULL buffer for that input, and the data is the input's in
 * the new shape. A new value re-prepares to a new shape; setting the input's shape forgets the
 * value; a value of the wrong type or shape is refused.
 */
#include "cnn/cnn.h"

#include <stdio.h>
#include <string.h>

#include "check.h"

/* Prepares, runs on data 0..23 and checks the output's shape (want) and values. */
static void
check_run (cnn_model *m, int rank, const int64_t *want)
{
  cnn_error err = { "" };
  float x[24], y[24] = { 0 };
  const void *inputs[2] = { x, NULL };
  void *outputs[1] = { y };
  cnn_tensor_info info;

  for (int i = 0; i < 24; i++)
    x[i] = (float) i;
  if (cnn_model_prepare (m, &err) != CNN_STATUS_OK) {
    CHECK (false, "prepare: %s", err.message);
    return;
  }
  cnn_model_output_info (m, 0, &info);
  CHECK (info.rank == rank && memcmp (info.dims, want, sizeof (int64_t) * (size_t) rank) == 0,
      "output rank %d dims [%lld, %lld, ...]", info.rank, (long long) info.dims[0],
      (long long) info.dims[1]);
  if (cnn_model_run (m, inputs, outputs, &err) != CNN_STATUS_OK) {
    CHECK (false, "run: %s", err.message);
    return;
  }
  for (int i = 0; i < 24; i++)
    CHECK (y[i] == (float) i, "y[%d] = %g", i, y[i]);
}

int
main (int argc, char **argv)
{
  cnn_model *m = NULL;
  cnn_error err = { "" };
  const int64_t shape_dims[1] = { 3 };

  if (argc != 2) {
    fprintf (stderr, "usage: test-input-value RESHAPE_MODEL\n");
    return 2;
  }
  if (cnn_model_load_file (argv[1], NULL, &m, &err) != CNN_STATUS_OK) {
    printf ("FAIL: %s\n", err.message);
    return 1;
  }

  /* No value: the shape is unknown at prepare. */
  cnn_status status = cnn_model_prepare (m, &err);
  CHECK (status != CNN_STATUS_OK && strstr (err.message, "Reshape") != NULL,
      "prepare without the value: %s %s", cnn_status_string (status), err.message);

  /* The value: [4, 2, 3]. */
  const int64_t v1[3] = { 4, 2, 3 };
  status = cnn_model_set_input_value (m, 1, CNN_DTYPE_INT64, 1, shape_dims, v1, &err);
  CHECK (status == CNN_STATUS_OK, "set_input_value: %s", err.message);
  check_run (m, 3, v1);

  /* Another value re-prepares: [6, 4] via -1. */
  const int64_t v2[3] = { 6, -1, 1 }, want2[3] = { 6, 4, 1 };
  status = cnn_model_set_input_value (m, 1, CNN_DTYPE_INT64, 1, shape_dims, v2, &err);
  CHECK (status == CNN_STATUS_OK, "second value: %s", err.message);
  check_run (m, 3, want2);

  /* Wrong type, wrong shape. */
  const int32_t v32[3] = { 4, 2, 3 };
  status = cnn_model_set_input_value (m, 1, CNN_DTYPE_INT32, 1, shape_dims, v32, &err);
  CHECK (status == CNN_STATUS_INVALID_ARGUMENT && strstr (err.message, "'shape'") != NULL,
      "int32 value: %s %s", cnn_status_string (status), err.message);
  const int64_t two[1] = { 2 };
  status = cnn_model_set_input_value (m, 1, CNN_DTYPE_INT64, 1, two, v1, &err);
  CHECK (status == CNN_STATUS_SHAPE_MISMATCH, "value of 2 elements for [3]: %s %s",
      cnn_status_string (status), err.message);
  status = cnn_model_set_input_value (m, 5, CNN_DTYPE_INT64, 1, shape_dims, v1, &err);
  CHECK (status == CNN_STATUS_INVALID_ARGUMENT, "input 5: %s", cnn_status_string (status));

  /* Setting the shape forgets the value. */
  status = cnn_model_set_input_shape (m, 1, 1, shape_dims, &err);
  CHECK (status == CNN_STATUS_OK, "set_input_shape: %s", err.message);
  status = cnn_model_prepare (m, &err);
  CHECK (status != CNN_STATUS_OK, "prepare after set_input_shape still has a value");

  cnn_model_destroy (m);
  printf ("%s\n", failures == 0 ? "PASS" : "FAIL");
  return failures != 0;
}
