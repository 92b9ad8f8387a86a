"""The profile log-likelihood of one parameter, with its chi-square cut-off and interval."""

from __future__ import annotations

import re
import warnings

import numpy as np
from scipy import optimize, stats
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from ._mpl import check_matplotlib, figure_and_axes


class ProfileLikelihoodDisplay:
    """Profile log-likelihood of one free parameter.

    The curve is the log-likelihood maximised over the other parameters with this one
    held at each value (the log-posterior under a prior). The horizontal line is the
    cut-off ``loglik_ - chi2(1).ppf(1 - alpha) / 2``; the values above it form the
    profile-likelihood interval, marked by vertical lines: the interval
    ``conf_int(alpha, method="profile")`` reports.

    Build it with :meth:`from_estimator`.

    Parameters
    ----------
    values : ndarray of shape (n_points,)
        Parameter values.
    profile : ndarray of shape (n_points,)
        Profile log-likelihood at each value (NaN where the model cannot be fitted).
    estimate : float
        The estimate (where the profile is maximal).
    maximum : float
        The maximised log-likelihood ``loglik_``.
    interval : tuple of float
        The profile-likelihood interval.
    alpha : float
        One minus the coverage of the interval.
    param_name : str
        Name of the parameter.

    Attributes
    ----------
    cutoff : float
        ``maximum - chi2(1).ppf(1 - alpha) / 2``.
    line_ : matplotlib Line2D
        The profile curve.
    cutoff_line_ : matplotlib Line2D
        The horizontal cut-off.
    interval_lines_ : list of matplotlib Line2D
        The two vertical lines at the interval's ends (finite ends only).
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import PoissonMLE
    >>> from sklearn_mle.plotting import ProfileLikelihoodDisplay
    >>> X = np.array([[0.0], [1.0], [3.0], [2.0], [1.0], [0.0], [4.0]])
    >>> est = PoissonMLE().fit(X)
    >>> disp = ProfileLikelihoodDisplay.from_estimator(est, "rate", X, n_points=11)
    >>> bool(np.nanmax(disp.profile) <= est.loglik_ + 1e-9)
    True
    """

    def __init__(self, *, values, profile, estimate, maximum, interval, alpha, param_name):
        self.values = values
        self.profile = profile
        self.estimate = estimate
        self.maximum = maximum
        self.interval = interval
        self.alpha = alpha
        self.param_name = param_name
        self.cutoff = maximum - stats.chi2.ppf(1.0 - alpha, 1) / 2.0

    @classmethod
    def from_estimator(
        cls,
        estimator,
        param,
        X=None,
        y=None,
        *,
        alpha: float = 0.05,
        values=None,
        n_points: int = 41,
        ax=None,
        line_kwargs: dict | None = None,
    ) -> ProfileLikelihoodDisplay:
        """Profile the parameter ``param`` of a fitted estimator.

        Parameters
        ----------
        estimator : fitted estimator with ``conf_int(method="profile")``
        param : str or int
            A name of ``estimator.param_names_`` or its position.
        X : array-like of shape (n_samples, n_features), default=None
            The training data. Needed when the estimator has no public
            ``profile_loglik``: the profile is then computed by refitting with the
            parameter held through ``fixed_params``.
        y : array-like, default=None
            Training targets, for conditional models refitted on ``(X, y)``.
        alpha : float, default=0.05
            One minus the coverage of the marked interval.
        values : array-like, default=None
            Parameter values at which to profile; default: ``n_points`` values over
            the interval widened by half its width on each side (inside the domain).
        n_points : int, default=41
        ax : matplotlib Axes, default=None
        line_kwargs : dict, default=None
            Keyword arguments of the profile curve.

        Returns
        -------
        display : ProfileLikelihoodDisplay
        """
        check_matplotlib()
        check_is_fitted(estimator)
        index = _param_index(estimator, param)
        name = estimator.param_names_[index]
        estimate = float(estimator.estimates_[index])
        maximum = float(estimator.loglik_)
        cutoff = maximum - stats.chi2.ppf(1.0 - alpha, 1) / 2.0
        profile_at = _profile_function(estimator, index, X, y)
        try:
            lo, hi = (float(v) for v in estimator.conf_int(alpha, method="profile")[index])
            from_curve = False
        except (ValueError, NotImplementedError):
            # no profile interval for this layout: start from the Wald interval and
            # find where the profile crosses the cut-off on the curve itself
            lo, hi = (float(v) for v in estimator.conf_int(alpha)[index])
            from_curve = True
        if values is None:
            values = _default_values(estimate, lo, hi, estimator, index, n_points)
        values = np.sort(np.asarray(values, dtype=float).ravel())
        profile = np.array([profile_at(v) for v in values])
        if from_curve:
            lo, hi = _crossings(profile_at, values, profile, estimate, cutoff)
        disp = cls(values=values, profile=profile, estimate=estimate,
                   maximum=maximum, interval=(lo, hi), alpha=alpha,
                   param_name=name)
        return disp.plot(ax=ax, line_kwargs=line_kwargs)

    def plot(self, ax=None, *, line_kwargs=None):
        """Draw the profile, the cut-off and the interval.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        line_kwargs : dict, default=None
            Keyword arguments of the profile curve.

        Returns
        -------
        display : ProfileLikelihoodDisplay
        """
        fig, ax = figure_and_axes(ax)
        style = {"label": "profile log-likelihood"} | dict(line_kwargs or {})
        (self.line_,) = ax.plot(self.values, self.profile, **style)
        level = 100 * (1 - self.alpha)
        self.cutoff_line_ = ax.axhline(self.cutoff, color="0.4", linestyle="--", linewidth=1,
                                       label=f"chi-square cut-off ({level:g}%)")
        self.interval_lines_ = [
            ax.axvline(v, color="C3", linestyle=":", linewidth=1.2,
                       label=f"{level:g}% profile interval" if i == 0 else None)
            for i, v in enumerate(self.interval) if np.isfinite(v)
        ]
        ax.plot([self.estimate], [self.maximum], "o", color="C0")
        ax.set_xlabel(self.param_name)
        ax.set_ylabel("log-likelihood")
        ax.set_title(f"Profile likelihood of {self.param_name}")
        ax.legend()
        self.ax_, self.figure_ = ax, fig
        return self


