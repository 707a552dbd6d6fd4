/*
 * libembedding public API: input embeddings of a transformer language model.
 *
 * A model handle owns (or borrows) a token table [vocab_size, dim], a position
 * table [context_length, dim] and an optional token-type table
 * [token_type_count, dim], all fp32 and row-major. The forward pass computes
 *
 *     out[b, t, :] = scale * token[ids[b, t], :] + position[pos(b, t), :]
 *                    (+ token_type[type_ids[b, t], :] when type ids are given)
 *
 * with pos(b, t) = start + t, or position_ids[b, t] when explicit position ids
 * are passed. Dimension letters used below: B = batch, T = seq_len,
 * V = vocab_size, C = context_length, D = dim.
 *
 * Stability: every symbol here was added in version 1.0 and is part of ABI
 * version 1 (linker version node EMBEDDING_1.0); later additions will name
 * the version that added them. Status values are never renumbered. Structs
 * that may grow start with a struct_size field that the matching *_init
 * function fills in.
 *
 * Conventions for every function below unless its comment says otherwise:
 * - A fallible function returns an emb_status. EMB_OK is 0.
 * - `err` may be NULL. When it is not NULL it must have been prepared with
 *   emb_error_init(); on failure the library fills it with details, on
 *   success it is left with status EMB_OK and no detail fields set.
 * - Inputs are validated completely before anything is written: after a
 *   failed call every output buffer is byte-for-byte unchanged.
 * - The library never prints, never calls abort() or exit(), and keeps no
 *   global or thread-local error state.
 */
#ifndef EMBEDDING_EMBEDDING_H
#define EMBEDDING_EMBEDDING_H

#include <stddef.h>
#include <stdint.h>

#include "embedding/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                  */
/* ------------------------------------------------------------------------ */

#define EMB_VERSION_MAJOR 1
#define EMB_VERSION_MINOR 0
#define EMB_VERSION_PATCH 0
/* major * 10000 + minor * 100 + patch, e.g. 10000 for 1.0.0. */
#define EMB_VERSION_NUMBER \
    (EMB_VERSION_MAJOR * 10000 + EMB_VERSION_MINOR * 100 + EMB_VERSION_PATCH)
#define EMB_VERSION_STRING "1.0.0"
/* Changes only when a release breaks binary compatibility; equals the SONAME
 * major (libembedding.so.1). */
#define EMB_ABI_VERSION 1

/* Returns EMB_VERSION_NUMBER of the library actually loaded. Thread-safe. */
EMB_API uint32_t emb_version_number(void);
/* Returns a static string such as "1.0.0". Thread-safe. */
EMB_API const char *emb_version_string(void);
/* Returns EMB_ABI_VERSION of the library actually loaded. A caller built
 * against ABI N must refuse to run when this returns another value.
 * Thread-safe. */
EMB_API uint32_t emb_abi_version(void);

/* ------------------------------------------------------------------------ */
/* Status codes and error details                                           */
/* ------------------------------------------------------------------------ */

typedef int32_t emb_status;

/* Stable values: new codes are appended, existing ones never change. */
enum {
    EMB_OK = 0,
    /* A NULL pointer, a negative or zero size where one is required, an
     * output buffer too small, or a size whose byte count overflows. */
    EMB_ERR_INVALID_ARGUMENT = 1,
    /* A token id (or token-type id) outside [0, rows of its table). */
    EMB_ERR_ID_OUT_OF_RANGE = 2,
    /* A position outside [0, context_length). */
    EMB_ERR_POSITION_OUT_OF_RANGE = 3,
    /* Memory allocation failed. */
    EMB_ERR_OUT_OF_MEMORY = 4,
    /* A valid value that this version does not implement (e.g. a storage
     * dtype other than F32). */
    EMB_ERR_UNSUPPORTED = 5,
    /* The table is borrowed from the caller or mapped from a file and the
     * operation would modify or reallocate it. */
    EMB_ERR_READ_ONLY = 6,
    /* An operating-system call failed (open, read, write, fsync, rename,
     * mmap); err->os_error contains errno and err->message names the path. */
    EMB_ERR_IO = 7,
    /* A weights file is malformed; err->message names the tensor and rule. */
    EMB_ERR_FORMAT = 8,
    /* A requested tensor is not in the weights file. */
    EMB_ERR_NOT_FOUND = 9,
    /* Tensor shapes disagree (rank, dim, or the model's shapes). */
    EMB_ERR_SHAPE_MISMATCH = 10
};

