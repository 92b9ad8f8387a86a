"""The beta family: Newton's method with the exact Hessian on the mean logs."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special
from scipy import stats as sps

from .._engine.blocks import map_reduce
from .._engine.rules import NONFINITE, DomainError
from ..exceptions import BoundaryWarning
from ._protocol import Family, ModeResult

__all__ = ["Beta"]

_RULE = "beta data must lie strictly between 0 and 1 (0 < x < 1)"
# below this distance of the mean from 0 or 1, b / a (or a / b) exceeds 1e10 and
# a + b keeps too few digits of the smaller shape for Newton to find the maximum
_MIN_MEAN = 1e-10


def _free(fixed, name, d):
    return np.isnan(np.asarray(fixed.get(name, np.full(d, np.nan)), dtype=float))


class Beta(Family):
    """Beta on (0, 1): ``x**(a-1) (1-x)**(b-1) / B(a, b)`` (scipy's ``beta(a, b)``).

    Statistics: ``weight``, ``sum_log_x``, ``sum_log_1mx`` (``sum log(1 - x)``), and
    ``sum_x``, ``sum_x2`` for the method-of-moments start. The log-likelihood is
    concave in ``(a, b)``: Newton with the exact Hessian (trigamma functions) and step
    halving converges to the unique maximum.

    Parameters
    ----------
    max_iter : int, default=100
        Newton iterations at most (a solver setting, not part of :attr:`constants`).
    tol : float, default=1e-10
        Tolerance on the relative Newton step.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.families.beta import Beta
    >>> fam = Beta()
    >>> x = np.array([[0.12], [0.35], [0.41], [0.22], [0.58], [0.30], [0.27], [0.49]])
    >>> p = fam.mode(fam.stats(x))
    >>> round(float(p["a"][0]), 4), round(float(p["b"][0]), 4)
    (3.6757, 7.0777)
    """

    name = "beta"
    param_names = ("a", "b")
    bounds = {"a": (0.0, np.inf), "b": (0.0, np.inf)}
    rules = ((_RULE, lambda X: ~((X > 0) & (X < 1))),)

    def __init__(self, max_iter: int = 100, tol: float = 1e-10):
        self.max_iter = int(max_iter)
        self.tol = float(tol)

    # ------------------------------------------------------------ statistics
    def _stats(self, X, w, checked):
        n = X.shape[0]
        return self.stats(X, (np.ones(n) if w is None else w)[:, None], checked=checked)[0]

    def stats(self, X, weights=None, *, checked=False):
        """Statistics; weights (n, k) give k components' in one pass of matrix
        products (``W' [log x, log(1-x), x, x**2]``)."""
        if weights is None or np.ndim(weights) == 1:
            return self._stats(X, weights, checked)
        if not checked:
            if not np.all(np.isfinite(X)):
                raise DomainError(NONFINITE)
            self.check(X)
        W = np.asarray(weights, dtype=np.float64)

        def block(xb, wb):
            xb = xb.astype(np.float64, copy=False)
            with np.errstate(under="ignore"):
                return (wb.sum(axis=0), wb.T @ np.log(xb), wb.T @ np.log1p(-xb), wb.T @ xb,
                        wb.T @ (xb * xb))

        s0, slx, sl1, sx, sx2 = map_reduce(block, X, W, limit_blas=True)
        d = X.shape[1]
        return tuple(self.make_stats(weight=np.full(d, s0[j]), sum_log_x=slx[j],
                                     sum_log_1mx=sl1[j], sum_x=sx[j], sum_x2=sx2[j])
                     for j in range(W.shape[1]))

    # ------------------------------------------------------------------ mode
    @staticmethod
    def _start(stats, fixed, free_a, free_b):
        n = stats.weight.astype(float)
        m = stats.sum_x / n
        v = stats.sum_x2 / n - m**2
        with np.errstate(all="ignore"):
            c = m * (1.0 - m) / v - 1.0
        c = np.where(np.isfinite(c) & (c > 0), c, 2.0)
        a0 = np.where(free_a, m * c, fixed.get("a", m * c))
        b0 = np.where(free_b, (1.0 - m) * c, fixed.get("b", (1.0 - m) * c))
        # one parameter fixed: match the mean with the other
        a0 = np.where(free_a & ~free_b, b0 * m / (1.0 - m), a0)
        b0 = np.where(free_b & ~free_a, a0 * (1.0 - m) / m, b0)
        return a0, b0

    def mode(self, stats, fixed=None):
        fixed = fixed or {}
        n = stats.weight.astype(float)
        d = n.size
        l1, l2 = stats.sum_log_x / n, stats.sum_log_1mx / n
        free_a, free_b = _free(fixed, "a", d), _free(fixed, "b", d)
        m = stats.sum_x / n
        close = (np.minimum(m, 1.0 - m) < _MIN_MEAN) & (free_a | free_b)
        if close.any():
            j = int(np.flatnonzero(close)[0])
            raise DomainError(
                f"the beta MLE cannot be computed in float64 for column {j}: its mean "
                f"{m[j]:.3g} lies within 1e-10 of 0 or 1, where the shapes' ratio exceeds "
                "1e10 and a + b keeps too few digits of the smaller one. Rescale the data "
                "away from the boundary, or model x (or 1 - x) with GammaMLE, the limit of "
                "the beta as the larger shape grows"
            )
        # Jensen gaps: both zero for a constant column, where a, b -> inf; the sums
        # of n log terms carry a rounding error of a few n * eps * |log|, and log(m),
        # log1p(-m) amplify the rounding of the mean m by m / (1 - m) and (1 - m) / m
        # (x = 0.99991358 on 17 rows: a gap of 2.6e-12 from unit weights, 0 from others)
        gap = np.log(m) - l1 + np.log1p(-m) - l2
        with np.errstate(divide="ignore"):
            cond = m / (1.0 - m) + (1.0 - m) / m
        noise = 64 * np.finfo(float).eps * (1.0 + np.abs(l1) + np.abs(l2) + cond)
        flat = free_a & free_b & (gap < np.maximum(1e-13, noise))
        if flat.any():
            warnings.warn(
                "BetaMLE: a column is (numerically) constant, so the likelihood grows without "
                "bound as a and b grow: the MLE does not exist. Fix a parameter with "
                "fixed_params or drop the column.",
                BoundaryWarning,
                stacklevel=5,
            )
        a, b = self._start(stats, fixed, free_a, free_b)
        a = np.where(flat, m * 1e12, a)
        b = np.where(flat, (1.0 - m) * 1e12, b)
        free = np.stack([free_a & ~flat, free_b & ~flat], axis=1)
        a, b, conv, n_iter = self._newton(a, b, l1, l2, free)
        return ModeResult({"a": a, "b": b}, converged=bool(np.all(conv)), n_iter=n_iter)

    def _newton(self, a, b, l1, l2, free):
        d = a.size
        active = free.any(axis=1)
        conv = ~active
        f = _mean_loglik(a, b, l1, l2)
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):  # noqa: B007
            if not active.any():
                break
            grad, hess = _mean_grad_hess(a, b, l1, l2)
            grad = np.where(free, grad, 0.0)
            hess = np.where(free[:, :, None] & free[:, None, :], hess, 0.0)
            hess[:, 0, 0] = np.where(free[:, 0], hess[:, 0, 0], -1.0)
            hess[:, 1, 1] = np.where(free[:, 1], hess[:, 1, 1], -1.0)
            bad_h = ~np.all(np.isfinite(hess), axis=(1, 2)) | (np.linalg.det(hess) == 0)
            hess[bad_h] = -np.eye(2)  # a gradient step there; step halving guards it
            step = -np.linalg.solve(hess, grad[:, :, None])[:, :, 0]
            step = np.where(active[:, None] & np.isfinite(step), step, 0.0)
            lam = np.ones(d)
            for _ in range(60):  # step halving: stay positive, never decrease
                na, nb = a + lam * step[:, 0], b + lam * step[:, 1]
                with np.errstate(all="ignore"):
                    nf = _mean_loglik(na, nb, l1, l2)
                # accept within rounding noise: near the optimum a Newton step changes f
                # by less than the rounding error of its terms
                noise = 1e-13 * (1.0 + np.abs(f) + np.abs(special.betaln(a, b)))
                bad = active & (~((na > 0) & (nb > 0)) | ~(nf >= f - noise))
                if not bad.any():
                    break
                lam = np.where(bad, 0.5 * lam, lam)
            ok = active & ~bad
            rel = np.max(np.abs(lam[:, None] * step) / np.stack([a, b], axis=1), axis=1)
            a, b, f = np.where(ok, na, a), np.where(ok, nb, b), np.where(ok, nf, f)
            # no ascent left even for a tiny step: the maximum to machine precision
            done = active & (~ok | (rel <= self.tol))
            conv |= done
            active &= ~done
        return a, b, conv, n_iter

    # ------------------------------------------------------ log-likelihood
    def loglik(self, stats, params):
        a, b = params["a"], params["b"]
        return ((a - 1.0) * stats.sum_log_x + (b - 1.0) * stats.sum_log_1mx
                - stats.weight * special.betaln(a, b))

    def information(self, stats, params):
        _, hess = _mean_grad_hess(params["a"], params["b"], 0.0, 0.0)
        return -stats.weight.astype(float)[:, None, None] * hess

    # -------------------------------------------------------------- density
    def logpdf(self, X, params):
        a, b = params["a"], params["b"]
        lp = special.xlog1py(b - 1.0, -X) + special.xlogy(a - 1.0, X) - special.betaln(a, b)
        return np.where((X > 0) & (X < 1), lp, -np.inf)

    def sample(self, params, n, rng):
        a, b = params["a"], params["b"]
        return rng.beta(a, b, size=(n, np.size(a)))

    def to_scipy(self, params):
        return [sps.beta(float(a), float(b))
                for a, b in zip(np.atleast_1d(params["a"]), np.atleast_1d(params["b"]))]


def _mean_loglik(a, b, l1, l2):
    return (a - 1.0) * l1 + (b - 1.0) * l2 - special.betaln(a, b)


def _mean_grad_hess(a, b, l1, l2):
    dab = special.digamma(a + b)
    grad = np.stack([l1 - special.digamma(a) + dab, l2 - special.digamma(b) + dab], axis=1)
    tab = special.polygamma(1, a + b)
    hess = np.empty((np.size(a), 2, 2))
    hess[:, 0, 0] = tab - special.polygamma(1, a)
    hess[:, 1, 1] = tab - special.polygamma(1, b)
    hess[:, 0, 1] = hess[:, 1, 0] = tab
    return grad, hess
