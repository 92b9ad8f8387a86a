"""ShiftedMLE: the estimator of a positive family with a fitted location (threshold).

The threshold search is in :mod:`._shifted`, the inference in :mod:`._shifted_inference`.
"""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin, _fit_context, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._engine.weights import check_sample_weight
from ..base import LikelihoodMixin
from ..exceptions import BoundaryWarning
from ._scipy import ScipyMixin
from ._shifted import SHIFTABLE, profile_threshold
from ._shifted_inference import ShiftedInferenceMixin

__all__ = ["ShiftedMLE"]


def _shifted_frozen(dist, loc):
    """A frozen scipy distribution moved by ``loc`` (families give shape(s) and scale)."""
    args, kwds = tuple(dist.args), dict(dist.kwds)
    n_shapes = dist.dist.numargs
    if len(args) > n_shapes:  # loc given positionally
        kwds["loc"] = args[n_shapes]
        args = args[:n_shapes] + args[n_shapes + 1:]
    kwds["loc"] = float(kwds.get("loc", 0.0)) + float(loc)
    return dist.dist(*args, **kwds)


class ShiftedMLE(ShiftedInferenceMixin, ScipyMixin, LikelihoodMixin, DensityMixin,
                 BaseEstimator):
    """A positive family with a fitted location (threshold): 3-parameter Gamma,
    Weibull or LogNormal.

    The model is ``x = loc + y`` with ``y`` from ``estimator``'s family, so the
    support is ``x > loc`` and the log-likelihood is the base family's on
    ``x - loc``. With ``loc="fit"`` the threshold is estimated per column by
    maximising the profile log-likelihood over ``loc < min(x)`` (a grid over
    ``log(min(x) - loc)`` from ``1e-8`` to ``100`` standard deviations, a bounded
    Brent search around the best interior local maximum, then the root of the
    profile's derivative, exact where the values locate it only to ~sqrt(eps)), the
    base family's MLE of ``x - loc`` inside; the result is what
    ``scipy.stats.gamma.fit(x)``, ``weibull_min.fit`` and ``lognorm.fit`` (free
    ``loc``) find.

    Parameters
    ----------
    estimator : GammaMLE, WeibullMLE or LogNormalMLE instance, default=None
        The two-parameter family; None means ``GammaMLE()``. Its settings
        (``fixed_params``, ``max_iter``, ``tol``) are kept; it must have no prior.
    loc : "fit" or float, default="fit"
        ``"fit"``: estimate the threshold (one more free parameter per column). A
        number: a known threshold below every value (the base fit of ``x - loc``).
    warm_start : bool, default=False
        With ``loc="fit"``, start the threshold search of the next ``fit`` from this
        fit's ``loc_`` and keep the local maximum of the profile it brackets within a
        few grid steps (else the full grid search runs). A parametric bootstrap refits
        this way (:func:`~sklearn_mle.model_selection.goodness_of_fit`): about five
        times fewer profile evaluations per replicate.

    Attributes
    ----------
    loc_ : ndarray of shape (n_features,)
        The threshold of each column.
    estimator_ : fitted estimator
        The base estimator fitted to ``X - loc_``.
    data_min_ : ndarray of shape (n_features,)
        ``min(x)`` of each column (rows of positive weight): ``loc_`` lies below it.
    boundary_ : ndarray of bool of shape (n_features,)
        Columns whose profile has no interior maximum: ``loc_`` is then the edge of
        the search (just below ``min(x)``: a J-shaped density, or far below it: the
        Gaussian limit), with a :class:`~sklearn_mle.exceptions.BoundaryWarning`.
    regular_ : bool
        Whether the Hessian standard errors are asymptotically valid: the shape of a
        shifted Gamma or Weibull above 2 (Smith 1985), always for the LogNormal; no
        boundary column. An :class:`~sklearn_mle.exceptions.InferenceWarning` says so
        when not.
    loglik_, n_params_, nobs_, param_names_, estimates_, cov_params_, bse_, pvalues_
        The inference surface: ``n_params_`` is the base's plus one per fitted
        threshold; ``param_names_`` is ``loc`` (``loc[x0]``, ... for several
        columns, ``loc[name]`` for named ones, as the base's) then the base's names;
        the covariance is the inverse of the negative exact Hessian of the full
        log-likelihood (the base family's observed information plus closed-form
        threshold terms; central differences only for a family without them).
    converged_ : bool
        Whether the final base fit converged.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string column names.

    See Also
    --------
    sklearn_mle.model_selection.rank_distributions : ``shifted=True`` ranks these
        variants next to the two-parameter families.

    Notes
    -----
    The Wald interval of ``loc`` is computed for ``log(min(x) - loc)`` and mapped
    back, so it stays below ``min(x)``; ``conf_int(method="profile")`` profiles the
    threshold and (one column) the base parameters with the threshold re-estimated.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_mle import GammaMLE
    >>> from sklearn_mle import ShiftedMLE
    >>> x = 10.0 + np.random.default_rng(0).gamma(4.0, 2.0, size=(400, 1))
    >>> est = ShiftedMLE(GammaMLE()).fit(x)
    >>> est.param_names_, est.n_params_
    (['loc', 'shape', 'rate'], 3)
    >>> a, loc, scale = stats.gamma.fit(x[:, 0])
    >>> bool(np.isclose(est.loc_[0], loc, rtol=1e-4))
    True
    >>> bool(est.loglik_ >= stats.gamma.logpdf(x[:, 0], a, loc, scale).sum() - 1e-6)
    True
    """

    _parameter_constraints: dict = {
        "estimator": [None, HasMethods(["fit", "score_samples", "sample"])],
        "loc": [StrOptions({"fit"}), Real],
        "warm_start": ["boolean"],
    }

    def __init__(self, estimator=None, *, loc="fit", warm_start=False):
        self.estimator = estimator
        self.loc = loc
        self.warm_start = warm_start

    # ------------------------------------------------------------------ fit
    def _base(self):
        if self.estimator is None:
            from ._gamma import GammaMLE

            return GammaMLE()
        return self.estimator

    def _to_base(self, X):
        """Shifted data in the base estimator's input form (a DataFrame when this fit
        has feature names, so the base's parameter names carry them)."""
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return X
        import pandas as pd

        return pd.DataFrame(X, columns=names)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the threshold(s) and the base family's parameters.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Each column one variable (any real values: the support follows ``loc``).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; integer weights equal repeated rows. Rows of weight
            0 do not bound the threshold.

        Returns
        -------
        self : object
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        X = np.asarray(X, dtype=np.float64)
        w = np.asarray(check_sample_weight(sample_weight, X, ones=True), dtype=float)
        keep = w > 0
        Xk, wk = X[keep], w[keep]
        if self.loc == "fit":
            # the rule counts distinct values, not rows, so integer weights act exactly
            # as repeated rows (a row count would refuse [a, b] weighted [1, 2])
            for j in range(X.shape[1]):
                if np.unique(Xk[:, j]).size < 2:
                    raise ValueError(
                        f"ShiftedMLE: {self._column(j)}: all values are equal ({len(Xk)} "
                        "sample(s) of positive weight); fitting a threshold needs at least "
                        "2 distinct values. Give loc=<a number below the data> or fit the "
                        "two-parameter estimator")
        base = self._base()
        if getattr(base, "prior", None) is not None:
            raise ValueError("ShiftedMLE fits the likelihood: give an estimator without "
                             f"a prior (got prior={base.prior!r})")
        d = X.shape[1]
        start = getattr(self, "loc_", None) if self.warm_start else None
        if start is not None and np.shape(start) == (d,):
            # a boundary threshold is no start: the full grid decides those cases
            start = np.where(self.boundary_, np.nan, start)
        else:
            start = None  # not fitted, or fitted to other columns
        self.data_min_ = Xk.min(axis=0)
        self.boundary_ = np.zeros(d, dtype=bool)
        notes = []
        if self.loc == "fit":
            locs = np.empty(d)
            for j in range(d):
                near = None if start is None or np.isnan(start[j]) else start[j]
                locs[j], _, status = profile_threshold(base, Xk[:, j], wk, near=near)
                if status != "interior":
                    self.boundary_[j] = True
                    notes.append(self._boundary_text(base, j, status, locs[j]))
        else:
            locs = np.full(d, float(self.loc))
            below = np.flatnonzero(locs >= self.data_min_)
            if below.size:
                j = int(below[0])
                raise ValueError(
                    f"ShiftedMLE: loc={self.loc!r} must lie below every value, but "
                    f"{self._column(j)} has min {self.data_min_[j]:.6g}")
        self.loc_ = locs
        self.estimator_ = clone(base).fit(self._to_base(Xk - locs), sample_weight=wk)
        family = getattr(self.estimator_, "family_", None)
        if family is None or family.name not in SHIFTABLE:
            raise ValueError(
                "ShiftedMLE needs GammaMLE, WeibullMLE or LogNormalMLE (a family of "
                f"positive data with a threshold variant), got {type(base).__name__}")
        for text in notes:
            warnings.warn(text, BoundaryWarning, stacklevel=2)
        self.loglik_ = float(self.estimator_.loglik_)
        self.nobs_ = float(self.estimator_.nobs_)
        self.converged_ = bool(getattr(self.estimator_, "converged_", True))
        self._train = (Xk, wk)  # profile intervals refit on it
        self._set_shifted_inference(Xk, wk)
        return self

    def _column(self, j):
        names = getattr(self, "feature_names_in_", None)
        return f"column {names[j]!r}" if names is not None else f"column {j}"

    def _boundary_text(self, base, j, status, loc):
        name = type(base).__name__
        where = "" if self.n_features_in_ == 1 else f" ({self._column(j)})"
        if status == "at min":
            return (
                f"ShiftedMLE({name}){where}: the likelihood grows without bound as loc "
                f"approaches min(x) = {self.data_min_[j]:.6g} and has no maximum below it "
                "(a J-shaped density, shape < 1): no threshold estimate exists. loc is "
                f"reported at the boundary, {loc:.10g}, with no standard error; use the "
                f"two-parameter {name} or give loc a known value.")
        return (
            f"ShiftedMLE({name}){where}: the profile likelihood keeps increasing as loc "
            "goes to -infinity (the data are not skewed enough for a threshold; the "
            f"limit is a Gaussian). loc is reported at the search's edge, {loc:.6g}, with "
            "no standard error; use GaussianMLE or the two-parameter family.")

    # -------------------------------------------------------------- scoring
    def score_samples(self, X):
        """Log-density of each sample (summed over columns); ``-inf`` at or below
        ``loc_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return self.estimator_.score_samples(self._to_base(np.asarray(X, float) - self.loc_))

    def score(self, X, y=None):
        """Mean log-likelihood per sample on ``X``."""
        return float(np.mean(self.score_samples(X)))

    def _total_loglik(self, X, y=None):
        return float(np.sum(self.score_samples(X)))

    def sample(self, n_samples: int = 1, random_state=None) -> np.ndarray:
        """Draw ``n_samples`` rows: the base family's draws plus ``loc_``.

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
        return np.asarray(self.estimator_.sample(n_samples, random_state=rng)) + self.loc_

    def to_scipy(self) -> list:
        """Frozen ``scipy.stats`` distributions of the fit, one per column, with
        ``loc=loc_`` (e.g. ``gamma(a, loc=loc_, scale=1/rate)``).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle import ShiftedMLE
        >>> x = 3.0 + np.random.default_rng(2).gamma(5.0, 1.0, size=(200, 1))
        >>> dist, = ShiftedMLE().fit(x).to_scipy()
        >>> dist.dist.name, bool(dist.support()[0] < x.min())
        ('gamma', True)
        """
        check_is_fitted(self)
        return [_shifted_frozen(dist, loc)
                for dist, loc in zip(self.estimator_.to_scipy(), self.loc_)]

    def _summary_facts(self):
        base = type(self.estimator_).__name__
        how = "fitted (profile likelihood)" if self.loc == "fit" else "known"
        facts = {"Family": f"shifted {base}", "Threshold": how}
        if self.loc == "fit" and not self.regular_:
            facts["Note"] = "threshold not regular: prefer profile/bootstrap intervals"
        return facts

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
