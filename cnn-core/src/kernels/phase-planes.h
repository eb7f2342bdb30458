/* phase-planes.h — an input plane split by stride phase and padded, so that every tap of a
 * window is a flat offset (see phase-planes.c). The portable depthwise conv and pooling
 * kernels (depthwise.h) read them.
 */
#ifndef CNN_PHASE_PLANES_H
#define CNN_PHASE_PLANES_H

#include "conv.h"

#include <stddef.h>

typedef struct cnn_phase_layout {
  int64_t hq, wq;               /* size of each phase plane; Wq is the computed row width */
  int64_t phases;               /* sh · sw */
  size_t plane;                 /* floats per phase plane, including a padded tail */
} cnn_phase_layout;

cnn_phase_layout cnn_phase_layout_of (const cnn_conv_geom *s);
/* Floats of per-thread scratch: the phase planes, then an OH × Wq output. */
size_t cnn_phase_scratch (const cnn_conv_geom *s);
/* Splits input plane x into the phase planes, writing `pad` where the window is outside x. */
void cnn_phase_split (const cnn_conv_geom *s, const cnn_phase_layout *l, const float *x,
    float pad, float *planes);
/* Tap (ki, kj): out[p] for p = oh·Wq + ow reads tap[p]. */
const float *cnn_phase_tap (const cnn_conv_geom *s, const cnn_phase_layout *l,
    const float *planes, int64_t ki, int64_t kj);

/* dst0[c] = row[2c + offset], dst1[c] = row[2c + 1 + offset] for c < n, `pad` outside the
 * row of w floats: one stride-2 input row split into its two column phases (also Winograd's
 * even and odd patch columns). */
void cnn_deinterleave_row (const float *row, int64_t w, int64_t offset, int64_t n, float pad,
    float *restrict dst0, float *restrict dst1);

#endif /* CNN_PHASE_PLANES_H */
