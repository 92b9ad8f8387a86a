"""IndependentMLE (a product over column groups), NaiveBayes on mixed tables, and the
domain rule shared with rank_distributions."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sklearn_mle import (
    BernoulliMLE,
    CategoricalMLE,
    GammaMLE,
    GaussianMLE,
    PoissonMLE,
    StudentTMLE,
    rank_distributions,
)
from sklearn_mle.families._domains import candidate_families, column_domain, default_family
from sklearn_mle.model_selection import column_domain as ranking_domain
from sklearn_mle.naive_bayes import GenerativeClassifier, IndependentMLE, NaiveBayes
from sklearn_mle.priors import Beta, Dirichlet


def _frame(n=600, seed=0):
    rng = np.random.default_rng(seed)
    y = np.array(["no", "yes"])[rng.integers(0, 2, n)]
    s = (y == "yes").astype(float)
    df = pd.DataFrame({
        "income": rng.gamma(2.0 + s, 1.5, n),                     # positive
        "score": rng.normal(s, 1.0, n),                            # real
        "visits": rng.poisson(1.0 + 2.0 * s),                      # counts
        "member": (rng.uniform(size=n) < 0.3 + 0.4 * s).astype(float),  # 0/1
        "colour": np.array(["red", "green", "blue"])[(rng.integers(0, 3, n) + s.astype(int))
                                                      % 3],
    })
    return df, y


# ----------------------------------------------------------------- IndependentMLE
def test_independent_is_the_product_of_its_parts():
    df, _ = _frame()
    est = IndependentMLE([("income", GammaMLE(), ["income"]),
                          ("counts", PoissonMLE(), [2]),
                          ("colour", CategoricalMLE(), lambda X: ["colour"])],
                         remainder=GaussianMLE(covariance_type="diag")).fit(df)
    gamma = GammaMLE().fit(df[["income"]])
    pois = PoissonMLE().fit(df[["visits"]])
    cat = CategoricalMLE().fit(df[["colour"]])
    rest = GaussianMLE(covariance_type="diag").fit(df[["score", "member"]])
    parts = (gamma, pois, cat, rest)
    assert [c.tolist() for c in est.columns_] == [[0], [2], [4], [1, 3]]
    np.testing.assert_allclose(est.loglik_, sum(p.loglik_ for p in parts), rtol=1e-12)
    assert est.n_params_ == sum(p.n_params_ for p in parts)
    # the parts' log-densities by scipy, summed
    a, rate = gamma.shape_[0], gamma.rate_[0]
    by_hand = (stats.gamma(a, scale=1 / rate).logpdf(df["income"])
               + stats.poisson(pois.rate_[0]).logpmf(df["visits"])
               + cat.score_samples(df[["colour"]])
               + stats.norm(rest.mean_, np.sqrt(rest.covariance_)).logpdf(
                   df[["score", "member"]]).sum(axis=1))
    np.testing.assert_allclose(est.score_samples(df), by_hand, rtol=1e-10)
    np.testing.assert_allclose(est.bse_, np.concatenate([p.bse_ for p in parts]), rtol=1e-12)
    assert est.param_names_[0].startswith("income: ")
    ci = est.conf_int()
    assert ci.shape == (est.n_params_, 2)
    lo = np.concatenate([p.conf_int()[:, 0] for p in parts])
    np.testing.assert_allclose(ci[:, 0], lo)
    assert "remainder: mean[score]" in str(est.summary())


def test_independent_column_conventions():
    X = np.arange(24.0).reshape(6, 4) + 1.0
    for spec, want in [(1, [1]), ([0, 2], [0, 2]), (slice(1, 3), [1, 2]),
                       (np.array([True, False, False, True]), [0, 3]), ([-1], [3])]:
        est = IndependentMLE([("p", PoissonMLE(), spec)]).fit(X)
        assert est.columns_[0].tolist() == want
        assert est.n_features_in_ == 4
    with pytest.raises(ValueError, match="more than one estimator"):
        IndependentMLE([("a", PoissonMLE(), [0, 1]), ("b", PoissonMLE(), [1])]).fit(X)
    with pytest.raises(ValueError, match="need X as a DataFrame"):
        IndependentMLE([("a", PoissonMLE(), ["x"])]).fit(X)
    with pytest.raises(ValueError, match=r"\['nope'\] are not in X"):
        IndependentMLE([("a", PoissonMLE(), ["nope"])]).fit(pd.DataFrame(X, columns=list("abcd")))
    with pytest.raises(ValueError, match="out of range"):
        IndependentMLE([("a", PoissonMLE(), [7])]).fit(X)
    with pytest.raises(ValueError, match="part 'a'.*PoissonMLE"):
        IndependentMLE([("a", PoissonMLE(), [0])]).fit(X - 5.5)
    nested = IndependentMLE([("a", PoissonMLE(), [0])])
    nested.set_params(a__prior=None, remainder="drop")
    assert nested.get_params()["a__prior"] is None


def test_independent_partial_fit_and_sample():
    df, _ = _frame(seed=1)
    est = IndependentMLE([("g", GammaMLE(), ["income"]), ("c", CategoricalMLE(), ["colour"]),
                          ("b", BernoulliMLE(), ["member"])])
    full = est.fit(df).loglik_
    part = IndependentMLE(est.estimators)
    for sl in (slice(0, 250), slice(250, 600)):
        part.partial_fit(df.iloc[sl])
    np.testing.assert_allclose(part.loglik_, full, rtol=1e-10)
    draws = est.sample(50, random_state=0)
    assert draws.shape == (50, 5)
    assert set(draws[:, 4]) <= {"red", "green", "blue"}
    assert np.all(pd.isna(draws[:, 1].astype(float)))  # dropped columns are NaN
    with pytest.raises(ValueError, match="partial_fit in every part"):
        IndependentMLE([("t", StudentTMLE(), [1])]).partial_fit(df)


# ---------------------------------------------------------------- classifiers
def test_generative_over_independent_adds_the_parts():
    """Bayes' rule over a product: each part's class log-densities add."""
    df, y = _frame(seed=2)
    prod = GenerativeClassifier(IndependentMLE([("g", GammaMLE(), ["income"]),
                                                ("p", PoissonMLE(), ["visits"])])).fit(df, y)
    g = GenerativeClassifier(GammaMLE()).fit(df[["income"]], y)
    p = GenerativeClassifier(PoissonMLE()).fit(df[["visits"]], y)
    np.testing.assert_allclose(
        prod.predict_joint_log_proba(df),
        g.predict_joint_log_proba(df[["income"]]) + p.predict_joint_log_proba(df[["visits"]])
        - prod.class_log_prior_, rtol=1e-10)
    np.testing.assert_allclose(prod.loglik_, g.loglik_ + p.loglik_
                               - np.sum(prod.class_count_ * prod.class_log_prior_), rtol=1e-12)
    # a class alone gives the same density as the product fitted on its rows
    alone = IndependentMLE([("g", GammaMLE(), ["income"]),
                            ("p", PoissonMLE(), ["visits"])]).fit(df[y == "yes"])
    np.testing.assert_allclose(prod.densities_[1].loglik_, alone.loglik_, rtol=1e-10)


def test_naive_bayes_on_a_mixed_frame():
    df, y = _frame(seed=3)
    nb = NaiveBayes().fit(df, y)
    assert nb.column_families_ == {"income": "Gamma", "score": "Gaussian", "visits": "Poisson",
                                   "member": "Bernoulli", "colour": "Categorical"}
    by_hand = GenerativeClassifier(IndependentMLE([
        ("g", GammaMLE(), ["income"]), ("n", GaussianMLE(covariance_type="diag"), ["score"]),
        ("p", PoissonMLE(), ["visits"]), ("b", BernoulliMLE(), ["member"]),
        ("c", CategoricalMLE(), ["colour"])])).fit(df, y)
    np.testing.assert_allclose(nb.predict_proba(df), by_hand.predict_proba(df), atol=1e-12)
    np.testing.assert_allclose(nb.loglik_, by_hand.loglik_, rtol=1e-12)
    assert nb.n_params_ == by_hand.n_params_
    assert nb.score(df, y) > 0.7
    frame = nb.summary().to_frame()
    assert ("yes", "Gamma: shape[income]") in frame.index


def test_naive_bayes_overrides_smoothing_and_partial_fit():
    df, y = _frame(seed=4)
    nb = NaiveBayes(families={"visits": GaussianMLE(covariance_type="diag")}, alpha=1.0)
    nb.fit(df, y)
    assert nb.column_families_["visits"] == "Gaussian"
    by_hand = GenerativeClassifier(IndependentMLE([
        ("g", GammaMLE(), ["income"]),
        ("n", GaussianMLE(covariance_type="diag"), ["score", "visits"]),
        ("b", BernoulliMLE(prior=Beta(2, 2)), ["member"]),
        ("c", CategoricalMLE(prior=Dirichlet(2)), ["colour"])])).fit(df, y)
    np.testing.assert_allclose(nb.predict_proba(df), by_hand.predict_proba(df), atol=1e-12)
    part = NaiveBayes(alpha=1.0, families={"visits": GaussianMLE(covariance_type="diag")})
    for sl in (slice(0, 200), slice(200, 600)):
        part.partial_fit(df.iloc[sl], y[sl], classes=["no", "yes"])
    np.testing.assert_allclose(part.predict_proba(df), nb.predict_proba(df), atol=1e-10)
    with pytest.raises(ValueError, match="does not have"):
        NaiveBayes(families={"nope": PoissonMLE()}).fit(df, y)


def test_error_names_the_column_and_the_class():
    df, y = _frame(seed=5)
    df["visits"] = df["visits"].astype(float)
    df.loc[np.flatnonzero(y == "yes")[0], "visits"] = 2.5
    with pytest.raises(ValueError, match=r"class 'yes'.*column 'visits'"):
        NaiveBayes(families={"visits": PoissonMLE()}).fit(df, y)


# ------------------------------------------------------------------ domain rule
@pytest.mark.parametrize("x, domain, first", [
    ([0, 1, 1], "values 0 or 1", "Poisson"),
    ([1, 1, 1], "values 0 or 1", "Poisson"),
    ([1, 2, 5], "integers >= 1", "Poisson"),
    ([0, 2, 5], "non-negative integers", "Poisson"),
    ([-1, 2, 5], "integers", "Gaussian"),
    ([0.2, 0.5], "values in (0, 1)", "Gaussian"),
    ([0.2, 3.5], "values > 0", "Gaussian"),
    ([-0.2, 3.5], "real values", "Gaussian"),
    (["a", "b"], "categories", "Categorical"),
])
def test_domain_rule(x, domain, first):
    assert column_domain(x) == domain
    assert candidate_families(x)[0] == first
    if domain != "categories":  # the same words and families as rank_distributions'
        assert ranking_domain(x) == domain
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ranked = set(rank_distributions(np.asarray(x, float)).family)
        assert ranked == set(candidate_families(x))


def test_default_family():
    assert type(default_family([0.5, 2.0])).__name__ == "GammaMLE"
    assert type(default_family([0.5, 0.2])).__name__ == "BetaMLE"
    assert default_family([-1.0, 2.0]).covariance_type == "diag"
    assert type(default_family(pd.Series(["a", "b"], dtype="category"))).__name__ == \
        "CategoricalMLE"
    with pytest.raises(ValueError, match="NaN"):
        default_family([1.0, np.nan])


def test_no_warning_on_a_clean_fit():
    df, y = _frame(seed=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        NaiveBayes(alpha=1.0).fit(df, y).predict_proba(df)


def test_unseen_category_names_the_column():
    """No prior: a category never seen in training is an error naming the column and
    the category; with alpha (a Dirichlet prior) it gets the prior's share."""
    df, y = _frame(seed=7)
    new = df.iloc[:3].copy()
    new.loc[new.index[2], "colour"] = "purple"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nb = NaiveBayes().fit(df, y)
    with pytest.raises(ValueError, match=r"row 2 \(column 'colour': value 'purple'\)"):
        nb.predict(new)
    smoothed = NaiveBayes(alpha=1.0).fit(df, y)
    proba = smoothed.predict_proba(new)
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1.0)
    # the colour column's share: 1 / (n_k + (K + 1) * 1) in class k, K the colours seen
    part = [i for i, (_, _, cols) in enumerate(smoothed.density_.estimators)
            if "colour" in [df.columns[c] for c in np.atleast_1d(cols)]][0]
    colour = [d.estimators_[part] for d in smoothed.densities_]
    k_colours = colour[0].categories_[0].size
    for est in colour:
        assert_share = 1.0 / (est.nobs_ + k_colours + 1.0)
        np.testing.assert_allclose(np.exp(est.unseen_log_proba()[0]), assert_share,
                                   rtol=1e-12)


