"""The bootstrap of a hidden Markov model keeps the chain: it never resamples rows.

The shared bootstrap (:class:`~sklearn_mle.inference._bootstrap_mixin.BootstrapMixin`)
draws rows with replacement, which for an HMM would destroy the dependence between
neighbouring rows (a switch between regimes becomes a row-level coin flip, and a
transition probability of 0.99999 reads as 0.5). This mixin overrides its hooks:

- with several sequences (``lengths`` or ``sequence_ids``), whole sequences are drawn
  with replacement (their weights with them);
- with one sequence, or when asked (``parametric=True``), each replicate is simulated
  from the fitted model with the training data's sequence lengths (parametric
  bootstrap);
- the BCa acceleration's jackknife leaves whole sequences out, or for one sequence
  contiguous blocks of it (each fit sees the remaining blocks as sequences).

States are matched to the fit's before the intervals are taken (the shared
Hungarian matcher, rows and columns of the transition matrix permuted together).
"""

from __future__ import annotations

import numpy as np

from ..inference import _bootstrap as boot
from ._sequences import sequence_bounds, sequence_weights

__all__ = ["HMMBootstrapMixin"]

# contiguous blocks of a single sequence for the BCa acceleration's jackknife
_JACKKNIFE_BLOCKS = 20


def _num_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


class HMMBootstrapMixin:
    """Bootstrap hooks of :class:`HiddenMarkovModel` (whole sequences, or simulation)."""

    def _boot_sequences(self, X, fit_params):
        """``(lengths, per-row weights or None, other fit arguments)`` of the data."""
        if X is None:
            raise ValueError(
                f"{type(self).__name__} does not keep its training data: pass it, "
                "conf_int(method='bootstrap', X=X, lengths=lengths)")
        rest = dict(fit_params)
        bounds = sequence_bounds(_num_rows(X), rest.pop("lengths", None),
                                 rest.pop("sequence_ids", None))
        wseq = sequence_weights(rest.pop("sample_weight", None), np.asarray(X), bounds)
        lengths = np.diff(bounds)
        wrow = None if wseq is None else np.repeat(wseq, lengths)
        return lengths, wrow, rest

    def _bootstrap_setup(self, X, y, fit_params):
        lengths, wrow, rest = self._boot_sequences(X, fit_params)
        kw = dict(rest, lengths=lengths)
        if wrow is not None:
            kw["sample_weight"] = wrow  # drawn with the rows of their sequences

        def simulate(rng):
            draws = [self.sample(int(m), random_state=int(rng.integers(2**31 - 1)))[0]
                     for m in lengths]
            sim = dict(rest, lengths=lengths)
            if wrow is not None:
                sim["sample_weight"] = wrow
            return [np.concatenate(draws)], sim

        return [X], kw, simulate

    def bootstrap_replicates(self, n_boot: int = 999, *, X=None, y=None,
                             parametric: bool = False, random_state=None, n_jobs=None,
                             **fit_params) -> np.ndarray:
        """Bootstrap replicates of ``estimates_``, shape ``(n_ok, n_free_params)``.

        Whole sequences (``lengths`` or ``sequence_ids``) are drawn with replacement,
        never single rows. A single sequence cannot be resampled that way, so its
        replicates are simulated from the fitted model (the parametric bootstrap), as
        with ``parametric=True``. States are matched to this fit's.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle import PoissonMLE
        >>> from sklearn_mle.hmm import HiddenMarkovModel
        >>> rng = np.random.default_rng(0)
        >>> X = np.r_[rng.poisson(2, (100, 1)), rng.poisson(9, (100, 1))]
        >>> hmm = HiddenMarkovModel(PoissonMLE(), random_state=0).fit(X)
        >>> reps = hmm.bootstrap_replicates(5, X=X, random_state=0)
        >>> reps.shape
        (5, 5)
        """
        if not parametric and X is not None:
            lengths, _, _ = self._boot_sequences(X, fit_params)
            parametric = lengths.size == 1
        return super().bootstrap_replicates(n_boot, X=X, y=y, parametric=parametric,
                                            random_state=random_state, n_jobs=n_jobs,
                                            **fit_params)

    def _bootstrap_interval(self, alpha, X, y, n_boot, kind, parametric, random_state,
                            n_jobs, fit_params):
        if kind != "bca" or X is None:
            return super()._bootstrap_interval(alpha, X, y, n_boot, kind, parametric,
                                               random_state, n_jobs, fit_params)
        if int(n_boot) < 2:
            raise ValueError(f"n_boot must be at least 2, got {n_boot!r}")
        lengths, wrow, rest = self._boot_sequences(X, fit_params)
        reps = self.bootstrap_replicates(n_boot, X=X, y=y, parametric=parametric,
                                         random_state=random_state, n_jobs=n_jobs,
                                         **fit_params)
        if lengths.size == 1:  # contiguous blocks of the one sequence, as sequences
            n = int(lengths[0])
            g = max(3, min(_JACKKNIFE_BLOCKS, n // max(2 * self.n_components, 10)))
            lengths = np.diff(np.linspace(0, n, g + 1).astype(int))
        kw = dict(rest, lengths=lengths)
        if wrow is not None:
            kw["sample_weight"] = wrow
        jack = self._align(boot.jackknife(self._bootstrap_template(), [X], kw))
        return boot.bca_interval(reps, self.estimates_, jack, alpha)
