"""ExponentialMLE and GeometricMLE: thin shells over the Exponential and Geometric
families (closed-form MLEs from the count and the total)."""

from __future__ import annotations

import numpy as np

from .. import _native as native
from ..families.binary import Geometric
from ..families.exponential import Exponential
from ..priors import Beta, Gamma
from ._base import DistributionMLE, PartialFitMixin
from ._checks import domain_xfails


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
    cov_type : {'nonrobust', 'HC0', 'HC1'}, default='nonrobust'
        Covariance of the estimates: the inverse observed information, or the
        sandwich (HC0; HC1 times ``n / (n - k)``) robust to a misspecified family.

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
    A column whose values sum beyond the float64 range (about 1.8e308) raises a
    ValueError asking to rescale it (the rate of ``x / c`` is ``c * rate``).

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

    def _make_family(self, X=None, sample_weight=None):
        return Exponential()

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
    cov_type : {'nonrobust', 'HC0', 'HC1'}, default='nonrobust'
        Covariance of the estimates: the inverse observed information, or the
        sandwich (HC0; HC1 times ``n / (n - k)``) robust to a misspecified family.

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
    says so, and a ``Beta`` prior with ``b > 1`` gives an interior estimate. Trial
    counts whose sum exceeds the float64 range (about 1.8e308) raise a ValueError.

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

    def _make_family(self, X=None, sample_weight=None):
        return Geometric()
