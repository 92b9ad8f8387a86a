"""The Weibull distribution, fitted by Newton's method on the profile equation."""

from __future__ import annotations

import numpy as np

from ..families.weibull import Weibull
from ._base import DistributionMLE
from ._gamma import IterativeFitMixin, positive_domain_xfails


class WeibullMLE(IterativeFitMixin, DistributionMLE):
    """Weibull distribution (shape and scale) fitted by maximum likelihood.

    The density is ``(k/s) (x/s)**(k-1) exp(-(x/s)**k)`` for x > 0 (scipy's
    ``weibull_min(c=k, scale=s)``). Given the shape ``k`` the scale is closed form,
    ``s = (sum w x**k / n)**(1/k)``; the shape solves the profile equation
    ``1/k + mean(log x) - sum w x**k log x / sum w x**k = 0``, whose left side
    decreases in ``k``, by safeguarded Newton in ``log k`` with exact derivatives,
    started from the log-moment estimate ``k = pi / sqrt(6 var(log x))``, one pass
    over the rows per iteration (the family
    :class:`~sklearn_mle.families.weibull.Weibull`). The data
    are centred on the log scale (divided by their geometric mean) and every power
    ``x**k`` is computed relative to the largest, so values from 1e-300 to 1e300 fit
    without overflow.

    There are no finite sufficient statistics, so there is no ``partial_fit`` and
    ``stats_`` holds the training data (a :class:`DataStats`).

    Parameters
    ----------
    prior : None
        Only the MLE is implemented; a prior raises a ValueError.
    fixed_params : dict or None, default=None
        ``{"shape": value}`` and/or ``{"scale": value}``, a scalar or one value per
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
    shape_, scale_ : ndarray of shape (n_features,)
        Estimated shape and scale of each column.
    converged_ : bool
        Whether Newton's method converged in every column.
    n_iter_ : int
        Newton iterations used (the maximum over columns).
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide: likelihood, inference and novelty detection.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import WeibullMLE
    >>> x = np.array([[1.2], [0.7], [2.3], [1.9], [0.4], [1.5], [3.1], [1.1]])
    >>> est = WeibullMLE().fit(x)
    >>> round(float(est.shape_[0]), 4), round(float(est.scale_[0]), 4)
    (1.9528, 1.7251)
    """

    _param_names = ("shape", "scale")
    _bounds = {"shape": (0.0, np.inf), "scale": (0.0, np.inf)}
    _supported_priors = ()
    _finite_stats = False
    _stats_check_finite = True  # the family's statistics check NaN/inf in a reduction
    _sklearn_xfail_checks = positive_domain_xfails("Weibull data must be strictly positive")

    def _make_family(self, X=None, sample_weight=None):
        return Weibull(max_iter=self.max_iter, tol=self.tol)
