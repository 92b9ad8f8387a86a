"""Shared base of the GLM estimators: validation, the fit driver, inference.

A subclass sets ``_family_for(y)`` (the family and the encoded response) and its
prediction methods; this base owns ``fit_intercept``, ``sample_weight``, pandas
names, CSR input, float32, offsets, the solver choice, priors, collinearity checks,
``ConvergenceWarning`` and the inference attributes (``loglik_``, ``n_params_``,
``nobs_``, ``param_names_``, ``cov_params_``, ``bse_``, ``pvalues_``, profile CIs).
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy import stats
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._engine import check_sample_weight
from ..base import LikelihoodMixin
from ..exceptions import InferenceWarning
from ..inference._delta import DeltaMethodResult, delta
from ..inference._prediction import PredictionResult, mean_prediction
from ..inference._robust import COV_TYPES, check_cov_type, group_codes, sandwich_cov
from ..inference._utils import cov_from_information
from ..priors import Jeffreys, Laplace, Normal, Prior, StudentT
from ._diagnostics import aliased_columns, aliased_message
from ._newton import GLMProblem, lbfgs_solve, newton_solve

_AUTO_LBFGS_PARAMS = 2000  # solver="auto": L-BFGS above this many parameters


GLM_PARAMETER_CONSTRAINTS: dict = {
    "fit_intercept": ["boolean"],
    "prior": [None, Prior],
    "intercept_prior": [None, Prior],
    "solver": [StrOptions({"auto", "newton", "lbfgs"})],
    "tol": [Interval(Real, 0.0, None, closed="neither")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "n_jobs": [None, Integral],
    "cov_type": [StrOptions(set(COV_TYPES))],
}

# sklearn's checks that cannot pass by design (shared by the three estimators)
GLM_XFAIL_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "the check's data has more columns than rows: the MLE is not identified and "
        "the fit raises a ValueError naming the aliased columns, by design"
    ),
    "check_sample_weight_equivalence_on_sparse_data": (
        "more columns than rows: the MLE is not identified (ValueError by design)"
    ),
    "check_estimators_empty_data_messages": (
        "with fit_intercept=True a design with zero feature columns is the intercept-only "
        "(null) model, which the LL-Null of the summary and nested model comparisons need; "
        "it fits, by design (with fit_intercept=False it raises as the check expects)"
    ),
}


def check_n_samples(estimator, X):
    if X.shape[0] < 2:
        raise ValueError(
            f"{type(estimator).__name__} needs at least 2 samples to fit, got "
            f"{X.shape[0]} sample"
        )


def check_prior_values(estimator):
    """Hyper-parameters of the coefficient priors: finite real numbers, and a scale
    whose precision ``1 / scale**2`` is a finite float (else the prior pins the
    coefficients and the Newton matrix overflows)."""
    who = type(estimator).__name__
    for name in ("prior", "intercept_prior"):
        prior = getattr(estimator, name)
        if prior is None:
            continue
        for key, value in prior.get_params().items():
            try:
                v = float(value)
            except (TypeError, ValueError):
                v = None
            if v is None or np.ndim(value) != 0 or not np.isfinite(v):
                raise ValueError(
                    f"{who}: {name}={prior!r}: hyper-parameter {key} must be a finite real "
                    f"number (one value for every coefficient), got {value!r}"
                )
            with np.errstate(over="ignore", under="ignore", divide="ignore"):
                precision = 1.0 / np.float64(v) ** 2
            if key == "scale" and not np.isfinite(precision):
                raise ValueError(
                    f"{who}: {name}={prior!r}: scale {v!r} is too small (its precision "
                    "1 / scale**2 overflows); it would pin the coefficients at the prior's "
                    "location: use a scale above 1e-150, or drop those features"
                )


class GLMBase(LikelihoodMixin, BaseEstimator):
    """Base class of MLELogisticRegression and MLEPoissonRegression. Not for direct use."""

    _parameter_constraints: dict = GLM_PARAMETER_CONSTRAINTS

    def __init__(self, *, fit_intercept=True, prior=None, intercept_prior=None,
                 solver="auto", tol=1e-8, max_iter=100, n_jobs=None, cov_type="nonrobust"):
        self.fit_intercept = fit_intercept
        self.prior = prior
        self.intercept_prior = intercept_prior
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.cov_type = cov_type

    # ----------------------------------------------------------- validation
    def _min_features(self):
        """Zero feature columns are the intercept-only (null) model when there is an
        intercept; without one a design needs a column."""
        return 0 if getattr(self, "fit_intercept", True) else 1

    def _validate_X(self, X, reset):
        return validate_data(self, X, reset=reset, accept_sparse="csr",
                             dtype=[np.float64, np.float32],
                             ensure_min_features=self._min_features())

    def _sample_weight(self, sample_weight, X):
        """Validated weights (the package's one validator), unit weights for None."""
        w = check_sample_weight(sample_weight, X, owner=type(self).__name__)
        return np.ones(X.shape[0]) if w is None else w

    def _feature_names(self):
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return [str(n) for n in names]
        return [f"x{j}" for j in range(self.n_features_in_)]

    def _design_names(self):
        return (["intercept"] if self.fit_intercept else []) + self._feature_names()

    def _offset(self, offset, exposure, n):
        """Offset vector from ``offset`` and ``log(exposure)`` (None when neither)."""
        out = None
        if offset is not None:
            out = np.asarray(offset, dtype=float).reshape(-1)
            if out.shape != (n,) or not np.all(np.isfinite(out)):
                raise ValueError(f"offset must be a finite array of length {n}")
        if exposure is not None:
            ex = np.asarray(exposure, dtype=float).reshape(-1)
            if ex.shape != (n,) or not np.all(np.isfinite(ex)) or np.any(ex <= 0):
                raise ValueError(f"exposure must be a finite positive array of length {n}")
            out = np.log(ex) if out is None else out + np.log(ex)
        return out

    def _check_prior(self):
        allowed = (Normal, Laplace, StudentT, Jeffreys)
        for name in ("prior", "intercept_prior"):
            p = getattr(self, name)
            if p is not None and not isinstance(p, allowed):
                raise ValueError(
                    f"{name}={p!r} is not a prior on regression coefficients; use Normal, "
                    "Laplace, StudentT, Cauchy or Jeffreys"
                )
        if isinstance(self.intercept_prior, Jeffreys):
            raise ValueError("Jeffreys() is a joint prior: pass it as prior=, not intercept_prior=")
        check_prior_values(self)

    # ---------------------------------------------------------------- fit
    def _check_cov_request(self, groups, n):
        """Validate ``cov_type`` with ``groups``; the cluster codes (None when unused)."""
        who = type(self).__name__
        check_cov_type(self.cov_type, groups, who)
        if self.cov_type != "nonrobust" and (self.prior is not None
                                             or self.intercept_prior is not None):
            raise ValueError(
                f"{who}: cov_type={self.cov_type!r} is a sandwich around the likelihood's "
                "information; under a prior the covariance is the Laplace approximation of "
                "the posterior: use cov_type='nonrobust' with a prior"
            )
        if self.cov_type != "cluster":
            return None
        return group_codes(groups, n, who)

    def _fit_glm(self, X, Y, w, offset, family, groups=None):
        self._check_prior()
        codes = self._check_cov_request(groups, X.shape[0])
        check_n_samples(self, X)
        problem = GLMProblem(X, Y, w, offset, family, self.fit_intercept, self.prior,
                             self.intercept_prior, n_jobs=self.n_jobs)
        theta0 = np.zeros((problem.m, problem.p))
        if self.fit_intercept:
            theta0[:, 0] = family.init_eta(Y if problem.m > 1 else Y[:, 0], w, offset)
        solver = self.solver
        if solver == "auto":
            solver = "lbfgs" if problem.k > _AUTO_LBFGS_PARAMS else "newton"
        if solver == "lbfgs" and problem.l1:
            solver = "newton"  # L1 needs the proximal Newton step
        names = self._design_names()
        prior_proper = self.prior is not None and type(self.prior).__name__ != "Jeffreys"
        checked = {"done": prior_proper or self.prior is not None and problem.l1}

        def inspect(H):
            self._raise_if_aliased(problem, H, names, checked)

        if solver == "newton":
            # solver="auto": a stalled Newton continues with L-BFGS inside the solver
            res = newton_solve(problem, theta0, self.tol, self.max_iter, inspect,
                               inspect=inspect, fallback=self.solver == "auto")
        else:
            if not checked["done"]:
                problem.value(theta0)
                inspect(problem.hessian())
            res = lbfgs_solve(problem, theta0, self.tol, self.max_iter)
        solver = res.solver
        # one Hessian at the solution, for the covariance (Laplace approx. under a prior),
        # from the per-row weights stored when the solution was evaluated
        H = res.info(True)
        if not checked["done"]:
            inspect(H)
        self._post_fit(problem, res)
        self.n_iter_ = int(res.n_iter)
        self.converged_ = bool(res.converged)
        if not self.converged_:
            warnings.warn(
                f"{type(self).__name__} did not converge in {self.n_iter_} iterations "
                f"(solver={solver!r}, {res.message or 'gradient above tolerance'}). Increase "
                "max_iter, standardise the features, or add a prior (prior=Normal(...)) "
                "if the estimates diverge.",
                ConvergenceWarning,
                stacklevel=4,
            )
        self._theta = res.theta.copy()
        self.loglik_ = float(-res.f)
        self.nobs_ = float(np.sum(w))
        self.n_params_ = int(problem.k)
        self._set_glm_inference(H, res.theta, problem)
        self._train = (X, Y, w, offset, family)
        if self.cov_type != "nonrobust":
            self._set_robust_inference(X, Y, w, offset, family, codes)
        return res

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
        if self.cov_type in ("HC2", "HC3") and lev is None:
            raise ValueError(f"{type(self).__name__}: cov_type={self.cov_type!r} needs the "
                             "leverages of a single linear predictor; use 'HC0', 'HC1' or "
                             "'cluster' for the multinomial model")
        cov = sandwich_cov(self.cov_params_, S, w, self.cov_type, leverage=lev, groups=codes)
        self._set_inference(self.param_names_, self.estimates_, cov=cov)
        if codes is not None:
            self.n_groups_ = int(np.count_nonzero(np.bincount(codes, weights=w) > 0))

    def _post_fit(self, problem, res):
        """Hook run while the solver state is alive (e.g. separation checks)."""

    def _diverges(self, problem, res, live):
        """Diverging-coefficient check: do a few Newton steps at a 1e-4 times tighter
        tolerance move the linear predictor? A finite MLE barely moves; a direction
        along which the likelihood keeps increasing (separation, zero-count groups)
        moves the affected rows by about log(1e4)."""
        eta0 = problem.eta[live]  # a copy (boolean index)
        newton_solve(problem, res.theta, self.tol * 1e-4, 20, lambda H: None)
        return float(np.max(np.abs(problem.eta[live] - eta0))) > 1.0

    def _raise_if_aliased(self, problem, H, names, checked):
        if checked["done"]:
            return
        checked["done"] = True
        p = problem.p
        aliased = aliased_columns(H[:p, :p] if problem.m > 1 else H, names)
        if aliased:
            info = f"; {problem.n} samples for {p} coefficients" if problem.n < p else ""
            raise ValueError(aliased_message(type(self).__name__, aliased, info))

    def _param_names_full(self):
        return self._design_names()

    def _set_glm_inference(self, H, theta, problem):
        names = self._param_names_full()
        est = theta.ravel()
        lam = problem.l1_weights().ravel()
        zero = (est == 0) & (lam > 0)
        if zero.any():
            active = ~zero
            cov = np.full((est.size, est.size), np.nan)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", InferenceWarning)
                sub = cov_from_information(H[np.ix_(active, active)])
            cov[np.ix_(active, active)] = sub
            warnings.warn(
                "Coefficients set exactly to zero by the Laplace (L1) prior have no "
                "Laplace-approximation standard error (the log-posterior is not "
                "differentiable there); bse_ is NaN for: "
                + ", ".join(str(names[i]) for i in np.flatnonzero(zero)),
                InferenceWarning,
                stacklevel=5,
            )
            self._set_inference(names, est, cov=cov)
        else:
            self._set_inference(names, est, information=H)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.pvalues_ = 2.0 * stats.norm.sf(np.abs(est / self.bse_))

    # ---------------------------------------------------------- inference
    def _profile_loglik(self, index, value):
        X, Y, w, offset, family = self._train
        problem = GLMProblem(X, Y, w, offset, family, self.fit_intercept, self.prior,
                             self.intercept_prior, n_jobs=self.n_jobs)
        theta0 = self._theta.copy().ravel()
        # start from the quadratic-approximation path: E[theta | theta_j = value]
        cov = self.cov_params_
        if np.all(np.isfinite(cov[:, index])) and cov[index, index] > 0:
            theta0 = theta0 + cov[:, index] / cov[index, index] * (value - theta0[index])
        theta0[index] = value
        free = np.ones(theta0.size, dtype=bool)
        free[index] = False
        res = newton_solve(problem, theta0, self.tol, self.max_iter, lambda H: None, free)
        return -float(res.f)

    def _linear_predictor(self, X, offset=None):
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        coef = self._theta[:, 1:] if self.fit_intercept else self._theta
        b = self._theta[:, 0] if self.fit_intercept else np.zeros(self._theta.shape[0])
        if X.dtype != np.float64 and not sp.issparse(X):
            X = X.astype(np.float64)
        eta = np.asarray(X @ coef.T) + b
        if offset is not None:
            eta = eta + np.asarray(offset, dtype=float).reshape(-1, 1)
        return eta

    def _response(self, y, n):
        """``y`` as a 1-d array of length ``n`` (a single column ``(n, 1)`` is accepted)."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.shape != (n,):
            raise ValueError(f"{type(self).__name__}: y must have shape ({n},) to match the "
                             f"{n} rows of X, got shape {y.shape}")
        return y

    def log_likelihood(self, X, y, sample_weight=None, **kwargs) -> float:
        """Total log-likelihood of ``(X, y)`` under the fitted model (no prior term).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, 1)
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights (the weighted sum of the per-row log-likelihoods).
        **kwargs
            ``offset``/``exposure`` for :class:`MLEPoissonRegression`.

        Returns
        -------
        float
        """
        check_is_fitted(self)
        rows = self._loglik_rows(X, y, **kwargs)
        w = check_sample_weight(sample_weight, rows, owner=type(self).__name__)
        return float(np.sum(rows) if w is None else w @ rows)

    def _total_loglik(self, X, y=None):
        # the LikelihoodMixin hook (aic, bic): the public surface, unit weights
        return self.log_likelihood(X, y)

    # ------------------------------------------------------ summary facts
    def _remember_fit(self, X, y, w, offset, y_raw):
        """Keep what the summary and the bootstrap need: the data as given to fit."""
        name = getattr(y_raw, "name", None)
        self._y_name = str(name) if name is not None else "y"
        self._fit_data = (X, y, w, offset)
        m = self._theta.shape[0]
        self.df_model_ = int(self.n_params_ - m * int(self.fit_intercept)
                             - int(type(self).__name__ == "MLELinearRegression"))
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
        return mean_prediction(A, self._theta[0], self.cov_params_, off, self._inverse_link,
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

        def effects(theta):
            eta = A @ theta if off is None else A @ theta + off
            return np.mean(link(eta)[1]) * theta[icpt:]

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
