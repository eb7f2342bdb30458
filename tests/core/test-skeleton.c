/* test-skeleton.c — loading without a second copy of the weights (onnx-skeleton.c and the
 * loader's in-place decoding), on tests/models/classifier.onnx, whose conv2.weight (4608 bytes
 * of raw_data) is large enough to be cut out and its other nine initializers are not.
 *
 *   the skeleton     is the file less that payload, decodes with protobuf-c to the same
 *                    initializers (the cut one without raw_data), and says where the payload is;
 *   loading          through the skeleton, in place (cnn_onnx_load) and on a copy whose pages
 *                    are given back (cnn_onnx_load_owned), gives every initializer exactly the
 *                    bytes protobuf-c decodes from the whole file;
 *   odd layouts      (two graph fields, which protobuf merges; a truncated file) are not cut
 *                    and load as before;
 *   damage           every truncation and single-bit flip of the file through the owned path:
 *                    refused with a message or loaded, never a crash.
 */
#include "graph.h"
#include "onnx-loader.h"
#include "onnx-skeleton.h"
#include "onnx.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void
check (bool ok, const char *what)
{
  printf ("%s %s\n", ok ? "PASS" : "FAIL", what);
  failures += !ok;
}

static uint8_t *
read_file (const char *path, size_t *size)
{
  FILE *f = fopen (path, "rb");
  uint8_t *data = NULL;
  long n;

  if (f == NULL || fseek (f, 0, SEEK_END) != 0 || (n = ftell (f)) <= 0
      || fseek (f, 0, SEEK_SET) != 0 || (data = malloc ((size_t) n)) == NULL
      || fread (data, 1, (size_t) n, f) != (size_t) n) {
    free (data);
    data = NULL;
  }
  if (f != NULL)
    fclose (f);
  *size = data != NULL ? (size_t) n : 0;
  return data;
}

/* Every initializer of `g` holds what protobuf-c decodes from the whole file. */
static bool
same_initializers (const cnn_graph *g, const Onnx__GraphProto *full)
{
  for (size_t i = 0; i < full->n_initializer; i++) {
    const Onnx__TensorProto *t = full->initializer[i];
    int id = cnn_graph_find_value ((cnn_graph *) g, t->name);
    if (id < 0 || g->values[id].blob == NULL || !t->has_raw_data
        || g->values[id].blob->size != t->raw_data.len
        || memcmp (g->values[id].blob->data, t->raw_data.data, t->raw_data.len) != 0) {
      printf ("  initializer '%s' differs\n", t->name);
      return false;
    }
  }
  return true;
}

static void
check_skeleton (const uint8_t *data, size_t size, const Onnx__ModelProto *full)
{
  const Onnx__GraphProto *fg = full->graph;
  cnn_onnx_skeleton skel;
  size_t cut = (size_t) -1;

  check (cnn_onnx_skeleton_build (data, size, &skel), "skeleton built");
  check (skel.n_initializers == fg->n_initializer && skel.n_cut == 1,
      "skeleton: 10 initializers seen, one cut");
  for (size_t i = 0; i < skel.n_initializers && i < fg->n_initializer; i++)
    if (skel.raw_len[i] > 0)
      cut = i;
  check (cut < fg->n_initializer && strcmp (fg->initializer[cut]->name, "conv2.weight") == 0
      && skel.raw_len[cut] == fg->initializer[cut]->raw_data.len
      && memcmp (data + skel.raw_offset[cut], fg->initializer[cut]->raw_data.data,
          skel.raw_len[cut]) == 0, "skeleton: conv2.weight's payload is where it says");
  /* The payload, its tag and 2-byte length go; enclosing lengths may shrink by a byte. */
  check (skel.size <= size - 4608 - 3 && skel.size >= size - 4608 - 3 - 4,
      "skeleton: the file less the payload");

  Onnx__ModelProto *m = onnx__model_proto__unpack (NULL, skel.size, skel.data);
  bool same = m != NULL && m->graph != NULL && m->graph->n_initializer == fg->n_initializer
      && m->graph->n_node == fg->n_node;
  for (size_t i = 0; same && i < fg->n_initializer; i++) {
    const Onnx__TensorProto *a = m->graph->initializer[i], *b = fg->initializer[i];
    same = strcmp (a->name, b->name) == 0 && a->n_dims == b->n_dims
        && a->data_type == b->data_type
        && (i == cut ? !a->has_raw_data : a->raw_data.len == b->raw_data.len
            && memcmp (a->raw_data.data, b->raw_data.data, a->raw_data.len) == 0);
  }
  check (same, "skeleton decodes to the same graph, less one payload");
  if (m != NULL)
    onnx__model_proto__free_unpacked (m, NULL);
  cnn_onnx_skeleton_free (&skel);
}

