"""Inference of the distribution estimators: the flat layout of the free parameters,
their observed information, domain bounds, profile log-likelihoods and sandwich
covariances (:class:`DistributionInferenceMixin`, a part of
:class:`~sklearn_mle.distributions.DistributionMLE`).

``cov_type="HC0"`` (or ``"HC1"``, times ``n / (n - k)``) replaces the model-based
covariance by the sandwich ``B M B``: ``B`` the inverse observed information, ``M``
the sum over rows of the outer products of the per-row scores (the family's
``score_rows``), as statsmodels' ``GenericLikelihoodModel.fit(cov_type="HC0")``. It
is a constructor parameter, validated in ``fit``, like the regressions' ``cov_type``:
a clone (cross-validation, the bootstrap) keeps it, and ``bse_``, ``pvalues_``,
``conf_int`` and the summary all follow it. The sandwich is consistent when the
family is wrong for the data (e.g. the variance of a Poisson rate under
over-dispersion). HC2/HC3 need the leverages of a design matrix, which a
distribution does not have; clusters are not offered (distributions take no
``groups``).
"""

from __future__ import annotations

import warnings

import numpy as np

from .._engine.dask import is_dask
from ..exceptions import InferenceWarning
from ..inference._robust import sandwich_cov
from ..inference._utils import (
    ScaledInformation,
    cov_from_information,
    warn_unrepresentable_variances,
)


