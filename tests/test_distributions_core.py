"""Gaussian, Poisson and Bernoulli MLEs, and the machinery every family shares.

References are independent of the code under test: closed-form derivations and
scipy.stats densities.
"""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from sklearn_mle import (
    BernoulliMLE,
    BoundaryWarning,
    GaussianMLE,
    InferenceWarning,
    PoissonMLE,
    likelihood_ratio_test,
)
from sklearn_mle.priors import Beta, Gamma, NormalInverseGamma

HEIGHTS = np.array([[160.0], [165.0], [170.0], [175.0], [180.0]])


# ----------------------------------------------------------- worked examples
def test_heights_mean_and_mle_variance():
    est = GaussianMLE().fit(HEIGHTS)
    assert est.mean_[0] == 170.0
    assert est.covariance_[0, 0] == 50.0  # divides by n = 5, not n - 1
    assert est.n_params_ == 2


def test_heights_known_variance():
    est = GaussianMLE(fixed_params={"covariance": 25.0}).fit(HEIGHTS)
    assert est.mean_[0] == 170.0
    assert est.n_params_ == 1
    assert est.param_names_ == ["mean"]
    assert_allclose(est.bse_, [np.sqrt(25.0 / 5)])  # sigma / sqrt(n)
    alias = GaussianMLE(covariance_type="diag", fixed_params={"variance": 25.0}).fit(HEIGHTS)
    assert_allclose(alias.mean_, [170.0])


def test_seven_heads_in_ten_flips():
    flips = np.array([[1]] * 7 + [[0]] * 3)
    est = BernoulliMLE().fit(flips)
    assert_allclose(est.p_, [0.7])
    assert_allclose(est.bse_, [np.sqrt(0.7 * 0.3 / 10)])
    assert_allclose(BernoulliMLE(prior=Beta(2, 2)).fit(flips).p_, [8 / 12])


def test_four_sixes_in_twelve_rolls_as_bernoulli():
    rolls = np.array([[1]] * 4 + [[0]] * 8)
    assert_allclose(BernoulliMLE().fit(rolls).p_, [1 / 3])


def test_poisson_gamma_prior_closed_form():
    x = np.array([[0], [2], [3], [1], [4], [2]])
    a, rate = 3.0, 2.0
    est = PoissonMLE(prior=Gamma(a, rate)).fit(x)
    assert_allclose(est.rate_, [(x.sum() + a - 1) / (len(x) + rate)])
    # Laplace approximation: inverse negative Hessian of the log-posterior
    lam = est.rate_[0]
    neg_hess = (x.sum() + a - 1) / lam**2
    assert_allclose(est.cov_params_, [[1 / neg_hess]])
    assert "MAP" in str(est.summary())


# ------------------------------------------------------ densities vs scipy
@pytest.mark.parametrize("ctype", ["full", "diag", "spherical"])
def test_gaussian_score_samples_matches_scipy(ctype):
    rng = np.random.default_rng(0)
    X = rng.multivariate_normal([1.0, -2.0, 3.0], [[2, 0.5, 0.1], [0.5, 1, 0.3], [0.1, 0.3, 3]],
                                size=200)
    est = GaussianMLE(covariance_type=ctype).fit(X)
    if ctype == "full":
        ref = stats.multivariate_normal(est.mean_, est.covariance_).logpdf(X)
        assert_allclose(est.mean_, X.mean(0), rtol=1e-13)
        assert_allclose(est.covariance_, np.cov(X.T, bias=True), rtol=1e-12)
    elif ctype == "diag":
        ref = stats.norm(est.mean_, np.sqrt(est.covariance_)).logpdf(X).sum(1)
        assert_allclose(est.covariance_, X.var(0), rtol=1e-12)
    else:
        ref = stats.norm(est.mean_, np.sqrt(est.covariance_)).logpdf(X).sum(1)
        assert_allclose(est.covariance_, X.var(0).mean(), rtol=1e-12)
    assert_allclose(est.score_samples(X), ref, rtol=1e-12)
    assert_allclose(est.loglik_, ref.sum(), rtol=1e-12)
    assert_allclose(est.score(X) * len(X), est.loglik_, rtol=1e-12)


