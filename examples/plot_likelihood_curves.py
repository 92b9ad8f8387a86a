"""
Profile-likelihood intervals of the heights, dice and coin
==========================================================

The three worked examples (:ref:`checked against their closed forms
<sphx_glr_auto_examples_worked_examples.py>`), drawn as likelihood curves with
:class:`sklearn_mle.plotting.ProfileLikelihoodDisplay`: the curve peaks at the
estimate, and the values whose log-likelihood is within ``chi2(1).ppf(0.95) / 2 =
1.92`` of the peak form the 95% profile-likelihood interval that
``conf_int(method="profile")`` reports.
"""

# %%
# The data
# --------
# Heights of five people (cm); four sixes in twelve die rolls; seven heads in ten
# coin flips.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_mle import BernoulliMLE, GaussianMLE
from sklearn_mle.plotting import ProfileLikelihoodDisplay

heights = np.array([[160.0], [165.0], [170.0], [175.0], [180.0]])
sixes = np.array([[1.0]] * 4 + [[0.0]] * 8)
flips = np.array([[1.0]] * 7 + [[0.0]] * 3)

gauss = GaussianMLE().fit(heights)
dice = BernoulliMLE().fit(sixes)
coin = BernoulliMLE().fit(flips)
print(f"heights: mean {gauss.mean_[0]:g}, variance {gauss.covariance_[0, 0]:g} (divides by n)")
print(f"dice:    P(six) = {dice.p_[0]:.4f} = 4/12")
print(f"coin:    P(heads) = {coin.p_[0]:.4f} = 7/10")
assert np.isclose(gauss.mean_[0], 170.0) and np.isclose(gauss.covariance_[0, 0], 50.0)
assert np.isclose(dice.p_[0], 1 / 3) and np.isclose(coin.p_[0], 0.7)

# %%
# The curves
# ----------
# For the heights the curve is the *profile* log-likelihood of the mean: at each
# value of the mean the variance is re-estimated (it is the mean squared deviation
# from that value). The dice and coin have one parameter, so the curve is the
# log-likelihood itself, ``k log p + (n - k) log(1 - p)``.
fig, axes = plt.subplots(1, 3, figsize=(13, 4), layout="constrained")
h = ProfileLikelihoodDisplay.from_estimator(gauss, "mean", heights, ax=axes[0])
d = ProfileLikelihoodDisplay.from_estimator(dice, "p", sixes, ax=axes[1])
c = ProfileLikelihoodDisplay.from_estimator(coin, "p", flips, ax=axes[2])
axes[0].set_title("Heights: mean (cm)")
axes[1].set_title("Dice: P(six)")
axes[2].set_title("Coin: P(heads)")

# the coin's curve is the closed-form log-likelihood
p = c.values
assert np.allclose(c.profile, 7 * np.log(p) + 3 * np.log(1 - p))
for name, disp in [("heights mean", h), ("P(six)", d), ("P(heads)", c)]:
    lo, hi = disp.interval
    print(f"{name:>12}: 95% profile interval [{lo:.4g}, {hi:.4g}]")
