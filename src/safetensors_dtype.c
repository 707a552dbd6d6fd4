/*
 * Safetensors dtype names and sizes, and the exact widening of F16 and
 * BF16 elements to fp32. Widening is done on bit patterns, never through
 * float arithmetic or conversion instructions, so the result does not
 * depend on the compiler, the CPU or the floating-point environment.
 */
#include <string.h>

#include "safetensors.h"

typedef struct dtype_entry {
    const char *name;
    uint32_t bits;
} dtype_entry;

/* Indexed by st_dtype. */
static const dtype_entry dtype_table[ST_DTYPE_COUNT] = {
    [ST_DTYPE_BOOL] = {"BOOL", 8},
    [ST_DTYPE_U8] = {"U8", 8},
    [ST_DTYPE_I8] = {"I8", 8},
    [ST_DTYPE_F8_E5M2] = {"F8_E5M2", 8},
    [ST_DTYPE_F8_E4M3] = {"F8_E4M3", 8},
    [ST_DTYPE_F8_E8M0] = {"F8_E8M0", 8},
    [ST_DTYPE_I16] = {"I16", 16},
    [ST_DTYPE_U16] = {"U16", 16},
    [ST_DTYPE_F16] = {"F16", 16},
    [ST_DTYPE_BF16] = {"BF16", 16},
    [ST_DTYPE_I32] = {"I32", 32},
    [ST_DTYPE_U32] = {"U32", 32},
    [ST_DTYPE_F32] = {"F32", 32},
    [ST_DTYPE_F64] = {"F64", 64},
    [ST_DTYPE_I64] = {"I64", 64},
    [ST_DTYPE_U64] = {"U64", 64},
    [ST_DTYPE_C64] = {"C64", 64},
    [ST_DTYPE_F4] = {"F4", 4},
    [ST_DTYPE_F6_E2M3] = {"F6_E2M3", 6},
    [ST_DTYPE_F6_E3M2] = {"F6_E3M2", 6},
};

bool emb_st_dtype_from_name(const char *name, size_t length, st_dtype *dtype)
{
    for (int i = 0; i < ST_DTYPE_COUNT; i++) {
        if (strlen(dtype_table[i].name) == length &&
            memcmp(dtype_table[i].name, name, length) == 0) {
            *dtype = (st_dtype)i;
            return true;
        }
    }
    return false;
}

const char *emb_st_dtype_name(st_dtype dtype)
{
    return dtype_table[dtype].name;
}

uint32_t emb_st_dtype_bits(st_dtype dtype)
{
    return dtype_table[dtype].bits;
}

/* binary16: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
 * binary32: 1 sign bit, 8 exponent bits (bias 127), 23 mantissa bits. */
uint32_t emb_st_f16_to_f32_bits(uint16_t half)
{
    uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
    uint32_t exponent = (half >> 10) & 0x1Fu;
    uint32_t mantissa = half & 0x3FFu;

    if (exponent == 0x1F)       /* infinity or NaN: keep the payload */
        return sign | 0x7F800000u | (mantissa << 13);
    if (exponent != 0)          /* normal: rebias 15 -> 127 */
        return sign | ((exponent + 112u) << 23) | (mantissa << 13);
    if (mantissa == 0)          /* signed zero */
        return sign;

    /* Subnormal: the value is mantissa * 2^-24. Shift the leading 1 up to
     * the implicit bit position (bit 10), lowering the exponent once per
     * shift. The start, 113, is the binary32 exponent field of 2^-14. */
    exponent = 113;
    while ((mantissa & 0x400u) == 0) {
        mantissa <<= 1;
        exponent--;
    }
    return sign | (exponent << 23) | ((mantissa & 0x3FFu) << 13);
}

/* Stores a bit pattern as a float without passing it through a float
 * value, which on some ABIs (x87) would quiet a signaling NaN. */
static void store_bits(float *dst, uint32_t bits)
{
    memcpy(dst, &bits, sizeof(bits));
}

void emb_st_widen(st_dtype dtype, const unsigned char *src, float *dst,
                  size_t count)
{
    switch (dtype) {
    case ST_DTYPE_F32:
        /* Raw little-endian floats; memcpy because src may be unaligned. */
        memcpy(dst, src, count * sizeof(float));
        break;
    case ST_DTYPE_F16:
        for (size_t i = 0; i < count; i++) {
            uint16_t half = (uint16_t)(src[2 * i] | (src[2 * i + 1] << 8));
            store_bits(&dst[i], emb_st_f16_to_f32_bits(half));
        }
        break;
    case ST_DTYPE_BF16:
        /* bfloat16 is the top half of a binary32 bit pattern. */
        for (size_t i = 0; i < count; i++) {
            uint32_t bits = (uint32_t)src[2 * i] << 16 |
                            (uint32_t)src[2 * i + 1] << 24;
            store_bits(&dst[i], bits);
        }
        break;
    default:
        /* Callers pass only the three table dtypes. */
        break;
    }
}
