"""
Which family fits? Ranking families with diagnostic plots
=========================================================

:func:`sklearn_mle.rank_distributions` fits every family valid for a column and ranks
them by AIC. A ranking says which fit is best, not whether it is good: the four
diagnostic panels of :func:`sklearn_mle.plotting.plot_fit_diagnostics` (fitdistrplus'
``plot.fitdist``) show where each fit departs from the data.

The data: yearly household income of Engel's 235 Belgian households (1857-58), a
positive, right-skewed measurement.
"""

# %%
# Rank the continuous families on income
# --------------------------------------
import numpy as np
from scipy import stats

from sklearn_mle import rank_distributions
from sklearn_mle.datasets import default_data_path, read_csv_columns
from sklearn_mle.plotting import ProfileLikelihoodDisplay, plot_fit_diagnostics

income = read_csv_columns(default_data_path("engel"))["income"]
X = income[:, None]
rows = [r for r in rank_distributions(income, as_frame=False) if r.ranked]
for r in rows:
    print(f"{r.rank}. {r.family:<12} AIC = {r.aic:9.2f}   Akaike weight = {r.weight:.3f}")

# %%
# The three best fits, overlaid
# -----------------------------
# The density panel compares shapes, the CDF panel locations; the QQ panel shows
# the tails (points above the diagonal on the right: the data's upper tail is
# heavier than the fit's), the PP panel the body of the distribution.
best = [r.estimator for r in rows[:3]]
displays = plot_fit_diagnostics(best, X, labels=[r.family for r in rows[:3]])
displays[0, 0].figure_.suptitle("Engel household income: three fitted families")

# %%
# The QQ points are scipy's: the sorted data against the fitted quantiles at
# :func:`scipy.stats.probplot`'s plotting positions.
qq = displays[1, 0]
first = qq.distributions[0]
osm, osr = stats.probplot(income, dist=first, fit=False)
assert np.allclose(qq.lines_[0].get_xdata(), osm)
assert np.allclose(qq.lines_[0].get_ydata(), osr)

# %%
# How sure are we of the best family's shape?
# -------------------------------------------
# The profile log-likelihood of its last parameter (its spread), with the 95% chi-square cut-off:
# where the curve is above the dashed line is the profile-likelihood interval.
top = best[0]
name = top.param_names_[-1]
disp = ProfileLikelihoodDisplay.from_estimator(top, name, X, n_points=25)
lo, hi = disp.interval
print(f"{rows[0].family} {name}: estimate {disp.estimate:.4g}, "
      f"95% profile interval [{lo:.4g}, {hi:.4g}]")
