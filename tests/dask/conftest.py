"""The LocalClusters of the Dask tests (threads; worker processes), started once per run."""

import os

import pytest

# set in this process's environment by distributed's Nanny before it spawns a worker
# process (distributed.nanny.pre-spawn-environ), and left there
_SPAWN_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "MALLOC_TRIM_THRESHOLD_")
_START_ENV = {k: os.environ.get(k) for k in _SPAWN_ENV}  # before any cluster starts


@pytest.fixture(autouse=True)
def _restore_spawn_environ():
    """Undo the Nanny's environment after each Dask test: the tests that run next in
    this process (tests/test_engine.py's threading policy reads OMP_NUM_THREADS) see
    the environment the run started with."""
    yield
    for key, value in _START_ENV.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="session")
def process_cluster():
    """The LocalCluster with worker processes (2 x 1 thread) of the test that needs
    pickling and worker loss (test_dask_processes.py): its workers start (and import
    the package) once per run. The test connects its own ``Client`` to it; closing that
    client makes the threads' client of ``client`` the default again."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        yield cluster
