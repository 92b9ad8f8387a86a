"""Fits on a Dask cluster against one reduction of the same array and the in-memory fit.

Run by hand (never part of the test suite)::

    python benchmarks/bench_dask.py                        # scaled to run here in minutes
    python benchmarks/bench_dask.py --rows 100000000 --chunks 100   # the issue's sizes
    python benchmarks/bench_dask.py --store            # also read every pass from a .npy

On ``LocalCluster(n_workers=2, threads_per_worker=1)`` (worker processes, as a real
cluster), for each case the data are persisted on the workers (and, with
``--store``, read again from a memory-mapped ``.npy`` on disk at every pass: the
out-of-core path, where the data need not fit the cluster's memory). Printed:

- ``floor``: ``x.sum().compute()`` on the same Dask array: one reduction, the
  scheduling cost of the chunks plus one read of the data;
- distribution fits (PoissonMLE, GaussianMLE): the whole fit with standard errors,
  and its ratio to the floor (goal: <= 1.5: a fit is one reduction);
- Newton fit (WeibullMLE): time per reduction (a Newton iteration is one);
- logistic regression (exact Newton on Dask, ``linear_model._dask.dask_newton``, with
  the information for the standard errors): time per reduction against the floor,
  and the whole fit against the in-memory ``MLELogisticRegression`` plus one floor
  per reduction (goal: <= 2);
- GaussianMixture(k): time per EM iteration (fit of ``2 m`` minus fit of ``m``
  iterations, from the same given start, divided by ``m``) against one reduction of
  the same E-step (``em_pass``) and against the floor (goal: <= 1.5 x the E-step's
  reduction), and the in-memory iteration on the same rows.

Every timing is the median of ``--repeat`` runs. The machine this was written on is
shared and noisy (2 cores): read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings

import numpy as np


def median_time(fn, repeat):
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def em_iteration(gm_kwargs, X, m, repeat):
    """Seconds per EM iteration: fit(2m) - fit(m), over m (the start is given)."""
    from sklearn_mle import GaussianMixture

    def fit(iters):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return GaussianMixture(**gm_kwargs, max_iter=iters, tol=0.0).fit(X)

    t1, _ = median_time(lambda: fit(m), repeat)
    t2, _ = median_time(lambda: fit(2 * m), repeat)
    return max(t2 - t1, 0.0) / m


def run_case(label, dX, X, args):
    import dask.array as da

    from sklearn_mle import GaussianMixture, GaussianMLE, PoissonMLE, WeibullMLE
    from sklearn_mle.mixture._gaussian_kernels import em_pass

    floor, _ = median_time(lambda: dX.sum().compute(), args.repeat)
    print(f"\n[{label}] {dX.shape[0]:.3g} x {dX.shape[1]} in {dX.numblocks[0]} chunks")
    print(f"  floor x.sum().compute()            {floor:8.3f} s")
    if dX.shape[1] == 1:
        counts = (abs(dX) * 4).astype(np.int64).astype(np.float64)  # counts
        counts = counts.persist() if args.persisted else counts
        floor_c, _ = median_time(lambda: counts.sum().compute(), args.repeat)
        t, est = median_time(lambda: PoissonMLE().fit(counts).bse_, args.repeat)
        print(f"  PoissonMLE fit + SE                {t:8.3f} s   {t / floor_c:5.2f} x floor")
        t, _ = median_time(lambda: GaussianMLE().fit(dX).bse_, args.repeat)
        print(f"  GaussianMLE fit + SE               {t:8.3f} s   {t / floor:5.2f} x floor")
        pos = abs(dX) + 0.1
        pos = pos.persist() if args.persisted else pos
        floor_p, _ = median_time(lambda: pos.sum().compute(), args.repeat)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t, est = median_time(lambda: WeibullMLE().fit(pos), 1)
        except Exception as err:  # noqa: BLE001 - report it, go on with the other cases
            print(f"  WeibullMLE failed: {type(err).__name__}: {err}")
        else:
            # Newton iterations, plus the checking pass, the start, the SE and the scale
            passes = est._last_mode.n_iter + 4  # noqa: SLF001
            print(f"  WeibullMLE fit + SE                {t:8.3f} s   ~{passes} reductions: "
                  f"{t / passes / floor_p:5.2f} x floor each")
        if X is not None:
            tm, _ = median_time(lambda: GaussianMLE().fit(X).bse_, args.repeat)
            print(f"  GaussianMLE in memory              {tm:8.3f} s")
        return
    k = args.k
    rng = np.random.default_rng(0)
    d = dX.shape[1]
    start = dict(n_components=k, weights_init=np.full(k, 1.0 / k),
                 means_init=rng.normal(size=(k, d)), precisions_init=np.ones((k, d)),
                 covariance_type="diag")
    gm = GaussianMixture(**start, max_iter=1).fit(dX)
    plan = gm._plan()  # noqa: SLF001 - the benchmark times the E-step's reduction alone
    t_pass, _ = median_time(lambda: em_pass(dX, None, plan), args.repeat)
    t_iter = em_iteration(start, dX, args.iters, max(1, args.repeat // 2))
    print(f"  E-step reduction (em_pass)         {t_pass:8.3f} s   {t_pass / floor:5.2f} x floor")
    print(f"  GaussianMixture(k={k}) iteration    {t_iter:8.3f} s   "
          f"{t_iter / t_pass:5.2f} x E-step reduction")
    if X is not None:
        t_mem = em_iteration(start, X, args.iters, 1)
        print(f"  in-memory iteration                {t_mem:8.3f} s")
    # logistic regression with standard errors: exact Newton, one reduction an iteration
    from sklearn_mle import MLELogisticRegression
    from sklearn_mle.linear_model import _family as glm_family
    from sklearn_mle.linear_model._dask import dask_newton

    beta = np.linspace(-1.0, 1.0, d) / np.sqrt(d)
    y = (dX @ beta + da.random.default_rng(1).logistic(size=dX.shape[0],
                                                       chunks=dX.chunks[0]) > 0)
    y = y.astype(np.float64).persist() if args.persisted else y.astype(np.float64)
    t_glm, res = median_time(lambda: dask_newton(glm_family.Binomial(), dX, y), args.repeat)
    print(f"  logistic Newton + SE (Dask)        {t_glm:8.3f} s   {res.n_reductions} "
          f"reductions: {t_glm / res.n_reductions / floor:5.2f} x floor each")
    if X is not None:
        yy = y.compute()
        t_mem, _ = median_time(lambda: MLELogisticRegression().fit(X, yy).bse_, args.repeat)
        print(f"  logistic in memory + SE            {t_mem:8.3f} s   Dask / (memory + "
              f"{res.n_reductions} floors) = {t_glm / (t_mem + res.n_reductions * floor):5.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=float, default=2e7, help="rows of the 1-column case")
    parser.add_argument("--wide-rows", type=float, default=1e6, help="rows of the d-column case")
    parser.add_argument("--d", type=int, default=20)
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--chunks", type=int, default=100)
    parser.add_argument("--iters", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store", action="store_true", help="also read from a .npy store")
    parser.add_argument("--no-memory", action="store_true", help="skip the in-memory fits")
    args = parser.parse_args()

    import dask.array as da
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        # the workers import the package once, before anything is timed
        client.run(lambda: __import__("sklearn_mle").PoissonMLE().fit(np.ones((2, 1))))
        for rows, d in ((int(args.rows), 1), (int(args.wide_rows), args.d)):
            chunk = -(-rows // args.chunks)
            # generated on the workers (a NumPy array given to from_array would travel
            # inside the graph)
            dX = da.random.default_rng(0).normal(size=(rows, d), chunks=(chunk, d)).persist()
            X = None if args.no_memory else dX.compute()
            args.persisted = True
            run_case("persisted", dX, X, args)
            if args.store:
                with tempfile.TemporaryDirectory() as tmp:
                    path = os.path.join(tmp, "x.npy")
                    np.save(path, dX.compute() if X is None else X)
                    args.persisted = False
                    run_case("from .npy, re-read every pass", npy_rows(path, chunk), None,
                             args)
            del dX, X


def _read_rows(path, start, stop):
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def npy_rows(path, chunk):
    """A Dask array whose chunks are read from a .npy file by the workers, at every
    pass (nothing persisted: the out-of-core path)."""
    import dask
    import dask.array as da

    mm = np.load(path, mmap_mode="r")
    n, d = mm.shape
    parts = [da.from_delayed(dask.delayed(_read_rows)(path, s, min(s + chunk, n)),
                             shape=(min(s + chunk, n) - s, d), dtype=mm.dtype)
             for s in range(0, n, chunk)]
    return da.concatenate(parts)

if __name__ == "__main__":
    main()
