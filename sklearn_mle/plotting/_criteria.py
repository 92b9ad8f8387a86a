"""Information criteria against a model-size parameter, one curve per model variant
(mclust's BIC plot)."""

from __future__ import annotations

import numpy as np

from ._mpl import check_matplotlib, figure_and_axes

_GROUP_KEYS = ("covariance_type", "component__covariance_type")


class InformationCriterionDisplay:
    """AIC or BIC against a parameter (``n_components``), one line per model variant
    (e.g. per ``covariance_type``); lower is better and the best model is starred.

    Build it with :meth:`from_search` (a fitted
    :class:`~sklearn_mle.model_selection.GridSearchIC`) or :meth:`from_estimators` (a
    list of fitted models).

    Parameters
    ----------
    curves : dict of str to tuple of ndarray
        Group label -> ``(x_values, criterion_values)``, sorted by ``x_values``.
    criterion : str
        ``"aic"``, ``"aicc"`` or ``"bic"``.
    x_name : str
        The parameter on the horizontal axis.

    Attributes
    ----------
    lines_ : dict of str to matplotlib Line2D
        One line per group.
    best_ : matplotlib Line2D
        The star at the smallest criterion.
    best_point : tuple
        ``(group, x, value)`` of the best model.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import GaussianMixture
    >>> from sklearn_mle.plotting import InformationCriterionDisplay
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(-4, 1, (100, 2)), rng.normal(4, 1, (100, 2))])
    >>> models = [GaussianMixture(n_components=k, random_state=0).fit(X) for k in (1, 2, 3)]
    >>> disp = InformationCriterionDisplay.from_estimators(models, X)
    >>> int(disp.best_point[1])
    2
    """

    def __init__(self, *, curves, criterion="bic", x_name="n_components"):
        self.curves = curves
        self.criterion = criterion
        self.x_name = x_name

    @classmethod
    def from_search(cls, search, *, x="n_components", group=None, ax=None,
                    line_kwargs=None) -> InformationCriterionDisplay:
        """The criterion of every candidate of a fitted ``GridSearchIC``.

        Parameters
        ----------
        search : fitted GridSearchIC
        x : str, default="n_components"
            The grid parameter on the horizontal axis.
        group : str, default=None
            The grid parameter drawn as separate lines; default: ``covariance_type``
            (or ``component__covariance_type``) when it is in the grid, else the one
            other grid parameter, if any.
        ax : matplotlib Axes, default=None
        line_kwargs : dict, default=None

        Returns
        -------
        display : InformationCriterionDisplay
        """
        check_matplotlib()
        results = getattr(search, "results_", None)
        if results is None:
            raise ValueError("search is not fitted: it has no results_")
        criterion = search.criterion_
        params = list(results["params"])
        values = np.asarray(results[criterion], dtype=float)
        ok = np.array([s != "failed" for s in results["status"]]) & np.isfinite(values)
        return cls._build(params, values, ok, criterion, x, group, ax, line_kwargs)

    @classmethod
    def from_estimators(cls, estimators, X, y=None, *, criterion="bic", x="n_components",
                        group=None, ax=None, line_kwargs=None) -> InformationCriterionDisplay:
        """The criterion of fitted models on the data ``X`` (and ``y``).

        Parameters
        ----------
        estimators : list of fitted estimators with ``aic``/``bic`` methods
        X : array-like of shape (n_samples, n_features)
        y : array-like, default=None
        criterion : {"aic", "bic"}, default="bic"
        x : str, default="n_components"
            The parameter (of ``get_params``) on the horizontal axis.
        group : str, default=None
            The parameter drawn as separate lines; default: ``covariance_type`` (or
            ``component__covariance_type``) when the models have it.
        ax : matplotlib Axes, default=None
        line_kwargs : dict, default=None

        Returns
        -------
        display : InformationCriterionDisplay
        """
        check_matplotlib()
        if criterion not in ("aic", "bic"):
            raise ValueError(f"criterion must be 'aic' or 'bic', got {criterion!r}")
        estimators = list(estimators)
        if not estimators:
            raise ValueError("no estimator to plot")
        params = [e.get_params(deep=True) for e in estimators]
        values = np.array([getattr(e, criterion)(X, y) for e in estimators], dtype=float)
        return cls._build(params, values, np.isfinite(values), criterion, x, group, ax,
                          line_kwargs)

    @classmethod
    def _build(cls, params, values, ok, criterion, x, group, ax, line_kwargs):
        if not all(x in p for p in params):
            raise ValueError(f"every model needs the parameter {x!r} for the horizontal axis")
        if group is None:
            keys = set(params[0]).intersection(*params[1:]) if params else set()
            varying = [k for k in keys if k != x
                       and len({repr(p[k]) for p in params}) > 1]
            preferred = [k for k in _GROUP_KEYS if k in varying]
            group = preferred[0] if preferred else (varying[0] if len(varying) == 1 else None)
        curves: dict = {}
        for p, v, good in zip(params, values, ok):
            if not good:
                continue
            label = criterion.upper() if group is None else f"{group}={p[group]}"
            curves.setdefault(label, []).append((float(p[x]), float(v)))
        if not curves:
            raise ValueError("no model with a finite criterion to plot")
        curves = {k: tuple(np.array(c) for c in zip(*sorted(pts))) for k, pts in curves.items()}
        disp = cls(curves=curves, criterion=criterion, x_name=x)
        return disp.plot(ax=ax, line_kwargs=line_kwargs)

    def plot(self, ax=None, *, line_kwargs=None):
        """Draw one line per group and star the best model.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        line_kwargs : dict, default=None
            Keyword arguments of the lines.

        Returns
        -------
        display : InformationCriterionDisplay
        """
        fig, ax = figure_and_axes(ax)
        self.lines_ = {}
        best = None
        for label, (xs, vals) in self.curves.items():
            style = {"marker": "o", "label": label} | dict(line_kwargs or {})
            (self.lines_[label],) = ax.plot(xs, vals, **style)
            i = int(np.argmin(vals))
            if best is None or vals[i] < best[2]:
                best = (label, xs[i], vals[i])
        self.best_point = best
        (self.best_,) = ax.plot([best[1]], [best[2]], marker="*", markersize=16,
                                color="gold", markeredgecolor="black", linestyle="none",
                                label="best", zorder=3)
        if all(np.allclose(xs, np.round(xs)) for xs, _ in self.curves.values()):
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(self.x_name)
        ax.set_ylabel(f"{self.criterion.upper()} (lower is better)")
        ax.set_title(f"{self.criterion.upper()} by {self.x_name}")
        ax.legend()
        self.ax_, self.figure_ = ax, fig
        return self
