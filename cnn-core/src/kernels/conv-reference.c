/* conv-reference.c — the convolution as its definition, seven loops accumulating in double:
 * what the tests hold every fast conv kernel to. Never on a model's path.
 */
#include "conv.h"

void
cnn_conv_reference (const cnn_conv_geom *s, const float *x, const float *w, const float *b,
    const float *sum, cnn_activation act, float alpha, float beta, float *y)
{
  int64_t cg = s->c / s->group, mg = s->m / s->group;

  for (int64_t img = 0; img < s->n; img++)
    for (int64_t m = 0; m < s->m; m++)
      for (int64_t oh = 0; oh < s->oh; oh++)
        for (int64_t ow = 0; ow < s->ow; ow++) {
          int64_t first_c = m / mg * cg;
          double acc = b != NULL ? b[m] : 0.0;
          for (int64_t c = 0; c < cg; c++)
            for (int64_t ki = 0; ki < s->kh; ki++)
              for (int64_t kj = 0; kj < s->kw; kj++) {
                int64_t ih = oh * s->sh - s->pt + ki * s->dh;
                int64_t iw = ow * s->sw - s->pl + kj * s->dw;
                if (ih < 0 || ih >= s->h || iw < 0 || iw >= s->w)
                  continue;
                acc += (double) x[((img * s->c + first_c + c) * s->h + ih) * s->w + iw]
                    * w[((m * cg + c) * s->kh + ki) * s->kw + kj];
              }
          int64_t o = ((img * s->m + m) * s->oh + oh) * s->ow + ow;
          if (sum != NULL)
            acc += sum[o];
          y[o] = cnn_activate ((float) acc, act, alpha, beta);
        }
}
