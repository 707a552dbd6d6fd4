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

/* Strict decimal parsers: the whole string must be the number, with no
 * leading or trailing blanks, and inside the type's range. parse_double
 * accepts finite values only. Each returns false and leaves *value unchanged
 * on failure. */
bool parse_int64(const char *text, int64_t *value);
bool parse_uint64(const char *text, uint64_t *value);
bool parse_double(const char *text, double *value);

/* Copies text[0, length) into out (out_size >= 8 bytes) for use inside a
 * message: non-printable bytes become \xNN and long text is cut with "...". */
void quote_for_message(const char *text, size_t length, char *out,
                       size_t out_size);

/* Reads the whole file at `path` ("-" = standard input) into a new buffer
 * with a NUL byte appended; *size excludes that byte. The caller frees
 * *data. On failure prints a message naming `path` and returns
 * CLI_EXIT_DATA; returns CLI_CONTINUE on success. */
int read_whole_file(const char *path, char **data, size_t *size);

/* Name of `path` in messages: "<stdin>" for "-", else the path. */
const char *display_name(const char *path);

#endif /* EMB_CLI_COMMON_H */
