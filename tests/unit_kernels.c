/* White-box kernel tests. Every instruction set of the fused kernel that
 * this CPU supports, and the BLAS kernel, run against emb_kernel_reference
 * on hand-built plans: with and without scale, positions and token types,
 * with streaming stores on and off, on misaligned outputs and on partial
 * row ranges. Links the static library and includes the internal headers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "kernels.h"

#define VOCAB 9
#define CONTEXT 11
#define TYPES 3
#define ROWS 7
#define BATCH 1
/* Rows [ROW_BEGIN, ROW_END) are computed; the others must stay untouched. */
#define ROW_BEGIN 1
#define ROW_END 6
#define MAX_OFFSET 16

/* Position source of a plan. */
enum { POSITIONS_NONE, POSITIONS_START, POSITIONS_EXPLICIT };

typedef struct kernel_case {
    int64_t dim;
    bool has_scale;
    float scale;
    int positions;
    bool types;
    bool wide;
    bool streaming;
    size_t offset;
} kernel_case;

typedef struct kernel_data {
    emb_model model;
    float *token, *position, *type;
    int32_t ids32[ROWS], positions32[ROWS], types32[ROWS];
    int64_t ids64[ROWS], positions64[ROWS], types64[ROWS];
} kernel_data;

static float *aligned_floats(size_t count)
{
    /* 64-byte aligned, rounded up to a multiple of 64 bytes. */
    size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes);

    if (p == NULL)
        fail_msg("cannot allocate %zu bytes", bytes);
    return p;
}

static void make_data(kernel_data *d, int64_t dim, uint64_t seed)
{
    uint64_t state = seed;

    memset(d, 0, sizeof(*d));
    d->token = aligned_floats((size_t)(VOCAB * dim));
    d->position = aligned_floats((size_t)(CONTEXT * dim));
    d->type = aligned_floats((size_t)(TYPES * dim));
    fill_random_floats(&state, d->token, (size_t)(VOCAB * dim));
    fill_random_floats(&state, d->position, (size_t)(CONTEXT * dim));
    fill_random_floats(&state, d->type, (size_t)(TYPES * dim));
    d->token[0] = -0.0f;
    for (int r = 0; r < ROWS; r++) {
        d->ids64[r] = test_random_below(&state, VOCAB);
        d->positions64[r] = test_random_below(&state, CONTEXT);
        d->types64[r] = test_random_below(&state, TYPES);
        d->ids32[r] = (int32_t)d->ids64[r];
        d->positions32[r] = (int32_t)d->positions64[r];
        d->types32[r] = (int32_t)d->types64[r];
    }
    d->ids64[0] = 0;
    d->ids32[0] = 0;

    d->model.dim = dim;
    d->model.tables[EMB_TABLE_TOKEN].data = d->token;
    d->model.tables[EMB_TABLE_TOKEN].rows = VOCAB;
    d->model.tables[EMB_TABLE_TOKEN].origin = TABLE_BORROWED;
    d->model.tables[EMB_TABLE_POSITION].data = d->position;
    d->model.tables[EMB_TABLE_POSITION].rows = CONTEXT;
    d->model.tables[EMB_TABLE_POSITION].origin = TABLE_BORROWED;
    d->model.tables[EMB_TABLE_TOKEN_TYPE].data = d->type;
    d->model.tables[EMB_TABLE_TOKEN_TYPE].rows = TYPES;
    d->model.tables[EMB_TABLE_TOKEN_TYPE].origin = TABLE_BORROWED;
    d->model.num_threads = 1;
    d->model.kernel = EMB_KERNEL_REFERENCE;
}

static void free_data(kernel_data *d)
{
    free(d->token);
    free(d->position);
    free(d->type);
}

