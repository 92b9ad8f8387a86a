"""Sandwich covariances, small-sample OLS inference and the deeper summary, against
statsmodels (Logit on spector, Poisson on randhie, OLS on Longley)."""


import numpy as np
import pytest
import sklearn
import statsmodels.api as sm
from numpy.testing import assert_allclose
from sklearn.model_selection import GroupKFold, cross_val_score

from sklearn_mle.inference._robust import sandwich_cov
from sklearn_mle.linear_model._linear import MLELinearRegression
from sklearn_mle.linear_model._logistic import MLELogisticRegression
from sklearn_mle.linear_model._poisson import MLEPoissonRegression

RTOL = 1e-6


@pytest.fixture(scope="module")
def spector():
    d = sm.datasets.spector.load_pandas()
    return d.exog, d.endog


@pytest.fixture(scope="module")
def randhie():
    d = sm.datasets.randhie.load_pandas()
    return d.exog, d.endog


@pytest.fixture(scope="module")
def longley():
    d = sm.datasets.longley.load_pandas()
    return d.exog, d.endog


def _logit(X, y, **kw):
    return sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12, **kw)


def test_logit_hc0_and_cluster_equal_statsmodels(spector):
    X, y = spector
    ref = _logit(X, y, cov_type="HC0")
    ours = MLELogisticRegression(cov_type="HC0", tol=1e-12).fit(X, y)
    assert_allclose(ours.cov_params_, ref.cov_params().values, rtol=RTOL)
    assert_allclose(ours.bse_, ref.bse.values, rtol=RTOL)
    assert_allclose(ours.pvalues_, ref.pvalues.values, rtol=RTOL)
    assert_allclose(ours.conf_int(), ref.conf_int().values, rtol=RTOL)
    groups = np.arange(len(y)) % 7
    ref = _logit(X, y, cov_type="cluster", cov_kwds={"groups": groups})
    ours = MLELogisticRegression(cov_type="cluster", tol=1e-12).fit(X, y, groups=groups)
    assert_allclose(ours.cov_params_, ref.cov_params().values, rtol=RTOL)
    assert_allclose(ours.pvalues_, ref.pvalues.values, rtol=RTOL)
    assert ours.n_groups_ == 7
    # estimates are those of the model-based fit
    assert_allclose(ours.estimates_, MLELogisticRegression(tol=1e-12).fit(X, y).estimates_)


def test_glm_hc1_hc2_hc3_equal_sandwich_from_statsmodels_pieces(spector):
    # statsmodels returns HC0 for every HCx of a non-linear model; the GLM HC1-HC3
    # (R's sandwich::vcovHC) from statsmodels' scores, hat values and covariance
    X, y = spector
    glm = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial()).fit(tol=1e-12)
    S = glm.model.score_obs(glm.params.values)
    h = glm.get_hat_matrix_diag()
    B = glm.cov_params().values
    n, k = S.shape
    meats = {"HC1": S.T @ S * n / (n - k), "HC2": (S / (1 - h)[:, None]).T @ S,
             "HC3": (S / ((1 - h) ** 2)[:, None]).T @ S}
    for ct, meat in meats.items():
        ours = MLELogisticRegression(cov_type=ct, tol=1e-12).fit(X, y)
        assert_allclose(ours.cov_params_, B @ meat @ B, rtol=RTOL, err_msg=ct)


