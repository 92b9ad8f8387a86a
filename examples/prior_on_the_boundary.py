"""When the MLE sits on the boundary, a prior gives a usable estimate.

Ten days without a single defect: the Poisson MLE of the defect rate is 0, on the
boundary of the parameter space, where standard errors are not defined. The
estimator says so with a ``BoundaryWarning`` naming the remedy; a conjugate
``Gamma(a=2, rate=1)`` prior gives the MAP rate ``(0 + a - 1) / (10 + rate) = 1/11``.
The same holds for a coin that lands heads every time. Run with
``python examples/prior_on_the_boundary.py``.
"""

import warnings

import numpy as np

from sklearn_mle import BernoulliMLE, BoundaryWarning, PoissonMLE
from sklearn_mle.priors import Beta, Gamma

defects = np.zeros((10, 1))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    mle = PoissonMLE().fit(defects)
boundary = [w for w in caught if issubclass(w.category, BoundaryWarning)]
print(f"MLE rate = {mle.rate_[0]:g}; warning: {boundary[0].message}")
assert mle.rate_[0] == 0.0 and boundary

map_ = PoissonMLE(prior=Gamma(a=2, rate=1)).fit(defects)
print(f"MAP rate with a Gamma(2, 1) prior = {map_.rate_[0]:.6g} (1/11 = {1 / 11:.6g})")
assert np.isclose(map_.rate_[0], 1 / 11)
# Laplace approximation: the log-posterior (a - 1) log r - (rate + n) r has curvature
# (a - 1) / r^2 = 121 at the mode, so the standard error is 1/11.
assert np.isclose(map_.bse_[0], 1 / 11)
print(map_.summary())

heads = np.ones((8, 1))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # BoundaryWarning and undefined standard errors
    assert BernoulliMLE().fit(heads).p_[0] == 1.0
coin = BernoulliMLE(prior=Beta(2, 2)).fit(heads)
print(f"8 heads in 8 flips, Beta(2, 2) prior: MAP p = {coin.p_[0]:.6g} (9/10)")
assert np.isclose(coin.p_[0], 9 / 10)
