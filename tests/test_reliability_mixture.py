"""Mixtures' inference off a maximum and on constant columns (issue 9, known defects
[01] and [09a-c]).

[01]: EM stops by ``tol`` (the gain of one iteration per unit weight), not at the
maximum; at the default ``tol=1e-3`` the observed information there need not be
positive definite, and it used to be read as "components not identified". The
references are written here independently: the observed-data log-likelihood with
``scipy.stats``, its gradient and Hessian by central differences.
[09a-c]: MixtureMLE over Weibull / Student-t / negative binomial on a constant column
says so once, in the family's words, with no NumPy warning and nothing NaN.
"""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from scipy.special import logsumexp

from sklearn_mle import (
    GaussianMixture,
    GaussianMLE,
    LogNormalMLE,
    MixtureMLE,
    NegativeBinomialMLE,
    PoissonMLE,
    StudentTMLE,
    WeibullMLE,
)
from sklearn_mle.exceptions import BoundaryWarning, InferenceWarning
from sklearn_mle.priors import Dirichlet, Gamma, NormalInverseWishart

from ._numerics import central_hessian

EARLY = "before the maximum of the likelihood"


def _x01():
    # the data of known defect [01]: one population of 100 points in 2-D
    rng = np.random.default_rng(0)
    return rng.normal(size=(100, 2))


