"""Newton-Raphson for GLMs with the exact Hessian, and its L-BFGS fallback.

The problem (:class:`~._problem.GLMProblem`: data, family, priors, the passes over
the rows) and the solver loop (:func:`newton_solve`, :func:`lbfgs_solve`) are separate
objects. A solver talks to a problem through its public methods only:
``linear_predictor(theta)``, ``trial(theta, eta, step)``, ``value(theta, eta)``,
``gradient()``, ``newton_matrix(exact)``, ``l1_weights()``, the optional ``at(theta)``
and ``value_here()``, and the attributes ``w``, ``m``, ``p``.

One Newton iteration: stop if the gradient is small; otherwise take the Newton
matrix, Cholesky-solve for the step, and in one pass over ``X`` compute ``X @ step``
with the objective and gradient at the full step (``trial``). If the Armijo condition
fails there, step-halve on ``eta + t * (X @ step)`` (each trial evaluates the
objective from the linear predictor alone: no pass over ``X``), then one pass for the
gradient at the accepted point. While the gradient falls fast (by 3x or more per full
step) the last Newton matrix, BFGS-corrected by the step just taken, is used for the
next step (a chord step), which saves the most expensive pass; one that falls slowly
gets a fresh matrix. A point whose gradient already meets the tolerance never gets a
Newton matrix for a step; the
caller builds exactly one there, for the covariance (``SolveResult.info``). When the
line search fails (no progress possible in floating point) and ``fallback`` is set,
L-BFGS continues from there and the better of the two is returned.

From 50 000 rows (``_warm_start``; from 5 000 with 32 parameters or more) the fit
starts at the optimum of a random 1/16 of the rows (at least 40 rows per parameter,
at most a quarter of them), with that subsample's information scaled to all rows as the first Newton
matrix: the iterations far from the answer run on the subsample, and the full fit
typically needs one pass per step and a single Hessian pass (the final one, for the
covariance). The fit still stops on the gradient over all rows, so only the path
changes, not the answer (to the tolerance).
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, optimize

from ._problem import GLMProblem

__all__ = ["GLMProblem", "SolveResult", "lbfgs_solve", "newton_solve"]

_CHORD_RATIO = 0.3  # keep the Newton matrix while the gradient falls at least this fast
# chord steps only from this many parameters (or _WARM_MIN_ROWS rows): below, a Newton
# matrix costs about what the extra iterations of chord steps cost
_CHORD_MIN_PARAMS = 32
_WARM_MIN_ROWS = 50_000  # from this many rows, start from the fit on a subsample
_WARM_FRACTION = 16  # ... of one row in this many
_WARM_ROWS_PER_PARAM = 40  # ... and at least this many rows per parameter
_WARM_MIN_ROWS_WIDE = 5_000  # from this many rows with _CHORD_MIN_PARAMS parameters or more


class SolveResult:
    """Outcome of a solver run; ``info(exact)`` is the Newton matrix at ``theta``."""

    def __init__(self, theta, f, grad, n_iter, converged, message="", info=None,
                 solver="newton"):
        self.info = info
        self.theta = theta
        self.f = f
        self.grad = grad
        self.n_iter = n_iter
        self.converged = converged
        self.message = message
        self.solver = solver


def _newton_step(H, g, on_singular):
    """Solve ``H s = -g`` by Cholesky; ``on_singular(H)`` is called if H is not PD."""
    try:
        c = linalg.cho_factor(H, lower=True, check_finite=False)
        return -linalg.cho_solve(c, g, check_finite=False)
    except linalg.LinAlgError:
        on_singular(H)
        # a tiny ridge keeps going where the objective is flat (e.g. diverging coefs)
        ridge = 1e-8 * max(np.max(np.abs(np.diag(H))), 1e-12)
        try:
            c = linalg.cho_factor(H + ridge * np.eye(len(g)), lower=True, check_finite=False)
            return -linalg.cho_solve(c, g, check_finite=False)
        except (linalg.LinAlgError, ValueError):
            return _scaled_step(H, g)


def _scaled_step(H, g):
    """The ridged step in units where H has a unit diagonal, else the diagonal step.

    Columns of very different magnitudes (X near 1e80 next to an intercept) give
    Newton matrices whose diagonal spans 1e160: a ridge relative to the largest entry
    then cannot absorb the rounding of the smallest pivots. Scaled to a unit diagonal
    the same ridge can; where even that fails (a non-finite matrix) the diagonal
    step ``-g / diag(H)`` is a descent direction the line search can shorten.
    """
    d = np.sqrt(np.abs(np.diag(H)))
    d = np.where(np.isfinite(d) & (d > 0), d, 1.0)
    Hs = H / np.outer(d, d)
    if np.all(np.isfinite(Hs)):
        try:
            c = linalg.cho_factor(Hs + 1e-8 * np.eye(len(g)), lower=True, check_finite=False)
            return -linalg.cho_solve(c, g / d, check_finite=False) / d
        except linalg.LinAlgError:
            pass
    step = -g / d**2
    return np.where(np.isfinite(step), step, 0.0)


def _bfgs_update(B, s, y):
    """BFGS update of the Newton matrix ``B`` by a step ``s`` and its gradient change
    ``y``: ``B s = y`` afterwards, so chord steps converge superlinearly instead of
    linearly (skipped when the curvature ``s.y`` is not positive: B stays PD)."""
    Bs = B @ s
    sy, sBs = float(s @ y), float(s @ Bs)
    if not (sy > 1e-12 * sBs and sBs > 0):
        return B
    return B - np.outer(Bs, Bs / sBs) + np.outer(y, y / sy)


def _prox_quadratic(H, g, theta, lam, max_sweeps=2000):
    """Minimise ``g.s + s'Hs/2 + sum lam |theta + s|`` by coordinate descent over ``z``."""
    z = theta.copy()
    b = H @ theta - g
    diag = np.diag(H).copy()
    diag[diag <= 0] = 1e-12
    Hz = H @ z
    for _ in range(max_sweeps):
        delta = 0.0
        for j in range(len(z)):
            rho = b[j] - (Hz[j] - diag[j] * z[j])
            if lam[j] > 0:
                znew = np.sign(rho) * max(abs(rho) - lam[j], 0.0) / diag[j]
            else:
                znew = rho / diag[j]
            dz = znew - z[j]
            if dz != 0.0:
                Hz += H[:, j] * dz
                z[j] = znew
                delta = max(delta, abs(dz))
        if delta <= 1e-13 * max(1.0, np.max(np.abs(z))):
            break
    return z - theta


