"""A/B of the C kernels (``sklearn_mle._native``) against the NumPy paths, whole fits.

The rule of DESIGN.md ("Compiled code"): a kernel stays only where the whole fit of
10**7 rows is at least 2x faster with it than with the best NumPy formulation. Each
case runs in its own process; there the fit with the kernels and the fit with
``sklearn_mle._native.AVAILABLE = False`` (the NumPy path) alternate ``--pairs`` times
(which goes first alternates too), after one warm-up fit of each. The table prints the
medians, the ratio NumPy / kernel and whether the rule keeps the kernel; both fits
must agree (log-likelihood and parameters to rtol 1e-11). Run by hand (not a test),
with the OpenBLAS overrides unset (they slow a current NumPy)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_kernels.py
    python benchmarks/bench_kernels.py --n 1000000 --pairs 5 --cases poisson_f64 bernoulli

Once a kernel is removed its family has only the NumPy path, and its case reads about
1.0 (both arms run the same code); ``benchmarks/KERNELS.md`` keeps the figures taken
before the removal.
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

CASES = {
    # name: (label, estimator, data)
    "poisson_f64": ("PoissonMLE, float64", "PoissonMLE()", "poisson"),
    "poisson_i64": ("PoissonMLE, int64", "PoissonMLE()", "poisson_int"),
    "bernoulli": ("BernoulliMLE", "BernoulliMLE()", "bernoulli"),
    "binomial": ("BinomialMLE(n_trials=10)", "BinomialMLE(n_trials=10)", "binomial"),
    "geometric": ("GeometricMLE", "GeometricMLE()", "geometric"),
    "exponential": ("ExponentialMLE", "ExponentialMLE()", "exponential"),
    "gaussian_diag": ("GaussianMLE diag, 1 column", "GaussianMLE(covariance_type='diag')",
                      "normal"),
    "gaussian_diag2": ("GaussianMLE diag, 2 columns",
                       "GaussianMLE(covariance_type='diag')", "normal2"),
    "gaussian_full": ("GaussianMLE full, 1 column", "GaussianMLE(covariance_type='full')",
                      "normal"),
    "lognormal": ("LogNormalMLE", "LogNormalMLE()", "lognormal"),
    "gamma": ("GammaMLE", "GammaMLE()", "gamma"),
    "categorical": ("CategoricalMLE, 6 labels", "CategoricalMLE()", "labels"),
}


def _data(kind, n):
    rng = np.random.default_rng(0)
    return {
        "poisson": lambda: rng.poisson(4.0, (n, 1)).astype(np.float64),
        "poisson_int": lambda: rng.poisson(4.0, (n, 1)).astype(np.int64),
        "bernoulli": lambda: (rng.random((n, 1)) < 0.3).astype(np.float64),
        "binomial": lambda: rng.binomial(10, 0.3, (n, 1)).astype(np.float64),
        "geometric": lambda: rng.geometric(0.2, (n, 1)).astype(np.float64),
        "exponential": lambda: rng.exponential(2.0, (n, 1)),
        "normal": lambda: rng.normal(3.0, 2.0, (n, 1)),
        "normal2": lambda: rng.normal([3.0, -1.0], [2.0, 0.5], (n, 2)),
        "lognormal": lambda: rng.lognormal(1.0, 0.5, (n, 1)),
        "gamma": lambda: rng.gamma(2.5, 1.5, (n, 1)),
        "labels": lambda: rng.integers(0, 6, (n, 1)).astype(np.float64),
    }[kind]()


def _estimator(m, spec):
    name, _, arg = spec.partition("(")
    kwargs = {"n_trials": 10} if "n_trials" in arg else {}
    if "covariance_type" in arg:
        kwargs["covariance_type"] = arg.split("'")[1]
    return getattr(m, name)(**kwargs)


def _numbers(est):
    if hasattr(est, "probabilities_"):
        params = np.concatenate([np.ravel(p) for p in est.probabilities_])
    else:
        params = np.concatenate([np.ravel(v) for v in est.params_.values()])
    return np.concatenate([params, [est.loglik_]])


def worker(case, n, pairs):
    """Run one case in this process; print a JSON line of the timings (seconds)."""
    import sklearn_mle
    from sklearn_mle import _native as native

    warnings.simplefilter("ignore")
    _, spec, kind = CASES[case]
    X = _data(kind, n)
    built = native.AVAILABLE

    def fit(kernels):
        native.AVAILABLE = built and kernels
        est = _estimator(sklearn_mle, spec)  # a fresh one per fit
        t = time.perf_counter()
        est.fit(X)
        dt = time.perf_counter() - t
        native.AVAILABLE = built
        return dt, est

    _, a = fit(True)  # warm-up (imports, the thread pool, tables), and the check
    _, b = fit(False)
    agree = bool(np.allclose(_numbers(a), _numbers(b), rtol=1e-11, atol=0))
    times = {"kernel": [], "numpy": []}
    for i in range(pairs):
        for kernels in ((True, False) if i % 2 == 0 else (False, True)):
            times["kernel" if kernels else "numpy"].append(fit(kernels)[0])
    print(json.dumps({"case": case, "built": built, "agree": agree, **times}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000, help="rows (default 10**7)")
    parser.add_argument("--pairs", type=int, default=7, help="A/B pairs per case (>= 5)")
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.n, args.pairs)
        return
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    print(f"n = {args.n:,} rows, {args.pairs} interleaved pairs per case, medians; "
          "ratio = NumPy / kernel; kept: ratio >= 2")
    header = f"{'case':<30} {'kernel ms':>10} {'NumPy ms':>10} {'ratio':>7}  kept  agree"
    print(header)
    print("-" * len(header))
    for case in args.cases:
        out = subprocess.run(
            [sys.executable, __file__, "--worker", case, "--n", str(args.n),
             "--pairs", str(args.pairs)],
            env=env, capture_output=True, text=True, check=True,
        ).stdout.strip().splitlines()[-1]
        r = json.loads(out)
        if not r["built"]:
            print("the C kernels are not built: nothing to compare")
            return
        k, p = np.median(r["kernel"]) * 1e3, np.median(r["numpy"]) * 1e3
        ratio = p / k
        print(f"{CASES[case][0]:<30} {k:>10.1f} {p:>10.1f} {ratio:>7.2f}  "
              f"{'yes' if ratio >= 2 else 'no':<4}  {'yes' if r['agree'] else 'NO'}",
              flush=True)


if __name__ == "__main__":
    main()
