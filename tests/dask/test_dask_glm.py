"""Exact GLM Newton on Dask (linear_model/_dask.py) against the in-memory estimators:
coefficients, log-likelihood and standard errors (inverse observed information)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from sklearn_mle import MLELogisticRegression, MLEPoissonRegression  # noqa: E402
from sklearn_mle.linear_model import _family as glm_family  # noqa: E402
from sklearn_mle.linear_model._dask import dask_newton  # noqa: E402

RTOL = 1e-10


def _data(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return rng, X, X @ np.array([0.6, -1.0, 0.25])


def _check(res, ref, m=1):
    theta = res.theta if m > 1 else res.theta[0]
    expected = (np.column_stack([ref.intercept_, ref.coef_]) if m > 1
                else np.r_[ref.intercept_, ref.coef_.ravel()])
    assert_allclose(theta, expected, rtol=RTOL, atol=1e-13)
    assert_allclose(res.loglik, ref.loglik_, rtol=RTOL)
    se = np.sqrt(np.diag(np.linalg.inv(res.information)))
    assert_allclose(se, ref.bse_, rtol=1e-9)
    assert res.converged


def test_logistic_binary(client):
    rng, X, eta = _data()
    y = (rng.random(len(eta)) < 1 / (1 + np.exp(-eta - 0.3))).astype(float)
    ref = MLELogisticRegression(tol=1e-12).fit(X, y)
    dX = da.from_array(X, chunks=((1, 499, 700, 800), -1))
    res = dask_newton(glm_family.Binomial(), dX, da.from_array(y, chunks=333))
    _check(res, ref)
    assert res.n_reductions <= res.n_iter + 3  # one reduction per iteration


def test_logistic_multinomial(client):
    rng, X, eta = _data(1500, 1)
    y = np.digitize(eta + rng.logistic(size=len(eta)), [-0.5, 0.7])
    ref = MLELogisticRegression(tol=1e-12).fit(X, y)
    res = dask_newton(glm_family.Multinomial(3), da.from_array(X, chunks=(400, -1)),
                      np.eye(3)[y])
    _check(res, ref, m=2)


def test_poisson_with_offset_and_weights(client):
    rng, X, eta = _data(1800, 2)
    off = rng.normal(scale=0.2, size=len(eta))
    y = rng.poisson(np.exp(0.5 * eta + off + 0.1)).astype(float)
    w = rng.integers(1, 4, len(eta)).astype(float)
    ref = MLEPoissonRegression(tol=1e-12).fit(X, y, offset=off, sample_weight=w)
    res = dask_newton(glm_family.Poisson(), da.from_array(X, chunks=(250, -1)),
                      da.from_array(y, chunks=300), w=da.from_array(w, chunks=200),
                      offset=da.from_array(off, chunks=450))
    _check(res, ref)


def test_logistic_map_under_a_normal_prior(client):
    from sklearn_mle.priors import Normal

    rng, X, eta = _data(800, 3)
    y = (rng.random(len(eta)) < 1 / (1 + np.exp(-2 * eta))).astype(float)
    ref = MLELogisticRegression(prior=Normal(scale=0.5), tol=1e-12).fit(X, y)
    res = dask_newton(glm_family.Binomial(), da.from_array(X, chunks=(300, -1)), y,
                      prior=Normal(scale=0.5))
    _check(res, ref)


# ------------------------------------------------- the estimators' own fit on Dask


def _same_fit(est, ref, rtol=RTOL, summary=True):
    """Estimates, SEs, p-values, log-likelihood, nobs and the summary's numbers."""
    assert est.param_names_ == ref.param_names_
    for name in ("estimates_", "bse_", "pvalues_", "cov_params_"):
        assert_allclose(getattr(est, name), getattr(ref, name), rtol=rtol, atol=1e-300,
                        err_msg=name)
    assert_allclose(est.loglik_, ref.loglik_, rtol=rtol)
    assert est.nobs_ == ref.nobs_ and est.n_params_ == ref.n_params_ and est.converged_
    if not summary:
        return
    s, r = est.summary(), ref.summary()
    assert_allclose(s.to_frame().to_numpy(), r.to_frame().to_numpy(), rtol=1e-9)
    for key in ("LL-Null", "Pseudo R-squ. (McFadden)", "LLR p-value", "AIC", "BIC",
                "Df model", "Df residuals", "Dep. variable", "No. observations"):
        assert s.header.get(key) == r.header.get(key), key


