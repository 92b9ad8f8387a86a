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
from ._dask import FitStart, dask_newton, warm_stride
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
    broadcast ones, NumPy or Dask), ``offset`` (a RowMap or None), ``total_weight``,
    ``classes`` and ``live`` (the codes of the classes with positive weight) for
    labels, else None, and ``start`` (the Newton's start, see ``dask_fit_input``)."""

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
    """Check a Dask fit's input in one pass, which also gathers the Newton's start.

    ``labels``: ``y`` holds class labels (their sorted unique values are returned in
    ``classes``, the classes with positive weight in ``live``); else counts
    (non-negative, as ``Poisson.check_y``). The same reduction (one task per chunk)
    returns what :func:`~._dask.dask_newton` would otherwise compute in a pass of its
    own (``start``, a :class:`FitStart`): the weight total, the weighted response sum
    (per class for labels) and the strided sample of the rows.
    """
    import dask.array as da
    from sklearn.utils import check_array

    from .._engine import check_sample_weight
    from .._engine.dask import ROW_START, dask_map_reduce
    from .._engine.dask_input import check_dask_weights, check_dask_X

    owner = type(est).__name__
    X = check_dask_X(est, X, reset=True)
    y = aligned_rows(y, X, f"{owner}: y")
    w = check_dask_weights(sample_weight, X, owner=owner)
    if not labels:
        y = y.astype(np.float64)
    # the broadcast ones of no sample_weight (a broadcast 2.0 is weights like any other)
    unit = bool(not is_dask(w) and w.ndim == 1 and w.size and w.strides[0] == 0
                and w[0] == 1.0)
    off_parts, arrays = [], [y, None if unit else w]
    if offset is not None:
        off_parts.append(aligned_rows(offset, X, "offset"))
    if exposure is not None:
        off_parts.append(aligned_rows(exposure, X, "exposure"))
    arrays += [off_parts[0] if offset is not None else None,
               off_parts[-1] if exposure is not None else None, ROW_START]
    stride = warm_stride(X.shape[0])
    # every check in one task per chunk (a reduction of Dask expressions such as
    # da.unique and isfinite().all() costs 2-3 tasks per chunk)
    got = dask_map_reduce(partial(_check_chunk, labels, stride), X, arrays,
                          combine=_merge_checks)
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
    elif unit:
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
    sample = None
    if stride:
        parts = [np.concatenate(a) if a[0] is not None else None
                 for a in zip(*got["sample"], strict=True)]
        ws = parts[2] if parts[2] is not None else (
            np.ones(len(parts[0])) if unit else np.asarray(w, dtype=np.float64)[::stride])
        sample = (parts[0], parts[1], ws, [a for a in parts[3:] if a is not None])
    classes = np.asarray(got["classes"]) if labels else None
    start = FitStart(total=total, ysum=got["ysum"], sample=sample, classes=classes)
    live = np.flatnonzero(np.asarray(got["ysum"]) > 0) if labels else None
    return DaskFitInput(X=X, y=y, w=w, offset=off, total_weight=total, classes=classes,
                        live=live, start=start)


def _check_chunk(labels, stride, xb, yb, wb, ob, eb, start):
    """The values' checks of one chunk (what ``dask_fit_input`` reports), its weight
    total and weighted response sum (per class for labels), and its rows of the
    strided sample (``X[::stride]`` counted in the whole array) with their raw
    response, weights, offset and exposure."""
    # a finite sum means finite values (NaN and inf propagate); the elementwise test
    # (an (n, d) temporary) only when the sum is not finite, e.g. it overflowed
    out = {"finite": bool(np.isfinite(np.sum(xb)) or np.isfinite(xb).all())}
    wf = None if wb is None else np.asarray(wb, dtype=np.float64)
    if labels:
        out["classes"], out["ysum"] = _class_weights(yb, wf)
    else:
        yf = np.asarray(yb, dtype=np.float64)
        out["y_bad"] = bool((~(yf >= 0)).any())
        out["ysum"] = float(yf.sum() if wf is None else wf @ yf)
    if wf is not None:
        out.update(w_finite=bool(np.isfinite(wf).all()),
                   w_min=float(wf.min()) if wf.size else np.inf, w_sum=float(wf.sum()))
    if ob is not None:
        out["off_finite"] = bool(np.isfinite(np.asarray(ob, dtype=np.float64)).all())
    if eb is not None:
        eb = np.asarray(eb, dtype=np.float64)
        out["ex_ok"] = bool((np.isfinite(eb) & (eb > 0)).all())
    if stride:
        first = (-start) % stride
        out["sample"] = [tuple(None if a is None else np.array(a[first::stride])
                               for a in (xb, yb, wb, ob, eb))]  # lists add by concatenation
    return out


def _class_weights(yb, wb):
    """The sorted labels of a chunk and their weight totals (counts without ``wb``).
    Two numeric labels are counted without sorting the chunk (np.unique's sort and
    copy cost more than the rest of the checks)."""
    yb = np.asarray(yb)
    if yb.dtype.kind in "biuf" and yb.size:
        lo, hi = yb.min(), yb.max()
        is_hi = yb == hi
        n_hi = np.count_nonzero(is_hi)
        if lo == hi or n_hi + np.count_nonzero(yb == lo) == yb.size:
            if lo == hi:
                return np.array([lo]), np.array([float(yb.size if wb is None else wb.sum())])
            if wb is None:
                return np.array([lo, hi]), np.array([float(yb.size - n_hi), float(n_hi)])
            w_hi = float(np.sum(wb, where=is_hi))
            return np.array([lo, hi]), np.array([float(np.sum(wb, where=~is_hi)), w_hi])
    classes, codes = np.unique(yb, return_inverse=True)
    return classes, np.bincount(codes.ravel(), weights=wb, minlength=len(classes)).astype(
        np.float64)


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
        elif key == "ysum" and "classes" in a:  # the class weights, on the union
            union = np.union1d(a["classes"], b["classes"])
            total = np.zeros(len(union))
            np.add.at(total, np.searchsorted(union, a["classes"]), value)
            np.add.at(total, np.searchsorted(union, b["classes"]), other)
            out[key] = total
        elif key == "sample":
            out[key] = value + other
        elif key == "w_min":
            out[key] = min(value, other)
        else:  # w_sum, ysum of counts
            out[key] = value + other
    return out


# module-level chunk functions (not closures): the fitted estimator keeps the Dask
# arrays built with them (for LL-Null), and must pickle with the standard pickle
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


def dask_glm_solve(owner, X, Y, w, offset, family, *, names, fit_intercept, max_iter,
                   prior, intercept_prior, start=None):
    """The exact Newton on Dask data, with the in-memory aliasing check at the end.

    ``start``: the :class:`FitStart` of :func:`dask_fit_input` (raw labels and
    offset parts), encoded here as the Newton's ``Y`` and ``offset`` are."""
    res = dask_newton(family, X, Y, w, offset, fit_intercept=fit_intercept,
                      max_iter=max_iter, prior=prior, intercept_prior=intercept_prior,
                      start=_encoded_start(start, Y, offset))
    p = res.theta.shape[1]
    # as in memory: a proper prior on the coefficients identifies them (no check then)
    if prior is None:
        aliased = aliased_columns(res.information[:p, :p], names)
        if aliased:
            raise ValueError(aliased_message(owner, aliased, ""))
    return res


def _encoded_start(start, Y, offset):
    """The check pass's start in the Newton's encoding: ``Y``'s and the offset's
    :class:`RowMap` functions applied on the client to the class weights and the
    sample's raw labels and offset parts."""
    if start is None:
        return None
    ysum = start.ysum
    if start.classes is not None:  # class weights @ each class's response row
        ysum = np.asarray(ysum) @ np.asarray(Y.fn(start.classes), dtype=np.float64)
    sample = start.sample
    if sample is not None:
        xs, ys, ws, off_parts = sample
        ys = Y.fn(ys) if isinstance(Y, RowMap) else np.asarray(ys, dtype=np.float64)
        with np.errstate(all="ignore"):  # checked in the pass
            os_ = offset.fn(*off_parts) if isinstance(offset, RowMap) else None
        sample = (np.asarray(xs, dtype=np.float64), ys, ws, os_)
    return FitStart(total=start.total, ysum=ysum, sample=sample)


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
