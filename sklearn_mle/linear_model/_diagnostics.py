"""When the MLE does not exist: aliased (collinear) columns and separation.

- :func:`aliased_columns`: pivoted Cholesky (LAPACK ``dpstrf``) of the
  correlation-scaled information matrix ``A^T W A``. With positive weights it has the
  rank of the design ``A = [1, X]``; the columns left out of the pivoted factor are
  linear combinations of the kept ones, and the factor gives which.
- :func:`find_separation`: the linear program of Konis (2007, R's
  ``safeBinaryRegression``): maximise ``sum_i s_i a_i b`` subject to
  ``s_i a_i b >= 0`` for all rows and ``-1 <= b <= 1``, with ``s_i = 2 y_i - 1``. A
  positive optimum is a direction along which the log-likelihood increases without
  bound: (quasi-)complete separation, and the MLE does not exist.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy import linalg, optimize
from scipy.linalg import lapack

_ALIAS_TOL = 1e-10  # residual variance fraction below which a column counts as aliased




def aliased_columns(H, names, tol=_ALIAS_TOL):
    """Columns of the design that are linear combinations of the others.

    Parameters
    ----------
    H : ndarray of shape (k, k)
        ``A^T W A`` with positive row weights ``W``.
    names : list of str
        Column names of ``A``.

    Returns
    -------
    list of (str, list of str)
        Each aliased column with the columns it is a combination of; empty when ``A``
        has full column rank.
    """
    H = np.asarray(H, dtype=float)
    diag = np.diag(H).copy()
    out = []
    zero = ~(diag > 0)
    for j in np.flatnonzero(zero):
        out.append((names[j], []))
    keep = np.flatnonzero(~zero)
    if keep.size == 0:
        return out
    d = np.sqrt(diag[keep])
    S = H[np.ix_(keep, keep)] / np.outer(d, d)
    c, piv, rank, _info = lapack.dpstrf(S, tol=tol, lower=1)
    piv = piv - 1
    if rank >= keep.size:
        return out
    kept, dropped = piv[:rank], piv[rank:]
    L = np.tril(c[:rank, :rank])
    for j in dropped:
        rhs = S[kept, j]
        coefs = linalg.cho_solve((L, True), rhs, check_finite=False) if rank else rhs[:0]
        # in the design's column order, not the pivots' (ties between equal pivots
        # break by rounding, which differs with the order of the sums)
        partners = [names[c] for c in sorted(keep[kept[np.abs(coefs) > 1e-6]])]
        out.append((names[keep[j]], partners))
    return out


def aliased_message(estimator, aliased, rank_info=""):
    parts = []
    for name, partners in aliased[:5]:
        if partners:
            shown = ", ".join(map(repr, partners[:5]))
            more = f" and {len(partners) - 5} more" if len(partners) > 5 else ""
            parts.append(f"{name!r} is a linear combination of {shown}{more}")
        else:
            parts.append(f"{name!r} is constant zero (or has zero total weight)")
    if len(aliased) > 5:
        parts.append(f"and {len(aliased) - 5} more aliased columns")
    return (
        f"{estimator}: the design matrix is rank deficient (collinear columns{rank_info}), "
        f"so the coefficients are not identified: {'; '.join(parts)}. Drop the aliased "
        "column(s), or regularise with a proper prior, e.g. prior=Normal(scale=10)."
    )


def find_separation(X, y, w, fit_intercept, names, n_classes=2):
    """Detect (quasi-)complete separation of a categorical response by linear programming.

    Albert & Anderson (1984, Biometrika 71(1)): the multinomial-logit MLE does not
    exist iff some non-zero ``B`` (one row ``b_k`` per class, ``b_0 = 0``) has
    ``(b_{y_i} - b_k) . a_i >= 0`` for every row ``i`` and class ``k``. The LP
    maximises the sum of those margins with ``-1 <= B <= 1``. For two classes this is
    ``s_i a_i . b >= 0`` with ``s_i = 2 y_i - 1``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, d)
    y : ndarray of shape (n,), integer class codes ``0..n_classes-1``
    w : ndarray of shape (n,), rows with zero weight are ignored
    fit_intercept : bool
    names : list of str
        Feature names of ``X`` (without the intercept).
    n_classes : int

    Returns
    -------
    None when the data are not separated, else a dict with ``features`` (names with a
    non-zero component in the separating direction), ``complete`` (bool) and
    ``n_rows`` (the number of perfectly predicted rows).
    """
    keep = np.asarray(w) > 0
    Xk = X[keep]
    if sp.issparse(Xk):
        Xk = Xk.toarray()
    Xk = np.asarray(Xk, dtype=float)
    yk = np.asarray(y, dtype=int)[keep]
    if fit_intercept:
        Xk = np.column_stack([np.ones(len(Xk)), Xk])
    n, p = Xk.shape
    if n == 0:
        return None
    colscale = np.max(np.abs(Xk), axis=0)
    colscale[colscale == 0] = 1.0
    A = Xk / colscale
    m = n_classes - 1
    con_row, con_blk, con_sgn, con_obs, obs = [], [], [], [], []
    c = 0
    for k in range(n_classes):
        idx = np.flatnonzero(yk != k)  # (b_{y_i} - b_k) . a_i >= 0 for rows not in k
        ci = c + np.arange(len(idx))
        pos = yk[idx] > 0
        con_row.append(ci[pos])
        con_blk.append(yk[idx][pos] - 1)
        con_sgn.append(np.ones(int(pos.sum())))
        con_obs.append(idx[pos])
        if k > 0:
            con_row.append(ci)
            con_blk.append(np.full(len(idx), k - 1))
            con_sgn.append(-np.ones(len(idx)))
            con_obs.append(idx)
        obs.append(idx)
        c += len(idx)
    obs_idx = np.concatenate(obs)
    r, b = np.concatenate(con_row), np.concatenate(con_blk)
    sg, ob = np.concatenate(con_sgn), np.concatenate(con_obs)
    n_con = c
    data = (sg[:, None] * A[ob]).ravel()
    cols = (b[:, None] * p + np.arange(p)[None, :]).ravel()
    M = sp.csr_matrix((data, (np.repeat(r, p), cols)), shape=(n_con, m * p))
    res = optimize.linprog(
        -np.asarray(M.sum(axis=0)).ravel(),
        A_ub=-M,
        b_ub=np.zeros(n_con),
        bounds=[(-1.0, 1.0)] * (m * p),
        method="highs",
    )
    if res.status != 0 or -res.fun <= 1e-6:
        return None
    sol = res.x
    margins = M @ sol
    if margins.min() < -1e-9 * max(1.0, np.abs(sol).sum()):
        return None  # tolerance artefact, not a separating direction
    strict = margins > 1e-7
    if not strict.any():
        return None
    # a row is predicted perfectly when all its margins are strictly positive
    row_ok = np.zeros(n, dtype=bool)
    row_ok[np.unique(obs_idx[strict])] = True
    row_bad = np.zeros(n, dtype=bool)
    row_bad[np.unique(obs_idx[~strict])] = True
    perfect = row_ok & ~row_bad
    off = int(fit_intercept)
    sparse_sol = _sparsest_direction(M, m, p, off)
    B = (sol if sparse_sol is None else sparse_sol).reshape(m, p)
    comp = np.flatnonzero(np.any(np.abs(B[:, off:]) > 1e-7, axis=0))
    complete = bool(perfect.all()) or _strictly_separable(M, m * p)
    return {
        "features": [names[j] for j in comp],
        "complete": complete,
        "n_rows": int(n if complete else perfect.sum()),
    }


def _sparsest_direction(M, m, p, off):
    """A separating direction with the least L1 norm (few features, easy to name)."""
    k = m * p
    cost = np.ones(k)
    if off:
        cost[::p] = 1e-6  # intercepts are free to move
    total = np.asarray(M.sum(axis=0)).ravel()
    A_ub = sp.vstack([sp.hstack([-M, M]), sp.csr_matrix(np.concatenate([-total, total]))])
    b_ub = np.concatenate([np.zeros(M.shape[0]), [-1.0]])
    res = optimize.linprog(np.concatenate([cost, cost]), A_ub=A_ub.tocsr(), b_ub=b_ub,
                           bounds=[(0, None)] * (2 * k), method="highs")
    if res.status != 0:
        return None
    b = res.x[:k] - res.x[k:]
    if (M @ b).min() < -1e-9 * max(1.0, np.abs(b).sum()):
        return None
    return b


def _strictly_separable(M, k):
    """Complete separation: some direction gives every margin >= t > 0."""
    A_ub = sp.hstack([-M, sp.csr_matrix(np.ones((M.shape[0], 1)))]).tocsr()
    c = np.zeros(k + 1)
    c[-1] = -1.0
    res = optimize.linprog(c, A_ub=A_ub, b_ub=np.zeros(M.shape[0]),
                           bounds=[(-1.0, 1.0)] * k + [(None, 1.0)], method="highs")
    return bool(res.status == 0 and -res.fun > 1e-7)


def find_zero_count_direction(X, y, w, fit_intercept, names):
    """Poisson MLE non-existence: a direction that drives fitted means to 0 on zero counts.

    The Poisson log-likelihood ``sum_i y_i eta_i - exp(eta_i)`` increases without
    reaching a maximum along ``b`` iff ``a_i . b = 0`` for every row with ``y_i > 0``,
    ``a_i . b <= 0`` for the rows with ``y_i = 0``, and ``b != 0`` strictly lowers some
    of them (e.g. a dummy whose rows all have zero counts). Solved as a linear program
    maximising ``-sum_{y_i = 0} a_i . b`` with ``-1 <= b <= 1``.

    Returns None, or a dict with ``features`` and ``n_rows`` (zero-count rows driven
    to a fitted mean of 0).
    """
    keep = np.asarray(w) > 0
    Xk = X[keep]
    if sp.issparse(Xk):
        Xk = Xk.toarray()
    Xk = np.asarray(Xk, dtype=float)
    yk = np.asarray(y, dtype=float)[keep]
    if fit_intercept:
        Xk = np.column_stack([np.ones(len(Xk)), Xk])
    zero = yk == 0
    if not zero.any():
        return None
    colscale = np.max(np.abs(Xk), axis=0)
    colscale[colscale == 0] = 1.0
    A = Xk / colscale
    p = A.shape[1]
    res = optimize.linprog(
        A[zero].sum(axis=0),
        A_ub=sp.csr_matrix(A[zero]),
        b_ub=np.zeros(int(zero.sum())),
        A_eq=sp.csr_matrix(A[~zero]) if (~zero).any() else None,
        b_eq=np.zeros(int((~zero).sum())) if (~zero).any() else None,
        bounds=[(-1.0, 1.0)] * p,
        method="highs",
    )
    if res.status != 0 or -res.fun <= 1e-6:
        return None
    b = res.x
    margins = A @ b
    tol = 1e-9 * max(1.0, np.abs(b).sum())
    if margins[zero].max() > tol or (np.abs(margins[~zero]).max(initial=0.0) > tol):
        return None
    strict = margins[zero] < -1e-7
    if not strict.any():
        return None
    off = int(fit_intercept)
    comp = np.flatnonzero(np.abs(b[off:]) > 1e-7)
    return {"features": [names[j] for j in comp], "n_rows": int(strict.sum())}


def zero_count_message(estimator, info):
    feats = ", ".join(repr(f) for f in info["features"]) or "the intercept"
    return (
        f"{estimator}: {info['n_rows']} rows with zero counts can be fitted exactly by "
        f"driving the coefficient(s) of {feats} to -infinity (e.g. a category whose counts "
        "are all zero), so the maximum-likelihood estimate does not exist and those "
        "estimates and standard errors are meaningless. Use a prior that keeps them "
        "finite, e.g. prior=Normal(scale=5) or prior=Jeffreys()."
    )


def separation_message(estimator, info):
    kind = "complete" if info["complete"] else "quasi-complete"
    feats = ", ".join(repr(f) for f in info["features"]) or "the intercept"
    return (
        f"{estimator}: the classes are {kind}ly separated by {feats} "
        f"({info['n_rows']} rows are predicted perfectly), so the maximum-likelihood "
        "estimate does not exist: the log-likelihood keeps increasing as those "
        "coefficients go to infinity, and their estimates and standard errors are "
        "meaningless. Use a prior that keeps them finite, e.g. prior=Cauchy() "
        "(Gelman et al. 2008) or prior=Jeffreys() (Firth's bias reduction)."
    )