def test_logistic_fit_binary_and_lazy_predictions(client):
    rng, X, eta = _data()
    y = (rng.random(len(eta)) < 1 / (1 + np.exp(-eta - 0.3))).astype(int)
    ref = MLELogisticRegression(tol=1e-12).fit(X, y)
    dX = da.from_array(X, chunks=((1, 499, 700, 800), -1))
    est = MLELogisticRegression().fit(dX, da.from_array(y, chunks=333))
    _same_fit(est, ref)
    assert_allclose(est.coef_, ref.coef_, rtol=RTOL)
    for method in ("predict_proba", "predict_log_proba", "decision_function"):
        out = getattr(est, method)(dX)
        assert isinstance(out, da.Array), method  # lazy: nothing gathered
        assert_allclose(out.compute(), getattr(ref, method)(X), rtol=1e-10, atol=1e-14)
    pred = est.predict(dX)
    assert isinstance(pred, da.Array)
    np.testing.assert_array_equal(pred.compute(), ref.predict(X))


def test_logistic_fit_multinomial_dataframe_names_and_weights(client):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    rng, X, eta = _data(1500, 1)
    y = np.digitize(eta + rng.logistic(size=len(eta)), [-0.5, 0.7]) * 2 + 1  # 1, 3, 5
    w = rng.integers(0, 3, len(y)).astype(float)
    df = pd.DataFrame(X, columns=["age", "dose", "bmi"])
    ref = MLELogisticRegression(tol=1e-12).fit(df, y, sample_weight=w)
    ddf = dd.from_pandas(df, npartitions=3)
    est = MLELogisticRegression().fit(ddf, da.from_array(y, chunks=400),
                                      sample_weight=da.from_array(w, chunks=600))
    assert est.param_names_[:2] == ["3:intercept", "3:age"]
    _same_fit(est, ref)
    assert "5:dose" in str(est.summary())
    assert_allclose(est.predict_proba(ddf).compute(), ref.predict_proba(df), rtol=1e-10)
    # log_likelihood on Dask data: one reduction of the in-memory per-row terms
    assert_allclose(est.log_likelihood(ddf, da.from_array(y, chunks=700),
                                       sample_weight=w),
                    ref.log_likelihood(df, y, sample_weight=w), rtol=1e-12)
    # a fitted estimator pickles (it keeps the Dask arrays for LL-Null)
    import pickle

    again = pickle.loads(pickle.dumps(est))
    assert again.summary().header["LL-Null"] == ref.summary().header["LL-Null"]


def test_poisson_fit_offset_exposure_weights_float32_single_chunk(client):
    rng, X, eta = _data(1800, 2)
    off = rng.normal(scale=0.2, size=len(eta))
    ex = rng.uniform(0.5, 2.0, len(eta))
    y = rng.poisson(ex * np.exp(0.5 * eta + off + 0.1)).astype(float)
    w = rng.integers(1, 4, len(eta)).astype(float)
    ref = MLEPoissonRegression(tol=1e-12).fit(X, y, offset=off, exposure=ex,
                                              sample_weight=w)
    est = MLEPoissonRegression().fit(
        da.from_array(X, chunks=(250, -1)), da.from_array(y, chunks=300),
        offset=da.from_array(off, chunks=450), exposure=da.from_array(ex, chunks=600),
        sample_weight=w)
    _same_fit(est, ref)
    mu = est.predict(da.from_array(X, chunks=(700, -1)), exposure=da.from_array(ex, 500))
    assert isinstance(mu, da.Array)
    assert_allclose(mu.compute(), ref.predict(X, exposure=ex), rtol=1e-10)
    # float32 data in one chunk: the in-memory float32 fit
    X32 = X.astype(np.float32)
    ref32 = MLEPoissonRegression(tol=1e-12).fit(X32, y)
    _same_fit(MLEPoissonRegression().fit(da.from_array(X32), y), ref32)


