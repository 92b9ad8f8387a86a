"""MLELinearRegression: Gaussian linear model by maximum likelihood (QR) or MAP (Newton)."""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from scipy import linalg, stats
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._engine.dask import is_dask
from ..exceptions import InferenceWarning
from ..inference._robust import COV_TYPES, sandwich_cov
from ..priors import Laplace, Normal, Prior
from ._base import GLM_XFAIL_CHECKS, GLMBase, check_n_samples
from ._diagnostics import aliased_columns, aliased_message
from ._linear_checks import check_magnitudes, exact_fit_message, is_exact_fit
from ._linear_posterior import LinearPosteriorMixin
from ._linear_summary import null_loglik, ols_facts

_RANK_TOL = 1e-10  # |R_jj| / |R_00| below which a (unit-norm) column counts as aliased


class MLELinearRegression(RegressorMixin, LinearPosteriorMixin, GLMBase):
    """Linear regression with Gaussian errors by maximum likelihood, with inference.

    ``y = intercept + X coef + e``, ``e ~ N(0, sigma2)``. The coefficients are the
    least-squares solution, computed by a column-pivoted QR decomposition of the
    (weighted, column-normalised) design, never the normal equations, so
    ill-conditioned designs keep their accuracy; exactly or numerically aliased
    columns are named in a ValueError. ``sigma2_`` is the MLE ``RSS / n`` (statsmodels'
    OLS reports ``RSS / (n - p)``); the covariance is the inverse observed information
    ``sigma2_ (X'X)^{-1}``, so ``bse_`` equals statsmodels' OLS ``bse`` times
    ``sqrt((n - p) / n)``. ``n_params_`` counts ``sigma2`` (as R's ``logLik.lm``), so
    AIC/BIC agree with R. ``score`` is R².

    Under ``prior=Normal(scale)`` (ridge) the fit is the joint posterior mode of the
    coefficients and ``sigma2`` (flat prior on ``sigma2``): ridge solves with penalty
    ``sigma2 / scale**2`` alternating with ``sigma2 = RSS / n`` until they agree; the
    covariance is the Laplace approximation from the joint Hessian in
    ``(coef, sigma2)``. Under ``Laplace`` (L1), ``StudentT`` or ``Cauchy`` priors the
    same joint mode is found by (proximal, for Laplace) Newton on ``(coef, log sigma2)``
    with the GLM solver; coefficients the Laplace prior sets exactly to zero get NaN
    standard errors, as in :class:`MLELogisticRegression`. ``loglik_`` is then the
    log-posterior and ``summary()`` reports MAP. ``Jeffreys`` is not supported.

    Parameters
    ----------
    fit_intercept : bool, default=True
    prior : Normal, Laplace, StudentT, Cauchy or None, default=None
        Prior on each coefficient (not the intercept).
    intercept_prior : Normal, Laplace, StudentT, Cauchy or None, default=None
        Prior on the intercept (flat by default).
    n_jobs : int or None, default=None
        Unused (kept for a uniform signature with the other models).
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"}, default="nonrobust"
        Covariance of the coefficients: ``sigma2 (X'X)^{-1}``, or a sandwich
        ``(X'X)^{-1} X' diag(e_i^2 / (1 - h_i)^a) X (X'X)^{-1}`` (HC0-HC3), or
        cluster-robust with ``fit(..., groups=)``; equal to statsmodels OLS's
        ``fit(cov_type=...)``. Only without a prior.
    use_t : bool, default=False
        Small-sample inference as statsmodels OLS: the non-robust covariance uses the
        unbiased ``RSS / (n - p)`` instead of the MLE ``RSS / n`` (``sigma2_`` stays the
        MLE, which is biased downwards by the factor ``(n - p) / n``), and p-values and
        intervals use Student's t with ``n - p`` degrees of freedom (``G - 1`` for
        ``cov_type="cluster"`` with ``G`` clusters). The summary's F-test uses F.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    sigma2_ : float
        MLE of the error variance, ``RSS / n`` (weighted: ``sum w r^2 / sum w``).
    loglik_, n_params_, nobs_, param_names_, cov_params_, bse_, pvalues_
        As :class:`MLELogisticRegression`; ``param_names_`` lists the intercept and
        coefficients (``sigma2`` is reported in the summary header).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import MLELinearRegression
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0], [5.0]])
    >>> y = np.array([2.1, 3.9, 6.2, 7.8, 10.1])
    >>> reg = MLELinearRegression().fit(X, y)
    >>> round(float(reg.coef_[0]), 4), round(reg.sigma2_, 4)
    (1.99, 0.0214)
    >>> from sklearn_mle.priors import Cauchy
    >>> shrunk = MLELinearRegression(prior=Cauchy(scale=0.5)).fit(X, y)
    >>> round(float(shrunk.coef_[0]), 4), shrunk.summary().header["Method"]
    (1.988, 'MAP')
    """

    _parameter_constraints: dict = {
        "fit_intercept": ["boolean"],
        "prior": [None, Prior],
        "intercept_prior": [None, Prior],
        "n_jobs": [None, Integral],
        "cov_type": [StrOptions(set(COV_TYPES))],
        "use_t": ["boolean"],
    }

    def __init__(self, *, fit_intercept=True, prior=None, intercept_prior=None, n_jobs=None,
                 cov_type="nonrobust", use_t=False):
        self.fit_intercept = fit_intercept
        self.prior = prior
        self.intercept_prior = intercept_prior
        self.n_jobs = n_jobs
        self.cov_type = cov_type
        self.use_t = use_t

    def _design(self, X):
        if sp.issparse(X):
            X = X.toarray()
        X = np.asarray(X, dtype=np.float64)
        if self.fit_intercept:
            X = np.column_stack([np.ones(X.shape[0]), X])
        return X

    @staticmethod
    def _solve(A, y, w, names, who, n_rows=None):
        """Weighted least squares by pivoted QR: coef, R factor pieces, RSS
        (``n_rows``: the number of samples, where ``A`` stands for other rows)."""
        sw = np.sqrt(w)
        Aw = A * sw[:, None]
        yw = y * sw
        norms = np.linalg.norm(Aw, axis=0)
        zero = norms == 0
        if zero.any():
            raise ValueError(aliased_message(who, [(names[j], []) for j in np.flatnonzero(zero)]))
        As = Aw / norms
        Q, R, piv = linalg.qr(As, mode="economic", pivoting=True)
        diag = np.abs(np.diag(R))
        rank = int(np.sum(diag > _RANK_TOL * diag[0])) if diag.size else 0
        if rank < A.shape[1]:
            gram = As.T @ As
            aliased = aliased_columns(gram, names, tol=1e-9) or [
                (names[piv[j]], [names[i] for i in piv[:rank]]) for j in range(rank, A.shape[1])
            ]
            n_rows = A.shape[0] if n_rows is None else n_rows
            info = f"; {n_rows} samples for {A.shape[1]} coefficients" if (
                n_rows < A.shape[1]) else ""
            raise ValueError(aliased_message(who, aliased, info))
        z = Q.T @ yw
        bp = linalg.solve_triangular(R, z)
        coef = np.empty_like(bp)
        coef[piv] = bp / norms[piv]
        resid = yw - Aw @ coef
        rss = float(resid @ resid)
        return coef, R, piv, norms, rss

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit by least squares (the Gaussian MLE).

        Parameters
        ----------
        X : array-like or sparse CSR matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights (integer weights equal repeated rows).
        groups : array-like of shape (n_samples,), default=None
            Cluster labels for ``cov_type="cluster"`` (ignored otherwise).

        Returns
        -------
        self
        """
        if is_dask(X) or is_dask(y):
            return self._fit_dask(X, y, sample_weight)
        y_raw = y
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32],
                             y_numeric=True, ensure_min_features=self._min_features())
        y = np.asarray(y, dtype=np.float64)
        w = self._sample_weight(sample_weight, X)
        check_n_samples(self, X)
        self._dask_data = None
        self._fit_rows(X, y, w, groups)
        self._remember_fit(X, y, w, None, y_raw)
        return self

    def _fit_dask(self, X, y, sample_weight):
        """The fit on Dask data: one reduction to rows with the data's Gram matrix
        (``_linear_dask``), then the in-memory fit on them (the same estimates,
        standard errors, log-likelihood and summary, to rounding)."""
        from ._dask_fit import refuse_on_dask
        from ._linear_dask import dask_linear_rows

        who = type(self).__name__
        if self.cov_type != "nonrobust":
            refuse_on_dask(who, f"cov_type={self.cov_type!r}",
                           " (a sandwich needs the per-row residuals on one machine)",
                           "use cov_type='nonrobust', or compute the data (X.compute())")
        rows = dask_linear_rows(self, X, y, sample_weight)
        check_n_samples(self, rows.X)
        self._fit_rows(rows.x, rows.y, rows.w, None, rows=rows)
        # a Dask Series' name is its column's; a Dask array's is a graph key
        named = y if hasattr(y, "to_dask_array") or not is_dask(y) else None
        self._remember_fit(rows.X, rows.y_data, rows.w_data, None, named)
        # the bootstrap and marginal effects need the rows themselves: refused
        self._dask_data = (rows.X, rows.y_data, rows.w_data)
        return self

    def _fit_rows(self, X, y, w, groups, rows=None):
        """The fit on validated rows; ``rows`` (a Dask fit) says what they stand for.

        ``rows``: None (the data themselves), or an object with ``n`` (the number of
        samples), ``count_distinct()`` and ``locate(j, centre)`` (of the data these
        weighted rows have the Gram matrix of: see ``_linear_dask``).
        """
        A = self._design(X)
        names = self._design_names()
        W = float(np.sum(w)) if rows is None else rows.total_weight
        count = None if rows is None else rows.count_distinct
        check_magnitudes(type(self).__name__, A[:, int(self.fit_intercept):], y, w, names,
                         self.fit_intercept, locate=None if rows is None else rows.locate)
        codes = self._check_cov_request(groups, X.shape[0])
        self.df_model_ = A.shape[1] - int(self.fit_intercept)
        self.df_resid_ = W - A.shape[1]
        if self.use_t and (self.prior is not None or self.intercept_prior is not None):
            raise ValueError(f"{type(self).__name__}: use_t=True is small-sample inference for "
                             "the least-squares fit; it does not apply under a prior")
        if self.prior is not None or self.intercept_prior is not None:
            self._check_prior()
            if all(p is None or isinstance(p, Normal) for p in (self.prior, self.intercept_prior)):
                self._fit_map(A, y, w, names, W)
                return
            if self._fit_newton(X, A, y, w, W, names, count):
                return
        # the solve sees the weights relative to the largest, as a power of 4 (an exact
        # scaling, its square root too: the same rounding whatever the weights' scale):
        # w * x**2 and w * resid**2 stay out of the subnormal range where the weights
        # are tiny (1e-200) or the data small (1e-150)
        top = float(np.max(w, initial=0.0))
        top = float(np.ldexp(1.0, 2 * (int(np.frexp(top)[1]) // 2))) if top > 0 else 1.0
        wn = w / top
        coef, R, piv, norms, rss_n = self._solve(A, y, wn, names, type(self).__name__,
                                                 None if rows is None else rows.n)
        Wn = W / top
        sigma2 = rss_n / Wn
        yw2 = float(np.sum(wn * y**2))
        if is_exact_fit(A, wn, rss_n, yw2, R, count):
            warnings.warn(exact_fit_message(type(self).__name__, A, w, self.prior is not None
                                            or self.intercept_prior is not None, count),
                          InferenceWarning, stacklevel=3)
            sigma2 = 0.0
        # (A'WA)^{-1} = F F' / top with F = P R^{-1} / norms (R, norms: of the solve's
        # weights w / top). F is kept as a factor: (A'WA)^{-1} alone overflows where
        # w x**2 is near 1e-308 while sigma2 (A'WA)^{-1} is an ordinary number
        Rinv = linalg.solve_triangular(R, np.eye(R.shape[0]))
        F = np.empty_like(Rinv)
        F[piv] = Rinv
        F /= norms[:, None]
        if self.cov_type != "nonrobust":
            resid = y - A @ coef
            AF = A @ F
            lev = np.einsum("ij,ij->i", AF, AF) / top
            # sandwich (A'WA)^{-1} M (A'WA)^{-1} = G [F' M F / r^2] G' with G = F r / top,
            # r the residuals' scale: every factor stays within float64
            r = float(np.sqrt(sigma2)) if sigma2 > 0 else 1.0
            inner = sandwich_cov(np.eye(F.shape[1]), (AF * (resid / r)[:, None]), w,
                                 self.cov_type, leverage=lev, groups=codes)
            G = F * (r / top)
            cov = G @ inner @ G.T
            if codes is not None:
                self.n_groups_ = int(np.count_nonzero(np.bincount(codes, weights=w) > 0))
        else:
            # the MLE RSS / n, or the unbiased RSS / (n - p) for small-sample inference
            s = rss_n / (self.df_resid_ / top) if self.use_t and self.df_resid_ > 0 else sigma2
            G = F * (np.sqrt(s) / np.sqrt(top))
            cov = G @ G.T
        self.sigma2_ = float(sigma2)
        self._theta = coef[None, :]
        self.coef_ = coef[1:].copy() if self.fit_intercept else coef.copy()
        self.intercept_ = float(coef[0]) if self.fit_intercept else 0.0
        with np.errstate(divide="ignore"):
            self.loglik_ = float(-0.5 * W * (np.log(2 * np.pi * sigma2) + 1.0))
        self.nobs_ = W
        self.n_params_ = A.shape[1] + 1
        self.n_iter_ = 1
        self.converged_ = True
        self._set_inference(names, coef, cov=cov)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.pvalues_ = self._two_sided_p(coef / self.bse_)
        self._train = (A, y, w)

    def predict(self, X):
        """Fitted mean ``intercept + X coef`` (on a Dask array, a lazy Dask array)."""
        return self._linear_predictor(X)[:, 0]

    def score(self, X, y, sample_weight=None):
        """R² of the predictions (``sklearn.metrics.r2_score``); on Dask data one
        reduction, nothing gathered."""
        if is_dask(X):
            from ._linear_dask import dask_r2

            check_is_fitted(self)
            return dask_r2(self, X, y, sample_weight)
        return super().score(X, y, sample_weight=sample_weight)

    def _loglik_rows(self, X, y):
        """Per-row Gaussian log-likelihood at ``sigma2_``."""
        mean = self.predict(X)
        r = self._response(y, mean.shape[0]).astype(float) - mean
        return stats.norm.logpdf(r, scale=np.sqrt(self.sigma2_))

    def _profile_loglik(self, index, value):
        if self.prior is not None or self.intercept_prior is not None:
            raise ValueError(f"{type(self).__name__}: profile intervals under a prior are not "
                             "implemented; use conf_int(method='wald')")
        A, y, w = self._train
        others = np.delete(np.arange(A.shape[1]), index)
        target = y - value * A[:, index]
        W = float(np.sum(w))
        if others.size:
            sw = np.sqrt(w)
            sol = linalg.lstsq(A[:, others] * sw[:, None], target * sw)[0]
            r = target - A[:, others] @ sol
        else:
            r = target
        s2 = float(w @ r**2) / W
        return float(-0.5 * W * (np.log(2 * np.pi * s2) + 1.0))

    def conf_int(self, alpha: float = 0.05, method: str = "wald", **kwargs) -> np.ndarray:
        """Confidence intervals (see :meth:`LikelihoodMixin.conf_int`; ``kwargs`` are its
        bootstrap options).

        After an exact fit (``sigma2_ == 0``) the log-likelihood is infinite at the
        estimate and the profile likelihood has no finite level set: both methods then
        give the zero-width interval of the zero standard errors, with an
        :class:`~sklearn_mle.exceptions.InferenceWarning`.
        """
        check_is_fitted(self)
        if method == "profile" and not self.sigma2_ > 0 and 0.0 < alpha < 1.0:
            warnings.warn(
                f"{type(self).__name__}: the data are fitted exactly (sigma2_ = 0), so the "
                "profile likelihood is infinite at the estimate and the intervals have zero "
                "width; the Gaussian error model does not apply",
                InferenceWarning,
                stacklevel=2,
            )
            return np.column_stack([self._theta.ravel(), self._theta.ravel()])
        return super().conf_int(alpha=alpha, method=method, **kwargs)

    def summary(self, alpha: float = 0.05):
        """Summary table; the header adds the MLE of the error variance ``sigma2``."""
        out = super().summary(alpha=alpha)
        key = ("sigma2 (MLE, RSS/n)" if self.prior is None and self.intercept_prior is None
               else "sigma2 (joint MAP, RSS/n)")
        out.header[key] = f"{self.sigma2_:.6g}"
        if self.prior is None and self.intercept_prior is None:
            A, y, w = self._train
            out.header.update(ols_facts(self, A, y, w, self._theta.ravel()))
        return out

    def _null_loglik(self):
        _, y, w = self._train
        return null_loglik(y, w, self.fit_intercept)

    @staticmethod
    def _inverse_link(eta):
        return eta, np.ones_like(eta)

    def _residual_variance(self):
        if self.use_t:
            return self.sigma2_ * self.nobs_ / self.df_resid_
        return self.sigma2_

    def _simulate_response(self, rng, X, offset):
        mean = self.predict(X)
        return mean + np.sqrt(self.sigma2_) * rng.standard_normal(mean.shape[0])

    _sklearn_xfail_checks = GLM_XFAIL_CHECKS

    @classmethod
    def _check_instances(cls):
        # the QR (MLE) path and the proximal Newton (MAP) path
        return [cls(), cls(prior=Laplace(1.0))]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
