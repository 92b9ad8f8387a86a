"""A hidden Markov model's decoded states and state posteriors along a series."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._mpl import check_matplotlib


class StatesDisplay:
    """A series with its decoded hidden states (top) and the states' posterior
    probabilities (bottom, stacked).

    Build it with :meth:`from_estimator`.

    Parameters
    ----------
    series : ndarray of shape (n_samples,)
        The plotted column of the data.
    states : ndarray of shape (n_samples,)
        Decoded state of each row (Viterbi path or MAP states).
    posteriors : ndarray of shape (n_samples, n_components)
        ``P(state k | all the data)`` at each row (forward-backward).
    boundaries : ndarray of int, default=None
        Row indices where a new sequence starts (after the first).
    feature_name : str, default="x0"

    Attributes
    ----------
    series_line_ : matplotlib Line2D
        The series.
    state_fills_ : list of matplotlib PolyCollection
        The shaded runs of rows of each state in the top panel (``broken_barh``).
    posterior_fills_ : list of matplotlib PolyCollection
        The stacked posteriors, one per state.
    ax_ : ndarray of two matplotlib Axes
        ``[series panel, posterior panel]``.
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import PoissonMLE
    >>> from sklearn_mle.hmm import HiddenMarkovModel
    >>> from sklearn_mle.plotting import StatesDisplay
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.poisson(2, 60), rng.poisson(12, 60)])[:, None]
    >>> hmm = HiddenMarkovModel(PoissonMLE(), n_components=2, random_state=0).fit(X)
    >>> disp = StatesDisplay.from_estimator(hmm, X)
    >>> len(disp.posterior_fills_)
    2
    """

    def __init__(self, *, series, states, posteriors, boundaries=None, feature_name="x0"):
        self.series = series
        self.states = states
        self.posteriors = posteriors
        self.boundaries = boundaries
        self.feature_name = feature_name

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        lengths=None,
        feature=0,
        algorithm=None,
        axes=None,
        line_kwargs: dict | None = None,
    ) -> StatesDisplay:
        """Decode a fitted hidden Markov model on ``X`` and draw it.

        Parameters
        ----------
        estimator : fitted HiddenMarkovModel
        X : array-like of shape (n_samples, n_features)
        lengths : array-like of int, default=None
            Lengths of the sequences in ``X`` (None: one sequence).
        feature : int, default=0
            The column drawn in the top panel.
        algorithm : {"viterbi", "map"} or None, default=None
            How the states are decoded; None: the estimator's ``algorithm``.
        axes : sequence of two matplotlib Axes, default=None
            The series and posterior panels; a new figure when None.
        line_kwargs : dict, default=None
            Keyword arguments of the series line.

        Returns
        -------
        display : StatesDisplay
        """
        check_matplotlib()
        check_is_fitted(estimator)
        if not (hasattr(estimator, "transmat_") and hasattr(estimator, "decode")):
            raise TypeError(f"{type(estimator).__name__} is not a hidden Markov model")
        arr = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X, dtype=float)
        if arr.ndim == 1:
            arr = arr[:, None]
        j = int(feature)
        if not 0 <= j < arr.shape[1]:
            raise ValueError(f"feature must be in [0, {arr.shape[1]}), got {feature}")
        _, states = estimator.decode(X, lengths=lengths, algorithm=algorithm)
        posteriors = estimator.predict_proba(X, lengths=lengths)
        boundaries = None
        if lengths is not None:
            boundaries = np.cumsum(np.asarray(lengths, dtype=int))[:-1]
        names = getattr(estimator, "feature_names_in_", None)
        disp = cls(series=arr[:, j], states=np.asarray(states), posteriors=posteriors,
                   boundaries=boundaries,
                   feature_name=str(names[j]) if names is not None else f"x{j}")
        return disp.plot(axes=axes, line_kwargs=line_kwargs)

    def plot(self, axes=None, *, line_kwargs=None):
        """Draw the two panels.

        Parameters
        ----------
        axes : sequence of two matplotlib Axes, default=None
        line_kwargs : dict, default=None
            Keyword arguments of the series line.

        Returns
        -------
        display : StatesDisplay
        """
        plt = check_matplotlib()
        if axes is None:
            fig, axes = plt.subplots(2, 1, sharex=True, figsize=(10, 5),
                                     height_ratios=(2, 1), layout="constrained")
        else:
            axes = list(axes)
            if len(axes) != 2:
                raise ValueError(f"axes must be two matplotlib Axes, got {len(axes)}")
            fig = axes[0].figure
        top, bottom = axes
        t = np.arange(len(self.series))
        k = self.posteriors.shape[1]
        style = {"color": "0.2", "linewidth": 1.0} | dict(line_kwargs or {})
        (self.series_line_,) = top.plot(t, self.series, **style)
        lo, hi = float(np.min(self.series)), float(np.max(self.series))
        pad = 0.05 * (hi - lo if hi > lo else 1.0)
        # one collection per state: a bar over each run of rows decoded as that state
        self.state_fills_ = [
            top.broken_barh(_runs(self.states == s), (lo - pad, hi - lo + 2 * pad),
                            color=f"C{s % 10}", alpha=0.25, linewidth=0,
                            label=f"state {s}")
            for s in range(k)
        ]
        top.set_ylim(lo - pad, hi + pad)
        top.set_ylabel(self.feature_name)
        top.set_title("Series and decoded states")
        top.legend(loc="upper right", ncols=min(k, 6), fontsize="small")
        cum = np.hstack([np.zeros((len(t), 1)), np.cumsum(self.posteriors, axis=1)])
        self.posterior_fills_ = [
            bottom.fill_between(t, cum[:, s], cum[:, s + 1], step="mid",
                                color=f"C{s % 10}", alpha=0.8, linewidth=0)
            for s in range(k)
        ]
        bottom.set_ylim(0, 1)
        bottom.set_ylabel("P(state | data)")
        bottom.set_xlabel("row")
        for b in [] if self.boundaries is None else self.boundaries:
            for ax in (top, bottom):
                ax.axvline(b - 0.5, color="black", linewidth=1, linestyle="--")
        self.ax_, self.figure_ = np.array([top, bottom], dtype=object), fig
        return self


def _runs(mask):
    """``(start - 0.5, length)`` of each run of True in ``mask``."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(int)))
    starts, stops = edges[::2], edges[1::2]
    return [(float(a) - 0.5, float(b - a)) for a, b in zip(starts, stops)]
