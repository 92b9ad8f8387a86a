"""Fits on a Dask cluster against one reduction of the same array and the in-memory fit.

Run by hand (never part of the test suite)::

    python benchmarks/bench_dask.py                        # scaled to run here in minutes
    python benchmarks/bench_dask.py --rows 1e8 --wide-rows 2e7 --chunks 100 --store
                                                           # the issue's sizes
    python benchmarks/bench_dask.py --sections dask-ml,ooc  # only those parts

On ``LocalCluster(n_workers=2, threads_per_worker=1)`` (worker processes, as a real
cluster), for each case the data are persisted on the workers (and, with
``--store``, read again from a memory-mapped ``.npy`` on disk at every pass: the
out-of-core path, where the data need not fit the cluster's memory). Printed:

- ``floor``: ``x.sum().compute()`` on the same Dask array: one reduction, the
  scheduling cost of the chunks plus one read of the data;
- distribution fits (PoissonMLE, GaussianMLE): the whole fit with standard errors,
  and its ratio to the floor (goal: <= 1.5: a fit is one reduction);
- Newton fit (WeibullMLE): time per reduction (a Newton iteration is one);
- logistic and Poisson regression (``MLELogisticRegression().fit(dask_X, dask_y)``,
  exact Newton with the standard errors): time per pass against one reduction of the
  same block function at the optimum (goal: <= 1.5), and the whole fit against the
  in-memory fit plus one floor per pass (goal: <= 2);
- GaussianMixture(k): time per EM iteration inside a fit from a given start (the
  median interval between consecutive E-steps) against one reduction of the same
  E-step (``em_pass``) and against the floor (goal: <= 1.5 x the E-step's
  reduction), and the in-memory iteration on the same rows;
- ``dask-ml`` (section ``dask-ml``, if installed: it is not a dependency): its
  ``LogisticRegression(solver='newton')`` on the same cluster and persisted array
  (10^6 x 20 in 40 chunks), its time against ours (with standard errors) and its
  distance to the MLE;
- out of core (section ``ooc``): a ``--ooc-gib`` GiB ``.npy`` fitted by a cluster of 2
  workers with ``--ooc-limit`` MiB each (data ~3x the cluster's memory; a worker
  needs ~220 MiB for its imports alone, so 300 MiB workers pause and never resume), re-read from
  disk at every pass: a logistic regression and a Gaussian fit, which must not fail.

Every timing is the median of ``--repeat`` runs. The machine this was written on is
shared and noisy (2 cores): read the ratios, not the seconds. ``--clock cpu`` times
the CPU seconds of the client process (which runs the LocalCluster's scheduler) plus
those of every worker, which other programs on the machine do not inflate; wall time
is the default.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
import warnings

import numpy as np

_CLOCK = {"kind": "wall", "client": None}


def clock():
    """Wall seconds, or (``--clock cpu``) the CPU seconds of this process plus the
    active client's workers."""
    if _CLOCK["kind"] == "wall" or _CLOCK["client"] is None:
        return time.perf_counter()
    workers = _CLOCK["client"].run(time.process_time)
    return time.process_time() + sum(workers.values())


def persisted(a):
    """``a.persist()``, waited for: no timing includes making the data."""
    from distributed import wait

    a = a.persist()
    wait(a)
    return a


def median_time(fn, repeat):
    times = []
    out = None
    for _ in range(repeat):
        t = clock()
        out = fn()
        times.append(clock() - t)
    return float(np.median(times)), out


def em_iteration(gm_kwargs, X, m, repeat):
    """Seconds per EM iteration inside a fit from a given start: the median interval
    between the starts of consecutive E-steps (the E-step's reduction, the M-step and
    the loop's bookkeeping), over ``m`` intervals of each of ``repeat`` fits. (A
    difference of two whole fits, ``fit(2m) - fit(m)``, mixed in the noise of two
    initialisations and final passes.)"""
    from sklearn_mle import GaussianMixture

    starts = []
    original = GaussianMixture._em_pass

    def timed(self, X, w):
        starts.append(clock())
        return original(self, X, w)

    # patched on the class for the fit, not subclassed: the fit ships the estimator to
    # the workers, and a class defined here would travel by value, with the client
    intervals = []
    GaussianMixture._em_pass = timed
    try:
        for _ in range(repeat):
            starts.clear()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                GaussianMixture(**gm_kwargs, max_iter=m + 1, tol=0.0).fit(X)
            intervals += list(np.diff(starts))
    finally:
        GaussianMixture._em_pass = original
    return float(np.median(intervals))


