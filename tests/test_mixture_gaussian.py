"""GaussianMixture against scikit-learn's: same parameters, same EM trajectory."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGM

from sklearn_mle import GaussianMixture

COV_TYPES = ["full", "tied", "diag", "spherical"]


def blobs(n=600, k=3, d=3, seed=0, offset=0.0, scale=1.0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, d)) * 4.0
    labels = rng.integers(k, size=n)
    A = rng.standard_normal((k, d, d)) * 0.3 + np.eye(d)
    X = centres[labels] + np.einsum("nij,nj->ni", A[labels], rng.standard_normal((n, d)))
    return offset + scale * X


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


def quiet_fit(est, X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, **kw)


def sklearn_init(X, k, ct, seed=1):
    ref = quiet_fit(SkGM(k, covariance_type=ct, max_iter=1, random_state=seed,
                         init_params="random_from_data"), X)
    return dict(weights_init=ref.weights_, means_init=ref.means_,
                precisions_init=ref.precisions_)


@pytest.mark.parametrize("ct", COV_TYPES)
def test_trajectory_equals_sklearn_from_same_init(ct):
    X = blobs()
    init = sklearn_init(X, 3, ct)
    kw = dict(covariance_type=ct, max_iter=25, tol=0.0, **init)
    ref = quiet_fit(SkGM(3, **kw), X)
    ours = quiet_fit(GaussianMixture(3, **kw), X)
    assert ours.n_iter_ == ref.n_iter_ == 25
    assert_allclose(ours.lower_bounds_, ref.lower_bounds_, rtol=1e-10)
    for name in ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"]:
        assert rel(getattr(ours, name), getattr(ref, name)) < 1e-8, name
    assert_allclose(ours.lower_bound_, ref.lower_bound_, rtol=1e-10)
    assert_allclose(ours.score_samples(X), ref.score_samples(X), rtol=1e-9)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-8)
    assert_array_equal(ours.predict(X), ref.predict(X))


INITS = ["kmeans", "k-means++", "random", "random_from_data"]


@pytest.mark.parametrize("ct, init_params",
                         list(zip(COV_TYPES, INITS)) + list(zip(COV_TYPES, INITS[::-1])))
def test_default_fit_equals_sklearn(ct, init_params):
    X = blobs(n=300, seed=3)
    kw = dict(covariance_type=ct, random_state=0, init_params=init_params, tol=1e-6)
    ref = quiet_fit(SkGM(3, **kw), X)
    ours = quiet_fit(GaussianMixture(3, **kw), X)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.converged_ == ref.converged_
    assert rel(ours.means_, ref.means_) < 1e-8
    assert rel(ours.covariances_, ref.covariances_) < 1e-8
    assert_allclose(ours.lower_bound_, ref.lower_bound_, rtol=1e-10)
    assert_allclose(ours.aic(X), ref.aic(X), rtol=1e-10)
    assert_allclose(ours.bic(X), ref.bic(X), rtol=1e-10)
    assert ours.n_params_ == ref._n_parameters()


def test_n_init_and_warm_start_match_sklearn():
    X = blobs(n=300, k=4, seed=5)
    kw = dict(n_init=3, random_state=7, max_iter=20)
    ref = quiet_fit(SkGM(4, **kw), X)
    ours = quiet_fit(GaussianMixture(4, **kw), X)
    # restart 0 shares scikit-learn's stream; later restarts draw their own
    assert ours.init_lower_bounds_.shape == (3,)
    assert ours.lower_bound_ == pytest.approx(ours.init_lower_bounds_.max())
    assert ours.init_seeds_[0] is None and len(set(ours.init_seeds_[1:])) == 2
    one_ref = quiet_fit(SkGM(4, max_iter=20, random_state=7), X)
    one = quiet_fit(GaussianMixture(4, max_iter=20, random_state=7), X)
    assert_allclose(one.init_lower_bounds_[0], one_ref.lower_bound_, rtol=1e-10)
    assert ours.lower_bound_ >= one.lower_bound_ - 1e-12
    assert np.isfinite(ref.lower_bound_)
    # warm start: a second fit continues from the first, as scikit-learn's
    kw = dict(max_iter=3, random_state=0, warm_start=True, tol=0.0)
    ref, ours = SkGM(4, **kw), GaussianMixture(4, **kw)
    for _ in range(3):
        quiet_fit(ref, X)
        quiet_fit(ours, X)
    assert rel(ours.means_, ref.means_) < 1e-8
    assert_allclose(ours.lower_bound_, ref.lower_bound_, rtol=1e-10)


def test_fit_predict_consistent_with_predict():
    X = blobs(n=200, seed=2)
    for max_iter in (1, 2, 100):
        est = GaussianMixture(3, max_iter=max_iter, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            labels = est.fit_predict(X)
        assert_array_equal(labels, est.predict(X))


def test_loglik_and_score_against_scipy():
    X = blobs(n=250, seed=4)
    for ct in COV_TYPES:
        est = quiet_fit(GaussianMixture(3, covariance_type=ct, random_state=0), X)
        covs = {
            "full": lambda j, e=est: e.covariances_[j],
            "tied": lambda j, e=est: e.covariances_,
            "diag": lambda j, e=est: np.diag(e.covariances_[j]),
            "spherical": lambda j, e=est: e.covariances_[j] * np.eye(X.shape[1]),
        }[ct]
        dens = sum(est.weights_[j] * stats.multivariate_normal(est.means_[j], covs(j)).pdf(X)
                   for j in range(3))
        assert_allclose(est.score_samples(X), np.log(dens), rtol=1e-10)
        assert_allclose(est.loglik_, np.log(dens).sum(), rtol=1e-10)
        assert_allclose(est.score(X), np.log(dens).mean(), rtol=1e-10)
        assert_allclose(est.aic(X), -2 * np.log(dens).sum() + 2 * est.n_params_, rtol=1e-10)


@pytest.mark.parametrize("ct", COV_TYPES)
def test_sample_matches_sklearn(ct):
    X = blobs(n=200, seed=6)
    ref = quiet_fit(SkGM(3, covariance_type=ct, random_state=3), X)
    ours = quiet_fit(GaussianMixture(3, covariance_type=ct, random_state=3), X)
    xs_r, ys_r = ref.sample(50)
    xs_o, ys_o = ours.sample(50)
    assert_array_equal(ys_o, ys_r)
    assert_allclose(xs_o, xs_r, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("d, spread", [(26, 4.0), (3, 500.0)])
def test_full_centred_path_matches_sklearn(d, spread):
    # d > 24 or components far apart (Mahalanobis > 100 from the data mean) take the
    # centred form of the "full" pass instead of the quadratic features
    rng = np.random.default_rng(13)
    centres = rng.standard_normal((3, d)) * spread
    X = centres[rng.integers(3, size=400)] + rng.standard_normal((400, d))
    init = sklearn_init(X, 3, "full")
    kw = dict(covariance_type="full", max_iter=10, tol=0.0, **init)
    ref = quiet_fit(SkGM(3, **kw), X)
    ours = quiet_fit(GaussianMixture(3, **kw), X)
    assert rel(ours.covariances_, ref.covariances_) < 1e-9
    assert rel(ours.means_, ref.means_) < 1e-12
    assert_allclose(ours.lower_bounds_, ref.lower_bounds_, rtol=1e-11)
