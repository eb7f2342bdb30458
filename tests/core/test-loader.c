/* test-loader.c — the ONNX loader on good, broken and hostile input.
 *
 *     test-loader [TESTDATA_DIR | TESTDATA_DIR/node/test_conv_with_strides_padding/model.onnx]
 *
 * TESTDATA_DIR is libonnx-testdata's data directory (default: $CNN_ONNX_TESTDATA, else
 * /usr/share/libonnx-testdata/data); the tests on real files are skipped when it is missing.
 * Every other model is built here with protobuf-c, so each case changes exactly one thing in a
 * known-good model. Run under valgrind to check that failures free everything.
 */
#include "onnx-loader.h"
#include "onnx.pb-c.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOURCE "bad.onnx"

static int failures;
static int checks;

#define CHECK(cond, ...) \
  do { \
    checks++; \
    if (!(cond)) { \
      failures++; \
      fprintf (stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf (stderr, __VA_ARGS__); \
      fputc ('\n', stderr); \
    } \
  } while (0)

/* ---- A small known-good model, built field by field --------------------------------------
 *
 *   X [N,1,4,4] → Conv(W, B) → conv_out → Relu (unnamed) → relu_out ─┐
 *                               Constant 'shape_const' → shape ──────┴→ Reshape → Y
 *
 * W is also listed as a graph input (old exporters do this): it must stay a constant.
 */
typedef struct spec {
  Onnx__ModelProto model;
  Onnx__OperatorSetIdProto opset, *opsets[1];
  Onnx__StringStringEntryProto meta, *metas[1];
  Onnx__GraphProto graph;

  Onnx__ValueInfoProto x, w_in, y, *inputs[2], *outputs[1];
  Onnx__TypeProto x_type, w_type, y_type;
  Onnx__TypeProto__Tensor x_tt, w_tt, y_tt;
  Onnx__TensorShapeProto x_shape;
  Onnx__TensorShapeProto__Dimension x_dims[CNN_MAX_RANK + 1], *x_dimp[CNN_MAX_RANK + 1];

  Onnx__TensorProto w, b, *inits[3];
  int64_t w_dims[CNN_MAX_RANK + 1], b_dims[1];
  unsigned char w_raw[9 * 4];
  float b_data[2];
  Onnx__StringStringEntryProto ext, *exts[1];

  Onnx__NodeProto conv, relu, cst, reshape, *nodes[4];
  char *conv_in[3], *conv_out[1], *relu_in[2], *relu_out[2], *cst_out[1];
  char *reshape_in[2], *reshape_out[1];
  Onnx__AttributeProto kernel, pads, auto_pad, alpha, legacy, tags, value;
  Onnx__AttributeProto *conv_attrs[3], *relu_attrs[3], *cst_attrs[1];
  int64_t kernel_v[2], pads_v[4];
  ProtobufCBinaryData tags_v[2];
  Onnx__TensorProto value_t;
  int64_t value_dims[1], value_data[2];
} spec;

static const float w_values[9] = { 0.5f, -1.0f, 1.5f, -2.0f, 2.5f, -3.0f, 3.5f, -4.0f, 4.5f };

static void
put_le32 (unsigned char *p, float f)
{
  uint32_t u;
  memcpy (&u, &f, 4);
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char) (u >> (8 * i));
}

