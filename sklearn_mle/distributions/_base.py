"""One small base class for every distribution estimator.

An estimator names its family (:mod:`sklearn_mle.families`, the public protocol) in
``_make_family``; the base class owns validation, ``fit``/``partial_fit``,
``fixed_params``, the MAP objective, inference (observed information, Wald and
profile intervals), novelty detection (``predict``) and sampling.

What an estimator class states besides its family:

``_make_family(X, w)``  the configured family (its settings, resolved from the data
                        where they come from it)
``_param_names``        names of the parameters, in order (class attribute)
``_bounds``             dict name -> (low, high) domain of each parameter
``_supported_priors``   the prior classes it accepts
``_check_domain(X)``    checks of settings against the data before the statistics
                        (the data's own domain is the family's, in its statistics pass)
``_flat_inference``     (optional) another layout of the free parameters than
                        parameter-major, then column

The private hooks ``_suff_stats``, ``_solve``, ``_loglik``, ``_information``,
``_logpdf`` and ``_sample`` translate to the family's public protocol.
"""

from __future__ import annotations

import copy
from contextlib import contextmanager
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin, _fit_context
from sklearn.utils import assert_all_finite, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._engine.dask import is_dask
from .._engine.rules import NONFINITE, DomainError
from .._engine.weights import check_sample_weight
from ..base import LikelihoodMixin
from ..priors import Prior
from ._inference import DistributionInferenceMixin
from ._novelty import _OFFSET_ROWS as OFFSET_ROWS
from ._novelty import NoveltyMixin
from ._scipy import ScipyMixin


