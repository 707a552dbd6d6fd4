/*
 * Forward entry points: argument checks, then the split of output rows over
 * worker threads, then the selected kernel. Nothing here allocates.
 *
 * Threading: an OpenMP parallel region with a static split of rows, so each
 * call's result does not depend on the thread count. Calls whose output is
 * smaller than PARALLEL_MIN_BYTES run on the calling thread: waking idle
 * workers costs more than such a call (a GNU OpenMP region after 100 ms idle
 * was measured at milliseconds, against microseconds for a 32-token decode
 * step). Many threads may run forward on one handle at once because the
 * handle is only read here.
 */
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"
#include "validate.h"

/* Output size below which a call stays on the calling thread. */
#define PARALLEL_MIN_BYTES ((int64_t)1 << 20)
/* Output size from which stores bypass the cache. */
#define STREAMING_MIN_BYTES ((int64_t)8 << 20)

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

static void run_plan(const forward_plan *plan, int64_t rows)
{
    forward_kernel kernel = select_kernel(plan->model->kernel);
    int64_t bytes = rows * plan->model->dim * (int64_t)sizeof(float);
    int32_t threads = plan->model->num_threads;

    if (threads > rows)
        threads = (int32_t)rows;
    if (threads <= 1 || bytes < PARALLEL_MIN_BYTES) {
        kernel(plan, 0, rows);
        return;
    }

#pragma omp parallel num_threads(threads)
    {
#ifdef _OPENMP
        int64_t team = omp_get_num_threads();
        int64_t me = omp_get_thread_num();
#else
        int64_t team = 1;
        int64_t me = 0;
#endif
        int64_t begin = rows * me / team;
        int64_t end = rows * (me + 1) / team;

        kernel(plan, begin, end);
    }
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