/* Returns a static, NUL-terminated English description of `status`
 * ("unknown status" for values not listed above). Never returns NULL.
 * Thread-safe. */
EMB_API const char *emb_status_message(emb_status status);

/* Bits of emb_error.fields saying which detail fields are meaningful. */
enum {
    EMB_ERROR_HAS_INDEX = 1u << 0,    /* index, batch_index, seq_index */
    EMB_ERROR_HAS_VALUE = 1u << 1,    /* value */
    EMB_ERROR_HAS_RANGE = 1u << 2,    /* range_begin, range_end */
    EMB_ERROR_HAS_OS_ERROR = 1u << 3  /* os_error */
};

#define EMB_ERROR_MESSAGE_SIZE 512

/* Details of a failed call. Caller-owned: give each thread its own. */
typedef struct emb_error {
    uint32_t struct_size;   /* sizeof(emb_error) as set by emb_error_init */
    emb_status status;      /* status of the last call that used this struct */
    uint32_t fields;        /* EMB_ERROR_HAS_* bits */
    int32_t os_error;       /* errno of the failed system call */
    int64_t index;          /* flat index into the offending input array */
    int64_t batch_index;    /* b of the offending element */
    int64_t seq_index;      /* t of the offending element */
    int64_t value;          /* the offending value */
    int64_t range_begin;    /* the valid range is [range_begin, range_end) */
    int64_t range_end;
    /* NUL-terminated English detail, e.g. "token id -2 at flat index 1
     * (batch 0, position 1) is outside [0, 4)". Truncated to fit. */
    char message[EMB_ERROR_MESSAGE_SIZE];
} emb_error;

/* Prepares `err` for use: sets struct_size and clears every field.
 * Does nothing when `err` is NULL. */
EMB_API void emb_error_init(emb_error *err);

/* ------------------------------------------------------------------------ */
/* Model creation                                                           */
/* ------------------------------------------------------------------------ */

/* Opaque model handle. */
typedef struct emb_model emb_model;

/* How the tables of a new model are filled. */
enum {
    EMB_INIT_ZEROS = 0,  /* all zeros */
    /* Seeded normal N(mean, stddev^2), reproducible bit for bit on every
     * machine and thread count. Element (table, row, col) is a pure function
     * of (seed, table, row, col): a SplitMix64-style counter hash feeds the
     * Marsaglia polar method, computed in double with the library's own
     * log (no libm transcendental calls), then rounded once to float. So row
     * r does not depend on vocab_size or context_length. */
    EMB_INIT_NORMAL = 1,
    /* Copy token_data / position_data / token_type_data into owned memory.
     * The caller's buffers may be freed after creation returns. */
    EMB_INIT_COPY = 2,
    /* Use token_data / position_data / token_type_data in place, without a
     * copy. The caller keeps ownership; the buffers must stay valid and
     * unchanged until emb_model_destroy returns. Borrowed tables are
     * read-only through this API (EMB_ERR_READ_ONLY). The buffers must be
     * aligned for float (4 bytes, else EMB_ERR_INVALID_ARGUMENT); 64-byte
     * alignment is faster. */
    EMB_INIT_BORROW = 3
};

