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
from typing import NamedTuple

import numpy as np
from scipy import linalg

from .._engine.blocks import map_reduce
from ..exceptions import InferenceWarning
from ._emission import logsumexp_rows

__all__ = ["MixtureInformation", "check_stationary", "flat_bounds", "missing_information",
           "mixture_information", "newton_decrement", "weight_scores", "weights_information",
           "weights_prior_score"]


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

    missing, score = missing_information(X, sample_weight, scores, size)
    score = score + weights_prior_score(weights, weights_prior, size)
    if emission.prior is not None:  # the prior's gradient, by central differences
        for j in range(k):
            for a_i, (na, ca) in enumerate(slots):
                score[n_w + j * m + a_i] += _prior_slope(emission, params[j], na, ca)
    information = info - missing
    return MixtureInformation(names, np.asarray(estimates, dtype=float),
                              0.5 * (information + information.T), info, score)


def _prior_slope(emission, params, name, c):
    """d log prior / d params[name][c] by central differences inside the domain."""
    family = emission.family
    theta = float(params[name][c])
    lo, hi = family.bounds.get(name, (-np.inf, np.inf))
    h = min(1e-6 * max(abs(theta), 1e-3), (theta - lo) / 4.0, (hi - theta) / 4.0)

    def at(v):
        arr = np.array(params[name], dtype=float)
        arr[c] = v
        return family.log_prior(emission.prior, dict(params, **{name: arr}))

    with np.errstate(all="ignore"):
        return (at(theta + h) - at(theta - h)) / (2.0 * h)


def weights_prior_score(weights, weights_prior, size):
    """The Dirichlet prior's gradient with respect to the free weights (the first
    K - 1), padded with zeros to ``size``."""
    out = np.zeros(size)
    if weights_prior is not None:
        k = len(weights)
        a = np.broadcast_to(np.asarray(weights_prior.alpha, float), (k,)) - 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            out[: k - 1] = a[:-1] / weights[:-1] - a[-1] / weights[-1]
    return out


class MixtureInformation(NamedTuple):
    """What a mixture's inference needs at its fitted parameters (free parameters in
    ``names`` order): the observed information (Louis' method), the complete-data
    information ``E[I_complete | x]`` (EM's own metric) and the score of the objective
    (zero at a maximum)."""

    names: list
    estimates: np.ndarray
    information: np.ndarray
    complete: np.ndarray
    score: np.ndarray


# the fit is taken for a maximum when a Newton step from it would move the estimates
# by less than this many standard errors (its log-likelihood gain is half the square):
# the intervals' centres are then right to 5% of a standard error (a 95% interval
# still covers 94.9%)
STATIONARY_SE = 0.05


def newton_decrement(information, complete, score):
    """``(observed, complete)``: the Newton decrement ``sqrt(g' I^-1 g)`` of the score
    ``g`` at the fit under the observed information (NaN where it is not positive
    definite), the distance to the maximum of the quadratic model in standard errors
    (a Newton step gains half its square of log-likelihood), and under the
    complete-data information, what one EM step sees (a lower bound of the first).
    Both NaN where the score or the informations are not finite (a capped
    parameter)."""
    score = np.asarray(score, dtype=float)
    if score.size == 0:
        return 0.0, 0.0
    diag = np.diag(complete)
    if not (np.all(np.isfinite(score)) and np.all(np.isfinite(diag)) and np.all(diag > 0)):
        return float("nan"), float("nan")
    scale = np.sqrt(diag)
    g = score / scale
    out = []
    for mat in (information, complete):
        m = mat / np.outer(scale, scale)
        value = float("nan")
        if np.all(np.isfinite(m)):
            try:
                chol = linalg.cholesky(0.5 * (m + m.T), lower=True)
            except linalg.LinAlgError:
                chol = None
            # a near-singular factor (a flat direction) is no better than none
            piv = None if chol is None else np.abs(np.diag(chol))
            if piv is not None and np.min(piv) >= 1e-4 * np.max(piv):
                z = linalg.solve_triangular(chol, g, lower=True)
                value = float(np.sqrt(z @ z))
        out.append(value)
    if np.isnan(out[1]):  # the complete-data information's diagonal alone
        out[1] = float(np.sqrt(g @ g))
    return out[0], out[1]