static void
spec_init (spec *s)
{
  memset (s, 0, sizeof *s);
  onnx__model_proto__init (&s->model);
  s->model.has_ir_version = 1;
  s->model.ir_version = 8;
  s->model.producer_name = (char *) "test-loader";
  onnx__operator_set_id_proto__init (&s->opset);
  s->opset.domain = (char *) "";
  s->opset.has_version = 1;
  s->opset.version = 13;
  s->opsets[0] = &s->opset;
  s->model.n_opset_import = 1;
  s->model.opset_import = s->opsets;
  onnx__string_string_entry_proto__init (&s->meta);
  s->meta.key = (char *) "author";
  s->meta.value = (char *) "test-loader";
  s->metas[0] = &s->meta;
  s->model.n_metadata_props = 1;
  s->model.metadata_props = s->metas;
  s->model.graph = &s->graph;

  onnx__graph_proto__init (&s->graph);
  s->graph.name = (char *) "tiny";

  /* X: float [N, 1, 4, 4] */
  onnx__value_info_proto__init (&s->x);
  s->x.name = (char *) "X";
  onnx__type_proto__init (&s->x_type);
  onnx__type_proto__tensor__init (&s->x_tt);
  s->x_tt.has_elem_type = 1;
  s->x_tt.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  onnx__tensor_shape_proto__init (&s->x_shape);
  for (int i = 0; i < CNN_MAX_RANK + 1; i++) {
    onnx__tensor_shape_proto__dimension__init (&s->x_dims[i]);
    s->x_dims[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    s->x_dims[i].dim_value = 1;
    s->x_dimp[i] = &s->x_dims[i];
  }
  s->x_dims[0].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
  s->x_dims[0].dim_param = (char *) "N";
  s->x_dims[2].dim_value = 4;
  s->x_dims[3].dim_value = 4;
  s->x_shape.n_dim = 4;
  s->x_shape.dim = s->x_dimp;
  s->x_tt.shape = &s->x_shape;
  s->x_type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  s->x_type.tensor_type = &s->x_tt;
  s->x.type = &s->x_type;

  /* W listed as an input too, with its type */
  onnx__value_info_proto__init (&s->w_in);
  s->w_in.name = (char *) "W";
  onnx__type_proto__init (&s->w_type);
  onnx__type_proto__tensor__init (&s->w_tt);
  s->w_tt.has_elem_type = 1;
  s->w_tt.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  s->w_type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  s->w_type.tensor_type = &s->w_tt;
  s->w_in.type = &s->w_type;

  /* Y: float, shape left to inference */
  onnx__value_info_proto__init (&s->y);
  s->y.name = (char *) "Y";
  onnx__type_proto__init (&s->y_type);
  onnx__type_proto__tensor__init (&s->y_tt);
  s->y_tt.has_elem_type = 1;
  s->y_tt.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  s->y_type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  s->y_type.tensor_type = &s->y_tt;
  s->y.type = &s->y_type;

  s->inputs[0] = &s->x;
  s->inputs[1] = &s->w_in;
  s->graph.n_input = 2;
  s->graph.input = s->inputs;
  s->outputs[0] = &s->y;
  s->graph.n_output = 1;
  s->graph.output = s->outputs;

  /* W: float [1, 1, 3, 3] in raw_data; B: float [1] in float_data */
  onnx__tensor_proto__init (&s->w);
  s->w.name = (char *) "W";
  s->w.has_data_type = 1;
  s->w.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  s->w_dims[0] = s->w_dims[1] = 1;
  s->w_dims[2] = s->w_dims[3] = 3;
  s->w.n_dims = 4;
  s->w.dims = s->w_dims;
  for (int i = 0; i < 9; i++)
    put_le32 (s->w_raw + 4 * i, w_values[i]);
  s->w.has_raw_data = 1;
  s->w.raw_data.len = sizeof s->w_raw;
  s->w.raw_data.data = s->w_raw;
  onnx__string_string_entry_proto__init (&s->ext);
  s->ext.key = (char *) "location";
  s->ext.value = (char *) "weights.bin";
  s->exts[0] = &s->ext;

  onnx__tensor_proto__init (&s->b);
  s->b.name = (char *) "B";
  s->b.has_data_type = 1;
  s->b.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  s->b_dims[0] = 1;
  s->b.n_dims = 1;
  s->b.dims = s->b_dims;
  s->b_data[0] = 0.25f;
  s->b.n_float_data = 1;
  s->b.float_data = s->b_data;

  s->inits[0] = &s->w;
  s->inits[1] = &s->b;
  s->graph.n_initializer = 2;
  s->graph.initializer = s->inits;

  /* conv1 = Conv (X, W, B) */
  onnx__node_proto__init (&s->conv);
  s->conv.name = (char *) "conv1";
  s->conv.op_type = (char *) "Conv";
  s->conv_in[0] = (char *) "X";
  s->conv_in[1] = (char *) "W";
  s->conv_in[2] = (char *) "B";
  s->conv.n_input = 3;
  s->conv.input = s->conv_in;
  s->conv_out[0] = (char *) "conv_out";
  s->conv.n_output = 1;
  s->conv.output = s->conv_out;
  onnx__attribute_proto__init (&s->kernel);
  s->kernel.name = (char *) "kernel_shape";
  s->kernel.has_type = 1;
  s->kernel.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
  s->kernel_v[0] = s->kernel_v[1] = 3;
  s->kernel.n_ints = 2;
  s->kernel.ints = s->kernel_v;
  onnx__attribute_proto__init (&s->pads);
  s->pads.name = (char *) "pads";
  s->pads.has_type = 1;
  s->pads.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
  for (int i = 0; i < 4; i++)
    s->pads_v[i] = 1;
  s->pads.n_ints = 4;
  s->pads.ints = s->pads_v;
  onnx__attribute_proto__init (&s->auto_pad);
  s->auto_pad.name = (char *) "auto_pad";
  s->auto_pad.has_type = 1;
  s->auto_pad.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
  s->auto_pad.has_s = 1;
  s->auto_pad.s.len = 6;
  s->auto_pad.s.data = (uint8_t *) "NOTSET";
  s->conv_attrs[0] = &s->kernel;
  s->conv_attrs[1] = &s->pads;
  s->conv_attrs[2] = &s->auto_pad;
  s->conv.n_attribute = 3;
  s->conv.attribute = s->conv_attrs;

  /* Relu, unnamed, with an omitted optional input and output and assorted attribute kinds */
  onnx__node_proto__init (&s->relu);
  s->relu.op_type = (char *) "Relu";
  s->relu_in[0] = (char *) "conv_out";
  s->relu_in[1] = (char *) "";
  s->relu.n_input = 2;
  s->relu.input = s->relu_in;
  s->relu_out[0] = (char *) "relu_out";
  s->relu_out[1] = (char *) "";
  s->relu.n_output = 2;
  s->relu.output = s->relu_out;
  onnx__attribute_proto__init (&s->alpha);
  s->alpha.name = (char *) "alpha";
  s->alpha.has_type = 1;
  s->alpha.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
  s->alpha.has_f = 1;
  s->alpha.f = 0.125f;
  onnx__attribute_proto__init (&s->legacy);
  s->legacy.name = (char *) "legacy";
  s->legacy.has_i = 1;          /* no type field: must be inferred */
  s->legacy.i = -7;
  onnx__attribute_proto__init (&s->tags);
  s->tags.name = (char *) "tags";
  s->tags.has_type = 1;
  s->tags.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
  s->tags_v[0].len = 1;
  s->tags_v[0].data = (uint8_t *) "a";
  s->tags_v[1].len = 2;
  s->tags_v[1].data = (uint8_t *) "bc";
  s->tags.n_strings = 2;
  s->tags.strings = s->tags_v;
  s->relu_attrs[0] = &s->alpha;
  s->relu_attrs[1] = &s->legacy;
  s->relu_attrs[2] = &s->tags;
  s->relu.n_attribute = 3;
  s->relu.attribute = s->relu_attrs;

  /* shape_const = Constant (value = int64 [1, -1]) */
  onnx__node_proto__init (&s->cst);
  s->cst.name = (char *) "shape_const";
  s->cst.op_type = (char *) "Constant";
  s->cst_out[0] = (char *) "shape";
  s->cst.n_output = 1;
  s->cst.output = s->cst_out;
  onnx__tensor_proto__init (&s->value_t);
  s->value_t.has_data_type = 1;
  s->value_t.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
  s->value_dims[0] = 2;
  s->value_t.n_dims = 1;
  s->value_t.dims = s->value_dims;
  s->value_data[0] = 1;
  s->value_data[1] = -1;
  s->value_t.n_int64_data = 2;
  s->value_t.int64_data = s->value_data;
  onnx__attribute_proto__init (&s->value);
  s->value.name = (char *) "value";
  s->value.has_type = 1;
  s->value.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
  s->value.t = &s->value_t;
  s->cst_attrs[0] = &s->value;
  s->cst.n_attribute = 1;
  s->cst.attribute = s->cst_attrs;

  /* reshape = Reshape (relu_out, shape) → Y */
  onnx__node_proto__init (&s->reshape);
  s->reshape.name = (char *) "reshape";
  s->reshape.op_type = (char *) "Reshape";
  s->reshape_in[0] = (char *) "relu_out";
  s->reshape_in[1] = (char *) "shape";
  s->reshape.n_input = 2;
  s->reshape.input = s->reshape_in;
  s->reshape_out[0] = (char *) "Y";
  s->reshape.n_output = 1;
  s->reshape.output = s->reshape_out;

  s->nodes[0] = &s->conv;
  s->nodes[1] = &s->relu;
  s->nodes[2] = &s->cst;
  s->nodes[3] = &s->reshape;
  s->graph.n_node = 4;
  s->graph.node = s->nodes;
}

static unsigned char *
spec_pack (const spec *s, size_t *size)
{
  *size = onnx__model_proto__get_packed_size (&s->model);
  unsigned char *buf = malloc (*size ? *size : 1);
  if (!buf) {
    fprintf (stderr, "out of memory\n");
    exit (2);
  }
  onnx__model_proto__pack (&s->model, buf);
  return buf;
}

static unsigned char *
read_file (const char *path, size_t *size)
{
  FILE *f = fopen (path, "rb");
  unsigned char *buf = NULL;
  long len;

  if (!f)
    return NULL;
  if (fseek (f, 0, SEEK_END) == 0 && (len = ftell (f)) >= 0 && fseek (f, 0, SEEK_SET) == 0) {
    buf = malloc ((size_t) len + 1);
    if (buf && fread (buf, 1, (size_t) len, f) != (size_t) len) {
      free (buf);
      buf = NULL;
    }
    *size = (size_t) len;
  }
  fclose (f);
  return buf;
}

/* ---- helpers ------------------------------------------------------------------------------ */

/* Loads; on failure checks that *graph was not written and the message starts with the source
 * name. Returns the status; *out gets the graph on success. */
static cnn_status
load (const void *data, size_t size, const char *source, const cnn_options *options,
    cnn_graph **out, cnn_error *err)
{
  cnn_graph *sentinel = (cnn_graph *) &failures;
  cnn_graph *g = sentinel;

  memset (err, 0, sizeof *err);
  cnn_status status = cnn_onnx_load (data, size, source, options, &g, err);
  if (status == CNN_STATUS_OK) {
    CHECK (g != sentinel && g != NULL, "%s: OK but no graph", source);
  } else {
    size_t n = strlen (source);
    CHECK (g == sentinel, "%s: *graph written on failure", source);
    CHECK (strncmp (err->message, source, n) == 0 && err->message[n] == ':'
        && strlen (err->message) > n + 10, "%s: message does not start with the source: '%s'",
        source, err->message);
    g = NULL;
  }
  *out = g;
  return status;
}

/* Expects `status` and that the message contains each of the (up to 3) needles. */
static void
expect (const char *what, const void *data, size_t size, const cnn_options *options,
    cnn_status status, const char *n1, const char *n2, const char *n3)
{
  cnn_graph *g;
  cnn_error err;
  cnn_status got = load (data, size, SOURCE, options, &g, &err);
  const char *needles[3] = { n1, n2, n3 };

  CHECK (got == status, "%s: status %s, expected %s (%s)", what, cnn_status_string (got),
      cnn_status_string (status), err.message);
  if (got != CNN_STATUS_OK)
    for (int i = 0; i < 3; i++)
      CHECK (!needles[i] || strstr (err.message, needles[i]), "%s: '%s' not in message '%s'",
          what, needles[i], err.message);
  if (got == status && status != CNN_STATUS_OK)
    printf ("ok  %-36s %s\n", what, err.message);
  cnn_graph_free (g);
}

static void
expect_spec (const char *what, const spec *s, const cnn_options *options, cnn_status status,
    const char *n1, const char *n2, const char *n3)
{
  size_t size;
  unsigned char *buf = spec_pack (s, &size);
  expect (what, buf, size, options, status, n1, n2, n3);
  free (buf);
}

static int
attr_index (const cnn_node *n, const char *name)
{
  for (int i = 0; i < n->n_attrs; i++)
    if (strcmp (n->attrs[i].name, name) == 0)
      return i;
  return -1;
}

/* ---- positive tests ----------------------------------------------------------------------- */

static void
test_good_model (void)
{
  spec s;
  size_t size;
  cnn_graph *g;
  cnn_error err;

  spec_init (&s);
  unsigned char *buf = spec_pack (&s, &size);
  cnn_status status = load (buf, size, "good.onnx", NULL, &g, &err);
  /* protobuf-c copied everything: the buffer can go before the graph is used. */
  memset (buf, 0xa5, size);
  free (buf);
  CHECK (status == CNN_STATUS_OK, "good model: %s", err.message);
  if (status != CNN_STATUS_OK)
    return;

  CHECK (strcmp (g->source, "good.onnx") == 0, "source '%s'", g->source);
  CHECK (g->name && strcmp (g->name, "tiny") == 0, "graph name");
  CHECK (g->opset == 13, "opset %lld", (long long) g->opset);
  CHECK (g->n_meta == 1 && strcmp (g->meta[0].key, "author") == 0
      && strcmp (g->meta[0].value, "test-loader") == 0, "metadata");

  /* W is listed as an input but is an initializer: only X is a graph input. */
  CHECK (g->n_inputs == 1, "%d inputs", g->n_inputs);
  if (g->n_inputs == 1) {
    const cnn_value *x = &g->values[g->inputs[0]];
    CHECK (strcmp (x->name, "X") == 0 && x->is_input && !x->blob, "input X");
    CHECK (x->dtype == CNN_DTYPE_FLOAT32 && x->rank == 4, "X type %d rank %d", x->dtype, x->rank);
    CHECK (x->dims[0] == -1 && x->dim_names[0] && strcmp (x->dim_names[0], "N") == 0,
        "X dim 0 is N");
    CHECK (x->dims[1] == 1 && x->dims[2] == 4 && x->dims[3] == 4 && !x->dim_names[1],
        "X dims");
  }
  CHECK (g->n_outputs == 1, "%d outputs", g->n_outputs);
  if (g->n_outputs == 1) {
    const cnn_value *y = &g->values[g->outputs[0]];
    CHECK (strcmp (y->name, "Y") == 0 && y->is_output && y->dtype == CNN_DTYPE_FLOAT32
        && y->rank == -1, "output Y");
  }

  int w = cnn_graph_find_value (g, "W"), b = cnn_graph_find_value (g, "B");
  CHECK (w >= 0 && g->values[w].blob && !g->values[w].is_input, "W is a constant");
  if (w >= 0 && g->values[w].blob) {
    const cnn_value *v = &g->values[w];
    CHECK (v->dtype == CNN_DTYPE_FLOAT32 && v->rank == 4 && v->dims[2] == 3 && v->dims[3] == 3
        && v->blob->size == 36, "W shape");
    CHECK (memcmp (v->blob->data, w_values, sizeof w_values) == 0, "W data from raw_data");
  }
  CHECK (b >= 0 && g->values[b].blob && g->values[b].rank == 1
      && ((float *) g->values[b].blob->data)[0] == 0.25f, "B data from float_data");

  CHECK (g->n_nodes == 4, "%d nodes", g->n_nodes);
  if (g->n_nodes != 4) {
    cnn_graph_free (g);
    return;
  }
  const cnn_node *conv = &g->nodes[0], *relu = &g->nodes[1], *cst = &g->nodes[2],
      *reshape = &g->nodes[3];
  CHECK (strcmp (conv->name, "conv1") == 0 && strcmp (conv->op_type, "Conv") == 0
      && strcmp (conv->domain, "") == 0, "conv node");
  CHECK (conv->n_inputs == 3 && conv->inputs[1] == w && conv->inputs[2] == b, "conv inputs");
  const int64_t *ints;
  CHECK (cnn_node_attr_ints (conv, "kernel_shape", &ints) == 2 && ints[0] == 3 && ints[1] == 3,
      "kernel_shape");
  CHECK (cnn_node_attr_ints (conv, "pads", &ints) == 4 && ints[3] == 1, "pads");
  CHECK (strcmp (cnn_node_attr_string (conv, "auto_pad", "?"), "NOTSET") == 0, "auto_pad");

  CHECK (strcmp (relu->name, "Relu_1") == 0, "unnamed node got name '%s'", relu->name);
  CHECK (relu->n_inputs == 2 && relu->inputs[0] == conv->outputs[0] && relu->inputs[1] == -1,
      "omitted optional input is -1");
  CHECK (relu->n_outputs == 1, "trailing omitted output dropped (%d outputs)", relu->n_outputs);
  CHECK (cnn_node_attr_float (relu, "alpha", 0) == 0.125f, "FLOAT attribute");
  CHECK (cnn_node_attr_int (relu, "legacy", 0) == -7, "INT attribute without type field");
  int t = attr_index (relu, "tags");
  CHECK (t >= 0 && relu->attrs[t].type == CNN_ATTR_STRINGS && relu->attrs[t].count == 2
      && strcmp (relu->attrs[t].strings[1], "bc") == 0, "STRINGS attribute");

  int v = attr_index (cst, "value");
  CHECK (v >= 0 && cst->attrs[v].type == CNN_ATTR_TENSOR, "TENSOR attribute");
  if (v >= 0 && cst->attrs[v].tensor >= 0) {
    const cnn_value *c = &g->values[cst->attrs[v].tensor];
    CHECK (c->blob && c->dtype == CNN_DTYPE_INT64 && c->rank == 1 && c->dims[0] == 2
        && ((int64_t *) c->blob->data)[1] == -1, "TENSOR attribute value");
  }
  CHECK (reshape->n_inputs == 2 && reshape->inputs[1] == cst->outputs[0]
      && reshape->outputs[0] == g->outputs[0], "reshape links");
  cnn_graph_free (g);
}

/* An empty output name before a used one gets its own anonymous value. */
static void
test_anonymous_output (void)
{
  spec s;
  size_t size;
  cnn_graph *g;
  cnn_error err;

  spec_init (&s);
  s.relu_out[0] = (char *) "";
  s.relu_out[1] = (char *) "relu_out";
  unsigned char *buf = spec_pack (&s, &size);
  cnn_status status = load (buf, size, "anon.onnx", NULL, &g, &err);
  free (buf);
  CHECK (status == CNN_STATUS_OK, "anonymous output: %s", err.message);
  if (status != CNN_STATUS_OK)
    return;
  const cnn_node *relu = &g->nodes[1];
  CHECK (relu->n_outputs == 2 && relu->outputs[0] >= 0 && relu->outputs[0] != relu->outputs[1]
      && g->values[relu->outputs[0]].name[0] == '\0'
      && relu->outputs[1] == cnn_graph_find_value (g, "relu_out"), "anonymous output value");
  cnn_graph_free (g);
}

/* Initializer element types that are converted or copied. */
static void
test_tensor_types (void)
{
  spec s;
  size_t size;
  cnn_graph *g;
  cnn_error err;
  double dd[1] = { -0.75 };
  unsigned char bool_raw[2] = { 0, 7 };
  int32_t bool_i32[2] = { 0, 3 }, i32[2] = { -5, 9 };
  unsigned char i32_raw[8] = { 0xfb, 0xff, 0xff, 0xff, 9, 0, 0, 0 };
  unsigned char d_raw[8];
  double d = 2.5;
  uint64_t du;

  memcpy (&du, &d, 8);
  for (int i = 0; i < 8; i++)
    d_raw[i] = (unsigned char) (du >> (8 * i));

  struct {
    const char *what;
    int32_t type;
    int n;              /* elements */
    int field;          /* 0 raw, 1 double_data, 2 int32_data */
    const void *data;
    size_t raw_len;
    cnn_dtype dtype;
    double expect[2];
  } cases[] = {
    { "DOUBLE double_data → float", ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, 1, 1, dd, 0,
      CNN_DTYPE_FLOAT32, { -0.75, 0 } },
    { "DOUBLE raw_data → float", ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, 1, 0, d_raw, 8,
      CNN_DTYPE_FLOAT32, { 2.5, 0 } },
    { "BOOL raw_data", ONNX__TENSOR_PROTO__DATA_TYPE__BOOL, 2, 0, bool_raw, 2,
      CNN_DTYPE_BOOL, { 0, 1 } },
    { "BOOL int32_data", ONNX__TENSOR_PROTO__DATA_TYPE__BOOL, 2, 2, bool_i32, 0,
      CNN_DTYPE_BOOL, { 0, 1 } },
    { "INT32 int32_data", ONNX__TENSOR_PROTO__DATA_TYPE__INT32, 2, 2, i32, 0,
      CNN_DTYPE_INT32, { -5, 9 } },
    { "INT32 raw_data", ONNX__TENSOR_PROTO__DATA_TYPE__INT32, 2, 0, i32_raw, 8,
      CNN_DTYPE_INT32, { -5, 9 } },
  };

  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    spec_init (&s);
    s.b.data_type = cases[c].type;
    s.b_dims[0] = cases[c].n;
    s.b.n_float_data = 0;
    if (cases[c].field == 0) {
      s.b.has_raw_data = 1;
      s.b.raw_data.len = cases[c].raw_len;
      s.b.raw_data.data = (uint8_t *) cases[c].data;
    } else if (cases[c].field == 1) {
      s.b.n_double_data = (size_t) cases[c].n;
      s.b.double_data = (double *) cases[c].data;
    } else {
      s.b.n_int32_data = (size_t) cases[c].n;
      s.b.int32_data = (int32_t *) cases[c].data;
    }
    unsigned char *buf = spec_pack (&s, &size);
    cnn_status status = load (buf, size, "types.onnx", NULL, &g, &err);
    free (buf);
    CHECK (status == CNN_STATUS_OK, "%s: %s", cases[c].what, err.message);
    if (status != CNN_STATUS_OK)
      continue;
    const cnn_value *v = &g->values[cnn_graph_find_value (g, "B")];
    CHECK (v->dtype == cases[c].dtype && v->blob->size == cnn_dtype_size (v->dtype)
        * (size_t) cases[c].n, "%s: dtype/size", cases[c].what);
    for (int i = 0; i < cases[c].n; i++) {
      double got = v->dtype == CNN_DTYPE_FLOAT32 ? ((float *) v->blob->data)[i]
          : v->dtype == CNN_DTYPE_INT32 ? ((int32_t *) v->blob->data)[i]
          : ((uint8_t *) v->blob->data)[i];
      CHECK (got == cases[c].expect[i], "%s: element %d is %g, expected %g", cases[c].what, i,
          got, cases[c].expect[i]);
    }
    cnn_graph_free (g);
  }
}

