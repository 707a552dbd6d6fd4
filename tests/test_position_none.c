/* Models without a position table (EMB_POSITION_NONE, e.g. for RoPE): the
 * creation rules, absent-table accessors, and a forward of token rows
 * only. */
#include "helpers.h"

#define OUT_FLOATS 64

static const forward_config *config_of(void **state)
{
    return *state;
}

static emb_model *none_model(const forward_config *config)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    emb_model_options options;

    fixture_tables(token, position);
    emb_model_options_init(&options);
    options.init = EMB_INIT_COPY;
    options.vocab_size = FIXTURE_VOCAB;
    options.dim = FIXTURE_DIM;
    options.context_length = 0;
    options.token_data = token;
    options.position_kind = EMB_POSITION_NONE;
    options.kernel = config->kernel;
    options.num_threads = config->num_threads;
    return create_model(&options);
}

static void none_forward_token_rows(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = none_model(config);
    const int64_t ids[4] = {1, 3, 3, 0};
    const float expected[12] = {10, 11, 12, 30, 31, 32,
                                30, 31, 32, 0,  1,  2};
    /* start is ignored, including values that would overflow or are
     * negative. */
    const int64_t starts[] = {0, 100, -5, INT64_MAX, INT64_MIN};
    float out[OUT_FLOATS];

    for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
        fill_sentinel(out, sizeof(out));
        assert_int_equal(forward_with(config, model, ids, NULL, NULL, 2, 2,
                                      starts[i], out, 12, NULL),
                         EMB_OK);
        assert_floats_identical(expected, out, 12);
        assert_sentinel(out + 12, sizeof(out) - 12 * sizeof(float));
    }
    emb_model_destroy(model);
}

static void none_allows_any_length(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = none_model(config);
    int64_t ids[20];
    float out[60];

    for (int i = 0; i < 20; i++)
        ids[i] = i % FIXTURE_VOCAB;
    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 1, 20, 0,
                                  out, 60, NULL),
                     EMB_OK);
    for (int i = 0; i < 20; i++)
        assert_true(out[i * 3] == (float)(10 * (i % FIXTURE_VOCAB)));
    emb_model_destroy(model);
}

static void none_rejects_position_ids(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = none_model(config);
    const int64_t ids[2] = {1, 2};
    const int64_t positions[2] = {0, 1};
    float out[OUT_FLOATS];
    emb_error err;

    emb_error_init(&err);
    fill_sentinel(out, sizeof(out));
    assert_int_equal(forward_with(config, model, ids, positions, NULL, 1, 2,
                                  0, out, OUT_FLOATS, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(err.status, EMB_ERR_INVALID_ARGUMENT);
    assert_sentinel(out, sizeof(out));
    emb_model_destroy(model);
}

static void none_rejects_bad_id(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = none_model(config);
    const int64_t ids[2] = {1, -1};
    const expected_element_error expected = {
        EMB_ERR_ID_OUT_OF_RANGE, 1, 0, 1, -1, 0, FIXTURE_VOCAB};
    float out[OUT_FLOATS];
    emb_error err;

    emb_error_init(&err);
    fill_sentinel(out, sizeof(out));
    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 1, 2, 0,
                                  out, OUT_FLOATS, &err),
                     EMB_ERR_ID_OUT_OF_RANGE);
    assert_element_error(&err, &expected);
    assert_sentinel(out, sizeof(out));
    emb_model_destroy(model);
}

static void none_has_no_position_table(void **state)
{
    const forward_config config = {EMB_KERNEL_REFERENCE, 1, false};
    emb_model *model = none_model(&config);
    float row[FIXTURE_DIM];

    (void)state;
    assert_int_equal(emb_model_position_kind(model), EMB_POSITION_NONE);
    assert_int_equal(emb_model_context_length(model), 0);
    assert_null(emb_model_table_data(model, EMB_TABLE_POSITION));
    assert_int_equal(emb_model_table_rows(model, EMB_TABLE_POSITION), 0);
    assert_int_equal(emb_model_read_row(model, EMB_TABLE_POSITION, 0, row,
                                        FIXTURE_DIM, NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    emb_model_destroy(model);
}

static void none_requires_zero_context(void **state)
{
    const int64_t bad[] = {1, 4, -1, INT64_MAX};
    emb_model_options options;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        emb_model *model = NULL;

        emb_model_options_init(&options);
        options.vocab_size = 4;
        options.dim = 3;
        options.context_length = bad[i];
        options.position_kind = EMB_POSITION_NONE;
        assert_int_equal(emb_model_create(&options, &model, NULL),
                         EMB_ERR_INVALID_ARGUMENT);
        assert_null(model);
    }
}

static void none_borrow_needs_no_positions(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    emb_model_options options;
    emb_model *model;

    (void)state;
    fixture_tables(token, position);
    emb_model_options_init(&options);
    options.init = EMB_INIT_BORROW;
    options.vocab_size = FIXTURE_VOCAB;
    options.dim = FIXTURE_DIM;
    options.token_data = token;
    options.position_kind = EMB_POSITION_NONE;
    model = create_model(&options);
    assert_ptr_equal(emb_model_table_data(model, EMB_TABLE_TOKEN), token);
    emb_model_destroy(model);
}

int main(void)
{
    static const config_test matrix[] = {
        {"none_forward_token_rows", none_forward_token_rows},
        {"none_allows_any_length", none_allows_any_length},
        {"none_rejects_position_ids", none_rejects_position_ids},
        {"none_rejects_bad_id", none_rejects_bad_id},
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(none_has_no_position_table),
        cmocka_unit_test(none_requires_zero_context),
        cmocka_unit_test(none_borrow_needs_no_positions),
    };
    int failed = run_config_tests("position_none", matrix,
                                  sizeof(matrix) / sizeof(matrix[0]));

    failed += cmocka_run_group_tests_name("position_none_model", tests, NULL,
                                          NULL);
    return failed;
}
