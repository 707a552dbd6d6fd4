/*
 * Save -> load round trips through safetensors files in copy and mmap mode:
 * tables come back bit for bit (NaN payloads, infinities, signed zeros and
 * subnormals included), mmap mode really maps aligned F32 tables (they are
 * read-only) and copies everything else, and the load options are honoured.
 */
#include "test_safetensors_util.h"

#include <math.h>

/* Bit patterns a value-based copy would change or lose. */
static const uint32_t special_bits[] = {
    0x00000000u, 0x80000000u, 0x00000001u, 0x807FFFFFu, 0x7F800000u,
    0xFF800000u, 0x7FC00000u, 0x7F800001u, 0xFFBFFFFFu, 0x7F7FFFFFu,
};

/* Fills count floats with random values and, at the start, the special
 * bit patterns. */
static void fill_table(uint64_t *seed, float *values, size_t count)
{
    size_t specials = sizeof(special_bits) / sizeof(special_bits[0]);

    fill_random_floats(seed, values, count);
    for (size_t i = 0; i < specials && i < count; i++)
        memcpy(&values[i], &special_bits[i], sizeof(float));
}

/* A model with random tables copied from caller buffers. */
typedef struct source_model {
    emb_model *model;
    float *token;
    float *position;
    float *token_type;
    int64_t vocab, context, dim, types;
} source_model;

static void make_source(source_model *s, int64_t vocab, int64_t context,
                        int64_t dim, int64_t types, int32_t position_kind,
                        uint64_t seed)
{
    emb_model_options options;

    memset(s, 0, sizeof(*s));
    s->vocab = vocab;
    s->context = context;
    s->dim = dim;
    s->types = types;
    s->token = malloc((size_t)(vocab * dim) * sizeof(float));
    s->position = malloc((size_t)((context > 0 ? context : 1) * dim) *
                         sizeof(float));
    s->token_type = malloc((size_t)((types > 0 ? types : 1) * dim) *
                           sizeof(float));
    assert_non_null(s->token);
    assert_non_null(s->position);
    assert_non_null(s->token_type);
    fill_table(&seed, s->token, (size_t)(vocab * dim));
    fill_table(&seed, s->position, (size_t)(context * dim));
    fill_table(&seed, s->token_type, (size_t)(types * dim));

    emb_model_options_init(&options);
    options.init = EMB_INIT_COPY;
    options.vocab_size = vocab;
    options.dim = dim;
    options.context_length = context;
    options.position_kind = position_kind;
    options.token_type_count = types;
    options.token_data = s->token;
    options.position_data = s->position;
    options.token_type_data = s->token_type;
    options.num_threads = 1;
    s->model = create_model(&options);
}

static void free_source(source_model *s)
{
    emb_model_destroy(s->model);
    free(s->token);
    free(s->position);
    free(s->token_type);
}

static void save_or_fail(const emb_model *model, const char *path)
{
    emb_error err;

    emb_error_init(&err);
    if (emb_model_save_safetensors(model, path, NULL, NULL, 0, &err) !=
        EMB_OK)
        fail_msg("save failed: %s", err.message);
    assert_int_equal(err.status, EMB_OK);
}

static emb_model *load_or_fail(const char *path, int32_t mode)
{
    emb_model *model = NULL;
    emb_error err;

    if (st_load(path, mode, &model, &err) != EMB_OK)
        fail_msg("load (mode %d) failed: %s", (int)mode, err.message);
    assert_int_equal(err.status, EMB_OK);
    assert_string_equal(err.message, "");
    return model;
}

