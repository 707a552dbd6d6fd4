/*
 * Safetensors header validation: one crafted file per broken rule, loaded
 * in copy and mmap mode, must fail with the expected status and a message
 * naming the rule, and must leave *out_model untouched. A few crafted files
 * that are valid but unusual must load.
 */
#include "test_safetensors_util.h"

#include <sys/resource.h>
#include <sys/wait.h>

/* One crafted file: header text (header_length bytes; 0 means strlen),
 * data_length bytes of data, and the expected outcome. */
typedef struct header_case {
    const char *name;
    const char *header;
    size_t header_length;
    size_t data_length;
    emb_status status;
    const char *message_part;
} header_case;

/* A valid tensor entry of 4 F32 values, reused by many cases. */
#define WTE "\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[2,2]," \
            "\"data_offsets\":[0,16]}"
#define WPE "\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[1,2]," \
            "\"data_offsets\":[16,24]}"
#define GOOD_TABLES WTE "," WPE

static const header_case bad_headers[] = {
    /* Not JSON at all, or broken JSON. */
    {"json_empty_header", "", 0, 0, EMB_ERR_FORMAT, "expected a value"},
    {"json_only_spaces", "    ", 0, 0, EMB_ERR_FORMAT, "expected a value"},
    {"json_trailing_comma", "{" GOOD_TABLES ",}", 0, 24, EMB_ERR_FORMAT,
     "expected a string key"},
    {"json_missing_brace", "{" GOOD_TABLES, 0, 24, EMB_ERR_FORMAT,
     "expected ',' or '}'"},
    {"json_single_quotes", "{'wte.weight':1}", 0, 0, EMB_ERR_FORMAT,
     "expected a string key"},
    {"json_nan_literal", "{\"__metadata__\":{\"a\":NaN}}", 0, 0,
     EMB_ERR_FORMAT, "expected a value"},
    {"json_comment", "{/* weights */}", 0, 0, EMB_ERR_FORMAT,
     "expected a string key"},
    {"json_leading_zero",
     "{\"t\":{\"dtype\":\"U8\",\"shape\":[01],\"data_offsets\":[0,1]}}", 0, 1,
     EMB_ERR_FORMAT, "leading zeros"},
    {"json_trailing_data", "{} {}", 0, 0, EMB_ERR_FORMAT,
     "unexpected data after the JSON value"},
    {"json_nul_after_value", "{}\0", 3, 0, EMB_ERR_FORMAT,
     "unexpected data after the JSON value"},
    {"json_unterminated_string", "{\"wte.weight", 0, 0, EMB_ERR_FORMAT,
     "unterminated string"},
    {"json_raw_tab_in_string", "{\"a\tb\":1}", 0, 0, EMB_ERR_FORMAT,
     "control character"},
    {"json_bad_escape", "{\"a\\xb\":1}", 0, 0, EMB_ERR_FORMAT,
     "unknown escape"},
    {"json_short_unicode_escape", "{\"a\\u12\":1}", 0, 0, EMB_ERR_FORMAT,
     "4 hex digits"},
    {"json_lone_high_surrogate", "{\"a\\ud800\":1}", 0, 0, EMB_ERR_FORMAT,
     "surrogate"},
    {"json_lone_low_surrogate", "{\"a\\udc00\":1}", 0, 0, EMB_ERR_FORMAT,
     "surrogate"},
    {"json_bad_literal", "{\"__metadata__\":tru}", 0, 0, EMB_ERR_FORMAT,
     "invalid literal"},
    {"json_fraction_without_digit",
     "{\"t\":{\"dtype\":\"U8\",\"shape\":[1.],\"data_offsets\":[0,1]}}", 0, 1,
     EMB_ERR_FORMAT, "decimal point"},
    {"json_plus_sign",
     "{\"t\":{\"dtype\":\"U8\",\"shape\":[+1],\"data_offsets\":[0,1]}}", 0, 1,
     EMB_ERR_FORMAT, "expected a value"},
    {"json_too_deep",
     "{\"__metadata__\":"
     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
     0, 0, EMB_ERR_FORMAT, "nested too deeply"},

    /* Invalid UTF-8 anywhere in the header. */
    {"utf8_invalid_byte", "{\"\xff\":1}", 0, 0, EMB_ERR_FORMAT, "UTF-8"},
    {"utf8_overlong_slash", "{\"\xc0\xaf\":1}", 0, 0, EMB_ERR_FORMAT,
     "UTF-8"},
    {"utf8_encoded_surrogate", "{\"\xed\xa0\x80\":1}", 0, 0, EMB_ERR_FORMAT,
     "UTF-8"},
    {"utf8_above_max", "{\"\xf4\x90\x80\x80\":1}", 0, 0, EMB_ERR_FORMAT,
     "UTF-8"},
    {"utf8_truncated_sequence", "{}\xe2\x82", 0, 0, EMB_ERR_FORMAT,
     "UTF-8 at file byte 10"},

    /* Valid JSON of the wrong shape. */
    {"root_array", "[1,2]", 0, 0, EMB_ERR_FORMAT,
     "header is a JSON array, expected an object"},
    {"root_string", "\"wte.weight\"", 0, 0, EMB_ERR_FORMAT,
     "does not look like a safetensors file"},
    {"tensor_not_object", "{\"wte.weight\":[2,2]}", 0, 0, EMB_ERR_FORMAT,
     "tensor 'wte.weight' is a JSON array"},
    {"tensor_missing_dtype",
     "{\"wte.weight\":{\"shape\":[2,2],\"data_offsets\":[0,16]}}", 0, 16,
     EMB_ERR_FORMAT, "has no \"dtype\" key"},
    {"tensor_missing_shape",
     "{\"wte.weight\":{\"dtype\":\"F32\",\"data_offsets\":[0,16]}}", 0, 16,
     EMB_ERR_FORMAT, "has no \"shape\" key"},
    {"tensor_missing_offsets",
     "{\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[2,2]}}", 0, 0,
     EMB_ERR_FORMAT, "has no \"data_offsets\" key"},
    {"tensor_unknown_key",
     "{\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],"
     "\"data_offsets\":[0,16],\"strides\":[2,1]}}",
     0, 16, EMB_ERR_FORMAT, "unknown key \"strides\""},
    {"tensor_key_twice",
     "{\"wte.weight\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2,2],"
     "\"data_offsets\":[0,16]}}",
     0, 16, EMB_ERR_FORMAT, "has the key \"dtype\" twice"},
    {"dtype_not_string",
     "{\"wte.weight\":{\"dtype\":32,\"shape\":[2,2],\"data_offsets\":[0,16]}}",
     0, 16, EMB_ERR_FORMAT, "dtype is a JSON number"},
    {"dtype_unknown",
     "{\"wte.weight\":{\"dtype\":\"F31\",\"shape\":[2,2],"
     "\"data_offsets\":[0,16]}}",
     0, 16, EMB_ERR_FORMAT, "unknown dtype \"F31\""},
    {"dtype_lower_case",
     "{\"wte.weight\":{\"dtype\":\"f32\",\"shape\":[2,2],"
     "\"data_offsets\":[0,16]}}",
     0, 16, EMB_ERR_FORMAT, "unknown dtype \"f32\""},
    {"shape_not_array",
     "{\"wte.weight\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]}}",
     0, 16, EMB_ERR_FORMAT, "shape is a JSON number"},
    {"shape_string_dim",
     "{\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[\"4\"],"
     "\"data_offsets\":[0,16]}}",
     0, 16, EMB_ERR_FORMAT, "a shape dimension is a JSON string"},
    {"shape_fraction",
     "{\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[4.0],"
     "\"data_offsets\":[0,16]}}",
     0, 16, EMB_ERR_FORMAT, "fraction or exponent"},
    {"shape_exponent",
     "{\"wte.weight\":{\"dtype\":\"U8\",\"shape\":[1e1],"
     "\"data_offsets\":[0,10]}}",
     0, 10, EMB_ERR_FORMAT, "fraction or exponent"},
    {"shape_negative",
     "{\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[-4],"
     "\"data_offsets\":[0,16]}}",
     0, 16, EMB_ERR_FORMAT, "a shape dimension is negative"},
    {"shape_minus_zero",
     "{\"t\":{\"dtype\":\"F32\",\"shape\":[-0],\"data_offsets\":[0,0]}}", 0, 0,
     EMB_ERR_FORMAT, "a shape dimension is negative"},
    {"shape_dim_above_int64",
     "{\"t\":{\"dtype\":\"U8\",\"shape\":[9223372036854775808],"
     "\"data_offsets\":[0,0]}}",
     0, 0, EMB_ERR_FORMAT, "larger than 9223372036854775807"},
    {"shape_dim_above_uint64",
     "{\"t\":{\"dtype\":\"U8\",\"shape\":[18446744073709551616],"
     "\"data_offsets\":[0,0]}}",
     0, 0, EMB_ERR_FORMAT, "larger than 9223372036854775807"},
    /* 2^32 x 2^32 elements wrap to 0 in 64-bit arithmetic; the file must
     * not be taken as holding an empty tensor. */
    {"shape_product_overflow",
     "{\"t\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],"
     "\"data_offsets\":[0,0]}}",
     0, 0, EMB_ERR_FORMAT, "element count of its shape overflows 64 bits"},
    /* 2^62 F32 elements fit 64 bits, their 2^64 bytes do not. */
    {"byte_count_overflow",
     "{\"t\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],"
     "\"data_offsets\":[0,0]}}",
     0, 0, EMB_ERR_FORMAT, "byte size of shape [4611686018427387904]"},
    {"sub_byte_partial",
     "{\"t\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 0, 2,
     EMB_ERR_FORMAT, "does not fill whole bytes"},
    {"offsets_not_array",
     "{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":0}}", 0, 1,
     EMB_ERR_FORMAT, "data_offsets must be an array of 2 integers"},
    {"offsets_one_value",
     "{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1]}}", 0, 1,
     EMB_ERR_FORMAT, "data_offsets must be an array of 2 integers"},
    {"offsets_three_values",
     "{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}", 0, 2,
     EMB_ERR_FORMAT, "data_offsets must be an array of 2 integers"},
    {"offsets_negative",
     "{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[-1,0]}}", 0, 1,
     EMB_ERR_FORMAT, "the begin offset is negative"},
    {"offsets_fraction",
     "{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1.5]}}", 0, 1,
     EMB_ERR_FORMAT, "the end offset has a fraction"},
    {"offsets_reversed",
     "{\"t\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,4]}}", 0, 8,
     EMB_ERR_FORMAT, "data_offsets [8, 4] are reversed"},
    {"offsets_length_mismatch",
     "{\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],"
     "\"data_offsets\":[0,12]}}",
     0, 12, EMB_ERR_FORMAT, "span 12 bytes, but shape [2, 2] of dtype F32 "
                            "needs 16"},
    {"offsets_hole_at_start",
     "{\"t\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}}", 0, 8,
     EMB_ERR_FORMAT, "first tensor 't' data begins at offset 4, not 0"},
    {"offsets_hole_between",
     "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
     "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[8,12]}}",
     0, 12, EMB_ERR_FORMAT, "tensor 'b' data begins at offset 8 but tensor "
                            "'a' ends at 4"},
    {"offsets_overlap",
     "{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
     "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[4,12]}}",
     0, 12, EMB_ERR_FORMAT, "'b' data [4, 12) overlaps tensor 'a' [0, 8)"},
    {"offsets_same_range",
     "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
     "\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
     0, 4, EMB_ERR_FORMAT, "overlaps"},
    {"offsets_past_end",
     "{\"t\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}", 0, 7,
     EMB_ERR_FORMAT, "the file is truncated"},
    {"offsets_far_past_end",
     "{\"t\":{\"dtype\":\"U8\",\"shape\":[0],"
     "\"data_offsets\":[18446744073709551615,18446744073709551615]}}",
     0, 0, EMB_ERR_FORMAT, "data begins at offset 18446744073709551615"},
    {"trailing_bytes",
     "{\"t\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", 0, 6,
     EMB_ERR_FORMAT, "has 2 bytes after the end of the last tensor"},
    {"no_tensors_but_data", "{}", 0, 4, EMB_ERR_FORMAT,
     "has no tensors but 4 bytes of data"},
    {"duplicate_tensor_name", "{" WTE "," WTE "}", 0, 16, EMB_ERR_FORMAT,
     "the tensor name 'wte.weight' appears more than once"},
    {"duplicate_name_by_escape",
     "{" WTE ",\"wte.weigh\\u0074\":{\"dtype\":\"F32\",\"shape\":[2,2],"
     "\"data_offsets\":[16,32]}}",
     0, 32, EMB_ERR_FORMAT, "appears more than once"},
    {"name_with_nul",
     "{\"wte\\u0000.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],"
     "\"data_offsets\":[0,16]}}",
     0, 16, EMB_ERR_FORMAT, "contains a NUL character"},
    {"metadata_not_object", "{\"__metadata__\":\"pt\"}", 0, 0,
     EMB_ERR_FORMAT, "__metadata__ is a JSON string"},
    {"metadata_number_value", "{\"__metadata__\":{\"epoch\":3}}", 0, 0,
     EMB_ERR_FORMAT, "value of key \"epoch\" is a JSON number"},
    {"metadata_null_value", "{\"__metadata__\":{\"a\":null}}", 0, 0,
     EMB_ERR_FORMAT, "is a JSON null"},
    {"metadata_twice",
     "{\"__metadata__\":{},\"__metadata__\":{}}", 0, 0, EMB_ERR_FORMAT,
     "__metadata__ twice"},

    /* Valid files without the tables the library needs. */
    {"token_missing", "{" WPE ",\"other\":{\"dtype\":\"U8\",\"shape\":[16],"
                      "\"data_offsets\":[0,16]}}",
     0, 24, EMB_ERR_NOT_FOUND, "its tensors are: 'other', 'wpe.weight'"},
    {"position_missing", "{" WTE "}", 0, 16, EMB_ERR_NOT_FOUND,
     "looked for 'wpe.weight' and 'transformer.wpe.weight'"},
    {"empty_file_tensors", "{}", 0, 0, EMB_ERR_NOT_FOUND,
     "its tensors are: (none)"},
    {"token_rank_1",
     "{\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[4],"
     "\"data_offsets\":[0,16]}," WPE "}",
     0, 24, EMB_ERR_SHAPE_MISMATCH, "'wte.weight' has shape [4] of rank 1"},
    {"token_rank_3",
     "{\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[1,2,2],"
     "\"data_offsets\":[0,16]}," WPE "}",
     0, 24, EMB_ERR_SHAPE_MISMATCH, "[1, 2, 2] of rank 3"},
    {"token_rank_0",
     "{\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[],"
     "\"data_offsets\":[0,4]},"
     "\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[1,2],"
     "\"data_offsets\":[4,12]}}",
     0, 12, EMB_ERR_SHAPE_MISMATCH, "shape [] of rank 0"},
    {"position_rank_1",
     "{" WTE ",\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[2],"
     "\"data_offsets\":[16,24]}}",
     0, 24, EMB_ERR_SHAPE_MISMATCH, "position tensor 'wpe.weight' has shape "
                                    "[2] of rank 1"},
    {"dims_disagree",
     "{" WTE ",\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[1,3],"
     "\"data_offsets\":[16,28]}}",
     0, 28, EMB_ERR_SHAPE_MISMATCH,
     "token tensor 'wte.weight' [2, 2] and position tensor 'wpe.weight' "
     "[1, 3] disagree on dim (2 vs 3)"},
    {"token_type_dim_disagrees",
     "{" GOOD_TABLES ",\"wtt.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],"
     "\"data_offsets\":[24,28]}}",
     0, 28, EMB_ERR_SHAPE_MISMATCH, "token-type tensor 'wtt.weight' [1, 1]"},
    {"token_empty_rows",
     "{\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[0,2],"
     "\"data_offsets\":[0,0]},\"wpe.weight\":{\"dtype\":\"F32\","
     "\"shape\":[1,2],\"data_offsets\":[0,8]}}",
     0, 8, EMB_ERR_SHAPE_MISMATCH, "empty shape [0, 2]"},
    {"token_dtype_int",
     "{\"wte.weight\":{\"dtype\":\"I32\",\"shape\":[2,2],"
     "\"data_offsets\":[0,16]}," WPE "}",
     0, 24, EMB_ERR_UNSUPPORTED, "has dtype I32; only F32, F16 and BF16"},
    {"position_dtype_f64",
     "{" WTE ",\"wpe.weight\":{\"dtype\":\"F64\",\"shape\":[1,2],"
     "\"data_offsets\":[16,32]}}",
     0, 32, EMB_ERR_UNSUPPORTED, "position tensor 'wpe.weight' has dtype "
                                 "F64"},
};