class DistributionInferenceMixin:
    """Names, estimates, information, bounds and profiles of the free parameters."""

    def _flat_inference(self, stats, params, fixed):
        """Names, estimates and information matrix of the free parameters.

        Order: parameter-major, then column (``rate[x0], rate[x1], ...``).
        """
        d = self.n_features_in_
        # the log-posterior's: the prior's pseudo-statistics are in _scaled_information;
        # in units of the parameters' scales (a p near 1e-300, a variance near 1e300)
        info, scale = self._scaled_information(stats, params)
        info, scale = np.asarray(info, dtype=float), np.asarray(scale, dtype=float)
        names, est, index = [], [], []
        for pi, name in enumerate(self._param_names):
            fixed_arr = fixed.get(name)
            for j in range(d):
                if fixed_arr is not None and not np.isnan(fixed_arr[j]):
                    continue
                names.append(self._flat_name(name, j))
                est.append(params[name][j])
                index.append((pi, j))
        k = len(index)
        full = np.zeros((k, k))
        for a, (pa, ja) in enumerate(index):
            for b, (pb, jb) in enumerate(index):
                if ja == jb:
                    full[a, b] = info[ja, pa, pb]
        self._flat_index = index
        flat_scale = np.array([scale[j, p] for p, j in index], dtype=float)
        if np.all(flat_scale == 1.0):
            return names, np.asarray(est, dtype=float), full
        return names, np.asarray(est, dtype=float), ScaledInformation(full, flat_scale)

    def _flat_name(self, name, j):
        feat = getattr(self, "feature_names_in_", None)
        if feat is not None:
            return f"{name}[{feat[j]}]"
        if self.n_features_in_ == 1:
            return name
        return f"{name}[x{j}]"

    def _param_bounds(self):
        lo = [self._bounds.get(self._param_names[p], (-np.inf, np.inf))[0] for p, _ in
              self._flat_index]
        hi = [self._bounds.get(self._param_names[p], (-np.inf, np.inf))[1] for p, _ in
              self._flat_index]
        return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)

    def _profile_loglik(self, index, value):
        p, j = self._flat_index[index]
        name = self._param_names[p]
        fixed = {k: v.copy() for k, v in self._fixed.items()}
        arr = fixed.setdefault(name, np.full(self.n_features_in_, np.nan))
        arr[j] = value
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            params = self._solve(self.stats_, fixed)
            return self._objective(self.stats_, params)

    def _check_robust(self, X):
        """``cov_type`` other than 'nonrobust' needs the rows and the likelihood."""
        who = type(self).__name__
        if self.prior is not None:
            raise ValueError(
                f"{who}: cov_type={self.cov_type!r} is a sandwich around the likelihood's "
                "Hessian; under a prior the Laplace approximation is the covariance of the "
                "posterior: use cov_type='nonrobust' with a prior")
        if is_dask(X):
            raise ValueError(f"{who}: cov_type={self.cov_type!r} is not implemented for Dask "
                             "arrays; fit in memory or use cov_type='nonrobust'")

    def _per_column_layout(self):
        """True where each free parameter is one entry of a per-column parameter."""
        own = getattr(self._flat_inference, "__func__", None)
        return getattr(self, "_flat_index", None) is not None and (
            own is DistributionInferenceMixin._flat_inference
            or getattr(self, "covariance_type", None) == "diag")

    def _set_robust_cov(self, X, w):
        """Replace the model-based covariance by the sandwich of type ``cov_type``."""
        if not self._per_column_layout():
            raise ValueError(
                f"{type(self).__name__}: cov_type={self.cov_type!r} is implemented for "
                "parameters stored one value per column (not category probabilities, a "
                "full or spherical covariance); use cov_type='nonrobust'")
        names = self._param_names
        with np.errstate(all="ignore"):
            scores = np.asarray(self.family_.score_rows(X, self._params), dtype=float)
        S = np.column_stack([scores[:, j, p] for p, j in self._flat_index])
        model = self.cov_params_
        w = np.asarray(w, dtype=float)
        # in units of the parameters' scales (as the model-based covariance): a
        # geometric p near 1e-300 has scores near 1e300, whose squares overflow
        info = self._flat_inference(self.stats_, self._params, self._fixed)[2]
        J, scale = (info if isinstance(info, ScaledInformation)
                    else (info, np.ones(len(self._flat_index))))
        with np.errstate(over="ignore", invalid="ignore"):
            S = S * scale[None, :]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InferenceWarning)  # said by the model fit
            model_scaled = cov_from_information(J)
        if not np.all(np.isfinite(S[w > 0])) or not np.all(np.isfinite(model_scaled)):
            raise ValueError(
                f"{type(self).__name__}: the per-row scores or the information are not "
                f"finite at this estimate (a boundary estimate: {list(names)}); no sandwich "
                "covariance, use cov_type='nonrobust'")
        cov_scaled = sandwich_cov(model_scaled, S, w, self.cov_type)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            cov = (cov_scaled * scale[:, None]) * scale[None, :]
            se = scale * np.sqrt(np.clip(np.diag(cov_scaled), 0.0, None))
        warn_unrepresentable_variances(np.diag(cov), se, np.zeros(se.size, bool),
                                       self.param_names_, stacklevel=4)
        self._set_inference(self.param_names_, self.estimates_, cov=cov, se=se)
        self._model_cov_params = model

    def _replicates_from_counts(self, rows, kwargs_rows, counts):
        """The bootstrap's fast refit: the statistics of every resample in one weighted
        pass (``family_.stats(X, weights)`` with the row counts times the sample
        weights as ``(n, B)`` weights) and each replicate's ``family_.mode``, instead of
        validating and refitting a clone per replicate: the same replicates (up to
        rounding) at a fraction of the cost.

        Used for finite statistics, the per-column layouts and MLE (a prior's
        data-dependent defaults are resolved again on each resample by a refit, so MAP
        refits clones); None otherwise.
        """
        extra = set(kwargs_rows) - {"sample_weight"}
        X = rows[0]
        if (len(rows) != 1 or extra or self.prior is not None or not self._finite_stats
                or is_dask(X) or not self._per_column_layout()):
            return None
        X = self._validate_X(X, reset=False)
        w = kwargs_rows.get("sample_weight")
        w = np.ones(X.shape[0]) if w is None else np.asarray(w, dtype=float)
        names, index, fixed = self._param_names, self._flat_index, self._fixed
        out = np.full((counts.shape[1], len(index)), np.nan)
        block = max(1, 2**20 // max(X.size, 1))  # (n, block) weights of ~8 MB
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for start in range(0, counts.shape[1], block):
                W = counts[:, start:start + block] * w[:, None]
                with self._named_errors(X):
                    batch = self.family_.stats(X, W)
                for b, st in enumerate(batch):
                    try:
                        params = self.family_.mode(st, fixed)
                    except (ValueError, ArithmeticError, np.linalg.LinAlgError):
                        continue  # no MLE on this resample: dropped, as a failed refit
                    out[start + b] = [np.asarray(params[names[p]], dtype=float)[j]
                                      for p, j in index]
        return out

    def _summary_facts(self):
        robust = "_model_cov_params" in self.__dict__
        return {"Covariance type": self.cov_type if robust else "nonrobust"}

    def _loglik_function(self):
        """``theta -> objective`` (log-likelihood, log-posterior under a prior) of the
        training statistics at a free-parameter vector aligned with ``param_names_``:
        what ``delta_method(method="profile")`` maximises under its constraint.

        Defined for the layouts where each free parameter is one entry of a
        per-column parameter (parameter-major, then column; the Gaussian's diagonal
        and spherical covariances); the constrained layouts (category
        probabilities summing to one, a full covariance matrix) are refused.
        """
        index = getattr(self, "_flat_index", None)
        spherical = getattr(self, "covariance_type", None) == "spherical"
        if index is None or not (self._per_column_layout() or spherical):
            raise ValueError(
                f"{type(self).__name__}: delta_method(method='profile') is implemented for "
                "parameters stored one value per column (not category probabilities or a "
                "full covariance matrix); use method='wald' or conf_int(method='bootstrap')"
            )
        lo, hi = self._param_bounds()
        names = self._param_names
        stats = self.stats_

        def loglik_at(theta):
            theta = np.asarray(theta, dtype=float)
            if np.any(theta <= lo) or np.any(theta >= hi) or not np.all(np.isfinite(theta)):
                return -np.inf
            params = {k: np.array(v, dtype=float) for k, v in self._params.items()}
            for value, (p, j) in zip(theta, index):
                arr = params[names[p]]
                if arr.ndim == 0:
                    params[names[p]] = np.asarray(value)
                else:
                    arr[j] = value
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                val = self._objective(stats, params)
            return val if np.isfinite(val) else -np.inf

        return loglik_at
