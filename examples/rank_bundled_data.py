"""Rank distribution families on the bundled ANES 1996 data.

The same ranking the ``sklearn-mle fit`` command prints, from Python: every family
valid for a column's domain is fitted, ranked by AIC, and given an Akaike weight.
Run with ``python examples/rank_bundled_data.py``.
"""

import numpy as np

from sklearn_mle import rank_distributions
from sklearn_mle.datasets import load_default_data

data = load_default_data()
for column in ["vote", "TVnews", "age", "logpopul"]:
    rows = rank_distributions(data[column])
    print(f"\n{column}:")
    for r in rows:
        if r.ranked:
            print(f"  {r.rank}. {r.family:<17} AIC {r.aic:10.2f}  weight {r.weight:.3f}")
        else:
            print(f"  -  {r.family:<17} {r.status}: {r.message}")
    ranked = [r for r in rows if r.ranked]
    assert np.isclose(sum(r.weight for r in ranked), 1.0)
    assert all(a.aic <= b.aic for a, b in zip(ranked, ranked[1:]))

# Age is recorded in whole years; continuous families can be asked for by name.
rows = rank_distributions(data["age"], families=["Gaussian", "LogNormal", "Gamma", "Weibull"])
best = rows[0]
print(f"\nage, continuous families: best {best.family} (weight {best.weight:.3f})")
for name, est, (lo, hi) in zip(best.param_names, best.params, best.conf_int):
    print(f"  {name} = {est:.4g}  95% CI [{lo:.4g}, {hi:.4g}]")