static const char *mode_name(int32_t mode)
{
    return mode == EMB_LOAD_MMAP ? "mmap" : "copy";
}

/* Loads `path` in both modes and checks the failure. */
static void expect_failure(const char *path, emb_status status,
                           const char *message_part)
{
    for (int32_t mode = EMB_LOAD_COPY; mode <= EMB_LOAD_MMAP; mode++) {
        emb_model *const sentinel = (emb_model *)(uintptr_t)0x5AFE;
        emb_model *model = sentinel;
        emb_error err;
        emb_status got = st_load(path, mode, &model, &err);

        if (got != status)
            fail_msg("%s mode: expected status %d (%s), got %d: %s",
                     mode_name(mode), (int)status, emb_status_message(status),
                     (int)got, err.message);
        assert_int_equal(err.status, status);
        assert_ptr_equal(model, sentinel);
        st_assert_message(&err, message_part);
        /* Every message names the file. */
        st_assert_message(&err, path);
    }
}

static void run_header_case(void **state)
{
    const header_case *c = *state;
    size_t length = c->header_length != 0 ? c->header_length
                                          : strlen(c->header);
    char path[512];

    st_path(path, c->name);
    st_write_file(path, c->header, length, NULL, c->data_length);
    expect_failure(path, c->status, c->message_part);
}

