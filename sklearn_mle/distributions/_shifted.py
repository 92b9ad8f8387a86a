"""ShiftedMLE: a fitted location (threshold) for a family of positive data.

A shifted Gamma, Weibull or LogNormal models ``x = loc + y`` with ``y`` from the
two-parameter family, so its support is ``x > loc``. The threshold MLE is found as
fitdistrplus and scipy users expect it: the profile log-likelihood over
``loc < min(x)``, the two-parameter MLE of ``x - loc`` inside each evaluation.

Why a wrapper (``ShiftedMLE(GammaMLE())``) and not ``GammaMLE(loc="fit")``: the
threshold changes what a fit is (no sufficient statistics, a one-dimensional search
around the base fit, a likelihood that is unbounded at ``loc -> min(x)``) in the same
way for every positive family, so it is written once, over any base estimator, through
its public surface (``fit``, ``loglik_``, ``family_.logpdf``, ``sample``,
``to_scipy``), and the two-parameter estimators stay the textbook ones.

The likelihood of all three families grows without bound as ``loc -> min(x)`` along
paths where the shape goes to 0 (Hill 1963, Smith 1985); what scipy's ``fit`` and
fitdistrplus report, and what is reported here, is the interior local maximum of the
profile. When there is none (the profile increases all the way to ``min(x)``: a
J-shaped density, shape < 1) or the profile increases as ``loc -> -inf`` (the data
are not skewed enough: the limit is a Gaussian), the estimator warns in words with a
:class:`~sklearn_mle.exceptions.BoundaryWarning` and reports the boundary.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import optimize
from sklearn.base import clone

__all__ = ["SHIFTABLE", "loc_curvature_terms", "profile_threshold"]


#: Families whose support is (0, inf) and that have a threshold variant.
SHIFTABLE = ("gamma", "weibull", "lognormal")
_N_GRID = 40  # profile evaluations on the log(min(x) - loc) grid before refining
_INNER, _OUTER = 1e-8, 1e2  # the grid's ends: min(x) - loc in units of the spread
_SKETCH = 20_000  # above twice this many rows the grid is first scanned on a sketch
_WALK = 6  # a warm start walks at most this many grid steps uphill before the full grid

def _dlogpdf_dy(name, y, params):
    """``d log f(y) / dy`` of a shiftable family at its parameters, per row (1-d ``y``):
    minus the threshold's score at fixed parameters."""
    if name == "gamma":
        k, r = float(params["shape"][0]), float(params["rate"][0])
        return (k - 1.0) / y - r
    if name == "weibull":
        k, s = float(params["shape"][0]), float(params["scale"][0])
        return ((k - 1.0) - k * (y / s) ** k) / y
    mu, sigma = float(params["mu"][0]), float(params["sigma"][0])
    return -(1.0 + (np.log(y) - mu) / sigma**2) / y


def loc_curvature_terms(name, y, params):
    """Per row (1-d ``y``), ``d2 log f / dy2`` and ``{param: d2 log f / (d param dy)}``
    of a shiftable family at its parameters: with the family's observed information
    they give the exact Hessian in (threshold, parameters)."""
    if name == "gamma":
        k = float(params["shape"][0])
        return -(k - 1.0) / y**2, {"shape": 1.0 / y, "rate": -np.ones_like(y)}
    if name == "weibull":
        k, s = float(params["shape"][0]), float(params["scale"][0])
        t = (y / s) ** k
        return (-(k - 1.0) * (1.0 + k * t) / y**2,
                {"shape": (1.0 - t - k * t * np.log(y / s)) / y, "scale": k * k * t / (s * y)})
    mu, sigma = float(params["mu"][0]), float(params["sigma"][0])
    v = (np.log(y) - mu) / sigma**2
    return ((1.0 + v - 1.0 / sigma**2) / y**2,
            {"mu": 1.0 / (sigma**2 * y), "sigma": 2.0 * v / (sigma * y)})


