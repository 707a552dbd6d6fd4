/*
 * Internal interface of the safetensors reader and writer: a strict JSON
 * parser for the header, header validation into a tensor table, fp16/bf16
 * widening, and the loader core shared by the file entry points and the
 * fuzzer. Nothing here is part of the public ABI.
 *
 * File layout: an 8-byte little-endian u64 N, N bytes of UTF-8 JSON (the
 * header), then the data buffer. Tensor data_offsets are relative to the
 * start of the data buffer, file byte 8 + N.
 */
#ifndef EMBEDDING_SAFETENSORS_H
#define EMBEDDING_SAFETENSORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* Tensor data is little-endian in the file, and F32 tables are read and
 * written (and mapped) as raw host floats. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the safetensors reader and writer assume a little-endian host"
#endif

/* ------------------------------------------------------------------------ */
/* JSON                                                                     */
/* ------------------------------------------------------------------------ */

/* Deepest nesting of arrays and objects accepted. A safetensors header
 * needs 3 levels (root, tensor, shape). */
#define ST_JSON_MAX_DEPTH 64
/* Most JSON values accepted in one header. A rank-2 tensor entry has 12,
 * so this allows over a million tensors while capping the parse tree at
 * 256 MiB (16-byte nodes) whatever the header contains. */
#define ST_JSON_MAX_NODES ((uint32_t)1 << 24)

typedef enum st_json_type {
    ST_JSON_NULL = 0,
    ST_JSON_FALSE,
    ST_JSON_TRUE,
    ST_JSON_NUMBER,
    ST_JSON_STRING,
    ST_JSON_ARRAY,
    ST_JSON_OBJECT
} st_json_type;

/* Bits of st_json_node.number_flags. */
enum {
    ST_NUMBER_NEGATIVE = 1u << 0,   /* written with a leading '-' */
    ST_NUMBER_FRACTION = 1u << 1,   /* has a '.' part or an exponent */
    ST_NUMBER_TOO_LARGE = 1u << 2   /* integer part exceeds UINT64_MAX */
};

/* One JSON value. Nodes are stored in document order, so the first child of
 * an array or object is the next node, and `end` (one past the last node of
 * the subtree) is the next sibling. An object's members are stored as a key
 * node (a string) directly followed by the value's subtree. */
typedef struct st_json_node {
    uint8_t type;          /* st_json_type */
    uint8_t number_flags;  /* ST_NUMBER_* for numbers */
    uint32_t end;
    union {
        /* Decoded UTF-8 bytes at text + offset, NUL-terminated there. May
         * contain NUL bytes written as \u0000: use length, not strlen. */
        struct {
            uint32_t offset;
            uint32_t length;
        } string;
        uint32_t count;      /* elements of an array, members of an object */
        uint64_t magnitude;  /* absolute value of an integer number */
    } as;
} st_json_node;

/* Parse tree of one header. `text` is the caller's buffer, modified in place
 * (string escapes are decoded into it); the document does not free it. */
typedef struct st_json_document {
    char *text;
    st_json_node *nodes;
    uint32_t node_count;
    uint32_t node_capacity;
} st_json_document;

/* Returns true when bytes[0, length) is valid UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF). On false, *bad_offset is the offset
 * of the first invalid byte. */
EMB_HIDDEN bool emb_st_utf8_valid(const unsigned char *bytes, size_t length,
                                  size_t *bad_offset);

/* Parses text[0, length) as one JSON value (RFC 8259, no extensions),
 * surrounded by optional JSON whitespace. text[length] must be writable. The
 * text must already be valid UTF-8. Error messages name `label` and the
 * byte position plus `base_offset` (the text's offset in the file).
 * Returns EMB_ERR_FORMAT, or EMB_ERR_OUT_OF_MEMORY. On failure the document
 * has nothing left to free. */
EMB_HIDDEN emb_status emb_st_json_parse(char *text, size_t length,
                                        uint64_t base_offset,
                                        const char *label,
                                        st_json_document *doc,
                                        emb_error *err);

/* Frees the parse tree (not the text). Accepts a zeroed document. */
EMB_HIDDEN void emb_st_json_free(st_json_document *doc);

/* Returns a static English name of a node type ("object", "number", ...). */
EMB_HIDDEN const char *emb_st_json_type_name(uint8_t type);

