"""Batched class statistics and class log-densities the families do not fuse yet.

Everything here goes through the families' public protocol (``make_stats`` with the
documented fields of :class:`~sklearn_mle.families.CategoryStats` and
:class:`~sklearn_mle.families.MultinomialStats`, ``category_arrays``, ``logpdf``) and
equals the generic protocol calls (tested); it is faster where the generic call does
k passes or a sort per block:

- categorical statistics of k classes: ONE ``bincount`` over (class, column,
  category) codes, instead of a sparse one-hot product per row block;
- categorical class log-densities: a sparse one-hot matrix times the (categories, k)
  table of log-probabilities, instead of k x d lookups;
- multinomial statistics: ``W.T @ X`` and one pass of log-coefficients;
- multinomial class log-densities: the coefficient once, plus ``X @ log(P).T``.

The same operations belong in the families (``Categorical.stats``/``logpdf_rows``,
``Multinomial.stats``/``logpdf_rows``); when they move there, this module goes.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse, special

from .._engine.blocks import map_reduce
from ..families import CategoryStats, Family, MultinomialStats
from ..families.categorical import category_index

__all__ = ["class_stats_fast", "logpdf_rows_fast"]


def _layout(family):
    """The categories of each column, their counts and offsets in one code space, and
    whether every column's categories are 0..K-1 (codes are then the values)."""
    cats = family.category_arrays()
    sizes = np.array([c.size for c in cats], dtype=np.intp)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    direct = all(c.dtype != object and np.array_equal(c, np.arange(c.size)) for c in cats)
    return cats, sizes, offsets, direct


def _codes(layout, xb):
    """Each value's code in the block (column offset plus its category's position), and
    a mask of the values that are not a category of their column."""
    cats, sizes, offsets, direct = layout
    if direct and xb.dtype.kind == "f":
        # integer categories 0..K-1 (the usual encoding): the value is its position
        bad = ~((xb >= 0) & (xb < sizes) & (xb == np.floor(xb)))
        idx = np.where(bad, 0.0, xb).astype(np.intp)
    else:
        idx = np.empty(xb.shape, dtype=np.intp)
        for j, c in enumerate(cats):
            idx[:, j] = category_index(c, xb[:, j])
        bad = idx < 0
        idx[bad] = 0
    idx += offsets
    return idx, bad


def class_stats_fast(family, X, Y):
    """The k classes' statistics (Y: (n, k) class weights), or None where this module
    has no faster formulation than ``family.stats(X, Y)``."""
    if family.name == "categorical" and getattr(family, "categories", None) is not None:
        return _categorical_stats(family, X, Y)
    if family.name == "multinomial":
        return _multinomial_stats(family, X, Y)
    return None


def _one_class(Y):
    """Each row's class and weight when every row has one class (one-hot weights)."""
    cls = np.argmax(Y, axis=1)
    w = Y[np.arange(Y.shape[0]), cls]
    if np.count_nonzero(Y) != np.count_nonzero(w):
        return None
    return cls, w


def _categorical_stats(family, X, Y):
    one = _one_class(Y)
    if one is None:
        return None
    cls, w = one
    k = Y.shape[1]
    layout = _layout(family)
    cats, sizes, _, _ = layout
    total = int(sizes.sum())
    unit = bool(np.all(w == 1.0))

    def block(xb, cb, wb):
        idx, bad = _codes(layout, xb)
        if bad.any():
            return None  # the family's own check says where
        idx += (cb * total)[:, None]
        return np.bincount(idx.ravel(), weights=None if unit else np.repeat(wb, xb.shape[1]),
                           minlength=k * total).astype(np.float64)

    counts = map_reduce(block, X, cls, w)
    if counts is None:
        family.check(X)  # raises the family's DomainError at the first stranger
        return None
    counts = counts.reshape(k, total)
    n_k = Y.sum(axis=0)
    d = len(cats)
    text = any(c.dtype == object for c in cats)
    col = np.repeat(np.arange(d), sizes)
    value = np.concatenate([c.astype(object) if text else c for c in cats])
    return tuple(family.make_stats(CategoryStats, weight=np.full(d, float(n_k[j])), col=col,
                                   value=value, count=counts[j]) for j in range(k))


