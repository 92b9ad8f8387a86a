"""MLEPoissonRegression against statsmodels (Poisson, GLM with exposure) and sklearn."""

import numpy as np
import pytest
import scipy.sparse as sp
import statsmodels.api as sm
from scipy import optimize, stats
from sklearn.linear_model import PoissonRegressor
from sklearn.model_selection import GridSearchCV, cross_val_score

from sklearn_mle import MLEPoissonRegression, likelihood_ratio_test
from sklearn_mle.priors import Normal

RTOL = 1e-6


@pytest.fixture(scope="module")
def randhie():
    r = sm.datasets.randhie.load_pandas().data
    return r.iloc[:, 1:], r["mdvis"]


@pytest.fixture(scope="module")
def fits(randhie):
    X, y = randhie
    ours = MLEPoissonRegression().fit(X, y)
    ref = sm.Poisson(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    return ours, ref


def test_matches_statsmodels_poisson(fits, randhie):
    ours, ref = fits
    X, y = randhie
    assert ours.param_names_ == ["intercept"] + list(X.columns)
    np.testing.assert_allclose(ours.estimates_, ref.params.values, rtol=RTOL)
    np.testing.assert_allclose(ours.bse_, ref.bse.values, rtol=RTOL)
    np.testing.assert_allclose(ours.pvalues_, ref.pvalues.values, rtol=1e-5)
    assert ours.loglik_ == pytest.approx(ref.llf, rel=1e-10)
    assert ours.aic(X, y) == pytest.approx(ref.aic, rel=1e-9)
    assert ours.bic(X, y) == pytest.approx(ref.bic, rel=1e-9)
    np.testing.assert_allclose(ours.conf_int(), ref.conf_int().values, rtol=1e-5)
    np.testing.assert_allclose(ours.predict(X), ref.predict(), rtol=1e-6)


def test_exposure_and_offset_match_statsmodels_glm(randhie):
    X, y = randhie
    X = X.iloc[:, :4]
    exposure = 0.5 + (np.arange(len(y)) % 7) / 3.0
    ours = MLEPoissonRegression().fit(X, y, exposure=exposure)
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson(),
                 exposure=exposure).fit(tol=1e-12)
    np.testing.assert_allclose(ours.estimates_, ref.params.values, rtol=RTOL)
    np.testing.assert_allclose(ours.bse_, ref.bse.values, rtol=RTOL)
    assert ours.loglik_ == pytest.approx(ref.llf, rel=1e-10)
    # offset = log(exposure) is the same model
    via_offset = MLEPoissonRegression().fit(X, y, offset=np.log(exposure))
    np.testing.assert_allclose(via_offset.estimates_, ours.estimates_, rtol=1e-10)
    np.testing.assert_allclose(ours.predict(X, exposure=exposure), ref.predict(), rtol=1e-6)
    # exposure is not a weight: weights would change the fit
    weighted = MLEPoissonRegression().fit(X, y, sample_weight=exposure)
    assert not np.allclose(weighted.estimates_, ours.estimates_, rtol=1e-3)
    ll = ours.log_likelihood(X, y, exposure=exposure)
    assert ll == pytest.approx(ref.llf, rel=1e-10)


def test_unpenalized_and_l2_match_sklearn(randhie):
    X, y = randhie
    X = X.iloc[:, :5].values
    sk = PoissonRegressor(alpha=0, tol=1e-12, max_iter=1000, solver="newton-cholesky")
    sk.fit(X, y)
    ours = MLEPoissonRegression().fit(X, y)
    np.testing.assert_allclose(ours.coef_, sk.coef_, rtol=1e-6)
    assert ours.intercept_ == pytest.approx(sk.intercept_, rel=1e-6)
    assert ours.score(X, y) == pytest.approx(sk.score(X, y), rel=1e-9)
    # Normal(scale) prior == PoissonRegressor(alpha = 1 / (n * scale^2))
    scale = 0.05
    sk2 = PoissonRegressor(alpha=1 / (len(y) * scale**2), tol=1e-12, max_iter=1000,
                           solver="newton-cholesky").fit(X, y)
    map_ = MLEPoissonRegression(prior=Normal(scale)).fit(X, y)
    np.testing.assert_allclose(map_.coef_, sk2.coef_, rtol=1e-6)
    assert "Laplace approximation" in str(map_.summary())


def test_d2_score_is_deviance_explained(fits, randhie):
    ours, _ = fits
    X, y = randhie
    yv = y.values.astype(float)
    mu = ours.predict(X)

    def dev(y, m):
        t = np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / m), 0.0)
        return 2 * np.sum(t - (y - m))

    ref = 1 - dev(yv, mu) / dev(yv, np.full_like(yv, yv.mean()))
    assert ours.score(X, y) == pytest.approx(ref, rel=1e-10)