static forward_plan make_plan(kernel_data *d, const kernel_case *c,
                              float *out)
{
    forward_plan plan;

    d->model.has_scale = c->has_scale;
    d->model.scale = c->scale;
    d->model.position_kind = c->positions == POSITIONS_NONE
                                 ? EMB_POSITION_NONE
                                 : EMB_POSITION_LEARNED;
    memset(&plan, 0, sizeof(plan));
    plan.model = &d->model;
    plan.wide = c->wide;
    plan.ids = c->wide ? (const void *)d->ids64 : (const void *)d->ids32;
    if (c->positions == POSITIONS_EXPLICIT)
        plan.position_ids = c->wide ? (const void *)d->positions64
                                    : (const void *)d->positions32;
    if (c->types)
        plan.type_ids = c->wide ? (const void *)d->types64
                                : (const void *)d->types32;
    plan.seq_len = ROWS / BATCH;
    /* Positions start .. start + 6 stay inside CONTEXT = 11. */
    plan.start = 3;
    plan.out = out;
    plan.streaming = c->streaming;
    return plan;
}

static void describe(const kernel_case *c, const char *kernel, char *text,
                     size_t size)
{
    snprintf(text, size,
             "%s: dim %lld scale %d/%g positions %d types %d int%d "
             "streaming %d offset %zu",
             kernel, (long long)c->dim, (int)c->has_scale, (double)c->scale,
             c->positions, (int)c->types, c->wide ? 64 : 32,
             (int)c->streaming, c->offset);
}

/* Runs `isa` (or the BLAS kernel when isa < 0) on case c and compares
 * rows [ROW_BEGIN, ROW_END) with the reference and every other byte of the
 * buffer with the sentinel. */
static void check_kernel(kernel_data *d, const kernel_case *c, int32_t isa)
{
    static const char *const isa_names[] = {"portable", "avx2", "avx512"};
    size_t count = (size_t)(ROWS * c->dim);
    size_t total = count + MAX_OFFSET;
    float *expected = aligned_floats(total);
    float *actual = aligned_floats(total);
    forward_plan plan;
    size_t first = c->offset + (size_t)(ROW_BEGIN * c->dim);
    size_t last = c->offset + (size_t)(ROW_END * c->dim);
    char text[200];

    describe(c, isa < 0 ? "blas" : isa_names[isa], text, sizeof(text));
    fill_sentinel(expected, total * sizeof(float));
    fill_sentinel(actual, total * sizeof(float));
    plan = make_plan(d, c, expected + c->offset);
    emb_kernel_reference(&plan, ROW_BEGIN, ROW_END);
    plan = make_plan(d, c, actual + c->offset);
    if (isa < 0)
        emb_kernel_blas(&plan, ROW_BEGIN, ROW_END);
    else
        emb_kernel_fused_isa(&plan, ROW_BEGIN, ROW_END, isa);

    for (size_t i = 0; i < total; i++) {
        bool inside = i >= first && i < last;

        if (memcmp(&expected[i], &actual[i], sizeof(float)) != 0)
            fail_msg("%s: buffer element %zu (%s the computed rows) is "
                     "%.9g, reference %.9g",
                     text, i, inside ? "inside" : "outside",
                     (double)actual[i], (double)expected[i]);
    }
    free(expected);
    free(actual);
}

static const int64_t dims[] = {1,  2,  3,  4,  5,  6,  7,   8,   9,    15,
                               16, 17, 23, 24, 31, 32, 33,  47,  48,   63,
                               64, 65, 79, 80, 95, 96, 100, 255, 256, 1031};
static const float scales[] = {0.0f, 1.0f, -2.5f, 0.3f};
static const size_t offsets[] = {0, 1, 3, 8, MAX_OFFSET};