def _log_coefficients(xb):
    """``log n_i! - sum_j log x_ij!`` of each row of counts: a table lookup for small
    counts (no transcendental function per element), else ``gammaln``."""
    top = xb.max() if xb.size else 0.0
    if top < 4096:
        table = special.gammaln(np.arange(int(top) + 1, dtype=np.float64) + 1.0)
        per_element = table[xb.astype(np.intp)].sum(axis=1)
    else:
        per_element = special.gammaln(xb + 1.0).sum(axis=1)
    return special.gammaln(xb.sum(axis=1) + 1.0) - per_element


def _valid_counts(xb):
    return bool(np.all((xb >= 0) & (xb == np.floor(xb))))


def _multinomial_stats(family, X, Y):
    Xf = np.asarray(X, dtype=np.float64)
    d = Xf.shape[1]

    def block(xb, yb):
        if not _valid_counts(xb):
            return None  # the family's own check says where
        totals = xb.sum(axis=1)
        return yb.T @ xb, yb.T @ _log_coefficients(xb), totals.max(initial=0.0)

    out = map_reduce(block, Xf, Y, limit_blas=True,
                     combine=lambda a, b: (a[0] + b[0], a[1] + b[1], max(a[2], b[2])))
    if out is None:
        family.check(Xf)
        return None
    counts, coef, _ = out
    n_k = Y.sum(axis=0)
    totals = Xf.sum(axis=1)
    uniq, inv = np.unique(totals, return_inverse=True)
    hist = np.asarray(sparse.csr_matrix(
        (np.ones(totals.size), (np.arange(totals.size), inv.ravel())),
        shape=(totals.size, uniq.size)).T @ Y)
    result = []
    for j in range(Y.shape[1]):
        keep = hist[:, j] > 0
        result.append(family.make_stats(
            MultinomialStats, weight=np.full(d, float(n_k[j])), counts=counts[j],
            log_coef=np.asarray(float(coef[j])), total_value=uniq[keep].astype(np.float64),
            total_weight=hist[keep, j]))
    return tuple(result)


def logpdf_rows_fast(family, X, params_list):
    """``family.logpdf_rows(X, params_list)`` where this module has a faster form."""
    if family.name == "categorical":
        return _categorical_rows(family, X, params_list)
    if family.name == "multinomial":
        return _multinomial_rows(family, X, params_list)
    if family.name == "gamma" and max(float(np.max(p["shape"])) for p in params_list) > 1e8:
        # Gamma.logpdf_rows's matrix form cancels at capped shapes (no MLE: 1e12), where
        # logpdf keeps the digits: one component at a time there
        return Family.logpdf_rows(family, X, params_list)
    return family.logpdf_rows(X, params_list)


def _categorical_rows(family, X, params_list):
    layout = _layout(family)
    total = int(layout[1].sum())
    idx, bad = _codes(layout, X)
    n, d = idx.shape
    with np.errstate(divide="ignore"):
        table = np.stack([np.concatenate([np.log(p) for p in params["probabilities"]])
                          for params in params_list], axis=1)  # (categories, k)
    onehot = sparse.csr_matrix((np.ones(n * d), idx.ravel(), np.arange(0, n * d + 1, d)),
                               shape=(n, total))
    finite = np.isfinite(table)
    if finite.all():
        out = np.asarray(onehot @ table)
    else:  # a zero probability: -inf wherever a row has that category
        out = np.asarray(onehot @ np.where(finite, table, 0.0))
        hits = np.asarray(onehot @ (~finite).astype(np.float64)) > 0
        out[hits] = -np.inf
    if bad.any():  # not a category: probability 0 under every class
        out[bad.any(axis=1)] = -np.inf
    return out


def _multinomial_rows(family, X, params_list):
    P = np.array([np.asarray(p["probabilities"], dtype=float) for p in params_list])
    Xf = np.asarray(X, dtype=np.float64)
    if np.any(P <= 0) or not _valid_counts(Xf):  # xlogy's care, -inf rows: the family's
        return family.logpdf_rows(Xf, params_list)
    return _log_coefficients(Xf)[:, None] + Xf @ np.log(P).T
