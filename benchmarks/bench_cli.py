"""Wall time of ``sklearn-mle fit`` on a 10^6-row column, and of bootstrap goodness of fit.

Run from the repository root (the machine is shared and noisy: pairs of runs, medians)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_cli.py [--rows 1000000]

Prints the interpreter start with a fit's imports (and with ``import sklearn_mle.cli``
alone, all ``--help`` needs), then, for a positive continuous
column (every default family: Gaussian, StudentT, Exponential, Gamma, LogNormal,
Weibull) and a count column (Poisson, NegativeBinomial): the whole command in a fresh
interpreter (imports, pandas read, fits, table), the command after the imports
(in-process ``main``), the pandas read alone, and the old pure-Python reader (and,
with ``--shifted``, the in-process command with the threshold variants); then
``goodness_of_fit`` with ``n_boot=200`` on 10^4 rows for each continuous family (with
``--shifted`` also the three threshold families, whose replicates refit warm-started
and, for comparison, from scratch).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np


def _write(path, values, name):
    with open(path, "w") as fh:
        fh.write(f"{name}\n")
        np.savetxt(fh, values, fmt="%.10g")


def _children_cpu():
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def _cli_seconds(path, repeats):
    """Wall and CPU (user + system of the child process) seconds of each run."""
    times, cpus = [], []
    for _ in range(repeats):
        c0 = _children_cpu()
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "sklearn_mle.cli", "fit", path],
                              capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        cpus.append(_children_cpu() - c0)
        if proc.returncode != 0:
            raise SystemExit(proc.stderr)
    return times, cpus


#: what a fit imports (the command imports them when it runs, so --help does not)
_FIT_IMPORTS = ("import pandas, sklearn_mle.cli, sklearn_mle.distributions; "
                "from sklearn_mle.model_selection import rank_distributions, format_ranking")


def _import_seconds(repeats, code=_FIT_IMPORTS):
    times, cpus = [], []
    for _ in range(repeats):
        c0 = _children_cpu()
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - t0)
        cpus.append(_children_cpu() - c0)
    return statistics.median(times), statistics.median(cpus)


def _in_process_seconds(path, repeats, extra=()):
    import contextlib
    import io

    from sklearn_mle.cli import main

    times, cpus = [], []
    for _ in range(repeats):
        c0 = time.process_time()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            main(["fit", path, *extra])
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(times), statistics.median(cpus)


class _Cold:
    """A fitted ShiftedMLE seen without its warm_start parameter (goodness_of_fit then
    refits clones, each searching the threshold from scratch)."""

    def __init__(self, est):
        self.est = est

    def __getattr__(self, name):
        return getattr(self.est, name)

    def __sklearn_is_fitted__(self):
        return True

    def get_params(self, deep=True):
        params = self.est.get_params(deep=deep)
        params.pop("warm_start")
        return params

    def __sklearn_clone__(self):
        from sklearn.base import clone

        return clone(self.est)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10**6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gof-rows", type=int, default=10**4)
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--skip-gof", action="store_true")
    parser.add_argument("--shifted", action="store_true",
                        help="also time --shifted (the threshold variants) once")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    from sklearn_mle.cli import read_columns
    from sklearn_mle.datasets import read_csv_columns

    with tempfile.TemporaryDirectory() as tmp:
        cases = {
            "positive continuous": rng.gamma(2.0, 3.0, size=args.rows),
            "counts": rng.negative_binomial(3, 0.4, size=args.rows).astype(float),
        }
        t_imp, cpu_imp = _import_seconds(args.repeats)
        t_help, cpu_help = _import_seconds(args.repeats, "import sklearn_mle.cli")
        print(f"sklearn-mle fit on a {args.rows}-row column (median of {args.repeats}); "
              f"interpreter start + a fit's imports: {t_imp:.2f} s wall, {cpu_imp:.2f} s "
              f"CPU (the floor, import sklearn.base + pandas, is most of it); import "
              f"sklearn_mle.cli alone (--help): {t_help:.2f} s wall, {cpu_help:.2f} s CPU")
        for label, values in cases.items():
            path = os.path.join(tmp, "col.csv")
            _write(path, values, "x")
            t, cpu = _cli_seconds(path, args.repeats)
            t_in, cpu_in = _in_process_seconds(path, args.repeats)
            t0 = time.perf_counter()
            read_columns(path)
            t_read = time.perf_counter() - t0
            t0 = time.perf_counter()
            read_csv_columns(path)
            t_old = time.perf_counter() - t0
            print(f"  {label:<20} command {statistics.median(t):6.2f} s wall, "
                  f"{statistics.median(cpu):.2f} s CPU (runs "
                  f"{', '.join(f'{v:.2f}' for v in t)}); after imports {t_in:.2f} s wall, "
                  f"{cpu_in:.2f} s CPU; pandas read {t_read:.2f} s, old pure-Python "
                  f"reader {t_old:.2f} s")
            if label == "positive continuous" and args.shifted:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t_sh, cpu_sh = _in_process_seconds(path, 1, ["--shifted"])
                print(f"  {'  with --shifted':<20} after imports {t_sh:.2f} s wall, "
                      f"{cpu_sh:.2f} s CPU (three more families, each a profile search)")
    if args.skip_gof:
        return
    from sklearn_mle import (
        ExponentialMLE,
        GammaMLE,
        GaussianMLE,
        LogNormalMLE,
        ShiftedMLE,
        StudentTMLE,
        WeibullMLE,
    )
    from sklearn_mle.model_selection import goodness_of_fit

    x = rng.gamma(2.0, 3.0, size=(args.gof_rows, 1))
    print(f"goodness_of_fit, n_boot={args.n_boot}, {args.gof_rows} rows (wall s, CPU s)")
    total = total_cpu = 0.0
    for est in (GaussianMLE(covariance_type="diag"), StudentTMLE(), ExponentialMLE(),
                GammaMLE(), LogNormalMLE(), WeibullMLE()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(x)
            c0 = time.process_time()
            t0 = time.perf_counter()
            goodness_of_fit(est, x, n_boot=args.n_boot, random_state=0)
            dt = time.perf_counter() - t0
            dc = time.process_time() - c0
        total += dt
        total_cpu += dc
        print(f"  {type(est).__name__:<16} {dt:6.2f} s  {dc:6.2f} s CPU")
    print(f"  all six families   {total:6.2f} s  {total_cpu:6.2f} s CPU")
    if not args.shifted:
        return
    x = 5.0 + x  # a threshold to find
    for base in (GammaMLE(), LogNormalMLE(), WeibullMLE()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = ShiftedMLE(base).fit(x)
            line = []
            for warm in (True, False):
                # goodness_of_fit warm-starts estimators with a warm_start parameter:
                # the from-scratch path is timed through a stand-in without one
                fitted = est if warm else _Cold(est)
                c0 = time.process_time()
                t0 = time.perf_counter()
                goodness_of_fit(fitted, x, n_boot=args.n_boot, random_state=0)
                line.append((time.perf_counter() - t0, time.process_time() - c0))
        (tw, cw), (tc, cc) = line
        print(f"  Shifted{type(base).__name__:<9} {tw:6.2f} s  {cw:6.2f} s CPU warm-started; "
              f"from scratch {tc:.2f} s, {cc:.2f} s CPU ({cc / cw:.1f}x)")


if __name__ == "__main__":
    main()
