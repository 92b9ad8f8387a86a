"""The Hessian ``A^T W A`` of a GLM fit, summed in row blocks.

:class:`GLMHessianMixin` is the Hessian half of
:class:`~sklearn_mle.linear_model._problem.GLMProblem` (see that module for the
layout of the parameters and the passes over the rows): the binary/count families'
syrk, the multinomial's class-pair and ``G^T G`` forms, and the sparse form.
"""

from __future__ import annotations

import threading

import numpy as np
import scipy.sparse as sp

from .._engine import BLOCK_ELEMENTS

_scratch = threading.local()
_COLUMN_ROWS = 2048  # rows per sub-block of the by-column pair form (A^T: 21 x 2048 floats)


def _buffer(name, rows, cols):
    """A per-thread scratch array reused across blocks (no fresh pages per block)."""
    buf = getattr(_scratch, name, None)
    if buf is None or buf.shape[0] < rows or buf.shape[1] != cols:
        buf = np.empty((max(rows, 1), cols))
        setattr(_scratch, name, buf)
    return buf[:rows]


def _exact_buffer(name, shape):
    """A per-thread scratch array of exactly ``shape`` (reused while the shape holds)."""
    buf = getattr(_scratch, name, None)
    if buf is None or buf.shape != shape:
        buf = np.empty(shape)
        setattr(_scratch, name, buf)
    return buf


def dense(xb):
    return xb if xb.dtype == np.float64 else xb.astype(np.float64)