def test_poisson_and_bernoulli_match_scipy():
    rng = np.random.default_rng(1)
    counts = rng.poisson([0.5, 4.0, 20.0], size=(300, 3)).astype(float)
    est = PoissonMLE().fit(counts)
    assert_allclose(est.rate_, counts.mean(0), rtol=1e-13)
    ref = stats.poisson(est.rate_).logpmf(counts).sum(1)
    assert_allclose(est.score_samples(counts), ref, rtol=1e-12)
    assert_allclose(est.loglik_, ref.sum(), rtol=1e-12)
    b = (rng.random((300, 2)) < [0.2, 0.6]).astype(float)
    eb = BernoulliMLE().fit(b)
    ref = stats.bernoulli(eb.p_).logpmf(b).sum(1)
    assert_allclose(eb.score_samples(b), ref, rtol=1e-12)
    assert_allclose(eb.loglik_, ref.sum(), rtol=1e-12)


def test_out_of_support_scores_minus_inf():
    est = PoissonMLE().fit([[1], [2], [3]])
    assert np.all(np.isneginf(est.score_samples([[-1.0], [0.5]])))
    assert_allclose(est.predict([[-1.0], [2.0]]), [-1, 1])


# ---------------------------------------------------------------- inference
def test_bse_equals_analytic_fisher_information():
    rng = np.random.default_rng(2)
    X = rng.normal(3.0, 2.0, size=(400, 2))
    est = GaussianMLE(covariance_type="diag").fit(X)
    n, var = len(X), est.covariance_
    # I(mu) = n / var, I(var) = n / (2 var^2); parameter-major order
    assert_allclose(est.bse_, np.r_[np.sqrt(var / n), np.sqrt(2 * var**2 / n)], rtol=1e-12)
    assert est.param_names_ == ["mean[x0]", "mean[x1]", "covariance[x0]", "covariance[x1]"]
    full = GaussianMLE().fit(X)
    S = full.covariance_
    # Var(s_ij) = (s_ii s_jj + s_ij^2) / n
    expected = np.sqrt([S[0, 0] / n, S[1, 1] / n, 2 * S[0, 0] ** 2 / n,
                        (S[1, 1] * S[0, 0] + S[1, 0] ** 2) / n, 2 * S[1, 1] ** 2 / n])
    assert_allclose(full.bse_, expected, rtol=1e-12)
    counts = rng.poisson(3.0, size=(500, 1))
    p = PoissonMLE().fit(counts)
    assert_allclose(p.bse_, np.sqrt(p.rate_ / len(counts)), rtol=1e-12)


def test_wald_and_profile_intervals():
    est = PoissonMLE().fit(np.array([[2], [3], [1], [4], [0]]))
    lo, hi = est.conf_int(method="profile")[0]
    # the profile interval solves 2 (l(hat) - l(r)) = chi2_1(0.95) exactly
    ll = lambda r: stats.poisson(r).logpmf([2, 3, 1, 4, 0]).sum()  # noqa: E731
    crit = stats.chi2.ppf(0.95, 1)
    assert_allclose(2 * (ll(2.0) - ll(lo)), crit, rtol=1e-8)
    assert_allclose(2 * (ll(2.0) - ll(hi)), crit, rtol=1e-8)
    assert lo < 2.0 < hi and (hi - 2.0) > (2.0 - lo)  # skewed, unlike Wald
    wald = est.conf_int()
    assert_allclose(wald, [[2 - 1.959963984540054 * np.sqrt(0.4), 2 + 1.959963984540054 *
                            np.sqrt(0.4)]])


