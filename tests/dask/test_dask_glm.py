"""Exact GLM Newton on Dask (linear_model/_dask.py) against the in-memory estimators:
coefficients, log-likelihood and standard errors (inverse observed information)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from sklearn_mle import MLELogisticRegression, MLEPoissonRegression  # noqa: E402
from sklearn_mle.linear_model import _family as glm_family  # noqa: E402
from sklearn_mle.linear_model._dask import dask_newton  # noqa: E402

RTOL = 1e-10


def _data(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return rng, X, X @ np.array([0.6, -1.0, 0.25])


def _check(res, ref, m=1):
    theta = res.theta if m > 1 else res.theta[0]
    expected = (np.column_stack([ref.intercept_, ref.coef_]) if m > 1
                else np.r_[ref.intercept_, ref.coef_.ravel()])
    assert_allclose(theta, expected, rtol=RTOL, atol=1e-13)
    assert_allclose(res.loglik, ref.loglik_, rtol=RTOL)
    se = np.sqrt(np.diag(np.linalg.inv(res.information)))
    assert_allclose(se, ref.bse_, rtol=1e-9)
    assert res.converged


def test_logistic_binary(client):
    rng, X, eta = _data()
    y = (rng.random(len(eta)) < 1 / (1 + np.exp(-eta - 0.3))).astype(float)
    ref = MLELogisticRegression(tol=1e-12).fit(X, y)
    dX = da.from_array(X, chunks=((1, 499, 700, 800), -1))
    res = dask_newton(glm_family.Binomial(), dX, da.from_array(y, chunks=333))
    _check(res, ref)
    assert res.n_reductions <= res.n_iter + 3  # one reduction per iteration


def test_logistic_multinomial(client):
    rng, X, eta = _data(1500, 1)
    y = np.digitize(eta + rng.logistic(size=len(eta)), [-0.5, 0.7])
    ref = MLELogisticRegression(tol=1e-12).fit(X, y)
    res = dask_newton(glm_family.Multinomial(3), da.from_array(X, chunks=(400, -1)),
                      np.eye(3)[y])
    _check(res, ref, m=2)


def test_poisson_with_offset_and_weights(client):
    rng, X, eta = _data(1800, 2)
    off = rng.normal(scale=0.2, size=len(eta))
    y = rng.poisson(np.exp(0.5 * eta + off + 0.1)).astype(float)
    w = rng.integers(1, 4, len(eta)).astype(float)
    ref = MLEPoissonRegression(tol=1e-12).fit(X, y, offset=off, sample_weight=w)
    res = dask_newton(glm_family.Poisson(), da.from_array(X, chunks=(250, -1)),
                      da.from_array(y, chunks=300), w=da.from_array(w, chunks=200),
                      offset=da.from_array(off, chunks=450))
    _check(res, ref)


def test_logistic_map_under_a_normal_prior(client):
    from sklearn_mle.priors import Normal

    rng, X, eta = _data(800, 3)
    y = (rng.random(len(eta)) < 1 / (1 + np.exp(-2 * eta))).astype(float)
    ref = MLELogisticRegression(prior=Normal(scale=0.5), tol=1e-12).fit(X, y)
    res = dask_newton(glm_family.Binomial(), da.from_array(X, chunks=(300, -1)), y,
                      prior=Normal(scale=0.5))
    _check(res, ref)
