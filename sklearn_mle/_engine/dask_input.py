"""Validation of Dask input that every estimator shares, without gathering the data.

:func:`check_dask_X` does what ``validate_data`` does on the metadata (shape, dtype,
``n_features_in_``, ``feature_names_in_`` of a Dask DataFrame) and leaves the values
to the one pass over the chunks (:func:`check_weight_block` and the families' rules
run inside it, and the Dask backend counts a bad row in the whole array).
:class:`DaskDataStats` are the statistics of the families without finite statistics
when the data are a Dask array: they keep a reference to the array (as the in-memory
statistics keep the data), so each Newton pass is one reduction on the cluster.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import _check_feature_names, _check_n_features

from ..families._stats import DataStats
from .dask import RowError, as_dask_rows, is_dask

__all__ = ["DaskDataStats", "check_dask_X", "check_dask_weights", "check_weight_block",
           "dask_family", "dask_family_stats", "dask_sample", "dask_weighted_stats",
           "lazy_rows"]


def check_dask_X(estimator, X, *, reset: bool, dtypes=(np.float64, np.float32),
                 min_samples: int = 1):
    """``validate_data`` for a Dask array or DataFrame, on its metadata only.

    Sets (``reset``) or checks ``n_features_in_`` and ``feature_names_in_``; returns
    a Dask array with one chunk across the columns, in one of ``dtypes`` (a lazy
    cast to ``dtypes[0]`` otherwise). The values are checked in the fit's pass.
    """
    import pandas as pd

    owner = type(estimator).__name__
    if hasattr(X, "columns"):  # a Dask DataFrame: its column names, then its values
        bad = [c for c, t in X.dtypes.items() if t.kind not in "biuf"]
        if bad:
            raise ValueError(f"{owner}: Dask DataFrame column {bad[0]!r} is not numeric "
                             f"({X.dtypes[bad[0]]}); convert it to numbers first")
        _check_feature_names(estimator, pd.DataFrame(columns=X.columns), reset=reset)
        X = as_dask_rows(X)
    else:
        _check_feature_names(estimator, None, reset=reset)
        X = as_dask_rows(X)
    if X.ndim != 2:
        raise ValueError(
            f"Expected 2D array, got {X.ndim}D array instead: reshape your data either "
            "using X.reshape(-1, 1) if your data has a single feature or X.reshape(1, -1) "
            "if it contains a single sample."
        )
    if X.dtype.kind == "c":
        raise ValueError("Complex data not supported")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{owner}: a Dask array of dtype {X.dtype} cannot be fitted; "
                         "convert it to numbers first")
    if X.shape[0] < min_samples:
        raise ValueError(f"Found array with {X.shape[0]} sample(s) (shape={X.shape}) while a "
                         f"minimum of {min_samples} is required by {owner}.")
    if X.shape[1] < 1:
        raise ValueError(f"Found array with 0 feature(s) (shape={X.shape}) while a minimum "
                         f"of 1 is required by {owner}.")
    _check_n_features(estimator, np.empty((0, X.shape[1])), reset=reset)
    if X.dtype not in [np.dtype(d) for d in dtypes]:
        X = X.astype(dtypes[0])
    return X


def check_dask_weights(sample_weight, X, owner: str | None = None):
    """Sample weights for a Dask fit: None gives the broadcast ones (O(1), shipped to
    the workers as one value); a NumPy or Dask array of one weight per row, whose
    values are checked in the fit's pass (:func:`check_weight_block`)."""
    n = X.shape[0]
    if sample_weight is None:
        return np.broadcast_to(np.asarray(1.0), (n,))
    prefix = f"{owner}: " if owner else ""
    if is_dask(sample_weight):
        w = as_dask_rows(sample_weight)
        if w.dtype.kind not in "biuf":
            raise ValueError(f"{prefix}sample_weight must be numbers, got dtype {w.dtype}")
        w = w.astype(np.float64)
    else:
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.ndim == 0:
            w = np.full(n, float(w))
    if w.ndim != 1:
        raise ValueError(f"{prefix}sample_weight must be 1D array or scalar")
    if w.shape[0] != n:
        raise ValueError(f"sample_weight.shape == ({w.shape[0]},), expected ({n},)!")
    return w


def check_weight_block(wb, owner: str | None = None):
    """The weight rules of :func:`~sklearn_mle._engine.weights.check_sample_weight` on
    one chunk (:class:`RowError`: the Dask backend counts the row in the whole array)."""
    if wb is None or (wb.ndim == 1 and wb.size and wb.strides[0] == 0):
        return
    prefix = f"{owner}: " if owner else ""
    finite = np.isfinite(wb)
    if not finite.all():
        i = int(np.flatnonzero(~finite)[0])
        raise RowError(prefix + "sample_weight must be finite: row {row} has weight "
                       + repr(wb[i]).replace("{", "{{").replace("}", "}}"), i)
    negative = wb < 0
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        raise RowError(prefix + "sample_weight must be non-negative: row {row} has weight "
                       + repr(float(wb[i])), i)


