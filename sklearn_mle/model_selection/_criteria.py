"""What ``rank_distributions`` and ``GridSearchIC`` share: the criteria they rank by,
the small-sample correction of AIC, and the one-line form of a warning or error."""

from __future__ import annotations

import numpy as np

__all__ = ["CRITERIA", "aicc_from_aic", "first_line"]

#: The information criteria a ranking can use (lower is better).
CRITERIA = ("aic", "aicc", "bic")


def aicc_from_aic(aic: float, k: float, n: float) -> float:
    """``AICc = AIC + 2 k (k + 1) / (n - k - 1)``; ``inf`` where ``n <= k + 1`` (undefined).

    Examples
    --------
    >>> from sklearn_mle.model_selection._criteria import aicc_from_aic
    >>> aicc_from_aic(100.0, 2, 12)
    101.33333333333333
    >>> aicc_from_aic(100.0, 2, 3)
    inf
    """
    return aic + 2.0 * k * (k + 1.0) / (n - k - 1.0) if n - k - 1.0 > 0 else np.inf


def first_line(text) -> str:
    """The first line of a message (an exception or warning), stripped."""
    text = str(text).strip()
    return text.splitlines()[0] if text else ""
