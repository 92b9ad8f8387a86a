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
from scipy import sparse

from ..families import CategoryStats, MultinomialStats
from ..families.categorical import category_index

__all__ = ["class_stats_fast", "logpdf_rows_fast"]


def _codes(family, X):
    """Each value's position among all columns' categories, (n, d) with column offsets;
    -1 where a value is not a category of its column."""
    cats = family.category_arrays()
    sizes = np.array([c.size for c in cats], dtype=np.intp)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    idx = np.empty(X.shape, dtype=np.intp)
    for j, c in enumerate(cats):
        col = X[:, j]
        # integer categories 0..K-1 (the common encoding): the value is its position
        if (c.dtype != object and col.dtype.kind == "f"
                and np.array_equal(c, np.arange(c.size))):
            ok = (col >= 0) & (col <= c.size - 1) & (col == np.floor(col))
            idx[:, j] = np.where(ok, col, -1).astype(np.intp)
        else:
            idx[:, j] = category_index(c, col)
    return cats, sizes, offsets, idx


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
    cats, sizes, offsets, idx = _codes(family, X)
    if np.any(idx < 0):
        family.check(X)  # raises the family's DomainError at the first stranger
        return None
    total = int(sizes.sum())
    codes = (idx + offsets) + (cls * total)[:, None]
    unit = bool(np.all(w == 1.0))
    counts = np.bincount(codes.ravel(), weights=None if unit else np.repeat(w, X.shape[1]),
                         minlength=k * total).reshape(k, total).astype(np.float64)
    n_k = Y.sum(axis=0)
    d = len(cats)
    text = any(c.dtype == object for c in cats)
    col = np.repeat(np.arange(d), sizes)
    value = np.concatenate([c.astype(object) if text else c for c in cats])
    return tuple(family.make_stats(CategoryStats, weight=np.full(d, float(n_k[j])), col=col,
                                   value=value, count=counts[j]) for j in range(k))


def _multinomial_stats(family, X, Y):
    Xf = np.asarray(X, dtype=np.float64)
    family.check(Xf)
    if not np.all(np.isfinite(Xf)):
        return None
    d = Xf.shape[1]
    totals = Xf.sum(axis=1)
    uniform = {"probabilities": np.full(d, 1.0 / d)}
    # log n! - sum log x_j! = logpdf at uniform p + n log d (the family's own coefficient)
    lc = family.logpdf(Xf, uniform)[:, 0] + totals * np.log(d)
    counts = Y.T @ Xf
    n_k = Y.sum(axis=0)
    coef = Y.T @ lc
    uniq, inv = np.unique(totals, return_inverse=True)
    hist = np.asarray(sparse.csr_matrix(
        (np.ones(totals.size), (np.arange(totals.size), inv.ravel())),
        shape=(totals.size, uniq.size)).T @ Y)
    out = []
    for j in range(Y.shape[1]):
        keep = hist[:, j] > 0
        out.append(family.make_stats(MultinomialStats, weight=np.full(d, float(n_k[j])),
                                     counts=counts[j], log_coef=np.asarray(float(coef[j])),
                                     total_value=uniq[keep].astype(np.float64),
                                     total_weight=hist[keep, j]))
    return tuple(out)


def logpdf_rows_fast(family, X, params_list):
    """``family.logpdf_rows(X, params_list)`` where this module has a faster form."""
    if family.name == "categorical":
        return _categorical_rows(family, X, params_list)
    if family.name == "multinomial":
        return _multinomial_rows(family, X, params_list)
    return family.logpdf_rows(X, params_list)


def _categorical_rows(family, X, params_list):
    cats, sizes, offsets, idx = _codes(family, X)
    total = int(sizes.sum())
    n, d = idx.shape
    with np.errstate(divide="ignore"):
        table = np.stack([np.concatenate([np.log(p) for p in params["probabilities"]])
                          for params in params_list], axis=1)  # (categories, k)
    bad = idx < 0
    if bad.any():  # not a category: probability 0 under every class
        idx = np.where(bad, 0, idx)
    onehot = sparse.csr_matrix((np.ones(n * d), (idx + offsets).ravel(),
                                np.arange(0, n * d + 1, d)), shape=(n, total))
    finite = np.isfinite(table)
    if finite.all():
        out = np.asarray(onehot @ table)
    else:  # a zero probability: -inf wherever a row has that category
        out = np.asarray(onehot @ np.where(finite, table, 0.0))
        hits = np.asarray(onehot @ (~finite).astype(np.float64)) > 0
        out[hits] = -np.inf
    if bad.any():
        out[bad.any(axis=1)] = -np.inf
    return out


def _multinomial_rows(family, X, params_list):
    P = np.array([np.asarray(p["probabilities"], dtype=float) for p in params_list])
    if np.any(P <= 0):  # log 0 needs xlogy's care: the family's own path
        return family.logpdf_rows(X, params_list)
    Xf = np.asarray(X, dtype=np.float64)
    base = family.logpdf(Xf, params_list[0])[:, 0]  # coefficient + x . log p_0, once
    return base[:, None] + Xf @ (np.log(P) - np.log(P[0])).T
