/*
 * Helpers shared by the embedding-cli sources: exit codes, one-line error
 * messages on stderr, strict number parsing and whole-file reading.
 */
#ifndef EMB_CLI_COMMON_H
#define EMB_CLI_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_NAME "embedding-cli"

/* Process exit codes. CLI_CONTINUE is never an exit code: a step returns it
 * when it succeeded and the program goes on. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_DATA = 1,   /* bad input data, failed I/O or a library error */
    CLI_EXIT_USAGE = 2,  /* bad command line */
    CLI_CONTINUE = -1
};

/* Prints "embedding-cli: <message>" and a newline on stderr. */
void cli_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Largest input file read, in bytes. A text id file of this size contains
 * over 100 million ids, far more than a forward call can embed in memory. */
#define CLI_MAX_INPUT_BYTES ((size_t)256 << 20)

/* Strict decimal parsers: the whole string must be the number, with no
 * leading or trailing blanks, and inside the type's range. Integers are
 * decimal digits with an optional leading '-' (parse_uint64: digits only);
 * '+' is rejected. parse_double accepts digits, '.', a leading '-' and an
 * exponent such as "1e-3", and finite values only (no hex, "inf" or
 * "nan"). Each returns false and leaves *value unchanged on failure. */
bool parse_int64(const char *text, int64_t *value);
bool parse_uint64(const char *text, uint64_t *value);
bool parse_double(const char *text, double *value);

/* Copies text[0, length) into out (out_size >= 8 bytes) for use inside a
 * message: non-printable bytes become \xNN and long text is cut with "...". */
void quote_for_message(const char *text, size_t length, char *out,
                       size_t out_size);

/* Checks the bytes data[checked, size) that a read has just added; the
 * earlier bytes were checked by previous calls. Returns false after
 * printing why the input is rejected, which stops the reading. */
typedef bool (*read_checker)(const char *data, size_t checked, size_t size,
                             void *context);

/* Reads the whole file at `path` ("-" = standard input) into a new buffer
 * with a NUL byte appended; *size excludes that byte. The caller frees
 * *data. `check` (may be NULL) receives each block as soon as it is
 * read, so bad input such as an endless stream of NUL bytes is rejected
 * without reading on. Input over CLI_MAX_INPUT_BYTES is rejected. On failure prints
 * one line naming `path` and returns CLI_EXIT_DATA; returns CLI_CONTINUE on
 * success. */
int read_whole_file(const char *path, read_checker check, void *context,
                    char **data, size_t *size);

/* Name of `path` in messages: "<stdin>" for "-", else the path. */
const char *display_name(const char *path);

#endif /* EMB_CLI_COMMON_H */
