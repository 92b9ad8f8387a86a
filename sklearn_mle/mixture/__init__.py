"""Mixture models fitted by EM: ``GaussianMixture`` and ``MixtureMLE`` over any family."""

from ._base import BaseEM, ComponentCollapseWarning
from ._gaussian import GaussianMixture

__all__ = ["BaseEM", "ComponentCollapseWarning", "GaussianMixture"]
