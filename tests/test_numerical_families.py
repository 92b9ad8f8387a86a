"""Gamma, beta, Weibull, negative binomial and Student-t: the numerically fitted families.

Every reference is independent of the code under test: scipy.stats densities and
fits, statsmodels' NegativeBinomial, closed forms, and scipy.optimize solves of the
likelihood equations written out here.
"""

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy import optimize, special, stats
from sklearn.exceptions import ConvergenceWarning

from sklearn_mle import (
    BetaMLE,
    BoundaryWarning,
    GammaMLE,
    NegativeBinomialMLE,
    StudentTMLE,
    WeibullMLE,
)
from sklearn_mle.priors import Beta as BetaPrior
from sklearn_mle.priors import Gamma as GammaPrior

_SEEDS = {"gamma": 1, "beta": 2, "weibull": 3, "nbinom": 4, "t": 5}


def _data(name, n=300, seed=0):
    """A fixed sample per family (independent of test order and of xdist workers)."""
    rng = np.random.default_rng([_SEEDS[name], n, seed])
    if name == "gamma":
        return rng.gamma(2.5, 1 / 0.7, size=(n, 2))
    if name == "beta":
        return rng.beta([0.6, 3.0], [2.5, 1.5], size=(n, 2))
    if name == "weibull":
        return rng.weibull([1.6, 0.8], size=(n, 2)) * [3.0, 0.5]
    if name == "nbinom":
        return rng.negative_binomial([2.5, 0.8], [0.3, 0.1], size=(n, 2)).astype(float)
    if name == "t":
        return stats.t.rvs([3.0, 8.0], loc=[1.0, -2.0], scale=[2.0, 0.5], size=(n, 2),
                           random_state=rng)
    raise ValueError(name)


# name -> (estimator class, scipy frozen distribution from fitted parameters)
FAMILIES = {
    "gamma": (GammaMLE, lambda e, j: stats.gamma(e.shape_[j], scale=1 / e.rate_[j])),
    "beta": (BetaMLE, lambda e, j: stats.beta(e.a_[j], e.b_[j])),
    "weibull": (WeibullMLE, lambda e, j: stats.weibull_min(e.shape_[j], scale=e.scale_[j])),
    "nbinom": (NegativeBinomialMLE, lambda e, j: stats.nbinom(e.r_[j], e.p_[j])),
    "t": (StudentTMLE, lambda e, j: stats.t(e.df_[j], e.loc_[j], e.scale_[j])),
}


def _scipy_loglik(frozen, x):
    dist = frozen.dist
    f = frozen.logpmf if isinstance(dist, stats.rv_discrete) else frozen.logpdf
    return float(np.sum(f(x)))


def _scipy_logdens(frozen, x):
    dist = frozen.dist
    return frozen.logpmf(x) if isinstance(dist, stats.rv_discrete) else frozen.logpdf(x)


# --------------------------------------------------------------- likelihood
@pytest.mark.parametrize("name", FAMILIES)
def test_score_samples_and_loglik_match_scipy(name):
    cls, frozen = FAMILIES[name]
    X = _data(name)
    est = cls().fit(X)
    assert est.converged_ and est.n_iter_ >= 1
    X_new = _data(name, n=50, seed=1)
    ref = sum(_scipy_logdens(frozen(est, j), X_new[:, j]) for j in range(2))
    assert_allclose(est.score_samples(X_new), ref, rtol=1e-12, atol=1e-12)
    ref_total = sum(_scipy_loglik(frozen(est, j), X[:, j]) for j in range(2))
    assert_allclose(est.loglik_, ref_total, rtol=1e-12)
    assert_allclose(est.score(X), ref_total / X.shape[0], rtol=1e-12)
    assert est.n_params_ == 2 * len(est._param_names)


def _statsmodels_nb(y):
    alpha0 = max((y.var() - y.mean()) / y.mean() ** 2, 0.05)  # moments start
    return sm.NegativeBinomial(y, np.ones_like(y)).fit(
        start_params=[np.log(y.mean()), alpha0], method="newton", maxiter=200, tol=1e-12,
        disp=0,
    )


