"""The engine: one row-block map-reduce, one threading policy, one weight validator."""

import os

import numpy as np
import pytest
from joblib import Parallel, delayed
from numpy.testing import assert_allclose
from threadpoolctl import threadpool_limits

from sklearn_mle import GaussianMixture, MixtureMLE, PoissonMLE
from sklearn_mle._engine import blocks as engine_blocks
from sklearn_mle._engine import (
    check_sample_weight,
    effective_threads,
    map_blocks,
    map_reduce,
    row_blocks,
)
from sklearn_mle.families import Poisson

CORES = len(os.sched_getaffinity(0))


def test_blocks_depend_on_the_shape_only():
    assert row_blocks(10, 1, block_rows=4) == [slice(0, 4), slice(4, 8), slice(8, 10)]
    assert row_blocks(0, 3) == [slice(0, 0)]
    assert len(row_blocks(10**6, 1)) == len(row_blocks(10**6, 1))


def test_map_reduce_sums_tuples_and_statistics_in_block_order():
    rng = np.random.default_rng(0)
    X = rng.poisson(3.0, size=(1_000_003, 2)).astype(float)
    w = rng.random(X.shape[0])
    fam = Poisson()

    def block(xb, wb):
        return float(len(xb)), wb @ xb, fam.stats(xb, wb)

    one = map_reduce(block, X, w, n_jobs=1)
    two = map_reduce(block, X, w, n_jobs=2)
    assert one[0] == X.shape[0]
    assert_allclose(one[1], w @ X, rtol=1e-12)
    # the same blocks summed in the same order: identical whatever the thread count
    assert np.array_equal(one[1], two[1])
    assert one[2] == two[2]
    assert_allclose(one[2].sum_x, fam.stats(X, w).sum_x, rtol=1e-12)


def test_a_declining_block_makes_the_result_none_and_errors_propagate():
    X = np.arange(20.0)[:, None]
    assert map_reduce(lambda xb: None if xb[0, 0] >= 10 else 1.0, X, block_rows=5) is None

    def boom(xb):
        raise ValueError("block error")

    with pytest.raises(ValueError, match="block error"):
        map_reduce(boom, X, block_rows=5, n_jobs=2)


def test_map_blocks_stacks_rows():
    X = np.arange(12.0).reshape(6, 2)
    assert_allclose(map_blocks(lambda xb: xb.sum(axis=1), X, block_rows=4), X.sum(axis=1))


def test_threading_policy():
    assert effective_threads(1) == 1
    assert effective_threads(-1) == CORES
    assert effective_threads(None) <= CORES
    with pytest.raises(ValueError, match="n_jobs == 0"):
        effective_threads(0)
    with threadpool_limits(limits=1, user_api="blas"):
        assert effective_threads(None) == 1


def test_no_oversubscription_inside_joblib_workers():
    # GridSearchCV(n_jobs=2) runs fits in joblib workers: each fit then uses one thread
    for backend in ("loky", "threading"):
        inner = Parallel(n_jobs=2, backend=backend)(
            delayed(effective_threads)(None) for _ in range(2))
        assert inner == [1, 1], backend


def test_nested_map_reduce_runs_serially_in_workers(monkeypatch):
    seen = []

    def outer(xb):
        seen.append(effective_threads(None))
        return map_reduce(lambda yb: float(yb.sum()), xb, block_rows=2)

    X = np.ones((64, 1))
    total = map_reduce(outer, X, block_rows=8, n_jobs=2)
    assert total == 64.0
    if CORES > 1:
        assert set(seen) == {1}


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_estimators_take_n_jobs_and_give_the_same_fit(n_jobs):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 3)) + rng.integers(0, 2, (3000, 1)) * 4
    ref = GaussianMixture(2, random_state=0, n_jobs=1).fit(X)
    gm = GaussianMixture(2, random_state=0, n_jobs=n_jobs).fit(X)
    assert_allclose(gm.means_, ref.means_, rtol=1e-12)
    Xc = rng.poisson(4, (3000, 1)).astype(float)
    a = MixtureMLE(PoissonMLE(), 2, random_state=0, n_jobs=1).fit(Xc)
    b = MixtureMLE(PoissonMLE(), 2, random_state=0, n_jobs=n_jobs).fit(Xc)
    assert_allclose(a.loglik_, b.loglik_, rtol=1e-12)


def test_dask_arrays_reach_the_dask_dispatch_point(monkeypatch):
    class FakeDask:
        __module__ = "dask.array.core"
        shape = (3, 1)

    calls = []
    monkeypatch.setattr(engine_blocks, "_dask_map_reduce",
                        lambda fn, X, rows, combine: calls.append(X) or "dask")
    fake = FakeDask()
    assert map_reduce(lambda xb: 0.0, fake) == "dask" and calls == [fake]


def test_one_weight_validator():
    X = np.zeros((3, 1))
    assert check_sample_weight(None, X) is None
    assert check_sample_weight(None, X, ones=True).tolist() == [1.0, 1.0, 1.0]
    for bad, rule in (([1, -1, 1], "non-negative"), ([1, np.nan, 1], "NaN|finite"),
                      ([0, 0, 0], "sum to zero|non-zero"), ([1, 1], "")):
        with pytest.raises(ValueError, match=rule):
            check_sample_weight(bad, X, owner="Est")
    with pytest.raises(ValueError, match="PoissonMLE: sample_weight must be non-negative"):
        check_sample_weight([1, -1, 1], X, owner="PoissonMLE")
