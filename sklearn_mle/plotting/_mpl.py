"""The one place matplotlib is imported: lazily, so ``import sklearn_mle`` never needs it."""

from __future__ import annotations

_MISSING = (
    "sklearn_mle.plotting needs matplotlib, which is not installed. Install the "
    "'plot' extra: pip install 'sklearn-mle[plot]' (or pip install matplotlib)."
)


def check_matplotlib():
    """``matplotlib.pyplot``, or an ImportError that names the ``plot`` extra."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError(_MISSING) from err
    return plt


def figure_and_axes(ax):
    """``(figure, ax)``: a new figure and axes when ``ax`` is None, else ``ax``'s figure."""
    plt = check_matplotlib()
    if ax is None:
        fig, ax = plt.subplots()
        return fig, ax
    return ax.figure, ax


def estimator_label(est) -> str:
    """A legend label for a fitted estimator: its class name."""
    return type(est).__name__
