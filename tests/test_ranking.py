"""rank_distributions: candidates by domain, criteria against scipy, weights, failures."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning

import sklearn_mle
from sklearn_mle import DistributionFit, rank_distributions
from sklearn_mle.model_selection import FAMILIES, column_domain


def rank_rows(x=None, *args, **kwargs):
    """The ranking as its list of DistributionFit rows (whatever the default form)."""
    return rank_distributions(x, *args, as_frame=False, **kwargs)


def _akaike_weights(values):
    values = np.asarray(values, dtype=float)
    rel = np.exp(-(values - values.min()) / 2.0)
    return rel / rel.sum()


def _available(names):
    by_name = {f.name: f for f in FAMILIES}
    return {n for n in names if hasattr(sklearn_mle, by_name[n].class_name)}


@pytest.fixture
def counts():
    return np.random.default_rng(0).poisson(3.0, size=200).astype(float)


def test_poisson_and_gaussian_criteria_match_scipy(counts):
    rows = rank_rows(counts, families=["Poisson"])
    (row,) = rows
    rate = counts.mean()
    ll = stats.poisson.logpmf(counts, rate).sum()
    assert_allclose(row.loglik, ll, rtol=1e-12)
    assert_allclose(row.aic, -2 * ll + 2, rtol=1e-12)
    assert_allclose(row.bic, -2 * ll + np.log(counts.size), rtol=1e-12)
    assert_allclose(row.params, [rate], rtol=1e-12)
    se = np.sqrt(rate / counts.size)  # inverse Fisher information of the Poisson rate
    z = stats.norm.ppf(0.975)
    # Wald on the log scale (delta method: se(log rate) = se / rate), mapped back
    assert_allclose(row.conf_int, [rate * np.exp([-z * se / rate, z * se / rate])],
                    rtol=1e-10)
    (lin,) = rank_rows(counts, families=["Poisson"], ci_method="wald-linear")
    assert_allclose(lin.conf_int, [[rate - z * se, rate + z * se]], rtol=1e-10)

    x = np.random.default_rng(1).normal(-3.0, 2.0, size=150)
    (g,) = rank_rows(x, families=["Gaussian"], criterion="bic")
    var = np.mean((x - x.mean()) ** 2)  # MLE divides by n
    ll = stats.norm.logpdf(x, x.mean(), np.sqrt(var)).sum()
    assert_allclose(g.loglik, ll, rtol=1e-12)
    assert_allclose(g.aic, -2 * ll + 4, rtol=1e-12)
    assert_allclose(g.bic, -2 * ll + 2 * np.log(x.size), rtol=1e-12)
    assert_allclose(g.params, [x.mean(), var], rtol=1e-12)
    assert g.n_params == 2 and g.rank == 1 and g.weight == 1.0


def test_bernoulli_beats_poisson_on_binary_data_with_exact_weights():
    x = np.array([1.0] * 7 + [0.0] * 3)  # 7 heads in 10 flips
    rows = rank_rows(x)
    by = {r.family: r for r in rows}
    assert rows[0].family == "Bernoulli"
    assert_allclose(by["Bernoulli"].params, [0.7], rtol=1e-12)
    ll_b = stats.bernoulli.logpmf(x, 0.7).sum()
    ll_p = stats.poisson.logpmf(x, 0.7).sum()
    assert_allclose(by["Bernoulli"].loglik, ll_b, rtol=1e-12)
    assert_allclose(by["Poisson"].loglik, ll_p, rtol=1e-12)
    ranked = [r for r in rows if r.ranked]
    assert_allclose([r.weight for r in ranked], _akaike_weights([r.aic for r in ranked]),
                    rtol=1e-12)
    assert_allclose(sum(r.weight for r in ranked), 1.0, rtol=1e-12)
    aics = [r.aic for r in ranked]
    assert aics == sorted(aics)
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))


@pytest.mark.parametrize(
    "x, domain, allowed",
    [
        ([0.0, 1.0, 1.0, 0.0], "values 0 or 1", {"Poisson", "NegativeBinomial", "Bernoulli"}),
        ([0.0, 3.0, 1.0, 7.0], "non-negative integers", {"Poisson", "NegativeBinomial"}),
        ([1.0, 3.0, 2.0, 7.0], "integers >= 1", {"Poisson", "NegativeBinomial", "Geometric"}),
        ([0.2, 0.5, 0.9, 0.4], "values in (0, 1)",
         {"Gaussian", "StudentT", "Exponential", "Gamma", "LogNormal", "Weibull", "Beta"}),
        ([0.2, 5.5, 1.9, 3.4], "values > 0",
         {"Gaussian", "StudentT", "Exponential", "Gamma", "LogNormal", "Weibull"}),
        ([-0.2, 5.5, 1.9, 3.4], "real values", {"Gaussian", "StudentT"}),
    ],
)
def test_default_candidates_follow_the_domain(x, domain, allowed):
    assert column_domain(x) == domain
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = rank_rows(np.array(x))
    names = {r.family for r in rows}
    assert names <= allowed
    # every available family of the domain is tried (Binomial only on request)
    assert names == _available(allowed)
    assert all(r.status != "unavailable" for r in rows)


def test_named_families_outside_the_domain_are_listed_not_fitted():
    x = np.array([-1.5, 0.3, 2.2, 1.1])
    rows = rank_rows(x, families=["gaussianmle", "Poisson", "Gamma", "Gaussian"])
    assert [r.family for r in rows][0] == "Gaussian"
    assert len([r for r in rows if r.family == "Gaussian"]) == 1  # duplicates collapse
    by = {r.family: r for r in rows}
    assert by["Poisson"].status == "not applicable"
    assert "non-negative integers" in by["Poisson"].message
    assert by["Poisson"].rank is None and np.isnan(by["Poisson"].weight)
    assert by["Gamma"].status in ("not applicable", "unavailable")


def test_mixed_kinds_get_weights_within_each_kind(counts):
    rows = rank_rows(counts, families=["Poisson", "Geometric", "Gaussian"])
    ranked = [r for r in rows if r.ranked]
    for kind in {r.kind for r in ranked}:
        group = [r for r in ranked if r.kind == kind]
        assert_allclose(sum(r.weight for r in group), 1.0, rtol=1e-12)
        assert_allclose([r.weight for r in group], _akaike_weights([r.aic for r in group]))
        assert min(r.rank for r in group) == 1


def test_bic_weights_and_profile_intervals(counts):
    rows = rank_rows(counts, criterion="BIC", ci_method="profile", alpha=0.1)
    ranked = [r for r in rows if r.ranked]
    assert_allclose([r.weight for r in ranked], _akaike_weights([r.bic for r in ranked]),
                    rtol=1e-12)
    pois = next(r for r in rows if r.family == "Poisson")
    lo, hi = pois.conf_int[0]
    rate, n = counts.mean(), counts.size
    # profile interval: 2 (l(rate) - l(r)) = chi2_1(0.9) at both ends (independent check)
    ll_hat = stats.poisson.logpmf(counts, rate).sum()
    for r in (lo, hi):
        drop = 2 * (ll_hat - stats.poisson.logpmf(counts, r).sum())
        assert_allclose(drop, stats.chi2.ppf(0.9, 1), rtol=1e-6)
    assert lo < rate < hi and hi - rate > rate - lo  # skewed towards larger rates
    assert n == 200


class _Exploding(BaseEstimator):
    def fit(self, X):
        raise np.linalg.LinAlgError("matrix is singular")


class _NotConverging(sklearn_mle.PoissonMLE):
    def fit(self, X, y=None, sample_weight=None):
        super().fit(X, y, sample_weight)
        warnings.warn("did not converge in 5 iterations; increase max_iter", ConvergenceWarning)
        return self


def test_failing_and_non_converging_families_are_reported(monkeypatch, counts):
    monkeypatch.setattr(sklearn_mle, "NegativeBinomialMLE", _Exploding, raising=False)
    monkeypatch.setattr(sklearn_mle, "GeometricMLE", _NotConverging, raising=False)
    x = counts + 1.0  # >= 1: Geometric applies
    rows = rank_rows(x, families=["Poisson", "NegativeBinomial", "Geometric"])
    by = {r.family: r for r in rows}
    assert by["Poisson"].rank == 1 and by["Poisson"].weight == 1.0
    assert by["NegativeBinomial"].status == "failed"
    assert by["NegativeBinomial"].message == "LinAlgError: matrix is singular"
    assert by["Geometric"].status == "not converged"
    assert "increase max_iter" in by["Geometric"].message
    assert [r.family for r in rows] == ["Poisson", "Geometric", "NegativeBinomial"]


def test_boundary_fit_is_flagged_and_left_out_of_the_weights():
    x = np.zeros(20)
    rows = rank_rows(x, families=["Poisson"])
    (row,) = rows
    # all-zero counts: MLE rate 0 on the boundary; log L = 0 exactly
    assert row.status == "boundary" and "prior" in row.message
    assert "left out of the ranking" in row.message
    assert row.loglik == 0.0 and row.rank is None and np.isnan(row.weight)
    assert np.all(np.isnan(row.conf_int))  # no interval for a rate at 0
    # negative binomial on under-dispersed counts: r capped, flagged, no weight
    under = np.random.default_rng(3).binomial(10, 0.5, size=300).astype(float)
    by = {r.family: r for r in rank_rows(under)}
    nb = by["NegativeBinomial"]
    assert nb.status == "boundary" and "not over-dispersed" in nb.message
    assert np.isnan(nb.weight) and np.all(np.isnan(nb.conf_int))
    assert by["Poisson"].weight == 1.0 and by["Poisson"].rank == 1


def test_unavailable_family_is_listed_when_named(monkeypatch):
    # a family whose estimator is not in the package: out of the lazy table and the module
    monkeypatch.delitem(sklearn_mle._EXPORTS, "GeometricMLE")  # noqa: SLF001
    monkeypatch.delattr(sklearn_mle, "GeometricMLE", raising=False)
    assert not hasattr(sklearn_mle, "GeometricMLE")
    rows = rank_rows(np.array([1.0, 2.0, 3.0]), families=["Geometric", "Poisson"])
    by = {r.family: r for r in rows}
    assert by["Geometric"].status == "unavailable"
    rows = rank_rows(np.array([1.0, 2.0, 3.0]))
    assert "Geometric" not in {r.family for r in rows}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"x": [1.0, np.nan, 2.0]}, "NaN or infinite"),
        ({"x": [1.0]}, "at least 2 values"),
        ({"x": np.ones((3, 2))}, "1-D"),
        ({"x": [1.0, 2.0], "families": ["Gumbel"]}, "unknown family 'Gumbel'; known families"),
        ({"x": [1.0, 2.0], "families": []}, "families is empty"),
        ({"x": [1.0, 2.0], "criterion": "hqic"}, "criterion must be 'aic', 'aicc' or 'bic'"),
        ({"x": [1.0, 2.0], "alpha": 1.5}, "alpha must be in"),
        ({"x": [1.0, 2.0], "ci_method": "bootstrap"}, "ci_method"),
    ],
)
def test_bad_input_raises_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rank_rows(**kwargs)


def test_rows_are_dataclasses_with_fitted_estimators(counts):
    rows = rank_rows(counts.reshape(-1, 1), families="Poisson")
    (row,) = rows
    assert isinstance(row, DistributionFit)
    assert isinstance(row.estimator, sklearn_mle.PoissonMLE)
    assert row.param_names == ["rate"]
    assert_allclose(row.estimator.rate_, [counts.mean()])


def test_gaussian_profile_interval_of_the_mean_has_its_closed_form():
    x = np.random.default_rng(5).normal(4.0, 1.5, size=40)
    (g,) = rank_rows(x, families=["Gaussian"], ci_method="profile")
    lo, hi = g.conf_int[0]
    # profiling out the variance: 2 (l_max - l_p(mu)) = n log(1 + (mu - xbar)^2 / s^2)
    s2, n = x.var(), x.size
    half = np.sqrt(s2 * np.expm1(stats.chi2.ppf(0.95, 1) / n))
    assert_allclose([lo, hi], [x.mean() - half, x.mean() + half], rtol=1e-8)


class _NoProfile(sklearn_mle.PoissonMLE):
    def conf_int(self, alpha=0.05, method="wald"):
        if method == "profile":
            raise ValueError("profile intervals are not implemented here")
        return super().conf_int(alpha=alpha, method=method)


def test_profile_failure_keeps_the_fit_with_wald_intervals(monkeypatch, counts):
    monkeypatch.setattr(sklearn_mle, "PoissonMLE", _NoProfile)
    (row,) = rank_rows(counts, families=["Poisson"], ci_method="profile")
    assert row.status == "ok" and row.rank == 1
    assert "profile intervals unavailable" in row.message and "Wald" in row.message
    rate = counts.mean()
    half = 1.959963984540054 * np.sqrt(rate / counts.size) / rate
    assert_allclose(row.conf_int[0], rate * np.exp([-half, half]))


def test_constant_continuous_column_has_no_mle_but_counts_do():
    rows = [r for r in rank_rows(np.full(10, 5.5)) if r.family != "Exponential"]
    assert rows and all(r.status == "failed" for r in rows)
    assert all("no MLE exists" in r.message for r in rows)
    rows = rank_rows(np.full(10, 3.0))
    pois = next(r for r in rows if r.family == "Poisson")
    assert pois.ranked
    assert_allclose(pois.loglik, 10 * stats.poisson.logpmf(3, 3.0), rtol=1e-12)


@pytest.mark.parametrize("scale", [1e-8, 1e8])
def test_weights_are_scale_invariant_for_scale_families(scale):
    # Gaussian, Gamma, Weibull, LogNormal, Exponential, StudentT are scale families: the
    # log-likelihood of c*x is that of x minus n log c, so weights must not change.
    x = np.random.default_rng(0).gamma(2.0, 3.0, size=300)
    names = ["Gaussian", "Exponential", "Gamma", "LogNormal", "Weibull", "StudentT"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = {r.family: r for r in rank_rows(x, families=names)}
        scaled = {r.family: r for r in rank_rows(x * scale, families=names)}
    assert set(base) == set(scaled)
    for name, r in base.items():
        if not r.ranked:
            continue
        s = scaled[name]
        assert s.ranked, (name, s.status, s.message)
        assert_allclose(s.loglik, r.loglik - x.size * np.log(scale), rtol=1e-7)
        assert_allclose(s.weight, r.weight, atol=1e-6)


def test_exponential_is_fitted_on_constant_data():
    # its MLE exists there (rate = 1 / mean): only the families with a free scale fail
    rows = {r.family: r for r in rank_rows(np.full(4, 5.5))}
    assert rows["Exponential"].status == "ok" and rows["Exponential"].rank == 1
    np.testing.assert_allclose(rows["Exponential"].estimator.rate_, 1 / 5.5)
    assert rows["Gaussian"].status == "failed"


def _assert_intervals_inside(x, rows, column, closed=False):
    """Every interval holds its estimate and stays in its parameter's space: positive
    parameters above 0, probabilities below 1, a threshold below min(x); ``closed``:
    intervals cut at the space's bounds (``wald-linear``) may end on them."""
    real = {"mean", "loc", "mu"}
    for r in rows:
        if r.estimator is None:
            continue
        for pname, est, (lo, hi) in zip(r.param_names, r.params, r.conf_int):
            if np.isnan(lo):  # no interval (a capped, unconverged or boundary parameter)
                assert np.isnan(hi) and r.status != "ok", (column, r.family)
                continue
            assert lo <= est <= hi, (column, r.family, pname)
            if r.family.startswith("Shifted") and pname == "loc":
                assert hi < x.min() or closed and hi == x.min(), (column, r.family, hi)
            if pname.split("[")[0] not in real:
                assert lo > 0 or closed and lo == 0, (column, r.family, pname, lo)
            if pname == "p":
                assert hi < 1 or closed and hi == 1, (column, r.family, lo, hi)


