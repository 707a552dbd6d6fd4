/* The fixed sinusoidal position table: values against a double-precision
 * reference computed here, both column layouts, odd dims, the base option,
 * and its use by the forward pass. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define TOLERANCE 1e-6

static emb_model *sinusoid_model(int64_t dim, int64_t context, double base,
                                 int32_t layout, int32_t init)
{
    emb_model_options options;

    emb_model_options_init(&options);
    options.init = init;
    options.vocab_size = 3;
    options.dim = dim;
    options.context_length = context;
    options.position_kind = EMB_POSITION_SINUSOIDAL;
    options.sinusoid_base = base;
    options.sinusoid_layout = layout;
    options.stddev = 1.0;
    return create_model(&options);
}

/* Fills expected[dim] with row `position` of the table in double. Pair i
 * has angle position / base^(2i / dim), computed via exp and log so the
 * reference does not repeat the library's formula step for step. */
static void reference_row(double *expected, int64_t position, int64_t dim,
                          double base, int32_t layout)
{
    int64_t pairs = (dim + 1) / 2;

    for (int64_t i = 0; i < pairs; i++) {
        double exponent = 2.0 * (double)i / (double)dim;
        double angle = (double)position / exp(exponent * log(base));
        int64_t sin_col = layout == EMB_SINUSOID_SPLIT ? i : 2 * i;
        int64_t cos_col = layout == EMB_SINUSOID_SPLIT ? pairs + i : 2 * i + 1;

        expected[sin_col] = sin(angle);
        if (cos_col < dim)
            expected[cos_col] = cos(angle);
    }
}

static void check_whole_table(int64_t dim, int64_t context, double base,
                              int32_t layout)
{
    emb_model *model = sinusoid_model(dim, context, base, layout,
                                      EMB_INIT_ZEROS);
    const float *table = emb_model_table_data(model, EMB_TABLE_POSITION);
    double *expected = malloc((size_t)dim * sizeof(double));

    assert_non_null(table);
    assert_non_null(expected);
    assert_int_equal(emb_model_table_rows(model, EMB_TABLE_POSITION),
                     context);
    assert_int_equal(emb_model_position_kind(model), EMB_POSITION_SINUSOIDAL);
    for (int64_t p = 0; p < context; p++) {
        for (int64_t c = 0; c < dim; c++)
            expected[c] = NAN;
        reference_row(expected, p, dim, base, layout);
        assert_floats_near(expected, table + p * dim, (size_t)dim, TOLERANCE);
    }
    free(expected);
    emb_model_destroy(model);
}

static void sinusoid_dim4_position1(void **state)
{
    emb_model *model = sinusoid_model(4, 2, 10000.0,
                                      EMB_SINUSOID_INTERLEAVED,
                                      EMB_INIT_ZEROS);
    const double expected[4] = {sin(1.0), cos(1.0), sin(0.01), cos(0.01)};
    float row[4];

    (void)state;
    assert_int_equal(emb_model_read_row(model, EMB_TABLE_POSITION, 1, row, 4,
                                        NULL),
                     EMB_OK);
    assert_floats_near(expected, row, 4, TOLERANCE);
    emb_model_destroy(model);
}

static void sinusoid_row_zero(void **state)
{
    emb_model *model = sinusoid_model(6, 1, 10000.0,
                                      EMB_SINUSOID_INTERLEAVED,
                                      EMB_INIT_ZEROS);
    const float expected[6] = {0, 1, 0, 1, 0, 1};

    (void)state;
    assert_floats_identical(expected,
                            emb_model_table_data(model, EMB_TABLE_POSITION),
                            6);
    emb_model_destroy(model);
}

static void sinusoid_large_position(void **state)
{
    emb_model *model = sinusoid_model(32, 2048, 10000.0,
                                      EMB_SINUSOID_INTERLEAVED,
                                      EMB_INIT_ZEROS);
    double expected[32];
    float row[32];

    (void)state;
    /* Angles near 1857 rad: a float angle would be off by ~1e-4. */
    reference_row(expected, 1857, 32, 10000.0, EMB_SINUSOID_INTERLEAVED);
    assert_int_equal(emb_model_read_row(model, EMB_TABLE_POSITION, 1857, row,
                                        32, NULL),
                     EMB_OK);
    assert_floats_near(expected, row, 32, TOLERANCE);
    emb_model_destroy(model);
}

