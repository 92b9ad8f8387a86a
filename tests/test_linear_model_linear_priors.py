"""MLELinearRegression under Laplace, Student-t and Cauchy priors.

The reference is the negative log-posterior of ``(coef, sigma2)`` (flat prior on
``sigma2``) written out here from scipy.stats densities and minimised by scipy.optimize;
the covariance reference is the inverse of its finite-difference Hessian.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import optimize, stats

from sklearn_mle import InferenceWarning, MLELinearRegression
from sklearn_mle.priors import Cauchy, Gamma, Jeffreys, Laplace, StudentT


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(40, 3)) * [1.0, 3.0, 0.5]
    y = X @ [1.0, -0.3, 0.0] + 2.0 + rng.normal(size=40)
    return X, y, np.column_stack([np.ones(40), X])


def _fd_hessian(f, t0, h=1e-4):
    k = t0.size
    H = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            H[i, j] = (f(t0 + ei + ej) - f(t0 + ei - ej) - f(t0 - ei + ej)
                       + f(t0 - ei - ej)) / (4 * h * h)
    return H


def _minimise(f, start):
    """L-BFGS-B, then BFGS polish in (params, log sigma2) for a tight reference."""
    k = start.size
    res = optimize.minimize(f, start, method="L-BFGS-B",
                            bounds=[(None, None)] * (k - 1) + [(1e-8, None)],
                            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000})
    x = res.x.copy()
    x[-1] = np.log(x[-1])
    res = optimize.minimize(lambda t: f(np.append(t[:-1], np.exp(t[-1]))), x, method="BFGS",
                            options={"gtol": 1e-10, "maxiter": 10_000})
    return np.append(res.x[:-1], np.exp(res.x[-1])), res.fun


@pytest.mark.parametrize(
    "prior, ref, intercept_prior, intercept_ref",
    [
        (StudentT(df=3, scale=0.3), stats.t(3, scale=0.3), None, None),
        (Cauchy(scale=0.2), stats.cauchy(scale=0.2), None, None),
        (Cauchy(scale=0.2), stats.cauchy(scale=0.2), StudentT(df=4, scale=1.0),
         stats.t(4, scale=1.0)),
    ],
)
def test_smooth_prior_mode_and_covariance_vs_direct(data, prior, ref, intercept_prior,
                                                    intercept_ref):
    X, y, A = data

    def neg_logpost(t):  # t = (intercept, coef, sigma2)
        b, s2 = t[:-1], t[-1]
        lp = np.sum(ref.logpdf(b[1:]))
        if intercept_ref is not None:
            lp += intercept_ref.logpdf(b[0])
        return -(np.sum(stats.norm.logpdf(y, A @ b, np.sqrt(s2))) + lp)

    x, fun = _minimise(neg_logpost, np.append(np.zeros(4), 1.0))
    reg = MLELinearRegression(prior=prior, intercept_prior=intercept_prior).fit(X, y)
    assert reg.converged_
    np.testing.assert_allclose(reg.estimates_, x[:4], rtol=1e-6, atol=1e-8)
    assert reg.sigma2_ == pytest.approx(x[4], rel=1e-6)
    assert reg.loglik_ == pytest.approx(-fun, rel=1e-10)
    assert reg.loglik_ == pytest.approx(-neg_logpost(np.append(reg.estimates_, reg.sigma2_)),
                                        rel=1e-12)
    H = _fd_hessian(neg_logpost, np.append(reg.estimates_, reg.sigma2_))
    np.testing.assert_allclose(reg.cov_params_, np.linalg.inv(H)[:4, :4], rtol=1e-4)
    assert reg.summary().header["Method"] == "MAP"
    # the Cauchy prior shrinks the small coefficient more than the large one
    mle = MLELinearRegression().fit(X, y)
    assert abs(reg.coef_[2]) < abs(mle.coef_[2])


def test_laplace_mode_vs_split_optimisation_and_subgradient(data):
    X, y, A = data
    scale = 0.1  # strong enough to zero the null coefficient, not the others
    ref = stats.laplace(scale=scale)

    def neg_logpost_split(t):  # t = (intercept, u (3), v (3), sigma2), coef = u - v
        b = np.append(t[0], t[1:4] - t[4:7])
        # Laplace log-density with |u - v| = u + v (u, v >= 0; one of them is 0 at the optimum)
        lp = np.sum(-(t[1:4] + t[4:7]) / scale - np.log(2 * scale))
        return -(np.sum(stats.norm.logpdf(y, A @ b, np.sqrt(t[7]))) + lp)

    res = optimize.minimize(neg_logpost_split, np.append(np.zeros(7), 1.0), method="L-BFGS-B",
                            bounds=[(None, None)] + [(0, None)] * 6 + [(1e-8, None)],
                            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000})
    with pytest.warns(InferenceWarning, match="bse_ is NaN for: x2$"):
        reg = MLELinearRegression(prior=Laplace(scale)).fit(X, y)
    coef_ref = res.x[1:4] - res.x[4:7]
    assert reg.coef_[2] == 0.0 and np.all(reg.coef_[:2] != 0)
    np.testing.assert_allclose(reg.coef_, coef_ref, rtol=1e-5, atol=1e-6)
    assert reg.intercept_ == pytest.approx(res.x[0], rel=1e-5)
    assert reg.sigma2_ == pytest.approx(res.x[7], rel=1e-5)

    # exact optimality conditions at our mode, from scipy densities
    b, s2 = reg.estimates_, reg.sigma2_

    def loglik(bb, ss=s2):
        return np.sum(stats.norm.logpdf(y, A @ bb, np.sqrt(ss)))

    assert reg.loglik_ == pytest.approx(loglik(b) + np.sum(ref.logpdf(b[1:])), rel=1e-12)
    h = 1e-6
    grad = np.array([(loglik(b + h * e) - loglik(b - h * e)) / (2 * h) for e in np.eye(4)])
    assert abs(grad[0]) < 1e-6  # flat prior on the intercept
    np.testing.assert_allclose(grad[1:3], np.sign(b[1:3]) / scale, rtol=1e-6)
    assert abs(grad[3]) < 1 / scale  # zero coefficient: inside the subdifferential
    assert s2 == pytest.approx(np.mean((y - A @ b) ** 2), rel=1e-10)

    # covariance of the active parameters: inverse FD Hessian with the zero held at 0
    active = [0, 1, 2]

    def neg_active(t):  # t = (intercept, coef0, coef1, sigma2)
        bb = np.append(t[:3], 0.0)
        return -(loglik(bb, t[3]) + np.sum(ref.logpdf(bb[1:])))

    H = _fd_hessian(neg_active, np.append(b[active], s2))
    np.testing.assert_allclose(reg.cov_params_[np.ix_(active, active)],
                               np.linalg.inv(H)[:3, :3], rtol=1e-4)
    assert np.isnan(reg.bse_[3]) and np.all(np.isfinite(reg.bse_[:3]))


def test_strong_laplace_zeroes_every_coefficient(data):
    X, y, _ = data
    with pytest.warns(InferenceWarning, match="x0, x1, x2"):
        reg = MLELinearRegression(prior=Laplace(1e-3)).fit(X, y)
    assert np.all(reg.coef_ == 0.0)
    assert reg.intercept_ == pytest.approx(np.mean(y), rel=1e-12)
    assert reg.sigma2_ == pytest.approx(np.var(y), rel=1e-12)
    # intercept alone: sigma2 / n
    assert reg.bse_[0] == pytest.approx(np.sqrt(np.var(y) / len(y)), rel=1e-8)


@pytest.mark.parametrize("prior", [Laplace(1e8), StudentT(df=3, scale=1e8), Cauchy(1e8)])
def test_very_weak_prior_gives_the_mle(data, prior):
    X, y, _ = data
    mle = MLELinearRegression().fit(X, y)
    weak = MLELinearRegression(prior=prior, intercept_prior=prior).fit(X, y)
    np.testing.assert_allclose(weak.estimates_, mle.estimates_, rtol=1e-8)
    np.testing.assert_allclose(weak.bse_, mle.bse_, rtol=1e-6)
    assert weak.sigma2_ == pytest.approx(mle.sigma2_, rel=1e-10)


def test_weights_sparse_float32_and_no_intercept(data):
    X, y, _ = data
    prior = Cauchy(scale=0.2)
    w = np.arange(40) % 3
    rep = np.repeat(np.arange(40), w)
    a = MLELinearRegression(prior=prior).fit(X, y, sample_weight=w)
    b = MLELinearRegression(prior=prior).fit(X[rep], y[rep])
    np.testing.assert_allclose(a.estimates_, b.estimates_, rtol=1e-9)
    np.testing.assert_allclose(a.cov_params_, b.cov_params_, rtol=1e-7)
    assert a.loglik_ == pytest.approx(b.loglik_, rel=1e-10)
    s = MLELinearRegression(prior=prior).fit(sp.csr_matrix(X), y)
    d = MLELinearRegression(prior=prior).fit(X, y)
    np.testing.assert_allclose(s.estimates_, d.estimates_, rtol=1e-10)
    X32 = X.astype(np.float32)
    f = MLELinearRegression(prior=prior).fit(X32, y)
    g = MLELinearRegression(prior=prior).fit(X32.astype(np.float64), y)
    np.testing.assert_allclose(f.estimates_, g.estimates_, rtol=1e-10)

    # no intercept: direct minimisation through the origin
    ref = stats.cauchy(scale=0.2)

    def neg_logpost(t):
        return -(np.sum(stats.norm.logpdf(y, X @ t[:3], np.sqrt(t[3])))
                 + np.sum(ref.logpdf(t[:3])))

    x, _ = _minimise(neg_logpost, np.append(np.zeros(3), 1.0))
    reg = MLELinearRegression(fit_intercept=False, prior=prior).fit(X, y)
    np.testing.assert_allclose(reg.coef_, x[:3], rtol=1e-6, atol=1e-7)
    assert reg.intercept_ == 0.0


def test_bad_priors_and_exact_fit(data):
    X, y, _ = data
    with pytest.raises(ValueError, match="Jeffreys.*not supported"):
        MLELinearRegression(intercept_prior=Jeffreys()).fit(X, y)
    with pytest.raises(ValueError, match="not a prior on regression coefficients"):
        MLELinearRegression(prior=Gamma(2.0, 1.0)).fit(X, y)
    rng = np.random.default_rng(0)
    for prior in (Cauchy(), Laplace(1.0)):  # 3 rows, 6 parameters: RSS can be 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InferenceWarning)
            with pytest.raises(ValueError, match="fitted exactly.*no mode.*fewer features"):
                MLELinearRegression(prior=prior).fit(rng.normal(size=(3, 5)),
                                                     rng.normal(size=3))
    with pytest.raises(ValueError, match="profile intervals under a prior"):
        MLELinearRegression(prior=Cauchy()).fit(X, y).conf_int(method="profile")


def test_uncentred_design_and_exact_fit():
    rng = np.random.default_rng(3)
    X = rng.normal(loc=100.0, size=(60, 2))
    y = X @ [0.4, -0.2] + rng.normal(size=60)
    # a flat intercept: shifting the columns only moves the intercept (same coefficients)
    far = MLELinearRegression(prior=Laplace(1.0)).fit(X, y)
    near = MLELinearRegression(prior=Laplace(1.0)).fit(X - 100.0, y)
    assert far.converged_
    np.testing.assert_allclose(far.coef_, near.coef_, rtol=1e-9)
    assert far.intercept_ == pytest.approx(near.intercept_ - 100.0 * near.coef_.sum(), rel=1e-9)
    assert far.loglik_ == pytest.approx(near.loglik_, rel=1e-12)
    np.testing.assert_allclose(far.bse_[1:], near.bse_[1:], rtol=1e-7)
    # an exact fit with a unique solution: sigma2 -> 0, reported as the exact fit
    y_exact = 1.0 + X @ [0.4, -0.2]
    with pytest.warns(InferenceWarning, match="fit is exact.*under a prior"):
        reg = MLELinearRegression(prior=Cauchy()).fit(X, y_exact)
    np.testing.assert_allclose(reg.coef_, [0.4, -0.2], rtol=1e-8)
    assert reg.sigma2_ == 0.0


@pytest.mark.parametrize("prior", [Cauchy, Laplace])
def test_units_of_x_and_y_do_not_matter(data, prior):
    X, y, _ = data
    base = MLELinearRegression(prior=prior(0.2), intercept_prior=prior(1.0)).fit(X, y)
    for ys, xs in [(1e-8, 1e4), (1e8, 1e-4)]:
        reg = MLELinearRegression(prior=prior(0.2 * ys / xs), intercept_prior=prior(ys)).fit(
            X * xs, y * ys)
        assert reg.converged_
        np.testing.assert_allclose(reg.coef_ * xs / ys, base.coef_, rtol=1e-8)
        assert reg.intercept_ / ys == pytest.approx(base.intercept_, rel=1e-8)
        assert reg.sigma2_ / ys**2 == pytest.approx(base.sigma2_, rel=1e-8)
        np.testing.assert_allclose(reg.bse_ / np.array([ys] + [ys / xs] * 3), base.bse_,
                                   rtol=1e-6)
