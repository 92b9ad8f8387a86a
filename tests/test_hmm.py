"""HiddenMarkovModel against hmmlearn (the independent reference) and its contracts."""

import warnings

import numpy as np
import pytest
from hmmlearn import hmm

from sklearn_mle.distributions import (
    BernoulliMLE,
    CategoricalMLE,
    ExponentialMLE,
    GammaMLE,
    GaussianMLE,
    LogNormalMLE,
    MultinomialMLE,
    NegativeBinomialMLE,
    PoissonMLE,
    WeibullMLE,
)
from sklearn_mle.exceptions import ComponentCollapseWarning
from sklearn_mle.hmm import HiddenMarkovModel, _estep
from sklearn_mle.hmm import _forward_backward as fb
from sklearn_mle.priors import Dirichlet

SP0 = np.array([0.4, 0.3, 0.3])
A0 = np.array([[0.6, 0.2, 0.2], [0.2, 0.6, 0.2], [0.2, 0.2, 0.6]])
LENGTHS = [200, 250, 150]


def _quiet_fit(model, X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, **kw)


def _gaussian_data(cov_type):
    ref = hmm.GaussianHMM(3, "full", random_state=0)
    ref.startprob_ = np.array([0.5, 0.3, 0.2])
    ref.transmat_ = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]])
    ref.means_ = np.array([[0, 0], [3, 3], [-3, 2.0]])
    ref.covars_ = np.array([np.eye(2), [[1, 0.5], [0.5, 2]], 0.5 * np.eye(2)])
    X, _ = ref.sample(600, random_state=1)
    mu0 = np.array([[0.5, 0], [2, 2.5], [-2, 1.0]])
    if cov_type == "full":
        cov0 = np.array([np.eye(2) * 1.5, [[1.0, 0.2], [0.2, 1.0]], np.eye(2)])
        init = [{"mean": mu0[j], "covariance": cov0[j]} for j in range(3)]
    else:
        cov0 = np.array([[1.5, 1.0], [1.0, 2.0], [0.7, 1.0]])
        init = [{"mean": mu0[j], "covariance": cov0[j]} for j in range(3)]
    ref = hmm.GaussianHMM(3, cov_type, init_params="", params="stmc", covars_prior=0,
                          min_covar=0, implementation="scaling")
    ref.means_, ref.covars_ = mu0, cov0
    return X, ref, GaussianMLE(covariance_type=cov_type), init


def _categorical_data():
    rng = np.random.default_rng(3)
    z = np.zeros(600, int)
    for t in range(1, 600):
        z[t] = z[t - 1] if rng.random() < 0.85 else rng.integers(3)
    probs = np.array([[0.6, 0.2, 0.1, 0.1], [0.1, 0.6, 0.2, 0.1], [0.1, 0.1, 0.2, 0.6]])
    X = np.array([rng.choice(4, p=probs[s]) for s in z])[:, None]
    e0 = np.array([[0.4, 0.3, 0.2, 0.1], [0.2, 0.4, 0.3, 0.1], [0.1, 0.2, 0.3, 0.4]])
    ref = hmm.CategoricalHMM(3, init_params="", params="ste", implementation="scaling")
    ref.emissionprob_ = e0
    return X, ref, CategoricalMLE(), [{"probabilities": [e0[j]]} for j in range(3)]


def _poisson_data():
    rng = np.random.default_rng(4)
    z = np.repeat([0, 1, 2, 1, 0, 2] * 5, 20)
    X = rng.poisson(np.array([[1.0, 5.0], [6.0, 2.0], [15.0, 9.0]])[z])
    l0 = np.array([[2.0, 4.0], [5.0, 3.0], [10.0, 8.0]])
    ref = hmm.PoissonHMM(3, init_params="", params="stl", implementation="scaling")
    ref.lambdas_ = l0
    return X.astype(float), ref, PoissonMLE(), [{"rate": l0[j]} for j in range(3)]


def _emission_arrays(model):
    family = model._emission.family.name
    out = []
    for p in model._params:
        for name in sorted(p):
            v = p[name]
            out.append(np.concatenate([np.ravel(c) for c in v]) if isinstance(v, list)
                       else np.ravel(v))
    return family, np.concatenate(out)


