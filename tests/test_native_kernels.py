"""The optional C kernel (``sklearn_mle._native``) against NumPy/SciPy references.

The kernel's sums are compared with an exactly summed reference (``math.fsum``), on
every dtype and memory layout it reads, the blocked NumPy passes of the families with
plain references, and the estimators with their NumPy code paths (kernel switched
off). ``SKLEARN_MLE_REQUIRE_NATIVE=1`` (set by
``.ci/run``) turns a missing build into a failure instead of a skip.
"""

import math
import os

import numpy as np
import pytest
from scipy import special, stats

from sklearn_mle import GaussianMLE, PoissonMLE
from sklearn_mle import _native as native

needs_native = pytest.mark.skipif(not native.AVAILABLE, reason="C kernels not built")


def test_kernels_are_built_where_required():
    if os.environ.get("SKLEARN_MLE_REQUIRE_NATIVE") == "1":
        assert native.AVAILABLE, "the C extension sklearn_mle._native._sums did not build"
    elif not native.AVAILABLE:
        pytest.skip("C kernels not built (NumPy paths in use)")


def _count_reference(X, w=None):
    X = np.asarray(X, dtype=np.float64)
    w = np.ones(X.shape[0]) if w is None else w
    lg = special.gammaln(X + 1.0)
    return (np.array([math.fsum(w * X[:, j]) for j in range(X.shape[1])]),
            np.array([math.fsum(w * lg[:, j]) for j in range(X.shape[1])]))


LAYOUTS = {
    "c": lambda X: np.ascontiguousarray(X),
    "fortran": lambda X: np.asfortranarray(X),
    "strided rows": lambda X: np.repeat(X, 2, axis=0)[::2],
    "column slice": lambda X: np.column_stack([X, X])[:, ::2],
    "reversed rows": lambda X: np.ascontiguousarray(X[::-1])[::-1],  # negative stride
}


@needs_native
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.int16,
                                   np.int8, np.uint8, np.uint16, np.uint32, np.uint64])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_count_sums_match_exact_sums(dtype, layout):
    rng = np.random.default_rng(0)
    # n not a multiple of the unroll (4) or of the block (4096); three columns
    X = LAYOUTS[layout](rng.poisson([0.5, 4.0, 60.0], size=(10_007, 3)).astype(dtype))
    sx, sg = native.count_sums(X)
    ref_x, ref_g = _count_reference(X)
    np.testing.assert_array_equal(sx, ref_x)  # integer sums are exact
    np.testing.assert_allclose(sg, ref_g, rtol=1e-13)


@needs_native
@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_count_sums_weighted_and_threaded(n_threads):
    rng = np.random.default_rng(1)
    X = rng.poisson(7.0, size=(300_001, 2)).astype(np.float64)
    w = rng.uniform(0, 3, size=X.shape[0])
    sx, sg = native.count_sums(X, w, n_threads=n_threads)
    ref_x, ref_g = _count_reference(X, w)
    np.testing.assert_allclose(sx, ref_x, rtol=1e-13)
    np.testing.assert_allclose(sg, ref_g, rtol=1e-13)


@needs_native
def test_count_sums_large_counts_use_lgamma():
    # beyond the 2**16 table, in the middle of a block and at the end
    x = np.array([3.0, 70_000.0, 1e9, 2.0**53, 0.0, 65_535.0, 65_536.0])
    X = np.tile(x, 1000)[:, None]
    sx, sg = native.count_sums(X)
    ref_x, ref_g = _count_reference(X)
    np.testing.assert_allclose(sx, ref_x, rtol=1e-14)  # beyond 2**53: rounded
    np.testing.assert_allclose(sg, ref_g, rtol=1e-13)


@needs_native
def test_count_sums_negative_zero_is_a_zero_count():
    X = np.array([[-0.0], [1.0], [2.0], [-0.0], [5.0]])
    sx, sg = native.count_sums(X)
    np.testing.assert_allclose([sx[0], sg[0]], [8.0, np.log(2.0) + np.log(120.0)],
                               rtol=1e-15)


@needs_native
@pytest.mark.parametrize("bad", [-1.0, 2.5, 3.0 + 1e-12, 1e-300, 5e-324, np.nan, np.inf,
                                 -np.inf, -1e300])
