"""Likelihood-ratio tests of restricted Gaussian models against the full model.

A restricted model holds parameters fixed with ``fixed_params``; the test statistic
``2 (log L_full - log L_restricted)`` is chi-squared with as many degrees of freedom
as parameters were fixed. For the Gaussian both statistics have closed forms,
checked here. Run with ``python examples/likelihood_ratio_test.py``.
"""

import numpy as np
from scipy import stats

from sklearn_mle import GaussianMLE, likelihood_ratio_test

rng = np.random.default_rng(42)
x = rng.normal(10.3, 2.0, size=(80, 1))
n = x.shape[0]
s2 = x.var()  # MLE variance, divides by n

full = GaussianMLE().fit(x)

# H0: mean = 10 (variance free). Statistic n log(s0^2 / s^2), s0^2 = mean((x - 10)^2).
mean0 = GaussianMLE(fixed_params={"mean": 10.0}).fit(x)
res = likelihood_ratio_test(mean0, full)
closed = n * np.log(np.mean((x - 10.0) ** 2) / s2)
print(f"H0 mean = 10:     LR = {res.statistic:.4f}, df = {res.df}, p = {res.pvalue:.4f}")
assert res.df == 1 and np.isclose(res.statistic, closed)
assert np.isclose(res.pvalue, stats.chi2.sf(closed, 1))

# H0: variance = 4 (mean free). Statistic n (s^2/4 - 1 - log(s^2/4)).
var0 = GaussianMLE(fixed_params={"covariance": 4.0}).fit(x)
res = likelihood_ratio_test(var0, full)
closed = n * (s2 / 4.0 - 1.0 - np.log(s2 / 4.0))
print(f"H0 variance = 4:  LR = {res.statistic:.4f}, df = {res.df}, p = {res.pvalue:.4f}")
assert res.df == 1 and np.isclose(res.statistic, closed)

# H0: mean = 10 and variance = 4 together: two degrees of freedom.
both = GaussianMLE(fixed_params={"mean": 10.0, "covariance": 4.0}).fit(x)
res = likelihood_ratio_test(both, full)
closed = n * (np.mean((x - 10.0) ** 2) / 4.0 - 1.0 - np.log(s2 / 4.0))
print(f"H0 both:          LR = {res.statistic:.4f}, df = {res.df}, p = {res.pvalue:.4f}")
assert res.df == 2 and np.isclose(res.statistic, closed)
