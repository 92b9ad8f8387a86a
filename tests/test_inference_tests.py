"""Wald tests, t tests and the delta method: statsmodels and hand derivations."""

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy import stats

from sklearn_mle import GammaMLE, WeibullMLE
from sklearn_mle.inference._wald import parse_hypotheses
from sklearn_mle.linear_model._linear import MLELinearRegression
from sklearn_mle.linear_model._logistic import MLELogisticRegression

RTOL = 1e-6


@pytest.fixture(scope="module")
def spector():
    d = sm.datasets.spector.load_pandas()
    ours = MLELogisticRegression(tol=1e-12).fit(d.exog, d.endog)
    ref = sm.Logit(d.endog, sm.add_constant(d.exog)).fit(disp=0, method="newton", tol=1e-12)
    return ours, ref


@pytest.fixture(scope="module")
def longley():
    d = sm.datasets.longley.load_pandas()
    ours = MLELinearRegression(use_t=True).fit(d.exog, d.endog)
    ref = sm.OLS(d.endog, sm.add_constant(d.exog)).fit()
    return ours, ref


def test_wald_test_string_equals_statsmodels(spector):
    ours, ref = spector
    res = ours.wald_test("GPA = TUCE, PSI = 0")
    sm_res = ref.wald_test("GPA = TUCE, PSI = 0", scalar=True)
    assert res.distribution == "chi2" and res.df_num == 2
    assert res.statistic == pytest.approx(float(sm_res.statistic), rel=RTOL)
    assert res.pvalue == pytest.approx(float(sm_res.pvalue), rel=RTOL)
    # the same hypothesis as a matrix
    R = np.array([[0, 1, -1, 0], [0, 0, 0, 1.0]])
    assert ours.wald_test(R).statistic == pytest.approx(res.statistic, rel=1e-12)
    assert ours.wald_test((R, [0, 0])).statistic == pytest.approx(res.statistic, rel=1e-12)


def test_wald_f_and_t_test_equal_statsmodels_ols(longley):
    ours, ref = longley
    hyp = "GNP = 0, 2*UNEMP - ARMED = -1"
    sm_hyp = "GNP = 0, 2*UNEMP - ARMED = -1"
    res = ours.wald_test(hyp)
    sm_res = ref.wald_test(sm_hyp, scalar=True)
    assert res.distribution == "F" and res.df_denom == 9
    assert res.statistic == pytest.approx(float(sm_res.statistic), rel=1e-6)
    assert res.pvalue == pytest.approx(float(sm_res.pvalue), rel=1e-6)
    t = ours.t_test("UNEMP = ARMED, YEAR = 1000")
    sm_t = ref.t_test("UNEMP = ARMED, YEAR = 1000")
    assert_allclose(t.effect, np.ravel(sm_t.effect), rtol=1e-6)
    assert_allclose(t.std_err, np.ravel(sm_t.sd), rtol=1e-6)
    assert_allclose(t.pvalue, np.ravel(sm_t.pvalue), rtol=1e-6)
    assert_allclose(t.conf_int, sm_t.conf_int(), rtol=1e-6)
    assert list(t.summary_frame().index) == ["UNEMP = ARMED", "YEAR = 1000"]


def test_t_test_z_for_logit(spector):
    ours, ref = spector
    t = ours.t_test("GPA - PSI = 0")
    sm_t = ref.t_test("GPA - PSI = 0")
    assert t.distribution == "z"
    assert_allclose(t.statistic, np.ravel(sm_t.tvalue), rtol=RTOL)
    assert_allclose(t.pvalue, np.ravel(sm_t.pvalue), rtol=RTOL)


