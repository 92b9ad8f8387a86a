"""Inference tools: summary tables, likelihood-ratio tests, covariance helpers."""

from ..exceptions import InferenceWarning
from ._lrt import LikelihoodRatioResult, likelihood_ratio_test
from ._summary import Summary
from ._utils import cov_from_information

__all__ = [
    "InferenceWarning",
    "LikelihoodRatioResult",
    "Summary",
    "cov_from_information",
    "likelihood_ratio_test",
]
