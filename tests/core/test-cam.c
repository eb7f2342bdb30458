/* test-cam.c — class activation maps (cnn_model_cam_info, cnn_model_cam).
 *
 *   - a builder network (1x1 conv + ReLU → global average pool → dense → softmax): every
 *     map equals Σ_k w[c,k]·A_k computed here by hand;
 *   - the shipped digits model: each map's mean is the class's logit minus its bias, i.e.
 *     the feature map survived the rest of the run intact;
 *   - localisation: each held-out digit (28×28) pasted at a known position into a 56×56
 *     frame, which is scaled to the model's 28×28 input; for the correctly classified ones
 *     the peak of the predicted class's 7×7 map must fall inside the digit's box for at
 *     least 90% (the figure is printed);
 *   - an all-convolutional classifier (SqueezeNet): the map is the pooled channel;
 *   - models without the pattern, calls before prepare and bad classes are refused with a
 *     message.
 *
 *     test-cam DIGITS_DIR TEST_MODELS_DIR
 */
#include "cnn/cnn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static float
noise (unsigned *state)
{
  *state = *state * 1664525u + 1013904223u;
  return (float) ((*state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

/* 1x1 conv (C → K, ReLU) → GlobalAveragePool → dense (K → N) → softmax. */
static void
test_builder_exact (void)
{
  enum { C = 3, K = 5, N = 4, H = 6, W = 7 };
  float conv_w[K * C], conv_b[K], dense_w[N * K], dense_b[N], x[C * H * W], probs[N];
  float map[H * W];
  unsigned seed = 7;
  cnn_model *model;
  cnn_error err;
  int h = 0, w = 0;

  for (int i = 0; i < K * C; i++)
    conv_w[i] = noise (&seed);
  for (int i = 0; i < K; i++)
    conv_b[i] = 0.3f * noise (&seed);
  for (int i = 0; i < N * K; i++)
    dense_w[i] = noise (&seed);
  for (int i = 0; i < N; i++)
    dense_b[i] = noise (&seed);
  for (int i = 0; i < C * H * W; i++)
    x[i] = noise (&seed);

  cnn_builder *b = cnn_builder_create ("cam");
  int v = cnn_builder_input (b, "x", C, H, W);
  v = cnn_builder_conv (b, v, K, 1, 1, 1, 0, 1, 1, conv_w, conv_b, CNN_ACTIVATION_RELU);
  v = cnn_builder_global_pool (b, v, CNN_POOL_AVERAGE);
  v = cnn_builder_dense (b, v, N, dense_w, dense_b, CNN_ACTIVATION_NONE);
  v = cnn_builder_softmax (b, v);
  cnn_builder_output (b, v, "probs");
  CHECK (cnn_builder_finish (b, NULL, &model, &err) == CNN_STATUS_OK, "%s", err.message);

  CHECK (cnn_model_cam_info (model, &h, &w, &err) == CNN_STATUS_NOT_PREPARED, "before prepare");
  CHECK (cnn_model_prepare (model, &err) == CNN_STATUS_OK, "%s", err.message);
  CHECK (cnn_model_cam_info (model, &h, &w, &err) == CNN_STATUS_OK, "%s", err.message);
  CHECK (h == H && w == W, "map %dx%d, expected %dx%d", h, w, H, W);
  CHECK (cnn_model_run (model, (const void *[]) { x }, (void *[]) { probs }, &err)
      == CNN_STATUS_OK, "%s", err.message);

  for (int c = 0; c < N; c++) {
    double worst = 0.0;

    CHECK (cnn_model_cam (model, c, map, &err) == CNN_STATUS_OK, "%s", err.message);
    for (int p = 0; p < H * W; p++) {
      double ref = 0.0;

      for (int k = 0; k < K; k++) {
        double a = conv_b[k];

        for (int ch = 0; ch < C; ch++)
          a += conv_w[k * C + ch] * x[ch * H * W + p];
        ref += dense_w[c * K + k] * (a > 0 ? a : 0);
      }
      worst = fmax (worst, fabs (map[p] - ref));
    }
    CHECK (worst < 1e-4, "class %d: map differs from the reference by %g", c, worst);
  }
  CHECK (cnn_model_cam (model, N, map, &err) == CNN_STATUS_INVALID_ARGUMENT, "class N");
  CHECK (strstr (err.message, "class 4 is not in 0..3") != NULL, "%s", err.message);
  CHECK (cnn_model_cam (model, -1, map, &err) == CNN_STATUS_INVALID_ARGUMENT, "class -1");
  CHECK (cnn_model_cam (model, 0, NULL, &err) == CNN_STATUS_INVALID_ARGUMENT, "NULL map");
  cnn_model_destroy (model);
}

/* A model whose output is not a dense layer after a pool: refused, with the reason. */
static void
test_no_pattern (const char *models_dir)
{
  char path[4096];
  cnn_model *model;
  cnn_error err;
  float map[1];

  snprintf (path, sizeof path, "%s/conv3x3-stack.onnx", models_dir);
  CHECK (cnn_model_load_file (path, NULL, &model, &err) == CNN_STATUS_OK, "%s", err.message);
  CHECK (cnn_model_prepare (model, &err) == CNN_STATUS_OK, "%s", err.message);
  CHECK (cnn_model_cam_info (model, NULL, NULL, &err) == CNN_STATUS_UNSUPPORTED, "found");
  CHECK (strstr (err.message, "conv3x3-stack.onnx: no class activation map: output") != NULL,
      "%s", err.message);
  CHECK (cnn_model_cam (model, 0, map, &err) == CNN_STATUS_UNSUPPORTED, "map");
  printf ("no pattern: %s\n", err.message);
  cnn_model_destroy (model);
  CHECK (cnn_model_cam_info (NULL, NULL, NULL, &err) == CNN_STATUS_INVALID_ARGUMENT, "NULL");
}

/* An all-convolutional classifier (SqueezeNet: conv → pool → flatten): the map of class c
 * is the pooled map's channel c, so its mean is the output c. */
static void
test_squeezenet (const char *models_dir)
{
  char path[4096];
  cnn_model *model;
  cnn_tensor_info info;
  cnn_error err;
  unsigned seed = 3;
  int h, w;

  snprintf (path, sizeof path, "%s/../networks/squeezenet1_1_w05.onnx", models_dir);
  CHECK (cnn_model_load_file (path, NULL, &model, &err) == CNN_STATUS_OK, "%s", err.message);
  CHECK (cnn_model_prepare (model, &err) == CNN_STATUS_OK, "%s", err.message);
  CHECK (cnn_model_cam_info (model, &h, &w, &err) == CNN_STATUS_OK, "%s", err.message);
  cnn_model_input_info (model, 0, &info);
  size_t n_in = (size_t) (info.dims[1] * info.dims[2] * info.dims[3]);
  float *x = malloc (sizeof (float) * n_in), out[10], *map = malloc (sizeof (float) * h * w);
  for (size_t i = 0; i < n_in; i++)
    x[i] = noise (&seed);
  CHECK (cnn_model_run (model, (const void *[]) { x }, (void *[]) { out }, &err)
      == CNN_STATUS_OK, "%s", err.message);
  for (int c = 0; c < 10; c++) {
    double s = 0.0;

    CHECK (cnn_model_cam (model, c, map, &err) == CNN_STATUS_OK, "%s", err.message);
    for (int i = 0; i < h * w; i++)
      s += map[i];
    CHECK (fabs (s / (h * w) - out[c]) < 1e-4 * fmax (1.0, fabs (out[c])),
        "class %d: map mean %f, output %f", c, s / (h * w), out[c]);
  }
  free (x);
  free (map);
  cnn_model_destroy (model);
}

typedef struct {
  unsigned char *pixels;        /* n × 28 × 28 */
  int *labels;
  int n;
} Digits;

static bool
load_digits (const char *dir, Digits *d)
{
  char path[4096];
  FILE *f;
  long size;

  snprintf (path, sizeof path, "%s/heldout-digits.gray8", dir);
  if ((f = fopen (path, "rb")) == NULL)
    return false;
  fseek (f, 0, SEEK_END);
  size = ftell (f);
  fseek (f, 0, SEEK_SET);
  d->n = (int) (size / 784);
  d->pixels = malloc ((size_t) d->n * 784 + 1);
  d->labels = malloc (sizeof (int) * (size_t) d->n + 1);
  if (fread (d->pixels, 784, (size_t) d->n, f) != (size_t) d->n) {
    fclose (f);
    return false;
  }
  fclose (f);
  snprintf (path, sizeof path, "%s/heldout-labels.txt", dir);
  if ((f = fopen (path, "r")) == NULL)
    return false;
  for (int i = 0; i < d->n; i++)
    if (fscanf (f, "%d", &d->labels[i]) != 1) {
      fclose (f);
      return false;
    }
  fclose (f);
  return true;
}

/* The digits model's maps: their means follow the logits; localisation. */
static void
test_digits (const char *dir)
{
  enum { S = 56, CLASSES = 10 };
  const float mean = 0.1307f, std = 0.3081f;
  char path[4096];
  cnn_model *model;
  cnn_error err;
  Digits d = { NULL, NULL, 0 };
  int h, w, n_right = 0, n_inside = 0;
  unsigned seed = 2024;
  unsigned char *frame = malloc (S * S);
  float input[784], logits[CLASSES], *map;

  if (!load_digits (dir, &d)) {
    CHECK (0, "cannot read the held-out digits in %s", dir);
    free (frame);
    free (d.pixels);
    free (d.labels);
    return;
  }
  snprintf (path, sizeof path, "%s/digits.onnx", dir);
  CHECK (cnn_model_load_file (path, NULL, &model, &err) == CNN_STATUS_OK, "%s", err.message);

  /* At 28×28: the mean of every map is its logit minus the bias, for every class. With
   * the all-zero-map bias unknown here, compare differences between two inputs. */
  CHECK (cnn_model_prepare (model, &err) == CNN_STATUS_OK, "%s", err.message);
  CHECK (cnn_model_cam_info (model, &h, &w, &err) == CNN_STATUS_OK, "%s", err.message);
  CHECK (h == 7 && w == 7, "digits map %dx%d", h, w);
  {
    float in[2][784], lg[2][CLASSES], mp[49], mean_map[2][CLASSES];

    for (int k = 0; k < 2; k++) {
      for (int i = 0; i < 784; i++)
        in[k][i] = (d.pixels[(size_t) (k * 700) * 784 + i] / 255.0f - mean) / std;
      CHECK (cnn_model_run (model, (const void *[]) { in[k] }, (void *[]) { lg[k] }, &err)
          == CNN_STATUS_OK, "%s", err.message);
      for (int c = 0; c < CLASSES; c++) {
        double s = 0.0;

        CHECK (cnn_model_cam (model, c, mp, &err) == CNN_STATUS_OK, "%s", err.message);
        for (int i = 0; i < 49; i++)
          s += mp[i];
        mean_map[k][c] = (float) (s / 49);
      }
    }
    for (int c = 0; c < CLASSES; c++) {
      float dl = lg[1][c] - lg[0][c], dm = mean_map[1][c] - mean_map[0][c];

      CHECK (fabsf (dl - dm) < 1e-3f * fmaxf (1.0f, fabsf (dl)),
          "class %d: logits moved by %f, map means by %f", c, dl, dm);
    }
  }

  /* A 56×56 frame with the digit at a pseudo-random position, scaled to the model's
   * 28×28 input as a stretching element would (2×2 averages). */
  map = malloc (sizeof (float) * (size_t) h * w);
  for (int i = 0; i < d.n; i++) {
    int px = (int) ((noise (&seed) + 1.0f) * 0.5f * (S - 28));
    int py = (int) ((noise (&seed) + 1.0f) * 0.5f * (S - 28));
    int best = 0, peak = 0;

    memset (frame, 0, S * S);
    for (int y = 0; y < 28; y++)
      memcpy (frame + (py + y) * S + px, d.pixels + (size_t) i * 784 + y * 28, 28);
    for (int y = 0; y < 28; y++)
      for (int x = 0; x < 28; x++) {
        const unsigned char *q = frame + 2 * y * S + 2 * x;

        input[y * 28 + x] = ((q[0] + q[1] + q[S] + q[S + 1]) / (4 * 255.0f) - mean) / std;
      }
    if (cnn_model_run (model, (const void *[]) { input }, (void *[]) { logits }, &err)
        != CNN_STATUS_OK) {
      CHECK (0, "%s", err.message);
      break;
    }
    for (int c = 1; c < CLASSES; c++)
      if (logits[c] > logits[best])
        best = c;
    if (best != d.labels[i])
      continue;
    n_right++;
    cnn_model_cam (model, best, map, &err);
    for (int p = 1; p < h * w; p++)
      if (map[p] > map[peak])
        peak = p;
    /* The peak cell's centre, in frame pixels. */
    double cx = (peak % w + 0.5) * S / w, cy = (peak / w + 0.5) * S / h;
    n_inside += cx >= px && cx < px + 28 && cy >= py && cy < py + 28;
  }
  printf ("localisation: %d of %d correctly classified digits (of %d) have the map's peak "
      "inside the digit's 28x28 box in a %dx%d frame: %.1f%%\n", n_inside, n_right, d.n, S,
      S, 100.0 * n_inside / (n_right ? n_right : 1));
  CHECK (n_right > d.n / 2, "only %d of %d classified correctly", n_right, d.n);
  CHECK (n_right > 0, "nothing classified correctly");
  CHECK (n_inside >= 0.9 * n_right, "peak inside the box for %d of %d", n_inside, n_right);

  free (map);
  free (frame);
  free (d.pixels);
  free (d.labels);
  cnn_model_destroy (model);
}

int
main (int argc, char **argv)
{
  if (argc != 3) {
    fprintf (stderr, "usage: test-cam DIGITS_DIR TEST_MODELS_DIR\n");
    return 2;
  }
  test_builder_exact ();
  test_no_pattern (argv[2]);
  test_squeezenet (argv[2]);
  test_digits (argv[1]);
  if (failures)
    printf ("%d failures\n", failures);
  return failures ? 1 : 0;
}
