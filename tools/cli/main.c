/*
 * embedding-cli: embeds batches of token ids with libembedding's public API
 * and reports shapes, time and throughput; optionally writes the result as
 * a float32 .npy file. Without an id file it runs the demo on GPT-2 token
 * ids of the data directory (see demo.c).
 *
 * Order of work: parse the command line, read and check every input, create
 * the model, run the forward pass, print, and write the output file last,
 * so a failure never leaves a partial output file.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "demo.h"
#include "embedding/embedding.h"
#include "ids.h"
#include "npy.h"
#include "options.h"

#define SENTENCES_FILE "sentences.txt"
#define BATCH_FILE "gpl3_ids.txt"
/* Output size below which libembedding runs a forward call on the calling
 * thread alone. NOTE: copied from PARALLEL_MIN_BYTES in src/forward.c,
 * which the public API does not expose; keep the two equal. */
#define SINGLE_THREAD_BYTES ((double)(1 << 20))

/* Everything the run reads. An empty id_sequences is an unused input. */
typedef struct run_inputs {
    id_sequences ids;             /* the batch that is timed and written */
    id_sequences position_ids;    /* --position-ids */
    id_sequences token_type_ids;  /* --token-type-ids */
    id_sequences sentences;       /* demo sentences (default run only) */
} run_inputs;

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Prints a byte count with a decimal unit (B, kB, MB, GB). */
static void print_bytes(double bytes)
{
    if (bytes < 1e3)
        printf("%.0f B", bytes);
    else if (bytes < 1e6)
        printf("%.1f kB", bytes / 1e3);
    else if (bytes < 1e9)
        printf("%.1f MB", bytes / 1e6);
    else
        printf("%.2f GB", bytes / 1e9);
}

/* Prints a duration in ms, or in us below 0.1 ms. */
static void print_duration(double seconds)
{
    if (seconds < 1e-4)
        printf("%.2f us", seconds * 1e6);
    else
        printf("%.3f ms", seconds * 1e3);
}

static void print_library_error(const char *what, emb_status status,
                                const emb_error *err)
{
    if (err->message[0] != '\0')
        cli_error("%s: %s: %s", what, emb_status_message(status),
                  err->message);
    else
        cli_error("%s: %s", what, emb_status_message(status));
}

static bool is_demo(const cli_options *options)
{
    return options->ids_path == NULL && options->npy_ids_path == NULL;
}

/* Reads data_dir/name as a text id file. A file that cannot be opened
 * gets one line with the hint to --data-dir; other errors name the file. */
static int read_data_file(const char *data_dir, const char *name,
                          bool rectangular, id_sequences *out)
{
    size_t size = strlen(data_dir) + strlen(name) + 2;
    char *path = malloc(size);
    FILE *probe;
    int status;

    if (path == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_DATA;
    }
    snprintf(path, size, "%s/%s", data_dir, name);
    probe = fopen(path, "rb");
    if (probe == NULL) {
        cli_error("cannot open %s: %s (the demo reads its ids from %s; set "
                  "another directory with --data-dir DIR or embed a file "
                  "with --ids FILE)",
                  path, strerror(errno), data_dir);
        free(path);
        return CLI_EXIT_DATA;
    }
    fclose(probe);
    status = ids_read_text(path, rectangular, out);
    free(path);
    return status;
}

static int read_inputs(const cli_options *options, run_inputs *inputs)
{
    int status;

    if (is_demo(options)) {
        status = read_data_file(options->data_dir, SENTENCES_FILE, false,
                                &inputs->sentences);
        if (status == CLI_CONTINUE)
            status = read_data_file(options->data_dir, BATCH_FILE, true,
                                    &inputs->ids);
        return status;
    }

    if (options->ids_path != NULL)
        status = ids_read_text(options->ids_path, true, &inputs->ids);
    else
        status = npy_read_ids(options->npy_ids_path, &inputs->ids);
    if (status == CLI_CONTINUE && options->position_ids_path != NULL) {
        status = ids_read_text(options->position_ids_path, true,
                               &inputs->position_ids);
        if (status == CLI_CONTINUE)
            status = ids_check_same_shape(&inputs->ids, &inputs->position_ids,
                                          "position ids");
    }
    if (status == CLI_CONTINUE && options->token_type_ids_path != NULL) {
        status = ids_read_text(options->token_type_ids_path, true,
                               &inputs->token_type_ids);
        if (status == CLI_CONTINUE)
            status = ids_check_same_shape(&inputs->ids,
                                          &inputs->token_type_ids,
                                          "token-type ids");
    }
    return status;
}