def _scipy_fit(name, x):
    """scipy's own fit of one column, as a frozen distribution."""
    if name == "gamma":
        a, _, scale = stats.gamma.fit(x, floc=0)
        return stats.gamma(a, scale=scale)
    if name == "beta":
        a, b, _, _ = stats.beta.fit(x, floc=0, fscale=1)
        return stats.beta(a, b)
    if name == "weibull":
        c, _, scale = stats.weibull_min.fit(x, floc=0)
        return stats.weibull_min(c, scale=scale)
    if name == "t":
        # scipy's t.fit stops early (df off by ~1%): polish its answer with BFGS
        df, loc, scale = stats.t.fit(x)
        res = optimize.minimize(
            lambda th: -stats.t.logpdf(x, np.exp(th[0]), th[1], np.exp(th[2])).sum(),
            [np.log(df), loc, np.log(scale)], method="BFGS", options={"gtol": 1e-9},
        )
        assert stats.t.logpdf(x, df, loc, scale).sum() <= -res.fun
        return stats.t(np.exp(res.x[0]), res.x[1], np.exp(res.x[2]))
    # nbinom: scipy has no fit; statsmodels' intercept-only NegativeBinomial (NB2)
    res = _statsmodels_nb(x)
    mu, alpha = np.exp(res.params[0]), res.params[1]
    r = 1.0 / alpha
    return stats.nbinom(r, r / (r + mu))


# parameter agreement with the reference fit (scipy's optimisers stop early for some)
_PARAM_RTOL = {"gamma": 1e-6, "beta": 1e-5, "weibull": 1e-4, "nbinom": 1e-5, "t": 1e-5}


@pytest.mark.parametrize("name", FAMILIES)
def test_fit_at_least_as_good_as_reference_and_same_parameters(name):
    cls, frozen = FAMILIES[name]
    X = _data(name)
    est = cls().fit(X)
    for j in range(2):
        ref = _scipy_fit(name, X[:, j])
        ll_ref = _scipy_loglik(ref, X[:, j])
        ll = _scipy_loglik(frozen(est, j), X[:, j])
        assert ll >= ll_ref - 1e-8 * abs(ll_ref)
        mine = np.array(frozen(est, j).args + tuple(frozen(est, j).kwds.values()), dtype=float)
        theirs = np.array(ref.args + tuple(ref.kwds.values()), dtype=float)
        assert_allclose(mine, theirs, rtol=_PARAM_RTOL[name])


def test_gamma_shape_solves_likelihood_equation():
    # log k - digamma(k) = log(mean) - mean(log x), solved here by brentq
    x = _data("gamma")[:, 0]
    s = np.log(x.mean()) - np.log(x).mean()
    k = optimize.brentq(lambda k: np.log(k) - special.digamma(k) - s, 1e-3, 1e3, xtol=1e-14)
    est = GammaMLE().fit(x[:, None])
    assert_allclose(est.shape_[0], k, rtol=1e-10)
    assert_allclose(est.rate_[0], k / x.mean(), rtol=1e-10)
    # fractional weights: the same equation with weighted means
    w = np.random.default_rng(18).random(x.size)
    m, ml = np.average(x, weights=w), np.average(np.log(x), weights=w)
    k = optimize.brentq(lambda k: np.log(k) - special.digamma(k) - np.log(m) + ml, 1e-3, 1e3,
                        xtol=1e-14)
    est = GammaMLE().fit(x[:, None], sample_weight=w)
    assert_allclose([est.shape_[0], est.rate_[0]], [k, k / m], rtol=1e-10)


def test_weibull_shape_solves_profile_equation():
    x = _data("weibull")[:, 1]
    lx = np.log(x)

    def score(k):
        xk = x**k
        return 1 / k + lx.mean() - (xk * lx).sum() / xk.sum()

    k = optimize.brentq(score, 0.05, 20, xtol=1e-14)
    est = WeibullMLE().fit(x[:, None])
    assert_allclose(est.shape_[0], k, rtol=1e-9)
    assert_allclose(est.scale_[0], np.mean(x**k) ** (1 / k), rtol=1e-9)


