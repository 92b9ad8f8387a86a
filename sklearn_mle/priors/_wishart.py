"""Normal-inverse-Wishart prior on the (mean, covariance) of Gaussian mixture components."""

from __future__ import annotations

import numpy as np
from scipy import linalg, special

from ._base import Hyper, Prior, validate_hyper

_LOG_2PI = np.log(2.0 * np.pi)


class NormalInverseWishart(Prior):
    """Normal-inverse-Wishart prior on a Gaussian's mean and covariance.

    ``covariance ~ InvWishart(dof, scale)`` and
    ``mean | covariance ~ N(mean, covariance / shrinkage)``. Conjugate for the
    Gaussian, so MAP-EM keeps a closed-form M-step; the prior's pseudo-scatter keeps
    every covariance positive-definite, even for a component sitting on duplicate
    points.

    Unset hyper-parameters (``None``) default from the data as R's mclust does
    (Fraley & Raftery 2007, "Bayesian regularization for normal mixture
    estimation and model-based clustering"): ``mean`` = the data mean,
    ``dof`` = ``n_features + 2``, ``scale`` = the data covariance (its diagonal when
    the covariance is singular: fewer rows than columns, collinear columns) divided by
    ``n_components ** (2 / n_features)``. ``shrinkage`` defaults to 0.01.

    For diagonal and spherical covariances the same prior is read per variance:
    ``variance_j ~ InvGamma(dof / 2, scale_jj / 2)`` (diagonal) or
    ``variance ~ InvGamma(dof / 2, trace(scale) / (2 n_features))`` (spherical).

    Parameters
    ----------
    shrinkage : float, default=0.01
        Pseudo-observations for the mean (kappa, > 0).
    mean : array-like of shape (n_features,) or None, default=None
        Prior mean (None: the data mean).
    dof : float or None, default=None
        Degrees of freedom of the inverse Wishart (> n_features - 1); None:
        ``n_features + 2``.
    scale : array-like of shape (n_features, n_features) or None, default=None
        Scale matrix of the inverse Wishart (symmetric positive-definite); None:
        ``cov(data) / n_components ** (2 / n_features)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import GaussianMixture
    >>> from sklearn_mle.priors import NormalInverseWishart
    >>> X = np.array([[0.0, 0.0]] * 5 + [[3.0, 1.0], [3.5, 0.5], [2.5, 1.5], [3.0, 0.0]])
    >>> gm = GaussianMixture(2, prior=NormalInverseWishart(), random_state=0).fit(X)
    >>> bool(np.all(np.linalg.eigvalsh(gm.covariances_) > 1e-3))  # no collapse
    True
    """

    _hyper = ("shrinkage", "mean", "dof", "scale")
    hyper_constraints = {"shrinkage": Hyper("positive"), "dof": Hyper("positive", optional=True),
                    "mean": Hyper("real", "vector", optional=True)}

    def __init__(self, shrinkage: float = 0.01, mean=None, dof=None, scale=None):
        self.shrinkage = shrinkage
        self.dof = dof
        self.mean = mean
        Hyper("real", "vector", optional=True).check("NormalInverseWishart", "mean", mean)
        self.mean = None if mean is None else np.asarray(mean, dtype=float)
        if scale is not None:
            scale = np.asarray(scale, dtype=float)
            if scale.ndim != 2 or scale.shape[0] != scale.shape[1]:
                raise ValueError(
                    f"NormalInverseWishart: scale must be a square matrix, got shape {scale.shape}"
                )
            if not np.all(np.isfinite(scale)) or not np.allclose(scale, scale.T) or np.any(
                    linalg.eigvalsh(scale) <= 0):
                raise ValueError("NormalInverseWishart: scale must be symmetric positive-definite")
        self.scale = scale
        validate_hyper(self)

    def resolve(self, X, sample_weight, n_components: int) -> dict:
        """Hyper-parameters with the unset ones filled in from the data.

        Returns a dict with ``shrinkage``, ``mean`` (d,), ``dof`` and ``scale`` (d, d).
        """
        X = np.asarray(X, dtype=float)
        w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
        d = X.shape[1]
        mean_x = (w @ X) / w.sum()
        mean = mean_x if self.mean is None else self.mean
        if mean.shape != (d,):
            raise ValueError(
                f"NormalInverseWishart: mean needs {d} values (one per feature), "
                f"got shape {mean.shape}"
            )
        dof = float(d + 2) if self.dof is None else float(self.dof)
        if dof <= d - 1:
            raise ValueError(
                f"NormalInverseWishart: dof must be > n_features - 1 = {d - 1}, got {dof}"
            )
        if self.scale is None:
            Z = X - mean_x
            cov = (Z * w[:, None]).T @ Z / w.sum()
            cov = np.atleast_2d(cov)
            # a constant column would give a singular scale: floor it at a tiny variance
            floor = 1e-10 * max(float(np.max(np.diag(cov))), 1e-300)
            cov = cov + np.diag(np.where(np.diag(cov) <= floor, max(floor, 1e-300), 0.0))
            eig = linalg.eigvalsh(cov)
            if eig[0] <= 1e-12 * eig[-1]:
                # fewer rows than columns, or collinear columns: the data covariance is
                # singular and cannot be a Wishart scale; its diagonal (the variances)
                # keeps the prior proper and as weak
                cov = np.diag(np.diag(cov))
            scale = cov / float(n_components) ** (2.0 / d)
        else:
            scale = self.scale
            if scale.shape != (d, d):
                raise ValueError(
                    f"NormalInverseWishart: scale needs shape {(d, d)}, got {scale.shape}"
                )
        return {"shrinkage": float(self.shrinkage), "mean": mean, "dof": dof, "scale": scale}


