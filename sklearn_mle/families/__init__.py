"""Families: the public, stateless protocol every estimator is built on.

A family computes sufficient statistics in one pass (:meth:`Family.stats`), finds
their mode (:meth:`Family.mode`: the MLE, or the MAP with a prior's pseudo-statistics
added), and evaluates the log-likelihood, observed information, log-density,
samples and frozen ``scipy.stats`` distributions. Distribution estimators, mixtures,
hidden Markov models and naive Bayes use families through this protocol only.

Examples
--------
>>> import numpy as np
>>> from sklearn_mle.families import Poisson
>>> from sklearn_mle.priors import Gamma
>>> fam = Poisson()
>>> s = fam.stats(np.array([[2.0], [3.0], [1.0], [4.0], [0.0]]))
>>> float(fam.mode(s)["rate"][0])                                  # MLE: the mean
2.0
>>> float(fam.mode(s + Gamma(3, 1).pseudo_stats(fam, 1))["rate"][0])  # MAP
2.0
"""

from .._engine.rules import DomainError
from ._protocol import Family, ModeResult
from ._stats import CentredStats, DataStats, Stats
from .beta import Beta
from .binary import Bernoulli, Binomial, Geometric, SuccessFailure
from .categorical import Categorical, CategoryStats
from .exponential import Exponential
from .gamma import Gamma
from .gaussian import Gaussian, GaussianStats
from .lognormal import LogNormal
from .multinomial import Multinomial, MultinomialStats
from .negative_binomial import NegativeBinomial
from .poisson import Poisson
from .student_t import StudentT
from .weibull import Weibull

__all__ = [
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "CategoryStats",
    "CentredStats",
    "DataStats",
    "DomainError",
    "Exponential",
    "Family",
    "Gamma",
    "Gaussian",
    "GaussianStats",
    "Geometric",
    "LogNormal",
    "ModeResult",
    "Multinomial",
    "MultinomialStats",
    "NegativeBinomial",
    "Poisson",
    "Stats",
    "StudentT",
    "SuccessFailure",
    "Weibull",
]
