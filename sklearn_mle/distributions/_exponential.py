"""Exponential and geometric: closed-form MLEs from the count and the total."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special

from .. import _native as native
from ..exceptions import BoundaryWarning
from ..families._count_sums import weighted_column_sums
from ..families._stats import Stats, total_weight, unit_weights
from ..priors import Beta, Gamma
from ._base import DistributionMLE, PartialFitMixin, domain_xfails

_INTEGER_MAX = 2.0**52 - 1  # larger trial counts take the NumPy path


def check_non_negative(est, X, rule):
    """ValueError for negative values (sklearn's "Negative values in data" wording)."""
    est._domain_error(X, X < 0, f"Negative values in data are outside the support: {rule}")


class ExponentialMLE(PartialFitMixin, DistributionMLE):
    """Exponential distribution fitted by maximum likelihood: ``rate_ = n / sum(x)``.

    Each column of X is a separate exponential variable on ``x >= 0``, with density
    ``rate * exp(-rate * x)`` (``scipy.stats.expon(scale=1 / rate)``). With
    ``prior=Gamma(a, rate)`` the MAP rate is ``(n + a - 1) / (sum x + rate)``.

    Parameters
    ----------
    prior : Gamma or None, default=None
        Conjugate prior on the rate; None for the MLE.
    fixed_params : dict or None, default=None
        ``{"rate": value}`` holds the rate fixed (a scalar, or one value per column
        with NaN for the columns left free).
    contamination : float, default=0.1
        Fraction of training samples below the novelty threshold ``offset_``.

    Attributes
    ----------
    rate_ : ndarray of shape (n_features,)
        Estimated rate of each column (the inverse of its mean).
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide: likelihood, inference and novelty detection.

    Notes
    -----
    A column of zeros has no MLE (the likelihood grows without bound as the rate
    grows): the estimator warns with a :class:`BoundaryWarning` and returns an
    infinite rate; a ``Gamma`` prior with ``rate > 0`` gives a finite estimate.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import ExponentialMLE
    >>> waits = np.array([[0.5], [1.5], [2.0], [4.0]])   # mean 2.0
    >>> est = ExponentialMLE().fit(waits)
    >>> float(est.rate_[0]), float(est.bse_[0])   # rate / sqrt(n)
    (0.5, 0.25)
    """

    _param_names = ("rate",)
    _bounds = {"rate": (0.0, np.inf)}
    _supported_priors = (Gamma,)
    _prior_param = "rate"

    _stats_check_finite = True


    def _check_values(self, X):
        check_non_negative(self, X, "exponential data must be >= 0")

    def _suff_stats(self, X, w):
        d = X.shape[1]
        sums = native.moment_sums(X, np.zeros(d), with_min=True) if unit_weights(w) else None
        if sums is not None and np.all(sums[2] >= 0):  # one fused C pass, checked
            sum_x = sums[0]
        else:
            self._reject_invalid(X)
            sum_x = weighted_column_sums(X, w)
        return Stats(weight=np.full(d, total_weight(w)), sum_x=sum_x)

    def _solve(self, stats, fixed):
        num, den = stats.weight.astype(float), stats.sum_x.astype(float)
        if self.prior is not None:
            num, den = num + self.prior.a - 1.0, den + self.prior.rate
            if np.any(num <= 0):
                raise ValueError(
                    f"{self.prior!r} with a < 1 has no posterior mode for so little data; "
                    "use a >= 1"
                )
        with np.errstate(divide="ignore"):
            rate = num / den
        free = np.isnan(fixed.get("rate", np.full(rate.shape, np.nan)))
        rate = np.where(free, rate, fixed.get("rate", rate))
        if np.any(np.isinf(rate) & free):
            warnings.warn(
                "ExponentialMLE: a column has only zeros, so the likelihood increases "
                "without bound as the rate grows: the MLE does not exist and rate_ is inf. "
                "A prior such as prior=Gamma(a=2, rate=1) gives a finite estimate.",
                BoundaryWarning,
                stacklevel=4,
            )
        return {"rate": rate}

    def _loglik(self, stats, params):
        r = params["rate"]
        with np.errstate(invalid="ignore"):
            out = special.xlogy(stats.weight, r) - r * stats.sum_x
        # rate = inf on an all-zero column: the supremum of the likelihood, +inf
        return np.where(np.isinf(r) & (stats.sum_x == 0), np.inf, out)

    def _information(self, stats, params):
        r = params["rate"]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            info = stats.weight / r**2
        return np.where(np.isfinite(r) & (r > 0), info, 0.0)[:, None, None]

    def _logpdf(self, X, params):
        r = params["rate"]
        with np.errstate(invalid="ignore"):
            lp = np.log(r) - r * X
        return np.where(X >= 0, lp, -np.inf)

    def _sample(self, params, n, rng):
        return rng.exponential(size=(n, params["rate"].size)) / params["rate"]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags


# sklearn checks that fit on data outside the support (reason given per check)
_GEOMETRIC_XFAIL_REASON = (
    "the geometric support starts at 1 and sklearn's test data (non-negative integers "
    "under the positive_only and categorical tags) contains 0; the same checks pass on "
    "X + 1 in tests/test_closed_form_families.py"
)
_GEOMETRIC_PASSING = (
    "check_positive_only_tag_during_fit",
    "check_estimators_pickle(readonly_memmap=True)",
    "check_sample_weights_not_overwritten",
    "check_sample_weights_shape",
    "check_all_zero_sample_weights_error",  # weights are rejected before the values
)


class GeometricMLE(PartialFitMixin, DistributionMLE):
    """Geometric distribution fitted by maximum likelihood: ``p_ = n / sum(x)``.

    ``x`` is the number of trials up to and including the first success, so the
    support is ``1, 2, 3, ...`` and ``P(x = k) = p (1 - p)^(k - 1)``: the convention
    of ``scipy.stats.geom``. (For the number of failures before the first success,
    fit ``x + 1``.) With ``prior=Beta(a, b)`` the MAP estimate is
    ``(n + a - 1) / (sum x + a + b - 2)``.

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
        Success probability of each column.
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide: likelihood, inference and novelty detection.

    Notes
    -----
    A column of ones (every first trial succeeded) puts the MLE on the boundary
    ``p = 1``, where standard errors are not defined: a :class:`BoundaryWarning`
    says so, and a ``Beta`` prior with ``b > 1`` gives an interior estimate.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import GeometricMLE
    >>> trials = np.array([[1], [3], [2], [6]])   # 4 successes in 12 trials
    >>> float(GeometricMLE().fit(trials).p_[0])
    0.3333333333333333
    """

    _count_input = True
    _param_names = ("p",)
    _bounds = {"p": (0.0, 1.0)}
    _supported_priors = (Beta,)
    _prior_param = "p"
    _integer_domain = True

    _sklearn_xfail_checks = {
        **domain_xfails("", passing=_GEOMETRIC_PASSING, reason=_GEOMETRIC_XFAIL_REASON),
        "check_sample_weight_equivalence_on_dense_data": (
            "the check fits uniform floats in [0, 1) without applying the input tags, and "
            "geometric trial counts must be integers >= 1; integer weights == repeated rows "
            "is tested in tests/test_closed_form_families.py"
        ),
    }

    _fit_dtypes = native.COUNT_DTYPES  # integer counts are read without a float copy
    _stats_check_finite = True


    def _check_values(self, X):
        check_non_negative(self, X, "geometric trial counts must be integers >= 1")
        bad = (X < 1) | (X != np.floor(X))
        self._domain_error(X, bad, "geometric trial counts must be integers >= 1 (trials "
                           "up to and including the first success)")

    def _suff_stats(self, X, w):
        d = X.shape[1]
        sum_x = native.integer_sums(X, 1.0, _INTEGER_MAX, None if unit_weights(w) else w)
        if sum_x is None:  # a value outside the support, or no C kernel for this input
            self._reject_invalid(X)
            sum_x = weighted_column_sums(X, w)
        return Stats(weight=np.full(d, total_weight(w)), sum_x=sum_x)

    def _solve(self, stats, fixed):
        num, den = stats.weight.astype(float), stats.sum_x.astype(float)
        if self.prior is not None:
            num = num + self.prior.a - 1.0
            den = den + self.prior.a + self.prior.b - 2.0
            if np.any(num < 0) or np.any(num > den) or np.any(den <= 0):
                raise ValueError(
                    f"{self.prior!r} with a or b < 1 has no posterior mode for this data; "
                    "use a, b >= 1"
                )
        p = num / den
        free = np.isnan(fixed.get("p", np.full(p.shape, np.nan)))
        p = np.where(free, p, fixed.get("p", p))
        if self.prior is None and np.any((p >= 1) & free):
            warnings.warn(
                "GeometricMLE: a column has only ones (every first trial succeeded), so the "
                "MLE of p is 1, on the boundary: standard errors are not defined there. A "
                "prior such as prior=Beta(2, 2) gives an interior estimate.",
                BoundaryWarning,
                stacklevel=4,
            )
        return {"p": p}

    def _loglik(self, stats, params):
        p = params["p"]
        return special.xlogy(stats.weight, p) + special.xlog1py(
            stats.sum_x - stats.weight, -p
        )

    def _information(self, stats, params):
        p = params["p"]
        with np.errstate(divide="ignore", invalid="ignore"):
            info = stats.weight / p**2 + (stats.sum_x - stats.weight) / (1 - p) ** 2
        return np.where((p > 0) & (p < 1), info, 0.0)[:, None, None]

    def _logpdf(self, X, params):
        p = params["p"]
        lp = np.log(p) + special.xlog1py(X - 1, -p)
        return np.where((X >= 1) & (X == np.floor(X)), lp, -np.inf)

    def _sample(self, params, n, rng):
        return rng.geometric(params["p"], size=(n, params["p"].size)).astype(float)

