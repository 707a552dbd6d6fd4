/* Explicit position ids in the forward pass, and position ids derived from
 * an attention mask for left-padded batches. */
#include <string.h>

#include "helpers.h"

#define OUT_FLOATS 64

static const forward_config *config_of(void **state)
{
    return *state;
}

static void positions_explicit_values(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = fixture_model_for(config);
    const int64_t ids[6] = {0, 1, 2, 3, 1, 2};
    const int64_t positions[6] = {0, 0, 1, 0, 1, 2};
    const float expected[18] = {0,   1,   2,   10,  11,  12,
                                120, 121, 122, 30,  31,  32,
                                110, 111, 112, 220, 221, 222};
    float out[OUT_FLOATS];
    emb_error err;

    emb_error_init(&err);
    fill_sentinel(out, sizeof(out));
    assert_int_equal(forward_with(config, model, ids, positions, NULL, 2, 3,
                                  0, out, 18, &err),
                     EMB_OK);
    assert_int_equal(err.status, EMB_OK);
    assert_floats_identical(expected, out, 18);
    assert_sentinel(out + 18, sizeof(out) - 18 * sizeof(float));
    emb_model_destroy(model);
}

static emb_status mask_positions(const forward_config *config,
                                 const uint8_t *mask, int64_t batch,
                                 int64_t seq_len, int64_t start,
                                 int64_t *positions, int64_t count)
{
    int32_t narrow[OUT_FLOATS];
    emb_status status;

    if (config->wide)
        return emb_positions_from_mask_i64(mask, batch, seq_len, start,
                                           positions, count, NULL);
    assert_true(count <= OUT_FLOATS);
    status = emb_positions_from_mask_i32(mask, batch, seq_len, start, narrow,
                                         count, NULL);
    for (int64_t i = 0; i < count; i++)
        positions[i] = narrow[i];
    return status;
}

static void positions_padded_row_matches_unpadded(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = fixture_model_for(config);
    const uint8_t mask[6] = {0, 1, 1, 1, 1, 1};
    const int64_t ids[6] = {0, 1, 2, 3, 1, 2};
    const int64_t unpadded_ids[2] = {1, 2};
    const int64_t expected_positions[6] = {0, 0, 1, 0, 1, 2};
    int64_t positions[6];
    float padded[18], unpadded[6];

    assert_int_equal(mask_positions(config, mask, 2, 3, 0, positions, 6),
                     EMB_OK);
    for (int i = 0; i < 6; i++)
        assert_int_equal(positions[i], expected_positions[i]);
    assert_int_equal(forward_with(config, model, ids, positions, NULL, 2, 3,
                                  0, padded, 18, NULL),
                     EMB_OK);
    assert_int_equal(forward_with(config, model, unpadded_ids, NULL, NULL, 1,
                                  2, 0, unpadded, 6, NULL),
                     EMB_OK);
    /* The real tokens of row 0 sit at t = 1 and 2. */
    assert_floats_identical(unpadded, padded + FIXTURE_DIM, 6);
    emb_model_destroy(model);
}

/* Runs a forward with one bad position and checks the details. */
static void expect_bad_position(const forward_config *config,
                                int64_t bad_value)
{
    emb_model *model = fixture_model_for(config);
    const int64_t ids[6] = {0, 1, 2, 3, 1, 2};
    int64_t positions[6] = {0, 0, 1, 0, 1, 2};
    const expected_element_error expected = {
        EMB_ERR_POSITION_OUT_OF_RANGE, 5, 1, 2, bad_value, 0,
        FIXTURE_CONTEXT};
    float out[OUT_FLOATS];
    emb_error err;

    positions[5] = bad_value;
    emb_error_init(&err);
    fill_sentinel(out, sizeof(out));
    assert_int_equal(forward_with(config, model, ids, positions, NULL, 2, 3,
                                  0, out, OUT_FLOATS, &err),
                     EMB_ERR_POSITION_OUT_OF_RANGE);
    assert_element_error(&err, &expected);
    assert_sentinel(out, sizeof(out));
    emb_model_destroy(model);
}

static void positions_reject_negative(void **state)
{
    expect_bad_position(config_of(state), -1);
}

