/* Bit-identity of every kernel and thread count against the reference
 * kernel, through the public API, on random shapes and ids. The cases cover
 * odd dims, dim 1, dims around the BLAS kernel's 8192-element chunk, and
 * outputs large enough to be split over threads or written with streaming
 * stores, with aligned and misaligned output pointers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* One random forward, compared across kernels and thread counts. */
typedef struct identity_case {
    int64_t vocab, dim, context, types, batch, seq_len;
    int32_t position_kind;
    bool explicit_positions;
    bool has_scale;
    float scale;
    bool wide;
    size_t out_offset;  /* floats past a 64-byte aligned buffer */
    uint64_t seed;
} identity_case;

static const int32_t kernels[] = {EMB_KERNEL_REFERENCE, EMB_KERNEL_BLAS,
                                  EMB_KERNEL_FUSED};
static const int32_t thread_counts[] = {1, 2, 3};

/* Tables, ids and the reference output of one case. */
typedef struct case_data {
    float *token, *position, *types;
    int64_t *ids, *positions, *type_ids;
    int64_t rows;
    size_t out_count;
} case_data;

static void *checked_malloc(size_t bytes)
{
    void *p = malloc(bytes == 0 ? 1 : bytes);

    if (p == NULL)
        fail_msg("cannot allocate %zu bytes", bytes);
    return p;
}

static void make_data(const identity_case *c, case_data *d)
{
    uint64_t state = c->seed;

    d->rows = c->batch * c->seq_len;
    d->out_count = (size_t)(d->rows * c->dim);
    d->token = checked_malloc((size_t)(c->vocab * c->dim) * sizeof(float));
    d->position = checked_malloc((size_t)(c->context * c->dim) *
                                 sizeof(float));
    d->types = checked_malloc((size_t)(c->types * c->dim) * sizeof(float));
    d->ids = checked_malloc((size_t)d->rows * sizeof(int64_t));
    d->positions = NULL;
    d->type_ids = NULL;
    fill_random_floats(&state, d->token, (size_t)(c->vocab * c->dim));
    fill_random_floats(&state, d->position, (size_t)(c->context * c->dim));
    fill_random_floats(&state, d->types, (size_t)(c->types * c->dim));
    for (int64_t r = 0; r < d->rows; r++)
        d->ids[r] = test_random_below(&state, c->vocab);
    if (c->explicit_positions) {
        d->positions = checked_malloc((size_t)d->rows * sizeof(int64_t));
        for (int64_t r = 0; r < d->rows; r++)
            d->positions[r] = test_random_below(&state, c->context);
    }
    if (c->types > 0) {
        d->type_ids = checked_malloc((size_t)d->rows * sizeof(int64_t));
        for (int64_t r = 0; r < d->rows; r++)
            d->type_ids[r] = test_random_below(&state, c->types);
    }
}

static void free_data(case_data *d)
{
    free(d->token);
    free(d->position);
    free(d->types);
    free(d->ids);
    free(d->positions);
    free(d->type_ids);
}

static emb_model *case_model(const identity_case *c, const case_data *d,
                             int32_t init, int32_t kernel, int32_t threads)
{
    emb_model_options options;

    emb_model_options_init(&options);
    options.init = init;
    options.vocab_size = c->vocab;
    options.dim = c->dim;
    options.position_kind = c->position_kind;
    options.context_length =
        c->position_kind == EMB_POSITION_NONE ? 0 : c->context;
    options.token_data = d->token;
    options.position_data = d->position;
    options.token_type_count = c->types;
    options.token_type_data = d->types;
    options.has_scale = c->has_scale ? 1 : 0;
    options.scale = c->scale;
    options.kernel = kernel;
    options.num_threads = threads;
    return create_model(&options);
}

static void describe(const identity_case *c, char *text, size_t size)
{
    snprintf(text, size,
             "vocab %lld dim %lld context %lld types %lld batch %lld "
             "seq_len %lld position_kind %d explicit %d scale %d/%g int%d "
             "offset %zu seed %llu",
             (long long)c->vocab, (long long)c->dim, (long long)c->context,
             (long long)c->types, (long long)c->batch,
             (long long)c->seq_len, (int)c->position_kind,
             (int)c->explicit_positions, (int)c->has_scale,
             (double)c->scale, c->wide ? 64 : 32, c->out_offset,
             (unsigned long long)c->seed);
}

static void run_case(const identity_case *c)
{
    case_data d;
    emb_model *reference;
    float *expected, *buffer = NULL, *out;
    forward_config config = {EMB_KERNEL_REFERENCE, 1, c->wide};
    int64_t start;
    emb_error err;
    char text[320];

    make_data(c, &d);
    describe(c, text, sizeof(text));
    start = c->explicit_positions || c->position_kind == EMB_POSITION_NONE
                ? 0
                : c->context - c->seq_len;
    expected = checked_malloc(d.out_count * sizeof(float));
    if (emb_buffer_alloc((int64_t)(d.out_count + c->out_offset), &buffer,
                         NULL) != EMB_OK)
        fail_msg("cannot allocate the output for %s", text);
    out = buffer + c->out_offset;

    reference = case_model(c, &d, EMB_INIT_COPY, EMB_KERNEL_REFERENCE, 1);
    emb_error_init(&err);
    if (forward_ex_with(&config, reference, d.ids, d.positions, d.type_ids,
                        c->batch, c->seq_len, start, expected,
                        (int64_t)d.out_count, &err) != EMB_OK)
        fail_msg("reference forward failed (%s) for %s", err.message, text);

    for (size_t k = 0; k < 3; k++)
        for (size_t t = 0; t < 3; t++) {
            emb_model *model = case_model(c, &d, EMB_INIT_BORROW, kernels[k],
                                          thread_counts[t]);

            config.kernel = kernels[k];
            config.num_threads = thread_counts[t];
            fill_sentinel(out, d.out_count * sizeof(float));
            if (forward_ex_with(&config, model, d.ids, d.positions,
                                d.type_ids, c->batch, c->seq_len, start, out,
                                (int64_t)d.out_count, &err) != EMB_OK)
                fail_msg("%s kernel, %d threads failed (%s) for %s",
                         kernel_name(kernels[k]), (int)thread_counts[t],
                         err.message, text);
            for (size_t i = 0; i < d.out_count; i++) {
                if (memcmp(&expected[i], &out[i], sizeof(float)) != 0)
                    fail_msg("%s kernel, %d threads: element %zu (row %zu, "
                             "column %zu) is %.9g, reference %.9g, for %s",
                             kernel_name(kernels[k]), (int)thread_counts[t],
                             i, i / (size_t)c->dim, i % (size_t)c->dim,
                             (double)out[i], (double)expected[i], text);
            }
            emb_model_destroy(model);
        }

    emb_model_destroy(reference);
    emb_buffer_free(buffer);
    free(expected);
    free_data(&d);
}

