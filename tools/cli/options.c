/*
 * The option table of embedding-cli and the parser and --help printer it
 * drives. Options take "--name VALUE" or "--name=VALUE"; the last repeat of
 * an option wins.
 */
#include "options.h"

#include <float.h>
#include <stddef.h>
#include <string.h>

#include "common.h"
#include "embedding/embedding.h"
#include "ids.h"

#ifndef EMB_DEFAULT_DATA_DIR
#define EMB_DEFAULT_DATA_DIR "tests/data"
#endif

/* Column where help texts start, and the width they are wrapped to. */
#define HELP_COLUMN 28
#define HELP_WIDTH 79

typedef enum option_kind {
    OPTION_HEADING,  /* not an option: a section title in --help */
    OPTION_FLAG,     /* bool, no value */
    OPTION_STRING,   /* const char * pointing into argv */
    OPTION_INT64,    /* int64_t in [int_min, int_max] */
    OPTION_UINT64,   /* uint64_t, any value */
    OPTION_REAL,     /* finite double in [real_min, real_max] */
    OPTION_CHOICE    /* int32_t chosen by name */
} option_kind;

typedef struct option_choice {
    const char *name;
    int32_t value;
} option_choice;

typedef struct option_spec {
    const char *name;          /* without "--"; heading text for headings */
    const char *value_name;    /* shown in --help; NULL for flags */
    option_kind kind;
    size_t offset;             /* of the value in cli_options */
    bool has_given_field;      /* whether given_offset names a bool field */
    size_t given_offset;       /* bool set to true when the option appears */
    int64_t int_min, int_max;
    double real_min, real_max;
    bool real_min_exclusive;   /* the value must be > real_min */
    const option_choice *choices;  /* NULL-terminated */
    const char *help;          /* wrapped by --help */
} option_spec;

static const option_choice KERNELS[] = {
    {"auto", EMB_KERNEL_AUTO},
    {"reference", EMB_KERNEL_REFERENCE},
    {"blas", EMB_KERNEL_BLAS},
    {"fused", EMB_KERNEL_FUSED},
    {NULL, 0},
};

static const option_choice POSITION_KINDS[] = {
    {"learned", EMB_POSITION_LEARNED},
    {"sinusoidal", EMB_POSITION_SINUSOIDAL},
    {"none", EMB_POSITION_NONE},
    {NULL, 0},
};

static const option_choice LAYOUTS[] = {
    {"interleaved", EMB_SINUSOID_INTERLEAVED},
    {"split", EMB_SINUSOID_SPLIT},
    {NULL, 0},
};

#define FIELD(field) offsetof(cli_options, field)
#define HEADING(text) {.name = (text), .kind = OPTION_HEADING}
#define FLAG(name_, field, help_) \
    {.name = (name_), .kind = OPTION_FLAG, .offset = FIELD(field), \
     .help = (help_)}
#define STRING(name_, value_, field, help_) \
    {.name = (name_), .value_name = (value_), .kind = OPTION_STRING, \
     .offset = FIELD(field), .help = (help_)}
#define INT64(name_, value_, field, min_, max_, help_) \
    {.name = (name_), .value_name = (value_), .kind = OPTION_INT64, \
     .offset = FIELD(field), .int_min = (min_), .int_max = (max_), \
     .help = (help_)}
#define CHOICE(name_, value_, field, choices_, help_) \
    {.name = (name_), .value_name = (value_), .kind = OPTION_CHOICE, \
     .offset = FIELD(field), .choices = (choices_), .help = (help_)}
#define GIVEN(field) .has_given_field = true, .given_offset = FIELD(field)

