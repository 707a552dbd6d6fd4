/* Forward pass with learned positions on the exact fixture: values, every
 * rejected input with its error details, and "output untouched" after each
 * failure. Every test runs for each kernel, thread count and id width. */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define OUT_FLOATS 64

static const forward_config *config_of(void **state)
{
    return *state;
}

/* Runs one forward that must fail with `expected` on the fixture, and
 * checks the error details and that the output stayed untouched. */
static void expect_element_failure(const forward_config *config,
                                   const int64_t *ids, int64_t batch,
                                   int64_t seq_len, int64_t start,
                                   const expected_element_error *expected)
{
    emb_model *model = fixture_model_for(config);
    float out[OUT_FLOATS];
    emb_error err;

    emb_error_init(&err);
    fill_sentinel(out, sizeof(out));
    assert_int_equal(forward_with(config, model, ids, NULL, NULL, batch,
                                  seq_len, start, out, OUT_FLOATS, &err),
                     expected->status);
    assert_element_error(&err, expected);
    assert_sentinel(out, sizeof(out));
    emb_model_destroy(model);
}

/* Runs one forward that must succeed on the fixture and checks every
 * output value and that nothing past the output was written. */
static void expect_values(const forward_config *config, const int64_t *ids,
                          int64_t batch, int64_t seq_len, int64_t start,
                          const float *expected)
{
    emb_model *model = fixture_model_for(config);
    size_t count = (size_t)(batch * seq_len * FIXTURE_DIM);
    float out[OUT_FLOATS];
    emb_error err;

    emb_error_init(&err);
    fill_sentinel(out, sizeof(out));
    assert_int_equal(forward_with(config, model, ids, NULL, NULL, batch,
                                  seq_len, start, out, (int64_t)count, &err),
                     EMB_OK);
    assert_int_equal(err.status, EMB_OK);
    assert_floats_identical(expected, out, count);
    assert_sentinel(out + count, sizeof(out) - count * sizeof(float));
    emb_model_destroy(model);
}

static void forward_rejects_negative_id(void **state)
{
    const int64_t ids[3] = {2, -2, 1};
    const expected_element_error expected = {
        EMB_ERR_ID_OUT_OF_RANGE, 1, 0, 1, -2, 0, FIXTURE_VOCAB};

    expect_element_failure(config_of(state), ids, 1, 3, 0, &expected);
}

static void forward_rejects_type_minimum_id(void **state)
{
    const forward_config *config = config_of(state);
    int64_t minimum = config->wide ? INT64_MIN : INT32_MIN;
    const int64_t ids[4] = {0, 1, minimum, 2};
    const expected_element_error expected = {
        EMB_ERR_ID_OUT_OF_RANGE, 2, 1, 0, minimum, 0, FIXTURE_VOCAB};

    expect_element_failure(config, ids, 2, 2, 0, &expected);
}

static void forward_rejects_type_maximum_id(void **state)
{
    const forward_config *config = config_of(state);
    int64_t maximum = config->wide ? INT64_MAX : INT32_MAX;
    const int64_t ids[2] = {maximum, 0};
    const expected_element_error expected = {
        EMB_ERR_ID_OUT_OF_RANGE, 0, 0, 0, maximum, 0, FIXTURE_VOCAB};

    expect_element_failure(config, ids, 1, 2, 0, &expected);
}

static void forward_rejects_id_equal_vocab(void **state)
{
    const int64_t ids[2] = {0, FIXTURE_VOCAB};
    const expected_element_error expected = {
        EMB_ERR_ID_OUT_OF_RANGE, 1, 0, 1, FIXTURE_VOCAB, 0, FIXTURE_VOCAB};

    expect_element_failure(config_of(state), ids, 1, 2, 0, &expected);
}

static void forward_reports_first_bad_id(void **state)
{
    /* Row-major order: index 4 (batch 1, t 1) comes before index 5. */
    const int64_t ids[6] = {1, 2, 3, 0, 9, -7};
    const expected_element_error expected = {
        EMB_ERR_ID_OUT_OF_RANGE, 4, 1, 1, 9, 0, FIXTURE_VOCAB};

    expect_element_failure(config_of(state), ids, 2, 3, 0, &expected);
}

