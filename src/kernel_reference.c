/* The plain reference loop: the oracle every other kernel is tested
 * against. Kept deliberately simple. */
#include "kernels.h"

void emb_kernel_reference(const forward_plan *plan, int64_t row_begin,
                          int64_t row_end)
{
    const emb_model *m = plan->model;
    int64_t dim = m->dim;

    for (int64_t r = row_begin; r < row_end; r++) {
        const float *token = plan_token_row(plan, r);
        const float *position = plan_position_row(plan, r);
        const float *type = plan_type_row(plan, r);
        float *out = plan->out + r * dim;

        for (int64_t c = 0; c < dim; c++) {
            float v = token[c];
            if (m->has_scale)
                v = v * m->scale;
            if (position != NULL)
                v = v + position[c];
            if (type != NULL)
                v = v + type[c];
            out[c] = v;
        }
    }
}
