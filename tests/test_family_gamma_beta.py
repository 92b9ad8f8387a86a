"""The gamma and beta families: against scipy, statistics algebra, the Gamma prior on
the rate as pseudo-statistics, the estimators' solver surface, and fixed defects."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import special, stats

from sklearn_mle import BetaMLE, GammaMLE
from sklearn_mle.families.beta import Beta
from sklearn_mle.families.gamma import Gamma
from sklearn_mle.families.poisson import Poisson
from sklearn_mle.priors import Gamma as GammaPrior

from ._numerics import central_hessian

FAMILIES = {
    "gamma": (Gamma, lambda rng, n: rng.gamma([2.0, 0.7], [1.5, 3.0], size=(n, 2)),
              lambda p: stats.gamma(p["shape"], scale=1 / p["rate"]), ("shape", "rate")),
    "beta": (Beta, lambda rng, n: rng.beta([2.0, 0.6], [3.0, 0.9], size=(n, 2)),
             lambda p: stats.beta(p["a"], p["b"]), ("a", "b")),
}


@pytest.mark.parametrize("name", FAMILIES)
def test_logpdf_mode_and_scipy(name):
    cls, draw, ref, names = FAMILIES[name]
    X = draw(np.random.default_rng(0), 400)
    fam = cls()
    p = fam.mode(fam.stats(X))
    assert p.converged and p.n_iter > 0
    assert_allclose(fam.logpdf(X, p), ref(p).logpdf(X), rtol=1e-10)
    assert_allclose(np.column_stack([d.logpdf(X[:, j]) for j, d in enumerate(fam.to_scipy(p))]),
                    ref(p).logpdf(X), rtol=1e-10)
    assert_allclose(fam.loglik(fam.stats(X), p), ref(p).logpdf(X).sum(0), rtol=1e-10)
    for j in range(2):
        fit = (stats.gamma.fit(X[:, j], floc=0) if name == "gamma"
               else stats.beta.fit(X[:, j], floc=0, fscale=1))
        mine = ((p["shape"][j], 1 / p["rate"][j]) if name == "gamma" else (p["a"][j], p["b"][j]))
        assert_allclose(mine, fit[0::2] if name == "gamma" else fit[:2], rtol=1e-4)
        # the likelihood equations hold at the mode (scipy's fit is only approximate)
    s = fam.stats(X)
    if name == "gamma":
        k, r = p["shape"], p["rate"]
        assert_allclose(s.sum_log_x / s.weight - special.digamma(k) + np.log(r), 0, atol=1e-9)
    else:
        a, b = p["a"], p["b"]
        assert_allclose(s.sum_log_x / s.weight - special.digamma(a) + special.digamma(a + b), 0,
                        atol=1e-9)


@pytest.mark.parametrize("name", FAMILIES)
def test_information_is_negative_hessian(name):
    cls, draw, _, names = FAMILIES[name]
    X = draw(np.random.default_rng(1), 100)
    fam = cls()
    s = fam.stats(X)
    if name == "gamma":  # with a prior's pseudo-statistics too
        s = s + GammaPrior(3.0, 2.0).pseudo_stats(fam, 2)
    p = {names[0]: np.array([1.7, 0.8]), names[1]: np.array([0.9, 1.3])}
    info = fam.information(s, p)
    for j in range(2):
        def f(t, j=j):
            q = {k: v.copy() for k, v in p.items()}
            q[names[0]][j], q[names[1]][j] = t
            return fam.loglik(s, q)[j]
        x0 = np.array([p[names[0]][j], p[names[1]][j]])
        assert_allclose(info[j], -central_hessian(f, x0, np.full(2, 1e-4)), rtol=1e-5)


@pytest.mark.parametrize("name", FAMILIES)
def test_stats_add_components_pickle_and_type(name):
    cls, draw, _, _ = FAMILIES[name]
    X = draw(np.random.default_rng(2), 90)
    fam = cls()
    a, b, whole = fam.stats(X[:35]), fam.stats(X[35:]), fam.stats(X)
    for k, v in whole.fields().items():
        assert_allclose(getattr(a + b, k), v, rtol=1e-12)
    assert pickle.loads(pickle.dumps(whole)) == whole
    with pytest.raises(TypeError):
        whole + Poisson().stats(np.ones((3, 2)))
    W = np.random.default_rng(3).random((90, 3))
    many = fam.stats(X, W)
    for j in range(3):
        one = fam.stats(X, W[:, j])
        for k, v in one.fields().items():
            assert_allclose(getattr(many[j], k), v, rtol=1e-12)


def test_gamma_map_is_mode_of_augmented_stats():
    X = np.random.default_rng(4).gamma(2.0, 1.5, size=(40, 1))
    fam = Gamma()
    prior = GammaPrior(3.0, 2.0)
    p = fam.mode(fam.stats(X) + prior.pseudo_stats(fam, 1))
    n, sx, slx = 40, X.sum(), np.log(X).sum()
    k = p["shape"][0]
    # hand formula: rate = (n k + a - 1) / (sum x + rate0); the shape solves the profile
    assert_allclose(p["rate"][0], (n * k + 2.0) / (sx + 2.0), rtol=1e-12)
    r = p["rate"][0]
    assert abs(slx / n - special.digamma(k) + np.log(r)) < 1e-9
    est = GammaMLE(prior=prior).fit(X)
    assert_allclose([est.shape_[0], est.rate_[0]], [k, r], rtol=1e-12)
    ll = stats.gamma(k, scale=1 / r).logpdf(X).sum() + stats.gamma(3.0, scale=0.5).logpdf(r)
    assert_allclose(est.loglik_, ll, rtol=1e-12)


def test_fixed_seed_fits_and_solver_surface():
    rng = np.random.default_rng(42)
    g = GammaMLE().fit(rng.gamma(3.0, 1 / 2.0, size=(5000, 1)))
    assert abs(g.shape_[0] - 3.0) < 4 * g.bse_[0] and abs(g.rate_[0] - 2.0) < 4 * g.bse_[1]
    assert g.converged_ and g.n_iter_ > 0
    b = BetaMLE().fit(rng.beta(2.0, 5.0, size=(5000, 1)))
    assert abs(b.a_[0] - 2.0) < 4 * b.bse_[0] and abs(b.b_[0] - 5.0) < 4 * b.bse_[1]
    assert b.converged_ and b.n_iter_ > 0
    with pytest.warns(Warning, match="did not converge in max_iter=1"):
        BetaMLE(max_iter=1).fit(rng.beta(2.0, 5.0, size=(50, 1)))


def test_domain_errors_name_the_rule():
    with pytest.raises(ValueError, match=r"GammaMLE: column 1 has value -1.0 at row 0; gamma"):
        GammaMLE().fit([[1.0, -1.0], [2.0, 3.0]])
    with pytest.raises(ValueError, match=r"BetaMLE: column 0 has value 1.5 .*between 0 and 1"):
        BetaMLE().fit([[0.5], [1.5]])


# ----------------------------------------------------------------- defects
def test_beta_near_zero_clear_error_04():
    X = np.random.default_rng(0).beta(2, 3, (50, 1)) * 1e-300
    with pytest.raises(ValueError, match="BetaMLE: the beta MLE cannot be computed in float64"):
        BetaMLE().fit(X)


def test_gamma_denormal_data_clear_error_22():
    with pytest.raises(ValueError, match="GammaMLE: the gamma rate .*overflows float64"):
        GammaMLE().fit(np.array([[5e-323], [1e-322], [2e-322]]))


def test_beta_constant_column_warns_for_any_width_32():
    for d in (1, 2):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            BetaMLE().fit(np.full((1000, d), 1e-6))
        assert any("constant" in str(w.message) for w in rec), d


def _gamma_logpdf_decimal(x, k, r):
    """``log Gamma(x; shape k, rate r)`` in 60-digit decimal arithmetic (Stirling's
    series for lgamma, exact for k >= 1e3 to far below float64's rounding)."""
    from decimal import Decimal, getcontext

    getcontext().prec = 60
    pi = Decimal("3.14159265358979323846264338327950288419716939937510582097494")
    x, k, r = Decimal(float(x)), Decimal(float(k)), Decimal(float(r))
    lgamma = ((k - Decimal("0.5")) * k.ln() - k + (2 * pi).ln() / 2 + 1 / (12 * k)
              - 1 / (360 * k ** 3) + 1 / (1260 * k ** 5))
    return float(k * r.ln() + (k - 1) * x.ln() - r * x - lgamma)


def test_logpdf_rows_at_a_capped_shape_keeps_its_digits():
    """Constant data: no MLE, the shape is capped near 1e12. ``logpdf_rows`` (the k
    components' matrix form, which cancels there) equals the estimator's score_samples
    and a 60-digit reference, also with a mild component beside the capped one."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        capped = GammaMLE().fit(np.full((5, 1), 2.5))
    assert capped.shape_[0] > 1e8
    mild = {"shape": np.array([2.0]), "rate": np.array([0.7])}
    params = [{"shape": capped.shape_, "rate": capped.rate_}, mild]
    X = np.array([[2.5], [2.5 * (1 + 1e-7)], [2.4999999], [1.0]])
    rows = Gamma().logpdf_rows(X, params)
    assert_allclose(rows[:, 0], capped.score_samples(X), rtol=1e-12)
    ref = [_gamma_logpdf_decimal(x, capped.shape_[0], capped.rate_[0]) for x in X[:3, 0]]
    assert_allclose(rows[:3, 0], ref, rtol=1e-9, atol=1e-9)
    assert_allclose(rows[:, 1], stats.gamma(2.0, scale=1 / 0.7).logpdf(X[:, 0]), rtol=1e-12)
    # two columns, only the second capped: the first keeps the matrix form
    X2 = np.column_stack([np.linspace(0.5, 3.0, 4), X[:, 0]])
    p2 = [{"shape": np.array([2.0, capped.shape_[0]]),
           "rate": np.array([0.7, capped.rate_[0]])}]
    want = (stats.gamma(2.0, scale=1 / 0.7).logpdf(X2[:, 0]) + capped.score_samples(X))
    assert_allclose(Gamma().logpdf_rows(X2, p2)[:, 0], want, rtol=1e-12)
