"""The data side of a GLM fit: objective, gradient and Hessian in row blocks.

:class:`GLMProblem` holds the data, the family and the priors. Parameters are a matrix
``theta`` of shape ``(m, p)``: one row per linear predictor (``m = 1`` except for the
multinomial), column 0 the intercept when ``fit_intercept``. The objective minimised
is the negative log-likelihood minus the log-prior.

Every pass over the rows goes through :func:`sklearn_mle._engine.map_reduce` (the
one place that splits rows into blocks and threads), with the same row blocks for
every pass (so a value summed by two different passes is the same number). A solver
pays only for what it uses:

- :meth:`GLMProblem.linear_predictor` and :meth:`GLMProblem.direction`: ``X @ theta``
  and ``X @ step`` (one pass over ``X`` each; none when the coefficients are 0);
- :meth:`GLMProblem.value`: the objective at ``(theta, eta)`` from the linear predictor
  alone (no pass over ``X``): a line search tries ``eta + t * (X @ step)`` for each
  ``t``. It keeps the per-row score and Hessian weights of the point it evaluated;
- :meth:`GLMProblem.trial`: a Newton step's ``X @ step`` together with the objective
  and the gradient at the full step, in ONE pass over ``X`` (the block of ``X`` is in
  cache for both products); when the full step is accepted, the next gradient is free;
- :meth:`GLMProblem.gradient` and :meth:`GLMProblem.newton_matrix`: at the point last
  given to ``value`` (one pass over ``X`` each, kept for that point: asking twice, or
  a solver restarted at the solution, costs nothing). The Hessian ``A^T W A``
  (``A = [1, X]``) is summed block by block with a symmetric rank-k update
  (numpy sends ``B.T @ B`` to BLAS syrk); the multinomial's block structure
  ``W_i = diag(p_i) - p_i p_i^T`` gives ``blockdiag(A^T diag(p_k) A) - G^T G`` with
  ``G_i = p_i (x) a_i``: one syrk, never an ``(n, m, m)`` array.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy import linalg

from .._engine import BLOCK_ELEMENTS, map_reduce
from ._problem_hessian import GLMHessianMixin
from ._problem_hessian import dense as _dense

# rows per block at most (divided by the number of linear predictors): 64 KiB per
# (rows, m) float64 temporary; larger ones cost 2-5x per element (allocator, cache)
_MAX_BLOCK_ROWS = 8192


class GLMProblem(GLMHessianMixin):
    """Data, family and priors of one GLM fit.

    Parameters
    ----------
    X : ndarray (float64 or float32) or CSR matrix of shape (n, d)
    y : ndarray of shape (n, m) or (n, K)
        Responses (one-hot for the multinomial).
    w : ndarray of shape (n,)
        Sample weights.
    offset : ndarray of shape (n,) or None
    family : family object (see ``_family``)
    fit_intercept : bool
    prior, intercept_prior : Prior or None
    n_jobs : int or None
        Threads over row blocks (scikit-learn's meaning).
    block_rows : int or None
        Rows per block (None: the engine's default).
    """

    def __init__(self, X, y, w, offset, family, fit_intercept, prior=None,
                 intercept_prior=None, n_jobs=None, block_rows=None):
        # the response as the family's derivatives read it fastest (the multinomial's
        # one-hot columns 1..K-1, contiguous)
        prep = getattr(family, "derivs_response", None)
        self.X, self.y, self.w, self.offset = X, y if prep is None else prep(y), w, offset
        # unit weights (the common case): the per-row weights need no multiplication
        self._unit_w = bool(np.all(w == 1.0))
        self.family = family
        self._derivs_into = getattr(family, "derivs_into", None)
        self.fit_intercept = fit_intercept
        self.prior, self.intercept_prior = prior, intercept_prior
        self.sparse = sp.issparse(X)
        self.n, self.d = X.shape
        self.m = family.n_outputs
        self.p = self.d + int(fit_intercept)
        self.k = self.m * self.p
        self.n_jobs = n_jobs
        # one row-block size for every pass (X, eta, weights): sums agree across passes;
        # at most _MAX_BLOCK_ROWS rows, so the per-row temporaries of the family's
        # derivatives (a few (rows, m) arrays) stay small and in cache
        self.block_rows = int(block_rows) if block_rows is not None else max(
            1, min(BLOCK_ELEMENTS // max(self.p, 1), _MAX_BLOCK_ROWS // self.m))
        self._ones = np.ones(self.block_rows)  # column sums of a block through BLAS
        self.jeffreys = prior is not None and type(prior).__name__ == "Jeffreys"
        self.l1 = prior is not None and not getattr(prior, "smooth", True)
        self._eta = None  # linear predictor of the point last given to value()
        self._theta = None
        self._r = np.empty((self.n, self.m))  # w * score per row
        self._h = np.empty((self.n, self.m))  # w * Hessian weight (m=1) or p (multinomial)
        self._const = None  # sum of w * (log-likelihood terms free of the parameters)
        self._firth = None  # (Fisher information, its Cholesky factor) for Jeffreys
        self._f = None  # value() at the point last evaluated
        self._lgrad = None  # log-likelihood gradient there (computed once per point)
        self._hess = None  # A^T W A there (computed once per point)

    def subsample(self, size, seed=0):
        """The same problem on about ``size`` rows drawn at random (a copy; None when
        fewer than 2 rows with positive weight are drawn). For warm starts."""
        rng = np.random.default_rng(seed)
        rows = np.flatnonzero(rng.random(self.n) < size / self.n)
        rows = rows[self.w[rows] > 0]
        if rows.size < 2:
            return None
        return GLMProblem(self.X[rows], self.y[rows], self.w[rows],
                          None if self.offset is None else self.offset[rows], self.family,
                          self.fit_intercept, self.prior, self.intercept_prior,
                          n_jobs=self.n_jobs)

    def _map(self, fn, X, *rows, blas=False):
        return map_reduce(fn, X, *rows, n_jobs=self.n_jobs, block_rows=self.block_rows,
                          limit_blas=blas)

    def at(self, theta):
        """Whether ``theta`` is the point last evaluated (its value, gradient and Newton
        matrix are then at hand without a pass)."""
        return (self._theta is not None and self._f is not None
                and np.array_equal(self._theta.ravel(), np.asarray(theta, dtype=float).ravel()))

    @property
    def has_prior(self):
        """Whether the objective has a log-prior term (its gradient does not grow with
        the weights)."""
        return self.prior is not None or self.intercept_prior is not None

    # ------------------------------------------------------------ predictors
    def split(self, theta):
        """``(coef (m, d), intercept (m,))`` of a parameter vector or matrix."""
        theta = np.asarray(theta, dtype=float).reshape(self.m, self.p)
        if self.fit_intercept:
            return theta[:, 1:], theta[:, 0]
        return theta, np.zeros(self.m)

    def linear_predictor(self, theta, offset=True):
        """``X @ coef.T + intercept (+ offset)`` of shape (n, m): one pass over ``X``."""
        coef, b = self.split(theta)
        out = np.empty((self.n, self.m))
        if not coef.any():  # the intercept-only start: no pass over X
            out[:] = b
            if offset and self.offset is not None:
                out += self.offset[:, None]
            return out
        sparse = self.sparse
        coef_t = np.ascontiguousarray(coef.T)  # a strided (d, m) operand costs 2x per block

        def block(xb, ob, offb):
            if sparse:
                ob[:] = np.asarray(xb @ coef_t)
            else:
                np.matmul(_dense(xb), coef_t, out=ob)
            ob += b
            if offb is not None:
                ob += offb[:, None]
            return 0.0

        self._map(block, self.X, out, self.offset if offset else None)
        return out

    def direction(self, step):
        """``A @ step`` of shape (n, m): the change of the linear predictor per unit step,
        so a line search needs no further pass over ``X``."""
        return self.linear_predictor(step, offset=False)

    @property
    def eta(self):
        """The linear predictor (n, m) at the point last evaluated (read-only)."""
        view = self._eta.view()
        view.flags.writeable = False
        return view

    # ------------------------------------------------------------ objective
    def _row_terms(self, eb, yb, wb, rb, hb):
        """One block's weighted log-likelihood; stores its per-row ``w * score`` in
        ``rb`` and Hessian weights in ``hb`` (the class probabilities for the
        multinomial: its weights follow in the Hessian's blocks)."""
        if self._derivs_into is not None:  # the family writes them in place
            return self._derivs_into(yb, eb, wb, self._unit_w, rb, hb)
        lk, sc, hh = self.family.derivs(yb, eb)
        if self._unit_w:
            np.copyto(rb, sc)  # w * score with w = 1, bit for bit
        elif self.m > 1:  # rows scaled through the transposed view (long inner loops)
            np.multiply(sc.T, wb, out=rb.T)
        else:
            np.multiply(sc, wb[:, None], out=rb)
        if self.m > 1 or self._unit_w:
            np.copyto(hb, hh)
        else:
            np.multiply(hh, wb[:, None], out=hb)
        lk = lk.reshape(len(wb), -1)
        return float(wb @ (lk[:, 0] if lk.shape[1] == 1 else lk.sum(axis=1)))

    def _gradient_block(self, xb, rb):
        g = np.empty((self.m, self.p))
        icpt = int(self.fit_intercept)
        g[:, icpt:] = np.asarray(xb.T @ rb).T
        if icpt:
            # column sums of a (rows, m) block through BLAS for m > 1: numpy's reduction
            # over axis 0 of a narrow array costs ~30x more
            g[:, 0] = rb.sum(axis=0) if self.m == 1 else self._ones[:rb.shape[0]] @ rb
        return g

    def _invalidate(self):
        self._f = self._lgrad = self._hess = None
        self._firth = None

    def loglik(self, eta):
        """Log-likelihood at the linear predictor ``eta``; keeps its per-row score and
        Hessian weights for :meth:`gradient` and :meth:`hessian` (no pass over ``X``)."""
        self._invalidate()
        ll = map_reduce(self._row_terms, eta, self.y, self.w, self._r, self._h,
                        n_jobs=self.n_jobs, block_rows=self.block_rows)
        self._eta = eta
        return self._loglik_const() + ll

    def _loglik_const(self):
        if self._const is None:
            self._const = float(self.w @ self.family.loglik_const(self.y))
        return self._const

    def loglik_gradient(self):
        """Gradient (m, p) of the log-likelihood at the point last evaluated (one pass
        over ``X``, once per point)."""
        if self._lgrad is None:
            self._lgrad = self._map(self._gradient_block, self.X, self._r, blas=True)
        return self._lgrad.copy()

    def value(self, theta, eta=None):
        """Smooth part of the negative log-posterior at ``theta`` (linear predictor
        ``eta``, computed when None). The point becomes the one :meth:`gradient` and
        :meth:`newton_matrix` refer to."""
        theta = np.asarray(theta, dtype=float).reshape(self.m, self.p)
        if eta is None:
            eta = self.linear_predictor(theta)
        ll = self.loglik(eta)
        return self._finish_value(theta, ll)

    def value_here(self):
        """:meth:`value` at the point last evaluated (see :meth:`at`), without a pass."""
        return self._f

    def _finish_value(self, theta, ll):
        self._theta = theta
        f = -(ll + self.log_prior(theta)[0])
        if self.jeffreys:
            fisher = self.hessian()
            try:
                L = linalg.cholesky(fisher, lower=True, check_finite=False)
            except (linalg.LinAlgError, ValueError):
                self._firth = (fisher, None)
                self._f = np.inf
                return np.inf
            self._firth = (fisher, L)
            f -= float(np.sum(np.log(np.diag(L))))  # 0.5 log det I
        self._f = f
        return f

    def trial(self, theta, eta, step):
        """A Newton step's first trial in one pass over ``X``.

        Returns ``(d_eta, eta_new, f)``: ``d_eta = A @ step`` (for further trials
        ``eta + t * d_eta`` without a pass), ``eta_new = eta + d_eta`` and :meth:`value`
        at ``theta + step``,
        which becomes the point last evaluated, its log-likelihood gradient computed in
        the same pass (while each block of ``X`` is in cache).
        """
        theta = np.asarray(theta, dtype=float).reshape(self.m, self.p)
        step = np.asarray(step, dtype=float).reshape(self.m, self.p)
        if self.jeffreys:  # Firth's value needs the Fisher information: no fusion
            d_eta = self.direction(step)
            eta_new = eta + d_eta
            return d_eta, eta_new, self.value(theta + step, eta_new)
        self._invalidate()
        coef, b = self.split(step)
        coef_t = np.ascontiguousarray(coef.T)  # a strided (d, m) operand costs 2x per block
        sparse = self.sparse
        d_eta = np.empty((self.n, self.m))
        eta_new = np.empty((self.n, self.m))

        def block(xb, eb, yb, wb, db, nb, rb, hb):
            if sparse:
                db[:] = np.asarray(xb @ coef_t)
            else:
                xb = _dense(xb)
                np.matmul(xb, coef_t, out=db)
            db += b
            np.add(eb, db, out=nb)  # exactly eta + 1.0 * d_eta, as a later trial's
            ll = self._row_terms(nb, yb, wb, rb, hb)
            return ll, self._gradient_block(xb, rb)

        ll, g = self._map(block, self.X, eta, self.y, self.w, d_eta, eta_new, self._r,
                          self._h, blas=True)
        self._eta = eta_new
        f = self._finish_value(theta + step, self._loglik_const() + ll)
        self._lgrad = g
        return d_eta, eta_new, f

    def gradient(self):
        """Gradient (flat, length k) of :meth:`value` at the point last evaluated."""
        g = self.loglik_gradient() + self.log_prior(self._theta)[1]
        if self.jeffreys and self._firth is not None and self._firth[1] is not None:
            g = g + self._firth_gradient(self._firth[1])
        return -g.ravel()

    def newton_matrix(self, exact=False):
        """Hessian of :meth:`value` at the point last evaluated (one pass over ``X``,
        once per point): the prior's curvature exact, or clipped at 0 (a positive
        semi-definite Newton matrix for the Student-t prior); Firth's solver uses the
        Fisher information."""
        if self.jeffreys and self._firth is not None:
            return self._firth[0]
        H = self.hessian()
        nh = self.log_prior(self._theta, exact_hess=exact)[2]
        H[np.diag_indices_from(H)] += nh.ravel()
        return H

    def objective(self, theta):
        """``(f, g, H)`` at ``theta``: H a callable ``H(exact=False)`` (one pass)."""
        f = self.value(theta)
        return f, self.gradient(), self.newton_matrix

    # ------------------------------------------------------------ priors
    def _prior_masks(self):
        mask = np.zeros((self.m, self.p), dtype=bool)
        mask[:, self.p - self.d:] = True
        return mask

    def log_prior(self, theta, exact_hess=True):
        """log p(theta), its gradient and the diagonal of its negative Hessian.

        With ``exact_hess=False`` the negative Hessian is clipped at 0 (a positive
        semi-definite Newton direction for non-log-concave priors such as Student-t).
        The Jeffreys prior is not elementwise and is handled in :meth:`value`.
        """
        theta = np.asarray(theta, dtype=float).reshape(self.m, self.p)
        lp, g, nh = 0.0, np.zeros_like(theta), np.zeros_like(theta)
        if not self.has_prior:
            return lp, g, nh
        coef_mask = self._prior_masks()
        pairs = [(self.prior, coef_mask)]
        if self.fit_intercept:
            pairs.append((self.intercept_prior, ~coef_mask))
        for prior, mask in pairs:
            if prior is None or type(prior).__name__ == "Jeffreys":
                continue
            vals = theta[mask]
            if getattr(prior, "smooth", True):
                lp += float(np.sum(prior.logpdf(vals)))
                g[mask] = prior.grad(vals)
                hv = prior.neg_hess(vals)
                nh[mask] = hv if exact_hess else np.maximum(hv, 0.0)
            else:  # Laplace: the smooth part is the constant; |b| / scale is in l1_weights
                lp += float(np.sum(prior.logpdf(vals) + np.abs(vals) * prior.l1_strength))
        return lp, g, nh

    def l1_weights(self):
        """Per-parameter L1 strengths (0 where no Laplace prior applies)."""
        lam = np.zeros((self.m, self.p))
        mask = self._prior_masks()
        for prior, msk in [(self.prior, mask), (self.intercept_prior, ~mask)]:
            if prior is not None and not getattr(prior, "smooth", True):
                lam[msk] = prior.l1_strength
        return lam

    def _firth_gradient(self, L):
        """Gradient of 0.5 log det I: 0.5 sum_i hat_i * v'/v * a_i (binary families)."""
        ratio = self.family.dvar_ratio(self._eta[:, 0])
        icpt = self.fit_intercept

        def block(xb, hb, rb):
            xb = xb.toarray() if self.sparse else _dense(xb)
            xa = np.column_stack([np.ones(xb.shape[0]), xb]) if icpt else xb
            z = linalg.solve_triangular(L, xa.T, lower=True, check_finite=False)
            hat = hb[:, 0] * np.sum(z * z, axis=0)
            return xa.T @ (0.5 * hat * rb)

        return self._map(block, self.X, self._h, ratio, blas=True).reshape(1, -1)
