"""Profile-likelihood intervals of functions of the parameters
(``delta_method(func, method="profile")``) against hand-coded profiles by
reparametrisation, the invariance of a single parameter's profile interval, and a
bounded coverage simulation."""

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy import optimize, stats

from sklearn_mle import ExponentialMLE, GammaMLE, GaussianMLE, LogNormalMLE, WeibullMLE
from sklearn_mle.linear_model._linear import MLELinearRegression
from sklearn_mle.linear_model._logistic import MLELogisticRegression
from sklearn_mle.linear_model._poisson import MLEPoissonRegression

CUT = stats.chi2.ppf(0.95, 1) / 2.0


def _hand_interval(profile, est, lo, hi):
    """Roots of ``profile(c) - (profile(est) - CUT)`` in (lo, est) and (est, hi)."""
    top = profile(est)
    gap = lambda c: profile(c) - (top - CUT)  # noqa: E731
    return [optimize.brentq(gap, lo, est, xtol=1e-13, rtol=1e-13),
            optimize.brentq(gap, est, hi, xtol=1e-13, rtol=1e-13)]


def _max_over(f, lo, hi):
    """max_t f(t) on (lo, hi) by a bounded scalar search polished by a second pass."""
    res = optimize.minimize_scalar(lambda t: -f(t), bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-12})
    return -res.fun


def test_odds_ratio_profile_is_exp_of_the_coefficient_profile():
    # invariance: {exp(b): b in the profile interval of b}; the coefficient's profile
    # interval comes from the offset-based Newton refits (tested against statsmodels
    # with the coefficient as an offset), an independent path from the constrained SLSQP
    d = sm.datasets.spector.load_pandas()
    est = MLELogisticRegression(tol=1e-12).fit(d.exog, d.endog)
    ci_b = est.conf_int(method="profile")
    res = est.delta_method(lambda p: np.exp(p[2]), names=["OR[TUCE]"], method="profile")
    assert_allclose(res.conf_int[0], np.exp(ci_b[2]), rtol=1e-7)
    assert_allclose(res.estimate, np.exp(est.estimates_[2]))
    # the Wald interval of the same function is a different (symmetric) interval
    wald = est.delta_method(lambda p: np.exp(p[2])).conf_int[0]
    assert not np.allclose(wald, res.conf_int[0], rtol=1e-3)


def test_poisson_rate_ratio_profile_equals_statsmodels_offset_refits():
    # profile of exp(b1) at c: the Poisson GLM refitted by statsmodels with the offset
    # log(c) * x1, maximised over the other coefficients; roots by brentq here
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 2))
    y = rng.poisson(np.exp(0.2 + X @ [0.3, -0.1]))
    est = MLEPoissonRegression(tol=1e-12).fit(X, y)
    exog = sm.add_constant(X)[:, [0, 2]]

    def profile(c):
        fit = sm.GLM(y, exog, family=sm.families.Poisson(), offset=np.log(c) * X[:, 0]).fit(
            tol=1e-13)
        return fit.llf

    g = np.exp(est.estimates_[1])
    ref = _hand_interval(profile, g, g * 0.5, g * 2.0)
    res = est.delta_method(lambda p: np.exp(p[1]), method="profile")
    assert_allclose(res.conf_int[0], ref, rtol=1e-7)


def test_gamma_mean_profile_equals_the_reparametrised_hand_profile():
    # (mean, shape) parametrisation: rate = shape / mean; the profile of the mean
    # maximises over the shape (log scale) by a bounded scalar search
    x = np.random.default_rng(2).gamma(2.0, 1.5, size=60)
    est = GammaMLE().fit(x[:, None])

    def profile(mean):
        def ll(log_a):
            a = np.exp(log_a)
            return np.sum(stats.gamma.logpdf(x, a, scale=mean / a))
        return _max_over(ll, -5.0, 8.0)

    m = x.mean()  # the MLE of the Gamma mean is the sample mean
    ref = _hand_interval(profile, m, 0.5 * m, 2.0 * m)
    res = est.delta_method(lambda p: p[0] / p[1], names=["mean"], method="profile")
    assert_allclose(res.estimate, [m], rtol=1e-9)
    assert_allclose(res.conf_int[0], ref, rtol=1e-6)


def test_weibull_quantile_profile_equals_the_hand_derivation():
    # q_p = scale * (-log(1 - p))**(1 / shape); for fixed q the scale is
    # q / (-log(1 - p))**(1 / shape), and the profile maximises over the shape
    x = np.random.default_rng(3).weibull(1.7, size=80) * 3.0
    est = WeibullMLE().fit(x[:, None])
    p = 0.1
    z = -np.log1p(-p)

    def profile(q):
        def ll(log_k):
            k = np.exp(log_k)
            return np.sum(stats.weibull_min.logpdf(x, k, scale=q / z ** (1.0 / k)))
        return _max_over(ll, -3.0, 3.0)

    def quantile(t):
        return t[1] * z ** (1.0 / t[0])

    q = quantile(est.estimates_)
    ref = _hand_interval(profile, q, 0.2 * q, 3.0 * q)
    res = est.delta_method(quantile, method="profile")
    assert_allclose(res.conf_int[0], ref, rtol=1e-6)
    # the profile interval of the quantile is asymmetric, the Wald one is not
    lo, hi = res.conf_int[0]
    assert hi - q != pytest.approx(q - lo, rel=1e-2)


