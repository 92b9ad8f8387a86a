"""GridSearchIC: choose hyper-parameters by an information criterion, fitting once.

``GridSearchCV`` refits every candidate on each fold and compares held-out scores.
Likelihood models have a cheaper and classical alternative: fit each candidate once on
all the data and compare AIC, AICc or BIC (as R's ``mclust`` does over numbers of
components and covariance models). :class:`GridSearchIC` does that with scikit-learn's
own tools (``ParameterGrid``, ``clone``, joblib) and keeps a ``results_`` table that
``pandas.DataFrame`` reads.
"""

from __future__ import annotations

import inspect
import numbers
import sys
import time
import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import ParameterGrid
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ..exceptions import ComponentCollapseWarning
from ._criteria import CRITERIA, aicc_from_aic, first_line

__all__ = ["GridSearchIC"]



def _best_has(attr):
    """``available_if`` check: the (fitted best, else the template) estimator has it."""

    def check(self):
        est = getattr(self, "best_estimator_", self.estimator)
        return hasattr(est, attr)

    return check


def _final_step(est):
    """The last step of a Pipeline (the one carrying ``aic``/``bic``), else ``est``."""
    steps = getattr(est, "steps", None)
    return steps[-1][1] if steps else est


def _transform_for_final(est, X):
    """Data as the final step sees it: transformed by the Pipeline's earlier steps."""
    steps = getattr(est, "steps", None)
    if not steps or len(steps) == 1:
        return X
    return est[:-1].transform(X)


def _n_rows(X):
    shape = getattr(X, "shape", None)
    return int(shape[0]) if shape is not None else len(X)


def _criterion_kwargs(method, y, fit_params):
    """Arguments of ``aic``/``bic`` beyond X: ``y`` and fit arguments it names (e.g. an
    HMM's ``lengths``)."""
    try:
        names = set(inspect.signature(method).parameters)
    except (TypeError, ValueError):
        names = set()
    kw = {k: v for k, v in fit_params.items() if k in names}
    args = () if y is None else (y,)
    return args, kw


def _weighted_loglik(final, Xt, y, fit_params):
    """``(sum w log L_i, sum w)`` when the fit took ``sample_weight`` and ``aic``/``bic``
    do not: they would score every row once, so a weighted fit and its repeated rows
    would get different criteria. None when there are no weights or no per-row
    log-likelihood to weight (``score_samples``, or ``log_likelihood`` for models of y).
    """
    w = fit_params.get("sample_weight")
    names = set(inspect.signature(final.aic).parameters) if hasattr(final, "aic") else set()
    if w is None or "sample_weight" in names:
        return None
    w = np.asarray(w, dtype=float)
    if y is None and hasattr(final, "score_samples"):
        rows = np.asarray(final.score_samples(Xt), dtype=float)
        seen = w > 0  # a row of weight 0 is not data (its density may be 0)
        return float(w[seen] @ rows[seen]), float(np.sum(w))
    if y is not None and hasattr(final, "log_likelihood"):
        return float(final.log_likelihood(Xt, y, sample_weight=w)), float(np.sum(w))
    return None


def _collapsed(final):
    """Whether a fitted Gaussian mixture has a component whose covariance is at the
    ``reg_covar`` floor (read from public attributes; sklearn's GaussianMixture too)."""
    cov = getattr(final, "covariances_", None)
    reg = getattr(final, "reg_covar", None)
    ct = getattr(final, "covariance_type", None)
    if cov is None or reg is None or ct is None or getattr(final, "prior", None) is not None:
        return False
    cov = np.asarray(cov, dtype=float)
    try:
        if ct == "full":
            eig = np.linalg.eigvalsh(cov)
            smallest, largest = eig[:, 0], eig[:, -1]
        elif ct == "tied":
            eig = np.linalg.eigvalsh(cov)
            smallest, largest = eig[:1], eig[-1:]
        elif ct == "diag":
            smallest, largest = cov.min(axis=1), cov.max(axis=1)
        else:
            smallest = largest = np.atleast_1d(cov)
    except (np.linalg.LinAlgError, ValueError):
        return False
    # a covariance at the reg_covar floor (relative to the fit's own largest variance):
    # only reg_covar stops the likelihood from growing without bound there
    scale = max(float(np.max(largest)), np.finfo(float).tiny)
    return bool(np.any(smallest - reg <= 1e-10 * scale))


