/*
 * emb_model_save_safetensors argument checks, metadata escaping, file modes,
 * and atomicity: every failure reports EMB_ERR_IO with errno and the path,
 * leaves any existing destination as it was, and leaves no temporary file
 * behind.
 *
 * The tests run as root in CI, where permission bits do not stop writes.
 * Failures are provoked by paths that cannot work (missing directory, a
 * directory, a FIFO, a name too long, a file used as a directory). A file
 * size limit (RLIMIT_FSIZE) makes write() fail part-way, which simulates a
 * full disk.
 */
#include "test_safetensors_util.h"

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

static emb_model *small_model(int64_t vocab, int64_t dim)
{
    emb_model_options options;

    emb_model_options_init(&options);
    options.init = EMB_INIT_NORMAL;
    options.seed = 11;
    options.vocab_size = vocab;
    options.dim = dim;
    options.context_length = 4;
    options.num_threads = 1;
    return create_model(&options);
}

/* Fails the test when `directory` contains a temporary file. */
static void assert_no_temporary_files_in(const char *directory)
{
    DIR *dir = opendir(directory);
    struct dirent *entry;

    assert_non_null(dir);
    while ((entry = readdir(dir)) != NULL) {
        if (strstr(entry->d_name, ".tmp-") != NULL)
            fail_msg("temporary file %s was left behind", entry->d_name);
    }
    closedir(dir);
}

/* Fails the test when the scratch directory contains a temporary file. */
static void assert_no_temporary_files(void)
{
    assert_no_temporary_files_in(st_scratch);
}

/* Saves and expects EMB_ERR_IO with the given errno and the path in the
 * message. */
static void expect_io_error(const emb_model *model, const char *path,
                            int os_error)
{
    emb_error err;

    emb_error_init(&err);
    assert_int_equal(emb_model_save_safetensors(model, path, NULL, NULL, 0,
                                                &err),
                     EMB_ERR_IO);
    assert_int_equal(err.status, EMB_ERR_IO);
    assert_true(err.fields & EMB_ERROR_HAS_OS_ERROR);
    if (err.os_error != os_error)
        fail_msg("expected errno %d (%s), got %d: %s", os_error,
                 strerror(os_error), err.os_error, err.message);
    st_assert_message(&err, path);
    st_assert_message(&err, strerror(os_error));
    assert_no_temporary_files();
}

static bool file_exists(const char *path)
{
    struct stat info;

    return stat(path, &info) == 0;
}

static void save_rejects_null_arguments(void **state)
{
    emb_model *model = small_model(4, 4);
    emb_error err;
    char path[512];

    (void)state;
    st_path(path, "null_args.safetensors");
    emb_error_init(&err);
    assert_int_equal(emb_model_save_safetensors(NULL, path, NULL, NULL, 0,
                                                &err),
                     EMB_ERR_INVALID_ARGUMENT);
    st_assert_message(&err, "model is NULL");
    assert_int_equal(emb_model_save_safetensors(model, NULL, NULL, NULL, 0,
                                                &err),
                     EMB_ERR_INVALID_ARGUMENT);
    st_assert_message(&err, "path is NULL");
    assert_int_equal(emb_model_save_safetensors(model, "", NULL, NULL, 0,
                                                &err),
                     EMB_ERR_INVALID_ARGUMENT);
    st_assert_message(&err, "path is empty");
    assert_false(file_exists(path));
    emb_model_destroy(model);
}

