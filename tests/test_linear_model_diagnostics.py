"""When the MLE does not exist: separation, aliased columns, bad y, non-convergence."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_mle import (
    BoundaryWarning,
    MLELogisticRegression,
    MLEPoissonRegression,
    SeparationWarning,
)
from sklearn_mle.linear_model._diagnostics import (
    aliased_columns,
    find_separation,
    find_zero_count_direction,
)
from sklearn_mle.priors import Normal


def _quasi_separated():
    rng = np.random.default_rng(0)
    n = 60
    df = pd.DataFrame({"age": rng.normal(size=n), "smoker": (rng.random(n) < 0.3) * 1.0})
    y = (rng.random(n) < 0.4).astype(int)
    y[df["smoker"].values == 1] = 1  # every smoker has the outcome
    return df, y


def test_complete_separation_warns_with_feature_and_remedy():
    X = pd.DataFrame({"dose": [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0], "noise": [1, 0, 1, 1, 0, 0.0]})
    y = np.array([0, 0, 0, 1, 1, 1])
    with pytest.warns(SeparationWarning) as rec:
        MLELogisticRegression().fit(X, y)
    msg = str(rec[0].message)
    assert "completely separated" in msg and "'dose'" in msg
    assert "prior=Cauchy()" in msg and "prior=Jeffreys()" in msg
    with pytest.raises(ValueError, match=r"completely separated by 'dose'.*prior=Cauchy"):
        MLELogisticRegression(on_separation="raise").fit(X, y)


def test_quasi_complete_separation_names_the_feature():
    X, y = _quasi_separated()
    with pytest.raises(ValueError, match=r"quasi-completely separated by 'smoker' \(\d+ rows"):
        MLELogisticRegression(on_separation="raise").fit(X, y)
    info = find_separation(X.values, y, np.ones(len(y)), True, ["age", "smoker"])
    assert info["features"] == ["smoker"] and not info["complete"]
    assert info["n_rows"] == int(X["smoker"].sum())


def test_no_false_alarm_on_overlapping_data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = (rng.random(300) < 1 / (1 + np.exp(-X[:, 0]))).astype(int)
    assert find_separation(X, y, np.ones(300), True, ["a", "b", "c"]) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MLELogisticRegression().fit(X, y)
    # a huge but finite effect (fitted probabilities near 0/1) is not separation
    X2 = np.linspace(-10, 10, 400)[:, None]
    y2 = (rng.random(400) < 1 / (1 + np.exp(-3 * X2[:, 0]))).astype(int)
    assert find_separation(X2, y2, np.ones(400), True, ["x"]) is None


def test_multinomial_separation():
    X = np.array([[-3.0], [-2.0], [-1.0], [0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    y = np.array(["a", "a", "a", "b", "b", "b", "c", "c", "c"])
    with pytest.raises(ValueError, match="completely separated by 'x0'"):
        MLELogisticRegression(on_separation="raise").fit(X, y)
    # overlapping classes: fine
    y2 = np.array(["a", "b", "a", "b", "c", "b", "c", "a", "c"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MLELogisticRegression().fit(X, y2)


def test_aliased_columns_named_for_glms():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"height_cm": rng.normal(170, 10, 50), "weight": rng.normal(70, 5, 50)})
    df["height_m"] = df["height_cm"] / 100
    y = rng.poisson(2.0, 50)
    with pytest.raises(ValueError, match=r"'height_m' is a linear combination of 'height_cm'"):
        MLEPoissonRegression().fit(df, y)
    yb = (rng.random(50) < 0.5).astype(int)
    with pytest.raises(ValueError, match=r"rank deficient.*Drop the aliased column"):
        MLELogisticRegression().fit(df, yb)
    const = df[["weight"]].assign(one=1.0)
    with pytest.raises(ValueError, match=r"'(one|intercept)' is a linear combination of"):
        MLEPoissonRegression().fit(const, y)
    # a proper prior identifies the coefficients: no error, finite standard errors
    fit = MLEPoissonRegression(prior=Normal(10.0)).fit(df, y)
    assert np.all(np.isfinite(fit.bse_))


def test_aliased_columns_function():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(30, 3))
    A = np.column_stack([A, A[:, 0] + 2 * A[:, 1], np.zeros(30)])
    out = dict(aliased_columns(A.T @ A, list("abcde")))
    assert out["e"] == []
    aliased = [k for k in out if k != "e"]
    assert len(aliased) == 1 and set(out[aliased[0]]) | {aliased[0]} == {"a", "b", "d"}
    assert aliased_columns(A[:, :3].T @ A[:, :3], list("abc")) == []


def test_convergence_warning_with_advice():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 3))
    y = (rng.random(200) < 0.5).astype(int)
    with pytest.warns(ConvergenceWarning, match="did not converge in 1 iterations.*max_iter"):
        clf = MLELogisticRegression(max_iter=1, tol=1e-14).fit(X, y)
    assert not clf.converged_ and clf.n_iter_ == 1


def test_one_sample_message():
    with pytest.raises(ValueError, match="got 1 sample"):
        MLEPoissonRegression().fit([[1.0]], [2])


def test_poisson_all_zero_category_warns():
    rng = np.random.default_rng(5)
    X = pd.DataFrame({"treated": np.repeat([0.0, 1.0], 40), "z": rng.normal(size=80)})
    y = np.where(X["treated"] == 1, 0, rng.poisson(2.0, 80))
    with pytest.warns(BoundaryWarning, match=r"40 rows with zero counts .* of 'treated' to "
                                             r"-infinity.*prior=Normal"):
        MLEPoissonRegression().fit(X, y)
    info = find_zero_count_direction(X.values, y, np.ones(80), True, ["treated", "z"])
    assert info["features"] == ["treated"] and info["n_rows"] == 40
    # zeros spread over both groups: the MLE exists, no warning
    y2 = rng.poisson(0.5, 80)
    assert find_zero_count_direction(X.values, y2, np.ones(80), True, ["treated", "z"]) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MLEPoissonRegression().fit(X, y2)
        MLEPoissonRegression(prior=Normal(5.0)).fit(X, y)


def test_separation_names_only_the_separating_features():
    rng = np.random.default_rng(6)
    X = pd.DataFrame(rng.normal(size=(100, 3)), columns=["a", "b", "c"])
    y = (X["a"] + X["c"] > 0).astype(int)
    info = find_separation(X.values, y.values, np.ones(100), True, ["a", "b", "c"])
    assert info == {"features": ["a", "c"], "complete": True, "n_rows": 100}
    with pytest.warns(SeparationWarning, match=r"completely separated by 'a', 'c' \(100 rows"):
        MLELogisticRegression().fit(X, y)


def test_newton_stall_falls_back_to_lbfgs(monkeypatch):
    import sklearn_mle.linear_model._newton as newton

    rng = np.random.default_rng(8)
    X = rng.normal(size=(200, 2))
    y = (rng.random(200) < 1 / (1 + np.exp(-X[:, 0]))).astype(int)
    ref = MLELogisticRegression().fit(X, y)
    real = newton._newton_loop

    def stalled(problem, theta0, tol, max_iter, *args, **kwargs):
        res = real(problem, theta0, tol, 1, *args, **kwargs)  # one step, then "stall"
        res.converged, res.message = False, "line search failed"
        return res

    # the fallback to L-BFGS lives inside the solver
    monkeypatch.setattr(newton, "_newton_loop", stalled)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = MLELogisticRegression(tol=1e-10).fit(X, y)
    assert clf.converged_
    np.testing.assert_allclose(clf.estimates_, ref.estimates_, rtol=1e-4)
    np.testing.assert_allclose(clf.bse_, ref.bse_, rtol=1e-4)


def test_large_data_quasi_separation_by_diverging_check():
    """Above the always-LP size, a rare dummy with only positive outcomes is still caught."""
    rng = np.random.default_rng(9)
    n = 70_000  # n * 3 parameters > the always-LP size (200 000)
    X = pd.DataFrame({"x": rng.normal(size=n), "rare": np.zeros(n)})
    X.loc[:24, "rare"] = 1.0
    y = (rng.random(n) < 1 / (1 + np.exp(-X["x"].values))).astype(int)
    y[:25] = 1
    with pytest.warns(SeparationWarning, match=r"quasi-completely separated by 'rare' \(25 rows"):
        MLELogisticRegression().fit(X, y)
    y[0] = 0  # one failure among the rare rows: the MLE exists, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MLELogisticRegression().fit(X, y)


def test_large_data_zero_count_group_by_diverging_check():
    rng = np.random.default_rng(10)
    n = 70_000
    X = pd.DataFrame({"x": rng.normal(size=n), "closed": np.zeros(n)})
    X.loc[:29, "closed"] = 1.0
    y = rng.poisson(np.exp(0.2 * X["x"].values))
    y[:30] = 0
    with pytest.warns(BoundaryWarning, match=r"30 rows with zero counts .* 'closed'"):
        MLEPoissonRegression().fit(X, y)
    y[0] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MLEPoissonRegression().fit(X, y)


def test_drift_screen_never_hides_separation():
    # the LP runs only where one more Newton step from the fit would move a row's
    # linear predictor: over random small data, separated by construction or not, the
    # warnings are exactly the LP's verdicts (find_separation on the data)
    rng = np.random.default_rng(11)
    seen = {True: 0, False: 0}
    for _ in range(60):
        n, d, K = int(rng.integers(10, 120)), int(rng.integers(1, 4)), int(rng.choice([2, 3]))
        X = rng.normal(size=(n, d))
        eta = X @ rng.normal(scale=rng.choice([0.5, 3.0, 30.0]), size=(d, K))
        y = eta.argmax(1) if rng.random() < 0.3 else (eta + rng.gumbel(size=(n, K))).argmax(1)
        if rng.random() < 0.2:  # quasi-complete: a 0/1 column seen only with class 1
            X[:, 0] = (y == 1) * rng.integers(0, 2, n)
        if len(np.unique(y)) < 2:
            continue
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            try:
                MLELogisticRegression().fit(X, y)
            except ValueError:  # aliased columns
                continue
        warned = any(issubclass(r.category, SeparationWarning) for r in rec)
        codes = np.unique(y, return_inverse=True)[1]
        lp = find_separation(X, codes, np.ones(n), True, [f"x{j}" for j in range(d)],
                             n_classes=int(codes.max()) + 1) is not None
        assert warned == lp
        seen[lp] += 1
    assert seen[True] >= 10 and seen[False] >= 10


def test_drift_screen_never_hides_a_zero_count_direction():
    # Poisson: the boundary warning is exactly the LP's verdict on random small data
    rng = np.random.default_rng(12)
    seen = {True: 0, False: 0}
    for _ in range(40):
        n, d = int(rng.integers(10, 120)), int(rng.integers(1, 4))
        X = rng.normal(size=(n, d))
        y = rng.poisson(np.exp(X @ rng.normal(scale=0.5, size=d))).astype(float)
        if rng.random() < 0.5:  # a group of rows whose counts are all 0
            X[:, 0] = (rng.random(n) < 0.3) * 1.0
            y[X[:, 0] == 1] = 0
        if y.sum() == 0:
            continue
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            try:
                MLEPoissonRegression().fit(X, y)
            except ValueError:
                continue
        warned = any(issubclass(r.category, BoundaryWarning) for r in rec)
        lp = find_zero_count_direction(X, y, np.ones(n), True,
                                       [f"x{j}" for j in range(d)]) is not None
        assert warned == lp
        seen[lp] += 1
    assert seen[True] >= 5 and seen[False] >= 5
