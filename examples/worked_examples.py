"""Worked examples of maximum likelihood, checked against their closed forms.

Run with ``python examples/worked_examples.py``.

1. Heights 160, 165, 170, 175, 180 cm: the Gaussian MLE is the sample mean (170) and
   the variance dividing by n (50, not the unbiased 62.5). With the variance known
   (25) only the mean is estimated: one free parameter instead of two.
2. Four sixes in twelve die rolls: the MLE of P(six) is 4/12 = 1/3.
3. Seven heads in ten coin flips: the MLE is 0.7; with a Beta(2, 2) prior the MAP
   estimate is (7 + 2 - 1) / (10 + 2 + 2 - 2) = 8/12.
"""

import numpy as np

from sklearn_mle import BernoulliMLE, GaussianMLE
from sklearn_mle.priors import Beta

# 1. Heights ---------------------------------------------------------------
heights = np.array([[160.0], [165.0], [170.0], [175.0], [180.0]])
gauss = GaussianMLE().fit(heights)
n = heights.shape[0]
mean = heights.mean()
var = ((heights - mean) ** 2).sum() / n  # the MLE divides by n
print(f"heights: mean = {gauss.mean_[0]:.6g}, variance = {gauss.covariance_[0, 0]:.6g}")
assert np.isclose(gauss.mean_[0], 170.0) and np.isclose(gauss.covariance_[0, 0], 50.0)
assert np.isclose(mean, 170.0) and np.isclose(var, 50.0)
# log-likelihood at the MLE: -n/2 (log(2 pi var) + 1)
assert np.isclose(gauss.loglik_, -n / 2 * (np.log(2 * np.pi * var) + 1))
# standard error of the mean: sqrt(var / n)
assert np.isclose(gauss.bse_[0], np.sqrt(50.0 / 5))
print(gauss.summary())

known = GaussianMLE(fixed_params={"covariance": 25.0}).fit(heights)
print(f"known variance 25: mean = {known.mean_[0]:.6g}, free parameters = {known.n_params_}")
assert np.isclose(known.mean_[0], 170.0) and known.n_params_ == 1
assert np.isclose(known.bse_[0], np.sqrt(25.0 / 5))
ll_known = -n / 2 * np.log(2 * np.pi * 25.0) - ((heights - 170.0) ** 2).sum() / (2 * 25.0)
assert np.isclose(known.loglik_, ll_known)

# 2. Dice -----------------------------------------------------------------
rolls = np.array([6, 2, 6, 3, 1, 6, 5, 4, 6, 2, 3, 1])
six = (rolls == 6).astype(float).reshape(-1, 1)
dice = BernoulliMLE().fit(six)
print(f"dice: P(six) = {dice.p_[0]:.6g} from {int(six.sum())} sixes in {six.size} rolls")
assert np.isclose(dice.p_[0], 1 / 3)
# the MLE beats the fair-die value 1/6 in log-likelihood
ll = lambda p: 4 * np.log(p) + 8 * np.log(1 - p)  # noqa: E731
assert np.isclose(dice.loglik_, ll(1 / 3)) and dice.loglik_ > ll(1 / 6)

# 3. Coin -----------------------------------------------------------------
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
# at both ends the log-likelihood is chi2(1).ppf(0.95) / 2 = 1.92 below its maximum
ll_coin = lambda p: 7 * np.log(p) + 3 * np.log(1 - p)  # noqa: E731
assert np.allclose([2 * (ll_coin(0.7) - ll_coin(v)) for v in (lo, hi)], 3.841458820694124)
print("all worked examples agree with their closed forms")
