"""Exponential families with their canonical links, as the GLM solver sees them.

A family maps the linear predictor ``eta`` of each row to

- ``loglik(y, eta)``: the per-row log-likelihood (normalising constants included);
- ``score(y, eta)``: ``d loglik / d eta`` per row;
- ``hess(eta)``: ``-d^2 loglik / d eta^2`` per row (the variance function, as every
  link here is canonical, so observed and expected information coincide);
- ``dvar_ratio(eta)``: ``v'(eta) / v(eta)``, used by Firth's (Jeffreys) correction;
- ``check_y(y)``: the valid range of ``y``, a ValueError naming the rule otherwise.

The multinomial family works on ``eta`` of shape ``(n, K - 1)`` (reference category
``0`` has ``eta = 0``); its ``hess`` returns ``(n, K - 1, K - 1)``.
"""

from __future__ import annotations

import numpy as np
from scipy import special


class Binomial:
    """Bernoulli outcomes ``y in {0, 1}`` with the logit link."""

    name = "binomial"
    n_outputs = 1

    @staticmethod
    def check_y(y, estimator):
        if np.any((y != 0) & (y != 1)):
            raise ValueError(f"{estimator}: y must be binary (0/1) for the binomial family")

    @staticmethod
    def mean(eta):
        return special.expit(eta)

    @staticmethod
    def loglik(y, eta):
        # y*eta - log(1 + e^eta), computed without overflow
        return y * eta - np.logaddexp(0.0, eta)

    @staticmethod
    def score(y, eta):
        return y - special.expit(eta)

    @staticmethod
    def hess(eta):
        mu = special.expit(eta)
        return mu * (1.0 - mu)

    @staticmethod
    def dvar_ratio(eta):
        return 1.0 - 2.0 * special.expit(eta)

    @staticmethod
    def init_eta(y, w, offset):
        ybar = np.average(y, weights=w)
        ybar = min(max(ybar, 1e-3), 1 - 1e-3)
        return float(np.log(ybar / (1 - ybar)))


class Poisson:
    """Counts ``y in {0, 1, 2, ...}`` with the log link."""

    name = "poisson"
    n_outputs = 1

    @staticmethod
    def check_y(y, estimator):
        bad = np.flatnonzero(~(y >= 0))
        if bad.size:
            i = bad[0]
            raise ValueError(
                f"{estimator}: y has value {float(y[i])!r} at row {i}; Poisson counts must be "
                "non-negative (non-integer values are allowed as a quasi-likelihood, as in "
                "statsmodels and scikit-learn)"
            )

    @staticmethod
    def mean(eta):
        return np.exp(eta)

    @staticmethod
    def loglik(y, eta):
        return y * eta - np.exp(eta) - special.gammaln(y + 1.0)

    @staticmethod
    def score(y, eta):
        return y - np.exp(eta)

    @staticmethod
    def hess(eta):
        return np.exp(eta)

    @staticmethod
    def dvar_ratio(eta):
        return np.ones_like(eta)

    @staticmethod
    def init_eta(y, w, offset):
        ybar = max(np.average(y, weights=w), 1e-10)
        if offset is None:
            return float(np.log(ybar))
        expo = np.average(np.exp(offset), weights=w)
        return float(np.log(ybar / expo))


class Multinomial:
    """Categorical outcomes coded ``0..K-1`` (one-hot ``Y``), reference category 0."""

    name = "multinomial"

    def __init__(self, n_classes):
        self.n_classes = n_classes
        self.n_outputs = n_classes - 1

    @staticmethod
    def _full(eta):
        return np.concatenate([np.zeros((eta.shape[0], 1)), eta], axis=1)

    def proba(self, eta):
        full = self._full(eta)
        return np.exp(full - special.logsumexp(full, axis=1, keepdims=True))

    def loglik(self, Y, eta):
        full = self._full(eta)
        return (Y[:, 1:] * eta).sum(axis=1) - special.logsumexp(full, axis=1)

    def score(self, Y, eta):
        return Y[:, 1:] - self.proba(eta)[:, 1:]

    def hess(self, eta):
        p = self.proba(eta)[:, 1:]
        h = -p[:, :, None] * p[:, None, :]
        idx = np.arange(p.shape[1])
        h[:, idx, idx] += p
        return h

    def init_eta(self, Y, w, offset):
        freq = np.clip(np.average(Y, axis=0, weights=w), 1e-3, None)
        return np.log(freq[1:] / freq[0])
