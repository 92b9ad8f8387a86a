"""Goodness of fit of a fitted one-variable distribution, with bootstrap p-values.

The Kolmogorov-Smirnov, Cramér-von Mises and Anderson-Darling statistics compare the
empirical distribution function with the fitted one. Their textbook p-values assume
the parameters are KNOWN; with estimated parameters the fit hugs the data and those
p-values are far too large (Lilliefors 1967; fitdistrplus' ``gofstat`` reports the
statistics only for this reason). Here the p-values come from a parametric bootstrap
that RE-ESTIMATES the parameters on each replicate (Stute, Gonzáles Manteiga and
Presedo Quindimil 1993), so they are uniform under the null. Discrete families get
Pearson's chi-square on the value counts (cells fixed on the data, tails merged until
every expected count is at least 5), with the chi-square p-value on ``cells - 1 - k`` degrees of
freedom and a bootstrap p-value.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from scipy import stats
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

__all__ = ["GoodnessOfFit", "goodness_of_fit"]

_EDF = ("ks", "cvm", "ad")


@dataclass
class GoodnessOfFit:
    """Goodness-of-fit statistics of one fit and their bootstrap p-values.

    Attributes
    ----------
    kind : {"continuous", "discrete"}
    ks, cvm, ad : float
        Kolmogorov-Smirnov ``D``, Cramér-von Mises ``W^2`` and Anderson-Darling ``A^2``
        (continuous families; NaN for discrete ones).
    ks_pvalue, cvm_pvalue, ad_pvalue : float
        Parametric-bootstrap p-values, parameters re-estimated on each replicate.
    chi2, chi2_df : float
        Pearson's chi-square on the value counts and its degrees of freedom
        (discrete families; NaN for continuous ones).
    chi2_pvalue, chi2_boot_pvalue : float
        Its asymptotic (chi-square) and parametric-bootstrap p-values.
    n_boot : int
        Replicates that could be fitted.
    """

    kind: str
    ks: float = np.nan
    cvm: float = np.nan
    ad: float = np.nan
    ks_pvalue: float = np.nan
    cvm_pvalue: float = np.nan
    ad_pvalue: float = np.nan
    chi2: float = np.nan
    chi2_df: float = np.nan
    chi2_pvalue: float = np.nan
    chi2_boot_pvalue: float = np.nan
    n_boot: int = 0


def _frozen(est):
    # every distribution estimator hands out its frozen scipy objects (a shifted
    # family's carry its loc)
    dist = est.to_scipy()[0]
    if not hasattr(dist, "dist") and hasattr(dist, "cov"):  # a 1-D multivariate normal
        return stats.norm(float(np.ravel(dist.mean)[0]), float(np.sqrt(np.ravel(dist.cov)[0])))
    return dist


def edf_statistics(x_sorted, cdf):
    """KS, CvM and AD statistics of sorted data against fitted CDF values."""
    n = x_sorted.size
    F = np.clip(cdf, 1e-300, 1.0 - 1e-16)
    i = np.arange(1, n + 1)
    ks = float(max(np.max(i / n - F), np.max(F - (i - 1) / n)))
    cvm = float(1.0 / (12 * n) + np.sum((F - (2 * i - 1) / (2.0 * n)) ** 2))
    ad = float(-n - np.mean((2 * i - 1) * (np.log(F) + np.log1p(-F[::-1]))))
    return ks, cvm, ad


def _cuts(x, dist):
    """Pearson cells on the observed values, tails merged until every expected count is
    at least 5. Returns the cut points: cell j holds the values in
    ``[cuts[j-1], cuts[j])``, the first and last cells open to the tails."""
    x = x.astype(np.int64)
    lo, hi = int(x.min()), int(x.max())
    values = np.arange(lo, hi + 1)
    expected = x.size * dist.pmf(values)
    expected[0] += x.size * dist.cdf(lo - 1)
    expected[-1] += x.size * dist.sf(hi)
    cuts = list(values[1:])  # a cell per observed value
    exp = list(expected)
    while len(exp) > 1 and exp[-1] < 5:  # merge from the right, then from the left
        last = exp.pop()
        exp[-1] += last
        cuts.pop()
    while len(exp) > 1 and exp[0] < 5:
        first = exp.pop(0)
        exp[0] += first
        cuts.pop(0)
    return np.array(cuts, dtype=float)


def _chi2(x, dist, cuts):
    """Pearson's chi-square of integer data on fixed cells."""
    n = x.size
    observed = np.bincount(np.searchsorted(cuts, x, side="right"),
                           minlength=cuts.size + 1).astype(float)
    F = np.concatenate([[0.0], dist.cdf(cuts - 1), [1.0]])
    expected = n * np.diff(F)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum(np.where(expected > 0, (observed - expected) ** 2 / expected,
                                     0.0)))