/* Storage dtype of the tables. */
enum {
    EMB_DTYPE_F32 = 0,
    EMB_DTYPE_F16 = 1,  /* reserved: EMB_ERR_UNSUPPORTED in 1.0 */
    EMB_DTYPE_BF16 = 2  /* reserved: EMB_ERR_UNSUPPORTED in 1.0 */
};

/* How positions enter the embedding. */
enum {
    /* A learned [C, D] table (GPT-2, GPT-3). */
    EMB_POSITION_LEARNED = 0,
    /* The fixed sinusoidal table of "Attention Is All You Need": with
     * i = column / 2 and angle = position * base^(-2i / D), even columns hold
     * sin(angle) and odd columns cos(angle). Angles and sines are computed in
     * double and rounded once to float. With an odd D the last column contains
     * the sine of its pair, whose cosine would fall past the row. */
    EMB_POSITION_SINUSOIDAL = 1,
    /* No position table (RoPE models apply positions inside attention). The
     * table is not allocated; context_length must be 0; explicit position
     * ids are rejected and `start` is ignored. */
    EMB_POSITION_NONE = 2
};

/* Column layout of the sinusoidal table. */
enum {
    /* sin, cos, sin, cos, ... (pair i at columns 2i and 2i + 1). */
    EMB_SINUSOID_INTERLEAVED = 0,
    /* All sines in columns [0, H), cosines in [H, D) with H = ceil(D / 2).
     * With an odd D the sines get the extra column. */
    EMB_SINUSOID_SPLIT = 1
};

/* Forward kernel. Every kernel gives bit-identical results, with one
 * exception: where two NaN operands are added, each kernel returns a NaN,
 * but which operand's payload survives may differ. */
enum {
    EMB_KERNEL_AUTO = 0,      /* the library's default: fused in 1.0 */
    EMB_KERNEL_REFERENCE = 1, /* plain C loop: the test oracle */
    EMB_KERNEL_BLAS = 2,      /* cblas_scopy / cblas_sscal / cblas_saxpy */
    EMB_KERNEL_FUSED = 3      /* one pass, SIMD chosen at run time */
};

/* Options for emb_model_create. Fill with emb_model_options_init first, then
 * set what differs from the defaults. Grows at the end only; struct_size
 * tells the library which fields the caller knows. A struct_size below the
 * 1.0 size of the struct is EMB_ERR_INVALID_ARGUMENT. A larger one (a caller built
 * against a newer version) is accepted when the bytes this version does not
 * know are all zero (their defaults), else EMB_ERR_UNSUPPORTED. Like a
 * buffer capacity, struct_size is trusted: the library reads that many bytes
 * (at most 4096; more is EMB_ERR_INVALID_ARGUMENT). */
typedef struct emb_model_options {
    uint32_t struct_size;      /* set by emb_model_options_init */
    int32_t init;              /* EMB_INIT_*; default EMB_INIT_ZEROS */
    int64_t vocab_size;        /* V > 0 rows of the token table */
    int64_t dim;               /* D > 0 columns of every table */
    int64_t context_length;    /* C > 0 rows of the position table (0 with
                                  EMB_POSITION_NONE) */
    uint64_t seed;             /* EMB_INIT_NORMAL; default 0 */
    double mean;               /* EMB_INIT_NORMAL; default 0.0 */
    double stddev;             /* EMB_INIT_NORMAL; >= 0, default 0.02;
                                  |mean| + 16 * stddev <= FLT_MAX */
    /* EMB_INIT_COPY / EMB_INIT_BORROW sources, row-major. token_data must
     * hold V * D floats, position_data C * D floats (ignored unless the
     * position kind is LEARNED), token_type_data token_type_count * D floats
     * (ignored when token_type_count is 0). */
    const float *token_data;
    const float *position_data;
    const float *token_type_data;
    int32_t storage_dtype;     /* EMB_DTYPE_*; default EMB_DTYPE_F32 */
    int32_t position_kind;     /* EMB_POSITION_*; default LEARNED */
    double sinusoid_base;      /* default 10000.0; must be > 0 and keep
                                  every angle finite */
    int32_t sinusoid_layout;   /* EMB_SINUSOID_*; default INTERLEAVED */
    /* Padding token id, meaningful only when has_padding_id is 1. Its row is
     * zeroed by EMB_INIT_ZEROS and EMB_INIT_NORMAL (copied and borrowed data
     * is used as given). The forward uses the stored row like any other, and
     * padding ids are range-checked like any other id. */
    int32_t has_padding_id;
    int64_t padding_id;
    /* Factor multiplied into token rows (in fp32, before any addition) when
     * has_scale is 1, e.g. sqrt(D). A scale of 1 gives results bit-identical
     * to no scale. Must be finite. */
    int32_t has_scale;
    float scale;
    /* Rows of the optional token-type (segment) table; 0 = no table. Filled
     * by the same init rule as the other tables (table index 2 for
     * EMB_INIT_NORMAL). */
    int64_t token_type_count;
    int32_t num_threads;       /* threads that run a large forward call,
                                  the calling thread included; 0 = online
                                  CPUs; values above 1024 use 1024 */
    int32_t kernel;            /* EMB_KERNEL_*; default AUTO */
} emb_model_options;

