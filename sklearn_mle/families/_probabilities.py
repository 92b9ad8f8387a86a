"""A probability vector's algebra, shared by the categorical and multinomial families:
its mode from counts (with fixed entries), and the observed information and covariance
of its free entries (every free category but the last, which is the rest)."""

from __future__ import annotations

import warnings

import numpy as np

from .._engine.rules import DomainError
from ..exceptions import BoundaryWarning

__all__ = ["free_categories", "probability_covariance", "probability_information",
           "probability_mode"]


def probability_mode(counts, fixed=None, label="the probabilities"):
    """The mode of ``sum c_k log p_k`` over the simplex, with ``fixed`` (NaN = free)
    probabilities held: the free ones share the rest in proportion to their counts.

    ``counts`` include a Dirichlet prior's ``alpha - 1`` (MAP); a negative one means
    no mode: :class:`DomainError`.
    """
    c = np.asarray(counts, dtype=float)
    if np.any(c < 0):
        raise DomainError(
            f"{label}: the probabilities have no posterior mode: a Dirichlet prior with "
            "alpha < 1 leaves a category whose count plus alpha - 1 is negative; use "
            "alpha >= 1"
        )
    f = np.full(c.size, np.nan) if fixed is None else np.asarray(fixed, dtype=float)
    free = np.isnan(f)
    p = f.copy()
    if free.any():
        rem = 1.0 - float(np.sum(f[~free]))
        cf = c[free]
        tot = float(cf.sum())
        p[free] = rem * cf / tot if tot > 0 else rem / cf.size
        if np.any(cf == 0):
            warnings.warn(
                f"{label}: a category's count (plus alpha - 1 under a Dirichlet prior) is "
                "0, so its probability at the mode is 0, on the boundary: the Laplace "
                "standard errors are not reliable there. With a Dirichlet prior use "
                "alpha >= 1.",
                BoundaryWarning,
                stacklevel=4,
            )
    return p


def _free_split(p, fixed):
    f = np.full(np.size(p), np.nan) if fixed is None else np.asarray(fixed, dtype=float)
    free = np.flatnonzero(np.isnan(f))
    return free[:-1], (free[-1] if free.size else None)


def free_categories(n_categories, fixed=None):
    """Indices of the free parameters: every free category but the last free one."""
    return _free_split(np.zeros(n_categories), fixed)[0]


def _terms(counts, p, fixed):
    head, last = _free_split(p, fixed)
    c, p = np.asarray(counts, dtype=float), np.asarray(p, dtype=float)
    if last is None or head.size == 0:
        return head, np.zeros(0), 0.0
    # a zero count's term c log p is 0 whatever p: its curvature is 0, also at p = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        d_info = np.where(c[head] == 0, 0.0, c[head] / p[head] ** 2)
        t = 0.0 if c[last] == 0 else c[last] / p[last] ** 2
    return head, d_info, t


def probability_information(counts, p, fixed=None):
    """Negative Hessian of ``sum c_k log p_k`` in the free probabilities (the last
    free one is the rest): ``diag(c_i / p_i^2) + (c_L / p_L^2) 1 1^T``."""
    _, d_info, t = _terms(counts, p, fixed)
    return np.diag(d_info) + t


def probability_covariance(counts, p, fixed=None):
    """Inverse of :func:`probability_information` by Sherman-Morrison,
    ``D^-1 - t u u^T / (1 + t sum(u))`` with ``u = diag(D^-1)``: exact, without a
    factorisation; at the MLE the multinomial ``(diag(p) - p p^T) / n``. None when
    a zero count or probability makes the information singular."""
    _, d_info, t = _terms(counts, p, fixed)
    if d_info.size == 0:
        return np.zeros((0, 0))
    if not (np.all(np.isfinite(d_info)) and np.all(d_info > 0) and np.isfinite(t) and t > 0):
        return None
    u = 1.0 / d_info
    # u (u c), not (u u) c: with weights near 1e-200, u ~ 1e200 and u u overflows
    return np.diag(u) - np.outer(u, u * (t / (1.0 + t * u.sum())))

