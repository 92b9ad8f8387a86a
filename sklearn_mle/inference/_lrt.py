"""Likelihood-ratio test between two nested fitted models."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
from scipy import stats
from sklearn.utils.validation import check_is_fitted


def _total_loglik(est, X, y):
    """Total log-likelihood of ``(X, y)`` through the public surface: ``log_likelihood``
    for conditional models, the sum of ``score_samples`` for density estimators."""
    if hasattr(est, "log_likelihood"):
        return float(est.log_likelihood(X, y))
    return float(np.sum(est.score_samples(X), dtype=np.float64))


class LikelihoodRatioResult(NamedTuple):
    """Result of :func:`likelihood_ratio_test`."""

    statistic: float
    df: int
    pvalue: float


def likelihood_ratio_test(restricted, full, X=None, y=None) -> LikelihoodRatioResult:
    """Likelihood-ratio test of a restricted model nested in a fuller one.

    The statistic ``2 (log L_full - log L_restricted)`` is asymptotically
    chi-squared with ``full.n_params_ - restricted.n_params_`` degrees of freedom
    under the restricted model (Wilks' theorem).

    Parameters
    ----------
    restricted, full : fitted estimators
        Nested models fitted on the same data; ``restricted`` has fewer free
        parameters (e.g. ``fixed_params=`` or a subset of the columns).
    X, y : array-like, optional
        When given, both log-likelihoods are evaluated on this data instead of using
        each model's training ``loglik_``.

    Returns
    -------
    LikelihoodRatioResult
        Named tuple ``(statistic, df, pvalue)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import GaussianMLE, likelihood_ratio_test
    >>> x = np.array([[160.0], [165.0], [170.0], [175.0], [180.0]])
    >>> full = GaussianMLE().fit(x)
    >>> restricted = GaussianMLE(fixed_params={"mean": [165.0]}).fit(x)
    >>> res = likelihood_ratio_test(restricted, full)
    >>> res.df
    1
    >>> round(res.statistic, 4)
    2.0273
    """
    check_is_fitted(restricted)
    check_is_fitted(full)
    for name, est in (("restricted", restricted), ("full", full)):
        if getattr(est, "prior", None) is not None:
            warnings.warn(
                f"The {name} model was fitted with a prior (MAP): the likelihood-ratio "
                "statistic uses log-posterior values and its chi-squared reference "
                "distribution is only approximate.",
                UserWarning,
                stacklevel=2,
            )
    df = int(full.n_params_ - restricted.n_params_)
    if df <= 0:
        raise ValueError(
            "likelihood_ratio_test needs restricted.n_params_ < full.n_params_, got "
            f"{restricted.n_params_} and {full.n_params_}: pass the smaller model first"
        )
    if X is None:
        n_r, n_f = getattr(restricted, "nobs_", None), getattr(full, "nobs_", None)
        if n_r is not None and n_f is not None and not np.isclose(n_r, n_f):
            raise ValueError(
                "The two models were fitted on different amounts of data "
                f"(nobs_ {n_r} vs {n_f}); a likelihood-ratio test needs the same data"
            )
        ll_r, ll_f = float(restricted.loglik_), float(full.loglik_)
    else:
        ll_r, ll_f = _total_loglik(restricted, X, y), _total_loglik(full, X, y)
    stat = 2.0 * (ll_f - ll_r)
    if stat < 0:
        if stat > -1e-8 * max(1.0, abs(ll_f)):
            stat = 0.0
        else:
            warnings.warn(
                f"The restricted model has the higher log-likelihood ({ll_r:.6g} > "
                f"{ll_f:.6g}): the models are not nested or the full fit did not converge.",
                UserWarning,
                stacklevel=2,
            )
    pvalue = float(stats.chi2.sf(max(stat, 0.0), df))
    return LikelihoodRatioResult(float(stat), df, pvalue)
