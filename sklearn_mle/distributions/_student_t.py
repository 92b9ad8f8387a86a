"""Student's t distribution (location-scale), fitted by damped Newton's method."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg, special, stats

from ..exceptions import BoundaryWarning
from ..families._stats import DataStats, total_weight
from ._base import DistributionMLE
from ._gamma import IterativeFitMixin, free_mask

_DF_BOUNDS = (1e-3, 1e6)  # df above 1e6 is the Gaussian to ~1e-12 per observation
_DF_START = 4.0


def weighted_median(x, w):
    order = np.argsort(x, kind="stable")
    cw = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cw, 0.5 * cw[-1])])


def _c(nu):
    """log Gamma((nu+1)/2) - log Gamma(nu/2) - log(pi nu)/2 and two derivatives."""
    c0 = -special.betaln(0.5, 0.5 * nu) - 0.5 * np.log(nu)
    c1 = 0.5 * (special.digamma(0.5 * (nu + 1.0)) - special.digamma(0.5 * nu)) - 0.5 / nu
    c2 = 0.25 * (
        special.polygamma(1, 0.5 * (nu + 1.0)) - special.polygamma(1, 0.5 * nu)
    ) + 0.5 / nu**2
    return c0, c1, c2


def t_terms(x, w, nu, mu, sigma, order=2):
    """Log-likelihood, gradient and Hessian in (df, loc, scale) of one weighted column."""
    n = total_weight(w)
    z = (x - mu) / sigma
    z2 = z * z
    D = nu + z2
    lq = np.log1p(z2 / nu)
    c0, c1, c2 = _c(nu)
    wr = w / D
    swz2d = float(wr @ z2)
    f = n * (c0 - np.log(sigma)) - 0.5 * (nu + 1.0) * float(w @ lq)
    if order == 0:
        return f, None, None
    g = np.array([
        n * c1 - 0.5 * float(w @ lq) + 0.5 * (nu + 1.0) / nu * swz2d,
        (nu + 1.0) / sigma * float(wr @ z),
        -n / sigma + (nu + 1.0) / sigma * swz2d,
    ])
    wr2 = wr / D
    h = np.empty((3, 3))
    dh = (nu * D - (nu + 1.0) * (2.0 * nu + z2)) / (nu * D) ** 2
    h[0, 0] = n * c2 + float(w @ (z2 * (1.0 / (2.0 * nu * D) + 0.5 * dh)))
    h[1, 1] = (nu + 1.0) / sigma**2 * float(wr2 @ (z2 - nu))
    h[2, 2] = n / sigma**2 + (nu + 1.0) / sigma**2 * float(wr2 @ (z2 * (2.0 * z2 - 3.0 * D)))
    h[0, 1] = h[1, 0] = float(wr2 @ (z * (z2 - 1.0))) / sigma
    h[0, 2] = h[2, 0] = float(wr2 @ (z2 * (z2 - 1.0))) / sigma
    h[1, 2] = h[2, 1] = -2.0 * (nu + 1.0) * nu / sigma**2 * float(wr2 @ z)
    return f, g, h


class StudentTMLE(IterativeFitMixin, DistributionMLE):
    """Student's t distribution (df, loc, scale) fitted by maximum likelihood.

    A heavy-tailed, robust alternative to :class:`GaussianMLE`: the density is
    scipy's ``t(df, loc, scale)``. The fit maximises the log-likelihood over
    ``(log df, loc, log scale)`` by Newton's method with the exact Hessian, damped
    (Levenberg-Marquardt) where the Hessian is not negative definite and with a
    step-halving line search, so the log-likelihood never decreases from the robust
    start (median, scaled MAD, ``df = 4``). ``df`` is kept in [1e-3, 1e6]: Gaussian
    data drive it to the upper bound (the MLE is then ``df = inf``), which is
    reported with a warning.

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

    def _suff_stats(self, X, w):
        return DataStats(x=X, w=w, weight=np.full(X.shape[1], total_weight(w)))

    def _check_domain(self, X):
        if X.shape[0] < 2:
            raise ValueError(
                f"StudentTMLE needs at least 2 samples to estimate a location and a scale, "
                f"got {X.shape[0]} sample"
            )

    def _solve(self, stats, fixed):
        d = stats.x.shape[1]
        names = self._param_names
        free = np.stack([free_mask(fixed, name, d) for name in names], axis=1)
        out = {name: np.array(fixed.get(name, np.full(d, np.nan)), dtype=float) for name in names}
        conv, n_iter = np.ones(d, dtype=bool), 0
        w = np.asarray(stats.w, dtype=np.float64)
        for j in range(d):
            x = np.asarray(stats.x[:, j], dtype=np.float64)
            theta, conv[j], it = self._solve_column(
                x, w, np.array([out[name][j] for name in names]), free[j], j
            )
            n_iter = max(n_iter, it)
            for i, name in enumerate(names):
                out[name][j] = theta[i]
        self._record_solve(conv, n_iter)
        return out

    def _start(self, x, w, fixed_vals, free):
        nu = _DF_START if free[0] else fixed_vals[0]
        mu = weighted_median(x, w) if free[1] else fixed_vals[1]
        if free[2]:
            mad = weighted_median(np.abs(x - mu), w)
            if not mad > 0:
                n = total_weight(w)
                mad = np.sqrt(float(w @ (x - mu) ** 2) / n) * 0.6745
            # the quartile of t(df) explodes as df -> 0: a start only needs the order
            sigma = mad / stats.t.ppf(0.75, max(nu, 0.5))
        else:
            sigma = fixed_vals[2]
        return np.array([nu, mu, sigma], dtype=float)

    def _solve_column(self, x, w, fixed_vals, free, j):
        phi = self._start(x, w, fixed_vals, free)
        if not phi[2] > 0:
            warnings.warn(
                f"StudentTMLE: {self._column_name(j)} is constant, so the MLE scale is 0 and "
                "the density is degenerate. Drop the column or fix the scale with "
                "fixed_params={'scale': value}.",
                BoundaryWarning,
                stacklevel=7,
            )
            phi[2] = max(abs(phi[1]), 1.0) * 1e-150
            return phi, True, 0
        lo_nu, hi_nu = np.log(_DF_BOUNDS[0]), np.log(_DF_BOUNDS[1])
        free = free.copy()
        f, _, _ = t_terms(x, w, *phi, order=0)
        converged, n_iter = not free.any(), 0
        at_bound = False
        for n_iter in range(1, self.max_iter + 1):  # noqa: B007
            if not free.any():
                converged = True
                break
            f, g, h = t_terms(x, w, *phi)
            if not (np.isfinite(f) and np.all(np.isfinite(g)) and np.all(np.isfinite(h))):
                break  # derivatives overflow (extreme fixed values): keep the best point
            # chain rule to theta = (log df, loc, log scale)
            jac = np.array([phi[0], 1.0, phi[2]])
            g_t = jac * g
            h_t = h * np.outer(jac, jac) + np.diag([g[0] * phi[0], 0.0, g[2] * phi[2]])
            idx = np.flatnonzero(free)
            step = np.zeros(3)
            step[idx] = _ascent_direction(-h_t[np.ix_(idx, idx)], g_t[idx])
            theta = np.array([np.log(phi[0]), phi[1], np.log(phi[2])])
            scale = np.array([1.0, phi[2], 1.0])
            lam, accepted = 1.0, False
            for _ in range(60):
                cand = theta + lam * step
                cand[0] = np.clip(cand[0], lo_nu, hi_nu)
                new = np.array([np.exp(cand[0]), cand[1], np.exp(cand[2])])
                with np.errstate(all="ignore"):
                    f_new, _, _ = t_terms(x, w, *new, order=0)
                if f_new >= f - 1e-13 * (1.0 + abs(f)):  # within rounding noise
                    accepted = True
                    break
                lam *= 0.5
            size = np.max(np.abs(lam * step) / scale)
            if not accepted:  # no ascent even for a tiny step: a maximum to machine precision
                converged = True
                break
            phi, f = new, f_new
            if free[0] and cand[0] >= hi_nu and g[0] > 0:
                free[0] = False  # df at its upper bound: the Gaussian limit
                at_bound = True
                continue
            if size <= self.tol:
                converged = True
                break
        if at_bound:
            warnings.warn(
                f"StudentTMLE: {self._column_name(j)} has tails no heavier than the Gaussian, "
                f"so the MLE of df is infinite: df is capped at {_DF_BOUNDS[1]:g}. Use "
                "GaussianMLE for this column, or fix df with fixed_params.",
                BoundaryWarning,
                stacklevel=7,
            )
        return phi, converged, n_iter

    def _loglik(self, stats, params):
        w = np.asarray(stats.w, dtype=np.float64)
        out = np.empty(params["df"].size)
        for j in range(out.size):
            x = np.asarray(stats.x[:, j], dtype=np.float64)
            out[j] = t_terms(x, w, params["df"][j], params["loc"][j], params["scale"][j], 0)[0]
        return out

    def _information(self, stats, params):
        w = np.asarray(stats.w, dtype=np.float64)
        info = np.empty((params["df"].size, 3, 3))
        for j in range(info.shape[0]):
            x = np.asarray(stats.x[:, j], dtype=np.float64)
            info[j] = -t_terms(x, w, params["df"][j], params["loc"][j], params["scale"][j])[2]
        return info

    def _logpdf(self, X, params):
        nu, mu, sigma = params["df"], params["loc"], params["scale"]
        z = (X - mu) / sigma
        c0, _, _ = _c(nu)
        return c0 - np.log(sigma) - 0.5 * (nu + 1.0) * np.log1p(z * z / nu)

    def _sample(self, params, n, rng):
        nu, mu, sigma = params["df"], params["loc"], params["scale"]
        return mu + sigma * rng.standard_t(nu, size=(n, nu.size))


def _ascent_direction(neg_hess, grad):
    """Newton direction, damped (Levenberg-Marquardt) until the matrix is positive definite."""
    k = grad.size
    diag = np.abs(np.diag(neg_hess))
    mu = 0.0
    for _ in range(60):
        try:
            c = linalg.cho_factor(neg_hess + mu * np.diag(np.maximum(diag, 1e-12)), lower=True)
            return linalg.cho_solve(c, grad)
        except linalg.LinAlgError:
            mu = 1e-3 if mu == 0.0 else mu * 10.0
    return grad / max(np.max(diag), 1.0) if k else grad
