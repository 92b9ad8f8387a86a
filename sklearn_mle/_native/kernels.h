/* C kernels of _sums.pyx.
 *
 * Branch-free sums of counts over a strided column: sum w*x and sum w*log(x!).
 *
 * Each value is rounded to an integer by adding 2**52 (the integer lands in the low
 * mantissa bits: no int/float conversion), looked up in a table of log(k!) of 2**shift
 * entries with the index masked into range, and checked afterwards: a value is valid
 * when it equals its rounding and its index is below the table size. Negative values,
 * fractions, NaN and inf all fail that test. A block returns 0 (and adds nothing) when
 * any value fails, and the caller reruns that block with a checking loop.
 */
#ifndef SKLEARN_MLE_KERNELS_H
#define SKLEARN_MLE_KERNELS_H

#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <Python.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The integer nearest to x (for 0 <= x < 2**52), and in *diff the bits of x that
   differ from those of that integer as a double: zero exactly when x is that integer
   (-0.0, NaN and inf differ). */
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

/* floating types: round and compare */
#define SK_FLOAT_INDEX(T, base, stride, i, k, bad)                                     \
    do {                                                                               \
        uint64_t d_;                                                                   \
        k = sk_magic_round((double)SK_AT(T, base, stride, i), &d_);                     \
        bad |= d_ | ((uint64_t)k >> shift);                                            \
    } while (0)

/* integer types: only the range */
#define SK_INT_INDEX(T, base, stride, i, k, bad)                                       \
    do {                                                                               \
        k = (int64_t)SK_AT(T, base, stride, i);                                        \
        bad |= (uint64_t)k >> shift;                                                   \
    } while (0)

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

#if defined(__SSE2__)
/* Two values rounded to table indices at once (as sk_magic_round): the indices, masked
 * into [0, 2**shift), and in *bad nonzero bits when a value is not an integer in range. */
static inline __m128i sk_sse2_index(__m128d v, int shift, __m128i *bad)
{
    const __m128d big = _mm_set1_pd(4503599627370496.0);
    __m128d y = _mm_add_pd(v, big);
    __m128d r = _mm_sub_pd(y, big);
    __m128i k = _mm_sub_epi64(_mm_castpd_si128(y),
                              _mm_set1_epi64x(INT64_C(0x4330000000000000)));
    *bad = _mm_or_si128(*bad, _mm_xor_si128(_mm_castpd_si128(r), _mm_castpd_si128(v)));
    *bad = _mm_or_si128(*bad, _mm_srl_epi64(k, _mm_cvtsi32_si128(shift)));
    return _mm_and_si128(k, _mm_set1_epi64x(((int64_t)1 << shift) - 1));
}
#endif

/* The same for a contiguous float64 column, two values per SSE2 instruction (every
 * x86-64 CPU has SSE2; elsewhere the scalar kernel above runs). */
static int sk_count_block_f64_contiguous(const double *x, Py_ssize_t n, const double *table,
                                         int shift, double *sum_x, double *sum_lg)
{
#if defined(__SSE2__)
    __m128i bad = _mm_setzero_si128(), sk = _mm_setzero_si128();
    double g0 = 0, g1 = 0, g2 = 0, g3 = 0;
    Py_ssize_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128d v0 = _mm_loadu_pd(x + i), v1 = _mm_loadu_pd(x + i + 2);
        __m128i k0 = sk_sse2_index(v0, shift, &bad), k1 = sk_sse2_index(v1, shift, &bad);
        sk = _mm_add_epi64(sk, _mm_add_epi64(k0, k1));
        g0 += table[_mm_cvtsi128_si64(k0)];
        g1 += table[_mm_cvtsi128_si64(_mm_unpackhi_epi64(k0, k0))];
        g2 += table[_mm_cvtsi128_si64(k1)];
        g3 += table[_mm_cvtsi128_si64(_mm_unpackhi_epi64(k1, k1))];
    }
    bad = _mm_or_si128(bad, _mm_unpackhi_epi64(bad, bad));
    if (_mm_cvtsi128_si64(bad) != 0) return 0;
    sk = _mm_add_epi64(sk, _mm_unpackhi_epi64(sk, sk));
    {
        double tail_x = 0, tail_lg = 0;
        if (!sk_count_block_f64((const char *)(x + i), sizeof(double), NULL, 0, n - i,
                                table, shift, &tail_x, &tail_lg))
            return 0;
        *sum_x = (double)_mm_cvtsi128_si64(sk) + tail_x;
        *sum_lg = ((g0 + g1) + (g2 + g3)) + tail_lg;
    }
    return 1;
