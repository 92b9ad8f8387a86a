"""
Robust standard errors, Wald tests, the delta method and prediction bands
=========================================================================

One logistic regression on statsmodels' ``spector`` data (does a new teaching method,
PSI, raise grades?), taken through what a statsmodels user reaches for: the summary,
heteroscedasticity- and cluster-robust standard errors, a Wald test of linear
hypotheses, the odds ratio by the delta method, predicted
probabilities with intervals, and average marginal effects. Each number is checked
against statsmodels where statsmodels has it.
"""

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import statsmodels.api as sm

from sklearn_mle import MLELogisticRegression

data = sm.datasets.spector.load_pandas()
X, y = data.exog, data.endog
clf = MLELogisticRegression(tol=1e-12).fit(X, y)
print(clf.summary())

# %%
# Robust standard errors: a sandwich around the information matrix. ``HC0`` equals
# statsmodels' ``Logit(...).fit(cov_type="HC0")``; clusters come through ``fit``.
robust = MLELogisticRegression(cov_type="HC0", tol=1e-12).fit(X, y)
ref = sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12,
                                          cov_type="HC0")
np.testing.assert_allclose(robust.bse_, ref.bse.values, rtol=1e-6)
groups = np.arange(len(y)) % 8
clustered = MLELogisticRegression(cov_type="cluster", tol=1e-12).fit(X, y, groups=groups)
print("model-based SE:", np.round(clf.bse_, 4))
print("HC0 SE:        ", np.round(robust.bse_, 4))
print("cluster SE:    ", np.round(clustered.bse_, 4))

# %%
# A Wald test of two linear restrictions, written as equations in the names.
res = clf.wald_test("GPA = 2 * PSI, TUCE = 0")
sm_res = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-12).wald_test(
    "GPA = 2 * PSI, TUCE = 0", scalar=True)
np.testing.assert_allclose(res.statistic, float(sm_res.statistic), rtol=1e-5)
print(f"Wald chi2({res.df_num}) = {res.statistic:.3f}, p = {res.pvalue:.3f}")

# %%
# The odds ratio of PSI, exp(beta): the MLE by invariance, its standard error by the
# delta method (exp(b) * se(b) by hand). With ``positive=True`` the interval is taken
# on the log scale and mapped back, so it stays positive: here it is exactly
# exp(interval of beta).
j = clf.param_names_.index("PSI")
odds = clf.delta_method(lambda p: np.exp(p[j]), names=["OR(PSI)"], positive=True)
b, se = clf.estimates_[j], clf.bse_[j]
np.testing.assert_allclose(odds.std_err[0], np.exp(b) * se, rtol=1e-7)
np.testing.assert_allclose(odds.conf_int[0], np.exp(clf.conf_int()[j]), rtol=1e-7)
print(odds.summary_frame().round(3))

# %%
# Predicted probabilities with intervals mapped through the link (they stay in
# [0, 1]), and average marginal effects (statsmodels' ``get_margeff``).
grid = np.column_stack([np.linspace(2.0, 4.0, 50), np.full(50, X["TUCE"].mean()),
                        np.ones(50)])
with_psi = clf.predict_interval(grid).summary_frame()
without = clf.predict_interval(grid * [1, 1, 0]).summary_frame()
me = clf.marginal_effects()
np.testing.assert_allclose(me.estimate, ref.get_margeff().margeff, rtol=1e-6)
print(me.summary_frame().round(4))

fig, ax = plt.subplots(figsize=(6, 4))
for frame, label in ((with_psi, "PSI = 1"), (without, "PSI = 0")):
    ax.plot(grid[:, 0], frame["mean"], label=label)
    ax.fill_between(grid[:, 0], frame["mean_ci_lower"], frame["mean_ci_upper"], alpha=0.3)
ax.set_xlabel("GPA")
ax.set_ylabel("P(grade improves)")
ax.legend()
fig.tight_layout()
