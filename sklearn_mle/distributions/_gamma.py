"""GammaMLE: the gamma family (:mod:`sklearn_mle.families.gamma`) as an estimator.

Also home of the plumbing shared by the numerically fitted estimators (gamma, beta,
Weibull, negative binomial, Student-t): the ``max_iter``/``tol`` parameters and
``converged_``/``n_iter_`` with the :class:`~sklearn.exceptions.ConvergenceWarning`,
read from the family's :class:`~sklearn_mle.families.ModeResult`.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval

from ..families.gamma import Gamma, inverse_digamma
from ..families.weibull import newton_decreasing
from ..priors import Gamma as GammaPrior
from ._base import DistributionMLE, PartialFitMixin
from ._checks import domain_xfails

__all__ = ["GammaMLE", "IterativeFitMixin", "inverse_digamma", "newton_decreasing",
           "positive_domain_xfails"]


class IterativeFitMixin:
    """``max_iter``/``tol`` parameters, ``converged_``/``n_iter_`` and convergence warnings.

    A family's ``_solve`` calls :meth:`_record_solve` once with whether every column
    converged and the number of iterations used; ``fit`` copies them to ``converged_``
    and ``n_iter_`` and a non-converged fit warns with a ``ConvergenceWarning``.
    """

    _parameter_constraints: dict = {
        # scikit-learn's idiom: a subclass extends its base's constraints
        **DistributionMLE._parameter_constraints,  # noqa: SLF001
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0.0, None, closed="left")],
    }

    def __init__(self, *, prior=None, fixed_params=None, contamination=0.1, max_iter=100,
                 tol=1e-10, cov_type="nonrobust"):
        self.prior = prior
        self.fixed_params = fixed_params
        self.contamination = contamination
        self.cov_type = cov_type
        self.max_iter = max_iter
        self.tol = tol

    def _record_solve(self, converged, n_iter):
        converged = bool(np.all(converged))
        self._last_solve = (converged, int(n_iter))
        if not converged:
            warnings.warn(
                f"{type(self).__name__} did not converge in max_iter={self.max_iter} "
                f"iterations (tol={self.tol}). Increase max_iter, loosen tol, or check the "
                "data for extreme values; the estimates returned are the best found so far.",
                ConvergenceWarning,
                stacklevel=7,
            )

    def _fit_from_stats(self, stats):
        self._last_solve = (True, 0)
        self._last_mode = None
        super()._fit_from_stats(stats)
        mode = self._last_mode  # a family's ModeResult says how its solve went
        if mode is not None and hasattr(mode, "converged"):
            self._record_solve(mode.converged, mode.n_iter)
        self.converged_, self.n_iter_ = self._last_solve


# The sklearn checks whose random data include values <= 0 (the rest use positive data)
_POSITIVE_DOMAIN_FAILS = (  # not check_all_zero_sample_weights_error: weights come first
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_estimators_pickle(readonly_memmap=True)",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
)


def positive_domain_xfails(rule):
    """The sklearn checks that feed values <= 0 to a family of positive data."""
    return {k: v for k, v in domain_xfails(rule).items() if k in _POSITIVE_DOMAIN_FAILS}


class GammaMLE(IterativeFitMixin, PartialFitMixin, DistributionMLE):
    """Gamma distribution fitted by maximum likelihood (shape and rate).

    The density is ``rate**shape x**(shape-1) exp(-rate x) / Gamma(shape)`` for x > 0
    (scipy's ``gamma(a=shape, scale=1/rate)``). The sufficient statistics are the
    weight, ``sum x`` and ``sum log x``, so ``partial_fit`` is exact. The shape solves
    ``log(shape) - digamma(shape) = log(mean x) - mean(log x)`` by Newton's method in
    ``log(shape)``, started from Minka's (2002) closed-form approximation; then
    ``rate = shape / mean``. Columns are fitted independently and simultaneously.

    Parameters
    ----------
    prior : Gamma or None, default=None
        A Gamma(a, rate) prior on the rate parameter (conjugate given the shape);
        None for the MLE. The prior's ``a`` must be at least 1.
    fixed_params : dict or None, default=None
        ``{"shape": value}`` and/or ``{"rate": value}``, a scalar or one value per
        column, NaN meaning free. ``{"shape": 1.0}`` is the exponential model.
    contamination : float, default=0.1
        Fraction of training samples below the novelty threshold ``offset_``.
    cov_type : {'nonrobust', 'HC0', 'HC1'}, default='nonrobust'
        Covariance of the estimates: the inverse observed information, or the
        sandwich (HC0; HC1 times ``n / (n - k)``) robust to a misspecified family.
    max_iter : int, default=100
        Maximum number of Newton iterations.
    tol : float, default=1e-10
        Convergence tolerance on the Newton step in ``log(shape)``.

    Attributes
    ----------
    shape_ : ndarray of shape (n_features,)
        Estimated shape of each column.
    rate_ : ndarray of shape (n_features,)
        Estimated rate (inverse scale) of each column.
    converged_ : bool
        Whether the Newton iterations converged in every column.
    n_iter_ : int
        Newton iterations used (the maximum over columns).
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide: likelihood, inference and novelty detection.

    See Also
    --------
    WeibullMLE : another two-parameter family for positive data.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import GammaMLE
    >>> x = np.array([[0.8], [1.7], [2.1], [3.4], [0.5], [1.2], [2.6], [1.9]])
    >>> est = GammaMLE().fit(x)
    >>> round(float(est.shape_[0]), 4), round(float(est.rate_[0]), 4)
    (3.4079, 1.92)
    >>> expo = GammaMLE(fixed_params={"shape": 1.0}).fit(x)   # exponential model
    >>> round(float(expo.rate_[0]), 4)
    0.5634
    """

    _param_names = ("shape", "rate")
    _bounds = {"shape": (0.0, np.inf), "rate": (0.0, np.inf)}
    _supported_priors = (GammaPrior,)
    _prior_param = "rate"
    _sklearn_xfail_checks = positive_domain_xfails("gamma data must be strictly positive")

    _stats_check_finite = True  # NaN/inf make log x non-finite: caught in the statistics

    def _make_family(self, X=None, sample_weight=None):
        return Gamma(max_iter=self.max_iter, tol=self.tol)

    def _check_domain(self, X):
        # x > 0 is checked in the family's statistics pass (log x is finite exactly then)
        if self.prior is not None and self.prior.a < 1:
            raise ValueError(
                f"GammaMLE: {self.prior!r} on the rate needs a >= 1 for a posterior mode "
                "to exist for every shape; use a >= 1"
            )