def niw_logpdf(means, covariances, covariance_type, hyper) -> float:
    """Log-density of the prior at the mixture's means and covariances (summed).

    ``covariance_type`` selects the reading of the prior (see
    :class:`NormalInverseWishart`): inverse Wishart for ``"full"`` (each component)
    and ``"tied"`` (one shared), inverse gamma per variance for ``"diag"`` and
    ``"spherical"``; the means are normal with covariance ``covariance / shrinkage``.
    """
    kappa, mu0, nu, psi = hyper["shrinkage"], hyper["mean"], hyper["dof"], hyper["scale"]
    means = np.asarray(means, dtype=float)
    covariances = np.asarray(covariances, dtype=float)
    k, d = means.shape
    diff = means - mu0
    if covariance_type in ("full", "tied"):
        covs = covariances if covariance_type == "full" else covariances[None]
        total = 0.0
        for j in range(covs.shape[0]):
            total += _invwishart_logpdf(covs[j], nu, psi)
        for j in range(k):
            cov = covs[j] if covariance_type == "full" else covs[0]
            total += _mvn_logpdf(diff[j], cov / kappa)
        return float(total)
    if covariance_type == "diag":
        a, b = nu / 2.0, np.diag(psi) / 2.0
        var = covariances
    else:
        a, b = nu / 2.0, np.trace(psi) / (2.0 * d)
        var = covariances[:, None]
    lp_var = a * np.log(b) - special.gammaln(a) - (a + 1.0) * np.log(var) - b / var
    n_var = np.broadcast_to(var, (k, d))
    lp_mean = -0.5 * (_LOG_2PI + np.log(n_var / kappa) + kappa * diff**2 / n_var)
    return float(np.sum(lp_var) + np.sum(lp_mean))


def _invwishart_logpdf(cov, nu, psi):
    d = cov.shape[0]
    lc = linalg.cholesky(cov, lower=True)
    logdet_cov = 2.0 * np.sum(np.log(np.diag(lc)))
    logdet_psi = 2.0 * np.sum(np.log(np.diag(linalg.cholesky(psi, lower=True))))
    # trace(psi cov^-1) through the Cholesky factor of cov
    tr = np.trace(linalg.cho_solve((lc, True), psi))
    return (
        0.5 * nu * logdet_psi
        - 0.5 * nu * d * np.log(2.0)
        - special.multigammaln(0.5 * nu, d)
        - 0.5 * (nu + d + 1.0) * logdet_cov
        - 0.5 * tr
    )


def _mvn_logpdf(diff, cov):
    d = diff.shape[0]
    lc = linalg.cholesky(cov, lower=True)
    z = linalg.solve_triangular(lc, diff, lower=True)
    return -0.5 * (d * _LOG_2PI + z @ z) - np.sum(np.log(np.diag(lc)))
