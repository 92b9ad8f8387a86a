"""Optional C kernels for one-pass statistics, run over the engine's row blocks in threads.

The extension ``_sums`` is compiled at install time when a C compiler is available
(see ``setup.py``); without it :data:`AVAILABLE` is False and callers use their NumPy
code paths, which give the same results (to rounding) more slowly. Each kernel reads
every element once and releases the GIL, so the row chunks run in parallel.

Per column, in one pass:

- :func:`table_sums` / :func:`count_sums`: ``sum w x`` and ``sum w table[x]`` of
  non-negative integers (``log(x!)`` for Poisson, ``log C(n, x)`` for the binomial);
- :func:`integer_sums`: ``sum w x`` of integers in a range (Bernoulli, geometric);
- :func:`moment_sums`: ``sum z``, ``sum z**2`` (and ``min z``) of ``z = x - shift``;
- :func:`log_moment_sums`: the same of ``log x - shift`` (and ``sum x``), ``log`` in
  cached blocks;
- :func:`small_int_histogram`: counts of small non-negative integer labels.

Each returns None when it meets a value outside its domain (NaN and inf included), or
cannot read the input; the caller then takes its NumPy path, which raises its usual
error naming the column and the rule.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .._engine.blocks import map_reduce_ranges

try:  # pragma: no cover - which branch runs depends on the build
    from . import _sums
except ImportError:  # pragma: no cover
    _sums = None

AVAILABLE = _sums is not None

_TABLE_SIZE = 1 << 16  # log(k!) tabulated for k < 65536; larger counts use lgamma
# dtypes the kernels read directly (others are converted by the caller)
COUNT_DTYPES = tuple(
    np.dtype(t)
    for t in (np.float64, np.float32, np.int64, np.int32, np.int16, np.int8,
              np.uint8, np.uint16, np.uint32, np.uint64)
)
_MOMENT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))

_table = None


def _log_factorial_table():
    global _table
    if _table is None:
        _table = special.gammaln(np.arange(_TABLE_SIZE, dtype=np.float64) + 1.0)
    return _table


def log_factorial(X):
    """``log(x!)`` elementwise (``gammaln(x + 1)``), from the table for small integers.

    Pure NumPy (no compiled code needed). Non-integer values below the table size get
    the value of their integer part: callers mask them out of the support.
    """
    X = np.asarray(X)
    table = _log_factorial_table()
    with np.errstate(invalid="ignore"):
        small = (X >= 0) & (X < _TABLE_SIZE)
    out = table.take(np.where(small, X, 0).astype(np.intp))
    if not small.all():
        out = np.where(small, out, special.gammaln(X.astype(np.float64) + 1.0))
    return out


def over_row_chunks(run, n, d, n_threads=None, combine=None):
    """``run(a, b) -> (ok, *arrays)`` over row blocks (the engine's ``map_reduce``: its
    blocks and threads): the arrays combined across blocks (summed, or by
    ``combine[i]``), or None when a block was not ok.

    Pure Python: also runs NumPy code (which releases the GIL) without the C kernels.
    """
    ops = combine

    def block(a, b):
        ok, *arrays = run(a, b)
        return tuple(arrays) if ok else None

    def merge(x, y):
        if x is None or y is None:
            return None
        return tuple((op or np.add)(u, v) for u, v, op in
                     zip(x, y, ops or (None,) * len(x)))

    return map_reduce_ranges(block, n, d, n_jobs=n_threads, combine=merge)


def _weights(w):
    """(unit, weights view) for the kernels' ``w``/``unit`` arguments."""
    return (True, np.empty(0)) if w is None else (False, np.asarray(w, dtype=np.float64))


def _kernel_input(X, dtypes):
    """X as the kernels read it (booleans as uint8), or None when they cannot."""
    if X.dtype == np.bool_ and np.dtype(np.uint8) in dtypes:
        X = X.view(np.uint8)
    if (AVAILABLE and X.ndim == 2 and X.dtype in dtypes and X.dtype.isnative
            and X.shape[0] > 0):
        return X
    return None


# what values beyond a table are (see table_sums)
LARGE_INVALID, LARGE_LGAMMA, LARGE_ZERO = 0, 1, 2


def table_sums(X, tables, large=LARGE_INVALID, w=None, n_threads=None):
    """Per column ``sum w x`` and ``sum w table[x]`` of non-negative integers x.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Integer values, of a dtype in :data:`COUNT_DTYPES`, any strides.
    tables : ndarray of shape (size,) or (n_features, size)
        Values of each integer, shared or per column; ``size`` a power of two. A NaN
        entry marks a value outside the support.
    large : {LARGE_INVALID, LARGE_LGAMMA, LARGE_ZERO}
        Values ``>= size`` are outside the support, have table value ``log(x!)``, or 0.
    w : ndarray of shape (n_samples,) or None
        Weights; None for unit weights.
    n_threads : int or None
        Threads over row chunks (None: all cores).

    Returns
    -------
    (sum_x, sum_table) : tuple of ndarray of shape (n_features,), or None
        None when some value is outside the support (negative, non-integer, not finite,
        a NaN entry), or when the kernels are not available for this input: the
        caller then takes its NumPy path, which raises naming the rule.
    """
    X = _kernel_input(X, COUNT_DTYPES)
    if X is None:
        return None
    n, d = X.shape
    tables = np.ascontiguousarray(np.atleast_2d(tables), dtype=np.float64)
    unit, wv = _weights(w)

    def run(a, b):
        sx, st = np.zeros(d), np.zeros(d)
        bad = _sums.table_sums(X[a:b], wv if unit else wv[a:b], unit, tables, large, sx, st)
        return bad < 0, sx, st

    return over_row_chunks(run, n, d, n_threads)


