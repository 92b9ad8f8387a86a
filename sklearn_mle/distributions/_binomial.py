"""BinomialMLE: a thin shell over the Binomial family (known number of trials)."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval

from .. import _native as native
from ..families._stats import unit_weights
from ..families.binary import Binomial
from ..priors import Beta
from ._base import DistributionMLE, PartialFitMixin


class BinomialMLE(PartialFitMixin, DistributionMLE):
    """Binomial distribution with known trials fitted by maximum likelihood.

    Each column holds success counts out of ``n_trials`` trials;
    ``p_ = sum(x) / (n_trials * n)``. With ``prior=Beta(a, b)`` the MAP estimate is
    ``(sum x + a - 1) / (n_trials * n + a + b - 2)``.

    Parameters
    ----------
    n_trials : int, array-like of int or None, default=None
        Number of trials (>= 1) behind every count: one value for all columns or
        one per column. None takes, per column, the largest count seen in ``fit``
        (rows with positive weight; at least 1): only right when some row reached
        the maximum, so pass it when it is known. ``partial_fit`` keeps the value
        of its first batch, and later batches must stay within it.
    prior : Beta or None, default=None
        Conjugate prior on ``p``; None for the MLE.
    fixed_params : dict or None, default=None
        ``{"p": value}`` holds ``p`` fixed.
    contamination : float, default=0.1
        Fraction of training samples below the novelty threshold ``offset_``.
    cov_type : {'nonrobust', 'HC0', 'HC1'}, default='nonrobust'
        Covariance of the estimates: the inverse observed information, or the
        sandwich (HC0; HC1 times ``n / (n - k)``) robust to a misspecified family.

    Attributes
    ----------
    p_ : ndarray of shape (n_features,)
        Success probability of each column.
    n_trials_ : ndarray of shape (n_features,)
        Number of trials of each column used in the fit.
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide: likelihood, inference and novelty detection.

    Notes
    -----
    A column with no successes (or no failures) puts the MLE on the boundary
    ``p = 0`` (or 1), where standard errors are not defined: a
    :class:`BoundaryWarning` says so, and a ``Beta`` prior gives an interior estimate.
    Rows of zero weight count for nothing, so they are not checked against
    ``n_trials`` (other values outside the support still raise).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import BinomialMLE
    >>> heads = np.array([[3], [5], [4], [6]])   # heads in 4 rounds of 10 flips
    >>> est = BinomialMLE(n_trials=10).fit(heads)
    >>> float(est.p_[0]), round(float(est.bse_[0]), 6)   # sqrt(p (1 - p) / 40)
    (0.45, 0.078661)
    """

    _parameter_constraints: dict = {
        **DistributionMLE._parameter_constraints,  # noqa: SLF001 - scikit-learn extends its parent's
        "n_trials": [None, Interval(Integral, 1, None, closed="left"), "array-like"],
    }
    _count_input = True
    _param_names = ("p",)
    _bounds = {"p": (0.0, 1.0)}
    _supported_priors = (Beta,)
    _prior_param = "p"
    _integer_domain = True
    _sklearn_xfail_checks = {
        "check_sample_weight_equivalence_on_dense_data": (
            "the check fits uniform floats in [0, 1) without applying the input tags, and "
            "binomial counts must be integers; integer weights == repeated rows is tested in "
            "tests/test_closed_form_families.py"
        ),
    }

    def __init__(self, n_trials=None, *, prior=None, fixed_params=None, contamination=0.1,
                 cov_type="nonrobust"):
        self.n_trials = n_trials
        super().__init__(prior=prior, fixed_params=fixed_params, contamination=contamination,
                         cov_type=cov_type)

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the fit with a batch: ``stats_ = stats_ + stats(batch)``.

        ``n_trials=None`` is resolved from the first batch and kept: later batches
        must stay within it.

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
        return super().partial_fit(X, y, sample_weight)

    _fit_dtypes = native.COUNT_DTYPES  # integer counts are read without a float copy
    _stats_check_finite = True

    def _make_family(self, X=None, sample_weight=None):
        """The Binomial family with ``n_trials`` per column: as given, or (None) the
        largest count of a row of positive weight, resolved once here."""
        d = X.shape[1]
        if self.n_trials is None:
            unit = sample_weight is None or unit_weights(sample_weight)
            return Binomial.from_data(X, None if unit else sample_weight)
        arr = np.asarray(self.n_trials)
        if arr.ndim == 0:
            arr = np.full(d, arr)
        if arr.shape != (d,):
            raise ValueError(
                f"BinomialMLE: n_trials needs one integer or {d} (one per column), "
                f"got shape {arr.shape}"
            )
        try:
            return Binomial(arr)
        except ValueError:
            raise ValueError(
                f"BinomialMLE: n_trials must be integers in [1, 2**53], got {self.n_trials!r}"
            ) from None

    @property
    def n_trials_(self):
        """Number of trials of each column used in the fit, shape (n_features,)."""
        return self.family_.trials(self.n_features_in_)
