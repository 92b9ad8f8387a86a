"""Fit time and peak memory of the distribution estimators against scipy and numpy.

Run by hand (never part of the test suite)::

    python benchmarks/bench_distributions.py            # 10**7 rows (package importable:
                                                        # pip install -e . or PYTHONPATH=.)
    python benchmarks/bench_distributions.py --n 1000000 --skip-default
    python benchmarks/bench_distributions.py --n 50000000 --closed-only  # 400 MB a column

One column of ``n`` rows per family. Every timing is the median of ``--repeat`` runs
(scipy's default fits, which also estimate a location, are run once: they take
minutes at 10**7 rows). Peak memory is the tracemalloc peak of one run, in units of
the data size (``n * 8`` bytes): a fit without a full-size temporary stays well below 1.

The floor is one pass over the data: ``x.sum()`` (NumPy's single-threaded pairwise
sum), timed next to each family; ``np.dot(x, x)`` (BLAS, threaded) is printed too.
Goals:

- closed-form fits within 2.5x of one pass (LogNormal also needs ``log`` of every
  value: its reference is one ``np.log`` pass);
- Gamma and Weibull at least 100x faster than scipy's default ``fit`` and no slower
  than ``fit(floc=0)``, with an equal or better log-likelihood.

Whether the C kernels are built is printed first (``sklearn_mle._native.AVAILABLE``);
without them the NumPy paths run (benchmarks/KERNELS.md gives the ratios).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np
from scipy import stats
from sklearn.base import clone

from sklearn_mle import (
    BernoulliMLE,
    BinomialMLE,
    CategoricalMLE,
    ExponentialMLE,
    GammaMLE,
    GaussianMLE,
    GeometricMLE,
    LogNormalMLE,
    PoissonMLE,
    WeibullMLE,
)
from sklearn_mle import _native as native


def measure(fn, repeat):
    """(median seconds, peak bytes of the first run, result of the last run)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    out = fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    fn()  # warm: the traced run above is slower
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), peak, out


def measure_against(fn, floor_fn, repeat):
    """Like :func:`measure`, timing ``floor_fn`` right before each run of ``fn``.

    Returns (median ratio fn / floor, median seconds, peak bytes, result): the ratio of
    back-to-back pairs is robust to the machine's speed drifting between runs.
    """
    _, peak, out = measure(fn, 0)
    ratios, times = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        floor_fn()
        t1 = time.perf_counter()
        out = fn()
        t2 = time.perf_counter()
        ratios.append((t2 - t1) / (t1 - t0))
        times.append(t2 - t1)
    return float(np.median(ratios)), float(np.median(times)), peak, out


