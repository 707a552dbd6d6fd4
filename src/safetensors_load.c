/*
 * emb_model_load_safetensors: opens a weights file, validates its header
 * (safetensors_parse.c), picks the token, position and token-type tensors,
 * checks their dtypes and shapes, and fills the model's tables. A table is
 * read into owned memory, widened from F16/BF16, or (EMB_LOAD_MMAP, F32,
 * 64-byte aligned) used in place from a read-only mapping of the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safetensors.h"

/* Default tensor names, tried in order: GPT-2 checkpoints use the short
 * names, or the long ones when saved from a Hugging Face GPT2LMHeadModel. */
static const char *const default_token_names[] = {"wte.weight",
                                                  "transformer.wte.weight"};
static const char *const default_position_names[] = {
    "wpe.weight", "transformer.wpe.weight"};
/* The token-type table, written by emb_model_save_safetensors and loaded
 * whenever the file has it. */
#define TOKEN_TYPE_TENSOR "wtt.weight"

/* Alignment a mapped F32 tensor needs to be used in place. */
#define MAPPED_ALIGNMENT 64
/* Bytes of F16/BF16 source converted per step when reading from a file. */
#define CONVERT_CHUNK_BYTES ((size_t)1 << 20)

/* The tensors chosen for each table. position and token_type may be
 * NULL. */
typedef struct chosen_tensors {
    const st_tensor *token;
    const st_tensor *position;
    const st_tensor *token_type;
} chosen_tensors;

static emb_status check_load_options(const emb_load_options *options,
                                     emb_error *err)
{
    emb_status status = emb_check_struct_size(options, options->struct_size,
                                              EMB_LOAD_OPTIONS_SIZE_1_0,
                                              sizeof(*options),
                                              "emb_load_options", err);
    if (status != EMB_OK)
        return status;
    if (options->mode != EMB_LOAD_COPY && options->mode != EMB_LOAD_MMAP)
        return emb_fail(err, EMB_ERR_UNSUPPORTED, "unknown load mode %d",
                        (int)options->mode);
    if (options->no_position_tensor != 0 && options->no_position_tensor != 1)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "no_position_tensor must be 0 or 1, got %d",
                        (int)options->no_position_tensor);
    if (options->no_position_tensor == 1 && options->position_tensor != NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "position_tensor is set but no_position_tensor says "
                        "the file has none");
    if (options->num_threads < 0)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "num_threads %d must not be negative",
                        (int)options->num_threads);
    if (options->reserved != 0)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "emb_load_options.reserved must be 0, got %d",
                        (int)options->reserved);
    if (options->kernel < EMB_KERNEL_AUTO || options->kernel > EMB_KERNEL_FUSED)
        return emb_fail(err, EMB_ERR_UNSUPPORTED, "unknown kernel %d",
                        (int)options->kernel);
    return EMB_OK;
}

/* Finds the tensor of one table: `requested` when set, else the first of
 * `defaults` present. `role` names the table in messages. */
static emb_status find_tensor(const st_source *source,
                              const st_header *header, const char *requested,
                              const char *const defaults[2], const char *role,
                              const st_tensor **out, emb_error *err)
{
    char names[320];

    if (requested != NULL)
        *out = emb_st_header_find(header, requested);
    else if ((*out = emb_st_header_find(header, defaults[0])) == NULL)
        *out = emb_st_header_find(header, defaults[1]);
    if (*out != NULL)
        return EMB_OK;

    emb_st_format_names(header, names, sizeof(names));
    if (requested != NULL)
        return emb_fail(err, EMB_ERR_NOT_FOUND,
                        "%s tensor '%s' not found in %s; its tensors are: %s",
                        role, requested, source->path, names);
    return emb_fail(err, EMB_ERR_NOT_FOUND,
                    "no %s tensor in %s (looked for '%s' and '%s'); its "
                    "tensors are: %s",
                    role, source->path, defaults[0], defaults[1], names);
}

/* Checks that a table tensor has a loadable dtype and a [rows, dim] shape
 * with both sizes positive. */
