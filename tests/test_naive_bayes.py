"""GenerativeClassifier against scikit-learn's naive Bayes and QDA, and by hand."""

import warnings

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp
from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import BernoulliNB, CategoricalNB, GaussianNB, MultinomialNB
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_mle import (
    BernoulliMLE,
    CategoricalMLE,
    GaussianMLE,
    MixtureMLE,
    MultinomialMLE,
    PoissonMLE,
)
from sklearn_mle.exceptions import BoundaryWarning
from sklearn_mle.naive_bayes import GenerativeClassifier, IndependentMLE, NaiveBayes
from sklearn_mle.priors import Beta, Dirichlet, NormalInverseGamma


def _gaussian_data(n=400, d=4, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    X = rng.normal(size=(n, d)) * (1 + y[:, None]) + 2.0 * y[:, None]
    return X, y


def _diag():
    return GaussianMLE(covariance_type="diag")


# ------------------------------------------------------------- sklearn equalities
def test_equals_gaussian_nb():
    X, y = _gaussian_data()
    ours = GenerativeClassifier(_diag()).fit(X, y)
    ref = GaussianNB(var_smoothing=0).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-10)
    np.testing.assert_allclose(ours.predict_joint_log_proba(X),
                               ref.predict_joint_log_proba(X), rtol=1e-10)
    np.testing.assert_allclose(ours.class_prior_, ref.class_prior_, rtol=1e-14)
    np.testing.assert_allclose([d.mean_ for d in ours.densities_], ref.theta_, rtol=1e-12)
    np.testing.assert_allclose([d.covariance_ for d in ours.densities_], ref.var_,
                               rtol=1e-10)
    assert ours.score(X, y) == ref.score(X, y)


def test_equals_gaussian_nb_weighted():
    X, y = _gaussian_data(seed=1)
    w = np.random.default_rng(1).uniform(0.1, 3.0, y.size)
    ours = GenerativeClassifier(_diag()).fit(X, y, sample_weight=w)
    ref = GaussianNB(var_smoothing=0).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-10)


@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0])
def test_equals_multinomial_nb(alpha):
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 300)
    X = rng.poisson(1.0 + y[:, None] * np.arange(1, 7) / 3.0, size=(300, 6)).astype(float)
    ours = GenerativeClassifier(MultinomialMLE(prior=Dirichlet(alpha + 1))).fit(X, y)
    ref = MultinomialNB(alpha=alpha).fit(X, y)
    np.testing.assert_allclose(
        np.log([d.probabilities_ for d in ours.densities_]), ref.feature_log_prob_, rtol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-10)


@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_equals_bernoulli_nb(alpha):
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 300)
    X = (rng.uniform(size=(300, 5)) < 0.2 + 0.25 * y[:, None]).astype(float)
    X[y == 0, 0] = 0.0  # a column all 0 in one class: the smoothing matters
    ours = GenerativeClassifier(BernoulliMLE(prior=Beta(alpha + 1, alpha + 1))).fit(X, y)
    ref = BernoulliNB(alpha=alpha).fit(X, y)
    np.testing.assert_allclose(np.log([d.p_ for d in ours.densities_]),
                               ref.feature_log_prob_, rtol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-10)


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_equals_categorical_nb(alpha):
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, 400)
    X = np.column_stack([rng.integers(0, 4, 400), (rng.integers(0, 3, 400) + y) % 3,
                         rng.integers(0, 2, 400)]).astype(float)
    X[(y == 1) & (X[:, 0] == 3), 0] = 2.0  # category 3 never seen in class 1
    ours = GenerativeClassifier(CategoricalMLE(prior=Dirichlet(alpha + 1))).fit(X, y)
    ref = CategoricalNB(alpha=alpha).fit(X, y)
    for j in range(3):
        np.testing.assert_allclose(
            np.log([d.probabilities_[j] for d in ours.densities_]),
            ref.feature_log_prob_[j], rtol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-10)


