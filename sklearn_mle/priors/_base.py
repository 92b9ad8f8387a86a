"""Base class of the priors: hyper-parameters stored, log-density and its derivatives."""

from __future__ import annotations

import numpy as np


class Prior:
    """A prior distribution for MAP estimation.

    A prior is an immutable description: its hyper-parameters are set in the
    constructor and never changed by fitting. Elementwise priors (one independent
    prior per scalar parameter) implement ``logpdf``, ``grad`` and ``neg_hess``;
    estimators add them to the log-likelihood, its gradient and the observed
    information. Conjugate priors are also read directly by the distribution
    estimators, which add their pseudo-statistics to the data's.
    """

    _hyper: tuple[str, ...] = ()

    def get_params(self, deep: bool = True) -> dict:
        """Hyper-parameters by name (so ``sklearn.base.clone`` can copy the prior)."""
        return {k: getattr(self, k) for k in self._hyper}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_short(getattr(self, k))}" for k in self._hyper)
        return f"{type(self).__name__}({args})"

    def __eq__(self, other) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return all(
            np.array_equal(np.asarray(getattr(self, k)), np.asarray(getattr(other, k)))
            for k in self._hyper
        )

    def __hash__(self):
        return hash((type(self).__name__, repr(self)))

    def pseudo_stats(self, family, n_features: int):
        """The prior as pseudo-statistics of ``family`` (conjugate priors only): MAP is
        then ``family.mode(stats + pseudo_stats)``."""
        raise ValueError(
            f"{type(self).__name__} is not a conjugate prior of the {family.name} family"
        )

    # elementwise interface (log-density up to nothing: normalising constants included)
    def logpdf(self, theta):
        raise NotImplementedError(f"{type(self).__name__} has no elementwise log-density")

    def grad(self, theta):
        raise NotImplementedError(f"{type(self).__name__} has no elementwise gradient")

    def neg_hess(self, theta):
        """Diagonal of the negative Hessian of ``logpdf`` (elementwise priors)."""
        raise NotImplementedError(f"{type(self).__name__} has no elementwise Hessian")


def _short(v):
    if isinstance(v, np.ndarray):
        return np.array2string(v, precision=4, threshold=6)
    return repr(v)


def check_positive(name, value, prior):
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{prior}: hyper-parameter {name} must be finite and > 0, got {value!r}")
    return value
