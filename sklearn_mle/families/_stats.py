"""Sufficient statistics: an immutable value that adds.

``fit`` computes the statistics of one batch; ``partial_fit`` adds the statistics of
the next batch; ``fit`` on the concatenation gives the same sum. Any ``Stats`` whose
fields are plain sums (counts, totals, sums of logs) uses the default addition;
families whose statistics combine otherwise (centred moments, raw data) subclass it.
"""

from __future__ import annotations

import numpy as np


class Stats:
    """Named arrays combined by ``+``, tagged with the family that made them.

    ``family`` (a short name such as ``"poisson"``) and ``constants`` (a tuple of the
    family's fixed settings, e.g. Binomial's ``n_trials``) type the value: adding
    statistics of another family, or of the same family with other constants, raises
    ``TypeError`` instead of producing a meaningless sum. Instances are immutable and
    pickle (a Dask worker ships them). ``s.zero_like() + s == s``.

    Every instance carries ``weight``: the summed sample weight per column (or a
    scalar), i.e. the effective number of observations.
    """

    __slots__ = ("_constants", "_family", "_fields")

    def __init__(self, family: str | None = None, constants: tuple = (), **fields):
        object.__setattr__(self, "_family", family)
        object.__setattr__(self, "_constants", tuple(constants))
        object.__setattr__(self, "_fields", {k: np.asarray(v) for k, v in fields.items()})

    @property
    def family(self) -> str | None:
        """Name of the family whose statistics these are."""
        return self._family

    @property
    def constants(self) -> tuple:
        """The family's fixed settings these statistics were computed under."""
        return self._constants

    def __getattr__(self, name):
        try:
            return self._fields[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        raise AttributeError("Stats is immutable: combine with + instead")

    def __reduce__(self):
        return (_rebuild, (type(self), self._family, self._constants, self._fields))

    def fields(self) -> dict:
        """The named arrays (a copy of the mapping; the arrays are shared)."""
        return dict(self._fields)

    def replace(self, **fields) -> Stats:
        """The same statistics with some fields replaced (same family and constants)."""
        return type(self)(self._family, self._constants, **{**self._fields, **fields})

    def zero_like(self) -> Stats:
        """The additive identity of these statistics: ``s.zero_like() + s == s``."""
        return type(self)(self._family, self._constants,
                          **{k: np.zeros_like(v) for k, v in self._fields.items()})

    def _combine(self, other) -> dict:
        return {k: self._fields[k] + other._fields[k] for k in self._fields}

    def __add__(self, other):
        if not isinstance(other, Stats):
            return NotImplemented
        if type(other) is not type(self) or other._family != self._family:
            raise TypeError(
                f"cannot add statistics of {_label(self)} and {_label(other)}: statistics "
                "add only within one family"
            )
        if not _same_constants(self._constants, other._constants):
            raise TypeError(
                f"cannot add statistics of {_label(self)} computed with constants "
                f"{self._constants!r} and {other._constants!r}"
            )
        if self._fields.keys() != other._fields.keys():
            raise TypeError(f"cannot add statistics of {_label(self)} with different fields")
        return type(self)(self._family, self._constants, **self._combine(other))

    def __eq__(self, other):
        return (
            type(other) is type(self)
            and other._family == self._family
            and _same_constants(self._constants, other._constants)
            and self._fields.keys() == other._fields.keys()
            and all(np.array_equal(self._fields[k], other._fields[k]) for k in self._fields)
        )

    __hash__ = None

    def __repr__(self):
        inner = ", ".join(f"{k}={np.array2string(v, threshold=4)}" for k, v in self._fields.items())
        fam = f"{self._family}: " if self._family else ""
        return f"{type(self).__name__}({fam}{inner})"


def _label(s):
    return s.family or type(s).__name__


def _same_constants(a, b):
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if not np.array_equal(np.asarray(x, dtype=object), np.asarray(y, dtype=object)):
                return False
        elif x != y:
            return False
    return True


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


class RateStats(Stats):
    """Weight, sum of counts and the log-likelihood at a reference rate, re-centred
    when added (the Poisson family's statistics).

    Fields (each (d,)): ``weight`` and ``sum_x``, plain sums; ``center``, a reference
    rate (the batch's mean count); ``dev``, ``sum w (x - center)`` summed row by row
    (exact where ``sum_x - weight * center`` would keep only the rounding of
    ``sum_x``); ``ll_center``, the batch's log-likelihood at ``center``. The
    log-likelihood at any rate is ``ll_center`` minus
    :func:`~sklearn_mle.families._saddle.rate_shift`, so that the value near the mode
    is never the difference of two numbers of size ``sum x log x`` (counts near 1e15
    kept no digit of it). Adding two batches moves both to the combined mean by the
    same identity.
    """

    __slots__ = ()

    def _combine(self, other):
        from ._saddle import rate_shift  # the arithmetic of counts lives there

        n, sx = self.weight + other.weight, self.sum_x + other.sum_x
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = sx / n
        # the combined mean where it is a rate; else (no weight, or a prior's negative
        # pseudo-events) the larger reference, so that both stay finite
        c = np.where((n > 0) & (mean > 0), mean, np.maximum(self.center, other.center))
        ll, dev = np.zeros_like(c), np.zeros_like(c)
        for s in (self, other):
            ll = ll + s.ll_center - rate_shift(s.weight, s.sum_x, s.dev, s.center, c)
            dev = dev + s.dev + np.where(s.weight == 0, 0.0, s.weight * (s.center - c))
        return {"weight": n, "sum_x": sx, "center": c, "dev": dev, "ll_center": ll}


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


def _rebuild(cls, family, constants, fields):
    return cls(family, constants, **fields)


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
