"""MLELinearRegression on Dask data: one reduction of a triangular factor per fit.

The Gaussian likelihood of a linear model depends on the data only through the
weighted Gram matrix ``G = M' W M`` of the columns ``M = [1, X, y]`` (with the
total weight ``G[0, 0]`` and the weighted means in its first row). One pass over
the row chunks computes its upper triangular factor ``R`` (``R'R = G``) by a tree
of QR factorisations (TSQR): each chunk gives the ``R`` of its weighted rows, each
node of the reduction the ``R`` of two stacked factors. The Gram matrix itself is
never formed, so an ill-conditioned design keeps the accuracy of the in-memory QR.

From ``R`` the client builds ``2 q - 1`` weighted rows with the same Gram matrix
(:func:`equivalent_rows`) and runs the in-memory fit on them: the estimates, the
standard errors, the log-likelihood, ``sigma2_``, R², the F-test, LL-Null, the MAP
fits under any prior and the profile likelihood are functions of ``G`` alone, so
they are the in-memory ones to rounding. What ``G`` does not determine is refused
or computed from the data: robust covariances need the per-row residuals (refused),
the number of distinct rows (the exact-fit check) is one more reduction, made only
when the residual sum of squares is at rounding level, and a value named in an
error message is looked up in the data.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
from scipy import linalg
from sklearn.utils import check_array

from .._engine.dask import as_dask_rows, dask_map_reduce, is_dask
from .._engine.dask_input import check_dask_weights, check_dask_X, check_weight_block
from ._dask_fit import aligned_rows

__all__ = ["DaskLinearRows", "dask_linear_rows", "dask_r2", "equivalent_rows"]


def _r_factor(M, q):
    """The (q, q) upper triangular factor of the rows ``M`` (zero rows padded)."""
    out = np.zeros((q, q))
    if M.shape[0]:
        R = linalg.qr(M, mode="r", check_finite=False)[0]
        out[:R.shape[0]] = R[:q]
    return out


def _gram_block(owner, xb, wb, yb):
    """``(R of the chunk's weighted [1, x, y], sum of its weights)``; the chunk's
    values checked as ``validate_data`` and the weight validator check them."""
    # the in-memory messages (NaN/inf in X or y), from whichever chunk holds them
    check_array(xb, input_name="X", estimator=owner, dtype=None, ensure_min_samples=0)
    check_array(yb, input_name="y", estimator=owner, dtype=None, ensure_2d=False,
                ensure_min_samples=0)
    check_weight_block(wb, owner)
    xb = np.asarray(xb, dtype=np.float64)
    n = xb.shape[0]
    M = np.empty((n, xb.shape[1] + 2))
    M[:, 0] = 1.0
    M[:, 1:-1] = xb
    M[:, -1] = np.asarray(yb, dtype=np.float64).reshape(n)
    if wb is None or (wb.ndim == 1 and wb.size and wb.strides[0] == 0):
        total = float(n) if wb is None else float(n * wb[0])
        if wb is not None and wb[0] != 1.0:
            M *= np.sqrt(float(wb[0]))
    else:
        wb = np.asarray(wb, dtype=np.float64)
        total = float(np.sum(wb))
        M *= np.sqrt(wb)[:, None]
    return _r_factor(M, M.shape[1]), total


def _stack(a, b):
    """The factor of two stacked factors (a node of the TSQR tree) and the weights."""
    return _r_factor(np.vstack([a[0], b[0]]), a[0].shape[0]), a[1] + b[1]


def equivalent_rows(R):
    """Weighted rows ``(x, y, w)`` whose Gram matrix of ``[1, x, y]`` is ``R'R``.

    With ``R``'s first row ``r_0 = sqrt(W) (1, means)`` and ``mu = r_0 / r_00``: the
    row ``mu`` with weight ``W / 2``, and for every other row ``r_k`` of ``R`` (whose
    first entry is 0) the two rows ``mu +- a r_k`` with weight ``v = W / (4 (q - 1))``
    each and ``2 v a^2 = 1``. Their Gram matrix is
    ``(W/2 + 2 (q-1) v) mu mu' + sum_k r_k r_k' = r_0 r_0' + sum_k r_k r_k' = R'R``
    (the cross terms cancel in each pair), every first entry is exactly 1, every
    weight is positive, and the rows have the spread of the data (no cancellation).
    """
    R = np.asarray(R, dtype=np.float64)
    R = R * np.where(np.diag(R) < 0, -1.0, 1.0)[:, None]
    q = R.shape[0]
    W = R[0, 0] ** 2
    mu = R[0] / R[0, 0]
    v = W / (4.0 * (q - 1))
    a = 1.0 / np.sqrt(2.0 * v)
    rows = np.vstack([mu[None, :], mu + a * R[1:], mu - a * R[1:]])
    rows[:, 0] = 1.0
    w = np.r_[W / 2.0, np.full(2 * (q - 1), v)]
    return rows[:, 1:-1], rows[:, -1], w


class DaskLinearRows:
    """What a Dask linear fit hands to the in-memory fit: the equivalent rows
    ``x, y, w``, the data they stand for (``X``, ``y_data``, ``w_data``: Dask), the
    number of samples ``n``, the ``total_weight``, and ``count_distinct()`` and
    ``locate(j, centre)`` for the checks that need the data themselves."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def count_distinct(self):
        """Distinct rows of positive weight, counted up to ``n_features + 2``: one
        reduction (each chunk's distinct rows, merged up the tree)."""
        cap = self.X.shape[1] + 2
        return len(dask_map_reduce(partial(_distinct_block, cap), self.X, (self.w_data,),
                                   combine=partial(_distinct_merge, cap)))

    def locate(self, j, centre):
        """Row and value of the largest ``|X[:, j]|`` (``j`` None: ``|y - centre|``)."""
        import dask.array as da

        v = self.y_data - centre if j is None else self.X[:, j]
        i = int(da.argmax(abs(v)).compute())
        return i, float((self.y_data if j is None else self.X[:, j])[i].compute())


def _distinct_block(cap, xb, wb):
    xb = np.asarray(xb, dtype=np.float64)
    if wb is not None:
        xb = xb[np.asarray(wb) > 0]
    return np.unique(xb, axis=0)[:cap]


def _distinct_merge(cap, a, b):
    return np.unique(np.vstack([a, b]), axis=0)[:cap]


def _as_rows(X, like):
    """``X`` as a Dask collection: a NumPy or pandas ``X`` with a Dask ``y`` is split
    into ``like``'s row chunks."""
    if is_dask(X):
        return X
    import dask.array as da

    if hasattr(X, "columns"):
        import dask.dataframe as dd

        return dd.from_pandas(X, npartitions=1)
    return da.from_array(np.asarray(X), chunks=(like.chunks[0], -1))


def dask_linear_rows(est, X, y, sample_weight=None) -> DaskLinearRows:
    """Check a Dask fit's input and reduce it to its equivalent rows: one pass.

    Sets ``n_features_in_`` (and ``feature_names_in_`` of a Dask DataFrame) as
    ``validate_data`` does; the values are checked chunk by chunk in the pass.
    """
    owner = type(est).__name__
    if not is_dask(X):
        X = _as_rows(X, as_dask_rows(y))
    X = check_dask_X(est, X, reset=True, min_samples=1)
    y = aligned_rows(y, X, f"{owner}: y")
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{owner}: y must be numbers, got dtype {y.dtype}")
    w = check_dask_weights(sample_weight, X, owner=owner)
    R, total = dask_map_reduce(partial(_gram_block, owner), X, (w, y), combine=_stack)
    if not total > 0:
        raise ValueError(f"{owner}: sample_weight: the weights sum to zero; at least one "
                         "row needs a positive weight")
    x_eq, y_eq, w_eq = equivalent_rows(R)
    return DaskLinearRows(x=x_eq, y=y_eq, w=w_eq, X=X, y_data=y, w_data=w,
                          n=int(X.shape[0]), total_weight=float(total))


def _r2_block(predict, xb, wb, yb):
    """``(W, weighted mean of y, its centred sum of squares, residual sum of squares)``
    of one chunk."""
    yb = np.asarray(yb, dtype=np.float64).reshape(-1)
    wb = np.ones(yb.shape[0]) if wb is None else np.asarray(wb, dtype=np.float64)
    W = float(np.sum(wb))
    mean = float(wb @ yb) / W if W > 0 else 0.0
    with warnings.catch_warnings():
        # the feature names were checked on the metadata (check_dask_X)
        warnings.filterwarnings("ignore", "X does not have valid feature names")
        r = yb - predict(np.asarray(xb))
    return np.array([W, mean, float(wb @ (yb - mean) ** 2), float(wb @ r**2)])


def _r2_merge(a, b):
    """Chan's pairwise update of the weighted mean and centred sum of squares."""
    W = a[0] + b[0]
    if not W > 0:
        return a + b
    delta = b[1] - a[1]
    return np.array([W, a[1] + delta * b[0] / W,
                     a[2] + b[2] + delta**2 * a[0] * b[0] / W, a[3] + b[3]])


def dask_r2(est, X, y, sample_weight=None) -> float:
    """R² of ``est.predict`` on Dask data (``sklearn.metrics.r2_score``'s value,
    weighted): one reduction, the total sum of squares by Chan's pairwise update."""
    owner = type(est).__name__
    X = check_dask_X(est, X, reset=False)
    y = aligned_rows(y, X, f"{owner}: y")
    w = check_dask_weights(sample_weight, X, owner=owner)
    _, _, tss, rss = dask_map_reduce(partial(_r2_block, est.predict), X, (w, y),
                                     combine=_r2_merge)
    if tss == 0.0:  # as r2_score with force_finite=True
        return 1.0 if rss == 0.0 else 0.0
    return float(1.0 - rss / tss)
