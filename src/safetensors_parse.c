/*
 * Reads the length prefix and JSON header of a safetensors file and
 * validates it into a table of tensors. Every rule of the format is checked
 * here, before the loader allocates tables or touches tensor data:
 *
 * - the header length fits the file and EMB_SAFETENSORS_MAX_HEADER (checked
 *   before the header buffer is allocated);
 * - the header is valid UTF-8 and strict JSON, and its root is an object;
 * - "__metadata__", if present, is an object of strings;
 * - every other member is a tensor: an object with exactly the keys
 *   "dtype" (a known dtype name), "shape" (an array of non-negative
 *   integers) and "data_offsets" (two non-negative integers, begin <= end);
 *   dimensions and offsets must be plain integers, with no sign, fraction
 *   or exponent;
 * - tensor names are unique and contain no NUL character;
 * - shape x dtype size does not overflow 64 bits and equals end - begin;
 * - sorted by offset, the tensors cover the data buffer exactly: the first
 *   begins at 0, each begins where the previous ends, and the last ends at
 *   the end of the file.
 *
 * Which tensors a model needs, and their shapes, is the loader's business.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safetensors.h"

/* Largest chunk handed to one pread call; Linux caps a transfer a little
 * below 2 GiB anyway. */
#define MAX_READ_CHUNK ((size_t)1 << 30)

emb_status emb_st_fail_os(emb_error *err, int os_error, const char *format,
                          ...)
{
    char context[EMB_ERROR_MESSAGE_SIZE];
    char reason[128];
    va_list args;

    va_start(args, format);
    vsnprintf(context, sizeof(context), format, args);
    va_end(args);
    /* strerror_r is thread-safe, unlike strerror. glibc declares the GNU
     * form (returning the text) under _GNU_SOURCE, else the XSI form. */
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    const char *text = strerror_r(os_error, reason, sizeof(reason));
#else
    const char *text = reason;
    if (strerror_r(os_error, reason, sizeof(reason)) != 0)
        snprintf(reason, sizeof(reason), "errno %d", os_error);
#endif

    emb_fail(err, EMB_ERR_IO, "%s: %s", context, text);
    emb_error_set_os_error(err, os_error);
    return EMB_ERR_IO;
}

emb_status emb_st_source_read(const st_source *source, uint64_t offset,
                              void *dst, size_t count, emb_error *err)
{
    unsigned char *out = dst;

    if (offset > source->size || count > source->size - offset)
        return emb_fail(err, EMB_ERR_FORMAT,
                        "%s is %llu bytes long; reading %zu bytes at byte "
                        "%llu would pass its end",
                        source->path, (unsigned long long)source->size, count,
                        (unsigned long long)offset);
    if (source->fd < 0) {
        memcpy(dst, source->image + offset, count);
        return EMB_OK;
    }

    while (count > 0) {
        size_t chunk = count < MAX_READ_CHUNK ? count : MAX_READ_CHUNK;
        ssize_t got = pread(source->fd, out, chunk, (off_t)offset);

        if (got < 0) {
            if (errno == EINTR)
                continue;
            return emb_st_fail_os(err, errno, "cannot read %zu bytes at "
                                  "byte %llu of %s",
                                  chunk, (unsigned long long)offset,
                                  source->path);
        }
        if (got == 0)
            return emb_fail(err, EMB_ERR_FORMAT,
                            "%s ended at byte %llu while reading; it was "
                            "truncated while being loaded",
                            source->path, (unsigned long long)offset);
        out += got;
        offset += (uint64_t)got;
        count -= (size_t)got;
    }
    return EMB_OK;
}

/* ------------------------------------------------------------------------ */
/* Length prefix                                                            */
/* ------------------------------------------------------------------------ */

/* Names the format of a file that is not safetensors, from its first bytes,
 * or returns NULL. */