static void save_rejects_bad_metadata(void **state)
{
    emb_model *model = small_model(4, 4);
    const char *keys[2] = {"a", "b"};
    const char *values[2] = {"1", "2"};
    const char *null_key[2] = {"a", NULL};
    const char *bad_utf8[2] = {"ok", "\xff\xfe"};
    const char *same_keys[2] = {"dup", "dup"};
    emb_error err;
    char path[512];

    (void)state;
    st_path(path, "bad_metadata.safetensors");
    emb_error_init(&err);
    assert_int_equal(emb_model_save_safetensors(model, path, keys, values, -1,
                                                &err),
                     EMB_ERR_INVALID_ARGUMENT);
    st_assert_message(&err, "metadata_count -1");
    assert_int_equal(emb_model_save_safetensors(model, path, NULL, values, 2,
                                                &err),
                     EMB_ERR_INVALID_ARGUMENT);
    st_assert_message(&err, "is NULL but metadata_count is 2");
    assert_int_equal(emb_model_save_safetensors(model, path, null_key, values,
                                                2, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    st_assert_message(&err, "metadata key 1 is NULL");
    assert_int_equal(emb_model_save_safetensors(model, path, keys, bad_utf8,
                                                2, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    st_assert_message(&err, "metadata value 1 (key \"b\") is not valid UTF-8");
    assert_int_equal(emb_model_save_safetensors(model, path, bad_utf8, values,
                                                2, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    st_assert_message(&err, "metadata key 1 is not valid UTF-8");
    assert_int_equal(emb_model_save_safetensors(model, path, same_keys,
                                                values, 2, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    st_assert_message(&err, "metadata key \"dup\" appears more than once");
    assert_false(file_exists(path));

    /* A count of 0 ignores NULL arrays. */
    assert_int_equal(emb_model_save_safetensors(model, path, NULL, NULL, 0,
                                                &err),
                     EMB_OK);
    assert_true(file_exists(path));
    emb_model_destroy(model);
}

/* Keys and values with characters JSON must escape are written escaped,
 * and the file loads back. */
static void save_escapes_metadata(void **state)
{
    const char *keys[4] = {"quote\"back\\slash", "caf\xc3\xa9", "", "ctl"};
    const char *values[4] = {"line\nbreak\ttab", "", "empty key",
                             "\x01\x1f\x7f/"};
    emb_model *model = small_model(3, 2);
    emb_model *loaded = NULL;
    emb_error err;
    char path[512];
    unsigned char *bytes;
    size_t length;

    (void)state;
    st_path(path, "metadata.safetensors");
    emb_error_init(&err);
    if (emb_model_save_safetensors(model, path, keys, values, 4, &err) !=
        EMB_OK)
        fail_msg("%s", err.message);

    bytes = st_read_file(path, &length);
    assert_true(length > 8);
    bytes[length - 1] = '\0';
    assert_non_null(strstr((const char *)bytes + 8,
                           "{\"__metadata__\":{\"quote\\\"back\\\\slash\":"
                           "\"line\\nbreak\\ttab\",\"caf\xc3\xa9\":\"\","
                           "\"\":\"empty key\",\"ctl\":"
                           "\"\\u0001\\u001f\x7f/\"},"));
    free(bytes);

    if (st_load(path, EMB_LOAD_COPY, &loaded, &err) != EMB_OK)
        fail_msg("%s", err.message);
    emb_model_destroy(loaded);
    emb_model_destroy(model);
}

/* Replacing a file keeps its permission bits; a new file gets 0666 less
 * the umask, like any file the process creates. */
static void save_sets_file_modes(void **state)
{
    emb_model *model = small_model(3, 2);
    char path[512];
    struct stat info;
    mode_t old_umask;

    (void)state;
    st_path(path, "mode.safetensors");
    st_write_bytes(path, "old", 3);
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(emb_model_save_safetensors(model, path, NULL, NULL, 0,
                                                NULL),
                     EMB_OK);
    assert_int_equal(stat(path, &info), 0);
    assert_int_equal(info.st_mode & 07777, 0640);
    assert_true(info.st_size > 3);

    st_path(path, "new_mode.safetensors");
    old_umask = umask(027);
    assert_int_equal(emb_model_save_safetensors(model, path, NULL, NULL, 0,
                                                NULL),
                     EMB_OK);
    umask(old_umask);
    assert_int_equal(stat(path, &info), 0);
    assert_int_equal(info.st_mode & 07777, 0640);
    assert_no_temporary_files();
    emb_model_destroy(model);
}

static void save_into_missing_directory(void **state)
{
    emb_model *model = small_model(3, 2);
    char path[512];

    (void)state;
    st_path(path, "no-such-dir/model.safetensors");
    expect_io_error(model, path, ENOENT);
    emb_model_destroy(model);
}

static void save_onto_directory(void **state)
{
    emb_model *model = small_model(3, 2);
    char path[512];
    struct stat info;

    (void)state;
    st_path(path, "a-directory");
    assert_int_equal(mkdir(path, 0755), 0);
    expect_io_error(model, path, EISDIR);
    assert_int_equal(stat(path, &info), 0);
    assert_true(S_ISDIR(info.st_mode));

    /* A path ending in '/' names a directory even when nothing is there. */
    st_path(path, "not-yet/");
    expect_io_error(model, path, EISDIR);
    emb_model_destroy(model);
}

/* Special files are never replaced: saving onto a FIFO fails and the FIFO
 * stays. */
static void save_onto_fifo(void **state)
{
    emb_model *model = small_model(3, 2);
    char path[512];
    struct stat info;

    (void)state;
    st_path(path, "pipe");
    assert_int_equal(mkfifo(path, 0644), 0);
    expect_io_error(model, path, EINVAL);
    assert_int_equal(stat(path, &info), 0);
    assert_true(S_ISFIFO(info.st_mode));
    emb_model_destroy(model);
}

static void save_with_name_too_long(void **state)
{
    emb_model *model = small_model(3, 2);
    char name[301];
    char path[512];

    (void)state;
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    st_path(path, name);
    expect_io_error(model, path, ENAMETOOLONG);
    emb_model_destroy(model);
}

/* Saves `model` to "<scratch>/<name>" and checks that it loads back and
 * that no temporary file is left. */
static void save_and_reload(const emb_model *model, const char *name)
{
    emb_model *loaded = NULL;
    emb_error err;
    char path[512];

    st_path(path, name);
    emb_error_init(&err);
    if (emb_model_save_safetensors(model, path, NULL, NULL, 0, &err) !=
        EMB_OK)
        fail_msg("saving to a %zu-byte name failed: %s", strlen(name),
                 err.message);
    assert_no_temporary_files();
    assert_int_equal(st_load(path, EMB_LOAD_COPY, &loaded, &err), EMB_OK);
    assert_floats_identical(emb_model_table_data(model, EMB_TABLE_TOKEN),
                            emb_model_table_data(loaded, EMB_TABLE_TOKEN),
                            6);
    emb_model_destroy(loaded);
    assert_int_equal(unlink(path), 0);
}

/* Any name the file system accepts can be saved to, although the temporary
 * name adds 18 bytes to it: the temporary name keeps only as much of the
 * destination name as fits NAME_MAX. */
static void save_to_long_names(void **state)
{
    emb_model *model;
    char name[256];

    (void)state;
    if (pathconf(st_scratch, _PC_NAME_MAX) < 255)
        skip();
    model = small_model(3, 2);

    memset(name, 'm', 240);
    name[240] = '\0';
    save_and_reload(model, name);

    memset(name, 'n', 255);
    name[255] = '\0';
    save_and_reload(model, name);

    /* 127 two-byte UTF-8 characters: the cut falls inside a character and
     * moves back to its first byte. */
    for (int i = 0; i < 127; i++)
        memcpy(name + 2 * i, "\xC3\xA9", 2);
    name[254] = '\0';
    save_and_reload(model, name);

    emb_model_destroy(model);
}

/* A destination path just under PATH_MAX can be saved to although the
 * path of its temporary file is longer than PATH_MAX: the temporary file
 * is created and renamed relative to the directory. */
static void save_near_path_max(void **state)
{
    emb_model *model = small_model(3, 2);
    emb_model *loaded = NULL;
    char *path = malloc(PATH_MAX);
    size_t length = strlen(st_scratch);
    size_t remaining;
    emb_error err;

    (void)state;
    assert_non_null(path);
    memcpy(path, st_scratch, length + 1);
    /* The final path is PATH_MAX - 10 bytes long: 200-byte directory names,
     * then a file name of 20 to 220 bytes. */
    remaining = PATH_MAX - 10 - length;
    while (remaining > 221) {
        path[length] = '/';
        memset(path + length + 1, 'd', 200);
        length += 201;
        path[length] = '\0';
        remaining -= 201;
        assert_int_equal(mkdir(path, 0755), 0);
    }
    path[length] = '/';
    memset(path + length + 1, 'f', remaining - 1);
    path[length + remaining] = '\0';
    assert_int_equal(strlen(path), PATH_MAX - 10);

    emb_error_init(&err);
    if (emb_model_save_safetensors(model, path, NULL, NULL, 0, &err) !=
        EMB_OK)
        fail_msg("saving to a %zu-byte path failed: %s", strlen(path),
                 err.message);
    assert_int_equal(st_load(path, EMB_LOAD_COPY, &loaded, &err), EMB_OK);
    assert_floats_identical(emb_model_table_data(model, EMB_TABLE_TOKEN),
                            emb_model_table_data(loaded, EMB_TABLE_TOKEN),
                            6);
    path[length] = '\0';
    assert_no_temporary_files_in(path);

    emb_model_destroy(loaded);
    emb_model_destroy(model);
    free(path);
}

static void save_below_regular_file(void **state)
{
    emb_model *model = small_model(3, 2);
    char path[512];

    (void)state;
    st_path(path, "plain-file");
    st_write_bytes(path, "x", 1);
    st_path(path, "plain-file/model.safetensors");
    expect_io_error(model, path, ENOTDIR);
    emb_model_destroy(model);
}

/* Runs in a child process: with a 64 KiB file size limit, saving a 1 MiB
 * model must fail with EFBIG. Returns the child's exit code: 0 when the
 * save failed as expected. The model is created before fork, so the child
 * only saves and starts no worker threads of its own. */
static int save_under_size_limit(const emb_model *model, const char *path)
{
    struct rlimit limit = {64 * 1024, 64 * 1024};
    emb_error err;
    emb_status status;

    /* Without this, exceeding the limit kills the process with SIGXFSZ. */
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0)
        return 10;
    emb_error_init(&err);
    status = emb_model_save_safetensors(model, path, NULL, NULL, 0, &err);
    if (status != EMB_ERR_IO || err.os_error != EFBIG ||
        strstr(err.message, path) == NULL) {
        fprintf(stderr, "child: status %d, errno %d: %s\n", (int)status,
                (int)err.os_error, err.message);
        return 11;
    }
    return 0;
}

/* A write that fails part-way (the file size limit simulates a full disk)
 * leaves the old file intact and no temporary file. */
static void save_failing_write_keeps_old_file(void **state)
{
    static const char old_contents[] = "previous weights";
    emb_model *model = small_model(4096, 64);
    char path[512];
    unsigned char *bytes;
    size_t length;
    pid_t child;
    int wait_status = 0;

    (void)state;
    st_path(path, "full.safetensors");
    st_write_bytes(path, old_contents, sizeof(old_contents));

    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        alarm(60); /* a hung child fails the test instead of blocking it */
        _exit(save_under_size_limit(model, path));
    }
    assert_int_equal(waitpid(child, &wait_status, 0), child);
    emb_model_destroy(model);
    assert_true(WIFEXITED(wait_status));
    assert_int_equal(WEXITSTATUS(wait_status), 0);

    bytes = st_read_file(path, &length);
    assert_int_equal(length, sizeof(old_contents));
    assert_memory_equal(bytes, old_contents, sizeof(old_contents));
    free(bytes);
    assert_no_temporary_files();
}

/* Permission bits stop writes only for an unprivileged user. */
static void save_into_read_only_directory(void **state)
{
    emb_model *model;
    char directory[512], path[1024];

    (void)state;
    if (geteuid() == 0)
        skip();
    model = small_model(3, 2);
    st_path(directory, "read-only");
    assert_int_equal(mkdir(directory, 0555), 0);
    snprintf(path, sizeof(path), "%s/model.safetensors", directory);
    expect_io_error(model, path, EACCES);
    emb_model_destroy(model);
}

/* A save into the current directory (a path without '/') works. */
static void save_relative_path(void **state)
{
    emb_model *model = small_model(3, 2);
    emb_model *loaded = NULL;
    char cwd[512];
    emb_error err;

    (void)state;
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(st_scratch), 0);
    emb_error_init(&err);
    if (emb_model_save_safetensors(model, "relative.safetensors", NULL, NULL,
                                   0, &err) != EMB_OK)
        fail_msg("%s", err.message);
    assert_int_equal(st_load("relative.safetensors", EMB_LOAD_MMAP, &loaded,
                             &err),
                     EMB_OK);
    assert_int_equal(chdir(cwd), 0);
    assert_floats_identical(emb_model_table_data(model, EMB_TABLE_TOKEN),
                            emb_model_table_data(loaded, EMB_TABLE_TOKEN), 6);
    emb_model_destroy(loaded);
    emb_model_destroy(model);
    assert_no_temporary_files();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(save_rejects_null_arguments),
        cmocka_unit_test(save_rejects_bad_metadata),
        cmocka_unit_test(save_escapes_metadata),
        cmocka_unit_test(save_sets_file_modes),
        cmocka_unit_test(save_into_missing_directory),
        cmocka_unit_test(save_onto_directory),
        cmocka_unit_test(save_onto_fifo),
        cmocka_unit_test(save_with_name_too_long),
        cmocka_unit_test(save_to_long_names),
        cmocka_unit_test(save_near_path_max),
        cmocka_unit_test(save_below_regular_file),
        cmocka_unit_test(save_failing_write_keeps_old_file),
        cmocka_unit_test(save_into_read_only_directory),
        cmocka_unit_test(save_relative_path),
    };
    return cmocka_run_group_tests(tests, st_setup, st_teardown);
}