def test_poisson_randhie_hc0_cluster_equal_statsmodels(randhie):
    X, y = randhie
    model = sm.Poisson(y, sm.add_constant(X))
    ref = model.fit(disp=0, method="newton", tol=1e-12, cov_type="HC0")
    ours = MLEPoissonRegression(cov_type="HC0", tol=1e-12).fit(X, y)
    assert_allclose(ours.bse_, ref.bse.values, rtol=RTOL)
    groups = np.arange(len(y)) // 40
    ref = model.fit(disp=0, method="newton", tol=1e-12, cov_type="cluster",
                    cov_kwds={"groups": groups})
    ours = MLEPoissonRegression(cov_type="cluster", tol=1e-12).fit(X, y, groups=groups)
    assert_allclose(ours.cov_params_, ref.cov_params().values, rtol=RTOL)
    s = ours.summary()
    assert s.header["Covariance type"] == "cluster"
    assert s.header["No. clusters"] == str(len(np.unique(groups)))


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"])
def test_ols_longley_equals_statsmodels(longley, cov_type):
    X, y = longley
    groups = np.arange(len(y)) % 8
    kw = {"groups": groups} if cov_type == "cluster" else None
    ref = sm.OLS(y, sm.add_constant(X)).fit(cov_type=cov_type, cov_kwds=kw, use_t=True)
    ours = MLELinearRegression(cov_type=cov_type, use_t=True).fit(X, y, groups=groups)
    # Longley's condition number is 5e9: statsmodels' pinv and our QR agree to ~1e-8
    assert_allclose(ours.bse_, ref.bse.values, rtol=1e-6)
    assert_allclose(ours.pvalues_, ref.pvalues.values, rtol=1e-6)
    assert_allclose(ours.conf_int(), ref.conf_int().values, rtol=1e-6)
    assert ours.df_resid_ == ref.df_resid and ours.df_model_ == ref.df_model
    h = ours.summary().header
    assert h["Covariance type"] == cov_type
    assert float(h["R-squared"]) == pytest.approx(ref.rsquared, abs=1e-5)
    assert float(h["Adj. R-squared"]) == pytest.approx(ref.rsquared_adj, abs=1e-5)
    if cov_type != "cluster":  # 8 clusters for 6 slopes: statsmodels' pinv F is rank 7
        assert float(h["F-statistic"]) == pytest.approx(float(ref.fvalue), rel=1e-5)
        assert float(h["Prob (F-statistic)"]) == pytest.approx(float(ref.f_pvalue), rel=1e-3)
    # the MLE of sigma2 stays the fitted parameter
    assert ours.sigma2_ == pytest.approx(ref.ssr / len(y), rel=1e-9)


def test_ols_default_is_unchanged_mle_scaling(longley):
    X, y = longley
    ref = sm.OLS(y, sm.add_constant(X)).fit()
    ours = MLELinearRegression().fit(X, y)
    n, p = X.shape[0], X.shape[1] + 1
    assert_allclose(ours.bse_, ref.bse.values * np.sqrt((n - p) / n), rtol=1e-7)


def test_sandwich_weights_equal_repeated_rows(spector):
    X, y = spector
    rng = np.random.default_rng(0)
    w = rng.integers(1, 4, size=len(y))
    rep = np.repeat(np.arange(len(y)), w)
    groups = np.arange(len(y)) % 5
    for ct in ("HC0", "HC1", "HC3", "cluster"):
        a = MLELogisticRegression(cov_type=ct, tol=1e-12).fit(X, y, sample_weight=w,
                                                             groups=groups)
        b = MLELogisticRegression(cov_type=ct, tol=1e-12).fit(X.iloc[rep], y.iloc[rep],
                                                             groups=groups[rep])
        if ct == "HC3":  # leverages are per replicated row in both: equal
            assert_allclose(a.cov_params_, b.cov_params_, rtol=1e-6)
        else:
            assert_allclose(a.cov_params_, b.cov_params_, rtol=1e-6, err_msg=ct)


def test_cov_type_errors(spector):
    X, y = spector
    with pytest.raises(ValueError, match="groups"):
        MLELogisticRegression(cov_type="cluster").fit(X, y)
    with pytest.raises(ValueError, match="length"):
        MLELogisticRegression(cov_type="cluster").fit(X, y, groups=[0, 1])
    with pytest.raises(ValueError, match="at least 2 clusters"):
        MLELogisticRegression(cov_type="cluster").fit(X, y, groups=np.zeros(len(y)))
    from sklearn_mle.priors import Normal

    with pytest.raises(ValueError, match="prior"):
        MLELogisticRegression(cov_type="HC0", prior=Normal(1.0)).fit(X, y)
    with pytest.raises(ValueError, match="cov_type"):
        MLELogisticRegression(cov_type="HC9").fit(X, y)
    with pytest.raises(ValueError, match="prior"):
        MLELinearRegression(use_t=True, prior=Normal(1.0)).fit(X, y)


def test_sandwich_hc0_closed_form():
    rng = np.random.default_rng(1)
    A = np.column_stack([np.ones(30), rng.normal(size=30)])
    e = rng.normal(size=30)
    B = np.linalg.inv(A.T @ A)
    direct = B @ (A.T * e**2) @ A @ B
    assert_allclose(sandwich_cov(B, A * e[:, None], np.ones(30), "HC0"), direct, rtol=1e-12)