@pytest.mark.parametrize("where", [0, 4094, 10_000])
def test_count_sums_reject_values_outside_the_domain(bad, where):
    X = np.full((10_001, 1), 2.0)
    X[where, 0] = bad
    assert native.count_sums(X) is None


@needs_native
def test_count_sums_reject_negative_integers():
    X = np.array([[1], [2], [-3], [4]], dtype=np.int64)
    assert native.count_sums(X) is None
    assert native.count_sums(X.astype(np.int8)) is None


def test_log_factorial_matches_gammaln():
    x = np.array([[0, 1, 2, 170, 65_535, 65_536, 1e7, 2.5]])
    np.testing.assert_allclose(native.log_factorial(x)[0, :7], special.gammaln(x + 1)[0, :7],
                               rtol=1e-15)


# ------------------------------------------------------------------ the estimators
@pytest.fixture
def numpy_paths(monkeypatch):
    """Switch the C kernels off: the estimators take their NumPy paths."""
    monkeypatch.setattr(native, "AVAILABLE", False)


def _poisson_fit(X, **kw):
    return PoissonMLE().fit(X, **kw)


@pytest.mark.parametrize("weighted", [False, True])
def test_poisson_fit_is_the_same_with_and_without_kernels(weighted, monkeypatch):
    rng = np.random.default_rng(3)
    X = rng.poisson([2.0, 30.0], size=(50_000, 2)).astype(float)
    X[7, 1] = 80_000.0  # one count beyond the table
    kw = {"sample_weight": rng.uniform(0, 2, X.shape[0])} if weighted else {}
    fast = _poisson_fit(X, **kw)
    monkeypatch.setattr(native, "AVAILABLE", False)
    slow = _poisson_fit(X, **kw)
    np.testing.assert_allclose(fast.rate_, slow.rate_, rtol=1e-13)
    np.testing.assert_allclose(fast.loglik_, slow.loglik_, rtol=1e-13)
    np.testing.assert_allclose(fast.bse_, slow.bse_, rtol=1e-13)
    ref = stats.poisson.logpmf(X, fast.rate_)
    ref = (ref * kw["sample_weight"][:, None]) if weighted else ref
    np.testing.assert_allclose(fast.loglik_, math.fsum(ref.ravel()), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.float32])
def test_poisson_reads_integer_counts_without_a_float_copy(dtype):
    rng = np.random.default_rng(4)
    X = rng.poisson(3.0, size=(20_000, 1))
    ref = PoissonMLE().fit(X.astype(np.float64))
    est = PoissonMLE().fit(X.astype(dtype))
    np.testing.assert_allclose(est.rate_, ref.rate_, rtol=1e-14)
    np.testing.assert_allclose(est.loglik_, ref.loglik_, rtol=1e-13)
    np.testing.assert_allclose(est.score_samples(X[:50].astype(dtype)),
                               ref.score_samples(X[:50]), rtol=1e-13)
    assert est.offset_ == pytest.approx(ref.offset_, rel=1e-12)


@pytest.mark.parametrize("kernels", ["native", "numpy"])
@pytest.mark.parametrize(
    "value, message",
    [
        (-1.0, "has value -1.0 at row 5; Negative values in data: Poisson counts must be"),
        (2.5, "has value 2.5 at row 5; Poisson counts must be non-negative integers"),
        (np.nan, "Input X contains NaN"),
        (np.inf, "Input X contains infinity"),
    ],
)
def test_poisson_bad_values_get_the_rule_either_way(value, message, kernels, monkeypatch):
    if kernels == "numpy":
        monkeypatch.setattr(native, "AVAILABLE", False)
    X = np.ones((9_000, 2))
    X[5, 1] = value
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        PoissonMLE().fit(X)


@pytest.mark.parametrize("kernels", ["native", "numpy"])
@pytest.mark.parametrize("value, message", [(np.nan, "Input X contains NaN"),
                                            (np.inf, "Input X contains infinity")])