static const char *other_format(const unsigned char prefix[8])
{
    if (memcmp(prefix, "PK\x03\x04", 4) == 0)
        return "it starts with the zip signature \"PK\\x03\\x04\", as "
               "PyTorch checkpoints written by torch.save (.pt, .pth, .bin) "
               "do; convert the checkpoint to safetensors first";
    if (prefix[0] == 0x80 && prefix[1] >= 2 && prefix[1] <= 5)
        return "it starts like a Python pickle, as legacy PyTorch "
               "checkpoints do; convert the checkpoint to safetensors first";
    if (memcmp(prefix, "\x93NUMPY", 6) == 0)
        return "it is a NumPy .npy file";
    if (memcmp(prefix, "GGUF", 4) == 0)
        return "it is a GGUF file";
    return NULL;
}

static emb_status read_header_length(const st_source *source,
                                     uint64_t *header_length, emb_error *err)
{
    unsigned char prefix[8];
    uint64_t length = 0;
    const char *other;
    emb_status status;

    if (source->size < 8)
        return emb_fail(err, EMB_ERR_FORMAT,
                        "%s is %llu bytes long, shorter than the 8-byte "
                        "header length that starts a safetensors file",
                        source->path, (unsigned long long)source->size);
    status = emb_st_source_read(source, 0, prefix, 8, err);
    if (status != EMB_OK)
        return status;
    for (int i = 7; i >= 0; i--)
        length = length << 8 | prefix[i];

    /* Both checks come before the header buffer is allocated. */
    if (length <= EMB_SAFETENSORS_MAX_HEADER && length <= source->size - 8) {
        *header_length = length;
        return EMB_OK;
    }
    other = other_format(prefix);
    if (other != NULL)
        return emb_fail(err, EMB_ERR_FORMAT,
                        "%s does not look like a safetensors file: %s",
                        source->path, other);
    if (length > EMB_SAFETENSORS_MAX_HEADER)
        return emb_fail(err, EMB_ERR_FORMAT,
                        "%s does not look like a safetensors file: its "
                        "header length %llu exceeds the limit of %u bytes "
                        "(EMB_SAFETENSORS_MAX_HEADER)",
                        source->path, (unsigned long long)length,
                        (unsigned)EMB_SAFETENSORS_MAX_HEADER);
    return emb_fail(err, EMB_ERR_FORMAT,
                    "%s: header length %llu is larger than the %llu bytes "
                    "that follow it; the file is truncated or not a "
                    "safetensors file",
                    source->path, (unsigned long long)length,
                    (unsigned long long)(source->size - 8));
}

/* ------------------------------------------------------------------------ */
/* Tensor entries                                                           */
/* ------------------------------------------------------------------------ */

typedef struct header_parser {
    const st_source *source;
    st_header *header;
    emb_error *err;
} header_parser;

static const st_json_node *node_at(const header_parser *hp, uint32_t index)
{
    return &hp->header->json.nodes[index];
}

static const char *string_at(const header_parser *hp, uint32_t index)
{
    return hp->header->text + node_at(hp, index)->as.string.offset;
}

static bool key_is(const header_parser *hp, uint32_t key, const char *word)
{
    const st_json_node *node = node_at(hp, key);

    return node->as.string.length == strlen(word) &&
           memcmp(string_at(hp, key), word, node->as.string.length) == 0;
}

/* Reads a node that must be a plain non-negative integer: no sign, fraction
 * or exponent, at most `limit`. `what` names the value in messages. */
