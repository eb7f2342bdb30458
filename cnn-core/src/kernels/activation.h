/* activation.h — elementwise activations, shared by the standalone activation ops and by every
 * kernel that applies a fused activation to its output while it is still in cache. */
#ifndef CNN_ACTIVATION_H
#define CNN_ACTIVATION_H

#include "cnn/cnn.h"

#include <math.h>
#include <stddef.h>

static inline float
cnn_activate (float x, cnn_activation act, float alpha, float beta)
{
  switch (act) {
    case CNN_ACTIVATION_NONE:
      return x;
    case CNN_ACTIVATION_RELU:
      return x > 0.0f ? x : 0.0f;
    case CNN_ACTIVATION_RELU6:
      return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
    case CNN_ACTIVATION_LEAKY_RELU:
      return x >= 0.0f ? x : alpha * x;
    case CNN_ACTIVATION_ELU:
      return x >= 0.0f ? x : alpha * expm1f (x);
    case CNN_ACTIVATION_CLIP:
      return x < alpha ? alpha : (x > beta ? beta : x);
    case CNN_ACTIVATION_SIGMOID:
      return 1.0f / (1.0f + expf (-x));
    case CNN_ACTIVATION_TANH:
      return tanhf (x);
    case CNN_ACTIVATION_HARD_SIGMOID: {
      float y = alpha * x + beta;
      return y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
    }
    case CNN_ACTIVATION_HARD_SWISH: {
      float y = x / 6.0f + 0.5f;
      return x * (y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y));
    }
    case CNN_ACTIVATION_COUNT:
      break;
  }
  return x;
}

/* x[i] = act(x[i] + bias) for n elements; the common cases are vectorised. */
void cnn_activate_array (float *x, size_t n, float bias, cnn_activation act, float alpha,
    float beta);

const char *cnn_activation_name (cnn_activation act);

#endif /* CNN_ACTIVATION_H */
