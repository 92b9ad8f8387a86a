"""Priors on regression coefficients: Laplace (L1), Student-t, Cauchy and Jeffreys (Firth).

All but :class:`Jeffreys` are elementwise: one independent prior per coefficient,
with ``logpdf``, ``grad`` and ``neg_hess`` (the diagonal of the negative Hessian of
the log-density) evaluated elementwise. :class:`Jeffreys` is not elementwise: it is
the penalty ``0.5 * log det I(beta)`` of Firth (1993), handled inside the solver.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ._base import Hyper, Prior, validate_hyper

__all__ = ["Cauchy", "Jeffreys", "Laplace", "StudentT"]


class Laplace(Prior):
    """Laplace(loc=0, scale) prior on each coefficient: the L1 (lasso) penalty.

    ``log p(b) = -|b| / scale - log(2 scale)``. The MAP fit of a logistic regression
    under ``Laplace(scale)`` minimises ``sum(log-loss) + ||coef||_1 / scale``, i.e.
    scikit-learn's ``LogisticRegression(penalty="l1", C=scale)``. The log-density is
    not differentiable at zero, so estimators solve it with a proximal Newton method;
    coefficients exactly at zero have no Laplace-approximation standard error.

    Parameters
    ----------
    scale : float, default=1.0
        Scale ``b`` (> 0); the prior standard deviation is ``sqrt(2) * b``.

    Examples
    --------
    >>> from sklearn_mle.priors import Laplace
    >>> float(Laplace(scale=2.0).logpdf(0.0))  # -log(4)
    -1.3862943611198906
    """

    _hyper = ("scale",)
    hyper_constraints = {"scale": Hyper("positive")}  # one value for every coefficient
    smooth = False

    def __init__(self, scale: float = 1.0):
        self.scale = scale
        validate_hyper(self)

    @property
    def l1_strength(self) -> float:
        """The L1 weight ``1 / scale`` in ``-log p = |b| / scale + const``."""
        return 1.0 / self.scale

    def logpdf(self, theta):
        b = np.asarray(theta, dtype=float)
        return -np.abs(b) / self.scale - np.log(2.0 * self.scale)

    def grad(self, theta):
        """Gradient away from zero (``0`` at exactly zero, where it is a subgradient set)."""
        return -np.sign(np.asarray(theta, dtype=float)) / self.scale

    def neg_hess(self, theta):
        return np.zeros(np.shape(theta))


class StudentT(Prior):
    """Student-t(df, loc=0, scale) prior on each coefficient.

    A heavy-tailed weakly informative prior: it keeps coefficients finite under
    separation while barely shrinking well-identified large effects. The
    log-density is not concave in the tails, so ``neg_hess`` can be negative; the
    solvers then use its positive part for the Newton direction and the exact value
    for the Laplace-approximation covariance.

    Parameters
    ----------
    df : float, default=7.0
        Degrees of freedom (> 0). ``df=1`` is the Cauchy.
    scale : float, default=2.5
        Scale (> 0).

    Examples
    --------
    >>> from scipy import stats
    >>> from sklearn_mle.priors import StudentT
    >>> p = StudentT(df=3, scale=2.0)
    >>> bool(abs(p.logpdf(1.5) - stats.t(3, scale=2.0).logpdf(1.5)) < 1e-12)
    True
    """

    _hyper = ("df", "scale")
    hyper_constraints = {"df": Hyper("positive"), "scale": Hyper("positive")}
    smooth = True

    def __init__(self, df: float = 7.0, scale: float = 2.5):
        self.df = df
        self.scale = scale
        validate_hyper(self)

    # written in z = b / scale so that a huge scale (Cauchy(1e300)) neither overflows
    # scale**2 nor loses the gradient: the prior is then flat, as it should be
    def logpdf(self, theta):
        nu, s = float(self.df), float(self.scale)
        z2 = (np.asarray(theta, dtype=float) / s) ** 2
        const = (
            special.gammaln((nu + 1) / 2)
            - special.gammaln(nu / 2)
            - 0.5 * np.log(nu * np.pi)
            - np.log(s)
        )
        return const - (nu + 1) / 2 * np.log1p(z2 / nu)

    def grad(self, theta):
        nu, s = float(self.df), float(self.scale)
        z = np.asarray(theta, dtype=float) / s
        return -(nu + 1) * z / (nu + z * z) / s

    def neg_hess(self, theta):
        nu, s = float(self.df), float(self.scale)
        z2 = (np.asarray(theta, dtype=float) / s) ** 2
        return (nu + 1) * (nu - z2) / (nu + z2) ** 2 / s / s


class Cauchy(StudentT):
    """Cauchy(loc=0, scale) prior on each coefficient (Student-t with ``df=1``).

    ``Cauchy(scale=2.5)`` is the weakly informative default of Gelman, Jakulin,
    Pittau & Su (2008, Ann. Appl. Stat. 2(4)), R's ``arm::bayesglm``: it gives finite
    estimates under complete separation. Gelman et al. first scale each non-binary
    input to standard deviation 0.5; here the prior applies to the coefficients of
    ``X`` as given, so standardise ``X`` (e.g. in a pipeline) to match their default.

    Parameters
    ----------
    scale : float, default=2.5
        Scale (> 0).

    Examples
    --------
    >>> from scipy import stats
    >>> from sklearn_mle.priors import Cauchy
    >>> bool(abs(Cauchy().logpdf(1.0) - stats.cauchy(scale=2.5).logpdf(1.0)) < 1e-12)
    True
    """

    _hyper = ("scale",)
    hyper_constraints = {"scale": Hyper("positive")}

    def __init__(self, scale: float = 2.5):
        self.scale = scale
        self.df = 1.0
        validate_hyper(self)


class Jeffreys(Prior):
    """Jeffreys prior on all coefficients jointly: Firth's bias-reduced likelihood.

    The log-prior is ``0.5 * log det I(beta)``, with ``I`` the Fisher information of
    the model (intercept included). For logistic regression this is Firth's (1993,
    Biometrika 80(1)) penalised likelihood, R's ``logistf``: estimates are finite
    under separation and have smaller small-sample bias. The solver adds the modified
    score ``0.5 * sum_i h_i * v'(eta_i) / v(eta_i) * x_i`` (``h`` the hat values); as
    in ``logistf``, the covariance reported is ``I(beta_hat)^{-1}``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import MLELogisticRegression
    >>> from sklearn_mle.priors import Jeffreys
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0, 0, 1, 1])  # completely separated: no finite MLE
    >>> clf = MLELogisticRegression(prior=Jeffreys()).fit(X, y)
    >>> bool(np.isfinite(clf.coef_).all())
    True
    """

    _hyper = ()
    smooth = True
