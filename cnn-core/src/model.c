/* model.c — the public API's model object: load, destroy, inputs and outputs, threads,
 * metadata and the per-layer report. Preparing and running live in prepare.c and executor.c. */
#include "model.h"

#include "blas.h"
#include "kernels/gemm.h"
#include "onnx-loader.h"
#include "ops/ops.h"
#include "passes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Takes ownership of g (also on failure). */
cnn_status
cnn_model_from_graph (cnn_graph *g, cnn_model **model, cnn_error *err)
{
  cnn_status status;
  cnn_model *m = calloc (1, sizeof (*m));

  if (m == NULL) {
    status = cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    goto error;
  }
  m->g = g;
  if (g->options.threads < 0 || g->options.threads > CNN_MAX_THREADS) {
    status = cnn_graph_error (err, g, CNN_STATUS_INVALID_ARGUMENT,
        "options.threads is %d; it must be 0 to %d", g->options.threads, CNN_MAX_THREADS);
    goto error;
  }
  m->threads = g->options.threads > 0 ? g->options.threads : cnn_online_cpus ();
  if ((unsigned) g->options.precision >= CNN_PRECISION_COUNT) {
    status = cnn_graph_error (err, g, CNN_STATUS_INVALID_ARGUMENT,
        "options.precision is %d; it must be CNN_PRECISION_FP32 or CNN_PRECISION_BF16",
        (int) g->options.precision);
    goto error;
  }

  char message[256];
  if (!cnn_blas_init (message, sizeof (message))) {
    status = cnn_graph_error (err, g, CNN_STATUS_IO_ERROR, "%s", message);
    goto error;
  }
  for (int i = 0; i < g->n_outputs; i++)
    g->values[g->outputs[i]].is_output = true;
  if ((status = cnn_ops_bind (g, err)) != CNN_STATUS_OK)
    goto error;
  if ((status = cnn_graph_sort (g, err)) != CNN_STATUS_OK)
    goto error;
  if ((status = cnn_passes_load (g, err)) != CNN_STATUS_OK)
    goto error;

  m->declared = calloc ((size_t) g->n_inputs + 1, sizeof (*m->declared));
  m->fields = calloc ((size_t) g->n_values + 1, sizeof (*m->fields));
  if (m->declared == NULL || m->fields == NULL) {
    status = cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    goto error;
  }
  for (int i = 0; i < g->n_inputs; i++)
    memcpy (m->declared[i], g->values[g->inputs[i]].dims, sizeof (m->declared[i]));

  m->pool = cnn_threadpool_create (m->threads);
  if (m->pool == NULL) {
    status = cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "cannot start %d threads",
        m->threads);
    goto error;
  }
  *model = m;
  return CNN_STATUS_OK;

error:
  if (m != NULL)
    cnn_model_destroy (m);
  else
    cnn_graph_free (g);
  return status;
}

cnn_status
cnn_model_load_memory (const void *data, size_t size, const char *name,
    const cnn_options *options, cnn_model **model, cnn_error *err)
{
  cnn_graph *g = NULL;
  cnn_status status;

  if (data == NULL || model == NULL)
    return cnn_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "no model data given");
  if (name == NULL)
    name = "<memory>";
  status = cnn_onnx_load (data, size, name, options, &g, err);
  if (status != CNN_STATUS_OK)
    return status;
  return cnn_model_from_graph (g, model, err);
}

cnn_status
cnn_model_load_file (const char *path, const cnn_options *options, cnn_model **model,
    cnn_error *err)
{
  cnn_options opts = cnn_options_resolve (options);
  cnn_status status = CNN_STATUS_OK;
  unsigned char *data = NULL;
  FILE *f = NULL;
  struct stat st;

  if (path == NULL || model == NULL)
    return cnn_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "no model path given");

  f = fopen (path, "rb");
  if (f == NULL) {
    status = cnn_set_error (err, CNN_STATUS_IO_ERROR, "%s: cannot open: %s", path,
        strerror (errno));
    goto done;
  }
  if (fstat (fileno (f), &st) != 0 || !S_ISREG (st.st_mode)) {
    status = cnn_set_error (err, CNN_STATUS_IO_ERROR, "%s: not a regular file", path);
    goto done;
  }
  if ((uint64_t) st.st_size > opts.max_file_bytes) {
    status = cnn_set_error (err, CNN_STATUS_LIMIT_EXCEEDED,
        "%s: file is %llu MiB, more than the limit of %llu MiB", path,
        (unsigned long long) (st.st_size >> 20),
        (unsigned long long) (opts.max_file_bytes >> 20));
    goto done;
  }
  data = malloc ((size_t) st.st_size + 1);
  if (data == NULL) {
    status = cnn_set_error (err, CNN_STATUS_OUT_OF_MEMORY, "%s: out of memory reading %lld "
        "bytes", path, (long long) st.st_size);
    goto done;
  }
  if (fread (data, 1, (size_t) st.st_size, f) != (size_t) st.st_size) {
    status = cnn_set_error (err, CNN_STATUS_IO_ERROR, "%s: read failed", path);
    goto done;
  }
  cnn_graph *g = NULL;
  status = cnn_onnx_load_owned (data, (size_t) st.st_size, path, &opts, &g, err);
  if (status == CNN_STATUS_OK)
    status = cnn_model_from_graph (g, model, err);

