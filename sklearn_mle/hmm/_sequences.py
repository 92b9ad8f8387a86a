"""Sequences of an HMM's rows: ``lengths`` (hmmlearn's convention) or ``sequence_ids``.

An HMM's rows are split into independent sequences. Two equivalent ways to say how:

``lengths``       the length of each sequence, in row order, summing to ``n_samples``
                  (hmmlearn's convention);
``sequence_ids``  one label per row; each run of consecutive equal labels is one
                  sequence. Being one value per row, it is split with the rows by
                  scikit-learn's cross-validation (``GroupKFold`` over the same labels
                  keeps whole sequences together), which ``lengths`` cannot be.

:func:`sequence_bounds` turns either into the start offsets of the sequences, and
:func:`sequence_weights` validates ``sample_weight`` (one weight per sequence, or one
per row constant within each sequence).
"""

from __future__ import annotations

import numpy as np

from .._engine.weights import check_sample_weight

__all__ = ["sequence_bounds", "sequence_weights"]


def sequence_bounds(n_samples: int, lengths=None, sequence_ids=None) -> np.ndarray:
    """Start offsets of the sequences plus ``n_samples`` at the end, shape (S + 1,).

    Parameters
    ----------
    n_samples : int
    lengths : array-like of int, optional
        Positive sequence lengths summing to ``n_samples``.
    sequence_ids : array-like of shape (n_samples,), optional
        A label per row; consecutive equal labels form one sequence.

    Returns
    -------
    bounds : ndarray of int64, shape (n_sequences + 1,)

    Examples
    --------
    >>> from sklearn_mle.hmm._sequences import sequence_bounds
    >>> sequence_bounds(5, lengths=[2, 3]).tolist()
    [0, 2, 5]
    >>> sequence_bounds(5, sequence_ids=["a", "a", "b", "b", "b"]).tolist()
    [0, 2, 5]
    """
    if lengths is not None and sequence_ids is not None:
        raise ValueError("give either lengths or sequence_ids, not both")
    if sequence_ids is not None:
        ids = np.asarray(sequence_ids)
        if ids.ndim != 1 or ids.shape[0] != n_samples:
            raise ValueError(
                f"sequence_ids must have one label per row ({n_samples}), got shape "
                f"{ids.shape}"
            )
        if n_samples == 0:
            return np.zeros(1, dtype=np.int64)
        change = np.flatnonzero(ids[1:] != ids[:-1]) + 1
        return np.concatenate([[0], change, [n_samples]]).astype(np.int64)
    if lengths is None:
        return np.array([0, n_samples], dtype=np.int64)
    raw = np.asarray(lengths)
    if raw.ndim != 1 or raw.size == 0:
        raise ValueError(f"lengths must be a non-empty 1-D array of integers, got shape "
                         f"{raw.shape}")
    if raw.dtype.kind == "f":
        if not np.all(np.isfinite(raw)) or np.any(raw != np.round(raw)):
            raise ValueError("lengths must be whole numbers (one length per sequence)")
    elif raw.dtype.kind not in "iu":
        raise ValueError(f"lengths must be integers, got dtype {raw.dtype}")
    lens = raw.astype(np.int64)
    if np.any(lens <= 0):
        i = int(np.flatnonzero(lens <= 0)[0])
        raise ValueError(
            f"lengths: every sequence needs at least one sample; sequence {i} has length "
            f"{int(lens[i])}"
        )
    total = int(lens.sum())
    if total != n_samples:
        raise ValueError(
            f"lengths must sum to the number of samples: they sum to {total} but X has "
            f"{n_samples} rows"
        )
    return np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)


def sequence_weights(sample_weight, X, bounds) -> np.ndarray | None:
    """One non-negative weight per sequence, or None (unit weights).

    ``sample_weight`` is either one weight per sequence (shape (S,)) or one per row
    (shape (n_samples,)), constant within each sequence: a sequence's log-likelihood
    is one term of the objective, so it carries one weight (integer weights equal
    repeated sequences). When S equals n_samples (sequences of one row) the two
    readings agree.
    """
    if sample_weight is None:
        return None
    n_seq = bounds.size - 1
    w = np.asarray(sample_weight)
    n = X.shape[0]
    if w.ndim == 1 and w.shape[0] == n_seq and n_seq != n:
        per_seq = check_sample_weight(w, np.empty((n_seq, 1)))
    else:
        rows = check_sample_weight(sample_weight, X)
        per_seq = rows[bounds[:-1]]
        same = np.repeat(per_seq, np.diff(bounds))
        if not np.array_equal(same, rows):
            i = int(np.flatnonzero(same != rows)[0])
            raise ValueError(
                "sample_weight must be one weight per sequence, or one per row constant "
                f"within each sequence (a sequence's log-likelihood is one term); row {i} "
                "has a weight different from the first row of its sequence"
            )
    per_seq = np.asarray(per_seq, dtype=np.float64)
    if float(per_seq.sum()) <= 0:
        raise ValueError("sample_weight: the weights sum to zero")
    return per_seq
