"""The EM loop shared by every mixture: restarts, warm start, tolerance, convergence.

As scikit-learn's ``sklearn/mixture/_base.py``, the base class owns the loop and a
subclass fills a few hooks:

``_check_parameters(X, w)``          validate the ``*_init`` arrays and priors
``_initialize(X, w, resp)``          parameters from initial responsibilities
``_initialize_from_init(X)``         (optional) every parameter given by the user
``_em_pass(X, w)``                   E-step fused with the statistics: (total, stats)
``_m_step(stats)``                   new parameters from the statistics
``_log_prior()``                     log prior density of the current parameters (0: MLE)
``_estimate_weighted_log_prob(X)``   ``log w_k + log p(x | k)``, shape (n, k)
``_get_parameters()`` / ``_set_parameters(p)``
``_n_parameters()``                  free parameters, for AIC/BIC

The objective is the weighted mean log-likelihood per unit of sample weight (plus
the log prior divided by the total weight under a prior): EM never decreases it.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from time import time

import numpy as np
from sklearn import cluster
from sklearn.base import BaseEstimator, DensityMixin, _fit_context
from sklearn.cluster import kmeans_plusplus
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .._engine.blocks import map_blocks
from .._engine.dask import is_dask
from ..base import LikelihoodMixin
from ..exceptions import ComponentCollapseWarning
from ..inference._lazy import LazyInferenceMixin
from ._emission import logsumexp_rows

__all__ = ["EM_CONSTRAINTS", "BaseEM", "ComponentCollapseWarning"]

# parameter constraints shared by every EM mixture (subclasses extend the dict)
EM_CONSTRAINTS: dict = {
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0.0, None, closed="left")],
    "max_iter": [Interval(Integral, 0, None, closed="left")],
    "n_init": [Interval(Integral, 1, None, closed="left")],
    "init_params": [StrOptions({"kmeans", "random", "random_from_data", "k-means++"})],
    "random_state": ["random_state"],
    "warm_start": ["boolean"],
    "verbose": ["verbose"],
    "verbose_interval": [Interval(Integral, 1, None, closed="left")],
    "n_jobs": [None, Integral],
}


class BaseEM(LazyInferenceMixin, LikelihoodMixin, DensityMixin, BaseEstimator):
    """Base class of the EM mixtures. Not for direct use."""

    _parameter_constraints: dict = EM_CONSTRAINTS

    # ------------------------------------------------------------ validation
    def _validate_X(self, X, reset):
        return validate_data(
            self, X, reset=reset, dtype=[np.float64, np.float32],
            ensure_min_samples=2 if reset else 1,
        )

    def _weights(self, X, sample_weight):
        if sample_weight is None:
            return None
        w = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
        if not np.all(np.isfinite(w)):
            raise ValueError("sample_weight must be finite")
        if float(np.sum(w, dtype=np.float64)) <= 0:
            raise ValueError("sample_weight: the weights sum to zero")
        return w

    @staticmethod
    def _total_weight(X, w):
        return float(X.shape[0]) if w is None else float(np.sum(w, dtype=np.float64))

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None, sample_weight=None) -> BaseEM:
        """Estimate the mixture with the EM algorithm.

        Runs ``n_init`` restarts (each on its own random stream) and keeps the one
        with the largest final objective; each restart iterates E- and M-steps until
        the objective gains less than ``tol`` or ``max_iter`` is reached. With
        ``warm_start=True`` a second call continues from the previous solution.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; integer weights equal repeated rows.

        Returns
        -------
        self : object
            The fitted mixture.
        """
        self.fit_predict(X, y, sample_weight=sample_weight)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_predict(self, X, y=None, sample_weight=None) -> np.ndarray:
        """Fit the mixture on X and return the most probable component of each row.

        Consistent with ``fit(X).predict(X)`` (a final E-step runs after EM).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        on_dask = is_dask(X)
        self.__dict__.pop("_init_sample", None)  # never a previous failed fit's
        # a new fit ends any partial_fit stream: a later partial_fit starts from it
        for name in ("n_batches_", "_stream_stats"):
            self.__dict__.pop(name, None)
        if on_dask:
            X, w = self._dask_input(X, sample_weight)
        else:
            X = self._validate_X(X, reset=True)
        if X.shape[0] < self.n_components:
            raise ValueError(
                "Expected n_samples >= n_components but got "
                f"n_components = {self.n_components}, n_samples = {X.shape[0]}"
            )
        if not on_dask:
            w = self._weights(X, sample_weight)
        self._check_parameters(X, w)
        if on_dask:
            # initialisation on a strided sample (the whole data up to _INIT_ROWS rows,
            # taken in _dask_input); EM then runs on every row, one reduction an iteration
            expand = None
        else:
            X, w, expand = self._compress(X, w)

        do_init = not (self.warm_start and hasattr(self, "converged_"))
        n_init = self.n_init if do_init else 1
        total_w = self._total_weight(X, w)
        max_lower_bound = -np.inf
        best_params, best_n_iter, best_lower_bounds = None, 0, []
        init_lower_bounds, init_n_iter, init_seeds = [], [], []
        self.converged_ = False
        master = check_random_state(self.random_state)

        for init in range(n_init):
            self._print_verbose_msg_init_beg(init)
            if init == 0:
                # restart 0 uses the master stream itself: identical to scikit-learn
                rng, seed = master, None
            else:
                seed = int(master.randint(np.iinfo(np.int32).max))
                rng = np.random.RandomState(seed)
            init_seeds.append(seed)
            if do_init:
                self._initialize_parameters(X, w, rng)
            lower_bound = -np.inf if do_init else self.lower_bound_
            current = []
            converged, n_iter = False, 0
            if self.max_iter == 0:
                best_params = self._get_parameters()
            else:
                for n_iter in range(1, self.max_iter + 1):
                    prev = lower_bound
                    log_prior = self._log_prior()
                    total, stats = self._em_pass(X, w)
                    self._m_step(stats)
                    lower_bound = (total + log_prior) / total_w
                    current.append(lower_bound)
                    change = lower_bound - prev
                    self._print_verbose_msg_iter_end(n_iter, change)
                    if abs(change) < self.tol:
                        converged = True
                        break
                self._print_verbose_msg_init_end(lower_bound, converged)
                if lower_bound > max_lower_bound or max_lower_bound == -np.inf:
                    max_lower_bound = lower_bound
                    best_params = self._get_parameters()
                    best_n_iter = n_iter
                    best_lower_bounds = current
                    self.converged_ = converged
            init_lower_bounds.append(lower_bound)
            init_n_iter.append(n_iter)

        if not self.converged_ and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different init "
                "parameters, or increase max_iter, tol, or check for degenerate data.",
                ConvergenceWarning,
            )
        self._set_parameters(best_params)
        self.n_iter_ = best_n_iter
        self.lower_bound_ = max_lower_bound
        self.lower_bounds_ = best_lower_bounds
        self.init_lower_bounds_ = np.asarray(init_lower_bounds, dtype=float)
        self.init_n_iter_ = np.asarray(init_n_iter, dtype=int)
        self.init_seeds_ = init_seeds
        # final E-step: labels consistent with fit(X).predict(X); loglik_ of the final fit
        self.__dict__.pop("_init_sample", None)
        log_prob = self._dask_log_prob(X) if on_dask else self._estimate_weighted_log_prob(X)
        self._finish_fit(X, w, log_prob, total_w)
        labels = log_prob.argmax(axis=1)
        return labels if expand is None else labels[expand]

    def _compress(self, X, w):
        """Hook: ``(X, w, expand)``, the rows EM runs on and how to map their labels
        back (None: EM runs on X itself)."""
        return X, w, None

    def _finish_fit(self, X, w, log_prob, total_w):
        lse = _logsumexp_rows(log_prob)
        total = float(np.sum(lse, dtype=np.float64)) if w is None else float(
            np.dot(lse.astype(np.float64), w.astype(np.float64)))
        self.loglik_ = total + self._log_prior()
        self.nobs_ = total_w
        self.n_params_ = self._n_parameters()
        self._check_collapse()

    def _stop_rule(self):
        """What ended EM, in words (for the warnings of the inference)."""
        if getattr(self, "converged_", True):
            return f"tol={self.tol!r}"
        return f"max_iter={self.max_iter}, not converged"

    def _em_step_gain(self, X, w):
        """The objective (log-likelihood plus log prior, total) one more EM step from
        the fit gains, the fit left as it was; NaN where the step fails."""
        saved = self._get_parameters()
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                before, stats = self._em_pass(X, w)
                before += self._log_prior()
                self._m_step(stats)
                after, _ = self._em_pass(X, w)
                return float(after + self._log_prior() - before)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            return float("nan")
        finally:
            self._set_parameters(saved)

    # standard errors are computed when first read: inference/_lazy.py
    def _check_collapse(self):
        """Hook: warn in words when a component collapsed (default: nothing)."""

    # --------------------------------------------------------- initialisation
    def _initialize_parameters(self, X, w, random_state):
        if "_init_sample" in self.__dict__:  # a Dask fit: the sample stands for X
            X, w = self._init_sample
        if self._all_init_given():
            self._initialize_from_init(X, w)
            return
        resp = initial_responsibilities(X, w, self.n_components, self.init_params, random_state)
        self._initialize(X, w, resp)

    def _all_init_given(self):
        return False

    # --------------------------------------------------------------- scoring
    def score_samples(self, X) -> np.ndarray:
        """Log-likelihood of each sample under the fitted mixture.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        if is_dask(X):
            return self._dask_rows(X, lambda xb: _logsumexp_rows(
                self._estimate_weighted_log_prob(xb)), ())
        X = self._validate_X(X, reset=False)
        return _logsumexp_rows(self._estimate_weighted_log_prob(X))

    def score(self, X, y=None) -> float:
        """Mean log-likelihood per sample of X (as scikit-learn's GaussianMixture)."""
        return float(np.mean(self.score_samples(X)))

    def predict(self, X) -> np.ndarray:
        """The most probable component of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        if is_dask(X):
            return self._dask_rows(X, lambda xb: self._estimate_weighted_log_prob(
                xb).argmax(axis=1), ())
        X = self._validate_X(X, reset=False)
        return self._estimate_weighted_log_prob(X).argmax(axis=1)

    def predict_proba(self, X) -> np.ndarray:
        """Posterior probability of each component for each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        if is_dask(X):
            return self._dask_rows(X, self._proba, (self.n_components,))
        return self._proba(self._validate_X(X, reset=False))

    def _proba(self, X):
        lp = self._estimate_weighted_log_prob(X)
        lse = _logsumexp_rows(lp)
        with np.errstate(under="ignore"):
            return np.exp(lp - lse[:, None])

    # ------------------------------------------------------------------ Dask
    def _dask_input(self, X, sample_weight, reset=True):
        """Validated Dask rows and weights, in one pass that also takes the strided
        sample EM is initialised on (``_init_sample``: every row up to _INIT_ROWS)."""
        import dask
        import dask.array as da

        from .._engine.dask_input import check_dask_weights, check_dask_X, dask_sample

        X = check_dask_X(self, X, reset=reset, min_samples=2 if reset else 1)
        w = None
        if sample_weight is not None:
            w = check_dask_weights(sample_weight, X, owner=type(self).__name__)
            if not is_dask(w):
                w = self._weights(np.empty((X.shape[0], 0)), w)
            w = w.astype(X.dtype)
        Xs, ws = dask_sample(X, np.ones(X.shape[0]) if w is None else w, _INIT_ROWS)
        wlazy = [da.isfinite(w).all(), w.min(), w.sum()] if is_dask(w) else []
        finite, Xs, ws, *wchecks = dask.compute(da.isfinite(X).all(), Xs, ws, *wlazy)
        if not finite:  # sklearn's message, from the first row with NaN/inf
            i = int(da.argmin(da.isfinite(X).all(axis=1)).compute())
            self._validate_X(X[i:i + 1].compute(), reset=False)
        if wchecks:
            finite, low, total = wchecks
            if not finite:
                raise ValueError("sample_weight must be finite")
            if low < 0:
                raise ValueError("Negative values in data passed to sample_weight")
            if not total > 0:
                raise ValueError("sample_weight: the weights sum to zero")
        self._init_sample = np.asarray(Xs), (None if w is None else np.asarray(ws))
        return X, w

    def _dask_rows(self, X, fn, trailing):
        """A lazy Dask array of ``fn`` on each validated chunk (scoring never gathers)."""
        from sklearn.utils import check_array

        from .._engine.dask_input import check_dask_X, lazy_rows

        return lazy_rows(lambda xb: fn(check_array(xb, dtype=[np.float64, np.float32])),
                         check_dask_X(self, X, reset=False), trailing=trailing)

    def _dask_log_prob(self, X):
        """``_estimate_weighted_log_prob`` per chunk, lazily (the final E-step)."""
        from .._engine.dask_input import lazy_rows

        return lazy_rows(self._estimate_weighted_log_prob, X, trailing=(self.n_components,))

    def _total_loglik(self, X, y=None):
        return float(np.sum(self.score_samples(X), dtype=np.float64))

    # ------------------------------------------------------------- verbose
    def _print_verbose_msg_init_beg(self, n_init):
        if self.verbose == 1:
            print(f"Initialization {n_init}")
        elif self.verbose >= 2:
            print(f"Initialization {n_init}")
            self._init_prev_time = time()
            self._iter_prev_time = self._init_prev_time

    def _print_verbose_msg_iter_end(self, n_iter, diff_ll):
        if n_iter % self.verbose_interval == 0:
            if self.verbose == 1:
                print(f"  Iteration {n_iter}")
            elif self.verbose >= 2:
                cur_time = time()
                print(f"  Iteration {n_iter}\t time lapse {cur_time - self._iter_prev_time:.5f}s"
                      f"\t ll change {diff_ll:.5f}")
                self._iter_prev_time = cur_time

    def _print_verbose_msg_init_end(self, lb, init_has_converged):
        converged_msg = "converged" if init_has_converged else "did not converge"
        if self.verbose == 1:
            print(f"Initialization {converged_msg}.")
        elif self.verbose >= 2:
            t = time() - self._init_prev_time
            print(f"Initialization {converged_msg}. time lapse {t:.5f}s\t lower bound {lb:.5f}.")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


def initial_responsibilities(X, w, n_components: int, init_params: str,
                             random_state) -> np.ndarray:
    """Initial responsibilities as scikit-learn draws them (weighted when ``w`` is given)."""
    n = X.shape[0]
    if init_params == "kmeans":
        resp = np.zeros((n, n_components), dtype=X.dtype)
        km = cluster.KMeans(n_clusters=n_components, n_init=1, random_state=random_state)
        label = km.fit(X, sample_weight=w).labels_
        resp[np.arange(n), label] = 1
    elif init_params == "random":
        resp = np.asarray(random_state.uniform(size=(n, n_components)), dtype=X.dtype)
        resp /= resp.sum(axis=1)[:, None]
    elif init_params == "random_from_data":
        resp = np.zeros((n, n_components), dtype=X.dtype)
        if w is None:
            indices = random_state.choice(n, size=n_components, replace=False)
        else:
            p = np.asarray(w, dtype=np.float64)
            if np.count_nonzero(p) < n_components:
                raise ValueError(
                    "init_params='random_from_data' needs at least n_components rows with "
                    "positive sample_weight"
                )
            indices = random_state.choice(n, size=n_components, replace=False, p=p / p.sum())
        resp[indices, np.arange(n_components)] = 1
    else:  # k-means++
        resp = np.zeros((n, n_components), dtype=X.dtype)
        _, indices = kmeans_plusplus(X, n_components, random_state=random_state,
                                     sample_weight=w)
        resp[indices, np.arange(n_components)] = 1
    return resp


_INIT_ROWS = 100_000  # rows of the sample a Dask fit is initialised on


def _logsumexp_rows(lp):
    """Row-wise log-sum-exp over the engine's row blocks (no full-size temporaries)."""
    return map_blocks(logsumexp_rows, lp)
