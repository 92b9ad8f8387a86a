"""The NumPy forward-backward with long sequences cut into overlapping pieces.

The NumPy recursions (:mod:`._forward_backward`) take one Python step per row of the
longest sequence, so 50 sequences of ~4000 rows cost ~6000 steps of small NumPy calls
and a single sequence one step per row. Here every sequence is cut into pieces of about
the same length, laid side by side as the columns of the padded layout, so the loop
runs over one piece's length instead.

A piece's forward pass cannot know the true filtered distribution at its first row,
so it starts ``burn_in`` rows earlier, from the uniform distribution; its backward
pass ends ``burn_in`` rows after its last row, from beta = 1. The filter of an HMM
forgets where it started (the forward and backward maps are contractions), so after
the burn-in both are the exact ones, up to rounding: that is *checked*, not assumed.
At every cut, the last row of the piece before is also the last burn-in row of the
piece after, and their normalised alpha (and their beta) must agree to ``_TOL``. When
they do not (a chain that mixes slowly, or a sequence of probability zero), the caller
runs the whole sequences instead and the burn-in doubles for the next E-step. With the
check passed, the scaled recursions' normalisers ``c_t``, the posteriors and the
expected transitions are those of the uncut sequences (the tests compare them with
direct log-space recursions and the compiled kernels).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from . import _forward_backward as fb

__all__ = ["forward_backward_pieces", "forward_pieces"]

_TOL = 1e-13
# pieces hold at least this many burn-ins, and there are about this many columns
_MIN_PIECE_BURN_INS = 4
_TARGET_COLUMNS = 256
_MIN_BURN_IN, _MAX_BURN_IN = 16, 1024


def _pieces(bounds, burn_in):
    """``(seq, a, r0, r1, b)`` per piece (rows ``a..b`` laid out, ``r0..r1`` its own),
    or None when cutting would not shorten the loop."""
    lens = np.diff(bounds)
    n = int(bounds[-1])
    target = max(_MIN_PIECE_BURN_INS * burn_in, n // _TARGET_COLUMNS)
    if lens.size == 0 or lens.max() < 2 * target:
        return None
    out = []
    for s, (start, length) in enumerate(zip(bounds[:-1].tolist(), lens.tolist())):
        m = max(1, length // target)
        cuts = start + (np.arange(m + 1) * length) // m
        for i in range(m):
            r0, r1 = int(cuts[i]), int(cuts[i + 1])
            out.append((s, r0 - burn_in if i else r0, r0, r1,
                        r1 + burn_in if i < m - 1 else r1))
    return np.array(out, dtype=np.int64)


def _rows_to_converge(diff, tol):
    """Rows each cut needed before ``diff`` (cuts x rows, in the order the burn-in runs)
    stayed within ``tol``; the row count itself when it never did."""
    bad = diff > tol
    last = np.where(bad.any(axis=1), diff.shape[1] - 1 - np.argmax(bad[:, ::-1], axis=1), -1)
    return last + 2


def _forward(frame, bounds, startprob, transmat, burn_in, work):
    """The forward pass of the pieces: ``(status, burn_in, state)``; ``status`` None
    (cutting does not pay), False (missed: the next burn-in in ``burn_in``) or True
    with ``state`` the layout, ``alpha``, ``c``, ``F`` and the rows the cuts needed."""
    pieces = _pieces(bounds, burn_in)
    if pieces is None:
        return None, burn_in, None
    longer = min(2 * burn_in, _MAX_BURN_IN)
    k = frame.shape[1]
    seq, a, r0, r1, b = pieces.T
    width = b - a
    order = np.argsort(-width, kind="stable")
    seq, a, r0, r1, b, width = (v[order] for v in (seq, a, r0, r1, b, width))
    P, T = order.size, int(width[0])
    t = np.arange(T)[:, None]
    mask = t < width[None, :]
    idx = np.where(mask, a[None, :] + t, 0)
    active = np.searchsorted(-width, -np.arange(T), side="left")
    start = np.full((P, k), 1.0 / k)
    start[r0 == a] = startprob
    get = (lambda name, shape: np.empty(shape)) if work is None else (
        lambda name, shape: work.get("pieces_" + name, shape))
    alpha, c, F = fb.forward_padded(frame, idx, None, active, mask, start, transmat, get)
    if not np.all(c[mask] > 0):
        return False, burn_in, None  # probability zero: run whole, it says where
    # the cuts: the piece before (column lc) ends at row q, the piece after (column rc)
    # starts its burn-in at row q - burn_in + 1 and its own rows at q + 1
    by_start = {(int(s), int(x)): j for j, (s, x) in enumerate(zip(seq, r0))}
    pairs = [(j, by_start[key]) for j in range(P)
             if (key := (int(seq[j]), int(r1[j]))) in by_start]
    lc, rc = (np.array(v, dtype=np.int64) for v in zip(*pairs)) if pairs else (
        np.zeros(0, np.int64), np.zeros(0, np.int64))
    q = r1[lc] - 1
    need = 0
    if lc.size:
        rows = q[:, None] - burn_in + 1 + np.arange(burn_in)
        diff = np.abs(alpha[rows - a[lc, None], lc[:, None]]
                      - alpha[rows - a[rc, None], rc[:, None]]).max(axis=2)
        steps = _rows_to_converge(diff, _TOL)
        if steps.max() > burn_in:
            return False, longer, None
        need = int(steps.max())
    state = SimpleNamespace(seq=seq, a=a, r0=r0, r1=r1, T=T, P=P, t=t, mask=mask,
                            active=active, get=get, alpha=alpha, c=c, F=F, lc=lc, rc=rc,
                            q=q, need=need, longer=longer)
    return True, burn_in, state


def _next_burn_in(need):
    return int(np.clip(8 * -(-(need * 5 // 4 + 8) // 8), _MIN_BURN_IN, _MAX_BURN_IN))


def _own_rows(values, state, n):
    """The rows of ``values`` (T, P, ...) each piece owns, in row order."""
    out = np.empty((n,) + values.shape[2:])
    r0, r1, a = state.r0, state.r1, state.a
    for j, (x0, x1, off) in enumerate(zip(r0.tolist(), r1.tolist(), (r0 - a).tolist())):
        out[x0:x1] = values[off:off + x1 - x0, j]
    return out


def forward_pieces(frame, bounds, startprob, transmat, burn_in=64, work=None):
    """The scaled forward normalisers ``c`` (n,) on overlapping pieces, as
    :func:`._forward_backward.forward_pass` gives them: ``(c, burn_in)`` with ``c``
    None or False as :func:`forward_backward_pieces`."""
    status, nxt, state = _forward(frame, bounds, startprob, transmat, burn_in, work)
    if not status:
        return status, nxt
    return _own_rows(state.c, state, frame.shape[0]), _next_burn_in(state.need)


def forward_backward_pieces(frame, shift, bounds, startprob, transmat, seq_weight=None,
                            burn_in=64, work=None):
    """:func:`._forward_backward.forward_backward` on overlapping pieces.

    Returns ``(out, burn_in)``: ``out`` is its ``(loglik, gamma, xi, dead)``, None when
    cutting does not pay, False when the pieces did not meet at some cut (then run the
    sequences whole); ``burn_in`` the one to use next time (twice as long after a
    miss, else a quarter longer than the longest the cuts needed). ``work``: a
    :class:`._estep.Workspace` whose buffers hold the (T, P, k) arrays.
    """
    status, nxt, state = _forward(frame, bounds, startprob, transmat, burn_in, work)
    if not status:
        return status, nxt
    n, k = frame.shape
    st = state
    a, r0, r1, t, mask, alpha, c, F = st.a, st.r0, st.r1, st.t, st.mask, st.alpha, st.c, st.F
    T, P, lc, rc, q, need = st.T, st.P, st.lc, st.rc, st.q, st.need
    # backward (as the padded layout's): G_t = F_t / c_t, in place right_t = G_t beta_t
    G = F
    np.divide(F, c[..., None], out=G)
    fb.fill_padding(G, mask, 0.0)
    beta = st.get("beta", (T, P, k))
    fb.backward_padded(G, transmat, st.active, beta)
    if lc.size:  # rows q + burn_in down to q: the piece before's backward burn-in
        rows = q[:, None] + burn_in - np.arange(burn_in + 1)
        bl = beta[rows - a[lc, None], lc[:, None]]
        br = beta[rows - a[rc, None], rc[:, None]]
        diff = (np.abs(bl - br) / np.abs(br).max(axis=2, keepdims=True)).max(axis=2)
        steps = _rows_to_converge(diff, _TOL)
        if steps.max() > burn_in + 1:
            return False, st.longer
        need = max(need, int(steps.max()))
    right = G
    own = mask & (a[None, :] + t >= r0[None, :]) & (a[None, :] + t < r1[None, :])
    right[~own] = 0.0  # transitions into a burn-in row belong to the neighbouring piece
    if seq_weight is not None:
        right *= np.asarray(seq_weight, dtype=np.float64)[st.seq][None, :, None]
    xi = (alpha[:-1].reshape(-1, k).T @ right[1:].reshape(-1, k)) * transmat
    gamma = np.multiply(alpha, beta, out=beta)
    loglik = fb.seq_loglik(_own_rows(c, state, n), shift, bounds)
    return (loglik, _own_rows(gamma, state, n), xi, False), _next_burn_in(need)
