/*
 * emb_model_save_safetensors: lays out the header and tensor data of a
 * model's tables and writes them atomically (temporary file in the same
 * directory, fsync, rename over the destination, fsync of the directory).
 *
 * Layout: the header is padded with spaces so that the data buffer starts
 * at a file offset that is a multiple of 64. The format allows no gaps
 * between tensors, so a tensor starts aligned only when every tensor before
 * it has a byte size that is a multiple of 64. Tensors of such sizes are
 * therefore written first (in the order wte, wpe, wtt), the others after.
 */
#define _GNU_SOURCE /* O_PATH */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "safetensors.h"

#define DATA_ALIGNMENT 64
/* Largest chunk handed to one write call. */
#define MAX_WRITE_CHUNK ((size_t)1 << 30)
/* Attempts at a fresh temporary name before giving up. */
#define TEMP_NAME_ATTEMPTS 100
/* Bytes a temporary name adds to the kept part of the destination name:
 * "." before it and ".tmp-" plus 12 hex digits after it. */
#define TEMP_NAME_EXTRA_BYTES 18

/* ------------------------------------------------------------------------ */
/* Header text                                                              */
/* ------------------------------------------------------------------------ */

/* Growable byte buffer. `failed` records an allocation failure. */
typedef struct text_buffer {
    char *data;
    size_t length;
    size_t capacity;
    bool failed;
} text_buffer;

static void put_bytes(text_buffer *b, const char *bytes, size_t count)
{
    if (b->failed)
        return;
    if (count > SIZE_MAX / 2 - b->length) {
        b->failed = true;
        return;
    }
    if (b->length + count > b->capacity) {
        size_t capacity = b->capacity == 0 ? 256 : b->capacity;
        char *grown;

        while (capacity < b->length + count)
            capacity *= 2;
        grown = realloc(b->data, capacity);
        if (grown == NULL) {
            b->failed = true;
            return;
        }
        b->data = grown;
        b->capacity = capacity;
    }
    memcpy(b->data + b->length, bytes, count);
    b->length += count;
}

static void put_text(text_buffer *b, const char *text)
{
    put_bytes(b, text, strlen(text));
}

static void put_format(text_buffer *b, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void put_format(text_buffer *b, const char *format, ...)
{
    char small[256];
    va_list args;
    int written;

    va_start(args, format);
    written = vsnprintf(small, sizeof(small), format, args);
    va_end(args);
    if (written < 0 || (size_t)written >= sizeof(small)) {
        b->failed = true;
        return;
    }
    put_bytes(b, small, (size_t)written);
}

/* Writes `text` (valid UTF-8) as a JSON string. */
static void put_json_string(text_buffer *b, const char *text)
{
    put_text(b, "\"");
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        switch (*c) {
        case '"': put_text(b, "\\\""); break;
        case '\\': put_text(b, "\\\\"); break;
        case '\b': put_text(b, "\\b"); break;
        case '\f': put_text(b, "\\f"); break;
        case '\n': put_text(b, "\\n"); break;
        case '\r': put_text(b, "\\r"); break;
        case '\t': put_text(b, "\\t"); break;
        default:
            if (*c < 0x20)
                put_format(b, "\\u%04x", (unsigned)*c);
            else
                put_bytes(b, (const char *)c, 1);
        }
    }
    put_text(b, "\"");
}

/* ------------------------------------------------------------------------ */
/* Plan                                                                     */
/* ------------------------------------------------------------------------ */

static int compare_key_pointers(const void *a, const void *b)
{
    return strcmp(**(const char *const *const *)a,
                  **(const char *const *const *)b);
}