def check_stationary(result, k, owner, stopped, nobs, em_step_gain):
    """Warn in words when the fit is not at the likelihood's maximum (EM stopped by
    its rule, ``stopped`` in words, before it), or, at a maximum, when the components
    are not identified.

    ``em_step_gain()`` is the objective one more EM step from the fit gains: a score
    that is not zero is taken for EM stopping early only where that step gains what
    the score predicts (at a capped estimate, e.g. the shape of a constant column,
    the score is not zero but EM stays put). Returns the covariance to report instead
    of the information's inverse: None normally; ``inf`` on the diagonal when the fit
    is short of a maximum and the observed information there is not positive definite
    (its inverse would be no standard error at all)."""
    observed_dec, complete_dec = newton_decrement(result.information, result.complete,
                                                  result.score)
    observed = not np.isnan(observed_dec)
    decrement = observed_dec if observed else complete_dec
    if decrement > STATIONARY_SE:
        predicted = 0.5 * complete_dec**2  # at least what one EM step gains
        gain = em_step_gain()
        if np.isfinite(gain) and gain < 0.25 * predicted:
            decrement = float("nan")  # EM's fixed point: a boundary, not an early stop
    if not decrement > STATIONARY_SE:
        warn_if_not_identified(result.information, k, owner)
        return None
    # EM's stopping rule is the gain of one iteration per unit weight; what is left
    # to gain is that over (1 - rate): 1e-6 / nobs keeps it far below 1e-4 / 2
    suggest = min(1e-8, max(1e-14, 10.0 ** np.floor(np.log10(1e-6 / max(nobs, 1.0)))))
    remedy = (f"Refit with a smaller tol, e.g. set_params(tol={suggest:.0e}, max_iter=10000, "
              "warm_start=True).fit(X), which continues from this fit")
    if observed:
        text = (f"a Newton step from the fit would move the estimates by {decrement:.3g} "
                "standard errors, so the intervals, centred at the fit, are off by as "
                f"much. {remedy}.")
    else:
        text = (f"the score there is not zero (one EM step would move the estimates by at "
                f"least {decrement:.3g} standard errors) and the observed information is "
                "not positive definite, as it need not be off a maximum, so no standard "
                f"errors are computed and the intervals span the parameter space. {remedy}; "
                "if the information is still singular at the maximum, the components are "
                "not identified (choose n_components by BIC).")
    warnings.warn(
        f"{owner}: EM stopped ({stopped}) before the maximum of the likelihood: {text}",
        InferenceWarning,
        stacklevel=5,
    )
    if observed:
        return None
    return np.diag(np.full(len(result.names), np.inf))


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
            stacklevel=6,
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
    """``(missing, score)``: the conditional covariance of the complete-data score,
    ``sum_i w_i (sum_k r_ik g_ik g_ik' - gbar_i gbar_i')``, and its mean, the score of
    the observed-data log-likelihood ``sum_i w_i gbar_i`` (Fisher's identity), summed
    over row blocks.

    ``scores(X_block) -> (log_prob (nb, k), G (k, nb, size), cols)``: the rows'
    weighted log-densities under each component, their complete-data scores, and for
    each component the columns where its scores can be non-zero (its own parameters
    and the weights): the sum of outer products is computed on those only."""
    def block(xb, wb):
        lp, G, cols = scores(xb)
        lse = logsumexp_rows(lp)
        # a capped parameter (a constant column's shape of 1e13) can give scores whose
        # products overflow: the information is then not finite, which the caller says
        # in words; NumPy's warnings would only repeat it
        with np.errstate(under="ignore", over="ignore", invalid="ignore"):
            resp = np.exp(lp - lse[:, None])
            rw = resp if wb is None else resp * wb[:, None]
            gbar = np.einsum("nj,jnp->np", resp, G)
            total = np.zeros((size, size))
            for j in range(G.shape[0]):
                Gj = G[j][:, cols[j]] * np.sqrt(rw[:, j])[:, None]
                total[np.ix_(cols[j], cols[j])] += Gj.T @ Gj
            gw = gbar if wb is None else gbar * np.sqrt(wb)[:, None]
            score = gbar.sum(axis=0) if wb is None else wb @ gbar
            return total - gw.T @ gw, score

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
