/*
 * Cross-check with a second implementation of the format.
 * tests/make_safetensors.py (Python + NumPy, not the safetensors package)
 * writes GPT-2-shaped files with the expected fp32 tables beside them: F32,
 * F16, BF16, short and "transformer." names, extra tensors, unaligned data,
 * and one file of the true GPT-2 small shape 50257 x 768. This program
 * loads each file in copy and mmap mode and compares bit for bit, then
 * saves a model and has the script verify the written file.
 *
 * Needs EMB_SOURCE_DIR (set by CTest) and /usr/bin/python3 with NumPy
 * (EMB_PYTHON overrides the interpreter). The files go to a temporary
 * directory that is removed at the end.
 */
#include "test_safetensors_util.h"

#include <sys/wait.h>

#define MAX_CASES 32

/* One line of manifest.txt. */
typedef struct cross_case {
    char name[64];
    char token_tensor[128];    /* "-" for the default names */
    char position_tensor[128];
    int64_t vocab, context, dim;
    int token_mapped;          /* 1: EMB_LOAD_MMAP must use it in place */
    int position_mapped;
} cross_case;

static cross_case cases[MAX_CASES];
static size_t case_count;

static const char *python(void)
{
    const char *chosen = getenv("EMB_PYTHON");

    return chosen != NULL && *chosen != '\0' ? chosen : "/usr/bin/python3";
}

/* Runs the script with `arguments` (NULL-terminated); returns its exit
 * status, or -1 when it could not run. */
