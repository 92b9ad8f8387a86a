"""Profile-likelihood intervals for a function ``g(theta)`` of the parameters.

The profile log-likelihood of ``g`` at ``c`` is the log-likelihood maximised over
the parameters subject to ``g(theta) = c``; the interval is the set of ``c`` whose
profile lies within ``chi2(1).ppf(1 - alpha) / 2`` of the maximum (the likelihood-
ratio test inversion). Like the profile interval of a single parameter, it is
invariant to reparametrisation: the interval of ``exp(beta)`` is ``exp`` of the
interval of ``beta``.

The constrained maximisation works on the public estimate vector through an
estimator's ``loglik_at(theta)`` (the objective at any parameter vector), by SLSQP
in standardised coordinates ``theta = theta_hat + se * u``, warm-started along the
quadratic approximation ``E[theta | g(theta) = c]`` from the previous solution. The
end points are Brent roots of the profile minus the cut-off, bracketed by doubling
steps of the delta-method standard error of ``g``.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats

from ._delta import numerical_jacobian


class _Profiler:
    """The constrained maximisation ``max loglik(theta) s.t. g(theta) = c``."""

    def __init__(self, loglik_at, func, theta, cov, bounds, ll_max):
        self.loglik_at, self.func = loglik_at, func
        self.theta, self.ll_max = theta, ll_max
        g0, J = numerical_jacobian(func, theta)
        self.g0, self.J = float(g0[0]), J[0]
        sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        ok = np.isfinite(sd) & (sd > 0)
        self.scale = np.where(ok, sd, np.maximum(np.abs(theta), 1.0) * 0.1)
        covj = cov @ self.J if np.all(np.isfinite(cov)) else np.zeros_like(theta)
        var_g = float(self.J @ covj) if np.all(np.isfinite(covj)) else np.nan
        self.se_g = np.sqrt(var_g) if np.isfinite(var_g) and var_g > 0 else \
            max(abs(self.g0), 1.0) * 0.1
        # the quadratic approximation's path E[theta | g = c] (zero where unknown)
        self.path = covj / var_g if np.isfinite(var_g) and var_g > 0 else np.zeros_like(theta)
        lo, hi = bounds
        width = np.abs(self.theta) * 1e-9 + 1e-12
        lo_u = np.where(np.isfinite(lo), (lo + width - theta) / self.scale, -np.inf)
        hi_u = np.where(np.isfinite(hi), (hi - width - theta) / self.scale, np.inf)

        # the pivot: the coordinate g moves most per standard error; it is solved from
        # the constraint g = c, and the log-likelihood is maximised over the others
        self.pivot = int(np.argmax(np.abs(self.J) * self.scale))
        self.free = np.flatnonzero(np.arange(theta.size) != self.pivot)
        self.lo_u, self.hi_u = lo_u, hi_u

    def _theta(self, u):
        return self.theta + self.scale * u

    def _g(self, u):
        with np.errstate(all="ignore"):
            return float(np.ravel(self.func(self._theta(u)))[0])

    def _complete(self, v, c, guess):
        """``u`` with free coordinates ``v`` and the pivot solving ``g(u) = c`` (secant
        from ``guess``), or None when no pivot value in the domain reaches ``c``."""
        u = np.empty(self.theta.size)
        u[self.free] = v
        j = self.pivot

        def h(t):
            u[j] = t
            return (self._g(u) - c) / self.se_g

        t0 = float(np.clip(guess, self.lo_u[j], self.hi_u[j]))
        try:
            res = optimize.root_scalar(h, x0=t0, x1=t0 + 1e-3, method="secant",
                                       xtol=1e-13, maxiter=100)
        except (ValueError, ZeroDivisionError, OverflowError):
            return None
        t = res.root
        if not (res.converged and np.isfinite(t) and self.lo_u[j] <= t <= self.hi_u[j]):
            return None
        u[j] = t
        return u if abs(h(t)) < 1e-9 else None

    def _start(self, c, u_prev, c_prev):
        u0 = u_prev + self.path * (c - c_prev) / self.scale
        return np.clip(u0, self.lo_u, self.hi_u)

    def solve(self, c, u_prev, c_prev):
        """``(profile log-likelihood at c, u at its maximum)``; ``(-inf, None)`` when no
        parameter in the domain has ``g = c`` (beyond the range of ``g``)."""
        u0 = self._start(c, u_prev, c_prev)
        state = {"guess": u0[self.pivot], "u": None}

        def neg(v):
            u = self._complete(v, c, state["guess"])
            if u is None:
                return 1e10  # no parameter here has g = c: far below any profile value
            with np.errstate(all="ignore"):
                val = self.loglik_at(self._theta(u))
            if not np.isfinite(val):
                return 1e10
            state["guess"] = u[self.pivot]
            return self.ll_max - val

        if self.free.size == 0:
            f = neg(np.zeros(0))
        else:
            # BFGS in standardised coordinates (outside the domain the objective is
            # 1e10, which its line search steps back from)
            res = optimize.minimize(neg, u0[self.free], method="BFGS",
                                    options={"gtol": 1e-9, "maxiter": 200})
            f = neg(res.x)
            u_best = self._complete(res.x, c, state["guess"])
        if self.free.size == 0:
            u_best = self._complete(np.zeros(0), c, state["guess"])
        if u_best is None or f >= 1e9:
            return -np.inf, None
        return self.ll_max - float(f), u_best


def profile_function_interval(loglik_at, func, theta, cov, bounds, ll_max, alpha):
    """Profile-likelihood interval ``[lower, upper]`` of the scalar ``func(theta)``.

    Parameters
    ----------
    loglik_at : callable
        The objective (log-likelihood or log-posterior) at a parameter vector; -inf or
        NaN outside the parameter domain.
    func : callable
        A smooth scalar function of the parameter vector.
    theta, cov : ndarray
        The estimate (the objective's maximiser) and its covariance.
    bounds : tuple of ndarray
        ``(lower, upper)`` bounds of the parameter domain.
    ll_max : float
        The objective at ``theta``.
    alpha : float
        One minus the coverage.

    Returns
    -------
    ndarray of shape (2,)
        An end reached at the edge of ``func``'s range (no parameter in the domain gives
        a value beyond it with a higher profile than the cut-off) is that edge.

    Examples
    --------
    The rate of ``n`` exponential observations: the interval of the mean ``1 / rate``
    is ``1 / (the interval of the rate)`` (invariance).

    >>> import numpy as np
    >>> n, s = 20, 25.0
    >>> ll = lambda t: n * np.log(t[0]) - t[0] * s if t[0] > 0 else -np.inf
    >>> lam = n / s
    >>> ci_mean = profile_function_interval(ll, lambda t: 1 / t[0], np.array([lam]),
    ...                                     np.array([[lam**2 / n]]),
    ...                                     (np.array([0.0]), np.array([np.inf])),
    ...                                     ll([lam]), 0.05)
    >>> ci_rate = profile_function_interval(ll, lambda t: t[0], np.array([lam]),
    ...                                     np.array([[lam**2 / n]]),
    ...                                     (np.array([0.0]), np.array([np.inf])),
    ...                                     ll([lam]), 0.05)
    >>> bool(np.allclose(ci_mean, 1 / ci_rate[::-1], rtol=1e-7))
    True
    """
    theta = np.asarray(theta, dtype=float)
    prof = _Profiler(loglik_at, func, theta, np.asarray(cov, dtype=float), bounds, ll_max)
    cut = stats.chi2.ppf(1.0 - alpha, 1) / 2.0
    zero = np.zeros_like(theta)
    out = []
    for direction in (-1.0, 1.0):
        c_in, u_in = prof.g0, zero
        c_out = None
        step = prof.se_g
        for _ in range(80):
            cand = c_in + direction * step
            val, u = prof.solve(cand, u_in, c_in)
            if u is None:  # beyond g's range: come back towards the inner point
                step /= 2.0
                if step < 1e-12 * max(abs(c_in), prof.se_g):
                    break  # the interval reaches the edge of g's range
                continue
            gap = val - (ll_max - cut)
            if gap < 0:
                c_out = cand
                break
            c_in, u_in = cand, u
            step *= 2.0
        if c_out is None:
            out.append(c_in)
            continue
        # the warm start of each evaluation: the inner point's solution
        anchor = (c_in, u_in)

        def gap_at(c, anchor=anchor):
            val, _ = prof.solve(c, anchor[1], anchor[0])
            return val - (ll_max - cut)

        lo, hi = sorted((c_in, c_out))
        out.append(optimize.brentq(gap_at, lo, hi, xtol=1e-12 * max(1.0, abs(c_in)),
                                   rtol=1e-10))
    return np.array(out)