/* Fills `options` with the defaults listed above and sets struct_size.
 * Does nothing when `options` is NULL. */
EMB_API void emb_model_options_init(emb_model_options *options);

/* Creates a model from `options` and stores the new handle in `*out_model`.
 *
 * The caller owns the handle and releases it with emb_model_destroy. Table
 * memory is 64-byte aligned (2 MiB aligned with transparent huge pages
 * advised for tables of 4 MiB or more). The handle starts num_threads - 1
 * worker threads, which wait for forward calls and end in
 * emb_model_destroy. When they cannot be started, forward runs on the
 * calling thread. The options struct is only read during the call, never kept.
 * Thread-safe: different threads may create models at the same time.
 *
 * Returns EMB_ERR_INVALID_ARGUMENT for NULL options or out_model, a bad
 * struct_size, V <= 0, D <= 0, C <= 0 (C != 0 with EMB_POSITION_NONE), a
 * table whose byte count overflows size_t (checked before allocating), a
 * negative stddev, a non-positive base or one whose angles overflow, a NULL
 * source in COPY or BORROW mode,
 * a padding id outside [0, V), a non-finite scale, a non-finite mean or
 * stddev, has_padding_id or has_scale other than 0 or 1, a negative
 * token_type_count or num_threads, or borrowed data not aligned for float;
 * EMB_ERR_UNSUPPORTED for a storage dtype other than F32 or an unknown init,
 * position kind, layout or kernel; EMB_ERR_OUT_OF_MEMORY. On failure
 * *out_model is left unchanged. */
EMB_API emb_status emb_model_create(const emb_model_options *options,
                                    emb_model **out_model, emb_error *err);

/* Releases the handle and the memory it owns. Borrowed buffers are not
 * freed. NULL is a no-op. Must not run concurrently with any other call on
 * the same handle. */
EMB_API void emb_model_destroy(emb_model *model);

/* ------------------------------------------------------------------------ */
/* Accessors                                                                */
/* ------------------------------------------------------------------------ */

/* Table selectors. */
enum {
    EMB_TABLE_TOKEN = 0,
    EMB_TABLE_POSITION = 1,
    EMB_TABLE_TOKEN_TYPE = 2
};

/* Shape getters. Each returns 0 for a NULL model. Thread-safe. */
EMB_API int64_t emb_model_vocab_size(const emb_model *model);
EMB_API int64_t emb_model_dim(const emb_model *model);
EMB_API int64_t emb_model_context_length(const emb_model *model);
EMB_API int64_t emb_model_token_type_count(const emb_model *model);
/* Returns the EMB_POSITION_* kind, or -1 for a NULL model. */
EMB_API int32_t emb_model_position_kind(const emb_model *model);
/* Returns the number of threads that run a large forward call: the caller
 * plus the worker threads that started, which is fewer than requested when
 * some could not start. Returns 0 for NULL. */
