"""The successes/failures implementation shared by the Bernoulli, binomial and
geometric families (:mod:`sklearn_mle.families.binary`).

Every one of them is a likelihood of independent trials with one success
probability ``p``: ``loglik = log_base + successes * log(p) + failures * log(1 - p)``.
:class:`SuccessFailure` holds everything past the mapping of a value to successes and
failures: statistics of k components in one pass, the mode, log-likelihood,
information and the Beta prior's pseudo-statistics.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special

from .._engine.blocks import map_reduce
from .._engine.rules import NONFINITE, DomainError
from ..exceptions import BoundaryWarning
from ._protocol import Family, ModeResult
from ._stats import total_weight, unit_weights

__all__ = ["SuccessFailure"]

_NO_MODE = (
    "p has no posterior mode: a Beta prior with a < 1 or b < 1 leaves a negative number "
    "of successes or failures for this data; use a, b >= 1"
)
_OVERFLOW = (
    "the successes or failures sum beyond the float64 range (about 1.8e308), so p "
    "cannot be estimated from them"
)


class SuccessFailure(Family):
    """Base of the families of Bernoulli trials with success probability ``p``.

    Statistics: ``weight`` (summed sample weights), ``successes`` and ``failures``
    (weighted sums), plus any ``extra_fields`` of a subclass (the binomial's
    ``sum_logc``, a constant of the likelihood). The mode is
    ``p = successes / (successes + failures)``; a ``Beta(a, b)`` prior adds ``a - 1``
    successes and ``b - 1`` failures (:meth:`probability_stats`).

    A subclass says how values count: ``_column_sums(X, w, checked)`` (per column
    ``sum w x`` and the extra fields, checking the domain), ``_trial_stats(weight,
    sum_x, extra)`` (successes and failures from those sums) and, for k components
    in one pass, ``_row_extras(X)`` (per-row terms of the extra fields).

    Examples
    --------
    The same trials counted three ways give the same ``p``:

    >>> import numpy as np
    >>> from sklearn_mle.families.binary import Bernoulli, Binomial, Geometric
    >>> b = Bernoulli().stats(np.array([[0.0], [0.0], [1.0], [0.0], [1.0]]))
    >>> n = Binomial(5).stats(np.array([[2.0]]))
    >>> g = Geometric().stats(np.array([[3.0], [2.0]]))
    >>> [(float(s.successes[0]), float(s.failures[0])) for s in (b, n, g)]
    [(2.0, 3.0), (2.0, 3.0), (2.0, 3.0)]
    >>> float(Geometric().mode(g)["p"][0])
    0.4
    """

    param_names = ("p",)
    bounds = {"p": (0.0, 1.0)}
    prior_param = "p"
    supported_priors = ("Beta",)
    integer_domain = True
    extra_fields: tuple[str, ...] = ()
    _boundary_text = "the MLE of p is on the boundary (0 or 1)"

    # ------------------------------------------------------------ statistics
    def _check_data(self, X, w=None):
        """NaN/inf first (scikit-learn's message), then the rules in order."""
        if not np.all(np.isfinite(X)):
            raise DomainError(NONFINITE)
        self.check(X)

    def _stats(self, X, w, checked):
        sum_x, extra = self._column_sums(X, w, checked)
        n = X.shape[0] if w is None else total_weight(w)
        return self._trial_stats(np.full(X.shape[1], float(n)), sum_x, extra)

    def stats(self, X, weights=None, *, checked=False):
        """Sufficient statistics; weights (n, k) give k components' in one pass of
        matrix products (``W.T @ [1, X, extra terms]``)."""
        if weights is None or np.ndim(weights) == 1:
            return self._recount(X, weights, self._stats(X, weights, checked))
        W = np.asarray(weights, dtype=np.float64)
        if not checked:
            self._check_data(X, W.max(axis=1))
        X = np.asarray(X, dtype=np.float64)
        d = X.shape[1]

        def block(xb, wb):
            # one product for all k components: their weights, sum x and extra terms
            cols = [np.ones((xb.shape[0], 1)), xb, *self._row_extras(xb)]
            return wb.T @ np.hstack(cols)

        sums = map_reduce(block, X, W, limit_blas=True)
        out = []
        for j in range(W.shape[1]):
            extra = {name: sums[j, 1 + (1 + i) * d : 1 + (2 + i) * d].copy()
                     for i, name in enumerate(self.extra_fields)}
            out.append(self._recount(X, W[:, j], self._trial_stats(
                np.full(d, sums[j, 0]), sums[j, 1 : 1 + d].copy(), extra)))
        return tuple(out)

    # failures below this fraction of the weight are recounted row by row: weight -
    # successes (two sums of the weights in another order) leaves rounding (1e-15)
    # where a column has no failures at all, which moves p off the boundary (p = 1 -
    # 1e-16, no BoundaryWarning) and makes the log-likelihood depend on the order
    _RECOUNT = 1e-9

    def _row_failures(self, xb):
        """Each row's failures (a block of valid values, float64)."""
        raise NotImplementedError

    def _recount(self, X, w, stats):
        """``stats`` whose failures near 0 are the weighted sums of the rows' failures
        (exactly 0 where there are none); unweighted counts are exact already."""
        if w is None or unit_weights(w):
            return stats
        cols = np.flatnonzero(stats.failures <= self._RECOUNT * stats.weight)
        if cols.size == 0:
            return stats

        def block(xb, wb):
            return wb @ self._row_failures(np.asarray(xb, dtype=np.float64))[:, cols]

        failures = stats.failures.copy()
        failures[cols] = np.maximum(map_reduce(block, X, w), 0.0)
        return stats.replace(failures=failures)

    def _row_extras(self, X):
        """Per-row terms of the extra fields (summed with the weights)."""
        return []

    def _counted(self, weight, successes, failures, extra):
        # rounding (sum w x against sum w) may leave -1e-17 failures in an all-ones
        # column: that is 0, not a domain error
        return self.make_stats(weight=weight, successes=successes,
                               failures=np.maximum(failures, 0.0), **extra)

    def probability_stats(self, successes, failures, n_features):
        """Pseudo-statistics of ``successes`` and ``failures`` (a Beta prior)."""
        d = int(n_features)
        return self.make_stats(weight=np.zeros(d), successes=np.full(d, float(successes)),
                               failures=np.full(d, float(failures)),
                               **{name: np.zeros(d) for name in self.extra_fields})

    # ------------------------------------------------------------ estimation
    def mode(self, stats, fixed=None):
        fixed = fixed or {}
        s, f = stats.successes.astype(float), stats.failures.astype(float)
        if not (np.all(np.isfinite(s)) and np.all(np.isfinite(f))):
            raise DomainError(_OVERFLOW)
        if np.any(s < 0) or np.any(f < 0) or np.any(s + f <= 0):
            raise DomainError(_NO_MODE)
        p = s / (s + f)
        free = np.isnan(fixed["p"]) if "p" in fixed else np.ones(p.shape, bool)
        if "p" in fixed:
            p = np.where(free, p, fixed["p"])
        if np.any(((s == 0) | (f == 0)) & free):
            warnings.warn(
                f"{type(self).__name__}: {self._boundary_text}: standard errors are not "
                "defined there. A prior such as prior=Beta(2, 2) gives an interior estimate.",
                BoundaryWarning,
                stacklevel=5,
            )
        return ModeResult({"p": p})

    def _log_base(self, stats):
        return 0.0

    def loglik(self, stats, params):
        p = params["p"]
        return (self._log_base(stats) + special.xlogy(stats.successes, p)
                + special.xlog1py(stats.failures, -p))

    def information(self, stats, params):
        return self.unscaled_information(*self.scaled_information(stats, params))

    def scaled_information(self, stats, params):
        # on the log-p scale: p**2 (s / p**2 + f / (1 - p)**2) = s + f (p / (1 - p))**2,
        # of the order of n where the information itself overflows (p near 1e-300)
        p = np.asarray(params["p"], dtype=float)
        inside = (p > 0) & (p < 1)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            info = stats.successes + stats.failures * (p / (1 - p)) ** 2
        # on the boundary the information is not defined: 0 (inference says so)
        return (np.where(inside, info, 0.0)[:, None, None],
                np.where(inside, p, 1.0)[:, None])

