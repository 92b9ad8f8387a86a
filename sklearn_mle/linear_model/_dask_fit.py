"""The GLM estimators on Dask data: input checks, the fit, lazy predictions.

The glue between the estimators (``_base``, ``_logistic``, ``_poisson``) and the
exact Newton of :mod:`._dask`. The data stay on the cluster: the values are checked
in one pass (X finite, the response's domain, the weights, offset and exposure:
reductions computed together), the labels are encoded chunk by chunk, and the fit
is :func:`~._dask.dask_newton` (one reduction per iteration). Predictions are lazy
Dask arrays (:func:`~sklearn_mle._engine.dask_input.lazy_rows`).

Refused on Dask (a clear ``ValueError`` naming the remedy): robust covariances
(``cov_type`` other than ``"nonrobust"``: they need per-row scores), non-logit
links, the separation diagnosis (``on_separation="raise"``: the LP needs the rows on
one machine), profile intervals and the bootstrap (many refits).
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np

from .._engine.dask import RowMap, as_dask_rows, is_dask
from ._dask import dask_newton
from ._diagnostics import aliased_columns, aliased_message

__all__ = ["DaskFitInput", "DaskProblem", "aligned_rows", "dask_fit_input", "dask_glm_solve",
           "dask_offset", "eta_rows", "label_targets", "map_rows", "refuse_on_dask"]

_SAMPLE_REMEDY = "compute the data (X.compute()) or a sample of it first"


class DaskProblem:
    """What ``_set_glm_inference`` reads of a problem: no L1 weights on Dask."""

    def __init__(self, shape):
        self.shape = shape

    def l1_weights(self):
        return np.zeros(self.shape)


class DaskFitInput:
    """Validated Dask fit input: ``X`` (Dask), ``y`` (Dask, 1-d), ``w`` (NumPy
    broadcast ones, NumPy or Dask), ``offset`` (Dask or None), ``total_weight``,
    ``classes`` (labels) or None."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


def refuse_on_dask(owner, what, why="", remedy=_SAMPLE_REMEDY):
    """Raise the ValueError of a feature not available on Dask data, with the remedy."""
    raise ValueError(f"{owner}: {what} is not available on Dask data{why}; {remedy}")


def aligned_rows(a, X, name):
    """A row array (NumPy or Dask) as a 1-d Dask array with X's row chunks."""
    import dask.array as da

    if is_dask(a):
        a = as_dask_rows(a)
    else:
        a = np.asarray(a)
        if a.ndim == 2 and a.shape[1] == 1:
            a = a[:, 0]
        if a.ndim == 1 and a.shape[0] == X.shape[0]:
            a = da.from_array(a, chunks=(X.chunks[0],))
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.shape != (X.shape[0],):
        raise ValueError(f"{name} must have shape ({X.shape[0]},) to match the "
                         f"{X.shape[0]} rows of X, got shape {a.shape}")
    return a


def dask_fit_input(est, X, y, sample_weight=None, offset=None, exposure=None, *,
                   labels: bool):
    """Check a Dask fit's input in one pass (reductions computed together).

    ``labels``: ``y`` holds class labels (their sorted unique values are returned in
    ``classes``); else counts (non-negative, as ``Poisson.check_y``).
    """
    import dask.array as da
    from sklearn.utils import check_array

    from .._engine import check_sample_weight
    from .._engine.dask import dask_map_reduce
    from .._engine.dask_input import check_dask_weights, check_dask_X

    owner = type(est).__name__
    X = check_dask_X(est, X, reset=True)
    y = aligned_rows(y, X, f"{owner}: y")
    w = check_dask_weights(sample_weight, X, owner=owner)
    if not labels:
        y = y.astype(np.float64)
    off_parts, arrays = [], [y, w if is_dask(w) else None]
    if offset is not None:
        off_parts.append(aligned_rows(offset, X, "offset"))
    if exposure is not None:
        off_parts.append(aligned_rows(exposure, X, "exposure"))
    arrays += [off_parts[0] if offset is not None else None,
               off_parts[-1] if exposure is not None else None]
    # every check in one task per chunk (a reduction of Dask expressions such as
    # da.unique and isfinite().all() costs 2-3 tasks per chunk)
    got = dask_map_reduce(partial(_check_chunk, labels), X, arrays, combine=_merge_checks)
    if not got["finite"]:  # sklearn's message, from the first row with NaN/inf
        i = int(da.argmin(da.isfinite(X).all(axis=1)).compute())
        check_array(X[i:i + 1].compute(), input_name="X", estimator=est)
    if not labels and got["y_bad"]:
        i = int(da.argmax(~(y >= 0)).compute())
        raise ValueError(
            f"{owner}: y has value {float(y[i].compute())!r} at row {i}; Poisson counts must "
            "be non-negative (non-integer values are allowed as a quasi-likelihood, as in "
            "statsmodels and scikit-learn)")
    if is_dask(w):
        if not got["w_finite"]:
            raise ValueError(f"{owner}: sample_weight must be finite")
        if got["w_min"] < 0:
            raise ValueError(f"{owner}: sample_weight must be non-negative")
        total = float(got["w_sum"])
    elif w.ndim == 1 and w.size and w.strides[0] == 0:  # unit weights
        total = float(X.shape[0])
    else:
        w = check_sample_weight(w, np.empty((X.shape[0], 0)), owner=owner)
        total = float(np.sum(w))
    if not total > 0:
        raise ValueError(f"{owner}: sample_weight: the weights sum to zero; at least one "
                         "row needs a positive weight")
    if offset is not None and not got["off_finite"]:
        raise ValueError(f"offset must be a finite array of length {X.shape[0]}")
    if exposure is not None and not got["ex_ok"]:
        raise ValueError(f"exposure must be a finite positive array of length {X.shape[0]}")
    # the offset of the fit's passes: built inside each pass's chunk task (RowMap), not
    # by Dask tasks of its own recomputed at every pass
    off = None
    if off_parts:
        off = RowMap(partial(_offset_rows, offset is not None, exposure is not None),
                     *off_parts)
    return DaskFitInput(X=X, y=y, w=w, offset=off, total_weight=total,
                        classes=np.asarray(got["classes"]) if labels else None)


