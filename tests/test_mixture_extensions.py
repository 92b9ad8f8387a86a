"""GaussianMixture beyond scikit-learn's: weights, MAP prior, collapse, restarts, float32,
streaming, bad input, monotone EM and extreme scales."""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.mixture import GaussianMixture as SkGM

from sklearn_mle import GaussianMixture
from sklearn_mle.mixture import ComponentCollapseWarning
from sklearn_mle.priors import Dirichlet, NormalInverseWishart
from sklearn_mle.priors._wishart import niw_logpdf

from .test_mixture_gaussian import COV_TYPES, blobs, quiet_fit, rel, sklearn_init


@pytest.mark.parametrize("ct", COV_TYPES)
def test_integer_weights_equal_repeated_rows_sklearn_reference(ct):
    X = blobs(n=200, seed=11)
    w = np.random.default_rng(0).integers(0, 4, size=X.shape[0])
    Xrep = np.repeat(X, w, axis=0)
    init = sklearn_init(Xrep, 3, ct)
    kw = dict(covariance_type=ct, max_iter=15, tol=0.0, **init)
    ref = quiet_fit(SkGM(3, **kw), Xrep)
    ours = quiet_fit(GaussianMixture(3, **kw), X, sample_weight=w)
    for name in ["weights_", "means_", "covariances_"]:
        assert rel(getattr(ours, name), getattr(ref, name)) < 1e-9, name
    assert_allclose(ours.lower_bounds_, ref.lower_bounds_, rtol=1e-10)
    assert_allclose(ours.loglik_, ref.score(Xrep) * Xrep.shape[0], rtol=1e-10)
    assert ours.nobs_ == w.sum()


def test_niw_logpdf_against_scipy():
    rng = np.random.default_rng(1)
    d, k = 3, 2
    hyper = dict(shrinkage=0.5, mean=rng.standard_normal(d), dof=d + 3.0,
                 scale=np.eye(d) + 0.2)
    means = rng.standard_normal((k, d))
    covs = np.stack([np.eye(d) * (1 + j) + 0.1 for j in range(k)])
    ref = sum(stats.invwishart(df=hyper["dof"], scale=hyper["scale"]).logpdf(covs[j])
              + stats.multivariate_normal(hyper["mean"], covs[j] / 0.5).logpdf(means[j])
              for j in range(k))
    assert_allclose(niw_logpdf(means, covs, "full", hyper), ref, rtol=1e-12)
    tied = covs[0]
    ref = stats.invwishart(df=hyper["dof"], scale=hyper["scale"]).logpdf(tied) + sum(
        stats.multivariate_normal(hyper["mean"], tied / 0.5).logpdf(means[j]) for j in range(k))
    assert_allclose(niw_logpdf(means, tied, "tied", hyper), ref, rtol=1e-12)
    var = np.abs(rng.standard_normal((k, d))) + 0.5
    a, b = hyper["dof"] / 2, np.diag(hyper["scale"]) / 2
    ref = np.sum(stats.invgamma(a, scale=b).logpdf(var)) + np.sum(
        stats.norm(hyper["mean"], np.sqrt(var / 0.5)).logpdf(means))
    assert_allclose(niw_logpdf(means, var, "diag", hyper), ref, rtol=1e-12)
    sv = var[:, 0]
    b = np.trace(hyper["scale"]) / (2 * d)
    ref = np.sum(stats.invgamma(a, scale=b).logpdf(sv)) + np.sum(
        stats.norm(hyper["mean"], np.sqrt(sv[:, None] / 0.5)).logpdf(means))
    assert_allclose(niw_logpdf(means, sv, "spherical", hyper), ref, rtol=1e-12)


def test_map_single_component_is_the_conjugate_posterior_mode():
    # Murphy (2007), "Conjugate Bayesian analysis of the Gaussian distribution":
    # the NIW posterior has kappa_n = kappa + n, nu_n = nu + n, mu_n = (kappa mu0 + n xbar)
    # / kappa_n, Psi_n = Psi + S + kappa n / kappa_n (xbar - mu0)(xbar - mu0)'; its joint mode
    # is (mu_n, Psi_n / (nu_n + d + 2)).
    rng = np.random.default_rng(2)
    X = rng.standard_normal((40, 3)) @ np.array([[1, 0.3, 0], [0, 1, 0.2], [0, 0, 0.5]]) + 2
    n, d = X.shape
    prior = NormalInverseWishart(shrinkage=0.7, mean=np.zeros(d), dof=6.0,
                                 scale=np.eye(d) * 0.5)
    est = quiet_fit(GaussianMixture(1, prior=prior, reg_covar=0.0, tol=1e-12), X)
    xbar = X.mean(0)
    S = (X - xbar).T @ (X - xbar)
    kn, nun = 0.7 + n, 6.0 + n
    mun = n * xbar / kn
    psin = np.eye(d) * 0.5 + S + 0.7 * n / kn * np.outer(xbar, xbar)
    assert_allclose(est.means_[0], mun, rtol=1e-12)
    assert_allclose(est.covariances_[0], psin / (nun + d + 2), rtol=1e-12)
    lp = (stats.multivariate_normal(mun, psin / (nun + d + 2)).logpdf(X).sum()
          + stats.invwishart(6.0, np.eye(d) * 0.5).logpdf(psin / (nun + d + 2))
          + stats.multivariate_normal(np.zeros(d), psin / (nun + d + 2) / 0.7).logpdf(mun))
    assert_allclose(est.loglik_, lp, rtol=1e-12)


