"""Standard errors whose information (or variance) leaves float64 while they do not.

Issue 9, known defects [06], [07c], [34]: a geometric or negative-binomial ``p`` near
1e-300 has an information ~ n / p**2 that overflows, and was reported with SE 0
("determined beyond float64"); a Gaussian variance near 1e300 has an information
n / (2 var**2) that underflows, and was called "singular". The families form the
information on the log (or standardised) scale and the standard errors are mapped
back by the delta method. References: closed forms, scipy's polygamma, and the same
fit on rescaled data (scale equivariance).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import special

import sklearn_mle as m
from sklearn_mle.inference import InferenceWarning
from sklearn_mle.inference._utils import ScaledInformation, cov_and_se_from_information


def _fit(est, X, **kw):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        est.fit(X, **kw)
    messages = [str(r.message) for r in rec]
    assert not any(issubclass(r.category, RuntimeWarning) for r in rec), messages
    assert not any("singular" in s or "overflows float64" in s for s in messages), messages
    return est, messages


def _check_interval_inside(est, lo=0.0, hi=np.inf):
    ci = est.conf_int()
    assert np.all(np.isfinite(ci))
    assert np.all(ci[:, 0] >= lo) and np.all(ci[:, 1] <= hi)
    assert np.all(ci[:, 0] < est.estimates_) and np.all(est.estimates_ < ci[:, 1])


# ------------------------------------------------------------------ the helper
def test_scaled_information_equals_the_plain_inverse():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(3, 3))
    info = A @ A.T + 3 * np.eye(3)
    s = np.array([1e-3, 2.0, 1e4])
    cov, se = cov_and_se_from_information(ScaledInformation(info * np.outer(s, s), s))
    ref = np.linalg.inv(info)
    assert_allclose(cov, ref, rtol=1e-12)
    assert_allclose(se, np.sqrt(np.diag(ref)), rtol=1e-12)


def test_helper_standard_error_below_the_variance_range():
    # J = n / (1 - p) on the log scale of a geometric p: SE = p sqrt((1 - p) / n)
    p, n = 3e-301, 7.0
    with pytest.warns(InferenceWarning, match="variance of p is below the float64 range"):
        cov, se = cov_and_se_from_information(
            ScaledInformation(np.array([[n / (1 - p)]]), np.array([p])), ["p"])
    assert_allclose(se, p * np.sqrt((1 - p) / n), rtol=1e-14)
    assert cov[0, 0] < np.finfo(float).tiny


# ------------------------------------------------------- geometric, NB: [06], [07c]
@pytest.mark.parametrize("scale", [1.0, 1e300])
def test_geometric_tiny_p_standard_error_closed_form(scale):
    X = np.array([[1.0], [2.0], [3.0], [5.0], [4.0]]) * scale
    est, msgs = _fit(m.GeometricMLE(), X)
    n = X.shape[0]
    p = n / X.sum()
    assert_allclose(est.p_, p, rtol=1e-15)
    # var(p_hat) = p**2 (1 - p) / n (scipy.stats.geom: P(x) = p (1 - p)**(x - 1))
    assert_allclose(est.bse_, p * np.sqrt((1 - p) / n), rtol=1e-13)
    assert est.bse_[0] > 0
    _check_interval_inside(est, 0.0, 1.0)
    if scale > 1:
        assert any("below the float64 range" in s for s in msgs)


def _nb_log_scale_se(x, r, p):
    """SE of (r, p) from the Hessian of the NB log-likelihood in (log r, log p) at the
    MLE, written with scipy's polygamma (independent of the package's histogram sums)."""
    x = np.asarray(x, dtype=float)
    n = x.size
    h_rr = (special.polygamma(1, x + r) - special.polygamma(1, r)).sum()
    l_r = (special.digamma(x + r) - special.digamma(r)).sum() + n * np.log(p)
    # -d2l/dp2 = n r / p**2 + sum x / (1 - p)**2; times p**2, in logs (p**2 sum x)
    log_sum_x = np.log(x.max()) + np.log((x / x.max()).sum())  # the sum may overflow
    pp = n * r + np.exp(2 * np.log(p) + log_sum_x - 2 * np.log1p(-p))
    l_p_p = n * r - (p * x).sum() / (1 - p)  # p dl/dp, zero at the MLE
    J = np.array([[-(r * r * h_rr + r * l_r), -n * r],
                  [-n * r, pp - l_p_p]])
    inv = np.linalg.inv(J)
    return np.array([r, p]) * np.sqrt(np.diag(inv))


@pytest.mark.parametrize("X", [[[1.0], [3.0], [1e300], [2e300]],  # [06]
                               [[1.7e308], [1.6e308], [1.5e308]],  # [07c]
                               [[1.0], [4.0], [0.0], [7.0], [2.0], [9.0]]])
def test_negative_binomial_tiny_p_standard_errors(X):
    X = np.asarray(X)
    est, _ = _fit(m.NegativeBinomialMLE(), X)
    assert np.all(np.isfinite(est.bse_)) and np.all(est.bse_ > 0)
    assert_allclose(est.bse_, _nb_log_scale_se(X[:, 0], est.r_[0], est.p_[0]), rtol=1e-11)
    _check_interval_inside(est, 0.0, np.inf)
    assert est.conf_int()[1, 1] <= 1.0


def test_rank_distributions_reports_the_standard_errors_34():
    X = np.array([1e300, 2e300, 3e300, 5e300])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = m.rank_distributions(X, as_frame=False)
        geo = m.GeometricMLE().fit(X[:, None])
    assert all("overflows float64" not in r.message for r in rows)
    assert_allclose(geo.bse_, geo.p_ * np.sqrt((1 - geo.p_) / 4), rtol=1e-13)


# ------------------------------------------------ Poisson, Exponential, Bernoulli
def test_exponential_rate_near_1e_minus_300_is_scale_equivariant():
    X = np.array([[1.0, 2.0], [3.0, 0.5], [2.5, 4.0]])
    ref, _ = _fit(m.ExponentialMLE(), X)
    est, _ = _fit(m.ExponentialMLE(), X * 1e300)
    assert_allclose(est.rate_, ref.rate_ * 1e-300, rtol=1e-14)
    assert_allclose(est.bse_, ref.bse_ * 1e-300, rtol=1e-13)
    assert_allclose(est.bse_, est.rate_ / np.sqrt(3), rtol=1e-13)  # rate / sqrt(n)
    _check_interval_inside(est)


def test_poisson_rate_variance_beyond_float64_has_a_finite_standard_error():
    # rate 8.5e307 from weights 1e-8: var = rate / sum(w) = 4.25e315 overflows, the SE
    # sqrt(4.25e315) = 6.5e157 does not
    with pytest.warns(InferenceWarning, match="variance of rate exceeds the float64"):
        est = m.PoissonMLE().fit([[1.0], [1.7e308]], sample_weight=[1e-8, 1e-8])
    assert_allclose(est.bse_, np.sqrt(8.5e307) / np.sqrt(2e-8), rtol=1e-13)
    assert np.isposinf(est.cov_params_[0, 0])


@pytest.mark.parametrize("est", [m.BernoulliMLE(), m.BinomialMLE(n_trials=1)])
def test_bernoulli_p_near_1e_minus_300_under_weights(est):
    # p = 1e-300 from weights 1e-200 and 1e100: the information W / (p (1 - p)) =
    # 1e400 overflowed (SE 0); SE = sqrt(p (1 - p) / W) = 1e-200
    X = np.array([[1.0], [0.0]])
    w = np.array([1e-200, 1e100])
    est, _ = _fit(est, X, sample_weight=w)
    p = 1e-200 / (1e100 + 1e-200)
    assert_allclose(est.p_, p, rtol=1e-15)
    assert_allclose(est.bse_, np.sqrt(p) * np.sqrt((1 - p) / w.sum()), rtol=1e-13)
    _check_interval_inside(est, 0.0, 1.0)


# ------------------------------------------------------ Gaussian, LogNormal: task 2
@pytest.mark.parametrize("ctype", ["diag", "spherical", "full"])
@pytest.mark.parametrize("scale", [1e150, 1e-150])
def test_gaussian_variances_near_the_float64_limits(ctype, scale):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2)) + [1.0, -2.0]
    ref, _ = _fit(m.GaussianMLE(covariance_type=ctype), X)
    est, msgs = _fit(m.GaussianMLE(covariance_type=ctype), X * scale)
    k = len(est.bse_)
    factor = np.r_[np.full(2, scale), np.full(k - 2, scale**2)]
    assert_allclose(est.bse_, ref.bse_ * factor, rtol=1e-13)
    # closed forms: SE(mean_j) = sqrt(var_j / n); SE(var) = var sqrt(2 / n) (diag),
    # var sqrt(2 / (n d)) (spherical); SE(s_ij) = sqrt((s_ii s_jj + s_ij**2) / n) (full)
    n = X.shape[0]
    cov = np.asarray(est.covariance_)
    var = np.diag(cov) if ctype == "full" else np.broadcast_to(cov, (2,))
    assert_allclose(est.bse_[:2], np.sqrt(var) / np.sqrt(n), rtol=1e-13)
    if ctype == "diag":
        assert_allclose(est.bse_[2:], var * np.sqrt(2 / n), rtol=1e-13)
    elif ctype == "spherical":
        assert_allclose(est.bse_[2:], var[0] * np.sqrt(2 / (2 * n)), rtol=1e-13)
    else:
        ii, jj = np.tril_indices(2)
        t = np.sqrt(var)
        r = cov / np.outer(t, t)
        ref_se = t[ii] * t[jj] * np.sqrt((r[ii, ii] * r[jj, jj] + r[ii, jj] ** 2) / n)
        assert_allclose(est.bse_[2:], ref_se, rtol=1e-13)
    assert any("float64 range" in s for s in msgs)
    if ctype == "diag":
        ci = est.conf_int()
        assert np.all(ci[2:, 0] >= 0) and np.all(np.isfinite(ci))


def test_lognormal_standard_errors_under_tiny_weights():
    rng = np.random.default_rng(2)
    X = np.exp(rng.normal(size=(30, 2)))
    ref, _ = _fit(m.LogNormalMLE(), X)
    for w in (1e-200, 1e-310, 1e200):
        est, _ = _fit(m.LogNormalMLE(), X, sample_weight=np.full(30, w))
        assert_allclose(est.sigma_, ref.sigma_, rtol=1e-13)
        assert_allclose(est.bse_, ref.bse_ / np.sqrt(w), rtol=1e-12)
    # closed form at the MLE: SE(mu) = sigma / sqrt(W), SE(sigma) = sigma / sqrt(2 W)
    assert_allclose(ref.bse_, np.r_[ref.sigma_ / np.sqrt(30), ref.sigma_ / np.sqrt(60)],
                    rtol=1e-12)


@pytest.mark.parametrize("name", ["GammaMLE", "WeibullMLE"])
@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_gamma_weibull_scale_parameter_at_extreme_magnitudes(name, scale):
    # the rate's (scale's) information ~ n / rate**2 overflowed at data near 1e300
    # (SE 0, "overflows float64") and underflowed near 1e-300 ("singular", inf).
    # Reference: the fit on unit data, scale-equivariant (shape SE unchanged)
    rng = np.random.default_rng(3)
    X = rng.gamma(2.0, 1.0, (30, 1)) if name == "GammaMLE" else rng.weibull(1.5, (30, 1))
    ref, _ = _fit(getattr(m, name)(), X)
    est, _ = _fit(getattr(m, name)(), X * scale)
    factor = np.array([1.0, 1 / scale if name == "GammaMLE" else scale])
    assert_allclose(est.estimates_, ref.estimates_ * factor, rtol=1e-9)
    assert_allclose(est.bse_, ref.bse_ * factor, rtol=1e-9)
    _check_interval_inside(est)


@pytest.mark.parametrize("name", ["GammaMLE", "WeibullMLE", "ExponentialMLE", "LogNormalMLE",
                                  "GaussianMLE", "PoissonMLE", "GeometricMLE",
                                  "NegativeBinomialMLE"])
def test_scaled_information_matches_the_plain_one(name):
    X = np.ceil(np.random.default_rng(4).gamma(3.0, 2.0, (25, 2)))
    kw = {"covariance_type": "diag"} if name == "GaussianMLE" else {}
    est = getattr(m, name)(**kw).fit(X)
    fam, params = est.family_, est.params_
    J, s = fam.scaled_information(est.stats_, params)
    assert np.any(s != 1.0)
    assert_allclose(J / s[:, :, None] / s[:, None, :], fam.information(est.stats_, params),
                    rtol=1e-12)


# --------------------------------------------------------- HC2/HC3 leverages: task 3
@pytest.mark.parametrize("cov_type", ["HC2", "HC3"])
def test_linear_hc2_hc3_frequency_weights_equal_repeated_rows(cov_type):
    # sample_weight are frequency weights: integer weights give statsmodels' OLS
    # HC2/HC3 on the repeated rows
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(5)
    X = rng.normal(size=(30, 2))
    y = X @ [1.0, -1.0] + rng.normal(size=30) * (1 + np.abs(X[:, 0]))
    w = rng.integers(1, 4, 30)
    rep = np.repeat(np.arange(30), w)
    ref = sm.OLS(y[rep], sm.add_constant(X[rep])).fit(cov_type=cov_type)
    est = m.MLELinearRegression(cov_type=cov_type).fit(X, y, sample_weight=w)
    assert_allclose(est.bse_, ref.bse, rtol=1e-12)


@pytest.mark.parametrize("cov_type", ["HC2", "HC3"])
def test_hc2_hc3_leverage_beyond_one_is_refused_not_zero(cov_type):
    # weights 1e-8 make every row's leverage per unit weight ~ 1e7: the rows were left
    # out of the meat and the standard errors were 0 without a word
    rng = np.random.default_rng(6)
    X = rng.normal(size=(30, 2))
    y = X @ [1.0, -1.0] + rng.normal(size=30)
    with pytest.raises(ValueError, match=f"cov_type='{cov_type}' reads sample_weight as "
                                         "frequency weights.*leverage per unit weight"):
        m.MLELinearRegression(cov_type=cov_type).fit(X, y, sample_weight=np.full(30, 1e-8))
    yc = rng.poisson(np.exp(0.3 * X[:, 0]))
    with pytest.raises(ValueError, match="not defined"):
        m.MLEPoissonRegression(cov_type=cov_type).fit(X, yc, sample_weight=np.full(30, 1e-8))


# ------------------------------------- Gaussian data whose variance underflows float64
@pytest.mark.parametrize("ctype", ["diag", "full", "spherical"])
def test_gaussian_variance_below_float64_is_an_error_not_a_constant_column(ctype):
    # values ~1e-200 differ, but their squares underflow: the fit said "a column has
    # zero variance (constant data)" and "singular" (the mirror of known defect [05a])
    X = np.random.default_rng(7).normal(size=(30, 2)) * 1e-200
    with pytest.raises(ValueError, match="GaussianMLE: column 0 has value .* the "
                                         "variance of the data is below the float64"):
        m.GaussianMLE(covariance_type=ctype).fit(X)
    with pytest.raises(ValueError, match="below the float64 range"):
        m.GaussianMLE(covariance_type=ctype).fit(X, sample_weight=np.arange(30.0))


def test_gaussian_tiny_spread_refused_only_where_the_variance_underflows():
    # a constant column is a boundary (BoundaryWarning), not this error
    with pytest.warns(m.BoundaryWarning, match="constant"):
        m.GaussianMLE().fit(np.full((5, 1), 1e-200))
    # a batch of tiny spread after an ordinary one: the variance of all rows is 4.5
    est = m.GaussianMLE().partial_fit([[5.0], [3.0]]).partial_fit([[0.0], [1e-200]])
    assert_allclose(np.ravel(est.covariance_), [4.5], rtol=1e-15)
    # spherical: the shared variance is that of every column together
    X = np.random.default_rng(8).normal(size=(30, 2))
    X[:, 0] *= 1e-200
    est = m.GaussianMLE(covariance_type="spherical").fit(X)
    assert_allclose(est.covariance_, np.var(X[:, 1]) / 2, rtol=1e-12)


def test_composite_estimators_keep_their_parts_standard_errors():
    # naive Bayes stacks the parts' cov_params_; the SEs come from the parts' bse_,
    # exact where a variance underflows (a geometric p of 5e-301: SE p sqrt((1 - p) / n))
    from sklearn_mle.naive_bayes import IndependentMLE

    X = np.array([[1e300], [2e300], [3e300], [5e300], [4e300], [6e300]])
    y = [0, 0, 0, 1, 1, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        gen = m.GenerativeClassifier(m.GeometricMLE()).fit(X, y)
        ind = IndependentMLE([("trials", m.GeometricMLE(), [0]),
                              ("plain", m.PoissonMLE(), [1])]).fit(
            np.column_stack([X[:, 0], np.arange(6.0)]))
    p = np.array([3 / 6e300, 3 / 15e300])
    assert_allclose(gen.bse_[:2], p * np.sqrt((1 - p) / 3), rtol=1e-13)
    assert_allclose(gen.bse_[2], np.sqrt(0.25 / 6), rtol=1e-13)  # P(class=0) = 1/2
    q = 6 / 21e300
    assert_allclose(ind.bse_, [q * np.sqrt((1 - q) / 6), np.sqrt(2.5 / 6)], rtol=1e-13)


# ------------------------------------------------ sandwich (HC0) at extreme magnitudes
@pytest.mark.parametrize("scale", [1.0, 1e10, 1e300])
def test_hc0_sandwich_at_extreme_magnitudes(scale):
    # the sandwich took the model covariance (0 where the variance underflows) and the
    # scores (~1e300, whose squares overflow): NaN SEs; and the default score_rows
    # stepped 25% of a rate of 3e-11. Closed forms of B M B with the exact scores:
    # exponential SE / r = sqrt(sum (1 - r x)**2) / n; geometric (p s_i = 1 - p (x - 1)
    # / (1 - p)) SE / p = (1 - p) / n sqrt(sum (p s_i)**2)
    x = np.array([1.0, 2.0, 3.0, 5.0, 4.0]) * scale
    n = x.size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        exp = m.ExponentialMLE(cov_type="HC0").fit(x[:, None])
        geo = m.GeometricMLE(cov_type="HC0").fit(x[:, None])
    r, p = exp.rate_[0], geo.p_[0]
    assert_allclose(exp.bse_ / r, np.sqrt(np.sum((1 - r * x) ** 2)) / n, rtol=1e-8)
    ps = 1 - p * (x - 1) / (1 - p)
    assert_allclose(geo.bse_ / p, (1 - p) / n * np.sqrt(np.sum(ps**2)), rtol=1e-8)
    for est in (exp, geo):
        _check_interval_inside(est)
