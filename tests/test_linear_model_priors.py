"""MAP regression: coefficient priors against sklearn, statsmodels and direct optimisation."""

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import optimize, stats
from sklearn.linear_model import LogisticRegression

from sklearn_mle import (
    InferenceWarning,
    MLELinearRegression,
    MLELogisticRegression,
    MLEPoissonRegression,
)
from sklearn_mle.priors import Cauchy, Jeffreys, Laplace, Normal, StudentT


@pytest.fixture(scope="module")
def spector():
    d = sm.datasets.spector.load_pandas()
    return d.exog.values, d.endog.values


def _num_deriv(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize(
    "prior, ref",
    [
        (Laplace(scale=1.5), stats.laplace(scale=1.5)),
        (StudentT(df=3, scale=2.0), stats.t(3, scale=2.0)),
        (Cauchy(), stats.cauchy(scale=2.5)),
        (Normal(scale=0.7), stats.norm(scale=0.7)),
    ],
)
def test_elementwise_priors_vs_scipy(prior, ref):
    x = np.array([-3.0, -0.4, 0.3, 2.2, 7.0])
    np.testing.assert_allclose(prior.logpdf(x), ref.logpdf(x), rtol=1e-12)
    np.testing.assert_allclose(prior.grad(x), _num_deriv(ref.logpdf, x), rtol=1e-6)
    np.testing.assert_allclose(prior.neg_hess(x), -_num_deriv(lambda t: _num_deriv(
        ref.logpdf, t, 1e-4), x, 1e-4), rtol=1e-4, atol=1e-7)


def test_prior_validation_messages():
    with pytest.raises(ValueError, match="scale must be finite and > 0"):
        Laplace(scale=0)
    with pytest.raises(ValueError, match="df must be finite and > 0"):
        StudentT(df=-1)


def test_normal_prior_equals_sklearn_l2(spector):
    X, y = spector
    for scale in (0.5, 3.0):
        ours = MLELogisticRegression(prior=Normal(scale)).fit(X, y)
        sk = LogisticRegression(C=scale**2, tol=1e-12, max_iter=10_000).fit(X, y)
        np.testing.assert_allclose(ours.coef_, sk.coef_, rtol=1e-5)
        np.testing.assert_allclose(ours.intercept_, sk.intercept_, rtol=1e-5)
    text = str(ours.summary())
    assert "MAP" in text and "Laplace approximation" in text and "Log-posterior" in text


def test_laplace_prior_equals_statsmodels_l1(spector):
    X, y = spector
    scale = 0.5
    ours = MLELogisticRegression(prior=Laplace(scale)).fit(X, y)
    alpha = np.array([0.0] + [1 / scale] * 3)
    ref = sm.Logit(y, sm.add_constant(X)).fit_regularized(
        method="l1", alpha=alpha, disp=0, acc=1e-12, trim_mode="size", size_trim_tol=1e-6,
        maxiter=1000)
    np.testing.assert_allclose(ours.estimates_, ref.params, rtol=1e-4, atol=1e-6)
    # objective at our solution is not worse than statsmodels'
    def obj(b):
        eta = sm.add_constant(X) @ b
        return -np.sum(y * eta - np.logaddexp(0, eta)) + np.sum(alpha * np.abs(b))

    assert obj(ours.estimates_) <= obj(ref.params) + 1e-9


def test_laplace_zero_coefficients_have_no_se():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 4))
    y = (rng.random(200) < 1 / (1 + np.exp(-2 * X[:, 0]))).astype(int)
    with pytest.warns(InferenceWarning, match="set exactly to zero by the Laplace"):
        clf = MLELogisticRegression(prior=Laplace(scale=0.02)).fit(X, y)
    zero = clf.coef_[0] == 0
    assert zero.any() and not zero[0]
    assert np.all(np.isnan(clf.bse_[1:][zero])) and np.all(np.isfinite(clf.bse_[1:][~zero]))


