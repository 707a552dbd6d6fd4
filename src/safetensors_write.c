/*
 * Atomic file writing for emb_model_save_safetensors: the planned header
 * and tensor data go to a temporary file in the destination's directory,
 * which is fsync'ed and renamed over the destination, and then the
 * directory is fsync'ed. On failure the temporary file is removed and an
 * existing destination is left as it was.
 */
#define _GNU_SOURCE /* O_PATH */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "safetensors.h"

/* Largest chunk handed to one write call. */
#define MAX_WRITE_CHUNK ((size_t)1 << 30)
/* Attempts at a fresh temporary name before giving up. */
#define TEMP_NAME_ATTEMPTS 100
/* Bytes a temporary name adds to the kept part of the destination name:
 * "." before it and ".tmp-" plus 12 hex digits after it. */
#define TEMP_NAME_EXTRA_BYTES 18

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

emb_status emb_st_write_atomically(const char *path, const st_save_plan *plan,
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