def test_glm_dask_refusals_and_bad_values(client):
    rng, X, eta = _data(600, 4)
    y = rng.poisson(np.exp(0.3 * eta)).astype(float)
    dX = da.from_array(X, chunks=(100, -1))
    with pytest.raises(ValueError, match="cov_type='HC1' is not available on Dask"):
        MLEPoissonRegression(cov_type="HC1").fit(dX, y)
    est = MLEPoissonRegression().fit(dX, y)
    with pytest.raises(ValueError, match="profile.*not available on Dask data"):
        est.conf_int(method="profile")
    with pytest.raises(ValueError, match="bootstrap.*not available on Dask data"):
        est.conf_int(method="bootstrap", n_boot=5)
    with pytest.raises(ValueError, match="marginal_effects|not available on Dask"):
        est.marginal_effects()
    yb = (y > 0).astype(int)
    with pytest.raises(ValueError, match="separation check.*not available on Dask"):
        MLELogisticRegression(on_separation="raise").fit(dX, yb)
    with pytest.raises(ValueError, match="link='probit' is not available on Dask"):
        MLELogisticRegression(link="probit").fit(dX, yb)
    # a bad value in one chunk: the in-memory message (row counted in the whole array)
    bad = y.copy()
    bad[372] = -1.0  # a negative count in chunk 37
    with pytest.raises(ValueError) as mem:
        MLEPoissonRegression().fit(X, bad)
    with pytest.raises(ValueError) as dsk:
        MLEPoissonRegression().fit(dX, da.from_array(bad, chunks=10))
    assert str(dsk.value) == str(mem.value) and "row 372" in str(dsk.value)
    Xn = X.copy()
    Xn[377, 1] = np.nan
    with pytest.raises(ValueError) as mem:
        MLEPoissonRegression().fit(Xn, y)
    with pytest.raises(ValueError) as dsk:
        MLEPoissonRegression().fit(da.from_array(Xn, chunks=(100, -1)), y)
    assert str(dsk.value) == str(mem.value)
    # aliased columns: the in-memory message
    Xa = np.column_stack([X, X[:, 0] + X[:, 1]])
    with pytest.raises(ValueError, match="x3"):
        MLEPoissonRegression().fit(da.from_array(Xa, chunks=(200, -1)), y)


def test_logistic_fit_map_prior_and_no_intercept(client):
    from sklearn_mle.priors import Laplace, Normal, StudentT

    rng, X, eta = _data(800, 5)
    y = (rng.random(len(eta)) < 1 / (1 + np.exp(-2 * eta))).astype(float)
    dX = da.from_array(X, chunks=(300, -1))
    ref = MLELogisticRegression(prior=Normal(scale=0.5), tol=1e-12).fit(X, y)
    est = MLELogisticRegression(prior=Normal(scale=0.5)).fit(dX, y)
    assert est.summary().header["Method"] == "MAP"
    _same_fit(est, ref)
    ref = MLELogisticRegression(prior=StudentT(), tol=1e-12).fit(X, y)
    _same_fit(MLELogisticRegression(prior=StudentT()).fit(dX, y), ref, rtol=1e-9)
    ref = MLEPoissonRegression(fit_intercept=False, tol=1e-12).fit(X, y)
    _same_fit(MLEPoissonRegression(fit_intercept=False).fit(dX, y), ref)
    with pytest.raises(ValueError, match="Laplace priors are not available on Dask"):
        MLELogisticRegression(prior=Laplace(scale=1.0)).fit(dX, y)