static emb_status check_table_tensor(const st_source *source,
                                     const st_header *header,
                                     const st_tensor *t, const char *role,
                                     emb_error *err)
{
    char shape[96];

    if (t->dtype != ST_DTYPE_F32 && t->dtype != ST_DTYPE_F16 &&
        t->dtype != ST_DTYPE_BF16)
        return emb_fail(err, EMB_ERR_UNSUPPORTED,
                        "%s: %s tensor '%s' has dtype %s; only F32, F16 and "
                        "BF16 tables can be loaded",
                        source->path, role, t->name,
                        emb_st_dtype_name(t->dtype));

    emb_st_format_shape(header, t, shape, sizeof(shape));
    if (t->rank != 2)
        return emb_fail(err, EMB_ERR_SHAPE_MISMATCH,
                        "%s: %s tensor '%s' has shape %s of rank %u; "
                        "expected rank 2 [rows, dim]",
                        source->path, role, t->name, shape,
                        (unsigned)t->rank);
    if (t->element_count == 0)
        return emb_fail(err, EMB_ERR_SHAPE_MISMATCH,
                        "%s: %s tensor '%s' has the empty shape %s; a table "
                        "needs at least one row and one column",
                        source->path, role, t->name, shape);
    return EMB_OK;
}

/* Checks that `other` has the token tensor's dim. */
static emb_status check_same_dim(const st_source *source,
                                 const st_header *header,
                                 const st_tensor *token, const st_tensor *other,
                                 const char *role, emb_error *err)
{
    int64_t dim = emb_st_tensor_dim(header, token, 1);
    int64_t other_dim = emb_st_tensor_dim(header, other, 1);
    char token_shape[96], other_shape[96];

    if (dim == other_dim)
        return EMB_OK;
    emb_st_format_shape(header, token, token_shape, sizeof(token_shape));
    emb_st_format_shape(header, other, other_shape, sizeof(other_shape));
    return emb_fail(err, EMB_ERR_SHAPE_MISMATCH,
                    "%s: token tensor '%s' %s and %s tensor '%s' %s disagree "
                    "on dim (%lld vs %lld)",
                    source->path, token->name, token_shape, role, other->name,
                    other_shape, (long long)dim, (long long)other_dim);
}

static emb_status choose_tensors(const st_source *source,
                                 const st_header *header,
                                 const emb_load_options *options,
                                 chosen_tensors *chosen, emb_error *err)
{
    emb_status status;

    memset(chosen, 0, sizeof(*chosen));
    status = find_tensor(source, header, options->token_tensor,
                         default_token_names, "token", &chosen->token, err);
    if (status == EMB_OK && !options->no_position_tensor)
        status = find_tensor(source, header, options->position_tensor,
                             default_position_names, "position",
                             &chosen->position, err);
    if (status != EMB_OK)
        return status;
    chosen->token_type = emb_st_header_find(header, TOKEN_TYPE_TENSOR);

    status = check_table_tensor(source, header, chosen->token, "token", err);
    if (status == EMB_OK && chosen->position != NULL)
        status = check_table_tensor(source, header, chosen->position,
                                    "position", err);
    if (status == EMB_OK && chosen->token_type != NULL)
        status = check_table_tensor(source, header, chosen->token_type,
                                    "token-type", err);
    if (status == EMB_OK && chosen->position != NULL)
        status = check_same_dim(source, header, chosen->token,
                                chosen->position, "position", err);
    if (status == EMB_OK && chosen->token_type != NULL)
        status = check_same_dim(source, header, chosen->token,
                                chosen->token_type, "token-type", err);
    return status;
}

/* Creates a handle without tables, with the shapes of the chosen tensors
 * and the options' threads and kernel. */
