"""The Student-t family through its public protocol (references: scipy.stats and
numerical derivatives, written out here)."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import optimize, stats

import sklearn_mle as m
from sklearn_mle.exceptions import BoundaryWarning
from sklearn_mle.families.student_t import StudentT
from sklearn_mle.families.weibull import Weibull

from ._family_checks import (
    check_block_terms,
    check_degenerate_weights,
    check_information,
    check_stats_protocol,
)


def _data(n=300, seed=0):
    rng = np.random.default_rng([32, seed])
    return stats.t.rvs([3.0, 8.0], loc=[1.0, -2.0], scale=[2.0, 0.5], size=(n, 2),
                       random_state=rng)


def test_logpdf_matches_scipy_and_to_scipy():
    fam, X = StudentT(), _data(50)
    params = {"df": np.array([3.0, 8.0]), "loc": np.array([1.0, -2.0]),
              "scale": np.array([2.0, 0.5])}
    lp = fam.logpdf(X, params)
    for j, dist in enumerate(fam.to_scipy(params)):
        assert_allclose(lp[:, j], dist.logpdf(X[:, j]), rtol=1e-12)
        assert_allclose(lp[:, j], stats.t.logpdf(X[:, j], params["df"][j], params["loc"][j],
                                                 params["scale"][j]), rtol=1e-12)


def test_mode_matches_optimize_and_fixed_seed():
    fam, X = StudentT(), _data()
    with pytest.warns(BoundaryWarning, match="column 1 has tails no heavier"):
        est = fam.mode(fam.stats(X))  # this sample of t(8) has Gaussian tails
    assert est.converged and est["df"][1] == pytest.approx(1e6, rel=1e-12)
    for j in range(1):
        x = X[:, j]
        res = optimize.minimize(
            lambda th, x=x: -stats.t.logpdf(x, np.exp(th[0]), th[1], np.exp(th[2])).sum(),
            [np.log(4.0), np.median(x), 0.0], method="BFGS", options={"gtol": 1e-9})
        ref = [np.exp(res.x[0]), res.x[1], np.exp(res.x[2])]
        assert_allclose([est[k][j] for k in fam.param_names], ref, rtol=1e-5)
    with pytest.warns(BoundaryWarning):
        fit = m.StudentTMLE().fit(X)
    assert_allclose(fit.df_, est["df"], rtol=1e-13)


def test_subsample_start_on_many_rows_gives_the_same_mode():
    # more rows than the subsample: the start differs, the maximum does not
    X = _data(300_000)[:, :1]
    fam = StudentT()
    st = fam.stats(X)
    est = fam.mode(st)
    assert est.converged
    g = fam.block_terms(X, None, est)[1]
    scale = np.array([est["df"][0], est["scale"][0], est["scale"][0]])
    assert np.all(np.abs(g[0] * scale) < 1e-6 * X.shape[0])


def test_information_is_numerical_hessian_of_loglik():
    fam, X = StudentT(), _data(200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        est = fam.mode(fam.stats(X))
    check_information(fam, X, est)
    check_information(fam, X, {k: v * 0.9 for k, v in est.items()})


@pytest.mark.parametrize("df", [0.3, 2.5, 40.0, 1e5])
def test_information_at_small_and_large_df(df):
    # the pass's ten sums come from products of 1/D, z2/D and z/D (no term-by-term
    # formula): checked against the numerical Hessian of loglik (which needs only the
    # sum of log1p(z2/df)) from heavy tails to the Gaussian limit
    fam, X = StudentT(), _data(300)
    check_information(fam, X, {"df": np.array([df, df]), "loc": np.array([0.9, -2.0]),
                               "scale": np.array([1.7, 0.6])})


def test_block_terms_sum_to_loglik_gradient_and_hessian():
    fam, X = StudentT(), _data(100)
    w = np.random.default_rng(1).random(100)
    check_block_terms(fam, X, w, {"df": np.array([3.5, 6.0]), "loc": np.array([0.8, -2.1]),
                                   "scale": np.array([1.8, 0.6])})


def test_stats_protocol():
    check_stats_protocol(StudentT(), Weibull(), _data(80))


def test_degenerate_weights_and_constant_column():
    # 09b: zero weights are a DomainError (not ZeroDivisionError), tiny ones only scale
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        check_degenerate_weights(StudentT(), _data(60))
    fam = StudentT()
    with pytest.warns(BoundaryWarning, match="constant"):
        est = fam.mode(fam.stats(np.full((10, 1), 3.0), np.full(10, 1e-300)))
    assert est["loc"][0] == 3.0


def test_values_near_1e300_fit_like_values_near_1():
    # 05b: the Newton steps are dimensionless, so the fit is scale equivariant up there
    x = np.random.default_rng(0).standard_t(3, (50, 1))
    base = m.StudentTMLE().fit(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the information underflows: SEs undefined
        big = m.StudentTMLE().fit(x * 1e300)
    assert_allclose(big.df_, base.df_, rtol=1e-8)
    assert_allclose(big.loc_, base.loc_ * 1e300, rtol=1e-8)
    assert_allclose(big.scale_, base.scale_ * 1e300, rtol=1e-8)
    assert np.isfinite(big.loglik_)


def test_nonfinite_is_sklearn_error():
    with pytest.raises(ValueError, match="NaN"):
        m.StudentTMLE().fit([[1.0], [np.nan], [2.0]])


def test_constant_column_on_many_rows_is_detected():
    # above the subsample size the start's moments keep a rounding variance (~1e-24):
    # the fit ran into NumPy's RuntimeWarnings and a scale of 5e-324 without the
    # warning a short constant column gets
    for n in (30, 300_000):
        with pytest.warns(BoundaryWarning, match="constant"):
            est = StudentT().mode(StudentT().stats(np.full((n, 1), 2.5)))
        assert est["loc"][0] == 2.5 and est["scale"][0] == 2.5e-150
