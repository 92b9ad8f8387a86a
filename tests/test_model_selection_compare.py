"""compare_models (R's anova LRT table) against statsmodels' compare_lr_test, and
vuong_test against a hand computation from scipy's densities."""

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy import stats

from sklearn_mle import (
    GammaMLE,
    LogNormalMLE,
    MLELinearRegression,
    MLELogisticRegression,
    NegativeBinomialMLE,
    PoissonMLE,
)
from sklearn_mle.model_selection._compare import compare_models, vuong_test


@pytest.fixture(scope="module")
def spector():
    data = sm.datasets.spector.load_pandas().data
    return data, data.GRADE


def test_compare_models_equals_statsmodels_compare_lr_test(spector):
    data, y = spector
    cols = (["GPA"], ["GPA", "TUCE"], ["GPA", "TUCE", "PSI"])
    ours = [MLELinearRegression().fit(data[c], y) for c in cols]
    table = compare_models(*ours)
    ols = [sm.OLS(y, sm.add_constant(data[c])).fit() for c in cols]
    for i in (1, 2):
        ref = ols[i].compare_lr_test(ols[i - 1])
        assert_allclose(table.statistic[i], ref.statistic, rtol=1e-8)
        assert_allclose(table.pvalue[i], ref.pvalue, rtol=1e-8)
        assert table.df[i] == ref.df_diff
    assert_allclose(table.loglik, [r.llf for r in ols], rtol=1e-10)
    # statsmodels' OLS AIC leaves the variance out of k; ours counts it (+2)
    assert_allclose(table.aic, [r.aic + 2 for r in ols], rtol=1e-10)
    assert list(table.model) == ["MLELinearRegression(GPA)", "MLELinearRegression(GPA, TUCE)",
                                 "MLELinearRegression(GPA, TUCE, PSI)"]
    assert np.isnan(table.pvalue[0])


def test_compare_models_logit_against_statsmodels_llf(spector):
    data, y = spector
    small = MLELogisticRegression().fit(data[["GPA"]], y)
    big = MLELogisticRegression().fit(data[["GPA", "TUCE", "PSI"]], y)
    table = compare_models(small, big, names=["GPA", "all"])
    logits = [sm.Logit(y, sm.add_constant(data[c])).fit(disp=0)
              for c in (["GPA"], ["GPA", "TUCE", "PSI"])]
    stat = 2 * (logits[1].llf - logits[0].llf)
    assert_allclose(table.statistic[1], stat, rtol=1e-7)
    assert_allclose(table.pvalue[1], stats.chi2.sf(stat, 2), rtol=1e-6)
    assert_allclose(table.bic, [r.bic for r in logits], rtol=1e-7)
    with pytest.raises(ValueError, match="not nested"):
        compare_models(MLELogisticRegression().fit(data[["TUCE"]], y),
                       MLELogisticRegression().fit(data[["GPA", "PSI"]], y))
    with pytest.raises(ValueError, match="at least two"):
        compare_models(small)


@pytest.mark.parametrize("correction", ["none", "akaike", "schwarz"])
def test_vuong_poisson_vs_negative_binomial_by_hand(correction):
    rng = np.random.default_rng(11)
    x = rng.negative_binomial(2, 0.3, size=(400, 1))
    nb, pois = NegativeBinomialMLE().fit(x), PoissonMLE().fit(x)
    res = vuong_test(nb, pois, x, correction=correction)
    # hand computation from scipy's pmfs at the MLEs (the Poisson's is the mean)
    lam = x.mean()
    r_hat = float(nb.estimates_[nb.param_names_.index("r")])
    p_hat = float(nb.estimates_[nb.param_names_.index("p")])
    m = stats.nbinom.logpmf(x[:, 0], r_hat, p_hat) - stats.poisson.logpmf(x[:, 0], lam)
    n = m.size
    c = {"none": 0.0, "akaike": 1.0, "schwarz": np.log(n) / 2}[correction]
    z = (m.sum() - c) / (np.sqrt(n) * m.std())
    assert_allclose(res.statistic, z, rtol=1e-8)
    assert_allclose(res.pvalue, 2 * stats.norm.sf(abs(z)), rtol=1e-8)
    assert res.statistic > 3 and res.pvalue_a < 1e-3  # over-dispersed: NB wins


def test_vuong_lognormal_vs_gamma_and_a_classifier(spector):
    x = np.random.default_rng(12).lognormal(0.5, 0.6, size=(300, 1))
    ln, ga = LogNormalMLE().fit(x), GammaMLE().fit(x)
    res = vuong_test(ln, ga, x, correction="none")
    shape, _, scale = stats.gamma.fit(x[:, 0], floc=0)
    s, _, sc = stats.lognorm.fit(x[:, 0], floc=0)
    m = stats.lognorm.logpdf(x[:, 0], s, scale=sc) - stats.gamma.logpdf(x[:, 0], shape,
                                                                         scale=scale)
    assert_allclose(res.statistic, m.sum() / (np.sqrt(m.size) * m.std()), rtol=1e-5)
    assert_allclose(res.pvalue_a + res.pvalue_b, 1.0)
    # non-nested logits: TUCE vs GPA + PSI, per-observation log-likelihoods from
    # statsmodels' fitted probabilities
    data, y = spector
    a = MLELogisticRegression().fit(data[["TUCE"]], y)
    b = MLELogisticRegression().fit(data[["GPA", "PSI"]], y)
    res = vuong_test(a, b, data[["TUCE"]], y, X_b=data[["GPA", "PSI"]])
    pa = sm.Logit(y, sm.add_constant(data[["TUCE"]])).fit(disp=0).predict()
    pb = sm.Logit(y, sm.add_constant(data[["GPA", "PSI"]])).fit(disp=0).predict()
    la = np.where(y == 1, np.log(pa), np.log1p(-pa))
    lb = np.where(y == 1, np.log(pb), np.log1p(-pb))
    m = la - lb
    z = (m.sum() + np.log(32) / 2) / (np.sqrt(32) * m.std())
    assert_allclose(res.statistic, z, rtol=1e-5)
    assert res.statistic < 0  # GPA + PSI explain the grades better


def test_vuong_bad_input():
    x = np.random.default_rng(0).poisson(3.0, size=(50, 1))
    p = PoissonMLE().fit(x)
    with pytest.raises(ValueError, match="cannot be told apart"):
        vuong_test(p, PoissonMLE().fit(x), x)
    with pytest.raises(ValueError, match="correction"):
        vuong_test(p, p, x, correction="bic")
