"""
Likelihood-ratio tests of restricted Gaussian models
====================================================

A restricted model holds parameters fixed with ``fixed_params``; the test statistic
``2 (log L_full - log L_restricted)`` is chi-squared with as many degrees of freedom
as parameters were fixed. For the Gaussian both statistics have closed forms,
checked here against :func:`sklearn_mle.likelihood_ratio_test`.

Run with ``python examples/likelihood_ratio_test.py``; the asserts are the checks.
"""

# %%
# Eighty measurements and the full fit
# ------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from sklearn_mle import GaussianMLE, likelihood_ratio_test

rng = np.random.default_rng(42)
x = rng.normal(10.3, 2.0, size=(80, 1))
n = x.shape[0]
s2 = x.var()  # MLE variance, divides by n

full = GaussianMLE().fit(x)
print(f"full model: mean {full.mean_[0]:.4f}, variance {full.covariance_[0, 0]:.4f}")

# %%
# H0: mean = 10
# -------------
# The variance stays free; the statistic is ``n log(s0^2 / s^2)`` with
# ``s0^2 = mean((x - 10)^2)``.
mean0 = GaussianMLE(fixed_params={"mean": 10.0}).fit(x)
res_mean = likelihood_ratio_test(mean0, full)
closed = n * np.log(np.mean((x - 10.0) ** 2) / s2)
print(f"H0 mean = 10:     LR = {res_mean.statistic:.4f}, df = {res_mean.df}, "
      f"p = {res_mean.pvalue:.4f}")
assert res_mean.df == 1 and np.isclose(res_mean.statistic, closed)
assert np.isclose(res_mean.pvalue, stats.chi2.sf(closed, 1))

# %%
# H0: variance = 4
# ----------------
# The mean stays free; the statistic is ``n (s^2/4 - 1 - log(s^2/4))``.
var0 = GaussianMLE(fixed_params={"covariance": 4.0}).fit(x)
res_var = likelihood_ratio_test(var0, full)
closed = n * (s2 / 4.0 - 1.0 - np.log(s2 / 4.0))
print(f"H0 variance = 4:  LR = {res_var.statistic:.4f}, df = {res_var.df}, "
      f"p = {res_var.pvalue:.4f}")
assert res_var.df == 1 and np.isclose(res_var.statistic, closed)

# %%
# H0: mean = 10 and variance = 4 together
# ---------------------------------------
# Two parameters fixed: two degrees of freedom.
both = GaussianMLE(fixed_params={"mean": 10.0, "covariance": 4.0}).fit(x)
res_both = likelihood_ratio_test(both, full)
closed = n * (np.mean((x - 10.0) ** 2) / 4.0 - 1.0 - np.log(s2 / 4.0))
print(f"H0 both:          LR = {res_both.statistic:.4f}, df = {res_both.df}, "
      f"p = {res_both.pvalue:.4f}")
assert res_both.df == 2 and np.isclose(res_both.statistic, closed)

# %%
# The test drawn
# --------------
# Left: the profile log-likelihood of the mean (at each mean the variance is
# re-estimated), relative to its maximum. Half the statistic of ``H0: mean = 10`` is
# the drop of this curve from the peak to 10. Right: the statistics against their
# chi-squared reference distributions (log scale, to show the tails); the p-value is
# the shaded area beyond each.
mu = np.linspace(9.4, 11.3, 300)
profile = -n / 2 * (np.log(2 * np.pi * ((x - mu) ** 2).mean(axis=0)) + 1)
assert np.isclose(profile.max(), full.loglik_, atol=1e-3)  # the peak is the full fit
drop = full.loglik_ - mean0.loglik_
assert np.isclose(2 * drop, res_mean.statistic)

fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
axes[0].plot(mu, profile - full.loglik_, label="profile log-likelihood")
axes[0].axvline(full.mean_[0], color="C0", linestyle="--", linewidth=1,
                label=f"MLE {full.mean_[0]:.3f}")
axes[0].annotate("", xy=(10.0, -drop), xytext=(10.0, 0.0),
                 arrowprops={"arrowstyle": "<->", "color": "C3"})
axes[0].plot([10.0], [-drop], "o", color="C3",
             label=f"H0 mean = 10: drop {drop:.3f} = LR / 2")
axes[0].axhline(0.0, color="0.6", linewidth=0.8)
axes[0].set_xlabel("mean")
axes[0].set_ylim(-6, 0.5)
axes[0].set_ylabel("log-likelihood - maximum")
axes[0].set_title("How far is mean = 10 below the peak?")
axes[0].legend(loc="upper right", fontsize=8)

t = np.linspace(0.01, 14.0, 600)
for df, style in [(1, "-"), (2, "--")]:
    axes[1].plot(t, stats.chi2(df).pdf(t), style, color="0.3", label=f"chi2({df})")
for res, name, color in [(res_mean, "mean = 10", "C3"), (res_var, "variance = 4", "C1"),
                         (res_both, "both", "C2")]:
    tail = t >= res.statistic
    axes[1].fill_between(t[tail], stats.chi2(res.df).pdf(t[tail]), color=color, alpha=0.25)
    axes[1].axvline(res.statistic, color=color,
                    label=f"{name}: LR {res.statistic:.2f}, p = {res.pvalue:.3f}")
axes[1].set_yscale("log")
axes[1].set_ylim(1e-4, 2.0)
axes[1].set_xlabel("likelihood-ratio statistic")
axes[1].set_ylabel("density (log scale)")
axes[1].set_title("Statistics and their chi-squared references")
axes[1].legend()