def row(label, sec, peak, nbytes, floor, loglik=None, ref=None):
    ratio = f"{sec / floor:8.2f}x floor" if floor else " " * 15
    vs = f"{ref / sec:9.1f}x faster" if ref else ""
    ll = f"loglik {loglik: .10e}" if loglik is not None else ""
    print(f"  {label:<34s} {sec * 1e3:10.1f} ms {ratio}  mem {peak / nbytes:5.2f}x  {ll} {vs}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**7, help="rows (default 10**7)")
    parser.add_argument("--repeat", type=int, default=9, help="timed runs per fit (median)")
    parser.add_argument("--skip-default", action="store_true",
                        help="skip scipy's default (location-estimating) fits")
    parser.add_argument("--closed-only", action="store_true",
                        help="only the closed-form families (skip Gamma and Weibull)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n, rep = args.n, args.repeat
    rng = np.random.default_rng(args.seed)
    nbytes = n * 8
    warnings.simplefilter("ignore")
    print(f"n = {n:,} rows, one column; median of {rep} runs; memory = tracemalloc peak / "
          f"data size ({nbytes / 2**20:.0f} MiB)")


    # ------------------------------------------------------ closed form
    print(f"C kernels built: {native.AVAILABLE}")

    def floor_of(flat):
        sec, _, _ = measure(lambda: flat.sum(), rep)
        return sec

    closed = [
        ("Gaussian (diag), N(3, 2^2)", GaussianMLE(covariance_type="diag"),
         rng.normal(3.0, 2.0, size=(n, 1))),
        ("Gaussian (full, one column)", GaussianMLE(), rng.normal(3.0, 2.0, size=(n, 1))),
        ("Poisson(4) counts (float64)", PoissonMLE(),
         rng.poisson(4.0, size=(n, 1)).astype(np.float64)),
        ("Poisson(4) counts (int64)", PoissonMLE(), rng.poisson(4.0, size=(n, 1))),
        ("Bernoulli(0.3) (float64)", BernoulliMLE(),
         (rng.random((n, 1)) < 0.3).astype(np.float64)),
        ("Binomial(10, 0.3) (float64)", BinomialMLE(n_trials=10),
         rng.binomial(10, 0.3, size=(n, 1)).astype(np.float64)),
        ("Geometric(0.3) (float64)", GeometricMLE(),
         rng.geometric(0.3, size=(n, 1)).astype(np.float64)),
        ("Categorical, 6 labels (float64)", CategoricalMLE(),
         rng.integers(1, 7, size=(n, 1)).astype(np.float64)),
        ("Exponential(rate 0.5)", ExponentialMLE(), rng.exponential(2.0, size=(n, 1))),
        ("LogNormal(0, 1)", LogNormalMLE(), rng.lognormal(0.0, 1.0, size=(n, 1))),
    ]
    ratios = []
    for name, est, data in closed:
        flat = data[:, 0]
        floor = floor_of(flat)
        print(f"\n{name}")
        row("one pass: x.sum()", floor, 0, nbytes, floor)
        sec, peak, _ = measure(lambda flat=flat: np.dot(flat, flat), rep)
        row("np.dot(x, x)", sec, peak, nbytes, floor)
        if name.startswith("Gaussian"):
            sec, peak, _ = measure(lambda flat=flat: np.var(flat), rep)
            row("np.var", sec, peak, nbytes, floor)
            sec, peak, (loc, scale) = measure(lambda flat=flat: stats.norm.fit(flat), rep)
            row("scipy.stats.norm.fit", sec, peak, nbytes, floor,
                stats.norm.logpdf(flat, loc, scale).sum())
        if name.startswith("Poisson"):
            sec, peak, _ = measure(lambda flat=flat: flat.mean(), rep)
            row("np.mean", sec, peak, nbytes, floor)
        if name.startswith("LogNormal"):
            sec, peak, _ = measure(lambda flat=flat: np.log(flat), rep)
            row("np.log(x) (reference pass)", sec, peak, nbytes, floor)
        ratio, sec, peak, fitted = measure_against(
            lambda est=est, data=data: clone(est).fit(data), lambda flat=flat: flat.sum(), rep)
        row(f"{type(est).__name__}.fit", sec, peak, nbytes, floor, fitted.loglik_)
        print(f"    fit / x.sum() timed back to back: {ratio:.2f}x (median of {rep} pairs)")
        # the part that grows with n: the statistics pass alone (a private hook)
        ones = np.broadcast_to(1.0, (n,))
        stats_ratio, _, _, _ = measure_against(
            lambda fitted=fitted, data=data, ones=ones: fitted._suff_stats(data, ones),
            lambda flat=flat: flat.sum(), rep)
        print(f"    statistics pass alone / x.sum(): {stats_ratio:.2f}x")
        ratios.append((name, ratio, stats_ratio, peak / nbytes))

    print("\nclosed form, time / one x.sum() pass timed back to back (goal <= 2.5):")
    print(f"  {'':<34s} {'fit':>7s} {'stats':>7s}   peak memory / data")
    for name, ratio, stats_ratio, mem in ratios:
        print(f"  {name:<34s} {ratio:6.2f}x {stats_ratio:6.2f}x   {mem:5.3f}x")
    print("  (fit = the whole fit: validation, statistics, inference, novelty threshold;\n"
          "   stats = the statistics pass alone, the part that grows with n)")

    # ------------------------------------------------------- numerical
    if args.closed_only:
        return
    for name, cls, dist, data in [
        ("Gamma(2.5, scale 1.5)", GammaMLE, stats.gamma, rng.gamma(2.5, 1.5, size=(n, 1))),
        ("Weibull(1.7, scale 3)", WeibullMLE, stats.weibull_min,
         3.0 * rng.weibull(1.7, size=(n, 1))),
    ]:
        flat = data[:, 0]
        print(f"\n{name}")
        floor, peak, _ = measure(lambda flat=flat: (flat.sum(), np.dot(flat, flat)), rep)
        row("one-pass floor: sum + dot", floor, peak, nbytes, floor)
        sec_floc, peak, p = measure(lambda flat=flat, dist=dist: dist.fit(flat, floc=0), rep)
        ll_floc = dist.logpdf(flat, *p).sum()
        row("scipy fit(floc=0)", sec_floc, peak, nbytes, floor, ll_floc)
        sec_def = None
        if not args.skip_default:
            sec_def, peak, p = measure(lambda flat=flat, dist=dist: dist.fit(flat), 1)
            row("scipy fit() (default, 3 params)", sec_def, peak, nbytes, floor,
                dist.logpdf(flat, *p).sum())
        sec, peak, est = measure(lambda data=data, cls=cls: cls().fit(data), rep)
        row(f"{cls.__name__}.fit", sec, peak, nbytes, floor, est.loglik_)
        print(f"    {cls.__name__}: {sec_floc / sec:.2f}x the speed of fit(floc=0)"
              + (f", {sec_def / sec:.0f}x of fit()" if sec_def else "")
              + f"; loglik - floc=0 loglik = {est.loglik_ - ll_floc:+.3e}"
              + f"; n_iter_ = {est.n_iter_}")


if __name__ == "__main__":
    main()
