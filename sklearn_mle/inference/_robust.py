"""Sandwich (heteroscedasticity- and cluster-robust) covariance estimators.

For an M-estimator with per-row scores ``s_i`` (gradient of row ``i``'s
log-likelihood) and bread ``B`` (the inverse observed information, the model-based
covariance), the robust covariance is ``B M B`` with the meat ``M``:

``HC0``
    ``sum_i w_i s_i s_i^T`` (White; Huber);
``HC1``
    ``HC0 * N / (N - k)``, the degrees-of-freedom correction (``N`` the total weight,
    ``k`` the number of parameters);
``HC2``, ``HC3``
    ``sum_i w_i s_i s_i^T / (1 - h_i)`` and ``/ (1 - h_i)**2`` with the leverages
    ``h_i`` of the (working) weighted design (MacKinnon and White, 1985; for GLMs as
    R's ``sandwich::vcovHC``);
``cluster``
    ``sum_g S_g S_g^T`` with ``S_g = sum_{i in g} w_i s_i``, times
    ``G / (G - 1) * (N - 1) / (N - k)`` (CRV1, statsmodels' and Stata's default).

``w_i`` are frequency weights: an integer weight equals repeated rows (the repeated
rows fall in the same cluster).

statsmodels computes HC1-HC3 for OLS only; for ``Logit``/``Poisson``/``GLM`` its
``cov_type="HC1"``, ``"HC2"`` and ``"HC3"`` all return HC0 (``MNLogit`` too).

A model with ``m`` linear predictors per row (the multinomial logit) has an ``m x m``
leverage block per row, ``H_i = V_i^(1/2) X_i B X_i^T V_i^(1/2)`` with ``X_i = I_m (x)
a_i^T`` and ``V_i`` the row's Hessian weight block; HC2 and HC3 replace the scalar
``(1 - h_i)^(-1/2)`` and ``(1 - h_i)^(-1)`` by the matrices ``(I - H_i)^(-1/2)`` and
``(I - H_i)^(-1)`` acting on the standardised residual vector (the CR2/CR3
adjustments of Bell and McCaffrey (2002) with each row as a cluster of its ``m``
predictors); with ``m = 1`` they are the scalar ones (:func:`block_adjusted_scores`).
"""

from __future__ import annotations

import numpy as np

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster")


def check_cov_type(cov_type, groups, owner):
    """Validate the ``cov_type``/``groups`` pair of a fit (a ValueError naming the rule)."""
    if cov_type not in COV_TYPES:
        raise ValueError(f"{owner}: cov_type must be one of {COV_TYPES}, got {cov_type!r}")
    if cov_type == "cluster" and groups is None:
        raise ValueError(
            f"{owner}: cov_type='cluster' needs the cluster labels: fit(X, y, groups=...) "
            "(in a Pipeline or cross-validation, request them with set_fit_request(groups=True))"
        )


def group_codes(groups, n, owner):
    """Integer cluster codes ``0..G-1`` of ``groups`` (any hashable labels)."""
    g = np.asarray(groups)
    if g.ndim != 1 or g.shape[0] != n:
        raise ValueError(f"{owner}: groups must be a 1-d array of length {n}, got shape "
                         f"{g.shape}")
    _, codes = np.unique(g, return_inverse=True)
    return codes.ravel()


def sandwich_cov(bread, score_rows, weights, cov_type, *, leverage=None, groups=None):
    """Robust covariance ``bread @ meat @ bread`` of the given type.

    Parameters
    ----------
    bread : ndarray of shape (k, k)
        Model-based covariance (inverse information) of the estimates.
    score_rows : ndarray of shape (n, k)
        Per-row score (gradient of each row's log-likelihood, unit weight).
    weights : ndarray of shape (n,)
        Frequency weights.
    cov_type : {"HC0", "HC1", "HC2", "HC3", "cluster"}
    leverage : ndarray of shape (n,), optional
        Leverages ``h_i`` (required by HC2 and HC3).
    groups : ndarray of shape (n,) of int, optional
        Cluster codes (required by ``cluster``).

    Returns
    -------
    ndarray of shape (k, k)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    >>> resid = np.array([0.1, -0.2, 0.2, -0.1])
    >>> bread = np.linalg.inv(X.T @ X)
    >>> cov = sandwich_cov(bread, X * resid[:, None], np.ones(4), "HC0")
    >>> bool(np.allclose(cov, bread @ (X.T * resid**2) @ X @ bread))
    True
    """
    S = np.asarray(score_rows, dtype=float)
    w = np.asarray(weights, dtype=float)
    n_tot, k = float(np.sum(w)), S.shape[1]
    if cov_type == "cluster":
        G = int(groups.max()) + 1 if len(groups) else 0
        sums = np.zeros((G, k))
        np.add.at(sums, groups, S * w[:, None])
        n_groups = int(np.count_nonzero(np.bincount(groups, weights=w, minlength=G) > 0))
        if n_groups < 2:
            raise ValueError(f"cov_type='cluster' needs at least 2 clusters with positive "
                             f"weight, got {n_groups}")
        meat = sums.T @ sums
        meat *= n_groups / (n_groups - 1.0) * (n_tot - 1.0) / (n_tot - k)
    else:
        f = w
        if cov_type in ("HC2", "HC3"):
            one_minus = 1.0 - np.asarray(leverage, dtype=float)
            _check_leverages(one_minus, w, S, n_tot, k, cov_type)
            # a leverage of 1 (a row fitted exactly by its own parameter) has no residual
            # information: its contribution is 0 / 0; HC2/HC3 then leave it out (its
            # score is 0 at the MLE)
            with np.errstate(divide="ignore", invalid="ignore"):
                f = np.where(one_minus > 0,
                             w / one_minus ** (1 if cov_type == "HC2" else 2), 0.0)
        meat = (S * f[:, None]).T @ S
        if cov_type == "HC1":
            if n_tot <= k:
                raise ValueError(f"cov_type='HC1' needs more observations ({n_tot:g}) than "
                                 f"parameters ({k})")
            meat *= n_tot / (n_tot - k)
    cov = bread @ meat @ bread
    return 0.5 * (cov + cov.T)