def test_map_em_fixed_point_is_a_posterior_maximum():
    # at convergence no small perturbation of the parameters raises the log-posterior,
    # computed independently with scipy densities
    X = blobs(n=150, k=2, d=2, seed=3)
    est = quiet_fit(GaussianMixture(2, prior=NormalInverseWishart(),
                                    weights_prior=Dirichlet(2.0), reg_covar=0.0, tol=1e-13,
                                    max_iter=2000, random_state=0), X)
    h = est.prior_params_

    def log_post(w, m, c):
        dens = sum(w[j] * stats.multivariate_normal(m[j], c[j]).pdf(X) for j in range(2))
        lp = np.log(dens).sum() + stats.dirichlet([2.0, 2.0]).logpdf(w)
        for j in range(2):
            lp += stats.invwishart(h["dof"], h["scale"]).logpdf(c[j])
            lp += stats.multivariate_normal(h["mean"], c[j] / h["shrinkage"]).logpdf(m[j])
        return lp

    best = log_post(est.weights_, est.means_, est.covariances_)
    assert_allclose(est.loglik_, best, rtol=1e-10)
    rng = np.random.default_rng(0)
    for _ in range(20):
        dw = rng.standard_normal() * 1e-4
        w = est.weights_ + np.array([dw, -dw])
        m = est.means_ + rng.standard_normal(est.means_.shape) * 1e-4
        e = rng.standard_normal((2, 2, 2)) * 1e-4
        c = est.covariances_ + (e + np.swapaxes(e, 1, 2))
        assert log_post(w, m, c) <= best + 1e-9


def test_duplicate_points_collapse_messages_and_prior_remedy():
    rng = np.random.default_rng(4)
    X = np.vstack([np.tile([[1.0, 2.0]], (6, 1)), rng.standard_normal((30, 2)) * 3 + 8])
    init = dict(means_init=[[1.0, 2.0], [8.0, 8.0]], random_state=0)
    with pytest.raises(ValueError, match=r"reg_covar.*NormalInverseWishart"):
        GaussianMixture(2, reg_covar=0.0, **init).fit(X)
    with pytest.warns(ComponentCollapseWarning, match=r"reg_covar.*NormalInverseWishart"):
        GaussianMixture(2, **init).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ComponentCollapseWarning)
        est = GaussianMixture(2, reg_covar=0.0, prior=NormalInverseWishart(), **init).fit(X)
    assert np.all(np.linalg.eigvalsh(est.covariances_) > 1e-3)
    assert np.isfinite(est.loglik_)
    for ct in ("diag", "spherical"):
        with pytest.raises(ValueError, match="reg_covar"):
            GaussianMixture(2, covariance_type=ct, reg_covar=0.0, **init).fit(X)
        est = GaussianMixture(2, covariance_type=ct, reg_covar=0.0,
                              prior=NormalInverseWishart(), **init).fit(X)
        assert np.all(est.covariances_ > 1e-3)


@pytest.mark.parametrize("ct", COV_TYPES)
@pytest.mark.parametrize("prior", [None, NormalInverseWishart()])
def test_em_objective_never_decreases(ct, prior):
    X = blobs(n=300, k=4, d=3, seed=5)
    est = quiet_fit(GaussianMixture(4, covariance_type=ct, reg_covar=0.0, prior=prior,
                                    weights_prior=None if prior is None else Dirichlet(1.5),
                                    tol=0.0, max_iter=60, init_params="random",
                                    random_state=1), X)
    lb = np.asarray(est.lower_bounds_)
    assert np.all(np.diff(lb) >= -1e-12 * np.abs(lb[1:]))


