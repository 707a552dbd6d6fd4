/* Model creation: the init modes, option validation, the struct_size rules
 * of emb_model_options, and destruction. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* A handle value that creation must leave alone when it fails. */
static emb_model *const untouched_handle = (emb_model *)(uintptr_t)0x5a5a5a50;

static void fixture_options(emb_model_options *options, float *token,
                            float *position)
{
    fixture_tables(token, position);
    emb_model_options_init(options);
    options->init = EMB_INIT_COPY;
    options->vocab_size = FIXTURE_VOCAB;
    options->dim = FIXTURE_DIM;
    options->context_length = FIXTURE_CONTEXT;
    options->token_data = token;
    options->position_data = position;
}

/* Creates with `options`, checks the status, that *out_model is unchanged
 * and that err carries the same status and a message. */
static void expect_create_fails(const emb_model_options *options,
                                emb_status expected)
{
    emb_model *model = untouched_handle;
    emb_error err;

    emb_error_init(&err);
    assert_int_equal(emb_model_create(options, &model, &err), expected);
    assert_ptr_equal(model, untouched_handle);
    assert_int_equal(err.status, expected);
    assert_true(strlen(err.message) > 0);
}

static void options_init_sets_defaults(void **state)
{
    emb_model_options options;

    (void)state;
    memset(&options, 0xCC, sizeof(options));
    emb_model_options_init(&options);
    assert_int_equal(options.struct_size, sizeof(options));
    assert_int_equal(options.init, EMB_INIT_ZEROS);
    assert_int_equal(options.seed, 0);
    assert_true(options.mean == 0.0);
    assert_true(options.stddev == 0.02);
    assert_null(options.token_data);
    assert_null(options.position_data);
    assert_null(options.token_type_data);
    assert_int_equal(options.storage_dtype, EMB_DTYPE_F32);
    assert_int_equal(options.position_kind, EMB_POSITION_LEARNED);
    assert_true(options.sinusoid_base == 10000.0);
    assert_int_equal(options.sinusoid_layout, EMB_SINUSOID_INTERLEAVED);
    assert_int_equal(options.has_padding_id, 0);
    assert_int_equal(options.has_scale, 0);
    assert_int_equal(options.token_type_count, 0);
    assert_int_equal(options.num_threads, 0);
    assert_int_equal(options.kernel, EMB_KERNEL_AUTO);
}

static void options_init_accepts_null(void **state)
{
    (void)state;
    emb_model_options_init(NULL);
}

static void create_zeros_fills_zero(void **state)
{
    emb_model_options options;
    emb_model *model;
    const float *token, *position;

    (void)state;
    emb_model_options_init(&options);
    options.vocab_size = 5;
    options.dim = 7;
    options.context_length = 3;
    model = create_model(&options);
    token = emb_model_table_data(model, EMB_TABLE_TOKEN);
    position = emb_model_table_data(model, EMB_TABLE_POSITION);
    assert_non_null(token);
    assert_non_null(position);
    for (int i = 0; i < 5 * 7; i++)
        assert_true(token[i] == 0.0f && !signbit(token[i]));
    for (int i = 0; i < 3 * 7; i++)
        assert_true(position[i] == 0.0f && !signbit(position[i]));
    assert_null(emb_model_table_data(model, EMB_TABLE_TOKEN_TYPE));
    emb_model_destroy(model);
}