/* Calls check(d, c, isa) for every case of every dim. */
static void for_each_case(int32_t isa)
{
    for (size_t di = 0; di < sizeof(dims) / sizeof(dims[0]); di++) {
        kernel_data d;

        make_data(&d, dims[di], 1000 + (uint64_t)di);
        for (int s = -1; s < 4; s++)
            for (int p = POSITIONS_NONE; p <= POSITIONS_EXPLICIT; p++)
                for (int t = 0; t < 2; t++)
                    for (int w = 0; w < 2; w++)
                        for (int st = 0; st < 2; st++)
                            for (size_t o = 0; o < 5; o++) {
                                kernel_case c;

                                c.dim = dims[di];
                                c.has_scale = s >= 0;
                                c.scale = s >= 0 ? scales[s] : 1.0f;
                                c.positions = p;
                                c.types = t == 1;
                                c.wide = w == 1;
                                c.streaming = st == 1;
                                c.offset = offsets[o];
                                check_kernel(&d, &c, isa);
                            }
        free_data(&d);
    }
}

static void kernels_best_isa_is_supported(void **state)
{
    int32_t best = emb_fused_best_isa();

    (void)state;
    assert_true(best >= EMB_ISA_PORTABLE);
    assert_true(best <= EMB_ISA_AVX512);
#if defined(__x86_64__)
    if (best >= EMB_ISA_AVX2)
        assert_true(__builtin_cpu_supports("avx2"));
    if (best >= EMB_ISA_AVX512)
        assert_true(__builtin_cpu_supports("avx512f"));
    if (__builtin_cpu_supports("avx512f"))
        assert_int_equal(best, EMB_ISA_AVX512);
#endif
}

static void kernels_fused_portable_matches(void **state)
{
    (void)state;
    for_each_case(EMB_ISA_PORTABLE);
}

static void kernels_fused_avx2_matches(void **state)
{
    (void)state;
    if (emb_fused_best_isa() < EMB_ISA_AVX2)
        skip();
    for_each_case(EMB_ISA_AVX2);
}

static void kernels_fused_avx512_matches(void **state)
{
    (void)state;
    if (emb_fused_best_isa() < EMB_ISA_AVX512)
        skip();
    for_each_case(EMB_ISA_AVX512);
}

static void kernels_blas_matches(void **state)
{
    (void)state;
    for_each_case(-1);
}

static void kernels_dispatch_uses_best(void **state)
{
    kernel_data d;
    kernel_case c = {67, true, 0.5f, POSITIONS_START, true, false, false, 0};
    size_t count = (size_t)(ROWS * c.dim);
    float *via_dispatch = aligned_floats(count);
    float *via_best = aligned_floats(count);
    forward_plan plan;

    (void)state;
    make_data(&d, c.dim, 5);
    plan = make_plan(&d, &c, via_dispatch);
    emb_kernel_fused(&plan, 0, ROWS);
    plan = make_plan(&d, &c, via_best);
    emb_kernel_fused_isa(&plan, 0, ROWS, emb_fused_best_isa());
    assert_floats_identical(via_best, via_dispatch, count);
    free(via_dispatch);
    free(via_best);
    free_data(&d);
}

static void kernels_empty_range_writes_nothing(void **state)
{
    kernel_data d;
    kernel_case c = {16, false, 1.0f, POSITIONS_START, false, true, true, 0};
    size_t count = (size_t)(ROWS * c.dim);
    float *out = aligned_floats(count);
    forward_plan plan;

    (void)state;
    make_data(&d, c.dim, 6);
    fill_sentinel(out, count * sizeof(float));
    plan = make_plan(&d, &c, out);
    emb_kernel_reference(&plan, 2, 2);
    emb_kernel_blas(&plan, 2, 2);
    for (int32_t isa = 0; isa <= emb_fused_best_isa(); isa++)
        emb_kernel_fused_isa(&plan, 3, 3, isa);
    assert_sentinel(out, count * sizeof(float));
    free(out);
    free_data(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kernels_best_isa_is_supported),
        cmocka_unit_test(kernels_fused_portable_matches),
        cmocka_unit_test(kernels_fused_avx2_matches),
        cmocka_unit_test(kernels_fused_avx512_matches),
        cmocka_unit_test(kernels_blas_matches),
        cmocka_unit_test(kernels_dispatch_uses_best),
        cmocka_unit_test(kernels_empty_range_writes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
