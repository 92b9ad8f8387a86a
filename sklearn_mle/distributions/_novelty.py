"""Novelty detection of the distribution estimators: ``offset_``, ``decision_function``
and ``predict`` (+1 inlier, -1 outlier), from the training log-densities."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..families._stats import unit_weights

__all__ = ["NoveltyMixin"]

_OFFSET_ROWS = 20_000  # rows used for the novelty threshold offset_
_OFFSET_KEEP_ELEMENTS = 1 << 18  # a larger threshold sample is scored at fit time


class NoveltyMixin:
    """``offset_`` = the ``contamination`` quantile of the training log-densities,
    computed on first use; the estimator gives ``_score_rows``, ``contamination`` and
    ``_integer_domain``."""

    def _set_offset(self, X, w):
        """Keep what ``offset_`` needs (a strided sample of at most ``_OFFSET_ROWS`` rows,
        copied) and compute it when first read: a fit that never predicts does not
        score its data a second time."""
        n = X.shape[0]
        if n > _OFFSET_ROWS:  # every step-th row: views, no gather
            step = -(-n // _OFFSET_ROWS)
            X, w = X[::step], w[::step]
        if X.dtype.kind in "biu":  # integer counts kept by fit: score them as floats
            X = X.astype(np.float64)
        if X.shape[1] == 1 and X.dtype.kind == "f" and X.shape[0]:
            # one column of small non-negative integers (counts, labels): the score
            # depends on the value only, so score each distinct value once, weighted by
            # its total weight: the same quantile for a fraction of the work
            col = X[:, 0]
            if (0 <= col.min() and col.max() < _OFFSET_ROWS
                    and (self._integer_domain or np.array_equal(col, np.floor(col)))):
                weights = None if unit_weights(w) else w
                totals = np.bincount(col.astype(np.intp), weights=weights)
                values = np.flatnonzero(totals)
                X, w = values[:, None].astype(np.float64), totals[values].astype(np.float64)
        # a mutable holder: computing the threshold later leaves __dict__ as it is
        # (predict must not change the estimator's attributes)
        if X.size > _OFFSET_KEEP_ELEMENTS:  # too large to keep: compute it now
            self._offset_holder = {"offset": self._quantile_offset(X, w)}
        else:
            self._offset_holder = {"sample": (np.array(X, copy=True), np.array(w, copy=True))}

    def _quantile_offset(self, X, w):
        return float(_weighted_quantile(self._score_rows(X), w, self.contamination))

    @property
    def offset_(self) -> float:
        """The novelty threshold: the ``contamination`` quantile of the training
        samples' log-densities (computed on first use, from at most 20 000 rows)."""
        holder = self.__dict__.get("_offset_holder")
        if holder is None:
            raise AttributeError(
                f"{type(self).__name__} has no novelty threshold offset_: it was not "
                "fitted on data (fit or partial_fit sets it)"
            )
        if "offset" not in holder:
            holder["offset"] = self._quantile_offset(*holder.pop("sample"))
        return holder["offset"]

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers."""
        with np.errstate(invalid="ignore"):
            out = self.score_samples(X) - self.offset_
        # -inf - -inf (a degenerate fit): on the threshold, not NaN
        return np.where(np.isnan(out), 0.0, out)

    def predict(self, X):
        """Novelty detection: +1 where the log-density is at least ``offset_``, else -1.

        ``offset_`` is the ``contamination`` quantile of the training log-densities,
        i.e. one training sample's log-density: a sample on the threshold is an inlier
        whatever the rounding of its batch (relative tolerance 1e-12).
        """
        check_is_fitted(self)
        tol = 1e-12 * max(1.0, abs(self.offset_)) if np.isfinite(self.offset_) else 0.0
        return np.where(self.decision_function(X) >= -tol, 1, -1)


def _weighted_quantile(values, weights, q):
    finite = np.isfinite(values) | (values == -np.inf)
    if not finite.all():
        values, weights = values[finite], weights[finite]
    if values.size == 0:
        return -np.inf
    if np.all(weights == weights[0]):
        if weights[0] > 0:  # equal weights: the same order statistic by selection, O(n)
            k = min(max(int(np.ceil(q * values.size)) - 1, 0), values.size - 1)
            return float(np.partition(values, k)[k])
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cw = np.cumsum(w)
    if cw[-1] <= 0:
        return float(np.quantile(values, q))
    k = np.searchsorted(cw, q * cw[-1], side="left")
    return float(v[min(k, v.size - 1)])

