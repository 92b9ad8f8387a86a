"""Inference of ShiftedMLE: the Hessian in (threshold, base parameters) (closed form for
the three families, central differences as a fallback),
the Wald interval of a threshold on the ``log(min(x) - loc)`` scale, and profile
likelihoods with the threshold re-estimated."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from ..exceptions import InferenceWarning
from ..inference import cov_from_information
from ._shifted import loc_curvature_terms, profile_threshold

__all__ = ["ShiftedInferenceMixin"]

#: The threshold MLE is regular (asymptotically normal, Hessian standard errors
#: valid) only for shape > 2 in these families (Smith 1985); LogNormal's always is.
_SHAPE_REGULAR = {"gamma": "shape", "weibull": "shape"}


def _fit_quiet(base, X, w):
    """``clone(base).fit(X, sample_weight=w)`` and its log-likelihood; -inf when the
    fit fails or does not converge (a point the profile search must avoid)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est = clone(base).fit(X, sample_weight=w)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            return None, -np.inf
    if getattr(est, "converged_", True) is False or any(
            issubclass(c.category, ConvergenceWarning) for c in caught):
        return est, -np.inf
    ll = float(est.loglik_)
    return est, ll if np.isfinite(ll) else -np.inf


class ShiftedInferenceMixin:
    """The inference surface of :class:`~sklearn_mle.ShiftedMLE`
    (fitted attributes ``estimator_``, ``loc_``, ``data_min_``, ``boundary_``)."""

    # ------------------------------------------------------------ inference
    def _layout(self):
        """``(name, column)`` of each of the base's free parameters, in its order;
        checked against the base's own estimates."""
        est = self.estimator_
        fixed = getattr(est, "fixed_params_", {}) or {}
        index = []
        for name in est.params_:
            for j in range(self.n_features_in_):
                f = fixed.get(name)
                if f is not None and not np.isnan(f[j]):
                    continue
                index.append((name, j))
        flat = np.array([est.params_[n][j] for n, j in index], dtype=float)
        if flat.shape != np.shape(est.estimates_) or not np.allclose(flat, est.estimates_,
                                                                     rtol=0, atol=0):
            raise ValueError(f"ShiftedMLE: {type(est).__name__}'s parameter layout is not "
                             "parameter-major then column; it cannot be used as the base")
        return index

    def _loglik_at(self, X, w, loc, flat, index):
        est = self.estimator_
        params = {n: np.array(v, dtype=float) for n, v in est.params_.items()}
        for (name, j), value in zip(index, flat):
            params[name][j] = value
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lp = est.family_.logpdf(X - loc, params)
        lp = np.where(np.isnan(lp), -np.inf, lp)
        return float(np.sum(w[:, None] * lp))

    def _set_shifted_inference(self, X, w):
        d = self.n_features_in_
        base = self.estimator_
        fit_loc = self.loc == "fit"
        loc_names = []
        if fit_loc:  # the base estimators' convention: name[feature], plain for one
            features = getattr(self, "feature_names_in_", None)  # unnamed column
            if features is not None:
                loc_names = [f"loc[{n}]" for n in features]
            else:
                loc_names = ["loc"] if d == 1 else [f"loc[x{j}]" for j in range(d)]
        index = self._layout()
        self._index = [("loc", j) for j in range(d)] * fit_loc + index
        names = loc_names + list(base.param_names_)
        est = np.concatenate([self.loc_ if fit_loc else [], base.estimates_])
        self.n_params_ = len(names)
        self.regular_ = not bool(np.any(self.boundary_))
        family = base.family_.name
        shape_name = _SHAPE_REGULAR.get(family)
        if fit_loc and shape_name is not None and shape_name in base.params_:
            shapes = np.asarray(base.params_[shape_name], dtype=float)
            if np.any(shapes <= 2.0) and not np.all(self.boundary_):
                self.regular_ = False
                warnings.warn(
                    f"ShiftedMLE({type(base).__name__}): with {shape_name} <= 2 (here "
                    f"{', '.join(f'{s:.4g}' for s in shapes)}) the threshold estimate is "
                    "not regular (Smith 1985): its standard errors from the Hessian are "
                    "not asymptotically valid. Use conf_int(method='profile') or "
                    "method='bootstrap' for intervals.", InferenceWarning, stacklevel=3)
        if not fit_loc:  # a known threshold: the base's own inference
            self._set_inference(names, est, cov=base.cov_params_)
            return
        H = self._exact_hessian(X, w, index)
        if H is None:
            H = self._hessian(X, w, est, index)
        # a boundary threshold has no curvature to speak of: the other parameters get
        # their covariance given it, the threshold an infinite variance
        free = np.array([not (n == "loc" and self.boundary_[j]) for n, j in self._index])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sub = cov_from_information(-H[np.ix_(free, free)],
                                       [n for n, f in zip(names, free) if f])
        cov = np.zeros_like(H)
        cov[np.ix_(free, free)] = sub
        cov[~free, ~free] = np.inf
        self._set_inference(names, est, cov=cov)
        for c in caught:
            warnings.warn(c.message, c.category, stacklevel=3)

    def _steps(self, est):
        h = np.empty(est.size)
        for i, ((name, j), value) in enumerate(zip(self._index, est)):
            if name == "loc":
                h[i] = 1e-4 * (self.data_min_[j] - value)
            else:
                h[i] = 1e-4 * max(abs(value), 1e-8)
        return h

    def _exact_hessian(self, X, w, index):
        """The Hessian in (loc, base parameters) in closed form: the base family's
        observed information for its parameters, ``sum w d2 log f / dy2`` and
        ``-sum w d2 log f / (d param dy)`` for the thresholds (y = x - loc). Central
        differences near the Gaussian limit (shape ~800: a ridge whose curvature is
        1e-9 of the others') gave SE(loc) 310 or a 'singular' matrix where the
        profile's curvature says 484. None (the numerical Hessian) where it is not
        finite (a threshold at min(x))."""
        family = self.estimator_.family_
        params = {n: np.asarray(v, dtype=float) for n, v in self.estimator_.params_.items()}
        d = self.n_features_in_
        Y = X - self.loc_
        with np.errstate(all="ignore"):
            info = np.asarray(family.information(family.stats(Y, w), params), dtype=float)
            rows = []
            for j in range(d):
                pj = {n: v[j:j + 1] for n, v in params.items()}
                d2, cross = loc_curvature_terms(family.name, Y[:, j], pj)
                rows.append((float(w @ d2), {n: -float(w @ c) for n, c in cross.items()}))
        where = {key: i for i, key in enumerate(self._index)}
        H = np.zeros((len(self._index),) * 2)
        names = list(family.param_names)
        for j in range(d):
            H[where["loc", j], where["loc", j]] = rows[j][0]
        for (name, j) in index:
            a = where[name, j]
            H[where["loc", j], a] = H[a, where["loc", j]] = rows[j][1][name]
            for (other, k) in index:
                if k == j:
                    H[a, where[other, k]] = -info[j, names.index(name), names.index(other)]
        return H if np.all(np.isfinite(H)) else None

    def _hessian(self, X, w, est, index):
        """Central-difference Hessian of the log-likelihood in (loc, base params);
        columns are independent, so only pairs within a column are differenced."""
        d = self.n_features_in_

        def f(theta):
            return self._loglik_at(X, w, theta[:d], theta[d:], index)

        h = self._steps(est)
        k = est.size
        H = np.zeros((k, k))
        f0 = f(est)
        cols = [j for _, j in self._index]
        for a in range(k):
            ea = np.zeros(k)
            ea[a] = h[a]
            H[a, a] = (f(est + ea) - 2.0 * f0 + f(est - ea)) / h[a] ** 2
            for b in range(a):
                if cols[a] != cols[b]:
                    continue
                eb = np.zeros(k)
                eb[b] = h[b]
                H[a, b] = H[b, a] = (f(est + ea + eb) - f(est + ea - eb) - f(est - ea + eb)
                                     + f(est - ea - eb)) / (4.0 * h[a] * h[b])
        return H

    # ------------------------------------------------------------ intervals
    def _param_bounds(self):
        family = self.estimator_.family_
        lo, hi = [], []
        for name, j in self._index:
            if name == "loc":
                lo.append(-np.inf)
                hi.append(self.data_min_[j])
            else:
                b = family.bounds.get(name, (-np.inf, np.inf))
                lo.append(b[0])
                hi.append(b[1])
        return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)

    def conf_int(self, alpha: float = 0.05, method: str = "wald", **kwargs) -> np.ndarray:
        """Confidence intervals, in ``param_names_`` order.

        As :meth:`~sklearn_mle.base.LikelihoodMixin.conf_int`; the Wald interval of a
        threshold is computed for ``log(min(x) - loc)`` and mapped back, so it never
        reaches ``min(x)``. A threshold at the boundary (``boundary_``: no maximum of
        the likelihood below ``min(x)``, or none short of ``-inf``) gets no interval
        (NaN) by any method. ``method="profile"`` needs one column.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle import ShiftedMLE
        >>> x = 5.0 + np.random.default_rng(1).gamma(6.0, 1.0, size=(300, 1))
        >>> est = ShiftedMLE().fit(x)
        >>> ci = est.conf_int()
        >>> bool(ci[0, 1] < x.min())
        True
        """
        ci = super().conf_int(alpha=alpha, method=method, **kwargs)
        # a threshold at the boundary is no estimate (the likelihood has no maximum
        # there): no interval by any method, rather than one that ends at min(x)
        for i, (name, j) in enumerate(self._index):
            if name == "loc" and self.boundary_[j]:
                ci[i] = np.nan
        if method != "wald":
            return ci
        z = self._critical_value(alpha)
        for i, (name, j) in enumerate(self._index):
            if name != "loc":
                continue
            gap = self.data_min_[j] - self.estimates_[i]
            se = self.bse_[i]
            if not (np.isfinite(se) and gap > 0):
                ci[i] = np.nan
                continue
            half = z * se / gap
            ci[i] = self.data_min_[j] - gap * np.exp(half), self.data_min_[j] - gap * np.exp(
                -half)
        return ci

    def _profile_interval(self, index, alpha):
        name, j = self._index[index]
        if name == "loc" and self.boundary_[j]:  # no estimate, no interval: not searched
            return np.array([np.nan, np.nan])
        return super()._profile_interval(index, alpha)

    def _profile_loglik(self, index, value):
        if self.n_features_in_ != 1:
            raise ValueError("ShiftedMLE: profile likelihoods need a one-column fit")
        X, w = self._train
        name, _ = self._index[index]
        base = self.estimator_
        if name == "loc":
            if value >= self.data_min_[0]:
                return -np.inf
            return _fit_quiet(clone(base), self._to_base(X - value), w)[1]
        fixed = dict(getattr(base, "fixed_params", None) or {})
        fixed[name] = value
        template = clone(base).set_params(fixed_params=fixed)
        try:
            # started from the fit's threshold (the profile moves it a little), unless
            # that is a boundary
            near = None if self.boundary_[0] else self.loc_[0]
            _, ll, _ = profile_threshold(template, X[:, 0], w, near=near)
        except ValueError:
            return -np.inf
        return ll
