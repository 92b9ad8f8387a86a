"""Scoring, decoding and sampling of a fitted :class:`HiddenMarkovModel`."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._engine.dask import is_dask
from . import _estep

__all__ = ["HMMScoringMixin"]


class HMMScoringMixin:
    """``log_likelihood``, ``score``, ``score_samples``, ``aic``/``bic``,
    ``predict_proba``, ``decode``, ``predict`` and ``sample`` of a fitted HMM (its
    ``_sequences``, ``_e_step``, ``_emission`` and ``_params`` come from the model)."""

    # --------------------------------------------------------------- scoring
    def _log_prob(self, X):
        return _estep.log_prob_rows(self._emission, X, self._params, self.n_jobs)

    def _forward(self, X, bounds):
        return _estep.run_forward(self._log_prob(X), bounds, self.startprob_,
                                  self.transmat_, n_jobs=self.n_jobs)

    def log_likelihood(self, X, lengths=None, sequence_ids=None) -> np.ndarray:
        """Log-likelihood of each sequence (``-inf`` for an impossible sequence).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        lengths : array-like of int, default=None
        sequence_ids : array-like of shape (n_samples,), default=None

        Returns
        -------
        ndarray of shape (n_sequences,)
        """
        if is_dask(X):  # one reduction
            return self._dask_log_likelihood(X, lengths, sequence_ids)
        X, bounds = self._sequences(X, lengths, sequence_ids)
        return self._forward(X, bounds)[0]

    def score_samples(self, X, lengths=None, sequence_ids=None) -> np.ndarray:
        """Each row's one-step-ahead predictive log-density
        ``log p(x_t | x_1, ..., x_{t-1})``; a sequence's values sum to its
        log-likelihood.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        lengths : array-like of int, default=None
        sequence_ids : array-like of shape (n_samples,), default=None

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        if is_dask(X):  # lazy
            return self._dask_score_samples(X, lengths, sequence_ids)
        X, bounds = self._sequences(X, lengths, sequence_ids)
        return self._forward(X, bounds)[1]

    def score(self, X, y=None, lengths=None, sequence_ids=None) -> float:
        """Mean log-likelihood per row (hmmlearn's ``score`` is the total).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.
        lengths : array-like of int, default=None
        sequence_ids : array-like of shape (n_samples,), default=None

        Returns
        -------
        float
        """
        ll = self.log_likelihood(X, lengths, sequence_ids)
        return float(ll.sum() / _num_rows(X))

    def _total_loglik(self, X, y=None, lengths=None, sequence_ids=None):
        return float(self.log_likelihood(X, lengths, sequence_ids).sum())

    def aic(self, X, y=None, lengths=None, sequence_ids=None) -> float:
        """Akaike information criterion, ``-2 log L + 2 n_params_``, on ``X``."""
        return float(-2.0 * self._total_loglik(X, None, lengths, sequence_ids)
                     + 2.0 * self.n_params_)

    def bic(self, X, y=None, lengths=None, sequence_ids=None) -> float:
        """Bayesian information criterion, ``-2 log L + n_params_ log n_samples``."""
        return float(-2.0 * self._total_loglik(X, None, lengths, sequence_ids)
                     + np.log(_num_rows(X)) * self.n_params_)

    def predict_proba(self, X, lengths=None, sequence_ids=None) -> np.ndarray:
        """Posterior probability of each state at each row (forward-backward).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        lengths : array-like of int, default=None
        sequence_ids : array-like of shape (n_samples,), default=None

        Returns
        -------
        ndarray of shape (n_samples, n_components)
        """
        if is_dask(X):  # lazy: one block per chunk of whole sequences
            return self._dask_predict_proba(X, lengths, sequence_ids)
        X, bounds = self._sequences(X, lengths, sequence_ids)
        return self._e_step(X, bounds, None, self.startprob_, self.transmat_,
                            self._params)[2]

    def decode(self, X, lengths=None, sequence_ids=None, algorithm=None):
        """The hidden states of X and their log-probability.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        lengths : array-like of int, default=None
        sequence_ids : array-like of shape (n_samples,), default=None
        algorithm : {"viterbi", "map"} or None
            None: the estimator's ``algorithm``.

        Returns
        -------
        log_prob : float
            ``"viterbi"``: the total log-probability of the best paths; ``"map"``: the
            total log-likelihood of X.
        states : ndarray of shape (n_samples,)
        """
        algorithm = self.algorithm if algorithm is None else algorithm
        if algorithm not in ("viterbi", "map"):
            raise ValueError(f"algorithm must be 'viterbi' or 'map', got {algorithm!r}")
        if is_dask(X):
            raise ValueError("HiddenMarkovModel.decode on a Dask array: use predict (lazy "
                             "states) and log_likelihood (one reduction)")
        X, bounds = self._sequences(X, lengths, sequence_ids)
        if algorithm == "map":
            total, _, gamma, _, _ = self._e_step(X, bounds, None, self.startprob_,
                                                 self.transmat_, self._params)
            return total, gamma.argmax(axis=1)
        lp = self._log_prob(X)
        best, states = _estep.run_viterbi(lp, bounds, self.startprob_, self.transmat_,
                                          n_jobs=self.n_jobs)
        return float(best.sum()), states

    def predict(self, X, lengths=None, sequence_ids=None) -> np.ndarray:
        """The hidden state of each row (Viterbi path or MAP states, per ``algorithm``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        lengths : array-like of int, default=None
        sequence_ids : array-like of shape (n_samples,), default=None

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        if is_dask(X):  # lazy: one block per chunk of whole sequences
            check_is_fitted(self)
            return self._dask_predict(X, lengths, sequence_ids, self.algorithm)
        return self.decode(X, lengths, sequence_ids)[1]

    # ------------------------------------------------------------- sampling
    def sample(self, n_samples: int = 1, random_state=None):
        """Draw one sequence from the fitted model.

        The state path takes one uniform per step (compiled loop); the emissions are
        drawn state by state, all rows of a state at once.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None
            None: the estimator's ``random_state``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        states : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        if int(n_samples) < 1:
            raise ValueError(f"n_samples must be >= 1, got {n_samples}")
        rng = check_random_state(self.random_state if random_state is None else random_state)
        states = _estep.sample_states(self.startprob_, self.transmat_, int(n_samples), rng)
        X = None
        for j in range(self.n_components):
            rows = np.flatnonzero(states == j)
            if rows.size == 0:
                continue
            draw = np.asarray(self._emission.sample(self._params[j], rows.size, rng))
            if X is None:
                X = np.empty((int(n_samples),) + draw.shape[1:], dtype=draw.dtype)
            X[rows] = draw
        return X, states


def _num_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)
