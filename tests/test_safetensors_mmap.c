/*
 * EMB_LOAD_MMAP uses the mapping only for the 64-byte aligned F32 tensors
 * it keeps in place, and reads the header and every tensor it converts or
 * copies with pread. So an F16 table and an unaligned F32 table next to a
 * mapped one come out owned and exact. A file truncated over and over
 * while it is being loaded makes the load fail with a status instead of
 * raising SIGBUS.
 */
#include "test_safetensors_util.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

/* ------------------------------------------------------------------------ */
/* Which tables are mapped                                                  */
/* ------------------------------------------------------------------------ */

#define DIM 4
#define POSITION_ROWS 4     /* F32, 64 bytes at data offset 0: aligned */
#define TOKEN_ROWS 5        /* F16, 40 bytes at data offset 64 */
#define TYPE_ROWS 2         /* F32 at data offset 104: not 64-aligned */

/* Returns the binary16 bits of an integer n with |n| <= 2048, which F16
 * represents exactly. */
static uint16_t f16_of_int(int n)
{
    uint16_t sign = n < 0 ? 0x8000 : 0;
    unsigned magnitude = (unsigned)(n < 0 ? -n : n);
    int exponent = 0;

    if (magnitude == 0)
        return sign;
    while ((magnitude >> (exponent + 1)) != 0)
        exponent++;
    return (uint16_t)(sign | (unsigned)(exponent + 15) << 10 |
                      ((magnitude << (10 - exponent)) & 0x3FF));
}

/* The three tables of write_mixed_file and their expected fp32 values. */
typedef struct mixed_tables {
    float position[POSITION_ROWS * DIM];
    float token[TOKEN_ROWS * DIM];
    float type[TYPE_ROWS * DIM];
} mixed_tables;

/* Writes a file whose data buffer starts 64-byte aligned and contains
 * wpe.weight (F32), wte.weight (F16) and wtt.weight (F32) in that order,
 * and fills `expected` with their values. */
static void write_mixed_file(const char *path, mixed_tables *expected)
{
    enum {
        POSITION_BYTES = POSITION_ROWS * DIM * 4,
        TOKEN_BYTES = TOKEN_ROWS * DIM * 2,
        TYPE_BYTES = TYPE_ROWS * DIM * 4,
        DATA_BYTES = POSITION_BYTES + TOKEN_BYTES + TYPE_BYTES
    };
    unsigned char data[DATA_BYTES];
    char header[512];
    int length;

    length = snprintf(
        header, sizeof(header),
        "{\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[%d,%d],"
        "\"data_offsets\":[0,%d]},"
        "\"wte.weight\":{\"dtype\":\"F16\",\"shape\":[%d,%d],"
        "\"data_offsets\":[%d,%d]},"
        "\"wtt.weight\":{\"dtype\":\"F32\",\"shape\":[%d,%d],"
        "\"data_offsets\":[%d,%d]}}",
        POSITION_ROWS, DIM, POSITION_BYTES, TOKEN_ROWS, DIM, POSITION_BYTES,
        POSITION_BYTES + TOKEN_BYTES, TYPE_ROWS, DIM,
        POSITION_BYTES + TOKEN_BYTES, DATA_BYTES);
    assert_true(length > 0 && (size_t)length < sizeof(header) - 64);
    /* Space padding puts the data buffer at a multiple of 64. */
    while ((8 + length) % 64 != 0)
        header[length++] = ' ';

    for (int i = 0; i < POSITION_ROWS * DIM; i++) {
        expected->position[i] = 0.5f * (float)i - 3.0f;
        memcpy(data + 4 * i, &expected->position[i], 4);
    }
    for (int i = 0; i < TOKEN_ROWS * DIM; i++) {
        uint16_t bits = f16_of_int(3 * i - 29);

        expected->token[i] = (float)(3 * i - 29);
        data[POSITION_BYTES + 2 * i] = (unsigned char)(bits & 0xFF);
        data[POSITION_BYTES + 2 * i + 1] = (unsigned char)(bits >> 8);
    }
    for (int i = 0; i < TYPE_ROWS * DIM; i++) {
        expected->type[i] = 0.25f * (float)i + 7.0f;
        memcpy(data + POSITION_BYTES + TOKEN_BYTES + 4 * i,
               &expected->type[i], 4);
    }
    st_write_file(path, header, (size_t)length, data, sizeof(data));
}

/* In mmap mode only the aligned F32 position table is used in place, so
 * only it is read-only. The F16 token table and the unaligned F32
 * token-type table are owned copies with exact values. Copy mode owns all
 * three. */
static void mmap_keeps_only_aligned_f32(void **state)
{
    mixed_tables expected;
    char path[512];

    (void)state;
    st_path(path, "mixed.safetensors");
    write_mixed_file(path, &expected);

    for (int32_t mode = EMB_LOAD_COPY; mode <= EMB_LOAD_MMAP; mode++) {
        emb_model *model = NULL;
        emb_error err;

        if (st_load(path, mode, &model, &err) != EMB_OK)
            fail_msg("mode %d: %s", (int)mode, err.message);
        assert_int_equal(emb_model_table_rows(model, EMB_TABLE_TOKEN_TYPE),
                         TYPE_ROWS);
        assert_floats_identical(expected.token,
                                emb_model_table_data(model, EMB_TABLE_TOKEN),
                                TOKEN_ROWS * DIM);
        assert_floats_identical(
            expected.position, emb_model_table_data(model, EMB_TABLE_POSITION),
            POSITION_ROWS * DIM);
        assert_floats_identical(
            expected.type, emb_model_table_data(model, EMB_TABLE_TOKEN_TYPE),
            TYPE_ROWS * DIM);

        assert_false(st_table_is_read_only(model, EMB_TABLE_TOKEN));
        assert_false(st_table_is_read_only(model, EMB_TABLE_TOKEN_TYPE));
        assert_int_equal(st_table_is_read_only(model, EMB_TABLE_POSITION),
                         mode == EMB_LOAD_MMAP);
        emb_model_destroy(model);
    }
}

