"""The optional C kernel: table sums of integer counts, in row blocks over threads.

The extension ``_sums`` is compiled at install time when a C compiler is available
(see ``setup.py``); without it :data:`AVAILABLE` is False and callers use their NumPy
code paths, which give the same results (to rounding) more slowly. The kernel reads
every element once and releases the GIL, so the row blocks run in parallel.

- :func:`table_sums` / :func:`count_sums`: per column ``sum w x`` and
  ``sum w table[x]`` of non-negative integers, checking them in the same pass
  (``log(x!)`` for Poisson, ``log C(n, x)`` for the binomial). It returns None when it
  meets a value outside its domain (NaN and inf included), or cannot read the input;
  the caller then takes its NumPy path, which raises its usual error naming the
  column and the rule.

Why only this one (DESIGN.md, "Compiled code": a kernel stays only where a whole fit
of 10**7 rows is at least 2x faster with it than with the best NumPy formulation):
its work is a table lookup per element, which NumPy can only do through a histogram
(``bincount``, several times slower and holding the GIL in part). The fits of
Poisson (float64 and int64 counts) and the binomial are 2.3x to 3.8x faster with it.
The kernels for 0/1 and integer sums (Bernoulli, geometric), moments (exponential,
Gaussian), log-moments (log-normal, gamma) and label histograms (categorical) were
removed: the blocked NumPy passes of those families come within 0.8x to 1.85x of them
(``benchmarks/KERNELS.md`` has the A/B figures and ``benchmarks/bench_kernels.py``
measures them).
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


def count_sums(X, w=None, n_threads=None):
    """Per column ``sum w x`` and ``sum w log(x!)`` of non-negative integer counts.

    :func:`table_sums` with the log-factorial table; None when some value is not a
    non-negative integer (or the kernels are not available for this input).
    """
    return table_sums(X, _log_factorial_table(), LARGE_LGAMMA, w, n_threads)