EMB_API int32_t emb_model_num_threads(const emb_model *model);

/* Returns a read-only pointer to the row-major data of `table`, or NULL for a
 * NULL model, an unknown table or a table the model does not have (e.g. the
 * position table with EMB_POSITION_NONE). The pointer stays valid until
 * emb_model_destroy or emb_model_resize_vocab. Thread-safe. */
EMB_API const float *emb_model_table_data(const emb_model *model,
                                          int32_t table);

/* Returns the row count of `table` (0 for NULL, unknown or absent). */
EMB_API int64_t emb_model_table_rows(const emb_model *model, int32_t table);

/* Copies row `row` of `table` into dst[0, D). dst_count is dst's capacity in
 * floats and must be >= D. Thread-safe with forward and other reads.
 * Returns EMB_ERR_INVALID_ARGUMENT (NULL, unknown or absent table, capacity)
 * or EMB_ERR_ID_OUT_OF_RANGE (row outside [0, rows)). */
EMB_API emb_status emb_model_read_row(const emb_model *model, int32_t table,
                                      int64_t row, float *dst,
                                      int64_t dst_count, emb_error *err);

/* Overwrites row `row` of `table` with src[0, D). src_count must be >= D.
 * Not thread-safe: no other call may use the handle meanwhile. Returns the
 * statuses of emb_model_read_row, and EMB_ERR_READ_ONLY for a borrowed or
 * memory-mapped table. */
EMB_API emb_status emb_model_write_row(emb_model *model, int32_t table,
                                       int64_t row, const float *src,
                                       int64_t src_count, emb_error *err);

/* Changes the vocab size of an owned token table to `new_vocab_size`,
 * keeping rows [0, min(old, new)) bit for bit. New rows follow the model's
 * init rule: EMB_INIT_NORMAL rows equal those of a model created at the new
 * size with the same seed; other models get zero rows. Not thread-safe: no
 * other call may use the handle meanwhile, and pointers from
 * emb_model_table_data become invalid. Returns EMB_ERR_READ_ONLY for a
 * borrowed or mapped table, EMB_ERR_INVALID_ARGUMENT for a size <= 0, an
 * overflowing byte count or a shrink that would drop the padding id, and
 * EMB_ERR_OUT_OF_MEMORY (the model is then unchanged). */
EMB_API emb_status emb_model_resize_vocab(emb_model *model,
                                          int64_t new_vocab_size,
                                          emb_error *err);

/* ------------------------------------------------------------------------ */
/* Forward                                                                  */
/* ------------------------------------------------------------------------ */

/* Stores in *out_count the number of floats (B * T * D) that forward writes
 * for a [batch, seq_len] id array. Returns EMB_ERR_INVALID_ARGUMENT for a
 * NULL pointer, negative sizes, or a count that overflows int64_t or size_t.
 * Thread-safe. */
EMB_API emb_status emb_output_count(const emb_model *model, int64_t batch,
                                    int64_t seq_len, int64_t *out_count,
                                    emb_error *err);

/* Computes out[b, t, :] = token[ids[b, t], :] (times the scale, if any)
 * + position[start + t, :] for ids [batch, seq_len] row-major; out is
 * [batch, seq_len, dim] row-major with out_count floats of capacity.
 *
 * Checks, all done before anything is written: every id in [0, V) (the first
 * bad one in row-major order is reported with its flat index, batch and
 * sequence index, value and range: EMB_ERR_ID_OUT_OF_RANGE); start >= 0 and
 * start + seq_len <= C (the first position outside [0, C) is reported:
 * EMB_ERR_POSITION_OUT_OF_RANGE; start is ignored with EMB_POSITION_NONE);
 * NULL model, ids or out, negative sizes, or out_count < B * T * D
 * (EMB_ERR_INVALID_ARGUMENT). batch or seq_len 0 succeeds without touching
 * ids or out (they may then be NULL).
 *
 * Thread-safe: many threads may call forward on one handle at once, each
 * with its own out and err. `out` must not overlap the tables or ids. No heap
 * allocation happens here. The ids must not change during the call. If
 * another thread changes one to an invalid value anyway, the call reads no
 * memory outside the tables and writes NaN for that element's row. */
