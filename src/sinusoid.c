/*
 * The fixed sinusoidal position table of "Attention Is All You Need"
 * (Vaswani et al., 2017), section 3.5: pair i of a row contains
 * sin(p * base^(-2i/D)) and cos(p * base^(-2i/D)). Angles are computed in
 * double precision and each value is rounded once to float, so large
 * positions keep full fp32 accuracy.
 */
#include <math.h>

#include "internal.h"

void emb_fill_sinusoid(float *dst, int64_t row_begin, int64_t row_end,
                       int64_t dim, double base, int32_t layout)
{
    int64_t pairs = (dim + 1) / 2;

    for (int64_t p = row_begin; p < row_end; p++) {
        float *row = dst + (p - row_begin) * dim;

        for (int64_t i = 0; i < pairs; i++) {
            double frequency = pow(base, -2.0 * (double)i / (double)dim);
            double angle = (double)p * frequency;
            int64_t sin_col, cos_col;

            if (layout == EMB_SINUSOID_SPLIT) {
                sin_col = i;
                cos_col = pairs + i;
            } else {
                sin_col = 2 * i;
                cos_col = 2 * i + 1;
            }
            row[sin_col] = (float)sin(angle);
            /* With an odd D the last pair has no room for its cosine. */
            if (cos_col < dim)
                row[cos_col] = (float)cos(angle);
        }
    }
}