def test_profile_interval_gaussian_variance_matches_chi2_formula():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(30, 1))
    est = GaussianMLE(covariance_type="diag").fit(x)
    lo, hi = est.conf_int(method="profile")[1]
    v = est.covariance_[0]
    n = len(x)
    # profile over the mean is at xbar: 2(l(v)-l(s)) = n (s/v - 1 - log(s/v))
    for s in (lo, hi):
        assert_allclose(n * (v / s - 1 - np.log(v / s)), stats.chi2.ppf(0.95, 1), rtol=1e-7)


@pytest.mark.slow
def test_wald_and_profile_coverage_simulation():
    rng = np.random.default_rng(4)
    reps, n, true_rate = 400, 40, 3.0
    hits_w = hits_p = 0
    for _ in range(reps):
        x = rng.poisson(true_rate, size=(n, 1))
        est = PoissonMLE().fit(x)
        lo, hi = est.conf_int()[0]
        hits_w += lo <= true_rate <= hi
        lo, hi = est.conf_int(method="profile")[0]
        hits_p += lo <= true_rate <= hi
    assert 0.92 <= hits_w / reps <= 0.98
    assert 0.92 <= hits_p / reps <= 0.98


def test_likelihood_ratio_test_matches_closed_form():
    rng = np.random.default_rng(5)
    x = rng.normal(0.3, 1.0, size=(50, 1))
    full = GaussianMLE().fit(x)
    restricted = GaussianMLE(fixed_params={"mean": 0.0}).fit(x)
    res = likelihood_ratio_test(restricted, full)
    n = len(x)
    s_full, s_0 = x.var(), np.mean(x**2)
    assert_allclose(res.statistic, n * np.log(s_0 / s_full), rtol=1e-10)
    assert res.df == 1
    assert_allclose(res.pvalue, stats.chi2.sf(res.statistic, 1), rtol=1e-12)
    with pytest.raises(ValueError, match="restricted.n_params_ < full.n_params_"):
        likelihood_ratio_test(full, restricted)
    other = GaussianMLE().fit(x[:40])
    with pytest.raises(ValueError, match="different amounts of data"):
        likelihood_ratio_test(restricted, other)


def test_aic_bic_use_n_params():
    x = np.random.default_rng(6).poisson(2.0, size=(100, 2))
    est = PoissonMLE().fit(x)
    ll = stats.poisson(est.rate_).logpmf(x).sum()
    assert_allclose(est.aic(x), -2 * ll + 2 * 2)
    assert_allclose(est.bic(x), -2 * ll + np.log(100) * 2)


def test_summary_text_html_frame():
    est = GaussianMLE(covariance_type="diag").fit(HEIGHTS)
    s = est.summary()
    text = str(s)
    assert "mean" in text and "Log-likelihood" in text and "AIC" in text
    assert "<table>" in s._repr_html_()
    frame = s.to_frame()
    assert list(frame.index) == est.param_names_
    assert_allclose(frame["std err"].to_numpy(), est.bse_)


def test_feature_names_in_param_names():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"height": HEIGHTS[:, 0], "weight": HEIGHTS[:, 0] / 2.5 + [1, -1, 0, 2, -2]})
    est = GaussianMLE(covariance_type="diag").fit(df)
    assert est.param_names_[0] == "mean[height]"
    with pytest.raises(ValueError, match="column 'weight'"):
        PoissonMLE().fit(df.assign(weight=-1.0))


# ------------------------------------------------------------ contract tests
CASES = [
    (lambda: GaussianMLE(), lambda r: r.normal(5, 2, size=(60, 3))),
    (lambda: GaussianMLE("diag"), lambda r: r.normal(5, 2, size=(60, 3))),
    (lambda: GaussianMLE("spherical"), lambda r: r.normal(5, 2, size=(60, 3))),
    (lambda: PoissonMLE(), lambda r: r.poisson(3, size=(60, 2)).astype(float)),
    (lambda: BernoulliMLE(), lambda r: (r.random((60, 2)) < 0.4).astype(float)),
]


