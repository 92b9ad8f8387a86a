"""Priors for MAP estimation: ``prior=`` on every estimator.

Conjugate priors (``Beta``, ``Gamma``, ``Dirichlet``, ``NormalInverseGamma``) give the
posterior mode in closed form through pseudo-statistics; elementwise priors
(``Normal``) add their log-density, gradient and curvature to the objective.
"""

from ._base import Prior
from ._coefficient import Cauchy, Jeffreys, Laplace, StudentT
from ._conjugate import Beta, Dirichlet, Gamma, Normal, NormalInverseGamma
from ._wishart import NormalInverseWishart

__all__ = [
    "Beta",
    "Cauchy",
    "Dirichlet",
    "Gamma",
    "Jeffreys",
    "Laplace",
    "Normal",
    "NormalInverseGamma",
    "NormalInverseWishart",
    "Prior",
    "StudentT",
]
