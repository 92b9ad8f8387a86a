"""GridSearchIC: selection by an information criterion with one fit per candidate.

References: a hand loop over each candidate's own ``aic()``/``bic()`` (the definition),
scipy for the distribution families, and R mclust's published BIC table on iris.
"""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from sklearn.model_selection import ParameterGrid
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_mle import (
    GammaMLE,
    GaussianMixture,
    LogNormalMLE,
    MLELogisticRegression,
    PoissonMLE,
    WeibullMLE,
)
from sklearn_mle.model_selection._search import GridSearchIC


@pytest.fixture(scope="module")
def three_blobs():
    rng = np.random.default_rng(7)
    covs = [np.array([[1.0, 0.8], [0.8, 1.0]]), np.array([[1.0, -0.6], [-0.6, 2.0]]),
            np.array([[0.5, 0.0], [0.0, 0.3]])]
    means = [np.array([0.0, 0.0]), np.array([6.0, 1.0]), np.array([2.0, 7.0])]
    return np.vstack([rng.multivariate_normal(m, c, size=200) for m, c in zip(means, covs)])


def test_picks_three_components_of_a_full_mixture(three_blobs):
    search = GridSearchIC(GaussianMixture(random_state=0, n_init=2),
                          {"n_components": [1, 2, 3, 4, 5]}).fit(three_blobs)
    assert search.best_params_ == {"n_components": 3}
    assert search.best_estimator_.n_components == 3
    assert search.results_["rank"][2] == 1
    # BIC weights: a proper distribution over the ranked candidates
    assert_allclose(np.nansum(search.results_["weight"]), 1.0)


@pytest.mark.parametrize("criterion", ["bic", "aic", "aicc"])
def test_table_equals_a_hand_loop_over_the_criteria(three_blobs, criterion):
    base = GaussianMixture(random_state=1)
    grid = {"n_components": [1, 2, 3], "covariance_type": ["full", "diag"]}
    search = GridSearchIC(base, grid, criterion=criterion).fit(three_blobs)
    n = len(three_blobs)
    res = pd.DataFrame(search.results_)
    assert list(res.columns[:3]) == ["params", "param_covariance_type", "param_n_components"]
    for i, params in enumerate(ParameterGrid(grid)):
        est = clone(base).set_params(**params).fit(three_blobs)
        k = est.n_params_
        aic, bic = est.aic(three_blobs), est.bic(three_blobs)
        assert res.params[i] == params
        assert_allclose(res.aic[i], aic, rtol=1e-12)
        assert_allclose(res.bic[i], bic, rtol=1e-12)
        assert_allclose(res.aicc[i], aic + 2 * k * (k + 1) / (n - k - 1), rtol=1e-12)
        assert_allclose(res.loglik[i], est.loglik_, rtol=1e-10)
        assert res.n_params[i] == k and res.nobs[i] == n
    crit = res[criterion].to_numpy()
    assert_allclose(res.delta, crit - crit.min(), atol=1e-9)
    w = np.exp(-0.5 * (crit - crit.min()))
    assert_allclose(res.weight, w / w.sum(), rtol=1e-10)
    assert search.best_index_ == int(np.argmin(crit))
    assert search.best_score_ == crit.min()
    assert np.all(res.converged) and np.all(res.fit_time >= 0)


def test_bic_table_equals_mclust_on_iris_up_to_sign():
    """R mclust 5: ``Mclust(iris[, -5], G = 1:9)$BIC`` (BIC = 2 log L - k log n).

    full = VVV, tied = EEE, diag = VVI, spherical = VII. The values are mclust's
    printed table (recorded in the norMmix package's development notes, where an
    independent direct-likelihood optimiser reproduces G = 1, 2 to 1e-6). For G = 3
    mclust stops EM at its tolerance: our likelihood is equal or slightly higher.
    """
    mclust = {
        ("full", 1): -829.9782, ("full", 2): -574.0178, ("full", 3): -580.8396,
        ("tied", 1): -829.9782, ("tied", 2): -688.0972, ("tied", 3): -632.9647,
        ("diag", 1): -1522.1202, ("diag", 2): -857.5515, ("diag", 3): -744.6382,
        ("spherical", 1): -1804.0854, ("spherical", 2): -1012.2352,
        ("spherical", 3): -853.8144,
    }
    X = load_iris().data
    search = GridSearchIC(
        GaussianMixture(n_init=5, random_state=0, tol=1e-6, max_iter=1000),
        {"covariance_type": ["full", "tied", "diag", "spherical"], "n_components": [1, 2, 3]},
    ).fit(X)
    res = pd.DataFrame(search.results_)
    for _, row in res.iterrows():
        ref = mclust[(row.param_covariance_type, row.param_n_components)]
        ours = -row.bic
        if row.param_n_components < 3:
            assert ours == pytest.approx(ref, abs=1e-3)
        else:
            assert ref - 1e-3 <= ours <= ref + 0.01
    # mclust's best over these models: VVV with 2 components
    assert search.best_params_ == {"covariance_type": "full", "n_components": 2}


