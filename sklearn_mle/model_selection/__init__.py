"""Model selection: rank distribution families by an information criterion."""

from ._ranking import FAMILIES, DistributionFit, Family, column_domain, rank_distributions

__all__ = ["FAMILIES", "DistributionFit", "Family", "column_domain", "rank_distributions"]
