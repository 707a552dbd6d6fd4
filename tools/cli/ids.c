/*
 * Text id files: parsing into id_sequences, range and shape checks with
 * messages that name the file and line. The .npy reader lives in npy.c.
 */
#define _POSIX_C_SOURCE 200809L /* strdup, strtok_r */
#include "ids.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* Maximum size of an id quoted in a message, in bytes. */
#define QUOTE_SIZE 48
#define BLANKS " \t\r\v\f"

/* Growing arrays of a text file being parsed. */
typedef struct ids_builder {
    int64_t *ids;
    size_t id_count, id_capacity;
    int64_t *offsets;
    long *lines;
    char **labels;
    size_t sequence_count, sequence_capacity;
} ids_builder;

/* Makes room for `needed` elements of `size` bytes in *array. */
static bool grow(void **array, size_t *capacity, size_t needed, size_t size)
{
    size_t new_capacity = *capacity == 0 ? 64 : *capacity;
    void *bigger;

    while (new_capacity < needed) {
        if (new_capacity > SIZE_MAX / 2)
            return false;
        new_capacity *= 2;
    }
    if (new_capacity == *capacity)
        return true;
    if (new_capacity > SIZE_MAX / size)
        return false;
    bigger = realloc(*array, new_capacity * size);
    if (bigger == NULL)
        return false;
    *array = bigger;
    *capacity = new_capacity;
    return true;
}

static bool push_id(ids_builder *builder, int64_t id)
{
    if (!grow((void **)&builder->ids, &builder->id_capacity,
              builder->id_count + 1, sizeof(int64_t)))
        return false;
    builder->ids[builder->id_count++] = id;
    return true;
}

/* Ends the current sequence at the ids pushed so far. The three
 * per-sequence arrays share one capacity, so each is grown to the same
 * size. */
static bool push_sequence(ids_builder *builder, long line, const char *label)
{
    size_t needed = builder->sequence_count + 2;
    size_t capacity = builder->sequence_capacity;
    char *label_copy = NULL;

    if (!grow((void **)&builder->offsets, &capacity, needed, sizeof(int64_t)))
        return false;
    capacity = builder->sequence_capacity;
    if (!grow((void **)&builder->lines, &capacity, needed, sizeof(long)))
        return false;
    capacity = builder->sequence_capacity;
    if (!grow((void **)&builder->labels, &capacity, needed, sizeof(char *)))
        return false;
    builder->sequence_capacity = capacity;

    if (label != NULL && (label_copy = strdup(label)) == NULL)
        return false;
    if (builder->sequence_count == 0)
        builder->offsets[0] = 0;
    builder->lines[builder->sequence_count] = line;
    builder->labels[builder->sequence_count] = label_copy;
    builder->sequence_count++;
    builder->offsets[builder->sequence_count] = (int64_t)builder->id_count;
    return true;
}

static void builder_free(ids_builder *builder)
{
    for (size_t i = 0; i < builder->sequence_count; i++)
        free(builder->labels[i]);
    free(builder->ids);
    free(builder->offsets);
    free(builder->lines);
    free(builder->labels);
    memset(builder, 0, sizeof(*builder));
}

/* State of check_text_bytes across the blocks of one file. */
typedef struct text_check {
    const char *source;
    long line;  /* 1-based line of the next byte */
} text_check;

/* Rejects a NUL byte or a control character other than a blank or line
 * end. Such a byte means a binary file, most likely an .npy given to --ids,
 * or an endless device such as /dev/zero. */
static bool check_text_bytes(const char *data, size_t checked, size_t size,
                             void *context)
{
    text_check *state = context;

    for (size_t i = checked; i < size; i++) {
        unsigned char byte = (unsigned char)data[i];

        if (byte == '\n') {
            state->line++;
        } else if (byte == 0 || byte == 0x7f ||
                   (byte < 0x20 && strchr(BLANKS, byte) == NULL)) {
            if (byte == 0)
                cli_error("%s:%ld: NUL byte in a text id file (for .npy "
                          "files use --npy-ids)",
                          state->source, state->line);
            else
                cli_error("%s:%ld: control byte 0x%02x in a text id file "
                          "(for .npy files use --npy-ids)",
                          state->source, state->line, byte);
            return false;
        }
    }
    return true;
}

/* Returns the text of a comment line after '#' and one optional space, with
 * trailing blanks removed in place. */
static const char *comment_text(char *line)
{
    char *text = line + 1;
    size_t length;

    if (*text == ' ')
        text++;
    length = strlen(text);
    while (length > 0 && strchr(BLANKS, text[length - 1]) != NULL)
        text[--length] = '\0';
    return text;
}

static void report_invalid_id(const char *source, long line, const char *token)
{
    char quoted[QUOTE_SIZE];
    const char *digits = token + (token[0] == '-');
    bool all_digits = *digits != '\0' && strspn(digits, "0123456789") ==
                                             strlen(digits);

    quote_for_message(token, strlen(token), quoted, sizeof(quoted));
    cli_error("%s:%ld: invalid id \"%s\"%s", source, line, quoted,
              all_digits ? " (outside the 64-bit integer range)" : "");
}

/* Parses the ids of one line into the builder. Returns CLI_CONTINUE,
 * or CLI_EXIT_DATA after printing a message. */
