"""The beta distribution, fitted by Newton's method on its sufficient statistics."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special

from ..exceptions import BoundaryWarning
from ..families._stats import Stats, total_weight
from ._base import DistributionMLE, PartialFitMixin, domain_xfails
from ._gamma import IterativeFitMixin, blocked_sums, check_positive, free_mask


def _log1m(x):
    return np.log1p(-x)


class BetaMLE(IterativeFitMixin, PartialFitMixin, DistributionMLE):
    """Beta distribution on the open interval (0, 1), fitted by maximum likelihood.

    The density is ``x**(a-1) (1-x)**(b-1) / B(a, b)`` (scipy's ``beta(a, b)``).
    The sufficient statistics are the weight, ``sum log x`` and ``sum log(1-x)``
    (plus ``sum x`` and ``sum x**2`` for the starting point), so ``partial_fit`` is
    exact. The log-likelihood is concave in ``(a, b)``: Newton's method with the
    exact Hessian (trigamma functions) and step halving, started from the method of
    moments, converges to the unique maximum. Columns are fitted independently.

    Parameters
    ----------
    prior : None
        Only the MLE is implemented; a prior raises a ValueError.
    fixed_params : dict or None, default=None
        ``{"a": value}`` and/or ``{"b": value}``, a scalar or one value per column,
        NaN meaning free.
    contamination : float, default=0.1
        Fraction of training samples below the novelty threshold ``offset_``.
    max_iter : int, default=100
        Maximum number of Newton iterations.
    tol : float, default=1e-10
        Convergence tolerance on the relative Newton step.

    Attributes
    ----------
    a_, b_ : ndarray of shape (n_features,)
        Estimated shape parameters of each column.
    converged_ : bool
        Whether Newton's method converged in every column.
    n_iter_ : int
        Newton iterations used.
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide: likelihood, inference and novelty detection.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import BetaMLE
    >>> x = np.array([[0.12], [0.35], [0.41], [0.22], [0.58], [0.30], [0.27], [0.49]])
    >>> est = BetaMLE().fit(x)
    >>> round(float(est.a_[0]), 4), round(float(est.b_[0]), 4)
    (3.6757, 7.0777)
    """

    _param_names = ("a", "b")
    _bounds = {"a": (0.0, np.inf), "b": (0.0, np.inf)}
    _supported_priors = ()
    _sklearn_xfail_checks = {
        k: v
        for k, v in domain_xfails("beta data must lie strictly between 0 and 1").items()
        # these checks happen to use data inside (0, 1)
        if k not in ("check_dtype_object", "check_estimators_nan_inf",
                     "check_fit_score_takes_y", "check_sample_weights_list",
                     "check_sample_weight_equivalence_on_dense_data")
    }

    def _check_domain(self, X):
        check_positive(
            self, X, "beta data must lie strictly between 0 and 1 (0 < x < 1)", upper=1.0
        )

    def _suff_stats(self, X, w):
        slx, sl1mx, sx, sx2 = blocked_sums(X, w, np.log, _log1m, None, np.square)
        return Stats(
            weight=np.full(X.shape[1], total_weight(w)),
            sum_log_x=slx,
            sum_log_1mx=sl1mx,
            sum_x=sx,
            sum_x2=sx2,
        )

    def _start(self, stats, fixed, free_a, free_b):
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

    def _solve(self, stats, fixed):
        n = stats.weight.astype(float)
        d = n.size
        l1, l2 = stats.sum_log_x / n, stats.sum_log_1mx / n
        free_a, free_b = free_mask(fixed, "a", d), free_mask(fixed, "b", d)
        # Jensen gaps: both zero for a constant column, where a, b -> inf
        m = stats.sum_x / n
        gap = np.log(m) - l1 + np.log1p(-m) - l2
        flat = free_a & free_b & (gap < 1e-13)
        if flat.any():
            warnings.warn(
                "BetaMLE: a column is (numerically) constant, so the likelihood grows without "
                "bound as a and b grow: the MLE does not exist. Fix a parameter with "
                "fixed_params or drop the column.",
                BoundaryWarning,
                stacklevel=6,
            )
        a, b = self._start(stats, fixed, free_a, free_b)
        a = np.where(flat, m * 1e12, a)
        b = np.where(flat, (1.0 - m) * 1e12, b)
        free = np.stack([free_a & ~flat, free_b & ~flat], axis=1)
        active = free.any(axis=1)
        conv = ~active
        f = self._mean_loglik(a, b, l1, l2)
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):  # noqa: B007
            if not active.any():
                break
            grad, hess = self._mean_grad_hess(a, b, l1, l2)
            grad = np.where(free, grad, 0.0)
            hess = np.where(free[:, :, None] & free[:, None, :], hess, 0.0)
            hess[:, 0, 0] = np.where(free[:, 0], hess[:, 0, 0], -1.0)
            hess[:, 1, 1] = np.where(free[:, 1], hess[:, 1, 1], -1.0)
            step = -np.linalg.solve(hess, grad[:, :, None])[:, :, 0]
            step = np.where(active[:, None], step, 0.0)
            lam = np.ones(d)
            for _ in range(60):  # step halving: stay positive, never decrease
                na, nb = a + lam * step[:, 0], b + lam * step[:, 1]
                with np.errstate(all="ignore"):
                    nf = self._mean_loglik(na, nb, l1, l2)
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
        self._record_solve(conv, n_iter)
        return {"a": a, "b": b}

    @staticmethod
    def _mean_loglik(a, b, l1, l2):
        return (a - 1.0) * l1 + (b - 1.0) * l2 - special.betaln(a, b)

    @staticmethod
    def _mean_grad_hess(a, b, l1, l2):
        dab = special.digamma(a + b)
        grad = np.stack([l1 - special.digamma(a) + dab, l2 - special.digamma(b) + dab], axis=1)
        tab = special.polygamma(1, a + b)
        hess = np.empty((a.size, 2, 2))
        hess[:, 0, 0] = tab - special.polygamma(1, a)
        hess[:, 1, 1] = tab - special.polygamma(1, b)
        hess[:, 0, 1] = hess[:, 1, 0] = tab
        return grad, hess

    def _loglik(self, stats, params):
        a, b = params["a"], params["b"]
        return (a - 1.0) * stats.sum_log_x + (b - 1.0) * stats.sum_log_1mx - stats.weight * (
            special.betaln(a, b)
        )

    def _information(self, stats, params):
        _, hess = self._mean_grad_hess(params["a"], params["b"], 0.0, 0.0)
        return -stats.weight.astype(float)[:, None, None] * hess

    def _logpdf(self, X, params):
        a, b = params["a"], params["b"]
        lp = special.xlog1py(b - 1.0, -X) + special.xlogy(a - 1.0, X) - special.betaln(a, b)
        return np.where((X > 0) & (X < 1), lp, -np.inf)

    def _sample(self, params, n, rng):
        a, b = params["a"], params["b"]
        return rng.beta(a, b, size=(n, a.size))
