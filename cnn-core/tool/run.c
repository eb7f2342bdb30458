/* run.c — `cnn run`: one inference on .npy inputs, outputs written as .npy files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "format.h"
#include "model.h"
#include "npy.h"
#include "png.h"

/* The -i files, read between load and prepare because they give the input shapes. */
typedef struct run_inputs {
  cnn_npy *npys;
  const void **data;            /* npys[i].data, as cnn_model_run takes it */
  size_t count;
} run_inputs;

/* tool_shapes_func: reads the -i files and fixes each input's shape from its file. */
static int
run_read_inputs (const tool_args *args, cnn_model *model, void *data)
{
  run_inputs *in = data;
  size_t n_in = cnn_model_input_count (model);
  size_t n_out = cnn_model_output_count (model);
  cnn_status status;
  cnn_error err;

  if ((size_t) args->n_inputs != n_in)
    return tool_fail ("%s: the model has %zu input%s but %d -i file%s given", args->model,
        n_in, n_in == 1 ? "" : "s", args->n_inputs, args->n_inputs == 1 ? " was" : "s were");
  if ((size_t) args->n_outputs > n_out)
    return tool_fail ("%s: the model has %zu output%s but %d -o files were given",
        args->model, n_out, n_out == 1 ? "" : "s", args->n_outputs);
  in->npys = calloc (n_in + 1, sizeof *in->npys);
  in->data = calloc (n_in + 1, sizeof *in->data);
  if (!in->npys || !in->data)
    return tool_fail ("out of memory");
  in->count = n_in;

  for (size_t i = 0; i < n_in; i++) {
    cnn_npy *npy = &in->npys[i];
    cnn_tensor_info info;

    if (cnn_npy_read (args->inputs[i], npy, &err) != CNN_STATUS_OK)
      return tool_fail ("%s", err.message);
    if (cnn_model_input_info (model, i, &info) != CNN_STATUS_OK)
      return tool_fail ("%s: cannot query input %zu", args->model, i);
    if (npy->dtype != info.dtype)
      return tool_fail ("%s: dtype %s does not match input '%s' of %s, which is %s",
          args->inputs[i], cnn_dtype_string (npy->dtype), info.name, args->model,
          cnn_dtype_string (info.dtype));
    /* Integer inputs are shapes, axes, sizes: given as values, prepare folds what they
     * decide. */
    if (npy->dtype == CNN_DTYPE_INT64 || npy->dtype == CNN_DTYPE_INT32)
      status = cnn_model_set_input_value (model, i, npy->dtype, npy->rank, npy->dims, npy->data,
          &err);
    else
      status = cnn_model_set_input_shape (model, i, npy->rank, npy->dims, &err);
    if (status != CNN_STATUS_OK)
      return tool_fail ("%s: %s", args->inputs[i], err.message);
    in->data[i] = npy->data;
  }
  return EXIT_SUCCESS;
}

/* --cam CLASS FILE: the class's activation map after the run, as a [H, W] float32 .npy,
 * or, for FILE.png, drawn over input 0. */
static int
write_cam (const tool_args *args, const cnn_model *model, const run_inputs *in)
{
  size_t len = strlen (args->cam_output);
  bool png = len > 4 && strcmp (args->cam_output + len - 4, ".png") == 0;
  cnn_error err;
  int height, width, status = EXIT_SUCCESS;
  float *map;

  if (cnn_model_cam_info (model, &height, &width, &err) != CNN_STATUS_OK)
    return tool_fail ("%s", err.message);
  map = malloc (sizeof (float) * (size_t) height * (size_t) width + 1);
  if (map == NULL)
    return tool_fail ("out of memory");
  int64_t dims[2] = { height, width };
  const cnn_npy *image = &in->npys[0];
  if (cnn_model_cam (model, args->cam_class, map, &err) != CNN_STATUS_OK)
    status = tool_fail ("%s", err.message);
  else if (png && (image->dtype != CNN_DTYPE_FLOAT32 || image->rank != 4
          || image->dims[0] != 1))
    status = tool_fail ("%s: a picture needs input 0 to be one float32 [1, C, H, W] image",
        args->cam_output);
  else if (png && cnn_png_write_cam (args->cam_output, image->data, (int) image->dims[1],
          (int) image->dims[2], (int) image->dims[3], map, height, width, &err)
      != CNN_STATUS_OK)
    status = tool_fail ("%s", err.message);
  else if (!png && cnn_npy_write (args->cam_output, CNN_DTYPE_FLOAT32, 2, dims, map, &err)
      != CNN_STATUS_OK)
    status = tool_fail ("%s", err.message);
  free (map);
  return status;
}

static int
run_main (const tool_args *args)
{
  run_inputs in = { 0 };
  cnn_model *model = NULL;
  void **outputs = NULL;
  cnn_error err;
  int status;

  status = tool_model_open (args, run_read_inputs, &in, &model);
  if (status != EXIT_SUCCESS)
    goto done;
  status = tool_buffers_alloc (args, model, true, &outputs);
  if (status != EXIT_SUCCESS)
    goto done;
  if (cnn_model_run (model, in.data, outputs, &err) != CNN_STATUS_OK) {
    status = tool_fail ("%s", err.message);
    goto done;
  }
  if (args->cam_output != NULL) {
    status = write_cam (args, model, &in);
    if (status != EXIT_SUCCESS)
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
  if (in.npys)
    for (size_t i = 0; i < in.count; i++)
      cnn_npy_clear (&in.npys[i]);
  free (in.npys);
  free (in.data);
  tool_buffers_free (outputs);
  cnn_model_destroy (model);
  return status;
}

const tool_command tool_run_command = {
  "run", TOOL_OPT_INPUT | TOOL_OPT_OUTPUT | TOOL_OPT_THREADS | TOOL_OPT_PRECISION
      | TOOL_OPT_CAM,
  "run a model on .npy inputs and write .npy outputs",
  "Usage: cnn run MODEL.onnx -i IN.npy [-i IN2.npy]... -o OUT.npy [-o OUT2.npy]...\n"
  "               [--threads N] [--precision P] [--cam CLASS MAP.npy]\n"
  "\n"
  "Runs MODEL once. Inputs are given in graph-input order; each input's shape is taken from\n"
  "its .npy file and its dtype must match the model's. Outputs are written in graph-output\n"
  "order; give fewer -o than the model has outputs to write only the first ones.\n"
  "\n"
  "  -i, --input FILE   input tensor (.npy: float32 <f4, int64 <i8, int32 <i4, bool |b1)\n"
  "  -o, --output FILE  where to write an output tensor (.npy)\n"
  "  --cam CLASS FILE   also write the class activation map of CLASS (an output index) as a\n"
  "                     [H, W] float32 .npy, or for FILE.png as a heatmap over input 0\n"
  "                     (shown in gray): for models that end in a feature map, a global\n"
  "                     average pool and a dense layer; cell (y, x) covers input rows\n"
  "                     [y*Hin/H, (y+1)*Hin/H) and the columns likewise\n"
  TOOL_HELP_THREADS
  TOOL_HELP_PRECISION,
  run_main,
};
