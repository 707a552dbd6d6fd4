/*
 * Model handle lifetime: option validation, table allocation and
 * initialisation, and destruction. Accessors and resizing live in
 * model_access.c; the forward pass in forward.c.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "pool.h"

emb_status emb_check_struct_size(const void *object, uint32_t struct_size,
                                  size_t minimum_size, size_t known_size,
                                  const char *name, emb_error *err)
{
    const unsigned char *bytes = object;

    /* Options structs stay far below this size; a larger value is an
     * uninitialised struct, whose tail must not be read. */
    if (struct_size > EMB_MAX_STRUCT_SIZE)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "%s.struct_size is %u, larger than any version of "
                        "the struct; call the matching *_init function first",
                        name, struct_size);
    if (struct_size < minimum_size)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "%s.struct_size is %u, expected at least %zu; "
                        "call the matching *_init function first",
                        name, struct_size, minimum_size);
    /* A newer caller may pass a larger struct: its extra fields must be
     * zero (their defaults), because this version cannot honour them. */
    for (size_t i = known_size; i < struct_size; i++) {
        if (bytes[i] != 0)
            return emb_fail(err, EMB_ERR_UNSUPPORTED,
                            "%s sets a field at byte %zu that this library "
                            "version (%s) does not know",
                            name, i, EMB_VERSION_STRING);
    }
    return EMB_OK;
}

static emb_status check_enums(const emb_model_options *o, emb_error *err)
{
    if (o->storage_dtype == EMB_DTYPE_F16 || o->storage_dtype == EMB_DTYPE_BF16)
        return emb_fail(err, EMB_ERR_UNSUPPORTED,
                        "storage_dtype %d (F16/BF16) is reserved; this "
                        "version stores tables as F32 (EMB_DTYPE_F32)",
                        (int)o->storage_dtype);
    if (o->storage_dtype != EMB_DTYPE_F32)
        return emb_fail(err, EMB_ERR_UNSUPPORTED, "unknown storage_dtype %d",
                        (int)o->storage_dtype);
    if (o->init < EMB_INIT_ZEROS || o->init > EMB_INIT_BORROW)
        return emb_fail(err, EMB_ERR_UNSUPPORTED, "unknown init mode %d",
                        (int)o->init);
    if (o->position_kind < EMB_POSITION_LEARNED ||
        o->position_kind > EMB_POSITION_NONE)
        return emb_fail(err, EMB_ERR_UNSUPPORTED, "unknown position_kind %d",
                        (int)o->position_kind);
    if (o->sinusoid_layout != EMB_SINUSOID_INTERLEAVED &&
        o->sinusoid_layout != EMB_SINUSOID_SPLIT)
        return emb_fail(err, EMB_ERR_UNSUPPORTED,
                        "unknown sinusoid_layout %d", (int)o->sinusoid_layout);
    if (o->kernel < EMB_KERNEL_AUTO || o->kernel > EMB_KERNEL_FUSED)
        return emb_fail(err, EMB_ERR_UNSUPPORTED, "unknown kernel %d",
                        (int)o->kernel);
    return EMB_OK;
}

static emb_status check_shape(const char *name, int64_t rows, int64_t dim,
                              emb_error *err)
{
    size_t bytes;

    if (!emb_table_bytes(rows, dim, &bytes))
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "%s table of %lld x %lld floats overflows the "
                        "address space",
                        name, (long long)rows, (long long)dim);
    return EMB_OK;
}

static emb_status check_sizes(const emb_model_options *o, emb_error *err)
{
    emb_status status;

    if (o->vocab_size <= 0)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "vocab_size %lld must be positive",
                        (long long)o->vocab_size);
    if (o->dim <= 0)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "dim %lld must be positive", (long long)o->dim);
    if (o->position_kind == EMB_POSITION_NONE) {
        if (o->context_length != 0)
            return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                            "context_length %lld must be 0 with "
                            "EMB_POSITION_NONE",
                            (long long)o->context_length);
    } else if (o->context_length <= 0) {
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "context_length %lld must be positive",
                        (long long)o->context_length);
    }
    if (o->token_type_count < 0)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "token_type_count %lld must not be negative",
                        (long long)o->token_type_count);
    if (o->num_threads < 0)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "num_threads %d must not be negative",
                        (int)o->num_threads);

    status = check_shape("token", o->vocab_size, o->dim, err);
    if (status == EMB_OK)
        status = check_shape("position", o->context_length, o->dim, err);
    if (status == EMB_OK)
        status = check_shape("token-type", o->token_type_count, o->dim, err);
    return status;
}

