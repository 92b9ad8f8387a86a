"""The log-normal family: the Gaussian family on ``log x``, plus the Jacobian ``-log x``."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats as sps

from .._engine.blocks import map_reduce
from .._engine.rules import NONFINITE, DomainError
from ..exceptions import BoundaryWarning, NumericalRangeWarning
from ._count_sums import scratch
from ._protocol import Family, ModeResult
from ._stats import unit_weights
from .gaussian import Gaussian, GaussianStats, centred_moments

__all__ = ["LogNormal"]

_RULE = "log-normal data must be > 0"


def log_moment_sums(X, shift, with_sum=False):
    """Per column ``sum z`` and ``sum z**2`` of ``z = log(x) - shift`` (unweighted), and
    with ``with_sum`` the plain ``sum x``, in one blocked pass (``log`` of a block at a
    time: no full-size temporary); None when a sum is not finite (x <= 0, NaN, inf)."""

    def block(xb):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z = np.log(xb, out=scratch(xb.size).reshape(xb.shape), dtype=np.float64)
            z -= shift
            out = (z.sum(axis=0), np.einsum("ij,ij->j", z, z))
            if with_sum:
                out += (xb.sum(axis=0, dtype=np.float64),)
        return out if all(np.all(np.isfinite(s)) for s in out) else None

    return map_reduce(block, X)


class LogNormal(Family):
    """Log-normal: ``log x`` is Gaussian with mean ``mu`` and standard deviation ``sigma``.

    Everything goes through a diagonal :class:`~sklearn_mle.families.gaussian.Gaussian`
    applied to ``log x``: the statistics are the Gaussian statistics of ``log x``
    (tagged ``"lognormal"``), the mode is the Gaussian mode (``sigma`` the root of its
    variance), the log-likelihood is the Gaussian one minus ``sum w log x`` (the
    Jacobian of ``x -> log x``, which is ``weight * mean`` of the statistics), and the
    information is the Gaussian information carried from ``(mean, variance)`` to
    ``(mu, sigma)`` by the chain rule. scipy's ``lognorm(s=sigma, scale=exp(mu))``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.families.lognormal import LogNormal
    >>> fam = LogNormal()
    >>> p = fam.mode(fam.stats(np.exp(np.array([[0.0], [1.0], [2.0], [3.0]]))))
    >>> float(p["mu"][0]), round(float(p["sigma"][0]) ** 2, 12)
    (1.5, 1.25)
    """

    name = "lognormal"
    param_names = ("mu", "sigma")
    bounds = {"sigma": (0.0, np.inf)}
    rules = (
        (f"Negative values in data are outside the support: {_RULE}", lambda X: X < 0),
        (f"{_RULE} (log 0 is undefined)", lambda X: X <= 0),
    )

    def __init__(self):
        self.gaussian = Gaussian("diag")

    def n_features(self, stats):
        return int(np.size(stats.mean))

    def _tag(self, s):
        return self.make_stats(GaussianStats, **s.fields())

    # ------------------------------------------------------------ statistics
    def _stats(self, X, w, checked):
        n = X.shape[0]
        if n and (w is None or unit_weights(w)):  # one pass: log and sums block by block
            with np.errstate(divide="ignore", invalid="ignore"):
                shift = np.log(X[0].astype(np.float64))
            sums = log_moment_sums(X, shift) if np.all(np.isfinite(shift)) else None
            if sums is not None:
                s1, s2 = sums
                m2 = s2 - s1**2 / n
                if np.all(m2 > 1e-6 * s2):  # no cancellation (else the shifted pass)
                    return self.make_stats(GaussianStats, weight=np.asarray(float(n)),
                                           mean=shift + s1 / n, m2=m2,
                                           dof=np.zeros(X.shape[1]))
        return self._tag(centred_moments(self._log(X, checked), w, full=False))

    def _log(self, X, checked):
        if not checked:
            if not np.all(np.isfinite(X)):
                raise DomainError(NONFINITE)
            self.check(X)
        return np.log(np.asarray(X, dtype=np.float64))

    def stats(self, X, weights=None, *, checked=False):
        """Statistics; weights (n, k) give k components' in one pass (the Gaussian's
        matrix products on ``log x``)."""
        if weights is None or np.ndim(weights) == 1:
            return self._stats(X, weights, checked)
        return tuple(self._tag(s) for s in self.gaussian.stats(self._log(X, checked), weights,
                                                                checked=True))

    # ------------------------------------------------------------------ mode
    @staticmethod
    def _gauss_params(params):
        return {"mean": params["mu"], "covariance": np.asarray(params["sigma"]) ** 2}

    def mode(self, stats, fixed=None):
        fixed = fixed or {}
        gfixed = {}
        if "mu" in fixed:
            gfixed["mean"] = fixed["mu"]
        if "sigma" in fixed:
            gfixed["covariance"] = np.asarray(fixed["sigma"], dtype=float) ** 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BoundaryWarning)  # said below, in our terms
            g = self.gaussian.mode(stats, gfixed)
        sigma = np.sqrt(g["covariance"])
        free = np.isnan(np.asarray(fixed.get("sigma", np.full(sigma.shape, np.nan))))
        if np.any((sigma <= 0) & free):
            warnings.warn(
                "LogNormalMLE: a column is constant, so the MLE sigma is 0, on the "
                "boundary: the density is degenerate and standard errors are not defined. "
                "Fix the spread with fixed_params={'sigma': value}, or drop the column.",
                BoundaryWarning,
                stacklevel=5,
            )
        return ModeResult({"mu": g["mean"], "sigma": sigma})

    # ------------------------------------------------------ log-likelihood
    def loglik(self, stats, params):
        out = self.gaussian.loglik(stats, self._gauss_params(params))
        out = out - float(stats.weight) * stats.mean  # the Jacobian: -sum w log x
        # sigma = 0 on a constant column: the supremum of the likelihood, +inf
        q = stats.m2 + float(stats.weight) * (stats.mean - params["mu"]) ** 2
        return np.where((params["sigma"] == 0) & (q == 0), np.inf, out)

    def information(self, stats, params):
        # chain rule from (mean, var = sigma**2): d/dsigma = 2 sigma d/dvar, so
        # I_ss = 4 sigma^2 I_vv - 2 dl/dvar and I_ms = 2 sigma I_mv
        gp = self._gauss_params(params)
        info = self.gaussian.information(stats, gp)
        grad_v = self.gaussian.gradient(stats, gp)[:, 1]
        s = np.asarray(params["sigma"], dtype=float)
        out = np.empty_like(info)
        with np.errstate(invalid="ignore", over="ignore"):
            out[:, 0, 0] = info[:, 0, 0]
            out[:, 0, 1] = out[:, 1, 0] = 2 * s * info[:, 0, 1]
            out[:, 1, 1] = 4 * s**2 * info[:, 1, 1] - 2 * grad_v
        return np.where(np.isfinite(out), out, 0.0)

    def scaled_information(self, stats, params):
        """The information in (mu / sigma, sigma / sigma), of the order of n where that
        in (mu, sigma), n / sigma**2, leaves float64 (weights near 1e-308): from the
        Gaussian's in (mean / sd, var / var) by the chain rule of :meth:`information`."""
        gp = self._gauss_params(params)
        ginfo, gscale = self.gaussian.scaled_information(stats, gp)
        s = np.asarray(params["sigma"], dtype=float)
        inside = (s > 0) & np.isfinite(s) & (gscale[:, 1] == s * s)
        if not inside.any():
            return super().scaled_information(stats, params)
        # var dl/dvar = -(n + dof) / 2 + q / (2 var) and J_vv = -(n + dof) / 2 + q / var,
        # so J_ss = 4 J_vv - 2 var dl/dvar = 3 J_vv + (n + dof) / 2
        half = (float(stats.weight) + np.asarray(stats.dof, dtype=float)) / 2
        out = np.empty_like(ginfo)
        with np.errstate(invalid="ignore", over="ignore"):
            out[:, 0, 0] = ginfo[:, 0, 0]
            out[:, 0, 1] = out[:, 1, 0] = 2 * ginfo[:, 0, 1]
            out[:, 1, 1] = 3 * ginfo[:, 1, 1] + half
        plain = self.information(stats, params)
        out = np.where(inside[:, None, None] & np.isfinite(out), out, plain)
        scale = np.where(inside, s, 1.0)
        return out, np.stack([scale, scale], axis=1)

    # -------------------------------------------------------------- density
    def logpdf(self, X, params):
        pos = X > 0
        logx = np.log(np.where(pos, X, 1.0))
        lp = self.gaussian.logpdf(logx, self._gauss_params(params)) - logx
        # sigma = 0 (a constant column): the degenerate density is +inf at its point,
        # as :meth:`loglik` says, so loglik_ is the sum of the rows' log-densities
        at_point = pos & (np.asarray(params["sigma"]) == 0) & (logx == params["mu"])
        return np.where(pos, np.where(at_point, np.inf, lp), -np.inf)

    def logpdf_rows(self, X, params_list):
        """k components at once: the Gaussian's ``logpdf_rows`` on ``log x`` (computed
        once per row) minus the Jacobian ``sum log x``."""
        pos = (X > 0).all(axis=1)
        with np.errstate(invalid="ignore"):
            logx = np.log(np.where(X > 0, X, 1.0))
        out = self.gaussian.logpdf_rows(logx, [self._gauss_params(p) for p in params_list])
        out -= logx.sum(axis=1)[:, None]
        if not pos.all():
            out[~pos] = -np.inf
        return out

    def sample(self, params, n, rng):
        with np.errstate(over="ignore"):
            draws = np.exp(self.gaussian.sample(self._gauss_params(params), n, rng))
        if np.isinf(draws).any():
            warnings.warn(
                "LogNormalMLE.sample: some draws exceed the float64 range and are inf "
                f"(sigma up to {float(np.max(params['sigma'])):.4g} on the log scale); "
                "rescale the data or sample log x from a Gaussian instead",
                NumericalRangeWarning,
                stacklevel=3,
            )
        return draws

    def to_scipy(self, params):
        return [sps.lognorm(s=float(s), scale=float(np.exp(m)))
                for m, s in zip(np.atleast_1d(params["mu"]), np.atleast_1d(params["sigma"]))]
