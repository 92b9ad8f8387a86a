"""The multinomial family: rows of counts over d categories (the columns).

Row ``i`` holds ``x_i1 .. x_id`` events of d categories out of ``n_i = sum_j x_ij``
trials, the totals varying from row to row:
``log P(x_i) = log n_i! - sum_j log x_ij! + sum_j x_ij log p_j``. The statistics are
the (weighted) column totals, so k classes' or components' statistics are one matrix
product ``W.T @ X``: what a multinomial naive Bayes or a mixture of multinomials needs.
"""

from __future__ import annotations

import numpy as np
from scipy import special
from scipy import stats as sps

from .. import _native as native
from .._engine.blocks import map_blocks, map_reduce
from .._engine.rules import NONFINITE, DomainError
from ._probabilities import probability_covariance, probability_information, probability_mode
from ._protocol import Family, ModeResult
from ._stats import Stats

__all__ = ["Multinomial", "MultinomialStats"]

_RULE = "multinomial counts must be non-negative integers"


class MultinomialStats(Stats):
    """Column totals of count vectors, and the distribution of the row totals.

    Fields: ``weight`` (d,) the summed row weight (the same in every column),
    ``counts`` (d,) the weighted column totals, ``log_coef`` (scalar) the weighted sum
    of the rows' ``log n_i! - sum_j log x_ij!`` (a constant of the likelihood), and
    ``total_value`` / ``total_weight`` (u,): the distinct row totals seen with positive
    weight and their summed weights (sorted), from which new row totals can be drawn.
    Adding merges the row-total histograms and sums the rest.
    """

    __slots__ = ()

    def _combine(self, other):
        out = {k: self._fields[k] + other._fields[k]
               for k in ("weight", "counts", "log_coef")}
        out.update(_histogram(np.concatenate([self.total_value, other.total_value]),
                              np.concatenate([self.total_weight, other.total_weight])))
        return out


    def zero_like(self):
        """Zero counts and an empty row-total histogram (the additive identity)."""
        return self.replace(weight=np.zeros_like(self.weight),
                            counts=np.zeros_like(self.counts), log_coef=np.asarray(0.0),
                            total_value=np.zeros(0), total_weight=np.zeros(0))


def _histogram(values, weights):
    keep = weights > 0
    uniq, inv = np.unique(values[keep], return_inverse=True)
    return {"total_value": uniq.astype(np.float64),
            "total_weight": np.bincount(inv.ravel(), weights=weights[keep],
                                        minlength=uniq.size)}