static void forward_pair_values(void **state)
{
    const int64_t ids[2] = {0, 3};
    const float expected[6] = {0, 1, 2, 130, 131, 132};

    expect_values(config_of(state), ids, 1, 2, 0, expected);
}

static void forward_triple_values(void **state)
{
    const int64_t ids[3] = {1, 2, 3};
    const float expected[9] = {10, 11, 12, 120, 121, 122, 230, 231, 232};

    expect_values(config_of(state), ids, 1, 3, 0, expected);
}

static void forward_start_offset(void **state)
{
    const int64_t ids[1] = {3};
    const float expected[3] = {230, 231, 232};

    expect_values(config_of(state), ids, 1, 1, 2, expected);
}

static void forward_batch_restarts_positions(void **state)
{
    /* Each batch row starts at position `start` again. */
    const int64_t ids[4] = {1, 2, 3, 0};
    const float expected[12] = {110, 111, 112, 220, 221, 222,
                                130, 131, 132, 200, 201, 202};

    expect_values(config_of(state), ids, 2, 2, 1, expected);
}

static void forward_full_context(void **state)
{
    const int64_t ids[4] = {3, 3, 0, 1};
    const float expected[12] = {30, 31, 32, 130, 131, 132,
                                200, 201, 202, 310, 311, 312};

    expect_values(config_of(state), ids, 1, 4, 0, expected);
}

static void forward_extended_matches_plain(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = fixture_model_for(config);
    const int64_t ids[6] = {3, 1, 0, 2, 2, 1};
    float plain[18], extended[18];

    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 2, 3, 1,
                                  plain, 18, NULL),
                     EMB_OK);
    assert_int_equal(forward_ex_with(config, model, ids, NULL, NULL, 2, 3, 1,
                                     extended, 18, NULL),
                     EMB_OK);
    assert_floats_identical(plain, extended, 18);
    emb_model_destroy(model);
}

static void forward_rejects_long_sequence(void **state)
{
    const int64_t ids[5] = {0, 1, 2, 3, 0};
    const expected_element_error expected = {
        EMB_ERR_POSITION_OUT_OF_RANGE, 4, 0, 4, 4, 0, FIXTURE_CONTEXT};

    expect_element_failure(config_of(state), ids, 1, 5, 0, &expected);
}

static void forward_rejects_start_past_context(void **state)
{
    const int64_t ids[2] = {0, 1};
    const expected_element_error expected = {
        EMB_ERR_POSITION_OUT_OF_RANGE, 1, 0, 1, 4, 0, FIXTURE_CONTEXT};

    expect_element_failure(config_of(state), ids, 1, 2, 3, &expected);
}

static void forward_rejects_huge_start(void **state)
{
    const int64_t ids[2] = {0, 1};
    const expected_element_error at_max = {
        EMB_ERR_POSITION_OUT_OF_RANGE, 0, 0, 0, INT64_MAX, 0,
        FIXTURE_CONTEXT};
    const expected_element_error below_max = {
        EMB_ERR_POSITION_OUT_OF_RANGE, 0, 0, 0, INT64_MAX - 1, 0,
        FIXTURE_CONTEXT};
    const expected_element_error single = {
        EMB_ERR_POSITION_OUT_OF_RANGE, 0, 0, 0, INT64_MAX - 1, 0,
        FIXTURE_CONTEXT};

    /* start + seq_len overflows int64 here; the check must not form it. */
    expect_element_failure(config_of(state), ids, 1, 2, INT64_MAX, &at_max);
    expect_element_failure(config_of(state), ids, 1, 2, INT64_MAX - 1,
                           &below_max);
    expect_element_failure(config_of(state), ids, 1, 1, INT64_MAX - 1,
                           &single);
}