/* ---- one broken thing at a time ----------------------------------------------------------- */

static void
test_bad_models (void)
{
  spec s;
  cnn_options opts = cnn_options_default ();
  int64_t x9[CNN_MAX_RANK + 1];
  float two[2] = { 1, 2 };

  expect ("empty file", "", 0, NULL, CNN_STATUS_PARSE_ERROR, "empty", NULL, NULL);
  expect ("NULL data", NULL, 10, NULL, CNN_STATUS_INVALID_ARGUMENT, NULL, NULL, NULL);
  expect ("text file", "hello, world\n", 13, NULL, CNN_STATUS_PARSE_ERROR,
      "not a valid ONNX model", NULL, NULL);

  spec_init (&s);
  s.model.graph = NULL;
  expect_spec ("no graph", &s, NULL, CNN_STATUS_INVALID_MODEL, "no graph", NULL, NULL);

  spec_init (&s);
  s.opset.version = 0;
  expect_spec ("opset 0", &s, NULL, CNN_STATUS_UNSUPPORTED, "opset 0", NULL, NULL);
  spec_init (&s);
  s.opset.version = 6;
  expect_spec ("opset 6", &s, NULL, CNN_STATUS_OK, NULL, NULL, NULL);
  spec_init (&s);
  s.model.n_opset_import = 0;           /* IR < 3: opset 1 */
  expect_spec ("no opset_import", &s, NULL, CNN_STATUS_OK, NULL, NULL, NULL);
  spec_init (&s);
  s.opset.domain = (char *) "ai.onnx";
  s.opset.version = 18;
  expect_spec ("opset 18 as 'ai.onnx'", &s, NULL, CNN_STATUS_OK, NULL, NULL, NULL);

  spec_init (&s);
  s.relu.domain = (char *) "com.microsoft";
  expect_spec ("non-default domain", &s, NULL, CNN_STATUS_UNSUPPORTED, "'Relu_1' (Relu",
      "com.microsoft", NULL);
  spec_init (&s);
  s.opset.domain = (char *) "ai.onnx.preview.training";
  expect_spec ("only a non-default opset", &s, NULL, CNN_STATUS_UNSUPPORTED,
      "ai.onnx.preview.training", NULL, NULL);

  spec_init (&s);
  s.conv.op_type = NULL;
  expect_spec ("node without op_type", &s, NULL, CNN_STATUS_INVALID_MODEL, "'conv1'",
      "op_type", NULL);
  spec_init (&s);
  s.conv.name = NULL;
  s.conv.op_type = NULL;
  expect_spec ("unnamed node without op_type", &s, NULL, CNN_STATUS_INVALID_MODEL, "'node_0'",
      "op_type", NULL);

  /* Initializer contents */
  spec_init (&s);
  s.w.raw_data.len = 35;
  expect_spec ("raw_data too short", &s, NULL, CNN_STATUS_INVALID_MODEL, "initializer 'W'",
      "[1,1,3,3]", "35 bytes");
  spec_init (&s);
  s.b.n_float_data = 2;
  s.b.float_data = two;
  expect_spec ("float_data count", &s, NULL, CNN_STATUS_INVALID_MODEL, "initializer 'B'",
      "2 values", NULL);
  spec_init (&s);
  s.b.n_float_data = 0;
  expect_spec ("no data", &s, NULL, CNN_STATUS_INVALID_MODEL, "initializer 'B'", "no data",
      NULL);
  spec_init (&s);
  s.w.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16;
  expect_spec ("FLOAT16 initializer", &s, NULL, CNN_STATUS_UNSUPPORTED, "'W'", "FLOAT16", NULL);
  spec_init (&s);
  s.b_dims[0] = 0;
  s.b.n_float_data = 0;
  expect_spec ("empty initializer", &s, NULL, CNN_STATUS_OK, NULL, NULL, NULL);
  spec_init (&s);
  s.w.has_data_type = 0;
  expect_spec ("no data_type", &s, NULL, CNN_STATUS_INVALID_MODEL, "'W'", "data type", NULL);
  spec_init (&s);
  s.w.name = (char *) "";
  expect_spec ("unnamed initializer", &s, NULL, CNN_STATUS_INVALID_MODEL, "initializer 0",
      NULL, NULL);
  spec_init (&s);
  s.b.name = (char *) "W";
  expect_spec ("duplicate initializer", &s, NULL, CNN_STATUS_INVALID_MODEL, "'W'", "twice",
      NULL);

  /* External data: with the location field and with only data_location */
  spec_init (&s);
  s.w.n_external_data = 1;
  s.w.external_data = s.exts;
  s.w.has_data_location = 1;
  s.w.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  s.w.has_raw_data = 0;
  expect_spec ("external data", &s, NULL, CNN_STATUS_UNSUPPORTED, "'W'", "weights.bin",
      "external");
  spec_init (&s);
  s.w.has_data_location = 1;
  s.w.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  expect_spec ("data_location only", &s, NULL, CNN_STATUS_UNSUPPORTED, "'W'", "external", NULL);

  /* Sizes: checked before anything is allocated */
  spec_init (&s);
  s.w_dims[0] = (INT64_C (1) << 31) + 1;
  expect_spec ("dim > 2^31", &s, NULL, CNN_STATUS_LIMIT_EXCEEDED, "'W'", "2147483649", NULL);
  spec_init (&s);
  s.w_dims[0] = s.w_dims[1] = 65536;
  s.w_dims[2] = 65536;
  expect_spec ("2^48 elements", &s, NULL, CNN_STATUS_LIMIT_EXCEEDED, "'W'", "2^32", NULL);
  spec_init (&s);
  s.w_dims[0] = INT64_C (1) << 31;
  s.w_dims[1] = s.w_dims[2] = INT64_C (1) << 31;
  s.w_dims[3] = INT64_C (1) << 31;
  expect_spec ("element count overflows 64 bits", &s, NULL, CNN_STATUS_LIMIT_EXCEEDED, "'W'",
      NULL, NULL);
  spec_init (&s);
  s.w_dims[0] = INT64_C (1) << 30;
  s.w_dims[1] = 4;
  s.w_dims[2] = s.w_dims[3] = 1;
  expect_spec ("16 GiB claimed, 36 bytes present", &s, NULL, CNN_STATUS_INVALID_MODEL, "'W'",
      "raw_data", NULL);
  spec_init (&s);
  s.w_dims[0] = -1;
  expect_spec ("negative dim", &s, NULL, CNN_STATUS_INVALID_MODEL, "'W'", "negative", NULL);
  spec_init (&s);
  for (int i = 0; i < CNN_MAX_RANK + 1; i++)
    x9[i] = 1;
  s.b.n_dims = CNN_MAX_RANK + 1;
  s.b.dims = x9;
  expect_spec ("initializer rank 9", &s, NULL, CNN_STATUS_UNSUPPORTED, "'B'", "9 dimensions",
      NULL);

  /* Memory limit counts initializers and tensor attributes */
  spec_init (&s);
  opts.max_memory_bytes = 32;
  expect_spec ("weights over max_memory_bytes", &s, &opts, CNN_STATUS_LIMIT_EXCEEDED, "'W'",
      "36 bytes", "limit of 32 bytes");
  opts.max_memory_bytes = 40 + 8;
  expect_spec ("tensor attribute over the limit", &s, &opts, CNN_STATUS_LIMIT_EXCEEDED,
      "'shape_const' (Constant", "attribute 'value'", "56 bytes");
  opts.max_memory_bytes = 40 + 16;
  expect_spec ("weights exactly at the limit", &s, &opts, CNN_STATUS_OK, NULL, NULL, NULL);
  opts = cnn_options_default ();
  opts.max_file_bytes = 64;
  expect_spec ("file over max_file_bytes", &s, &opts, CNN_STATUS_LIMIT_EXCEEDED,
      "max_file_bytes", NULL, NULL);

  /* Tensor attributes use the same checks */
  spec_init (&s);
  s.value_t.n_int64_data = 1;
  expect_spec ("bad Constant tensor", &s, NULL, CNN_STATUS_INVALID_MODEL,
      "node 'shape_const' (Constant, opset 13): attribute 'value'", "int64_data has 1", NULL);
  spec_init (&s);
  s.value.t = NULL;
  expect_spec ("TENSOR attribute without tensor", &s, NULL, CNN_STATUS_INVALID_MODEL,
      "'shape_const'", "no tensor", NULL);
  spec_init (&s);
  s.kernel.name = NULL;
  expect_spec ("attribute without name", &s, NULL, CNN_STATUS_INVALID_MODEL, "'conv1' (Conv",
      "no name", NULL);

  /* Graph inputs and outputs */
  spec_init (&s);
  s.x_tt.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16;
  expect_spec ("FLOAT16 input", &s, NULL, CNN_STATUS_UNSUPPORTED, "input 'X'", "FLOAT16", NULL);
  spec_init (&s);
  s.x_shape.n_dim = CNN_MAX_RANK + 1;
  expect_spec ("input rank 9", &s, NULL, CNN_STATUS_UNSUPPORTED, "input 'X'", "9 dimensions",
      NULL);
  spec_init (&s);
  s.x_dims[3].dim_value = INT64_C (1) << 40;
  expect_spec ("input dim 2^40", &s, NULL, CNN_STATUS_LIMIT_EXCEEDED, "input 'X'", NULL, NULL);
  spec_init (&s);
  s.x.type = NULL;
  expect_spec ("input without type", &s, NULL, CNN_STATUS_INVALID_MODEL, "input 'X'", "no type",
      NULL);
  spec_init (&s);
  s.x_type.value_case = ONNX__TYPE_PROTO__VALUE__NOT_SET;
  expect_spec ("input not a tensor", &s, NULL, CNN_STATUS_UNSUPPORTED, "input 'X'", "tensor",
      NULL);
  spec_init (&s);
  s.inputs[1] = &s.x;
  expect_spec ("input listed twice", &s, NULL, CNN_STATUS_INVALID_MODEL, "'X'", "twice", NULL);
  spec_init (&s);
  s.graph.n_output = 0;
  expect_spec ("no outputs", &s, NULL, CNN_STATUS_INVALID_MODEL, "no outputs", NULL, NULL);
  spec_init (&s);
  s.y.name = (char *) "nowhere";
  expect_spec ("output nobody computes", &s, NULL, CNN_STATUS_INVALID_MODEL, "'nowhere'", NULL,
      NULL);
  spec_init (&s);
  s.cst_out[0] = (char *) "";   /* first node without inputs or outputs (fuzzer find) */
  s.reshape_in[1] = (char *) "";
  s.nodes[0] = &s.cst;
  s.nodes[2] = &s.conv;
  expect_spec ("node with no inputs or outputs", &s, NULL, CNN_STATUS_OK, NULL, NULL, NULL);
  spec_init (&s);
  s.y.type = NULL;
  expect_spec ("output without type", &s, NULL, CNN_STATUS_OK, NULL, NULL, NULL);

  /* Links between nodes */
  spec_init (&s);
  s.reshape_in[1] = (char *) "missing";
  expect_spec ("input nobody computes", &s, NULL, CNN_STATUS_INVALID_MODEL, "'reshape' (Reshape",
      "'missing'", NULL);
  spec_init (&s);
  s.relu_out[0] = (char *) "conv_out";
  expect_spec ("two nodes write one value", &s, NULL, CNN_STATUS_INVALID_MODEL, "'Relu_1'",
      "'conv1' (Conv)", "'conv_out'");
  spec_init (&s);
  s.relu_out[1] = (char *) "relu_out";
  expect_spec ("output listed twice", &s, NULL, CNN_STATUS_INVALID_MODEL, "'Relu_1'", "twice",
      NULL);
  spec_init (&s);
  s.cst_out[0] = (char *) "B";
  expect_spec ("node writes an initializer", &s, NULL, CNN_STATUS_INVALID_MODEL,
      "'shape_const' (Constant", "initializer", NULL);
  spec_init (&s);
  s.cst_out[0] = (char *) "X";
  expect_spec ("node writes a graph input", &s, NULL, CNN_STATUS_INVALID_MODEL,
      "'shape_const' (Constant", "input", NULL);
}

