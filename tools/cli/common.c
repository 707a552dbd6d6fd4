/*
 * Error output, strict number parsing and file reading for embedding-cli.
 */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bytes read per read call. Small, so that a check rejects bad input
 * early. */
#define READ_CHUNK ((size_t)64 << 10)

void cli_error(const char *format, ...)
{
    va_list args;

    fputs(CLI_NAME ": ", stderr);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
}

/* strtoll and strtod skip leading blanks, accept '+', and strtod also
 * reads hex, "inf" and "nan"; a strict parse rejects all of them. */
static bool is_plain_integer(const char *text, bool allow_minus)
{
    const char *digits = text + (allow_minus && text[0] == '-');

    return *digits != '\0' && strspn(digits, "0123456789") == strlen(digits);
}

bool parse_int64(const char *text, int64_t *value)
{
    char *end;
    long long parsed;

    if (!is_plain_integer(text, true))
        return false;
    errno = 0;
    parsed = strtoll(text, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return false;
    *value = (int64_t)parsed;
    return true;
}

bool parse_uint64(const char *text, uint64_t *value)
{
    char *end;
    unsigned long long parsed;

    /* strtoull accepts "-1" and wraps it to the maximum: allow digits only. */
    if (!is_plain_integer(text, false))
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
    const char *first = text + (text[0] == '-');
    char *end;
    double parsed;

    /* A '+' may only follow the exponent's 'e', which strtod checks. */
    if (!((*first >= '0' && *first <= '9') || *first == '.') ||
        strspn(text, "0123456789.eE+-") != strlen(text))
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

/* Reads up to `count` bytes, retrying after a signal. Returns the byte
 * count (0 at the end of the file) or -1 with errno set. */
static ssize_t read_some(int fd, char *buffer, size_t count)
{
    ssize_t got;

    do {
        got = read(fd, buffer, count);
    } while (got < 0 && errno == EINTR);
    return got;
}

/* Grows *buffer to at least `needed` bytes. Doubling stops at the maximum
 * that read_whole_file uses: the limit, one byte over it and the NUL. */
static bool reserve(char **buffer, size_t *capacity, size_t needed)
{
    size_t max_capacity = CLI_MAX_INPUT_BYTES + 2;
    size_t grown;
    char *bigger;

    if (*capacity >= needed)
        return true;
    grown = *capacity == 0 ? READ_CHUNK + 1 : *capacity * 2;
    if (grown > max_capacity)
        grown = max_capacity;
    if (grown < needed)
        grown = needed;
    bigger = realloc(*buffer, grown);
    if (bigger == NULL)
        return false;
    *buffer = bigger;
    *capacity = grown;
    return true;
}

int read_whole_file(const char *path, read_checker check, void *context,
                    char **data, size_t *size)
{
    bool from_stdin = strcmp(path, "-") == 0;
    int fd = from_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    const char *name = display_name(path);
    char *buffer = NULL;
    size_t used = 0, capacity = 0;
    int failure = 0;

    if (fd < 0) {
        cli_error("cannot open %s: %s", path, strerror(errno));
        return CLI_EXIT_DATA;
    }
    for (;;) {
        /* One byte over the limit is enough to know the input is too big. */
        size_t request = CLI_MAX_INPUT_BYTES + 1 - used;
        ssize_t got;

        if (request > READ_CHUNK)
            request = READ_CHUNK;
        if (!reserve(&buffer, &capacity, used + request + 1)) {
            failure = ENOMEM;
            break;
        }
        got = read_some(fd, buffer + used, request);
        if (got < 0) {
            failure = errno;
            break;
        }
        if (got == 0)
            break;
        if (check != NULL &&
            !check(buffer, used, used + (size_t)got, context))
            goto rejected;
        used += (size_t)got;
        if (used > CLI_MAX_INPUT_BYTES) {
            cli_error("%s: the input is larger than %zu MiB, the limit for "
                      "an id file",
                      name, CLI_MAX_INPUT_BYTES >> 20);
            goto rejected;
        }
    }
    if (failure != 0) {
        cli_error("cannot read %s: %s", name, strerror(failure));
        goto rejected;
    }
    if (!from_stdin)
        close(fd);
    buffer[used] = '\0';
    *data = buffer;
    *size = used;
    return CLI_CONTINUE;

rejected:
    if (!from_stdin)
        close(fd);
    free(buffer);
    return CLI_EXIT_DATA;
}
