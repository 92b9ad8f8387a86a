"""Centred moments of the Gaussian family in one blocked pass: the statistics type
(``GaussianStats``, Chan's merge plus the prior's degrees of freedom) and the passes
that compute it without cancellation or full-size temporaries."""

from __future__ import annotations

import numpy as np

from .._engine.blocks import map_reduce
from .._engine.rules import NONFINITE, DomainError
from ._count_sums import scratch
from ._stats import CentredStats, total_weight, unit_weights

__all__ = ["GaussianStats", "centred_moments"]

OVERFLOW_RULE = (
    "the variance of the data exceeds the float64 range (about 1.8e308): rescale the "
    "column, e.g. divide it by a power of ten near its largest value"
)


class GaussianStats(CentredStats):
    """Weight, mean, centred second moment and ``dof``, the extra count of the
    variance's denominator.

    ``dof`` (d,) is zero for data; a normal-inverse-gamma prior's pseudo-statistics
    carry ``2 alpha + 3 - kappa`` there, so that the variance's posterior mode is
    exactly ``m2 / (weight + dof)`` of the summed statistics. Adding is Chan et
    al.'s exact formula for (weight, mean, m2) and a plain sum for ``dof``.
    """

    __slots__ = ()

    def _combine(self, other):
        n1, n2 = float(self.weight), float(other.weight)
        if n1 == 0 or n2 == 0:  # no cross term; keep the other side's moments
            out = dict(other.fields() if n1 == 0 else self.fields())
            out["dof"] = self.dof + other.dof
            out["weight"] = np.asarray(n1 + n2)
            return out
        return super()._combine(other)



def _pow2(x):
    """The power of two at or above ``x`` (> 0): scaling by it is exact."""
    return np.ldexp(1.0, np.frexp(np.asarray(x, dtype=float))[1])


def _moment_sums(X, shift, w, full):
    """``(sum w, sum w z, sum w z z')`` of ``z = x - shift`` over row blocks."""
    def block(xb, wb):
        z = xb - shift
        if wb is None:
            return float(z.shape[0]), z.sum(axis=0), z.T @ z if full else np.einsum(
                "ij,ij->j", z, z)
        wz = z * wb[:, None]
        return float(wb.sum()), wz.sum(axis=0), wz.T @ z if full else np.einsum(
            "ij,ij->j", wz, z)

    return map_reduce(block, X, w, limit_blas=full)


def centred_moments(X, w, full, shift=None):
    """Weight, mean and centred second moment of the rows of X (:class:`GaussianStats`).

    Rows are shifted (by the first row, or ``shift``) before the sums, so large offsets
    do not cancel; weights are scaled by a power of two (exact) so that huge or tiny
    weights neither overflow nor underflow; data whose squares overflow are summed in
    scaled units. Raises :class:`DomainError` for NaN/inf and for a variance beyond
    the float64 range.
    """
    X = np.asarray(X)
    n, d = X.shape
    unit = w is None or unit_weights(w)
    if n == 0 or (not unit and total_weight(w) <= 0):  # an empty component: zero stats
        return GaussianStats(weight=np.asarray(0.0), mean=np.zeros(d),
                             m2=np.zeros((d, d) if full else d), dof=np.zeros(d))
    if unit and shift is None:
        fast = _raw_moments(X, full)
        if fast is not None:
            return fast
    if not np.all(np.isfinite(X)):
        raise DomainError(NONFINITE)
    total = float(n) if unit else total_weight(w)
    shift = X[0].astype(np.float64) if shift is None else np.asarray(shift, dtype=float)
    wscale = 1.0 if unit else float(_pow2(np.max(w)))
    ws = None if unit else w / wscale
    with np.errstate(over="ignore", invalid="ignore"):
        s0, s1, s2 = _moment_sums(X, shift, ws, full)
    xscale = np.ones(d)
    if not (np.all(np.isfinite(s1)) and np.all(np.isfinite(s2))):
        # squares beyond float64: sum in units of a power of two per column
        xscale = _pow2(np.maximum(np.max(np.abs(X - shift), axis=0), 1.0))
        s0, s1, s2 = _moment_sums(X / xscale, shift / xscale, ws, full)
    mean = shift + xscale * (s1 / s0)
    m2 = s2 - (np.outer(s1, s1) if full else s1**2) / s0
    with np.errstate(over="ignore", invalid="ignore"):
        m2 = m2 * (np.outer(xscale, xscale) if full else xscale**2) * wscale
    _check_overflow(X, np.diag(m2) if full else m2)
    # halves first: m2 near 1.8e308 (w * x**2 with large weights) is finite, m2 + m2.T not
    m2 = 0.5 * m2 + 0.5 * m2.T if full else np.maximum(m2, 0.0)
    return GaussianStats(weight=np.asarray(total), mean=mean, m2=m2, dof=np.zeros(d))