static void create_copy_outlives_source(void **state)
{
    emb_model_options options;
    float *token = malloc(FIXTURE_VOCAB * FIXTURE_DIM * sizeof(float));
    float *position = malloc(FIXTURE_CONTEXT * FIXTURE_DIM * sizeof(float));
    float expected_token[FIXTURE_VOCAB * FIXTURE_DIM];
    float expected_position[FIXTURE_CONTEXT * FIXTURE_DIM];
    emb_model *model;

    (void)state;
    assert_non_null(token);
    assert_non_null(position);
    fixture_options(&options, token, position);
    fixture_tables(expected_token, expected_position);
    model = create_model(&options);
    /* Scribble over and free the sources: the model has its own copy. */
    memset(token, 0x7F, FIXTURE_VOCAB * FIXTURE_DIM * sizeof(float));
    memset(position, 0x7F, FIXTURE_CONTEXT * FIXTURE_DIM * sizeof(float));
    free(token);
    free(position);

    assert_ptr_not_equal(emb_model_table_data(model, EMB_TABLE_TOKEN), token);
    assert_floats_identical(expected_token,
                            emb_model_table_data(model, EMB_TABLE_TOKEN),
                            FIXTURE_VOCAB * FIXTURE_DIM);
    assert_floats_identical(expected_position,
                            emb_model_table_data(model, EMB_TABLE_POSITION),
                            FIXTURE_CONTEXT * FIXTURE_DIM);
    emb_model_destroy(model);
}

static void create_copy_is_writable(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    const float row[FIXTURE_DIM] = {-1.0f, -2.0f, -3.0f};
    float read[FIXTURE_DIM];
    emb_model_options options;
    emb_model *model;

    (void)state;
    fixture_options(&options, token, position);
    model = create_model(&options);
    assert_int_equal(emb_model_write_row(model, EMB_TABLE_TOKEN, 2, row,
                                         FIXTURE_DIM, NULL),
                     EMB_OK);
    assert_int_equal(emb_model_read_row(model, EMB_TABLE_TOKEN, 2, read,
                                        FIXTURE_DIM, NULL),
                     EMB_OK);
    assert_floats_identical(row, read, FIXTURE_DIM);
    /* The caller's source is not written through the model. */
    assert_true(token[2 * FIXTURE_DIM] == 20.0f);
    emb_model_destroy(model);
}

static void create_borrow_uses_caller_memory(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    float types[2 * FIXTURE_DIM] = {1, 2, 3, 4, 5, 6};
    emb_model_options options;
    emb_model *model;

    (void)state;
    fixture_options(&options, token, position);
    options.init = EMB_INIT_BORROW;
    options.token_type_count = 2;
    options.token_type_data = types;
    model = create_model(&options);
    assert_ptr_equal(emb_model_table_data(model, EMB_TABLE_TOKEN), token);
    assert_ptr_equal(emb_model_table_data(model, EMB_TABLE_POSITION),
                     position);
    assert_ptr_equal(emb_model_table_data(model, EMB_TABLE_TOKEN_TYPE),
                     types);
    emb_model_destroy(model);
    /* Destroy leaves borrowed memory alone. */
    assert_true(token[FIXTURE_DIM] == 10.0f);
}

static void create_borrow_sees_caller_updates(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    emb_model_options options;
    emb_model *model;
    const int32_t ids[1] = {1};
    float out[FIXTURE_DIM];

    (void)state;
    fixture_options(&options, token, position);
    options.init = EMB_INIT_BORROW;
    model = create_model(&options);
    /* No copy was taken, so the forward reads the current contents. */
    token[FIXTURE_DIM] = 0.5f;
    assert_int_equal(emb_forward_i32(model, ids, 1, 1, 0, out, FIXTURE_DIM,
                                     NULL),
                     EMB_OK);
    assert_true(out[0] == 0.5f);
    emb_model_destroy(model);
}

static void create_borrow_rejects_write_row(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    float expected_token[FIXTURE_VOCAB * FIXTURE_DIM];
    float expected_position[FIXTURE_CONTEXT * FIXTURE_DIM];
    const float row[FIXTURE_DIM] = {-1.0f, -2.0f, -3.0f};
    emb_model_options options;
    emb_model *model;
    emb_error err;

    (void)state;
    fixture_options(&options, token, position);
    fixture_tables(expected_token, expected_position);
    options.init = EMB_INIT_BORROW;
    model = create_model(&options);
    emb_error_init(&err);
    assert_int_equal(emb_model_write_row(model, EMB_TABLE_TOKEN, 1, row,
                                         FIXTURE_DIM, &err),
                     EMB_ERR_READ_ONLY);
    assert_int_equal(err.status, EMB_ERR_READ_ONLY);
    assert_int_equal(emb_model_write_row(model, EMB_TABLE_POSITION, 1, row,
                                         FIXTURE_DIM, &err),
                     EMB_ERR_READ_ONLY);
    assert_floats_identical(expected_token, token,
                            FIXTURE_VOCAB * FIXTURE_DIM);
    assert_floats_identical(expected_position, position,
                            FIXTURE_CONTEXT * FIXTURE_DIM);
    emb_model_destroy(model);
}

