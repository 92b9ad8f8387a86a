"""Covariance of the estimates from the observed information, without explicit inverses.

An information matrix may be given in units of the parameters' own scales
(:class:`ScaledInformation`): ``J = diag(s) I diag(s)``, whose entries are of the order
of the number of observations where those of ``I`` leave float64 (a geometric ``p``
near 1e-300 has ``I ~ n / p**2``; a variance near 1e300 has ``I ~ n / variance**2``).
The covariance is then ``diag(s) J^-1 diag(s)`` and each standard error
``s_i sqrt((J^-1)_ii)`` (the delta method from the log or standardised scale): it
stays exact wherever the standard error itself is a float64 number, even where its
square, the variance, is not.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
from scipy import linalg

from ..exceptions import InferenceWarning

_TINY = np.finfo(float).tiny


class ScaledInformation(NamedTuple):
    """An observed information matrix in units of the parameters' scales.

    ``matrix`` is ``J = diag(scale) I diag(scale)`` for the information ``I`` of the
    parameters, i.e. the information of ``theta / scale`` (for ``scale = theta``,
    that of ``log theta``); ``scale`` holds positive finite numbers.
    """

    matrix: np.ndarray
    scale: np.ndarray


def cov_from_information(information, names=None):
    """Inverse of a symmetric positive-definite information matrix via Cholesky.

    When the matrix is not positive definite (a boundary estimate, an aliased
    parameter), the parameters it does not identify get infinite variance and an
    :class:`InferenceWarning` names them, instead of a bare ``LinAlgError`` or NaN.

    Parameters
    ----------
    information : ndarray of shape (k, k) or ScaledInformation
        The observed information (negative Hessian of the log-likelihood), or its
        scaled form.
    names : list of str, optional
        Parameter names, for the warnings.

    Returns
    -------
    ndarray of shape (k, k)

    Examples
    --------
    >>> import numpy as np
    >>> cov_from_information(np.array([[4.0, 0.0], [0.0, 0.25]])).tolist()
    [[0.25, 0.0], [0.0, 4.0]]
    """
    return cov_and_se_from_information(information, names, stacklevel=4)[0]


def cov_and_se_from_information(information, names=None, *, stacklevel=3):
    """The covariance and the standard errors of the estimates, ``(cov, se)``.

    ``se`` is computed from the (scaled) information directly, not as the square
    root of ``cov``'s diagonal: a standard error of 1e-301 is exact although its
    variance underflows float64 (as one of 1e160 whose variance overflows). An
    :class:`InferenceWarning` says where ``cov`` cannot hold a variance.

    Parameters
    ----------
    information : ndarray of shape (k, k) or ScaledInformation
    names : list of str, optional

    Returns
    -------
    cov : ndarray of shape (k, k)
    se : ndarray of shape (k,)

    Examples
    --------
    A geometric ``p`` near 1e-300 from 4 observations: ``J = n / (1 - p)`` on the log
    scale, so ``SE(p) = p sqrt((1 - p) / n)`` (its variance, 2.5e-601, underflows).

    >>> import warnings
    >>> p = 1e-300
    >>> info = ScaledInformation(np.array([[4.0]]), np.array([p]))
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     cov, se = cov_and_se_from_information(info, ["p"])
    >>> float(se[0]), float(cov[0, 0])
    (5e-301, 0.0)
    """
    if isinstance(information, ScaledInformation):
        info = np.atleast_2d(np.asarray(information.matrix, dtype=float))
        scale = np.asarray(information.scale, dtype=float).reshape(-1)
    else:
        info = np.atleast_2d(np.asarray(information, dtype=float))
        scale = np.ones(info.shape[0])
    k = info.shape[0]
    if k == 0:
        return np.zeros((0, 0)), np.zeros(0)
    info = 0.5 * info + 0.5 * info.T  # (info + info.T) / 2 overflows near 1.8e308
    diag = np.diag(info)
    overflowed = np.isposinf(diag)
    if overflowed.any():
        return _overflowed_information(info, scale, overflowed, names, stacklevel + 1)
    if np.all(np.isfinite(info)) and np.all(diag > 0):
        # Equilibrate first (unit diagonal), so parameters on very different scales
        # (1e-8 next to 1e8) are judged by their correlation structure, not magnitude.
        sc = scale / np.sqrt(diag)
        corr = (info / np.sqrt(diag)[:, None]) / np.sqrt(diag)[None, :]
        try:
            c, low = linalg.cho_factor(corr, lower=True, check_finite=False)
            if np.all(np.diag(c) > 1e-7):  # condition number of corr below ~1e14
                inv = linalg.cho_solve((c, low), np.eye(k), check_finite=False)
                return _finish(inv, sc, np.zeros(k, bool), names, stacklevel + 1)
        except linalg.LinAlgError:
            pass
    return _singular(info, scale, names, stacklevel + 1)


def _singular(info, scale, names, stacklevel):
    """Not positive definite: invert on the identified subspace, inf elsewhere."""
    k = info.shape[0]
    finite = np.all(np.isfinite(info), axis=1) & np.all(np.isfinite(info), axis=0)
    inv = np.zeros((k, k))
    sc = np.ones(k)
    bad = ~finite
    if finite.any():
        sub = info[np.ix_(finite, finite)]
        sd = np.sqrt(np.abs(np.diag(sub)))
        unit = np.where(sd > 0, 1.0 / np.where(sd > 0, sd, 1.0), 1.0)
        # row then column scaling: outer(unit, unit) overflows for a diagonal near 1e-310
        vals, vecs = linalg.eigh((sub * unit[:, None]) * unit[None, :])
        tol = max(vals.max(initial=0.0), 0.0) * k * 1e-12
        good = vals > tol
        # a parameter loading on a null direction is not identified
        null_load = (vecs[:, ~good] ** 2).sum(axis=1) if (~good).any() else np.zeros(len(sub))
        idx = np.flatnonzero(finite)
        inv[np.ix_(idx, idx)] = (vecs[:, good] / vals[good]) @ vecs[:, good].T
        sc[idx] = scale[idx] * unit
        bad[idx[null_load > 1e-8]] = True
    cov, se = _finish(inv, sc, bad, names, stacklevel + 1)
    which = _names(names, bad)
    warnings.warn(
        "The observed information matrix is singular, so standard errors are not defined "
        f"for: {which}. The estimate lies on the boundary of the parameter space or the "
        "parameter is not identified; a prior (prior=...) regularises it.",
        InferenceWarning,
        stacklevel=stacklevel,
    )
    return cov, se


def _finish(inv, sc, bad, names, stacklevel):
    """``cov = diag(sc) inv diag(sc)`` and ``se = sc sqrt(diag(inv))``, with the
    parameters in ``bad`` given inf variance and NaN covariances."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        # row then column scaling: the outer product of the scales can overflow
        # (1/sqrt(1e-300) squared) where each scaled entry does not
        cov = (inv * sc[:, None]) * sc[None, :]
        se = sc * np.sqrt(np.clip(np.diag(inv), 0.0, None))
    for i in np.flatnonzero(bad):
        cov[i, :] = np.nan
        cov[:, i] = np.nan
        cov[i, i] = np.inf
        se[i] = np.inf
    warn_unrepresentable_variances(np.diag(cov), se, bad, names, stacklevel + 1)
    return cov, se