static emb_status create_handle(const st_header *header,
                                const emb_load_options *options,
                                const chosen_tensors *chosen,
                                emb_model **out_model, emb_error *err)
{
    emb_model_options model_options;
    emb_status status;

    emb_model_options_init(&model_options);
    model_options.vocab_size = emb_st_tensor_dim(header, chosen->token, 0);
    model_options.dim = emb_st_tensor_dim(header, chosen->token, 1);
    if (chosen->position != NULL) {
        model_options.context_length =
            emb_st_tensor_dim(header, chosen->position, 0);
    } else {
        model_options.position_kind = EMB_POSITION_NONE;
    }
    if (chosen->token_type != NULL)
        model_options.token_type_count =
            emb_st_tensor_dim(header, chosen->token_type, 0);
    model_options.num_threads = options->num_threads;
    model_options.kernel = options->kernel;

    /* Checked as a zero-filled model (no source pointers needed), then
     * recorded as copied data so that resizing adds zero rows. */
    status = emb_check_model_options(&model_options, err);
    if (status != EMB_OK)
        return status;
    model_options.init = EMB_INIT_COPY;
    *out_model = emb_model_new(&model_options);
    if (*out_model == NULL)
        return emb_fail(err, EMB_ERR_OUT_OF_MEMORY,
                        "cannot allocate the model handle");
    return EMB_OK;
}

/* Widens an F16/BF16 tensor read with emb_st_source_read, one chunk at a
 * time. */
static emb_status convert_tensor(const st_source *source, uint64_t offset,
                                 const st_tensor *t, float *dst,
                                 emb_error *err)
{
    const size_t chunk_elements = CONVERT_CHUNK_BYTES / 2;
    size_t chunk_bytes = t->element_count < chunk_elements
                             ? (size_t)t->element_count * 2
                             : CONVERT_CHUNK_BYTES;
    unsigned char *chunk = malloc(chunk_bytes);
    size_t done = 0;
    emb_status status = EMB_OK;

    if (chunk == NULL)
        return emb_fail(err, EMB_ERR_OUT_OF_MEMORY,
                        "cannot allocate a %zu-byte conversion buffer",
                        chunk_bytes);
    while (done < t->element_count && status == EMB_OK) {
        size_t left = (size_t)t->element_count - done;
        size_t count = left < chunk_elements ? left : chunk_elements;

        status = emb_st_source_read(source, offset + done * 2, chunk,
                                    count * 2, err);
        if (status == EMB_OK)
            emb_st_widen(t->dtype, chunk, dst + done, count);
        done += count;
    }
    free(chunk);
    return status;
}

/* Fills `table` (rows x dim) from tensor t. */
static emb_status fill_table(const st_source *source, const st_header *header,
                             const st_tensor *t, bool map_in_place,
                             int64_t dim, emb_table *table, const char *role,
                             emb_error *err)
{
    uint64_t offset = header->data_start + t->begin;
    int64_t rows = emb_st_tensor_dim(header, t, 0);
    emb_status status;

    if (map_in_place && t->dtype == ST_DTYPE_F32) {
        const unsigned char *first = source->image + offset;

        if ((uintptr_t)first % MAPPED_ALIGNMENT == 0) {
            /* The mapping is read-only; TABLE_MAPPED keeps the library from
             * writing through this pointer. */
            table->data = (float *)(uintptr_t)first;
            table->rows = rows;
            table->bytes = (size_t)(t->end - t->begin);
            table->origin = TABLE_MAPPED;
            return EMB_OK;
        }
    }

    /* Everything else is read with pread even in mmap mode: a file
     * truncated during the load then gives a short read (EMB_ERR_FORMAT)
     * where reading the mapping would raise SIGBUS. */
    status = emb_table_allocate(table, rows, dim, role, err);
    if (status != EMB_OK)
        return status;
    if (t->dtype == ST_DTYPE_F32)
        return emb_st_source_read(source, offset, table->data, table->bytes,
                                  err);
    return convert_tensor(source, offset, t, table->data, err);
}

bool emb_st_model_uses_mapping(const emb_model *model)
{
    for (int i = 0; i < 3; i++) {
        if (model->tables[i].origin == TABLE_MAPPED)
            return true;
    }
    return false;
}

