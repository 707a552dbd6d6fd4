/*
 * Fused single-pass kernel: each element of the token, position and
 * token-type rows is read once and each output element written once. The
 * SIMD width is chosen at run time (AVX-512F, AVX2, or the compiler's
 * baseline vectorisation), so one build runs on every x86-64 CPU. Large
 * outputs use non-temporal stores, which skip reading output lines into the
 * cache. While it works on a cache line of row r, the kernel prefetches the
 * same line of the token row PREFETCH_ROWS ahead, because the hardware
 * prefetcher cannot predict the jump between random table rows.
 */
#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

#include "kernels.h"

/* How many rows ahead the token row is prefetched. On a 2-core AMD EPYC
 * (Zen 4) VM at D = 768 and one thread, one prefetch per line was 15 to 30%
 * faster than prefetching the whole row at its start (bench/embedding-bench
 * --case gpt2_batch) or than no prefetch. 1 to 4 rows ahead were within
 * noise. */
#ifndef PREFETCH_ROWS
#define PREFETCH_ROWS 2
#endif
/* Rows longer than this are not prefetched, because the hardware prefetcher
 * follows a long row by itself. On the same VM, prefetching whole 48 KiB
 * rows (D = 12288) ahead was 10 to 20% slower than no prefetch. */
#ifndef PREFETCH_MAX_ROW_BYTES
#define PREFETCH_MAX_ROW_BYTES ((int64_t)16 << 10)
#endif
#define CACHE_LINE_FLOATS 16

/* One element, in the operation order every kernel shares. */
static inline float combine(float token, const float *position,
                            const float *type, int64_t c, bool has_scale,
                            float scale)
{
    float v = token;
    if (has_scale)
        v = v * scale;
    if (position != NULL)
        v = v + position[c];
    if (type != NULL)
        v = v + type[c];
    return v;
}

/* Returns the token row to prefetch while row r is computed, or NULL when
 * there is none (past row_end, or rows too long to be worth it). */
static inline const float *prefetch_target(const forward_plan *plan,
                                           int64_t r, int64_t row_end)
{
    int64_t ahead = r + PREFETCH_ROWS;

    if (ahead >= row_end ||
        plan->model->dim * (int64_t)sizeof(float) > PREFETCH_MAX_ROW_BYTES)
        return NULL;
    return plan_token_row(plan, ahead);
}

static void rows_portable(const forward_plan *plan, int64_t row_begin,
                          int64_t row_end)
{
    const emb_model *m = plan->model;
    int64_t dim = m->dim;

    for (int64_t r = row_begin; r < row_end; r++) {
        const float *token = plan_token_row(plan, r);
        const float *position = plan_position_row(plan, r);
        const float *type = plan_type_row(plan, r);
        float *out = plan->out + r * dim;
        const float *ahead = prefetch_target(plan, r, row_end);

        for (int64_t line = 0; line < dim; line += CACHE_LINE_FLOATS) {
            int64_t line_end = line + CACHE_LINE_FLOATS < dim
                                   ? line + CACHE_LINE_FLOATS
                                   : dim;
            if (ahead != NULL)
                __builtin_prefetch(ahead + line, 0, 3);
            for (int64_t c = line; c < line_end; c++)
                out[c] = combine(token[c], position, type, c, m->has_scale,
                                 m->scale);
        }
    }
}

#if HAVE_X86