@pytest.mark.parametrize("make, data", CASES)
def test_partial_fit_equals_fit(make, data):
    X = data(np.random.default_rng(7))
    full = make().fit(X)
    inc = make()
    for batch in np.array_split(X, 4):
        inc.partial_fit(batch)
    for name in full.params_:
        assert_allclose(inc.params_[name], full.params_[name], rtol=1e-12, atol=1e-14)
    assert_allclose(inc.loglik_, full.loglik_, rtol=1e-12)
    assert_allclose(inc.cov_params_, full.cov_params_, rtol=1e-10, atol=1e-15)
    assert inc.stats_ is not None


@pytest.mark.parametrize("make, data", CASES)
def test_integer_weights_equal_repeated_rows(make, data):
    rng = np.random.default_rng(8)
    X = data(rng)
    w = rng.integers(0, 4, size=len(X))
    weighted = make().fit(X, sample_weight=w)
    repeated = make().fit(np.repeat(X, w, axis=0))
    for name in weighted.params_:
        assert_allclose(weighted.params_[name], repeated.params_[name], rtol=1e-11, atol=1e-13)
    assert_allclose(weighted.loglik_, repeated.loglik_, rtol=1e-11)
    assert_allclose(weighted.bse_, repeated.bse_, rtol=1e-9)


@pytest.mark.parametrize("make, data", CASES)
def test_score_times_n_is_loglik_and_pickle(make, data):
    X = data(np.random.default_rng(9))
    est = make().fit(X)
    assert_allclose(est.score(X) * len(X), est.loglik_, rtol=1e-12)
    again = pickle.loads(pickle.dumps(est))
    assert_allclose(again.score_samples(X), est.score_samples(X))
    draws = est.sample(5, random_state=0)
    assert draws.shape == (5, X.shape[1])
    assert_allclose(est.sample(5, random_state=0), draws)


def test_weak_prior_map_equals_mle():
    rng = np.random.default_rng(10)
    b = (rng.random((200, 1)) < 0.3).astype(float)
    assert_allclose(BernoulliMLE(prior=Beta(1 + 1e-9, 1 + 1e-9)).fit(b).p_,
                    BernoulliMLE().fit(b).p_, rtol=1e-9)
    c = rng.poisson(4.0, size=(200, 1))
    assert_allclose(PoissonMLE(prior=Gamma(1 + 1e-9, 1e-9)).fit(c).rate_,
                    PoissonMLE().fit(c).rate_, rtol=1e-9)
    x = rng.normal(2.0, 3.0, size=(200_000, 2))
    weak = GaussianMLE("diag", prior=NormalInverseGamma(kappa=1e-9, alpha=1e-9, beta=1e-9))
    weak.fit(x)
    mle = GaussianMLE("diag").fit(x)
    assert_allclose(weak.mean_, mle.mean_, rtol=1e-9)
    assert_allclose(weak.covariance_, mle.covariance_, rtol=2e-5)  # (n) vs (n + 3) divisor


def test_normal_inverse_gamma_map_closed_form():
    rng = np.random.default_rng(11)
    x = rng.normal(1.0, 2.0, size=(25, 1))
    prior = NormalInverseGamma(mu=0.0, kappa=2.0, alpha=3.0, beta=4.0)
    est = GaussianMLE("diag", prior=prior).fit(x)
    n, xbar, ss = len(x), x.mean(), ((x - x.mean()) ** 2).sum()
    mu = (n * xbar) / (n + 2.0)
    # joint mode of the NIG posterior: var = (ss + n k0/(n+k0) xbar^2 + 2 beta) / (n + 3 + 2 alpha)
    var = (ss + n * 2.0 / (n + 2.0) * xbar**2 + 2 * 4.0) / (n + 3 + 2 * 3.0)
    assert_allclose(est.mean_, [mu], rtol=1e-12)
    assert_allclose(est.covariance_, [var], rtol=1e-12)
    # the reported objective is log-likelihood + log-prior (both from scipy)
    lp = (stats.norm(mu, np.sqrt(var)).logpdf(x).sum()
          + stats.norm(0.0, np.sqrt(var / 2.0)).logpdf(mu)
          + stats.invgamma(3.0, scale=4.0).logpdf(var))
    assert_allclose(est.loglik_, lp, rtol=1e-12)


