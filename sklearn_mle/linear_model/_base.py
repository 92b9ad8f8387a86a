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
from scipy import special
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._engine import check_sample_weight
from .._engine.dask import is_dask
from ..base import LikelihoodMixin
from ..exceptions import InferenceWarning
from ..inference._robust import COV_TYPES, check_cov_type, group_codes
from ..inference._utils import cov_from_information
from ..priors import Jeffreys, Laplace, Normal, Prior, StudentT
from ._glm_inference import GLMInferenceMixin
from ._newton import GLMProblem, lbfgs_solve, newton_solve
from ._solution_checks import SolutionChecksMixin

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


class GLMBase(SolutionChecksMixin, GLMInferenceMixin, LikelihoodMixin, BaseEstimator):
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
        if is_dask(X):  # the methods that read Dask data dispatch before this
            raise ValueError(f"{type(self).__name__}: this method is not available on Dask "
                             "data; compute the data (X.compute()) or a sample of it first")
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
        """Offset vector from ``offset`` and ``log(exposure)`` (None when neither); a
        lazy Dask array, checked chunk by chunk, when either is a Dask array."""
        if is_dask(offset) or is_dask(exposure):
            from ._dask_fit import dask_offset

            return dask_offset(offset, exposure, n)
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

    def _fit_glm(self, X, Y, w, offset, family, groups=None, nobs=None, start=None):
        if is_dask(X):
            return self._fit_glm_dask(X, Y, w, offset, family, nobs, start)
        self._dask_data = None
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
                               inspect=inspect, fallback=self.solver == "auto", finish=True)
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
        self._post_fit(problem, res, H)
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
        theta = self._polished(problem, res, H)
        self._theta = theta.copy()
        self.loglik_ = float(-res.f)
        self.nobs_ = float(np.sum(w))
        self.n_params_ = int(problem.k)
        self._set_glm_inference(H, theta, problem)
        self._train = (X, Y, w, offset, family)
        if self.cov_type != "nonrobust":
            self._set_robust_inference(X, Y, w, offset, family, codes)
        return res

    def _fit_glm_dask(self, X, Y, w, offset, family, nobs, start=None):
        """The fit on Dask data: exact Newton, one reduction per iteration (``_dask``);
        ``start``: the totals and sample gathered by the input checks' pass."""
        from ._dask_fit import DaskProblem, dask_glm_solve, refuse_on_dask

        who = type(self).__name__
        if self.cov_type != "nonrobust":
            refuse_on_dask(who, f"cov_type={self.cov_type!r}",
                           " (a sandwich needs the per-row scores on one machine)",
                           "use cov_type='nonrobust', or compute the data (X.compute())")
        self._check_prior()
        check_n_samples(self, X)
        res = dask_glm_solve(who, X, Y, w, offset, family, names=self._design_names(),
                             fit_intercept=self.fit_intercept, max_iter=self.max_iter,
                             prior=self.prior, intercept_prior=self.intercept_prior,
                             start=start)
        self.n_iter_ = int(res.n_iter)
        self.converged_ = bool(res.converged)
        if not self.converged_:
            warnings.warn(
                f"{who} did not converge in {self.n_iter_} iterations (Newton on Dask "
                "data). Increase max_iter, standardise the features, or add a prior "
                "(prior=Normal(...)) if the estimates diverge; the separation check is not "
                "available at scale: fit a computed sample to diagnose it.",
                ConvergenceWarning,
                stacklevel=4,
            )
        self._theta = res.theta.copy()
        self.loglik_ = float(res.loglik)
        self.nobs_ = float(nobs)
        self.n_params_ = int(res.theta.size)
        self._set_glm_inference(res.information, res.theta, DaskProblem(res.theta.shape))
        self._train = None
        self._dask_data = (X, Y, w, offset, family)
        self._dask_llnull = None
        return res

    def _null_loglik(self):
        data = getattr(self, "_dask_data", None)
        if data is None:
            return super()._null_loglik()
        if self._dask_llnull is None:  # one small Newton on the cluster, once
            from ._dask_fit import null_loglik

            start = self._theta[:, :1] if self.fit_intercept else None
            self._dask_llnull = null_loglik(*data, start)
        return self._dask_llnull

    def _refuse_dask(self, what):
        if getattr(self, "_dask_data", None) is not None:
            from ._dask_fit import refuse_on_dask

            refuse_on_dask(type(self).__name__, what,
                           " (it refits the model many times)")

    def _bootstrap_setup(self, X, y, fit_params):
        if X is None:
            self._refuse_dask("the bootstrap of a fit")
        return super()._bootstrap_setup(X, y, fit_params)

    def _design_matrix(self, X):
        if is_dask(X):
            from ._dask_fit import refuse_on_dask

            refuse_on_dask(type(self).__name__, "this method", " (it needs the rows on the "
                           "client)", "pass X= a NumPy sample, or compute the data")
        return super()._design_matrix(X)

    def _post_fit(self, problem, res, H):
        """Hook run while the solver state is alive (e.g. separation checks); ``H`` is
        the Newton matrix at the solution."""


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
            # norm.sf(z) is ndtr(-z) in scipy, without the distribution's ~0.15 ms of
            # argument handling per call
            self.pvalues_ = 2.0 * special.ndtr(-np.abs(est / self.bse_))

    # ---------------------------------------------------------- inference
    def _profile_loglik(self, index, value):
        self._refuse_dask("a profile-likelihood interval (method='profile')")
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
        if is_dask(X):  # lazy, chunk by chunk where the rows live
            from ._dask_fit import add_offset, eta_rows

            return add_offset(eta_rows(self, X, self._theta, self.fit_intercept), offset)
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
        if is_dask(X):  # one reduction of the chunks' weighted sums
            from ._dask_fit import dask_loglik

            return dask_loglik(self._loglik_rows, self, X, y, sample_weight, kwargs)
        rows = self._loglik_rows(X, y, **kwargs)
        w = check_sample_weight(sample_weight, rows, owner=type(self).__name__)
        return float(np.sum(rows) if w is None else w @ rows)

    def _total_loglik(self, X, y=None):
        # the LikelihoodMixin hook (aic, bic): the public surface, unit weights
        return self.log_likelihood(X, y)