class DaskDataStats(DataStats):
    """:class:`~sklearn_mle.families._stats.DataStats` whose ``x`` (and ``w``) are Dask
    arrays: the families' passes over them go through the Dask backend."""

    __slots__ = ()

    def __init__(self, family=None, constants=(), **fields):
        object.__setattr__(self, "_family", family)
        object.__setattr__(self, "_constants", tuple(constants))
        object.__setattr__(self, "_fields", {k: v if is_dask(v) or k in ("x", "w")
                                             else np.asarray(v) for k, v in fields.items()})

    def _combine(self, other):
        import dask.array as da

        return {"x": da.concatenate([as_dask_rows(self.x), as_dask_rows(other.x)]),
                "w": da.concatenate([da.asarray(self.w), da.asarray(other.w)]),
                "weight": self.weight + other.weight}


def dask_weighted_stats(family, X, W, totals):
    """The k statistics of a family without finite statistics that share the Dask rows
    ``X``: column j of the lazy (n, k) weights ``W`` (responsibilities times sample
    weights) and its total ``totals[j]``. Nothing is computed here: each pass of the
    family's Newton over them computes the weights of a chunk where the chunk lives
    (the mixture's E-step, redone per pass instead of kept: the data may exceed the
    cluster's memory)."""
    d = X.shape[1]
    return tuple(family.make_stats(DaskDataStats, x=X, w=W[:, j],
                                   weight=np.full(d, float(totals[j])))
                 for j in range(W.shape[1]))


def dask_sample(X, w, max_rows: int):
    """Every ``step``-th row of a Dask array (and its weights), lazily: the strided
    sample of at most ``max_rows`` rows that the in-memory fit takes."""
    n = X.shape[0]
    if n <= max_rows:
        return X, w
    step = -(-n // max_rows)
    return X[::step], w[::step]


def dask_family_stats(family, X, w, *, check_finite: bool, sample_rows: int,
                      owner: str | None = None):
    """A family's statistics of a Dask array in one pass over its chunks.

    Each chunk checks its weights (:func:`check_weight_block`), NaN/inf where
    ``check_finite`` (the family's statistics check them otherwise) and the
    family's rules (in its ``stats``), and returns its statistics; they are added
    in a tree on the cluster. Families without finite statistics return
    :class:`DaskDataStats` (a reference to the array, the total weight reduced).
    The strided sample of at most ``sample_rows`` rows (the novelty threshold's, every
    ``step``-th row as in memory) is taken in the same tasks.

    Returns
    -------
    stats, (X_sample, w_sample) as NumPy arrays
    """
    from .dask import ROW_START, dask_map_reduce
    from .rules import NONFINITE, raise_first

    finite = family.finite_stats
    n = X.shape[0]
    # the sample's rows, X[::step] as in memory, taken inside each chunk's own task (a
    # lazy X[::step] adds a slicing task per chunk to the pass)
    step = -(-n // sample_rows) if n > sample_rows else 1
    w_rows = is_dask(w)

    def chunk(xb, wb, start):
        check_weight_block(wb)
        if check_finite:
            bad = ~np.isfinite(xb)
            if bad.any():
                raise_first(xb, bad, NONFINITE)
        s = family.stats(xb, wb)
        first = (-start) % step
        sample = [(np.array(xb[first::step]), np.array(wb[first::step]) if w_rows else None)]
        return (s if finite else np.asarray(s.weight, dtype=np.float64)), sample

    order = (NONFINITE, *(rule for rule, _ in family.rules))
    out, sample = dask_map_reduce(chunk, X, (w, ROW_START), rule_order=order)
    xs = np.concatenate([a for a, _ in sample])
    ws = np.concatenate([b for _, b in sample]) if w_rows else np.asarray(w)[::step]
    total = float(np.max(out if not finite else out.weight))
    if not total > 0:  # as check_sample_weight in memory (unit weights never get here)
        raise ValueError(f"{owner + ': ' if owner else ''}sample_weight: the weights sum to "
                         "zero; at least one row needs a positive weight")
    if finite:
        return out, (xs, ws)
    return family.make_stats(DaskDataStats, x=X, w=w, weight=out), (xs, ws)


def dask_family(make_family, X, w):
    """The family of a Dask fit: ``make_family(None, None)`` (the estimator's
    settings), or where the settings come from the data (Binomial's
    ``n_trials=None``) each chunk's family, merged: the largest ``trials``."""
    try:
        return make_family(None, None)
    except (AttributeError, TypeError):
        pass
    from .dask import dask_map_reduce

    fams = dask_map_reduce(lambda xb, wb: [make_family(xb, wb)], X, (w,))
    if all(f == fams[0] for f in fams):
        return fams[0]
    d = X.shape[1]
    return type(fams[0])(np.max([f.trials(d) for f in fams], axis=0))


def lazy_rows(fn, X, check=None, trailing=()):
    """``fn`` of each chunk of a validated Dask array, as a lazy Dask array (one output
    row per input row, of shape ``trailing``); ``check(chunk)`` first where given."""
    from .dask import dask_map_blocks

    def block(xb):
        if check is not None:
            check(xb)
        return fn(xb)

    dtype = np.asarray(fn(np.ones((1, X.shape[1]), dtype=X.dtype))).dtype
    return dask_map_blocks(block, X, trailing=trailing, dtype=dtype)