/* ------------------------------------------------------------------------ */
/* Dtypes and conversion                                                    */
/* ------------------------------------------------------------------------ */

/* Every dtype name of the safetensors format. Only F32, F16 and BF16 can be
 * loaded as tables; the others are validated (for their data length) and
 * otherwise ignored. */
typedef enum st_dtype {
    ST_DTYPE_BOOL = 0,
    ST_DTYPE_U8,
    ST_DTYPE_I8,
    ST_DTYPE_F8_E5M2,
    ST_DTYPE_F8_E4M3,
    ST_DTYPE_F8_E8M0,
    ST_DTYPE_I16,
    ST_DTYPE_U16,
    ST_DTYPE_F16,
    ST_DTYPE_BF16,
    ST_DTYPE_I32,
    ST_DTYPE_U32,
    ST_DTYPE_F32,
    ST_DTYPE_F64,
    ST_DTYPE_I64,
    ST_DTYPE_U64,
    ST_DTYPE_C64,
    ST_DTYPE_F4,
    ST_DTYPE_F6_E2M3,
    ST_DTYPE_F6_E3M2,
    ST_DTYPE_COUNT
} st_dtype;

/* Looks up a dtype name (exact, case-sensitive). Returns false when the
 * name is unknown. */
EMB_HIDDEN bool emb_st_dtype_from_name(const char *name, size_t length,
                                       st_dtype *dtype);
/* Returns the dtype's name as written in headers. */
EMB_HIDDEN const char *emb_st_dtype_name(st_dtype dtype);
/* Returns the size of one element in bits (4, 6, 8, 16, 32 or 64). */
EMB_HIDDEN uint32_t emb_st_dtype_bits(st_dtype dtype);

/* Widens one IEEE binary16 value (bits) to the binary32 value of the same
 * number, exactly. Subnormals become normal floats and infinities stay
 * infinite. A NaN keeps its sign and its payload, shifted into the top
 * mantissa bits, so a signaling NaN stays signaling. */
EMB_HIDDEN uint32_t emb_st_f16_to_f32_bits(uint16_t half);

/* Converts count little-endian F16 / BF16 / F32 elements at src (any
 * alignment) to floats at dst. */
EMB_HIDDEN void emb_st_widen(st_dtype dtype, const unsigned char *src,
                             float *dst, size_t count);

/* ------------------------------------------------------------------------ */
/* Header and tensor table                                                  */
/* ------------------------------------------------------------------------ */

/* Where file bytes come from: a file descriptor read with pread, or a whole
 * file image in memory (a fuzzer input). In mmap mode the loader sets both,
 * with image the read-only mapping of fd. Bytes are then still read with
 * pread and the mapping is used only for tables kept in place, because
 * reading a mapping of a file that shrinks raises SIGBUS where pread
 * returns a short read. */
typedef struct st_source {
    const char *path;              /* names the file in messages */
    int fd;                        /* read with pread when >= 0 */
    const unsigned char *image;    /* size bytes, or NULL */
    uint64_t size;                 /* file size in bytes */
} st_source;

/* Copies count bytes at file offset `offset` into dst, with pread when
 * source->fd >= 0, else from source->image. A short read (the file shrank
 * after its size was taken) is EMB_ERR_FORMAT; a failed read is EMB_ERR_IO
 * with errno. */
EMB_HIDDEN emb_status emb_st_source_read(const st_source *source,
                                         uint64_t offset, void *dst,
                                         size_t count, emb_error *err);

/* One validated tensor entry of a header. */
typedef struct st_tensor {
    const char *name;       /* NUL-terminated UTF-8 inside the header text */
    st_dtype dtype;
    uint32_t shape_node;    /* JSON node of the shape array */
    uint32_t rank;
    uint64_t element_count;
    uint64_t begin;         /* data_offsets, relative to the data buffer */
    uint64_t end;
} st_tensor;

/* A header read and validated against the file: every tensor is well
 * formed, the tensors tile the data buffer exactly (no holes, overlaps or
 * trailing bytes), and each one's byte length equals its shape times its
 * dtype size. */
typedef struct st_header {
    char *text;             /* owned header bytes (N + 1, NUL-terminated) */
    st_json_document json;
    uint64_t data_start;    /* 8 + N: file offset of the data buffer */
    uint64_t data_length;   /* file size - data_start */
    st_tensor *tensors;     /* sorted by name (strcmp) */
    size_t tensor_count;
} st_header;

