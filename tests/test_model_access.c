/* Accessors of a model handle: shape getters, table pointers and row
 * counts, single-row reads and writes, and vocab resizing. */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define TYPES 2

/* The fixture plus a two-row token-type table [[1, 2, 3], [4, 5, 6]]. */
static emb_model *fixture_with_types(void)
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
    options.num_threads = 2;
    return create_model(&options);
}

static emb_model *normal_model(int64_t vocab, bool has_padding,
                               int64_t padding_id)
{
    emb_model_options options;

    emb_model_options_init(&options);
    options.init = EMB_INIT_NORMAL;
    options.vocab_size = vocab;
    options.dim = 5;
    options.context_length = 3;
    options.seed = 77;
    options.stddev = 1.0;
    options.has_padding_id = has_padding ? 1 : 0;
    options.padding_id = padding_id;
    return create_model(&options);
}

static void accessors_report_shapes(void **state)
{
    emb_model *model = fixture_with_types();

    (void)state;
    assert_int_equal(emb_model_vocab_size(model), FIXTURE_VOCAB);
    assert_int_equal(emb_model_dim(model), FIXTURE_DIM);
    assert_int_equal(emb_model_context_length(model), FIXTURE_CONTEXT);
    assert_int_equal(emb_model_token_type_count(model), TYPES);
    assert_int_equal(emb_model_position_kind(model), EMB_POSITION_LEARNED);
    assert_int_equal(emb_model_num_threads(model), 2);
    assert_int_equal(emb_model_table_rows(model, EMB_TABLE_TOKEN),
                     FIXTURE_VOCAB);
    assert_int_equal(emb_model_table_rows(model, EMB_TABLE_POSITION),
                     FIXTURE_CONTEXT);
    assert_int_equal(emb_model_table_rows(model, EMB_TABLE_TOKEN_TYPE),
                     TYPES);
    emb_model_destroy(model);
}

