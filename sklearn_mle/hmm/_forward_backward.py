"""Forward-backward and Viterbi in NumPy, batched over sequences (the fallback twin of
the compiled kernels in ``sklearn_mle/_native/_hmm.pyx``).

The recursions over time cannot be vectorised along time, so they are vectorised
across sequences instead: the sequences are sorted by length and step ``t`` of every
sequence still running is one ``(m_t, k) @ (k, k)`` product. A single long sequence
costs one Python step per row here, which is why the E-step first tries
:mod:`._pieces` (long sequences cut into overlapping pieces, checked to meet); the
compiled kernels have no such cost.

Scaling (Rabiner's, with log normalisers). The emissions arrive as
``frame = exp(log_prob - shift)`` with ``shift`` the row maximum of the (n, k)
log-densities, so every row of ``frame`` has a maximum of exactly 1 and nothing
underflows however extreme the densities are. The forward pass normalises each step
by ``c_t = sum_j alpha~_t(j)``; a sequence's log-likelihood is
``sum_t (log c_t + shift_t)``, which never underflows whatever the length. Backward
uses the same ``c_t``, so ``gamma_t = alpha_t * beta_t`` and

    xi_t(i, j) = alpha_{t-1}(i) A_ij frame_t(j) beta_t(j) / c_t.

``c_t == 0`` means no state can emit row t given the states reachable at t (all
states dead): the sequence has probability zero and the caller says so in words.
"""

from __future__ import annotations

import numpy as np

__all__ = ["backward_padded", "fill_padding", "forward_backward", "forward_loglik",
           "forward_padded", "forward_pass", "seq_loglik", "sequence_order", "viterbi"]


def sequence_order(bounds):
    """``(starts, lens, active)`` with sequences sorted by decreasing length:
    ``active[t]`` is how many of them have a row ``t``."""
    lens = np.diff(bounds)
    order = np.argsort(-lens, kind="stable")
    starts, lens = bounds[:-1][order], lens[order]
    tmax = int(lens[0]) if lens.size else 0
    # active[t] = #(lens > t), lens sorted decreasing
    active = np.searchsorted(-lens, -np.arange(tmax), side="left")
    return starts, lens, active


def forward_pass(frame, bounds, startprob, transmat):
    """``(alpha, c)``: scaled forward variables and normalisers, in row order."""
    padded = _padding(bounds)
    if padded is not None:
        alpha, c, _ = forward_padded(frame, *padded, startprob, transmat)
        idx, valid = padded[:2]
        n = frame.shape[0]
        return _unpad(alpha, idx, valid, n), _unpad(c, idx, valid, n)
    return _forward_ragged(frame, bounds, startprob, transmat)


def _forward_ragged(frame, bounds, startprob, transmat):
    n, k = frame.shape
    alpha = np.empty((n, k))
    c = np.ones(n)
    starts, _, active = sequence_order(bounds)
    for t, m in enumerate(active):
        rows = starts[:m] + t
        if t == 0:
            a = startprob * frame[rows]
        else:
            a = (alpha[rows - 1] @ transmat) * frame[rows]
        s = a.sum(axis=1)
        dead = s <= 0
        if dead.any():  # keep going with c = 1: the caller reads the zero in c
            s = np.where(dead, 1.0, s)
            a[dead] = 0.0
            c[rows] = np.where(dead, 0.0, s)
        else:
            c[rows] = s
        alpha[rows] = a / s[:, None]
    return alpha, c


def forward_loglik(frame, shift, bounds, startprob, transmat):
    """Each sequence's log-likelihood (``-inf`` for a sequence of probability zero)."""
    _, c = forward_pass(frame, bounds, startprob, transmat)
    return seq_loglik(c, shift, bounds)