static const option_spec OPTIONS[] = {
    HEADING("Input and output"),
    STRING("ids", "FILE", ids_path,
           "token ids as text: one sequence per line, ids separated by "
           "blanks, every line the same length; '-' reads stdin; empty "
           "lines and lines starting with '#' are skipped"),
    STRING("npy-ids", "FILE", npy_ids_path,
           ".npy token ids: int32 or int64, little-endian, C order, shape "
           "[seq_len] or [batch, seq_len]"),
    STRING("position-ids", "FILE", position_ids_path,
           "explicit position of every token, same text format and shape "
           "as the ids (positions then do not come from --start)"),
    STRING("token-type-ids", "FILE", token_type_ids_path,
           "token-type (segment) id of every token, same text format and "
           "shape as the ids; needs --token-types"),
    STRING("output", "FILE.npy", output_path,
           "write the embeddings as a float32 .npy array [batch, seq_len, "
           "dim]; the demo writes its GPL-3 batch; replaces a regular file "
           "(a symbolic link itself, not its target) and rejects a "
           "directory, FIFO or device"),
    STRING("data-dir", "DIR", data_dir,
           "directory with sentences.txt and gpl3_ids.txt for the demo "
           "(default " EMB_DEFAULT_DATA_DIR ")"),
    FLAG("quiet", quiet, "print nothing but errors"),

    HEADING("Tables (seeded normal values)"),
    INT64("vocab", "N", vocab_size, 1, INT64_MAX,
          "rows of the token table, in tokens (default 50257)"),
    INT64("dim", "N", dim, 1, INT64_MAX,
          "embedding width, in floats per row (default 768)"),
    INT64("context", "N", context_length, 1, INT64_MAX,
          "rows of the position table: the longest sequence, in tokens "
          "(default 1024; unused with --positions none)"),
    {.name = "seed", .value_name = "N", .kind = OPTION_UINT64,
     .offset = FIELD(seed),
     .help = "seed of the table values, 0 to 2^64 - 1 (default 0)"},
    {.name = "stddev", .value_name = "X", .kind = OPTION_REAL,
     .offset = FIELD(stddev), .real_min = 0.0, .real_max = DBL_MAX,
     .help = "standard deviation of the table values (mean 0); 0 gives "
             "all-zero tables (default 0.02)"},
    CHOICE("positions", "KIND", position_kind, POSITION_KINDS,
           "learned: a random [context, dim] table as in GPT-2; "
           "sinusoidal: the fixed sin/cos table; none: no positions "
           "(default learned)"),
    {.name = "sinusoid-base", .value_name = "X", .kind = OPTION_REAL,
     .offset = FIELD(sinusoid_base), .real_min = 0.0,
     .real_min_exclusive = true, .real_max = DBL_MAX,
     .help = "base of the sinusoid wavelengths, > 0 (default 10000)"},
    CHOICE("sinusoid-layout", "LAYOUT", sinusoid_layout, LAYOUTS,
           "interleaved: sin, cos, sin, cos, ...; split: all sines, "
           "then all cosines (default interleaved)"),
    {.name = "padding-id", .value_name = "N", .kind = OPTION_INT64,
     .offset = FIELD(padding_id), GIVEN(has_padding_id), .int_min = 0,
     .int_max = INT64_MAX,
     .help = "token id whose row is all zeros, in [0, vocab) (default "
             "none)"},
    {.name = "scale", .value_name = "X", .kind = OPTION_REAL,
     .offset = FIELD(scale), GIVEN(has_scale), .real_min = -FLT_MAX,
     .real_max = FLT_MAX,
     .help = "factor multiplied into token rows before positions are "
             "added, e.g. 27.7128 = sqrt(768) (default none)"},
    INT64("token-types", "N", token_type_count, 0, INT64_MAX,
          "rows of the token-type table; 0 = no table (default 0)"),

    HEADING("Weights file (instead of the random tables)"),
    STRING("weights", "FILE", weights_path,
           "load the tables from a safetensors file (F32, F16 or BF16 "
           "tensors, shapes from the file); the table options above are "
           "not used, except --positions none for a file without a "
           "position tensor"),
    STRING("token-tensor", "NAME", token_tensor,
           "token table tensor in --weights (default wte.weight, else "
           "transformer.wte.weight)"),
    STRING("position-tensor", "NAME", position_tensor,
           "position table tensor in --weights (default wpe.weight, else "
           "transformer.wpe.weight)"),
    FLAG("mmap", mmap,
         "map --weights read-only and use 64-byte aligned F32 tensors in "
         "place instead of reading them into memory"),

    HEADING("Forward"),
    INT64("start", "N", start, 0, INT64_MAX,
          "position of the first token, 0-based (default 0)"),
    INT64("threads", "N", threads, 0, INT32_MAX,
          "worker threads; 0 = one per online CPU (default 0); a call "
          "with under 1 MiB of output runs on the calling thread alone"),
    CHOICE("kernel", "NAME", kernel, KERNELS,
           "auto, reference (plain C loop), blas (OpenBLAS calls) or "
           "fused (one SIMD pass); all give identical results (default "
           "auto)"),
    INT64("repeat", "N", repeat, 1, 1000000,
          "timed forward calls, after one untimed warm-up call "
          "(default 5)"),

    HEADING("Information"),
    FLAG("help", help, "print this help and exit"),
    FLAG("version", version, "print the program and library versions and "
                             "exit"),
};

