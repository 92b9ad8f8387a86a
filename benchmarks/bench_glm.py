"""Benchmark: logistic and Poisson regression fits, n = 500 000, d = 50 (not a test).

Times a full fit INCLUDING standard errors for this package, against scikit-learn
(``lbfgs`` and ``newton-cholesky``, which give no standard errors), statsmodels
(Newton, with ``bse`` evaluated) and glum when installed. Prints the median of
``--repeat`` runs, the ratio of each competitor's time to ours, the peak extra memory
(tracemalloc: numpy's allocations, not BLAS scratch) and the log-likelihood of every
fit, which must agree. Also times the Hessian product alone: ``X.T @ (w * X)`` in one
piece against our blocked syrk on 1 and 2 threads.

``--cases`` instead times the issue's cases as interleaved A/B pairs (ours, then each
sklearn solver, per repeat) and prints the median time and the median of the per-pair
ratios: logistic with standard errors at n=10^4, d=50 and n=10^5, d=10, and the
multinomial logistic (K=5, n=200000, d=20).

Run by hand::

    python benchmarks/bench_glm.py --cases --repeat 7   # the issue's ratio table
    python benchmarks/bench_glm.py                 # n=500000, d=50, 3 repeats
    python benchmarks/bench_glm.py --n 100000 --repeat 1
    python benchmarks/bench_glm.py --blas-threads 1   # busy machine: no oversubscription
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np
from scipy import special
from threadpoolctl import threadpool_limits


def make_data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    corr = 0.5 ** np.abs(np.subtract.outer(np.arange(d), np.arange(d)))
    X = rng.standard_normal((n, d)) @ np.linalg.cholesky(corr).T
    beta = rng.normal(scale=0.5 / np.sqrt(d), size=d)
    eta = X @ beta
    y_bin = (rng.random(n) < special.expit(eta - 0.5)).astype(np.float64)
    y_cnt = rng.poisson(np.exp(0.3 + 0.5 * eta)).astype(np.float64)
    return np.ascontiguousarray(X), y_bin, y_cnt


def measure(fn, repeat):
    times, peaks, out = [], [], None
    for _ in range(repeat):
        tracemalloc.start()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    return float(np.median(times)), float(np.median(peaks)), out


def loglik_binary(X, y, coef, intercept):
    eta = X @ coef + intercept
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)))


def loglik_poisson(X, y, coef, intercept):
    eta = X @ coef + intercept
    return float(np.sum(y * eta - np.exp(eta) - special.gammaln(y + 1)))


def competitors(kind, X, y):
    from sklearn.linear_model import LogisticRegression, PoissonRegressor

    from sklearn_mle import MLELogisticRegression, MLEPoissonRegression

    ll = loglik_binary if kind == "logistic" else loglik_poisson
    out = {}

    for n_jobs in (None, 1):
        def ours(n_jobs=n_jobs):
            cls = MLELogisticRegression if kind == "logistic" else MLEPoissonRegression
            m = cls(n_jobs=n_jobs).fit(X, y)
            assert np.all(np.isfinite(m.bse_))
            return ll(X, y, np.ravel(m.coef_), float(np.ravel(m.intercept_)[0]))

        out["sklearn_mle newton (+SE)" + (", 1 thread" if n_jobs == 1 else "")] = ours

    for solver in ("lbfgs", "newton-cholesky"):
        def sk(solver=solver):
            if kind == "logistic":
                m = LogisticRegression(C=np.inf, solver=solver, tol=1e-8, max_iter=1000)
            else:
                m = PoissonRegressor(alpha=0.0, solver=solver, tol=1e-8, max_iter=1000)
            m.fit(X, y)
            return ll(X, y, np.ravel(m.coef_), float(np.ravel(m.intercept_)[0]))

        out[f"sklearn {solver}"] = sk

    try:
        import statsmodels.api as sm

        def smfit():
            A = sm.add_constant(X)
            model = sm.Logit(y, A) if kind == "logistic" else sm.Poisson(y, A)
            r = model.fit(disp=0, method="newton", tol=1e-8)
            assert np.all(np.isfinite(r.bse))
            return float(r.llf)

        out["statsmodels newton (+SE)"] = smfit
    except ImportError:  # pragma: no cover
        pass

    try:
        import glum

        def glumfit():
            fam = "binomial" if kind == "logistic" else "poisson"
            m = glum.GeneralizedLinearRegressor(family=fam, alpha=0, gradient_tol=1e-8)
            m.fit(X, y)
            return ll(X, y, m.coef_, float(m.intercept_))

        out["glum irls-cd"] = glumfit
    except ImportError:
        print("(glum not installed: skipped)")
    return out


def bench_hessian(X, repeat):
    from sklearn_mle.linear_model._family import Binomial
    from sklearn_mle.linear_model._newton import GLMProblem

    n, d = X.shape
    h = np.random.default_rng(1).uniform(0.05, 0.25, n)
    print(f"\nHessian product X'WX alone (n={n}, d={d}), median of {repeat}:")

    def naive():
        return X.T @ (h[:, None] * X)

    t_naive, m_naive, H0 = measure(naive, repeat)
    print(f"  {'numpy X.T @ (w*X), BLAS threads':36s} {t_naive:7.3f} s  {m_naive:7.1f} MiB")
    for threads in (1, 2):
        prob = GLMProblem(X, np.zeros((n, 1)), np.ones(n), None, Binomial(), False,
                          n_jobs=threads)
        prob.value(np.zeros((1, d)), np.zeros((n, 1)))  # a state to build the Hessian at
        t, mem, H = measure(prob.hessian, repeat)
        ref = X.T @ (0.25 * X)  # the Binomial weights at eta = 0
        err = np.max(np.abs(H - ref)) / np.max(np.abs(ref))
        print(f"  {f'blocked syrk, {threads} thread(s)':36s} {t:7.3f} s  {mem:7.1f} MiB  "
              f"(x{t_naive / t:.2f} vs numpy; max rel diff {err:.1e})")


def make_multinomial(n, d, k, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    B = rng.normal(scale=0.5 / np.sqrt(d), size=(d, k))
    logits = X @ B
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    y = (p.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    return X, y


def ratio_cases(repeat):
    """The issue's cases, ours against sklearn's solvers in interleaved A/B pairs."""
    from sklearn.linear_model import LogisticRegression

    from sklearn_mle import MLELogisticRegression

    cases = []
    for n, d in ((10_000, 50), (100_000, 10)):
        X, y, _ = make_data(n, d)
        cases.append((f"logistic +SE n={n}, d={d}", X, y))
    X, y = make_multinomial(200_000, 20, 5)
    cases.append(("multinomial K=5 n=200000, d=20", X, y))
    print(f"A/B pairs, median of {repeat}; ratio = sklearn time / ours (>1: we are faster)")
    for name, X, y in cases:
        def ours(X=X, y=y):
            m = MLELogisticRegression().fit(X, y)
            assert np.all(np.isfinite(m.bse_))
            return m.loglik_

        def sk(solver, X=X, y=y):
            def fit():
                m = LogisticRegression(C=np.inf, solver=solver, tol=1e-8, max_iter=1000)
                m.fit(X, y)
                logp = m.predict_log_proba(X)
                return float(logp[np.arange(len(y)), np.searchsorted(m.classes_, y)].sum())
            return fit

        rivals = {s: sk(s) for s in ("lbfgs", "newton-cholesky")}
        ours()  # warm-up: imports, thread pool, BLAS
        times = {"ours": []} | {s: [] for s in rivals}
        lls = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(repeat):
                for key, fn in (("ours", ours), *rivals.items()):
                    t0 = time.perf_counter()
                    lls[key] = fn()
                    times[key].append(time.perf_counter() - t0)
        ours_t = np.array(times["ours"])
        print(f"\n  {name}: ours {np.median(ours_t):.4f} s (loglik {lls['ours']:.6f})")
        for s in rivals:
            t = np.array(times[s])
            print(f"    sklearn {s:16s} {np.median(t):.4f} s  ratio {np.median(t / ours_t):5.2f}x"
                  f"  (loglik diff {lls[s] - lls['ours']:+.1e})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500_000)
    ap.add_argument("--d", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-statsmodels", action="store_true")
    ap.add_argument("--cases", action="store_true",
                    help="only the issue's ratio cases (A/B pairs against sklearn)")
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="limit BLAS threads for every fit (fair on a busy machine)")
    args = ap.parse_args()
    if args.blas_threads is not None:
        threadpool_limits(limits=args.blas_threads, user_api="blas")
        print(f"BLAS limited to {args.blas_threads} thread(s) for all fits")
    if args.cases:
        ratio_cases(args.repeat)
        return
    X, y_bin, y_cnt = make_data(args.n, args.d)
    print(f"n={args.n}, d={args.d}, dense float64 (X = {X.nbytes / 2**20:.0f} MiB), "
          f"AR(1) correlation 0.5; median of {args.repeat}")
    for kind, y in (("logistic", y_bin), ("poisson", y_cnt)):
        print(f"\n== {kind} ==")
        fns = competitors(kind, X, y)
        if args.skip_statsmodels:
            fns.pop("statsmodels newton (+SE)", None)
        results = {}
        for name, fn in fns.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results[name] = measure(fn, args.repeat)
        ours_t, _, ours_ll = results["sklearn_mle newton (+SE)"]
        print(f"  {'fit':30s} {'time':>8s} {'ratio':>7s} {'peak MiB':>9s} {'log-lik':>18s}")
        for name, (t, mem, ll) in results.items():
            print(f"  {name:30s} {t:7.3f}s {t / ours_t:6.2f}x {mem:9.1f} {ll:18.6f}"
                  f"  (diff {ll - ours_ll:+.2e})")
    bench_hessian(X, args.repeat)


if __name__ == "__main__":
    main()
