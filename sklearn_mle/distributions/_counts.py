"""PoissonMLE and BernoulliMLE: closed-form MLEs from counts and totals."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special

from .. import _native as native
from ..exceptions import BoundaryWarning
from ..families._count_sums import weighted_column_sums
from ..families._stats import Stats, total_weight, unit_weights
from ..families.poisson import Poisson
from ..priors import Beta, Gamma
from ._base import DistributionMLE, PartialFitMixin, domain_xfails


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

    def _make_family(self, X=None):
        return Poisson()


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