__attribute__((target("avx2"))) static void
rows_avx2(const forward_plan *plan, int64_t row_begin, int64_t row_end)
{
    const emb_model *m = plan->model;
    int64_t dim = m->dim;
    __m256 scale = _mm256_set1_ps(m->scale);
    /* Streaming stores need 32-byte aligned rows. */
    bool stream = plan->streaming && dim % 8 == 0 &&
                  (uintptr_t)plan->out % 32 == 0;

    for (int64_t r = row_begin; r < row_end; r++) {
        const float *token = plan_token_row(plan, r);
        const float *position = plan_position_row(plan, r);
        const float *type = plan_type_row(plan, r);
        float *out = plan->out + r * dim;
        const float *ahead = prefetch_target(plan, r, row_end);
        int64_t c = 0;

        for (; c + 8 <= dim; c += 8) {
            if (ahead != NULL && c % CACHE_LINE_FLOATS == 0)
                __builtin_prefetch(ahead + c, 0, 3);
            __m256 v = _mm256_loadu_ps(token + c);
            if (m->has_scale)
                v = _mm256_mul_ps(v, scale);
            if (position != NULL)
                v = _mm256_add_ps(v, _mm256_loadu_ps(position + c));
            if (type != NULL)
                v = _mm256_add_ps(v, _mm256_loadu_ps(type + c));
            if (stream)
                _mm256_stream_ps(out + c, v);
            else
                _mm256_storeu_ps(out + c, v);
        }
        for (; c < dim; c++)
            out[c] = combine(token[c], position, type, c, m->has_scale,
                             m->scale);
    }
    if (stream)
        _mm_sfence();
}

__attribute__((target("avx512f"))) static void
rows_avx512(const forward_plan *plan, int64_t row_begin, int64_t row_end)
{
    const emb_model *m = plan->model;
    int64_t dim = m->dim;
    __m512 scale = _mm512_set1_ps(m->scale);
    /* Streaming stores need 64-byte aligned rows. */
    bool stream = plan->streaming && dim % 16 == 0 &&
                  (uintptr_t)plan->out % 64 == 0;

    for (int64_t r = row_begin; r < row_end; r++) {
        const float *token = plan_token_row(plan, r);
        const float *position = plan_position_row(plan, r);
        const float *type = plan_type_row(plan, r);
        float *out = plan->out + r * dim;
        const float *ahead = prefetch_target(plan, r, row_end);
        int64_t c = 0;

        for (; c + 16 <= dim; c += 16) {
            if (ahead != NULL)
                __builtin_prefetch(ahead + c, 0, 3);
            __m512 v = _mm512_loadu_ps(token + c);
            if (m->has_scale)
                v = _mm512_mul_ps(v, scale);
            if (position != NULL)
                v = _mm512_add_ps(v, _mm512_loadu_ps(position + c));
            if (type != NULL)
                v = _mm512_add_ps(v, _mm512_loadu_ps(type + c));
            if (stream)
                _mm512_stream_ps(out + c, v);
            else
                _mm512_storeu_ps(out + c, v);
        }
        for (; c < dim; c++)
            out[c] = combine(token[c], position, type, c, m->has_scale,
                             m->scale);
    }
    if (stream)
        _mm_sfence();
}

#endif /* HAVE_X86 */

int32_t emb_fused_best_isa(void)
{
#if HAVE_X86
    /* __builtin_cpu_supports reads data that a libgcc constructor fills in
     * when the library is loaded (at start-up, or in dlopen), so it is only
     * read here and is safe to call from any thread. */
    if (__builtin_cpu_supports("avx512f"))
        return EMB_ISA_AVX512;
    if (__builtin_cpu_supports("avx2"))
        return EMB_ISA_AVX2;
#endif
    return EMB_ISA_PORTABLE;
}

void emb_kernel_fused_isa(const forward_plan *plan, int64_t row_begin,
                          int64_t row_end, int32_t isa)
{
#if HAVE_X86
    if (isa == EMB_ISA_AVX512) {
        rows_avx512(plan, row_begin, row_end);
        return;
    }
    if (isa == EMB_ISA_AVX2) {
        rows_avx2(plan, row_begin, row_end);
        return;
    }
#else
    (void)isa;
#endif
    rows_portable(plan, row_begin, row_end);
}

void emb_kernel_fused(const forward_plan *plan, int64_t row_begin,
                      int64_t row_end)
{
    emb_kernel_fused_isa(plan, row_begin, row_end, emb_fused_best_isa());
}