# ---------------------------------------------------------------- bad input
def test_domain_errors_name_column_and_rule():
    with pytest.raises(ValueError, match=r"column 1 .*non-negative integers"):
        PoissonMLE().fit([[1, 2], [3, -1]])
    with pytest.raises(ValueError, match=r"column 0 has value 2.5.*non-negative integers"):
        PoissonMLE().fit([[2.5], [1]])
    with pytest.raises(ValueError, match="must be 0 or 1"):
        BernoulliMLE().fit([[0], [2]])
    with pytest.raises(ValueError, match="NaN"):
        GaussianMLE().fit([[1.0], [np.nan]])
    with pytest.raises(ValueError, match="unknown parameter 'sd'"):
        GaussianMLE(fixed_params={"sd": 1.0}).fit(HEIGHTS)
    with pytest.raises(ValueError, match="does not support prior"):
        PoissonMLE(prior=Beta(2, 2)).fit([[1], [2]])
    with pytest.raises(ValueError, match="non-zero"):
        PoissonMLE().fit([[1], [2]], sample_weight=[0, 0])


def test_boundary_mle_warns_with_remedy():
    with pytest.warns(BoundaryWarning, match="prior=Gamma"):
        est = PoissonMLE().fit(np.zeros((10, 1)))
    assert est.rate_[0] == 0.0
    assert not np.isnan(est.bse_).any()
    with pytest.warns(BoundaryWarning, match="Beta"):
        BernoulliMLE().fit(np.ones((5, 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", BoundaryWarning)
        warnings.simplefilter("ignore", InferenceWarning)
        PoissonMLE(prior=Gamma(2, 1)).fit(np.zeros((10, 1)))


def test_constant_column_gaussian_warns_and_prior_fixes_it():
    X = np.c_[np.full(20, 3.0), np.arange(20.0)]
    with pytest.warns(BoundaryWarning, match="zero variance"):
        GaussianMLE("diag").fit(X)
    est = GaussianMLE("diag", prior=NormalInverseGamma(beta=1.0)).fit(X)
    assert np.all(est.covariance_ > 0) and np.all(np.isfinite(est.bse_))


# ------------------------------------------------------------ extreme inputs
def test_large_offset_does_not_cancel():
    rng = np.random.default_rng(12)
    x = 1e9 + rng.normal(0.0, 1e-3, size=(10_000, 2))
    est = GaussianMLE("diag").fit(x)
    ref = np.var(x - 1e9, axis=0)
    assert_allclose(est.covariance_, ref, rtol=1e-6)
    inc = GaussianMLE("diag")
    for b in np.array_split(x, 7):
        inc.partial_fit(b)
    assert_allclose(inc.covariance_, ref, rtol=1e-6)


def test_tiny_scale_and_float32():
    rng = np.random.default_rng(13)
    x = rng.normal(0.0, 1e-8, size=(500, 2))
    est = GaussianMLE().fit(x)
    assert_allclose(est.covariance_, np.cov(x.T, bias=True), rtol=1e-10)
    assert np.all(np.isfinite(est.score_samples(x)))
    est32 = GaussianMLE().fit(x.astype(np.float32) * 1e8)
    assert_allclose(est32.mean_, x.mean(0) * 1e8, atol=1e-5)


def test_fixed_params_validation_and_full_covariance():
    rng = np.random.default_rng(14)
    X = rng.multivariate_normal([0, 0], [[1, -0.5], [-0.5, 2]], size=300)
    cov = np.array([[1.0, -0.5], [-0.5, 2.0]])
    est = GaussianMLE(fixed_params={"covariance": cov}).fit(X)
    assert_allclose(est.mean_, X.mean(0))
    assert est.n_params_ == 2
    assert_allclose(est.cov_params_, cov / len(X), rtol=1e-12)
    with pytest.raises(ValueError, match="positive definite"):
        GaussianMLE(fixed_params={"covariance": [[1.0, 2.0], [2.0, 1.0]]}).fit(X)
    with pytest.raises(ValueError, match=r"rate must lie in \(0.0, inf\)"):
        PoissonMLE(fixed_params={"rate": -1.0}).fit([[1], [2]])
    with pytest.raises(ValueError, match="one per column"):
        PoissonMLE(fixed_params={"rate": [1.0, 2.0, 3.0]}).fit([[1, 2], [2, 3]])


def test_priors_clone_and_grid_search():
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV

    est = PoissonMLE(prior=Gamma(2.0, 1.0))
    copy = clone(est)
    assert copy.prior == est.prior and copy.prior is not est.prior
    x = np.random.default_rng(15).poisson(3.0, size=(60, 1))
    grid = {"prior": [None, Gamma(2.0, 1.0), Gamma(50.0, 1.0)]}
    search = GridSearchCV(PoissonMLE(), grid, cv=3).fit(x)
    # the absurd Gamma(50, 1) prior (rate mode 49) must lose on held-out likelihood
    assert search.best_params_["prior"] != Gamma(50.0, 1.0)


@pytest.mark.parametrize("offset", [0.0, 1e2, 1e3, 3e3, 1e5])
@pytest.mark.parametrize("ctype", ["full", "diag"])
def test_moments_accurate_across_offsets(offset, ctype):
    # the fast raw-sum pass is used only while it keeps ~10 digits; else the shifted pass
    rng = np.random.default_rng(16)
    x = offset + rng.normal(0.0, 1.0, size=(20_000, 2))
    est = GaussianMLE(ctype).fit(x)
    centred = x - x.mean(axis=0)
    ref = centred.T @ centred / len(x)
    expected = ref if ctype == "full" else np.diag(ref)
    # unit variances: atol 1e-9 is 1e-9 relative to the scale of every entry
    assert_allclose(est.covariance_, expected, rtol=1e-9, atol=1e-9)
    # the mean sits near 0 at offset 0: atol 1e-13 is relative to the unit spread
    assert_allclose(est.mean_, x.mean(axis=0), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("family", ["poisson", "bernoulli", "geometric", "binomial",
                                    "categorical", "gaussian"])
def test_offset_from_distinct_counts_equals_the_row_quantile(family, weighted):
    # one column of small integers: offset_ scores each distinct value once, weighted by
    # its count; it must be the same order statistic as scoring every sampled row
    from sklearn_mle import (
        BernoulliMLE,
        BinomialMLE,
        CategoricalMLE,
        GaussianMLE,
        GeometricMLE,
        PoissonMLE,
    )
    from sklearn_mle.distributions._novelty import _OFFSET_ROWS, _weighted_quantile

    rng = np.random.default_rng(17)
    n = 3 * _OFFSET_ROWS + 7
    est, x = {
        "poisson": (PoissonMLE(contamination=0.13), rng.poisson(6.0, n)),
        "bernoulli": (BernoulliMLE(contamination=0.2), rng.random(n) < 0.3),
        "geometric": (GeometricMLE(contamination=0.05), rng.geometric(0.2, n)),
        "binomial": (BinomialMLE(8, contamination=0.1), rng.binomial(8, 0.4, n)),
        "categorical": (CategoricalMLE(contamination=0.1), rng.integers(0, 9, n)),
        "gaussian": (GaussianMLE(contamination=0.1), np.round(rng.normal(9.0, 2.0, n))),
    }[family]
    X = x.astype(float)[:, None]
    w = rng.uniform(0.1, 2.0, n) if weighted else np.ones(n)
    est.fit(X, sample_weight=w if weighted else None)
    step = -(-n // _OFFSET_ROWS)
    rows = est.score_samples(X[::step])
    assert est.offset_ == _weighted_quantile(rows, w[::step], est.contamination)
    # the threshold sits on a training score and flags about `contamination` of it
    assert np.any(rows == est.offset_)