def _reference_arrays(ref):
    if isinstance(ref, hmm.GaussianHMM):
        return np.concatenate([np.concatenate([ref.covars_[j].ravel() if
                                               ref.covariance_type == "full" else
                                               np.diag(ref.covars_[j]),
                                               ref.means_[j]]) for j in range(3)])
    if isinstance(ref, hmm.CategoricalHMM):
        return ref.emissionprob_.ravel()
    return ref.lambdas_.ravel()


CASES = {
    "gaussian_full": lambda: _gaussian_data("full"),
    "gaussian_diag": lambda: _gaussian_data("diag"),
    "categorical": _categorical_data,
    "poisson": _poisson_data,
}


@pytest.mark.parametrize("native", [True, False], ids=["native", "numpy"])
@pytest.mark.parametrize("case", list(CASES))
def test_matches_hmmlearn(case, native, monkeypatch):
    if native and not _estep.NATIVE:
        pytest.skip("compiled kernels not built")
    if not native:
        monkeypatch.setattr(_estep, "NATIVE", False)
    X, ref, emission, init = CASES[case]()
    n_iter = 8
    ref.startprob_, ref.transmat_ = SP0, A0
    ref.n_iter, ref.tol = n_iter + 1, -np.inf
    ref.monitor_.n_iter, ref.monitor_.tol = n_iter + 1, -np.inf
    ref.fit(X, LENGTHS)
    history = np.array(ref.monitor_.history)  # before each M-step
    model = HiddenMarkovModel(emission, 3, startprob_init=SP0, transmat_init=A0,
                              emissions_init=init, max_iter=n_iter, tol=0)
    _quiet_fit(model, X, lengths=LENGTHS)
    n = X.shape[0]
    # our trace is the objective after each M-step: hmmlearn's next entry
    assert history.size == n_iter + 1
    np.testing.assert_allclose(model.lower_bounds_ * n, history[1:], rtol=1e-8)
    assert not model.converged_ and model.n_iter_ == n_iter
    # parameters after n_iter M-steps
    ref2 = CASES[case]()[1]
    ref2.startprob_, ref2.transmat_ = SP0, A0
    ref2.n_iter, ref2.tol = n_iter, -np.inf
    ref2.monitor_.n_iter, ref2.monitor_.tol = n_iter, -np.inf
    ref2.fit(X, LENGTHS)
    np.testing.assert_allclose(model.startprob_, ref2.startprob_, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(model.transmat_, ref2.transmat_, rtol=1e-7, atol=1e-12)
    ours = model._params
    if case.startswith("gaussian"):
        np.testing.assert_allclose([p["mean"] for p in ours], ref2.means_, rtol=1e-7)
        cov = ref2.covars_ if case == "gaussian_full" else np.array(
            [np.diag(c) for c in ref2.covars_])
        np.testing.assert_allclose([p["covariance"] for p in ours], cov, rtol=1e-7)
    elif case == "categorical":
        np.testing.assert_allclose([p["probabilities"][0] for p in ours],
                                   ref2.emissionprob_, rtol=1e-7)
    else:
        np.testing.assert_allclose([p["rate"] for p in ours], ref2.lambdas_, rtol=1e-7)
    Xi = X.astype(int) if case == "categorical" else X
    # Viterbi path and its log-probability, posteriors, log-likelihood
    lp, path = model.decode(X, lengths=LENGTHS)
    ref_lp, ref_path = ref2.decode(Xi, LENGTHS)
    np.testing.assert_array_equal(path, ref_path)
    np.testing.assert_allclose(lp, ref_lp, rtol=1e-10)
    np.testing.assert_allclose(model.predict_proba(X, lengths=LENGTHS),
                               ref2.predict_proba(Xi, LENGTHS), atol=1e-10)
    np.testing.assert_allclose(model.score(X, lengths=LENGTHS) * n, ref2.score(Xi, LENGTHS),
                               rtol=1e-10)
    np.testing.assert_array_equal(model.predict(X, lengths=LENGTHS),
                                  ref2.predict(Xi, LENGTHS))


@pytest.mark.parametrize("bounds", [[0, 1, 700, 1500, 1501, 3000],
                                    [0, 500, 1100, 1500, 2200, 3000]],
                         ids=["ragged", "padded"])
def test_native_equals_numpy(bounds):
    if not _estep.NATIVE:
        pytest.skip("compiled kernels not built")
    rng = np.random.default_rng(0)
    n, k = 3000, 4
    bounds = np.array(bounds, dtype=np.int64)
    lp = rng.normal(scale=30, size=(n, k))
    lp[5, 1] = -np.inf
    pi = rng.dirichlet(np.ones(k))
    A = rng.dirichlet(np.ones(k), size=k)
    w = rng.random(5)
    a = _estep.run_forward_backward(lp, bounds, pi, A, w, n_jobs=2)
    b = _estep.run_forward_backward(lp, bounds, pi, A, w, use_native=False)
    for x, y in zip(a[:3] + a[4:], b[:3] + b[4:]):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)
    f1 = _estep.run_forward(lp, bounds, pi, A)
    f2 = _estep.run_forward(lp, bounds, pi, A, use_native=False)
    np.testing.assert_allclose(f1[0], f2[0], rtol=1e-13)
    np.testing.assert_allclose(f1[1], f2[1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(f1[0], a[0], rtol=1e-13)
    v1 = _estep.run_viterbi(lp, bounds, pi, A)
    v2 = _estep.run_viterbi(lp, bounds, pi, A, use_native=False)
    np.testing.assert_array_equal(v1[1], v2[1])
    np.testing.assert_allclose(v1[0], v2[0], rtol=1e-13)
    # a dead sequence (a row no state reachable can emit): -inf, zero posteriors
    lp2 = lp.copy()
    lp2[bounds[2] + 100, :] = -np.inf
    for native in (True, False):
        ll, gamma, xi, dead, _ = _estep.run_forward_backward(lp2, bounds, pi, A,
                                                             use_native=native)
        assert dead and ll[2] == -np.inf and np.all(np.isfinite(ll[[0, 1, 3, 4]]))
        assert np.all(gamma[bounds[2]:bounds[3]] == 0) and np.all(np.isfinite(xi))
        ok = np.r_[0:bounds[2], bounds[3]:n]
        np.testing.assert_allclose(gamma[ok], a[1][ok], rtol=1e-12, atol=1e-14)
    # the forward log-likelihood against a direct log-space recursion
    from scipy.special import logsumexp
    la = np.log(pi) + lp[bounds[1]]
    for t in range(bounds[1] + 1, bounds[2]):
        la = logsumexp(la[:, None] + np.log(A), axis=0) + lp[t]
    np.testing.assert_allclose(a[0][1], logsumexp(la), rtol=1e-12)


def test_long_sequence_no_underflow():
    """One sequence of 10**6 rows whose densities span hundreds of orders of
    magnitude: finite log-likelihood, path and posteriors (never an underflow)."""
    rng = np.random.default_rng(0)
    n = 10**6 if _estep.NATIVE else 20_000  # the NumPy twin takes a Python step per row
    z = (np.arange(n) // 5000) % 2
    X = rng.normal(np.where(z == 0, 0.0, 100.0), 1.0)[:, None]
    model = HiddenMarkovModel(GaussianMLE(covariance_type="diag"), 2, random_state=0,
                              max_iter=3)
    _quiet_fit(model, X)
    ll = model.log_likelihood(X)
    assert np.all(np.isfinite(ll)) and ll[0] < -1e6
    np.testing.assert_allclose(ll.sum(), model.score_samples(X).sum(), rtol=1e-10)
    logprob, states = model.decode(X)
    expected = z if states[0] == 0 else 1 - z  # the regimes, up to their labels
    assert np.isfinite(logprob) and np.mean(states == expected) > 0.99
    proba = model.predict_proba(X[:20000])
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1.0)


FAMILIES = [
    (GaussianMLE(covariance_type="spherical"), lambda r: r.normal(size=(300, 2))
     + 4 * (np.arange(300) // 50 % 2)[:, None]),
    (PoissonMLE(), lambda r: r.poisson(np.where(np.arange(300) // 40 % 2, 2.0, 9.0))[:, None]
     .astype(float)),
    (BernoulliMLE(), lambda r: (r.random((300, 3)) < np.where(
        np.arange(300) // 30 % 2, 0.2, 0.8)[:, None]).astype(float)),
    (ExponentialMLE(), lambda r: r.exponential(np.where(np.arange(300) // 30 % 2, 1, 6))[:, None]),
    (GammaMLE(), lambda r: r.gamma(3.0, np.where(np.arange(300) // 30 % 2, 1, 5))[:, None]),
    (LogNormalMLE(), lambda r: r.lognormal(np.where(np.arange(300) // 30 % 2, 0, 2),
                                           0.5)[:, None]),
    (MultinomialMLE(), lambda r: np.array([r.multinomial(
        10, [0.7, 0.2, 0.1] if s else [0.1, 0.3, 0.6]) for s in np.arange(300) // 30 % 2])
     .astype(float)),
    # families without finite statistics: their M-step is a Newton solve on the data
    (WeibullMLE(), lambda r: r.weibull(2.0, (300, 1)) * np.where(
        np.arange(300) // 30 % 2, 1, 5)[:, None]),
    (NegativeBinomialMLE(), lambda r: r.negative_binomial(
        5, np.where(np.arange(300) // 30 % 2, 0.5, 0.1))[:, None].astype(float)),
]


@pytest.mark.parametrize("prior", [None, Dirichlet(2.0)])
@pytest.mark.parametrize("emission,make", FAMILIES, ids=lambda e: type(e).__name__)
def test_em_monotone(emission, make, prior):
    X = make(np.random.default_rng(5))
    model = HiddenMarkovModel(emission, 2, prior=prior, init_params="random", random_state=1,
                              max_iter=30, tol=0)
    _quiet_fit(model, X, lengths=[100, 150, 50])
    trace = model.lower_bounds_
    assert np.all(np.diff(trace) >= -1e-10 * np.abs(trace[1:]))
    # loglik_ equals the final objective times the weight, and the forward pass
    ll = model.log_likelihood(X, lengths=[100, 150, 50]).sum()
    lp = model._log_prior(model.startprob_, model.transmat_, model._params)
    np.testing.assert_allclose(model.loglik_, ll + lp, rtol=1e-10)
    np.testing.assert_allclose(model.lower_bound_ * X.shape[0], ll + lp, rtol=1e-10)


def test_weights_equal_repeated_sequences():
    X, _, emission, init = _poisson_data()
    lens = [200, 250, 150]
    parts = np.split(X, np.cumsum(lens)[:-1])
    Xr = np.concatenate([parts[0], parts[1], parts[1], parts[2], parts[2], parts[2]])
    kw = dict(startprob_init=SP0, transmat_init=A0, emissions_init=init, max_iter=6, tol=0)
    a = _quiet_fit(HiddenMarkovModel(emission, 3, **kw), X, lengths=lens,
                   sample_weight=[1, 2, 3])
    b = _quiet_fit(HiddenMarkovModel(emission, 3, **kw), Xr,
                   lengths=[200, 250, 250, 150, 150, 150])
    np.testing.assert_allclose(a.transmat_, b.transmat_, rtol=1e-10)
    np.testing.assert_allclose(a.loglik_, b.loglik_, rtol=1e-10)
    np.testing.assert_allclose([p["rate"] for p in a._params],
                               [p["rate"] for p in b._params], rtol=1e-10)
    # per-row weights constant within sequences are the same thing
    c = _quiet_fit(HiddenMarkovModel(emission, 3, **kw), X, lengths=lens,
                   sample_weight=np.repeat([1, 2, 3], lens))
    np.testing.assert_allclose(a.transmat_, c.transmat_, rtol=1e-12)
    with pytest.raises(ValueError, match="constant within each sequence"):
        HiddenMarkovModel(emission, 3, **kw).fit(X, lengths=lens,
                                                 sample_weight=np.arange(600) % 3)


def test_multiple_sequences_loglik_is_sum():
    X, _, emission, init = _poisson_data()
    model = _quiet_fit(HiddenMarkovModel(emission, 3, random_state=0, max_iter=5), X,
                       lengths=LENGTHS)
    per = model.log_likelihood(X, lengths=LENGTHS)
    parts = np.split(X, np.cumsum(LENGTHS)[:-1])
    np.testing.assert_allclose(per, [model.log_likelihood(p)[0] for p in parts], rtol=1e-12)
    ids = np.repeat(["a", "b", "c"], LENGTHS)
    np.testing.assert_allclose(model.log_likelihood(X, sequence_ids=ids), per, rtol=1e-14)


@pytest.mark.parametrize("kwargs,match", [
    (dict(lengths=[100, 100]), "sum to the number of samples"),
    (dict(lengths=[0, 600]), "at least one sample"),
    (dict(lengths=[300.5, 299.5]), "whole numbers"),
    (dict(lengths=[300, 300], sequence_ids=np.zeros(600)), "either lengths or sequence_ids"),
    (dict(sequence_ids=np.zeros(5)), "one label per row"),
])
def test_bad_sequences(kwargs, match):
    X = _poisson_data()[0]
    with pytest.raises(ValueError, match=match):
        HiddenMarkovModel(PoissonMLE(), 2).fit(X, **kwargs)


def test_bad_data():
    X = _poisson_data()[0]
    Xn = X.copy()
    Xn[3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        HiddenMarkovModel(PoissonMLE(), 2).fit(Xn)
    Xneg = X.copy()
    Xneg[3, 0] = -1
    with pytest.raises(ValueError, match="non-negative|negative"):
        HiddenMarkovModel(PoissonMLE(), 2).fit(Xneg)
    model = _quiet_fit(HiddenMarkovModel(PoissonMLE(), 2, max_iter=3, random_state=0), X)
    with pytest.raises(ValueError, match="non-negative|negative"):
        model.score(Xneg)
    with pytest.raises(ValueError, match="n_samples >= n_components"):
        HiddenMarkovModel(PoissonMLE(), 3).fit(X[:2])
    with pytest.raises(ValueError, match="every row must sum to 1"):
        HiddenMarkovModel(PoissonMLE(), 2, transmat_init=[[0.5, 0.6], [0.5, 0.5]]).fit(X)
    with pytest.raises(ValueError, match="alpha must be >= 1"):
        HiddenMarkovModel(PoissonMLE(), 2, prior=Dirichlet(0.5)).fit(X)
    with pytest.raises(ValueError, match="distribution estimator"):
        HiddenMarkovModel(emission=hmm.GaussianHMM()).fit(X)


def test_all_states_dead_is_an_error():
    # a transition matrix that forbids state 1 after state 0, data only state 1 emits
    X = np.array([[0.0], [0.0], [1.0], [1.0]])
    model = HiddenMarkovModel(CategoricalMLE(), 2, startprob_init=[1.0, 0.0],
                              transmat_init=[[1.0, 0.0], [0.0, 1.0]],
                              emissions_init=[{"probabilities": [np.array([1.0, 0.0])]},
                                              {"probabilities": [np.array([0.0, 1.0])]}])
    with pytest.raises(ValueError, match="all states dead"):
        model.fit(X)


def test_never_entered_state_keeps_valid_row():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 1))
    init = [{"mean": np.array([0.0]), "covariance": np.array([1.0])},
            {"mean": np.array([1e4]), "covariance": np.array([1.0])}]
    model = HiddenMarkovModel(GaussianMLE(covariance_type="diag"), 2, emissions_init=init,
                              max_iter=5)
    with pytest.warns(ComponentCollapseWarning, match="never entered"):
        model.fit(X)
    assert np.all(np.isfinite(model.transmat_))
    np.testing.assert_allclose(model.transmat_.sum(axis=1), 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prior_model = HiddenMarkovModel(GaussianMLE(covariance_type="diag"), 2,
                                        emissions_init=init, max_iter=5,
                                        prior=Dirichlet(2.0)).fit(X)
    assert np.all(prior_model.transmat_ > 0)


def test_converged_is_honest():
    X = _poisson_data()[0]
    with pytest.warns(Warning, match="did not converge"):
        m = HiddenMarkovModel(PoissonMLE(), 3, max_iter=2, random_state=0).fit(X)
    assert not m.converged_ and m.n_iter_ == 2 and len(m.lower_bounds_) == 2
    m = _quiet_fit(HiddenMarkovModel(PoissonMLE(), 3, max_iter=500, tol=1e-6,
                                     random_state=0), X)
    assert m.converged_ and m.n_iter_ < 500


def test_map_prior_objective_and_pseudo_counts():
    X, _, emission, init = _poisson_data()
    prior = {"startprob": Dirichlet(3.0), "transmat": Dirichlet([2.0, 3.0, 4.0])}
    m = _quiet_fit(HiddenMarkovModel(emission, 3, prior=prior, startprob_init=SP0,
                                     transmat_init=A0, emissions_init=init, max_iter=1,
                                     tol=0), X, lengths=LENGTHS)
    # one M-step by hand from the E-step at the starting values (numpy reference path)
    lp = np.column_stack([np.sum(np.log(_poisson_pmf(X, p["rate"])), axis=1) for p in init])
    shift = lp.max(axis=1)
    bounds = np.r_[0, np.cumsum(LENGTHS)]
    _, gamma, xi, _ = fb.forward_backward(np.exp(lp - shift[:, None]), shift, bounds, SP0,
                                          A0)
    start = gamma[bounds[:-1]].sum(axis=0) + 2.0
    np.testing.assert_allclose(m.startprob_, start / start.sum(), rtol=1e-10)
    counts = xi + np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(m.transmat_, counts / counts.sum(axis=1, keepdims=True),
                               rtol=1e-10)


def _poisson_pmf(X, rate):
    from scipy import stats
    return stats.poisson.pmf(X, rate)


def test_sample():
    X, _, emission, init = _poisson_data()
    m = _quiet_fit(HiddenMarkovModel(emission, 3, random_state=0, max_iter=20), X)
    Xs, z = m.sample(20000, random_state=1)
    assert Xs.shape == (20000, 2) and z.shape == (20000,)
    # empirical transition frequencies and per-state means
    trans = np.zeros((3, 3))
    np.add.at(trans, (z[:-1], z[1:]), 1)
    np.testing.assert_allclose(trans / trans.sum(axis=1, keepdims=True), m.transmat_,
                               atol=0.02)
    for j in range(3):
        np.testing.assert_allclose(Xs[z == j].mean(axis=0), m._params[j]["rate"], rtol=0.05)
    Xs2, z2 = m.sample(20000, random_state=1)
    np.testing.assert_array_equal(z, z2)
    if _estep.NATIVE:  # the compiled chain equals the Python loop on the same uniforms
        a = _estep.sample_states(m.startprob_, m.transmat_, 500, np.random.RandomState(3))
        b = _estep.sample_states(m.startprob_, m.transmat_, 500, np.random.RandomState(3),
                                 use_native=False)
        np.testing.assert_array_equal(a, b)


def test_aic_bic_and_n_params():
    X, _, emission, init = _poisson_data()
    m = _quiet_fit(HiddenMarkovModel(emission, 3, random_state=0, max_iter=20), X,
                   lengths=LENGTHS)
    assert m.n_params_ == 2 + 6 + 3 * 2
    ll = m.log_likelihood(X, lengths=LENGTHS).sum()
    np.testing.assert_allclose(m.bic(X, lengths=LENGTHS), -2 * ll + np.log(600) * 14)
    np.testing.assert_allclose(m.aic(X, lengths=LENGTHS), -2 * ll + 28)


@pytest.mark.parametrize("lengths", [[700, 650, 800, 720], [5, 3000, 7, 1], [1000],
                                     [8 + i % 5 for i in range(300)]],
                         ids=["padded", "ragged", "one", "padded-many"])
def test_numpy_layouts_equal_direct_recursion(lengths):
    """Both NumPy layouts (padded for similar lengths, ragged otherwise) against a
    direct log-space recursion, per sequence."""
    from scipy.special import logsumexp

    rng = np.random.default_rng(1)
    k = 3
    bounds = np.r_[0, np.cumsum(lengths)].astype(np.int64)
    lp = rng.normal(scale=5, size=(bounds[-1], k))
    pi = rng.dirichlet(np.ones(k))
    A = rng.dirichlet(np.ones(k), size=k)
    w = rng.random(len(lengths)) + 0.5
    ll, gamma, xi, dead, _ = _estep.run_forward_backward(lp, bounds, pi, A, w,
                                                         use_native=False)
    assert not dead
    xi_ref = np.zeros((k, k))
    for s, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        la = np.empty((b - a, k))
        la[0] = np.log(pi) + lp[a]
        for t in range(1, b - a):
            la[t] = logsumexp(la[t - 1][:, None] + np.log(A), axis=0) + lp[a + t]
        lb = np.zeros((b - a, k))
        for t in range(b - a - 2, -1, -1):
            lb[t] = logsumexp(np.log(A) + lp[a + t + 1] + lb[t + 1], axis=1)
        total = logsumexp(la[-1])
        np.testing.assert_allclose(ll[s], total, rtol=1e-12)
        np.testing.assert_allclose(gamma[a:b], np.exp(la + lb - total), atol=1e-10)
        for t in range(1, b - a):
            xi_ref += w[s] * np.exp(la[t - 1][:, None] + np.log(A) + lp[a + t]
                                    + lb[t] - total)
    np.testing.assert_allclose(xi, xi_ref, rtol=1e-9)
    fl = _estep.run_forward(lp, bounds, pi, A, use_native=False)[0]
    np.testing.assert_allclose(fl, ll, rtol=1e-13)


def test_threads_over_sequence_blocks_equal_one_thread():
    rng = np.random.default_rng(7)
    lengths = rng.integers(500, 1500, size=40)
    bounds = np.r_[0, np.cumsum(lengths)].astype(np.int64)
    assert len(_estep._sequence_blocks(bounds, 2)) > 1 or _estep.effective_threads(2) == 1
    lp = rng.normal(scale=3, size=(bounds[-1], 5))
    pi = rng.dirichlet(np.ones(5))
    A = rng.dirichlet(np.ones(5), size=5)
    one = _estep.run_forward_backward(lp, bounds, pi, A, n_jobs=1)
    two = _estep.run_forward_backward(lp, bounds, pi, A, n_jobs=2)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])
    np.testing.assert_allclose(one[2], two[2], rtol=1e-13)
    np.testing.assert_array_equal(_estep.run_viterbi(lp, bounds, pi, A, n_jobs=1)[1],
                                  _estep.run_viterbi(lp, bounds, pi, A, n_jobs=2)[1])


@pytest.mark.parametrize("emission", [CategoricalMLE(), PoissonMLE()],
                         ids=["categorical", "poisson"])
def test_distinct_rows_path_matches_hmmlearn(emission):
    """Discrete data with few distinct values (scored once per value): the same fit
    as hmmlearn's from the same start, and as the row-by-row path."""
    rng = np.random.default_rng(8)
    n = 6000
    z = (np.arange(n) // 300) % 3
    X = rng.poisson(np.array([1.0, 4.0, 9.0])[z])[:, None].astype(float)
    lengths = [2000, 2500, 1500]
    if isinstance(emission, CategoricalMLE):
        m = int(X.max()) + 1
        X[:m, 0] = np.arange(m)  # every symbol present
        e0 = rng.dirichlet(np.ones(m), size=3)
        init = [{"probabilities": [e0[j]]} for j in range(3)]
        ref = hmm.CategoricalHMM(3, init_params="", params="ste", n_iter=6, tol=-np.inf,
                                 implementation="scaling")
        ref.emissionprob_ = e0
    else:
        l0 = np.array([[2.0], [5.0], [7.0]])
        init = [{"rate": l0[j]} for j in range(3)]
        ref = hmm.PoissonHMM(3, init_params="", params="stl", n_iter=6, tol=-np.inf,
                             implementation="scaling")
        ref.lambdas_ = l0
    ref.startprob_, ref.transmat_ = SP0, A0
    ref.fit(X.astype(int), lengths)
    kw = dict(startprob_init=SP0, transmat_init=A0, emissions_init=init, max_iter=6, tol=0)
    model = _quiet_fit(HiddenMarkovModel(emission, 3, **kw), X, lengths=lengths)
    assert _estep.distinct_rows(model._emission, X) is not None
    # hmmlearn's history: before each of its 6 M-steps; ours: after each
    np.testing.assert_allclose(model.lower_bounds_[:5] * n,
                               np.array(ref.monitor_.history)[1:], rtol=1e-10)
    np.testing.assert_allclose(model.transmat_, ref.transmat_, rtol=1e-8)
