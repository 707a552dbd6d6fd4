/* Token-row scale (e.g. sqrt(dim)): exact values, a scale of 1 identical to
 * none, and signed zeros and NaN from a scale of 0 in every kernel. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static const forward_config *config_of(void **state)
{
    return *state;
}

/* A copy model of vocab rows and dim columns with the given tables. */
static emb_model *scaled_model(const forward_config *config,
                               const float *token, const float *position,
                               int64_t vocab, int64_t dim, int64_t context,
                               bool has_scale, float scale)
{
    emb_model_options options;

    emb_model_options_init(&options);
    options.init = EMB_INIT_COPY;
    options.vocab_size = vocab;
    options.dim = dim;
    options.context_length = context;
    options.token_data = token;
    options.position_data = position;
    options.position_kind = position != NULL ? EMB_POSITION_LEARNED
                                             : EMB_POSITION_NONE;
    options.has_scale = has_scale ? 1 : 0;
    options.scale = scale;
    options.kernel = config->kernel;
    options.num_threads = config->num_threads;
    return create_model(&options);
}

static void scale_sqrt_dim_exact(void **state)
{
    const forward_config *config = config_of(state);
    /* dim 4: sqrt(4) = 2 keeps every value an exact integer. */
    const float token[2 * 4] = {1, 2, 3, 4, -5, 6, -7, 8};
    const float position[2 * 4] = {100, 200, 300, 400, 1000, 1000, 1000,
                                   1000};
    const int64_t ids[2] = {1, 0};
    const float expected[8] = {90, 212, 286, 416, 1002, 1004, 1006, 1008};
    emb_model *model = scaled_model(config, token, position, 2, 4, 2, true,
                                    sqrtf(4.0f));
    float out[8];

    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 1, 2, 0,
                                  out, 8, NULL),
                     EMB_OK);
    assert_floats_identical(expected, out, 8);
    emb_model_destroy(model);
}

static void scale_sqrt_dim_fixture(void **state)
{
    const forward_config *config = config_of(state);
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    const float scale = sqrtf((float)FIXTURE_DIM);
    const int64_t ids[3] = {1, 2, 3};
    float expected[9], out[9];
    emb_model *model;

    fixture_tables(token, position);
    model = scaled_model(config, token, position, FIXTURE_VOCAB, FIXTURE_DIM,
                         FIXTURE_CONTEXT, true, scale);
    /* One fp32 multiply, then one fp32 add, as the header specifies. */
    for (int t = 0; t < 3; t++)
        for (int c = 0; c < FIXTURE_DIM; c++) {
            float scaled = token[ids[t] * FIXTURE_DIM + c] * scale;
            expected[t * FIXTURE_DIM + c] = scaled + (float)(100 * t);
        }
    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 1, 3, 0,
                                  out, 9, NULL),
                     EMB_OK);
    assert_floats_identical(expected, out, 9);
    assert_true(out[0] == 10.0f * 1.7320508f);
    emb_model_destroy(model);
}

static void scale_one_matches_none(void **state)
{
    const forward_config *config = config_of(state);
    enum { VOCAB = 11, DIM = 37, CONTEXT = 9 };
    float token[VOCAB * DIM], position[CONTEXT * DIM];
    int64_t ids[3 * CONTEXT];
    float scaled[3 * CONTEXT * DIM], plain[3 * CONTEXT * DIM];
    uint64_t seed = 42;
    emb_model *with_scale, *without;

    fill_random_floats(&seed, token, VOCAB * DIM);
    fill_random_floats(&seed, position, CONTEXT * DIM);
    token[5] = -0.0f;
    token[6] = NAN;
    token[7] = INFINITY;
    for (int i = 0; i < 3 * CONTEXT; i++)
        ids[i] = test_random_below(&seed, VOCAB);
    ids[0] = 0;
    with_scale = scaled_model(config, token, position, VOCAB, DIM, CONTEXT,
                              true, 1.0f);
    without = scaled_model(config, token, position, VOCAB, DIM, CONTEXT,
                           false, 0.0f);
    assert_int_equal(forward_with(config, with_scale, ids, NULL, NULL, 3,
                                  CONTEXT, 0, scaled, 3 * CONTEXT * DIM,
                                  NULL),
                     EMB_OK);
    assert_int_equal(forward_with(config, without, ids, NULL, NULL, 3,
                                  CONTEXT, 0, plain, 3 * CONTEXT * DIM, NULL),
                     EMB_OK);
    assert_floats_identical(plain, scaled, 3 * CONTEXT * DIM);
    emb_model_destroy(with_scale);
    emb_model_destroy(without);
}

