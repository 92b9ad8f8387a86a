"""
Worked examples: heights, dice and a coin against their closed forms
====================================================================

Three small data sets whose maximum-likelihood estimates have closed forms. Each fit
is checked against its formula, and each likelihood is drawn as the function of the
parameter that it is, with the estimate at its peak.

1. Heights 160, 165, 170, 175, 180 cm: the Gaussian MLE is the sample mean (170) and
   the variance dividing by n (50, not the unbiased 62.5). With the variance known
   (25) only the mean is estimated: one free parameter instead of two.
2. Four sixes in twelve die rolls: the MLE of P(six) is 4/12 = 1/3.
3. Seven heads in ten coin flips: the MLE is 0.7; with a Beta(2, 2) prior the MAP
   estimate is (7 + 2 - 1) / (10 + 2 + 2 - 2) = 8/12.

Run with ``python examples/worked_examples.py``; the asserts are the checks.
"""

# %%
# 1. Heights
# ----------
# The Gaussian log-likelihood of the five heights is a surface over the mean and the
# variance; its peak is the sample mean and the mean squared deviation (dividing by
# n). Its value there is ``-n/2 (log(2 pi var) + 1)``.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_mle import BernoulliMLE, GaussianMLE
from sklearn_mle.priors import Beta

heights = np.array([[160.0], [165.0], [170.0], [175.0], [180.0]])
gauss = GaussianMLE().fit(heights)
n = heights.shape[0]
mean = heights.mean()
var = ((heights - mean) ** 2).sum() / n  # the MLE divides by n
print(f"heights: mean = {gauss.mean_[0]:.6g}, variance = {gauss.covariance_[0, 0]:.6g}")
assert np.isclose(gauss.mean_[0], 170.0) and np.isclose(gauss.covariance_[0, 0], 50.0)
assert np.isclose(mean, 170.0) and np.isclose(var, 50.0)
assert np.isclose(gauss.loglik_, -n / 2 * (np.log(2 * np.pi * var) + 1))
# standard error of the mean: sqrt(var / n)
assert np.isclose(gauss.bse_[0], np.sqrt(50.0 / 5))
print(gauss.summary())

# %%
# With the variance known (25), only the mean is estimated: the estimate is still the
# sample mean, its standard error ``sqrt(25 / 5)``.
known = GaussianMLE(fixed_params={"covariance": 25.0}).fit(heights)
print(f"known variance 25: mean = {known.mean_[0]:.6g}, free parameters = {known.n_params_}")
assert np.isclose(known.mean_[0], 170.0) and known.n_params_ == 1
assert np.isclose(known.bse_[0], np.sqrt(25.0 / 5))


def gauss_loglik(m, v):
    """The heights' Gaussian log-likelihood at mean m and variance v (broadcasts)."""
    ss = (np.subtract.outer(heights[:, 0], m) ** 2).sum(axis=0)
    return -n / 2 * np.log(2 * np.pi * v) - ss / (2 * v)


assert np.isclose(known.loglik_, gauss_loglik(170.0, 25.0))

# %%
# 2. Dice
# -------
# Four sixes in twelve rolls: the log-likelihood of P(six) is
# ``4 log p + 8 log(1 - p)``, highest at 4/12; the fair die's 1/6 is lower.
rolls = np.array([6, 2, 6, 3, 1, 6, 5, 4, 6, 2, 3, 1])
six = (rolls == 6).astype(float).reshape(-1, 1)
dice = BernoulliMLE().fit(six)
print(f"dice: P(six) = {dice.p_[0]:.6g} from {int(six.sum())} sixes in {six.size} rolls")
assert np.isclose(dice.p_[0], 1 / 3)


def dice_loglik(p):
    return 4 * np.log(p) + 8 * np.log(1 - p)


assert np.isclose(dice.loglik_, dice_loglik(1 / 3)) and dice.loglik_ > dice_loglik(1 / 6)

# %%
# 3. Coin
# -------
# Seven heads in ten flips: the MLE 0.7 with standard error ``sqrt(0.7 * 0.3 / 10)``;
# the 95% profile-likelihood interval is where the log-likelihood is within
# ``chi2(1).ppf(0.95) / 2 = 1.92`` of its maximum. A Beta(2, 2) prior adds one
# pseudo-head and one pseudo-tail: the MAP estimate is 8/12.
flips = np.array([[1]] * 7 + [[0]] * 3, dtype=float)
coin = BernoulliMLE().fit(flips)
print(f"coin: MLE p = {coin.p_[0]:.6g}, standard error = {coin.bse_[0]:.4f}")
assert np.isclose(coin.p_[0], 0.7)
assert np.isclose(coin.bse_[0], np.sqrt(0.7 * 0.3 / 10))

coin_map = BernoulliMLE(prior=Beta(2, 2)).fit(flips)
print(f"coin with a Beta(2, 2) prior: MAP p = {coin_map.p_[0]:.6g} (8/12 = {8 / 12:.6g})")
assert np.isclose(coin_map.p_[0], 8 / 12)
lo, hi = coin.conf_int(method="profile")[0]
print(f"coin: 95% profile-likelihood interval for p = [{lo:.4f}, {hi:.4f}]")
assert 0 < lo < 0.7 < hi < 1