def test_groups_routed_through_cross_validation(spector):
    X, y = spector
    groups = np.arange(len(y)) % 4
    with sklearn.config_context(enable_metadata_routing=True):
        est = MLELogisticRegression(cov_type="cluster", prior=None).set_fit_request(groups=True)
        scores = cross_val_score(est, X, y, cv=GroupKFold(2), params={"groups": groups})
    assert scores.shape == (2,)


def test_summary_depth_equals_statsmodels(spector):
    X, y = spector
    ref = _logit(X, y)
    s = MLELogisticRegression(tol=1e-12).fit(X, y).summary()
    h = s.header
    assert h["Dep. variable"] == "GRADE"
    assert h["Df residuals"] == "28" and h["Df model"] == "3"
    assert float(h["LL-Null"]) == pytest.approx(ref.llnull, rel=1e-5)
    assert float(h["Pseudo R-squ. (McFadden)"]) == pytest.approx(ref.prsquared, abs=1e-5)
    assert float(h["LLR p-value"]) == pytest.approx(ref.llr_pvalue, rel=1e-3)
    assert h["Covariance type"] == "nonrobust" and int(h["Iterations"]) > 0
    assert "AIC" in h and h["Method"] == "MLE"


def test_summary_poisson_llnull_with_exposure(randhie):
    X, y = randhie
    rng = np.random.default_rng(0)
    expo = rng.uniform(0.5, 2.0, size=len(y))
    ref = sm.Poisson(y, sm.add_constant(X), exposure=expo).fit(disp=0, method="newton",
                                                                tol=1e-12)
    ours = MLEPoissonRegression(tol=1e-12).fit(X, y, exposure=expo)
    h = ours.summary().header
    assert float(h["LL-Null"]) == pytest.approx(ref.llnull, rel=1e-5)
    assert float(h["Pseudo R-squ. (McFadden)"]) == pytest.approx(ref.prsquared, abs=1e-5)


def test_summary_columns_align_on_the_decimal_point(longley):
    X, y = longley
    text = str(MLELinearRegression().fit(X, y).summary())
    rows = [ln for ln in text.splitlines() if ln.split() and ln.split()[0] in
            {"intercept", *X.columns}]
    assert len(rows) == 7
    assert "e+" not in "".join(rows)
    coef = [ln.split()[1] for ln in rows]
    # equal decimals in the column, right-aligned: the points line up
    assert len({len(c.split(".")[1]) for c in coef}) == 1
    assert len({ln.index(c) + len(c) for ln, c in zip(rows, coef)}) == 1


def test_intercept_only_models_fit(spector, randhie):
    X, y = spector
    empty = np.empty((len(y), 0))
    clf = MLELogisticRegression().fit(empty, y)
    p = y.mean()
    assert_allclose(clf.intercept_, [np.log(p / (1 - p))], rtol=1e-9)
    assert clf.loglik_ == pytest.approx(_logit(X, y).llnull, rel=1e-9)
    assert_allclose(clf.predict_proba(empty)[:, 1], p, rtol=1e-9)
    Xp, yp = randhie
    reg = MLEPoissonRegression().fit(np.empty((len(yp), 0)), yp)
    assert reg.intercept_ == pytest.approx(np.log(yp.mean()), rel=1e-9)
    lin = MLELinearRegression().fit(np.empty((len(yp), 0)), yp)
    assert lin.intercept_ == pytest.approx(yp.mean(), rel=1e-12)
    assert lin.bse_[0] == pytest.approx(np.sqrt(np.var(yp.to_numpy()) / len(yp)), rel=1e-9)
    with pytest.raises(ValueError, match="0 feature"):
        MLELogisticRegression(fit_intercept=False).fit(empty, y)


@pytest.mark.parametrize("cov_type", ["HC0", "cluster"])
def test_multinomial_sandwich_equals_statsmodels_mnlogit(cov_type):
    a = sm.datasets.anes96.load_pandas().data
    X, y = a[["logpopul", "selfLR", "age", "educ", "income"]], a["PID"]
    groups = np.arange(len(y)) % 20
    kw = {"groups": groups} if cov_type == "cluster" else None
    ref = sm.MNLogit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12,
                                                cov_type=cov_type, cov_kwds=kw)
    ours = MLELogisticRegression(cov_type=cov_type, tol=1e-12).fit(X, y, groups=groups)
    # statsmodels orders the parameters (feature, class); ours (class, feature)
    assert_allclose(ours.bse_, ref.bse.values.T.ravel(), rtol=RTOL)
    # HC2/HC3 (block leverages): tests/test_inference_robust_multinomial.py
