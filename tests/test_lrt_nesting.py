"""likelihood_ratio_test: nesting checks, boundary (chi-bar-squared) and bootstrap
references, and the test's size by simulation. References: statsmodels on spector,
closed-form chi-square mixtures, Monte Carlo."""

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy import stats

from sklearn_mle import (
    ExponentialMLE,
    GammaMLE,
    GaussianMixture,
    GaussianMLE,
    LogNormalMLE,
    MixtureMLE,
    MLELinearRegression,
    MLELogisticRegression,
    NegativeBinomialMLE,
    PoissonMLE,
    likelihood_ratio_test,
)
from sklearn_mle.inference._lrt import chi_bar_squared_sf


@pytest.fixture(scope="module")
def spector():
    data = sm.datasets.spector.load_pandas().data
    return data, data.GRADE


@pytest.mark.parametrize("cls", [MLELinearRegression, MLELogisticRegression])
def test_non_nested_column_sets_are_refused(spector, cls):
    data, y = spector
    tuce = cls().fit(data[["TUCE"]], y)
    gpa_psi = cls().fit(data[["GPA", "PSI"]], y)
    with pytest.raises(ValueError, match=r"not nested.*vuong_test"):
        likelihood_ratio_test(tuce, gpa_psi)
    # a genuine subset is accepted and equals statsmodels' statistic
    gpa = cls().fit(data[["GPA"]], y)
    res = likelihood_ratio_test(gpa, gpa_psi)
    sm_cls = sm.OLS if cls is MLELinearRegression else sm.Logit
    fits = [sm_cls(y, sm.add_constant(data[c])).fit(**({} if cls is MLELinearRegression
                                                        else {"disp": 0}))
            for c in (["GPA"], ["GPA", "PSI"])]
    assert_allclose(res.statistic, 2 * (fits[1].llf - fits[0].llf), rtol=1e-7)
    assert res.df == 1 and res.reference == "chi2(1)"


