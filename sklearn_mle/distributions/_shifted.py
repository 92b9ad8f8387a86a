"""ShiftedMLE: a fitted location (threshold) for a family of positive data.

A shifted Gamma, Weibull or LogNormal models ``x = loc + y`` with ``y`` from the
two-parameter family, so its support is ``x > loc``. The threshold MLE is found as
fitdistrplus and scipy users expect it: the profile log-likelihood over
``loc < min(x)``, the two-parameter MLE of ``x - loc`` inside each evaluation.

Why a wrapper (``ShiftedMLE(GammaMLE())``) and not ``GammaMLE(loc="fit")``: the
threshold changes what a fit is (no sufficient statistics, a one-dimensional search
around the base fit, a likelihood that is unbounded at ``loc -> min(x)``) in the same
way for every positive family, so it is written once, over any base estimator, through
its public surface (``fit``, ``loglik_``, ``family_.logpdf``, ``sample``,
``to_scipy``), and the two-parameter estimators stay the textbook ones.

The likelihood of all three families grows without bound as ``loc -> min(x)`` along
paths where the shape goes to 0 (Hill 1963, Smith 1985); what scipy's ``fit`` and
fitdistrplus report, and what is reported here, is the interior local maximum of the
profile. When there is none (the profile increases all the way to ``min(x)``: a
J-shaped density, shape < 1) or the profile increases as ``loc -> -inf`` (the data
are not skewed enough: the limit is a Gaussian), the estimator warns in words with a
:class:`~sklearn_mle.exceptions.BoundaryWarning` and reports the boundary.
"""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np
from scipy import optimize
from sklearn.base import BaseEstimator, DensityMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._engine.weights import check_sample_weight
from ..base import LikelihoodMixin
from ..exceptions import BoundaryWarning, InferenceWarning
from ..inference import cov_from_information
from ._scipy import ScipyMixin

__all__ = ["ShiftedMLE"]

#: Families whose support is (0, inf) and that have a threshold variant.
_SHIFTABLE = ("gamma", "weibull", "lognormal")
#: The threshold MLE is regular (asymptotically normal, Hessian standard errors
#: valid) only for shape > 2 in these families (Smith 1985); LogNormal's always is.
_SHAPE_REGULAR = {"gamma": "shape", "weibull": "shape"}
_N_GRID = 40  # profile evaluations on the log(min(x) - loc) grid before refining
_INNER, _OUTER = 1e-8, 1e2  # the grid's ends: min(x) - loc in units of the spread
_SKETCH = 20_000  # above twice this many rows the grid is first scanned on a sketch


