"""Wald intervals that stay inside the parameter space, and capped parameters."""

from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = ["capped_parameters", "wald_interval"]

#: Scale on which a Wald interval is symmetric, by parameter name: real parameters as
#: they are, positive ones on the log scale, probabilities on the logit scale.
_REAL_PARAMS = {"mean", "loc", "mu"}
_UNIT_PARAMS = {"p"}


def _param_scale(name):
    base = str(name).split("[")[0]
    if base in _REAL_PARAMS:
        return "real"
    return "unit" if base in _UNIT_PARAMS else "positive"


def wald_interval(names, estimates, bse, alpha, upper=None):
    """Wald intervals on each parameter's natural scale, mapped back.

    A real parameter gets ``est +- z se``; a positive one ``exp(log est +- z se / est)``
    (the delta method on the log scale); a probability ``expit(logit p +- z se /
    (p (1 - p)))``. So no interval leaves the parameter space. An estimate on its
    boundary (0, or a probability of 0 or 1) or with an infinite standard error gets
    no interval (NaN). ``upper`` maps names of parameters bounded above by a data value
    (a threshold below ``min(x)``) to that bound: their interval is symmetric in
    ``log(upper - est)``, so it stays below it.
    """
    z = stats.norm.ppf(1.0 - alpha / 2.0)
    out = np.full((len(names), 2), np.nan)
    upper = upper or {}
    for i, (name, est, se) in enumerate(zip(names, estimates, bse)):
        if not (np.isfinite(est) and np.isfinite(se)):
            continue
        kind = _param_scale(name)
        if name in upper:
            gap = upper[name] - est
            if gap > 0:
                half = z * se / gap
                out[i] = upper[name] - gap * np.exp(half), upper[name] - gap * np.exp(-half)
        elif kind == "real":
            out[i] = est - z * se, est + z * se
        elif kind == "positive" and est > 0:
            half = z * se / est
            out[i] = est * np.exp(-half), est * np.exp(half)
        elif kind == "unit" and 0 < est < 1:
            centre, half = special.logit(est), z * se / (est * (1 - est))
            out[i] = special.expit(centre - half), special.expit(centre + half)
    return out


def capped_parameters(names, estimates, ci):
    """Parameters of a boundary fit that sit at their cap: a probability within 1e-6 of
    0 or 1, or an interval spanning more than six orders of magnitude (a dispersion or
    df at 'infinity'). Their intervals describe the cap, not the data."""
    out = np.zeros(len(names), dtype=bool)
    for i, (name, est, (lo, hi)) in enumerate(zip(names, estimates, ci)):
        kind = _param_scale(name)
        if kind == "unit":
            out[i] = not 1e-6 < est < 1 - 1e-6
        elif kind == "positive":
            out[i] = not (lo > 0 and hi / lo < 1e6)
    return out