def _check_leverages(one_minus, w, S, n_tot, k, cov_type):
    """Frequency weights: ``h_i`` is the leverage of one copy of row i, at most 1 for
    weights that count rows. Weights below 1 can push it past 1 (every weight 1e-8:
    ``h_i ~ 1e8 k / n``), where ``1 / (1 - h_i)`` is not defined; those rows were left
    out silently (standard errors 0). Rounding (an exactly fitted row, h = 1) is not
    refused: its score is 0."""
    over = (one_minus < -1e-8) & (w > 0) & np.any(S != 0, axis=1)
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise ValueError(
            f"cov_type={cov_type!r} reads sample_weight as frequency weights (counts of "
            f"repeated rows): row {i} (weight {w[i]:.3g}) has a leverage per unit weight of "
            f"{1.0 - one_minus[i]:.3g} > 1 (total weight {n_tot:.3g} for {k} parameters), "
            f"so the {cov_type} correction 1 / (1 - h) is not defined. Use weights that "
            "count rows, or cov_type='HC0'")


def n_clusters(groups, weights):
    """Number of clusters with positive weight."""
    return int(np.count_nonzero(np.bincount(groups, weights=weights) > 0))


def block_adjusted_scores(resid, design, hess_blocks, bread, cov_type):
    """Per-row scores ``(M_i r_i) (x) a_i`` adjusted for the leverage blocks (HC2/HC3).

    Parameters
    ----------
    resid : ndarray of shape (n, m)
        Each row's score in its ``m`` linear predictors (``y_i - p_i``).
    design : ndarray of shape (n, p)
        The rows ``a_i`` of the design (the same for every predictor).
    hess_blocks : ndarray of shape (n, m, m)
        Each row's Hessian weight block ``V_i`` (positive definite).
    bread : ndarray of shape (m * p, m * p)
        The model-based covariance, predictor-major (``theta.ravel()`` of ``(m, p)``).
    cov_type : {"HC2", "HC3"}

    Returns
    -------
    ndarray of shape (n, m * p)
        ``M_i = V_i^(1/2) (I - H_i)^(-1/2) V_i^(-1/2)`` (HC2) or ``(I - V_i C_i)^(-1)``
        (HC3, equal to ``V^(1/2) (I - H)^(-1) V^(-1/2)``), ``C_i = X_i B X_i^T``. A row
        whose leverage block has an eigenvalue of 1 (fitted exactly by its own
        parameters) has no residual information and is left out (its score is 0 at
        the MLE), as in the scalar case.

    Examples
    --------
    With one predictor the adjustment is the scalar one, ``s_i / (1 - h_i)``:

    >>> import numpy as np
    >>> A = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    >>> v = np.array([0.2, 0.25, 0.2, 0.15])
    >>> r = np.array([[0.3], [-0.4], [0.5], [-0.2]])
    >>> B = np.linalg.inv((A.T * v) @ A)
    >>> h = v * np.einsum("ij,jk,ik->i", A, B, A)
    >>> S = block_adjusted_scores(r, A, v[:, None, None], B, "HC3")
    >>> bool(np.allclose(S, A * (r / (1 - h[:, None]))))
    True
    """
    R = np.asarray(resid, dtype=float)
    A = np.asarray(design, dtype=float)
    V = np.asarray(hess_blocks, dtype=float)
    n, m = R.shape
    p = A.shape[1]
    Bb = np.asarray(bread, dtype=float).reshape(m, p, m, p)
    # C_i[k, l] = a_i' B_kl a_i, all rows at once
    C = np.einsum("ia,kalb,ib->ikl", A, Bb, A)
    # symmetric square root of each V_i (m is small: batched eigendecompositions)
    lam, Q = np.linalg.eigh(V)
    lam = np.clip(lam, 0.0, None)
    root = np.einsum("ikj,ij,ilj->ikl", Q, np.sqrt(lam), Q)
    H = root @ C @ root
    H = 0.5 * (H + np.swapaxes(H, 1, 2))
    mu, U = np.linalg.eigh(H)
    one_minus = 1.0 - mu
    ok = np.all(one_minus > 1e-12, axis=1)
    power = 0.5 if cov_type == "HC2" else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(ok[:, None], np.abs(one_minus) ** -power, 0.0)
        inv_root = np.where(lam > 0, 1.0 / np.sqrt(lam), 0.0)
    middle = np.einsum("ikj,ij,ilj->ikl", U, f, U)  # (I - H)^(-power)
    root_inv = np.einsum("ikj,ij,ilj->ikl", Q, inv_root, Q)
    M = root @ middle @ root_inv
    adj = np.einsum("ikl,il->ik", M, R)
    return (adj[:, :, None] * A[:, None, :]).reshape(n, m * p)
