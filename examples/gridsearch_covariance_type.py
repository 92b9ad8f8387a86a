"""
Choosing GaussianMLE's covariance_type by cross-validated log-likelihood
========================================================================

``GaussianMLE.score(X)`` is the mean log-likelihood per sample, so scikit-learn's
``GridSearchCV`` maximises held-out likelihood. On strongly correlated data the full
covariance wins, and AIC, computed on the training data alone, agrees.

Run with ``python examples/gridsearch_covariance_type.py``; the asserts are the checks.
"""

# %%
# The search
# ----------
# Three correlated columns, 500 rows; five folds.
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_mle import GaussianMLE

rng = np.random.default_rng(0)
cov = np.array([[4.0, 3.0, 0.0], [3.0, 4.0, 1.0], [0.0, 1.0, 2.0]])
X = rng.multivariate_normal([1.0, -2.0, 0.5], cov, size=500)

types = ["full", "diag", "spherical"]
search = GridSearchCV(GaussianMLE(), {"covariance_type": types}, cv=5)
search.fit(X)
results = search.cv_results_
for params, score in zip(results["params"], results["mean_test_score"]):
    print(f"{params['covariance_type']:>9}: mean held-out log-likelihood {score:.4f}")
print(f"best: {search.best_params_['covariance_type']}")
assert search.best_params_ == {"covariance_type": "full"}

# %%
# AIC agrees
# ----------
# The full fit has 3 means + 6 covariance entries = 9 parameters; AIC, which
# penalises them, still prefers it.
best = search.best_estimator_
fits = {ct: GaussianMLE(covariance_type=ct).fit(X) for ct in types}
aics = {ct: est.aic(X) for ct, est in fits.items()}
print("AIC:", {k: round(v, 2) for k, v in aics.items()})
assert min(aics, key=aics.get) == "full"
assert best.n_params_ == 9
# a fold's score is the held-out mean log-likelihood: the first fold of the full
# model recomputed with scipy's multivariate normal at the training MLE
train, test = next(KFold(5).split(X))
ref = stats.multivariate_normal(X[train].mean(axis=0), np.cov(X[train].T, bias=True))
assert np.isclose(results["split0_test_score"][0], ref.logpdf(X[test]).mean())

# %%
# The scores drawn
# ----------------
# Left: the held-out log-likelihood per sample of each covariance type, fold by
# fold and its mean. Right: AIC (lower is better) with each model's number of
# parameters.
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
pos = np.arange(len(types))
means = results["mean_test_score"]
for i in range(len(types)):
    folds = [results[f"split{k}_test_score"][i] for k in range(5)]
    axes[0].plot(np.full(5, pos[i]), folds, "o", color="0.6", label="a fold" if i == 0 else None)
axes[0].plot(pos, means, "D", color="C2", markersize=9, label="mean of the 5 folds")
axes[0].set_xticks(pos, types)
axes[0].set_xlim(-0.5, len(types) - 0.5)
axes[0].legend()
axes[0].set_ylabel("held-out log-likelihood per sample")
axes[0].set_title("Cross-validation (higher is better)")

axes[1].bar(pos, [aics[t] for t in types],
            color=["C2" if t == "full" else "C0" for t in types], alpha=0.7)
for i, t in enumerate(types):
    axes[1].annotate(f"{fits[t].n_params_} parameters", (pos[i], aics[t]),
                     ha="center", va="bottom", fontsize=9)
axes[1].set_xticks(pos, types)
axes[1].set_ylim(min(aics.values()) - 100, max(aics.values()) + 100)
axes[1].set_ylabel("AIC")
axes[1].set_title("AIC on all 500 rows (lower is better)")