def _min_norm_subgrad(g, theta, lam):
    """Minimum-norm subgradient of ``f + sum lam |theta|`` (equals g where lam = 0)."""
    out = g + lam * np.sign(theta)
    zero = (theta == 0) & (lam > 0)
    out[zero] = np.sign(g[zero]) * np.maximum(np.abs(g[zero]) - lam[zero], 0.0)
    return out


def _gradient_scale(problem):
    """What the gradient's size is measured against: the total weight (the
    log-likelihood's gradient grows with it, so weights of 1e-10 or 1e10 converge
    alike), at least 1 under a prior, whose gradient does not scale with the weights."""
    total = float(np.sum(problem.w))
    return max(total, 1.0) if problem.has_prior else total


def newton_solve(problem, theta0, tol, max_iter, on_singular, free=None, inspect=None,
                 fallback=False, finish=False):
    """Damped (proximal, under a Laplace prior) Newton iterations from ``theta0``.

    Parameters
    ----------
    problem : GLMProblem or an object with the same solver-facing methods
    theta0 : ndarray of shape (m, p)
    tol : float
        Stop when the largest (sub)gradient entry is below ``tol`` times the total weight.
    max_iter : int
    on_singular : callable
        ``on_singular(H)`` when the Newton matrix is not positive definite (it may raise).
    free : boolean array of shape (m * p,) or None
        The parameters to optimise (the others stay at their ``theta0`` value:
        constrained fits for profile likelihoods).
    inspect : callable or None
        Called with the first Newton matrix (e.g. to name aliased columns).
    fallback : bool
        If the line search fails without convergence (and no Laplace prior), continue
        with L-BFGS and keep the better result.
    finish : bool
        After convergence, take one more step with the loop's last Newton matrix
        (:func:`_finish_step`), so that the point the caller builds its covariance at
        is within ~1e-11 of the optimum instead of the stopping point's ~1e-7.

    Returns
    -------
    SolveResult
        The problem's state is left at ``theta`` (``info`` builds the Newton matrix there).
    """
    H0 = None
    if free is None:
        theta0, H0 = _warm_start(problem, theta0)
    res = _newton_loop(problem, theta0, tol, max_iter, on_singular, free, inspect, H0)
    if finish and free is None:
        res = _finish_step(problem, res)
    if (fallback and not res.converged and res.message and free is None
            and not problem.l1_weights().any()):
        alt = lbfgs_solve(problem, res.theta, tol, max_iter)
        if alt.f <= res.f:
            alt.solver = "newton, then lbfgs"
            return alt
        problem.value(res.theta)  # back to the Newton point
    return res