def test_qda_by_hand():
    """Full covariances are the MLE (divided by n_k): checked against a hand computation,
    and against sklearn's QDA (which divides by n_k - 1) after rescaling."""
    X, y = _gaussian_data(n=300, d=3, k=2, seed=5)
    clf = GenerativeClassifier(GaussianMLE(covariance_type="full")).fit(X, y)
    joint = np.empty((X.shape[0], 2))
    for k in range(2):
        Xk = X[y == k]
        mean = Xk.mean(axis=0)
        cov = (Xk - mean).T @ (Xk - mean) / Xk.shape[0]
        np.testing.assert_allclose(clf.densities_[k].covariance_, cov, rtol=1e-10)
        joint[:, k] = (stats.multivariate_normal(mean, cov).logpdf(X)
                       + np.log(Xk.shape[0] / X.shape[0]))
    proba = np.exp(joint - logsumexp(joint, axis=1, keepdims=True))
    np.testing.assert_allclose(clf.predict_proba(X), proba, atol=1e-10)
    qda = QuadraticDiscriminantAnalysis(store_covariance=True).fit(X, y)
    # scikit-learn < 1.9 divided by n_k - 1 (unbiased); 1.9 stores the MLE (n_k)
    nk = np.sum(y == 0)
    biased = np.allclose(qda.covariance_[0], clf.densities_[0].covariance_, rtol=1e-10)
    for k in range(2):
        factor = 1.0 if biased else (np.sum(y == k) - 1) / np.sum(y == k)
        np.testing.assert_allclose(clf.densities_[k].covariance_, qda.covariance_[k] * factor,
                                   rtol=1e-10)
    if biased:
        np.testing.assert_allclose(clf.predict_proba(X), qda.predict_proba(X), atol=1e-8)
    assert nk > 1


# ------------------------------------------------------------ fit contracts
@pytest.mark.parametrize("density", [_diag(), MultinomialMLE(prior=Dirichlet(2.0)),
                                     BernoulliMLE(), CategoricalMLE(prior=Dirichlet(1.5))],
                         ids=["gaussian", "multinomial", "bernoulli", "categorical"])
def test_partial_fit_equals_fit(density):
    rng = np.random.default_rng(6)
    y = np.array(["a", "b", "c"])[rng.integers(0, 3, 300)]
    if isinstance(density, BernoulliMLE):
        X = (rng.uniform(size=(300, 4)) < 0.5).astype(float)
    elif isinstance(density, GaussianMLE):
        X = rng.normal(size=(300, 4))
    else:
        X = rng.integers(0, 4, (300, 4)).astype(float)
    y[:100] = np.where(y[:100] == "c", "a", y[:100])  # class "c" absent from batch 1
    if isinstance(density, CategoricalMLE):
        X[:200, 1] = np.minimum(X[:200, 1], 2)  # category 3 first seen in the last batch
    w = rng.uniform(0.5, 2.0, 300)
    full = GenerativeClassifier(density).fit(X, y, sample_weight=w)
    part = GenerativeClassifier(density)
    for sl in (slice(0, 100), slice(100, 200), slice(200, 300)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            part.partial_fit(X[sl], y[sl], classes=["a", "b", "c"], sample_weight=w[sl])
    np.testing.assert_allclose(part.predict_proba(X), full.predict_proba(X), atol=1e-12)
    np.testing.assert_allclose(part.loglik_, full.loglik_, rtol=1e-12)
    assert part.n_params_ == full.n_params_


def test_integer_weights_equal_repeats():
    X, y = _gaussian_data(n=120, seed=7)
    w = np.random.default_rng(7).integers(0, 4, y.size)
    weighted = GenerativeClassifier(_diag()).fit(X, y, sample_weight=w)
    repeated = GenerativeClassifier(_diag()).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X),
                               atol=1e-12)
    np.testing.assert_allclose(weighted.loglik_, repeated.loglik_, rtol=1e-12)


def test_likelihood_and_information_criteria():
    X, y = _gaussian_data(seed=8)
    clf = GenerativeClassifier(_diag()).fit(X, y)
    k, d = 3, X.shape[1]
    by_hand = 0.0
    for c in range(k):
        Xc = X[y == c]
        by_hand += stats.norm(Xc.mean(axis=0), Xc.std(axis=0)).logpdf(Xc).sum()
        by_hand += Xc.shape[0] * np.log(Xc.shape[0] / X.shape[0])
    np.testing.assert_allclose(clf.loglik_, by_hand, rtol=1e-12)
    np.testing.assert_allclose(clf.log_likelihood(X, y), by_hand, rtol=1e-12)
    assert clf.n_params_ == k * 2 * d + (k - 1)
    np.testing.assert_allclose(clf.aic(X, y), -2 * by_hand + 2 * clf.n_params_)
    np.testing.assert_allclose(clf.bic(X, y), -2 * by_hand + np.log(len(y)) * clf.n_params_)
    # class probabilities' standard errors: the multinomial (p(1 - p) / n)
    p0 = clf.class_prior_[0]
    i = clf.param_names_.index("P(class=0)")
    np.testing.assert_allclose(clf.bse_[i], np.sqrt(p0 * (1 - p0) / len(y)), rtol=1e-12)
    frame = clf.summary().to_frame()
    assert set(frame.index.get_level_values("class")) == {0, 1, 2}
    assert "class 2" in str(clf.summary())


