/* inspect.c — `cnn inspect`: a model's inputs, outputs, metadata and per-layer table. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include "args.h"
#include "forms.h"
#include "format.h"
#include "model.h"

static void
inspect_text (const tool_args *args, cnn_model *model)
{
  size_t n_layers = cnn_model_layer_count (model);
  uint64_t total_params = 0, total_macs = 0;
  char buf[512], buf2[64], name[256];
  enum { COLS = 8 };
  static const char *headers[COLS] = {
    "#", "name", "op", "output", "params", "MACs", "RF (h×w)", "jump (h×w)"
  };
  static const bool right[COLS] = { true, false, false, false, true, true, true, true };
  int widths[COLS];
  bool any_metadata = false;

  printf ("model: %s\n", cnn_model_source (model) ? cnn_model_source (model) : args->model);
  for (int output = 0; output <= 1; output++) {
    size_t n = tool_tensor_count (model, output);

    printf ("%s:\n", output ? "outputs" : "inputs");
    for (size_t i = 0; i < n; i++) {
      cnn_tensor_info info;

      if (tool_tensor_info (model, output, i, &info) != CNN_STATUS_OK)
        continue;
      tool_printable (name, sizeof name, info.name);
      printf ("  ");
      tool_print_cell (stdout, name, 20, false);
      printf (" %-8s %s\n", cnn_dtype_string (info.dtype),
          tool_shape_string (buf, sizeof buf, info.rank, info.dims, info.dim_names));
    }
  }
  for (size_t k = 0; k < cnn_model_metadata_count (model); k++) {
    const char *key, *value;

    if (cnn_model_metadata_entry (model, k, &key, &value) != CNN_STATUS_OK)
      continue;
    if (!any_metadata)
      printf ("metadata:\n");
    any_metadata = true;
    /* Multi-line values (labels) on one line, so the listing stays readable. */
    printf ("  %s: %s\n", tool_printable (name, sizeof name, key),
        tool_printable (buf, sizeof buf, value));
  }

  for (int c = 0; c < COLS; c++)
    widths[c] = tool_text_width (headers[c]);
  /* Two passes: measure the columns, then print. */
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) {
      printf ("\n");
      for (int c = 0; c < COLS; c++) {
        tool_print_cell (stdout, headers[c], widths[c], right[c]);
        fputs (c + 1 < COLS ? "  " : "\n", stdout);
      }
    }
    for (size_t l = 0; l < n_layers; l++) {
      cnn_layer_info li;
      char cells[COLS][160];

      if (cnn_model_layer_info (model, l, &li) != CNN_STATUS_OK)
        continue;
      snprintf (cells[0], sizeof cells[0], "%zu", l);
      tool_printable (cells[1], sizeof cells[1], li.name && *li.name ? li.name : "-");
      tool_printable (cells[2], sizeof cells[2], li.op ? li.op : "?");
      tool_shape_string (cells[3], sizeof cells[3], li.rank, li.output_dims, NULL);
      snprintf (cells[4], sizeof cells[4], "%s", li.params
          ? tool_count_string (buf2, sizeof buf2, li.params) : "-");
      snprintf (cells[5], sizeof cells[5], "%s", tool_count_string (buf2, sizeof buf2,
              li.macs));
      if (li.receptive_field[0] > 0) {
        snprintf (cells[6], sizeof cells[6], "%" PRId64 "×%" PRId64, li.receptive_field[0],
            li.receptive_field[1]);
        snprintf (cells[7], sizeof cells[7], "%" PRId64 "×%" PRId64, li.jump[0], li.jump[1]);
      } else {
        snprintf (cells[6], sizeof cells[6], "-");
        snprintf (cells[7], sizeof cells[7], "-");
      }
      if (pass == 0) {
        for (int c = 0; c < COLS; c++)
          if (tool_text_width (cells[c]) > widths[c])
            widths[c] = tool_text_width (cells[c]);
        total_params += li.params;
        total_macs += li.macs;
        continue;
      }
      for (int c = 0; c < COLS; c++) {
        tool_print_cell (stdout, cells[c], widths[c], right[c]);
        fputs (c + 1 < COLS ? "  " : "\n", stdout);
      }
    }
  }

  printf ("\nlayers: %zu\n", n_layers);
  printf ("parameters: %s (%" PRIu64 ")\n", tool_count_string (buf2, sizeof buf2,
          total_params), total_params);
  printf ("MACs: %s (%" PRIu64 ")\n", tool_count_string (buf2, sizeof buf2, total_macs),
      total_macs);
  printf ("activation memory: %s (%" PRIu64 " bytes)\n", tool_bytes_string (buf2,
          sizeof buf2, cnn_model_arena_bytes (model)), cnn_model_arena_bytes (model));
}

