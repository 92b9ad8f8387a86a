"""The Weibull distribution, fitted by Newton's method on the profile equation."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special

from ..exceptions import BoundaryWarning
from ..families._stats import DataStats, total_weight, unit_weights
from ._base import DistributionMLE
from ._gamma import (
    IterativeFitMixin,
    check_positive,
    free_mask,
    newton_decreasing,
    positive_domain_xfails,
)

_BLOCK = 1 << 16  # rows per block of a streamed pass (no full-size temporaries)


def _blocks(n):
    return range(0, n, _BLOCK)


class _Column:
    """One column on the log scale, centred: ``z = log x - c`` with ``c`` the mean log.

    ``z`` is the one full-size array kept; every pass over it runs in blocks.
    """

    def __init__(self, x, w):
        self.w = w
        self.unit = unit_weights(w)
        self.n = total_weight(w)
        x = np.asarray(x, dtype=np.float64)
        self.z = np.log(x) if x.flags.c_contiguous else np.log(np.ascontiguousarray(x))
        self.c = self._dot(self.z) / self.n
        self.z -= self.c
        self.zbar = self._dot(self.z) / self.n
        self.zmax = float(self.z.max())
        self.var_z = sum(
            self._dot((self.z[i : i + _BLOCK] - self.zbar) ** 2, i) for i in _blocks(self.z.size)
        ) / self.n

    def _dot(self, v, start=0):
        """``sum w v`` (v a block starting at row ``start``, or the whole column)."""
        if self.unit:
            return float(v.sum())
        return float(np.einsum("i,i->", self.w[start : start + v.size], v))

    def tilted(self, k, shift_z=0.0, shift=None, order=2):
        """``sum w e``, ``sum w e v``, ``sum w e v**2`` for ``v = z - shift_z``,
        ``e = exp(k v - shift)``; the default shift makes the largest ``e`` one.
        ``order=0`` computes the first sum only (the others are returned as 0)."""
        if shift is None:
            shift = k * (self.zmax - shift_z)
        s0 = s1 = s2 = 0.0
        for i in _blocks(self.z.size):
            v = self.z[i : i + _BLOCK] - shift_z
            e = np.exp(k * v - shift)
            if not self.unit:
                e *= self.w[i : i + _BLOCK]
            s0 += float(e.sum())
            if order:
                ev = e * v
                s1 += float(ev.sum())
                s2 += float(np.einsum("i,i->", ev, v))  # not BLAS: no thread start per block
        return s0, s1, s2

    def wsum(self, shift_z):
        """``sum w (z - shift_z)``."""
        return self.n * (self.zbar - shift_z)


class WeibullMLE(IterativeFitMixin, DistributionMLE):
    """Weibull distribution (shape and scale) fitted by maximum likelihood.

    The density is ``(k/s) (x/s)**(k-1) exp(-(x/s)**k)`` for x > 0 (scipy's
    ``weibull_min(c=k, scale=s)``). Given the shape ``k`` the scale is closed form,
    ``s = (sum w x**k / n)**(1/k)``; the shape solves the profile equation
    ``1/k + mean(log x) - sum w x**k log x / sum w x**k = 0``, whose left side
    decreases in ``k``, by safeguarded Newton in ``log k`` with exact derivatives,
    started from the log-moment estimate ``k = pi / sqrt(6 var(log x))``. The data
    are centred on the log scale (divided by their geometric mean) and every power
    ``x**k`` is computed relative to the largest, so values from 1e-300 to 1e300 fit
    without overflow.

    There are no finite sufficient statistics, so there is no ``partial_fit`` and
    ``stats_`` holds the training data (a :class:`DataStats`).

    Parameters
    ----------
    prior : None
        Only the MLE is implemented; a prior raises a ValueError.
    fixed_params : dict or None, default=None
        ``{"shape": value}`` and/or ``{"scale": value}``, a scalar or one value per
        column, NaN meaning free. ``{"shape": 1.0}`` is the exponential model.
    contamination : float, default=0.1
        Fraction of training samples below the novelty threshold ``offset_``.
    max_iter : int, default=100
        Maximum number of Newton iterations.
    tol : float, default=1e-10
        Convergence tolerance on the Newton step in ``log(shape)``.

    Attributes
    ----------
    shape_, scale_ : ndarray of shape (n_features,)
        Estimated shape and scale of each column.
    converged_ : bool
        Whether Newton's method converged in every column.
    n_iter_ : int
        Newton iterations used (the maximum over columns).
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide: likelihood, inference and novelty detection.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import WeibullMLE
    >>> x = np.array([[1.2], [0.7], [2.3], [1.9], [0.4], [1.5], [3.1], [1.1]])
    >>> est = WeibullMLE().fit(x)
    >>> round(float(est.shape_[0]), 4), round(float(est.scale_[0]), 4)
    (1.9528, 1.7251)
    """

    _param_names = ("shape", "scale")
    _bounds = {"shape": (0.0, np.inf), "scale": (0.0, np.inf)}
    _supported_priors = ()
    _sklearn_xfail_checks = positive_domain_xfails("Weibull data must be strictly positive")

    def _check_domain(self, X):
        check_positive(self, X, "Weibull data must be strictly positive (x > 0)")

    def _suff_stats(self, X, w):
        return DataStats(x=X, w=w, weight=np.full(X.shape[1], total_weight(w)))

    def _fit_from_stats(self, stats):
        # the log-scaled columns are shared by the solve, loglik_ and the information
        self._columns = (stats, {})
        try:
            super()._fit_from_stats(stats)
        finally:
            del self._columns

    def _column(self, stats, j):
        cache = getattr(self, "_columns", None)
        if cache is None or cache[0] is not stats:
            return _Column(stats.x[:, j], stats.w)
        if j not in cache[1]:
            cache[1][j] = _Column(stats.x[:, j], stats.w)
        return cache[1][j]

    def _solve(self, stats, fixed):
        d = stats.x.shape[1]
        free_k, free_s = free_mask(fixed, "shape", d), free_mask(fixed, "scale", d)
        shape = np.array(fixed.get("shape", np.ones(d)), dtype=float)
        scale = np.array(fixed.get("scale", np.ones(d)), dtype=float)
        conv, n_iter = np.ones(d, dtype=bool), 0
        for j in range(d):
            col = self._column(stats, j)
            log_scale = None
            if free_k[j]:
                fixed_scale = None if free_s[j] else scale[j]
                shape[j], conv[j], it, log_scale = self._solve_shape(col, fixed_scale)
                n_iter = max(n_iter, it)
            if free_s[j]:
                if log_scale is None:
                    _, log_scale = self._column_profile(col, shape[j], None)
                scale[j] = np.exp(log_scale)
        self._record_solve(conv, n_iter)
        return {"shape": shape, "scale": scale}

    def _solve_shape(self, col, fixed_scale):
        if col.var_z <= 1e-26:
            warnings.warn(
                "WeibullMLE: a column is (numerically) constant, so the likelihood grows "
                "without bound as the shape grows: the MLE does not exist. The shape is "
                "capped; fix it with fixed_params={'shape': value} or drop the column.",
                BoundaryWarning,
                stacklevel=7,
            )
            return 1e13, True, 0, self._column_profile(col, 1e13, fixed_scale)[1]
        k0 = float(np.exp(np.log(np.pi / np.sqrt(6.0 * col.var_z))))  # as Newton sees it
        seen = {}  # shape -> sum w exp(k (z - zmax)), reused for the profile at the start
        if fixed_scale is None:

            def fun(t):
                k = float(np.exp(t[0]))
                s0, s1, s2 = col.tilted(k)
                seen.setdefault(k, s0)
                m1 = s1 / s0
                h = 1.0 / k + col.zbar - m1
                dh = k * (-1.0 / k**2 - (s2 / s0 - m1 * m1))
                return np.array([h]), np.array([dh])

        else:
            shift_z = np.log(fixed_scale) - col.c  # v = log(x / scale) = z - shift_z
            vbar = col.wsum(shift_z) / col.n

            def fun(t):
                k = float(np.exp(t[0]))
                s0, s1, s2 = col.tilted(k, shift_z, shift=0.0)
                h = 1.0 / k + vbar - s1 / col.n
                dh = k * (-1.0 / k**2 - s2 / col.n)
                return np.array([h]), np.array([dh])

        t, conv, n_iter = newton_decreasing(
            fun, np.array([np.log(k0)]), -np.inf, np.inf, self.tol, self.max_iter
        )
        k = float(np.exp(t[0]))
        val, log_scale = self._column_profile(col, k, fixed_scale)
        val0, log_scale0 = self._column_profile(col, k0, fixed_scale, seen.get(k0))
        if val < val0:
            k, log_scale = k0, log_scale0  # never worse than the start
        return k, bool(conv[0]), n_iter, log_scale

    @staticmethod
    def _column_profile(col, k, fixed_scale, s0=None):
        """Log-likelihood of one column at shape ``k`` and the log of the scale used:
        its optimum given ``k``, or the fixed scale."""
        with np.errstate(all="ignore"):
            if fixed_scale is None:
                # at the optimal scale, sum w (x / scale)**k = n
                if s0 is None:
                    s0, _, _ = col.tilted(k, order=0)
                log_scale = col.c + col.zmax + np.log(s0 / col.n) / k
                s0 = col.n
            else:
                log_scale = np.log(fixed_scale)
                s0, _, _ = col.tilted(k, log_scale - col.c, shift=0.0, order=0)
            shift_z = log_scale - col.c
            val = col.n * (np.log(k) - log_scale) + (k - 1.0) * col.wsum(shift_z) - s0
        return (val if np.isfinite(val) else -np.inf), log_scale

    def _column_terms(self, stats, params):
        """Per column: n, sum w log u, sum w u**k, sum w u**k log u, sum w u**k log**2 u."""
        k, s = params["shape"], params["scale"]
        cache = getattr(self, "_columns", None)
        key = ("terms", k.tobytes(), s.tobytes())
        if cache is not None and cache[0] is stats and key in cache[1]:
            return cache[1][key]  # loglik_ and the information at the same estimate
        out = np.empty((k.size, 5))
        for j in range(k.size):
            col = self._column(stats, j)
            shift_z = np.log(s[j]) - col.c  # log u = z - shift_z
            se, selu, selu2 = col.tilted(k[j], shift_z, shift=0.0)
            out[j] = (col.n, col.wsum(shift_z), se, selu, selu2)
        if cache is not None and cache[0] is stats:
            cache[1][key] = out
        return out

    def _loglik(self, stats, params):
        k, s = params["shape"], params["scale"]
        n, slu, se, _, _ = self._column_terms(stats, params).T
        return n * (np.log(k) - np.log(s)) + (k - 1.0) * slu - se

    def _information(self, stats, params):
        k, s = params["shape"], params["scale"]
        n, _, se, selu, selu2 = self._column_terms(stats, params).T
        info = np.empty((k.size, 2, 2))
        info[:, 0, 0] = n / k**2 + selu2
        info[:, 0, 1] = info[:, 1, 0] = (n - se - k * selu) / s
        info[:, 1, 1] = (k * (k + 1.0) * se - k * n) / s**2
        return info

    def _logpdf(self, X, params):
        k, s = params["shape"], params["scale"]
        y = X / s
        lp = np.log(k) + special.xlogy(k - 1.0, y) - y**k - np.log(s)
        return np.where(X > 0, lp, -np.inf)

    def _sample(self, params, n, rng):
        k, s = params["shape"], params["scale"]
        return s * rng.weibull(k, size=(n, k.size))
