/* Input checks shared by the forward entry points and the mask helper. */
#ifndef EMBEDDING_VALIDATE_H
#define EMBEDDING_VALIDATE_H

#include "internal.h"

/* Checks that every element of values [batch, seq_len] (int64 when `wide`,
 * else int32) lies in [0, limit). On failure returns `status` and reports
 * the first bad element, naming it `what` ("token id", ...). */
EMB_HIDDEN emb_status emb_check_indices(const void *values, bool wide,
                                        int64_t batch, int64_t seq_len,
                                        int64_t limit, emb_status status,
                                        const char *what, emb_error *err);

/* Checks positions start .. start + seq_len - 1 (seq_len > 0) against
 * [0, context_length) without overflow. */
EMB_HIDDEN emb_status emb_check_position_range(int64_t start, int64_t seq_len,
                                               int64_t context_length,
                                               emb_error *err);

/* Computes batch * seq_len * dim into *count, rejecting negative sizes and
 * any count whose byte size overflows. */
EMB_HIDDEN emb_status emb_check_output_count(int64_t batch, int64_t seq_len,
                                             int64_t dim, int64_t *count,
                                             emb_error *err);

#endif /* EMBEDDING_VALIDATE_H */
