"""Covariance of the estimates from the observed information, without explicit inverses."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg

from ..exceptions import InferenceWarning


def cov_from_information(information, names=None):
    """Inverse of a symmetric positive-definite information matrix via Cholesky.

    When the matrix is not positive definite (a boundary estimate, an aliased
    parameter), the parameters it does not identify get infinite variance and an
    :class:`InferenceWarning` names them, instead of a bare ``LinAlgError`` or NaN.
    """
    info = np.atleast_2d(np.asarray(information, dtype=float))
    k = info.shape[0]
    if k == 0:
        return np.zeros((0, 0))
    info = 0.5 * (info + info.T)
    diag = np.diag(info)
    overflowed = np.isposinf(diag)
    if overflowed.any():
        return _overflowed_information(info, overflowed, names)
    if np.all(np.isfinite(info)) and np.all(diag > 0):
        # Equilibrate first (unit diagonal), so parameters on very different scales
        # (1e-8 next to 1e8) are judged by their correlation structure, not magnitude.
        scale = 1.0 / np.sqrt(diag)
        # row then column scaling: the outer product of the scales can overflow
        # (1/sqrt(1e-300) squared) where each scaled entry does not
        corr = (info * scale[:, None]) * scale[None, :]
        try:
            c, low = linalg.cho_factor(corr, lower=True, check_finite=False)
            if np.all(np.diag(c) > 1e-7):  # condition number of corr below ~1e14
                inv = linalg.cho_solve((c, low), np.eye(k), check_finite=False)
                with np.errstate(over="ignore", invalid="ignore"):
                    cov = (inv * scale[:, None]) * scale[None, :]
                _warn_if_overflowed(cov, names)
                return cov
        except linalg.LinAlgError:
            pass
    # Not positive definite: invert on the identified subspace, inf elsewhere.
    finite = np.all(np.isfinite(info), axis=1) & np.all(np.isfinite(info), axis=0)
    cov = np.full((k, k), np.nan)
    bad = ~finite
    if finite.any():
        sub = info[np.ix_(finite, finite)]
        sd = np.sqrt(np.abs(np.diag(sub)))
        sc = np.where(sd > 0, 1.0 / np.where(sd > 0, sd, 1.0), 1.0)
        # row then column scaling: outer(sc, sc) overflows for a diagonal near 1e-310
        vals, vecs = linalg.eigh((sub * sc[:, None]) * sc[None, :])
        tol = max(vals.max(initial=0.0), 0.0) * k * 1e-12
        good = vals > tol
        with np.errstate(over="ignore", invalid="ignore"):
            sub_cov = (((vecs[:, good] / vals[good]) @ vecs[:, good].T) * sc[:, None]
                       ) * sc[None, :]
        # a parameter loading on a null direction is not identified
        null_load = (vecs[:, ~good] ** 2).sum(axis=1) if (~good).any() else np.zeros(len(sub))
        idx = np.flatnonzero(finite)
        cov[np.ix_(idx, idx)] = sub_cov
        bad[idx[null_load > 1e-8]] = True
    for i in np.flatnonzero(bad):
        cov[i, :] = np.nan
        cov[:, i] = np.nan
        cov[i, i] = np.inf
    if names is not None:
        which = ", ".join(str(names[i]) for i in np.flatnonzero(bad))
    else:
        which = ", ".join(str(i) for i in np.flatnonzero(bad))
    warnings.warn(
        "The observed information matrix is singular, so standard errors are not defined "
        f"for: {which}. The estimate lies on the boundary of the parameter space or the "
        "parameter is not identified; a prior (prior=...) regularises it.",
        InferenceWarning,
        stacklevel=3,
    )
    return cov


def _warn_if_overflowed(cov, names):
    """An InferenceWarning in words where a variance exceeds float64 (an information
    below ~1e-308: tiny weights, or data near 1e300): the variance is inf, the
    standard error (its square root) would not be, but cov_params_ cannot hold it."""
    over = np.isposinf(np.diag(cov))
    if over.any():
        which = ", ".join(str(names[i]) if names is not None else str(i)
                          for i in np.flatnonzero(over))
        warnings.warn(
            f"The variance of {which} exceeds the float64 range (its information is "
            "below ~1e-308: tiny weights, or data of extreme magnitude), so it is "
            "reported as inf. Rescale the data or the weights for a finite one.",
            InferenceWarning,
            stacklevel=4,
        )


def _overflowed_information(info, overflowed, names):
    """The information of some parameters overflowed float64 (data near 1e300, or
    counts so large that the curvature is beyond range): those parameters are
    determined far beyond float64 precision, which is not a boundary. Their variance
    is 0 and the others' covariance comes from the remaining block."""
    k = info.shape[0]
    cov = np.zeros((k, k))
    rest = ~overflowed
    if rest.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InferenceWarning)
            sub = cov_from_information(info[np.ix_(rest, rest)])
        cov[np.ix_(rest, rest)] = sub
    which = ", ".join(str(names[i]) if names is not None else str(i)
                      for i in np.flatnonzero(overflowed))
    warnings.warn(
        f"The observed information of {which} overflows float64 (the data's magnitude "
        "makes the log-likelihood's curvature exceed 1.8e308): the estimate is determined "
        "far beyond float64 precision and its standard error is reported as 0. Rescale "
        "the data (e.g. divide by a power of ten) for meaningful standard errors.",
        InferenceWarning,
        stacklevel=3,
    )
    return cov


def num_rows(X):
    """Number of rows of an array-like (``shape[0]``, else ``len``)."""
    if hasattr(X, "shape"):
        return X.shape[0]
    return len(X)
