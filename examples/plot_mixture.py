"""
Choosing the number of mixture components by BIC
================================================

A Gaussian mixture is fitted for 1 to 4 components and three covariance structures;
BIC (lower is better) picks the model, as mclust's BIC plot. The chosen mixture is then
drawn with each component's covariance ellipse and the classification uncertainty
of every point (larger points are less certainly classified).
"""

# %%
# Three overlapping groups
# ------------------------
import matplotlib.pyplot as plt
import numpy as np

from sklearn_mle import GaussianMixture
from sklearn_mle.model_selection import GridSearchIC
from sklearn_mle.plotting import InformationCriterionDisplay, MixtureDisplay

rng = np.random.default_rng(0)
X = np.vstack([
    rng.multivariate_normal([0.0, 0.0], [[1.0, 0.8], [0.8, 1.0]], 150),
    rng.multivariate_normal([4.0, 1.0], [[1.0, -0.6], [-0.6, 1.5]], 150),
    rng.multivariate_normal([1.5, 4.5], [[0.4, 0.0], [0.0, 0.4]], 100),
])

# %%
# BIC over the number of components and the covariance type
# ---------------------------------------------------------
search = GridSearchIC(
    GaussianMixture(random_state=0, max_iter=200),
    {"n_components": [1, 2, 3, 4], "covariance_type": ["full", "diag", "spherical"]},
    criterion="bic",
).fit(X)
print("best by BIC:", search.best_params_)

bic_display = InformationCriterionDisplay.from_search(search)

# %%
# The chosen mixture
# ------------------
best = search.best_estimator_
fig, ax = plt.subplots(figsize=(7, 5.5))
disp = MixtureDisplay.from_estimator(best, X, ax=ax)
print("mixing weights:", np.round(best.weights_, 3))
print("share of points with uncertainty above 0.2:",
      round(float(np.mean(disp.uncertainty > 0.2)), 3))
