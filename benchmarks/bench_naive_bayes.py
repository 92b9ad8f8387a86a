"""Naive Bayes here against scikit-learn's, side by side in one run (ratios printed).

n = 10**6 rows, d = 50 columns, 5 classes. For each of GaussianNB, MultinomialNB,
BernoulliNB and CategoricalNB: ``fit`` and ``predict_proba`` of scikit-learn's class
and of its equal here (``GenerativeClassifier`` with the family and the prior that
make the same estimates), timed as A/B pairs (scikit-learn, then ours) repeated
``--repeats`` times; the table shows the medians and the ratio sklearn / ours (above
1: ours is faster), and the largest difference of the predicted probabilities. Then
``NaiveBayes`` on a 10**6-row DataFrame of mixed columns (10 of each: Gaussian,
Gamma, Poisson, Bernoulli, categorical) against the slowest single family.

Goals (issue 11): >= 2x on GaussianNB predict_proba, >= 5x on CategoricalNB fit,
>= 3x on MultinomialNB fit, no slower anywhere else; the mixed NaiveBayes within 2x
of the slowest single family.

Run (the machine's BLAS settings as they are, no other load if possible)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_naive_bayes.py
    python benchmarks/bench_naive_bayes.py --rows 200000 --repeats 1   # a quick look
    python benchmarks/bench_naive_bayes.py --clock cpu --cases multinomial --repeats 5
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.naive_bayes import BernoulliNB, CategoricalNB, GaussianNB, MultinomialNB

from sklearn_mle import BernoulliMLE, CategoricalMLE, GaussianMLE, MultinomialMLE
from sklearn_mle.naive_bayes import GenerativeClassifier, NaiveBayes
from sklearn_mle.priors import Beta, Dirichlet

CLOCK = time.perf_counter  # --clock cpu: time.process_time (all threads' CPU time)


def _timed(fn, *args):
    t0 = CLOCK()
    out = fn(*args)
    return CLOCK() - t0, out


def _data(n, d, k, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    shift = y[:, None] * 0.1
    gauss = rng.standard_normal((n, d)) + shift
    counts = rng.poisson(2.0, (n, d)).astype(np.float64)
    binary = (rng.uniform(size=(n, d)) < 0.3 + shift).astype(np.float64)
    cats = rng.integers(0, 6, (n, d)).astype(np.float64)
    return y, {"gaussian": gauss, "multinomial": counts, "bernoulli": binary,
               "categorical": cats}


def _cases(alpha=1.0):
    return {
        "gaussian": (lambda: GaussianNB(var_smoothing=0.0),
                     lambda: GenerativeClassifier(GaussianMLE(covariance_type="diag"))),
        "multinomial": (lambda: MultinomialNB(alpha=alpha),
                        lambda: GenerativeClassifier(MultinomialMLE(prior=Dirichlet(alpha + 1)))),
        "bernoulli": (lambda: BernoulliNB(alpha=alpha),
                      lambda: GenerativeClassifier(
                          BernoulliMLE(prior=Beta(alpha + 1, alpha + 1)))),
        "categorical": (lambda: CategoricalNB(alpha=alpha),
                        lambda: GenerativeClassifier(CategoricalMLE(prior=Dirichlet(alpha + 1)))),
    }


def bench_pairs(y, data, repeats, cases=None):
    rows = []
    for name, (make_sk, make_ours) in _cases().items():
        if cases is not None and name not in cases:
            continue
        X = data[name]
        times = {"sk_fit": [], "our_fit": [], "sk_proba": [], "our_proba": []}
        diff = 0.0
        for _ in range(repeats):
            t, sk = _timed(make_sk().fit, X, y)
            times["sk_fit"].append(t)
            t, ours = _timed(make_ours().fit, X, y)
            times["our_fit"].append(t)
            t, p_sk = _timed(sk.predict_proba, X)
            times["sk_proba"].append(t)
            t, p_ours = _timed(ours.predict_proba, X)
            times["our_proba"].append(t)
            diff = max(diff, float(np.abs(p_sk - p_ours).max()))
            del p_sk, p_ours
        med = {key: float(np.median(v)) for key, v in times.items()}
        rows.append((name, med, diff))
    return rows


def bench_mixed(n, repeats, seed=1):
    import pandas as pd

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 5, n)
    s = y[:, None] * 0.1
    cols = {}
    for j in range(10):
        cols[f"g{j}"] = rng.standard_normal(n) + s[:, 0]
        cols[f"pos{j}"] = rng.gamma(2.0 + s[:, 0], 1.0)
        cols[f"cnt{j}"] = rng.poisson(2.0 + s[:, 0]).astype(np.float64)
        cols[f"bin{j}"] = (rng.uniform(size=n) < 0.3 + s[:, 0]).astype(np.float64)
        cols[f"cat{j}"] = rng.integers(0, 6, n).astype(np.float64) + 0.5  # not 0/1, not counts
    df = pd.DataFrame(cols)
    families = {f"cat{j}": CategoricalMLE(prior=Dirichlet(2.0)) for j in range(10)}
    out = {"mixed fit": [], "mixed proba": []}
    for _ in range(repeats):
        t, nb = _timed(NaiveBayes(families=families, alpha=1.0).fit, df, y)
        out["mixed fit"].append(t)
        t, _ = _timed(nb.predict_proba, df)
        out["mixed proba"].append(t)
    fams = sorted(set(nb.column_families_.values()))
    return {k: float(np.median(v)) for k, v in out.items()}, fams


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10**6)
    parser.add_argument("--cols", type=int, default=50)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall: perf_counter; cpu: process CPU time (all threads), "
                             "steadier on a shared machine")
    parser.add_argument("--cases", default=None,
                        help="comma-separated subset of gaussian,multinomial,bernoulli,"
                             "categorical,mixed (default: all)")
    args = parser.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    cases = None if args.cases is None else set(args.cases.split(","))
    warnings.simplefilter("ignore")
    y, data = _data(args.rows, args.cols, args.classes)
    print(f"n = {args.rows}, d = {args.cols}, {args.classes} classes; medians of "
          f"{args.repeats} A/B pairs ({args.clock} seconds); ratio = sklearn / ours")
    print(f"{'case':<12} {'sk fit':>8} {'our fit':>8} {'ratio':>6}   "
          f"{'sk proba':>8} {'our proba':>9} {'ratio':>6}   {'max |dp|':>9}")
    rows = bench_pairs(y, data, args.repeats, cases)
    slowest = 0.0
    for name, m, diff in rows:
        print(f"{name:<12} {m['sk_fit']:8.3f} {m['our_fit']:8.3f} "
              f"{m['sk_fit'] / m['our_fit']:6.2f}   {m['sk_proba']:8.3f} {m['our_proba']:9.3f} "
              f"{m['sk_proba'] / m['our_proba']:6.2f}   {diff:9.1e}")
        slowest = max(slowest, m["our_fit"])
    del data
    if cases is not None and "mixed" not in cases:
        return
    mixed, fams = bench_mixed(args.rows, args.repeats)
    print(f"NaiveBayes on a {args.rows}-row DataFrame of {args.cols} mixed columns "
          f"({', '.join(fams)}): fit {mixed['mixed fit']:.3f} s "
          f"({mixed['mixed fit'] / slowest:.2f}x the slowest single-family fit, "
          f"{slowest:.3f} s), predict_proba {mixed['mixed proba']:.3f} s")


if __name__ == "__main__":
    main()
