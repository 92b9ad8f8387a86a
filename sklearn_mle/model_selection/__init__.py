"""Model selection: information criteria, likelihood-ratio comparisons, distribution ranking."""

from ._compare import VuongResult, compare_models, vuong_test
from ._gof import GoodnessOfFit, goodness_of_fit
from ._ranking import (
    FAMILIES,
    DistributionFit,
    Family,
    column_domain,
    rank_distributions,
    resolve_families,
)
from ._search import GridSearchIC
from ._tables import parameter_frame, ranking_frame
from ._text import format_ranking

__all__ = [
    "FAMILIES",
    "DistributionFit",
    "Family",
    "GoodnessOfFit",
    "GridSearchIC",
    "VuongResult",
    "column_domain",
    "compare_models",
    "format_ranking",
    "goodness_of_fit",
    "parameter_frame",
    "rank_distributions",
    "ranking_frame",
    "resolve_families",
    "vuong_test",
]
