"""The log-normal: closed-form MLE from the centred moments of log x."""

from __future__ import annotations

import warnings

import numpy as np

from .. import _native as native
from ..exceptions import BoundaryWarning
from ..families._stats import CentredStats, unit_weights
from ._base import DistributionMLE, PartialFitMixin, domain_xfails
from ._exponential import check_non_negative
from ._gaussian import centred_moments

_LOG_2PI = float(np.log(2.0 * np.pi))


# sklearn checks that fit on data outside the support (reason given per check)
_LOGNORMAL_XFAIL_REASON = (
    "the log-normal needs x > 0 and sklearn's positive_only test data (X - X.min()) "
    "contains 0; the same checks pass on X + 1 in tests/test_closed_form_families.py"
)
_LOGNORMAL_PASSING = (
    "check_positive_only_tag_during_fit",
    "check_estimators_pickle(readonly_memmap=True)",
    "check_sample_weights_not_overwritten",
    "check_sample_weights_shape",
    "check_sample_weight_equivalence_on_dense_data",
    "check_all_zero_sample_weights_error",  # weights are rejected before the values
)


class LogNormalMLE(PartialFitMixin, DistributionMLE):
    """Log-normal distribution fitted by maximum likelihood.

    ``log x`` of each column is Gaussian with mean ``mu_`` and standard deviation
    ``sigma_``: ``mu_`` is the mean of ``log x`` and ``sigma_`` the root of its
    MLE variance (dividing by n, not n - 1). The convention of
    ``scipy.stats.lognorm(s=sigma, scale=exp(mu))``. Inference is on
    ``(mu, sigma)``: standard errors ``sigma / sqrt(n)`` and ``sigma / sqrt(2 n)``.

    Parameters
    ----------
    prior : None, default=None
        Not supported (MLE only); a prior raises ValueError.
    fixed_params : dict or None, default=None
        ``{"mu": ...}`` and/or ``{"sigma": ...}`` hold parameters at known values.
    contamination : float, default=0.1
        Fraction of training samples below the novelty threshold ``offset_``.

    Attributes
    ----------
    mu_ : ndarray of shape (n_features,)
        Mean of ``log x`` per column.
    sigma_ : ndarray of shape (n_features,)
        Standard deviation of ``log x`` per column.
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide: likelihood, inference and novelty detection.

    Notes
    -----
    A constant column has ``sigma = 0``, on the boundary, where the density is
    degenerate: a :class:`BoundaryWarning` says so; fixing ``sigma`` with
    ``fixed_params`` (a known spread) gives a proper fit.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import LogNormalMLE
    >>> x = np.exp(np.array([[0.0], [1.0], [2.0], [3.0]]))   # log x: mean 1.5, var 1.25
    >>> est = LogNormalMLE().fit(x)
    >>> float(est.mu_[0]), round(float(est.sigma_[0] ** 2), 12)
    (1.5, 1.25)
    """

    _param_names = ("mu", "sigma")
    _bounds = {"sigma": (0.0, np.inf)}
    _supported_priors = ()

    _sklearn_xfail_checks = domain_xfails(
        "", passing=_LOGNORMAL_PASSING, reason=_LOGNORMAL_XFAIL_REASON
    )

    _stats_check_finite = True


    def _check_values(self, X):
        rule = "log-normal data must be > 0"
        check_non_negative(self, X, rule)
        self._domain_error(X, X <= 0, f"{rule} (log 0 is undefined)")

    def _suff_stats(self, X, w):
        n, d = X.shape
        if unit_weights(w):  # blocked log and one fused moment pass, no full-size copy
            with np.errstate(divide="ignore", invalid="ignore"):
                shift = np.log(X[0].astype(np.float64))
            sums = native.log_moment_sums(X, shift) if np.all(np.isfinite(shift)) else None
            if sums is not None:
                s1, s2 = sums
                m2 = s2 - s1**2 / n
                if np.all(m2 > 1e-6 * s2):  # no cancellation (else the shifted pass)
                    return CentredStats(weight=np.asarray(float(n)), mean=shift + s1 / n,
                                        m2=m2)
        self._reject_invalid(X)
        return centred_moments(np.log(X.astype(np.float64, copy=False)), w, full=False)

    def _solve(self, stats, fixed):
        n = float(stats.weight)
        ybar, m2 = stats.mean, stats.m2
        d = ybar.size
        fmu = fixed.get("mu", np.full(d, np.nan))
        fsigma = fixed.get("sigma", np.full(d, np.nan))
        mu = np.where(np.isnan(fmu), ybar, fmu)
        sigma = np.sqrt((m2 + n * (ybar - mu) ** 2) / n)
        sigma = np.where(np.isnan(fsigma), sigma, fsigma)
        if np.any((sigma <= 0) & np.isnan(fsigma)):
            warnings.warn(
                "LogNormalMLE: a column is constant, so the MLE sigma is 0, on the "
                "boundary: the density is degenerate and standard errors are not defined. "
                "Fix the spread with fixed_params={'sigma': value}, or drop the column.",
                BoundaryWarning,
                stacklevel=4,
            )
        return {"mu": mu, "sigma": sigma}

    def _loglik(self, stats, params):
        n = float(stats.weight)
        mu, sigma = params["mu"], params["sigma"]
        q = stats.m2 + n * (stats.mean - mu) ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            out = -n * stats.mean - n * np.log(sigma) - 0.5 * n * _LOG_2PI - q / (2 * sigma**2)
        # sigma = 0 on a constant column: the supremum of the likelihood, +inf
        return np.where((sigma == 0) & (q == 0), np.inf, np.where(np.isnan(out), -np.inf, out))

    def _information(self, stats, params):
        n = float(stats.weight)
        mu, sigma = params["mu"], params["sigma"]
        dev = stats.mean - mu
        q = stats.m2 + n * dev**2
        info = np.empty((mu.size, 2, 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            info[:, 0, 0] = n / sigma**2
            info[:, 0, 1] = info[:, 1, 0] = 2 * n * dev / sigma**3
            info[:, 1, 1] = -n / sigma**2 + 3 * q / sigma**4
        return np.where(np.isfinite(info), info, 0.0)

    def _logpdf(self, X, params):
        mu, sigma = params["mu"], params["sigma"]
        pos = X > 0
        logx = np.log(np.where(pos, X, 1.0))
        z = (logx - mu) / sigma
        lp = -logx - np.log(sigma) - 0.5 * _LOG_2PI - 0.5 * z**2
        return np.where(pos, lp, -np.inf)

    def _sample(self, params, n, rng):
        mu, sigma = params["mu"], params["sigma"]
        return np.exp(mu + sigma * rng.standard_normal((n, mu.size)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags
