/*
 * Shape getters, table pointers, single-row reads and writes, and vocab
 * resizing of an existing model handle.
 */
#include <string.h>

#include "internal.h"

int64_t emb_model_vocab_size(const emb_model *model)
{
    return model == NULL ? 0 : model->tables[EMB_TABLE_TOKEN].rows;
}

int64_t emb_model_dim(const emb_model *model)
{
    return model == NULL ? 0 : model->dim;
}

int64_t emb_model_context_length(const emb_model *model)
{
    return model == NULL ? 0 : model->tables[EMB_TABLE_POSITION].rows;
}

int64_t emb_model_token_type_count(const emb_model *model)
{
    return model == NULL ? 0 : model->tables[EMB_TABLE_TOKEN_TYPE].rows;
}

int32_t emb_model_position_kind(const emb_model *model)
{
    return model == NULL ? -1 : model->position_kind;
}

int32_t emb_model_num_threads(const emb_model *model)
{
    return model == NULL ? 0 : model->num_threads;
}

static const emb_table *find_table(const emb_model *model, int32_t table)
{
    if (model == NULL || table < EMB_TABLE_TOKEN ||
        table > EMB_TABLE_TOKEN_TYPE)
        return NULL;
    if (model->tables[table].origin == TABLE_ABSENT)
        return NULL;
    return &model->tables[table];
}

const float *emb_model_table_data(const emb_model *model, int32_t table)
{
    const emb_table *found = find_table(model, table);

    return found == NULL ? NULL : found->data;
}

int64_t emb_model_table_rows(const emb_model *model, int32_t table)
{
    const emb_table *found = find_table(model, table);

    return found == NULL ? 0 : found->rows;
}

/* Shared checks of read_row and write_row. */
static emb_status check_row_access(const emb_model *model, int32_t table,
                                   int64_t row, const float *buffer,
                                   int64_t buffer_count, emb_error *err)
{
    const emb_table *found;

    if (model == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "model is NULL");
    found = find_table(model, table);
    if (found == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "table %d is unknown or absent from this model",
                        (int)table);
    if (buffer == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "row buffer is NULL");
    if (buffer_count < model->dim)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "row buffer holds %lld floats but dim is %lld",
                        (long long)buffer_count, (long long)model->dim);
    if (row < 0 || row >= found->rows) {
        emb_fail(err, EMB_ERR_ID_OUT_OF_RANGE,
                 "row %lld is outside [0, %lld)", (long long)row,
                 (long long)found->rows);
        emb_error_set_value(err, row, 0, found->rows);
        return EMB_ERR_ID_OUT_OF_RANGE;
    }
    return EMB_OK;
}

emb_status emb_model_read_row(const emb_model *model, int32_t table,
                              int64_t row, float *dst, int64_t dst_count,
                              emb_error *err)
{
    emb_status status = check_row_access(model, table, row, dst, dst_count,
                                         err);
    if (status != EMB_OK)
        return status;

    memcpy(dst, model->tables[table].data + row * model->dim,
           (size_t)model->dim * sizeof(float));
    return emb_succeed(err);
}

emb_status emb_model_write_row(emb_model *model, int32_t table, int64_t row,
                               const float *src, int64_t src_count,
                               emb_error *err)
{
    emb_status status = check_row_access(model, table, row, src, src_count,
                                         err);
    if (status != EMB_OK)
        return status;
    if (model->tables[table].origin != TABLE_OWNED)
        return emb_fail(err, EMB_ERR_READ_ONLY,
                        "table %d is borrowed or memory-mapped and cannot be "
                        "written; create the model with EMB_INIT_COPY or "
                        "EMB_LOAD_COPY to modify it",
                        (int)table);

    memmove(model->tables[table].data + row * model->dim, src,
            (size_t)model->dim * sizeof(float));
    return emb_succeed(err);
}

emb_status emb_model_resize_vocab(emb_model *model, int64_t new_vocab_size,
                                  emb_error *err)
{
    emb_table *old_table;
    emb_table grown = {0};
    int64_t kept_rows;
    emb_status status;

    if (model == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "model is NULL");
    old_table = &model->tables[EMB_TABLE_TOKEN];
    if (old_table->origin != TABLE_OWNED)
        return emb_fail(err, EMB_ERR_READ_ONLY,
                        "the token table is borrowed or memory-mapped and "
                        "cannot be resized; create the model with "
                        "EMB_INIT_COPY or EMB_LOAD_COPY to resize it");
    if (new_vocab_size <= 0)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "new vocab size %lld must be positive",
                        (long long)new_vocab_size);
    if (model->has_padding_id && model->padding_id >= new_vocab_size)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "new vocab size %lld would drop padding id %lld",
                        (long long)new_vocab_size,
                        (long long)model->padding_id);

    status = emb_table_allocate(&grown, new_vocab_size, model->dim, "token",
                                err);
    if (status != EMB_OK)
        return status;

    kept_rows = new_vocab_size < old_table->rows ? new_vocab_size
                                                 : old_table->rows;
    memcpy(grown.data, old_table->data,
           (size_t)kept_rows * (size_t)model->dim * sizeof(float));
    emb_table_fill_generated(model, &grown, EMB_TABLE_TOKEN, kept_rows);

    emb_table_release(old_table);
    *old_table = grown;
    return emb_succeed(err);
}