static bool float_aligned(const float *pointer)
{
    return (uintptr_t)pointer % _Alignof(float) == 0;
}

/* True when every angle p * base^(-2i/D) of the table is finite. With a
 * base below 1 the frequencies grow with i, and a tiny base overflows. */
static bool sinusoid_angles_finite(const emb_model_options *o)
{
    int64_t last_pair = (o->dim + 1) / 2 - 1;
    double highest = pow(o->sinusoid_base,
                         -2.0 * (double)last_pair / (double)o->dim);
    double largest = highest > 1.0 ? highest : 1.0;

    return isfinite(largest * (double)(o->context_length - 1));
}

static emb_status check_values(const emb_model_options *o, emb_error *err)
{
    bool from_caller = o->init == EMB_INIT_COPY || o->init == EMB_INIT_BORROW;

    if (o->init == EMB_INIT_NORMAL &&
        (!isfinite(o->mean) || !isfinite(o->stddev) || o->stddev < 0.0))
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "normal init needs a finite mean and a finite "
                        "stddev >= 0 (got mean %g, stddev %g)",
                        o->mean, o->stddev);
    /* The polar method's outputs are below 12.02 in magnitude: the smallest
     * nonzero s of its 53-bit uniforms is 2^-104, which gives
     * sqrt(4 * 52 * ln 2). So this bound keeps every value finite in float. */
    if (o->init == EMB_INIT_NORMAL &&
        fabs(o->mean) + 16.0 * o->stddev > (double)FLT_MAX)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "normal init with mean %g and stddev %g would "
                        "produce values beyond the float range; |mean| + "
                        "16 * stddev must be at most %g",
                        o->mean, o->stddev, (double)FLT_MAX);
    if (o->position_kind == EMB_POSITION_SINUSOIDAL &&
        !(isfinite(o->sinusoid_base) && o->sinusoid_base > 0.0))
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "sinusoid_base %g must be finite and positive",
                        o->sinusoid_base);
    if (o->position_kind == EMB_POSITION_SINUSOIDAL &&
        !sinusoid_angles_finite(o))
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "sinusoid_base %g makes the angles of a %lld x %lld "
                        "table overflow to infinity; use a larger base",
                        o->sinusoid_base, (long long)o->context_length,
                        (long long)o->dim);
    if (from_caller && o->token_data == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "token_data is NULL but init copies or borrows it");
    if (from_caller && o->position_kind == EMB_POSITION_LEARNED &&
        o->position_data == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "position_data is NULL but init copies or borrows a "
                        "learned position table");
    if (o->init == EMB_INIT_BORROW &&
        (!float_aligned(o->token_data) ||
         (o->position_kind == EMB_POSITION_LEARNED &&
          !float_aligned(o->position_data)) ||
         (o->token_type_count > 0 && !float_aligned(o->token_type_data))))
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "borrowed tables must be aligned to %zu bytes (the "
                        "alignment of float); copy them with EMB_INIT_COPY "
                        "otherwise",
                        _Alignof(float));
    if (from_caller && o->token_type_count > 0 && o->token_type_data == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "token_type_data is NULL but token_type_count is "
                        "%lld",
                        (long long)o->token_type_count);
    if (o->has_padding_id != 0 && o->has_padding_id != 1)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "has_padding_id must be 0 or 1, got %d",
                        (int)o->has_padding_id);
    if (o->has_padding_id &&
        (o->padding_id < 0 || o->padding_id >= o->vocab_size)) {
        emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                 "padding_id %lld is outside [0, %lld)",
                 (long long)o->padding_id, (long long)o->vocab_size);
        emb_error_set_value(err, o->padding_id, 0, o->vocab_size);
        return EMB_ERR_INVALID_ARGUMENT;
    }
    if (o->has_scale != 0 && o->has_scale != 1)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "has_scale must be 0 or 1, got %d", (int)o->has_scale);
    if (o->has_scale && !isfinite(o->scale))
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "scale %g must be finite", (double)o->scale);
    return EMB_OK;
}

