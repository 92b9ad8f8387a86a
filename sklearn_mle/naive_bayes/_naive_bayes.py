"""``NaiveBayes``: naive Bayes with the family of each column inferred from its domain."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import clone
from sklearn.utils._param_validation import Interval, StrOptions

from .._engine.dask import is_dask
from ..families._domains import default_family, domain_default_family, summary_domain
from ..priors import Beta, Dirichlet
from ._generative import GenerativeClassifier
from ._independent import IndependentMLE

__all__ = ["NaiveBayes"]


class NaiveBayes(GenerativeClassifier):
    """Naive Bayes on a mixed table: a family per column, from the column's domain.

    Each column gets the default family of its domain (the rule
    ``rank_distributions`` uses, :mod:`sklearn_mle.families._domains`): text labels
    a categorical, 0/1 and booleans a Bernoulli, counts a Poisson, values in (0, 1) a Beta,
    positive values a Gamma, other numbers a Gaussian; ``families`` overrides any
    column. Columns of one family form one part of an :class:`IndependentMLE`, and
    that product is the density of each class of a :class:`GenerativeClassifier`.

    Parameters
    ----------
    families : dict or None, default=None
        ``column -> estimator`` (an unfitted density estimator of one column, e.g.
        ``PoissonMLE()``), for the columns whose family you choose; a column is a
        DataFrame column name or a position.
    alpha : float or None, default=None
        Additive smoothing of the discrete families, as scikit-learn's: the
        Bernoulli and categorical columns get the MAP under ``Beta(alpha + 1,
        alpha + 1)`` and ``Dirichlet(alpha + 1)``. None: the MLE.
    class_prior, priors_fit, n_jobs
        As in :class:`GenerativeClassifier`.

    Attributes
    ----------
    column_families_ : dict
        ``column -> family name`` (e.g. ``"Gamma"``), for every column.
    density_ : IndependentMLE
        The (unfitted) density each class's is a clone of.
    classes_, class_count_, class_prior_, class_log_prior_, densities_, loglik_, n_params_
        As in :class:`GenerativeClassifier`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.naive_bayes import NaiveBayes
    >>> X = np.array([[1.2, 0, 3], [0.7, 0, 1], [3.1, 1, 6], [2.6, 1, 5]], dtype=float)
    >>> nb = NaiveBayes(alpha=1.0).fit(X, ["a", "a", "b", "b"])
    >>> nb.column_families_
    {0: 'Gamma', 1: 'Bernoulli', 2: 'Poisson'}
    >>> nb.predict([[2.9, 1, 6]]).tolist()
    ['b']
    """

    _parameter_constraints: dict = {
        "families": [dict, None],
        "alpha": [Interval(Real, 0.0, None, closed="left"), None],
        "class_prior": ["array-like", Dirichlet, None],
        "priors_fit": [StrOptions({"mle", "uniform"})],
        "n_jobs": [None, int],
    }

    def __init__(self, families=None, *, alpha=None, class_prior=None, priors_fit="mle",
                 n_jobs=None):
        self.families = families
        self.alpha = alpha
        self.class_prior = class_prior
        self.priors_fit = priors_fit
        self.n_jobs = n_jobs

    def _density(self):
        return self.density_

    def _build(self, X):
        """One IndependentMLE part per family (its columns together)."""
        frame = hasattr(X, "iloc")
        labels = list(X.columns) if frame else list(range(X.shape[1]))
        given = dict(self.families or {})

        def infer(j):
            column = X.iloc[:, j] if frame else X[:, j]
            try:
                return self._smoothed(default_family(column))
            except ValueError as err:
                raise ValueError(f"NaiveBayes: column {labels[j]!r}: {err}") from None

        return self._group(labels, given, infer)

    def _group(self, labels, given, infer):
        """One IndependentMLE part per family: ``given`` columns' estimators, the others'
        from ``infer(position)``."""
        unknown = [c for c in given if c not in labels]
        if unknown:
            raise ValueError(f"NaiveBayes: families names columns {unknown!r} that X does not "
                             f"have (its columns: {labels!r})")
        groups, families = {}, {}
        for j, label in enumerate(labels):
            est = clone(given[label]) if label in given else infer(j)
            name = type(est).__name__.removesuffix("MLE")
            families[label] = name
            key = (name, repr(est.get_params()))
            groups.setdefault(key, (est, []))[1].append(j)
        self.column_families_ = families
        parts = [(f"{name}{i}" if _count(groups, name) > 1 else name, est, np.array(cols))
                 for i, ((name, _), (est, cols)) in enumerate(groups.items())]
        return IndependentMLE(parts)

    def _smoothed(self, est):
        if self.alpha is None:
            return est
        a = float(self.alpha) + 1.0
        name = type(est).__name__
        if name == "BernoulliMLE":
            return est.set_params(prior=Beta(a, a))
        if name == "CategoricalMLE":
            return est.set_params(prior=Dirichlet(a))
        return est

    def fit(self, X, y, sample_weight=None):
        """Infer each column's family, then fit as :class:`GenerativeClassifier`.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        self._validate_params()
        if is_dask(X):
            self.density_ = self._build_dask(X)
        else:
            self.density_ = self._build(self._validate_X(X, reset=True))
        return super().fit(X, y, sample_weight=sample_weight)

    def _build_dask(self, X):
        """The families of a Dask array's columns from one pass of column summaries
        (every value an integer, the minimum, the maximum: the domain rule's input)."""
        from .._engine.dask_input import check_dask_X
        from ._dask import dask_summaries

        Xd = check_dask_X(self, X, reset=True)
        names = getattr(self, "feature_names_in_", None)
        labels = list(names) if names is not None else list(range(Xd.shape[1]))
        given = dict(self.families or {})
        unknown = [c for c in given if c not in labels]
        todo = [] if unknown else [j for j, label in enumerate(labels) if label not in given]
        domains = {}
        if todo:
            try:
                integral, low, high = dask_summaries(Xd)
            except ValueError as err:
                raise ValueError(f"NaiveBayes: {err}") from None
            domains = {j: summary_domain(bool(integral[j]), float(low[j]), float(high[j]))
                       for j in todo}
        return self._group(labels, given,
                           lambda j: self._smoothed(domain_default_family(domains[j])))

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """As :meth:`GenerativeClassifier.partial_fit`; the families come from the
        first batch."""
        if not hasattr(self, "densities_"):
            self._validate_params()
            self.density_ = self._build(self._validate_X(X, reset=True))
        return super().partial_fit(X, y, classes=classes, sample_weight=sample_weight)


def _count(groups, name):
    return sum(1 for (n, _) in groups if n == name)

