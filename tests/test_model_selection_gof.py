"""goodness_of_fit: statistics equal scipy's; bootstrap p-values (parameters
re-estimated) are uniform under the null, where the naive KS p-values are not."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from sklearn_mle import ExponentialMLE, GammaMLE, GaussianMLE, PoissonMLE, WeibullMLE
from sklearn_mle.model_selection._gof import goodness_of_fit


@pytest.mark.parametrize("est, dist", [
    (GammaMLE(), lambda e: stats.gamma(e.params_["shape"][0], scale=1 / e.params_["rate"][0])),
    (WeibullMLE(), lambda e: stats.weibull_min(e.params_["shape"][0],
                                               scale=e.params_["scale"][0])),
    (GaussianMLE(covariance_type="diag"),
     lambda e: stats.norm(e.params_["mean"][0], np.sqrt(e.params_["covariance"][0]))),
])
def test_statistics_equal_scipy(est, dist):
    x = np.random.default_rng(0).gamma(2.0, 1.5, size=(300, 1))
    est.fit(x)
    ref = dist(est)
    gof = goodness_of_fit(est, x, n_boot=0)
    assert_allclose(gof.ks, stats.kstest(x[:, 0], ref.cdf).statistic, rtol=1e-10)
    assert_allclose(gof.cvm, stats.cramervonmises(x[:, 0], ref.cdf).statistic, rtol=1e-10)
    # Anderson-Darling by its definition, A^2 = -n - mean((2i-1)(log F_i + log(1-F_{n+1-i})))
    F = ref.cdf(np.sort(x[:, 0]))
    n = F.size
    i = np.arange(1, n + 1)
    ad = -n - np.sum((2 * i - 1) * (np.log(F) + np.log(1 - F[::-1]))) / n
    assert_allclose(gof.ad, ad, rtol=1e-10)
    assert gof.kind == "continuous" and np.isnan(gof.chi2) and gof.n_boot == 0


def test_discrete_chi_square_equals_scipy_on_hand_made_cells():
    x = np.random.default_rng(0).poisson(3.0, size=(500, 1))
    gof = goodness_of_fit(PoissonMLE().fit(x), x, n_boot=0)
    lam, n = x.mean(), x.size
    # cells {0}, ..., {7}, [8, inf): the right tail merged until its expectation >= 5
    assert n * stats.poisson.sf(7, lam) >= 5 > n * stats.poisson.sf(8, lam)
    obs = [np.sum(x == v) for v in range(8)] + [np.sum(x >= 8)]
    exp = [n * stats.poisson.pmf(v, lam) for v in range(8)] + [n * stats.poisson.sf(7, lam)]
    ref = stats.chisquare(obs, exp, ddof=1)
    assert_allclose([gof.chi2, gof.chi2_pvalue], [ref.statistic, ref.pvalue], rtol=1e-10)
    assert gof.chi2_df == 7 and gof.kind == "discrete" and np.isnan(gof.ks)


def test_bootstrap_pvalues_are_uniform_under_the_null_and_naive_ones_are_not():
    rng = np.random.default_rng(1)
    boot, naive = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(50):
            x = rng.exponential(2.0, size=(40, 1))
            est = ExponentialMLE().fit(x)
            gof = goodness_of_fit(est, x, n_boot=39, random_state=i)
            boot.append([gof.ks_pvalue, gof.cvm_pvalue, gof.ad_pvalue])
            naive.append(stats.kstest(x[:, 0], stats.expon(scale=1 / est.params_["rate"][0]).cdf
                                      ).pvalue)
    boot = np.array(boot)
    for j in range(3):
        assert stats.kstest(boot[:, j], "uniform").pvalue > 0.01
    # the textbook KS p-value with estimated parameters is far too large
    assert np.mean(naive) > 0.6 and stats.kstest(naive, "uniform").pvalue < 0.01


def test_wrong_family_is_detected():
    x = np.random.default_rng(2).lognormal(0.0, 1.0, size=(400, 1))
    gof = goodness_of_fit(ExponentialMLE().fit(x), x, n_boot=49, random_state=0, n_jobs=2)
    assert gof.ad_pvalue == pytest.approx(1 / 50) and gof.n_boot == 49


def test_bad_input():
    x = np.random.default_rng(0).gamma(2.0, size=(50, 2))
    with pytest.raises(ValueError, match="one variable"):
        goodness_of_fit(GammaMLE().fit(x), x)
    with pytest.raises(ValueError, match="n_boot"):
        goodness_of_fit(GammaMLE().fit(x[:, :1]), x[:, :1], n_boot=-1)


def test_shifted_family_statistics_use_its_threshold():
    from sklearn_mle import ShiftedMLE

    x = 4.0 + np.random.default_rng(1).gamma(5.0, 1.0, size=(200, 1))
    est = ShiftedMLE().fit(x)
    ref = stats.gamma(est.estimates_[1], loc=est.loc_[0],
                      scale=1 / est.estimates_[2])
    gof = goodness_of_fit(est, x, n_boot=9, random_state=0)
    assert_allclose(gof.ks, stats.kstest(x[:, 0], ref.cdf).statistic, rtol=1e-10)
    assert_allclose(gof.cvm, stats.cramervonmises(x[:, 0], ref.cdf).statistic, rtol=1e-10)
    assert gof.n_boot == 9 and 0.1 <= gof.ad_pvalue <= 1  # refitted on every replicate


def test_shifted_bootstrap_pvalues_equal_a_hand_loop_of_cold_refits():
    """The warm-started replicate refits of a threshold family (ShiftedMLE) give the
    p-values of a hand loop that refits fresh clones (full threshold search) and takes
    scipy's KS and Cramér-von Mises statistics, on the same draws."""
    from sklearn.base import clone

    from sklearn_mle import ShiftedMLE

    x = 4.0 + np.random.default_rng(5).gamma(3.0, 1.0, size=(150, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = ShiftedMLE().fit(x)
        n_boot = 30
        gof = goodness_of_fit(est, x, n_boot=n_boot, random_state=0)
        seeds = np.random.RandomState(0).randint(np.iinfo(np.int32).max, size=n_boot)
        reps = []
        for s in seeds:
            xb = est.sample(x.shape[0], random_state=int(s))
            ref = clone(est).fit(xb).to_scipy()[0]
            reps.append([stats.kstest(xb[:, 0], ref.cdf).statistic,
                         stats.cramervonmises(xb[:, 0], ref.cdf).statistic])
    reps = np.array(reps)
    assert gof.n_boot == n_boot
    for j, (stat, p) in enumerate([(gof.ks, gof.ks_pvalue), (gof.cvm, gof.cvm_pvalue)]):
        assert np.min(np.abs(reps[:, j] - stat)) > 1e-9 * stat  # no tie for rounding to flip
        assert p == (1 + np.sum(reps[:, j] >= stat)) / (n_boot + 1)
