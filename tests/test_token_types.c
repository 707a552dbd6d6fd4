/* Token-type (segment) table: rows added by type id, range checks of type
 * ids, and type ids passed to a model without the table. */
#include "helpers.h"

#define OUT_FLOATS 64
#define TYPES 2

static const forward_config *config_of(void **state)
{
    return *state;
}

/* The fixture plus the type table [[1, 2, 3], [4, 5, 6]]. */
static emb_model *typed_fixture(const forward_config *config)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    const float types[TYPES * FIXTURE_DIM] = {1, 2, 3, 4, 5, 6};
    emb_model_options options;

    fixture_tables(token, position);
    emb_model_options_init(&options);
    options.init = EMB_INIT_COPY;
    options.vocab_size = FIXTURE_VOCAB;
    options.dim = FIXTURE_DIM;
    options.context_length = FIXTURE_CONTEXT;
    options.token_data = token;
    options.position_data = position;
    options.token_type_count = TYPES;
    options.token_type_data = types;
    options.kernel = config->kernel;
    options.num_threads = config->num_threads;
    return create_model(&options);
}

static void types_added_to_rows(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = typed_fixture(config);
    const int64_t ids[4] = {1, 2, 3, 0};
    const int64_t types[4] = {1, 0, 0, 1};
    const float expected[12] = {14,  16,  18,  121, 123, 125,
                                31,  33,  35,  104, 106, 108};
    float out[OUT_FLOATS];

    fill_sentinel(out, sizeof(out));
    assert_int_equal(forward_with(config, model, ids, NULL, types, 2, 2, 0,
                                  out, 12, NULL),
                     EMB_OK);
    assert_floats_identical(expected, out, 12);
    assert_sentinel(out + 12, sizeof(out) - 12 * sizeof(float));
    emb_model_destroy(model);
}

static void types_with_start_and_positions(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = typed_fixture(config);
    const int64_t ids[2] = {3, 3};
    const int64_t types[2] = {0, 1};
    const int64_t positions[2] = {3, 1};
    const float with_start[6] = {231, 233, 235, 334, 336, 338};
    const float with_positions[6] = {331, 333, 335, 134, 136, 138};
    float out[6];

    assert_int_equal(forward_with(config, model, ids, NULL, types, 1, 2, 2,
                                  out, 6, NULL),
                     EMB_OK);
    assert_floats_identical(with_start, out, 6);
    assert_int_equal(forward_with(config, model, ids, positions, types, 1, 2,
                                  0, out, 6, NULL),
                     EMB_OK);
    assert_floats_identical(with_positions, out, 6);
    emb_model_destroy(model);
}

static void expect_bad_type(const forward_config *config, int64_t bad_value)
{
    emb_model *model = typed_fixture(config);
    const int64_t ids[4] = {1, 2, 3, 0};
    int64_t types[4] = {1, 0, 0, 1};
    const expected_element_error expected = {
        EMB_ERR_ID_OUT_OF_RANGE, 2, 1, 0, bad_value, 0, TYPES};
    float out[OUT_FLOATS];
    emb_error err;

    types[2] = bad_value;
    emb_error_init(&err);
    fill_sentinel(out, sizeof(out));
    assert_int_equal(forward_with(config, model, ids, NULL, types, 2, 2, 0,
                                  out, OUT_FLOATS, &err),
                     EMB_ERR_ID_OUT_OF_RANGE);
    assert_element_error(&err, &expected);
    assert_sentinel(out, sizeof(out));
    emb_model_destroy(model);
}

static void types_reject_out_of_range(void **state)
{
    const forward_config *config = config_of(state);

    expect_bad_type(config, TYPES);
    expect_bad_type(config, -1);
    expect_bad_type(config, config->wide ? INT64_MIN : INT32_MIN);
}

static void types_token_error_first(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = typed_fixture(config);
    const int64_t ids[2] = {1, 7};
    const int64_t types[2] = {5, 0};
    const expected_element_error expected = {
        EMB_ERR_ID_OUT_OF_RANGE, 1, 0, 1, 7, 0, FIXTURE_VOCAB};
    float out[OUT_FLOATS];
    emb_error err;

    emb_error_init(&err);
    fill_sentinel(out, sizeof(out));
    assert_int_equal(forward_with(config, model, ids, NULL, types, 1, 2, 0,
                                  out, OUT_FLOATS, &err),
                     EMB_ERR_ID_OUT_OF_RANGE);
    assert_element_error(&err, &expected);
    assert_sentinel(out, sizeof(out));
    emb_model_destroy(model);
}

static void types_without_table_rejected(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = fixture_model_for(config);
    const int64_t ids[2] = {1, 2};
    const int64_t types[2] = {0, 0};
    float out[OUT_FLOATS];
    emb_error err;

    emb_error_init(&err);
    fill_sentinel(out, sizeof(out));
    assert_int_equal(forward_with(config, model, ids, NULL, types, 1, 2, 0,
                                  out, OUT_FLOATS, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(err.status, EMB_ERR_INVALID_ARGUMENT);
    assert_sentinel(out, sizeof(out));
    emb_model_destroy(model);
}

static void types_omitted_adds_nothing(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = typed_fixture(config);
    const int64_t ids[2] = {1, 2};
    const float expected[6] = {10, 11, 12, 120, 121, 122};
    float out[6];

    assert_int_equal(forward_ex_with(config, model, ids, NULL, NULL, 1, 2, 0,
                                     out, 6, NULL),
                     EMB_OK);
    assert_floats_identical(expected, out, 6);
    emb_model_destroy(model);
}

static void types_normal_init_shape(void **state)
{
    emb_model_options options;
    emb_model *model;

    (void)state;
    emb_model_options_init(&options);
    options.init = EMB_INIT_NORMAL;
    options.vocab_size = 10;
    options.dim = 8;
    options.context_length = 4;
    options.token_type_count = 3;
    model = create_model(&options);
    assert_int_equal(emb_model_token_type_count(model), 3);
    assert_int_equal(emb_model_table_rows(model, EMB_TABLE_TOKEN_TYPE), 3);
    assert_non_null(emb_model_table_data(model, EMB_TABLE_TOKEN_TYPE));
    emb_model_destroy(model);
}

int main(void)
{
    static const config_test matrix[] = {
        {"types_added_to_rows", types_added_to_rows},
        {"types_with_start_and_positions", types_with_start_and_positions},
        {"types_reject_out_of_range", types_reject_out_of_range},
        {"types_token_error_first", types_token_error_first},
        {"types_without_table_rejected", types_without_table_rejected},
        {"types_omitted_adds_nothing", types_omitted_adds_nothing},
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(types_normal_init_shape),
    };
    int failed = run_config_tests("token_types", matrix,
                                  sizeof(matrix) / sizeof(matrix[0]));

    failed += cmocka_run_group_tests_name("token_types_model", tests, NULL,
                                          NULL);
    return failed;
}
