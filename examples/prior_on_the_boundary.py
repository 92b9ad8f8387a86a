"""
When the MLE sits on the boundary, a prior gives a usable estimate
==================================================================

Ten days without a single defect: the Poisson MLE of the defect rate is 0, on the
boundary of the parameter space, where standard errors are not defined. The
estimator says so with a ``BoundaryWarning`` naming the remedy; a conjugate
``Gamma(a=2, rate=1)`` prior gives the MAP rate ``(0 + a - 1) / (10 + rate) = 1/11``.
The same holds for a coin that lands heads every time.

Run with ``python examples/prior_on_the_boundary.py``; the asserts are the checks.
"""

# %%
# Ten days, no defect
# -------------------
# The MLE is 0 and the estimator warns, in words, what to do about it.
import textwrap
import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from sklearn_mle import BernoulliMLE, BoundaryWarning, PoissonMLE
from sklearn_mle.priors import Beta, Gamma

defects = np.zeros((10, 1))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    mle = PoissonMLE().fit(defects)
boundary = [w for w in caught if issubclass(w.category, BoundaryWarning)]
print(f"MLE rate = {mle.rate_[0]:g}; the warning says:")
print(textwrap.fill(str(boundary[0].message), 80, initial_indent="  ", subsequent_indent="  ",
                    break_on_hyphens=False))
assert mle.rate_[0] == 0.0 and boundary

# %%
# A Gamma(2, 1) prior
# -------------------
# The posterior is ``Gamma(a + sum(x), rate + n) = Gamma(2, 11)``, whose mode is
# 1/11. The standard error is the Laplace approximation's: the log-posterior
# ``(a - 1) log r - (rate + n) r`` has curvature ``(a - 1) / r^2 = 121`` at the mode,
# so the standard error is 1/11.
map_ = PoissonMLE(prior=Gamma(a=2, rate=1)).fit(defects)
print(f"MAP rate with a Gamma(2, 1) prior = {map_.rate_[0]:.6g} (1/11 = {1 / 11:.6g})")
assert np.isclose(map_.rate_[0], 1 / 11)
assert np.isclose(map_.bse_[0], 1 / 11)
print(map_.summary())

# %%
# Eight heads in eight flips
# --------------------------
# The Bernoulli MLE is 1 (tails impossible); a Beta(2, 2) prior gives the mode of
# the posterior ``Beta(2 + 8, 2 + 0)``: 9/10.
heads = np.ones((8, 1))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # BoundaryWarning and undefined standard errors
    coin_mle = BernoulliMLE().fit(heads)
assert coin_mle.p_[0] == 1.0
coin = BernoulliMLE(prior=Beta(2, 2)).fit(heads)
print(f"8 heads in 8 flips, Beta(2, 2) prior: MAP p = {coin.p_[0]:.6g} (9/10)")
assert np.isclose(coin.p_[0], 9 / 10)

# %%
# The posterior curves
# --------------------
# The likelihood (scaled to integrate to one, to compare shapes) peaks on the
# boundary; the prior pulls the posterior's peak, the MAP estimate, inside. The
# dotted curve on the left is the normal (Laplace) approximation behind the MAP
# standard error.
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")

r = np.linspace(1e-4, 0.6, 500)
rate_post = stats.gamma(a=2 + 0, scale=1 / (1 + 10))
lik = np.exp(-10 * r)  # ten days of zero counts: exp(-10 r)
axes[0].plot(r, lik / np.trapezoid(lik, r), label="likelihood (scaled)")
axes[0].plot(r, stats.gamma(a=2, scale=1.0).pdf(r), "--", label="prior Gamma(2, 1)")
axes[0].plot(r, rate_post.pdf(r), linewidth=2, label="posterior Gamma(2, 11)")
axes[0].plot(r, stats.norm(map_.rate_[0], map_.bse_[0]).pdf(r), ":", color="C2",
             label="Laplace approximation")
axes[0].axvline(map_.rate_[0], color="C2", linestyle="--", linewidth=1,
                label=f"MAP = 1/11 = {map_.rate_[0]:.3f}")
axes[0].set_xlabel("defect rate per day")
axes[0].set_ylabel("density")
axes[0].set_title("Ten days, no defect")
axes[0].legend()
# the MAP estimate is the mode of the posterior drawn
assert abs(r[np.argmax(rate_post.pdf(r))] - map_.rate_[0]) < 2e-3

p = np.linspace(1e-3, 1 - 1e-3, 500)
coin_post = stats.beta(2 + 8, 2 + 0)
lik = p**8
axes[1].plot(p, lik / np.trapezoid(lik, p), label="likelihood (scaled)")
axes[1].plot(p, stats.beta(2, 2).pdf(p), "--", label="prior Beta(2, 2)")
axes[1].plot(p, coin_post.pdf(p), linewidth=2, label="posterior Beta(10, 2)")
axes[1].axvline(coin.p_[0], color="C2", linestyle="--", linewidth=1,
                label=f"MAP = {coin.p_[0]:.2f}")
axes[1].set_xlabel("P(heads)")
axes[1].set_ylabel("density")
axes[1].set_title("Eight heads in eight flips")
axes[1].legend(loc="upper left")
assert abs(p[np.argmax(coin_post.pdf(p))] - coin.p_[0]) < 2e-3