static int parse_line(ids_builder *builder, char *line, long line_number,
                      const char *source)
{
    char *save = NULL;
    int64_t count = 0;

    for (char *token = strtok_r(line, BLANKS, &save); token != NULL;
         token = strtok_r(NULL, BLANKS, &save)) {
        int64_t id;

        if (++count > IDS_MAX_PER_LINE) {
            cli_error("%s:%ld: more than %lld ids on one line (the limit "
                      "per sequence)",
                      source, line_number, (long long)IDS_MAX_PER_LINE);
            return CLI_EXIT_DATA;
        }
        if (!parse_int64(token, &id)) {
            report_invalid_id(source, line_number, token);
            return CLI_EXIT_DATA;
        }
        if (!push_id(builder, id)) {
            cli_error("%s:%ld: out of memory", source, line_number);
            return CLI_EXIT_DATA;
        }
    }
    return CLI_CONTINUE;
}

static int parse_text(char *data, size_t size, bool rectangular,
                      const char *source, ids_builder *builder)
{
    char *cursor = data, *data_end = data + size;
    const char *label = NULL;
    long line_number = 0;

    while (cursor < data_end) {
        char *line_end = memchr(cursor, '\n', (size_t)(data_end - cursor));
        char *line = cursor;
        size_t first;
        int status;

        if (line_end == NULL)
            line_end = data_end;
        *line_end = '\0';
        cursor = line_end + 1;
        line_number++;

        line += strspn(line, BLANKS);
        if (*line == '\0') {
            label = NULL;
            continue;
        }
        if (*line == '#') {
            label = comment_text(line);
            continue;
        }

        first = builder->id_count;
        status = parse_line(builder, line, line_number, source);
        if (status != CLI_CONTINUE)
            return status;
        if (!push_sequence(builder, line_number, label)) {
            cli_error("%s:%ld: out of memory", source, line_number);
            return CLI_EXIT_DATA;
        }
        label = NULL;

        if (rectangular && builder->sequence_count > 1) {
            int64_t expected = builder->offsets[1];
            int64_t got = (int64_t)(builder->id_count - first);

            if (got != expected) {
                cli_error("%s:%ld: %lld ids, but line %ld has %lld (every "
                          "sequence must have the same length)",
                          source, line_number, (long long)got,
                          builder->lines[0], (long long)expected);
                return CLI_EXIT_DATA;
            }
        }
    }
    if (builder->sequence_count == 0) {
        cli_error("%s: no ids found (only empty lines and comments)", source);
        return CLI_EXIT_DATA;
    }
    return CLI_CONTINUE;
}

int ids_read_text(const char *path, bool rectangular, id_sequences *out)
{
    const char *source = display_name(path);
    text_check check = {source, 1};
    ids_builder builder = {0};
    char *data, *source_copy;
    size_t size;
    int status;

    memset(out, 0, sizeof(*out));
    status = read_whole_file(path, check_text_bytes, &check, &data, &size);
    if (status != CLI_CONTINUE)
        return status;

    status = parse_text(data, size, rectangular, source, &builder);
    free(data);
    if (status != CLI_CONTINUE) {
        builder_free(&builder);
        return status;
    }
    source_copy = strdup(source);
    if (source_copy == NULL) {
        cli_error("%s: out of memory", source);
        builder_free(&builder);
        return CLI_EXIT_DATA;
    }

    out->source = source_copy;
    out->ids = builder.ids;
    out->offsets = builder.offsets;
    out->count = (int64_t)builder.sequence_count;
    out->lines = builder.lines;
    out->labels = builder.labels;
    return CLI_CONTINUE;
}

void ids_free(id_sequences *sequences)
{
    if (sequences->labels != NULL) {
        for (int64_t i = 0; i < sequences->count; i++)
            free(sequences->labels[i]);
    }
    free(sequences->labels);
    free(sequences->lines);
    free(sequences->offsets);
    free(sequences->ids);
    free(sequences->source);
    memset(sequences, 0, sizeof(*sequences));
}

int64_t ids_length(const id_sequences *sequences, int64_t index)
{
    return sequences->offsets[index + 1] - sequences->offsets[index];
}

int64_t ids_seq_len(const id_sequences *sequences)
{
    return ids_length(sequences, 0);
}

int ids_check_range(const id_sequences *sequences, int64_t limit,
                    const char *what)
{
    for (int64_t b = 0; b < sequences->count; b++) {
        int64_t first = sequences->offsets[b];

        for (int64_t t = 0; t < ids_length(sequences, b); t++) {
            int64_t id = sequences->ids[first + t];

            if (id >= 0 && id < limit)
                continue;
            if (sequences->lines != NULL)
                cli_error("%s:%ld: %s %lld at index %lld on the line is "
                          "outside [0, %lld)",
                          sequences->source, sequences->lines[b], what,
                          (long long)id, (long long)t, (long long)limit);
            else
                cli_error("%s: %s %lld at [%lld, %lld] is outside [0, %lld)",
                          sequences->source, what, (long long)id,
                          (long long)b, (long long)t, (long long)limit);
            return CLI_EXIT_DATA;
        }
    }
    return CLI_CONTINUE;
}

int ids_check_same_shape(const id_sequences *ids, const id_sequences *other,
                         const char *what)
{
    if (other->count == ids->count && ids_seq_len(other) == ids_seq_len(ids))
        return CLI_CONTINUE;
    cli_error("%s: %lld x %lld %s, but %s has %lld x %lld token ids (the "
              "shapes must match)",
              other->source, (long long)other->count,
              (long long)ids_seq_len(other), what, ids->source,
              (long long)ids->count, (long long)ids_seq_len(ids));
    return CLI_EXIT_DATA;
}