@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
def test_gaussian_non_finite_values_get_sklearn_message(value, message, covariance_type,
                                                        kernels, monkeypatch):
    if kernels == "numpy":
        monkeypatch.setattr(native, "AVAILABLE", False)
    X = np.random.default_rng(5).normal(size=(5_000, 3))
    X[4_321, 2] = value
    with pytest.raises(ValueError, match=message):
        GaussianMLE(covariance_type=covariance_type).fit(X)
    with pytest.raises(ValueError, match=message):
        GaussianMLE(covariance_type=covariance_type).fit(X, sample_weight=np.ones(5_000))


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gaussian_fit_is_the_same_with_and_without_kernels(covariance_type, dtype,
                                                           monkeypatch):
    rng = np.random.default_rng(6)
    X = rng.normal([1.0, -300.0], [2.0, 0.5], size=(40_000, 2)).astype(dtype)
    X1 = X[:, :1]
    for data in (X, X1):
        Z = data.astype(np.float64)
        mean = np.array([math.fsum(z) for z in Z.T]) / len(Z)
        var = np.array([math.fsum((z - m) ** 2) for z, m in zip(Z.T, mean)]) / len(Z)
        fast = GaussianMLE(covariance_type=covariance_type).fit(data)
        with monkeypatch.context() as m:
            m.setattr(native, "AVAILABLE", False)
            slow = GaussianMLE(covariance_type=covariance_type).fit(data)
        for est in (fast, slow):  # both within 1e-10 of the exact two-pass moments
            np.testing.assert_allclose(est.mean_, mean, rtol=1e-13)
            cov = est.covariance_
            got = np.diag(cov) if covariance_type == "full" else cov
            want = var.mean() if covariance_type == "spherical" else var
            np.testing.assert_allclose(got, want, rtol=1e-10)
        np.testing.assert_allclose(fast.loglik_, slow.loglik_, rtol=1e-12)


def test_gaussian_large_offset_still_uses_the_shifted_pass():
    # raw sums would lose every digit of the variance: the kernel result is refused
    x = 1e9 + np.random.default_rng(7).normal(0.0, 1e-3, size=(100_000, 1))
    est = GaussianMLE(covariance_type="diag").fit(x)
    np.testing.assert_allclose(est.covariance_[0], np.var(x - 1e9), rtol=1e-9)


# ------------------------------------------------- the table kernel, the NumPy twins
@needs_native
def test_table_sums_per_column_tables_and_support_marks():
    tables = np.array([[0.0, 1.0, 10.0, np.nan], [5.0, np.nan, 7.0, 8.0]])
    X = np.array([[0, 0], [1, 2], [2, 3], [2, 0]] * 1500, dtype=np.float64)
    sx, st = native.table_sums(X, tables)
    np.testing.assert_array_equal(sx, [5 * 1500, 5 * 1500])
    np.testing.assert_array_equal(st, [21 * 1500, 25 * 1500])
    X[4000, 1] = 1  # a NaN entry: outside the support of column 1
    assert native.table_sums(X, tables) is None
    X[4000, 1] = 4  # beyond the table, LARGE_INVALID
    assert native.table_sums(X, tables) is None
    sx, st = native.table_sums(X, tables, native.LARGE_ZERO)
    assert st[1] == 25 * 1500 - 5.0


# ------------------------------------------ every family, with and without kernels
def _family_cases():
    import sklearn_mle as sm

    rng = np.random.default_rng(11)
    n = 30_000
    return [
        ("Bernoulli", sm.BernoulliMLE(), rng.integers(0, 2, (n, 2)).astype(float), 3.0,
         "Bernoulli values must be 0 or 1"),
        ("Binomial", sm.BinomialMLE(n_trials=12), rng.binomial(12, 0.3, (n, 2)).astype(float),
         13.0, r"binomial counts must be integers in \[0, n_trials\]"),
        ("Binomial n from data", sm.BinomialMLE(), rng.binomial(7, 0.6, (n, 2)).astype(float),
         2.5, r"binomial counts must be integers in \[0, n_trials\]"),
        ("Geometric", sm.GeometricMLE(), rng.geometric(0.2, (n, 2)).astype(float), 0.0,
         "geometric trial counts must be integers >= 1"),
        ("Exponential", sm.ExponentialMLE(), rng.exponential(3.0, (n, 2)), -1e-9,
         "exponential data must be >= 0"),
        ("LogNormal", sm.LogNormalMLE(), rng.lognormal(2.0, 0.7, (n, 2)), 0.0,
         "log-normal data must be > 0"),
        ("Categorical", sm.CategoricalMLE(), rng.integers(1, 7, (n, 2)).astype(float), None,
         None),
        ("Gamma", sm.GammaMLE(), rng.gamma(2.5, 3.0, (n, 2)), 0.0,
         r"gamma data must be strictly positive \(x > 0\)"),
        ("Poisson", sm.PoissonMLE(), rng.poisson(9.0, (n, 2)).astype(float), 1.5,
         "Poisson counts must be non-negative integers"),
    ]


