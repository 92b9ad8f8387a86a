"""The negative binomial family through its public protocol (references: scipy.stats and
numerical derivatives, written out here)."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import optimize, stats

import sklearn_mle as m
from sklearn_mle._engine.rules import DomainError
from sklearn_mle.exceptions import BoundaryWarning
from sklearn_mle.families.negative_binomial import NegativeBinomial
from sklearn_mle.families.weibull import Weibull

from ._family_checks import (
    check_block_terms,
    check_degenerate_weights,
    check_information,
    check_stats_protocol,
)


def _data(n=300, seed=0):
    rng = np.random.default_rng([33, seed])
    return rng.negative_binomial([2.5, 0.8], [0.3, 0.1], size=(n, 2)).astype(float)


def test_logpdf_matches_scipy_and_to_scipy():
    fam, X = NegativeBinomial(), _data(50)
    params = {"r": np.array([2.5, 0.8]), "p": np.array([0.3, 0.1])}
    lp = fam.logpdf(X, params)
    for j, dist in enumerate(fam.to_scipy(params)):
        assert_allclose(lp[:, j], dist.logpmf(X[:, j]), rtol=1e-12)
        assert_allclose(lp[:, j], stats.nbinom.logpmf(X[:, j], params["r"][j], params["p"][j]),
                        rtol=1e-12)
    assert np.all(fam.logpdf(np.array([[-1.0, 0.5]]), params) == -np.inf)


def test_mode_matches_optimize_and_fixed_seed():
    fam, X = NegativeBinomial(), _data()
    est = fam.mode(fam.stats(X))
    assert est.converged
    for j in range(2):
        y = X[:, j]
        res = optimize.minimize(
            lambda th, y=y: -stats.nbinom.logpmf(y, np.exp(th[0]), 1 / (1 + np.exp(-th[1]))).sum(),
            [0.0, 0.0], method="BFGS", options={"gtol": 1e-9})
        ref = [np.exp(res.x[0]), 1 / (1 + np.exp(-res.x[1]))]
        assert_allclose([est["r"][j], est["p"][j]], ref, rtol=1e-5)
    fit = m.NegativeBinomialMLE().fit(X)
    assert_allclose(fit.r_, est["r"], rtol=1e-13)


def test_large_counts_take_the_streamed_path():
    rng = np.random.default_rng(5)
    y = rng.negative_binomial(5.0, 5.0 / (5.0 + 1e5), size=(300, 1)).astype(float)
    assert y.max() > 1 << 14
    fam = NegativeBinomial()
    est = fam.mode(fam.stats(y))
    res = optimize.minimize_scalar(
        lambda lr: -stats.nbinom.logpmf(y[:, 0], np.exp(lr),
                                        np.exp(lr) / (np.exp(lr) + y.mean())).sum(),
        bounds=(0.0, 3.0), method="bounded", options={"xatol": 1e-12})
    assert_allclose(est["r"], np.exp(res.x), rtol=1e-6)


def test_information_is_numerical_hessian_of_loglik():
    fam, X = NegativeBinomial(), _data(200)
    est = fam.mode(fam.stats(X))
    check_information(fam, X, est)
    check_information(fam, X, {"r": est["r"] * 0.9, "p": est["p"] * 1.05})


def test_block_terms_sum_to_loglik_gradient_and_hessian():
    fam, X = NegativeBinomial(), _data(100)
    w = np.random.default_rng(1).random(100)
    check_block_terms(fam, X, w, {"r": np.array([2.0, 0.9]), "p": np.array([0.25, 0.12])})


def test_stats_protocol():
    check_stats_protocol(NegativeBinomial(), Weibull(), _data(80))


def test_degenerate_weights_and_constant_column():
    # 09c: zero weights are a DomainError (not ZeroDivisionError), tiny ones only scale
    check_degenerate_weights(NegativeBinomial(), _data(60))
    fam = NegativeBinomial()
    with pytest.warns(BoundaryWarning, match="PoissonMLE"):
        est = fam.mode(fam.stats(np.full((10, 1), 3.0), np.full(10, 1e-300)))
    assert_allclose(est["r"] * (1 - est["p"]) / est["p"], 3.0, rtol=1e-6)


def test_counts_near_1e300_fit_the_mle():
    # 06: an OverflowError before; the profile equation is solved without cancellation
    x = np.array([1.0, 3.0, 1e300, 2e300])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the information of p overflows: SE undefined
        est = m.NegativeBinomialMLE().fit(x[:, None])
    assert est.converged_

    def profile(lr):
        r = np.exp(lr)
        p = r / (r + x.mean())
        # log C(x + r - 1, x) = -log(x + r) - betaln(r, x + 1)
        from scipy.special import betaln
        return -(np.sum(-np.log(x + r) - betaln(r, x + 1))
                 + x.size * (r * np.log(p) + x.mean() * np.log1p(-p)))

    res = optimize.minimize_scalar(profile, bounds=(-20, 5), method="bounded",
                                   options={"xatol": 1e-12})
    assert_allclose(est.r_, np.exp(res.x), rtol=1e-6)
    assert_allclose(est.loglik_, -res.fun, rtol=1e-10)


def test_sample_after_fit_near_float_max():
    # 07c: numpy's sampler refused the mean (p < 0 ... NaN); now finite draws
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = m.NegativeBinomialMLE().fit([[1.7e308], [1.6e308], [1.5e308]])
    assert np.isfinite(est.loglik_)
    draws = est.sample(200, random_state=0)
    assert np.all(np.isfinite(draws)) and np.all(draws >= 0)
    assert_allclose(np.sort(draws[:, 0])[100], 1.6e308, rtol=0.1)


def test_domain_error_names_rule():
    X = np.ones((4, 2))
    X[2, 1] = 2.5
    with pytest.raises(DomainError, match="non-negative integers") as err:
        NegativeBinomial().stats(X)
    assert (err.value.column, err.value.row) == (1, 2)


def test_log_pmf_in_loaders_form_matches_high_precision():
    # gammaln(x + r) - gammaln(r) and r log p + x log(1 - p) cancel near the Poisson
    # limit: scipy's nbinom.logpmf is off by up to ~1e3 there (seen while fixing 31)
    from sklearn_mle.families._saddle import nbinom_logpmf

    from ._highprec import nbinom_logpmf as ref

    rng = np.random.default_rng(1)
    r = 10.0 ** rng.uniform(-3, 19, 120)
    mu = 10.0 ** rng.uniform(-2, 15, 120)
    p = r / (r + mu)
    x = np.round(mu * (1 + rng.normal(size=120) / np.sqrt(np.minimum(mu, r) + 1)))
    x = np.r_[np.maximum(x, 0.0), 0.0, 0.0, 1.0, 5.0]
    r, p = np.r_[r, 2.5, 1e18, 1e10, 0.01], np.r_[p, 0.3, 1 - 1e-9, 0.99999999995, 0.2]
    want = np.array([ref(a, b, c) for a, b, c in zip(x, r, p)])
    assert_allclose(nbinom_logpmf(x, r, p), want, rtol=1e-9, atol=1e-12)
    ok = (x < 1e4) & (r < 1e4)  # scipy's direct form is exact enough there
    assert_allclose(nbinom_logpmf(x[ok], r[ok], p[ok]), stats.nbinom.logpmf(x[ok], r[ok], p[ok]),
                    rtol=1e-10)


@pytest.mark.parametrize("X", [[[1e15 + 7], [1e15 + 123], [1e15 + 4000]],
                               [[2.0**52 + 3], [2.0**52 + 10]]])
def test_counts_near_1e15_log_likelihood_is_the_poisson_limit(X):
    # known defect 31: r capped at 1e10 * mean = 1e25 left p = 1 - 1e-10, whose rounding
    # moved the model mean by ~1e9 (loglik -1637 at the reported r, p; -1632 computed),
    # and 2**52 counts gave a positive loglik_. Now the cap keeps the mean and the
    # log-likelihood is the Poisson limit's (high-precision reference)
    from ._highprec import nbinom_logpmf as ref
    from ._highprec import poisson_logpmf

    X = np.array(X)
    with pytest.warns(BoundaryWarning, match="Use PoissonMLE"):
        est = m.NegativeBinomialMLE().fit(X)
    r, p = est.r_[0], est.p_[0]
    want = [ref(x, r, p) for x in X[:, 0]]
    assert_allclose(est.score_samples(X), want, rtol=1e-12)
    assert_allclose(est.loglik_, sum(want), rtol=1e-12)
    assert_allclose(r * (1 - p) / p, X.mean(), rtol=1e-12)  # the mean kept
    pois = sum(poisson_logpmf(x, X.mean()) for x in X[:, 0])
    assert est.loglik_ <= pois and abs(est.loglik_ - pois) < 1e-3 * abs(pois)