def test_hypothesis_parsing_and_errors():
    names = ["intercept", "x1", "x10", "c.cov[1,1]"]
    R, q, labels = parse_hypotheses("x10 - x1 = 0.5, -c.cov[1,1] * 3 + 1 = x1", names)
    assert_allclose(R, [[0, -1, 1, 0], [0, -1, 0, -3]])
    assert_allclose(q, [0.5, -1.0])
    assert labels == ["x10 - x1 = 0.5", "-c.cov[1,1] * 3 + 1 = x1"]
    for bad, msg in [("x1", "exactly one"), ("x1 = x2", "cannot read"),
                     ("x1 * x10 = 0", "not linear"), ("1 = 2", "names no parameter")]:
        with pytest.raises(ValueError, match=msg):
            parse_hypotheses(bad, names)


def test_dependent_restrictions_raise(spector):
    ours, _ = spector
    with pytest.raises(ValueError, match="linearly dependent"):
        ours.wald_test("GPA = 0, 2*GPA = 0")


def test_delta_method_odds_ratio_hand_derivation(spector):
    ours, _ = spector
    j = ours.param_names_.index("GPA")
    res = ours.delta_method(lambda p: np.exp(p[j]), names=["OR(GPA)"])
    b, se = ours.estimates_[j], ours.bse_[j]
    assert res.estimate[0] == pytest.approx(np.exp(b), rel=1e-12)
    assert res.std_err[0] == pytest.approx(np.exp(b) * se, rel=1e-8)
    z = stats.norm.ppf(0.975)
    assert_allclose(res.conf_int[0], np.exp(b) + np.array([-z, z]) * np.exp(b) * se,
                    rtol=1e-8)
    assert list(res.summary_frame().index) == ["OR(GPA)"]


def test_delta_method_gamma_mean_and_weibull_quantile():
    rng = np.random.default_rng(3)
    x = rng.gamma(2.5, 1.5, size=(400, 1))
    g = GammaMLE().fit(x)
    a, b = g.estimates_
    res = g.delta_method(lambda p: p[0] / p[1])
    J = np.array([1 / b, -a / b**2])
    assert res.estimate[0] == pytest.approx(a / b, rel=1e-12)
    assert res.std_err[0] == pytest.approx(np.sqrt(J @ g.cov_params_ @ J), rel=1e-8)
    w = WeibullMLE().fit(rng.weibull(1.7, size=(400, 1)) * 2.0)
    k, lam = w.estimates_
    p = 0.9
    c = -np.log1p(-p)
    res = w.delta_method(lambda t: t[1] * c ** (1 / t[0]))
    q = lam * c ** (1 / k)
    J = np.array([-q * np.log(c) / k**2, c ** (1 / k)])
    assert res.estimate[0] == pytest.approx(q, rel=1e-12)
    assert res.std_err[0] == pytest.approx(np.sqrt(J @ w.cov_params_ @ J), rel=1e-8)
    assert res.pvalue[0] < 1e-10


def test_delta_method_vector_and_t(longley):
    ours, ref = longley
    res = ours.delta_method(lambda p: np.array([p[1] + p[2], p[3] * 2.0]))
    sm_t = ref.t_test(np.array([[0, 1, 1, 0, 0, 0, 0], [0, 0, 0, 2.0, 0, 0, 0]]))
    assert_allclose(res.std_err, np.ravel(sm_t.sd), rtol=1e-6)
    assert_allclose(res.conf_int, sm_t.conf_int(), rtol=1e-6)


def test_delta_method_rejects_non_finite(spector):
    ours, _ = spector
    with pytest.raises(ValueError, match="smooth"):
        ours.delta_method(lambda p: np.log(p[0]))  # intercept < 0


def test_delta_method_positive_interval_is_exp_of_the_log_interval(spector):
    ours, _ = spector
    j = ours.param_names_.index("PSI")
    res = ours.delta_method(lambda p: np.exp(p[j]), positive=True)
    assert_allclose(res.conf_int[0], np.exp(ours.conf_int()[j]), rtol=1e-8)
    assert res.conf_int[0, 0] > 0
    with pytest.raises(ValueError, match="positive"):
        ours.delta_method(lambda p: p[0], positive=True)  # the intercept is < 0
