/* onnx-loader.c — decode an ONNX ModelProto with protobuf-c and translate it into a cnn_graph.
 *
 * Every number in the file is untrusted: shapes are checked for overflow and absurd sizes, and
 * tensor data must match its declared shape before anything is allocated for it, so a small
 * hostile file cannot make us allocate gigabytes. Our onnx.proto leaves out the recursive parts
 * of the schema, which bounds protobuf-c's recursion depth.
 */
#include "onnx-loader.h"

#include "onnx-skeleton.h"
#include "onnx-tensor.h"
#include "onnx.pb-c.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_COUNT (1 << 24)

typedef struct loader {
  cnn_graph *g;
  cnn_onnx_tensors tensors;     /* file, allocator and budget for constant data */
  int *producer;                /* per value id: the node writing it, or -1 */
  int n_producer;
  int *ids;                     /* scratch: a node's input and output ids */
  size_t cap_ids;
} loader;

/* protobuf-c returns NULL for both corrupt input and failed allocations: tell them apart. */
typedef struct alloc_state {
  bool failed;
} alloc_state;

static void *
pb_alloc (void *data, size_t size)
{
  void *p = malloc (size);
  if (!p)
    ((alloc_state *) data)->failed = true;
  return p;
}

static void
pb_free (void *data, void *p)
{
  (void) data;
  free (p);
}

static char *
dup_string (const char *s)
{
  size_t len = strlen (s);
  char *copy = malloc (len + 1);
  if (copy)
    memcpy (copy, s, len + 1);
  return copy;
}

static const char *
str_or_empty (const char *s)
{
  return s ? s : "";
}

static bool
is_default_domain (const char *domain)
{
  return !domain || !*domain || strcmp (domain, "ai.onnx") == 0;
}

/* ONNX TensorProto.DataType → our element type for graph inputs and outputs. */
static cnn_dtype
elem_type_dtype (int32_t type)
{
  switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return CNN_DTYPE_FLOAT32;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return CNN_DTYPE_INT64;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return CNN_DTYPE_INT32;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return CNN_DTYPE_BOOL;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: return CNN_DTYPE_UINT8;
    default: return CNN_DTYPE_UNDEFINED;
  }
}

static cnn_status
loader_track_values (loader *l, cnn_error *err)
{
  cnn_graph *g = l->g;
  if (l->n_producer >= g->n_values)
    return CNN_STATUS_OK;
  int cap = l->n_producer < INT_MAX / 2 ? 2 * l->n_producer : INT_MAX;
  if (cap < g->n_values)
    cap = g->n_values;
  int *p = realloc (l->producer, (size_t) cap * sizeof *p);
  if (!p)
    return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  for (int i = l->n_producer; i < cap; i++)
    p[i] = -1;
  l->producer = p;
  l->n_producer = cap;
  return CNN_STATUS_OK;
}

static cnn_status
load_initializers (loader *l, const Onnx__GraphProto *gp, cnn_error *err)
{
  cnn_graph *g = l->g;
  char label[320];
  cnn_onnx_tensor td;
  cnn_status status;

  for (size_t i = 0; i < gp->n_initializer; i++) {
    Onnx__TensorProto *t = gp->initializer[i];
    if (!t->name || !*t->name)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL, "initializer %zu has no name", i);
    snprintf (label, sizeof label, "initializer '%s'", t->name);
    int id = cnn_graph_find_value (g, t->name);
    if (id >= 0 && g->values[id].blob)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL,
          "%s is defined twice", label);
    status = cnn_onnx_decode_tensor (&l->tensors, t, label, &td, err);
    if (status != CNN_STATUS_OK)
      return status;
    id = cnn_graph_value (g, t->name);
    if (id < 0) {
      cnn_blob_unref (td.blob);
      return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    }
    cnn_value_set_constant (&g->values[id], td.dtype, td.rank, td.dims, td.blob);
  }
  return CNN_STATUS_OK;
}

/* Declared type of a graph input or output. Inputs must say what they are; outputs may leave
 * it to shape inference. */