def test_pipeline_criterion_on_transformed_data():
    X = load_iris().data
    pipe = Pipeline([("scale", StandardScaler()), ("gm", GaussianMixture(random_state=0))])
    search = GridSearchIC(pipe, {"gm__n_components": [1, 2, 3]}).fit(X)
    for i, k in enumerate([1, 2, 3]):
        fitted = clone(pipe).set_params(gm__n_components=k).fit(X)
        Xt = fitted[:-1].transform(X)
        assert_allclose(search.results_["bic"][i], fitted[-1].bic(Xt), rtol=1e-12)
    best = search.best_estimator_
    assert isinstance(best, Pipeline)
    assert_allclose(search.score_samples(X), best.score_samples(X))
    assert_allclose(search.predict_proba(X), best.predict_proba(X))


def test_grid_over_families_matches_scipy():
    x = stats.gamma(a=3.0, scale=2.0).rvs(size=400, random_state=3).reshape(-1, 1)
    pipe = Pipeline([("dist", GammaMLE())])
    search = GridSearchIC(pipe, {"dist": [GammaMLE(), LogNormalMLE(), WeibullMLE()]},
                          criterion="aic").fit(x)
    refs = {}
    for name, dist in (("GammaMLE", stats.gamma), ("LogNormalMLE", stats.lognorm),
                       ("WeibullMLE", stats.weibull_min)):
        params = dist.fit(x[:, 0], floc=0)
        refs[name] = -2 * dist.logpdf(x[:, 0], *params).sum() + 4
    got = {type(p["dist"]).__name__: a for p, a in zip(search.results_["params"],
                                                        search.results_["aic"])}
    for name, ref in refs.items():
        assert got[name] == pytest.approx(ref, rel=1e-6)
    assert type(search.best_params_["dist"]).__name__ == min(refs, key=refs.get)


def test_conditional_model_with_y():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 2))
    y = (rng.random(300) < 1 / (1 + np.exp(-(0.2 + 1.5 * X[:, 0])))).astype(int)
    search = GridSearchIC(MLELogisticRegression(), {"fit_intercept": [True, False]},
                          criterion="aic").fit(X, y)
    for i, fi in enumerate([True, False]):
        est = MLELogisticRegression(fit_intercept=fi).fit(X, y)
        assert_allclose(search.results_["aic"][i], est.aic(X, y), rtol=1e-12)
    assert_allclose(search.predict_proba(X), search.best_estimator_.predict_proba(X))
    assert_allclose(search.score(X, y), search.best_estimator_.score(X, y))
    assert list(search.classes_) == [0, 1]


def test_sklearn_gaussian_mixture_without_n_params():
    X = load_iris().data
    search = GridSearchIC(SkGaussianMixture(random_state=0), {"n_components": [1, 2]}).fit(X)
    for i, k in enumerate([1, 2]):
        est = SkGaussianMixture(n_components=k, random_state=0).fit(X)
        assert_allclose(search.results_["bic"][i], est.bic(X), rtol=1e-12)
        assert_allclose(search.results_["loglik"][i], est.score(X) * len(X), rtol=1e-10)
    assert list(search.results_["n_params"]) == [14, 29]


