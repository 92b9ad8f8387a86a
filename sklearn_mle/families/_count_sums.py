"""Blocked NumPy passes of the discrete families' statistics (histograms of counts and
labels, 0/1 and integer sums; the Poisson and binomial paths when the C kernel is not
built or declines an input), the binomial coefficient sums and tables, and the
overflow check of summed statistics."""

from __future__ import annotations

import threading

import numpy as np
from scipy import special

from .._engine.blocks import BLOCK_ELEMENTS, map_reduce
from .._engine.rules import DomainError
from ._stats import unit_weights

_buffers = threading.local()


def scratch(n, dtype=np.float64):
    """A buffer of ``n`` elements of this thread, reused from block to block: a fresh
    block-size temporary costs page faults each time (several times the arithmetic
    on it). One per dtype: a caller holds at most one of each at a time."""
    dtype = np.dtype(dtype)
    buf = getattr(_buffers, dtype.char, None)
    if buf is None or buf.size < n:
        buf = np.empty(max(n, BLOCK_ELEMENTS), dtype)
        setattr(_buffers, dtype.char, buf)
    return buf[:n]


def weighted_column_sums(X, w):
    """``w @ X`` in float64 without an (n, d) temporary (a plain sum for unit weights)."""
    if unit_weights(w):
        return X.sum(axis=0, dtype=np.float64)
    return w @ X if X.dtype == np.float64 else (w @ X.astype(np.float64, copy=False))


_CHECK_BLOCK = 1 << 16  # elements per block of the domain check