done:
  if (f != NULL)
    fclose (f);
  free (data);
  return status;
}

void
cnn_model_destroy (cnn_model *model)
{
  if (model == NULL)
    return;
  cnn_model_release_plan (model);
  cnn_threadpool_destroy (model->pool);
  cnn_ops_release (model->g);
  cnn_graph_free (model->g);
  free (model->declared);
  free (model->fields);
  free (model);
}

size_t
cnn_model_input_count (const cnn_model *model)
{
  return model != NULL ? (size_t) model->g->n_inputs : 0;
}

size_t
cnn_model_output_count (const cnn_model *model)
{
  return model != NULL ? (size_t) model->g->n_outputs : 0;
}

static void
fill_info (const cnn_value *v, cnn_tensor_info *info)
{
  memset (info, 0, sizeof (*info));
  info->name = v->name;
  info->dtype = v->dtype;
  info->rank = v->rank;
  for (int d = 0; d < v->rank && d < CNN_MAX_RANK; d++) {
    info->dims[d] = v->dims[d];
    info->dim_names[d] = v->dim_names[d];
  }
}

cnn_status
cnn_model_input_info (const cnn_model *model, size_t index, cnn_tensor_info *info)
{
  if (model == NULL || info == NULL || index >= (size_t) model->g->n_inputs)
    return CNN_STATUS_INVALID_ARGUMENT;
  fill_info (&model->g->values[model->g->inputs[index]], info);
  return CNN_STATUS_OK;
}

cnn_status
cnn_model_output_info (const cnn_model *model, size_t index, cnn_tensor_info *info)
{
  if (model == NULL || info == NULL || index >= (size_t) model->g->n_outputs)
    return CNN_STATUS_INVALID_ARGUMENT;
  fill_info (&model->g->values[model->g->outputs[index]], info);
  return CNN_STATUS_OK;
}

cnn_status
cnn_model_set_input_shape (cnn_model *model, size_t index, int rank, const int64_t *dims,
    cnn_error *err)
{
  if (model == NULL || dims == NULL || index >= (size_t) model->g->n_inputs)
    return cnn_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "no such input %zu", index);
  cnn_graph *g = model->g;
  cnn_value *v = &g->values[g->inputs[index]];
  const int64_t *declared = model->declared[index];
  char want[128], got[128];

  cnn_format_dims (want, sizeof (want), v->rank, declared);
  cnn_format_dims (got, sizeof (got), rank, dims);
  if (v->rank >= 0 && rank != v->rank)
    return cnn_graph_error (err, g, CNN_STATUS_SHAPE_MISMATCH,
        "input '%s' has rank %d %s; got rank %d %s", v->name, v->rank, want, rank, got);
  if (rank < 0 || rank > CNN_MAX_RANK)
    return cnn_graph_error (err, g, CNN_STATUS_SHAPE_MISMATCH,
        "input '%s': rank %d is not supported", v->name, rank);
  for (int d = 0; d < rank; d++) {
    if (dims[d] < 0 || dims[d] > (INT64_C (1) << 31))
      return cnn_graph_error (err, g, CNN_STATUS_SHAPE_MISMATCH,
          "input '%s': dimension %d of %s is out of range", v->name, d, got);
    if (v->rank >= 0 && declared[d] >= 0 && declared[d] != dims[d])
      return cnn_graph_error (err, g, CNN_STATUS_SHAPE_MISMATCH,
          "input '%s' has shape %s; got %s", v->name, want, got);
  }
  v->rank = rank;
  for (int d = 0; d < CNN_MAX_RANK; d++)
    v->dims[d] = d < rank ? dims[d] : 0;
  /* A value given before no longer fits the shape. */
  cnn_blob_unref (v->blob);
  v->blob = NULL;
  cnn_model_release_plan (model);
  return CNN_STATUS_OK;
}

int64_t
cnn_model_opset (const cnn_model *model)
{
  return model != NULL ? model->g->opset : 0;
}

cnn_status
cnn_model_set_input_value (cnn_model *model, size_t index, cnn_dtype dtype, int rank,
    const int64_t *dims, const void *data, cnn_error *err)
{
  cnn_status status;
  uint64_t bytes;

  if (model == NULL || index >= (size_t) model->g->n_inputs || (data == NULL && rank > 0))
    return cnn_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "no such input %zu or no data",
        index);
  cnn_graph *g = model->g;
  cnn_value *v = &g->values[g->inputs[index]];
  if (dtype != v->dtype)
    return cnn_graph_error (err, g, CNN_STATUS_INVALID_ARGUMENT,
        "input '%s' is %s; the value given is %s", v->name, cnn_dtype_string (v->dtype),
        cnn_dtype_string (dtype));
  if ((status = cnn_model_set_input_shape (model, index, rank, dims, err)) != CNN_STATUS_OK)
    return status;
  if (!cnn_value_bytes (v, &bytes) || bytes > g->options.max_memory_bytes)
    return cnn_graph_error (err, g, CNN_STATUS_LIMIT_EXCEEDED,
        "the value of input '%s' is larger than the memory limit", v->name);
  cnn_blob *blob = cnn_blob_new ((size_t) bytes);
  if (blob == NULL)
    return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  if (bytes > 0)
    memcpy (blob->data, data, (size_t) bytes);
  v->blob = blob;
  return CNN_STATUS_OK;
}

