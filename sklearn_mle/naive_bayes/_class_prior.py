"""The class probabilities of :class:`GenerativeClassifier`: fixed, uniform, their MLE
(the weighted class frequencies) or their MAP under a Dirichlet prior."""

from __future__ import annotations

import numpy as np

from ..priors import Dirichlet

__all__ = ["class_probabilities"]


def class_probabilities(class_prior, priors_fit, counts):
    """The class probabilities and their number of free parameters, from the weighted
    class ``counts`` (see ``GenerativeClassifier``'s ``class_prior``, ``priors_fit``)."""
    k = counts.size
    prior = class_prior
    if prior is not None and not isinstance(prior, Dirichlet):
        p = np.asarray(prior, dtype=float).ravel()
        if p.size != k:
            raise ValueError(f"class_prior has {p.size} probabilities for {k} classes")
        if np.any(p < 0) or not np.isclose(p.sum(), 1.0):
            raise ValueError("class_prior must be non-negative and sum to 1, got "
                             f"{p.tolist()!r}")
        return p, 0
    if priors_fit == "uniform":
        if prior is not None:
            raise ValueError("priors_fit='uniform' fixes the class probabilities; it "
                             "does not take class_prior=Dirichlet(...)")
        return np.full(k, 1.0 / k), 0
    if prior is not None:
        alpha = prior.concentrations(k, where="the classes") - 1.0
        num = counts + alpha
        if np.any(num < 0):
            raise ValueError(
                "class_prior=Dirichlet(alpha) with alpha < 1 has no MAP for a class "
                "without rows: use alpha >= 1"
            )
        return num / num.sum(), k - 1
    return counts / counts.sum(), k - 1
