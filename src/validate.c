/*
 * Input checks of the forward pass. They run over all inputs before any
 * output is written, so a failed call leaves the output untouched, and they
 * report the first offending element in row-major order.
 */
#include "validate.h"

/* Returns the flat index of the first element outside [0, limit), or
 * `count` when all are inside. */
static int64_t first_outside_i32(const int32_t *values, int64_t count,
                                 int64_t limit)
{
    for (int64_t i = 0; i < count; i++) {
        if (values[i] < 0 || (int64_t)values[i] >= limit)
            return i;
    }
    return count;
}

static int64_t first_outside_i64(const int64_t *values, int64_t count,
                                 int64_t limit)
{
    for (int64_t i = 0; i < count; i++) {
        if (values[i] < 0 || values[i] >= limit)
            return i;
    }
    return count;
}

emb_status emb_check_indices(const void *values, bool wide, int64_t batch,
                             int64_t seq_len, int64_t limit,
                             emb_status status, const char *what,
                             emb_error *err)
{
    int64_t count = batch * seq_len;
    int64_t bad = wide ? first_outside_i64(values, count, limit)
                       : first_outside_i32(values, count, limit);
    int64_t value;

    if (bad == count)
        return EMB_OK;
    value = wide ? ((const int64_t *)values)[bad]
                 : (int64_t)((const int32_t *)values)[bad];
    emb_fail(err, status,
             "%s %lld at flat index %lld (batch %lld, position %lld) is "
             "outside [0, %lld)",
             what, (long long)value, (long long)bad,
             (long long)(bad / seq_len), (long long)(bad % seq_len),
             (long long)limit);
    emb_error_set_element(err, bad, seq_len, value, 0, limit);
    return status;
}

emb_status emb_check_position_range(int64_t start, int64_t seq_len,
                                    int64_t context_length, emb_error *err)
{
    int64_t bad;

    /* Positions are start, ..., start + seq_len - 1 (seq_len > 0). Compare
     * without forming start + seq_len, which may overflow. */
    if (start >= 0 && start <= context_length - seq_len)
        return EMB_OK;
    bad = start < 0 || start >= context_length ? start : context_length;
    emb_fail(err, EMB_ERR_POSITION_OUT_OF_RANGE,
             "position %lld (start %lld + %lld) is outside the context "
             "[0, %lld)",
             (long long)bad, (long long)start,
             (long long)(start < 0 ? 0 : bad - start),
             (long long)context_length);
    emb_error_set_element(err, start < 0 ? 0 : bad - start, seq_len, bad, 0,
                          context_length);
    return EMB_ERR_POSITION_OUT_OF_RANGE;
}

emb_status emb_check_output_count(int64_t batch, int64_t seq_len,
                                  int64_t dim, int64_t *count,
                                  emb_error *err)
{
    int64_t rows;
    size_t bytes;

    if (batch < 0 || seq_len < 0)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "batch %lld and seq_len %lld must not be negative",
                        (long long)batch, (long long)seq_len);
    if (__builtin_mul_overflow(batch, seq_len, &rows) ||
        __builtin_mul_overflow(rows, dim, count) ||
        !emb_table_bytes(rows, dim, &bytes))
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "output of %lld x %lld x %lld floats overflows the "
                        "address space",
                        (long long)batch, (long long)seq_len,
                        (long long)dim);
    return EMB_OK;
}
