"""Optional C kernels for one-pass statistics, run over row chunks in threads.

The extension ``_sums`` is compiled at install time when a C compiler is available
(see ``setup.py``); without it :data:`AVAILABLE` is False and callers use their NumPy
code paths, which give the same results (to rounding) more slowly. Each kernel reads
every element once and releases the GIL, so the row chunks run in parallel.

:func:`count_sums` gives ``sum w x`` and ``sum w log(x!)`` per column of counts and
:func:`moment_sums` gives ``sum x`` and ``sum x**2`` per column; both return None when
they meet a value outside their domain (NaN and inf included), and the caller then
raises its usual error naming the column and the rule.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import special

try:  # pragma: no cover - which branch runs depends on the build
    from . import _sums
except ImportError:  # pragma: no cover
    _sums = None

AVAILABLE = _sums is not None

_TABLE_SIZE = 1 << 16  # log(k!) tabulated for k < 65536; larger counts use lgamma
_CHUNK_ELEMENTS = 1 << 18  # below ~2 MiB of data one thread is faster than two
try:
    _N_THREADS = max(1, min(len(os.sched_getaffinity(0)), 8))
except AttributeError:  # pragma: no cover - not on Linux
    _N_THREADS = max(1, min(os.cpu_count() or 1, 8))

# dtypes the kernels read directly (others are converted by the caller)
COUNT_DTYPES = tuple(
    np.dtype(t)
    for t in (np.float64, np.float32, np.int64, np.int32, np.int16, np.int8,
              np.uint8, np.uint16, np.uint32, np.uint64)
)
_MOMENT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))

_table = None
_pool = None


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


def _row_chunks(n, d, n_threads):
    """Row ranges, one per thread, or a single range for small data."""
    t = max(1, min(n_threads if n_threads is not None else _N_THREADS,
                   (n * d) // _CHUNK_ELEMENTS))
    edges = np.linspace(0, n, t + 1).astype(np.intp)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def _map_chunks(fn, chunks):
    global _pool
    if len(chunks) == 1:
        return [fn(*chunks[0])]
    if _pool is None:
        _pool = ThreadPoolExecutor(_N_THREADS, thread_name_prefix="sklearn_mle")
    return list(_pool.map(lambda c: fn(*c), chunks))


def _readable(X, dtypes):
    return (AVAILABLE and X.ndim == 2 and X.dtype in dtypes and X.dtype.isnative
            and X.shape[0] > 0)


def count_sums(X, w=None, n_threads=None):
    """Per column ``sum w x`` and ``sum w log(x!)`` of non-negative integer counts.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Counts, of a dtype in :data:`COUNT_DTYPES`, any strides.
    w : ndarray of shape (n_samples,) or None
        Weights; None for unit weights.
    n_threads : int or None
        Threads over row chunks (None: all cores).

    Returns
    -------
    (sum_x, sum_lgamma) : tuple of ndarray of shape (n_features,), or None
        None when some value is negative, non-integer or not finite, or when the
        kernels are not available for this input (the caller then takes its NumPy path).
    """
    if not _readable(X, COUNT_DTYPES):
        return None
    n, d = X.shape
    table = _log_factorial_table()
    unit = w is None
    wv = np.empty(0) if unit else np.asarray(w, dtype=np.float64)

    def run(a, b):
        sx, sg = np.zeros(d), np.zeros(d)
        bad = _sums.count_sums(X[a:b], wv if unit else wv[a:b], unit, table, sx, sg)
        return bad, sx, sg

    parts = _map_chunks(run, _row_chunks(n, d, n_threads))
    if any(bad >= 0 for bad, _, _ in parts):
        return None
    return sum(p[1] for p in parts), sum(p[2] for p in parts)


def moment_sums(X, shift, n_threads=None):
    """Per column ``sum z`` and ``sum z**2`` of ``z = x - shift`` (unweighted), one pass.

    A shift near the mean (the first row will do) keeps the variance
    ``sum z**2 - (sum z)**2 / n`` free of cancellation. Returns None when some value is
    not finite (or a square overflows), or when the kernels are not available for this
    input.
    """
    if not _readable(X, _MOMENT_DTYPES):
        return None
    n, d = X.shape
    shift = np.ascontiguousarray(shift, dtype=np.float64)

    def run(a, b):
        s1, s2 = np.zeros(d), np.zeros(d)
        return _sums.moment_sums(X[a:b], shift, s1, s2), s1, s2

    parts = _map_chunks(run, _row_chunks(n, d, n_threads))
    if any(bad != -1 for bad, _, _ in parts):
        return None
    return sum(p[1] for p in parts), sum(p[2] for p in parts)