/* ------------------------------------------------------------------------ */
/* Files that are not safetensors at all                                    */
/* ------------------------------------------------------------------------ */

static void load_rejects_short_file(void **state)
{
    char path[512];

    (void)state;
    st_path(path, "short");
    st_write_bytes(path, "\x02\x00\x00", 3);
    expect_failure(path, EMB_ERR_FORMAT, "3 bytes long, shorter than the "
                                         "8-byte header length");
    st_path(path, "empty");
    st_write_bytes(path, "", 0);
    expect_failure(path, EMB_ERR_FORMAT, "0 bytes long");
}

static void load_rejects_zip_checkpoint(void **state)
{
    /* The start of a PyTorch zip checkpoint: local file header signature,
     * version 0, flags 0x0808, then a file name. */
    static const unsigned char zip[] =
        "PK\x03\x04\x00\x00\x08\x08\x00\x00archive/data.pkl";
    char path[512];

    (void)state;
    st_path(path, "model.pt");
    st_write_bytes(path, zip, sizeof(zip) - 1);
    expect_failure(path, EMB_ERR_FORMAT,
                   "does not look like a safetensors file");
    expect_failure(path, EMB_ERR_FORMAT, "zip");
    expect_failure(path, EMB_ERR_FORMAT, "PyTorch checkpoint");
}

