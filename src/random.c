/*
 * Seeded normal initialisation that is reproducible bit for bit on every
 * machine and thread count.
 *
 * Element (table, row, col) is a pure function of (seed, table, row, col):
 * a SplitMix64-style finalizer hashes those four numbers into a key, and the
 * key plus an attempt counter yields pairs of uniform numbers for the
 * Marsaglia polar method. Only IEEE-754 double +, -, *, / and sqrt are used
 * (all correctly rounded), plus a natural logarithm written here from those
 * operations, so no libm result that may differ between C libraries enters
 * the values. The build disables floating-point contraction, so no FMA
 * changes the rounding either.
 */
#include <math.h>

#include "internal.h"

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ull
#define LN2 0.69314718055994530942
#define SQRT_HALF 0.70710678118654752440
/* The polar method accepts a pair with probability pi / 4; after this many
 * rejections (probability below 1e-40) the element is 0. */
#define MAX_POLAR_ATTEMPTS 64

static uint64_t mix64(uint64_t z)
{
    z ^= z >> 30;
    z *= 0xbf58476d1ce4e5b9ull;
    z ^= z >> 27;
    z *= 0x94d049bb133111ebull;
    z ^= z >> 31;
    return z;
}

static uint64_t absorb(uint64_t key, uint64_t value)
{
    return mix64((key ^ value) + GOLDEN_GAMMA);
}

/* Uniform double in (-1, 1) from the top 53 bits of a hash. */
static double uniform_signed(uint64_t bits)
{
    double unit = (double)(bits >> 11) * 0x1.0p-53;
    return 2.0 * unit - 1.0;
}

/* Natural logarithm for x > 0 from frexp and the series
 * ln(m) = 2 * atanh(s) = 2 * (s + s^3/3 + s^5/5 + ...), s = (m - 1)/(m + 1),
 * with m in [sqrt(1/2), sqrt(2)) so |s| < 0.172 and 14 terms reach double
 * precision. */
static double portable_log(double x)
{
    int exponent;
    double m = frexp(x, &exponent);
    double s, s2, term, sum;
    int k;

    if (m < SQRT_HALF) {
        m *= 2.0;
        exponent -= 1;
    }
    s = (m - 1.0) / (m + 1.0);
    s2 = s * s;
    term = s;
    sum = 0.0;
    for (k = 0; k < 14; k++) {
        sum += term / (double)(2 * k + 1);
        term *= s2;
    }
    return (double)exponent * LN2 + 2.0 * sum;
}

static double standard_normal(uint64_t key)
{
    for (uint64_t attempt = 0; attempt < MAX_POLAR_ATTEMPTS; attempt++) {
        double x = uniform_signed(mix64(key + (2 * attempt + 1) * GOLDEN_GAMMA));
        double y = uniform_signed(mix64(key + (2 * attempt + 2) * GOLDEN_GAMMA));
        double s = x * x + y * y;

        if (s > 0.0 && s < 1.0)
            return x * sqrt(-2.0 * portable_log(s) / s);
    }
    return 0.0;
}

void emb_fill_normal(float *dst, uint64_t seed, uint32_t table_index,
                     int64_t row_begin, int64_t row_end, int64_t dim,
                     double mean, double stddev)
{
    uint64_t table_key = absorb(absorb(0, seed), table_index);

    /* Each element is independent, so any split of the rows over threads
     * (the caller's choice) gives identical tables. */
    for (int64_t row = row_begin; row < row_end; row++) {
        uint64_t row_key = absorb(table_key, (uint64_t)row);
        float *out = dst + (row - row_begin) * dim;

        for (int64_t col = 0; col < dim; col++) {
            double z = standard_normal(absorb(row_key, (uint64_t)col));
            out[col] = (float)(mean + stddev * z);
        }
    }
}
