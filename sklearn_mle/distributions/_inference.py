"""Inference of the distribution estimators: the flat layout of the free parameters,
their observed information, domain bounds and profile log-likelihoods
(:class:`DistributionInferenceMixin`, a part of
:class:`~sklearn_mle.distributions.DistributionMLE`)."""

from __future__ import annotations

import warnings

import numpy as np


class DistributionInferenceMixin:
    """Names, estimates, information, bounds and profiles of the free parameters."""

    def _flat_inference(self, stats, params, fixed):
        """Names, estimates and information matrix of the free parameters.

        Order: parameter-major, then column (``rate[x0], rate[x1], ...``).
        """
        d = self.n_features_in_
        # the log-posterior's: the prior's pseudo-statistics are in _information
        info = np.asarray(self._information(stats, params), dtype=float)
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
        return names, np.asarray(est, dtype=float), full

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

    def _loglik_function(self):
        """``theta -> objective`` (log-likelihood, log-posterior under a prior) of the
        training statistics at a free-parameter vector aligned with ``param_names_``:
        what ``delta_method(method="profile")`` maximises under its constraint.

        Defined for the layouts where each free parameter is one entry of a
        per-column parameter (parameter-major, then column; the Gaussian's diagonal
        and spherical covariances); the constrained layouts (category
        probabilities summing to one, a full covariance matrix) are refused.
        """
        base = DistributionInferenceMixin._flat_inference
        own = getattr(self._flat_inference, "__func__", None)
        index = getattr(self, "_flat_index", None)
        layout_ok = own is base or getattr(self, "covariance_type", None) in ("diag",
                                                                            "spherical")
        if index is None or not layout_ok:
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
