"""Which families fit a column: the one domain rule of the package.

A column's domain (text labels, 0/1, counts, integers, values in (0, 1), positive,
real) decides the families that can model it. :func:`candidate_families` lists them
(what ``rank_distributions`` fits and ranks by default); :func:`default_family`
picks one (what ``NaiveBayes`` uses for a column nobody named a family for).

Densities (continuous families) and probability mass functions (discrete ones) are
never both candidates: integer-valued data get the discrete families, other numbers
the continuous ones.

Examples
--------
>>> from sklearn_mle.families._domains import candidate_families, column_domain
>>> column_domain([0, 3, 1]), candidate_families([0, 3, 1])
('non-negative integers', ['Poisson', 'NegativeBinomial'])
>>> candidate_families(["red", "blue"])
['Categorical']
"""

from __future__ import annotations

import numpy as np

__all__ = ["DOMAIN_FAMILIES", "FAMILY_DOMAINS", "candidate_families", "column_domain",
           "default_family", "domain_default_family", "is_boolean_column", "is_text_column",
           "summary_domain"]

CATEGORIES = "categories"
BINARY = "values 0 or 1"
FROM_ONE = "integers >= 1"
COUNTS = "non-negative integers"
INTEGERS = "integers"
UNIT = "values in (0, 1)"
POSITIVE = "values > 0"
REAL = "real values"

def _integral(x):
    return bool(np.all(x == np.floor(x)))


def _counts(x):
    return _integral(x) and bool(np.all(x >= 0))


#: ``(family, kind, applies)``: every family a column may get, the kind of its
#: likelihood ("continuous" densities, "discrete" probability mass functions), and
#: ``applies(x)``, whether the family's domain holds the finite numbers ``x``.
#: The order is the order of :func:`candidate_families`.
FAMILY_DOMAINS: tuple[tuple[str, str, object], ...] = (
    ("Gaussian", "continuous", lambda x: True),
    ("StudentT", "continuous", lambda x: True),
    ("Exponential", "continuous", lambda x: bool(np.all(x > 0))),
    ("Gamma", "continuous", lambda x: bool(np.all(x > 0))),
    ("LogNormal", "continuous", lambda x: bool(np.all(x > 0))),
    ("Weibull", "continuous", lambda x: bool(np.all(x > 0))),
    ("Beta", "continuous", lambda x: bool(np.all((x > 0) & (x < 1)))),
    ("Poisson", "discrete", _counts),
    ("NegativeBinomial", "discrete", _counts),
    ("Geometric", "discrete", lambda x: _integral(x) and bool(np.all(x >= 1))),
    ("Bernoulli", "discrete", lambda x: bool(np.all((x == 0) | (x == 1)))),
)

#: The candidates of every domain (for reading; :func:`candidate_families` decides).
DOMAIN_FAMILIES: dict[str, tuple[str, ...]] = {
    CATEGORIES: ("Categorical",),
    BINARY: ("Poisson", "NegativeBinomial", "Bernoulli"),
    FROM_ONE: ("Poisson", "NegativeBinomial", "Geometric"),
    COUNTS: ("Poisson", "NegativeBinomial"),
    INTEGERS: ("Gaussian", "StudentT"),
    UNIT: ("Gaussian", "StudentT", "Exponential", "Gamma", "LogNormal", "Weibull", "Beta"),
    POSITIVE: ("Gaussian", "StudentT", "Exponential", "Gamma", "LogNormal", "Weibull"),
    REAL: ("Gaussian", "StudentT"),
}

#: The family each domain gets when one must be chosen without a ranking:
#: closed-form or cheap fits that describe the domain (a probability for 0/1, a rate
#: for counts, a shape and a rate for positive values).
_DEFAULT = {
    CATEGORIES: "Categorical",
    BINARY: "Bernoulli",
    FROM_ONE: "Poisson",
    COUNTS: "Poisson",
    INTEGERS: "Gaussian",
    UNIT: "Beta",
    POSITIVE: "Gamma",
    REAL: "Gaussian",
}


def is_boolean_column(column) -> bool:
    """Whether a column holds booleans: dtype ``bool``, pandas' nullable ``boolean``,
    or an object column of Python/NumPy booleans only. A boolean is a 0/1 value (the
    Bernoulli's domain), not a text label."""
    dtype = getattr(column, "dtype", None)
    if dtype is not None and str(dtype) in ("bool", "boolean"):
        return True
    arr = np.asarray(column)
    if arr.dtype.kind == "b":
        return True
    if arr.dtype == object and arr.size:
        return all(isinstance(v, (bool, np.bool_)) for v in arr.ravel())
    return False


