/* Seeded normal initialisation: reproducible bits, independence from table
 * sizes and thread counts, and the sample statistics of the values. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static emb_model *normal_model(int64_t vocab, int64_t dim, int64_t context,
                               int64_t types, uint64_t seed, int32_t threads)
{
    emb_model_options options;

    emb_model_options_init(&options);
    options.init = EMB_INIT_NORMAL;
    options.vocab_size = vocab;
    options.dim = dim;
    options.context_length = context;
    options.token_type_count = types;
    options.seed = seed;
    options.mean = 0.0;
    options.stddev = 0.02;
    options.num_threads = threads;
    return create_model(&options);
}

static const float *table(const emb_model *model, int32_t which)
{
    const float *data = emb_model_table_data(model, which);

    assert_non_null(data);
    return data;
}

static void normal_rejects_values_beyond_float(void **state)
{
    const double bad[][2] = {{0.0, 1e300}, {1e39, 0.0}, {-3e38, 1e37}};
    emb_model_options options;
    emb_model *model = NULL;
    emb_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        emb_model_options_init(&options);
        emb_error_init(&err);
        options.init = EMB_INIT_NORMAL;
        options.vocab_size = 4;
        options.dim = 4;
        options.context_length = 4;
        options.mean = bad[i][0];
        options.stddev = bad[i][1];
        assert_int_equal(emb_model_create(&options, &model, &err),
                         EMB_ERR_INVALID_ARGUMENT);
        assert_null(model);
        assert_non_null(strstr(err.message, "float range"));
    }
}

static void normal_same_seed_identical(void **state)
{
    emb_model *a = normal_model(50, 33, 20, 3, 1234, 1);
    emb_model *b = normal_model(50, 33, 20, 3, 1234, 1);

    (void)state;
    assert_floats_identical(table(a, EMB_TABLE_TOKEN),
                            table(b, EMB_TABLE_TOKEN), 50 * 33);
    assert_floats_identical(table(a, EMB_TABLE_POSITION),
                            table(b, EMB_TABLE_POSITION), 20 * 33);
    assert_floats_identical(table(a, EMB_TABLE_TOKEN_TYPE),
                            table(b, EMB_TABLE_TOKEN_TYPE), 3 * 33);
    emb_model_destroy(a);
    emb_model_destroy(b);
}

static size_t count_equal(const float *a, const float *b, size_t count)
{
    size_t equal = 0;

    for (size_t i = 0; i < count; i++)
        equal += memcmp(&a[i], &b[i], sizeof(float)) == 0;
    return equal;
}

static void normal_different_seeds_differ(void **state)
{
    emb_model *a = normal_model(50, 33, 20, 0, 1, 1);
    emb_model *b = normal_model(50, 33, 20, 0, 2, 1);
    size_t count = 50 * 33;

    (void)state;
    /* Two independent draws of fp32 normals almost never coincide. */
    assert_true(count_equal(table(a, EMB_TABLE_TOKEN),
                            table(b, EMB_TABLE_TOKEN), count) < count / 100);
    emb_model_destroy(a);
    emb_model_destroy(b);
}

static void normal_tables_differ(void **state)
{
    emb_model *model = normal_model(20, 16, 20, 20, 7, 1);
    size_t count = 20 * 16;

    (void)state;
    assert_true(count_equal(table(model, EMB_TABLE_TOKEN),
                            table(model, EMB_TABLE_POSITION),
                            count) < count / 100);
    assert_true(count_equal(table(model, EMB_TABLE_TOKEN),
                            table(model, EMB_TABLE_TOKEN_TYPE),
                            count) < count / 100);
    assert_true(count_equal(table(model, EMB_TABLE_POSITION),
                            table(model, EMB_TABLE_TOKEN_TYPE),
                            count) < count / 100);
    emb_model_destroy(model);
}

static void normal_rows_differ(void **state)
{
    emb_model *model = normal_model(2, 64, 1, 0, 7, 1);
    const float *token = table(model, EMB_TABLE_TOKEN);

    (void)state;
    assert_true(count_equal(token, token + 64, 64) < 4);
    emb_model_destroy(model);
}

static void normal_rows_independent_of_size(void **state)
{
    emb_model *small = normal_model(8, 19, 5, 2, 99, 1);
    emb_model *large = normal_model(16, 19, 11, 4, 99, 2);

    (void)state;
    assert_floats_identical(table(small, EMB_TABLE_TOKEN),
                            table(large, EMB_TABLE_TOKEN), 8 * 19);
    assert_floats_identical(table(small, EMB_TABLE_POSITION),
                            table(large, EMB_TABLE_POSITION), 5 * 19);
    assert_floats_identical(table(small, EMB_TABLE_TOKEN_TYPE),
                            table(large, EMB_TABLE_TOKEN_TYPE), 2 * 19);
    emb_model_destroy(small);
    emb_model_destroy(large);
}

static void normal_independent_of_threads(void **state)
{
    /* Large enough for the fill to be split over several threads. */
    emb_model *one = normal_model(4096, 64, 64, 0, 5, 1);
    emb_model *two = normal_model(4096, 64, 64, 0, 5, 2);

    (void)state;
    assert_floats_identical(table(one, EMB_TABLE_TOKEN),
                            table(two, EMB_TABLE_TOKEN), 4096 * 64);
    assert_floats_identical(table(one, EMB_TABLE_POSITION),
                            table(two, EMB_TABLE_POSITION), 64 * 64);
    emb_model_destroy(one);
    emb_model_destroy(two);
}

