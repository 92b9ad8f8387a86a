"""Comparing fitted models: sequential likelihood-ratio tests and Vuong's test.

:func:`compare_models` is R's ``anova(m0, m1, m2, test = "LRT")`` for a sequence of
nested fits; :func:`vuong_test` compares two NON-nested models fitted to the same
data from their per-observation log-likelihoods (Vuong 1989).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats
from sklearn.utils.validation import check_is_fitted

from ..inference._lrt import likelihood_ratio_test

__all__ = ["VuongResult", "compare_models", "vuong_test"]


def _label(est):
    names = getattr(est, "feature_names_in_", None)
    base = type(est).__name__
    return f"{base}({', '.join(map(str, names))})" if names is not None else base


def _criteria(est, X, y):
    k = float(est.n_params_)
    if X is None:
        ll = float(est.loglik_)
        n = float(est.nobs_)
    else:
        aic = est.aic(X) if y is None else est.aic(X, y)
        ll = -0.5 * (float(aic) - 2.0 * k)
        n = float(len(X))
    return ll, k, -2.0 * ll + 2.0 * k, -2.0 * ll + np.log(n) * k


def compare_models(*models, X=None, y=None, names=None):
    """Sequential likelihood-ratio tests of nested fitted models (R's ``anova``).

    Each model is tested against the one before it with
    :func:`~sklearn_mle.likelihood_ratio_test` (which checks that they are nested
    and picks the chi-square or chi-bar-squared reference), as
    ``anova(m0, m1, m2, test = "LRT")`` does in R.

    Parameters
    ----------
    *models : fitted estimators
        Two or more models in increasing order of free parameters, each nested in the
        next, fitted on the same data.
    X, y : array-like, optional
        Evaluate the log-likelihoods on this data instead of the training ``loglik_``.
    names : list of str, optional
        Row labels (default: class name and columns).

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model``, ``n_params``, ``loglik``, ``aic``, ``bic``,
        and, from the second row on, ``df``, ``statistic``, ``pvalue`` and
        ``reference`` of the test against the previous row.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import PoissonMLE
    >>> from sklearn_mle.model_selection import compare_models
    >>> x = np.array([[2], [3], [1], [4], [0], [2], [5], [1], [2], [3]])
    >>> table = compare_models(PoissonMLE(fixed_params={"rate": [2.0]}).fit(x),
    ...                        PoissonMLE().fit(x), names=["rate = 2", "free"])
    >>> table[["n_params", "df"]].to_numpy().tolist()
    [[0.0, nan], [1.0, 1.0]]
    >>> round(float(table.statistic[1]), 4)
    0.429
    """
    import pandas as pd

    if len(models) < 2:
        raise ValueError(f"compare_models needs at least two fitted models, got {len(models)}")
    if names is not None and len(names) != len(models):
        raise ValueError(f"names has {len(names)} labels for {len(models)} models")
    rows = []
    for i, est in enumerate(models):
        check_is_fitted(est)
        ll, k, aic, bic = _criteria(est, X, y)
        row = {"model": names[i] if names is not None else _label(est), "n_params": k,
               "loglik": ll, "aic": aic, "bic": bic, "df": np.nan, "statistic": np.nan,
               "pvalue": np.nan, "reference": ""}
        if i:
            res = likelihood_ratio_test(models[i - 1], est, X, y)
            row.update(df=float(res.df), statistic=res.statistic, pvalue=res.pvalue,
                       reference=res.reference)
        rows.append(row)
    return pd.DataFrame(rows)


class VuongResult(NamedTuple):
    """Result of :func:`vuong_test`.

    Attributes
    ----------
    statistic : float
        Vuong's z: positive favours ``model_a``, negative ``model_b``.
    pvalue : float
        Two-sided p-value of "the models are equally close to the truth".
    pvalue_a : float
        One-sided p-value against "``model_a`` is not better" (small: prefer a).
    pvalue_b : float
        One-sided p-value against "``model_b`` is not better" (small: prefer b).
    loglik_ratio : float
        ``sum(l_a - l_b)`` after the correction.
    correction : str
        ``"none"``, ``"akaike"`` or ``"schwarz"``.
    """

    statistic: float
    pvalue: float
    pvalue_a: float
    pvalue_b: float
    loglik_ratio: float
    correction: str


def _pointwise(est, X, y):
    """Per-observation log-likelihood through public methods."""
    if y is None:
        return np.asarray(est.score_samples(X), dtype=float).ravel()
    y = np.asarray(y)
    if hasattr(est, "predict_log_proba") and hasattr(est, "classes_"):
        logp = est.predict_log_proba(X)
        index = np.searchsorted(est.classes_, y)
        return logp[np.arange(len(y)), index].astype(float)
    if not hasattr(est, "log_likelihood"):
        raise ValueError(f"{type(est).__name__} has no per-observation log-likelihood")
    Xa = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
    # one row at a time through the public total: slow but exact for any model
    return np.array([est.log_likelihood(Xa[i:i + 1], y[i:i + 1]) for i in range(len(y))])


def vuong_test(model_a, model_b, X, y=None, *, X_b=None,
               correction: str = "schwarz") -> VuongResult:
    """Vuong's test for two non-nested models fitted to the same observations.

    With ``m_i = log f_a(x_i) - log f_b(x_i)`` the per-observation log-likelihood
    differences, ``z = (sum m_i - c) / (sqrt(n) * omega)``, where ``omega`` is the
    standard deviation of the ``m_i`` (divisor n) and ``c`` the correction for the
    numbers of parameters ``k``: ``0`` (none), ``k_a - k_b`` (Akaike) or
    ``(k_a - k_b) log(n) / 2`` (Schwarz). Under "equally close to the truth" ``z`` is
    standard normal (Vuong 1989). Use it for Poisson vs negative binomial fits, or
    LogNormal vs Gamma, where :func:`~sklearn_mle.likelihood_ratio_test` refuses.

    Parameters
    ----------
    model_a, model_b : fitted estimators
        Density estimators (``score_samples``) or conditional models
        (``predict_log_proba`` for classifiers, else ``log_likelihood``).
    X : array-like of shape (n_samples, n_features)
        The data (as ``model_a`` sees it).
    y : array-like of shape (n_samples,), optional
        Targets of conditional models.
    X_b : array-like, optional
        The data as ``model_b`` sees it, when its columns differ (default: ``X``).
    correction : {"schwarz", "akaike", "none"}, default="schwarz"

    Returns
    -------
    VuongResult

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import GammaMLE, LogNormalMLE
    >>> from sklearn_mle.model_selection import vuong_test
    >>> x = np.random.default_rng(0).gamma(2.0, 1.5, size=(500, 1))
    >>> res = vuong_test(GammaMLE().fit(x), LogNormalMLE().fit(x), x)
    >>> bool(res.statistic > 0), bool(res.pvalue_a < 0.05)
    (True, True)
    """
    correction = str(correction).lower()
    if correction not in ("schwarz", "akaike", "none"):
        raise ValueError(f"correction must be 'schwarz', 'akaike' or 'none', got {correction!r}")
    check_is_fitted(model_a)
    check_is_fitted(model_b)
    la = _pointwise(model_a, X, y)
    lb = _pointwise(model_b, X if X_b is None else X_b, y)
    if la.shape != lb.shape:
        raise ValueError(f"the models scored {la.size} and {lb.size} observations; "
                         "Vuong's test needs the same observations")
    n = la.size
    if n < 2:
        raise ValueError(f"Vuong's test needs at least 2 observations, got {n}")
    m = la - lb
    if not np.all(np.isfinite(m)):
        raise ValueError("a per-observation log-likelihood is not finite (an observation "
                         "outside one model's support): the models are not comparable there")
    dk = float(model_a.n_params_) - float(model_b.n_params_)
    c = {"none": 0.0, "akaike": dk, "schwarz": dk * np.log(n) / 2.0}[correction]
    lr = float(m.sum()) - c
    omega = float(np.sqrt(np.mean(m**2) - np.mean(m) ** 2))
    if not omega > 0:
        raise ValueError("the two models give the same log-likelihood to every "
                         "observation (omega = 0): they cannot be told apart")
    z = lr / (np.sqrt(n) * omega)
    return VuongResult(float(z), float(2 * stats.norm.sf(abs(z))), float(stats.norm.sf(z)),
                       float(stats.norm.cdf(z)), lr, correction)
