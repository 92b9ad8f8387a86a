"""The gamma family: Newton's method on (weight, sum x, sum log x) for the shape."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special
from scipy import stats as sps

from .._engine.blocks import map_reduce
from .._engine.rules import NONFINITE, DomainError
from ..exceptions import BoundaryWarning
from ._data import newton_decreasing
from ._protocol import Family, ModeResult
from ._stats import unit_weights
from .lognormal import log_moment_sums

__all__ = ["Gamma", "inverse_digamma"]

_RULE = "gamma data must be strictly positive (x > 0)"


def inverse_digamma(y, tol=1e-14, max_iter=50):
    """Solve ``digamma(k) = y`` for ``k > 0`` (Minka 2000), elementwise."""
    y = np.asarray(y, dtype=float)
    k = np.where(y >= -2.22, np.exp(y) + 0.5, -1.0 / (y - special.digamma(1.0)))

    def fun(t):
        kk = np.exp(t)
        return y - special.digamma(kk), -kk * special.polygamma(1, kk)

    t, _, _ = newton_decreasing(fun, np.log(k), -np.inf, np.inf, tol, max_iter)
    return np.exp(t)


_LARGE_SHAPE = 1e3  # above it, the log-density is computed without cancellation
_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)
_EPS = np.finfo(float).eps


def _stirling_tail(k):
    """``gammaln(k) - [(k - 0.5) log k - k + 0.5 log(2 pi)]``: Stirling's series for
    large k (error < 1e-20 above 1e3), the direct difference below."""
    k = np.asarray(k, dtype=float)
    with np.errstate(all="ignore"):
        inv = 1.0 / k
        series = inv * (1.0 / 12.0 - inv * inv * (1.0 / 360.0 - inv * inv / 1260.0))
        direct = special.gammaln(k) - ((k - 0.5) * np.log(k) - k + _HALF_LOG_2PI)
    return np.where(k > _LARGE_SHAPE, series, direct)


def _free(fixed, name, d):
    return np.isnan(np.asarray(fixed.get(name, np.full(d, np.nan)), dtype=float))


class Gamma(Family):
    """Gamma: ``rate**shape x**(shape-1) exp(-rate x) / Gamma(shape)`` for x > 0.

    Statistics: ``weight``, ``sum_x``, ``sum_log_x`` and ``events``, the extra power
    of the rate (zero for data). The shape solves ``log(shape) - digamma(shape) =
    log(mean x) - mean(log x)`` by safeguarded Newton in ``log(shape)`` from Minka's
    (2002) start; then ``rate = (weight shape + events) / sum_x``. A ``Gamma(a, rate)``
    prior on the rate adds ``a - 1`` events and ``rate`` to ``sum_x``
    (:meth:`rate_stats`), so the MAP is the mode of the summed statistics. scipy's
    ``gamma(a=shape, scale=1/rate)``.

    Parameters
    ----------
    max_iter : int, default=100
        Newton iterations at most (a solver setting, not part of :attr:`constants`).
    tol : float, default=1e-10
        Tolerance on the Newton step in ``log(shape)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.families.gamma import Gamma
    >>> fam = Gamma()
    >>> x = np.array([[0.8], [1.7], [2.1], [3.4], [0.5], [1.2], [2.6], [1.9]])
    >>> p = fam.mode(fam.stats(x))
    >>> round(float(p["shape"][0]), 4), round(float(p["rate"][0]), 4), p.converged
    (3.4079, 1.92, True)
    """

    name = "gamma"
    param_names = ("shape", "rate")
    bounds = {"shape": (0.0, np.inf), "rate": (0.0, np.inf)}
    prior_param = "rate"
    supported_priors = ("Gamma",)
    rules = ((_RULE, lambda X: ~(X > 0)),)

    def __init__(self, max_iter: int = 100, tol: float = 1e-10):
        self.max_iter = int(max_iter)
        self.tol = float(tol)

    # ------------------------------------------------------------ statistics
    def _make(self, weight, sum_x, sum_log_x):
        d = np.size(sum_x)
        return self.make_stats(weight=np.broadcast_to(np.asarray(weight, float), (d,)).copy(),
                               sum_x=sum_x, sum_log_x=sum_log_x, events=np.zeros(d))

    def _stats(self, X, w, checked):
        n, d = X.shape
        unit = w is None or unit_weights(w)
        if unit and n:  # one threaded pass: log and sums block by block
            with np.errstate(divide="ignore", invalid="ignore"):
                shift = np.log(X[0].astype(np.float64))
            sums = log_moment_sums(X, shift, with_sum=True) if np.all(
                np.isfinite(shift)) else None
            if sums is not None:
                return self._make(float(n), sums[2], n * shift + sums[0])
        out = self.stats(X, (np.ones(n) if unit else w)[:, None], checked=checked)
        return out[0]

    def stats(self, X, weights=None, *, checked=False):
        """Statistics; weights (n, k) give k components' in one pass of matrix products
        (``W' x``, ``W' log x``)."""
        if weights is None or np.ndim(weights) == 1:
            return self._stats(X, weights, checked)
        W = np.asarray(weights, dtype=np.float64)

        def block(xb, wb):
            xb = xb.astype(np.float64, copy=False)
            with np.errstate(divide="ignore", invalid="ignore"):
                return wb.sum(axis=0), wb.T @ xb, wb.T @ np.log(xb)

        s0, sx, slx = map_reduce(block, X, W, limit_blas=True)
        if not checked and not (np.all(np.isfinite(slx)) and np.all(np.isfinite(sx))):
            if not np.all(np.isfinite(X)):
                raise DomainError(NONFINITE)
            self.check(X)
        return tuple(self._make(s0[j], sx[j], slx[j]) for j in range(W.shape[1]))

    def rate_stats(self, events, exposure, n_features):
        """Pseudo-statistics of a Gamma prior on the rate: ``events`` extra powers of
        the rate and ``exposure`` added to ``sum_x``."""
        d = int(n_features)
        return self.make_stats(weight=np.zeros(d), sum_x=np.full(d, float(exposure)),
                               sum_log_x=np.zeros(d), events=np.full(d, float(events)))

    # ------------------------------------------------------------------ mode
    def mode(self, stats, fixed=None):
        fixed = fixed or {}
        n = stats.weight.astype(float)
        sx, slx = stats.sum_x.astype(float), stats.sum_log_x.astype(float)
        e = stats.events.astype(float)
        d = n.size
        free_k, free_r = _free(fixed, "shape", d), _free(fixed, "rate", d)
        k = np.where(free_k, 1.0, fixed.get("shape", np.ones(d)))
        rate_fixed = np.where(free_r, 1.0, fixed.get("rate", np.ones(d)))
        # log(mean) - mean(log): >= 0 by Jensen, 0 for constant data (shape -> inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.log(sx / n) - slx / n
        flat = free_k & free_r & (s < 1e-13)
        if flat.any():
            warnings.warn(
                "GammaMLE: a column is (numerically) constant, so the likelihood grows "
                "without bound as the shape grows: the MLE does not exist. The shape is "
                "capped; fix it with fixed_params={'shape': value} or drop the column.",
                BoundaryWarning,
                stacklevel=5,
            )
            s = np.maximum(s, 1e-13)
        # mean(log x) as the solve sees it: for a flat column, the one that makes
        # log(mean) - mean(log) the floor above, so Newton stops at the cap (from the
        # raw sums it would run off to 1e141 or beyond)
        with np.errstate(divide="ignore", invalid="ignore"):
            mlog = np.where(flat, np.log(sx / n) - s, slx / n)
        n_iter, conv = 0, np.ones(d, dtype=bool)
        if free_k.any():
            # Start: Minka's approximation (joint fit) or inverse digamma (rate fixed).
            with np.errstate(all="ignore"):
                k0 = (3.0 - s + np.sqrt((s - 3.0) ** 2 + 24.0 * s)) / (12.0 * s)
            if not np.all(free_r[free_k]):
                k0 = np.where(free_r, k0, inverse_digamma(slx / n + np.log(rate_fixed)))
            log_rate_part = np.log(rate_fixed)

            def fun(t):
                kk = np.exp(t)
                nk = n * kk + e
                lr = np.where(free_r, np.log(nk) - np.log(sx), log_rate_part)
                h = mlog - special.digamma(kk) + lr
                dh = kk * (-special.polygamma(1, kk) + np.where(free_r, n / nk, 0.0))
                return h, dh

            t, conv, n_iter = newton_decreasing(fun, np.log(k0), -np.inf, np.inf, self.tol,
                                                self.max_iter)
            k_new = np.exp(t)
            # never worse than the start, beyond the log-likelihood's rounding: near the
            # Gaussian limit (shape ~1700) the root and Minka's start (1e-8 apart) tie
            # to ~1e-14 and the start won ties, so the shape carried its error
            ll_start = self._profile(k0, stats, free_r, rate_fixed)
            better = (self._profile(k_new, stats, free_r, rate_fixed)
                      >= ll_start - 1e-12 * np.abs(ll_start))
            k = np.where(free_k, np.where(better, k_new, k0), k)
            conv = conv | ~free_k
        with np.errstate(over="ignore", divide="ignore"):
            rate = np.where(free_r, (n * k + e) / sx, rate_fixed)
        if np.any(~np.isfinite(rate) & free_r):
            j = int(np.flatnonzero(~np.isfinite(rate) & free_r)[0])
            raise DomainError(
                f"the gamma rate shape / mean(x) overflows float64 in column {j}: the data "
                f"are too close to 0 (mean x = {sx[j] / n[j]:.3g}, where float64 keeps few "
                "digits); rescale the data, e.g. multiply the column by 1e300"
            )
        return ModeResult({"shape": k, "rate": rate}, converged=bool(np.all(conv)),
                          n_iter=n_iter)

    def _profile(self, k, stats, free_r, rate_fixed):
        n = stats.weight.astype(float)
        with np.errstate(all="ignore"):
            rate = np.where(free_r, (n * k + stats.events) / stats.sum_x, rate_fixed)
            val = self.loglik(stats, {"shape": k, "rate": rate})
        return np.where(np.isnan(val), -np.inf, val)

    # ------------------------------------------------------ log-likelihood
    def loglik(self, stats, params):
        k, r = np.asarray(params["shape"], float), np.asarray(params["rate"], float)
        n, sx, slx = stats.weight.astype(float), stats.sum_x, stats.sum_log_x
        with np.errstate(all="ignore"):
            direct = ((k - 1.0) * slx - r * sx + n * (k * np.log(r) - special.gammaln(k))
                      + stats.events * np.log(r))
            # a large shape (a capped one, or nearly constant data): the terms above are
            # ~k and cancel to O(1); the same sum without cancellation, from
            # s = log(mean x) - mean(log x) and q = rate * mean / shape - 1 (see logpdf)
            s = np.log(sx / n) - slx / n
            # s of constant data is 0 up to the rounding of sum log x (~eps |log x|),
            # which k ~ 1e12 would amplify to 1e-3: the rows' densities see exactly 0
            s = np.where(np.abs(s) <= 8.0 * _EPS * (1.0 + np.abs(slx / n)), 0.0, s)
            q = r * (sx / n) / k - 1.0
            large = (n * (0.5 * np.log(k) + k * (np.log1p(q) - q - s) - _HALF_LOG_2PI
                          - _stirling_tail(k)) - slx + stats.events * np.log(r))
        return np.where((k > _LARGE_SHAPE) & (n > 0), large, direct)

    def information(self, stats, params):
        k, r = params["shape"], params["rate"]
        n = stats.weight.astype(float)
        info = np.empty((np.size(k), 2, 2))
        info[:, 0, 0] = n * special.polygamma(1, k)
        info[:, 0, 1] = info[:, 1, 0] = -n / r
        info[:, 1, 1] = (n * k + stats.events) / r**2
        return info

    def scaled_information(self, stats, params):
        # on the (log shape, log rate) scale: the rate's information (n k + events) / r**2
        # overflows for data near 1e300 (rates near 1e-300), underflows near 1e-300
        k, r = np.asarray(params["shape"], float), np.asarray(params["rate"], float)
        inside = (r > 0) & np.isfinite(r) & (k > 0) & np.isfinite(k)
        n = stats.weight.astype(float)
        info = np.empty((np.size(k), 2, 2))
        with np.errstate(over="ignore", invalid="ignore"):
            info[:, 0, 0] = k * k * n * special.polygamma(1, k)
            info[:, 0, 1] = info[:, 1, 0] = -n * k
            info[:, 1, 1] = n * k + stats.events
        if not inside.all():
            with np.errstate(all="ignore"):
                info = np.where(inside[:, None, None], info, self.information(stats, params))
        return info, np.stack([np.where(inside, k, 1.0), np.where(inside, r, 1.0)], axis=1)

    # -------------------------------------------------------------- density
    def logpdf(self, X, params):
        k, r = np.asarray(params["shape"], float), np.asarray(params["rate"], float)
        y = X * r
        # log y as log x + log r: x r underflows to 0 for a subnormal x (5e-324 at rate
        # 1e-3), and (k - 1) log 0 is +inf for k < 1 where the density is finite
        with np.errstate(divide="ignore", invalid="ignore"):
            logy = np.log(np.where(X > 0, X, 1.0)) + np.log(r)
        lp = np.where(k == 1.0, 0.0, (k - 1.0) * logy) - y - special.gammaln(k) + np.log(r)
        if np.any(k > _LARGE_SHAPE):
            # y = k (1 + v): (k - 1) log y - y - gammaln(k) cancels from ~k to O(1);
            # Stirling's series turns it into -0.5 log k + k (log1p(v) - v) - log1p(v)
            # - 0.5 log(2 pi) - tail(k), with no large terms
            with np.errstate(all="ignore"):
                v = y / k - 1.0
                lv = np.log1p(v)
                big = (-0.5 * np.log(k) + k * (lv - v) - lv - _HALF_LOG_2PI
                       - _stirling_tail(k) + np.log(r))
            lp = np.where(k > _LARGE_SHAPE, big, lp)
        return np.where(X > 0, lp, -np.inf)

    def logpdf_rows(self, X, params_list):
        """k (shape, rate) pairs at once: ``log x`` once per row, then
        ``log X @ (shape - 1).T - X @ rate.T`` plus the components' constants.

        A column where some component's shape is large (a capped shape of constant
        data, ~1e12) is summed from :meth:`logpdf` instead: there the matrix form's
        terms are ~shape and cancel to O(1), losing every digit, which
        :meth:`logpdf`'s Stirling form keeps."""
        shape = np.array([np.asarray(p["shape"], dtype=float) for p in params_list])
        rate = np.array([np.asarray(p["rate"], dtype=float) for p in params_list])
        good = np.all(shape > 0) and np.all(rate > 0)
        if not (good and np.all(np.isfinite(shape)) and np.all(np.isfinite(rate))):
            return super().logpdf_rows(X, params_list)
        X = np.asarray(X, dtype=np.float64)
        large = np.any(shape > _LARGE_SHAPE, axis=0)  # (d,): columns summed elementwise
        cols = np.flatnonzero(~large)
        Xs, sh, ra = X[:, cols], shape[:, cols], rate[:, cols]
        with np.errstate(invalid="ignore", divide="ignore"):
            inside = (X > 0).all(axis=1)
            logx = np.log(np.where(Xs > 0, Xs, 1.0))
        const = (sh * np.log(ra) - special.gammaln(sh)).sum(axis=1)
        out = logx @ (sh - 1.0).T - np.where(Xs > 0, Xs, 0.0) @ ra.T + const
        if large.any():
            big = np.flatnonzero(large)
            Xb = np.where(X[:, big] > 0, X[:, big], 1.0)
            for j in range(len(params_list)):
                with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                    out[:, j] += self.logpdf(Xb, {"shape": shape[j, big],
                                                  "rate": rate[j, big]}).sum(axis=1)
        if not inside.all():
            out[~inside] = -np.inf
        return out

    def sample(self, params, n, rng):
        k, r = params["shape"], params["rate"]
        return rng.gamma(k, 1.0 / r, size=(n, np.size(k)))

    def to_scipy(self, params):
        return [sps.gamma(a=float(k), scale=1.0 / float(r))
                for k, r in zip(np.atleast_1d(params["shape"]), np.atleast_1d(params["rate"]))]
