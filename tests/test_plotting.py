"""sklearn_mle.plotting: the drawn data equal independent computations (scipy, closed
forms, the estimators' own public numbers), the artists and attributes exist, and a
missing matplotlib gives one clear ImportError."""

import importlib
import sys

import matplotlib
import numpy as np
import pytest
from scipy import stats
from scipy.special import gammaln

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sklearn_mle import (  # noqa: E402
    GammaMLE,
    GaussianMixture,
    GaussianMLE,
    LogNormalMLE,
    MixtureMLE,
    MLELogisticRegression,
    NegativeBinomialMLE,
    PoissonMLE,
    WeibullMLE,
)
from sklearn_mle.plotting import (  # noqa: E402
    CoefficientDisplay,
    DistributionFitDisplay,
    InformationCriterionDisplay,
    MixtureDisplay,
    ProfileLikelihoodDisplay,
    StatesDisplay,
    plot_fit_diagnostics,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def gamma_data():
    return np.random.default_rng(0).gamma(2.0, 1.5, size=(150, 2))


@pytest.fixture
def count_data():
    return np.random.default_rng(1).negative_binomial(3, 0.4, size=(200, 1)).astype(float)


# ------------------------------------------------------------ distributions
def test_density_line_is_the_fitted_density(gamma_data):
    est = GammaMLE().fit(gamma_data[:, :1])
    disp = DistributionFitDisplay.from_estimator(est, gamma_data[:, :1], kind="density")
    (line,) = disp.lines_
    x, y = line.get_xdata(), line.get_ydata()
    np.testing.assert_allclose(y, np.exp(est.score_samples(x[:, None])), rtol=1e-10)
    # the histogram is a density: its bars' areas sum to one
    areas = sum(p.get_width() * p.get_height() for p in disp.empirical_)
    assert areas == pytest.approx(1.0)
    assert disp.ax_.get_xlabel() == "x0" and disp.ax_.get_ylabel() == "density"
    assert [t.get_text() for t in disp.ax_.get_legend().get_texts()] == ["data", "GammaMLE"]
    assert disp.figure_ is disp.ax_.figure


def test_density_of_second_column_and_feature_names(gamma_data):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(gamma_data, columns=["a", "b"])
    est = GammaMLE().fit(frame)
    disp = DistributionFitDisplay.from_estimator(est, frame, column="b")
    x, y = disp.lines_[0].get_xdata(), disp.lines_[0].get_ydata()
    expected = stats.gamma.pdf(x, est.shape_[1], scale=1.0 / est.rate_[1])
    np.testing.assert_allclose(y, expected, rtol=1e-10)
    assert disp.ax_.get_xlabel() == "b"
    with pytest.raises(ValueError, match="not a feature name"):
        DistributionFitDisplay.from_estimator(est, frame, column="c")


def test_full_gaussian_column_is_its_marginal():
    rng = np.random.default_rng(2)
    X = rng.multivariate_normal([1.0, -2.0], [[2.0, 0.7], [0.7, 0.5]], size=80)
    est = GaussianMLE(covariance_type="full").fit(X)
    disp = DistributionFitDisplay.from_estimator(est, X, column=1, kind="cdf")
    x, y = disp.lines_[0].get_xdata(), disp.lines_[0].get_ydata()
    sd = np.sqrt(np.mean((X[:, 1] - X[:, 1].mean()) ** 2))  # the MLE: divide by n
    np.testing.assert_allclose(y, stats.norm.cdf(x, X[:, 1].mean(), sd), rtol=1e-9)
    # the empirical CDF steps through i/n at the sorted data
    np.testing.assert_allclose(disp.empirical_.get_xdata(), np.sort(X[:, 1]))
    np.testing.assert_allclose(disp.empirical_.get_ydata(), np.arange(1, 81) / 80)


def test_qq_points_equal_scipy_probplot(gamma_data):
    X = gamma_data[:, :1]
    fits = [GammaMLE().fit(X), LogNormalMLE().fit(X)]
    disp = DistributionFitDisplay.from_estimator(fits, X, kind="qq", labels=["g", "ln"])
    assert len(disp.lines_) == 2
    (osm, osr) = stats.probplot(X[:, 0], dist=stats.gamma,
                                sparams=(fits[0].shape_[0], 0, 1 / fits[0].rate_[0]), fit=False)
    np.testing.assert_allclose(disp.lines_[0].get_xdata(), osm, rtol=1e-10)
    np.testing.assert_allclose(disp.lines_[0].get_ydata(), osr)
    logx = np.log(X[:, 0])  # the log-normal MLE in closed form
    (osm, _) = stats.probplot(X[:, 0], dist=stats.lognorm,
                              sparams=(logx.std(), 0, np.exp(logx.mean())), fit=False)
    np.testing.assert_allclose(disp.lines_[1].get_xdata(), osm, rtol=1e-10)
    assert disp.reference_line_ is not None
    assert [t.get_text() for t in disp.ax_.get_legend().get_texts()] == ["g", "ln"]


def test_pp_points(gamma_data):
    X = gamma_data[:, :1]
    est = WeibullMLE().fit(X)
    disp = DistributionFitDisplay.from_estimator(est, X, kind="pp")
    x = np.sort(X[:, 0])
    n = x.size
    # Filliben's uniform order-statistic medians, written out
    m = (np.arange(1, n + 1) - 0.3175) / (n + 0.365)
    m[-1] = 0.5 ** (1 / n)
    m[0] = 1 - m[-1]
    expected_x = stats.weibull_min.cdf(x, est.shape_[0], scale=est.scale_[0])
    np.testing.assert_allclose(disp.lines_[0].get_xdata(), expected_x, rtol=1e-10)
    np.testing.assert_allclose(disp.lines_[0].get_ydata(), m, rtol=1e-12)


def test_large_data_draws_thinned_exact_order_statistics():
    X = np.random.default_rng(5).gamma(3.0, 2.0, size=(5001, 1))
    est = GammaMLE().fit(X)
    qq = DistributionFitDisplay.from_estimator(est, X, kind="qq")
    x = np.sort(X[:, 0])
    idx = np.linspace(0, 5000, 2000).round().astype(int)
    full_p = stats.probplot(X[:, 0], fit=False)[0]  # standard normal: positions only
    p = stats.norm.cdf(full_p)  # back to the uniform order-statistic medians
    np.testing.assert_allclose(qq.lines_[0].get_ydata(), x[idx])
    np.testing.assert_allclose(qq.lines_[0].get_xdata(),
                               stats.gamma.ppf(p[idx], est.shape_[0], scale=1 / est.rate_[0]),
                               rtol=1e-9)
    assert qq.lines_[0].get_xdata()[[0, -1]].tolist() == pytest.approx(
        stats.gamma.ppf(p[[0, -1]], est.shape_[0], scale=1 / est.rate_[0]).tolist())
    cdf = DistributionFitDisplay.from_estimator(est, X, kind="cdf")
    np.testing.assert_allclose(cdf.empirical_.get_ydata(), (idx + 1) / 5001)
    dens = DistributionFitDisplay.from_estimator(est, X)  # the histogram uses every row
    heights = np.array([b.get_height() for b in dens.empirical_])
    widths = np.array([b.get_width() for b in dens.empirical_])
    assert np.sum(heights * widths) == pytest.approx(1.0)
    small = DistributionFitDisplay.from_estimator(est, X, kind="pp", max_points=50)
    assert len(small.lines_[0].get_xdata()) == 50
    with pytest.raises(ValueError, match="max_points"):
        DistributionFitDisplay(data=x, distributions=[stats.norm()], labels=["n"],
                               kind="qq", max_points=1).plot()


def test_discrete_density_is_pmf_against_relative_frequencies(count_data):
    fits = [PoissonMLE().fit(count_data), NegativeBinomialMLE().fit(count_data)]
    disp = DistributionFitDisplay.from_estimator(fits, count_data)
    x = count_data[:, 0]
    k = np.arange(x.min(), x.max() + 1)
    heights = np.array([p.get_height() for p in disp.empirical_])
    np.testing.assert_allclose(heights, [np.mean(x == v) for v in k])
    np.testing.assert_allclose(disp.lines_[0].get_xdata(), k)
    np.testing.assert_allclose(disp.lines_[0].get_ydata(), stats.poisson.pmf(k, x.mean()),
                               rtol=1e-10)
    nb = fits[1]
    np.testing.assert_allclose(disp.lines_[1].get_ydata(),
                               np.exp(nb.score_samples(k[:, None])), rtol=1e-9)
    assert disp.ax_.get_ylabel() == "probability"


def test_ranking_rows_are_accepted(gamma_data):
    from sklearn_mle import rank_distributions

    rows = [r for r in rank_distributions(gamma_data[:, 0], as_frame=False) if r.ranked][:2]
    disp = DistributionFitDisplay.from_estimator(rows, gamma_data[:, :1])
    assert [ln.get_label() for ln in disp.lines_] == [r.family for r in rows]
    x = disp.lines_[0].get_xdata()
    np.testing.assert_allclose(disp.lines_[0].get_ydata(),
                               np.exp(rows[0].estimator.score_samples(x[:, None])), rtol=1e-10)


def test_fit_diagnostics_four_panels(count_data):
    est = PoissonMLE().fit(count_data)
    displays = plot_fit_diagnostics(est, count_data)
    assert displays.shape == (2, 2)
    fig = displays[0, 0].figure_
    assert len(fig.axes) == 4
    assert all(d.figure_ is fig for d in displays.ravel())
    assert [d.ax_.get_title() for d in displays.ravel()] == [
        "Density", "Cumulative distribution", "Q-Q plot", "P-P plot"]
    named = plot_fit_diagnostics(est, count_data, column_name="visits")
    assert named[0, 0].ax_.get_xlabel() == "visits"
    assert named[1, 0].ax_.get_ylabel() == "sample quantiles (visits)"


def test_distribution_display_bad_input(gamma_data):
    est = GammaMLE().fit(gamma_data)
    with pytest.raises(ValueError, match="kind must be one of"):
        DistributionFitDisplay.from_estimator(est, gamma_data, kind="hist")
    with pytest.raises(ValueError, match="column must be in"):
        DistributionFitDisplay.from_estimator(est, gamma_data, column=5)
    with pytest.raises(ValueError, match="2 labels for 1 estimators"):
        DistributionFitDisplay.from_estimator(est, gamma_data, labels=["a", "b"])
    bad = gamma_data.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        DistributionFitDisplay.from_estimator(est, bad)
    with pytest.raises(TypeError, match="not a fitted distribution estimator"):
        DistributionFitDisplay.from_estimator(
            MLELogisticRegression().fit(gamma_data, np.arange(150) % 2),
            gamma_data)


def test_plot_on_given_axes_and_styling(gamma_data):
    est = GammaMLE().fit(gamma_data)
    fig, ax = plt.subplots()
    disp = DistributionFitDisplay.from_estimator(est, gamma_data, ax=ax,
                                                 line_kwargs={"color": "red", "lw": 3})
    assert disp.ax_ is ax and disp.figure_ is fig
    assert disp.lines_[0].get_color() == "red" and disp.lines_[0].get_linewidth() == 3
    disp.plot(kind="cdf")  # re-plot with another kind on a new figure
    assert disp.ax_ is not ax and disp.ax_.get_title() == "Cumulative distribution"


# ------------------------------------------------------------------ profile
def test_profile_of_poisson_rate_is_the_loglik_closed_form():
    X = np.array([[0.0], [1.0], [3.0], [2.0], [1.0], [0.0], [4.0], [2.0]])
    est = PoissonMLE().fit(X)
    disp = ProfileLikelihoodDisplay.from_estimator(est, "rate", X, n_points=15)
    lam = disp.line_.get_xdata()
    closed = np.array([np.sum(X * np.log(v) - v - gammaln(X + 1)) for v in lam])
    np.testing.assert_allclose(disp.line_.get_ydata(), closed, rtol=1e-10)
    np.testing.assert_allclose(disp.interval, est.conf_int(method="profile")[0])
    assert disp.cutoff == pytest.approx(est.loglik_ - stats.chi2.ppf(0.95, 1) / 2)
    assert disp.cutoff_line_.get_ydata()[0] == pytest.approx(disp.cutoff)
    assert [ln.get_xdata()[0] for ln in disp.interval_lines_] == pytest.approx(disp.interval)
    assert disp.ax_.get_xlabel() == "rate"


def test_profile_of_gaussian_mean_is_the_closed_form():
    rng = np.random.default_rng(3)
    X = rng.normal(5.0, 2.0, size=(30, 2))
    est = GaussianMLE(covariance_type="diag").fit(X)
    disp = ProfileLikelihoodDisplay.from_estimator(est, "mean[x1]", X, n_points=9)
    n = X.shape[0]
    # the other column's loglik is maximised at its own MLE, whatever mean[x1] is
    other = -n / 2 * (np.log(2 * np.pi * X[:, 0].var()) + 1)
    mu = disp.line_.get_xdata()
    closed = [-n / 2 * (np.log(2 * np.pi * np.mean((X[:, 1] - m) ** 2)) + 1) + other for m in mu]
    np.testing.assert_allclose(disp.line_.get_ydata(), closed, rtol=1e-9)
    # the profile crosses the cut-off at the interval's ends
    lo, hi = disp.interval
    at = ProfileLikelihoodDisplay.from_estimator(est, "mean[x1]", X, values=[lo, hi])
    np.testing.assert_allclose(at.profile, at.cutoff, atol=1e-6)


def test_profile_interval_read_off_the_curve_when_conf_int_has_none():
    # a full-covariance Gaussian has no profile conf_int; the display finds the
    # crossings itself. Heights: s2(mu) = 50 + (mu - 170)^2, so the 95% interval is
    # 170 -+ sqrt(50 (exp(2 * 1.92 / 5) - 1)) in closed form.
    heights = np.array([[160.0], [165.0], [170.0], [175.0], [180.0]])
    est = GaussianMLE(covariance_type="full").fit(heights)
    disp = ProfileLikelihoodDisplay.from_estimator(est, "mean", heights, n_points=21)
    half = np.sqrt(50 * (np.exp(2 * stats.chi2.ppf(0.95, 1) / 2 / 5) - 1))
    np.testing.assert_allclose(disp.interval, [170 - half, 170 + half], rtol=1e-8)
    closed = [-2.5 * (np.log(2 * np.pi * (50 + (m - 170) ** 2)) + 1) for m in disp.values]
    np.testing.assert_allclose(disp.profile, closed, rtol=1e-9)


class _ProfiledLogistic(MLELogisticRegression):
    """The public profile hook the display uses when an estimator has one."""

    def profile_loglik(self, param, value):
        return self._profile_loglik(param, value)


def test_profile_through_a_public_profile_loglik_equals_statsmodels_offset_fits():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 2))
    y = (X @ [0.8, -0.5] + 0.2 + rng.logistic(size=200) > 0).astype(int)
    est = _ProfiledLogistic().fit(X, y)
    disp = ProfileLikelihoodDisplay.from_estimator(est, "x0", n_points=7)  # no X needed
    for b, ll in zip(disp.values, disp.profile):
        # x0's coefficient held at b: an offset b * x0 in a fit of the rest
        ref = sm.GLM(y, sm.add_constant(X[:, 1:]), family=sm.families.Binomial(),
                     offset=b * X[:, 0]).fit(tol=1e-12)
        assert ll == pytest.approx(ref.llf, rel=1e-8)
    np.testing.assert_allclose(disp.interval, est.conf_int(method="profile")[1])


