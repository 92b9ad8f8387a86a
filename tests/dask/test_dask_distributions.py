"""Dask backend: a fit on a Dask array equals the fit on the same data in memory.

References: the in-memory fit of the same estimator (itself tested against scipy,
statsmodels and closed forms elsewhere); the in-memory ValueError for bad input.
The session LocalCluster (conftest.py) serves the tests; one test
runs on worker processes (pickling of the block functions and statistics).
"""

import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from sklearn_mle import (  # noqa: E402
    BinomialMLE,
    CategoricalMLE,
    GammaMLE,
    GaussianMLE,
    NegativeBinomialMLE,
    PoissonMLE,
    StudentTMLE,
    WeibullMLE,
)
from sklearn_mle._engine import map_blocks, map_reduce  # noqa: E402

RTOL = 1e-10


def _data(cls, n, rng):
    if cls is PoissonMLE:
        return rng.poisson(3.0, (n, 2)).astype(float)
    if cls is BinomialMLE:
        return rng.binomial(6, 0.3, (n, 2)).astype(float)
    if cls is NegativeBinomialMLE:
        return rng.negative_binomial(3, 0.4, (n, 2)).astype(float)
    if cls is CategoricalMLE:
        return rng.integers(0, 4, (n, 2)).astype(float)
    if cls is StudentTMLE:
        return rng.standard_t(4.0, (n, 2))
    if cls in (WeibullMLE, GammaMLE):
        return rng.weibull(1.7, (n, 2)) + 0.05
    return rng.normal(size=(n, 3)) @ np.array([[1.0, 0.3, 0], [0, 1.0, 0.5], [0, 0, 2.0]])


def _assert_same_fit(a, b, rtol=RTOL):
    assert a.param_names_ == b.param_names_
    assert_allclose(b.estimates_, a.estimates_, rtol=rtol)
    assert_allclose(b.bse_, a.bse_, rtol=rtol)
    assert_allclose(b.loglik_, a.loglik_, rtol=rtol)
    assert_allclose(b.offset_, a.offset_, rtol=rtol)


CHUNKINGS = {
    "uneven": lambda n: (7, 50, 1, 93, n - 151),
    "one": lambda n: (n,),
}
FAMILIES = [PoissonMLE, GaussianMLE, BinomialMLE, CategoricalMLE, GammaMLE, WeibullMLE,
            NegativeBinomialMLE, StudentTMLE]


@pytest.mark.parametrize("chunking", sorted(CHUNKINGS))
@pytest.mark.parametrize("cls", FAMILIES, ids=lambda c: c.__name__)
def test_dask_fit_equals_numpy_fit(client, cls, chunking):
    rng = np.random.default_rng(0)
    X = _data(cls, 600, rng)
    est = cls(covariance_type="full") if cls is GaussianMLE else cls()
    ref = est.fit(X)
    ref_state = ref.estimates_.copy(), ref.bse_.copy(), ref.loglik_, ref.offset_
    dX = da.from_array(X, chunks=(CHUNKINGS[chunking](600), -1))
    got = type(est)(**est.get_params()).fit(dX)
    assert isinstance(got.estimates_, np.ndarray)
    assert_allclose(got.estimates_, ref_state[0], rtol=RTOL)
    assert_allclose(got.bse_, ref_state[1], rtol=RTOL)
    assert_allclose(got.loglik_, ref_state[2], rtol=RTOL)
    assert_allclose(got.offset_, ref_state[3], rtol=RTOL)


@pytest.mark.parametrize("cls", [PoissonMLE, GaussianMLE, WeibullMLE], ids=lambda c: c.__name__)
def test_one_row_chunks_and_float32(client, cls):
    rng = np.random.default_rng(1)
    X = _data(cls, 40, rng)
    # one row per chunk (Newton's families: 3 rows, each iteration is a reduction)
    rows = 3 if cls is WeibullMLE else 1
    _assert_same_fit(cls().fit(X), cls().fit(da.from_array(X, chunks=(rows, -1))))
    X32 = X.astype(np.float32)
    d32 = da.from_array(X32, chunks=(9, -1))
    _assert_same_fit(cls().fit(X32), cls().fit(d32), rtol=1e-6)
    assert cls().fit(d32).score_samples(d32).dtype == cls().fit(X32).score_samples(X32).dtype


