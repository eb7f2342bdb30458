/* onnx-skeleton.c — cut the large raw_data payloads out of an ONNX file (see onnx-skeleton.h).
 *
 * Protocol buffer wire format: a field is a varint tag (number << 3 | wire type) and a value —
 * a varint (type 0), 8 bytes (1), a varint length and that many bytes (2) or 4 bytes (5).
 * ModelProto.graph is field 7, GraphProto.initializer field 5, TensorProto.raw_data field 9.
 */
#include "onnx-skeleton.h"

#include <stdlib.h>
#include <string.h>

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LEN = 2, WIRE_FIXED32 = 5 };
enum { MODEL_GRAPH = 7, GRAPH_INITIALIZER = 5, TENSOR_RAW_DATA = 9 };

typedef struct field {
  uint64_t number;
  int wire;
  const uint8_t *start;         /* the tag */
  const uint8_t *length;        /* WIRE_LEN: the length varint */
  const uint8_t *payload;       /* the value (WIRE_LEN: after the length) */
  const uint8_t *end;
} field;

static bool
read_varint (const uint8_t **p, const uint8_t *end, uint64_t *v)
{
  uint64_t r = 0;

  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    r |= (uint64_t) (b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = r;
      return true;
    }
  }
  return false;
}

/* The field at *p; false on anything malformed or a group (wire types 3, 4). */
static bool
next_field (const uint8_t **p, const uint8_t *end, field *f)
{
  uint64_t tag, v;

  f->start = *p;
  if (!read_varint (p, end, &tag))
    return false;
  f->number = tag >> 3;
  f->wire = (int) (tag & 7);
  f->length = f->payload = *p;
  switch (f->wire) {
    case WIRE_VARINT:
      if (!read_varint (p, end, &v))
        return false;
      break;
    case WIRE_FIXED64:
      if (end - *p < 8)
        return false;
      *p += 8;
      break;
    case WIRE_LEN:
      if (!read_varint (p, end, &v) || v > (uint64_t) (end - *p))
        return false;
      f->payload = *p;
      *p += v;
      break;
    case WIRE_FIXED32:
      if (end - *p < 4)
        return false;
      *p += 4;
      break;
    default:
      return false;
  }
  f->end = *p;
  return f->number != 0;
}

/* The one raw_data field of a TensorProto payload: 1 found, 0 none, -1 several or malformed. */
static int
find_raw_data (const uint8_t *p, const uint8_t *end, field *raw)
{
  field f;
  int found = 0;

  while (p < end) {
    if (!next_field (&p, end, &f))
      return -1;
    if (f.number == TENSOR_RAW_DATA) {
      if (f.wire != WIRE_LEN || found)
        return -1;
      *raw = f;
      found = 1;
    }
  }
  return found;
}

/* Output that only counts when `out` is NULL, so one walk measures and the next writes. */
typedef struct sink {
  uint8_t *out;
  size_t n;
} sink;

static void
put (sink *s, const uint8_t *src, size_t len)
{
  if (s->out != NULL)
    memcpy (s->out + s->n, src, len);
  s->n += len;
}

static void
put_varint (sink *s, uint64_t v)
{
  uint8_t b[10];
  size_t k = 0;

  do {
    b[k++] = (uint8_t) ((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v != 0);
  put (s, b, k);
}

/* The graph payload with the cut payloads left out. Fields were checked by the analysis. */
static void
emit_graph (sink *s, const field *graph, const cnn_onnx_skeleton *skel)
{
  const uint8_t *p = graph->payload;
  size_t k = 0;
  field f, raw = { 0 };

  while (p < graph->end) {
    next_field (&p, graph->end, &f);
    bool cut = f.number == GRAPH_INITIALIZER && skel->raw_len[k++] > 0;
    if (!cut) {
      put (s, f.start, (size_t) (f.end - f.start));
      continue;
    }
    find_raw_data (f.payload, f.end, &raw);
    put (s, f.start, (size_t) (f.length - f.start));
    put_varint (s, (uint64_t) ((f.end - f.payload) - (raw.end - raw.start)));
    put (s, f.payload, (size_t) (raw.start - f.payload));
    put (s, raw.end, (size_t) (f.end - raw.end));
  }
}

static void
emit_model (sink *s, const uint8_t *data, size_t size, const field *graph,
    const cnn_onnx_skeleton *skel)
{
  sink count = { NULL, 0 };

  emit_graph (&count, graph, skel);
  put (s, data, (size_t) (graph->start - data));
  put (s, graph->start, (size_t) (graph->length - graph->start));
  put_varint (s, count.n);
  emit_graph (s, graph, skel);
  put (s, graph->end, size - (size_t) (graph->end - data));
}

/* Finds the graph and every initializer's raw_data; fills raw_offset/raw_len. */
static bool
analyse (const uint8_t *data, size_t size, field *graph, cnn_onnx_skeleton *skel)
{
  const uint8_t *p = data, *end = data + size;
  field f, raw;
  int graphs = 0;

  while (p < end) {
    if (!next_field (&p, end, &f))
      return false;
    if (f.number == MODEL_GRAPH) {
      if (f.wire != WIRE_LEN || ++graphs > 1)
        return false;
      *graph = f;
    }
  }
  if (graphs != 1)
    return false;

  for (int pass = 0; pass < 2; pass++) {
    size_t k = 0;
    p = graph->payload;
    while (p < graph->end) {
      if (!next_field (&p, graph->end, &f))
        return false;
      if (f.number != GRAPH_INITIALIZER)
        continue;
      if (f.wire != WIRE_LEN)
        return false;
      if (pass == 1) {
        int found = find_raw_data (f.payload, f.end, &raw);
        size_t len = found == 1 ? (size_t) (raw.end - raw.payload) : 0;
        skel->raw_offset[k] = found == 1 ? (size_t) (raw.payload - data) : 0;
        skel->raw_len[k] = len >= CNN_ONNX_SKELETON_MIN_CUT ? len : 0;
        skel->n_cut += skel->raw_len[k] > 0;
      }
      k++;
    }
    if (pass == 0) {
      skel->n_initializers = k;
      skel->raw_offset = calloc (k + 1, sizeof (size_t));
      skel->raw_len = calloc (k + 1, sizeof (size_t));
      if (skel->raw_offset == NULL || skel->raw_len == NULL)
        return false;
    }
  }
  return skel->n_cut > 0;
}

bool
cnn_onnx_skeleton_build (const uint8_t *data, size_t size, cnn_onnx_skeleton *skel)
{
  field graph;
  sink count = { NULL, 0 };

  memset (skel, 0, sizeof *skel);
  if (data == NULL || !analyse (data, size, &graph, skel))
    goto fail;
  emit_model (&count, data, size, &graph, skel);
  /* +1: protobuf-c is never handed a zero-size buffer it might not like. */
  sink out = { malloc (count.n + 1), 0 };
  if (out.out == NULL)
    goto fail;
  emit_model (&out, data, size, &graph, skel);
  skel->data = out.out;
  skel->size = out.n;
  return true;

fail:
  cnn_onnx_skeleton_free (skel);
  return false;
}

void
cnn_onnx_skeleton_free (cnn_onnx_skeleton *skel)
{
  free (skel->data);
  free (skel->raw_offset);
  free (skel->raw_len);
  memset (skel, 0, sizeof *skel);
}
