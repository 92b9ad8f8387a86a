"""Naive Bayes on Dask: the fit on a Dask array equals the fit in memory, in one
reduction of the classes' statistics; predictions are lazy.

References: the in-memory fit of the same classifier on the same rows (itself tested
against scikit-learn's GaussianNB, MultinomialNB, BernoulliNB and CategoricalNB in
tests/test_naive_bayes.py); the in-memory error for bad input. The session
LocalCluster of conftest.py serves the tests.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from sklearn_mle import (  # noqa: E402
    BernoulliMLE,
    CategoricalMLE,
    GaussianMLE,
    MixtureMLE,
    MultinomialMLE,
    PoissonMLE,
    WeibullMLE,
)
from sklearn_mle.naive_bayes import GenerativeClassifier, IndependentMLE, NaiveBayes  # noqa: E402
from sklearn_mle.priors import Beta, Dirichlet  # noqa: E402

RTOL = 1e-10

CHUNKINGS = {
    "uneven": lambda n: (7, 50, 1, 1093, n - 1151),
    "one": lambda n: (n,),
    "many": lambda n: (n // 9,) * 8 + (n - 8 * (n // 9),),
}


def _data(kind, n, rng):
    y = rng.integers(0, 3, n)
    if kind == "gaussian":
        X = rng.normal(size=(n, 4)) + 0.5 * y[:, None]
    elif kind == "multinomial":
        X = rng.poisson(1.0 + 0.5 * y[:, None], (n, 5)).astype(float)
    elif kind == "bernoulli":
        X = (rng.uniform(size=(n, 4)) < 0.2 + 0.2 * y[:, None]).astype(float)
    elif kind == "poisson":
        X = rng.poisson(1.0 + y[:, None], (n, 3)).astype(float)
    else:  # categorical, with a category first seen after the head rows
        X = ((rng.integers(0, 4, (n, 3)) + y[:, None]) % 4).astype(float)
        X[n - 3, 1] = 4.0
    return X, y


DENSITIES = {
    "gaussian": lambda: GaussianMLE(covariance_type="diag"),
    "multinomial": lambda: MultinomialMLE(prior=Dirichlet(2.0)),
    "bernoulli": lambda: BernoulliMLE(prior=Beta(2.0, 2.0)),
    "poisson": lambda: PoissonMLE(),
    "categorical": lambda: CategoricalMLE(prior=Dirichlet(1.5)),
}


def _same_fit(a, b, rtol=RTOL):
    np.testing.assert_array_equal(a.classes_, b.classes_)
    assert a.param_names_ == b.param_names_
    assert_allclose(b.estimates_, a.estimates_, rtol=rtol)
    assert_allclose(b.bse_, a.bse_, rtol=rtol)
    assert_allclose(b.loglik_, a.loglik_, rtol=rtol)
    assert_allclose(b.class_count_, a.class_count_, rtol=rtol)
    assert_allclose(b.class_prior_, a.class_prior_, rtol=rtol)
    assert b.n_params_ == a.n_params_


@pytest.mark.parametrize("chunking", CHUNKINGS)
@pytest.mark.parametrize("kind", DENSITIES)
def test_fit_equals_in_memory(client, kind, chunking):
    rng = np.random.default_rng(1)
    n = 3000
    X, y = _data(kind, n, rng)
    chunks = CHUNKINGS[chunking](n)
    Xd = da.from_array(X, chunks=(chunks, X.shape[1]))
    yd = da.from_array(y, chunks=(chunks,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = GenerativeClassifier(DENSITIES[kind]()).fit(X, y)
        got = GenerativeClassifier(DENSITIES[kind]()).fit(Xd, yd)
    _same_fit(ref, got)
    # predictions are lazy Dask arrays, equal to the in-memory ones
    for method in ("predict_proba", "predict_log_proba", "predict_joint_log_proba"):
        lazy = getattr(got, method)(Xd)
        assert isinstance(lazy, da.Array)
        assert_allclose(lazy.compute(), getattr(ref, method)(X), rtol=1e-10, atol=1e-12)
    labels = got.predict(Xd)
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), ref.predict(X))


def test_weights_labels_float32_and_numpy_labels(client):
    """Dask sample weights, text labels given as a NumPy array, float32 chunks, and
    chunks of one row."""
    rng = np.random.default_rng(2)
    n = 1500
    X, y = _data("gaussian", n, rng)
    labels = np.array(["a", "b", "c"])[y]
    w = rng.uniform(0.2, 3.0, n)
    w[:10] = 0.0
    Xd = da.from_array(X, chunks=(400, 4))
    ref = GenerativeClassifier().fit(X, labels, sample_weight=w)
    got = GenerativeClassifier().fit(Xd, labels, sample_weight=da.from_array(w, chunks=300))
    _same_fit(ref, got)
    X32 = X.astype(np.float32)
    ref32 = GenerativeClassifier().fit(X32, labels)
    got32 = GenerativeClassifier().fit(da.from_array(X32, chunks=(500, 4)), labels)
    _same_fit(ref32, got32, rtol=1e-6)
    small = X[:40]
    ref1 = GenerativeClassifier().fit(small, labels[:40])
    got1 = GenerativeClassifier().fit(da.from_array(small, chunks=(1, 4)),
                                      da.from_array(labels[:40], chunks=1))
    _same_fit(ref1, got1)


def test_naive_bayes_families_from_one_summary_pass(client):
    """NaiveBayes infers the column families from one pass of column summaries (the
    domain rule), then fits as in memory; a Dask DataFrame carries its column names."""
    import dask.dataframe as dd
    import pandas as pd

    rng = np.random.default_rng(3)
    n = 4000
    y = rng.integers(0, 2, n)
    df = pd.DataFrame({
        "size": rng.gamma(2.0 + y, 1.0),
        "score": rng.normal(y, 1.0),
        "visits": rng.poisson(1.0 + y).astype(float),
        "member": (rng.uniform(size=n) < 0.3 + 0.3 * y).astype(float),
        "share": rng.beta(2.0 + y, 3.0),
    })
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = NaiveBayes(alpha=1.0).fit(df, y)
        got = NaiveBayes(alpha=1.0).fit(dd.from_pandas(df, npartitions=4),
                                        da.from_array(y, chunks=1000))
        ref_arr = NaiveBayes(alpha=1.0).fit(df.to_numpy(), y)
        arr = NaiveBayes(alpha=1.0).fit(da.from_array(df.to_numpy(), chunks=(700, 5)), y)
    assert got.column_families_ == ref.column_families_
    assert list(arr.column_families_.values()) == list(ref.column_families_.values())
    assert list(got.feature_names_in_) == list(df.columns)
    _same_fit(ref, got)
    _same_fit(ref_arr, arr)
    assert_allclose(got.predict_proba(dd.from_pandas(df, npartitions=3)).compute(),
                    ref.predict_proba(df), rtol=1e-10, atol=1e-12)


def test_independent_parts_on_dask(client):
    rng = np.random.default_rng(4)
    n = 2500
    y = rng.integers(0, 3, n)
    X = np.column_stack([rng.normal(y, 1.0), rng.poisson(1.0 + y, n),
                         rng.integers(0, 3, n)]).astype(float)
    density = IndependentMLE([("g", GaussianMLE(covariance_type="diag"), [0]),
                              ("p", PoissonMLE(), [1]),
                              ("c", CategoricalMLE(prior=Dirichlet(2.0)), [2])])
    ref = GenerativeClassifier(density).fit(X, y)
    got = GenerativeClassifier(density).fit(da.from_array(X, chunks=(600, 3)), y)
    _same_fit(ref, got)


def test_refused_without_finite_statistics(client):
    rng = np.random.default_rng(5)
    X = da.from_array(rng.weibull(1.5, (200, 2)) + 0.1, chunks=(50, 2))
    y = rng.integers(0, 2, 200)
    for density in (WeibullMLE(), MixtureMLE(component=PoissonMLE(), n_components=2)):
        with pytest.raises(ValueError, match="finite statistics"):
            GenerativeClassifier(density).fit(X, y)


def test_bad_value_in_a_chunk_names_column_and_row(client):
    """A negative count in a late chunk: a clear ValueError naming the rule, the column
    and the row counted in the whole array (as PoissonMLE's in-memory error)."""
    rng = np.random.default_rng(6)
    X, y = _data("poisson", 3000, rng)
    X[2345, 1] = -1.0
    with pytest.raises(ValueError, match=r"column 1 has value -1.0 at row 2345"):
        GenerativeClassifier(PoissonMLE()).fit(da.from_array(X, chunks=(500, 3)), y)
    with pytest.raises(ValueError, match=r"column 1 has value -1.0 at row 2345"):
        PoissonMLE().fit(X)
    Xn = X.copy()
    Xn[2345, 1] = 1.0
    yf = y.astype(float)
    yf[10] = 0.5
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        GenerativeClassifier(PoissonMLE()).fit(da.from_array(Xn, chunks=(500, 3)), yf)


def check_naive_bayes_on_worker_processes():
    """Part of tests/dask/test_dask_processes.py (its client on worker processes is
    active): the chunk function, the statistics and the class sums pickle: a cluster
    with processes gives the same fit."""
    rng = np.random.default_rng(7)
    X, y = _data("multinomial", 2000, rng)
    ref = GenerativeClassifier(MultinomialMLE(prior=Dirichlet(2.0))).fit(X, y)
    got = GenerativeClassifier(MultinomialMLE(prior=Dirichlet(2.0))).fit(
        da.from_array(X, chunks=(400, 5)), da.from_array(y, chunks=400))
    proba = got.predict_proba(da.from_array(X, chunks=(700, 5))).compute()
    _same_fit(ref, got)
    assert_allclose(proba, ref.predict_proba(X), rtol=1e-10, atol=1e-12)