emb_status emb_check_model_options(const emb_model_options *options,
                                   emb_error *err)
{
    emb_status status;

    status = emb_check_struct_size(options, options->struct_size,
                                   EMB_MODEL_OPTIONS_SIZE_1_0,
                                   sizeof(*options), "emb_model_options", err);
    if (status == EMB_OK)
        status = check_enums(options, err);
    if (status == EMB_OK)
        status = check_sizes(options, err);
    if (status == EMB_OK)
        status = check_values(options, err);
    return status;
}

void emb_table_release(emb_table *table)
{
    if (table->origin == TABLE_OWNED)
        emb_aligned_free(table->data);
    memset(table, 0, sizeof(*table));
}

/* Allocates an owned [rows, dim] table. */
emb_status emb_table_allocate(emb_table *table, int64_t rows, int64_t dim,
                              const char *name, emb_error *err)
{
    size_t bytes;

    if (!emb_table_bytes(rows, dim, &bytes))
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "%s table of %lld x %lld floats overflows the "
                        "address space",
                        name, (long long)rows, (long long)dim);
    table->data = emb_aligned_alloc(bytes);
    if (table->data == NULL)
        return emb_fail(err, EMB_ERR_OUT_OF_MEMORY,
                        "cannot allocate %zu bytes for the %s table", bytes,
                        name);
    table->rows = rows;
    table->bytes = bytes;
    table->origin = TABLE_OWNED;
    return EMB_OK;
}

/* Table elements per chunk that a generated fill hands to one thread. */
#define FILL_CHUNK_ELEMENTS ((int64_t)16 << 10)

/* Rows [row_begin, row_begin + count) of one table filled on the model's
 * worker pool. The pool belongs to the model and keeps no process-wide
 * state, so a forked child can still create models. Each element depends
 * only on its table, row and column, so the split does not change the
 * values. */
typedef struct fill_job {
    const emb_model *model;
    float *first;          /* row row_begin of the table */
    uint32_t table_index;
    int64_t row_begin;
    double sinusoid_base;
    int32_t sinusoid_layout;
} fill_job;

static void fill_normal_rows(const void *context, int64_t begin, int64_t end)
{
    const fill_job *job = context;
    const emb_model *m = job->model;

    emb_fill_normal(job->first + begin * m->dim, m->seed, job->table_index,
                    job->row_begin + begin, job->row_begin + end, m->dim,
                    m->mean, m->stddev);
}

static void fill_sinusoid_rows(const void *context, int64_t begin,
                               int64_t end)
{
    const fill_job *job = context;
    int64_t dim = job->model->dim;

    emb_fill_sinusoid(job->first + begin * dim, job->row_begin + begin,
                      job->row_begin + end, dim, job->sinusoid_base,
                      job->sinusoid_layout);
}

static void run_fill(const fill_job *job, emb_pool_task task, int64_t count)
{
    int64_t chunk_rows = FILL_CHUNK_ELEMENTS / job->model->dim;

    emb_pool_run(job->model->pool, task, job, count,
                 chunk_rows > 0 ? chunk_rows : 1);
}

/* Fills rows [row_begin, rows) of an owned table by the model's init rule
 * for generated tables (zeros or seeded normal). */
void emb_table_fill_generated(const emb_model *model, emb_table *table,
                              uint32_t table_index, int64_t row_begin)
{
    float *first = table->data + row_begin * model->dim;
    int64_t count = table->rows - row_begin;
    fill_job job = {model, first, table_index, row_begin, 0.0, 0};

    if (count <= 0)
        return;
    if (model->init == EMB_INIT_NORMAL)
        run_fill(&job, fill_normal_rows, count);
    else
        memset(first, 0, (size_t)count * (size_t)model->dim * sizeof(float));
}

static emb_status build_table(emb_model *model, uint32_t table_index,
                              int64_t rows, const float *source,
                              const char *name, emb_error *err)
{
    emb_table *table = &model->tables[table_index];
    emb_status status;

    if (rows == 0)
        return EMB_OK;
    if (model->init == EMB_INIT_BORROW) {
        table->data = (float *)source;
        table->rows = rows;
        table->origin = TABLE_BORROWED;
        return EMB_OK;
    }

    status = emb_table_allocate(table, rows, model->dim, name, err);
    if (status != EMB_OK)
        return status;
    if (model->init == EMB_INIT_COPY)
        memcpy(table->data, source, table->bytes);
    else
        emb_table_fill_generated(model, table, table_index, 0);
    return EMB_OK;
}