def _check_chunk(labels, xb, yb, wb, ob, eb):
    """The values' checks of one chunk (what ``dask_fit_input`` reports)."""
    out = {"finite": bool(np.isfinite(xb).all())}
    if labels:
        out["classes"] = np.unique(yb)
    else:
        out["y_bad"] = bool((~(np.asarray(yb, dtype=np.float64) >= 0)).any())
    if wb is not None:
        wb = np.asarray(wb, dtype=np.float64)
        out.update(w_finite=bool(np.isfinite(wb).all()),
                   w_min=float(wb.min()) if wb.size else np.inf, w_sum=float(wb.sum()))
    if ob is not None:
        out["off_finite"] = bool(np.isfinite(np.asarray(ob, dtype=np.float64)).all())
    if eb is not None:
        eb = np.asarray(eb, dtype=np.float64)
        out["ex_ok"] = bool((np.isfinite(eb) & (eb > 0)).all())
    return out


_ALL = ("finite", "w_finite", "off_finite", "ex_ok")


def _merge_checks(a, b):
    out = {}
    for key, value in a.items():
        other = b[key]
        if key in _ALL:
            out[key] = value and other
        elif key == "y_bad":
            out[key] = value or other
        elif key == "classes":
            out[key] = np.union1d(value, other)
        elif key == "w_min":
            out[key] = min(value, other)
        else:  # w_sum
            out[key] = value + other
    return out


def encode_labels(y, classes, w):
    """Per-chunk codes of ``y`` in ``classes``, and the classes with positive weight
    (one reduction, only with non-unit weights)."""
    import dask.array as da

    codes = y.map_blocks(partial(_codes_block, classes), dtype=np.intp)
    if not is_dask(w) and w.ndim == 1 and w.size and w.strides[0] == 0:
        return codes, np.arange(len(classes))
    wd = (as_dask_rows(w) if is_dask(w) else da.from_array(w)).rechunk((codes.chunks[0],))
    counts = da.bincount(codes, weights=wd, minlength=len(classes)).compute()
    return codes, np.flatnonzero(counts > 0)


# module-level chunk functions (not closures): the fitted estimator keeps the Dask
# arrays built with them (for LL-Null), and must pickle with the standard pickle
def _codes_block(classes, b):
    return np.searchsorted(classes, b)


def _one_hot_block(K, b):
    return np.eye(K)[b]


def _label_block(classes, b):
    """The Newton's response of a chunk of labels: the code as a float (two classes),
    else the one-hot rows."""
    codes = np.searchsorted(classes, b)
    return codes.astype(np.float64) if len(classes) == 2 else np.eye(len(classes))[codes]


def _offset_rows(with_offset, with_exposure, *parts):
    """A chunk's offset: ``offset + log(exposure)`` (either may be absent)."""
    parts = list(parts)
    out = np.asarray(parts.pop(0), dtype=np.float64) if with_offset else None
    if with_exposure:
        ex = np.log(np.asarray(parts.pop(0), dtype=np.float64))
        out = ex if out is None else out + ex
    return out


def label_targets(y, classes):
    """The Newton's response from the Dask labels ``y``, encoded inside each pass's
    chunk task (:class:`~sklearn_mle._engine.dask.RowMap`): float codes for two
    classes, one-hot rows for more."""
    return RowMap(partial(_label_block, np.asarray(classes)), y)


def _offset_block(name, positive, n, b):
    b = np.asarray(b, dtype=float)
    if not np.all(np.isfinite(b)) or (positive and np.any(b <= 0)):
        kind = "finite positive" if positive else "finite"
        raise ValueError(f"{name} must be a {kind} array of length {n}")
    return np.log(b) if positive else b