def check_counts(family, X):
    """``family.check(X)`` after a blocked scan that finds no violation in valid data
    without full-size temporaries."""
    rows = max(1, _CHECK_BLOCK // max(X.shape[1], 1))
    for s in range(0, X.shape[0], rows):
        b = X[s : s + rows]
        if b.size and (b.min() < 0 or not np.array_equal(b, np.floor(b))):
            break
    else:
        return
    family.check(X)


_COUNT_BLOCK = 1 << 18  # rows per block when histogramming counts


def lgamma_sum(X, w):
    """Weighted column sums of log(x!) for non-negative integer X, via a histogram.

    One ``bincount`` per block of rows and column, and ``gammaln`` on the distinct
    values only: much cheaper than ``gammaln`` on every element for typical count
    data, and no full-size integer copy of the data.
    """
    n = X.shape[0]
    unit = unit_weights(w)
    out = np.empty(X.shape[1])
    for j in range(X.shape[1]):
        col = X[:, j]
        top = float(col.max()) if col.size else 0.0
        if top <= 1e6:
            m = int(top) + 1
            counts = np.zeros(m)
            for s in range(0, n, _COUNT_BLOCK):
                idx = col[s : s + _COUNT_BLOCK].astype(np.intp)
                wb = None if unit else w[s : s + _COUNT_BLOCK]
                counts += np.bincount(idx, weights=wb, minlength=m)
            out[j] = counts @ special.gammaln(np.arange(m) + 1.0)
        else:
            out[j] = sum(
                float(w[s : s + _COUNT_BLOCK] @ special.gammaln(
                    col[s : s + _COUNT_BLOCK].astype(np.float64) + 1.0))
                for s in range(0, n, _COUNT_BLOCK)
            )
    return out


_HIST_MAX = 1 << 20  # largest count histogrammed by the fused pass


def _add_padded(a, b):
    """Sum of two tuples of per-column histograms of any lengths."""
    out = []
    for u, v in zip(a, b):
        if u.size < v.size:
            u, v = v, u
        u = u.copy()
        u[: v.size] += v
        out.append(u)
    return tuple(out)


_COMPARE_MAX = 12  # blocks of values below this are counted by comparisons


def int_histograms(X, w=None, limit=_HIST_MAX):
    """Per column, the (weighted) counts of the values of X when every value is an
    integer in ``[0, limit]``; None otherwise (NaN and inf included).

    One pass over row blocks in the engine's threads; per block and column: the
    maximum, then either one comparison per value (few values: they must account for
    every element) or a cast to integers, its comparison with the input (the integer
    check) and ``bincount`` (which also rejects negatives). Counts are float64 arrays
    of length
    ``max(x) + 1`` (column by column, not padded to a common length).
    """
    d = X.shape[1]

    def block(xb, wb):
        out = []
        for j in range(d):
            col = xb[:, j]
            top = col.max() if col.size else 0
            if not 0 <= top <= limit:  # NaN too; a negative maximum (-inf) cannot count
                return None
            same = scratch(col.size, np.bool_)
            if wb is None and top < _COMPARE_MAX:
                # few values: one comparison per value; they account for every
                # element only when all are integers in [0, top]
                counts = np.array([np.count_nonzero(np.equal(col, k, out=same))
                                   for k in range(int(top) + 1)], dtype=np.float64)
                if counts.sum() != col.size:
                    return None
                out.append(counts)
                continue
            xi = col
            if col.dtype != np.intp:
                xi = scratch(col.size, np.intp)
                with np.errstate(invalid="ignore"):
                    np.copyto(xi, col, casting="unsafe")
            if col.dtype.kind == "f" and not np.equal(xi, col, out=same).all():
                return None  # fractions
            try:
                counts = np.bincount(xi, weights=wb)
            except ValueError:  # a negative value
                return None
            out.append(counts.astype(np.float64, copy=False))
        return tuple(out)

    return map_reduce(block, X, w, combine=_add_padded)


def count_sums(X, w=None):
    """Per column ``sum w x`` and ``sum w log(x!)`` of non-negative integer counts (at
    most 2**20), from a histogram of each column (:func:`int_histograms`); None when
    some value is not such a count."""
    hist = int_histograms(X, w)
    if hist is None:
        return None
    sum_x, sum_lg = np.empty(X.shape[1]), np.empty(X.shape[1])
    for j, counts in enumerate(hist):
        k = np.arange(counts.size, dtype=np.float64)
        sum_x[j] = counts @ k
        sum_lg[j] = counts @ special.gammaln(k + 1.0)
    return sum_x, sum_lg


def checked_count_sums(family, X, w):
    """The sums of counts that :func:`count_sums` refuses: :func:`check_counts` raises
    naming the rule, and valid counts (above 2**20) are summed plainly
    (:func:`weighted_column_sums`, :func:`lgamma_sum`)."""
    check_counts(family, X)
    return weighted_column_sums(X, w), lgamma_sum(X, w)


def binary_sums(X, w=None):
    """Per column ``sum w x`` when every value is 0 or 1 (counted with two
    comparisons per block); None otherwise (NaN included)."""

    def block(xb, wb):
        ones = xb == 1
        if np.count_nonzero(ones) + np.count_nonzero(xb == 0) != xb.size:
            return None
        if wb is None:
            return np.count_nonzero(ones, axis=0).astype(np.float64)
        return wb @ ones

    return map_reduce(block, X, w)


def integer_sums(X, lo, hi, w=None):
    """Per column ``sum w x`` when every value is an integer in ``[lo, hi]``
    (``|lo|, |hi| < 2**52``); None otherwise (NaN and inf included)."""

    def block(xb, wb):
        if xb.dtype.kind == "f":
            if not np.array_equal(np.floor(xb), xb):  # fractions and NaN
                return None
        if xb.size and not (xb.min() >= lo and xb.max() <= hi):  # inf too
            return None
        with np.errstate(over="ignore"):  # the caller checks the sums' range
            if wb is None:
                return xb.sum(axis=0, dtype=np.float64)
            return wb @ xb.astype(np.float64, copy=False)

    return map_reduce(block, X, w)


_BINOM_HIST_MAX = 1_000_000  # n_trials up to this: log C(n, x) via a histogram of x


def log_binom_sum(X, w, n_trials):
    """Weighted column sums of ``log C(n_trials, x)`` for integer ``0 <= x <= n_trials``.

    Rows outside ``[0, n_trials]`` must carry zero weight; they are skipped (their
    ``log C`` is NaN, and ``0 * NaN`` would poison the sum).
    """
    out = np.empty(X.shape[1])
    for j in range(X.shape[1]):
        n = float(n_trials[j])
        col = X[:, j].astype(np.float64, copy=False)
        keep = (col >= 0) & (col <= n)
        col, wj = (col, w) if keep.all() else (col[keep], w[keep])
        if n <= _BINOM_HIST_MAX:
            # gammaln on the n + 1 possible values instead of on every row
            counts = np.bincount(col.astype(np.intp), weights=wj, minlength=int(n) + 1)
            k = np.arange(counts.size, dtype=np.float64)
            logc = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
            out[j] = counts @ logc
        else:
            logc = special.gammaln(n + 1) - special.gammaln(col + 1) - special.gammaln(n - col + 1)
            out[j] = wj @ logc
    return out


_TABLE_MAX = 1 << 22  # entries of the C kernel's log C(n, k) tables, all columns


def log_binom_tables(n_trials):
    """``log C(n_j, k)`` for ``k < 2**m`` per column (NaN beyond ``n_j``, which the
    kernel reads as outside the support), or None when the tables would be too large.
    Rows: columns; length: a power of two > max n_j."""
    top = int(np.max(n_trials))
    size = 1 << max(1, top.bit_length())
    if size * len(n_trials) > _TABLE_MAX:
        return None
    k = np.arange(size, dtype=np.float64)
    n = np.asarray(n_trials, dtype=np.float64)[:, None]
    with np.errstate(invalid="ignore"):
        logc = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
    return np.where(k <= n, logc, np.nan)


def check_sum_in_range(X, sums, rule):
    """Raise :class:`DomainError` (``rule``) at the largest value of the first column
    whose (finite) values sum beyond the float64 range: a statistic that overflowed to
    inf would turn the estimate into 0 or NaN without a word."""
    over = ~np.isfinite(np.asarray(sums, dtype=np.float64))
    if over.any():
        j = int(np.flatnonzero(over)[0])
        i = int(np.argmax(X[:, j]))
        raise DomainError(rule, column=j, row=i, value=X[i, j])
