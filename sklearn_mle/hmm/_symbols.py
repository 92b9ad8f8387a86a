"""Text symbols for Categorical emissions: validated as CategoricalMLE takes them.

An HMM over symbols ("a", "b", "c"; words; DNA letters) needs no encoding, as
:class:`~sklearn_mle.CategoricalMLE` needs none: the Categorical family's categories
are then strings, and its statistics, log-probabilities and draws work on the symbols
themselves. Rows stay an object array whose columns each hold all strings or all
finite numbers.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

__all__ = ["symbol_codes", "symbol_rows"]


def symbol_rows(X) -> np.ndarray:
    """``X`` as an object array of symbols, or float64 when every value is a number.

    Raises a ValueError naming the column and row of a missing value (None, NaN, inf)
    or of a column mixing numbers and text, and a TypeError for other objects.

    Examples
    --------
    >>> from sklearn_mle.hmm._symbols import symbol_rows
    >>> symbol_rows([["a"], ["b"]]).dtype
    dtype('O')
    >>> symbol_rows([["1"], ["b"]])[:, 0].tolist()
    ['1', 'b']
    """
    X = np.asarray(X).astype(object)
    if X.ndim != 2:
        raise ValueError(f"symbols must be a 2-d array, got {X.ndim} dimension(s)")
    numeric = []
    for j in range(X.shape[1]):
        col = X[:, j]
        is_str = np.fromiter((isinstance(v, str) for v in col), bool, col.size)
        is_num = np.fromiter((isinstance(v, Real) and not isinstance(v, bool)
                              for v in col), bool, col.size)
        finite = np.ones(col.size, dtype=bool)
        finite[is_num] = np.isfinite(col[is_num].astype(np.float64))
        bad = np.flatnonzero(~(is_str | is_num) | ~finite)
        if bad.size:
            i = int(bad[0])
            v = col[i]
            if v is None or not finite[i]:
                raise ValueError(
                    f"HiddenMarkovModel: column {j} has a missing or infinite value ({v!r}) "
                    f"at row {i}; symbols must be strings or finite numbers")
            raise TypeError(
                f"HiddenMarkovModel: column {j} has a {type(v).__name__} at row {i}; "
                "argument must be a string or a real number (the symbols of a column)")
        if is_str.any() and is_num.any():
            i = int(np.flatnonzero(is_num)[0] if is_str[0] else np.flatnonzero(is_str)[0])
            raise ValueError(
                f"HiddenMarkovModel: column {j} mixes numbers and text (row {i}); the "
                "symbols of one column must be all strings or all numbers")
        if is_num.all():
            numeric.append(j)
    if len(numeric) == X.shape[1]:
        return X.astype(np.float64)
    for j in numeric:
        X[:, j] = X[:, j].astype(np.float64)
    return X


def symbol_codes(X) -> np.ndarray:
    """Each value's position among its column's sorted distinct values, as float64
    (what an initialisation by k-means reads instead of text).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.hmm._symbols import symbol_codes
    >>> symbol_codes(np.array([["b"], ["a"], ["c"], ["b"]], dtype=object))[:, 0].tolist()
    [1.0, 0.0, 2.0, 1.0]
    """
    out = np.empty(X.shape, dtype=np.float64)
    for j in range(X.shape[1]):
        out[:, j] = np.unique(X[:, j], return_inverse=True)[1].ravel()
    return out
