/*
 * Helpers shared by the tests: the small exact fixture, sentinel-filled
 * output buffers, and comparisons that name the worst index on failure.
 */
#ifndef EMB_TEST_HELPERS_H
#define EMB_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
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

/* Sentinel byte pattern for "output untouched" checks. */
#define SENTINEL_BYTE 0xA5
void fill_sentinel(void *buffer, size_t bytes);
/* Fails the test when any byte differs from the sentinel. */
void assert_sentinel(const void *buffer, size_t bytes);

/* Fails the test, printing the first differing index and both values, when
 * the two float arrays are not bit-identical. */
void assert_floats_identical(const float *expected, const float *actual,
                             size_t count);

#endif /* EMB_TEST_HELPERS_H */
