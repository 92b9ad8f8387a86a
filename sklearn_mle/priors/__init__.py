"""Priors for MAP estimation: ``prior=`` on every estimator.

Conjugate priors (``Beta``, ``Gamma``, ``Dirichlet``, ``NormalInverseGamma``) give the
posterior mode in closed form through pseudo-statistics; elementwise priors
(``Normal``) add their log-density, gradient and curvature to the objective.
"""

from ._base import Prior
from ._conjugate import Beta, Dirichlet, Gamma, Normal, NormalInverseGamma

__all__ = ["Beta", "Dirichlet", "Gamma", "Normal", "NormalInverseGamma", "Prior"]
