/* C kernels of _sums.pyx: plain portable C, one code path per kernel (no SIMD
 * intrinsics: independent accumulators let the compiler vectorise and pipeline).
 *
 * Every kernel reads one block of a strided column (``x`` a byte pointer, ``xs`` its
 * stride in bytes; ``w`` NULL for unit weights) and returns 0 when some value fails
 * its check, which is branch-free: the failure bits of all values are OR-ed together
 * and tested once at the end of the block. The caller then reruns that block with a
 * checking loop (which tells the first bad row, or takes the rare valid values the
 * fast test refuses, such as -0.0).
 *
 * Integer test of a float x: adding and removing 2**52 rounds it to the nearest
 * integer (for |x| < 2**52) with no int/float conversion, and the bits of the result
 * equal those of x exactly when x is that integer (-0.0, NaN and inf differ).
 */
#ifndef SKLEARN_MLE_KERNELS_H
#define SKLEARN_MLE_KERNELS_H

#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <Python.h>

#define SK_TWO52 4503599627370496.0

static inline uint64_t sk_bits(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

/* The integer nearest to x (for 0 <= x < 2**52), and in *diff the bits of x that
   differ from those of that integer as a double: zero exactly when x is that integer. */
static inline int64_t sk_magic_round(double x, uint64_t *diff)
{
    double y = x + SK_TWO52;
    *diff = sk_bits(y - SK_TWO52) ^ sk_bits(x);
    return (int64_t)(sk_bits(y) - UINT64_C(0x4330000000000000));
}

#define SK_AT(T, base, stride, i) (*(const T *)((base) + (i) * (stride)))

/* a table index k from element i; nonzero bits in bad when it is not an integer in
   [0, 2**shift) (floating types: round and compare; integer types: the range only) */
#define SK_FLOAT_INDEX(T, base, stride, i, k, bad)                                     \
    do {                                                                               \
        uint64_t d_;                                                                   \
        k = sk_magic_round((double)SK_AT(T, base, stride, i), &d_);                    \
        bad |= d_ | ((uint64_t)k >> shift);                                            \
    } while (0)

#define SK_INT_INDEX(T, base, stride, i, k, bad)                                       \
    do {                                                                               \
        k = (int64_t)SK_AT(T, base, stride, i);                                        \
        bad |= (uint64_t)k >> shift;                                                   \
    } while (0)

/* sum w*x and sum w*table[x] of integers 0 <= x < 2**shift (table lookups masked into
 * range, checked afterwards). */
#define SK_DEFINE_COUNT_BLOCK(NAME, T, INDEX)                                          \
static int NAME(const char *x, Py_ssize_t xs, const char *w, Py_ssize_t ws,           \
                Py_ssize_t n, const double *table, int shift,                          \
                double *sum_x, double *sum_lg)                                         \
{                                                                                      \
    const int64_t mask = ((int64_t)1 << shift) - 1;                                    \
    uint64_t bad = 0;                                                                  \
    int64_t k0, k1, k2, k3;                                                            \
    int64_t s0 = 0, s1 = 0;                                                            \
    double a0 = 0, g0 = 0, g1 = 0, g2 = 0, g3 = 0;                                     \
    Py_ssize_t i = 0;                                                                  \
    if (w == NULL) {                                                                   \
        for (; i + 4 <= n; i += 4) {                                                   \
            INDEX(T, x, xs, i, k0, bad);                                               \
            INDEX(T, x, xs, i + 1, k1, bad);                                           \
            INDEX(T, x, xs, i + 2, k2, bad);                                           \
            INDEX(T, x, xs, i + 3, k3, bad);                                           \
            k0 &= mask; k1 &= mask; k2 &= mask; k3 &= mask;                            \
            s0 += k0 + k1; s1 += k2 + k3;                                              \
            g0 += table[k0]; g1 += table[k1]; g2 += table[k2]; g3 += table[k3];        \
        }                                                                              \
        for (; i < n; i++) {                                                           \
            INDEX(T, x, xs, i, k0, bad);                                               \
            k0 &= mask;                                                                \
            s0 += k0;                                                                  \
            g0 += table[k0];                                                           \
        }                                                                              \
        a0 = (double)(s0 + s1);                                                        \
    } else {                                                                           \
        for (; i < n; i++) {                                                           \
            double wi = SK_AT(double, w, ws, i);                                       \
            INDEX(T, x, xs, i, k0, bad);                                               \
            k0 &= mask;                                                                \
            a0 += wi * (double)k0;                                                     \
            g0 += wi * table[k0];                                                      \
        }                                                                              \
    }                                                                                  \
    if (bad) return 0;                                                                 \
    *sum_x = a0;                                                                       \
    *sum_lg = (g0 + g1) + (g2 + g3);                                                   \
    return 1;                                                                          \
}

SK_DEFINE_COUNT_BLOCK(sk_count_block_f64, double, SK_FLOAT_INDEX)
SK_DEFINE_COUNT_BLOCK(sk_count_block_f32, float, SK_FLOAT_INDEX)
SK_DEFINE_COUNT_BLOCK(sk_count_block_i64, int64_t, SK_INT_INDEX)
SK_DEFINE_COUNT_BLOCK(sk_count_block_i32, int32_t, SK_INT_INDEX)

/* sum w*x when every value is an integer in [lo, hi] (|lo|, |hi| < 2**52). */
#define SK_DEFINE_INTEGER_BLOCK(NAME, T)                                               \
static int NAME(const char *x, Py_ssize_t xs, const char *w, Py_ssize_t ws,           \
                Py_ssize_t n, double lo, double hi, double *sum_x)                     \
{                                                                                      \
    uint64_t bad = 0;                                                                  \
    double a[4] = {0, 0, 0, 0};                                                        \
    Py_ssize_t i = 0, l;                                                               \
    for (; i + 4 <= n; i += 4) {                                                       \
        for (l = 0; l < 4; l++) {                                                      \
            double v = (double)SK_AT(T, x, xs, i + l);                                 \
            double r = (v + SK_TWO52) - SK_TWO52;                                      \
            bad |= (sk_bits(r) ^ sk_bits(v)) | (uint64_t)(v < lo) | (uint64_t)(v > hi);\
            a[l] += w == NULL ? v : SK_AT(double, w, ws, i + l) * v;                   \
        }                                                                              \
    }                                                                                  \
    for (; i < n; i++) {                                                               \
        double v = (double)SK_AT(T, x, xs, i);                                         \
        double r = (v + SK_TWO52) - SK_TWO52;                                          \
        bad |= (sk_bits(r) ^ sk_bits(v)) | (uint64_t)(v < lo) | (uint64_t)(v > hi);    \
        a[0] += w == NULL ? v : SK_AT(double, w, ws, i) * v;                           \
    }                                                                                  \
    /* NaN: r == v bitwise and both comparisons false; it makes the sum NaN */         \
    if (bad || a[0] != a[0] || a[1] != a[1] || a[2] != a[2] || a[3] != a[3]) return 0; \
    *sum_x = (a[0] + a[1]) + (a[2] + a[3]);                                            \
    return 1;                                                                          \
}

SK_DEFINE_INTEGER_BLOCK(sk_integer_block_f64, double)
SK_DEFINE_INTEGER_BLOCK(sk_integer_block_f32, float)

/* sum z, sum z**2 and min z of z = x - shift (unweighted); the sums are not finite
 * when a value is not (the minimum then means nothing). */
#define SK_DEFINE_MOMENT_BLOCK(NAME, T)                                                \
static void NAME(const char *x, Py_ssize_t xs, Py_ssize_t n, double shift,            \
                 double *sum_z, double *sum_zz, double *min_z)                         \
{                                                                                      \
    double s[4] = {0, 0, 0, 0}, q[4] = {0, 0, 0, 0};                                   \
    double m[4] = {HUGE_VAL, HUGE_VAL, HUGE_VAL, HUGE_VAL};                            \
    Py_ssize_t i = 0, l;                                                               \
    for (; i + 4 <= n; i += 4) {                                                       \
        for (l = 0; l < 4; l++) {                                                      \
            double z = (double)SK_AT(T, x, xs, i + l) - shift;                         \
            s[l] += z;                                                                 \
            q[l] += z * z;                                                             \
            m[l] = z < m[l] ? z : m[l];                                                \
        }                                                                              \
    }                                                                                  \
    for (; i < n; i++) {                                                               \
        double z = (double)SK_AT(T, x, xs, i) - shift;                                 \
        s[0] += z;                                                                     \
        q[0] += z * z;                                                                 \
        m[0] = z < m[0] ? z : m[0];                                                    \
    }                                                                                  \
    m[0] = m[1] < m[0] ? m[1] : m[0];                                                  \
    m[2] = m[3] < m[2] ? m[3] : m[2];                                                  \
    *sum_z = (s[0] + s[1]) + (s[2] + s[3]);                                            \
    *sum_zz = (q[0] + q[1]) + (q[2] + q[3]);                                           \
    *min_z = m[2] < m[0] ? m[2] : m[0];                                                \
}

SK_DEFINE_MOMENT_BLOCK(sk_moment_block_f64, double)
SK_DEFINE_MOMENT_BLOCK(sk_moment_block_f32, float)

/* Histogram of a strided column of small non-negative integers into four interleaved
 * count arrays of 2**shift bins (consecutive equal values then update different
 * arrays, so the increments do not wait on each other). Returns 0 when some value is
 * not an integer in [0, 2**shift) (the counts are then meaningless). */
#define SK_DEFINE_HISTOGRAM(NAME, T, INDEX)                                            \
static int NAME(const char *x, Py_ssize_t xs, const char *w, Py_ssize_t ws,           \
                Py_ssize_t n, int shift, double *counts)                               \
{                                                                                      \
    const int64_t mask = ((int64_t)1 << shift) - 1;                                    \
    const Py_ssize_t size = (Py_ssize_t)1 << shift;                                    \
    uint64_t bad = 0;                                                                  \
    int64_t k0, k1, k2, k3;                                                            \
    Py_ssize_t i = 0, b;                                                               \
    if (w == NULL) {                                                                   \
        /* integer counters: an increment waits on the previous one to the same bin   \
           only through memory, not through a floating-point add as well */            \
        uint64_t *c = (uint64_t *)calloc((size_t)(4 * size), sizeof(uint64_t));        \
        if (c == NULL) return 0;                                                       \
        for (; i + 4 <= n; i += 4) {                                                   \
            INDEX(T, x, xs, i, k0, bad);                                               \
            INDEX(T, x, xs, i + 1, k1, bad);                                           \
            INDEX(T, x, xs, i + 2, k2, bad);                                           \
            INDEX(T, x, xs, i + 3, k3, bad);                                           \
            c[k0 & mask]++;                                                            \
            c[size + (k1 & mask)]++;                                                   \
            c[2 * size + (k2 & mask)]++;                                               \
            c[3 * size + (k3 & mask)]++;                                               \
        }                                                                              \
        for (; i < n; i++) {                                                           \
            INDEX(T, x, xs, i, k0, bad);                                               \
            c[k0 & mask]++;                                                            \
        }                                                                              \
        for (b = 0; b < 4 * size; b++) counts[b] += (double)c[b];                      \
        free(c);                                                                       \
    } else {                                                                           \
        for (; i < n; i++) {                                                           \
            INDEX(T, x, xs, i, k0, bad);                                               \
            counts[(i & 3) * size + (k0 & mask)] += SK_AT(double, w, ws, i);           \
        }                                                                              \
    }                                                                                  \
    return bad == 0;                                                                   \
}

SK_DEFINE_HISTOGRAM(sk_histogram_f64, double, SK_FLOAT_INDEX)
SK_DEFINE_HISTOGRAM(sk_histogram_i64, int64_t, SK_INT_INDEX)

#endif
