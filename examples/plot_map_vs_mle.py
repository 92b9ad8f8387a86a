"""
MAP versus MLE on a small sample: how a prior shrinks
=====================================================

Three flips, three heads. The maximum-likelihood estimate of P(heads) is 1, on the
boundary of the parameter space: it says tails are impossible, and its standard error
is 0. A ``Beta(2, 2)`` prior (a weak belief that the coin is roughly fair) gives the
maximum-a-posteriori estimate, the mode of the posterior ``Beta(2 + 3, 2 + 0)``:
``(3 + 2 - 1) / (3 + 2 + 2 - 2) = 0.8``. As flips accumulate, the data outweigh the
prior and MAP and MLE meet.
"""

# %%
# Likelihood, prior and posterior
# -------------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from sklearn_mle import BernoulliMLE, BoundaryWarning, InferenceWarning
from sklearn_mle.priors import Beta

flips = np.ones((3, 1))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    mle = BernoulliMLE().fit(flips)
print("MLE:", mle.p_[0], "| warned:", [type(w.message).__name__ for w in caught])
assert any(issubclass(w.category, BoundaryWarning) for w in caught)

a, b = 2.0, 2.0
map_ = BernoulliMLE(prior=Beta(a, b)).fit(flips)
print("MAP under Beta(2, 2):", round(float(map_.p_[0]), 6))
assert np.isclose(map_.p_[0], (3 + a - 1) / (3 + a + b - 2))

p = np.linspace(0.001, 0.999, 400)
likelihood = p**3  # three heads; scaled to integrate to one below, to compare shapes
posterior = stats.beta(a + 3, b + 0)
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
ax.plot(p, likelihood / np.trapezoid(likelihood, p), label="likelihood (scaled)")
ax.plot(p, stats.beta(a, b).pdf(p), label="prior Beta(2, 2)", linestyle="--")
ax.plot(p, posterior.pdf(p), label="posterior Beta(5, 2)", linewidth=2)
ax.axvline(mle.p_[0], color="C0", linestyle=":", label="MLE = 1")
ax.axvline(map_.p_[0], color="C2", linestyle=":", label=f"MAP = {map_.p_[0]:.2f}")
ax.set_xlabel("P(heads)")
ax.set_ylabel("density")
ax.set_title("Three flips, three heads")
ax.legend(loc="upper left")
# the MAP estimate is the posterior's mode
assert np.isclose(p[np.argmax(posterior.pdf(p))], map_.p_[0], atol=3e-3)

# %%
# Shrinkage fades with the sample size
# ------------------------------------
# A coin with P(heads) = 0.7, flipped n times: the MAP estimate is pulled towards
# 1/2 by the prior's two pseudo-flips (one head, one tail), which matter less and
# less as n grows.
rng = np.random.default_rng(0)
draws = (rng.random(400) < 0.7).astype(float)[:, None]
sizes = np.array([3, 5, 10, 20, 50, 100, 200, 400])
mles, maps = [], []
with warnings.catch_warnings():
    # an all-heads start sits on the boundary (no standard error): said once above
    warnings.simplefilter("ignore", BoundaryWarning)
    warnings.simplefilter("ignore", InferenceWarning)
    for n in sizes:
        mles.append(BernoulliMLE().fit(draws[:n]).p_[0])
        maps.append(BernoulliMLE(prior=Beta(a, b)).fit(draws[:n]).p_[0])
fig2, ax2 = plt.subplots(figsize=(7, 4.5), layout="constrained")
ax2.plot(sizes, mles, "o-", label="MLE")
ax2.plot(sizes, maps, "s-", label="MAP, Beta(2, 2) prior")
ax2.axhline(0.7, color="0.5", linestyle="--", label="true P(heads)")
ax2.set_xscale("log")
ax2.set_xlabel("number of flips")
ax2.set_ylabel("estimate")
ax2.set_title("Estimates as the sample grows")
ax2.legend()
for n, m1, m2 in zip(sizes, mles, maps):
    print(f"n = {n:3d}: MLE {m1:.3f}  MAP {m2:.3f}")
