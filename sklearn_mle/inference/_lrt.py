"""Likelihood-ratio test between two nested fitted models.

Three things make a likelihood-ratio test trustworthy, and this module checks each:

1. The models are nested: the restricted model is the full one with some parameters
   held fixed (same estimator and family, its free parameters a subset of the full
   one's, fitted on the same data). Non-nested pairs (TUCE vs GPA + PSI) are refused
   with a pointer to :func:`~sklearn_mle.model_selection.vuong_test` or AIC.
2. The reference distribution is right. Wilks' chi-square holds when the null value is
   inside the parameter space. On its boundary (a dispersion at infinity: Poisson in
   the negative binomial, the Gaussian in the Student-t; a variance at 0) the
   statistic follows a chi-bar-squared mixture (Self and Liang 1987). For the number
   of mixture components no simple limit exists: a parametric bootstrap is used.
3. The test uses the likelihood, not a log-posterior (a warning under a prior).
"""

from __future__ import annotations

import copy
import inspect
import warnings
from math import comb
from typing import NamedTuple

import numpy as np
from joblib import Parallel, delayed
from scipy import stats
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

__all__ = ["LikelihoodRatioResult", "chi_bar_squared_sf", "likelihood_ratio_test"]

#: Pairs of different estimators where the first is the second with one parameter
#: fixed: (restricted, full) -> number of the fixed parameters on the boundary.
NESTED_FAMILIES = {
    ("ExponentialMLE", "GammaMLE"): 0,  # shape = 1, inside (0, inf)
    ("ExponentialMLE", "WeibullMLE"): 0,  # shape = 1
    ("PoissonMLE", "NegativeBinomialMLE"): 1,  # r = inf: the dispersion on the boundary
    ("GaussianMLE", "StudentTMLE"): 1,  # df = inf
}

_COVARIANCE_NESTING = {  # covariance_type -> the types it is nested in (itself excluded)
    "spherical": {"diag", "full"},
    "diag": {"full"},
    "tied": {"full"},
    "full": set(),
}

_POINTER = ("for non-nested models use sklearn_mle.model_selection.vuong_test, or "
            "compare their AIC")


def _conditional(est):
    """Whether ``est`` models ``y`` given ``X`` (a classifier or regressor)."""
    try:
        return bool(est.__sklearn_tags__().target_tags.required)
    except AttributeError:
        return hasattr(est, "log_likelihood")


def _total_loglik(est, X, y):
    """Total log-likelihood of ``(X, y)`` through the public surface: ``log_likelihood``
    for conditional models, the sum of ``score_samples`` for density estimators."""
    if _conditional(est):
        return float(est.log_likelihood(X, y))
    return float(np.sum(est.score_samples(X), dtype=np.float64))


class LikelihoodRatioResult(NamedTuple):
    """Result of :func:`likelihood_ratio_test`.

    Attributes
    ----------
    statistic : float
        ``2 (log L_full - log L_restricted)``.
    df : int
        Difference in the numbers of free parameters.
    pvalue : float
        Under the reference distribution below.
    reference : str
        ``"chi2(df)"``, ``"chi-bar-squared"`` (boundary) or ``"bootstrap(B)"``.
    note : str
        Why that reference was chosen, empty for the plain chi-square.
    """

    statistic: float
    df: int
    pvalue: float
    reference: str = "chi2"
    note: str = ""