static void free_inputs(run_inputs *inputs)
{
    ids_free(&inputs->ids);
    ids_free(&inputs->position_ids);
    ids_free(&inputs->token_type_ids);
    ids_free(&inputs->sentences);
}

/* Loads the tables from --weights. */
static int load_weights(const cli_options *options, emb_model **model)
{
    emb_load_options load_options;
    emb_error err;
    emb_status status;

    emb_load_options_init(&load_options);
    load_options.mode = options->mmap ? EMB_LOAD_MMAP : EMB_LOAD_COPY;
    load_options.token_tensor = options->token_tensor;
    load_options.position_tensor = options->position_tensor;
    load_options.no_position_tensor =
        options->position_kind == EMB_POSITION_NONE;
    load_options.num_threads = (int32_t)options->threads;
    load_options.kernel = options->kernel;

    emb_error_init(&err);
    status = emb_model_load_safetensors(options->weights_path, &load_options,
                                        model, &err);
    if (status != EMB_OK) {
        print_library_error("cannot load the weights", status, &err);
        return CLI_EXIT_DATA;
    }
    return CLI_CONTINUE;
}

static int create_model(const cli_options *options, emb_model **model)
{
    emb_model_options model_options;
    emb_error err;
    emb_status status;

    if (options->weights_path != NULL)
        return load_weights(options, model);
    emb_model_options_init(&model_options);
    model_options.init = EMB_INIT_NORMAL;
    model_options.vocab_size = options->vocab_size;
    model_options.dim = options->dim;
    model_options.context_length =
        options->position_kind == EMB_POSITION_NONE ? 0
                                                    : options->context_length;
    model_options.seed = options->seed;
    model_options.stddev = options->stddev;
    model_options.position_kind = options->position_kind;
    model_options.sinusoid_base = options->sinusoid_base;
    model_options.sinusoid_layout = options->sinusoid_layout;
    model_options.has_padding_id = options->has_padding_id;
    model_options.padding_id = options->padding_id;
    model_options.has_scale = options->has_scale;
    model_options.scale = (float)options->scale;
    model_options.token_type_count = options->token_type_count;
    model_options.num_threads = (int32_t)options->threads;
    model_options.kernel = options->kernel;

    emb_error_init(&err);
    status = emb_model_create(&model_options, model, &err);
    if (status != EMB_OK) {
        print_library_error("cannot create the model", status, &err);
        return CLI_EXIT_DATA;
    }
    return CLI_CONTINUE;
}

/* Checks every id against its table, so a bad id is reported with its file
 * and line rather than as a flat index. */
static int check_ranges(const emb_model *model, const run_inputs *inputs)
{
    int status = ids_check_range(&inputs->ids, emb_model_vocab_size(model),
                                 "token id");

    if (status == CLI_CONTINUE && inputs->sentences.count > 0)
        status = ids_check_range(&inputs->sentences,
                                 emb_model_vocab_size(model), "token id");
    if (status == CLI_CONTINUE && inputs->position_ids.count > 0)
        status = ids_check_range(&inputs->position_ids,
                                 emb_model_context_length(model), "position");
    if (status == CLI_CONTINUE && inputs->token_type_ids.count > 0)
        status = ids_check_range(&inputs->token_type_ids,
                                 emb_model_token_type_count(model),
                                 "token-type id");
    return status;
}

static emb_status forward_batch(const emb_model *model,
                                const cli_options *options,
                                const run_inputs *inputs, float *output,
                                int64_t output_count, emb_error *err)
{
    const int64_t *positions =
        inputs->position_ids.count > 0 ? inputs->position_ids.ids : NULL;
    const int64_t *types =
        inputs->token_type_ids.count > 0 ? inputs->token_type_ids.ids : NULL;

    emb_error_init(err);
    return emb_forward_ex_i64(model, inputs->ids.ids, positions, types,
                              inputs->ids.count, ids_seq_len(&inputs->ids),
                              options->start, output, output_count, err);
}

