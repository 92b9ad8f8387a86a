"""Sandwich covariances of the distribution estimators (``cov_type="HC0"``/``"HC1"``)
against closed forms and statsmodels' GenericLikelihoodModel."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.base.model import GenericLikelihoodModel

from sklearn_mle import ExponentialMLE, GaussianMLE, PoissonMLE, WeibullMLE
from sklearn_mle.priors import Gamma as GammaPrior


def test_poisson_hc0_is_the_sample_variance_over_n():
    # score of row i: x_i / lam - 1; information n / lam at lam = mean: the sandwich
    # is sum (x_i - mean)^2 / n^2 (over-dispersed counts: larger than lam / n)
    rng = np.random.default_rng(0)
    x = rng.negative_binomial(2, 0.4, size=(300, 1)).astype(float)
    est = PoissonMLE(cov_type="HC0").fit(x)
    n = len(x)
    assert_allclose(est.cov_params_[0, 0], np.sum((x - x.mean()) ** 2) / n**2, rtol=1e-10)
    model = PoissonMLE().fit(x)
    assert_allclose(model.bse_**2, x.mean() / n, rtol=1e-10)
    assert est.bse_[0] > 1.3 * model.bse_[0]
    hc1 = PoissonMLE(cov_type="HC1").fit(x)
    assert_allclose(hc1.cov_params_, est.cov_params_ * n / (n - 1), rtol=1e-12)
    assert_allclose(est.estimates_, model.estimates_)
    z = stats.norm.ppf(0.975)
    assert_allclose(est.conf_int(), [[x.mean() - z * est.bse_[0], x.mean() + z * est.bse_[0]]],
                    rtol=1e-12)


def test_exponential_hc0_closed_form_and_weights_equal_repeated_rows():
    # score 1 / lam - x_i, information n / lam^2: HC0 = lam^4 sum (x_i - 1/lam)^2 / n^2
    rng = np.random.default_rng(1)
    x = rng.gamma(0.5, 2.0, size=(200, 1))
    est = ExponentialMLE(cov_type="HC0").fit(x)
    lam, n = 1.0 / x.mean(), len(x)
    assert_allclose(est.cov_params_[0, 0], lam**4 * np.sum((x - 1 / lam) ** 2) / n**2,
                    rtol=1e-10)
    w = rng.integers(0, 4, size=n)
    weighted = ExponentialMLE(cov_type="HC0").fit(x, sample_weight=w)
    repeated = ExponentialMLE(cov_type="HC0").fit(np.repeat(x, w, axis=0))
    assert_allclose(weighted.cov_params_, repeated.cov_params_, rtol=1e-10)


def test_gaussian_diag_hc0_closed_form_with_two_columns():
    # mean: sum (x - m)^2 / n^2; variance: sum ((x - m)^2 - s2)^2 / n^2; the mean and
    # the variance of a column covary through the third moment, the columns through
    # the rows
    rng = np.random.default_rng(2)
    x = np.column_stack([rng.exponential(size=250), rng.standard_t(5, size=250)])
    est = GaussianMLE(covariance_type="diag", cov_type="HC0").fit(x)
    n = len(x)
    m, s2 = x.mean(axis=0), x.var(axis=0)
    d = x - m
    # scores: d / s2 and (d^2 - s2) / (2 s2^2); bread diag(s2 / n, 2 s2^2 / n)
    S = np.column_stack([d / s2, (d**2 - s2) / (2 * s2**2)])
    bread = np.diag(np.r_[s2 / n, 2 * s2**2 / n])
    ref = bread @ (S.T @ S) @ bread
    assert est.param_names_ == ["mean[x0]", "mean[x1]", "covariance[x0]", "covariance[x1]"]
    assert_allclose(est.cov_params_, ref, rtol=1e-8, atol=1e-14)
    assert_allclose(np.diag(est.cov_params_)[2:], np.sum((d**2 - s2) ** 2, axis=0) / n**2,
                    rtol=1e-8)


class _Weibull(GenericLikelihoodModel):
    def loglikeobs(self, params):
        return stats.weibull_min.logpdf(self.endog, params[0], scale=params[1])


def test_weibull_hc0_equals_statsmodels_generic_likelihood_model():
    rng = np.random.default_rng(3)
    x = rng.lognormal(0.3, 0.6, size=400)  # not Weibull: the sandwich differs
    est = WeibullMLE(cov_type="HC0").fit(x[:, None])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mod = _Weibull(x, np.ones((len(x), 1)))
        ref = mod.fit(start_params=est.estimates_, method="newton", cov_type="HC0", disp=0,
                      tol=1e-12, maxiter=50)
    assert_allclose(ref.params, est.estimates_, rtol=1e-7)
    # statsmodels differentiates numerically (score and Hessian): agreement to ~1e-6
    assert_allclose(est.cov_params_, ref.cov_params(), rtol=2e-5)
    assert_allclose(est.bse_, ref.bse, rtol=1e-5)
    model = WeibullMLE().fit(x[:, None])
    assert not np.allclose(est.bse_, model.bse_, rtol=1e-2)


def test_summary_names_the_covariance_type():
    x = np.random.default_rng(4).poisson(2.0, size=(50, 1))
    text = str(PoissonMLE(cov_type="HC1").fit(x).summary())
    assert "Covariance type" in text and "HC1" in text
    assert "nonrobust" in str(PoissonMLE().fit(x).summary())
    # a component made by from_stats (mixtures) keeps the model-based covariance
    est = PoissonMLE(cov_type="HC0").fit(x)
    comp = est.from_stats(est.stats_)
    assert_allclose(comp.cov_params_, PoissonMLE().fit(x).cov_params_)
    assert "nonrobust" in str(comp.summary())


def test_refusals():
    x = np.random.default_rng(5).poisson(2.0, size=(40, 2)).astype(float)
    with pytest.raises(ValueError, match="prior"):
        PoissonMLE(cov_type="HC0", prior=GammaPrior(2.0, 1.0)).fit(x)
    with pytest.raises(ValueError, match="partial_fit"):
        PoissonMLE(cov_type="HC0").partial_fit(x)
    with pytest.raises(ValueError, match="one value per column"):
        GaussianMLE(cov_type="HC0").fit(x)
    with pytest.raises(ValueError, match="cov_type"):
        PoissonMLE(cov_type="HC3").fit(x)