@pytest.mark.parametrize("cls", [PoissonMLE, NegativeBinomialMLE, WeibullMLE, StudentTMLE],
                         ids=lambda c: c.__name__)
@pytest.mark.parametrize("kind", ["numpy", "dask"])
def test_weights(client, cls, kind):
    rng = np.random.default_rng(2)
    X = _data(cls, 300, rng)
    w = rng.integers(0, 4, 300).astype(float)
    dX = da.from_array(X, chunks=(70, -1))
    dw = w if kind == "numpy" else da.from_array(w, chunks=33)
    _assert_same_fit(cls().fit(X, sample_weight=w), cls().fit(dX, sample_weight=dw))


def test_unit_broadcast_knows_dask_weights():
    """Dask weights (no strides) are never the broadcast ones; NumPy's are only when
    they are ones broadcast from one value."""
    from sklearn_mle.families._data import unit_broadcast

    assert unit_broadcast(np.broadcast_to(1.0, (5,)))
    assert not unit_broadcast(np.broadcast_to(2.0, (5,)))
    assert not unit_broadcast(np.ones(5))
    assert not unit_broadcast(np.broadcast_to(1.0, (0,)))
    assert not unit_broadcast(da.ones(5, chunks=2))
    assert not unit_broadcast(da.broadcast_to(1.0, (5,)))


def test_dataframe_column_names_reach_summary(client):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"visits": rng.poisson(2.0, 500).astype(float),
                       "calls": rng.poisson(5.0, 500).astype(float)})
    ddf = dd.from_pandas(df, npartitions=7)
    ref, got = PoissonMLE().fit(df), PoissonMLE().fit(ddf)
    _assert_same_fit(ref, got)
    assert list(got.feature_names_in_) == ["visits", "calls"]
    assert "rate[visits]" in str(got.summary()) and "rate[calls]" in str(got.summary())
    with pytest.raises(ValueError, match="feature names"):
        got.score_samples(ddf[["calls", "visits"]]).compute()


def _bad_in_chunk_37(X, value, row_in_chunk=2, col=1):
    Xb = X.copy()
    row = 37 * 10 + row_in_chunk
    Xb[row, col] = value
    return Xb


@pytest.mark.parametrize("cls, value", [(PoissonMLE, -1.0), (PoissonMLE, 2.5),
                                        (GaussianMLE, np.nan), (PoissonMLE, np.inf),
                                        (WeibullMLE, -0.5), (NegativeBinomialMLE, -2.0)],
                         ids=lambda v: getattr(v, "__name__", repr(v)))
def test_bad_value_in_chunk_37_gives_the_in_memory_error(client, cls, value):
    rng = np.random.default_rng(4)
    Xb = _bad_in_chunk_37(_data(cls, 500, rng)[:, :2], value)
    with pytest.raises(ValueError) as ref:
        cls().fit(Xb)
    with pytest.raises(ValueError) as got:
        cls().fit(da.from_array(Xb, chunks=(10, -1)))
    assert str(got.value) == str(ref.value)
    if np.isfinite(value):
        assert "at row 372" in str(got.value)


def test_first_error_in_memory_order_wins(client):
    """Two bad chunks: the in-memory order (rule, then column, then row) decides."""
    X = np.ones((100, 2))
    X[80, 0] = 0.5   # later chunk, earlier column: reported first in memory
    X[15, 1] = 1.5
    X[50, 1] = -1.0  # the first rule (negative values) beats the non-integer one
    with pytest.raises(ValueError) as ref:
        PoissonMLE().fit(X)
    with pytest.raises(ValueError) as got:
        PoissonMLE().fit(da.from_array(X, chunks=10))
    assert str(got.value) == str(ref.value) and "row 50" in str(got.value)


def test_bad_weights_in_a_chunk(client):
    X = np.ones((100, 1))
    w = np.ones(100)
    w[57] = -3.0
    with pytest.raises(ValueError) as ref:
        PoissonMLE().fit(X, sample_weight=w)
    with pytest.raises(ValueError) as got:
        PoissonMLE().fit(da.from_array(X, chunks=10), sample_weight=da.from_array(w, chunks=7))
    assert str(got.value) == str(ref.value)
    with pytest.raises(ValueError, match="sum to zero"):
        PoissonMLE().fit(da.from_array(X, chunks=10), sample_weight=np.zeros(100))


