/* model.c — the public API: load, prepare (shapes, folding, packing, memory plan), run. */
#include "cnn/cnn.h"

#include "activation.h"
#include "blas.h"
#include "graph.h"
#include "model.h"
#include "onnx-loader.h"
#include "ops.h"
#include "passes.h"
#include "planner.h"
#include "threadpool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct cnn_model {
  cnn_graph *g;
  int threads;
  cnn_threadpool *pool;
  int64_t (*declared)[CNN_MAX_RANK];    /* input dims as the file declared them */
  bool prepared;
  bool profiling;
  void *arena;
  uint64_t arena_bytes;
  void *workspace;
  size_t workspace_stride;
  int *layers;                          /* live, non-folded node indices in run order */
  int n_layers;
  char **layer_ops;                     /* "Conv+Relu" */
  int64_t (*fields)[4];                 /* per value: receptive field h, w; jump h, w */
};

const char *
cnn_status_string (cnn_status status)
{
  static const char *const names[CNN_STATUS_COUNT] = {
    [CNN_STATUS_OK] = "ok",
    [CNN_STATUS_INVALID_ARGUMENT] = "invalid argument",
    [CNN_STATUS_IO_ERROR] = "I/O error",
    [CNN_STATUS_PARSE_ERROR] = "parse error",
    [CNN_STATUS_INVALID_MODEL] = "invalid model",
    [CNN_STATUS_UNSUPPORTED] = "unsupported",
    [CNN_STATUS_SHAPE_MISMATCH] = "shape mismatch",
    [CNN_STATUS_LIMIT_EXCEEDED] = "limit exceeded",
    [CNN_STATUS_OUT_OF_MEMORY] = "out of memory",
    [CNN_STATUS_NOT_PREPARED] = "not prepared",
  };
  return status >= 0 && status < CNN_STATUS_COUNT ? names[status] : "unknown status";
}

const char *
cnn_dtype_string (cnn_dtype dtype)
{
  static const char *const names[CNN_DTYPE_COUNT] = {
    [CNN_DTYPE_UNDEFINED] = "undefined",
    [CNN_DTYPE_FLOAT32] = "float32",
    [CNN_DTYPE_INT64] = "int64",
    [CNN_DTYPE_INT32] = "int32",
    [CNN_DTYPE_BOOL] = "bool",
  };
  return dtype >= 0 && dtype < CNN_DTYPE_COUNT ? names[dtype] : "undefined";
}

size_t
cnn_dtype_size (cnn_dtype dtype)
{
  switch (dtype) {
    case CNN_DTYPE_FLOAT32:
    case CNN_DTYPE_INT32:
      return 4;
    case CNN_DTYPE_INT64:
      return 8;
    case CNN_DTYPE_BOOL:
      return 1;
    default:
      return 0;
  }
}

cnn_options
cnn_options_default (void)
{
  cnn_options options = {
    .threads = 1,
    .max_memory_bytes = UINT64_C (4) << 30,
    .max_file_bytes = UINT64_C (2) << 30,
  };
  return options;
}

static int
online_cpus (void)
{
  long n = sysconf (_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (n > 64 ? 64 : (int) n);
}

/* Maps every node to its op, checks arity, parses attributes. */
static cnn_status
bind_ops (cnn_graph *g, cnn_error *err)
{
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    if (n->dead || n->op >= 0)
      continue;
    int op = cnn_op_find (n->domain, n->op_type);
    if (op < 0) {
      if (n->domain[0] != '\0' && strcmp (n->domain, "ai.onnx") != 0)
        return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
            "op domain '%s' is not supported (only the default ONNX domain is)", n->domain);
      return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
          "op type '%s' is not supported", n->op_type);
    }
    const cnn_op_def *def = cnn_op_table[op];
    int present = n->n_inputs;
    while (present > 0 && n->inputs[present - 1] < 0)
      present--;
    if (present < def->min_inputs || n->n_inputs > def->max_inputs)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "has %d inputs; %s takes %d to %d", n->n_inputs, def->name, def->min_inputs,
          def->max_inputs);
    if (n->n_outputs < def->min_outputs || n->n_outputs > def->max_outputs)
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "has %d outputs; %s produces %d to %d", n->n_outputs, def->name,
          def->min_outputs, def->max_outputs);
    for (int k = 0; k < def->min_inputs; k++)
      if (n->inputs[k] < 0)
        return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
            "required input %d is missing", k);
    n->op = op;
    if (def->parse != NULL) {
      cnn_status status = def->parse (g, n, err);
      if (status != CNN_STATUS_OK)
        return status;
    }
  }
  return CNN_STATUS_OK;
}

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
  m->threads = g->options.threads > 0 ? g->options.threads : online_cpus ();

  char message[256];
  if (!cnn_blas_init (message, sizeof (message))) {
    status = cnn_graph_error (err, g, CNN_STATUS_IO_ERROR, "%s", message);
    goto error;
  }
  for (int i = 0; i < g->n_outputs; i++)
    g->values[g->outputs[i]].is_output = true;
  if ((status = bind_ops (g, err)) != CNN_STATUS_OK)
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
  cnn_options opts = options != NULL ? *options : cnn_options_default ();
  cnn_status status = CNN_STATUS_OK;
  unsigned char *data = NULL;
  FILE *f = NULL;
  struct stat st;

  if (path == NULL || model == NULL)
    return cnn_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "no model path given");
  if (opts.max_file_bytes == 0)
    opts.max_file_bytes = cnn_options_default ().max_file_bytes;

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
  status = cnn_model_load_memory (data, (size_t) st.st_size, path, &opts, model, err);

