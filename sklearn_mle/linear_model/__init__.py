"""Conditional models: logistic (binary and multinomial), Poisson and linear regression.

One GLM core (a family, a Newton solver with the exact Hessian in row blocks) behind
three estimators with statsmodels-grade inference and MAP priors.
"""

from ..exceptions import SeparationWarning
from ._linear import MLELinearRegression
from ._logistic import MLELogisticRegression
from ._poisson import MLEPoissonRegression

__all__ = [
    "MLELinearRegression",
    "MLELogisticRegression",
    "MLEPoissonRegression",
    "SeparationWarning",
]
