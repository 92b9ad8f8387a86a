"""The Categorical family (sklearn_mle.families.categorical) and the Dirichlet prior."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from sklearn_mle import CategoricalMLE, MixtureMLE
from sklearn_mle.families import DomainError, Poisson
from sklearn_mle.families._probabilities import probability_covariance
from sklearn_mle.families.categorical import Categorical, CategoryStats
from sklearn_mle.priors import Dirichlet

from ._numerics import central_hessian


def _data(seed=0, n=80):
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.choice([1.0, 2.0, 5.0], n, p=[0.2, 0.5, 0.3]),
                            rng.choice([-1.5, 0.0, 2.5, 9.0], n)])


def _fitted(X, w=None):
    learner = Categorical()
    fam = learner.resolve(learner.stats(X, w))
    s = fam.stats(X, w)
    return fam, s, fam.mode(s)


def test_logpdf_matches_scipy_both_ways():
    X = _data()
    fam, s, params = _fitted(X)
    Xt = _data(seed=1, n=30)
    Xt[0, 1] = 3.0  # not a category of column 1
    lp = fam.logpdf(Xt, params)
    assert lp[0, 1] == -np.inf
    for j, (cats, rv) in enumerate(zip(fam.category_arrays(), fam.to_scipy(params))):
        p = params["probabilities"][j]
        idx = np.searchsorted(cats, Xt[:, j])
        seen = (idx < cats.size) & (cats[np.minimum(idx, cats.size - 1)] == Xt[:, j])
        # to_scipy: on the values (integer categories, column 0), else on the positions
        at = Xt[:, j] if j == 0 else np.minimum(idx, cats.size - 1)
        via = np.where(seen, rv.logpmf(at), -np.inf)
        direct = np.where(seen, stats.rv_discrete(values=(np.arange(cats.size), p)).logpmf(
            np.minimum(idx, cats.size - 1)), -np.inf)
        assert_allclose(lp[:, j], via, rtol=1e-12)
        assert_allclose(lp[:, j], direct, rtol=1e-12)
    # integer categories: to_scipy is on the values themselves
    Xi = np.array([[0.0], [3.0], [3.0], [7.0]])
    fam_i, _, p_i = _fitted(Xi)
    assert_allclose(fam_i.to_scipy(p_i)[0].logpmf([0, 3, 7]), np.log([0.25, 0.5, 0.25]))


def test_mode_is_the_frequencies_and_fixed_seed_fit():
    X = _data(seed=7, n=2000)
    fam, s, params = _fitted(X)
    for j in range(2):
        cats, counts = np.unique(X[:, j], return_counts=True)
        assert_allclose(fam.category_arrays()[j], cats)
        assert_allclose(params["probabilities"][j], counts / counts.sum(), rtol=1e-15)
    # fixed seed: the truth is recovered within sampling error
    assert_allclose(params["probabilities"][0], [0.2, 0.5, 0.3], atol=0.03)
    assert_allclose(params["probabilities"][1], [0.25] * 4, atol=0.03)
    assert params.converged and params.n_iter == 0


@pytest.mark.parametrize("fixed", [None, [np.array([np.nan, 0.4, np.nan]), None]])
def test_information_is_the_numerical_hessian(fixed):
    X = _data()
    fam, s, _ = _fitted(X)
    fx = None if fixed is None else {"probabilities": fixed}
    params = fam.mode(s, fx)
    info = fam.information(s, params, fx)
    cov = fam.covariance(s, params, fx)
    for j, p in enumerate(params["probabilities"]):
        f = np.full(p.size, np.nan) if fixed is None or fixed[j] is None else fixed[j]
        free = np.flatnonzero(np.isnan(f))
        head, last = free[:-1], free[-1]

        def ll(theta, j=j, p=p, head=head, last=last):
            q = p.copy()
            q[head] = theta
            q[last] = p[last] + p[head].sum() - theta.sum()
            probs = [pp.copy() for pp in params["probabilities"]]
            probs[j] = q
            return fam.loglik(s, {"probabilities": probs})[j]

        H = central_hessian(ll, p[head].copy(), 1e-5)
        assert_allclose(info[j], -H, rtol=1e-5)
        assert_allclose(cov[j] @ info[j], np.eye(head.size), atol=1e-10)
    # at the MLE: the multinomial covariance
    p0 = params["probabilities"][1]
    if fixed is None:
        assert_allclose(cov[1], (np.diag(p0[:-1]) - np.outer(p0[:-1], p0[:-1])) / len(X),
                        rtol=1e-12)


def test_stats_add_weights_batch_and_pickle():
    X = _data(n=90)
    A, B = X[:40], X[40:]
    for fam in (Categorical(), Categorical(categories=[[1, 2, 5], [-1.5, 0, 2.5, 9]])):
        both = fam.stats(A) + fam.stats(B)
        whole = fam.stats(X)
        assert both == whole
        again = pickle.loads(pickle.dumps(whole))
        assert again == whole and isinstance(again, CategoryStats)
        assert again.constants == fam.constants
        assert whole.zero_like() + whole == whole
        # (n, k) weights: the same as k separate calls
        W = np.random.default_rng(3).uniform(0, 1, (len(X), 3))
        W[:10, 0] = 0.0
        many = fam.stats(X, W)
        for k in range(3):
            one = fam.align(fam.stats(X, W[:, k]))
            assert_allclose(many[k].count, one.count, rtol=1e-12)
            assert_allclose(many[k].weight, one.weight, rtol=1e-12)
            assert many[k].constants == fam.constants
        with pytest.raises(TypeError, match="within one family"):
            whole + Poisson().stats(np.array([[1.0], [2.0]]))
    learned = Categorical().stats(X)
    fixed = Categorical(categories=[[1, 2, 5], [-1.5, 0, 2.5, 9]]).stats(X)
    with pytest.raises(TypeError, match="constants"):
        learned + fixed
    other = Categorical(categories=[[1, 2, 5, 6], [-1.5, 0, 2.5, 9]])
    with pytest.raises(TypeError, match="constants"):
        fixed + other.stats(X)


def test_map_is_the_mode_of_stats_plus_dirichlet_pseudo_counts():
    X = _data()
    fam, s, _ = _fitted(X)
    for alpha in (3.0, [1.5, 2.0, 4.0, 1.0]):
        prior = Dirichlet(alpha)
        if np.ndim(alpha):  # one value per category only fits column 1 (4 categories)
            with pytest.raises(DomainError, match="4 concentrations does not fit column 0"):
                prior.pseudo_stats(fam, 2)
            continue
        post = s + prior.pseudo_stats(fam, 2)
        mapp = fam.mode(post)
        for j in range(2):
            cats, counts = np.unique(X[:, j], return_counts=True)
            ref = (counts + alpha - 1) / (counts.sum() + (alpha - 1) * cats.size)
            assert_allclose(mapp["probabilities"][j], ref, rtol=1e-14)
        ref_lp = sum(stats.dirichlet.logpdf(p, np.full(p.size, alpha))
                     for p in mapp["probabilities"])
        assert_allclose(fam.log_prior(prior, mapp), ref_lp, rtol=1e-12)
    one = Categorical(categories=[[0, 1, 2, 3]])
    post = one.stats(np.array([[0.0], [1.0], [1.0]])) + Dirichlet([1, 2, 3, 2]).pseudo_stats(one, 1)
    assert_allclose(one.mode(post)["probabilities"][0], np.array([1, 3, 2, 1]) / 7)
    with pytest.raises(DomainError, match="no posterior mode"):
        one.mode(one.stats(np.array([[0.0]])) + Dirichlet(0.5).pseudo_stats(one, 1))
    with pytest.raises(ValueError, match="needs the category set"):
        Dirichlet(2.0).pseudo_stats(Categorical(), 1)


# ----------------------------------- known defect 02: disjoint categories in subsets
def test_fixed_category_set_counts_disjoint_subsets_over_the_same_categories():
    X = np.array([[0.0], [0.0], [1.0], [2.0], [2.0], [2.0]])
    fam = Categorical(categories=[[0, 1, 2]])
    resp = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1]], dtype=float)
    s = fam.stats(X, resp)  # component 0 never sees 2, component 1 only sees 2
    assert_allclose(s[0].count, [2, 1, 0]) and assert_allclose(s[1].count, [0, 0, 3])
    assert s[0].value.tolist() == s[1].value.tolist() == [0.0, 1.0, 2.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = [fam.mode(sk) for sk in s]
    assert_allclose(params[0]["probabilities"][0], [2 / 3, 1 / 3, 0.0])
    assert_allclose(params[1]["probabilities"][0], [0.0, 0.0, 1.0])
    lp = np.column_stack([fam.logpdf(X, p)[:, 0] for p in params])
    assert lp[3, 0] == -np.inf and lp[0, 1] == -np.inf  # zero-probability categories
    assert_allclose(lp[:3, 0], np.log([2 / 3, 2 / 3, 1 / 3]))
    assert_allclose(fam.loglik(s[0], params[0]), [2 * np.log(2 / 3) + np.log(1 / 3)])
    with pytest.warns(Warning, match="on the boundary"):
        fam.mode(s[0])
    # a value outside the fixed set breaks the family's domain (not an IndexError)
    with pytest.raises(DomainError, match="not one of the column's categories") as err:
        fam.stats(np.array([[0.0], [4.0]]), resp[:2])
    assert (err.value.column, err.value.row, err.value.value) == (0, 1, 4.0)
    # a learning family's statistics re-expressed over the set: zero counts filled in
    learned = Categorical().stats(np.array([[2.0], [0.0]]))
    assert_allclose(fam.align(learned).count, [1, 0, 1])
    assert Categorical().stats(X, resp)[0].count.tolist() == [2, 1, 0]


def test_mixture_of_categoricals_with_disjoint_clusters_fits():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, (100, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mix = MixtureMLE(CategoricalMLE(), n_components=2, random_state=0).fit(X)
    assert np.isfinite(mix.loglik_)
    for c in mix.components_:
        assert c.categories_[0].tolist() == [0.0, 1.0, 2.0]
        assert_allclose(np.sum(c.probabilities_[0]), 1.0)


def test_estimator_family_is_the_fixed_category_set():
    X = _data()
    est = CategoricalMLE().fit(X)
    assert est.family_ == Categorical(categories=est.categories_)
    assert est.stats_.constants == est.family_.constants
    # statistics of a weighted subset that misses a category: a component fit over the
    # same categories, zero probability where it saw nothing
    w = (X[:, 0] != 5.0).astype(float)
    part = est.from_stats(est.family_.stats(X, w))
    assert part.categories_[0].tolist() == [1.0, 2.0, 5.0]
    assert part.probabilities_[0][2] == 0.0
    assert part.score_samples(np.array([[5.0, 0.0]]))[0] == -np.inf
    more = est.family_.stats(X[:5])
    assert_allclose(est.from_stats(est.stats_ + more).nobs_, len(X) + 5)


# ------------------------------------------------ known defect 18 and the Dirichlet
def test_scalar_fixed_probabilities_is_a_clear_error():
    X = np.random.default_rng(0).integers(0, 3, (30, 1))
    with pytest.raises(ValueError, match="probabilities needs, per column, an array"):
        CategoricalMLE(fixed_params={"probabilities": 0.3}).fit(X)
    with pytest.raises(ValueError, match="must be numbers"):
        CategoricalMLE(fixed_params={"probabilities": [["a", "b", "c"]]}).fit(X)


def test_dirichlet_of_the_wrong_length_is_a_clear_error():
    X = np.random.default_rng(0).integers(0, 3, (30, 1))
    with pytest.raises(ValueError, match="CategoricalMLE: a Dirichlet prior with 4 "
                                         "concentrations does not fit column 0, which has 3"):
        CategoricalMLE(prior=Dirichlet([2.0, 2.0, 2.0, 2.0])).fit(X)
    est = CategoricalMLE(prior=Dirichlet([2.0, 3.0, 2.0])).fit(X)
    counts = np.bincount(X[:, 0])
    assert_allclose(est.probabilities_[0], (counts + [1, 2, 1]) / (30 + 4))
    with pytest.raises(ValueError, match="alpha has 2 concentrations but there are 3"):
        Dirichlet([1.0, 2.0]).concentrations(3)
    with pytest.raises(ValueError, match="alpha has 2 concentrations"):
        Dirichlet([1.0, 2.0]).logpdf([0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="alpha must be finite and > 0 .a number or a "
                                         "non-empty 1-D array"):
        Dirichlet(np.ones((2, 2)))
    assert_allclose(Dirichlet(2.0).pseudo_counts(3), [1.0, 1.0, 1.0])


def test_text_categories_and_fixed_set_checks():
    fam = Categorical(categories=[["red", "blue"], [1, 2]])
    assert fam.categories == (("blue", "red"), (1.0, 2.0))
    X = np.array([["red", 1.0], ["blue", 2.0], ["red", 2.0]], dtype=object)
    s = fam.stats(X)
    assert_allclose(fam.counts(s)[0], [1, 2]) and assert_allclose(fam.counts(s)[1], [1, 2])
    p = fam.mode(s)
    assert_allclose(fam.logpdf(np.array([["pink", 1.0]], dtype=object), p)[0],
                    [-np.inf, np.log(1 / 3)])
    draws = fam.sample(p, 50, np.random.default_rng(0))
    assert draws.dtype == object and set(draws[:, 0]) <= {"red", "blue"}
    with pytest.raises(DomainError, match="categories must be finite"):
        Categorical(categories=[[0, 1]]).stats(np.array([[0.0], [np.nan]]))
    with pytest.raises(ValueError, match="all numbers or all strings"):
        Categorical(categories=[["a", 1]])
    with pytest.raises(ValueError, match="needs the category set"):
        Categorical().logpdf(X, p)
    assert repr(Categorical()) == "Categorical()"
    assert "categories=" in repr(fam)


def test_covariance_helper_singular_and_regular():
    assert probability_covariance([2.0, 0.0, 1.0], [2 / 3, 0.0, 1 / 3]) is None
    c = probability_covariance([2.0, 1.0, 1.0], [0.5, 0.25, 0.25])
    q = np.array([0.5, 0.25])
    assert_allclose(c, (np.diag(q) - np.outer(q, q)) / 4, rtol=1e-14)


# ------------------------------------- batched statistics and row log-densities
def _counts_by_hand(X, W, cats):
    """Weighted counts of each (component, column, category) by comparison loops."""
    return [[np.array([float(np.sum(W[:, j] * (X[:, c] == v))) for v in cats[c]])
             for c in range(X.shape[1])] for j in range(W.shape[1])]


@pytest.mark.parametrize("weights", ["labels", "weighted labels", "soft"])
@pytest.mark.parametrize("kind", ["codes", "search", "text"])
def test_batched_stats_by_bincount_equal_counts_by_hand(weights, kind):
    rng = np.random.default_rng(7)
    n = 3000
    X = rng.integers(0, 4, (n, 3)).astype(float)
    if kind == "search":
        X[:, 2] *= 2.5  # categories 0, 2.5, 5, 7.5: not their positions
    if kind == "text":
        X = np.array(["abcd"[int(v)] for v in X.ravel()], dtype=object).reshape(n, 3)
    y = rng.integers(0, 3, n)
    if weights == "soft":
        W = rng.dirichlet(np.ones(3), n)
    else:
        W = np.zeros((n, 3))
        W[np.arange(n), y] = 1.0 if weights == "labels" else rng.uniform(0.5, 2.0, n)
    W[5] = 0.0  # a row of no component
    fam = Categorical().resolve(Categorical().stats(X))
    cats = fam.category_arrays()
    want = _counts_by_hand(X, W, cats)
    got = fam.stats(X, W)
    for j, s in enumerate(got):
        assert_allclose(s.weight, np.full(3, W[:, j].sum()), rtol=1e-12)
        for counts, ref in zip(fam.counts(s), want[j]):
            assert_allclose(counts, ref, rtol=1e-12, atol=1e-12)
    # one column of weights, and unit weights: the same counts
    one = fam.stats(X, W[:, 1])
    for a, b in zip(fam.counts(one), fam.counts(got[1])):
        assert_allclose(a, b, rtol=1e-12)
    unit = fam.stats(X)
    for c, counts in enumerate(fam.counts(unit)):
        assert_allclose(counts, [np.sum(X[:, c] == v) for v in cats[c]])


def test_batched_stats_refuse_a_value_outside_the_set_naming_the_row():
    fam = Categorical(categories=[[0, 1, 2]])
    X = np.array([[0.0], [1.0], [7.0]])
    W = np.eye(3)
    with pytest.raises(DomainError, match="row 2"):
        fam.stats(X, W)


@pytest.mark.parametrize("kind", ["codes", "search", "text"])
def test_logpdf_rows_by_table_indexing_equals_scipy(kind):
    rng = np.random.default_rng(8)
    X = rng.integers(0, 4, (400, 3)).astype(float)
    if kind == "search":
        X[:, 1] = X[:, 1] * 2.5 - 1.0
    if kind == "text":
        X = np.array(["wxyz"[int(v)] for v in X.ravel()], dtype=object).reshape(400, 3)
    fam = Categorical().resolve(Categorical().stats(X))
    W = rng.dirichlet(np.ones(4), 400)
    params = [fam.mode(s) for s in fam.stats(X, W)]
    params[2]["probabilities"][0] = np.array([0.5, 0.5, 0.0, 0.0])  # zero probabilities
    Xt = X[:60].copy()
    Xt[0, 1] = 9.5 if kind != "text" else "q"  # not a category: -inf under every component
    got = fam.logpdf_rows(Xt, params)
    cats = fam.category_arrays()
    want = np.zeros((60, 4))
    for j, p in enumerate(params):
        for c in range(3):
            # the category's position, then scipy's categorical (multinomial, 1 trial)
            for i in range(60):
                hit = np.flatnonzero(cats[c] == Xt[i, c])
                if hit.size == 0:
                    want[i, j] += -np.inf
                    continue
                onehot = np.zeros(cats[c].size)
                onehot[hit[0]] = 1.0
                want[i, j] += stats.multinomial(1, p["probabilities"][c]).logpmf(onehot)
    assert np.isneginf(got[0]).all()
    assert_allclose(got, want, rtol=1e-12)
    # the protocol's generic form (the columns' logpdf summed) gives the same
    from sklearn_mle.families import Family

    assert_allclose(got, Family.logpdf_rows(fam, Xt, params), rtol=1e-12)
    # the old naive Bayes path: a sparse one-hot of the codes times the (categories, k)
    # table of log-probabilities (rows with a zero probability or a stranger: -inf)
    from scipy import sparse

    idx, bad = fam.codes(Xt)
    total = sum(c.size for c in cats)
    onehot = sparse.csr_matrix((np.ones(idx.size), idx.ravel(),
                                np.arange(0, idx.size + 1, 3)), shape=(60, total))
    with np.errstate(divide="ignore"):
        table = np.stack([np.log(np.concatenate(p["probabilities"])) for p in params], 1)
    old = np.asarray(onehot @ np.where(np.isfinite(table), table, 0.0))
    old[np.asarray(onehot @ (~np.isfinite(table)).astype(float)) > 0] = -np.inf
    old[bad.any(axis=1)] = -np.inf
    assert_allclose(got, old, rtol=1e-12)
    # unseen: a value outside the set gets the given log-probability instead of -inf
    unseen = np.log(np.full((4, 3), 0.01))
    lifted = fam.logpdf_rows(Xt, params, unseen=unseen)
    row0 = np.zeros(4)
    with np.errstate(divide="ignore"):
        for j, p in enumerate(params):
            row0[j] = np.log(0.01) + sum(
                np.log(p["probabilities"][c][np.flatnonzero(cats[c] == Xt[0, c])[0]])
                for c in (0, 2))
    assert_allclose(lifted[0], row0, rtol=1e-12)
    assert_allclose(lifted[1:], got[1:], rtol=1e-12)