def _bundled_columns():
    from sklearn_mle.datasets import default_data_path, read_csv_columns

    for name in ("anes96", "engel"):
        for column, values in read_csv_columns(default_data_path(name)).items():
            yield name, column, values[~np.isnan(values)]


def test_no_interval_leaves_the_parameter_space_on_any_bundled_column():
    for _, column, x in _bundled_columns():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # every family that applies, the threshold variants included
            rows = rank_rows(x) + rank_rows(x, families=[f.name for f in FAMILIES])
            linear = rank_rows(x, families=[f.name for f in FAMILIES], ci_method="wald-linear")
        _assert_intervals_inside(x, rows, column)
        _assert_intervals_inside(x, linear, column, closed=True)


def test_profile_intervals_stay_in_the_parameter_space_on_bundled_columns():
    """Profile intervals (bounded so: a few columns): engel foodexp with every family, and
    anes96 TVnews, whose threshold fits sit at the boundary (the likelihood grows up to
    min(x)), so their threshold has no interval rather than one ending at min(x)."""
    cases = {"foodexp": [f.name for f in FAMILIES],
             "TVnews": ["ShiftedGamma", "ShiftedLogNormal", "Poisson"]}
    seen = 0
    for _, column, x in _bundled_columns():
        if column not in cases:
            continue
        seen += 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = rank_rows(x, families=cases[column], ci_method="profile")
        _assert_intervals_inside(x, rows, column)
        if column == "TVnews":
            shifted = [r for r in rows if r.family.startswith("Shifted")]
            assert shifted and all(r.status == "boundary" and np.all(np.isnan(r.conf_int[0]))
                                   for r in shifted)
    assert seen == 2


