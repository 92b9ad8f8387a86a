"""Student's t family (df, loc, scale): no finite statistics, Newton on block terms.

The statistics are the weighted data (:class:`~sklearn_mle.families._stats.DataStats`).
Every pass over the rows goes through :func:`~sklearn_mle._engine.blocks.map_reduce`
and computes the log-likelihood, gradient and Hessian of all columns together, so a
Newton iteration costs one pass and no temporary is larger than a block.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg
from scipy import stats as sps

from .._engine.blocks import map_reduce
from .._engine.rules import NONFINITE, DomainError
from ..exceptions import BoundaryWarning
from ._data import column_range, data_stats, total_weight_or_raise, unit_broadcast
from ._protocol import Family, ModeResult
from ._t_constant import t_log_constant

__all__ = ["StudentT"]

# the range of a free df; at df = 1e6 the profile log-likelihood is the Gaussian's
# to ~(kurtosis - 3) / (4 df) per observation (a fixed df is used as given)
_DF_BOUNDS = (1e-3, 1e6)
_DF_START = 4.0
_SUBSAMPLE = 1 << 17  # rows of the strided subsample the robust start is taken from
_N_SUMS = 10  # weighted sums per column in one pass (see _block_sums)


def _wsum(wb, arr):
    """``sum_i w_i arr_i`` per column (``wb`` None: unit weights)."""
    return arr.sum(axis=0) if wb is None else wb @ arr


def _standardise(xb, mu, sigma):
    z = (xb - mu) / sigma
    if not np.all(np.isfinite(z)):
        # x - mu overflows only beyond ~1e308: the quotients do not
        z = xb / sigma - mu / sigma
    return z


def _block_sums(xb, wb, nu, mu, sigma, order):
    """The weighted sums of one block, shape (_N_SUMS, d) (only 0 and 9 for order 0).

    0: log1p(z2/nu), 1: z2/D, 2: z/D, 3: (z2 - nu)/D2, 4: z2 (2 z2 - 3 D)/D2,
    5: z (z2 - 1)/D2, 6: z2 (z2 - 1)/D2, 7: z/D2, 8: z2 (1/(2 nu D) + dh/2), 9: 1
    with z = (x - loc)/scale, z2 = z**2, D = nu + z2, D2 = D**2 and dh the derivative
    in nu of (nu + 1)/(nu D) (the df-df Hessian term).

    Eight elementwise products of ``u = 1/D``, ``a = z2 u`` and ``zu = z u`` give all
    of them: 1 = sum a, 2 = sum zu, 3 = sum a u - nu sum u**2, 4 = 2 sum a**2 -
    3 sum a, 5 = sum zu a - sum zu u, 6 = sum a**2 - sum a u, 7 = sum zu u and
    8 = 6 / (2 nu) - 1 / (2 nu**2) (the two terms of dh cancel to those), instead of
    some forty operations on block-sized arrays; the sums reuse two scratch arrays.
    """
    z = _standardise(xb, mu, sigma)
    out = np.zeros((_N_SUMS, xb.shape[1]))
    out[9] = xb.shape[0] if wb is None else wb.sum()
    z2 = np.multiply(z, z)
    t = np.multiply(z2, 1.0 / nu)
    np.log1p(t, out=t)
    out[0] = _wsum(wb, t)
    if order == 0:
        return out
    u = np.add(z2, nu)
    np.reciprocal(u, out=u)
    a = np.multiply(z2, u, out=z2)  # z2 is not needed any more
    zu = np.multiply(z, u, out=z)
    s_a = _wsum(wb, a)
    np.multiply(a, a, out=t)
    s_aa = _wsum(wb, t)
    np.multiply(a, u, out=t)
    s_au = _wsum(wb, t)
    np.multiply(u, u, out=t)
    s_uu = _wsum(wb, t)
    np.multiply(zu, a, out=t)
    s_za = _wsum(wb, t)
    np.multiply(zu, u, out=t)
    s_zu = _wsum(wb, t)
    out[1] = s_a
    out[2] = _wsum(wb, zu)
    out[3] = s_au - nu * s_uu
    out[4] = 2.0 * s_aa - 3.0 * s_a
    out[5] = s_za - s_zu
    out[6] = s_aa - s_au
    out[7] = s_zu
    out[8] = out[6] / (2.0 * nu) - s_a / (2.0 * nu * nu)
    return out


def _assemble(s, nu, sigma, order):
    """Log-likelihood, and gradient and Hessian in the dimensionless coordinates
    ``(log df, loc / scale, log scale)`` (the scale held at its current value in the
    second), from the sums of :func:`_block_sums`. Dimensionless, so data near 1e300
    give the same numbers as data near 1."""
    n = s[9]
    c0, c1, c2 = t_log_constant(nu)
    f = n * (c0 - np.log(sigma)) - 0.5 * (nu + 1.0) * s[0]
    if order == 0:
        return f, None, None
    g_nu = n * c1 - 0.5 * s[0] + 0.5 * (nu + 1.0) / nu * s[1]
    g = np.stack([nu * g_nu, (nu + 1.0) * s[2], -n + (nu + 1.0) * s[1]], axis=-1)
    h = np.empty(nu.shape + (3, 3))
    h[..., 0, 0] = nu * nu * (n * c2 + s[8]) + nu * g_nu
    h[..., 1, 1] = (nu + 1.0) * s[3]
    h[..., 2, 2] = n + (nu + 1.0) * s[4] + g[..., 2]
    h[..., 0, 1] = h[..., 1, 0] = nu * s[5]
    h[..., 0, 2] = h[..., 2, 0] = nu * s[6]
    h[..., 1, 2] = h[..., 2, 1] = -2.0 * (nu + 1.0) * nu * s[7]
    return f, g, h


class StudentT(Family):
    """Student's t (location-scale) per column: scipy's ``t(df, loc, scale)``.

    No finite sufficient statistics: :meth:`stats` keeps the weighted data and
    :meth:`block_terms` gives one block's log-likelihood, gradient and Hessian;
    :meth:`mode` runs Newton's method over ``(log df, loc, log scale)`` with the exact
    Hessian, damped (Levenberg-Marquardt) where it is not negative definite and with
    step halving, so the log-likelihood never decreases from the robust start
    (weighted median and scaled MAD of a strided subsample of at most 131072 rows,
    ``df = 4``). Each iteration is one pass over the rows. ``df`` is kept in
    [1e-3, 1e6]: Gaussian data drive it to the upper bound, with a warning.

    Parameters
    ----------
    max_iter : int, default=100
        Maximum number of Newton iterations.
    tol : float, default=1e-10
        Convergence tolerance on the step in ``(log df, loc/scale, log scale)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.families.student_t import StudentT
    >>> fam = StudentT()
    >>> x = np.array([[-1.2], [0.3], [0.1], [2.2], [-0.4], [0.6], [-9.0], [0.0], [0.8], [-0.2]])
    >>> est = fam.mode(fam.stats(x))
    >>> [round(float(est[k][0]), 3) for k in ("df", "loc", "scale")]
    [0.969, 0.101, 0.476]
    """

    name = "student_t"
    param_names = ("df", "loc", "scale")
    bounds = {"df": (0.0, np.inf), "scale": (0.0, np.inf)}
    finite_stats = False

    def __init__(self, max_iter=100, tol=1e-10):
        self.max_iter = int(max_iter)
        self.tol = float(tol)

    # ------------------------------------------------------------ statistics
    def check(self, X):
        """NaN or inf: :class:`DomainError` (the only rule of the real line)."""
        X = np.asarray(X)
        if X.size and not (np.all(np.isfinite(X.min(axis=0)))
                           and np.all(np.isfinite(X.max(axis=0)))):
            raise DomainError(NONFINITE)

    def stats(self, X, weights=None, *, checked=False):
        """The weighted data; weights (n, k) give k statistics sharing ``X`` (no copy)."""
        return data_stats(self, X, weights, checked)

    def _sums(self, stats, nu, mu, sigma, order, wscale=1.0):
        w = stats.w
        unit = unit_broadcast(w)
        args = (np.asarray(nu, float), np.asarray(mu, float), np.asarray(sigma, float))

        def block(xb, wb):
            if wb is not None and wscale != 1.0:
                wb = wb * wscale
            return _block_sums(xb.astype(np.float64, copy=False), wb, *args, order)

        s = map_reduce(block, stats.x, None if unit else w, limit_blas=True)
        if unit and wscale != 1.0:
            s = s * wscale
        return s

    def block_terms(self, X_block, w_block, params):
        """Log-likelihood (d,), gradient (d, 3) and Hessian (d, 3, 3) in
        ``(df, loc, scale)`` of one block of rows; summed over blocks they give the
        whole sample's (``w_block`` None: unit weights)."""
        nu, mu, sigma = (np.asarray(params[k], float) for k in self.param_names)
        s = _block_sums(np.asarray(X_block, dtype=np.float64), w_block, nu, mu, sigma, 2)
        return _natural(s, nu, sigma)

    # ------------------------------------------------------------------ mode
    def mode(self, stats, fixed=None):
        fixed = fixed or {}
        n = total_weight_or_raise(stats, "df, loc and scale")
        d = stats.x.shape[1]
        free = np.stack([np.isnan(fixed.get(k, np.full(d, np.nan))) for k in self.param_names],
                        axis=1)
        phi = self._start(stats, fixed, free, n)
        # a constant column: no spread at the start, or exactly one value (on many rows
        # the moments' fallback keeps a rounding variance of ~1e-24)
        lo, hi = column_range(stats.x)
        const = ~(phi[:, 2] > 0) | (free[:, 2] & (lo == hi))
        if const.any():
            cols = ", ".join(str(j) for j in np.flatnonzero(const))
            warnings.warn(
                f"StudentTMLE: column {cols} is constant, so the MLE scale is 0 and the "
                "density is degenerate. Drop the column or fix the scale with "
                "fixed_params={'scale': value}.",
                BoundaryWarning,
                stacklevel=5,
            )
            phi[const, 2] = np.maximum(np.abs(phi[const, 1]), 1.0) * 1e-150
            free[const] = False
        start_scale = phi[:, 2].copy()
        phi, conv, n_iter, capped = self._newton(stats, phi, free, 1.0 / n)
        conv |= const
        # a repeated value makes the likelihood unbounded (df and scale -> 0 at it:
        # Fernandez & Steel 1999); the solve then ends at a scale far below the data's
        collapsed = free[:, 2] & ~const & (phi[:, 2] < 1e-8 * start_scale)
        if collapsed.any():
            cols = ", ".join(str(j) for j in np.flatnonzero(collapsed))
            warnings.warn(
                f"StudentTMLE: in column {cols} the likelihood grows without bound as df "
                "and the scale shrink to 0 at a repeated value, so the MLE does not exist "
                "and the density is degenerate. Fix df with fixed_params={'df': value}, or "
                "use GaussianMLE.",
                BoundaryWarning,
                stacklevel=5,
            )
        if capped.any():
            cols = ", ".join(str(j) for j in np.flatnonzero(capped))
            warnings.warn(
                f"StudentTMLE: column {cols} has tails no heavier than the Gaussian (the "
                "data are consistent with a normal distribution), so the MLE of df is "
                f"infinite: df is capped at {_DF_BOUNDS[1]:g}. Use "
                "GaussianMLE for this column, or fix df with fixed_params.",
                BoundaryWarning,
                stacklevel=5,
            )
        return ModeResult(dict(zip(self.param_names, phi.T.copy())),
                          converged=bool(conv.all()), n_iter=n_iter)

    def _start(self, stats, fixed, free, n):
        """Robust start: weighted median and MAD of a strided subsample (all rows when
        there are few), df = 4; the weighted mean and SD where the subsample carries
        no weight or no spread."""
        d = stats.x.shape[1]
        phi = np.column_stack([np.asarray(fixed.get(k, np.full(d, np.nan)), float)
                               for k in self.param_names])
        phi[free[:, 0], 0] = _DF_START
        step = max(1, -(-stats.x.shape[0] // _SUBSAMPLE))
        ws = np.array(stats.w[::step], dtype=np.float64)
        moments = None
        for j in range(d):
            if not free[j, 1:].any():
                continue
            xs = np.array(stats.x[::step, j], dtype=np.float64)
            if free[j, 1]:
                phi[j, 1] = _weighted_median(xs, ws)
            mad = _weighted_median(np.abs(xs - phi[j, 1]), ws)
            if not (mad > 0 and np.isfinite(phi[j, 1])):
                if moments is None:
                    moments = self._moments(stats, n)
                mean, var = moments[0][j], moments[1][j]
                if not np.isfinite(phi[j, 1]):
                    phi[j, 1] = mean
                mad = np.sqrt(max(var + (mean - phi[j, 1]) ** 2, 0.0)) * 0.6745
            if free[j, 2]:
                # the quartile of t(df) explodes as df -> 0: a start only needs the order
                phi[j, 2] = mad / sps.t.ppf(0.75, max(phi[j, 0], 0.5))
        return phi

    def _moments(self, stats, n):
        """Weighted mean and variance per column (two passes, no cancellation)."""
        def first(xb, wb):
            return _wsum(wb, xb.astype(np.float64, copy=False) / n)

        mean = map_reduce(first, stats.x, stats.w)

        def second(xb, wb):
            return _wsum(wb, (xb.astype(np.float64, copy=False) - mean) ** 2 / n)

        with np.errstate(over="ignore"):
            return mean, map_reduce(second, stats.x, stats.w)

    def _newton(self, stats, phi, free, wscale):
        """Damped Newton, all columns at once: one pass per trial point, which gives
        the log-likelihood and the derivatives there together."""
        lo_nu, hi_nu = np.log(_DF_BOUNDS[0]), np.log(_DF_BOUNDS[1])
        d = phi.shape[0]
        free = free.copy()
        active = free.any(axis=1)
        conv = ~active
        capped = np.zeros(d, bool)
        count = np.zeros(d, int)
        with np.errstate(all="ignore"):
            f, g, h = _assemble(self._sums(stats, *phi.T, 2, wscale), phi[:, 0], phi[:, 2], 2)
        step, lam, theta = np.zeros((d, 3)), np.ones(d), np.zeros((d, 3))
        cand = phi.copy()

        def direction(j):
            if not (np.isfinite(f[j]) and np.all(np.isfinite(g[j]))
                    and np.all(np.isfinite(h[j]))):
                active[j] = False  # derivatives overflow: keep the best point
                return
            idx = np.flatnonzero(free[j])
            step[j] = 0.0
            step[j, idx] = _ascent_direction(-h[j][np.ix_(idx, idx)], g[j, idx])
            theta[j] = [np.log(phi[j, 0]), 0.0, np.log(phi[j, 2])]
            lam[j] = 1.0
            count[j] += 1

        def candidate(j):
            t = theta[j] + lam[j] * step[j]
            t[0] = np.clip(t[0], lo_nu, hi_nu)
            # a fixed (or capped) df or scale is kept as given: a fixed df of 1e8 was
            # clipped to 1e6, and exp(log(.)) may move it by an ulp each iteration
            with np.errstate(over="ignore"):  # a scale of inf is refused by the line search
                nu = np.exp(t[0]) if t[0] < hi_nu else _DF_BOUNDS[1]  # the cap exactly
                cand[j] = [nu if free[j, 0] else phi[j, 0],
                           phi[j, 1] + t[1] * phi[j, 2],
                           np.exp(t[2]) if free[j, 2] else phi[j, 2]]
            return t

        for j in np.flatnonzero(active):
            direction(j)
        while active.any():
            for j in np.flatnonzero(active):
                candidate(j)
            with np.errstate(all="ignore"):
                s = self._sums(stats, *cand.T, 2, wscale)
                f_new, g_new, h_new = _assemble(s, cand[:, 0], cand[:, 2], 2)
            for j in np.flatnonzero(active):
                size = np.max(np.abs(lam[j] * step[j]))
                if not f_new[j] >= f[j] - 1e-13 * (1.0 + abs(f[j])):  # beyond rounding
                    lam[j] *= 0.5
                    if size < 1e-3 * self.tol or lam[j] < 2.0**-60:
                        conv[j], active[j] = True, False  # no ascent: a maximum
                    continue
                t0 = theta[j, 0] + lam[j] * step[j, 0]
                phi[j], f[j], g[j], h[j] = cand[j], f_new[j], g_new[j], h_new[j]
                if free[j, 0] and t0 >= hi_nu and g[j, 0] > 0:
                    free[j, 0] = False  # df at its upper bound: the Gaussian limit
                    capped[j] = True
                elif size <= self.tol:
                    conv[j], active[j] = True, False
                    continue
                if count[j] >= self.max_iter:
                    active[j] = False
                    continue
                direction(j)
        return phi, conv, int(count.max(initial=0)), capped

    # ------------------------------------------------------------ likelihood
    def loglik(self, stats, params):
        nu, mu, sigma = (np.asarray(params[k], float) for k in self.param_names)
        s = self._sums(stats, nu, mu, sigma, 0)
        return _assemble(s, nu, sigma, 0)[0]

    def information(self, stats, params):
        nu, mu, sigma = (np.asarray(params[k], float) for k in self.param_names)
        s = self._sums(stats, nu, mu, sigma, 2)
        return -_natural(s, nu, sigma)[2]

    def scaled_information(self, stats, params):
        """The information of ``(df, loc, scale) / (df, scale, scale)``: the negative
        Hessian in the dimensionless coordinates of :func:`_assemble`, of the order
        of the total weight whatever the data's magnitude (the natural information
        ``n / scale**2`` underflows to 0 for data near 1e300, overflows near 1e-300);
        the inference maps it back by the scales."""
        nu, mu, sigma = (np.asarray(params[k], float) for k in self.param_names)
        s = self._sums(stats, nu, mu, sigma, 2)
        with np.errstate(all="ignore"):
            _, g, h = _assemble(s, nu, sigma, 2)
        # _assemble differentiates in log df and log scale: d2/d(log t)^2 = t^2 d2/dt^2
        # + t d/dt, so the first-derivative terms leave the diagonal
        h = h.copy()
        h[..., 0, 0] -= g[..., 0]
        h[..., 2, 2] -= g[..., 2]
        inside = (nu > 0) & np.isfinite(nu) & (sigma > 0) & np.isfinite(sigma)
        scale = np.stack([np.where(inside, nu, 1.0), np.where(inside, sigma, 1.0),
                          np.where(inside, sigma, 1.0)], axis=1)
        if not inside.all():
            with np.errstate(all="ignore"):
                h = np.where(inside[:, None, None], h, -self.information(stats, params))
        return -h, scale

    def score_rows(self, X, params):
        """Exact per-row gradient in ``(df, loc, scale)``, shape (n, d, 3): with
        ``z = (x - loc) / scale`` and ``D = df + z**2``, ``c1 - log1p(z**2/df)/2 +
        (df + 1) z**2 / (2 df D)``, ``(df + 1) z / (scale D)`` and ``((df + 1) z**2 / D
        - 1) / scale`` (central differences of the log-density stepped loc by 1e-9
        where the scale is 1e-300, and the sandwich had no finite score)."""
        nu, mu, sigma = (np.asarray(params[k], float) for k in self.param_names)
        X = np.asarray(X, dtype=np.float64)
        with np.errstate(all="ignore"):
            z = _standardise(X, mu, sigma)
            z2 = z * z
            a = z2 / (nu + z2)  # z**2 / D, in [0, 1): no overflow for huge z
            out = np.empty(X.shape + (3,))
            out[..., 0] = (t_log_constant(nu)[1] - 0.5 * np.log1p(z2 / nu)
                           + 0.5 * (nu + 1.0) / nu * a)
            out[..., 1] = (nu + 1.0) * (z / (nu + z2)) / sigma
            out[..., 2] = ((nu + 1.0) * a - 1.0) / sigma
        return out

    def logpdf(self, X, params):
        nu, mu, sigma = (np.asarray(params[k], float) for k in self.param_names)
        z = (X - mu) / sigma
        c0, _, _ = t_log_constant(nu)
        return c0 - np.log(sigma) - 0.5 * (nu + 1.0) * np.log1p(z * z / nu)

    def sample(self, params, n, rng):
        nu, mu, sigma = (np.asarray(params[k], float) for k in self.param_names)
        return mu + sigma * rng.standard_t(nu, size=(n, nu.size))

    def to_scipy(self, params):
        return [sps.t(float(a), float(b), float(c)) for a, b, c in
                zip(*(np.atleast_1d(params[k]) for k in self.param_names))]


def _natural(s, nu, sigma):
    """(loglik, gradient, Hessian) in ``(df, loc, scale)`` from the block sums."""
    f, g, h = _assemble(s, nu, sigma, 2)
    jac = np.stack([nu, sigma, sigma], axis=-1)  # d theta_natural / d theta_scaled
    g_nat = g / jac
    h_nat = h.copy()
    h_nat[..., 0, 0] -= nu * g_nat[..., 0]
    h_nat[..., 2, 2] -= sigma * g_nat[..., 2]
    h_nat = h_nat / jac[..., :, None] / jac[..., None, :]
    return f, g_nat, h_nat


def _weighted_median(x, w):
    """The weighted median; where the cumulative weight meets half the total within
    its rounding (equal weights, an even count) the mean of the two middle values, so
    the start does not depend on the weights' scale (weights of 1e-8 rounded the tie
    the other way, and the start, one order statistic higher, led Newton to another
    local maximum: df 11.2 instead of 0.14)."""
    order = np.argsort(x, kind="stable")
    cw = np.cumsum(w[order])
    if not cw.size or not cw[-1] > 0:
        return np.nan
    xs = x[order]
    half = 0.5 * cw[-1]
    tol = 4.0 * cw.size * np.finfo(float).eps * cw[-1]  # the cumulative sum's rounding
    lo = min(int(np.searchsorted(cw, half - tol)), cw.size - 1)
    hi = min(int(np.searchsorted(cw, half + tol, side="right")), cw.size - 1)
    return float(xs[lo]) if lo == hi else float(0.5 * xs[lo] + 0.5 * xs[hi])


def _ascent_direction(neg_hess, grad):
    """Newton direction, damped (Levenberg-Marquardt) until the matrix is positive definite."""
    k = grad.size
    diag = np.abs(np.diag(neg_hess))
    mu = 0.0
    for _ in range(60):
        try:
            c = linalg.cho_factor(neg_hess + mu * np.diag(np.maximum(diag, 1e-12)), lower=True)
            return linalg.cho_solve(c, grad)
        except (linalg.LinAlgError, ValueError):
            mu = 1e-3 if mu == 0.0 else mu * 10.0
    return grad / max(np.max(diag), 1.0) if k else grad