/* ------------------------------------------------------------------------ */
/* Truncation during a load                                                 */
/* ------------------------------------------------------------------------ */

/* One F16 token tensor of 8 MiB: widening it takes milliseconds, so
 * truncations land in the middle of it. */
#define STRESS_ROWS 65536
#define STRESS_DIM 64
#define STRESS_LOADS 10

/* The truncating thread's file and stop flag. */
typedef struct truncator {
    int fd;
    off_t header_end;     /* keeps the header, drops all tensor data */
    off_t full_size;
    atomic_bool stop;
} truncator;

/* Cuts the file back to its header and restores its length (with zero
 * data) until t->stop is set. */
static void *truncate_repeatedly(void *argument)
{
    truncator *t = argument;

    while (!atomic_load(&t->stop)) {
        if (ftruncate(t->fd, t->header_end) != 0)
            break;
        usleep(100);
        if (ftruncate(t->fd, t->full_size) != 0)
            break;
        usleep(1000);
    }
    return NULL;
}

/* Writes the stress file and returns the file offset of its data. */
static off_t write_stress_file(const char *path)
{
    const size_t data_length = (size_t)STRESS_ROWS * STRESS_DIM * 2;
    unsigned char *data = malloc(data_length);
    char header[256];
    int length;

    assert_non_null(data);
    length = snprintf(header, sizeof(header),
                      "{\"wte.weight\":{\"dtype\":\"F16\",\"shape\":[%d,%d],"
                      "\"data_offsets\":[0,%zu]}}",
                      STRESS_ROWS, STRESS_DIM, data_length);
    assert_true(length > 0 && (size_t)length < sizeof(header));
    /* Every element is 1.0 (0x3C00) until the first truncation. */
    for (size_t i = 0; i < data_length; i += 2) {
        data[i] = 0x00;
        data[i + 1] = 0x3C;
    }
    st_write_file(path, header, (size_t)length, data, data_length);
    free(data);
    return (off_t)(8 + length);
}

/* Waits until the truncating thread has restored the file's full length,
 * so that the next load starts with all of the data and is cut off while
 * it widens the data, not before. */
static void wait_for_full_length(const char *path, off_t full_size)
{
    struct stat info;

    while (stat(path, &info) == 0 && info.st_size != full_size)
        usleep(20);
}

/* Runs in a child process: loads `path` STRESS_LOADS times in each mode
 * while another thread truncates it. Every load must succeed or fail with
 * EMB_ERR_FORMAT naming the file. Returns the child's exit code, 0 when
 * every load did. */
static int load_while_truncating(const char *path, off_t header_end)
{
    truncator t;
    pthread_t thread;
    struct stat info;
    int exit_code = 0;

    if (stat(path, &info) != 0)
        return 10;
    t.fd = open(path, O_WRONLY | O_CLOEXEC);
    t.header_end = header_end;
    t.full_size = info.st_size;
    atomic_init(&t.stop, false);
    if (t.fd < 0 || pthread_create(&thread, NULL, truncate_repeatedly, &t))
        return 11;

    for (int32_t mode = EMB_LOAD_COPY; mode <= EMB_LOAD_MMAP; mode++) {
        for (int i = 0; i < STRESS_LOADS && exit_code == 0; i++) {
            emb_load_options options;
            emb_model *model = NULL;
            emb_error err;
            emb_status status;

            wait_for_full_length(path, t.full_size);
            emb_load_options_init(&options);
            options.mode = mode;
            options.no_position_tensor = 1;
            options.num_threads = 1;
            emb_error_init(&err);
            status = emb_model_load_safetensors(path, &options, &model, &err);
            if (status == EMB_OK) {
                emb_model_destroy(model);
            } else if (status != EMB_ERR_FORMAT ||
                       strstr(err.message, path) == NULL) {
                fprintf(stderr, "child: mode %d load %d: status %d: %s\n",
                        (int)mode, i, (int)status, err.message);
                exit_code = 12;
            }
        }
    }

    atomic_store(&t.stop, true);
    pthread_join(thread, NULL);
    close(t.fd);
    return exit_code;
}

/* Reading the mapping of a file that shrank raises SIGBUS, so a loader
 * that widened F16 data through the mapping died here within a few loads.
 * The loads run in a child so that such a crash fails this test only. */
static void load_survives_concurrent_truncation(void **state)
{
    char path[512];
    off_t header_end;
    pid_t child;
    int wait_status = 0;

    (void)state;
    st_path(path, "truncated-while-loading.safetensors");
    header_end = write_stress_file(path);

    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        /* CMocka's handlers would turn a crash into a test failure inside
         * the child; the default action lets the parent see the signal. */
        signal(SIGBUS, SIG_DFL);
        signal(SIGSEGV, SIG_DFL);
        alarm(120); /* a hung child fails the test instead of blocking it */
        _exit(load_while_truncating(path, header_end));
    }
    assert_int_equal(waitpid(child, &wait_status, 0), child);
    if (WIFSIGNALED(wait_status))
        fail_msg("the loading process was killed by signal %d (%s)",
                 WTERMSIG(wait_status), strsignal(WTERMSIG(wait_status)));
    assert_true(WIFEXITED(wait_status));
    assert_int_equal(WEXITSTATUS(wait_status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mmap_keeps_only_aligned_f32),
        cmocka_unit_test(load_survives_concurrent_truncation),
    };
    return cmocka_run_group_tests(tests, st_setup, st_teardown);
}
