"""Bundled data and a small dependency-free CSV reader.

A second bundled set, ``engel`` (positive continuous columns), is available by name
through ``default_data_path("engel")`` and ``sklearn-mle fit --dataset engel``.
The default bundled data set is an extract of the American National Election Studies 1996
survey (944 respondents, public domain; The American National Election Studies,
http://www.electionstudies.org/, as distributed with ``statsmodels.datasets.anes96``).
"""

from ._base import BUNDLED_DATASETS, default_data_path, load_default_data, read_csv_columns

__all__ = ["BUNDLED_DATASETS", "default_data_path", "load_default_data", "read_csv_columns"]
