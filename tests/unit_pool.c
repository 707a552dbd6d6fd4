/* White-box tests of the forward worker pool (src/pool.c): every row runs
 * exactly once, whatever the chunk size, with workers awake or asleep,
 * with several callers sharing one pool, and through emb_forward_i32 with
 * outputs large enough to use the pool, compared with the reference kernel
 * from concurrent callers. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helpers.h"
#include "pool.h"

#define MAX_ROWS 20000
#define CALLERS 4

typedef struct row_counts {
    _Atomic int32_t count[MAX_ROWS];
} row_counts;

static void count_rows(const void *context, int64_t row_begin,
                       int64_t row_end)
{
    row_counts *counts = (row_counts *)context;

    for (int64_t r = row_begin; r < row_end; r++)
        atomic_fetch_add_explicit(&counts->count[r], 1,
                                  memory_order_relaxed);
}

/* Runs one job over `rows` rows. Returns false, after printing the first
 * bad row, unless each row ran exactly once. Safe to call from any thread
 * (CMocka's assertions are not). */
static bool run_job_once(emb_pool *pool, row_counts *counts, int64_t rows,
                         int64_t chunk_rows)
{
    for (int64_t r = 0; r < rows; r++)
        atomic_init(&counts->count[r], 0);
    emb_pool_run(pool, count_rows, counts, rows, chunk_rows);
    for (int64_t r = 0; r < rows; r++) {
        int32_t seen = atomic_load(&counts->count[r]);
        if (seen != 1) {
            print_error("row %lld of %lld (chunk %lld) ran %d times\n",
                        (long long)r, (long long)rows,
                        (long long)chunk_rows, (int)seen);
            return false;
        }
    }
    return true;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void pool_create_without_workers(void **state)
{
    (void)state;
    assert_null(emb_pool_create(0));
    assert_null(emb_pool_create(-3));
    emb_pool_destroy(NULL);
}

static void pool_null_runs_on_caller(void **state)
{
    row_counts *counts = calloc(1, sizeof(*counts));

    (void)state;
    assert_non_null(counts);
    assert_true(run_job_once(NULL, counts, 1000, 10));
    free(counts);
}

static void pool_runs_every_row_once(void **state)
{
    static const int64_t rows[] = {1, 2, 7, 64, 1000, 4099, MAX_ROWS};
    static const int64_t chunks[] = {0, 1, 3, 64, 5000, MAX_ROWS + 1};
    emb_pool *pool = emb_pool_create(3);
    row_counts *counts = calloc(1, sizeof(*counts));

    (void)state;
    assert_non_null(pool);
    assert_non_null(counts);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        for (size_t j = 0; j < sizeof(chunks) / sizeof(chunks[0]); j++)
            for (int repeat = 0; repeat < 20; repeat++)
                assert_true(run_job_once(pool, counts, rows[i], chunks[j]));
    emb_pool_destroy(pool);
    free(counts);
}

static void pool_wakes_sleeping_workers(void **state)
{
    emb_pool *pool = emb_pool_create(2);
    row_counts *counts = calloc(1, sizeof(*counts));

    (void)state;
    assert_non_null(pool);
    assert_non_null(counts);
    for (int repeat = 0; repeat < 10; repeat++) {
        /* Longer than the workers' spin, so they sleep on the futex. */
        sleep_ms(5);
        assert_true(run_job_once(pool, counts, MAX_ROWS, 16));
    }
    emb_pool_destroy(pool);
    free(counts);
}

typedef struct caller {
    emb_pool *pool;
    row_counts *counts;
    uint64_t seed;
    bool ok;
} caller;

static void *caller_main(void *argument)
{
    caller *self = argument;

    self->ok = true;
    for (int job = 0; job < 200 && self->ok; job++) {
        int64_t rows = 1 + test_random_below(&self->seed, MAX_ROWS);
        int64_t chunk = 1 + test_random_below(&self->seed, 300);
        self->ok = run_job_once(self->pool, self->counts, rows, chunk);
    }
    return NULL;
}

static void pool_shared_by_callers(void **state)
{
    emb_pool *pool = emb_pool_create(2);
    pthread_t threads[CALLERS];
    caller callers[CALLERS];

    (void)state;
    assert_non_null(pool);
    for (int i = 0; i < CALLERS; i++) {
        callers[i].pool = pool;
        callers[i].counts = calloc(1, sizeof(row_counts));
        callers[i].seed = 0x9000u + (uint64_t)i;
        assert_non_null(callers[i].counts);
        assert_int_equal(pthread_create(&threads[i], NULL, caller_main,
                                        &callers[i]),
                         0);
    }
    for (int i = 0; i < CALLERS; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        free(callers[i].counts);
        assert_true(callers[i].ok);
    }
    emb_pool_destroy(pool);
}

/* Forward through the public API with outputs of 1 to 6 MiB (above the
 * size from which forward uses the pool), from several threads at once on
 * one 3-thread handle, against a 1-thread reference-kernel handle. */
#define FWD_VOCAB 1000
#define FWD_DIM 1024
#define FWD_CONTEXT 512
#define FWD_MAX_BATCH 3

typedef struct forward_caller {
    emb_model *model;
    emb_model *reference;
    uint64_t seed;
    int failures;      /* calls that failed or differed from the reference */
} forward_caller;

static void *forward_caller_main(void *argument)
{
    forward_caller *self = argument;
    size_t max_count = (size_t)FWD_MAX_BATCH * FWD_CONTEXT * FWD_DIM;
    float *out = malloc(max_count * sizeof(float));
    float *expected = malloc(max_count * sizeof(float));
    int32_t *ids = malloc((size_t)FWD_MAX_BATCH * FWD_CONTEXT *
                          sizeof(int32_t));
    int call_count = 12;

    self->failures = 0;
    if (out == NULL || expected == NULL || ids == NULL) {
        self->failures = 1;
        call_count = 0;
    }
    for (int call = 0; call < call_count; call++) {
        int64_t batch = 1 + test_random_below(&self->seed, FWD_MAX_BATCH);
        int64_t seq_len = FWD_CONTEXT / 2 +
                          test_random_below(&self->seed, FWD_CONTEXT / 2);
        int64_t start = test_random_below(&self->seed,
                                          FWD_CONTEXT - seq_len + 1);
        int64_t count = batch * seq_len * FWD_DIM;

        for (int64_t i = 0; i < batch * seq_len; i++)
            ids[i] = (int32_t)test_random_below(&self->seed, FWD_VOCAB);
        memset(out, 0xA5, (size_t)count * sizeof(float));
        if (emb_forward_i32(self->reference, ids, batch, seq_len, start,
                            expected, count, NULL) != EMB_OK ||
            emb_forward_i32(self->model, ids, batch, seq_len, start, out,
                            count, NULL) != EMB_OK ||
            memcmp(expected, out, (size_t)count * sizeof(float)) != 0) {
            print_error("call %d (batch %lld, seq_len %lld) differs from "
                        "the reference kernel\n",
                        call, (long long)batch, (long long)seq_len);
            self->failures++;
        }
        if (call % 4 == 3)
            sleep_ms(2);
    }
    free(out);
    free(expected);
    free(ids);
    return NULL;
}

/* A handle over copies of `token` and `position` (random test data). */
static emb_model *copied_model(const float *token, const float *position,
                               int32_t kernel, int32_t threads)
{
    emb_model_options options;

    emb_model_options_init(&options);
    options.init = EMB_INIT_COPY;
    options.token_data = token;
    options.position_data = position;
    options.vocab_size = FWD_VOCAB;
    options.dim = FWD_DIM;
    options.context_length = FWD_CONTEXT;
    options.kernel = kernel;
    options.num_threads = threads;
    return create_model(&options);
}

static void pool_forward_concurrent_callers(void **state)
{
    static const int32_t kernels[] = {EMB_KERNEL_FUSED, EMB_KERNEL_BLAS};
    size_t token_count = (size_t)FWD_VOCAB * FWD_DIM;
    size_t position_count = (size_t)FWD_CONTEXT * FWD_DIM;
    float *token = malloc(token_count * sizeof(float));
    float *position = malloc(position_count * sizeof(float));
    uint64_t seed = 0x77;
    emb_model *reference;

    (void)state;
    assert_non_null(token);
    assert_non_null(position);
    fill_random_floats(&seed, token, token_count);
    fill_random_floats(&seed, position, position_count);
    reference = copied_model(token, position, EMB_KERNEL_REFERENCE, 1);
    for (size_t k = 0; k < sizeof(kernels) / sizeof(kernels[0]); k++) {
        emb_model *model = copied_model(token, position, kernels[k], 3);
        pthread_t threads[CALLERS];
        forward_caller callers[CALLERS];

        for (int i = 0; i < CALLERS; i++) {
            callers[i].model = model;
            callers[i].reference = reference;
            callers[i].seed = 0x500u + (uint64_t)i;
            assert_int_equal(pthread_create(&threads[i], NULL,
                                            forward_caller_main, &callers[i]),
                             0);
        }
        for (int i = 0; i < CALLERS; i++) {
            assert_int_equal(pthread_join(threads[i], NULL), 0);
            assert_int_equal(callers[i].failures, 0);
        }
        emb_model_destroy(model);
    }
    emb_model_destroy(reference);
    free(token);
    free(position);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pool_create_without_workers),
        cmocka_unit_test(pool_null_runs_on_caller),
        cmocka_unit_test(pool_runs_every_row_once),
        cmocka_unit_test(pool_wakes_sleeping_workers),
        cmocka_unit_test(pool_shared_by_callers),
        cmocka_unit_test(pool_forward_concurrent_callers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
