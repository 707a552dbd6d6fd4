/*
 * F16 and BF16 tensors are widened exactly: every one of the 65536 bit
 * patterns of each format is loaded (copy and mmap mode) and compared with
 * a value computed independently from the format definition with ldexp.
 * NaNs keep sign and payload (payload bits moved to the top of the fp32
 * mantissa), so a signaling NaN stays signaling.
 */
#include "test_safetensors_util.h"

#include <math.h>

/* More elements than one conversion chunk (1 MiB of source), so the
 * chunked file path runs more than once. */
#define ELEMENTS 600000

static uint32_t bits_of(float value)
{
    uint32_t bits;

    memcpy(&bits, &value, sizeof(bits));
    return bits;
}

/* Expected fp32 bits of a 16-bit pattern of a format with `exponent_bits`
 * exponent bits and `mantissa_bits` mantissa bits (F16: 5, 10; BF16: 8,
 * 7), computed as a number rather than by moving bits. */
static uint32_t expected_bits(uint16_t pattern, int exponent_bits,
                              int mantissa_bits)
{
    int bias = (1 << (exponent_bits - 1)) - 1;
    uint32_t sign = pattern >> 15;
    uint32_t exponent = (pattern >> mantissa_bits) &
                        ((1u << exponent_bits) - 1);
    uint32_t mantissa = pattern & ((1u << mantissa_bits) - 1);
    double magnitude;

    if (exponent == (1u << exponent_bits) - 1) {
        if (mantissa == 0)
            return bits_of(sign ? -INFINITY : INFINITY);
        /* NaN: sign and payload kept, payload at the top of the mantissa. */
        return sign << 31 | 0x7F800000u | mantissa << (23 - mantissa_bits);
    }
    if (exponent == 0)
        magnitude = ldexp((double)mantissa, 1 - bias - mantissa_bits);
    else
        magnitude = ldexp((double)((1u << mantissa_bits) | mantissa),
                          (int)exponent - bias - mantissa_bits);
    /* Every such value is exactly representable in fp32. */
    return bits_of((float)(sign ? -magnitude : magnitude));
}

/* Writes a file with a [ELEMENTS, 1] token tensor of `dtype` holding
 * pattern i % 65536 at element i, and a [1, 1] F32 position tensor. */
static void write_all_patterns(const char *path, const char *dtype)
{
    char header[256];
    unsigned char *data = malloc(ELEMENTS * 2 + 4);
    float position = 0.25f;

    assert_non_null(data);
    for (uint32_t i = 0; i < ELEMENTS; i++) {
        data[2 * i] = (unsigned char)(i & 0xFF);
        data[2 * i + 1] = (unsigned char)((i >> 8) & 0xFF);
    }
    memcpy(data + ELEMENTS * 2, &position, 4);
    snprintf(header, sizeof(header),
             "{\"wte.weight\":{\"dtype\":\"%s\",\"shape\":[%d,1],"
             "\"data_offsets\":[0,%d]},\"wpe.weight\":{\"dtype\":\"F32\","
             "\"shape\":[1,1],\"data_offsets\":[%d,%d]}}",
             dtype, ELEMENTS, ELEMENTS * 2, ELEMENTS * 2, ELEMENTS * 2 + 4);
    st_write_file(path, header, strlen(header), data, ELEMENTS * 2 + 4);
    free(data);
}

static void check_all_patterns(const char *dtype, int exponent_bits,
                               int mantissa_bits)
{
    char path[512];

    st_path(path, dtype);
    write_all_patterns(path, dtype);
    for (int32_t mode = EMB_LOAD_COPY; mode <= EMB_LOAD_MMAP; mode++) {
        emb_model *model = NULL;
        emb_error err;
        const float *table;

        if (st_load(path, mode, &model, &err) != EMB_OK)
            fail_msg("%s", err.message);
        table = emb_model_table_data(model, EMB_TABLE_TOKEN);
        assert_int_equal(emb_model_vocab_size(model), ELEMENTS);
        for (uint32_t i = 0; i < ELEMENTS; i++) {
            uint16_t pattern = (uint16_t)(i & 0xFFFF);
            uint32_t expected = expected_bits(pattern, exponent_bits,
                                              mantissa_bits);
            uint32_t actual = bits_of(table[i]);

            if (actual != expected)
                fail_msg("%s pattern 0x%04x (mode %d): expected fp32 bits "
                         "0x%08x, got 0x%08x",
                         dtype, pattern, (int)mode, expected, actual);
        }
        /* Converted tables are owned, whatever the mode. */
        assert_false(st_table_is_read_only(model, EMB_TABLE_TOKEN));
        emb_model_destroy(model);
    }
}

static void widen_f16_every_pattern(void **state)
{
    (void)state;
    check_all_patterns("F16", 5, 10);
}

static void widen_bf16_every_pattern(void **state)
{
    (void)state;
    check_all_patterns("BF16", 8, 7);
}

/* Spot checks with known values, independent of the oracle above. */
static void widen_f16_known_values(void **state)
{
    static const struct {
        uint16_t half;
        uint32_t single;
    } known[] = {
        {0x3C00, 0x3F800000}, /* 1.0 */
        {0xC000, 0xC0000000}, /* -2.0 */
        {0x7BFF, 0x477FE000}, /* 65504, the largest finite half */
        {0x0400, 0x38800000}, /* 2^-14, the smallest normal half */
        {0x0001, 0x33800000}, /* 2^-24, the smallest subnormal half */
        {0x03FF, 0x387FC000}, /* the largest subnormal half */
        {0x8001, 0xB3800000}, /* -2^-24 */
        {0x7C00, 0x7F800000}, /* +inf */
        {0xFC00, 0xFF800000}, /* -inf */
        {0x7E00, 0x7FC00000}, /* quiet NaN */
        {0x7C01, 0x7F802000}, /* signaling NaN stays signaling */
        {0x8000, 0x80000000}, /* -0 */
    };
    char path[512];
    char header[256];
    unsigned char data[sizeof(known) / sizeof(known[0]) * 2 + 4] = {0};
    size_t count = sizeof(known) / sizeof(known[0]);
    emb_model *model = NULL;
    emb_error err;

    (void)state;
    for (size_t i = 0; i < count; i++) {
        data[2 * i] = (unsigned char)(known[i].half & 0xFF);
        data[2 * i + 1] = (unsigned char)(known[i].half >> 8);
    }
    snprintf(header, sizeof(header),
             "{\"wte.weight\":{\"dtype\":\"F16\",\"shape\":[%zu,1],"
             "\"data_offsets\":[0,%zu]},\"wpe.weight\":{\"dtype\":\"F32\","
             "\"shape\":[1,1],\"data_offsets\":[%zu,%zu]}}",
             count, count * 2, count * 2, count * 2 + 4);
    st_path(path, "known_f16");
    st_write_file(path, header, strlen(header), data, sizeof(data));
    if (st_load(path, EMB_LOAD_MMAP, &model, &err) != EMB_OK)
        fail_msg("%s", err.message);
    for (size_t i = 0; i < count; i++) {
        uint32_t actual =
            bits_of(emb_model_table_data(model, EMB_TABLE_TOKEN)[i]);
        if (actual != known[i].single)
            fail_msg("half 0x%04x: expected 0x%08x, got 0x%08x",
                     known[i].half, known[i].single, actual);
    }
    emb_model_destroy(model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(widen_f16_every_pattern),
        cmocka_unit_test(widen_bf16_every_pattern),
        cmocka_unit_test(widen_f16_known_values),
    };
    return cmocka_run_group_tests(tests, st_setup, st_teardown);
}