static void accessors_accept_null_model(void **state)
{
    float row[FIXTURE_DIM];

    (void)state;
    assert_int_equal(emb_model_vocab_size(NULL), 0);
    assert_int_equal(emb_model_dim(NULL), 0);
    assert_int_equal(emb_model_context_length(NULL), 0);
    assert_int_equal(emb_model_token_type_count(NULL), 0);
    assert_int_equal(emb_model_position_kind(NULL), -1);
    assert_int_equal(emb_model_num_threads(NULL), 0);
    assert_null(emb_model_table_data(NULL, EMB_TABLE_TOKEN));
    assert_int_equal(emb_model_table_rows(NULL, EMB_TABLE_TOKEN), 0);
    assert_int_equal(emb_model_read_row(NULL, EMB_TABLE_TOKEN, 0, row,
                                        FIXTURE_DIM, NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_model_write_row(NULL, EMB_TABLE_TOKEN, 0, row,
                                         FIXTURE_DIM, NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_model_resize_vocab(NULL, 8, NULL),
                     EMB_ERR_INVALID_ARGUMENT);
}

static void accessors_table_data_values(void **state)
{
    emb_model *model = fixture_with_types();
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    const float types[TYPES * FIXTURE_DIM] = {1, 2, 3, 4, 5, 6};

    (void)state;
    fixture_tables(token, position);
    assert_floats_identical(token,
                            emb_model_table_data(model, EMB_TABLE_TOKEN),
                            FIXTURE_VOCAB * FIXTURE_DIM);
    assert_floats_identical(position,
                            emb_model_table_data(model, EMB_TABLE_POSITION),
                            FIXTURE_CONTEXT * FIXTURE_DIM);
    assert_floats_identical(types,
                            emb_model_table_data(model, EMB_TABLE_TOKEN_TYPE),
                            TYPES * FIXTURE_DIM);
    emb_model_destroy(model);
}

static void accessors_absent_tables(void **state)
{
    emb_model *model = fixture_model(EMB_KERNEL_REFERENCE, 1);
    emb_model_options options;
    emb_model *none;
    const int32_t unknown[] = {-1, 3, INT32_MAX, INT32_MIN};

    (void)state;
    assert_null(emb_model_table_data(model, EMB_TABLE_TOKEN_TYPE));
    assert_int_equal(emb_model_table_rows(model, EMB_TABLE_TOKEN_TYPE), 0);
    assert_int_equal(emb_model_token_type_count(model), 0);
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_null(emb_model_table_data(model, unknown[i]));
        assert_int_equal(emb_model_table_rows(model, unknown[i]), 0);
    }

    emb_model_options_init(&options);
    options.vocab_size = 4;
    options.dim = 3;
    options.position_kind = EMB_POSITION_NONE;
    none = create_model(&options);
    assert_null(emb_model_table_data(none, EMB_TABLE_POSITION));
    assert_int_equal(emb_model_table_rows(none, EMB_TABLE_POSITION), 0);
    assert_int_equal(emb_model_context_length(none), 0);
    emb_model_destroy(none);
    emb_model_destroy(model);
}

static void read_row_copies_each_table(void **state)
{
    emb_model *model = fixture_with_types();
    float row[FIXTURE_DIM];
    const float token_row[FIXTURE_DIM] = {30, 31, 32};
    const float position_row[FIXTURE_DIM] = {200, 200, 200};
    const float type_row[FIXTURE_DIM] = {4, 5, 6};

    (void)state;
    assert_int_equal(emb_model_read_row(model, EMB_TABLE_TOKEN, 3, row,
                                        FIXTURE_DIM, NULL),
                     EMB_OK);
    assert_floats_identical(token_row, row, FIXTURE_DIM);
    assert_int_equal(emb_model_read_row(model, EMB_TABLE_POSITION, 2, row,
                                        FIXTURE_DIM, NULL),
                     EMB_OK);
    assert_floats_identical(position_row, row, FIXTURE_DIM);
    assert_int_equal(emb_model_read_row(model, EMB_TABLE_TOKEN_TYPE, 1, row,
                                        FIXTURE_DIM, NULL),
                     EMB_OK);
    assert_floats_identical(type_row, row, FIXTURE_DIM);
    emb_model_destroy(model);
}

static void read_row_writes_only_dim(void **state)
{
    emb_model *model = fixture_model(EMB_KERNEL_REFERENCE, 1);
    float row[FIXTURE_DIM + 2];

    (void)state;
    fill_sentinel(row, sizeof(row));
    assert_int_equal(emb_model_read_row(model, EMB_TABLE_TOKEN, 1, row,
                                        FIXTURE_DIM + 2, NULL),
                     EMB_OK);
    assert_true(row[0] == 10.0f);
    assert_true(row[2] == 12.0f);
    assert_sentinel(&row[FIXTURE_DIM], 2 * sizeof(float));
    emb_model_destroy(model);
}

static void read_row_rejects_bad_row(void **state)
{
    emb_model *model = fixture_with_types();
    float row[FIXTURE_DIM];
    emb_error err;
    static const struct {
        int32_t table;
        int64_t row, rows;
    } cases[] = {
        {EMB_TABLE_TOKEN, -1, FIXTURE_VOCAB},
        {EMB_TABLE_TOKEN, FIXTURE_VOCAB, FIXTURE_VOCAB},
        {EMB_TABLE_TOKEN, INT64_MIN, FIXTURE_VOCAB},
        {EMB_TABLE_TOKEN, INT64_MAX, FIXTURE_VOCAB},
        {EMB_TABLE_POSITION, -1, FIXTURE_CONTEXT},
        {EMB_TABLE_POSITION, FIXTURE_CONTEXT, FIXTURE_CONTEXT},
        {EMB_TABLE_TOKEN_TYPE, -1, TYPES},
        {EMB_TABLE_TOKEN_TYPE, TYPES, TYPES},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        emb_error_init(&err);
        fill_sentinel(row, sizeof(row));
        assert_int_equal(emb_model_read_row(model, cases[i].table,
                                            cases[i].row, row, FIXTURE_DIM,
                                            &err),
                         EMB_ERR_ID_OUT_OF_RANGE);
        assert_int_equal(err.status, EMB_ERR_ID_OUT_OF_RANGE);
        assert_true(err.fields & EMB_ERROR_HAS_VALUE);
        assert_int_equal(err.value, cases[i].row);
        assert_true(err.fields & EMB_ERROR_HAS_RANGE);
        assert_int_equal(err.range_begin, 0);
        assert_int_equal(err.range_end, cases[i].rows);
        assert_sentinel(row, sizeof(row));
    }
    emb_model_destroy(model);
}

static void read_row_rejects_bad_buffer(void **state)
{
    emb_model *model = fixture_model(EMB_KERNEL_REFERENCE, 1);
    float row[FIXTURE_DIM];
    emb_error err;

    (void)state;
    fill_sentinel(row, sizeof(row));
    emb_error_init(&err);
    assert_int_equal(emb_model_read_row(model, EMB_TABLE_TOKEN, 0, row,
                                        FIXTURE_DIM - 1, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(err.status, EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_model_read_row(model, EMB_TABLE_TOKEN, 0, row, 0,
                                        &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_model_read_row(model, EMB_TABLE_TOKEN, 0, row, -1,
                                        &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_model_read_row(model, EMB_TABLE_TOKEN, 0, NULL,
                                        FIXTURE_DIM, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_sentinel(row, sizeof(row));
    emb_model_destroy(model);
}

static void read_row_rejects_bad_table(void **state)
{
    emb_model *model = fixture_model(EMB_KERNEL_REFERENCE, 1);
    float row[FIXTURE_DIM];
    const int32_t bad[] = {EMB_TABLE_TOKEN_TYPE, -1, 3};

    (void)state;
    fill_sentinel(row, sizeof(row));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(emb_model_read_row(model, bad[i], 0, row,
                                            FIXTURE_DIM, NULL),
                         EMB_ERR_INVALID_ARGUMENT);
    assert_sentinel(row, sizeof(row));
    emb_model_destroy(model);
}

static void write_row_updates_each_table(void **state)
{
    emb_model *model = fixture_with_types();
    const float source[FIXTURE_DIM] = {-1.5f, 0.25f, 7.0f};
    float row[FIXTURE_DIM];
    const int32_t tables[] = {EMB_TABLE_TOKEN, EMB_TABLE_POSITION,
                              EMB_TABLE_TOKEN_TYPE};

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(emb_model_write_row(model, tables[i], 1, source,
                                             FIXTURE_DIM, NULL),
                         EMB_OK);
        assert_int_equal(emb_model_read_row(model, tables[i], 1, row,
                                            FIXTURE_DIM, NULL),
                         EMB_OK);
        assert_floats_identical(source, row, FIXTURE_DIM);
        /* The neighbouring row is unchanged. */
        assert_int_equal(emb_model_read_row(model, tables[i], 0, row,
                                            FIXTURE_DIM, NULL),
                         EMB_OK);
        assert_true(row[0] != -1.5f);
    }
    emb_model_destroy(model);
}

static void write_row_changes_forward(void **state)
{
    emb_model *model = fixture_model(EMB_KERNEL_FUSED, 1);
    const float source[FIXTURE_DIM] = {1.0f, 2.0f, 3.0f};
    const int32_t ids[2] = {2, 2};
    float out[2 * FIXTURE_DIM];
    const float expected[2 * FIXTURE_DIM] = {1, 2, 3, 101, 102, 103};

    (void)state;
    assert_int_equal(emb_model_write_row(model, EMB_TABLE_TOKEN, 2, source,
                                         FIXTURE_DIM, NULL),
                     EMB_OK);
    assert_int_equal(emb_forward_i32(model, ids, 1, 2, 0, out,
                                     2 * FIXTURE_DIM, NULL),
                     EMB_OK);
    assert_floats_identical(expected, out, 2 * FIXTURE_DIM);
    emb_model_destroy(model);
}

static void write_row_rejects_bad_arguments(void **state)
{
    emb_model *model = fixture_with_types();
    const float source[FIXTURE_DIM] = {-1, -1, -1};
    emb_error err;
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];

    (void)state;
    fixture_tables(token, position);
    emb_error_init(&err);
    assert_int_equal(emb_model_write_row(model, EMB_TABLE_TOKEN, -1, source,
                                         FIXTURE_DIM, &err),
                     EMB_ERR_ID_OUT_OF_RANGE);
    assert_int_equal(err.value, -1);
    assert_int_equal(emb_model_write_row(model, EMB_TABLE_TOKEN,
                                         FIXTURE_VOCAB, source, FIXTURE_DIM,
                                         &err),
                     EMB_ERR_ID_OUT_OF_RANGE);
    assert_int_equal(err.value, FIXTURE_VOCAB);
    assert_int_equal(err.range_end, FIXTURE_VOCAB);
    assert_int_equal(emb_model_write_row(model, EMB_TABLE_TOKEN_TYPE, TYPES,
                                         source, FIXTURE_DIM, &err),
                     EMB_ERR_ID_OUT_OF_RANGE);
    assert_int_equal(emb_model_write_row(model, EMB_TABLE_TOKEN, 0, source,
                                         FIXTURE_DIM - 1, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_model_write_row(model, EMB_TABLE_TOKEN, 0, NULL,
                                         FIXTURE_DIM, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_model_write_row(model, 3, 0, source, FIXTURE_DIM,
                                         &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_model_write_row(model, -1, 0, source, FIXTURE_DIM,
                                         &err),
                     EMB_ERR_INVALID_ARGUMENT);
    /* No failed call changed the tables. */
    assert_floats_identical(token,
                            emb_model_table_data(model, EMB_TABLE_TOKEN),
                            FIXTURE_VOCAB * FIXTURE_DIM);
    assert_floats_identical(position,
                            emb_model_table_data(model, EMB_TABLE_POSITION),
                            FIXTURE_CONTEXT * FIXTURE_DIM);
    emb_model_destroy(model);
}

static void write_row_rejects_absent_table(void **state)
{
    emb_model *model = fixture_model(EMB_KERNEL_REFERENCE, 1);
    const float source[FIXTURE_DIM] = {1, 2, 3};

    (void)state;
    assert_int_equal(emb_model_write_row(model, EMB_TABLE_TOKEN_TYPE, 0,
                                         source, FIXTURE_DIM, NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    emb_model_destroy(model);
}

static float *copy_table(const emb_model *model, int32_t which)
{
    size_t count = (size_t)(emb_model_table_rows(model, which) *
                            emb_model_dim(model));
    float *copy = malloc(count * sizeof(float));

    assert_non_null(copy);
    memcpy(copy, emb_model_table_data(model, which), count * sizeof(float));
    return copy;
}

static void resize_grow_keeps_rows(void **state)
{
    emb_model *model = normal_model(10, false, 0);
    emb_model *fresh = normal_model(25, false, 0);
    const float edited[5] = {1, 2, 3, 4, 5};
    float *before;

    (void)state;
    /* An edited row must survive the resize bit for bit as well. */
    assert_int_equal(emb_model_write_row(model, EMB_TABLE_TOKEN, 4, edited, 5,
                                         NULL),
                     EMB_OK);
    before = copy_table(model, EMB_TABLE_TOKEN);
    assert_int_equal(emb_model_resize_vocab(model, 25, NULL), EMB_OK);
    assert_int_equal(emb_model_vocab_size(model), 25);
    assert_int_equal(emb_model_table_rows(model, EMB_TABLE_TOKEN), 25);
    assert_floats_identical(before,
                            emb_model_table_data(model, EMB_TABLE_TOKEN),
                            10 * 5);
    /* New rows equal those of a model created at the new size. */
    assert_floats_identical(emb_model_table_data(fresh, EMB_TABLE_TOKEN) +
                                10 * 5,
                            emb_model_table_data(model, EMB_TABLE_TOKEN) +
                                10 * 5,
                            15 * 5);
    free(before);
    emb_model_destroy(model);
    emb_model_destroy(fresh);
}

static void resize_grow_matches_fresh_padded(void **state)
{
    emb_model *model = normal_model(6, true, 2);
    emb_model *fresh = normal_model(40, true, 2);

    (void)state;
    assert_int_equal(emb_model_resize_vocab(model, 40, NULL), EMB_OK);
    assert_floats_identical(emb_model_table_data(fresh, EMB_TABLE_TOKEN),
                            emb_model_table_data(model, EMB_TABLE_TOKEN),
                            40 * 5);
    emb_model_destroy(model);
    emb_model_destroy(fresh);
}

static void resize_grow_copy_adds_zero_rows(void **state)
{
    emb_model *model = fixture_model(EMB_KERNEL_REFERENCE, 1);
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    const float *data;

    (void)state;
    fixture_tables(token, position);
    assert_int_equal(emb_model_resize_vocab(model, 7, NULL), EMB_OK);
    data = emb_model_table_data(model, EMB_TABLE_TOKEN);
    assert_floats_identical(token, data, FIXTURE_VOCAB * FIXTURE_DIM);
    for (int i = FIXTURE_VOCAB * FIXTURE_DIM; i < 7 * FIXTURE_DIM; i++)
        assert_true(data[i] == 0.0f);
    /* The position table is untouched by a vocab resize. */
    assert_floats_identical(position,
                            emb_model_table_data(model, EMB_TABLE_POSITION),
                            FIXTURE_CONTEXT * FIXTURE_DIM);
    emb_model_destroy(model);
}

static void resize_grow_serves_new_ids(void **state)
{
    emb_model *model = fixture_model(EMB_KERNEL_BLAS, 1);
    const float row[FIXTURE_DIM] = {5, 6, 7};
    const int64_t ids[2] = {3, 5};
    float out[2 * FIXTURE_DIM];
    const float expected[2 * FIXTURE_DIM] = {30, 31, 32, 105, 106, 107};

    (void)state;
    assert_int_equal(emb_forward_i64(model, ids, 1, 2, 0, out,
                                     2 * FIXTURE_DIM, NULL),
                     EMB_ERR_ID_OUT_OF_RANGE);
    assert_int_equal(emb_model_resize_vocab(model, 6, NULL), EMB_OK);
    assert_int_equal(emb_model_write_row(model, EMB_TABLE_TOKEN, 5, row,
                                         FIXTURE_DIM, NULL),
                     EMB_OK);
    assert_int_equal(emb_forward_i64(model, ids, 1, 2, 0, out,
                                     2 * FIXTURE_DIM, NULL),
                     EMB_OK);
    assert_floats_identical(expected, out, 2 * FIXTURE_DIM);
    emb_model_destroy(model);
}

static void resize_shrink_keeps_prefix(void **state)
{
    emb_model *model = normal_model(30, false, 0);
    float *before = copy_table(model, EMB_TABLE_TOKEN);
    const int32_t ids[1] = {12};
    float out[5];
    emb_error err;

    (void)state;
    assert_int_equal(emb_model_resize_vocab(model, 12, NULL), EMB_OK);
    assert_int_equal(emb_model_vocab_size(model), 12);
    assert_floats_identical(before,
                            emb_model_table_data(model, EMB_TABLE_TOKEN),
                            12 * 5);
    emb_error_init(&err);
    fill_sentinel(out, sizeof(out));
    assert_int_equal(emb_forward_i32(model, ids, 1, 1, 0, out, 5, &err),
                     EMB_ERR_ID_OUT_OF_RANGE);
    assert_int_equal(err.range_end, 12);
    assert_sentinel(out, sizeof(out));
    free(before);
    emb_model_destroy(model);
}

static void resize_same_size_keeps_rows(void **state)
{
    emb_model *model = normal_model(9, false, 0);
    float *before = copy_table(model, EMB_TABLE_TOKEN);

    (void)state;
    assert_int_equal(emb_model_resize_vocab(model, 9, NULL), EMB_OK);
    assert_floats_identical(before,
                            emb_model_table_data(model, EMB_TABLE_TOKEN),
                            9 * 5);
    free(before);
    emb_model_destroy(model);
}

static void resize_rejects_dropping_padding(void **state)
{
    emb_model *model = normal_model(10, true, 6);
    float *before = copy_table(model, EMB_TABLE_TOKEN);
    emb_error err;

    (void)state;
    emb_error_init(&err);
    assert_int_equal(emb_model_resize_vocab(model, 6, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(err.status, EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(emb_model_vocab_size(model), 10);
    assert_floats_identical(before,
                            emb_model_table_data(model, EMB_TABLE_TOKEN),
                            10 * 5);
    /* Keeping the padding row is allowed. */
    assert_int_equal(emb_model_resize_vocab(model, 7, NULL), EMB_OK);
    assert_floats_identical(before,
                            emb_model_table_data(model, EMB_TABLE_TOKEN),
                            7 * 5);
    free(before);
    emb_model_destroy(model);
}

static void resize_rejects_bad_size(void **state)
{
    emb_model *model = normal_model(10, false, 0);
    float *before = copy_table(model, EMB_TABLE_TOKEN);
    const int64_t bad[] = {0, -1, INT64_MIN, INT64_MAX, (int64_t)1 << 62};
    emb_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        emb_error_init(&err);
        assert_int_equal(emb_model_resize_vocab(model, bad[i], &err),
                         EMB_ERR_INVALID_ARGUMENT);
        assert_int_equal(err.status, EMB_ERR_INVALID_ARGUMENT);
        assert_int_equal(emb_model_vocab_size(model), 10);
    }
    assert_floats_identical(before,
                            emb_model_table_data(model, EMB_TABLE_TOKEN),
                            10 * 5);
    free(before);
    emb_model_destroy(model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accessors_report_shapes),
        cmocka_unit_test(accessors_accept_null_model),
        cmocka_unit_test(accessors_table_data_values),
        cmocka_unit_test(accessors_absent_tables),
        cmocka_unit_test(read_row_copies_each_table),
        cmocka_unit_test(read_row_writes_only_dim),
        cmocka_unit_test(read_row_rejects_bad_row),
        cmocka_unit_test(read_row_rejects_bad_buffer),
        cmocka_unit_test(read_row_rejects_bad_table),
        cmocka_unit_test(write_row_updates_each_table),
        cmocka_unit_test(write_row_changes_forward),
        cmocka_unit_test(write_row_rejects_bad_arguments),
        cmocka_unit_test(write_row_rejects_absent_table),
        cmocka_unit_test(resize_grow_keeps_rows),
        cmocka_unit_test(resize_grow_matches_fresh_padded),
        cmocka_unit_test(resize_grow_copy_adds_zero_rows),
        cmocka_unit_test(resize_grow_serves_new_ids),
        cmocka_unit_test(resize_shrink_keeps_prefix),
        cmocka_unit_test(resize_same_size_keeps_rows),
        cmocka_unit_test(resize_rejects_dropping_padding),
        cmocka_unit_test(resize_rejects_bad_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