EMB_API emb_status emb_forward_i32(const emb_model *model, const int32_t *ids,
                                   int64_t batch, int64_t seq_len,
                                   int64_t start, float *out,
                                   int64_t out_count, emb_error *err);

/* Same as emb_forward_i32 for int64 ids. */
EMB_API emb_status emb_forward_i64(const emb_model *model, const int64_t *ids,
                                   int64_t batch, int64_t seq_len,
                                   int64_t start, float *out,
                                   int64_t out_count, emb_error *err);

/* General forward with optional explicit position ids and token-type ids,
 * both [batch, seq_len] row-major with the same integer type as ids.
 *
 * position_ids NULL: positions are start + t as in emb_forward_i32.
 * position_ids non-NULL: position of (b, t) is position_ids[b, t], checked
 * against [0, C) (EMB_ERR_POSITION_OUT_OF_RANGE names b, t and the value);
 * start must then be 0, and position ids are rejected with
 * EMB_ERR_INVALID_ARGUMENT under EMB_POSITION_NONE.
 * token_type_ids non-NULL: token_type[token_type_ids[b, t], :] is added; the
 * model must have a token-type table and every type id must be in
 * [0, token_type_count) (EMB_ERR_ID_OUT_OF_RANGE); type ids for a model
 * without a token-type table are EMB_ERR_INVALID_ARGUMENT.
 * Everything else is as emb_forward_i32, including thread safety. */
EMB_API emb_status emb_forward_ex_i32(const emb_model *model,
                                      const int32_t *ids,
                                      const int32_t *position_ids,
                                      const int32_t *token_type_ids,
                                      int64_t batch, int64_t seq_len,
                                      int64_t start, float *out,
                                      int64_t out_count, emb_error *err);

/* Same as emb_forward_ex_i32 for int64 ids, position ids and type ids. */
EMB_API emb_status emb_forward_ex_i64(const emb_model *model,
                                      const int64_t *ids,
                                      const int64_t *position_ids,
                                      const int64_t *token_type_ids,
                                      int64_t batch, int64_t seq_len,
                                      int64_t start, float *out,
                                      int64_t out_count, emb_error *err);

/* Derives position ids for a left-padded batch from an attention mask
 * [batch, seq_len] (1 = real token, 0 = padding; any other value is
 * EMB_ERR_INVALID_ARGUMENT naming its index). The k-th real token of a row
 * (k = 0, 1, ...) gets position start + k; padding slots get position 0,
 * whose embedding the model's attention mask is expected to ignore.
 * positions_count is the capacity of positions in elements and must be
 * >= B * T. Returns EMB_ERR_INVALID_ARGUMENT for NULL pointers (unless
 * B * T is 0), negative sizes or start, a mask value other than 0 or 1, or a
 * small capacity, and EMB_ERR_POSITION_OUT_OF_RANGE when start + T - 1 does
 * not fit the output type. Positions are not checked against a model's
 * context length here: forward does that. Thread-safe. */
EMB_API emb_status emb_positions_from_mask_i32(const uint8_t *mask,
                                               int64_t batch, int64_t seq_len,
                                               int64_t start,
                                               int32_t *positions,
                                               int64_t positions_count,
                                               emb_error *err);

/* Same as emb_positions_from_mask_i32 with int64 positions. */
EMB_API emb_status emb_positions_from_mask_i64(const uint8_t *mask,
                                               int64_t batch, int64_t seq_len,
                                               int64_t start,
                                               int64_t *positions,
                                               int64_t positions_count,
                                               emb_error *err);

