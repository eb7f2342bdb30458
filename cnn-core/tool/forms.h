/* forms.h — what cnnclassify would make of a model: its opset, the image input form and,
 * for dynamic height/width, which sizes prepare accepts (see forms.c). */
#ifndef CNN_TOOL_FORMS_H
#define CNN_TOOL_FORMS_H

#include "args.h"

#include <cnn/cnn.h>

/* Input 0 as the element reads it. */
typedef struct tool_image_form {
  bool image;                   /* [1, C, H, W] or [1, H, W, C], C = 1 or 3, float32/uint8 */
  bool nhwc;
  bool dynamic;                 /* height or width left open */
  int h_axis, w_axis;
} tool_image_form;

tool_image_form tool_image_form_of (const cnn_model *model);

/* Prints the opset, the element's reading of the input and, for dynamic models, the sizes
 * tried and whether the output depends on them. Loads its own copies of the model. */
void tool_print_forms (const tool_args *args, cnn_model *model);

/* The element's default side for dynamic image inputs (GST_CNN_DYNAMIC_INPUT_SIZE). */
#define TOOL_DYNAMIC_IMAGE_SIZE 224

#endif /* CNN_TOOL_FORMS_H */
