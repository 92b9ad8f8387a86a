"""What the linear model's summary adds: R², adjusted R², the overall F-test, LL-Null."""

from __future__ import annotations

import numpy as np

from ..inference._wald import wald


def null_loglik(y, w, fit_intercept):
    """Gaussian log-likelihood of the intercept-only model (of ``y = 0`` without one)."""
    W = float(np.sum(w))
    centre = float(np.average(y, weights=w)) if fit_intercept else 0.0
    s2 = float(w @ (y - centre) ** 2) / W
    with np.errstate(divide="ignore"):
        return float(-0.5 * W * (np.log(2 * np.pi * s2) + 1.0))


def ols_facts(est, A, y, w, coef):
    """R², adjusted R², F statistic and its p-value, as statsmodels OLS.

    R² is centred with an intercept and uncentred without. The F-test of all slopes is
    the classical one (``s² = RSS / (n - p)``) under ``cov_type="nonrobust"``, and the
    Wald F with the sandwich covariance otherwise (denominator df ``n - p``, or
    ``G - 1`` for ``G`` clusters).
    """
    resid = y - A @ coef
    rss = float(w @ resid**2)
    centre = float(np.average(y, weights=w)) if est.fit_intercept else 0.0
    tss = float(w @ (y - centre) ** 2)
    r2 = 1.0 - rss / tss if tss > 0 else np.nan
    n, icpt = float(np.sum(w)), int(est.fit_intercept)
    df_resid, df_model = est.df_resid_, est.df_model_
    adj = 1.0 - (1.0 - r2) * (n - icpt) / df_resid if df_resid > 0 else np.nan
    facts = {"R-squared" if icpt else "R-squared (uncentered)": f"{r2:.5f}",
             "Adj. R-squared": f"{adj:.5f}"}
    if df_model > 0 and df_resid > 0:
        R = np.eye(coef.size)[icpt:]
        if est.cov_type == "nonrobust":
            cov = est.cov_params_ * ((rss / df_resid) / est.sigma2_ if not est.use_t
                                     and est.sigma2_ > 0 else 1.0)
            df_den = df_resid
        else:
            cov = est.cov_params_
            df_den = est.n_groups_ - 1 if est.cov_type == "cluster" else df_resid
        try:
            res = wald(coef, cov, R, np.zeros(df_model), df_den)
            facts["F-statistic"] = f"{res.statistic:.6g}"
            facts["Prob (F-statistic)"] = f"{res.pvalue:.4g}"
        except ValueError:  # a singular robust covariance (fewer clusters than slopes)
            facts["F-statistic"] = "nan"
    return facts

