/* activation.c — array activation with bias, the epilogue of conv and dense kernels. */
#include "activation.h"

#include "vectorize.h"

CNN_VECTORIZE static void
sigmoid_array (float *x, size_t n, float bias)
{
  for (size_t i = 0; i < n; i++)
    x[i] = 1.0f / (1.0f + cnn_exp_poly (-(x[i] + bias)));
}

CNN_VECTORIZE static void
silu_array (float *x, size_t n, float bias)
{
  for (size_t i = 0; i < n; i++) {
    float v = x[i] + bias;
    x[i] = v / (1.0f + cnn_exp_poly (-v));
  }
}

void
cnn_activate_array (float *x, size_t n, float bias, cnn_activation act, float alpha,
    float beta)
{
  /* Separate simple loops so the compiler vectorises the common cases. */
  switch (act) {
    case CNN_ACTIVATION_NONE:
      if (bias != 0.0f)
        for (size_t i = 0; i < n; i++)
          x[i] += bias;
      return;
    case CNN_ACTIVATION_RELU:
      for (size_t i = 0; i < n; i++) {
        float v = x[i] + bias;
        x[i] = v > 0.0f ? v : 0.0f;
      }
      return;
    case CNN_ACTIVATION_RELU6:
    case CNN_ACTIVATION_CLIP: {
      float lo = act == CNN_ACTIVATION_RELU6 ? 0.0f : alpha;
      float hi = act == CNN_ACTIVATION_RELU6 ? 6.0f : beta;
      for (size_t i = 0; i < n; i++) {
        float v = x[i] + bias;
        x[i] = v < lo ? lo : (v > hi ? hi : v);
      }
      return;
    }
    case CNN_ACTIVATION_HARD_SWISH:
      for (size_t i = 0; i < n; i++) {
        float v = x[i] + bias;
        float g = v * (1.0f / 6.0f) + 0.5f;
        g = g < 0.0f ? 0.0f : (g > 1.0f ? 1.0f : g);
        x[i] = v * g;
      }
      return;
    case CNN_ACTIVATION_SIGMOID:
      sigmoid_array (x, n, bias);
      return;
    case CNN_ACTIVATION_SILU:
      silu_array (x, n, bias);
      return;
    default:
      for (size_t i = 0; i < n; i++)
        x[i] = cnn_activate (x[i] + bias, act, alpha, beta);
      return;
  }
}

void
cnn_activate_rows (float *y, int64_t rows, int64_t n, int64_t ldy, cnn_activation act,
    float alpha, float beta)
{
  if (act == CNN_ACTIVATION_NONE)
    return;
  /* Contiguous rows are one array: a GEMM of one column (SE blocks' 1×1 convs on 1×1 maps)
   * would otherwise make a call per element. */
  if (ldy == n) {
    cnn_activate_array (y, (size_t) (rows * n), 0.0f, act, alpha, beta);
    return;
  }
  for (int64_t r = 0; r < rows; r++)
    cnn_activate_array (y + r * ldy, (size_t) n, 0.0f, act, alpha, beta);
}

const char *
cnn_activation_name (cnn_activation act)
{
  static const char *const names[CNN_ACTIVATION_COUNT] = {
    [CNN_ACTIVATION_NONE] = "",
    [CNN_ACTIVATION_RELU] = "Relu",
    [CNN_ACTIVATION_RELU6] = "Relu6",
    [CNN_ACTIVATION_LEAKY_RELU] = "LeakyRelu",
    [CNN_ACTIVATION_ELU] = "Elu",
    [CNN_ACTIVATION_CLIP] = "Clip",
    [CNN_ACTIVATION_SIGMOID] = "Sigmoid",
    [CNN_ACTIVATION_TANH] = "Tanh",
    [CNN_ACTIVATION_HARD_SIGMOID] = "HardSigmoid",
    [CNN_ACTIVATION_HARD_SWISH] = "HardSwish",
    [CNN_ACTIVATION_SILU] = "SiLU",
  };
  return act >= 0 && act < CNN_ACTIVATION_COUNT ? names[act] : "";
}