def test_profile_of_one_parameter_equals_conf_int_profile_and_is_invariant():
    x = np.random.default_rng(4).exponential(2.0, size=(25, 1))
    est = ExponentialMLE().fit(x)
    ci = est.conf_int(method="profile")[0]
    assert_allclose(est.delta_method(lambda t: t[0], method="profile").conf_int[0], ci,
                    rtol=1e-8)
    assert_allclose(est.delta_method(lambda t: 1.0 / t[0], method="profile").conf_int[0],
                    1.0 / ci[::-1], rtol=1e-8)
    # closed form: the profile of the rate of n exponentials, n log(l) - l s
    n, s = len(x), x.sum()
    ref = _hand_interval(lambda lam: n * np.log(lam) - lam * s, n / s, 1e-3, 10.0)
    assert_allclose(ci, ref, rtol=1e-8)


def test_several_outputs_and_the_domain():
    # a vector function: one interval per output; a Gaussian variance's interval is
    # positive even where the Wald interval is not
    x = np.random.default_rng(5).normal(1.0, 2.0, size=(8, 1))
    est = GaussianMLE(covariance_type="diag").fit(x)
    res = est.delta_method(lambda t: [t[0], np.sqrt(t[1])], method="profile")
    assert res.conf_int.shape == (2, 2)
    n = len(x)
    s2 = np.var(x)
    # sigma: the profile over the mean is at the sample mean, ll = -n/2 log(sigma^2) - n s2 /
    # (2 sigma^2)
    ref = _hand_interval(lambda sd: -n * np.log(sd) - n * s2 / (2 * sd**2), np.sqrt(s2),
                         1e-3, 50.0)
    assert_allclose(res.conf_int[1], ref, rtol=1e-6)
    assert res.conf_int[1, 0] > 0


def test_lognormal_mean_profile_equals_hand_profile():
    # E[X] = exp(mu + sigma^2 / 2): for a fixed mean m, mu = log m - s2 / 2, maximised
    # over s2 = sigma^2
    x = np.random.default_rng(6).lognormal(0.5, 0.8, size=40)
    est = LogNormalMLE().fit(x[:, None])
    names = est.param_names_
    assert names == ["mu", "sigma"]
    lx = np.log(x)

    def profile(m):
        def ll(log_s2):
            s2 = np.exp(log_s2)
            mu = np.log(m) - s2 / 2.0
            return np.sum(stats.norm.logpdf(lx, mu, np.sqrt(s2)) - lx)
        return _max_over(ll, -6.0, 3.0)

    g = lambda t: np.exp(t[0] + t[1] ** 2 / 2.0)  # noqa: E731
    m = g(est.estimates_)
    ref = _hand_interval(profile, m, 0.4 * m, 3.0 * m)
    assert_allclose(est.delta_method(g, method="profile").conf_int[0], ref, rtol=1e-6)


def test_refusals():
    x = np.random.default_rng(7).normal(size=(30, 2))
    full = GaussianMLE().fit(x)
    with pytest.raises(ValueError, match="full covariance"):
        full.delta_method(lambda t: t[0], method="profile")
    reg = MLELinearRegression().fit(x, x[:, 0] + np.random.default_rng(8).normal(size=30))
    with pytest.raises(ValueError, match="profile"):
        reg.delta_method(lambda t: t[0], method="profile")
    with pytest.raises(ValueError, match="method"):
        full.delta_method(lambda t: t[0], method="bootstrap")


@pytest.mark.slow
def test_profile_interval_coverage_of_the_gamma_mean():
    # 100 data sets of 15 rows (a small sample, where the likelihood interval's
    # asymmetry matters; ~0.5 s per interval): the 95% profile interval of the mean
    # covers within the binomial band [0.88, 0.99] around 0.95 (3 standard errors; the
    # delta-method coverage at 1000 replicates is in test_inference_bootstrap.py)
    rng = np.random.default_rng(9)
    shape, rate = 1.5, 0.5
    hits = 0
    for _ in range(100):
        x = rng.gamma(shape, 1.0 / rate, size=(15, 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ci = GammaMLE().fit(x).delta_method(lambda p: p[0] / p[1],
                                                method="profile").conf_int[0]
        hits += ci[0] <= shape / rate <= ci[1]
    assert 0.88 <= hits / 100 <= 0.99

