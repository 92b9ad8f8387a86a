"""MixtureMLE: EM over any family, checked against scikit-learn and scipy."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGM

from sklearn_mle import (
    BernoulliMLE,
    ExponentialMLE,
    GaussianMLE,
    MixtureMLE,
    PoissonMLE,
)
from sklearn_mle.priors import Dirichlet, Gamma


def quiet(est, X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, **kw)


def poisson_data(seed=0):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.poisson([2.0, 8.0], size=(300, 2)),
                      rng.poisson([12.0, 1.0], size=(200, 2))]).astype(float)


def test_gaussian_components_equal_sklearn_gaussian_mixture():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.standard_normal((150, 2)) + [4, 0], rng.standard_normal((100, 2)) * 0.7])
    ref = quiet(SkGM(2, reg_covar=0.0, random_state=3, tol=1e-8), X)
    mix = quiet(MixtureMLE(GaussianMLE(), n_components=2, random_state=3, tol=1e-8), X)
    assert mix.n_iter_ == ref.n_iter_
    assert_allclose(mix.weights_, ref.weights_, rtol=1e-8)
    for j, c in enumerate(mix.components_):
        assert_allclose(c.mean_, ref.means_[j], rtol=1e-8)
        assert_allclose(c.covariance_, ref.covariances_[j], rtol=1e-8)
    assert_allclose(mix.score_samples(X), ref.score_samples(X), rtol=1e-9)
    assert_allclose(mix.lower_bounds_, ref.lower_bounds_, rtol=1e-10)
    assert mix.n_params_ == ref._n_parameters()
    assert_allclose(mix.bic(X), ref.bic(X), rtol=1e-10)


def test_poisson_mixture_fixed_point_and_loglik_against_scipy():
    X = poisson_data()
    mix = quiet(MixtureMLE(PoissonMLE(), n_components=2, random_state=0, tol=1e-12,
                           max_iter=2000), X)
    rates = np.array([c.rate_ for c in mix.components_])
    w = mix.weights_
    comp = np.stack([w[j] * np.prod(stats.poisson(rates[j]).pmf(X), axis=1) for j in range(2)],
                    axis=1)
    dens = comp.sum(axis=1)
    assert_allclose(mix.loglik_, np.log(dens).sum(), rtol=1e-12)
    assert_allclose(mix.score_samples(X), np.log(dens), rtol=1e-12)
    resp = comp / dens[:, None]
    # score equations of the mixture likelihood: rates are responsibility-weighted means
    assert_allclose(rates, (resp.T @ X) / resp.sum(0)[:, None], rtol=1e-8)
    assert_allclose(w, resp.mean(0), rtol=1e-8)
    assert_allclose(mix.predict_proba(X), resp, atol=1e-10)
    assert mix.n_params_ == 1 + 2 * 2
    assert sorted(np.round(rates[:, 0]).tolist()) == [2.0, 12.0]


@pytest.mark.parametrize("component, make", [
    (PoissonMLE(), poisson_data),
    (PoissonMLE(prior=Gamma(2.0, 0.5)), poisson_data),
    (BernoulliMLE(), lambda: (np.random.default_rng(1).random((400, 6))
                              < np.repeat([[0.9, 0.8, 0.7, 0.2, 0.1, 0.3],
                                           [0.1, 0.3, 0.2, 0.8, 0.9, 0.7]], 200, 0)) * 1.0),
    (ExponentialMLE(), lambda: np.concatenate([np.random.default_rng(2).exponential(1, 300),
                                               np.random.default_rng(3).exponential(20, 200)])
     [:, None]),
    (GaussianMLE(covariance_type="diag"),
     lambda: np.random.default_rng(4).standard_normal((300, 2)) * [1, 3]
     + np.repeat([[0, 0], [3, 3], [-3, 4]], 100, 0)),
])
def test_objective_never_decreases(component, make):
    X = make()
    mix = quiet(MixtureMLE(component, n_components=3 if X.shape[1] == 2 else 2,
                           init_params="random", random_state=0, tol=0.0, max_iter=40,
                           prior=Dirichlet(1.5)), X)
    lb = np.asarray(mix.lower_bounds_)
    assert np.all(np.diff(lb) >= -1e-12 * np.abs(lb[1:]))
    assert np.isfinite(mix.loglik_)


def test_latent_class_model_recovers_classes():
    rng = np.random.default_rng(5)
    p = np.array([[0.9, 0.85, 0.8, 0.15, 0.1], [0.1, 0.2, 0.15, 0.9, 0.85]])
    z = rng.integers(2, size=2000)
    X = (rng.random((2000, 5)) < p[z]).astype(float)
    mix = quiet(MixtureMLE(BernoulliMLE(), n_components=2, random_state=0, tol=1e-8), X)
    est = np.array([c.p_ for c in mix.components_])
    order = np.argsort(est[:, 0])[::-1]
    assert_allclose(est[order], p, atol=0.04)
    comp = np.stack([mix.weights_[j] * np.prod(stats.bernoulli(est[j]).pmf(X), axis=1)
                     for j in range(2)], axis=1)
    assert_allclose(mix.loglik_, np.log(comp.sum(1)).sum(), rtol=1e-12)


class OpaquePoisson(BaseEstimator):
    """A Poisson estimator without the package's hooks (fit / score_samples / sample only)."""

    def fit(self, X, y=None, sample_weight=None):
        w = np.ones(len(X)) if sample_weight is None else sample_weight
        self.rate_ = (w @ X) / w.sum()
        self.n_params_ = X.shape[1]
        return self

    def score_samples(self, X):
        return stats.poisson(self.rate_).logpmf(X).sum(axis=1)

    def sample(self, n, random_state=None):
        return random_state.poisson(self.rate_, size=(n, self.rate_.size)).astype(float)


