"""What every public estimator must do on any input (issue 9), as checkable functions.

- A fit, score or prediction either returns a result or raises ``ValueError``,
  ``TypeError`` or ``NotFittedError`` *raised by the package* (or by scikit-learn's
  validation it calls): never a bare ``LinAlgError``, ``IndexError``,
  ``ZeroDivisionError``, ``OverflowError``, nor an error raised inside NumPy/SciPy.
- No NaN or infinity in a fitted attribute, a score or a prediction unless the fit
  emitted one of the package's warnings (the classes of :mod:`sklearn_mle.exceptions`).
"""

from __future__ import annotations

import os
import pickle
import traceback
import warnings

import numpy as np
from sklearn.exceptions import NotFittedError

import sklearn_mle
from sklearn_mle import exceptions as _exc

# every warning class of the package (scikit-learn's ConvergenceWarning and
# FitFailedWarning, which GridSearchIC emits for a candidate it cannot rank, included)
PACKAGE_WARNINGS = tuple(getattr(_exc, name) for name in _exc.__all__)
ALLOWED_ERRORS = (ValueError, TypeError, NotFittedError)
# errors that are ValueError subclasses but name an internal failure, not a rule
BARE_ERRORS = (np.linalg.LinAlgError, FloatingPointError)
_PKG_DIR = os.path.dirname(sklearn_mle.__file__)
_SKLEARN_DIR = os.path.dirname(__import__("sklearn").__file__)


class Outcome:
    """What a call did: ``value`` or ``error``, and the warnings it emitted."""

    def __init__(self, value=None, error=None, caught=()):
        self.value, self.error, self.caught = value, error, list(caught)

    @property
    def warned(self) -> bool:
        return any(issubclass(w.category, PACKAGE_WARNINGS) for w in self.caught)

    def describe(self) -> str:
        cats = sorted({w.category.__name__ for w in self.caught})
        if self.error is not None:
            tb = "".join(traceback.format_exception(self.error)[-6:])
            return f"raised {type(self.error).__name__}: {self.error}\n{tb}(warnings {cats})"
        return f"returned (warnings {cats})"


def call(fn, *args, **kwargs) -> Outcome:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - judged by check_clean_error
            return Outcome(error=err, caught=caught)
    return Outcome(value=value, caught=caught)


def _raised_in(err) -> str:
    tb = err.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return last or ""


def check_clean_error(out: Outcome, what: str) -> None:
    """The call returned, or raised an allowed type from the package's own code."""
    err = out.error
    if err is None:
        return
    where = _raised_in(err)
    ok_type = isinstance(err, ALLOWED_ERRORS) and not isinstance(err, BARE_ERRORS)
    ok_origin = where.startswith(_PKG_DIR) or where.startswith(_SKLEARN_DIR)
    assert ok_type and ok_origin, (
        f"{what}: not a clean error (raised in {where})\n{out.describe()}"
    )
    assert str(err).strip(), f"{what}: an error without a message\n{out.describe()}"


def _numbers(value):
    """Float arrays inside a fitted attribute (arrays, floats, dicts/lists of them)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _numbers(v)
    elif isinstance(value, (float, np.floating)):
        yield np.asarray(value)
    elif isinstance(value, np.ndarray) and value.dtype.kind in "fc":
        yield value


# fitted attributes where NaN is a documented value, not a failure
NAN_BY_DESIGN = {"fixed_params_"}  # NaN marks a free parameter


def _by_design(name, value):
    """Documented non-finite values taken out of ``value``: a search's AICc is +inf
    where a candidate has ``n <= k + 1`` (undefined, by definition)."""
    if name == "results_" and isinstance(value, dict) and "aicc" in value:
        value = dict(value)
        undefined = value["nobs"] <= value["n_params"] + 1
        value["aicc"] = np.where(undefined & np.isposinf(value["aicc"]), 0.0, value["aicc"])
    return value


def nonfinite_attributes(est) -> list[str]:
    bad = []
    for name, value in vars(est).items():
        if not name.endswith("_") or name.startswith("_") or name in NAN_BY_DESIGN:
            continue
        value = _by_design(name, value)
        for arr in _numbers(value):
            if not np.all(np.isfinite(arr)):
                bad.append(name)
                break
    return bad


def check_no_silent_nonfinite(fit_out: Outcome, est, extra: dict, what: str) -> None:
    """No NaN/inf in fitted attributes or in ``extra`` (name -> array) without a
    package warning from the fit (or from the call that computed ``extra``)."""
    if fit_out.warned:
        return
    bad = nonfinite_attributes(est)
    bad += [name for name, arr in extra.items()
            if arr is not None and not np.all(np.isfinite(np.asarray(arr, dtype=float)))]
    assert not bad, f"{what}: NaN/inf without a package warning in {bad} ({fit_out.describe()})"


def pickled(est):
    return pickle.loads(pickle.dumps(est))


def estimates(est) -> np.ndarray:
    """The flat estimate vector (of a search's best estimator)."""
    return np.asarray(getattr(est, "best_estimator_", est).estimates_, dtype=float)