static void scale_zero_negative_zero(void **state)
{
    const forward_config *config = config_of(state);
    /* dim 21 covers SIMD bodies and scalar tails of the fused kernel. */
    enum { DIM = 21 };
    float token[2 * DIM];
    const int64_t ids[3] = {0, 1, 0};
    float out[3 * DIM];
    emb_model *model;

    for (int c = 0; c < DIM; c++) {
        token[c] = -1.5f - (float)c;
        token[DIM + c] = 2.0f + (float)c;
    }
    model = scaled_model(config, token, NULL, 2, DIM, 0, true, 0.0f);
    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 1, 3, 0,
                                  out, 3 * DIM, NULL),
                     EMB_OK);
    for (int c = 0; c < DIM; c++) {
        /* -x * 0 = -0 and x * 0 = +0 in IEEE 754. */
        assert_true(out[c] == 0.0f);
        assert_true(signbit(out[c]));
        assert_true(out[DIM + c] == 0.0f);
        assert_false(signbit(out[DIM + c]));
        assert_true(signbit(out[2 * DIM + c]));
    }
    emb_model_destroy(model);
}

static void scale_zero_with_negative_zero_positions(void **state)
{
    const forward_config *config = config_of(state);
    enum { DIM = 19 };
    float token[DIM], position[2 * DIM];
    const int64_t ids[2] = {0, 0};
    float out[2 * DIM];
    emb_model *model;

    for (int c = 0; c < DIM; c++) {
        token[c] = -3.0f;
        position[c] = -0.0f;
        position[DIM + c] = 0.0f;
    }
    model = scaled_model(config, token, position, 1, DIM, 2, true, 0.0f);
    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 1, 2, 0,
                                  out, 2 * DIM, NULL),
                     EMB_OK);
    for (int c = 0; c < DIM; c++) {
        /* -0 + -0 = -0, but -0 + +0 = +0. */
        assert_true(signbit(out[c]));
        assert_false(signbit(out[DIM + c]));
    }
    emb_model_destroy(model);
}

static void scale_zero_keeps_nan(void **state)
{
    const forward_config *config = config_of(state);
    enum { DIM = 17 };
    float token[DIM];
    const int64_t ids[1] = {0};
    float out[DIM];
    emb_model *model;

    for (int c = 0; c < DIM; c++) {
        if (c % 3 == 0)
            token[c] = INFINITY;
        else if (c % 3 == 1)
            token[c] = -INFINITY;
        else
            token[c] = NAN;
    }
    model = scaled_model(config, token, NULL, 1, DIM, 0, true, 0.0f);
    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 1, 1, 0,
                                  out, DIM, NULL),
                     EMB_OK);
    /* inf * 0 and NaN * 0 are NaN, not 0. */
    for (int c = 0; c < DIM; c++)
        assert_true(isnan(out[c]));
    emb_model_destroy(model);
}

static void scale_negative_values(void **state)
{
    const forward_config *config = config_of(state);
    const float token[2 * 3] = {1, 2, 3, 4, 5, 6};
    const float position[2 * 3] = {0.5f, 0.5f, 0.5f, 8, 8, 8};
    const int64_t ids[2] = {1, 0};
    const float expected[6] = {-1.5f, -2.0f, -2.5f, 7.5f, 7.0f, 6.5f};
    emb_model *model = scaled_model(config, token, position, 2, 3, 2, true,
                                    -0.5f);
    float out[6];

    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 1, 2, 0,
                                  out, 6, NULL),
                     EMB_OK);
    assert_floats_identical(expected, out, 6);
    emb_model_destroy(model);
}

static void scale_one_keeps_signaling_nan(void **state)
{
    const forward_config *config = config_of(state);
    const uint32_t signaling_nan = 0x7fa00000u;
    float token[2];
    float out[2];
    const int32_t ids[2] = {0, 1};
    emb_model_options options;
    emb_model *model = NULL;

    memcpy(&token[0], &signaling_nan, sizeof(float));
    token[1] = 2.5f;
    emb_model_options_init(&options);
    options.init = EMB_INIT_COPY;
    options.vocab_size = 2;
    options.dim = 1;
    options.position_kind = EMB_POSITION_NONE;
    options.token_data = token;
    options.has_scale = 1;
    options.scale = 1.0f;
    options.kernel = config->kernel;
    options.num_threads = config->num_threads;
    assert_int_equal(emb_model_create(&options, &model, NULL), EMB_OK);
    /* Without positions nothing is added, so a multiply by 1 would be the
     * only operation to quiet the NaN. */
    assert_int_equal(emb_forward_i32(model, ids, 1, 2, 0, out, 2, NULL),
                     EMB_OK);
    assert_floats_identical(token, out, 2);
    emb_model_destroy(model);
}

int main(void)
{
    static const config_test matrix[] = {
        {"scale_sqrt_dim_exact", scale_sqrt_dim_exact},
        {"scale_sqrt_dim_fixture", scale_sqrt_dim_fixture},
        {"scale_one_matches_none", scale_one_matches_none},
        {"scale_zero_negative_zero", scale_zero_negative_zero},
        {"scale_zero_with_negative_zero_positions",
         scale_zero_with_negative_zero_positions},
        {"scale_zero_keeps_nan", scale_zero_keeps_nan},
        {"scale_negative_values", scale_negative_values},
        {"scale_one_keeps_signaling_nan", scale_one_keeps_signaling_nan},
    };

    return run_config_tests("scale", matrix,
                            sizeof(matrix) / sizeof(matrix[0]));
}
