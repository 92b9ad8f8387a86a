"""Exact Newton for a GLM on a Dask array: each iteration one reduction on the cluster.

The in-memory :class:`~sklearn_mle.linear_model._problem.GLMProblem` keeps per-row
working arrays (the linear predictor, scores, Hessian weights) on the client; on
data spread over a cluster those rows stay where they are. Here every pass maps one
function over the row chunks of ``X`` (and ``Y``, weights, offset), which computes
the chunk's linear predictor at ``theta`` and returns its log-likelihood, gradient
and Newton matrix ``A^T W A`` (``A = [1, X]``), summed in a tree on the cluster
(:func:`~sklearn_mle._engine.dask.dask_map_reduce`). Newton then needs one reduction
per iteration: the terms at the trial point are those of the next step (a halved
step costs one more). The family is the GLM family of ``_family`` (``derivs``,
``loglik_const``, ``init_eta``), the same functions as in memory, so the optimum,
its log-likelihood and the observed information (the standard errors) are the
in-memory ones to rounding.

Elementwise smooth priors (Normal, StudentT) add their terms on the client. Not
here (yet): Laplace and Jeffreys priors, sparse X, the line search over ``eta`` without a pass, the
separation diagnosis beyond a singular or diverging Newton matrix.
"""

from __future__ import annotations

import threading

import numpy as np
from scipy import linalg

__all__ = ["DaskNewtonResult", "FitStart", "dask_glm_terms", "dask_newton", "warm_stride"]


