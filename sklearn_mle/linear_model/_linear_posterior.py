"""The prior fits of MLELinearRegression: the joint posterior mode of (coef, sigma2).

:class:`LinearPosteriorMixin` is mixed into
:class:`~sklearn_mle.linear_model._linear.MLELinearRegression`: the prior checks,
ridge under Normal priors (``_fit_map``: alternating ridge solves and
``sigma2 = RSS / n``) and (proximal) Newton on ``(coef, log sigma2)`` under Laplace,
Student-t and Cauchy priors (``_fit_newton``), each with its Laplace covariance.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg, stats
from sklearn.exceptions import ConvergenceWarning

from ..inference._utils import cov_from_information
from ..priors import Jeffreys, Laplace, Normal, StudentT
from ._base import check_prior_values
from ._linear_checks import distinct_rows
from ._linear_map import JointProblem, UnitGaussian, rescaled
from ._newton import GLMProblem, newton_solve


class LinearPosteriorMixin:
    """Prior fits of :class:`~sklearn_mle.linear_model._linear.MLELinearRegression`."""

    def _prior_arrays(self, p):
        prec, loc = np.zeros(p), np.zeros(p)
        off = int(self.fit_intercept)
        for prior, cols in ((self.prior, slice(off, p)), (self.intercept_prior, slice(0, off))):
            if prior is None:
                continue
            if not isinstance(prior, Normal):
                raise ValueError(
                    f"{type(self).__name__} supports Normal priors only (ridge), got {prior!r}; "
                    "use MLELogisticRegression/MLEPoissonRegression for other priors"
                )
            prec[cols] = 1.0 / prior.scale**2
            loc[cols] = prior.loc
        return prec, loc

    def _check_prior(self):
        for name in ("prior", "intercept_prior"):
            p = getattr(self, name)
            if isinstance(p, Jeffreys):
                raise ValueError(
                    f"{name}=Jeffreys() is not supported by {type(self).__name__}: Firth's "
                    "correction does not apply to the Gaussian linear model (its MLE is "
                    "unbiased and always finite); use prior=None, Normal, Laplace, StudentT "
                    "or Cauchy"
                )
            if p is not None and not isinstance(p, (Normal, Laplace, StudentT)):
                raise ValueError(
                    f"{name}={p!r} is not a prior on regression coefficients; use Normal, "
                    "Laplace, StudentT or Cauchy"
                )
        check_prior_values(self)

    def _fit_newton(self, X, A, y, w, W, names, count_distinct=None):
        """Joint posterior mode of (coef, sigma2) under Laplace/Student-t/Cauchy priors.

        (Proximal, for Laplace) Newton on ``(coef, log sigma2)`` with the GLM solver;
        the covariance is the Laplace approximation from the joint Hessian in
        ``(coef, sigma2)``, reduced to ``coef`` by its Schur complement. With a flat
        intercept the solve runs on centred columns (an exact reparametrisation that
        keeps uncentred designs well conditioned), always in standardised units. Returns
        False when the data are fitted exactly by a unique least-squares solution: the
        posterior then has no mode (sigma2 -> 0) and the caller reports the exact fit as
        the MLE path does.
        """
        who = type(self).__name__
        off = int(self.fit_intercept)
        ybar = float(np.average(y, weights=w)) if off else 0.0
        sy = float(np.sqrt(np.average((y - ybar) ** 2, weights=w)))
        res = None
        # no more distinct rows than coefficients: an exact fit exists, the posterior is
        # unbounded (sigma2 -> 0) and Newton could only stop at a local mode
        count = count_distinct or (lambda: distinct_rows(A, w))
        if sy > 0 and count() > A.shape[1]:
            # solve on y / sy and (centred) columns / c: the convergence test is then free
            # of the units of X and y; the priors' scales follow (b' = b c / sy)
            center = off and self.intercept_prior is None
            xbar = np.average(A[:, 1:], axis=0, weights=w) if center else 0.0
            Xs = A[:, off:] - xbar
            c = float(np.sqrt(np.mean(np.average(Xs**2, axis=0, weights=w)))) if Xs.size else 1.0
            c = c if c > 0 else 1.0
            glm = GLMProblem(Xs / c, (y / sy)[:, None], w, None, UnitGaussian(),
                             self.fit_intercept, rescaled(self.prior, c / sy),
                             rescaled(self.intercept_prior, 1.0 / sy))
            theta0 = np.zeros(glm.p + 1)
            theta0[0] = ybar / sy
            res = newton_solve(JointProblem(glm), theta0, 1e-10, 200, lambda H: None)
        if res is None or not res.theta[0, -1] > np.log(1e-12):
            try:
                self._solve(A, y, w, names, who)
            except ValueError:
                raise ValueError(
                    f"{who}: the data can be fitted exactly (residual variance 0) in more than "
                    "one way (aliased columns or more coefficients than rows), so the joint "
                    "posterior of (coef, sigma2) under a flat prior on sigma2 has no mode, "
                    "whatever the prior on coef; use fewer features"
                ) from None
            return False
        theta = res.theta.ravel()
        coef, sigma2 = theta[:-1] * sy, float(np.exp(theta[-1])) * sy**2
        coef[off:] /= c
        if center:
            coef[0] -= float(xbar @ coef[1:])
        glm = GLMProblem(X, y[:, None], w, None, UnitGaussian(), self.fit_intercept,
                         self.prior, self.intercept_prior)
        if not res.converged:
            warnings.warn(
                f"{who} did not converge in {res.n_iter} Newton iterations "
                f"({res.message or 'gradient above tolerance'}); standardise the features "
                "or use a stronger prior",
                ConvergenceWarning,
                stacklevel=4,
            )
        # negative Hessian of the log-posterior in (coef, sigma2), exact prior curvature;
        # the Schur complement of the sigma2 entry is the information on coef alone
        ll = glm.loglik(glm.linear_predictor(coef))
        g = glm.loglik_gradient()
        lp, _, nh = glm.log_prior(coef[None, :])
        lp -= float(glm.l1_weights().ravel() @ np.abs(coef))  # the Laplace |b| / scale
        rss = -2.0 * ll
        # H_bb - h_bs h_bs' / h_ss with h_bs = g / s2^2, h_ss = (rss / s2 - W / 2) / s2^2,
        # written without powers of sigma2 (which underflow for data near 1e-150)
        gs = g.ravel() / sigma2
        info = glm.hessian() / sigma2 - np.outer(gs, gs) / (rss / sigma2 - 0.5 * W)
        info[np.diag_indices_from(info)] += nh.ravel()
        self.sigma2_ = sigma2
        self._theta = coef[None, :]
        self.coef_ = coef[off:].copy()
        self.intercept_ = float(coef[0]) if off else 0.0
        self.loglik_ = float(-0.5 * W * np.log(2 * np.pi * sigma2) - rss / (2 * sigma2) + lp)
        self.nobs_ = W
        self.n_params_ = glm.p + 1
        self.n_iter_ = int(res.n_iter)
        self.converged_ = bool(res.converged)
        self._set_glm_inference(info, coef[None, :], glm)
        self._train = (A, y, w)
        return self

    def _fit_map(self, A, y, w, names, W):
        """Joint posterior mode of (coef, sigma2) under Normal priors, Laplace covariance."""
        p = A.shape[1]
        prec, loc = self._prior_arrays(p)
        sw = np.sqrt(w)
        Aw, yw = A * sw[:, None], y * sw
        pen = prec > 0
        sigma2 = max(float(np.sum(w * (y - np.average(y, weights=w)) ** 2)) / W, 1e-300)
        converged = False
        for n_iter in range(1, 501):  # noqa: B007
            root = np.sqrt(sigma2 * prec[pen])
            aug = np.vstack([Aw, np.eye(p)[pen] * root[:, None]])
            rhs = np.concatenate([yw, root * loc[pen]])
            coef = linalg.lstsq(aug, rhs)[0]
            r = yw - Aw @ coef
            rss = float(r @ r)
            new = rss / W
            if abs(new - sigma2) <= 1e-13 * sigma2:
                sigma2, converged = new, True
                break
            sigma2 = new
        if not sigma2 > 0:
            raise ValueError(f"{type(self).__name__}: exact fit, the error variance MAP is 0")
        logprior = 0.0
        off = int(self.fit_intercept)
        if self.prior is not None:
            logprior += float(np.sum(self.prior.logpdf(coef[off:])))
        if self.intercept_prior is not None and off:
            logprior += float(np.sum(self.intercept_prior.logpdf(coef[:1])))
        # negative Hessian of the log-posterior in (coef, sigma2)
        H = np.empty((p + 1, p + 1))
        H[:p, :p] = Aw.T @ Aw / sigma2 + np.diag(prec)
        H[:p, p] = H[p, :p] = Aw.T @ r / sigma2**2
        H[p, p] = -W / (2 * sigma2**2) + rss / sigma2**3
        cov = cov_from_information(H, names + ["sigma2"])[:p, :p]
        self.sigma2_ = float(sigma2)
        self._theta = coef[None, :]
        self.coef_ = coef[off:].copy()
        self.intercept_ = float(coef[0]) if off else 0.0
        self.loglik_ = float(-0.5 * W * np.log(2 * np.pi * sigma2) - rss / (2 * sigma2)
                             + logprior)
        self.nobs_ = W
        self.n_params_ = p + 1
        self.n_iter_ = n_iter
        self.converged_ = converged
        self._set_inference(names, coef, cov=cov)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.pvalues_ = 2.0 * stats.norm.sf(np.abs(coef / self.bse_))
        self._train = (A, y, w)
        return self