def test_beta_and_nbinom_against_scipy_optimize():
    x = _data("beta")[:, 0]
    res = optimize.minimize(
        lambda th: -stats.beta.logpdf(x, *np.exp(th)).sum(), [0.0, 0.0], method="BFGS",
        options={"gtol": 1e-10},
    )
    est = BetaMLE().fit(x[:, None])
    assert_allclose([est.a_[0], est.b_[0]], np.exp(res.x), rtol=1e-6)
    y = _data("nbinom")[:, 1]
    res = optimize.minimize(
        lambda th: -stats.nbinom.logpmf(y, np.exp(th[0]), special.expit(th[1])).sum(),
        [0.0, 0.0], method="BFGS", options={"gtol": 1e-9},
    )
    est = NegativeBinomialMLE().fit(y[:, None])
    assert_allclose([est.r_[0], est.p_[0]], [np.exp(res.x[0]), special.expit(res.x[1])],
                    rtol=1e-6)


# ----------------------------------------------------------- information
def _fd_hessian(f, theta, steps):
    k = len(theta)
    H = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            ei = np.zeros(k)
            ej = np.zeros(k)
            ei[i], ej[j] = steps[i], steps[j]
            H[i, j] = H[j, i] = (
                f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej) + f(theta - ei - ej)
            ) / (4 * steps[i] * steps[j])
    return H


_LOGDENS = {
    "gamma": lambda x, th: stats.gamma.logpdf(x, th[0], scale=1 / th[1]),
    "beta": lambda x, th: stats.beta.logpdf(x, th[0], th[1]),
    "weibull": lambda x, th: stats.weibull_min.logpdf(x, th[0], scale=th[1]),
    "nbinom": lambda x, th: stats.nbinom.logpmf(x, th[0], th[1]),
    "t": lambda x, th: stats.t.logpdf(x, th[0], th[1], th[2]),
}


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("where", ["mle", "elsewhere"])
def test_information_is_exact_negative_hessian(name, where):
    cls, _ = FAMILIES[name]
    X = _data(name, n=200)
    est = cls().fit(X)
    params = {k: v.copy() for k, v in est.params_.items()}
    if where == "elsewhere":
        for k in params:
            params[k] = params[k] * (0.9 if k != "p" else 1.05)
    info = est._information(est.stats_, params)
    for j in range(2):
        theta = np.array([params[k][j] for k in est._param_names])
        steps = 1e-4 * np.maximum(np.abs(theta), 1e-2)
        x = X[:, j]
        H = _fd_hessian(lambda th, x=x: float(np.sum(_LOGDENS[name](x, th))), theta, steps)
        assert_allclose(info[j], -H, rtol=1e-5, atol=1e-6 * np.abs(H).max())


def test_bse_from_information_matches_statsmodels_for_nbinom():
    # the delta method maps statsmodels' (log mu, alpha) covariance to (r, p)
    y = _data("nbinom")[:, 0]
    res = _statsmodels_nb(y)
    b, alpha = res.params
    mu, r = np.exp(b), 1 / alpha
    p = r / (r + mu)
    # r = 1/alpha, p = 1 / (1 + alpha mu)
    J = np.array([[0.0, -1 / alpha**2], [-alpha * mu * p**2, -mu * p**2]])
    cov_ref = J @ res.cov_params() @ J.T
    est = NegativeBinomialMLE().fit(y[:, None])
    assert_allclose(est.cov_params_, cov_ref, rtol=1e-5)


# ---------------------------------------------------------- fixed params
def test_fixed_shape_one_is_exponential():
    x = _data("gamma")
    expo_rate = 1 / x.mean(axis=0)
    g = GammaMLE(fixed_params={"shape": 1.0}).fit(x)
    assert_allclose(g.rate_, expo_rate, rtol=1e-13)
    assert g.n_params_ == 2 and g.param_names_ == ["rate[x0]", "rate[x1]"]
    w = WeibullMLE(fixed_params={"shape": 1.0}).fit(x)
    assert_allclose(w.scale_, x.mean(axis=0), rtol=1e-12)
    assert_allclose(w.loglik_, stats.expon.logpdf(x, scale=x.mean(axis=0)).sum(), rtol=1e-12)


