/* cam.h — class activation maps (Zhou et al., "Learning Deep Features for Discriminative
 * Localization", 2016) for classifiers that end in
 *
 *     A [1, K, H, W] → GlobalAveragePool (or ReduceMean over H, W) → Flatten / Reshape /
 *     Squeeze → Gemm or MatMul with constant weights → (Softmax / LogSoftmax) → output 0
 *
 * or, in all-convolutional classifiers (SqueezeNet), A [1, classes, H, W] → the pool →
 * output (w is then the identity).
 *
 * The score of class c is alpha · Σ_k w[c, k] · mean(A_k) + b[c], so the map
 * M_c(y, x) = alpha · Σ_k w[c, k] · A_k(y, x) shows where in the picture the class's
 * evidence is, and its mean is the score minus the bias. Prepare finds the pattern
 * (cnn_cam_find) and marks A `keep`, so the planner leaves it intact to the end of the
 * run; cnn_model_cam() then computes a map from it. */
#ifndef CNN_CAM_H
#define CNN_CAM_H

#include "graph.h"

typedef struct cnn_cam {
  bool found;
  int feature;                  /* value id of A */
  int weights;                  /* value id of the constant weights; -1: identity */
  int64_t row_stride, col_stride;       /* w[c, k] = weights[c · row_stride + k · col_stride] */
  float alpha;
  int64_t channels, height, width, classes;
  char why[400];                /* when not found: the reason, for cnn_model_cam_info */
} cnn_cam;

/* Looks for the pattern in the prepared (passes run, shapes known) graph; on success
 * marks A `keep`. Clears what an earlier call found. */
void cnn_cam_find (cnn_cam *cam, cnn_graph *g);

#endif /* CNN_CAM_H */
