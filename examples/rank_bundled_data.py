"""
Ranking distribution families on the bundled ANES 1996 data
===========================================================

The same ranking the ``sklearn-mle fit`` command prints, from Python: every family
valid for a column's domain is fitted, ranked by AIC, and given an Akaike weight
(:func:`sklearn_mle.rank_distributions`). A family that cannot be fitted to a column
is listed with the reason.

Run with ``python examples/rank_bundled_data.py``; the asserts are the checks.
"""

# %%
# Every valid family, column by column
# ------------------------------------
# ``vote`` is binary, ``TVnews`` counts days of the week, ``age`` is in whole years
# and ``logpopul`` is a real number: each column is offered the families of its
# domain.
import textwrap

import matplotlib.pyplot as plt
import numpy as np

from sklearn_mle import BinomialMLE, rank_distributions
from sklearn_mle.datasets import load_default_data
from sklearn_mle.plotting import DistributionFitDisplay, plot_fit_diagnostics

data = load_default_data()
for column in ["vote", "TVnews", "age", "logpopul"]:
    rows = rank_distributions(data[column], as_frame=False)
    print(f"\n{column}:")
    for r in rows:
        if r.ranked:
            print(f"  {r.rank}. {r.family:<17} AIC {r.aic:10.2f}  weight {r.weight:.3f}")
        else:
            # the reason, wrapped to the page's width
            print(f"  -  {r.family:<17} {r.status}:")
            print(textwrap.fill(r.message, 80, initial_indent=" " * 7,
                                subsequent_indent=" " * 7, break_on_hyphens=False))
    ranked = [r for r in rows if r.ranked]
    assert np.isclose(sum(r.weight for r in ranked), 1.0)
    assert all(a.aic <= b.aic for a, b in zip(ranked, ranked[1:]))

# %%
# Age with continuous families
# ----------------------------
# Age is recorded in whole years; continuous families can be asked for by name.
rows = rank_distributions(data["age"], families=["Gaussian", "LogNormal", "Gamma", "Weibull"],
                          as_frame=False)
best = rows[0]
print(f"\nage, continuous families: best {best.family} (weight {best.weight:.3f})")
for name, est, (lo, hi) in zip(best.param_names, best.params, best.conf_int):
    print(f"  {name} = {est:.4g}  95% CI [{lo:.4g}, {hi:.4g}]")

# %%
# The fits drawn
# --------------
# The four diagnostic panels of the three best continuous fits of age: density
# over the histogram, CDF, QQ and PP plots.
age = data["age"][:, None]
displays = plot_fit_diagnostics([r for r in rows if r.ranked][:3], age, column_name="age")
displays[0, 0].figure_.suptitle("ANES 1996: age, the three best continuous families")

# %%
# For a count such as ``TVnews`` (days a week watching TV news, 0 to 7) a fit is a
# probability mass, drawn against the relative frequencies of the data. The ranking
# offers the unbounded count families; the binomial with 7 trials, which knows the
# week has 7 days, is fitted by name. None of them follows the data, which pile up
# at 0 and at 7 (every day): the best AIC is not a good fit, and the figure shows it.
tv = [r for r in rank_distributions(data["TVnews"], as_frame=False) if r.ranked]
X_tv = data["TVnews"][:, None]
week = BinomialMLE(n_trials=7).fit(X_tv)
print(f"\nTVnews: Binomial(7) AIC {week.aic(X_tv):.2f}, p = {week.p_[0]:.3f}")
assert np.isclose(week.p_[0], data["TVnews"].mean() / 7)
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
disp = DistributionFitDisplay.from_estimator(
    [*tv[:2], week], X_tv, ax=ax, labels=[tv[0].family, tv[1].family, "Binomial(7)"],
    column_name="TVnews (days a week)")
ax.set_title("TVnews: the fitted count families")
# the bars are the data's relative frequencies, the points each family's mass
values, counts = np.unique(data["TVnews"], return_counts=True)
heights = {b.get_x() + b.get_width() / 2: b.get_height() for b in disp.empirical_}
assert np.allclose([heights[v] for v in values], counts / counts.sum())