static void
inspect_json (const tool_args *args, cnn_model *model)
{
  size_t n_layers = cnn_model_layer_count (model);
  uint64_t total_params = 0, total_macs = 0;
  bool first = true;

  printf ("{\"model\":");
  tool_json_string (stdout, cnn_model_source (model) ? cnn_model_source (model) : args->model);
  /* How cnnclassify reads input 0 (null: not an image it accepts). */
  tool_image_form form = tool_image_form_of (model);
  printf (",\n\"opset\":%" PRId64 ",\n\"element_input\":", cnn_model_opset (model));
  if (form.image) {
    cnn_tensor_info info;
    cnn_model_input_info (model, 0, &info);
    printf ("{\"layout\":\"%s\",\"dtype\":\"%s\"}", form.nhwc ? "NHWC" : "NCHW",
        cnn_dtype_string (info.dtype));
  } else {
    printf ("null");
  }
  for (int output = 0; output <= 1; output++) {
    size_t n = tool_tensor_count (model, output);

    printf (",\n\"%s\":[", output ? "outputs" : "inputs");
    for (size_t i = 0; i < n; i++) {
      cnn_tensor_info info;

      if (tool_tensor_info (model, output, i, &info) != CNN_STATUS_OK)
        continue;
      printf ("%s\n  {\"name\":", i ? "," : "");
      tool_json_string (stdout, info.name);
      printf (",\"dtype\":");
      tool_json_string (stdout, cnn_dtype_string (info.dtype));
      printf (",\"shape\":");
      tool_json_dims (stdout, info.rank, info.dims);
      printf (",\"dim_names\":[");
      for (int d = 0; d < info.rank; d++) {
        if (d)
          fputc (',', stdout);
        if (info.dim_names[d])
          tool_json_string (stdout, info.dim_names[d]);
        else
          fputs ("null", stdout);
      }
      printf ("]}");
    }
    printf ("]");
  }
  printf (",\n\"metadata\":{");
  for (size_t k = 0; k < cnn_model_metadata_count (model); k++) {
    const char *key, *value;

    if (cnn_model_metadata_entry (model, k, &key, &value) != CNN_STATUS_OK)
      continue;
    if (!first)
      fputc (',', stdout);
    first = false;
    tool_json_string (stdout, key);
    fputc (':', stdout);
    tool_json_string (stdout, value);
  }
  printf ("},\n\"layers\":[");
  for (size_t l = 0; l < n_layers; l++) {
    cnn_layer_info li;

    if (cnn_model_layer_info (model, l, &li) != CNN_STATUS_OK)
      continue;
    total_params += li.params;
    total_macs += li.macs;
    printf ("%s\n  {\"name\":", l ? "," : "");
    tool_json_string (stdout, li.name);
    printf (",\"op\":");
    tool_json_string (stdout, li.op);
    printf (",\"output_shape\":");
    tool_json_dims (stdout, li.rank, li.output_dims);
    printf (",\"params\":%" PRIu64 ",\"macs\":%" PRIu64 ",\"receptive_field\":[%" PRId64
        ",%" PRId64 "],\"jump\":[%" PRId64 ",%" PRId64 "]}", li.params, li.macs,
        li.receptive_field[0], li.receptive_field[1], li.jump[0], li.jump[1]);
  }
  printf ("],\n\"totals\":{\"params\":%" PRIu64 ",\"macs\":%" PRIu64 ",\"arena_bytes\":%"
      PRIu64 "}}\n", total_params, total_macs, cnn_model_arena_bytes (model));
}

/* Without --json, the element's view of the model comes first (forms.c). A dynamic image
 * input without --shape is then shown at the element's default size, as cnnclassify would
 * run it. */
static int
inspect_main (const tool_args *args)
{
  cnn_model *model;
  tool_args local = *args;
  tool_shape image_shape;
  char image_name[256];
  int status;

  if (!args->json && args->n_shapes == 0) {
    cnn_options options = cnn_options_default ();
    cnn_error err;
    if (cnn_model_load_file (args->model, &options, &model, &err) != CNN_STATUS_OK)
      return tool_fail ("%s", err.message);
    tool_image_form f = tool_image_form_of (model);
    tool_print_forms (args, model);
    if (f.image && f.dynamic) {
      cnn_tensor_info info;
      cnn_model_input_info (model, 0, &info);
      snprintf (image_name, sizeof image_name, "%s", info.name);
      image_shape.name = image_name;
      image_shape.name_len = strlen (image_name);
      image_shape.rank = info.rank;
      for (int d = 0; d < info.rank; d++)
        image_shape.dims[d] = info.dims[d] >= 0 ? info.dims[d]
            : d == f.h_axis || d == f.w_axis ? TOOL_DYNAMIC_IMAGE_SIZE : 1;
      printf ("(shown below at %dx%d; --shape sets another size)\n", TOOL_DYNAMIC_IMAGE_SIZE,
          TOOL_DYNAMIC_IMAGE_SIZE);
      local.shapes = &image_shape;
      local.n_shapes = 1;
    }
    cnn_model_destroy (model);
    printf ("\n");
  }
  status = tool_model_open (&local, NULL, NULL, &model);
  if (status != EXIT_SUCCESS)
    return status;
  if (args->json)
    inspect_json (args, model);
  else
    inspect_text (args, model);
  status = tool_flush_stdout ();
  cnn_model_destroy (model);
  return status;
}

const tool_command tool_inspect_command = {
  "inspect", TOOL_OPT_SHAPE | TOOL_OPT_JSON | TOOL_OPT_THREADS,
  "show inputs, outputs, metadata and a per-layer table",
  "Usage: cnn inspect MODEL.onnx [--shape NAME=D0,D1,...]... [--json] [--threads N]\n"
  "\n"
  "Loads and prepares MODEL, then prints its opset, how the cnnclassify element reads its\n"
  "input (NCHW or NHWC, float32 or uint8; for dynamic height/width, the sizes it prepares at\n"
  "and whether the output depends on them), its inputs and outputs, metadata and one row per\n"
  "layer of the optimised graph: output shape, parameters, multiply-accumulates, receptive\n"
  "field and jump (effective stride) in input pixels, followed by totals and the planned\n"
  "activation memory.\n"
  "\n"
  "  --shape NAME=DIMS  fix the shape of input NAME, e.g. --shape input=1,3,224,224;\n"
  "                     a dynamic batch dimension defaults to 1\n"
  "  --json             print one JSON document instead of tables\n"
  TOOL_HELP_THREADS,
  inspect_main,
};