static void load_rejects_pickle_checkpoint(void **state)
{
    static const unsigned char pickle[] =
        "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.";
    char path[512];

    (void)state;
    st_path(path, "legacy.bin");
    st_write_bytes(path, pickle, sizeof(pickle) - 1);
    expect_failure(path, EMB_ERR_FORMAT, "pickle");
}

/* An 8-byte file claiming a 2^63-byte header: rejected by the length check
 * (EMB_ERR_FORMAT), not by a failed allocation (EMB_ERR_OUT_OF_MEMORY). */
static void load_rejects_huge_header_length(void **state)
{
    static const unsigned char prefix[8] = {0, 0, 0, 0, 0, 0, 0, 0x80};
    char path[512];

    (void)state;
    st_path(path, "huge_length");
    st_write_bytes(path, prefix, 8);
    expect_failure(path, EMB_ERR_FORMAT, "header length 9223372036854775808 "
                                         "exceeds the limit");
}

/* A claimed header inside the 100 MiB limit but past the end of the file. */
static void load_rejects_header_past_end(void **state)
{
    /* 90 MiB claimed, 16 bytes present. */
    static const unsigned char bytes[24] = {0, 0, 0xA0, 0x05, 0, 0, 0, 0,
                                            '{', '}'};
    char path[512];

    (void)state;
    st_path(path, "header_past_end");
    st_write_bytes(path, bytes, sizeof(bytes));
    expect_failure(path, EMB_ERR_FORMAT, "header length 94371840 is larger "
                                         "than the 16 bytes that follow it");
}

