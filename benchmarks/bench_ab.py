"""A/B benchmark of two checkouts of sklearn_mle on the engine issue's cases (not a test).

Each case runs in a fresh process per checkout, alternating A and B ``--pairs`` times;
every run reports the median of ``--repeat`` fits, and the table prints the median
over the pairs and the ratio A / B (above 1: B is faster). Reference timings of
scikit-learn are taken in the B process. Run by hand, with the OpenBLAS overrides
unset (they slow a current NumPy)::

    git worktree add /tmp/before <commit>
    pip install --no-deps --target /tmp/before_site /tmp/before   # its own extension
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        python benchmarks/bench_ab.py --a /tmp/before_site --b . --pairs 3

``--cpu`` measures every fit on one thread (``threadpool_limits(1)``, ``n_jobs=1``
where an estimator takes it) by process CPU time instead of wall time: a comparison
of the work done that a machine shared with other jobs barely disturbs (wall times of
threaded BLAS there mostly measure waits for descheduled threads).

Cases: ``mixture_poisson`` (MixtureMLE(PoissonMLE()), 10**6 rows, k = 3, 30 EM
iterations), ``mixture_gauss_diag`` (MixtureMLE(GaussianMLE("diag")), d = 16, k = 8,
200 000 rows, 10 iterations from k-means; the reference is this package's GaussianMixture),
``gmm_full`` (GaussianMixture full, d = 16, k = 8, 200 000 rows, 20
iterations), ``logit_small`` (logistic with standard errors, n = 10**4, d = 50),
``logit_mid`` (n = 10**5, d = 10), ``logit_large`` (n = 5 * 10**5, d = 50),
``multinomial`` (K = 5, n = 200 000, d = 20; the reference is the faster of sklearn's
lbfgs and newton-cholesky), ``studentt`` and ``weibull`` (StudentTMLE and WeibullMLE
with standard errors on 10**7 rows, one column; no reference).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np

_CLOCK = time.perf_counter


def _median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t = _CLOCK()
        fn()
        times.append(_CLOCK() - t)
    return float(np.median(times))


def _case(name, repeat, reference, jobs=None):
    """Run one case in this process: (our seconds, reference seconds or None)."""
    import sklearn_mle as m

    rng = np.random.default_rng(0)
    warnings.simplefilter("ignore")
    ref = None
    if name == "mixture_poisson":
        X = np.concatenate([rng.poisson(2, 400_000), rng.poisson(8, 300_000),
                            rng.poisson(20, 300_000)])[:, None].astype(float)
        ours = _median_time(lambda: m.MixtureMLE(m.PoissonMLE(), 3, random_state=0,
                                                 max_iter=30, tol=0.0).fit(X), repeat)
    elif name == "mixture_gauss_diag":
        centres = rng.normal(scale=4, size=(8, 16))
        X = centres[rng.integers(0, 8, 200_000)] + rng.normal(size=(200_000, 16))
        ours = _median_time(lambda: m.MixtureMLE(m.GaussianMLE(covariance_type="diag"), 8,
                                                 random_state=0, max_iter=10, tol=0.0,
                                                 init_params="kmeans").fit(X),
                            repeat)
        if reference:
            ref = _median_time(lambda: m.GaussianMixture(8, covariance_type="diag",
                                                         random_state=0, max_iter=10, tol=0.0,
                                                         init_params="kmeans").fit(X),
                               repeat)
    elif name == "gmm_full":
        centres = rng.normal(scale=4, size=(8, 16))
        X = centres[rng.integers(0, 8, 200_000)] + rng.normal(size=(200_000, 16))
        ours = _median_time(lambda: m.GaussianMixture(8, random_state=0, max_iter=20, tol=0.0,
                                                      init_params="random_from_data").fit(X),
                            repeat)
        if reference:
            from sklearn.mixture import GaussianMixture

            ref = _median_time(lambda: GaussianMixture(8, random_state=0, max_iter=20, tol=0.0,
                                                       init_params="random_from_data").fit(X),
                               repeat)
    elif name in ("studentt", "weibull"):
        # 10**7 rows, one column (the engine issue: StudentT 8-14 s and 686 MiB, Weibull
        # with a full-size temporary); the fit with its standard errors
        est = m.StudentTMLE if name == "studentt" else m.WeibullMLE
        x = (1.5 + 2.0 * rng.standard_t(4.0, 10**7) if name == "studentt"
             else 3.0 * rng.weibull(1.7, 10**7))[:, None]
        ours = _median_time(lambda: est().fit(x).bse_, repeat)
    elif name.startswith("logit") or name == "multinomial":
        n, d, k = {"logit_small": (10_000, 50, 2), "logit_mid": (100_000, 10, 2),
                   "logit_large": (500_000, 50, 2), "multinomial": (200_000, 20, 5)}[name]
        X = rng.normal(size=(n, d))
        beta = rng.normal(scale=0.3, size=(d, k))
        y = (X @ beta + rng.gumbel(size=(n, k))).argmax(axis=1)

        def fit():
            est = m.MLELogisticRegression(n_jobs=jobs).fit(X, y)
            return est.bse_

        ours = _median_time(fit, repeat)
        if reference:
            from sklearn.linear_model import LogisticRegression

            # sklearn's fastest: newton-cholesky for binary; for the multinomial the
            # faster of lbfgs and newton-cholesky (lbfgs on these cases)
            solvers = ["newton-cholesky"] if k == 2 else ["lbfgs", "newton-cholesky"]
            ref = min(_median_time(lambda s=s: LogisticRegression(
                C=np.inf, solver=s, max_iter=1000).fit(X, y), repeat) for s in solvers)
    else:
        raise SystemExit(f"unknown case {name}")
    return ours, ref


CASES = ["mixture_poisson", "mixture_gauss_diag", "gmm_full", "logit_small", "logit_mid",
         "logit_large", "multinomial", "studentt", "weibull"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", help="checkout A (before)")
    ap.add_argument("--b", help="checkout B (after)")
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cases", nargs="*", default=CASES)
    ap.add_argument("--cpu", action="store_true",
                    help="one thread, process CPU time (robust on a shared machine)")
    ap.add_argument("--run", help=argparse.SUPPRESS)  # internal: one case in this process
    ap.add_argument("--reference", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run:
        if args.cpu:
            # load every BLAS first: threadpool_limits limits only the libraries loaded
            # when it is entered (scipy's own OpenBLAS, loaded with scipy.linalg, would
            # otherwise run its threads, and their spinning counts as process time)
            import scipy.linalg  # noqa: F401
            import sklearn.linear_model  # noqa: F401
            from threadpoolctl import threadpool_limits

            import sklearn_mle  # noqa: F401

            global _CLOCK
            _CLOCK = time.process_time
            with threadpool_limits(1):
                print(json.dumps(_case(args.run, args.repeat, args.reference, jobs=1)))
            return
        print(json.dumps(_case(args.run, args.repeat, args.reference)))
        return
    rows = []
    for case in args.cases:
        a_t, b_t, refs = [], [], []
        for _ in range(args.pairs):
            for tree, out in ((args.a, a_t), (args.b, b_t)):
                env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
                cmd = [sys.executable, __file__, "--run", case, "--repeat", str(args.repeat)]
                if tree == args.b:
                    cmd.append("--reference")
                if args.cpu:
                    cmd.append("--cpu")
                res = json.loads(subprocess.run(cmd, env=env, capture_output=True, text=True,
                                                check=True).stdout.strip().splitlines()[-1])
                out.append(res[0])
                if res[1] is not None:
                    refs.append(res[1])
        a, b = float(np.median(a_t)), float(np.median(b_t))
        ref = float(np.median(refs)) if refs else float("nan")
        rows.append((case, a, b, a / b, ref, ref / b))
        print(f"{case:16s} A {a:8.4f} s  B {b:8.4f} s  A/B {a / b:5.2f}   "
              f"sklearn {ref:8.4f} s  sklearn/B {ref / b:5.2f}", flush=True)


if __name__ == "__main__":
    main()
