"""Standard errors of a mixture: the observed information by Louis' method.

The observed-data log-likelihood of a mixture, ``l(theta) = sum_i w_i log sum_k
pi_k f(x_i; theta_k)``, has no closed-form Hessian in general, but Louis (1982) gives
it exactly from quantities of the complete-data problem:

    I_obs = E[I_complete | x] - Cov[S_complete | x]
          = sum_k I_k(stats_k)  +  I_weights
            - sum_i w_i ( sum_k r_ik g_ik g_ik' - gbar_i gbar_i' )

where ``I_k`` is the family's observed information of component k's weighted
statistics (its pseudo-statistics included under a prior), ``g_ik`` the gradient of
``log pi_k + log f(x_i; theta_k)`` with respect to all free parameters, and ``gbar_i =
sum_k r_ik g_ik``. The free parameters are the first ``K - 1`` weights (the last is one
minus their sum) and every component's free parameters, parameter-major then column,
as the component estimators list them.

Per-row gradients come from the family's ``score_rows`` (exact where the family
gives it, central differences of ``logpdf`` otherwise). The outer products are summed
over row blocks by the engine's ``map_reduce``.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from .._engine.blocks import map_reduce
from ..exceptions import InferenceWarning
from ._emission import logsumexp_rows

__all__ = ["flat_bounds", "missing_information", "mixture_information", "weight_scores",
           "weights_information"]


def _layout(emission, params, n_features):
    """(per-component list of (name, column) free slots, parameter count per component),
    or None when the family's parameters are not one value per column."""
    names = emission.family.param_names
    fixed = emission.fixed or {}
    slots = []
    for name in names:
        for c in range(n_features):
            arr = fixed.get(name)
            if arr is not None and not np.isnan(arr[c]):
                continue
            slots.append((name, c))
    for p in params:
        for name in names:
            if np.shape(p[name]) != (n_features,):
                return None
    return slots


def mixture_information(emission, weights, params, stats, X, sample_weight,
                        weights_prior=None, column_names=None):
    """Names, estimates and observed information of a fitted mixture's free parameters.

    Parameters
    ----------
    emission : Emission
    weights : ndarray of shape (k,)
    params : list of k parameter dicts
    stats : list of k Stats (each component's weighted statistics)
    X : ndarray of shape (n, d)
    sample_weight : ndarray of shape (n,) or None
    weights_prior : Dirichlet or None
    column_names : list of str or None

    Returns
    -------
    (names, estimates, information) or None when the family's parameters are not
    scalars per column (the caller warns).
    """
    k = len(params)
    d = X.shape[1]
    slots = _layout(emission, params, d)
    if slots is None:
        return None
    family = emission.family
    pnames = family.param_names
    m = len(slots)
    n_w = k - 1
    size = n_w + k * m

    def col(c):
        if column_names is not None:
            return str(column_names[c])
        return f"x{c}"

    names = [f"weight[{j}]" for j in range(n_w)]
    estimates = list(weights[:n_w])
    for j in range(k):
        for name, c in slots:
            suffix = name if d == 1 else f"{name}[{col(c)}]"
            names.append(f"component{j}.{suffix}")
            estimates.append(float(params[j][name][c]))

    # complete-data information: weights, then each component's family information
    info = np.zeros((size, size))
    n_k = np.array([float(np.max(s.weight)) for s in stats])
    info[:n_w, :n_w] = weights_information(n_k, weights, weights_prior)
    pseudo = None
    if emission.prior is not None:
        pseudo = emission.prior.pseudo_stats(family, d)
    for j in range(k):
        s = stats[j] if pseudo is None else stats[j] + pseudo
        comp = np.asarray(family.information(s, params[j]), dtype=float)  # (d, p, p)
        off = n_w + j * m
        for a_i, (na, ca) in enumerate(slots):
            for b_i, (nb, cb) in enumerate(slots):
                if ca == cb:
                    info[off + a_i, off + b_i] = comp[ca, pnames.index(na), pnames.index(nb)]

    log_w = np.log(weights)
    cols = [np.r_[np.arange(n_w), n_w + j * m + np.arange(m)] for j in range(k)]

    def scores(xb):
        lp = family.logpdf_rows(xb, params) + log_w
        G = np.zeros((k, xb.shape[0], size))
        weight_scores(G, weights)
        for j in range(k):
            with np.errstate(all="ignore"):
                sr = family.score_rows(xb, params[j])  # (nb, d, p)
            off = n_w + j * m
            for a_i, (na, ca) in enumerate(slots):
                G[j, :, off + a_i] = sr[:, ca, pnames.index(na)]
        return lp, G, cols

    information = info - missing_information(X, sample_weight, scores, size)
    information = 0.5 * (information + information.T)
    warn_if_not_identified(information, k, "MixtureMLE")
    return names, np.asarray(estimates, dtype=float), information


