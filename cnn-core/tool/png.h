/* png.h — PNG pictures for the cnn tool: a class activation map drawn over its input.
 *
 * The encoder is the smallest correct one: 8-bit RGB, filter 0, zlib "stored" (not
 * compressed) blocks, CRC-32 and Adler-32 computed here. Pictures are small, and the tool
 * keeps to the C library.
 */
#ifndef CNN_TOOL_PNG_H
#define CNN_TOOL_PNG_H

#include <cnn/cnn.h>

/* Writes `width` × `height` RGB pixels (row-major, 3 bytes each) to `path`. */
cnn_status cnn_png_write_rgb (const char *path, int width, int height,
    const unsigned char *rgb, cnn_error *err);

/* The input picture `image` (channels × in_h × in_w floats, NCHW of one image; shown as
 * gray, its range stretched to black..white) with the `map_h` × `map_w` map stretched
 * over it as a translucent heatmap (its positive part, relative to its maximum), scaled
 * up by a whole factor so that the picture is at least 224 pixels on its longer side. */
cnn_status cnn_png_write_cam (const char *path, const float *image, int channels, int in_h,
    int in_w, const float *map, int map_h, int map_w, cnn_error *err);

#endif /* CNN_TOOL_PNG_H */
