"""HC0-HC3 sandwich covariances of the multinomial logit. statsmodels' MNLogit returns
HC0 for every ``cov_type``, so HC2/HC3 are checked against a hand computation with the
row's leverage block written out (Kronecker design, scipy's matrix square root),
built on statsmodels' fit."""

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy import linalg

from sklearn_mle.inference._robust import block_adjusted_scores, sandwich_cov
from sklearn_mle.linear_model._logistic import MLELogisticRegression


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2))
    eta = np.column_stack([np.zeros(120), 0.3 + X @ [0.8, -0.5], -0.2 + X @ [-0.4, 0.9]])
    p = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in p])
    return X, y


def _hand(X, y, kind, w=None):
    """The sandwich with each row's m x m leverage block, one row at a time."""
    A = sm.add_constant(X)
    res = sm.MNLogit(y, A).fit(disp=0, method="newton", tol=1e-12)
    B = np.asarray(res.cov_params())  # class-major, as param_names_
    prob = res.predict(A)[:, 1:]
    Y = np.eye(3)[y][:, 1:]
    n, p = A.shape
    m = 2
    w = np.ones(n) if w is None else w
    meat = np.zeros((m * p, m * p))
    for i in range(n):
        Xi = np.kron(np.eye(m), A[i][None, :])
        V = np.diag(prob[i]) - np.outer(prob[i], prob[i])
        Vh = np.real(linalg.sqrtm(V))
        H = Vh @ Xi @ B @ Xi.T @ Vh
        e = np.linalg.solve(Vh, Y[i] - prob[i])  # standardised residual vector
        if kind == "HC2":
            e = np.linalg.solve(np.real(linalg.sqrtm(np.eye(m) - H)), e)
        elif kind == "HC3":
            e = np.linalg.solve(np.eye(m) - H, e)
        s = Xi.T @ Vh @ e
        meat += w[i] * np.outer(s, s)
    return B @ meat @ B, res


@pytest.mark.parametrize("kind", ["HC0", "HC2", "HC3"])
def test_multinomial_hc_equals_the_block_leverage_hand_computation(data, kind):
    X, y = data
    ref, res = _hand(X, y, kind)
    est = MLELogisticRegression(cov_type=kind, tol=1e-12).fit(X, y)
    assert_allclose(est.cov_params_, ref, rtol=1e-6)
    if kind == "HC0":  # statsmodels' own sandwich
        sm_hc0 = sm.MNLogit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12,
                                                       cov_type="HC0")
        assert_allclose(est.cov_params_, np.asarray(sm_hc0.cov_params()), rtol=1e-6)
    assert "Covariance type" in str(est.summary()) and kind in str(est.summary())


def test_multinomial_hc3_weights_equal_repeated_rows(data):
    X, y = data
    w = np.random.default_rng(1).integers(1, 4, size=len(y))
    weighted = MLELogisticRegression(cov_type="HC3", tol=1e-12).fit(X, y, sample_weight=w)
    repeated = MLELogisticRegression(cov_type="HC3", tol=1e-12).fit(
        np.repeat(X, w, axis=0), np.repeat(y, w))
    assert_allclose(weighted.cov_params_, repeated.cov_params_, rtol=1e-8)


def test_one_predictor_block_equals_the_scalar_hc2_hc3():
    # m = 1: (1 - h_i)^(-1/2) and (1 - h_i)^(-1) of the scalar formulas
    rng = np.random.default_rng(2)
    A = np.column_stack([np.ones(30), rng.normal(size=30)])
    v = rng.uniform(0.1, 0.25, size=30)
    r = rng.normal(size=(30, 1)) * 0.4
    B = np.linalg.inv((A.T * v) @ A)
    h = v * np.einsum("ij,jk,ik->i", A, B, A)
    for kind in ("HC2", "HC3"):
        S = block_adjusted_scores(r, A, v[:, None, None], B, kind)
        ours = sandwich_cov(B, S, np.ones(30), "HC0")
        ref = sandwich_cov(B, A * r, np.ones(30), kind, leverage=h)
        assert_allclose(ours, ref, rtol=1e-12)
