"""Log-probabilities of counts without cancellation: Loader's saddle-point terms.

``x log r - r - log x!`` subtracts numbers of size ``x log x`` to get one of size
``log x``: for counts near 1e15 the difference keeps no digit (two counts near 2**52
gave a Poisson log-likelihood of 0.0). Loader's form writes the same value as
``-stirlerr(x) - log(2 pi x) / 2 - bd0(x, r)``, three terms each computed to full
relative precision (C. Loader, *Fast and accurate computation of binomial
probabilities*, 2000; R's ``dpois``).
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["bd0", "nbinom_logpmf", "poisson_logpmf", "rate_shift", "stirlerr"]

_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)
_SERIES_FROM = 15.0  # the asymptotic series reaches 1e-17 relative from here


def stirlerr(x):
    """``log(x!) - [(x + 1/2) log x - x + log(2 pi) / 2]`` for ``x > 0``: the error of
    Stirling's formula, by its asymptotic series from 15 on (no cancellation)."""
    x = np.asarray(x, dtype=float)
    big = x >= _SERIES_FROM
    xs = np.where(big, x, _SERIES_FROM)
    z = (1.0 / xs) ** 2
    series = (1 / 12 - z * (1 / 360 - z * (1 / 1260 - z * (1 / 1680 - z / 1188)))) / xs
    xd = np.where(big, 1.0, np.maximum(x, 1e-300))
    direct = special.gammaln(xd + 1.0) - (xd + 0.5) * np.log(xd) + xd - _HALF_LOG_2PI
    return np.where(big, series, direct)


def bd0(x, r):
    """``x log(x / r) + r - x`` (the Poisson deviance's half) for ``x >= 0, r >= 0``,
    to full relative precision: near ``x = r`` by Loader's series in
    ``v = (x - r) / (x + r)`` (``2 x v^(2j+1) / (2j+1)`` terms), elsewhere by ``log1p``;
    the direct form loses ``eps * x log x``."""
    x, r = np.asarray(x, dtype=float), np.asarray(r, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d = x - r
        # log(x / r) by log1p(d / r) to full precision, except where x << r: there d / r
        # rounds to -1 (x = 1 at r = 8.5e307 gave log1p(-1) = -inf) and x / r may be
        # subnormal, so the logarithms are subtracted
        small = x < 0.5 * r
        lxr = np.where(small, np.log(np.where(small, x, 1.0)) - np.log(np.where(small, r, 1.0)),
                       np.log1p(d / r))
        out = x * lxr - d
        # x log(x / r) beyond float64 where the deviance is not (x = 1.7e308 at r = x / 3):
        # the same value as x (log(x / r) - d / x), which stays in range
        out = np.where(np.isinf(out) & np.isfinite(x) & (x > 0), x * (lxr - d / x), out)
        near = np.abs(d) < 0.1 * (0.5 * x + 0.5 * r) * 2.0
        if np.any(near):
            v = np.where(near, (0.5 * d) / (0.5 * x + 0.5 * r), 0.0)  # no overflow of x + r
            series, term, v2 = d * v, x * (2.0 * v), v * v
            for j in range(1, 10):  # v^2 < 0.01: each term 100x smaller
                term = term * v2
                series = series + term / (2 * j + 1)
            out = np.where(near, series, out)
    out = np.where(x == 0, r, out)
    return np.where((x > 0) & (r == 0), np.inf, out)


def poisson_logpmf(x, r):
    """``log P(x; r)`` of non-negative integer ``x`` (Loader's form)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        xp = np.where(x > 0, x, 1.0)
        lp = -stirlerr(xp) - _HALF_LOG_2PI - 0.5 * np.log(xp) - bd0(x, r)
    return np.where(x == 0, -np.asarray(r, dtype=float), lp)


def nbinom_logpmf(x, r, p):
    """``log P(x; r, p)`` of the negative binomial (scipy's ``nbinom(r, p)``) for
    non-negative integer ``x``, ``r > 0``, ``0 < p <= 1``, in Loader's form (R's
    ``dnbinom``): ``log(r / (x + r))`` plus the binomial's ``log P(r; x + r, p)`` as
    Stirling errors and :func:`bd0` terms. ``gammaln(x + r) - gammaln(r) - log x!``
    and ``r log p + x log(1 - p)`` cancel to nothing near the Poisson limit (a capped
    r of 3e18 at counts near 1e15 gave +2390 for one row)."""
    x = np.asarray(x, dtype=float)
    r, p = np.asarray(r, dtype=float), np.asarray(p, dtype=float)
    q = 1.0 - p  # exact for p >= 1/2, where it matters
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        n = x + r
        xp = np.where(x > 0, x, 1.0)
        lc = (stirlerr(n) - stirlerr(r) - stirlerr(xp)
              - bd0(r, n * p) - bd0(xp, n * q))
        lf = np.log(2.0 * np.pi) + np.log(r) + np.log(xp) - np.log(n)
        lp = np.log(r) - np.log(n) + lc - 0.5 * lf
        at0 = r * np.where(p < 0.9, np.log(p), np.log1p(-q))
    return np.where(x == 0, at0, lp)


def rate_shift(weight, sum_x, dev, c, r):
    """``L(c) - L(r)`` for ``L(r) = sum_x log r - weight r`` (the rate-dependent part of
    a Poisson log-likelihood), where ``sum_x = weight c + dev``: computed as
    ``weight bd0(c, r) + dev log(c / r)``, two terms without cancellation (the
    direct difference of two values of size ``sum_x log r`` kept no digit of it for
    counts near 1e15), exact for any sign of ``sum_x`` (a prior's pseudo-events)."""
    weight, sum_x, dev = (np.asarray(v, dtype=float) for v in (weight, sum_x, dev))
    c, r = np.asarray(c, dtype=float), np.asarray(r, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lr = np.log1p((c - r) / r)
        out = weight * bd0(c, r) + np.where(dev == 0, 0.0, dev * lr)
        # at r = 0: L(0) is -inf (events), +inf (a prior's negative events) or 0
        at_zero = np.where(sum_x > 0, np.inf, np.where(sum_x < 0, -np.inf, -weight * c))
    out = np.where((r == 0) & (c != 0), at_zero, out)
    return np.where(c == r, 0.0, out)
