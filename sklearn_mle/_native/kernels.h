/* The C kernel of _sums.pyx: plain portable C, one code path (no SIMD intrinsics:
 * independent accumulators let the compiler pipeline the loop).
 *
 * sum w*x and sum w*table[x] of integer counts x over one block of a strided column
 * (``x`` a byte pointer, ``xs`` its stride in bytes; ``w`` NULL for unit weights). The
 * check is branch-free: the failure bits of all values are OR-ed together and tested
 * once at the end of the block, which returns 0 when some value failed; the caller
 * then reruns that block with a checking loop (which tells the first bad row, or
 * takes the rare valid values the fast test refuses: -0.0, counts beyond the table).
 *
 * Why only this kernel: benchmarks/KERNELS.md (a table lookup per element, which
 * NumPy can only do as a histogram: bincount, several times slower).
 *
 * Integer test of a float x: adding and removing 2**52 rounds it to the nearest
 * integer (for |x| < 2**52) with no int/float conversion, and the bits of the result
 * equal those of x exactly when x is that integer (-0.0, NaN and inf differ).
 */
#ifndef SKLEARN_MLE_KERNELS_H
#define SKLEARN_MLE_KERNELS_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

/* The integer nearest to x (for 0 <= x < 2**52), and in *diff the bits of x that
   differ from those of that integer as a double: zero exactly when x is that integer. */
static inline int64_t sk_magic_round(double x, uint64_t *diff)
{
    double y = x + 4503599627370496.0;
    double r = y - 4503599627370496.0;
    uint64_t by, br, bx;
    memcpy(&by, &y, sizeof by);
    memcpy(&br, &r, sizeof br);
    memcpy(&bx, &x, sizeof bx);
    *diff = br ^ bx;
    return (int64_t)(by - UINT64_C(0x4330000000000000));
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

#endif
