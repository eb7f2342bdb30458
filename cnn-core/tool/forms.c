/* forms.c — `cnn inspect`'s view of a model as the cnnclassify element would take it: the
 * opset, the image input's layout and type, and for dynamic height/width which sizes the
 * model prepares at and whether its output shape depends on the size (a network that ends
 * in global pooling does not: any size and aspect ratio classify).
 */
#include "forms.h"

#include <inttypes.h>
#include <stdio.h>

tool_image_form
tool_image_form_of (const cnn_model *model)
{
  tool_image_form f = { 0 };
  cnn_tensor_info info;

  if (cnn_model_input_count (model) != 1 || cnn_model_input_info (model, 0, &info)
      != CNN_STATUS_OK || info.rank != 4 || (info.dims[0] != 1 && info.dims[0] != -1)
      || (info.dtype != CNN_DTYPE_FLOAT32 && info.dtype != CNN_DTYPE_UINT8))
    return f;
  if (info.dims[1] == 1 || info.dims[1] == 3) {
    f.h_axis = 2, f.w_axis = 3;
  } else if (info.dims[3] == 1 || info.dims[3] == 3) {
    f.nhwc = true;
    f.h_axis = 1, f.w_axis = 2;
  } else {
    return f;
  }
  f.image = true;
  f.dynamic = info.dims[f.h_axis] < 0 || info.dims[f.w_axis] < 0;
  return f;
}

/* Prepares a fresh copy of the model at w × h: true on success, with output 0's shape. */
static bool
try_size (const tool_args *args, const tool_image_form *f, int64_t w, int64_t h,
    cnn_tensor_info *out)
{
  cnn_options options = cnn_options_default ();
  cnn_model *m = NULL;
  cnn_tensor_info info;
  cnn_error err;
  bool ok = false;

  options.threads = 1;
  if (cnn_model_load_file (args->model, &options, &m, &err) != CNN_STATUS_OK
      || cnn_model_input_info (m, 0, &info) != CNN_STATUS_OK)
    goto done;
  info.dims[0] = 1;
  if (info.dims[f->h_axis] < 0)
    info.dims[f->h_axis] = h;
  if (info.dims[f->w_axis] < 0)
    info.dims[f->w_axis] = w;
  for (int d = 0; d < info.rank; d++)
    if (info.dims[d] < 0)
      info.dims[d] = 1;
  ok = cnn_model_set_input_shape (m, 0, info.rank, info.dims, &err) == CNN_STATUS_OK
      && cnn_model_prepare (m, &err) == CNN_STATUS_OK
      && cnn_model_output_info (m, 0, out) == CNN_STATUS_OK;

done:
  cnn_model_destroy (m);
  return ok;
}

static bool
same_shape (const cnn_tensor_info *a, const cnn_tensor_info *b)
{
  if (a->rank != b->rank)
    return false;
  for (int d = 0; d < a->rank; d++)
    if (a->dims[d] != b->dims[d])
      return false;
  return true;
}

void
tool_print_forms (const tool_args *args, cnn_model *model)
{
  tool_image_form f = tool_image_form_of (model);
  cnn_tensor_info info;

  printf ("opset: %" PRId64 "\n", cnn_model_opset (model));
  if (!f.image) {
    printf ("element input: not an image ([1, C, H, W] or [1, H, W, C], C = 1 or 3, float32 "
        "or uint8)\n");
    return;
  }
  cnn_model_input_info (model, 0, &info);
  printf ("element input: %s %s%s\n", f.nhwc ? "NHWC" : "NCHW", cnn_dtype_string (info.dtype),
      info.dtype == CNN_DTYPE_UINT8 ? " (raw 0-255 pixels)" : "");
  if (!f.dynamic)
    return;

  /* Squares from tiny to large, and two strongly non-square sizes (text lines). */
  static const int64_t sizes[][2] = {
    { 8, 8 }, { 16, 16 }, { 32, 32 }, { 64, 64 }, { 128, 128 }, { 224, 224 }, { 320, 320 },
    { 512, 512 }, { 320, 48 }, { 48, 320 },
  };
  cnn_tensor_info first = { 0 }, out;
  bool have_first = false, constant = true;
  int64_t smallest = 0;
  printf ("dynamic size: the element runs it at its input-size property, else its "
      "cnn.input_size metadata, else %dx%d\n  prepares at (WxH):", TOOL_DYNAMIC_IMAGE_SIZE,
      TOOL_DYNAMIC_IMAGE_SIZE);
  for (size_t i = 0; i < sizeof (sizes) / sizeof (sizes[0]); i++) {
    bool ok = try_size (args, &f, sizes[i][0], sizes[i][1], &out);
    printf (" %" PRId64 "x%" PRId64 " %s", sizes[i][0], sizes[i][1], ok ? "ok" : "no");
    if (!ok)
      continue;
    if (smallest == 0 && sizes[i][0] == sizes[i][1])
      smallest = sizes[i][0];
    if (!have_first) {
      first = out;
      have_first = true;
    } else if (!same_shape (&first, &out)) {
      constant = false;
    }
  }
  printf ("\n");
  if (!have_first)
    printf ("  no size tried prepares\n");
  else if (constant)
    printf ("  the output shape does not depend on the size: any size from %" PRId64 "x%"
        PRId64 " and any aspect ratio classify\n", smallest, smallest);
  else
    printf ("  the output shape depends on the size: use the size the model was trained at\n");
}
