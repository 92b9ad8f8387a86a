"""Categorical: closed-form MLE (weighted frequencies) over each column's observed values."""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np
from scipy import special
from sklearn.utils.validation import validate_data

from .. import _native as native
from ..exceptions import BoundaryWarning
from ..families._stats import Stats, total_weight, unit_weights
from ..priors import Dirichlet
from ._base import DistributionMLE, PartialFitMixin

_MAX_FREE_PARAMS = 20_000  # dense covariance of the free probabilities: 3.2 GB at the limit


class CategoryStats(Stats):
    """Weighted counts of the distinct values of each column.

    Fields: ``weight`` (d,), and one row per (column, value) pair seen with positive
    weight: ``col`` (m,), ``value`` (m,), ``count`` (m,), sorted by column then value.
    ``value`` is float64, or an object array when some column holds text.
    Adding two batches merges their categories (the union) and sums the counts.
    """

    __slots__ = ()

    def _combine(self, other):
        return _aggregate(
            np.concatenate([self.col, other.col]),
            np.concatenate([self.value, other.value]),
            np.concatenate([self.count, other.count]),
            self.weight + other.weight,
        )

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
    text = any(v.dtype == object for v in vals)
    return {
        "weight": np.asarray(weight, dtype=np.float64),
        "col": np.concatenate(cols) if cols else np.zeros(0, dtype=np.intp),
        "value": (
            np.concatenate([v.astype(object) if text else v for v in vals])
            if vals
            else np.zeros(0)
        ),
        "count": np.concatenate(cnts) if cnts else np.zeros(0),
    }


def _fmt_category(v):
    if isinstance(v, str):
        return v
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def _is_number(v):
    return isinstance(v, (Real, np.number)) and not isinstance(v, np.complexfloating)


