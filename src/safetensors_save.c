/*
 * emb_model_save_safetensors: lays out the header and tensor data of a
 * model's tables, then hands them to safetensors_write.c, which writes them
 * atomically.
 *
 * Layout: the header is padded with spaces so that the data buffer starts
 * at a file offset that is a multiple of 64. The format allows no gaps
 * between tensors, so a tensor starts aligned only when every tensor before
 * it has a byte size that is a multiple of 64. Tensors of such sizes are
 * therefore written first (in the order wte, wpe, wtt), the others after.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"

#define DATA_ALIGNMENT 64

/* ------------------------------------------------------------------------ */
/* Header text                                                              */
/* ------------------------------------------------------------------------ */

/* Growable byte buffer. `failed` records an allocation failure. */
typedef struct text_buffer {
    char *data;
    size_t length;
    size_t capacity;
    bool failed;
} text_buffer;

static void put_bytes(text_buffer *b, const char *bytes, size_t count)
{
    if (b->failed)
        return;
    if (count > SIZE_MAX / 2 - b->length) {
        b->failed = true;
        return;
    }
    if (b->length + count > b->capacity) {
        size_t capacity = b->capacity == 0 ? 256 : b->capacity;
        char *grown;

        while (capacity < b->length + count)
            capacity *= 2;
        grown = realloc(b->data, capacity);
        if (grown == NULL) {
            b->failed = true;
            return;
        }
        b->data = grown;
        b->capacity = capacity;
    }
    memcpy(b->data + b->length, bytes, count);
    b->length += count;
}

static void put_text(text_buffer *b, const char *text)
{
    put_bytes(b, text, strlen(text));
}

static void put_format(text_buffer *b, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void put_format(text_buffer *b, const char *format, ...)
{
    char small[256];
    va_list args;
    int written;

    va_start(args, format);
    written = vsnprintf(small, sizeof(small), format, args);
    va_end(args);
    if (written < 0 || (size_t)written >= sizeof(small)) {
        b->failed = true;
        return;
    }
    put_bytes(b, small, (size_t)written);
}

/* Writes `text` (valid UTF-8) as a JSON string. */
static void put_json_string(text_buffer *b, const char *text)
{
    put_text(b, "\"");
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        switch (*c) {
        case '"': put_text(b, "\\\""); break;
        case '\\': put_text(b, "\\\\"); break;
        case '\b': put_text(b, "\\b"); break;
        case '\f': put_text(b, "\\f"); break;
        case '\n': put_text(b, "\\n"); break;
        case '\r': put_text(b, "\\r"); break;
        case '\t': put_text(b, "\\t"); break;
        default:
            if (*c < 0x20)
                put_format(b, "\\u%04x", (unsigned)*c);
            else
                put_bytes(b, (const char *)c, 1);
        }
    }
    put_text(b, "\"");
}

/* ------------------------------------------------------------------------ */
/* Plan                                                                     */
/* ------------------------------------------------------------------------ */

static int compare_key_pointers(const void *a, const void *b)
{
    return strcmp(**(const char *const *const *)a,
                  **(const char *const *const *)b);
}

static emb_status check_metadata(const char *const *keys,
                                 const char *const *values, int64_t count,
                                 emb_error *err)
{
    const char *const **sorted;
    size_t bad_offset;

    if (count < 0)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "metadata_count %lld must not be negative",
                        (long long)count);
    if (count == 0)
        return EMB_OK;
    if (keys == NULL || values == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "metadata_keys or metadata_values is NULL but "
                        "metadata_count is %lld",
                        (long long)count);
    if ((uint64_t)count > SIZE_MAX / sizeof(*sorted))
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "metadata_count %lld is too large", (long long)count);

    for (int64_t i = 0; i < count; i++) {
        if (keys[i] == NULL || values[i] == NULL)
            return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                            "metadata %s %lld is NULL",
                            keys[i] == NULL ? "key" : "value", (long long)i);
        if (!emb_st_utf8_valid((const unsigned char *)keys[i],
                               strlen(keys[i]), &bad_offset))
            return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                            "metadata key %lld is not valid UTF-8 at byte "
                            "%zu",
                            (long long)i, bad_offset);
        if (!emb_st_utf8_valid((const unsigned char *)values[i],
                               strlen(values[i]), &bad_offset))
            return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                            "metadata value %lld (key \"%.64s\") is not "
                            "valid UTF-8 at byte %zu",
                            (long long)i, keys[i], bad_offset);
    }

    /* Duplicate keys would write a header that readers reject. */
    sorted = malloc((size_t)count * sizeof(*sorted));
    if (sorted == NULL)
        return emb_fail(err, EMB_ERR_OUT_OF_MEMORY,
                        "cannot allocate the metadata key index");
    for (int64_t i = 0; i < count; i++)
        sorted[i] = &keys[i];
    qsort(sorted, (size_t)count, sizeof(*sorted), compare_key_pointers);
    for (int64_t i = 1; i < count; i++) {
        if (strcmp(*sorted[i - 1], *sorted[i]) == 0) {
            emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                     "metadata key \"%.64s\" appears more than once",
                     *sorted[i]);
            free(sorted);
            return EMB_ERR_INVALID_ARGUMENT;
        }
    }
    free(sorted);
    return EMB_OK;
}

