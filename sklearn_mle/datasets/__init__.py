"""Bundled data and a small dependency-free CSV reader.

The bundled data set is an extract of the American National Election Studies 1996
survey (944 respondents, public domain; The American National Election Studies,
http://www.electionstudies.org/, as distributed with ``statsmodels.datasets.anes96``).
"""

from ._base import default_data_path, load_default_data, read_csv_columns

__all__ = ["default_data_path", "load_default_data", "read_csv_columns"]
