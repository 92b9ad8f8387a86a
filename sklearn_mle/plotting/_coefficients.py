"""A forest plot: every free parameter's estimate with its confidence interval."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._mpl import check_matplotlib, figure_and_axes


class CoefficientDisplay:
    """Estimates with confidence intervals, one row per parameter (a forest plot).

    For GLMs (``MLELogisticRegression``, ...) the rows are the coefficients and the
    dashed line at 0 shows which intervals exclude "no effect"; for distribution
    estimators and mixtures they are the free parameters.

    Build it with :meth:`from_estimator`.

    Parameters
    ----------
    names : list of str
        Parameter names, drawn top to bottom.
    estimates : ndarray of shape (n_params,)
    intervals : ndarray of shape (n_params, 2)
        Lower and upper ends of the confidence intervals.
    alpha : float
        One minus the coverage of the intervals.
    method : str
        How the intervals were computed (``"wald"`` or ``"profile"``).

    Attributes
    ----------
    errorbar_ : matplotlib ErrorbarContainer
        The estimates (points) and intervals (bars).
    reference_line_ : matplotlib Line2D or None
        The vertical line at the reference value.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import MLELogisticRegression
    >>> from sklearn_mle.plotting import CoefficientDisplay
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3))
    >>> y = (X @ [1.0, -0.5, 0.0] + rng.logistic(size=300) > 0).astype(int)
    >>> disp = CoefficientDisplay.from_estimator(MLELogisticRegression().fit(X, y))
    >>> disp.names
    ['intercept', 'x0', 'x1', 'x2']
    """

    def __init__(self, *, names, estimates, intervals, alpha=0.05, method="wald"):
        self.names = names
        self.estimates = estimates
        self.intervals = intervals
        self.alpha = alpha
        self.method = method

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        params=None,
        alpha: float = 0.05,
        method: str = "wald",
        reference: float | None = 0.0,
        ax=None,
        errorbar_kwargs: dict | None = None,
    ) -> CoefficientDisplay:
        """The estimates and intervals of a fitted estimator.

        Parameters
        ----------
        estimator : fitted estimator with ``param_names_`` and ``conf_int``
        params : list of str, default=None
            The parameters drawn (names of ``param_names_``); default: all. E.g. leave
            out the intercept by listing the others.
        alpha : float, default=0.05
            One minus the coverage of the intervals.
        method : {"wald", "profile"}, default="wald"
            Passed to ``conf_int``.
        reference : float or None, default=0.0
            Where the vertical reference line is drawn; None draws none.
        ax : matplotlib Axes, default=None
        errorbar_kwargs : dict, default=None
            Keyword arguments of ``Axes.errorbar``.

        Returns
        -------
        display : CoefficientDisplay
        """
        check_matplotlib()
        check_is_fitted(estimator)
        all_names = list(estimator.param_names_)
        chosen = all_names if params is None else list(params)
        unknown = [p for p in chosen if p not in all_names]
        if unknown:
            raise ValueError(f"unknown parameters {unknown}; the free parameters are {all_names}")
        idx = [all_names.index(p) for p in chosen]
        ci = np.asarray(estimator.conf_int(alpha, method=method), dtype=float)[idx]
        est = np.asarray(estimator.estimates_, dtype=float)[idx]
        disp = cls(names=chosen, estimates=est, intervals=ci, alpha=alpha, method=method)
        return disp.plot(ax=ax, reference=reference, errorbar_kwargs=errorbar_kwargs)

    def plot(self, ax=None, *, reference=0.0, errorbar_kwargs=None):
        """Draw the forest plot.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        reference : float or None, default=0.0
            Where the vertical reference line is drawn; None draws none.
        errorbar_kwargs : dict, default=None
            Keyword arguments of ``Axes.errorbar``.

        Returns
        -------
        display : CoefficientDisplay
        """
        if ax is None:  # a row per parameter: the figure grows with their number
            plt = check_matplotlib()
            fig, ax = plt.subplots(figsize=(6.4, max(2.5, 0.3 * len(self.names) + 1.3)),
                                   layout="constrained")
        else:
            fig, ax = figure_and_axes(ax)
        est = np.asarray(self.estimates, dtype=float)
        ci = np.asarray(self.intervals, dtype=float)
        pos = np.arange(len(est))[::-1]  # the first parameter on top
        # errorbar wants distances from the point; an infinite end is drawn as an arrow-less
        # bar to the axes' edge by clipping it to the finite range
        finite = ci[np.isfinite(ci)]
        span = (finite.max() - finite.min()) if finite.size else 1.0
        lo = np.where(np.isfinite(ci[:, 0]), ci[:, 0], np.nanmin(finite, initial=0) - span)
        hi = np.where(np.isfinite(ci[:, 1]), ci[:, 1], np.nanmax(finite, initial=0) + span)
        err = np.vstack([est - lo, hi - est])
        style = {"fmt": "o", "capsize": 3, "color": "C0"} | dict(errorbar_kwargs or {})
        self.errorbar_ = ax.errorbar(est, pos, xerr=err, **style)
        self.reference_line_ = None
        if reference is not None:
            self.reference_line_ = ax.axvline(reference, color="0.5", linestyle="--",
                                               linewidth=1)
        ax.set_yticks(pos, [str(n) for n in self.names])
        level = 100 * (1 - self.alpha)
        ax.set_xlabel(f"estimate with {level:g}% {self.method} interval")
        ax.set_title("Estimates and confidence intervals")
        self.ax_, self.figure_ = ax, fig
        return self