def _posterior_reference(X, y, logprior, grad_prior):
    """MAP and Laplace covariance by BFGS on the written-out log-posterior."""
    A = np.column_stack([np.ones(len(X)), X])

    def f(b):
        eta = A @ b
        return -(np.sum(y * eta - np.logaddexp(0, eta)) + np.sum(logprior(b[1:])))

    def g(b):
        mu = 1 / (1 + np.exp(-(A @ b)))
        out = -(A.T @ (y - mu))
        out[1:] -= grad_prior(b[1:])
        return out

    res = optimize.minimize(f, np.zeros(A.shape[1]), jac=g, method="BFGS",
                            options={"gtol": 1e-11, "maxiter": 10_000})
    H = np.array([_num_deriv(lambda t, i=i: g(res.x + t * np.eye(len(res.x))[i]), 0.0, 1e-6)
                  for i in range(len(res.x))])
    return res.x, np.linalg.inv(0.5 * (H + H.T)), -res.fun


@pytest.mark.parametrize("prior", [Cauchy(), StudentT(df=4, scale=1.0)])
def test_t_priors_vs_direct_optimisation(spector, prior):
    X, y = spector
    ref = stats.t(prior.df, scale=prior.scale)
    nu, s2 = prior.df, prior.scale**2
    est, cov, logpost = _posterior_reference(
        X, y, ref.logpdf, lambda b: -(nu + 1) * b / (nu * s2 + b**2))
    ours = MLELogisticRegression(prior=prior).fit(X, y)
    np.testing.assert_allclose(ours.estimates_, est, rtol=1e-5)
    np.testing.assert_allclose(ours.cov_params_, cov, rtol=1e-5)
    assert ours.loglik_ == pytest.approx(logpost, rel=1e-9)


def test_jeffreys_firth_vs_direct_optimisation(spector):
    X, y = spector
    A = np.column_stack([np.ones(len(X)), X])

    def f(b):
        eta = A @ b
        mu = 1 / (1 + np.exp(-eta))
        info = A.T @ (A * (mu * (1 - mu))[:, None])
        return -(np.sum(y * eta - np.logaddexp(0, eta)) + 0.5 * np.linalg.slogdet(info)[1])

    res = optimize.minimize(f, np.zeros(4), method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 40_000,
                                     "maxfev": 40_000})
    res = optimize.minimize(f, res.x, method="BFGS", options={"gtol": 1e-9})
    ours = MLELogisticRegression(prior=Jeffreys()).fit(X, y)
    np.testing.assert_allclose(ours.estimates_, res.x, rtol=1e-5)
    assert ours.loglik_ == pytest.approx(-res.fun, rel=1e-9)
    # as logistf: covariance = inverse Fisher information at the estimate
    mu = 1 / (1 + np.exp(-(A @ ours.estimates_)))
    np.testing.assert_allclose(
        ours.cov_params_, np.linalg.inv(A.T @ (A * (mu * (1 - mu))[:, None])), rtol=1e-8)
    # Firth shrinks towards zero relative to the MLE
    mle = MLELogisticRegression().fit(X, y)
    assert np.all(np.abs(ours.coef_) < np.abs(mle.coef_))


def test_priors_survive_separation():
    X = np.array([[-2.0], [-1.0], [-0.5], [0.5], [1.0], [2.0]])
    y = np.array([0, 0, 0, 1, 1, 1])
    for prior in (Cauchy(), Jeffreys(), Normal(2.0), StudentT()):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            clf = MLELogisticRegression(prior=prior).fit(X, y)
        assert clf.converged_ and 0 < clf.coef_[0, 0] < 15
        assert np.all(np.isfinite(clf.bse_))


