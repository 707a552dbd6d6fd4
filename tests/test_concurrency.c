/* Many threads calling forward on one handle at once: each thread checks
 * its own results against the reference kernel, including failing calls
 * whose error details must not leak between threads. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define CALLER_THREADS 8
#define ITERATIONS 12
#define VOCAB 300
#define DIM 264
#define CONTEXT 128
#define TYPES 2
/* 4 x 128 x 264 floats is over 1 MiB, so a call may take the handle's
 * worker pool while the other callers run on their own threads. */
#define MAX_BATCH 4

typedef struct shared_tables {
    float token[VOCAB * DIM];
    float position[CONTEXT * DIM];
    float types[TYPES * DIM];
} shared_tables;

typedef struct caller {
    const emb_model *model;
    const emb_model *reference;
    int index;
    int mismatches;     /* outputs that differed from the reference */
    int bad_statuses;   /* calls that returned an unexpected status */
    int bad_details;    /* failed calls whose details were wrong */
    int writes_on_failure;
} caller;

static emb_model *make_model(const shared_tables *tables, int32_t kernel,
                             int32_t threads)
{
    emb_model_options options;

    emb_model_options_init(&options);
    options.init = EMB_INIT_COPY;
    options.vocab_size = VOCAB;
    options.dim = DIM;
    options.context_length = CONTEXT;
    options.token_data = tables->token;
    options.position_data = tables->position;
    options.token_type_count = TYPES;
    options.token_type_data = tables->types;
    options.has_scale = 1;
    options.scale = 0.75f;
    options.kernel = kernel;
    options.num_threads = threads;
    return create_model(&options);
}

static bool same_bits(const float *a, const float *b, size_t count)
{
    return memcmp(a, b, count * sizeof(float)) == 0;
}

/* One call with a bad id at a per-thread index: checks its details and
 * that the output stayed untouched. */
static void failing_call(caller *self, const int32_t *ids, int64_t batch,
                         int64_t seq_len, float *out, size_t count,
                         uint64_t *state)
{
    int32_t *bad = malloc((size_t)(batch * seq_len) * sizeof(int32_t));
    int64_t where = test_random_below(state, batch * seq_len);
    const unsigned char *bytes = (const unsigned char *)out;
    emb_error err;

    if (bad == NULL) {
        self->bad_statuses++;
        return;
    }
    memcpy(bad, ids, (size_t)(batch * seq_len) * sizeof(int32_t));
    bad[where] = VOCAB + self->index;
    emb_error_init(&err);
    memset(out, SENTINEL_BYTE, count * sizeof(float));
    if (emb_forward_i32(self->model, bad, batch, seq_len, 0, out,
                        (int64_t)count, &err) != EMB_ERR_ID_OUT_OF_RANGE)
        self->bad_statuses++;
    if (err.index != where || err.value != VOCAB + self->index ||
        err.batch_index != where / seq_len ||
        err.seq_index != where % seq_len)
        self->bad_details++;
    for (size_t i = 0; i < count * sizeof(float); i++) {
        if (bytes[i] != SENTINEL_BYTE) {
            self->writes_on_failure++;
            break;
        }
    }
    free(bad);
}