def test_class_prior_options():
    X, y = _gaussian_data(seed=9)
    counts = np.bincount(y)
    fixed = GenerativeClassifier(_diag(), class_prior=[0.2, 0.3, 0.5]).fit(X, y)
    np.testing.assert_allclose(fixed.class_prior_, [0.2, 0.3, 0.5])
    ref = GaussianNB(var_smoothing=0, priors=[0.2, 0.3, 0.5]).fit(X, y)
    np.testing.assert_allclose(fixed.predict_proba(X), ref.predict_proba(X), atol=1e-10)
    assert fixed.n_params_ == 3 * 2 * 4
    mapped = GenerativeClassifier(_diag(), class_prior=Dirichlet(3.0)).fit(X, y)
    np.testing.assert_allclose(mapped.class_prior_, (counts + 2) / (counts.sum() + 6))
    uniform = GenerativeClassifier(_diag(), priors_fit="uniform").fit(X, y)
    np.testing.assert_allclose(uniform.class_prior_, np.full(3, 1 / 3))
    with pytest.raises(ValueError, match="sum to 1"):
        GenerativeClassifier(class_prior=[0.5, 0.6, 0.1]).fit(X, y)
    with pytest.raises(ValueError, match="3 classes"):
        GenerativeClassifier(class_prior=[0.5, 0.5]).fit(X, y)


def test_grid_search_over_density_and_priors():
    X, y = _gaussian_data(n=300, d=2, seed=10)
    grid = GridSearchCV(
        GenerativeClassifier(),
        {"density": [_diag(), GaussianMLE(covariance_type="full")],
         "priors_fit": ["mle", "uniform"]},
        cv=3, scoring="neg_log_loss",
    ).fit(X, y)
    assert grid.best_params_["density"].covariance_type in ("diag", "full")
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))


def test_mixture_discriminant_analysis():
    """Any density estimator works (here a mixture per class: fitted on the class rows)."""
    rng = np.random.default_rng(11)
    X0 = np.concatenate([rng.normal(-4, 1, (150, 1)), rng.normal(4, 1, (150, 1))])
    X1 = rng.normal(0, 1, (300, 1))
    X, y = np.vstack([X0, X1]), np.repeat([0, 1], 300)
    clf = GenerativeClassifier(MixtureMLE(_diag(), n_components=2, random_state=0)).fit(X, y)
    assert clf.score(X, y) > 0.9
    single = GenerativeClassifier(_diag()).fit(X, y)
    assert clf.score(X, y) > single.score(X, y)
    np.testing.assert_allclose(clf.densities_[1].score_samples(X).sum() * 0 + clf.loglik_,
                               sum(d.loglik_ for d in clf.densities_)
                               + 300 * np.log(0.5) * 2, rtol=1e-10)


# ---------------------------------------------------------------- bad input
def test_single_row_class_warns_with_remedy():
    X, y = _gaussian_data(n=60, seed=12)
    X = np.vstack([X, [[9.0, 9.0, 9.0, 9.0]]])
    y = np.append(y, 7)
    with pytest.warns(BoundaryWarning, match=r"class 7 has a single training row.*prior"):
        GenerativeClassifier(_diag()).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = GenerativeClassifier(
            GaussianMLE(covariance_type="diag", prior=NormalInverseGamma())).fit(X, y)
    assert np.all(np.isfinite(clf.predict_proba(X)))


def test_unseen_category_at_predict():
    X = np.array([[0.0], [1.0], [0.0], [1.0], [2.0], [2.0]])
    y = np.array([0, 0, 0, 1, 1, 1])
    clf = GenerativeClassifier(CategoricalMLE()).fit(X, y)
    # category 2 is seen in class 1 only: an MLE gives class 0 probability zero
    np.testing.assert_allclose(clf.predict_proba([[2.0]]), [[0.0, 1.0]])
    with pytest.raises(ValueError, match=r"row 1 \(column 0: value 5.0\) has zero "
                       r"probability.*every class.*prior"):
        clf.predict([[1.0], [5.0]])
    smoothed = GenerativeClassifier(CategoricalMLE(prior=Dirichlet(2.0))).fit(X, y)
    proba = smoothed.predict_proba([[2.0]])
    # Laplace smoothing over the 3 categories: class 0 (2/3, 1/3, 0 + 1) -> 1/6
    np.testing.assert_allclose(proba[0, 0] / proba[0, 1], (1 / 6) / (3 / 6), rtol=1e-12)


