"""The Student-t log normalising constant in ``df`` and its first two derivatives,
accurate to the rounding of the result at every ``df`` (a series where the special
functions cancel)."""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["t_log_constant"]

# log Gamma(x + 1/2) - log Gamma(x) = log(x)/2 + E(x) with, for large x (Bernoulli
# polynomials: the x^-(k-1) coefficient is (-1)^k (2^(1-k) - 2) B_k / (k (k-1))),
# E(x) = -1/(8x) + 1/(192x^3) - 1/(640x^5) + 17/(14336x^7) - 31/(18432x^9) + ...
_E_COEF = (-1.0 / 8.0, 1.0 / 192.0, -1.0 / 640.0, 17.0 / 14336.0, -31.0 / 18432.0)
_NU_SERIES = 100.0  # df from which c0, c1, c2 come from the series (x = df/2 >= 50:
# the first omitted term is below 1e-21); below it the special functions cancel by
# at most ~df * eps


def _c_series(nu):
    """``_c`` for large ``nu`` from ``E(nu/2)``: c0 = -log(2 pi)/2 + E, c1 = E'/2,
    c2 = E''/4. No cancellation: scipy's betaln(1/2, nu/2) (lgamma differences) is
    wrong by 3.5e-11 at df = 1e5 and 2e-10 at df = 1e6, the digamma difference by
    ~eps log(df) where c1 ~ 1/(4 df^2); that noise alone moved a flat df by 1e5."""
    r = 1.0 / (0.5 * nu)
    r2 = r * r
    c0 = c1 = c2 = 0.0
    for i in range(len(_E_COEF) - 1, -1, -1):  # Horner in r^2 for the odd powers
        k = 2 * i + 1  # E = sum_i a_i r^k
        a = _E_COEF[i]
        c0 = c0 * r2 + a
        c1 = c1 * r2 - k * a
        c2 = c2 * r2 + k * (k + 1) * a
    return -0.5 * np.log(2.0 * np.pi) + c0 * r, 0.5 * c1 * r2, 0.25 * c2 * r2 * r


def t_log_constant(nu):
    """log Gamma((nu+1)/2) - log Gamma(nu/2) - log(pi nu)/2 and two derivatives,
    accurate to rounding of the result (the series from df = 100)."""
    nu = np.asarray(nu, dtype=float)
    big = nu >= _NU_SERIES
    small = np.where(big, 1.0, nu)  # the special functions only where they are used
    c0 = -special.betaln(0.5, 0.5 * small) - 0.5 * np.log(small)
    c1 = 0.5 * (special.digamma(0.5 * (small + 1.0)) - special.digamma(0.5 * small)) - 0.5 / small
    c2 = 0.25 * (
        special.polygamma(1, 0.5 * (small + 1.0)) - special.polygamma(1, 0.5 * small)
    ) + 0.5 / small**2
    if np.any(big):
        s0, s1, s2 = _c_series(np.where(big, nu, _NU_SERIES))
        c0, c1, c2 = np.where(big, s0, c0), np.where(big, s1, c1), np.where(big, s2, c2)
    return c0, c1, c2
