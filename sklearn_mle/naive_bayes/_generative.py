"""``GenerativeClassifier``: a density per class and Bayes' rule.

``p(y = k | x) = pi_k p_k(x) / sum_j pi_j p_j(x)``, computed in log space. Each
``p_k`` is a clone of one density estimator fitted (by weighted MLE or MAP) on the
rows of class ``k``; ``pi`` are the class probabilities (their MLE, the class
frequencies; a MAP under a Dirichlet prior; or given). A density whose columns are
independent makes this naive Bayes with that family; a full-covariance Gaussian
makes it quadratic discriminant analysis; a mixture, mixture discriminant analysis.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from .._engine.dask import is_dask
from .._engine.weights import check_sample_weight
from ..base import LikelihoodMixin
from ..distributions import GaussianMLE
from ..exceptions import BoundaryWarning
from ..mixture._emission import logsumexp_rows
from ..priors import Dirichlet
from ._class_prior import class_probabilities
from ._perclass import (
    class_log_densities,
    fit_per_class,
    one_blas_thread,
    outside_column,
    update_per_class,
)
from ._summaries import ClassSummaries

__all__ = ["GenerativeClassifier"]


class GenerativeClassifier(LikelihoodMixin, ClassifierMixin, BaseEstimator):
    """Classifier by Bayes' rule over one fitted density per class.

    Each class ``k`` gets a clone of ``density`` fitted by (weighted) maximum
    likelihood, or MAP under the density's prior, on the rows of that class; a new row
    is classified by ``argmax_k log pi_k + log p_k(x)``, and its class probabilities
    are those terms normalised by log-sum-exp.

    With a distribution estimator of the package (the usual case), the density's
    family settings (a categorical column's category set, a binomial's trials) and
    its prior's data-dependent defaults come from all the training rows, and the k
    classes' statistics from ONE pass over the data (the family's batched
    statistics); every other estimator (a mixture, ...) is fitted on each class's
    rows.

    Parameters
    ----------
    density : estimator, default=GaussianMLE(covariance_type="diag")
        A density estimator of the package (``fit``, ``score_samples``): the family
        per column is the model of each class. ``GaussianMLE("diag")`` is Gaussian
        naive Bayes, ``GaussianMLE("full")`` quadratic discriminant analysis,
        ``MultinomialMLE(prior=Dirichlet(alpha + 1))`` multinomial naive Bayes with
        Laplace/Lidstone smoothing ``alpha``, :class:`IndependentMLE` a different
        family per column group, ``MixtureMLE(...)`` mixture discriminant analysis.
    class_prior : None, array-like of shape (n_classes,) or Dirichlet, default=None
        None: the class probabilities are fitted (see ``priors_fit``). An array:
        fixed probabilities, in the order of ``classes_``. ``Dirichlet(alpha)``: the
        MAP class probabilities ``(n_k + alpha - 1) / (n + K (alpha - 1))``.
    priors_fit : {"mle", "uniform"}, default="mle"
        How the class probabilities are fitted when ``class_prior`` is None or a
        Dirichlet: "mle", from the (weighted) class counts; "uniform", ``1 / K``
        each (scikit-learn's ``fit_prior=False``; not with a Dirichlet).
    n_jobs : int or None, default=None
        Threads for the passes over the rows (scikit-learn's meaning).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    class_count_ : ndarray of shape (n_classes,)
        The (weighted) number of training rows of each class.
    class_prior_ : ndarray of shape (n_classes,)
        The class probabilities.
    class_log_prior_ : ndarray of shape (n_classes,)
        Their logarithms.
    densities_ : list of estimators
        The fitted density of each class (None for a class with no rows yet).
    loglik_ : float
        Total log-likelihood of the training pairs ``(x, y)``: the densities'
        ``loglik_`` plus ``sum_k n_k log pi_k`` (the log-posterior kernel under priors).
    n_params_ : int
        Free parameters: the densities' plus ``K - 1`` fitted class probabilities.
    nobs_ : float
        The (weighted) number of training rows.
    param_names_, estimates_, cov_params_, bse_, pvalues_
        Each class's density parameters (named ``"<class>: <name>"``) followed by the
        free class probabilities; set when every density has standard errors.
    n_features_in_, feature_names_in_
        As in scikit-learn.

    See Also
    --------
    NaiveBayes : the family of each column inferred from its domain.
    IndependentMLE : a product of densities over column groups.

    Notes
    -----
    scikit-learn's naive Bayes classifiers are special cases: ``GaussianNB(
    var_smoothing=0)`` is ``GaussianMLE("diag")``; ``MultinomialNB(alpha)`` is
    ``MultinomialMLE(prior=Dirichlet(alpha + 1))``, and ``BernoulliNB(alpha)`` and
    ``CategoricalNB(alpha)`` are ``BernoulliMLE(prior=Beta(alpha + 1, alpha + 1))``
    and ``CategoricalMLE(prior=Dirichlet(alpha + 1))``: their smoothing is the MAP
    under a Dirichlet(alpha + 1) prior, which equals the posterior mean under
    Dirichlet(alpha). ``QuadraticDiscriminantAnalysis`` divides the class
    covariances by ``n_k - 1``; ``GaussianMLE("full")`` by ``n_k`` (the MLE).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import GaussianMLE
    >>> from sklearn_mle.naive_bayes import GenerativeClassifier
    >>> X = np.array([[0.0], [0.5], [1.0], [4.0], [5.0], [6.0]])
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> clf = GenerativeClassifier(GaussianMLE(covariance_type="diag")).fit(X, y)
    >>> clf.predict([[0.2], [5.5]]).tolist()
    [0, 1]
    >>> [float(d.mean_[0]) for d in clf.densities_]
    [0.5, 5.0]
    >>> clf.n_params_          # two means, two variances, one class probability
    5
    """

    _parameter_constraints: dict = {
        "density": [HasMethods(["fit", "score_samples"]), None],
        "class_prior": ["array-like", Dirichlet, None],
        "priors_fit": [StrOptions({"mle", "uniform"})],
        "n_jobs": [None, int],
    }

    def __init__(self, density=None, *, class_prior=None, priors_fit="mle", n_jobs=None):
        self.density = density
        self.class_prior = class_prior
        self.priors_fit = priors_fit
        self.n_jobs = n_jobs

    # ------------------------------------------------------------ validation
    def _density(self):
        return GaussianMLE(covariance_type="diag") if self.density is None else self.density

    def _validate_X(self, X, reset, y=None):
        """X as given when it is a DataFrame (densities select its columns by name);
        otherwise a 2-D array (text columns stay object)."""
        if hasattr(X, "iloc"):
            validate_data(self, X, reset=reset, skip_check_array=True)
            if X.shape[0] < 1:
                raise ValueError("Found array with 0 sample(s) (shape=(0, ...)); a minimum "
                                 "of 1 is required.")
            return X
        return validate_data(self, X, reset=reset, dtype=None, ensure_min_samples=1)

    def _encode(self, y, n):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                             "y is None")
        try:
            check_classification_targets(y)
        except TypeError as err:  # NumPy cannot sort labels of mixed types (None and str)
            kinds = sorted({type(v).__name__ for v in np.asarray(y, dtype=object).ravel()})
            raise TypeError(
                f"{type(self).__name__}: the class labels in y mix the types {kinds} "
                f"({err}); give labels of one type (e.g. all str), with no missing label "
                "(None or NaN is not a class)"
            ) from None
        y = column_or_1d(y, warn=True)
        if y.shape[0] != n:
            check_consistent_length(np.empty(n), y)
        return y

    # ------------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit one density per class and the class probabilities.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; integer weights equal repeated rows.

        Returns
        -------
        self : object
        """
        if is_dask(X):
            from ._dask import dask_fit

            self.densities_, self._state, self._rows, counts = dask_fit(
                self, X, y, sample_weight, self._density())
            with one_blas_thread():
                self._finish(counts, whole=True)
            return self
        X = self._validate_X(X, reset=True)
        y = self._encode(y, X.shape[0])
        self.classes_, idx = _labels(y)
        self._fit_encoded(X, idx, sample_weight)
        return self

    def _one_hot(self, idx, sample_weight, X):
        w = check_sample_weight(sample_weight, X, owner=type(self).__name__)
        k = self.classes_.size
        Y = np.zeros((idx.size, k))
        Y[np.arange(idx.size), idx] = 1.0 if w is None else w
        pos = np.ones(idx.size, bool) if w is None else w > 0
        return Y, w, np.bincount(idx[pos], minlength=k)

    def _fit_encoded(self, X, idx, sample_weight):
        Y, w, rows = self._one_hot(idx, sample_weight, X)
        self.densities_, self._state = fit_per_class(
            self._density(), X, Y, w, rows, self.classes_, type(self).__name__)
        self._rows = rows
        with one_blas_thread():
            self._finish(Y.sum(axis=0), whole=True)

    @_fit_context(prefer_skip_nested_validation=False)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the fit with a batch; equals ``fit`` on all the batches together.

        The classes' statistics are kept and the batch's added (a distribution
        estimator of the package, or an :class:`IndependentMLE` of them); any other
        density must have ``partial_fit`` and is updated with its class's rows.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every label, required at the first call (later batches may miss some).
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        first = not hasattr(self, "densities_")
        name = type(self).__name__
        if first:
            if classes is None:
                raise ValueError(f"{name}: the first call to partial_fit needs classes=, "
                                 "the list of every label")
            classes_ = np.unique(np.asarray(classes))
        else:
            classes_ = self.classes_
            if classes is not None and not np.array_equal(np.unique(classes), classes_):
                raise ValueError(
                    f"{name}: classes={list(classes)!r} differs from the classes of the "
                    f"first call, {classes_.tolist()!r}")
        density = self._density()
        if not hasattr(density, "partial_fit"):
            raise ValueError(f"{name}: partial_fit needs a density with partial_fit; "
                             f"{type(density).__name__} has none (use fit)")
        X = self._validate_X(X, reset=first)
        y = self._encode(y, X.shape[0])
        unknown = ~np.isin(y, classes_)
        if unknown.any():
            raise ValueError(
                f"{name}: labels {np.unique(y[unknown]).tolist()!r} in y are not among the "
                f"classes {classes_.tolist()!r} given at the first call to partial_fit"
            )
        self.classes_ = classes_
        idx = np.searchsorted(classes_, y)
        Y, w, rows = self._one_hot(idx, sample_weight, X)
        if first:
            self.densities_, self._state = fit_per_class(density, X, Y, w, rows, classes_,
                                                         name)
            self._rows, counts = rows, Y.sum(axis=0)
        else:
            self._rows = self._rows + rows
            self.densities_, self._state = update_per_class(
                density, self._state, self.densities_, X, Y, w, self._rows, classes_, name)
            counts = self.class_count_ + Y.sum(axis=0)
        with one_blas_thread():
            self._finish(counts)
        return self

    def _finish(self, counts, whole=False):
        self.class_count_ = counts
        p, free = class_probabilities(self.class_prior, self.priors_fit, counts)
        empty = self.classes_[(counts == 0) & (p == 0)]
        if whole and empty.size:  # (partial_fit's classes may wait for later batches)
            warnings.warn(f"{type(self).__name__}: class {', '.join(map(repr, empty.tolist()))}"
                          " has total sample weight 0, so its fitted probability is 0 "
                          "(class_log_prior_ -inf) and it is never predicted. Give its rows "
                          "weight or drop the label.", BoundaryWarning, stacklevel=4)
        self.class_prior_ = p
        with np.errstate(divide="ignore"):
            self.class_log_prior_ = np.log(p)
        self.nobs_ = float(counts.sum())
        fitted = [d for d in self.densities_ if d is not None]
        ll = sum(float(d.loglik_) for d in fitted)
        with np.errstate(invalid="ignore"):
            ll += float(np.sum(np.where(counts > 0, counts * self.class_log_prior_, 0.0)))
            if isinstance(self.class_prior, Dirichlet) and free:
                alpha = self.class_prior.concentrations(p.size, where="the classes") - 1.0
                ll += float(np.sum(np.where(alpha != 0, alpha * self.class_log_prior_, 0.0)))
        self.loglik_ = ll
        self.n_params_ = int(sum(int(d.n_params_) for d in fitted) + free)
        self._set_class_inference(fitted, p, free, counts)

    def _set_class_inference(self, fitted, p, free, counts):
        if not all(hasattr(d, "estimates_") for d in fitted):
            return
        names, est, covs, ses = [], [], [], []
        for label, d in zip(self.classes_, self.densities_):
            if d is None:
                continue
            names += [f"{label}: {n}" for n in d.param_names_]
            est.append(np.asarray(d.estimates_, dtype=float))
            covs.append(np.asarray(d.cov_params_, dtype=float))
            # the densities' own SEs: exact where their variances leave float64
            ses.append(np.asarray(d.bse_, dtype=float))
        if free:
            pf = p[:-1]
            names += [f"P(class={label})" for label in self.classes_[:-1]]
            est.append(pf)
            with np.errstate(divide="ignore", invalid="ignore"):
                covs.append((np.diag(pf) - np.outer(pf, pf)) / counts.sum())
                ses.append(np.sqrt(np.clip(np.diag(covs[-1]), 0.0, None)))
        self._set_inference(names, np.concatenate(est) if est else np.zeros(0),
                            cov=linalg.block_diag(*covs) if covs else np.zeros((0, 0)),
                            se=np.concatenate(ses) if ses else np.zeros(0))

    # -------------------------------------------------------------- predict
    def predict_joint_log_proba(self, X):
        """``log pi_k + log p_k(x)`` for every row and class, shape (n, n_classes).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        if is_dask(X):
            from ._dask import dask_joint_log_proba

            return dask_joint_log_proba(self, X)
        X = self._validate_X(X, reset=False)
        jll = class_log_densities(self.densities_, X, self.n_jobs) + self.class_log_prior_
        none = ~np.isfinite(jll).any(axis=1) if jll.size else np.zeros(0, bool)
        if none.any():
            i = int(np.flatnonzero(none)[0])
            where = ""
            found = outside_column(self.densities_, X, i)
            if found is not None:
                j, value = found
                names = getattr(self, "feature_names_in_", None)
                label = repr(names[j]) if names is not None else j
                where = f" (column {label}: value {value!r})"
            raise ValueError(
                f"{type(self).__name__}: row {i}{where} has zero probability under the "
                "density of every class: a value outside the support every class was "
                "fitted on (a category never seen in training, a count where a class saw "
                "only zeros, ...), or degenerate densities (a class with a single row or "
                "a constant column has variance 0: see the fit's warnings). Give the "
                "density a prior (e.g. "
                "CategoricalMLE(prior=Dirichlet(2)), so a category seen in any class keeps "
                "a probability in every class) or drop the value"
            )
        return jll

    def predict_log_proba(self, X):
        """Log class probabilities, shape (n_samples, n_classes) (log-sum-exp
        normalised)."""
        jll = self.predict_joint_log_proba(X)
        if is_dask(jll):  # lazy: each chunk normalised where it lives
            return jll.map_blocks(_normalise, dtype=np.float64)
        return _normalise(jll)

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), in ``classes_`` order
        (a lazy Dask array for a Dask array)."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """The most probable class of each row (a lazy Dask array for a Dask array)."""
        jll = self.predict_joint_log_proba(X)
        if is_dask(jll):
            classes = self.classes_
            return jll.map_blocks(lambda b: classes[np.argmax(b, axis=1)], drop_axis=1,
                                  dtype=classes.dtype)
        return self.classes_[np.argmax(jll, axis=1)]

    # ---------------------------------------------------------- likelihood
    def log_likelihood(self, X, y, sample_weight=None) -> float:
        """Total log-likelihood ``sum_i w_i (log pi_{y_i} + log p_{y_i}(x_i))`` of
        labelled data.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        float
        """
        check_is_fitted(self)
        Xv = self._validate_X(X, reset=False)
        y = self._encode(y, Xv.shape[0])
        unknown = ~np.isin(y, self.classes_)
        if unknown.any():
            raise ValueError(f"labels {np.unique(y[unknown]).tolist()!r} are not among the "
                             f"classes {self.classes_.tolist()!r}")
        idx = np.searchsorted(self.classes_, y)
        jll = class_log_densities(self.densities_, Xv, self.n_jobs) + self.class_log_prior_
        terms = jll[np.arange(idx.size), idx]
        w = check_sample_weight(sample_weight, Xv, owner=type(self).__name__)
        if w is None:
            return float(terms.sum())
        # a row of weight 0 is no term of the sum, even where its density is 0 (a class
        # whose rows all weigh 0 has prior 0): 0 * -inf would make the total NaN
        kept = w > 0
        return float(terms[kept] @ w[kept])

    def _total_loglik(self, X, y=None):
        if y is None:
            raise ValueError(f"{type(self).__name__}: aic/bic need the labels y")
        return self.log_likelihood(X, y)

    def summary(self, alpha: float = 0.05) -> ClassSummaries:
        """A summary table per class (its density's estimates, standard errors and
        intervals) and the class probabilities.

        Returns
        -------
        ClassSummaries
            A dict ``label -> Summary``; prints as the tables one after another, and
            ``to_frame()`` stacks them with the class as the first index level.
        """
        check_is_fitted(self)
        tables = {label: d.summary(alpha=alpha)
                  for label, d in zip(self.classes_.tolist(), self.densities_) if d is not None}
        return ClassSummaries(tables, self.classes_, self.class_prior_, self.class_count_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


def _normalise(jll):
    return jll - logsumexp_rows(jll)[:, None]


def _labels(y):
    """``np.unique(y, return_inverse=True)``; integer labels of a small range by one
    ``bincount`` and a lookup (no sort of n labels: 0.08 s of a 10^6-row fit)."""
    if y.dtype.kind in "iu" and y.size:
        lo, hi = int(y.min()), int(y.max())
        if hi - lo < max(1 << 16, y.size):
            shifted = (y - lo).astype(np.intp, copy=False)
            seen = np.bincount(shifted, minlength=hi - lo + 1) > 0
            code = np.cumsum(seen) - 1
            return (np.flatnonzero(seen) + lo).astype(y.dtype), code[shifted]
    classes, idx = np.unique(y, return_inverse=True)
    return classes, idx.ravel()
