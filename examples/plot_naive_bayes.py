"""
Naive Bayes families compared by cross-validated log loss
=========================================================

Who did a respondent of the 1996 American National Election Study vote for
(``vote``: 1 for Dole, 0 for Clinton)? The predictors are of mixed kinds: 1-7 scales
(placements of oneself and the candidates, party identification, education), counts
(days a week watching TV news), an income bracket, age, and the log population of
the respondent's place. Naive Bayes needs a family per column; this example compares

* Gaussian naive Bayes (every column a Gaussian: scikit-learn's ``GaussianNB``),
* categorical naive Bayes (every column a categorical: ``CategoricalNB``, smoothed),
* :class:`~sklearn_mle.naive_bayes.NaiveBayes`, each column's family from its domain
  (here Poisson for every integer-valued column, age and the scales included, and a
  Gaussian for the log population),
* a hand-chosen product (:class:`~sklearn_mle.naive_bayes.IndependentMLE`): the 1-7
  scales categorical, TV news Poisson, age Gamma, log population Gaussian,

by 5-fold cross-validated log loss (lower is better).
"""

# %%
# The data
# --------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.naive_bayes import GaussianNB

from sklearn_mle import CategoricalMLE, GammaMLE, GaussianMLE, PoissonMLE
from sklearn_mle.datasets import load_default_data
from sklearn_mle.naive_bayes import GenerativeClassifier, IndependentMLE, NaiveBayes
from sklearn_mle.priors import Dirichlet

data = load_default_data()
y = np.where(data.pop("vote") == 1, "Dole", "Clinton")
data.pop("popul")  # kept as its logarithm
X = pd.DataFrame(data)
print(X.describe().loc[["min", "max"]].T)

scales = ["selfLR", "ClinLR", "DoleLR", "PID", "educ", "income"]
models = {
    "Gaussian (GaussianNB)": GenerativeClassifier(GaussianMLE(covariance_type="diag")),
    "categorical, alpha=1": GenerativeClassifier(IndependentMLE(
        [("all", CategoricalMLE(prior=Dirichlet(2.0)), scales + ["TVnews"])],
        remainder=GaussianMLE(covariance_type="diag"))),
    "NaiveBayes (by domain)": NaiveBayes(),
    "scales categorical, mixed": GenerativeClassifier(IndependentMLE([
        ("scales", CategoricalMLE(prior=Dirichlet(2.0)), scales),
        ("tv", PoissonMLE(), ["TVnews"]),
        ("age", GammaMLE(), ["age"]),
        ("place", GaussianMLE(covariance_type="diag"), ["logpopul"]),
    ])),
}

# %%
# Cross-validated log loss
# ------------------------
cv = StratifiedKFold(5, shuffle=True, random_state=0)
scores = {name: -cross_val_score(model, X, y, cv=cv, scoring="neg_log_loss")
          for name, model in models.items()}
for name, s in scores.items():
    print(f"{name:<28} log loss {s.mean():.4f} (+/- {s.std():.4f})")

# the Gaussian model is scikit-learn's GaussianNB with var_smoothing=0
ref = -cross_val_score(GaussianNB(var_smoothing=0.0), X, y, cv=cv, scoring="neg_log_loss")
assert np.allclose(ref, scores["Gaussian (GaussianNB)"], rtol=1e-9)

# %%
# What each column got, and the fitted classes
# --------------------------------------------
nb = NaiveBayes().fit(X, y)
print(nb.column_families_)
print(nb.summary().to_frame().loc["Dole"].head(6))

fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
names = list(scores)
ax.barh(names, [scores[n].mean() for n in names],
        xerr=[scores[n].std() for n in names], color="tab:blue", alpha=0.7)
ax.set_xlabel("5-fold cross-validated log loss (lower is better)")
ax.invert_yaxis()
plt.show()
