# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""Table sums of counts in C, run without the GIL (one call per row chunk).

:func:`table_sums` reads every element once and keeps per-column accumulators; long
columns are summed in blocks of ``_BLOCK`` rows whose partial sums are added with
Kahan compensation, so rounding grows with the block length, not with n. It returns
-1 when every element was valid, else the flat index ``i * d + j`` of the first
invalid one, and the caller reports it with the package's usual error message.
"""

from libc.math cimport floor, lgamma
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