def test_fixed_params_per_column_and_other_parameter():
    x = _data("gamma")
    est = GammaMLE(fixed_params={"shape": [np.nan, 2.0]}).fit(x)
    free = GammaMLE().fit(x[:, :1])
    assert_allclose([est.shape_[0], est.rate_[0]], [free.shape_[0], free.rate_[0]], rtol=1e-12)
    assert_allclose(est.rate_[1], 2.0 / x[:, 1].mean(), rtol=1e-13)
    # rate fixed: digamma(k) = mean(log x) + log(rate)
    rate = 0.5
    k = optimize.brentq(
        lambda k: special.digamma(k) - np.log(x[:, 0]).mean() - np.log(rate), 1e-3, 1e3,
        xtol=1e-14,
    )
    est = GammaMLE(fixed_params={"rate": rate}).fit(x[:, :1])
    assert_allclose(est.shape_[0], k, rtol=1e-10)
    # Beta(1, b): b = -n / sum log(1 - x)
    xb = _data("beta")
    est = BetaMLE(fixed_params={"a": 1.0}).fit(xb)
    assert_allclose(est.b_, -1 / np.log1p(-xb).mean(axis=0), rtol=1e-10)
    # negative binomial with r fixed: p = r / (r + mean)
    y = _data("nbinom")
    est = NegativeBinomialMLE(fixed_params={"r": 3.0}).fit(y)
    assert_allclose(est.p_, 3.0 / (3.0 + y.mean(axis=0)), rtol=1e-13)
    # p fixed: sum digamma(x + r) - n digamma(r) + n log p = 0
    pf = 0.3
    r = optimize.brentq(
        lambda r: (special.digamma(y[:, 0] + r) - special.digamma(r)).sum()
        + y.shape[0] * np.log(pf), 1e-3, 1e3, xtol=1e-14,
    )
    est = NegativeBinomialMLE(fixed_params={"p": pf}).fit(y[:, :1])
    assert_allclose(est.r_[0], r, rtol=1e-9)
    # Student-t with df = 1 is the Cauchy
    xt = _data("t")[:, 0]
    est = StudentTMLE(fixed_params={"df": 1.0}).fit(xt[:, None])
    loc, scale = stats.cauchy.fit(xt)
    assert_allclose([est.loc_[0], est.scale_[0]], [loc, scale], rtol=1e-4)
    assert est.loglik_ >= stats.cauchy.logpdf(xt, loc, scale).sum() - 1e-9
    # Weibull with the scale fixed: Newton on the shape
    xw = _data("weibull")[:, 0]
    lx, s = np.log(xw), 2.0
    k = optimize.brentq(
        lambda k: 1 / k + (lx - np.log(s)).mean() - np.mean((xw / s) ** k * (lx - np.log(s))),
        0.01, 50, xtol=1e-14,
    )
    assert_allclose(WeibullMLE(fixed_params={"scale": s}).fit(xw[:, None]).shape_[0], k,
                    rtol=1e-9)


# ------------------------------------------------------------ intervals
def test_profile_interval_endpoints_are_independent_likelihood_ratio_bounds():
    x = np.random.default_rng(10).gamma(1.2, 2.0, size=(25, 1))  # small skewed sample
    est = GammaMLE().fit(x)
    lo, hi = est.conf_int(method="profile")[0]
    k_hat = est.shape_[0]
    assert lo < k_hat < hi
    assert hi - k_hat > k_hat - lo  # asymmetric: the shape is bounded below by 0
    crit = stats.chi2.ppf(0.95, 1) / 2

    def profile(k):  # maximise over the scale with scipy, independently
        res = optimize.minimize_scalar(
            lambda ls: -stats.gamma.logpdf(x[:, 0], k, scale=np.exp(ls)).sum(),
            bounds=(-10, 10), method="bounded", options={"xatol": 1e-12},
        )
        return -res.fun

    for end in (lo, hi):
        assert_allclose(est.loglik_ - profile(end), crit, rtol=1e-6)
    wald = est.conf_int()[0]
    assert_allclose(wald, k_hat + np.array([-1, 1]) * 1.959963984540054 * est.bse_[0])


