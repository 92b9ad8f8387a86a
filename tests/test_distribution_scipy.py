"""to_scipy / cdf / sf / ppf of the distribution estimators against scipy.stats built by hand."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from sklearn_mle import (
    BernoulliMLE,
    ExponentialMLE,
    GammaMLE,
    GaussianMLE,
    LogNormalMLE,
    PoissonMLE,
    WeibullMLE,
)

rng = np.random.default_rng(3)
POS = rng.gamma(2.0, 1.5, size=(200, 2))
COUNTS = rng.poisson(3.0, size=(200, 2))


def test_gaussian_diag_matches_norm():
    X = rng.normal(size=(100, 2)) * [1.0, 3.0] + [0.0, 5.0]
    est = GaussianMLE(covariance_type="diag").fit(X)
    mean, sd = X.mean(axis=0), X.std(axis=0)  # the MLE divides by n
    grid = np.array([[-1.0, 4.0], [0.5, 6.0]])
    assert_allclose(est.cdf(grid), stats.norm.cdf(grid, mean, sd), rtol=1e-12)
    assert_allclose(est.sf(grid), stats.norm.sf(grid, mean, sd), rtol=1e-12)
    q = np.array([0.025, 0.5, 0.975])
    assert_allclose(est.ppf(q), stats.norm.ppf(q[:, None], mean, sd), rtol=1e-12)


def test_exponential_and_gamma_quantiles_invert_cdf():
    rate = 1.0 / POS.mean(axis=0)
    est = ExponentialMLE().fit(POS)
    assert_allclose(est.cdf(POS[:5]), stats.expon.cdf(POS[:5], scale=1.0 / rate), rtol=1e-12)
    for cls in (GammaMLE, WeibullMLE, LogNormalMLE):
        fit = cls().fit(POS)
        q = np.array([[0.1, 0.9], [0.5, 0.5]])
        assert_allclose(fit.cdf(fit.ppf(q)), q, rtol=1e-8)


def test_poisson_cdf_and_scipy_objects():
    est = PoissonMLE().fit(COUNTS)
    lam = COUNTS.mean(axis=0)
    dists = est.to_scipy()
    assert len(dists) == 2
    assert_allclose([d.mean() for d in dists], lam, rtol=1e-12)
    assert_allclose(est.cdf([[2, 4]]), [[stats.poisson.cdf(2, lam[0]),
                                         stats.poisson.cdf(4, lam[1])]], rtol=1e-12)
    assert_allclose(est.ppf([0.5]), [[stats.poisson.ppf(0.5, lam[0]),
                                      stats.poisson.ppf(0.5, lam[1])]])


def test_bernoulli_cdf():
    X = np.array([[0], [1], [1], [1]])
    est = BernoulliMLE().fit(X)
    assert_allclose(est.cdf([[0]]), [[0.25]])


def test_joint_gaussian_refuses_columnwise_with_remedy():
    X = rng.normal(size=(50, 2))
    est = GaussianMLE(covariance_type="full").fit(X)
    (joint,) = est.to_scipy()
    assert_allclose(joint.mean, X.mean(axis=0))
    with pytest.raises(ValueError, match="joint distribution"):
        est.cdf(X[:2])


def test_bad_input():
    est = ExponentialMLE().fit(POS)
    with pytest.raises(ValueError, match="shape"):
        est.cdf(POS[:, :1])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        est.ppf([1.5])
    with pytest.raises(ValueError, match="NaN"):
        est.sf([[np.nan, 1.0]])
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        ExponentialMLE().to_scipy()
