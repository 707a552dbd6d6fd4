/*
 * Helpers shared by the tests. They provide the small exact fixture,
 * sentinel-filled output buffers, comparisons that name the worst index on
 * failure, and error detail checks. They also provide a seeded test-data
 * generator and the kernel x thread x id width matrix of the forward tests.
 */
#ifndef EMB_TEST_HELPERS_H
#define EMB_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "embedding/embedding.h"

/* The exact fixture: vocab 4, dim 3, context 4; token row v is
 * [10v, 10v + 1, 10v + 2] and position row p is [100p, 100p, 100p]. */
#define FIXTURE_VOCAB 4
#define FIXTURE_DIM 3
#define FIXTURE_CONTEXT 4

/* Fills the fixture's tables into caller arrays. */
void fixture_tables(float token[FIXTURE_VOCAB * FIXTURE_DIM],
                    float position[FIXTURE_CONTEXT * FIXTURE_DIM]);

/* Creates the fixture model by copy (kernel EMB_KERNEL_* and threads as
 * given); fails the test on error. */
emb_model *fixture_model(int32_t kernel, int32_t num_threads);

/* Creates a model from `options`; fails the test, printing the error
 * message, when creation fails. */
emb_model *create_model(const emb_model_options *options);

/* Sentinel byte pattern for "output untouched" checks. */
#define SENTINEL_BYTE 0xA5
void fill_sentinel(void *buffer, size_t bytes);
/* Fails the test when any byte differs from the sentinel. */
void assert_sentinel(const void *buffer, size_t bytes);

/* Fails the test, printing the first differing index and both values, when
 * the two float arrays are not bit-identical. */
void assert_floats_identical(const float *expected, const float *actual,
                             size_t count);

/* Fails the test, naming the worst index and the difference, when any
 * |expected[i] - actual[i]| exceeds tolerance. */
void assert_floats_near(const double *expected, const float *actual,
                        size_t count, double tolerance);

/* Expected error details of a failed call that names one input element:
 * status, flat index, batch and sequence index, value and valid range. */
typedef struct expected_element_error {
    emb_status status;
    int64_t index;
    int64_t batch_index;
    int64_t seq_index;
    int64_t value;
    int64_t range_begin;
    int64_t range_end;
} expected_element_error;

/* Fails the test, naming the field, when any detail of `err` differs from
 * `expected` or the EMB_ERROR_HAS_INDEX / VALUE / RANGE bits are missing. */
void assert_element_error(const emb_error *err,
                          const expected_element_error *expected);

/* Seeded xorshift64* generator for test data (not the library's). */
uint64_t test_random_next(uint64_t *state);
/* Uniform integer in [0, bound). */
int64_t test_random_below(uint64_t *state, int64_t bound);
/* Float in [-1, 1) with a few bits of mantissa noise. */
float test_random_float(uint64_t *state);
/* Fills count floats with test_random_float. */
void fill_random_floats(uint64_t *state, float *values, size_t count);

/* One cell of the forward test matrix. */
typedef struct forward_config {
    int32_t kernel;       /* EMB_KERNEL_REFERENCE, BLAS or FUSED */
    int32_t num_threads;  /* 1 or 2 */
    bool wide;            /* int64 entry points, else int32 */
} forward_config;

/* A test run once per forward_config; the config is its initial state. */
typedef struct config_test {
    const char *name;
    CMUnitTestFunction function;
} config_test;

/* Runs every test of `tests` once per kernel (reference, BLAS, fused),
 * thread count (1, 2) and id width (int32, int64), naming each run
 * "name [kernel, N threads, intW]". Returns the count of failed runs. */
int run_config_tests(const char *group, const config_test *tests,
                     size_t count);

/* Returns "reference", "blas", "fused" or "auto". */
const char *kernel_name(int32_t kernel);

/* Creates the fixture model with the kernel and threads of `config`. */
emb_model *fixture_model_for(const forward_config *config);

/* Calls emb_forward_i32 / emb_forward_i64 (by config->wide) when positions
 * and types are NULL, else emb_forward_ex_i32 / emb_forward_ex_i64. Ids,
 * positions and types are given as int64 and narrowed to int32 for the
 * int32 entry points, so they must fit int32 there. A NULL ids pointer is
 * passed on as NULL. */
emb_status forward_with(const forward_config *config, const emb_model *model,
                        const int64_t *ids, const int64_t *positions,
                        const int64_t *types, int64_t batch, int64_t seq_len,
                        int64_t start, float *out, int64_t out_count,
                        emb_error *err);

/* Same as forward_with, always through emb_forward_ex_*. */
emb_status forward_ex_with(const forward_config *config,
                           const emb_model *model, const int64_t *ids,
                           const int64_t *positions, const int64_t *types,
                           int64_t batch, int64_t seq_len, int64_t start,
                           float *out, int64_t out_count, emb_error *err);

#endif /* EMB_TEST_HELPERS_H */