static emb_status check_metadata(const char *const *keys,
                                 const char *const *values, int64_t count,
                                 emb_error *err)
{
    const char *const **sorted;
    size_t bad_offset;

    if (count < 0)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "metadata_count %lld must not be negative",
                        (long long)count);
    if (count == 0)
        return EMB_OK;
    if (keys == NULL || values == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "metadata_keys or metadata_values is NULL but "
                        "metadata_count is %lld",
                        (long long)count);
    if ((uint64_t)count > SIZE_MAX / sizeof(*sorted))
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "metadata_count %lld is too large", (long long)count);

    for (int64_t i = 0; i < count; i++) {
        if (keys[i] == NULL || values[i] == NULL)
            return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                            "metadata %s %lld is NULL",
                            keys[i] == NULL ? "key" : "value", (long long)i);
        if (!emb_st_utf8_valid((const unsigned char *)keys[i],
                               strlen(keys[i]), &bad_offset))
            return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                            "metadata key %lld is not valid UTF-8 at byte "
                            "%zu",
                            (long long)i, bad_offset);
        if (!emb_st_utf8_valid((const unsigned char *)values[i],
                               strlen(values[i]), &bad_offset))
            return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                            "metadata value %lld (key \"%.64s\") is not "
                            "valid UTF-8 at byte %zu",
                            (long long)i, keys[i], bad_offset);
    }

    /* Duplicate keys would write a header that readers reject. */
    sorted = malloc((size_t)count * sizeof(*sorted));
    if (sorted == NULL)
        return emb_fail(err, EMB_ERR_OUT_OF_MEMORY,
                        "cannot allocate the metadata key index");
    for (int64_t i = 0; i < count; i++)
        sorted[i] = &keys[i];
    qsort(sorted, (size_t)count, sizeof(*sorted), compare_key_pointers);
    for (int64_t i = 1; i < count; i++) {
        if (strcmp(*sorted[i - 1], *sorted[i]) == 0) {
            emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                     "metadata key \"%.64s\" appears more than once",
                     *sorted[i]);
            free(sorted);
            return EMB_ERR_INVALID_ARGUMENT;
        }
    }
    free(sorted);
    return EMB_OK;
}

/* Lists the tables to write in data order and assigns their offsets. */
static void lay_out_tensors(const emb_model *model, st_save_plan *plan)
{
    static const char *const names[3] = {"wte.weight", "wpe.weight",
                                         "wtt.weight"};
    uint64_t offset = 0;

    plan->tensor_count = 0;
    /* Pass 0 takes tables whose byte size keeps the next tensor aligned,
     * pass 1 the rest. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 3; i++) {
            const emb_table *table = &model->tables[i];
            uint64_t bytes = (uint64_t)table->rows * (uint64_t)model->dim *
                             sizeof(float);
            bool aligned = bytes % DATA_ALIGNMENT == 0;
            st_save_tensor *t;

            if (table->origin == TABLE_ABSENT || table->rows == 0 ||
                aligned != (pass == 0))
                continue;
            t = &plan->tensors[plan->tensor_count++];
            t->name = names[i];
            t->data = table->data;
            t->rows = table->rows;
            t->begin = offset;
            t->end = offset + bytes;
            offset = t->end;
        }
    }
    plan->data_length = offset;
}

emb_status emb_st_plan_save(const emb_model *model,
                            const char *const *metadata_keys,
                            const char *const *metadata_values,
                            int64_t metadata_count, st_save_plan *plan,
                            emb_error *err)
{
    text_buffer b = {NULL, 0, 0, false};
    size_t padded;
    emb_status status;

    memset(plan, 0, sizeof(*plan));
    status = check_metadata(metadata_keys, metadata_values, metadata_count,
                            err);
    if (status != EMB_OK)
        return status;
    lay_out_tensors(model, plan);

    put_text(&b, "{");
    if (metadata_count > 0) {
        put_text(&b, "\"__metadata__\":{");
        for (int64_t i = 0; i < metadata_count; i++) {
            if (i > 0)
                put_text(&b, ",");
            put_json_string(&b, metadata_keys[i]);
            put_text(&b, ":");
            put_json_string(&b, metadata_values[i]);
        }
        put_text(&b, "}");
    }
    for (size_t i = 0; i < plan->tensor_count; i++) {
        const st_save_tensor *t = &plan->tensors[i];

        if (i > 0 || metadata_count > 0)
            put_text(&b, ",");
        put_format(&b,
                   "\"%s\":{\"dtype\":\"F32\",\"shape\":[%lld,%lld],"
                   "\"data_offsets\":[%llu,%llu]}",
                   t->name, (long long)t->rows, (long long)model->dim,
                   (unsigned long long)t->begin, (unsigned long long)t->end);
    }
    put_text(&b, "}");

    /* Pad with spaces so that the data buffer (file byte 8 + N) starts
     * aligned. */
    padded = (8 + b.length + DATA_ALIGNMENT - 1) / DATA_ALIGNMENT *
                 DATA_ALIGNMENT - 8;
    while (!b.failed && b.length < padded)
        put_text(&b, " ");

    if (b.failed) {
        free(b.data);
        return emb_fail(err, EMB_ERR_OUT_OF_MEMORY,
                        "cannot allocate the safetensors header");
    }
    if (b.length > EMB_SAFETENSORS_MAX_HEADER) {
        free(b.data);
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "the metadata makes the header %zu bytes long, over "
                        "the limit of %u bytes (EMB_SAFETENSORS_MAX_HEADER)",
                        b.length, (unsigned)EMB_SAFETENSORS_MAX_HEADER);
    }
    plan->header = b.data;
    plan->header_length = b.length;
    return EMB_OK;
}

