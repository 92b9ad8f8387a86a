"""HiddenMarkovModel inference near the boundary and its bootstrap: standard errors of a
single sequence with a transition never taken (against hmmlearn's log-likelihood
differentiated here and the closed-form Poisson rate error), and a bootstrap that keeps
the chain (whole sequences, or simulation from the fit for one sequence)."""

import warnings

import numpy as np
import pytest
from hmmlearn import hmm

from sklearn_mle.distributions import BernoulliMLE, CategoricalMLE, PoissonMLE
from sklearn_mle.exceptions import InferenceWarning
from sklearn_mle.hmm import HiddenMarkovModel
from sklearn_mle.inference._bootstrap import resample_sequences

from ._numerics import central_hessian


def _one_switch(rates=(2.0, 9.0), n=150, seed=0):
    rng = np.random.default_rng(seed)
    return np.r_[rng.poisson(rates[0], (n, 1)), rng.poisson(rates[1], (n, 1))]


def _fit(X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return HiddenMarkovModel(PoissonMLE(), n_components=2, random_state=0,
                                 **kw).fit(X)


def _poisson_loglik(X, m):
    """hmmlearn's log-likelihood at (transmat[1,0], rate0, rate1), the other parameters
    held at ``m``'s estimates."""
    def f(theta):
        ref = hmm.PoissonHMM(2, init_params="", implementation="log")
        ref.startprob_ = m.startprob_
        tm = m.transmat_.copy()
        tm[1] = [theta[0], 1 - theta[0]]
        ref.transmat_ = tm
        ref.lambdas_ = np.asarray(theta[1:])[:, None]
        return ref.score(X.astype(int))
    return f


def test_one_sequence_one_switch_has_finite_rate_errors():
    X = _one_switch()
    m = _fit(X, tol=1e-10, max_iter=2000)
    assert m.param_names_ == ["startprob[0]", "transmat[0,0]", "transmat[1,0]",
                              "state0.rate", "state1.rate"]
    with pytest.warns(InferenceWarning, match="startprob.*transmat\\[0,0\\]"):
        se = m.bse_
    # the start state of one sequence and the transition never taken are held
    assert np.isinf(se[:2]).all()
    assert np.all(np.isfinite(se[2:])) and np.all(se[2:] > 0)
    # the free block: the inverse of an independent Hessian (hmmlearn's forward
    # algorithm, differenced here in the reported parameters) with the others held
    est = m.estimates_[2:]
    H = central_hessian(_poisson_loglik(X, m), est, 1e-4 * est)
    cov = np.linalg.inv(-H)
    np.testing.assert_allclose(se[2:], np.sqrt(np.diag(cov)), rtol=1e-4)
    sd = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(m.cov_params_[2:, 2:] / np.outer(se[2:], se[2:]),
                               cov / np.outer(sd, sd), atol=1e-5)
    ci = m.conf_int()
    assert np.all(np.isfinite(ci)) and np.all(ci[:, 0] >= 0) and np.all(ci[:3, 1] <= 1)
    assert np.all((ci[3:, 0] > 1.0) & (ci[3:, 1] < 10.0))


def test_held_parameters_do_not_depend_on_the_weights_scale():
    X = _one_switch()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = HiddenMarkovModel(PoissonMLE(), 2, random_state=0).fit(X)
        b = HiddenMarkovModel(PoissonMLE(), 2, random_state=0).fit(X, sample_weight=[1e-3])
        se_a, se_b = a.bse_, b.bse_
    np.testing.assert_array_equal(np.isinf(se_a), np.isinf(se_b))
    finite = np.isfinite(se_a)
    np.testing.assert_allclose(se_b[finite], se_a[finite] * np.sqrt(1e3), rtol=2e-3)


def test_rate_errors_equal_closed_form_on_separated_states():
    X = _one_switch(rates=(2.0, 40.0), n=200, seed=1)
    m = _fit(X, tol=1e-10, max_iter=2000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        se = m.bse_
    occupancy = m.predict_proba(X).sum(axis=0)
    rates = np.array([e.rate_[0] for e in m.emissions_])
    # well separated: the observed information is the complete-data one, n_j / rate_j
    np.testing.assert_allclose(se[3:], np.sqrt(rates / occupancy), rtol=2e-3)


def test_unconstrained_errors_equal_constrained_inside():
    """Away from the boundary the delta-method errors equal the inverse Hessian in the
    reported parameters (reparametrisation invariance at the optimum)."""
    rng = np.random.default_rng(5)
    lengths = [150, 150, 150]
    z = np.concatenate([((np.arange(n) + o) // 10) % 2 for n, o in zip(lengths, [0, 10, 5])])
    X = np.where(z == 0, rng.choice(3, z.size, p=[0.6, 0.3, 0.1]),
                 rng.choice(3, z.size, p=[0.1, 0.3, 0.6]))[:, None]
    init = [{"probabilities": [np.array([0.5, 0.3, 0.2])]},
            {"probabilities": [np.array([0.2, 0.3, 0.5])]}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = HiddenMarkovModel(CategoricalMLE(), 2, emissions_init=init,
                              startprob_init=[0.5, 0.5], tol=1e-12,
                              max_iter=3000).fit(X, lengths=lengths)

    def f(theta):
        ref = hmm.CategoricalHMM(2, init_params="", implementation="log")
        ref.startprob_ = np.r_[theta[0], 1 - theta[0]]
        ref.transmat_ = np.array([[theta[1], 1 - theta[1]], [theta[2], 1 - theta[2]]])
        e = theta[3:].reshape(2, 2)
        ref.emissionprob_ = np.column_stack([e, 1 - e.sum(axis=1)])
        return ref.score(X, lengths)

    est = m.estimates_
    H = central_hessian(f, est, 1e-5 * np.minimum(est, 1 - est))
    np.testing.assert_allclose(m.bse_, np.sqrt(np.diag(np.linalg.inv(-H))), rtol=2e-3)


def test_emission_probability_never_seen_is_held_alone():
    rng = np.random.default_rng(2)
    z = (np.arange(400) // 20) % 2
    X = rng.binomial(1, np.where(z[:, None] == 0, [0.1, 0.0], [0.8, 0.5]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = HiddenMarkovModel(BernoulliMLE(), 2, random_state=0).fit(X, lengths=[200, 200])
    with pytest.warns(InferenceWarning, match="state.\\.p\\[x1\\]: emission probabilities"):
        se = m.bse_
    held = [n for n, s in zip(m.param_names_, se) if np.isinf(s)]
    on_edge = [n for n, e in zip(m.param_names_, m.estimates_) if n.endswith("p[x1]")
               and e < 1e-3]
    assert held == ["startprob[0]"] + on_edge and len(on_edge) == 1
    assert np.all(se[np.isfinite(se)] > 0) and not np.any(np.isnan(m.cov_params_))


# ------------------------------------------------------------------- bootstrap
_T = np.array([[0.95, 0.05], [0.1, 0.9]])
_RATES = np.array([2.0, 10.0])


def _chain(n, rng):
    z = np.zeros(n, dtype=int)
    u = rng.random(n)
    for t in range(1, n):
        z[t] = z[t - 1] if u[t] < _T[z[t - 1], z[t - 1]] else 1 - z[t - 1]
    return rng.poisson(_RATES[z])[:, None]


def test_bootstrap_of_one_sequence_simulates_from_the_fit():
    X = _chain(400, np.random.default_rng(3))
    m = _fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reps = m.bootstrap_replicates(40, X=X, random_state=0)
        same = m.bootstrap_replicates(5, X=X, random_state=0, parametric=True)
        wald = m.conf_int()
    np.testing.assert_array_equal(reps[:5], same)  # one sequence: parametric
    ci = np.quantile(reps, [0.025, 0.975], axis=0).T  # conf_int's percentile interval
    free = slice(1, 5)  # transmat[0,0], transmat[1,0] and the rates
    truth = np.r_[_T[0, 0], _T[1, 0], _RATES]
    assert np.all((ci[free, 0] <= truth) & (truth <= ci[free, 1]))
    ratio = np.diff(ci[free]).ravel() / np.diff(wald[free]).ravel()
    assert np.all((ratio > 0.5) & (ratio < 2.0)), ratio


def test_bootstrap_keeps_a_transition_never_taken():
    """Rows resampled i.i.d. put transmat[0,0] of the one-switch sequence (0.99999) in
    [0.39, 0.60]; simulated chains keep it near 1."""
    X = _one_switch()
    m = _fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reps = m.bootstrap_replicates(12, X=X, random_state=0)
    assert np.median(reps[:, 1]) > 0.999 and np.median(reps[:, 2]) < 0.05


def test_bootstrap_of_sequences_draws_whole_ones_with_their_weights():
    rng = np.random.default_rng(4)
    lengths = [80] * 6
    X = np.concatenate([_chain(n, rng) for n in lengths])
    ids = np.repeat(np.arange(6), 80)
    w = np.array([1.0, 2.0, 1.0, 3.0, 1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = HiddenMarkovModel(PoissonMLE(), 2, random_state=0).fit(
            X, lengths=lengths, sample_weight=w)
        a = m.bootstrap_replicates(6, X=X, lengths=lengths, sample_weight=w, random_state=1)
        b = m.bootstrap_replicates(6, X=X, sequence_ids=ids, sample_weight=np.repeat(w, 80),
                                   random_state=1)
        # the replicate of the first draw, refitted by hand on its whole sequences
        seed = np.random.default_rng(1).integers(0, 2**32 - 1, size=6)[0]
        idx, lens = resample_sequences(lengths, np.random.default_rng(seed))
        ref = HiddenMarkovModel(PoissonMLE(), 2, random_state=0).fit(
            X[idx], lengths=lens, sample_weight=np.repeat(w, 80)[idx])
    np.testing.assert_allclose(a, b, rtol=1e-12)
    rate = [3, 4]
    np.testing.assert_allclose(np.sort(a[0, rate]), np.sort(ref.estimates_[rate]),
                               rtol=1e-10)


def test_bca_of_one_sequence_jackknifes_blocks():
    X = _chain(300, np.random.default_rng(6))
    m = _fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ci = m.conf_int(method="bootstrap", X=X, n_boot=30, kind="bca", random_state=0)
    est = m.estimates_
    assert np.all((ci[1:, 0] <= est[1:]) & (est[1:] <= ci[1:, 1]))
