"""Distribution estimators: fit a probability distribution to each column of X."""

from ..exceptions import BoundaryWarning
from ..families._stats import CentredStats, DataStats, Stats
from ._base import DistributionMLE
from ._beta import BetaMLE
from ._binomial import BinomialMLE
from ._categorical import CategoricalMLE
from ._counts import BernoulliMLE, PoissonMLE
from ._exponential import ExponentialMLE, GeometricMLE
from ._gamma import GammaMLE
from ._gaussian import GaussianMLE
from ._lognormal import LogNormalMLE
from ._multinomial import MultinomialMLE
from ._negative_binomial import NegativeBinomialMLE
from ._shifted_mle import ShiftedMLE
from ._student_t import StudentTMLE
from ._weibull import WeibullMLE

__all__ = [
    "BernoulliMLE",
    "BetaMLE",
    "BinomialMLE",
    "BoundaryWarning",
    "CategoricalMLE",
    "CentredStats",
    "DataStats",
    "DistributionMLE",
    "ExponentialMLE",
    "GammaMLE",
    "GaussianMLE",
    "GeometricMLE",
    "LogNormalMLE",
    "MultinomialMLE",
    "NegativeBinomialMLE",
    "PoissonMLE",
    "ShiftedMLE",
    "Stats",
    "StudentTMLE",
    "WeibullMLE",
]
