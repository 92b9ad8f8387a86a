"""The gamma distribution, fitted by Newton's method on its sufficient statistics.

Also home of the plumbing shared by the numerically fitted families (gamma, beta,
Weibull, negative binomial, Student-t): the ``max_iter``/``tol`` parameters,
``converged_``/``n_iter_`` and the :class:`~sklearn.exceptions.ConvergenceWarning`,
and a vectorised safeguarded Newton root finder for one-dimensional equations.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import special
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval

from .. import _native as native
from ..exceptions import BoundaryWarning
from ..families._stats import Stats, total_weight, unit_weights
from ..priors import Gamma
from ._base import DistributionMLE, PartialFitMixin, domain_xfails

_BLOCK_ELEMENTS = 1 << 16  # rows x columns per block of a streamed pass
_MAX_LOG_STEP = 3.0  # largest Newton step in log-parameter space (a factor of ~20)


class IterativeFitMixin:
    """``max_iter``/``tol`` parameters, ``converged_``/``n_iter_`` and convergence warnings.

    A family's ``_solve`` calls :meth:`_record_solve` once with whether every column
    converged and the number of iterations used; ``fit`` copies them to ``converged_``
    and ``n_iter_`` and a non-converged fit warns with a ``ConvergenceWarning``.
    """

    _parameter_constraints: dict = {
        **DistributionMLE._parameter_constraints,
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0.0, None, closed="left")],
    }

    def __init__(self, *, prior=None, fixed_params=None, contamination=0.1, max_iter=100,
                 tol=1e-10):
        self.prior = prior
        self.fixed_params = fixed_params
        self.contamination = contamination
        self.max_iter = max_iter
        self.tol = tol

    def _record_solve(self, converged, n_iter):
        converged = bool(np.all(converged))
        self._last_solve = (converged, int(n_iter))
        if not converged:
            warnings.warn(
                f"{type(self).__name__} did not converge in max_iter={self.max_iter} "
                f"iterations (tol={self.tol}). Increase max_iter, loosen tol, or check the "
                "data for extreme values; the estimates returned are the best found so far.",
                ConvergenceWarning,
                stacklevel=7,
            )

    def _fit_from_stats(self, stats):
        self._last_solve = (True, 0)
        self._last_mode = None
        super()._fit_from_stats(stats)
        mode = self._last_mode  # a family's ModeResult says how its solve went
        if mode is not None and hasattr(mode, "converged"):
            self._record_solve(mode.converged, mode.n_iter)
        self.converged_, self.n_iter_ = self._last_solve


# The sklearn checks whose random data include values <= 0 (the rest use positive data)
_POSITIVE_DOMAIN_FAILS = (
    "check_all_zero_sample_weights_error",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_estimators_pickle(readonly_memmap=True)",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
)


def positive_domain_xfails(rule):
    """The sklearn checks that feed values <= 0 to a family of positive data."""
    return {k: v for k, v in domain_xfails(rule).items() if k in _POSITIVE_DOMAIN_FAILS}


def newton_decreasing(fun, t0, lo, hi, tol, max_iter):
    """Root of decreasing functions ``h(t)``, one per column, by safeguarded Newton.

    ``fun(t)`` returns ``(h, dh)``, arrays of the shape of ``t``. The bracket
    ``[lo, hi]`` (may be infinite) is narrowed with the sign of ``h`` at each iterate;
    a Newton step that leaves it, or points uphill, is replaced by bisection (or by a
    bounded step while one side of the bracket is still infinite). Stops when every
    step is below ``tol`` (in the units of ``t``, usually a log-parameter).

    Returns
    -------
    t : ndarray
    converged : ndarray of bool
    n_iter : int
    """
    t = np.array(t0, dtype=float)
    lo = np.array(np.broadcast_to(lo, t.shape), dtype=float)
    hi = np.array(np.broadcast_to(hi, t.shape), dtype=float)
    t = np.clip(t, np.nextafter(lo, np.inf), np.nextafter(hi, -np.inf))
    active = np.ones(t.shape, dtype=bool)
    converged = np.zeros(t.shape, dtype=bool)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007
        with np.errstate(all="ignore"):
            h, dh = fun(t)
        h = np.where(np.isnan(h), -np.inf, h)  # undefined: treat as past the root
        lo = np.where(active & (h > 0), t, lo)
        hi = np.where(active & (h < 0), t, hi)
        with np.errstate(all="ignore"):
            step = -h / dh
        ok = np.isfinite(step) & (dh < 0)
        step = np.clip(np.where(ok, step, np.sign(h) * _MAX_LOG_STEP), -_MAX_LOG_STEP,
                       _MAX_LOG_STEP)
        small = ok & (np.abs(step) <= tol)  # converged: take the last tiny step
        new = t + step
        with np.errstate(invalid="ignore"):
            mid = 0.5 * (lo + hi)
            outside = ~small & ((new < lo) | (new > hi))
        both = np.isfinite(lo) & np.isfinite(hi)
        new = np.where(outside & both, mid, new)
        new = np.where(outside & ~both & (h > 0), t + _MAX_LOG_STEP, new)
        new = np.where(outside & ~both & (h < 0), t - _MAX_LOG_STEP, new)
        with np.errstate(invalid="ignore"):
            done = active & ((h == 0) | small | (hi - lo <= tol))
        t = np.where(active & ~(h == 0), new, t)
        converged |= done
        active &= ~done
        if not active.any():
            break
    return t, converged, n_iter


def inverse_digamma(y, tol=1e-14, max_iter=50):
    """Solve ``digamma(k) = y`` for ``k > 0`` (Minka 2000), elementwise."""
    y = np.asarray(y, dtype=float)
    k = np.where(y >= -2.22, np.exp(y) + 0.5, -1.0 / (y - special.digamma(1.0)))

    def fun(t):
        kk = np.exp(t)
        return y - special.digamma(kk), -kk * special.polygamma(1, kk)

    t, _, _ = newton_decreasing(fun, np.log(k), -np.inf, np.inf, tol, max_iter)
    return np.exp(t)


def blocked_sums(X, w, *fns):
    """``w @ fn(X)`` in float64 for each ``fn``, a block of rows at a time.

    One pass over X without a full-size temporary; ``None`` stands for the identity.
    Small per-block products use ``einsum``, not BLAS, whose thread start-up per call
    dominates on busy machines.
    """
    n, d = X.shape
    rows = max(1, _BLOCK_ELEMENTS // max(d, 1))
    unit = unit_weights(w)

    def run(a, b):  # NumPy releases the GIL in these loops: row chunks run in threads
        out = np.zeros((len(fns), d))
        for start in range(a, b, rows):
            stop = min(start + rows, b)
            block = X[start:stop].astype(np.float64, copy=False)
            wb = w[start:stop]
            for i, fn in enumerate(fns):
                val = block if fn is None else fn(block)
                out[i] += val.sum(axis=0) if unit else np.einsum("i,ij->j", wb, val)
        return True, out

    return native.over_row_chunks(run, n, d)[0]


def check_positive(est, X, rule, upper=None):
    """Domain check without a full-size temporary when the data are valid."""
    ok = np.all(X.min(axis=0) > 0) if X.size else True
    if upper is not None and ok:
        ok = np.all(X.max(axis=0) < upper)
    if not ok:
        bad = ~(X > 0) if upper is None else ~((X > 0) & (X < upper))
        est._domain_error(X, bad, rule)


def free_mask(fixed, name, d):
    return np.isnan(fixed.get(name, np.full(d, np.nan)))


class GammaMLE(IterativeFitMixin, PartialFitMixin, DistributionMLE):
    """Gamma distribution fitted by maximum likelihood (shape and rate).

    The density is ``rate**shape x**(shape-1) exp(-rate x) / Gamma(shape)`` for x > 0
    (scipy's ``gamma(a=shape, scale=1/rate)``). The sufficient statistics are the
    weight, ``sum x`` and ``sum log x``, so ``partial_fit`` is exact. The shape solves
    ``log(shape) - digamma(shape) = log(mean x) - mean(log x)`` by Newton's method in
    ``log(shape)``, started from Minka's (2002) closed-form approximation; then
    ``rate = shape / mean``. Columns are fitted independently and simultaneously.

    Parameters
    ----------
    prior : Gamma or None, default=None
        A Gamma(a, rate) prior on the rate parameter (conjugate given the shape);
        None for the MLE. The prior's ``a`` must be at least 1.
    fixed_params : dict or None, default=None
        ``{"shape": value}`` and/or ``{"rate": value}``, a scalar or one value per
        column, NaN meaning free. ``{"shape": 1.0}`` is the exponential model.
    contamination : float, default=0.1
        Fraction of training samples below the novelty threshold ``offset_``.
    max_iter : int, default=100
        Maximum number of Newton iterations.
    tol : float, default=1e-10
        Convergence tolerance on the Newton step in ``log(shape)``.

    Attributes
    ----------
    shape_ : ndarray of shape (n_features,)
        Estimated shape of each column.
    rate_ : ndarray of shape (n_features,)
        Estimated rate (inverse scale) of each column.
    converged_ : bool
        Whether the Newton iterations converged in every column.
    n_iter_ : int
        Newton iterations used (the maximum over columns).
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide: likelihood, inference and novelty detection.

    See Also
    --------
    WeibullMLE : another two-parameter family for positive data.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import GammaMLE
    >>> x = np.array([[0.8], [1.7], [2.1], [3.4], [0.5], [1.2], [2.6], [1.9]])
    >>> est = GammaMLE().fit(x)
    >>> round(float(est.shape_[0]), 4), round(float(est.rate_[0]), 4)
    (3.4079, 1.92)
    >>> expo = GammaMLE(fixed_params={"shape": 1.0}).fit(x)   # exponential model
    >>> round(float(expo.rate_[0]), 4)
    0.5634
    """

    _param_names = ("shape", "rate")
    _bounds = {"shape": (0.0, np.inf), "rate": (0.0, np.inf)}
    _supported_priors = (Gamma,)
    _prior_param = "rate"
    _sklearn_xfail_checks = {
        k: v
        for k, v in positive_domain_xfails("gamma data must be strictly positive").items()
        if k != "check_all_zero_sample_weights_error"  # weights are checked first here
    }

    _rule = "gamma data must be strictly positive (x > 0)"
    _stats_check_finite = True  # NaN/inf make log x non-finite: caught in _suff_stats

    def _check_domain(self, X):
        # x > 0 is checked in _suff_stats: log x is finite exactly then (one pass less)
        if self.prior is not None and self.prior.a < 1:
            raise ValueError(
                f"GammaMLE: {self.prior!r} on the rate needs a >= 1 for a posterior mode "
                "to exist for every shape; use a >= 1"
            )

    def _suff_stats(self, X, w):
        n, d = X.shape
        if unit_weights(w):  # threaded blocked log and sums in C, one pass
            with np.errstate(divide="ignore", invalid="ignore"):
                shift = np.log(X[0].astype(np.float64))
            sums = native.log_moment_sums(X, shift, with_sum=True) if np.all(
                np.isfinite(shift)) else None
            if sums is not None:
                return Stats(weight=np.full(d, float(n)), sum_x=sums[2],
                             sum_log_x=n * shift + sums[0])
        with np.errstate(divide="ignore", invalid="ignore"):
            sum_x, sum_log_x = blocked_sums(X, w, None, np.log)
        if not np.all(np.isfinite(sum_log_x)):
            self._raise_non_finite(X)
            check_positive(self, X, self._rule)
        return Stats(weight=np.full(d, total_weight(w)), sum_x=sum_x, sum_log_x=sum_log_x)

    def _prior_terms(self):
        if self.prior is None:
            return 1.0, 0.0
        return float(self.prior.a), float(self.prior.rate)

    def _solve(self, stats, fixed):
        n = stats.weight.astype(float)
        sx, slx = stats.sum_x.astype(float), stats.sum_log_x.astype(float)
        d = n.size
        a, r0 = self._prior_terms()
        free_k, free_r = free_mask(fixed, "shape", d), free_mask(fixed, "rate", d)
        k = np.where(free_k, 1.0, fixed.get("shape", np.ones(d)))
        rate_fixed = np.where(free_r, 1.0, fixed.get("rate", np.ones(d)))
        # log(mean) - mean(log): >= 0 by Jensen, 0 for constant data (shape -> inf)
        s = np.log(sx / n) - slx / n
        flat = free_k & free_r & (s < 1e-13)
        if flat.any():
            warnings.warn(
                "GammaMLE: a column is (numerically) constant, so the likelihood grows "
                "without bound as the shape grows: the MLE does not exist. The shape is "
                "capped; fix it with fixed_params={'shape': value} or drop the column.",
                BoundaryWarning,
                stacklevel=6,
            )
            s = np.maximum(s, 1e-13)
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
                nk = n * kk + a - 1.0
                lr = np.where(free_r, np.log(nk) - np.log(sx + r0), log_rate_part)
                h = slx / n - special.digamma(kk) + lr
                dh = kk * (-special.polygamma(1, kk) + np.where(free_r, n / nk, 0.0))
                return h, dh

            t, conv, n_iter = newton_decreasing(
                fun, np.log(k0), -np.inf, np.inf, self.tol, self.max_iter
            )
            k_new = np.exp(t)
            # never worse than the start
            better = self._profile_value(k_new, stats, free_r, rate_fixed) >= \
                self._profile_value(k0, stats, free_r, rate_fixed)
            k = np.where(free_k, np.where(better, k_new, k0), k)
            conv = conv | ~free_k
        rate = np.where(free_r, (n * k + a - 1.0) / (sx + r0), rate_fixed)
        self._record_solve(conv, n_iter)
        return {"shape": k, "rate": rate}

    def _profile_value(self, k, stats, free_r, rate_fixed):
        a, r0 = self._prior_terms()
        n = stats.weight.astype(float)
        with np.errstate(all="ignore"):
            rate = np.where(free_r, (n * k + a - 1.0) / (stats.sum_x + r0), rate_fixed)
            val = self._loglik(stats, {"shape": k, "rate": rate})
            if self.prior is not None:
                val = val + self.prior.logpdf(rate)
        return np.where(np.isnan(val), -np.inf, val)

    def _loglik(self, stats, params):
        k, r = params["shape"], params["rate"]
        n = stats.weight
        return (k - 1.0) * stats.sum_log_x - r * stats.sum_x + n * (
            k * np.log(r) - special.gammaln(k)
        )

    def _information(self, stats, params):
        k, r = params["shape"], params["rate"]
        n = stats.weight.astype(float)
        info = np.empty((k.size, 2, 2))
        info[:, 0, 0] = n * special.polygamma(1, k)
        info[:, 0, 1] = info[:, 1, 0] = -n / r
        info[:, 1, 1] = n * k / r**2
        return info

    def _logpdf(self, X, params):
        k, r = params["shape"], params["rate"]
        y = X * r
        lp = special.xlogy(k - 1.0, y) - y - special.gammaln(k) + np.log(r)
        return np.where(X > 0, lp, -np.inf)

    def _sample(self, params, n, rng):
        k, r = params["shape"], params["rate"]
        return rng.gamma(k, 1.0 / r, size=(n, k.size))
