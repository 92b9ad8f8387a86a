"""The Weibull family through its public protocol (references: scipy.stats and
numerical derivatives, written out here)."""


import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import sklearn_mle as m
from sklearn_mle._engine.rules import DomainError
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
    check_information(fam, X, est)
    check_information(fam, X, {k: v * 0.9 for k, v in est.items()})


def test_block_terms_sum_to_loglik_gradient_and_hessian():
    fam, X = Weibull(), _data(100)
    w = np.random.default_rng(1).random(100)
    check_block_terms(fam, X, w, {"shape": np.array([1.4, 0.9]), "scale": np.array([2.5, 0.6])})


def test_stats_protocol():
    check_stats_protocol(Weibull(), StudentT(), _data(80))


def test_degenerate_weights_and_constant_column():
    # 09a: zero weights are a DomainError (not ZeroDivisionError), tiny ones only scale
    check_degenerate_weights(Weibull(), _data(60))
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


def test_subsample_start_on_many_rows_gives_the_mode_of_the_full_summary(monkeypatch):
    # above 131072 rows the start (centre, variance of log x) comes from a strided
    # subsample and the shift from one max-reduction: the same root as from the full
    # one-pass summary, and a column constant on all rows is still detected
    rng = np.random.default_rng(3)
    X = rng.weibull([1.3, 4.0], (300_000, 2)) * [2.0, 0.5]
    w = rng.random(300_000)
    fam = Weibull()
    fast = fam.mode(fam.stats(X, w))
    monkeypatch.setattr(Weibull, "_start_summary", Weibull._summary)
    full = fam.mode(fam.stats(X, w))
    for k in ("shape", "scale"):
        np.testing.assert_allclose(fast[k], full[k], rtol=1e-9)
    monkeypatch.undo()
    Xc = np.column_stack([X[:, 0], np.full(300_000, 2.5)])
    with pytest.warns(BoundaryWarning, match="constant"):
        est = fam.mode(fam.stats(Xc))
    assert est["shape"][1] == 1e13