static int run_script(const char *const *arguments)
{
    const char *source = getenv("EMB_SOURCE_DIR");
    char script[1024];
    const char *argv[16];
    size_t argc = 0;
    pid_t child;
    int status = 0;

    if (source == NULL) {
        fprintf(stderr, "EMB_SOURCE_DIR is not set; run through ctest\n");
        return -1;
    }
    snprintf(script, sizeof(script), "%s/tests/make_safetensors.py", source);
    argv[argc++] = python();
    argv[argc++] = script;
    while (*arguments != NULL && argc < 15)
        argv[argc++] = *arguments++;
    argv[argc] = NULL;

    child = fork();
    if (child < 0)
        return -1;
    if (child == 0) {
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static int read_manifest(void)
{
    char path[512];
    FILE *file;

    st_path(path, "manifest.txt");
    file = fopen(path, "r");
    if (file == NULL)
        return -1;
    while (case_count < MAX_CASES) {
        cross_case *c = &cases[case_count];
        long long vocab, context, dim;

        if (fscanf(file, "%63s %127s %127s %lld %lld %lld %d %d", c->name,
                   c->token_tensor, c->position_tensor, &vocab, &context,
                   &dim, &c->token_mapped, &c->position_mapped) != 8)
            break;
        c->vocab = vocab;
        c->context = context;
        c->dim = dim;
        case_count++;
    }
    fclose(file);
    return case_count > 0 ? 0 : -1;
}

static int setup(void **state)
{
    const char *write_arguments[4] = {"write", NULL, "--gpt2-full", NULL};

    if (st_setup(state) != 0)
        return -1;
    write_arguments[1] = st_scratch;
    if (run_script(write_arguments) != 0) {
        fprintf(stderr, "make_safetensors.py write failed\n");
        return -1;
    }
    return read_manifest();
}

/* Reads `<scratch>/<case><suffix>` as floats; checks the element count. */
static float *read_expected(const cross_case *c, const char *suffix,
                            int64_t count)
{
    char name[128], path[512];
    size_t length;
    unsigned char *bytes;

    snprintf(name, sizeof(name), "%s%s", c->name, suffix);
    st_path(path, name);
    bytes = st_read_file(path, &length);
    assert_int_equal(length, (size_t)count * sizeof(float));
    return (float *)bytes;
}

static emb_model *load_case(const cross_case *c, int32_t mode)
{
    char path[512], name[128];
    emb_load_options options;
    emb_model *model = NULL;
    emb_error err;

    snprintf(name, sizeof(name), "%s.safetensors", c->name);
    st_path(path, name);
    emb_load_options_init(&options);
    options.mode = mode;
    options.num_threads = 2;
    if (strcmp(c->token_tensor, "-") != 0)
        options.token_tensor = c->token_tensor;
    if (strcmp(c->position_tensor, "-") != 0)
        options.position_tensor = c->position_tensor;
    emb_error_init(&err);
    if (emb_model_load_safetensors(path, &options, &model, &err) != EMB_OK)
        fail_msg("%s (mode %d): %s", c->name, (int)mode, err.message);
    return model;
}

/* Forward of a few ids equals token + position computed here from the
 * expected tables. */
static void check_forward(const cross_case *c, const emb_model *model,
                          const float *token, const float *position)
{
    enum { seq = 8 };
    int64_t ids[seq];
    float *out = malloc((size_t)(seq * c->dim) * sizeof(float));
    float *expected = malloc((size_t)(seq * c->dim) * sizeof(float));
    uint64_t seed = 5;
    int64_t start = c->context - seq;

    assert_non_null(out);
    assert_non_null(expected);
    ids[0] = 0;
    ids[1] = c->vocab - 1;
    for (int t = 2; t < seq; t++)
        ids[t] = test_random_below(&seed, c->vocab);
    for (int t = 0; t < seq; t++)
        for (int64_t d = 0; d < c->dim; d++)
            expected[t * c->dim + d] = token[ids[t] * c->dim + d] +
                                       position[(start + t) * c->dim + d];

    assert_int_equal(emb_forward_i64(model, ids, 1, seq, start, out,
                                     seq * c->dim, NULL),
                     EMB_OK);
    assert_floats_identical(expected, out, (size_t)(seq * c->dim));
    free(out);
    free(expected);
}

static void run_cross_case(void **state)
{
    const cross_case *c = *state;
    float *token = read_expected(c, ".token.f32", c->vocab * c->dim);
    float *position = read_expected(c, ".position.f32",
                                    c->context * c->dim);

    for (int32_t mode = EMB_LOAD_COPY; mode <= EMB_LOAD_MMAP; mode++) {
        emb_model *model = load_case(c, mode);
        bool mmap_mode = mode == EMB_LOAD_MMAP;

        assert_int_equal(emb_model_vocab_size(model), c->vocab);
        assert_int_equal(emb_model_context_length(model), c->context);
        assert_int_equal(emb_model_dim(model), c->dim);
        assert_floats_identical(token,
                                emb_model_table_data(model, EMB_TABLE_TOKEN),
                                (size_t)(c->vocab * c->dim));
        assert_floats_identical(position,
                                emb_model_table_data(model,
                                                     EMB_TABLE_POSITION),
                                (size_t)(c->context * c->dim));
        /* Mapped tables are read-only; copied and converted ones are not. */
        assert_int_equal(st_table_is_read_only(model, EMB_TABLE_TOKEN),
                         mmap_mode && c->token_mapped);
        assert_int_equal(st_table_is_read_only(model, EMB_TABLE_POSITION),
                         mmap_mode && c->position_mapped);
        check_forward(c, model, token, position);
        emb_model_destroy(model);
    }
    free(token);
    free(position);
}

/* The writer, checked by the independent reader: save a loaded model with
 * metadata and let the script verify layout, values and metadata. */
static void cross_python_verifies_saved_file(void **state)
{
    const char *keys[3] = {"format", "quote\"and\\slash", "caf\xc3\xa9"};
    const char *values[3] = {"pt", "line\nbreak\x01", "\xe2\x82\xac"};
    const cross_case *c = &cases[0];
    char path[512], token_path[512], position_path[512], name[128];
    const char *verify_arguments[7] = {"verify", path, token_path,
                                       position_path, "--metadata", NULL,
                                       NULL};
    emb_model *model;
    emb_error err;

    (void)state;
    model = load_case(c, EMB_LOAD_MMAP);
    st_path(path, "written_by_c.safetensors");
    emb_error_init(&err);
    if (emb_model_save_safetensors(model, path, keys, values, 3, &err) !=
        EMB_OK)
        fail_msg("%s", err.message);
    emb_model_destroy(model);

    snprintf(name, sizeof(name), "%s.token.f32", c->name);
    st_path(token_path, name);
    snprintf(name, sizeof(name), "%s.position.f32", c->name);
    st_path(position_path, name);
    verify_arguments[5] = "{\"format\": \"pt\", "
                          "\"quote\\\"and\\\\slash\": "
                          "\"line\\nbreak\\u0001\", "
                          "\"caf\\u00e9\": \"\\u20ac\"}";
    assert_int_equal(run_script(verify_arguments), 0);
}

int main(void)
{
    struct CMUnitTest tests[MAX_CASES + 1];
    static char names[MAX_CASES][80];
    void *state = NULL;
    size_t count = 0;
    int failures;

    /* The case list comes from the script's manifest, so set up first and
     * run the cases as one group without further setup. */
    if (setup(&state) != 0) {
        fprintf(stderr, "cannot prepare the cross-check files\n");
        st_teardown(&state);
        return 1;
    }
    for (size_t i = 0; i < case_count; i++) {
        snprintf(names[i], sizeof(names[i]), "cross_%.63s", cases[i].name);
        memset(&tests[count], 0, sizeof(tests[count]));
        tests[count].name = names[i];
        tests[count].test_func = run_cross_case;
        tests[count].initial_state = &cases[i];
        count++;
    }
    memset(&tests[count], 0, sizeof(tests[count]));
    tests[count].name = "cross_python_verifies_saved_file";
    tests[count].test_func = cross_python_verifies_saved_file;
    count++;

    failures = _cmocka_run_group_tests("safetensors_cross", tests, count,
                                       NULL, NULL);
    st_teardown(&state);
    return failures;
}
