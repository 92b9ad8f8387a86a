"""``IndependentMLE``: a density that is a product of densities over column groups."""

from __future__ import annotations

import copy
from numbers import Integral

import numpy as np
from scipy import linalg
from sklearn.base import BaseEstimator, DensityMixin, _fit_context, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._engine.weights import check_sample_weight
from ..base import LikelihoodMixin

__all__ = ["IndependentMLE"]


class IndependentMLE(LikelihoodMixin, DensityMixin, BaseEstimator):
    """Product of density estimators over groups of columns (independent groups).

    ``log p(x) = sum_g log p_g(x[columns_g])``: each estimator is fitted on its own
    columns, and the log-likelihood, the number of parameters and the inference
    (block-diagonal covariance) add up. Columns are selected with scikit-learn's
    ``ColumnTransformer`` conventions. Inside :class:`GenerativeClassifier` it is
    naive Bayes with a different family per column group.

    Parameters
    ----------
    estimators : list of (str, estimator, columns)
        ``name`` (unique, no ``"__"``), a density estimator (``fit``,
        ``score_samples``), and its columns: an int, a str (a DataFrame column name),
        a list of ints or of str, a slice, a boolean mask, or a callable
        ``columns(X)`` returning one of those.
    remainder : "drop" or estimator, default="drop"
        The columns no estimator names: dropped (not modelled), or modelled by a
        clone of this estimator (named ``"remainder"``).

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted parts, in order (the remainder's last).
    named_estimators_ : dict
        ``name -> fitted estimator``.
    columns_ : list of ndarray
        The column indices of each fitted part.
    loglik_, n_params_, nobs_
        Sums over the parts (``nobs_``: the training rows).
    param_names_, estimates_, cov_params_, bse_, pvalues_
        The parts' inference side by side (names ``"<part>: <parameter>"``;
        block-diagonal covariance: the groups are independent).
    n_features_in_, feature_names_in_
        As in scikit-learn.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import GaussianMLE, PoissonMLE
    >>> from sklearn_mle.naive_bayes import IndependentMLE
    >>> X = np.array([[0.5, 1.0], [1.5, 3.0], [1.0, 2.0]])
    >>> est = IndependentMLE([("height", GaussianMLE(covariance_type="diag"), [0]),
    ...                       ("visits", PoissonMLE(), [1])]).fit(X)
    >>> est.n_params_
    3
    >>> float(est.named_estimators_["visits"].rate_[0])
    2.0
    >>> bool(np.isclose(est.loglik_, sum(e.loglik_ for e in est.estimators_)))
    True
    """

    _parameter_constraints: dict = {
        "estimators": [list],
        "remainder": [StrOptions({"drop"}), HasMethods(["fit", "score_samples"])],
    }

    def __init__(self, estimators, *, remainder="drop"):
        self.estimators = estimators
        self.remainder = remainder

    @classmethod
    def _check_instances(cls):
        """Instances for the registry's contract checks (``estimators`` is required)."""
        from ..distributions import GaussianMLE

        return [cls([("gaussian", GaussianMLE(covariance_type="diag"), slice(None))])]

    # sklearn's meta-estimator conventions: get_params(deep) / set_params("name__param")
    def get_params(self, deep=True):
        out = super().get_params(deep=False)
        if not deep:
            return out
        try:
            parts = [(name, est) for name, est, _ in self.estimators]
        except (TypeError, ValueError):  # not (name, estimator, columns) triples: fit says so
            return out
        for name, est in parts:
            out[name] = est
            for key, value in est.get_params(deep=True).items():
                out[f"{name}__{key}"] = value
        return out

    def set_params(self, **params):
        own = {k: v for k, v in params.items() if "__" not in k and k in
               ("estimators", "remainder")}
        super().set_params(**own)
        if len(own) == len(params):
            return self
        names = [n for n, _, _ in self.estimators]
        parts = {}
        for key, value in params.items():
            if key in own:
                continue
            name, _, sub = key.partition("__")
            if name not in names:
                raise ValueError(f"Invalid parameter {name!r} for {type(self).__name__}; "
                                 f"its parts are {names}")
            parts.setdefault(name, {})
            if sub:
                parts[name][sub] = value
            else:
                self.estimators = [(n, value if n == name else e, c)
                                   for n, e, c in self.estimators]
        for name, sub in parts.items():
            if sub:
                dict((n, e) for n, e, _ in self.estimators)[name].set_params(**sub)
        return self

    # ------------------------------------------------------------ columns
    def _resolve(self, X):
        n_cols = X.shape[1]
        names = getattr(self, "feature_names_in_", None)
        seen, cols, parts = set(), [], []
        if not self.estimators and self.remainder == "drop":
            raise ValueError("IndependentMLE needs at least one estimator")
        for item in self.estimators:
            if len(item) != 3:
                raise ValueError("estimators must be (name, estimator, columns) triples, got "
                                 f"{item!r}")
            name, est, spec = item
            if not isinstance(name, str) or "__" in name or name in seen:
                raise ValueError(f"estimator names must be unique strings without '__', got "
                                 f"{name!r}")
            seen.add(name)
            idx = _column_indices(X, spec, n_cols, names, name)
            parts.append((name, est))
            cols.append(idx)
        used = np.concatenate(cols) if cols else np.zeros(0, np.intp)
        if np.unique(used).size != used.size:
            dup = np.unique(used[np.unique(used, return_counts=True)[1][np.searchsorted(
                np.unique(used), used)] > 1])
            raise ValueError(f"IndependentMLE: columns {dup.tolist()} are selected by more than "
                             "one estimator; the product needs each column once")
        rest = np.setdiff1d(np.arange(n_cols), used)
        if self.remainder != "drop" and rest.size:
            parts.append(("remainder", self.remainder))
            cols.append(rest)
        return parts, cols

    def part_data(self, X, i):
        """The columns of fitted part ``i`` in ``X`` (a DataFrame keeps its names)."""
        idx = self.columns_[i]
        if hasattr(X, "iloc"):
            return X.iloc[:, idx]
        return np.asarray(X)[:, idx]

    def _validate(self, X, reset):
        if hasattr(X, "iloc"):
            validate_data(self, X, reset=reset, skip_check_array=True)
            return X
        return validate_data(self, X, reset=reset, dtype=None, ensure_all_finite=False)

    # ---------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, sample_weight=None):
        """Fit every part on its columns.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        X = self._validate(X, reset=True)
        parts, cols = self._resolve(X)
        w = check_sample_weight(sample_weight, X, owner=type(self).__name__)
        self.columns_ = cols
        fitted = []
        for i, (name, est) in enumerate(parts):
            est = clone(est)
            data = self.part_data(X, i)
            try:
                est.fit(data) if w is None else est.fit(data, sample_weight=w)
            except ValueError as err:
                raise ValueError(f"IndependentMLE part {name!r}: {err}") from err
            fitted.append(est)
        self._set_parts([n for n, _ in parts], fitted)
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update every part with a batch (each part needs ``partial_fit``).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        first = not hasattr(self, "estimators_")
        if first:
            self._validate_params()
        X = self._validate(X, reset=first)
        if first:
            parts, cols = self._resolve(X)
            self.columns_ = cols
            names, ests = [n for n, _ in parts], [clone(e) for _, e in parts]
        else:
            names, ests = self._names, self.estimators_
        lacking = [n for n, e in zip(names, ests) if not hasattr(e, "partial_fit")]
        if lacking:
            raise ValueError(f"IndependentMLE.partial_fit needs partial_fit in every part; "
                             f"{lacking} have none")
        w = check_sample_weight(sample_weight, X, owner=type(self).__name__)
        for i, (name, est) in enumerate(zip(names, ests)):
            data = self.part_data(X, i)
            try:
                est.partial_fit(data) if w is None else est.partial_fit(data, sample_weight=w)
            except ValueError as err:
                raise ValueError(f"IndependentMLE part {name!r}: {err}") from err
        self._set_parts(names, ests)
        return self

    def from_stats(self, stats):
        """A fitted copy whose parts are their ``from_stats`` of ``stats`` (a tuple
        with one statistics object per part, in ``estimators_`` order)."""
        check_is_fitted(self)
        est = copy.copy(self)
        parts = [p.from_stats(s) for p, s in zip(self.estimators_, stats)]
        est._set_parts(self._names, parts)  # noqa: SLF001 - a copy of self, of this class
        return est

    def _set_parts(self, names, fitted):
        self._names = list(names)
        self.estimators_ = list(fitted)
        self.named_estimators_ = dict(zip(names, fitted))
        self.loglik_ = float(sum(e.loglik_ for e in fitted))
        self.n_params_ = int(sum(e.n_params_ for e in fitted))
        self.nobs_ = float(max(getattr(e, "nobs_", 0.0) for e in fitted))
        if all(hasattr(e, "estimates_") for e in fitted):
            pnames = [f"{n}: {p}" for n, e in zip(names, fitted) for p in e.param_names_]
            self._set_inference(
                pnames, np.concatenate([np.asarray(e.estimates_, float) for e in fitted]),
                cov=linalg.block_diag(*[np.asarray(e.cov_params_, float) for e in fitted]),
                # the parts' own SEs: exact where their variances leave float64
                se=np.concatenate([np.asarray(e.bse_, float) for e in fitted]))

    # ------------------------------------------------------------ scoring
    def score_samples(self, X):
        """Log-density of each row: the parts' log-densities summed.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        return sum(e.score_samples(self.part_data(X, i)) for i, e in enumerate(self.estimators_))

    def score(self, X, y=None):
        """Mean log-likelihood per row."""
        return float(np.mean(self.score_samples(X)))

    def _total_loglik(self, X, y=None):
        return float(np.sum(self.score_samples(X)))

    def conf_int(self, alpha: float = 0.05, method: str = "wald") -> np.ndarray:
        """Each part's intervals (each within its parameters' domain), stacked in
        ``param_names_`` order."""
        check_is_fitted(self)
        return np.vstack([e.conf_int(alpha=alpha, method=method) for e in self.estimators_])

    def sample(self, n_samples: int = 1, random_state=None) -> np.ndarray:
        """Draw rows: each part's draws in its columns (dropped columns are NaN).

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        rng = check_random_state(random_state)
        draws = [e.sample(n_samples, random_state=rng) for e in self.estimators_]
        draws = [d[0] if isinstance(d, tuple) else d for d in draws]
        text = any(np.asarray(d).dtype == object for d in draws)
        out = np.full((int(n_samples), self.n_features_in_), np.nan,
                      dtype=object if text else np.float64)
        for idx, d in zip(self.columns_, draws):
            out[:, idx] = np.asarray(d).reshape(int(n_samples), -1)
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


def _column_indices(X, spec, n_cols, names, part):
    """Column positions of ``spec`` (ColumnTransformer's conventions)."""
    if callable(spec):
        spec = spec(X)
    if isinstance(spec, (str, Integral)):
        spec = [spec]
    if isinstance(spec, slice):
        return np.arange(n_cols)[spec]
    arr = np.asarray(spec)
    if arr.dtype == bool:
        if arr.size != n_cols:
            raise ValueError(f"part {part!r}: a boolean mask needs {n_cols} entries, got "
                             f"{arr.size}")
        return np.flatnonzero(arr)
    if arr.size == 0:
        return np.zeros(0, dtype=np.intp)
    if arr.dtype.kind in "US" or arr.dtype == object:
        if names is None:
            raise ValueError(f"part {part!r}: columns by name ({arr.tolist()!r}) need X as a "
                             "DataFrame")
        lookup = {str(c): j for j, c in enumerate(names)}
        missing = [c for c in arr.tolist() if str(c) not in lookup]
        if missing:
            raise ValueError(f"part {part!r}: columns {missing!r} are not in X")
        return np.array([lookup[str(c)] for c in arr.tolist()], dtype=np.intp)
    idx = arr.astype(np.intp)
    if np.any(idx >= n_cols) or np.any(idx < -n_cols):
        raise ValueError(f"part {part!r}: column index out of range for {n_cols} columns: "
                         f"{arr.tolist()!r}")
    return np.where(idx < 0, idx + n_cols, idx)
