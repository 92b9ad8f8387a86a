"""Exponential families with their canonical links, as the GLM solver sees them.

A family maps the linear predictor ``eta`` of each row to, in one pass,
``derivs(y, eta) -> (loglik, score, hess)``:

- the per-row log-likelihood without the terms free of the parameters
  (those are ``loglik_const(y)``, computed once per fit);
- ``score``: ``d loglik / d eta`` per row;
- ``hess``: ``-d^2 loglik / d eta^2`` per row (the variance function, as every
  link here is canonical, so observed and expected information coincide);
- ``dvar_ratio(eta)``: ``v'(eta) / v(eta)``, used by Firth's (Jeffreys) correction;
- ``check_y(y)``: the valid range of ``y``, a ValueError naming the rule otherwise.
- ``derivs_into(y, eta, w, unit, score_out, hess_out)`` (optional, the binomial and
  multinomial): :meth:`derivs` weighted and written into the solver's per-row
  arrays, returning the weighted log-likelihood sum (no temporaries or copies).

The multinomial family works on ``eta`` of shape ``(n, K - 1)`` (reference category
``0`` has ``eta = 0``); its ``hess`` is the class probabilities ``p`` of shape
``(n, K - 1)``: the Hessian weights ``diag(p) - p p^T`` are never materialised per row,
the solver uses their block structure.
"""

from __future__ import annotations

import numpy as np
from scipy import special

_EXP_SAFE = 700.0  # exp(x) of any x below this is finite, with room for a sum of K terms
_EXP_SAFE_SUM = float(np.exp(_EXP_SAFE))  # a row total 1 + sum exp(eta) below this: no overflow


class Binomial:
    """Bernoulli outcomes ``y in {0, 1}`` with the logit link."""

    name = "binomial"
    n_outputs = 1

    @staticmethod
    def check_y(y, estimator):
        if np.any((y != 0) & (y != 1)):
            raise ValueError(f"{estimator}: y must be binary (0/1) for the binomial family")

    @staticmethod
    def dvar_ratio(eta):
        return 1.0 - 2.0 * special.expit(eta)

    @staticmethod
    def loglik_const(y):
        return np.zeros(len(y))

    @staticmethod
    def derivs(y, eta):
        """(log-likelihood without constants, score, Hessian weight) in one pass.

        Everything from ``e = exp(-|eta|)`` (one exponential, in ``(0, 1]``): ``log(1 +
        exp(eta)) = max(eta, 0) + log1p(e)``, ``mu = 1 / (1 + e)`` or ``e / (1 + e)`` by
        the sign of ``eta``, and ``mu (1 - mu) = e / (1 + e)**2``, exact in both tails
        (``mu * (1 - mu)`` loses all digits once ``mu`` rounds to 1). About 5x faster
        than ``expit`` with ``log_expit``.
        """
        e = np.abs(eta)
        np.negative(e, out=e)
        np.exp(e, out=e)
        lk = np.log1p(e)
        lk += np.maximum(eta, 0.0)
        inv = np.add(e, 1.0)
        np.reciprocal(inv, out=inv)  # 1 / (1 + e)
        h = np.multiply(e, inv, out=e)  # e / (1 + e)
        mu = np.where(eta >= 0.0, inv, h)
        h *= inv
        lk = y * eta - lk
        return lk, y - mu, h

    @staticmethod
    def derivs_into(y, eta, w, unit, score_out, hess_out):
        """:meth:`derivs` of one row block written where the solver keeps them: the
        weighted score ``w * (y - mu)`` into ``score_out``, the weighted Hessian weight
        ``w * mu (1 - mu)`` into ``hess_out`` (both (rows, 1)); returns the weighted
        log-likelihood sum. The same formulas as :meth:`derivs`, without its
        temporaries and copies (``unit``: all weights are 1)."""
        e = np.abs(eta)
        np.negative(e, out=e)
        np.exp(e, out=e)
        lk = np.log1p(e)
        lk += np.maximum(eta, 0.0)
        inv = np.add(e, 1.0)
        np.reciprocal(inv, out=inv)  # 1 / (1 + e)
        h = np.multiply(e, inv, out=hess_out)  # e / (1 + e)
        mu = np.where(eta >= 0.0, inv, h)
        h *= inv
        np.subtract(y, mu, out=score_out)
        np.multiply(y, eta, out=e)
        e -= lk
        if unit:
            return float(np.sum(e))
        score_out *= w[:, None]
        hess_out *= w[:, None]
        return float(w @ e[:, 0])

    @staticmethod
    def init_eta(y, w, offset):
        ybar = np.average(y, weights=w)
        ybar = min(max(ybar, 1e-3), 1 - 1e-3)
        return float(np.log(ybar / (1 - ybar)))


