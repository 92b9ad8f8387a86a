"""MLELinearRegression on Dask (linear_model/_linear_dask.py): one reduction of the
TSQR factor of [1, X, y], then the in-memory fit on rows with the same Gram matrix.

References: statsmodels WLS/OLS (independent), and the in-memory fit of the same data
(itself tested against statsmodels in tests/test_linear_model_linear*.py) for every
option: estimates, SEs, p-values, log-likelihood, sigma2, summary numbers (R², F,
LL-Null), the profile likelihood; the in-memory ValueError/warning for bad input.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from sklearn_mle.exceptions import InferenceWarning  # noqa: E402
from sklearn_mle.linear_model import MLELinearRegression  # noqa: E402
from sklearn_mle.linear_model._linear_dask import equivalent_rows  # noqa: E402
from sklearn_mle.priors import Laplace, Normal, StudentT  # noqa: E402

RTOL = 1e-10


def _data(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    # uncentred, unequal scales: a design that a normal-equations solve would degrade
    X = rng.normal(size=(n, 3)) * [1.0, 10.0, 0.1] + [0.0, 100.0, 0.0]
    y = X @ [1.0, 0.2, -3.0] + 5.0 + rng.normal(size=n)
    return rng, X, y


def _same_fit(got, ref, rtol=RTOL):
    assert got.param_names_ == ref.param_names_
    for name in ("estimates_", "bse_", "pvalues_", "cov_params_"):
        assert_allclose(getattr(got, name), getattr(ref, name), rtol=rtol, err_msg=name)
    assert_allclose(got.loglik_, ref.loglik_, rtol=rtol)
    assert_allclose(got.sigma2_, ref.sigma2_, rtol=rtol)
    assert got.nobs_ == ref.nobs_ and got.n_params_ == ref.n_params_
    assert got.df_resid_ == ref.df_resid_ and got.df_model_ == ref.df_model_
    s, r = got.summary(), ref.summary()
    assert_allclose(s.to_frame().to_numpy(), r.to_frame().to_numpy(), rtol=1e-9)
    assert s.header == r.header


def test_equivalent_rows_have_the_gram_matrix():
    rng = np.random.default_rng(1)
    M = np.column_stack([np.ones(50), rng.normal(size=(50, 3)) + 7.0])
    w = rng.uniform(0.5, 2.0, 50)
    R = np.linalg.qr(M * np.sqrt(w)[:, None], mode="r")
    x, y, v = equivalent_rows(R)
    E = np.column_stack([np.ones(len(v)), x, y])
    assert np.all(v > 0) and E.shape == (7, 4)
    assert_allclose(E.T @ (E * v[:, None]), M.T @ (M * w[:, None]), rtol=1e-12)


def test_mle_equals_statsmodels_wls(client):
    sm = pytest.importorskip("statsmodels.api")
    rng, X, y = _data()
    w = rng.integers(1, 4, len(y)).astype(float)
    got = MLELinearRegression().fit(da.from_array(X, chunks=((1, 999, 2000), -1)),
                                    da.from_array(y, chunks=777),
                                    sample_weight=da.from_array(w, chunks=500))
    res = sm.WLS(y, sm.add_constant(X), weights=w).fit()
    n = w.sum()
    assert_allclose(got.estimates_, res.params, rtol=1e-10)
    # MLE sigma2 = RSS / n; statsmodels' scale is RSS / (n - p) (frequency weights)
    assert_allclose(got.sigma2_, res.ssr / n, rtol=1e-10)
    assert_allclose(got.bse_**2, np.diag(res.normalized_cov_params) * res.ssr / n,
                    rtol=1e-10)
    assert_allclose(got.score(da.from_array(X, chunks=(400, -1)), y, sample_weight=w),
                    res.rsquared, rtol=1e-10)


CHUNKS = {"uneven": ((1, 999, 1300, 700), -1), "one": (-1, -1)}


@pytest.mark.parametrize("chunks", sorted(CHUNKS))
@pytest.mark.parametrize("params", [
    {}, {"use_t": True}, {"fit_intercept": False}, {"prior": Normal(scale=0.5)},
    {"prior": Laplace(scale=0.5)}, {"prior": StudentT(), "intercept_prior": Normal(scale=50.0)},
], ids=["mle", "use_t", "no_intercept", "normal", "laplace", "student_t"])
def test_dask_fit_equals_in_memory_fit(client, params, chunks):
    rng, X, y = _data()
    w = rng.integers(0, 4, len(y)).astype(float)
    ref = MLELinearRegression(**params).fit(X, y, sample_weight=w)
    got = MLELinearRegression(**params).fit(da.from_array(X, chunks=CHUNKS[chunks]),
                                            da.from_array(y, chunks=600),
                                            sample_weight=da.from_array(w, chunks=900))
    _same_fit(got, ref)


def test_one_row_chunks_float32_profile_and_lazy_predictions(client):
    rng, X, y = _data(40, 2)
    ref = MLELinearRegression().fit(X, y)
    dX = da.from_array(X, chunks=(1, -1))
    got = MLELinearRegression().fit(dX, da.from_array(y, chunks=1))
    _same_fit(got, ref)
    assert_allclose(got.conf_int(method="profile"), ref.conf_int(method="profile"),
                    rtol=1e-9)
    pred = got.predict(dX)
    assert isinstance(pred, da.Array)
    assert_allclose(pred.compute(), ref.predict(X), rtol=1e-12)
    assert_allclose(got.score(dX, y), ref.score(X, y), rtol=1e-12)
    X32 = X.astype(np.float32)
    _same_fit(MLELinearRegression().fit(da.from_array(X32, chunks=(7, -1)), y),
              MLELinearRegression().fit(X32, y))


def test_dataframe_names_reach_summary(client):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    rng, X, y = _data(900, 3)
    df = pd.DataFrame(X, columns=["age", "income", "dose"]).assign(weight=y)
    ref = MLELinearRegression().fit(df[["age", "income", "dose"]], df["weight"])
    ddf = dd.from_pandas(df, npartitions=4)
    got = MLELinearRegression().fit(ddf[["age", "income", "dose"]], ddf["weight"])
    _same_fit(got, ref)
    assert got.param_names_ == ["intercept", "age", "income", "dose"]
    text = str(got.summary())
    assert "income" in text and got.summary().header["Dep. variable"] == "weight"


# 38 chunks: rows 370-379 are chunk 37, the rest one chunk (fewer tasks per pass)
_TO_CHUNK_37 = (10,) * 37 + (130,)


def test_refusals_and_bad_input_as_in_memory(client):
    rng, X, y = _data(500, 4)
    dX = da.from_array(X, chunks=(_TO_CHUNK_37, -1))
    with pytest.raises(ValueError, match="cov_type='HC1' is not available on Dask"):
        MLELinearRegression(cov_type="HC1").fit(dX, y)
    est = MLELinearRegression().fit(dX, y)
    with pytest.raises(ValueError, match="bootstrap.*not available on Dask"):
        est.conf_int(method="bootstrap", n_boot=5)
    with pytest.raises(ValueError, match="not available on Dask"):
        est.marginal_effects()
    # NaN in X / y inside chunk 37, a negative weight there: the in-memory messages
    for Xb, yb, wb in [(X.copy(), y, None), (X, y.copy(), None), (X, y, np.ones(500))]:
        target = Xb if Xb is not X else (yb if yb is not y else wb)
        if target.ndim == 2:
            target[372, 1] = np.nan
        else:
            target[372] = np.nan if target is yb else -1.0
        with pytest.raises(ValueError) as mem:
            MLELinearRegression().fit(Xb, yb, sample_weight=wb)
        with pytest.raises(ValueError) as dsk:
            MLELinearRegression().fit(da.from_array(Xb, chunks=(_TO_CHUNK_37, -1)),
                                      da.from_array(yb, chunks=(_TO_CHUNK_37,)),
                                      sample_weight=None if wb is None
                                      else da.from_array(wb, chunks=(_TO_CHUNK_37,)))
        assert str(dsk.value) == str(mem.value)
    # aliased columns, and too few rows: the in-memory messages
    Xa = np.column_stack([X, X[:, 0] - 2 * X[:, 2]])
    for Xb, yb in [(Xa, y), (X[:3], y[:3])]:
        with pytest.raises(ValueError) as mem:
            MLELinearRegression().fit(Xb, yb)
        with pytest.raises(ValueError) as dsk:
            MLELinearRegression().fit(da.from_array(Xb, chunks=(2, -1)), yb)
        assert str(dsk.value) == str(mem.value)
    # a column whose sum of squares overflows float64: named with its row and value
    Xm = X.copy()
    Xm[401, 2] = 3e200
    with pytest.raises(ValueError) as mem:
        MLELinearRegression().fit(Xm, y)
    with pytest.raises(ValueError) as dsk:
        MLELinearRegression().fit(da.from_array(Xm, chunks=(_TO_CHUNK_37, -1)), y)
    assert str(dsk.value) == str(mem.value) and "row 401" in str(dsk.value)


def test_exact_fits_warn_as_in_memory(client):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 2))
    cases = [(X, X @ [1.0, -2.0] + 3.0),  # y on the plane: rounding-level residuals
             # three distinct rows for three coefficients, y constant within each
             (np.repeat(X[:3], 20, axis=0), np.repeat([1.0, 2.0, 4.0], 20))]
    for Xc, yc in cases:
        with pytest.warns(InferenceWarning) as mem:
            ref = MLELinearRegression().fit(Xc, yc)
        with pytest.warns(InferenceWarning) as dsk:
            got = MLELinearRegression().fit(da.from_array(Xc, chunks=(7, -1)), yc)
        assert str(dsk[0].message) == str(mem[0].message)
        assert got.sigma2_ == ref.sigma2_ == 0.0
    # repeated rows whose y varies: not exact (a warning-free fit, as in memory)
    yv = np.repeat([1.0, 2.0, 4.0], 20) + np.tile([0.0, 0.5], 30)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InferenceWarning)
        _same_fit(MLELinearRegression().fit(da.from_array(cases[1][0], chunks=(7, -1)), yv),
                  MLELinearRegression().fit(cases[1][0], yv))
