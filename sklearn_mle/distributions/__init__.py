"""Distribution estimators: fit a probability distribution to each column of X."""

from ._base import BoundaryWarning, DistributionMLE
from ._binomial import BinomialMLE
from ._categorical import CategoricalMLE
from ._counts import BernoulliMLE, PoissonMLE
from ._exponential import ExponentialMLE, GeometricMLE
from ._gaussian import GaussianMLE
from ._lognormal import LogNormalMLE
from ._stats import CentredStats, DataStats, Stats

__all__ = [
    "BernoulliMLE",
    "BinomialMLE",
    "BoundaryWarning",
    "CategoricalMLE",
    "CentredStats",
    "DataStats",
    "DistributionMLE",
    "ExponentialMLE",
    "GaussianMLE",
    "GeometricMLE",
    "LogNormalMLE",
    "PoissonMLE",
    "Stats",
]
