"""The candidate families of :func:`~sklearn_mle.model_selection.rank_distributions`.

The registry below maps a family name to its estimator class (looked up by name in
:mod:`sklearn_mle` at call time, so families added later join automatically), the
kind of data it models and the domain it needs; the functions pick the candidates
by name, by the data's domain, and add the threshold variants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..families._domains import candidate_families
from ..families._domains import column_domain as _domain_of

__all__ = ["FAMILIES", "Family", "column_domain", "default_candidates", "resolve_families",
           "with_shifted"]


@dataclass(frozen=True)
class Family:
    """A candidate family of :func:`rank_distributions`.

    Attributes
    ----------
    name : str
        Short name, e.g. ``"Gamma"``.
    class_name : str
        Name of the estimator class in :mod:`sklearn_mle`, e.g. ``"GammaMLE"``.
    kind : {"continuous", "discrete"}
        Whether the family is a density or a probability mass function.
    domain : str
        The data domain the family needs, in words.
    applies : callable
        ``applies(x) -> bool`` for a 1-D float array of finite values.
    default : bool
        Whether the family is a candidate when no families are named.
    note : str
        A remark shown with every fit of the family.
    params : dict
        Constructor arguments of the estimator (e.g. a one-column Gaussian is fitted
        with ``covariance_type="diag"``, which supports profile intervals).
    """

    name: str
    class_name: str
    kind: str
    domain: str
    applies: Callable[[np.ndarray], bool]
    default: bool = True
    note: str = ""
    params: dict = field(default_factory=dict)


def _is_int(x):
    return bool(np.all(x == np.floor(x)))


def _real(x):
    return True


def _positive(x):
    return bool(np.all(x > 0))


def _unit(x):
    return bool(np.all((x > 0) & (x < 1)))


def _counts(x):
    return _is_int(x) and bool(np.all(x >= 0))


def _counts_from_one(x):
    return _is_int(x) and bool(np.all(x >= 1))


def _binary(x):
    return bool(np.all((x == 0) | (x == 1)))


FAMILIES: tuple[Family, ...] = (
    Family("Gaussian", "GaussianMLE", "continuous", "real values", _real,
           params={"covariance_type": "diag"}),
    Family("StudentT", "StudentTMLE", "continuous", "real values", _real),
    Family("Exponential", "ExponentialMLE", "continuous", "values > 0", _positive),
    Family("Gamma", "GammaMLE", "continuous", "values > 0", _positive),
    Family("LogNormal", "LogNormalMLE", "continuous", "values > 0", _positive),
    Family("Weibull", "WeibullMLE", "continuous", "values > 0", _positive),
    Family("Beta", "BetaMLE", "continuous", "values in (0, 1)", _unit),
    Family("Poisson", "PoissonMLE", "discrete", "non-negative integers", _counts),
    Family(
        "NegativeBinomial", "NegativeBinomialMLE", "discrete", "non-negative integers", _counts
    ),
    Family("Geometric", "GeometricMLE", "discrete", "integers >= 1", _counts_from_one),
    Family(
        "Binomial",
        "BinomialMLE",
        "discrete",
        "non-negative integers",
        _counts,
        default=False,
        note="n_trials = max(x), taken as known",
    ),
    Family("Bernoulli", "BernoulliMLE", "discrete", "values 0 or 1", _binary),
    # three-parameter variants with a fitted threshold (opt-in: ``shifted=True`` or by
    # name); their support x > loc follows the data, so they apply to any real values
    Family("ShiftedGamma", "ShiftedMLE", "continuous", "real values", _real, default=False,
           params={"estimator": "GammaMLE"}),
    Family("ShiftedLogNormal", "ShiftedMLE", "continuous", "real values", _real,
           default=False, params={"estimator": "LogNormalMLE"}),
    Family("ShiftedWeibull", "ShiftedMLE", "continuous", "real values", _real,
           default=False, params={"estimator": "WeibullMLE"}),
)
#: The threshold variant of each two-parameter family that has one.
_SHIFTED = {"Gamma": "ShiftedGamma", "LogNormal": "ShiftedLogNormal",
            "Weibull": "ShiftedWeibull"}


def column_domain(x) -> str:
    """The domain of the values in ``x``, in words (drives the default candidates).

    Parameters
    ----------
    x : array-like of shape (n_samples,)

    Returns
    -------
    str
        One of ``"values 0 or 1"``, ``"integers >= 1"``, ``"non-negative integers"``,
        ``"integers"``, ``"values in (0, 1)"``, ``"values > 0"``, ``"real values"``.

    Examples
    --------
    >>> from sklearn_mle.model_selection import column_domain
    >>> column_domain([0, 3, 1]), column_domain([0.5, 2.0]), column_domain([-1.5, 2])
    ('non-negative integers', 'values > 0', 'real values')
    """
    return _domain_of(np.asarray(x, dtype=float).ravel())


def resolve_families(names) -> list[Family] | None:
    """The :class:`Family` entries for family names (``"Gamma"`` or ``"GammaMLE"``,
    case-insensitive); None for None. Raises ``ValueError`` naming the known families
    for an unknown name.

    Examples
    --------
    >>> from sklearn_mle.model_selection import resolve_families
    >>> [f.class_name for f in resolve_families(["gamma", "PoissonMLE"])]
    ['GammaMLE', 'PoissonMLE']
    """
    return _lookup(names)


def _lookup(names):
    if names is None:
        return None
    if isinstance(names, str):
        names = [names]
    index = {}
    for fam in FAMILIES:
        index[fam.name.lower()] = fam
        index[fam.class_name.lower()] = fam
    out = []
    for raw in names:
        key = str(raw).strip().lower()
        if key not in index:
            known = ", ".join(f.name for f in FAMILIES)
            raise ValueError(f"unknown family {str(raw)!r}; known families: {known}")
        if index[key] not in out:
            out.append(index[key])
    if not out:
        raise ValueError("families is empty: name at least one family or pass None")
    return out


def default_candidates(x):
    """Every default family of the data's domain (the package's one domain rule)."""
    names = candidate_families(x)
    return [f for f in FAMILIES if f.default and f.name in names]



def with_shifted(chosen, families_named):
    """``chosen`` plus the threshold variants: of each named Gamma/LogNormal/Weibull,
    or, for the default candidates of continuous data, all three."""
    names = [f.name for f in chosen]
    continuous = any(f.kind == "continuous" for f in chosen)
    extra = [v for k, v in _SHIFTED.items()
             if (k in names or (not families_named and continuous)) and v not in names]
    return chosen + [f for f in FAMILIES if f.name in extra]