static void forward_rejects_negative_start(void **state)
{
    const int64_t ids[2] = {0, 1};
    const expected_element_error minus_one = {
        EMB_ERR_POSITION_OUT_OF_RANGE, 0, 0, 0, -1, 0, FIXTURE_CONTEXT};
    const expected_element_error minimum = {
        EMB_ERR_POSITION_OUT_OF_RANGE, 0, 0, 0, INT64_MIN, 0,
        FIXTURE_CONTEXT};

    expect_element_failure(config_of(state), ids, 1, 2, -1, &minus_one);
    expect_element_failure(config_of(state), ids, 1, 2, INT64_MIN, &minimum);
}

static void forward_empty_batch_succeeds(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = fixture_model_for(config);
    const int64_t ids[2] = {0, 1};
    float out[OUT_FLOATS];
    emb_error err;

    emb_error_init(&err);
    fill_sentinel(out, sizeof(out));
    assert_int_equal(forward_with(config, model, NULL, NULL, NULL, 0, 3, 0,
                                  NULL, 0, &err),
                     EMB_OK);
    assert_int_equal(forward_with(config, model, NULL, NULL, NULL, 2, 0, 0,
                                  NULL, 0, &err),
                     EMB_OK);
    assert_int_equal(forward_with(config, model, NULL, NULL, NULL, 0, 0, 0,
                                  NULL, 0, &err),
                     EMB_OK);
    assert_int_equal(err.status, EMB_OK);
    /* With real buffers nothing is written either. */
    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 0, 2, 0,
                                  out, OUT_FLOATS, &err),
                     EMB_OK);
    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 1, 0, 0,
                                  out, 0, &err),
                     EMB_OK);
    assert_sentinel(out, sizeof(out));
    emb_model_destroy(model);
}

