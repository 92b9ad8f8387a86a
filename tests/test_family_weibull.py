"""The Weibull family through its public protocol (references: scipy.stats and
numerical derivatives, written out here)."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import sklearn_mle as m
from sklearn_mle._engine.rules import DomainError
from sklearn_mle.exceptions import BoundaryWarning
from sklearn_mle.families.student_t import StudentT
from sklearn_mle.families.weibull import Weibull


# ---------------------------------------------------------------- shared checks
def _num_hessian(f, theta, rel=1e-4):
    k = theta.size
    h = rel * np.maximum(np.abs(theta), 1e-2)
    H = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h[i], np.eye(k)[j] * h[j]
            H[i, j] = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej)
                       + f(theta - ei - ej)) / (4 * h[i] * h[j])
    return H


def _params(fam, theta):
    return {k: np.array([v]) for k, v in zip(fam.param_names, theta)}


def _check_information(fam, X, params):
    st = fam.stats(X)
    info = fam.information(st, params)
    for j in range(X.shape[1]):
        col = fam.stats(X[:, j:j + 1])
        theta = np.array([params[k][j] for k in fam.param_names])
        H = _num_hessian(lambda th, col=col: float(fam.loglik(col, _params(fam, th))[0]), theta)
        assert_allclose(info[j], -H, rtol=1e-5, atol=1e-6 * np.abs(H).max())


def _check_block_terms(fam, X, w, params):
    st = fam.stats(X, w)
    parts = [fam.block_terms(X[s], w[s], params) for s in (slice(0, 37), slice(37, None))]
    ll, g, H = (sum(p[i] for p in parts) for i in range(3))
    assert_allclose(ll, fam.loglik(st, params), rtol=1e-12)
    assert_allclose(-H, fam.information(st, params), rtol=1e-10, atol=1e-12)
    for j in range(X.shape[1]):  # the gradient is the derivative of the log-likelihood
        theta = np.array([params[k][j] for k in fam.param_names])
        col = fam.stats(X[:, j:j + 1], w)
        for i in range(theta.size):
            e = np.eye(theta.size)[i] * 1e-6 * max(abs(theta[i]), 1e-2)
            num = (fam.loglik(col, _params(fam, theta + e))[0]
                   - fam.loglik(col, _params(fam, theta - e))[0]) / (2 * e[i])
            assert_allclose(g[j, i], num, rtol=1e-5, atol=1e-6 * abs(ll[j]) / max(abs(theta[i]), 1))


def _check_stats_protocol(fam, other, X):
    a, b = fam.stats(X[:30]), fam.stats(X[30:])
    assert (a + b) == fam.stats(X)
    W = np.random.default_rng(3).random((X.shape[0], 3))
    many = fam.stats(X, W)
    assert len(many) == 3
    for j, s in enumerate(many):
        assert s == fam.stats(X, W[:, j])
        assert np.shares_memory(s.x, X)  # the k statistics share X: no copy per component
        assert_allclose(s.weight, W[:, j].sum())
    s = pickle.loads(pickle.dumps(a))
    assert s == a and s.family == fam.name
    with pytest.raises(TypeError, match="statistics"):
        a + other.stats(np.abs(X[:30]) + 1.0)
    assert fam.supported_priors == ()  # MLE only: no prior has pseudo-statistics here


def _check_degenerate_weights(fam, X):
    st = fam.stats(X, np.zeros(X.shape[0]))
    with pytest.raises(DomainError, match="weights sum to zero"):
        fam.mode(st)
    # tiny weights only matter relatively: the same estimates as unit weights
    tiny = fam.mode(fam.stats(X, np.full(X.shape[0], 1e-300)))
    unit = fam.mode(fam.stats(X))
    for k in fam.param_names:
        assert_allclose(tiny[k], unit[k], rtol=1e-9)


def _data(n=300, seed=0):
    rng = np.random.default_rng([31, seed])
    return rng.weibull([1.6, 0.8], size=(n, 2)) * [3.0, 0.5]


def test_logpdf_matches_scipy_and_to_scipy():
    fam, X = Weibull(), _data(50)
    params = {"shape": np.array([1.6, 0.8]), "scale": np.array([3.0, 0.5])}
    lp = fam.logpdf(X, params)
    for j, dist in enumerate(fam.to_scipy(params)):
        assert_allclose(lp[:, j], dist.logpdf(X[:, j]), rtol=1e-12)
        assert_allclose(lp[:, j], stats.weibull_min.logpdf(X[:, j], params["shape"][j],
                                                           scale=params["scale"][j]), rtol=1e-12)
    assert np.all(fam.logpdf(np.array([[-1.0, 0.0]]), params) == -np.inf)


def test_mode_matches_scipy_fit_and_fixed_seed():
    fam, X = Weibull(), _data()
    est = fam.mode(fam.stats(X))
    assert est.converged and est.n_iter >= 1
    for j in range(2):
        c, _, s = stats.weibull_min.fit(X[:, j], floc=0)
        assert fam.loglik(fam.stats(X[:, j:j + 1]), {"shape": est["shape"][j:j + 1],
                                                     "scale": est["scale"][j:j + 1]})[0] >= \
            stats.weibull_min.logpdf(X[:, j], c, scale=s).sum() - 1e-8
        assert_allclose([est["shape"][j], est["scale"][j]], [c, s], rtol=1e-4)
    # fixed seed: the estimator gives the family's mode
    fit = m.WeibullMLE().fit(X)
    assert_allclose(fit.shape_, est["shape"], rtol=1e-13)
    assert_allclose(fit.shape_, [1.6, 0.8], rtol=0.15)


def test_fixed_shape_gives_closed_form_scale():
    fam, X = Weibull(), _data()
    est = fam.mode(fam.stats(X), {"shape": np.array([2.0, np.nan])})
    assert_allclose(est["scale"][0], np.mean(X[:, 0] ** 2) ** 0.5, rtol=1e-12)
    assert est["shape"][0] == 2.0


def test_information_is_numerical_hessian_of_loglik():
    fam, X = Weibull(), _data(200)
    est = fam.mode(fam.stats(X))
    _check_information(fam, X, est)
    _check_information(fam, X, {k: v * 0.9 for k, v in est.items()})


def test_block_terms_sum_to_loglik_gradient_and_hessian():
    fam, X = Weibull(), _data(100)
    w = np.random.default_rng(1).random(100)
    _check_block_terms(fam, X, w, {"shape": np.array([1.4, 0.9]), "scale": np.array([2.5, 0.6])})


def test_stats_protocol():
    _check_stats_protocol(Weibull(), StudentT(), _data(80))


def test_degenerate_weights_and_constant_column():
    # 09a: zero weights are a DomainError (not ZeroDivisionError), tiny ones only scale
    _check_degenerate_weights(Weibull(), _data(60))
    fam = Weibull()
    with pytest.warns(BoundaryWarning, match="constant"):
        est = fam.mode(fam.stats(np.full((10, 1), 3.0), np.full(10, 1e-300)))
    assert_allclose(est["scale"], 3.0, rtol=1e-9)


def test_domain_error_names_rule():
    X = np.ones((4, 2))
    X[2, 1] = -1.0
    with pytest.raises(DomainError, match="strictly positive") as err:
        Weibull().stats(X)
    assert (err.value.column, err.value.row) == (1, 2)
