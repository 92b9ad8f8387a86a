"""The exponential family: waiting times with a rate; closed-form mode from (n, sum x)."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special
from scipy import stats as sps

from .._engine.blocks import map_reduce
from .._engine.rules import NONFINITE, DomainError
from ..exceptions import BoundaryWarning
from ._count_sums import check_sum_in_range, weighted_column_sums
from ._protocol import Family, ModeResult
from ._stats import total_weight, unit_weights

__all__ = ["Exponential"]

_RULE = "exponential data must be >= 0"
_SUM_RULE = (
    "the column's values sum beyond the float64 range (about 1.8e308), so its rate "
    "underflows to 0: rescale the column (the rate of x / c is c * rate)"
)


def _min_sums(X, w):
    """``(sum w x, min x)`` per column in one blocked pass; None when a sum is not
    finite (NaN, inf, or an overflow: the caller's checks tell which)."""

    def block(xb, wb):
        with np.errstate(over="ignore", invalid="ignore"):
            s = (xb.sum(axis=0, dtype=np.float64) if wb is None
                 else wb @ xb.astype(np.float64, copy=False))
        if not np.all(np.isfinite(s)):
            return None
        return s, xb.min(axis=0).astype(np.float64)

    return map_reduce(block, X, w, combine=lambda a, b: (a[0] + b[0], np.minimum(a[1], b[1])))


class Exponential(Family):
    """Exponential waiting times: density ``rate * exp(-rate * x)`` on ``x >= 0`` per
    column (``scipy.stats.expon(scale=1 / rate)``).

    Statistics: ``weight`` (summed weights: the number of events) and ``sum_x`` (the
    total waiting time: the exposure). The mode is ``rate = weight / sum_x``; a
    ``Gamma(a, rate)`` prior adds ``a - 1`` events and ``rate`` of exposure
    (:meth:`rate_stats`).

    Notes
    -----
    A column of zeros has no MLE (the likelihood grows without bound with the rate):
    :meth:`mode` warns with a :class:`~sklearn_mle.BoundaryWarning` and returns an
    infinite rate, whose log-likelihood is ``+inf``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.families.exponential import Exponential
    >>> from sklearn_mle.priors import Gamma
    >>> fam = Exponential()
    >>> s = fam.stats(np.array([[0.5], [1.5], [2.0], [4.0]]))
    >>> fam.mode(s)["rate"].tolist()
    [0.5]
    >>> float(fam.mode(s + Gamma(3, 2).pseudo_stats(fam, 1))["rate"][0])  # 6 / 10
    0.6
    """

    name = "exponential"
    param_names = ("rate",)
    bounds = {"rate": (0.0, np.inf)}
    prior_param = "rate"
    supported_priors = ("Gamma",)
    rules = ((f"Negative values in data are outside the support: {_RULE}", lambda X: X < 0),)

    def _check_data(self, X):
        if not np.all(np.isfinite(X)):
            raise DomainError(NONFINITE)
        self.check(X)

    def _stats(self, X, w, checked):
        d = X.shape[1]
        unit = w is None or unit_weights(w)
        sums = _min_sums(X, None if unit else w)
        if sums is not None and np.all(sums[1] >= 0):  # checked: finite and >= 0
            sum_x = sums[0]
        else:
            if not checked:
                self._check_data(X)
            ones = np.broadcast_to(1.0, (X.shape[0],)) if w is None else w
            with np.errstate(over="ignore"):  # an overflow is reported just below
                sum_x = weighted_column_sums(X, ones)
        check_sum_in_range(X, sum_x, _SUM_RULE)
        n = X.shape[0] if w is None else total_weight(w)
        return self.make_stats(weight=np.full(d, float(n)), sum_x=sum_x)

    def stats(self, X, weights=None, *, checked=False):
        """Sufficient statistics; weights (n, k) give k components' in one pass of
        matrix products (``W.T @ [1, X]``)."""
        if weights is None or np.ndim(weights) == 1:
            return self._stats(X, weights, checked)
        if not checked:
            self._check_data(X)
        X = np.asarray(X, dtype=np.float64)
        d = X.shape[1]

        def block(xb, wb):
            return wb.T @ np.hstack([np.ones((xb.shape[0], 1)), xb])

        sums = map_reduce(block, X, np.asarray(weights, dtype=np.float64), limit_blas=True)
        return tuple(self.make_stats(weight=np.full(d, sums[j, 0]), sum_x=sums[j, 1:].copy())
                     for j in range(sums.shape[0]))

    def rate_stats(self, events, exposure, n_features):
        """Pseudo-statistics of ``events`` over ``exposure`` (a Gamma prior)."""
        d = int(n_features)
        return self.make_stats(weight=np.full(d, float(events)),
                               sum_x=np.full(d, float(exposure)))

    def mode(self, stats, fixed=None):
        fixed = fixed or {}
        num, den = stats.weight.astype(float), stats.sum_x.astype(float)
        if not np.all(np.isfinite(den)):
            raise DomainError(_SUM_RULE)
        if np.any(num <= 0):
            raise DomainError(
                "the rate has no posterior mode: a Gamma prior with a < 1 leaves no events "
                "for so little data; use a Gamma prior with a >= 1"
            )
        with np.errstate(divide="ignore"):
            rate = num / den
        free = np.isnan(fixed["rate"]) if "rate" in fixed else np.ones(rate.shape, bool)
        if "rate" in fixed:
            rate = np.where(free, rate, fixed["rate"])
        if np.any(np.isinf(rate) & free):
            warnings.warn(
                "Exponential: a column has only zeros, so the likelihood increases without "
                "bound as the rate grows: the MLE does not exist and the rate is inf. A "
                "prior such as prior=Gamma(a=2, rate=1) gives a finite estimate.",
                BoundaryWarning,
                stacklevel=5,
            )
        return ModeResult({"rate": rate})

    def loglik(self, stats, params):
        r = params["rate"]
        with np.errstate(invalid="ignore"):
            out = special.xlogy(stats.weight, r) - r * stats.sum_x
        # rate = inf on an all-zero column: the supremum of the likelihood, +inf
        return np.where(np.isinf(r) & (stats.sum_x == 0), np.inf, out)

    def information(self, stats, params):
        return self.unscaled_information(*self.scaled_information(stats, params))

    def scaled_information(self, stats, params):
        # on the log-rate scale: r**2 (n / r**2) = n, in range where n / r**2 overflows
        # (data near 1e300: rates near 1e-300)
        r = np.asarray(params["rate"], dtype=float)
        inside = np.isfinite(r) & (r > 0)
        info = np.where(inside, np.broadcast_to(stats.weight, r.shape), 0.0)
        return info[:, None, None], np.where(inside, r, 1.0)[:, None]

    def logpdf(self, X, params):
        r = params["rate"]
        with np.errstate(invalid="ignore", divide="ignore"):
            lp = np.log(r) - r * X
            return np.where(X >= 0, lp, -np.inf)

    def logpdf_rows(self, X, params_list):
        """k rates at once: ``sum log rate - X @ rate.T`` (one matrix product)."""
        rates = np.array([np.asarray(p["rate"], dtype=float) for p in params_list])
        if not (np.all(rates > 0) and np.all(np.isfinite(rates))):
            return super().logpdf_rows(X, params_list)
        out = np.log(rates).sum(axis=1) - np.asarray(X, dtype=np.float64) @ rates.T
        with np.errstate(invalid="ignore"):
            outside = ~(X >= 0).all(axis=1)
        if outside.any():
            out[outside] = -np.inf
        return out

    def sample(self, params, n, rng):
        rate = np.asarray(params["rate"], dtype=float)
        return rng.exponential(size=(n, rate.size)) / rate

    def to_scipy(self, params):
        return [sps.expon(scale=1.0 / float(r)) for r in np.atleast_1d(params["rate"])]