def test_restarts_have_their_own_streams_and_best_is_kept():
    X = blobs(n=300, k=5, d=2, seed=6)
    est = quiet_fit(GaussianMixture(5, n_init=4, init_params="random_from_data",
                                    random_state=0, max_iter=200), X)
    lbs = est.init_lower_bounds_
    assert lbs.shape == (4,) and np.unique(np.round(lbs, 8)).size > 1
    assert est.lower_bound_ == lbs.max()
    assert len(set(est.init_seeds_[1:])) == 3


def test_float32_stays_float32():
    X = blobs(n=400, seed=7)
    init = sklearn_init(X, 3, "full")
    for ct in COV_TYPES:
        init = sklearn_init(X, 3, ct)
        kw = dict(covariance_type=ct, max_iter=20, tol=0.0, **init)
        e64 = quiet_fit(GaussianMixture(3, **kw), X)
        e32 = quiet_fit(GaussianMixture(3, **kw), X.astype(np.float32))
        for name in ["weights_", "means_", "covariances_", "precisions_",
                     "precisions_cholesky_"]:
            assert getattr(e32, name).dtype == np.float32, name
            assert rel(getattr(e32, name), getattr(e64, name)) < 1e-4, name
        s = e32.score_samples(X.astype(np.float32))
        assert s.dtype == np.float32
        assert e32.predict_proba(X.astype(np.float32)).dtype == np.float32
        assert_allclose(s, e64.score_samples(X), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("offset, scale", [(1e6, 1.0), (0.0, 1e6), (0.0, 1e-6), (1e6, 1e-2)])
def test_extreme_scales_match_sklearn_on_standardised_data(offset, scale):
    # reference: scikit-learn on the standardised data Z = (X - offset) / scale, mapped back
    # (a Gaussian mixture is equivariant under affine maps); scikit-learn on X itself loses
    # digits at a 1e6 offset ("tied"/"diag" use raw moments about the origin)
    Z = blobs(n=300, seed=8)
    X = offset + scale * Z
    d = X.shape[1]
    for ct in COV_TYPES:
        init = sklearn_init(Z, 3, ct)
        ref = quiet_fit(SkGM(3, covariance_type=ct, max_iter=10, tol=0.0, reg_covar=1e-6,
                             **init), Z)
        ours = quiet_fit(GaussianMixture(
            3, covariance_type=ct, max_iter=10, tol=0.0, reg_covar=1e-6 * scale**2,
            weights_init=init["weights_init"], means_init=offset + scale * init["means_init"],
            precisions_init=init["precisions_init"] / scale**2), X)
        assert np.all(np.isfinite(ours.lower_bounds_))
        assert rel(ours.covariances_, scale**2 * ref.covariances_) < 1e-7, ct
        assert_allclose(ours.means_, offset + scale * ref.means_, rtol=1e-12,
                        atol=1e-8 * scale)
        assert_allclose(ours.score(X), ref.score(Z) - d * np.log(scale), rtol=1e-8)


def test_bad_input_gets_clear_errors():
    X = blobs(n=50, seed=9)
    Xnan = X.copy()
    Xnan[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        GaussianMixture(2).fit(Xnan)
    with pytest.raises(ValueError, match="n_samples >= n_components"):
        GaussianMixture(5).fit(X[:3])
    with pytest.raises(ValueError, match="means_init.*shape"):
        GaussianMixture(2, means_init=np.zeros((3, 3))).fit(X)
    with pytest.raises(ValueError, match="weights_init.*shape"):
        GaussianMixture(2, weights_init=[1.0]).fit(X)
    with pytest.raises(ValueError, match="weights_init should be normalized"):
        GaussianMixture(2, weights_init=[0.3, 0.3]).fit(X)
    with pytest.raises(ValueError, match="precisions_init.*shape"):
        GaussianMixture(2, precisions_init=np.ones((2, 3))).fit(X)
    with pytest.raises(ValueError, match="positive-definite"):
        GaussianMixture(2, precisions_init=-np.stack([np.eye(3)] * 2)).fit(X)
    with pytest.raises(ValueError, match="non-zero"):
        GaussianMixture(2).fit(X, sample_weight=np.zeros(len(X)))
    with pytest.raises(ValueError, match="alpha must be >= 1"):
        GaussianMixture(2, weights_prior=Dirichlet(0.5)).fit(X)
    with pytest.raises(ValueError, match="dof"):
        GaussianMixture(2, prior=NormalInverseWishart(dof=1.0)).fit(X)


def test_partial_fit_stream_reaches_batch_answer():
    rng = np.random.default_rng(10)
    centres = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
    X = centres[rng.integers(3, size=2000)] + rng.standard_normal((2000, 2))
    batch = quiet_fit(GaussianMixture(3, random_state=0, tol=1e-8, max_iter=500), X)
    stream = GaussianMixture(3, random_state=0)
    rng = np.random.default_rng(0)
    for _ in range(15):
        for chunk in np.array_split(rng.permutation(len(X)), 20):
            stream.partial_fit(X[chunk])
    order_b = np.argsort(batch.means_[:, 0])
    order_s = np.argsort(stream.means_[:, 0])
    assert_allclose(stream.means_[order_s], batch.means_[order_b], atol=0.05)
    assert_allclose(stream.weights_[order_s], batch.weights_[order_b], atol=0.01)
    assert_allclose(stream.covariances_[order_s], batch.covariances_[order_b], atol=0.08)
    assert stream.n_batches_ == 300
    assert_allclose(stream.score(X), batch.score(X), rtol=2e-3)
    with pytest.raises(ValueError, match="features"):
        stream.partial_fit(X[:10, :1])
    with pytest.raises(ValueError, match="n_samples >= n_components"):
        GaussianMixture(3).partial_fit(X[:2])


def test_summary_text_and_counts():
    X = blobs(n=200, seed=12)
    est = quiet_fit(GaussianMixture(3, n_init=2, random_state=0), X)
    text = str(est.summary())
    assert re.search(r"Log-likelihood:\s+" + re.escape(f"{est.loglik_:.6g}"), text)
    assert "Restarts' objectives" in text and "AIC" in text
    assert est.n_params_ == 3 * 3 + 3 * 6 + 2
    map_text = str(quiet_fit(GaussianMixture(3, prior=NormalInverseWishart(),
                                             random_state=0), X).summary())
    assert "Log-posterior" in map_text and "MAP-EM" in map_text


def test_prior_defaults_follow_mclust():
    # Fraley & Raftery (2007): shrinkage 0.01, mean = data mean, dof = d + 2,
    # scale = cov(data) / G^(2/d)
    X = blobs(n=200, seed=14)
    n, d = X.shape
    est = quiet_fit(GaussianMixture(3, prior=NormalInverseWishart(), random_state=0), X)
    h = est.prior_params_
    assert h["shrinkage"] == 0.01 and h["dof"] == d + 2
    assert_allclose(h["mean"], X.mean(0), rtol=1e-12)
    assert_allclose(h["scale"], np.cov(X.T, bias=True) / 3 ** (2 / d), rtol=1e-10)
    with pytest.raises(ValueError, match="symmetric positive-definite"):
        NormalInverseWishart(scale=-np.eye(2))


def test_weights_prior_of_the_wrong_length_is_a_clear_error():
    X = blobs(n=60, seed=3)
    with pytest.raises(ValueError, match="one value per component"):
        GaussianMixture(2, weights_prior=Dirichlet(np.ones(4)), random_state=0).fit(X)


def test_niw_default_scale_with_fewer_rows_than_columns():
    # the data covariance of 2 rows in 3 dimensions is singular: the default scale
    # falls back to its diagonal instead of failing in a Cholesky factorisation
    X = np.array([[-3.8, -3.5, 2.6], [-2.7, -2.6, 2.2]])
    est = quiet_fit(GaussianMixture(1, prior=NormalInverseWishart(), random_state=0), X)
    assert_allclose(est.means_[0], X.mean(0) * (2 / 2.01) + X.mean(0) * (0.01 / 2.01))
    assert np.all(np.isfinite(est.covariances_)) and np.isfinite(est.loglik_)
    scale = est.prior_params_["scale"]
    assert_allclose(scale, np.diag(np.diag(scale)))


def test_partial_fit_after_fit_continues_from_the_fit():
    # known_defects [33]: partial_fit after fit re-initialised (discarding the fit) and
    # accepted another number of features
    import numpy as np
    import pytest

    from sklearn_mle import GaussianMixture

    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(-4.0, 1.0, (300, 2)), rng.normal(4.0, 1.0, (300, 2))]
    gm = GaussianMixture(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="features"):
        gm.partial_fit(rng.normal(size=(50, 3)))
    batch = X[::3]
    resp = gm.predict_proba(batch)  # the E-step with the fitted parameters
    expected = (resp.T @ batch) / resp.sum(axis=0)[:, None]
    gm.partial_fit(batch)  # one EM step from the fitted parameters (not a new init)
    np.testing.assert_allclose(gm.means_, expected, rtol=1e-10)
    assert gm.n_batches_ == 1
    # and a new fit ends the stream
    gm.fit(X)
    assert not hasattr(gm, "n_batches_")