static void sinusoid_split_layout(void **state)
{
    emb_model *model = sinusoid_model(4, 2, 10000.0, EMB_SINUSOID_SPLIT,
                                      EMB_INIT_ZEROS);
    const double expected[4] = {sin(1.0), sin(0.01), cos(1.0), cos(0.01)};
    float row[4];

    (void)state;
    assert_int_equal(emb_model_read_row(model, EMB_TABLE_POSITION, 1, row, 4,
                                        NULL),
                     EMB_OK);
    assert_floats_near(expected, row, 4, TOLERANCE);
    emb_model_destroy(model);
}

static void sinusoid_odd_dim_interleaved(void **state)
{
    emb_model *model = sinusoid_model(5, 3, 10000.0,
                                      EMB_SINUSOID_INTERLEAVED,
                                      EMB_INIT_ZEROS);
    double a1 = 2.0 * pow(10000.0, -2.0 / 5.0);
    double a2 = 2.0 * pow(10000.0, -4.0 / 5.0);
    /* The last column is the sine of pair 2, whose cosine is dropped. */
    const double expected[5] = {sin(2.0), cos(2.0), sin(a1), cos(a1),
                                sin(a2)};
    float row[5];

    (void)state;
    assert_int_equal(emb_model_read_row(model, EMB_TABLE_POSITION, 2, row, 5,
                                        NULL),
                     EMB_OK);
    assert_floats_near(expected, row, 5, TOLERANCE);
    emb_model_destroy(model);
}

static void sinusoid_odd_dim_split(void **state)
{
    emb_model *model = sinusoid_model(5, 3, 10000.0, EMB_SINUSOID_SPLIT,
                                      EMB_INIT_ZEROS);
    double a1 = 2.0 * pow(10000.0, -2.0 / 5.0);
    double a2 = 2.0 * pow(10000.0, -4.0 / 5.0);
    /* Sines take ceil(5 / 2) = 3 columns, cosines the other 2. */
    const double expected[5] = {sin(2.0), sin(a1), sin(a2), cos(2.0),
                                cos(a1)};
    float row[5];

    (void)state;
    assert_int_equal(emb_model_read_row(model, EMB_TABLE_POSITION, 2, row, 5,
                                        NULL),
                     EMB_OK);
    assert_floats_near(expected, row, 5, TOLERANCE);
    emb_model_destroy(model);
}

static void sinusoid_whole_tables(void **state)
{
    static const int64_t dims[] = {1, 2, 3, 4, 5, 7, 8, 31, 32, 33, 768};
    static const int32_t layouts[] = {EMB_SINUSOID_INTERLEAVED,
                                      EMB_SINUSOID_SPLIT};

    (void)state;
    /* Every row of every table: a write past the end of a row would land
     * in the next row and show up as a wrong value there (or, for the
     * last row, as a heap overflow under AddressSanitizer). */
    for (size_t d = 0; d < sizeof(dims) / sizeof(dims[0]); d++)
        for (size_t l = 0; l < 2; l++)
            check_whole_table(dims[d], 67, 10000.0, layouts[l]);
}

static void sinusoid_base_option(void **state)
{
    emb_model *model = sinusoid_model(4, 2, 100.0, EMB_SINUSOID_INTERLEAVED,
                                      EMB_INIT_ZEROS);
    const double expected[4] = {sin(1.0), cos(1.0), sin(0.1), cos(0.1)};
    float row[4];

    (void)state;
    assert_int_equal(emb_model_read_row(model, EMB_TABLE_POSITION, 1, row, 4,
                                        NULL),
                     EMB_OK);
    assert_floats_near(expected, row, 4, TOLERANCE);
    emb_model_destroy(model);
    check_whole_table(9, 40, 2.5, EMB_SINUSOID_SPLIT);
    check_whole_table(16, 40, 1e6, EMB_SINUSOID_INTERLEAVED);
}