def integer_sums(X, lo, hi, w=None, n_threads=None):
    """Per column ``sum w x`` when every value is an integer in ``[lo, hi]``.

    The fast kernel of the support checks of Bernoulli ({0, 1}) and Geometric (>= 1):
    no table. Returns None when some value is not (NaN and inf included), or when the
    kernels are not available for this input.
    """
    X = _kernel_input(X, COUNT_DTYPES)
    if X is None:
        return None
    n, d = X.shape
    unit, wv = _weights(w)

    def run(a, b):
        sx = np.zeros(d)
        return _sums.integer_sums(X[a:b], wv if unit else wv[a:b], unit, lo, hi, sx) < 0, sx

    sums = over_row_chunks(run, n, d, n_threads)
    return None if sums is None else sums[0]


def count_sums(X, w=None, n_threads=None):
    """Per column ``sum w x`` and ``sum w log(x!)`` of non-negative integer counts.

    :func:`table_sums` with the log-factorial table; None when some value is not a
    non-negative integer (or the kernels are not available for this input).
    """
    return table_sums(X, _log_factorial_table(), LARGE_LGAMMA, w, n_threads)


def moment_sums(X, shift, n_threads=None, with_min=False):
    """Per column ``sum z`` and ``sum z**2`` of ``z = x - shift`` (unweighted), one pass.

    A shift near the mean (the first row will do) keeps the variance
    ``sum z**2 - (sum z)**2 / n`` free of cancellation; ``with_min`` adds ``min z`` as a
    third array. Returns None when some value is not finite (or a square overflows), or
    when the kernels are not available for this input.
    """
    X = _kernel_input(X, _MOMENT_DTYPES)
    if X is None:
        return None
    n, d = X.shape
    shift = np.ascontiguousarray(shift, dtype=np.float64)

    def run(a, b):
        s1, s2, mn = np.zeros(d), np.zeros(d), np.full(d, np.inf)
        return _sums.moment_sums(X[a:b], shift, s1, s2, mn) == -1, s1, s2, mn

    sums = over_row_chunks(run, n, d, n_threads, (np.add, np.add, np.minimum))
    return sums if sums is None or with_min else sums[:2]


_LOG_BLOCK_ELEMENTS = 1 << 15  # per block of log x: 256 KiB of float64, stays in cache


def log_moment_sums(X, shift, n_threads=None, with_sum=False):
    """Per column ``sum z`` and ``sum z**2`` of ``z = log(x) - shift`` (unweighted).

    ``log`` runs block by block into a small buffer that the moment kernel then reads
    from cache: one pass over X and no full-size temporary. ``with_sum`` adds the plain
    ``sum x`` as a third array (from the same blocks). Returns None when some ``log x``
    is not finite (x <= 0, NaN, inf), or when the kernels are not available for this
    input.
    """
    X = _kernel_input(X, _MOMENT_DTYPES)
    if X is None:
        return None
    n, d = X.shape
    shift = np.ascontiguousarray(shift, dtype=np.float64)
    zero = np.zeros(d)
    rows = max(1, _LOG_BLOCK_ELEMENTS // d)

    def run(a, b):
        s1, s2, mn = np.zeros(d), np.zeros(d), np.full(d, np.inf)
        r1, r2, rmn = np.zeros(d), np.zeros(d), np.full(d, np.inf)
        buf = np.empty((min(rows, b - a), d))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for start in range(a, b, rows):
                block = X[start : min(start + rows, b)]
                out = buf[: block.shape[0]]
                np.log(block, out=out, dtype=np.float64)
                if _sums.moment_sums(out, shift, s1, s2, mn) != -1:
                    return False, s1, s2, r1
                # the block is still in cache (a square overflowing, x > 1e154, stops
                # the kernel early: the caller's NumPy path then takes over)
                if with_sum and _sums.moment_sums(block, zero, r1, r2, rmn) != -1:
                    return False, s1, s2, r1
        return True, s1, s2, r1

    sums = over_row_chunks(run, n, d, n_threads)
    return sums if sums is None or with_sum else sums[:2]


def small_int_histogram(X, w=None, n_threads=None):
    """Per column (weighted) counts of the values of X when they are all small
    non-negative integers (below 2**16), as an array of shape (n_features, size) with
    ``size`` a power of two; None otherwise (or when the kernels are not available for
    this input: float64 and int64 only)."""
    X = _kernel_input(X, (np.dtype(np.float64), np.dtype(np.int64)))
    if X is None:
        return None
    n, d = X.shape
    unit, wv = _weights(w)
    for shift in (8, 16):  # 256 bins stay in L1; retry wider when a value is larger

        def run(a, b, shift=shift):
            counts = np.zeros((d, 4, 1 << shift))
            ok = _sums.histogram(X[a:b], wv if unit else wv[a:b], unit, shift, counts)
            return ok, counts

        counts = over_row_chunks(run, n, d, n_threads)
        if counts is not None:
            return counts[0].sum(axis=1)
    return None