def test_partial_fit_over_dask_batches(client):
    rng = np.random.default_rng(5)
    X = rng.poisson(4.0, (400, 2)).astype(float)
    est = PoissonMLE()
    for part in np.array_split(X, 3):
        est.partial_fit(da.from_array(part, chunks=50))
    ref = PoissonMLE().fit(X)
    assert_allclose(est.estimates_, ref.estimates_, rtol=RTOL)
    assert_allclose(est.bse_, ref.bse_, rtol=RTOL)


@pytest.mark.parametrize("cls", [PoissonMLE, GaussianMLE, StudentTMLE], ids=lambda c: c.__name__)
def test_scoring_is_lazy(client, cls):
    rng = np.random.default_rng(6)
    X = _data(cls, 300, rng)
    est = cls().fit(X)
    dX = da.from_array(X, chunks=(77, -1))
    s = est.score_samples(dX)
    assert isinstance(s, da.Array) and s.shape == (300,)
    assert_allclose(s.compute(), est.score_samples(X), rtol=1e-13)
    p = est.predict(dX)
    assert isinstance(p, da.Array)
    assert_allclose(p.compute(), est.predict(X))
    assert_allclose(est.score(dX), est.score(X), rtol=1e-13)


def test_scoring_bad_chunk_raises_on_compute(client):
    est = GaussianMLE().fit(np.random.default_rng(0).normal(size=(50, 1)))
    X = np.zeros((50, 1))
    X[33] = np.nan
    s = est.score_samples(da.from_array(X, chunks=10))  # lazy: no error yet
    with pytest.raises(ValueError, match="NaN"):
        s.compute()


def test_engine_map_reduce_and_map_blocks_on_dask(client):
    X = np.arange(40.0).reshape(20, 2)
    dX = da.from_array(X, chunks=((3, 7, 10), (1, 1)))  # column chunks are joined
    w = np.arange(20.0)
    assert_allclose(map_reduce(lambda xb, wb: wb @ xb, dX, w), w @ X)
    assert_allclose(map_reduce(lambda xb, wb: wb @ xb, dX, da.from_array(w, chunks=6)), w @ X)
    assert map_reduce(lambda xb: (xb.shape[0], xb.sum()), dX) == (20, X.sum())
    out = map_blocks(lambda xb, wb: xb * wb[:, None], dX, w)
    assert isinstance(out, da.Array)
    assert_allclose(out.compute(), X * w[:, None])


def test_without_a_client_dasks_own_scheduler_runs():
    import dask

    rng = np.random.default_rng(7)
    X = rng.poisson(2.0, (200, 1)).astype(float)
    with dask.config.set(scheduler="sync"):
        got = PoissonMLE().fit(da.from_array(X, chunks=30))
    _assert_same_fit(PoissonMLE().fit(X), got)


def check_distributions_on_worker_processes(tmp_path):
    """Part of tests/dask/test_dask_processes.py (its client on worker processes is
    active): block functions (closures) and statistics travel to worker processes; a
    worker killed while it reads a chunk is replaced and the task retried: the fit is
    right."""
    import dask

    rng = np.random.default_rng(8)
    Xp = rng.poisson(3.0, (300, 2)).astype(float)
    Xw = rng.weibull(2.0, (300, 1))
    flag = str(tmp_path / "killed")

    def load(start, stop):
        import os

        if start == 90 and not os.path.exists(flag):
            open(flag, "w").close()
            os._exit(1)  # the worker process dies mid-fit
        return Xp[start:stop]

    dying = da.concatenate([
        da.from_delayed(dask.delayed(load, pure=False)(s, s + 45 if s < 270 else 300),
                        shape=((45 if s < 270 else 30), 2), dtype=float)
        for s in range(0, 300, 45)])
    got_p = PoissonMLE().fit(da.from_array(Xp, chunks=45))
    got_w = WeibullMLE().fit(da.from_array(Xw, chunks=45))
    Xb = Xp.copy()
    Xb[200, 1] = -1
    with pytest.raises(ValueError, match="at row 200"):
        PoissonMLE().fit(da.from_array(Xb, chunks=45))
    got_killed = PoissonMLE().fit(dying)
    _assert_same_fit(PoissonMLE().fit(Xp), got_p)
    _assert_same_fit(WeibullMLE().fit(Xw), got_w)
    assert (tmp_path / "killed").exists()
    _assert_same_fit(PoissonMLE().fit(Xp), got_killed)