def test_profile_bad_input(gamma_data):
    est = GammaMLE().fit(gamma_data)
    with pytest.raises(ValueError, match="unknown parameter"):
        ProfileLikelihoodDisplay.from_estimator(est, "nope", gamma_data)
    if not hasattr(est, "profile_loglik"):
        with pytest.raises(ValueError, match="pass the training data X"):
            ProfileLikelihoodDisplay.from_estimator(est, "shape[x0]")


# ------------------------------------------------------------ coefficients
def test_coefficient_display_matches_conf_int():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X @ [1.0, -0.5, 0.0] + rng.logistic(size=300) > 0).astype(int)
    est = MLELogisticRegression().fit(X, y)
    disp = CoefficientDisplay.from_estimator(est)
    ci = est.conf_int()
    line = disp.errorbar_.lines[0]
    np.testing.assert_allclose(line.get_xdata(), est.estimates_)
    np.testing.assert_array_equal(line.get_ydata(), [3, 2, 1, 0])  # first on top
    (bars,) = disp.errorbar_.lines[2]
    segs = np.array(bars.get_segments())
    np.testing.assert_allclose(segs[:, 0, 0], ci[:, 0])
    np.testing.assert_allclose(segs[:, 1, 0], ci[:, 1])
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == ["intercept", "x0", "x1", "x2"]
    assert disp.reference_line_.get_xdata()[0] == 0.0
    sub = CoefficientDisplay.from_estimator(est, params=["x1", "x2"], alpha=0.1, reference=None)
    np.testing.assert_allclose(sub.intervals, est.conf_int(0.1)[2:])
    assert sub.reference_line_ is None
    with pytest.raises(ValueError, match="unknown parameters"):
        CoefficientDisplay.from_estimator(est, params=["x9"])


