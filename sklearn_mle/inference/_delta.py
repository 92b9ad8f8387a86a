"""The delta method: estimate, standard error and interval of a function g(theta).

By the invariance of the MLE, ``g(theta_hat)`` is the MLE of ``g(theta)``; its
asymptotic covariance is ``J cov J^T`` with ``J`` the Jacobian of ``g`` at the
estimate, here by central differences on the public estimate vector (so ``g`` may be
any smooth function of ``estimates_``, e.g. ``lambda p: np.exp(p[1])``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats


class DeltaMethodResult(NamedTuple):
    """Result of ``delta_method``: one entry per output of the function."""

    estimate: np.ndarray
    std_err: np.ndarray
    cov: np.ndarray
    conf_int: np.ndarray
    pvalue: np.ndarray
    jacobian: np.ndarray
    names: list

    def summary_frame(self):
        """The result as a :class:`pandas.DataFrame`."""
        import pandas as pd

        return pd.DataFrame({"estimate": self.estimate, "std err": self.std_err,
                             "P>|z|": self.pvalue, "lower": self.conf_int[:, 0],
                             "upper": self.conf_int[:, 1]}, index=self.names)


def numerical_jacobian(func, theta, rel_step=None):
    """Central-difference Jacobian ``d func / d theta`` of shape (m, k).

    The step of parameter ``j`` is ``eps**(1/5) * max(|theta_j|, 1)`` (the optimal
    order for a fourth-order rule), refined by one Richardson extrapolation so the
    error is of fourth order in the step. Returns ``(func(theta), J)``.

    Examples
    --------
    >>> import numpy as np
    >>> value, J = numerical_jacobian(lambda t: np.exp(t[0]) * t[1], np.array([0.0, 2.0]))
    >>> bool(np.allclose(J, [[2.0, 1.0]], rtol=1e-9))
    True
    """
    theta = np.asarray(theta, dtype=float)
    f0 = np.atleast_1d(np.asarray(func(theta.copy()), dtype=float)).ravel()
    rel = np.finfo(float).eps ** (1.0 / 5.0) if rel_step is None else rel_step
    J = np.empty((f0.size, theta.size))
    for j in range(theta.size):
        h = rel * max(abs(theta[j]), 1.0)

        def diff(step, j=j):
            up, dn = theta.copy(), theta.copy()
            up[j] += step
            dn[j] -= step
            fu = np.atleast_1d(np.asarray(func(up), dtype=float)).ravel()
            fd = np.atleast_1d(np.asarray(func(dn), dtype=float)).ravel()
            return (fu - fd) / (2.0 * step)

        d1, d2 = diff(h), diff(h / 2.0)
        J[:, j] = (4.0 * d2 - d1) / 3.0
    return f0, J


def delta(func, estimates, cov, alpha=0.05, names=None, df=None, positive=False):
    """Delta-method estimate, covariance and Wald interval of ``func(estimates)``.

    ``positive=True``: the interval is the Wald interval of ``log func`` (standard
    error ``se / g``) mapped back by ``exp``, so it stays positive (odds ratios,
    means, quantiles of positive variables).
    """
    est, J = numerical_jacobian(func, estimates)
    if not np.all(np.isfinite(est)) or not np.all(np.isfinite(J)):
        raise ValueError("func is not finite (or not differentiable) at and around the "
                         "estimate; the delta method needs a smooth function there")
    used = np.any(J != 0, axis=0)
    covg = J[:, used] @ cov[np.ix_(used, used)] @ J[:, used].T
    se = np.sqrt(np.clip(np.diag(covg), 0.0, None))
    if df is None:
        crit = stats.norm.ppf(1 - alpha / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = 2 * stats.norm.sf(np.abs(est / se))
    else:
        crit = stats.t.ppf(1 - alpha / 2, df)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = 2 * stats.t.sf(np.abs(est / se), df)
    if positive:
        if np.any(est <= 0):
            raise ValueError("positive=True needs func > 0 at the estimate")
        ci = np.column_stack([est * np.exp(-crit * se / est), est * np.exp(crit * se / est)])
    else:
        ci = np.column_stack([est - crit * se, est + crit * se])
    names = [f"g{i}" for i in range(est.size)] if names is None else list(names)
    if len(names) != est.size:
        raise ValueError(f"names has {len(names)} entries for {est.size} function values")
    return DeltaMethodResult(est, se, covg, ci, p, J, names)
