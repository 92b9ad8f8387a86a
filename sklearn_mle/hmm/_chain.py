"""The Markov chain's side of :class:`HiddenMarkovModel`: its Dirichlet priors,
given start values and the log-prior of a parameter set."""

from __future__ import annotations

import numpy as np

from ..priors import Dirichlet

__all__ = ["HMMChainMixin"]


class HMMChainMixin:
    """``_check_prior`` (pseudo-counts of the start and transition priors),
    ``_check_probabilities`` (given start values) and ``_log_prior``."""

    def _check_prior(self):
        k = self.n_components
        prior = self.prior
        if isinstance(prior, dict):
            unknown = set(prior) - {"startprob", "transmat"}
            if unknown:
                raise ValueError(f"prior: unknown keys {sorted(unknown)}; use 'startprob' "
                                 "and 'transmat'")
            parts = {key: prior.get(key) for key in ("startprob", "transmat")}
        else:
            parts = {"startprob": prior, "transmat": prior}
        pseudo = {}
        for key, p in parts.items():
            if p is None:
                pseudo[key] = np.zeros(k)
                continue
            if not isinstance(p, Dirichlet):
                raise ValueError(f"prior['{key}'] must be a Dirichlet prior or None, got {p!r}")
            a = np.asarray(p.alpha, dtype=float)
            if a.ndim and a.shape != (k,):
                raise ValueError(f"prior['{key}']: Dirichlet alpha needs a scalar or one value "
                                 f"per state ({k}), got shape {a.shape}")
            if np.any(a < 1):
                raise ValueError(f"prior['{key}']: Dirichlet alpha must be >= 1 for the "
                                 f"posterior mode to exist, got {p.alpha!r}")
            pseudo[key] = np.broadcast_to(a, (k,)) - 1.0
        self._priors = parts
        self._pseudo_start, self._pseudo_trans = pseudo["startprob"], pseudo["transmat"]

    @staticmethod
    def _check_probabilities(name, value, shape):
        p = np.asarray(value, dtype=float)
        if p.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {p.shape}")
        if not np.all(np.isfinite(p)) or np.any(p < 0):
            raise ValueError(f"{name} must be finite and non-negative")
        sums = p.sum(axis=-1)
        if not np.allclose(sums, 1.0, rtol=0, atol=1e-8):
            raise ValueError(f"{name}: every row must sum to 1, got sums {sums}")
        return p / sums[..., None] if p.ndim == 2 else p / sums

    def _log_prior(self, startprob, transmat, params):
        lp = self._emission.log_prior(params)
        if self._priors["startprob"] is not None:
            lp += float(self._priors["startprob"].logpdf(startprob))
        if self._priors["transmat"] is not None:
            lp += float(sum(self._priors["transmat"].logpdf(row) for row in transmat))
        return lp