/* Checks that every table of `loaded` equals the source bit for bit. */
static void assert_same_tables(const source_model *s, const emb_model *loaded)
{
    assert_int_equal(emb_model_vocab_size(loaded), s->vocab);
    assert_int_equal(emb_model_dim(loaded), s->dim);
    assert_int_equal(emb_model_context_length(loaded), s->context);
    assert_int_equal(emb_model_token_type_count(loaded), s->types);
    assert_floats_identical(s->token,
                            emb_model_table_data(loaded, EMB_TABLE_TOKEN),
                            (size_t)(s->vocab * s->dim));
    if (s->context > 0)
        assert_floats_identical(
            s->position, emb_model_table_data(loaded, EMB_TABLE_POSITION),
            (size_t)(s->context * s->dim));
    else
        assert_null(emb_model_table_data(loaded, EMB_TABLE_POSITION));
    if (s->types > 0)
        assert_floats_identical(
            s->token_type, emb_model_table_data(loaded, EMB_TABLE_TOKEN_TYPE),
            (size_t)(s->types * s->dim));
}

/* D = 64: every table size is a multiple of 64 bytes, so every tensor is
 * aligned and mmap mode maps all of them. */
static void roundtrip_aligned_tables(void **state)
{
    source_model s;
    char path[512];

    (void)state;
    make_source(&s, 300, 50, 64, 2, EMB_POSITION_LEARNED, 1);
    st_path(path, "aligned.safetensors");
    save_or_fail(s.model, path);

    for (int32_t mode = EMB_LOAD_COPY; mode <= EMB_LOAD_MMAP; mode++) {
        emb_model *loaded = load_or_fail(path, mode);
        bool mapped = mode == EMB_LOAD_MMAP;

        assert_same_tables(&s, loaded);
        assert_int_equal(st_table_is_read_only(loaded, EMB_TABLE_TOKEN),
                         mapped);
        assert_int_equal(st_table_is_read_only(loaded, EMB_TABLE_POSITION),
                         mapped);
        assert_int_equal(st_table_is_read_only(loaded, EMB_TABLE_TOKEN_TYPE),
                         mapped);
        assert_int_equal(emb_model_resize_vocab(loaded, 400, NULL),
                         mapped ? EMB_ERR_READ_ONLY : EMB_OK);
        emb_model_destroy(loaded);
    }
    free_source(&s);
}

/* D = 3: no table size is a multiple of 64; the first tensor is aligned
 * (and mapped), the others are copied. Values still round-trip. */
static void roundtrip_odd_dim(void **state)
{
    source_model s;
    char path[512];

    (void)state;
    make_source(&s, 7, 5, 3, 0, EMB_POSITION_LEARNED, 2);
    st_path(path, "odd.safetensors");
    save_or_fail(s.model, path);

    for (int32_t mode = EMB_LOAD_COPY; mode <= EMB_LOAD_MMAP; mode++) {
        emb_model *loaded = load_or_fail(path, mode);

        assert_same_tables(&s, loaded);
        assert_int_equal(st_table_is_read_only(loaded, EMB_TABLE_TOKEN),
                         mode == EMB_LOAD_MMAP);
        assert_false(st_table_is_read_only(loaded, EMB_TABLE_POSITION));
        emb_model_destroy(loaded);
    }
    free_source(&s);
}

/* D = 12, V = 5, C = 16: the token table (240 bytes) is not a multiple of
 * 64 bytes but the position table (768 bytes) is, so the writer stores the
 * position table first and both tensors start aligned. In the plain order
 * the position table would start at byte 240 and could not be mapped. */
static void roundtrip_reorders_for_alignment(void **state)
{
    source_model s;
    char path[512];
    emb_model *loaded;

    (void)state;
    make_source(&s, 5, 16, 12, 0, EMB_POSITION_LEARNED, 3);
    st_path(path, "reordered.safetensors");
    save_or_fail(s.model, path);

    loaded = load_or_fail(path, EMB_LOAD_MMAP);
    assert_same_tables(&s, loaded);
    assert_true(st_table_is_read_only(loaded, EMB_TABLE_TOKEN));
    assert_true(st_table_is_read_only(loaded, EMB_TABLE_POSITION));
    emb_model_destroy(loaded);
    free_source(&s);
}