def test_coefficient_display_for_a_distribution(count_data):
    est = NegativeBinomialMLE().fit(count_data)
    disp = CoefficientDisplay.from_estimator(est, method="profile")
    np.testing.assert_allclose(disp.intervals, est.conf_int(method="profile"))
    assert disp.names == est.param_names_


# ----------------------------------------------------------------- mixture
def _two_blobs():
    rng = np.random.default_rng(0)
    return np.vstack([rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], 120),
                      rng.multivariate_normal([5, 1], [[1, -0.5], [-0.5, 2]], 120)])


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_mixture_display_ellipses(covariance_type):
    X = _two_blobs()
    gm = GaussianMixture(n_components=2, covariance_type=covariance_type,
                         random_state=0).fit(X)
    disp = MixtureDisplay.from_estimator(gm, X, n_std=2.0)
    assert len(disp.ellipses_) == 2
    proba = gm.predict_proba(X)
    np.testing.assert_array_equal(disp.labels, gm.predict(X))
    np.testing.assert_allclose(disp.uncertainty, 1 - proba.max(axis=1))
    for i, ell in enumerate(disp.ellipses_):
        np.testing.assert_allclose(ell.center, gm.means_[i])
        c = disp.covariances[i]
        # closed-form eigenvalues and orientation of a 2x2 symmetric matrix
        a, b, d = c[0, 0], c[0, 1], c[1, 1]
        root = np.sqrt(((a - d) / 2) ** 2 + b**2)
        big, small = (a + d) / 2 + root, (a + d) / 2 - root
        assert ell.width == pytest.approx(4 * np.sqrt(big))
        assert ell.height == pytest.approx(4 * np.sqrt(small))
        if root > 1e-9:  # a circle has no orientation
            angle = np.degrees(0.5 * np.arctan2(2 * b, a - d))
            assert np.cos(np.radians(2 * (ell.angle - angle))) == pytest.approx(1.0)
    if covariance_type == "full":
        np.testing.assert_allclose(disp.covariances, gm.covariances_)
    sizes = disp.scatter_.get_sizes()
    assert sizes.shape == (X.shape[0],) and sizes.max() > sizes.min()