static void create_borrow_rejects_resize(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    emb_model_options options;
    emb_model *model;
    emb_error err;

    (void)state;
    fixture_options(&options, token, position);
    options.init = EMB_INIT_BORROW;
    model = create_model(&options);
    emb_error_init(&err);
    assert_int_equal(emb_model_resize_vocab(model, 8, &err),
                     EMB_ERR_READ_ONLY);
    assert_int_equal(err.status, EMB_ERR_READ_ONLY);
    assert_int_equal(emb_model_resize_vocab(model, 2, &err),
                     EMB_ERR_READ_ONLY);
    assert_int_equal(emb_model_vocab_size(model), FIXTURE_VOCAB);
    assert_ptr_equal(emb_model_table_data(model, EMB_TABLE_TOKEN), token);
    emb_model_destroy(model);
}

static void create_ignores_unused_position_data(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    emb_model_options options;
    emb_model *model;

    (void)state;
    fixture_options(&options, token, position);
    options.position_data = NULL;
    options.position_kind = EMB_POSITION_SINUSOIDAL;
    model = create_model(&options);
    assert_non_null(emb_model_table_data(model, EMB_TABLE_POSITION));
    emb_model_destroy(model);

    options.init = EMB_INIT_BORROW;
    model = create_model(&options);
    assert_non_null(emb_model_table_data(model, EMB_TABLE_POSITION));
    emb_model_destroy(model);
}

static void create_sets_thread_count(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    emb_model_options options;
    emb_model *model;

    (void)state;
    fixture_options(&options, token, position);
    options.num_threads = 3;
    model = create_model(&options);
    assert_int_equal(emb_model_num_threads(model), 3);
    emb_model_destroy(model);

    options.num_threads = 0;
    model = create_model(&options);
    assert_true(emb_model_num_threads(model) >= 1);
    emb_model_destroy(model);
}

static void create_caps_thread_count(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    const int32_t ids[2] = {1, 2};
    const float expected[6] = {10, 11, 12, 120, 121, 122};
    float out[6];
    emb_model_options options;
    emb_model *model;

    (void)state;
    /* The header documents 1024 as the largest count used. */
    fixture_options(&options, token, position);
    options.num_threads = INT32_MAX;
    model = create_model(&options);
    assert_int_equal(emb_model_num_threads(model), 1024);
    assert_int_equal(emb_forward_i32(model, ids, 1, 2, 0, out, 6, NULL),
                     EMB_OK);
    assert_floats_identical(expected, out, 6);
    emb_model_destroy(model);
}

static void create_rejects_null_options(void **state)
{
    emb_model *model = untouched_handle;
    emb_error err;

    (void)state;
    emb_error_init(&err);
    assert_int_equal(emb_model_create(NULL, &model, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_ptr_equal(model, untouched_handle);
    assert_int_equal(err.status, EMB_ERR_INVALID_ARGUMENT);
}

static void create_rejects_null_out_model(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    emb_model_options options;
    emb_error err;

    (void)state;
    fixture_options(&options, token, position);
    emb_error_init(&err);
    assert_int_equal(emb_model_create(&options, NULL, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(err.status, EMB_ERR_INVALID_ARGUMENT);
}

static void create_rejects_bad_sizes(void **state)
{
    const int64_t bad[] = {0, -1, INT64_MIN};
    emb_model_options options;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        emb_model_options_init(&options);
        options.vocab_size = bad[i];
        options.dim = 4;
        options.context_length = 4;
        expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);

        options.vocab_size = 4;
        options.dim = bad[i];
        expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);

        options.dim = 4;
        options.context_length = bad[i];
        expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);
    }
}