static emb_status read_count(const header_parser *hp, uint32_t index,
                             uint64_t limit, const char *tensor,
                             const char *what, uint64_t *value)
{
    const st_json_node *node = node_at(hp, index);
    const char *path = hp->source->path;

    if (node->type != ST_JSON_NUMBER)
        return emb_fail(hp->err, EMB_ERR_FORMAT,
                        "%s: tensor '%s': %s is a JSON %s, expected an "
                        "integer",
                        path, tensor, what, emb_st_json_type_name(node->type));
    if (node->number_flags & ST_NUMBER_NEGATIVE)
        return emb_fail(hp->err, EMB_ERR_FORMAT,
                        "%s: tensor '%s': %s is negative", path, tensor,
                        what);
    if (node->number_flags & ST_NUMBER_FRACTION)
        return emb_fail(hp->err, EMB_ERR_FORMAT,
                        "%s: tensor '%s': %s has a fraction or exponent; "
                        "dimensions and offsets must be written as plain "
                        "integers",
                        path, tensor, what);
    if ((node->number_flags & ST_NUMBER_TOO_LARGE) ||
        node->as.magnitude > limit)
        return emb_fail(hp->err, EMB_ERR_FORMAT,
                        "%s: tensor '%s': %s is larger than %llu", path,
                        tensor, what, (unsigned long long)limit);
    *value = node->as.magnitude;
    return EMB_OK;
}

static emb_status read_dtype(const header_parser *hp, uint32_t index,
                             const char *tensor, st_tensor *out)
{
    const st_json_node *node = node_at(hp, index);

    if (node->type != ST_JSON_STRING)
        return emb_fail(hp->err, EMB_ERR_FORMAT,
                        "%s: tensor '%s': dtype is a JSON %s, expected a "
                        "string",
                        hp->source->path, tensor,
                        emb_st_json_type_name(node->type));
    if (!emb_st_dtype_from_name(string_at(hp, index), node->as.string.length,
                                &out->dtype))
        return emb_fail(hp->err, EMB_ERR_FORMAT,
                        "%s: tensor '%s': unknown dtype \"%.32s\"",
                        hp->source->path, tensor, string_at(hp, index));
    return EMB_OK;
}

/* Reads the shape and computes the element count. A zero dimension makes
 * the tensor empty, but the other dimensions are still range-checked, and
 * without a zero the product must fit 64 bits. */
static emb_status read_shape(const header_parser *hp, uint32_t index,
                             const char *tensor, st_tensor *out)
{
    const st_json_node *node = node_at(hp, index);
    uint64_t product = 1;
    bool overflow = false, empty = false;

    if (node->type != ST_JSON_ARRAY)
        return emb_fail(hp->err, EMB_ERR_FORMAT,
                        "%s: tensor '%s': shape is a JSON %s, expected an "
                        "array",
                        hp->source->path, tensor,
                        emb_st_json_type_name(node->type));

    for (uint32_t i = 0; i < node->as.count; i++) {
        uint64_t dim;
        emb_status status = read_count(hp, index + 1 + i, INT64_MAX, tensor,
                                       "a shape dimension", &dim);
        if (status != EMB_OK)
            return status;
        if (dim == 0)
            empty = true;
        else if (__builtin_mul_overflow(product, dim, &product))
            overflow = true;
    }
    if (overflow && !empty)
        return emb_fail(hp->err, EMB_ERR_FORMAT,
                        "%s: tensor '%s': the element count of its shape "
                        "overflows 64 bits",
                        hp->source->path, tensor);

    out->shape_node = index;
    out->rank = node->as.count;
    out->element_count = empty ? 0 : product;
    return EMB_OK;
}

static emb_status read_offsets(const header_parser *hp, uint32_t index,
                               const char *tensor, st_tensor *out)
{
    const st_json_node *node = node_at(hp, index);
    emb_status status;

    if (node->type != ST_JSON_ARRAY || node->as.count != 2)
        return emb_fail(hp->err, EMB_ERR_FORMAT,
                        "%s: tensor '%s': data_offsets must be an array of "
                        "2 integers [begin, end]",
                        hp->source->path, tensor);
    status = read_count(hp, index + 1, UINT64_MAX, tensor,
                        "the begin offset", &out->begin);
    if (status == EMB_OK)
        status = read_count(hp, index + 2, UINT64_MAX, tensor,
                            "the end offset", &out->end);
    if (status != EMB_OK)
        return status;
    if (out->end < out->begin)
        return emb_fail(hp->err, EMB_ERR_FORMAT,
                        "%s: tensor '%s': data_offsets [%llu, %llu] are "
                        "reversed",
                        hp->source->path, tensor,
                        (unsigned long long)out->begin,
                        (unsigned long long)out->end);
    return EMB_OK;
}