/* ------------------------------------------------------------------------ */
/* Output buffers                                                           */
/* ------------------------------------------------------------------------ */

/* Allocates a float buffer of `count` elements the way the library allocates
 * its tables (64-byte aligned; 2 MiB aligned with transparent huge pages
 * advised from 4 MiB on) and stores it in *out_buffer. Contents are
 * unspecified. A buffer written once and then reused avoids the first-touch
 * page faults that dominate a forward into fresh memory. Release it with
 * emb_buffer_free. Returns EMB_ERR_INVALID_ARGUMENT (NULL, count <= 0,
 * overflow) or EMB_ERR_OUT_OF_MEMORY. Thread-safe. */
EMB_API emb_status emb_buffer_alloc(int64_t count, float **out_buffer,
                                    emb_error *err);

/* Releases a buffer from emb_buffer_alloc. NULL is a no-op. */
EMB_API void emb_buffer_free(float *buffer);

/* ------------------------------------------------------------------------ */
/* Weights files (safetensors)                                              */
/* ------------------------------------------------------------------------ */

/* How emb_model_load_safetensors brings tensor data into memory. */
enum {
    /* Read every table into owned, aligned memory. The file may change or be
     * deleted after loading. */
    EMB_LOAD_COPY = 0,
    /* Map the file read-only and use F32 tensors whose data is 64-byte
     * aligned in place (no copy; resident memory grows with the rows
     * touched). Other tensors are converted into owned memory. The header
     * and every converted or copied tensor are read with pread, so a file
     * truncated during the load gives EMB_ERR_FORMAT; only tables used in
     * place are read through the mapping. The file must not be modified or
     * truncated while the model exists: the tables would change, or
     * reading them would raise SIGBUS. Replacing or deleting the
     * file (emb_model_save_safetensors renames a new file into place) is
     * safe. Mapped tables are read-only (EMB_ERR_READ_ONLY). */
    EMB_LOAD_MMAP = 1
};

/* Largest JSON header accepted, in bytes (the file's first 8 bytes give the
 * header length; larger values are rejected before any allocation). */
#define EMB_SAFETENSORS_MAX_HEADER (100u * 1024u * 1024u)

/* Options for emb_model_load_safetensors. Fill with
 * emb_load_options_init first; a NULL options pointer means the defaults. */
typedef struct emb_load_options {
    uint32_t struct_size;       /* set by emb_load_options_init; same rules
                                   as emb_model_options.struct_size */
    int32_t mode;               /* EMB_LOAD_*; default EMB_LOAD_COPY */
    /* Tensor names (NUL-terminated UTF-8). NULL = the defaults: "wte.weight"
     * then "transformer.wte.weight" for tokens, "wpe.weight" then
     * "transformer.wpe.weight" for positions. */
    const char *token_tensor;
    const char *position_tensor;
    /* 1 = the file has no position tensor: the model gets
     * EMB_POSITION_NONE (position_tensor must then be NULL). Default 0. */
    int32_t no_position_tensor;
    int32_t num_threads;        /* as emb_model_options.num_threads */
    int32_t kernel;             /* as emb_model_options.kernel */
    int32_t reserved;           /* must be 0 */
} emb_load_options;

/* Fills `options` with the defaults above. NULL is a no-op. */
EMB_API void emb_load_options_init(emb_load_options *options);

