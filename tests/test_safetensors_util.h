/*
 * Helpers shared by the safetensors tests: a scratch directory per test
 * program, writing raw and crafted files, and loading with a given mode.
 * Everything is static so each test program compiles its own copy.
 */
#ifndef EMB_TEST_SAFETENSORS_UTIL_H
#define EMB_TEST_SAFETENSORS_UTIL_H

#define _GNU_SOURCE 1 /* nftw flags */

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

/* Scratch directory of the running test program (set by st_setup). */
static char st_scratch[256];

static int st_remove_entry(const char *path, const struct stat *info,
                           int type, struct FTW *ftw)
{
    (void)info;
    (void)type;
    (void)ftw;
    return remove(path);
}

/* Group setup: creates the scratch directory under $TMPDIR or /tmp. */
static inline int st_setup(void **state)
{
    const char *base = getenv("TMPDIR");

    (void)state;
    snprintf(st_scratch, sizeof(st_scratch), "%s/emb-st-XXXXXX",
             base != NULL && *base != '\0' ? base : "/tmp");
    return mkdtemp(st_scratch) == NULL ? -1 : 0;
}

/* Group teardown: removes the scratch directory and everything in it. */
static inline int st_teardown(void **state)
{
    (void)state;
    return nftw(st_scratch, st_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Stores "<scratch>/<name>" in path (capacity 512), failing the test when
 * it does not fit. */
static inline void st_path(char path[512], const char *name)
{
    if (strlen(st_scratch) + 1 + strlen(name) >= 512)
        fail_msg("path for %s is too long", name);
    strcpy(path, st_scratch);
    strcat(path, "/");
    strcat(path, name);
}

/* Writes bytes to path, failing the test on error. */
static inline void st_write_bytes(const char *path, const void *bytes,
                                  size_t length)
{
    FILE *file = fopen(path, "wb");

    if (file == NULL)
        fail_msg("cannot create %s: %s", path, strerror(errno));
    if (length > 0 && fwrite(bytes, 1, length, file) != length)
        fail_msg("cannot write %s", path);
    if (fclose(file) != 0)
        fail_msg("cannot close %s", path);
}

/* Writes a safetensors file: the little-endian length of header, the header
 * bytes, then data (data_length bytes; NULL gives bytes 0, 1, 2, ...). */
static inline void st_write_file(const char *path, const char *header,
                                 size_t header_length, const void *data,
                                 size_t data_length)
{
    size_t total = 8 + header_length + data_length;
    unsigned char *bytes = malloc(total);

    assert_non_null(bytes);
    for (int i = 0; i < 8; i++)
        bytes[i] = (unsigned char)((uint64_t)header_length >> (8 * i));
    memcpy(bytes + 8, header, header_length);
    for (size_t i = 0; i < data_length; i++)
        bytes[8 + header_length + i] =
            data != NULL ? ((const unsigned char *)data)[i]
                         : (unsigned char)i;
    st_write_bytes(path, bytes, total);
    free(bytes);
}

/* Reads a whole file; *length receives its size. The caller frees. */
static inline unsigned char *st_read_file(const char *path, size_t *length)
{
    FILE *file = fopen(path, "rb");
    unsigned char *bytes;
    long size;

    if (file == NULL)
        fail_msg("cannot open %s: %s", path, strerror(errno));
    fseek(file, 0, SEEK_END);
    size = ftell(file);
    fseek(file, 0, SEEK_SET);
    bytes = malloc(size > 0 ? (size_t)size : 1);
    assert_non_null(bytes);
    if (size > 0 && fread(bytes, 1, (size_t)size, file) != (size_t)size)
        fail_msg("cannot read %s", path);
    fclose(file);
    *length = (size_t)size;
    return bytes;
}

/* Loads path with default names and the given mode. */
static inline emb_status st_load(const char *path, int32_t mode,
                                 emb_model **model, emb_error *err)
{
    emb_load_options options;

    emb_load_options_init(&options);
    options.mode = mode;
    options.num_threads = 1;
    emb_error_init(err);
    return emb_model_load_safetensors(path, &options, model, err);
}

/* Fails the test unless err->message contains `part`. */
static inline void st_assert_message(const emb_error *err, const char *part)
{
    if (strstr(err->message, part) == NULL)
        fail_msg("message \"%s\" does not contain \"%s\"", err->message,
                 part);
}

/* Returns true when the table's rows reject writes (mapped or borrowed),
 * restoring nothing because nothing was written. */
static inline bool st_table_is_read_only(emb_model *model, int32_t table)
{
    float row[4096];
    emb_error err;
    int64_t dim = emb_model_dim(model);

    if (dim > 4096)
        fail_msg("dim %lld too large for st_table_is_read_only",
                 (long long)dim);
    assert_int_equal(emb_model_read_row(model, table, 0, row, dim, NULL),
                     EMB_OK);
    emb_error_init(&err);
    /* Writing row 0 back with its own values changes nothing. */
    return emb_model_write_row(model, table, 0, row, dim, &err) ==
           EMB_ERR_READ_ONLY;
}

#endif /* EMB_TEST_SAFETENSORS_UTIL_H */
