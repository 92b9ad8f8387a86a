"""Bad input and edge cases of the GLM estimators (known defects 03, 13, 15-17, 20)."""

import warnings

import numpy as np
import pytest
from scipy import stats

from sklearn_mle import (
    MLELinearRegression,
    MLELogisticRegression,
    MLEPoissonRegression,
    likelihood_ratio_test,
)
from sklearn_mle.exceptions import InferenceWarning
from sklearn_mle.priors import Cauchy, Laplace, Normal, StudentT

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 2))
y_lin = X[:, 0] + rng.normal(size=40)
y_bin = (y_lin > 0).astype(int)
y_three = np.arange(40) % 3
y_cnt = rng.poisson(np.exp(0.3 + 0.5 * X[:, 0]))
NEG = np.ones(40)
NEG[3] = -1.0


@pytest.mark.parametrize(
    "est, y",
    [
        (MLELinearRegression(), y_lin),
        (MLELogisticRegression(), y_bin),
        (MLELogisticRegression(), y_three),  # the multinomial once accepted them silently
        (MLEPoissonRegression(), y_cnt),
        (MLELinearRegression(prior=Laplace(1.0)), y_lin),
    ],
)
def test_negative_weight_is_a_clear_error(est, y):
    with pytest.raises(ValueError, match="sample_weight must be non-negative: row 3"):
        est.fit(X, y, sample_weight=NEG)


@pytest.mark.parametrize("bad", [np.zeros(40), np.r_[np.nan, np.ones(39)]])
def test_zero_and_nan_weights_are_clear_errors(bad):
    with pytest.raises(ValueError, match="(?i)sample.weight"):
        MLELogisticRegression().fit(X, y_bin, sample_weight=bad)


def test_log_likelihood_validates_weights():
    clf = MLELogisticRegression().fit(X, y_bin)
    with pytest.raises(ValueError, match="non-negative"):
        clf.log_likelihood(X, y_bin, sample_weight=NEG)
    w = rng.integers(0, 3, 40).astype(float)
    rows = np.repeat(np.arange(40), w.astype(int))
    assert np.isclose(clf.log_likelihood(X, y_bin, sample_weight=w),
                      clf.log_likelihood(X[rows], y_bin[rows]))


def test_mixed_label_types_are_a_clear_error():
    y = np.array(["a", None] * 20, dtype=object)
    with pytest.raises(ValueError, match="mixes labels of types NoneType, str"):
        MLELogisticRegression().fit(X, y)


@pytest.mark.parametrize(
    "est, y",
    [(MLELinearRegression(), y_lin), (MLELogisticRegression(), y_bin),
     (MLELogisticRegression(), y_three), (MLEPoissonRegression(), y_cnt)],
)
def test_criteria_accept_a_column_y(est, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DataConversionWarning of the classifier's fit
        est.fit(X, y)
    col = y.reshape(-1, 1)
    assert np.isclose(est.aic(X, col), est.aic(X, y))
    assert np.isclose(est.bic(X, col), est.bic(X, y))
    assert np.isclose(est.log_likelihood(X, col), est.loglik_)
    with pytest.raises(ValueError, match="y must have shape"):
        est.log_likelihood(X, y[:-1])


def test_poisson_score_with_constant_y():
    Xc, yc = [[0.0], [1.0], [2.0]], [2.0, 2.0, 2.0]
    reg = MLEPoissonRegression().fit(Xc, yc)
    assert reg.score(Xc, yc) == 1.0  # a perfect fit (sklearn's r2 convention)
    assert reg.score(Xc, [3.0, 3.0, 3.0]) == 0.0
    # non-constant y: sklearn's D2
    from sklearn.metrics import d2_tweedie_score

    reg = MLEPoissonRegression().fit(X, y_cnt)
    assert np.isclose(reg.score(X, y_cnt), d2_tweedie_score(y_cnt, reg.predict(X), power=1))


def test_profile_interval_after_exact_fit():
    Xe, ye = [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], [1.0, 2.0, 3.5]
    with pytest.warns(InferenceWarning):
        reg = MLELinearRegression().fit(Xe, ye)
    with pytest.warns(InferenceWarning, match="fitted exactly"):
        ci = reg.conf_int(method="profile")
    est = np.r_[reg.intercept_, reg.coef_]
    np.testing.assert_allclose(ci, np.column_stack([est, est]))


@pytest.mark.parametrize("prior, match", [
    (Normal(1e-300), "scale 1e-300 is too small"),
])
@pytest.mark.parametrize("cls, y", [(MLELinearRegression, y_lin),
                                    (MLELogisticRegression, y_bin)])
def test_bad_prior_values_are_clear_errors(cls, y, prior, match):
    with pytest.raises(ValueError, match=match):
        cls(prior=prior).fit(X, y)


@pytest.mark.parametrize("make, match", [
    (lambda: Normal(1.0, loc=None), "hyper-parameter loc must be finite real"),
    (lambda: Normal(1.0, loc=np.nan), "hyper-parameter loc must be finite real"),
    (lambda: Normal(1.0, loc=[0.0, np.inf]), "hyper-parameter loc must be finite real"),
    (lambda: Normal(1.0, loc="a"), "hyper-parameter loc must be finite real"),
])
def test_normal_prior_loc_is_checked_at_construction(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_normal_prior_set_after_construction_is_named_at_fit():
    prior = Normal(1.0)
    prior.loc = None  # a prior changed after construction: re-checked by the estimator
    for cls, y in [(MLELinearRegression, y_lin), (MLELogisticRegression, y_bin)]:
        with pytest.raises(ValueError, match="loc must be"):
            cls(prior=prior).fit(X, y)


@pytest.mark.parametrize("make", [lambda: StudentT(3.0, [1.0, 2.0]), lambda: Cauchy(None),
                                  lambda: Laplace(np.inf), lambda: StudentT(df=[1, 2])])
def test_coefficient_prior_needs_one_finite_number(make):
    with pytest.raises(ValueError, match="must be (one )?finite"):
        make()


def test_huge_cauchy_scale_is_flat():
    mle = MLELinearRegression().fit(X, y_lin)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        map_ = MLELinearRegression(prior=Cauchy(1e300)).fit(X, y_lin)
    np.testing.assert_allclose(map_.coef_, mle.coef_, rtol=1e-6)
    p = Cauchy(1e300)
    assert np.all(np.isfinite(p.grad(np.array([0.0, 1e10]))))
    assert np.isclose(p.logpdf(1.0), stats.cauchy(scale=1e300).logpdf(1.0))


def test_lrt_on_new_data_uses_the_public_log_likelihood():
    full = MLELogisticRegression().fit(X, y_bin)
    small = MLELogisticRegression(fit_intercept=False).fit(X, y_bin)
    res = likelihood_ratio_test(small, full, X, y_bin)
    assert np.isclose(res.statistic, 2 * (full.loglik_ - small.loglik_))
    assert res.df == 1


def test_convergence_does_not_depend_on_the_scale_of_the_weights():
    # the gradient test is relative to the total weight: weights of 1e-10 used to stop
    # at iteration 0 with the starting coefficients (known defect 28c)
    rng = np.random.default_rng(0)
    n = 50
    X = rng.normal(size=(n, 2))
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.5 + X @ [1.0, -2.0])))).astype(int)
    ref = MLELogisticRegression().fit(X, y)
    for s in (1e-10, 1e-200, 1e10):
        est = MLELogisticRegression().fit(X, y, sample_weight=np.full(n, s))
        assert est.converged_ and est.n_iter_ == ref.n_iter_
        np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-8)
