"""MixtureMLE: EM over any distribution estimator of the package."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods

from .._engine.dask import is_dask
from ..exceptions import BoundaryWarning
from ..families.categorical import Categorical
from ..families.gaussian import Gaussian
from ..families.multinomial import Multinomial
from ..priors import Dirichlet
from ._base import EM_CONSTRAINTS, BaseEM, _logsumexp_rows
from ._emission import Emission
from ._gaussian_inference import gaussian_mixture_information
from ._inference import (
    check_stationary,
    flat_bounds,
    mixture_information,
    warn_no_inference,
)
from ._probability_inference import probability_mixture_information
from ._summary import MixtureSummaryMixin

_COMPRESS_MIN_ROWS = 10_000  # below this, EM on the rows themselves costs little


def _relay_constant_columns(proto, X, w, caught):
    """On a constant column every component's weighted share is that one value, so each
    component's M-step meets exactly the boundary the family met on the whole column:
    say so once, in the family's own words (its warnings from fitting the prototype to
    all the data, caught by the caller), or raise where the family's density there is
    degenerate (a point mass: the mixture's likelihood has no maximum and EM cannot
    even start)."""
    rows = X if w is None or np.all(np.asarray(w) > 0) else X[np.asarray(w) > 0]
    constant = np.flatnonzero(rows.min(axis=0) == rows.max(axis=0))
    if constant.size == 0:
        return
    name = type(proto).__name__
    said = []
    for item in caught:
        text = str(item.message)
        if issubclass(item.category, BoundaryWarning) and text not in said:
            said.append(text)
    cols = ", ".join(str(int(c)) for c in constant)
    values = ", ".join(f"{float(rows[0, c]):.6g}" for c in constant)
    head = (f"MixtureMLE: column {cols} is constant (every row {values}), so every "
            f"component's share of it is that one value and each component meets there "
            f"what {name} meets on the whole column")
    family_says = (" " + " ".join(said)) if said else ""
    if not np.isfinite(proto.loglik_):
        raise ValueError(
            f"{head}: a degenerate density, so the mixture's likelihood has no maximum."
            + (family_says or " Drop the column, or fix the spread with fixed_params."))
    if said:
        warnings.warn(f"{head}.{family_says}", BoundaryWarning, stacklevel=6)


class MixtureMLE(MixtureSummaryMixin, BaseEM):
    """Finite mixture of any distribution estimator, fitted by EM (or MAP-EM).

    The E-step gives each row's responsibilities; the M-step fits each component by
    weighted maximum likelihood with the responsibilities (times ``sample_weight``)
    as sample weights, through the component's sufficient statistics
    (``Emission``: the family's public protocol), so every M-step is the family's own
    closed form or Newton solve, ``mode(stats + prior pseudo-statistics)``. Columns
    are independent within a component for the univariate families (e.g.
    ``BernoulliMLE``: a latent class model), jointly Gaussian for
    ``GaussianMLE(covariance_type="full")``.

    Parameters
    ----------
    component : estimator or None, default=None
        The family, e.g. ``PoissonMLE()``, ``BernoulliMLE()``, ``GammaMLE()``; its own
        ``prior`` (if any) is used in every component's M-step. None:
        ``GaussianMLE(covariance_type="diag")``.
    n_components : int, default=1
        Number of components.
    tol : float, default=1e-3
        Stop when the objective (mean log-likelihood per unit weight, or
        log-posterior under priors) gains less than ``tol``.
    max_iter : int, default=100
        EM iterations per restart.
    n_init : int, default=1
        Restarts, each on its own random stream; the best is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default="kmeans"
        Initial responsibilities, as in scikit-learn's GaussianMixture.
    random_state : int, RandomState instance or None, default=None
    warm_start : bool, default=False
    verbose : int, default=0
    verbose_interval : int, default=10
    prior : Dirichlet or None, default=None
        Dirichlet prior on the mixture weights (``alpha >= 1``).
    n_jobs : int or None, default=None
        Threads over row blocks in each E-step (scikit-learn's meaning: None uses
        the cores this process may use, capped inside an enclosing joblib section
        such as ``GridSearchCV(n_jobs=2)`` and by ``threadpoolctl`` limits).

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    components_ : list of fitted estimators
        One fitted clone of ``component`` per mixture component (its parameters,
        ``loglik_`` of its weighted share of the data, ...).
    converged_, n_iter_, lower_bound_, lower_bounds_, init_lower_bounds_
        As in :class:`GaussianMixture`.
    loglik_ : float
        Total log-likelihood of the training data (plus the log priors under priors).
    n_params_ : int
        ``n_components - 1`` plus every component's free parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import MixtureMLE, PoissonMLE
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.poisson(2, 300), rng.poisson(15, 200)])[:, None]
    >>> mix = MixtureMLE(PoissonMLE(), n_components=2, random_state=0).fit(X)
    >>> rates = sorted(float(c.rate_[0]) for c in mix.components_)
    >>> [round(r) for r in rates], sorted(np.round(mix.weights_, 1).tolist())
    ([2, 15], [0.4, 0.6])
    """

    _parameter_constraints: dict = {
        **EM_CONSTRAINTS,
        "component": [None, HasMethods(["fit"])],
        "prior": [None, Dirichlet],
    }

    def __init__(
        self,
        component=None,
        n_components=1,
        *,
        tol=1e-3,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
        prior=None,
        n_jobs=None,
    ):
        self.component = component
        self.n_components = n_components
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.n_jobs = n_jobs
        self.prior = prior

    # ------------------------------------------------------------ validation
    def _check_parameters(self, X, w):
        from ..distributions import DistributionMLE, GaussianMLE

        base = GaussianMLE(covariance_type="diag") if self.component is None else self.component
        if not isinstance(base, DistributionMLE):
            raise ValueError(
                "MixtureMLE: component must be a distribution estimator of sklearn_mle "
                f"(GaussianMLE(), PoissonMLE(), GammaMLE(), ...), got {base!r}; for a "
                "mixture of Gaussians use GaussianMixture, for mixtures of regressions "
                "see the documentation"
            )
        k = self.n_components
        if self.prior is not None:
            alpha = np.asarray(self.prior.alpha, float)
            if alpha.ndim and alpha.shape != (k,):
                raise ValueError(
                    f"prior: Dirichlet alpha needs a scalar or one value per component "
                    f"({k}), got shape {alpha.shape}"
                )
            if np.any(alpha < 1):
                raise ValueError(
                    "prior: Dirichlet alpha must be >= 1 for the posterior mode of the "
                    f"weights to exist, got {self.prior.alpha!r}"
                )
        # the prototype is fitted once on all the data: it validates the domain (a clear
        # ValueError naming the column), fixes the family's settings (categories,
        # n_trials) and resolves the prior's data-dependent defaults once, so every EM
        # step maximises the same objective
        proto = clone(base)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            proto.fit(X, sample_weight=w)
        if not is_dask(X):
            _relay_constant_columns(proto, X, w, caught)
        self._proto = proto
        self._emission = Emission.from_estimator(proto, k)

    def _compress(self, X, w):
        """Discrete data with few distinct rows (counts, labels, 0/1 answers): EM runs
        on the distinct rows weighted by their total weight, which is the same
        likelihood (integer weights are repeated rows) at a fraction of the cost per
        iteration: 10**6 Poisson counts are ~40 distinct values."""
        n = X.shape[0]
        if not self._emission.family.integer_domain or n < _COMPRESS_MIN_ROWS:
            return X, w, None
        if X.shape[1] == 1:
            col = X[:, 0]
            if not (col.min() >= 0 and col.max() < 4 * n):
                return X, w, None
            idx = col.astype(np.intp)
            counts = np.bincount(idx, weights=w)
            values = np.flatnonzero(np.bincount(idx))
            lookup = np.zeros(counts.size, dtype=np.intp)
            lookup[values] = np.arange(values.size)
            Xu, wu, expand = values[:, None].astype(X.dtype), counts[values], lookup[idx]
        else:
            Xu, expand = np.unique(X, axis=0, return_inverse=True)
            expand = expand.ravel()
            wu = np.bincount(expand, weights=w, minlength=Xu.shape[0])
        if Xu.shape[0] > n // 8 or Xu.shape[0] < 2 * self.n_components:
            return X, w, None
        return Xu, wu.astype(X.dtype), expand

    # -------------------------------------------------------------- EM hooks
    def _initialize(self, X, w, resp):
        rw = resp if w is None else resp * w[:, None]
        rw = rw.astype(np.float64, copy=False)
        n_k = rw.sum(axis=0)
        if np.any(n_k < 2.0):
            # a component started from one row ("random_from_data", "k-means++") would
            # put zero density on every other value (a 0/1 column, a zero covariance):
            # it also sees the whole data with a total weight of one row, which keeps
            # its support
            base = np.ones(X.shape[0]) if w is None else np.asarray(w, np.float64)
            rw = rw + (base / base.sum())[:, None]
            n_k = rw.sum(axis=0)
        stats = n_k, self._emission.stats(X, rw)
        self._m_step(stats, init=True)

    def _em_pass(self, X, w):
        with np.errstate(divide="ignore"):
            logw = np.log(self.weights_)
        total, comp_stats = self._emission.e_step(X, w, logw, self._comp_params,
                                                  n_jobs=self.n_jobs)
        n_k = np.array([float(np.max(s.weight)) for s in comp_stats])
        return total, (n_k, comp_stats)

    def _m_step(self, stats, init=False):
        n_k, comp_stats = stats
        k = self.n_components
        if self.prior is None:
            weights = n_k + 10 * np.finfo(float).eps
        else:
            a = np.broadcast_to(np.asarray(self.prior.alpha, float), (k,)) - 1.0
            weights = np.maximum(n_k + a, np.finfo(float).tiny)
        self.weights_ = weights / weights.sum()
        old = None if init else self._comp_params
        tiny = 1e-10 * max(float(n_k.sum()), 1.0)
        # a component without data at the start begins at the fit to all the data
        self._comp_params = self._emission.modes(
            comp_stats, previous=old, min_weight=tiny,
            fallback=dict(self._proto.params_))
        if old is None:
            self._comp_stats = list(comp_stats)
        else:  # an empty component keeps its parameters and the statistics behind them
            self._comp_stats = [s if float(np.max(s.weight)) > tiny else self._comp_stats[j]
                                for j, s in enumerate(comp_stats)]

    def _log_prior(self):
        lp = 0.0
        if self.prior is not None:
            lp += float(self.prior.logpdf(self.weights_))
        return lp + self._emission.log_prior(self._comp_params)

    def _estimate_weighted_log_prob(self, X):
        with np.errstate(divide="ignore"):
            logw = np.log(self.weights_)
        return self._emission.log_prob(X, self._comp_params) + logw

    def _get_parameters(self):
        return (self.weights_.copy(), list(self._comp_params), list(self._comp_stats))

    def _set_parameters(self, params):
        self.weights_, self._comp_params, self._comp_stats = params

    def _n_parameters(self):
        return int(self.n_components - 1
                   + sum(getattr(c, "n_params_", 0) for c in self.components_))

    # ------------------------------------------------------------------ fit
    def _finish_fit(self, X, w, log_prob, total_w):
        self._build_components(X, w, log_prob)
        super()._finish_fit(X, w, log_prob, total_w)
        self._defer_inference(X, w)

    def _compute_inference(self, X, w):
        """Standard errors from the observed information of the observed-data
        log-likelihood (Louis' method, :mod:`._inference`)."""
        family = self._emission.family
        names_in = getattr(self, "feature_names_in_", None)
        if (isinstance(family, Gaussian) and family.covariance_type in ("full", "spherical")
                and self._emission.prior is None and not self._emission.fixed):
            # jointly Gaussian components: the Gaussian mixture's exact derivatives
            cov = np.array([np.asarray(p["covariance"], float) for p in self._comp_params])
            chol = np.linalg.cholesky(cov if cov.ndim == 3 else cov[:, None, None])
            eye = np.eye(chol.shape[-1])
            inv_chol = np.linalg.solve(chol, np.broadcast_to(eye, chol.shape))
            prec = np.swapaxes(inv_chol, 1, 2) @ inv_chol
            if cov.ndim == 1:
                prec = prec[:, 0, 0]
            result = gaussian_mixture_information(
                self.weights_, np.array([p["mean"] for p in self._comp_params]), cov, prec,
                family.covariance_type, X, w, weights_prior=self.prior, column_names=names_in)
        elif (isinstance(family, (Categorical, Multinomial)) and not self._emission.fixed):
            result = probability_mixture_information(
                self._emission, self.weights_, self._comp_params, self._stats_at_fit(X, w),
                X, w, weights_prior=self.prior, column_names=names_in)
        else:
            result = mixture_information(
                self._emission, self.weights_, self._comp_params, self._stats_at_fit(X, w),
                X, w, weights_prior=self.prior, column_names=names_in)
        if result is None:
            warn_no_inference(type(self._proto).__name__)
            names = [f"weight[{j}]" for j in range(self.n_components - 1)]
            names += [f"component{j}.{n}" for j, c in enumerate(self.components_)
                      for n in getattr(c, "param_names_", [])]
            est = np.concatenate([self.weights_[:-1]] + [
                np.asarray(getattr(c, "estimates_", []), float) for c in self.components_])
            cov = np.diag(np.full(len(names), np.inf))
            self._bounds_flat = (np.full(len(names), -np.inf), np.full(len(names), np.inf))
            self._set_inference(names, est, cov=cov)
            return
        self._bounds_flat = flat_bounds(result.names, family.bounds)
        cov = check_stationary(result, self.n_components, "MixtureMLE", self._stop_rule(),
                               self.nobs_, lambda: self._em_step_gain(X, w))
        if cov is None:
            self._set_inference(result.names, result.estimates, information=result.information)
        else:
            self._set_inference(result.names, result.estimates, cov=cov)

    def _stats_at_fit(self, X, w):
        """The components' statistics under the fitted parameters' responsibilities:
        Louis' method takes its expectations at the estimates, where the last EM step's
        statistics are those of the parameters before it (the same at a maximum, not
        where EM stopped short of it)."""
        with np.errstate(divide="ignore"):
            logw = np.log(self.weights_)
        try:
            _, stats = self._emission.e_step(X, w, logw, self._comp_params, n_jobs=self.n_jobs)
        except ValueError:  # a row outside every component's support: keep EM's
            return self._comp_stats
        return list(stats)

    def _param_bounds(self):
        return self._bounds_flat

    def _build_components(self, X, w, log_prob):
        if is_dask(X):
            # from the statistics alone: a component's novelty threshold would score
            # the rows on the client (its offset_ is not set on Dask data)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.components_ = [
                    self._proto.from_stats(s) if float(np.max(s.weight)) > 0 else self._proto
                    for s in self._comp_stats]
            return
        lse = _logsumexp_rows(log_prob)
        with np.errstate(under="ignore"):
            resp = np.exp(log_prob - lse[:, None])
        comps = []
        for j, stats in enumerate(self._comp_stats):
            rw = resp[:, j] if w is None else resp[:, j] * w
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if float(np.max(stats.weight)) > 0:
                    comps.append(self._proto.from_stats(stats, X, rw))
                else:
                    comps.append(self._proto)
        self.components_ = comps

    # ------------------------------------------------------------- sampling
    def sample(self, n_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Draw samples from the fitted mixture.

        Parameters
        ----------
        n_samples : int, default=1

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
            Component labels.
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        if n_samples < 1:
            raise ValueError(f"n_samples must be >= 1, got {n_samples}")
        rng = check_random_state(self.random_state)
        counts = rng.multinomial(n_samples, self.weights_)
        parts = [self._emission.sample(p, n, rng)
                 for p, n in zip(self._comp_params, counts) if n > 0]
        X = np.vstack(parts)
        y = np.concatenate([np.full(int(n), j, dtype=np.int64) for j, n in enumerate(counts)])
        return X, y

    # -------------------------------------------------------------- summary
    def _component_table(self):
        cols = ["weight", "effective n", "parameters"]
        rows = []
        for j, c in enumerate(self.components_):
            params = getattr(c, "params_", None) or {}
            text = "; ".join(
                f"{k}={np.array2string(np.asarray(v, float), precision=4, threshold=6)}"
                for k, v in params.items())
            rows.append([float(self.weights_[j]), float(self.weights_[j]) * self.nobs_, text])
        return cols, rows
