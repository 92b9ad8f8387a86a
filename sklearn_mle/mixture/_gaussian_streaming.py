"""Stepwise (online) EM for GaussianMixture: ``partial_fit`` on mini-batches.

A mixin of :class:`~sklearn_mle.mixture.GaussianMixture`: it drives the mixture's own
E-step (``_em_pass``), M-step (``_m_step``) and initialisation on each batch and
keeps the running per-unit-weight statistics between calls.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from .._engine.dask import is_dask
from ..inference._lazy import LAZY_INFERENCE

__all__ = ["StepwiseEMMixin"]


class StepwiseEMMixin:
    """``partial_fit`` by stepwise EM (Cappé & Moulines 2009) for a mixture whose
    statistics scale (``stats.scaled``) and add."""

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the mixture with one mini-batch by stepwise (online) EM.

        The first call initialises on the batch (``init_params``) and sets the
        running statistics; after :meth:`fit` it starts from the fitted parameters
        instead (no new initialisation; batches must have the fitted number of
        features), whose E-step on the batch gives the running statistics; each
        later call runs one E-step on the batch and moves
        the running per-unit-weight statistics ``s`` towards the batch's:
        ``s <- (1 - eta_t) s + eta_t s_batch`` with ``eta_t = t ** -0.6``
        (t = 1, 2, ... batches; Cappé & Moulines 2009, Liang & Klein 2009), then
        an M-step. Over a stream of mini-batches (several passes over finite
        data) the estimate approaches the batch EM solution.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        first = not hasattr(self, "n_batches_")
        # a model from fit(): continue from its parameters (re-initialising would
        # discard it), on batches with its number of features
        initialise = first and not hasattr(self, "means_")
        if first:
            self._validate_params()
        self.__dict__.pop("_init_sample", None)
        if is_dask(X):  # one E-step reduction on the cluster; initialised on a sample
            X, w = self._dask_input(X, sample_weight, reset=initialise)
        else:
            X = self._validate_X(X, reset=initialise)
            w = self._weights(X, sample_weight)
        batch_w = self._total_weight(X, w)
        if initialise:
            if X.shape[0] < self.n_components:
                raise ValueError(
                    "The first batch of partial_fit needs n_samples >= n_components, got "
                    f"n_components = {self.n_components}, n_samples = {X.shape[0]}"
                )
            self._check_parameters(X, w)
            self._initialize_parameters(X, w, check_random_state(self.random_state))
        if first:
            self.n_batches_ = 0
            self.nobs_ = 0.0
            self.n_iter_ = 0
            self.converged_ = False
            self.lower_bounds_ = []
            self.init_lower_bounds_ = np.array([], dtype=float)
        log_prior = self._log_prior()
        total, stats = self._em_pass(X, w)
        unit = stats.scaled(1.0 / batch_w)
        self.n_batches_ += 1
        eta = self.n_batches_ ** -0.6
        self._stream_stats = unit if first else (
            self._stream_stats.scaled(1.0 - eta) + unit.scaled(eta))
        self.nobs_ += batch_w
        self._m_step(self._stream_stats.scaled(self.nobs_))
        self._set_parameters(self._get_parameters())
        self.n_iter_ += 1
        # a stream keeps no data: standard errors deferred by an earlier fit() would be
        # computed on that fit's rows at the stream's parameters (and its nobs_)
        for name in (*LAZY_INFERENCE, "_inference_holder"):
            self.__dict__.pop(name, None)
        self.lower_bound_ = (total + log_prior) / batch_w
        self.lower_bounds_.append(self.lower_bound_)
        self.loglik_ = total + log_prior
        self.n_params_ = self._n_parameters()
        self.__dict__.pop("_init_sample", None)
        return self