def test_sparse_dense_and_weights_repeats(randhie):
    X, y = randhie
    Xv, yv = X.values[:2000], y.values[:2000]
    dense = MLEPoissonRegression().fit(Xv, yv)
    sparse = MLEPoissonRegression().fit(sp.csr_matrix(Xv), yv)
    np.testing.assert_allclose(sparse.estimates_, dense.estimates_, rtol=1e-9)
    np.testing.assert_allclose(sparse.bse_, dense.bse_, rtol=1e-9)
    w = np.random.default_rng(0).integers(0, 3, len(yv))
    a = MLEPoissonRegression().fit(Xv, yv, sample_weight=w)
    b = MLEPoissonRegression().fit(np.repeat(Xv, w, axis=0), np.repeat(yv, w))
    np.testing.assert_allclose(a.estimates_, b.estimates_, rtol=1e-8)
    np.testing.assert_allclose(a.bse_, b.bse_, rtol=1e-8)


def test_lrt_gridsearch(randhie):
    X, y = randhie
    big = MLEPoissonRegression().fit(X, y)
    small = MLEPoissonRegression().fit(X.iloc[:, :3], y)
    rb = sm.Poisson(y, sm.add_constant(X)).fit(disp=0, tol=1e-12)
    rs = sm.Poisson(y, sm.add_constant(X.iloc[:, :3])).fit(disp=0, tol=1e-12)
    res = likelihood_ratio_test(small, big)
    assert res.df == X.shape[1] - 3
    assert res.statistic == pytest.approx(2 * (rb.llf - rs.llf), rel=1e-8)
    Xs, ys = X.iloc[:1500], y.iloc[:1500]
    assert np.all(np.isfinite(cross_val_score(MLEPoissonRegression(), Xs, ys, cv=3)))
    GridSearchCV(MLEPoissonRegression(), {"fit_intercept": [True, False]}, cv=2).fit(Xs, ys)


def test_profile_ci_matches_constrained_statsmodels_fits(randhie):
    X, y = randhie
    X, y = X.iloc[:3000, :3], y.iloc[:3000]
    ours = MLEPoissonRegression().fit(X, y)
    prof = ours.conf_int(method="profile")
    A = sm.add_constant(X).values
    yv = y.values.astype(float)
    target = ours.loglik_ - stats.chi2.ppf(0.95, 1) / 2
    j = 2

    def gap(b):  # statsmodels fit of the other coefficients with x_j * b as offset
        fit = sm.GLM(yv, np.delete(A, j, axis=1), family=sm.families.Poisson(),
                     offset=b * A[:, j]).fit(tol=1e-12)
        return fit.llf - target

    est, se = ours.estimates_[j], ours.bse_[j]
    ref = [optimize.brentq(gap, est - 5 * se, est, xtol=1e-12),
           optimize.brentq(gap, est, est + 5 * se, xtol=1e-12)]
    np.testing.assert_allclose(prof[j], ref, rtol=1e-6)
    # large n: profile and Wald intervals nearly agree, but are not identical
    np.testing.assert_allclose(prof, ours.conf_int(), rtol=5e-2, atol=5e-3)
    assert not np.allclose(prof, ours.conf_int(), rtol=1e-6)


def test_bad_y_message():
    X = np.arange(6.0).reshape(-1, 1)
    with pytest.raises(ValueError, match=r"value -1.0 at row 2; Poisson counts must be non-neg"):
        MLEPoissonRegression().fit(X, [0, 1, -1, 2, 3, 4])
    with pytest.raises(ValueError, match="exposure must be a finite positive"):
        MLEPoissonRegression().fit(X, [0, 1, 1, 2, 3, 4], exposure=np.zeros(6))


def test_exposure_routed_to_score_and_predict_in_cross_validation():
    # held-out D² with the exposure routed to fit and score equals a hand-written loop
    import sklearn
    from sklearn.model_selection import KFold, cross_val_score

    rng = np.random.default_rng(11)
    X = rng.normal(size=(300, 2))
    expo = rng.uniform(0.2, 5.0, size=300)
    y = rng.poisson(expo * np.exp(0.2 + X @ [0.5, -0.3]))
    cv = KFold(3, shuffle=True, random_state=0)
    hand = []
    for train, test in cv.split(X):
        reg = MLEPoissonRegression().fit(X[train], y[train], exposure=expo[train])
        hand.append(reg.score(X[test], y[test], exposure=expo[test]))
        mu = reg.predict(X[test], exposure=expo[test])
        ref = 1 - np.sum(poisson_dev(y[test], mu)) / np.sum(
            poisson_dev(y[test], np.full(len(test), y[test].mean())))
        assert hand[-1] == pytest.approx(ref, rel=1e-10)
    with sklearn.config_context(enable_metadata_routing=True):
        est = MLEPoissonRegression().set_fit_request(exposure=True).set_score_request(
            exposure=True)
        routed = cross_val_score(est, X, y, cv=cv, params={"exposure": expo})
    np.testing.assert_allclose(routed, hand, rtol=1e-12)
    assert np.all(routed > 0.3)


def poisson_dev(y, mu):
    from scipy import special

    return 2 * (special.xlogy(y, y / mu) - y + mu)
