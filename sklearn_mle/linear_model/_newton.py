"""Newton-Raphson for GLMs with the exact Hessian, computed in row blocks.

The problem (:class:`GLMProblem`: data, family, priors) and the solver loop
(:func:`newton_solve`, :func:`lbfgs_solve`) are separate. Parameters are a matrix
``theta`` of shape ``(m, p)``: one row per linear predictor (``m = 1`` except for the
multinomial), column 0 the intercept when ``fit_intercept``. The objective minimised
is the negative log-likelihood minus the log-prior.

Every pass over the data walks row blocks of ``block_rows`` rows, spread over
``n_threads`` threads (BLAS releases the GIL; callers limit BLAS itself to one
thread so the two levels do not oversubscribe the cores). No temporary of the size of ``X`` is
made: the Hessian ``A^T diag(h) A`` (``A = [1, X]``) is accumulated block by block
with a symmetric rank-k update (numpy dispatches ``B.T @ B`` to BLAS syrk) of
``sqrt(h) * A_block``, float32 blocks
are upcast one at a time, and a sparse CSR ``X`` is sliced by rows.

The loop: evaluate objective and gradient (one pass, which also stores the per-row
Hessian weights); stop if the gradient is small; otherwise build the Hessian from the
stored weights (a second pass), Cholesky-solve for the Newton step, step-halve until
the Armijo condition holds. A point whose gradient already meets the tolerance never
gets a Hessian for a step; the caller builds exactly one Hessian there, for the
covariance, from the per-row weights stored when that point was evaluated (no further
pass for the objective or gradient).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from scipy import linalg, optimize


class GLMProblem:
    """Data, family and priors of one GLM fit; evaluates objective, gradient, Hessian.

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
    n_threads : int
    """

    def __init__(self, X, y, w, offset, family, fit_intercept, prior=None,
                 intercept_prior=None, n_threads=1, block_rows=None):
        self.X = X
        self.y = y
        self.w = w
        self.offset = offset
        self.family = family
        self.fit_intercept = fit_intercept
        self.prior = prior
        self.intercept_prior = intercept_prior
        self.sparse = sp.issparse(X)
        self.n, self.d = X.shape
        self.m = family.n_outputs
        self.p = self.d + int(fit_intercept)
        self.k = self.m * self.p
        self.n_threads = max(1, int(n_threads))
        if block_rows is None:
            block_rows = max(256, (1 << 21) // (8 * max(self.p, 1)))  # ~2 MiB per block
        self.block_rows = int(block_rows)
        self.jeffreys = prior is not None and type(prior).__name__ == "Jeffreys"
        self.l1 = prior is not None and not getattr(prior, "smooth", True)
        self._eta = np.empty((self.n, self.m))
        self._h = None  # per-row Hessian weights stored by the last evaluation
        self._const = None  # sum of w * (log-likelihood terms free of the parameters)
        self._pool = None

    # ------------------------------------------------------------ blocks
    def _ranges(self):
        n, b = self.n, self.block_rows
        starts = list(range(0, n, b)) or [0]
        blocks = [(a, min(a + b, n)) for a in starts]
        t = min(self.n_threads, len(blocks))
        chunks = np.array_split(np.arange(len(blocks)), t)
        return [[blocks[i] for i in c] for c in chunks if len(c)]

    def _xblock(self, a, b):
        xb = self.X[a:b]
        if self.sparse:
            return xb
        if xb.dtype != np.float64:
            xb = xb.astype(np.float64)
        return xb

    def _map(self, fn):
        chunks = self._ranges()
        if len(chunks) == 1:
            return [fn(chunks[0])]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.n_threads)
        return list(self._pool.map(fn, chunks))

    def close(self):
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    # ------------------------------------------------------------ pieces
    def split(self, theta):
        theta = theta.reshape(self.m, self.p)
        if self.fit_intercept:
            return theta[:, 1:], theta[:, 0]
        return theta, np.zeros(self.m)

    def linear_predictor(self, theta):
        coef, b = self.split(theta)

        def work(chunk):
            for a, e in chunk:
                xb = self._xblock(a, e)
                eta = np.asarray(xb @ coef.T) + b
                if self.offset is not None:
                    eta += self.offset[a:e, None]
                self._eta[a:e] = eta

        self._map(work)
        return self._eta

    def loglik_grad(self, theta, store_hess=True):
        """Log-likelihood, its gradient (m, p), and stored Hessian weights."""
        eta = self.linear_predictor(theta)
        fam, w, m = self.family, self.w, self.m
        if store_hess:
            shape = (self.n, m) if m == 1 else (self.n, m, m)
            if self._h is None or self._h.shape != shape:
                self._h = np.empty(shape)

        def work(chunk):
            ll = 0.0
            g = np.zeros((m, self.p))
            for a, e in chunk:
                xb = self._xblock(a, e)
                et, yb, wb = eta[a:e], self.y[a:e], w[a:e]
                lk, sc, hh = fam.derivs(yb, et)
                ll += float(wb @ lk.reshape(e - a, -1).sum(axis=1))
                r = sc * wb[:, None]
                g[:, self.p - self.d:] += np.asarray(xb.T @ r).T
                if self.fit_intercept:
                    g[:, 0] += r.sum(axis=0)
                if store_hess:
                    self._h[a:e] = hh * (wb[:, None] if m == 1 else wb[:, None, None])
            return ll, g

        parts = self._map(work)
        if self._const is None:
            self._const = float(w @ fam.loglik_const(self.y))
        ll = self._const + sum(p[0] for p in parts)
        g = sum(p[1] for p in parts)
        return ll, g

    def hessian(self, weights=None):
        """``sum_i A_i^T h_i A_i`` of shape (k, k) from the stored weights."""
        h = self._h if weights is None else weights
        m, p, d = self.m, self.p, self.d
        icpt = self.fit_intercept

        def work(chunk):
            out = np.zeros((m * p, m * p))
            # one scratch block per thread, reused: no page faults from fresh allocations
            scratch = np.empty((self.block_rows, p)) if not self.sparse else None
            for a, e in chunk:
                xb = self._xblock(a, e)
                hb = h[a:e]
                if self.sparse:
                    xa = sp.hstack([np.ones((e - a, 1)), xb], format="csr") if icpt else xb
                    for k in range(m):
                        for l in range(k, m):
                            wk = hb[:, 0] if m == 1 else hb[:, k, l]
                            blk = (xa.T @ xa.multiply(wk[:, None])).toarray()
                            out[k * p:(k + 1) * p, l * p:(l + 1) * p] += blk
                    continue
                if m == 1:
                    buf = scratch[:e - a]
                    s = np.sqrt(hb[:, 0])
                    if icpt:
                        buf[:, 0] = s
                    np.multiply(xb, s[:, None], out=buf[:, p - d:])
                    # numpy dispatches buf.T @ buf to BLAS syrk and releases the GIL
                    # (scipy's f2py dsyrk wrapper holds it, serialising the threads)
                    out += buf.T @ buf
                else:
                    xa = scratch[:e - a]
                    if icpt:
                        xa[:, 0] = 1.0
                    xa[:, p - d:] = xb
                    for k in range(m):
                        for l in range(k, m):
                            out[k * p:(k + 1) * p, l * p:(l + 1) * p] += xa.T @ (
                                hb[:, k, l, None] * xa)
            return out

        H = sum(self._map(work))
        if m == 1:
            H = np.triu(H)
            H = H + np.triu(H, 1).T
        else:
            for k in range(m):
                for l in range(k + 1, m):
                    H[l * p:(l + 1) * p, k * p:(k + 1) * p] = H[k * p:(k + 1) * p,
                                                                 l * p:(l + 1) * p].T
        return H

    # ------------------------------------------------------------ priors
    def _prior_masks(self):
        mask = np.zeros((self.m, self.p), dtype=bool)
        mask[:, self.p - self.d:] = True
        return mask

    def log_prior(self, theta, exact_hess=True):
        """log p(theta), its gradient and the diagonal of its negative Hessian.

        With ``exact_hess=False`` the negative Hessian is clipped at 0 (a positive
        semi-definite Newton direction for non-log-concave priors such as Student-t).
        The Jeffreys prior is not elementwise and is handled in :meth:`objective`.
        """
        theta = theta.reshape(self.m, self.p)
        lp, g, nh = 0.0, np.zeros_like(theta), np.zeros_like(theta)
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

    # ------------------------------------------------------------ objective
    def objective(self, theta, exact_hess=False):
        """Smooth part of the negative log-posterior, its gradient and Newton matrix.

        Returns ``(f, g, info)`` where ``info`` is a callable giving the Hessian of
        ``f`` (positive semi-definite version unless ``exact_hess``) at ``theta``;
        calling it costs one pass over the data.
        """
        ll, gl = self.loglik_grad(theta)
        lp, gp, nh = self.log_prior(theta)
        f = -(ll + lp)
        g = -(gl + gp).ravel()
        if self.jeffreys:
            fisher = self.hessian()
            logdet, hat_grad = self._firth(theta, fisher)
            f -= 0.5 * logdet
            g -= hat_grad.ravel()

            def info(exact=False):
                return fisher  # Firth's solver uses the Fisher information (as logistf)

            return f, g, info

        _, _, nh_psd = self.log_prior(theta, exact_hess=False)

        def info(exact=exact_hess):
            H = self.hessian()
            H[np.diag_indices_from(H)] += (nh if exact else nh_psd).ravel()
            return H

        return f, g, info

    def _firth(self, theta, fisher):
        """0.5 log det I and the gradient of it: 0.5 sum_i hat_i * v'/v * a_i."""
        try:
            L = linalg.cholesky(fisher, lower=True)
        except linalg.LinAlgError:
            return -np.inf, np.zeros((self.m, self.p))
        logdet = 2.0 * np.sum(np.log(np.diag(L)))
        eta = self._eta
        ratio = self.family.dvar_ratio(eta[:, 0])
        hw = self._h[:, 0]
        g = np.zeros(self.p)
        for a, e in [blk for chunk in self._ranges() for blk in chunk]:
            xb = self._xblock(a, e)
            xb = xb.toarray() if self.sparse else xb
            xa = np.column_stack([np.ones(e - a), xb]) if self.fit_intercept else xb
            z = linalg.solve_triangular(L, xa.T, lower=True, check_finite=False)
            hat = hw[a:e] * np.sum(z * z, axis=0)
            g += xa.T @ (0.5 * hat * ratio[a:e])
        return logdet, g.reshape(1, -1)


