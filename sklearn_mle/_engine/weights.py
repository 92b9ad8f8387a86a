"""The one sample-weight validator of the package."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import _check_sample_weight

__all__ = ["check_sample_weight"]


def check_sample_weight(sample_weight, X, *, dtype=np.float64, ones: bool = False,
                        owner: str | None = None):
    """Validated sample weights: one finite, non-negative value per row, not all zero.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
    X : array of shape (n_samples, ...)
        The data the weights belong to (their count must match its rows).
    dtype : dtype, default=np.float64
    ones : bool, default=False
        What None gives: False, None (callers read it as unit weights); True, a
        read-only broadcast view of ones (costs no memory).
    owner : str or None
        The estimator's name, for the error messages.

    Returns
    -------
    ndarray of shape (n_samples,) or None

    Raises
    ------
    ValueError
        Naming the rule: wrong length or shape, NaN or inf, a negative weight, or
        weights that sum to zero.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle._engine import check_sample_weight
    >>> check_sample_weight([1, 2], np.zeros((2, 1))).tolist()
    [1.0, 2.0]
    >>> check_sample_weight([1, -2], np.zeros((2, 1)))
    Traceback (most recent call last):
    ...
    ValueError: sample_weight must be non-negative: row 1 has weight -2.0
    """
    n = X.shape[0]
    if sample_weight is None:
        return np.broadcast_to(np.asarray(1.0, dtype=dtype), (n,)) if ones else None
    prefix = f"{owner}: " if owner else ""
    w = _check_sample_weight(sample_weight, X, dtype=dtype, ensure_non_negative=False)
    finite = np.isfinite(w)
    if not finite.all():
        i = int(np.flatnonzero(~finite)[0])
        raise ValueError(f"{prefix}sample_weight must be finite: row {i} has weight {w[i]!r}")
    negative = w < 0
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        raise ValueError(
            f"{prefix}sample_weight must be non-negative: row {i} has weight {float(w[i])!r}"
        )
    total = float(np.sum(w, dtype=np.float64))
    if n and not total > 0:
        raise ValueError(f"{prefix}sample_weight: the weights sum to zero; at least one row "
                         "needs a positive weight")
    if not np.isfinite(total):
        raise ValueError(f"{prefix}sample_weight: the weights sum to {total!r}; rescale them "
                         "(only their ratios matter for the estimates)")
    return w