static void create_rejects_negative_counts(void **state)
{
    emb_model_options options;

    (void)state;
    emb_model_options_init(&options);
    options.vocab_size = 4;
    options.dim = 4;
    options.context_length = 4;
    options.token_type_count = -1;
    expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);

    options.token_type_count = 0;
    options.num_threads = -1;
    expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);
}

/* Each case's byte count overflows size_t or exceeds PTRDIFF_MAX, so the
 * call must fail as invalid before allocating. An attempted allocation
 * would show up as EMB_ERR_OUT_OF_MEMORY or a success. */
static void create_rejects_overflowing_sizes(void **state)
{
    static const struct {
        int64_t vocab, dim, context, types;
    } cases[] = {
        {(int64_t)1 << 62, 8, 4, 0},
        {(int64_t)1 << 61, 1, 4, 0},
        {(int64_t)1 << 62, 1, 4, 0},
        {INT64_MAX, INT64_MAX, 4, 0},
        {4, (int64_t)1 << 62, 4, 0},
        {1, INT64_MAX, 1, 0},
        {(int64_t)1 << 32, (int64_t)1 << 32, 4, 0},
        {4, 8, (int64_t)1 << 62, 0},
        {4, 8, INT64_MAX, 0},
        {4, 8, 4, (int64_t)1 << 62},
        {4, 8, 4, INT64_MAX},
    };
    static const int32_t inits[] = {EMB_INIT_ZEROS, EMB_INIT_NORMAL};
    emb_model_options options;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        for (size_t k = 0; k < sizeof(inits) / sizeof(inits[0]); k++) {
            emb_model_options_init(&options);
            options.init = inits[k];
            options.vocab_size = cases[i].vocab;
            options.dim = cases[i].dim;
            options.context_length = cases[i].context;
            options.token_type_count = cases[i].types;
            expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);
        }
}

static void create_rejects_half_storage(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    emb_model_options options;

    (void)state;
    fixture_options(&options, token, position);
    options.storage_dtype = EMB_DTYPE_F16;
    expect_create_fails(&options, EMB_ERR_UNSUPPORTED);
    options.storage_dtype = EMB_DTYPE_BF16;
    expect_create_fails(&options, EMB_ERR_UNSUPPORTED);
}

static void create_rejects_unknown_enums(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    emb_model_options options;
    const int32_t unknown[] = {-1, 99, INT32_MIN, INT32_MAX};

    (void)state;
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        fixture_options(&options, token, position);
        options.storage_dtype = unknown[i];
        expect_create_fails(&options, EMB_ERR_UNSUPPORTED);

        fixture_options(&options, token, position);
        options.init = unknown[i];
        expect_create_fails(&options, EMB_ERR_UNSUPPORTED);

        fixture_options(&options, token, position);
        options.position_kind = unknown[i];
        expect_create_fails(&options, EMB_ERR_UNSUPPORTED);

        fixture_options(&options, token, position);
        options.position_kind = EMB_POSITION_SINUSOIDAL;
        options.sinusoid_layout = unknown[i];
        expect_create_fails(&options, EMB_ERR_UNSUPPORTED);

        fixture_options(&options, token, position);
        options.kernel = unknown[i];
        expect_create_fails(&options, EMB_ERR_UNSUPPORTED);
    }
    /* The first value past each enum. */
    fixture_options(&options, token, position);
    options.storage_dtype = EMB_DTYPE_BF16 + 1;
    expect_create_fails(&options, EMB_ERR_UNSUPPORTED);
    fixture_options(&options, token, position);
    options.init = EMB_INIT_BORROW + 1;
    expect_create_fails(&options, EMB_ERR_UNSUPPORTED);
    fixture_options(&options, token, position);
    options.position_kind = EMB_POSITION_NONE + 1;
    expect_create_fails(&options, EMB_ERR_UNSUPPORTED);
    fixture_options(&options, token, position);
    options.sinusoid_layout = EMB_SINUSOID_SPLIT + 1;
    expect_create_fails(&options, EMB_ERR_UNSUPPORTED);
    fixture_options(&options, token, position);
    options.kernel = EMB_KERNEL_FUSED + 1;
    expect_create_fails(&options, EMB_ERR_UNSUPPORTED);
}

