/*
 * BLAS-backed kernel: per output row, cblas_scopy of the token row, then
 * cblas_sscal by the scale and cblas_saxpy (alpha 1) of the position and
 * token-type rows. saxpy with alpha 1 rounds like a plain addition, with or
 * without FMA, so the result is bit-identical to the reference loop.
 *
 * Every BLAS call covers at most BLAS_CHUNK elements: OpenBLAS 0.3.21 starts
 * its own threads inside axpy above 10000 elements, which would
 * oversubscribe the library's worker threads. OpenBLAS's process-wide thread
 * setting is never changed.
 *
 * A scale of exactly 0 is applied by a plain loop: OpenBLAS's sscal with
 * alpha 0 stores +0 without multiplying, which differs from x * 0 for
 * negative, infinite and NaN elements.
 */
#include <cblas.h>

#include "kernels.h"

#define BLAS_CHUNK ((int64_t)8192)

void emb_kernel_blas(const forward_plan *plan, int64_t row_begin,
                     int64_t row_end)
{
    const emb_model *m = plan->model;
    int64_t dim = m->dim;

    for (int64_t r = row_begin; r < row_end; r++) {
        const float *token = plan_token_row(plan, r);
        const float *position = plan_position_row(plan, r);
        const float *type = plan_type_row(plan, r);
        float *out = plan->out + r * dim;

        for (int64_t c = 0; c < dim; c += BLAS_CHUNK) {
            /* n fits blasint (int32) because it is at most BLAS_CHUNK. */
            int n = (int)(dim - c < BLAS_CHUNK ? dim - c : BLAS_CHUNK);

            cblas_scopy(n, token + c, 1, out + c, 1);
            if (m->has_scale && m->scale != 0.0f)
                cblas_sscal(n, m->scale, out + c, 1);
            else if (m->has_scale)
                for (int i = 0; i < n; i++)
                    out[c + i] = out[c + i] * m->scale;
            if (position != NULL)
                cblas_saxpy(n, 1.0f, position + c, 1, out + c, 1);
            if (type != NULL)
                cblas_saxpy(n, 1.0f, type + c, 1, out + c, 1);
        }
    }
}
