"""Fitted distributions against the data: density, CDF, QQ and PP plots (fitdistrplus'
``denscomp``, ``cdfcomp``, ``qqcomp``, ``ppcomp`` and ``plot.fitdist``)."""

from __future__ import annotations

import numpy as np

from ._fitted import column_index, data_column, is_discrete, marginal, uniform_order_medians
from ._mpl import check_matplotlib, estimator_label, figure_and_axes

_KINDS = ("density", "cdf", "qq", "pp")
_TITLES = {
    "density": "Density",
    "cdf": "Cumulative distribution",
    "qq": "Q-Q plot",
    "pp": "P-P plot",
}


class DistributionFitDisplay:
    """One or several fitted distributions drawn against the data of one column.

    ``kind="density"`` draws the fitted densities over a histogram of the data (for a
    discrete family: the fitted probability mass against the relative frequencies);
    ``"cdf"`` the fitted CDFs against the empirical CDF; ``"qq"`` the sorted data
    against the fitted quantiles at the plotting positions of
    :func:`scipy.stats.probplot`; ``"pp"`` those positions against the fitted CDF at
    the sorted data. Several fits share one axes, as in fitdistrplus' ``denscomp``.

    Build it with :meth:`from_estimator`; the constructor takes what is drawn.

    Parameters
    ----------
    data : ndarray of shape (n_samples,)
        The observed values of the column.
    distributions : list of frozen scipy.stats distributions
        The fitted distributions of that column.
    labels : list of str
        Legend labels, one per distribution.
    kind : {"density", "cdf", "qq", "pp"}, default="density"
        What :meth:`plot` draws unless told otherwise.
    column_name : str, default=None
        Name of the column, used in the axis label.
    max_points : int, default=2000
        At most this many order statistics are drawn in QQ and PP plots and in the
        empirical CDF: on larger data, evenly spaced ones (the smallest and largest
        included), each at its exact plotting position. The histogram and relative
        frequencies always use all the data.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        One per fitted distribution: its curve (density, CDF) or its points (QQ, PP).
    empirical_ : matplotlib artist or None
        The data's histogram (a ``BarContainer``), relative frequencies
        (``BarContainer``) or empirical CDF (``Line2D``); None for QQ and PP plots.
    reference_line_ : matplotlib Line2D or None
        The identity line of QQ and PP plots.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import GammaMLE, LogNormalMLE
    >>> from sklearn_mle.plotting import DistributionFitDisplay
    >>> X = np.random.default_rng(0).gamma(2.0, 1.5, size=(200, 1))
    >>> fits = [GammaMLE().fit(X), LogNormalMLE().fit(X)]
    >>> disp = DistributionFitDisplay.from_estimator(fits, X, kind="qq")
    >>> len(disp.lines_)
    2
    """

    def __init__(self, *, data, distributions, labels, kind="density", column_name=None,
                 max_points=2000):
        self.data = data
        self.distributions = distributions
        self.labels = labels
        self.kind = kind
        self.column_name = column_name
        self.max_points = max_points

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        kind: str = "density",
        column=0,
        labels=None,
        column_name: str | None = None,
        max_points: int = 2000,
        ax=None,
        line_kwargs: dict | None = None,
        empirical_kwargs: dict | None = None,
    ) -> DistributionFitDisplay:
        """Draw fitted distribution estimator(s) against column ``column`` of ``X``.

        Parameters
        ----------
        estimator : fitted distribution estimator or list of them
            E.g. ``GammaMLE().fit(X)``; a list overlays several fits on one axes.
            Rows of :func:`~sklearn_mle.rank_distributions` are accepted too (their
            fitted ``estimator``, labelled by ``family``).
        X : array-like of shape (n_samples, n_features)
            The data (usually the training data).
        kind : {"density", "cdf", "qq", "pp"}, default="density"
        column : int or str, default=0
            The column drawn: its position or its feature name.
        labels : list of str, default=None
            Legend labels; default: the estimators' class names.
        column_name : str, default=None
            The column's name in the axis labels; default: its feature name, else
            ``x<column>``.
        max_points : int, default=2000
            At most this many order statistics in QQ, PP and CDF plots (evenly
            spaced ones on larger data).
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        line_kwargs : dict, default=None
            Keyword arguments of the fitted curves or points (``Axes.plot``).
        empirical_kwargs : dict, default=None
            Keyword arguments of the data's artist (histogram, bars or ECDF).

        Returns
        -------
        display : DistributionFitDisplay
        """
        check_matplotlib()
        items = list(estimator) if isinstance(estimator, (list, tuple)) else [estimator]
        if not items:
            raise ValueError("no estimator to plot")
        # rows of rank_distributions (DistributionFit) carry their fitted estimator
        estimators = [getattr(e, "estimator", None) or e for e in items]
        dists = [marginal(est, column) for est in estimators]
        default = [getattr(e, "family", None) or estimator_label(est)
                   for e, est in zip(items, estimators)]
        labels = default if labels is None else list(labels)
        if len(labels) != len(estimators):
            raise ValueError(f"{len(labels)} labels for {len(estimators)} estimators")
        j = column_index(estimators[0], column)
        names = getattr(estimators[0], "feature_names_in_", None)
        name = str(names[j]) if names is not None else f"x{j}"
        name = name if column_name is None else str(column_name)
        disp = cls(data=data_column(X, j), distributions=dists, labels=labels, kind=kind,
                   column_name=name, max_points=max_points)
        return disp.plot(ax=ax, line_kwargs=line_kwargs, empirical_kwargs=empirical_kwargs)

    def plot(self, ax=None, *, kind=None, line_kwargs=None, empirical_kwargs=None):
        """Draw the display.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        kind : {"density", "cdf", "qq", "pp"}, default=None
            Overrides the display's ``kind``.
        line_kwargs : dict, default=None
            Keyword arguments of the fitted curves or points.
        empirical_kwargs : dict, default=None
            Keyword arguments of the data's artist.

        Returns
        -------
        display : DistributionFitDisplay
        """
        kind = self.kind if kind is None else kind
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
        fig, ax = figure_and_axes(ax)
        x = np.sort(np.asarray(self.data, dtype=float))
        discrete = all(is_discrete(d) for d in self.distributions)
        line_kwargs = dict(line_kwargs or {})
        empirical_kwargs = dict(empirical_kwargs or {})
        self.empirical_ = None
        self.reference_line_ = None
        draw = {"density": self._density, "cdf": self._cdf, "qq": self._qq, "pp": self._pp}
        self.lines_ = draw[kind](ax, x, discrete, line_kwargs, empirical_kwargs)
        ax.set_title(_TITLES[kind])
        if len(self.lines_) > 1 or kind in ("density", "cdf"):
            ax.legend()
        self.ax_, self.figure_ = ax, fig
        return self

    # ----------------------------------------------------------- the kinds
    def _density(self, ax, x, discrete, line_kwargs, empirical_kwargs):
        if discrete:
            k, freq = _relative_frequencies(x)
            style = {"color": "0.75", "width": 0.8, "label": "data"} | empirical_kwargs
            self.empirical_ = ax.bar(k, freq, **style)
            lines = [
                ax.plot(k, d.pmf(k), **({"marker": "o", "label": lab} | line_kwargs))[0]
                for d, lab in zip(self.distributions, self.labels)
            ]
            ax.set_ylabel("probability")
        else:
            bins = min(50, len(np.histogram_bin_edges(x, bins="auto")) - 1)
            style = {"color": "0.8", "edgecolor": "white", "label": "data"} | empirical_kwargs
            *_, self.empirical_ = ax.hist(x, bins=max(bins, 1), density=True, **style)
            grid = self._grid(x)
            lines = [ax.plot(g, d.pdf(g), **({"label": lab} | line_kwargs))[0]
                     for d, lab in zip(self.distributions, self.labels)
                     for g in [_in_support(grid, d)]]
            ax.set_ylabel("density")
        ax.set_xlabel(self._xlabel())
        return lines

    def _cdf(self, ax, x, discrete, line_kwargs, empirical_kwargs):
        n = x.size
        idx = self._thin(n)
        ecdf_y = (idx + 1) / n
        style = {"color": "0.3", "label": "empirical"} | empirical_kwargs
        (self.empirical_,) = ax.step(x[idx], ecdf_y, where="post", **style)
        if discrete:
            grid = np.arange(np.floor(x[0]) - 1, np.ceil(x[-1]) + 2)
            lines = [ax.step(grid, d.cdf(grid), where="post",
                             **({"label": lab} | line_kwargs))[0]
                     for d, lab in zip(self.distributions, self.labels)]
        else:
            grid = self._grid(x)
            lines = [ax.plot(grid, d.cdf(grid), **({"label": lab} | line_kwargs))[0]
                     for d, lab in zip(self.distributions, self.labels)]
        ax.set_xlabel(self._xlabel())
        ax.set_ylabel("cumulative probability")
        return lines

    def _qq(self, ax, x, discrete, line_kwargs, empirical_kwargs):
        idx = self._thin(x.size)
        p, x = uniform_order_medians(x.size)[idx], x[idx]
        style = {"marker": "o", "linestyle": "none", "markersize": 4, "alpha": 0.7}
        lines = [ax.plot(d.ppf(p), x, **(style | {"label": lab} | line_kwargs))[0]
                 for d, lab in zip(self.distributions, self.labels)]
        lo, hi = _joint_range([ln.get_xdata() for ln in lines] + [x])
        (self.reference_line_,) = ax.plot([lo, hi], [lo, hi], color="0.4", linewidth=1,
                                          linestyle="--", zorder=0)
        ax.set_xlabel("theoretical quantiles")
        ax.set_ylabel(f"sample quantiles ({self._xlabel()})")
        return lines

    def _pp(self, ax, x, discrete, line_kwargs, empirical_kwargs):
        idx = self._thin(x.size)
        p, x = uniform_order_medians(x.size)[idx], x[idx]
        style = {"marker": "o", "linestyle": "none", "markersize": 4, "alpha": 0.7}
        lines = [ax.plot(d.cdf(x), p, **(style | {"label": lab} | line_kwargs))[0]
                 for d, lab in zip(self.distributions, self.labels)]
        (self.reference_line_,) = ax.plot([0, 1], [0, 1], color="0.4", linewidth=1,
                                          linestyle="--", zorder=0)
        ax.set_xlabel("theoretical probabilities")
        ax.set_ylabel("empirical probabilities")
        return lines

    def _thin(self, n):
        """Indices of the order statistics drawn: all, or ``max_points`` evenly spaced."""
        m = int(self.max_points)
        if m < 2:
            raise ValueError(f"max_points must be at least 2, got {self.max_points!r}")
        if n <= m:
            return np.arange(n)
        return np.unique(np.linspace(0, n - 1, m).round().astype(int))

    def _grid(self, x):
        span = x[-1] - x[0]
        pad = 0.05 * span if span > 0 else max(abs(x[0]), 1.0) * 0.1
        return np.linspace(x[0] - pad, x[-1] + pad, 300)

    def _xlabel(self):
        return self.column_name if self.column_name is not None else "value"


