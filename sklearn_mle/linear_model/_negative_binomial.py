"""MLENegativeBinomialRegression: NB2 count regression, dispersion estimated jointly."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import linalg, special
from sklearn.base import _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

from ..exceptions import BoundaryWarning
from ..inference._robust import COV_TYPES, sandwich_cov
from ._base import check_n_samples
from ._family import Poisson
from ._poisson import MLEPoissonRegression

_MIN_LOG_ALPHA = -25.0  # alpha below ~1e-11: the Poisson limit


def nb2_terms(y, eta, log_alpha, w, A, need_hess=True):
    """Log-likelihood, gradient and negative Hessian in ``(beta, log alpha)``, plus the
    per-row derivatives ``(d/d eta, d/d r)`` (``r = 1 / alpha``)."""
    r = np.exp(-log_alpha)
    mu = np.exp(eta)
    rm = r + mu
    ll_rows = (special.gammaln(y + r) - special.gammaln(r) - special.gammaln(y + 1.0)
               + r * (np.log(r) - np.log(rm)) + special.xlogy(y, mu) - special.xlogy(y, rm))
    d_eta = r * (y - mu) / rm
    d_r = (special.digamma(y + r) - special.digamma(r) + np.log(r) + 1.0 - np.log(rm)
           - (r + y) / rm)
    g = np.append(A.T @ (w * d_eta), -r * float(w @ d_r))
    if not need_hess:
        return float(w @ ll_rows), g, None, d_eta, d_r
    h_ee = (r + y) * mu * r / rm**2  # -d2 l / d eta2
    h_er = (y - mu) * mu / rm**2  # d2 l / d eta dr
    d_rr = (special.polygamma(1, y + r) - special.polygamma(1, r) + 1.0 / r - 2.0 / rm
            + (r + y) / rm**2)
    k = A.shape[1]
    H = np.empty((k + 1, k + 1))
    H[:k, :k] = (A * (w * h_ee)[:, None]).T @ A
    H[:k, k] = H[k, :k] = A.T @ (w * r * h_er)  # -(d2 l / d eta d phi) = r h_er
    H[k, k] = -(r * r * float(w @ d_rr) + r * float(w @ d_r))
    return float(w @ ll_rows), g, H, d_eta, d_r


class MLENegativeBinomialRegression(MLEPoissonRegression):
    """Negative binomial (NB2) regression by maximum likelihood, with inference.

    ``E[y | x] = mu = exp(intercept + x . coef + offset)`` and
    ``Var[y | x] = mu + alpha mu^2``: overdispersed counts. The coefficients and the
    dispersion ``alpha`` are estimated jointly by Newton's method on
    ``(coef, log alpha)`` with the exact Hessian, started from the Poisson fit;
    ``param_names_`` ends with ``"alpha"`` and the covariance is the inverse observed
    information in ``(coef, alpha)``, as statsmodels' ``NegativeBinomial``
    (``loglike_method="nb2"``), which it equals. When the data are not overdispersed
    the MLE of ``alpha`` is on the boundary 0 (the Poisson model): a
    :class:`~sklearn_mle.exceptions.BoundaryWarning` says so.

    Parameters
    ----------
    fit_intercept : bool, default=True
    tol : float, default=1e-8
        Stop when the largest gradient entry is below ``tol`` times the total weight.
    max_iter : int, default=100
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"}, default="nonrobust"
        As :class:`MLEPoissonRegression` (HC2/HC3 use the leverages of the mean model).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    alpha_ : float
        The NB2 dispersion.
    loglik_, n_params_, nobs_, param_names_, cov_params_, bse_, pvalues_
        As the other regression models; ``n_params_`` counts ``alpha``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.linear_model._negative_binomial import (
    ...     MLENegativeBinomialRegression)
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 1))
    >>> mu = np.exp(1.0 + 0.5 * X[:, 0])
    >>> y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu))
    >>> reg = MLENegativeBinomialRegression().fit(X, y)
    >>> reg.param_names_
    ['intercept', 'x0', 'alpha']
    >>> bool(0.3 < reg.alpha_ < 0.8)
    True
    """

    _parameter_constraints: dict = {
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0.0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "cov_type": [StrOptions(set(COV_TYPES))],
    }

    def __init__(self, *, fit_intercept=True, tol=1e-8, max_iter=100, cov_type="nonrobust"):
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.cov_type = cov_type

    # GLMBase reads these; the NB2 model has no prior and runs single-threaded
    prior = None
    intercept_prior = None
    n_jobs = None

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, offset=None, exposure=None, groups=None):
        """Fit by maximum likelihood.

        Parameters
        ----------
        X : array-like or sparse CSR matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Non-negative counts.
        sample_weight : array-like of shape (n_samples,), default=None
        offset, exposure : array-like of shape (n_samples,), default=None
            As :meth:`MLEPoissonRegression.fit`.
        groups : array-like of shape (n_samples,), default=None
            Cluster labels for ``cov_type="cluster"``.

        Returns
        -------
        self
        """
        y_raw = y
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32],
                             y_numeric=True, ensure_min_features=self._min_features())
        y = np.asarray(y, dtype=float)
        Poisson.check_y(y, type(self).__name__)
        w = self._sample_weight(sample_weight, X)
        codes = self._check_cov_request(groups, X.shape[0])
        off = self._offset(offset, exposure, X.shape[0])
        check_n_samples(self, X)
        A = self._design_matrix(X)
        with warnings.catch_warnings(record=True) as start_warnings:
            warnings.simplefilter("always")
            pois = MLEPoissonRegression(fit_intercept=self.fit_intercept, tol=self.tol,
                                        max_iter=self.max_iter).fit(
                X, y, sample_weight=w, offset=off)
        for rec in start_warnings:
            # the mean's MLE does not exist (zero counts fitted exactly by a coefficient
            # at -infinity): as true of the NB2 mean, so said in this estimator's name
            if issubclass(rec.category, BoundaryWarning):
                warnings.warn(str(rec.message).replace("MLEPoissonRegression",
                                                       type(self).__name__),
                              rec.category, stacklevel=2)
        beta = pois.estimates_.copy()
        k = A.shape[1]
        mu = pois.predict(X, offset=off)
        # the score of alpha at the Poisson fit (alpha = 0) is sum w ((y - mu)^2 - y) / 2:
        # not positive, the likelihood decreases into alpha > 0 and the MLE is alpha = 0
        # a row of weight 0 is not data: its mean may overflow where the mean's MLE
        # does not exist (0 * inf would make the Newton's sums NaN)
        pos = w > 0
        boundary = float(w[pos] @ ((y[pos] - mu[pos]) ** 2 - y[pos])) <= 0.0
        if boundary:
            theta = np.append(beta, -np.inf)
            ll, n_iter, converged = pois.loglik_, pois.n_iter_, pois.converged_
        else:
            theta, ll, n_iter, converged = self._newton(
                A[pos], y[pos], w[pos], None if off is None else off[pos], beta)
        self._theta = theta[None, :k].copy()
        self.coef_ = theta[int(self.fit_intercept):k].copy()
        self.intercept_ = float(theta[0]) if self.fit_intercept else 0.0
        self.alpha_ = float(np.exp(theta[k]))
        self.loglik_ = ll
        self.nobs_ = float(np.sum(w))
        self.n_params_ = k + 1
        self.n_iter_, self.converged_ = n_iter, converged
        eta = A @ theta[:k] + (0.0 if off is None else off)
        _, _, H, d_pos, r_pos = nb2_terms(y[pos], eta[pos], max(theta[k], _MIN_LOG_ALPHA),
                                          w[pos], A[pos])
        d_eta, d_r = np.zeros(y.size), np.zeros(y.size)  # scores of rows of weight 0: 0
        d_eta[pos], d_r[pos] = d_pos, r_pos
        # information in (beta, alpha) from that in (beta, log alpha): J = diag(1, 1/alpha)
        names = self._design_names() + ["alpha"]
        est = np.append(theta[:k], self.alpha_)
        if boundary:
            warnings.warn(
                f"{type(self).__name__}: the dispersion alpha is estimated at the boundary "
                "0: the counts are not overdispersed given the features, the model is the "
                "Poisson regression (use MLEPoissonRegression); alpha gets no standard error",
                BoundaryWarning, stacklevel=2)
        if boundary:
            cov = np.full((k + 1, k + 1), np.nan)
            cov[:k, :k] = pois.cov_params_  # beta given alpha = 0: the Poisson fit's
            cov[k, k] = np.inf
            self._set_inference(names, est, cov=cov)
        else:
            scale = np.append(np.ones(k), 1.0 / self.alpha_)
            self._set_inference(names, est, information=H * np.outer(scale, scale))
        if self.cov_type != "nonrobust" and not boundary:
            r = 1.0 / self.alpha_
            S = np.column_stack([A * d_eta[:, None], -r * r * d_r])
            lev = None
            if self.cov_type in ("HC2", "HC3"):
                mu = np.exp(eta)
                v = mu * (1 + self.alpha_ * y) / (1 + self.alpha_ * mu) ** 2
                lev = v * np.einsum("ij,ij->i", A @ self.cov_params_[:k, :k], A)
            cov = sandwich_cov(self.cov_params_, S, w, self.cov_type, leverage=lev,
                               groups=codes)
            if codes is not None:
                self.n_groups_ = int(np.count_nonzero(np.bincount(codes, weights=w) > 0))
            self._set_inference(names, est, cov=cov)
        self._train = (X, y[:, None], w, off, Poisson())
        self._remember_fit(X, y, w, off, y_raw)
        if not converged:
            warnings.warn(f"{type(self).__name__} did not converge in {n_iter} iterations; "
                          "increase max_iter or standardise the features",
                          ConvergenceWarning, stacklevel=2)
        return self

    def _newton(self, A, y, w, off, beta):
        """Newton with step halving on ``(beta, log alpha)`` from the Poisson fit."""
        base = 0.0 if off is None else off
        mu = np.exp(A @ beta + base)
        mom = float(np.sum(w * ((y - mu) ** 2 - y)) / np.sum(w * mu**2))
        theta = np.append(beta, np.log(min(max(mom, 0.05), 10.0)))
        k = A.shape[1]
        # the gradient is a sum over rows: its test is relative to the total weight (not
        # to max(total, 1)), so the estimates do not change when the weights are scaled
        scale = float(np.sum(w))
        unit = scale / max(np.count_nonzero(w), 1)  # the mean positive weight
        ll, g, H, _, _ = nb2_terms(y, A @ theta[:k] + base, theta[k], w, A)
        for it in range(1, self.max_iter + 1):
            if np.max(np.abs(g)) <= self.tol * scale:
                return theta, ll, it - 1, True
            try:
                step = linalg.cho_solve(linalg.cho_factor(H), g)
            except linalg.LinAlgError:  # not concave here: a gradient step
                step = g / max(np.max(np.abs(np.diag(H))), unit)
            t = 1.0
            for _ in range(50):
                cand = theta + t * step
                cand[k] = max(cand[k], _MIN_LOG_ALPHA)
                new = nb2_terms(y, A @ cand[:k] + base, cand[k], w, A, need_hess=False)[0]
                if np.isfinite(new) and new >= ll - 1e-12 * abs(ll):
                    break
                t *= 0.5
            else:
                return theta, ll, it, False
            theta = cand
            ll, g, H, _, _ = nb2_terms(y, A @ theta[:k] + base, theta[k], w, A)
            if theta[k] <= _MIN_LOG_ALPHA and g[k] <= 0:
                g[k] = 0.0  # pinned at the Poisson boundary
        return theta, ll, self.max_iter, bool(np.max(np.abs(g)) <= self.tol * scale)

    def _loglik_rows(self, X, y, offset=None, exposure=None):
        if self.alpha_ == 0.0:  # the Poisson limit
            return super()._loglik_rows(X, y, offset=offset, exposure=exposure)
        mu = self.predict(X, offset=offset, exposure=exposure)
        y = self._response(y, mu.shape[0]).astype(float)
        r = 1.0 / self.alpha_
        return (special.gammaln(y + r) - special.gammaln(r) - special.gammaln(y + 1.0)
                + r * (np.log(r) - np.log(r + mu)) + special.xlogy(y, mu)
                - special.xlogy(y, r + mu))

    def _null_loglik(self):
        X, Y, w, off, _ = self._train
        ones = np.ones((X.shape[0], 1))
        y = Y[:, 0]
        expo = np.ones(len(y)) if off is None else np.exp(off)
        b0 = np.log(max(np.average(y, weights=w), 1e-10) / np.average(expo, weights=w))
        return self._newton(ones, y, w, off, np.array([b0]))[1]

    def _simulate_response(self, rng, X, offset):
        mu = self.predict(X, offset=offset)
        if self.alpha_ == 0.0:
            return rng.poisson(mu).astype(float)
        r = 1.0 / self.alpha_
        return rng.negative_binomial(r, r / (r + mu)).astype(float)

    def _param_bounds(self):
        k = len(self.param_names_)
        lo = np.full(k, -np.inf)
        lo[-1] = 0.0  # alpha >= 0: the Wald interval is cut there
        return lo, np.full(k, np.inf)

    def _profile_loglik(self, index, value):
        raise ValueError(f"{type(self).__name__}: profile-likelihood intervals are not "
                         "implemented; use conf_int(method='wald') or method='bootstrap'")