def _names(names, mask):
    return ", ".join(str(names[i]) if names is not None else str(i)
                     for i in np.flatnonzero(mask))


def warn_unrepresentable_variances(var, se, bad, names, stacklevel):
    """An InferenceWarning in words where a variance leaves float64 but its standard
    error does not (an information below ~1e-308 or above ~1e308 from tiny weights
    or data of extreme magnitude): ``cov_params_`` holds inf or 0 there, the standard
    errors (``bse_``), Wald intervals and the summary the exact value."""
    over = np.isposinf(var) & ~bad
    under = (var < _TINY) & (se > 0) & np.isfinite(se) & ~bad
    if over.any():
        lost = over & ~np.isfinite(se)
        which = _names(names, over)
        tail = ("its standard error is reported as inf. Rescale the data or the weights "
                "for a finite one." if lost.all() else
                "it is reported as inf in cov_params_; the standard error (bse_), the "
                "Wald intervals and the summary hold its exact value.")
        warnings.warn(
            f"The variance of {which} exceeds the float64 range (tiny weights, or data "
            f"of extreme magnitude), so {tail}",
            InferenceWarning,
            stacklevel=stacklevel,
        )
    if under.any():
        warnings.warn(
            f"The variance of {_names(names, under)} is below the float64 range (its "
            "standard error is under 1.5e-154: data of extreme magnitude), so "
            "cov_params_ holds 0 (or a denormal) for it; the standard error (bse_), the "
            "Wald intervals and the summary hold its exact value. Functions of the "
            "parameters (delta_method, wald_test) need rescaled data.",
            InferenceWarning,
            stacklevel=stacklevel,
        )


def _overflowed_information(info, scale, overflowed, names, stacklevel):
    """The (scaled) information of some parameters overflowed float64: their standard
    error is below ``scale / 1.3e154``, a precision float64 cannot resolve from the
    curvature. It is reported as 0, and the others' covariance comes from the
    remaining block."""
    k = info.shape[0]
    cov = np.zeros((k, k))
    se = np.zeros(k)
    rest = ~overflowed
    if rest.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InferenceWarning)
            sub, sub_se = cov_and_se_from_information(
                ScaledInformation(info[np.ix_(rest, rest)], scale[rest]))
        cov[np.ix_(rest, rest)] = sub
        se[rest] = sub_se
    which = _names(names, overflowed)
    warnings.warn(
        f"The observed information of {which} overflows float64 (the log-likelihood's "
        "curvature exceeds 1.8e308 even on the parameter's own scale): the standard "
        "error is below a 1e-154 fraction of the estimate's scale, beyond what float64 "
        "resolves, and is reported as 0. Rescale the data (e.g. divide by a power of "
        "ten) for meaningful standard errors.",
        InferenceWarning,
        stacklevel=stacklevel,
    )
    return cov, se


def num_rows(X):
    """Number of rows of an array-like (``shape[0]``, else ``len``)."""
    if hasattr(X, "shape"):
        return X.shape[0]
    return len(X)