def _statistics(est, x, kind, cuts=None):
    dist = _frozen(est)
    if kind == "discrete":
        return (_chi2(x, dist, cuts),)
    xs = np.sort(x)
    return edf_statistics(xs, dist.cdf(xs))


def _refit_template(est):
    """What each replicate refits: a clone, or, for an estimator with ``warm_start``
    (a threshold search, ShiftedMLE), a copy of the fit started from its solution (the
    replicates are drawn from that fit, so their optima lie near it)."""
    if "warm_start" in est.get_params(deep=False):
        return copy.deepcopy(est).set_params(warm_start=True), True
    return est, False


def _replicate(template, warm, n, kind, cuts, seed):
    xb = template.sample(n, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fitted = (copy.deepcopy(template) if warm else clone(template)).fit(xb)
            return _statistics(fitted, np.asarray(xb, dtype=float).ravel(), kind, cuts)
        except Exception:  # a replicate that cannot be fitted is dropped
            return None


def goodness_of_fit(estimator, x, *, kind: str | None = None, n_boot: int = 200,
                    random_state=None, n_jobs=None) -> GoodnessOfFit:
    """Goodness-of-fit statistics of a fitted one-column distribution estimator.

    Parameters
    ----------
    estimator : fitted distribution estimator
        E.g. ``GammaMLE().fit(x)``; one column. It is refitted (a clone) on each
        bootstrap replicate drawn from it with ``sample``; an estimator with a
        ``warm_start`` parameter (``ShiftedMLE``) is refitted from its own solution.
    x : array-like of shape (n_samples,) or (n_samples, 1)
        The data the estimator was fitted to.
    kind : {"continuous", "discrete"} or None, default=None
        None: discrete when the fitted scipy distribution has a ``pmf``.
    n_boot : int, default=200
        Parametric-bootstrap replicates (0: statistics only; the chi-square test of
        discrete families keeps its asymptotic p-value).
    random_state : int, RandomState instance or None, default=None
    n_jobs : int or None, default=None
        Replicates run in parallel by joblib.

    Returns
    -------
    GoodnessOfFit

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import GammaMLE
    >>> from sklearn_mle.model_selection import goodness_of_fit
    >>> x = np.random.default_rng(0).gamma(2.0, 3.0, size=(300, 1))
    >>> gof = goodness_of_fit(GammaMLE().fit(x), x, n_boot=99, random_state=0)
    >>> gof.kind, bool(gof.ad_pvalue > 0.05)
    ('continuous', True)
    """
    check_is_fitted(estimator)
    x = np.asarray(x, dtype=float)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(f"goodness_of_fit needs one variable, got shape {x.shape}")
    dist = _frozen(estimator)
    if kind is None:
        kind = "discrete" if hasattr(dist.dist, "pmf") else "continuous"
    if kind not in ("continuous", "discrete"):
        raise ValueError(f"kind must be 'continuous' or 'discrete', got {kind!r}")
    n_boot = int(n_boot)
    if n_boot < 0:
        raise ValueError(f"n_boot must be >= 0, got {n_boot}")
    cuts = _cuts(x, dist) if kind == "discrete" else None
    observed = _statistics(estimator, x, kind, cuts)
    out = GoodnessOfFit(kind)
    if kind == "discrete":
        out.chi2 = observed[0]
        stat = out.chi2
        out.chi2_df = float(max(cuts.size - int(estimator.n_params_), 0))
        out.chi2_pvalue = float(stats.chi2.sf(stat, out.chi2_df)) if out.chi2_df > 0 else np.nan
    else:
        out.ks, out.cvm, out.ad = observed
    if n_boot == 0:
        return out
    seeds = check_random_state(random_state).randint(np.iinfo(np.int32).max, size=n_boot)
    template, warm = _refit_template(estimator)
    reps = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_replicate)(template, warm, x.size, kind, cuts, int(s)) for s in seeds)
    reps = np.array([r for r in reps if r is not None], dtype=float).reshape(-1, len(observed))
    out.n_boot = int(reps.shape[0])
    if out.n_boot == 0:
        return out
    tol = 1e-12
    pvals = [(1.0 + np.sum(reps[:, j] >= observed[j] * (1 - tol))) / (out.n_boot + 1.0)
             for j in range(len(observed))]
    if kind == "discrete":
        out.chi2_boot_pvalue = float(pvals[0])
    else:
        out.ks_pvalue, out.cvm_pvalue, out.ad_pvalue = map(float, pvals)
    return out
