/*
 * Status messages and the caller-owned emb_error detail struct. The library
 * keeps no error state of its own: everything goes into the struct the
 * caller passes, and only the fields that fit its struct_size are written.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *emb_status_message(emb_status status)
{
    switch (status) {
    case EMB_OK:
        return "success";
    case EMB_ERR_INVALID_ARGUMENT:
        return "invalid argument";
    case EMB_ERR_ID_OUT_OF_RANGE:
        return "id out of range";
    case EMB_ERR_POSITION_OUT_OF_RANGE:
        return "position out of range";
    case EMB_ERR_OUT_OF_MEMORY:
        return "out of memory";
    case EMB_ERR_UNSUPPORTED:
        return "unsupported value";
    case EMB_ERR_READ_ONLY:
        return "table is read-only";
    case EMB_ERR_IO:
        return "input/output error";
    case EMB_ERR_FORMAT:
        return "malformed weights file";
    case EMB_ERR_NOT_FOUND:
        return "tensor not found";
    case EMB_ERR_SHAPE_MISMATCH:
        return "shape mismatch";
    default:
        return "unknown status";
    }
}

void emb_error_init(emb_error *err)
{
    if (err == NULL)
        return;
    memset(err, 0, sizeof(*err));
    err->struct_size = (uint32_t)sizeof(*err);
}

bool emb_error_has_room(const emb_error *err, size_t field_end)
{
    return err != NULL && err->struct_size >= field_end;
}

/* Field end offset, for checking a field against a caller's struct_size. */
#define FIELD_END(field) \
    (offsetof(emb_error, field) + sizeof(((emb_error *)0)->field))

/* Clears every detail field that fits the caller's struct, so no value of
 * an earlier failure survives into a later call's report. */
static void clear_details(emb_error *err)
{
    size_t begin = offsetof(emb_error, fields);
    size_t end = err->struct_size < sizeof(*err) ? err->struct_size
                                                 : sizeof(*err);

    if (end > begin)
        memset((unsigned char *)err + begin, 0, end - begin);
}

emb_status emb_succeed(emb_error *err)
{
    if (emb_error_has_room(err, FIELD_END(status))) {
        err->status = EMB_OK;
        clear_details(err);
    }
    return EMB_OK;
}

emb_status emb_fail(emb_error *err, emb_status status, const char *format, ...)
{
    if (!emb_error_has_room(err, FIELD_END(status)))
        return status;
    err->status = status;
    clear_details(err);

    if (emb_error_has_room(err, FIELD_END(message))) {
        va_list args;
        va_start(args, format);
        vsnprintf(err->message, sizeof(err->message), format, args);
        va_end(args);
    }
    return status;
}

void emb_error_set_element(emb_error *err, int64_t flat_index,
                           int64_t seq_len, int64_t value,
                           int64_t range_begin, int64_t range_end)
{
    if (!emb_error_has_room(err, FIELD_END(range_end)))
        return;
    err->index = flat_index;
    err->batch_index = seq_len > 0 ? flat_index / seq_len : 0;
    err->seq_index = seq_len > 0 ? flat_index % seq_len : 0;
    err->value = value;
    err->range_begin = range_begin;
    err->range_end = range_end;
    err->fields |= EMB_ERROR_HAS_INDEX | EMB_ERROR_HAS_VALUE |
                   EMB_ERROR_HAS_RANGE;
}

void emb_error_set_value(emb_error *err, int64_t value, int64_t range_begin,
                         int64_t range_end)
{
    if (!emb_error_has_room(err, FIELD_END(range_end)))
        return;
    err->value = value;
    err->range_begin = range_begin;
    err->range_end = range_end;
    err->fields |= EMB_ERROR_HAS_VALUE | EMB_ERROR_HAS_RANGE;
}

void emb_error_set_os_error(emb_error *err, int os_error)
{
    if (!emb_error_has_room(err, FIELD_END(os_error)))
        return;
    err->os_error = os_error;
    err->fields |= EMB_ERROR_HAS_OS_ERROR;
}