static void forward_rejects_null_arguments(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = fixture_model_for(config);
    const int64_t ids[2] = {0, 1};
    float out[OUT_FLOATS];
    emb_error err;

    emb_error_init(&err);
    fill_sentinel(out, sizeof(out));
    assert_int_equal(forward_with(config, NULL, ids, NULL, NULL, 1, 2, 0,
                                  out, OUT_FLOATS, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(err.status, EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(forward_with(config, model, NULL, NULL, NULL, 1, 2, 0,
                                  out, OUT_FLOATS, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(err.status, EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 1, 2, 0,
                                  NULL, OUT_FLOATS, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(err.status, EMB_ERR_INVALID_ARGUMENT);
    assert_sentinel(out, sizeof(out));
    emb_model_destroy(model);
}

static void forward_rejects_small_output(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = fixture_model_for(config);
    const int64_t ids[4] = {0, 1, 2, 3};
    float out[OUT_FLOATS];
    emb_error err;

    emb_error_init(&err);
    fill_sentinel(out, sizeof(out));
    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 2, 2, 0,
                                  out, 2 * 2 * FIXTURE_DIM - 1, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(err.status, EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 2, 2, 0,
                                  out, -1, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 2, 2, 0,
                                  out, INT64_MIN, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_sentinel(out, sizeof(out));
    /* The exact count is enough. */
    assert_int_equal(forward_with(config, model, ids, NULL, NULL, 2, 2, 0,
                                  out, 2 * 2 * FIXTURE_DIM, &err),
                     EMB_OK);
    emb_model_destroy(model);
}

static void forward_rejects_bad_sizes(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = fixture_model_for(config);
    const int64_t ids[4] = {0, 1, 2, 3};
    float out[OUT_FLOATS];
    static const struct {
        int64_t batch, seq_len;
    } cases[] = {
        {-1, 2},
        {2, -1},
        {INT64_MIN, 1},
        {INT64_MAX, 2},
        {2, INT64_MAX},
        {(int64_t)1 << 32, (int64_t)1 << 32},
        /* Fits int64 as an element count but not as a byte count. */
        {(int64_t)1 << 60, 1},
    };

    fill_sentinel(out, sizeof(out));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        emb_error err;

        emb_error_init(&err);
        assert_int_equal(forward_with(config, model, ids, NULL, NULL,
                                      cases[i].batch, cases[i].seq_len, 0,
                                      out, OUT_FLOATS, &err),
                         EMB_ERR_INVALID_ARGUMENT);
        assert_int_equal(err.status, EMB_ERR_INVALID_ARGUMENT);
    }
    assert_sentinel(out, sizeof(out));
    emb_model_destroy(model);
}

/* A model whose forward output is large enough to be split over threads:
 * token[v][c] = 1000 v + c, position[p][c] = 100000 p, all exact in fp32. */
#define LARGE_VOCAB 50
#define LARGE_DIM 768
#define LARGE_CONTEXT 64
#define LARGE_BATCH 8

static emb_model *large_model(const forward_config *config)
{
    float *token = malloc(LARGE_VOCAB * LARGE_DIM * sizeof(float));
    float *position = malloc(LARGE_CONTEXT * LARGE_DIM * sizeof(float));
    emb_model_options options;
    emb_model *model;

    assert_non_null(token);
    assert_non_null(position);
    for (int v = 0; v < LARGE_VOCAB; v++)
        for (int c = 0; c < LARGE_DIM; c++)
            token[v * LARGE_DIM + c] = (float)(1000 * v + c);
    for (int p = 0; p < LARGE_CONTEXT; p++)
        for (int c = 0; c < LARGE_DIM; c++)
            position[p * LARGE_DIM + c] = (float)(100000 * p);
    emb_model_options_init(&options);
    options.init = EMB_INIT_COPY;
    options.vocab_size = LARGE_VOCAB;
    options.dim = LARGE_DIM;
    options.context_length = LARGE_CONTEXT;
    options.token_data = token;
    options.position_data = position;
    options.kernel = config->kernel;
    options.num_threads = config->num_threads;
    model = create_model(&options);
    free(token);
    free(position);
    return model;
}

static void forward_large_values(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = large_model(config);
    int64_t rows = LARGE_BATCH * LARGE_CONTEXT;
    size_t count = (size_t)rows * LARGE_DIM;
    int64_t *ids = malloc((size_t)rows * sizeof(int64_t));
    float *out = malloc(count * sizeof(float));
    float *expected = malloc(count * sizeof(float));

    assert_non_null(ids);
    assert_non_null(out);
    assert_non_null(expected);
    /* More than 1 MiB of output, so 2 threads split the rows. */
    assert_true(count * sizeof(float) > ((size_t)1 << 20));
    for (int64_t r = 0; r < rows; r++) {
        int64_t t = r % LARGE_CONTEXT;

        ids[r] = (r * 7 + 3) % LARGE_VOCAB;
        for (int c = 0; c < LARGE_DIM; c++)
            expected[r * LARGE_DIM + c] =
                (float)(1000 * ids[r] + c + 100000 * t);
    }
    fill_sentinel(out, count * sizeof(float));
    assert_int_equal(forward_with(config, model, ids, NULL, NULL,
                                  LARGE_BATCH, LARGE_CONTEXT, 0, out,
                                  (int64_t)count, NULL),
                     EMB_OK);
    assert_floats_identical(expected, out, count);
    free(ids);
    free(out);
    free(expected);
    emb_model_destroy(model);
}

static void forward_large_bad_id_untouched(void **state)
{
    const forward_config *config = config_of(state);
    emb_model *model = large_model(config);
    int64_t rows = LARGE_BATCH * LARGE_CONTEXT;
    size_t count = (size_t)rows * LARGE_DIM;
    int64_t *ids = malloc((size_t)rows * sizeof(int64_t));
    float *out = malloc(count * sizeof(float));
    const expected_element_error expected = {
        EMB_ERR_ID_OUT_OF_RANGE, rows - 1, LARGE_BATCH - 1,
        LARGE_CONTEXT - 1, LARGE_VOCAB, 0, LARGE_VOCAB};
    emb_error err;

    assert_non_null(ids);
    assert_non_null(out);
    for (int64_t r = 0; r < rows; r++)
        ids[r] = r % LARGE_VOCAB;
    ids[rows - 1] = LARGE_VOCAB;
    emb_error_init(&err);
    fill_sentinel(out, count * sizeof(float));
    assert_int_equal(forward_with(config, model, ids, NULL, NULL,
                                  LARGE_BATCH, LARGE_CONTEXT, 0, out,
                                  (int64_t)count, &err),
                     EMB_ERR_ID_OUT_OF_RANGE);
    assert_element_error(&err, &expected);
    assert_sentinel(out, count * sizeof(float));
    free(ids);
    free(out);
    emb_model_destroy(model);
}

static void output_count_multiplies_shape(void **state)
{
    emb_model *model = fixture_model(EMB_KERNEL_REFERENCE, 1);
    int64_t count = -1;

    (void)state;
    assert_int_equal(emb_output_count(model, 2, 5, &count, NULL), EMB_OK);
    assert_int_equal(count, 2 * 5 * FIXTURE_DIM);
    assert_int_equal(emb_output_count(model, 0, 5, &count, NULL), EMB_OK);
    assert_int_equal(count, 0);
    assert_int_equal(emb_output_count(model, 7, 0, &count, NULL), EMB_OK);
    assert_int_equal(count, 0);
    emb_model_destroy(model);
}

static void output_count_rejects_bad_arguments(void **state)
{
    emb_model *model = fixture_model(EMB_KERNEL_REFERENCE, 1);
    static const struct {
        int64_t batch, seq_len;
    } cases[] = {
        {-1, 1},
        {1, -1},
        {INT64_MIN, INT64_MIN},
        {INT64_MAX, 2},
        {INT64_MAX / 3 + 1, 1},
        {(int64_t)1 << 31, (int64_t)1 << 31},
        {(int64_t)1 << 60, 1},
    };
    int64_t count = -7;
    emb_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        emb_error_init(&err);
        assert_int_equal(emb_output_count(model, cases[i].batch,
                                          cases[i].seq_len, &count, &err),
                         EMB_ERR_INVALID_ARGUMENT);
        assert_int_equal(err.status, EMB_ERR_INVALID_ARGUMENT);
        assert_int_equal(count, -7);
    }
    assert_int_equal(emb_output_count(NULL, 1, 1, &count, NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    assert_int_equal(count, -7);
    assert_int_equal(emb_output_count(model, 1, 1, NULL, NULL),
                     EMB_ERR_INVALID_ARGUMENT);
    emb_model_destroy(model);
}

int main(void)
{
    static const config_test matrix[] = {
        {"forward_rejects_negative_id", forward_rejects_negative_id},
        {"forward_rejects_type_minimum_id", forward_rejects_type_minimum_id},
        {"forward_rejects_type_maximum_id", forward_rejects_type_maximum_id},
        {"forward_rejects_id_equal_vocab", forward_rejects_id_equal_vocab},
        {"forward_reports_first_bad_id", forward_reports_first_bad_id},
        {"forward_pair_values", forward_pair_values},
        {"forward_triple_values", forward_triple_values},
        {"forward_start_offset", forward_start_offset},
        {"forward_batch_restarts_positions",
         forward_batch_restarts_positions},
        {"forward_full_context", forward_full_context},
        {"forward_extended_matches_plain", forward_extended_matches_plain},
        {"forward_rejects_long_sequence", forward_rejects_long_sequence},
        {"forward_rejects_start_past_context",
         forward_rejects_start_past_context},
        {"forward_rejects_huge_start", forward_rejects_huge_start},
        {"forward_rejects_negative_start", forward_rejects_negative_start},
        {"forward_empty_batch_succeeds", forward_empty_batch_succeeds},
        {"forward_rejects_null_arguments", forward_rejects_null_arguments},
        {"forward_rejects_small_output", forward_rejects_small_output},
        {"forward_rejects_bad_sizes", forward_rejects_bad_sizes},
        {"forward_large_values", forward_large_values},
        {"forward_large_bad_id_untouched", forward_large_bad_id_untouched},
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(output_count_multiplies_shape),
        cmocka_unit_test(output_count_rejects_bad_arguments),
    };
    int failed = run_config_tests("forward", matrix,
                                  sizeof(matrix) / sizeof(matrix[0]));

    failed += cmocka_run_group_tests_name("output_count", tests, NULL, NULL);
    return failed;
}
