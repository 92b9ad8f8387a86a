"""EM on Dask: the same trace, estimates, standard errors and labels as in memory.

Reference: the in-memory fit of the same mixture from the same initial parameters
(itself tested against scikit-learn and by numerical Hessians elsewhere).
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from sklearn_mle import (  # noqa: E402
    GaussianMixture,
    GaussianMLE,
    MixtureMLE,
    NegativeBinomialMLE,
    PoissonMLE,
    StudentTMLE,
    WeibullMLE,
)
from sklearn_mle.mixture import _base as em_base  # noqa: E402

RTOL = 1e-10


def _blobs(n=400, d=2, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(size=(n // 2, d)), rng.normal(size=(n - n // 2, d)) + 3.5])
    return rng.permutation(X).astype(dtype)


def _assert_same(a, b, rtol=RTOL, inference=True):
    assert_allclose(b.lower_bounds_, a.lower_bounds_, rtol=rtol)
    assert b.n_iter_ == a.n_iter_ and b.converged_ == a.converged_
    assert_allclose(b.loglik_, a.loglik_, rtol=rtol)
    if inference:
        assert b.param_names_ == a.param_names_
        assert_allclose(b.estimates_, a.estimates_, rtol=rtol)
        assert_allclose(b.bse_, a.bse_, rtol=1e3 * rtol)


@pytest.mark.parametrize("ct", ["full", "diag", "tied", "spherical"])
def test_gaussian_mixture_same_trace(client, ct):
    X = _blobs()
    ref = GaussianMixture(2, covariance_type=ct, random_state=0).fit(X)
    dX = da.from_array(X, chunks=((5, 100, 1, 200, 94), -1))
    got = GaussianMixture(2, covariance_type=ct, random_state=0).fit(dX)
    _assert_same(ref, got)
    assert_allclose(got.means_, ref.means_, rtol=RTOL)


def test_gaussian_mixture_one_chunk_one_row_chunks_float32(client):
    X = _blobs(60)
    ref = GaussianMixture(2, random_state=1).fit(X)
    _assert_same(ref, GaussianMixture(2, random_state=1).fit(da.from_array(X, chunks=(60, -1))))
    X = X[:30]  # one row per chunk: 30 tasks per EM iteration
    short = dict(random_state=1, max_iter=3, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        ref = GaussianMixture(2, **short).fit(X)
    with pytest.warns(ConvergenceWarning):
        got = GaussianMixture(2, **short).fit(da.from_array(X, chunks=(1, -1)))
    _assert_same(ref, got, inference=False)
    X32 = _blobs(300, dtype=np.float32)
    ref32 = GaussianMixture(2, random_state=1).fit(X32)
    got32 = GaussianMixture(2, random_state=1).fit(da.from_array(X32, chunks=(70, -1)))
    assert got32.means_.dtype == np.float32
    assert_allclose(got32.means_, ref32.means_, rtol=1e-5)


def test_sampled_initialisation_then_the_same_em(client, monkeypatch):
    """More rows than the initialisation sample: EM from the given initial parameters
    follows the in-memory trace exactly."""
    monkeypatch.setattr(em_base, "_INIT_ROWS", 50)
    X = _blobs(500)
    init = dict(weights_init=[0.4, 0.6], means_init=[[0.5, 0.0], [3.0, 3.0]],
                precisions_init=[np.eye(2), np.eye(2)])
    ref = GaussianMixture(2, **init).fit(X)
    got = GaussianMixture(2, **init).fit(da.from_array(X, chunks=(64, -1)))
    _assert_same(ref, got)
    # the sample's k-means start reaches the same optimum on well separated data
    tight = dict(tol=1e-13, max_iter=1000, random_state=0)
    sampled = GaussianMixture(2, **tight).fit(da.from_array(X, chunks=(64, -1)))
    full = GaussianMixture(2, **tight).fit(X)
    order, ref_order = np.argsort(sampled.means_[:, 0]), np.argsort(full.means_[:, 0])
    assert_allclose(sampled.means_[order], full.means_[ref_order], rtol=1e-6)


def test_lazy_scoring_and_labels(client):
    X = _blobs(300)
    ref = GaussianMixture(2, random_state=0).fit(X)
    dX = da.from_array(X, chunks=(64, -1))
    for method in ("predict", "predict_proba", "score_samples"):
        out = getattr(ref, method)(dX)
        assert isinstance(out, da.Array)
        assert_allclose(out.compute(), getattr(ref, method)(X), rtol=1e-12, atol=1e-300)
    labels = GaussianMixture(2, random_state=0).fit_predict(dX)
    assert isinstance(labels, da.Array)
    assert_allclose(labels.compute(), GaussianMixture(2, random_state=0).fit_predict(X))
    assert_allclose(ref.score(dX), ref.score(X), rtol=1e-12)


def test_weights_and_dataframe_names(client):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X = _blobs(300)
    w = np.random.default_rng(2).integers(1, 4, 300).astype(float)
    ref = GaussianMixture(2, random_state=0).fit(X, sample_weight=w)
    got = GaussianMixture(2, random_state=0).fit(da.from_array(X, chunks=(70, -1)),
                                                 sample_weight=da.from_array(w, chunks=40))
    _assert_same(ref, got)
    df = pd.DataFrame(X, columns=["height", "weight"])
    got = GaussianMixture(2, random_state=0).fit(dd.from_pandas(df, npartitions=4))
    assert list(got.feature_names_in_) == ["height", "weight"]
    assert "height" in str(got.summary())


def test_nan_in_chunk_37_same_error(client):
    X = _blobs(500)
    X[37 * 10 + 4, 1] = np.nan
    with pytest.raises(ValueError) as ref:
        GaussianMixture(2).fit(X)
    with pytest.raises(ValueError) as got:
        GaussianMixture(2).fit(da.from_array(X, chunks=(10, -1)))
    assert str(got.value) == str(ref.value)


@pytest.mark.parametrize("component", [PoissonMLE(), GaussianMLE()], ids=["poisson", "gauss"])
def test_mixture_mle_same_trace(client, component):
    rng = np.random.default_rng(3)
    if isinstance(component, PoissonMLE):
        X = rng.permutation(np.r_[rng.poisson(2.0, 250), rng.poisson(9.0, 250)])[:, None]
        X = X.astype(float)
    else:
        X = _blobs(400)
    ref = MixtureMLE(component, 2, random_state=0).fit(X)
    got = MixtureMLE(component, 2, random_state=0).fit(da.from_array(X, chunks=(90, -1)))
    _assert_same(ref, got, rtol=1e-9)
    assert isinstance(got.predict(da.from_array(X, chunks=(90, -1))), da.Array)


@pytest.mark.parametrize("component", ["weibull", "student_t", "negative_binomial"])
def test_mixture_mle_newton_components_same_trace(client, component):
    """Components without finite statistics: the E-step is one reduction, the
    responsibilities stay lazy, and each component's M-step is the family's Newton
    with one reduction per pass; the same trace and estimates as in memory. The
    Weibull and Student-t fits (50-80 reductions of 4 chunks each, ~30 ms of
    scheduling apiece on the cluster) run the same graphs on Dask's local threaded
    scheduler; the negative binomial's on the cluster."""
    import contextlib

    import dask

    rng = np.random.default_rng(4)
    comp, X = {
        "weibull": (WeibullMLE(), np.r_[rng.weibull(1.5, 150), 4 + rng.weibull(3.0, 150)]),
        "student_t": (StudentTMLE(), np.r_[rng.standard_t(4, 150) - 3,
                                           rng.standard_t(4, 150) + 3]),
        "negative_binomial": (NegativeBinomialMLE(), np.r_[
            rng.negative_binomial(3, 0.5, 150), rng.negative_binomial(5, 0.2, 150)] * 1.0),
    }[component]
    X = rng.permutation(X)[:, None]
    w = rng.integers(1, 3, len(X)).astype(float)
    on = (contextlib.nullcontext() if component == "negative_binomial"
          else dask.config.set(scheduler="threads"))
    with on:
        ref = MixtureMLE(comp, 2, random_state=0).fit(X)
        dX = da.from_array(X, chunks=((1, 99, 120, 80), -1))
        got = MixtureMLE(comp, 2, random_state=0).fit(dX)
        _assert_same(ref, got)
        np.testing.assert_array_equal(got.predict(dX).compute(), ref.predict(X))
        if component == "weibull":  # Dask sample weights stay on the cluster (unit_broadcast)
            ref = MixtureMLE(comp, 2, random_state=0).fit(X, sample_weight=w)
            got = MixtureMLE(comp, 2, random_state=0).fit(
                dX, sample_weight=da.from_array(w, chunks=70))
            _assert_same(ref, got, inference=False)


def test_gaussian_mixture_partial_fit_on_dask_batches(client):
    X = _blobs(600)
    ref, got = GaussianMixture(2, random_state=0), GaussianMixture(2, random_state=0)
    for part in np.array_split(X, 3):
        ref.partial_fit(part)
        got.partial_fit(da.from_array(part, chunks=(45, -1)))
    assert_allclose(got.means_, ref.means_, rtol=RTOL)
    assert_allclose(got.lower_bounds_, ref.lower_bounds_, rtol=RTOL)


def test_one_reduction_per_em_iteration(monkeypatch):
    """The cost model: an EM iteration on Dask is one computation (its E-step
    reduction); the rest of a fit is a fixed number of passes."""
    import dask
    import dask.base

    calls = []
    real = dask.base.compute

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(dask.base, "compute", counting)
    monkeypatch.setattr(dask, "compute", counting)
    X = da.from_array(_blobs(400), chunks=(50, -1))
    counts = []
    with dask.config.set(scheduler="sync"):
        for iters in (2, 6):
            calls.clear()
            with pytest.warns(ConvergenceWarning):
                GaussianMixture(2, random_state=0, max_iter=iters, tol=0.0).fit(X)
            counts.append(len(calls))
    assert counts[1] - counts[0] == 4
