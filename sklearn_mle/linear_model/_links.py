"""Binary families with non-canonical links: probit and complementary log-log.

They follow the GLM family interface of ``_family`` (``derivs``, ``loglik_const``,
``init_eta``, ``check_y``): ``hess`` is the observed information ``-d² loglik / d eta²``
per row, positive because both log-likelihoods are concave in ``eta``, so Newton
with the exact Hessian applies and the covariance is the inverse observed
information (statsmodels' ``Probit`` and ``GLM(..., method="newton")``). All terms
are computed in the log domain (``log_ndtr``, ``expm1``) and stay finite in the tails.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ._family import Binomial

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


class BinomialProbit:
    """Bernoulli outcomes with the probit link ``P(y = 1) = Phi(eta)``."""

    name = "binomial-probit"
    n_outputs = 1
    check_y = staticmethod(Binomial.check_y)
    loglik_const = staticmethod(Binomial.loglik_const)

    @staticmethod
    def log_probs(eta):
        """``(log P(y = 1), log P(y = 0))``."""
        return special.log_ndtr(eta), special.log_ndtr(-eta)

    @staticmethod
    def mean(eta):
        """``(mu, d mu / d eta)``."""
        return special.ndtr(eta), np.exp(-0.5 * eta**2 - _LOG_SQRT_2PI)

    @staticmethod
    def derivs(y, eta):
        lp1, lp0 = special.log_ndtr(eta), special.log_ndtr(-eta)
        logphi = -0.5 * eta**2 - _LOG_SQRT_2PI
        lam1 = np.exp(logphi - lp1)  # phi / Phi(eta): the inverse Mills ratio
        lam0 = np.exp(logphi - lp0)  # phi / Phi(-eta)
        score = y * lam1 - (1.0 - y) * lam0
        hess = y * lam1 * (eta + lam1) + (1.0 - y) * lam0 * (lam0 - eta)
        return y * lp1 + (1.0 - y) * lp0, score, hess

    @staticmethod
    def init_eta(y, w, offset):
        ybar = min(max(np.average(y, weights=w), 1e-3), 1 - 1e-3)
        return float(special.ndtri(ybar))


class BinomialCLogLog:
    """Bernoulli outcomes with the complementary log-log link
    ``P(y = 1) = 1 - exp(-exp(eta))``."""

    name = "binomial-cloglog"
    n_outputs = 1
    check_y = staticmethod(Binomial.check_y)
    loglik_const = staticmethod(Binomial.loglik_const)

    @staticmethod
    def log_probs(eta):
        t = np.exp(eta)
        return np.log(-np.expm1(-t)), -t

    @staticmethod
    def mean(eta):
        t = np.exp(eta)
        return -np.expm1(-t), t * np.exp(-t)

    @staticmethod
    def derivs(y, eta):
        t = np.exp(eta)
        lp1 = np.log(-np.expm1(-t))
        with np.errstate(over="ignore", invalid="ignore"):
            em1 = np.expm1(t)
            ratio = np.where(t > 700, 0.0, t / np.where(em1 > 0, em1, 1.0))  # t / (e^t - 1)
            ratio = np.where(t < 1e-300, 1.0, ratio)
            # t e^t - (e^t - 1) = 1 - e^t (1 - t): a series where it cancels
            num = np.where(t < 1e-3, t * t / 2.0 + t**3 / 3.0, t * np.exp(t) - em1)
            h1 = np.where(t > 700, 0.0, ratio * ratio * num / np.where(t > 0, t, 1.0))
        score = y * ratio - (1.0 - y) * t
        hess = y * h1 + (1.0 - y) * t
        return y * lp1 - (1.0 - y) * t, score, hess

    @staticmethod
    def init_eta(y, w, offset):
        ybar = min(max(np.average(y, weights=w), 1e-3), 1 - 1e-3)
        return float(np.log(-np.log1p(-ybar)))


LINKS = {"probit": BinomialProbit, "cloglog": BinomialCLogLog}