done:
  if (f != NULL)
    fclose (f);
  free (data);
  return status;
}

static void
release_plan (cnn_model *m)
{
  free (m->arena);
  free (m->workspace);
  free (m->layers);
  if (m->layer_ops != NULL)
    for (int i = 0; i < m->n_layers; i++)
      free (m->layer_ops[i]);
  free (m->layer_ops);
  m->arena = m->workspace = NULL;
  m->layers = NULL;
  m->layer_ops = NULL;
  m->n_layers = 0;
  m->arena_bytes = 0;
  m->workspace_stride = 0;
  m->prepared = false;
}

void
cnn_model_destroy (cnn_model *model)
{
  if (model == NULL)
    return;
  release_plan (model);
  cnn_threadpool_destroy (model->pool);
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

void
cnn_format_dims (char *buf, size_t size, int rank, const int64_t *dims)
{
  size_t used = 0;

  if (rank < 0) {
    snprintf (buf, size, "[unknown]");
    return;
  }
  used += (size_t) snprintf (buf, size, "[");
  for (int d = 0; d < rank && used < size; d++) {
    if (dims[d] < 0)
      used += (size_t) snprintf (buf + used, size - used, "%s?", d > 0 ? "," : "");
    else
      used += (size_t) snprintf (buf + used, size - used, "%s%lld", d > 0 ? "," : "",
          (long long) dims[d]);
  }
  if (used < size)
    snprintf (buf + used, size - used, "]");
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
  release_plan (model);
  return CNN_STATUS_OK;
}

cnn_status
cnn_model_set_threads (cnn_model *model, int threads, cnn_error *err)
{
  if (model == NULL || threads < 0 || threads > 256)
    return cnn_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "threads must be 0 to 256");
  if (threads == 0)
    threads = online_cpus ();
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

/* Undoes what a previous prepare computed, so shapes can change. */
static void
reset_prepared (cnn_graph *g)
{
  for (int v = 0; v < g->n_values; v++) {
    cnn_value *val = &g->values[v];
    val->arena_offset = -1;
    val->ptr = NULL;
    if (val->folded) {
      cnn_blob_unref (val->blob);
      val->blob = NULL;
      val->folded = false;
    }
    if (!val->is_input && val->blob == NULL)
      val->rank = -1;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    g->nodes[i].folded = false;
    cnn_node_release_packed (&g->nodes[i]);
  }
}

static bool
all_inputs_constant (const cnn_graph *g, const cnn_node *n)
{
  /* Shape reads only its input's dims, which are known once inferred. */
  if (n->op == CNN_OP_SHAPE)
    return n->fused_sum < 0;
  for (int k = 0; k < n->n_inputs; k++)
    if (n->inputs[k] >= 0 && g->values[n->inputs[k]].blob == NULL)
      return false;
  return n->fused_sum < 0;
}

/* Runs a node whose inputs are all known now and keeps its outputs as constants. */
static cnn_status
fold_node (cnn_graph *g, cnn_node *n, cnn_error *err)
{
  const cnn_op_def *def = cnn_op_table[n->op];
  cnn_status status = CNN_STATUS_OK;
  void *workspace = NULL;

  for (int k = 0; k < n->n_inputs; k++)
    if (n->inputs[k] >= 0 && g->values[n->inputs[k]].blob != NULL)
      g->values[n->inputs[k]].ptr = g->values[n->inputs[k]].blob->data;
  for (int o = 0; o < n->n_outputs; o++) {
    cnn_value *v = &g->values[n->outputs[o]];
    uint64_t bytes;
    if (!cnn_value_bytes (v, &bytes))
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "output '%s' has no computable size", v->name);
    cnn_blob_unref (v->blob);
    v->blob = cnn_blob_new ((size_t) bytes);
    if (v->blob == NULL)
      return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY,
          "out of memory folding constant '%s'", v->name);
    v->folded = true;
    v->ptr = v->blob->data;
  }
  if (def->prepare != NULL && (status = def->prepare (g, n, 1, err)) != CNN_STATUS_OK)
    return status;
  if (n->workspace > 0 && (workspace = aligned_alloc (64, (n->workspace + 63) & ~(size_t) 63))
      == NULL) {
    cnn_node_release_packed (n);
    return cnn_node_error (err, g, n, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  }
  cnn_exec exec = { .pool = NULL, .workspace = workspace, .workspace_stride = n->workspace };
  def->run (g, n, &exec);
  free (workspace);
  cnn_node_release_packed (n);
  n->folded = true;
  return CNN_STATUS_OK;
}

