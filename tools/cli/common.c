/*
 * Error output, strict number parsing and file reading for embedding-cli.
 */
#include "common.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes read from a file or stdin per fread call. */
#define READ_CHUNK ((size_t)1 << 20)

void cli_error(const char *format, ...)
{
    va_list args;

    fputs(CLI_NAME ": ", stderr);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
}

/* strtoll and friends skip leading blanks and accept an empty string as 0;
 * a strict parse rejects both. */
static bool starts_like_number(const char *text, bool allow_sign)
{
    char first = text[0];

    if (first >= '0' && first <= '9')
        return true;
    if (first == '.')
        return true;
    return allow_sign && (first == '-' || first == '+');
}

bool parse_int64(const char *text, int64_t *value)
{
    char *end;
    long long parsed;

    if (!starts_like_number(text, true) || text[0] == '.')
        return false;
    errno = 0;
    parsed = strtoll(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE)
        return false;
    *value = (int64_t)parsed;
    return true;
}

bool parse_uint64(const char *text, uint64_t *value)
{
    char *end;
    unsigned long long parsed;

    /* strtoull accepts "-1" and wraps it to the maximum: allow digits only. */
    if (!(text[0] >= '0' && text[0] <= '9'))
        return false;
    errno = 0;
    parsed = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return false;
    *value = (uint64_t)parsed;
    return true;
}

bool parse_double(const char *text, double *value)
{
    char *end;
    double parsed;

    if (!starts_like_number(text, true))
        return false;
    errno = 0;
    parsed = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(parsed))
        return false;
    *value = parsed;
    return true;
}

void quote_for_message(const char *text, size_t length, char *out,
                       size_t out_size)
{
    static const char hex[] = "0123456789abcdef";
    size_t used = 0;

    for (size_t i = 0; i < length; i++) {
        unsigned char byte = (unsigned char)text[i];

        /* Room for one escaped byte (4), "..." (3) and the NUL. */
        if (used + 8 > out_size) {
            memcpy(out + used, "...", 3);
            used += 3;
            break;
        }
        if (byte >= 0x20 && byte < 0x7f && byte != '"') {
            out[used++] = (char)byte;
        } else {
            out[used++] = '\\';
            out[used++] = 'x';
            out[used++] = hex[byte >> 4];
            out[used++] = hex[byte & 0xf];
        }
    }
    out[used] = '\0';
}

const char *display_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

int read_whole_file(const char *path, char **data, size_t *size)
{
    bool from_stdin = strcmp(path, "-") == 0;
    FILE *file = from_stdin ? stdin : fopen(path, "rb");
    char *buffer = NULL;
    size_t used = 0, capacity = 0;

    if (file == NULL) {
        cli_error("cannot open %s: %s", path, strerror(errno));
        return CLI_EXIT_DATA;
    }
    for (;;) {
        size_t got;

        if (capacity - used < READ_CHUNK + 1) {
            size_t grown = capacity == 0 ? READ_CHUNK + 1 : capacity * 2;
            char *bigger;

            if (grown < capacity) {
                errno = ENOMEM;
                goto fail;
            }
            bigger = realloc(buffer, grown);
            if (bigger == NULL)
                goto fail;
            buffer = bigger;
            capacity = grown;
        }
        got = fread(buffer + used, 1, READ_CHUNK, file);
        used += got;
        if (got < READ_CHUNK) {
            if (ferror(file)) {
                errno = errno != 0 ? errno : EIO;
                goto fail;
            }
            break;
        }
    }
    if (!from_stdin)
        fclose(file);
    buffer[used] = '\0';
    *data = buffer;
    *size = used;
    return CLI_CONTINUE;

fail:
    cli_error("cannot read %s: %s", display_name(path), strerror(errno));
    if (!from_stdin)
        fclose(file);
    free(buffer);
    return CLI_EXIT_DATA;
}