@pytest.mark.parametrize("name", ["beta", "weibull", "nbinom", "t"])
def test_profile_intervals_contain_estimate(name):
    cls, _ = FAMILIES[name]
    X = _data(name, n=60)[:, :1]
    est = cls().fit(X)
    ci = est.conf_int(method="profile")
    assert np.all(ci[:, 0] < est.estimates_) and np.all(est.estimates_ < ci[:, 1])
    # each bound is where the profile log-likelihood drops by chi2(1, .95)/2
    crit = stats.chi2.ppf(0.95, 1) / 2
    for i in range(len(est.param_names_)):
        for end in ci[i]:
            assert_allclose(est.loglik_ - est._profile_loglik(i, end), crit, rtol=1e-6)


@pytest.mark.slow
def test_gamma_wald_and_profile_coverage():
    rng = np.random.default_rng(7)
    true = np.array([2.0, 3.0])  # shape, rate
    hits = {"wald": np.zeros(2), "profile": np.zeros(2)}
    reps = 300
    for _ in range(reps):
        x = rng.gamma(true[0], 1 / true[1], size=(200, 1))
        est = GammaMLE().fit(x)
        for method in hits:
            ci = est.conf_int(method=method)
            hits[method] += (ci[:, 0] < true) & (true < ci[:, 1])
    for method, h in hits.items():
        cover = h / reps
        assert np.all((0.92 <= cover) & (cover <= 0.98)), (method, cover)


# ------------------------------------------------- weights and partial_fit
@pytest.mark.parametrize("name", FAMILIES)
def test_integer_weights_equal_repeated_rows(name):
    cls, _ = FAMILIES[name]
    X = _data(name, n=80)
    w = np.random.default_rng(11).integers(0, 4, size=X.shape[0])
    a = cls().fit(X, sample_weight=w)
    b = cls().fit(np.repeat(X, w, axis=0))
    for k in a.params_:
        assert_allclose(a.params_[k], b.params_[k], rtol=1e-8)
    assert_allclose(a.loglik_, b.loglik_, rtol=1e-10)
    assert_allclose(a.bse_, b.bse_, rtol=1e-6)


@pytest.mark.parametrize("cls,name", [(GammaMLE, "gamma"), (BetaMLE, "beta")])
def test_partial_fit_equals_fit(cls, name):
    X = _data(name)
    full = cls().fit(X)
    part = cls()
    for chunk in np.array_split(X, 4):
        part.partial_fit(chunk)
    for k in full.params_:
        assert_allclose(part.params_[k], full.params_[k], rtol=1e-12)
    assert_allclose(part.loglik_, full.loglik_, rtol=1e-12)
    assert not hasattr(WeibullMLE(), "partial_fit")


# ------------------------------------------------------ extreme inputs
@pytest.mark.parametrize("scale", [1e-8, 1e8])
@pytest.mark.parametrize("cls,name,scale_param",
                         [(GammaMLE, "gamma", "rate"), (WeibullMLE, "weibull", "scale"),
                          (StudentTMLE, "t", "scale")])
def test_scale_equivariance_at_extreme_scales(cls, name, scale_param, scale):
    X = _data(name)
    base = cls().fit(X)
    big = cls().fit(X * scale)
    factor = 1 / scale if scale_param == "rate" else scale
    assert_allclose(big.params_[scale_param], base.params_[scale_param] * factor, rtol=1e-8)
    for k in base.params_:
        if k == "loc":
            assert_allclose(big.params_[k], base.params_[k] * scale, rtol=1e-8)
        elif k != scale_param:
            assert_allclose(big.params_[k], base.params_[k], rtol=1e-8)
    assert_allclose(big.loglik_, base.loglik_ - X.size * np.log(scale), rtol=1e-10)


