"""The GLM solver's passes over X and the multinomial Hessian's block structure."""

import numpy as np
import pytest
from scipy import special

from sklearn_mle.linear_model._family import Binomial, Multinomial
from sklearn_mle.linear_model._newton import GLMProblem, newton_solve


def _direct_multinomial_hessian(A, theta, w):
    eta = A @ theta.T
    full = np.column_stack([np.zeros(len(A)), eta])
    p = special.softmax(full, axis=1)[:, 1:]
    m, k = p.shape[1], A.shape[1]
    H = np.zeros((m * k, m * k))
    for i in range(len(A)):
        W = np.diag(p[i]) - np.outer(p[i], p[i])
        H += w[i] * np.kron(W, np.outer(A[i], A[i]))
    return H


@pytest.mark.parametrize("zero_coef", [False, True])
def test_multinomial_hessian_block_structure(zero_coef):
    rng = np.random.default_rng(3)
    n, d, K = 301, 3, 4
    X = rng.normal(size=(n, d))
    Y = np.eye(K)[rng.integers(0, K, n)]
    w = rng.uniform(0.5, 2.0, n)
    theta = rng.normal(scale=0.4, size=(K - 1, d + 1))
    if zero_coef:  # equal probabilities on every row: the Kronecker shortcut
        theta[:, 1:] = 0.0
    prob = GLMProblem(X, Y, w, None, Multinomial(K), True, n_jobs=2, block_rows=37)
    prob.value(theta)
    A = np.column_stack([np.ones(n), X])
    np.testing.assert_allclose(prob.newton_matrix(), _direct_multinomial_hessian(A, theta, w),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("d", "fit_intercept", "unit", "K"), [
    (3, False, False, 3),  # the class-pair form (C Q^T), no intercept
    (5, True, True, 3),  # the pair form by columns, unit weights (no weight products)
    (20, True, False, 5),  # the pair form by columns, 10 pairs
    (12, False, False, 6),  # the pair form (C Q^T), 15 pairs
    (50, True, False, 3),  # too wide for the pair form: the syrk of p (x) a
])
def test_multinomial_hessian_both_forms(d, fit_intercept, unit, K):
    rng = np.random.default_rng(4)
    n = 2600  # more rows than one sub-block of the pair forms
    X = rng.normal(size=(n, d))
    Y = np.eye(K)[rng.integers(0, K, n)]
    w = np.ones(n) if unit else rng.uniform(0.0, 2.0, n)
    theta = rng.normal(scale=0.3, size=(K - 1, d + int(fit_intercept)))
    prob = GLMProblem(X, Y, w, None, Multinomial(K), fit_intercept, n_jobs=1)
    prob.value(theta)
    A = np.column_stack([np.ones(n), X]) if fit_intercept else X
    np.testing.assert_allclose(prob.newton_matrix(), _direct_multinomial_hessian(A, theta, w),
                               rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("scale", [0.1, 5.0, 60.0, 720.0])
def test_multinomial_derivatives_against_scipy(scale):
    # the unshifted fast path (log-odds below 700) and the max-shifted one (beyond)
    rng = np.random.default_rng(5)
    n, K = 500, 4
    eta = rng.normal(scale=scale, size=(n, K - 1))
    codes = rng.integers(0, K, n)
    Y = np.eye(K)[codes]
    full = np.column_stack([np.zeros(n), eta])
    lse = special.logsumexp(full, axis=1)
    prob = special.softmax(full, axis=1)[:, 1:]
    fam = Multinomial(K)
    for response in (Y, fam.derivs_response(Y)):
        lk, score, p = fam.derivs(response, eta)
        np.testing.assert_allclose(lk, full[np.arange(n), codes] - lse, rtol=1e-13,
                                   atol=1e-13)
        np.testing.assert_allclose(p, prob, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(score, Y[:, 1:] - prob, rtol=1e-12, atol=1e-15)



@pytest.mark.parametrize("scale", [0.1, 5.0, 60.0, 705.0])
@pytest.mark.parametrize("unit", [True, False])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_derivs_into_against_scipy(scale, unit, n_classes):
    """The solver's in-place block terms (weighted score, Hessian weights, weighted
    log-likelihood sum) against scipy's log-sum-exp and softmax: the fast path and the
    overflow fallback (log-odds beyond 700), unit and general weights."""
    rng = np.random.default_rng(9)
    n, m = 400, n_classes - 1
    eta = rng.normal(scale=scale, size=(n, m))
    codes = rng.integers(0, n_classes, n)
    w = np.ones(n) if unit else rng.uniform(0.0, 3.0, n)
    full = np.column_stack([np.zeros(n), eta])
    loglik = full[np.arange(n), codes] - special.logsumexp(full, axis=1)
    prob = special.softmax(full, axis=1)[:, 1:]
    onehot = np.eye(n_classes)[codes][:, 1:]
    if n_classes == 2:
        fam, Y = Binomial(), onehot
        hess = special.expit(eta) * special.expit(-eta) * w[:, None]  # exact in the tails
    else:
        fam = Multinomial(n_classes)
        Y = fam.derivs_response(np.eye(n_classes)[codes])
        hess = prob
    score_out, hess_out = np.full((n, m), np.nan), np.full((n, m), np.nan)
    total = fam.derivs_into(Y, eta.copy(), w, unit, score_out, hess_out)
    assert total == pytest.approx(float(w @ loglik), rel=1e-12)
    np.testing.assert_allclose(score_out, (onehot - prob) * w[:, None], rtol=1e-11,
                               atol=1e-15)
    np.testing.assert_allclose(hess_out, hess, rtol=1e-11, atol=1e-300)


def test_line_search_reuses_the_direction(monkeypatch):
    """Per Newton step one pass over X gives X @ step with the value and gradient at the
    full step; further trials evaluate eta + t * (X @ step) only (no pass over X), and
    only a step that was cut short pays a separate gradient pass."""
    import sklearn_mle.linear_model._problem as problem_module

    rng = np.random.default_rng(4)
    X = rng.normal(size=(500, 4))
    y = (rng.random(500) < special.expit(X @ [2.0, -1.0, 0.5, 0.0])).astype(float)[:, None]
    prob = GLMProblem(X, y, np.ones(500), None, Binomial(), True)
    events = []
    real_map_reduce = problem_module.map_reduce

    def counted_map_reduce(fn, data, *rows, **kw):
        if data is X:
            events.append("X pass")
        return real_map_reduce(fn, data, *rows, **kw)

    monkeypatch.setattr(problem_module, "map_reduce", counted_map_reduce)
    lp, value, trial, hessian = prob.linear_predictor, prob.value, prob.trial, prob.hessian

    def counted(name, fn):
        def wrapped(*a, **k):
            events.append(name)
            return fn(*a, **k)
        return wrapped

    def counted_value(theta, eta=None):
        assert eta is not None  # the solver always hands the predictor over
        events.append("value")
        return value(theta, eta)

    prob.linear_predictor = counted("lp", lp)
    prob.trial, prob.value = counted("trial", trial), counted_value
    prob.hessian = counted("hessian", hessian)
    theta0 = np.full((1, 5), 3.0)  # far away: the line search has to halve
    res = newton_solve(prob, theta0, 1e-10, 50, lambda H: None)
    assert res.converged
    assert events.count("lp") == 1  # the start's offset-only predictor (no pass)
    # the start (X @ theta0 with its value and gradient), then one per Newton step
    assert events.count("trial") == res.n_iter + 1
    steps = "|".join(events).split("trial")[1:]  # the events of each Newton step
    cut_short = sum("value" in step for step in steps)
    assert events.count("value") > 1  # the start and rejected trials
    # X passes: the start and one per step, one per Newton matrix, and one gradient
    # pass per step whose full trial was rejected
    hess = events.count("hessian")
    assert 0 < cut_short
    assert events.count("X pass") == 1 + res.n_iter + hess + cut_short
    np.testing.assert_allclose(prob.eta, lp(res.theta), rtol=1e-10, atol=1e-12)


def test_bfgs_corrected_chord_step_keeps_the_secant_and_stays_pd():
    from sklearn_mle.linear_model._newton import _bfgs_update

    rng = np.random.default_rng(5)
    M = rng.normal(size=(6, 6))
    B = M @ M.T + 6 * np.eye(6)
    s, y = rng.normal(size=6), None
    y = (B + 0.3 * np.eye(6)) @ s  # a step along which the curvature grew
    B1 = _bfgs_update(B, s, y)
    np.testing.assert_allclose(B1 @ s, y, rtol=1e-12)
    np.testing.assert_allclose(B1, B1.T, rtol=1e-14, atol=1e-14)
    assert np.all(np.linalg.eigvalsh(B1) > 0)
    assert _bfgs_update(B, s, -y) is B  # negative curvature: the matrix is kept


def test_chord_steps_reach_the_newton_solution():
    """Many parameters (chord steps on): the same optimum and state as fresh Newton
    matrices at every step (checked against a direct solve of the score equations)."""
    from scipy import optimize

    rng = np.random.default_rng(6)
    n, d = 3000, 40
    X = rng.normal(size=(n, d))
    beta = rng.normal(scale=0.3, size=d)
    y = (rng.random(n) < special.expit(X @ beta - 0.3)).astype(float)[:, None]
    prob = GLMProblem(X, y, np.ones(n), None, Binomial(), True)
    res = newton_solve(prob, np.zeros((1, d + 1)), 1e-10, 50, lambda H: None)
    assert res.converged
    A = np.column_stack([np.ones(n), X])

    def nll(b):
        eta = A @ b
        return np.sum(np.logaddexp(0, eta) - y[:, 0] * eta), A.T @ (special.expit(eta) - y[:, 0])

    ref = optimize.minimize(nll, np.zeros(d + 1), jac=True, method="BFGS",
                            options={"gtol": 1e-10, "maxiter": 2000})
    np.testing.assert_allclose(res.theta.ravel(), ref.x, rtol=1e-6, atol=1e-7)
    mu = special.expit(A @ res.theta.ravel())
    np.testing.assert_allclose(res.info(True), A.T @ (A * (mu * (1 - mu))[:, None]),
                               rtol=1e-10)


@pytest.mark.parametrize("rare_separated", [False, True])
def test_warm_start_from_a_subsample_reaches_the_same_fit(rare_separated):
    """From 50 000 rows the fit starts at the optimum of a subsample; the estimates,
    log-likelihood and Hessian are those of the plain start (tight tolerance). A rare
    column that the subsample separates (all its drawn rows have y = 1) must not lead
    the fit astray: that start is dropped when it is worse than the intercept-only one."""
    import sklearn_mle.linear_model._newton as newton

    rng = np.random.default_rng(7)
    n, d = 64_000, 3
    X = rng.normal(size=(n, d))
    y = (rng.random(n) < special.expit(X @ [1.0, -0.5, 0.25] - 0.2)).astype(float)
    if rare_separated:
        X[:, 2] = 0.0
        X[:40, 2] = 1.0
        y[:40] = 1.0
        # one y = 0 among them (the MLE exists), on a row the subsample does not draw
        drawn = np.random.default_rng(0).random(n) < (n // 16) / n
        y[np.flatnonzero(~drawn[:40])[0]] = 0.0
    Y = y[:, None]
    starts = []
    real = newton._newton_loop

    def spy(problem, theta0, *args, **kw):
        starts.append(problem.n)
        return real(problem, theta0, *args, **kw)

    theta0 = np.zeros((1, d + 1))
    plain_prob = GLMProblem(X, Y, np.ones(n), None, Binomial(), True)
    plain = real(plain_prob, theta0, 1e-10, 100, lambda H: None)
    newton._newton_loop = spy
    try:
        prob = GLMProblem(X, Y, np.ones(n), None, Binomial(), True)
        res = newton_solve(prob, theta0, 1e-10, 100, lambda H: None)
    finally:
        newton._newton_loop = real
    assert starts[0] < n // 10  # the subsample's fit ran first
    assert res.converged and plain.converged
    # equal within what the gradient tolerance determines: a tiny fraction of a
    # standard error (the rare column's coefficient is known to about 1)
    se = np.sqrt(np.diag(np.linalg.inv(plain.info(True))))
    assert np.max(np.abs(res.theta - plain.theta).ravel() / se) < 1e-4
    np.testing.assert_allclose(res.theta[0, :3], plain.theta[0, :3], rtol=1e-7)
    assert res.f == pytest.approx(plain.f, rel=1e-12)
    np.testing.assert_allclose(res.info(True), plain.info(True), rtol=1e-5)


def test_warm_start_with_a_column_the_subsample_never_sees():
    """A dummy whose few rows the subsample does not draw is a zero column there: the
    subsample's singular information is not used as the first Newton matrix, no
    singular matrix reaches the full fit, and the fit equals the plain one."""
    import sklearn_mle.linear_model._newton as newton

    rng = np.random.default_rng(8)
    n = 64_000
    X = rng.normal(size=(n, 3))
    y = (rng.random(n) < special.expit(X @ [0.8, -0.4, 0.3])).astype(float)
    drawn = np.random.default_rng(0).random(n) < (n // 16) / n
    rare = np.flatnonzero(~drawn)[:6]
    X = np.column_stack([X, np.zeros(n)])
    X[rare, 3] = 1.0
    y[rare[:4]] = 1.0
    y[rare[4:]] = 0.0

    def singular(H):
        raise AssertionError("a singular Newton matrix reached the full fit")

    theta0 = np.zeros((1, 5))
    res = newton_solve(GLMProblem(X, y[:, None], np.ones(n), None, Binomial(), True), theta0,
                       1e-10, 100, singular)
    plain = newton._newton_loop(GLMProblem(X, y[:, None], np.ones(n), None, Binomial(), True),
                                theta0, 1e-10, 100, singular)
    assert res.converged
    se = np.sqrt(np.diag(np.linalg.inv(plain.info(True))))
    assert np.max(np.abs(res.theta - plain.theta).ravel() / se) < 1e-4
    assert res.f == pytest.approx(plain.f, rel=1e-12)


@pytest.mark.parametrize("prior", [None, "normal"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_default_tolerance_lands_on_the_optimum(prior, n_classes):
    """The stopping rule (gradient below tol x total weight, then one Newton step from
    the covariance's exact Hessian) puts the default-tol estimates on the optimum to
    ~1e-12: the closed-form score equations of the log-posterior hold to rounding, and
    the estimates equal a fit at tol=1e-13 (MLE and MAP under a Normal prior; chord
    steps on, 61 or 122 parameters)."""
    from sklearn_mle import MLELogisticRegression
    from sklearn_mle.priors import Normal

    rng = np.random.default_rng(11)
    n, d = 3000, 60
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(scale=0.15, size=(d, n_classes))
         + rng.gumbel(size=(n, n_classes))).argmax(axis=1)
    kw = {} if prior is None else {"prior": Normal(1.0)}
    est = MLELogisticRegression(**kw).fit(X, y)
    tight = MLELogisticRegression(tol=1e-13, **kw).fit(X, y)
    theta = np.column_stack([est.intercept_, est.coef_])  # (K - 1, d + 1)
    np.testing.assert_allclose(theta, np.column_stack([tight.intercept_, tight.coef_]),
                               rtol=1e-11, atol=1e-13)
    A = np.column_stack([np.ones(n), X])
    p = special.softmax(np.column_stack([np.zeros(n), A @ theta.T]), axis=1)[:, 1:]
    Y = (y[:, None] == np.arange(1, n_classes)).astype(float)
    score = (Y - p).T @ A
    if prior is not None:
        score[:, 1:] -= theta[:, 1:]  # d/db of log N(b; 0, 1)
    assert np.max(np.abs(score)) < 1e-9 * n  # tol=1e-8 alone leaves up to 1e-8 * n


def test_warm_start_of_a_wide_fit_below_50000_rows(monkeypatch):
    """10^4 rows, 51 parameters: the fit starts from a subsample of 40 rows per
    parameter, builds a single Newton matrix over all rows (the final one, for the
    covariance; without the warm start 4) and reaches the plain Newton fit's estimates
    and standard errors (the closed-form Hessian at the solution)."""
    from sklearn_mle import MLELogisticRegression

    rng = np.random.default_rng(12)
    n, d = 10_000, 50
    X = rng.normal(size=(n, d))
    y = (rng.random(n) < special.expit(X @ rng.normal(scale=0.3, size=d) + 0.2)).astype(int)
    full_rows = []
    real = GLMProblem.hessian

    def spy(self):
        full_rows.append(self.n)
        return real(self)

    monkeypatch.setattr(GLMProblem, "hessian", spy)
    est = MLELogisticRegression().fit(X, y)
    assert full_rows.count(n) == 1 and min(full_rows) < n // 4
    monkeypatch.setattr(GLMProblem, "hessian", real)
    A = np.column_stack([np.ones(n), X])
    plain = newton_solve(GLMProblem(X, y[:, None].astype(float), np.ones(n), None,
                                    Binomial(), True), np.zeros((1, d + 1)), 1e-13, 100,
                         lambda H: None, free=np.ones(d + 1, dtype=bool))  # no warm start
    theta = np.r_[est.intercept_, est.coef_.ravel()]
    np.testing.assert_allclose(theta, plain.theta.ravel(), rtol=1e-11, atol=1e-13)
    mu = special.expit(A @ theta)
    cov = np.linalg.inv(A.T @ (A * (mu * (1 - mu))[:, None]))
    np.testing.assert_allclose(est.bse_, np.sqrt(np.diag(cov)), rtol=1e-7)


@pytest.mark.parametrize("multinomial", [False, True])
def test_default_tolerance_standard_errors_at_the_optimum(multinomial):
    # the solver's finishing step (one pass with its last Newton matrix) brings the
    # point the covariance is built at to ~1e-11 of the optimum: the default fit's
    # standard errors equal a tight fit's to 1e-10 (they were ~1e-8 off, the Hessian
    # taken at the stopping point); estimates equal to 1e-12
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 4))
    eta = X @ np.array([0.8, -0.5, 0.3, 0.0])
    y = (np.digitize(eta + rng.logistic(size=3000), [-0.5, 0.7]) if multinomial
         else (rng.random(3000) < 1 / (1 + np.exp(-eta))).astype(int))
    from numpy.testing import assert_allclose

    from sklearn_mle import MLELogisticRegression

    default = MLELogisticRegression().fit(X, y)
    tight = MLELogisticRegression(tol=1e-13).fit(X, y)
    assert_allclose(default.estimates_, tight.estimates_, rtol=1e-12, atol=1e-14)
    assert_allclose(default.bse_, tight.bse_, rtol=1e-10)
    assert_allclose(default.loglik_, tight.loglik_, rtol=1e-14)
