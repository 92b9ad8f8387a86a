"""GaussianMLE: the Gaussian family (:mod:`sklearn_mle.families.gaussian`) as an estimator."""

from __future__ import annotations

import numpy as np
from scipy import linalg
from sklearn.utils._param_validation import StrOptions

from .._engine.rules import DomainError
from ..families.gaussian import Gaussian, centred_moments
from ..inference._utils import ScaledInformation, warn_unrepresentable_variances
from ..priors import NormalInverseGamma
from ._base import DistributionMLE, PartialFitMixin

__all__ = ["GaussianMLE", "centred_moments"]


class GaussianMLE(PartialFitMixin, DistributionMLE):
    """Gaussian distribution fitted by maximum likelihood.

    ``mean_`` is the sample mean and ``covariance_`` the MLE covariance, which
    divides by n (not n - 1). Columns are modelled jointly (``"full"``), or
    independently (``"diag"``, and ``"spherical"`` with one shared variance).

    Parameters
    ----------
    covariance_type : {"full", "diag", "spherical"}, default="full"
        Form of the covariance matrix.
    prior : NormalInverseGamma or None, default=None
        Conjugate prior on (mean, variance) of each column, for ``"diag"`` and
        ``"spherical"``; None for the MLE.
    fixed_params : dict or None, default=None
        ``{"mean": ...}`` and/or ``{"covariance": ...}`` (alias ``"variance"``) hold
        parameters at known values, e.g. the known-variance model.
    contamination : float, default=0.1
        Fraction of training samples below the novelty threshold ``offset_``.
    cov_type : {'nonrobust', 'HC0', 'HC1'}, default='nonrobust'
        Covariance of the estimates: the inverse observed information, or the
        sandwich (HC0; HC1 times ``n / (n - k)``) robust to a misspecified family.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    covariance_ : ndarray
        (n_features, n_features) for "full", (n_features,) for "diag", a scalar
        array for "spherical".
    loglik_, n_params_, nobs_, params_, param_names_, cov_params_, bse_, offset_, stats_
        See the user guide.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import GaussianMLE
    >>> heights = np.array([[160.0], [165.0], [170.0], [175.0], [180.0]])
    >>> est = GaussianMLE().fit(heights)
    >>> float(est.mean_[0]), float(est.covariance_[0, 0])
    (170.0, 50.0)
    >>> known = GaussianMLE(fixed_params={"covariance": 25.0}).fit(heights)
    >>> float(known.mean_[0]), known.n_params_
    (170.0, 1)
    """

    _parameter_constraints: dict = {
        # scikit-learn's idiom: a subclass extends its base's constraints
        **DistributionMLE._parameter_constraints,  # noqa: SLF001
        "covariance_type": [StrOptions({"full", "diag", "spherical"})],
    }
    _param_names = ("mean", "covariance")
    _bounds = {"covariance": (0.0, np.inf)}
    _supported_priors = (NormalInverseGamma,)
    _stats_check_finite = True

    def __init__(
        self, covariance_type="full", *, prior=None, fixed_params=None, contamination=0.1,
        cov_type="nonrobust",
    ):
        self.covariance_type = covariance_type
        super().__init__(prior=prior, fixed_params=fixed_params, contamination=contamination,
                         cov_type=cov_type)

    # --------------------------------------------------------------- hooks
    def _make_family(self, X=None, sample_weight=None):
        return Gaussian(self.covariance_type)

    def _check_domain(self, X):
        if self.prior is not None and self.covariance_type == "full":
            raise ValueError(
                "GaussianMLE: prior=NormalInverseGamma applies to covariance_type='diag' or "
                "'spherical'; use one of those with a prior"
            )

    def _suff_stats(self, X, w):
        stats = super()._suff_stats(X, w)
        self._tiny_spread = _tiny_spread(X, w, stats, self.covariance_type == "full")
        return stats

    def _fit_from_stats(self, stats):
        # a column of this batch whose values differ by less than 1.5e-154: where the
        # variance of all the data so far is below the normal range too, it is not the
        # constant column a zero (or denormal, digitless) variance would say
        tiny = self.__dict__.pop("_tiny_spread", None)
        if tiny:
            var = _variances(stats, self.covariance_type == "full")
            if self.covariance_type == "spherical":  # one variance shared by the columns
                var = np.full(var.shape, np.mean(var))
            for j, (i, value) in tiny.items():
                if not var[j] >= _TINY:
                    err = DomainError(_UNDERFLOW_RULE, column=j, row=i, value=value)
                    raise ValueError(err.message(type(self).__name__,
                                                 self._column_name(j))) from None
        return super()._fit_from_stats(stats)

    def _fixed_value_array(self, name, value, d):
        arr = np.asarray(value, dtype=float)
        if name == "covariance" and self.covariance_type == "full":
            if arr.ndim == 0 and d == 1:
                arr = arr.reshape(1, 1)
            if arr.shape != (d, d):
                raise ValueError(
                    f"fixed_params: covariance for covariance_type='full' must have shape "
                    f"({d}, {d}), got {arr.shape}"
                )
            if not np.allclose(arr, arr.T) or np.any(linalg.eigvalsh(arr) <= 0):
                raise ValueError("fixed_params: covariance must be symmetric positive definite")
            return arr.copy()
        if name == "covariance" and self.covariance_type == "spherical":
            if arr.size != 1:
                raise ValueError("fixed_params: a spherical covariance is one scalar variance")
            var = float(arr.reshape(()))
            if not np.isnan(var) and not (0.0 < var < np.inf):
                raise ValueError(
                    f"fixed_params: covariance must lie in (0.0, inf), got {value!r}"
                )
            return arr.reshape(1).copy()
        return super()._fixed_value_array(name, value, d)

    def _fixed_params_items(self):
        return [("covariance" if k == "variance" else k, v)
                for k, v in (self.fixed_params or {}).items()]

    # ------------------------------------------------------------ inference
    def _flat_inference(self, stats, params, fixed):
        ctype = self.covariance_type
        if ctype == "diag":
            return super()._flat_inference(stats, params, fixed)
        n = float(stats.weight)
        mean, cov = params["mean"], params["covariance"]
        d = mean.size
        free_mean = np.isnan(fixed.get("mean", np.full(d, np.nan)))
        free_cov = "covariance" not in fixed
        names, est = [], []
        for j in np.flatnonzero(free_mean):
            names.append(self._flat_name("mean", j))
            est.append(mean[j])
        self._flat_index = [(0, j) for j in np.flatnonzero(free_mean)]
        if ctype == "spherical":
            # the family's per-column information, in units of (sd, variance): the
            # shared variance's entries add up (its scale is the same in every column)
            info_cols, scale_cols = self._scaled_information(stats, params)
            info_mean = np.diag(info_cols[free_mean, 0, 0])
            scale = list(scale_cols[free_mean, 0])
            if not free_cov:
                return names, np.asarray(est), ScaledInformation(info_mean, np.array(scale))
            names.append("covariance")
            est.append(float(cov))
            self._flat_index.append((1, 0))
            scale.append(scale_cols[0, 1])
            k = len(est)
            info = np.zeros((k, k))
            info[:-1, :-1] = info_mean
            info[-1, -1] = info_cols[:, 1, 1].sum()
            info[-1, :-1] = info[:-1, -1] = info_cols[free_mean, 0, 1]
            return names, np.asarray(est), ScaledInformation(info, np.array(scale))
        # full: covariance of the estimates in closed form (no matrix inverse), on the
        # standardised scale t_i = sqrt(Sigma_ii), r = Sigma / (t t'), so that neither
        # the variances of the variances (of the order of Sigma**2) nor their standard
        # errors over- or underflow before the standard errors themselves do:
        # cov(mean) = Sigma / n; cov(s_ij, s_kl) = (s_ik s_jl + s_il s_jk) / n
        t = np.sqrt(np.diag(cov))
        t = np.where((t > 0) & np.isfinite(t), t, 1.0)
        r = cov / t[:, None] / t[None, :]
        idx_mean = np.flatnonzero(free_mean)
        blocks = [r[np.ix_(idx_mean, idx_mean)]]
        scales = [t[idx_mean]]
        if free_cov:
            ii, jj = np.tril_indices(d)
            feat = getattr(self, "feature_names_in_", None)
            lab = [str(f) for f in feat] if feat is not None else [f"x{j}" for j in range(d)]
            for i, j in zip(ii, jj):
                names.append(f"covariance[{lab[i]},{lab[j]}]" if d > 1 or feat is not None
                             else "covariance")
                est.append(cov[i, j])
            blocks.append(r[np.ix_(ii, ii)] * r[np.ix_(jj, jj)]
                          + r[np.ix_(ii, jj)] * r[np.ix_(jj, ii)])
            with np.errstate(over="ignore"):  # a product beyond float64: the SE is inf
                scales.append(t[ii] * t[jj])
        self._flat_index = None
        k = len(est)
        norm = np.zeros((k, k))
        m = len(idx_mean)
        norm[:m, :m] = blocks[0]
        if free_cov:
            norm[m:, m:] = blocks[1]
        scale = np.concatenate(scales) / np.sqrt(n)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            self._full_cov = (norm * scale[:, None]) * scale[None, :]
            self._full_se = scale * np.sqrt(np.diag(norm))
        return names, np.asarray(est), None

    def _set_inference(self, names, estimates, information=None, cov=None, se=None):
        if information is None and cov is None:
            cov, se = self._full_cov, self._full_se
            if np.any(~np.isfinite(se)) or np.any(se <= 0):
                diag = np.diag(cov)
                with np.errstate(divide="ignore"):  # the zeros are not divided
                    info = np.where(diag > 0, 1.0 / np.where(diag > 0, diag, 1.0), 0.0)
                return super()._set_inference(names, estimates, information=np.diag(info))
            # not singular: the variances of the covariance estimates (of the order of
            # covariance**2) may leave float64 where their standard errors do not
            warn_unrepresentable_variances(np.diag(cov), se, np.zeros(se.size, bool),
                                           names, stacklevel=3)
        return super()._set_inference(names, estimates, information=information, cov=cov,
                                      se=se)

    def _param_bounds(self):
        if self.covariance_type != "diag":
            raise ValueError(
                "profile intervals are implemented for covariance_type='diag'; use "
                "method='wald' for 'full' and 'spherical'"
            )
        return super()._param_bounds()

    def _profile_loglik(self, index, value):
        if self.covariance_type != "diag":
            self._param_bounds()
        return super()._profile_loglik(index, value)


