/*
 * .npy reading (integer ids) and atomic writing (float32 output). Values are
 * read and written as little-endian on hosts of either byte order.
 */
#define _POSIX_C_SOURCE 200809L /* strdup, mkstemp, fchmod, fsync, fileno */
#include "npy.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_SIZE 6
/* Largest rank parsed; ranks above 2 are rejected after parsing so the
 * message can show the whole shape. */
#define NPY_MAX_RANK 8
/* numpy aligns the data to this many bytes from the file start. */
#define NPY_ALIGNMENT 64
/* Floats converted per write call on big-endian hosts. */
#define WRITE_CHUNK 4096

typedef struct npy_header {
    char descr[32];
    bool fortran_order;
    int rank;
    int64_t shape[NPY_MAX_RANK];
    bool has_descr, has_order, has_shape;
} npy_header;

/* Cursor over the header text. */
typedef struct header_parser {
    const char *at, *end;
    const char *problem;  /* static text of the first syntax error */
} header_parser;

static void skip_blanks(header_parser *parser)
{
    while (parser->at < parser->end &&
           (*parser->at == ' ' || *parser->at == '\t' ||
            *parser->at == '\n' || *parser->at == '\r'))
        parser->at++;
}

static bool fail_parse(header_parser *parser, const char *problem)
{
    if (parser->problem == NULL)
        parser->problem = problem;
    return false;
}

static bool expect_char(header_parser *parser, char expected,
                        const char *problem)
{
    skip_blanks(parser);
    if (parser->at >= parser->end || *parser->at != expected)
        return fail_parse(parser, problem);
    parser->at++;
    return true;
}

/* Parses a quoted Python string without escapes into out. */
static bool parse_string(header_parser *parser, char *out, size_t out_size)
{
    char quote;
    size_t length = 0;

    skip_blanks(parser);
    if (parser->at >= parser->end ||
        (*parser->at != '\'' && *parser->at != '"'))
        return fail_parse(parser, "expected a quoted string");
    quote = *parser->at++;
    while (parser->at < parser->end && *parser->at != quote) {
        if (*parser->at == '\\' || length + 1 >= out_size)
            return fail_parse(parser, "unsupported string");
        out[length++] = *parser->at++;
    }
    if (parser->at >= parser->end)
        return fail_parse(parser, "unterminated string");
    parser->at++;
    out[length] = '\0';
    return true;
}

static bool parse_bool(header_parser *parser, bool *value)
{
    skip_blanks(parser);
    if (parser->end - parser->at >= 4 && memcmp(parser->at, "True", 4) == 0) {
        parser->at += 4;
        *value = true;
        return true;
    }
    if (parser->end - parser->at >= 5 && memcmp(parser->at, "False", 5) == 0) {
        parser->at += 5;
        *value = false;
        return true;
    }
    return fail_parse(parser, "fortran_order must be True or False");
}

static bool parse_dimension(header_parser *parser, int64_t *value)
{
    int64_t result = 0;

    skip_blanks(parser);
    if (parser->at >= parser->end || *parser->at < '0' || *parser->at > '9')
        return fail_parse(parser, "shape entries must be integers");
    while (parser->at < parser->end && *parser->at >= '0' &&
           *parser->at <= '9') {
        int digit = *parser->at++ - '0';

        if (result > (INT64_MAX - digit) / 10)
            return fail_parse(parser, "shape entry too large");
        result = result * 10 + digit;
    }
    *value = result;
    return true;
}

/* Parses "(d0, d1, ...)" with an optional trailing comma. */
static bool parse_shape(header_parser *parser, npy_header *header)
{
    if (!expect_char(parser, '(', "shape must be a tuple"))
        return false;
    header->rank = 0;
    for (;;) {
        skip_blanks(parser);
        if (parser->at < parser->end && *parser->at == ')') {
            parser->at++;
            return true;
        }
        if (header->rank == NPY_MAX_RANK)
            return fail_parse(parser, "shape has too many dimensions");
        if (!parse_dimension(parser, &header->shape[header->rank]))
            return false;
        header->rank++;
        skip_blanks(parser);
        if (parser->at < parser->end && *parser->at == ',') {
            parser->at++;
            continue;
        }
        return expect_char(parser, ')', "shape tuple is not closed");
    }
}

static bool parse_entry(header_parser *parser, npy_header *header)
{
    char key[32];

    if (!parse_string(parser, key, sizeof(key)) ||
        !expect_char(parser, ':', "expected ':' after a key"))
        return false;
    if (strcmp(key, "descr") == 0 && !header->has_descr) {
        header->has_descr = true;
        return parse_string(parser, header->descr, sizeof(header->descr));
    }
    if (strcmp(key, "fortran_order") == 0 && !header->has_order) {
        header->has_order = true;
        return parse_bool(parser, &header->fortran_order);
    }
    if (strcmp(key, "shape") == 0 && !header->has_shape) {
        header->has_shape = true;
        return parse_shape(parser, header);
    }
    return fail_parse(parser, "unknown or repeated key");
}