class Poisson:
    """Counts ``y in {0, 1, 2, ...}`` with the log link."""

    name = "poisson"
    n_outputs = 1

    @staticmethod
    def check_y(y, estimator):
        bad = np.flatnonzero(~(y >= 0))
        if bad.size:
            i = bad[0]
            raise ValueError(
                f"{estimator}: y has value {float(y[i])!r} at row {i}; Poisson counts must be "
                "non-negative (non-integer values are allowed as a quasi-likelihood, as in "
                "statsmodels and scikit-learn)"
            )

    @staticmethod
    def dvar_ratio(eta):
        return np.ones_like(eta)

    @staticmethod
    def loglik_const(y):
        return -special.gammaln(np.asarray(y, dtype=float).reshape(len(y), -1)[:, 0] + 1.0)

    @staticmethod
    def derivs(y, eta):
        """(log-likelihood without -log y!, score, Hessian weight) in one pass."""
        mu = np.exp(eta)
        return y * eta - mu, y - mu, mu

    @staticmethod
    def init_eta(y, w, offset):
        ybar = max(np.average(y, weights=w), 1e-10)
        if offset is None:
            return float(np.log(ybar))
        expo = np.average(np.exp(offset), weights=w)
        return float(np.log(ybar / expo))


class Multinomial:
    """Categorical outcomes coded ``0..K-1`` (one-hot ``Y``), reference category 0."""

    name = "multinomial"

    def __init__(self, n_classes):
        self.n_classes = n_classes
        self.n_outputs = n_classes - 1
        self._ones = np.ones(n_classes - 1)  # row sums of (rows, K - 1) blocks through BLAS

    @staticmethod
    def loglik_const(Y):
        return np.zeros(len(Y))

    def derivs_response(self, Y):
        """The response as :meth:`derivs` reads it fastest: the one-hot columns of
        classes 1..K-1, contiguous (a solver converts it once per fit)."""
        Y = np.asarray(Y, dtype=float)
        if Y.shape[1] == self.n_outputs:
            return Y
        return np.ascontiguousarray(Y[:, 1:])

    def derivs(self, Y, eta):
        """(log-likelihood, score, class probabilities of classes 1..K-1) in one pass.

        ``Y``: one-hot of shape (n, K), or its columns 1..K-1 (:meth:`derivs_response`).
        """
        m = self.n_outputs
        Yc = Y if Y.shape[1] == m else Y[:, 1:]
        ones = np.ones(m)
        if eta.size == 0 or eta.max() < _EXP_SAFE:
            # the reference class's log-odds 0 is the shift: no exponential overflows
            # (e^700 * K is finite), and the rounding is that of the max-shifted sums.
            # Row sums and row scalings through BLAS (p @ ones) and the transposed
            # view: numpy's loops over a short axis 1 cost ~10x per element
            p = np.exp(eta)
            total = p @ ones
            total += 1.0
            inv = np.divide(1.0, total)
            np.multiply(p.T, inv, out=p.T)
            lse = np.log(total, out=total)
        else:
            # log-sum-exp over (0, eta) by hand: scipy's logsumexp builds (n, K)
            # temporaries
            top = np.zeros(eta.shape[0])
            for j in range(eta.shape[1]):
                np.maximum(top, eta[:, j], out=top)
            p = np.exp(eta - top[:, None])
            total = np.exp(-top)
            for j in range(p.shape[1]):
                total += p[:, j]
            p /= total[:, None]
            lse = np.log(total, out=total)
            lse += top
        lk = np.multiply(Yc, eta) @ ones  # one-hot: the observed class's log-odds
        lk -= lse
        return lk, Yc - p, p

    def derivs_into(self, Y, eta, w, unit, score_out, hess_out):
        """:meth:`derivs` of one row block written where the solver keeps them: the
        weighted score ``w * (Y - p)`` into ``score_out`` and the class probabilities
        ``p`` into ``hess_out`` (both (rows, K - 1); ``Y`` in the layout of
        :meth:`derivs_response`); returns the weighted log-likelihood sum. The same
        formulas as :meth:`derivs` without its temporaries and copies; the overflow
        test reads the row totals (rows) instead of ``eta`` (rows x (K - 1))."""
        ones = self._ones
        with np.errstate(over="ignore"):  # an overflow takes the fallback below
            p = np.exp(eta, out=hess_out)
        total = p @ ones
        total += 1.0
        if not total.size or not total.max() < _EXP_SAFE_SUM:  # also NaN
            lk, sc, hh = self.derivs(Y, eta)  # the max-shifted form
            np.copyto(hess_out, hh)
            np.copyto(score_out, sc)
            if unit:
                return float(np.sum(lk))
            np.multiply(score_out.T, w, out=score_out.T)
            return float(w @ lk)
        inv = np.divide(1.0, total)
        np.multiply(p.T, inv, out=p.T)
        lse = np.log(total, out=total)
        np.subtract(Y, p, out=score_out)
        if unit:
            return float(np.vdot(Y, eta)) - float(np.sum(lse))
        np.multiply(score_out.T, w, out=score_out.T)
        lk = np.multiply(Y, eta) @ ones  # one-hot: the observed class's log-odds
        lk -= lse
        return float(w @ lk)

    def init_eta(self, Y, w, offset):
        freq = np.clip(np.average(Y, axis=0, weights=w), 1e-3, None)
        return np.log(freq[1:] / freq[0])