/* The file layout itself: 8 + N is a multiple of 64, the header ends with
 * space padding, and every data offset is a multiple of 64 when D is a
 * multiple of 16. */
static void save_aligns_header_and_tensors(void **state)
{
    source_model s;
    char path[512];
    unsigned char *bytes;
    size_t length;
    uint64_t header_length = 0;
    char *header;
    const char *cursor;
    int offsets_seen = 0;

    (void)state;
    make_source(&s, 10, 6, 16, 3, EMB_POSITION_LEARNED, 4);
    st_path(path, "layout.safetensors");
    save_or_fail(s.model, path);
    bytes = st_read_file(path, &length);

    for (int i = 7; i >= 0; i--)
        header_length = header_length << 8 | bytes[i];
    assert_int_equal((8 + header_length) % 64, 0);
    assert_true(8 + header_length <= length);
    header = strndup((const char *)bytes + 8, (size_t)header_length);
    assert_non_null(header);
    assert_int_equal(header[0], '{');

    for (cursor = header; (cursor = strstr(cursor, "\"data_offsets\":["));
         offsets_seen++) {
        unsigned long long begin, end;

        assert_int_equal(sscanf(cursor, "\"data_offsets\":[%llu,%llu]",
                                &begin, &end),
                         2);
        assert_int_equal(begin % 64, 0);
        cursor++;
    }
    assert_int_equal(offsets_seen, 3);
    assert_non_null(strstr(header, "\"wte.weight\":{\"dtype\":\"F32\","
                                   "\"shape\":[10,16]"));
    assert_non_null(strstr(header, "\"wpe.weight\":{\"dtype\":\"F32\","
                                   "\"shape\":[6,16]"));
    assert_non_null(strstr(header, "\"wtt.weight\":{\"dtype\":\"F32\","
                                   "\"shape\":[3,16]"));
    assert_int_equal(length, 8 + header_length + (10 + 6 + 3) * 16 * 4);

    free(header);
    free(bytes);
    free_source(&s);
}

/* A model without a position table saves no wpe.weight and loads back
 * with no_position_tensor = 1; the default load reports the missing
 * tensor. */
static void roundtrip_without_positions(void **state)
{
    source_model s;
    emb_load_options options;
    emb_model *loaded = NULL;
    emb_error err;
    char path[512];

    (void)state;
    make_source(&s, 9, 0, 8, 0, EMB_POSITION_NONE, 5);
    st_path(path, "no_positions.safetensors");
    save_or_fail(s.model, path);

    assert_int_equal(st_load(path, EMB_LOAD_COPY, &loaded, &err),
                     EMB_ERR_NOT_FOUND);
    st_assert_message(&err, "its tensors are: 'wte.weight'");

    emb_load_options_init(&options);
    options.no_position_tensor = 1;
    for (int32_t mode = EMB_LOAD_COPY; mode <= EMB_LOAD_MMAP; mode++) {
        options.mode = mode;
        emb_error_init(&err);
        if (emb_model_load_safetensors(path, &options, &loaded, &err) !=
            EMB_OK)
            fail_msg("%s", err.message);
        assert_int_equal(emb_model_position_kind(loaded), EMB_POSITION_NONE);
        assert_same_tables(&s, loaded);
        emb_model_destroy(loaded);
    }
    free_source(&s);
}

/* A sinusoidal table is saved as wpe.weight and comes back as a learned
 * table holding the same values. */
