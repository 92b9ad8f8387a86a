"""MLEPoissonRegression: log-linear count regression with offset/exposure and inference."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import d2_tweedie_score
from sklearn.utils.validation import validate_data

from .._engine import check_sample_weight
from .._engine.dask import is_dask
from ..exceptions import BoundaryWarning
from ._base import GLM_XFAIL_CHECKS, GLMBase
from ._dask_fit import add_offset, dask_fit_input
from ._diagnostics import find_zero_count_direction, zero_count_message
from ._family import Poisson
from ._logistic import _ALWAYS_LP_SIZE, _named

_SUSPICIOUS_LOG_MEAN = -9.0  # fitted mean below ~1e-4 on a zero count


def poisson_deviance_rows(y, mu):
    """Per-row Poisson deviance ``2 (y log(y / mu) - y + mu)`` (0 log 0 = 0)."""
    return 2.0 * (special.xlogy(y, y) - special.xlogy(y, mu) - y + mu)


class MLEPoissonRegression(RegressorMixin, GLMBase):
    """Poisson regression (log link) by maximum likelihood (or MAP), with inference.

    ``log E[y | x] = intercept + x . coef + offset``, with ``offset = log(exposure)``
    when an exposure is given. Fitted by Newton-Raphson with the exact Hessian.
    ``score`` is D², the fraction of Poisson deviance explained, as scikit-learn's
    ``PoissonRegressor``.

    Parameters
    ----------
    fit_intercept : bool, default=True
    prior : Prior or None, default=None
        Prior on each coefficient (not the intercept): ``Normal(scale)`` is L2, equal
        to ``sklearn.linear_model.PoissonRegressor(alpha=1 / (n * scale**2))`` on ``n``
        unit-weight rows; ``Laplace``, ``StudentT``, ``Cauchy``, ``Jeffreys`` (Firth).
    intercept_prior : Prior or None, default=None
    solver : {"auto", "newton", "lbfgs"}, default="auto"
    tol : float, default=1e-8
        Stop when the largest gradient entry is below ``tol`` times the total weight.
    max_iter : int, default=100
    n_jobs : int or None, default=None
        Threads over row blocks for the Hessian (None: all cores).
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"}, default="nonrobust"
        Covariance of the estimates: the inverse observed information, or a sandwich
        (heteroscedasticity-robust HC0-HC3, cluster-robust with ``fit(..., groups=)``);
        see :mod:`sklearn_mle.inference`. Only without a prior.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    loglik_, n_params_, nobs_, param_names_, cov_params_, bse_, pvalues_
        See :class:`MLELogisticRegression`.
    converged_ : bool
    n_iter_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import MLEPoissonRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    >>> y = np.array([1, 2, 2, 5, 8, 13])
    >>> reg = MLEPoissonRegression().fit(X, y, exposure=np.full(6, 2.0))
    >>> reg.param_names_
    ['intercept', 'x0']
    >>> round(float(reg.coef_[0]), 3)
    0.518
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, offset=None, exposure=None, groups=None):
        """Fit by maximum likelihood (MAP under a prior).

        Parameters
        ----------
        X : array-like or sparse CSR matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Non-negative counts.
        sample_weight : array-like of shape (n_samples,), default=None
        offset : array-like of shape (n_samples,), default=None
            Added to the linear predictor with coefficient 1.
        exposure : array-like of shape (n_samples,), default=None
            Positive exposure (time at risk, population): ``offset += log(exposure)``.
        groups : array-like of shape (n_samples,), default=None
            Cluster labels for ``cov_type="cluster"`` (ignored otherwise).

        Returns
        -------
        self
        """
        if is_dask(X):
            data = dask_fit_input(self, X, y, sample_weight, offset, exposure, labels=False)
            self._fit_glm(data.X, data.y, data.w, data.offset, Poisson(), groups,
                          nobs=data.total_weight, start=data.start)
            self._remember_fit(data.X, data.y, data.w, data.offset, _named(y))
            return self._set_coef()
        y_raw = y
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32],
                             y_numeric=True, ensure_min_features=self._min_features())
        y = np.asarray(y, dtype=float)
        Poisson.check_y(y, type(self).__name__)
        w = self._sample_weight(sample_weight, X)
        off = self._offset(offset, exposure, X.shape[0])
        self._fit_glm(X, y[:, None], w, off, Poisson(), groups)
        self._remember_fit(X, y, w, off, y_raw)
        return self._set_coef()

    def _set_coef(self):
        theta = self._theta[0]
        self.coef_ = theta[1:].copy() if self.fit_intercept else theta.copy()
        self.intercept_ = float(theta[0]) if self.fit_intercept else 0.0
        return self

    def _post_fit(self, problem, res, H):
        if self.prior is not None:
            return
        eta, w = problem.eta[:, 0], problem.w
        live = w > 0
        large = problem.n * problem.k > _ALWAYS_LP_SIZE and res.converged
        # large data: no zero-count row with a fitted mean near 0 (no pass)
        if large and not np.any(eta[live & (problem.y[:, 0] == 0)] < _SUSPICIOUS_LOG_MEAN):
            return
        # no sign of a diverging direction (one more Newton step leaves every row where
        # it is): every fitted mean is away from 0, no linear program needed
        if self._no_drift(problem, res, H, live):
            return
        # large data: the LP only if a diverging-coefficient check confirms that the
        # estimates keep moving
        if large and not self._diverges(problem, res, live):
            return
        info = find_zero_count_direction(problem.X, problem.y[:, 0], w, self.fit_intercept,
                                         self._feature_names())
        if info is not None:
            warnings.warn(zero_count_message(type(self).__name__, info), BoundaryWarning,
                          stacklevel=5)

    def predict(self, X, offset=None, exposure=None):
        """Expected counts ``exp(intercept + X coef + offset)`` (on a Dask array, a lazy
        Dask array)."""
        eta = self._linear_predictor(X)
        off = self._offset(offset, exposure, eta.shape[0])
        if is_dask(eta):
            return np.exp(add_offset(eta, off)[:, 0])
        eta = eta[:, 0]
        return np.exp(eta if off is None else eta + off)

    def _loglik_rows(self, X, y, offset=None, exposure=None):
        """Per-row Poisson log-likelihood (``-log y!`` included)."""
        mu = self.predict(X, offset=offset, exposure=exposure)
        y = self._response(y, mu.shape[0]).astype(float)
        return special.xlogy(y, mu) - mu - special.gammaln(y + 1.0)

    def score(self, X, y, sample_weight=None, offset=None, exposure=None):
        """D²: fraction of Poisson deviance explained (1 is perfect), as PoissonRegressor.

        ``offset``/``exposure`` enter the predicted means as in :meth:`fit`; in
        ``cross_val_score`` route them with ``set_score_request(exposure=True)`` (and
        ``set_fit_request``), or the held-out means miss the exposure. When ``y`` is
        constant the null model already has deviance 0 and D² is 0/0; as
        scikit-learn's ``r2_score`` (``force_finite=True``), the score is then 1.0 for
        a perfect fit and 0.0 otherwise.
        """
        mu = self.predict(X, offset=offset, exposure=exposure)
        y = self._response(y, mu.shape[0]).astype(float)
        w = check_sample_weight(sample_weight, mu, owner=type(self).__name__)
        w = np.ones(len(y)) if w is None else w
        ybar = np.average(y, weights=w)
        if np.all(y == ybar):
            dev = float(w @ poisson_deviance_rows(y, mu))
            return 1.0 if dev <= 1e-12 * max(float(w @ y), np.finfo(float).tiny) else 0.0
        return float(d2_tweedie_score(y, mu, sample_weight=sample_weight, power=1))

    @staticmethod
    def _inverse_link(eta):
        mu = np.exp(eta)
        return mu, mu

    def _simulate_response(self, rng, X, offset):
        return rng.poisson(self.predict(X, offset=offset)).astype(float)

    _sklearn_xfail_checks = GLM_XFAIL_CHECKS

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.positive_only = True
        return tags