static cnn_status
load_value_type (loader *l, int id, const Onnx__ValueInfoProto *vi, bool is_input,
    cnn_error *err)
{
  cnn_graph *g = l->g;
  const char *what = is_input ? "graph input" : "graph output";
  const Onnx__TypeProto *type = vi->type;
  const Onnx__TypeProto__Tensor *tt;
  cnn_value *v = &g->values[id];

  v->dtype = CNN_DTYPE_UNDEFINED;
  v->rank = -1;
  if (!type) {
    if (is_input)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL, "%s '%s' has no type", what,
          v->name);
    return CNN_STATUS_OK;
  }
  if (type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !type->tensor_type)
    return cnn_graph_error (err, g, CNN_STATUS_UNSUPPORTED,
        "%s '%s' is not a tensor (sequences, maps and optionals are not supported)", what,
        v->name);
  tt = type->tensor_type;

  int32_t elem = tt->has_elem_type ? tt->elem_type : 0;
  if (elem == 0) {
    if (is_input)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL,
          "%s '%s' has no element type", what, v->name);
  } else {
    v->dtype = elem_type_dtype (elem);
    if (v->dtype == CNN_DTYPE_UNDEFINED)
      return cnn_graph_error (err, g, CNN_STATUS_UNSUPPORTED,
          "%s '%s' has element type %s (%" PRId32 "), which is not supported (float, int64, "
          "int32 and bool are)", what, v->name, cnn_onnx_data_type_name (elem), elem);
  }

  if (!tt->shape)
    return CNN_STATUS_OK;
  if (tt->shape->n_dim > CNN_MAX_RANK)
    return cnn_graph_error (err, g, CNN_STATUS_UNSUPPORTED,
        "%s '%s' has %zu dimensions, at most %d are supported", what, v->name,
        tt->shape->n_dim, CNN_MAX_RANK);
  for (size_t i = 0; i < tt->shape->n_dim; i++) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
    v->dims[i] = -1;
    if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
      if (d->dim_value > CNN_ONNX_MAX_DIM)
        return cnn_graph_error (err, g, CNN_STATUS_LIMIT_EXCEEDED,
            "%s '%s': dimension %zu is %" PRId64 ", larger than 2^31", what, v->name, i,
            d->dim_value);
      if (d->dim_value > 0)
        v->dims[i] = d->dim_value;
    } else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
        && d->dim_param && *d->dim_param) {
      free (v->dim_names[i]);
      v->dim_names[i] = dup_string (d->dim_param);
      if (!v->dim_names[i])
        return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    }
  }
  v->rank = (int) tt->shape->n_dim;
  return CNN_STATUS_OK;
}

static cnn_status
load_inputs (loader *l, const Onnx__GraphProto *gp, cnn_error *err)
{
  cnn_graph *g = l->g;
  cnn_status status;

  g->inputs = malloc ((gp->n_input ? gp->n_input : 1) * sizeof *g->inputs);
  if (!g->inputs)
    return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < gp->n_input; i++) {
    const Onnx__ValueInfoProto *vi = gp->input[i];
    if (!vi->name || !*vi->name)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL, "graph input %zu has no name", i);
    int id = cnn_graph_find_value (g, vi->name);
    if (id >= 0 && g->values[id].blob)
      continue;   /* an initializer listed as input (IR < 4 style): a constant for us */
    if (id >= 0 && g->values[id].is_input)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL,
          "graph input '%s' is listed twice", vi->name);
    id = cnn_graph_value (g, vi->name);
    if (id < 0)
      return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    status = load_value_type (l, id, vi, true, err);
    if (status != CNN_STATUS_OK)
      return status;
    g->values[id].is_input = true;
    g->inputs[g->n_inputs++] = id;
  }
  return CNN_STATUS_OK;
}

static cnn_status
load_outputs (loader *l, const Onnx__GraphProto *gp, cnn_error *err)
{
  cnn_graph *g = l->g;
  cnn_status status;

  if (gp->n_output == 0)
    return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL, "the graph has no outputs");
  g->outputs = malloc (gp->n_output * sizeof *g->outputs);
  if (!g->outputs)
    return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < gp->n_output; i++) {
    const Onnx__ValueInfoProto *vi = gp->output[i];
    if (!vi->name || !*vi->name)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL, "graph output %zu has no name",
          i);
    int id = cnn_graph_value (g, vi->name);
    if (id < 0)
      return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    if (g->values[id].is_output)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL,
          "graph output '%s' is listed twice", vi->name);
    /* A constant or a graph input already has its type. */
    if (!g->values[id].blob && !g->values[id].is_input) {
      status = load_value_type (l, id, vi, false, err);
      if (status != CNN_STATUS_OK)
        return status;
    }
    g->values[id].is_output = true;
    g->outputs[g->n_outputs++] = id;
  }
  return CNN_STATUS_OK;
}