def coin_loglik(p):
    return 7 * np.log(p) + 3 * np.log(1 - p)


def coin_logpost(p):  # up to a constant: the Beta(2, 2) prior adds log p + log(1 - p)
    return coin_loglik(p) + np.log(p) + np.log(1 - p)


# at both ends the log-likelihood is chi2(1).ppf(0.95) / 2 = 1.92 below its maximum
assert np.allclose([2 * (coin_loglik(0.7) - coin_loglik(v)) for v in (lo, hi)],
                   3.841458820694124)
print("all worked examples agree with their closed forms")

# %%
# The likelihoods drawn
# ---------------------
# Top left: the heights' log-likelihood surface (contours 1, 2, 4, 8 and 16 below the
# peak; the variance on a log scale); the dashed line is the known-variance slice.
# Top right: the log-likelihood of the mean with the variance known (25) and with the
# variance re-estimated at each mean (the profile): both peak at 170, and the known
# variance gives the narrower curve, whose curvature ``n / 25 = 0.2`` is the inverse
# of the squared standard error ``sqrt(25 / 5)``. Bottom: the dice's and the coin's
# log-likelihoods relative to their maxima; for the coin the log-posterior under the
# Beta(2, 2) prior peaks at the MAP estimate, and the dotted line at -1.92 cuts out
# the profile interval (shaded).
fig, axes = plt.subplots(2, 2, figsize=(10, 8), layout="constrained")
ax_surface, ax_mean, ax_dice, ax_coin = axes.ravel()

m_grid = np.linspace(155, 185, 241)
v_grid = np.geomspace(8, 500, 300)
M, V = np.meshgrid(m_grid, v_grid)
surface = gauss_loglik(M, V) - gauss.loglik_
assert surface.max() <= 1e-9  # the fit is the peak of the surface
cs = ax_surface.contour(M, V, surface, levels=[-16, -8, -4, -2, -1], cmap="viridis")
ax_surface.clabel(cs, fontsize=8)
ax_surface.plot(170, 50, "k*", markersize=12, label="MLE (170, 50)")
ax_surface.axhline(25, color="C3", linestyle="--", label="variance known: 25")
ax_surface.set_yscale("log")
ax_surface.set_xlabel("mean (cm)")
ax_surface.set_ylabel("variance (cm², log scale)")
ax_surface.set_title("Heights: log-likelihood surface")
ax_surface.legend(loc="upper right", fontsize=8)

known_curve = gauss_loglik(m_grid, 25.0) - known.loglik_
profile = gauss_loglik(m_grid, ((heights - m_grid) ** 2).mean(axis=0)) - gauss.loglik_
ax_mean.plot(m_grid, known_curve, color="C3", label="variance known (25)")
ax_mean.plot(m_grid, profile, color="C0", label="variance re-estimated (profile)")
ax_mean.axvline(170, color="0.5", linestyle=":", linewidth=1)
ax_mean.set_ylim(-8, 0.5)
ax_mean.set_xlabel("mean (cm)")
ax_mean.set_ylabel("log-likelihood - maximum")
ax_mean.set_title("Heights: the mean")
ax_mean.legend(loc="lower center", fontsize=8)
# the known-variance curve is a parabola of curvature n / 25 = 1 / bse**2
step = m_grid[1] - m_grid[0]
i170 = np.argmin(abs(m_grid - 170))
curvature = -(known_curve[i170 + 1] - 2 * known_curve[i170] + known_curve[i170 - 1]) / step**2
assert np.isclose(curvature, 1 / known.bse_[0] ** 2)

p = np.linspace(0.01, 0.99, 400)
ax_dice.plot(p, dice_loglik(p) - dice.loglik_)
ax_dice.axvline(1 / 3, color="C1", linestyle="--", label="MLE 1/3")
ax_dice.axvline(1 / 6, color="0.5", linestyle=":", label="fair die 1/6")
ax_dice.set_ylim(-8, 0.5)
ax_dice.set_xlabel("P(six)")
ax_dice.set_ylabel("log-likelihood - maximum")
ax_dice.set_title("Dice: 4 sixes in 12 rolls")
ax_dice.legend(loc="lower right", fontsize=8)

ax_coin.plot(p, coin_loglik(p) - coin.loglik_, label="log-likelihood")
post = coin_logpost(p)
ax_coin.plot(p, post - post.max(), label="log-posterior, Beta(2, 2) prior")
ax_coin.axhline(-3.841458820694124 / 2, color="0.5", linestyle=":", label="-1.92: 95% cut")
ax_coin.axvline(0.7, color="C0", linestyle="--", linewidth=1)
ax_coin.axvline(8 / 12, color="C1", linestyle="--", linewidth=1)
ax_coin.axvspan(lo, hi, color="C0", alpha=0.1)
ax_coin.set_ylim(-8, 0.5)
ax_coin.set_xlabel("P(heads)")
ax_coin.set_ylabel("log-likelihood - maximum")
ax_coin.set_title("Coin: 7 heads in 10 flips")
ax_coin.legend(loc="lower center", fontsize=8)
# the posterior's peak on the grid is the MAP estimate
assert abs(p[np.argmax(post)] - 8 / 12) < 2e-3
