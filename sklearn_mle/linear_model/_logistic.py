"""MLELogisticRegression: binary and multinomial logit with inference and MAP priors."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets

from .._engine.dask import is_dask
from ..exceptions import SeparationWarning
from ._base import GLM_PARAMETER_CONSTRAINTS, GLM_XFAIL_CHECKS, GLMBase
from ._dask_fit import add_offset, map_rows
from ._diagnostics import find_separation, separation_message
from ._family import Binomial, Multinomial
from ._links import LINKS

_SUSPICIOUS_ETA = 8.0  # |eta| beyond which a fitted probability may be heading to 0/1
_ALWAYS_LP_SIZE = 200_000  # below n * n_params, always run the separation LP (cheap)


def _named(y):
    """``y`` where its ``name`` is a column name (a Series), else None (a Dask
    array's ``name`` is its graph key)."""
    return y if hasattr(y, "to_dask_array") or not is_dask(y) else None


def _unique_codes(y):
    """``np.unique(y, return_inverse=True)``; for integer labels in a short range by
    counting (no sort: a tenth of the time at 10^4 rows), the same arrays."""
    if y.ndim == 1 and y.dtype.kind in "iu" and y.size:
        lo, hi = int(y.min()), int(y.max())
        if hi - lo <= 4 * y.size and -(2**62) < lo and hi < 2**62:
            shifted = y.astype(np.intp) - lo  # in intp: no wrap-around of small dtypes
            present = np.bincount(shifted, minlength=hi - lo + 1) > 0
            classes = (np.flatnonzero(present) + lo).astype(y.dtype)
            rank = np.cumsum(present, dtype=np.intp) - 1
            return classes, rank[shifted]
    return np.unique(y, return_inverse=True)


def _with_reference(eta):
    """``eta`` with the reference class's zero log-odds as column 0."""
    return np.column_stack([np.zeros(len(eta)), eta])


class MLELogisticRegression(ClassifierMixin, GLMBase):
    """Logistic regression by maximum likelihood (or MAP) with statsmodels-grade inference.

    Binary outcomes use the logit link. With ``K > 2`` classes the model is the
    multinomial logit with the first class of ``classes_`` as the reference category
    (its coefficients are 0), so the MLE is identified and has standard errors, as
    statsmodels' ``MNLogit`` and R's ``nnet::multinom``.

    Fitted by Newton-Raphson with the exact Hessian (Cholesky solve, step halving,
    stop on the gradient norm); a standard-error table comes with every fit.

    Parameters
    ----------
    fit_intercept : bool, default=True
        Add an intercept (first entry of ``param_names_``).
    prior : Prior or None, default=None
        Prior on each coefficient (not the intercept): ``None`` is the MLE;
        ``Normal(scale)`` is L2, equal to ``sklearn.linear_model.LogisticRegression``
        with ``C = scale**2``; ``Laplace(scale)`` is L1 (``C = scale``);
        ``Cauchy()``/``StudentT()`` are weakly informative and survive separation;
        ``Jeffreys()`` is Firth's bias-reduced logistic regression (binary only).
    intercept_prior : Prior or None, default=None
        Prior on the intercept (flat by default).
    on_separation : {"warn", "raise"}, default="warn"
        What to do when the classes are (quasi-)completely separated and the MLE
        does not exist (only checked without a prior).
    solver : {"auto", "newton", "lbfgs"}, default="auto"
        ``"auto"``: Newton unless there are more than 2000 parameters.
    tol : float, default=1e-8
        Stop when the largest gradient entry is below ``tol`` times the total weight.
    max_iter : int, default=100
    n_jobs : int or None, default=None
        Threads over row blocks for the Hessian (None: all cores).
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"}, default="nonrobust"
        Covariance of the estimates: the inverse observed information, or a sandwich
        (heteroscedasticity-robust HC0-HC3, cluster-robust with ``fit(..., groups=)``);
        see :mod:`sklearn_mle.inference`. Only without a prior.
    link : {"logit", "probit", "cloglog"}, default="logit"
        Link of a binary model: ``P(y = 1) = expit(eta)``, ``Phi(eta)`` (statsmodels'
        ``Probit``) or ``1 - exp(-exp(eta))``. The multinomial model and Firth's
        ``Jeffreys()`` prior use the logit. ``decision_function`` returns ``eta``.

    Attributes
    ----------
    classes_ : ndarray of shape (K,)
    coef_ : ndarray of shape (1, n_features) or (K - 1, n_features)
        Row ``k`` holds the log-odds of class ``classes_[k + 1]`` against ``classes_[0]``.
    intercept_ : ndarray of shape (1,) or (K - 1,)
    loglik_, n_params_, nobs_ : float, int, float
        Total log-likelihood (log-posterior under a prior), number of parameters,
        total sample weight.
    param_names_ : list of str
        ``intercept`` then the features; prefixed with ``"<class>:"`` for K > 2.
    cov_params_, bse_, pvalues_ : ndarray
        Inverse observed information, standard errors, Wald two-sided p-values.
    converged_ : bool
    n_iter_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import MLELogisticRegression
    >>> X = np.array([[0.5], [1.0], [1.5], [2.0], [2.5], [3.0], [3.5], [4.0]])
    >>> y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
    >>> clf = MLELogisticRegression().fit(X, y)
    >>> clf.param_names_
    ['intercept', 'x0']
    >>> bool(clf.bse_[1] > 0), clf.predict([[0.0], [5.0]]).tolist()
    (True, [0, 1])
    """

    _parameter_constraints: dict = {
        **GLM_PARAMETER_CONSTRAINTS,
        "on_separation": [StrOptions({"warn", "raise"})],
        "link": [StrOptions({"logit", "probit", "cloglog"})],
    }

    def __init__(self, *, fit_intercept=True, prior=None, intercept_prior=None,
                 on_separation="warn", solver="auto", tol=1e-8, max_iter=100, n_jobs=None,
                 cov_type="nonrobust", link="logit"):
        super().__init__(fit_intercept=fit_intercept, prior=prior,
                         intercept_prior=intercept_prior, solver=solver, tol=tol,
                         max_iter=max_iter, n_jobs=n_jobs, cov_type=cov_type)
        self.on_separation = on_separation
        self.link = link

    def _encode(self, y):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        try:
            if y.ndim != 1 or y.dtype.kind not in "iub":
                # integer or boolean labels of one column are always classes
                check_classification_targets(y)
            classes, codes = _unique_codes(y)
        except TypeError:  # labels that do not compare (None with str, str with int)
            kinds = sorted({type(v).__name__ for v in y.ravel()})
            raise ValueError(
                f"{type(self).__name__}: y mixes labels of types {', '.join(kinds)}, which "
                "cannot be sorted into classes_; use labels of one type (e.g. y.astype(str), "
                "or replace missing labels before fitting)"
            ) from None
        return classes, codes

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, groups=None, offset=None):
        """Fit the model by maximum likelihood (MAP under a prior).

        Parameters
        ----------
        X : array-like or sparse CSR matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (any hashable labels, e.g. strings).
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights: integer weights equal repeated rows.
        groups : array-like of shape (n_samples,), default=None
            Cluster labels for ``cov_type="cluster"`` (ignored otherwise); routed by
            ``set_fit_request(groups=True)`` in pipelines and cross-validation.
        offset : array-like of shape (n_samples,), default=None
            Added to the linear predictor with coefficient 1 (binary models); pass it
            to the prediction methods too.

        Returns
        -------
        self
        """
        if is_dask(X):
            return self._fit_dask(X, y, sample_weight, offset)
        y_raw = y
        X, y = self._validate_X_y(X, y)
        classes, codes = self._encode(y)
        self._check_classes(classes)
        w = self._sample_weight(sample_weight, X)
        self._check_live(classes, np.flatnonzero(np.bincount(codes, weights=w,
                                                             minlength=len(classes)) > 0))
        K = len(classes)
        self.classes_ = classes
        family = self._family(K)
        if K == 2:
            Y = codes.astype(float)[:, None]
        else:
            Y = np.zeros((len(codes), K))
            Y[np.arange(len(codes)), codes] = 1.0
        self._codes = codes
        off = self._offset(offset, None, X.shape[0])
        self._check_offset(off, K)
        self._fit_glm(X, Y, w, off, family, groups)
        self._remember_fit(X, y, w, off, y_raw)
        del self._codes
        self._set_coef()
        return self

    def _fit_dask(self, X, y, sample_weight, offset):
        """The fit on Dask data: labels encoded chunk by chunk, exact Newton on the
        cluster (one reduction per iteration)."""
        from ._dask_fit import dask_fit_input, label_targets, refuse_on_dask

        who = type(self).__name__
        if self.link != "logit":
            refuse_on_dask(who, f"link={self.link!r}", "", "use link='logit', or compute "
                           "the data (X.compute())")
        if self.on_separation == "raise":
            refuse_on_dask(who, "the separation check (on_separation='raise')",
                           " (its linear program needs every row on one machine)",
                           "use on_separation='warn', or fit a computed sample to diagnose "
                           "separation")
        data = dask_fit_input(self, X, y, sample_weight, offset, labels=True)
        classes = data.classes
        check_classification_targets(classes)
        self._check_classes(classes)
        self._check_live(classes, data.live)
        K = len(classes)
        self.classes_ = classes
        family = self._family(K)
        Y = label_targets(data.y, classes)  # encoded inside each pass's chunk tasks
        self._check_offset(data.offset, K)
        self._fit_glm(data.X, Y, data.w, data.offset, family, nobs=data.total_weight,
                      start=data.start)
        self._remember_fit(data.X, data.y, data.w, data.offset, _named(y))
        self._set_coef()
        return self

    def _set_coef(self):
        theta = self._theta
        K = len(self.classes_)
        self.coef_ = theta[:, 1:].copy() if self.fit_intercept else theta.copy()
        self.intercept_ = theta[:, 0].copy() if self.fit_intercept else np.zeros(K - 1)

    def _check_classes(self, classes):
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__}: y has only one class, {classes[0]!r}; logistic "
                "regression needs at least two classes"
            )

    def _check_live(self, classes, live):
        """``live``: the codes of the classes with positive weight."""
        if len(live) < 2:
            raise ValueError(
                f"{type(self).__name__}: only one class ({classes[live[0]]!r}) has positive "
                "sample weight; logistic regression needs at least two classes"
            )

    def _family(self, K):
        """The GLM family of ``K`` classes under ``link`` and ``prior`` (checked)."""
        if self.link != "logit" and K > 2:
            raise ValueError(
                f"{type(self).__name__}(link={self.link!r}): Only binary classification is "
                f"supported. The type of the target is multiclass ({K} classes); use "
                "link='logit' for the multinomial model"
            )
        if self.link != "logit" and type(self.prior).__name__ == "Jeffreys":
            raise ValueError(f"{type(self).__name__}: prior=Jeffreys() (Firth) is implemented "
                             f"for the logit link, not link={self.link!r}")
        if K == 2:
            return Binomial() if self.link == "logit" else LINKS[self.link]()
        if self.prior is not None and type(self.prior).__name__ == "Jeffreys":
            raise ValueError("prior=Jeffreys() (Firth) is implemented for binary outcomes "
                             "only; use prior=Cauchy() for the multinomial model")
        return Multinomial(K)

    def _check_offset(self, off, K):
        if off is not None and K > 2:
            raise ValueError(f"{type(self).__name__}: offset is implemented for binary "
                             "outcomes (one linear predictor)")

    def _validate_X_y(self, X, y):
        from sklearn.utils.validation import validate_data

        return validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32],
                             y_numeric=False, ensure_min_features=self._min_features())

    def _param_names_full(self):
        base = self._design_names()
        if len(self.classes_) == 2:
            return base
        return [f"{c}:{n}" for c in self.classes_[1:] for n in base]

    def _post_fit(self, problem, res, H):
        if self.prior is not None:
            return
        w = problem.w
        live = w > 0
        large = problem.n * problem.k > _ALWAYS_LP_SIZE and res.converged and live.any()
        # large data: no row with extreme fitted log-odds, no separation (no pass)
        if large and np.max(np.abs(problem.eta[live])) <= _SUSPICIOUS_ETA:
            return
        # no sign of a diverging direction (one more Newton step leaves every row where
        # it is): the MLE is finite, no linear program needed
        if self._no_drift(problem, res, H, live):
            return
        # large data: the LP only when a diverging-coefficient check says so: a few
        # more Newton steps at a 1e-4 times tighter tolerance: a finite MLE barely
        # moves, a separated direction keeps growing (by ~log(1e4))
        if large and not self._diverges(problem, res, live):
            return
        info = find_separation(problem.X, self._codes, w, self.fit_intercept,
                               self._feature_names(), n_classes=len(self.classes_))
        if info is None:
            return
        msg = separation_message(type(self).__name__, info)
        if self.on_separation == "raise":
            raise ValueError(msg)
        warnings.warn(msg, SeparationWarning, stacklevel=5)

    # ------------------------------------------------------------ predict
    def _eta(self, X, offset):
        eta = self._linear_predictor(X)
        off = self._offset(offset, None, eta.shape[0])
        if off is None:
            return eta
        return add_offset(eta, off) if is_dask(eta) else eta + off[:, None]

    def decision_function(self, X, offset=None):
        """Log-odds against the reference class: shape (n,) for binary, (n, K) otherwise.

        For K > 2 column 0 (the reference class) is 0; under another ``link`` the
        linear predictor ``eta``. On a Dask array, a lazy Dask array.
        """
        eta = self._eta(X, offset)
        if len(self.classes_) == 2:
            return map_rows(eta, lambda e: e[:, 0])
        return map_rows(eta, _with_reference, (len(self.classes_),))

    def _log_proba_of_eta(self, eta):
        if getattr(self, "link", "logit") != "logit":
            lp1, lp0 = LINKS[self.link].log_probs(eta[:, 0])
            return np.column_stack([lp0, lp1])
        full = _with_reference(eta)
        return full - special.logsumexp(full, axis=1, keepdims=True)

    def predict_log_proba(self, X, offset=None):
        """Log class probabilities, shape (n, K), columns in ``classes_`` order (on a
        Dask array, a lazy Dask array)."""
        return map_rows(self._eta(X, offset), self._log_proba_of_eta, (len(self.classes_),))

    def predict_proba(self, X, offset=None):
        """Class probabilities, shape (n, K), columns in ``classes_`` order (on a Dask
        array, a lazy Dask array)."""
        return np.exp(self.predict_log_proba(X, offset=offset))

    def predict(self, X, offset=None):
        """Most probable class label of each row (on a Dask array, a lazy Dask array)."""
        if getattr(self, "link", "logit") != "logit":
            logp = self.predict_log_proba(X, offset=offset)  # checks the fit first
            classes = self.classes_
            return map_rows(logp, lambda lp: classes[np.argmax(lp, axis=1)],
                            dtype=classes.dtype)
        eta = self._eta(X, offset)  # checks the fit first
        classes = self.classes_
        return map_rows(eta, lambda e: classes[np.argmax(_with_reference(e), axis=1)],
                        dtype=classes.dtype)

    def _loglik_rows(self, X, y, offset=None):
        """Per-row log-likelihood of the observed labels."""
        logp = self.predict_log_proba(X, offset=offset)
        y = self._response(y, logp.shape[0])
        idx = np.clip(np.searchsorted(self.classes_, y), 0, len(self.classes_) - 1)
        unseen = self.classes_[idx] != y
        if np.any(unseen):
            raise ValueError(f"y contains label {y[unseen][0]!r} not seen in fit; classes_ are "
                             f"{list(self.classes_)}")
        return logp[np.arange(len(y)), idx]

    def _inverse_link(self, eta):
        if self.link != "logit":
            return LINKS[self.link].mean(eta)
        mu = special.expit(eta)
        return mu, mu * (1.0 - mu)

    def _simulate_response(self, rng, X, offset):
        self._single_predictor("the parametric bootstrap")
        p = self._inverse_link(self._eta(X, offset)[:, 0])[0]
        return self.classes_[(rng.random(p.shape[0]) < p).astype(int)]

    _sklearn_xfail_checks = GLM_XFAIL_CHECKS

    @classmethod
    def _check_instances(cls):
        # the canonical logit and a non-canonical link (observed information)
        return [cls(), cls(link="probit")]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # probit and cloglog links are binary models
        tags.classifier_tags.multi_class = self.link == "logit"
        return tags