static cnn_status
load_attr (loader *l, int node, const Onnx__AttributeProto *ap, cnn_error *err)
{
  cnn_graph *g = l->g;
  cnn_attr_type type;
  cnn_attr *a;
  cnn_onnx_tensor td;
  char label[512];
  int tensor = -1;
  cnn_status status;

  if (!ap->name || !*ap->name)
    return cnn_node_error (err, g, &g->nodes[node], CNN_STATUS_INVALID_MODEL,
        "an attribute has no name");

  /* Very old exporters leave `type` out: infer it from the field that is set. */
  Onnx__AttributeProto__AttributeType pt = ap->has_type ? ap->type
      : ap->has_f ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT
      : ap->has_i ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT
      : ap->has_s ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING
      : ap->t ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR
      : ap->n_floats ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS
      : ap->n_ints ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS
      : ap->n_strings ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS
      : ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
  switch (pt) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: type = CNN_ATTR_FLOAT; break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: type = CNN_ATTR_INT; break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: type = CNN_ATTR_STRING; break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: type = CNN_ATTR_TENSOR; break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: type = CNN_ATTR_FLOATS; break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: type = CNN_ATTR_INTS; break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: type = CNN_ATTR_STRINGS; break;
    default: type = CNN_ATTR_OTHER; break;
  }

  if (type == CNN_ATTR_TENSOR) {
    const cnn_node *n = &g->nodes[node];
    /* Worded like cnn_node_error. */
    snprintf (label, sizeof label, "node '%s' (%s, opset %" PRId64 "): attribute '%s'",
        n->name, n->op_type, g->opset, ap->name);
    if (!ap->t)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL, "%s has type TENSOR but no "
          "tensor", label);
    status = cnn_onnx_decode_tensor (&l->tensors, ap->t, label, &td, err);
    if (status != CNN_STATUS_OK)
      return status;
    tensor = cnn_graph_value (g, "");
    if (tensor < 0) {
      cnn_blob_unref (td.blob);
      return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    }
    cnn_value_set_constant (&g->values[tensor], td.dtype, td.rank, td.dims, td.blob);
  }

  a = cnn_node_add_attr (g, node, ap->name, type);
  if (!a)
    goto oom;
  switch (type) {
    case CNN_ATTR_FLOAT:
      a->f = ap->f;
      break;
    case CNN_ATTR_INT:
      a->i = ap->i;
      break;
    case CNN_ATTR_STRING:
      a->s = malloc (ap->s.len + 1);
      if (!a->s)
        goto oom;
      if (ap->s.len)
        memcpy (a->s, ap->s.data, ap->s.len);
      a->s[ap->s.len] = '\0';
      break;
    case CNN_ATTR_TENSOR:
      a->tensor = tensor;
      break;
    case CNN_ATTR_FLOATS:
      if (ap->n_floats) {
        a->floats = malloc (ap->n_floats * sizeof *a->floats);
        if (!a->floats)
          goto oom;
        memcpy (a->floats, ap->floats, ap->n_floats * sizeof *a->floats);
      }
      a->count = ap->n_floats;
      break;
    case CNN_ATTR_INTS:
      if (ap->n_ints) {
        a->ints = malloc (ap->n_ints * sizeof *a->ints);
        if (!a->ints)
          goto oom;
        memcpy (a->ints, ap->ints, ap->n_ints * sizeof *a->ints);
      }
      a->count = ap->n_ints;
      break;
    case CNN_ATTR_STRINGS:
      if (ap->n_strings) {
        a->strings = calloc (ap->n_strings, sizeof *a->strings);
        if (!a->strings)
          goto oom;
        a->count = ap->n_strings;
        for (size_t i = 0; i < ap->n_strings; i++) {
          a->strings[i] = malloc (ap->strings[i].len + 1);
          if (!a->strings[i])
            goto oom;
          if (ap->strings[i].len)
            memcpy (a->strings[i], ap->strings[i].data, ap->strings[i].len);
          a->strings[i][ap->strings[i].len] = '\0';
        }
      }
      break;
    default:
      break;
  }
  return CNN_STATUS_OK;

oom:
  /* Whatever was attached is owned by the graph and freed with it. */
  return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
}

