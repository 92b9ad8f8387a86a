"""Conjugate priors of the distribution families (and the Normal coefficient prior)."""

from __future__ import annotations

import numpy as np
from scipy import special

from ._base import Prior, check_positive


class Beta(Prior):
    """Beta(a, b) prior on a probability ``p``.

    Conjugate for Bernoulli, binomial and geometric likelihoods: the MAP estimate
    adds ``a - 1`` pseudo-successes and ``b - 1`` pseudo-failures to the data.

    Parameters
    ----------
    a, b : float, default=1.0
        Shape parameters (> 0). ``Beta(1, 1)`` is flat: MAP equals the MLE.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import BernoulliMLE
    >>> from sklearn_mle.priors import Beta
    >>> flips = np.array([[1]] * 7 + [[0]] * 3)
    >>> float(BernoulliMLE(prior=Beta(2, 2)).fit(flips).p_[0])  # (7 + 1) / (10 + 2)
    0.6666666666666666
    """

    _hyper = ("a", "b")

    def __init__(self, a: float = 1.0, b: float = 1.0):
        self.a = check_positive("a", a, "Beta")
        self.b = check_positive("b", b, "Beta")

    def pseudo_stats(self, family, n_features):
        """``a - 1`` pseudo-successes and ``b - 1`` pseudo-failures of ``family``."""
        if not hasattr(family, "probability_stats"):
            return super().pseudo_stats(family, n_features)
        return family.probability_stats(self.a - 1.0, self.b - 1.0, n_features)

    def logpdf(self, theta):
        p = np.asarray(theta, dtype=float)
        return (
            special.xlogy(self.a - 1, p)
            + special.xlog1py(self.b - 1, -p)
            - special.betaln(self.a, self.b)
        )

    def grad(self, theta):
        p = np.asarray(theta, dtype=float)
        return (self.a - 1) / p - (self.b - 1) / (1 - p)

    def neg_hess(self, theta):
        p = np.asarray(theta, dtype=float)
        return (self.a - 1) / p**2 + (self.b - 1) / (1 - p) ** 2


class Gamma(Prior):
    """Gamma(a, rate) prior on a positive rate.

    Conjugate for Poisson and exponential rates: MAP adds ``a - 1`` pseudo-events
    and ``rate`` pseudo-observations, e.g. Poisson: ``(sum x + a - 1) / (n + rate)``.

    Parameters
    ----------
    a : float, default=1.0
        Shape (> 0).
    rate : float, default=0.0
        Rate (>= 0). ``Gamma(1, 0)`` is flat (improper): MAP equals the MLE.
    """

    _hyper = ("a", "rate")

    def __init__(self, a: float = 1.0, rate: float = 0.0):
        self.a = check_positive("a", a, "Gamma")
        if not np.isfinite(rate) or rate < 0:
            raise ValueError(f"Gamma: hyper-parameter rate must be finite and >= 0, got {rate!r}")
        self.rate = rate

    def pseudo_stats(self, family, n_features):
        """``a - 1`` pseudo-events over ``rate`` of exposure, in ``family``'s terms."""
        if not hasattr(family, "rate_stats"):
            return super().pseudo_stats(family, n_features)
        return family.rate_stats(self.a - 1.0, self.rate, n_features)

    def logpdf(self, theta):
        lam = np.asarray(theta, dtype=float)
        const = self.a * np.log(self.rate) - special.gammaln(self.a) if self.rate > 0 else 0.0
        return const + special.xlogy(self.a - 1, lam) - self.rate * lam

    def grad(self, theta):
        lam = np.asarray(theta, dtype=float)
        return (self.a - 1) / lam - self.rate

    def neg_hess(self, theta):
        lam = np.asarray(theta, dtype=float)
        return (self.a - 1) / lam**2


class Dirichlet(Prior):
    """Dirichlet(alpha) prior on a probability vector.

    Conjugate for categorical probabilities and mixture weights: MAP adds
    ``alpha - 1`` pseudo-counts to each category.

    Parameters
    ----------
    alpha : float or array-like, default=1.0
        Concentration (> 0), a scalar for a symmetric prior. ``1`` is flat.
    """

    _hyper = ("alpha",)

    def __init__(self, alpha=1.0):
        self.alpha = check_positive("alpha", alpha, "Dirichlet")

    def pseudo_counts(self, n_categories):
        a = np.broadcast_to(np.asarray(self.alpha, dtype=float), (n_categories,))
        return a - 1.0

    def pseudo_stats(self, family, n_features):
        """``alpha - 1`` pseudo-counts per category, in ``family``'s terms."""
        if not hasattr(family, "category_stats"):
            return super().pseudo_stats(family, n_features)
        return family.category_stats(np.asarray(self.alpha, dtype=float) - 1.0, n_features)

    def logpdf(self, theta):
        p = np.asarray(theta, dtype=float)
        a = np.broadcast_to(np.asarray(self.alpha, dtype=float), p.shape)
        return float(
            np.sum(special.xlogy(a - 1, p)) - np.sum(special.gammaln(a)) + special.gammaln(a.sum())
        )


class Normal(Prior):
    """Normal(loc, scale) prior, elementwise, on real parameters.

    On regression coefficients it is the L2 (ridge) penalty: a Normal(0, s) prior
    on each coefficient equals scikit-learn's ``LogisticRegression(C=s**2)``.
    On a Gaussian mean with known variance it is conjugate.

    Parameters
    ----------
    scale : float, default=1.0
        Standard deviation (> 0).
    loc : float, default=0.0
        Mean.
    """

    _hyper = ("scale", "loc")

    def __init__(self, scale: float = 1.0, loc: float = 0.0):
        self.scale = check_positive("scale", scale, "Normal")
        self.loc = loc

    def logpdf(self, theta):
        z = (np.asarray(theta, dtype=float) - self.loc) / self.scale
        return -0.5 * z**2 - np.log(self.scale) - 0.5 * np.log(2 * np.pi)

    def grad(self, theta):
        return -(np.asarray(theta, dtype=float) - self.loc) / self.scale**2

    def neg_hess(self, theta):
        return np.full(np.shape(theta), 1.0 / self.scale**2)


class NormalInverseGamma(Prior):
    """Normal-inverse-gamma prior on a Gaussian's (mean, variance), per column.

    ``variance ~ InvGamma(alpha, beta)`` and ``mean | variance ~ N(mu, variance / kappa)``.
    Conjugate for the Gaussian: the posterior mode is closed form. Unset
    hyper-parameters (``None``) default from the data as R's mclust does
    (Fraley & Raftery 2007): ``mu`` = the data mean, ``beta`` = the data variance
    times ``alpha``-ish scale, so the prior is weak but keeps variances positive.

    Parameters
    ----------
    mu : float or array-like or None, default=None
        Prior mean (None: the data mean).
    kappa : float, default=0.01
        Prior pseudo-observations for the mean (> 0).
    alpha : float, default=1.0
        Inverse-gamma shape (> 0).
    beta : float or array-like or None, default=None
        Inverse-gamma scale (> 0). None: ``alpha`` times the data variance divided by
        the number of observations, i.e. one pseudo-observation's worth.
    """

    _hyper = ("mu", "kappa", "alpha", "beta")

    def __init__(self, mu=None, kappa: float = 0.01, alpha: float = 1.0, beta=None):
        self.mu = mu
        self.kappa = check_positive("kappa", kappa, "NormalInverseGamma")
        self.alpha = check_positive("alpha", alpha, "NormalInverseGamma")
        if beta is not None:
            check_positive("beta", beta, "NormalInverseGamma")
        self.beta = beta
