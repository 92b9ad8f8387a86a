"""Protocol checks shared by the tests of the families without finite statistics
(Weibull, Student-t, negative binomial): information against a numerical Hessian,
block terms against the whole-data values, the statistics' algebra, degenerate
weights."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_mle._engine.rules import DomainError

from ._numerics import central_hessian


def num_hessian(f, theta, rel=1e-4):
    """Central-difference Hessian with steps relative to each coordinate."""
    return central_hessian(f, theta, rel * np.maximum(np.abs(theta), 1e-2))


def params_of(fam, theta):
    return {k: np.array([v]) for k, v in zip(fam.param_names, theta)}


def check_information(fam, X, params):
    st = fam.stats(X)
    info = fam.information(st, params)
    for j in range(X.shape[1]):
        col = fam.stats(X[:, j:j + 1])
        theta = np.array([params[k][j] for k in fam.param_names])
        H = num_hessian(lambda th, col=col: float(fam.loglik(col, params_of(fam, th))[0]), theta)
        assert_allclose(info[j], -H, rtol=1e-5, atol=1e-6 * np.abs(H).max())


def check_block_terms(fam, X, w, params):
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
            num = (fam.loglik(col, params_of(fam, theta + e))[0]
                   - fam.loglik(col, params_of(fam, theta - e))[0]) / (2 * e[i])
            assert_allclose(g[j, i], num, rtol=1e-5, atol=1e-6 * abs(ll[j]) / max(abs(theta[i]), 1))


def check_stats_protocol(fam, other, X):
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


def check_degenerate_weights(fam, X):
    st = fam.stats(X, np.zeros(X.shape[0]))
    with pytest.raises(DomainError, match="weights sum to zero"):
        fam.mode(st)
    # tiny weights only matter relatively: the same estimates as unit weights
    tiny = fam.mode(fam.stats(X, np.full(X.shape[0], 1e-300)))
    unit = fam.mode(fam.stats(X))
    for k in fam.param_names:
        assert_allclose(tiny[k], unit[k], rtol=1e-9)
