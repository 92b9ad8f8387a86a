"""Input generators for the fuzz suite, chosen by what an estimator is, not by its name.

An estimator is fuzzed according to its *kind* (a density estimator ``fit(X)``, a
classifier or a regressor ``fit(X, y)``) and to the *domains* its data may come from.
Domains are discovered by probing: each candidate domain's canonical data set is fitted
once (with warnings silenced); the domains whose fit succeeds are the estimator's. So a
new public estimator (a hidden Markov model, a generative classifier, a grid search
over information criteria) is fuzzed as soon as it is exported, and one whose
data cannot be generated here (no candidate domain fits) is skipped with the reason.

A *case* is ``(X, y, sample_weight)``. Its values come from a NumPy generator seeded by
hypothesis, while hypothesis itself draws (and shrinks) what matters for a failure:
the domain, the shape, the magnitude, the structure (constant column, duplicated rows)
and the weights' kind and scale. A failure's minimal example is therefore a short tuple
that a regression test can replay with :func:`make_case`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from sklearn.base import clone, is_classifier, is_regressor

# ---------------------------------------------------------------- domains
# name -> (continuous?, generator(rng, n, d, magnitude_exponent) -> (n, d) array)


def _real(rng, n, d, mag):
    return rng.standard_t(4.0, (n, d)) * 10.0 ** mag + rng.normal(0, 3, d) * 10.0 ** mag


def _positive(rng, n, d, mag):
    return rng.gamma(rng.uniform(0.3, 5.0, d), 1.0, (n, d)) * 10.0 ** mag


def _unit(rng, n, d, mag):
    # mag pushes the shapes apart: values crowd near 0 or 1
    a = 10.0 ** rng.uniform(-abs(mag) / 3 - 0.5, 0.7, d)
    b = 10.0 ** rng.uniform(-0.5, 0.7, d)
    x = rng.beta(a, b, (n, d))
    return np.clip(x, 1e-300, 1 - 1e-16)


def _counts(rng, n, d, mag):
    lam = 10.0 ** (rng.uniform(-1.0, 1.2, d) + max(mag, 0) / 4)
    return rng.poisson(np.minimum(lam, 1e15), (n, d)).astype(float)


def _positive_int(rng, n, d, mag):
    p = np.clip(10.0 ** rng.uniform(-2.0 - max(mag, 0) / 4, -0.05, d), 1e-12, 1.0)
    return rng.geometric(p, (n, d)).astype(float)


def _binary(rng, n, d, mag):
    return (rng.random((n, d)) < rng.uniform(0.05, 0.95, d)).astype(float)


def _categories(rng, n, d, mag):
    return rng.integers(0, 4, (n, d)).astype(float)


DOMAINS = {
    "real": (True, _real),
    "positive": (True, _positive),
    "unit": (True, _unit),
    "counts": (False, _counts),
    "positive_int": (False, _positive_int),
    "binary": (False, _binary),
    "categories": (False, _categories),
}


def _labels(rng, n, k):
    y = rng.integers(0, k, n)
    y[: min(n, k)] = np.arange(min(n, k))  # every class present when n allows
    return y


TARGETS = {
    # supervised targets: name -> generator(rng, X, mag)
    "binary": lambda rng, X, mag: _labels(rng, X.shape[0], 2),
    "labels3": lambda rng, X, mag: _labels(rng, X.shape[0], 3),
    "strings": lambda rng, X, mag: np.array(["no", "yes"])[_labels(rng, X.shape[0], 2)],
    "real": lambda rng, X, mag: (X @ rng.normal(size=X.shape[1]) + rng.normal(size=X.shape[0]))
    * 10.0 ** mag,
    "counts": lambda rng, X, mag: rng.poisson(
        np.exp(np.clip(X @ rng.normal(0, 0.3, X.shape[1]), -5, 5)) * 2.0).astype(float),
}


# ---------------------------------------------------------------- kinds
def kind_of(est) -> str:
    if is_classifier(est):
        return "classifier"
    if is_regressor(est):
        return "regressor"
    return "density"


def supervised(est) -> bool:
    return kind_of(est) != "density"


def _probe(est, X, y):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            clone(est).fit(X, y) if y is not None else clone(est).fit(X)
        except Exception:  # noqa: BLE001 - a failed probe only means "not this domain"
            return False
    return True


_PROBE_CACHE: dict = {}


def domains_of(est) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(X domains, y domains) the estimator accepts: those whose canonical data fit."""
    key = repr(est)
    if key in _PROBE_CACHE:
        return _PROBE_CACHE[key]
    rng = np.random.default_rng(12345)
    if supervised(est):
        X = _real(rng, 60, 2, 0.0)
        names = ["binary", "labels3", "strings"] if is_classifier(est) else ["real", "counts"]
        ys = tuple(t for t in names if _probe(est, X, TARGETS[t](np.random.default_rng(1), X, 0)))
        xs = ("real",) if ys else ()
    else:
        xs = tuple(name for name, (_, gen) in DOMAINS.items()
                   if _probe(est, gen(np.random.default_rng(7), 60, 2, 0.0), None))
        ys = ()
    _PROBE_CACHE[key] = (xs, ys)
    return xs, ys


