/* png.c — see png.h. */
#include "png.h"

#include "format.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t
crc32_update (uint32_t crc, const unsigned char *p, size_t n)
{
  static uint32_t table[256];
  static int ready;

  if (!ready) {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++)
        c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    ready = 1;
  }
  for (size_t i = 0; i < n; i++)
    crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc;
}

static void
put_be32 (unsigned char *p, uint32_t v)
{
  p[0] = (unsigned char) (v >> 24);
  p[1] = (unsigned char) (v >> 16);
  p[2] = (unsigned char) (v >> 8);
  p[3] = (unsigned char) v;
}

/* One chunk: length, type, data, CRC of type and data. */
static int
write_chunk (FILE *f, const char type[4], const unsigned char *data, size_t n)
{
  unsigned char head[8], tail[4];
  uint32_t crc;

  put_be32 (head, (uint32_t) n);
  memcpy (head + 4, type, 4);
  crc = crc32_update (0xffffffffu, head + 4, 4);
  crc = crc32_update (crc, data, n) ^ 0xffffffffu;
  put_be32 (tail, crc);
  return fwrite (head, 1, 8, f) == 8 && (n == 0 || fwrite (data, 1, n, f) == n)
      && fwrite (tail, 1, 4, f) == 4;
}

cnn_status
cnn_png_write_rgb (const char *path, int width, int height, const unsigned char *rgb,
    cnn_error *err)
{
  static const unsigned char signature[8] = { 137, 'P', 'N', 'G', '\r', '\n', 26, '\n' };
  const size_t row = (size_t) width * 3 + 1;           /* filter byte + pixels */
  const size_t raw = row * (size_t) height;
  const size_t n_blocks = raw / 65535 + 1;
  unsigned char ihdr[13], *z = NULL, *q;
  uint32_t a = 1, b = 0;
  size_t left, at = 0;
  FILE *f = NULL;
  cnn_status status = CNN_STATUS_OK;

  if (width <= 0 || height <= 0 || width > 65536 || height > 65536)
    return tool_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "%s: cannot write a %dx%d "
        "picture", path, width, height);
  /* zlib stream: header, stored blocks of at most 65535 bytes, Adler-32. */
  z = malloc (2 + raw + 5 * n_blocks + 4);
  if (z == NULL)
    return tool_set_error (err, CNN_STATUS_OUT_OF_MEMORY, "out of memory");
  q = z;
  *q++ = 0x78;
  *q++ = 0x01;
  left = raw;
  do {
    size_t n = left < 65535 ? left : 65535;

    *q++ = left == n;           /* BFINAL on the last block, BTYPE 00 */
    *q++ = (unsigned char) n;
    *q++ = (unsigned char) (n >> 8);
    *q++ = (unsigned char) ~n;
    *q++ = (unsigned char) (~n >> 8);
    for (size_t i = 0; i < n; i++, at++) {
      size_t y = at / row, x = at % row;
      unsigned char v = x == 0 ? 0 : rgb[y * (size_t) width * 3 + x - 1];

      *q++ = v;
      a = (a + v) % 65521;
      b = (b + a) % 65521;
    }
    left -= n;
  } while (left > 0);
  put_be32 (q, b << 16 | a);
  q += 4;

  put_be32 (ihdr, (uint32_t) width);
  put_be32 (ihdr + 4, (uint32_t) height);
  ihdr[8] = 8;                  /* bit depth */
  ihdr[9] = 2;                  /* RGB */
  ihdr[10] = ihdr[11] = ihdr[12] = 0;
  if ((f = fopen (path, "wb")) == NULL
      || fwrite (signature, 1, 8, f) != 8
      || !write_chunk (f, "IHDR", ihdr, sizeof ihdr)
      || !write_chunk (f, "IDAT", z, (size_t) (q - z))
      || !write_chunk (f, "IEND", NULL, 0))
    status = tool_set_error (err, CNN_STATUS_IO_ERROR, "%s: cannot write: %s", path,
        strerror (errno));
  if (f != NULL && fclose (f) != 0 && status == CNN_STATUS_OK)
    status = tool_set_error (err, CNN_STATUS_IO_ERROR, "%s: cannot write: %s", path,
        strerror (errno));
  free (z);
  return status;
}

/* Bilinear sample of the map at fractional cell position (mx, my), cell centres at
 * i + 0.5. */
static float
sample_map (const float *map, int h, int w, double mx, double my)
{
  mx = fmin (fmax (mx - 0.5, 0.0), w - 1.0);
  my = fmin (fmax (my - 0.5, 0.0), h - 1.0);
  int x0 = (int) mx, y0 = (int) my;
  int x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
  double fx = mx - x0, fy = my - y0;
  return (float) ((map[y0 * w + x0] * (1 - fx) + map[y0 * w + x1] * fx) * (1 - fy)
      + (map[y1 * w + x0] * (1 - fx) + map[y1 * w + x1] * fx) * fy);
}

cnn_status
cnn_png_write_cam (const char *path, const float *image, int channels, int in_h, int in_w,
    const float *map, int map_h, int map_w, cnn_error *err)
{
  const size_t plane = (size_t) in_h * in_w;
  int scale = 1, longer = in_h > in_w ? in_h : in_w;
  float lo = INFINITY, hi = -INFINITY, max = 0.0f;
  unsigned char *rgb;
  cnn_status status;

  while (longer * scale < 224 && scale < 64)
    scale++;
  if ((int64_t) in_w * scale > 65536 || (int64_t) in_h * scale > 65536)
    return tool_set_error (err, CNN_STATUS_INVALID_ARGUMENT, "%s: the input (%dx%d) is too "
        "large for a picture", path, in_w, in_h);
  for (size_t i = 0; i < plane * (size_t) channels; i++) {
    lo = fminf (lo, image[i]);
    hi = fmaxf (hi, image[i]);
  }
  for (int i = 0; i < map_h * map_w; i++)
    max = fmaxf (max, map[i]);
  rgb = malloc ((size_t) in_w * scale * (size_t) in_h * scale * 3);
  if (rgb == NULL)
    return tool_set_error (err, CNN_STATUS_OUT_OF_MEMORY, "out of memory");

  for (int y = 0; y < in_h * scale; y++)
    for (int x = 0; x < in_w * scale; x++) {
      size_t at = (size_t) (y / scale) * in_w + (size_t) (x / scale);
      double gray = 0.0, v = 0.0;

      for (int c = 0; c < channels; c++)
        gray += image[c * plane + at];
      gray = hi > lo ? (gray / channels - lo) / (hi - lo) : 0.0;
      if (max > 0.0f)
        v = fmax (0.0, sample_map (map, map_h, map_w, (x + 0.5) / (in_w * scale) * map_w,
                (y + 0.5) / (in_h * scale) * map_h) / max);
      /* Blue → cyan → green → yellow → red, more opaque where hot. */
      double heat[3] = {
        fmin (fmax (1.5 - fabs (4 * v - 3), 0.0), 1.0),
        fmin (fmax (1.5 - fabs (4 * v - 2), 0.0), 1.0),
        fmin (fmax (1.5 - fabs (4 * v - 1), 0.0), 1.0),
      };
      double alpha = 0.6 * fmin (v, 1.0);
      unsigned char *p = rgb + ((size_t) y * in_w * scale + x) * 3;

      for (int k = 0; k < 3; k++)
        p[k] = (unsigned char) lround (255.0 * (gray * (1 - alpha) + heat[k] * alpha));
    }
  status = cnn_png_write_rgb (path, in_w * scale, in_h * scale, rgb, err);
  free (rgb);
  return status;
}
