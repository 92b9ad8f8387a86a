"""Standard errors of mixtures of probability vectors: Categorical (a vector per
column) and Multinomial (one vector over the columns) components, by Louis' method.

Free parameters: the first ``K - 1`` weights, then per component and column the first
``K_j - 1`` probabilities (the last is one minus their sum), as ``CategoricalMLE`` and
``MultinomialMLE`` list them. A row's score for a free probability ``p_c`` is
``n_c / p_c - n_L / p_L`` (``n`` the row's count of each category: one 1 for a
categorical value, the counts themselves for a multinomial row); the complete-data
information is the family's ``information`` of the component's weighted counts.
"""

from __future__ import annotations

import numpy as np

from ..families.categorical import Categorical, category_index
from ._inference import (
    MixtureInformation,
    missing_information,
    weight_scores,
    weights_information,
    weights_prior_score,
)

__all__ = ["probability_mixture_information"]


def _fmt(v):
    if isinstance(v, str):
        return v
    v = float(v)
    return str(int(v)) if v.is_integer() else repr(v)


def probability_mixture_information(emission, weights, params, stats, X, sample_weight,
                                    weights_prior=None, column_names=None):
    """Names, estimates and observed information (see the module docstring)."""
    family = emission.family
    k, n_w = len(params), len(params) - 1
    categorical = isinstance(family, Categorical)
    d = X.shape[1]

    def col(c):
        return str(column_names[c]) if column_names is not None else f"x{c}"

    if categorical:
        cats = family.category_arrays()
        layout = [(c, int(np.size(cats[c])) - 1) for c in range(d)]
        labels = [[f"p[{_fmt(v)}]" if d == 1 else f"p[{col(c)}={_fmt(v)}]"
                   for v in cats[c][:-1]] for c in range(d)]
    else:
        layout = [(None, d - 1)]
        labels = [[f"p[{col(c)}]" for c in range(d - 1)]]
    per = sum(m for _, m in layout)
    size = n_w + k * per

    names = [f"weight[{j}]" for j in range(n_w)]
    estimates = list(weights[:n_w])
    for j in range(k):
        for (c, m), lab in zip(layout, labels):
            p = params[j]["probabilities"][c] if categorical else params[j]["probabilities"]
            names += [f"component{j}.{name}" for name in lab]
            estimates += list(np.asarray(p, dtype=float)[:m])

    info = np.zeros((size, size))
    n_k = np.array([float(np.max(s.weight)) for s in stats])
    info[:n_w, :n_w] = weights_information(n_k, weights, weights_prior)
    pseudo = None if emission.prior is None else emission.prior.pseudo_stats(family, d)
    for j in range(k):
        s = stats[j] if pseudo is None else stats[j] + pseudo
        blocks = family.information(s, params[j])
        blocks = blocks if categorical else [blocks]
        off = n_w + j * per
        for b in blocks:
            b = np.atleast_2d(np.asarray(b, dtype=float))
            info[off : off + b.shape[0], off : off + b.shape[0]] = b
            off += b.shape[0]

    cols = [np.r_[np.arange(n_w), n_w + j * per + np.arange(per)] for j in range(k)]

    def counts(xb, c, m):
        """(nb, m) counts of the free categories and (nb,) of the last one."""
        if not categorical:
            xb = np.asarray(xb, dtype=float)
            return xb[:, :m], xb[:, m]
        idx = category_index(cats[c], np.asarray(xb)[:, c])
        return (idx[:, None] == np.arange(m)).astype(float), (idx == m).astype(float)

    def scores(xb):
        lp = family.logpdf_rows(xb, params) + np.log(weights)
        G = np.zeros((k, xb.shape[0], size))
        weight_scores(G, weights)
        for j in range(k):
            off = n_w + j * per
            for c, m in layout:
                p = np.asarray(params[j]["probabilities"][c] if categorical
                               else params[j]["probabilities"], dtype=float)
                free, last = counts(xb, c, m)
                # a category this component gives probability 0 has no row counting it
                # (such rows have zero responsibility): 0, not 0/0
                with np.errstate(divide="ignore", invalid="ignore"):
                    g_free = np.where(free > 0, free / p[:m], 0.0)
                    g_last = np.where(last > 0, last / p[m], 0.0)
                G[j, :, off : off + m] = g_free - g_last[:, None]
                off += m
        return lp, G, cols

    missing, score = missing_information(X, sample_weight, scores, size)
    score = score + weights_prior_score(weights, weights_prior, size)
    if pseudo is not None:  # the components' prior gradient is not computed: no check
        score = np.full(size, np.nan)
    information = info - missing
    return MixtureInformation(names, np.asarray(estimates, dtype=float),
                              0.5 * (information + information.T), info, score)