def chi_bar_squared_sf(statistic: float, df: int, n_boundary: int) -> float:
    """Survival function of the chi-bar-squared law of an LR statistic on a boundary.

    With ``df`` parameters tested of which ``n_boundary`` have their null value on the
    boundary of the parameter space (and asymptotically independent estimates), the
    statistic is distributed as the mixture
    ``sum_j C(s, j) 2^-s chi2(df - s + j)``, ``j = 0..s`` (Self and Liang 1987,
    case 5); ``chi2(0)`` is a point mass at 0. One boundary parameter, one df: the
    familiar ``0.5 chi2(0) + 0.5 chi2(1)``, i.e. half the chi-square p-value.

    Parameters
    ----------
    statistic : float
        The likelihood-ratio statistic ``2 (log L_full - log L_restricted)``; negative
        values (rounding) count as 0.
    df : int
        Number of parameters tested (``full.n_params_ - restricted.n_params_``).
    n_boundary : int
        How many of them have their null value on the boundary, ``0 <= n_boundary <=
        df``; 0 gives the plain ``chi2(df)`` survival function.

    Returns
    -------
    float
        The p-value ``P(T >= statistic)`` under the mixture.

    Raises
    ------
    ValueError
        When ``n_boundary`` is outside ``[0, df]``.

    See Also
    --------
    likelihood_ratio_test : uses it for Poisson in NegativeBinomial, Gaussian in
        StudentT, or ``n_boundary=`` given.

    Examples
    --------
    One variance component tested (a random intercept's variance at 0): half the
    chi-square p-value, so the 5% critical value is 2.71, not 3.84:

    >>> from scipy import stats
    >>> from sklearn_mle.inference import chi_bar_squared_sf
    >>> round(chi_bar_squared_sf(3.841458820694124, 1, 1), 6)
    0.025
    >>> round(chi_bar_squared_sf(2.705543454095404, 1, 1), 6)
    0.05

    Two parameters, one of them on the boundary (``0.5 chi2(1) + 0.5 chi2(2)``):

    >>> p = chi_bar_squared_sf(4.0, 2, 1)
    >>> bool(abs(p - (0.5 * stats.chi2.sf(4.0, 1) + 0.5 * stats.chi2.sf(4.0, 2))) < 1e-15)
    True
    """
    s = int(n_boundary)
    if not 0 <= s <= df:
        raise ValueError(f"n_boundary must be in [0, df={df}], got {n_boundary}")
    stat = max(float(statistic), 0.0)
    total = 0.0
    for j in range(s + 1):
        k = df - s + j
        sf = (1.0 if stat <= 0 else 0.0) if k == 0 else float(stats.chi2.sf(stat, k))
        total += comb(s, j) * sf / 2.0**s
    return total


# ------------------------------------------------------------------ nesting checks
def _fixed(est):
    params = est.get_params(deep=False) if hasattr(est, "get_params") else {}
    return params.get("fixed_params") or {}


