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
    # name -> Hyper: the rules the constructor checks (validate_hyper)
    hyper_constraints: dict = {}

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


class Hyper:
    """The rule of one hyper-parameter, checked when a prior is constructed.

    Parameters
    ----------
    sign : {"positive", "nonnegative", "real"}
        What the values must be (all finite).
    shape : {"scalar", "vector", "matrix"}
        One number; a number or a non-empty 1-D array (one value per column or
        category); a square 2-D array.
    optional : bool
        None is allowed (a default resolved from the data).
    """

    _SIGN = {"positive": "finite and > 0", "nonnegative": "finite and >= 0",
             "real": "finite real"}
    _SHAPE = {"scalar": "one number", "vector": "a number or a non-empty 1-D array",
              "matrix": "a square matrix"}

    def __init__(self, sign="positive", shape="scalar", optional=False):
        self.sign, self.shape, self.optional = sign, shape, optional

    def describe(self) -> str:
        none = "None or " if self.optional else ""
        return f"{none}{self._SIGN[self.sign]} ({self._SHAPE[self.shape]})"

    def check(self, prior: str, name: str, value):
        """``value`` if it follows the rule; else a ValueError naming the prior, the
        hyper-parameter, the rule and the value."""
        if value is None and self.optional:
            return None
        arr = None
        if value is not None and not isinstance(value, (str, bytes, bool, np.bool_)):
            try:
                arr = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                arr = None
        ok = arr is not None and arr.size > 0 and bool(np.all(np.isfinite(arr)))
        if ok and self.shape == "scalar":
            ok = arr.ndim == 0
        elif ok and self.shape == "vector":
            ok = arr.ndim <= 1
        elif ok:
            ok = arr.ndim == 2 and arr.shape[0] == arr.shape[1]
        if ok and self.sign == "positive":
            ok = bool(np.all(arr > 0))
        elif ok and self.sign == "nonnegative":
            ok = bool(np.all(arr >= 0))
        if not ok:
            raise ValueError(f"{prior}: hyper-parameter {name} must be {self.describe()}, "
                             f"got {value!r}")
        return value


def validate_hyper(prior) -> None:
    """Check every hyper-parameter of ``prior`` against its class's ``hyper_constraints``
    (``name -> Hyper``): what the constructors call, so a bad value fails where it is
    written, not later inside ``fit``."""
    for name, rule in type(prior).hyper_constraints.items():
        rule.check(type(prior).__name__, name, getattr(prior, name))


def check_prior(prior, param: str, owner: str) -> None:
    """Re-check ``prior``'s hyper-parameters (set after construction, e.g. by
    ``set_params`` on the prior) for the estimator ``owner``'s parameter ``param``:
    the ValueError names both, e.g. ``"GaussianMLE: prior=Beta(a=nan, b=1.0): ..."``."""
    if prior is None or not isinstance(prior, Prior):
        return
    try:
        validate_hyper(prior)
    except ValueError as err:
        raise ValueError(f"{owner}: {param}={prior!r}: {err}") from None


def check_positive(name, value, prior):
    """One positive finite number or an array of them (``Hyper("positive", "vector")``
    for callers outside the constructors)."""
    return Hyper("positive", "vector").check(prior, name, value)
