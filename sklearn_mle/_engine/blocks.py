"""``map_reduce``: the one place where rows are split into blocks and run in threads.

Every pass over the rows of the package (a family's statistics, a GLM's objective,
gradient and Hessian, a mixture's E-step) is written as a function of one block of
rows, ``fn(X_block, *row_array_blocks) -> partial``, and handed to :func:`map_reduce`,
which sums the partials. ``partial`` may be anything that adds: a number, an array, a
family's statistics, or a tuple of those (added element by element).

Backends, chosen from the type of ``X``:

- NumPy arrays (and anything row-sliceable): blocks of about ``BLOCK_ELEMENTS``
  elements, run serially or over a per-process thread pool. The block boundaries
  depend only on the shape (not on the number of threads), and the partials are
  summed in block order, so a result does not depend on ``n_jobs``.
- Dask arrays (and DataFrames): the Dask backend (:mod:`sklearn_mle._engine.dask`),
  which maps ``fn`` over the array's row chunks and tree-reduces the sums on the
  cluster (the active ``distributed.Client``, else Dask's default scheduler);
  :func:`map_blocks` returns a lazy Dask array there. Dask is imported only then.

Threading policy (:func:`effective_threads`): ``n_jobs`` has scikit-learn's meaning
(None: as many threads as the process may use, -1: all cores); the count is capped by
the cores this process may run on, by an enclosing joblib parallel section
(``GridSearchCV(n_jobs=2)`` on 2 cores gives one thread per fit, never 2 x 2), by
``threadpoolctl`` limits on BLAS (``threadpool_limits(1)`` gives one thread), and is 1
inside a worker of this pool (no nested pools). While several threads run
BLAS-heavy blocks, BLAS is limited to one thread (``limit_blas=True``).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from functools import reduce

import numpy as np

__all__ = ["BLOCK_ELEMENTS", "effective_threads", "map_blocks", "map_reduce",
           "map_reduce_ranges", "row_blocks"]

# ~2 MiB of float64 per block: large enough that Python's per-block cost (a few
# microseconds) is noise, small enough that a block's temporaries stay in cache
BLOCK_ELEMENTS = 1 << 18

try:
    _CORES = max(1, len(os.sched_getaffinity(0)))
except AttributeError:  # pragma: no cover - not on Linux
    _CORES = max(1, os.cpu_count() or 1)

_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None
_pool_size = 0
_in_worker = threading.local()
_blas = None  # cached threadpoolctl controller (scanning the libraries costs ~4 ms)


def _blas_controller():
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController()
    return _blas


def _blas_thread_cap() -> int:
    """The smallest BLAS thread count in force (a ``threadpool_limits`` by the user,
    or the environment limit that joblib sets in its worker processes)."""
    caps = [lib.num_threads for lib in _blas_controller().lib_controllers
            if lib.user_api == "blas"]
    return max(1, min(caps)) if caps else _CORES


def _joblib_nested() -> bool:
    """True inside a worker of an enclosing joblib ``Parallel`` (GridSearchCV(n_jobs=2),
    cross_val_score(n_jobs=...)): that level already uses the cores."""
    try:
        from joblib.parallel import get_active_backend
    except ImportError:  # pragma: no cover - joblib ships with scikit-learn
        return False
    backend, _ = get_active_backend()
    return getattr(backend, "nesting_level", 0) > 0


def effective_threads(n_jobs: int | None = None) -> int:
    """Threads a ``map_reduce`` may use for ``n_jobs`` (scikit-learn's meaning).

    Parameters
    ----------
    n_jobs : int or None
        None: as many as allowed; -1: all cores; -2: all but one; k > 0: at most k.

    Returns
    -------
    int
        At least 1; 1 inside a worker of this pool or of an enclosing joblib section.

    Examples
    --------
    >>> from sklearn_mle._engine import effective_threads
    >>> effective_threads(1)
    1
    """
    if n_jobs == 1 or getattr(_in_worker, "active", False) or _joblib_nested():
        return 1  # (n_jobs=1 first: the joblib lookup costs ~20 us per pass)
    if n_jobs is None:
        wanted = _CORES
    elif n_jobs < 0:
        wanted = max(1, _CORES + 1 + int(n_jobs))
    elif n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None, -1 or a positive count")
    else:
        wanted = int(n_jobs)
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:  # set by joblib in its worker processes
        wanted = min(wanted, int(env))
    wanted = min(wanted, _CORES)
    if wanted > 1:
        wanted = min(wanted, _blas_thread_cap())
    return max(1, wanted)


def row_blocks(n_rows: int, n_cols: int = 1, block_rows: int | None = None) -> list[slice]:
    """The row blocks of an ``(n_rows, n_cols)`` array: slices in order.

    They depend only on the shape (and ``block_rows``), never on the thread count.
    """
    if block_rows is None:
        block_rows = max(1, BLOCK_ELEMENTS // max(int(n_cols), 1))
    block_rows = max(1, int(block_rows))
    return [slice(s, min(s + block_rows, n_rows)) for s in range(0, n_rows, block_rows)] or [
        slice(0, 0)
    ]


def _add(a, b):
    if a is None or b is None:
        return None
    if isinstance(a, tuple):
        return tuple(_add(x, y) for x, y in zip(a, b))
    return a + b


def _get_pool(threads: int) -> ThreadPoolExecutor:
    global _pool, _pool_pid, _pool_size
    # a forked child (multiprocessing) needs its own threads: its parent's are not there
    if _pool is None or _pool_pid != os.getpid() or _pool_size < threads:
        _pool = ThreadPoolExecutor(max(threads, _CORES), thread_name_prefix="sklearn_mle")
        _pool_pid, _pool_size = os.getpid(), max(threads, _CORES)
    return _pool


def _is_dask(X) -> bool:
    return type(X).__module__.split(".")[0] in ("dask", "dask_expr")


def _dask_map_reduce(fn, X, row_arrays, combine):
    """The Dask backend (:mod:`sklearn_mle._engine.dask`, imported only here): ``fn``
    over the row chunks, the partials tree-reduced on the cluster."""
    from .dask import dask_map_reduce

    return dask_map_reduce(fn, X, row_arrays, combine)


def _dask_map_blocks(fn, X, row_arrays):
    """A lazy Dask array of ``fn`` over the row chunks (:mod:`sklearn_mle._engine.dask`)."""
    from .dask import dask_map_blocks

    return dask_map_blocks(fn, X, row_arrays)


def map_reduce(fn, X, *row_arrays, n_jobs: int | None = None, block_rows: int | None = None,
               combine=None, limit_blas: bool = False):
    """Apply ``fn`` to row blocks of ``X`` (and of ``row_arrays``) and sum the results.

    Parameters
    ----------
    fn : callable
        ``fn(X_block, *row_array_blocks) -> partial``. ``partial`` adds with ``+``
        (numbers, arrays, statistics) or is a tuple of such values (added element
        by element). A block may return None (a compiled kernel that declines its
        input): the whole result is then None.
    X : array of shape (n_samples, ...)
        The rows. A Dask array takes the Dask backend.
    *row_arrays : arrays of shape (n_samples, ...) or None
        Sliced with the same rows (sample weights, offsets, responsibilities);
        None passes through as None.
    n_jobs : int or None, default=None
        Threads, scikit-learn's meaning (see :func:`effective_threads`).
    block_rows : int or None, default=None
        Rows per block (None: about ``BLOCK_ELEMENTS`` elements per block).
    combine : callable or None, default=None
        ``combine(a, b)`` instead of ``+`` (e.g. a maximum).
    limit_blas : bool, default=False
        Limit BLAS to one thread while several blocks run at once (for blocks that
        call matrix products), so the two levels of threads do not oversubscribe.

    Returns
    -------
    partial
        The sum of the block results, in block order.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle._engine import map_reduce
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> map_reduce(lambda xb, wb: wb @ xb, X, np.ones(6), block_rows=4).tolist()
    [30.0, 36.0]
    """
    if _is_dask(X):
        return _dask_map_reduce(fn, X, row_arrays, combine)

    def run(sl):
        return fn(X[sl], *(None if a is None else a[sl] for a in row_arrays))

    n_cols = int(np.prod(X.shape[1:], dtype=np.int64)) or 1
    return _run_blocks(run, row_blocks(X.shape[0], n_cols, block_rows), n_jobs, combine,
                       limit_blas)


def map_blocks(fn, X, *row_arrays, n_jobs: int | None = None, block_rows: int | None = None,
               limit_blas: bool = False):
    """Apply ``fn`` to row blocks of ``X`` and stack the results in row order.

    ``fn(X_block, *row_array_blocks)`` returns an array with one row per row of the
    block (a log-density per row, a row's responsibilities); the result has one row
    per row of ``X``. Same blocks and threads as :func:`map_reduce`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle._engine import map_blocks
    >>> map_blocks(lambda xb: xb.sum(axis=1), np.ones((5, 2)), block_rows=2).tolist()
    [2.0, 2.0, 2.0, 2.0, 2.0]
    """
    if _is_dask(X):
        return _dask_map_blocks(fn, X, row_arrays)
    n_cols = int(np.prod(X.shape[1:], dtype=np.int64)) or 1
    blocks = row_blocks(X.shape[0], n_cols, block_rows)

    def run(sl):
        return (fn(X[sl], *(None if a is None else a[sl] for a in row_arrays)),)

    parts = _run_blocks(run, blocks, n_jobs, lambda a, b: a + b, limit_blas)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def map_reduce_ranges(fn, n_rows: int, n_cols: int = 1, *, n_jobs: int | None = None,
                      combine=None, limit_blas: bool = False):
    """:func:`map_reduce` for code that slices its own arrays: ``fn(start, stop)``.

    The same blocks, threads and summation as :func:`map_reduce` over an
    ``(n_rows, n_cols)`` array (the compiled kernels take row ranges).

    Examples
    --------
    >>> from sklearn_mle._engine.blocks import map_reduce_ranges
    >>> map_reduce_ranges(lambda a, b: b - a, 10)
    10
    """
    return _run_blocks(lambda sl: fn(sl.start, sl.stop), row_blocks(n_rows, n_cols), n_jobs,
                       combine, limit_blas)


def _run_blocks(run, blocks, n_jobs, combine, limit_blas):
    threads = min(effective_threads(n_jobs), len(blocks)) if len(blocks) > 1 else 1
    if limit_blas and len(blocks) < 4 * threads:
        # a few BLAS-heavy blocks: BLAS's own threads inside one serial pass beat
        # single-threaded BLAS in our threads (X'X of 10^4 x 50: 0.77 ms against 0.94)
        threads = 1
    if threads <= 1:
        parts = [run(sl) for sl in blocks]
    else:
        parts = [None] * len(blocks)
        counter = iter(range(len(blocks)))
        lock = threading.Lock()

        def worker():
            # each thread takes the next block as it comes free, so a core slowed by
            # other work takes fewer blocks instead of holding up the result
            _in_worker.active = True
            try:
                while True:
                    with lock:
                        i = next(counter, None)
                    if i is None:
                        return
                    parts[i] = run(blocks[i])
            finally:
                _in_worker.active = False

        guard = (_blas_controller().limit(limits=1, user_api="blas") if limit_blas
                 else nullcontext())
        with guard:
            futures = [_get_pool(threads).submit(worker) for _ in range(threads)]
            for f in futures:
                f.result()  # re-raises a block's exception here
    if any(p is None for p in parts):
        return None
    return reduce(combine or _add, parts)
