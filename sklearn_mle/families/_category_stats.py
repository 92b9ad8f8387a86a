"""The statistics of the categorical family and the category look-ups they use.

:class:`CategoryStats` (weighted counts per column and category; adding merges the
category sets), the per-column category sets of a fixed family
(:func:`category_array`) and the position of values in them (:func:`category_index`).
The family module :mod:`sklearn_mle.families.categorical` re-exports them.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from ._stats import Stats

__all__ = ["CategoryStats", "category_array", "category_index", "is_number", "stats_fields"]


class CategoryStats(Stats):
    """Weighted counts of the categories of each column.

    Fields: ``weight`` (d,), and one row per (column, category): ``col`` (m,),
    ``value`` (m,), ``count`` (m,), sorted by column then value. ``value`` is
    float64, or an object array when some column holds text. A learning family lists
    the values seen with positive weight; a family with a fixed category set lists
    every category, zero counts included. Adding two batches merges their
    categories (the union) and sums the counts.
    """

    __slots__ = ()

    def _combine(self, other):
        return _aggregate(
            np.concatenate([self.col, other.col]),
            np.concatenate([self.value, other.value]),
            np.concatenate([self.count, other.count]),
            self.weight + other.weight,
        )

    def zero_like(self):
        """The same categories with zero counts (the additive identity)."""
        return self.replace(weight=np.zeros_like(self.weight),
                            count=np.zeros_like(self.count))

    def column(self, j):
        """(categories, counts) of column ``j``: float64 categories, or text (object)."""
        lo, hi = np.searchsorted(self.col, [j, j + 1])
        values = self.value[lo:hi]
        if values.dtype == object and not any(isinstance(v, str) for v in values):
            values = values.astype(np.float64)
        return values, self.count[lo:hi]


def _aggregate(col, value, count, weight):
    """Merge duplicate (column, value) rows, summing counts; sort by column, then value."""
    cols, vals, cnts = [], [], []
    for j in np.unique(col):
        sel = col == j
        v = value[sel]
        if v.dtype == object and not any(isinstance(e, str) for e in v):
            v = v.astype(np.float64)
        try:
            uniq, inv = np.unique(v, return_inverse=True)
        except TypeError:
            raise ValueError(
                f"CategoricalMLE: column {j} mixes numbers and text across batches; the "
                "values of one column must be all numbers or all strings"
            ) from None
        cols.append(np.full(uniq.size, j, dtype=np.intp))
        vals.append(uniq)
        cnts.append(np.bincount(inv.ravel(), weights=count[sel], minlength=uniq.size))
    return stats_fields(cols, vals, cnts, weight)


def stats_fields(cols, vals, cnts, weight):
    text = any(v.dtype == object for v in vals)
    return {
        "weight": np.asarray(weight, dtype=np.float64),
        "col": np.concatenate(cols).astype(np.intp) if cols else np.zeros(0, dtype=np.intp),
        "value": (np.concatenate([v.astype(object) if text else v for v in vals])
                  if vals else np.zeros(0)),
        "count": np.concatenate(cnts).astype(np.float64) if cnts else np.zeros(0),
    }


def is_number(v):
    return isinstance(v, (Real, np.number)) and not isinstance(v, np.complexfloating)


def category_array(values, j):
    """One column's category set: sorted distinct float64 values, or text (object)."""
    arr = np.asarray(list(values), dtype=object).ravel()
    if arr.size and all(isinstance(v, str) for v in arr):
        return np.unique(arr.astype(str)).astype(object)
    if not all(is_number(v) for v in arr):
        raise ValueError(
            f"Categorical: the categories of column {j} must be all numbers or all "
            f"strings, got {list(values)!r}"
        )
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"Categorical: the categories of column {j} must be finite")
    return np.unique(arr)


def category_index(cats, col):
    """Position of each value of ``col`` in the sorted categories ``cats``; -1 where
    the value is not a category."""
    if cats.dtype == object:  # text categories: exact lookup
        lookup = {c: k for k, c in enumerate(cats)}
        return np.fromiter((lookup.get(v, -1) for v in col), np.intp, col.size)
    if col.dtype == object:  # text in a numeric column is never a category
        col = np.array([float(v) if is_number(v) else np.nan for v in col], dtype=float)
    col = col.astype(np.float64, copy=False)
    if cats.size == 0:
        return np.full(col.size, -1, dtype=np.intp)
    idx = np.clip(np.searchsorted(cats, col), 0, cats.size - 1)
    return np.where(cats[idx] == col, idx, -1)
