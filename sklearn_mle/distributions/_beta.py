"""BetaMLE: the beta family (:mod:`sklearn_mle.families.beta`) as an estimator."""

from __future__ import annotations

import numpy as np

from ..families.beta import Beta
from ._base import DistributionMLE, PartialFitMixin
from ._checks import domain_xfails
from ._gamma import IterativeFitMixin


class BetaMLE(IterativeFitMixin, PartialFitMixin, DistributionMLE):
    """Beta distribution on the open interval (0, 1), fitted by maximum likelihood.

    The density is ``x**(a-1) (1-x)**(b-1) / B(a, b)`` (scipy's ``beta(a, b)``).
    The sufficient statistics are the weight, ``sum log x`` and ``sum log(1-x)``
    (plus ``sum x`` and ``sum x**2`` for the starting point), so ``partial_fit`` is
    exact. The log-likelihood is concave in ``(a, b)``: Newton's method with the
    exact Hessian (trigamma functions) and step halving, started from the method of
    moments, converges to the unique maximum. Columns are fitted independently.

    Parameters
    ----------
    prior : None
        Only the MLE is implemented; a prior raises a ValueError.
    fixed_params : dict or None, default=None
        ``{"a": value}`` and/or ``{"b": value}``, a scalar or one value per column,
        NaN meaning free.
    contamination : float, default=0.1
        Fraction of training samples below the novelty threshold ``offset_``.
    cov_type : {'nonrobust', 'HC0', 'HC1'}, default='nonrobust'
        Covariance of the estimates: the inverse observed information, or the
        sandwich (HC0; HC1 times ``n / (n - k)``) robust to a misspecified family.
    max_iter : int, default=100
        Maximum number of Newton iterations.
    tol : float, default=1e-10
        Convergence tolerance on the relative Newton step.

    Attributes
    ----------
    a_, b_ : ndarray of shape (n_features,)
        Estimated shape parameters of each column.
    converged_ : bool
        Whether Newton's method converged in every column.
    n_iter_ : int
        Newton iterations used.
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide: likelihood, inference and novelty detection.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import BetaMLE
    >>> x = np.array([[0.12], [0.35], [0.41], [0.22], [0.58], [0.30], [0.27], [0.49]])
    >>> est = BetaMLE().fit(x)
    >>> round(float(est.a_[0]), 4), round(float(est.b_[0]), 4)
    (3.6757, 7.0777)
    """

    _param_names = ("a", "b")
    _bounds = {"a": (0.0, np.inf), "b": (0.0, np.inf)}
    _supported_priors = ()
    _sklearn_xfail_checks = {
        k: v
        for k, v in domain_xfails("beta data must lie strictly between 0 and 1").items()
        # these checks happen to use data inside (0, 1), or (all-zero weights) check the
        # weights before the data
        if k not in ("check_all_zero_sample_weights_error",
                     "check_dtype_object", "check_estimators_nan_inf",
                     "check_fit_score_takes_y", "check_sample_weights_list",
                     "check_sample_weight_equivalence_on_dense_data")
    }

    _stats_check_finite = True  # the family's statistics pass checks NaN/inf

    def _make_family(self, X=None, sample_weight=None):
        return Beta(max_iter=self.max_iter, tol=self.tol)
