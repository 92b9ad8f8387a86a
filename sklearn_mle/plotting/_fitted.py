"""Fitted distribution estimators as frozen ``scipy.stats`` distributions, one column at
a time: what the diagnostic plots draw."""

from __future__ import annotations

import numpy as np
from scipy import stats as sps
from sklearn.utils.validation import check_is_fitted


def frozen_columns(estimator) -> list:
    """The fitted distribution of ``estimator`` as a list of frozen scipy distributions.

    ``estimator.to_scipy()`` when the estimator has it, else its family's public
    ``to_scipy(params_)``.
    """
    check_is_fitted(estimator)
    to_scipy = getattr(estimator, "to_scipy", None)
    if callable(to_scipy):
        return list(to_scipy())
    family = getattr(estimator, "family_", None)
    if family is None or not hasattr(estimator, "params_"):
        raise TypeError(
            f"{type(estimator).__name__} is not a fitted distribution estimator "
            "(GaussianMLE, PoissonMLE, ...): it has no fitted family_ and params_"
        )
    return list(family.to_scipy(estimator.params_))


def column_index(estimator, column) -> int:
    """The position of ``column`` (an int or one of ``feature_names_in_``)."""
    names = getattr(estimator, "feature_names_in_", None)
    if isinstance(column, str):
        if names is None or column not in list(names):
            raise ValueError(
                f"column {column!r} is not a feature name of the fitted "
                f"{type(estimator).__name__}"
            )
        return int(list(names).index(column))
    d = int(estimator.n_features_in_)
    j = int(column)
    if not -d <= j < d:
        raise ValueError(f"column must be in [0, {d}) for data with {d} columns, got {column}")
    return j % d


def marginal(estimator, column) -> object:
    """The frozen scipy distribution of one column of a fitted estimator.

    A multivariate Gaussian gives its marginal normal; a multinomial (one vector of
    counts per row) has no per-column distribution of this kind and is refused.
    """
    j = column_index(estimator, column)
    dists = frozen_columns(estimator)
    if len(dists) == int(estimator.n_features_in_):
        return dists[j]
    (dist,) = dists
    if hasattr(dist, "cov") and hasattr(dist, "mean"):  # multivariate normal
        mean = np.atleast_1d(dist.mean)
        cov = np.atleast_2d(dist.cov)
        return sps.norm(float(mean[j]), float(np.sqrt(cov[j, j])))
    raise ValueError(
        f"{type(estimator).__name__} models the columns jointly ({type(dist).__name__}); "
        "per-column diagnostic plots need a distribution per column"
    )


def is_discrete(dist) -> bool:
    """Whether a frozen scipy distribution has a probability mass function."""
    return hasattr(dist, "pmf")


def data_column(X, j) -> np.ndarray:
    """Column ``j`` of ``X`` as finite float64 values (pandas and lists accepted)."""
    arr = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
    arr = np.asarray(arr, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {arr.shape}")
    x = arr[:, j]
    if x.size == 0:
        raise ValueError("X has no rows to plot")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"column {j} of X contains NaN or inf")
    return x


def uniform_order_medians(n: int) -> np.ndarray:
    """Filliben's estimates of the medians of the uniform order statistics.

    The plotting positions of :func:`scipy.stats.probplot`: ``(i - 0.3175) / (n + 0.365)``
    with the end points ``1 - 0.5**(1/n)`` and ``0.5**(1/n)``.
    """
    i = np.arange(1, n + 1, dtype=float)
    m = (i - 0.3175) / (n + 0.365)
    m[-1] = 0.5 ** (1.0 / n)
    m[0] = 1.0 - m[-1]
    return m
