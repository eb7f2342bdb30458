/* model.h — the cnn tool's model setup: open a model ready to run, and its tensor buffers. */
#ifndef CNN_TOOL_MODEL_H
#define CNN_TOOL_MODEL_H

#include <cnn/cnn.h>

#include "args.h"

/* Fixes the input shapes of a loaded model between load and prepare; returns the exit status
 * (EXIT_SUCCESS, or EXIT_FAILURE after printing why). */
typedef int (*tool_shapes_func) (const tool_args *args, cnn_model *model, void *data);

/* Loads args->model with args->threads, fixes its input shapes with set_shapes(args, model,
 * data) — or, when set_shapes is NULL, from --shape with a dynamic batch dimension of 1 — and
 * prepares it. Returns the exit status; *model is written only on success. */
int tool_model_open (const tool_args *args, tool_shapes_func set_shapes, void *data,
    cnn_model **model);

/* cnn_model_input_count / _info, or cnn_model_output_count / _info when `output`. */
size_t tool_tensor_count (const cnn_model *model, bool output);
cnn_status tool_tensor_info (const cnn_model *model, bool output, size_t index,
    cnn_tensor_info *info);
/* Bytes of a tensor with concrete dims. */
size_t tool_tensor_bytes (const cnn_tensor_info *info);

/* One zero-filled buffer per input (or output when `output`) of a prepared model, sized from
 * its info, in a NULL-terminated array. Returns the exit status; *buffers is written only on
 * success. */
int tool_buffers_alloc (const tool_args *args, const cnn_model *model, bool output,
    void ***buffers);
/* Frees the buffers and the array; NULL is a no-op. */
void tool_buffers_free (void **buffers);

#endif /* CNN_TOOL_MODEL_H */
