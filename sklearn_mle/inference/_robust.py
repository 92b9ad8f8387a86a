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
``cov_type="HC1"``, ``"HC2"`` and ``"HC3"`` all return HC0.
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


def n_clusters(groups, weights):
    """Number of clusters with positive weight."""
    return int(np.count_nonzero(np.bincount(groups, weights=weights) > 0))
