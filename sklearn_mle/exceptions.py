"""Every warning class of the package, in one place.

Each warning says in words what happened and what to do about it. They derive from
``UserWarning`` (so they show by default) except :class:`ConvergenceWarning` and
:class:`FitFailedWarning` (what a search emits for a candidate it cannot rank), which
are scikit-learn's own classes so that ``warnings.filterwarnings`` on sklearn's warning
also silences ours.
"""

from __future__ import annotations

from sklearn.exceptions import ConvergenceWarning, FitFailedWarning

__all__ = [
    "BoundaryWarning",
    "ComponentCollapseWarning",
    "ConvergenceWarning",
    "FitFailedWarning",
    "InferenceWarning",
    "NumericalRangeWarning",
    "SeparationWarning",
]


class BoundaryWarning(UserWarning):
    """The MLE lies on the boundary of the parameter space (e.g. all-zero counts)."""


class InferenceWarning(UserWarning):
    """Standard errors could not be computed for some parameters (information singular)."""


class SeparationWarning(UserWarning):
    """The MLE does not exist: the classes (or a zero-count group) are separated."""


class ComponentCollapseWarning(UserWarning):
    """A mixture component collapsed: its likelihood has no finite maximum."""


class NumericalRangeWarning(UserWarning, RuntimeWarning):
    """A result lies beyond the float64 range (returned as ``inf``), e.g. draws of a
    fitted distribution whose values exceed about 1.8e308: rescale the data.

    Also a ``RuntimeWarning``, the category NumPy gives the same overflow.
    """