/* Creates a model from a safetensors file at `path`.
 *
 * Tensor dtypes F32, F16 and BF16 are accepted; F16 and BF16 are widened
 * exactly to fp32 (subnormals, infinities and NaN payloads included; a
 * signaling NaN stays signaling). Shapes come from the file: the token
 * tensor must be [V, D] and the position tensor [C, D] with the same D.
 * A tensor named "wtt.weight", as emb_model_save_safetensors writes, is
 * loaded as the token-type table [token types, D]. Other tensors are
 * validated and ignored.
 *
 * The whole header is validated before a handle is created: UTF-8, strict
 * JSON (nesting at most 64 deep, at most 2^24 values), a root object whose
 * "__metadata__" contains only strings, dtype names, unique tensor names
 * without NUL, shapes and data_offsets written as plain non-negative
 * integers (no sign, fraction or exponent), data offsets in order without
 * holes or overlap and ending at the end of the file, each equal to shape x
 * dtype size, no 64-bit overflow. Returns EMB_ERR_INVALID_ARGUMENT (NULL path or out_model, bad
 * options), EMB_ERR_UNSUPPORTED (unknown mode or kernel, a table dtype
 * other than F32, F16, BF16), EMB_ERR_IO (open, read or mmap failed, or the
 * path is not a regular file; err->os_error and the path in err->message),
 * EMB_ERR_FORMAT (the rule broken and the tensor in err->message, or that
 * the file was truncated while being loaded; files
 * that are not safetensors, such as PyTorch zip checkpoints, are named as
 * such), EMB_ERR_NOT_FOUND (the message lists the tensors that exist),
 * EMB_ERR_SHAPE_MISMATCH (a table tensor of rank other than 2, with a zero
 * dimension, or with a D that disagrees; the message names both tensors
 * and shapes), EMB_ERR_OUT_OF_MEMORY. On failure no handle is created and
 * *out_model is unchanged. Thread-safe (no shared state). */
EMB_API emb_status emb_model_load_safetensors(const char *path,
                                              const emb_load_options *options,
                                              emb_model **out_model,
                                              emb_error *err);

/* Writes the model's tables to `path` as a safetensors file: F32 tensors
 * "wte.weight" [V, D], "wpe.weight" [C, D] (absent under
 * EMB_POSITION_NONE; a sinusoidal table is written as its values and loads
 * back as a learned table) and "wtt.weight" [token types, D] when present.
 * The header is padded with spaces so the data starts 64-byte aligned in
 * the file. The format allows no gaps between tensors, so the tensors whose
 * byte size is a multiple of 64 are stored first: every tensor starts
 * 64-byte aligned when D is a multiple of 16 (as in GPT-2), and otherwise
 * at least the first one does. metadata_keys / metadata_values are
 * metadata_count NUL-terminated UTF-8 strings with unique keys, stored under
 * "__metadata__" (both may be NULL when the count is 0). Only the tables are
 * saved: the scale, the padding id and the init settings are not, so pass
 * them again when creating from the loaded file (a scaled model otherwise
 * gives other forward results after a reload).
 *
 * Atomic: the data goes to a temporary file in the same directory, which is
 * fsync'ed and renamed over `path`, and then the directory is fsync'ed; on
 * any failure before the rename the temporary file is removed and an
 * existing file at `path` is left as it was. A replaced file keeps its
 * permission bits; a new one gets 0666 less the umask. A symbolic link at
 * `path` is itself replaced by the new file (its target is left as it
 * was). `path` must not name a directory or a special file (EMB_ERR_IO).
 * Returns
 * EMB_ERR_INVALID_ARGUMENT (NULL model or path, an empty path, bad metadata:
 * negative count, NULL strings, invalid UTF-8, duplicate keys, or a header
 * over EMB_SAFETENSORS_MAX_HEADER), EMB_ERR_OUT_OF_MEMORY or EMB_ERR_IO
 * (err->os_error and the path in err->message; when only the final fsync
 * of the directory fails, the new file is already in place). Thread-safe
 * with forward and other reads of the same handle. */
EMB_API emb_status emb_model_save_safetensors(const emb_model *model,
                                              const char *path,
                                              const char *const *metadata_keys,
                                              const char *const *metadata_values,
                                              int64_t metadata_count,
                                              emb_error *err);

#ifdef __cplusplus
}
#endif

#endif /* EMBEDDING_EMBEDDING_H */
