"""Contracts every distribution estimator and family keeps, over the registry.

The estimators are discovered from ``sklearn_mle.__all__`` (``tests/_registry.py``);
``VALID_DATA`` gives each one data in its domain, and a test fails when a new public
distribution estimator has none, so nothing escapes these checks by omission.

- ``partial_fit`` over batches == ``fit`` on their concatenation;
- integer sample weights == repeated rows;
- ``score(X) * n == sum(score_samples(X)) == loglik_`` (MLE);
- a flat conjugate prior gives the MLE (MAP == MLE);
- statistics add: ``stats(A) + stats(B) == stats(A u B)``; they pickle; adding another
  family's statistics raises ``TypeError``;
- EM never decreases its objective, for a mixture of every family, with and
  without every prior the family supports.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone

import sklearn_mle
import sklearn_mle.priors
from sklearn_mle import MixtureMLE
from sklearn_mle.distributions import DistributionMLE
from sklearn_mle.priors import Beta, Dirichlet, Gamma, NormalInverseGamma

from ._registry import public_estimator_classes

_rng = np.random.default_rng(20261202)

VALID_DATA = {
    "GaussianMLE": lambda r: r.normal([1.0, -2.0], [1.0, 3.0], size=(80, 2)),
    "PoissonMLE": lambda r: r.poisson([2.0, 7.0], size=(80, 2)).astype(float),
    "BernoulliMLE": lambda r: (r.random((80, 2)) < [0.3, 0.6]).astype(float),
    "BinomialMLE": lambda r: r.binomial(10, [0.2, 0.7], size=(80, 2)).astype(float),
    "CategoricalMLE": lambda r: r.integers(0, 4, size=(80, 2)).astype(float),
    "MultinomialMLE": lambda r: r.multinomial(12, [0.2, 0.3, 0.5], size=80).astype(float),
    "ExponentialMLE": lambda r: r.exponential([1.0, 3.0], size=(80, 2)),
    "GeometricMLE": lambda r: r.geometric([0.3, 0.6], size=(80, 2)).astype(float),
    "LogNormalMLE": lambda r: r.lognormal([0.0, 1.0], [0.5, 1.0], size=(80, 2)),
    "GammaMLE": lambda r: r.gamma([2.0, 5.0], [1.0, 0.5], size=(80, 2)),
    "BetaMLE": lambda r: r.beta([2.0, 5.0], [3.0, 1.5], size=(80, 2)),
    "WeibullMLE": lambda r: r.weibull([1.5, 3.0], size=(80, 2)) * [2.0, 1.0],
    "NegativeBinomialMLE": lambda r: r.negative_binomial([3, 8], [0.4, 0.6],
                                                         size=(80, 2)).astype(float),
    "StudentTMLE": lambda r: r.standard_t([3.0, 6.0], size=(80, 2)) * [1.0, 2.0] + [0, 5],
}

# a flat (or vanishingly weak) conjugate prior of each kind: MAP must equal the MLE
FLAT_PRIORS = {
    Gamma: Gamma(1.0, 0.0),
    Beta: Beta(1.0, 1.0),
    Dirichlet: Dirichlet(1.0),
    NormalInverseGamma: NormalInverseGamma(kappa=1e-12, alpha=1e-12, beta=1e-12),
}

# informative priors for the EM objective checks
INFORMATIVE_PRIORS = {
    Gamma: Gamma(3.0, 2.0),
    Beta: Beta(2.0, 3.0),
    Dirichlet: Dirichlet(2.0),
    NormalInverseGamma: NormalInverseGamma(),
}

DISTRIBUTIONS = [c for c in public_estimator_classes() if issubclass(c, DistributionMLE)]

# settings a family needs for its contracts (a known number of trials: partial_fit over
# batches cannot change it, while n_trials=None estimates it from each fit's data)
SETTINGS = {"BinomialMLE": {"n_trials": 10}}


def _make(cls, **kw):
    return cls(**{**SETTINGS.get(cls.__name__, {}), **kw})


def _data(cls, seed=0):
    return VALID_DATA[cls.__name__](np.random.default_rng(seed))


def _fit(est, X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, **kw)


def _supported_priors(cls):
    return [p for p in FLAT_PRIORS if p in getattr(cls, "_supported_priors", ())]


def _ids(classes):
    return [c.__name__ for c in classes]


def test_every_distribution_estimator_has_valid_data():
    missing = sorted(c.__name__ for c in DISTRIBUTIONS if c.__name__ not in VALID_DATA)
    assert not missing, f"add data in the domain of {missing} to VALID_DATA"


@pytest.mark.parametrize("cls", DISTRIBUTIONS, ids=_ids(DISTRIBUTIONS))
def test_score_and_loglik_agree(cls):
    X = _data(cls)
    est = _fit(_make(cls), X)
    s = est.score_samples(X)
    assert_allclose(s.sum(), est.loglik_, rtol=1e-9)
    assert_allclose(est.score(X) * X.shape[0], est.loglik_, rtol=1e-9)
    assert est.n_params_ == len(est.param_names_) == est.estimates_.size
    assert est.pvalues_.shape == est.bse_.shape


@pytest.mark.parametrize("cls", DISTRIBUTIONS, ids=_ids(DISTRIBUTIONS))
def test_integer_weights_equal_repeated_rows(cls):
    X = _data(cls, seed=1)
    counts = np.random.default_rng(2).integers(0, 4, X.shape[0])
    counts[:3] = 1  # every category/value seen at least by the first rows
    weighted = _fit(_make(cls), X, sample_weight=counts.astype(float))
    repeated = _fit(_make(cls), np.repeat(X, counts, axis=0))
    assert_allclose(weighted.estimates_, repeated.estimates_, rtol=1e-6, atol=1e-9)
    assert_allclose(weighted.loglik_, repeated.loglik_, rtol=1e-7)
    assert_allclose(weighted.bse_, repeated.bse_, rtol=1e-5)


PARTIAL = [c for c in DISTRIBUTIONS if hasattr(c, "partial_fit")]


@pytest.mark.parametrize("cls", PARTIAL, ids=_ids(PARTIAL))
def test_partial_fit_equals_fit(cls):
    X = _data(cls, seed=3)
    whole = _fit(_make(cls), X)
    part = _make(cls)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for chunk in np.array_split(X, 3):
            part.partial_fit(chunk)
    assert_allclose(part.estimates_, whole.estimates_, rtol=1e-10, atol=1e-12)
    assert_allclose(part.loglik_, whole.loglik_, rtol=1e-10)


PRIOR_CASES = [(c, p) for c in DISTRIBUTIONS for p in _supported_priors(c)]


@pytest.mark.parametrize("cls, prior_cls", PRIOR_CASES,
                         ids=[f"{c.__name__}-{p.__name__}" for c, p in PRIOR_CASES])
def test_flat_prior_map_equals_mle(cls, prior_cls):
    X = _data(cls, seed=4)
    mle = _fit(_make(cls), X)
    kw = {"covariance_type": "diag"} if cls.__name__ == "GaussianMLE" else {}
    if kw:
        mle = _fit(_make(cls, **kw), X)
    map_ = _fit(_make(cls, prior=FLAT_PRIORS[prior_cls], **kw), X)
    if prior_cls is NormalInverseGamma:
        # the joint posterior mode divides the variance by n + 2 alpha + 3, never n (the
        # sigma^-1 of the mean's prior and the inverse gamma's +1): only the means match
        assert_allclose(map_.mean_, mle.mean_, rtol=1e-8)
        return
    assert_allclose(map_.estimates_, mle.estimates_, rtol=1e-8, atol=1e-10)


FINITE = [c for c in DISTRIBUTIONS if hasattr(c, "partial_fit")]


@pytest.mark.parametrize("cls", FINITE, ids=_ids(FINITE))
def test_family_statistics_add_and_pickle(cls):
    X = _data(cls, seed=5)
    est = _fit(_make(cls), X)
    fam = est.family_
    assert fam is not None, f"{cls.__name__} is not built on a family yet"
    a, b = fam.stats(X[:30]), fam.stats(X[30:])
    whole = fam.stats(X)
    assert_allclose(fam.mode(a + b)[fam.param_names[0]],
                    fam.mode(whole)[fam.param_names[0]], rtol=1e-12)
    again = pickle.loads(pickle.dumps(whole))
    assert again == whole and again.family == whole.family
    # k components' statistics in one call equal k separate calls
    W = np.random.default_rng(6).random((X.shape[0], 2))
    both = fam.stats(X, W)
    for j in range(2):
        single = fam.stats(X, W[:, j])
        for name, value in single.fields().items():
            assert_allclose(getattr(both[j], name), value, rtol=1e-10, atol=1e-12)


def test_statistics_of_different_families_refuse_to_add():
    pois = _fit(sklearn_mle.PoissonMLE(), _data(sklearn_mle.PoissonMLE))
    for other in DISTRIBUTIONS:
        if other is sklearn_mle.PoissonMLE or not hasattr(other, "partial_fit"):
            continue
        est = _fit(_make(other), _data(other))
        with pytest.raises(TypeError, match="cannot add statistics"):
            pois.stats_ + est.stats_


EM_CASES = [(c, None) for c in DISTRIBUTIONS] + [
    (c, p) for c in DISTRIBUTIONS for p in INFORMATIVE_PRIORS
    if p in getattr(c, "_supported_priors", ())
]


@pytest.mark.parametrize("cls, prior_cls", EM_CASES,
                         ids=[f"{c.__name__}-{getattr(p, '__name__', 'MLE')}"
                              for c, p in EM_CASES])
def test_em_objective_never_decreases(cls, prior_cls):
    X = _data(cls, seed=7)
    kw = {"covariance_type": "diag"} if cls.__name__ == "GaussianMLE" else {}
    comp = _make(cls, prior=None if prior_cls is None else clone(INFORMATIVE_PRIORS[prior_cls]),
                 **kw)
    mix = _fit(MixtureMLE(comp, n_components=2, random_state=0, tol=0.0, max_iter=25), X)
    lb = np.asarray(mix.lower_bounds_)
    steps = np.diff(lb)
    assert np.all(steps >= -1e-9 * np.maximum(1.0, np.abs(lb[1:]))), steps.min()
    assert np.isfinite(mix.loglik_)


def test_categorical_mixture_with_disjoint_categories():
    # clusters that see disjoint categories: each component gives the others'
    # categories probability 0 (no IndexError; the known defect 02)
    X = np.concatenate([np.zeros(50), np.ones(50), np.full(50, 2.0)])[:, None]
    mix = _fit(MixtureMLE(sklearn_mle.CategoricalMLE(), n_components=2, random_state=0), X)
    assert np.isfinite(mix.loglik_)
    assert_allclose(mix.predict_proba(X).sum(axis=1), 1.0)
    assert_allclose(np.exp(mix.score_samples(np.array([[0.0], [1.0], [2.0]]))).sum(), 1.0,
                    rtol=1e-9)


def test_wald_intervals_are_cut_at_the_parameter_bounds():
    # a Poisson rate near 0: estimate - 1.96 SE would be negative
    est = _fit(sklearn_mle.PoissonMLE(), np.array([[0.0]] * 19 + [[1.0]]))
    lo, hi = est.conf_int()[0]
    assert lo == 0.0 and hi > est.rate_[0]


@pytest.mark.parametrize("cls", DISTRIBUTIONS, ids=_ids(DISTRIBUTIONS))
def test_k_component_row_densities_equal_one_at_a_time(cls):
    # a family's logpdf_rows (what every E-step calls; several families compute the k
    # components in a few matrix products) equals the per-component log-densities
    from sklearn_mle.families import Family

    X = _data(cls, seed=8)
    a, b = _fit(_make(cls), X), _fit(_make(cls), _data(cls, seed=9))
    params = [a.params_, b.params_]
    fam = a.family_
    if isinstance(fam.constants, tuple) and b.family_ != fam:
        params = [a.params_]  # families whose constants come from the data (categories)
    fast, slow = fam.logpdf_rows(X, params), Family.logpdf_rows(fam, X, params)
    assert np.array_equal(np.isfinite(fast), np.isfinite(slow))
    finite = np.isfinite(slow)
    assert_allclose(fast[finite], slow[finite], rtol=1e-10, atol=1e-12)


# ------------------------------------------------------- priors validate when built
PRIORS = [getattr(sklearn_mle.priors, n) for n in sklearn_mle.priors.__all__
          if getattr(getattr(sklearn_mle.priors, n), "hyper_constraints", None)]


def _bad_values(rule):
    """Values that break ``rule`` (a priors._base.Hyper)."""
    out = [np.nan, np.inf, "a", [], True] + ([] if rule.optional else [None])
    if rule.sign == "positive":
        out += [0.0, -1.0]
    if rule.sign == "nonnegative":
        out += [-1e-300]
    if rule.shape == "scalar":
        out += [[1.0, 2.0]]
    if rule.shape in ("scalar", "vector"):
        out += [np.ones((2, 2))]
    return out


@pytest.mark.parametrize("cls", PRIORS, ids=[c.__name__ for c in PRIORS])
def test_priors_check_their_hyper_parameters_when_built(cls):
    for name, rule in cls.hyper_constraints.items():
        for bad in _bad_values(rule):
            with pytest.raises(ValueError, match=f"{cls.__name__}: hyper-parameter {name} "
                                                 f"must be"):
                cls(**{name: bad})
    cls()  # the defaults are valid


def test_check_prior_names_the_estimator_parameter():
    from sklearn_mle.priors import Beta
    from sklearn_mle.priors._base import check_prior

    prior = Beta(2.0, 2.0)
    prior.a = np.nan  # set after construction
    with pytest.raises(ValueError, match=r"BernoulliMLE: prior=Beta\(a=nan, b=2.0\): Beta: "
                                         "hyper-parameter a must be finite and > 0"):
        check_prior(prior, "prior", "BernoulliMLE")
    check_prior(Beta(2.0, 2.0), "prior", "BernoulliMLE")