def test_mixture_display_from_mixture_mle():
    X = _two_blobs()
    mm = MixtureMLE(GaussianMLE(covariance_type="diag"), n_components=2,
                    random_state=0).fit(X)
    disp = MixtureDisplay.from_estimator(mm, X)
    for ell, comp in zip(disp.ellipses_, mm.components_):
        np.testing.assert_allclose(ell.center, comp.mean_)
        widths = sorted([ell.width, ell.height])
        np.testing.assert_allclose(widths, sorted(4 * np.sqrt(comp.covariance_)))
    with pytest.raises(TypeError, match="not a Gaussian mixture"):
        MixtureDisplay.from_estimator(PoissonMLE().fit(np.ones((3, 2))), X)
    with pytest.raises(ValueError, match="two different columns"):
        MixtureDisplay.from_estimator(mm, X, features=(0, 0))
    with pytest.raises(ValueError, match="are not columns of X"):
        MixtureDisplay.from_estimator(mm, X, features=(0, 2))


# ------------------------------------------------------------------ criteria
def test_information_criterion_from_estimators():
    X = _two_blobs()
    models = [GaussianMixture(n_components=k, covariance_type=ct, random_state=0).fit(X)
              for ct in ("full", "spherical") for k in (1, 2, 3)]
    disp = InformationCriterionDisplay.from_estimators(models, X)
    assert set(disp.lines_) == {"covariance_type=full", "covariance_type=spherical"}
    ys = disp.lines_["covariance_type=full"].get_ydata()
    np.testing.assert_allclose(ys, [m.bic(X) for m in models[:3]])
    # BIC by hand: -2 log L + k log n, from the public loglik_ and n_params_
    m = models[1]
    assert ys[1] == pytest.approx(-2 * m.loglik_ + m.n_params_ * np.log(X.shape[0]))
    best = min(models, key=lambda e: e.bic(X))
    assert disp.best_point[1] == best.n_components
    assert disp.best_point[2] == pytest.approx(best.bic(X))
    aic = InformationCriterionDisplay.from_estimators(models[:3], X, criterion="aic")
    np.testing.assert_allclose(aic.lines_["AIC"].get_ydata(), [e.aic(X) for e in models[:3]])


