"""The negative binomial distribution, fitted by Newton's method on the profile equation."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special

from ..exceptions import BoundaryWarning
from ..families._stats import DataStats, total_weight
from ._base import DistributionMLE
from ._gamma import IterativeFitMixin, free_mask, newton_decreasing

_HARMONIC_MAX = 1_000_000  # up to this count, exact harmonic sums replace digamma


def _x_minus_log1p(x):
    """``x - log1p(x)`` for x >= 0 without cancellation at small x."""
    x = np.asarray(x, dtype=float)
    small = x < 0.05
    xs = np.where(small, x, 0.0)
    # alternating series x^2/2 - x^3/3 + ...: 12 terms reach 1e-17 relative at x = 0.05
    series = np.zeros_like(xs)
    for i in range(13, 1, -1):
        series = xs * ((1.0 if i % 2 == 0 else -1.0) / i + series)
    series = xs * series
    return np.where(small, series, x - np.log1p(np.where(small, 0.0, x)))


class _Counts:
    """One column of counts as a weighted histogram.

    ``tail[j]`` is the total weight of observations greater than ``j``, so
    ``sum_i w_i [digamma(x_i + r) - digamma(r)] = sum_j tail[j] / (r + j)`` exactly,
    with no cancellation between two large digamma values.
    """

    def __init__(self, x, w):
        x = np.asarray(x, dtype=np.float64)
        self.n = total_weight(w)
        self.total = float(w @ x)
        self.mean = self.total / self.n
        self.var = float(w @ (x - self.mean) ** 2) / self.n
        top = float(x.max()) if x.size else 0.0
        self.harmonic = top <= _HARMONIC_MAX
        if self.harmonic:
            counts = np.bincount(x.astype(np.intp), weights=w, minlength=1)
            tail = self.n - np.cumsum(counts)  # weight of x > j
            self.tail = np.maximum(tail[:-1], 0.0)
            self.j = np.arange(self.tail.size, dtype=float)
        else:
            vals, inv = np.unique(x, return_inverse=True)
            self.vals = vals
            self.cnt = np.bincount(inv.ravel(), weights=w)
        # sum_j tail[j] * j = sum_i w_i x_i (x_i - 1) / 2
        self.pair = 0.5 * float(w @ (x * (x - 1.0)))

    def dig(self, r):
        """``sum w [digamma(x + r) - digamma(r)]`` and its derivative in r."""
        if self.harmonic:
            q = 1.0 / (r + self.j)
            tq = self.tail * q
            return tq.sum(), -(tq @ q)
        d0 = special.digamma(self.vals + r) - special.digamma(r)
        d1 = special.polygamma(1, self.vals + r) - special.polygamma(1, r)
        return self.cnt @ d0, self.cnt @ d1

    def jterm(self, r):
        """``sum w sum_{j<x} j / (r + j)`` and its derivative in r."""
        if self.harmonic:
            q = self.j / (r + self.j)
            return self.tail @ q, -(self.tail @ (q / (r + self.j)))
        # via the identity sum_{j<x} j/(r+j) = x - r [digamma(x + r) - digamma(r)]
        s0, s1 = self.dig(r)
        return self.total - r * s0, -s0 - r * s1

    def lgamma_ratio(self, r):
        """``sum w [gammaln(x + r) - gammaln(r)]``."""
        if self.harmonic:
            return self.tail @ np.log(r + self.j)
        return self.cnt @ (special.gammaln(self.vals + r) - special.gammaln(r))


class NegativeBinomialMLE(IterativeFitMixin, DistributionMLE):
    """Negative binomial distribution for over-dispersed counts, fitted by maximum likelihood.

    scipy's ``nbinom(n=r, p=p)`` convention: the number of failures before the
    ``r``-th success, ``pmf(x) = C(x + r - 1, x) p**r (1 - p)**x``, mean
    ``r (1 - p) / p`` and variance ``mean + mean**2 / r``. Given ``r`` the MLE of
    ``p`` is ``r / (r + mean)``; ``r`` solves the profile equation by safeguarded
    Newton in ``log r``, started from the method of moments
    ``r = mean**2 / (var - mean)``. Each column is reduced to a histogram first, so the
    iterations cost nothing per row, and the digamma differences are exact harmonic
    sums.

    The MLE exists only for over-dispersed data (variance above the mean, Anscombe
    1950); otherwise ``r`` tends to infinity (the Poisson limit): the estimator warns
    and caps ``r``, and :class:`PoissonMLE` is the right model. There are no finite
    sufficient statistics, so there is no ``partial_fit``; ``stats_`` holds the data.

    Parameters
    ----------
    prior : None
        Only the MLE is implemented; a prior raises a ValueError.
    fixed_params : dict or None, default=None
        ``{"r": value}`` and/or ``{"p": value}``, a scalar or one value per column,
        NaN meaning free. A fixed integer ``r`` is the Pascal distribution.
    contamination : float, default=0.1
        Fraction of training samples below the novelty threshold ``offset_``.
    max_iter : int, default=100
        Maximum number of Newton iterations.
    tol : float, default=1e-10
        Convergence tolerance on the Newton step in ``log(r)``.

    Attributes
    ----------
    r_ : ndarray of shape (n_features,)
        Estimated number of successes (dispersion; need not be an integer).
    p_ : ndarray of shape (n_features,)
        Estimated success probability.
    converged_ : bool
        Whether Newton's method converged in every column.
    n_iter_ : int
        Newton iterations used (the maximum over columns).
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide: likelihood, inference and novelty detection.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import NegativeBinomialMLE
    >>> counts = np.array([[0], [3], [1], [7], [2], [0], [12], [4], [1], [5]])
    >>> est = NegativeBinomialMLE().fit(counts)
    >>> round(float(est.r_[0]), 4), round(float(est.p_[0]), 4)
    (1.1598, 0.2489)
    """

    _count_input = True
    _param_names = ("r", "p")
    _bounds = {"r": (0.0, np.inf), "p": (0.0, 1.0)}
    _supported_priors = ()
    _integer_domain = True
    _sklearn_xfail_checks = {
        "check_sample_weight_equivalence_on_dense_data": (
            "this check draws X from uniform floats, ignoring the integer input tag"
        )
    }
    _r_cap = 1e10  # multiple of max(mean, 1) at which r stops (the Poisson limit)


    def _check_domain(self, X):
        rule = "negative binomial counts must be non-negative integers"
        self._domain_error(X, X < 0, f"Negative values in data: {rule}")
        self._domain_error(X, X != np.floor(X), rule)

    def _suff_stats(self, X, w):
        return DataStats(x=X, w=w, weight=np.full(X.shape[1], total_weight(w)))

    def _solve(self, stats, fixed):
        d = stats.x.shape[1]
        free_r, free_p = free_mask(fixed, "r", d), free_mask(fixed, "p", d)
        r = np.array(fixed.get("r", np.ones(d)), dtype=float)
        p = np.array(fixed.get("p", np.full(d, 0.5)), dtype=float)
        conv, n_iter = np.ones(d, dtype=bool), 0
        for j in range(d):
            col = _Counts(stats.x[:, j], stats.w)
            if free_r[j]:
                r[j], conv[j], it = self._solve_r(col, None if free_p[j] else p[j], j)
                n_iter = max(n_iter, it)
            if free_p[j]:
                p[j] = r[j] / (r[j] + col.mean)
        self._record_solve(conv, n_iter)
        return {"r": r, "p": p}

    def _solve_r(self, col, fixed_p, j):
        cap = self._r_cap * max(col.mean, 1.0)
        if col.total == 0:
            warnings.warn(
                f"NegativeBinomialMLE: {self._column_name(j)} has only zero counts, so the "
                "MLE is degenerate (p = 1, any r): r is capped. A point mass at zero fits; "
                "drop the column or fix r with fixed_params.",
                BoundaryWarning,
                stacklevel=7,
            )
            return cap, True, 0
        if fixed_p is None:
            if col.var <= col.mean:
                warnings.warn(
                    f"NegativeBinomialMLE: {self._column_name(j)} is not over-dispersed "
                    f"(variance {col.var:.6g} <= mean {col.mean:.6g}), so the MLE of r is "
                    "infinite (the Poisson limit): r is capped. Use PoissonMLE for this "
                    "column.",
                    BoundaryWarning,
                    stacklevel=7,
                )
                return cap, True, 0
            r0 = col.mean**2 / (col.var - col.mean)
            n, m = col.n, col.mean

            def fun(t):
                # r * (profile score): n r phi(m/r) - sum_j tail_j j/(r+j), phi(x) = x-log1p(x)
                rr = float(np.exp(t[0]))
                x = m / rr
                jt, djt = col.jterm(rr)
                h = n * rr * _x_minus_log1p(x) - jt
                dh = n * (_x_minus_log1p(x) - x * x / (1.0 + x)) - djt
                return np.array([h]), np.array([rr * dh])

        else:
            r0 = col.mean * fixed_p / (1.0 - fixed_p) if col.mean > 0 else 1.0
            r0 = max(r0, 1e-3)
            log_p = np.log(fixed_p)

            def fun(t):
                rr = float(np.exp(t[0]))
                s0, s1 = col.dig(rr)
                return np.array([s0 + col.n * log_p]), np.array([rr * s1])

        t, conv, n_iter = newton_decreasing(
            fun, np.array([np.log(r0)]), -np.inf, np.log(cap), self.tol, self.max_iter
        )
        rr = float(np.exp(t[0]))
        if self._column_profile(col, rr, fixed_p) < self._column_profile(col, r0, fixed_p):
            rr = r0  # never worse than the start
        if fixed_p is None and rr >= cap * (1 - 1e-9):
            warnings.warn(
                f"NegativeBinomialMLE: r reached its cap in {self._column_name(j)}: the data "
                "are barely over-dispersed. Use PoissonMLE for this column.",
                BoundaryWarning,
                stacklevel=7,
            )
        return rr, bool(conv[0]), n_iter

    @staticmethod
    def _column_profile(col, r, fixed_p):
        with np.errstate(all="ignore"):
            p = r / (r + col.mean) if fixed_p is None else fixed_p
            val = col.lgamma_ratio(r) + col.n * r * np.log(p) + col.total * np.log1p(-p)
        return val if np.isfinite(val) else -np.inf

    def _loglik(self, stats, params):
        r, p = params["r"], params["p"]
        out = np.empty(r.size)
        for j in range(r.size):
            x = np.asarray(stats.x[:, j], dtype=np.float64)
            col = _Counts(x, stats.w)
            out[j] = (
                col.lgamma_ratio(r[j])
                - stats.w @ special.gammaln(x + 1.0)
                + col.n * r[j] * np.log(p[j])
                + special.xlog1py(col.total, -p[j])
            )
        return out

    def _information(self, stats, params):
        r, p = params["r"], params["p"]
        info = np.empty((r.size, 2, 2))
        for j in range(r.size):
            col = _Counts(stats.x[:, j], stats.w)
            _, d1 = col.dig(r[j])
            info[j, 0, 0] = -d1
            info[j, 0, 1] = info[j, 1, 0] = -col.n / p[j]
            with np.errstate(divide="ignore", invalid="ignore"):  # p = 1: all-zero column
                q = col.total / (1.0 - p[j]) ** 2 if col.total > 0 else 0.0
            info[j, 1, 1] = col.n * r[j] / p[j] ** 2 + q
        return info

    def _logpmf(self, X, r, p):
        coeff = special.gammaln(r + X) - special.gammaln(X + 1.0) - special.gammaln(r)
        return coeff + r * np.log(p) + special.xlog1py(X, -p)

    def _logpdf(self, X, params):
        lp = self._logpmf(X, params["r"], params["p"])
        return np.where((X >= 0) & (X == np.floor(X)), lp, -np.inf)

    def _sample(self, params, n, rng):
        r, p = params["r"], params["p"]
        return rng.negative_binomial(r, p, size=(n, r.size)).astype(float)
