"""
Logistic regression: coefficient plot and a likelihood-ratio test
=================================================================

:class:`sklearn_mle.MLELogisticRegression` is fitted by exact Newton and carries
standard errors: :class:`sklearn_mle.plotting.CoefficientDisplay` draws every
coefficient with its 95% interval (a forest plot). A coefficient whose interval
contains 0 may be dropped; the likelihood-ratio test of the model without it says
whether the data agree.
"""

# %%
# Simulated data: two features matter, one does not
# --------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklearn_mle import MLELogisticRegression, likelihood_ratio_test
from sklearn_mle.plotting import CoefficientDisplay

rng = np.random.default_rng(0)
n = 400
X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["dose", "age", "noise"])
logit = -0.5 + 1.2 * X["dose"] - 0.8 * X["age"] + 0.0 * X["noise"]
y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)

full = MLELogisticRegression().fit(X, y)
print(full.summary())

# %%
# The forest plot: Wald and profile intervals
# -------------------------------------------
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True, layout="constrained")
CoefficientDisplay.from_estimator(full, ax=axes[0])
axes[0].set_title("Wald intervals")
CoefficientDisplay.from_estimator(full, method="profile", ax=axes[1],
                                  errorbar_kwargs={"color": "C1"})
axes[1].set_title("Profile-likelihood intervals")

# %%
# Likelihood-ratio test: does ``noise`` add anything?
# ---------------------------------------------------
reduced = MLELogisticRegression().fit(X[["dose", "age"]], y)
lrt = likelihood_ratio_test(reduced, full)
print(f"LR statistic {lrt.statistic:.3f} on {lrt.df} df, p = {lrt.pvalue:.3f}")
