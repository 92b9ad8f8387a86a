"""The hot loop of Gaussian-mixture EM: one fused, blocked pass per iteration.

scikit-learn's GaussianMixture spends an iteration on ``2 k`` tall-skinny matrix
products, several fresh ``(n, d)`` temporaries per component and a log-sum-exp
over an ``(n, k)`` array. Here one pass over row blocks of ``X`` (each block small
enough to stay in cache) does the E-step and accumulates the M-step statistics:

- ``"full"``: one GEMM ``X_b @ [U_1 ... U_k]`` against the concatenated precision
  Cholesky factors and one GEMM with a block-indicator matrix for the squared norms;
  the scatter of each component is a ``syrk`` (``Z.T @ Z``) of the block centred at
  the component's current mean (two-pass accuracy, no ``sum x x' - n m m'``
  cancellation);
- ``"diag"`` / ``"spherical"``: the features ``[x, x**2]`` (``[x, |x|**2]``) of the
  block, so the E-step is ONE GEMM with a ``(2d, k)`` matrix and the statistics are
  ONE GEMM ``R.T @ F``;
- ``"tied"``: one GEMM with the shared factor, the pooled scatter from ``X' W X``.

Rows are shifted by the data mean first, which keeps the raw second moments of the
diagonal forms well conditioned at any offset (values of 1e6 or 1e-6 scale).
Statistics are returned as ``(N, mean, scatter)``: weights, means and scatter about
the mean, in float64, which combine exactly across batches (Chan et al.) for
``partial_fit``.
"""

from __future__ import annotations

import numpy as np

from .._engine.blocks import map_blocks, map_reduce

LOG_2PI = float(np.log(2.0 * np.pi))
_EXP_FLOOR = {np.float32: np.float32(-80.0), np.float64: -700.0}
_BLOCK_BYTES = 1 << 21  # ~2 MiB working set per block
class MixtureStats:
    """Mixture statistics: ``N`` (k,), ``mean`` (k, d), ``scatter``.

    ``scatter`` is the weighted sum of ``(x - mean)(x - mean)'`` per component:
    (k, d, d) for "full", the pooled (d, d) for "tied", the diagonal (k, d) for
    "diag" and the trace (k,) for "spherical".
    """

    __slots__ = ("N", "mean", "scatter", "covariance_type")

    def __init__(self, N, mean, scatter, covariance_type):
        self.N = N
        self.mean = mean
        self.scatter = scatter
        self.covariance_type = covariance_type

    def scaled(self, factor: float) -> MixtureStats:
        """The statistics of the same data with every weight multiplied by ``factor``."""
        return MixtureStats(self.N * factor, self.mean, self.scatter * factor, self.covariance_type)

    def __add__(self, other: MixtureStats) -> MixtureStats:
        n1, n2 = self.N, other.N
        n = n1 + n2
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(n > 0, n2 / n, 0.5)
            corr = np.where(n > 0, n1 * n2 / n, 0.0)
        delta = other.mean - self.mean
        mean = self.mean + delta * frac[:, None]
        ct = self.covariance_type
        if ct == "full":
            extra = corr[:, None, None] * delta[:, :, None] * delta[:, None, :]
        elif ct == "tied":
            extra = (delta * corr[:, None]).T @ delta
        elif ct == "diag":
            extra = corr[:, None] * delta**2
        else:
            extra = corr * np.sum(delta**2, axis=1)
        return MixtureStats(n, mean, self.scatter + other.scatter + extra, ct)


