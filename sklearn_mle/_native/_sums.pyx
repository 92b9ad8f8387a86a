# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""Fused one-pass statistics in C, run without the GIL (one call per row chunk).

Each kernel reads every element once and keeps per-column accumulators; long columns
are summed in blocks of ``_BLOCK`` rows whose partial sums are added with Kahan
compensation, so rounding grows with the block length, not with n. A kernel returns
-1 when every element was valid, else the flat index ``i * d + j`` of the first
invalid one, and the caller reports it with the package's usual error message.
"""

from libc.math cimport NAN, floor, lgamma
from libc.stdlib cimport free, malloc

cdef extern from "kernels.h":
    int sk_count_block_f64(const char* x, Py_ssize_t xs, const char* w, Py_ssize_t ws,
                           Py_ssize_t n, const double* table, int shift,
                           double* sum_x, double* sum_lg) noexcept nogil
    int sk_count_block_f32(const char* x, Py_ssize_t xs, const char* w, Py_ssize_t ws,
                           Py_ssize_t n, const double* table, int shift,
                           double* sum_x, double* sum_lg) noexcept nogil
    int sk_count_block_i64(const char* x, Py_ssize_t xs, const char* w, Py_ssize_t ws,
                           Py_ssize_t n, const double* table, int shift,
                           double* sum_x, double* sum_lg) noexcept nogil
    int sk_count_block_i32(const char* x, Py_ssize_t xs, const char* w, Py_ssize_t ws,
                           Py_ssize_t n, const double* table, int shift,
                           double* sum_x, double* sum_lg) noexcept nogil
    int sk_integer_block_f64(const char* x, Py_ssize_t xs, const char* w, Py_ssize_t ws,
                             Py_ssize_t n, double lo, double hi, double* sum_x) noexcept nogil
    int sk_integer_block_f32(const char* x, Py_ssize_t xs, const char* w, Py_ssize_t ws,
                             Py_ssize_t n, double lo, double hi, double* sum_x) noexcept nogil
    void sk_moment_block_f64(const char* x, Py_ssize_t xs, Py_ssize_t n, double shift,
                             double* sum_z, double* sum_zz, double* min_z) noexcept nogil
    void sk_moment_block_f32(const char* x, Py_ssize_t xs, Py_ssize_t n, double shift,
                             double* sum_z, double* sum_zz, double* min_z) noexcept nogil
    int sk_histogram_f64(const char* x, Py_ssize_t xs, const char* w, Py_ssize_t ws,
                         Py_ssize_t n, int shift, double* counts) noexcept nogil
    int sk_histogram_i64(const char* x, Py_ssize_t xs, const char* w, Py_ssize_t ws,
                         Py_ssize_t n, int shift, double* counts) noexcept nogil

ctypedef long long longlong

ctypedef fused real_t:
    double
    float
    longlong
    long
    int
    short
    signed char
    unsigned char
    unsigned short
    unsigned int
    unsigned long
    unsigned long long

cdef enum:
    _BLOCK = 4096


cdef inline void _kahan(double* total, double* comp, double value) noexcept nogil:
    cdef double y = value - comp[0]
    cdef double t = total[0] + y
    comp[0] = (t - total[0]) - y
    total[0] = t


cdef enum:
    LARGE_INVALID = 0  # values beyond the table are outside the support
    LARGE_LGAMMA = 1   # ... have table value log(x!) (the log-factorial table)
    LARGE_ZERO = 2     # ... have table value 0


cdef inline bint _table_value(double x, const double* table, Py_ssize_t size, int large,
                              double* out) noexcept nogil:
    """``table[x]`` for a non-negative integer x; False when x is not one (NaN too) or
    the table marks it outside the support (a NaN entry)."""
    cdef Py_ssize_t k
    if x >= 0 and x < size:
        k = <Py_ssize_t>x
        if k != x or table[k] != table[k]:
            return False
        out[0] = table[k]
        return True
    if x >= size and x == floor(x) and x - x == 0:  # integral and finite
        if large == LARGE_LGAMMA:
            out[0] = lgamma(x + 1.0)
            return True
        if large == LARGE_ZERO:
            out[0] = 0.0
            return True
    return False


cdef inline bint _table_block(const real_t[:, :] X, Py_ssize_t j, Py_ssize_t start,
                              Py_ssize_t stop, const double[:] w, bint unit,
                              const double* table, int shift,
                              double* out_x, double* out_lg) noexcept nogil:
    """The branch-free C kernel of ``kernels.h`` on one column block, if any.

    False when the kernel found a value it cannot take (or none exists for this
    dtype): the caller then runs the checking loop on the block.
    """
    cdef const char* x = <const char*>&X[start, j]
    cdef Py_ssize_t xs = X.strides[0], n = stop - start
    cdef const char* wp = NULL if unit else <const char*>&w[start]
    cdef Py_ssize_t ws = 0 if unit else w.strides[0]
    if real_t is double:
        return sk_count_block_f64(x, xs, wp, ws, n, table, shift, out_x, out_lg)
    elif real_t is float:
        return sk_count_block_f32(x, xs, wp, ws, n, table, shift, out_x, out_lg)
    elif real_t is long or real_t is longlong or real_t is int:
        if sizeof(real_t) == 8:
            return sk_count_block_i64(x, xs, wp, ws, n, table, shift, out_x, out_lg)
        if sizeof(real_t) == 4:
            return sk_count_block_i32(x, xs, wp, ws, n, table, shift, out_x, out_lg)
    return False


cdef inline Py_ssize_t _count_block(const real_t[:, :] X, Py_ssize_t j, Py_ssize_t start,
                                     Py_ssize_t stop, const double[:] w, bint unit,
                                     const double* table, Py_ssize_t size, int shift,
                                     int large, double* out_x,
                                     double* out_lg) noexcept nogil:
    """Checked sums of one column over rows [start, stop): -1, or the first bad row."""
    cdef Py_ssize_t i
    cdef double x, g, wi, sx = 0.0, sg = 0.0
    if _table_block(X, j, start, stop, w, unit, table, shift, out_x, out_lg):
        if out_lg[0] == out_lg[0]:  # NaN: some value hit an entry outside the support
            return -1
    for i in range(start, stop):
        x = <double>X[i, j]
        if not _table_value(x, table, size, large, &g):
            return i
        wi = 1.0 if unit else w[i]
        sx += wi * x
        sg += wi * g
    out_x[0] = sx
    out_lg[0] = sg
    return -1


def table_sums(const real_t[:, :] X, const double[:] w, bint unit,
               const double[:, ::1] tables, int large, double[:] sum_x, double[:] sum_t):
    """Add ``sum w x`` and ``sum w table[x]`` per column of counts X into the outputs.

    ``tables`` has one row (shared) or one per column, of a power-of-two length; a NaN
    entry marks a value outside the support, and ``large`` says what values beyond the
    table are (``LARGE_*``). Returns -1, or the flat index of the first element that is
    negative, non-integer, not finite or outside the support.
    """
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], size = tables.shape[1]
    cdef Py_ssize_t i, j, start, stop, bad = -1
    cdef bint shared = tables.shape[0] == 1
    cdef int shift = 0
    cdef double bx, bg
    while (<Py_ssize_t>1 << (shift + 1)) <= size:
        shift += 1
    if size < 2 or (<Py_ssize_t>1 << shift) != size:
        raise ValueError("the table needs a power-of-two length")
    if not shared and tables.shape[0] != d:
        raise ValueError("one table row, or one per column")
    cdef double* comp = <double*>malloc(2 * d * sizeof(double))
    if comp == NULL:
        raise MemoryError()
    with nogil:
        for j in range(2 * d):
            comp[j] = 0.0
        start = 0
        while start < n and bad < 0:
            stop = min(start + _BLOCK, n)
            for j in range(d):  # a block of rows stays in cache across its columns
                i = _count_block(X, j, start, stop, w, unit, &tables[0 if shared else j, 0],
                                 size, shift, large, &bx, &bg)
                if i >= 0:
                    bad = i * d + j
                    break
                _kahan(&sum_x[j], &comp[j], bx)
                _kahan(&sum_t[j], &comp[d + j], bg)
            start = stop
    free(comp)
    return bad


cdef inline void _moment_block(const real_t[:, :] X, Py_ssize_t j, Py_ssize_t start,
                               Py_ssize_t stop, double shift, double* s1, double* s2,
                               double* mn) noexcept nogil:
    """``sum z``, ``sum z**2`` and ``min z`` of column j over rows [start, stop)."""
    cdef const char* x = <const char*>&X[start, j]
    if real_t is double:
        sk_moment_block_f64(x, X.strides[0], stop - start, shift, s1, s2, mn)
    elif real_t is float:
        sk_moment_block_f32(x, X.strides[0], stop - start, shift, s1, s2, mn)
    else:
        s1[0] = s2[0] = NAN  # not a moment dtype: refused like a non-finite value


def moment_sums(const real_t[:, :] X, const double[:] shift, double[:] sum_x,
                double[:] sum_xx, double[:] min_x):
    """Add ``sum z`` and ``sum z**2`` of ``z = x - shift`` per column into the outputs,
    and lower ``min_x`` to the smallest z (float64 and float32 X).

    A shift near the column's mean keeps the sums free of cancellation. Returns -1, -2
    when a square overflows, or the flat index of the first non-finite element.
    """
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1]
    cdef Py_ssize_t i, j, start, stop, bad = -1
    cdef double x, b1, b2, bmin
    cdef double* comp = <double*>malloc(2 * d * sizeof(double))
    if comp == NULL:
        raise MemoryError()
    with nogil:
        for j in range(2 * d):
            comp[j] = 0.0
        start = 0
        while start < n and bad == -1:
            stop = min(start + _BLOCK, n)
            for j in range(d):  # a block of rows stays in cache across its columns
                _moment_block(X, j, start, stop, shift[j], &b1, &b2, &bmin)
                if b2 - b2 != 0:  # inf or NaN in this block
                    for i in range(start, stop):
                        x = <double>X[i, j]
                        if x - x != 0:
                            bad = i * d + j
                            break
                    if bad < 0:  # finite values whose squares overflow
                        bad = -2
                    break
                _kahan(&sum_x[j], &comp[j], b1)
                _kahan(&sum_xx[j], &comp[d + j], b2)
                min_x[j] = bmin if bmin < min_x[j] else min_x[j]
            start = stop
    free(comp)
    return bad


def histogram(const real_t[:, :] X, const double[:] w, bint unit, int shift,
              double[:, :, ::1] counts):
    """Add the (weighted) counts of each value ``0 <= k < 2**shift`` per column into
    ``counts[j, lane, k]`` (four lanes, summed by the caller).

    For float64 and int64 X only. Returns True, or False when some value is not an
    integer in range (then ``counts`` means nothing).
    """
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], j
    cdef bint ok = True
    if counts.shape[0] != d or counts.shape[1] != 4 or counts.shape[2] != (1 << shift):
        raise ValueError("counts needs shape (n_features, 4, 2**shift)")
    if n == 0:
        return True
    with nogil:
        for j in range(d):
            if real_t is double:
                ok = sk_histogram_f64(<const char*>&X[0, j], X.strides[0],
                                      NULL if unit else <const char*>&w[0],
                                      0 if unit else w.strides[0], n, shift,
                                      &counts[j, 0, 0])
            elif (real_t is long or real_t is longlong) and sizeof(real_t) == 8:
                ok = sk_histogram_i64(<const char*>&X[0, j], X.strides[0],
                                      NULL if unit else <const char*>&w[0],
                                      0 if unit else w.strides[0], n, shift,
                                      &counts[j, 0, 0])
            else:
                ok = False
            if not ok:
                break
    return ok


cdef inline bint _integer_block(const real_t[:, :] X, Py_ssize_t j, Py_ssize_t start,
                                Py_ssize_t stop, const double[:] w, bint unit, double lo,
                                double hi, double* out) noexcept nogil:
    """The branch-free C kernel on one column block (floating X); False when it found
    a value it cannot take (or X is of an integer dtype): the caller then checks."""
    cdef const char* x = <const char*>&X[start, j]
    cdef const char* wp = NULL if unit else <const char*>&w[start]
    cdef Py_ssize_t ws = 0 if unit else w.strides[0]
    if real_t is double:
        return sk_integer_block_f64(x, X.strides[0], wp, ws, stop - start, lo, hi, out)
    elif real_t is float:
        return sk_integer_block_f32(x, X.strides[0], wp, ws, stop - start, lo, hi, out)
    return False


def integer_sums(const real_t[:, :] X, const double[:] w, bint unit, double lo, double hi,
                 double[:] sum_x):
    """Add ``sum w x`` per column into ``sum_x`` when every value is an integer in
    ``[lo, hi]`` (``|lo|, |hi| < 2**52``). Returns -1, or the flat index of the first
    value that is not (NaN and inf included)."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1]
    cdef Py_ssize_t i, j, start, stop, bad = -1
    cdef double x, s, wi
    cdef double* comp = <double*>malloc(d * sizeof(double))
    if comp == NULL:
        raise MemoryError()
    with nogil:
        for j in range(d):
            comp[j] = 0.0
        start = 0
        while start < n and bad < 0:
            stop = min(start + _BLOCK, n)
            for j in range(d):
                if _integer_block(X, j, start, stop, w, unit, lo, hi, &s):
                    _kahan(&sum_x[j], &comp[j], s)
                    continue
                s = 0.0
                for i in range(start, stop):
                    x = <double>X[i, j]
                    if not (x >= lo and x <= hi and x == floor(x)):
                        bad = i * d + j
                        break
                    wi = 1.0 if unit else w[i]
                    s += wi * x
                if bad >= 0:
                    break
                _kahan(&sum_x[j], &comp[j], s)
            start = stop
    free(comp)
    return bad