def test_out_of_domain_names_column_and_class():
    X = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.5], [2.0, 1.0]])
    y = np.array(["a", "a", "b", "b"])
    with pytest.raises(ValueError, match=r"class 'b'.*column 1"):
        GenerativeClassifier(PoissonMLE()).fit(X, y)


def test_unknown_labels_in_partial_fit():
    X, y = _gaussian_data(n=30, seed=13)
    clf = GenerativeClassifier(_diag())
    with pytest.raises(ValueError, match="needs classes="):
        clf.partial_fit(X, y)
    with pytest.raises(ValueError, match=r"labels \[2\].*not among the classes"):
        clf.partial_fit(X, y, classes=[0, 1])
    clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"labels \[5\]"):
        clf.partial_fit(X[:2], [5, 0])
    with pytest.raises(ValueError, match="needs a density with partial_fit"):
        GenerativeClassifier(MixtureMLE(_diag())).partial_fit(X, y, classes=[0, 1, 2])


def test_wrong_shapes_and_labels():
    X, y = _gaussian_data(n=30, seed=14)
    clf = GenerativeClassifier().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :2])
    with pytest.raises(ValueError, match="not among the classes"):
        clf.log_likelihood(X, y + 10)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        GenerativeClassifier().fit(X, y[:-1])


# ------------------------------------------------------------- sklearn's checks
@parametrize_with_checks([
    GenerativeClassifier(),
    NaiveBayes(),
    IndependentMLE([("g", GaussianMLE(covariance_type="diag"), slice(None))]),
])
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        check(estimator)


# ------------------------------------------------- the one-pass paths (n > head)
def test_naive_bayes_uses_the_family_protocol_only():
    """The batched class statistics and class log-densities are the families' own
    (families/categorical.py, multinomial.py); naive Bayes has no fast path of its own."""
    import importlib.util

    assert importlib.util.find_spec("sklearn_mle.naive_bayes._fast") is None


@pytest.mark.parametrize("nb, density, make", [
    (GaussianNB(var_smoothing=0), _diag(), lambda r, n: r.normal(size=(n, 5))),
    (MultinomialNB(alpha=1.0), MultinomialMLE(prior=Dirichlet(2.0)),
     lambda r, n: r.poisson(2.0, (n, 5)).astype(float)),
    (CategoricalNB(alpha=1.0), CategoricalMLE(prior=Dirichlet(2.0)),
     lambda r, n: r.integers(0, 4, (n, 5)).astype(float)),
], ids=["gaussian", "multinomial", "categorical"])
def test_one_pass_fit_equals_sklearn_and_partial_fit(nb, density, make):
    rng = np.random.default_rng(21)
    n = 5000
    y = rng.integers(0, 4, n)
    X = make(rng, n) + (y[:, None] if isinstance(nb, GaussianNB) else 0)
    ours = GenerativeClassifier(density).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), nb.fit(X, y).predict_proba(X),
                               atol=1e-10)
    part = GenerativeClassifier(density)
    for sl in (slice(0, 1500), slice(1500, 5000)):
        part.partial_fit(X[sl], y[sl], classes=[0, 1, 2, 3])
    np.testing.assert_allclose(part.predict_proba(X), ours.predict_proba(X), atol=1e-12)
    np.testing.assert_allclose(part.loglik_, ours.loglik_, rtol=1e-12)


def test_category_first_seen_after_the_head():
    """The settings of the first rows do not hold for all: the fit falls back to all rows."""
    rng = np.random.default_rng(22)
    X = rng.integers(0, 3, (3000, 2)).astype(float)
    X[2500:, 1] = 3.0  # a category the first rows never show
    y = rng.integers(0, 2, 3000)
    ours = GenerativeClassifier(CategoricalMLE(prior=Dirichlet(2.0))).fit(X, y)
    ref = CategoricalNB(alpha=1.0).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-10)
    assert ours.densities_[0].categories_[1].tolist() == [0.0, 1.0, 2.0, 3.0]


