"""Binomial with a known number of trials: closed-form MLE from successes and trials."""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
from scipy import special
from sklearn.utils._param_validation import Interval

from .. import _native as native
from ..exceptions import BoundaryWarning
from ..families._count_sums import weighted_column_sums
from ..families._stats import Stats, total_weight, unit_weights
from ..priors import Beta
from ._base import DistributionMLE, PartialFitMixin
from ._exponential import check_non_negative

_HIST_MAX = 1_000_000  # n_trials up to this: log C(n, x) via a histogram of x


def log_binom_sum(X, w, n_trials):
    """Weighted column sums of ``log C(n_trials, x)`` for integer ``0 <= x <= n_trials``.

    Rows outside ``[0, n_trials]`` must carry zero weight; they are skipped.
    """
    out = np.empty(X.shape[1])
    for j in range(X.shape[1]):
        n = float(n_trials[j])
        col = X[:, j].astype(np.float64, copy=False)
        keep = (col >= 0) & (col <= n)
        col, wj = (col, w) if keep.all() else (col[keep], w[keep])
        if n <= _HIST_MAX:
            counts = np.bincount(col.astype(np.intp), weights=wj, minlength=int(n) + 1)
            k = np.arange(counts.size, dtype=np.float64)
            logc = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
            out[j] = counts @ logc
        else:
            logc = special.gammaln(n + 1) - special.gammaln(col + 1) - special.gammaln(n - col + 1)
            out[j] = wj @ logc
    return out


_TABLE_MAX = 1 << 22  # entries of the C kernel's log C(n, k) tables, all columns