static void positions_reject_context(void **state)
{
    expect_bad_position(config_of(state), FIXTURE_CONTEXT);
}

static void positions_reject_type_extremes(void **state)
{
    const forward_config *config = config_of(state);

    expect_bad_position(config, config->wide ? INT64_MIN : INT32_MIN);
    expect_bad_position(config, config->wide ? INT64_MAX : INT32_MAX);
}

static void positions_reject_nonzero_start(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = fixture_model_for(config);
    const int64_t ids[2] = {0, 1};
    const int64_t positions[2] = {0, 1};
    const int64_t starts[] = {1, -1, INT64_MAX};
    float out[OUT_FLOATS];
    emb_error err;

    fill_sentinel(out, sizeof(out));
    for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
        emb_error_init(&err);
        assert_int_equal(forward_with(config, model, ids, positions, NULL, 1,
                                      2, starts[i], out, OUT_FLOATS, &err),
                         EMB_ERR_INVALID_ARGUMENT);
        assert_int_equal(err.status, EMB_ERR_INVALID_ARGUMENT);
    }
    assert_sentinel(out, sizeof(out));
    emb_model_destroy(model);
}

static void positions_allow_long_sequence(void **state)
{
    /* With explicit positions seq_len may exceed the context. */
    const forward_config *config = config_of(state);
    emb_model *model = fixture_model_for(config);
    const int64_t ids[6] = {1, 1, 1, 1, 1, 1};
    const int64_t positions[6] = {3, 2, 1, 0, 0, 3};
    const float expected[18] = {310, 311, 312, 210, 211, 212,
                                110, 111, 112, 10,  11,  12,
                                10,  11,  12,  310, 311, 312};
    float out[18];

    assert_int_equal(forward_with(config, model, ids, positions, NULL, 1, 6,
                                  0, out, 18, NULL),
                     EMB_OK);
    assert_floats_identical(expected, out, 18);
    emb_model_destroy(model);
}

static void positions_bad_id_reported_first(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = fixture_model_for(config);
    const int64_t ids[2] = {0, 4};
    const int64_t positions[2] = {0, 1};
    const expected_element_error expected = {
        EMB_ERR_ID_OUT_OF_RANGE, 1, 0, 1, 4, 0, FIXTURE_VOCAB};
    float out[OUT_FLOATS];
    emb_error err;

    emb_error_init(&err);
    fill_sentinel(out, sizeof(out));
    assert_int_equal(forward_with(config, model, ids, positions, NULL, 1, 2,
                                  0, out, OUT_FLOATS, &err),
                     EMB_ERR_ID_OUT_OF_RANGE);
    assert_element_error(&err, &expected);
    assert_sentinel(out, sizeof(out));
    emb_model_destroy(model);
}

static void mask_left_padding_i32(void **state)
{
    const uint8_t mask[8] = {0, 0, 1, 1, 1, 1, 1, 1};
    const int32_t expected[8] = {0, 0, 0, 1, 0, 1, 2, 3};
    int32_t positions[8];

    (void)state;
    assert_int_equal(emb_positions_from_mask_i32(mask, 2, 4, 0, positions, 8,
                                                 NULL),
                     EMB_OK);
    assert_memory_equal(positions, expected, sizeof(expected));
}

static void mask_left_padding_i64(void **state)
{
    const uint8_t mask[8] = {0, 0, 1, 1, 1, 1, 1, 1};
    const int64_t expected[8] = {0, 0, 0, 1, 0, 1, 2, 3};
    int64_t positions[8];

    (void)state;
    assert_int_equal(emb_positions_from_mask_i64(mask, 2, 4, 0, positions, 8,
                                                 NULL),
                     EMB_OK);
    assert_memory_equal(positions, expected, sizeof(expected));
}

static void mask_start_offset_i32(void **state)
{
    const uint8_t mask[8] = {0, 0, 1, 1, 1, 1, 1, 1};
    const int32_t expected[8] = {0, 0, 5, 6, 5, 6, 7, 8};
    int32_t positions[8];

    (void)state;
    assert_int_equal(emb_positions_from_mask_i32(mask, 2, 4, 5, positions, 8,
                                                 NULL),
                     EMB_OK);
    assert_memory_equal(positions, expected, sizeof(expected));
}

