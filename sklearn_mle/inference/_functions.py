"""Tests and functions of the parameters on the inference surface
(:class:`ParameterFunctionsMixin`): Wald tests of linear hypotheses, their
contrasts, and the delta method."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._delta import DeltaMethodResult, delta
from ._profile import profile_function_interval
from ._wald import ContrastResult, WaldTestResult, contrasts, restrictions, wald


class ParameterFunctionsMixin:
    """``wald_test``, ``t_test`` and ``delta_method``; a part of
    :class:`~sklearn_mle.base.LikelihoodMixin`."""

    def wald_test(self, hypothesis, q=None, use_f: bool | None = None) -> WaldTestResult:
        """Wald test of the linear hypothesis ``R theta = q``.

        Parameters
        ----------
        hypothesis : str, array-like of shape (r, k) or tuple (R, q)
            Equations in the parameter names, comma-separated, e.g.
            ``"x1 = x2, x3 = 0"`` or ``"2*x1 + x2 = 1"``; or the matrix ``R``
            (columns in ``param_names_`` order).
        q : array-like of shape (r,), optional
            Right-hand side for a matrix ``R`` (zeros by default).
        use_f : bool or None, default=None
            Refer ``W / r`` to F(r, df) instead of ``W`` to chi2(r); None: F exactly
            when the estimator uses t (``use_t=True``), as statsmodels.

        Returns
        -------
        WaldTestResult
            ``(statistic, pvalue, df_num, df_denom, distribution)``; equal to
            statsmodels' ``wald_test(..., scalar=True)``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle import MLEPoissonRegression
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0], [4.0, 1.0],
        ...               [5.0, 0.0]])
        >>> reg = MLEPoissonRegression().fit(X, [1, 2, 2, 5, 8, 13])
        >>> res = reg.wald_test("x0 = 0, x1 = 0")
        >>> res.df_num, res.distribution
        (2, 'chi2')
        """
        check_is_fitted(self)
        R, qv, _ = restrictions(hypothesis, self.param_names_, q)
        df = self._t_df()
        if use_f is None:
            use_f = df is not None
        if use_f and df is None:
            df = float(getattr(self, "df_resid_", np.inf))
        return wald(self.estimates_, self.cov_params_, R, qv, df if use_f else None)

    def t_test(self, hypothesis, q=None, alpha: float = 0.05) -> ContrastResult:
        """Estimate, standard error, t (or z) statistic of ``R theta = q``, p-value
        and interval of each row of ``R theta``, as statsmodels' ``t_test`` (t exactly
        when the estimator uses t). ``hypothesis`` as in :meth:`wald_test`.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle import MLELinearRegression
        >>> X = np.array([[1.0], [2.0], [3.0], [4.0], [5.0]])
        >>> reg = MLELinearRegression(use_t=True).fit(X, [2.1, 3.9, 6.2, 7.8, 10.1])
        >>> res = reg.t_test("x0 = 2")
        >>> res.distribution, round(float(res.effect[0]), 4)
        ('t', 1.99)
        """
        check_is_fitted(self)
        R, qv, labels = restrictions(hypothesis, self.param_names_, q)
        return contrasts(self.estimates_, self.cov_params_, R, qv, labels, alpha,
                         self._t_df())

    def delta_method(self, func, alpha: float = 0.05, names=None,
                     positive: bool = False, method: str = "wald") -> DeltaMethodResult:
        """Estimate, standard error and interval of a function of the parameters.

        By the invariance of the MLE, ``func(estimates_)`` is the MLE of
        ``func(theta)``; its covariance is ``J cov_params_ J^T`` with the Jacobian
        ``J`` by Richardson-extrapolated central differences. The interval is the
        delta method's Wald interval, or (``method="profile"``) the profile-likelihood
        interval of ``func``: the values ``c`` whose log-likelihood maximised subject
        to ``func(theta) = c`` is within ``chi2(1).ppf(1 - alpha) / 2`` of the
        maximum.

        Parameters
        ----------
        func : callable
            Maps a vector aligned with ``param_names_`` to a scalar or a vector.
        alpha : float, default=0.05
        names : list of str, optional
            Labels of ``func``'s outputs.
        positive : bool, default=False
            For a positive quantity (an odds ratio, a mean, a quantile of a positive
            variable): the interval is computed for ``log func`` and mapped back, so
            it stays positive (the plain Wald interval ``g ± z·se`` may not).
            Ignored by ``method="profile"``, whose interval stays in the range of
            ``func`` by construction.
        method : {"wald", "profile"}, default="wald"
            ``"profile"`` needs the training data's log-likelihood at any parameter
            vector (distribution estimators with one parameter vector per column,
            logistic and Poisson regression); it is invariant to reparametrisation
            (the interval of ``exp(b)`` is ``exp`` of the interval of ``b``) and
            respects the parameter domain. It ignores ``cov_type`` (a likelihood
            interval assumes the model).

        Returns
        -------
        DeltaMethodResult
            ``estimate``, ``std_err``, ``cov``, ``conf_int``, ``pvalue``,
            ``jacobian``, ``names``; ``summary_frame()`` gives a DataFrame.

        Examples
        --------
        The mean ``shape / rate`` of a fitted Gamma:

        >>> import numpy as np
        >>> from sklearn_mle import GammaMLE
        >>> x = np.random.default_rng(0).gamma(3.0, 2.0, size=(500, 1))
        >>> est = GammaMLE().fit(x)
        >>> est.param_names_
        ['shape', 'rate']
        >>> res = est.delta_method(lambda p: p[0] / p[1], names=["mean"])
        >>> bool(np.isclose(res.estimate[0], x.mean()))
        True
        >>> prof = est.delta_method(lambda p: p[0] / p[1], method="profile")
        >>> bool(prof.conf_int[0, 0] < x.mean() < prof.conf_int[0, 1])
        True
        """
        check_is_fitted(self)
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
        if method not in ("wald", "profile"):
            raise ValueError(f"method must be 'wald' or 'profile', got {method!r}")
        res = delta(func, self.estimates_, self.cov_params_, alpha, names, self._t_df(),
                    positive and method == "wald")
        if method == "wald":
            return res
        loglik_at = self._loglik_function()
        try:
            bounds = self._param_bounds()
        except ValueError:
            k = len(self.estimates_)
            bounds = (np.full(k, -np.inf), np.full(k, np.inf))
        cov = self._model_cov()
        ci = np.empty((res.estimate.size, 2))
        for i in range(res.estimate.size):
            def g(t, i=i):
                return np.ravel(func(t))[i]

            ci[i] = profile_function_interval(loglik_at, g, self.estimates_, cov, bounds,
                                              self._objective_at_estimate(), alpha)
        return res._replace(conf_int=ci)

    def _loglik_function(self):
        """``theta -> objective`` on the training data (a hook; the estimators that
        support ``delta_method(method="profile")`` override it)."""
        raise ValueError(
            f"{type(self).__name__} does not support profile-likelihood intervals of "
            "functions of its parameters; use delta_method(method='wald') or "
            "conf_int(method='bootstrap')"
        )

    def _model_cov(self):
        """The model-based covariance (inverse information), which scales the
        profile's search; ``cov_params_`` unless a sandwich replaced it."""
        return getattr(self, "_model_cov_params", self.cov_params_)
