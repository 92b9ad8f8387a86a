"""A small CSV reader (no pandas needed) and the bundled data set."""

from __future__ import annotations

import csv
import math
import os
from importlib import resources

import numpy as np

__all__ = ["BUNDLED_DATASETS", "default_data_path", "load_default_data", "read_csv_columns"]

_DEFAULT_FILE = "anes96.csv"
#: Bundled data sets by name (file under ``sklearn_mle/datasets/data``).
BUNDLED_DATASETS = {
    "anes96": "anes96.csv",  # survey counts, scales and a 0/1 vote (the default)
    "engel": "engel.csv",  # positive continuous: household income and food expenditure
}
_MISSING = {"", "na", "nan", "n/a", "null", "none", "."}


def default_data_path(name: str = "anes96") -> str:
    """Path of a bundled CSV file (default: the ANES 1996 survey extract).

    Parameters
    ----------
    name : {"anes96", "engel"}, default="anes96"
        ``"anes96"``: 944 survey respondents (counts, 1-7 scales, a 0/1 vote).
        ``"engel"``: Engel's 235 Belgian households of 1857-58, yearly income and food
        expenditure in francs (positive continuous; Koenker and Bassett 1982; public
        domain, as distributed with ``statsmodels.datasets.engel``).

    Returns
    -------
    str
        A file-system path, valid for regular (non-zipped) installations.

    Examples
    --------
    >>> from sklearn_mle.datasets import default_data_path
    >>> default_data_path().endswith("anes96.csv")
    True
    """
    if name not in BUNDLED_DATASETS:
        raise ValueError(
            f"unknown bundled data set {name!r}; available: {', '.join(BUNDLED_DATASETS)}"
        )
    return str(resources.files("sklearn_mle.datasets").joinpath("data", BUNDLED_DATASETS[name]))


def read_csv_columns(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a CSV file with a header row into a dict of column arrays.

    Leading lines starting with ``#`` are comments. A column whose cells all parse as
    finite numbers (empty cells and ``NA``/``nan`` count as missing) becomes a float
    array with NaN for the missing cells; any other column stays an array of strings.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file.

    Returns
    -------
    dict of str to ndarray
        Column name to values, in file order.

    Raises
    ------
    ValueError
        With one line naming the problem: unreadable or empty file, no header, no data
        rows, duplicate or empty column names, a row with the wrong number of fields.

    Examples
    --------
    >>> from sklearn_mle.datasets import default_data_path, read_csv_columns
    >>> cols = read_csv_columns(default_data_path())
    >>> cols["age"].shape
    (944,)
    """
    name = os.fspath(path)
    try:
        with open(name, newline="", encoding="utf-8-sig") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise ValueError(f"file not found: {name}") from None
    except IsADirectoryError:
        raise ValueError(f"{name} is a directory, not a CSV file") from None
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not a UTF-8 text (CSV) file") from None
    except OSError as exc:
        raise ValueError(f"cannot read {name}: {exc.strerror or exc}") from None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise ValueError(f"{name} is empty: a CSV file needs a header row and data rows")
    try:
        dialect = csv.Sniffer().sniff(lines[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(lines, dialect))
    except csv.Error as exc:
        raise ValueError(f"{name} is not a valid CSV file: {exc}") from None
    header = [h.strip() for h in rows[0]]
    if any(h == "" for h in header):
        raise ValueError(f"{name}: the header row has an empty column name")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise ValueError(f"{name}: duplicate column name(s) in the header: {', '.join(dupes)}")
    data = rows[1:]
    if not data:
        raise ValueError(f"{name} has a header but no data rows")
    for i, row in enumerate(data, start=2):
        if len(row) != len(header):
            raise ValueError(
                f"{name}: data row {i - 1} has {len(row)} fields, the header has {len(header)}"
            )
    out = {}
    for j, col in enumerate(header):
        cells = [row[j].strip() for row in data]
        out[col] = _as_numeric(cells)
    return out


def _as_numeric(cells):
    values = np.empty(len(cells))
    for i, cell in enumerate(cells):
        if cell.lower() in _MISSING:
            values[i] = np.nan
            continue
        try:
            v = float(cell)
        except ValueError:
            return np.array(cells, dtype=object)
        if not math.isfinite(v):
            return np.array(cells, dtype=object)
        values[i] = v
    return values


def load_default_data() -> dict[str, np.ndarray]:
    """Load the bundled data set: the 1996 American National Election Study extract.

    944 respondents of the American National Election Studies (ANES) 1996 survey, as
    distributed with ``statsmodels.datasets.anes96`` (public domain). Source: The
    American National Election Studies, http://www.electionstudies.org/. The columns
    cover several domains, which makes a distribution ranking interesting:

    ``popul``
        population of the respondent's census place, in thousands (count, with zeros);
    ``TVnews``
        number of days per week the respondent watches TV news (0-7);
    ``selfLR``, ``ClinLR``, ``DoleLR``
        self-placement and placements of Clinton and Dole, 1 (extremely liberal)
        to 7 (extremely conservative);
    ``PID``
        party identification, 0 (strong Democrat) to 6 (strong Republican);
    ``age``
        age in years;
    ``educ``
        education level, 1 (grades 1-8) to 7 (PhD);
    ``income``
        household income bracket, 1 to 24;
    ``vote``
        expected vote, 0 Clinton, 1 Dole;
    ``logpopul``
        ``log(popul + 0.1)`` (real-valued).

    Returns
    -------
    dict of str to ndarray
        Column name to a float array of length 944 (no pandas needed;
        ``pandas.DataFrame(load_default_data())`` gives a data frame).

    Examples
    --------
    >>> from sklearn_mle.datasets import load_default_data
    >>> data = load_default_data()
    >>> list(data)[:3]
    ['popul', 'TVnews', 'selfLR']
    >>> int(data["vote"].sum()), data["vote"].size
    (393, 944)
    """
    return read_csv_columns(default_data_path())