def test_information_criterion_from_grid_search():
    search_mod = pytest.importorskip("sklearn_mle.model_selection")
    if not hasattr(search_mod, "GridSearchIC"):
        pytest.skip("GridSearchIC is not exported yet")
    X = _two_blobs()
    search = search_mod.GridSearchIC(
        GaussianMixture(random_state=0),
        {"n_components": [1, 2, 3], "covariance_type": ["full", "diag"]}).fit(X)
    disp = InformationCriterionDisplay.from_search(search)
    assert set(disp.lines_) == {"covariance_type=full", "covariance_type=diag"}
    for ct, line in [("full", disp.lines_["covariance_type=full"])]:
        for k, val in zip(line.get_xdata(), line.get_ydata()):
            ref = GaussianMixture(n_components=int(k), covariance_type=ct,
                                  random_state=0).fit(X)
            assert val == pytest.approx(ref.bic(X), rel=1e-8)
    assert disp.best_point[2] == pytest.approx(search.best_score_)


# -------------------------------------------------------------------- HMM
def test_states_display_matches_decode_and_posteriors():
    hmm_mod = pytest.importorskip("sklearn_mle.hmm")
    rng = np.random.default_rng(0)
    z = np.repeat([0, 1, 0, 2, 1], 30)
    X = rng.normal(np.array([0.0, 3.0, 6.0])[z], 1.0)[:, None]
    lengths = [90, 60]
    hmm = hmm_mod.HiddenMarkovModel(GaussianMLE(), n_components=3, random_state=0).fit(
        X, lengths=lengths)
    disp = StatesDisplay.from_estimator(hmm, X, lengths=lengths)
    np.testing.assert_array_equal(disp.states, hmm.predict(X, lengths=lengths))
    post = hmm.predict_proba(X, lengths=lengths)
    np.testing.assert_allclose(disp.posteriors, post)
    np.testing.assert_allclose(disp.series_line_.get_ydata(), X[:, 0])
    # the stacked posteriors fill [0, 1] at every row: the top edge of the last band is 1
    top_edge = disp.posterior_fills_[-1].get_paths()[0].vertices[:, 1]
    assert top_edge.max() == pytest.approx(1.0)
    # the shaded runs of each state cover exactly its decoded rows
    for s, coll in enumerate(disp.state_fills_):
        covered = sum(p.get_extents().width for p in coll.get_paths())
        assert covered == pytest.approx(np.sum(disp.states == s))
    assert len(disp.ax_) == 2 and disp.figure_ is disp.ax_[0].figure
    assert disp.boundaries.tolist() == [90]
    viterbi_free = StatesDisplay.from_estimator(hmm, X, lengths=lengths, algorithm="map")
    np.testing.assert_array_equal(viterbi_free.states, post.argmax(axis=1))
    with pytest.raises(TypeError, match="not a hidden Markov model"):
        StatesDisplay.from_estimator(GaussianMLE().fit(X), X)


# -------------------------------------------------------------- no matplotlib
def test_missing_matplotlib_names_the_plot_extra(monkeypatch, gamma_data):
    est = GammaMLE().fit(gamma_data)
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(ImportError, match=r"sklearn-mle\[plot\]"):
        DistributionFitDisplay.from_estimator(est, gamma_data)
    with pytest.raises(ImportError, match="plot' extra"):
        plot_fit_diagnostics(est, gamma_data)


def test_import_sklearn_mle_does_not_import_matplotlib():
    import subprocess

    code = ("import sys, sklearn_mle, sklearn_mle.plotting; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_plotting_module_reimports_cleanly():
    importlib.reload(importlib.import_module("sklearn_mle.plotting"))
