"""The Gaussian and log-normal families: against scipy and closed forms, statistics
algebra, the normal-inverse-gamma prior as pseudo-statistics, and fixed defects."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from sklearn_mle import GaussianMLE, LogNormalMLE, MixtureMLE
from sklearn_mle.families.gaussian import Gaussian
from sklearn_mle.families.lognormal import LogNormal
from sklearn_mle.families.poisson import Poisson
from sklearn_mle.priors import NormalInverseGamma

from ._numerics import central_hessian

TYPES = ["full", "diag", "spherical"]


def _data(seed=0, n=60, d=3):
    rng = np.random.default_rng(seed)
    A = np.array([[1.0, 0.0, 0.0], [0.5, 1.5, 0.0], [-0.3, 0.2, 0.7]])[:d, :d]
    return rng.normal(size=(n, d)) @ A.T + np.array([1.0, -2.0, 3.0])[:d]


# ------------------------------------------------------------------- scipy
@pytest.mark.parametrize("ctype", TYPES)
def test_logpdf_matches_scipy(ctype):
    X = _data(1)
    fam = Gaussian(ctype)
    p = fam.mode(fam.stats(X))
    lp = fam.logpdf(X, p)
    dists = fam.to_scipy(p)
    if ctype == "full":
        ref = stats.multivariate_normal(p["mean"], p["covariance"]).logpdf(X)
        assert_allclose(lp[:, 0], ref, rtol=1e-12)
        assert_allclose(dists[0].logpdf(X), ref, rtol=1e-12)
    else:
        var = np.broadcast_to(p["covariance"], (3,))
        ref = stats.norm(p["mean"], np.sqrt(var)).logpdf(X)
        assert_allclose(lp, ref, rtol=1e-12)
        assert_allclose(np.column_stack([d.logpdf(X[:, j]) for j, d in enumerate(dists)]),
                        ref, rtol=1e-12)
    assert_allclose(fam.loglik(fam.stats(X), p).sum(), lp.sum(), rtol=1e-12)


def test_mode_closed_form_and_scipy_fit():
    X = _data(2, n=200)
    full = Gaussian("full").mode(Gaussian("full").stats(X))
    assert_allclose(full["mean"], X.mean(0), rtol=1e-12)
    assert_allclose(full["covariance"], np.cov(X.T, bias=True), rtol=1e-12)
    diag = Gaussian("diag").mode(Gaussian("diag").stats(X))
    for j in range(3):
        loc, scale = stats.norm.fit(X[:, j])
        assert_allclose([diag["mean"][j], diag["covariance"][j]], [loc, scale**2], rtol=1e-10)
    sph = Gaussian("spherical").mode(Gaussian("spherical").stats(X))
    assert_allclose(sph["covariance"], X.var(0).mean(), rtol=1e-12)
    w = np.random.default_rng(0).random(200)
    wm = Gaussian("diag").mode(Gaussian("diag").stats(X, w))
    mu = w @ X / w.sum()
    assert_allclose(wm["mean"], mu, rtol=1e-12)
    assert_allclose(wm["covariance"], w @ (X - mu) ** 2 / w.sum(), rtol=1e-12)


@pytest.mark.parametrize("ctype", ["diag", "spherical"])
@pytest.mark.parametrize("prior", [False, True])
def test_information_is_negative_hessian(ctype, prior):
    X = _data(3)
    fam = Gaussian(ctype)
    s = fam.stats(X)
    if prior:
        s = s + NormalInverseGamma(mu=0.5, kappa=2.0, alpha=3.0, beta=1.5).pseudo_stats(fam, 3)
    p = {"mean": np.array([0.7, -1.5, 2.0]),
         "covariance": np.array([1.3, 2.0, 0.6]) if ctype == "diag" else np.array(1.1)}
    info = fam.information(s, p)
    for j in range(3):
        def f(t, j=j):
            mean = p["mean"].copy()
            mean[j] = t[0]
            if ctype == "diag":
                var = p["covariance"].copy()
                var[j] = t[1]
                return fam.loglik(s, {"mean": mean, "covariance": var})[j]
            return fam.loglik(s, {"mean": mean, "covariance": np.array(t[1])})[j]
        x0 = np.array([p["mean"][j], np.broadcast_to(p["covariance"], (3,))[j]])
        assert_allclose(info[j], -central_hessian(f, x0, 1e-4 * np.abs(x0)), rtol=1e-5, atol=1e-6)


def test_full_information_is_negative_hessian_over_mean_and_vech():
    X = _data(4, d=2)
    fam = Gaussian("full")
    s = fam.stats(X)
    mean, cov = np.array([0.9, -1.7]), np.array([[1.2, 0.3], [0.3, 2.1]])
    ii, jj = np.tril_indices(2)

    def f(t):
        c = np.zeros((2, 2))
        c[ii, jj] = t[2:]
        c[jj, ii] = t[2:]
        return fam.loglik(s, {"mean": t[:2], "covariance": c})[0]

    x0 = np.r_[mean, cov[ii, jj]]
    info = fam.information(s, {"mean": mean, "covariance": cov})
    assert info.shape == (1, 5, 5)
    assert_allclose(info[0], -central_hessian(f, x0, np.full(5, 1e-4)), rtol=1e-5, atol=1e-5)


# -------------------------------------------------------------- statistics
@pytest.mark.parametrize("ctype", TYPES)
def test_stats_add_weights_and_pickle(ctype):
    X = _data(5, n=90)
    fam = Gaussian(ctype)
    a, b, whole = fam.stats(X[:40]), fam.stats(X[40:]), fam.stats(X)
    ab = a + b
    for k in ("weight", "mean", "m2", "dof"):
        assert_allclose(getattr(ab, k), getattr(whole, k), rtol=1e-12, atol=1e-12)
    again = pickle.loads(pickle.dumps(whole))
    assert again == whole and again.family == "gaussian"
    assert whole.zero_like() + whole == whole
    W = np.random.default_rng(1).random((90, 3))
    W[:, 2] = 0.0  # an empty component
    many = fam.stats(X, W)
    for j in range(3):
        one = fam.stats(X, W[:, j])
        assert_allclose(float(many[j].weight), float(one.weight), rtol=1e-12)
        assert_allclose(many[j].mean, one.mean, rtol=1e-10, atol=1e-12)
        assert_allclose(many[j].m2, one.m2, rtol=1e-10, atol=1e-12)


def test_stats_refuse_other_families_and_types():
    X = _data(6)
    with pytest.raises(TypeError):
        Gaussian("diag").stats(X) + Poisson().stats(np.ones((3, 1)))
    with pytest.raises(TypeError):
        Gaussian("diag").stats(X) + Gaussian("spherical").stats(X)
    with pytest.raises(TypeError):  # the log-normal's statistics are of log x
        LogNormal().stats(np.exp(X)) + Gaussian("diag").stats(X)


def test_k_components_far_apart_stay_accurate():
    # the shared shift (first row) is far from the second component's mean: its
    # moments are recomputed centred, so no digits are lost to cancellation
    rng = np.random.default_rng(7)
    X = np.r_[rng.normal(0, 1, (50, 1)), rng.normal(1e7, 1e-3, (50, 1))]
    W = np.r_[np.c_[np.ones(50), np.zeros(50)], np.c_[np.zeros(50), np.ones(50)]]
    s = Gaussian("diag").stats(X, W)
    assert_allclose(s[1].m2 / 50, X[50:].var(0), rtol=1e-9)


# ------------------------------------------------------------------- prior
def test_nig_map_is_mode_of_augmented_stats_hand_formula():
    X = _data(8, n=25)
    m0, k0, a0, b0 = np.array([0.0, 1.0, -1.0]), 2.0, 3.0, np.array([4.0, 1.0, 0.5])
    prior = NormalInverseGamma(mu=m0, kappa=k0, alpha=a0, beta=b0)
    n, xbar, ss = 25, X.mean(0), ((X - X.mean(0)) ** 2).sum(0)
    mean = (n * xbar + k0 * m0) / (n + k0)
    q = ss + n * k0 / (n + k0) * (xbar - m0) ** 2
    fam = Gaussian("diag")
    p = fam.mode(fam.stats(X) + prior.pseudo_stats(fam, 3))
    assert_allclose(p["mean"], mean, rtol=1e-12)
    assert_allclose(p["covariance"], (q + 2 * b0) / (n + 3 + 2 * a0), rtol=1e-12)
    sph = Gaussian("spherical")
    ps = sph.mode(sph.stats(X) + prior.pseudo_stats(sph, 3))
    assert_allclose(ps["covariance"], (q.sum() + 2 * b0.mean()) / (3 * n + 3 + 2 * a0 + 2),
                    rtol=1e-12)
    est = GaussianMLE("diag", prior=prior).fit(X)
    assert_allclose(est.covariance_, p["covariance"], rtol=1e-12)


def test_nig_resolve_once_and_validation():
    X = _data(9)
    fam = Gaussian("diag")
    r = NormalInverseGamma().resolve(fam, fam.stats(X))
    assert_allclose(r.mu, X.mean(0), rtol=1e-12)
    assert_allclose(r.beta, 0.5 * X.var(0), rtol=1e-12)
    est = GaussianMLE("diag", prior=NormalInverseGamma()).fit(X)
    assert_allclose(est.prior_.mu, X.mean(0), rtol=1e-12)
    with pytest.raises(ValueError, match="resolve"):
        NormalInverseGamma().pseudo_stats(fam, 3)
    for bad in ({"mu": np.nan}, {"mu": [0.0, np.inf]}, {"kappa": 0.0}, {"alpha": np.nan},
                {"beta": -1.0}, {"beta": np.inf}, {"kappa": None}):
        with pytest.raises(ValueError, match="NormalInverseGamma: hyper-parameter"):
            NormalInverseGamma(**bad)
    with pytest.raises(ValueError, match="one value per column"):
        NormalInverseGamma(mu=[0.0, 1.0], beta=1.0).pseudo_stats(fam, 3)


def test_mixture_components_share_the_prior_resolved_on_all_data():
    rng = np.random.default_rng(10)
    X = np.r_[rng.normal(0, 1, (80, 1)), rng.normal(8, 1, (80, 1))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mm = MixtureMLE(GaussianMLE("diag", prior=NormalInverseGamma()), n_components=2,
                        random_state=0).fit(X)
    for comp in mm.components_:
        assert_allclose(comp.prior_.mu, X.mean(0), rtol=1e-12)
        assert_allclose(comp.prior_.beta, 0.5 * X.var(0), rtol=1e-12)


def test_fixed_seed_fit():
    X = np.random.default_rng(42).normal(3.0, 2.0, size=(5000, 1))
    est = GaussianMLE("diag").fit(X)
    assert abs(est.mean_[0] - 3.0) < 4 * est.bse_[0]
    assert abs(est.covariance_[0] - 4.0) < 4 * est.bse_[1]


# ----------------------------------------------------------------- defects
def test_huge_values_clear_error_05a():
    X = np.random.default_rng(0).normal(size=(50, 1)) * 1e300
    with pytest.raises(ValueError, match="GaussianMLE: column 0 .*variance of the data exceeds"):
        GaussianMLE().fit(X)


def test_huge_values_with_representable_variance_are_fitted():
    X = np.random.default_rng(0).normal(size=(50, 2)) * 1e153
    est = GaussianMLE("diag").fit(X, sample_weight=np.full(50, 2.0))
    assert_allclose(est.covariance_ / 1e306, (X / 1e153).var(0), rtol=1e-10)


@pytest.mark.parametrize("scale", [1e300, 1e-200])
def test_extreme_weights_05c(scale):
    X = _data(11, d=2)
    ref = GaussianMLE().fit(X)
    est = GaussianMLE().fit(X, sample_weight=np.full(X.shape[0], scale))
    assert_allclose(est.mean_, ref.mean_, rtol=1e-12)
    assert_allclose(est.covariance_, ref.covariance_, rtol=1e-12)


def test_spherical_fixed_covariance_must_be_positive_23():
    with pytest.raises(ValueError, match=r"covariance must lie in \(0.0, inf\)"):
        GaussianMLE("spherical", fixed_params={"covariance": -1.0}).fit(_data(12))


# -------------------------------------------------------------- log-normal
def test_lognormal_is_gaussian_on_log_x():
    X = np.exp(_data(13))
    fam, g = LogNormal(), Gaussian("diag")
    p = fam.mode(fam.stats(X))
    gp = g.mode(g.stats(np.log(X)))
    assert_allclose(p["mu"], gp["mean"], rtol=1e-12)
    assert_allclose(p["sigma"] ** 2, gp["covariance"], rtol=1e-12)
    ref = stats.lognorm(s=p["sigma"], scale=np.exp(p["mu"])).logpdf(X)
    assert_allclose(fam.logpdf(X, p), ref, rtol=1e-12)
    assert_allclose([d.logpdf(X[:, j]) for j, d in enumerate(fam.to_scipy(p))], ref.T,
                    rtol=1e-12)
    assert_allclose(fam.loglik(fam.stats(X), p), ref.sum(0), rtol=1e-12)
    s, loc, scale = stats.lognorm.fit(X[:, 0], floc=0)
    assert_allclose([p["sigma"][0], np.exp(p["mu"][0])], [s, scale], rtol=1e-6)


def test_lognormal_information_and_components():
    X = np.exp(_data(14))
    fam = LogNormal()
    s = fam.stats(X)
    p = {"mu": np.array([0.8, -1.9, 3.1]), "sigma": np.array([1.1, 1.4, 0.8])}
    info = fam.information(s, p)
    for j in range(3):
        def f(t, j=j):
            q = {k: v.copy() for k, v in p.items()}
            q["mu"][j], q["sigma"][j] = t
            return fam.loglik(s, q)[j]
        x0 = np.array([p["mu"][j], p["sigma"][j]])
        assert_allclose(info[j], -central_hessian(f, x0, np.full(2, 1e-4)), rtol=1e-5, atol=1e-6)
    W = np.random.default_rng(2).random((X.shape[0], 2))
    many = fam.stats(X, W)
    for j in range(2):
        one = fam.stats(X, W[:, j])
        assert_allclose(many[j].m2, one.m2, rtol=1e-10)
    assert pickle.loads(pickle.dumps(s)) == s
    est = LogNormalMLE().fit(X)
    assert_allclose(est.mu_, np.log(X).mean(0), rtol=1e-12)


def test_lognormal_sample_overflow_warns_in_words_25():
    est = LogNormalMLE().fit([[1e-150], [1e150], [2e-150], [3e150]])
    with pytest.warns(RuntimeWarning, match="exceed the float64 range"):
        est.sample(50, random_state=0)


@pytest.mark.parametrize("covariance_type", ["diag", "spherical"])
def test_k_component_row_densities_equal_one_at_a_time(covariance_type):
    # two matrix products for all k components (what a mixture's E-step calls) equal
    # the per-component log-densities, also on data far from the origin
    from sklearn_mle.families import Family

    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3)) * 5 + 1e4
    fam = Gaussian(covariance_type)
    params = [{"mean": rng.normal(size=3) + 1e4,
               "covariance": rng.random(3) + 0.5 if covariance_type == "diag"
               else np.array(1.7)} for _ in range(4)]
    assert_allclose(fam.logpdf_rows(X, params), Family.logpdf_rows(fam, X, params),
                    rtol=1e-12)


# ------------------------------------------- full-covariance row densities (k at once)
def _exact_logpdf(x, mean, cov):
    """The Gaussian log-density with the quadratic form and the determinant computed
    in exact rational arithmetic from the float inputs (an independent reference
    whose only rounding is the final log)."""
    import math
    from fractions import Fraction

    d = len(mean)
    M = [[Fraction(float(cov[i, j])) for j in range(d)]
         + [Fraction(float(x[i])) - Fraction(float(mean[i]))] for i in range(d)]
    det = Fraction(1)
    for c in range(d):  # Gaussian elimination (the covariance is positive definite)
        det *= M[c][c]
        for r in range(c + 1, d):
            f = M[r][c] / M[c][c]
            M[r] = [a - f * b for a, b in zip(M[r], M[c])]
    w = [Fraction(0)] * d
    for c in range(d - 1, -1, -1):
        w[c] = (M[c][d] - sum(M[c][j] * w[j] for j in range(c + 1, d))) / M[c][c]
    maha = sum((Fraction(float(x[i])) - Fraction(float(mean[i]))) * w[i] for i in range(d))
    logdet = math.log(det.numerator) - math.log(det.denominator)
    return -0.5 * (d * math.log(2 * math.pi) + logdet + float(maha))


def _full_params(rng, d, k, cond=None, shift=0.0):
    out = []
    for _ in range(k):
        if cond is None:
            B = rng.normal(size=(d, d))
            cov = B @ B.T + 0.5 * np.eye(d)
        else:
            Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
            cov = (Q * np.geomspace(1.0, 1.0 / cond, d)) @ Q.T
            cov = 0.5 * (cov + cov.T)
        out.append({"mean": rng.normal(size=d) + shift, "covariance": cov})
    return out


@pytest.mark.parametrize("n", [50, 20_000], ids=["one-block", "blocks"])
def test_full_row_densities_equal_scipy_per_component(n):
    rng = np.random.default_rng(3)
    d, k = 4, 5
    params = _full_params(rng, d, k, shift=1e3)
    X = rng.normal(size=(n, d)) * 3 + 1e3
    got = Gaussian("full").logpdf_rows(X, params)
    assert got.shape == (n, k)
    for j, p in enumerate(params):
        ref = stats.multivariate_normal(p["mean"], p["covariance"]).logpdf(X)
        assert_allclose(got[:, j], ref, rtol=1e-12)


@pytest.mark.parametrize("cond", [1e2, 1e6, 1e10, 1e12])
def test_full_row_densities_ill_conditioned_against_exact_arithmetic(cond):
    # float64 cannot give the quadratic form of a covariance of condition number c to
    # better than about c * eps (scipy.stats does no better, and refuses beyond 1e10);
    # against exact rational arithmetic the error stays within that bound, and at
    # moderate conditioning also within 1e-12 of scipy
    rng = np.random.default_rng(int(np.log10(cond)))
    d = 3
    params = _full_params(rng, d, 2, cond=cond)
    X = params[0]["mean"] + rng.multivariate_normal(np.zeros(d), params[0]["covariance"],
                                                    size=15)
    got = Gaussian("full").logpdf_rows(X, params)
    for j, p in enumerate(params):
        exact = np.array([_exact_logpdf(x, p["mean"], p["covariance"]) for x in X])
        assert_allclose(got[:, j], exact, rtol=max(1e-13, 20 * cond * 2.2e-16))
        if cond <= 1e2:
            ref = stats.multivariate_normal(p["mean"], p["covariance"]).logpdf(X)
            assert_allclose(got[:, j], ref, rtol=1e-12)


def test_full_row_densities_not_positive_definite_and_nonfinite_rows():
    # a covariance that is not positive definite: a column of -inf (as logpdf); a row
    # of inf: -inf (outside the support), never NaN
    rng = np.random.default_rng(5)
    params = _full_params(rng, 2, 2)
    params.append({"mean": np.zeros(2), "covariance": np.array([[1.0, 2.0], [2.0, 1.0]])})
    X = rng.normal(size=(6, 2))
    X[2, 1] = np.inf
    got = Gaussian("full").logpdf_rows(X, params)
    assert np.all(got[:, 2] == -np.inf)
    assert np.all(got[2] == -np.inf)
    ok = np.r_[0:2, 3:6]
    for j in range(2):
        ref = stats.multivariate_normal(params[j]["mean"], params[j]["covariance"]).logpdf(X[ok])
        assert_allclose(got[ok, j], ref, rtol=1e-12)


@pytest.mark.parametrize("ctype", TYPES)
@pytest.mark.parametrize("scale", [1e-200, 1e-300, 1e300])
def test_batched_stats_are_scale_free_09(ctype, scale):
    # issue 9: (n, k) weights near 1e-200 gave m2 = sum w z**2 (s1**2 underflowed);
    # every column's statistics must be the unit-weight ones times the scale, and
    # those equal the two-pass weighted moments
    X = np.array([[-1.404], [-3.170], [-1.933]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    fam = Gaussian(ctype)
    for s, s1, w in zip(fam.stats(X, Y * scale), fam.stats(X, Y), Y.T):
        mean = (w @ X) / w.sum()
        m2 = w @ (X - mean) ** 2
        assert_allclose(s1.mean, mean, rtol=1e-14)
        assert_allclose(np.ravel(s1.m2), m2, rtol=1e-12, atol=1e-15)
        assert_allclose(float(s.weight) / scale, float(s1.weight), rtol=1e-14)
        assert_allclose(s.mean, s1.mean, rtol=1e-14)
        assert_allclose(np.ravel(s.m2) / scale, np.ravel(s1.m2), rtol=1e-12, atol=1e-15)
    # two columns, full covariance, weights spread over many rows
    rng = np.random.default_rng(9)
    X2 = _data(9, n=40, d=2)
    W = rng.random((40, 3))
    fam = Gaussian(ctype)
    for s, s1 in zip(fam.stats(X2, W * scale), fam.stats(X2, W)):
        assert_allclose(s.mean, s1.mean, rtol=1e-13)
        assert_allclose(np.asarray(s.m2) / scale, s1.m2, rtol=1e-12)
