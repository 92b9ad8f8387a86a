"""What the families without finite statistics share: their statistics (the weighted
data, no copy per component), weighted passes over them through the engine, and the
safeguarded Newton solve of a decreasing one-dimensional equation."""

from __future__ import annotations

import numpy as np

from .._engine.blocks import map_reduce
from .._engine.rules import DomainError
from ._stats import DataStats, total_weight

__all__ = ["column_range", "data_stats", "newton_decreasing", "total_weight_or_raise",
           "unit_broadcast", "weighted_rows"]

_MAX_LOG_STEP = 3.0  # largest Newton step in log-parameter space (a factor of ~20)


def newton_decreasing(fun, t0, lo, hi, tol, max_iter):
    """Roots of decreasing functions ``h(t)``, one per column, by safeguarded Newton.

    ``fun(t)`` returns ``(h, dh)`` (arrays of the shape of ``t``), one evaluation per
    iteration for all columns. The bracket ``[lo, hi]`` is narrowed with the sign of
    ``h``; a step that leaves it or points uphill becomes a bisection (or a bounded
    step while one side is infinite). Stops when every step is below ``tol``.

    Returns
    -------
    t : ndarray
    converged : ndarray of bool
    n_iter : int
    """
    t = np.array(t0, dtype=float)
    lo = np.array(np.broadcast_to(lo, t.shape), dtype=float)
    hi = np.array(np.broadcast_to(hi, t.shape), dtype=float)
    t = np.clip(t, np.nextafter(lo, np.inf), np.nextafter(hi, -np.inf))
    active = np.ones(t.shape, dtype=bool)
    converged = np.zeros(t.shape, dtype=bool)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007
        with np.errstate(all="ignore"):
            h, dh = fun(t)
            h = np.where(np.isnan(h), -np.inf, h)  # undefined: treat as past the root
            lo = np.where(active & (h > 0), t, lo)
            hi = np.where(active & (h < 0), t, hi)
            step = -h / dh
            ok = np.isfinite(step) & (dh < 0)
            step = np.clip(np.where(ok, step, np.sign(h) * _MAX_LOG_STEP), -_MAX_LOG_STEP,
                           _MAX_LOG_STEP)
            small = ok & (np.abs(step) <= tol)  # converged: take the last tiny step
            new = t + step
            outside = ~small & ((new < lo) | (new > hi))
            both = np.isfinite(lo) & np.isfinite(hi)
            new = np.where(outside & both, 0.5 * (lo + hi), new)
            new = np.where(outside & ~both & (h > 0), t + _MAX_LOG_STEP, new)
            new = np.where(outside & ~both & (h < 0), t - _MAX_LOG_STEP, new)
            done = active & ((h == 0) | small | (hi - lo <= tol))
        t = np.where(active & ~(h == 0), new, t)
        converged |= done
        active &= ~done
        if not active.any():
            break
    return t, converged, n_iter


def unit_broadcast(w):
    """The broadcast ones of an unweighted fit (O(1); other weights are used as given).

    Only a NumPy array can be the broadcast ones: a Dask array of weights (a Dask fit
    keeps one weight per row on the cluster) has no strides, and ``w[0] == 1.0`` on
    it would be a lazy value (computing it would read a chunk), so it is never unit.
    """
    strides = getattr(w, "strides", None)
    return (isinstance(w, np.ndarray) and strides is not None and w.ndim == 1
            and w.size > 0 and strides[0] == 0 and bool(w[0] == 1.0))


def weighted_rows(stats, fn, wscale=1.0, combine=None):
    """``map_reduce`` of ``fn(x_block_float64, w_block)`` over the statistics' rows
    with the weights multiplied by ``wscale`` (``w_block`` None: unit weights, whose
    array result is multiplied by ``wscale`` after the sum instead)."""
    w = stats.w
    unit = unit_broadcast(w)

    def block(xb, wb):
        if wb is not None and wscale != 1.0:
            wb = wb * wscale
        return fn(xb.astype(np.float64, copy=False), wb)

    out = map_reduce(block, stats.x, None if unit else w, combine=combine, limit_blas=True)
    if unit and wscale != 1.0 and isinstance(out, np.ndarray):
        out = out * wscale
    return out


def data_stats(family, X, weights, checked):
    """:class:`DataStats` of ``X``: weights (n, k) give k of them sharing ``X``."""
    X = np.asarray(X)
    if not checked:
        family.check(X)
    if weights is None:
        weights = np.broadcast_to(1.0, (X.shape[0],))
    weights = np.asarray(weights, dtype=np.float64)
    d = X.shape[1]
    if weights.ndim == 1:
        return family.make_stats(DataStats, x=X, w=weights,
                                 weight=np.full(d, total_weight(weights)))
    return tuple(family.make_stats(DataStats, x=X, w=weights[:, j],
                                   weight=np.full(d, total_weight(weights[:, j])))
                 for j in range(weights.shape[1]))


def total_weight_or_raise(stats, what):
    """The statistics' total weight; :class:`DomainError` where no estimate exists."""
    n = float(np.max(stats.weight)) if np.size(stats.weight) else 0.0
    if not n > 0:
        raise DomainError(f"the weights sum to zero, so there are no data to estimate {what} "
                          "from")
    if not np.isfinite(1.0 / n) or not np.isfinite(n):
        raise DomainError(f"the weights sum to {n!r}, outside the range a fit can compute "
                          "with; rescale the sample weights")
    return n


def column_range(x, w=None):
    """Per column, the smallest and the largest value of the statistics' rows of
    positive weight (all rows when ``w`` is None or unit), in float64 (one pass of two
    reductions through the engine: in memory or on Dask).

    A row of weight 0 is not data: a constant column with one zero-weight outlier is
    still constant, and the outlier must not set a shift or a scale.
    """
    def block(xb, wb=None):
        if wb is None:
            return np.array([xb.min(axis=0), xb.max(axis=0)], dtype=np.float64)
        xb = xb.astype(np.float64, copy=False)
        keep = (wb > 0)[:, None]
        return np.array([np.where(keep, xb, np.inf).min(axis=0),
                         np.where(keep, xb, -np.inf).max(axis=0)])

    def combine(a, b):
        return np.array([np.minimum(a[0], b[0]), np.maximum(a[1], b[1])])

    if w is None or unit_broadcast(w):
        lo, hi = map_reduce(block, x, combine=combine)
    else:
        lo, hi = map_reduce(block, x, w, combine=combine)
    return lo, hi