def test_extreme_shapes_and_counts():
    # beta data piled against 0 (values down to ~1e-30)
    x = np.random.default_rng(12).beta(0.05, 2.0, size=(400, 1))
    est = BetaMLE().fit(x)
    a, b, _, _ = stats.beta.fit(x[:, 0], floc=0, fscale=1)
    assert est.loglik_ >= stats.beta.logpdf(x[:, 0], a, b).sum() - 1e-8
    # Weibull shape 20 (x**k spans many orders of magnitude) and shape 0.2
    for k in (20.0, 0.2):
        xw = np.random.default_rng(13).weibull(k, size=(400, 1)) * 1e4
        est = WeibullMLE().fit(xw)
        c, _, s = stats.weibull_min.fit(xw[:, 0], floc=0)
        assert est.loglik_ >= stats.weibull_min.logpdf(xw[:, 0], c, scale=s).sum() - 1e-8
        assert est.converged_
    # counts above the histogram limit use the digamma path
    rng = np.random.default_rng(14)
    y = rng.negative_binomial(5.0, 5.0 / (5.0 + 3e6), size=(300, 1)).astype(float)
    assert y.max() > 1e6
    est = NegativeBinomialMLE().fit(y)
    ref = _scipy_fit("nbinom", y[:, 0])
    assert_allclose([est.r_[0], est.p_[0]], ref.args, rtol=1e-5)
    # a float32 input fits the same as its float64 copy
    x32 = _data("gamma").astype(np.float32)
    assert_allclose(GammaMLE().fit(x32).shape_, GammaMLE().fit(x32.astype(float)).shape_,
                    rtol=1e-10)


# ------------------------------------------------- MAP (gamma, rate prior)
def test_gamma_rate_prior_map_matches_optimize():
    x = _data("gamma")[:60, 0]
    prior = GammaPrior(a=3.0, rate=2.0)
    est = GammaMLE(prior=prior).fit(x[:, None])

    def neg_post(th):
        k, r = np.exp(th)
        return -(stats.gamma.logpdf(x, k, scale=1 / r).sum()
                 + stats.gamma.logpdf(r, 3.0, scale=1 / 2.0))

    res = optimize.minimize(neg_post, np.log([2.0, 0.5]), method="BFGS",
                            options={"gtol": 1e-10})
    assert_allclose([est.shape_[0], est.rate_[0]], np.exp(res.x), rtol=1e-6)
    assert_allclose(est.loglik_, -res.fun, rtol=1e-10)
    # a flat prior Gamma(1, 0) gives the MLE
    flat = GammaMLE(prior=GammaPrior(a=1.0, rate=0.0)).fit(x[:, None])
    mle = GammaMLE().fit(x[:, None])
    assert_allclose(flat.shape_, mle.shape_, rtol=1e-12)


def test_unsupported_priors_are_rejected():
    for cls, name in [(BetaMLE, "beta"), (WeibullMLE, "weibull"), (StudentTMLE, "t"),
                      (NegativeBinomialMLE, "nbinom")]:
        with pytest.raises(ValueError, match="does not support prior"):
            cls(prior=BetaPrior(2, 2)).fit(_data(name, n=20))
    with pytest.raises(ValueError, match="a >= 1"):
        GammaMLE(prior=GammaPrior(a=0.5, rate=1.0)).fit(_data("gamma", n=20))


# --------------------------------------------------- bad input, warnings
@pytest.mark.parametrize(
    "cls,bad,match",
    [
        (GammaMLE, 0.0, "column 1 .*strictly positive"),
        (WeibullMLE, -1.0, "column 1 .*strictly positive"),
        (BetaMLE, 1.0, "column 1 .*strictly between 0 and 1"),
        (NegativeBinomialMLE, 2.5, "column 1 .*non-negative integers"),
    ],
)
def test_domain_errors_name_column_and_rule(cls, bad, match):
    X = np.full((5, 2), 0.5 if cls is BetaMLE else 1.0)
    X[:, 0] = [0.2, 0.4, 0.6, 0.3, 0.5] if cls is BetaMLE else [1, 2, 3, 4, 5]
    X[3, 1] = bad
    with pytest.raises(ValueError, match=match):
        cls().fit(X)


