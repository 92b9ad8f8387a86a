"""What the Gaussian linear model checks before and after its solve: magnitudes within
float64, and exact fits (the MLE of the error variance is 0, the likelihood unbounded)."""

from __future__ import annotations

import numpy as np

_LOG_MAX = float(np.log(np.finfo(np.float64).max))
_TINY = float(np.finfo(np.float64).tiny)
_EPS = float(np.finfo(np.float64).eps)


def _log_sum_squares(v, w):
    """``log(sum w v^2)`` without overflow: in units of the largest ``|v|``."""
    top = float(np.max(np.abs(v), initial=0.0))
    if top == 0.0:
        return -np.inf
    s = float(w @ (v / top) ** 2)
    return 2.0 * np.log(top) + np.log(s) if s > 0 else -np.inf


def check_magnitudes(who, X, y, w, names, fit_intercept, locate=None):
    """ValueError naming the column when its weighted sum of squares, or the variance of
    ``y``, lies outside float64: the least-squares solve squares them, and beyond
    about 1.8e308 (or below about 2.2e-308 for the variance of ``y``) the MLE of the
    error variance, and the information, are not representable.

    ``locate(j, centre)`` (``j`` a column of ``X``, or None for ``y`` minus ``centre``)
    gives the row and value to report, where ``X, y, w`` stand for other data with
    the same weighted sums of squares (a Dask fit's equivalent rows).
    """
    columns = [(names[j + int(fit_intercept)], X[:, j]) for j in range(X.shape[1])]
    centre = float(np.average(y, weights=w)) if fit_intercept and np.sum(w) > 0 else 0.0
    for j, (name, v) in enumerate(columns + [("y", y - centre)]):
        if _log_sum_squares(v, w) > _LOG_MAX:
            if locate is not None:
                i, value = locate(None if name == "y" else j, centre)
            else:
                i = int(np.argmax(np.abs(v)))
                value = float(y[i] if name == "y" else v[i])
            what = "y" if name == "y" else f"column {name!r}"
            raise ValueError(
                f"{who}: {what} has value {value:.6g} at row {i}; its weighted sum of squares "
                "exceeds the float64 range (about 1.8e308), which the least-squares fit "
                "needs: rescale it, e.g. divide it by a power of ten near its largest value"
            )
    log_var = _log_sum_squares(y - centre, w) - np.log(float(np.sum(w)))
    if np.isfinite(log_var) and log_var < np.log(_TINY):
        raise ValueError(
            f"{who}: the variance of y ({np.exp(log_var):.3g}) is below the smallest normal "
            "float64 (about 2.2e-308), so the MLE of the error variance is not "
            "representable: rescale y, e.g. multiply it by a power of ten"
        )


def distinct_rows(A, w) -> int:
    """Number of distinct design rows of positive weight (repeated rows are one)."""
    return int(np.unique(A[w > 0], axis=0).shape[0])


def is_exact_fit(A, w, rss, yw2, R, count_distinct=None) -> bool:
    """The least-squares fit is exact: no more distinct rows than coefficients, or a
    residual sum of squares at the rounding level of an (ill-conditioned) solve.

    ``count_distinct()`` counts the distinct rows where ``A`` stands for other rows
    (a Dask fit's); it is called only when the answer depends on it.
    """
    diag = np.abs(np.diag(R))
    cond = float(diag[0] / diag[-1]) if diag.size and diag[-1] > 0 else 1.0
    loose = not rss > 1e-20 * max(yw2, _TINY)
    strict = not rss > (max(31.6, 10.0 * cond) * _EPS) ** 2 * max(yw2, _TINY)
    if loose == strict:  # the same verdict whatever the number of distinct rows
        return loose
    count = distinct_rows(A, w) if count_distinct is None else count_distinct()
    if count <= A.shape[1]:
        # as many coefficients as distinct rows: the fitted values are the mean of y
        # within each repeated row, exact only when y is constant there (an
        # intercept-only fit of varying y is not exact); residuals at rounding level
        # are judged loosely, so weights and repeated rows agree
        return loose
    return strict


def exact_fit_message(who, A, w, under_prior, count_distinct=None) -> str:
    n_rows = distinct_rows(A, w) if count_distinct is None else count_distinct()
    why = (f"; {n_rows} distinct rows for {A.shape[1]} coefficients"
           if n_rows <= A.shape[1] else "")
    return (
        f"{who}: the fit is exact (residual sum of squares 0 up to rounding{why}), so "
        "the MLE of the error variance is 0 and the likelihood is unbounded (loglik_ is "
        "+inf, the standard errors are 0); the Gaussian error model does not apply. Use "
        "fewer features than distinct rows, or collect more data"
        + (" (under a prior the joint posterior has no mode either: sigma2 -> 0 at this fit)"
           if under_prior else "")
    )