/* A case of the given dim and rows with every option drawn at random. */
static identity_case random_case(uint64_t *state, int64_t dim, int64_t rows)
{
    identity_case c;
    static const float scales[] = {0.0f, 1.0f, 27.712812f, -0.125f};

    memset(&c, 0, sizeof(c));
    c.dim = dim;
    c.vocab = 1 + test_random_below(state, 60);
    c.types = test_random_below(state, 3) == 0 ? 0
                                               : 1 + test_random_below(state, 3);
    c.position_kind = (int32_t)test_random_below(state, 3);
    c.explicit_positions = c.position_kind != EMB_POSITION_NONE &&
                           test_random_below(state, 2) == 0;
    c.batch = 1 + test_random_below(state, 4);
    c.seq_len = rows / c.batch > 0 ? rows / c.batch : 1;
    c.context = c.seq_len + test_random_below(state, 5);
    c.has_scale = test_random_below(state, 2) == 0;
    c.scale = scales[test_random_below(state, 4)];
    c.wide = test_random_below(state, 2) == 0;
    c.out_offset = (size_t)test_random_below(state, 4);
    c.seed = test_random_next(state);
    return c;
}

static void identity_random_small_dims(void **state)
{
    uint64_t random = 0x1234;

    (void)state;
    for (int64_t dim = 1; dim <= 70; dim++) {
        identity_case c = random_case(&random, dim,
                                      1 + test_random_below(&random, 40));
        run_case(&c);
    }
}

static void identity_random_medium_dims(void **state)
{
    static const int64_t dims[] = {127, 128, 129, 255, 511, 767, 768, 769,
                                   1023, 1024, 1025, 2047, 4095, 4097};
    uint64_t random = 0x5678;

    (void)state;
    for (size_t i = 0; i < sizeof(dims) / sizeof(dims[0]); i++) {
        identity_case c = random_case(&random, dims[i],
                                      1 + test_random_below(&random, 24));
        run_case(&c);
    }
}

static void identity_blas_chunk_boundaries(void **state)
{
    /* The BLAS kernel splits rows into calls of at most 8192 elements. */
    static const int64_t dims[] = {8191, 8192, 8193, 16383, 16384, 16385,
                                   20000};
    uint64_t random = 0x9abc;

    (void)state;
    for (size_t i = 0; i < sizeof(dims) / sizeof(dims[0]); i++)
        for (int repeat = 0; repeat < 2; repeat++) {
            identity_case c = random_case(&random, dims[i],
                                          1 + test_random_below(&random, 6));
            run_case(&c);
        }
}

static void identity_scale_zero_large_dim(void **state)
{
    uint64_t random = 0xdef0;
    identity_case c = random_case(&random, 20000, 5);

    (void)state;
    c.has_scale = true;
    c.scale = 0.0f;
    c.position_kind = EMB_POSITION_NONE;
    c.explicit_positions = false;
    c.types = 0;
    run_case(&c);
}

static void identity_parallel_outputs(void **state)
{
    /* Outputs over 1 MiB, so 2 and 3 threads split the rows. */
    static const struct {
        int64_t dim, batch, seq_len;
    } shapes[] = {
        {768, 8, 64}, {769, 3, 200}, {3, 1, 100000}, {1, 4, 70000},
        {8193, 5, 8}, {20000, 2, 9},
    };
    uint64_t random = 0x2468;

    (void)state;
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        identity_case c = random_case(&random, shapes[i].dim, 1);

        c.batch = shapes[i].batch;
        c.seq_len = shapes[i].seq_len;
        c.context = c.seq_len + 3;
        assert_true(c.batch * c.seq_len * c.dim * 4 > (1 << 20));
        run_case(&c);
    }
}

static void identity_streaming_outputs(void **state)
{
    /* Outputs of 8 MiB or more use streaming stores when rows are aligned;
     * the misaligned offsets must fall back to ordinary stores. */
    static const size_t offsets[] = {0, 1, 4, 8};
    uint64_t random = 0x1357;

    (void)state;
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        identity_case c = random_case(&random, 4096, 1);

        c.batch = 4;
        c.seq_len = 130;
        c.context = 130;
        c.out_offset = offsets[i];
        assert_true(c.batch * c.seq_len * c.dim * 4 >= (8 << 20));
        run_case(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identity_random_small_dims),
        cmocka_unit_test(identity_random_medium_dims),
        cmocka_unit_test(identity_blas_chunk_boundaries),
        cmocka_unit_test(identity_scale_zero_large_dim),
        cmocka_unit_test(identity_parallel_outputs),
        cmocka_unit_test(identity_streaming_outputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