static cnn_status
load_nodes (loader *l, const Onnx__GraphProto *gp, cnn_error *err)
{
  cnn_graph *g = l->g;
  char auto_name[128];
  cnn_status status;

  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto *np = gp->node[i];
    const char *op_type = str_or_empty (np->op_type);
    const char *name = np->name;

    if (!name || !*name) {
      /* So that every message can name the node. */
      snprintf (auto_name, sizeof auto_name, "%.100s_%zu", *op_type ? op_type : "node", i);
      name = auto_name;
    }
    if (!*op_type)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL, "node '%s' has no op_type",
          name);
    if (np->n_input > MAX_COUNT || np->n_output > MAX_COUNT)
      return cnn_graph_error (err, g, CNN_STATUS_LIMIT_EXCEEDED,
          "node '%s' (%s) has %zu inputs and %zu outputs, too many", name, op_type,
          np->n_input, np->n_output);

    size_t n_in = np->n_input, n_out = np->n_output;
    /* Empty trailing output names are omitted optional outputs: drop them. Empty names in the
     * middle get an anonymous value so ops can still address every output. */
    while (n_out > 0 && !*str_or_empty (np->output[n_out - 1]))
      n_out--;
    if (n_in + n_out + 1 > l->cap_ids) {      /* + 1: never NULL, even for no ids */
      int *ids = realloc (l->ids, (n_in + n_out + 1) * sizeof *ids);
      if (!ids)
        return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
      l->ids = ids;
      l->cap_ids = n_in + n_out + 1;
    }
    int *in = l->ids, *out = l->ids + n_in;
    for (size_t k = 0; k < n_in; k++) {
      const char *vname = str_or_empty (np->input[k]);
      in[k] = -1;
      if (*vname && (in[k] = cnn_graph_value (g, vname)) < 0)
        return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    }
    for (size_t k = 0; k < n_out; k++) {
      out[k] = cnn_graph_value (g, str_or_empty (np->output[k]));
      if (out[k] < 0)
        return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    }

    /* Added before checking, so that cnn_node_error words every message the same way; the
     * graph is thrown away on error anyway. */
    int node = cnn_graph_add_node (g, name, op_type, is_default_domain (np->domain) ? ""
        : np->domain, in, (int) n_in, out, (int) n_out);
    if (node < 0)
      return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    const cnn_node *n = &g->nodes[node];
    if (!is_default_domain (np->domain))
      return cnn_node_error (err, g, n, CNN_STATUS_UNSUPPORTED,
          "domain '%s' is not supported: only standard ONNX operators (domain ai.onnx) are",
          np->domain);

    status = loader_track_values (l, err);
    if (status != CNN_STATUS_OK)
      return status;
    for (size_t k = 0; k < n_out; k++) {
      const cnn_value *v = &g->values[out[k]];
      int other = l->producer[out[k]];
      if (other == node)
        return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
            "output '%s' is listed twice", v->name);
      if (other >= 0)
        return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
            "output '%s' is also written by node '%s' (%s)", v->name, g->nodes[other].name,
            g->nodes[other].op_type);
      if (v->blob || v->is_input)
        return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
            "output '%s' is a graph %s", v->name, v->blob ? "initializer" : "input");
      l->producer[out[k]] = node;
    }

    for (size_t k = 0; k < np->n_attribute; k++) {
      status = load_attr (l, node, np->attribute[k], err);
      if (status != CNN_STATUS_OK)
        return status;
    }
  }
  return CNN_STATUS_OK;
}

/* Every value read must come from somewhere; caught here, the message can name the reader. */
static cnn_status
check_links (loader *l, cnn_error *err)
{
  cnn_graph *g = l->g;
  cnn_status status = loader_track_values (l, err);

  if (status != CNN_STATUS_OK)
    return status;
  for (int i = 0; i < g->n_nodes; i++) {
    const cnn_node *n = &g->nodes[i];
    for (int k = 0; k < n->n_inputs; k++) {
      int id = n->inputs[k];
      if (id < 0 || l->producer[id] >= 0 || g->values[id].blob || g->values[id].is_input)
        continue;
      return cnn_node_error (err, g, n, CNN_STATUS_INVALID_MODEL,
          "input %d '%s' is not computed by any node, nor a graph input or initializer", k,
          g->values[id].name);
    }
  }
  for (int i = 0; i < g->n_outputs; i++) {
    int id = g->outputs[i];
    if (l->producer[id] < 0 && !g->values[id].blob && !g->values[id].is_input)
      return cnn_graph_error (err, g, CNN_STATUS_INVALID_MODEL,
          "graph output '%s' is not computed by any node", g->values[id].name);
  }
  return CNN_STATUS_OK;
}

