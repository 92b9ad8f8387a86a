"""The negative binomial distribution, fitted by Newton's method on the profile equation."""

from __future__ import annotations

import numpy as np

from ..families.negative_binomial import NegativeBinomial
from ._base import DistributionMLE
from ._gamma import IterativeFitMixin


class NegativeBinomialMLE(IterativeFitMixin, DistributionMLE):
    """Negative binomial distribution for over-dispersed counts, fitted by maximum likelihood.

    scipy's ``nbinom(n=r, p=p)`` convention: the number of failures before the
    ``r``-th success, ``pmf(x) = C(x + r - 1, x) p**r (1 - p)**x``, mean
    ``r (1 - p) / p`` and variance ``mean + mean**2 / r``. Given ``r`` the MLE of
    ``p`` is ``r / (r + mean)``; ``r`` solves the profile equation by safeguarded
    Newton in ``log r``, started from the method of moments
    ``r = mean**2 / (var - mean)``. Each column of counts up to 16384 is reduced to a
    histogram first (one pass), so the iterations cost nothing per row, and the
    digamma differences are exact harmonic sums; larger counts take one pass per
    iteration (the family
    :class:`~sklearn_mle.families.negative_binomial.NegativeBinomial`).

    The MLE exists only for over-dispersed data (variance above the mean, Anscombe
    1950); otherwise ``r`` tends to infinity (the Poisson limit): the estimator warns
    and caps ``r``, and :class:`PoissonMLE` is the right model. There are no finite
    sufficient statistics, so there is no ``partial_fit``; ``stats_`` holds the data.

    Parameters
    ----------
    prior : None
        Only the MLE is implemented; a prior raises a ValueError.
    fixed_params : dict or None, default=None
        ``{"r": value}`` and/or ``{"p": value}``, a scalar or one value per column,
        NaN meaning free. A fixed integer ``r`` is the Pascal distribution.
    contamination : float, default=0.1
        Fraction of training samples below the novelty threshold ``offset_``.
    cov_type : {'nonrobust', 'HC0', 'HC1'}, default='nonrobust'
        Covariance of the estimates: the inverse observed information, or the
        sandwich (HC0; HC1 times ``n / (n - k)``) robust to a misspecified family.
    max_iter : int, default=100
        Maximum number of Newton iterations.
    tol : float, default=1e-10
        Convergence tolerance on the Newton step in ``log(r)``.

    Attributes
    ----------
    r_ : ndarray of shape (n_features,)
        Estimated number of successes (dispersion; need not be an integer).
    p_ : ndarray of shape (n_features,)
        Estimated success probability.
    converged_ : bool
        Whether Newton's method converged in every column.
    n_iter_ : int
        Newton iterations used (the maximum over columns).
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide: likelihood, inference and novelty detection.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import NegativeBinomialMLE
    >>> counts = np.array([[0], [3], [1], [7], [2], [0], [12], [4], [1], [5]])
    >>> est = NegativeBinomialMLE().fit(counts)
    >>> round(float(est.r_[0]), 4), round(float(est.p_[0]), 4)
    (1.1598, 0.2489)
    """

    _count_input = True
    _param_names = ("r", "p")
    _bounds = {"r": (0.0, np.inf), "p": (0.0, 1.0)}
    _supported_priors = ()
    _integer_domain = True
    _finite_stats = False
    _stats_check_finite = True  # the family's statistics check NaN/inf in a reduction
    _sklearn_xfail_checks = {
        "check_sample_weight_equivalence_on_dense_data": (
            "this check draws X from uniform floats, ignoring the integer input tag"
        )
    }

    def _make_family(self, X=None, sample_weight=None):
        return NegativeBinomial(max_iter=self.max_iter, tol=self.tol)