def small_newton_step(H, grad, theta, bound=1e-6):
    """The Newton step ``-H^-1 grad`` (shaped as ``theta``) if ``H`` has a Cholesky
    factor and no coefficient moves by more than ``bound * max(1, |theta|)``, else
    None (an indefinite matrix, or a step along a diverging direction)."""
    theta = np.asarray(theta, dtype=float)
    g = np.asarray(grad, dtype=float).ravel()
    try:
        factor = linalg.cho_factor(H, lower=True, check_finite=True)
        step = -linalg.cho_solve(factor, g, check_finite=True).reshape(theta.shape)
    except (linalg.LinAlgError, ValueError):
        return None
    if not np.all(np.abs(step) <= bound * np.maximum(1.0, np.abs(theta))):
        return None
    return step


def _finish_step(problem, res):
    """One more step from a converged solution with the loop's last Newton matrix, in
    one pass over ``X`` (the value and gradient at the new point; no Hessian).

    The loop stops once the gradient meets the tolerance, ~1e-7 (relative) from the
    optimum at tol=1e-8. A caller that polishes with the exact Hessian built there
    lands on the optimum, but that Hessian, and so the covariance, stays first-order
    in the distance (~1e-8 relative in the standard errors). After this step (the last
    matrix is exact or a BFGS-corrected chord, good to a few digits near the optimum)
    the point is ~1e-11 away, and the caller's Hessian with it: standard errors at the
    default tolerance equal a tight fit's (and a Dask fit's) to ~1e-10. Skipped after
    a line-search failure, under a Laplace or Jeffreys prior, or when the step is not
    small (a diverging direction); kept only if the value does not rise beyond
    rounding.
    """
    Hf = getattr(res, "last_matrix", None)
    if (Hf is None or not res.converged or res.message or problem.l1_weights().any()
            or getattr(problem, "jeffreys", False)):
        return res
    theta = np.asarray(res.theta, dtype=float)
    step = small_newton_step(Hf, res.grad, theta)
    if step is None or not np.any(step):
        return res
    eta = np.array(problem.eta)
    f_new = problem.trial(theta, eta, step)[2]
    if not (np.isfinite(f_new) and f_new <= res.f + 1e-12 * max(1.0, abs(res.f))):
        problem.value(theta, eta)  # back to the stopping point
        return res
    return SolveResult(theta + step, f_new, problem.gradient(), res.n_iter, True, "",
                       problem.newton_matrix, res.solver)