def _crossings(profile_at, values, profile, estimate, cutoff):
    """The profile interval read off the curve: walking out from the estimate (where
    the profile is above ``cutoff``), the first value below it brackets the crossing,
    refined by root finding. An end not reached within ``values`` is -inf or inf."""
    gap = profile - cutoff

    def root(a, b):
        return optimize.brentq(lambda v: profile_at(v) - cutoff, a, b, xtol=1e-10)

    ends = []
    for mask, order, unreached in ((values < estimate, -1, -np.inf),
                                   (values > estimate, 1, np.inf)):
        prev, end = estimate, unreached
        for v, g in zip(values[mask][::order], gap[mask][::order]):
            if not np.isfinite(g):
                break
            if g < 0:
                end = root(min(prev, v), max(prev, v))
                break
            prev = v
        ends.append(float(end))
    return ends[0], ends[1]


def _param_index(estimator, param) -> int:
    names = list(estimator.param_names_)
    if isinstance(param, str):
        if param not in names:
            raise ValueError(f"unknown parameter {param!r}; the free parameters are {names}")
        return names.index(param)
    index = int(param)
    if not 0 <= index < len(names):
        raise ValueError(f"param must be in [0, {len(names)}), got {param}")
    return index


def _default_values(estimate, lo, hi, estimator, index, n_points):
    """``n_points`` values over the interval widened by half its width on each side.

    An interval inside ``[0, inf)`` or ``[0, 1]`` (a rate, a probability) is not widened
    across 0 or 1: the values stay where the model can be fitted.
    """
    se = float(estimator.bse_[index])
    left = estimate - lo if np.isfinite(lo) else 3 * se
    right = hi - estimate if np.isfinite(hi) else 3 * se
    a, b = estimate - 1.5 * left, estimate + 1.5 * right
    if lo >= 0 and a <= 0:
        a = lo / 2 if lo > 0 else estimate * 1e-3
    if hi <= 1 and b >= 1 and estimate < 1:
        b = (1 + hi) / 2 if hi < 1 else 1 - (1 - estimate) * 1e-3
    if not (np.isfinite(a) and np.isfinite(b) and b > a):
        raise ValueError(
            "cannot choose the values to profile (no finite interval or standard error); "
            "pass values="
        )
    return np.linspace(a, b, int(n_points))


def _profile_function(estimator, index, X, y):
    """A function value -> profile log-likelihood of free parameter ``index``."""
    public = getattr(estimator, "profile_loglik", None)
    if callable(public):
        try:  # an estimator may profile only some layouts (e.g. a diagonal Gaussian)
            public(index, float(estimator.estimates_[index]))
        except ValueError:
            public = None
    if public is not None:
        return lambda v: _or_nan(public, index, v)
    if X is None or "fixed_params" not in estimator.get_params():
        raise ValueError(
            f"{type(estimator).__name__} has no public profile_loglik: pass the training "
            "data X (the profile is then computed by refits with the parameter held fixed "
            "through fixed_params)"
        )
    base, j = _fixed_param_target(estimator, estimator.param_names_[index])
    given = dict(estimator.get_params()["fixed_params"] or {})
    d = int(estimator.n_features_in_)

    def refit(value):
        arr = np.full(d, np.nan)
        if base in given:
            arr[:] = np.broadcast_to(np.asarray(given[base], dtype=float), (d,))
        arr[j] = value
        model = clone(estimator).set_params(fixed_params={**given, base: arr})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return float((model.fit(X) if y is None else model.fit(X, y)).loglik_)
            except ValueError:  # a value outside the parameter's domain
                return np.nan

    return refit


def _or_nan(fn, index, value):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(fn(index, value))
        except ValueError:
            return np.nan


_NAME = re.compile(r"^(?P<base>[A-Za-z_][\w.]*)(?:\[(?P<col>[^\],=]+)\])?$")


def _fixed_param_target(estimator, flat_name):
    """``(parameter, column)`` of a flat parameter name such as ``rate[x0]``."""
    match = _NAME.match(flat_name)
    params = getattr(estimator, "params_", {})
    if match is None or match["base"] not in params:
        raise ValueError(
            f"parameter {flat_name!r} of {type(estimator).__name__} cannot be held fixed "
            "through fixed_params, so it cannot be profiled by refits"
        )
    col = match["col"]
    if col is None:
        return match["base"], 0
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and col in [str(n) for n in names]:
        return match["base"], [str(n) for n in names].index(col)
    if re.fullmatch(r"x\d+", col):
        return match["base"], int(col[1:])
    raise ValueError(f"cannot find the column of parameter {flat_name!r}")
