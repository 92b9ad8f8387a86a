"""Student's t distribution (location-scale), fitted by damped Newton's method."""

from __future__ import annotations

import numpy as np

from ..families.student_t import StudentT
from ._base import DistributionMLE
from ._gamma import IterativeFitMixin


class StudentTMLE(IterativeFitMixin, DistributionMLE):
    """Student's t distribution (df, loc, scale) fitted by maximum likelihood.

    A heavy-tailed, robust alternative to :class:`GaussianMLE`: the density is
    scipy's ``t(df, loc, scale)``. The fit maximises the log-likelihood over
    ``(log df, loc, log scale)`` by Newton's method with the exact Hessian, damped
    (Levenberg-Marquardt) where the Hessian is not negative definite and with a
    step-halving line search, so the log-likelihood never decreases from the robust
    start (median, scaled MAD of a strided subsample of at most 131072 rows,
    ``df = 4``). Each Newton iteration is one pass over the rows (the family
    :class:`~sklearn_mle.families.student_t.StudentT`). A free ``df`` is kept in
    [1e-3, 1e6]: data with tails no heavier than the Gaussian's drive it to the upper
    bound (the MLE is then ``df = inf``: the data are consistent with a normal
    distribution), which is reported with a
    :class:`~sklearn_mle.exceptions.BoundaryWarning`; a fixed ``df`` is used as given.

    There are no finite sufficient statistics, so there is no ``partial_fit`` and
    ``stats_`` holds the training data.

    Parameters
    ----------
    prior : None
        Only the MLE is implemented; a prior raises a ValueError.
    fixed_params : dict or None, default=None
        ``{"df": value}``, ``{"loc": value}`` and/or ``{"scale": value}``, a scalar or
        one value per column, NaN meaning free. ``{"df": 1.0}`` is the Cauchy model.
    contamination : float, default=0.1
        Fraction of training samples below the novelty threshold ``offset_``.
    cov_type : {'nonrobust', 'HC0', 'HC1'}, default='nonrobust'
        Covariance of the estimates: the inverse observed information, or the
        sandwich (HC0; HC1 times ``n / (n - k)``) robust to a misspecified family.
    max_iter : int, default=100
        Maximum number of Newton iterations.
    tol : float, default=1e-10
        Convergence tolerance on the Newton step in ``(log df, loc/scale, log scale)``.

    Attributes
    ----------
    df_, loc_, scale_ : ndarray of shape (n_features,)
        Estimated degrees of freedom, location and scale of each column.
    converged_ : bool
        Whether Newton's method converged in every column.
    n_iter_ : int
        Newton iterations used (the maximum over columns).
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide: likelihood, inference and novelty detection.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import StudentTMLE
    >>> x = np.array([[-1.2], [0.3], [0.1], [2.2], [-0.4], [0.6], [-9.0], [0.0], [0.8], [-0.2]])
    >>> est = StudentTMLE().fit(x)
    >>> round(float(est.df_[0]), 3), round(float(est.loc_[0]), 3), round(float(est.scale_[0]), 3)
    (0.969, 0.101, 0.476)
    """

    _param_names = ("df", "loc", "scale")
    _bounds = {"df": (0.0, np.inf), "scale": (0.0, np.inf)}
    _supported_priors = ()
    _finite_stats = False
    _stats_check_finite = True  # the family's statistics check NaN/inf in a reduction

    def _make_family(self, X=None, sample_weight=None):
        return StudentT(max_iter=self.max_iter, tol=self.tol)

