/* Shared test helpers; see helpers.h. */
#include "helpers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fixture_tables(float token[FIXTURE_VOCAB * FIXTURE_DIM],
                    float position[FIXTURE_CONTEXT * FIXTURE_DIM])
{
    for (int v = 0; v < FIXTURE_VOCAB; v++)
        for (int c = 0; c < FIXTURE_DIM; c++)
            token[v * FIXTURE_DIM + c] = (float)(10 * v + c);
    for (int p = 0; p < FIXTURE_CONTEXT; p++)
        for (int c = 0; c < FIXTURE_DIM; c++)
            position[p * FIXTURE_DIM + c] = (float)(100 * p);
}

emb_model *fixture_model(int32_t kernel, int32_t num_threads)
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
    options.kernel = kernel;
    options.num_threads = num_threads;
    return create_model(&options);
}

emb_model *create_model(const emb_model_options *options)
{
    emb_model *model = NULL;
    emb_error err;
    emb_status status;

    emb_error_init(&err);
    status = emb_model_create(options, &model, &err);
    if (status != EMB_OK)
        fail_msg("model creation failed with status %d: %s", (int)status,
                 err.message);
    if (model == NULL)
        fail_msg("model creation returned EMB_OK but no handle");
    return model;
}

void fill_sentinel(void *buffer, size_t bytes)
{
    memset(buffer, SENTINEL_BYTE, bytes);
}

void assert_sentinel(const void *buffer, size_t bytes)
{
    const unsigned char *p = buffer;

    for (size_t i = 0; i < bytes; i++) {
        if (p[i] != SENTINEL_BYTE)
            fail_msg("output byte %zu was written (0x%02x)", i, p[i]);
    }
}

void assert_floats_identical(const float *expected, const float *actual,
                             size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (memcmp(&expected[i], &actual[i], sizeof(float)) != 0)
            fail_msg("element %zu differs: expected %.9g, got %.9g", i,
                     (double)expected[i], (double)actual[i]);
    }
}

void assert_floats_near(const double *expected, const float *actual,
                        size_t count, double tolerance)
{
    size_t worst = 0;
    double worst_difference = 0.0;

    for (size_t i = 0; i < count; i++) {
        double difference = fabs(expected[i] - (double)actual[i]);
        /* A NaN difference must fail, so compare with !(<=). */
        if (!(difference <= worst_difference)) {
            worst = i;
            worst_difference = difference;
        }
    }
    if (!(worst_difference <= tolerance))
        fail_msg("element %zu differs by %.3g (tolerance %.3g): expected "
                 "%.12g, got %.9g",
                 worst, worst_difference, tolerance, expected[worst],
                 (double)actual[worst]);
}

static void check_field(const char *field, int64_t actual, int64_t expected)
{
    if (actual != expected)
        fail_msg("err.%s is %lld, expected %lld", field, (long long)actual,
                 (long long)expected);
}

void assert_element_error(const emb_error *err,
                          const expected_element_error *expected)
{
    uint32_t needed = EMB_ERROR_HAS_INDEX | EMB_ERROR_HAS_VALUE |
                      EMB_ERROR_HAS_RANGE;

    check_field("status", err->status, expected->status);
    if ((err->fields & needed) != needed)
        fail_msg("err.fields is 0x%x, expected the index, value and range "
                 "bits 0x%x",
                 (unsigned)err->fields, (unsigned)needed);
    check_field("index", err->index, expected->index);
    check_field("batch_index", err->batch_index, expected->batch_index);
    check_field("seq_index", err->seq_index, expected->seq_index);
    check_field("value", err->value, expected->value);
    check_field("range_begin", err->range_begin, expected->range_begin);
    check_field("range_end", err->range_end, expected->range_end);
    if (err->message[0] == '\0')
        fail_msg("err.message is empty");
}

uint64_t test_random_next(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dull;
}

int64_t test_random_below(uint64_t *state, int64_t bound)
{
    return (int64_t)(test_random_next(state) % (uint64_t)bound);
}

float test_random_float(uint64_t *state)
{
    /* 24 random bits scaled to [-1, 1): exact in float. */
    uint32_t bits = (uint32_t)(test_random_next(state) >> 40);
    return (float)bits / 8388608.0f - 1.0f;
}

void fill_random_floats(uint64_t *state, float *values, size_t count)
{
    for (size_t i = 0; i < count; i++)
        values[i] = test_random_float(state);
}

const char *kernel_name(int32_t kernel)
{
    switch (kernel) {
    case EMB_KERNEL_REFERENCE:
        return "reference";
    case EMB_KERNEL_BLAS:
        return "blas";
    case EMB_KERNEL_FUSED:
        return "fused";
    default:
        return "auto";
    }
}

#define MATRIX_KERNELS 3
#define MATRIX_THREADS 2
#define MATRIX_WIDTHS 2
#define MATRIX_SIZE (MATRIX_KERNELS * MATRIX_THREADS * MATRIX_WIDTHS)
#define TEST_NAME_SIZE 160