def test_package_imports_and_fits_without_dask():
    code = ("import sys; sys.modules['dask'] = None; sys.modules['distributed'] = None\n"
            "import numpy as np, sklearn_mle\n"
            "print(sklearn_mle.PoissonMLE().fit(np.array([[1.0], [3.0]])).rate_[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "2.0"


def _candidate_data(rng, n=300):
    """Data sets of the package's domains, most specific first: the first one an
    estimator fits in memory is its test data."""
    return [rng.integers(0, 2, (n, 2)).astype(float),       # 0/1
            rng.beta(2.0, 3.0, (n, 2)),                       # (0, 1)
            rng.poisson(3.0, (n, 2)).astype(float),           # counts
            rng.geometric(0.3, (n, 2)).astype(float),         # counts from 1
            rng.gamma(2.0, 1.5, (n, 2)) + 0.01,               # positive
            rng.normal(size=(n, 2))]                          # real


def _registry_distributions():
    from sklearn_mle.distributions import DistributionMLE

    from .._registry import public_estimator_classes

    return [c for c in public_estimator_classes() if issubclass(c, DistributionMLE)]


@pytest.mark.parametrize("cls", _registry_distributions(), ids=lambda c: c.__name__)
def test_every_distribution_estimator_fits_dask_as_numpy(client, cls):
    """The registry's contract: Dask fit == NumPy fit (estimates, SEs, loglik, offset)."""
    import warnings

    rng = np.random.default_rng(9)
    for X in _candidate_data(rng):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref = cls().fit(X)
                ref_state = (ref.estimates_.copy(), ref.bse_.copy(), ref.loglik_, ref.offset_)
        except ValueError:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = cls().fit(da.from_array(X, chunks=((31, 1, 168, 100), -1)))
        assert_allclose(got.estimates_, ref_state[0], rtol=RTOL)
        assert_allclose(got.bse_, ref_state[1], rtol=RTOL)
        assert_allclose(got.loglik_, ref_state[2], rtol=RTOL)
        assert_allclose(got.offset_, ref_state[3], rtol=RTOL)
        return
    pytest.fail(f"{cls.__name__} fits none of the candidate data sets")


def test_one_read_of_each_chunk_per_fit_of_a_closed_form_family():
    """Data streamed from storage: the statistics and the novelty threshold's sample
    share one read of each chunk (a fit is one pass)."""
    import dask

    rng = np.random.default_rng(10)
    X = rng.poisson(3.0, (50_000, 1)).astype(float)
    reads = []

    def load(start):
        reads.append(start)
        return X[start:start + 5000]

    stored = da.concatenate([
        da.from_delayed(dask.delayed(load, pure=False)(s), shape=(5000, 1), dtype=float)
        for s in range(0, 50_000, 5000)])
    with dask.config.set(scheduler="sync"):
        got = PoissonMLE().fit(stored)
    assert sorted(reads) == list(range(0, 50_000, 5000))
    _assert_same_fit(PoissonMLE().fit(X), got)


def test_a_closed_form_fit_is_one_computation(monkeypatch):
    """The cost model: statistics, value checks and the threshold's sample in one
    computation; a Newton family adds one per iteration."""
    import dask
    import dask.base

    calls = []
    real = dask.base.compute

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(dask.base, "compute", counting)
    monkeypatch.setattr(dask, "compute", counting)
    rng = np.random.default_rng(11)
    X = da.from_array(rng.poisson(3.0, (30_000, 2)).astype(float), chunks=(4000, -1))
    with dask.config.set(scheduler="sync"):
        est = GaussianMLE().fit(X)
        est.bse_, est.offset_  # noqa: B018 - inference and threshold cost no pass
        assert len(calls) == 1
        calls.clear()
        est = PoissonMLE().fit(X)
        assert len(calls) == 1