def run_case(label, dX, X, args):

    from sklearn_mle import GaussianMixture, GaussianMLE, PoissonMLE, WeibullMLE
    from sklearn_mle.mixture._gaussian_kernels import em_pass

    floor, _ = median_time(lambda: dX.sum().compute(), args.repeat)
    print(f"\n[{label}] {dX.shape[0]:.3g} x {dX.shape[1]} in {dX.numblocks[0]} chunks")
    print(f"  floor x.sum().compute()            {floor:8.3f} s")
    if dX.shape[1] == 1:
        counts = (abs(dX) * 4).astype(np.int64).astype(np.float64)  # counts
        counts = persisted(counts) if args.persisted else counts
        floor_c, _ = median_time(lambda: counts.sum().compute(), args.repeat)
        t, est = median_time(lambda: PoissonMLE().fit(counts).bse_, args.repeat)
        print(f"  PoissonMLE fit + SE                {t:8.3f} s   {t / floor_c:5.2f} x floor")
        t, _ = median_time(lambda: GaussianMLE().fit(dX).bse_, args.repeat)
        print(f"  GaussianMLE fit + SE               {t:8.3f} s   {t / floor:5.2f} x floor")
        pos = abs(dX) + 0.1
        pos = persisted(pos) if args.persisted else pos
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
    # GLMs with standard errors: exact Newton, one reduction an iteration
    glm_case(dX, X, args, floor)


def glm_case(dX, X, args, floor):
    """Logistic and Poisson regression with SEs on Dask: time per reduction against one
    reduction of the same block function (``dask_glm_terms`` at the optimum) and the
    floor; the whole fit against the in-memory fit plus one floor per reduction."""
    import dask.array as da

    from sklearn_mle import MLELogisticRegression, MLEPoissonRegression
    from sklearn_mle.linear_model import _family as glm_family
    from sklearn_mle.linear_model._dask import dask_glm_terms

    d = dX.shape[1]
    beta = np.linspace(-1.0, 1.0, d) / np.sqrt(d)
    eta = dX @ beta
    noise = da.random.default_rng(1).logistic(size=dX.shape[0], chunks=dX.chunks[0])
    cases = [("logistic", MLELogisticRegression, glm_family.Binomial(),
              (eta + noise > 0).astype(np.float64)),
             ("Poisson", MLEPoissonRegression, glm_family.Poisson(),
              eta.map_blocks(_poisson_block, dtype=np.float64))]
    for name, cls, family, y in cases:
        y = persisted(y) if args.persisted else y
        t_fit, est = median_time(lambda: cls().fit(dX, y), args.repeat)  # noqa: B023
        theta = np.column_stack([est.intercept_, np.atleast_2d(est.coef_)])
        t_red, _ = median_time(lambda: dask_glm_terms(family, dX, y, None, None,  # noqa: B023
                                                      theta), args.repeat)  # noqa: B023
        # the fit's passes: the checks with the start's sums and sample (one pass), one
        # per Newton step (the last step is taken without one, the first needs one)
        n_red = est.n_iter_ + 1
        print(f"  {name} regression + SE (Dask) {t_fit:8.3f} s   {est.n_iter_} Newton steps; "
              f"{t_fit / n_red / t_red:5.2f} x one reduction per pass "
              f"(one reduction {t_red:6.3f} s = {t_red / floor:5.2f} x floor)")
        if X is not None:
            yy = y.compute()
            t_mem, ref = median_time(lambda: cls().fit(X, yy).bse_, args.repeat)  # noqa: B023
            print(f"  {name} in memory + SE        {t_mem:8.3f} s   Dask / (memory + "
                  f"{n_red} floors) = {t_fit / (t_mem + n_red * floor):5.2f}; max |SE "
                  f"ratio - 1| = {np.max(np.abs(est.bse_ / ref - 1)):.1e}")


