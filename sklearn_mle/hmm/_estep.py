"""The HMM's passes over its rows: log-emissions, forward-backward, Viterbi, sampling.

One place chooses between the compiled kernels (``sklearn_mle._native._hmm``) and
their NumPy twins (:mod:`._forward_backward`), and spreads the sequences over threads
through the engine's ``map_reduce`` (a block of rows is a block of whole sequences:
the kernels release the GIL, so blocks run in parallel). ``use_native=False`` forces
the NumPy path (the tests compare the two).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .._engine.blocks import effective_threads, map_reduce, map_reduce_ranges
from . import _forward_backward as fb
from . import _pieces

try:  # pragma: no cover - which branch runs depends on the build
    from .._native import _hmm as _native
except ImportError:  # pragma: no cover
    _native = None

NATIVE = _native is not None

__all__ = ["NATIVE", "log_prob_rows", "run_forward", "run_forward_backward", "run_viterbi",
           "sample_states", "shifted_frame", "Workspace", "distinct_frame", "distinct_rows",
           "weights_of_distinct"]

# a block of sequences should hold at least this many rows before threads pay off
_MIN_ROWS_PER_BLOCK = 8192
# rows of sequences handled together inside a block: their (rows, k) buffers stay in
# the core's cache between the exp and the recursions
_CACHE_ROWS = 4096


def distinct_rows(emission, X):
    """``(X_distinct, inverse, pool)`` when X is discrete with few distinct rows (symbols,
    small counts, 0/1 answers): the densities are then computed once per distinct row
    and gathered, the same numbers at a fraction of the cost. None otherwise."""
    n, d = X.shape
    if n < _MIN_ROWS_DISTINCT or (d > 1 and (X.dtype == object
                                             or not emission.family.integer_domain)):
        return None
    if n > 8 * _SAMPLE_ROWS:
        # a strided sample first: rows that are mostly distinct there are so in X too,
        # and the sort of every row (of all d columns) would be wasted
        sample = X[:: n // _SAMPLE_ROWS]
        m = (np.unique(sample[:, 0]) if d == 1 else np.unique(sample, axis=0)).shape[0]
        if m > sample.shape[0] // 2:
            return None
    if d == 1:  # one sort per fit (symbols of any kind: a categorical column)
        values, inverse = np.unique(X[:, 0], return_inverse=True)
        Xu, inverse = values[:, None], inverse.ravel()
    else:
        Xu, inverse = np.unique(X, axis=0, return_inverse=True)
        inverse = inverse.ravel()
    if Xu.shape[0] > n // 8:
        return None
    # (n_distinct, n) 0/1 matrix: row u sums the rows equal to X_distinct[u]
    pool = sparse.csr_matrix((np.ones(n), (inverse, np.arange(n))), shape=(Xu.shape[0], n))
    return Xu, inverse, pool


_MIN_ROWS_DISTINCT = 4096
_SAMPLE_ROWS = 4096


def weights_of_distinct(distinct, weights):
    """The (n, k) row weights summed per distinct row, shape (n_distinct, k): the
    statistics of the distinct rows under them equal those of X (finite-statistics
    families are sums over rows), by one sparse product in a single pass."""
    return distinct[2] @ weights


def distinct_frame(emission, params, distinct, work=None):
    """``(frame, shift)`` of X from its distinct rows: each distinct row's shifted
    emissions computed once and gathered (no exp per row)."""
    Xu, inverse = distinct[:2]
    shift_u, frame_u = shifted_frame(emission.log_prob(Xu, params))
    n, k = inverse.size, frame_u.shape[1]
    frame = np.empty((n, k)) if work is None else work.get("frame", (n, k))
    np.take(frame_u, inverse, axis=0, out=frame)
    return frame, shift_u[inverse]


def log_prob_rows(emission, X, params, n_jobs=None, work=None, distinct=None):
    """The (n, k) log-densities of every row under every state, C-contiguous, filled
    block by block in place (threads through the engine; no concatenation).
    ``distinct``: :func:`distinct_rows` of X, to compute each distinct row once."""
    n, k = X.shape[0], len(params)
    out = np.empty((n, k)) if work is None else work.get("log_prob", (n, k))
    if distinct is not None:
        Xu, inverse = distinct[:2]
        np.take(emission.log_prob(Xu, params), inverse, axis=0, out=out)
        return out

    def block(a, b):
        out[a:b] = emission.log_prob(X[a:b], params)
        return 0

    map_reduce_ranges(block, n, max(X.shape[1], k), n_jobs=n_jobs)
    return out


def shifted_frame(lp, frame=None, shift=None, start=0, stop=None):
    """``(shift, frame)``: row maxima of the log-densities and ``exp(lp - shift)``,
    written into ``frame``/``shift`` (rows start..stop) when given; rows of -inf give
    zero rows. In chunks that stay in cache, with NumPy's vectorised ``exp``."""
    n, k = lp.shape
    stop = n if stop is None else stop
    frame = np.empty((n, k)) if frame is None else frame
    shift = np.empty(n) if shift is None else shift
    for a in range(start, stop, _FRAME_CHUNK):
        b = min(a + _FRAME_CHUNK, stop)
        block, m = lp[a:b], shift[a:b]
        m[:] = block[:, 0]
        for j in range(1, k):  # a short axis 1: columns beat a reduction
            np.maximum(m, block[:, j], out=m)
        safe = m if np.all(np.isfinite(m)) else np.where(np.isfinite(m), m, 0.0)
        out = frame[a:b]
        np.subtract(block, safe[:, None], out=out)
        with np.errstate(under="ignore"):
            np.exp(out, out=out)
    return shift, frame


