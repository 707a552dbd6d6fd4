/*
 * Per-handle worker pool of the forward pass. A caller splits its rows into
 * chunks and starts on them at once, and idle workers claim chunks as soon
 * as they wake. The caller waits only for chunks that a worker has claimed.
 * So a call never waits for a worker to start, and a worker that is slow to
 * wake (or descheduled on a busy machine) delays it by at most one chunk.
 */
#ifndef EMBEDDING_POOL_H
#define EMBEDDING_POOL_H

#include <stdint.h>

#include "internal.h"

typedef struct emb_pool emb_pool;

/* Work item: process rows [row_begin, row_end) of the job `context`. */
typedef void (*emb_pool_task)(const void *context, int64_t row_begin,
                              int64_t row_end);

/* Starts up to `workers` threads. Returns NULL when workers < 1, when memory
 * runs out or when no thread could be started; callers then run every job
 * on their own thread. Starting fewer threads than asked is not an error. */
EMB_HIDDEN emb_pool *emb_pool_create(int32_t workers);

/* Returns the number of worker threads that started (0 for NULL). */
EMB_HIDDEN int32_t emb_pool_thread_count(const emb_pool *pool);

/* Stops and joins the workers and frees the pool. NULL is a no-op. No job
 * may be running. */
EMB_HIDDEN void emb_pool_destroy(emb_pool *pool);

/* Runs task(context, begin, end) over rows [0, rows) in chunks of about
 * chunk_rows rows, on the calling thread and on every worker that wakes in
 * time, and returns when all rows are done. Thread-safe: while one caller
 * uses the pool, other callers run their whole job on their own thread.
 * Allocates nothing. pool may be NULL (the caller runs every row). */
EMB_HIDDEN void emb_pool_run(emb_pool *pool, emb_pool_task task,
                             const void *context, int64_t rows,
                             int64_t chunk_rows);

#endif /* EMBEDDING_POOL_H */