/* ---- corrupt bytes ------------------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t
rng (void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* Loads every prefix and every single-bit flip of `data`: anything but a crash or a leak is
 * fine, but failures must come with a message. Returns how many variants loaded. */
static int
mutate (const char *what, const unsigned char *data, size_t size)
{
  unsigned char *buf = malloc (size);
  cnn_graph *g;
  cnn_error err;
  int loaded = 0, truncated_ok = 0;

  for (size_t len = 0; len < size; len++) {
    /* A copy of exactly `len` bytes, so valgrind sees any read past the end. */
    unsigned char *prefix = malloc (len ? len : 1);
    memcpy (prefix, data, len);
    if (load (prefix, len, "truncated.onnx", NULL, &g, &err) == CNN_STATUS_OK) {
      truncated_ok++;
      cnn_graph_free (g);
    }
    free (prefix);
  }
  for (size_t i = 0; i < size; i++) {
    for (int bit = 0; bit < 8; bit++) {
      memcpy (buf, data, size);
      buf[i] ^= (unsigned char) (1u << bit);
      if (load (buf, size, "flipped.onnx", NULL, &g, &err) == CNN_STATUS_OK) {
        loaded++;
        cnn_graph_free (g);
      }
    }
  }
  printf ("ok  %-36s %zu truncations (%d loaded), %zu bit flips (%d loaded)\n", what, size,
      truncated_ok, size * 8, loaded);
  free (buf);
  return loaded;
}