def test_failing_candidates_are_recorded_or_raised():
    x = np.arange(1.0, 6.0).reshape(-1, 1)
    grid = {"n_components": [1, 10]}  # 10 components on 5 rows cannot be fitted
    search = GridSearchIC(GaussianMixture(random_state=0), grid, error_score=np.nan).fit(x)
    assert list(search.results_["status"]) == ["ok", "failed"]
    assert "ValueError" in search.results_["warnings"][1]
    assert search.results_["rank"][1] == 0 and np.isnan(search.results_["weight"][1])
    assert search.best_params_ == {"n_components": 1}
    with pytest.raises(ValueError):
        GridSearchIC(GaussianMixture(random_state=0), grid).fit(x)
    with pytest.raises(ValueError, match="no candidate"):
        GridSearchIC(GaussianMixture(random_state=0), {"n_components": [10]},
                     error_score=np.nan).fit(x)


def test_degenerate_collapsed_component_is_flagged_and_excluded():
    # rounded data: a spike of 40 identical values inside a smooth sample; a component
    # sitting on the spike has an unbounded likelihood that only reg_covar caps
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0.0, 3.0, 300), np.full(40, 1.0)]).reshape(-1, 1)
    means = np.array([[1.0], [0.0]])
    base = GaussianMixture(random_state=0)
    precisions = np.array([[[100.0]], [[1 / 9]]])
    grid = [{"n_components": [1]},
            {"n_components": [2], "means_init": [means], "precisions_init": [precisions]}]
    search = GridSearchIC(base, grid).fit(x)
    res = search.results_
    assert list(res["degenerate"]) == [False, True]
    assert res["status"][1] == "degenerate" and res["rank"][1] == 0
    assert "ComponentCollapseWarning" in res["warnings"][1]
    # the spurious fit has by far the best BIC, which is why it is left out
    assert res["bic"][1] < res["bic"][0] - 100
    assert search.best_params_ == {"n_components": 1}
    kept = GridSearchIC(base, grid, exclude_degenerate=False).fit(x)
    assert kept.best_index_ == 1


def test_delegation_and_parallel_equal_serial(three_blobs):
    grid = {"n_components": [2, 3]}
    serial = GridSearchIC(GaussianMixture(random_state=0), grid).fit(three_blobs)
    parallel = GridSearchIC(GaussianMixture(random_state=0), grid, n_jobs=2).fit(three_blobs)
    assert_allclose(serial.results_["bic"], parallel.results_["bic"], rtol=1e-12)
    best = serial.best_estimator_
    assert_allclose(serial.predict(three_blobs), best.predict(three_blobs))
    assert serial.score(three_blobs) == best.score(three_blobs)
    assert serial.sample(5)[0].shape == (5, 2)
    assert serial.n_features_in_ == 2
    assert not hasattr(GridSearchIC(PoissonMLE(), {}), "predict_proba")


def test_verbose_progress_on_stderr(capsys):
    x = np.random.default_rng(0).poisson(3.0, size=(50, 1))
    GridSearchIC(PoissonMLE(), {"prior": [None]}, verbose=1).fit(x)
    err = capsys.readouterr().err
    assert "[GridSearchIC] 1/1" in err and "bic=" in err


def test_bad_parameters_are_clear():
    x = np.ones((5, 1))
    with pytest.raises(ValueError, match="criterion"):
        GridSearchIC(PoissonMLE(), {}, criterion="cv").fit(x)


@parametrize_with_checks(
    [GridSearchIC(GaussianMixture(random_state=0), {"n_components": [1, 2]})])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_glm_feature_subsets_through_a_column_selector():
    import statsmodels.api as sm
    from sklearn.compose import ColumnTransformer

    from sklearn_mle import MLELinearRegression

    data = sm.datasets.spector.load_pandas().data
    X, y = data[["GPA", "TUCE", "PSI"]], data.GRADE
    subsets = [["GPA"], ["GPA", "PSI"], ["GPA", "TUCE", "PSI"], ["TUCE"]]
    pipe = Pipeline([("select", ColumnTransformer([("keep", "passthrough", ["GPA"])])),
                     ("ols", MLELinearRegression())])
    grid = {"select__transformers": [[("keep", "passthrough", s)] for s in subsets]}
    search = GridSearchIC(pipe, grid, criterion="aic").fit(X, y)
    for i, cols in enumerate(subsets):
        ref = sm.OLS(y, sm.add_constant(data[cols])).fit()
        # statsmodels' AIC leaves the error variance out of k; ours counts it
        assert_allclose(search.results_["aic"][i], ref.aic + 2, rtol=1e-10)
        assert_allclose(search.results_["loglik"][i], ref.llf, rtol=1e-10)
    assert search.best_index_ == 1  # GPA + PSI
