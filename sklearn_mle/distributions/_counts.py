"""Poisson and Bernoulli: closed-form MLEs from counts and totals."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special

from .. import _native as native
from ..exceptions import BoundaryWarning
from ..priors import Beta, Gamma
from ._base import DistributionMLE, PartialFitMixin, domain_xfails
from ._stats import Stats, total_weight, unit_weights


def weighted_column_sums(X, w):
    """``w @ X`` in float64 without an (n, d) temporary (a plain sum for unit weights)."""
    if unit_weights(w):
        return X.sum(axis=0, dtype=np.float64)
    return w @ X if X.dtype == np.float64 else (w @ X.astype(np.float64, copy=False))


_CHECK_BLOCK = 1 << 16  # elements per block of the domain check


def check_counts(est, X, name):
    rule = f"{name} counts must be non-negative integers"
    # fast path: a blocked scan without full-size temporaries when the data are valid
    rows = max(1, _CHECK_BLOCK // max(X.shape[1], 1))
    for s in range(0, X.shape[0], rows):
        b = X[s : s + rows]
        if b.size and (b.min() < 0 or not np.array_equal(b, np.floor(b))):
            break
    else:
        return
    est._domain_error(X, X < 0, f"Negative values in data: {rule}")
    est._domain_error(X, X != np.floor(X), rule)


_COUNT_BLOCK = 1 << 18  # rows per block when histogramming counts


def lgamma_sum(X, w):
    """Weighted column sums of log(x!) for non-negative integer X, via a histogram.

    One ``bincount`` per block of rows and column, and ``gammaln`` on the distinct
    values only: much cheaper than ``gammaln`` on every element for typical count
    data, and no full-size integer copy of the data.
    """
    n = X.shape[0]
    unit = unit_weights(w)
    out = np.empty(X.shape[1])
    for j in range(X.shape[1]):
        col = X[:, j]
        top = float(col.max()) if col.size else 0.0
        if top <= 1e6:
            m = int(top) + 1
            counts = np.zeros(m)
            for s in range(0, n, _COUNT_BLOCK):
                idx = col[s : s + _COUNT_BLOCK].astype(np.intp)
                wb = None if unit else w[s : s + _COUNT_BLOCK]
                counts += np.bincount(idx, weights=wb, minlength=m)
            out[j] = counts @ special.gammaln(np.arange(m) + 1.0)
        else:
            out[j] = sum(
                float(w[s : s + _COUNT_BLOCK] @ special.gammaln(
                    col[s : s + _COUNT_BLOCK].astype(np.float64) + 1.0))
                for s in range(0, n, _COUNT_BLOCK)
            )
    return out


_HIST_MAX = 1 << 20  # largest count histogrammed by the fused pass


def checked_count_sums(est, X, w, name):
    """Per column ``sum w x`` and ``sum w log(x!)`` of counts, checking the domain.

    One blocked pass per column: cast to integers, compare with the input (integer
    check), ``bincount`` (which also rejects negatives) and sums from the histogram.
    Anything unusual (a domain error, counts above 2**20) goes through the plain
    :func:`check_counts`, :func:`weighted_column_sums` and :func:`lgamma_sum`, so errors
    read the same either way.
    """
    n, d = X.shape
    unit = unit_weights(w)
    sum_x, sum_lg = np.empty(d), np.empty(d)
    for j in range(d):
        col = X[:, j]
        counts = np.zeros(1)
        for s in range(0, n, _COUNT_BLOCK):
            xb = col[s : s + _COUNT_BLOCK]
            xi = xb.astype(np.intp)
            if not np.array_equal(xi, xb) or xi.max(initial=0) > _HIST_MAX:
                break
            try:
                b = np.bincount(xi, weights=None if unit else w[s : s + _COUNT_BLOCK])
            except ValueError:  # negative counts
                break
            if b.size > counts.size:
                counts = np.concatenate([counts, np.zeros(b.size - counts.size)])
            counts[: b.size] += b
        else:
            k = np.arange(counts.size, dtype=np.float64)
            sum_x[j] = counts @ k
            sum_lg[j] = counts @ special.gammaln(k + 1.0)
            continue
        check_counts(est, X, name)  # raises with the rule if the domain is violated
        sum_x[j] = weighted_column_sums(col[:, None], w)[0]
        sum_lg[j] = lgamma_sum(col[:, None], w)[0]
    return sum_x, sum_lg


class PoissonMLE(PartialFitMixin, DistributionMLE):
    """Poisson distribution fitted by maximum likelihood: ``rate_ = mean(x)``.

    Each column of X is a separate Poisson variable. With ``prior=Gamma(a, rate)``
    the MAP rate is ``(sum x + a - 1) / (n + rate)``.

    Parameters
    ----------
    prior : Gamma or None, default=None
        Conjugate prior on the rate; None for the MLE.
    fixed_params : dict or None, default=None
        ``{"rate": value}`` holds the rate fixed (a restricted model).
    contamination : float, default=0.1
        Fraction of training samples below the novelty threshold ``offset_``.

    Attributes
    ----------
    rate_ : ndarray of shape (n_features,)
        Estimated rate of each column.
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide: likelihood, inference and novelty detection.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import PoissonMLE
    >>> est = PoissonMLE().fit(np.array([[2], [3], [1], [4], [0]]))
    >>> float(est.rate_[0]), round(float(est.bse_[0]), 6)
    (2.0, 0.632456)
    """

    _count_input = True
    _param_names = ("rate",)
    _bounds = {"rate": (0.0, np.inf)}
    _supported_priors = (Gamma,)
    _prior_param = "rate"
    _integer_domain = True
    _sklearn_xfail_checks = {
        "check_sample_weight_equivalence_on_dense_data": (
            "this check draws X from uniform floats, ignoring the integer input tag"
        )
    }


    _fit_dtypes = native.COUNT_DTYPES  # integer counts are read without a float copy
    _stats_check_finite = True


    def _suff_stats(self, X, w):
        sums = native.count_sums(X, None if unit_weights(w) else w)
        if sums is None:  # a value outside the domain, or no C kernel for this input
            self._reject_invalid(X, values=False)
            sums = checked_count_sums(self, X, w, "Poisson")  # raises naming the rule
        return Stats(weight=np.full(X.shape[1], total_weight(w)), sum_x=sums[0],
                     sum_lgamma=sums[1])

    def _solve(self, stats, fixed):
        num, den = stats.sum_x.astype(float), stats.weight.astype(float)
        if self.prior is not None:
            num, den = num + self.prior.a - 1.0, den + self.prior.rate
            if np.any(num < 0):
                raise ValueError(
                    f"{self.prior!r} with a < 1 has no posterior mode for all-zero counts"
                )
        rate = num / den
        if "rate" in fixed:
            rate = np.where(np.isnan(fixed["rate"]), rate, fixed["rate"])
        if self.prior is None and np.any((stats.sum_x == 0) & np.isnan(fixed.get("rate", np.nan))):
            warnings.warn(
                "PoissonMLE: a column has only zero counts, so the MLE rate is 0, on the "
                "boundary: standard errors are not defined there. A prior such as "
                "prior=Gamma(a=2, rate=1) gives a positive estimate.",
                BoundaryWarning,
                stacklevel=4,
            )
        return {"rate": rate}

    def _loglik(self, stats, params):
        r = params["rate"]
        return special.xlogy(stats.sum_x, r) - stats.weight * r - stats.sum_lgamma

    def _information(self, stats, params):
        r = params["rate"]
        with np.errstate(divide="ignore", invalid="ignore"):
            info = np.where(r > 0, stats.sum_x / r**2, 0.0)
        return info[:, None, None]

    def _logpdf(self, X, params):
        r = params["rate"]
        lp = special.xlogy(X, r) - r - native.log_factorial(X)
        return np.where((X >= 0) & (X == np.floor(X)), lp, -np.inf)

    def _sample(self, params, n, rng):
        return rng.poisson(params["rate"], size=(n, params["rate"].size)).astype(float)


class BernoulliMLE(PartialFitMixin, DistributionMLE):
    """Bernoulli distribution fitted by maximum likelihood: ``p_ = mean(x)``.

    Each column of X holds 0/1 outcomes. With ``prior=Beta(a, b)`` the MAP estimate
    is ``(sum x + a - 1) / (n + a + b - 2)``.

    Parameters
    ----------
    prior : Beta or None, default=None
        Conjugate prior on ``p``; None for the MLE.
    fixed_params : dict or None, default=None
        ``{"p": value}`` holds ``p`` fixed.
    contamination : float, default=0.1
        Fraction of training samples below the novelty threshold ``offset_``.

    Attributes
    ----------
    p_ : ndarray of shape (n_features,)
        Probability of a 1 in each column.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import BernoulliMLE
    >>> flips = np.array([[1]] * 7 + [[0]] * 3)   # 7 heads in 10 flips
    >>> float(BernoulliMLE().fit(flips).p_[0])
    0.7
    """

    _param_names = ("p",)
    _bounds = {"p": (0.0, 1.0)}
    _supported_priors = (Beta,)
    _prior_param = "p"
    _integer_domain = True
    # all-zero weights are rejected before the values are read
    _sklearn_xfail_checks = domain_xfails("Bernoulli values must be 0 or 1",
                                          passing=("check_all_zero_sample_weights_error",))
    _fit_dtypes = (*native.COUNT_DTYPES, np.dtype(np.bool_))  # read without a float copy
    _stats_check_finite = True


    def _check_values(self, X):
        self._domain_error(X, (X != 0) & (X != 1), "Bernoulli values must be 0 or 1")

    def _suff_stats(self, X, w):
        d = X.shape[1]
        sum_x = native.integer_sums(X, 0.0, 1.0, None if unit_weights(w) else w)
        if sum_x is None:  # a value outside {0, 1}, or no C kernel for this input
            self._reject_invalid(X)
            sum_x = weighted_column_sums(X, w)
        return Stats(weight=np.full(d, total_weight(w)), sum_x=sum_x)

    def _solve(self, stats, fixed):
        num, den = stats.sum_x.astype(float), stats.weight.astype(float)
        if self.prior is not None:
            num = num + self.prior.a - 1.0
            den = den + self.prior.a + self.prior.b - 2.0
            if np.any(num < 0) or np.any(num > den):
                raise ValueError(
                    f"{self.prior!r} with a or b < 1 has no posterior mode for this data; "
                    "use a, b >= 1"
                )
        p = num / den
        if "p" in fixed:
            p = np.where(np.isnan(fixed["p"]), p, fixed["p"])
        free = np.isnan(fixed.get("p", np.full(p.shape, np.nan)))
        if self.prior is None and np.any(((p == 0) | (p == 1)) & free):
            warnings.warn(
                "BernoulliMLE: a column is all 0 or all 1, so the MLE of p is on the boundary "
                "(0 or 1): standard errors are not defined there. A prior such as "
                "prior=Beta(2, 2) gives an interior estimate.",
                BoundaryWarning,
                stacklevel=4,
            )
        return {"p": p}

    def _loglik(self, stats, params):
        p = params["p"]
        return special.xlogy(stats.sum_x, p) + special.xlog1py(stats.weight - stats.sum_x, -p)

    def _information(self, stats, params):
        p = params["p"]
        with np.errstate(divide="ignore", invalid="ignore"):
            info = stats.sum_x / p**2 + (stats.weight - stats.sum_x) / (1 - p) ** 2
        info = np.where((p > 0) & (p < 1), info, 0.0)
        return info[:, None, None]

    def _logpdf(self, X, params):
        p = params["p"]
        lp = special.xlogy(X, p) + special.xlog1py(1 - X, -p)
        return np.where((X == 0) | (X == 1), lp, -np.inf)

    def _sample(self, params, n, rng):
        return (rng.random((n, params["p"].size)) < params["p"]).astype(float)
