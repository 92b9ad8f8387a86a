"""Model selection: information criteria, likelihood-ratio comparisons, distribution ranking."""

from ._ranking import FAMILIES, DistributionFit, Family, column_domain, rank_distributions
from ._search import GridSearchIC

__all__ = [
    "FAMILIES",
    "DistributionFit",
    "Family",
    "GridSearchIC",
    "column_domain",
    "rank_distributions",
]
