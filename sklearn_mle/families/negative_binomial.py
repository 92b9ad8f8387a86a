"""The negative binomial family (r, p): no finite statistics, Newton on the profile of r.

The statistics are the weighted data (:class:`~sklearn_mle.families._stats.DataStats`).
A column of counts up to ``_HIST_MAX`` is reduced to a weighted histogram in one pass
through :func:`~sklearn_mle._engine.blocks.map_reduce`, after which Newton's
iterations cost nothing per row and the digamma differences are exact harmonic sums;
a column with larger counts takes one pass per iteration (digamma sums).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special
from scipy import stats as sps

from .._engine.blocks import map_reduce
from .._engine.rules import NONFINITE, check_rule
from ..exceptions import BoundaryWarning
from ._data import (
    data_stats,
    newton_decreasing,
    total_weight_or_raise,
    unit_broadcast,
    weighted_rows,
)
from ._protocol import Family, ModeResult
from ._saddle import nbinom_logpmf

__all__ = ["NegativeBinomial"]

# largest count of a column kept as a histogram: each block's partial histogram
# stays well below a block's size
_HIST_MAX = 1 << 14
_R_CAP = 1e10  # multiple of max(mean, 1) at which r stops (the Poisson limit)
# ... and multiple of sqrt(mean) beyond which p = r / (r + mean), rounded near 1, would
# no longer keep the mean: its model mean r (1 - p) / p moves by ~eps r / 2, which
# costs (eps r)**2 / (8 mean) of log-likelihood per row (a cap of 1e25 at means near
# 1e15 cost ~500 per row); at 1e11 sqrt(mean) that is below 1e-9, while the excess
# variance mean**2 / r stays below 1e-11 * mean**1.5 (the Poisson limit still)
_R_CAP_SQRT = 1e11
_SAMPLER_MAX = 1e15  # numpy's poisson() refuses means near 2**63
_RULE = "negative binomial counts must be non-negative integers"


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


class _Histogram:
    """One column as a weighted histogram: ``tail[j]`` is the weight of the counts
    greater than ``j``, so ``sum w [digamma(x + r) - digamma(r)] = sum_j tail[j] /
    (r + j)`` exactly, with no cancellation between two large digamma values."""

    def __init__(self, counts, s_lg):
        self.s_lg = s_lg  # sum w gammaln(x + 1)
        n = counts.sum()
        self.tail = np.maximum(n - np.cumsum(counts), 0.0)[:-1]  # weight of x > j
        self.j = np.arange(self.tail.size, dtype=float)

    def dig(self, r):
        """``sum w [digamma(x + r) - digamma(r)]`` and its derivative in r."""
        q = 1.0 / (r + self.j)
        tq = self.tail * q
        return tq.sum(), -(tq @ q)

    def jterm(self, r):
        """``sum w sum_{j<x} j / (r + j)`` and its derivative in r."""
        q = self.j / (r + self.j)
        return self.tail @ q, -(self.tail @ (q / (r + self.j)))

    def coef(self, r):
        """``sum w log C(x + r - 1, x) = sum w [gammaln(x + r) - gammaln(r) -
        gammaln(x + 1)]``."""
        return self.tail @ np.log(r + self.j) - self.s_lg


class _Streamed:
    """One column of large counts: each evaluation at a new ``r`` is one pass."""

    def __init__(self, stats, j, n, mean, wscale):
        self.stats, self.col, self.n, self.mean, self.wscale = stats, j, n, mean, wscale
        self._last = (None, None)

    def _sums(self, r):
        if self._last[0] != r:
            j = self.col

            def block(xb, wb):
                x = xb[:, j]
                # log C(x + r - 1, x) without the overflow of gammaln near 1e308
                parts = (special.digamma(x + r), special.polygamma(1, x + r),
                         -np.log(x + r) - special.betaln(r, x + 1.0))
                return np.array([p.sum() if wb is None else wb @ p for p in parts])

            self._last = (r, weighted_rows(self.stats, block, self.wscale))
        return self._last[1]

    def dig(self, r):
        s = self._sums(r)
        return (s[0] - self.n * special.digamma(r),
                s[1] - self.n * special.polygamma(1, r))

    def jterm(self, r):
        # sum_{j<x} j/(r+j) = x - r [digamma(x + r) - digamma(r)]
        s0, s1 = self.dig(r)
        return self.n * self.mean - r * s0, -s0 - r * s1

    def coef(self, r):
        """``sum w log C(x + r - 1, x)``."""
        return self._sums(r)[2]


class NegativeBinomial(Family):
    """Negative binomial counts per column: scipy's ``nbinom(n=r, p=p)``, the number of
    failures before the ``r``-th success, ``pmf(x) = C(x + r - 1, x) p**r (1 - p)**x``.

    No finite sufficient statistics: :meth:`stats` keeps the weighted data and
    :meth:`block_terms` gives one block's log-likelihood, gradient and Hessian. Given
    ``r`` the MLE of ``p`` is ``r / (r + mean)``; :meth:`mode` solves the profile
    equation of ``r`` by safeguarded Newton in ``log r`` from the method of moments
    ``r = mean**2 / (var - mean)``. The MLE exists only for over-dispersed data
    (variance above the mean); otherwise ``r`` is capped with a warning (the Poisson
    limit).

    Parameters
    ----------
    max_iter : int, default=100
        Maximum number of Newton iterations.
    tol : float, default=1e-10
        Convergence tolerance on the Newton step in ``log(r)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.families.negative_binomial import NegativeBinomial
    >>> fam = NegativeBinomial()
    >>> counts = np.array([[0.], [3.], [1.], [7.], [2.], [0.], [12.], [4.], [1.], [5.]])
    >>> est = fam.mode(fam.stats(counts))
    >>> round(float(est["r"][0]), 4), round(float(est["p"][0]), 4)
    (1.1598, 0.2489)
    """

    name = "negative_binomial"
    param_names = ("r", "p")
    bounds = {"r": (0.0, np.inf), "p": (0.0, 1.0)}
    finite_stats = False
    integer_domain = True
    rules = (
        (f"Negative values in data: {_RULE}", lambda X: X < 0),
        (_RULE, lambda X: X != np.floor(X)),
    )

    def __init__(self, max_iter=100, tol=1e-10):
        self.max_iter = int(max_iter)
        self.tol = float(tol)

    # ------------------------------------------------------------ statistics
    def check(self, X):
        """Non-negative finite integers: reductions and one blockwise pass; the masks
        naming the first offending value are built only on failure."""
        X = np.asarray(X)
        if not X.size:
            return
        ok = np.all(X.min(axis=0) >= 0) and np.all(np.isfinite(X.max(axis=0)))
        if ok and X.dtype.kind == "f":
            ok = bool(map_reduce(lambda xb: np.array_equal(xb, np.floor(xb)), X,
                                 combine=lambda a, b: a and b))
        if ok:
            return
        check_rule(X, lambda X: np.isnan(X) | np.isposinf(X), NONFINITE)
        super().check(X)

    def stats(self, X, weights=None, *, checked=False):
        """The weighted data; weights (n, k) give k statistics sharing ``X`` (no copy)."""
        return data_stats(self, X, weights, checked)

    def block_terms(self, X_block, w_block, params):
        """Log-likelihood (d,), gradient (d, 2) and Hessian (d, 2, 2) in ``(r, p)`` of
        one block of rows (``w_block`` None: unit weights)."""
        r, p = np.asarray(params["r"], float), np.asarray(params["p"], float)
        x = np.asarray(X_block, dtype=np.float64)

        def s(v):
            return v.sum(axis=0) if w_block is None else w_block @ v

        n = x.shape[0] if w_block is None else w_block.sum()
        total = s(x)
        ll = (s(special.gammaln(x + r)) - n * special.gammaln(r) - s(special.gammaln(x + 1.0))
              + n * r * np.log(p) + special.xlog1py(total, -p))
        d0 = s(special.digamma(x + r)) - n * special.digamma(r)
        d1 = s(special.polygamma(1, x + r)) - n * special.polygamma(1, r)
        grad = np.stack([d0 + n * np.log(p), n * r / p - total / (1.0 - p)], axis=-1)
        return ll, grad, -self._info(d1, n, total / n, r, p)

    @staticmethod
    def _info(d1, n, mean, r, p):
        """Observed information in (r, p); entries beyond the float range (p near
        1e-300) are inf, which the inference reports as undefined errors."""
        info = np.empty(np.shape(r) + (2, 2))
        info[..., 0, 0] = -d1
        with np.errstate(all="ignore"):  # p = 1: an all-zero column
            info[..., 0, 1] = info[..., 1, 0] = -n / p
            q = np.where(mean > 0, mean / (1.0 - p) ** 2, 0.0)
            info[..., 1, 1] = n * (r / p**2 + q)
        return info

    def _columns(self, stats, wscale, lgamma=False):
        """Per column: a :class:`_Histogram` or :class:`_Streamed`, the total weight,
        the mean and the dispersion ``var / mean``: one pass (plus one for the
        moments of columns of large counts)."""
        top = np.asarray(stats.x.max(axis=0), dtype=float) if stats.x.shape[0] else \
            np.zeros(stats.x.shape[1])
        small = np.flatnonzero(top <= _HIST_MAX)
        sizes = [int(top[j]) + 1 for j in small]

        def block(xb, wb):
            hists = tuple(np.bincount(xb[:, j].astype(np.intp), weights=wb, minlength=m)
                          for j, m in zip(small, sizes))
            if not lgamma:  # a constant of the likelihood: only loglik needs it
                return hists, np.zeros(small.size)
            lg = special.gammaln(xb[:, small] + 1.0)
            return hists, lg.sum(axis=0) if wb is None else wb @ lg

        hists, s_lg = weighted_rows(stats, block, wscale)
        if unit_broadcast(stats.w) and wscale != 1.0:
            hists = tuple(h * wscale for h in hists)
            s_lg = s_lg * wscale
        d = stats.x.shape[1]
        cols = [None] * d
        n, mean, var = np.zeros(d), np.zeros(d), np.zeros(d)
        for j, h in zip(small, hists):
            cols[j] = _Histogram(h, s_lg[list(small).index(j)])
            vals = np.arange(h.size, dtype=float)
            n[j] = h.sum()
            mean[j] = (h @ vals) / n[j] if n[j] > 0 else 0.0
            var[j] = (h @ (vals - mean[j]) ** 2) / n[j] if n[j] > 0 else 0.0
        large = np.setdiff1d(np.arange(d), small)
        if large.size:
            sc = np.maximum(top[large], 1.0)  # moments of x / max: no overflow at 1e308

            def moments(xb, wb):
                y = xb[:, large] / sc
                m = y.shape[0] if wb is None else wb.sum()
                return np.array([np.full(large.size, m), _wsum(wb, y), _wsum(wb, y * y)])

            m0, m1, m2 = weighted_rows(stats, moments, wscale)
            with np.errstate(all="ignore"):
                mean_y = m1 / m0
                var_y = np.maximum(m2 / m0 - mean_y**2, 0.0)
            n[large], mean[large] = m0, mean_y * sc
            # var is returned as var / mean (overflows otherwise near 1e308)
            var[large] = np.where(mean_y > 0, var_y / np.where(mean_y > 0, mean_y, 1.0) * sc,
                                  0.0)
            for i, j in enumerate(large):
                cols[j] = _Streamed(stats, j, m0[i], mean[j], wscale)
        disp = var.copy()
        with np.errstate(all="ignore"):
            disp[small] = np.where(mean[small] > 0, var[small] / mean[small], 0.0)
        return cols, n, mean, disp

    # ------------------------------------------------------------------ mode
    def mode(self, stats, fixed=None):
        fixed = fixed or {}
        n_total = total_weight_or_raise(stats, "r and p")
        d = stats.x.shape[1]
        r = np.array(fixed.get("r", np.full(d, np.nan)), dtype=float)
        p = np.array(fixed.get("p", np.full(d, np.nan)), dtype=float)
        free_r, free_p = np.isnan(r), np.isnan(p)
        if not (free_r.any() or free_p.any()):
            return ModeResult({"r": r, "p": p})
        cols, n, mean, disp = self._columns(stats, 1.0 / n_total)
        conv, n_iter = True, 0
        for j in range(d):
            if free_r[j]:
                r[j], ok, it = self._solve_r(cols[j], n[j], mean[j], disp[j],
                                             None if free_p[j] else p[j], j)
                conv, n_iter = conv and ok, max(n_iter, it)
            if free_p[j]:
                p[j] = r[j] / (r[j] + mean[j])
        return ModeResult({"r": r, "p": p}, converged=conv, n_iter=n_iter)

    def _solve_r(self, col, n, mean, disp, fixed_p, j):
        with np.errstate(over="ignore"):
            cap = min(_R_CAP * max(mean, 1.0), _R_CAP_SQRT * np.sqrt(max(mean, 1.0)),
                      np.finfo(float).max)
        if not mean > 0:
            warnings.warn(
                f"NegativeBinomialMLE: column {j} has only zero counts, so the MLE is "
                "degenerate (p = 1, any r): r is capped. A point mass at zero fits; drop "
                "the column or fix r with fixed_params.",
                BoundaryWarning,
                stacklevel=5,
            )
            return cap, True, 0
        if fixed_p is None:
            if disp <= 1.0:
                warnings.warn(
                    f"NegativeBinomialMLE: column {j} is not over-dispersed (variance "
                    f"{disp * mean:.6g} <= mean {mean:.6g}), so the MLE of r is infinite "
                    "(the Poisson limit): r is capped. Use PoissonMLE for this column.",
                    BoundaryWarning,
                    stacklevel=5,
                )
                return cap, True, 0
            r0 = mean / (disp - 1.0)

            def fun(t):
                rr = float(np.exp(t[0]))
                x = mean / rr
                if isinstance(col, _Streamed):
                    # r * (profile score) = r (dig(r) - n log1p(m/r)): large counts, where
                    # the form below would cancel two values of the size of the total
                    s0, s1 = col.dig(rr)
                    g = s0 - n * np.log1p(x)
                    dg = s1 + n * x / (rr + mean)
                    return np.array([rr * g]), np.array([rr * (g + rr * dg)])
                # r * (profile score): n r phi(m/r) - sum_j tail_j j/(r+j), phi(x) = x-log1p(x)
                jt, djt = col.jterm(rr)
                h = n * rr * _x_minus_log1p(x) - jt
                dh = n * (_x_minus_log1p(x) - x * x / (1.0 + x)) - djt
                return np.array([h]), np.array([rr * dh])

        else:
            r0 = max(mean * fixed_p / (1.0 - fixed_p), 1e-3)
            log_p = np.log(fixed_p)

            def fun(t):
                rr = float(np.exp(t[0]))
                s0, s1 = col.dig(rr)
                return np.array([s0 + n * log_p]), np.array([rr * s1])

        t, conv, n_iter = newton_decreasing(
            fun, np.array([np.log(r0)]), -np.inf, np.log(cap), self.tol, self.max_iter
        )
        rr = float(np.exp(t[0]))
        if _profile(col, n, mean, rr, fixed_p) < _profile(col, n, mean, r0, fixed_p):
            rr = r0  # never worse than the start
        if fixed_p is None and rr >= cap * (1 - 1e-9):
            warnings.warn(
                f"NegativeBinomialMLE: r reached its cap in column {j}: the data are "
                "barely over-dispersed. Use PoissonMLE for this column.",
                BoundaryWarning,
                stacklevel=5,
            )
        return rr, bool(conv[0]), n_iter

    # ------------------------------------------------------------ likelihood
    def loglik(self, stats, params):
        r, p = np.asarray(params["r"], float), np.asarray(params["p"], float)
        cols, n, mean, _ = self._columns(stats, 1.0, lgamma=True)
        coef = np.array([cols[j].coef(r[j]) for j in range(r.size)])
        # n (r log p + mean log(1 - p)): the total count may overflow near 1e308
        out = coef + n * (r * np.log(p) + special.xlog1py(mean, -p))
        large = np.flatnonzero([isinstance(c, _Streamed) for c in cols])
        if large.size:  # large counts: the sum of the rows' Loader forms (no cancellation)
            out[large] = weighted_rows(
                stats, lambda xb, wb: _wsum(wb, nbinom_logpmf(xb[:, large], r[large],
                                                              p[large])))
        return out

    def information(self, stats, params):
        return self.unscaled_information(*self.scaled_information(stats, params))

    def scaled_information(self, stats, params):
        # on the (log r, log p) scale, where the entries are of the order of n: the
        # information in p, n (r / p**2 + mean / (1 - p)**2), overflows for p near 1e-300
        # (counts near 1e300) long before the standard error leaves float64
        r, p = np.asarray(params["r"], float), np.asarray(params["p"], float)
        cols, n, mean, _ = self._columns(stats, 1.0)
        d1 = np.array([cols[j].dig(r[j])[1] for j in range(r.size)])
        info = np.empty(np.shape(r) + (2, 2))
        with np.errstate(all="ignore"):  # p = 1: an all-zero column
            info[..., 0, 0] = -d1 * r * r
            info[..., 0, 1] = info[..., 1, 0] = -n * r
            # p**2 mean / (1 - p)**2 = p r / (1 - p) at the MLE; as written for any p
            q = np.where(mean > 0, mean * (p / (1.0 - p)) ** 2, 0.0)
            info[..., 1, 1] = n * (r + q)
        inside = (r > 0) & np.isfinite(r) & (p > 0) & (p <= 1)
        scale = np.stack([np.where(inside, r, 1.0), np.where(inside, p, 1.0)], axis=-1)
        return np.where(inside[:, None, None], info, self._info(d1, n, mean, r, p)), scale

    def logpdf(self, X, params):
        r, p = params["r"], params["p"]
        with np.errstate(invalid="ignore", divide="ignore"):
            valid = (X >= 0) & (X == np.floor(X))
            # Loader's form: gammaln(x + r) - gammaln(r) and r log p + x log(1 - p)
            # lose all digits when r is large (a capped r, the Poisson limit)
            lp = nbinom_logpmf(np.where(valid, X, 0.0), r, p)
            return np.where(valid, lp, -np.inf)

    def sample(self, params, n, rng):
        r, p = np.asarray(params["r"], float), np.asarray(params["p"], float)
        with np.errstate(all="ignore"):
            mean = r * (1.0 - p) / p
        if np.all(mean <= _SAMPLER_MAX):
            return rng.negative_binomial(r, p, size=(n, r.size)).astype(float)
        # numpy's sampler draws a Poisson of the gamma mixing variable, which it
        # refuses above ~9.2e18: there the Poisson is its normal limit to within a
        # relative 1e-9 of the gamma draw, rounded to integers and kept finite
        lam = rng.gamma(r, np.where(np.isfinite(mean), (1.0 - p) / p, np.finfo(float).max),
                        size=(n, r.size))
        huge = lam > _SAMPLER_MAX
        small = rng.poisson(np.where(huge, 0.0, lam)).astype(float)
        with np.errstate(over="ignore"):
            big = np.round(lam + np.sqrt(lam) * rng.standard_normal(lam.shape))
        big = np.clip(big, 0.0, np.finfo(float).max)
        return np.where(huge, big, small)

    def to_scipy(self, params):
        return [sps.nbinom(float(r), float(p))
                for r, p in zip(np.atleast_1d(params["r"]), np.atleast_1d(params["p"]))]


def _wsum(wb, v):
    return v.sum(axis=0) if wb is None else wb @ v


def _profile(col, n, mean, r, fixed_p):
    with np.errstate(all="ignore"):
        p = r / (r + mean) if fixed_p is None else fixed_p
        val = col.coef(r) + n * (r * np.log(p) + mean * np.log1p(-p))
    return val if np.isfinite(val) else -np.inf