def test_component_must_be_a_distribution_estimator():
    # MixtureMLE works through the family protocol (Emission) only: any other
    # estimator, a regression or a mixture, gets a clear error instead of a late crash
    from sklearn_mle import GaussianMixture, MLELinearRegression

    X = poisson_data(seed=6)
    for comp in (OpaquePoisson(), MLELinearRegression(), GaussianMixture(2)):
        with pytest.raises(ValueError, match="component must be a distribution estimator"):
            MixtureMLE(comp, n_components=2, random_state=0).fit(X)


def test_map_weights_prior_and_sampling():
    X = poisson_data(seed=7)
    mix = quiet(MixtureMLE(PoissonMLE(), n_components=2, prior=Dirichlet(5.0),
                           random_state=0, tol=1e-12, max_iter=3000), X)
    rates = np.array([c.rate_ for c in mix.components_])
    comp = np.stack([mix.weights_[j] * np.prod(stats.poisson(rates[j]).pmf(X), axis=1)
                     for j in range(2)], axis=1)
    resp = comp / comp.sum(1, keepdims=True)
    # posterior mode of the weights: (N_k + alpha - 1) / (n + K (alpha - 1))
    assert_allclose(mix.weights_, (resp.sum(0) + 4.0) / (len(X) + 8.0), rtol=1e-8)
    lp = np.log(comp.sum(1)).sum() + stats.dirichlet([5.0, 5.0]).logpdf(mix.weights_)
    assert_allclose(mix.loglik_, lp, rtol=1e-12)
    Xs, ys = mix.sample(500)
    assert Xs.shape == (500, 2) and set(np.unique(ys)) <= {0, 1}
    assert "MAP-EM" in str(mix.summary())


def test_bad_input():
    X = poisson_data()
    Xneg = X.copy()
    Xneg[4, 1] = -1
    with pytest.raises(ValueError, match="column 1"):
        MixtureMLE(PoissonMLE(), n_components=2).fit(Xneg)
    Xnan = X.copy()
    Xnan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        MixtureMLE(PoissonMLE(), n_components=2).fit(Xnan)
    with pytest.raises(ValueError, match="n_samples >= n_components"):
        MixtureMLE(PoissonMLE(), n_components=5).fit(X[:3])
    with pytest.raises(ValueError, match="alpha must be >= 1"):
        MixtureMLE(PoissonMLE(), n_components=2, prior=Dirichlet(0.5)).fit(X)


def test_gamma_and_categorical_components_against_scipy():
    from sklearn_mle import CategoricalMLE, GammaMLE

    rng = np.random.default_rng(8)
    X = np.concatenate([rng.gamma(2.0, 1.0, 400), rng.gamma(20.0, 1.0, 400)])[:, None]
    mix = quiet(MixtureMLE(GammaMLE(), n_components=2, random_state=0, tol=0.0,
                           max_iter=30), X)
    assert np.all(np.diff(mix.lower_bounds_) >= -1e-12 * np.abs(mix.lower_bounds_[1:]))
    comp = np.stack([mix.weights_[j] * stats.gamma(c.shape_[0], scale=1 / c.rate_[0]).pdf(X[:, 0])
                     for j, c in enumerate(mix.components_)], axis=1)
    assert_allclose(mix.loglik_, np.log(comp.sum(1)).sum(), rtol=1e-10)
    shapes = sorted(float(c.shape_[0]) for c in mix.components_)
    assert abs(shapes[0] - 2.0) < 0.4 and abs(shapes[1] - 20.0) < 4.0
    assert mix.n_params_ == 1 + 2 * 2

    P = np.array([[0.7, 0.2, 0.1], [0.1, 0.2, 0.7]])
    z = rng.integers(2, size=600)
    Xc = np.stack([(rng.random(600)[:, None] > np.cumsum(P[z], axis=1)).sum(1)
                   for _ in range(3)], axis=1).astype(float)
    mix = quiet(MixtureMLE(CategoricalMLE(), n_components=2, random_state=0, tol=0.0,
                           max_iter=30), Xc)
    assert np.all(np.diff(mix.lower_bounds_) >= -1e-12 * np.abs(mix.lower_bounds_[1:]))
    comp = np.ones((600, 2))
    for j, c in enumerate(mix.components_):
        comp[:, j] = mix.weights_[j]
        for col, probs in enumerate(c.params_["probabilities"]):
            comp[:, j] *= np.asarray(probs)[Xc[:, col].astype(int)]
    assert_allclose(mix.loglik_, np.log(comp.sum(1)).sum(), rtol=1e-10)
    assert mix.n_params_ == 1 + 2 * 3 * 2


