"""Domain rules: one error type, one message format, for every family.

A family states each rule of its domain once (``"Poisson counts must be non-negative
integers"``). When data break it, the family raises :class:`DomainError` with the
first offending column, row and value; the estimator that called it adds its own name
and the column's name (``feature_names_in_``) through :meth:`DomainError.message`, so
every estimator words these errors the same way, e.g.::

    PoissonMLE: column 'visits' has value -1.0 at row 3; Negative values in data:
    Poisson counts must be non-negative integers
"""

from __future__ import annotations

import numpy as np

__all__ = ["DomainError", "NONFINITE", "check_rule", "raise_first"]

# the rule name of NaN/inf: estimators turn it into scikit-learn's own message
NONFINITE = "Input contains NaN or infinity"


class DomainError(ValueError):
    """Data outside a family's domain: ``column``, ``row``, ``value`` and ``rule``.

    A ``ValueError``, so callers that do not rename it still get a clear message.
    """

    def __init__(self, rule: str, column: int | None = None, row: int | None = None,
                 value=None):
        self.rule, self.column, self.row, self.value = rule, column, row, value
        super().__init__(self.message())

    def message(self, owner: str | None = None, column_name: str | None = None) -> str:
        """The full message, with the estimator's name and the column's name."""
        head = f"{owner}: " if owner else ""
        if self.column is None:
            return f"{head}{self.rule}"
        col = column_name or f"column {self.column}"
        value = self.value
        try:
            value = float(value)
        except (TypeError, ValueError):
            pass
        return f"{head}{col} has value {value!r} at row {self.row}; {self.rule}"


def raise_first(X, mask, rule: str) -> None:
    """Raise :class:`DomainError` at the first column (then row) where ``mask`` is True."""
    mask = np.asarray(mask)
    if mask.ndim == 1:
        mask = mask[:, None]
    bad_cols = np.flatnonzero(mask.any(axis=0))
    if bad_cols.size:
        j = int(bad_cols[0])
        i = int(np.flatnonzero(mask[:, j])[0])
        value = X[i, j] if np.ndim(X) == 2 else X[i]
        raise DomainError(rule, column=j, row=i, value=value)


def check_rule(X, violates, rule: str) -> None:
    """``raise_first(X, violates(X), rule)`` with NumPy's invalid-value warnings off."""
    with np.errstate(invalid="ignore"):
        mask = violates(X)
    raise_first(X, mask, rule)