/* Checks that the byte length of the data equals shape x dtype size. */
static emb_status check_byte_length(const header_parser *hp,
                                    const st_tensor *t)
{
    uint32_t bits = emb_st_dtype_bits(t->dtype);
    uint64_t total_bits;
    char shape[96];

    emb_st_format_shape(hp->header, t, shape, sizeof(shape));
    if (__builtin_mul_overflow(t->element_count, (uint64_t)bits,
                               &total_bits))
        return emb_fail(hp->err, EMB_ERR_FORMAT,
                        "%s: tensor '%s': the byte size of shape %s of "
                        "dtype %s overflows 64 bits",
                        hp->source->path, t->name, shape,
                        emb_st_dtype_name(t->dtype));
    if (total_bits % 8 != 0)
        return emb_fail(hp->err, EMB_ERR_FORMAT,
                        "%s: tensor '%s': shape %s of the %u-bit dtype %s "
                        "does not fill whole bytes",
                        hp->source->path, t->name, shape, (unsigned)bits,
                        emb_st_dtype_name(t->dtype));
    if (t->end - t->begin != total_bits / 8)
        return emb_fail(hp->err, EMB_ERR_FORMAT,
                        "%s: tensor '%s': data_offsets [%llu, %llu] span "
                        "%llu bytes, but shape %s of dtype %s needs %llu",
                        hp->source->path, t->name,
                        (unsigned long long)t->begin,
                        (unsigned long long)t->end,
                        (unsigned long long)(t->end - t->begin), shape,
                        emb_st_dtype_name(t->dtype),
                        (unsigned long long)(total_bits / 8));
    return EMB_OK;
}

/* Parses the tensor object at node `index`, named by the key node `key`. */
static emb_status read_tensor(const header_parser *hp, uint32_t key,
                              uint32_t index, st_tensor *out)
{
    const st_json_node *object = node_at(hp, index);
    const char *name = string_at(hp, key);
    uint32_t member = index + 1;
    bool seen[3] = {false, false, false};
    static const char *const keys[3] = {"dtype", "shape", "data_offsets"};
    emb_status status = EMB_OK;

    if (strlen(name) != node_at(hp, key)->as.string.length)
        return emb_fail(hp->err, EMB_ERR_FORMAT,
                        "%s: a tensor name starting \"%.64s\" contains a NUL "
                        "character (\\u0000)",
                        hp->source->path, name);
    out->name = name;
    if (object->type != ST_JSON_OBJECT)
        return emb_fail(hp->err, EMB_ERR_FORMAT,
                        "%s: tensor '%s' is a JSON %s, expected an object "
                        "with dtype, shape and data_offsets",
                        hp->source->path, name,
                        emb_st_json_type_name(object->type));

    for (uint32_t m = 0; m < object->as.count && status == EMB_OK; m++) {
        uint32_t value = member + 1;
        int key_index = -1;

        for (int k = 0; k < 3; k++) {
            if (key_is(hp, member, keys[k]))
                key_index = k;
        }
        if (key_index < 0)
            return emb_fail(hp->err, EMB_ERR_FORMAT,
                            "%s: tensor '%s' has the unknown key \"%.64s\"; "
                            "expected only dtype, shape and data_offsets",
                            hp->source->path, name, string_at(hp, member));
        if (seen[key_index])
            return emb_fail(hp->err, EMB_ERR_FORMAT,
                            "%s: tensor '%s' has the key \"%s\" twice",
                            hp->source->path, name, keys[key_index]);
        seen[key_index] = true;

        if (key_index == 0)
            status = read_dtype(hp, value, name, out);
        else if (key_index == 1)
            status = read_shape(hp, value, name, out);
        else
            status = read_offsets(hp, value, name, out);
        member = node_at(hp, value)->end;
    }
    if (status != EMB_OK)
        return status;

    for (int k = 0; k < 3; k++) {
        if (!seen[k])
            return emb_fail(hp->err, EMB_ERR_FORMAT,
                            "%s: tensor '%s' has no \"%s\" key",
                            hp->source->path, name, keys[k]);
    }
    return check_byte_length(hp, out);
}

