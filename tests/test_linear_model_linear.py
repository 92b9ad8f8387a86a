"""MLELinearRegression against NIST StRD (Longley), statsmodels OLS and closed forms."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import statsmodels.api as sm
from scipy import stats
from sklearn.linear_model import LinearRegression

from sklearn_mle import InferenceWarning, MLELinearRegression

# NIST Statistical Reference Datasets, Longley (higher difficulty), certified values
# https://www.itl.nist.gov/div898/strd/lls/data/Longley.shtml
NIST_COEF = np.array([-3482258.63459582, 15.0618722713733, -0.358191792925910e-01,
                      -2.02022980381683, -1.03322686717359, -0.511041056535807e-01,
                      1829.15146461355])
NIST_SD = np.array([890420.383607373, 84.9149257747669, 0.334910077722432e-01,
                    0.488399681651699, 0.214274163161675, 0.226073200069370,
                    455.478499142212])
NIST_RESID_SD = 304.854073561965
NIST_R2 = 0.995479004577296


@pytest.fixture(scope="module")
def longley():
    d = sm.datasets.longley.load_pandas()
    return d.exog, d.endog


def test_longley_nist_certified(longley):
    X, y = longley
    reg = MLELinearRegression().fit(X, y)
    n, p = X.shape[0], X.shape[1] + 1
    np.testing.assert_allclose(reg.estimates_, NIST_COEF, rtol=1e-8)
    # NIST reports s^2 = RSS / (n - p); the MLE is RSS / n
    assert reg.sigma2_ == pytest.approx(NIST_RESID_SD**2 * (n - p) / n, rel=1e-8)
    np.testing.assert_allclose(reg.bse_, NIST_SD * np.sqrt((n - p) / n), rtol=1e-7)
    assert reg.score(X, y) == pytest.approx(NIST_R2, rel=1e-10)


def test_matches_statsmodels_ols(longley):
    X, y = longley
    reg = MLELinearRegression().fit(X, y)
    ref = sm.OLS(y, sm.add_constant(X)).fit()
    assert reg.param_names_ == ["intercept"] + list(X.columns)
    np.testing.assert_allclose(reg.estimates_, ref.params.values, rtol=1e-8)
    assert reg.loglik_ == pytest.approx(ref.llf, rel=1e-12)
    # statsmodels does not count sigma2 in AIC; R's logLik.lm (df = p + 1) does
    assert reg.n_params_ == X.shape[1] + 2
    assert reg.aic(X, y) == pytest.approx(ref.aic + 2, rel=1e-12)
    assert reg.bic(X, y) == pytest.approx(ref.bic + np.log(len(y)), rel=1e-12)
    scale = np.sqrt(ref.df_resid / ref.nobs)
    np.testing.assert_allclose(reg.bse_, ref.bse.values * scale, rtol=1e-7)
    z = ref.params.values / (ref.bse.values * scale)
    np.testing.assert_allclose(reg.pvalues_, 2 * stats.norm.sf(np.abs(z)), rtol=1e-6)
    assert "sigma2" in str(reg.summary())


def test_profile_ci_closed_form():
    """Profiling sigma2 out: RSS(b) = RSS + (b - b_hat)^2 / [(X'X)^-1]_jj."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(size=40)
    reg = MLELinearRegression().fit(X, y)
    A = np.column_stack([np.ones(40), X])
    beta, rss = np.linalg.lstsq(A, y, rcond=None)[:2]
    cjj = np.diag(np.linalg.inv(A.T @ A))
    half = np.sqrt(rss[0] * (np.exp(stats.chi2.ppf(0.95, 1) / 40) - 1) * cjj)
    ref = np.column_stack([beta - half, beta + half])
    np.testing.assert_allclose(reg.conf_int(method="profile"), ref, rtol=1e-7)


def test_matches_sklearn_weights_sparse():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 4))
    y = X @ [1.0, 0.0, 2.0, -1.0] + 3 + rng.normal(size=60)
    w = rng.integers(0, 4, 60)
    reg = MLELinearRegression().fit(X, y, sample_weight=w)
    sk = LinearRegression().fit(X, y, sample_weight=w)
    np.testing.assert_allclose(reg.coef_, sk.coef_, rtol=1e-10)
    assert reg.intercept_ == pytest.approx(sk.intercept_, rel=1e-10)
    rep = MLELinearRegression().fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(reg.bse_, rep.bse_, rtol=1e-10)
    assert reg.loglik_ == pytest.approx(rep.loglik_, rel=1e-12)
    sparse = MLELinearRegression().fit(sp.csr_matrix(X), y, sample_weight=w)
    np.testing.assert_allclose(sparse.estimates_, reg.estimates_, rtol=1e-12)
    assert reg.score(X, y) == pytest.approx(sk.score(X, y), rel=1e-12)


def test_collinear_columns_named():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"a": rng.normal(size=30), "b": rng.normal(size=30)})
    df["c"] = 2 * df["a"] - df["b"]
    y = rng.normal(size=30)
    with pytest.raises(ValueError, match=r"'c' is a linear combination of .*'a'.*'b'"):
        MLELinearRegression().fit(df, y)
    df2 = df[["a"]].assign(k=1.0)
    with pytest.raises(ValueError, match=r"rank deficient.*'(k|intercept)' is a linear comb"):
        MLELinearRegression().fit(df2, y)


def test_exact_fit_and_one_sample_messages():
    X = np.arange(5.0).reshape(-1, 1)
    with pytest.warns(InferenceWarning, match="residual sum of squares 0"):
        reg = MLELinearRegression().fit(X, 2 * X[:, 0] + 1)
    assert reg.sigma2_ == 0 and reg.loglik_ == np.inf and np.all(reg.bse_ == 0)
    np.testing.assert_allclose(reg.coef_, [2.0])
    with pytest.raises(ValueError, match="got 1 sample"):
        MLELinearRegression().fit(X[:1], [1.0])