static void normal_sample_statistics(void **state)
{
    const double mean = 0.5, stddev = 2.0;
    const size_t count = 100000;
    emb_model_options options;
    emb_model *model;
    const float *values;
    double sum = 0.0, squares = 0.0, cubes = 0.0;
    size_t within_one = 0, within_two = 0, above_mean = 0;
    double sample_mean, sample_stddev, skew;

    (void)state;
    emb_model_options_init(&options);
    options.init = EMB_INIT_NORMAL;
    options.vocab_size = 1000;
    options.dim = 100;
    options.context_length = 1;
    options.seed = 2024;
    options.mean = mean;
    options.stddev = stddev;
    model = create_model(&options);
    values = table(model, EMB_TABLE_TOKEN);

    for (size_t i = 0; i < count; i++) {
        double x = values[i];
        double z = (x - mean) / stddev;

        assert_true(isfinite(x));
        sum += x;
        squares += (x - mean) * (x - mean);
        cubes += z * z * z;
        within_one += fabs(z) < 1.0;
        within_two += fabs(z) < 2.0;
        above_mean += x > mean;
    }
    sample_mean = sum / (double)count;
    sample_stddev = sqrt(squares / (double)count);
    skew = cubes / (double)count;

    /* Bounds are about 5 standard errors wide for 100k samples. */
    assert_true(fabs(sample_mean - mean) < 5.0 * stddev / sqrt(count));
    assert_true(fabs(sample_stddev / stddev - 1.0) < 0.012);
    assert_true(fabs(skew) < 0.04);
    assert_true(fabs((double)within_one / count - 0.682689) < 0.008);
    assert_true(fabs((double)within_two / count - 0.954500) < 0.004);
    assert_true(fabs((double)above_mean / count - 0.5) < 0.008);
    emb_model_destroy(model);
}

/* Creates the same two models as the parent did and compares the tables:
 * returns 0 when they match, 1 on a creation failure, 2 on a mismatch. */
static int create_in_child(const emb_model *normal, const emb_model *sinusoid)
{
    emb_model_options options;
    emb_model *child_normal = NULL, *child_sinusoid = NULL;
    int result = 0;

    emb_model_options_init(&options);
    options.init = EMB_INIT_NORMAL;
    options.vocab_size = 4096;
    options.dim = 64;
    options.context_length = 256;
    options.position_kind = EMB_POSITION_SINUSOIDAL;
    options.seed = 8;
    options.num_threads = 2;
    if (emb_model_create(&options, &child_normal, NULL) != EMB_OK)
        return 1;
    options.init = EMB_INIT_ZEROS;
    if (emb_model_create(&options, &child_sinusoid, NULL) != EMB_OK) {
        emb_model_destroy(child_normal);
        return 1;
    }
    if (memcmp(emb_model_table_data(normal, EMB_TABLE_TOKEN),
               emb_model_table_data(child_normal, EMB_TABLE_TOKEN),
               4096 * 64 * sizeof(float)) != 0 ||
        memcmp(emb_model_table_data(sinusoid, EMB_TABLE_POSITION),
               emb_model_table_data(child_sinusoid, EMB_TABLE_POSITION),
               256 * 64 * sizeof(float)) != 0)
        result = 2;
    emb_model_destroy(child_normal);
    emb_model_destroy(child_sinusoid);
    return result;
}

static void normal_create_in_forked_child(void **state)
{
    emb_model_options options;
    emb_model *normal, *sinusoid;
    int wait_status = 0;
    pid_t child;

    (void)state;
    /* The parent fills tables on several threads first, so a threading
     * runtime with process-wide state would be set up before the fork. */
    emb_model_options_init(&options);
    options.init = EMB_INIT_NORMAL;
    options.vocab_size = 4096;
    options.dim = 64;
    options.context_length = 256;
    options.position_kind = EMB_POSITION_SINUSOIDAL;
    options.seed = 8;
    options.num_threads = 2;
    normal = create_model(&options);
    options.init = EMB_INIT_ZEROS;
    sinusoid = create_model(&options);

    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        alarm(60); /* a hung child fails the test instead of blocking it */
        _exit(create_in_child(normal, sinusoid));
    }
    assert_int_equal(waitpid(child, &wait_status, 0), child);
    emb_model_destroy(normal);
    emb_model_destroy(sinusoid);
    assert_false(WIFSIGNALED(wait_status));
    assert_true(WIFEXITED(wait_status));
    assert_int_equal(WEXITSTATUS(wait_status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normal_rejects_values_beyond_float),
        cmocka_unit_test(normal_same_seed_identical),
        cmocka_unit_test(normal_different_seeds_differ),
        cmocka_unit_test(normal_tables_differ),
        cmocka_unit_test(normal_rows_differ),
        cmocka_unit_test(normal_rows_independent_of_size),
        cmocka_unit_test(normal_independent_of_threads),
        cmocka_unit_test(normal_sample_statistics),
        cmocka_unit_test(normal_create_in_forked_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