# ---------------------------------------------------------------- cases
@dataclass(frozen=True)
class Spec:
    """What hypothesis draws; :func:`make_case` turns it into arrays (replayable)."""

    domain: str
    target: str | None
    n: int
    d: int
    mag: float
    structure: str  # "plain", "constant_column", "duplicated", "one_value", "single_row"
    weights: str  # "none", "ones", "random", "integer", "some_zero"
    weight_scale: float
    seed: int


def make_case(spec: Spec):
    rng = np.random.default_rng(spec.seed)
    n = 1 if spec.structure == "single_row" else spec.n
    _, gen = DOMAINS[spec.domain]
    with np.errstate(all="ignore"):
        X = gen(rng, n, spec.d, spec.mag)
    if spec.structure == "constant_column":
        X[:, 0] = X[0, 0]
    elif spec.structure == "duplicated":
        X = np.vstack([X, X[: max(1, n // 2)]])
    elif spec.structure == "one_value":
        X[:] = X[0, 0]
    n = X.shape[0]
    y = None
    if spec.target is not None:
        with np.errstate(all="ignore"):
            y = TARGETS[spec.target](rng, X, spec.mag if spec.target == "real" else 0)
    w = None
    if spec.weights == "ones":
        w = np.ones(n)
    elif spec.weights == "random":
        w = rng.uniform(0.1, 3.0, n)
    elif spec.weights == "integer":
        w = rng.integers(1, 4, n).astype(float)
    elif spec.weights == "some_zero":
        w = rng.integers(0, 3, n).astype(float)
        w[0] = 1.0
    if w is not None:
        w = w * spec.weight_scale
    return X, y, w


@st.composite
def specs(draw, est, *, extreme: bool = True, weights=("none", "ones", "random", "integer",
                                                         "some_zero")):
    """A :class:`Spec` in one of the estimator's domains (hypothesis strategy)."""
    xs, ys = domains_of(est)
    domain = draw(st.sampled_from(xs))
    target = draw(st.sampled_from(ys)) if ys else None
    continuous = DOMAINS[domain][0]
    if extreme and continuous:
        mag = draw(st.one_of(st.floats(-3, 3), st.sampled_from([-300.0, -150.0, -40.0, 40.0,
                                                                150.0, 300.0])))
    elif extreme:
        mag = draw(st.sampled_from([0.0, 0.0, 4.0, 20.0, 40.0, 60.0]))
    else:
        mag = draw(st.floats(-2, 2))
    wkind = draw(st.sampled_from(weights))
    scale = draw(st.sampled_from([1.0, 1e-8, 1e8, 1e-200, 1e200])) if extreme else 1.0
    return Spec(
        domain=domain,
        target=target,
        n=draw(st.integers(2, 40)),
        d=1 if supervised(est) and draw(st.booleans()) else draw(st.integers(1, 3)),
        mag=float(mag),
        structure=draw(st.sampled_from(["plain", "plain", "plain", "constant_column",
                                        "duplicated", "one_value", "single_row"])),
        weights=wkind,
        weight_scale=scale,
        seed=draw(st.integers(0, 2**32 - 1)),
    )


# corruptions of a valid case: each must give a clean error or a result
CORRUPTIONS = (
    "nan", "inf", "neg_inf", "negative", "half", "above_one", "huge", "empty",
    "one_dim", "weights_negative", "weights_nan", "weights_inf", "weights_zero",
    "weights_length", "y_length", "y_nan", "object_strings", "denormal",
)


def corrupt(X, y, w, how: str, rng):
    X = np.array(X, dtype=float, copy=True)
    i, j = int(rng.integers(X.shape[0])), int(rng.integers(X.shape[1]))
    if how == "nan":
        X[i, j] = np.nan
    elif how == "inf":
        X[i, j] = np.inf
    elif how == "neg_inf":
        X[i, j] = -np.inf
    elif how == "negative":
        X[i, j] = -abs(X[i, j]) - 1.0
    elif how == "half":
        X[i, j] = 0.5
    elif how == "above_one":
        X[i, j] = 1.5
    elif how == "huge":
        X[i, j] = 1.7e308
    elif how == "denormal":
        X[i, j] = 5e-324
    elif how == "empty":
        X = X[:0]
        y = None if y is None else y[:0]
        w = None if w is None else w[:0]
    elif how == "one_dim":
        X = X[:, 0]
    elif how == "object_strings":
        X = X.astype(object)
        X[i, j] = "a"
    elif how.startswith("weights_"):
        w = np.ones(X.shape[0]) if w is None else np.array(w, dtype=float, copy=True)
        if how == "weights_negative":
            w[i] = -1.0
        elif how == "weights_nan":
            w[i] = np.nan
        elif how == "weights_inf":
            w[i] = np.inf
        elif how == "weights_zero":
            w[:] = 0.0
        elif how == "weights_length":
            w = np.r_[w, 1.0]
    elif how == "y_length" and y is not None:
        y = np.r_[y, y[:1]]
    elif how == "y_nan" and y is not None:
        y = np.array(y, dtype=object if y.dtype.kind in "OU" else float, copy=True)
        y[i] = np.nan if y.dtype != object else None
    return X, y, w
