"""Bernoulli, binomial and geometric: one successes/failures implementation.

All three are likelihoods of independent trials with one success probability ``p``::

    loglik = log_base + successes * log(p) + failures * log(1 - p)

and differ only in how a value ``x`` counts: a Bernoulli ``x`` is ``x`` successes and
``1 - x`` failures; a binomial ``x`` out of ``n_trials`` is ``x`` successes,
``n_trials - x`` failures and ``log C(n_trials, x)`` of base measure; a geometric ``x``
(trials up to and including the first success) is one success and ``x - 1`` failures.
:class:`SuccessFailure` holds everything past that mapping (statistics of k components
in one pass, the mode, log-likelihood, information and the Beta prior's
pseudo-statistics), so the three families cannot drift apart.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special
from scipy import stats as sps

from .. import _native as native
from .._engine.blocks import map_reduce
from .._engine.rules import NONFINITE, DomainError, check_rule, raise_first
from ..exceptions import NumericalRangeWarning
from ._count_sums import (
    binary_sums,
    check_sum_in_range,
    int_histograms,
    integer_sums,
    log_binom_sum,
    log_binom_tables,
    weighted_column_sums,
)
from ._stats import unit_weights
from ._success_failure import SuccessFailure

__all__ = ["Bernoulli", "Binomial", "Geometric", "SuccessFailure"]

# ----------------------------------------------------------------- Bernoulli
_BERNOULLI_RULE = "Bernoulli values must be 0 or 1"


class Bernoulli(SuccessFailure):
    """Bernoulli outcomes: ``P(x = 1) = p``, ``P(x = 0) = 1 - p`` per column.

    Each value is ``x`` successes and ``1 - x`` failures: the mode is the mean.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.families.binary import Bernoulli
    >>> from sklearn_mle.priors import Beta
    >>> fam = Bernoulli()
    >>> s = fam.stats(np.array([[1.0], [1.0], [0.0], [1.0]]))
    >>> fam.mode(s)["p"].tolist()
    [0.75]
    >>> float(fam.mode(s + Beta(2, 2).pseudo_stats(fam, 1))["p"][0])  # (3 + 1) / (4 + 2)
    0.6666666666666666
    """

    name = "bernoulli"
    rules = ((_BERNOULLI_RULE, lambda X: (X != 0) & (X != 1)),)
    _boundary_text = ("a column is all 0 or all 1, so the MLE of p is on the boundary "
                      "(0 or 1)")

    def _column_sums(self, X, w, checked):
        unit = w is None or unit_weights(w)
        sum_x = binary_sums(X, None if unit else w)  # counts the ones and zeros
        if sum_x is None:  # a value outside {0, 1}
            if not checked:
                self._check_data(X)
            ones = np.broadcast_to(1.0, (X.shape[0],)) if w is None else w
            sum_x = weighted_column_sums(X, ones)
        return sum_x, {}

    def _trial_stats(self, weight, sum_x, extra):
        return self._counted(weight, sum_x, weight - sum_x, extra)

    def _row_failures(self, xb):
        return 1.0 - xb

    def logpdf(self, X, params):
        p = params["p"]
        with np.errstate(invalid="ignore"):
            lp = special.xlogy(X, p) + special.xlog1py(1 - X, -p)
        return np.where((X == 0) | (X == 1), lp, -np.inf)

    def logpdf_rows(self, X, params_list):
        """k parameter sets at once: ``X @ logit(p).T + sum log(1 - p)`` (one matrix
        product; a latent class model's E-step)."""
        P = np.array([np.asarray(p["p"], dtype=float) for p in params_list])  # (k, d)
        if np.any((P <= 0) | (P >= 1)):  # log 0 needs xlogy's care: the general path
            return super().logpdf_rows(X, params_list)
        Xf = np.asarray(X, dtype=np.float64)
        out = Xf @ (np.log(P) - np.log1p(-P)).T + np.log1p(-P).sum(axis=1)
        valid = ((Xf == 0) | (Xf == 1)).all(axis=1)
        if not valid.all():
            out[~valid] = -np.inf
        return out

    def sample(self, params, n, rng):
        p = np.asarray(params["p"], dtype=float)
        return (rng.random((n, p.size)) < p).astype(float)

    def to_scipy(self, params):
        return [sps.bernoulli(float(p)) for p in np.atleast_1d(params["p"])]


# ------------------------------------------------------------------ Binomial
_BINOMIAL_RULE = "binomial counts must be integers in [0, n_trials]"
# beyond 2**53 float64 no longer holds every integer (log C(n, x) is then rounding, and
# NumPy draws binomials of int64 trials)
_BINOMIAL_MAX = 2.0**53
_BINOMIAL_MAX_RULE = (f"{_BINOMIAL_RULE}, at most 2**53 (about 9.0e15: larger counts are "
                      "not exact integers in float64); rescale or model them as continuous")


class Binomial(SuccessFailure):
    """Binomial counts out of a known number of trials: ``x ~ Binomial(n_trials, p)``.

    Each value is ``x`` successes and ``n_trials - x`` failures; ``sum_logc`` (the
    weighted sum of ``log C(n_trials, x)``) is a constant of the likelihood.

    Parameters
    ----------
    n_trials : int or sequence of int
        Trials behind every count (>= 1): one value for all columns or one per
        column (equal values are one value). Part of the statistics' type
        (``constants``): statistics of another ``n_trials`` do not add.
        :meth:`from_data` takes it from the data.

    Notes
    -----
    Rows of zero weight do not count, so they are not checked against ``n_trials``
    (when ``n_trials`` comes from the data it is the largest count with positive
    weight); values outside ``[0, n_trials]`` still get log-density ``-inf``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.families.binary import Binomial
    >>> fam = Binomial(10)
    >>> s = fam.stats(np.array([[3.0], [5.0], [4.0], [6.0]]))
    >>> fam.mode(s)["p"].tolist()
    [0.45]
    >>> Binomial.from_data(np.array([[0.0, 2.0], [5.0, 1.0]]))
    Binomial((5, 2))
    """

    name = "binomial"
    extra_fields = ("sum_logc",)
    _boundary_text = ("a column has no successes (or no failures), so the MLE of p is 0 "
                      "(or 1), on the boundary")

    def __init__(self, n_trials):
        arr = np.asarray(n_trials)
        bad = arr.ndim > 1 or arr.size == 0 or arr.dtype.kind not in "iuf"
        if not bad:
            arr = arr.astype(np.float64)
            bad = not (np.all(np.isfinite(arr)) and np.all(arr >= 1)
                       and np.all(arr == np.floor(arr)) and np.all(arr <= _BINOMIAL_MAX))
        if bad:
            raise ValueError(f"Binomial: n_trials must be integers in [1, 2**53] (one, or "
                             f"one per column), got {n_trials!r}")
        # ints (a tuple per column): hashable, and they compare exactly in ``constants``;
        # equal values for every column are the one-value family (same statistics type)
        if arr.ndim and np.all(arr == arr[0]):
            arr = arr[0]
        self.n_trials = int(arr) if arr.ndim == 0 else tuple(int(v) for v in arr)

    @property
    def constants(self):
        return (self.n_trials,)

    @classmethod
    def from_data(cls, X, weights=None):
        """The family whose ``n_trials`` per column is the largest count of ``X`` in a
        row of positive weight (at least 1): only right when some row reached the
        maximum, so pass ``n_trials`` when it is known.

        Values that are not counts (NaN, inf, negative, fractional) leave a
        placeholder: the statistics then reject them, naming their rule.
        """
        X = np.asarray(X)

        def top(xb, wb):
            if wb is not None:
                xb = np.where((wb > 0)[:, None], xb, -np.inf)
            return xb.max(axis=0).astype(np.float64)  # blocks are never empty: n >= 1

        hi = map_reduce(top, X, weights, combine=np.maximum)
        with np.errstate(invalid="ignore"):
            n = np.where(np.isfinite(hi), np.clip(np.ceil(hi), 1.0, _BINOMIAL_MAX), 1.0)
        return cls(n)  # counts beyond 2**53 are left to the statistics' rule

    def trials(self, n_features):
        """``n_trials`` per column, a float array of shape (n_features,)."""
        arr = np.asarray(self.n_trials, dtype=np.float64)
        if arr.ndim and arr.size != n_features:
            raise ValueError(f"Binomial: n_trials has {arr.size} values (one per column) but "
                             f"the data have {n_features} columns")
        return np.broadcast_to(arr, (n_features,)).copy()

    @property
    def rules(self):
        return (
            (f"Negative values in data are outside the support: {_BINOMIAL_RULE}",
             lambda X: X < 0),
            (_BINOMIAL_RULE, lambda X: X != np.floor(X)),
            (_BINOMIAL_MAX_RULE, lambda X: X > _BINOMIAL_MAX),
            (f"{_BINOMIAL_RULE}; n_trials is {_fmt_trials(self.n_trials)}",
             lambda X: X > self.trials(X.shape[1])),
        )

    def check(self, X, weights=None):
        """The domain rules in order; the bound ``x <= n_trials`` only binds rows of
        positive weight (``weights`` None: every row)."""
        *firsts, (rule, above) = self.rules
        for r, violates in firsts:
            check_rule(X, violates, r)
        with np.errstate(invalid="ignore"):
            mask = above(X)
        if weights is not None:
            mask = mask & (np.asarray(weights) > 0)[:, None]
        raise_first(X, mask, rule)

    def _check_data(self, X, w=None):
        if not np.all(np.isfinite(X)):
            raise DomainError(NONFINITE)
        self.check(X, w)

    def _column_sums(self, X, w, checked):
        n = self.trials(X.shape[1])
        unit = w is None or unit_weights(w)
        tables = log_binom_tables(n)
        sums = None if tables is None else native.table_sums(
            X, tables, native.LARGE_INVALID, None if unit else w)
        if sums is not None:  # one fused C pass: successes and log C(n, x), checked
            return sums[0], {"sum_logc": sums[1]}
        hist = int_histograms(X, None if unit else w)
        if hist is not None and all(not h[int(t) + 1:].any() for h, t in zip(hist, n)):
            # every count in [0, n_trials] (or of zero weight): sums from the histogram
            sum_x, sum_logc = np.empty(len(hist)), np.empty(len(hist))
            for j, (h, t) in enumerate(zip(hist, n)):
                h = h[: int(t) + 1]
                k = np.arange(h.size, dtype=np.float64)
                sum_x[j] = h @ k
                sum_logc[j] = h @ (special.gammaln(t + 1) - special.gammaln(k + 1)
                                   - special.gammaln(t - k + 1))
            return sum_x, {"sum_logc": sum_logc}
        ones = np.broadcast_to(1.0, (X.shape[0],)) if w is None else w
        if not checked:
            self._check_data(X, ones)
        # rows of zero weight beyond n_trials add 0 * x to the successes, and
        # log_binom_sum skips them
        return weighted_column_sums(X, ones), {"sum_logc": log_binom_sum(X, ones, n)}

    def _row_extras(self, X):
        n = self.trials(X.shape[1])
        inside = (X >= 0) & (X <= n)
        Xc = np.where(inside, X, 0.0)
        logc = special.gammaln(n + 1) - native.log_factorial(Xc) - native.log_factorial(n - Xc)
        return [np.where(inside, logc, 0.0)]  # a row beyond n_trials has zero weight

    def _trial_stats(self, weight, sum_x, extra):
        n = self.trials(sum_x.size)
        return self._counted(weight, sum_x, weight * n - sum_x, extra)

    def _row_failures(self, xb):
        return self.trials(xb.shape[1]) - xb

    def _log_base(self, stats):
        return stats.sum_logc

    def logpdf(self, X, params):
        p, n = params["p"], self.trials(X.shape[1])
        with np.errstate(invalid="ignore"):
            inside = (X >= 0) & (X <= n) & (X == np.floor(X))
        Xc = np.where(inside, X, 0.0)
        lp = (special.gammaln(n + 1) - native.log_factorial(Xc) - native.log_factorial(n - Xc)
              + special.xlogy(Xc, p) + special.xlog1py(n - Xc, -p))
        return np.where(inside, lp, -np.inf)

    def sample(self, params, n, rng):
        p = np.asarray(params["p"], dtype=float)
        trials = self.trials(p.size).astype(np.int64)
        return rng.binomial(trials, p, size=(n, p.size)).astype(float)

    def to_scipy(self, params):
        p = np.atleast_1d(params["p"])
        return [sps.binom(int(k), float(q)) for k, q in zip(self.trials(p.size), p)]


def _fmt_trials(n_trials):
    return str(n_trials) if isinstance(n_trials, int) else str(list(n_trials))


# ----------------------------------------------------------------- Geometric
_GEOMETRIC_RULE = "geometric trial counts must be integers >= 1"
_INTEGER_MAX = 2.0**52 - 1  # larger trial counts take the NumPy path
_GEOMETRIC_SAMPLER_MIN = 1e-12  # below: numpy's int64 draws saturate (or wrap) at 2**63


class Geometric(SuccessFailure):
    """Trials up to and including the first success: ``P(x) = p (1 - p)^(x - 1)``,
    ``x = 1, 2, ...`` (``scipy.stats.geom``).

    Each value is one success and ``x - 1`` failures: the mode is ``1 / mean``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.families.binary import Geometric
    >>> fam = Geometric()
    >>> s = fam.stats(np.array([[1.0], [3.0], [2.0], [6.0]]))
    >>> fam.mode(s)["p"].tolist()
    [0.3333333333333333]
    """

    name = "geometric"
    rules = (
        (f"Negative values in data are outside the support: {_GEOMETRIC_RULE}",
         lambda X: X < 0),
        (f"{_GEOMETRIC_RULE} (trials up to and including the first success)",
         lambda X: (X < 1) | (X != np.floor(X))),
    )
    _boundary_text = ("a column has only ones (every first trial succeeded), so the MLE "
                      "of p is 1, on the boundary")

    def _column_sums(self, X, w, checked):
        unit = w is None or unit_weights(w)
        sum_x = integer_sums(X, 1.0, _INTEGER_MAX, None if unit else w)  # checked
        ones = np.broadcast_to(1.0, (X.shape[0],)) if w is None else w
        if sum_x is None:  # a value outside the support
            if not checked:
                self._check_data(X)
            with np.errstate(over="ignore"):  # an overflow is reported just below
                sum_x = weighted_column_sums(X, ones)
        # counts near 1.8e308 sum to inf, and p = n / inf = 0 is no geometric law
        check_sum_in_range(X, sum_x, (
            f"{_GEOMETRIC_RULE}, and their (weighted) sum must stay within the float64 "
            "range (about 1.8e308): p would underflow to 0"))
        return sum_x, {}

    def _trial_stats(self, weight, sum_x, extra):
        return self._counted(weight, weight, sum_x - weight, extra)

    def _row_failures(self, xb):
        return xb - 1.0

    def logpdf(self, X, params):
        p = params["p"]
        with np.errstate(invalid="ignore", divide="ignore"):
            lp = np.log(p) + special.xlog1py(X - 1, -p)
            return np.where((X >= 1) & (X == np.floor(X)), lp, -np.inf)

    def sample(self, params, n, rng):
        p = np.asarray(params["p"], dtype=float)
        small = p < _GEOMETRIC_SAMPLER_MIN
        draws = rng.geometric(np.where(small, 0.5, p), size=(n, p.size)).astype(float)
        if not small.any():
            return draws
        # numpy's sampler returns int64, which a tiny p overflows (2**63 or negative
        # values): there, the inverse CDF in floating point, ceil(log U / log(1 - p))
        u = 1.0 - rng.random((n, p.size))  # in (0, 1]
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            tail = np.maximum(np.ceil(np.log(u) / np.log1p(-np.where(small, p, 0.5))), 1.0)
        out = np.where(small, np.where(p > 0, tail, np.inf), draws)  # p = 0: never
        if np.isinf(out).any():
            warnings.warn(
                f"Geometric: p = {float(np.min(p)):.3g} is so small that some draws exceed "
                "the float64 range (about 1.8e308); they are returned as inf",
                NumericalRangeWarning,
                stacklevel=3,
            )
        return out

    def to_scipy(self, params):
        return [sps.geom(float(p)) for p in np.atleast_1d(params["p"])]
