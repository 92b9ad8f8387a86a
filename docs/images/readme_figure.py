"""Draw ``readme_diagnostics.png``, the figure README.md shows.

Run from the repository root: ``python docs/images/readme_figure.py``. The PNG is
committed (README.md is read where nothing is built); keep it under 150 KB.
"""

import os
import sys

import matplotlib

matplotlib.use("Agg")

from sklearn_mle import GammaMLE, LogNormalMLE, StudentTMLE  # noqa: E402
from sklearn_mle.datasets import default_data_path, read_csv_columns  # noqa: E402
from sklearn_mle.plotting import plot_fit_diagnostics  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                         "readme_diagnostics.png")
income = read_csv_columns(default_data_path("engel"))["income"][:, None]
fits = [LogNormalMLE().fit(income), GammaMLE().fit(income), StudentTMLE().fit(income)]
displays = plot_fit_diagnostics(fits, income, labels=["LogNormal", "Gamma", "StudentT"],
                                column_name="income")
fig = displays[0, 0].figure_
fig.suptitle("plot_fit_diagnostics: three families fitted to Engel's household income (francs)")
fig.savefig(out, dpi=80)
print(f"wrote {out} ({os.path.getsize(out) // 1024} KB)")