def test_logit_scale_wald_interval_of_a_probability():
    x = np.array([1.0] * 18 + [0.0] * 2)
    (row,) = rank_rows(x, families=["Bernoulli"])
    p, n = 0.9, 20
    half = stats.norm.ppf(0.975) * np.sqrt(p * (1 - p) / n) / (p * (1 - p))
    assert_allclose(row.conf_int[0], 1 / (1 + np.exp(-(np.log(p / (1 - p)) + [-half, half]))),
                    rtol=1e-10)


def test_tidy_frame_aicc_and_goodness_of_fit():
    x = np.random.default_rng(9).gamma(3.0, 2.0, size=120)
    frame = rank_distributions(x, families=["Gamma", "Exponential"], gof=True, n_boot=19,
                               random_state=0, as_frame=True)
    assert list(frame.family) == ["Gamma", "Exponential"]
    n = x.size
    for _, r in frame.iterrows():
        k = r.n_params
        assert_allclose(r.aicc, r.aic + 2 * k * (k + 1) / (n - k - 1), rtol=1e-12)
    assert frame.ad_pvalue[1] == pytest.approx(1 / 20)  # exponential: shape 3 is far off
    assert frame.ad_pvalue[0] > 0.05 and not frame.boundary.any()
    rows = rank_rows(x, families=["Gamma", "Exponential"], criterion="aicc")
    assert_allclose(rows[0].delta, 0.0) and rows[1].delta == pytest.approx(
        rows[1].aicc - rows[0].aicc)
    from sklearn_mle.model_selection import parameter_frame

    long = parameter_frame(rows, column="x")
    assert list(long.parameter) == ["shape", "rate", "rate"]
    assert list(long.column) == ["x"] * 3