#else
    return sk_count_block_f64((const char *)x, sizeof(double), NULL, 0, n, table, shift,
                              sum_x, sum_lg);
#endif
}

/* sum z, sum z**2 and min z of z = x - shift over a contiguous float64 column; the
 * sums are not finite when a value is not (the minimum then means nothing). */
static void sk_moment_block_f64_contiguous(const double *x, Py_ssize_t n, double shift,
                                           double *sum_x, double *sum_xx, double *min_x)
{
    Py_ssize_t i = 0;
    double s = 0, q = 0, m = HUGE_VAL, z;
#if defined(__SSE2__)
    const __m128d c = _mm_set1_pd(shift);
    __m128d a0 = _mm_setzero_pd(), a1 = _mm_setzero_pd();
    __m128d b0 = _mm_setzero_pd(), b1 = _mm_setzero_pd();
    __m128d m0 = _mm_set1_pd(HUGE_VAL), m1 = _mm_set1_pd(HUGE_VAL);
    for (; i + 4 <= n; i += 4) {
        __m128d v0 = _mm_sub_pd(_mm_loadu_pd(x + i), c);
        __m128d v1 = _mm_sub_pd(_mm_loadu_pd(x + i + 2), c);
        a0 = _mm_add_pd(a0, v0);
        a1 = _mm_add_pd(a1, v1);
        b0 = _mm_add_pd(b0, _mm_mul_pd(v0, v0));
        b1 = _mm_add_pd(b1, _mm_mul_pd(v1, v1));
        m0 = _mm_min_pd(m0, v0);
        m1 = _mm_min_pd(m1, v1);
    }
    a0 = _mm_add_pd(a0, a1);
    b0 = _mm_add_pd(b0, b1);
    m0 = _mm_min_pd(m0, m1);
    s = _mm_cvtsd_f64(a0) + _mm_cvtsd_f64(_mm_unpackhi_pd(a0, a0));
    q = _mm_cvtsd_f64(b0) + _mm_cvtsd_f64(_mm_unpackhi_pd(b0, b0));
    m = _mm_cvtsd_f64(_mm_min_pd(m0, _mm_unpackhi_pd(m0, m0)));
#endif
    for (; i < n; i++) {
        z = x[i] - shift;
        s += z;
        q += z * z;
        m = z < m ? z : m;
    }
    *sum_x = s;
    *sum_xx = q;
    *min_x = m;
}

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
            counts[(i & 3) * size + (k0 & mask)] += SK_AT(double, w, ws, i);            \
        }                                                                              \
    }                                                                                  \
    return bad == 0;                                                                   \
}

SK_DEFINE_HISTOGRAM(sk_histogram_f64, double, SK_FLOAT_INDEX)
SK_DEFINE_HISTOGRAM(sk_histogram_i64, int64_t, SK_INT_INDEX)

/* sum x of a contiguous float64 column whose values must be integers in [lo, hi]
 * (|hi|, |lo| < 2**52): two values per SSE2 instruction and no table. Returns 0 when
 * some value is not (NaN and inf included). */