class GLMHessianMixin:
    """The Hessian of :class:`~sklearn_mle.linear_model._problem.GLMProblem` (its
    data, per-row weights ``_h`` and row-block map ``_map`` are the problem's)."""

    # ------------------------------------------------------------ Hessian
    def hessian(self):
        """``sum_i A_i^T W_i A_i`` of shape (k, k) at the point last evaluated (a new
        array; one pass over ``X``, once per point)."""
        if self._hess is None:
            if self.sparse:
                H = self._map(self._sparse_block, self.X, self._h, self.w)
            elif self.m == 1:
                H = self._map(self._binary_block, self.X, self._h, blas=True)
            elif self._pair_rows():
                H = self._assemble_pairs(
                    self._map(self._pair_block, self.X, self._h, self.w, blas=True))
            else:
                H = self._map(self._multi_block, self.X, self._h, self.w, blas=True)
            # the blocks fill one triangle (syrk) or add rounding asymmetrically: mirror
            H = np.triu(H)
            self._hess = H + np.triu(H, 1).T
        return self._hess.copy()

    def _design(self, xb, scale):
        """``scale[:, None] * [1, xb]`` in a per-thread scratch array."""
        icpt = int(self.fit_intercept)
        buf = _buffer("design", xb.shape[0], self.p)
        if icpt:
            buf[:, 0] = scale
        np.multiply(dense(xb), scale[:, None], out=buf[:, icpt:])
        return buf

    def _binary_block(self, xb, hb):
        a = self._design(xb, np.sqrt(hb[:, 0]))
        return a.T @ a  # BLAS syrk; releases the GIL

    # The multinomial Hessian by class pairs. Block (k, l) of the information is
    # sum_i c_kli a_i a_i^T with c_kli = w_i (delta_kl p_ik - p_ik p_il): m(m+1)/2
    # symmetric p x p blocks, i.e. m(m+1)/2 * p(p+1)/2 distinct sums, half of what the
    # syrk of G = p (x) a computes. With the upper triangles q_i of a_i a_i^T as the
    # rows of Q (computed in the transposed layout, p long vector products per
    # sub-block) and the pair weights as the rows of C, every block is one row of the
    # small GEMM C Q^T; the (k, k) blocks are assembled once after the reduction.
    def _pair_rows(self):
        """Rows per sub-block of the pair form (0: the design is too wide for it)."""
        ntri = self.p * (self.p + 1) // 2
        rows = min(1024, BLOCK_ELEMENTS // ntri)
        return rows if rows >= 256 else 0

    def _pair_block(self, xb, pb, wb):
        m, p = self.m, self.p
        ntri, npair = p * (p + 1) // 2, m * (m + 1) // 2
        icpt = int(self.fit_intercept)
        # few class pairs against the columns (K = 5, d = 20: 10 pairs, 21 columns): one
        # small GEMM per design column, (C * a_j) @ A[:, j:]^T, with no Q at all (its
        # 231 rows per row of X are written and read back through memory): 1.3-1.5x
        # faster there; many pairs: the one GEMM C Q^T
        by_column = 2 * npair <= p
        sub = _COLUMN_ROWS if by_column else self._pair_rows()
        AT = _exact_buffer("pair_a", (p, sub))
        QT = None if by_column else _exact_buffer("pair_q", (ntri, sub))
        CT = _exact_buffer("pair_c", (npair, sub))
        MT = _exact_buffer("pair_m", (npair, sub)) if by_column else None
        R = np.zeros((npair, ntri))
        for start in range(0, xb.shape[0], sub):
            stop = min(start + sub, xb.shape[0])
            r = stop - start
            at, ct = AT[:, :r], CT[:, :r]
            if icpt:
                at[0] = 1.0
            at[icpt:] = dense(xb[start:stop]).T
            pt = pb[start:stop].T
            j = 0
            for k in range(m):  # c: p_k p_l for l >= k, then p_k - p_k^2 on the diagonal
                np.multiply(pt[k], pt[k:], out=ct[j:j + m - k])
                np.subtract(pt[k], ct[j], out=ct[j])
                j += m - k
            if not self._unit_w:
                ct *= wb[start:stop]
            if by_column:
                mt, off = MT[:, :r], 0
                for a in range(p):  # the columns (a, a..p-1) of the upper triangles
                    np.multiply(ct, at[a], out=mt)
                    R[:, off:off + p - a] += mt @ at[a:].T  # BLAS; releases the GIL
                    off += p - a
                continue
            qt, off = QT[:, :r], 0
            for a in range(p):  # q_i: the upper triangle of a_i a_i^T, row by row
                np.multiply(at[a], at[a:], out=qt[off:off + p - a])
                off += p - a
            R += ct @ qt.T  # BLAS; releases the GIL
        return R

    def _assemble_pairs(self, R):
        """The (k, k) Hessian from the pair sums ``R`` (rows: pairs k <= l; columns:
        the upper triangle of a p x p block)."""
        m, p = self.m, self.p
        iu = np.triu_indices(p)
        H = np.empty((m * p, m * p))
        blk = np.empty((p, p))
        j = 0
        for k in range(m):
            for l in range(k, m):
                sign = 1.0 if k == l else -1.0
                blk[iu] = sign * R[j]
                blk.T[iu] = sign * R[j]
                H[k * p:(k + 1) * p, l * p:(l + 1) * p] = blk
                H[l * p:(l + 1) * p, k * p:(k + 1) * p] = blk
                j += 1
        return H

    def _multi_block(self, xb, pb, wb):
        m, p = self.m, self.p
        a = self._design(xb, np.sqrt(wb))  # sqrt(w_i) a_i
        if pb.shape[0] and np.all(pb == pb[0]):
            # the same probabilities on every row (the start, coefficients 0): W (x) A'WA
            p0 = pb[0]
            return np.kron(np.diag(p0) - np.outer(p0, p0), a.T @ a)
        G = _buffer("G", xb.shape[0], m * p)
        np.multiply(pb[:, :, None], a[:, None, :], out=G.reshape(-1, m, p))
        out = G.T @ G  # sum_i w_i p_ik p_il a_i a_i^T: one syrk
        np.negative(out, out=out)
        for k in range(m):
            out[k * p:(k + 1) * p, k * p:(k + 1) * p] += a.T @ G[:, k * p:(k + 1) * p]
        return out

    def _sparse_block(self, xb, hb, wb):
        m, p = self.m, self.p
        xa = sp.hstack([np.ones((xb.shape[0], 1)), xb], format="csr") if self.fit_intercept \
            else xb
        out = np.zeros((m * p, m * p))
        for k in range(m):
            for l in range(k, m):
                if m == 1:
                    wk = hb[:, 0]
                else:
                    wk = wb * hb[:, k] * (float(k == l) - hb[:, l])
                blk = (xa.T @ xa.multiply(wk[:, None])).toarray()
                out[k * p:(k + 1) * p, l * p:(l + 1) * p] += blk
        return out