static void create_rejects_bad_normal_parameters(void **state)
{
    emb_model_options options;

    (void)state;
    emb_model_options_init(&options);
    options.init = EMB_INIT_NORMAL;
    options.vocab_size = 4;
    options.dim = 4;
    options.context_length = 4;
    options.stddev = -0.5;
    expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);
    options.stddev = NAN;
    expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);
    options.stddev = INFINITY;
    expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);
    options.stddev = 1.0;
    options.mean = NAN;
    expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);
    options.mean = -INFINITY;
    expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);
}

static void create_accepts_zero_stddev(void **state)
{
    emb_model_options options;
    emb_model *model;
    const float *token;

    (void)state;
    emb_model_options_init(&options);
    options.init = EMB_INIT_NORMAL;
    options.vocab_size = 4;
    options.dim = 4;
    options.context_length = 4;
    options.mean = 0.25;
    options.stddev = 0.0;
    model = create_model(&options);
    token = emb_model_table_data(model, EMB_TABLE_TOKEN);
    for (int i = 0; i < 16; i++)
        assert_true(token[i] == 0.25f);
    emb_model_destroy(model);
}

static void create_rejects_bad_scale(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    emb_model_options options;
    const float bad[] = {NAN, INFINITY, -INFINITY};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fixture_options(&options, token, position);
        options.has_scale = 1;
        options.scale = bad[i];
        expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);
    }
    fixture_options(&options, token, position);
    options.has_scale = 2;
    expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);
}

static void create_rejects_null_sources(void **state)
{
    static const int32_t modes[] = {EMB_INIT_COPY, EMB_INIT_BORROW};
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    emb_model_options options;

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        fixture_options(&options, token, position);
        options.init = modes[i];
        options.token_data = NULL;
        expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);

        fixture_options(&options, token, position);
        options.init = modes[i];
        options.position_data = NULL;
        expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);

        fixture_options(&options, token, position);
        options.init = modes[i];
        options.token_type_count = 2;
        options.token_type_data = NULL;
        expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);
    }
}

static void create_rejects_bad_padding_id(void **state)
{
    const int64_t bad[] = {-1, FIXTURE_VOCAB, FIXTURE_VOCAB + 100, INT64_MIN,
                           INT64_MAX};
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    emb_model_options options;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fixture_options(&options, token, position);
        options.has_padding_id = 1;
        options.padding_id = bad[i];
        expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);
    }
    fixture_options(&options, token, position);
    options.has_padding_id = 2;
    expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);
    /* Without has_padding_id the field is ignored. */
    fixture_options(&options, token, position);
    options.padding_id = -1;
    emb_model_destroy(create_model(&options));
}

static void create_rejects_bad_sinusoid_base(void **state)
{
    const double bad[] = {0.0, -1.0, NAN, INFINITY};
    emb_model_options options;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        emb_model_options_init(&options);
        options.vocab_size = 4;
        options.dim = 4;
        options.context_length = 4;
        options.position_kind = EMB_POSITION_SINUSOIDAL;
        options.sinusoid_base = bad[i];
        expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);
    }
}

static void create_rejects_small_struct_size(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    emb_model_options options;
    const uint32_t bad[] = {0, 4, (uint32_t)sizeof(options) - 1,
                            (uint32_t)offsetof(emb_model_options, kernel)};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fixture_options(&options, token, position);
        options.struct_size = bad[i];
        expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);
    }
}

/* Options as a newer caller would pass them: the known struct followed by
 * fields this library does not know. */
typedef struct newer_options {
    emb_model_options known;
    unsigned char tail[24];
} newer_options;

