"""Plots of fitted models: Display objects in scikit-learn's conventions.

Every display is built with a ``from_estimator`` (or ``from_estimators`` /
``from_search``) class method, draws with ``plot(ax=...)`` and keeps ``ax_``,
``figure_`` and its artists. matplotlib is imported only when a plot is drawn:
``import sklearn_mle`` never needs it, and a missing matplotlib gives one ImportError
naming the ``plot`` extra (``pip install 'sklearn-mle[plot]'``).
"""

from ._coefficients import CoefficientDisplay
from ._criteria import InformationCriterionDisplay
from ._distribution import DistributionFitDisplay, plot_fit_diagnostics
from ._mixture import MixtureDisplay
from ._profile import ProfileLikelihoodDisplay
from ._states import StatesDisplay

__all__ = [
    "CoefficientDisplay",
    "DistributionFitDisplay",
    "InformationCriterionDisplay",
    "MixtureDisplay",
    "ProfileLikelihoodDisplay",
    "StatesDisplay",
    "plot_fit_diagnostics",
]
