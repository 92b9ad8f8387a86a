"""Conjugate priors of the distribution families (and the Normal coefficient prior)."""

from __future__ import annotations

import numpy as np
from scipy import special

from ._base import Hyper, Prior, validate_hyper


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
    hyper_constraints = {"a": Hyper("positive"), "b": Hyper("positive")}

    def __init__(self, a: float = 1.0, b: float = 1.0):
        self.a = a
        self.b = b
        validate_hyper(self)

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
    hyper_constraints = {"a": Hyper("positive"), "rate": Hyper("nonnegative")}

    def __init__(self, a: float = 1.0, rate: float = 0.0):
        self.a = a
        self.rate = rate
        validate_hyper(self)

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

    Conjugate for categorical and multinomial probabilities and mixture weights: MAP
    adds ``alpha - 1`` pseudo-counts to each category.

    Parameters
    ----------
    alpha : float or array-like, default=1.0
        Concentration (> 0), a scalar for a symmetric prior, or one value per
        category (1-D). ``1`` is flat.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.priors import Dirichlet
    >>> Dirichlet(2.0).concentrations(3).tolist()
    [2.0, 2.0, 2.0]
    >>> Dirichlet([1.0, 2.0]).concentrations(3)
    Traceback (most recent call last):
    ...
    ValueError: Dirichlet: alpha has 2 concentrations but there are 3 categories; ...
    """

    _hyper = ("alpha",)
    hyper_constraints = {"alpha": Hyper("positive", "vector")}

    def __init__(self, alpha=1.0):
        self.alpha = alpha
        validate_hyper(self)

    def concentrations(self, n_categories, where=None):
        """``alpha`` as one value per category, shape (n_categories,).

        A ValueError says so when a vector ``alpha`` has another length (``where``
        names what has ``n_categories`` categories, e.g. a column).
        """
        a = np.asarray(self.alpha, dtype=float)
        k = int(n_categories)
        if a.ndim and a.size != k:
            there = f"{where} has" if where else "there are"
            raise ValueError(
                f"Dirichlet: alpha has {a.size} concentrations but {there} {k} categories; "
                "use a scalar alpha or one value per category"
            )
        return np.broadcast_to(a, (k,)).copy()

    def pseudo_counts(self, n_categories):
        """``alpha - 1`` per category (checked against ``n_categories``)."""
        return self.concentrations(n_categories) - 1.0

    def pseudo_stats(self, family, n_features):
        """``alpha - 1`` pseudo-counts per category, in ``family``'s terms (the family
        checks ``alpha`` against each column's categories)."""
        if not hasattr(family, "category_stats"):
            return super().pseudo_stats(family, n_features)
        return family.category_stats(np.asarray(self.alpha, dtype=float) - 1.0, n_features)

    def logpdf(self, theta):
        p = np.asarray(theta, dtype=float)
        a = self.concentrations(p.size)
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
    loc : float or array-like, default=0.0
        Mean (finite; one number, or one value per parameter).
    """

    _hyper = ("scale", "loc")
    hyper_constraints = {"scale": Hyper("positive"), "loc": Hyper("real", "vector")}

    def __init__(self, scale: float = 1.0, loc: float = 0.0):
        self.scale = scale
        self.loc = loc
        validate_hyper(self)

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
    Conjugate for the Gaussian: it adds ``kappa`` pseudo-observations at ``mu`` with
    ``2 beta`` of squared deviation (:meth:`pseudo_stats`), so the posterior mode is
    the family's mode of the summed statistics. Unset hyper-parameters (``None``)
    default from the data as R's mclust does (Fraley & Raftery 2007): ``mu`` = the
    data mean, ``beta`` = half the data variance, so the prior is weak but keeps
    variances positive. Estimators resolve them once, from the whole training data
    (:meth:`resolve`), and keep the result as ``prior_``.

    Parameters
    ----------
    mu : float or array-like or None, default=None
        Prior mean, finite (None: the data mean).
    kappa : float, default=0.01
        Prior pseudo-observations for the mean (one finite number > 0).
    alpha : float, default=1.0
        Inverse-gamma shape (one finite number > 0).
    beta : float or array-like or None, default=None
        Inverse-gamma scale (finite, > 0). None: half the data variance of each
        column (at least 5e-13).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.families.gaussian import Gaussian
    >>> from sklearn_mle.priors import NormalInverseGamma
    >>> fam = Gaussian("diag")
    >>> s = fam.stats(np.array([[1.0], [3.0]]))                    # mean 2, m2 2
    >>> prior = NormalInverseGamma(mu=0.0, kappa=2.0, alpha=1.0, beta=1.0)
    >>> p = fam.mode(s + prior.pseudo_stats(fam, 1))
    >>> float(p["mean"][0]), float(p["covariance"][0])       # (2*2 + 2*0) / 4, 8 / 7
    (1.0, 1.1428571428571428)
    """

    _hyper = ("mu", "kappa", "alpha", "beta")

    hyper_constraints = {"mu": Hyper("real", "vector", optional=True), "kappa": Hyper("positive"),
                    "alpha": Hyper("positive"),
                    "beta": Hyper("positive", "vector", optional=True)}

    def __init__(self, mu=None, kappa: float = 0.01, alpha: float = 1.0, beta=None):
        self.mu = mu
        self.kappa = kappa
        self.alpha = alpha
        self.beta = beta
        validate_hyper(self)

    def _columns(self, name, value, d):
        arr = np.asarray(value, dtype=float)
        if arr.ndim > 1 or (arr.ndim == 1 and arr.size not in (1, d)):
            raise ValueError(
                f"NormalInverseGamma: hyper-parameter {name} needs a scalar or one value per "
                f"column ({d}), got shape {arr.shape}"
            )
        return np.broadcast_to(arr.reshape(-1) if arr.ndim else arr, (d,)).astype(float)

    def pseudo_stats(self, family, n_features):
        """``kappa`` pseudo-observations at ``mu`` with ``2 beta`` of squared deviation,
        in ``family``'s terms (``family.normal_stats``); ``mu`` and ``beta`` must be
        set (see :meth:`resolve`)."""
        if not hasattr(family, "normal_stats"):
            return super().pseudo_stats(family, n_features)
        if self.mu is None or self.beta is None:
            raise ValueError(
                f"{self!r}: mu and beta default from the data; resolve the prior first "
                "(prior.resolve(family, stats) with the training statistics)"
            )
        d = int(n_features)
        return family.normal_stats(self._columns("mu", self.mu, d), float(self.kappa),
                                   float(self.alpha), self._columns("beta", self.beta, d), d)

    def resolve(self, family, stats):
        """This prior with ``mu`` and ``beta`` made concrete from the statistics of the
        whole training data (``family.normal_moments``): a ``NormalInverseGamma``
        whose every hyper-parameter is set."""
        if not hasattr(family, "normal_moments"):
            return self
        mean, var = family.normal_moments(stats)
        d = mean.size
        mu = mean if self.mu is None else self._columns("mu", self.mu, d)
        if self.beta is None:
            beta = np.maximum(var, 1e-12) * 0.5
            beta = np.where(beta > 0, beta, 1.0)  # a NaN variance: a unit scale
        else:
            beta = self._columns("beta", self.beta, d)
        return NormalInverseGamma(mu=np.array(mu), kappa=self.kappa, alpha=self.alpha,
                                  beta=np.array(beta))