/* Runs in a child process with the address space capped 16 MiB above its
 * current size. A file claiming a 64 MiB header but only 16 bytes long must
 * be rejected as malformed. A loader that allocated the claimed header
 * first would fail with EMB_ERR_OUT_OF_MEMORY instead. Returns 0 on the
 * expected rejection. */
static int load_with_capped_memory(const char *path)
{
    unsigned long pages = 0;
    FILE *statm = fopen("/proc/self/statm", "r");
    struct rlimit limit;
    emb_model *model = NULL;
    emb_error err;
    emb_status status;

    if (statm == NULL || fscanf(statm, "%lu", &pages) != 1)
        return 10;
    fclose(statm);
    limit.rlim_cur = limit.rlim_max =
        (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)16 << 20);
    if (setrlimit(RLIMIT_AS, &limit) != 0)
        return 11;
    status = st_load(path, EMB_LOAD_COPY, &model, &err);
    if (status != EMB_ERR_FORMAT) {
        fprintf(stderr, "child: status %d: %s\n", (int)status, err.message);
        return 12;
    }
    return 0;
}

/* A length prefix claiming more than the file contains costs no memory. */
static void load_claimed_header_allocates_nothing(void **state)
{
    static const unsigned char bytes[16] = {0, 0, 0, 0x04, 0, 0, 0, 0,
                                            '{', '}'};
    char path[512];
    pid_t child;
    int wait_status = 0;

    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    /* AddressSanitizer reserves terabytes of address space up front, so an
     * address-space cap cannot work under it. */
    skip();
#endif
    st_path(path, "claims_64_mib");
    st_write_bytes(path, bytes, sizeof(bytes));
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        alarm(60); /* a hung child fails the test instead of blocking it */
        _exit(load_with_capped_memory(path));
    }
    assert_int_equal(waitpid(child, &wait_status, 0), child);
    assert_true(WIFEXITED(wait_status));
    assert_int_equal(WEXITSTATUS(wait_status), 0);
}