def _check_overflow(X, m2_diag):
    bad = ~np.isfinite(m2_diag)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        i = int(np.argmax(np.abs(X[:, j])))
        raise DomainError(OVERFLOW_RULE, column=j, row=i, value=X[i, j])


def _shifted_sums(X, shift):
    """``(sum z, sum z**2)`` per column of ``z = x - shift`` (unweighted) in one blocked
    pass; None when a sum is not finite."""

    def block(xb):
        s1, s2 = np.empty(xb.shape[1]), np.empty(xb.shape[1])
        with np.errstate(over="ignore", invalid="ignore"):
            for j in range(xb.shape[1]):  # a column at a time: contiguous temporaries
                z = np.subtract(xb[:, j], shift[j], out=scratch(xb.shape[0]),
                                dtype=np.float64)
                s1[j], s2[j] = z.sum(), np.einsum("i,i->", z, z)
        if not (np.all(np.isfinite(s1)) and np.all(np.isfinite(s2))):
            return None
        return s1, s2

    return map_reduce(block, X)


def _raw_moments(X, full):
    """Unweighted moments from plain sums (the one-pass floor).

    One blocked pass sums ``z = x - x[0]`` and ``z**2`` (one column, or the diagonal:
    :func:`_shifted_sums`); a full covariance of several columns takes ``X.sum`` and
    ``X.T @ X`` on the raw values.
    ``sum z**2 - n mean_z**2`` loses ``log10(sum z**2 / m2)`` digits; when more than six
    would be lost (four on the unshifted NumPy sums, whose own rounding is larger),
    or a sum is not finite, returns None and the caller uses the shifted blocked pass
    (which also tells NaN/inf from an overflow), so accuracy stays ~1e-10 or better.
    """
    n, d = X.shape
    digits = 1e-6
    if d == 1 or not full:
        shift = X[0].astype(np.float64)
        if not np.all(np.isfinite(shift)):
            return None
        sums = _shifted_sums(X, shift)
        if sums is None:
            return None
        s1, raw = sums
        raw = raw[:, None] if full else raw
    elif X.dtype != np.float64:
        return None
    else:
        shift, digits = np.zeros(d), 1e-4
        with np.errstate(over="ignore", invalid="ignore"):
            s1, raw = X.sum(axis=0), X.T @ X
    with np.errstate(over="ignore", invalid="ignore"):
        sq = np.diag(raw) if full else raw
        m2 = raw - (np.outer(s1, s1) if full else s1**2) / n
    m2_diag = np.diag(m2) if full else m2
    if not (np.all(np.isfinite(raw)) and np.all(np.isfinite(s1))) or np.any(
            m2_diag <= digits * sq):
        return None
    if full:
        m2 = 0.5 * (m2 + m2.T)
    return GaussianStats(weight=np.asarray(float(n)), mean=shift + s1 / n, m2=m2,
                         dof=np.zeros(d))