def one_hot(codes, K):
    """The one-hot ``(n, K)`` Dask array of integer ``codes``, chunk by chunk."""
    return codes.map_blocks(partial(_one_hot_block, K), new_axis=1,
                            chunks=(codes.chunks[0], (K,)),
                            dtype=np.float64)


def dask_glm_solve(owner, X, Y, w, offset, family, *, names, fit_intercept, max_iter,
                   prior, intercept_prior):
    """The exact Newton on Dask data, with the in-memory aliasing check at the end."""
    res = dask_newton(family, X, Y, w, offset, fit_intercept=fit_intercept,
                      max_iter=max_iter, prior=prior, intercept_prior=intercept_prior)
    p = res.theta.shape[1]
    # as in memory: a proper prior on the coefficients identifies them (no check then)
    if prior is None:
        aliased = aliased_columns(res.information[:p, :p], names)
        if aliased:
            raise ValueError(aliased_message(owner, aliased, ""))
    return res


def null_loglik(X, Y, w, offset, family, start):
    """The intercept-only model's log-likelihood (statsmodels' ``llnull``) on Dask,
    by Newton from ``start`` (m, 1): the full fit's intercepts, near the null's
    optimum with an offset (dask_newton's own start is 0 then)."""
    return float(dask_newton(family, X[:, :0], Y, w, offset, fit_intercept=True,
                             theta0=start).loglik)


def dask_offset(offset, exposure, n):
    """A lazy offset from ``offset`` and ``log(exposure)`` (Dask or NumPy), each chunk
    checked when computed."""
    import dask.array as da

    def part(a, name, positive):
        a = as_dask_rows(a) if is_dask(a) else da.from_array(np.asarray(a, dtype=float))
        a = a.reshape(-1) if a.ndim == 2 and a.shape[1] == 1 else a
        if a.shape != (n,):
            raise ValueError(f"{name} must be a finite array of length {n}")

        return a.map_blocks(partial(_offset_block, name, positive, n), dtype=np.float64)

    out = None
    if offset is not None:
        out = part(offset, "offset", False)
    if exposure is not None:
        ex = part(exposure, "exposure", True)
        out = ex if out is None else out + ex
    return out


def dask_loglik(loglik_rows, est, X, y, sample_weight, kwargs):
    """The weighted sum of ``loglik_rows(X_chunk, y_chunk, **kwargs_chunks)`` over the
    chunks of a Dask array: one reduction (the in-memory per-row function)."""
    from .._engine.dask import dask_map_reduce
    from .._engine.dask_input import check_dask_weights, check_dask_X, check_weight_block

    owner = type(est).__name__
    X = check_dask_X(est, X, reset=False)
    w = check_dask_weights(sample_weight, X, owner=owner)
    keys = [k for k, v in kwargs.items() if v is not None]
    rows = [aligned_rows(y, X, f"{owner}: y")] + [aligned_rows(kwargs[k], X, k) for k in keys]

    def chunk(xb, wb, yb, *kb):
        check_weight_block(wb, owner)
        with warnings.catch_warnings():
            # the feature names were checked on the metadata (check_dask_X)
            warnings.filterwarnings("ignore", "X does not have valid feature names")
            rows = loglik_rows(xb, yb, **dict(zip(keys, kb, strict=True)))
        return float(np.asarray(wb, dtype=np.float64) @ rows)

    return float(dask_map_reduce(chunk, X, (w, *rows)))


def eta_rows(est, X, theta, fit_intercept):
    """The lazy linear predictor ``(n, m)`` of a Dask array, each chunk checked."""
    from sklearn.utils import check_array

    from .._engine.dask_input import check_dask_X, lazy_rows

    X = check_dask_X(est, X, reset=False)
    coef = theta[:, 1:] if fit_intercept else theta
    b = theta[:, 0] if fit_intercept else np.zeros(theta.shape[0])

    def fn(xb):
        xb = np.asarray(xb, dtype=np.float64)
        return xb @ coef.T + b

    return lazy_rows(fn, X, check=lambda xb: check_array(xb, input_name="X", estimator=est),
                     trailing=(theta.shape[0],))


def add_offset(eta, off):
    """``eta`` (n, m) plus a 1-d offset, with the offset's chunks aligned to ``eta``'s."""
    import dask.array as da

    if off is None:
        return eta
    off = off if is_dask(off) else da.from_array(np.asarray(off, dtype=np.float64))
    return eta + off.rechunk((eta.chunks[0],))[:, None]


def map_rows(a, fn, trailing=(), dtype=np.float64):
    """``fn`` of a NumPy array, or chunk by chunk (lazily) of a 2-d Dask array, whose
    output rows have shape ``trailing`` (``()``: one value per row)."""
    if not is_dask(a):
        return fn(a)
    if not trailing:
        return a.map_blocks(fn, drop_axis=1, chunks=(a.chunks[0],), dtype=dtype)
    return a.map_blocks(fn, chunks=(a.chunks[0], tuple(trailing)), dtype=dtype)
