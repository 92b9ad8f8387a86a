"""Standard errors of GaussianMixture against a numerical Hessian of the observed-data
log-likelihood (written independently with scipy), for every covariance type, and the
Laplace approximation under the NormalInverseWishart prior."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from sklearn_mle import GaussianMixture
from sklearn_mle.priors import Dirichlet, NormalInverseWishart
from sklearn_mle.priors._wishart import niw_logpdf

from ._numerics import central_hessian

K, D = 2, 2


def _data():
    rng = np.random.default_rng(0)
    return np.vstack([
        rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 2]], 150),
        rng.multivariate_normal([4, 3], [[1, -0.3], [-0.3, 0.5]], 100),
    ])


def _unpack(t, ct):
    w = np.array([t[0], 1 - t[0]])
    i, means, covs = 1, [], []
    for _ in range(K):
        means.append(t[i : i + D])
        i += D
        if ct == "full":
            a, b, c = t[i : i + 3]
            i += 3
            covs.append(np.array([[a, b], [b, c]]))
        elif ct == "diag":
            covs.append(np.diag(t[i : i + D]))
            i += D
        elif ct == "spherical":
            covs.append(np.eye(D) * t[i])
            i += 1
    if ct == "tied":
        a, b, c = t[i : i + 3]
        covs = [np.array([[a, b], [b, c]])] * K
    return w, np.array(means), covs


def _loglik(t, X, ct):
    w, means, covs = _unpack(t, ct)
    dens = sum(w[j] * stats.multivariate_normal(means[j], covs[j]).pdf(X) for j in range(K))
    return np.log(dens).sum()


def _numerical_cov(f, theta):
    return np.linalg.inv(-central_hessian(f, theta, 1e-4 * np.maximum(np.abs(theta), 1.0)))


@pytest.mark.parametrize("ct", ["full", "diag", "spherical", "tied"])
def test_standard_errors_equal_numerical_hessian(ct):
    X = _data()
    gm = GaussianMixture(K, covariance_type=ct, random_state=0, tol=1e-12, max_iter=2000,
                         reg_covar=0.0).fit(X)
    cov = _numerical_cov(lambda t: _loglik(t, X, ct), gm.estimates_)
    assert_allclose(gm.cov_params_, cov, rtol=1e-5, atol=1e-6 * np.abs(cov).max())
    assert_allclose(gm.bse_, np.sqrt(np.diag(cov)), rtol=1e-5)
    assert gm.param_names_[:3] == ["weight[0]", "component0.mean[x0]", "component0.mean[x1]"]
    assert len(gm.param_names_) == gm.n_params_


def test_map_standard_errors_are_the_laplace_approximation():
    X = _data()
    gm = GaussianMixture(K, covariance_type="full", prior=NormalInverseWishart(),
                         weights_prior=Dirichlet(2.0), random_state=0, tol=1e-12,
                         max_iter=2000).fit(X)
    hyper = gm.prior_params_

    def log_posterior(t):
        w, means, covs = _unpack(t, "full")
        return (_loglik(t, X, "full") + niw_logpdf(means, np.array(covs), "full", hyper)
                + stats.dirichlet([2.0, 2.0]).logpdf(w))

    cov = _numerical_cov(log_posterior, gm.estimates_)
    assert_allclose(gm.cov_params_, cov, rtol=2e-4, atol=1e-5 * np.abs(cov).max())
    text = str(gm.summary())
    assert "MAP-EM" in text and "component1.covariance[1,1]" in text


def test_standard_errors_are_lazy_and_never_pickle_the_data():
    X = _data()
    # tol: at the default 1e-3 EM stops 0.15 standard errors short of the maximum
    # (an InferenceWarning says so); this test wants no warning
    gm = GaussianMixture(K, random_state=0, tol=1e-8).fit(X)
    assert "bse_" not in vars(gm)  # computed on first read
    restored = pickle.loads(pickle.dumps(gm))
    assert "_inference_holder" not in vars(restored) or not vars(restored)[
        "_inference_holder"]
    with pytest.raises(AttributeError, match="before pickling"):
        restored.bse_
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ci = gm.conf_int()
    assert ci.shape == (gm.n_params_, 2) and np.all(ci[:, 0] < gm.estimates_)


def test_intervals_stay_in_the_parameter_space():
    # one population fitted with two components: the weights are not identified and
    # their standard errors infinite, but the intervals stay within [0, 1] and the
    # variances' above 0
    X = np.random.default_rng(0).normal(size=(100, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm = GaussianMixture(2, covariance_type="diag", random_state=0).fit(X)
        ci = gm.conf_int()
    names = gm.param_names_
    for (lo, hi), name in zip(ci, names):
        if name.startswith("weight["):
            assert 0.0 <= lo <= hi <= 1.0
        if ".variance[" in name:
            assert lo >= 0.0


def test_single_row_initialisation_keeps_the_support():
    # "random_from_data" starts each component at one row: a 0/1 column or a zero
    # covariance there used to give every other row zero density
    from sklearn_mle import BernoulliMLE, GaussianMLE, MixtureMLE

    rng = np.random.default_rng(0)
    Xb = (rng.random((100, 2)) < 0.5).astype(float)
    mix = MixtureMLE(BernoulliMLE(), n_components=1, init_params="random_from_data",
                     random_state=0).fit(Xb)
    assert_allclose(mix.components_[0].p_, Xb.mean(axis=0), rtol=1e-6)
    X = rng.normal(size=(100, 2))
    mix = MixtureMLE(GaussianMLE(), n_components=1, init_params="k-means++",
                     random_state=0).fit(X)
    assert_allclose(mix.components_[0].mean_, X.mean(axis=0), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("ct", ["full", "spherical", "diag"])
def test_mixture_of_gaussian_estimators_has_the_gaussian_mixture_errors(ct):
    from sklearn_mle import GaussianMLE, MixtureMLE

    X = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mix = MixtureMLE(GaussianMLE(covariance_type=ct), 2, random_state=0, tol=1e-12,
                         max_iter=3000).fit(X)
    # diag goes through the generic per-column path (family information and scores),
    # full and spherical through the Gaussian mixture's exact derivatives
    cov = _numerical_cov(lambda t: _loglik(t, X, ct), mix.estimates_)
    assert_allclose(mix.cov_params_, cov, rtol=1e-5, atol=1e-6 * np.abs(cov).max())
    assert np.all(np.isfinite(mix.bse_)) and len(mix.param_names_) == mix.n_params_


def test_latent_class_model_standard_errors():
    # CategoricalMLE components (a latent class model): Louis' method against a
    # numerical Hessian of the observed-data log-likelihood written out here
    from sklearn_mle import CategoricalMLE, MixtureMLE

    rng = np.random.default_rng(1)
    n = 600
    z = rng.random(n) < 0.4
    p0 = [[.7, .2, .1], [.6, .3, .1], [.5, .4, .1], [.2, .2, .6]]
    p1 = [[.1, .3, .6], [.2, .2, .6], [.1, .6, .3], [.7, .2, .1]]
    X = np.column_stack([np.where(z, rng.choice(3, n, p=p0[c]), rng.choice(3, n, p=p1[c]))
                         for c in range(4)]).astype(float)
    mix = MixtureMLE(CategoricalMLE(), 2, random_state=0, tol=1e-13, max_iter=5000).fit(X)
    assert mix.param_names_[:3] == ["weight[0]", "component0.p[x0=0]", "component0.p[x0=1]"]
    xi = X.astype(int)

    def loglik(t):
        w, i, dens = np.array([t[0], 1 - t[0]]), 1, []
        for j in range(2):
            pr = np.ones(n)
            for c in range(4):
                p = np.r_[t[i : i + 2], 1 - t[i : i + 2].sum()]
                i += 2
                pr = pr * p[xi[:, c]]
            dens.append(w[j] * pr)
        return np.log(dens[0] + dens[1]).sum()

    cov = _numerical_cov(loglik, mix.estimates_)
    assert_allclose(mix.cov_params_, cov, rtol=1e-4, atol=1e-4 * np.abs(cov).max())
    lo, hi = mix.conf_int().T
    assert np.all(lo >= 0.0) and np.all(hi <= 1.0)


def test_multinomial_mixture_standard_errors():
    from sklearn_mle import MixtureMLE, MultinomialMLE

    rng = np.random.default_rng(2)
    Y = np.vstack([rng.multinomial(10, [.6, .3, .1], 150),
                   rng.multinomial(10, [.2, .3, .5], 150)]).astype(float)
    mix = MixtureMLE(MultinomialMLE(), 2, random_state=0, tol=1e-13, max_iter=5000).fit(Y)

    def loglik(t):
        w = np.array([t[0], 1 - t[0]])
        dens = [w[j] * stats.multinomial(10, np.r_[t[1 + 2 * j : 3 + 2 * j],
                                                   1 - t[1 + 2 * j : 3 + 2 * j].sum()]).pmf(Y)
                for j in range(2)]
        return np.log(dens[0] + dens[1]).sum()

    cov = _numerical_cov(loglik, mix.estimates_)
    assert_allclose(mix.cov_params_, cov, rtol=1e-4, atol=1e-4 * np.abs(cov).max())