def _relative_frequencies(x):
    """The integer values from the smallest to the largest observation (or the observed
    values when that range is wide) and their relative frequencies."""
    lo, hi = np.floor(x[0]), np.ceil(x[-1])
    if hi - lo <= 200:
        k = np.arange(lo, hi + 1)
    else:
        k = np.unique(x)
    counts = np.array([np.count_nonzero(x == v) for v in k], dtype=float)
    return k, counts / x.size


def _in_support(grid, dist):
    """The grid inside the support, its lower end moved off a boundary where the density
    can be infinite (a gamma shape below 1)."""
    a, b = dist.support()
    g = grid[(grid > a) & (grid < b)]
    if g.size == 0:
        return grid
    return g


def _joint_range(arrays):
    vals = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays])
    vals = vals[np.isfinite(vals)]
    return float(vals.min()), float(vals.max())


def plot_fit_diagnostics(estimator, X, *, column=0, labels=None, column_name=None,
                         figsize=(9.0, 7.0)):
    """The four diagnostic panels of a distribution fit (fitdistrplus' ``plot.fitdist``).

    Density over the data's histogram (probability mass against relative frequencies
    for a discrete family), fitted against empirical CDF, QQ plot and PP plot. A list
    of estimators overlays several fits in every panel.

    Parameters
    ----------
    estimator : fitted distribution estimator or list of them
        A list overlays several fits; rows of :func:`~sklearn_mle.rank_distributions`
        are accepted too.
    X : array-like of shape (n_samples, n_features)
    column : int or str, default=0
        The column drawn.
    labels : list of str, default=None
        Legend labels; default: the estimators' class names (the family names
        for ranking rows).
    column_name : str, default=None
        The column's name in the axis labels; default: its feature name, else
        ``x<column>``.
    figsize : tuple of float, default=(9.0, 7.0)

    Returns
    -------
    displays : ndarray of shape (2, 2) of DistributionFitDisplay
        ``[[density, cdf], [qq, pp]]``; ``displays[0, 0].figure_`` is the figure.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import WeibullMLE
    >>> from sklearn_mle.plotting import plot_fit_diagnostics
    >>> X = np.random.default_rng(0).weibull(1.5, size=(100, 1))
    >>> displays = plot_fit_diagnostics(WeibullMLE().fit(X), X)
    >>> [d.ax_.get_title() for d in displays.ravel()]
    ['Density', 'Cumulative distribution', 'Q-Q plot', 'P-P plot']
    """
    plt = check_matplotlib()
    fig, axes = plt.subplots(2, 2, figsize=figsize, layout="constrained")
    out = np.empty((2, 2), dtype=object)
    for (i, k), kind in zip([(0, 0), (0, 1), (1, 0), (1, 1)], _KINDS):
        out[i, k] = DistributionFitDisplay.from_estimator(
            estimator, X, kind=kind, column=column, labels=labels,
            column_name=column_name, ax=axes[i, k],
        )
    return out