def _fit_candidate(base, params, X, y, fit_params, error_score):
    """Fit one candidate on all the data; return its row of the results table."""
    row = {"params": params, "loglik": np.nan, "n_params": np.nan, "nobs": _n_rows(X),
           "aic": np.nan, "aicc": np.nan, "bic": np.nan, "converged": False,
           "degenerate": False, "status": "ok", "warnings": "", "fit_time": np.nan,
           "estimator": None}
    est = clone(base).set_params(**params)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est.fit(X, **({} if y is None else {"y": y}), **fit_params)
            row["fit_time"] = time.perf_counter() - start
            final = _final_step(est)
            Xt = _transform_for_final(est, X)
            n = _n_rows(Xt)
            args, kw = _criterion_kwargs(final.aic, y, fit_params)
            aic = float(final.aic(Xt, *args, **kw))
            args, kw = _criterion_kwargs(final.bic, y, fit_params)
            bic = float(final.bic(Xt, *args, **kw))
        except Exception as exc:
            if error_score == "raise":
                raise
            row["fit_time"] = time.perf_counter() - start
            row["status"] = "failed"
            row["warnings"] = f"{type(exc).__name__}: {first_line(exc)}"
            return row
    k = getattr(final, "n_params_", None)
    if k is None:  # an estimator without n_params_ (sklearn's GaussianMixture): from AIC/BIC
        k = (bic - aic) / (np.log(n) - 2.0) if not np.isclose(np.log(n), 2.0) else np.nan
        k = float(np.round(k)) if np.isfinite(k) else np.nan
    k = float(k)
    weighted = _weighted_loglik(final, Xt, y, fit_params)
    if weighted is not None:  # frequency weights: the criteria of the repeated rows
        ll_w, n = weighted
        n = int(n) if float(n).is_integer() else n
        aic, bic = -2.0 * ll_w + 2.0 * k, -2.0 * ll_w + k * np.log(n)
    loglik = -0.5 * (aic - 2.0 * k)
    aicc = aicc_from_aic(aic, k, n)
    messages = [f"{w.category.__name__}: {first_line(w.message)}" for w in caught]
    degenerate = any(issubclass(w.category, ComponentCollapseWarning) for w in caught)
    degenerate = degenerate or _collapsed(final)
    converged = bool(getattr(final, "converged_", True))
    row.update(loglik=loglik, n_params=k, nobs=n, aic=aic, aicc=aicc, bic=bic,
               converged=converged, degenerate=degenerate, warnings="; ".join(
                   dict.fromkeys(messages)), estimator=est)
    if not np.isfinite([aic, bic]).all():
        row["status"] = "failed"
        row["warnings"] = "; ".join(filter(None, ["the log-likelihood is not finite",
                                                  row["warnings"]]))
    elif degenerate:
        row["status"] = "degenerate"
    elif not converged:
        row["status"] = "not converged"
    elif messages:
        row["status"] = "warning"
    return row