_TINY = np.finfo(float).tiny
_UNDERFLOW_RULE = (
    "the variance of the data is below the float64 range (about 2.2e-308): the values "
    "differ by less than 1.5e-154, whose squares underflow, and the column is not "
    "constant; rescale the column, e.g. multiply it by a power of ten near 1 / its "
    "largest value")


def _variances(stats, full):
    m2 = np.diag(stats.m2) if full else np.asarray(stats.m2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        return m2 / float(stats.weight)


def _tiny_spread(X, w, stats, full):
    """``{column: (row, value)}`` of the columns whose variance is below the normal
    range while their values (rows of positive weight) differ, by less than
    sqrt(tiny) = 1.5e-154; one pass over those columns only (constant ones included)."""
    out = {}
    low = np.flatnonzero(~(_variances(stats, full) >= _TINY))
    if low.size == 0 or X.shape[0] == 0:
        return out
    rows = np.flatnonzero(np.asarray(w) > 0) if w is not None else np.arange(X.shape[0])
    if rows.size == 0:
        return out
    for j in low:
        col = np.asarray(X[rows, j], dtype=np.float64)
        dev = np.abs(col - col[0])
        k = int(np.argmax(dev))
        if 0.0 < dev[k] < np.sqrt(_TINY):
            out[int(j)] = (int(rows[k]), float(col[k]))
    return out