static void print_tables(const cli_options *options, const emb_model *model,
                         double fill_seconds)
{
    int64_t dim = emb_model_dim(model);
    int64_t rows = emb_model_vocab_size(model) +
                   emb_model_table_rows(model, EMB_TABLE_POSITION) +
                   emb_model_token_type_count(model);
    int32_t kind = emb_model_position_kind(model);

    printf("%s %s, libembedding %s\n", CLI_NAME, EMB_VERSION_STRING,
           emb_version_string());
    printf("tables:  token %lld x %lld", (long long)emb_model_vocab_size(model),
           (long long)dim);
    if (kind == EMB_POSITION_NONE)
        printf(", no positions");
    else
        printf(", %s positions %lld x %lld", cli_positions_name(kind),
               (long long)emb_model_context_length(model), (long long)dim);
    if (kind == EMB_POSITION_SINUSOIDAL)
        printf(" (base %g, %s)", options->sinusoid_base,
               options->sinusoid_layout == EMB_SINUSOID_SPLIT ? "split"
                                                              : "interleaved");
    if (emb_model_token_type_count(model) > 0)
        printf(", token types %lld x %lld",
               (long long)emb_model_token_type_count(model), (long long)dim);
    printf(", fp32, ");
    print_bytes((double)rows * (double)dim * 4.0);
    printf("\n");
    if (options->weights_path != NULL) {
        printf("         from %s (%s), loaded in %.3f s\n",
               options->weights_path,
               options->mmap ? "mapped where aligned F32" : "copied",
               fill_seconds);
        return;
    }
    printf("         normal(0, %g) seed %llu", options->stddev,
           (unsigned long long)options->seed);
    if (options->has_padding_id)
        printf(", padding id %lld", (long long)options->padding_id);
    if (options->has_scale)
        printf(", token rows scaled by %g", options->scale);
    printf(", filled in %.3f s\n", fill_seconds);
}

static void print_forward(const cli_options *options, const emb_model *model,
                          const run_inputs *inputs, double seconds_per_call)
{
    int64_t batch = inputs->ids.count;
    int64_t seq_len = ids_seq_len(&inputs->ids);
    int64_t dim = emb_model_dim(model);
    double tokens = (double)batch * (double)seq_len;
    double output_bytes = tokens * (double)dim * 4.0;
    /* Rows touched per token: the output row written, the token row read,
     * and the position and token-type rows when they are added. */
    int rows_touched = 2 +
                       (emb_model_position_kind(model) != EMB_POSITION_NONE) +
                       (inputs->token_type_ids.count > 0);

    printf("input:   %s, %lld x %lld ids (batch x seq_len)", inputs->ids.source,
           (long long)batch, (long long)seq_len);
    if (inputs->position_ids.count > 0)
        printf(", positions from %s", inputs->position_ids.source);
    else if (emb_model_position_kind(model) != EMB_POSITION_NONE)
        printf(", positions %lld to %lld", (long long)options->start,
               (long long)(options->start + seq_len - 1));
    if (inputs->token_type_ids.count > 0)
        printf(", token types from %s", inputs->token_type_ids.source);
    printf("\noutput:  %lld x %lld x %lld fp32, ", (long long)batch,
           (long long)seq_len, (long long)dim);
    print_bytes(output_bytes);
    printf("\nforward: kernel %s, %d threads, mean of %lld call%s after a "
           "warm-up call\n",
           cli_kernel_name(options->kernel), emb_model_num_threads(model),
           (long long)options->repeat, options->repeat == 1 ? "" : "s");
    printf("         ");
    print_duration(seconds_per_call);
    printf(" per call, %.2f M tokens/s, %.2f GB/s (table rows read + output "
           "written, per token)\n",
           tokens / seconds_per_call / 1e6,
           output_bytes * rows_touched / seconds_per_call / 1e9);
    if (output_bytes < SINGLE_THREAD_BYTES)
        printf("         note: outputs under 1 MiB run on the calling "
               "thread; rates may come from cache\n");
}

