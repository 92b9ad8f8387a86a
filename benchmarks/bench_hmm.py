"""HiddenMarkovModel against hmmlearn: seconds per EM iteration, Viterbi and sampling.

The issue's setting: 50 sequences totalling 200 000 rows, k = 8 states, d = 4
features (Categorical: one column of 20 symbols), one BLAS thread, both sides
started from the same parameters. Per-iteration time is the marginal cost,
``(t(n_iter = 1 + N) - t(n_iter = 1)) / N``, so neither side's set-up (k-means,
the prototype fit, validation) counts. Every line also prints how far the two
log-likelihoods are apart.

Run (the machine is shared and noisy: medians of ``--repeat`` runs)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_hmm.py --repeat 3
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from sklearn_mle.distributions import CategoricalMLE, GaussianMLE, PoissonMLE
from sklearn_mle.hmm import HiddenMarkovModel, _estep

K, D, N_SEQ, N_ROWS = 8, 4, 50, 200_000


def make_lengths(rng):
    w = rng.uniform(0.5, 1.5, N_SEQ)
    lengths = np.floor(w / w.sum() * N_ROWS).astype(int)
    lengths[-1] += N_ROWS - lengths.sum()
    return lengths


def start_values(rng):
    sp = np.full(K, 1.0 / K)
    A = np.full((K, K), 0.1 / (K - 1)) + np.eye(K) * (0.9 - 0.1 / (K - 1))
    return sp, A


def case_data(case, rng):
    z = np.repeat(np.arange(N_ROWS // 500) % K, 500)
    rng.shuffle(z.reshape(-1, 500))
    if case.startswith("gaussian"):
        means = rng.normal(scale=3, size=(K, D))
        X = means[z] + rng.normal(size=(N_ROWS, D))
        mu0 = means + rng.normal(scale=0.5, size=(K, D))
        if case == "gaussian_full":
            cov0 = np.array([np.eye(D) * 1.5] * K)
            init = [{"mean": mu0[j], "covariance": cov0[j]} for j in range(K)]
            ref = dict(means_=mu0, covars_=cov0)
        else:
            cov0 = np.full((K, D), 1.5)
            init = [{"mean": mu0[j], "covariance": cov0[j]} for j in range(K)]
            ref = dict(means_=mu0, covars_=cov0)
        return X, init, ref
    if case == "categorical":
        probs = rng.dirichlet(np.ones(20) * 0.5, size=K)
        X = (probs[z].cumsum(axis=1) > rng.random(N_ROWS)[:, None]).argmax(axis=1)[:, None]
        e0 = 0.7 * probs + 0.3 / 20
        return X.astype(float), [{"probabilities": [e0[j]]} for j in range(K)], dict(
            emissionprob_=e0)
    rates = rng.uniform(1, 20, size=(K, D))
    X = rng.poisson(rates[z]).astype(float)
    l0 = rates * rng.uniform(0.8, 1.2, size=(K, D))
    return X, [{"rate": l0[j]} for j in range(K)], dict(lambdas_=l0)


def hmmlearn_model(case, implementation, n_iter, sp, A, ref):
    from hmmlearn import hmm

    if case.startswith("gaussian"):
        m = hmm.GaussianHMM(K, case.split("_")[1], init_params="", params="stmc",
                            covars_prior=0, min_covar=0, n_iter=n_iter, tol=-np.inf,
                            implementation=implementation)
    elif case == "categorical":
        m = hmm.CategoricalHMM(K, init_params="", params="ste", n_iter=n_iter, tol=-np.inf,
                               implementation=implementation)
    else:
        m = hmm.PoissonHMM(K, init_params="", params="stl", n_iter=n_iter, tol=-np.inf,
                           implementation=implementation)
    m.startprob_, m.transmat_ = sp, A
    for name, value in ref.items():
        setattr(m, name, value)
    return m


def ours(case, n_iter, sp, A, init, n_jobs):
    emission = {"gaussian_full": GaussianMLE(covariance_type="full"),
                "gaussian_diag": GaussianMLE(covariance_type="diag"),
                "categorical": CategoricalMLE(), "poisson": PoissonMLE()}[case]
    return HiddenMarkovModel(emission, K, startprob_init=sp, transmat_init=A,
                             emissions_init=init, max_iter=n_iter, tol=0, n_jobs=n_jobs)


CLOCK = time.perf_counter


def timed(fn):
    t0 = CLOCK()
    out = fn()
    return CLOCK() - t0, out


def per_iteration(make, X, lengths, extra, fit_kw):
    t1, _ = timed(lambda: make(1).fit(X, **fit_kw(lengths)))
    tn, m = timed(lambda: make(1 + extra).fit(X, **fit_kw(lengths)))
    return (tn - t1) / extra, m


def engines(case, sp, A, init, ref):
    """``name -> (make(n_iter), uses_numpy_path)``."""
    return {
        "hmmlearn log": (lambda n: hmmlearn_model(case, "log", n, sp, A, ref), False),
        "hmmlearn scaling": (lambda n: hmmlearn_model(case, "scaling", n, sp, A, ref), False),
        "sklearn_mle n_jobs=1": (lambda n: ours(case, n, sp, A, init, 1), False),
        "sklearn_mle n_jobs=2": (lambda n: ours(case, n, sp, A, init, 2), False),
        "sklearn_mle NumPy": (lambda n: ours(case, n, sp, A, init, 1), True),
    }


def run_case(case, rng, lengths, sp, A, repeat, iters, only=None):
    X, init, ref = case_data(case, rng)
    Xh = X.astype(int) if case in ("categorical", "poisson") else X
    rows, lls = {}, {}
    for name, (make, numpy_path) in engines(case, sp, A, init, ref).items():
        if only and name not in only and name != "hmmlearn scaling":
            continue
        data = Xh if name.startswith("hmmlearn") else X
        times = []
        for _ in range(repeat):
            native = _estep.NATIVE
            _estep.NATIVE = native and not numpy_path
            try:
                t, m = per_iteration(make, data, lengths, iters, lambda L: {"lengths": L})
            finally:
                _estep.NATIVE = native
            times.append(t)
        rows[name] = float(np.median(times))
        lls[name] = (m.score(data, lengths) if name.startswith("hmmlearn")
                     else m.log_likelihood(data, lengths=lengths).sum())
    base, scal = rows.get("hmmlearn log", np.nan), rows["hmmlearn scaling"]
    ll_ref = lls["hmmlearn scaling"]
    print(f"\n{case}")
    for name, t in rows.items():
        print(f"  {name:22s} {t:8.4f} s/iter   x{base / t:5.1f} vs log   "
              f"x{scal / t:5.1f} vs scaling   loglik rel diff "
              f"{abs(lls[name] - ll_ref) / abs(ll_ref):.1e}")


def run_decode_sample(rng, lengths, sp, A, repeat):
    X, init, ref = case_data("gaussian_diag", rng)
    href = hmmlearn_model("gaussian_diag", "log", 1, sp, A, ref)
    href.n_features = X.shape[1]
    m = ours("gaussian_diag", 0, sp, A, init, None).fit(X, lengths=lengths)
    th = np.median([timed(lambda: href.decode(X, lengths))[0] for _ in range(repeat)])
    to = np.median([timed(lambda: m.decode(X, lengths=lengths))[0] for _ in range(repeat)])
    same = np.array_equal(href.decode(X, lengths)[1], m.decode(X, lengths=lengths)[1])
    print(f"\nViterbi of {N_ROWS} rows: hmmlearn {th:.4f} s, sklearn_mle {to:.4f} s "
          f"(x{th / to:.1f}); same path: {same}")
    # hmmlearn samples one Python step per row: timed on a tenth, times ten
    ts = 10 * timed(lambda: href.sample(N_ROWS // 10, random_state=0))[0]
    to = np.median([timed(lambda: m.sample(N_ROWS, random_state=0))[0] for _ in range(repeat)])
    print(f"sample({N_ROWS}): hmmlearn {ts:.3f} s (10 x sample({N_ROWS // 10})), "
          f"sklearn_mle {to:.4f} s (x{ts / to:.0f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--iters", type=int, default=3, help="extra EM iterations timed")
    parser.add_argument("--cases", default="gaussian_full,gaussian_diag,categorical,poisson")
    parser.add_argument("--no-decode", action="store_true", help="skip Viterbi and sample")
    parser.add_argument("--engines", default="",
                        help="comma-separated engines to time (default: all; hmmlearn "
                        "scaling always runs, as the reference)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="cpu: this process's CPU time (steadier on a loaded machine; "
                        "it adds up the threads of n_jobs=2)")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    rng = np.random.default_rng(0)
    lengths = make_lengths(rng)
    sp, A = start_values(rng)
    print(f"{N_SEQ} sequences, {N_ROWS} rows, k={K}, d={D}; {args.clock} seconds per EM "
          f"iteration, median of {args.repeat}; compiled kernels: {_estep.NATIVE}")
    warnings.simplefilter("ignore")
    with threadpool_limits(1):
        for case in args.cases.split(","):
            run_case(case, rng, lengths, sp, A, args.repeat, args.iters,
                     [e for e in args.engines.split(",") if e])
        if not args.no_decode:
            run_decode_sample(rng, lengths, sp, A, args.repeat)


if __name__ == "__main__":
    main()