def test_shifted_variants_are_opt_in_and_equal_scipy_on_engel():
    from sklearn_mle import ShiftedMLE
    from sklearn_mle.datasets import default_data_path, read_csv_columns

    income = read_csv_columns(default_data_path("engel"))["income"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = rank_rows(income)
        rows = rank_rows(income, shifted=True)
        direct = ShiftedMLE(sklearn_mle.GammaMLE()).fit(income[:, None])
    assert not any(r.family.startswith("Shifted") for r in plain)
    by = {r.family: r for r in rows}
    assert {"ShiftedGamma", "ShiftedLogNormal", "ShiftedWeibull"} <= set(by)
    g = by["ShiftedGamma"]
    a, loc, scale = stats.gamma.fit(income)  # scipy's free-loc fit: AIC 3464.1
    ref = -2 * np.sum(stats.gamma.logpdf(income, a, loc, scale)) + 2 * 3
    assert g.n_params == 3 and round(g.aic, 1) == round(ref, 1) == 3464.1
    assert g.aic <= ref + 1e-9
    assert_allclose(g.params, direct.estimates_, rtol=1e-12)
    assert g.conf_int[0, 1] < income.min() and g.status == "warning"  # not regular
    assert "not regular" in g.message
    assert rows[0].family == "ShiftedGamma" and min(r.aic for r in plain) > 3473
    # weights over all ranked rows, the 3-parameter ones included
    ranked = [r for r in rows if r.ranked]
    assert_allclose([r.weight for r in ranked], _akaike_weights([r.aic for r in ranked]))


def test_shifted_variants_apply_to_negative_data_and_not_to_counts(counts):
    x = np.random.default_rng(3).gamma(5.0, 1.0, size=300) - 8.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = rank_rows(x, shifted=True)
        named = rank_rows(x, families=["Gamma"], shifted=True)
        discrete = rank_rows(counts, shifted=True)
    assert [r.family for r in named] == ["ShiftedGamma", "Gamma"] or [
        r.family for r in named] == ["Gamma", "ShiftedGamma"]
    by = {r.family: r for r in rows}
    a, loc, scale = stats.gamma.fit(x)
    assert by["ShiftedGamma"].loglik >= np.sum(stats.gamma.logpdf(x, a, loc, scale)) - 1e-7
    assert by["ShiftedGamma"].ranked and "Gamma" not in by  # x < 0: only the shifted one
    assert not any(r.family.startswith("Shifted") for r in discrete)


def test_default_is_a_tidy_frame_one_row_per_family(counts):
    import pandas as pd

    table = rank_distributions(counts, gof=True, n_boot=9, random_state=0)
    rows = rank_rows(counts, gof=True, n_boot=9, random_state=0)
    assert isinstance(table, pd.DataFrame) and len(table) == len(rows)
    assert list(table.family) == [r.family for r in rows]
    assert {"loglik", "n_params", "aic", "aicc", "bic", "delta", "weight", "boundary",
            "chi2", "chi2_pvalue", "chi2_boot_pvalue", "parameters", "status",
            "estimator"} <= set(table.columns)
    for col in ("loglik", "aic", "aicc", "bic", "delta", "weight"):
        assert_allclose(table[col], [getattr(r, col) for r in rows], rtol=1e-12)
    assert list(table.boundary) == [r.status == "boundary" for r in rows]
    for t, r in zip(table.estimator, rows):  # the fitted estimators come with it
        assert (t is None) == (r.estimator is None)
        if t is not None:
            assert t.loglik_ == pytest.approx(r.loglik, rel=1e-12)
