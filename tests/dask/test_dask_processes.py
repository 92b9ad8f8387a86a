"""The one test on worker processes (``LocalCluster(processes=True)``, the session's
``process_cluster``): block functions, families, statistics and label encodings pickle,
the fits equal the in-memory ones, and a worker killed mid-fit is replaced and its task
retried (a distribution's one pass, a GLM's Newton). One test, so that one such cluster
starts per run and its workers import the package once: pytest-xdist spreads tests over
its workers, and each that meets a process test would start a cluster of its own.
"""

import pytest

distributed = pytest.importorskip("distributed")

from .test_dask_distributions import check_distributions_on_worker_processes  # noqa: E402
from .test_dask_glm import check_glm_on_worker_processes  # noqa: E402
from .test_dask_naive_bayes import check_naive_bayes_on_worker_processes  # noqa: E402


def test_worker_processes(client, process_cluster, tmp_path):
    """The checks of each part (see their docstrings), under one client of the
    cluster with processes; closing it makes the threads' client the default again."""
    (tmp_path / "dist").mkdir()
    (tmp_path / "glm").mkdir()
    with distributed.Client(process_cluster):
        check_naive_bayes_on_worker_processes()
        check_distributions_on_worker_processes(tmp_path / "dist")
        check_glm_on_worker_processes(tmp_path / "glm")