class DistributionMLE(ScipyMixin, NoveltyMixin, DistributionInferenceMixin, LikelihoodMixin,
                      DensityMixin, BaseEstimator):
    """Base class of the distribution (density) estimators. Not for direct use."""

    _parameter_constraints: dict = {
        "prior": [None, Prior],
        "fixed_params": [None, dict],
        "contamination": [Interval(Real, 0.0, 0.5, closed="both")],
        "cov_type": [StrOptions({"nonrobust", "HC0", "HC1"})],
    }
    _param_names: tuple[str, ...] = ()
    _bounds: dict = {}
    _supported_priors: tuple = ()
    _prior_param: str | None = None
    _finite_stats = True  # False: DataStats, partial_fit keeps the data
    _integer_domain = False
    _count_input = False  # counts: tag the input so sklearn's checks generate integers

    def __init__(self, *, prior=None, fixed_params=None, contamination=0.1,
                 cov_type="nonrobust"):
        self.prior = prior
        self.fixed_params = fixed_params
        self.contamination = contamination
        self.cov_type = cov_type

    # ------------------------------------------------------------ validation
    # dtypes kept as they come in fit (others become float64); families that read
    # integer counts directly extend this
    _fit_dtypes = (np.float64, np.float32)
    # True where _suff_stats detects NaN/inf itself (the statistics of any non-finite
    # value are non-finite), so fit skips sklearn's separate finiteness pass
    _stats_check_finite = False

    def _validate_X(self, X, reset, fitting=False):
        """Validated X: float64/float32, finite; in fit (``fitting``) the ``_fit_dtypes``
        are kept and the finiteness pass is skipped where the statistics check it."""
        return validate_data(
            self,
            X,
            reset=reset,
            dtype=list(self._fit_dtypes) if fitting else [np.float64, np.float32],
            ensure_min_samples=1,
            ensure_all_finite=not (fitting and self._stats_check_finite),
        )

    def _raise_non_finite(self, X):
        """sklearn's error for NaN or inf in X (a no-op when every value is finite)."""
        assert_all_finite(X, input_name="X", estimator_name=type(self).__name__)

    def _column_name(self, j):
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return f"column {names[j]!r}"
        return f"column {j}"

    # ------------------------------------------------------- family bridge
    # An estimator built on a family (``sklearn_mle.families``) returns it from
    # ``_make_family``; every statistical computation then goes through the family's
    # public protocol, and the hooks below are that translation.
    def _make_family(self, X=None, sample_weight=None):  # pragma: no cover - abstract
        """The family this estimator fits (``sklearn_mle.families``), configured by its
        parameters. ``X`` and ``sample_weight`` (validated) are the training data, for
        families whose settings come from the data (e.g. Binomial's ``n_trials=None``)."""
        raise NotImplementedError

    @contextmanager
    def _named_errors(self, X):
        """A family's :class:`DomainError` re-raised in the estimator's words (its name and
        the column's name); NaN/inf as scikit-learn's own message."""
        try:
            yield
        except DomainError as err:
            if err.rule == NONFINITE:
                # Dask: the chunk that holds the value (never the whole array)
                chunk = getattr(err, "chunk", None)
                self._raise_non_finite(X if chunk is None else X.blocks[chunk].compute())
            col = None if err.column is None else self._column_name(err.column)
            raise ValueError(err.message(type(self).__name__, col)) from None

    def _pseudo_stats(self, d):
        prior = getattr(self, "prior_", None)
        return None if prior is None else prior.pseudo_stats(self.family_, d)

    def _posterior(self, stats):
        """Data statistics plus the prior's pseudo-statistics (the data's under MLE)."""
        pseudo = self._pseudo_stats(self.family_.n_features(stats))
        return stats if pseudo is None else stats + pseudo

    def _resolve_prior(self, stats):
        """The prior with its data-dependent defaults resolved from ``stats`` (the whole
        training data), stored as ``prior_``."""
        prior = self.prior
        if prior is not None and hasattr(prior, "resolve"):
            prior = prior.resolve(self.family_, stats)
        self.prior_ = prior

    def _check_domain(self, X):
        """Checks before the statistics pass (e.g. a prior that does not fit the data's
        settings); the data's own domain is checked by the family in that pass."""

    def _check_prior(self):
        if self.prior is not None and not isinstance(self.prior, self._supported_priors):
            names = ", ".join(p.__name__ for p in self._supported_priors) or "none"
            raise ValueError(
                f"{type(self).__name__} does not support prior={self.prior!r}; "
                f"supported priors: {names}"
            )

    def _fixed_arrays(self, d):
        """``fixed_params`` as dict name -> float array of shape (d,), NaN = free."""
        out = {}
        for name, value in self._fixed_params_items():
            if name not in self._param_names:
                raise ValueError(
                    f"fixed_params: unknown parameter {name!r} for {type(self).__name__}; "
                    f"its parameters are {list(self._param_names)}"
                )
            out[name] = self._fixed_value_array(name, value, d)
        return out

    def _fixed_params_items(self):
        """``fixed_params`` as (name, value) pairs; families resolve aliases here."""
        return list((self.fixed_params or {}).items())

    def _fixed_value_array(self, name, value, d):
        arr = np.asarray(value, dtype=float)
        if arr.ndim == 0:
            arr = np.full(d, float(arr))
        if arr.shape != (d,):
            raise ValueError(
                f"fixed_params: {name} needs a scalar or {d} values (one per column), "
                f"got shape {arr.shape}"
            )
        lo, hi = self._bounds.get(name, (-np.inf, np.inf))
        given = arr[~np.isnan(arr)]
        if np.any(given <= lo) or np.any(given >= hi) or not np.all(np.isfinite(given)):
            raise ValueError(f"fixed_params: {name} must lie in ({lo}, {hi}), got {value!r}")
        return arr.copy()

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the distribution to the columns of ``X`` by maximum likelihood (or MAP).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data; each column is one variable.
        y : None
            Ignored, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; integer weights equal repeated rows.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        robust = self.cov_type != "nonrobust"
        if robust:
            self._check_robust(X)
        if is_dask(X):
            X, w, self.stats_, sample = self._dask_batch(X, sample_weight, first=True)
        else:
            X = self._validate_X(X, reset=True, fitting=True)
            self._check_prior()
            w = _sample_weights(sample_weight, X)
            self.family_ = self._make_family(X, w)
            self._check_domain(X)
            self.stats_ = self._suff_stats(X, w)
            sample = X, w
        try:
            self._fit_from_stats(self.stats_)
        except BaseException:
            del self.stats_  # a failed fit leaves no statistics for partial_fit to add to
            raise
        if robust:
            self._set_robust_cov(X, w)
        self._set_offset(*sample)
        return self

    def _partial_fit(self, X, y=None, sample_weight=None):
        first = not hasattr(self, "stats_")
        if first:
            self._validate_params()
        if self.cov_type != "nonrobust":
            raise ValueError(
                f"{type(self).__name__}: cov_type={self.cov_type!r} needs every row's score "
                "at the final estimate, which partial_fit does not keep; use fit, or "
                "cov_type='nonrobust' with partial_fit")
        if is_dask(X):
            X, w, batch, sample = self._dask_batch(X, sample_weight, first=first)
        else:
            X = self._validate_X(X, reset=first, fitting=True)
            self._check_prior()
            w = _sample_weights(sample_weight, X)
            if first:
                self.family_ = self._make_family(X, w)
            self._check_domain(X)
            batch = self._suff_stats(X, w)
            sample = X, w
        previous = None if first else self.stats_
        self.stats_ = batch if first else self.stats_ + batch
        try:
            self._fit_from_stats(self.stats_)
        except BaseException:
            # a failed batch leaves the statistics of the batches before it
            if previous is None:
                del self.stats_
            else:
                self.stats_ = previous
            raise
        self._set_offset(*sample)
        return self

    def _dask_batch(self, X, sample_weight, first):
        """Validated Dask input, its statistics (one pass over the chunks, on the
        cluster: :func:`~sklearn_mle._engine.dask_input.dask_family_stats`) and the
        novelty threshold's strided sample, the same rows as in memory."""
        from .._engine.dask_input import (
            check_dask_weights,
            check_dask_X,
            dask_family,
            dask_family_stats,
        )

        X = check_dask_X(self, X, reset=first, dtypes=self._fit_dtypes)
        self._check_prior()
        w = check_dask_weights(sample_weight, X)
        if first:
            self.family_ = dask_family(self._make_family, X, w)
        self._check_domain(X)
        with self._named_errors(X):
            stats, sample = dask_family_stats(
                self.family_, X, w, check_finite=not self._stats_check_finite,
                sample_rows=OFFSET_ROWS)
        return X, w, stats, sample

    def _fit_from_stats(self, stats):
        d = self.n_features_in_
        fixed = self._fixed_arrays(d)
        self._fixed = fixed
        if float(np.sum(stats.weight)) <= 0:
            raise ValueError(f"{type(self).__name__}: the sample weights sum to zero")
        # from_stats keeps the prior resolved on the whole training data (a mixture
        # component must not re-resolve it from its own share: EM would not be monotone)
        if not self.__dict__.pop("_keep_prior", False):
            self._resolve_prior(stats)
        params = self._solve(stats, fixed)
        self._params = params
        for name in self._param_names:
            setattr(self, name + "_", params[name])
        self.params_ = {name: np.array(params[name]) for name in self._param_names}
        self.fixed_params_ = {k: v.copy() for k, v in fixed.items()}
        self.nobs_ = float(np.max(stats.weight))
        self.loglik_ = float(self._objective(stats, params))
        names, est, info = self._flat_inference(stats, params, fixed)
        self.n_params_ = len(names)
        self.__dict__.pop("_model_cov_params", None)  # fit adds the sandwich after this
        self._set_inference(names, est, information=info)

    def from_stats(self, stats, X=None, sample_weight=None):
        """A fitted copy of this estimator whose parameters are the mode of ``stats``.

        The copy keeps this fit's settings (family, resolved prior, ``fixed_params``,
        feature names); its estimates, log-likelihood and inference come from
        ``stats`` alone, e.g. the statistics of one mixture component or the sum of
        statistics computed elsewhere (``family_.stats`` on chunks of data).

        Parameters
        ----------
        stats : Stats
            Statistics of ``family_`` (``family_.stats(X, weights)``).
        X : array-like of shape (n_samples, n_features), default=None
            Data for the novelty threshold ``offset_`` (None: no threshold).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of ``X`` for the threshold.

        Returns
        -------
        estimator : a fitted estimator of the same class

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle import PoissonMLE
        >>> est = PoissonMLE().fit(np.array([[1.0], [2.0]]))
        >>> more = est.family_.stats(np.array([[6.0]]))
        >>> float(est.from_stats(est.stats_ + more).rate_[0])
        3.0
        """
        check_is_fitted(self)
        est = copy.copy(self)
        est.__dict__.pop("_offset_holder", None)
        est.stats_ = stats
        # est is a copy of self, of this very class: its private methods are ours
        est._keep_prior = True  # noqa: SLF001
        est._fit_from_stats(stats)  # noqa: SLF001
        if X is not None:
            X = np.asarray(X)
            est._set_offset(X, _sample_weights(sample_weight, X))  # noqa: SLF001
        return est

    def _objective(self, stats, params):
        val = float(np.sum(self._loglik(stats, params)))
        if self.prior is not None:
            val += float(np.sum(self._log_prior(params)))
        return val

    # ------------------------------------------------ hooks through the family
    def _suff_stats(self, X, w):
        with self._named_errors(X):
            return self.family_.stats(X, w)

    def _solve(self, stats, fixed):
        with self._named_errors(None):
            result = self.family_.mode(self._posterior(stats), fixed)
        self._last_mode = result
        return result

    def _loglik(self, stats, params):
        return self.family_.loglik(stats, params)

    def _information(self, stats, params):
        # the log-posterior's information: that of the data plus the pseudo-statistics
        return self.family_.information(self._posterior(stats), params)

    def _scaled_information(self, stats, params):
        # the same in units of the parameters' scales: (J, s), see Family.scaled_information
        return self.family_.scaled_information(self._posterior(stats), params)

    def _logpdf(self, X, params):
        return self.family_.logpdf(X, params)

    def _sample(self, params, n, rng):
        return self.family_.sample(params, n, rng)

    # ---------------------------------------------------------- MAP hooks
    def _log_prior(self, params):
        return self.family_.log_prior(self.prior_, params)

    # -------------------------------------------------------------- scoring
    def score_samples(self, X):
        """Log-likelihood of each sample (sum over the columns of X).

        Values outside the support of the distribution get ``-inf``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        if is_dask(X):
            from .._engine.dask_input import check_dask_X, lazy_rows

            # a lazy Dask array: each chunk validated and scored where it lives
            return lazy_rows(self._score_rows, check_dask_X(self, X, reset=False),
                             check=self._raise_non_finite)
        X = self._validate_X(X, reset=False)
        return self._score_rows(X)

    def _score_rows(self, X):
        with np.errstate(divide="ignore", invalid="ignore"):
            lp = self._logpdf(X, self._params)
        lp = np.where(np.isnan(lp), -np.inf, lp)
        return lp.sum(axis=1)

    def score(self, X, y=None):
        """Mean log-likelihood per sample on ``X`` (as sklearn's GaussianMixture)."""
        return float(np.mean(self.score_samples(X)))

    def _total_loglik(self, X, y=None):
        return float(np.sum(self.score_samples(X)))

    # ------------------------------------------------------------- sampling
    def sample(self, n_samples: int = 1, random_state=None) -> np.ndarray:
        """Draw ``n_samples`` rows from the fitted distribution.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        if int(n_samples) < 1:
            raise ValueError(f"n_samples must be >= 1, got {n_samples}")
        rng = check_random_state(random_state)
        return self._sample(self._params, int(n_samples), rng)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        if self._count_input:
            # integer-valued input: sklearn's checks then generate non-negative integers
            tags.input_tags.positive_only = True
            tags.input_tags.categorical = True
        return tags


class PartialFitMixin:
    """Adds ``partial_fit`` to families with finite sufficient statistics."""

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the fit with a batch: ``stats_ = stats_ + stats(batch)``.

        Partial fits over batches give exactly the fit on their concatenation.
        ``offset_`` (novelty threshold) is recomputed from the latest batch.

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
        return self._partial_fit(X, y, sample_weight)


def _sample_weights(sample_weight, X):
    """Validated weights (the package's one validator); no weights give a read-only
    broadcast view of ones, which costs no memory."""
    return check_sample_weight(sample_weight, X, ones=True)