def _fit_quiet(base, X, w):
    """``clone(base).fit(X, sample_weight=w)`` and its log-likelihood; -inf when the
    fit fails or does not converge (a point the profile search must avoid)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est = clone(base).fit(X, sample_weight=w)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            return None, -np.inf
    if getattr(est, "converged_", True) is False or any(
            issubclass(c.category, ConvergenceWarning) for c in caught):
        return est, -np.inf
    ll = float(est.loglik_)
    return est, ll if np.isfinite(ll) else -np.inf


def _family_profile(base, x, w, shift):
    """``loc -> loglik`` of the base family's MLE of ``x - loc``, through the family's
    public protocol (``stats``, ``mode``, ``loglik``): no estimator validation per
    evaluation. A probe fit of ``x - shift`` (all positive) gives the configured
    family and the base's fixed parameters."""
    need = ("ShiftedMLE needs GammaMLE, WeibullMLE or LogNormalMLE (a family of positive "
            f"data with a threshold variant), got {type(base).__name__}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            probe = clone(base).fit((x - shift)[:, None], sample_weight=w)
    except ValueError as exc:
        raise ValueError(f"{need} (it cannot fit x - loc: {exc})") from None
    family = getattr(probe, "family_", None)
    if family is None or family.name not in _SHIFTABLE:
        raise ValueError(need)
    fixed = getattr(probe, "fixed_params_", None) or None
    w = np.asarray(w, dtype=float)

    def loglik(loc):
        X = (x - loc)[:, None]
        try:
            with np.errstate(all="ignore"):
                s = family.stats(X, w)
                params = family.mode(s, fixed)
                ll = float(np.sum(family.loglik(s, params)))
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            return -np.inf
        if not getattr(params, "converged", True) or not np.isfinite(ll):
            return -np.inf
        return ll

    return loglik


def _peaks(ll):
    """Interior local maxima of a profile on the grid. Toward -inf the profile
    flattens to its limit, so a bump within rounding of its outer neighbour is that
    plateau, not a maximum."""
    finite = ll[np.isfinite(ll)]
    if finite.size == 0:
        return []
    tol = 1e-9 * max(1.0, float(np.max(np.abs(finite))))
    return [i for i in range(1, ll.size - 1)
            if np.isfinite(ll[i]) and ll[i] >= ll[i - 1] and ll[i] > ll[i + 1] + tol]


def _sketch_first(base, x, m, spread, grid, prof):
    """Many equally weighted rows: scan the grid on a sketch of the data (its
    ``_SKETCH // 4`` smallest values, then evenly spaced order statistics weighted by
    the rows they stand for), then locate the maximum on the FULL data inside the
    sketch's bracket (two grid steps either side). Kept only when it is a local maximum of
    the full profile there (strictly inside, above both ends); None sends the caller to
    the full-data grid."""
    # the threshold is pinned by the smallest values: they are kept exactly, the rest
    # of the sorted data is thinned to evenly spaced order statistics, each weighted
    # by the rows it stands for
    xs = np.sort(x)
    keep = _SKETCH // 4
    ranks = np.linspace(keep, x.size - 1, _SKETCH - keep).round().astype(np.intp)
    sketch = np.concatenate([xs[:keep], xs[ranks]])
    weights = np.concatenate([np.ones(keep), np.full(ranks.size, (x.size - keep) / ranks.size)])
    at = _family_profile(base, sketch, weights, m - spread)
    ll = np.array([at(m - np.exp(u)) for u in grid])
    peaks = _peaks(ll)
    if not peaks:
        return None
    i = max(peaks, key=lambda j: ll[j])
    a, b = grid[max(i - 2, 0)], grid[min(i + 2, grid.size - 1)]
    res = optimize.minimize_scalar(lambda u: -prof(u), bounds=(a, b), method="bounded",
                                   options={"xatol": 1e-10})
    margin = 1e-3 * (b - a)
    if not (np.isfinite(res.fun) and a + margin < res.x < b - margin):
        return None
    if -res.fun <= max(prof(a), prof(b)):
        return None
    return m - np.exp(res.x), float(-res.fun), "interior"


def profile_threshold(base, x, w):
    """The threshold MLE of one column: ``(loc, loglik, status)``.

    ``status`` is ``"interior"`` (a local maximum of the profile strictly inside
    ``(-inf, min(x))``), ``"at min"`` (the profile increases up to ``min(x)``: no
    maximum; ``loc`` is the innermost point searched) or ``"at -inf"``.
    """
    m = float(np.min(x))
    spread = float(np.sqrt(np.average((x - np.average(x, weights=w)) ** 2, weights=w)))
    if not spread > 0:
        raise ValueError("all values are equal: a shifted family has no MLE (its scale "
                         "and the distance to the threshold both shrink to 0)")
    eps = np.finfo(float).eps
    lo = max(_INNER * spread, 1e3 * eps * max(abs(m), float(np.max(np.abs(x)))))
    hi = _OUTER * spread
    grid = np.linspace(np.log(lo), np.log(hi), _N_GRID)
    at = _family_profile(base, x, w, m - spread)

    def prof(u):
        return at(m - np.exp(u))

    if x.size > 2 * _SKETCH and np.all(w == w.flat[0]):
        found = _sketch_first(base, x, m, spread, grid, prof)
        if found is not None:
            return found
    ll = np.array([prof(u) for u in grid])
    if not np.any(np.isfinite(ll)):
        raise ValueError(f"{type(base).__name__} could not be fitted to x - loc for any "
                         "loc below min(x)")
    peaks = _peaks(ll)
    if peaks:
        i = max(peaks, key=lambda j: ll[j])
        res = optimize.minimize_scalar(lambda u: -prof(u), bounds=(grid[i - 1], grid[i + 1]),
                                       method="bounded", options={"xatol": 1e-10})
        u_best, ll_best = (res.x, -res.fun) if -res.fun >= ll[i] else (grid[i], ll[i])
        return m - np.exp(u_best), float(ll_best), "interior"
    best = int(np.nanargmax(np.where(np.isfinite(ll), ll, -np.inf)))
    if best <= _N_GRID // 2:
        return m - lo, float(ll[0]), "at min"
    return m - hi, float(ll[-1]), "at -inf"


def _shifted_frozen(dist, loc):
    """A frozen scipy distribution moved by ``loc`` (families give shape(s) and scale)."""
    args, kwds = tuple(dist.args), dict(dist.kwds)
    n_shapes = dist.dist.numargs
    if len(args) > n_shapes:  # loc given positionally
        kwds["loc"] = args[n_shapes]
        args = args[:n_shapes] + args[n_shapes + 1:]
    kwds["loc"] = float(kwds.get("loc", 0.0)) + float(loc)
    return dist.dist(*args, **kwds)


class ShiftedMLE(ScipyMixin, LikelihoodMixin, DensityMixin, BaseEstimator):
    """A positive family with a fitted location (threshold): 3-parameter Gamma,
    Weibull or LogNormal.

    The model is ``x = loc + y`` with ``y`` from ``estimator``'s family, so the
    support is ``x > loc`` and the log-likelihood is the base family's on
    ``x - loc``. With ``loc="fit"`` the threshold is estimated per column by
    maximising the profile log-likelihood over ``loc < min(x)`` (a grid over
    ``log(min(x) - loc)`` from ``1e-8`` to ``100`` standard deviations, then a bounded
    Brent search around the best interior local maximum), the base family's MLE of
    ``x - loc`` inside; the result is what ``scipy.stats.gamma.fit(x)``,
    ``weibull_min.fit`` and ``lognorm.fit`` (free ``loc``) find.

    Parameters
    ----------
    estimator : GammaMLE, WeibullMLE or LogNormalMLE instance, default=None
        The two-parameter family; None means ``GammaMLE()``. Its settings
        (``fixed_params``, ``max_iter``, ``tol``) are kept; it must have no prior.
    loc : "fit" or float, default="fit"
        ``"fit"``: estimate the threshold (one more free parameter per column). A
        number: a known threshold below every value (the base fit of ``x - loc``).

    Attributes
    ----------
    loc_ : ndarray of shape (n_features,)
        The threshold of each column.
    estimator_ : fitted estimator
        The base estimator fitted to ``X - loc_``.
    data_min_ : ndarray of shape (n_features,)
        ``min(x)`` of each column (rows of positive weight): ``loc_`` lies below it.
    boundary_ : ndarray of bool of shape (n_features,)
        Columns whose profile has no interior maximum: ``loc_`` is then the edge of
        the search (just below ``min(x)``: a J-shaped density, or far below it: the
        Gaussian limit), with a :class:`~sklearn_mle.exceptions.BoundaryWarning`.
    regular_ : bool
        Whether the Hessian standard errors are asymptotically valid: the shape of a
        shifted Gamma or Weibull above 2 (Smith 1985), always for the LogNormal; no
        boundary column. An :class:`~sklearn_mle.exceptions.InferenceWarning` says so
        when not.
    loglik_, n_params_, nobs_, param_names_, estimates_, cov_params_, bse_, pvalues_
        The inference surface: ``n_params_`` is the base's plus one per fitted
        threshold; ``param_names_`` is ``loc`` (``loc[x0]``, ... for several
        columns, ``loc[name]`` for named ones, as the base's) then the base's names;
        the covariance is the inverse of the negative numerical Hessian of the full
        log-likelihood (threshold included).
    converged_ : bool
        Whether the final base fit converged.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string column names.

    See Also
    --------
    sklearn_mle.model_selection.rank_distributions : ``shifted=True`` ranks these
        variants next to the two-parameter families.

    Notes
    -----
    The Wald interval of ``loc`` is computed for ``log(min(x) - loc)`` and mapped
    back, so it stays below ``min(x)``; ``conf_int(method="profile")`` profiles the
    threshold and (one column) the base parameters with the threshold re-estimated.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_mle import GammaMLE
    >>> from sklearn_mle.distributions._shifted import ShiftedMLE
    >>> x = 10.0 + np.random.default_rng(0).gamma(4.0, 2.0, size=(400, 1))
    >>> est = ShiftedMLE(GammaMLE()).fit(x)
    >>> est.param_names_, est.n_params_
    (['loc', 'shape', 'rate'], 3)
    >>> a, loc, scale = stats.gamma.fit(x[:, 0])
    >>> bool(np.isclose(est.loc_[0], loc, rtol=1e-4))
    True
    >>> bool(est.loglik_ >= stats.gamma.logpdf(x[:, 0], a, loc, scale).sum() - 1e-6)
    True
    """

    _parameter_constraints: dict = {
        "estimator": [None, HasMethods(["fit", "score_samples", "sample"])],
        "loc": [StrOptions({"fit"}), Real],
    }

    def __init__(self, estimator=None, *, loc="fit"):
        self.estimator = estimator
        self.loc = loc

    # ------------------------------------------------------------------ fit
    def _base(self):
        if self.estimator is None:
            from ._gamma import GammaMLE

            return GammaMLE()
        return self.estimator

    def _to_base(self, X):
        """Shifted data in the base estimator's input form (a DataFrame when this fit
        has feature names, so the base's parameter names carry them)."""
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return X
        import pandas as pd

        return pd.DataFrame(X, columns=names)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the threshold(s) and the base family's parameters.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Each column one variable (any real values: the support follows ``loc``).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; integer weights equal repeated rows. Rows of weight
            0 do not bound the threshold.

        Returns
        -------
        self : object
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=3)
        X = np.asarray(X, dtype=np.float64)
        w = np.asarray(check_sample_weight(sample_weight, X, ones=True), dtype=float)
        keep = w > 0
        Xk, wk = X[keep], w[keep]
        base = self._base()
        if getattr(base, "prior", None) is not None:
            raise ValueError("ShiftedMLE fits the likelihood: give an estimator without "
                             f"a prior (got prior={base.prior!r})")
        d = X.shape[1]
        self.data_min_ = Xk.min(axis=0)
        self.boundary_ = np.zeros(d, dtype=bool)
        notes = []
        if self.loc == "fit":
            locs = np.empty(d)
            for j in range(d):
                locs[j], _, status = profile_threshold(base, Xk[:, j], wk)
                if status != "interior":
                    self.boundary_[j] = True
                    notes.append(self._boundary_text(base, j, status, locs[j]))
        else:
            locs = np.full(d, float(self.loc))
            below = np.flatnonzero(locs >= self.data_min_)
            if below.size:
                j = int(below[0])
                raise ValueError(
                    f"ShiftedMLE: loc={self.loc!r} must lie below every value, but "
                    f"{self._column(j)} has min {self.data_min_[j]:.6g}")
        self.loc_ = locs
        self.estimator_ = clone(base).fit(self._to_base(Xk - locs), sample_weight=wk)
        family = getattr(self.estimator_, "family_", None)
        if family is None or family.name not in _SHIFTABLE:
            raise ValueError(
                "ShiftedMLE needs GammaMLE, WeibullMLE or LogNormalMLE (a family of "
                f"positive data with a threshold variant), got {type(base).__name__}")
        for text in notes:
            warnings.warn(text, BoundaryWarning, stacklevel=2)
        self.loglik_ = float(self.estimator_.loglik_)
        self.nobs_ = float(self.estimator_.nobs_)
        self.converged_ = bool(getattr(self.estimator_, "converged_", True))
        self._train = (Xk, wk)  # profile intervals refit on it
        self._set_shifted_inference(Xk, wk)
        return self

    def _column(self, j):
        names = getattr(self, "feature_names_in_", None)
        return f"column {names[j]!r}" if names is not None else f"column {j}"

    def _boundary_text(self, base, j, status, loc):
        name = type(base).__name__
        where = "" if self.n_features_in_ == 1 else f" ({self._column(j)})"
        if status == "at min":
            return (
                f"ShiftedMLE({name}){where}: the likelihood grows without bound as loc "
                f"approaches min(x) = {self.data_min_[j]:.6g} and has no maximum below it "
                "(a J-shaped density, shape < 1): no threshold estimate exists. loc is "
                f"reported at the boundary, {loc:.10g}, with no standard error; use the "
                f"two-parameter {name} or give loc a known value.")
        return (
            f"ShiftedMLE({name}){where}: the profile likelihood keeps increasing as loc "
            "goes to -infinity (the data are not skewed enough for a threshold; the "
            f"limit is a Gaussian). loc is reported at the search's edge, {loc:.6g}, with "
            "no standard error; use GaussianMLE or the two-parameter family.")

    # ------------------------------------------------------------ inference
    def _layout(self):
        """``(name, column)`` of each of the base's free parameters, in its order;
        checked against the base's own estimates."""
        est = self.estimator_
        fixed = getattr(est, "fixed_params_", {}) or {}
        index = []
        for name in est.params_:
            for j in range(self.n_features_in_):
                f = fixed.get(name)
                if f is not None and not np.isnan(f[j]):
                    continue
                index.append((name, j))
        flat = np.array([est.params_[n][j] for n, j in index], dtype=float)
        if flat.shape != np.shape(est.estimates_) or not np.allclose(flat, est.estimates_,
                                                                     rtol=0, atol=0):
            raise ValueError(f"ShiftedMLE: {type(est).__name__}'s parameter layout is not "
                             "parameter-major then column; it cannot be used as the base")
        return index

    def _loglik_at(self, X, w, loc, flat, index):
        est = self.estimator_
        params = {n: np.array(v, dtype=float) for n, v in est.params_.items()}
        for (name, j), value in zip(index, flat):
            params[name][j] = value
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lp = est.family_.logpdf(X - loc, params)
        lp = np.where(np.isnan(lp), -np.inf, lp)
        return float(np.sum(w[:, None] * lp))

    def _set_shifted_inference(self, X, w):
        d = self.n_features_in_
        base = self.estimator_
        fit_loc = self.loc == "fit"
        loc_names = []
        if fit_loc:  # the base estimators' convention: name[feature], plain for one
            features = getattr(self, "feature_names_in_", None)  # unnamed column
            if features is not None:
                loc_names = [f"loc[{n}]" for n in features]
            else:
                loc_names = ["loc"] if d == 1 else [f"loc[x{j}]" for j in range(d)]
        index = self._layout()
        self._index = [("loc", j) for j in range(d)] * fit_loc + index
        names = loc_names + list(base.param_names_)
        est = np.concatenate([self.loc_ if fit_loc else [], base.estimates_])
        self.n_params_ = len(names)
        self.regular_ = not bool(np.any(self.boundary_))
        family = base.family_.name
        shape_name = _SHAPE_REGULAR.get(family)
        if fit_loc and shape_name is not None and shape_name in base.params_:
            shapes = np.asarray(base.params_[shape_name], dtype=float)
            if np.any(shapes <= 2.0) and not np.all(self.boundary_):
                self.regular_ = False
                warnings.warn(
                    f"ShiftedMLE({type(base).__name__}): with {shape_name} <= 2 (here "
                    f"{', '.join(f'{s:.4g}' for s in shapes)}) the threshold estimate is "
                    "not regular (Smith 1985): its standard errors from the Hessian are "
                    "not asymptotically valid. Use conf_int(method='profile') or "
                    "method='bootstrap' for intervals.", InferenceWarning, stacklevel=3)
        if not fit_loc:  # a known threshold: the base's own inference
            self._set_inference(names, est, cov=base.cov_params_)
            return
        H = self._hessian(X, w, est, index)
        # a boundary threshold has no curvature to speak of: the other parameters get
        # their covariance given it, the threshold an infinite variance
        free = np.array([not (n == "loc" and self.boundary_[j]) for n, j in self._index])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sub = cov_from_information(-H[np.ix_(free, free)],
                                       [n for n, f in zip(names, free) if f])
        cov = np.zeros_like(H)
        cov[np.ix_(free, free)] = sub
        cov[~free, ~free] = np.inf
        self._set_inference(names, est, cov=cov)
        for c in caught:
            warnings.warn(c.message, c.category, stacklevel=3)

    def _steps(self, est):
        h = np.empty(est.size)
        for i, ((name, j), value) in enumerate(zip(self._index, est)):
            if name == "loc":
                h[i] = 1e-4 * (self.data_min_[j] - value)
            else:
                h[i] = 1e-4 * max(abs(value), 1e-8)
        return h

    def _hessian(self, X, w, est, index):
        """Central-difference Hessian of the log-likelihood in (loc, base params);
        columns are independent, so only pairs within a column are differenced."""
        d = self.n_features_in_

        def f(theta):
            return self._loglik_at(X, w, theta[:d], theta[d:], index)

        h = self._steps(est)
        k = est.size
        H = np.zeros((k, k))
        f0 = f(est)
        cols = [j for _, j in self._index]
        for a in range(k):
            ea = np.zeros(k)
            ea[a] = h[a]
            H[a, a] = (f(est + ea) - 2.0 * f0 + f(est - ea)) / h[a] ** 2
            for b in range(a):
                if cols[a] != cols[b]:
                    continue
                eb = np.zeros(k)
                eb[b] = h[b]
                H[a, b] = H[b, a] = (f(est + ea + eb) - f(est + ea - eb) - f(est - ea + eb)
                                     + f(est - ea - eb)) / (4.0 * h[a] * h[b])
        return H

    # ------------------------------------------------------------ intervals
    def _param_bounds(self):
        family = self.estimator_.family_
        lo, hi = [], []
        for name, j in self._index:
            if name == "loc":
                lo.append(-np.inf)
                hi.append(self.data_min_[j])
            else:
                b = family.bounds.get(name, (-np.inf, np.inf))
                lo.append(b[0])
                hi.append(b[1])
        return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)

    def conf_int(self, alpha: float = 0.05, method: str = "wald", **kwargs) -> np.ndarray:
        """Confidence intervals, in ``param_names_`` order.

        As :meth:`~sklearn_mle.base.LikelihoodMixin.conf_int`; the Wald interval of a
        threshold is computed for ``log(min(x) - loc)`` and mapped back, so it never
        reaches ``min(x)`` (NaN where the threshold has no standard error: a boundary).
        ``method="profile"`` needs one column.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle.distributions._shifted import ShiftedMLE
        >>> x = 5.0 + np.random.default_rng(1).gamma(6.0, 1.0, size=(300, 1))
        >>> est = ShiftedMLE().fit(x)
        >>> ci = est.conf_int()
        >>> bool(ci[0, 1] < x.min())
        True
        """
        ci = super().conf_int(alpha=alpha, method=method, **kwargs)
        if method != "wald":
            return ci
        z = self._critical_value(alpha)
        for i, (name, j) in enumerate(self._index):
            if name != "loc":
                continue
            gap = self.data_min_[j] - self.estimates_[i]
            se = self.bse_[i]
            if not (np.isfinite(se) and gap > 0):
                ci[i] = np.nan
                continue
            half = z * se / gap
            ci[i] = self.data_min_[j] - gap * np.exp(half), self.data_min_[j] - gap * np.exp(
                -half)
        return ci

    def _profile_loglik(self, index, value):
        if self.n_features_in_ != 1:
            raise ValueError("ShiftedMLE: profile likelihoods need a one-column fit")
        X, w = self._train
        name, _ = self._index[index]
        base = self.estimator_
        if name == "loc":
            if value >= self.data_min_[0]:
                return -np.inf
            return _fit_quiet(clone(base), self._to_base(X - value), w)[1]
        fixed = dict(getattr(base, "fixed_params", None) or {})
        fixed[name] = value
        template = clone(base).set_params(fixed_params=fixed)
        try:
            _, ll, _ = profile_threshold(template, X[:, 0], w)
        except ValueError:
            return -np.inf
        return ll

    # -------------------------------------------------------------- scoring
    def score_samples(self, X):
        """Log-density of each sample (summed over columns); ``-inf`` at or below
        ``loc_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return self.estimator_.score_samples(self._to_base(np.asarray(X, float) - self.loc_))

    def score(self, X, y=None):
        """Mean log-likelihood per sample on ``X``."""
        return float(np.mean(self.score_samples(X)))

    def _total_loglik(self, X, y=None):
        return float(np.sum(self.score_samples(X)))

    def sample(self, n_samples: int = 1, random_state=None) -> np.ndarray:
        """Draw ``n_samples`` rows: the base family's draws plus ``loc_``.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        rng = check_random_state(random_state)
        return np.asarray(self.estimator_.sample(n_samples, random_state=rng)) + self.loc_

    def to_scipy(self) -> list:
        """Frozen ``scipy.stats`` distributions of the fit, one per column, with
        ``loc=loc_`` (e.g. ``gamma(a, loc=loc_, scale=1/rate)``).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle.distributions._shifted import ShiftedMLE
        >>> x = 3.0 + np.random.default_rng(2).gamma(5.0, 1.0, size=(200, 1))
        >>> dist, = ShiftedMLE().fit(x).to_scipy()
        >>> dist.dist.name, bool(dist.support()[0] < x.min())
        ('gamma', True)
        """
        check_is_fitted(self)
        return [_shifted_frozen(dist, loc)
                for dist, loc in zip(self.estimator_.to_scipy(), self.loc_)]

    def _summary_facts(self):
        base = type(self.estimator_).__name__
        how = "fitted (profile likelihood)" if self.loc == "fit" else "known"
        facts = {"Family": f"shifted {base}", "Threshold": how}
        if self.loc == "fit" and not self.regular_:
            facts["Note"] = "threshold not regular: prefer profile/bootstrap intervals"
        return facts

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