static emb_status build_position_table(emb_model *model,
                                       const emb_model_options *o,
                                       emb_error *err)
{
    emb_table *table = &model->tables[EMB_TABLE_POSITION];
    emb_status status;

    if (o->position_kind == EMB_POSITION_LEARNED)
        return build_table(model, EMB_TABLE_POSITION, o->context_length,
                           o->position_data, "position", err);
    if (o->position_kind == EMB_POSITION_NONE)
        return EMB_OK;

    /* Sinusoidal: always owned, computed whatever the init mode. */
    status = emb_table_allocate(table, o->context_length, o->dim, "position",
                                err);
    if (status != EMB_OK)
        return status;
    fill_job job = {model, table->data, EMB_TABLE_POSITION, 0,
                    o->sinusoid_base, o->sinusoid_layout};
    run_fill(&job, fill_sinusoid_rows, o->context_length);
    return EMB_OK;
}

emb_model *emb_model_new(const emb_model_options *o)
{
    emb_model *model = calloc(1, sizeof(*model));

    if (model == NULL)
        return NULL;
    /* dim passed emb_check_model_options, so dim floats fit size_t. */
    model->poison_row = emb_aligned_alloc((size_t)o->dim * sizeof(float));
    if (model->poison_row == NULL) {
        free(model);
        return NULL;
    }
    for (int64_t c = 0; c < o->dim; c++)
        model->poison_row[c] = NAN;
    model->dim = o->dim;
    model->init = o->init;
    model->seed = o->seed;
    model->mean = o->mean;
    model->stddev = o->stddev;
    model->position_kind = o->position_kind;
    model->has_padding_id = o->has_padding_id == 1;
    model->padding_id = o->padding_id;
    /* A scale of 1 is no scale: skipping the multiply keeps even signaling
     * NaNs bit-identical, which x * 1 would quiet. */
    model->has_scale = o->has_scale == 1 && o->scale != 1.0f;
    model->scale = o->scale;
    model->num_threads = o->num_threads > 0 ? o->num_threads
                                            : emb_online_cpus();
    /* Each thread costs a stack and a pthread_t in the pool, so a huge
     * request would exhaust memory before any forward runs. */
    if (model->num_threads > EMB_MAX_THREADS)
        model->num_threads = EMB_MAX_THREADS;
    /* Without its workers (no memory or threads) the model still works,
     * on the calling thread only. */
    model->pool = emb_pool_create(model->num_threads - 1);
    /* Report the threads that really run forward calls: the caller plus
     * the workers that started. */
    model->num_threads = 1 + emb_pool_thread_count(model->pool);
    model->kernel = o->kernel == EMB_KERNEL_AUTO ? EMB_KERNEL_FUSED
                                                 : o->kernel;
    return model;
}

emb_status emb_model_create(const emb_model_options *options,
                            emb_model **out_model, emb_error *err)
{
    emb_model *model;
    emb_status status;

    if (options == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "options is NULL");
    if (out_model == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "out_model is NULL");
    status = emb_check_model_options(options, err);
    if (status != EMB_OK)
        return status;

    model = emb_model_new(options);
    if (model == NULL)
        return emb_fail(err, EMB_ERR_OUT_OF_MEMORY,
                        "cannot allocate the model handle");

    status = build_table(model, EMB_TABLE_TOKEN, options->vocab_size,
                         options->token_data, "token", err);
    if (status == EMB_OK)
        status = build_position_table(model, options, err);
    if (status == EMB_OK)
        status = build_table(model, EMB_TABLE_TOKEN_TYPE,
                             options->token_type_count,
                             options->token_type_data, "token-type", err);
    if (status != EMB_OK) {
        emb_model_destroy(model);
        return status;
    }

    /* PyTorch semantics: generated tables start with a zero padding row. */
    if (model->has_padding_id && (options->init == EMB_INIT_ZEROS ||
                                  options->init == EMB_INIT_NORMAL))
        memset(model->tables[EMB_TABLE_TOKEN].data +
                   model->padding_id * model->dim,
               0, (size_t)model->dim * sizeof(float));

    *out_model = model;
    return emb_succeed(err);
}

void emb_model_destroy(emb_model *model)
{
    if (model == NULL)
        return;
    for (int i = 0; i < 3; i++)
        emb_table_release(&model->tables[i]);
    emb_pool_destroy(model->pool);
    emb_aligned_free(model->poison_row);
    if (model->mapping != NULL)
        munmap(model->mapping, model->mapping_bytes);
    free(model);
}