class Plan:
    """Per-iteration constants of the E-step, in the data's dtype.

    ``"full"`` uses the quadratic features ``[x, x_i x_j (i <= j)]`` of the shifted
    rows (one GEMM for the E-step, one for the statistics) when that is both cheaper
    and accurate: ``n_features <= 24`` and every component mean within a Mahalanobis
    distance of 100 of the shift (the raw second moments then lose at most 4 of 16
    digits). Otherwise it runs the centred form.
    """

    def __init__(self, weights, means, prec_chol, covariance_type, shift, dtype):
        k, d = means.shape
        self.k, self.d, self.covariance_type, self.dtype = k, d, covariance_type, dtype
        self.shift = np.asarray(shift, dtype=np.float64)
        self.shift_dt = self.shift.astype(dtype)
        means = np.asarray(means, dtype=np.float64)
        prec_chol = np.asarray(prec_chol, dtype=np.float64)
        mc = means - self.shift
        self.centers = mc.astype(dtype)  # component means in shifted coordinates
        with np.errstate(divide="ignore"):
            logw = np.log(np.asarray(weights, dtype=np.float64))
        const = -0.5 * d * LOG_2PI + log_det_cholesky(prec_chol, covariance_type, d) + logw
        self.quadratic = False
        itemsize = np.dtype(dtype).itemsize
        if covariance_type == "full":
            b = np.einsum("kd,kde->ke", mc, prec_chol)
            maha2 = np.sum(b**2, axis=1)
            limit = 1e4 if np.dtype(dtype) == np.float64 else 1e3
            self.quadratic = d <= 24 and bool(np.all(maha2 <= limit))
            if self.quadratic:
                prec = prec_chol @ np.swapaxes(prec_chol, 1, 2)
                iu, ju = np.triu_indices(d)
                quad = np.where(iu == ju, -0.5, -1.0) * prec[:, iu, ju]  # (k, P)
                lin = np.einsum("kij,kj->ki", prec, mc)
                const = const - 0.5 * maha2
                self.w_t = np.ascontiguousarray(np.hstack([const[:, None], lin, quad]),
                                                dtype=dtype)
                self.triu = (iu, ju)
                width = d + iu.size + 2 * k
            else:
                self.ucat = np.ascontiguousarray(np.concatenate(list(prec_chol), axis=1),
                                                 dtype=dtype)
                self.bcat = b.ravel().astype(dtype)
                group = np.zeros((k, k * d), dtype=dtype)
                group[np.repeat(np.arange(k), d), np.arange(k * d)] = -0.5
                self.group_t = group
                width = 2 * k * d + k * d
        elif covariance_type == "tied":
            self.u = np.ascontiguousarray(prec_chol, dtype=dtype)
            b = mc @ prec_chol
            self.b = np.ascontiguousarray(b, dtype=dtype)
            const = const - 0.5 * np.sum(b**2, axis=1)
            width = 2 * d + 2 * k
        elif covariance_type == "diag":
            p = prec_chol**2
            const = const - 0.5 * np.sum(mc**2 * p, axis=1)
            self.a_t = np.hstack([const[:, None], mc * p, -0.5 * p]).astype(dtype)
            width = 3 * d + 2 * k
        else:
            p = prec_chol**2
            const = const - 0.5 * p * np.sum(mc**2, axis=1)
            self.a_t = np.hstack([const[:, None], mc * p[:, None], -0.5 * p[:, None]]
                                 ).astype(dtype)
            width = 2 * d + 2 * k
        self.const = const.astype(dtype)[:, None]
        self.block = int(np.clip(_BLOCK_BYTES // (itemsize * max(width, 1)), 1024, 65536))


def log_det_cholesky(prec_chol, covariance_type, d):
    """log |det| of the precision Cholesky factors, shape (k,) (a scalar for tied)."""
    if covariance_type == "full":
        return np.sum(np.log(np.diagonal(prec_chol, axis1=1, axis2=2)), axis=1)
    if covariance_type == "tied":
        return float(np.sum(np.log(np.diag(prec_chol))))
    if covariance_type == "diag":
        return np.sum(np.log(prec_chol), axis=1)
    return d * np.log(prec_chol)


def _block_log_prob(Xraw, plan):
    """``log w_k + log N(x | k)`` of a raw block in (k, m) layout.

    Returns ``(lp, feats, Xb)``: the features (or None) and the shifted block. Features
    are built transposed, ``(n_features, m)``, with a leading row of ones (so the
    constants ride in the GEMM and the statistics' first column is the weight sum),
    and every product writes a contiguous row.
    """
    ct = plan.covariance_type
    m, d = Xraw.shape
    feature_form = ct in ("diag", "spherical") or (ct == "full" and plan.quadratic)
    if not feature_form:
        Xb = Xraw - plan.shift_dt
        if ct == "full":
            y = Xb @ plan.ucat
            y -= plan.bcat
            np.square(y, out=y)
            lp = plan.group_t @ y.T
        else:
            y = Xb @ plan.u
            lp = plan.b @ y.T
            lp -= 0.5 * np.einsum("ij,ij->i", y, y)
        lp += plan.const
        return lp, None, Xb
    if ct == "full":
        n_rows = 1 + d + plan.triu[0].size
    else:
        n_rows = 1 + 2 * d if ct == "diag" else 2 + d
    feats = np.empty((n_rows, m), dtype=Xraw.dtype)
    feats[0] = 1.0
    xt = feats[1 : d + 1]
    np.subtract(Xraw.T, plan.shift_dt[:, None], out=xt)
    if ct == "full":
        off = d + 1
        for i in range(d):
            np.multiply(xt[i], xt[i:], out=feats[off : off + d - i])
            off += d - i
    elif ct == "diag":
        np.square(xt, out=feats[d + 1 :])
    else:
        np.einsum("ij,ij->j", xt, xt, out=feats[d + 1])
    lp = (plan.w_t if ct == "full" else plan.a_t) @ feats
    return lp, feats, xt.T


def _normalise(lp):
    """In place on (k, m): ``lp`` becomes the responsibilities; returns log-sum-exp (m,)."""
    mx = lp.max(axis=0)
    finite = np.isfinite(mx)
    if not finite.all():
        mx = np.where(finite, mx, 0.0).astype(lp.dtype)
    lp -= mx
    # keep exp() out of the subnormal range (100x slower arithmetic, float32 above all):
    # responsibilities below ~1e-35 (float32) / 1e-304 (float64) are rounded up to that
    np.maximum(lp, _EXP_FLOOR[lp.dtype.type], out=lp)
    np.exp(lp, out=lp)
    s = lp.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lp /= s
        return mx + np.log(s)


def weighted_log_prob(X, plan):
    """``log w_k + log N(x_i | k)`` for every row, shape (n, k)."""
    return map_blocks(lambda xb: _block_log_prob(xb, plan)[0].T, X, block_rows=plan.block,
                      limit_blas=True)


def _pass_block(Xblock, wb, plan, stats):
    """E-step and statistics of one row block: ``(total, N, S1, S2)``."""
    d = Xblock.shape[1]
    k, ct = plan.k, plan.covariance_type
    total = 0.0
    acc_n = np.zeros(k)
    acc_s1 = np.zeros((k, d))
    if ct == "full":
        acc_s2 = np.zeros((k, d * (d + 1) // 2)) if plan.quadratic else np.zeros((k, d, d))
    elif ct == "tied":
        acc_s2 = np.zeros((d, d))
    elif ct == "diag":
        acc_s2 = np.zeros((k, d))
    else:
        acc_s2 = np.zeros(k)
    lp, feats, Xb = _block_log_prob(Xblock, plan)
    lse = _normalise(lp)
    if wb is None:
        total += float(np.sum(lse, dtype=np.float64))
        r = lp
    else:
        total += float(np.dot(lse.astype(np.float64), wb.astype(np.float64)))
        r = lp * wb
    if not stats:
        return total, acc_n, acc_s1, acc_s2
    if feats is not None:
        # one GEMM: [N, S1, S2] = r @ [1, x, x**2 (or x_i x_j, or |x|**2)]
        m2 = (feats @ r.T).T  # (features, rows) @ (rows, k): ~2x faster sgemm than r @ f.T
        acc_n += m2[:, 0]
        acc_s1 += m2[:, 1 : d + 1]
        acc_s2 += m2[:, d + 1] if ct == "spherical" else m2[:, d + 1 :]
        return total, acc_n, acc_s1, acc_s2
    acc_n += r.sum(axis=1, dtype=np.float64)
    if ct == "full":
        diff = Xb[None, :, :] - plan.centers[:, None, :]
        acc_s1 += np.matmul(r[:, None, :], diff)[:, 0, :]
        diff *= np.sqrt(r)[:, :, None]
        for j in range(k):
            z = diff[j]
            acc_s2[j] += z.T @ z  # numpy runs A'A as syrk: half the flops of a GEMM
    else:  # tied
        acc_s1 += r @ Xb
        xw = Xb if wb is None else Xb * np.sqrt(wb)[:, None]
        acc_s2 += xw.T @ xw
    return total, acc_n, acc_s1, acc_s2


def em_pass(X, w, plan, stats=True, n_jobs=None):
    """One E-step over X, fused with the M-step statistics.

    Returns ``(total, MixtureStats or None)`` where ``total`` is ``sum_i w_i log p(x_i)``.
    ``w`` is None for unit weights. The row blocks go through the engine's
    ``map_reduce``: threads share them out, each running single-threaded BLAS on its
    own block (numpy releases the GIL), so there is no fork-join inside every small
    matrix product.
    """
    n, d = X.shape
    k, ct = plan.k, plan.covariance_type
    total, acc_n, acc_s1, acc_s2 = map_reduce(
        lambda xb, wb: _pass_block(xb, wb, plan, stats), X, w, block_rows=plan.block,
        n_jobs=n_jobs, limit_blas=True)
    if not stats:
        return total, None
    if ct == "full" and plan.quadratic:
        iu, ju = plan.triu
        full = np.zeros((k, d, d))
        full[:, iu, ju] = acc_s2
        full[:, ju, iu] = acc_s2
        return total, _finish_stats(acc_n, acc_s1, full, plan, centred=False)
    return total, _finish_stats(acc_n, acc_s1, acc_s2, plan)


def stats_from_resp(X, w, resp, plan_like):
    """Statistics of X under given responsibilities (initialisation), shape-compatible."""
    n, d = X.shape
    ct = plan_like.covariance_type
    r = resp if w is None else resp * w[:, None]
    # tied: scikit-learn pools ``X'X`` over all rows even where the initial
    # responsibilities do not sum to one, which is origin-dependent; keep its origin
    shift = np.zeros(d) if ct == "tied" else plan_like.shift
    Xc = X.astype(np.float64) - shift
    r = r.astype(np.float64)
    acc_n = r.sum(axis=0)
    acc_s1 = r.T @ Xc
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_c = np.where(acc_n[:, None] > 0, acc_s1 / acc_n[:, None], 0.0)
    if ct == "full":
        acc_s2 = np.empty((plan_like.k, d, d))
        for j in range(plan_like.k):
            diff = Xc - mean_c[j]
            acc_s2[j] = (diff * r[:, j : j + 1]).T @ diff
        return MixtureStats(acc_n, mean_c + shift, acc_s2, ct)
    if ct == "tied":
        xw = Xc if w is None else Xc * w[:, None]
        t = xw.T @ Xc
        return _finish_stats(acc_n, acc_s1, t, _Origin(plan_like), centred=False)
    sq = r.T @ (Xc**2)
    return _finish_stats(acc_n, acc_s1, sq if ct == "diag" else sq.sum(axis=1), plan_like,
                         centred=False)


def _finish_stats(acc_n, acc_s1, acc_s2, plan, centred=None):
    """Convert raw accumulators to ``(N, mean, scatter)`` in original coordinates."""
    ct = plan.covariance_type
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(acc_n > 0, 1.0 / acc_n, 0.0)
    delta = acc_s1 * inv[:, None]  # mean offset from the accumulation centre
    if ct == "full" and centred is None:
        centres = plan.centers.astype(np.float64)
        scatter = acc_s2 - acc_n[:, None, None] * delta[:, :, None] * delta[:, None, :]
        scatter = 0.5 * (scatter + np.swapaxes(scatter, 1, 2))
        return MixtureStats(acc_n, centres + delta + plan.shift, scatter, ct)
    if ct == "full":
        scatter = acc_s2 - acc_n[:, None, None] * delta[:, :, None] * delta[:, None, :]
        scatter = 0.5 * (scatter + np.swapaxes(scatter, 1, 2))
    elif ct == "tied":
        scatter = acc_s2 - (acc_s1 * inv[:, None]).T @ acc_s1
        scatter = 0.5 * (scatter + scatter.T)
    elif ct == "diag":
        scatter = np.maximum(acc_s2 - acc_n[:, None] * delta**2, 0.0)
    else:
        scatter = np.maximum(acc_s2 - acc_n * np.sum(delta**2, axis=1), 0.0)
    return MixtureStats(acc_n, delta + plan.shift, scatter, ct)


class _Origin:
    def __init__(self, plan):
        self.covariance_type = plan.covariance_type
        self.shift = 0.0