def test_different_families_are_refused():
    x = np.random.default_rng(0).gamma(2.0, 1.0, size=(200, 1))
    with pytest.raises(ValueError, match="not nested"):
        likelihood_ratio_test(ExponentialMLE().fit(x), LogNormalMLE().fit(x))
    counts = np.random.default_rng(1).poisson(3.0, size=(200, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pois = MixtureMLE(PoissonMLE(), n_components=2, random_state=0).fit(counts)
        gauss = MixtureMLE(GaussianMLE(covariance_type="diag"), n_components=2,
                           random_state=0).fit(counts.astype(float))
    with pytest.raises(ValueError, match="different families"):
        likelihood_ratio_test(pois, gauss)


def test_fixed_parameters_must_agree():
    x = np.random.default_rng(2).normal(1.0, 2.0, size=(100, 1))
    mean0 = GaussianMLE(fixed_params={"mean": 0.0}).fit(x)
    var4 = GaussianMLE(fixed_params={"covariance": 4.0}).fit(x)
    both = GaussianMLE(fixed_params={"mean": 0.0, "covariance": 4.0}).fit(x)
    with pytest.raises(ValueError, match="fixes 'mean'"):
        likelihood_ratio_test(both, GaussianMLE(fixed_params={"mean": 1.0}).fit(x))
    assert likelihood_ratio_test(both, mean0).df == 1
    assert likelihood_ratio_test(both, var4).df == 1


def test_covariance_types_nest_in_order():
    X = np.random.default_rng(3).multivariate_normal([0, 0], [[2, 1], [1, 2]], size=300)
    sph = GaussianMLE(covariance_type="spherical").fit(X)
    diag = GaussianMLE(covariance_type="diag").fit(X)
    full = GaussianMLE().fit(X)
    assert likelihood_ratio_test(sph, diag).df == 1
    assert likelihood_ratio_test(diag, full).df == 1
    # tied (one shared full covariance) is not a special case of per-component diagonal
    tied = GaussianMixture(2, covariance_type="tied", random_state=0).fit(X)
    dg = GaussianMixture(2, covariance_type="diag", random_state=0).fit(X)
    assert dg.n_params_ - tied.n_params_ == 1
    with pytest.raises(ValueError, match="'tied' is not nested in 'diag'"):
        likelihood_ratio_test(tied, dg)


def test_arrays_with_different_columns_warn_that_nesting_is_unchecked(spector):
    data, y = spector
    small = MLELinearRegression().fit(data[["GPA"]].to_numpy(), y.to_numpy())
    big = MLELinearRegression().fit(data[["GPA", "PSI"]].to_numpy(), y.to_numpy())
    with pytest.warns(UserWarning, match="cannot check"):
        likelihood_ratio_test(small, big)


def test_poisson_in_negative_binomial_uses_chi_bar_squared():
    rng = np.random.default_rng(4)
    counts = rng.negative_binomial(3, 0.4, size=(300, 1))
    pois, nb = PoissonMLE().fit(counts), NegativeBinomialMLE().fit(counts)
    res = likelihood_ratio_test(pois, nb)
    assert res.reference == "chi-bar-squared" and "boundary" in res.note
    assert_allclose(res.pvalue, 0.5 * stats.chi2.sf(res.statistic, 1), rtol=1e-12)
    # Exponential in Gamma: shape = 1 is interior, plain chi-square
    x = rng.gamma(1.5, 2.0, size=(300, 1))
    res = likelihood_ratio_test(ExponentialMLE().fit(x), GammaMLE().fit(x))
    assert res.reference == "chi2(1)"
    assert_allclose(res.pvalue, stats.chi2.sf(res.statistic, 1), rtol=1e-12)


def test_n_boundary_override_and_chi_bar_squared_against_monte_carlo():
    rng = np.random.default_rng(5)
    z = rng.standard_normal((400_000, 3))
    # df = 3 with 2 parameters on the boundary (orthogonal information)
    t = np.maximum(z[:, 0], 0) ** 2 + np.maximum(z[:, 1], 0) ** 2 + z[:, 2] ** 2
    for c in (0.5, 2.0, 5.0, 9.0):
        assert chi_bar_squared_sf(c, 3, 2) == pytest.approx(np.mean(t >= c), abs=3e-3)
    assert chi_bar_squared_sf(0.0, 1, 1) == 1.0
    assert chi_bar_squared_sf(2.7, 2, 0) == pytest.approx(stats.chi2.sf(2.7, 2))
    with pytest.raises(ValueError, match="n_boundary"):
        chi_bar_squared_sf(1.0, 1, 2)
    x = rng.normal(size=(80, 1))
    res = likelihood_ratio_test(GaussianMLE(fixed_params={"mean": 0.0}).fit(x),
                                GaussianMLE().fit(x), n_boundary=1)
    assert_allclose(res.pvalue, 0.5 * stats.chi2.sf(res.statistic, 1))


def test_mixture_components_need_the_bootstrap():
    rng = np.random.default_rng(6)
    X = np.concatenate([rng.normal(-3, 1, 150), rng.normal(3, 1, 150)]).reshape(-1, 1)
    one = GaussianMixture(1, random_state=0).fit(X)
    two = GaussianMixture(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="method='bootstrap'"):
        likelihood_ratio_test(one, two)
    res = likelihood_ratio_test(one, two, method="bootstrap", n_boot=19, random_state=0)
    assert res.reference == "bootstrap(19)"
    assert res.pvalue == pytest.approx(1 / 20)  # no replicate comes near the observed LR
    # under the null the bootstrap p-value is not small
    Y = rng.normal(size=(200, 1))
    res0 = likelihood_ratio_test(GaussianMixture(1, random_state=0).fit(Y),
                                 GaussianMixture(2, random_state=0).fit(Y),
                                 method="bootstrap", n_boot=19, random_state=1)
    assert res0.pvalue > 0.05


def test_bootstrap_agrees_with_chi_square_in_a_regular_case():
    x = np.random.default_rng(7).normal(0.25, 1.0, size=(100, 1))
    r, f = GaussianMLE(fixed_params={"mean": 0.0}).fit(x), GaussianMLE().fit(x)
    chi = likelihood_ratio_test(r, f)
    boot = likelihood_ratio_test(r, f, method="bootstrap", n_boot=199, random_state=0)
    assert boot.statistic == chi.statistic
    # within three Monte Carlo standard errors of the (here accurate) chi-square p-value
    se = np.sqrt(chi.pvalue * (1 - chi.pvalue) / 199)
    assert abs(boot.pvalue - chi.pvalue) < 3 * se + 1 / 200
    par = likelihood_ratio_test(r, f, method="bootstrap", n_boot=20, random_state=0,
                                n_jobs=2)
    assert par.pvalue == likelihood_ratio_test(r, f, method="bootstrap", n_boot=20,
                                               random_state=0).pvalue
    with pytest.raises(ValueError, match="no sample"):
        data = sm.datasets.spector.load_pandas().data
        likelihood_ratio_test(MLELinearRegression().fit(data[["GPA"]], data.GRADE),
                              MLELinearRegression().fit(data[["GPA", "PSI"]], data.GRADE),
                              method="bootstrap")


def test_size_at_five_percent_by_simulation():
    rng = np.random.default_rng(2024)
    reps, n, rejections = 3000, 60, 0
    for _ in range(reps):
        x = rng.poisson(4.0, size=(n, 1))
        res = likelihood_ratio_test(PoissonMLE(fixed_params={"rate": [4.0]}).fit(x),
                                    PoissonMLE().fit(x))
        rejections += res.pvalue < 0.05
    assert 0.04 <= rejections / reps <= 0.06


def test_bad_method_is_clear():
    x = np.random.default_rng(0).poisson(2.0, size=(20, 1))
    with pytest.raises(ValueError, match="method must be"):
        likelihood_ratio_test(PoissonMLE(fixed_params={"rate": [2.0]}).fit(x),
                              PoissonMLE().fit(x), method="wald")


def test_pair_fitted_on_different_data_of_the_same_size_is_refused(spector):
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(1.0, 2.0, size=(50, 1)), rng.normal(1.0, 2.0, size=(50, 1))
    restricted = GaussianMLE(fixed_params={"mean": 0.0}).fit(x1)
    # without X: their sufficient statistics (stats_) are the fingerprint
    with pytest.raises(ValueError, match="different data of the same size"):
        likelihood_ratio_test(restricted, GaussianMLE().fit(x2))
    # Exponential in Gamma (another family, no common statistics): X is the check
    y1, y2 = rng.gamma(2.0, 1.0, size=(80, 1)), rng.gamma(2.0, 1.0, size=(80, 1))
    expo, gamma_other = ExponentialMLE().fit(y1), GammaMLE().fit(y2)
    with pytest.raises(ValueError, match="full model was not fitted on this X"):
        likelihood_ratio_test(expo, gamma_other, y1)
    # GLMs: same rows, another response
    data, y = spector
    small = MLELogisticRegression().fit(data[["GPA"]], y)
    shuffled = rng.permutation(y.to_numpy())
    big_other = MLELogisticRegression().fit(data[["GPA", "PSI"]], shuffled)
    with pytest.raises(ValueError, match="not fitted on this X"):
        likelihood_ratio_test(small, big_other, data[["GPA", "PSI"]], y)
    with pytest.raises(ValueError, match="fitted on 32 observations but X has 20"):
        likelihood_ratio_test(small, MLELogisticRegression().fit(data[["GPA", "PSI"]], y),
                              data[["GPA", "PSI"]][:20], y[:20])
    # the same data passes, with and without X, and gives the same statistic
    full = GaussianMLE().fit(x1)
    a = likelihood_ratio_test(restricted, full)
    b = likelihood_ratio_test(restricted, full, x1)
    assert a.statistic == pytest.approx(b.statistic, rel=1e-12)
    big = MLELogisticRegression().fit(data[["GPA", "PSI"]], y)
    res = likelihood_ratio_test(small, big, data[["GPA", "PSI"]], y)
    ref = sm.Logit(y, sm.add_constant(data[["GPA", "PSI"]])).fit(disp=0)
    ref0 = sm.Logit(y, sm.add_constant(data[["GPA"]])).fit(disp=0)
    assert res.statistic == pytest.approx(2 * (ref.llf - ref0.llf), rel=1e-8)