def _dying_rows(X, flag, start_at=150, on_read=3):
    """X as a Dask array read chunk by chunk (150 rows) whose chunk at ``start_at``
    kills its worker process on its ``on_read``-th read (once: a counter file)."""
    import dask

    def load(start, stop):
        import os

        if start == start_at:
            with open(flag, "a") as f:
                f.write("r")
            if os.path.getsize(flag) == on_read:
                os._exit(1)  # the worker process dies in the middle of the fit
        return X[start:stop]

    n = X.shape[0]
    return da.concatenate([
        da.from_delayed(dask.delayed(load, pure=False)(s, min(s + 150, n)),
                        shape=(min(s + 150, n) - s, X.shape[1]), dtype=X.dtype)
        for s in range(0, n, 150)])


def check_glm_on_worker_processes(tmp_path):
    """Part of tests/dask/test_dask_processes.py (its client on worker processes is
    active): worker processes pickle the chunk functions, the families and the label
    encoding (standard pickle of the fitted estimator is tested above); a worker
    killed in the middle of a Newton fit (the third pass) is replaced and its task
    retried: the fit is the in-memory one."""
    from sklearn_mle.linear_model import MLELinearRegression

    rng, X, eta = _data(400, 6)
    y = np.digitize(eta + rng.logistic(size=len(eta)), [-0.5, 0.7])
    ex = rng.uniform(0.5, 2.0, len(eta))
    yc = rng.poisson(ex * np.exp(0.4 * eta)).astype(float)
    flag = str(tmp_path / "reads")
    dX = da.from_array(X, chunks=(150, -1))
    got = MLELogisticRegression().fit(dX, da.from_array(y, chunks=150))
    proba = got.predict_proba(dX).compute()
    got_p = MLEPoissonRegression().fit(dX, yc, exposure=da.from_array(ex, chunks=150))
    got_l = MLELinearRegression().fit(dX, da.from_array(eta + ex, chunks=100))
    Xb = X.copy()
    Xb[372, 1] = np.nan  # bad input on a worker process: the in-memory message
    with pytest.raises(ValueError) as dsk:
        MLEPoissonRegression().fit(da.from_array(Xb, chunks=(10, -1)), yc)
    # last: nothing waits for the replacement worker to start and import the package
    got_k = MLEPoissonRegression().fit(_dying_rows(X, flag), yc, exposure=ex)
    with pytest.raises(ValueError) as mem:
        MLEPoissonRegression().fit(Xb, yc)
    assert str(dsk.value) == str(mem.value)
    ref_l = MLELinearRegression().fit(X, eta + ex)
    assert_allclose(got_l.estimates_, ref_l.estimates_, rtol=1e-10, atol=1e-12)
    assert (tmp_path / "reads").stat().st_size > 3  # the worker died and the fit went on
    ref_k = MLEPoissonRegression(tol=1e-12).fit(X, yc, exposure=ex)
    assert_allclose(got_k.estimates_, ref_k.estimates_, rtol=RTOL)
    assert_allclose(got_k.bse_, ref_k.bse_, rtol=1e-9)
    ref = MLELogisticRegression(tol=1e-12).fit(X, y)
    assert_allclose(got.bse_, ref.bse_, rtol=1e-9)
    assert_allclose(proba, ref.predict_proba(X), rtol=1e-10)
    ref_p = MLEPoissonRegression(tol=1e-12).fit(X, yc, exposure=ex)
    assert_allclose(got_p.estimates_, ref_p.estimates_, rtol=RTOL)
    assert_allclose(got_p.bse_, ref_p.bse_, rtol=1e-9)


def _glm_case(model, n, seed=7):
    """(estimator class, X, y, fit kwargs) of a binary or multinomial logistic, or a
    Poisson regression with an offset."""
    rng, X, eta = _data(n, seed)
    if model == "binary":
        return MLELogisticRegression, X, (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int), {}
    if model == "multinomial":
        return MLELogisticRegression, X, np.digitize(eta + rng.logistic(size=n), [-0.5, 0.7]), {}
    off = rng.normal(scale=0.3, size=n)
    return MLEPoissonRegression, X, rng.poisson(np.exp(0.4 * eta + off)).astype(float), \
        {"offset": off}