def warn_if_not_identified(information, k, owner):
    """An InferenceWarning in words when a mixture of ``k >= 2`` components has an
    observed information that is not positive definite (on its unit-diagonal scale):
    the likelihood is flat or curved the wrong way along some direction, which for a
    mixture means its components are not identified, typically two components fitted
    to what is one population. The generic singular-information warning that follows
    names the parameters."""
    if k < 2 or not np.all(np.isfinite(information)):
        return
    d = np.sqrt(np.abs(np.diag(information)))
    if np.any(d == 0):
        positive = False
    else:
        scaled = information / np.outer(d, d)
        eig = np.linalg.eigvalsh(scaled)
        positive = bool(eig[0] > 1e-8 * max(float(eig[-1]), 1.0))
    if not positive:
        warnings.warn(
            f"{owner}: the {k} components are not identified by the data (the observed "
            "information is singular or not positive definite at the fit: typically two "
            "components fitted to what is one population, whose parameters can trade off "
            "without changing the likelihood), so they have no standard errors and "
            "their intervals span the parameter space. Choose n_components by BIC, e.g. "
            "GridSearchIC(estimator, {'n_components': [1, 2, 3]}).",
            InferenceWarning,
            stacklevel=5,
        )


def weights_information(n_k, weights, weights_prior=None):
    """Complete-data information of the free weights (the first K - 1; the last is one
    minus their sum), a Dirichlet prior's pseudo-counts included."""
    k = len(weights)
    a = np.zeros(k) if weights_prior is None else (
        np.broadcast_to(np.asarray(weights_prior.alpha, float), (k,)) - 1.0)
    with np.errstate(divide="ignore"):
        diag = (n_k[:-1] + a[:-1]) / weights[:-1] ** 2
        last = (n_k[-1] + a[-1]) / weights[-1] ** 2
    return np.diag(diag) + last


def weight_scores(G, weights):
    """Write ``d log pi_j / d pi_free`` into the first K - 1 columns of ``G`` (k, n, P)."""
    k = len(weights)
    for j in range(k - 1):
        G[j, :, j] = 1.0 / weights[j]
    G[k - 1, :, : k - 1] = -1.0 / weights[-1]


def missing_information(X, sample_weight, scores, size):
    """``sum_i w_i (sum_k r_ik g_ik g_ik' - gbar_i gbar_i')``: the conditional
    covariance of the complete-data score, summed over row blocks.

    ``scores(X_block) -> (log_prob (nb, k), G (k, nb, size), cols)``: the rows'
    weighted log-densities under each component, their complete-data scores, and for
    each component the columns where its scores can be non-zero (its own parameters
    and the weights): the sum of outer products is computed on those only."""
    def block(xb, wb):
        lp, G, cols = scores(xb)
        lse = logsumexp_rows(lp)
        with np.errstate(under="ignore"):
            resp = np.exp(lp - lse[:, None])
        rw = resp if wb is None else resp * wb[:, None]
        gbar = np.einsum("nj,jnp->np", resp, G)
        total = np.zeros((size, size))
        for j in range(G.shape[0]):
            Gj = G[j][:, cols[j]] * np.sqrt(rw[:, j])[:, None]
            total[np.ix_(cols[j], cols[j])] += Gj.T @ Gj
        gw = gbar if wb is None else gbar * np.sqrt(wb)[:, None]
        return total - gw.T @ gw

    # blocks of ~1 MiB of scores: the (k, rows, size) array stays in cache
    rows = max(16, (1 << 17) // max(size, 1))
    return map_reduce(block, X, sample_weight, block_rows=rows, limit_blas=True)


def flat_bounds(names, bounds):
    """(lower, upper) of each named free parameter of a mixture: a weight in [0, 1]; a
    component's parameter in its family's ``bounds``; a covariance entry off the
    diagonal unbounded, a variance (or a covariance entry on it) positive."""
    lo, hi = [], []
    for name in names:
        if name.startswith("weight["):
            lo.append(0.0)
            hi.append(1.0)
            continue
        pname = name.split(".", 1)[1]
        entry = re.fullmatch(r"covariance\[(\d+),(\d+)\]", pname)
        if entry is not None:
            lo.append(0.0 if entry.group(1) == entry.group(2) else -np.inf)
            hi.append(np.inf)
            continue
        if pname.startswith("p["):  # a category's probability
            lo.append(0.0)
            hi.append(1.0)
            continue
        if pname.startswith("variance"):
            lo.append(0.0)
            hi.append(np.inf)
            continue
        b = bounds.get(pname.split("[", 1)[0], (-np.inf, np.inf))
        lo.append(b[0])
        hi.append(b[1])
    return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)


def warn_no_inference(family_name):
    warnings.warn(
        f"Standard errors are not available for mixtures of {family_name} components yet "
        "(their parameters are not one value per column): bse_ is inf and conf_int() "
        "spans the parameter space. Use a bootstrap over refits for intervals.",
        InferenceWarning,
        stacklevel=4,
    )