/* Checks an inferred output against the memory limit before anything is allocated for it. */
static cnn_status
check_output (cnn_graph *g, cnn_node *n, cnn_value *v, cnn_error *err)
{
  uint64_t bytes;
  char dims[160];

  cnn_format_dims (dims, sizeof (dims), v->rank, v->dims);
  if (v->rank < 0 || cnn_dtype_size (v->dtype) == 0 || !cnn_value_bytes (v, &bytes))
    return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
        "output '%s' has no computable size (%s %s)", v->name, cnn_dtype_string (v->dtype),
        dims);
  if (bytes > g->options.max_memory_bytes)
    return cnn_node_error (err, g, n, CNN_STATUS_LIMIT_EXCEEDED,
        "output '%s' %s needs %llu MiB, more than the limit of %llu MiB", v->name, dims,
        (unsigned long long) (bytes >> 20),
        (unsigned long long) (g->options.max_memory_bytes >> 20));
  return CNN_STATUS_OK;
}

static cnn_status
infer_and_fold (cnn_model *m, cnn_error *err)
{
  cnn_graph *g = m->g;
  cnn_status status;

  for (int i = 0; i < g->n_inputs; i++) {
    cnn_value *v = &g->values[g->inputs[i]];
    if (v->rank < 0)
      return cnn_graph_error (err, g, CNN_STATUS_SHAPE_MISMATCH,
          "input '%s' has no declared shape; set it with cnn_model_set_input_shape", v->name);
    for (int d = 0; d < v->rank; d++) {
      if (v->dims[d] >= 0)
        continue;
      if (d == 0) {
        v->dims[d] = 1;         /* a dynamic batch means one image at a time */
        continue;
      }
      return cnn_graph_error (err, g, CNN_STATUS_SHAPE_MISMATCH,
          "input '%s' has a dynamic dimension %d ('%s'); set it with "
          "cnn_model_set_input_shape", v->name, d, v->dim_names[d] ? v->dim_names[d] : "?");
    }
    uint64_t bytes;
    char dims[160];
    cnn_format_dims (dims, sizeof (dims), v->rank, v->dims);
    if (!cnn_value_bytes (v, &bytes))
      return cnn_graph_error (err, g, CNN_STATUS_LIMIT_EXCEEDED,
          "input '%s' %s has more elements than memory can address", v->name, dims);
    if (bytes > g->options.max_memory_bytes)
      return cnn_graph_error (err, g, CNN_STATUS_LIMIT_EXCEEDED,
          "input '%s' %s needs %llu MiB, more than the limit of %llu MiB", v->name, dims,
          (unsigned long long) (bytes >> 20),
          (unsigned long long) (g->options.max_memory_bytes >> 20));
  }

  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    if (n->dead)
      continue;
    const cnn_op_def *def = cnn_op_table[n->op];
    if ((status = def->infer (g, n, err)) != CNN_STATUS_OK)
      return status;
    for (int o = 0; o < n->n_outputs; o++)
      if ((status = check_output (g, n, &g->values[n->outputs[o]], err)) != CNN_STATUS_OK)
        return status;
    if (all_inputs_constant (g, n) && (status = fold_node (g, n, err)) != CNN_STATUS_OK)
      return status;
  }
  return CNN_STATUS_OK;
}

