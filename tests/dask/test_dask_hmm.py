"""HiddenMarkovModel on Dask: the same trace, estimates, standard errors, posteriors
and paths as in memory, one reduction per EM iteration, lazy decoding.

Reference: the in-memory fit of the same model from the same initial parameters
(itself tested against hmmlearn and by numerical Hessians in tests/test_hmm*.py).
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from sklearn_mle._engine import dask as dask_engine  # noqa: E402
from sklearn_mle.distributions import CategoricalMLE, GaussianMLE, PoissonMLE  # noqa: E402
from sklearn_mle.hmm import HiddenMarkovModel, sequence_chunks  # noqa: E402
from sklearn_mle.hmm import _dask as hmm_dask  # noqa: E402

RTOL = 1e-10


def _data(kind, seed=0, n_seq=9):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(40, 160, size=n_seq)
    n = int(lengths.sum())
    z = np.repeat(rng.integers(0, 2, size=n // 20 + 1), 20)[:n]
    if kind == "poisson":
        X = rng.poisson(np.where(z == 0, 2.0, 9.0))[:, None].astype(float)
    elif kind == "categorical":
        P = np.array([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
        X = (P[z].cumsum(axis=1) > rng.random(n)[:, None]).argmax(axis=1)[:, None]
        X = X.astype(float)
    else:
        X = rng.normal(size=(n, 2)) @ np.array([[1.0, 0.4], [0.0, 0.8]])
        X += np.where(z == 0, 0.0, 3.0)[:, None]
    return X, lengths


EMISSIONS = {"poisson": PoissonMLE, "categorical": CategoricalMLE,
             "gauss_full": lambda: GaussianMLE(covariance_type="full"),
             "gauss_diag": lambda: GaussianMLE(covariance_type="diag")}


def _fit(X, lengths, kind, **kw):
    params = dict(n_components=2, random_state=0, max_iter=40, tol=1e-9)
    params.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return HiddenMarkovModel(EMISSIONS[kind](), **params).fit(X, lengths=lengths)


def _chunked(X, lengths, rows=250):
    return da.from_array(X, chunks=(sequence_chunks(lengths, rows), -1))


def _assert_same_fit(ref, got):
    assert got.n_iter_ == ref.n_iter_ and got.converged_ == ref.converged_
    assert_allclose(got.lower_bounds_, ref.lower_bounds_, rtol=RTOL)
    assert_allclose(got.loglik_, ref.loglik_, rtol=RTOL)
    assert_allclose(got.startprob_, ref.startprob_, rtol=RTOL, atol=1e-12)
    assert_allclose(got.transmat_, ref.transmat_, rtol=RTOL, atol=1e-12)
    for a, b in zip(got._params, ref._params):
        for name in a:
            va, vb = a[name], b[name]
            for x, y in (zip(va, vb) if isinstance(va, list) else [(va, vb)]):
                assert_allclose(x, y, rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("kind", list(EMISSIONS))
def test_same_trace_and_parameters_as_in_memory(client, kind):
    X, lengths = _data(kind)
    ref = _fit(X, lengths, kind)
    got = _fit(_chunked(X, lengths), lengths, kind)
    _assert_same_fit(ref, got)


def test_same_fit_from_given_start_with_weights_and_sequence_ids(client):
    # the setting: the same initial parameters on both sides; weights per
    # sequence and sequence_ids instead of lengths
    X, lengths = _data("gauss_full", seed=3)
    rng = np.random.default_rng(3)
    w = rng.integers(1, 4, size=lengths.size).astype(float)
    ids = np.repeat(np.arange(lengths.size) * 7 + 1, lengths)
    init = dict(startprob_init=[0.5, 0.5], transmat_init=[[0.8, 0.2], [0.3, 0.7]],
                emissions_init=[{"mean": [0.0, 0.0], "covariance": np.eye(2)},
                                {"mean": [3.0, 3.0], "covariance": np.eye(2)}],
                n_components=2, max_iter=25, tol=1e-9)
    ref = HiddenMarkovModel(GaussianMLE(), **init).fit(X, sequence_ids=ids, sample_weight=w)
    got = HiddenMarkovModel(GaussianMLE(), **init).fit(_chunked(X, lengths, 180),
                                                      sequence_ids=ids, sample_weight=w)
    _assert_same_fit(ref, got)
    assert_allclose(got.nobs_, ref.nobs_, rtol=1e-15)


def test_one_reduction_per_em_iteration(client, monkeypatch):
    X, lengths = _data("poisson", seed=1)
    calls = []
    original = dask_engine.dask_map_reduce

    def counting(fn, *args, **kw):
        if isinstance(fn, hmm_dask._EMChunk):
            calls.append(1)
        return original(fn, *args, **kw)

    monkeypatch.setattr(dask_engine, "dask_map_reduce", counting)
    got = _fit(_chunked(X, lengths), lengths, "poisson")
    # the start's E-step, then one pass after each M-step (its E-step and the next
    # M-step's statistics at once)
    assert got.n_iter_ > 3 and len(calls) == got.n_iter_ + 1


def test_lazy_posteriors_paths_and_scores(client):
    X, lengths = _data("gauss_diag", seed=2)
    ref = _fit(X, lengths, "gauss_diag")
    dX = _chunked(X, lengths)
    got = _fit(dX, lengths, "gauss_diag")
    proba = got.predict_proba(dX, lengths=lengths)
    states = got.predict(dX, lengths=lengths)
    rows = got.score_samples(dX, lengths=lengths)
    for lazy in (proba, states, rows):
        assert isinstance(lazy, da.Array) and lazy.chunks[0] == dX.chunks[0]
    assert_allclose(proba.compute(), ref.predict_proba(X, lengths=lengths), atol=1e-10)
    assert_allclose(rows.compute(), ref.score_samples(X, lengths=lengths), rtol=1e-10)
    np.testing.assert_array_equal(states.compute(), ref.predict(X, lengths=lengths))
    got.set_params(algorithm="map")
    ref.set_params(algorithm="map")
    np.testing.assert_array_equal(got.predict(dX, lengths=lengths).compute(),
                                  ref.predict(X, lengths=lengths))
    assert_allclose(got.log_likelihood(dX, lengths=lengths),
                    ref.log_likelihood(X, lengths=lengths), rtol=1e-10)
    assert_allclose(got.score(dX, lengths=lengths), ref.score(X, lengths=lengths),
                    rtol=1e-10)


def test_standard_errors_as_in_memory(client):
    X, lengths = _data("poisson", seed=4)
    ref = _fit(X, lengths, "poisson")
    got = _fit(_chunked(X, lengths), lengths, "poisson")
    assert got.param_names_ == ref.param_names_
    assert_allclose(got.estimates_, ref.estimates_, rtol=1e-9)
    finite = np.isfinite(ref.bse_)
    assert np.array_equal(np.isfinite(got.bse_), finite) and finite.sum() >= 4
    assert_allclose(got.bse_[finite], ref.bse_[finite], rtol=1e-4)


def test_chunks_that_cut_a_sequence_are_refused_with_the_remedy(client):
    X, lengths = _data("poisson")
    bad = da.from_array(X, chunks=(100, -1))
    with pytest.raises(ValueError, match=r"cut sequence .*X\.rechunk\(\{0: sklearn_mle.hmm"
                                         r".sequence_chunks\(lengths\)\}\)"):
        _fit(bad, lengths, "poisson")
    good = _fit(bad.rechunk({0: sequence_chunks(lengths, 100)}), lengths, "poisson")
    _assert_same_fit(_fit(X, lengths, "poisson"), good)
    # one sequence (lengths=None) over several chunks: refused too
    with pytest.raises(ValueError, match="cut sequence 0"):
        _fit(bad, None, "poisson")
    with pytest.raises(ValueError, match="cut sequence"):
        good.predict(bad, lengths=lengths)


def test_bad_values_named_by_row(client):
    X, lengths = _data("poisson")
    X[301, 0] = -1.0
    with pytest.raises(ValueError, match="301"):
        _fit(_chunked(X, lengths), lengths, "poisson")
    X[301, 0] = np.nan
    with pytest.raises(ValueError):
        _fit(_chunked(X, lengths), lengths, "poisson")


def test_sequence_chunks():
    assert sequence_chunks([3, 4, 10, 2, 2], rows_per_chunk=8) == (7, 10, 4)
    assert sum(sequence_chunks(np.full(50, 7), 100)) == 350
    with pytest.raises(ValueError, match="positive"):
        sequence_chunks([3, 0])


def test_dask_fitted_model_pickles_and_predicts_the_same(client):
    import pickle

    X, lengths = _data("categorical", seed=5)
    dX = _chunked(X, lengths)
    got = _fit(dX, lengths, "categorical")
    back = pickle.loads(pickle.dumps(got))
    np.testing.assert_array_equal(back.predict(dX, lengths=lengths).compute(),
                                  got.predict(dX, lengths=lengths).compute())
    # the chunk functions pickle (a cluster of processes ships them)
    fn = pickle.loads(pickle.dumps(hmm_dask._EMChunk(got._emission, got.startprob_,
                                                     got.transmat_, got._params)))
    sid = np.repeat(np.arange(lengths.size), lengths)
    total = fn(X[: lengths[0]], sid[: lengths[0]])[0]
    assert_allclose(total, got.log_likelihood(X[: lengths[0]])[0], rtol=1e-12)