static emb_status read_metadata(const header_parser *hp, uint32_t index)
{
    const st_json_node *object = node_at(hp, index);
    uint32_t member = index + 1;

    if (object->type != ST_JSON_OBJECT)
        return emb_fail(hp->err, EMB_ERR_FORMAT,
                        "%s: __metadata__ is a JSON %s, expected an object "
                        "of strings",
                        hp->source->path,
                        emb_st_json_type_name(object->type));
    for (uint32_t m = 0; m < object->as.count; m++) {
        const st_json_node *value = node_at(hp, member + 1);

        if (value->type != ST_JSON_STRING)
            return emb_fail(hp->err, EMB_ERR_FORMAT,
                            "%s: __metadata__ value of key \"%.64s\" is a "
                            "JSON %s, expected a string",
                            hp->source->path, string_at(hp, member),
                            emb_st_json_type_name(value->type));
        member = value->end;
    }
    return EMB_OK;
}

/* ------------------------------------------------------------------------ */
/* Whole-header checks                                                      */
/* ------------------------------------------------------------------------ */

static int compare_names(const void *a, const void *b)
{
    return strcmp(((const st_tensor *)a)->name, ((const st_tensor *)b)->name);
}

static int compare_offsets(const void *a, const void *b)
{
    const st_tensor *x = *(const st_tensor *const *)a;
    const st_tensor *y = *(const st_tensor *const *)b;

    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return 0;
}

/* Checks that the tensors, in offset order, tile the data buffer. */
static emb_status check_layout(const header_parser *hp)
{
    const st_header *header = hp->header;
    const char *path = hp->source->path;
    const st_tensor **order;
    const st_tensor *previous = NULL;
    uint64_t covered = 0;
    emb_status status = EMB_OK;

    if (header->tensor_count == 0) {
        if (header->data_length != 0)
            return emb_fail(hp->err, EMB_ERR_FORMAT,
                            "%s has no tensors but %llu bytes of data after "
                            "the header",
                            path, (unsigned long long)header->data_length);
        return EMB_OK;
    }

    order = malloc(header->tensor_count * sizeof(*order));
    if (order == NULL)
        return emb_fail(hp->err, EMB_ERR_OUT_OF_MEMORY,
                        "cannot allocate the tensor index of %s", path);
    for (size_t i = 0; i < header->tensor_count; i++)
        order[i] = &header->tensors[i];
    qsort(order, header->tensor_count, sizeof(*order), compare_offsets);

    for (size_t i = 0; i < header->tensor_count && status == EMB_OK; i++) {
        const st_tensor *t = order[i];

        if (t->begin > covered && previous == NULL)
            status = emb_fail(hp->err, EMB_ERR_FORMAT,
                              "%s: the first tensor '%s' data begins at "
                              "offset %llu, not 0: the data buffer has a hole",
                              path, t->name, (unsigned long long)t->begin);
        else if (t->begin > covered)
            status = emb_fail(hp->err, EMB_ERR_FORMAT,
                              "%s: tensor '%s' data begins at offset %llu but "
                              "tensor '%s' ends at %llu: the data buffer has "
                              "a hole",
                              path, t->name, (unsigned long long)t->begin,
                              previous->name, (unsigned long long)covered);
        else if (t->begin < covered)
            status = emb_fail(hp->err, EMB_ERR_FORMAT,
                              "%s: tensor '%s' data [%llu, %llu) overlaps "
                              "tensor '%s' [%llu, %llu)",
                              path, t->name, (unsigned long long)t->begin,
                              (unsigned long long)t->end, previous->name,
                              (unsigned long long)previous->begin,
                              (unsigned long long)previous->end);
        else if (t->end > header->data_length)
            status = emb_fail(hp->err, EMB_ERR_FORMAT,
                              "%s: tensor '%s' data ends at offset %llu but "
                              "the file holds only %llu data bytes: the "
                              "file is truncated",
                              path, t->name, (unsigned long long)t->end,
                              (unsigned long long)header->data_length);
        covered = t->end;
        previous = t;
    }
    if (status == EMB_OK && covered != header->data_length)
        status = emb_fail(hp->err, EMB_ERR_FORMAT,
                          "%s has %llu bytes after the end of the last "
                          "tensor's data",
                          path,
                          (unsigned long long)(header->data_length - covered));
    free(order);
    return status;
}