static char *
layer_op_name (const cnn_node *n)
{
  const char *act = cnn_activation_name (n->act);
  size_t len = strlen (n->op_type) + strlen (act) + 8;
  char *s = malloc (len);
  if (s != NULL)
    snprintf (s, len, "%s%s%s%s", n->op_type, n->fused_sum >= 0 ? "+Add" : "",
        act[0] ? "+" : "", act);
  return s;
}

/* Receptive field and jump of every value, in input pixels, following the sort order. */
static void
compute_fields (cnn_model *m)
{
  cnn_graph *g = m->g;

  for (int v = 0; v < g->n_values; v++) {
    bool spatial = g->values[v].is_input;
    m->fields[v][0] = m->fields[v][1] = spatial ? 1 : 0;
    m->fields[v][2] = m->fields[v][3] = spatial ? 1 : 0;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    if (n->dead || n->folded)
      continue;
    int64_t in[4] = { 0, 0, 0, 0 };
    const cnn_value *x = NULL;
    for (int k = 0; k <= n->n_inputs; k++) {
      int id = k < n->n_inputs ? n->inputs[k] : n->fused_sum;
      if (id < 0 || g->values[id].blob != NULL)
        continue;
      if (x == NULL)
        x = &g->values[id];
      for (int j = 0; j < 4; j++)
        if (m->fields[id][j] > in[j])
          in[j] = m->fields[id][j];
    }
    int64_t out[4] = { in[0], in[1], in[2], in[3] };
    const cnn_op_def *def = cnn_op_table[n->op];
    int64_t kernel[2] = { 1, 1 }, stride[2] = { 1, 1 };
    if (in[2] > 0 && def->window != NULL) {
      if (def->window (g, n, kernel, stride)) {
        for (int a = 0; a < 2; a++) {
          out[a] = in[a] + (kernel[a] - 1) * in[2 + a];
          out[2 + a] = in[2 + a] * stride[a];
        }
      } else if (x != NULL && x->rank >= 3) {
        /* A global op sees its whole input map. */
        int64_t extent[2] = { x->rank >= 4 ? x->dims[x->rank - 2] : 1, x->dims[x->rank - 1] };
        for (int a = 0; a < 2; a++)
          out[a] = in[a] + (extent[a] - 1) * in[2 + a];
      }
    }
    for (int o = 0; o < n->n_outputs; o++)
      memcpy (m->fields[n->outputs[o]], out, sizeof (out));
  }
}

static cnn_status
plan (cnn_model *m, cnn_error *err)
{
  cnn_graph *g = m->g;
  cnn_status status;
  size_t max_workspace = 0;
  uint64_t weights = 0, total;

  if ((status = cnn_passes_prepare (g, err)) != CNN_STATUS_OK)
    return status;
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    if (n->dead || n->folded)
      continue;
    const cnn_op_def *def = cnn_op_table[n->op];
    if (def->prepare != NULL && (status = def->prepare (g, n, m->threads, err))
        != CNN_STATUS_OK)
      return status;
    if (n->workspace > max_workspace)
      max_workspace = n->workspace;
  }
  if ((status = cnn_plan_memory (g, &m->arena_bytes, err)) != CNN_STATUS_OK)
    return status;
  for (int v = 0; v < g->n_values; v++)
    if (g->values[v].blob != NULL)
      weights += g->values[v].blob->size;
  m->workspace_stride = (max_workspace + 63) & ~(size_t) 63;
  total = weights + m->arena_bytes + m->workspace_stride * (uint64_t) m->threads;
  if (total > g->options.max_memory_bytes)
    return cnn_graph_error (err, g, CNN_STATUS_LIMIT_EXCEEDED,
        "the model needs %llu MiB (weights %llu, activations %llu, scratch %llu), more than "
        "the limit of %llu MiB", (unsigned long long) (total >> 20),
        (unsigned long long) (weights >> 20), (unsigned long long) (m->arena_bytes >> 20),
        (unsigned long long) ((m->workspace_stride * (uint64_t) m->threads) >> 20),
        (unsigned long long) (g->options.max_memory_bytes >> 20));

  /* Never NULL, so even empty tensors (a dim of 0) have a valid address. */
  if ((m->arena = aligned_alloc (64, m->arena_bytes > 0 ? m->arena_bytes : 64)) == NULL
      || (m->workspace_stride > 0
          && (m->workspace = aligned_alloc (64, m->workspace_stride * (size_t) m->threads))
          == NULL))
    return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY,
        "out of memory allocating %llu MiB of activations",
        (unsigned long long) (m->arena_bytes >> 20));
  memset (m->arena, 0, m->arena_bytes);   /* touch it now, not during the first frame */

  for (int v = 0; v < g->n_values; v++) {
    cnn_value *val = &g->values[v];
    if (val->blob != NULL)
      val->ptr = val->blob->data;
    else if (val->arena_offset >= 0)
      val->ptr = (char *) m->arena + val->arena_offset;
  }

  m->layers = malloc (sizeof (int) * ((size_t) g->n_nodes + 1));
  m->layer_ops = calloc ((size_t) g->n_nodes + 1, sizeof (char *));
  if (m->layers == NULL || m->layer_ops == NULL)
    return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  for (int i = 0; i < g->n_nodes; i++) {
    cnn_node *n = &g->nodes[i];
    if (n->dead || n->folded)
      continue;
    m->layer_ops[m->n_layers] = layer_op_name (n);
    if (m->layer_ops[m->n_layers] == NULL)
      return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    m->layers[m->n_layers++] = i;
  }
  compute_fields (m);
  return CNN_STATUS_OK;
}