def _same_value(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def _sub_estimator_types(est):
    params = est.get_params(deep=False) if hasattr(est, "get_params") else {}
    return {k: type(v).__name__ for k, v in params.items() if hasattr(v, "get_params")}


def _check_nested(restricted, full):
    """Raise if the pair is not nested; return (n_boundary, note, mixture_order)."""
    r_name, f_name = type(restricted).__name__, type(full).__name__
    if r_name != f_name:
        if (r_name, f_name) in NESTED_FAMILIES:
            s = NESTED_FAMILIES[(r_name, f_name)]
            note = (f"{r_name} is {f_name} with its extra parameter at "
                    + ("the boundary of the parameter space (infinity): chi-bar-squared "
                       "reference" if s else "an interior value"))
            return s, note, False
        raise ValueError(
            f"likelihood_ratio_test: {r_name} and {f_name} are not nested (different "
            f"models, neither a special case of the other); {_POINTER}")
    r_subs, f_subs = _sub_estimator_types(restricted), _sub_estimator_types(full)
    for key in set(r_subs) & set(f_subs):
        if r_subs[key] != f_subs[key]:
            raise ValueError(
                f"likelihood_ratio_test: the models use different families ({key}: "
                f"{r_subs[key]} vs {f_subs[key]}), so they are not nested; {_POINTER}")
    r_fixed, f_fixed = _fixed(restricted), _fixed(full)
    for key, value in f_fixed.items():
        if key not in r_fixed or not _same_value(r_fixed[key], value):
            raise ValueError(
                f"likelihood_ratio_test: the full model fixes {key!r} but the restricted "
                f"one does not hold it at the same value, so they are not nested; {_POINTER}")
    r_names = getattr(restricted, "feature_names_in_", None)
    f_names = getattr(full, "feature_names_in_", None)
    if r_names is not None and f_names is not None:
        extra = [c for c in r_names if c not in set(f_names)]
        if extra:
            raise ValueError(
                f"likelihood_ratio_test: the restricted model uses column(s) {extra} "
                f"that the full model does not ({list(f_names)}), so they are not "
                f"nested; {_POINTER}")
    elif getattr(restricted, "n_features_in_", None) != getattr(full, "n_features_in_", None):
        warnings.warn(
            "likelihood_ratio_test: the models were fitted on different numbers of "
            "columns without column names, so it cannot check that the restricted "
            "model's columns are a subset of the full model's; fit both on pandas "
            "DataFrames to have it checked.", UserWarning, stacklevel=3)
    r_k = getattr(restricted, "n_components", None)
    f_k = getattr(full, "n_components", None)
    if r_k is not None and f_k is not None and r_k != f_k:
        if r_k > f_k:
            raise ValueError("likelihood_ratio_test: the restricted model has more mixture "
                             "components than the full one; pass the smaller model first")
        return 0, "number of mixture components", True
    r_ct = getattr(restricted, "covariance_type", None)
    f_ct = getattr(full, "covariance_type", None)
    if r_ct is not None and f_ct is not None and r_ct != f_ct:
        if f_ct not in _COVARIANCE_NESTING.get(r_ct, set()):
            raise ValueError(
                f"likelihood_ratio_test: covariance_type {r_ct!r} is not nested in "
                f"{f_ct!r}; {_POINTER}")
        return 0, "", False
    r_par = list(getattr(restricted, "param_names_", []))
    f_par = set(getattr(full, "param_names_", []))
    if f_par:
        extra = [p for p in r_par if p not in f_par]
        if extra:
            raise ValueError(
                f"likelihood_ratio_test: the restricted model's parameters {extra} are "
                "not parameters of the full model, so the models are not nested; "
                + _POINTER)
    return 0, "", False


# ------------------------------------------------------------------ same data
def _num_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _stats_differ(restricted, full):
    """Whether both models keep sufficient statistics of the same family (``stats_``
    of the distribution estimators: a fingerprint of their data, stored at fit) and
    these differ, i.e. they were fitted on different data."""
    a, b = getattr(restricted, "stats_", None), getattr(full, "stats_", None)
    if a is None or b is None or not hasattr(a, "fields") or not hasattr(b, "fields"):
        return False
    if getattr(a, "family", None) != getattr(b, "family", None):
        return False
    fa, fb = a.fields(), b.fields()
    for key in set(fa) & set(fb):
        u, v = np.asarray(fa[key]), np.asarray(fb[key])
        if u.shape != v.shape or u.dtype.kind not in "biuf" or v.dtype.kind not in "biuf":
            continue
        if not np.allclose(u, v, rtol=1e-9, atol=0.0, equal_nan=True):
            return True
    return False


def _own_columns(est, X):
    """A DataFrame's columns the model was fitted on (a restricted GLM on a subset of
    the full one's columns takes the same table)."""
    names = getattr(est, "feature_names_in_", None)
    columns = getattr(X, "columns", None)
    if names is None or columns is None or not set(names) <= set(columns):
        return X
    return X[list(names)]


def _same_data_logliks(restricted, full, X, y):
    """Both log-likelihoods, after checking the two models saw the same data.

    Without ``X``: their numbers of observations (``nobs_``) and, for distribution
    estimators of one family, their sufficient statistics (``stats_``) must agree.
    With ``X`` (and ``y``): the data fingerprint is each model's training
    log-likelihood: a model fitted on ``X`` has ``loglik_`` equal to its
    log-likelihood on ``X`` (almost surely not otherwise), so a model that gives
    another value was fitted on other data and the pair is refused."""
    n_r, n_f = getattr(restricted, "nobs_", None), getattr(full, "nobs_", None)
    if X is None:
        if n_r is not None and n_f is not None and not np.isclose(n_r, n_f):
            raise ValueError(
                "The two models were fitted on different amounts of data "
                f"(nobs_ {n_r} vs {n_f}); a likelihood-ratio test needs the same data"
            )
        if _stats_differ(restricted, full):
            raise ValueError(
                "likelihood_ratio_test: the two models were fitted on different data "
                f"of the same size ({n_r:g} rows; their sufficient statistics stats_ "
                "differ); a likelihood-ratio test compares two fits of the SAME data")
        return float(restricted.loglik_), float(full.loglik_)
    n = _num_rows(X)
    out = []
    for name, est in (("restricted", restricted), ("full", full)):
        ll = _total_loglik(est, _own_columns(est, X), y)
        nobs = getattr(est, "nobs_", None)
        if nobs is not None and not np.isclose(nobs, n):
            raise ValueError(
                f"likelihood_ratio_test: the {name} model was fitted on {nobs:g} "
                f"observations but X has {n} rows; a likelihood-ratio test compares two "
                "fits of the same data (for weighted fits call it without X)")
        trained = getattr(est, "loglik_", None)
        if (trained is not None and getattr(est, "prior", None) is None
                and not np.isclose(ll, trained, rtol=1e-8, atol=1e-8)):
            raise ValueError(
                f"likelihood_ratio_test: the {name} model was not fitted on this X: its "
                f"log-likelihood on X ({ll:.10g}) differs from its training "
                f"log-likelihood loglik_ ({float(trained):.10g}). A likelihood-ratio test "
                "compares the maxima of two nested models on the SAME data: fit both on "
                "X (or call without X to use the training fits)")
        out.append(ll)
    return out[0], out[1]


# ------------------------------------------------------------------ bootstrap
def _draw(est, n, seed):
    """``n`` rows from a fitted density estimator, reproducibly from ``seed``."""
    if not hasattr(est, "sample") or _conditional(est):
        raise ValueError(
            f"method='bootstrap' simulates from the restricted model: "
            f"{type(est).__name__} has no sample() of its data")
    if "random_state" in inspect.signature(est.sample).parameters:
        out = est.sample(n, random_state=seed)
    else:  # sklearn-style mixtures draw from their random_state attribute
        est = copy.copy(est)
        est.random_state = seed
        out = est.sample(n)
    return out[0] if isinstance(out, tuple) else out


def _boot_stat(restricted, full, n, seed):
    Xb = _draw(restricted, n, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ll_r = clone(restricted).fit(Xb).loglik_
            ll_f = clone(full).fit(Xb).loglik_
        except Exception:  # a replicate that cannot be fitted is dropped
            return np.nan
    return max(2.0 * (ll_f - ll_r), 0.0)


def _bootstrap_pvalue(restricted, full, stat, n, n_boot, random_state, n_jobs):
    seeds = check_random_state(random_state).randint(np.iinfo(np.int32).max, size=n_boot)
    boot = np.array(Parallel(n_jobs=n_jobs)(
        delayed(_boot_stat)(restricted, full, n, int(s)) for s in seeds), dtype=float)
    boot = boot[np.isfinite(boot)]
    if boot.size < max(10, n_boot // 2):
        raise ValueError(
            f"method='bootstrap': only {boot.size} of {n_boot} replicates could be fitted")
    return float((1 + np.sum(boot >= stat - 1e-10 * max(1.0, abs(stat)))) / (boot.size + 1))


# ------------------------------------------------------------------ the test
def likelihood_ratio_test(restricted, full, X=None, y=None, *, method: str = "chi2",
                          n_boundary: int | None = None, n_boot: int = 199,
                          random_state=None, n_jobs=None) -> LikelihoodRatioResult:
    """Likelihood-ratio test of a restricted model nested in a fuller one.

    The statistic ``2 (log L_full - log L_restricted)`` is asymptotically
    chi-squared with ``full.n_params_ - restricted.n_params_`` degrees of freedom
    under the restricted model (Wilks' theorem) when the restricted values lie inside
    the parameter space.

    The pair must be nested: the same estimator and family (or a known special case:
    Exponential in Gamma or Weibull, Poisson in NegativeBinomial, Gaussian in
    StudentT), the full model's fixed parameters held at the same values in the
    restricted one, the restricted model's columns (by ``feature_names_in_``) and
    free parameters (by ``param_names_``) among the full one's, the same data (the
    same number of observations; the same sufficient statistics or, given ``X``, the
    training log-likelihoods reproduced on ``X``). Otherwise a ``ValueError`` points to
    :func:`~sklearn_mle.model_selection.vuong_test` or AIC.

    Parameters
    ----------
    restricted, full : fitted estimators
        Nested models fitted on the same data; ``restricted`` has fewer free
        parameters (e.g. ``fixed_params=`` or a subset of the columns).
    X, y : array-like, optional
        The data both models were fitted on: their log-likelihoods are evaluated on
        it, and it is checked to be their training data (each model's ``loglik_``
        must equal its log-likelihood on ``X``; a model fitted on other data, even
        of the same size, is refused). Without ``X``, the training ``loglik_`` are
        used and the check is on ``nobs_`` and, for distribution estimators of one
        family, their sufficient statistics ``stats_``.
    method : {"chi2", "bootstrap"}, default="chi2"
        ``"chi2"``: the asymptotic reference, chi-square or, on a boundary,
        chi-bar-squared. ``"bootstrap"``: a parametric bootstrap, simulating ``n_boot``
        data sets from the fitted restricted model and refitting both models on each
        (``p = (1 + #{T* >= T}) / (B + 1)``); required to compare numbers of mixture
        components, where the chi-square reference is invalid.
    n_boundary : int or None, default=None
        How many of the tested parameters have their null value on the boundary of
        the parameter space (a variance or a mixture weight at 0). None: known from
        the pair (1 for Poisson in NegativeBinomial and Gaussian in StudentT, else 0).
    n_boot : int, default=199
        Bootstrap replicates.
    random_state : int, RandomState instance or None, default=None
        Seeds the bootstrap.
    n_jobs : int or None, default=None
        Bootstrap replicates fitted in parallel by joblib.

    Returns
    -------
    LikelihoodRatioResult
        Named tuple ``(statistic, df, pvalue, reference, note)``.

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
    if method not in ("chi2", "bootstrap"):
        raise ValueError(f"method must be 'chi2' or 'bootstrap', got {method!r}")
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
    n_r = getattr(restricted, "nobs_", None)
    ll_r, ll_f = _same_data_logliks(restricted, full, X, y)
    s, note, mixture_order = _check_nested(restricted, full)
    if n_boundary is not None:
        s = int(n_boundary)
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
    stat = float(stat)
    if method == "bootstrap":
        n = int(round(n_r)) if X is None and n_r is not None else len(X)
        p = _bootstrap_pvalue(restricted, full, max(stat, 0.0), n, int(n_boot),
                              random_state, n_jobs)
        return LikelihoodRatioResult(stat, df, p, f"bootstrap({int(n_boot)})",
                                     note or "parametric bootstrap under the restricted fit")
    if mixture_order:
        raise ValueError(
            "likelihood_ratio_test: the models differ in their number of mixture "
            "components; the extra component's weight is 0 (a boundary) and its "
            "parameters are then not identified, so the chi-square reference is invalid. "
            "Use method='bootstrap' (a parametric bootstrap of the statistic) or compare "
            "BIC with GridSearchIC")
    if s:
        p = chi_bar_squared_sf(stat, df, s)
        return LikelihoodRatioResult(stat, df, p, "chi-bar-squared",
                                     note or f"{s} parameter(s) on the boundary")
    return LikelihoodRatioResult(stat, df, float(stats.chi2.sf(max(stat, 0.0), df)),
                                 f"chi2({df})", note)