def _family_profile(base, x, w, shift):
    """``loc -> loglik`` of the base family's MLE of ``x - loc``, through the family's
    public protocol (``stats``, ``mode``, ``loglik``): no estimator validation per
    evaluation. A probe fit of ``x - shift`` (all positive) gives the configured
    family and the base's fixed parameters. The function's ``slope`` attribute is
    ``loc -> d loglik / d loc``: at the inner MLE the profile's derivative is the
    threshold's score with the other parameters held (the envelope theorem), a sum
    accurate to rounding where the profile's value only locates its maximum to
    ~sqrt(eps) relative (flat profiles: a shape of 1700 moved loc by 3e-5 of itself
    between weights and weights * 1e-8)."""
    need = ("ShiftedMLE needs GammaMLE, WeibullMLE or LogNormalMLE (a family of positive "
            f"data with a threshold variant), got {type(base).__name__}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            probe = clone(base).fit((x - shift)[:, None], sample_weight=w)
    except ValueError as exc:
        raise ValueError(f"{need} (it cannot fit x - loc: {exc})") from None
    family = getattr(probe, "family_", None)
    if family is None or family.name not in SHIFTABLE:
        raise ValueError(need)
    fixed = getattr(probe, "fixed_params_", None) or None
    w = np.asarray(w, dtype=float)

    def loglik(loc):
        X = (x - loc)[:, None]
        try:
            with np.errstate(all="ignore"):
                s = family.stats(X, w)
                params = family.mode(s, fixed)
                ll = float(np.sum(family.loglik(s, params)))
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            return -np.inf
        if not getattr(params, "converged", True) or not np.isfinite(ll):
            return -np.inf
        return ll

    def slope(loc):
        y = x - loc
        try:
            with np.errstate(all="ignore"):
                params = family.mode(family.stats(y[:, None], w), fixed)
                g = -float(w @ _dlogpdf_dy(family.name, y, params))
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            return np.nan
        return g if getattr(params, "converged", True) else np.nan

    loglik.slope = slope
    return loglik


def _peaks(ll):
    """Interior local maxima of a profile on the grid. Toward -inf the profile
    flattens to its limit, so a bump within rounding of its outer neighbour is that
    plateau, not a maximum."""
    finite = ll[np.isfinite(ll)]
    if finite.size == 0:
        return []
    tol = 1e-9 * max(1.0, float(np.max(np.abs(finite))))
    return [i for i in range(1, ll.size - 1)
            if np.isfinite(ll[i]) and ll[i] >= ll[i - 1] and ll[i] > ll[i + 1] + tol]


def _sketch_first(base, x, m, spread, grid, prof):
    """Many equally weighted rows: scan the grid on a sketch of the data (its
    ``_SKETCH // 4`` smallest values, then evenly spaced order statistics weighted by
    the rows they stand for), then locate the maximum on the FULL data inside the
    sketch's bracket (two grid steps either side). Kept only when it is a local maximum of
    the full profile there (strictly inside, above both ends); None sends the caller to
    the full-data grid."""
    # the threshold is pinned by the smallest values: they are kept exactly, the rest
    # of the sorted data is thinned to evenly spaced order statistics, each weighted
    # by the rows it stands for
    xs = np.sort(x)
    keep = _SKETCH // 4
    ranks = np.linspace(keep, x.size - 1, _SKETCH - keep).round().astype(np.intp)
    sketch = np.concatenate([xs[:keep], xs[ranks]])
    weights = np.concatenate([np.ones(keep), np.full(ranks.size, (x.size - keep) / ranks.size)])
    at = _family_profile(base, sketch, weights, m - spread)
    ll = np.array([at(m - np.exp(u)) for u in grid])
    peaks = _peaks(ll)
    if not peaks:
        return None
    i = max(peaks, key=lambda j: ll[j])
    a, b = grid[max(i - 2, 0)], grid[min(i + 2, grid.size - 1)]
    res = optimize.minimize_scalar(lambda u: -prof(u), bounds=(a, b), method="bounded",
                                   options={"xatol": 1e-10})
    margin = 1e-3 * (b - a)
    if not (np.isfinite(res.fun) and a + margin < res.x < b - margin):
        return None
    if -res.fun <= max(prof(a), prof(b)):
        return None
    return m - np.exp(res.x), float(-res.fun), "interior"


def _near_first(m, near, grid, prof):
    """Warm start from a threshold ``near`` (a previous fit's): evaluate the profile at
    ``log(m - near)`` and one grid step either side, walk uphill a grid step at a time
    until the maximum is bracketed, then refine it as the full search does. Three to
    eight evaluations instead of the grid's 40; None (the caller scans the full grid)
    when the walk leaves the grid or takes more than ``_WALK`` steps, so the boundary
    cases and far moves are decided as without a start."""
    if not (np.isfinite(near) and near < m):
        return None
    step = grid[1] - grid[0]
    u0 = float(np.clip(np.log(m - near), grid[0] + step, grid[-1] - step))
    us = [u0 - step, u0, u0 + step]
    ll = [prof(u) for u in us]
    for _ in range(_WALK):
        if not np.all(np.isfinite(ll)):
            return None
        tol = 1e-9 * max(1.0, abs(ll[1]))  # _peaks' rule: a plateau toward -inf is no peak
        if ll[1] >= ll[0] and ll[1] > ll[2] + tol:
            break
        if ll[0] > ll[2]:  # uphill toward min(x)
            if us[0] - step < grid[0]:
                return None
            us, ll = [us[0] - step, *us[:2]], [prof(us[0] - step), *ll[:2]]
        else:
            if us[2] + step > grid[-1]:
                return None
            us, ll = [*us[1:], us[2] + step], [*ll[1:], prof(us[2] + step)]
    else:
        return None
    res = optimize.minimize_scalar(lambda u: -prof(u), bounds=(us[0], us[2]),
                                   method="bounded", options={"xatol": 1e-10})
    u_best, ll_best = (res.x, -res.fun) if -res.fun >= ll[1] else (us[1], ll[1])
    return m - np.exp(u_best), float(ll_best), "interior"


def profile_threshold(base, x, w, near=None):
    """The threshold MLE of one column: ``(loc, loglik, status)``.

    ``status`` is ``"interior"`` (a local maximum of the profile strictly inside
    ``(-inf, min(x))``), ``"at min"`` (the profile increases up to ``min(x)``: no
    maximum; ``loc`` is the innermost point searched) or ``"at -inf"``. With ``near``
    (a threshold, e.g. of a fit to similar data: a bootstrap replicate's source) the
    search starts there and returns the local maximum it brackets, scanning the full
    grid only when none is found within a few grid steps. An interior maximum is
    then polished to the root of the profile's derivative (:func:`_refine`).
    """
    # weights of mean 1 over the rows that count: the profile, its grid search and the
    # peak tests (relative to max(1, |ll|)) then do not depend on the weights' scale
    # (weights of 1e-8 flattened the profile below the tests' floor); the log-likelihood
    # returned is scaled back. A power of 2 near the mean weight: the division is then
    # exact, so weights scaled by any power of 2 give the same search bit for bit
    w = np.asarray(w, dtype=float)
    pos = w[w > 0]
    top = float(pos.max()) if pos.size else 1.0
    mean = top * float(np.mean(pos / top)) if pos.size else 1.0  # no overflow at 1e308
    unit = 2.0 ** np.round(np.log2(mean))
    found = _profile_threshold(base, x, w / unit, near)
    return found[0], found[1] * unit, found[2]


def _refine(m, found, grid, at):
    """The interior maximum ``found`` (by the profile's values) polished to the root
    of the profile's derivative in ``u = log(m - loc)`` (``at.slope``), bracketed by
    steps growing from 1e-8 up to a grid step either side. The value search stops
    where the profile's rounding (~eps |ll|) hides its curvature, ~sqrt(eps) in ``u``;
    the derivative's root is set to rounding, so integer weights and repeated rows,
    or weights and weights * 1e-8, find the same threshold. ``found`` is kept when
    the derivative does not change sign there (an inner fit that fails)."""
    loc0, ll0, _ = found
    u0 = float(np.log(m - loc0))

    def slope_u(u):  # d ll / du = -(m - loc) d ll / d loc
        return -np.exp(u) * at.slope(m - np.exp(u))

    width = grid[1] - grid[0]
    step = 1e-6 * max(1.0, abs(u0))
    while step <= width:
        a, b = u0 - step, u0 + step
        ga, gb = slope_u(a), slope_u(b)
        if not (np.isfinite(ga) and np.isfinite(gb)):
            return found
        if ga >= 0.0 >= gb:
            break
        step *= 8.0
    else:
        return found
    if ga == 0.0 or gb == 0.0:
        u = a if ga == 0.0 else b
    else:
        u = optimize.brentq(slope_u, a, b, xtol=1e-13 * max(1.0, abs(u0)), rtol=1e-13)
    ll = at(m - np.exp(u))
    # the root must be the maximum the values found, not another stationary point in
    # the bracket: no lower than them beyond rounding (_peaks' tolerance; a Gamma of
    # shape 1700 sums terms ~7000 per row, so its ll is noisy to ~1e-12 relative)
    if not (np.isfinite(ll) and ll >= ll0 - 1e-9 * max(1.0, abs(ll0))):
        return found
    return m - np.exp(u), float(ll), "interior"


def _profile_threshold(base, x, w, near):
    """:func:`profile_threshold` with weights of mean ~1 over the positive ones."""
    found, grid, at = _search(base, x, w, near)
    if found[2] == "interior":
        found = _refine(float(np.min(x)), found, grid, at)
    return found


def _search(base, x, w, near):
    """The threshold search by the profile's values: ``(loc, ll, status)``, the grid
    in ``u = log(min(x) - loc)`` and the profile (with its ``slope``)."""
    m = float(np.min(x))
    spread = float(np.sqrt(np.average((x - np.average(x, weights=w)) ** 2, weights=w)))
    if not spread > 0:
        raise ValueError("all values are equal: a shifted family has no MLE (its scale "
                         "and the distance to the threshold both shrink to 0)")
    eps = np.finfo(float).eps
    lo = max(_INNER * spread, 1e3 * eps * max(abs(m), float(np.max(np.abs(x)))))
    hi = _OUTER * spread
    grid = np.linspace(np.log(lo), np.log(hi), _N_GRID)
    at = _family_profile(base, x, w, m - spread)

    def prof(u):
        return at(m - np.exp(u))

    if near is not None:
        found = _near_first(m, float(near), grid, prof)
        if found is not None:
            return found, grid, at
    if x.size > 2 * _SKETCH and np.all(w == w.flat[0]):
        found = _sketch_first(base, x, m, spread, grid, prof)
        if found is not None:
            return found, grid, at
    ll = np.array([prof(u) for u in grid])
    if not np.any(np.isfinite(ll)):
        raise ValueError(f"{type(base).__name__} could not be fitted to x - loc for any "
                         "loc below min(x)")
    peaks = _peaks(ll)
    if peaks:
        i = max(peaks, key=lambda j: ll[j])
        res = optimize.minimize_scalar(lambda u: -prof(u), bounds=(grid[i - 1], grid[i + 1]),
                                       method="bounded", options={"xatol": 1e-10})
        u_best, ll_best = (res.x, -res.fun) if -res.fun >= ll[i] else (grid[i], ll[i])
        return (m - np.exp(u_best), float(ll_best), "interior"), grid, at
    best = int(np.nanargmax(np.where(np.isfinite(ll), ll, -np.inf)))
    if best <= _N_GRID // 2:
        return (m - lo, float(ll[0]), "at min"), grid, at
    return (m - hi, float(ll[-1]), "at -inf"), grid, at