def seq_loglik(c, shift, bounds):
    """Each sequence's ``sum_t (log c_t + shift_t)`` (-inf for a dead sequence)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logc = np.log(c) + shift
    logc[c == 0] = -np.inf
    return np.add.reduceat(logc, bounds[:-1]) if logc.size else np.zeros(0)


def forward_backward(frame, shift, bounds, startprob, transmat, seq_weight=None,
                     work=None):
    """One E-step's quantities.

    Parameters
    ----------
    frame : ndarray of shape (n, k)
        ``exp(log_prob - shift[:, None])``.
    shift : ndarray of shape (n,)
    bounds : ndarray of shape (S + 1,)
    startprob : ndarray of shape (k,)
    transmat : ndarray of shape (k, k)
    seq_weight : ndarray of shape (S,) or None
    work : Workspace or None
        Where the padded layout's (T, S, k) arrays live between calls.

    Returns
    -------
    loglik : ndarray of shape (S,)
        Each sequence's log-likelihood (unweighted).
    gamma : ndarray of shape (n, k)
        State posteriors (unweighted).
    xi : ndarray of shape (k, k)
        Expected transition counts, summed over sequences with their weights.
    dead : bool
        True when some sequence has probability zero (its rows' posteriors are 0).
    """
    padded = _padding(bounds)
    if padded is not None:
        get = None if work is None else (
            lambda name, shape: work.get("padded_" + name, shape))
        return _forward_backward_padded(frame, shift, bounds, padded, startprob, transmat,
                                        seq_weight, get)
    return _forward_backward_ragged(frame, shift, bounds, startprob, transmat, seq_weight)


def _forward_backward_ragged(frame, shift, bounds, startprob, transmat, seq_weight):
    n, k = frame.shape
    alpha, c = _forward_ragged(frame, bounds, startprob, transmat)
    loglik = seq_loglik(c, shift, bounds)
    dead = bool(np.any(c == 0))
    cs = np.where(c == 0, 1.0, c)
    beta = np.ones((n, k))
    starts, _, active = sequence_order(bounds)
    # scaled emissions of the next row, weighted: fb[t] = frame_t * beta_t / c_t
    for t in range(active.size - 2, -1, -1):
        rows = starts[: active[t + 1]] + t
        nxt = frame[rows + 1] * beta[rows + 1] / cs[rows + 1][:, None]
        beta[rows] = nxt @ transmat.T
    gamma = alpha * beta
    if dead:
        bad = np.repeat(~np.isfinite(loglik), np.diff(bounds))
        gamma[bad] = 0.0
    # transitions: every row with a predecessor in its sequence
    has_prev = np.ones(n, dtype=bool)
    has_prev[bounds[:-1]] = False
    cur = np.flatnonzero(has_prev)
    right = frame[cur] * beta[cur] / cs[cur][:, None]
    if seq_weight is not None:
        right *= np.repeat(seq_weight, np.diff(bounds))[cur][:, None]
    if dead:
        right[bad[cur]] = 0.0
    xi = (alpha[cur - 1].T @ right) * transmat if cur.size else np.zeros((k, k))
    return loglik, gamma, xi, dead


# ----------------------------------------------------------------- padded layout
# Sequences of similar lengths are laid out as a (T, S, k) array, sequences sorted by
# decreasing length. Every step works on all S columns, whole contiguous (S, k) slices
# reached by iterating the arrays (no slicing or gather per step): the rows after a
# sequence's end are padding with emissions 1, on which alpha stays a probability
# vector (finite) and which the results never read. Forward is 4 NumPy calls per step,
# backward 2. Used when the padding costs at most as many rows as the data (otherwise,
# e.g. one long sequence among short ones, the ragged versions above gather rows per
# step).

def _padding(bounds):
    """``(idx (T, S), valid, active (T,), mask (T, S))`` or None when padding would
    waste more than the data's size; ``valid`` is ``(flat positions of real rows,
    their row numbers)``, ``mask`` marks the real rows."""
    starts, lens, active = sequence_order(bounds)
    n = int(bounds[-1])
    if lens.size < 2 or lens[0] * lens.size > 2 * n:
        return None
    t = np.arange(lens[0])[:, None]
    mask = t < lens[None, :]
    idx = np.where(mask, starts[None, :] + t, 0)
    flat = np.flatnonzero(mask.ravel())
    return idx, (flat, idx.ravel()[flat]), active, mask


def _unpad(arr, idx, valid, n):
    S = idx.shape[1]
    out = np.empty((n,) + arr.shape[2:])
    if S <= _COLUMN_COPIES:  # a slice copy per sequence beats two fancy indexings
        lens = np.count_nonzero(np.asarray(idx[1:] != 0), axis=0) + 1
        for j, (a, m) in enumerate(zip(idx[0].tolist(), lens.tolist())):
            out[a:a + m] = arr[:m, j]
        return out
    flat, rows = valid
    out[rows] = arr.reshape((-1,) + arr.shape[2:])[flat]
    return out


def _pad(frame, idx, mask, out=None):
    """``frame`` in the (T, S, k) layout, 1 on the padding (into ``out`` if given)."""
    T, S = idx.shape
    if S > _COLUMN_COPIES:
        F = np.take(frame, idx, axis=0, out=out)
        F[~mask] = 1.0
        return F
    F = np.empty((T, S, frame.shape[1])) if out is None else out
    lens = mask.sum(axis=0).tolist()
    for j, (a, m) in enumerate(zip(idx[0].tolist(), lens)):
        F[:m, j] = frame[a:a + m]
        F[m:, j] = 1.0
    return F


def fill_padding(arr, mask, value):
    """``value`` on the padding rows of a (T, S, ...) layout."""
    if arr.shape[1] > _COLUMN_COPIES:
        arr[~mask] = value
        return
    for j, m in enumerate(mask.sum(axis=0).tolist()):
        arr[m:, j] = value


# up to this many sequences, (un)padding copies one slice per sequence
_COLUMN_COPIES = 256


# the forward pass of the padded layout rescales alpha only where it could underflow:
# when the bound on its shrinkage since the last rescaling passes exp(-_SHRINK_LIMIT),
# far above the smallest normal double (entries 1e-170 below their row's sum keep full
# precision)
_SHRINK_LIMIT = 300.0


def _rescale_steps(F):
    """Which steps of the padded forward pass rescale alpha (a bool per step).

    Without rescaling, ``alpha~_t = (alpha~_{t-1} A) * F_t`` with ``A`` row-stochastic
    and every row of ``F`` at most 1 loses at most the factor ``min_j F_t(j)`` of its
    sum per step; a step rescales when the product of those factors since the last
    rescaling (over all columns) would pass ``exp(-_SHRINK_LIMIT)`` at the next step.
    """
    T = F.shape[0]
    with np.errstate(divide="ignore"):
        drop = -np.log(F.reshape(T, -1).min(axis=1))
    flags = np.zeros(T, dtype=bool)
    flags[0] = True
    acc = 0.0
    nxt = drop[1:].tolist() + [0.0]
    for t, d in enumerate(nxt):
        acc += d
        if acc > _SHRINK_LIMIT:
            flags[t] = True
            acc = d
    return flags


def forward_padded(frame, idx, valid, active, mask, startprob, transmat, get=None):
    """``(alpha, c, F)`` of the padded layout; ``get(name, shape)``: where the (T, S, k)
    arrays live (reused buffers: fresh ones cost their first touch at every call)."""
    k = frame.shape[1]
    T, S = idx.shape
    get = (lambda name, shape: np.empty(shape)) if get is None else get
    F = _pad(frame, idx, mask, out=get("F", (T, S, k)))
    alpha = get("alpha", (T, S, k))
    # the divisor each step's alpha was rescaled by (1 where it was not)
    scale = np.ones((T, S, 1))
    ones = np.ones((k, 1))
    rescale = _rescale_steps(F).tolist()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore", under="ignore"):
        np.multiply(startprob, F[0], out=alpha[0])
        np.dot(alpha[0], ones, out=scale[0])
        scale[0][scale[0] == 0] = 1.0
        np.divide(alpha[0], scale[0], out=alpha[0])
        # np.dot with out= costs less per call than matmul on these small blocks; two
        # calls per step, the sums and normalisation after the loop in whole-array calls
        A = np.ascontiguousarray(transmat, dtype=np.float64)
        for t, (a_prev, a, f) in enumerate(zip(alpha[:-1], alpha[1:], F[1:]), start=1):
            np.dot(a_prev, A, out=a)
            np.multiply(a, f, out=a)
            if rescale[t]:
                st = scale[t]
                np.dot(a, ones, out=st)
                st[st == 0] = 1.0
                np.divide(a, st, out=a)
        # c_t = sum(alpha~_{t-1} A F_t) / sum(alpha~_{t-1}) (A keeps a vector's sum):
        # Rabiner's normaliser of the scaled recursion
        sums = (alpha.reshape(-1, k) @ ones).reshape(T, S)
        c = np.empty((T, S))
        c[0] = sums[0] * scale[0, :, 0]
        np.divide(sums[1:] * scale[1:, :, 0], sums[:-1], out=c[1:])
        np.divide(alpha, sums[..., None], out=alpha)
    fill_padding(c, mask, 1.0)
    # a dead sequence (c_t = 0: no state can emit row t) turned NaN from that step on:
    # it gets c = 0 and alpha = 0 from its first dead step
    bad = ~(c > 0)
    if bad.any():
        first = np.where(bad.any(axis=0), bad.argmax(axis=0), T)
        after = np.arange(T)[:, None] >= first[None, :]
        c[after] = 0.0
        alpha[after] = 0.0
    return alpha, c, F


def backward_padded(G, transmat, active, beta):
    """The scaled backward recursion over a padded (T, S, k) layout, in place.

    ``G``: the emissions over the scaling factors, ``frame_t / c_t`` (0 on the
    padding); overwritten step by step by ``right_t = G_t * beta_t`` (what both
    ``beta_{t-1} = right_t @ A.T`` and the transition statistics need). ``active[t]``:
    the number of sequences (columns) still running at step ``t``. ``beta`` receives
    the backward variables (``beta[T - 1] = 1``, and 1 at each sequence's last row).
    """
    T = G.shape[0]
    beta[T - 1] = 1.0
    At = np.ascontiguousarray(transmat.T)
    for t in range(T - 1, 0, -1):
        g = G[t]
        np.multiply(g, beta[t], out=g)
        np.dot(g, At, out=beta[t - 1])
        # the sequences whose last row is t - 1 (columns active[t]..active[t-1]) start
        # their backward pass there
        if active[t] < active[t - 1]:
            beta[t - 1, active[t]:active[t - 1]] = 1.0


def _forward_backward_padded(frame, shift, bounds, padded, startprob, transmat, seq_weight,
                             get=None):
    idx, valid, active, mask = padded
    n, k = frame.shape
    alpha, c, F = forward_padded(frame, *padded, startprob, transmat, get)
    c_rows = _unpad(c, idx, valid, n)
    loglik = seq_loglik(c_rows, shift, bounds)
    dead = bool(np.any(c_rows == 0))
    T, S, _ = F.shape
    # G_t = frame_t / c_t (0 on the padding), overwritten step by step (in place: no
    # more (T, S, k) arrays) by right_t = G_t * beta_t, what both
    # beta_{t-1} = right_t @ A.T and xi need; 0 on the padding
    G = F
    np.divide(F, np.where(c == 0, 1.0, c)[..., None], out=G)
    fill_padding(G, mask, 0.0)
    beta = np.empty((T, S, k)) if get is None else get("beta", (T, S, k))
    backward_padded(G, transmat, active, beta)
    right = G
    gamma = np.multiply(alpha, beta, out=beta)
    # column j of the layout is sequence seq_of_column[j] (see sequence_order)
    seq_of_column = np.argsort(-np.diff(bounds), kind="stable")
    if dead:
        bad_cols = ~np.isfinite(loglik[seq_of_column])
        gamma[:, bad_cols] = 0.0
        right[:, bad_cols] = 0.0
    if seq_weight is not None:
        right *= seq_weight[seq_of_column][None, :, None]
    xi = (alpha[:-1].reshape(-1, k).T @ right[1:].reshape(-1, k)) * transmat
    return loglik, _unpad(gamma, idx, valid, n), xi, dead


def viterbi(log_prob, bounds, log_startprob, log_transmat):
    """The most probable state path of each sequence, in log space.

    Returns
    -------
    logprob : ndarray of shape (S,)
        Each sequence's best path log-probability (``-inf``: no path).
    states : ndarray of shape (n,), int
    """
    n, k = log_prob.shape
    delta = np.empty((n, k))
    psi = np.zeros((n, k), dtype=np.intp)
    starts, lens, active = sequence_order(bounds)
    for t, m in enumerate(active):
        rows = starts[:m] + t
        if t == 0:
            delta[rows] = log_startprob + log_prob[rows]
        else:
            cand = delta[rows - 1][:, :, None] + log_transmat  # (m, from, to)
            best = cand.argmax(axis=1)
            psi[rows] = best
            delta[rows] = np.take_along_axis(cand, best[:, None, :], axis=1)[:, 0, :] \
                + log_prob[rows]
    states = np.zeros(n, dtype=np.intp)
    last = starts + lens - 1
    states[last] = delta[last].argmax(axis=1)
    best = delta[last, states[last]]
    for t in range(active.size - 1, 0, -1):
        rows = starts[: active[t]] + t
        states[rows - 1] = psi[rows, states[rows]]
    logprob = np.empty(lens.size)
    order = np.argsort(starts)
    logprob[:] = best[order]
    return logprob, states