/* A header longer than EMB_SAFETENSORS_MAX_HEADER in a file that really is
 * that long (sparse, so it costs no disk). */
static void load_rejects_header_over_limit(void **state)
{
    uint64_t length = (uint64_t)EMB_SAFETENSORS_MAX_HEADER + 1;
    unsigned char prefix[8];
    char path[512];
    FILE *file;

    (void)state;
    for (int i = 0; i < 8; i++)
        prefix[i] = (unsigned char)(length >> (8 * i));
    st_path(path, "header_over_limit");
    st_write_bytes(path, prefix, 8);
    file = fopen(path, "r+b");
    assert_non_null(file);
    assert_int_equal(ftruncate(fileno(file), (off_t)(8 + length + 64)), 0);
    fclose(file);
    expect_failure(path, EMB_ERR_FORMAT, "exceeds the limit of 104857600 "
                                         "bytes");
}

/* The data ends one byte early: the last byte of the last tensor is
 * missing. */
static void load_rejects_truncated_file(void **state)
{
    const char *header = "{" GOOD_TABLES "}";
    char path[512];

    (void)state;
    st_path(path, "truncated");
    st_write_file(path, header, strlen(header), NULL, 23);
    expect_failure(path, EMB_ERR_FORMAT, "tensor 'wpe.weight' data ends at "
                                         "offset 24 but the file holds only "
                                         "23 data bytes");
}