def _warm_start(problem, theta0):
    """The start for a large fit: the optimum on a random subsample of the rows.

    Newton from the intercept-only start spends 5-8 passes over all rows (each with a
    Hessian or a gradient) getting to where the answer is known to a few digits; the
    same iterations on 1/16 of the rows cost a fraction of one full pass, and from
    their optimum (``O(n_sub ** -0.5)`` away) the full fit converges in 2-3 steps.
    Only the path changes: the fit still stops on the full gradient. The subsample's
    own fit is kept only if it converged to finite values (a separated subsample or a
    singular one falls back to ``theta0``), and only if its value on all rows is below
    ``theta0``'s.
    """
    subsample = getattr(problem, "subsample", None)
    n, k = getattr(problem, "n", 0), problem.m * problem.p
    theta0 = np.asarray(theta0, dtype=float)
    # 1/16 of the rows, at least _WARM_ROWS_PER_PARAM per parameter; at most a quarter
    # of them (below 50 000 rows only for many parameters, where a Newton matrix is
    # the dominant cost: 10^4 x 50 needs 2 full ones instead of 4)
    size = max(n // _WARM_FRACTION, _WARM_ROWS_PER_PARAM * k)
    if (subsample is None or n < 4 * size
            or n < (_WARM_MIN_ROWS if k < _CHORD_MIN_PARAMS else _WARM_MIN_ROWS_WIDE)
            or problem.l1_weights().any() or getattr(problem, "jeffreys", False)
            or problem.at(theta0)):
        return theta0, None
    sub = subsample(size, seed=0)
    if sub is None:
        return theta0, None
    res = _newton_loop(sub, theta0, 1e-6, 25, lambda H: None)
    theta = np.asarray(res.theta, dtype=float).reshape(np.shape(theta0))
    if not res.converged or not np.all(np.isfinite(theta)):
        return theta0, None
    # the subsample's information at its optimum, scaled to all rows (plus the prior's
    # curvature, which does not scale): the first Newton matrix of the full fit, good
    # to O(n_sub ** -0.5), so the full fit may need no Hessian pass before the final one
    H0 = sub.hessian() * (float(np.sum(problem.w)) / float(np.sum(sub.w)))
    H0[np.diag_indices_from(H0)] += problem.log_prior(theta, exact_hess=False)[2].ravel()
    try:
        linalg.cholesky(H0, lower=True, check_finite=True)
    except (linalg.LinAlgError, ValueError):
        H0 = None  # a column the subsample barely saw: the full fit builds its own
    # keep it only if it is better on all rows (a rare category that the subsample
    # separates would start the fit far out on a flat ridge); theta0's value needs no
    # pass over X (intercepts only), theta's comes with its gradient in one pass, and
    # the problem is left there for the loop to start from
    eta0 = problem.linear_predictor(theta0)
    f0 = problem.value(theta0, eta0)
    step = theta - theta0
    f = problem.trial(theta0, eta0, step)[2]
    theta = theta0 + step  # the point trial() evaluated, bit for bit (the loop starts there)
    return (theta, H0) if f <= f0 else (theta0, None)


def _newton_loop(problem, theta0, tol, max_iter, on_singular, free=None, inspect=None,
                 H0=None):
    theta = np.asarray(theta0, dtype=float).ravel().copy()
    k = theta.size
    free = np.ones(k, dtype=bool) if free is None else np.asarray(free, dtype=bool)
    lam = problem.l1_weights().ravel()
    scale = _gradient_scale(problem)
    shape = (problem.m, problem.p)

    smooth, every = not lam.any(), bool(free.all())
    # chord steps where a Newton matrix costs more than the passes they may add
    chord = k >= _CHORD_MIN_PARAMS or getattr(problem, "n", 0) >= _WARM_MIN_ROWS

    def crit(g, theta):
        if smooth and every:  # the plain gradient: no subgradient or mask to build
            return float(np.max(np.abs(g), initial=0.0))
        return float(np.max(np.abs(_min_norm_subgrad(g, theta, lam)[free]), initial=0.0))

    if getattr(problem, "at", None) is not None and problem.at(theta):
        # restarted where the problem stands (a check after a fit): no pass over X;
        # its gradient and Newton matrix are kept too
        eta, F = problem.eta, problem.value_here() + float(lam @ np.abs(theta))
    elif getattr(problem, "subsample", None) is not None and problem.split(theta)[0].any():
        # X @ theta with the value and gradient in one pass: a "step" from 0 (whose
        # linear predictor, the offset, needs no pass)
        zero = np.zeros_like(theta)
        _, eta, F = problem.trial(zero, problem.linear_predictor(zero), theta)
        F += float(lam @ np.abs(theta))
    else:
        eta = problem.linear_predictor(theta)
        F = problem.value(theta, eta) + float(lam @ np.abs(theta))
    g = problem.gradient()
    c = crit(g, theta)
    # H0: a Newton matrix for the first step (the subsample's, scaled), used as a chord
    converged, n_iter, Hf, reuse = False, 0, H0, H0 is not None
    s_last = y_last = None  # the last step and its gradient change (BFGS correction)
    for n_iter in range(1, max_iter + 1):  # noqa: B007
        if c <= tol * scale:
            converged, n_iter = True, n_iter - 1
            break
        if Hf is None or not reuse:
            H = problem.newton_matrix()
            if inspect is not None:
                inspect(H)
                inspect = None
            Hf = H if every else H[np.ix_(free, free)]
        elif s_last is not None:  # chord step: the last matrix, BFGS-corrected by the last step
            Hf = _bfgs_update(Hf, s_last, y_last)
        step = np.zeros(k)
        if lam.any():
            step[free] = _prox_quadratic(Hf, g[free], theta[free], lam[free])
            decrease = float(g @ step + lam @ (np.abs(theta + step) - np.abs(theta)))
        else:
            step[free] = _newton_step(Hf, g[free], on_singular)
            decrease = float(g @ step)
        # one pass over X per Newton step: X @ step, with the value and the gradient at
        # the full step; further trials evaluate eta + t * (X @ step) only
        d_eta, eta_new, F_new = problem.trial(theta, eta, step)
        t, g_new = 1.0, None
        for _ in range(40):
            cand = theta + t * step
            if t == 1.0:
                F_new += float(lam @ np.abs(cand))
            else:
                eta_new = eta + t * d_eta
                F_new = problem.value(cand, eta_new) + float(lam @ np.abs(cand))
            if np.isfinite(F_new) and F_new <= F + 1e-4 * t * decrease:
                break
            if np.isfinite(F_new) and F_new - F <= 1e-13 * abs(F):
                # flat to rounding: accept if the gradient still falls
                g_new = problem.gradient()
                if crit(g_new, cand) < c:
                    break
                g_new = None
            t *= 0.5
        else:
            # no progress possible in floating point: converged if the gradient is small
            problem.value(theta, eta)  # back to the state at theta
            converged = c <= 1e3 * tol * scale
            return SolveResult(theta.reshape(shape), F, g, n_iter, converged,
                               "line search failed", problem.newton_matrix)
        theta, eta, F, g_old = cand, eta_new, F_new, g
        g = problem.gradient() if g_new is None else g_new
        s_last, y_last = (t * step)[free], (g - g_old)[free]
        c_new = crit(g, theta)
        # chord step next time only after a full step that cut the gradient 3x or more
        reuse = t == 1.0 and c_new <= _CHORD_RATIO * c and chord
        c = c_new
    else:
        converged = c <= tol * scale
    res = SolveResult(theta.reshape(shape), F, g, n_iter, converged, "",
                      problem.newton_matrix)
    res.last_matrix = Hf if every and smooth else None  # for _finish_step
    return res


def lbfgs_solve(problem, theta0, tol, max_iter):
    """L-BFGS on the smooth objective (for very wide X); one pass per evaluation."""
    scale = _gradient_scale(problem)

    def fun(t):
        f = problem.value(t)
        return f / scale, problem.gradient() / scale

    res = optimize.minimize(
        fun, np.asarray(theta0, dtype=float).ravel(), jac=True, method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": tol, "ftol": 1e-15, "maxcor": 30},
    )
    f = problem.value(res.x)  # leave the stored state at the solution
    g = problem.gradient()
    converged = bool(np.max(np.abs(g), initial=0.0) <= 10 * tol * scale) or bool(res.success)
    return SolveResult(res.x.reshape(problem.m, problem.p), f, g, int(res.nit), converged,
                       str(res.message), problem.newton_matrix, solver="lbfgs")