class SolveResult:
    """Outcome of a solver run."""

    def __init__(self, theta, f, grad, n_iter, converged, message="", info=None):
        self.info = info  # Hessian at theta from the stored per-row weights (one pass)
        self.theta = theta
        self.f = f
        self.grad = grad
        self.n_iter = n_iter
        self.converged = converged
        self.message = message


def default_threads(n_jobs):
    if n_jobs is None:
        return os.cpu_count() or 1
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return max(1, int(n_jobs))


def _newton_step(H, g, on_singular):
    """Solve ``H s = -g`` by Cholesky; ``on_singular(H)`` is called if H is not PD."""
    try:
        c = linalg.cho_factor(H, lower=True, check_finite=False)
        return -linalg.cho_solve(c, g, check_finite=False)
    except linalg.LinAlgError:
        on_singular(H)
        # a tiny ridge keeps going where the objective is flat (e.g. diverging coefs)
        ridge = 1e-8 * max(np.max(np.abs(np.diag(H))), 1e-12)
        c = linalg.cho_factor(H + ridge * np.eye(len(g)), lower=True, check_finite=False)
        return -linalg.cho_solve(c, g, check_finite=False)


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


def newton_solve(problem, theta0, tol, max_iter, on_singular, free=None, inspect=None):
    """Damped (proximal, under a Laplace prior) Newton iterations from ``theta0``.

    ``free``: boolean mask of the parameters to optimise (the others stay at their
    ``theta0`` value: constrained fits for profile likelihoods). ``inspect(H)`` is
    called with the first Hessian (e.g. to name aliased columns).
    """
    theta = theta0.ravel().astype(float).copy()
    k = theta.size
    free = np.ones(k, dtype=bool) if free is None else np.asarray(free, dtype=bool)
    lam = problem.l1_weights().ravel()
    scale = max(float(np.sum(problem.w)), 1.0)

    def crit(g, theta):
        return float(np.max(np.abs(_min_norm_subgrad(g, theta, lam)[free]), initial=0.0))

    f, g, info = problem.objective(theta)
    F = f + float(lam @ np.abs(theta))
    converged, n_iter = False, 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007
        if crit(g, theta) <= tol * scale:
            converged, n_iter = True, n_iter - 1
            break
        H = info()
        if inspect is not None:
            inspect(H)
            inspect = None
        Hf = H[np.ix_(free, free)]
        step = np.zeros(k)
        if lam.any():
            step[free] = _prox_quadratic(Hf, g[free], theta[free], lam[free])
            decrease = float(g @ step + lam @ (np.abs(theta + step) - np.abs(theta)))
        else:
            step[free] = _newton_step(Hf, g[free], on_singular)
            decrease = float(g @ step)
        t, accepted = 1.0, False
        for _ in range(40):
            cand = theta + t * step
            f_new, g_new, info_new = problem.objective(cand)
            F_new = f_new + float(lam @ np.abs(cand))
            if np.isfinite(F_new) and (
                F_new <= F + 1e-4 * t * decrease
                or (F_new - F <= 1e-13 * abs(F) and crit(g_new, cand) < crit(g, theta))
            ):
                accepted = True
                break
            t *= 0.5
        if not accepted:
            # no progress possible in floating point: converged if the gradient is small
            _, _, info = problem.objective(theta)  # restore the stored state at theta
            converged = crit(g, theta) <= 1e3 * tol * scale
            return SolveResult(theta.reshape(problem.m, problem.p), F, g, n_iter, converged,
                               "line search failed", info)
        theta, f, g, info, F = cand, f_new, g_new, info_new, F_new
    else:
        converged = crit(g, theta) <= tol * scale
    return SolveResult(theta.reshape(problem.m, problem.p), F, g, n_iter, converged, "", info)


def lbfgs_solve(problem, theta0, tol, max_iter):
    """L-BFGS on the smooth objective (for very wide X); one pass per evaluation."""
    scale = max(float(np.sum(problem.w)), 1.0)

    def fun(t):
        f, g, _ = problem.objective(t)
        return f / scale, g / scale

    res = optimize.minimize(
        fun, theta0.ravel().astype(float), jac=True, method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": tol, "ftol": 1e-15, "maxcor": 30},
    )
    f, g, info = problem.objective(res.x)  # leave the stored state at the solution
    converged = bool(np.max(np.abs(g), initial=0.0) <= 10 * tol * scale) or bool(res.success)
    return SolveResult(res.x.reshape(problem.m, problem.p), f, g, int(res.nit), converged,
                       str(res.message), info)