def _poisson_block(eta_block, block_info=None):
    """Poisson counts of mean exp(eta / 2), drawn where the chunk of ``eta`` lives: a
    response of the same rows as X on the same worker (``da.random``'s Poisson with an
    array mean put none of 100 chunks next to X's, and every pass then moved them)."""
    seed = block_info[0]["chunk-location"][0] if block_info else 0
    return np.random.default_rng(seed).poisson(np.exp(0.5 * eta_block)).astype(np.float64)


def dask_ml_case(args):
    """Against dask-ml (installed by hand, not a dependency): LogisticRegression with
    solver='newton' on the same persisted array and cluster; distance to the MLE."""
    import dask.array as da

    from sklearn_mle import MLELogisticRegression

    try:
        from dask_ml.linear_model import LogisticRegression
    except ImportError:
        print("\n[dask-ml] not installed: pip install dask-ml")
        return
    n, d = int(args.dml_rows), args.d
    dX = persisted(da.random.default_rng(3).normal(size=(n, d), chunks=(-(-n // 40), d)))
    beta = np.linspace(-1.0, 1.0, d) / np.sqrt(d)
    noise = da.random.default_rng(4).logistic(size=n, chunks=dX.chunks[0])
    y = persisted(((dX @ beta + noise) > 0).astype(np.float64))
    print(f"\n[dask-ml] {n:.3g} x {d} in {dX.numblocks[0]} chunks, persisted")
    t_ours, est = median_time(lambda: MLELogisticRegression().fit(dX, y), args.repeat)
    ours = np.r_[est.intercept_, est.coef_.ravel()]
    print(f"  sklearn_mle MLELogisticRegression + SE   {t_ours:8.3f} s")
    for solver in args.dml_solvers:
        t, m = median_time(lambda: LogisticRegression(solver=solver).fit(dX, y),  # noqa: B023
                           1 if solver != "newton" else args.repeat)
        theirs = np.r_[np.atleast_1d(m.intercept_), np.ravel(m.coef_)]
        print(f"  dask-ml LogisticRegression({solver!r:9}) {t:8.3f} s   "
              f"{t / t_ours:5.2f} x ours; max |coef - MLE| = "
              f"{np.max(np.abs(theirs - ours)):.1e} (no standard errors)")


def out_of_core_case(args):
    """Data ``--ooc-gib`` GiB in a .npy on disk, 2 workers of ``--ooc-limit`` MiB each:
    a logistic regression and a Gaussian fit that re-read the chunks every pass."""
    from distributed import Client, LocalCluster

    from sklearn_mle import GaussianMLE, MLELogisticRegression

    d = args.d
    n = int(args.ooc_gib * 2**30 / (8 * d))
    chunk = 50_000
    with tempfile.TemporaryDirectory() as tmp:
        path, ypath = os.path.join(tmp, "x.npy"), os.path.join(tmp, "y.npy")
        mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, d))
        y = np.empty(n)
        rng = np.random.default_rng(5)
        beta = np.linspace(-1.0, 1.0, d) / np.sqrt(d)
        for s in range(0, n, 1_000_000):  # written in slices: never the whole on the client
            block = rng.normal(size=(min(s + 1_000_000, n) - s, d))
            mm[s:s + block.shape[0]] = block
            y[s:s + block.shape[0]] = (block @ beta + rng.logistic(size=block.shape[0])) > 0
        mm.flush()
        del mm
        np.save(ypath, y[:, None])
        del y
        limit = f"{args.ooc_limit}MiB"
        print(f"\n[out of core] {n:.3g} x {d} = {n * d * 8 / 2**30:.2f} GiB .npy, 2 workers x "
              f"{limit} ({n * d * 8 / 2**20 / (2 * args.ooc_limit):.1f} x the cluster's memory)")
        with LocalCluster(n_workers=2, threads_per_worker=1, memory_limit=limit,
                          dashboard_address=":0") as cluster, Client(cluster) as client:
            client.run(lambda: __import__("sklearn_mle").PoissonMLE().fit(np.ones((2, 1))))
            dX, dy = npy_rows(path, chunk), npy_rows(ypath, chunk)[:, 0]
            _CLOCK["client"] = client
            t0 = clock()
            try:
                est = MLELogisticRegression().fit(dX, dy)
                t1 = clock()
                gm = GaussianMLE(covariance_type="diag").fit(dX)
                t2 = clock()
            except Exception as err:  # noqa: BLE001 - the benchmark reports a failure
                print(f"  FAILED: {type(err).__name__}: {err}")
                return
            print(f"  MLELogisticRegression + SE  {t1 - t0:8.2f} s  ({est.n_iter_} Newton steps, "
                  f"converged={est.converged_}, max SE {np.max(est.bse_):.2e})")
            print(f"  GaussianMLE(diag) + SE      {t2 - t1:8.2f} s  (max SE "
                  f"{np.max(gm.bse_):.2e})")


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
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="cpu: CPU seconds of the client process and the workers")
    parser.add_argument("--no-memory", action="store_true", help="skip the in-memory fits")
    parser.add_argument("--sections", default="dist,wide,dask-ml,ooc",
                        help="comma-separated: dist, wide, dask-ml, ooc")
    parser.add_argument("--dml-rows", type=float, default=1e6)
    parser.add_argument("--dml-solvers", default="newton", help="dask-ml solvers, comma-separated")
    parser.add_argument("--ooc-gib", type=float, default=3.0, help="size of the out-of-core .npy")
    # a worker process holds ~220 MiB before any data (NumPy, SciPy, scikit-learn,
    # distributed): at 300 MiB it pauses at once and never resumes (Dask's memory
    # manager), so the smallest limit that runs is ~450 MiB
    parser.add_argument("--ooc-limit", type=int, default=500, help="MiB per worker (out of core)")
    args = parser.parse_args()
    args.dml_solvers = args.dml_solvers.split(",")
    _CLOCK["kind"] = args.clock
    sections = args.sections.split(",")

    import dask.array as da
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        _CLOCK["client"] = client
        # the workers import the package once, before anything is timed
        client.run(lambda: __import__("sklearn_mle").PoissonMLE().fit(np.ones((2, 1))))
        shapes = [(int(args.rows), 1)] if "dist" in sections else []
        shapes += [(int(args.wide_rows), args.d)] if "wide" in sections else []
        for rows, d in shapes:
            chunk = -(-rows // args.chunks)
            # generated on the workers (a NumPy array given to from_array would travel
            # inside the graph)
            dX = persisted(da.random.default_rng(0).normal(size=(rows, d), chunks=(chunk, d)))
            X = None if args.no_memory else dX.compute()
            args.persisted = True
            run_case("persisted", dX, X, args)
            if args.store:
                with tempfile.TemporaryDirectory() as tmp:
                    path = os.path.join(tmp, "x.npy")
                    np.save(path, dX.compute() if X is None else X)
                    del X
                    X = None
                    args.persisted = False
                    run_case("from .npy, re-read every pass", npy_rows(path, chunk), None,
                             args)
            del dX, X
        if "dask-ml" in sections:
            dask_ml_case(args)
    if "ooc" in sections:
        out_of_core_case(args)


def _read_rows(path, start, stop):
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def npy_rows(path, chunk):
    """A Dask array whose chunks are read from a .npy file by the workers, at every
    pass (nothing persisted: the out-of-core path)."""
    import dask
    import dask.array as da

    mm = np.load(path, mmap_mode="r")
    n, d = mm.shape
    tag = uuid.uuid4().hex  # unique keys: two stores of one run never share a task name
    parts = [da.from_delayed(dask.delayed(_read_rows, pure=True)(path, s, min(s + chunk, n)),
                             shape=(min(s + chunk, n) - s, d), dtype=mm.dtype,
                             name=f"npy-rows-{tag}-{s}")
             for s in range(0, n, chunk)]
    return da.concatenate(parts)


if __name__ == "__main__":
    main()
