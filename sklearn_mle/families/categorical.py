"""The categorical family: each column takes one of a set of category values.

The category set is the family's constant. ``Categorical()`` learns it from the
data (the distinct values seen with positive weight; adding statistics merges the
union), ``Categorical(categories=...)`` fixes it: then the statistics of any weighted
subset (a mixture component, a naive Bayes class) count over the SAME categories,
with zero counts for the ones the subset does not see, and a value outside the set
breaks the family's domain. ``resolve(stats)`` fixes the categories a learning family
saw; ``align(stats)`` re-expresses statistics over a family's category set.

The probability helpers at the end (:func:`probability_mode`,
:func:`probability_information`, :func:`probability_covariance`) serve every
probability vector of the package: a categorical column, and the multinomial family.
"""

from __future__ import annotations

import numpy as np
from scipy import special
from scipy import stats as sps

from .._engine.blocks import map_reduce
from .._engine.rules import DomainError, check_rule
from ._category_stats import (
    CategoryStats,
    category_array,
    category_index,
    is_number,  # noqa: F401  (re-exported: distributions._categorical imports it here)
    stats_fields,
)
from ._count_sums import int_histograms
from ._probabilities import (
    probability_covariance,
    probability_information,
    probability_mode,
)
from ._protocol import Family, ModeResult
from ._stats import total_weight, unit_weights

__all__ = [
    "Categorical",
    "CategoryStats",
    "probability_covariance",
    "probability_information",
    "probability_mode",
]

FINITE_RULE = "categories must be finite (no NaN or inf)"
MEMBER_RULE = "not one of the column's categories (the family's fixed category set)"


