"""Benchmark: sklearn_mle.GaussianMixture against sklearn.mixture.GaussianMixture.

One run, same data and same initial weights/means/precisions for both, a fixed
number of EM iterations (``tol=0``). Prints seconds per iteration, the speed-up
ratio, peak memory (tracemalloc: numpy allocations, on a separate 2-iteration run)
and the agreement of the final log-likelihoods. Run by hand::

    python benchmarks/bench_mixture.py            # n=200000, k=8, 100 iterations
    python benchmarks/bench_mixture.py --n 50000 --iters 10   # quick look
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGM

from sklearn_mle import GaussianMixture


def make_data(n, k, d, dtype, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, d)) * 4.0
    labels = rng.integers(k, size=n)
    scales = rng.uniform(0.5, 1.5, size=(k, d))
    X = centres[labels] + rng.standard_normal((n, d)) * scales[labels]
    return X.astype(dtype)


def initial_params(X, k, covariance_type):
    # a short sklearn fit on a subsample: the common starting point of both
    init = SkGM(k, covariance_type=covariance_type, max_iter=2, random_state=0,
                init_params="random_from_data")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        init.fit(X[:5000].astype(np.float64))
    return init.weights_, init.means_, init.precisions_


def run(cls, X, k, covariance_type, init, iters, repeat=1):
    """Seconds per EM iteration (untraced run) and peak MiB (a traced 2-iteration run).

    tracemalloc slows every allocation, so it is kept out of the timed run; the peak
    of one iteration does not grow with the number of iterations.
    """
    w, m, p = init

    def make(n_iter):
        return cls(k, covariance_type=covariance_type, max_iter=n_iter, tol=0.0,
                   weights_init=w, means_init=m, precisions_init=p)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        times = []
        for _ in range(repeat):
            est = make(iters)
            t0 = time.perf_counter()
            est.fit(X)
            times.append(time.perf_counter() - t0)
        elapsed = float(np.median(times))
        tracemalloc.start()
        make(2).fit(X)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return est, elapsed / (iters + 1), peak / 2**20  # +1: the final E-step


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=1, help="timed fits per case (median)")
    ap.add_argument("--cases", nargs="+", default=None,
                    help="subset of cases by name, e.g. 'diag d=16 float64'")
    args = ap.parse_args()
    cases = [("full", 16, np.float64), ("diag", 16, np.float64), ("full", 64, np.float64),
             ("full", 16, np.float32), ("diag", 16, np.float32)]
    if args.cases:
        cases = [c for c in cases if f"{c[0]} d={c[1]} {np.dtype(c[2]).name}" in args.cases]
    print(f"n={args.n} k={args.k} iterations={args.iters}")
    header = (f"{'case':<22}{'sklearn s/it':>13}{'ours s/it':>11}{'speed-up':>10}"
              f"{'sk peak MiB':>13}{'our peak MiB':>14}{'|dLL|/|LL|':>12}")
    print(header)
    print("-" * len(header))
    for ct, d, dtype in cases:
        X = make_data(args.n, args.k, d, dtype)
        init = initial_params(X, args.k, ct)
        sk, t_sk, m_sk = run(SkGM, X, args.k, ct, init, args.iters, args.repeat)
        ours, t_ours, m_ours = run(GaussianMixture, X, args.k, ct, init, args.iters, args.repeat)
        ll_sk = sk.score(X) * X.shape[0]
        ll_ours = ours.score(X) * X.shape[0]
        rel = abs(ll_sk - ll_ours) / abs(ll_sk)
        name = f"{ct} d={d} {np.dtype(dtype).name}"
        print(f"{name:<22}{t_sk:>13.4f}{t_ours:>11.4f}{t_sk / t_ours:>9.2f}x"
              f"{m_sk:>13.1f}{m_ours:>14.1f}{rel:>12.1e}")
        assert ours.means_.dtype == dtype


if __name__ == "__main__":
    main()