class GridSearchIC(MetaEstimatorMixin, BaseEstimator):
    """Choose hyper-parameters by AIC, AICc or BIC, fitting each candidate once.

    Every combination of ``param_grid`` (as in :class:`~sklearn.model_selection.
    GridSearchCV`) is fitted ONCE on all the data and ranked by an information
    criterion; the best fit is kept. This is R ``mclust``'s ``Mclust(G=1:9)`` for any
    likelihood estimator of the package (mixtures over ``n_components`` x
    ``covariance_type``, GLM settings, distribution families by a grid over
    estimators, hidden Markov models over states) and for a
    :class:`~sklearn.pipeline.Pipeline` whose last step has ``aic``/``bic`` (the
    criterion is computed on the data as the last step sees it, transformed by the
    earlier steps).

    Sign convention: ``AIC = -2 log L + 2 k``, ``AICc = AIC + 2 k (k + 1) / (n - k - 1)``
    and ``BIC = -2 log L + k log n``; lower is better. R's mclust reports
    ``2 log L - k log n``, the negative of this BIC (higher is better there).

    Parameters
    ----------
    estimator : estimator
        A likelihood estimator with ``aic(X[, y])`` and ``bic(X[, y])`` (every
        estimator of the package, scikit-learn's ``GaussianMixture``), or a Pipeline
        ending in one.
    param_grid : dict or list of dicts
        Parameter names (``step__param`` inside a Pipeline) to lists of values, as in
        ``GridSearchCV``. A grid over ``estimator`` itself compares families.
    criterion : {"bic", "aic", "aicc"}, default="bic"
        The ranking criterion.
    n_jobs : int or None, default=None
        Candidates fitted in parallel by joblib (None: one at a time).
    error_score : "raise" or float, default="raise"
        ``"raise"``: a candidate whose fit fails raises. A number (e.g. ``np.nan``):
        the failure is recorded in ``results_`` (status ``"failed"``, the error in
        ``warnings``) and the candidate is not ranked.
    exclude_degenerate : bool, default=True
        Leave out of the ranking candidates whose likelihood is degenerate: a mixture
        component collapsed onto a few (repeated) points, where the likelihood has no
        finite maximum and only ``reg_covar`` bounds it (mclust reports NA there). On
        rounded data such fits otherwise win BIC with a spurious likelihood. They stay
        in ``results_`` with status ``"degenerate"``.
    verbose : int, default=0
        Above 0, one progress line per candidate on stderr.

    Attributes
    ----------
    results_ : dict of str to ndarray
        One entry per candidate (``pandas.DataFrame(results_)`` reads it):
        ``params``, ``param_<name>`` per grid key, ``loglik``, ``n_params``, ``nobs``
        (rows, or the total ``sample_weight``: the criteria are then those of the
        weighted log-likelihood, as of the repeated rows),
        ``aic``, ``aicc`` (``inf`` where ``n <= k + 1``: undefined), ``bic``, ``delta``
        (criterion minus the best), ``weight`` (Akaike weight for AIC/AICc, Schwarz
        weight for BIC; NaN for unranked candidates, each of which is warned about:
        ``ComponentCollapseWarning`` when degenerate, ``FitFailedWarning`` otherwise),
        ``rank`` (1 best, 0 unranked), ``converged``, ``degenerate``, ``status``
        (``"ok"``, ``"warning"``, ``"not converged"``, ``"degenerate"``, ``"failed"``),
        ``warnings`` and ``fit_time`` (seconds).
    best_estimator_ : estimator
        The fitted best candidate.
    best_params_ : dict
        Its parameters.
    best_index_ : int
        Its index in ``results_``.
    best_score_ : float
        Its criterion value.
    criterion_ : str
        The criterion used.
    n_candidates_ : int
        The number of candidates.
    n_features_in_ : int
        Number of features seen by the best estimator.

    See Also
    --------
    sklearn.model_selection.GridSearchCV : selection by cross-validated score.
    sklearn_mle.likelihood_ratio_test : a test between two nested candidates.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import GaussianMixture
    >>> from sklearn_mle.model_selection import GridSearchIC
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(-4, 1, (150, 2)), rng.normal(4, 1, (150, 2))])
    >>> search = GridSearchIC(GaussianMixture(random_state=0),
    ...                       {"n_components": [1, 2, 3]}).fit(X)
    >>> search.best_params_
    {'n_components': 2}
    >>> [int(r) for r in search.results_["rank"]]
    [3, 1, 2]
    >>> search.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "param_grid": [dict, list],
        "criterion": [StrOptions(set(CRITERIA))],
        "n_jobs": [numbers.Integral, None],
        "error_score": [StrOptions({"raise"}), numbers.Real],
        "exclude_degenerate": ["boolean"],
        "verbose": ["verbose"],
    }

    @classmethod
    def _check_instances(cls):
        # the contract tests need a meta-estimator with a real inner estimator
        from ..mixture import GaussianMixture

        return [cls(GaussianMixture(random_state=0), {"n_components": [1, 2]})]

    def __init__(self, estimator, param_grid, *, criterion="bic", n_jobs=None,
                 error_score="raise", exclude_degenerate=True, verbose=0):
        self.estimator = estimator
        self.param_grid = param_grid
        self.criterion = criterion
        self.n_jobs = n_jobs
        self.error_score = error_score
        self.exclude_degenerate = exclude_degenerate
        self.verbose = verbose

    def fit(self, X, y=None, **fit_params) -> GridSearchIC:
        """Fit every candidate once on ``(X, y)`` and rank them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or None
            Targets for conditional models; None for density estimators.
        **fit_params : dict
            Passed to every candidate's ``fit`` (e.g. ``sample_weight``, an HMM's
            ``lengths``); arguments that ``aic``/``bic`` also take are passed there.

        Returns
        -------
        self : GridSearchIC
        """
        self._validate_params()
        candidates = list(ParameterGrid(self.param_grid))
        if not candidates:
            raise ValueError("param_grid has no candidate: give at least one value per key")
        n = len(candidates)
        verbose = self.verbose

        def run(i, params):
            row = _fit_candidate(self.estimator, params, X, y, fit_params, self.error_score)
            if verbose:
                crit = row[self.criterion]
                print(f"[GridSearchIC] {i + 1}/{n} {params}: {self.criterion}={crit:.6g} "
                      f"({row['status']}, {row['fit_time']:.2f} s)", file=sys.stderr)
            return row

        rows = Parallel(n_jobs=self.n_jobs)(
            delayed(run)(i, p) for i, p in enumerate(candidates))
        self._store(candidates, rows)
        return self

    def _store(self, candidates, rows):
        crit = np.array([r[self.criterion] for r in rows], dtype=float)
        ranked = np.isfinite(crit) & np.array([r["status"] != "failed" for r in rows])
        if self.exclude_degenerate:
            ranked &= ~np.array([r["degenerate"] for r in rows])
        self._warn_unranked(candidates, rows, crit, ranked)
        if not ranked.any():
            reasons = "; ".join(sorted({r["warnings"] or r["status"] for r in rows}))
            raise ValueError(
                f"no candidate of the {len(rows)} could be ranked by {self.criterion}: "
                f"{reasons}")
        delta = np.full(len(rows), np.nan)
        weight = np.full(len(rows), np.nan)
        delta[ranked] = crit[ranked] - crit[ranked].min()
        rel = np.exp(-0.5 * delta[ranked])
        weight[ranked] = rel / rel.sum()
        rank = np.zeros(len(rows), dtype=int)
        order = np.flatnonzero(ranked)[np.argsort(crit[ranked], kind="stable")]
        rank[order] = np.arange(1, order.size + 1)
        results = {"params": np.array(candidates + [None], dtype=object)[:-1]}
        keys = list(dict.fromkeys(k for p in candidates for k in p))
        for key in keys:
            col = np.ma.masked_all(len(rows), dtype=object)
            for i, p in enumerate(candidates):
                if key in p:
                    col[i] = p[key]
            results[f"param_{key}"] = col
        nobs = [r["nobs"] for r in rows]  # the total weight: integer unless weights are not
        results["nobs"] = np.array(nobs, dtype=int if all(
            float(v).is_integer() for v in nobs) else float)
        for name, dtype in (("loglik", float), ("n_params", float),
                            ("aic", float), ("aicc", float), ("bic", float)):
            results[name] = np.array([r[name] for r in rows], dtype=dtype)
        results["delta"] = delta
        results["weight"] = weight
        results["rank"] = rank
        results["converged"] = np.array([r["converged"] for r in rows], dtype=bool)
        results["degenerate"] = np.array([r["degenerate"] for r in rows], dtype=bool)
        results["status"] = np.array([r["status"] for r in rows], dtype=object)
        results["warnings"] = np.array([r["warnings"] for r in rows], dtype=object)
        results["fit_time"] = np.array([r["fit_time"] for r in rows], dtype=float)
        self.results_ = results
        self.criterion_ = self.criterion
        self.n_candidates_ = len(rows)
        self.best_index_ = int(order[0])
        self.best_params_ = candidates[self.best_index_]
        self.best_estimator_ = rows[self.best_index_]["estimator"]
        self.best_score_ = float(crit[self.best_index_])
        n_features = getattr(self.best_estimator_, "n_features_in_", None)
        if n_features is not None:
            self.n_features_in_ = n_features
        names = getattr(self.best_estimator_, "feature_names_in_", None)
        if names is not None:
            self.feature_names_in_ = names

    def _warn_unranked(self, candidates, rows, crit, ranked):
        """One warning per candidate left out of the ranking (its ``results_`` row keeps
        NaN for ``delta``/``weight`` and its status): a degenerate likelihood
        (``ComponentCollapseWarning``), a failed fit or a criterion that is not finite
        (scikit-learn's ``FitFailedWarning``, as ``GridSearchCV`` with ``error_score``)."""
        for i in np.flatnonzero(~ranked):
            row = rows[i]
            if row["status"] == "degenerate":
                why, category = ("its likelihood is degenerate (no finite maximum, only "
                                 "the regularisation bounds it)"), ComponentCollapseWarning
            elif row["status"] == "failed":
                why, category = "its fit failed", FitFailedWarning
            elif self.criterion == "aicc" and np.isposinf(crit[i]):
                why, category = (f"AICc is undefined for {row['nobs']} rows and "
                                 f"{row['n_params']:.0f} parameters (n <= k + 1)",
                                 FitFailedWarning)
            else:
                why, category = f"its {self.criterion} is not finite", FitFailedWarning
            detail = f" ({row['warnings']})" if row["warnings"] else ""
            warnings.warn(
                f"GridSearchIC: candidate {candidates[i]} is not ranked: {why}{detail}; "
                f"it stays in results_ with status {row['status']!r} and NaN delta and "
                "weight. Change the grid or the data (e.g. fewer components for few rows)",
                category, stacklevel=4)

    # ------------------------------------------------------------- delegation
    @available_if(_best_has("predict"))
    def predict(self, X, *args, **kwargs):
        """``predict`` of the best estimator."""
        check_is_fitted(self)
        return self.best_estimator_.predict(X, *args, **kwargs)

    @available_if(_best_has("predict_proba"))
    def predict_proba(self, X):
        """``predict_proba`` of the best estimator."""
        check_is_fitted(self)
        return self.best_estimator_.predict_proba(X)

    @available_if(_best_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """``predict_log_proba`` of the best estimator."""
        check_is_fitted(self)
        return self.best_estimator_.predict_log_proba(X)

    @available_if(_best_has("decision_function"))
    def decision_function(self, X):
        """``decision_function`` of the best estimator."""
        check_is_fitted(self)
        return self.best_estimator_.decision_function(X)

    @available_if(_best_has("transform"))
    def transform(self, X):
        """``transform`` of the best estimator."""
        check_is_fitted(self)
        return self.best_estimator_.transform(X)

    @available_if(_best_has("score"))
    def score(self, X, y=None, **kwargs):
        """``score`` of the best estimator (mean log-likelihood for densities)."""
        check_is_fitted(self)
        if y is None:
            return self.best_estimator_.score(X, **kwargs)
        return self.best_estimator_.score(X, y, **kwargs)

    @available_if(_best_has("score_samples"))
    def score_samples(self, X, *args, **kwargs):
        """``score_samples`` of the best estimator."""
        check_is_fitted(self)
        return self.best_estimator_.score_samples(X, *args, **kwargs)

    @available_if(_best_has("sample"))
    def sample(self, *args, **kwargs):
        """``sample`` of the best estimator."""
        check_is_fitted(self)
        return self.best_estimator_.sample(*args, **kwargs)

    @property
    def classes_(self):
        """Classes of the best estimator (classifiers)."""
        check_is_fitted(self)
        return self.best_estimator_.classes_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        sub = self.estimator.__sklearn_tags__()
        tags.estimator_type = sub.estimator_type
        tags.input_tags = sub.input_tags
        tags.target_tags.required = sub.target_tags.required
        tags.classifier_tags = sub.classifier_tags
        tags.regressor_tags = sub.regressor_tags
        return tags