void emb_st_plan_free(st_save_plan *plan)
{
    free(plan->header);
    memset(plan, 0, sizeof(*plan));
}

/* ------------------------------------------------------------------------ */
/* Atomic write                                                             */
/* ------------------------------------------------------------------------ */

/* Paths of one save. The temporary file is created, renamed and removed
 * relative to directory_fd, so its name has to fit NAME_MAX but the full
 * temporary path need not fit PATH_MAX. */
typedef struct save_paths {
    const char *path;        /* the destination, as given */
    const char *base;        /* its final component, inside path */
    char *directory;         /* the directory part of path */
    int directory_fd;        /* O_PATH descriptor of directory, or -1 */
    char *temporary;         /* "<directory>/<temporary_name>", for messages */
    char *temporary_name;    /* the final component, inside temporary */
} save_paths;

static void free_paths(save_paths *paths)
{
    if (paths->directory_fd >= 0)
        close(paths->directory_fd);
    free(paths->directory);
    free(paths->temporary);
    paths->directory_fd = -1;
    paths->directory = NULL;
    paths->temporary = NULL;
}

static emb_status make_paths(const char *path, save_paths *paths,
                             emb_error *err)
{
    const char *slash = strrchr(path, '/');
    size_t directory_length;
    emb_status status;

    memset(paths, 0, sizeof(*paths));
    paths->path = path;
    paths->base = slash == NULL ? path : slash + 1;
    paths->directory_fd = -1;
    if (*paths->base == '\0')
        return emb_st_fail_os(err, EISDIR, "cannot save to %s: the path "
                              "ends with '/'", path);

    if (slash == NULL)
        paths->directory = strdup(".");
    else if (slash == path)
        paths->directory = strdup("/");
    else
        paths->directory = strndup(path, (size_t)(slash - path));
    directory_length = paths->directory ? strlen(paths->directory) : 0;
    paths->temporary = malloc(directory_length + 1 + strlen(paths->base) +
                              TEMP_NAME_EXTRA_BYTES + 1);
    if (paths->directory == NULL || paths->temporary == NULL) {
        free_paths(paths);
        return emb_fail(err, EMB_ERR_OUT_OF_MEMORY,
                        "cannot allocate the temporary path for %s", path);
    }
    /* The directory is "/" itself when the file lives at the root. */
    strcpy(paths->temporary, paths->directory);
    if (strcmp(paths->directory, "/") != 0)
        strcat(paths->temporary, "/");
    paths->temporary_name = paths->temporary + strlen(paths->temporary);
    *paths->temporary_name = '\0';

    /* O_PATH needs only search permission on the directory, as creating a
     * file in it does. */
    paths->directory_fd = open(paths->directory,
                               O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (paths->directory_fd < 0) {
        status = emb_st_fail_os(err, errno, "cannot save to %s: cannot open "
                                "its directory %s",
                                path, paths->directory);
        free_paths(paths);
        return status;
    }
    return EMB_OK;
}

/* Returns 48 unpredictable bits for a temporary name. */
static uint64_t random_suffix(int attempt)
{
    unsigned char bytes[6];
    uint64_t value = 0;

    if (getrandom(bytes, sizeof(bytes), GRND_NONBLOCK) ==
        (ssize_t)sizeof(bytes)) {
        for (int i = 0; i < 6; i++)
            value = value << 8 | bytes[i];
        return value;
    }
    /* No entropy available yet: clock, process id and attempt suffice,
     * because O_EXCL rejects a name that is already taken. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    value = (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 30) ^
            ((uint64_t)getpid() << 16) ^ (uint64_t)attempt;
    return value & 0xFFFFFFFFFFFFull;
}

/* Returns how many leading bytes of the destination name the temporary
 * name keeps, so that ".<kept bytes>.tmp-<12 hex digits>" fits the
 * directory's NAME_MAX. A shortened name is cut at a UTF-8 character
 * boundary, never inside a multi-byte character. */
static size_t temporary_prefix_length(const save_paths *paths)
{
    long name_max = fpathconf(paths->directory_fd, _PC_NAME_MAX);
    size_t length = strlen(paths->base);
    size_t limit;

    /* -1 means no limit or an error; assume the common Linux limit. */
    if (name_max <= 0)
        name_max = NAME_MAX;
    limit = (size_t)name_max > TEMP_NAME_EXTRA_BYTES
                ? (size_t)name_max - TEMP_NAME_EXTRA_BYTES
                : 0;
    if (length <= limit)
        return length;
    length = limit;
    while (length > 0 && ((unsigned char)paths->base[length] & 0xC0) == 0x80)
        length--;
    return length;
}

/* Creates the temporary file with O_EXCL and mode 0666 less the umask, as a
 * plain creat() would. Names that are taken are retried with a new random
 * suffix, which also keeps two destinations with the same shortened name
 * apart. */
static emb_status create_temporary(save_paths *paths, int *out_fd,
                                   emb_error *err)
{
    size_t prefix_length = temporary_prefix_length(paths);
    int fd = -1;

    for (int attempt = 0; attempt < TEMP_NAME_ATTEMPTS; attempt++) {
        paths->temporary_name[0] = '.';
        memcpy(paths->temporary_name + 1, paths->base, prefix_length);
        sprintf(paths->temporary_name + 1 + prefix_length, ".tmp-%012llx",
                (unsigned long long)random_suffix(attempt));
        fd = openat(paths->directory_fd, paths->temporary_name,
                    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    if (fd < 0)
        return emb_st_fail_os(err, errno, "cannot save %s: cannot create a "
                              "temporary file in %s",
                              paths->path, paths->directory);
    *out_fd = fd;
    return EMB_OK;
}

static emb_status write_all(int fd, const save_paths *paths,
                            const void *bytes, size_t count, emb_error *err)
{
    const unsigned char *next = bytes;

    while (count > 0) {
        size_t chunk = count < MAX_WRITE_CHUNK ? count : MAX_WRITE_CHUNK;
        ssize_t written = write(fd, next, chunk);

        if (written < 0) {
            if (errno == EINTR)
                continue;
            return emb_st_fail_os(err, errno, "cannot write %s (temporary "
                                  "file %s)",
                                  paths->path, paths->temporary);
        }
        next += written;
        count -= (size_t)written;
    }
    return EMB_OK;
}

/* Writes the length prefix, the header and the tensor data, then flushes
 * the file to disk. */
static emb_status write_contents(int fd, const save_paths *paths,
                                 const st_save_plan *plan, emb_error *err)
{
    unsigned char prefix[8];
    uint64_t length = plan->header_length;
    emb_status status;

    for (int i = 0; i < 8; i++)
        prefix[i] = (unsigned char)(length >> (8 * i));
    status = write_all(fd, paths, prefix, sizeof(prefix), err);
    if (status == EMB_OK)
        status = write_all(fd, paths, plan->header, plan->header_length, err);
    for (size_t i = 0; i < plan->tensor_count && status == EMB_OK; i++) {
        const st_save_tensor *t = &plan->tensors[i];
        status = write_all(fd, paths, t->data, (size_t)(t->end - t->begin),
                           err);
    }
    if (status == EMB_OK && fsync(fd) != 0)
        status = emb_st_fail_os(err, errno, "cannot fsync %s (temporary "
                                "file %s)",
                                paths->path, paths->temporary);
    return status;
}

/* Checks what is at the destination. A regular file is replaced (and its
 * permission bits kept in *mode); a directory or any other kind of file is
 * an error. */
static emb_status check_destination(const char *path, bool *exists,
                                    mode_t *mode, emb_error *err)
{
    struct stat info;

    *exists = false;
    if (stat(path, &info) != 0) {
        if (errno == ENOENT)
            return EMB_OK;
        return emb_st_fail_os(err, errno, "cannot save to %s", path);
    }
    if (S_ISDIR(info.st_mode))
        return emb_st_fail_os(err, EISDIR, "cannot save to %s", path);
    if (!S_ISREG(info.st_mode))
        return emb_st_fail_os(err, EINVAL, "cannot save to %s: it exists "
                              "and is not a regular file",
                              path);
    *exists = true;
    *mode = info.st_mode & 07777;
    return EMB_OK;
}

/* Makes the rename durable. Some file systems cannot fsync a directory and
 * return EINVAL, which is not treated as an error. */
static emb_status sync_directory(const save_paths *paths, emb_error *err)
{
    int fd = openat(paths->directory_fd, ".",
                    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int failure = 0;

    if (fd < 0) {
        failure = errno;
    } else {
        if (fsync(fd) != 0 && errno != EINVAL)
            failure = errno;
        close(fd);
    }
    if (failure == 0)
        return EMB_OK;
    return emb_st_fail_os(err, failure, "saved %s, but cannot fsync its "
                          "directory %s, so the new file may not survive a "
                          "crash",
                          paths->path, paths->directory);
}

static emb_status write_atomically(const char *path, const st_save_plan *plan,
                                   emb_error *err)
{
    save_paths paths;
    bool exists;
    mode_t mode = 0;
    int fd = -1;
    emb_status status;

    status = check_destination(path, &exists, &mode, err);
    if (status != EMB_OK)
        return status;
    status = make_paths(path, &paths, err);
    if (status != EMB_OK)
        return status;
    status = create_temporary(&paths, &fd, err);
    if (status != EMB_OK) {
        free_paths(&paths);
        return status;
    }

    if (exists && fchmod(fd, mode) != 0)
        status = emb_st_fail_os(err, errno, "cannot set the mode of %s "
                                "(temporary file for %s)",
                                paths.temporary, path);
    if (status == EMB_OK)
        status = write_contents(fd, &paths, plan, err);
    if (close(fd) != 0 && status == EMB_OK)
        status = emb_st_fail_os(err, errno, "cannot close %s (temporary "
                                "file %s)",
                                path, paths.temporary);
    if (status == EMB_OK &&
        renameat(paths.directory_fd, paths.temporary_name, paths.directory_fd,
                 paths.base) != 0)
        status = emb_st_fail_os(err, errno, "cannot rename %s to %s",
                                paths.temporary, path);
    if (status != EMB_OK) {
        unlinkat(paths.directory_fd, paths.temporary_name, 0);
        free_paths(&paths);
        return status;
    }

    status = sync_directory(&paths, err);
    free_paths(&paths);
    return status;
}

emb_status emb_model_save_safetensors(const emb_model *model,
                                      const char *path,
                                      const char *const *metadata_keys,
                                      const char *const *metadata_values,
                                      int64_t metadata_count, emb_error *err)
{
    st_save_plan plan;
    emb_status status;

    if (model == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "model is NULL");
    if (path == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "path is NULL");
    if (*path == '\0')
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "path is empty");

    status = emb_st_plan_save(model, metadata_keys, metadata_values,
                              metadata_count, &plan, err);
    if (status != EMB_OK)
        return status;
    status = write_atomically(path, &plan, err);
    emb_st_plan_free(&plan);
    if (status != EMB_OK)
        return status;
    return emb_succeed(err);
}