class Categorical(Family):
    """Categorical columns: ``P(x_j = c) = p_j[c]`` over each column's categories.

    Statistics: :class:`CategoryStats` (weighted counts per category). The mode of
    column ``j`` is its counts over their total; ``Dirichlet(alpha)`` adds
    ``alpha - 1`` pseudo-counts to every category (:meth:`category_stats`).
    Parameters: ``probabilities``, a list with one array per column (aligned with
    the sorted categories; the columns may have different numbers of categories).

    Parameters
    ----------
    categories : None or sequence of sequences, default=None
        None: learn the categories from the data (the values seen with positive
        weight). Otherwise one sequence of category values per column (numbers or
        strings; stored sorted and distinct): part of the family's constants, so
        statistics count over exactly these categories (zero counts included) and a
        value outside them is a :class:`DomainError`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.families.categorical import Categorical
    >>> X = np.array([[0.0], [2.0], [2.0], [0.0]])
    >>> learner = Categorical()
    >>> fam = learner.resolve(learner.stats(X))          # categories {0, 2}
    >>> fam.mode(fam.stats(X))["probabilities"][0].tolist()
    [0.5, 0.5]
    >>> fixed = Categorical(categories=[[0, 1, 2]])      # category 1 has count 0
    >>> s = fixed.stats(X, np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]]))
    >>> [fixed.mode(sk)["probabilities"][0].tolist() for sk in s]
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """

    name = "categorical"
    param_names = ("probabilities",)
    bounds = {"probabilities": (0.0, 1.0)}
    prior_param = "probabilities"
    supported_priors = ("Dirichlet",)
    rules = ((FINITE_RULE, lambda X: ~np.isfinite(X)),)

    def __init__(self, categories=None):
        if categories is None:
            self.categories = None
            self._arrays = None
        else:
            arrays = [category_array(c, j) for j, c in enumerate(categories)]
            self._arrays = arrays
            self.categories = tuple(tuple(a.tolist()) for a in arrays)

    @property
    def constants(self):
        return (self.categories,)

    def __repr__(self):
        if self.categories is None:
            return "Categorical()"
        return f"Categorical(categories={[list(c) for c in self.categories]!r})"

    def category_arrays(self):
        """The categories of each column (copies): float64 or object (text) arrays."""
        self._need_categories("category_arrays")
        return [a.copy() for a in self._arrays]

    def _need_categories(self, what):
        if self._arrays is None:
            raise ValueError(
                f"Categorical().{what} needs the category set: use "
                "Categorical(categories=...) or family.resolve(stats) first"
            )

    # ------------------------------------------------------------ domain
    def check(self, X):
        """:class:`DomainError` at the first non-finite number, or (fixed category set)
        at the first value that is not a category of its column."""
        X = np.asarray(X)
        if X.dtype.kind == "f":
            check_rule(X, self.rules[0][1], FINITE_RULE)
        if self._arrays is not None:
            for j, cats in enumerate(self._arrays):
                bad = category_index(cats, X[:, j]) < 0
                if bad.any():
                    i = int(np.flatnonzero(bad)[0])
                    raise DomainError(MEMBER_RULE, column=j, row=i, value=X[i, j])

    # ------------------------------------------------------------ statistics
    def stats(self, X, weights=None, *, checked=False):
        """Counts per category; weights (n, k) give the k components' counts over the
        same categories in one pass (a sparse one-hot matrix product per row block)."""
        if weights is None or np.ndim(weights) == 1:
            return self._stats(X, weights, checked)
        W = np.asarray(weights, dtype=np.float64)
        if self._arrays is not None:
            return self._fixed_stats(X, W)
        # learning family: the categories every component counts over are those seen
        # with positive weight by any of them (zero counts where one does not see them)
        fam = self.resolve(self._stats(X, W.sum(axis=1), checked))
        return tuple(self.align(s) for s in fam.stats(X, W, checked=True))

    def _stats(self, X, w, checked):
        if self._arrays is not None:
            n = X.shape[0]
            W = np.broadcast_to(1.0, (n, 1)) if w is None else np.asarray(w, float)[:, None]
            return self._fixed_stats(X, W)[0]
        return self._learn_stats(X, w)

    def _layout(self):
        """The categories of each column, their counts, their offsets in one code space,
        and whether every column's categories are 0..K-1 (a value is then its code)."""
        cats = self._arrays
        sizes = np.array([c.size for c in cats], dtype=np.intp)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        direct = all(c.dtype != object and np.array_equal(c, np.arange(c.size))
                     for c in cats)
        return sizes, offsets, direct

    def codes(self, X):
        """Each value's code: its column's offset plus its category's position in the
        column (categories of all columns numbered one after another), shape (n, d),
        and a boolean mask of the values that are not a category of their column
        (their code is 0 there)."""
        self._need_categories("codes")
        return self._codes(np.asarray(X), self._layout())

    def _codes(self, xb, layout):
        sizes, offsets, direct = layout
        if direct and xb.dtype.kind == "f":
            # integer categories 0..K-1 (the usual encoding): the value is its position
            with np.errstate(invalid="ignore"):
                bad = ~((xb >= 0) & (xb < sizes) & (xb == np.floor(xb)))
            idx = np.where(bad, 0.0, xb).astype(np.intp)
        else:
            idx = np.empty(xb.shape, dtype=np.intp)
            for j, c in enumerate(self._arrays):
                idx[:, j] = category_index(c, xb[:, j])
            bad = idx < 0
            idx[bad] = 0
        idx += offsets
        return idx, bad

    def _fixed_stats(self, X, W):
        """k components' counts over the category set by ``bincount`` of the codes: one
        ``bincount`` of (component, code) when every row has a single component (class
        labels), else one per component."""
        sizes, offsets, _ = layout = self._layout()
        total, d, k = int(sizes.sum()), sizes.size, W.shape[1]

        def block(xb, wb, rows):
            idx, bad = self._codes(xb, layout)
            if bad.any():
                # rows of weight 0 count nothing (their values need not be categories:
                # a learnt set lists the values seen with positive weight)
                bad &= np.any(wb != 0, axis=1)[:, None]
            if bad.any():  # always checked: a value outside the set would miscount
                j = int(np.flatnonzero(bad.any(axis=0))[0])
                i = int(np.flatnonzero(bad[:, j])[0])
                if xb.dtype.kind == "f" and not np.isfinite(xb[i, j]):
                    raise DomainError(FINITE_RULE, column=j, row=int(rows[i]), value=xb[i, j])
                raise DomainError(MEMBER_RULE, column=j, row=int(rows[i]), value=xb[i, j])
            flat = idx.ravel()
            if k == 1:
                w0 = wb[:, 0]
                unit = w0.strides[0] == 0 and w0.size and w0[0] == 1.0
                counts = np.bincount(flat, weights=None if unit else np.repeat(w0, d),
                                     minlength=total)[:, None]
            elif np.all(np.count_nonzero(wb, axis=1) <= 1):  # one component per row
                comp = np.argmax(wb != 0, axis=1)
                w = wb[np.arange(wb.shape[0]), comp]
                idx += (comp * total)[:, None]
                counts = np.bincount(flat, weights=np.repeat(w, d),
                                     minlength=k * total).reshape(k, total).T
            else:
                counts = np.stack([np.bincount(flat, weights=np.repeat(wb[:, j], d),
                                               minlength=total) for j in range(k)], axis=1)
            return wb.sum(axis=0), counts.astype(np.float64)

        n_k, counts = map_reduce(block, X, W, np.arange(X.shape[0]))
        return tuple(
            self._set_stats([counts[o:o + s, j] for o, s in zip(offsets, sizes)],
                            np.full(d, float(n_k[j])))
            for j in range(k)
        )

    def _learn_stats(self, X, w):
        n, d = X.shape
        ones = w is None or unit_weights(w)
        n_w = float(n) if w is None else total_weight(w)
        if X.dtype in (np.float64, np.int64):
            # small non-negative integer labels: one blocked histogram pass, no sort
            hist = int_histograms(X, None if ones else w, limit=(1 << 16) - 1)
            if hist is not None:
                nz = [np.flatnonzero(h) for h in hist]
                return self.make_stats(CategoryStats, **stats_fields(
                    [np.full(v.size, j) for j, v in enumerate(nz)],
                    [v.astype(np.float64) for v in nz],
                    [h[v] for h, v in zip(hist, nz)], np.full(d, n_w)))
            if X.dtype == np.float64:
                check_rule(X, self.rules[0][1], FINITE_RULE)
            X = X.astype(np.float64)
        elif X.dtype.kind == "f":
            check_rule(X, self.rules[0][1], FINITE_RULE)
        if w is None:
            w = np.broadcast_to(1.0, (n,))
        keep = w > 0
        Xk, wk = (X, w) if keep.all() else (X[keep], w[keep])
        cols, values, counts = [], [], []
        for j in range(d):
            col = Xk[:, j]
            if col.dtype != object or (col.size and not isinstance(col[0], str)):
                col = col.astype(np.float64)
            vals, inv = np.unique(col, return_inverse=True)
            cols.append(np.full(vals.size, j))
            values.append(vals)
            counts.append(np.bincount(inv.ravel(), weights=wk, minlength=vals.size))
        return self.make_stats(CategoryStats, **stats_fields(cols, values, counts, np.full(d, n_w)))

    # ------------------------------------------------------- category sets
    def resolve(self, stats):
        """The family whose fixed category set is the categories in ``stats``."""
        d = self.n_features(stats)
        return Categorical(categories=[stats.column(j)[0] for j in range(d)])

    def align(self, stats):
        """``stats`` as statistics of this family: re-tagged (a learning family keeps
        the categories they list), or counted over this family's category set (zero
        counts for the categories ``stats`` lack; a category outside the set is a
        :class:`DomainError`)."""
        if self._arrays is None or stats.constants == self.constants:
            return self.make_stats(CategoryStats, **stats.fields())
        d = len(self._arrays)
        if self.n_features(stats) != d:
            raise ValueError(f"Categorical: statistics of {self.n_features(stats)} columns "
                             f"do not fit a family of {d} columns")
        counts = []
        for j, cats in enumerate(self._arrays):
            vals, cnt = stats.column(j)
            idx = category_index(cats, vals)
            bad = (idx < 0) & (cnt != 0)
            if bad.any():
                raise DomainError(MEMBER_RULE, column=j, value=vals[np.flatnonzero(bad)[0]],
                                  row=None)
            counts.append(np.bincount(idx[idx >= 0], weights=cnt[idx >= 0],
                                      minlength=cats.size))
        return self._set_stats(counts, stats.weight)

    def _set_stats(self, counts, weight):
        """Statistics of ``counts`` (one array per column) over the fixed category set."""
        text = any(a.dtype == object for a in self._arrays)
        return self.make_stats(CategoryStats, **stats_fields(
            [np.full(a.size, j) for j, a in enumerate(self._arrays)],
            [a.astype(object) if text else a for a in self._arrays], counts, weight))

    def counts(self, stats):
        """The (weighted) counts of each column, aligned with its categories."""
        return [stats.column(j)[1] for j in range(self.n_features(stats))]

    def category_stats(self, pseudo_counts, n_features):
        """Pseudo-statistics of ``pseudo_counts`` per category (a Dirichlet prior: its
        ``alpha - 1``): a scalar, or one value per category of every column."""
        self._need_categories("category_stats")
        pc = np.asarray(pseudo_counts, dtype=float)
        if pc.ndim > 1:
            raise DomainError(f"a Dirichlet prior needs a scalar or 1-D alpha, got shape "
                              f"{pc.shape}")
        counts = []
        for j, cats in enumerate(self._arrays):
            if pc.ndim and pc.size != cats.size:
                raise DomainError(
                    f"a Dirichlet prior with {pc.size} concentrations does not fit column "
                    f"{j}, which has {cats.size} categories: use a scalar alpha, or one "
                    "value per category"
                )
            counts.append(np.broadcast_to(pc, (cats.size,)).astype(float))
        return self._set_stats(counts, np.array([c.sum() for c in counts]))

    # ------------------------------------------------------------ protocol
    def mode(self, stats, fixed=None):
        """Per column: counts over their total (free categories share the mass the
        ``fixed`` ones leave, in proportion to their counts). ``fixed``:
        ``{"probabilities": [array or None per column]}``, NaN where free."""
        given = (fixed or {}).get("probabilities")
        probs = [probability_mode(c, None if given is None else given[j], f"column {j}")
                 for j, c in enumerate(self.counts(stats))]
        return ModeResult({"probabilities": probs})

    def loglik(self, stats, params):
        return np.array([float(np.sum(special.xlogy(c, p)))
                         for c, p in zip(self.counts(stats), params["probabilities"])])

    def information(self, stats, params, fixed=None):
        """Per column, the observed information of its free probabilities (every free
        category but the last free one; the last is the rest): a list of (m_j, m_j)."""
        given = (fixed or {}).get("probabilities")
        return [probability_information(c, p, None if given is None else given[j])
                for j, (c, p) in enumerate(zip(self.counts(stats), params["probabilities"]))]

    def covariance(self, stats, params, fixed=None):
        """Per column, the inverse of :meth:`information` in closed form (None where a
        zero count makes it singular)."""
        given = (fixed or {}).get("probabilities")
        return [probability_covariance(c, p, None if given is None else given[j])
                for j, (c, p) in enumerate(zip(self.counts(stats), params["probabilities"]))]

    def logpdf(self, X, params):
        self._need_categories("logpdf")
        X = np.asarray(X)
        out = np.empty(X.shape, dtype=np.float64)
        for j, (cats, p) in enumerate(zip(self._arrays, params["probabilities"])):
            with np.errstate(divide="ignore"):
                logp = np.append(np.log(p), -np.inf)  # index -1: not a category
            out[:, j] = logp[category_index(cats, X[:, j])]
        return out

    def logpdf_rows(self, X, params_list, unseen=None):
        """Each row's log-probability under k parameter sets, shape (n, k), by table
        indexing: the k components' log-probabilities of every category in one
        (categories, k) table, gathered at each value's code and summed over columns.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        params_list : list of k parameter dicts
        unseen : None or ndarray of shape (k, n_features), default=None
            The log-probability each component gives a value that is not a category
            of its column (None: ``-inf``, probability 0). A consumer with a
            Dirichlet prior gives the prior's share there (see naive Bayes)."""
        self._need_categories("logpdf_rows")
        X = np.asarray(X)
        k = len(params_list)
        sizes, offsets, _ = layout = self._layout()
        total = int(sizes.sum())
        with np.errstate(divide="ignore"):
            table = np.empty((total + 1, k))  # the last row: a value outside the set
            for j, params in enumerate(params_list):
                table[:total, j] = np.log(np.concatenate(
                    [np.asarray(p, dtype=float) for p in params["probabilities"]]))
        table[total] = -np.inf
        idx, bad = self._codes(X, layout)
        out = np.zeros((X.shape[0], k))
        for j in range(idx.shape[1]):
            b = bad[:, j]
            if not b.any():
                out += table[idx[:, j]]
                continue
            vals = table[np.where(b, total, idx[:, j])]
            if unseen is not None:
                vals[b] = np.asarray(unseen, dtype=float)[:, j]
            out += vals
        return out

    def sample(self, params, n, rng):
        self._need_categories("sample")
        text = any(c.dtype == object for c in self._arrays)
        out = np.empty((n, len(self._arrays)), dtype=object if text else np.float64)
        for j, (cats, p) in enumerate(zip(self._arrays, params["probabilities"])):
            out[:, j] = cats[rng.choice(cats.size, size=n, p=p / p.sum())]
        return out

    def to_scipy(self, params):
        """``rv_discrete`` per column: on the category values when they are integers,
        else on the category positions ``0 .. K-1`` (scipy needs integer support)."""
        self._need_categories("to_scipy")
        out = []
        for cats, p in zip(self._arrays, params["probabilities"]):
            integral = cats.dtype != object and np.array_equal(cats, np.round(cats))
            xk = cats.astype(np.int64) if integral else np.arange(cats.size)
            out.append(sps.rv_discrete(values=(xk, np.asarray(p, dtype=float))))
        return out

    def log_prior(self, prior, params):
        return float(sum(prior.logpdf(p) for p in params["probabilities"]))

    def n_features(self, stats):
        return int(np.size(stats.weight))


# ------------------------------------------------- probability vectors
