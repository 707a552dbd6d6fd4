/*
 * Command-line options of embedding-cli. One table in options.c describes
 * every option (name, value kind, range, help text) and drives both parsing
 * and --help. A new option is one table entry plus its field here.
 */
#ifndef EMB_CLI_OPTIONS_H
#define EMB_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct cli_options {
    /* Input and output; NULL when not given. */
    const char *ids_path;
    const char *npy_ids_path;
    const char *position_ids_path;
    const char *token_type_ids_path;
    const char *output_path;
    const char *data_dir;

    /* Tables. */
    int64_t vocab_size;
    int64_t dim;
    int64_t context_length;
    uint64_t seed;
    double stddev;
    int32_t position_kind;    /* EMB_POSITION_* */
    double sinusoid_base;
    int32_t sinusoid_layout;  /* EMB_SINUSOID_* */
    int64_t padding_id;
    bool has_padding_id;
    double scale;
    bool has_scale;
    int64_t token_type_count;

    /* Weights file (safetensors) replacing the random tables; NULL when
     * not given. */
    const char *weights_path;
    const char *token_tensor;
    const char *position_tensor;
    bool mmap;

    /* Forward. */
    int64_t start;
    int64_t threads;
    int32_t kernel;           /* EMB_KERNEL_* */
    int64_t repeat;

    bool quiet;
    bool help;
    bool version;
} cli_options;

/* Parses argv into *options, starting from the defaults. Returns
 * CLI_CONTINUE to go on, CLI_EXIT_OK after printing --help or --version, or
 * CLI_EXIT_USAGE after printing a one-line message for a bad command line
 * (unknown option, missing or invalid value, conflicting options). */
int cli_options_parse(int argc, char **argv, cli_options *options);

/* Names used on the command line, for printing. */
const char *cli_kernel_name(int32_t kernel);
const char *cli_positions_name(int32_t position_kind);

#endif /* EMB_CLI_OPTIONS_H */
