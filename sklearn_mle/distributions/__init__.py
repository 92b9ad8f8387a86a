"""Distribution estimators: fit a probability distribution to each column of X."""

from ._base import BoundaryWarning, DistributionMLE
from ._counts import BernoulliMLE, PoissonMLE
from ._gaussian import GaussianMLE
from ._stats import CentredStats, DataStats, Stats

__all__ = [
    "BernoulliMLE",
    "BoundaryWarning",
    "CentredStats",
    "DataStats",
    "DistributionMLE",
    "GaussianMLE",
    "PoissonMLE",
    "Stats",
]
