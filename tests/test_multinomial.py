"""MultinomialMLE and the Multinomial family (sklearn_mle.families.multinomial)."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.naive_bayes import MultinomialNB

from sklearn_mle import MultinomialMLE
from sklearn_mle.exceptions import BoundaryWarning
from sklearn_mle.families import DomainError, Poisson
from sklearn_mle.families.multinomial import Multinomial, MultinomialStats
from sklearn_mle.priors import Dirichlet, Gamma

from ._numerics import central_hessian

P = np.array([0.1, 0.2, 0.3, 0.4])


def _counts(seed=0, n=200, p=P):
    rng = np.random.default_rng(seed)
    totals = rng.integers(0, 30, n)
    return np.stack([rng.multinomial(t, p) for t in totals]).astype(float)


def test_logpmf_matches_scipy_with_varying_totals():
    X = _counts()
    est = MultinomialMLE().fit(X)
    p = est.probabilities_
    ref = stats.multinomial.logpmf(X, X.sum(axis=1), p)
    assert_allclose(est.score_samples(X), ref, rtol=1e-12)
    assert_allclose(est.loglik_, ref.sum(), rtol=1e-12)
    fam = est.family_
    assert_allclose(fam.logpdf(X, est.params_)[:, 0], ref, rtol=1e-12)
    row = X[3]
    assert_allclose(fam.to_scipy(est.params_, n_trials=row.sum())[0].logpmf(row), ref[3],
                    rtol=1e-12)
    # off the support: -inf, not NaN
    bad = np.array([[1.0, -1.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.0]])
    assert np.all(est.score_samples(bad) == -np.inf)
    assert est.score_samples(np.zeros((1, 4)))[0] == 0.0  # no trials: probability 1


def test_mle_inference_and_fixed_seed_fit():
    X = _counts(seed=1, n=3000)
    est = MultinomialMLE().fit(X)
    N = X.sum()
    assert_allclose(est.probabilities_, X.sum(axis=0) / N, rtol=1e-14)
    assert_allclose(est.probabilities_, P, atol=0.01)
    q = est.probabilities_[:-1]
    assert_allclose(est.cov_params_, (np.diag(q) - np.outer(q, q)) / N, rtol=1e-12)
    assert est.param_names_ == ["p[x0]", "p[x1]", "p[x2]"] and est.n_params_ == 3
    assert est.nobs_ == 3000
    s = str(est.summary())
    assert "MultinomialMLE" in s and "p[x2]" in s
    ci = est.conf_int(method="profile")
    assert np.all(ci[:, 0] < q) and np.all(q < ci[:, 1])
    assert_allclose(ci, est.conf_int(), atol=3e-3)  # large N: profile ~ Wald


def test_family_information_is_the_numerical_hessian():
    X = _counts(seed=2, n=50)
    fam = Multinomial()
    s = fam.stats(X)
    for fixed in (None, {"probabilities": np.array([np.nan, 0.25, np.nan, np.nan])}):
        params = fam.mode(s, fixed)
        p = params["probabilities"]
        free = np.flatnonzero(np.isnan(fixed["probabilities"])) if fixed else np.arange(4)
        head, last = free[:-1], free[-1]

        def ll(theta, p=p, head=head, last=last):
            q = p.copy()
            q[head] = theta
            q[last] = p[last] + p[head].sum() - theta.sum()
            return fam.loglik(s, {"probabilities": q})[0]

        info = fam.information(s, params, fixed)
        assert_allclose(info, -central_hessian(ll, p[head].copy(), 1e-5), rtol=1e-5)
        assert_allclose(fam.covariance(s, params, fixed) @ info, np.eye(head.size),
                        atol=1e-10)
    assert params.converged and params.n_iter == 0


def test_stats_add_batch_weights_and_pickle():
    X = _counts(seed=3, n=120)
    fam = Multinomial()
    whole = fam.stats(X)
    both = fam.stats(X[:50]) + fam.stats(X[50:])
    for k in ("weight", "counts", "total_value", "total_weight"):
        assert_allclose(getattr(both, k), getattr(whole, k), rtol=1e-12)
    assert_allclose(both.log_coef, whole.log_coef, rtol=1e-12)
    assert whole.zero_like() + whole == whole
    again = pickle.loads(pickle.dumps(whole))
    assert again == whole and isinstance(again, MultinomialStats)
    W = np.random.default_rng(4).uniform(0, 1, (len(X), 3))
    many = fam.stats(X, W)
    for k in range(3):
        one = fam.stats(X, W[:, k])
        for f in ("weight", "counts", "log_coef", "total_value", "total_weight"):
            assert_allclose(getattr(many[k], f), getattr(one, f), rtol=1e-12)
    assert_allclose(many[0].counts, W[:, 0] @ X, rtol=1e-12)
    with pytest.raises(TypeError, match="within one family"):
        whole + Poisson().stats(np.array([[1.0], [2.0]]))
    with pytest.raises(DomainError, match="non-negative integers"):
        fam.stats(np.array([[1.0, 2.5]]))


def test_weights_partial_fit_and_sampling():
    X = _counts(seed=5, n=100)
    w = np.random.default_rng(6).integers(0, 3, len(X))
    a = MultinomialMLE().fit(X, sample_weight=w)
    b = MultinomialMLE().fit(np.repeat(X, w, axis=0))
    assert_allclose(a.probabilities_, b.probabilities_, rtol=1e-12)
    assert_allclose(a.loglik_, b.loglik_, rtol=1e-12)
    assert_allclose(a.bse_, b.bse_, rtol=1e-12)
    part = MultinomialMLE().partial_fit(X[:30]).partial_fit(X[30:])
    full = MultinomialMLE().fit(X)
    assert_allclose(part.probabilities_, full.probabilities_, rtol=1e-12)
    assert_allclose(part.cov_params_, full.cov_params_, rtol=1e-12)
    assert_allclose(part.stats_.total_weight, full.stats_.total_weight)
    draws = full.sample(4000, random_state=0, n_trials=12)
    assert np.all(draws.sum(axis=1) == 12)
    assert_allclose(draws.sum(axis=0) / draws.sum(), full.probabilities_, atol=0.01)
    given = full.sample(3, random_state=0, n_trials=[0, 5, 7])
    assert given.sum(axis=1).tolist() == [0, 5, 7]
    # no n_trials: the training row totals, resampled with their weights
    drawn = a.sample(2000, random_state=1).sum(axis=1)
    seen = set(X[w > 0].sum(axis=1).tolist())
    assert set(drawn.tolist()) <= seen
    with pytest.raises(ValueError, match="one per sample"):
        full.sample(3, n_trials=[1, 2])


def test_dirichlet_map_and_multinomial_nb():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 3, 150)
    probs = np.array([[0.5, 0.2, 0.2, 0.1, 0.0], [0.1, 0.1, 0.2, 0.3, 0.3],
                      [0.2, 0.2, 0.2, 0.2, 0.2]])
    X = np.stack([rng.multinomial(rng.integers(1, 20), probs[c]) for c in y]).astype(float)
    alpha = 0.7
    nb = MultinomialNB(alpha=alpha).fit(X, y)
    prior = Dirichlet(alpha + 1.0)
    fam = Multinomial()
    onehot = np.eye(3)[y]
    per_class = fam.stats(X, onehot)  # all classes in one matrix product
    for c in range(3):
        mapp = fam.mode(per_class[c] + prior.pseudo_stats(fam, 5))
        assert_allclose(np.log(mapp["probabilities"]), nb.feature_log_prob_[c], rtol=1e-12)
        est = MultinomialMLE(prior=prior).fit(X[y == c])
        assert_allclose(np.log(est.probabilities_), nb.feature_log_prob_[c], rtol=1e-12)
    # hand formula and the log-posterior
    est = MultinomialMLE(prior=Dirichlet([2.0, 1.0, 3.0, 1.0, 1.5])).fit(X)
    tot = X.sum(axis=0) + [1.0, 0.0, 2.0, 0.0, 0.5]
    assert_allclose(est.probabilities_, tot / tot.sum(), rtol=1e-14)
    p = est.probabilities_
    ref = (stats.multinomial.logpmf(X, X.sum(axis=1), p).sum()
           + stats.dirichlet.logpdf(p, [2.0, 1.0, 3.0, 1.0, 1.5]))
    assert_allclose(est.loglik_, ref, rtol=1e-12)
    with pytest.raises(ValueError, match="MultinomialMLE: a Dirichlet prior with 3 "
                                         "concentrations does not fit 5"):
        MultinomialMLE(prior=Dirichlet([2.0, 2.0, 2.0])).fit(X)
    with pytest.raises(ValueError, match="supported priors: Dirichlet"):
        MultinomialMLE(prior=Gamma(2.0)).fit(X)
    with pytest.raises(ValueError, match="no posterior mode"):
        MultinomialMLE(prior=Dirichlet(0.5)).fit(X[:, [0, 1]] * 0 + [[1, 0]])


def test_fixed_params_boundaries_and_errors():
    X = _counts(seed=8, n=60)
    est = MultinomialMLE(fixed_params={"probabilities": [0.25, np.nan, np.nan, np.nan]}).fit(X)
    rest = X.sum(axis=0)[1:]
    assert_allclose(est.probabilities_, [0.25, *(0.75 * rest / rest.sum())], rtol=1e-14)
    assert est.param_names_ == ["p[x1]", "p[x2]"]
    with pytest.raises(ValueError, match="must sum to 1"):
        MultinomialMLE(fixed_params={"probabilities": 0.3}).fit(X)
    with pytest.raises(ValueError, match="leaving nothing"):
        MultinomialMLE(fixed_params={"probabilities": [0.6, 0.5, np.nan, np.nan]}).fit(X)
    with pytest.raises(ValueError, match="unknown parameter"):
        MultinomialMLE(fixed_params={"p": [0.25] * 4}).fit(X)
    with pytest.raises(ValueError, match="column 1 has value -1.0 at row 0; Negative"):
        MultinomialMLE().fit([[1.0, -1.0], [2.0, 2.0]])
    with pytest.raises(ValueError, match="NaN"):
        MultinomialMLE().fit([[1.0, np.nan], [2.0, 2.0]])
    # a category never seen: probability 0 on the boundary, said in words; no NaN
    Z = X.copy()
    Z[:, 2] = 0
    with pytest.warns(BoundaryWarning, match="on the boundary"):
        zero = MultinomialMLE().fit(Z)
    assert zero.probabilities_[2] == 0.0 and np.isfinite(zero.loglik_)
    assert not np.any(np.isnan(zero.bse_))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MultinomialMLE(prior=Dirichlet(2.0)).fit(Z)  # the prior keeps it interior


def test_feature_names_and_from_stats():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(_counts(seed=9, n=40)[:, :3], columns=["a", "b", "c"])
    est = MultinomialMLE().fit(X)
    assert est.param_names_ == ["p[a]", "p[b]"]
    more = est.family_.stats(X.to_numpy()[:10])
    both = est.from_stats(est.stats_ + more)
    assert_allclose(both.probabilities_, (X.sum().to_numpy() + X[:10].sum().to_numpy())
                    / (X.to_numpy().sum() + X[:10].to_numpy().sum()), rtol=1e-14)


# ------------------------------------- batched statistics and row log-densities
@pytest.mark.parametrize("weights", ["labels", "soft", "none"])
@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.float32])
def test_batched_stats_equal_sums_by_hand(weights, dtype):
    """One pass (one W.T @ X per block, the rows' totals and log-factorials from the
    compiled pass) equals the sums written out with scipy's gammaln."""
    from scipy import special

    rng = np.random.default_rng(3)
    n = 20000
    X = rng.poisson(2.0, (n, 6)).astype(dtype)
    X[7] = 0  # a row with total 0
    X[8, 0] = 5000  # beyond the log-factorial table
    if weights == "labels":
        W = np.zeros((n, 3))
        W[np.arange(n), rng.integers(0, 3, n)] = rng.uniform(0.5, 2.0, n)
    elif weights == "soft":
        W = rng.dirichlet(np.ones(3), n)
    else:
        W = np.ones((n, 1))
    fam = Multinomial()
    got = fam.stats(X, None if weights == "none" else W)
    got = (got,) if weights == "none" else got
    Xf = X.astype(np.float64)
    totals = Xf.sum(axis=1)
    lc = special.gammaln(totals + 1) - special.gammaln(Xf + 1).sum(axis=1)
    for j, s in enumerate(got):
        w = W[:, j]
        assert_allclose(s.counts, (w[:, None] * Xf).sum(axis=0), rtol=1e-12)
        assert_allclose(s.weight, np.full(6, w.sum()), rtol=1e-12)
        assert_allclose(float(s.log_coef), float(np.sum(w * lc)), rtol=1e-12)
        uniq = np.unique(totals[w > 0])
        assert_allclose(s.total_value, uniq)
        assert_allclose(s.total_weight, [w[totals == u].sum() for u in uniq], rtol=1e-12)


def test_batched_stats_refuse_bad_counts_naming_the_row():
    X = np.ones((10000, 3))
    X[6789, 1] = 2.5
    with pytest.raises(DomainError, match="row 6789"):
        Multinomial().stats(X, np.ones((10000, 2)))


def test_logpdf_rows_one_gemm_equals_scipy():
    from sklearn_mle.families import Family

    rng = np.random.default_rng(4)
    X = rng.poisson(1.5, (300, 5)).astype(float)
    P = [rng.dirichlet(np.ones(5)) for _ in range(3)]
    P.append(np.array([0.5, 0.5, 0.0, 0.0, 0.0]))  # zero probabilities
    params = [{"probabilities": p} for p in P]
    X[0] = [1.0, 0.5, 0, 0, 0]  # not counts: -inf
    got = Multinomial().logpdf_rows(X, params)
    want = np.array([[stats.multinomial(int(x.sum()), p).logpmf(x) if i else -np.inf
                      for p in P] for i, x in enumerate(X)])
    assert_allclose(got, want, rtol=1e-12)
    assert_allclose(got, Family.logpdf_rows(Multinomial(), X, params), rtol=1e-12)