static void
check_load (const uint8_t *data, size_t size, const Onnx__ModelProto *full, bool owned,
    const char *what)
{
  uint8_t *copy = malloc (size);
  cnn_graph *g = NULL;
  cnn_error err;
  cnn_status status;

  memcpy (copy, data, size);
  status = owned ? cnn_onnx_load_owned (copy, size, "classifier.onnx", NULL, &g, &err)
      : cnn_onnx_load (copy, size, "classifier.onnx", NULL, &g, &err);
  if (status != CNN_STATUS_OK)
    printf ("  %s\n", err.message);
  check (status == CNN_STATUS_OK && same_initializers (g, full->graph), what);
  cnn_graph_free (g);
  free (copy);
}

/* The file twice over (protobuf merges the two graph fields: twice the nodes and
 * initializers), and half of it: the skeleton steps aside. */
static void
check_odd_layouts (const uint8_t *data, size_t size)
{
  cnn_onnx_skeleton skel;
  uint8_t *twice = malloc (2 * size);

  memcpy (twice, data, size);
  memcpy (twice + size, data, size);   /* a whole second ModelProto: its graph field too */
  check (!cnn_onnx_skeleton_build (twice, 2 * size, &skel) && skel.data == NULL,
      "two graph fields: not cut");
  check (!cnn_onnx_skeleton_build (data, size / 2, &skel), "truncated: not cut");
  free (twice);
}

static void
check_damage (const uint8_t *data, size_t size)
{
  uint8_t *copy = malloc (size);
  int loaded = 0;

  for (size_t len = 0; len < size; len++) {
    cnn_graph *g = NULL;
    cnn_error err;
    memcpy (copy, data, len);
    if (cnn_onnx_load_owned (copy, len, "truncated.onnx", NULL, &g, &err) == CNN_STATUS_OK)
      loaded++;
    cnn_graph_free (g);
  }
  for (size_t bit = 0; bit < size * 8; bit++) {
    cnn_graph *g = NULL;
    cnn_error err;
    memcpy (copy, data, size);
    copy[bit / 8] ^= (uint8_t) (1u << (bit % 8));
    if (cnn_onnx_load_owned (copy, size, "flipped.onnx", NULL, &g, &err) == CNN_STATUS_OK)
      loaded++;
    cnn_graph_free (g);
  }
  printf ("PASS every truncation and bit flip through the owned path (%d loaded)\n", loaded);
  free (copy);
}

int
main (int argc, char **argv)
{
  size_t size;
  uint8_t *data = argc > 1 ? read_file (argv[1], &size) : NULL;

  if (data == NULL) {
    printf ("FAIL cannot read the model (argument: tests/models/classifier.onnx)\n");
    return 1;
  }
  Onnx__ModelProto *full = onnx__model_proto__unpack (NULL, size, data);
  if (full == NULL || full->graph == NULL) {
    printf ("FAIL protobuf-c cannot decode %s\n", argv[1]);
    return 1;
  }
  check_skeleton (data, size, full);
  check_load (data, size, full, false, "loaded in place: every initializer as decoded");
  check_load (data, size, full, true, "loaded from an owned copy: every initializer as decoded");
  check_odd_layouts (data, size);
  check_damage (data, size);
  onnx__model_proto__free_unpacked (full, NULL);
  free (data);
  printf ("%d failures\n", failures);
  return failures != 0;
}
