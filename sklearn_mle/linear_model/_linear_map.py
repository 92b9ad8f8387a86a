"""Pieces of MLELinearRegression's MAP fit under non-Normal priors: the unit-variance
Gaussian family and the joint problem in ``(coef, log sigma2)`` for the GLM solver."""

from __future__ import annotations

import numpy as np
from scipy import linalg


class UnitGaussian:
    """Gaussian family with unit variance: log-likelihood ``-r**2 / 2``, for least squares."""

    n_outputs = 1

    @staticmethod
    def loglik_const(y):
        return np.zeros(len(y))

    @staticmethod
    def derivs(y, eta):
        r = y - eta
        return -0.5 * r * r, r, np.ones_like(r)


class JointProblem:
    """Negative log-posterior of ``(coef, s = log sigma2)`` for :func:`newton_solve`.

    ``f = W/2 log(2 pi) + W s / 2 + exp(-s) RSS / 2 - log p(coef)`` (flat prior on
    ``sigma2``; the mode does not depend on the parametrisation of ``sigma2``). The
    residual sum of squares, its gradient and ``A'WA`` come from a :class:`GLMProblem`
    with a unit-variance Gaussian family, the log-prior (and the L1 weights of a Laplace
    prior) from its ``log_prior``. The Newton matrix is the exact joint Hessian when it
    is positive definite (near the mode), its block diagonal otherwise.
    """

    has_prior = True  # the joint (coef, log sigma2) problem is always a MAP problem

    def __init__(self, glm):
        self.glm = glm
        self.w = glm.w
        self.W = float(np.sum(glm.w))
        self.m, self.p = 1, glm.p + 1

    def l1_weights(self):
        return np.append(self.glm.l1_weights().ravel(), 0.0)[None, :]

    def linear_predictor(self, theta):
        return self.glm.linear_predictor(np.asarray(theta).ravel()[:-1])

    def direction(self, step):
        return self.glm.direction(np.asarray(step).ravel()[:-1])

    def trial(self, theta, eta, step):
        """``(A @ step, eta + A @ step, value at theta + step)``: the solver's first trial."""
        d_eta = self.direction(step)
        eta_new = eta + d_eta
        return d_eta, eta_new, self.value(np.asarray(theta).ravel() + np.asarray(step).ravel(),
                                          eta_new)

    def value(self, theta, eta=None):
        theta = np.asarray(theta, dtype=float).ravel()
        b, s = theta[None, :-1], float(theta[-1])
        if not s > -700.0:  # sigma2 underflows: outside the domain, the line search backs off
            return np.inf
        if eta is None:
            eta = self.glm.linear_predictor(b)
        rss = -2.0 * self.glm.loglik(eta)  # the unit Gaussian's log-likelihood is -RSS / 2
        lp, gp, nh = self.glm.log_prior(b)
        e = np.exp(-s)
        self._state = {"e": e, "rss": rss, "gp": gp, "nh": nh, "g": None}
        return 0.5 * self.W * (np.log(2.0 * np.pi) + s) + 0.5 * e * rss - lp

    def _loglik_gradient(self):
        st = self._state
        if st["g"] is None:
            st["g"] = self.glm.loglik_gradient().ravel()  # A'W r
        return st["g"]

    def gradient(self):
        st = self._state
        g = self._loglik_gradient()
        return np.append(-st["e"] * g - st["gp"].ravel(), 0.5 * self.W - 0.5 * st["e"] * st["rss"])

    def newton_matrix(self, exact=False):
        st = self._state
        e, nh, g = st["e"], st["nh"], self._loglik_gradient()
        k = self.p
        H = np.empty((k, k))
        H[:-1, :-1] = e * self.glm.hessian()
        H[np.diag_indices(k - 1)] += (nh if exact else np.maximum(nh, 0.0)).ravel()
        H[:-1, -1] = H[-1, :-1] = e * g
        H[-1, -1] = 0.5 * e * st["rss"]
        if not exact:
            try:
                linalg.cholesky(H, check_finite=False)
            except (linalg.LinAlgError, ValueError):
                H[:-1, -1] = H[-1, :-1] = 0.0
        return H


def rescaled(prior, factor):
    """The prior of ``b * factor`` for ``b ~ prior`` (a scale family; None stays None)."""
    if prior is None:
        return None
    return type(prior)(**{**prior.get_params(), "scale": prior.scale * factor})
