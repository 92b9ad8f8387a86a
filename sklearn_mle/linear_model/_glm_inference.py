"""Inference of the GLM estimators beyond the model-based covariance.

Sandwich covariances (``cov_type``) from the family's per-row scores, the summary's
model facts (LL-Null, McFadden's pseudo-R², LLR p-value, degrees of freedom),
prediction intervals of the mean, marginal effects and the bootstrap hooks. A mixin
of :class:`~._base.GLMBase`; it reads the fit's state set there (``_theta``,
``_train``, ``_fit_data``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy import stats
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from ..inference._delta import DeltaMethodResult, delta
from ..inference._prediction import PredictionResult, mean_prediction
from ..inference._robust import block_adjusted_scores, sandwich_cov
from ._newton import GLMProblem, newton_solve


class GLMInferenceMixin:
    """Robust covariances, summary facts, prediction and bootstrap for GLMs."""

    def _design_matrix(self, X):
        """The dense design ``[1, X]`` (``X`` when there is no intercept), float64."""
        X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
        if self.fit_intercept:
            return np.column_stack([np.ones(X.shape[0]), X])
        return X

    def _glm_score_rows(self, X, Y, offset, family):
        """Per-row scores ``r_i (x) a_i`` (k columns) and leverages of the working design.

        ``r_i`` and the Hessian weight ``v_i`` are the family's per-row derivatives of the
        log-likelihood in the linear predictor; the leverage (binary/count families) is
        ``h_i = v_i a_i' cov a_i`` with ``cov`` the inverse information.
        """
        A = self._design_matrix(X)
        eta = A @ self._theta.T
        if offset is not None:
            eta = eta + offset[:, None]
        _, r, v = family.derivs(Y, eta)
        n, m = r.shape
        S = (r[:, :, None] * A[:, None, :]).reshape(n, m * A.shape[1])
        lev = None
        if m == 1:
            lev = v[:, 0] * np.einsum("ij,ij->i", A @ self.cov_params_, A)
        return S, lev

    def _set_robust_inference(self, X, Y, w, offset, family, codes):
        """Replace the model-based covariance by the sandwich of type ``cov_type``."""
        S, lev = self._glm_score_rows(X, Y, offset, family)
        cov_type = self.cov_type
        if cov_type in ("HC2", "HC3") and lev is None:
            # several linear predictors (multinomial): the leverage is a block per row;
            # the adjusted scores enter an HC0 meat
            A = self._design_matrix(X)
            eta = A @ self._theta.T
            if offset is not None:
                eta = eta + offset[:, None]
            _, r, prob = family.derivs(Y, eta)
            V = np.einsum("ik,kl->ikl", prob, np.eye(prob.shape[1])) - \
                prob[:, :, None] * prob[:, None, :]
            S = block_adjusted_scores(r, A, V, self.cov_params_, cov_type)
            cov_type = "HC0"
        cov = sandwich_cov(self.cov_params_, S, w, cov_type, leverage=lev, groups=codes)
        self._set_inference(self.param_names_, self.estimates_, cov=cov)
        if codes is not None:
            self.n_groups_ = int(np.count_nonzero(np.bincount(codes, weights=w) > 0))

    def _loglik_function(self):
        """``theta -> log-likelihood`` (log-posterior under a prior) of the training data
        at a coefficient vector aligned with ``param_names_``: what
        ``delta_method(method="profile")`` maximises under its constraint."""
        train = getattr(self, "_train", None)
        if train is None or len(train) != 5 or self._theta.size != len(self.estimates_):
            raise ValueError(
                f"{type(self).__name__}: delta_method(method='profile') is implemented for "
                "the logistic and Poisson regressions fitted in memory; use method='wald' "
                "or conf_int(method='bootstrap')")
        X, Y, w, offset, family = train
        problem = GLMProblem(X, Y, w, offset, family, self.fit_intercept, self.prior,
                             self.intercept_prior, n_jobs=self.n_jobs)
        if problem.l1:
            raise ValueError(f"{type(self).__name__}: a Laplace (L1) prior's log-posterior "
                             "is not smooth; delta_method(method='profile') needs a smooth "
                             "objective")
        shape = self._theta.shape

        def loglik_at(theta):
            with np.errstate(all="ignore"):
                f = problem.value(np.reshape(np.asarray(theta, dtype=float), shape))
            return -float(f) if np.isfinite(f) else -np.inf

        return loglik_at

    # ------------------------------------------------------ summary facts
    def _remember_fit(self, X, y, w, offset, y_raw):
        """Keep what the summary and the bootstrap need: the data as given to fit."""
        name = getattr(y_raw, "name", None)
        self._y_name = str(name) if name is not None else "y"
        self._fit_data = (X, y, w, offset)
        m = self._theta.shape[0]
        self.df_model_ = int(self._theta.size - m * int(self.fit_intercept))
        self.df_resid_ = float(self.nobs_ - (self._theta.size))

    def _null_loglik(self):
        """Log-likelihood of the intercept-only model (with the fit's offset), by Newton:
        statsmodels' ``llnull``."""
        X, Y, w, offset, family = self._train
        problem = GLMProblem(X[:, :0], Y, w, offset, family, True, n_jobs=self.n_jobs)
        theta0 = np.zeros((problem.m, 1))
        theta0[:, 0] = family.init_eta(Y if problem.m > 1 else Y[:, 0], w, offset)
        res = newton_solve(problem, theta0, 1e-10, 100, lambda H: None)
        return float(-res.f)

    def _summary_facts(self):
        facts = {"Dep. variable": getattr(self, "_y_name", "y"),
                 "Df residuals": f"{getattr(self, 'df_resid_', np.nan):g}",
                 "Df model": str(getattr(self, "df_model_", ""))}
        facts["Covariance type"] = getattr(self, "cov_type", "nonrobust")
        if getattr(self, "cov_type", None) == "cluster":
            facts["No. clusters"] = str(self.n_groups_)
        if hasattr(self, "n_iter_"):
            facts["Iterations"] = str(self.n_iter_)
        if self.prior is None and self.intercept_prior is None and hasattr(self, "_train"):
            llnull = self._null_loglik()
            llr = 2.0 * (self.loglik_ - llnull)
            facts["LL-Null"] = f"{llnull:.6g}"
            facts["Pseudo R-squ. (McFadden)"] = f"{1.0 - self.loglik_ / llnull:.5f}"
            facts["LLR p-value"] = f"{stats.chi2.sf(max(llr, 0.0), self.df_model_):.4g}"
        return facts

    # ----------------------------------------------------------- prediction
    def _single_predictor(self, what):
        if self._theta.shape[0] != 1:
            raise ValueError(f"{type(self).__name__}: {what} is implemented for a single "
                             "linear predictor (binary logistic, Poisson, linear), not for "
                             "the multinomial model")

    def _prediction_rows(self, X, offset=None, exposure=None):
        check_is_fitted(self)
        self._single_predictor("predict_interval")
        X = self._validate_X(X, reset=False)
        return self._design_matrix(X), self._offset(offset, exposure, X.shape[0])

    def predict_interval(self, X, alpha: float = 0.05, offset=None,
                         exposure=None) -> PredictionResult:
        """The predicted mean with its standard error and confidence interval.

        The interval of the linear predictor (estimate ± z·SE, t·SE under
        ``use_t=True``) is mapped through the inverse link, so it stays in the range
        of the mean; the linear model adds the interval of a new observation
        (``obs_ci``). ``summary_frame()`` has the columns of statsmodels'
        ``get_prediction(...).summary_frame()``, which it equals.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        alpha : float, default=0.05
        offset, exposure : array-like of shape (n_samples,), optional
            For :class:`MLEPoissonRegression`.

        Returns
        -------
        PredictionResult

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle import MLEPoissonRegression
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
        >>> reg = MLEPoissonRegression().fit(X, [1, 2, 2, 5, 8, 13])
        >>> res = reg.predict_interval([[2.5]])
        >>> bool(res.mean_ci[0, 0] < res.mean[0] < res.mean_ci[0, 1])
        True
        """
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
        A, off = self._prediction_rows(X, offset, exposure)
        k = A.shape[1]  # the coefficients (a dispersion parameter may follow them)
        return mean_prediction(A, self._theta[0], self.cov_params_[:k, :k], off,
                               self._inverse_link,
                               self._critical_value(alpha), alpha, self._residual_variance())

    def _residual_variance(self):
        """Variance of a new observation around its mean (linear model only)."""
        return None

    def marginal_effects(self, at: str = "overall", X=None, alpha: float = 0.05,
                         offset=None, exposure=None) -> DeltaMethodResult:
        """Marginal effects ``d E[y|x] / d x_j`` of the features, with delta-method
        standard errors, as statsmodels' ``get_margeff(method="dydx")``.

        Parameters
        ----------
        at : {"overall", "mean"}, default="overall"
            ``"overall"``: the average of the per-row effects (AME); ``"mean"``: the
            effect at the mean of the features (MEM).
        X : array-like, optional
            Rows to average over (default: the training rows, with their offset).
        alpha : float, default=0.05
        offset, exposure : array-like, optional
            With ``X``, for :class:`MLEPoissonRegression`.

        Returns
        -------
        DeltaMethodResult
            One row per feature.
        """
        if at not in ("overall", "mean"):
            raise ValueError(f"at must be 'overall' or 'mean', got {at!r}")
        if X is None:
            check_is_fitted(self)
            self._single_predictor("marginal_effects")
            Xt, _, _, off = self._fit_data
            A = self._design_matrix(Xt)
        else:
            A, off = self._prediction_rows(X, offset, exposure)
        icpt = int(self.fit_intercept)
        if at == "mean":
            A = A.mean(axis=0, keepdims=True)
            off = None if off is None else np.array([np.mean(off)])
        link = self._inverse_link

        k = A.shape[1]  # the coefficients (a dispersion parameter may follow them)

        def effects(theta):
            eta = A @ theta[:k] if off is None else A @ theta[:k] + off
            return np.mean(link(eta)[1]) * theta[icpt:k]

        return delta(effects, self.estimates_, self.cov_params_, alpha,
                     self._feature_names(), self._t_df())

    # ------------------------------------------------------------ bootstrap
    def _bootstrap_setup(self, X, y, fit_params):
        if X is not None:
            return super()._bootstrap_setup(X, y, fit_params)
        Xt, yt, w, offset = self._fit_data
        kw = {"sample_weight": w}
        if offset is not None:
            kw["offset"] = offset

        def simulate(rng):
            return [Xt, self._simulate_response(rng, Xt, offset)], kw

        return [Xt, yt], kw, simulate

    def _bootstrap_template(self):
        # replicates need the estimates only: no sandwich, so no cluster labels
        return self if self.cov_type == "nonrobust" else clone(self).set_params(
            cov_type="nonrobust")
