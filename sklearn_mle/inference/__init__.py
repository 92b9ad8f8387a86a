"""Inference tools: summary tables, likelihood-ratio and Wald tests, sandwich
covariances, the delta method, prediction intervals and the bootstrap."""

from ..exceptions import InferenceWarning
from ._delta import DeltaMethodResult, numerical_jacobian
from ._lrt import LikelihoodRatioResult, chi_bar_squared_sf, likelihood_ratio_test
from ._prediction import PredictionResult
from ._robust import COV_TYPES, sandwich_cov
from ._summary import Summary
from ._utils import cov_from_information
from ._wald import ContrastResult, WaldTestResult, parse_hypotheses

__all__ = [
    "COV_TYPES",
    "ContrastResult",
    "DeltaMethodResult",
    "InferenceWarning",
    "LikelihoodRatioResult",
    "PredictionResult",
    "Summary",
    "WaldTestResult",
    "chi_bar_squared_sf",
    "cov_from_information",
    "likelihood_ratio_test",
    "numerical_jacobian",
    "parse_hypotheses",
    "sandwich_cov",
]
