"""The Gaussian family: closed-form mode from centred moments (full, diag, spherical)."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg, special
from scipy import stats as sps

from .._engine.blocks import map_reduce
from .._engine.rules import NONFINITE, DomainError
from ..exceptions import BoundaryWarning
from ._count_sums import scratch
from ._protocol import Family, ModeResult
from ._stats import CentredStats, total_weight, unit_weights

__all__ = ["Gaussian", "GaussianStats", "centred_moments"]

_LOG_2PI = float(np.log(2.0 * np.pi))
_OVERFLOW_RULE = (
    "the variance of the data exceeds the float64 range (about 1.8e308): rescale the "
    "column, e.g. divide it by a power of ten near its largest value"
)


class GaussianStats(CentredStats):
    """Weight, mean, centred second moment and ``dof``, the extra count of the
    variance's denominator.

    ``dof`` (d,) is zero for data; a normal-inverse-gamma prior's pseudo-statistics
    carry ``2 alpha + 3 - kappa`` there, so that the variance's posterior mode is
    exactly ``m2 / (weight + dof)`` of the summed statistics. Adding is Chan et
    al.'s exact formula for (weight, mean, m2) and a plain sum for ``dof``.
    """

    __slots__ = ()

    def _combine(self, other):
        n1, n2 = float(self.weight), float(other.weight)
        if n1 == 0 or n2 == 0:  # no cross term; keep the other side's moments
            out = dict(other.fields() if n1 == 0 else self.fields())
            out["dof"] = self.dof + other.dof
            out["weight"] = np.asarray(n1 + n2)
            return out
        return super()._combine(other)


def _pow2(x):
    """The power of two at or above ``x`` (> 0): scaling by it is exact."""
    return np.ldexp(1.0, np.frexp(np.asarray(x, dtype=float))[1])


def _moment_sums(X, shift, w, full):
    """``(sum w, sum w z, sum w z z')`` of ``z = x - shift`` over row blocks."""
    def block(xb, wb):
        z = xb - shift
        if wb is None:
            return float(z.shape[0]), z.sum(axis=0), z.T @ z if full else np.einsum(
                "ij,ij->j", z, z)
        wz = z * wb[:, None]
        return float(wb.sum()), wz.sum(axis=0), wz.T @ z if full else np.einsum(
            "ij,ij->j", wz, z)

    return map_reduce(block, X, w, limit_blas=full)


def centred_moments(X, w, full, shift=None):
    """Weight, mean and centred second moment of the rows of X (:class:`GaussianStats`).

    Rows are shifted (by the first row, or ``shift``) before the sums, so large offsets
    do not cancel; weights are scaled by a power of two (exact) so that huge or tiny
    weights neither overflow nor underflow; data whose squares overflow are summed in
    scaled units. Raises :class:`DomainError` for NaN/inf and for a variance beyond
    the float64 range.
    """
    X = np.asarray(X)
    n, d = X.shape
    unit = w is None or unit_weights(w)
    if n == 0 or (not unit and total_weight(w) <= 0):  # an empty component: zero stats
        return GaussianStats(weight=np.asarray(0.0), mean=np.zeros(d),
                             m2=np.zeros((d, d) if full else d), dof=np.zeros(d))
    if unit and shift is None:
        fast = _raw_moments(X, full)
        if fast is not None:
            return fast
    if not np.all(np.isfinite(X)):
        raise DomainError(NONFINITE)
    total = float(n) if unit else total_weight(w)
    shift = X[0].astype(np.float64) if shift is None else np.asarray(shift, dtype=float)
    wscale = 1.0 if unit else float(_pow2(np.max(w)))
    ws = None if unit else w / wscale
    with np.errstate(over="ignore", invalid="ignore"):
        s0, s1, s2 = _moment_sums(X, shift, ws, full)
    xscale = np.ones(d)
    if not (np.all(np.isfinite(s1)) and np.all(np.isfinite(s2))):
        # squares beyond float64: sum in units of a power of two per column
        xscale = _pow2(np.maximum(np.max(np.abs(X - shift), axis=0), 1.0))
        s0, s1, s2 = _moment_sums(X / xscale, shift / xscale, ws, full)
    mean = shift + xscale * (s1 / s0)
    m2 = s2 - (np.outer(s1, s1) if full else s1**2) / s0
    with np.errstate(over="ignore", invalid="ignore"):
        m2 = m2 * (np.outer(xscale, xscale) if full else xscale**2) * wscale
    _check_overflow(X, np.diag(m2) if full else m2)
    m2 = 0.5 * (m2 + m2.T) if full else np.maximum(m2, 0.0)
    return GaussianStats(weight=np.asarray(total), mean=mean, m2=m2, dof=np.zeros(d))


def _check_overflow(X, m2_diag):
    bad = ~np.isfinite(m2_diag)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        i = int(np.argmax(np.abs(X[:, j])))
        raise DomainError(_OVERFLOW_RULE, column=j, row=i, value=X[i, j])


def _shifted_sums(X, shift):
    """``(sum z, sum z**2)`` per column of ``z = x - shift`` (unweighted) in one blocked
    pass; None when a sum is not finite."""

    def block(xb):
        s1, s2 = np.empty(xb.shape[1]), np.empty(xb.shape[1])
        with np.errstate(over="ignore", invalid="ignore"):
            for j in range(xb.shape[1]):  # a column at a time: contiguous temporaries
                z = np.subtract(xb[:, j], shift[j], out=scratch(xb.shape[0]),
                                dtype=np.float64)
                s1[j], s2[j] = z.sum(), np.einsum("i,i->", z, z)
        if not (np.all(np.isfinite(s1)) and np.all(np.isfinite(s2))):
            return None
        return s1, s2

    return map_reduce(block, X)


def _raw_moments(X, full):
    """Unweighted moments from plain sums (the one-pass floor).

    One blocked pass sums ``z = x - x[0]`` and ``z**2`` (one column, or the diagonal:
    :func:`_shifted_sums`); a full covariance of several columns takes ``X.sum`` and
    ``X.T @ X`` on the raw values.
    ``sum z**2 - n mean_z**2`` loses ``log10(sum z**2 / m2)`` digits; when more than six
    would be lost (four on the unshifted NumPy sums, whose own rounding is larger),
    or a sum is not finite, returns None and the caller uses the shifted blocked pass
    (which also tells NaN/inf from an overflow), so accuracy stays ~1e-10 or better.
    """
    n, d = X.shape
    digits = 1e-6
    if d == 1 or not full:
        shift = X[0].astype(np.float64)
        if not np.all(np.isfinite(shift)):
            return None
        sums = _shifted_sums(X, shift)
        if sums is None:
            return None
        s1, raw = sums
        raw = raw[:, None] if full else raw
    elif X.dtype != np.float64:
        return None
    else:
        shift, digits = np.zeros(d), 1e-4
        with np.errstate(over="ignore", invalid="ignore"):
            s1, raw = X.sum(axis=0), X.T @ X
    with np.errstate(over="ignore", invalid="ignore"):
        sq = np.diag(raw) if full else raw
        m2 = raw - (np.outer(s1, s1) if full else s1**2) / n
    m2_diag = np.diag(m2) if full else m2
    if not (np.all(np.isfinite(raw)) and np.all(np.isfinite(s1))) or np.any(
            m2_diag <= digits * sq):
        return None
    if full:
        m2 = 0.5 * (m2 + m2.T)
    return GaussianStats(weight=np.asarray(float(n)), mean=shift + s1 / n, m2=m2,
                         dof=np.zeros(d))


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
            m2 = raw - (np.outer(s1[j], s1[j]) if full else s1[j] ** 2) / s0[j]
            sq, m2d = (np.diag(raw), np.diag(m2)) if full else (raw, m2)
            if not (np.all(np.isfinite(raw)) and np.all(m2d > 1e-6 * sq)) or not np.all(
                    np.isfinite(s1[j])):
                mean = shift + s1[j] / s0[j]
                out.append(self._tag(centred_moments(X, W[:, j], full, shift=mean)))
                continue
            m2 = 0.5 * (m2 + m2.T) if full else np.maximum(m2, 0.0)
            out.append(self.make_stats(GaussianStats, weight=np.asarray(float(s0[j])),
                                       mean=shift + s1[j] / s0[j], m2=m2,
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
        """k diagonal (or spherical) Gaussians at once: two matrix products,
        ``z**2 @ (1/var).T`` and ``z @ (mean/var).T`` on ``z = X - shift`` (the shift,
        the components' average mean, keeps the expansion of ``(x - mean)**2`` from
        cancelling), instead of k passes; "full" keeps one Cholesky solve per component."""
        if self.full:
            return super().logpdf_rows(X, params_list)
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
