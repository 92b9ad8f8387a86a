"""The Gaussian: closed-form MLE (and conjugate MAP) from centred moments."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg, special
from sklearn.utils._param_validation import StrOptions

from .. import _native as native
from ..exceptions import BoundaryWarning
from ..families._stats import CentredStats, total_weight, unit_weights
from ..priors import NormalInverseGamma
from ._base import DistributionMLE, PartialFitMixin

_BLOCK_ELEMENTS = 1 << 16  # ~512 KiB of float64 per block: stays in cache


def centred_moments(X, w, full):
    """Weight, mean and centred second moment of the rows of X in one blocked pass.

    Rows are shifted by the first row before accumulating, so large offsets do not
    cancel catastrophically, and each block's temporary is small (no full-size copy).
    """
    n, d = X.shape
    unit = unit_weights(w)
    if unit and (X.dtype == np.float64 or native.AVAILABLE):
        fast = _raw_moments(X, full)
        if fast is not None:
            return fast
    shift = X[0].astype(np.float64)
    rows = max(1, _BLOCK_ELEMENTS // max(d, 1))
    s1 = np.zeros(d)
    s2 = np.zeros((d, d)) if full else np.zeros(d)
    for start in range(0, n, rows):
        z = X[start : start + rows] - shift
        if unit:
            s1 += z.sum(axis=0)
            s2 += z.T @ z if full else np.einsum("ij,ij->j", z, z)
        else:
            wb = w[start : start + rows]
            wz = z * wb[:, None]
            s1 += wz.sum(axis=0)
            s2 += wz.T @ z if full else np.einsum("ij,ij->j", wz, z)
    total = total_weight(w)
    mean = shift + s1 / total
    m2 = s2 - (np.outer(s1, s1) if full else s1**2) / total
    if full:
        m2 = 0.5 * (m2 + m2.T)
    else:
        m2 = np.maximum(m2, 0.0)
    return CentredStats(weight=np.asarray(total), mean=mean, m2=m2)


def _raw_moments(X, full):
    """Unweighted moments from plain sums (the one-pass floor).

    The C kernel sums ``z = x - x[0]`` and ``z**2`` in one fused pass (one column, or
    the diagonal); otherwise NumPy's ``X.sum`` and a dot product on the raw values.
    ``sum z**2 - n mean_z**2`` loses ``log10(sum z**2 / m2)`` digits; when more than six
    would be lost (four on the unshifted NumPy sums, whose own rounding is larger),
    returns None and the caller uses the shifted blocked pass instead, so accuracy
    stays ~1e-10 or better.
    """
    n, d = X.shape
    shift = np.zeros(d)
    sums, digits = None, 1e-6
    if d == 1 or not full:
        shift = X[0].astype(np.float64)
        sums = native.moment_sums(X, shift)
    if sums is not None:
        s1, sq = sums
        raw = sq[:, None] if full else sq
    elif X.dtype != np.float64:
        return None
    else:
        shift, digits = np.zeros(d), 1e-4
        if d == 1:
            col = X[:, 0]
            s1 = np.array([col.sum()])
            raw = np.array([[np.dot(col, col)]]) if full else np.array([np.dot(col, col)])
        else:
            s1 = X.sum(axis=0)
            raw = X.T @ X if full else np.einsum("ij,ij->j", X, X)
    sq = np.diag(raw) if full else raw
    m2 = raw - (np.outer(s1, s1) if full else s1**2) / n
    m2_diag = np.diag(m2) if full else m2
    if not np.all(np.isfinite(raw)) or np.any(m2_diag <= digits * sq):
        return None
    if full:
        m2 = 0.5 * (m2 + m2.T)
    return CentredStats(weight=np.asarray(float(n)), mean=shift + s1 / n, m2=m2)


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
        **DistributionMLE._parameter_constraints,
        "covariance_type": [StrOptions({"full", "diag", "spherical"})],
    }
    _param_names = ("mean", "covariance")
    _bounds = {"covariance": (0.0, np.inf)}
    _supported_priors = (NormalInverseGamma,)
    _stats_check_finite = True

    def __init__(
        self, covariance_type="full", *, prior=None, fixed_params=None, contamination=0.1
    ):
        self.covariance_type = covariance_type
        super().__init__(prior=prior, fixed_params=fixed_params, contamination=contamination)

    # --------------------------------------------------------------- hooks
    def _check_domain(self, X):
        if self.prior is not None and self.covariance_type == "full":
            raise ValueError(
                "GaussianMLE: prior=NormalInverseGamma applies to covariance_type='diag' or "
                "'spherical'; use one of those with a prior"
            )

    def _suff_stats(self, X, w):
        with np.errstate(invalid="ignore", over="ignore"):  # NaN/inf: raised below
            stats = centred_moments(X, w, full=self.covariance_type == "full")
        if not (np.all(np.isfinite(stats.mean)) and np.all(np.isfinite(stats.m2))):
            self._raise_non_finite(X)  # fit skipped sklearn's finiteness pass
        return stats

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
            return arr.reshape(1).copy()
        return super()._fixed_value_array(name, value, d)

    def _fixed_params_items(self):
        return [("covariance" if k == "variance" else k, v)
                for k, v in (self.fixed_params or {}).items()]

    def _prior_constants(self, stats):
        """(mu0, kappa, c0, beta) of the NIG prior, data-driven where unset."""
        pr = self.prior
        mean = stats.mean
        var = np.asarray(stats.m2) / float(stats.weight)
        mu0 = mean if pr.mu is None else np.broadcast_to(np.asarray(pr.mu, float), mean.shape)
        if pr.beta is None:
            beta = np.maximum(var if var.ndim == 1 else np.diag(var), 1e-12) * 0.5
            beta = np.where(beta > 0, beta, 1.0)
        else:
            beta = np.broadcast_to(np.asarray(pr.beta, float), mean.shape)
        return mu0, float(pr.kappa), float(pr.alpha), beta

    def _solve(self, stats, fixed):
        n = float(stats.weight)
        xbar, m2 = stats.mean, stats.m2
        ctype = self.covariance_type
        d = xbar.size
        fmean = fixed.get("mean", np.full(d, np.nan))
        if ctype == "full":
            mean = np.where(np.isnan(fmean), xbar, fmean)
            if "covariance" in fixed:
                cov = fixed["covariance"]
            else:
                dev = xbar - mean
                cov = m2 / n + np.outer(dev, dev)
            self._check_degenerate(np.diag(cov), fixed)
            self._check_singular(cov, n, fixed)
            return {"mean": mean, "covariance": cov}
        # diag / spherical: per column Q = m2 + n (xbar - mu)^2 [+ kappa (mu - mu0)^2 + 2 beta]
        if self.prior is not None:
            mu0, kappa, alpha, beta = self._prior_constants(stats)
            mean = np.where(np.isnan(fmean), (n * xbar + kappa * mu0) / (n + kappa), fmean)
            q = m2 + n * (xbar - mean) ** 2 + kappa * (mean - mu0) ** 2
            if ctype == "diag":
                q, c = q + 2 * beta, np.full(d, n / 2 + 0.5 + alpha + 1)
            else:
                q, c = q.sum() + 2 * beta.mean(), n * d / 2 + d / 2 + alpha + 1
        else:
            mean = np.where(np.isnan(fmean), xbar, fmean)
            q = m2 + n * (xbar - mean) ** 2
            c = n / 2 if ctype == "diag" else n * d / 2
            if ctype == "spherical":
                q = q.sum()
        var = q / (2 * c)
        if "covariance" in fixed:
            fc = fixed["covariance"]
            var = np.where(np.isnan(fc), var, fc) if ctype == "diag" else fc.reshape(())
        var = np.asarray(var, dtype=float)
        self._check_degenerate(np.atleast_1d(var), fixed)
        return {"mean": mean, "covariance": var}

    def _check_degenerate(self, variances, fixed):
        if "covariance" not in fixed and np.any(variances <= 0):
            warnings.warn(
                "GaussianMLE: a column has zero variance (constant data), so the MLE "
                "variance is 0 on the boundary and the density is degenerate. Use "
                "covariance_type='diag' with prior=NormalInverseGamma() for a positive "
                "estimate, or drop the constant column.",
                BoundaryWarning,
                stacklevel=5,
            )

    def _check_singular(self, cov, n, fixed):
        if "covariance" in fixed or cov.shape[0] < 2 or np.any(np.diag(cov) <= 0):
            return
        scale = np.sqrt(np.diag(cov))
        eig = linalg.eigvalsh(cov / np.outer(scale, scale))
        if eig[0] <= 1e-12 * eig[-1]:
            rank = int(np.sum(eig > 1e-12 * eig[-1]))
            warnings.warn(
                f"GaussianMLE: the MLE covariance is singular (rank {rank} of {cov.shape[0]}): "
                f"the columns are linearly dependent or there are too few samples ({n:g}) "
                "for a full covariance, so the density is degenerate. Use "
                "covariance_type='diag', drop the redundant columns, or add samples.",
                BoundaryWarning,
                stacklevel=5,
            )

    def _loglik(self, stats, params):
        n = float(stats.weight)
        mean, cov = params["mean"], params["covariance"]
        dev = stats.mean - mean
        if self.covariance_type == "full":
            d = mean.size
            scatter = stats.m2 + n * np.outer(dev, dev)
            try:
                chol = linalg.cholesky(cov, lower=True)
            except linalg.LinAlgError:
                return np.array([-np.inf])
            logdet = 2 * np.log(np.diag(chol)).sum()
            inv_l = linalg.solve_triangular(chol, scatter, lower=True)
            trace = np.trace(linalg.solve_triangular(chol, inv_l.T, lower=True))
            return np.array([-0.5 * (n * (d * np.log(2 * np.pi) + logdet) + trace)])
        q = stats.m2 + n * dev**2
        with np.errstate(divide="ignore", invalid="ignore"):
            out = -0.5 * (n * np.log(2 * np.pi * cov) + q / cov)
        return np.where(np.isnan(out), -np.inf, out)

    def _log_prior(self, params):
        mu0, kappa, alpha, beta = self._prior_constants(self.stats_)
        mean, var = params["mean"], params["covariance"]
        d = mean.size
        varv = np.broadcast_to(var, (d,))

        # N(mean | mu0, var / kappa) per column
        lp_mean = -0.5 * (np.log(2 * np.pi * varv / kappa) + kappa * (mean - mu0) ** 2 / varv)
        # InvGamma(var | alpha, b): one per column ("diag") or one shared ("spherical")
        b = beta if self.covariance_type == "diag" else beta.mean()
        lp_var = alpha * np.log(b) - special.gammaln(alpha) - (alpha + 1) * np.log(var) - b / var
        return np.sum(lp_mean) + np.sum(lp_var)

    # ------------------------------------------------------------ inference
    def _flat_inference(self, stats, params, fixed):
        ctype = self.covariance_type
        if ctype == "diag":
            return self._flat_inference_blocks(stats, params, fixed)
        n = float(stats.weight)
        mean, cov = params["mean"], params["covariance"]
        d = mean.size
        free_mean = np.isnan(fixed.get("mean", np.full(d, np.nan)))
        free_cov = "covariance" not in fixed
        names, est, blocks = [], [], []
        for j in np.flatnonzero(free_mean):
            names.append(self._flat_name("mean", j))
            est.append(mean[j])
        self._flat_index = [(0, j) for j in np.flatnonzero(free_mean)]
        if ctype == "spherical":
            dev = stats.mean - mean
            info_mean = np.full(free_mean.sum(), n / cov)
            if self.prior is not None:
                mu0, kappa, alpha, beta = self._prior_constants(stats)
                info_mean = info_mean + kappa / cov
            blocks = [np.diag(info_mean)]
            if free_cov:
                names.append("covariance")
                est.append(float(cov))
                self._flat_index.append((1, 0))
                q = stats.m2 + n * dev**2
                c, qs = n * d / 2, q.sum()
                if self.prior is not None:
                    qs += kappa * ((mean - mu0) ** 2).sum() + 2 * beta.mean()
                    c += d / 2 + alpha + 1
                info_v = -c / cov**2 + qs / cov**3
                cross = (n * dev[free_mean] / cov**2)
                k = len(est)
                info = np.zeros((k, k))
                info[:-1, :-1] = blocks[0]
                info[-1, -1] = info_v
                info[-1, :-1] = info[:-1, -1] = cross
                return names, np.asarray(est), info
            return names, np.asarray(est), blocks[0]
        # full: covariance of the estimates in closed form (no matrix inverse):
        # cov(mean) = Sigma / n; cov(s_ij, s_kl) = (s_ik s_jl + s_il s_jk) / n
        idx_mean = np.flatnonzero(free_mean)
        cov_blocks = [cov[np.ix_(idx_mean, idx_mean)] / n]
        if free_cov:
            ii, jj = np.tril_indices(d)
            feat = getattr(self, "feature_names_in_", None)
            lab = [str(f) for f in feat] if feat is not None else [f"x{j}" for j in range(d)]
            for i, j in zip(ii, jj):
                names.append(f"covariance[{lab[i]},{lab[j]}]" if d > 1 or feat is not None
                             else "covariance")
                est.append(cov[i, j])
            c_ik, c_jl = cov[np.ix_(ii, ii)], cov[np.ix_(jj, jj)]
            c_il, c_jk = cov[np.ix_(ii, jj)], cov[np.ix_(jj, ii)]
            cov_s = (c_ik * c_jl + c_il * c_jk) / n
            cov_blocks.append(cov_s)
        self._flat_index = None
        k = len(est)
        full_cov = np.zeros((k, k))
        m = len(idx_mean)
        full_cov[:m, :m] = cov_blocks[0]
        if free_cov:
            full_cov[m:, m:] = cov_blocks[1]
        self._full_cov = full_cov
        return names, np.asarray(est), None

    def _flat_inference_blocks(self, stats, params, fixed):
        return DistributionMLE._flat_inference(self, stats, params, fixed)

    def _set_inference(self, names, estimates, information=None, cov=None):
        if information is None and cov is None:
            cov = self._full_cov
            if np.any(~np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
                return super()._set_inference(names, estimates, information=np.diag(
                    np.where(np.diag(cov) > 0, 1 / np.diag(cov), 0.0)))
        return super()._set_inference(names, estimates, information=information, cov=cov)

    def _information(self, stats, params):
        # diag: per column 2x2 observed information of the log-likelihood in (mean, var)
        n = float(stats.weight)
        mean, var = params["mean"], params["covariance"]
        dev = stats.mean - mean
        q = stats.m2 + n * dev**2
        info = np.empty((mean.size, 2, 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            info[:, 0, 0] = n / var
            info[:, 0, 1] = info[:, 1, 0] = n * dev / var**2
            info[:, 1, 1] = -n / (2 * var**2) + q / var**3
        return np.where(np.isfinite(info), info, 0.0)

    def _prior_information(self, params):
        mu0, kappa, alpha, beta = self._prior_constants(self.stats_)
        mean, var = params["mean"], params["covariance"]
        # log N(mean | mu0, var/kappa) + log InvGamma(var | alpha, beta), per column
        info = np.zeros((mean.size, 2, 2))
        dm = mean - mu0
        info[:, 0, 0] = kappa / var
        info[:, 0, 1] = info[:, 1, 0] = kappa * dm / var**2
        info[:, 1, 1] = -(0.5 + alpha + 1) / var**2 + (kappa * dm**2 + 2 * beta) / var**3
        return info

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

    # --------------------------------------------------------------- scoring
    def _logpdf(self, X, params):
        mean, cov = params["mean"], params["covariance"]
        if self.covariance_type == "full":
            d = mean.size
            try:
                chol = linalg.cholesky(cov, lower=True)
            except linalg.LinAlgError:
                return np.full((X.shape[0], 1), -np.inf)
            z = linalg.solve_triangular(chol, (X - mean).T, lower=True)
            logdet = 2 * np.log(np.diag(chol)).sum()
            lp = -0.5 * (d * np.log(2 * np.pi) + logdet + np.einsum("ij,ij->j", z, z))
            return lp[:, None]
        var = np.broadcast_to(cov, mean.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            return -0.5 * (np.log(2 * np.pi * var) + (X - mean) ** 2 / var)

    def _sample(self, params, n, rng):
        mean, cov = params["mean"], params["covariance"]
        if self.covariance_type == "full":
            return rng.multivariate_normal(mean, cov, size=n)
        sd = np.sqrt(np.broadcast_to(cov, mean.shape))
        return mean + sd * rng.standard_normal((n, mean.size))
