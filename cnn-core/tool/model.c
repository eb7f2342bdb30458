/* model.c — the cnn tool's model setup: open a model ready to run, and its tensor buffers. */
#include "model.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

/* Whether --shape `shape` is for the input called `name`. */
static bool
tool_shape_is_for (const tool_shape *shape, const char *name)
{
  return strlen (name) == shape->name_len && memcmp (name, shape->name, shape->name_len) == 0;
}

/* The message for dynamic dimension d (not the batch) of an input no --shape fixes, with a
 * --shape to copy (the batch as 1). Returns EXIT_FAILURE. */
static int
tool_dynamic_dim_error (const tool_args *args, const cnn_tensor_info *info, int d)
{
  char hint[256];
  size_t len = 0;

  for (int k = 0; k < info->rank && len < sizeof hint; k++) {
    if (k == 0 && info->dims[0] < 0)
      len += (size_t) snprintf (hint + len, sizeof hint - len, "1");
    else if (info->dims[k] >= 0)
      len += (size_t) snprintf (hint + len, sizeof hint - len, "%s%" PRId64,
          k ? "," : "", info->dims[k]);
    else
      len += (size_t) snprintf (hint + len, sizeof hint - len, "%s%s", k ? "," : "",
          info->dim_names[k] ? info->dim_names[k] : "?");
  }
  return tool_fail ("%s: input '%s' has dynamic dimension %d%s%s%s; "
      "give its shape with --shape %s=%s", args->model, info->name, d,
      info->dim_names[d] ? " ('" : "", info->dim_names[d] ? info->dim_names[d] : "",
      info->dim_names[d] ? "')" : "", info->name, hint);
}

/* Applies --shape, defaults a dynamic batch dimension to 1, and rejects other dynamic dims. */
static int
tool_apply_shapes (const tool_args *args, cnn_model *model, void *data)
{
  size_t n = cnn_model_input_count (model);
  cnn_error err;

  for (int s = 0; s < args->n_shapes; s++) {
    const tool_shape *shape = &args->shapes[s];
    size_t i;

    for (i = 0; i < n; i++) {
      cnn_tensor_info info;

      if (cnn_model_input_info (model, i, &info) == CNN_STATUS_OK
          && tool_shape_is_for (shape, info.name))
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
      if (tool_shape_is_for (&args->shapes[s], info.name))
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
      if (d > 0)
        return tool_dynamic_dim_error (args, &info, d);
      dims[d] = 1;
      dynamic = true;
    }
    if (dynamic
        && cnn_model_set_input_shape (model, i, info.rank, dims, &err) != CNN_STATUS_OK)
      return tool_fail ("%s", err.message);
  }
  return EXIT_SUCCESS;
}

int
tool_model_open (const tool_args *args, tool_shapes_func set_shapes, void *data,
    cnn_model **model)
{
  cnn_options options = cnn_options_default ();
  cnn_model *m = NULL;
  cnn_error err;
  int status;

  options.threads = args->threads;
  options.precision = args->precision;
  if (cnn_model_load_file (args->model, &options, &m, &err) != CNN_STATUS_OK)
    return tool_fail ("%s", err.message);
  if (args->precision != cnn_model_precision (m))
    fprintf (stderr, "cnn: warning: %s needs AVX512_BF16, which this CPU lacks: running %s\n",
        cnn_precision_name (args->precision), cnn_precision_name (cnn_model_precision (m)));
  status = (set_shapes ? set_shapes : tool_apply_shapes) (args, m, data);
  if (status != EXIT_SUCCESS)
    goto error;
  if (cnn_model_prepare (m, &err) != CNN_STATUS_OK) {
    status = tool_fail ("%s", err.message);
    goto error;
  }
  *model = m;
  return EXIT_SUCCESS;

error:
  cnn_model_destroy (m);
  return status;
}

size_t
tool_tensor_count (const cnn_model *model, bool output)
{
  return output ? cnn_model_output_count (model) : cnn_model_input_count (model);
}

cnn_status
tool_tensor_info (const cnn_model *model, bool output, size_t index, cnn_tensor_info *info)
{
  return output ? cnn_model_output_info (model, index, info)
      : cnn_model_input_info (model, index, info);
}

size_t
tool_tensor_bytes (const cnn_tensor_info *info)
{
  size_t count = 1;

  for (int d = 0; d < info->rank; d++)
    count *= (size_t) (info->dims[d] > 0 ? info->dims[d] : 0);
  return count * cnn_dtype_size (info->dtype);
}

int
tool_buffers_alloc (const tool_args *args, const cnn_model *model, bool output,
    void ***buffers)
{
  const char *kind = output ? "output" : "input";
  size_t n = tool_tensor_count (model, output);
  void **b = calloc (n + 1, sizeof *b);  /* NULL-terminated */
  int status = EXIT_SUCCESS;

  if (!b)
    return tool_fail ("out of memory");
  for (size_t i = 0; i < n; i++) {
    cnn_tensor_info info;
    size_t bytes;

    if (tool_tensor_info (model, output, i, &info) != CNN_STATUS_OK) {
      status = tool_fail ("%s: cannot query %s %zu", args->model, kind, i);
      goto error;
    }
    bytes = tool_tensor_bytes (&info);
    /* Zero-filled: integer and bool inputs (indices, masks) stay valid. */
    b[i] = calloc (1, bytes ? bytes : 1);
    if (!b[i]) {
      status = tool_fail ("out of memory for %s '%s' (%zu bytes)", kind, info.name, bytes);
      goto error;
    }
  }
  *buffers = b;
  return EXIT_SUCCESS;

error:
  tool_buffers_free (b);
  return status;
}

void
tool_buffers_free (void **buffers)
{
  for (size_t i = 0; buffers && buffers[i]; i++)
    free (buffers[i]);
  free (buffers);
}