def is_text_column(column) -> bool:
    """Whether a column holds labels rather than numbers (strings, a pandas
    categorical; booleans are numbers 0/1, see :func:`is_boolean_column`)."""
    if is_boolean_column(column):
        return False
    dtype = getattr(column, "dtype", None)
    if dtype is not None and str(dtype) in ("category", "string"):
        return True
    arr = np.asarray(column)
    if arr.dtype.kind in "US":
        return True
    if arr.dtype == object:
        return any(isinstance(v, (str, bool, np.bool_)) for v in arr.ravel())
    return False


def _as_numbers(column):
    """A column's values as float64 (booleans as 0/1; pandas' missing value as NaN)."""
    if hasattr(column, "to_numpy") and str(getattr(column, "dtype", "")) == "boolean":
        return column.to_numpy(dtype=float, na_value=np.nan).ravel()
    return np.asarray(column, dtype=float).ravel()


def column_domain(column) -> str:
    """The domain of a column's values, in words.

    Parameters
    ----------
    column : array-like of shape (n_samples,)
        Finite numbers or booleans (0/1), or labels (strings, a pandas categorical).

    Returns
    -------
    str
        ``"categories"``, ``"values 0 or 1"``, ``"integers >= 1"``,
        ``"non-negative integers"``, ``"integers"``, ``"values in (0, 1)"``,
        ``"values > 0"`` or ``"real values"``.
    """
    if is_text_column(column):
        return CATEGORIES
    x = _as_numbers(column)
    if not np.all(np.isfinite(x)):
        raise ValueError("the column has NaN or infinite values: drop missing values first")
    if not x.size:  # every rule holds for no values: the first
        return BINARY
    return summary_domain(bool(np.all(x == np.floor(x))), float(x.min()), float(x.max()))


def summary_domain(integral: bool, low: float, high: float) -> str:
    """The domain of a column of finite numbers from three summaries: whether every
    value is an integer, the smallest and the largest value (what one pass over a
    column larger than memory gives; :func:`column_domain` on the values).

    Examples
    --------
    >>> from sklearn_mle.families._domains import summary_domain
    >>> summary_domain(True, 0.0, 1.0), summary_domain(False, 0.2, 7.5)
    ('values 0 or 1', 'values > 0')
    """
    if integral and low >= 0 and high <= 1:
        return BINARY
    if integral and low >= 1:
        return FROM_ONE
    if integral and low >= 0:
        return COUNTS
    if integral:
        return INTEGERS
    if low > 0 and high < 1:
        return UNIT
    if low > 0:
        return POSITIVE
    return REAL


def candidate_families(column) -> list[str]:
    """The families whose domain holds every value of ``column`` (names, e.g.
    ``"Gamma"``; the estimator class is the name plus ``"MLE"``).

    Text labels: the categorical. Numbers: integer values >= 0 get the discrete
    families that hold them, other numbers the continuous ones (a density and a
    probability mass function are never compared).
    """
    if column_domain(column) == CATEGORIES:
        return ["Categorical"]
    x = _as_numbers(column)
    kind = "discrete" if _counts(x) else "continuous"
    return [name for name, k, applies in FAMILY_DOMAINS if k == kind and applies(x)]


def default_family(column):
    """An unfitted estimator of the default family of the column's domain.

    Text labels: ``CategoricalMLE``; 0/1 and booleans: ``BernoulliMLE``; counts: ``PoissonMLE``;
    values in (0, 1): ``BetaMLE``; positive values: ``GammaMLE``; other numbers:
    ``GaussianMLE(covariance_type="diag")``.

    Examples
    --------
    >>> from sklearn_mle.families._domains import default_family
    >>> default_family([0.5, 2.0, 3.5])
    GammaMLE()
    """
    return domain_default_family(column_domain(column))


def domain_default_family(domain: str):
    """An unfitted estimator of the default family of a domain (a
    :func:`column_domain` or :func:`summary_domain` value)."""
    import sklearn_mle

    name = _DEFAULT[domain]
    cls = getattr(sklearn_mle, name + "MLE")
    return cls(covariance_type="diag") if name == "Gaussian" else cls()
