"""The successes/failures families: Bernoulli, Binomial and Geometric (families/binary.py).

Every quantity is checked against an independent reference: scipy.stats densities
and fits, closed forms written out here, and central differences of the log-likelihood.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from sklearn_mle import BernoulliMLE, BinomialMLE, BoundaryWarning, ExponentialMLE, GeometricMLE
from sklearn_mle.families.binary import Bernoulli, Binomial, Geometric
from sklearn_mle.families.exponential import Exponential
from sklearn_mle.priors import Beta

N = 9
PER_COLUMN = (4, 9, 15)


def _bernoulli_data(rng, n, d):
    return (rng.random((n, d)) < np.linspace(0.2, 0.7, d)).astype(float)


def _binomial_data(rng, n, d):
    return rng.binomial(N, np.linspace(0.2, 0.6, d), size=(n, d)).astype(float)


def _per_column_data(rng, n, d):
    return rng.binomial(PER_COLUMN, [0.3, 0.5, 0.8], size=(n, 3)).astype(float)


def _geometric_data(rng, n, d):
    return rng.geometric(np.linspace(0.15, 0.6, d), size=(n, d)).astype(float)


# family, data, scipy reference logpmf(X, p), closed-form MLE(X, w),
# successes and failures of X (for the Beta MAP's hand formula)
CASES = {
    "bernoulli": (
        Bernoulli(), _bernoulli_data,
        lambda X, p: stats.bernoulli.logpmf(X, p),
        lambda X, w: (w @ X) / w.sum(),
        lambda X: (X.sum(0), (1 - X).sum(0)),
    ),
    "binomial": (
        Binomial(N), _binomial_data,
        lambda X, p: stats.binom.logpmf(X, N, p),
        lambda X, w: (w @ X) / (N * w.sum()),
        lambda X: (X.sum(0), (N - X).sum(0)),
    ),
    "binomial per column": (
        Binomial(PER_COLUMN), _per_column_data,
        lambda X, p: stats.binom.logpmf(X, PER_COLUMN, p),
        lambda X, w: (w @ X) / (np.array(PER_COLUMN) * w.sum()),
        lambda X: (X.sum(0), (np.array(PER_COLUMN) - X).sum(0)),
    ),
    "geometric": (
        Geometric(), _geometric_data,
        lambda X, p: stats.geom.logpmf(X, p),
        lambda X, w: w.sum() / (w @ X),
        lambda X: (np.full(X.shape[1], float(len(X))), (X - 1).sum(0)),
    ),
}
NAMES = sorted(CASES)


def _data(name, seed=0, n=80, d=3):
    return CASES[name][1](np.random.default_rng(seed), n, d)


@pytest.mark.parametrize("name", NAMES)
def test_logpdf_matches_scipy_directly_and_through_to_scipy(name):
    fam, _, ref, _, _ = CASES[name]
    X = _data(name)
    p = fam.mode(fam.stats(X))
    Xt = np.vstack([_data(name, seed=1, n=30), [[-1.0, 2.5, 1e9]]])  # and off the support
    lp = fam.logpdf(Xt, p)
    assert_allclose(lp, ref(Xt, p["p"]), rtol=1e-12)
    frozen = fam.to_scipy(p)
    assert len(frozen) == 3
    assert_allclose(lp, np.column_stack([f.logpmf(Xt[:, j]) for j, f in enumerate(frozen)]),
                    rtol=1e-12)
    # k parameter sets at once: the rows' sums, like k separate logpdf calls
    params = [p, {"p": np.clip(p["p"] * 0.8, 0.01, 0.99)}]
    rows = fam.logpdf_rows(Xt, params)
    assert_allclose(rows, np.column_stack([ref(Xt, q["p"]).sum(1) for q in params]),
                    rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_mode_is_the_closed_form_and_loglik_the_scipy_sum(name):
    fam, _, ref, mle, _ = CASES[name]
    X = _data(name)
    w = np.random.default_rng(2).uniform(0.1, 3.0, len(X))
    for weights in (None, w):
        ww = np.ones(len(X)) if weights is None else weights
        s = fam.stats(X, weights)
        p = fam.mode(s)
        assert isinstance(p["p"], np.ndarray) and p.converged and p.n_iter == 0
        assert_allclose(p["p"], mle(X, ww), rtol=1e-12)
        assert_allclose(fam.loglik(s, p), ww @ ref(X, p["p"]), rtol=1e-12)


def test_mode_matches_scipy_fit():
    X = _data("geometric", n=200, d=1)[:, 0]
    fit = stats.fit(stats.geom, X, bounds={"p": (1e-6, 1 - 1e-6)}).params.p
    got = Geometric().mode(Geometric().stats(X[:, None]))["p"][0]
    assert_allclose(got, fit, rtol=1e-5)
    Xb = _data("binomial", n=200, d=1)[:, 0]
    fit = stats.fit(stats.binom, Xb, bounds={"n": (N, N), "p": (1e-6, 1 - 1e-6)}).params.p
    assert_allclose(Binomial(N).mode(Binomial(N).stats(Xb[:, None]))["p"][0], fit, rtol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_information_is_the_numerical_hessian_of_loglik(name):
    fam = CASES[name][0]
    X = _data(name)
    s = fam.stats(X)
    p = fam.mode(s)["p"]
    info = fam.information(s, {"p": p})
    assert info.shape == (3, 1, 1)
    h = 1e-5 * np.minimum(p, 1 - p)
    f0 = fam.loglik(s, {"p": p})
    fp, fm = fam.loglik(s, {"p": p + h}), fam.loglik(s, {"p": p - h})
    assert_allclose(info[:, 0, 0], -(fp - 2 * f0 + fm) / h**2, rtol=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_stats_add_like_the_union_and_pickle(name):
    fam = CASES[name][0]
    X = _data(name)
    w = np.random.default_rng(3).uniform(0.0, 2.0, len(X))
    a, b = fam.stats(X[:30], w[:30]), fam.stats(X[30:], w[30:])
    whole = fam.stats(X, w)
    total = a + b
    assert total.family == fam.name and total.constants == fam.constants
    for k, v in whole.fields().items():
        assert_allclose(getattr(total, k), v, rtol=1e-12)
    again = pickle.loads(pickle.dumps(whole))
    assert again == whole and again.constants == fam.constants
    assert (whole.zero_like() + whole) == whole


@pytest.mark.parametrize("name", NAMES)
def test_k_weight_columns_equal_k_separate_calls(name):
    fam = CASES[name][0]
    X = _data(name, n=300_000 // 3 + 7)  # several row blocks
    W = np.random.default_rng(4).dirichlet(np.ones(3), len(X))
    W[::5, 1] = 0.0
    both = fam.stats(X, W)
    assert len(both) == 3
    for j in range(3):
        one = fam.stats(X, W[:, j])
        for k, v in one.fields().items():
            assert_allclose(getattr(both[j], k), v, rtol=1e-10, atol=1e-8)


def test_adding_refuses_another_family_or_other_trials():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(TypeError, match="bernoulli and binomial"):
        Bernoulli().stats(X) + Binomial(1).stats(X)
    with pytest.raises(TypeError, match="bernoulli and geometric"):
        Bernoulli().stats(X) + Geometric().stats(X + 1)
    with pytest.raises(TypeError, match="constants"):
        Binomial(3).stats(X) + Binomial(4).stats(X)
    with pytest.raises(TypeError, match="constants"):
        Binomial((3, 4)).stats(X) + Binomial(3).stats(X)
    assert Binomial(3) == Binomial((3, 3)) and Binomial(3) != Binomial((3, 4))
    assert repr(Binomial((3, 4))) == "Binomial((3, 4))"


def test_fitted_estimators_refuse_each_others_statistics():
    # the defect: BernoulliMLE().stats_ + ExponentialMLE().stats_ added silently
    b = BernoulliMLE().fit([[0.0], [1.0], [1.0]])
    e = ExponentialMLE().fit([[0.5], [2.0], [1.0]])
    with pytest.raises(TypeError, match="bernoulli and exponential"):
        b.stats_ + e.stats_
    with pytest.raises(TypeError, match="geometric and exponential"):
        GeometricMLE().fit([[1.0], [3.0]]).stats_ + e.stats_
    with pytest.raises(TypeError):
        Exponential().stats(np.ones((2, 1))) + Bernoulli().stats(np.ones((2, 1)))


@pytest.mark.parametrize("name", NAMES)
def test_map_is_the_mode_of_stats_plus_beta_pseudo_stats(name):
    fam, _, _, _, counts = CASES[name]
    X = _data(name, n=25)
    prior = Beta(3.0, 5.0)
    pseudo = prior.pseudo_stats(fam, 3)
    assert_allclose(pseudo.successes, 2.0) and assert_allclose(pseudo.failures, 4.0)
    assert np.all(pseudo.weight == 0)
    succ, fail = counts(X)
    assert_allclose(fam.mode(fam.stats(X) + pseudo)["p"], (succ + 2) / (succ + fail + 6),
                    rtol=1e-12)


def test_estimators_give_the_family_map():
    X = _data("bernoulli", n=25)
    est = BernoulliMLE(prior=Beta(3, 5)).fit(X)
    assert_allclose(est.p_, (X.sum(0) + 2) / (len(X) + 6), rtol=1e-12)
    # the log-posterior's information: the family's on stats + pseudo-statistics
    fam = est.family_
    info = fam.information(est.stats_ + Beta(3, 5).pseudo_stats(fam, 3), est.params_)
    assert_allclose(est.bse_, 1 / np.sqrt(info[:, 0, 0]), rtol=1e-12)


def test_prior_without_mode_and_boundary():
    fam = Bernoulli()
    s = fam.stats(np.zeros((4, 1)))
    with pytest.raises(ValueError, match="no posterior mode.*a, b >= 1"):
        fam.mode(s + Beta(0.5, 2).pseudo_stats(fam, 1))
    with pytest.warns(BoundaryWarning, match="Bernoulli: a column is all 0 or all 1.*Beta"):
        assert fam.mode(s)["p"][0] == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # fixed values are not estimates: no boundary warning
        assert fam.mode(s, {"p": np.array([0.3])})["p"][0] == 0.3
    assert fam.information(s, {"p": np.array([0.0])})[0, 0, 0] == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_fixed_seed_fit(name):
    fam, _, ref, mle, _ = CASES[name]
    X = _data(name, seed=42, n=400)
    est = {"bernoulli": BernoulliMLE(), "binomial": BinomialMLE(N),
           "binomial per column": BinomialMLE(list(PER_COLUMN)),
           "geometric": GeometricMLE()}[name].fit(X)
    assert est.family_ == fam
    assert_allclose(est.p_, mle(X, np.ones(len(X))), rtol=1e-12)
    assert_allclose(est.loglik_, ref(X, est.p_).sum(), rtol=1e-12)
    truth = {"bernoulli": np.linspace(0.2, 0.7, 3), "binomial": np.linspace(0.2, 0.6, 3),
             "binomial per column": [0.3, 0.5, 0.8],
             "geometric": np.linspace(0.15, 0.6, 3)}[name]
    assert np.all(np.abs(est.p_ - truth) < 4 * est.bse_)


# ------------------------------------------------------------ binomial n_trials
def test_n_trials_from_data_is_resolved_once_without_touching_the_estimator():
    X = np.array([[0.0, 2.0], [5.0, 1.0], [3.0, 0.0]])
    est = BinomialMLE().fit(X)
    assert est.family_ == Binomial((5, 2))
    assert_allclose(est.n_trials_, [5, 2])
    before = {k: v for k, v in vars(est).items()}
    est.family_.stats(np.array([[1.0, 1.0]]))  # statistics leave the estimator alone
    assert vars(est).keys() == before.keys()
    # the defect: computing statistics set n_trials_ on the estimator; now the family
    # is resolved once per fit, and a new fit resolves it afresh
    est.fit([[1.0, 7.0], [0.0, 1.0]])
    assert_allclose(est.n_trials_, [1, 7])
    assert est.family_ == Binomial((1, 7))
    with pytest.raises(ValueError, match=r"n_trials is \[1, 7\]"):
        est.partial_fit([[2.0, 0.0]])
    assert_allclose(est.n_trials_, [1, 7])
    # equal values for every column are the one-value family
    assert BinomialMLE().fit([[3.0, 1.0], [0.0, 3.0]]).family_ == Binomial(3)


def test_n_trials_from_data_ignores_zero_weight_rows_in_one_and_k_passes():
    X = np.array([[2.0], [4.0], [9.0], [1.0]])
    w = np.array([1.0, 2.0, 0.0, 1.0])
    fam = Binomial.from_data(X, w)
    assert fam == Binomial(4)
    one = fam.stats(X, w)
    assert_allclose([one.successes[0], one.failures[0]], [11.0, 5.0])
    # k components, the 9 carrying no weight in any: its log C(4, 9) is not NaN * 0
    both = fam.stats(X, np.column_stack([w, 0.5 * w]))
    assert_allclose(both[1].sum_logc, 0.5 * one.sum_logc, rtol=1e-12)
    assert np.all(np.isfinite(both[0].sum_logc))
    with pytest.raises(ValueError, match="n_trials is 4"):
        fam.stats(X)  # with unit weights, the 9 is a count out of 4
    assert Binomial.from_data(np.array([[0.0, np.nan]])) == Binomial((1, 1))


def test_n_trials_validation():
    for bad in (0, 2.5, [1, -1], np.inf, "a", [[1]], 2**53 + 2):
        with pytest.raises(ValueError, match=r"n_trials must be integers in \[1, 2\*\*53\]"):
            Binomial(bad)
    with pytest.raises(ValueError, match="3 values .* 2 columns"):
        Binomial((1, 2, 3)).stats(np.zeros((2, 2)))


# ------------------------------------------------------------- reliability
def test_geometric_counts_summing_beyond_float64_is_a_clear_error():
    # defect 07b: the sum overflowed to inf, p became 0 and sample() raised numpy's error
    with pytest.raises(ValueError, match=r"GeometricMLE: column 0 .* float64 range"):
        GeometricMLE().fit([[1.7e308], [1.6e308]])
    fam = Geometric()
    a, b = fam.stats(np.array([[1.7e308]])), fam.stats(np.array([[1.6e308]]))
    with np.errstate(over="ignore"), pytest.raises(ValueError, match="float64 range"):
        fam.mode(a + b)


def test_geometric_samples_for_tiny_p_stay_positive_and_right():
    # numpy's int64 sampler wraps to negative values (RandomState) or saturates at 2**63
    est = GeometricMLE().fit([[1e17], [2e17]])
    draws = est.sample(4000, random_state=0)
    assert np.all(draws >= 1)
    assert_allclose(draws.mean(), 1 / est.p_[0], rtol=0.1)
    rng = np.random.default_rng(0)
    x = Geometric().sample({"p": np.array([1e-15, 0.3])}, 20_000, rng)
    assert np.all(x >= 1) and np.all(x == np.floor(x))
    assert_allclose(x.mean(0), [1e15, 1 / 0.3], rtol=0.05)
    with pytest.warns(RuntimeWarning, match="exceed the float64 range"):
        Geometric().sample({"p": np.array([1e-308])}, 50, rng)