class CategoricalMLE(PartialFitMixin, DistributionMLE):
    """Categorical distribution over each column's observed values, by maximum likelihood.

    Every distinct value of a column is a category; the MLE of its probability is
    its (weighted) frequency. With ``prior=Dirichlet(alpha)`` the MAP estimate adds
    ``alpha - 1`` pseudo-counts to each category seen in the data.

    The free parameters of a column with K categories are the first K - 1
    probabilities (in sorted category order); the last is one minus their sum.
    Their covariance, from the observed information, is the multinomial
    ``(diag(p) - p p^T) / n``.

    Parameters
    ----------
    prior : Dirichlet or None, default=None
        Conjugate prior on each column's probabilities (a scalar ``alpha``, or one
        value per category when every column has that many categories); None for
        the MLE. It applies to the categories present in the data.
    fixed_params : dict or None, default=None
        ``{"probabilities": p}`` holds probabilities fixed: ``p`` is an array with
        one entry per category of the column (in the order of ``categories_``), NaN
        for the ones left free, or a dict ``{category: probability}``; for several
        columns, a list of those (None for a free column). Free probabilities share
        the remaining mass in proportion to their counts (the constrained MLE).
    contamination : float, default=0.1
        Fraction of training samples below the novelty threshold ``offset_``.

    Attributes
    ----------
    categories_ : list of ndarray
        Sorted distinct values of each column (with positive sample weight).
    probabilities_ : list of ndarray
        Probability of each category, aligned with ``categories_``.
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide: likelihood, inference and novelty detection.

    Notes
    -----
    The values of a column are numbers or strings (all of one kind): text labels
    need no encoding, and ``categories_`` then holds them as an object array.
    ``score_samples`` gives ``-inf`` to a value that is not a category of its column.
    ``partial_fit`` adds the categories of each new batch: a value first seen in a
    later batch becomes a new category (and the categories stay sorted).

    Examples
    --------
    Four sixes in twelve rolls of a die:

    >>> import numpy as np
    >>> from sklearn_mle import CategoricalMLE
    >>> rolls = np.array([[6], [2], [6], [1], [3], [6], [5], [4], [6], [2], [1], [3]])
    >>> est = CategoricalMLE().fit(rolls)
    >>> est.categories_[0].tolist()
    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    >>> float(est.probabilities_[0][-1])   # P(six)
    0.3333333333333333
    >>> est.n_params_
    5
    """

    _param_names = ("probabilities",)
    _supported_priors = (Dirichlet,)

    # ------------------------------------------------------------------ hooks
    def _validate_X(self, X, reset, fitting=False):
        """Numbers (as float) or text: each column all numbers or all strings."""
        X = validate_data(
            self, X, reset=reset, dtype=None, ensure_min_samples=1, ensure_all_finite=False
        )
        if fitting and X.dtype in (np.float64, np.int64):
            return X  # _suff_stats reads these directly (and checks finiteness)
        if X.dtype.kind in "biu":
            return X.astype(np.float64)
        if X.dtype.kind == "f":
            self._check_finite_categories(X)
            return X
        if X.dtype.kind not in "OUS":
            raise ValueError(f"CategoricalMLE: unsupported data type {X.dtype}")
        X = X.astype(object)
        numeric = []
        for j in range(X.shape[1]):
            col = X[:, j]
            is_num = np.fromiter((_is_number(v) for v in col), bool, col.size)
            is_str = np.fromiter((isinstance(v, str) for v in col), bool, col.size)
            missing = np.fromiter((v is None for v in col), bool, col.size)
            missing[is_num] = ~np.isfinite(col[is_num].astype(np.float64))
            bad = np.flatnonzero(~(is_num | is_str) | missing)
            if bad.size:
                i = bad[0]
                if missing[i]:
                    raise ValueError(
                        f"CategoricalMLE: {self._column_name(j)} has a missing or infinite value "
                        f"({col[i]!r}, NaN/None/inf) at row {i}; categories must be finite "
                        "numbers or strings"
                    )
                raise TypeError(
                    f"CategoricalMLE: {self._column_name(j)} has a {type(col[i]).__name__} at "
                    f"row {i}; argument must be a string or a real number"
                )
            if is_num.all():
                numeric.append(j)
            elif is_str.any() and is_num.any():
                i = np.flatnonzero(is_num)[0]
                raise ValueError(
                    f"CategoricalMLE: {self._column_name(j)} mixes numbers and text (a number "
                    f"at row {i}); the values of one column must be all numbers or all strings"
                )
        if len(numeric) == X.shape[1]:
            return X.astype(np.float64)
        for j in numeric:
            X[:, j] = X[:, j].astype(np.float64)
        return X

    def _check_finite_categories(self, X):
        self._domain_error(X, ~np.isfinite(X), "categories must be finite (no NaN or inf)")

    def _check_domain(self, X):
        pass  # any number or string is a category; _validate_X rejects NaN, inf and None

    def _suff_stats(self, X, w):
        d = X.shape[1]
        if X.dtype in (np.float64, np.int64):
            # small non-negative integer labels: one histogram pass in C, no sort
            hist = native.small_int_histogram(X, None if unit_weights(w) else w)
            if hist is not None:
                nz = [np.flatnonzero(h) for h in hist]
                return CategoryStats(
                    weight=np.full(d, total_weight(w)),
                    col=np.concatenate([np.full(v.size, j) for j, v in enumerate(nz)]).astype(
                        np.intp),
                    value=np.concatenate(nz).astype(np.float64),
                    count=np.concatenate([h[v] for h, v in zip(hist, nz)]),
                )
            if X.dtype == np.float64:
                self._check_finite_categories(X)  # skipped by _validate_X in fit
            X = X.astype(np.float64)
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
        text = any(v.dtype == object for v in values)
        if text:
            values = [v.astype(object) for v in values]
        cat = np.concatenate if d else (lambda a: np.zeros(0))
        return CategoryStats(
            weight=np.full(d, w.sum()),
            col=cat(cols).astype(np.intp),
            value=cat(values),
            count=cat(counts).astype(np.float64),
        )

    def _fit_from_stats(self, stats):
        d = self.n_features_in_
        if float(np.sum(stats.weight)) <= 0:
            raise ValueError(f"{type(self).__name__}: the sample weights sum to zero")
        cats = [stats.column(j)[0].copy() for j in range(d)]
        fixed = self._categorical_fixed(cats)
        self._fixed = fixed
        params = self._solve(stats, fixed)
        self._params = params
        self.categories_ = cats
        self.probabilities_ = [p.copy() for p in params["probabilities"]]
        self.params_ = {"probabilities": [p.copy() for p in params["probabilities"]]}
        self.nobs_ = float(np.max(stats.weight))
        self.loglik_ = float(self._objective(stats, params))
        names, est, mat = self._flat_inference(stats, params, fixed)
        self.n_params_ = len(names)
        if self._cov_is_information:
            self._set_inference(names, est, information=mat)
        else:
            self._set_inference(names, est, cov=mat)

    def _categorical_fixed(self, cats):
        """``fixed_params`` as a list of (K_j,) arrays, NaN = free."""
        d = len(cats)
        out = [np.full(c.size, np.nan) for c in cats]
        fp = dict(self.fixed_params or {})
        unknown = set(fp) - {"probabilities"}
        if unknown:
            raise ValueError(
                f"fixed_params: unknown parameter {sorted(unknown)[0]!r} for CategoricalMLE; "
                "its parameter is 'probabilities'"
            )
        if "probabilities" not in fp:
            return out
        value = fp["probabilities"]
        if isinstance(value, dict):
            value = [value]
        per_col = list(value) if d > 1 or _is_nested(value) else [value]
        if len(per_col) != d:
            raise ValueError(
                f"fixed_params: probabilities needs one array per column ({d}), "
                f"got {len(per_col)}"
            )
        for j, v in enumerate(per_col):
            if v is None:
                continue
            if isinstance(v, dict):
                v = self._probabilities_by_label(j, cats[j], v)
            arr = np.asarray(v, dtype=float).ravel()
            if arr.size != cats[j].size:
                raise ValueError(
                    f"fixed_params: probabilities for {self._column_name(j)} needs "
                    f"{cats[j].size} values, one per category (categories_ "
                    f"{cats[j].tolist()}), got {arr.size}"
                )
            given = arr[~np.isnan(arr)]
            if np.any(given <= 0) or (np.any(given >= 1) and cats[j].size > 1):
                raise ValueError(
                    f"fixed_params: probabilities for {self._column_name(j)} must lie in "
                    f"(0, 1), got {arr.tolist()}"
                )
            total = float(given.sum())
            if given.size == arr.size and abs(total - 1.0) > 1e-9:
                raise ValueError(
                    f"fixed_params: probabilities for {self._column_name(j)} must sum to 1, "
                    f"got {total!r}"
                )
            if given.size < arr.size and total >= 1.0:
                raise ValueError(
                    f"fixed_params: fixed probabilities for {self._column_name(j)} sum to "
                    f"{total!r}, leaving nothing for the free categories"
                )
            out[j] = arr
        return out

    def _probabilities_by_label(self, j, cats, mapping):
        arr = np.full(cats.size, np.nan)
        labels = cats.tolist()
        for label, prob in mapping.items():
            if label not in labels:
                raise ValueError(
                    f"fixed_params: {label!r} is not a category of {self._column_name(j)}; "
                    f"its categories are {labels}"
                )
            arr[labels.index(label)] = prob
        return arr

    def _alpha(self, j, k):
        alpha = np.asarray(self.prior.alpha, dtype=float)
        if alpha.ndim == 0:
            return np.full(k, float(alpha))
        if alpha.shape != (k,):
            raise ValueError(
                f"CategoricalMLE: prior {self.prior!r} has {alpha.size} concentrations but "
                f"{self._column_name(j)} has {k} categories; use a scalar alpha"
            )
        return alpha

    def _pseudo_counts(self, stats, j):
        """Counts of column j plus the prior's ``alpha - 1`` (the posterior-mode counts)."""
        c = stats.column(j)[1]
        if self.prior is None:
            return c
        c = c + self._alpha(j, c.size) - 1.0
        if np.any(c < 0):
            raise ValueError(
                f"{self.prior!r} with alpha < 1 has no posterior mode for "
                f"{self._column_name(j)}; use alpha >= 1"
            )
        return c

    def _solve(self, stats, fixed):
        probs = []
        for j, f in enumerate(fixed):
            c = self._pseudo_counts(stats, j)
            free = np.isnan(f)
            p = f.copy()
            if free.any():
                rem = 1.0 - float(np.sum(f[~free]))
                cf = c[free]
                tot = float(cf.sum())
                p[free] = rem * cf / tot if tot > 0 else rem / cf.size
                if self.prior is not None and np.any(cf == 0):
                    warnings.warn(
                        f"CategoricalMLE: under {self.prior!r} the posterior mode gives "
                        f"probability 0 to a category of {self._column_name(j)} (its count "
                        "plus alpha - 1 is 0), on the boundary: the Laplace standard errors "
                        "are not reliable there. Use alpha >= 1.",
                        BoundaryWarning,
                        stacklevel=4,
                    )
            probs.append(p)
        return {"probabilities": probs}

    def _loglik(self, stats, params):
        return np.array(
            [
                float(np.sum(special.xlogy(stats.column(j)[1], p)))
                for j, p in enumerate(params["probabilities"])
            ]
        )

    def _log_prior(self, params):
        return np.array(
            [
                Dirichlet(self._alpha(j, p.size)).logpdf(p)
                for j, p in enumerate(params["probabilities"])
            ]
        )

    # ------------------------------------------------------------ inference
    def _flat_inference(self, stats, params, fixed):
        """Free probabilities: every free category but the last free one, per column.

        With the last free probability ``p_L = r - sum(free others)``, the negative
        Hessian of ``sum_k c_k log p_k`` is ``D + t 1 1^T`` with ``D = diag(c_i / p_i^2)``
        and ``t = c_L / p_L^2`` (``c`` the posterior-mode counts under a prior). Its
        inverse, by Sherman-Morrison, is ``D^-1 - t u u^T / (1 + t sum(u))`` with
        ``u = diag(D^-1)``: exact, without a factorisation, and at the MLE the
        multinomial ``(diag(p) - p p^T) / n``. Returns the covariance (not the
        information) as the third item; columns are independent (block diagonal).
        """
        names, est, index, blocks = [], [], [], []
        for j, (p, f) in enumerate(zip(params["probabilities"], fixed)):
            free = np.flatnonzero(np.isnan(f))
            if free.size < 2:
                continue
            c = self._pseudo_counts(stats, j)
            head, last = free[:-1], free[-1]
            with np.errstate(divide="ignore", invalid="ignore"):
                d_info = c[head] / p[head] ** 2
                t = c[last] / p[last] ** 2
            blocks.append((d_info, t))
            for k in head:
                names.append(self._category_name(j, self.categories_[j][k]))
                est.append(p[k])
                index.append((j, int(k)))
        self._flat_index = index
        m = len(names)
        if m > _MAX_FREE_PARAMS:
            raise ValueError(
                f"CategoricalMLE: {m} free probabilities, too many for a covariance matrix "
                f"(limit {_MAX_FREE_PARAMS}). Every distinct value is a category: bin "
                "continuous data first (e.g. sklearn.preprocessing.KBinsDiscretizer)."
            )
        regular = all(
            np.all(np.isfinite(di)) and np.all(di > 0) and np.isfinite(t) and t > 0
            for di, t in blocks
        )
        out = np.zeros((m, m))
        start = 0
        for d_info, t in blocks:
            s = d_info.size
            sl = slice(start, start + s)
            if regular:
                u = 1.0 / d_info
                out[sl, sl] = np.diag(u) - np.outer(u, u) * (t / (1.0 + t * u.sum()))
            else:  # a zero count (prior with alpha < 1): information, inverted upstream
                out[sl, sl] = np.diag(np.where(np.isfinite(d_info), d_info, 0.0)) + (
                    t if np.isfinite(t) else 0.0
                )
            start += s
        self._cov_is_information = not regular
        return names, np.asarray(est, dtype=float), out

    def _category_name(self, j, cat):
        feat = getattr(self, "feature_names_in_", None)
        if feat is not None:
            return f"p[{feat[j]}={_fmt_category(cat)}]"
        if self.n_features_in_ == 1:
            return f"p[{_fmt_category(cat)}]"
        return f"p[x{j}={_fmt_category(cat)}]"

    def _param_bounds(self):
        hi = [1.0 - float(np.nansum(self._fixed[j])) for j, _ in self._flat_index]
        return np.zeros(len(hi)), np.asarray(hi, dtype=float)

    def _profile_loglik(self, index, value):
        j, k = self._flat_index[index]
        fixed = [f.copy() for f in self._fixed]
        fixed[j][k] = value
        params = self._solve(self.stats_, fixed)
        return self._objective(self.stats_, params)

    # -------------------------------------------------------------- scoring
    def _logpdf(self, X, params):
        out = np.empty(X.shape, dtype=np.float64)
        for j, (cats, p) in enumerate(zip(self.categories_, params["probabilities"])):
            x = X[:, j]
            with np.errstate(divide="ignore"):
                logp = np.append(np.log(p), -np.inf)  # index -1: not a category
            if cats.dtype == object:  # text categories: exact lookup
                lookup = {c: k for k, c in enumerate(cats)}
                idx = np.fromiter((lookup.get(v, -1) for v in x), np.intp, x.size)
            else:
                if x.dtype == object:  # text in a numeric column: never a category
                    x = np.array([v if isinstance(v, float) else np.nan for v in x], float)
                idx = np.clip(np.searchsorted(cats, x), 0, cats.size - 1)
                idx = np.where(cats[idx] == x, idx, -1)
            out[:, j] = logp[idx]
        return out

    def _sample(self, params, n, rng):
        text = any(c.dtype == object for c in self.categories_)
        out = np.empty((n, len(self.categories_)), dtype=object if text else np.float64)
        for j, (cats, p) in enumerate(zip(self.categories_, params["probabilities"])):
            out[:, j] = cats[rng.choice(cats.size, size=n, p=p / p.sum())]
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        return tags


def _is_nested(value):
    return len(value) > 0 and all(
        v is None or isinstance(v, dict) or np.ndim(v) == 1 for v in value
    )