static void mask_start_offset_i64(void **state)
{
    const uint8_t mask[8] = {0, 0, 1, 1, 1, 1, 1, 1};
    const int64_t expected[8] = {0, 0, 5, 6, 5, 6, 7, 8};
    int64_t positions[8];

    (void)state;
    assert_int_equal(emb_positions_from_mask_i64(mask, 2, 4, 5, positions, 8,
                                                 NULL),
                     EMB_OK);
    assert_memory_equal(positions, expected, sizeof(expected));
}

static void mask_counts_real_tokens(void **state)
{
    /* Holes and an all-padding row: the k-th real token gets start + k. */
    const uint8_t mask[8] = {1, 0, 1, 0, 0, 0, 0, 0};
    const int64_t expected[8] = {2, 0, 3, 0, 0, 0, 0, 0};
    int64_t positions[8];

    (void)state;
    assert_int_equal(emb_positions_from_mask_i64(mask, 2, 4, 2, positions, 8,
                                                 NULL),
                     EMB_OK);
    assert_memory_equal(positions, expected, sizeof(expected));
}

static void mask_rejects_other_values(void **state)
{
    const uint8_t mask[8] = {0, 1, 1, 1, 1, 2, 1, 255};
    const expected_element_error expected = {
        EMB_ERR_INVALID_ARGUMENT, 5, 1, 1, 2, 0, 2};
    int32_t positions32[8];
    int64_t positions64[8];
    emb_error err;

    (void)state;
    emb_error_init(&err);
    fill_sentinel(positions32, sizeof(positions32));
    assert_int_equal(emb_positions_from_mask_i32(mask, 2, 4, 0, positions32,
                                                 8, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(err.index, expected.index);
    assert_int_equal(err.batch_index, expected.batch_index);
    assert_int_equal(err.seq_index, expected.seq_index);
    assert_int_equal(err.value, expected.value);
    assert_sentinel(positions32, sizeof(positions32));

    emb_error_init(&err);
    fill_sentinel(positions64, sizeof(positions64));
    assert_int_equal(emb_positions_from_mask_i64(mask, 2, 4, 0, positions64,
                                                 8, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(err.index, expected.index);
    assert_int_equal(err.value, expected.value);
    assert_sentinel(positions64, sizeof(positions64));
}

static void mask_rejects_small_capacity(void **state)
{
    const uint8_t mask[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    int32_t positions32[8];
    int64_t positions64[8];

    (void)state;
    fill_sentinel(positions32, sizeof(positions32));
    fill_sentinel(positions64, sizeof(positions64));
    assert_int_equal(emb_positions_from_mask_i32(mask, 2, 4, 0, positions32,
                                                 7, NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_positions_from_mask_i64(mask, 2, 4, 0, positions64,
                                                 7, NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_positions_from_mask_i64(mask, 2, 4, 0, positions64,
                                                 -1, NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_sentinel(positions32, sizeof(positions32));
    assert_sentinel(positions64, sizeof(positions64));
}

static void mask_rejects_bad_arguments(void **state)
{
    const uint8_t mask[4] = {1, 1, 1, 1};
    int32_t positions32[4];
    int64_t positions64[4];

    (void)state;
    fill_sentinel(positions32, sizeof(positions32));
    fill_sentinel(positions64, sizeof(positions64));
    assert_int_equal(emb_positions_from_mask_i32(NULL, 1, 4, 0, positions32,
                                                 4, NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_positions_from_mask_i32(mask, 1, 4, 0, NULL, 4,
                                                 NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_positions_from_mask_i32(mask, -1, 4, 0, positions32,
                                                 4, NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_positions_from_mask_i32(mask, 1, -4, 0, positions32,
                                                 4, NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_positions_from_mask_i32(mask, 1, 4, -1, positions32,
                                                 4, NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_positions_from_mask_i64(mask, INT64_MAX, 2, 0,
                                                 positions64, 4, NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_positions_from_mask_i64(NULL, 1, 4, 0, positions64,
                                                 4, NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_positions_from_mask_i64(mask, 1, 4, 0, NULL, 4,
                                                 NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_sentinel(positions32, sizeof(positions32));
    assert_sentinel(positions64, sizeof(positions64));
}

static void mask_empty_succeeds(void **state)
{
    (void)state;
    assert_int_equal(emb_positions_from_mask_i32(NULL, 0, 4, 0, NULL, 0,
                                                 NULL),
                     EMB_OK);
    assert_int_equal(emb_positions_from_mask_i64(NULL, 3, 0, 0, NULL, 0,
                                                 NULL),
                     EMB_OK);
}

static void mask_empty_rejects_bad_start(void **state)
{
    (void)state;
    /* An empty mask still gets its scalar arguments checked. */
    assert_int_equal(emb_positions_from_mask_i64(NULL, 3, 0, -5, NULL, 0,
                                                 NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_positions_from_mask_i32(NULL, 0, 4, 0, NULL, -1,
                                                 NULL),
                     EMB_ERR_INVALID_ARGUMENT);
}

static void mask_rejects_unrepresentable_start(void **state)
{
    const uint8_t mask[4] = {1, 1, 1, 1};
    int32_t positions32[4];
    int64_t positions64[4];
    emb_error err;

    (void)state;
    /* The last position, start + 3, is exactly the type's maximum. */
    assert_int_equal(emb_positions_from_mask_i32(mask, 1, 4, INT32_MAX - 3,
                                                 positions32, 4, NULL),
                     EMB_OK);
    assert_int_equal(positions32[3], INT32_MAX);
    assert_int_equal(emb_positions_from_mask_i64(mask, 1, 4, INT64_MAX - 3,
                                                 positions64, 4, NULL),
                     EMB_OK);
    assert_true(positions64[3] == INT64_MAX);

    fill_sentinel(positions32, sizeof(positions32));
    fill_sentinel(positions64, sizeof(positions64));
    emb_error_init(&err);
    assert_int_equal(emb_positions_from_mask_i32(mask, 1, 4, INT32_MAX - 2,
                                                 positions32, 4, &err),
                     EMB_ERR_POSITION_OUT_OF_RANGE);
    assert_int_equal(err.status, EMB_ERR_POSITION_OUT_OF_RANGE);
    assert_int_equal(emb_positions_from_mask_i32(mask, 1, 4, INT64_MAX,
                                                 positions32, 4, NULL),
                     EMB_ERR_POSITION_OUT_OF_RANGE);
    assert_int_equal(emb_positions_from_mask_i64(mask, 1, 4, INT64_MAX - 2,
                                                 positions64, 4, NULL),
                     EMB_ERR_POSITION_OUT_OF_RANGE);
    assert_int_equal(emb_positions_from_mask_i64(mask, 1, 4, INT64_MAX,
                                                 positions64, 4, NULL),
                     EMB_ERR_POSITION_OUT_OF_RANGE);
    assert_sentinel(positions32, sizeof(positions32));
    assert_sentinel(positions64, sizeof(positions64));
}

int main(void)
{
    static const config_test matrix[] = {
        {"positions_explicit_values", positions_explicit_values},
        {"positions_padded_row_matches_unpadded",
         positions_padded_row_matches_unpadded},
        {"positions_reject_negative", positions_reject_negative},
        {"positions_reject_context", positions_reject_context},
        {"positions_reject_type_extremes", positions_reject_type_extremes},
        {"positions_reject_nonzero_start", positions_reject_nonzero_start},
        {"positions_allow_long_sequence", positions_allow_long_sequence},
        {"positions_bad_id_reported_first", positions_bad_id_reported_first},
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mask_left_padding_i32),
        cmocka_unit_test(mask_left_padding_i64),
        cmocka_unit_test(mask_start_offset_i32),
        cmocka_unit_test(mask_start_offset_i64),
        cmocka_unit_test(mask_counts_real_tokens),
        cmocka_unit_test(mask_rejects_other_values),
        cmocka_unit_test(mask_rejects_small_capacity),
        cmocka_unit_test(mask_rejects_bad_arguments),
        cmocka_unit_test(mask_empty_succeeds),
        cmocka_unit_test(mask_empty_rejects_bad_start),
        cmocka_unit_test(mask_rejects_unrepresentable_start),
    };
    int failed = run_config_tests("positions", matrix,
                                  sizeof(matrix) / sizeof(matrix[0]));

    failed += cmocka_run_group_tests_name("mask", tests, NULL, NULL);
    return failed;
}
