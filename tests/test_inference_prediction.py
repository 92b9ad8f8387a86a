"""predict_interval and marginal effects against statsmodels."""

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose

from sklearn_mle.linear_model._linear import MLELinearRegression
from sklearn_mle.linear_model._logistic import MLELogisticRegression
from sklearn_mle.linear_model._poisson import MLEPoissonRegression

RTOL = 1e-6
COLS = ["mean", "mean_se", "mean_ci_lower", "mean_ci_upper"]


@pytest.fixture(scope="module")
def spector():
    d = sm.datasets.spector.load_pandas()
    return d.exog, d.endog


def test_logistic_prediction_equals_statsmodels_glm(spector):
    X, y = spector
    ours = MLELogisticRegression(tol=1e-12).fit(X, y)
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial()).fit(tol=1e-12)
    got = ours.predict_interval(X, alpha=0.1).summary_frame()
    want = ref.get_prediction(sm.add_constant(X)).summary_frame(alpha=0.1)
    assert_allclose(got[COLS].to_numpy(), want[COLS].to_numpy(), rtol=RTOL)
    assert np.all(got["mean_ci_lower"] > 0) and np.all(got["mean_ci_upper"] < 1)


def test_poisson_prediction_with_exposure_equals_statsmodels():
    d = sm.datasets.randhie.load_pandas()
    X, y = d.exog.iloc[:2000], d.endog.iloc[:2000]
    expo = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    ours = MLEPoissonRegression(tol=1e-12).fit(X, y, exposure=expo)
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson(),
                 exposure=expo).fit(tol=1e-12)
    got = ours.predict_interval(X.iloc[:50], exposure=expo[:50]).summary_frame()
    want = ref.get_prediction(sm.add_constant(X).iloc[:50],
                              exposure=expo[:50]).summary_frame()
    assert_allclose(got[COLS].to_numpy(), want[COLS].to_numpy(), rtol=RTOL)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC1"])
def test_linear_prediction_and_obs_interval_equal_statsmodels_ols(cov_type):
    if cov_type == "nonrobust":
        d = sm.datasets.longley.load_pandas()
        X, y = d.exog, d.endog
    else:  # Longley's condition number 5e9 leaves a' cov a with 1e-4 rounding either way
        rng = np.random.default_rng(0)
        X = rng.normal(size=(60, 3))
        y = X @ [1.0, -2.0, 0.5] + rng.normal(size=60) * (1 + np.abs(X[:, 0]))
    ours = MLELinearRegression(use_t=True, cov_type=cov_type).fit(X, y)
    ref = sm.OLS(y, sm.add_constant(X)).fit(cov_type=cov_type, use_t=True)
    got = ours.predict_interval(X).summary_frame()
    want = ref.get_prediction(sm.add_constant(X)).summary_frame()
    assert_allclose(got.to_numpy(), want[list(got.columns)].to_numpy(), rtol=1e-6)
    assert list(got.columns) == COLS + ["obs_ci_lower", "obs_ci_upper"]


@pytest.mark.parametrize("at", ["overall", "mean"])
def test_logit_marginal_effects_equal_statsmodels(spector, at):
    X, y = spector
    ours = MLELogisticRegression(tol=1e-12).fit(X, y).marginal_effects(at=at)
    ref = sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    me = ref.get_margeff(at=at)
    assert ours.names == list(X.columns)
    assert_allclose(ours.estimate, me.margeff, rtol=RTOL)
    assert_allclose(ours.std_err, me.margeff_se, rtol=1e-5)
    assert_allclose(ours.pvalue, me.pvalues, rtol=1e-5)


@pytest.mark.parametrize("at", ["overall", "mean"])
def test_poisson_marginal_effects_equal_statsmodels(at):
    d = sm.datasets.randhie.load_pandas()
    X, y = d.exog.iloc[:3000], d.endog.iloc[:3000]
    ours = MLEPoissonRegression(tol=1e-12).fit(X, y).marginal_effects(at=at)
    ref = sm.Poisson(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    me = ref.get_margeff(at=at)
    assert_allclose(ours.estimate, me.margeff, rtol=RTOL)
    assert_allclose(ours.std_err, me.margeff_se, rtol=1e-5)


def test_prediction_errors(spector):
    X, y = spector
    clf = MLELogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="alpha"):
        clf.predict_interval(X, alpha=1.5)
    with pytest.raises(ValueError, match="at must be"):
        clf.marginal_effects(at="median")
    three = np.asarray(y).astype(int) + (np.asarray(X)[:, 2] > 0.5)
    multi = MLELogisticRegression().fit(X, three)
    with pytest.raises(ValueError, match="multinomial"):
        multi.predict_interval(X)
