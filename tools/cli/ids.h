/*
 * Sequences of integer ids read from a text file (this module) or an .npy
 * file (npy.c), kept with where each sequence came from so that messages can
 * name the file and line.
 *
 * Text format: one sequence per line, ids in decimal separated by blanks.
 * Empty lines and lines whose first non-blank character is '#' are skipped.
 * A comment line directly above a sequence line is that sequence's label.
 * An id is decimal digits with an optional leading '-' ("+5" is invalid).
 * A file contains at most CLI_MAX_INPUT_BYTES (256 MiB), and a line at most
 * IDS_MAX_PER_LINE ids.
 */
#ifndef EMB_CLI_IDS_H
#define EMB_CLI_IDS_H

#include <stdbool.h>
#include <stdint.h>

/* Most ids on one line of a text file: the longest sequence read. */
#define IDS_MAX_PER_LINE ((int64_t)1 << 24)

typedef struct id_sequences {
    char *source;      /* file name used in messages (owned) */
    int64_t *ids;      /* all ids, one sequence after the other */
    int64_t *offsets;  /* count + 1 entries: sequence i is
                          ids[offsets[i], offsets[i + 1]) */
    int64_t count;     /* number of sequences */
    long *lines;       /* 1-based line of each sequence; NULL for .npy */
    char **labels;     /* label of each sequence or NULL; NULL for .npy */
} id_sequences;

/* Reads the text file at `path` ("-" = standard input) into *out, which the
 * caller releases with ids_free. With `rectangular` set, every sequence must
 * have the same length. Rejects a file without ids, a token that is not a
 * 64-bit decimal integer, a line of more than IDS_MAX_PER_LINE ids and a
 * file over CLI_MAX_INPUT_BYTES. A NUL byte or other control character
 * (except blanks) is rejected as soon as it is read. On failure prints one
 * line naming the file, the line and the value, leaves *out empty and
 * returns CLI_EXIT_DATA; returns CLI_CONTINUE on success. */
int ids_read_text(const char *path, bool rectangular, id_sequences *out);

/* Releases everything *sequences owns and empties it. */
void ids_free(id_sequences *sequences);

/* Number of ids in sequence `index`. */
int64_t ids_length(const id_sequences *sequences, int64_t index);

/* Length of the first sequence, which is the length of every sequence of
 * rectangular input. The count must be > 0, as every reader ensures. */
int64_t ids_seq_len(const id_sequences *sequences);

/* Checks that every id lies in [0, limit). On the first that does not,
 * prints "<file>:<line>: <what> <value> at index <t> on the line is outside
 * [0, limit)" (or "<file>: <what> <value> at [b, t] ..." for .npy input)
 * and returns CLI_EXIT_DATA. Returns CLI_CONTINUE when all are inside. */
int ids_check_range(const id_sequences *sequences, int64_t limit,
                    const char *what);

/* Checks that `other` has the same batch x seq_len shape as `ids`; prints a
 * message naming both files and returns CLI_EXIT_DATA when it does not. */
int ids_check_same_shape(const id_sequences *ids, const id_sequences *other,
                         const char *what);

#endif /* EMB_CLI_IDS_H */