static cnn_status
load_metadata (loader *l, const Onnx__ModelProto *model, cnn_error *err)
{
  cnn_graph *g = l->g;

  if (model->n_metadata_props == 0)
    return CNN_STATUS_OK;
  g->meta = calloc (model->n_metadata_props, sizeof *g->meta);
  if (!g->meta)
    return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < model->n_metadata_props; i++) {
    const Onnx__StringStringEntryProto *e = model->metadata_props[i];
    cnn_meta_prop *m = &g->meta[g->n_meta++];
    m->key = dup_string (str_or_empty (e->key));
    m->value = dup_string (str_or_empty (e->value));
    if (!m->key || !m->value)
      return cnn_graph_error (err, g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  }
  return CNN_STATUS_OK;
}

/* Points the initializers whose raw_data the skeleton cut at their bytes in the file. false
 * if the decoded skeleton does not have the initializers it was cut from. */
static bool
attach_cut_payloads (loader *l, Onnx__ModelProto *model, const cnn_onnx_skeleton *skel)
{
  Onnx__GraphProto *gp = model->graph;

  if (gp == NULL || gp->n_initializer != skel->n_initializers)
    return false;
  for (size_t i = 0; i < gp->n_initializer; i++) {
    Onnx__TensorProto *t = gp->initializer[i];
    if (skel->raw_len[i] == 0)
      continue;
    if (t->has_raw_data)        /* it had one raw_data field, and that was cut */
      return false;
    t->has_raw_data = 1;
    t->raw_data.data = (uint8_t *) l->tensors.file + skel->raw_offset[i];
    t->raw_data.len = skel->raw_len[i];
  }
  return true;
}

/* Before protobuf-c frees the decoded model: what points into the file is not its to free. */
static void
detach_cut_payloads (const loader *l, Onnx__ModelProto *model)
{
  Onnx__GraphProto *gp = model->graph;

  for (size_t i = 0; gp != NULL && i < gp->n_initializer; i++)
    if (cnn_onnx_in_file (&l->tensors, gp->initializer[i]->raw_data.data)) {
      gp->initializer[i]->raw_data.data = NULL;
      gp->initializer[i]->raw_data.len = 0;
    }
}

/* Decodes the skeleton when the file has large raw_data payloads (see onnx-skeleton.h), else
 * the file itself. */
static Onnx__ModelProto *
unpack_model (loader *l, ProtobufCAllocator *allocator, const uint8_t *data, size_t size)
{
  cnn_onnx_skeleton skel;
  Onnx__ModelProto *model;

  if (!cnn_onnx_skeleton_build (data, size, &skel))
    return onnx__model_proto__unpack (allocator, size, data);
  model = onnx__model_proto__unpack (allocator, skel.size, skel.data);
  if (model != NULL && !attach_cut_payloads (l, model, &skel)) {
    detach_cut_payloads (l, model);
    onnx__model_proto__free_unpacked (model, allocator);
    model = onnx__model_proto__unpack (allocator, size, data);
  }
  cnn_onnx_skeleton_free (&skel);
  return model;
}

