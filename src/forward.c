/*
 * Forward entry points: argument checks, then the split of output rows over
 * worker threads, then the selected kernel. Nothing here allocates.
 *
 * Threading: the handle's worker pool (pool.c) runs the rows in chunks of
 * about CHUNK_BYTES of output. The calling thread starts on them at once, and
 * idle workers join as they wake. Every kernel computes each row on its
 * own, so the result does not depend on the split or the thread count.
 * Calls whose output is smaller than PARALLEL_MIN_BYTES run on the calling
 * thread alone. Many threads may run forward on one handle at once: the
 * first takes the pool and the others run on their own threads.
 */
#include "kernels.h"
#include "pool.h"
#include "validate.h"

/* Output size below which a call stays on the calling thread. On a 2-core
 * AMD EPYC (Zen 4) VM, 384 to 768 KiB calls were not reliably faster on two
 * threads, and after 1 ms idle the futex wake-up made them slower. */
#define PARALLEL_MIN_BYTES ((int64_t)1 << 20)
/* Output size from which stores bypass the cache. On the same VM, one
 * thread: cached stores won up to 3 MiB (by 5 to 15%), streaming stores
 * from 6 MiB (by 5 to 40%). */
#define STREAMING_MIN_BYTES ((int64_t)4 << 20)
/* Output bytes per chunk that a thread claims at a time. */
#define CHUNK_BYTES ((int64_t)64 << 10)

static forward_kernel select_kernel(int32_t kernel)
{
    switch (kernel) {
    case EMB_KERNEL_REFERENCE:
        return emb_kernel_reference;
    case EMB_KERNEL_BLAS:
        return emb_kernel_blas;
    default:
        return emb_kernel_fused;
    }
}

typedef struct pool_job {
    const forward_plan *plan;
    forward_kernel kernel;
} pool_job;

static void run_job_rows(const void *context, int64_t row_begin,
                         int64_t row_end)
{
    const pool_job *job = context;

    job->kernel(job->plan, row_begin, row_end);
}

static void run_plan(const forward_plan *plan, int64_t rows)
{
    pool_job job = {plan, select_kernel(plan->model->kernel)};
    int64_t row_bytes = plan->model->dim * (int64_t)sizeof(float);
    int64_t chunk_rows = CHUNK_BYTES / row_bytes;

    if (plan->model->pool == NULL || rows * row_bytes < PARALLEL_MIN_BYTES) {
        job.kernel(plan, 0, rows);
        return;
    }
    emb_pool_run(plan->model->pool, run_job_rows, &job, rows,
                 chunk_rows > 0 ? chunk_rows : 1);
}

static emb_status forward_checked(const emb_model *model, const void *ids,
                                  const void *position_ids,
                                  const void *type_ids, bool wide,
                                  int64_t batch, int64_t seq_len,
                                  int64_t start, float *out,
                                  int64_t out_count, emb_error *err)
{
    int64_t needed;
    emb_status status;
    forward_plan plan;

    if (model == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "model is NULL");
    status = emb_check_output_count(batch, seq_len, model->dim, &needed, err);
    if (status != EMB_OK)
        return status;
    if (needed == 0)
        return emb_succeed(err);

    if (ids == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "ids is NULL");
    if (out == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "out is NULL");
    if (out_count < needed)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "out holds %lld floats but %lld x %lld x %lld = %lld "
                        "are needed",
                        (long long)out_count, (long long)batch,
                        (long long)seq_len, (long long)model->dim,
                        (long long)needed);
    if (position_ids != NULL && model->position_kind == EMB_POSITION_NONE)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "position ids were passed but the model has no "
                        "position table (EMB_POSITION_NONE)");
    if (position_ids != NULL && start != 0)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "start must be 0 when position ids are passed "
                        "(got %lld)",
                        (long long)start);
    if (type_ids != NULL && model->tables[EMB_TABLE_TOKEN_TYPE].rows == 0)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "token-type ids were passed but the model has no "
                        "token-type table");

    status = emb_check_indices(ids, wide, batch, seq_len,
                               model->tables[EMB_TABLE_TOKEN].rows,
                               EMB_ERR_ID_OUT_OF_RANGE, "token id", err);
    if (status != EMB_OK)
        return status;
    if (position_ids != NULL)
        status = emb_check_indices(position_ids, wide, batch, seq_len,
                                   model->tables[EMB_TABLE_POSITION].rows,
                                   EMB_ERR_POSITION_OUT_OF_RANGE, "position",
                                   err);
    else if (model->position_kind != EMB_POSITION_NONE)
        status = emb_check_position_range(
            start, seq_len, model->tables[EMB_TABLE_POSITION].rows, err);
    if (status != EMB_OK)
        return status;
    if (type_ids != NULL)
        status = emb_check_indices(type_ids, wide, batch, seq_len,
                                   model->tables[EMB_TABLE_TOKEN_TYPE].rows,
                                   EMB_ERR_ID_OUT_OF_RANGE, "token-type id",
                                   err);
    if (status != EMB_OK)
        return status;

    plan.model = model;
    plan.ids = ids;
    plan.position_ids = position_ids;
    plan.type_ids = type_ids;
    plan.wide = wide;
    plan.seq_len = seq_len;
    plan.start = start;
    plan.out = out;
    plan.streaming = needed * (int64_t)sizeof(float) >= STREAMING_MIN_BYTES;
    run_plan(&plan, batch * seq_len);
    return emb_succeed(err);
}

emb_status emb_output_count(const emb_model *model, int64_t batch,
                            int64_t seq_len, int64_t *out_count,
                            emb_error *err)
{
    int64_t count;
    emb_status status;

    if (model == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "model is NULL");
    if (out_count == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "out_count is NULL");
    status = emb_check_output_count(batch, seq_len, model->dim, &count, err);
    if (status != EMB_OK)
        return status;
    *out_count = count;
    return emb_succeed(err);
}

emb_status emb_forward_i32(const emb_model *model, const int32_t *ids,
                           int64_t batch, int64_t seq_len, int64_t start,
                           float *out, int64_t out_count, emb_error *err)
{
    return forward_checked(model, ids, NULL, NULL, false, batch, seq_len,
                           start, out, out_count, err);
}

emb_status emb_forward_i64(const emb_model *model, const int64_t *ids,
                           int64_t batch, int64_t seq_len, int64_t start,
                           float *out, int64_t out_count, emb_error *err)
{
    return forward_checked(model, ids, NULL, NULL, true, batch, seq_len,
                           start, out, out_count, err);
}

emb_status emb_forward_ex_i32(const emb_model *model, const int32_t *ids,
                              const int32_t *position_ids,
                              const int32_t *token_type_ids, int64_t batch,
                              int64_t seq_len, int64_t start, float *out,
                              int64_t out_count, emb_error *err)
{
    return forward_checked(model, ids, position_ids, token_type_ids, false,
                           batch, seq_len, start, out, out_count, err);
}

emb_status emb_forward_ex_i64(const emb_model *model, const int64_t *ids,
                              const int64_t *position_ids,
                              const int64_t *token_type_ids, int64_t batch,
                              int64_t seq_len, int64_t start, float *out,
                              int64_t out_count, emb_error *err)
{
    return forward_checked(model, ids, position_ids, token_type_ids, true,
                           batch, seq_len, start, out, out_count, err);
}
