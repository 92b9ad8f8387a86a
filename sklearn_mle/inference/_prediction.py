"""Confidence intervals of the mean response and prediction intervals.

The mean ``mu = h(eta)`` of a GLM is predicted with the interval of the linear
predictor ``eta = a' theta`` (standard error ``sqrt(a' cov a)``) mapped through the
inverse link ``h``, so it stays inside the mean's range (probabilities in (0, 1),
counts' means positive) and equals statsmodels' ``GLM.get_prediction``. Its standard
error is the delta method's ``h'(eta) se(eta)``. The linear model adds the prediction
interval of a new observation, with variance ``sigma^2 + se(mean)^2``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class PredictionResult(NamedTuple):
    """Result of ``predict_interval``: the predicted mean with its interval (and, for
    the linear model, the interval of a new observation)."""

    mean: np.ndarray
    mean_se: np.ndarray
    mean_ci: np.ndarray
    obs_ci: np.ndarray | None
    alpha: float

    def summary_frame(self):
        """A :class:`pandas.DataFrame` with statsmodels' ``summary_frame()`` columns."""
        import pandas as pd

        data = {"mean": self.mean, "mean_se": self.mean_se,
                "mean_ci_lower": self.mean_ci[:, 0], "mean_ci_upper": self.mean_ci[:, 1]}
        if self.obs_ci is not None:
            data["obs_ci_lower"] = self.obs_ci[:, 0]
            data["obs_ci_upper"] = self.obs_ci[:, 1]
        return pd.DataFrame(data)


def mean_prediction(A, theta, cov, offset, inverse_link, crit, alpha, resid_var=None):
    """Prediction result from the design rows ``A`` and the fit's ``theta`` and ``cov``.

    ``inverse_link(eta) -> (mu, dmu/deta)``, monotone increasing; ``resid_var`` (linear
    model) adds the interval of a new observation.
    """
    eta = A @ theta
    if offset is not None:
        eta = eta + offset
    se_eta = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", A, cov, A), 0.0, None))
    mu, dmu = inverse_link(eta)
    lo, _ = inverse_link(eta - crit * se_eta)
    hi, _ = inverse_link(eta + crit * se_eta)
    obs = None
    if resid_var is not None:
        half = crit * np.sqrt(resid_var + se_eta**2)
        obs = np.column_stack([mu - half, mu + half])
    return PredictionResult(mu, np.abs(dmu) * se_eta, np.column_stack([lo, hi]), obs, alpha)
