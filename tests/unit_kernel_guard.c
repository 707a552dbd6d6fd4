/* White-box tests of the kernels' second line of defence: an index that
 * changed to an invalid value after validation (a caller's data race) makes
 * every kernel write the NaN poison row instead of reading out of bounds.
 * Also checks that NaN + NaN stays NaN in every kernel. Links the static
 * library and includes the internal headers. */
#include <math.h>
#include <string.h>

#include "helpers.h"
#include "kernels.h"

#define ROWS 4

typedef void (*kernel_under_test)(const forward_plan *plan, int64_t begin,
                                  int64_t end);

static void fused_portable(const forward_plan *p, int64_t b, int64_t e)
{
    emb_kernel_fused_isa(p, b, e, EMB_ISA_PORTABLE);
}

static void fused_avx2(const forward_plan *p, int64_t b, int64_t e)
{
    emb_kernel_fused_isa(p, b, e, EMB_ISA_AVX2);
}

static void fused_avx512(const forward_plan *p, int64_t b, int64_t e)
{
    emb_kernel_fused_isa(p, b, e, EMB_ISA_AVX512);
}

typedef struct named_kernel {
    const char *name;
    kernel_under_test run;
    int32_t isa; /* required instruction set */
} named_kernel;

static const named_kernel kernels[] = {
    {"reference", emb_kernel_reference, EMB_ISA_PORTABLE},
    {"blas", emb_kernel_blas, EMB_ISA_PORTABLE},
    {"fused portable", fused_portable, EMB_ISA_PORTABLE},
    {"fused avx2", fused_avx2, EMB_ISA_AVX2},
    {"fused avx512", fused_avx512, EMB_ISA_AVX512},
};

static void plan_for(forward_plan *plan, const emb_model *model,
                     const int32_t *ids, const int32_t *positions,
                     float *out)
{
    memset(plan, 0, sizeof(*plan));
    plan->model = model;
    plan->ids = ids;
    plan->position_ids = positions;
    plan->seq_len = ROWS;
    plan->out = out;
}

static void assert_row_nan(const float *row, const char *kernel, int r)
{
    for (int c = 0; c < FIXTURE_DIM; c++) {
        if (!isnan(row[c]))
            fail_msg("%s: row %d column %d is %g, expected NaN", kernel, r,
                     c, (double)row[c]);
    }
}

static void kernels_poison_bad_token_ids(void **state)
{
    (void)state;
    emb_model *model = fixture_model(EMB_KERNEL_REFERENCE, 1);
    /* Row 0 is valid; the others are what a racing caller could leave. */
    const int32_t ids[ROWS] = {1, FIXTURE_VOCAB, -1, INT32_MIN};
    float out[ROWS * FIXTURE_DIM];
    forward_plan plan;

    plan_for(&plan, model, ids, NULL, out);
    for (size_t k = 0; k < sizeof(kernels) / sizeof(kernels[0]); k++) {
        if (kernels[k].isa > emb_fused_best_isa())
            continue;
        fill_sentinel(out, sizeof(out));
        kernels[k].run(&plan, 0, ROWS);
        assert_true(out[0] == 10.0f && out[1] == 11.0f && out[2] == 12.0f);
        for (int r = 1; r < ROWS; r++)
            assert_row_nan(out + r * FIXTURE_DIM, kernels[k].name, r);
    }
    emb_model_destroy(model);
}

static void kernels_poison_bad_position_ids(void **state)
{
    (void)state;
    emb_model *model = fixture_model(EMB_KERNEL_REFERENCE, 1);
    const int32_t ids[ROWS] = {0, 1, 2, 3};
    const int32_t positions[ROWS] = {3, FIXTURE_CONTEXT, -2, INT32_MAX};
    float out[ROWS * FIXTURE_DIM];
    forward_plan plan;

    plan_for(&plan, model, ids, positions, out);
    for (size_t k = 0; k < sizeof(kernels) / sizeof(kernels[0]); k++) {
        if (kernels[k].isa > emb_fused_best_isa())
            continue;
        fill_sentinel(out, sizeof(out));
        kernels[k].run(&plan, 0, ROWS);
        assert_true(out[0] == 300.0f && out[1] == 301.0f && out[2] == 302.0f);
        for (int r = 1; r < ROWS; r++)
            assert_row_nan(out + r * FIXTURE_DIM, kernels[k].name, r);
    }
    emb_model_destroy(model);
}

static void kernels_keep_nan_plus_nan(void **state)
{
    (void)state;
    /* Token and position rows made of NaNs with different payloads. */
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    const int32_t ids[ROWS] = {0, 1, 2, 3};
    float out[ROWS * FIXTURE_DIM];
    emb_model_options options;
    emb_model *model = NULL;
    forward_plan plan;

    for (int i = 0; i < FIXTURE_VOCAB * FIXTURE_DIM; i++)
        token[i] = nanf("1");
    for (int i = 0; i < FIXTURE_CONTEXT * FIXTURE_DIM; i++)
        position[i] = -nanf("2");
    emb_model_options_init(&options);
    options.init = EMB_INIT_COPY;
    options.vocab_size = FIXTURE_VOCAB;
    options.dim = FIXTURE_DIM;
    options.context_length = FIXTURE_CONTEXT;
    options.token_data = token;
    options.position_data = position;
    assert_int_equal(emb_model_create(&options, &model, NULL), EMB_OK);

    plan_for(&plan, model, ids, NULL, out);
    for (size_t k = 0; k < sizeof(kernels) / sizeof(kernels[0]); k++) {
        if (kernels[k].isa > emb_fused_best_isa())
            continue;
        fill_sentinel(out, sizeof(out));
        kernels[k].run(&plan, 0, ROWS);
        for (int r = 0; r < ROWS; r++)
            assert_row_nan(out + r * FIXTURE_DIM, kernels[k].name, r);
    }
    emb_model_destroy(model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kernels_poison_bad_token_ids),
        cmocka_unit_test(kernels_poison_bad_position_ids),
        cmocka_unit_test(kernels_keep_nan_plus_nan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