class Multinomial(Family):
    """Multinomial count vectors: each row is ``n_i`` trials over the d columns.

    Parameters: ``probabilities`` (d,), summing to 1. The mode is the column totals
    over the grand total; ``Dirichlet(alpha)`` adds ``alpha - 1`` pseudo-counts per
    column (:meth:`category_stats`). The free parameters are the first d - 1
    probabilities (the last is the rest); their covariance at the MLE is
    ``(diag(p) - p p^T) / N`` with ``N`` the grand total of the counts.

    The columns form one joint distribution: :meth:`loglik` returns one total (shape
    (1,)), :meth:`logpdf` one log-probability per row (shape (n, 1)), and
    :meth:`to_scipy` one ``scipy.stats.multinomial``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.families.multinomial import Multinomial
    >>> X = np.array([[3.0, 1.0, 0.0], [2.0, 2.0, 2.0]])   # 4 and 6 trials
    >>> fam = Multinomial()
    >>> fam.mode(fam.stats(X))["probabilities"].tolist()
    [0.5, 0.3, 0.2]
    >>> s = fam.stats(X, np.array([[1.0, 0.0], [0.0, 1.0]]))   # two classes at once
    >>> s[1].counts.tolist()
    [2.0, 2.0, 2.0]
    """

    name = "multinomial"
    param_names = ("probabilities",)
    bounds = {"probabilities": (0.0, 1.0)}
    prior_param = "probabilities"
    supported_priors = ("Dirichlet",)
    integer_domain = True
    rules = (
        (f"Negative values in data: {_RULE}", lambda X: X < 0),
        (_RULE, lambda X: X != np.floor(X)),
        # the log multinomial coefficient, gammaln(row total + 1), overflows float64
        # for totals near 2.5e305: counts beyond 1e300 have no finite likelihood
        ("multinomial counts must be at most 1e300 (the log-factorial of larger row "
         "totals overflows float64): rescale the counts", lambda X: X > 1e300),
    )

    # ------------------------------------------------------------ statistics
    def stats(self, X, weights=None, *, checked=False):
        """Column totals; weights (n, k) give k statistics in one pass: per row block
        ONE matrix product ``W.T @ X`` for the counts, the rows' totals and
        ``sum_j log x_ij!`` from one compiled pass (which also checks the counts),
        ``W.T @ log-coefficients``, and a histogram of the row totals per component.

        Block-sized temporaries only; a block the compiled pass declines (a value
        outside the domain, no compiler) makes the whole call check ``X`` (the error
        names the row) and take the NumPy twin."""
        X = np.asarray(X)
        if X.dtype.kind not in "fiub":
            X = X.astype(np.float64)
        n, d = X.shape
        if weights is None:
            W = np.broadcast_to(1.0, (n, 1))
        else:
            W = np.asarray(weights, dtype=np.float64)
            W = W[:, None] if W.ndim == 1 else W
        out = map_reduce(_fast_block, X, W, limit_blas=True, combine=_combine_blocks)
        if out is None:
            if not checked:
                if X.dtype.kind == "f" and not np.all(np.isfinite(X)):
                    raise DomainError(NONFINITE)
                self.check(X)
            out = map_reduce(_numpy_block, X, W, limit_blas=True, combine=_combine_blocks)
        stats = _batched(self, out, d)
        if weights is None or np.ndim(weights) == 1:
            return stats[0]
        return stats

    def logpdf_rows(self, X, params_list):
        """Each row's log-probability under k probability vectors, shape (n, k): the
        log-coefficient once per row (the rows' totals and ``sum_j log x_ij!`` from
        the compiled pass that also checks the counts) plus ONE matrix product
        ``X @ log(P).T`` per row block (``xlogy``'s care where a probability is 0: a
        zero count there adds 0); ``-inf`` for a row that is not counts."""
        P = np.array([np.asarray(p["probabilities"], dtype=float) for p in params_list])
        positive = bool(np.all(P > 0))
        with np.errstate(divide="ignore"):
            logp = np.log(np.where(P > 0, P, 1.0)).T  # (d, k)
        zero = None if positive else (P <= 0).astype(np.float64).T

        def block(xb):
            terms = _row_terms(xb)
            if terms is None or not terms[0].max(initial=0.0) <= 1e300:
                return _rows_numpy(xb, logp, zero)
            xb = xb.astype(np.float64, copy=False)
            out = (special.gammaln(terms[0] + 1.0) - terms[1])[:, None] + xb @ logp
            if zero is not None:
                out[((xb > 0).astype(np.float64) @ zero) > 0] = -np.inf
            return out

        return map_blocks(block, np.asarray(X), limit_blas=True)

    def category_stats(self, pseudo_counts, n_features):
        """Pseudo-statistics of ``pseudo_counts`` per column (a Dirichlet prior: its
        ``alpha - 1``): a scalar, or one value per column."""
        d = int(n_features)
        pc = np.asarray(pseudo_counts, dtype=float)
        if pc.ndim > 1 or (pc.ndim == 1 and pc.size != d):
            raise DomainError(
                f"a Dirichlet prior with {pc.size} concentrations does not fit {d} "
                "categories (columns): use a scalar alpha, or one value per column"
            )
        return self.make_stats(MultinomialStats, weight=np.zeros(d),
                               counts=np.broadcast_to(pc, (d,)).astype(float),
                               log_coef=np.asarray(0.0), total_value=np.zeros(0),
                               total_weight=np.zeros(0))

    # ------------------------------------------------------------ protocol
    def mode(self, stats, fixed=None):
        """Column totals over the grand total (free probabilities share the mass the
        ``fixed`` ones leave, in proportion to their totals). ``fixed``:
        ``{"probabilities": (d,) array}``, NaN where free."""
        given = (fixed or {}).get("probabilities")
        return ModeResult({"probabilities": probability_mode(stats.counts, given,
                                                             "MultinomialMLE")})

    def loglik(self, stats, params):
        """The total log-likelihood, shape (1,) (the columns are one distribution)."""
        p = np.asarray(params["probabilities"], dtype=float)
        return np.array([float(np.sum(special.xlogy(stats.counts, p)) + stats.log_coef)])

    def information(self, stats, params, fixed=None):
        """Observed information of the free probabilities (every free column but the
        last free one, which is the rest), shape (m, m)."""
        return probability_information(stats.counts, params["probabilities"],
                                       (fixed or {}).get("probabilities"))

    def covariance(self, stats, params, fixed=None):
        """The closed-form inverse of :meth:`information` (None where a zero count
        makes it singular)."""
        return probability_covariance(stats.counts, params["probabilities"],
                                      (fixed or {}).get("probabilities"))

    def logpdf(self, X, params):
        """Log-probability of each row, shape (n, 1); ``-inf`` off the support."""
        X = np.asarray(X, dtype=np.float64)
        p = np.asarray(params["probabilities"], dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            ok = np.all((X >= 0) & (X == np.floor(X)), axis=1)
            Xs = np.where(ok[:, None], X, 0.0)
            lp = (special.gammaln(Xs.sum(axis=1) + 1.0) - native.log_factorial(Xs).sum(axis=1)
                  + special.xlogy(Xs, p).sum(axis=1))
        return np.where(ok, lp, -np.inf)[:, None]

    def sample(self, params, n, rng, n_trials=None):
        """``n`` count vectors, shape (n, d); row ``i`` has ``n_trials[i]`` trials
        (an int for all rows, or an array of n totals). Required: the family has no
        distribution of the row totals."""
        if n_trials is None:
            raise ValueError(
                "Multinomial.sample needs n_trials (the row totals): an int or one "
                "value per row"
            )
        p = np.asarray(params["probabilities"], dtype=float)
        p = p / p.sum()
        totals = np.broadcast_to(np.asarray(n_trials), (int(n),))
        if np.any(totals < 0) or not np.array_equal(totals, np.floor(totals)):
            raise ValueError(f"n_trials must be non-negative integers, got {n_trials!r}")
        out = np.zeros((int(n), p.size))
        # one multinomial call per distinct total (RandomState takes a scalar n only)
        uniq, inv = np.unique(totals.astype(np.int64), return_inverse=True)
        for u, t in enumerate(uniq):
            rows = np.flatnonzero(inv.ravel() == u)
            out[rows] = rng.multinomial(int(t), p, size=rows.size)
        return out

    def to_scipy(self, params, n_trials=1):
        """``[scipy.stats.multinomial(n_trials, p)]``: one joint distribution."""
        return [sps.multinomial(int(n_trials), np.asarray(params["probabilities"], float))]

    def log_prior(self, prior, params):
        return float(prior.logpdf(params["probabilities"]))

    def n_features(self, stats):
        return int(np.size(stats.counts))


def _rows_numpy(xb, logp, zero):
    """:meth:`Multinomial.logpdf_rows` of a block the compiled pass declines: rows that
    are not counts get ``-inf``."""
    xb = np.asarray(xb, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.all((xb >= 0) & (xb == np.floor(xb)), axis=1)
        xs = xb if ok.all() else np.where(ok[:, None], xb, 0.0)
        lc = special.gammaln(xs.sum(axis=1) + 1.0) - native.log_factorial(xs).sum(axis=1)
        out = lc[:, None] + xs @ logp
    if zero is not None:
        out[((xs > 0).astype(np.float64) @ zero) > 0] = -np.inf
    out[~ok] = -np.inf
    return out


def _row_terms(xb):
    """Each row's total and ``sum_j log x_ij!`` by the compiled pass over the block's
    transpose (its "columns" are the rows), or None where it declines."""
    return native.count_sums(xb.T, n_threads=1)


def _block_out(xb, wb, totals, log_fact):
    lc = special.gammaln(totals + 1.0) - log_fact
    top = float(totals.max(initial=0.0))
    if top < (1 << 20):  # integer totals: a histogram per component by bincount
        t = totals.astype(np.intp)
        hist = np.stack([np.bincount(t, weights=wb[:, j], minlength=int(top) + 1)
                         for j in range(wb.shape[1])], axis=1)
        values = np.flatnonzero(np.any(hist != 0, axis=1))
        hist = hist[values].astype(np.float64)
        values = values.astype(np.float64)
    else:
        values, inv = np.unique(totals, return_inverse=True)
        hist = np.stack([np.bincount(inv.ravel(), weights=wb[:, j], minlength=values.size)
                         for j in range(wb.shape[1])], axis=1)
    return wb.sum(axis=0), wb.T @ xb, wb.T @ lc, [(values, hist)]


def _fast_block(xb, wb):
    terms = _row_terms(xb)
    if terms is None or not terms[0].max(initial=0.0) <= 1e300:  # the last rule's
        return None
    return _block_out(xb.astype(np.float64, copy=False), wb, *terms)


def _numpy_block(xb, wb):
    xb = xb.astype(np.float64, copy=False)
    return _block_out(xb, wb, xb.sum(axis=1), native.log_factorial(xb).sum(axis=1))


def _combine_blocks(a, b):
    return a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]


def _batched(fam, out, d):
    """k statistics from the summed block terms (the row-total histograms merged)."""
    n_k, counts, coef, hists = out
    values = np.concatenate([v for v, _ in hists])
    weights = np.concatenate([h for _, h in hists], axis=0)
    uniq, inv = np.unique(values, return_inverse=True)
    k = n_k.size
    hist = np.stack([np.bincount(inv.ravel(), weights=weights[:, j], minlength=uniq.size)
                     for j in range(k)], axis=1)
    result = []
    for j in range(k):
        keep = hist[:, j] > 0
        result.append(fam.make_stats(
            MultinomialStats, weight=np.full(d, float(n_k[j])), counts=counts[j],
            log_coef=np.asarray(float(coef[j])), total_value=uniq[keep].astype(np.float64),
            total_weight=hist[keep, j]))
    return tuple(result)
