"""Choose GaussianMLE's covariance_type by cross-validated log-likelihood.

``GaussianMLE.score(X)`` is the mean log-likelihood per sample, so ``GridSearchCV``
maximises held-out likelihood. On strongly correlated data the full covariance wins.
Run with ``python examples/gridsearch_covariance_type.py``.
"""

import numpy as np
from sklearn.model_selection import GridSearchCV

from sklearn_mle import GaussianMLE

rng = np.random.default_rng(0)
cov = np.array([[4.0, 3.0, 0.0], [3.0, 4.0, 1.0], [0.0, 1.0, 2.0]])
X = rng.multivariate_normal([1.0, -2.0, 0.5], cov, size=500)

search = GridSearchCV(
    GaussianMLE(), {"covariance_type": ["full", "diag", "spherical"]}, cv=5
)
search.fit(X)
for params, score in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"]):
    print(f"{params['covariance_type']:>9}: mean held-out log-likelihood {score:.4f}")
print(f"best: {search.best_params_['covariance_type']}")
assert search.best_params_ == {"covariance_type": "full"}

best = search.best_estimator_
# The full fit has 3 means + 6 covariance entries; AIC agrees with cross-validation.
aics = {ct: GaussianMLE(covariance_type=ct).fit(X).aic(X) for ct in ["full", "diag", "spherical"]}
print("AIC:", {k: round(v, 2) for k, v in aics.items()})
assert min(aics, key=aics.get) == "full"
assert best.n_params_ == 9
