"""GaussianMixture: a faster drop-in for scikit-learn's, with weights, priors and streaming."""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np
from scipy import linalg
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..exceptions import ComponentCollapseWarning
from ..priors import Dirichlet
from ..priors._wishart import NormalInverseWishart, niw_logpdf
from ._base import EM_CONSTRAINTS, BaseEM
from ._gaussian_inference import gaussian_mixture_information
from ._gaussian_kernels import (
    MixtureStats,
    Plan,
    em_pass,
    log_det_cholesky,
    stats_from_resp,
    weighted_log_prob,
)
from ._gaussian_params import (
    PRIOR_ADVICE,
    PlanShape,
    check_array_shape,
    check_precisions,
    check_weights,
    collapse_message,
    column_mean_var,
    from_precisions,
    map_params,
    precision_cholesky,
)
from ._gaussian_streaming import StepwiseEMMixin
from ._inference import check_stationary, flat_bounds
from ._summary import MixtureSummaryMixin


class GaussianMixture(MixtureSummaryMixin, StepwiseEMMixin, BaseEM):
    """Gaussian mixture fitted by EM: a drop-in for ``sklearn.mixture.GaussianMixture``.

    Same parameters, attributes and, from the same initial parameters, the same EM
    trajectory as scikit-learn's, computed by a fused blocked pass per iteration
    (a few large matrix products, no full-size temporaries). Beyond scikit-learn's:
    ``fit(X, sample_weight=...)``, ``partial_fit`` (stepwise EM on a stream),
    MAP-EM with ``prior=NormalInverseWishart()`` and ``weights_prior=Dirichlet(...)``,
    per-restart bookkeeping (``init_lower_bounds_``), ``loglik_``, ``n_params_``,
    ``summary()``, and float32 kept float32.

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        Each component's own full covariance, one shared full covariance, each
        component's own diagonal, or each component's own single variance.
    tol : float, default=1e-3
        EM stops when the objective (mean log-likelihood per unit weight, or
        log-posterior under a prior) gains less than ``tol``.
    reg_covar : float, default=1e-6
        Non-negative value added to the diagonal of every covariance.
    max_iter : int, default=100
        EM iterations per restart.
    n_init : int, default=1
        Restarts; the one with the largest final objective is kept. Restart 0 uses
        ``random_state`` as scikit-learn does, restart ``i > 0`` its own stream
        seeded from it (seeds in ``init_seeds_``).
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default="kmeans"
        Initialisation of the responsibilities.
    weights_init, means_init, precisions_init : array-like or None, default=None
        User-provided initial weights (k,), means (k, d) and precisions (shape by
        ``covariance_type`` as in scikit-learn).
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation and ``sample``.
    warm_start : bool, default=False
        Continue from the previous fit on the next ``fit`` call.
    verbose : int, default=0
        Print progress (1: iterations, 2: also timings and changes).
    verbose_interval : int, default=10
        Iterations between prints.
    n_jobs : int or None, default=None
        Threads over row blocks in each E-step (scikit-learn's meaning: None uses
        the cores this process may use, capped inside an enclosing joblib section
        such as ``GridSearchCV(n_jobs=2)`` and by ``threadpoolctl`` limits).
    prior : NormalInverseWishart or None, default=None
        Conjugate prior on the means and covariances (MAP-EM); unset
        hyper-parameters default from the data as R's mclust does.
    weights_prior : Dirichlet or None, default=None
        Dirichlet prior on the mixture weights (``alpha >= 1``).

    Attributes
    ----------
    weights_, means_, covariances_, precisions_, precisions_cholesky_
        The fitted parameters, as scikit-learn's (shapes by ``covariance_type``).
    converged_, n_iter_, lower_bound_, lower_bounds_
        Convergence of the best restart, as scikit-learn's.
    init_lower_bounds_ : ndarray of shape (n_init,)
        Final objective of every restart; ``init_n_iter_`` their iterations and
        ``init_seeds_`` their seeds (None: the ``random_state`` stream itself).
    loglik_ : float
        Total (weighted) log-likelihood of the training data at the final
        parameters, plus the log prior density under a prior.
    n_params_ : int
        Number of free parameters (the basis of ``aic`` and ``bic``).
    nobs_ : float
        Total sample weight.
    prior_params_ : dict
        Resolved prior hyper-parameters (only with a prior).
    n_features_in_, feature_names_in_
        As in scikit-learn.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import GaussianMixture
    >>> X = np.array([[1, 2], [2, 4], [0, 1], [10, 2], [11, 4], [9, 1]])
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> gm.means_
    array([[10.        ,  2.33333333],
           [ 1.        ,  2.33333333]])
    >>> gm.predict([[0, 0], [12, 3]])
    array([1, 0])
    >>> gm.n_params_, round(gm.loglik_, 4) == round(gm.score(X) * len(X), 4)
    (11, True)
    """

    _parameter_constraints: dict = {
        **EM_CONSTRAINTS,
        "covariance_type": [StrOptions({"full", "tied", "diag", "spherical"})],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "precisions_init": ["array-like", None],
        "prior": [None, NormalInverseWishart],
        "weights_prior": [None, Dirichlet],
    }

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
        prior=None,
        weights_prior=None,
        n_jobs=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.n_jobs = n_jobs
        self.prior = prior
        self.weights_prior = weights_prior

    # ------------------------------------------------------------ validation
    def _check_parameters(self, X, w):
        k, d = self.n_components, X.shape[1]
        self._dtype = X.dtype
        self._winit = self._minit = self._pinit = None
        if self.weights_init is not None:
            self._winit = check_weights(self.weights_init, k)
        if self.means_init is not None:
            self._minit = check_array_shape(self.means_init, (k, d), "means_init")
        if self.precisions_init is not None:
            self._pinit = check_precisions(self.precisions_init, self.covariance_type, k, d)
        wf = None if w is None else w.astype(np.float64)
        self._shift, var = column_mean_var(X, wf)
        self._data_var = float(np.mean(var))
        if self.prior is not None:
            self.prior_params_ = self.prior.resolve(X, wf, k)
        if self.weights_prior is not None:
            alpha = np.asarray(self.weights_prior.alpha, float)
            if alpha.ndim and alpha.shape != (k,):
                raise ValueError(
                    "weights_prior: Dirichlet alpha needs a scalar or one value per "
                    f"component ({k}), got shape {alpha.shape}"
                )
            alpha = np.broadcast_to(alpha, (k,))
            if np.any(alpha < 1):
                raise ValueError(
                    "weights_prior: Dirichlet alpha must be >= 1 for the posterior mode of "
                    f"the weights to exist, got {self.weights_prior.alpha!r}"
                )

    def _all_init_given(self):
        return (
            self.weights_init is not None
            and self.means_init is not None
            and self.precisions_init is not None
        )

    # -------------------------------------------------------- initialisation
    def _plan(self, dtype=None):
        return Plan(self.weights_, self.means_, self.precisions_cholesky_,
                    self.covariance_type, self._shift, dtype or self._dtype)

    def _initialize(self, X, w, resp):
        shape = PlanShape(self.n_components, self._shift, self.covariance_type)
        stats = stats_from_resp(X, w, resp, shape)
        weights, means, covs = self._params_from_stats(stats)
        if self.prior is None and self.weights_prior is None:
            # scikit-learn's initial weights are N_k / n (not renormalised)
            weights = (stats.N + 10 * np.finfo(X.dtype).eps) / self._total_weight(X, w)
        self._set_from_init_overrides(weights, means, covs, X.dtype)

    def _initialize_from_init(self, X, w):
        self._set_from_init_overrides(None, None, None, X.dtype)

    def _set_from_init_overrides(self, weights, means, covs, dtype):
        self.weights_ = np.asarray(weights if self._winit is None else self._winit, dtype=dtype)
        self.means_ = np.asarray(means if self._minit is None else self._minit, dtype=dtype)
        if self._pinit is None:
            self.covariances_ = np.asarray(covs, dtype=dtype)
            self.precisions_cholesky_ = precision_cholesky(covs, self.covariance_type, dtype)
        else:
            pc, cov = from_precisions(self._pinit, self.covariance_type)
            self.precisions_cholesky_ = pc.astype(dtype)
            self.covariances_ = cov.astype(dtype)

    # -------------------------------------------------------------- EM hooks
    def _em_pass(self, X, w):
        return em_pass(X, w, self._plan(X.dtype), n_jobs=self.n_jobs)

    def _m_step(self, stats):
        weights, means, covs = self._params_from_stats(stats)
        dtype = self._dtype
        if self.reg_covar == 0 and self.prior is None:
            self._raise_if_singular(covs)
        self.weights_ = weights.astype(dtype)
        self.means_ = means.astype(dtype)
        self.covariances_ = covs.astype(dtype)
        self.precisions_cholesky_ = precision_cholesky(covs, self.covariance_type, dtype)

    def _params_from_stats(self, stats: MixtureStats):
        """Weights, means and covariances (float64) maximising the expected objective."""
        ct, k = self.covariance_type, self.n_components
        d = stats.mean.shape[1]
        eps = 10 * np.finfo(self._dtype).eps
        nk = stats.N + eps
        if self.weights_prior is None:
            weights = nk / nk.sum()
        else:
            a = np.broadcast_to(np.asarray(self.weights_prior.alpha, float), (k,)) - 1.0
            weights = (stats.N + a) / (stats.N.sum() + a.sum())
            weights = np.maximum(weights, np.finfo(float).tiny)
            weights = weights / weights.sum()
        if self.prior is None:
            means = stats.mean
            if ct == "full":
                covs = stats.scatter / nk[:, None, None]
            elif ct == "tied":
                covs = stats.scatter / nk.sum()
            elif ct == "diag":
                covs = stats.scatter / nk[:, None]
            else:
                covs = stats.scatter / (nk * d)
        else:
            means, covs = map_params(stats, self.prior_params_, ct)
        if ct in ("full", "tied"):
            covs = covs + self.reg_covar * np.eye(d)
        else:
            covs = covs + self.reg_covar
        return weights, means, covs

    def _raise_if_singular(self, covs):
        """With ``reg_covar=0``, a covariance singular to rounding is a collapse: say so."""
        ct = self.covariance_type
        floor = 1e-13 * max(self._data_var, np.finfo(float).tiny)
        if ct in ("full", "tied"):
            stack = covs if ct == "full" else covs[None]
            smallest = np.linalg.eigvalsh(stack)[:, 0]
        else:
            smallest = covs.min(axis=1) if ct == "diag" else covs
        bad = np.flatnonzero(~(smallest > floor))
        if bad.size:
            raise ValueError(collapse_message(None if ct == "tied" else int(bad[0]),
                                               self._dtype))

    def _log_prior(self):
        lp = 0.0
        if self.prior is not None:
            lp += niw_logpdf(self.means_, self.covariances_, self.covariance_type,
                             self.prior_params_)
        if self.weights_prior is not None:
            lp += float(self.weights_prior.logpdf(np.asarray(self.weights_, dtype=float)))
        return lp

    def _estimate_weighted_log_prob(self, X):
        return weighted_log_prob(X, self._plan(X.dtype))

    def _get_parameters(self):
        return (self.weights_, self.means_, self.covariances_, self.precisions_cholesky_)

    def _set_parameters(self, params):
        self.weights_, self.means_, self.covariances_, self.precisions_cholesky_ = params
        pc = self.precisions_cholesky_
        if self.covariance_type == "full":
            self.precisions_ = pc @ np.swapaxes(pc, 1, 2)
        elif self.covariance_type == "tied":
            self.precisions_ = pc @ pc.T
        else:
            self.precisions_ = pc**2

    def _n_parameters(self):
        k, d = self.means_.shape
        cov = {
            "full": k * d * (d + 1) / 2.0,
            "diag": k * d,
            "tied": d * (d + 1) / 2.0,
            "spherical": k,
        }[self.covariance_type]
        return int(cov + d * k + k - 1)

    def _finish_fit(self, X, w, log_prob, total_w):
        super()._finish_fit(X, w, log_prob, total_w)
        self._set_parameters(self._get_parameters())
        self._defer_inference(X, w)

    def _compute_inference(self, X, w):
        """Standard errors from the observed information of the observed-data
        log-likelihood (Louis' method, exact Gaussian derivatives; the Laplace
        approximation under a prior): :mod:`._gaussian_inference`."""
        result = gaussian_mixture_information(
            self.weights_, self.means_, self.covariances_, self.precisions_,
            self.covariance_type, X, w, weights_prior=self.weights_prior,
            niw_hyper=self.prior_params_ if self.prior is not None else None,
            column_names=getattr(self, "feature_names_in_", None))
        cov = check_stationary(result, self.n_components, "GaussianMixture", self._stop_rule(),
                               self.nobs_, lambda: self._em_step_gain(X, w))
        if cov is None:
            self._set_inference(result.names, result.estimates, information=result.information)
        else:
            self._set_inference(result.names, result.estimates, cov=cov)
        self._bounds_flat = flat_bounds(result.names, {})

    def _param_bounds(self):
        self.bse_  # noqa: B018 - the bounds are set with the (lazy) inference
        return self._bounds_flat

    def _check_collapse(self):
        if self.prior is not None:
            return
        ct, reg = self.covariance_type, self.reg_covar
        cov = np.asarray(self.covariances_, dtype=np.float64)
        if ct == "full":
            smallest = np.linalg.eigvalsh(cov)[:, 0] - reg
        elif ct == "tied":
            smallest = np.array([linalg.eigvalsh(cov)[0] - reg])
        elif ct == "diag":
            smallest = cov.min(axis=1) - reg
        else:
            smallest = cov - reg
        floor = 1e-10 * max(self._data_var, np.finfo(float).tiny)
        bad = np.flatnonzero(smallest <= floor)
        if bad.size:
            warnings.warn(
                f"GaussianMixture: component(s) {bad.tolist()} collapsed: their empirical "
                "covariance is singular (e.g. duplicate or too few points), so the likelihood "
                f"has no finite maximum and the fit is set by reg_covar={reg!r}. To fix it, "
                + PRIOR_ADVICE + ".",
                ComponentCollapseWarning,
                stacklevel=4,
            )

    # ------------------------------------------------------------- sampling
    def sample(self, n_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Draw samples from the fitted mixture (the same draws as scikit-learn's).

        Parameters
        ----------
        n_samples : int, default=1

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
            Component labels.
        """
        check_is_fitted(self)
        if n_samples < 1:
            raise ValueError(
                f"Invalid value for 'n_samples': {n_samples}. The sampling requires at least "
                "one sample."
            )
        _, d = self.means_.shape
        rng = check_random_state(self.random_state)
        counts = rng.multinomial(n_samples, np.asarray(self.weights_, dtype=np.float64))
        ct = self.covariance_type
        if ct == "full":
            X = np.vstack([rng.multivariate_normal(m, c, int(s))
                           for m, c, s in zip(self.means_, self.covariances_, counts)])
        elif ct == "tied":
            X = np.vstack([rng.multivariate_normal(m, self.covariances_, int(s))
                           for m, s in zip(self.means_, counts)])
        else:
            X = np.vstack([m + rng.standard_normal(size=(s, d)) * np.sqrt(c)
                           for m, c, s in zip(self.means_, self.covariances_, counts)])
        y = np.concatenate([np.full(int(s), j, dtype=np.int64) for j, s in enumerate(counts)])
        return X, y

    # -------------------------------------------------------------- summary
    def _component_table(self):
        cols = ["weight", "effective n", "mean", "log det cov"]
        pc = np.asarray(self.precisions_cholesky_, dtype=float)
        d = self.means_.shape[1]
        logdet = -2.0 * np.broadcast_to(
            log_det_cholesky(pc, self.covariance_type, d), (self.n_components,))
        rows = []
        for j in range(self.n_components):
            mean = np.array2string(np.asarray(self.means_[j], float), precision=4, threshold=6)
            rows.append([float(self.weights_[j]), float(self.weights_[j]) * self.nobs_, mean,
                         float(logdet[j])])
        return cols, rows