def test_user_guide_page_runs():
    import doctest
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "topics" / "naive_bayes.rst"
    result = doctest.testfile(str(page), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 10
    assert result.failed == 0


def test_capped_gamma_classes_keep_their_digits():
    """One row per class: the Gamma has no MLE (its shape is capped near 1e12), and the
    class log-densities must still add up to loglik_ (the family's matrix form of
    logpdf_rows cancels there)."""
    X, y = np.array([[2.5], [1.0]]), [0, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nb = NaiveBayes().fit(X, y)
    assert nb.column_families_ == {0: "Gamma"}
    np.testing.assert_allclose(nb.log_likelihood(X, y), nb.loglik_, rtol=1e-12)


def test_boolean_columns_are_bernoulli_equal_to_bernoullinb():
    """bool, pandas' nullable boolean and object columns of booleans are 0/1 values:
    the Bernoulli (domain rule), and NaiveBayes(alpha) equals BernoulliNB(alpha) on the
    same columns as 0/1; rank_distributions ranks the discrete 0/1 families there."""
    from sklearn.naive_bayes import BernoulliNB

    from sklearn_mle.model_selection import rank_distributions

    rng = np.random.default_rng(11)
    n = 400
    y = rng.integers(0, 3, n)
    B = rng.uniform(size=(n, 3)) < (0.2 + 0.25 * y)[:, None]
    df = pd.DataFrame({
        "flag": B[:, 0],
        "nullable": pd.array(B[:, 1], dtype="boolean"),
        "objects": np.array([bool(v) for v in B[:, 2]], dtype=object),
    })
    for name in df.columns:
        assert column_domain(df[name]) == "values 0 or 1"
        assert candidate_families(df[name]) == ["Poisson", "NegativeBinomial", "Bernoulli"]
    nb = NaiveBayes(alpha=0.5).fit(df, y)
    assert set(nb.column_families_.values()) == {"Bernoulli"}
    sk = BernoulliNB(alpha=0.5).fit(B.astype(float), y)
    np.testing.assert_allclose(nb.predict_proba(df), sk.predict_proba(B.astype(float)),
                               rtol=1e-10, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ranked = set(rank_distributions(B[:, 0]).family)
    assert "Bernoulli" in ranked and "Categorical" not in ranked