/* Lists the tables to write in data order and assigns their offsets. */
static void lay_out_tensors(const emb_model *model, st_save_plan *plan)
{
    static const char *const names[3] = {"wte.weight", "wpe.weight",
                                         "wtt.weight"};
    uint64_t offset = 0;

    plan->tensor_count = 0;
    /* Pass 0 takes tables whose byte size keeps the next tensor aligned,
     * pass 1 the rest. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 3; i++) {
            const emb_table *table = &model->tables[i];
            uint64_t bytes = (uint64_t)table->rows * (uint64_t)model->dim *
                             sizeof(float);
            bool aligned = bytes % DATA_ALIGNMENT == 0;
            st_save_tensor *t;

            if (table->origin == TABLE_ABSENT || table->rows == 0 ||
                aligned != (pass == 0))
                continue;
            t = &plan->tensors[plan->tensor_count++];
            t->name = names[i];
            t->data = table->data;
            t->rows = table->rows;
            t->begin = offset;
            t->end = offset + bytes;
            offset = t->end;
        }
    }
    plan->data_length = offset;
}

emb_status emb_st_plan_save(const emb_model *model,
                            const char *const *metadata_keys,
                            const char *const *metadata_values,
                            int64_t metadata_count, st_save_plan *plan,
                            emb_error *err)
{
    text_buffer b = {NULL, 0, 0, false};
    size_t padded;
    emb_status status;

    memset(plan, 0, sizeof(*plan));
    status = check_metadata(metadata_keys, metadata_values, metadata_count,
                            err);
    if (status != EMB_OK)
        return status;
    lay_out_tensors(model, plan);

    put_text(&b, "{");
    if (metadata_count > 0) {
        put_text(&b, "\"__metadata__\":{");
        for (int64_t i = 0; i < metadata_count; i++) {
            if (i > 0)
                put_text(&b, ",");
            put_json_string(&b, metadata_keys[i]);
            put_text(&b, ":");
            put_json_string(&b, metadata_values[i]);
        }
        put_text(&b, "}");
    }
    for (size_t i = 0; i < plan->tensor_count; i++) {
        const st_save_tensor *t = &plan->tensors[i];

        if (i > 0 || metadata_count > 0)
            put_text(&b, ",");
        put_format(&b,
                   "\"%s\":{\"dtype\":\"F32\",\"shape\":[%lld,%lld],"
                   "\"data_offsets\":[%llu,%llu]}",
                   t->name, (long long)t->rows, (long long)model->dim,
                   (unsigned long long)t->begin, (unsigned long long)t->end);
    }
    put_text(&b, "}");

    /* Pad with spaces so that the data buffer (file byte 8 + N) starts
     * aligned. */
    padded = (8 + b.length + DATA_ALIGNMENT - 1) / DATA_ALIGNMENT *
                 DATA_ALIGNMENT - 8;
    while (!b.failed && b.length < padded)
        put_text(&b, " ");

    if (b.failed) {
        free(b.data);
        return emb_fail(err, EMB_ERR_OUT_OF_MEMORY,
                        "cannot allocate the safetensors header");
    }
    if (b.length > EMB_SAFETENSORS_MAX_HEADER) {
        free(b.data);
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "the metadata makes the header %zu bytes long, over "
                        "the limit of %u bytes (EMB_SAFETENSORS_MAX_HEADER)",
                        b.length, (unsigned)EMB_SAFETENSORS_MAX_HEADER);
    }
    plan->header = b.data;
    plan->header_length = b.length;
    return EMB_OK;
}

void emb_st_plan_free(st_save_plan *plan)
{
    free(plan->header);
    memset(plan, 0, sizeof(*plan));
}

emb_status emb_model_save_safetensors(const emb_model *model,
                                      const char *path,
                                      const char *const *metadata_keys,
                                      const char *const *metadata_values,
                                      int64_t metadata_count, emb_error *err)
{
    st_save_plan plan;
    emb_status status;

    if (model == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "model is NULL");
    if (path == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "path is NULL");
    if (*path == '\0')
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "path is empty");

    status = emb_st_plan_save(model, metadata_keys, metadata_values,
                              metadata_count, &plan, err);
    if (status != EMB_OK)
        return status;
    status = emb_st_write_atomically(path, &plan, err);
    emb_st_plan_free(&plan);
    if (status != EMB_OK)
        return status;
    return emb_succeed(err);
}