static void *caller_main(void *argument)
{
    caller *self = argument;
    uint64_t state = 0x9e3779b97f4a7c15ull * (uint64_t)(self->index + 1);
    size_t max_count = (size_t)MAX_BATCH * CONTEXT * DIM;
    int32_t *ids = malloc((size_t)MAX_BATCH * CONTEXT * sizeof(int32_t));
    int64_t *wide_ids = malloc((size_t)MAX_BATCH * CONTEXT * sizeof(int64_t));
    int64_t *types = malloc((size_t)MAX_BATCH * CONTEXT * sizeof(int64_t));
    float *out = malloc(max_count * sizeof(float));
    float *expected = malloc(max_count * sizeof(float));

    if (ids == NULL || wide_ids == NULL || types == NULL || out == NULL ||
        expected == NULL) {
        self->bad_statuses++;
        goto done;
    }
    for (int iteration = 0; iteration < ITERATIONS; iteration++) {
        int64_t batch = 1 + test_random_below(&state, MAX_BATCH);
        int64_t seq_len = 1 + test_random_below(&state, CONTEXT);
        int64_t start = test_random_below(&state, CONTEXT - seq_len + 1);
        size_t count = (size_t)(batch * seq_len * DIM);
        emb_status status, reference_status;

        for (int64_t i = 0; i < batch * seq_len; i++) {
            ids[i] = (int32_t)test_random_below(&state, VOCAB);
            wide_ids[i] = ids[i];
            types[i] = test_random_below(&state, TYPES);
        }
        if (iteration % 3 == 0) {
            status = emb_forward_i32(self->model, ids, batch, seq_len, start,
                                     out, (int64_t)count, NULL);
            reference_status = emb_forward_i64(self->reference, wide_ids,
                                               batch, seq_len, start,
                                               expected, (int64_t)count,
                                               NULL);
        } else if (iteration % 3 == 1) {
            status = emb_forward_ex_i64(self->model, wide_ids, NULL, types,
                                        batch, seq_len, start, out,
                                        (int64_t)count, NULL);
            reference_status = emb_forward_ex_i64(
                self->reference, wide_ids, NULL, types, batch, seq_len,
                start, expected, (int64_t)count, NULL);
        } else {
            failing_call(self, ids, batch, seq_len, out, count, &state);
            continue;
        }
        if (status != EMB_OK || reference_status != EMB_OK)
            self->bad_statuses++;
        else if (!same_bits(expected, out, count))
            self->mismatches++;
    }

done:
    free(ids);
    free(wide_ids);
    free(types);
    free(out);
    free(expected);
    return NULL;
}

static void run_callers(int32_t kernel, int32_t threads)
{
    shared_tables *tables = malloc(sizeof(*tables));
    uint64_t state = 77;
    emb_model *model, *reference;
    pthread_t handles[CALLER_THREADS];
    caller callers[CALLER_THREADS];

    assert_non_null(tables);
    fill_random_floats(&state, tables->token, VOCAB * DIM);
    fill_random_floats(&state, tables->position, CONTEXT * DIM);
    fill_random_floats(&state, tables->types, TYPES * DIM);
    model = make_model(tables, kernel, threads);
    reference = make_model(tables, EMB_KERNEL_REFERENCE, 1);

    for (int i = 0; i < CALLER_THREADS; i++) {
        memset(&callers[i], 0, sizeof(callers[i]));
        callers[i].model = model;
        callers[i].reference = reference;
        callers[i].index = i;
        assert_int_equal(pthread_create(&handles[i], NULL, caller_main,
                                        &callers[i]),
                         0);
    }
    for (int i = 0; i < CALLER_THREADS; i++)
        assert_int_equal(pthread_join(handles[i], NULL), 0);

    /* cmocka checks run on this thread only, after all callers ended. */
    for (int i = 0; i < CALLER_THREADS; i++) {
        if (callers[i].mismatches != 0)
            fail_msg("%s kernel: caller %d got %d outputs that differ from "
                     "the reference",
                     kernel_name(kernel), i, callers[i].mismatches);
        if (callers[i].bad_statuses != 0)
            fail_msg("%s kernel: caller %d got %d unexpected statuses",
                     kernel_name(kernel), i, callers[i].bad_statuses);
        if (callers[i].bad_details != 0)
            fail_msg("%s kernel: caller %d got %d wrong error details",
                     kernel_name(kernel), i, callers[i].bad_details);
        if (callers[i].writes_on_failure != 0)
            fail_msg("%s kernel: caller %d saw %d failed calls write output",
                     kernel_name(kernel), i, callers[i].writes_on_failure);
    }
    emb_model_destroy(model);
    emb_model_destroy(reference);
    free(tables);
}

static void concurrency_reference_kernel(void **state)
{
    (void)state;
    run_callers(EMB_KERNEL_REFERENCE, 2);
}

static void concurrency_blas_kernel(void **state)
{
    (void)state;
    run_callers(EMB_KERNEL_BLAS, 2);
}

static void concurrency_fused_kernel(void **state)
{
    (void)state;
    run_callers(EMB_KERNEL_FUSED, 2);
}

static void concurrency_single_thread_handle(void **state)
{
    (void)state;
    run_callers(EMB_KERNEL_AUTO, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concurrency_reference_kernel),
        cmocka_unit_test(concurrency_blas_kernel),
        cmocka_unit_test(concurrency_fused_kernel),
        cmocka_unit_test(concurrency_single_thread_handle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