static void roundtrip_sinusoidal_as_learned(void **state)
{
    emb_model_options options;
    emb_model *model, *loaded;
    char path[512];

    (void)state;
    emb_model_options_init(&options);
    options.init = EMB_INIT_NORMAL;
    options.seed = 7;
    options.vocab_size = 20;
    options.dim = 6;
    options.context_length = 11;
    options.position_kind = EMB_POSITION_SINUSOIDAL;
    model = create_model(&options);
    st_path(path, "sinusoid.safetensors");
    save_or_fail(model, path);

    loaded = load_or_fail(path, EMB_LOAD_COPY);
    assert_int_equal(emb_model_position_kind(loaded), EMB_POSITION_LEARNED);
    assert_floats_identical(emb_model_table_data(model, EMB_TABLE_POSITION),
                            emb_model_table_data(loaded, EMB_TABLE_POSITION),
                            11 * 6);
    assert_floats_identical(emb_model_table_data(model, EMB_TABLE_TOKEN),
                            emb_model_table_data(loaded, EMB_TABLE_TOKEN),
                            20 * 6);
    emb_model_destroy(loaded);
    emb_model_destroy(model);
}

/* Forward on a loaded model (mapped and copied) equals forward on the
 * source model. */
static void roundtrip_forward_matches(void **state)
{
    source_model s;
    char path[512];
    int64_t ids[12];
    float expected[12 * 32], actual[12 * 32];
    uint64_t seed = 99;

    (void)state;
    make_source(&s, 500, 12, 32, 0, EMB_POSITION_LEARNED, 6);
    st_path(path, "forward.safetensors");
    save_or_fail(s.model, path);
    for (int i = 0; i < 12; i++)
        ids[i] = test_random_below(&seed, 500);
    assert_int_equal(emb_forward_i64(s.model, ids, 2, 6, 6, expected,
                                     12 * 32, NULL),
                     EMB_OK);

    for (int32_t mode = EMB_LOAD_COPY; mode <= EMB_LOAD_MMAP; mode++) {
        emb_model *loaded = load_or_fail(path, mode);

        assert_int_equal(emb_forward_i64(loaded, ids, 2, 6, 6, actual,
                                         12 * 32, NULL),
                         EMB_OK);
        assert_floats_identical(expected, actual, 12 * 32);
        emb_model_destroy(loaded);
    }
    free_source(&s);
}

/* The mapping stays valid when the file is replaced or deleted: saving
 * over the mapped file renames a new inode into place. */
static void mapped_model_survives_replacement(void **state)
{
    source_model a, b;
    char path[512];
    emb_model *mapped, *reloaded;

    (void)state;
    make_source(&a, 40, 8, 16, 0, EMB_POSITION_LEARNED, 7);
    make_source(&b, 40, 8, 16, 0, EMB_POSITION_LEARNED, 8);
    st_path(path, "replaced.safetensors");
    save_or_fail(a.model, path);
    mapped = load_or_fail(path, EMB_LOAD_MMAP);
    assert_true(st_table_is_read_only(mapped, EMB_TABLE_TOKEN));

    save_or_fail(mapped, path);        /* a mapped model saves itself */
    save_or_fail(b.model, path);       /* then is replaced by another */
    assert_same_tables(&a, mapped);
    reloaded = load_or_fail(path, EMB_LOAD_MMAP);
    assert_same_tables(&b, reloaded);

    assert_int_equal(unlink(path), 0);
    assert_same_tables(&b, reloaded);
    emb_model_destroy(reloaded);
    emb_model_destroy(mapped);
    free_source(&a);
    free_source(&b);
}

/* ------------------------------------------------------------------------ */
/* Load options                                                             */
/* ------------------------------------------------------------------------ */

static void load_honours_threads_and_kernel(void **state)
{
    source_model s;
    emb_load_options options;
    emb_model *loaded = NULL;
    char path[512];

    (void)state;
    make_source(&s, 4, 4, 4, 0, EMB_POSITION_LEARNED, 9);
    st_path(path, "options.safetensors");
    save_or_fail(s.model, path);

    emb_load_options_init(&options);
    options.num_threads = 3;
    options.kernel = EMB_KERNEL_REFERENCE;
    assert_int_equal(emb_model_load_safetensors(path, &options, &loaded,
                                                NULL),
                     EMB_OK);
    assert_int_equal(emb_model_num_threads(loaded), 3);
    emb_model_destroy(loaded);

    /* NULL options are the defaults. */
    loaded = NULL;
    assert_int_equal(emb_model_load_safetensors(path, NULL, &loaded, NULL),
                     EMB_OK);
    assert_non_null(loaded);
    assert_same_tables(&s, loaded);
    emb_model_destroy(loaded);
    free_source(&s);
}

