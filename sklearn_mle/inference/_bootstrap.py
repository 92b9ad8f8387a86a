"""Bootstrap confidence intervals: percentile and BCa, nonparametric or parametric.

Each replicate refits a clone of the estimator on rows drawn with replacement (with
their weights and per-row fit arguments), or on data simulated from the fitted model
(``parametric=True``), and keeps the public estimate vector. Latent-class models
(mixtures) have no fixed component order: each replicate's components are matched to
the original fit's (Hungarian assignment on standardised distances) before the
intervals are taken, so label switching does not widen them.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
from joblib import Parallel, delayed
from scipy import optimize, stats
from sklearn.base import clone

_COMPONENT = re.compile(r"^(?:component|state)(\d+)\.(.*)$")
_WEIGHT = re.compile(r"^(?:weight|startprob)\[(\d+)\]$")
_TRANS = re.compile(r"^transmat\[(\d+),(\d+)\]$")


def component_layout(names):
    """``(K, blocks, weight_idx, trans_idx)`` for mixture- or HMM-style names
    (``component<j>.``/``state<j>.`` prefixes), None when there are none.

    ``blocks[j]`` lists the indices of component ``j``'s parameters in a common order;
    ``weight_idx`` the indices of ``weight[0..K-2]`` (or ``startprob[0..K-2]``);
    ``trans_idx[i][j]`` the index of ``transmat[i,j]`` (``j < K - 1``), if any.
    """
    comps = {}
    for i, n in enumerate(names):
        m = _COMPONENT.match(str(n))
        if m:
            comps.setdefault(int(m.group(1)), {})[m.group(2)] = i
    if len(comps) < 2:
        return None
    K = max(comps) + 1
    keys = sorted(comps[0])
    if any(sorted(comps.get(j, {})) != keys for j in range(K)):
        return None
    blocks = [[comps[j][k] for k in keys] for j in range(K)]
    weights = sorted((int(_WEIGHT.match(str(n)).group(1)), i) for i, n in enumerate(names)
                     if _WEIGHT.match(str(n)))
    trans = {}
    for i, n in enumerate(names):
        m = _TRANS.match(str(n))
        if m:
            trans[(int(m.group(1)), int(m.group(2)))] = i
    trans_idx = None
    if len(trans) == K * (K - 1):
        trans_idx = [[trans[(a, b)] for b in range(K - 1)] for a in range(K)]
    return K, blocks, [i for _, i in weights], trans_idx


def align_components(theta, ref, layout, scale):
    """``theta`` with its components permuted to best match ``ref``."""
    if layout is None:
        return theta
    K, blocks, widx, tidx = layout
    cost = np.empty((K, K))
    for a in range(K):
        for b in range(K):
            d = (theta[blocks[b]] - ref[blocks[a]]) / scale[blocks[a]]
            cost[a, b] = float(np.sum(d * d))
    _, perm = optimize.linear_sum_assignment(cost)  # reference component a <- b = perm[a]
    out = theta.copy()
    for a in range(K):
        out[blocks[a]] = theta[blocks[perm[a]]]
    if len(widx) == K - 1:
        w = np.append(theta[widx], 1.0 - np.sum(theta[widx]))
        out[widx] = w[perm][: K - 1]
    if tidx is not None:  # a transition matrix: rows and columns follow the states
        T = np.array([[theta[i] for i in row] for row in tidx])
        T = np.column_stack([T, 1.0 - T.sum(axis=1)])[np.ix_(perm, perm)]
        for a in range(K):
            out[tidx[a]] = T[a, : K - 1]
    return out


def _fit_one(estimator, args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            est = clone(estimator).fit(*args, **kwargs)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            return None
    theta = np.asarray(est.estimates_, dtype=float)
    return theta if np.all(np.isfinite(theta)) else None


def bootstrap_replicates(estimator, rows, kwargs_rows, *, n_boot, simulate=None,
                         random_state=None, n_jobs=None):
    """``(n_ok, k)`` replicate estimate vectors (failed refits are dropped, with a warning
    when more than 5% fail).

    ``rows``: the positional fit arguments with one entry per row (X, y);
    ``kwargs_rows``: keyword fit arguments with one entry per row (sample_weight,
    offset, ...); ``simulate(rng)``, when given, returns ``(args, kwargs)`` of a
    parametric replicate instead of resampling rows.
    """
    rng = np.random.default_rng(random_state)
    seeds = rng.integers(0, 2**32 - 1, size=n_boot)
    n = len(rows[0])
    kwargs_rows = dict(kwargs_rows)
    lengths = kwargs_rows.pop("lengths", None)

    def task(seed):
        r = np.random.default_rng(seed)
        if simulate is not None:
            args, kw = simulate(r)
        else:
            kw = {}
            if lengths is None:
                idx = r.integers(0, n, n)
            else:  # sequences (HMMs) are resampled whole
                idx, kw["lengths"] = resample_sequences(lengths, r)
            args = [_take(a, idx) for a in rows]
            kw.update({k: _take(v, idx) for k, v in kwargs_rows.items() if v is not None})
        return _fit_one(estimator, args, kw)

    out = Parallel(n_jobs=n_jobs, prefer="threads")(delayed(task)(s) for s in seeds)
    return collect_replicates(out, n_boot)


def resample_counts(n, n_boot, random_state=None):
    """How often each of ``n`` rows is drawn in each replicate, shape (n, n_boot).

    The same draws as :func:`bootstrap_replicates` with the same ``random_state``
    (one seed per replicate, ``n`` indices from it), so a fast refit from weighted
    statistics gives the replicates of the refits on resampled rows.
    """
    rng = np.random.default_rng(random_state)
    seeds = rng.integers(0, 2**32 - 1, size=n_boot)
    counts = np.empty((n, n_boot))
    for b, seed in enumerate(seeds):
        counts[:, b] = np.bincount(np.random.default_rng(seed).integers(0, n, n), minlength=n)
    return counts


def collect_replicates(out, n_boot):
    """The replicates that succeeded (None or non-finite entries failed), as an array;
    a warning when more than 5% failed."""
    good = [t for t in out if t is not None and np.all(np.isfinite(t))]
    failed = n_boot - len(good)
    if failed > 0.05 * n_boot:
        warnings.warn(f"{failed} of {n_boot} bootstrap refits failed (no MLE on the "
                      "resampled data: separation, aliasing, an empty class); the interval "
                      "uses the others and may be too narrow", UserWarning, stacklevel=3)
    if len(good) < 2:
        raise ValueError("fewer than 2 bootstrap refits succeeded; no bootstrap interval")
    return np.array(good)


def resample_sequences(lengths, rng):
    """Row indices and lengths of whole sequences drawn with replacement."""
    lengths = np.asarray(lengths, dtype=int)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    pick = rng.integers(0, len(lengths), len(lengths))
    idx = np.concatenate([np.arange(starts[j], starts[j] + lengths[j]) for j in pick])
    return idx, lengths[pick]


def _take(a, idx):
    if hasattr(a, "iloc"):
        return a.iloc[idx]
    if hasattr(a, "tocsr"):
        return a.tocsr()[idx]
    return np.asarray(a)[idx]


def jackknife_counts(n, max_groups=200):
    """Row counts ``(n, G)`` of the leave-one-out (or leave-one-block-out, rows ``i``
    with ``i % max_groups == g``, beyond ``max_groups`` rows) samples of
    :func:`jackknife`."""
    groups = np.arange(n) % max_groups if n > max_groups else np.arange(n)
    return (groups[:, None] != np.unique(groups)[None, :]).astype(float)


def jackknife(estimator, rows, kwargs_rows, max_groups=200):
    """Leave-one-out (or leave-one-block-out when there are more rows than
    ``max_groups``) estimates, for the BCa acceleration."""
    n = len(rows[0])
    kwargs_rows = dict(kwargs_rows)
    lengths = kwargs_rows.pop("lengths", None)
    if lengths is not None:  # leave whole sequences out
        lengths = np.asarray(lengths, dtype=int)
        seq = np.repeat(np.arange(len(lengths)), lengths)
        groups = seq % max_groups
    else:
        groups = np.arange(n) % max_groups if n > max_groups else np.arange(n)
    out = []
    for g in np.unique(groups):
        keep = np.flatnonzero(groups != g)
        args = [_take(a, keep) for a in rows]
        kw = {k: _take(v, keep) for k, v in kwargs_rows.items() if v is not None}
        if lengths is not None:
            kw["lengths"] = lengths[np.unique(seq) % max_groups != g]
        t = _fit_one(estimator, args, kw)
        if t is not None:
            out.append(t)
    if len(out) < 3:
        raise ValueError("the jackknife for the BCa acceleration failed; use kind='percentile'")
    return np.array(out)


def percentile_interval(reps, alpha):
    """Percentile bootstrap interval of each column."""
    return np.quantile(reps, [alpha / 2, 1 - alpha / 2], axis=0).T


def bca_interval(reps, estimate, jack, alpha):
    """Bias-corrected and accelerated interval (Efron 1987) of each column."""
    out = np.empty((reps.shape[1], 2))
    z = stats.norm.ppf([alpha / 2, 1 - alpha / 2])
    for j in range(reps.shape[1]):
        b = reps[:, j]
        prop = (np.sum(b < estimate[j]) + 0.5 * np.sum(b == estimate[j])) / len(b)
        prop = min(max(prop, 0.5 / len(b)), 1 - 0.5 / len(b))
        z0 = stats.norm.ppf(prop)
        d = jack[:, j].mean() - jack[:, j]
        den = 6.0 * np.sum(d * d) ** 1.5
        a = float(np.sum(d**3) / den) if den > 0 else 0.0
        adj = stats.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
        out[j] = np.quantile(b, adj)
    return out