# --------------------------------------------- categories never seen in training
@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_declared_categories_equal_categorical_nb_min_categories(alpha):
    """CategoricalMLE(categories=...) declares the category set: a category the
    training rows never show (5), or show only with weight 0 (4), gets its probability
    from the Dirichlet(alpha + 1) prior, exactly CategoricalNB(alpha, min_categories)."""
    rng = np.random.default_rng(12)
    n = 3000  # beyond the head rows: the one-pass path
    y = rng.integers(0, 3, n)
    X = np.column_stack([(rng.integers(0, 4, n) + y) % 4, rng.integers(0, 3, n),
                         rng.integers(0, 5, n)]).astype(float)
    w = np.ones(n)
    X[:7, 0], w[:7] = 4.0, 0.0  # category 4 only in rows of weight 0
    cats = [list(range(6)), list(range(3)), list(range(5))]
    ours = GenerativeClassifier(CategoricalMLE(categories=cats, prior=Dirichlet(alpha + 1)))
    ours.fit(X, y, sample_weight=w)
    ref = CategoricalNB(alpha=alpha, min_categories=[6, 3, 5]).fit(X, y, sample_weight=w)
    for j in range(3):
        np.testing.assert_allclose(np.log([d.probabilities_[j] for d in ours.densities_]),
                                   ref.feature_log_prob_[j], rtol=1e-12)
    Xt = np.array([[5.0, 0, 1], [4.0, 2, 4], [0.0, 1, 0], [5.0, 2, 4]])
    np.testing.assert_allclose(ours.predict_proba(Xt), ref.predict_proba(Xt), atol=1e-12)
    np.testing.assert_allclose(ours.predict_joint_log_proba(Xt),
                               ref.predict_joint_log_proba(Xt), rtol=1e-12)
    # partial_fit keeps the declared set
    part = GenerativeClassifier(CategoricalMLE(categories=cats, prior=Dirichlet(alpha + 1)))
    for rows in np.array_split(np.arange(n), 3):
        part.partial_fit(X[rows], y[rows], classes=[0, 1, 2], sample_weight=w[rows])
    np.testing.assert_allclose(part.predict_proba(Xt), ref.predict_proba(Xt), atol=1e-12)


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_category_never_seen_gets_the_prior_share(alpha):
    """Categories learnt from the data: a category no training row shows (9 at predict
    time; 4, seen only in rows of weight 0) gets the prior's share of an extra category,
    ``alpha / (n_k + (K + 1) alpha)``: CategoricalNB(alpha, min_categories=K + 1) on that
    column, for the rows that hold it (the other columns as they are)."""
    rng = np.random.default_rng(13)
    n = 2500
    y = rng.integers(0, 3, n)
    X = np.column_stack([(rng.integers(0, 4, n) + y) % 4, rng.integers(0, 3, n)]).astype(float)
    w = np.ones(n)
    X[:5, 0], w[:5] = 4.0, 0.0
    ours = GenerativeClassifier(CategoricalMLE(prior=Dirichlet(alpha + 1)))
    ours.fit(X, y, sample_weight=w)
    assert ours.densities_[0].categories_[0].tolist() == [0, 1, 2, 3]
    # CategoricalNB numbers the categories 0..max: the stranger is the 5th, category 4
    ref = CategoricalNB(alpha=alpha, min_categories=[5, 3]).fit(X, y, sample_weight=w)
    strangers = np.array([[4.0, 0.0], [4.0, 2.0], [4.0, 1.0]])
    np.testing.assert_allclose(ours.predict_proba(strangers), ref.predict_proba(strangers),
                               atol=1e-12)
    nine = strangers.copy()
    nine[:, 0] = 9.0  # a value never seen anywhere: the same share
    np.testing.assert_allclose(ours.predict_proba(nine), ref.predict_proba(strangers),
                               atol=1e-12)


def test_category_never_seen_without_a_prior_names_column_and_category():
    rng = np.random.default_rng(14)
    X = rng.integers(0, 3, (200, 2)).astype(float)
    y = rng.integers(0, 2, 200)
    for density in (CategoricalMLE(), CategoricalMLE(prior=Dirichlet(1.0))):
        clf = GenerativeClassifier(density).fit(X, y)
        with pytest.raises(ValueError, match=r"row 1 \(column 1: value 7.0\) has zero "
                                             r"probability under the density of every class"):
            clf.predict_proba([[0.0, 1.0], [1.0, 7.0]])
