"""MLENegativeBinomialRegression (NB2) against statsmodels' NegativeBinomial."""

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_mle.exceptions import BoundaryWarning
from sklearn_mle.linear_model._negative_binomial import MLENegativeBinomialRegression

RTOL = 1e-6


@pytest.fixture(scope="module")
def randhie():
    d = sm.datasets.randhie.load_pandas()
    return d.exog.iloc[:4000], d.endog.iloc[:4000]


def _ref(y, X, **kw):
    model = sm.NegativeBinomial(y, sm.add_constant(X), **kw.pop("model", {}))
    return model.fit(disp=0, method="newton", tol=1e-12, maxiter=100, **kw)


def test_nb2_equals_statsmodels(randhie):
    X, y = randhie
    ours = MLENegativeBinomialRegression(tol=1e-10).fit(X, y)
    ref = _ref(y, X)
    assert ours.param_names_ == ["intercept", *X.columns, "alpha"]
    assert_allclose(ours.estimates_, ref.params.values, rtol=RTOL)
    assert_allclose(ours.bse_, ref.bse.values, rtol=RTOL)
    assert_allclose(ours.pvalues_, ref.pvalues.values, rtol=1e-5)
    assert ours.loglik_ == pytest.approx(ref.llf, rel=1e-10)
    assert ours.log_likelihood(X, y) == pytest.approx(ref.llf, rel=1e-10)
    assert ours.alpha_ == pytest.approx(ref.params["alpha"], rel=RTOL)
    assert ours.n_params_ == len(ref.params)
    assert ours.aic(X, y) == pytest.approx(ref.aic, rel=1e-10)
    h = ours.summary().header
    assert float(h["LL-Null"]) == pytest.approx(ref.llnull, rel=1e-5)
    assert float(h["Pseudo R-squ. (McFadden)"]) == pytest.approx(ref.prsquared, abs=1e-5)
    assert h["Df model"] == str(int(ref.df_model))
    me = ours.marginal_effects()
    assert_allclose(me.estimate, ref.get_margeff().margeff, rtol=RTOL)
    assert_allclose(me.std_err, ref.get_margeff().margeff_se, rtol=1e-5)
    ci = ours.conf_int()
    assert_allclose(ci, ref.conf_int().values, rtol=1e-5)


def test_nb2_exposure_and_robust_covariances(randhie):
    X, y = randhie
    expo = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    ours = MLENegativeBinomialRegression(tol=1e-10, cov_type="HC0").fit(X, y, exposure=expo)
    # statsmodels' default start fails with this exposure: start it from its Poisson fit
    pois = sm.Poisson(y, sm.add_constant(X), exposure=expo).fit(disp=0)
    ref = _ref(y, X, model={"exposure": expo}, cov_type="HC0",
               start_params=np.append(pois.params.values, 1.0))
    assert_allclose(ours.estimates_, ref.params.values, rtol=RTOL)
    assert_allclose(ours.bse_, ref.bse.values, rtol=RTOL)
    groups = np.arange(len(y)) // 50
    ours = MLENegativeBinomialRegression(tol=1e-10, cov_type="cluster").fit(X, y,
                                                                           groups=groups)
    ref = _ref(y, X, cov_type="cluster", cov_kwds={"groups": groups})
    assert_allclose(ours.cov_params_, ref.cov_params().values, rtol=RTOL)
    assert ours.summary().header["Covariance type"] == "cluster"


def test_nb2_weights_equal_repeated_rows(randhie):
    X, y = randhie
    X, y = X.iloc[:1000], y.iloc[:1000]
    w = np.random.default_rng(1).integers(1, 4, size=len(y))
    rep = np.repeat(np.arange(len(y)), w)
    a = MLENegativeBinomialRegression(tol=1e-10).fit(X, y, sample_weight=w)
    b = MLENegativeBinomialRegression(tol=1e-10).fit(X.iloc[rep], y.iloc[rep])
    assert_allclose(a.estimates_, b.estimates_, rtol=1e-7)
    assert_allclose(a.bse_, b.bse_, rtol=1e-6)


def test_poisson_data_put_alpha_on_the_boundary():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 2))
    y = np.round(np.exp(0.5 + X @ [0.3, -0.2]))  # underdispersed: variance < mean
    with pytest.warns(BoundaryWarning, match="not overdispersed"):
        reg = MLENegativeBinomialRegression().fit(X, y)
    assert reg.alpha_ == 0.0 and np.isinf(reg.bse_[-1])
    assert np.all(np.isfinite(reg.bse_[:-1]))
    assert reg.conf_int()[-1, 0] >= 0.0


def test_nb2_parametric_bootstrap_and_prediction(randhie):
    X, y = randhie
    X, y = X.iloc[:500], y.iloc[:500]
    reg = MLENegativeBinomialRegression().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reps = reg.bootstrap_replicates(40, parametric=True, random_state=0)
    # the simulated alpha is centred on the fitted one
    assert abs(np.median(reps[:, -1]) - reg.alpha_) < 3 * reg.bse_[-1]
    res = reg.predict_interval(X.iloc[:5])
    assert_allclose(res.mean, reg.predict(X.iloc[:5]), rtol=1e-12)
    assert np.all(res.mean_ci[:, 0] < res.mean) and np.all(res.mean < res.mean_ci[:, 1])
    with pytest.raises(ValueError, match="profile"):
        reg.conf_int(method="profile")


@parametrize_with_checks([MLENegativeBinomialRegression()],
                         expected_failed_checks=lambda est: dict(est._sklearn_xfail_checks))
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        check(estimator)
