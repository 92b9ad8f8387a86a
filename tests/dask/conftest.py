"""The LocalClusters of the Dask tests (threads; worker processes), started once per run."""

import pytest


@pytest.fixture(scope="session")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="session")
def process_cluster():
    """One LocalCluster with worker processes (2 x 1 thread) for every test that needs
    pickling and worker loss: its workers start (and import the package) once per run.
    A test connects its own ``Client`` to it; closing that client makes the threads'
    client of ``client`` the default again."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        yield cluster