/* Parses the header dict. On failure parser->problem gives the reason. */
static bool parse_header(header_parser *parser, npy_header *header)
{
    if (!expect_char(parser, '{', "header is not a dict"))
        return false;
    for (;;) {
        skip_blanks(parser);
        if (parser->at < parser->end && *parser->at == '}')
            break;
        if (!parse_entry(parser, header))
            return false;
        skip_blanks(parser);
        if (parser->at < parser->end && *parser->at == ',') {
            parser->at++;
            continue;
        }
        if (parser->at < parser->end && *parser->at == '}')
            break;
        return fail_parse(parser, "expected ',' or '}'");
    }
    parser->at++;
    skip_blanks(parser);
    if (parser->at != parser->end)
        return fail_parse(parser, "text after the dict");
    if (!header->has_descr || !header->has_order || !header->has_shape)
        return fail_parse(parser, "'descr', 'fortran_order' or 'shape' is "
                                  "missing");
    return true;
}

static void format_shape(const npy_header *header, char *out, size_t size)
{
    size_t used = (size_t)snprintf(out, size, "(");

    for (int i = 0; i < header->rank && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%lld",
                                 i > 0 ? ", " : "",
                                 (long long)header->shape[i]);
    if (used < size)
        snprintf(out + used, size - used, "%s)", header->rank == 1 ? "," : "");
}

/* Checks dtype, order and shape. Returns the element size, or 0 after
 * printing why the array is rejected. */
static size_t check_id_array(const char *source, const npy_header *header)
{
    char shape[256];
    size_t item_size;

    if (strcmp(header->descr, "<i4") == 0) {
        item_size = 4;
    } else if (strcmp(header->descr, "<i8") == 0) {
        item_size = 8;
    } else if (strcmp(header->descr, ">i4") == 0 ||
               strcmp(header->descr, ">i8") == 0) {
        cli_error("%s: big-endian dtype '%s' is not supported (save the ids "
                  "as little-endian '<i4' or '<i8')",
                  source, header->descr);
        return 0;
    } else {
        cli_error("%s: dtype '%s' is not supported (ids must be int32 '<i4' "
                  "or int64 '<i8')",
                  source, header->descr);
        return 0;
    }
    if (header->fortran_order) {
        cli_error("%s: Fortran-order arrays are not supported (save a C-order "
                  "array, e.g. with numpy.ascontiguousarray)",
                  source);
        return 0;
    }
    format_shape(header, shape, sizeof(shape));
    if (header->rank < 1 || header->rank > 2) {
        cli_error("%s: shape %s has %d dimensions (expected 1-D [seq_len] or "
                  "2-D [batch, seq_len])",
                  source, shape, header->rank);
        return 0;
    }
    for (int i = 0; i < header->rank; i++) {
        if (header->shape[i] == 0) {
            cli_error("%s: shape %s contains no ids", source, shape);
            return 0;
        }
    }
    return item_size;
}

static uint64_t read_le(const unsigned char *bytes, size_t size)
{
    uint64_t value = 0;

    for (size_t i = size; i > 0; i--)
        value = value << 8 | bytes[i - 1];
    return value;
}

/* Rejects a file whose first bytes differ from the .npy magic as soon as
 * they are read, so that an endless device such as /dev/zero is not read
 * on. */
static bool check_magic(const char *data, size_t checked, size_t size,
                        void *context)
{
    const char *source = context;

    if (checked >= NPY_MAGIC_SIZE)
        return true;
    if (memcmp(data, NPY_MAGIC, size < NPY_MAGIC_SIZE ? size
                                                      : NPY_MAGIC_SIZE) != 0) {
        cli_error("%s: not an .npy file (no \\x93NUMPY magic)", source);
        return false;
    }
    return true;
}