/* Reads every member of the root object into the tensor table. */
static emb_status read_members(const header_parser *hp)
{
    st_header *header = hp->header;
    const st_json_node *root = node_at(hp, 0);
    uint32_t member = 1;
    bool have_metadata = false;
    emb_status status = EMB_OK;

    if (root->type != ST_JSON_OBJECT)
        return emb_fail(hp->err, EMB_ERR_FORMAT,
                        "%s does not look like a safetensors file: its "
                        "header is a JSON %s, expected an object",
                        hp->source->path, emb_st_json_type_name(root->type));

    header->tensors = calloc(root->as.count == 0 ? 1 : root->as.count,
                             sizeof(*header->tensors));
    if (header->tensors == NULL)
        return emb_fail(hp->err, EMB_ERR_OUT_OF_MEMORY,
                        "cannot allocate the tensor table of %s",
                        hp->source->path);

    for (uint32_t m = 0; m < root->as.count && status == EMB_OK; m++) {
        uint32_t value = member + 1;

        if (key_is(hp, member, "__metadata__")) {
            if (have_metadata)
                return emb_fail(hp->err, EMB_ERR_FORMAT,
                                "%s: the header has __metadata__ twice",
                                hp->source->path);
            have_metadata = true;
            status = read_metadata(hp, value);
        } else {
            status = read_tensor(hp, member, value,
                                 &header->tensors[header->tensor_count++]);
        }
        member = node_at(hp, value)->end;
    }
    return status;
}

static emb_status check_unique_names(const header_parser *hp)
{
    st_header *header = hp->header;

    qsort(header->tensors, header->tensor_count, sizeof(*header->tensors),
          compare_names);
    for (size_t i = 1; i < header->tensor_count; i++) {
        if (strcmp(header->tensors[i - 1].name, header->tensors[i].name) == 0)
            return emb_fail(hp->err, EMB_ERR_FORMAT,
                            "%s: the tensor name '%s' appears more than once",
                            hp->source->path, header->tensors[i].name);
    }
    return EMB_OK;
}

