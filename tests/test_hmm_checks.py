"""HiddenMarkovModel: scikit-learn's estimator checks, metadata routing of the
sequences through cross-validation, and standard errors against a numerical Hessian
of hmmlearn's log-likelihood."""

import warnings

import numpy as np
import pytest
import sklearn
from hmmlearn import hmm
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_mle.distributions import CategoricalMLE, GaussianMLE, PoissonMLE
from sklearn_mle.hmm import HiddenMarkovModel
from sklearn_mle.priors import Dirichlet

from ._numerics import central_hessian


def _xfail(estimator):
    return dict(type(estimator)._sklearn_xfail_checks)


@parametrize_with_checks(HiddenMarkovModel._check_instances(),
                         expected_failed_checks=_xfail)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _sequences(n_seq=10, seed=0):
    rng = np.random.default_rng(seed)
    parts, ids = [], []
    for s in range(n_seq):
        n = int(rng.integers(40, 80))
        z = (np.arange(n) // 10) % 2
        parts.append(rng.poisson(np.where(z == 0, 2.0, 10.0))[:, None].astype(float))
        ids.append(np.full(n, s))
    return np.concatenate(parts), np.concatenate(ids)


def test_cross_validation_with_sequence_ids():
    X, ids = _sequences()
    with sklearn.config_context(enable_metadata_routing=True):
        model = HiddenMarkovModel(PoissonMLE(), 2, random_state=0, max_iter=20)
        model.set_fit_request(sequence_ids=True).set_score_request(sequence_ids=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = cross_val_score(model, X, cv=GroupKFold(3),
                                     params={"sequence_ids": ids, "groups": ids})
    # the reference: the same folds fitted and scored by hand, sequences by lengths
    expected = []
    for train, test in GroupKFold(3).split(X, groups=ids):
        lens_tr = np.unique(ids[train], return_counts=True)[1]
        lens_te = np.unique(ids[test], return_counts=True)[1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = HiddenMarkovModel(PoissonMLE(), 2, random_state=0, max_iter=20).fit(
                X[train], lengths=lens_tr)
        expected.append(m.score(X[test], lengths=lens_te))
    np.testing.assert_allclose(scores, expected, rtol=1e-12)


def test_grid_search_number_of_states():
    X, ids = _sequences(n_seq=6)
    with sklearn.config_context(enable_metadata_routing=True):
        model = HiddenMarkovModel(PoissonMLE(), random_state=0, max_iter=20)
        model.set_fit_request(sequence_ids=True).set_score_request(sequence_ids=True)
        search = GridSearchCV(model, {"n_components": [1, 2]}, cv=GroupKFold(3))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search.fit(X, groups=ids, sequence_ids=ids)
    assert search.best_params_["n_components"] == 2


def _hmmlearn_loglik(X, lengths, k, d):
    """The log-likelihood as hmmlearn computes it, at the flat free parameters of a
    Gaussian (diagonal) HMM in our ``param_names_`` order."""
    def f(theta):
        ref = hmm.GaussianHMM(k, "diag", init_params="", implementation="log")
        sp = np.r_[theta[:k - 1], 1 - theta[:k - 1].sum()]
        tm = theta[k - 1:k - 1 + k * (k - 1)].reshape(k, k - 1)
        tm = np.column_stack([tm, 1 - tm.sum(axis=1)])
        rest = theta[k - 1 + k * (k - 1):].reshape(k, 2, d)
        ref.startprob_, ref.transmat_ = sp, tm
        ref.means_, ref.covars_ = rest[:, 0], rest[:, 1]
        return ref.score(X, lengths)
    return f


def test_standard_errors_match_numerical_hessian():
    rng = np.random.default_rng(2)
    lengths = [120, 80, 100]
    # sequences start in both states, so the start probabilities are inside (0, 1)
    z = np.concatenate([((np.arange(n) + off) // 15) % 2
                        for n, off in zip(lengths, [0, 15, 0])])
    X = rng.normal(np.where(z[:, None] == 0, [0.0, 1.0], [2.0, -1.0]), [1.0, 0.7])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = HiddenMarkovModel(GaussianMLE(covariance_type="diag"), 2, random_state=0,
                              max_iter=500, tol=1e-10,
                              startprob_init=[0.5, 0.5]).fit(X, lengths=lengths)
    assert m.param_names_[:3] == ["startprob[0]", "transmat[0,0]", "transmat[1,0]"]
    assert m.param_names_[3:7] == ["state0.mean[x0]", "state0.mean[x1]",
                                   "state0.covariance[x0]", "state0.covariance[x1]"]
    est = m.estimates_
    H = central_hessian(_hmmlearn_loglik(X, lengths, 2, 2), est, 1e-4 * np.maximum(
        np.abs(est), 0.1))
    cov = np.linalg.inv(-H)
    np.testing.assert_allclose(m.bse_, np.sqrt(np.diag(cov)), rtol=1e-3)
    ci = m.conf_int()
    assert np.all(ci[:3, 0] >= 0) and np.all(ci[:3, 1] <= 1)
    text = str(m.summary())
    assert "state1.covariance[x1]" in text


def test_standard_errors_categorical_and_prior():
    rng = np.random.default_rng(3)
    z = (np.arange(400) // 20) % 2
    X = np.where(z == 0, rng.choice(3, 400, p=[0.7, 0.2, 0.1]),
                 rng.choice(3, 400, p=[0.1, 0.3, 0.6]))[:, None].astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        init = [{"probabilities": [np.array([0.5, 0.3, 0.2])]},
                {"probabilities": [np.array([0.2, 0.3, 0.5])]}]
        m = HiddenMarkovModel(CategoricalMLE(prior=Dirichlet(1.5)), 2, max_iter=300,
                              tol=1e-10, emissions_init=init,
                              prior=Dirichlet(2.0)).fit(X, lengths=[200, 200])
    assert m.param_names_[3:5] == ["state0.p[0]", "state0.p[1]"]

    def f(theta):
        sp = np.r_[theta[0], 1 - theta[0]]
        tm = np.array([[theta[1], 1 - theta[1]], [theta[2], 1 - theta[2]]])
        e = theta[3:].reshape(2, 2)
        e = np.column_stack([e, 1 - e.sum(axis=1)])
        ref = hmm.CategoricalHMM(2, init_params="")
        ref.startprob_, ref.transmat_, ref.emissionprob_ = sp, tm, e
        prior = Dirichlet(2.0)
        return (ref.score(X.astype(int), [200, 200]) + prior.logpdf(sp)
                + sum(prior.logpdf(r) for r in tm)
                + sum(Dirichlet(1.5).logpdf(r) for r in e))

    est = m.estimates_
    H = central_hessian(f, est, 1e-5)
    np.testing.assert_allclose(m.bse_, np.sqrt(np.diag(np.linalg.inv(-H))), rtol=1e-3)


def test_standard_errors_full_covariance_finite():
    rng = np.random.default_rng(4)
    z = (np.arange(300) // 25) % 2
    X = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], 300) + 3 * z[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = HiddenMarkovModel(GaussianMLE(covariance_type="full"), 2, random_state=0,
                              max_iter=200, startprob_init=[0.5, 0.5],
                              prior=Dirichlet(1.5)).fit(X)
    names = m.param_names_
    assert "state0.covariance[x1,x0]" in names
    assert np.all(np.isfinite(m.bse_)) and np.all(m.bse_ > 0)


def test_pickle_without_training_data():
    import pickle

    X, ids = _sequences(n_seq=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = HiddenMarkovModel(PoissonMLE(), 2, random_state=0, max_iter=10).fit(
            X, sequence_ids=ids)
    m2 = pickle.loads(pickle.dumps(m))
    np.testing.assert_allclose(m2.score(X, sequence_ids=ids), m.score(X, sequence_ids=ids))
    with pytest.raises(AttributeError, match="pickled"):
        m2.bse_


def test_user_guide_page_runs():
    import doctest
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "topics" / "hmm.rst"
    result = doctest.testfile(str(page), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 20
    assert result.failed == 0


def test_gridsearch_ic_selects_states_by_bic_with_lengths():
    from sklearn_mle.model_selection import GridSearchIC

    X, ids = _sequences(n_seq=6)
    lengths = np.unique(ids, return_counts=True)[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = GridSearchIC(HiddenMarkovModel(PoissonMLE(), random_state=0, max_iter=50),
                              {"n_components": [1, 2, 3]}).fit(X, lengths=lengths)
        manual = [HiddenMarkovModel(PoissonMLE(), k, random_state=0, max_iter=50).fit(
            X, lengths=lengths).bic(X, lengths=lengths) for k in (1, 2, 3)]
    np.testing.assert_allclose(search.results_["bic"], manual, rtol=1e-12)
    assert search.best_params_["n_components"] == int(np.argmin(manual)) + 1 == 2


def test_standard_errors_refused_beyond_budget(monkeypatch):
    from sklearn_mle.exceptions import InferenceWarning
    from sklearn_mle.hmm import _inference

    X, ids = _sequences(n_seq=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = HiddenMarkovModel(PoissonMLE(), 2, random_state=0, max_iter=10).fit(
            X, sequence_ids=ids)
    monkeypatch.setattr(_inference, "_MAX_ROW_EVALUATIONS", 100)
    with pytest.warns(InferenceWarning, match="not computed"):
        se = m.bse_
    assert np.all(np.isinf(se)) and len(m.param_names_) == 5


# ------------------------------------------------------- text symbols (Categorical)
def _symbol_data(n_seq=3, length=80, seed=0):
    rng = np.random.default_rng(seed)
    P = np.array([[0.6, 0.3, 0.1, 0.0], [0.05, 0.15, 0.3, 0.5]])
    codes, lengths = [], []
    for _ in range(n_seq):
        z = np.repeat(rng.integers(0, 2, size=length // 20), 20)
        codes.append([rng.choice(4, p=P[s]) for s in z])
        lengths.append(len(z))
    codes = np.concatenate(codes)
    return codes, np.array(["dog", "cat", "emu", "yak"], dtype=object), lengths


@pytest.mark.parametrize("n_seq, length", [(3, 80), (5, 1000)], ids=["small", "distinct-path"])
def test_text_symbols_equal_their_sorted_codes(n_seq, length):
    # CategoricalMLE takes text without encoding; so does the HMM: fitting the symbols
    # equals fitting their positions among the sorted symbols (same start, same EM),
    # and predict/score/proba/sample map through the same categories
    codes, names, lengths = _symbol_data(n_seq, length)
    order = np.argsort(names)                      # sorted symbols: cat, dog, emu, yak
    rank = np.empty(4, dtype=int)
    rank[order] = np.arange(4)
    X_text = names[codes][:, None]
    X_code = rank[codes][:, None].astype(float)
    kw = dict(n_components=2, random_state=0, max_iter=30, tol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = HiddenMarkovModel(CategoricalMLE(), **kw).fit(X_text, lengths=lengths)
        b = HiddenMarkovModel(CategoricalMLE(), **kw).fit(X_code, lengths=lengths)
        np.testing.assert_allclose(a.lower_bounds_, b.lower_bounds_, rtol=1e-12)
        np.testing.assert_allclose(a.startprob_, b.startprob_, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(a.transmat_, b.transmat_, rtol=1e-10)
        for ea, eb in zip(a.emissions_, b.emissions_):
            assert ea.categories_[0].tolist() == sorted(names.tolist())
            np.testing.assert_allclose(ea.probabilities_[0], eb.probabilities_[0],
                                       rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(a.score(X_text, lengths=lengths),
                                   b.score(X_code, lengths=lengths), rtol=1e-12)
        np.testing.assert_array_equal(a.predict(X_text, lengths=lengths),
                                      b.predict(X_code, lengths=lengths))
        np.testing.assert_allclose(a.predict_proba(X_text, lengths=lengths),
                                   b.predict_proba(X_code, lengths=lengths), atol=1e-12)
        np.testing.assert_allclose(a.bse_, b.bse_, rtol=1e-6)
    Xs, zs = a.sample(200, random_state=3)
    Xc, zc = b.sample(200, random_state=3)
    assert Xs.dtype == object
    np.testing.assert_array_equal(zs, zc)
    np.testing.assert_array_equal(Xs[:, 0], names[order][Xc[:, 0].astype(int)])
    # plain str arrays and lists are text too
    np.testing.assert_array_equal(a.predict(X_text.astype(str), lengths=lengths),
                                  a.predict(X_text.tolist(), lengths=lengths))


def test_text_symbols_bad_input():
    codes, names, lengths = _symbol_data()
    X = names[codes][:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = HiddenMarkovModel(CategoricalMLE(), 2, random_state=0).fit(X, lengths=lengths)
    with pytest.raises(ValueError, match="'ant'.*not one of the column's categories"):
        m.predict(np.array([["dog"], ["ant"]], dtype=object))
    with pytest.raises(ValueError, match="column 0 has a missing or infinite value"):
        m.predict(np.array([["dog"], [None]], dtype=object))
    with pytest.raises(ValueError, match="mixes numbers and text"):
        m.predict(np.array([["dog"], [1.0]], dtype=object))
    with pytest.raises(TypeError, match="has a dict at row 1"):
        m.predict(np.array([["dog"], [{}]], dtype=object))
    with pytest.raises(ValueError, match="text symbols need a CategoricalMLE"):
        HiddenMarkovModel(GaussianMLE(), 2).fit(X)


# ---------------------------------------- hmmlearn's M-step flaws under emission priors
@pytest.mark.parametrize("kind", ["poisson-gamma", "diag-nig"])
def test_state_map_is_the_standalone_map_of_its_own_posteriors(kind):
    """Each state's M-step under an emission prior is the standalone estimator's MAP on
    the rows weighted by that state's posteriors: the Poisson rate uses the state's own
    counts (hmmlearn's PoissonHMM uses the total over all states), and a Gaussian
    state's variances their own pseudo-observations. (hmmlearn's other prior flaw, its
    full-covariance prior added to every entry, cannot arise: GaussianMLE takes priors
    on diagonal and spherical covariances only.)"""
    from sklearn_mle.priors import Gamma, NormalInverseGamma

    rng = np.random.default_rng(8)
    z = (np.arange(400) // 25) % 2
    if kind == "poisson-gamma":
        X = rng.poisson(np.where(z == 0, 2.0, 7.0))[:, None].astype(float)
        proto = PoissonMLE(prior=Gamma(3.0, 2.0))
        init = [{"rate": np.array([1.5])}, {"rate": np.array([6.0])}]
    else:
        X = rng.normal(size=(400, 2)) * [1.0, 0.5] + 2.5 * z[:, None]
        proto = GaussianMLE(covariance_type="diag",
                            prior=NormalInverseGamma(mu=[1.0, 1.0], kappa=0.5, alpha=3.0,
                                                     beta=[0.5, 0.2]))
        init = [{"mean": np.zeros(2), "covariance": np.ones(2)},
                {"mean": np.full(2, 2.0), "covariance": np.ones(2)}]
    kw = dict(emissions_init=init, startprob_init=[0.5, 0.5],
              transmat_init=[[0.9, 0.1], [0.1, 0.9]], tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = HiddenMarkovModel(proto, 2, max_iter=0, **kw).fit(X, lengths=[200, 200])
        gamma = start.predict_proba(X, lengths=[200, 200])
        one = HiddenMarkovModel(proto, 2, max_iter=1, **kw).fit(X, lengths=[200, 200])
        for j in range(2):
            ref = sklearn.base.clone(proto).fit(X, sample_weight=gamma[:, j])
            for name, value in ref.params_.items():
                np.testing.assert_allclose(one.emissions_[j].params_[name], value,
                                           rtol=1e-9)
