"""Sufficient statistics: an immutable value that adds.

``fit`` computes the statistics of one batch; ``partial_fit`` adds the statistics of
the next batch; ``fit`` on the concatenation gives the same sum. Any ``Stats`` whose
fields are plain sums (counts, totals, sums of logs) uses the default addition;
families whose statistics combine otherwise (centred moments, raw data) subclass it.
"""

from __future__ import annotations

import numpy as np


class Stats:
    """Named arrays combined by ``+``; ``Stats.zero_like(s) + s == s``.

    Every instance carries ``weight``: the summed sample weight per column (or a
    scalar), i.e. the effective number of observations.
    """

    __slots__ = ("_fields",)

    def __init__(self, **fields):
        object.__setattr__(self, "_fields", {k: np.asarray(v) for k, v in fields.items()})

    def __getattr__(self, name):
        try:
            return self._fields[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        raise AttributeError("Stats is immutable: combine with + instead")

    def __reduce__(self):
        return (_rebuild, (type(self), self._fields))

    def fields(self) -> dict:
        return dict(self._fields)

    def _combine(self, other) -> dict:
        return {k: self._fields[k] + other._fields[k] for k in self._fields}

    def __add__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        if self._fields.keys() != other._fields.keys():
            raise ValueError("cannot add statistics of different families")
        return type(self)(**self._combine(other))

    def __eq__(self, other):
        return (
            type(other) is type(self)
            and self._fields.keys() == other._fields.keys()
            and all(np.array_equal(self._fields[k], other._fields[k]) for k in self._fields)
        )

    __hash__ = None

    def __repr__(self):
        inner = ", ".join(f"{k}={np.array2string(v, threshold=4)}" for k, v in self._fields.items())
        return f"{type(self).__name__}({inner})"


class CentredStats(Stats):
    """Weight, mean and centred second moment, combined by Chan et al.'s formula.

    Fields: ``weight`` (scalar), ``mean`` (d,), ``m2`` (d,) or (d, d): the weighted
    sum of squared deviations from ``mean``. Adding two batches is exact and
    numerically stable (no ``sum x**2 - n mean**2`` cancellation).
    """

    __slots__ = ()

    def _combine(self, other):
        n1, n2 = float(self.weight), float(other.weight)
        n = n1 + n2
        if n1 == 0:
            return other.fields()
        if n2 == 0:
            return self.fields()
        delta = other.mean - self.mean
        mean = self.mean + delta * (n2 / n)
        corr = np.outer(delta, delta) if self.m2.ndim == 2 else delta**2
        m2 = self.m2 + other.m2 + corr * (n1 * n2 / n)
        out = {k: self._fields[k] + other._fields[k] for k in self._fields}
        out.update(weight=np.asarray(n), mean=mean, m2=m2)
        return out


class DataStats(Stats):
    """The weighted sample itself, for families without finite statistics.

    Fields ``x`` (n, d) and ``w`` (n,); adding concatenates (so ``partial_fit``
    keeps every batch in memory: documented on the families that use it).
    """

    __slots__ = ()

    def _combine(self, other):
        return {
            "x": np.concatenate([self.x, other.x]),
            "w": np.concatenate([self.w, other.w]),
            "weight": self.weight + other.weight,
        }


def _rebuild(cls, fields):
    return cls(**fields)


def unit_weights(w):
    """Whether every weight is 1 (O(1) for the broadcast ones of an unweighted fit)."""
    if w.ndim == 1 and w.size and w.strides[0] == 0:
        return bool(w[0] == 1.0)
    return bool(np.all(w == 1.0))


def total_weight(w):
    """``w.sum()``, O(1) for the broadcast ones of an unweighted fit."""
    if w.ndim == 1 and w.size and w.strides[0] == 0:
        return float(w[0]) * w.size
    return float(w.sum())