FAMILY_CASES = {case[0]: case for case in _family_cases()}


def _fitted_numbers(est):
    if hasattr(est, "probabilities_"):
        params = np.concatenate([*est.probabilities_, *est.categories_])
    else:
        params = np.concatenate([np.ravel(v) for v in est.params_.values()])
    return params, est.loglik_, np.asarray(est.bse_), est.offset_


@pytest.mark.parametrize("name", sorted(FAMILY_CASES))
@pytest.mark.parametrize("weighted", [False, True])
def test_every_family_fits_the_same_with_and_without_kernels(name, weighted, monkeypatch):
    from sklearn.base import clone

    _, est, X, _, _ = FAMILY_CASES[name]
    kw = {}
    if weighted:
        kw["sample_weight"] = np.random.default_rng(12).uniform(0, 2, X.shape[0])
    fast = clone(est).fit(X, **kw)
    monkeypatch.setattr(native, "AVAILABLE", False)
    slow = clone(est).fit(X, **kw)
    for a, b in zip(_fitted_numbers(fast), _fitted_numbers(slow)):
        np.testing.assert_allclose(a, b, rtol=1e-11)


@pytest.mark.parametrize("name", sorted(k for k, c in FAMILY_CASES.items() if c[3] is not None))
@pytest.mark.parametrize("kernels", ["native", "numpy"])
@pytest.mark.parametrize("bad", ["domain", "nan", "inf"])
def test_every_family_names_the_rule_with_and_without_kernels(name, kernels, bad,
                                                              monkeypatch):
    from sklearn.base import clone

    _, est, X, value, rule = FAMILY_CASES[name]
    if kernels == "numpy":
        monkeypatch.setattr(native, "AVAILABLE", False)
    X = X.copy()
    X[12_345, 1] = {"domain": value, "nan": np.nan, "inf": np.inf}[bad]
    match = {"domain": f"column 1 has value .* at row 12345; .*{rule}",
             "nan": "Input X contains NaN", "inf": "Input X contains infinity"}[bad]
    with pytest.raises(ValueError, match=match):
        clone(est).fit(X)


@pytest.mark.parametrize("name", ["Bernoulli", "Binomial", "Geometric", "Categorical",
                                  "Poisson"])
def test_integer_families_read_int64_like_float64(name):
    from sklearn.base import clone

    _, est, X, _, _ = FAMILY_CASES[name]
    ref = clone(est).fit(X)
    got = clone(est).fit(X.astype(np.int64))
    for a, b in zip(_fitted_numbers(got), _fitted_numbers(ref)):
        np.testing.assert_allclose(a, b, rtol=1e-13)


@pytest.mark.parametrize("kernels", ["native", "numpy"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_categorical_rejects_non_finite_labels_either_way(kernels, bad, monkeypatch):
    from sklearn_mle import CategoricalMLE

    if kernels == "numpy":
        monkeypatch.setattr(native, "AVAILABLE", False)
    X = np.random.default_rng(13).integers(0, 4, (6_000, 2)).astype(float)
    X[4_444, 0] = bad
    with pytest.raises(ValueError, match="column 0 .* row 4444; categories must be finite"):
        CategoricalMLE().fit(X)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.uint8])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_int_histograms_match_bincount(dtype, layout):
    from sklearn_mle.families._count_sums import int_histograms

    rng = np.random.default_rng(16)
    X = rng.integers(0, 6, size=(600_001, 3)).astype(dtype)  # several blocks
    X[::5, 1] = 40  # beyond the comparison path: bincount
    X[300_000:, 2] = rng.poisson(30.0, 300_001)  # blocks of either path in one column
    X = LAYOUTS[layout](X)
    w = rng.uniform(0, 2, size=X.shape[0])
    for weights in (None, w):
        hist = int_histograms(X, weights)
        for j in range(3):
            ref = np.bincount(X[:, j].astype(np.intp), weights=weights)
            np.testing.assert_allclose(hist[j], ref, rtol=1e-12)
    assert int_histograms(X, limit=39) is None
    if dtype in (np.float64, np.float32):
        for bad in (-1, 2.5, np.nan, np.inf, -0.5, 1 + 2**-20):
            for col in (3, 40):  # the comparison path and the bincount path
                Y = X.copy()
                Y[:, 0] = np.minimum(Y[:, 0], col)
                Y[123_456, 0] = bad
                assert int_histograms(Y) is None