def test_poisson_jeffreys_vs_direct_and_weak_prior_equals_mle():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 2))
    y = rng.poisson(np.exp(0.3 + X @ [0.5, -0.2]))
    A = np.column_stack([np.ones(40), X])

    def f(b):
        mu = np.exp(A @ b)
        return -(np.sum(stats.poisson.logpmf(y, mu))
                 + 0.5 * np.linalg.slogdet(A.T @ (A * mu[:, None]))[1])

    res = optimize.minimize(f, np.zeros(3), method="BFGS", options={"gtol": 1e-10})
    ours = MLEPoissonRegression(prior=Jeffreys()).fit(X, y)
    np.testing.assert_allclose(ours.estimates_, res.x, rtol=1e-5, atol=1e-7)
    weak = MLEPoissonRegression(prior=Normal(1e6)).fit(X, y)
    mle = MLEPoissonRegression().fit(X, y)
    np.testing.assert_allclose(weak.estimates_, mle.estimates_, rtol=1e-8)
    np.testing.assert_allclose(weak.bse_, mle.bse_, rtol=1e-8)


def test_intercept_prior_and_bad_prior():
    X = np.array([[-2.0], [-1.0], [-0.5], [0.5], [1.0], [2.0]])
    y = np.array([0, 1, 0, 1, 0, 1])
    a = MLELogisticRegression(intercept_prior=Normal(0.01, loc=1.0)).fit(X, y)
    assert a.intercept_[0] == pytest.approx(1.0, abs=0.01)
    from sklearn_mle.priors import Gamma

    with pytest.raises(ValueError, match="not a prior on regression coefficients"):
        MLELogisticRegression(prior=Gamma(2.0, 1.0)).fit(X, y)


def test_linear_ridge_map_vs_direct_optimisation():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(30, 3))
    y = X @ [1.0, -0.5, 0.0] + 2.0 + rng.normal(size=30)
    A = np.column_stack([np.ones(30), X])
    scale = 0.4

    def neg_logpost(t):  # t = (coef, sigma2)
        b, s2 = t[:-1], t[-1]
        return -(np.sum(stats.norm.logpdf(y, A @ b, np.sqrt(s2)))
                 + np.sum(stats.norm.logpdf(b[1:], 0, scale)))

    start = np.append(np.zeros(4), 1.0)
    res = optimize.minimize(neg_logpost, start, method="L-BFGS-B",
                            bounds=[(None, None)] * 4 + [(1e-6, None)],
                            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000})
    reg = MLELinearRegression(prior=Normal(scale)).fit(X, y)
    np.testing.assert_allclose(reg.estimates_, res.x[:4], rtol=1e-5, atol=1e-7)
    assert reg.sigma2_ == pytest.approx(res.x[4], rel=1e-5)
    assert reg.loglik_ == pytest.approx(-res.fun, rel=1e-9)
    # Laplace covariance: inverse of the numerical Hessian of the written-out posterior
    t0 = np.append(reg.estimates_, reg.sigma2_)
    h = 1e-4
    H = np.empty((5, 5))
    for i in range(5):
        for j in range(5):
            ei, ej = np.eye(5)[i] * h, np.eye(5)[j] * h
            H[i, j] = (neg_logpost(t0 + ei + ej) - neg_logpost(t0 + ei - ej)
                       - neg_logpost(t0 - ei + ej) + neg_logpost(t0 - ei - ej)) / (4 * h * h)
    np.testing.assert_allclose(reg.cov_params_, np.linalg.inv(H)[:4, :4], rtol=1e-4)
    # a very weak prior gives the MLE
    weak = MLELinearRegression(prior=Normal(1e8)).fit(X, y)
    mle = MLELinearRegression().fit(X, y)
    np.testing.assert_allclose(weak.estimates_, mle.estimates_, rtol=1e-10)
    np.testing.assert_allclose(weak.bse_, mle.bse_, rtol=1e-8)
    with pytest.raises(ValueError, match="Jeffreys.*not supported by MLELinearRegression"):
        MLELinearRegression(prior=Jeffreys()).fit(X, y)