emb_status emb_st_header_read(const st_source *source, st_header *header,
                              emb_error *err)
{
    header_parser hp = {source, header, err};
    uint64_t length = 0;
    size_t bad_offset;
    emb_status status;

    memset(header, 0, sizeof(*header));
    status = read_header_length(source, &length, err);
    if (status != EMB_OK)
        return status;
    header->data_start = 8 + length;
    header->data_length = source->size - header->data_start;

    header->text = malloc((size_t)length + 1);
    if (header->text == NULL)
        return emb_fail(err, EMB_ERR_OUT_OF_MEMORY,
                        "cannot allocate %llu bytes for the header of %s",
                        (unsigned long long)length + 1, source->path);
    status = emb_st_source_read(source, 8, header->text, (size_t)length, err);
    if (status != EMB_OK)
        goto fail;
    header->text[length] = '\0';

    if (!emb_st_utf8_valid((const unsigned char *)header->text,
                           (size_t)length, &bad_offset)) {
        status = emb_fail(err, EMB_ERR_FORMAT,
                          "the safetensors header of %s is not valid UTF-8 "
                          "at file byte %llu",
                          source->path,
                          (unsigned long long)(8 + bad_offset));
        goto fail;
    }
    status = emb_st_json_parse(header->text, (size_t)length, 8, source->path,
                               &header->json, err);
    if (status == EMB_OK)
        status = read_members(&hp);
    if (status == EMB_OK)
        status = check_unique_names(&hp);
    if (status == EMB_OK)
        status = check_layout(&hp);
    if (status == EMB_OK)
        return EMB_OK;

fail:
    emb_st_header_free(header);
    return status;
}

void emb_st_header_free(st_header *header)
{
    emb_st_json_free(&header->json);
    free(header->tensors);
    free(header->text);
    memset(header, 0, sizeof(*header));
}

const st_tensor *emb_st_header_find(const st_header *header, const char *name)
{
    st_tensor key;

    if (header->tensor_count == 0)
        return NULL;
    memset(&key, 0, sizeof(key));
    key.name = name;
    return bsearch(&key, header->tensors, header->tensor_count,
                   sizeof(*header->tensors), compare_names);
}

int64_t emb_st_tensor_dim(const st_header *header, const st_tensor *tensor,
                          uint32_t axis)
{
    /* Shape elements are numbers (leaf nodes), so dimension i is the node
     * right after the array node plus i. Validation capped them at
     * INT64_MAX. */
    return (int64_t)header->json.nodes[tensor->shape_node + 1 + axis]
        .as.magnitude;
}

/* Appends formatted text at *used, keeping buffer NUL-terminated. Returns
 * false once the text no longer fits. */
static bool append(char *buffer, size_t size, size_t *used,
                   const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static bool append(char *buffer, size_t size, size_t *used,
                   const char *format, ...)
{
    va_list args;
    int written;

    if (*used >= size)
        return false;
    va_start(args, format);
    written = vsnprintf(buffer + *used, size - *used, format, args);
    va_end(args);
    if (written < 0 || (size_t)written >= size - *used) {
        buffer[*used] = '\0';
        return false;
    }
    *used += (size_t)written;
    return true;
}

void emb_st_format_shape(const st_header *header, const st_tensor *tensor,
                         char *buffer, size_t size)
{
    size_t used = 0;
    const size_t reserve = 6; /* room for ", ...]" */

    if (size <= reserve) {
        if (size > 0)
            buffer[0] = '\0';
        return;
    }
    append(buffer, size, &used, "[");
    for (uint32_t i = 0; i < tensor->rank; i++) {
        if (!append(buffer, size - reserve, &used, "%s%lld",
                    i > 0 ? ", " : "",
                    (long long)emb_st_tensor_dim(header, tensor, i))) {
            append(buffer, size, &used, ", ...");
            break;
        }
    }
    append(buffer, size, &used, "]");
}

void emb_st_format_names(const st_header *header, char *buffer, size_t size)
{
    size_t used = 0;
    const size_t reserve = 6; /* room for ", ..." */

    if (size <= reserve) {
        if (size > 0)
            buffer[0] = '\0';
        return;
    }
    buffer[0] = '\0';
    if (header->tensor_count == 0) {
        append(buffer, size, &used, "(none)");
        return;
    }
    for (size_t i = 0; i < header->tensor_count; i++) {
        if (!append(buffer, size - reserve, &used, "%s'%s'",
                    i > 0 ? ", " : "", header->tensors[i].name)) {
            append(buffer, size, &used, "%s...", i > 0 ? ", " : "");
            break;
        }
    }
}