static void load_options_init_defaults(void **state)
{
    emb_load_options options;

    (void)state;
    memset(&options, 0x5A, sizeof(options));
    emb_load_options_init(&options);
    assert_int_equal(options.struct_size, sizeof(options));
    assert_int_equal(options.mode, EMB_LOAD_COPY);
    assert_null(options.token_tensor);
    assert_null(options.position_tensor);
    assert_int_equal(options.no_position_tensor, 0);
    assert_int_equal(options.num_threads, 0);
    assert_int_equal(options.kernel, EMB_KERNEL_AUTO);
    emb_load_options_init(NULL);
}

static void load_rejects_bad_arguments(void **state)
{
    emb_model *const sentinel = (emb_model *)(uintptr_t)0x5AFE;
    emb_model *model = sentinel;
    emb_load_options options;
    emb_error err;
    char path[512];

    (void)state;
    st_path(path, "unused.safetensors");
    emb_error_init(&err);
    assert_int_equal(emb_model_load_safetensors(NULL, NULL, &model, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    st_assert_message(&err, "path is NULL");
    assert_int_equal(emb_model_load_safetensors(path, NULL, NULL, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    st_assert_message(&err, "out_model is NULL");

    emb_load_options_init(&options);
    options.struct_size = 0;
    assert_int_equal(emb_model_load_safetensors(path, &options, &model, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    st_assert_message(&err, "emb_load_options.struct_size");

    emb_load_options_init(&options);
    options.reserved = 1;
    assert_int_equal(emb_model_load_safetensors(path, &options, &model, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    st_assert_message(&err, "reserved must be 0");

    emb_load_options_init(&options);
    options.mode = 2;
    assert_int_equal(emb_model_load_safetensors(path, &options, &model, &err),
                     EMB_ERR_UNSUPPORTED);
    st_assert_message(&err, "unknown load mode 2");

    emb_load_options_init(&options);
    options.no_position_tensor = 2;
    assert_int_equal(emb_model_load_safetensors(path, &options, &model, &err),
                     EMB_ERR_INVALID_ARGUMENT);

    emb_load_options_init(&options);
    options.no_position_tensor = 1;
    options.position_tensor = "wpe.weight";
    assert_int_equal(emb_model_load_safetensors(path, &options, &model, &err),
                     EMB_ERR_INVALID_ARGUMENT);
    st_assert_message(&err, "position_tensor is set");

    emb_load_options_init(&options);
    options.num_threads = -1;
    assert_int_equal(emb_model_load_safetensors(path, &options, &model, &err),
                     EMB_ERR_INVALID_ARGUMENT);

    emb_load_options_init(&options);
    options.kernel = 42;
    assert_int_equal(emb_model_load_safetensors(path, &options, &model, &err),
                     EMB_ERR_UNSUPPORTED);
    st_assert_message(&err, "unknown kernel 42");

    /* Option checks come before the file is opened: the path does not
     * exist, yet none of the above reported EMB_ERR_IO. */
    assert_ptr_equal(model, sentinel);
}

/* Explicit tensor names, and the transformer.* fallback names. */
static void load_picks_named_tensors(void **state)
{
    static const char header[] =
        "{\"transformer.wte.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],"
        "\"data_offsets\":[0,16]},"
        "\"transformer.wpe.weight\":{\"dtype\":\"F32\",\"shape\":[1,2],"
        "\"data_offsets\":[16,24]},"
        "\"emb.tok\":{\"dtype\":\"F32\",\"shape\":[1,2],"
        "\"data_offsets\":[24,32]},"
        "\"emb.pos\":{\"dtype\":\"F32\",\"shape\":[2,2],"
        "\"data_offsets\":[32,48]}}";
    float data[12];
    char path[512];
    emb_load_options options;
    emb_model *model = NULL;
    emb_error err;

    (void)state;
    for (int i = 0; i < 12; i++)
        data[i] = (float)i + 0.5f;
    st_path(path, "named.safetensors");
    st_write_file(path, header, strlen(header), data, sizeof(data));

    model = load_or_fail(path, EMB_LOAD_COPY);
    assert_int_equal(emb_model_vocab_size(model), 2);
    assert_int_equal(emb_model_context_length(model), 1);
    assert_floats_identical(data, emb_model_table_data(model,
                                                       EMB_TABLE_TOKEN),
                            4);
    emb_model_destroy(model);

    emb_load_options_init(&options);
    options.token_tensor = "emb.tok";
    options.position_tensor = "emb.pos";
    emb_error_init(&err);
    if (emb_model_load_safetensors(path, &options, &model, &err) != EMB_OK)
        fail_msg("%s", err.message);
    assert_int_equal(emb_model_vocab_size(model), 1);
    assert_int_equal(emb_model_context_length(model), 2);
    assert_floats_identical(data + 6,
                            emb_model_table_data(model, EMB_TABLE_TOKEN), 2);
    assert_floats_identical(data + 8,
                            emb_model_table_data(model, EMB_TABLE_POSITION),
                            4);
    emb_model_destroy(model);

    options.token_tensor = "emb.missing";
    model = NULL;
    assert_int_equal(emb_model_load_safetensors(path, &options, &model, &err),
                     EMB_ERR_NOT_FOUND);
    st_assert_message(&err, "token tensor 'emb.missing' not found");
    st_assert_message(&err, "'emb.pos', 'emb.tok', 'transformer.wpe.weight', "
                            "'transformer.wte.weight'");
    assert_null(model);
}

/* Loading many tensors names a truncated list when they do not fit the
 * message. */
static void load_not_found_lists_truncated_names(void **state)
{
    char header[8192];
    size_t used = 0;
    char path[512];
    emb_model *model = NULL;
    emb_error err;

    (void)state;
    used += (size_t)snprintf(header + used, sizeof(header) - used, "{");
    for (int i = 0; i < 100; i++)
        used += (size_t)snprintf(header + used, sizeof(header) - used,
                                 "%s\"layer.%03d.weight\":{\"dtype\":\"U8\","
                                 "\"shape\":[0],\"data_offsets\":[0,0]}",
                                 i > 0 ? "," : "", i);
    snprintf(header + used, sizeof(header) - used, "}");
    st_path(path, "many.safetensors");
    st_write_file(path, header, strlen(header), NULL, 0);

    assert_int_equal(st_load(path, EMB_LOAD_COPY, &model, &err),
                     EMB_ERR_NOT_FOUND);
    st_assert_message(&err, "'layer.000.weight', 'layer.001.weight'");
    st_assert_message(&err, ", ...");
    assert_true(strlen(err.message) < sizeof(err.message));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip_aligned_tables),
        cmocka_unit_test(roundtrip_odd_dim),
        cmocka_unit_test(roundtrip_reorders_for_alignment),
        cmocka_unit_test(save_aligns_header_and_tensors),
        cmocka_unit_test(roundtrip_without_positions),
        cmocka_unit_test(roundtrip_sinusoidal_as_learned),
        cmocka_unit_test(roundtrip_forward_matches),
        cmocka_unit_test(mapped_model_survives_replacement),
        cmocka_unit_test(load_honours_threads_and_kernel),
        cmocka_unit_test(load_options_init_defaults),
        cmocka_unit_test(load_rejects_bad_arguments),
        cmocka_unit_test(load_picks_named_tensors),
        cmocka_unit_test(load_not_found_lists_truncated_names),
    };
    return cmocka_run_group_tests(tests, st_setup, st_teardown);
}