@pytest.mark.parametrize("chunking", ["uneven", "one", "rows_of_1", "float32"])
@pytest.mark.parametrize("model", ["binary", "multinomial", "poisson_offset"])
def test_glm_dask_fit_equals_converged_in_memory_fit(client, model, chunking):
    """Estimates, SEs, p-values, log-likelihood and summary at 1e-10 relative, against
    the in-memory fit run to the optimum (tol=1e-12): the Dask Newton stops when a step
    is at rounding level (the in-memory default tol=1e-8 stops up to ~1e-8 earlier)."""
    n = 20 if chunking == "rows_of_1" else 600  # 20 tasks per reduction
    cls, X, y, kw = _glm_case(model, n)
    if chunking == "float32":
        X = X.astype(np.float32)
    chunks = {"uneven": ((1, 99, 300, 200), -1), "one": (-1, -1), "rows_of_1": (1, -1),
              "float32": (250, -1)}[chunking]
    ref = cls(tol=1e-12).fit(X, y, **kw)
    ykw = {k: da.from_array(v, chunks=chunks[0]) for k, v in kw.items()}
    got = cls().fit(da.from_array(X, chunks=chunks), da.from_array(y, chunks=chunks[0]),
                    **ykw)
    # the summary's LL-Null is one more Newton on the cluster: checked on the others
    _same_fit(got, ref, summary=chunking != "rows_of_1")


def test_glm_dask_fit_at_200k_rows(client):
    """The case where the stopping rules differed (3e-9 at the default tol): both fits
    at the optimum agree to 1e-10 relative, estimates and standard errors."""
    cls, X, y, _ = _glm_case("binary", 200_000, seed=8)
    X, y = X[:, :2], y  # two features: the 200k rows, in a few seconds
    ref = cls(tol=1e-12).fit(X, y)
    got = cls().fit(da.from_array(X, chunks=(20_000, -1)), da.from_array(y, chunks=20_000))
    assert_allclose(got.estimates_, ref.estimates_, rtol=RTOL,
                    atol=RTOL * np.max(np.abs(ref.estimates_)))
    assert_allclose(got.bse_, ref.bse_, rtol=RTOL)
    assert_allclose(got.loglik_, ref.loglik_, rtol=1e-12)


# ------------------------------------------- the user's defaults: the same optimum


def _default_tol_cases(n, seed):
    """(name, estimator class, fit(X, **arrays) kwargs as NumPy) at the defaults."""
    rng, X, eta = _data(n, seed)
    yb = (rng.random(n) < 1 / (1 + np.exp(-eta - 0.3))).astype(int)
    ym = np.digitize(eta + rng.logistic(size=n), [-0.5, 0.7])
    ex = rng.uniform(0.5, 2.0, n)
    yp = rng.poisson(ex * np.exp(0.5 * eta + 0.1)).astype(float)
    yl = eta + rng.normal(size=n)
    from sklearn_mle import MLELinearRegression

    return X, [("binary", MLELogisticRegression, yb, {}),
               ("multinomial", MLELogisticRegression, ym, {}),
               ("Poisson, exposure", MLEPoissonRegression, yp, {"exposure": ex}),
               ("linear", MLELinearRegression, yl, {})]