cnn_status
cnn_model_prepare (cnn_model *model, cnn_error *err)
{
  cnn_status status;

  if (model == NULL)
    return cnn_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "no model");
  release_plan (model);
  reset_prepared (model->g);
  if ((status = infer_and_fold (model, err)) != CNN_STATUS_OK
      || (status = plan (model, err)) != CNN_STATUS_OK) {
    release_plan (model);
    reset_prepared (model->g);
    return status;
  }
  model->prepared = true;
  return CNN_STATUS_OK;
}

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec * 1e-6;
}

cnn_status
cnn_model_run (cnn_model *model, const void *const *inputs, void *const *outputs,
    cnn_error *err)
{
  if (model == NULL || (model->g->n_inputs > 0 && inputs == NULL)
      || (model->g->n_outputs > 0 && outputs == NULL))
    return cnn_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "missing input or output buffers");
  if (!model->prepared)
    return cnn_set_error (err, CNN_STATUS_NOT_PREPARED, "%s: call cnn_model_prepare before "
        "cnn_model_run", model->g->source);
  cnn_graph *g = model->g;
  for (int i = 0; i < g->n_inputs; i++) {
    if (inputs[i] == NULL)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_ARGUMENT, "input %d is NULL", i);
    g->values[g->inputs[i]].ptr = (void *) inputs[i];
  }
  for (int i = 0; i < g->n_outputs; i++) {
    cnn_value *v = &g->values[g->outputs[i]];
    if (outputs[i] == NULL)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_ARGUMENT, "output %d is NULL", i);
    /* Outputs a node computes are written straight into the caller's buffer. */
    if (!v->is_input && v->blob == NULL)
      v->ptr = outputs[i];
  }

  cnn_exec exec = {
    .pool = model->pool,
    .workspace = model->workspace,
    .workspace_stride = model->workspace_stride,
  };
  for (int l = 0; l < model->n_layers; l++) {
    cnn_node *n = &g->nodes[model->layers[l]];
    double start = model->profiling ? now_ms () : 0.0;
    cnn_op_table[n->op]->run (g, n, &exec);
    if (model->profiling)
      n->time_ms += now_ms () - start;
  }

  /* Outputs that are constants or inputs were never written by a node. */
  for (int i = 0; i < g->n_outputs; i++) {
    cnn_value *v = &g->values[g->outputs[i]];
    uint64_t bytes;
    if ((v->is_input || v->blob != NULL) && cnn_value_bytes (v, &bytes))
      memmove (outputs[i], v->is_input ? v->ptr : v->blob->data, (size_t) bytes);
  }
  return CNN_STATUS_OK;
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
  const cnn_op_def *def = cnn_op_table[n->op];

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

void
cnn_model_set_profiling (cnn_model *model, bool enabled)
{
  if (model == NULL)
    return;
  model->profiling = enabled;
  for (int i = 0; i < model->g->n_nodes; i++)
    model->g->nodes[i].time_ms = 0.0;
}