emb_status emb_st_load(const st_source *source,
                       const emb_load_options *options, bool map_in_place,
                       emb_model **out_model, emb_error *err)
{
    st_header header;
    chosen_tensors chosen;
    emb_model *model = NULL;
    emb_status status;

    status = emb_st_header_read(source, &header, err);
    if (status != EMB_OK)
        return status;
    status = choose_tensors(source, &header, options, &chosen, err);
    if (status == EMB_OK)
        status = create_handle(&header, options, &chosen, &model, err);

    if (status == EMB_OK)
        status = fill_table(source, &header, chosen.token, map_in_place,
                            model->dim, &model->tables[EMB_TABLE_TOKEN],
                            "token", err);
    if (status == EMB_OK && chosen.position != NULL)
        status = fill_table(source, &header, chosen.position, map_in_place,
                            model->dim, &model->tables[EMB_TABLE_POSITION],
                            "position", err);
    if (status == EMB_OK && chosen.token_type != NULL)
        status = fill_table(source, &header, chosen.token_type, map_in_place,
                            model->dim, &model->tables[EMB_TABLE_TOKEN_TYPE],
                            "token-type", err);
    emb_st_header_free(&header);

    if (status != EMB_OK) {
        emb_model_destroy(model);
        return status;
    }
    *out_model = model;
    return EMB_OK;
}

/* Opens `path` read-only and checks that it is a regular file. */
static emb_status open_weights(const char *path, int *out_fd,
                               uint64_t *out_size, emb_error *err)
{
    struct stat info;
    int flags;
    /* O_NONBLOCK keeps open() from waiting for a writer when the path is a
     * FIFO, and O_NOCTTY keeps a terminal from becoming the controlling
     * one, so that such files reach the regular-file check below. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

    if (fd < 0)
        return emb_st_fail_os(err, errno, "cannot open %s", path);
    if (fstat(fd, &info) != 0) {
        int saved = errno;
        close(fd);
        return emb_st_fail_os(err, saved, "cannot stat %s", path);
    }
    if (!S_ISREG(info.st_mode)) {
        close(fd);
        return emb_st_fail_os(err, S_ISDIR(info.st_mode) ? EISDIR : EINVAL,
                              "cannot load %s: not a regular file", path);
    }

    /* Later reads use this descriptor, so make them blocking again. */
    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int saved = errno;
        close(fd);
        return emb_st_fail_os(err, saved, "cannot clear O_NONBLOCK on %s",
                              path);
    }
    *out_fd = fd;
    *out_size = (uint64_t)info.st_size;
    return EMB_OK;
}

emb_status emb_model_load_safetensors(const char *path,
                                      const emb_load_options *options,
                                      emb_model **out_model, emb_error *err)
{
    emb_load_options defaults;
    st_source source = {path, -1, NULL, 0};
    void *mapping = NULL;
    emb_model *model = NULL;
    emb_status status;

    if (path == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "path is NULL");
    if (out_model == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT, "out_model is NULL");
    if (options == NULL) {
        emb_load_options_init(&defaults);
        options = &defaults;
    }
    status = check_load_options(options, err);
    if (status != EMB_OK)
        return status;

    status = open_weights(path, &source.fd, &source.size, err);
    if (status != EMB_OK)
        return status;

    /* A file shorter than the length prefix is rejected by the header
     * reader; mapping it would fail for a 0-byte file anyway. */
    if (options->mode == EMB_LOAD_MMAP && source.size >= 8) {
        if (source.size > SIZE_MAX) {
            close(source.fd);
            return emb_st_fail_os(err, EFBIG, "cannot map %s", path);
        }
        mapping = mmap(NULL, (size_t)source.size, PROT_READ, MAP_SHARED,
                       source.fd, 0);
        if (mapping == MAP_FAILED) {
            int saved = errno;
            close(source.fd);
            return emb_st_fail_os(err, saved, "cannot map %s", path);
        }
        source.image = mapping;
    }

    status = emb_st_load(&source, options, mapping != NULL, &model, err);
    close(source.fd);

    if (mapping != NULL) {
        if (status == EMB_OK && emb_st_model_uses_mapping(model)) {
            model->mapping = mapping;
            model->mapping_bytes = (size_t)source.size;
        } else {
            munmap(mapping, (size_t)source.size);
        }
    }
    if (status != EMB_OK)
        return status;
    *out_model = model;
    return emb_succeed(err);
}