class DaskNewtonResult:
    """``theta`` (m, p), ``loglik``, ``information`` (m p, m p: the negative Hessian
    of the log-likelihood, or log-posterior under a prior; parameter order of
    ``theta.ravel()``), ``gradient``,
    ``n_iter``, ``converged``, ``n_reductions``."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


# rows of a chunk per piece of the block function: its temporaries (the linear
# predictor, the family's derivatives) stay small and X * sqrt(w) goes to a scratch
# array reused across passes (see _scratch)
_PIECE_ROWS = 8192
_PIECE_MAX_VALUES = 1 << 20  # ... and at most this many values in X * sqrt(w) (8 MiB)
_SCRATCH = threading.local()


def _scratch(rows, cols):
    """A float64 work array ``(rows, cols)`` of this thread, reused across calls.

    Why: ``distributed``'s workers run with ``MALLOC_TRIM_THRESHOLD_=65536``, so glibc
    hands each temporary above 128 KiB to the kernel on ``free`` and the next one is
    a fresh mapping, page-faulted and zeroed: a 25 000 x 20 chunk's ``X * sqrt(w)``
    (4 MB) made the block function 4x slower on a worker than on the client (6.7 vs
    1.5 ms). One buffer per worker thread, grown to the largest piece, holds at most
    ``_PIECE_MAX_VALUES`` values.
    """
    size = rows * cols
    buf = getattr(_SCRATCH, "buf", None)
    if buf is None or buf.size < size:
        buf = np.empty(size)
        _SCRATCH.buf = buf
    return buf[:size].reshape(rows, cols)


def _piece_rows(d):
    return max(64, min(_PIECE_ROWS, _PIECE_MAX_VALUES // max(d, 1)))


def _chunk_terms(family, theta, fit_intercept, m, with_const):
    """The block function of a pass: a chunk's ``(loglik, gradient, A^T W A)`` at
    ``theta``, without building ``A = [1, X]`` (the intercept's row and column of the
    Newton matrix are the weights' sums), accumulated over pieces of the chunk's rows
    (``_piece_rows``: small temporaries, see :func:`_scratch`)."""
    p = theta.shape[1]
    icpt = int(fit_intercept)
    slopes = np.ascontiguousarray(theta[:, icpt:].T)  # (d, m)
    b = theta[:, 0] if icpt else np.zeros(m)

    def block(xb, yb, wb, ob):
        xb = np.asarray(xb, dtype=np.float64)
        yb = np.asarray(yb, dtype=np.float64)
        wb = np.ones(xb.shape[0]) if wb is None else np.asarray(wb, dtype=np.float64)
        ob = None if ob is None else np.asarray(ob, dtype=np.float64)
        out = [0.0, np.zeros((m, p)), np.zeros((m * p, m * p))]
        step = _piece_rows(xb.shape[1])
        for i in range(0, xb.shape[0], step):
            sl = slice(i, i + step)
            _piece_terms(family, slopes, b, icpt, m, with_const, xb[sl], yb[sl], wb[sl],
                         None if ob is None else ob[sl], out)
        H = out[2]  # the pieces fill the upper triangle of each block pair
        if m == 1:
            H[icpt:, :icpt] = H[:icpt, icpt:].T
        else:
            for k in range(m):
                for j in range(k + 1, m):
                    H[j * p:(j + 1) * p, k * p:(k + 1) * p] = H[k * p:(k + 1) * p,
                                                                j * p:(j + 1) * p].T
                H[k * p + icpt:(k + 1) * p, k * p:k * p + icpt] = \
                    H[k * p:k * p + icpt, k * p + icpt:(k + 1) * p].T
        return out[0], out[1], H

    return block


def _piece_terms(family, slopes, b, icpt, m, with_const, xb, yb, wb, ob, out):
    """Add a piece's ``(loglik, gradient, A^T W A)`` to ``out``: the log-likelihood,
    the gradient, and of the Newton matrix the upper triangle of its intercept
    row/column and, for the multinomial, the blocks ``k <= j``."""
    n = xb.shape[0]
    eta = xb @ slopes
    eta += b
    if ob is not None:
        eta += ob[:, None]
    y_in = yb[:, 0] if (m == 1 and yb.ndim == 2) else yb
    e_in = eta[:, 0] if m == 1 else eta
    lk, sc, hh = family.derivs(y_in, e_in)
    sc = np.reshape(sc, (n, m))
    out[0] += float(wb @ np.reshape(lk, (n, -1)).sum(axis=1))
    if with_const:
        out[0] += float(wb @ family.loglik_const(y_in))
    r = sc * wb[:, None]
    g = out[1]
    if icpt:
        g[:, 0] += r.sum(axis=0)
    g[:, icpt:] += (xb.T @ r).T
    p = g.shape[1]
    H = out[2]
    if m == 1:
        _weighted_gram(xb, np.reshape(hh, n) * wb, icpt, H)
        return
    # multinomial: W_i = diag(p_i) - p_i p_i^T per row, by blocks
    pr = np.reshape(hh, (n, m)) * wb[:, None]
    pu = np.reshape(hh, (n, m))
    for k in range(m):
        for j in range(k, m):
            wk = -pr[:, k] * pu[:, j]
            blk = H[k * p:(k + 1) * p, j * p:(j + 1) * p]
            if j == k:
                wk += pr[:, k]
                _weighted_gram(xb, wk, icpt, blk)
            else:
                _cross_gram(xb, wk, icpt, blk)


def _cross_gram(xb, hw, icpt, out):
    """Add ``A^T diag(hw) A`` for ``A = [1, X]`` (``icpt``) to ``out``, any sign of
    ``hw`` (the whole block: an off-diagonal block of the multinomial)."""
    xw = np.multiply(xb, hw[:, None], out=_scratch(*xb.shape))
    out[icpt:, icpt:] += xb.T @ xw
    if icpt:
        out[0, 0] += hw.sum()
        col = xw.sum(axis=0)
        out[0, 1:] += col
        out[1:, 0] += col


def _weighted_gram(xb, hw, icpt, out):
    """Add ``A^T diag(hw) A`` for ``A = [1, X]`` to ``out`` (of the intercept's row
    and column only the row: the caller mirrors it); with ``hw >= 0`` by the
    symmetric product of ``sqrt(hw) X`` with itself (BLAS syrk: half the flops)."""
    if not np.all(hw >= 0):
        xw = np.multiply(xb, hw[:, None], out=_scratch(*xb.shape))
        out[icpt:, icpt:] += xb.T @ xw
        if icpt:
            out[0, 0] += hw.sum()
            out[0, 1:] += xw.sum(axis=0)
        return
    s = np.sqrt(hw)
    xs = np.multiply(xb, s[:, None], out=_scratch(*xb.shape))
    out[icpt:, icpt:] += xs.T @ xs
    if icpt:
        out[0, 0] += hw.sum()
        out[0, 1:] += s @ xs


def dask_glm_terms(family, X, Y, w, offset, theta, fit_intercept=True, with_const=False):
    """``(loglik, gradient (m, p), A^T W A (m p, m p))`` at ``theta``: one reduction."""
    from .._engine.dask import dask_map_reduce

    theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
    fn = _chunk_terms(family, theta, fit_intercept, theta.shape[0], with_const)
    return dask_map_reduce(fn, X, (Y, w, offset))


def _log_prior(theta, prior, intercept_prior, fit_intercept):
    """Elementwise log-prior of ``theta`` (m, p), its gradient and the diagonal of its
    negative Hessian (the priors' own ``logpdf``, ``grad``, ``neg_hess``)."""
    lp, g, nh = 0.0, np.zeros_like(theta), np.zeros_like(theta)
    mask = np.ones(theta.shape, dtype=bool)
    if fit_intercept:
        mask[:, 0] = False
    for pr, msk in ((prior, mask), (intercept_prior, ~mask)):
        if pr is None or not msk.any():
            continue
        if type(pr).__name__ == "Jeffreys" or not getattr(pr, "smooth", True):
            raise ValueError(f"{type(pr).__name__} priors are not available on Dask data yet; "
                             "use Normal or StudentT priors, or compute the data")
        vals = theta[msk]
        lp += float(np.sum(pr.logpdf(vals)))
        g[msk] = pr.grad(vals)
        nh[msk] = pr.neg_hess(vals)
    return lp, g, nh


_FINAL_DECREMENT = 1e-22  # g' H^-1 g / |loglik| at which a reduction's step is the last
_WARM_MIN_ROWS = 50_000  # from this many rows, Newton starts at the optimum of a sample
_WARM_ROWS = 100_000  # ... of at most this many rows (every s-th row of each chunk)
_WARM_MIN_PER_PARAM = 50  # ... and at least this many rows per parameter


def _newton_step(H, g):
    """``H^-1 g`` by Cholesky (``exact`` True), else by least squares."""
    try:
        c = linalg.cho_factor(H, lower=True, check_finite=True)
        return linalg.cho_solve(c, g.ravel()).reshape(g.shape), True
    except (linalg.LinAlgError, ValueError):
        return linalg.lstsq(H, g.ravel())[0].reshape(g.shape), False


def _newton(terms, theta, max_iter, final=_FINAL_DECREMENT):
    """Damped Newton from ``theta`` on ``terms(theta) -> (ll, g, H)`` (one reduction).

    It stops when the Newton decrement ``g' H^-1 g`` of the last reduction is at most
    ``final * |ll|``: that step is then taken without another reduction, as the
    in-memory fit's last step from the covariance's Hessian. At that point the step
    is ~1e-11 of the linear predictor's scale, so the point is the optimum to
    rounding (Newton converges quadratically) and ``H`` there is the Hessian at the
    optimum to ~1e-11 (the standard errors' accuracy); the log-likelihood is that of
    the quadratic model, exact to third order. Returns
    ``(theta, ll, g, H, n_iter, converged)``.
    """
    ll, g, H = terms(theta)
    converged, n_iter = False, 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007
        step, exact = _newton_step(H, g)
        decrement = float(g.ravel() @ step.ravel())
        if exact and 0.0 <= decrement <= final * max(abs(ll), 1.0):
            theta, ll, converged = theta + step, ll + 0.5 * decrement, True
            break
        t = 1.0
        while True:
            cand = theta + t * step
            ll_c, g_c, H_c = terms(cand)
            if np.isfinite(ll_c) and ll_c >= ll - 1e-12 * max(abs(ll), 1.0):
                break
            t *= 0.5
            if t < 1e-10:
                ll_c, g_c, H_c, cand = ll, g, H, theta
                break
        done = (cand is theta) or np.max(np.abs(t * step)) <= 1e-12 * (
            1.0 + np.max(np.abs(theta)))
        theta, ll, g, H = cand, ll_c, g_c, H_c
        if done:  # no progress in floating point (an ill-conditioned or flat optimum)
            converged = True
            break
    return theta, ll, g, H, n_iter, converged


def warm_stride(n):
    """The stride of the start's sample of ``n`` rows (``X[::stride]``: at most
    ``_WARM_ROWS`` rows, at least 8 rows apart), 0 for no sample (under
    ``_WARM_MIN_ROWS`` rows)."""
    if n < _WARM_MIN_ROWS:
        return 0
    return -(-n // min(_WARM_ROWS, n // 8))


def _use_sample(n, m, p):
    """Whether the sample of ``n`` rows' stride has enough rows for ``m * p``
    parameters."""
    return bool(warm_stride(n)) and min(_WARM_ROWS, n // 8) >= _WARM_MIN_PER_PARAM * m * p


class FitStart:
    """What the start of :func:`dask_newton` reads of the data, gathered by an earlier
    pass (the input checks' reduction): ``total`` (the weights' sum), ``ysum`` (the
    weighted sum of the response, in the Newton's encoding) and ``sample``
    (``(X, Y, w, offset)`` NumPy arrays of the rows ``X[::warm_stride(n)]``, or
    None)."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


def _start_chunk(stride):
    """A chunk's weight total, weighted response sum and (``stride``) its rows of
    ``X[::stride]`` (counted in the whole array: at most n / stride rows, whatever
    the chunks) with their Y, weights and offset: the start's one reduction."""

    def chunk(xb, yb, wb, ob, start):
        yb = np.asarray(yb, dtype=np.float64)
        wb = np.ones(yb.shape[0]) if wb is None else np.asarray(wb, dtype=np.float64)
        sample = []
        if stride:
            first = (-start) % stride
            sample = [tuple(None if a is None else np.ascontiguousarray(a[first::stride])
                            for a in (xb, yb, wb, ob))]
        return float(wb.sum()), wb @ yb, sample  # lists add by concatenation

    return chunk


def _intercept_start(family, m, p, ybar, with_offset):
    """The in-memory solver's start: intercepts at the link of ``y``'s mean."""
    theta = np.zeros((m, p))
    wm = np.ones(1)
    if m == 1:
        eta0 = family.init_eta(ybar[:1], wm, None) if not with_offset else None
    else:
        eta0 = family.init_eta(ybar[None, :], wm, None)
    theta[:, 0] = 0.0 if eta0 is None else eta0  # an offset: the null fit starts at 0
    return theta


def _sample_start(family, sample, theta, fit_intercept, prior, intercept_prior):
    """The optimum on the gathered sample ``(X, Y, w, offset)`` (the in-memory Newton
    on the same block function), or None where it does not converge to finite values
    (a sample the data separate): only the full fit's path changes, not its answer."""
    xs, ys, ws, os_ = sample

    def terms(t):
        ll, g, H = _chunk_terms(family, t, fit_intercept, t.shape[0], False)(xs, ys, ws, os_)
        lp, gp, nh = _log_prior(t, prior, intercept_prior, fit_intercept)
        return ll + lp, g + gp, H + np.diag(nh.ravel())

    try:
        with np.errstate(all="ignore"):
            theta, _, _, _, _, converged = _newton(terms, theta, 30, final=1e-12)
    except (ValueError, ArithmeticError, linalg.LinAlgError):  # e.g. an overflowing sample
        return None
    if not converged or not np.all(np.isfinite(theta)):
        return None
    return theta


def dask_newton(family, X, Y, w=None, offset=None, *, fit_intercept=True, tol=1e-8,
                max_iter=100, theta0=None, prior=None, intercept_prior=None, start=None):
    """The MLE of a GLM on Dask data by damped Newton, one reduction per iteration.

    From 50 000 rows the iterations start at the optimum of a strided sample of the
    rows (at most 100 000, gathered in the start's reduction and fitted on the
    client with the same block function), as the in-memory fit starts from a
    subsample: the full fit then needs ~3 reductions instead of ~8. Only the path
    changes: the answer is the full data's optimum.

    Parameters
    ----------
    family : a GLM family of ``sklearn_mle.linear_model._family``
    X : Dask array of shape (n, d)
    Y : Dask or NumPy array of shape (n,) or (n, m) (one-hot for the multinomial)
    w, offset : Dask or NumPy arrays of shape (n,) or None
    fit_intercept : bool
    tol : float
        Unused: the iterations stop when the Newton decrement is below 1e-22 of the
        log-likelihood (the optimum to rounding, so the result equals the in-memory
        fit's, which ends with the Newton step from its covariance's Hessian).
    max_iter : int
    theta0 : ndarray of shape (m, p) or None
        None: the sample's optimum, else the intercept-only start of the in-memory
        solver (zero slopes).
    prior, intercept_prior : elementwise priors (Normal, StudentT) or None
        MAP instead of the MLE: the log-prior, its gradient and curvature are added
        on the client (no pass over the data).
    start : FitStart or None
        The start's totals and sample from an earlier pass over the same data (the
        fit's input checks), instead of a pass of its own.

    Returns
    -------
    DaskNewtonResult
    """
    from .._engine.dask import ROW_START, dask_map_reduce

    m = int(family.n_outputs)
    p = X.shape[1] + int(fit_intercept)
    reductions = 0
    if theta0 is None:
        n = X.shape[0]
        use_sample = _use_sample(n, m, p)
        theta = np.zeros((m, p))
        if start is None and (fit_intercept or use_sample):
            # the intercept-only start needs y's weighted mean, the sample's start the
            # sample: one reduction for both
            stride = warm_stride(n) if use_sample else 0
            total, ysum, sample = dask_map_reduce(_start_chunk(stride), X,
                                                  (Y, w, offset, ROW_START))
            reductions += 1
            start = FitStart(total=total, ysum=ysum, sample=tuple(
                None if a[0] is None else np.concatenate(a)
                for a in zip(*sample, strict=True)) if sample else None)
        if fit_intercept:
            theta = _intercept_start(family, m, p, np.atleast_1d(start.ysum / start.total),
                                     offset is not None)
        if use_sample and start.sample is not None:
            warm = _sample_start(family, start.sample, theta, fit_intercept, prior,
                                 intercept_prior)
            theta = theta if warm is None else warm
    else:
        theta = np.array(theta0, dtype=np.float64).reshape(m, p)

    def terms(t):
        """Log-posterior, its gradient and information at ``t``: one reduction."""
        nonlocal reductions
        reductions += 1
        ll, g, H = dask_glm_terms(family, X, Y, w, offset, t, fit_intercept, with_const=True)
        lp, gp, nh = _log_prior(t, prior, intercept_prior, fit_intercept)
        return ll + lp, g + gp, H + np.diag(nh.ravel())

    theta, ll, g, H, n_iter, converged = _newton(terms, theta, max_iter)
    # loglik: the log-posterior kernel under a prior (as the estimators' loglik_)
    return DaskNewtonResult(theta=theta, loglik=float(ll), information=H, gradient=g,
                            n_iter=n_iter, converged=converged, n_reductions=reductions)