def test_binary_and_integer_sums_check_the_domain():
    from sklearn_mle.families._count_sums import binary_sums, integer_sums

    rng = np.random.default_rng(17)
    X = rng.integers(1, 9, size=(300_001, 2)).astype(np.float64)
    np.testing.assert_array_equal(integer_sums(X, 1.0, 8.0), X.sum(axis=0))
    assert integer_sums(X, 2.0, 8.0) is None
    assert integer_sums(X, 1.0, 7.0) is None
    B = (X > 4).astype(np.float64)
    np.testing.assert_array_equal(binary_sums(B), B.sum(axis=0))
    w = rng.uniform(size=X.shape[0])
    np.testing.assert_allclose(binary_sums(B, w), w @ B, rtol=1e-13)
    for bad in (0.5, np.nan, np.inf, -np.inf, 2.0, 1 + 2**-40, -1.0):
        Y = B.copy()
        Y[200_000, 1] = bad
        assert binary_sums(Y) is None
        Z = X.copy()
        Z[200_000, 1] = bad if bad != 2.0 else 9.0
        assert integer_sums(Z, 1.0, 8.0) is None


def test_blocked_moments_match_exact_sums():
    from sklearn_mle.families._moments import _shifted_sums
    from sklearn_mle.families.lognormal import log_moment_sums

    rng = np.random.default_rng(10)
    X = rng.lognormal(1.0, 2.0, size=(700_001, 2))
    shift = X[0].copy()
    s1, s2 = _shifted_sums(X, shift)
    Z = X - shift
    np.testing.assert_allclose(s1, [math.fsum(z) for z in Z.T], rtol=1e-11)
    np.testing.assert_allclose(s2, [math.fsum(z**2) for z in Z.T], rtol=1e-12)
    shift = np.log(X[0])
    l1, l2, raw = log_moment_sums(X, shift, with_sum=True)
    Z = np.log(X) - shift
    np.testing.assert_allclose(l1, [math.fsum(z) for z in Z.T], rtol=1e-11)
    np.testing.assert_allclose(l2, [math.fsum(z**2) for z in Z.T], rtol=1e-12)
    np.testing.assert_allclose(raw, [math.fsum(x) for x in X.T], rtol=1e-13)
    for bad in (0.0, -1.0, np.nan, np.inf):
        Y = X.copy()
        Y[333_000, 1] = bad
        assert log_moment_sums(Y, shift) is None
        if bad in (np.nan, np.inf):
            assert _shifted_sums(Y, X[0]) is None


@needs_native
def test_kernels_work_in_a_forked_child_after_the_parent_used_threads():
    import multiprocessing

    X = np.random.default_rng(14).poisson(3.0, (600_000, 1)).astype(float)
    parent = native.count_sums(X, n_threads=2)  # starts the thread pool
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        child = pool.apply_async(native.count_sums, (X, None, 2)).get(timeout=60)
    np.testing.assert_array_equal(child[0], parent[0])
    np.testing.assert_allclose(child[1], parent[1], rtol=1e-15)


def test_bernoulli_reads_booleans():
    from sklearn_mle import BernoulliMLE

    X = np.random.default_rng(15).random((10_000, 2)) < 0.3
    ref = BernoulliMLE().fit(X.astype(float))
    got = BernoulliMLE().fit(X)
    np.testing.assert_allclose(got.p_, ref.p_, rtol=1e-15)
    np.testing.assert_allclose(got.loglik_, ref.loglik_, rtol=1e-13)
    assert got.offset_ == ref.offset_
