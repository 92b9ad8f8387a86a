"""Rank distribution families on one variable by an information criterion.

The registry (:mod:`._candidates`) maps a family name to its estimator class
(looked up by name in :mod:`sklearn_mle` at call time, so families added later join
automatically), the kind of data it models and the domain it needs.
:func:`rank_distributions` fits every family valid for the data, ranks the fits by
AIC or BIC and gives Akaike weights.

Densities (continuous families) and probability mass functions (discrete families)
are not on the same scale, so their likelihoods are never compared: integer-valued
data get the discrete families by default, other data the continuous ones, and when
both kinds are asked for explicitly the criterion differences and weights are computed
within each kind.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..exceptions import BoundaryWarning
from ._candidates import (
    FAMILIES,
    Family,
    column_domain,
    default_candidates,
    resolve_families,
    with_shifted,
)
from ._criteria import CRITERIA, aicc_from_aic, first_line
from ._gof import GoodnessOfFit, goodness_of_fit
from ._intervals import capped_parameters, wald_interval

__all__ = ["FAMILIES", "DistributionFit", "Family", "column_domain", "rank_distributions",
           "resolve_families"]


_CI_METHODS = ("wald", "wald-linear", "profile")


@dataclass
class DistributionFit:
    """One row of a ranking: a family fitted to the data, or why it was not.

    Attributes
    ----------
    family : str
        Family name, e.g. ``"Gamma"``.
    kind : {"continuous", "discrete"}
        Density or probability mass function.
    status : {"ok", "warning", "boundary", "not converged", "failed", "not applicable", \
"unavailable"}
        ``"ok"`` and ``"warning"`` (a fit that warned) are ranked. ``"boundary"``: the
        MLE is on the boundary of the parameter space or capped (a negative binomial
        on under-dispersed data, a Student-t with df at infinity, a Bernoulli with
        p = 1): its likelihood is that of a limiting model, so it is left out of the
        ranking and the weights, with the reason in ``message``, and its capped
        parameters get no interval. The others are listed after the ranked rows.
    message : str
        Warning or error text (first line), empty for a clean fit.
    estimator : estimator or None
        The fitted estimator.
    param_names : list of str
        Names of the free parameters.
    params : ndarray of shape (n_params,)
        Their estimates.
    conf_int : ndarray of shape (n_params, 2)
        Confidence intervals at level ``1 - alpha``, always inside the parameter space
        (NaN where none exists: a capped parameter).
    loglik : float
        Total log-likelihood of the data at the estimates.
    n_params : int
        Number of free parameters.
    aic, aicc, bic : float
        ``-2 loglik + 2 k``, ``aic + 2 k (k + 1) / (n - k - 1)`` and
        ``-2 loglik + log(n) k`` with ``k = n_params``.
    delta : float
        Criterion minus the smallest criterion among ranked fits of the same kind.
    weight : float
        Akaike (or Schwarz, for BIC) weight ``exp(-delta / 2) / sum exp(-delta_j / 2)``
        over the ranked fits of the same kind; NaN for unranked rows.
    rank : int or None
        1 for the best fit (of its kind); None for unranked rows.
    gof : GoodnessOfFit or None
        Goodness-of-fit statistics and bootstrap p-values (``gof=True``).
    """

    family: str
    kind: str
    status: str
    message: str = ""
    estimator: object = None
    param_names: list = field(default_factory=list)
    params: np.ndarray = field(default_factory=lambda: np.empty(0))
    conf_int: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    loglik: float = np.nan
    n_params: int = 0
    aic: float = np.nan
    bic: float = np.nan
    delta: float = np.nan
    weight: float = np.nan
    rank: int | None = None
    aicc: float = np.nan
    gof: GoodnessOfFit | None = None

    @property
    def ranked(self) -> bool:
        """Whether the row takes part in the ranking."""
        return self.status in ("ok", "warning")


def _estimator_class(name):
    import sklearn_mle

    return getattr(sklearn_mle, name, None)


def _make_estimator(cls, fam):
    """The family's estimator; a parameter named by a class name (the base family of a
    shifted variant) is instantiated."""
    params = {}
    for key, value in fam.params.items():
        if isinstance(value, str) and _estimator_class(value) is not None:
            value = _estimator_class(value)()
        params[key] = value
    return cls(**params)


def _fit_family(fam, x, alpha, ci_method):
    cls = _estimator_class(fam.class_name)
    if cls is None:
        return DistributionFit(fam.name, fam.kind, "unavailable",
                               f"{fam.class_name} is not available in this version")
    if not fam.applies(x):
        return DistributionFit(fam.name, fam.kind, "not applicable", f"needs {fam.domain}")
    # the exponential's one parameter is fixed by the mean: its MLE exists on constant
    # data; every other continuous family has a scale that shrinks to 0 there
    if fam.kind == "continuous" and fam.name != "Exponential" and np.all(x == x[0]):
        return DistributionFit(
            fam.name, fam.kind, "failed",
            f"all values equal {x[0]:.6g}: the likelihood of a continuous family grows "
            "without bound as its scale shrinks, so no MLE exists",
        )
    X = x.reshape(-1, 1)
    row = DistributionFit(fam.name, fam.kind, "ok")
    ci_note = ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est = _make_estimator(cls, fam).fit(X)
            row.estimator = est
            row.param_names = list(est.param_names_)
            row.params = np.asarray(est.estimates_, dtype=float)
            bse = np.asarray(est.bse_, dtype=float)
            # a threshold lies below the data: its interval too (log(min(x) - loc) scale)
            upper = ({n: float(est.data_min_[0]) for n in row.param_names
                      if n.split("[")[0] == "loc"} if hasattr(est, "data_min_") else None)
            if ci_method == "wald":
                row.conf_int = wald_interval(row.param_names, row.params, bse, alpha,
                                             upper=upper)
            else:
                row.conf_int = np.asarray(est.conf_int(alpha=alpha), dtype=float)
            if ci_method == "profile":
                try:
                    row.conf_int = np.asarray(est.conf_int(alpha=alpha, method="profile"))
                except Exception as exc:  # keep the fit, show Wald intervals instead
                    row.conf_int = wald_interval(row.param_names, row.params, bse, alpha,
                                                 upper=upper)
                    ci_note = (f"profile intervals unavailable ({first_line(exc)}): "
                               "Wald intervals shown")
            # the fit has no prior: loglik_ is the log-likelihood (no extra data pass)
            k, n = int(est.n_params_), x.size
            row.loglik = float(est.loglik_)
            row.n_params = k
            row.aic = -2.0 * row.loglik + 2.0 * k
            row.aicc = aicc_from_aic(row.aic, k, n)
            row.bic = -2.0 * row.loglik + np.log(n) * k
        except Exception as exc:  # a family that cannot fit is reported, not raised
            row.status = "failed"
            row.message = f"{type(exc).__name__}: {first_line(exc)}"
            return row
    msgs = [w for w in caught if issubclass(w.category, Warning)]
    conv = [w for w in msgs if issubclass(w.category, ConvergenceWarning)]
    boundary = [w for w in msgs if issubclass(w.category, BoundaryWarning)]
    if conv or getattr(row.estimator, "converged_", True) is False:
        row.status = "not converged"
        row.message = first_line(conv[0].message) if conv else "the fit did not converge"
    elif not all(np.isfinite([row.loglik, row.aic, row.bic])):
        row.status = "failed"
        row.message = "the log-likelihood is not finite at the estimates"
    elif boundary:
        row.status = "boundary"
        row.message = "left out of the ranking: " + first_line(boundary[0].message)
        row.conf_int[capped_parameters(row.param_names, row.params, row.conf_int)] = np.nan
    elif msgs:
        row.status = "warning"
        row.message = first_line(msgs[0].message)
    notes = [m for m in (fam.note, ci_note, row.message) if m]
    row.message = "; ".join(notes)
    return row


def rank_distributions(
    x,
    families: Iterable[str] | None = None,
    criterion: str = "aic",
    *,
    alpha: float = 0.05,
    ci_method: str = "wald",
    gof: bool = False,
    n_boot: int = 200,
    random_state=None,
    n_jobs=None,
    shifted: bool = False,
    as_frame: bool = True,
):
    """Fit candidate distribution families to ``x`` and rank them by AIC or BIC.

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        One variable; finite values only (drop missing values first).
    families : iterable of str or None, default=None
        Family names (``"Gamma"`` or ``"GammaMLE"``, case-insensitive). None picks
        every family whose domain holds the data
        (:func:`sklearn_mle.families._domains.candidate_families`): for integer-valued
        ``x >= 0`` the discrete ones (Poisson, NegativeBinomial, Geometric when
        ``x >= 1``, Bernoulli when ``x`` is 0/1); otherwise Gaussian and StudentT,
        plus Exponential, Gamma, LogNormal and Weibull when ``x > 0`` and Beta when
        ``0 < x < 1``. Families not present in this version of the package are
        skipped. Named families the data do not fit are listed as "not applicable".
    criterion : {"aic", "aicc", "bic"}, default="aic"
        The ranking criterion; lower is better.
    alpha : float, default=0.05
        Confidence intervals at level ``1 - alpha``.
    ci_method : {"wald", "wald-linear", "profile"}, default="wald"
        ``"wald"``: Wald intervals on each parameter's natural scale (log for positive
        parameters, logit for probabilities) mapped back, so never outside the
        parameter space; ``"wald-linear"``: ``estimate +- z se`` cut at the domain's
        bounds; ``"profile"``: profile-likelihood intervals.
    gof : bool, default=False
        Add goodness-of-fit statistics with parametric-bootstrap p-values
        (:func:`~sklearn_mle.model_selection.goodness_of_fit`) to every ranked or
        boundary fit.
    n_boot : int, default=200
        Bootstrap replicates of the goodness-of-fit p-values.
    random_state : int, RandomState instance or None, default=None
        Seeds the bootstrap.
    n_jobs : int or None, default=None
        Bootstrap replicates run in parallel.
    shifted : bool, default=False
        Also fit the three-parameter variants with a fitted threshold ``loc``
        (:class:`~sklearn_mle.ShiftedMLE`: "ShiftedGamma",
        "ShiftedLogNormal", "ShiftedWeibull"): of each named Gamma, LogNormal or
        Weibull, or, when ``families`` is None and the data are continuous, all three
        (their support ``x > loc`` follows the data, so they apply to negative values
        too). They count ``k = 3`` parameters. Each fit is a profile search (about 60
        two-parameter fits), and with ``gof=True`` every bootstrap replicate repeats
        it. They can also be named in ``families``.
    as_frame : bool, default=True
        Return the tidy table of :func:`ranking_frame`: a pandas DataFrame, one row per
        family (``loglik``, ``n_params``, ``aic``, ``aicc``, ``bic``, ``delta``,
        ``weight``, the goodness-of-fit statistics and p-values, ``boundary``, the
        ``parameters`` with their intervals, ``message`` and the fitted ``estimator``).
        False: the list of :class:`DistributionFit` rows (estimates and intervals as
        arrays; what :func:`format_ranking` and :func:`parameter_frame` take).

    Returns
    -------
    pandas.DataFrame or list of DistributionFit
        Ranked fits first (best first), then boundary fits, fits that failed, did not
        converge or do not apply, each with its message.

    Raises
    ------
    ValueError
        For non-finite or too few values, an unknown family or criterion.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import rank_distributions
    >>> x = np.array([2, 3, 1, 4, 0, 2, 5, 1, 2, 3])
    >>> rows = rank_distributions(x, families=["Poisson", "Bernoulli"], as_frame=False)
    >>> [(r.family, r.status) for r in rows]
    [('Poisson', 'ok'), ('Bernoulli', 'not applicable')]
    >>> round(rows[0].aic, 4), float(rows[0].weight)
    (36.9432, 1.0)
    >>> rank_distributions(x, families=["Poisson"])[["family", "aic"]]
        family        aic
    0  Poisson  36.943...
    """
    criterion = str(criterion).lower()
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be 'aic', 'aicc' or 'bic', got {criterion!r}")
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if ci_method not in _CI_METHODS:
        raise ValueError(f"ci_method must be one of {', '.join(map(repr, _CI_METHODS))}, "
                         f"got {ci_method!r}")
    x = np.asarray(x, dtype=float)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(f"x must be one variable (1-D), got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x has NaN or infinite values: drop missing values first")
    if x.size < 2:
        raise ValueError(f"x needs at least 2 values to rank distributions, got {x.size}")
    chosen = resolve_families(families)
    named = chosen is not None
    if chosen is None:
        chosen = default_candidates(x)
    if shifted:
        chosen = with_shifted(chosen, named)
    rows = [_fit_family(f, x, alpha, ci_method) for f in chosen]
    if not named:
        rows = [r for r in rows if r.status != "unavailable"]
    if gof:
        for r in rows:
            if r.ranked or r.status == "boundary":
                r.gof = goodness_of_fit(r.estimator, x, kind=r.kind, n_boot=n_boot,
                                        random_state=random_state, n_jobs=n_jobs)
    rows = _rank(rows, criterion)
    if as_frame:
        from ._tables import ranking_frame

        return ranking_frame(rows)
    return rows


def _rank(rows, criterion):
    ranked = [r for r in rows if r.ranked]
    kinds = []
    for r in sorted(ranked, key=lambda r: getattr(r, criterion)):
        if r.kind not in kinds:
            kinds.append(r.kind)
    for kind in kinds:
        group = [r for r in ranked if r.kind == kind]
        crit = np.array([getattr(r, criterion) for r in group])
        delta = crit - crit.min()
        rel = np.exp(-0.5 * delta)
        weight = rel / rel.sum()
        for r, d, w in zip(group, delta, weight):
            r.delta, r.weight = float(d), float(w)
    ranked.sort(key=lambda r: (kinds.index(r.kind), getattr(r, criterion)))
    for kind in kinds:
        for i, r in enumerate((r for r in ranked if r.kind == kind), start=1):
            r.rank = i
    order = {"boundary": 0, "not converged": 1, "failed": 2, "not applicable": 3,
             "unavailable": 4}
    rest = sorted((r for r in rows if not r.ranked), key=lambda r: order[r.status])
    return ranked + rest