#define OPTION_COUNT (sizeof(OPTIONS) / sizeof(OPTIONS[0]))

static void set_defaults(cli_options *options)
{
    memset(options, 0, sizeof(*options));
    options->data_dir = EMB_DEFAULT_DATA_DIR;
    options->vocab_size = 50257;
    options->dim = 768;
    options->context_length = 1024;
    options->seed = 0;
    options->stddev = 0.02;
    options->position_kind = EMB_POSITION_LEARNED;
    options->sinusoid_base = 10000.0;
    options->sinusoid_layout = EMB_SINUSOID_INTERLEAVED;
    options->kernel = EMB_KERNEL_AUTO;
    options->repeat = 5;
}

/* Prints text from HELP_COLUMN on, wrapped at word boundaries. */
static void print_wrapped(const char *text)
{
    int column = HELP_COLUMN;

    while (*text != '\0') {
        int word = (int)strcspn(text, " ");

        if (column > HELP_COLUMN && column + 1 + word > HELP_WIDTH) {
            printf("\n%*s", HELP_COLUMN, "");
            column = HELP_COLUMN;
        } else if (column > HELP_COLUMN) {
            putchar(' ');
            column++;
        }
        printf("%.*s", word, text);
        column += word;
        text += word;
        text += strspn(text, " ");
    }
    putchar('\n');
}

static void print_help(void)
{
    printf("Usage: %s [OPTION]...\n"
           "Computes input embeddings out[b, t, :] = token[ids[b, t], :] +\n"
           "position[start + t, :] with libembedding from seeded random "
           "tables\n(or the tables of a safetensors file, --weights), and "
           "reports shapes,\ntime and throughput.\n\n"
           "Without --ids or --npy-ids it runs the demo: GPT-2 small shapes "
           "on the\ndemo sentences and the GPL-3 token ids of the data "
           "directory, with\ncosine similarities that show why positions "
           "are added.\n",
           CLI_NAME);
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const option_spec *spec = &OPTIONS[i];
        int width;

        if (spec->kind == OPTION_HEADING) {
            printf("\n%s:\n", spec->name);
            continue;
        }
        width = printf("  --%s%s%s", spec->name, spec->value_name ? " " : "",
                       spec->value_name ? spec->value_name : "");
        if (width >= HELP_COLUMN) {
            putchar('\n');
            width = 0;
        }
        printf("%*s", HELP_COLUMN - width, "");
        print_wrapped(spec->help);
    }
    printf("\nNumbers are decimal: integers (ids too) are digits with an "
           "optional leading\n'-', without '+', blanks or hex. An id file "
           "holds at most %zu MiB, and a\nline at most %lld ids.\n",
           CLI_MAX_INPUT_BYTES >> 20, (long long)IDS_MAX_PER_LINE);
    printf("\nExit status: 0 on success, 1 for bad input data, a failed "
           "write or a\nlibrary error, 2 for a bad command line.\n");
}

static const option_spec *find_option(const char *name, size_t length)
{
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const option_spec *spec = &OPTIONS[i];

        if (spec->kind != OPTION_HEADING &&
            strlen(spec->name) == length &&
            memcmp(spec->name, name, length) == 0)
            return spec;
    }
    return NULL;
}

static void describe_choices(const option_choice *choices, char *out,
                             size_t size)
{
    size_t used = 0;

    out[0] = '\0';
    for (const option_choice *choice = choices; choice->name != NULL;
         choice++)
        used += (size_t)snprintf(out + used, size - used, "%s%s",
                                 used > 0 ? ", " : "", choice->name);
}

