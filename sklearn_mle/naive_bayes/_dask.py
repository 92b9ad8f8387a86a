"""Naive Bayes on Dask: the classes' statistics in one reduction, lazy predictions.

``fit`` on a Dask array (labels a Dask or NumPy array with the same rows):

1. the prototype density (its family settings: a categorical column's categories, a
   binomial's trials) is fitted on the first rows, as in memory (``HEAD_ROWS``; they
   are read to the client);
2. ONE reduction over the row chunks: each chunk finds its labels, builds its
   one-hot class weights and returns ``{label: statistics}`` from the family's
   batched statistics (``family.stats(X, W)``, the in-memory pass); the partial
   dictionaries are added in a tree on the cluster (``+`` of the statistics);
3. each class's density is ``from_stats`` of its sum, on the client.

So the fit equals the in-memory fit on the same rows (sums in another order). Where
the first rows do not fix the settings for every row (a categorical column whose
category first appears later), a :class:`~sklearn_mle.distributions.DistributionMLE`
prototype is fitted on the whole Dask array first (one more reduction), as the
in-memory fit falls back to all rows; likewise when the density's prior takes
defaults from the data. Densities without finite statistics (Weibull, negative
binomial, Student-t, mixtures) are refused: their per-class fits need a pass per
Newton step and class.

Predictions on a Dask array are lazy (one task per chunk): ``predict``,
``predict_proba``, ``predict_log_proba`` and ``predict_joint_log_proba`` return Dask
arrays, so scoring never gathers the rows.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import clone

from .._engine.dask import as_dask_rows, dask_map_blocks, dask_map_reduce
from .._engine.dask_input import check_dask_weights, check_dask_X, check_weight_block
from .._engine.rules import DomainError
from ..distributions import DistributionMLE
from ._perclass import (
    HEAD_ROWS,
    _finite,
    _from_stats,
    _resolves,
    class_log_densities,
    class_stats,
    stats_path,
)

__all__ = ["dask_fit", "dask_joint_log_proba", "dask_summaries"]


class _ClassSums:
    """Per-label partial sums of one or more chunks: statistics, weight and rows of
    positive weight (added label by label; pickles: the cluster ships it)."""

    __slots__ = ("rows", "stats", "weight")

    def __init__(self, stats, weight, rows):
        self.stats, self.weight, self.rows = stats, weight, rows

    def __add__(self, other):
        stats, weight, rows = dict(self.stats), dict(self.weight), dict(self.rows)
        for label, s in other.stats.items():
            if label in stats:
                stats[label] = _add(stats[label], s)
                weight[label] += other.weight[label]
                rows[label] += other.rows[label]
            else:
                stats[label] = s
                weight[label] = other.weight[label]
                rows[label] = other.rows[label]
        return _ClassSums(stats, weight, rows)


def _add(a, b):
    if isinstance(a, tuple):  # an IndependentMLE: its parts' statistics
        return tuple(_add(x, y) for x, y in zip(a, b))
    return a + b


def _check_labels(yb, owner):
    if yb.ndim != 1:
        raise ValueError(f"{owner}: y must be one label per row (1-D), got shape {yb.shape}")
    if yb.dtype.kind == "f":
        if not np.all(np.isfinite(yb)):
            raise ValueError(f"{owner}: y holds NaN or inf; labels must be classes")
        if not np.all(yb == np.floor(yb)):
            raise ValueError("Unknown label type: continuous. Maybe you are trying to fit "
                             "a classifier, which expects discrete classes on a regression "
                             "target with continuous values.")


def _chunk_sums(proto, owner):
    def chunk(xb, yb, wb):
        check_weight_block(wb, owner)
        yb = np.asarray(yb)
        _check_labels(yb, owner)
        labels, idx = np.unique(yb, return_inverse=True)
        idx = idx.ravel()
        w = np.broadcast_to(1.0, idx.shape) if wb is None else np.asarray(wb, dtype=float)
        Y = np.zeros((idx.size, labels.size))
        Y[np.arange(idx.size), idx] = w
        stats = class_stats(proto, xb, Y, checked=False)
        keys = [v.item() if hasattr(v, "item") else v for v in labels]
        pos = w > 0
        return _ClassSums(dict(zip(keys, stats)),
                          dict(zip(keys, Y.sum(axis=0).tolist())),
                          dict(zip(keys, np.bincount(idx[pos], minlength=labels.size).tolist())))
    return chunk


def _refuse(owner, density):
    raise ValueError(
        f"{owner}: fit on a Dask array needs a density of the package with finite "
        "statistics (GaussianMLE, PoissonMLE, BernoulliMLE, CategoricalMLE, "
        "MultinomialMLE, GammaMLE, ..., or an IndependentMLE of them), whose classes' "
        "statistics are one reduction; "
        f"{type(density).__name__} has none (its families need a pass per Newton step "
        "and class, or it is not a distribution estimator). Fit it in memory, or on a "
        "sample: X.compute()"
    )


def dask_fit(clf, X, y, sample_weight, density):
    """Fit ``clf`` (a GenerativeClassifier) on a Dask array; see the module docstring.

    Returns
    -------
    densities, state, rows per class, class weights
    """
    owner = type(clf).__name__
    if y is None:
        raise ValueError(f"{owner} requires y to be passed, but the target y is None")
    if not stats_path(density):
        _refuse(owner, density)
    X = check_dask_X(clf, X, reset=True)
    w = check_dask_weights(sample_weight, X, owner)
    n = X.shape[0]
    yd = as_dask_rows(y) if hasattr(y, "dask") else np.asarray(y)
    if yd.shape[0] != n:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: "
                         f"[{n}, {yd.shape[0]}]")
    whole = isinstance(density, DistributionMLE)  # can fit on the Dask array itself
    proto = None
    if not _resolves(density):
        head = min(n, HEAD_ROWS)
        xh = np.asarray(X[:head].compute())
        names = getattr(clf, "feature_names_in_", None)
        if names is not None:  # a Dask DataFrame: the densities carry its column names
            import pandas as pd

            xh = pd.DataFrame(xh, columns=names)
        wh = None if sample_weight is None else np.asarray(
            w[:head].compute() if hasattr(w, "dask") else w[:head])
        proto = _fit_quietly(density, xh, wh)
        if not _finite(proto):
            _refuse(owner, density)
    elif not whole:
        raise ValueError(f"{owner}: on Dask, an IndependentMLE part's prior cannot take "
                         "defaults from the data; give its hyperparameters")
    sums = None
    if proto is not None:
        try:
            sums = dask_map_reduce(_chunk_sums(proto, owner), X, (yd, w))
        except DomainError as err:
            if not whole:
                raise ValueError(
                    f"{owner}: {err} (on Dask, the settings of an IndependentMLE's parts "
                    f"come from the first {HEAD_ROWS} rows: declare them, e.g. "
                    "CategoricalMLE(categories=...))") from err
    if sums is None:
        # the first rows do not fix the family settings for every row, or the prior
        # takes defaults from all rows: the prototype from all rows (one more reduction)
        proto = _fit_quietly(density, X, None if sample_weight is None else w)
        sums = dask_map_reduce(_chunk_sums(proto, owner), X, (yd, w))
    keys = list(sums.stats)
    try:
        order = np.argsort(np.array(keys))
    except TypeError:
        raise TypeError(f"{owner}: the class labels in y mix types; give labels of one "
                        "type") from None
    clf.classes_ = np.array(keys)[order]
    labels = [keys[i] for i in order]
    stats = [sums.stats[k] for k in labels]
    rows = np.array([sums.rows[k] for k in labels])
    counts = np.array([sums.weight[k] for k in labels], dtype=float)
    if not counts.sum() > 0:
        raise ValueError(f"{owner}: sample_weight: the weights sum to zero; at least one "
                         "row needs a positive weight")
    densities = _from_stats(proto, stats, rows, clf.classes_, owner)
    return densities, (proto, stats), rows, counts


def _fit_quietly(density, X, w):
    with warnings.catch_warnings():
        # the prototype only fixes settings: its warnings are not the classes'
        warnings.simplefilter("ignore")
        return clone(density).fit(X, sample_weight=w)


def dask_joint_log_proba(clf, X):
    """``log pi_k + log p_k(x)`` of a Dask array's rows, lazily (one task per chunk)."""
    X = check_dask_X(clf, X, reset=False)
    densities, log_prior = clf.densities_, clf.class_log_prior_
    owner = type(clf).__name__

    def chunk(xb):
        jll = class_log_densities(densities, xb) + log_prior
        dead = ~np.isfinite(jll).any(axis=1)
        if dead.any():
            raise ValueError(
                f"{owner}: a row of a chunk ({int(np.flatnonzero(dead)[0])} in the chunk) "
                "has zero probability under the density of every class: a value outside "
                "the support every class was fitted on (a category never seen in "
                "training, ...); give the density a prior or drop the value")
        return jll

    return dask_map_blocks(chunk, X, trailing=(len(densities),), dtype=np.float64)


def dask_summaries(X):
    """Per column of a Dask array: whether every value is an integer, the minimum and
    the maximum (one pass, all three at once), for the domain rule; NaN/inf refused."""
    import dask
    import dask.array as da

    X = as_dask_rows(X)
    finite, integral, low, high = dask.compute(
        da.isfinite(X).all(axis=0), (X == da.floor(X)).all(axis=0), X.min(axis=0),
        X.max(axis=0))
    if not finite.all():
        j = int(np.flatnonzero(~finite)[0])
        raise ValueError(f"column {j} has NaN or infinite values: drop missing values first")
    return integral, low, high