# 60 000 rows: the Dask Newton starts at the optimum of a strided sample
@pytest.mark.parametrize("n", [2000, 60_000])
def test_default_tolerance_same_optimum(client, n):
    """At the user's defaults (in memory tol=1e-8, then the Newton step from the
    covariance's Hessian; on Dask Newton to a decrement of 1e-22 |loglik|) the Dask
    fit's estimates and log-likelihood equal the in-memory fit's to 1e-10, and its
    standard errors equal those at the optimum (in memory at tol=1e-13) to 1e-10."""
    X, cases = _default_tol_cases(n, 5)
    chunks = ((n // 8, n // 2, n - n // 8 - n // 2), -1)  # uneven
    dX = da.from_array(X, chunks=chunks)
    for name, cls, y, kw in cases:
        dkw = {k: da.from_array(v, chunks=n // 3) for k, v in kw.items()}
        est = cls().fit(dX, da.from_array(y, chunks=n // 5), **dkw)
        ref = cls().fit(X, y, **kw)
        assert_allclose(est.estimates_, ref.estimates_, rtol=RTOL, atol=1e-13, err_msg=name)
        assert_allclose(est.loglik_, ref.loglik_, rtol=RTOL, err_msg=name)
        tight = cls(tol=1e-13).fit(X, y, **kw) if "tol" in cls().get_params() else ref
        assert_allclose(est.bse_, tight.bse_, rtol=RTOL, err_msg=name)
        assert getattr(est, "converged_", True), name


@pytest.mark.parametrize("seed", [0, 1])
def test_default_tolerance_same_standard_errors(client, seed):
    """The standard errors at the user's defaults equal on both sides to 1e-10: the
    in-memory fit takes a finishing step with its last Newton matrix before it builds
    the covariance's Hessian (at ~1e-11 from the optimum, not at the stopping point
    ~1e-7 away, which left its SEs ~1e-8 off the Dask fit's)."""
    X, cases = _default_tol_cases(2000, seed)
    for name, cls, y, kw in cases:
        dkw = {k: da.from_array(v, chunks=500) for k, v in kw.items()}
        est = cls().fit(da.from_array(X, chunks=(500, -1)), da.from_array(y, chunks=500),
                        **dkw)
        assert_allclose(est.bse_, cls().fit(X, y, **kw).bse_, rtol=RTOL, err_msg=name)


def test_broadcast_weights_other_than_one(client):
    """A broadcast weight of 2.0 (a strided view, like the ones of no weights) is
    weights like any other: nobs_ is their sum, the fit the in-memory one."""
    rng, X, eta = _data(600, 9)
    y = (rng.random(len(eta)) < 1 / (1 + np.exp(-eta))).astype(int)
    w = np.broadcast_to(2.0, (len(y),))
    got = MLELogisticRegression().fit(da.from_array(X, chunks=(150, -1)), y, sample_weight=w)
    ref = MLELogisticRegression(tol=1e-12).fit(X, y, sample_weight=np.full(len(y), 2.0))
    assert got.nobs_ == ref.nobs_ == 1200.0
    _same_fit(got, ref)


def test_persisted_data_one_task_per_worker_thread(client, monkeypatch):
    """X persisted on the workers: a pass is one task per worker thread over the
    chunks it holds, whose partials are added in the order of the one-task-per-chunk
    graph: the same fit to the last bit, = the in-memory fit; the bad row's message is
    the in-memory one."""
    from distributed import wait

    from sklearn_mle._engine import dask as dask_engine

    rng, X, eta = _data(4000, 11)
    y = (rng.random(len(eta)) < 1 / (1 + np.exp(-eta))).astype(int)
    dX, dy = client.persist([da.from_array(X, chunks=(100, -1)), da.from_array(y, chunks=100)])
    wait([dX, dy])
    held = []
    monkeypatch.setattr(dask_engine, "_held_groups",
                        lambda X, keys, f=dask_engine._held_groups: held.append(f(X, keys))
                        or held[-1])
    got = MLELogisticRegression().fit(dX, dy)
    assert held and all(g is not None and len(g) < 40 for g in held)  # fused passes
    monkeypatch.setattr(dask_engine, "_held_groups", lambda X, keys: None)
    per_chunk = MLELogisticRegression().fit(dX, dy)
    np.testing.assert_array_equal(got.estimates_, per_chunk.estimates_)
    np.testing.assert_array_equal(got.bse_, per_chunk.bse_)
    _same_fit(got, MLELogisticRegression(tol=1e-12).fit(X, y))
    monkeypatch.undo()
    Xb = X.copy()
    Xb[3705, 1] = -np.inf
    (dXb,) = client.persist([da.from_array(Xb, chunks=(100, -1))])
    with pytest.raises(ValueError) as dsk:
        MLEPoissonRegression().fit(dXb, y)
    with pytest.raises(ValueError) as mem:
        MLEPoissonRegression().fit(Xb, y)
    assert str(dsk.value) == str(mem.value)
