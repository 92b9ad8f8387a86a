"""The exponential family (families/exponential.py) against scipy and closed forms."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from sklearn_mle import BoundaryWarning, ExponentialMLE
from sklearn_mle.families.exponential import Exponential
from sklearn_mle.families.poisson import Poisson
from sklearn_mle.priors import Gamma

SCALES = np.array([0.5, 2.0, 30.0])


def _data(seed=0, n=80):
    return np.random.default_rng(seed).exponential(SCALES, size=(n, 3))


def test_logpdf_matches_scipy_directly_and_through_to_scipy():
    fam = Exponential()
    p = fam.mode(fam.stats(_data()))
    Xt = np.vstack([_data(seed=1, n=30), [[-1.0, 0.0, 1e300]]])
    lp = fam.logpdf(Xt, p)
    assert_allclose(lp, stats.expon.logpdf(Xt, scale=1 / p["rate"]), rtol=1e-12)
    frozen = fam.to_scipy(p)
    assert_allclose(lp, np.column_stack([f.logpdf(Xt[:, j]) for j, f in enumerate(frozen)]),
                    rtol=1e-12)
    assert lp[-1, 0] == -np.inf


def test_mode_is_the_closed_form_and_scipy_fit():
    fam = Exponential()
    X = _data(n=300)
    w = np.random.default_rng(2).uniform(0.1, 3.0, len(X))
    for weights in (None, w):
        ww = np.ones(len(X)) if weights is None else weights
        s = fam.stats(X, weights)
        r = fam.mode(s)
        assert r.converged and r.n_iter == 0
        assert_allclose(r["rate"], ww.sum() / (ww @ X), rtol=1e-12)
        assert_allclose(fam.loglik(s, r), ww @ stats.expon.logpdf(X, scale=1 / r["rate"]),
                        rtol=1e-12)
    rate = fam.mode(fam.stats(X))["rate"]
    for j in range(3):
        _, scale = stats.expon.fit(X[:, j], floc=0)
        assert_allclose(rate[j], 1 / scale, rtol=1e-12)


def test_information_is_the_numerical_hessian_of_loglik():
    fam = Exponential()
    s = fam.stats(_data())
    r = fam.mode(s)["rate"]
    info = fam.information(s, {"rate": r})
    h = 1e-3 * r  # truncation error ~h**2, rounding ~eps / h**2: both ~1e-6 here
    f0, fp, fm = (fam.loglik(s, {"rate": r + t}) for t in (0.0, h, -h))
    assert_allclose(info[:, 0, 0], -(fp - 2 * f0 + fm) / h**2, rtol=1e-5)


def test_stats_add_like_the_union_pickle_and_refuse_other_families():
    fam = Exponential()
    X = _data()
    w = np.random.default_rng(3).uniform(0.0, 2.0, len(X))
    total = fam.stats(X[:30], w[:30]) + fam.stats(X[30:], w[30:])
    whole = fam.stats(X, w)
    for k, v in whole.fields().items():
        assert_allclose(getattr(total, k), v, rtol=1e-12)
    assert pickle.loads(pickle.dumps(whole)) == whole
    counts = np.round(X)
    # same field names (weight, sum_x) as Poisson's subset: still refused
    with pytest.raises(TypeError, match="exponential and poisson"):
        fam.stats(counts) + Poisson().stats(counts)


def test_k_weight_columns_equal_k_separate_calls():
    fam = Exponential()
    X = _data(n=200_003)  # several row blocks
    W = np.random.default_rng(4).dirichlet(np.ones(4), len(X))
    both = fam.stats(X, W)
    assert len(both) == 4
    for j in range(4):
        one = fam.stats(X, W[:, j])
        for k, v in one.fields().items():
            assert_allclose(getattr(both[j], k), v, rtol=1e-10)
    with pytest.raises(ValueError, match="must be >= 0"):
        fam.stats(-X[:5], W[:5])


def test_map_is_the_mode_of_stats_plus_gamma_pseudo_stats():
    fam = Exponential()
    X = _data(n=25)
    prior = Gamma(3.0, 2.5)
    pseudo = prior.pseudo_stats(fam, 3)
    assert_allclose(pseudo.weight, 2.0) and assert_allclose(pseudo.sum_x, 2.5)
    rate = fam.mode(fam.stats(X) + pseudo)["rate"]
    assert_allclose(rate, (len(X) + 2) / (X.sum(0) + 2.5), rtol=1e-12)
    est = ExponentialMLE(prior=prior).fit(X)
    assert_allclose(est.rate_, rate, rtol=1e-12)
    assert_allclose(est.bse_, rate / np.sqrt(len(X) + 2), rtol=1e-12)
    with pytest.raises(ValueError, match="no posterior mode.*a >= 1"):
        fam.mode(fam.stats(np.zeros((1, 1)), np.array([0.5]))
                 + Gamma(0.1, 1.0).pseudo_stats(fam, 1))


def test_boundary_and_fixed():
    fam = Exponential()
    s = fam.stats(np.zeros((4, 2)))
    with pytest.warns(BoundaryWarning, match="only zeros.*prior=Gamma"):
        r = fam.mode(s)
    assert np.all(np.isinf(r["rate"])) and np.all(fam.loglik(s, r) == np.inf)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = fam.mode(s, {"rate": np.array([2.0, 3.0])})
    assert_allclose(r["rate"], [2.0, 3.0])
    assert_allclose(fam.loglik(s, r), 4 * np.log([2.0, 3.0]))


def test_fixed_seed_fit():
    X = _data(seed=42, n=500)
    est = ExponentialMLE().fit(X)
    assert est.family_ == Exponential()
    assert_allclose(est.rate_, len(X) / X.sum(0), rtol=1e-12)
    assert_allclose(est.loglik_, stats.expon.logpdf(X, scale=1 / est.rate_).sum(), rtol=1e-12)
    assert np.all(np.abs(est.rate_ - 1 / SCALES) < 4 * est.bse_)
    draws = Exponential().sample(est.params_, 20_000, np.random.default_rng(0))
    assert_allclose(draws.mean(0), 1 / est.rate_, rtol=0.05)


def test_values_summing_beyond_float64_are_a_clear_error():
    # defect 21: the column sums overflowed to inf: rate_ 0 and loglik_ nan, silently
    X = [[1.7e308, 1.6e308], [1.5e308, 1.7e308]]
    with pytest.raises(ValueError, match=r"ExponentialMLE: column 0 has value .*rescale"):
        ExponentialMLE().fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # information 1 / rate**2 overflows (no bse)
        est = ExponentialMLE().partial_fit([[1.7e308]])
    with np.errstate(over="ignore"), pytest.raises(ValueError, match="float64 range.*rescale"):
        est.partial_fit([[1.6e308]])
    # below the range: exact, and rescaling gives the same fit
    big = np.array([[1.0], [3.0], [2.0]]) * 2e307
    with warnings.catch_warnings():
        # its information 3 / rate**2 overflows: inference says it has no standard error
        warnings.simplefilter("ignore")
        est = ExponentialMLE().fit(big)
    assert_allclose(est.rate_, [3 / 1.2e308], rtol=1e-12)
    assert_allclose(est.loglik_, stats.expon.logpdf(big, scale=4e307).sum(), rtol=1e-12)
