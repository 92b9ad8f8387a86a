"""NumPy paths of the count statistics (used when the C kernels decline an input), the
binomial coefficient sums and tables, and the overflow check of summed statistics."""

from __future__ import annotations

import numpy as np
from scipy import special

from .._engine.rules import DomainError
from ._stats import unit_weights


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


def checked_count_sums(family, X, w):
    """Per column ``sum w x`` and ``sum w log(x!)`` of counts, checking the domain.

    One blocked pass per column: cast to integers, compare with the input (integer
    check), ``bincount`` (which also rejects negatives) and sums from the histogram.
    Anything unusual (a domain error, counts above 2**20) goes through the plain
    :func:`check_counts`, :func:`weighted_column_sums` and :func:`lgamma_sum`, so errors
    read the same either way.
    """
    n, d = X.shape
    unit = unit_weights(w)
    sum_x, sum_lg = np.empty(d), np.empty(d)
    for j in range(d):
        col = X[:, j]
        counts = np.zeros(1)
        for s in range(0, n, _COUNT_BLOCK):
            xb = col[s : s + _COUNT_BLOCK]
            xi = xb.astype(np.intp)
            if not np.array_equal(xi, xb) or xi.max(initial=0) > _HIST_MAX:
                break
            try:
                b = np.bincount(xi, weights=None if unit else w[s : s + _COUNT_BLOCK])
            except ValueError:  # negative counts
                break
            if b.size > counts.size:
                counts = np.concatenate([counts, np.zeros(b.size - counts.size)])
            counts[: b.size] += b
        else:
            k = np.arange(counts.size, dtype=np.float64)
            sum_x[j] = counts @ k
            sum_lg[j] = counts @ special.gammaln(k + 1.0)
            continue
        check_counts(family, X)  # raises with the rule if the domain is violated
        sum_x[j] = weighted_column_sums(col[:, None], w)[0]
        sum_lg[j] = lgamma_sum(col[:, None], w)[0]
    return sum_x, sum_lg


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