static void
test_corrupt (const unsigned char *real, size_t real_size)
{
  spec s;
  size_t size;
  cnn_graph *g;
  cnn_error err;

  spec_init (&s);
  unsigned char *buf = spec_pack (&s, &size);
  mutate ("synthetic model mutations", buf, size);
  free (buf);
  if (real)
    mutate ("real model mutations", real, real_size);

  int random_ok = 0;
  for (int round = 0; round < 2000; round++) {
    size_t len = 1 + (size_t) (rng () % 512);
    unsigned char *r = malloc (len);
    for (size_t i = 0; i < len; i++)
      r[i] = (unsigned char) rng ();
    /* Half the time start like a real model, so decoding gets further. */
    if (round % 2 && len > 2) {
      r[0] = 0x08;
      r[1] = 0x08;
    }
    if (load (r, len, "random.onnx", NULL, &g, &err) == CNN_STATUS_OK) {
      random_ok++;
      cnn_graph_free (g);
    }
    free (r);
  }
  CHECK (random_ok == 0, "%d random byte strings loaded as models", random_ok);
  printf ("ok  %-36s 2000 random byte strings rejected\n", "random bytes");
}

/* ---- real files --------------------------------------------------------------------------- */

static void
test_real (const char *dir, unsigned char **real, size_t *real_size)
{
  char path[1024];
  cnn_graph *g;
  cnn_error err;
  size_t size;

  snprintf (path, sizeof path, "%s/node/test_conv_with_strides_padding/model.onnx", dir);
  unsigned char *data = read_file (path, &size);
  if (!data) {
    printf ("SKIP real models: cannot read %s\n", path);
    return;
  }
  cnn_status status = load (data, size, path, NULL, &g, &err);
  CHECK (status == CNN_STATUS_OK, "%s", err.message);
  if (status == CNN_STATUS_OK) {
    CHECK (g->opset == 11, "opset %lld", (long long) g->opset);
    CHECK (g->n_inputs == 2 && g->n_outputs == 1 && g->n_nodes == 1, "conv model io");
    if (g->n_inputs == 2 && g->n_nodes == 1) {
      const cnn_value *x = &g->values[g->inputs[0]], *w = &g->values[g->inputs[1]];
      CHECK (strcmp (x->name, "x") == 0 && x->rank == 4 && x->dims[2] == 7 && x->dims[3] == 5,
          "x");
      CHECK (strcmp (w->name, "W") == 0 && w->rank == 4 && w->dims[2] == 3, "W");
      const cnn_node *n = &g->nodes[0];
      const int64_t *ints;
      CHECK (strcmp (n->op_type, "Conv") == 0, "Conv");
      CHECK (cnn_node_attr_ints (n, "strides", &ints) == 2 && ints[0] == 2, "strides");
      CHECK (cnn_node_attr_ints (n, "pads", &ints) == 4 && ints[0] == 1, "pads");
      /* Unnamed in the file */
      CHECK (strcmp (n->name, "Conv_0") == 0, "name '%s'", n->name);
    }
    cnn_graph_free (g);
  }
  *real = data;
  *real_size = size;

  /* A PyTorch export with initializers, at opset 6: it loads, opset recorded. */
  snprintf (path, sizeof path, "%s/pytorch-converted/test_Conv2d/model.onnx", dir);
  data = read_file (path, &size);
  if (data) {
    g = NULL;
    status = load (data, size, path, NULL, &g, &err);
    CHECK (status == CNN_STATUS_OK && g != NULL && g->opset == 6, "%s",
        status == CNN_STATUS_OK ? "wrong opset" : err.message);
    cnn_graph_free (g);
    free (data);
  }

  /* Every node test model loads or fails cleanly with a message (checked in load()). */
  int ok = 0, total = 0, counts[CNN_STATUS_COUNT] = { 0 };
  snprintf (path, sizeof path, "%s/node", dir);
  DIR *list = opendir (path);
  struct dirent *entry;
  while (list && (entry = readdir (list))) {
    if (entry->d_name[0] == '.')
      continue;
    snprintf (path, sizeof path, "%s/node/%s/model.onnx", dir, entry->d_name);
    data = read_file (path, &size);
    if (!data)
      continue;
    total++;
    status = load (data, size, path, NULL, &g, &err);
    counts[status]++;
    if (status == CNN_STATUS_OK)
      ok++;
    cnn_graph_free (g);
    free (data);
  }
  if (list)
    closedir (list);
  printf ("ok  %-36s %d of %d load; refused: %d parse, %d invalid, %d unsupported\n",
      "libonnx-testdata node models", ok, total, counts[CNN_STATUS_PARSE_ERROR],
      counts[CNN_STATUS_INVALID_MODEL], counts[CNN_STATUS_UNSUPPORTED]);
  CHECK (total == 0 || ok > total / 2, "only %d of %d node models load", ok, total);
  CHECK (counts[CNN_STATUS_PARSE_ERROR] == 0, "valid files failed to decode");
}

int
main (int argc, char **argv)
{
  const char *arg = argc > 1 ? argv[1] : getenv ("CNN_ONNX_TESTDATA");
  const char *model_suffix = "/node/test_conv_with_strides_padding/model.onnx";
  unsigned char *real = NULL;
  size_t real_size = 0;
  char dir[512];

  if (!arg || !*arg)
    arg = "/usr/share/libonnx-testdata/data";
  snprintf (dir, sizeof dir, "%s", arg);
  /* Given the conv model itself: the data directory is three levels up. */
  size_t len = strlen (dir), suffix_len = strlen (model_suffix);
  if (len >= suffix_len && strcmp (dir + len - suffix_len, model_suffix) == 0)
    dir[len - suffix_len] = '\0';

  test_good_model ();
  test_anonymous_output ();
  test_tensor_types ();
  test_bad_models ();
  test_real (dir, &real, &real_size);
  test_corrupt (real, real_size);
  free (real);

  if (failures) {
    fprintf (stderr, "%d of %d checks failed\n", failures, checks);
    return 1;
  }
  printf ("all %d checks passed\n", checks);
  return 0;
}