/* Reads and validates the header of `source`. Returns EMB_ERR_FORMAT (the
 * rule and tensor in the message), EMB_ERR_IO, EMB_ERR_OUT_OF_MEMORY. On
 * failure *header has nothing left to free. */
EMB_HIDDEN emb_status emb_st_header_read(const st_source *source,
                                         st_header *header, emb_error *err);

/* Frees what emb_st_header_read allocated. Accepts a zeroed header. */
EMB_HIDDEN void emb_st_header_free(st_header *header);

/* Returns the tensor called `name`, or NULL. */
EMB_HIDDEN const st_tensor *emb_st_header_find(const st_header *header,
                                               const char *name);

/* Returns dimension `axis` (< tensor->rank) of a validated tensor. */
EMB_HIDDEN int64_t emb_st_tensor_dim(const st_header *header,
                                     const st_tensor *tensor, uint32_t axis);

/* Writes the shape as "[a, b, c]" into buffer (truncated to fit). */
EMB_HIDDEN void emb_st_format_shape(const st_header *header,
                                    const st_tensor *tensor, char *buffer,
                                    size_t size);

/* Writes the tensor names, quoted and comma-separated, into buffer
 * ("'a', 'b'"; "(none)" for an empty file), ending with ", ..." when they
 * do not fit. */
EMB_HIDDEN void emb_st_format_names(const st_header *header, char *buffer,
                                    size_t size);

/* ------------------------------------------------------------------------ */
/* Loading and saving                                                       */
/* ------------------------------------------------------------------------ */

/* Builds a model from `source` after validating its header. With
 * `map_in_place` (source->image must then be set), F32 tensors whose data is
 * 64-byte aligned in memory are used in place as TABLE_MAPPED tables; the
 * caller keeps the image alive and records it in model->mapping when it is a
 * file mapping. Nothing else is read from the image when source->fd >= 0,
 * and the tables used in place are not read during the load.
 * `options` must be non-NULL and checked by the caller. */
EMB_HIDDEN emb_status emb_st_load(const st_source *source,
                                  const emb_load_options *options,
                                  bool map_in_place, emb_model **out_model,
                                  emb_error *err);

/* Returns true when any table of `model` has origin TABLE_MAPPED. */
EMB_HIDDEN bool emb_st_model_uses_mapping(const emb_model *model);

/* One tensor of a file being written, in data order. */
typedef struct st_save_tensor {
    const char *name;
    const float *data;
    int64_t rows;
    uint64_t begin;          /* data offsets in the file's data buffer */
    uint64_t end;
} st_save_tensor;

/* The header and data layout of the file that saving `model` writes. */
typedef struct st_save_plan {
    char *header;            /* owned: N bytes, space padded */
    size_t header_length;    /* N, with (8 + N) % 64 == 0 */
    st_save_tensor tensors[3];
    size_t tensor_count;
    uint64_t data_length;
} st_save_plan;

/* Builds the header and layout for saving `model` with the given metadata
 * (see emb_model_save_safetensors for the argument rules). Returns
 * EMB_ERR_INVALID_ARGUMENT or EMB_ERR_OUT_OF_MEMORY. */
EMB_HIDDEN emb_status emb_st_plan_save(const emb_model *model,
                                       const char *const *metadata_keys,
                                       const char *const *metadata_values,
                                       int64_t metadata_count,
                                       st_save_plan *plan, emb_error *err);

/* Frees the plan's header. Accepts a zeroed plan. */
EMB_HIDDEN void emb_st_plan_free(st_save_plan *plan);

/* Writes the planned file to `path` atomically (see
 * emb_model_save_safetensors for the rules). Returns EMB_ERR_IO or
 * EMB_ERR_OUT_OF_MEMORY on failure, with the path in err->message. */
EMB_HIDDEN emb_status emb_st_write_atomically(const char *path,
                                              const st_save_plan *plan,
                                              emb_error *err);

/* Records an operating-system failure: status EMB_ERR_IO, os_error, and a
 * message made of the formatted text, ": " and strerror(os_error). */
EMB_HIDDEN emb_status emb_st_fail_os(emb_error *err, int os_error,
                                     const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* EMBEDDING_SAFETENSORS_H */
