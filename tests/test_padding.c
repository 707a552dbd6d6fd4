/* Padding token id: the zero row of generated tables, copied rows used as
 * given, and range checks that treat the padding id like any other id. */
#include <math.h>
#include <string.h>

#include "helpers.h"

#define OUT_FLOATS 64

static const forward_config *config_of(void **state)
{
    return *state;
}

static emb_model *generated_model(int32_t init, bool has_padding,
                                  int64_t padding_id)
{
    emb_model_options options;

    emb_model_options_init(&options);
    options.init = init;
    options.vocab_size = 6;
    options.dim = 9;
    options.context_length = 2;
    options.seed = 3;
    options.stddev = 1.0;
    options.has_padding_id = has_padding ? 1 : 0;
    options.padding_id = padding_id;
    return create_model(&options);
}

/* The fixture by copy with padding id `padding_id`. */
static emb_model *padded_fixture(const forward_config *config,
                                 int64_t padding_id)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    emb_model_options options;

    fixture_tables(token, position);
    emb_model_options_init(&options);
    options.init = EMB_INIT_COPY;
    options.vocab_size = FIXTURE_VOCAB;
    options.dim = FIXTURE_DIM;
    options.context_length = FIXTURE_CONTEXT;
    options.token_data = token;
    options.position_data = position;
    options.has_padding_id = 1;
    options.padding_id = padding_id;
    options.kernel = config->kernel;
    options.num_threads = config->num_threads;
    return create_model(&options);
}

static void padding_row_zero_normal_init(void **state)
{
    emb_model *padded = generated_model(EMB_INIT_NORMAL, true, 4);
    emb_model *plain = generated_model(EMB_INIT_NORMAL, false, 0);
    const float *padded_token = emb_model_table_data(padded, EMB_TABLE_TOKEN);
    const float *plain_token = emb_model_table_data(plain, EMB_TABLE_TOKEN);

    (void)state;
    for (int c = 0; c < 9; c++) {
        assert_true(padded_token[4 * 9 + c] == 0.0f);
        assert_false(signbit(padded_token[4 * 9 + c]));
    }
    /* Every other row is the unpadded model's row. */
    assert_floats_identical(plain_token, padded_token, 4 * 9);
    assert_floats_identical(plain_token + 5 * 9, padded_token + 5 * 9, 9);
    /* The position table is not affected by the token padding id. */
    assert_floats_identical(emb_model_table_data(plain, EMB_TABLE_POSITION),
                            emb_model_table_data(padded, EMB_TABLE_POSITION),
                            2 * 9);
    emb_model_destroy(padded);
    emb_model_destroy(plain);
}

static void padding_row_zero_zeros_init(void **state)
{
    emb_model *model = generated_model(EMB_INIT_ZEROS, true, 0);
    const float *token = emb_model_table_data(model, EMB_TABLE_TOKEN);

    (void)state;
    for (int i = 0; i < 6 * 9; i++)
        assert_true(token[i] == 0.0f && !signbit(token[i]));
    emb_model_destroy(model);
}

static void padding_copy_keeps_row(void **state)
{
    const forward_config config = {EMB_KERNEL_REFERENCE, 1, false};
    emb_model *model = padded_fixture(&config, 1);
    const float expected[FIXTURE_DIM] = {10, 11, 12};
    float row[FIXTURE_DIM];

    (void)state;
    assert_int_equal(emb_model_read_row(model, EMB_TABLE_TOKEN, 1, row,
                                        FIXTURE_DIM, NULL),
                     EMB_OK);
    assert_floats_identical(expected, row, FIXTURE_DIM);
    emb_model_destroy(model);
}

static void padding_creation_reports_value(void **state)
{
    emb_model_options options;
    emb_model *model = NULL;
    emb_error err;

    (void)state;
    emb_model_options_init(&options);
    options.vocab_size = 4;
    options.dim = 3;
    options.context_length = 4;
    options.has_padding_id = 1;
    options.padding_id = 4;
    emb_error_init(&err);
    assert_int_equal(emb_model_create(&options, &model, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_null(model);
    assert_int_equal(err.status, EMB_ERR_INVALID_ARGUMENT);
    assert_true(err.fields & EMB_ERROR_HAS_VALUE);
    assert_int_equal(err.value, 4);
    assert_true(err.fields & EMB_ERROR_HAS_RANGE);
    assert_int_equal(err.range_begin, 0);
    assert_int_equal(err.range_end, 4);
}

static void padding_forward_uses_stored_row(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = padded_fixture(config, 2);
    const int64_t ids[3] = {2, 1, 2};
    const float expected[9] = {20, 21, 22, 110, 111, 112, 220, 221, 222};
    const float edited[FIXTURE_DIM] = {-1, -2, -3};
    const float expected_edited[9] = {-1, -2, -3, 110, 111, 112,
                                      199, 198, 197};
    float out[9];

    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 1, 3, 0,
                                  out, 9, NULL),
                     EMB_OK);
    assert_floats_identical(expected, out, 9);
    assert_int_equal(emb_model_write_row(model, EMB_TABLE_TOKEN, 2, edited,
                                         FIXTURE_DIM, NULL),
                     EMB_OK);
    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 1, 3, 0,
                                  out, 9, NULL),
                     EMB_OK);
    assert_floats_identical(expected_edited, out, 9);
    emb_model_destroy(model);
}

static void expect_bad_id(const forward_config *config, emb_model *model,
                          const int64_t *ids, int64_t count,
                          const expected_element_error *expected)
{
    float out[OUT_FLOATS];
    emb_error err;

    emb_error_init(&err);
    fill_sentinel(out, sizeof(out));
    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 1, count, 0,
                                  out, OUT_FLOATS, &err),
                     expected->status);
    assert_element_error(&err, expected);
    assert_sentinel(out, sizeof(out));
}

static void padding_forward_checks_range(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = padded_fixture(config, 0);
    const int64_t ids[2] = {0, 40};
    const expected_element_error expected = {
        EMB_ERR_ID_OUT_OF_RANGE, 1, 0, 1, 40, 0, FIXTURE_VOCAB};

    expect_bad_id(config, model, ids, 2, &expected);
    emb_model_destroy(model);
}

static void padding_absent_rejects_minus_one(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = fixture_model_for(config);
    const int64_t ids[3] = {1, 1, -1};
    const expected_element_error expected = {
        EMB_ERR_ID_OUT_OF_RANGE, 2, 0, 2, -1, 0, FIXTURE_VOCAB};

    expect_bad_id(config, model, ids, 3, &expected);
    emb_model_destroy(model);
}

int main(void)
{
    static const config_test matrix[] = {
        {"padding_forward_uses_stored_row", padding_forward_uses_stored_row},
        {"padding_forward_checks_range", padding_forward_checks_range},
        {"padding_absent_rejects_minus_one",
         padding_absent_rejects_minus_one},
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(padding_row_zero_normal_init),
        cmocka_unit_test(padding_row_zero_zeros_init),
        cmocka_unit_test(padding_copy_keeps_row),
        cmocka_unit_test(padding_creation_reports_value),
    };
    int failed = run_config_tests("padding", matrix,
                                  sizeof(matrix) / sizeof(matrix[0]));

    failed += cmocka_run_group_tests_name("padding_model", tests, NULL, NULL);
    return failed;
}