static int reject_value(const option_spec *spec, const char *value,
                        const char *expected)
{
    char quoted[64];

    quote_for_message(value, strlen(value), quoted, sizeof(quoted));
    cli_error("invalid value \"%s\" for --%s (expected %s)", quoted,
              spec->name, expected);
    return CLI_EXIT_USAGE;
}

static int apply_int64(const option_spec *spec, const char *value,
                       char *field)
{
    char expected[96];
    int64_t parsed;

    if (spec->int_max == INT64_MAX)
        snprintf(expected, sizeof(expected), "an integer >= %lld",
                 (long long)spec->int_min);
    else
        snprintf(expected, sizeof(expected), "an integer from %lld to %lld",
                 (long long)spec->int_min, (long long)spec->int_max);
    if (!parse_int64(value, &parsed) || parsed < spec->int_min ||
        parsed > spec->int_max)
        return reject_value(spec, value, expected);
    memcpy(field, &parsed, sizeof(parsed));
    return CLI_CONTINUE;
}

static int apply_real(const option_spec *spec, const char *value,
                      char *field)
{
    char expected[96];
    double parsed;
    bool below;

    if (spec->real_max != DBL_MAX)
        snprintf(expected, sizeof(expected), "a number from %g to %g",
                 spec->real_min, spec->real_max);
    else
        snprintf(expected, sizeof(expected), "a finite number %s %g",
                 spec->real_min_exclusive ? ">" : ">=", spec->real_min);
    if (!parse_double(value, &parsed))
        return reject_value(spec, value, expected);
    below = spec->real_min_exclusive ? parsed <= spec->real_min
                                     : parsed < spec->real_min;
    if (below || parsed > spec->real_max)
        return reject_value(spec, value, expected);
    memcpy(field, &parsed, sizeof(parsed));
    return CLI_CONTINUE;
}

/* Stores `value` into the field of `spec`. */
static int apply_value(const option_spec *spec, const char *value,
                       cli_options *options)
{
    char *field = (char *)options + spec->offset;
    char expected[128];
    uint64_t unsigned_value;

    switch (spec->kind) {
    case OPTION_STRING:
        if (value[0] == '\0')
            return reject_value(spec, value, "a non-empty path");
        memcpy(field, &value, sizeof(value));
        return CLI_CONTINUE;
    case OPTION_INT64:
        return apply_int64(spec, value, field);
    case OPTION_UINT64:
        if (!parse_uint64(value, &unsigned_value))
            return reject_value(spec, value,
                                "an integer from 0 to 18446744073709551615");
        memcpy(field, &unsigned_value, sizeof(unsigned_value));
        return CLI_CONTINUE;
    case OPTION_REAL:
        return apply_real(spec, value, field);
    case OPTION_CHOICE:
        for (const option_choice *choice = spec->choices;
             choice->name != NULL; choice++) {
            if (strcmp(choice->name, value) == 0) {
                memcpy(field, &choice->value, sizeof(choice->value));
                return CLI_CONTINUE;
            }
        }
        describe_choices(spec->choices, expected, sizeof(expected));
        return reject_value(spec, value, expected);
    default:
        return CLI_EXIT_USAGE;
    }
}

/* Rejects options that need --weights, or that a weights file replaces. */
static int check_weights(const cli_options *options)
{
    if (options->weights_path == NULL) {
        if (options->token_tensor != NULL ||
            options->position_tensor != NULL || options->mmap) {
            cli_error("--token-tensor, --position-tensor and --mmap need "
                      "--weights FILE");
            return CLI_EXIT_USAGE;
        }
        return CLI_CONTINUE;
    }
    if (options->position_kind == EMB_POSITION_SINUSOIDAL) {
        cli_error("--positions sinusoidal cannot be used with --weights: "
                  "the positions come from the file");
        return CLI_EXIT_USAGE;
    }
    if (options->position_kind == EMB_POSITION_NONE &&
        options->position_tensor != NULL) {
        cli_error("--position-tensor cannot be used with --positions none");
        return CLI_EXIT_USAGE;
    }
    if (options->has_padding_id || options->has_scale) {
        cli_error("--padding-id and --scale cannot be used with --weights");
        return CLI_EXIT_USAGE;
    }
    return CLI_CONTINUE;
}

