"""Categorical: closed-form MLE (weighted frequencies) over each column's observed values.

The computations live in the family (:mod:`sklearn_mle.families.categorical`); this
module is the estimator: input validation (numbers or text per column), the category
set learnt from the data, ``fixed_params`` by position or label, and the names of the
free probabilities.
"""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._engine.rules import check_rule
from ..families._probabilities import free_categories
from ..families.categorical import (
    FINITE_RULE,
    Categorical,
    CategoryStats,
    is_number,
)
from ..priors import Dirichlet, Prior
from ._base import DistributionMLE, PartialFitMixin

__all__ = ["CategoricalMLE", "CategoryStats"]

_MAX_FREE_PARAMS = 20_000  # dense covariance of the free probabilities: 3.2 GB at the limit


def _fmt_category(v):
    if isinstance(v, str):
        return v
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


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
    categories : "auto" or list of array-like, default="auto"
        "auto": the categories of each column are the values seen in the data (with
        positive weight). Otherwise one sequence of category values per column
        (numbers or strings), as scikit-learn's ``OneHotEncoder(categories=...)``: the
        statistics count over exactly these categories, so a declared category the
        data never show gets probability 0 (MLE) or its share of the prior (MAP:
        ``alpha - 1`` pseudo-counts, as ``CategoricalNB(alpha, min_categories=...)``),
        and a value outside them is an error.
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
    cov_type : {'nonrobust', 'HC0', 'HC1'}, default='nonrobust'
        Covariance of the estimates: the inverse observed information, or the
        sandwich (HC0; HC1 times ``n / (n - k)``) robust to a misspecified family.

    Attributes
    ----------
    categories_ : list of ndarray
        Sorted distinct values of each column (with positive sample weight).
    probabilities_ : list of ndarray
        Probability of each category, aligned with ``categories_``.
    family_ : Categorical
        The family with its category set fixed to ``categories_``
        (:class:`~sklearn_mle.families.categorical.Categorical`): statistics of any
        weighted subset of rows (``family_.stats(X, weights)``) count over these
        categories, zero counts included.
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
    _parameter_constraints: dict = {
        "categories": [StrOptions({"auto"}), list, tuple],
        "prior": [None, Prior],
        "fixed_params": [None, dict],
        "contamination": [Interval(Real, 0.0, 0.5, closed="both")],
        "cov_type": [StrOptions({"nonrobust", "HC0", "HC1"})],
    }

    def __init__(self, *, categories="auto", prior=None, fixed_params=None,
                 contamination=0.1, cov_type="nonrobust"):
        self.categories = categories
        super().__init__(prior=prior, fixed_params=fixed_params, contamination=contamination,
                         cov_type=cov_type)

    # ------------------------------------------------------------------ family
    def _declared(self):
        return not (isinstance(self.categories, str) and self.categories == "auto")

    def _make_family(self, X=None, sample_weight=None):
        if not self._declared():
            # a learning family: the categories come from the data, and _fit_from_stats
            # fixes family_ to them (the family's constant) once the statistics are in
            return Categorical()
        cats = list(self.categories)
        d = getattr(self, "n_features_in_", None)
        if d is not None and len(cats) != d:
            raise ValueError(
                f"CategoricalMLE: categories has {len(cats)} entries for {d} columns; give "
                "one sequence of category values per column"
            )
        return Categorical(categories=cats)

    def unseen_log_proba(self):
        """The log-probability of a value never seen in training, per column, shape
        (n_features,): its share of the prior, as if the category had been declared
        (an extra category with count 0 and ``alpha - 1`` pseudo-counts, the MAP
        ``(alpha - 1) / (n + (K_j + 1) (alpha - 1))`` for a column of K_j categories:
        ``CategoricalNB(alpha - 1, min_categories=K_j + 1)``'s value); ``-inf`` (no
        probability) without a prior, under ``Dirichlet(1)`` (no pseudo-counts), or
        a Dirichlet with one concentration per category (none for a new one).

        ``score_samples`` keeps ``-inf`` for such a value (a density has no mass
        outside its categories); naive Bayes uses this to classify rows that hold a
        category no training row of the class, or of any class, showed.

        Returns
        -------
        ndarray of shape (n_features,)

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle import CategoricalMLE
        >>> from sklearn_mle.priors import Dirichlet
        >>> est = CategoricalMLE(prior=Dirichlet(2.0)).fit(np.array([[0], [1], [1]]))
        >>> round(float(np.exp(est.unseen_log_proba()[0])), 12)   # 1 / (3 + 3 * 1)
        0.166666666667
        """
        check_is_fitted(self)
        d = len(self.categories_)
        prior = getattr(self, "prior_", None)
        if prior is None or np.ndim(prior.alpha) or float(prior.alpha) <= 1.0:
            return np.full(d, -np.inf)
        extra = float(prior.alpha) - 1.0
        sizes = np.array([c.size for c in self.categories_], dtype=float)
        return np.log(extra / (self.nobs_ + (sizes + 1.0) * extra))

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the fit with a batch: ``stats_ = stats_ + stats(batch)``.

        A value first seen in this batch becomes a new category (the categories stay
        sorted); partial fits over batches give exactly the fit on their
        concatenation. ``offset_`` (novelty threshold) is recomputed from the latest
        batch.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        if not hasattr(self, "stats_") or self._declared():
            return self._partial_fit(X, y, sample_weight)
        # back to the learning family, so the batch's new categories merge in (the
        # union); a refused batch leaves the fit as it was
        kept = self.family_, self.stats_
        learner = Categorical()
        self.family_, self.stats_ = learner, learner.align(self.stats_)
        try:
            return self._partial_fit(X, y, sample_weight)
        except BaseException:
            self.family_, self.stats_ = kept
            raise

    # ------------------------------------------------------------ validation
    def _validate_X(self, X, reset, fitting=False):
        """Numbers (as float) or text: each column all numbers or all strings."""
        X = validate_data(
            self, X, reset=reset, dtype=None, ensure_min_samples=1, ensure_all_finite=False
        )
        if fitting and X.dtype in (np.float64, np.int64):
            return X  # the family's statistics read these directly (and check finiteness)
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
            is_num = np.fromiter((is_number(v) for v in col), bool, col.size)
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
        with self._named_errors(X):
            check_rule(X, lambda a: ~np.isfinite(a), FINITE_RULE)

    # ------------------------------------------------------------------ fit
    def _fit_from_stats(self, stats):
        if float(np.sum(stats.weight)) <= 0:
            raise ValueError(f"{type(self).__name__}: the sample weights sum to zero")
        fam = self.family_
        if fam.categories is None or stats.constants != fam.constants:
            # fix the categories these statistics count over (the learnt ones, or the
            # category set of another family's statistics)
            cats = stats.constants[0] if stats.constants else None
            fam = fam.resolve(stats) if cats is None else Categorical(categories=cats)
            stats = fam.align(stats)
            self.family_, self.stats_ = fam, stats
        cats = fam.category_arrays()
        fixed = self._categorical_fixed(cats)
        self._fixed = fixed
        given = "probabilities" in (self.fixed_params or {})
        self.fixed_params_ = {"probabilities": [f.copy() for f in fixed]} if given else {}
        # a copy made by from_stats keeps the prior it was fitted with
        if not self.__dict__.pop("_keep_prior", False):
            self._resolve_prior(stats)
        params = self._solve(stats, {"probabilities": fixed})
        self._params = params
        self.categories_ = cats
        self.probabilities_ = [p.copy() for p in params["probabilities"]]
        self.params_ = {"probabilities": [p.copy() for p in params["probabilities"]]}
        self.nobs_ = float(np.max(stats.weight))
        self.loglik_ = float(self._objective(stats, params))
        names, est, mat, is_cov = self._categorical_inference(stats, params, fixed)
        self.n_params_ = len(names)
        if is_cov:
            self._set_inference(names, est, cov=mat)
        else:
            self._set_inference(names, est, information=mat)

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
        if isinstance(value, (str, Real)) or not hasattr(value, "__len__"):
            raise ValueError(
                "fixed_params: probabilities needs, per column, an array with one "
                "probability per category (NaN for a free one) or a dict {category: "
                f"probability}}; a list of those for several columns. Got {value!r}"
            )
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
            try:
                arr = np.asarray(v, dtype=float).ravel()
            except (TypeError, ValueError):
                raise ValueError(
                    f"fixed_params: probabilities for {self._column_name(j)} must be "
                    f"numbers (NaN for a free category), got {v!r}"
                ) from None
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

    # ------------------------------------------------------------ inference
    def _categorical_inference(self, stats, params, fixed):
        """Free probabilities: every free category but the last free one, per column.

        Returns names, estimates, the matrix and whether it is the covariance: the
        family's closed-form inverse of the log-posterior's information (block
        diagonal: columns are independent), or, where a zero count makes a block
        singular, the information itself (inverted upstream, infinite SEs there).
        """
        names, est, index = [], [], []
        for j, (p, f) in enumerate(zip(params["probabilities"], fixed)):
            for k in free_categories(p.size, f):
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
        post = self._posterior(stats)
        blocks = self.family_.covariance(post, params, {"probabilities": fixed})
        is_cov = all(b is not None for b in blocks)
        if not is_cov:
            blocks = [np.where(np.isfinite(b), b, 0.0) for b in
                      self.family_.information(post, params, {"probabilities": fixed})]
        out = np.zeros((m, m))
        start = 0
        for b in blocks:
            s = b.shape[0]
            out[start:start + s, start:start + s] = b
            start += s
        return names, np.asarray(est, dtype=float), out, is_cov

    def _flat_inference(self, stats, params, fixed):
        names, est, mat, _ = self._categorical_inference(stats, params, fixed)
        return names, est, mat

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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            params = self._solve(self.stats_, {"probabilities": fixed})
        return self._objective(self.stats_, params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        return tags


def _is_nested(value):
    return len(value) > 0 and all(
        v is None or isinstance(v, dict) or np.ndim(v) == 1 for v in value
    )