def _caught(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    return out, caught


def _messages(caught, category):
    return [str(w.message) for w in caught if issubclass(w.category, category)]


# --------------------------------------------------- independent references
def _unpack_full(t, k, d):
    """Free parameters (k - 1 weights, then per component the mean and the upper
    triangle of the covariance) as weights, means, covariances."""
    w = np.append(t[: k - 1], 1.0 - np.sum(t[: k - 1]))
    i, means, covs = k - 1, [], []
    iu = np.triu_indices(d)
    for _ in range(k):
        means.append(t[i : i + d])
        i += d
        c = np.zeros((d, d))
        c[iu] = t[i : i + iu[0].size]
        i += iu[0].size
        covs.append(c + np.triu(c, 1).T)
    return w, means, covs


def _gm_loglik(t, X, k):
    w, means, covs = _unpack_full(t, k, X.shape[1])
    lp = np.column_stack([np.log(w[j]) + stats.multivariate_normal(means[j], covs[j]).logpdf(X)
                          for j in range(k)])
    return float(logsumexp(lp, axis=1).sum())


def _central_gradient(f, x, h):
    g = np.empty(x.size)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = h[i]
        g[i] = (f(x + e) - f(x - e)) / (2 * h[i])
    return g


def _step(theta):
    return 1e-4 * np.maximum(np.abs(theta), 1.0)


# ------------------------------------------------------------------- [01]
def test_default_tol_says_em_stopped_early_not_unidentified():
    X = _x01()
    gm = GaussianMixture(2, random_state=0).fit(X)
    before = [np.copy(a) for a in (gm.weights_, gm.means_, gm.covariances_,
                                   gm.precisions_cholesky_, gm.precisions_)]
    ci, caught = _caught(gm.conf_int)
    words = _messages(caught, InferenceWarning)
    assert len(words) == 1, words
    assert EARLY in words[0] and "tol=0.001" in words[0]
    assert "set_params(tol=1e-08" in words[0] and "warm_start=True" in words[0]
    assert "not positive definite" in words[0]
    assert not any("not identified by the data" in m for m in words)
    assert not _messages(caught, RuntimeWarning)
    # no standard errors at a point that is not a maximum; intervals in the space
    assert np.all(np.isinf(gm.bse_))
    assert np.all(ci[0] == [0.0, 1.0])
    # inference (one trial EM step included) leaves the fitted model as it was
    after = (gm.weights_, gm.means_, gm.covariances_, gm.precisions_cholesky_,
             gm.precisions_)
    for a, b in zip(before, after):
        assert_allclose(b, a, rtol=0, atol=0)
    # the EM stopping point is really short of the maximum: -273.10 vs -270.68
    tight = GaussianMixture(2, random_state=0, tol=1e-12, max_iter=10000).fit(X)
    assert tight.loglik_ - gm.loglik_ > 2.0


def test_following_the_remedy_gives_the_intervals_of_the_maximum():
    X = _x01()
    gm = GaussianMixture(2, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm.bse_  # noqa: B018 - the warning's remedy follows
    gm.set_params(tol=1e-8, max_iter=10000, warm_start=True).fit(X)
    ci, caught = _caught(gm.conf_int)
    assert not _messages(caught, InferenceWarning)
    assert np.all(np.isfinite(ci))
    tight = GaussianMixture(2, random_state=0, tol=1e-12, max_iter=10000).fit(X)
    assert_allclose(gm.loglik_, tight.loglik_, rtol=0, atol=1e-5)
    assert_allclose(gm.loglik_, -270.6797, atol=1e-4)


def test_intervals_at_the_maximum_equal_a_numerical_hessian():
    X = _x01()
    gm = GaussianMixture(2, random_state=0, tol=1e-12, max_iter=10000, reg_covar=0.0).fit(X)
    (ci, cov), caught = _caught(lambda: (gm.conf_int(), gm.cov_params_))
    assert not _messages(caught, InferenceWarning)
    f = lambda t: _gm_loglik(t, X, 2)  # noqa: E731
    theta = gm.estimates_
    assert_allclose(f(theta), gm.loglik_, rtol=1e-12)
    # the maximum: the numerical gradient is zero in standard-error units
    H = central_hessian(f, theta, _step(theta))
    ref = np.linalg.inv(-H)
    g = _central_gradient(f, theta, _step(theta))
    assert np.sqrt(g @ ref @ g) < 1e-3
    assert_allclose(cov, ref, rtol=1e-4, atol=1e-6 * np.abs(ref).max())
    z = stats.norm.ppf(0.975)
    se = np.sqrt(np.diag(ref))
    # Wald intervals, kept in the parameter space (a variance's lower end at 0)
    variance = np.array([re.search(r"covariance\[(\d),\1\]", n) is not None
                         for n in gm.param_names_])
    lower = np.where(variance, np.maximum(theta - z * se, 0.0), theta - z * se)
    assert_allclose(ci[1:, 0], lower[1:], rtol=1e-4, atol=1e-6)
    assert_allclose(ci[1:, 1], (theta + z * se)[1:], rtol=1e-4, atol=1e-6)
    assert np.all(np.isfinite(ci))


def test_the_distance_said_equals_an_independent_newton_decrement():
    # well separated clusters: at the default tol the information is positive definite
    # but EM stopped short; the warning's "by X standard errors" is sqrt(g' (-H)^-1 g)
    rng = np.random.default_rng(0)
    X = np.vstack([rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 2]], 150),
                   rng.multivariate_normal([4, 3], [[1, -0.3], [-0.3, 0.5]], 100)])
    gm = GaussianMixture(2, random_state=0, reg_covar=0.0).fit(X)
    _, caught = _caught(lambda: gm.bse_)
    words = _messages(caught, InferenceWarning)
    assert len(words) == 1 and EARLY in words[0] and "off by as much" in words[0]
    said = float(re.search(r"move the estimates by ([0-9.e+-]+) standard", words[0]).group(1))
    f = lambda t: _gm_loglik(t, X, 2)  # noqa: E731
    theta = gm.estimates_
    g = _central_gradient(f, theta, _step(theta))
    H = central_hessian(f, theta, _step(theta))
    ref = float(np.sqrt(g @ np.linalg.solve(-H, g)))
    assert ref > 0.05
    assert_allclose(said, ref, rtol=5e-3)
    # its intervals are Wald intervals at the fit (finite, positive definite)
    assert np.all(np.isfinite(gm.bse_))


