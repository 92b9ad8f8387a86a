"""The Poisson family: counts with a rate; closed-form mode from (weight, sum x)."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special
from scipy import stats as sps

from .. import _native as native
from .._engine.blocks import map_reduce
from .._engine.rules import NONFINITE, DomainError
from ..exceptions import BoundaryWarning
from ._count_sums import check_sum_in_range, checked_count_sums, count_sums
from ._protocol import Family, ModeResult
from ._saddle import poisson_logpmf, rate_shift
from ._stats import RateStats, total_weight, unit_weights

__all__ = ["Poisson"]

_POISSON_SAMPLER_MAX = 1e15  # numpy's poisson() raises above ~9.2e18
_RULE = "Poisson counts must be non-negative integers"
_LOGLIK_RULE = (f"{_RULE}, and their log-likelihood must stay within the float64 range "
                "(about -1.8e308; counts this large, far from their mean, exceed it): "
                "rescale the column")
_SUM_RULE = (f"{_RULE}, and their (weighted) sum must stay within the float64 range "
             "(about 1.8e308): rescale the column")


class Poisson(Family):
    """Poisson counts: ``P(x) = rate^x exp(-rate) / x!`` per column.

    Statistics (:class:`~sklearn_mle.families._stats.RateStats`): ``weight`` (summed
    weights), ``sum_x``, and the log-likelihood ``ll_center`` at the mean count
    ``center`` (row by row in Loader's form where the counts are large, so that
    counts near 1e15 keep their log-likelihood's digits). The mode is
    ``rate = sum_x / weight``; a ``Gamma(a, rate)`` prior adds ``a - 1`` events and
    ``rate`` of exposure (:meth:`rate_stats`).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.families import Poisson
    >>> fam = Poisson()
    >>> s = fam.stats(np.array([[2.0], [3.0], [1.0]]))
    >>> fam.mode(s)["rate"].tolist()
    [2.0]
    """

    name = "poisson"
    param_names = ("rate",)
    bounds = {"rate": (0.0, np.inf)}
    prior_param = "rate"
    supported_priors = ("Gamma",)
    integer_domain = True
    rules = (
        (f"Negative values in data: {_RULE}", lambda X: X < 0),
        (_RULE, lambda X: X != np.floor(X)),
    )

    def _stats(self, X, w, checked):
        unit = w is None or unit_weights(w)
        sums = native.count_sums(X, None if unit else w)
        if sums is None:  # no C kernel for this input: a histogram in NumPy
            sums = count_sums(X, None if unit else w)
        if sums is None:  # a value outside the domain (or counts above 2**20)
            if not checked and not np.all(np.isfinite(X)):
                raise DomainError(NONFINITE)
            ones = np.broadcast_to(1.0, (X.shape[0],)) if w is None else w
            sums = checked_count_sums(self, X, ones)  # raises naming the rule
        # counts near 1.8e308 sum to inf: the rate would be inf and loglik_ NaN
        check_sum_in_range(X, sums[0], _SUM_RULE)
        n = X.shape[0] if w is None else total_weight(w)
        weight = np.full(X.shape[1], float(n))
        center, dev, ll = _centered(weight, sums[0], sums[1])
        inexact = _cancels(weight, sums[0], sums[1], ll)
        if inexact.any():  # large counts: the log-likelihood at the mean row by row
            cols = np.flatnonzero(inexact)
            dev[cols], ll[cols] = map_reduce(
                lambda xb, wb: _row_terms(xb[:, cols], center[cols], wb),
                X, None if unit else w)
        _check_loglik_in_range(X, weight, ll)
        return self.make_stats(RateStats, weight=weight, sum_x=sums[0], center=center,
                               dev=dev, ll_center=ll)

    def stats(self, X, weights=None, *, checked=False):
        """Sufficient statistics; weights (n, k) give k components' in one pass of
        matrix products (``W.T @ X``, ``W.T @ log x!``)."""
        if weights is None or np.ndim(weights) == 1:
            return self._stats(X, weights, checked)
        if not checked:
            self.check(X)
        X = np.asarray(X, dtype=np.float64)

        d = X.shape[1]

        def block(xb, wb):
            # one product for all k components: weights' totals, sum x and sum log x!
            m = np.empty((xb.shape[0], 1 + 2 * d))
            m[:, 0] = 1.0
            m[:, 1 : 1 + d] = xb
            m[:, 1 + d :] = native.log_factorial(xb)
            return wb.T @ m

        weights = np.asarray(weights, dtype=np.float64)
        sums = map_reduce(block, X, weights, limit_blas=True)
        n_k, sx, slg = sums[:, 0], sums[:, 1 : 1 + d], sums[:, 1 + d :]
        out = []
        for j in range(weights.shape[1]):
            weight = np.full(d, n_k[j])
            center, dev, ll = _centered(weight, sx[j], slg[j])
            inexact = _cancels(weight, sx[j], slg[j], ll)
            if inexact.any():  # large counts: one more pass for this component
                cols = np.flatnonzero(inexact)
                dev[cols], ll[cols] = map_reduce(
                    lambda xb, wb, cols=cols, c=center[cols]: _row_terms(xb[:, cols], c, wb),
                    X, weights[:, j])
            out.append(self.make_stats(RateStats, weight=weight, sum_x=sx[j], center=center,
                                       dev=dev, ll_center=ll))
        return tuple(out)

    def rate_stats(self, events, exposure, n_features):
        """Pseudo-statistics of ``events`` counts over ``exposure`` (a Gamma prior):
        ``events log rate - exposure rate`` as a function of the rate."""
        d = int(n_features)
        events, exposure = float(events), float(exposure)
        c = events / exposure if events > 0 and exposure > 0 else 1.0
        return self.make_stats(RateStats, weight=np.full(d, exposure),
                               sum_x=np.full(d, events), center=np.full(d, c),
                               dev=np.full(d, events - exposure * c),
                               ll_center=np.full(d, events * np.log(c) - exposure * c))

    def mode(self, stats, fixed=None):
        fixed = fixed or {}
        num, den = stats.sum_x.astype(float), stats.weight.astype(float)
        if np.any(num < 0):
            raise DomainError(
                "the rate has no posterior mode: a prior with a < 1 on all-zero counts "
                "pulls it below 0; use a Gamma prior with a >= 1"
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = num / den
        free = np.isnan(fixed["rate"]) if "rate" in fixed else np.ones(rate.shape, bool)
        if "rate" in fixed:
            rate = np.where(free, rate, fixed["rate"])
        if np.any((num == 0) & free):
            warnings.warn(
                "PoissonMLE: a column has only zero counts, so the MLE rate is 0, on the "
                "boundary: standard errors are not defined there. A prior such as "
                "prior=Gamma(a=2, rate=1) gives a positive estimate.",
                BoundaryWarning,
                stacklevel=5,
            )
        return ModeResult({"rate": rate})

    def loglik(self, stats, params):
        r = np.asarray(params["rate"], dtype=float)
        return stats.ll_center - rate_shift(stats.weight, stats.sum_x, stats.dev,
                                            stats.center, r)

    def information(self, stats, params):
        return self.unscaled_information(*self.scaled_information(stats, params))

    def scaled_information(self, stats, params):
        # on the log-rate scale: r**2 (sum_x / r**2) = sum_x, in range where sum_x / r**2
        # over- or underflows (rates near 1e-300 from tiny weights, near 1e300)
        r = np.asarray(params["rate"], dtype=float)
        inside = (r > 0) & np.isfinite(r)
        info = np.where(inside, stats.sum_x, 0.0)
        return info[:, None, None], np.where(inside, r, 1.0)[:, None]

    def logpdf(self, X, params):
        r = params["rate"]
        with np.errstate(invalid="ignore"):
            valid = (X >= 0) & (X == np.floor(X))
            if _large(X, r):  # x log r and log x! would cancel: Loader's form
                lp = poisson_logpmf(np.where(valid, X, 0.0), r)
            else:
                lp = special.xlogy(X, r) - r - native.log_factorial(X)
            return np.where(valid, lp, -np.inf)

    def logpdf_rows(self, X, params_list):
        """k rates at once: ``X @ log(rate).T - sum(rate) - sum log x!`` (one matrix
        product; ``log x!`` once per row instead of once per component)."""
        rates = np.array([np.asarray(p["rate"], dtype=float) for p in params_list])  # (k, d)
        if np.any(rates <= 0) or _large(X, rates):
            # 0 * log 0 needs xlogy's care, large counts Loader's form: the general path
            return super().logpdf_rows(X, params_list)
        with np.errstate(invalid="ignore"):
            valid = ((X >= 0) & (X == np.floor(X))).all(axis=1)
            lf = native.log_factorial(X).sum(axis=1)
        out = X @ np.log(rates).T - rates.sum(axis=1) - lf[:, None]
        if not valid.all():
            out[~valid] = -np.inf
        return out

    def score_rows(self, X, params):
        """``d/d rate log p(x) = x / rate - 1`` per element, shape (n, d, 1)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return (X / params["rate"] - 1.0)[:, :, None]

    def sample(self, params, n, rng):
        rate = np.asarray(params["rate"], dtype=float)
        huge = rate > _POISSON_SAMPLER_MAX
        if not huge.any():
            return rng.poisson(rate, size=(n, rate.size)).astype(float)
        # numpy's sampler refuses rates near 2**63; there the Poisson is its normal
        # limit to within a relative 1e-9, rounded to integers
        small = rng.poisson(np.where(huge, 0.0, rate), size=(n, rate.size)).astype(float)
        big = np.round(rate + np.sqrt(rate) * rng.standard_normal((n, rate.size)))
        return np.where(huge, np.maximum(big, 0.0), small)

    def to_scipy(self, params):
        return [sps.poisson(float(r)) for r in np.atleast_1d(params["rate"])]


# beyond this count, x log r - log x! keeps fewer than ~9 digits of a row's value
_LARGE_COUNT = float(1 << 20)


def _large(X, r) -> bool:
    """Whether a count or a rate exceeds :data:`_LARGE_COUNT` (one plain maximum each:
    NaN compares False, and inf, outside the domain, takes the general path harmlessly)."""
    top_r = np.max(np.asarray(r, dtype=float), initial=-np.inf)
    return bool(top_r > _LARGE_COUNT or np.max(X, initial=-np.inf) > _LARGE_COUNT)


def _centered(weight, sum_x, sum_lgamma):
    """The mean count (the reference rate), ``sum w (x - mean)`` and the log-likelihood
    at the mean, from the sums (exact to ~eps * sum_x log(mean); :func:`_cancels`
    says where that is too coarse)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = sum_x / weight
    center = np.where((weight > 0) & (sum_x > 0), mean, 0.0)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: see _cancels
        ll = special.xlogy(sum_x, center) - weight * center - sum_lgamma
        return center, sum_x - weight * center, ll


def _cancels(weight, sum_x, sum_lgamma, ll):
    """Columns whose log-likelihood from the sums lost more than ~1e-10 of itself to
    the cancellation of ``sum_x log(mean)`` and ``sum log x!``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(weight > 0, sum_x / weight, 0.0)
        size = np.abs(special.xlogy(sum_x, mean)) + np.abs(sum_lgamma) + np.abs(sum_x)
    # a size beyond float64 (counts near 1.8e308: sum_x log(mean) overflows, and ll is
    # inf - inf) is summed row by row too, where each row's log-probability is finite
    return (~np.isfinite(size) & (weight > 0)) | (
        np.isfinite(size) & (size * 1e-15 > 1e-10 * np.maximum(np.abs(ll), weight)))


def _check_loglik_in_range(X, weight, ll):
    """DomainError where the log-likelihood at the mean is below -1.8e308: counts near
    1.8e308 far from their mean (each row's value finite, their sum not)."""
    over = np.isneginf(ll) & (weight > 0)
    if over.any():
        j = int(np.flatnonzero(over)[0])
        i = int(np.argmax(X[:, j]))
        raise DomainError(_LOGLIK_RULE, column=j, row=i, value=X[i, j])


def _row_terms(x, center, w):
    """``(sum w (x - center), sum w log P(x; center))`` of one block, row by row."""
    dev, lp = x - center, poisson_logpmf(x, center)
    with np.errstate(over="ignore"):  # a sum below -1.8e308: _check_loglik_in_range
        if w is None:
            return dev.sum(axis=0), lp.sum(axis=0)
        # a row of weight 0 is no term, even where its log-probability is -inf (1.7e308)
        lp = np.where((w > 0)[:, None], lp, 0.0)
        return w @ dev, w @ lp