def test_components_check_their_own_data_after_em():
    # EM skips the domain checks on the data the prototype already checked; the fitted
    # components handed to the user must not inherit that
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.exponential(1.0, 300), rng.exponential(8.0, 300)])[:, None]
    mix = MixtureMLE(ExponentialMLE(), n_components=2, random_state=0).fit(X)
    comp = mix.components_[0]
    with pytest.raises(ValueError, match="exponential data must be >= 0"):
        comp.fit(-X, sample_weight=np.ones(len(X)))


def test_standard_errors_equal_numerical_hessian_of_observed_loglik():
    # Louis' method against a central-difference Hessian of the observed-data
    # log-likelihood written independently with scipy
    rng = np.random.default_rng(0)
    X = np.column_stack([
        np.concatenate([rng.poisson(2, 300), rng.poisson(9, 200)]),
        np.concatenate([rng.poisson(5, 300), rng.poisson(1, 200)]),
    ]).astype(float)
    mix = quiet(MixtureMLE(PoissonMLE(), n_components=2, random_state=0, tol=1e-12,
                           max_iter=1000), X)
    assert mix.param_names_ == ["weight[0]", "component0.rate[x0]", "component0.rate[x1]",
                                "component1.rate[x0]", "component1.rate[x1]"]

    def loglik(th):
        comp = [w * np.prod(stats.poisson(r).pmf(X), axis=1)
                for w, r in ((th[0], th[1:3]), (1 - th[0], th[3:5]))]
        return np.log(comp[0] + comp[1]).sum()

    th = mix.estimates_.copy()
    p = th.size
    h = 1e-4 * np.maximum(np.abs(th), 1.0)
    H = np.zeros((p, p))
    for i in range(p):
        for j in range(p):
            ei, ej = np.eye(p)[i] * h[i], np.eye(p)[j] * h[j]
            H[i, j] = (loglik(th + ei + ej) - loglik(th + ei - ej) - loglik(th - ei + ej)
                       + loglik(th - ei - ej)) / (4 * h[i] * h[j])
    cov = np.linalg.inv(-H)
    assert_allclose(mix.cov_params_, cov, rtol=1e-5, atol=1e-9)
    assert_allclose(mix.bse_, np.sqrt(np.diag(cov)), rtol=1e-6)
    ci = mix.conf_int()
    assert np.all(ci[:, 0] < th) and np.all(th < ci[:, 1])
    text = str(mix.summary())
    assert "Louis" in text and "component1.rate[x1]" in text


def test_discrete_data_run_em_on_distinct_rows(monkeypatch):
    # 20 000 counts are ~30 distinct values: EM on them weighted by their counts is
    # the same likelihood; the optimum equals EM on every row
    import sklearn_mle.mixture._mixture_mle as mm

    rng = np.random.default_rng(3)
    X = np.concatenate([rng.poisson(2, 12_000), rng.poisson(11, 8_000)])[:, None]
    kw = dict(n_components=2, random_state=0, tol=1e-12, max_iter=2000)
    fast = quiet(MixtureMLE(PoissonMLE(), **kw), X)
    labels = MixtureMLE(PoissonMLE(), **kw).fit_predict(X)
    monkeypatch.setattr(mm, "_COMPRESS_MIN_ROWS", 10**9)
    slow = quiet(MixtureMLE(PoissonMLE(), **kw), X)
    assert_allclose(fast.loglik_, slow.loglik_, rtol=1e-10)
    order_f, order_s = np.argsort(fast.weights_), np.argsort(slow.weights_)
    assert_allclose(fast.weights_[order_f], slow.weights_[order_s], rtol=1e-6)
    assert_allclose(np.array([c.rate_[0] for c in fast.components_])[order_f],
                    np.array([c.rate_[0] for c in slow.components_])[order_s], rtol=1e-6)
    assert_allclose(np.sort(fast.bse_), np.sort(slow.bse_), rtol=1e-5)
    assert np.array_equal(labels, fast.predict(X))
    assert_allclose(fast.score_samples(X).sum(), fast.loglik_, rtol=1e-10)