static void load_rejects_missing_and_directory(void **state)
{
    emb_model *model = NULL;
    emb_error err;
    char path[512];

    (void)state;
    st_path(path, "does-not-exist.safetensors");
    assert_int_equal(st_load(path, EMB_LOAD_COPY, &model, &err), EMB_ERR_IO);
    assert_int_equal(err.os_error, ENOENT);
    assert_true(err.fields & EMB_ERROR_HAS_OS_ERROR);
    st_assert_message(&err, path);
    assert_null(model);

    assert_int_equal(st_load(st_scratch, EMB_LOAD_MMAP, &model, &err),
                     EMB_ERR_IO);
    assert_int_equal(err.os_error, EISDIR);
    st_assert_message(&err, st_scratch);

    assert_int_equal(st_load("/dev/null", EMB_LOAD_COPY, &model, &err),
                     EMB_ERR_IO);
    st_assert_message(&err, "not a regular file");
    assert_null(model);
}

/* A FIFO without a writer is rejected at once, not waited on. alarm()
 * turns a load that blocks in open() into a failed test instead of a hang;
 * SIGALRM then ends the test program. */
static void load_rejects_fifo(void **state)
{
    emb_model *model = NULL;
    emb_error err;
    char path[512];

    (void)state;
    st_path(path, "weights.fifo");
    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(20);
    expect_failure(path, EMB_ERR_IO, "not a regular file");
    assert_int_equal(st_load(path, EMB_LOAD_COPY, &model, &err), EMB_ERR_IO);
    alarm(0);
    assert_true(err.fields & EMB_ERROR_HAS_OS_ERROR);
    assert_null(model);
    assert_int_equal(unlink(path), 0);
}

/* ------------------------------------------------------------------------ */
/* Unusual but valid files                                                  */
/* ------------------------------------------------------------------------ */

/* The fixture tables as file data: token [2, 2] then position [1, 2]. */
static const float good_data[6] = {1.5f, -2.0f, 3.25f, 0.0f, 100.0f, -0.5f};

/* Writes `header` with good_data followed by zero bytes up to data_length
 * bytes, and checks both tables in both modes. */
static void expect_good_tables(const char *header, size_t data_length)
{
    unsigned char data[64] = {0};
    char path[512];

    assert_true(data_length >= sizeof(good_data) &&
                data_length <= sizeof(data));
    memcpy(data, good_data, sizeof(good_data));
    st_path(path, "good");
    st_write_file(path, header, strlen(header), data, data_length);
    for (int32_t mode = EMB_LOAD_COPY; mode <= EMB_LOAD_MMAP; mode++) {
        emb_model *model = NULL;
        emb_error err;

        if (st_load(path, mode, &model, &err) != EMB_OK)
            fail_msg("%s mode: %s", mode_name(mode), err.message);
        assert_int_equal(emb_model_vocab_size(model), 2);
        assert_int_equal(emb_model_dim(model), 2);
        assert_int_equal(emb_model_context_length(model), 1);
        assert_floats_identical(good_data,
                                emb_model_table_data(model, EMB_TABLE_TOKEN),
                                4);
        assert_floats_identical(good_data + 4,
                                emb_model_table_data(model,
                                                     EMB_TABLE_POSITION),
                                2);
        emb_model_destroy(model);
    }
}

static void load_accepts_empty_metadata(void **state)
{
    (void)state;
    expect_good_tables("{\"__metadata__\":{}," GOOD_TABLES "}", 24);
}

static void load_accepts_string_metadata(void **state)
{
    (void)state;
    expect_good_tables("{\"__metadata__\":{\"format\":\"pt\",\"note\":"
                       "\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\n\","
                       "\"\":\"\"}," GOOD_TABLES "}",
                       24);
}

static void load_accepts_whitespace_and_padding(void **state)
{
    (void)state;
    expect_good_tables(" \t\r\n{ \"wpe.weight\" : { \"data_offsets\" : "
                       "[ 16 , 24 ] , \"shape\" : [ 1 , 2 ] , \"dtype\" : "
                       "\"F32\" } ,\n" WTE "\n}          ",
                       24);
}