static int sk_integer_block_f64_contiguous(const double *x, Py_ssize_t n, double lo,
                                           double hi, double *sum_x)
{
    Py_ssize_t i = 0;
    double s = 0, r, v;
    uint64_t bad = 0, bv, br;
#if defined(__SSE2__)
    const __m128d big = _mm_set1_pd(4503599627370496.0);
    const __m128d vlo = _mm_set1_pd(lo), vhi = _mm_set1_pd(hi);
    __m128i badv = _mm_setzero_si128();
    __m128d out = _mm_setzero_pd(), a0 = _mm_setzero_pd(), a1 = _mm_setzero_pd();
    if (lo == 0.0 && hi == 1.0) {
        /* {0, 1}: v * v - v is +0 exactly for 0, -0 and 1 (NaN, inf and anything
           else give other bits): half the work of the general test */
        for (; i + 4 <= n; i += 4) {
            __m128d v0 = _mm_loadu_pd(x + i), v1 = _mm_loadu_pd(x + i + 2);
            out = _mm_or_pd(out, _mm_sub_pd(_mm_mul_pd(v0, v0), v0));
            out = _mm_or_pd(out, _mm_sub_pd(_mm_mul_pd(v1, v1), v1));
            a0 = _mm_add_pd(a0, v0);
            a1 = _mm_add_pd(a1, v1);
        }
    }
    for (; i + 4 <= n; i += 4) {
        __m128d v0 = _mm_loadu_pd(x + i), v1 = _mm_loadu_pd(x + i + 2);
        /* values in [lo, hi] are below 2**52 in size, where adding and removing 2**52
           rounds to the nearest integer; the bits differ unless v is that integer */
        __m128d r0 = _mm_sub_pd(_mm_add_pd(v0, big), big);
        __m128d r1 = _mm_sub_pd(_mm_add_pd(v1, big), big);
        badv = _mm_or_si128(badv, _mm_xor_si128(_mm_castpd_si128(r0), _mm_castpd_si128(v0)));
        badv = _mm_or_si128(badv, _mm_xor_si128(_mm_castpd_si128(r1), _mm_castpd_si128(v1)));
        out = _mm_or_pd(out, _mm_or_pd(_mm_cmplt_pd(v0, vlo), _mm_cmpgt_pd(v0, vhi)));
        out = _mm_or_pd(out, _mm_or_pd(_mm_cmplt_pd(v1, vlo), _mm_cmpgt_pd(v1, vhi)));
        a0 = _mm_add_pd(a0, v0);
        a1 = _mm_add_pd(a1, v1);
    }
    badv = _mm_or_si128(badv, _mm_castpd_si128(out));
    badv = _mm_or_si128(badv, _mm_unpackhi_epi64(badv, badv));
    bad = (uint64_t)_mm_cvtsi128_si64(badv);
    a0 = _mm_add_pd(a0, a1);
    s = _mm_cvtsd_f64(a0) + _mm_cvtsd_f64(_mm_unpackhi_pd(a0, a0));
#endif
    for (; i < n; i++) {
        v = x[i];
        r = (v + 4503599627370496.0) - 4503599627370496.0;
        memcpy(&bv, &v, sizeof bv);
        memcpy(&br, &r, sizeof br);
        bad |= (bv ^ br) | (uint64_t)(!(v >= lo && v <= hi));
        s += v;
    }
    *sum_x = s;
    return bad == 0;
}

/* The histogram of a contiguous float64 column with unit weights: indices from SSE2
 * arithmetic as in sk_count_block_f64_contiguous, counts as in the macro above. */
static int sk_histogram_f64_contiguous(const double *x, Py_ssize_t n, int shift,
                                       double *counts)
{
#if defined(__SSE2__)
    const Py_ssize_t size = (Py_ssize_t)1 << shift;
    __m128i bad = _mm_setzero_si128();
    Py_ssize_t i = 0, b;
    int ok;
    uint64_t *c = (uint64_t *)calloc((size_t)(4 * size), sizeof(uint64_t));
    if (c == NULL) return 0;
    for (; i + 4 <= n; i += 4) {
        __m128d v0 = _mm_loadu_pd(x + i), v1 = _mm_loadu_pd(x + i + 2);
        __m128i k0 = sk_sse2_index(v0, shift, &bad), k1 = sk_sse2_index(v1, shift, &bad);
        c[_mm_cvtsi128_si64(k0)]++;
        c[size + _mm_cvtsi128_si64(_mm_unpackhi_epi64(k0, k0))]++;
        c[2 * size + _mm_cvtsi128_si64(k1)]++;
        c[3 * size + _mm_cvtsi128_si64(_mm_unpackhi_epi64(k1, k1))]++;
    }
    bad = _mm_or_si128(bad, _mm_unpackhi_epi64(bad, bad));
    ok = _mm_cvtsi128_si64(bad) == 0;
    for (b = 0; b < 4 * size; b++) counts[b] += (double)c[b];
    free(c);
    return ok && sk_histogram_f64((const char *)(x + i), sizeof(double), NULL, 0, n - i,
                                  shift, counts);
#else
    return sk_histogram_f64((const char *)x, sizeof(double), NULL, 0, n, shift, counts);
#endif
}

#endif