/* Rejects combinations that no single option can check. */
static int check_combinations(const cli_options *options)
{
    bool has_ids = options->ids_path != NULL || options->npy_ids_path != NULL;
    int status = check_weights(options);

    if (status != CLI_CONTINUE)
        return status;

    /* A binary .npy on a terminal or pipe is rarely intended, and the
     * atomic write needs a directory to create its temporary file in. */
    if (options->output_path != NULL && strcmp(options->output_path, "-") == 0) {
        cli_error("--output needs a file name; standard output ('-') is not "
                  "supported");
        return CLI_EXIT_USAGE;
    }
    if (options->ids_path != NULL && options->npy_ids_path != NULL) {
        cli_error("--ids and --npy-ids cannot be used together");
        return CLI_EXIT_USAGE;
    }
    if (!has_ids && (options->position_ids_path != NULL ||
                     options->token_type_ids_path != NULL)) {
        cli_error("--position-ids and --token-type-ids need --ids or "
                  "--npy-ids");
        return CLI_EXIT_USAGE;
    }
    /* A weights file brings its own token-type table, if any. */
    if (options->token_type_ids_path != NULL &&
        options->token_type_count == 0 && options->weights_path == NULL) {
        cli_error("--token-type-ids needs a token-type table: set "
                  "--token-types N");
        return CLI_EXIT_USAGE;
    }
    if (options->position_ids_path != NULL && options->start != 0) {
        cli_error("--start cannot be used with --position-ids");
        return CLI_EXIT_USAGE;
    }
    if (options->position_ids_path != NULL &&
        options->position_kind == EMB_POSITION_NONE) {
        cli_error("--position-ids cannot be used with --positions none");
        return CLI_EXIT_USAGE;
    }
    if (options->has_padding_id &&
        options->padding_id >= options->vocab_size) {
        cli_error("--padding-id %lld is outside [0, %lld) (the --vocab rows)",
                  (long long)options->padding_id,
                  (long long)options->vocab_size);
        return CLI_EXIT_USAGE;
    }
    return CLI_CONTINUE;
}

int cli_options_parse(int argc, char **argv, cli_options *options)
{
    set_defaults(options);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *name = arg + 2;
        const char *value = NULL;
        const option_spec *spec;
        size_t name_length;
        int status;

        if (strcmp(arg, "-h") == 0)
            name = "help";
        else if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            cli_error("unexpected argument \"%s\" (options start with --; "
                      "see --help)",
                      arg);
            return CLI_EXIT_USAGE;
        }
        name_length = strcspn(name, "=");
        if (name[name_length] == '=')
            value = name + name_length + 1;
        spec = find_option(name, name_length);
        if (spec == NULL) {
            cli_error("unknown option --%.*s (see --help)", (int)name_length,
                      name);
            return CLI_EXIT_USAGE;
        }

        if (spec->kind == OPTION_FLAG) {
            if (value != NULL) {
                cli_error("option --%s takes no value", spec->name);
                return CLI_EXIT_USAGE;
            }
            *(bool *)((char *)options + spec->offset) = true;
            continue;
        }
        if (value == NULL) {
            if (i + 1 >= argc) {
                cli_error("option --%s needs a value (%s)", spec->name,
                          spec->value_name);
                return CLI_EXIT_USAGE;
            }
            value = argv[++i];
        }
        status = apply_value(spec, value, options);
        if (status != CLI_CONTINUE)
            return status;
        if (spec->has_given_field)
            *(bool *)((char *)options + spec->given_offset) = true;
    }

    if (options->help) {
        print_help();
        return CLI_EXIT_OK;
    }
    if (options->version) {
        printf("%s %s (libembedding %s)\n", CLI_NAME, EMB_VERSION_STRING,
               emb_version_string());
        return CLI_EXIT_OK;
    }
    return check_combinations(options);
}

static const char *choice_name(const option_choice *choices, int32_t value)
{
    for (const option_choice *choice = choices; choice->name != NULL;
         choice++) {
        if (choice->value == value)
            return choice->name;
    }
    return "unknown";
}

const char *cli_kernel_name(int32_t kernel)
{
    return choice_name(KERNELS, kernel);
}

const char *cli_positions_name(int32_t position_kind)
{
    return choice_name(POSITION_KINDS, position_kind);
}
