/*
 * Position ids from an attention mask, for left-padded batches: the k-th
 * real token of a row gets position start + k, padding slots get 0.
 */
#include "validate.h"

static emb_status check_mask(const uint8_t *mask, int64_t batch,
                             int64_t seq_len, int64_t start,
                             int64_t max_position, void *positions,
                             int64_t positions_count, emb_error *err)
{
    int64_t count;

    if (batch < 0 || seq_len < 0)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "batch %lld and seq_len %lld must not be negative",
                        (long long)batch, (long long)seq_len);
    if (__builtin_mul_overflow(batch, seq_len, &count))
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "mask of %lld x %lld elements overflows int64",
                        (long long)batch, (long long)seq_len);
    if (start < 0)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "start %lld must not be negative", (long long)start);
    if (positions_count < 0)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "positions_count %lld must not be negative",
                        (long long)positions_count);
    if (count == 0)
        return EMB_OK;
    if (mask == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "mask is NULL");
    if (positions == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "positions is NULL");
    if (positions_count < count)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "positions holds %lld elements but %lld are needed",
                        (long long)positions_count, (long long)count);

    for (int64_t i = 0; i < count; i++) {
        if (mask[i] > 1) {
            emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                     "mask value %d at flat index %lld is neither 0 nor 1",
                     (int)mask[i], (long long)i);
            emb_error_set_element(err, i, seq_len, mask[i], 0, 2);
            return EMB_ERR_INVALID_ARGUMENT;
        }
    }
    /* The largest position is start + (real tokens in a row) - 1 <=
     * start + seq_len - 1; reject a start that would not fit. */
    if (start > max_position - (seq_len - 1)) {
        emb_fail(err, EMB_ERR_POSITION_OUT_OF_RANGE,
                 "start %lld + seq_len %lld exceeds the largest position "
                 "the output type holds (%lld)",
                 (long long)start, (long long)seq_len,
                 (long long)max_position);
        return EMB_ERR_POSITION_OUT_OF_RANGE;
    }
    return EMB_OK;
}

/* Writes the positions of a mask that check_mask accepted, as int64 when
 * `wide`, else int32. start + real stays <= start + seq_len - 1, which
 * check_mask showed fits the type; counting on from start past the last
 * real token could overflow. */
static void fill_positions(const uint8_t *mask, int64_t batch,
                           int64_t seq_len, int64_t start, void *positions,
                           bool wide)
{
    for (int64_t b = 0; b < batch; b++) {
        int64_t real = 0;

        for (int64_t t = 0; t < seq_len; t++) {
            int64_t i = b * seq_len + t;
            int64_t position = mask[i] ? start + real : 0;

            if (wide)
                ((int64_t *)positions)[i] = position;
            else
                ((int32_t *)positions)[i] = (int32_t)position;
            real += mask[i];
        }
    }
}

emb_status emb_positions_from_mask_i32(const uint8_t *mask, int64_t batch,
                                       int64_t seq_len, int64_t start,
                                       int32_t *positions,
                                       int64_t positions_count,
                                       emb_error *err)
{
    emb_status status = check_mask(mask, batch, seq_len, start, INT32_MAX,
                                   positions, positions_count, err);
    if (status != EMB_OK)
        return status;

    fill_positions(mask, batch, seq_len, start, positions, false);
    return emb_succeed(err);
}

emb_status emb_positions_from_mask_i64(const uint8_t *mask, int64_t batch,
                                       int64_t seq_len, int64_t start,
                                       int64_t *positions,
                                       int64_t positions_count,
                                       emb_error *err)
{
    emb_status status = check_mask(mask, batch, seq_len, start, INT64_MAX,
                                   positions, positions_count, err);
    if (status != EMB_OK)
        return status;

    fill_positions(mask, batch, seq_len, start, positions, true);
    return emb_succeed(err);
}