def log_binom_tables(n_trials):
    """``log C(n_j, k)`` for ``k < 2**m`` per column (NaN beyond ``n_j``), or None when
    the tables would be too large. Rows: columns; length: a power of two > max n_j."""
    top = int(np.max(n_trials))
    size = 1 << max(1, top.bit_length())
    if size * len(n_trials) > _TABLE_MAX:
        return None
    k = np.arange(size, dtype=np.float64)
    n = np.asarray(n_trials, dtype=np.float64)[:, None]
    with np.errstate(invalid="ignore"):
        logc = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
    return np.where(k <= n, logc, np.nan)


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
        **DistributionMLE._parameter_constraints,
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

    def __init__(self, n_trials=None, *, prior=None, fixed_params=None, contamination=0.1):
        self.n_trials = n_trials
        super().__init__(prior=prior, fixed_params=fixed_params, contamination=contamination)

    def fit(self, X, y=None, sample_weight=None):
        """Fit ``p`` to the columns of ``X`` by maximum likelihood (or MAP).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Success counts, integers in ``[0, n_trials]``.
        y : None
            Ignored, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; integer weights equal repeated rows.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self.__dict__.pop("n_trials_", None)  # a new fit resolves n_trials afresh
        return super().fit(X, y, sample_weight)

    def _given_n_trials(self, d):
        """``n_trials`` as a (d,) float array, or None when taken from the data."""
        if hasattr(self, "n_trials_"):
            return self.n_trials_
        if self.n_trials is None:
            return None
        arr = np.asarray(self.n_trials)
        if arr.ndim == 0:
            arr = np.full(d, arr)
        if arr.shape != (d,):
            raise ValueError(
                f"BinomialMLE: n_trials needs one integer or {d} (one per column), "
                f"got shape {arr.shape}"
            )
        if not np.all(np.isfinite(arr.astype(float))) or np.any(arr < 1) or np.any(
            arr != np.floor(arr)
        ):
            raise ValueError(f"BinomialMLE: n_trials must be integers >= 1, got {self.n_trials!r}")
        return arr.astype(np.float64)

    _fit_dtypes = native.COUNT_DTYPES  # integer counts are read without a float copy
    _stats_check_finite = True


    def _check_values(self, X):
        check_non_negative(self, X, "binomial counts must be integers in [0, n_trials]")
        self._domain_error(
            X, X != np.floor(X), "binomial counts must be integers in [0, n_trials]"
        )
        n_trials = self._given_n_trials(X.shape[1])
        if n_trials is not None:
            self._domain_error(
                X,
                X > n_trials,
                f"binomial counts must be integers in [0, n_trials]; n_trials is "
                f"{_fmt_trials(n_trials)}",
            )

    def _suff_stats(self, X, w):
        d = X.shape[1]
        n_trials = self._given_n_trials(d)
        tables = None if n_trials is None else log_binom_tables(n_trials)
        sums = None if tables is None else native.table_sums(
            X, tables, native.LARGE_INVALID, None if unit_weights(w) else w)
        if sums is not None:  # one fused C pass: successes and log C(n, x), checked
            if not hasattr(self, "n_trials_"):
                self.n_trials_ = n_trials
            return Stats(weight=np.full(d, total_weight(w)), sum_x=sums[0], sum_logc=sums[1])
        self._reject_invalid(X)
        if n_trials is None:
            pos = w > 0
            top = X[pos].max(axis=0) if pos.any() else np.zeros(d)
            n_trials = np.maximum(top.astype(np.float64), 1.0)
            self.n_trials_ = n_trials
        elif not hasattr(self, "n_trials_"):
            self.n_trials_ = n_trials
        # zero-weight rows beyond n_trials (possible when n_trials comes from the data)
        # contribute nothing
        inside = X <= n_trials
        Xs = X if inside.all() else np.where(inside, X, 0)
        return Stats(
            weight=np.full(d, w.sum()),
            sum_x=weighted_column_sums(Xs, w),
            sum_logc=log_binom_sum(X, w, n_trials),
        )

    def _solve(self, stats, fixed):
        num = stats.sum_x.astype(float)
        den = stats.weight * self.n_trials_
        if self.prior is not None:
            num = num + self.prior.a - 1.0
            den = den + self.prior.a + self.prior.b - 2.0
            if np.any(num < 0) or np.any(num > den) or np.any(den <= 0):
                raise ValueError(
                    f"{self.prior!r} with a or b < 1 has no posterior mode for this data; "
                    "use a, b >= 1"
                )
        p = num / den
        free = np.isnan(fixed.get("p", np.full(p.shape, np.nan)))
        p = np.where(free, p, fixed.get("p", p))
        if self.prior is None and np.any(((p == 0) | (p == 1)) & free):
            warnings.warn(
                "BinomialMLE: a column has no successes (or no failures), so the MLE of p "
                "is 0 (or 1), on the boundary: standard errors are not defined there. A "
                "prior such as prior=Beta(2, 2) gives an interior estimate.",
                BoundaryWarning,
                stacklevel=4,
            )
        return {"p": p}

    def _loglik(self, stats, params):
        p = params["p"]
        fails = stats.weight * self.n_trials_ - stats.sum_x
        return stats.sum_logc + special.xlogy(stats.sum_x, p) + special.xlog1py(fails, -p)

    def _information(self, stats, params):
        p = params["p"]
        fails = stats.weight * self.n_trials_ - stats.sum_x
        with np.errstate(divide="ignore", invalid="ignore"):
            info = stats.sum_x / p**2 + fails / (1 - p) ** 2
        return np.where((p > 0) & (p < 1), info, 0.0)[:, None, None]

    def _logpdf(self, X, params):
        p, n = params["p"], self.n_trials_
        inside = (X >= 0) & (X <= n) & (X == np.floor(X))
        Xc = np.where(inside, X, 0.0)
        lp = (
            special.gammaln(n + 1)
            - native.log_factorial(Xc)
            - native.log_factorial(n - Xc)
            + special.xlogy(Xc, p)
            + special.xlog1py(n - Xc, -p)
        )
        return np.where(inside, lp, -np.inf)

    def _sample(self, params, n, rng):
        p = params["p"]
        return rng.binomial(self.n_trials_.astype(np.int64), p, size=(n, p.size)).astype(float)



def _fmt_trials(n_trials):
    vals = np.unique(n_trials)
    return str(int(vals[0])) if vals.size == 1 else str(n_trials.astype(int).tolist())