/* Runs the warm-up call and the timed calls, and stores the mean time. */
static int run_forward(const cli_options *options, const emb_model *model,
                       const run_inputs *inputs, float *output,
                       int64_t output_count, double *seconds_per_call)
{
    emb_error err;
    emb_status status;
    double started;
    char what[512];

    snprintf(what, sizeof(what), "forward of %s failed", inputs->ids.source);
    status = forward_batch(model, options, inputs, output, output_count, &err);
    if (status != EMB_OK) {
        print_library_error(what, status, &err);
        return CLI_EXIT_DATA;
    }
    started = now_seconds();
    for (int64_t i = 0; i < options->repeat; i++) {
        status = forward_batch(model, options, inputs, output, output_count,
                               &err);
        if (status != EMB_OK) {
            print_library_error(what, status, &err);
            return CLI_EXIT_DATA;
        }
    }
    *seconds_per_call = (now_seconds() - started) / (double)options->repeat;
    /* A clock tick longer than the calls would give 0 and infinite rates. */
    if (*seconds_per_call < 1e-9)
        *seconds_per_call = 1e-9;
    return CLI_CONTINUE;
}

static int write_output(const cli_options *options, const emb_model *model,
                        const run_inputs *inputs, const float *output)
{
    int64_t shape[3] = {inputs->ids.count, ids_seq_len(&inputs->ids),
                        emb_model_dim(model)};
    int status = npy_write_f32(options->output_path, output, shape, 3);

    if (status == CLI_CONTINUE && !options->quiet)
        printf("wrote %s: float32 [%lld, %lld, %lld]\n", options->output_path,
               (long long)shape[0], (long long)shape[1], (long long)shape[2]);
    return status;
}

/* Runs everything after option parsing and returns the exit code. */
static int run(const cli_options *options)
{
    run_inputs inputs = {0};
    emb_model *model = NULL;
    float *output = NULL;
    int64_t output_count = 0;
    double started, fill_seconds, seconds_per_call = 0.0;
    emb_error err;
    emb_status library_status;
    int status;

    status = read_inputs(options, &inputs);
    if (status != CLI_CONTINUE)
        goto done;

    started = now_seconds();
    status = create_model(options, &model);
    if (status != CLI_CONTINUE)
        goto done;
    fill_seconds = now_seconds() - started;
    status = check_ranges(model, &inputs);
    if (status != CLI_CONTINUE)
        goto done;

    emb_error_init(&err);
    library_status = emb_output_count(model, inputs.ids.count,
                                      ids_seq_len(&inputs.ids), &output_count,
                                      &err);
    if (library_status == EMB_OK)
        library_status = emb_buffer_alloc(output_count, &output, &err);
    if (library_status != EMB_OK) {
        print_library_error("cannot allocate the output", library_status,
                            &err);
        status = CLI_EXIT_DATA;
        goto done;
    }
    status = run_forward(options, model, &inputs, output, output_count,
                         &seconds_per_call);
    if (status != CLI_CONTINUE)
        goto done;

    if (!options->quiet) {
        print_tables(options, model, fill_seconds);
        print_forward(options, model, &inputs, seconds_per_call);
    }
    if (is_demo(options) && !options->quiet) {
        status = demo_report(model, &inputs.sentences);
        if (status != CLI_CONTINUE)
            goto done;
    }
    if (options->output_path != NULL) {
        status = write_output(options, model, &inputs, output);
        if (status != CLI_CONTINUE)
            goto done;
    }
    status = CLI_EXIT_OK;

done:
    emb_buffer_free(output);
    emb_model_destroy(model);
    free_inputs(&inputs);
    return status;
}

int main(int argc, char **argv)
{
    cli_options options;
    int status = cli_options_parse(argc, argv, &options);

    if (status != CLI_CONTINUE)
        return status;
    if (emb_abi_version() != EMB_ABI_VERSION) {
        cli_error("libembedding ABI %u is loaded, but this program was built "
                  "for ABI %d",
                  (unsigned)emb_abi_version(), EMB_ABI_VERSION);
        return CLI_EXIT_DATA;
    }
    return run(&options);
}
