"""Conditional models: logistic (binary and multinomial), Poisson, negative binomial
and linear regression.

One GLM core (a family, a Newton solver with the exact Hessian in row blocks) behind
three estimators with statsmodels-grade inference and MAP priors.
"""

from ..exceptions import SeparationWarning
from ._linear import MLELinearRegression
from ._logistic import MLELogisticRegression
from ._negative_binomial import MLENegativeBinomialRegression
from ._poisson import MLEPoissonRegression

__all__ = [
    "MLELinearRegression",
    "MLELogisticRegression",
    "MLENegativeBinomialRegression",
    "MLEPoissonRegression",
    "SeparationWarning",
]