def test_underdispersed_counts_warn_and_point_to_poisson():
    y = np.random.default_rng(15).binomial(10, 0.5, size=(200, 1)).astype(float)  # var < mean
    with pytest.warns(BoundaryWarning, match="PoissonMLE"):
        est = NegativeBinomialMLE().fit(y)
    pois = stats.poisson.logpmf(y[:, 0], y.mean()).sum()
    assert_allclose(est.loglik_, pois, rtol=1e-6)  # the Poisson limit
    # (r, p) near the Poisson limit: 1 - p carries ~8 fewer digits than p
    assert_allclose(est.r_[0] * (1 - est.p_[0]) / est.p_[0], y.mean(), rtol=1e-6)


def test_degenerate_columns_warn():
    const = np.full((10, 1), 2.0)
    for cls, X in [(GammaMLE, const), (WeibullMLE, const), (BetaMLE, const / 4)]:
        with pytest.warns(BoundaryWarning, match="constant"):
            cls().fit(X)
    with pytest.warns(BoundaryWarning, match="GaussianMLE"):
        est = StudentTMLE().fit(np.random.default_rng(16).normal(size=(400, 1)))
    assert_allclose(est.df_[0], 1e6, rtol=1e-12)
    # one row is a constant column (as for every family): a warning, not an error, so
    # that one row of weight 3 fits as three equal rows do
    with pytest.warns(BoundaryWarning, match="constant"):
        one = StudentTMLE().fit([[1.0]], sample_weight=[3.0])
    with pytest.warns(BoundaryWarning, match="constant"):
        three = StudentTMLE().fit([[1.0]] * 3)
    assert_allclose(one.estimates_, three.estimates_)


@pytest.mark.parametrize("name", FAMILIES)
def test_not_converged_warns_and_never_worse_than_start(name):
    cls, _ = FAMILIES[name]
    X = _data(name)[:, :1]
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        one = cls(max_iter=1).fit(X)
    assert one.converged_ is False and one.n_iter_ == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        full = cls().fit(X)
    assert full.converged_ is True
    assert one.loglik_ <= full.loglik_ + 1e-9 * abs(full.loglik_)


def test_never_worse_than_method_of_moments_start():
    x = _data("gamma")[:, 0]
    m, v = x.mean(), x.var()
    mom = stats.gamma.logpdf(x, m * m / v, scale=v / m).sum()
    assert GammaMLE(max_iter=1).fit(x[:, None]).loglik_ >= mom
    xb = _data("beta")[:, 0]
    m, v = xb.mean(), xb.var()
    c = m * (1 - m) / v - 1
    mom = stats.beta.logpdf(xb, m * c, (1 - m) * c).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert BetaMLE(max_iter=1).fit(xb[:, None]).loglik_ >= mom


def test_summary_and_sampling():
    est = WeibullMLE().fit(_data("weibull")[:, :1])
    text = str(est.summary())
    assert "WeibullMLE" in text and "shape" in text and "Converged" in text
    draws = est.sample(20000, random_state=0)
    assert draws.shape == (20000, 1)
    ks = stats.kstest(draws[:, 0], stats.weibull_min(est.shape_[0], scale=est.scale_[0]).cdf)
    assert ks.pvalue > 1e-3


@pytest.mark.parametrize("name", FAMILIES)
def test_sampling_follows_fitted_distribution(name):
    cls, frozen = FAMILIES[name]
    est = cls().fit(_data(name, n=200))
    draws = est.sample(4000, random_state=0)
    assert draws.shape == (4000, 2)
    for j in range(2):
        ref = frozen(est, j)
        if isinstance(ref.dist, stats.rv_discrete):
            se = ref.std() / np.sqrt(draws.shape[0])
            assert abs(draws[:, j].mean() - ref.mean()) < 4 * se
        else:
            assert stats.kstest(draws[:, j], ref.cdf).pvalue > 1e-3


@pytest.mark.parametrize("name", FAMILIES)
def test_fractional_weights_only_matter_relatively(name):
    cls, _ = FAMILIES[name]
    X = _data(name, n=80)
    w = np.random.default_rng(17).random(X.shape[0]) + 0.1
    a = cls().fit(X, sample_weight=w)
    b = cls().fit(X, sample_weight=3.0 * w)
    for k in a.params_:
        assert_allclose(a.params_[k], b.params_[k], rtol=1e-8)
    assert_allclose(3.0 * a.loglik_, b.loglik_, rtol=1e-10)
