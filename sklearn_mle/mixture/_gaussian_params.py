"""Parameter helpers of GaussianMixture: moments of the data, MAP parameters under the
normal-inverse-Wishart prior, precision Cholesky factors and checks of the ``*_init``
arrays."""

from __future__ import annotations

import numpy as np
from scipy import linalg
from sklearn.utils import check_array

from .._engine.blocks import map_reduce

PRIOR_ADVICE = (
    "increase reg_covar, or use prior=sklearn_mle.priors.NormalInverseWishart() for a "
    "MAP fit that keeps every covariance positive-definite, or reduce n_components"
)


class PlanShape:
    """The few fields of a Plan that statistics from responsibilities need."""

    def __init__(self, k, shift, covariance_type):
        self.k, self.shift, self.covariance_type = k, shift, covariance_type


def column_mean_var(X, w):
    """Weighted column means and variances in float64, over the engine's row blocks
    (no full-size copy)."""
    n, d = X.shape
    total = float(n) if w is None else float(w.sum())

    def sums(xb, wb):
        xb = xb.astype(np.float64)
        return xb.sum(axis=0) if wb is None else wb @ xb

    mean = map_reduce(sums, X, w) / total

    def squares(xb, wb):
        zb = xb.astype(np.float64) - mean
        return np.einsum("ij,ij->j", zb, zb) if wb is None else wb @ (zb * zb)

    return mean, map_reduce(squares, X, w) / total


def map_params(stats, hyper, ct):
    """Posterior-mode means and covariances under the normal-inverse-Wishart prior."""
    kappa, mu0, nu, psi = hyper["shrinkage"], hyper["mean"], hyper["dof"], hyper["scale"]
    n = stats.N
    d = stats.mean.shape[1]
    means = (n[:, None] * stats.mean + kappa * mu0) / (n + kappa)[:, None]
    delta = stats.mean - mu0
    shrink = kappa * n / (kappa + n)
    if ct == "full":
        scat = stats.scatter + shrink[:, None, None] * delta[:, :, None] * delta[:, None, :]
        covs = (psi + scat) / (nu + n + d + 2.0)[:, None, None]
    elif ct == "tied":
        scat = stats.scatter + (delta * shrink[:, None]).T @ delta
        covs = (psi + scat) / (nu + n.sum() + d + 1.0 + n.size)
    elif ct == "diag":
        scat = stats.scatter + shrink[:, None] * delta**2
        covs = (np.diag(psi) + scat) / (nu + n + 3.0)[:, None]
    else:
        scat = stats.scatter + shrink * np.sum(delta**2, axis=1)
        covs = (np.trace(psi) / d + scat) / (nu + 2.0 + d + n * d)
    return means, covs


def precision_cholesky(covs, ct, dtype):
    """Upper-triangular factors ``U`` with ``U U' = covariance^-1``, by Cholesky solves."""
    covs = np.asarray(covs, dtype=np.float64)
    if ct in ("full", "tied"):
        stack = covs if ct == "full" else covs[None]
        d = stack.shape[1]
        try:
            # one batched call each (a LAPACK call per component costs more than the work
            # for small d); a failure is located per component for the message
            low = np.linalg.cholesky(stack)
        except np.linalg.LinAlgError:
            for j, c in enumerate(stack):
                try:
                    np.linalg.cholesky(c)
                except np.linalg.LinAlgError:
                    raise ValueError(
                        collapse_message(j if ct == "full" else None, dtype)) from None
            raise
        if not np.all(np.isfinite(low)):
            raise ValueError(collapse_message(None, dtype))
        eye = np.broadcast_to(np.eye(d), stack.shape)
        out = np.swapaxes(np.linalg.solve(low, eye), 1, 2)
        out = np.triu(out)  # exact zeros below the diagonal, as a triangular solve gives
        return (out if ct == "full" else out[0]).astype(dtype)
    bad = np.flatnonzero(~(covs > 0))
    if bad.size:
        raise ValueError(collapse_message(int(bad[0]), dtype))
    return (1.0 / np.sqrt(covs)).astype(dtype)


def collapse_message(j, dtype):
    who = "the shared covariance" if j is None else f"component {j}"
    msg = (
        f"GaussianMixture: {who} has an ill-defined empirical covariance (it is not "
        "positive-definite: a component collapsed onto a single point or a subspace, e.g. "
        "duplicate or singleton samples). To fix it, " + PRIOR_ADVICE + ", or scale the data."
    )
    if dtype == np.float32:
        msg += " float64 input is also more accurate than float32."
    return msg


def from_precisions(precisions, ct):
    """Precision Cholesky factors and covariances from user precisions (flipped Cholesky)."""
    p = np.asarray(precisions, dtype=np.float64)
    if ct in ("full", "tied"):
        stack = p if ct == "full" else p[None]
        d = stack.shape[1]
        pcs, covs = np.empty_like(stack), np.empty_like(stack)
        for j, prec in enumerate(stack):
            low = linalg.cholesky(prec[::-1, ::-1], lower=True)
            pcs[j] = low[::-1, ::-1]
            covs[j] = linalg.cho_solve((linalg.cholesky(prec, lower=True), True), np.eye(d))
        return (pcs, covs) if ct == "full" else (pcs[0], covs[0])
    return np.sqrt(p), 1.0 / p


def check_weights(weights, k):
    weights = check_array(weights, dtype=[np.float64, np.float32], ensure_2d=False)
    check_shape(weights, (k,), "weights_init")
    if np.any(weights < 0) or np.any(weights > 1):
        raise ValueError(
            "weights_init should be in the range [0, 1], but got max value "
            f"{weights.max():.5f}, min value {weights.min():.5f}"
        )
    atol = 1e-6 if weights.dtype == np.float32 else 1e-8
    if not np.allclose(float(np.abs(1.0 - weights.sum())), 0.0, atol=atol):
        raise ValueError(f"weights_init should be normalized, but got sum = {weights.sum():.5f}")
    return weights


def check_array_shape(arr, shape, name):
    arr = check_array(arr, dtype=[np.float64, np.float32], ensure_2d=False)
    check_shape(arr, shape, name)
    return arr


def check_shape(arr, shape, name):
    if arr.shape != shape:
        raise ValueError(f"The parameter '{name}' should have the shape of {shape}, "
                         f"but got {arr.shape}")


def check_precisions(precisions, ct, k, d):
    precisions = check_array(precisions, dtype=[np.float64, np.float32], ensure_2d=False,
                             allow_nd=ct == "full")
    shape = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[ct]
    check_shape(precisions, shape, "precisions_init")
    if ct in ("full", "tied"):
        for j, p in enumerate(precisions if ct == "full" else precisions[None]):
            if not (np.allclose(p, p.T) and np.all(linalg.eigvalsh(p) > 0)):
                raise ValueError(
                    f"precisions_init[{j}] ({ct}) should be symmetric, positive-definite"
                    if ct == "full" else "precisions_init (tied) should be symmetric, "
                    "positive-definite"
                )
    elif np.any(precisions <= 0):
        raise ValueError(f"precisions_init ({ct}) should be positive")
    return precisions
