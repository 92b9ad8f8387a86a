"""MLELogisticRegression against statsmodels (Logit, MNLogit) and scikit-learn."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import statsmodels.api as sm
from scipy import optimize, stats
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_mle import MLELogisticRegression, likelihood_ratio_test
from sklearn_mle.linear_model._family import Binomial
from sklearn_mle.linear_model._newton import GLMProblem

RTOL = 1e-6


@pytest.fixture(scope="module")
def spector():
    d = sm.datasets.spector.load_pandas()
    return d.exog, d.endog


@pytest.fixture(scope="module")
def spector_fits(spector):
    X, y = spector
    ours = MLELogisticRegression().fit(X, y)
    ref = sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    return ours, ref


@pytest.fixture(scope="module")
def anes():
    a = sm.datasets.anes96.load_pandas().data
    return a[["logpopul", "selfLR", "age", "educ", "income"]], a["PID"]


def test_binary_matches_statsmodels_logit(spector_fits):
    ours, ref = spector_fits
    assert ours.param_names_ == ["intercept", "GPA", "TUCE", "PSI"]
    np.testing.assert_allclose(ours.estimates_, ref.params.values, rtol=RTOL)
    np.testing.assert_allclose(ours.intercept_, [ref.params["const"]], rtol=RTOL)
    np.testing.assert_allclose(ours.coef_[0], ref.params.values[1:], rtol=RTOL)
    np.testing.assert_allclose(ours.bse_, ref.bse.values, rtol=RTOL)
    np.testing.assert_allclose(ours.cov_params_, ref.cov_params().values, rtol=1e-5)
    np.testing.assert_allclose(ours.pvalues_, ref.pvalues.values, rtol=1e-5)
    assert ours.loglik_ == pytest.approx(ref.llf, rel=1e-10)
    assert ours.n_params_ == 4 and ours.nobs_ == 32
    X, y = spector_fits[1].model.exog[:, 1:], spector_fits[1].model.endog
    assert ours.aic(X, y) == pytest.approx(ref.aic, rel=1e-9)
    assert ours.bic(X, y) == pytest.approx(ref.bic, rel=1e-9)
    np.testing.assert_allclose(ours.conf_int(), ref.conf_int().values, rtol=1e-5)
    assert ours.converged_ and 0 < ours.n_iter_ < 15


def test_summary_order_and_frame(spector_fits):
    ours, ref = spector_fits
    s = ours.summary()
    text = str(s)
    assert "Log-likelihood" in text and "GPA" in text
    frame = s.to_frame()
    assert list(frame.index) == ours.param_names_
    np.testing.assert_allclose(frame["P>|z|"].values, ref.pvalues.values, rtol=1e-5)
    np.testing.assert_allclose(frame["z"].values, ref.tvalues.values, rtol=1e-5)
    assert "<table>" in s._repr_html_()


def _profile_ci_reference(X, y, j, alpha=0.05):
    """Profile CI of coefficient j by statsmodels GLM fits with x_j * b as an offset."""
    A = sm.add_constant(X).values
    y = np.asarray(y, dtype=float)
    full = sm.GLM(y, A, family=sm.families.Binomial()).fit(tol=1e-12)
    target = full.llf - stats.chi2.ppf(1 - alpha, 1) / 2
    others = np.delete(np.arange(A.shape[1]), j)

    def gap(b):
        fit = sm.GLM(y, A[:, others], family=sm.families.Binomial(),
                     offset=b * A[:, j]).fit(tol=1e-12)
        return fit.llf - target

    est, se = np.asarray(full.params)[j], np.asarray(full.bse)[j]
    lo = optimize.brentq(gap, est - 6 * se, est, xtol=1e-10)
    hi = optimize.brentq(gap, est, est + 6 * se, xtol=1e-10)
    return lo, hi


def test_profile_ci_matches_constrained_statsmodels_fits(spector, spector_fits):
    X, y = spector
    ours = spector_fits[0]
    ci = ours.conf_int(method="profile")
    for j in (1, 3):
        np.testing.assert_allclose(ci[j], _profile_ci_reference(X, y, j), rtol=1e-6)
    # profile intervals are not symmetric, unlike Wald
    assert not np.allclose(ci[1].mean(), ours.estimates_[1], rtol=1e-3)


def test_multinomial_matches_statsmodels_mnlogit(anes):
    X, y = anes
    ours = MLELogisticRegression().fit(X, y)
    ref = sm.MNLogit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12,
                                                maxiter=100)
    # statsmodels stores params as (p, K-1); ours are ordered class by class
    np.testing.assert_allclose(ours.estimates_, ref.params.values.T.ravel(), rtol=RTOL)
    np.testing.assert_allclose(ours.bse_, ref.bse.values.T.ravel(), rtol=RTOL)
    np.testing.assert_allclose(ours.pvalues_, ref.pvalues.values.T.ravel(), rtol=1e-5)
    assert ours.loglik_ == pytest.approx(ref.llf, rel=1e-10)
    assert ours.n_params_ == ref.params.size
    assert ours.aic(X, y) == pytest.approx(ref.aic, rel=1e-9)
    assert ours.coef_.shape == (6, 5) and ours.intercept_.shape == (6,)
    assert ours.param_names_[:2] == ["1.0:intercept", "1.0:logpopul"]
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict(), rtol=1e-6, atol=1e-9)
    # decision_function: zero column for the reference category
    df = ours.decision_function(X)
    assert df.shape == (len(y), 7) and np.all(df[:, 0] == 0)


def test_unpenalized_matches_sklearn(spector):
    X, y = spector
    ours = MLELogisticRegression().fit(X, y)
    sk = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000,
                            solver="newton-cholesky").fit(X, y)
    np.testing.assert_allclose(ours.coef_, sk.coef_, rtol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), rtol=1e-6,
                               atol=1e-10)
    np.testing.assert_array_equal(ours.predict(X), sk.predict(X))
    assert ours.score(X, y) == sk.score(X, y)


def test_string_labels_and_methods(spector):
    X, y = spector
    labels = np.where(y.values == 1, "up", "down")
    clf = MLELogisticRegression().fit(X.values, labels)
    ref = MLELogisticRegression().fit(X.values, y.values)
    assert list(clf.classes_) == ["down", "up"]
    np.testing.assert_allclose(clf.coef_, ref.coef_, rtol=1e-12)
    proba = clf.predict_proba(X.values)
    np.testing.assert_allclose(np.log(proba), clf.predict_log_proba(X.values), rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    eta = clf.decision_function(X.values)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-eta)), rtol=1e-12)
    assert set(clf.predict(X.values)) <= {"down", "up"}
    ll = clf.log_likelihood(X.values, labels)
    assert ll == pytest.approx(clf.loglik_, rel=1e-12)


def test_sparse_equals_dense_and_float32(spector):
    X, y = spector
    dense = MLELogisticRegression().fit(X.values, y.values)
    sparse = MLELogisticRegression().fit(sp.csr_matrix(X.values), y.values)
    np.testing.assert_allclose(sparse.estimates_, dense.estimates_, rtol=1e-9)
    np.testing.assert_allclose(sparse.bse_, dense.bse_, rtol=1e-9)
    f32 = MLELogisticRegression().fit(X.values.astype(np.float32), y.values)
    np.testing.assert_allclose(f32.estimates_, dense.estimates_, rtol=1e-5)


def test_weights_equal_repeats(spector):
    X, y = spector
    rng = np.random.default_rng(0)
    w = rng.integers(0, 4, len(y))
    weighted = MLELogisticRegression().fit(X.values, y.values, sample_weight=w)
    rep = MLELogisticRegression().fit(np.repeat(X.values, w, axis=0), np.repeat(y.values, w))
    np.testing.assert_allclose(weighted.estimates_, rep.estimates_, rtol=1e-8)
    np.testing.assert_allclose(weighted.bse_, rep.bse_, rtol=1e-8)
    assert weighted.loglik_ == pytest.approx(rep.loglik_, rel=1e-10)
    assert weighted.nobs_ == w.sum()


def test_blocked_threaded_hessian_equals_direct():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1003, 6))
    y = (rng.random(1003) < 0.4).astype(float)[:, None]
    theta = rng.normal(scale=0.3, size=(1, 7))
    prob = GLMProblem(X, y, np.ones(1003), None, Binomial(), True, n_jobs=2,
                      block_rows=97)
    ll = -prob.value(theta)
    g = -prob.gradient().reshape(1, -1)
    H = prob.newton_matrix()
    A = np.column_stack([np.ones(1003), X])
    eta = A @ theta[0]
    mu = 1 / (1 + np.exp(-eta))
    np.testing.assert_allclose(H, A.T @ (A * (mu * (1 - mu))[:, None]), rtol=1e-12)
    np.testing.assert_allclose(g[0], A.T @ (y[:, 0] - mu), rtol=1e-10)
    assert ll == pytest.approx(np.sum(stats.bernoulli.logpmf(y[:, 0], mu)), rel=1e-12)


def test_lbfgs_solver_agrees(spector_fits, spector):
    X, y = spector
    ours = MLELogisticRegression(solver="lbfgs", max_iter=1000).fit(X, y)
    np.testing.assert_allclose(ours.estimates_, spector_fits[1].params.values, rtol=1e-4)


def test_lrt_on_column_subset_matches_statsmodels(spector):
    X, y = spector
    big = MLELogisticRegression().fit(X, y)
    small = MLELogisticRegression().fit(X[["GPA"]], y)
    ref_big = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-12)
    ref_small = sm.Logit(y, sm.add_constant(X[["GPA"]])).fit(disp=0, tol=1e-12)
    res = likelihood_ratio_test(small, big)
    stat = 2 * (ref_big.llf - ref_small.llf)
    assert res.df == 2
    assert res.statistic == pytest.approx(stat, rel=1e-8)
    assert res.pvalue == pytest.approx(stats.chi2.sf(stat, 2), rel=1e-7)


def test_pipeline_gridsearch_and_cross_val(spector):
    X, y = spector
    pipe = make_pipeline(StandardScaler(), MLELogisticRegression())
    scores = cross_val_score(pipe, X, y, cv=3, scoring="neg_log_loss")
    assert scores.shape == (3,) and np.all(scores < 0)
    acc = cross_val_score(MLELogisticRegression(), X, y, cv=3)
    assert np.all((0 <= acc) & (acc <= 1))
    gs = GridSearchCV(MLELogisticRegression(), {"fit_intercept": [True, False]}, cv=3,
                      scoring="neg_log_loss").fit(X, y)
    assert gs.best_params_["fit_intercept"] in (True, False)


def test_pandas_names_and_no_intercept(spector):
    X, y = spector
    clf = MLELogisticRegression(fit_intercept=False).fit(X, y)
    ref = sm.Logit(y, X).fit(disp=0, tol=1e-12)
    assert clf.param_names_ == ["GPA", "TUCE", "PSI"]
    np.testing.assert_allclose(clf.estimates_, ref.params.values, rtol=RTOL)
    np.testing.assert_allclose(clf.bse_, ref.bse.values, rtol=RTOL)
    assert clf.intercept_.tolist() == [0.0]


def test_ill_conditioned_features_scale(spector):
    """Features on wildly different scales: estimates rescale exactly (no blow-up)."""
    X, y = spector
    scaled = X * np.array([1e4, 1e-4, 1.0])
    a = MLELogisticRegression().fit(X, y)
    b = MLELogisticRegression().fit(scaled, y)
    np.testing.assert_allclose(b.coef_[0] * [1e4, 1e-4, 1.0], a.coef_[0], rtol=1e-6)
    np.testing.assert_allclose(b.pvalues_, a.pvalues_, rtol=1e-6)


def test_bad_inputs_messages():
    X = np.arange(10.0).reshape(-1, 1)
    with pytest.raises(ValueError, match="only one class"):
        MLELogisticRegression().fit(X, np.zeros(10))
    y = np.array([0, 1] * 5)
    with pytest.raises(ValueError, match="only one class .* positive sample weight"):
        MLELogisticRegression().fit(X, y, sample_weight=y.astype(float))
    X_nan = X.copy()
    X_nan[3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        MLELogisticRegression().fit(X_nan, y)
    clf = MLELogisticRegression().fit(np.column_stack([X[:, 0], np.sin(X[:, 0])]), y)
    with pytest.raises(ValueError, match="not seen in fit"):
        clf.log_likelihood(np.column_stack([X[:, 0], np.sin(X[:, 0])]), y + 5)
    df = pd.DataFrame({"a": X[:, 0]})
    with pytest.raises(ValueError, match="multinomial"):
        from sklearn_mle.priors import Jeffreys

        MLELogisticRegression(prior=Jeffreys()).fit(
            pd.concat([df] * 3, ignore_index=True), np.repeat([0, 1, 2], 10))


def test_multinomial_sparse_float32_and_weights(anes):
    X, y = anes
    Xv, yv = X.values[:400], y.values[:400]
    dense = MLELogisticRegression().fit(Xv, yv)
    sparse = MLELogisticRegression().fit(sp.csr_matrix(Xv), yv)
    np.testing.assert_allclose(sparse.estimates_, dense.estimates_, rtol=1e-8)
    np.testing.assert_allclose(sparse.bse_, dense.bse_, rtol=1e-8)
    f32 = MLELogisticRegression().fit(Xv.astype(np.float32), yv)
    np.testing.assert_allclose(f32.estimates_, dense.estimates_, rtol=1e-4, atol=1e-6)
    w = np.random.default_rng(2).integers(0, 3, 400)
    a = MLELogisticRegression().fit(Xv, yv, sample_weight=w)
    b = MLELogisticRegression().fit(np.repeat(Xv, w, axis=0), np.repeat(yv, w))
    np.testing.assert_allclose(a.estimates_, b.estimates_, rtol=1e-8)
    np.testing.assert_allclose(a.bse_, b.bse_, rtol=1e-8)


def test_probit_equals_statsmodels_probit(spector):
    X, y = spector
    ours = MLELogisticRegression(link="probit", tol=1e-12).fit(X, y)
    ref = sm.Probit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    np.testing.assert_allclose(ours.estimates_, ref.params.values, rtol=1e-8)
    np.testing.assert_allclose(ours.bse_, ref.bse.values, rtol=1e-8)
    assert ours.loglik_ == pytest.approx(ref.llf, rel=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X)[:, 1], ref.predict(), rtol=1e-8)
    assert ours.log_likelihood(X, y) == pytest.approx(ref.llf, rel=1e-12)
    me = ours.marginal_effects()
    np.testing.assert_allclose(me.estimate, ref.get_margeff().margeff, rtol=1e-6)
    np.testing.assert_allclose(me.std_err, ref.get_margeff().margeff_se, rtol=1e-5)
    h = ours.summary().header
    assert float(h["LL-Null"]) == pytest.approx(ref.llnull, rel=1e-5)
    robust = MLELogisticRegression(link="probit", cov_type="HC0", tol=1e-12).fit(X, y)
    ref_hc0 = sm.Probit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12,
                                                   cov_type="HC0")
    np.testing.assert_allclose(robust.bse_, ref_hc0.bse.values, rtol=1e-7)


def test_cloglog_equals_statsmodels_glm(spector):
    X, y = spector
    ours = MLELogisticRegression(link="cloglog", tol=1e-12).fit(X, y)
    fam = sm.families.Binomial(link=sm.families.links.CLogLog())
    ref = sm.GLM(y, sm.add_constant(X), family=fam).fit(method="newton", tol=1e-12)
    np.testing.assert_allclose(ours.estimates_, ref.params.values, rtol=1e-8)
    # Newton's covariance is the inverse observed information, as ours
    np.testing.assert_allclose(ours.bse_, ref.bse.values, rtol=1e-7)
    assert ours.loglik_ == pytest.approx(ref.llf, rel=1e-12)
    got = ours.predict_interval(X).summary_frame()
    want = ref.get_prediction(sm.add_constant(X)).summary_frame()
    np.testing.assert_allclose(got.to_numpy(), want[list(got.columns)].to_numpy(), rtol=1e-6)
    assert set(ours.predict(X)) <= {0, 1}
    assert np.array_equal(ours.predict(X), (ours.predict_proba(X)[:, 1] > 0.5).astype(int))


def test_links_are_finite_in_the_tails_and_checked():
    X = np.linspace(-40, 40, 30)[:, None]
    y = (np.arange(30) % 3 == 0).astype(int)
    for link in ("probit", "cloglog"):
        clf = MLELogisticRegression(link=link).fit(X / 40, y)
        lp = clf.predict_log_proba(X * 10)
        assert np.all(np.isfinite(lp)) and np.all(lp <= 0)
    with pytest.raises(ValueError, match="binary"):
        MLELogisticRegression(link="probit").fit(X, np.arange(30) % 3)
    from sklearn_mle.priors import Jeffreys

    with pytest.raises(ValueError, match="Jeffreys"):
        MLELogisticRegression(link="probit", prior=Jeffreys()).fit(X, y)


def test_offset_equals_statsmodels_logit_offset(spector):
    X, y = spector
    off = np.linspace(-0.5, 0.5, len(y))
    ours = MLELogisticRegression(tol=1e-12).fit(X, y, offset=off)
    ref = sm.Logit(y, sm.add_constant(X), offset=off).fit(disp=0, method="newton", tol=1e-12)
    np.testing.assert_allclose(ours.estimates_, ref.params.values, rtol=1e-8)
    np.testing.assert_allclose(ours.bse_, ref.bse.values, rtol=1e-8)
    assert ours.log_likelihood(X, y, offset=off) == pytest.approx(ref.llf, rel=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X, offset=off)[:, 1], ref.predict(),
                               rtol=1e-8)
    assert float(ours.summary().header["LL-Null"]) == pytest.approx(ref.llnull, rel=1e-5)
    with pytest.raises(ValueError, match="offset"):
        MLELogisticRegression().fit(X, y, offset=off[:3])


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int64, np.uint8, np.uint64, bool])
def test_integer_labels_encoded_as_np_unique(dtype):
    # labels counted (no sort) for short integer ranges: the same classes and codes
    from sklearn_mle.linear_model._logistic import _unique_codes

    rng = np.random.default_rng(0)
    info = np.iinfo(dtype) if dtype is not bool else None
    samples = [rng.integers(0, 2, 40).astype(dtype)]
    if info is not None:
        samples += [np.array([info.min, info.max, info.min, 3], dtype=dtype),
                    (rng.integers(0, 3, 50) * 7 + 3).astype(dtype)]
    for y in samples:
        classes, codes = _unique_codes(y)
        ref_classes, ref_codes = np.unique(y, return_inverse=True)
        assert classes.dtype == ref_classes.dtype
        np.testing.assert_array_equal(classes, ref_classes)
        np.testing.assert_array_equal(codes, ref_codes)


@pytest.mark.parametrize("K", [2, 4])
def test_chord_fit_lands_on_the_optimum(K):
    # a fit from the subsample warm start ends on chord steps just below tol; the final
    # Newton step from the covariance's Hessian puts it within rounding of the MLE:
    # sklearn's newton-cholesky at tol=1e-12 (symmetric parametrisation, differenced)
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(7)
    n, d = 60_000, 6
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(scale=0.5, size=(d, K)) + rng.gumbel(size=(n, K))).argmax(axis=1)
    ours = MLELogisticRegression().fit(X, y)
    ref = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12,
                             max_iter=1000).fit(X, y)
    if K == 2:
        coef, icpt = ref.coef_, ref.intercept_
    else:
        coef, icpt = ref.coef_[1:] - ref.coef_[0], ref.intercept_[1:] - ref.intercept_[0]
    np.testing.assert_allclose(ours.coef_, coef, rtol=0, atol=1e-11)
    np.testing.assert_allclose(ours.intercept_, icpt, rtol=0, atol=1e-11)
