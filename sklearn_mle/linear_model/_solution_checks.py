"""Checks on a GLM solver's solution: the last Newton step, drift, divergence, aliasing.

:class:`SolutionChecksMixin` is mixed into
:class:`~sklearn_mle.linear_model._base.GLMBase`: the polishing Newton step taken
from a converged solution, the cheap finite-MLE test (``_no_drift``) and the
diverging-coefficient test (``_diverges``) that the separation checks of the
subclasses build on, and the aliased-column check on the Newton matrix.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from ._diagnostics import aliased_columns, aliased_message
from ._newton import newton_solve, small_newton_step

# a Newton step from the solution that moves no row's linear predictor by this much:
# no sign of a diverging direction (which moves the affected rows by about 1 or more)
_DRIFT = 0.1
# the final Newton step is taken when no coefficient moves by more than this (relative)
_POLISH = 1e-6


class SolutionChecksMixin:
    """Solution checks of :class:`~sklearn_mle.linear_model._base.GLMBase`."""

    @staticmethod
    def _polished(problem, res, H):
        """The solution plus the Newton step from it, ``-H^-1 g`` (no pass over ``X``:
        ``H`` is the one built for the covariance).

        Chord steps converge linearly and stop just below the tolerance (coefficients
        ~1e-7 from the optimum at tol=1e-8); one Newton step from there with the exact
        Hessian lands within rounding of it, as a Newton iteration's last quadratic
        step would. The log-likelihood and the Hessian at the solution are kept: the
        solver's finishing step (``_newton._finish_step``) already brought the solution
        within ~1e-11 of the optimum, so they differ from the optimum's by ~1e-20 and
        ~1e-11 relative (the Hessian moves to first order with the point). Also under a
        smooth prior (Normal, Student-t, Cauchy), whose exact curvature ``H``
        includes: the MAP then lands on the posterior mode to ~1e-13 relative, not
        ~1e-6. Not under a Laplace prior (a kink) or Jeffreys' (``H`` is the Fisher
        information, not the objective's Hessian). Only after a Newton fit that
        converged, and only when the step is small (a separated fit's step, along a
        diverging direction, is not; an indefinite ``H`` has no Cholesky factor).
        """
        theta = res.theta
        if (not res.converged or res.solver != "newton" or problem.jeffreys
                or problem.l1_weights().any()):
            return theta
        step = small_newton_step(H, res.grad, theta, _POLISH)
        if step is None:
            return theta
        return theta + step

    def _no_drift(self, problem, res, H, live):
        """Whether one more Newton step from the solution would leave every live row's
        linear predictor where it is (a change below ``_DRIFT``): then the MLE is finite
        and the separation checks can be skipped.

        At a finite MLE the gradient meets the tolerance and the step ``H^-1 g`` moves
        the linear predictor by about ``tol``. Along a direction in which the likelihood
        keeps increasing (separation, zero-count groups) the log-likelihood of the
        affected rows tends to its limit like ``exp(-c t)``: there gradient and curvature
        shrink together, and the Newton step moves the most affected row's linear
        predictor by at least about 1 (``g / H = sum c_i x_i / sum c_i x_i^2`` in units
        of ``t``, times the largest ``x_i``), whatever the tolerance. One pass over ``X``
        (``A @ step``); the Cholesky factor of ``H`` is small.
        """
        theta, g = np.asarray(res.theta, dtype=float), np.asarray(res.grad, dtype=float)
        if not (res.converged and live.any() and np.all(np.isfinite(theta))
                and np.all(np.isfinite(g)) and np.all(np.isfinite(H))):
            return False
        try:
            factor = linalg.cho_factor(H, lower=True, check_finite=False)
        except linalg.LinAlgError:
            return False  # singular at the solution: a flat direction, check it
        step = -linalg.cho_solve(factor, g.ravel(), check_finite=False)
        if not np.all(np.isfinite(step)):
            return False
        d_eta = problem.direction(step)[live]
        return bool(np.max(np.abs(d_eta), initial=0.0) < _DRIFT)

    def _diverges(self, problem, res, live):
        """Diverging-coefficient check: do a few Newton steps at a 1e-4 times tighter
        tolerance move the linear predictor? A finite MLE barely moves; a direction
        along which the likelihood keeps increasing (separation, zero-count groups)
        moves the affected rows by about log(1e4)."""
        eta0 = problem.eta[live]  # a copy (boolean index)
        newton_solve(problem, res.theta, self.tol * 1e-4, 20, lambda H: None)
        return float(np.max(np.abs(problem.eta[live] - eta0))) > 1.0

    def _raise_if_aliased(self, problem, H, names, checked):
        if checked["done"]:
            return
        checked["done"] = True
        p = problem.p
        aliased = aliased_columns(H[:p, :p] if problem.m > 1 else H, names)
        if aliased:
            info = f"; {problem.n} samples for {p} coefficients" if problem.n < p else ""
            raise ValueError(aliased_message(type(self).__name__, aliased, info))
