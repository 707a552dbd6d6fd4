/*
 * Internal definition of the model handle and helpers shared by the library's
 * source files. Nothing here is part of the public ABI.
 */
#ifndef EMBEDDING_INTERNAL_H
#define EMBEDDING_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embedding/embedding.h"

#define EMB_HIDDEN __attribute__((visibility("hidden")))

/* Where a table's memory comes from, which decides how it is released and
 * whether it may be written. */
typedef enum table_origin {
    TABLE_ABSENT = 0,   /* no table (e.g. positions under EMB_POSITION_NONE) */
    TABLE_OWNED = 1,    /* allocated with emb_aligned_alloc */
    TABLE_BORROWED = 2, /* caller memory, read-only */
    TABLE_MAPPED = 3    /* read-only file mapping owned by the model */
} table_origin;

/* One [rows, dim] fp32 row-major table. */
typedef struct emb_table {
    float *data;        /* const in practice unless origin is TABLE_OWNED */
    int64_t rows;
    size_t bytes;       /* allocation size for TABLE_OWNED */
    table_origin origin;
} emb_table;

struct emb_model {
    emb_table tables[3];   /* indexed by EMB_TABLE_* */
    int64_t dim;
    int32_t init;          /* EMB_INIT_* used at creation (resize follows it) */
    uint64_t seed;
    double mean;
    double stddev;
    int32_t position_kind;
    bool has_padding_id;
    int64_t padding_id;
    bool has_scale;
    float scale;
    int32_t num_threads;
    struct emb_pool *pool; /* num_threads - 1 forward workers, or NULL */
    int32_t kernel;        /* resolved: never EMB_KERNEL_AUTO */
    /* dim quiet NaNs, read by kernels in place of a row whose index went
     * out of range after validation (the caller changed ids meanwhile). */
    float *poison_row;
    void *mapping;         /* file mapping of a safetensors load, or NULL */
    size_t mapping_bytes;
};

/* Error reporting. Each helper returns `status` so call sites can write
 * `return emb_fail(err, EMB_ERR_..., "...")`. The message is a printf
 * format; only the library's own strings are ever passed as the format. */
EMB_HIDDEN emb_status emb_fail(emb_error *err, emb_status status,
                               const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the offending element of a [batch, seq_len] input. */
EMB_HIDDEN void emb_error_set_element(emb_error *err, int64_t flat_index,
                                      int64_t seq_len, int64_t value,
                                      int64_t range_begin, int64_t range_end);

/* Records an offending value and its valid range, without an element. */
EMB_HIDDEN void emb_error_set_value(emb_error *err, int64_t value,
                                    int64_t range_begin, int64_t range_end);

/* Records errno of a failed system call. */
EMB_HIDDEN void emb_error_set_os_error(emb_error *err, int os_error);

/* Marks `err` as describing a successful call. */
EMB_HIDDEN emb_status emb_succeed(emb_error *err);

/* Returns true when err may be written and has room for `field_end` bytes. */
EMB_HIDDEN bool emb_error_has_room(const emb_error *err, size_t field_end);

/* Checked size arithmetic: return false on overflow. */
EMB_HIDDEN bool emb_mul_size(size_t a, size_t b, size_t *product);
EMB_HIDDEN bool emb_table_bytes(int64_t rows, int64_t dim, size_t *bytes);

/* Aligned allocation (64 bytes; 2 MiB with MADV_HUGEPAGE from 4 MiB on). */
EMB_HIDDEN void *emb_aligned_alloc(size_t bytes);
EMB_HIDDEN void emb_aligned_free(void *ptr);

/* Seeded N(mean, stddev^2) values of table `table_index`, rows
 * [row_begin, row_end), written to dst (row-major, dim columns). */
EMB_HIDDEN void emb_fill_normal(float *dst, uint64_t seed, uint32_t table_index,
                                int64_t row_begin, int64_t row_end,
                                int64_t dim, double mean, double stddev);

/* Rows [row_begin, row_end) of the sinusoidal position table, written to
 * dst (row-major, dim columns). */
EMB_HIDDEN void emb_fill_sinusoid(float *dst, int64_t row_begin,
                                  int64_t row_end, int64_t dim,
                                  double base, int32_t layout);

/* Largest struct_size accepted for any options struct. */
#define EMB_MAX_STRUCT_SIZE 4096u

/* Sizes of the option structs in version 1.0. Callers built against 1.0
 * pass these forever, so later versions must keep accepting them (and use
 * defaults for the fields such callers do not have). */
#define EMB_MODEL_OPTIONS_SIZE_1_0 136u
#define EMB_LOAD_OPTIONS_SIZE_1_0 40u
_Static_assert(sizeof(emb_model_options) >= EMB_MODEL_OPTIONS_SIZE_1_0,
               "emb_model_options may only grow");
_Static_assert(sizeof(emb_load_options) >= EMB_LOAD_OPTIONS_SIZE_1_0,
               "emb_load_options may only grow");

/* Validates a struct_size field: at least minimum_size (the 1.0 size), at
 * most EMB_MAX_STRUCT_SIZE, and any bytes past known_size (from a newer
 * caller) zero. `name` names the struct. */
EMB_HIDDEN emb_status emb_check_struct_size(const void *object,
                                            uint32_t struct_size,
                                            size_t minimum_size,
                                            size_t known_size,
                                            const char *name, emb_error *err);

/* Checks every field of model options, as emb_model_create does. */
EMB_HIDDEN emb_status emb_check_model_options(const emb_model_options *options,
                                              emb_error *err);

/* Allocates a handle with no tables and the scalar settings of `options`
 * (which must have passed emb_check_model_options). NULL when out of
 * memory. */
EMB_HIDDEN emb_model *emb_model_new(const emb_model_options *options);

/* Allocates an owned, uninitialised [rows, dim] table. */
EMB_HIDDEN emb_status emb_table_allocate(emb_table *table, int64_t rows,
                                         int64_t dim, const char *name,
                                         emb_error *err);

/* Fills rows [row_begin, table->rows) by the model's generated-table rule:
 * seeded normal for EMB_INIT_NORMAL, zeros otherwise. */
EMB_HIDDEN void emb_table_fill_generated(const emb_model *model,
                                         emb_table *table,
                                         uint32_t table_index,
                                         int64_t row_begin);

/* Frees an owned table and clears the struct. */
EMB_HIDDEN void emb_table_release(emb_table *table);

/* Largest worker thread count a model uses; larger requests are lowered
 * to it. */
#define EMB_MAX_THREADS 1024

/* Online CPU count, at least 1. */
EMB_HIDDEN int32_t emb_online_cpus(void);

#endif /* EMBEDDING_INTERNAL_H */
