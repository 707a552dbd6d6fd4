/*
 * Forward kernels. A kernel computes flat output rows [row_begin, row_end)
 * of a validated plan: row r = b * T + t of out [B, T, D] gets
 *
 *     v = token[ids[r]];  v = v * scale (if scale);  v = v + position row
 *     (if any);  v = v + token-type row (if any)
 *
 * element by element in exactly that order, in fp32 without contraction,
 * so every kernel is bit-identical to the reference loop. (When two NaN
 * operands meet, which NaN payload survives depends on the operand order of
 * the instructions; the result is NaN in every kernel.)
 *
 * Each index load is checked again here, although the entry point
 * validated the ids: a caller thread that changes ids during the call (a
 * data race on its side) then gets the model's NaN poison row for that
 * element instead of an out-of-bounds read. (The fused kernel also loads
 * the id of a row ahead for its prefetch, through the same check.)
 */
#ifndef EMBEDDING_KERNELS_H
#define EMBEDDING_KERNELS_H

#include "internal.h"

typedef struct forward_plan {
    const emb_model *model;
    const void *ids;           /* [B, T], int32 or int64 (see wide) */
    const void *position_ids;  /* [B, T] or NULL: position start + t */
    const void *type_ids;      /* [B, T] or NULL: no token-type row */
    bool wide;                 /* indices are int64_t, else int32_t */
    int64_t seq_len;
    int64_t start;
    float *out;                /* [B, T, D] */
    bool streaming;            /* use non-temporal stores where aligned */
} forward_plan;

typedef void (*forward_kernel)(const forward_plan *plan, int64_t row_begin,
                               int64_t row_end);

/* Loads index i once. The relaxed atomic load (a plain mov on x86) keeps
 * the compiler from reloading a value that a racing caller may change
 * between the bounds check and the address computation. */
static inline int64_t plan_index(const void *base, bool wide, int64_t i)
{
    if (wide)
        return __atomic_load_n((const int64_t *)base + i, __ATOMIC_RELAXED);
    return __atomic_load_n((const int32_t *)base + i, __ATOMIC_RELAXED);
}

/* Row `index` of `table`, or the poison row when index is out of range. */
static inline const float *table_row(const emb_model *m, int table,
                                     int64_t index)
{
    const emb_table *t = &m->tables[table];

    if ((uint64_t)index >= (uint64_t)t->rows)
        return m->poison_row;
    return t->data + index * m->dim;
}

static inline const float *plan_token_row(const forward_plan *plan, int64_t r)
{
    return table_row(plan->model, EMB_TABLE_TOKEN,
                     plan_index(plan->ids, plan->wide, r));
}

/* NULL under EMB_POSITION_NONE. */
static inline const float *plan_position_row(const forward_plan *plan,
                                             int64_t r)
{
    const emb_model *m = plan->model;
    int64_t position;

    if (m->position_kind == EMB_POSITION_NONE)
        return NULL;
    if (plan->position_ids != NULL)
        position = plan_index(plan->position_ids, plan->wide, r);
    else
        position = plan->start + r % plan->seq_len;
    return table_row(m, EMB_TABLE_POSITION, position);
}

/* NULL when no token-type ids were passed. */
static inline const float *plan_type_row(const forward_plan *plan, int64_t r)
{
    const emb_model *m = plan->model;

    if (plan->type_ids == NULL)
        return NULL;
    return table_row(m, EMB_TABLE_TOKEN_TYPE,
                     plan_index(plan->type_ids, plan->wide, r));
}

EMB_HIDDEN void emb_kernel_reference(const forward_plan *plan,
                                     int64_t row_begin, int64_t row_end);
EMB_HIDDEN void emb_kernel_blas(const forward_plan *plan, int64_t row_begin,
                                int64_t row_end);
EMB_HIDDEN void emb_kernel_fused(const forward_plan *plan, int64_t row_begin,
                                 int64_t row_end);

/* Instruction sets of the fused kernel. */
enum { EMB_ISA_PORTABLE = 0, EMB_ISA_AVX2 = 1, EMB_ISA_AVX512 = 2 };

/* Returns the widest EMB_ISA_* this CPU supports. */
EMB_HIDDEN int32_t emb_fused_best_isa(void);

/* Runs the fused kernel with a given instruction set, which the CPU must
 * support. Tests use it to check every variant against the reference. */
EMB_HIDDEN void emb_kernel_fused_isa(const forward_plan *plan,
                                     int64_t row_begin, int64_t row_end,
                                     int32_t isa);

#endif /* EMBEDDING_KERNELS_H */
