"""Mixture models fitted by EM: ``GaussianMixture`` and ``MixtureMLE`` over any family."""

from ..exceptions import ComponentCollapseWarning
from ._base import BaseEM
from ._emission import Emission
from ._gaussian import GaussianMixture
from ._mixture_mle import MixtureMLE

__all__ = ["BaseEM", "ComponentCollapseWarning", "Emission", "GaussianMixture", "MixtureMLE"]
