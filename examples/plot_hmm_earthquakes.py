"""
Regimes of earthquake activity: a Poisson hidden Markov model
=============================================================

The yearly number of major earthquakes (magnitude 7 or more) in the world from 1900
to 2006, the series Zucchini, MacDonald and Langrock study throughout *Hidden Markov
Models for Time Series*. The counts are overdispersed (variance about four times the
mean) and serially correlated: calm and active decades. A Poisson hidden Markov
model explains both: a hidden regime follows a Markov chain and each year's count
is Poisson with its regime's rate.

We choose the number of regimes by BIC, read the rates and the transition matrix
with their standard errors, and plot the decoded regimes (Viterbi path).
"""

# %%
import matplotlib

matplotlib.use("Agg")
import warnings

import matplotlib.pyplot as plt
import numpy as np

from sklearn_mle import PoissonMLE
from sklearn_mle.hmm import HiddenMarkovModel

quakes = np.array([
    13, 14, 8, 10, 16, 26, 32, 27, 18, 32, 36, 24, 22, 23, 22, 18,
    25, 21, 21, 14, 8, 11, 14, 23, 18, 17, 19, 20, 22, 19, 13, 26,
    13, 14, 22, 24, 21, 22, 26, 21, 23, 24, 27, 41, 31, 27, 35, 26,
    28, 36, 39, 21, 17, 22, 17, 19, 15, 34, 10, 15, 22, 18, 15, 20,
    15, 22, 19, 16, 30, 27, 29, 23, 20, 16, 21, 21, 25, 16, 18, 15,
    18, 14, 10, 15, 8, 15, 6, 11, 8, 7, 18, 16, 13, 12, 13, 20,
    15, 16, 12, 18, 15, 16, 13, 15, 16, 11, 11])
years = np.arange(1900, 1900 + quakes.size)
X = quakes[:, None].astype(float)
print(f"{quakes.size} years, mean {quakes.mean():.2f}, variance {quakes.var(ddof=1):.2f}")

# %%
# Choosing the number of regimes by BIC
# -------------------------------------
# Each fit takes the best of several starts (``n_init``): EM finds a local maximum.
fits = {}
for k in range(1, 5):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # boundary start probabilities: one sequence
        fits[k] = HiddenMarkovModel(PoissonMLE(), n_components=k, n_init=4,
                                    tol=1e-7, max_iter=500, random_state=0).fit(X)
print("states  log-likelihood  parameters      BIC")
for k, m in fits.items():
    print(f"{k:6d}  {m.loglik_:14.2f}  {m.n_params_:10d}  {m.bic(X):8.2f}")
best = min(fits, key=lambda k: fits[k].bic(X))
print(f"BIC chooses {best} states")

# %%
# The three-state model: rates, transitions and their standard errors
# -------------------------------------------------------------------
# Zucchini, MacDonald and Langrock report rates of about 13.1, 19.7 and 29.7
# earthquakes a year for this model.
model = fits[3]
order = np.argsort([float(e.rate_[0]) for e in model.emissions_])
rates = np.array([float(model.emissions_[j].rate_[0]) for j in order])
print("rates by regime:", np.round(rates, 2))
print("transition matrix (regimes ordered by rate):")
print(np.round(model.transmat_[np.ix_(order, order)], 3))
assert np.allclose(rates, [13.1, 19.7, 29.7], atol=0.2)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the start probabilities sit on the boundary
    print(model.summary())

# %%
# Decoded regimes
# ---------------
states = model.predict(X)
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.plot(years, quakes, "o-", ms=3, color="0.4", label="earthquakes per year")
ax.step(years, np.array([float(e.rate_[0]) for e in model.emissions_])[states],
        where="mid", color="C3", lw=2, label="rate of the decoded regime")
ax.set_xlabel("year")
ax.set_ylabel("count")
ax.legend(loc="upper right")
ax.set_title("Poisson HMM, 3 regimes (Viterbi path)")
fig.tight_layout()
print("years in each regime (by rate):", np.bincount(np.argsort(order)[states], minlength=3))