/* Locates the header text after the magic, version and length fields. */
static bool locate_header(const char *source, const unsigned char *data,
                          size_t size, size_t *header_start,
                          size_t *header_size)
{
    size_t magic_bytes = size < NPY_MAGIC_SIZE ? size : NPY_MAGIC_SIZE;
    size_t length_size;

    if (size == 0 || memcmp(data, NPY_MAGIC, magic_bytes) != 0) {
        cli_error("%s: not an .npy file (no \\x93NUMPY magic)", source);
        return false;
    }
    /* The file starts like an .npy file but ends before the version. */
    if (size < NPY_MAGIC_SIZE + 2) {
        cli_error("%s: truncated .npy header (the file ends after %zu "
                  "bytes, %s)",
                  source, size,
                  size < NPY_MAGIC_SIZE ? "inside the magic"
                                        : "before the format version");
        return false;
    }
    switch (data[6]) {
    case 1:
        length_size = 2;
        break;
    case 2:
    case 3:
        length_size = 4;
        break;
    default:
        cli_error("%s: unsupported .npy format version %u.%u (1.0 to 3.0 "
                  "are read)",
                  source, data[6], data[7]);
        return false;
    }
    if (size < NPY_MAGIC_SIZE + 2 + length_size) {
        cli_error("%s: truncated .npy header (the file ends after %zu "
                  "bytes, before the header length)",
                  source, size);
        return false;
    }
    *header_start = NPY_MAGIC_SIZE + 2 + length_size;
    *header_size = (size_t)read_le(data + NPY_MAGIC_SIZE + 2, length_size);
    if (*header_size > size - *header_start) {
        cli_error("%s: truncated .npy header (%zu bytes announced, %zu in the "
                  "file)",
                  source, *header_size, size - *header_start);
        return false;
    }
    return true;
}

/* Validates the file contents in `data` and fills *out from them. */
static int decode_ids(const char *source, const unsigned char *data,
                      size_t size, id_sequences *out)
{
    header_parser parser = {0};
    npy_header header = {0};
    size_t header_start, header_size, item_size, data_start;
    int64_t batch, seq_len, count;

    if (!locate_header(source, data, size, &header_start, &header_size))
        return CLI_EXIT_DATA;
    parser.at = (const char *)data + header_start;
    parser.end = parser.at + header_size;
    if (!parse_header(&parser, &header)) {
        cli_error("%s: malformed .npy header: %s", source, parser.problem);
        return CLI_EXIT_DATA;
    }
    item_size = check_id_array(source, &header);
    if (item_size == 0)
        return CLI_EXIT_DATA;

    batch = header.rank == 2 ? header.shape[0] : 1;
    seq_len = header.shape[header.rank - 1];
    data_start = header_start + header_size;
    if (__builtin_mul_overflow(batch, seq_len, &count) ||
        (uint64_t)count > (size - data_start) / item_size ||
        (uint64_t)count * item_size != size - data_start) {
        cli_error("%s: %zu data bytes do not match %lld x %lld ids of %zu "
                  "bytes",
                  source, size - data_start, (long long)batch,
                  (long long)seq_len, item_size);
        return CLI_EXIT_DATA;
    }

    out->ids = malloc((size_t)count * sizeof(int64_t));
    out->offsets = malloc((size_t)(batch + 1) * sizeof(int64_t));
    out->source = strdup(source);
    if (out->ids == NULL || out->offsets == NULL || out->source == NULL) {
        cli_error("%s: out of memory for %lld ids", source, (long long)count);
        return CLI_EXIT_DATA;
    }
    for (int64_t i = 0; i < count; i++) {
        uint64_t raw = read_le(data + data_start + (size_t)i * item_size,
                               item_size);

        /* Sign-extend a 32-bit value. */
        out->ids[i] = item_size == 4 ? (int64_t)(int32_t)(uint32_t)raw
                                     : (int64_t)raw;
    }
    for (int64_t b = 0; b <= batch; b++)
        out->offsets[b] = b * seq_len;
    out->count = batch;
    return CLI_CONTINUE;
}

int npy_read_ids(const char *path, id_sequences *out)
{
    char *data;
    size_t size;
    int status;

    memset(out, 0, sizeof(*out));
    status = read_whole_file(path, check_magic, (void *)display_name(path),
                             &data, &size);
    if (status != CLI_CONTINUE)
        return status;
    status = decode_ids(display_name(path), (const unsigned char *)data,
                        size, out);
    free(data);
    if (status != CLI_CONTINUE)
        ids_free(out);
    return status;
}

/* ------------------------------------------------------------------------ */
/* Writer                                                                   */
/* ------------------------------------------------------------------------ */

static bool host_is_little_endian(void)
{
    const uint16_t probe = 1;
    unsigned char first;

    memcpy(&first, &probe, 1);
    return first == 1;
}

/* Builds the magic, version 1.0, length and padded header into out (at
 * least 1024 bytes). Returns the total byte count. */