_FRAME_CHUNK = 8192


class Workspace:
    """Arrays reused across the EM iterations of one fit: the (n, k) buffers of the
    recursions would otherwise be fresh memory at every E-step, whose first touch
    costs about as much as the forward pass itself."""

    def __init__(self):
        self._arrays = {}
        # rows before (after) a piece that its forward (backward) pass starts from
        self.burn_in = 64

    def get(self, name, shape):
        arr = self._arrays.get(name)
        if arr is None or arr.shape != tuple(shape):
            arr = self._arrays[name] = np.empty(shape)
        return arr

    def drop(self, prefix):
        """Free the buffers whose names start with ``prefix`` (the layout not in use:
        the pieces' and the whole sequences' (T, S, k) arrays are never both kept)."""
        for name in [n for n in self._arrays if n.startswith(prefix)]:
            del self._arrays[name]


def _sequence_blocks(bounds, n_jobs):
    """Blocks of whole sequences, ``[(s0, s1), ...]``: one when threads cannot help."""
    n_seq = bounds.size - 1
    n = int(bounds[-1])
    threads = effective_threads(n_jobs)
    if threads <= 1 or n_seq < 2 or n < 2 * _MIN_ROWS_PER_BLOCK:
        return [(0, n_seq)]
    # about 4 blocks per thread, each of about the same number of rows
    target = max(_MIN_ROWS_PER_BLOCK, n // (4 * threads))
    cuts = np.searchsorted(bounds, np.arange(target, n, target))
    cuts = np.unique(np.clip(cuts, 1, n_seq - 1))
    edges = np.concatenate([[0], cuts, [n_seq]])
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def _cache_groups(bounds, s0, s1, rows=_CACHE_ROWS):
    """Consecutive groups of sequences s0..s1-1 of about ``rows`` rows each (a longer
    sequence is a group of its own)."""
    starts = bounds[s0:s1 + 1]
    cuts = np.searchsorted(starts, np.arange(starts[0] + rows, starts[-1], rows))
    edges = np.unique(np.concatenate([[0], cuts, [s1 - s0]])) + s0
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def _over_blocks(fn, blocks, n_jobs):
    idx = np.arange(len(blocks))[:, None]
    return map_reduce(lambda ib: fn(*blocks[int(ib[0, 0])]), idx, n_jobs=n_jobs,
                      block_rows=1)


def run_forward_backward(lp, bounds, startprob, transmat, seq_weight=None, n_jobs=None,
                         use_native=True, work=None, framed=None):
    """``(loglik (S,), gamma (n, k), xi (k, k), dead, shift (n,))`` from the (n, k)
    log-emissions; see :func:`._forward_backward.forward_backward`. With a
    :class:`Workspace`, ``gamma`` is one of its buffers (valid until the next call).
    ``framed``: ``(frame, shift)`` already computed (then ``lp`` is not read)."""
    n, k = (lp if framed is None else framed[0]).shape
    work = Workspace() if work is None else work
    if framed is None:
        frame, shift = work.get("frame", (n, k)), np.empty(n)
    else:
        frame, shift = framed
    if not (use_native and NATIVE):
        if framed is None:
            shifted_frame(lp, frame, shift)
        # long sequences in overlapping pieces (a loop over a piece's length), checked
        # to meet at every cut; else whole, with a longer burn-in next time (and a
        # burn-in fitted to what the cuts needed after a success)
        out, work.burn_in = _pieces.forward_backward_pieces(
            frame, shift, bounds, startprob, transmat, seq_weight, burn_in=work.burn_in,
            work=work)
        if out:
            work.drop("padded_")
        else:
            work.drop("pieces_")
            out = fb.forward_backward(frame, shift, bounds, startprob, transmat, seq_weight,
                                      work=work)
        return (*out, shift)
    alpha = work.get("alpha", (n, k))
    gamma = work.get("gamma", (n, k))
    c = np.empty(n)
    pi = np.ascontiguousarray(startprob, dtype=np.float64)
    A = np.ascontiguousarray(transmat, dtype=np.float64)
    AT = np.ascontiguousarray(A.T)
    weighted = seq_weight is not None
    sw = np.ascontiguousarray(seq_weight, dtype=np.float64) if weighted else np.empty(0)

    def block(s0, s1):
        xi = np.zeros((k, k))
        dead = 0
        # a few sequences at a time: their emissions are exp'd just before the kernel
        # reads them, while they are still in cache
        for g0, g1 in _cache_groups(bounds, s0, s1):
            if framed is None:
                shifted_frame(lp, frame, shift, int(bounds[g0]), int(bounds[g1]))
            dead += _native.forward_backward(frame, bounds, g0, g1, pi, A, AT, alpha, gamma,
                                             c, xi, sw, weighted)
        return xi, dead

    xi, dead = _over_blocks(block, _sequence_blocks(bounds, n_jobs), n_jobs)
    return fb.seq_loglik(c, shift, bounds), gamma, xi, bool(dead), shift


def run_forward(lp, bounds, startprob, transmat, n_jobs=None, use_native=True, work=None):
    """``(loglik (S,), log_c (n,))``: each sequence's log-likelihood and each row's
    one-step-ahead predictive log-density ``log p(x_t | x_1..x_{t-1})``. ``work``: a
    :class:`Workspace` kept across calls (the NumPy pieces' burn-in and buffers)."""
    n, k = lp.shape
    frame, shift = np.empty((n, k)), np.empty(n)
    if use_native and NATIVE:
        alpha = np.empty((n, k))
        c = np.empty(n)
        pi = np.ascontiguousarray(startprob, dtype=np.float64)
        A = np.ascontiguousarray(transmat, dtype=np.float64)

        def block(s0, s1):
            dead = 0
            for g0, g1 in _cache_groups(bounds, s0, s1):
                shifted_frame(lp, frame, shift, int(bounds[g0]), int(bounds[g1]))
                dead += _native.forward(frame, bounds, g0, g1, pi, A, alpha, c)
            return dead

        _over_blocks(block, _sequence_blocks(bounds, n_jobs), n_jobs)
    else:
        shifted_frame(lp, frame, shift)
        work = Workspace() if work is None else work
        c, work.burn_in = _pieces.forward_pieces(frame, bounds, startprob, transmat,
                                                 burn_in=work.burn_in, work=work)
        if c is None or c is False:
            _, c = fb.forward_pass(frame, bounds, startprob, transmat)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_c = np.log(c) + shift
    log_c[c == 0] = -np.inf
    return fb.seq_loglik(c, shift, bounds), log_c


def run_viterbi(log_prob, bounds, startprob, transmat, n_jobs=None, use_native=True):
    """``(best (S,), states (n,))``: each sequence's best path log-probability and the
    path."""
    with np.errstate(divide="ignore"):
        log_pi = np.log(startprob)
        log_A = np.log(transmat)
    if not (use_native and NATIVE):
        return fb.viterbi(log_prob, bounds, log_pi, log_A)
    n, k = log_prob.shape
    psi = np.zeros((n, k), dtype=np.intc)
    states = np.zeros(n, dtype=np.int64)
    best = np.empty(bounds.size - 1)
    lp = np.ascontiguousarray(log_prob, dtype=np.float64)

    def block(s0, s1):
        _native.viterbi(lp, bounds, s0, s1, np.ascontiguousarray(log_pi),
                        np.ascontiguousarray(log_A), psi, states, best)
        return 0

    _over_blocks(block, _sequence_blocks(bounds, n_jobs), n_jobs)
    return best, states.astype(np.intp)


def sample_states(startprob, transmat, n, rng, use_native=True):
    """A state path of length ``n``: one uniform per step, inverse CDF of the
    current state's transition row (compiled loop, or a plain Python loop)."""
    first = int(rng.choice(len(startprob), p=startprob))
    u = rng.random_sample(n) if hasattr(rng, "random_sample") else rng.random(n)
    cum = np.cumsum(transmat, axis=1)
    cum[:, -1] = 1.0  # rounding never leaves a state without a successor
    if use_native and NATIVE:
        out = np.empty(n, dtype=np.int64)
        _native.sample_states(np.ascontiguousarray(cum), u, first, out)
        return out.astype(np.intp)
    rows = cum.tolist()
    out = [first] * n
    s = first
    for t in range(1, n):
        x = u[t]
        row = rows[s]
        j = 0
        while row[j] <= x and j < len(row) - 1:
            j += 1
        s = j
        out[t] = s
    return np.asarray(out, dtype=np.intp)
