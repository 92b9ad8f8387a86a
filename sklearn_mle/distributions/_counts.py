"""PoissonMLE and BernoulliMLE: thin shells over the Poisson and Bernoulli families."""

from __future__ import annotations

import numpy as np

from .. import _native as native
from ..families.binary import Bernoulli
from ..families.poisson import Poisson
from ..priors import Beta, Gamma
from ._base import DistributionMLE, PartialFitMixin
from ._checks import domain_xfails


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
    cov_type : {'nonrobust', 'HC0', 'HC1'}, default='nonrobust'
        Covariance of the estimates: the inverse observed information, or the
        sandwich (HC0; HC1 times ``n / (n - k)``) robust to a misspecified family.

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

    def _make_family(self, X=None, sample_weight=None):
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
    cov_type : {'nonrobust', 'HC0', 'HC1'}, default='nonrobust'
        Covariance of the estimates: the inverse observed information, or the
        sandwich (HC0; HC1 times ``n / (n - k)``) robust to a misspecified family.

    Attributes
    ----------
    p_ : ndarray of shape (n_features,)
        Probability of a 1 in each column.
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide: likelihood, inference and novelty detection. ``stats_`` are
        the statistics of :class:`~sklearn_mle.families.binary.Bernoulli`: ``weight``,
        ``successes`` and ``failures``.

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

    def _make_family(self, X=None, sample_weight=None):
        return Bernoulli()