static cnn_status
load_impl (const void *data, size_t size, const char *source, const cnn_options *options,
    bool release_file, cnn_graph **graph, cnn_error *err)
{
  alloc_state as = { false };
  ProtobufCAllocator allocator = { pb_alloc, pb_free, &as };
  Onnx__ModelProto *model = NULL;
  const Onnx__GraphProto *gp;
  loader l = { 0 };
  int64_t opset = 1;            /* what a model without opset_import meant (IR < 3) */
  bool has_default_opset = false;
  uint64_t max_file;
  cnn_status status = CNN_STATUS_OK;

  if (!source)
    source = "<memory>";
  if (!graph || (!data && size > 0)) {
    status = cnn_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "%s: no model data", source);
    goto error;
  }
  cnn_options limits = cnn_options_resolve (options);
  max_file = limits.max_file_bytes;
  l.tensors.max_const_bytes = limits.max_memory_bytes;
  if (size == 0) {
    status = cnn_set_error (err, CNN_STATUS_PARSE_ERROR,
        "%s: not a valid ONNX model (the file is empty)", source);
    goto error;
  }
  if ((uint64_t) size > max_file) {
    char size_s[32], limit_s[32];
    status = cnn_set_error (err, CNN_STATUS_LIMIT_EXCEEDED,
        "%s: the file has %s, more than the limit of %s (max_file_bytes)", source,
        cnn_onnx_format_bytes (size_s, sizeof size_s, size), cnn_onnx_format_bytes (limit_s, sizeof limit_s,
            max_file));
    goto error;
  }

  l.tensors.file = data;
  l.tensors.file_size = size;
  l.tensors.release_file = release_file;
  model = unpack_model (&l, &allocator, data, size);
  if (!model) {
    if (as.failed)
      status = cnn_set_error (err, CNN_STATUS_OUT_OF_MEMORY,
          "%s: out of memory while decoding the model", source);
    else
      status = cnn_set_error (err, CNN_STATUS_PARSE_ERROR,
          "%s: not a valid ONNX model (protobuf decoding failed)", source);
    goto error;
  }

  for (size_t i = 0; i < model->n_opset_import; i++)
    if (is_default_domain (model->opset_import[i]->domain)) {
      has_default_opset = true;
      if (model->opset_import[i]->has_version)
        opset = model->opset_import[i]->version;
    }
  if (!has_default_opset && model->n_opset_import > 0) {
    /* Only other domains imported, e.g. ai.onnx.preview.training. */
    status = cnn_set_error (err, CNN_STATUS_UNSUPPORTED,
        "%s: the model imports no opset of the standard ONNX domain, only '%s': only standard "
        "ONNX operators are supported", source,
        str_or_empty (model->opset_import[0]->domain));
    goto error;
  }
  if (opset < CNN_ONNX_MIN_OPSET) {
    status = cnn_set_error (err, CNN_STATUS_UNSUPPORTED,
        "%s: the model uses ONNX opset %" PRId64 "; opset %d or newer is needed (convert it "
        "with onnx.version_converter)", source, opset, CNN_ONNX_MIN_OPSET);
    goto error;
  }

  gp = model->graph;
  if (!gp) {
    status = cnn_set_error (err, CNN_STATUS_INVALID_MODEL,
        "%s: not a valid ONNX model (it contains no graph)", source);
    goto error;
  }
  if (gp->n_node > MAX_COUNT || gp->n_initializer > MAX_COUNT || gp->n_input > MAX_COUNT
      || gp->n_output > MAX_COUNT) {
    status = cnn_set_error (err, CNN_STATUS_LIMIT_EXCEEDED,
        "%s: the graph has %zu nodes, %zu initializers, %zu inputs and %zu outputs, more than "
        "%d of one kind", source, gp->n_node, gp->n_initializer, gp->n_input, gp->n_output,
        MAX_COUNT);
    goto error;
  }

  l.g = cnn_graph_new (source, options);
  if (!l.g) {
    status = cnn_set_error (err, CNN_STATUS_OUT_OF_MEMORY, "%s: out of memory", source);
    goto error;
  }
  l.tensors.allocator = &allocator;
  l.tensors.g = l.g;
  l.g->opset = opset;
  free (l.g->name);
  l.g->name = dup_string (str_or_empty (gp->name));
  if (!l.g->name) {
    status = cnn_graph_error (err, l.g, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
    goto error;
  }

  if ((status = load_metadata (&l, model, err)) != CNN_STATUS_OK
      || (status = load_initializers (&l, gp, err)) != CNN_STATUS_OK
      || (status = load_inputs (&l, gp, err)) != CNN_STATUS_OK
      || (status = load_outputs (&l, gp, err)) != CNN_STATUS_OK
      || (status = load_nodes (&l, gp, err)) != CNN_STATUS_OK
      || (status = check_links (&l, err)) != CNN_STATUS_OK)
    goto error;

  *graph = l.g;
  l.g = NULL;

error:
  if (l.g)
    cnn_graph_free (l.g);
  if (model) {
    detach_cut_payloads (&l, model);
    onnx__model_proto__free_unpacked (model, &allocator);
  }
  free (l.producer);
  free (l.ids);
  return status;
}

cnn_status
cnn_onnx_load (const void *data, size_t size, const char *source, const cnn_options *options,
    cnn_graph **graph, cnn_error *err)
{
  return load_impl (data, size, source, options, false, graph, err);
}

cnn_status
cnn_onnx_load_owned (void *data, size_t size, const char *source,
    const cnn_options *options, cnn_graph **graph, cnn_error *err)
{
  return load_impl (data, size, source, options, true, graph, err);
}