cnn_status
cnn_model_set_threads (cnn_model *model, int threads, cnn_error *err)
{
  if (model == NULL || threads < 0 || threads > CNN_MAX_THREADS)
    return cnn_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "threads must be 0 to %d",
        CNN_MAX_THREADS);
  if (threads == 0)
    threads = cnn_online_cpus ();
  if (threads == model->threads)
    return CNN_STATUS_OK;
  cnn_threadpool *pool = cnn_threadpool_create (threads);
  if (pool == NULL)
    return cnn_set_error (err, CNN_STATUS_OUT_OF_MEMORY, "cannot start %d threads", threads);
  cnn_threadpool *old_pool = model->pool;
  int old_threads = model->threads;
  model->pool = pool;
  model->threads = threads;
  /* Workspaces and work splits depend on the thread count: a prepared model is planned again
   * so that it stays runnable; if that fails it keeps its old threads and plan. */
  if (model->prepared) {
    cnn_status status = cnn_model_prepare (model, err);
    if (status != CNN_STATUS_OK) {
      model->pool = old_pool;
      model->threads = old_threads;
      cnn_threadpool_destroy (pool);
      cnn_model_prepare (model, NULL);
      return status;
    }
  }
  cnn_threadpool_destroy (old_pool);
  return CNN_STATUS_OK;
}

int
cnn_model_threads (const cnn_model *model)
{
  return model != NULL ? model->threads : 0;
}

const char *
cnn_model_metadata (const cnn_model *model, const char *key)
{
  if (model == NULL || key == NULL)
    return NULL;
  for (int i = 0; i < model->g->n_meta; i++)
    if (strcmp (model->g->meta[i].key, key) == 0)
      return model->g->meta[i].value;
  return NULL;
}

size_t
cnn_model_metadata_count (const cnn_model *model)
{
  return model != NULL ? (size_t) model->g->n_meta : 0;
}

cnn_status
cnn_model_metadata_entry (const cnn_model *model, size_t index, const char **key,
    const char **value)
{
  if (model == NULL || key == NULL || value == NULL || index >= (size_t) model->g->n_meta)
    return CNN_STATUS_INVALID_ARGUMENT;
  *key = model->g->meta[index].key;
  *value = model->g->meta[index].value;
  return CNN_STATUS_OK;
}

const char *
cnn_model_source (const cnn_model *model)
{
  return model != NULL ? model->g->source : NULL;
}

size_t
cnn_model_layer_count (const cnn_model *model)
{
  return model != NULL && model->prepared ? (size_t) model->n_layers : 0;
}

cnn_status
cnn_model_layer_info (const cnn_model *model, size_t index, cnn_layer_info *info)
{
  if (model == NULL || info == NULL || !model->prepared || index >= (size_t) model->n_layers)
    return CNN_STATUS_INVALID_ARGUMENT;
  const cnn_graph *g = model->g;
  const cnn_node *n = &g->nodes[model->layers[index]];
  const cnn_value *out = &g->values[n->outputs[0]];
  const cnn_op_def *def = cnn_op_def_of (n);

  memset (info, 0, sizeof (*info));
  info->name = n->name;
  info->op = model->layer_ops[index];
  info->rank = out->rank;
  for (int d = 0; d < out->rank && d < CNN_MAX_RANK; d++)
    info->output_dims[d] = out->dims[d];
  for (int k = 0; k < n->n_inputs; k++) {
    const cnn_value *v = cnn_node_input (g, n, k);
    uint64_t count;
    if (v != NULL && v->blob != NULL && !v->folded && v->dtype == CNN_DTYPE_FLOAT32
        && cnn_value_elements (v, &count))
      info->params += count;
  }
  if (def->macs != NULL)
    info->macs = def->macs (g, n);
  else
    cnn_value_elements (out, &info->macs);
  const int64_t *field = model->fields[n->outputs[0]];
  info->receptive_field[0] = field[0];
  info->receptive_field[1] = field[1];
  info->jump[0] = field[2];
  info->jump[1] = field[3];
  info->time_ms = n->time_ms;
  return CNN_STATUS_OK;
}

uint64_t
cnn_model_arena_bytes (const cnn_model *model)
{
  return model != NULL ? model->arena_bytes : 0;
}

cnn_precision
cnn_model_precision (const cnn_model *model)
{
  return model != NULL && model->g->options.precision == CNN_PRECISION_BF16
      && cnn_gemm_bf16_available () ? CNN_PRECISION_BF16 : CNN_PRECISION_FP32;
}

const char *
cnn_precision_name (cnn_precision precision)
{
  return precision == CNN_PRECISION_BF16 ? "bf16" : precision == CNN_PRECISION_FP32 ? "fp32"
      : "?";
}