def test_em_ended_by_max_iter_is_said_so():
    X = _x01()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fit's ConvergenceWarning
        gm = GaussianMixture(2, random_state=0, tol=1e-12, max_iter=3).fit(X)
    _, caught = _caught(lambda: gm.bse_)
    words = _messages(caught, InferenceWarning)
    assert len(words) == 1 and "EM stopped (max_iter=3, not converged) before" in words[0]


def test_a_mixture_of_one_population_at_its_maximum_says_not_identified():
    # [01b]: two Poisson components fitted to one population merge at the maximum
    X = np.random.default_rng(1).poisson(3, (100, 1))
    early = MixtureMLE(PoissonMLE(), 2, random_state=0).fit(X)
    _, caught = _caught(early.conf_int)
    words = _messages(caught, InferenceWarning)
    assert any(EARLY in m for m in words)
    tight = MixtureMLE(PoissonMLE(), 2, random_state=0, tol=1e-12, max_iter=10000).fit(X)
    _, caught = _caught(tight.conf_int)
    words = _messages(caught, InferenceWarning)
    assert any("not identified by the data" in m for m in words)
    assert not any(EARLY in m for m in words)


def _poisson_loglik(t, X):
    w = np.array([t[0], 1.0 - t[0]])
    lp = np.column_stack([np.log(w[j]) + stats.poisson(t[1 + j]).logpmf(X[:, 0])
                          for j in range(2)])
    return float(logsumexp(lp, axis=1).sum())


def test_mixture_mle_follows_the_same_rule():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.poisson(3, 300), rng.poisson(7, 200)])[:, None]
    early = MixtureMLE(PoissonMLE(), 2, random_state=0).fit(X)
    _, caught = _caught(lambda: early.bse_)
    words = _messages(caught, InferenceWarning)
    assert len(words) == 1 and EARLY in words[0] and "MixtureMLE" in words[0]
    said = float(re.search(r"estimates by (?:at least )?([0-9.e+-]+) standard",
                           words[0]).group(1))
    f = lambda t: _poisson_loglik(t, X)  # noqa: E731
    theta = early.estimates_
    assert_allclose(f(theta), early.loglik_, rtol=1e-12)
    g = _central_gradient(f, theta, 1e-6 * np.abs(theta))
    H = central_hessian(f, theta, 1e-4 * np.abs(theta))
    assert_allclose(said, np.sqrt(g @ np.linalg.solve(-H, g)), rtol=5e-3)

    tight = MixtureMLE(PoissonMLE(), 2, random_state=0, tol=1e-12, max_iter=10000).fit(X)
    (cov, ci), caught = _caught(lambda: (tight.cov_params_, tight.conf_int()))
    assert not _messages(caught, InferenceWarning)
    theta = tight.estimates_
    ref = np.linalg.inv(-central_hessian(f, theta, 1e-4 * np.abs(theta)))
    assert_allclose(cov, ref, rtol=1e-4)
    assert np.all(np.isfinite(ci))


@pytest.mark.parametrize("case", ["niw", "poisson_gamma"])
def test_priors_enter_the_score(case):
    # at a MAP-EM fixed point the score of the log-posterior is zero: without the
    # priors' gradients the check would call these fits early
    rng = np.random.default_rng(0)
    if case == "niw":
        X = np.vstack([rng.normal(0, 1, (60, 2)), rng.normal(3, 1, (40, 2))])
        est = GaussianMixture(2, prior=NormalInverseWishart(), weights_prior=Dirichlet(3.0),
                              random_state=0, tol=1e-12, max_iter=10000)
    else:
        X = np.concatenate([rng.poisson(2, 60), rng.poisson(12, 40)])[:, None]
        est = MixtureMLE(PoissonMLE(prior=Gamma(20.0, 5.0)), 2, prior=Dirichlet(3.0),
                         random_state=0, tol=1e-12, max_iter=10000)
    est.fit(X)
    _, caught = _caught(lambda: est.bse_)
    assert not _messages(caught, InferenceWarning)
    assert np.all(np.isfinite(est.bse_))