static void create_accepts_larger_zero_tail(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    newer_options newer;

    (void)state;
    memset(&newer, 0, sizeof(newer));
    fixture_options(&newer.known, token, position);
    newer.known.struct_size = (uint32_t)sizeof(newer);
    emb_model_destroy(create_model(&newer.known));
}

static void create_rejects_larger_nonzero_tail(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    newer_options newer;
    const size_t offsets[] = {0, 7, sizeof(newer.tail) - 1};

    (void)state;
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        memset(&newer, 0, sizeof(newer));
        fixture_options(&newer.known, token, position);
        newer.known.struct_size = (uint32_t)sizeof(newer);
        newer.tail[offsets[i]] = 1;
        expect_create_fails(&newer.known, EMB_ERR_UNSUPPORTED);
    }
}

static void create_ignores_bytes_past_struct_size(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    newer_options newer;

    (void)state;
    memset(&newer, 0, sizeof(newer));
    fixture_options(&newer.known, token, position);
    /* The tail lies past struct_size, so the library must not read it. */
    newer.tail[0] = 1;
    emb_model_destroy(create_model(&newer.known));
}

static void create_borrow_rejects_misaligned(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM + 1];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM + 1];
    emb_model_options options;

    (void)state;
    fixture_options(&options, token, position);
    options.init = EMB_INIT_BORROW;
    options.token_data = (const float *)((const char *)token + 1);
    expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);

    fixture_options(&options, token, position);
    options.init = EMB_INIT_BORROW;
    options.position_data = (const float *)((const char *)position + 2);
    expect_create_fails(&options, EMB_ERR_INVALID_ARGUMENT);
}

static void create_reports_started_threads(void **state)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    emb_model_options options;
    emb_model *model;

    (void)state;
    fixture_options(&options, token, position);
    options.num_threads = 3;
    model = create_model(&options);
    /* The caller plus two workers, all of which start on this machine. */
    assert_int_equal(emb_model_num_threads(model), 3);
    emb_model_destroy(model);
}

static void destroy_accepts_null(void **state)
{
    (void)state;
    emb_model_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_init_sets_defaults),
        cmocka_unit_test(options_init_accepts_null),
        cmocka_unit_test(create_zeros_fills_zero),
        cmocka_unit_test(create_copy_outlives_source),
        cmocka_unit_test(create_copy_is_writable),
        cmocka_unit_test(create_borrow_uses_caller_memory),
        cmocka_unit_test(create_borrow_sees_caller_updates),
        cmocka_unit_test(create_borrow_rejects_write_row),
        cmocka_unit_test(create_borrow_rejects_resize),
        cmocka_unit_test(create_ignores_unused_position_data),
        cmocka_unit_test(create_borrow_rejects_misaligned),
        cmocka_unit_test(create_reports_started_threads),
        cmocka_unit_test(create_sets_thread_count),
        cmocka_unit_test(create_caps_thread_count),
        cmocka_unit_test(create_rejects_null_options),
        cmocka_unit_test(create_rejects_null_out_model),
        cmocka_unit_test(create_rejects_bad_sizes),
        cmocka_unit_test(create_rejects_negative_counts),
        cmocka_unit_test(create_rejects_overflowing_sizes),
        cmocka_unit_test(create_rejects_half_storage),
        cmocka_unit_test(create_rejects_unknown_enums),
        cmocka_unit_test(create_rejects_bad_normal_parameters),
        cmocka_unit_test(create_accepts_zero_stddev),
        cmocka_unit_test(create_rejects_bad_scale),
        cmocka_unit_test(create_rejects_null_sources),
        cmocka_unit_test(create_rejects_bad_padding_id),
        cmocka_unit_test(create_rejects_bad_sinusoid_base),
        cmocka_unit_test(create_rejects_small_struct_size),
        cmocka_unit_test(create_accepts_larger_zero_tail),
        cmocka_unit_test(create_rejects_larger_nonzero_tail),
        cmocka_unit_test(create_ignores_bytes_past_struct_size),
        cmocka_unit_test(destroy_accepts_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
