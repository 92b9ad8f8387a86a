"""The Weibull family (shape, scale): no finite statistics, Newton on block sums.

The statistics are the weighted data (:class:`~sklearn_mle.families._stats.DataStats`).
Every pass over the rows goes through :func:`~sklearn_mle._engine.blocks.map_reduce`
(block-sized temporaries only): one pass for the log-scale summary that starts the
solve, then one pass per Newton iteration on the profile equation of the shape.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats as sps

from .._engine.rules import NONFINITE, check_rule
from ..exceptions import BoundaryWarning, NumericalRangeWarning
from ._data import (
    column_range,
    data_stats,
    newton_decreasing,
    total_weight_or_raise,
    weighted_rows,
)
from ._protocol import Family, ModeResult

__all__ = ["Weibull"]

_SHAPE_CAP = 1e13  # the shape of a constant column (the MLE does not exist)
_SUBSAMPLE = 1 << 17  # rows of the strided subsample the start is taken from
_RULE = "Weibull data must be strictly positive (x > 0)"


def _tilted(xb, wb, k, ref, shift, order):
    """``sum w``, ``sum w v``, ``sum w e``, ``sum w e v``, ``sum w e v**2`` per column
    (rows of a (5, d) array) for ``v = log x - ref``, ``e = exp(k v - shift)``."""
    v = np.log(xb)
    v -= ref
    e = v * k  # in place from here: fewer block-sized temporaries per pass
    e -= shift
    with np.errstate(over="ignore"):  # only rows of weight 0 can lie above the shift
        np.exp(e, out=e)
    out = np.zeros((5, xb.shape[1]))
    if wb is None:
        out[0] = xb.shape[0]
        out[1] = v.sum(axis=0)
    else:
        out[0] = wb.sum()
        out[1] = wb @ v
        zero = wb == 0
        if zero.any():  # a zero-weight row is not data: its e may be inf (0 * inf = nan)
            e[zero] = 0.0
        e *= wb[:, None]
    out[2] = e.sum(axis=0)
    if order:
        ev = e * v
        out[3] = ev.sum(axis=0)
        out[4] = np.einsum("ij,ij->j", ev, v)
    return out


def _profile(sv, s0, k, zmax, free_s):
    """Log-likelihood per unit weight at shape ``k``, up to a constant: at the best
    scale (free) or the fixed one, from the normalised sums ``sum w v`` and ``sum w e``
    of :func:`_tilted`."""
    with np.errstate(all="ignore"):
        val = np.log(k) + (k - 1.0) * sv - np.where(free_s, k * zmax + np.log(s0), s0)
    return np.where(np.isfinite(val), val, -np.inf)


class Weibull(Family):
    """Weibull per column: ``(k/s) (x/s)**(k-1) exp(-(x/s)**k)`` for x > 0 (scipy's
    ``weibull_min(c=k, scale=s)``).

    No finite sufficient statistics: :meth:`stats` keeps the weighted data and
    :meth:`block_terms` gives one block's log-likelihood, gradient and Hessian. Given
    the shape the scale is closed form, ``s = (sum w x**k / n)**(1/k)``; :meth:`mode`
    solves the profile equation of the shape, ``1/k + mean(log x) - sum w x**k log x /
    sum w x**k = 0`` (decreasing in ``k``), by safeguarded Newton in ``log k`` from the
    log-moment start ``k = pi / sqrt(6 var(log x))``, one pass per iteration. The
    powers are taken relative to the largest value on the centred log scale, so data
    from 1e-300 to 1e300 fit without overflow.

    Parameters
    ----------
    max_iter : int, default=100
        Maximum number of Newton iterations.
    tol : float, default=1e-10
        Convergence tolerance on the Newton step in ``log(shape)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.families.weibull import Weibull
    >>> fam = Weibull()
    >>> x = np.array([[1.2], [0.7], [2.3], [1.9], [0.4], [1.5], [3.1], [1.1]])
    >>> est = fam.mode(fam.stats(x))
    >>> round(float(est["shape"][0]), 4), round(float(est["scale"][0]), 4)
    (1.9528, 1.7251)
    """

    name = "weibull"
    param_names = ("shape", "scale")
    bounds = {"shape": (0.0, np.inf), "scale": (0.0, np.inf)}
    finite_stats = False
    rules = ((_RULE, lambda X: ~(X > 0)),)

    def __init__(self, max_iter=100, tol=1e-10):
        self.max_iter = int(max_iter)
        self.tol = float(tol)

    # ------------------------------------------------------------ statistics
    def check(self, X):
        """Positive and finite, checked by two reductions (no full-size temporary);
        the masks that name the first offending value are built only on failure."""
        X = np.asarray(X)
        if not X.size or (np.all(X.min(axis=0) > 0) and np.all(np.isfinite(X.max(axis=0)))):
            return
        check_rule(X, lambda X: np.isnan(X) | np.isposinf(X), NONFINITE)
        super().check(X)

    def stats(self, X, weights=None, *, checked=False):
        """The weighted data; weights (n, k) give k statistics sharing ``X`` (no copy)."""
        return data_stats(self, X, weights, checked)

    def block_terms(self, X_block, w_block, params):
        """Log-likelihood (d,), gradient (d, 2) and Hessian (d, 2, 2) in
        ``(shape, scale)`` of one block of rows (``w_block`` None: unit weights)."""
        k, s = np.asarray(params["shape"], float), np.asarray(params["scale"], float)
        with np.errstate(over="ignore"):
            sums = _tilted(np.asarray(X_block, dtype=np.float64), w_block, k, np.log(s),
                           0.0, 2)
        return self._terms(sums, k, s)

    @staticmethod
    def _terms(sums, k, s):
        n, slu, se, selu, selu2 = sums
        ll = n * (np.log(k) - np.log(s)) + (k - 1.0) * slu - se
        grad = np.stack([n / k + slu - selu, k * (se - n) / s], axis=-1)
        hess = np.empty(k.shape + (2, 2))
        # in (k, s) the scale's curvature ~ n / s**2 leaves float64 for s near 1e+-150
        # (inference uses scaled_information; the solve runs on the profile of the shape)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            hess[..., 0, 0] = -(n / k**2 + selu2)
            hess[..., 0, 1] = hess[..., 1, 0] = -(n - se - k * selu) / s
            hess[..., 1, 1] = -(k * (k + 1.0) * se - k * n) / s**2
        return ll, grad, hess

    # ------------------------------------------------------------------ mode
    def _summary(self, stats, wscale):
        """Weighted mean and variance of log x and its maximum, per column: one pass
        (Chan's combination of the blocks' centred moments)."""
        def block(xb, wb):
            lx = np.log(xb)
            n = float(xb.shape[0]) if wb is None else float(wb.sum())
            # the largest log value of the rows that are data (weight > 0)
            top = (lx.max(axis=0) if wb is None
                   else np.where((wb > 0)[:, None], lx, -np.inf).max(axis=0))
            if not n > 0:
                return 0.0, np.zeros(xb.shape[1]), np.zeros(xb.shape[1]), top
            mean = (lx.sum(axis=0) if wb is None else wb @ lx) / n
            dev = (lx - mean) ** 2
            return n, mean, dev.sum(axis=0) if wb is None else wb @ dev, top

        def combine(a, b):
            n = a[0] + b[0]
            if not a[0] > 0 or not b[0] > 0:
                keep = a if a[0] > 0 else b
                return (n, keep[1], keep[2], np.maximum(a[3], b[3]))
            delta = b[1] - a[1]
            return (n, a[1] + delta * (b[0] / n), a[2] + b[2] + delta**2 * (a[0] * b[0] / n),
                    np.maximum(a[3], b[3]))

        n, mean, m2, top = weighted_rows(stats, block, wscale, combine)
        return mean, m2 / n, top

    def _start_summary(self, stats, wscale):
        """What the solve starts from: a centre ``c`` and the variance of log x, and the
        largest log x per column (the shift that keeps the powers from overflowing).

        On many rows, the centre and variance come from a strided subsample of at most
        131072 rows and the maxima from one reduction of ``x`` (no logarithms): a pass
        of logarithms saved. The centre is any point near the data (the algebra is
        exact for any), and the variance only sets the start of Newton's method. Where
        the subsample has no weight or no spread (a constant column must be detected
        on all rows), the full one-pass summary decides."""
        x = stats.x
        step = -(-x.shape[0] // _SUBSAMPLE)
        if step <= 1:
            return self._summary(stats, wscale)
        xs = np.asarray(x[::step], dtype=np.float64)
        ws = np.asarray(stats.w[::step], dtype=np.float64)
        total = float(ws.sum())
        if not total > 0:
            return self._summary(stats, wscale)
        lx = np.log(xs)
        c = (ws @ lx) / total
        var = (ws @ (lx - c) ** 2) / total
        if not np.all(var > 1e-26):
            return self._summary(stats, wscale)
        return c, var, np.log(column_range(x, stats.w)[1])

    def mode(self, stats, fixed=None):
        fixed = fixed or {}
        n = total_weight_or_raise(stats, "the shape and scale")
        wscale = 1.0 / n  # normalised weights: tiny or huge weights compute alike
        d = stats.x.shape[1]
        shape = np.array(fixed.get("shape", np.full(d, np.nan)), dtype=float)
        scale = np.array(fixed.get("scale", np.full(d, np.nan)), dtype=float)
        free_k, free_s = np.isnan(shape), np.isnan(scale)
        if not (free_k.any() or free_s.any()):
            return ModeResult({"shape": shape, "scale": scale})
        c, var, top = self._start_summary(stats, wscale)
        zmax = top - c  # the largest centred log value
        # a constant column: a zero variance of log x, or exactly one value (on many
        # rows the variance combined over blocks keeps ~1e-24 of rounding)
        lo, hi = column_range(stats.x, stats.w)
        const = free_k & ((var <= 1e-26) | (lo == hi))
        if const.any():
            warnings.warn(
                f"WeibullMLE: column {', '.join(map(str, np.flatnonzero(const)))} is "
                "(numerically) constant, so the likelihood grows without bound as the "
                "shape grows: the MLE does not exist. The shape is capped; fix it with "
                "fixed_params={'shape': value} or drop the column.",
                BoundaryWarning,
                stacklevel=5,
            )
            shape[const] = _SHAPE_CAP
        solve = free_k & ~const
        # v = log x - ref: centred with powers relative to the largest (free scale), or
        # log(x / scale) (fixed scale)
        ref = np.where(free_s, c, np.log(np.where(free_s, 1.0, scale)))
        conv, n_iter, s0 = True, 0, None
        if solve.any():
            shape[solve], conv, n_iter, s0 = self._solve_shape(stats, solve, free_s, ref,
                                                               zmax, var, wscale)
        if free_s.any():
            k = np.where(np.isnan(shape), 1.0, shape)
            if s0 is None or np.any(free_s & ~solve):  # no pass at these shapes yet
                s0 = weighted_rows(stats, lambda xb, wb: _tilted(xb, wb, k, c, k * zmax, 0),
                                   wscale)[2]
            with np.errstate(divide="ignore"):
                log_scale = c + zmax + np.log(s0) / k  # sum w (x / scale)**k = 1
            scale[free_s] = np.exp(log_scale[free_s])
        return ModeResult({"shape": shape, "scale": scale}, converged=conv, n_iter=n_iter)

    def _solve_shape(self, stats, cols, free_s, ref, zmax, var, wscale):
        """Newton on the profile equation of the shape in the columns ``cols``; returns
        the shapes, whether all converged, the iterations and ``sum w e`` at the
        shapes returned (for the scale)."""
        k0 = np.pi / np.sqrt(6.0 * np.where(cols, var, 1.0))
        seen = {}

        def sums(k):
            shift = np.where(free_s, k * zmax, 0.0)
            return weighted_rows(stats, lambda xb, wb: _tilted(xb, wb, k, ref, shift, 2),
                                 wscale)

        def fun(t):
            k = np.ones(cols.size)
            k[cols] = np.exp(t)
            n, sv, s0, s1, s2 = sums(k)
            seen.setdefault("start", (sv, s0))  # the first call is at the start k0
            seen["last"] = (k, s0, s1)
            m1 = np.where(free_s, s1 / s0, s1 / n)
            m2 = np.where(free_s, s2 / s0 - m1 * m1, s2 / n)
            h = 1.0 / k + sv / n - m1
            dh = k * (-1.0 / k**2 - m2)
            return h[cols], dh[cols]

        start = np.ones(cols.size)
        start[cols] = k0[cols]
        t, conv, n_iter = newton_decreasing(fun, np.log(k0[cols]), -np.inf, np.inf, self.tol,
                                            self.max_iter)
        full = start.copy()
        full[cols] = np.exp(t)
        if np.all(conv):
            # the profile is unimodal (its score decreases), so the root is its maximum:
            # no comparison with the start; the last step was below tol, and
            # d log(sum w e) / dk = s1 / s0 - zmax carries sum w e over it to second
            # order (an error ~ tol**2) instead of one more pass
            k_last, s0_last, s1_last = seen["last"]
            with np.errstate(all="ignore"):
                s0 = s0_last * np.exp((full - k_last) * (s1_last / s0_last - zmax))
            return full[cols], True, n_iter, np.where(free_s, s0, np.nan)
        s = sums(full)
        sv0, s00 = seen["start"]
        val = _profile(s[1], s[2], full, zmax, free_s)
        val0 = _profile(sv0, s00, start, zmax, free_s)
        worse = cols & (val < val0)  # never worse than the start
        full[worse] = start[worse]
        s0 = np.where(worse, s00, s[2])
        return full[cols], bool(np.all(conv)), n_iter, s0

    # ------------------------------------------------------------ likelihood
    def _sums(self, stats, params, order):
        k, s = np.asarray(params["shape"], float), np.asarray(params["scale"], float)
        log_s = np.log(s)
        with np.errstate(over="ignore"):
            out = weighted_rows(stats, lambda xb, wb: _tilted(xb, wb, k, log_s, 0.0, order))
        return out, k, s

    def loglik(self, stats, params):
        sums, k, s = self._sums(stats, params, 0)
        return self._terms(sums, k, s)[0]

    def information(self, stats, params):
        sums, k, s = self._sums(stats, params, 2)
        return -self._terms(sums, k, s)[2]

    def scaled_information(self, stats, params):
        # on the (log shape, log scale) scale: s**2 times the scale's information,
        # k ((k + 1) sum w u - n) with u = (x / s)**k, is of the order of n where the
        # information itself leaves float64 (data near 1e300 or 1e-300)
        sums, k, s = self._sums(stats, params, 2)
        n, _, se, selu, selu2 = sums
        inside = (k > 0) & np.isfinite(k) & (s > 0) & np.isfinite(s)
        info = np.empty(k.shape + (2, 2))
        with np.errstate(over="ignore", invalid="ignore"):
            info[..., 0, 0] = n + k * k * selu2
            info[..., 0, 1] = info[..., 1, 0] = k * (n - se - k * selu)
            info[..., 1, 1] = k * ((k + 1.0) * se - n)
        plain = -self._terms(sums, k, s)[2]
        info = np.where(inside[:, None, None], info, plain)
        return info, np.stack([np.where(inside, k, 1.0), np.where(inside, s, 1.0)], axis=1)

    def logpdf(self, X, params):
        k, s = np.asarray(params["shape"], float), np.asarray(params["scale"], float)
        with np.errstate(all="ignore"):
            # v = log x - log s, as loglik's passes take it: at a large (capped) shape
            # k v carries the rounding of v, and both must round alike to agree
            v = np.log(X) - np.log(s)
            lp = np.log(k) - np.log(s) + (k - 1.0) * v - np.exp(k * v)
        return np.where(X > 0, lp, -np.inf)

    def sample(self, params, n, rng):
        k, s = params["shape"], params["scale"]
        # s * E**(1/k) for E ~ Exp(1) (NumPy's weibull draws it so: the same stream),
        # on the log scale: a small shape and a large scale overflow only the result
        e = rng.standard_exponential(size=(n, k.size))
        with np.errstate(over="ignore", divide="ignore"):
            draws = np.exp(np.log(s) + np.log(e) / k)
        if np.isinf(draws).any():
            warnings.warn(
                "WeibullMLE.sample: some draws exceed the float64 range and are inf "
                f"(shape down to {float(np.min(k)):.4g}, scale up to "
                f"{float(np.max(s)):.4g}); rescale the data or sample log x instead",
                NumericalRangeWarning,
                stacklevel=3,
            )
        return draws

    def to_scipy(self, params):
        return [sps.weibull_min(float(k), scale=float(s))
                for k, s in zip(np.atleast_1d(params["shape"]), np.atleast_1d(params["scale"]))]
