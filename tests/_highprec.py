"""High-precision references for log-probabilities of large counts (tests only).

60-digit decimal arithmetic: ``log Gamma`` by Stirling's series with Bernoulli numbers
after shifting the argument above 30, and the direct formulas of the Poisson and
negative binomial log-pmf, whose cancellation float64 cannot afford near 1e15 but
60 digits can. Independent of the package's saddle-point (Loader) forms.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

_PI = Decimal("3.141592653589793238462643383279502884197169399375105820974944")
_BERNOULLI = [Decimal(1) / 6, Decimal(-1) / 30, Decimal(1) / 42, Decimal(-1) / 30,
              Decimal(5) / 66, Decimal(-691) / 2730]


def _lgamma(z: Decimal) -> Decimal:
    shift = Decimal(0)
    while z < 30:
        shift -= z.ln()
        z += 1
    out = (z - Decimal("0.5")) * z.ln() - z + (2 * _PI).ln() / 2 + shift
    zp = z
    for k, b in enumerate(_BERNOULLI, 1):
        out += b / (2 * k * (2 * k - 1) * zp)
        zp *= z * z
    return out


def poisson_logpmf(x: float, r: float) -> float:
    """``x log r - r - log x!``."""
    with localcontext() as ctx:
        ctx.prec = 60
        xd, rd = Decimal(float(x)), Decimal(float(r))
        xlogr = xd * rd.ln() if x > 0 else Decimal(0)
        return float(xlogr - rd - _lgamma(xd + 1))


def nbinom_logpmf(x: float, r: float, p: float) -> float:
    """``lgamma(x + r) - lgamma(r) - log x! + r log p + x log(1 - p)`` (scipy's
    ``nbinom(r, p)``)."""
    with localcontext() as ctx:
        ctx.prec = 60
        xd, rd, pd = Decimal(float(x)), Decimal(float(r)), Decimal(float(p))
        tail = xd * (1 - pd).ln() if x > 0 else Decimal(0)
        return float(_lgamma(xd + rd) - _lgamma(rd) - _lgamma(xd + 1) + rd * pd.ln() + tail)