static void sinusoid_rejects_overflowing_base(void **state)
{
    emb_model_options options;
    emb_model *model = NULL;
    emb_error err;
    const double bases[] = {5e-324, 1e-320};

    (void)state;
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        emb_model_options_init(&options);
        emb_error_init(&err);
        options.vocab_size = 2;
        options.dim = 64;
        options.context_length = 8;
        options.position_kind = EMB_POSITION_SINUSOIDAL;
        options.sinusoid_base = bases[i];
        assert_int_equal(emb_model_create(&options, &model, &err),
                         EMB_ERR_INVALID_ARGUMENT);
        assert_null(model);
        assert_non_null(strstr(err.message, "sinusoid_base"));
    }
}

static void sinusoid_accepts_base_below_one(void **state)
{
    (void)state;
    /* Frequencies grow with the column, but every angle stays finite. */
    check_whole_table(8, 16, 0.5, EMB_SINUSOID_INTERLEAVED);
}

static void sinusoid_independent_of_init(void **state)
{
    emb_model *zeros = sinusoid_model(12, 20, 10000.0, EMB_SINUSOID_SPLIT,
                                      EMB_INIT_ZEROS);
    emb_model *normal = sinusoid_model(12, 20, 10000.0, EMB_SINUSOID_SPLIT,
                                       EMB_INIT_NORMAL);

    (void)state;
    assert_floats_identical(emb_model_table_data(zeros, EMB_TABLE_POSITION),
                            emb_model_table_data(normal, EMB_TABLE_POSITION),
                            12 * 20);
    emb_model_destroy(zeros);
    emb_model_destroy(normal);
}

static void sinusoid_forward_adds_rows(void **state)
{
    static const int32_t kernels[] = {EMB_KERNEL_REFERENCE, EMB_KERNEL_BLAS,
                                      EMB_KERNEL_FUSED};
    emb_model_options options;
    const float token[2 * 6] = {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6};
    const int32_t ids[3] = {1, 0, 1};
    const int32_t positions[3] = {7, 0, 7};

    (void)state;
    for (size_t k = 0; k < 3; k++) {
        emb_model *model;
        const float *table;
        float expected[18], out[18];

        emb_model_options_init(&options);
        options.init = EMB_INIT_COPY;
        options.vocab_size = 2;
        options.dim = 6;
        options.context_length = 10;
        options.token_data = token;
        options.position_kind = EMB_POSITION_SINUSOIDAL;
        options.kernel = kernels[k];
        model = create_model(&options);
        table = emb_model_table_data(model, EMB_TABLE_POSITION);
        for (int t = 0; t < 3; t++)
            for (int c = 0; c < 6; c++)
                expected[t * 6 + c] =
                    token[ids[t] * 6 + c] + table[(2 + t) * 6 + c];
        assert_int_equal(emb_forward_i32(model, ids, 1, 3, 2, out, 18, NULL),
                         EMB_OK);
        assert_floats_identical(expected, out, 18);

        for (int t = 0; t < 3; t++)
            for (int c = 0; c < 6; c++)
                expected[t * 6 + c] =
                    token[ids[t] * 6 + c] + table[positions[t] * 6 + c];
        assert_int_equal(emb_forward_ex_i32(model, ids, positions, NULL, 1, 3,
                                            0, out, 18, NULL),
                         EMB_OK);
        assert_floats_identical(expected, out, 18);
        emb_model_destroy(model);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sinusoid_dim4_position1),
        cmocka_unit_test(sinusoid_row_zero),
        cmocka_unit_test(sinusoid_large_position),
        cmocka_unit_test(sinusoid_split_layout),
        cmocka_unit_test(sinusoid_odd_dim_interleaved),
        cmocka_unit_test(sinusoid_odd_dim_split),
        cmocka_unit_test(sinusoid_whole_tables),
        cmocka_unit_test(sinusoid_base_option),
        cmocka_unit_test(sinusoid_rejects_overflowing_base),
        cmocka_unit_test(sinusoid_accepts_base_below_one),
        cmocka_unit_test(sinusoid_independent_of_init),
        cmocka_unit_test(sinusoid_forward_adds_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
