"""The Gaussian family: closed-form mode from centred moments (full, diag, spherical)."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg, special
from scipy import stats as sps

from .._engine.blocks import map_reduce
from .._engine.rules import NONFINITE, DomainError
from ..exceptions import BoundaryWarning
from ._moments import GaussianStats, centred_moments
from ._protocol import Family, ModeResult

__all__ = ["Gaussian", "GaussianStats", "centred_moments"]

_LOG_2PI = float(np.log(2.0 * np.pi))
# rows per block of the full-covariance densities: the (d, block) centred rows and
# their solve stay in cache between the centring, the solve and the sum of squares
_FULL_BLOCK = 8192


class Gaussian(Family):
    """The Gaussian: ``covariance_type`` "full" (joint), "diag" or "spherical".

    Statistics (:class:`GaussianStats`): ``weight``, ``mean``, ``m2`` (centred second
    moment: (d,) or (d, d) for "full") and ``dof`` (extra denominator count, zero for
    data). The mode is ``mean`` and ``covariance = (m2 + weight dev dev') / (weight +
    dof)``. A ``NormalInverseGamma`` prior (diag, spherical) adds ``kappa``
    pseudo-observations at ``mu`` with ``m2 = 2 beta`` and ``dof = 2 alpha + 3 - kappa``
    (:meth:`normal_stats`), so the MAP is the mode of the summed statistics.

    Parameters are ``mean`` (d,) and ``covariance``: (d, d) for "full", (d,) for
    "diag", one shared variance (a 0-d array) for "spherical". For "spherical",
    :meth:`loglik` and :meth:`information` give each column's share (the
    shared variance's entries add over columns); for "full" they describe the joint
    density: ``loglik`` has shape (1,) and ``information`` shape (1, p, p) over
    ``(mean, vech(covariance))`` (lower triangle, row by row).

    Parameters
    ----------
    covariance_type : {"full", "diag", "spherical"}, default="full"

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.families.gaussian import Gaussian
    >>> fam = Gaussian("diag")
    >>> s = fam.stats(np.array([[1.0], [2.0], [3.0], [6.0]]))
    >>> p = fam.mode(s)
    >>> float(p["mean"][0]), float(p["covariance"][0])
    (3.0, 3.5)
    >>> round(float(fam.to_scipy(p)[0].var()), 12)
    3.5
    """

    name = "gaussian"
    param_names = ("mean", "covariance")
    bounds = {"covariance": (0.0, np.inf)}
    supported_priors = ("NormalInverseGamma",)
    rules = ()

    def __init__(self, covariance_type: str = "full"):
        if covariance_type not in ("full", "diag", "spherical"):
            raise ValueError(
                "covariance_type must be 'full', 'diag' or 'spherical', got "
                f"{covariance_type!r}"
            )
        self.covariance_type = covariance_type

    @property
    def constants(self):
        return (self.covariance_type,)

    @property
    def full(self) -> bool:
        return self.covariance_type == "full"

    def n_features(self, stats):
        return int(np.size(stats.mean))

    # ------------------------------------------------------------ statistics
    def _tag(self, s):
        return self.make_stats(GaussianStats, **s.fields())

    def _stats(self, X, w, checked):
        return self._tag(centred_moments(X, w, self.full))

    def stats(self, X, weights=None, *, checked=False):
        """Statistics; weights (n, k) give k components' in one pass of matrix products
        (``W' z``, ``W' z**2``), shifted by the first row. A component whose moments
        lose more than six digits to cancellation (its mean far from the shift
        relative to its spread) is recomputed centred on its own mean."""
        if weights is None or np.ndim(weights) == 1:
            return self._stats(X, weights, checked)
        X = np.asarray(X)
        W = np.asarray(weights, dtype=np.float64)
        if not np.all(np.isfinite(X)):
            raise DomainError(NONFINITE)
        shift = X[0].astype(np.float64) if X.shape[0] else np.zeros(X.shape[1])
        full = self.full

        def block(xb, wb):
            z = xb - shift
            s2 = (np.stack([(z * wb[:, [j]]).T @ z for j in range(wb.shape[1])]) if full
                  else wb.T @ (z * z))
            return wb.sum(axis=0), wb.T @ z, s2

        with np.errstate(over="ignore", invalid="ignore"):
            s0, s1, s2 = map_reduce(block, X, W, limit_blas=True)
        out = []
        for j in range(W.shape[1]):
            if s0[j] <= 0:
                out.append(self._stats(X[:0], None, True))
                continue
            raw = s2[j]
            # s1 (s1 / s0), not s1**2 / s0: the square of a sum of tiny weights
            # underflows (weights near 1e-200) while raw does not, which made the
            # spread depend on the weights' scale
            mean_z = s1[j] / s0[j]
            m2 = raw - (np.outer(s1[j], mean_z) if full else s1[j] * mean_z)
            sq, m2d = (np.diag(raw), np.diag(m2)) if full else (raw, m2)
            if not (np.all(np.isfinite(raw)) and np.all(m2d > 1e-6 * sq)) or not np.all(
                    np.isfinite(s1[j])):
                mean = shift + mean_z
                out.append(self._tag(centred_moments(X, W[:, j], full, shift=mean)))
                continue
            m2 = 0.5 * (m2 + m2.T) if full else np.maximum(m2, 0.0)
            out.append(self.make_stats(GaussianStats, weight=np.asarray(float(s0[j])),
                                       mean=shift + mean_z, m2=m2,
                                       dof=np.zeros(X.shape[1])))
        return tuple(out)

    # ---------------------------------------------------------------- priors
    def _no_prior_on_full(self):
        if self.full:
            raise ValueError(
                "a NormalInverseGamma prior applies to covariance_type='diag' or "
                "'spherical'; use one of those with a prior"
            )

    def normal_stats(self, mu, kappa, alpha, beta, n_features):
        """Pseudo-statistics of a normal-inverse-gamma prior: ``kappa`` observations at
        ``mu`` with ``m2 = 2 beta`` and ``dof = 2 alpha + 3 - kappa`` per column; for
        "spherical" (one inverse-gamma on the shared variance, scale ``mean(beta)``)
        ``2 mean(beta)`` and ``2 alpha + 2`` are spread evenly over the columns."""
        self._no_prior_on_full()
        d = int(n_features)
        mu = np.broadcast_to(np.asarray(mu, dtype=float), (d,)).copy()
        beta = np.broadcast_to(np.asarray(beta, dtype=float), (d,))
        kappa, alpha = float(kappa), float(alpha)
        if self.covariance_type == "diag":
            m2, dof = 2.0 * beta, np.full(d, 2.0 * alpha + 3.0 - kappa)
        else:
            m2 = np.full(d, 2.0 * beta.mean() / d)
            dof = np.full(d, 1.0 + (2.0 * alpha + 2.0) / d - kappa)
        return self.make_stats(GaussianStats, weight=np.asarray(kappa), mean=mu,
                               m2=np.array(m2), dof=dof)

    def normal_moments(self, stats):
        """The mean and the (MLE) variance of each column of ``stats``: what a prior's
        data-dependent defaults are made of."""
        var = np.asarray(stats.m2) / float(stats.weight)
        return np.array(stats.mean, dtype=float), np.array(np.diag(var) if self.full else var)

    def log_prior(self, prior, params):
        """Log-density of a (resolved) ``NormalInverseGamma`` at ``params``."""
        self._no_prior_on_full()
        mean = np.asarray(params["mean"], dtype=float)
        var = np.asarray(params["covariance"], dtype=float)
        if prior.mu is None or prior.beta is None:
            raise ValueError(f"{prior!r} has unresolved defaults: use prior.resolve(family, "
                             "stats) with the training statistics first")
        d = mean.size
        mu0 = np.broadcast_to(np.asarray(prior.mu, dtype=float), (d,))
        beta = np.broadcast_to(np.asarray(prior.beta, dtype=float), (d,))
        kappa, alpha = float(prior.kappa), float(prior.alpha)
        varv = np.broadcast_to(var, (d,))
        lp_mean = -0.5 * (np.log(2 * np.pi * varv / kappa) + kappa * (mean - mu0) ** 2 / varv)
        b = beta if self.covariance_type == "diag" else beta.mean()
        lp_var = alpha * np.log(b) - special.gammaln(alpha) - (alpha + 1) * np.log(var) - b / var
        return float(np.sum(lp_mean) + np.sum(lp_var))

    # ------------------------------------------------------------------ mode
    def mode(self, stats, fixed=None):
        fixed = fixed or {}
        n = float(stats.weight)
        xbar, m2 = stats.mean, stats.m2
        d = xbar.size
        fmean = np.asarray(fixed.get("mean", np.full(d, np.nan)), dtype=float)
        mean = np.where(np.isnan(fmean), xbar, fmean)
        dev = xbar - mean
        fcov = fixed.get("covariance")
        if self.full:
            if fcov is not None:
                cov = np.asarray(fcov, dtype=float)
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    cov = m2 / n + np.outer(dev, dev)
                _warn_degenerate(np.diag(cov))
                _warn_singular(cov, n)
            return ModeResult({"mean": mean, "covariance": cov})
        q = m2 + n * dev**2
        den = n + stats.dof
        if self.covariance_type == "spherical":
            q, den = q.sum(), den.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            var = np.asarray(q / den, dtype=float)
        if fcov is not None:
            fcov = np.asarray(fcov, dtype=float)
            var = (np.where(np.isnan(fcov), var, fcov) if self.covariance_type == "diag"
                   else fcov.reshape(()))
        else:
            _warn_degenerate(np.atleast_1d(var))
        return ModeResult({"mean": mean, "covariance": np.asarray(var, dtype=float)})

    # ------------------------------------------------------ log-likelihood
    def _quadratic(self, stats, mean):
        dev = stats.mean - mean
        return dev, stats.m2 + float(stats.weight) * (np.outer(dev, dev) if self.full
                                                       else dev**2)

    def loglik(self, stats, params):
        n = float(stats.weight)
        mean, cov = params["mean"], params["covariance"]
        _, q = self._quadratic(stats, mean)
        if self.full:
            d = mean.size
            try:
                chol = linalg.cholesky(cov, lower=True)
            except linalg.LinAlgError:
                return np.array([-np.inf])
            logdet = 2 * np.log(np.diag(chol)).sum()
            half = linalg.solve_triangular(chol, q, lower=True)
            trace = np.trace(linalg.solve_triangular(chol, half.T, lower=True))
            return np.array([-0.5 * (n * (d * _LOG_2PI + logdet) + trace)])
        var = np.broadcast_to(cov, mean.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = -0.5 * (n * _LOG_2PI + (n + stats.dof) * np.log(var) + q / var)
        return np.where(np.isnan(out), -np.inf, out)

    def gradient(self, stats, params):
        """Gradient of :meth:`loglik` in (mean, variance), shape (d, 2) (diag and
        spherical; the variance entry is each column's share)."""
        n = float(stats.weight)
        mean, var = params["mean"], np.broadcast_to(params["covariance"], np.shape(params["mean"]))
        dev, q = self._quadratic(stats, mean)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.stack([n * dev / var, -(n + stats.dof) / (2 * var) + q / (2 * var**2)],
                            axis=1)

    def scaled_information(self, stats, params):
        """Diag and spherical: the information in (mean / sd, variance / variance),
        whose entries are of the order of n where those in (mean, variance), n / var
        and n / (2 var**2), leave float64 (variances near 1e300 or 1e-300, tiny
        weights) although the standard errors, sd / sqrt(n) and var sqrt(2 / n), do
        not. Full covariances: the information as it is (scale 1)."""
        if self.full:
            return super().scaled_information(stats, params)
        n = float(stats.weight)
        mean = params["mean"]
        var = np.broadcast_to(np.asarray(params["covariance"], dtype=float), mean.shape)
        inside = (var > 0) & np.isfinite(var)
        sd = np.sqrt(np.where(inside, var, 1.0))
        dev, q = self._quadratic(stats, mean)
        info = np.empty((mean.size, 2, 2))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            info[:, 0, 0] = n
            info[:, 0, 1] = info[:, 1, 0] = n * (dev / sd)
            info[:, 1, 1] = -(n + stats.dof) / 2 + q / np.where(inside, var, 1.0)
        unscaled = self.information(stats, params)
        info = np.where(inside[:, None, None] & np.isfinite(info), info, unscaled)
        scale = np.stack([np.where(inside, sd, 1.0), np.where(inside, var, 1.0)], axis=1)
        return info, scale

    def information(self, stats, params):
        if self.full:
            return self._full_information(stats, params)
        n = float(stats.weight)
        mean = params["mean"]
        var = np.broadcast_to(params["covariance"], mean.shape)
        dev, q = self._quadratic(stats, mean)
        info = np.empty((mean.size, 2, 2))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            info[:, 0, 0] = n / var
            info[:, 0, 1] = info[:, 1, 0] = n * dev / var**2
            info[:, 1, 1] = -(n + stats.dof) / (2 * var**2) + q / var**3
        return np.where(np.isfinite(info), info, 0.0)

    def _full_information(self, stats, params):
        # l = -n/2 log|S| - tr(S^-1 Q)/2: with A = S^-1, B = A Q A, the negative Hessian
        # over vec(S) is -n/2 A_li A_jk + (A_jk B_li + A_li B_jk)/2, mapped to vech
        n = float(stats.weight)
        mean, cov = params["mean"], params["covariance"]
        d = mean.size
        dev, q = self._quadratic(stats, mean)
        a = linalg.inv(cov)
        b = a @ q @ a
        h = (-0.5 * n * np.einsum("li,jk->ijkl", a, a)
             + 0.5 * (np.einsum("jk,li->ijkl", a, b) + np.einsum("li,jk->ijkl", a, b)))
        h = h.reshape(d * d, d * d)
        ii, jj = np.tril_indices(d)
        dup = np.zeros((d * d, ii.size))  # vec(S) = dup @ vech(S)
        dup[ii * d + jj, np.arange(ii.size)] = 1.0
        dup[jj * d + ii, np.arange(ii.size)] = 1.0
        cross = n * np.einsum("mi,j->mij", a, a @ dev).reshape(d, d * d) @ dup
        p = d + ii.size
        info = np.empty((1, p, p))
        info[0, :d, :d] = n * a
        info[0, :d, d:] = cross
        info[0, d:, :d] = cross.T
        info[0, d:, d:] = dup.T @ h @ dup
        return info

    # -------------------------------------------------------------- density
    def logpdf(self, X, params):
        mean, cov = params["mean"], params["covariance"]
        if self.full:
            d = mean.size
            try:
                chol = linalg.cholesky(cov, lower=True)
            except linalg.LinAlgError:
                return np.full((X.shape[0], 1), -np.inf)
            z = linalg.solve_triangular(chol, (X - mean).T, lower=True)
            logdet = 2 * np.log(np.diag(chol)).sum()
            return (-0.5 * (d * _LOG_2PI + logdet + np.einsum("ij,ij->j", z, z)))[:, None]
        var = np.broadcast_to(cov, mean.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            return -0.5 * (np.log(2 * np.pi * var) + (X - mean) ** 2 / var)

    def logpdf_rows(self, X, params_list):
        """k Gaussians' row log-densities at once, shape (n, k).

        "diag"/"spherical": two matrix products, ``z**2 @ (1/var).T`` and
        ``z @ (mean/var).T`` on ``z = X - shift`` (the shift, the components' average
        mean, keeps the expansion of ``(x - mean)**2`` from cancelling), instead of k
        passes. "full": see :meth:`_full_logpdf_rows` (one Cholesky per component,
        triangular solves on centred row blocks, no inverse)."""
        if self.full:
            return self._full_logpdf_rows(X, params_list)
        d = X.shape[1]
        means = np.array([np.asarray(p["mean"], float) for p in params_list])  # (k, d)
        var = np.array([np.broadcast_to(np.asarray(p["covariance"], float), (d,))
                        for p in params_list])
        if not (np.all(var > 0) and np.all(np.isfinite(var))):
            return super().logpdf_rows(X, params_list)
        shift = means.mean(axis=0)
        z = np.asarray(X, dtype=np.float64) - shift
        mu = means - shift
        prec = 1.0 / var
        quad = (z * z) @ prec.T - 2.0 * (z @ (mu * prec).T) + (mu * mu * prec).sum(axis=1)
        return -0.5 * (np.log(2 * np.pi * var).sum(axis=1) + quad)

    def _full_logpdf_rows(self, X, params_list):
        # One Cholesky factor L of each covariance; for a block of rows the centred
        # block z = X_b - mean (d, b), then L y = z by a triangular solve (backward
        # stable: no inverse or precision matrix is ever formed), and the squared
        # Mahalanobis distance |y|^2. Blocks of _FULL_BLOCK rows keep z and y in cache
        # across the three passes; a covariance that is not positive definite gives a
        # column of -inf, like :meth:`logpdf`.
        X = np.asarray(X, dtype=np.float64)
        n, d = X.shape
        k = len(params_list)
        out = np.empty((n, k))
        parts = []
        for p in params_list:
            mean = np.asarray(p["mean"], dtype=np.float64).reshape(d, 1)
            try:
                chol = linalg.cholesky(np.asarray(p["covariance"], dtype=np.float64),
                                       lower=True)
            except linalg.LinAlgError:
                parts.append(None)
                continue
            diag = np.diag(chol)
            parts.append(None if not np.all(diag > 0) else
                         (mean, chol, d * _LOG_2PI + 2.0 * np.log(diag).sum()))
        for a in range(0, n, _FULL_BLOCK):
            xt = X[a:a + _FULL_BLOCK].T
            for j, part in enumerate(parts):
                if part is None:
                    out[a:a + _FULL_BLOCK, j] = -np.inf
                    continue
                mean, chol, const = part
                y = linalg.solve_triangular(chol, xt - mean, lower=True, overwrite_b=True,
                                            check_finite=False)
                maha = np.einsum("ij,ij->j", y, y)
                maha += const
                maha *= -0.5
                out[a:a + _FULL_BLOCK, j] = maha
        bad = np.isnan(out)
        if bad.any():  # a row of NaN or inf: outside the support
            out[bad] = -np.inf
        return out

    def sample(self, params, n, rng):
        mean, cov = params["mean"], params["covariance"]
        if self.full:
            return rng.multivariate_normal(mean, cov, size=n)
        sd = np.sqrt(np.broadcast_to(cov, mean.shape))
        return mean + sd * rng.standard_normal((n, mean.size))

    def to_scipy(self, params):
        mean, cov = params["mean"], params["covariance"]
        if self.full:
            return [sps.multivariate_normal(mean, cov)]
        sd = np.sqrt(np.broadcast_to(cov, mean.shape))
        return [sps.norm(float(m), float(s)) for m, s in zip(mean, sd)]


def _warn_degenerate(variances):
    if np.any(np.asarray(variances) <= 0):
        warnings.warn(
            "GaussianMLE: a column has zero variance (constant data), so the MLE "
            "variance is 0 on the boundary and the density is degenerate. Use "
            "covariance_type='diag' with prior=NormalInverseGamma() for a positive "
            "estimate, or drop the constant column.",
            BoundaryWarning,
            stacklevel=5,
        )


def _warn_singular(cov, n):
    if cov.shape[0] < 2 or np.any(np.diag(cov) <= 0) or not np.all(np.isfinite(cov)):
        return
    scale = np.sqrt(np.diag(cov))
    eig = linalg.eigvalsh(cov / np.outer(scale, scale))
    if eig[0] <= 1e-12 * eig[-1]:
        rank = int(np.sum(eig > 1e-12 * eig[-1]))
        warnings.warn(
            f"GaussianMLE: the MLE covariance is singular (rank {rank} of {cov.shape[0]}): "
            f"the columns are linearly dependent or there are too few samples ({n:g}) "
            "for a full covariance, so the density is degenerate. Use "
            "covariance_type='diag', drop the redundant columns, or add samples.",
            BoundaryWarning,
            stacklevel=5,
        )
