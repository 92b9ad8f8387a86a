"""MultinomialMLE: count vectors over d categories, closed-form MLE from column totals.

The computations live in the family (:mod:`sklearn_mle.families.multinomial`); this
module is the estimator: ``fixed_params``, names of the free probabilities, and
sampling with the row totals of the training data.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..families._probabilities import free_categories
from ..families.multinomial import Multinomial
from ..priors import Dirichlet
from ._base import DistributionMLE, PartialFitMixin

__all__ = ["MultinomialMLE"]

_MAX_FREE_PARAMS = 20_000  # dense covariance of the free probabilities: 3.2 GB at the limit


class MultinomialMLE(PartialFitMixin, DistributionMLE):
    """Multinomial distribution of count vectors, by maximum likelihood.

    Each row of X holds the counts of d categories (the columns) in ``n_i`` trials,
    ``n_i`` the row's total (varying from row to row). The MLE of the category
    probabilities is the column totals over the grand total; with
    ``prior=Dirichlet(alpha)`` the MAP estimate adds ``alpha - 1`` pseudo-counts to
    every column. The log-likelihood includes the multinomial coefficients
    ``log n_i! - sum_j log x_ij!``, so ``score_samples`` equals
    ``scipy.stats.multinomial(n_i, p).logpmf(x_i)``.

    The free parameters are the first d - 1 probabilities (the last is one minus
    their sum); their covariance, from the observed information, is
    ``(diag(p) - p p^T) / N`` with ``N`` the grand total of the counts.

    Parameters
    ----------
    prior : Dirichlet or None, default=None
        Conjugate prior on the probabilities (a scalar ``alpha`` or one value per
        column); None for the MLE. scikit-learn's ``MultinomialNB(alpha=a)``
        smoothing is the MAP under ``Dirichlet(a + 1)``.
    fixed_params : dict or None, default=None
        ``{"probabilities": p}`` with ``p`` of shape (n_features,), NaN for the free
        ones: the free probabilities share the remaining mass in proportion to
        their column totals (the constrained MLE).
    contamination : float, default=0.1
        Fraction of training samples below the novelty threshold ``offset_``.
    cov_type : {'nonrobust', 'HC0', 'HC1'}, default='nonrobust'
        Covariance of the estimates: the inverse observed information, or the
        sandwich (HC0; HC1 times ``n / (n - k)``) robust to a misspecified family.

    Attributes
    ----------
    probabilities_ : ndarray of shape (n_features,)
        Probability of each category (column); they sum to 1.
    family_ : Multinomial
        The family (:class:`~sklearn_mle.families.multinomial.Multinomial`):
        ``family_.stats(X, W)`` with ``W`` of shape (n_samples, k) gives k classes'
        statistics in one matrix product.
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide: likelihood, inference and novelty detection. ``nobs_``
        is the (weighted) number of rows.

    Notes
    -----
    ``sample(n, n_trials=None)`` draws the row totals from those of the training
    data (resampled with their sample weights; ``partial_fit`` adds each batch's),
    or uses the given ``n_trials``. At most 20 000 free probabilities (the dense
    covariance matrix grows as its square).

    Examples
    --------
    Word counts of three documents over a vocabulary of four words:

    >>> import numpy as np
    >>> from sklearn_mle import MultinomialMLE
    >>> X = np.array([[3, 0, 1, 0], [2, 1, 1, 0], [1, 1, 2, 4]])
    >>> est = MultinomialMLE().fit(X)
    >>> est.probabilities_.tolist()
    [0.375, 0.125, 0.25, 0.25]
    >>> est.param_names_, est.n_params_
    (['p[x0]', 'p[x1]', 'p[x2]'], 3)
    >>> round(float(est.bse_[0]), 6)   # sqrt(p (1 - p) / 16)
    0.121031
    """

    _count_input = True
    _param_names = ("probabilities",)
    _bounds = {"probabilities": (0.0, 1.0)}
    _supported_priors = (Dirichlet,)
    _prior_param = "probabilities"
    _integer_domain = True
    _sklearn_xfail_checks = {
        "check_sample_weight_equivalence_on_dense_data": (
            "this check draws X from uniform floats, ignoring the integer input tag; "
            "integer weights == repeated rows is tested in tests/test_multinomial.py"
        ),
    }

    def _make_family(self, X=None, sample_weight=None):
        return Multinomial()

    # ----------------------------------------------------------- fixed values
    def _fixed_value_array(self, name, value, d):
        arr = super()._fixed_value_array(name, value, d)
        given = arr[~np.isnan(arr)]
        total = float(given.sum())
        if given.size == d and abs(total - 1.0) > 1e-9:
            raise ValueError(f"fixed_params: probabilities must sum to 1, got {total!r}")
        if given.size < d and total >= 1.0:
            raise ValueError(
                f"fixed_params: the fixed probabilities sum to {total!r}, leaving nothing "
                "for the free categories"
            )
        return arr

    # -------------------------------------------------------------------- fit
    def _fit_from_stats(self, stats):
        d = self.n_features_in_
        if float(np.max(stats.weight)) <= 0:
            raise ValueError(f"{type(self).__name__}: the sample weights sum to zero")
        fixed = self._fixed_arrays(d)
        self._fixed = fixed
        self.fixed_params_ = {k: v.copy() for k, v in fixed.items()}
        # a copy made by from_stats keeps the prior it was fitted with
        if not self.__dict__.pop("_keep_prior", False):
            self._resolve_prior(stats)
        params = self._solve(stats, fixed)
        self._params = params
        self.probabilities_ = np.array(params["probabilities"], dtype=float)
        self.params_ = {"probabilities": self.probabilities_.copy()}
        self.nobs_ = float(np.max(stats.weight))
        self.loglik_ = float(self._objective(stats, params))
        given = fixed.get("probabilities")
        free = free_categories(d, given)
        self._flat_index = [(0, int(j)) for j in free]
        if free.size > _MAX_FREE_PARAMS:
            raise ValueError(
                f"MultinomialMLE: {free.size} free probabilities, too many for a covariance "
                f"matrix (limit {_MAX_FREE_PARAMS}); use the family directly "
                "(family_.stats / family_.mode) for estimates without inference"
            )
        names = [self._flat_name("p", int(j)) for j in free]
        est = self.probabilities_[free]
        self.n_params_ = len(names)
        post = self._posterior(stats)
        cov = self.family_.covariance(post, params, fixed)
        if cov is not None:
            self._set_inference(names, est, cov=cov)
        else:  # a zero count: the information is singular (infinite SEs there)
            info = self.family_.information(post, params, fixed)
            self._set_inference(names, est, information=np.where(np.isfinite(info), info, 0.0))

    def _flat_name(self, name, j):
        feat = getattr(self, "feature_names_in_", None)
        return f"{name}[{feat[j]}]" if feat is not None else f"{name}[x{j}]"

    def _flat_inference(self, stats, params, fixed):
        """Names, estimates and observed information of the free probabilities
        (``_fit_from_stats`` uses the family's closed-form covariance instead)."""
        free = free_categories(self.n_features_in_, fixed.get("probabilities"))
        info = self.family_.information(self._posterior(stats), params, fixed)
        return ([self._flat_name("p", int(j)) for j in free],
                np.asarray(params["probabilities"], dtype=float)[free], info)

    def _param_bounds(self):
        rest = 1.0 - float(np.nansum(self._fixed.get("probabilities", np.zeros(1))))
        k = len(self._flat_index)
        return np.zeros(k), np.full(k, rest)

    def _profile_loglik(self, index, value):
        _, j = self._flat_index[index]
        fixed = {k: v.copy() for k, v in self._fixed.items()}
        arr = fixed.setdefault("probabilities", np.full(self.n_features_in_, np.nan))
        arr[j] = value
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            params = self._solve(self.stats_, fixed)
        return self._objective(self.stats_, params)

    # --------------------------------------------------------------- sampling
    def sample(self, n_samples: int = 1, random_state=None, n_trials=None) -> np.ndarray:
        """Draw ``n_samples`` count vectors from the fitted distribution.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None
        n_trials : None, int or array-like of shape (n_samples,), default=None
            The row totals. None: drawn from the row totals of the training data
            (with their sample weights, every batch of ``partial_fit`` included).

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        if int(n_samples) < 1:
            raise ValueError(f"n_samples must be >= 1, got {n_samples}")
        rng = check_random_state(random_state)
        if n_trials is None:
            values, weights = self.stats_.total_value, self.stats_.total_weight
            n_trials = rng.choice(values, size=int(n_samples), p=weights / weights.sum())
        else:
            n_trials = np.asarray(n_trials)
            if n_trials.ndim and n_trials.shape != (int(n_samples),):
                raise ValueError(
                    f"n_trials needs an int or {int(n_samples)} values (one per sample), "
                    f"got shape {n_trials.shape}"
                )
        return self.family_.sample(self._params, int(n_samples), rng, n_trials=n_trials)