# --------------------------------------------------------------- [09a-c]
@pytest.mark.parametrize("component, says", [
    (WeibullMLE(), "WeibullMLE: column 0 is (numerically) constant"),
    (StudentTMLE(), "StudentTMLE: column 0 is constant"),
    (NegativeBinomialMLE(), "NegativeBinomialMLE: column 0 is not over-dispersed"),
])
def test_constant_column_said_once_in_the_familys_words(component, says):
    X = np.full((10, 1), 3.0)

    def run():
        mix = MixtureMLE(component, n_components=2, random_state=0).fit(X)
        return mix, mix.conf_int(), mix.score_samples(X), mix.summary()

    (mix, ci, ll, _), caught = _caught(run)
    words = _messages(caught, BoundaryWarning)
    assert len(words) == 1, words
    assert words[0].startswith("MixtureMLE: column 0 is constant (every row 3)")
    assert says in words[0]
    assert not _messages(caught, RuntimeWarning)  # NumPy's 'invalid value' and kin
    assert not any(EARLY in m for m in _messages(caught, InferenceWarning))
    assert np.all(np.isfinite(mix.weights_)) and np.isfinite(mix.loglik_)
    for comp in mix.components_:
        for value in comp.params_.values():
            assert np.all(np.isfinite(value))
    assert np.all(np.isfinite(ll)) and not np.any(np.isnan(ci))
    assert_allclose(ll.sum(), mix.loglik_, rtol=1e-12)


@pytest.mark.parametrize("component", [GaussianMLE(covariance_type="diag"), LogNormalMLE()])
def test_constant_column_of_a_degenerate_density_is_a_value_error(component):
    # zero spread: every component is a point mass there, the likelihood unbounded
    X = np.full((10, 1), 3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"column 0 is constant .*no maximum"):
            MixtureMLE(component, n_components=2, random_state=0).fit(X)


@pytest.mark.parametrize("component", [WeibullMLE(), StudentTMLE()])
def test_constant_column_among_others_and_zero_weight_rows(component):
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.weibull(2.0, 60) * 3, np.full(60, 2.5)])
    w = np.ones(60)
    if isinstance(component, StudentTMLE):
        X[0, 1] = 9.0  # a row of weight zero does not count
        w[0] = 0.0
    (mix, _), caught = _caught(lambda: (
        MixtureMLE(component, 2, random_state=0).fit(X, sample_weight=w), None))
    words = _messages(caught, BoundaryWarning)
    assert len(words) == 1 and words[0].startswith("MixtureMLE: column 1 is constant")
    assert not _messages(caught, RuntimeWarning)
    assert np.isfinite(mix.loglik_)


def test_a_family_that_fits_a_constant_column_is_not_warned_about():
    X = np.full((10, 1), 3.0)
    _, caught = _caught(lambda: MixtureMLE(PoissonMLE(), 2, random_state=0).fit(X))
    assert not _messages(caught, BoundaryWarning)


def test_partial_fit_after_fit_keeps_no_stale_standard_errors():
    # fit() defers its standard errors on its rows; a partial_fit step moves the
    # parameters (and nobs_), so those rows no longer describe the model: no bse_
    # (as after partial_fit alone), not a misleading 'not identified' on the old rows
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (150, 2)), rng.normal(4, 1, (100, 2))])
    gm = GaussianMixture(2, random_state=0, tol=1e-10).fit(X)
    gm.partial_fit(X[:50])
    with pytest.raises(AttributeError, match="bse_"):
        gm.bse_  # noqa: B018
    stream = GaussianMixture(2, random_state=0).partial_fit(X)
    assert not hasattr(stream, "bse_")
    gm.fit(X)  # a new fit has them again
    assert np.all(np.isfinite(gm.bse_))