int run_config_tests(const char *group, const config_test *tests,
                     size_t count)
{
    static const int32_t kernels[MATRIX_KERNELS] = {
        EMB_KERNEL_REFERENCE, EMB_KERNEL_BLAS, EMB_KERNEL_FUSED};
    forward_config configs[MATRIX_SIZE];
    size_t runs = count * MATRIX_SIZE;
    struct CMUnitTest *units = calloc(runs, sizeof(*units));
    char (*names)[TEST_NAME_SIZE] = calloc(runs, sizeof(*names));
    size_t config_count = 0;
    int failed;

    if (units == NULL || names == NULL) {
        fprintf(stderr, "%s: cannot allocate the test list\n", group);
        free(units);
        free(names);
        return 1;
    }
    for (int k = 0; k < MATRIX_KERNELS; k++)
        for (int t = 1; t <= MATRIX_THREADS; t++)
            for (int w = 0; w < MATRIX_WIDTHS; w++) {
                configs[config_count].kernel = kernels[k];
                configs[config_count].num_threads = t;
                configs[config_count].wide = w == 1;
                config_count++;
            }

    for (size_t i = 0; i < count; i++)
        for (size_t c = 0; c < MATRIX_SIZE; c++) {
            size_t run = i * MATRIX_SIZE + c;
            snprintf(names[run], TEST_NAME_SIZE, "%s [%s, %d threads, int%d]",
                     tests[i].name, kernel_name(configs[c].kernel),
                     (int)configs[c].num_threads, configs[c].wide ? 64 : 32);
            units[run].name = names[run];
            units[run].test_func = tests[i].function;
            units[run].initial_state = &configs[c];
        }

    failed = _cmocka_run_group_tests(group, units, runs, NULL, NULL);
    free(units);
    free(names);
    return failed;
}

emb_model *fixture_model_for(const forward_config *config)
{
    return fixture_model(config->kernel, config->num_threads);
}

/* Returns a malloc'ed int32 copy of values (NULL for NULL or count 0);
 * fails the test when a value does not fit int32. */
static int32_t *narrow_copy(const int64_t *values, int64_t count)
{
    int32_t *narrow;

    if (values == NULL || count <= 0)
        return NULL;
    narrow = malloc((size_t)count * sizeof(*narrow));
    if (narrow == NULL)
        fail_msg("cannot allocate %lld int32 values", (long long)count);
    for (int64_t i = 0; i < count; i++) {
        if (values[i] < INT32_MIN || values[i] > INT32_MAX)
            fail_msg("test value %lld at index %lld does not fit int32",
                     (long long)values[i], (long long)i);
        narrow[i] = (int32_t)values[i];
    }
    return narrow;
}

static emb_status call_forward(const forward_config *config,
                               const emb_model *model, bool extended,
                               const int64_t *ids, const int64_t *positions,
                               const int64_t *types, int64_t batch,
                               int64_t seq_len, int64_t start, float *out,
                               int64_t out_count, emb_error *err)
{
    int64_t count = 0;
    int32_t *ids32, *positions32, *types32;
    emb_status status;

    if (config->wide) {
        if (extended)
            return emb_forward_ex_i64(model, ids, positions, types, batch,
                                      seq_len, start, out, out_count, err);
        return emb_forward_i64(model, ids, batch, seq_len, start, out,
                               out_count, err);
    }

    /* Narrow only a plausible element count; the call itself rejects
     * negative or overflowing sizes before reading ids. */
    if (batch > 0 && seq_len > 0 && batch <= INT32_MAX / seq_len)
        count = batch * seq_len;
    ids32 = narrow_copy(ids, count);
    positions32 = narrow_copy(positions, count);
    types32 = narrow_copy(types, count);
    /* An ids pointer that was non-NULL stays non-NULL for size errors. */
    if (ids != NULL && ids32 == NULL) {
        static const int32_t placeholder[1] = {0};
        if (extended)
            status = emb_forward_ex_i32(model, placeholder, NULL, NULL,
                                        batch, seq_len, start, out,
                                        out_count, err);
        else
            status = emb_forward_i32(model, placeholder, batch, seq_len,
                                     start, out, out_count, err);
        return status;
    }
    if (extended)
        status = emb_forward_ex_i32(model, ids32, positions32, types32, batch,
                                    seq_len, start, out, out_count, err);
    else
        status = emb_forward_i32(model, ids32, batch, seq_len, start, out,
                                 out_count, err);
    free(ids32);
    free(positions32);
    free(types32);
    return status;
}

emb_status forward_with(const forward_config *config, const emb_model *model,
                        const int64_t *ids, const int64_t *positions,
                        const int64_t *types, int64_t batch, int64_t seq_len,
                        int64_t start, float *out, int64_t out_count,
                        emb_error *err)
{
    bool extended = positions != NULL || types != NULL;

    return call_forward(config, model, extended, ids, positions, types,
                        batch, seq_len, start, out, out_count, err);
}

emb_status forward_ex_with(const forward_config *config,
                           const emb_model *model, const int64_t *ids,
                           const int64_t *positions, const int64_t *types,
                           int64_t batch, int64_t seq_len, int64_t start,
                           float *out, int64_t out_count, emb_error *err)
{
    return call_forward(config, model, true, ids, positions, types, batch,
                        seq_len, start, out, out_count, err);
}
