"""The inference surface shared by every estimator of the package.

Every fitted estimator exposes the same few attributes, computed once at fit time:

``loglik_``
    the total log-likelihood of the training data (the log-posterior kernel, i.e.
    log-likelihood plus log-prior, when a prior is given);
``n_params_``
    the number of free parameters: the single source for AIC, BIC and
    likelihood-ratio tests;
``nobs_``
    the (weighted) number of training observations, used by BIC;
``param_names_``, ``estimates_``, ``cov_params_``, ``bse_``, ``pvalues_``
    names of the free parameters, their estimates (a flat vector aligned with the
    names), their asymptotic covariance (inverse observed information, or the Laplace
    approximation under a prior), standard errors and two-sided Wald p-values for the
    hypothesis that each parameter is zero.

:class:`LikelihoodMixin` turns those into ``aic``, ``bic``, ``conf_int`` and
``summary``. Estimators plug in through a few private hooks documented on the class.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats
from sklearn.utils.validation import check_is_fitted

from .inference._bootstrap_mixin import BootstrapMixin
from .inference._functions import ParameterFunctionsMixin
from .inference._summary import Summary
from .inference._utils import cov_and_se_from_information, num_rows

__all__ = ["LikelihoodMixin"]


class LikelihoodMixin(BootstrapMixin, ParameterFunctionsMixin):
    """Mixin adding AIC/BIC, confidence intervals and a summary table.

    Subclasses provide, after ``fit``:

    - ``loglik_``, ``n_params_``, ``nobs_``, ``param_names_``, ``cov_params_``,
      ``bse_`` (set them with :meth:`_set_inference`);
    - ``_total_loglik(X, y=None)``: total log-likelihood of a data set;
    - optionally ``_profile_loglik(index, value)``: the maximised log-likelihood
      (log-posterior under a prior) with free parameter ``index`` held at ``value``,
      and ``_param_bounds()``: ``(lower, upper)`` arrays of the parameter domain.
      Both enable ``conf_int(method="profile")``.
    """

    # ------------------------------------------------------------------ hooks
    def _set_inference(self, names, estimates, information=None, cov=None, se=None):
        """Store names, estimates, covariance and standard errors.

        Exactly one of ``information`` (observed information, the negative Hessian
        of the objective, or a :class:`~sklearn_mle.inference._utils.ScaledInformation`)
        or ``cov`` is given. A singular information matrix gives ``inf`` standard
        errors for the parameters it does not identify, never NaN from a failed
        inverse. From the information, the standard errors are computed directly (a
        standard error of 1e-301 is exact although its variance underflows); with
        ``cov``, ``se`` may give them where ``cov``'s diagonal cannot hold them.
        """
        names = list(names)
        estimates = np.asarray(estimates, dtype=float).ravel()
        if cov is None:
            if information is None:
                raise ValueError("either information or cov must be given")
            cov, se = cov_and_se_from_information(information, names)
        cov = np.asarray(cov, dtype=float).reshape(len(names), len(names))
        self.param_names_ = names
        self.estimates_ = estimates
        self.cov_params_ = cov
        if se is None:
            with np.errstate(invalid="ignore"):
                se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        self.bse_ = np.asarray(se, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = estimates / self.bse_
        # a parameter without a standard error (inf) has no evidence against zero: p = 1
        self.pvalues_ = np.where(np.isnan(z), 1.0, self._two_sided_p(z))

    def _t_df(self):
        """Degrees of freedom of the t reference distribution; None: the normal.

        Estimators with ``use_t=True`` (small-sample inference for the linear model)
        refer Wald statistics to t with ``df_resid_`` degrees of freedom, or ``G - 1``
        for ``G`` clusters under ``cov_type="cluster"`` (as statsmodels).
        """
        if not getattr(self, "use_t", False):
            return None
        if getattr(self, "cov_type", "nonrobust") == "cluster":
            return float(self.n_groups_ - 1)
        return float(self.df_resid_)

    def _two_sided_p(self, z):
        df = self._t_df()
        if df is None:
            return 2.0 * stats.norm.sf(np.abs(z))
        return 2.0 * stats.t.sf(np.abs(z), df)

    def _critical_value(self, alpha):
        df = self._t_df()
        if df is None:
            return float(stats.norm.ppf(1.0 - alpha / 2.0))
        return float(stats.t.ppf(1.0 - alpha / 2.0, df))

    def _total_loglik(self, X, y=None):  # pragma: no cover - abstract
        raise NotImplementedError

    # ------------------------------------------------------------- criteria
    def aic(self, X, y=None) -> float:
        """Akaike information criterion, ``-2 log L + 2 k``, on data ``X`` (and ``y``).

        ``k`` is ``n_params_``. Lower is better.
        """
        check_is_fitted(self)
        return float(-2.0 * self._total_loglik(X, y) + 2.0 * self.n_params_)

    def bic(self, X, y=None) -> float:
        """Bayesian information criterion, ``-2 log L + k log n``, on ``X`` (and ``y``).

        ``n`` is the number of rows of ``X``. Lower is better.
        """
        check_is_fitted(self)
        n = num_rows(X)
        return float(-2.0 * self._total_loglik(X, y) + np.log(n) * self.n_params_)

    # ----------------------------------------------------------- intervals
    def profile_loglik(self, param, value: float) -> float:
        """Profile log-likelihood: the log-likelihood (log-posterior under a prior)
        maximised over the other free parameters with ``param`` held at ``value``.

        Parameters
        ----------
        param : str or int
            A name in ``param_names_`` or its position.
        value : float
            The value at which ``param`` is held.

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle import PoissonMLE
        >>> est = PoissonMLE().fit(np.array([[1], [2], [3]]))
        >>> bool(est.profile_loglik("rate", 2.0) >= est.profile_loglik("rate", 2.5))
        True
        """
        check_is_fitted(self)
        if not hasattr(self, "_profile_loglik"):
            raise ValueError(f"{type(self).__name__} does not support profile likelihoods")
        names = list(self.param_names_)
        if isinstance(param, str):
            if param not in names:
                raise ValueError(f"unknown parameter {param!r}; choose from {names}")
            index = names.index(param)
        else:
            index = int(param)
            if not 0 <= index < len(names):
                raise ValueError(f"parameter position {param} outside 0..{len(names) - 1}")
        return float(self._profile_loglik(index, float(value)))

    def conf_int(self, alpha: float = 0.05, method: str = "wald", *, X=None, y=None,
                 n_boot: int = 999, kind: str = "percentile", parametric: bool = False,
                 random_state=None, n_jobs=None, **fit_params) -> np.ndarray:
        """Confidence intervals for the free parameters, in ``param_names_`` order.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the coverage: 0.05 gives 95% intervals.
        method : {"wald", "profile", "bootstrap"}, default="wald"
            ``"wald"``: estimate ± z·SE (t·SE with ``use_t=True``) from the
            estimator's covariance (``cov_params_``), cut at the bounds of the
            parameter's domain. ``"profile"``: the set of values
            whose profile log-likelihood is within ``chi2(1).ppf(1 - alpha) / 2``
            of the maximum; invariant to reparametrisation and respects the
            parameter's domain. ``"bootstrap"``: ``n_boot`` refits of a clone on
            resampled rows (``parametric=False``) or on data simulated from the fit
            (``parametric=True``); mixture components and hidden states are matched
            to the fit's before the intervals are taken (label switching). A hidden
            Markov model keeps its chain: whole sequences are resampled, and a single
            sequence is always simulated from the fit (rows are never drawn
            one by one).
        X, y : array-like, optional
            The training data, for ``method="bootstrap"`` on estimators that do not
            keep it (density estimators and mixtures); regression models reuse their
            own training data (with its weights, offset and exposure).
        n_boot : int, default=999
            Bootstrap replicates.
        kind : {"percentile", "bca"}, default="percentile"
            Percentile interval, or bias-corrected and accelerated (Efron), whose
            acceleration comes from a (grouped) jackknife.
        parametric : bool, default=False
            Simulate replicates from the fitted model instead of resampling rows.
        random_state : int, Generator or None, default=None
        n_jobs : int or None, default=None
            Threads over replicates.
        **fit_params
            Per-row fit arguments resampled with the rows (``sample_weight``);
            ``lengths`` or ``sequence_ids`` (hidden Markov models): whole sequences
            are resampled.

        Returns
        -------
        ndarray of shape (n_free_params, 2)
            Lower and upper bounds.
        """
        check_is_fitted(self)
        if not hasattr(self, "estimates_"):
            raise NotImplementedError(
                f"{type(self).__name__} has no standard errors yet, so no confidence "
                "intervals; MixtureMLE(GaussianMLE(covariance_type='diag')) gives them for "
                "a Gaussian mixture with diagonal covariances"
            )
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
        if method == "bootstrap":
            return self._bootstrap_interval(alpha, X, y, n_boot, kind, parametric,
                                            random_state, n_jobs, fit_params)
        if method == "wald":
            z = self._critical_value(alpha)
            est = self.estimates_
            ci = np.column_stack([est - z * self.bse_, est + z * self.bse_])
            try:
                lo, hi = self._param_bounds()
            except ValueError:  # a layout without a bound table: intervals as they are
                return ci
            # an interval never leaves the parameter space (a rate near 0, a weight
            # near 1): the Wald interval is cut at the domain's bounds
            return np.column_stack([np.maximum(ci[:, 0], lo), np.minimum(ci[:, 1], hi)])
        if method == "profile":
            if not hasattr(self, "_profile_loglik"):
                raise ValueError(
                    f"{type(self).__name__} does not support profile-likelihood intervals; "
                    "use method='wald'"
                )
            return np.array(
                [self._profile_interval(i, alpha) for i in range(len(self.param_names_))]
            ).reshape(-1, 2)
        raise ValueError(f"method must be 'wald', 'profile' or 'bootstrap', got {method!r}")

    def _param_bounds(self):
        k = len(self.param_names_)
        return np.full(k, -np.inf), np.full(k, np.inf)

    def _profile_interval(self, index, alpha):
        est = float(self.estimates_[index])
        target = self._objective_at_estimate() - stats.chi2.ppf(1.0 - alpha, 1) / 2.0
        lo_bound, hi_bound = (b[index] for b in self._param_bounds())
        se = self.bse_[index]
        step = se if np.isfinite(se) and se > 0 else max(abs(est), 1.0) * 0.1

        def gap(v):
            return self._profile_loglik(index, v) - target

        out = []
        for direction, bound in ((-1.0, lo_bound), (1.0, hi_bound)):
            inner, s = est, step
            outer = None
            for _ in range(60):
                cand = est + direction * s
                if direction < 0 and cand <= lo_bound:
                    cand = lo_bound + (inner - lo_bound) * 1e-3 if np.isfinite(lo_bound) else cand
                if direction > 0 and cand >= hi_bound:
                    cand = hi_bound - (hi_bound - inner) * 1e-3 if np.isfinite(hi_bound) else cand
                g = gap(cand)
                if not np.isfinite(g) or g < 0:
                    outer = cand
                    break
                if abs(cand - inner) < 1e-12 * max(1.0, abs(cand)):
                    break  # pinned against the domain boundary: interval reaches it
                inner, s = cand, s * 2.0
            if outer is None:
                out.append(bound)
                continue
            out.append(optimize.brentq(gap, min(inner, outer), max(inner, outer), xtol=1e-10,
                                       rtol=1e-10))
        return out

    def _objective_at_estimate(self):
        return float(self.loglik_)

    # -------------------------------------------------------------- summary
    def summary(self, alpha: float = 0.05) -> Summary:
        """A summary table of the fit: estimates, standard errors, Wald z, p-values, CIs.

        Returns a :class:`~sklearn_mle.inference.Summary`, which prints as text,
        renders as HTML in notebooks and converts with ``to_frame()`` to a pandas
        DataFrame when pandas is installed.
        """
        check_is_fitted(self)
        est = self.estimates_
        with np.errstate(divide="ignore", invalid="ignore"):
            z = est / self.bse_
        p = self.pvalues_
        ci = self.conf_int(alpha=alpha)
        prior = getattr(self, "prior", None)
        if prior is None:  # a prior on the intercept alone also makes the fit MAP
            prior = getattr(self, "intercept_prior", None)
        header = {
            "Model": type(self).__name__,
            "Method": "MAP" if prior is not None else "MLE",
            "No. observations": _fmt_nobs(getattr(self, "nobs_", np.nan)),
            "Log-likelihood" if prior is None else "Log-posterior": f"{self.loglik_:.6g}",
            "Free parameters": str(self.n_params_),
        }
        if prior is None:
            header["AIC"] = f"{-2 * self.loglik_ + 2 * self.n_params_:.6g}"
            n = getattr(self, "nobs_", np.nan)
            header["BIC"] = f"{-2 * self.loglik_ + np.log(n) * self.n_params_:.6g}"
        else:
            header["Prior"] = ", ".join(
                f"{k}={getattr(self, k)!r}" for k in ("prior", "intercept_prior")
                if getattr(self, k, None) is not None
            )
            header["Covariance"] = "Laplace approximation (inverse negative Hessian)"
        if hasattr(self, "converged_"):
            header["Converged"] = str(bool(self.converged_))
        header.update(self._summary_facts())
        return Summary(
            header=header,
            names=self.param_names_,
            estimate=est,
            std_err=self.bse_,
            z=z,
            pvalue=p,
            ci=ci,
            alpha=alpha,
            stat_name="z" if self._t_df() is None else "t",
        )

    def _summary_facts(self):
        """Model-specific header lines of the summary (a hook; none by default)."""
        return {}


def _fmt_nobs(n):
    n = float(n)
    return str(int(n)) if n.is_integer() else f"{n:.6g}"