static size_t build_header(const int64_t *shape, int rank, char *out)
{
    char dict[512];
    size_t used, dict_length, total;

    used = (size_t)snprintf(dict, sizeof(dict),
                            "{'descr': '<f4', 'fortran_order': False, "
                            "'shape': (");
    for (int i = 0; i < rank; i++)
        used += (size_t)snprintf(dict + used, sizeof(dict) - used, "%s%lld",
                                 i > 0 ? ", " : "", (long long)shape[i]);
    used += (size_t)snprintf(dict + used, sizeof(dict) - used, "%s), }",
                             rank == 1 ? "," : "");
    dict_length = used;

    /* Pad with spaces and end with '\n' so the data starts aligned. */
    total = NPY_MAGIC_SIZE + 4 + dict_length + 1;
    total = (total + NPY_ALIGNMENT - 1) / NPY_ALIGNMENT * NPY_ALIGNMENT;
    memcpy(out, NPY_MAGIC, NPY_MAGIC_SIZE);
    out[6] = 1;
    out[7] = 0;
    out[8] = (char)((total - 10) & 0xff);
    out[9] = (char)((total - 10) >> 8);
    memcpy(out + 10, dict, dict_length);
    memset(out + 10 + dict_length, ' ', total - 10 - dict_length - 1);
    out[total - 1] = '\n';
    return total;
}

static bool write_floats(FILE *file, const float *data, size_t count)
{
    unsigned char chunk[WRITE_CHUNK * 4];

    if (host_is_little_endian())
        return fwrite(data, sizeof(float), count, file) == count;
    for (size_t done = 0; done < count;) {
        size_t n = count - done < WRITE_CHUNK ? count - done : WRITE_CHUNK;

        for (size_t i = 0; i < n; i++) {
            uint32_t bits;

            memcpy(&bits, &data[done + i], 4);
            for (int byte = 0; byte < 4; byte++)
                chunk[i * 4 + (size_t)byte] = (unsigned char)(bits >> (8 * byte));
        }
        if (fwrite(chunk, 4, n, file) != n)
            return false;
        done += n;
    }
    return true;
}

static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "a special file";
}

/* Checks what is at `path` the way emb_model_save_safetensors does. Nothing
 * there, or a dangling symbolic link, gives *exists = false. A regular
 * file, or a symbolic link to one, gives *exists = true and its permission
 * bits in *mode. Anything else is an error, printed here. */
static bool check_destination(const char *path, bool *exists, mode_t *mode)
{
    struct stat info;

    *exists = false;
    if (stat(path, &info) != 0) {
        if (errno == ENOENT)
            return true;
        cli_error("cannot write %s: %s", path, strerror(errno));
        return false;
    }
    if (!S_ISREG(info.st_mode)) {
        cli_error("cannot write %s: it exists and is not a regular file "
                  "(it is %s)",
                  path, file_kind(info.st_mode));
        return false;
    }
    *exists = true;
    *mode = info.st_mode & 07777;
    return true;
}

int npy_write_f32(const char *path, const float *data, const int64_t *shape,
                  int rank)
{
    char header[1024];
    size_t header_size = build_header(shape, rank, header);
    size_t count = 1;
    size_t temp_size = strlen(path) + sizeof(".tmp-XXXXXX");
    char *temp_path;
    bool exists;
    mode_t mode = 0;
    FILE *file;
    int fd;

    for (int i = 0; i < rank; i++)
        count *= (size_t)shape[i];
    /* NOTE: a FIFO or device created at `path` after this check is still
     * replaced by the rename, as in the library's save. */
    if (!check_destination(path, &exists, &mode))
        return CLI_EXIT_DATA;
    temp_path = malloc(temp_size);
    if (temp_path == NULL) {
        cli_error("cannot write %s: out of memory", path);
        return CLI_EXIT_DATA;
    }
    snprintf(temp_path, temp_size, "%s.tmp-XXXXXX", path);
    fd = mkstemp(temp_path);
    if (fd < 0) {
        cli_error("cannot create a temporary file next to %s: %s", path,
                  strerror(errno));
        free(temp_path);
        return CLI_EXIT_DATA;
    }
    /* mkstemp creates mode 0600. A replaced file keeps its permission
     * bits, and a new one gets the usual 0666 & ~umask. */
    if (!exists) {
        mode = umask(0);
        umask(mode);
        mode = 0666 & ~mode;
    }
    if (fchmod(fd, mode) != 0 || (file = fdopen(fd, "wb")) == NULL) {
        cli_error("cannot write %s: %s", path, strerror(errno));
        close(fd);
        goto remove_temp;
    }

    errno = 0;
    if (fwrite(header, 1, header_size, file) != header_size ||
        !write_floats(file, data, count) || fflush(file) != 0 ||
        fsync(fileno(file)) != 0) {
        cli_error("cannot write %s: %s", path,
                  strerror(errno != 0 ? errno : EIO));
        fclose(file);
        goto remove_temp;
    }
    if (fclose(file) != 0) {
        cli_error("cannot write %s: %s", path, strerror(errno));
        goto remove_temp;
    }
    if (rename(temp_path, path) != 0) {
        cli_error("cannot rename the temporary file %s to %s: %s",
                  temp_path, path, strerror(errno));
        goto remove_temp;
    }
    free(temp_path);
    return CLI_CONTINUE;

remove_temp:
    unlink(temp_path);
    free(temp_path);
    return CLI_EXIT_DATA;
}