static void load_accepts_escaped_names(void **state)
{
    (void)state;
    expect_good_tables("{\"\\u0077te.weigh\\u0074\":{\"dtype\":\"F32\","
                       "\"shape\":[2,2],\"data_offsets\":[0,16]},"
                       "\"wpe\\/weight\\/x\":{\"dtype\":\"U8\",\"shape\":[0],"
                       "\"data_offsets\":[16,16]}," WPE "}",
                       24);
}

/* Tensors the library does not use are validated and ignored, including
 * zero-sized ones whose other dimensions would overflow without the zero,
 * a scalar, and sub-byte dtypes that fill whole bytes. */
static void load_accepts_extra_tensors(void **state)
{
    (void)state;
    expect_good_tables(
        "{\"empty\":{\"dtype\":\"F32\",\"shape\":[0,4294967296,4294967296],"
        "\"data_offsets\":[0,0]}," GOOD_TABLES ","
        "\"scalar\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[24,25]},"
        "\"nibbles\":{\"dtype\":\"F4\",\"shape\":[2],\"data_offsets\":[25,26]}"
        "}",
        26);
}

static void load_accepts_unneeded_tensor_types(void **state)
{
    static const char header[] =
        "{\"mask\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[24,26]},"
        "\"step\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[26,34]},"
        "\"fp8\":{\"dtype\":\"F8_E4M3\",\"shape\":[1,1],"
        "\"data_offsets\":[34,35]},"
        "\"f6\":{\"dtype\":\"F6_E2M3\",\"shape\":[4],\"data_offsets\":[35,38]},"
        GOOD_TABLES "}";
    unsigned char data[38] = {0};
    char path[512];
    emb_model *model = NULL;
    emb_error err;

    (void)state;
    memcpy(data, good_data, sizeof(good_data));
    st_path(path, "mixed_types");
    st_write_file(path, header, strlen(header), data, sizeof(data));
    if (st_load(path, EMB_LOAD_COPY, &model, &err) != EMB_OK)
        fail_msg("%s", err.message);
    assert_floats_identical(good_data,
                            emb_model_table_data(model, EMB_TABLE_TOKEN), 4);
    emb_model_destroy(model);
}

int main(void)
{
    static const struct CMUnitTest fixed_tests[] = {
        cmocka_unit_test(load_rejects_short_file),
        cmocka_unit_test(load_rejects_zip_checkpoint),
        cmocka_unit_test(load_rejects_pickle_checkpoint),
        cmocka_unit_test(load_rejects_huge_header_length),
        cmocka_unit_test(load_rejects_header_past_end),
        cmocka_unit_test(load_claimed_header_allocates_nothing),
        cmocka_unit_test(load_rejects_header_over_limit),
        cmocka_unit_test(load_rejects_truncated_file),
        cmocka_unit_test(load_rejects_missing_and_directory),
        cmocka_unit_test(load_rejects_fifo),
        cmocka_unit_test(load_accepts_empty_metadata),
        cmocka_unit_test(load_accepts_string_metadata),
        cmocka_unit_test(load_accepts_whitespace_and_padding),
        cmocka_unit_test(load_accepts_escaped_names),
        cmocka_unit_test(load_accepts_extra_tensors),
        cmocka_unit_test(load_accepts_unneeded_tensor_types),
    };
    size_t fixed = sizeof(fixed_tests) / sizeof(fixed_tests[0]);
    size_t case_count = sizeof(bad_headers) / sizeof(bad_headers[0]);
    struct CMUnitTest *tests = calloc(fixed + case_count, sizeof(*tests));
    size_t count = 0;
    int failures;

    if (tests == NULL)
        return 1;
    for (size_t i = 0; i < fixed; i++)
        tests[count++] = fixed_tests[i];
    for (size_t i = 0; i < case_count; i++) {
        tests[count].name = bad_headers[i].name;
        tests[count].test_func = run_header_case;
        tests[count].initial_state = (void *)&bad_headers[i];
        count++;
    }
    failures = _cmocka_run_group_tests("safetensors_format", tests, count,
                                       st_setup, st_teardown);
    free(tests);
    return failures;
}
