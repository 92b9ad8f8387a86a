"""One density per class: fitting them and scoring rows under all of them.

Two ways, chosen from the density:

- a distribution estimator of the package with finite statistics
  (:class:`~sklearn_mle.distributions.DistributionMLE`): a prototype fit fixes the
  family's settings (a categorical column's category set, a binomial's trials) and
  resolves the prior's data-dependent defaults once, as a mixture does; then ONE
  statistics pass with the (n, k) one-hot class weights gives the k classes'
  statistics (the family's batched ``stats``: a matrix product, a histogram), and
  each class's density is ``from_stats`` of its own. The prototype is fitted on the
  first rows when the statistics pass confirms their settings hold for every row
  (and no prior takes defaults from the data), else on all rows. Scoring is the family's
  ``logpdf_rows``: the k classes' log-densities at once (matrix products for the
  Gaussian, Bernoulli, ...).
- an :class:`IndependentMLE` (a product over column groups): the same, part by part.
- any other density estimator (a mixture, a full-covariance Gaussian with another
  estimator's API): a clone fitted on each class's rows, scored by ``score_samples``.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import clone

from .._engine.blocks import map_blocks
from ..distributions import DistributionMLE
from ..exceptions import BoundaryWarning

__all__ = ["ClassFitError", "class_log_densities", "fit_per_class", "take_rows",
           "update_per_class"]


class ClassFitError(ValueError):
    """A class's density could not be fitted (the message names the class)."""


def take_rows(X, rows):
    """Rows of an array or a DataFrame (a DataFrame stays one: columns by name)."""
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    return X[rows]


def as_matrix(X):
    """The values of X as an ndarray: float64 where every value is a number, else
    object (text categories)."""
    arr = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
    if arr.dtype.kind in "fiub":
        return arr if arr.dtype in (np.float64, np.float32) else arr.astype(np.float64)
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError):
        return arr


def stats_path(density) -> bool:
    """Whether the density is fitted per class through its family's statistics."""
    from ._independent import IndependentMLE

    if isinstance(density, IndependentMLE):
        return True
    return isinstance(density, DistributionMLE) and hasattr(density, "partial_fit")


def _label(classes, k):
    v = classes[k]
    return v.item() if hasattr(v, "item") else v


def _reemit(caught, label, single, owner):
    """The warnings of one class's fit, said once with the class (and, for a class with
    a single row, the remedy: a prior)."""
    for w in caught:
        msg = f"{owner}: class {label!r}: {w.message}"
        category = w.category
        if single:
            msg = (f"{owner}: class {label!r} has a single training row, so the spread of "
                   "its density has no MLE (e.g. a variance of 0). Give the density a prior "
                   "(GaussianMLE(covariance_type='diag', prior=NormalInverseGamma()), "
                   f"BernoulliMLE(prior=Beta(2, 2)), ...), or merge the class. ({w.message})")
            category = BoundaryWarning
        warnings.warn(msg, category, stacklevel=4)


def fit_per_class(density, X, Y, w, rows_per_class, classes, owner="GenerativeClassifier"):
    """The fitted density of each class (None for a class without rows), and the state
    :func:`update_per_class` continues from.

    Parameters
    ----------
    density : estimator
        The unfitted template.
    X : array-like or DataFrame of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, k)
        Class weights: one-hot labels times the sample weights.
    w : ndarray of shape (n_samples,) or None
        The sample weights (None: ones).
    rows_per_class : ndarray of shape (k,)
        Rows of positive weight in each class (a single row gets a warning).
    classes : ndarray
        The labels, for the messages.

    Returns
    -------
    densities : list
    state : (prototype, statistics per class) or None
    """
    if stats_path(density):
        found = _head_prototype(density, X, Y, w)
        if found is None:
            try:
                with warnings.catch_warnings():
                    # the fit to all rows only fixes settings; its warnings are not the
                    # classes'
                    warnings.simplefilter("ignore")
                    proto = clone(density).fit(X, sample_weight=w)
            except ValueError as err:
                # the per-class fits name the class the error comes from
                _raise_named(density, X, Y, rows_per_class, classes, owner, err)
            found = (proto, class_stats(proto, X, Y)) if _finite(proto) else None
        if found is not None:
            proto, stats = found
            return _from_stats(proto, stats, rows_per_class, classes, owner), (proto, stats)
    return [_fit_one(density, X, Y[:, k], rows_per_class[k], _label(classes, k), owner)
            for k in range(Y.shape[1])], None


#: rows the prototype's settings are learnt from before the one statistics pass
HEAD_ROWS = 1024


def _head_prototype(density, X, Y, w):
    """``(prototype, class statistics)`` with the prototype fitted on the first rows
    only, or None.

    The family's settings (a categorical column's categories, a binomial's trials)
    learnt from the first rows are those of all rows when every row lies in their
    domain, which the statistics pass checks (unchecked): then one pass over the data
    suffices. A prior whose defaults are resolved from the data needs them all, and
    a row outside the settings (a category first seen later) falls back to the fit
    on all rows.
    """
    n = _n_rows(X)
    if n <= HEAD_ROWS or _resolves(density):
        return None
    head = slice(0, HEAD_ROWS)
    try:
        with warnings.catch_warnings(), one_blas_thread():
            warnings.simplefilter("ignore")
            proto = clone(density).fit(take_rows(X, head),
                                       sample_weight=None if w is None else w[head])
        if not _finite(proto):
            return None
        return proto, class_stats(proto, X, Y, checked=False)
    except ValueError:  # DomainError included: the settings of the head do not hold
        return None


def _resolves(density):
    """Whether a prior of the density (or of a part) takes defaults from the data."""
    from ._independent import IndependentMLE

    if isinstance(density, IndependentMLE):
        parts = [e for _, e, _ in density.estimators]
        if density.remainder != "drop":
            parts.append(density.remainder)
        return any(_resolves(e) for e in parts)
    return hasattr(getattr(density, "prior", None), "resolve")


def update_per_class(density, state, densities, X, Y, w, rows_total, classes,
                     owner="GenerativeClassifier"):
    """:func:`fit_per_class` continued with a batch (equal to the fit on all batches)."""
    if state is not None:
        proto, old = state
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                proto.partial_fit(X, sample_weight=w)
        except ValueError as err:
            _raise_named(density, X, Y, Y.astype(bool).sum(axis=0), classes, owner, err)
        new = class_stats(proto, X, Y)
        stats = [accumulate(proto, a, b) for a, b in zip(old, new)]
        return _from_stats(proto, stats, rows_total, classes, owner), (proto, stats)
    out = []
    for k, est in enumerate(densities):
        rows = np.flatnonzero(Y[:, k] > 0)
        if rows.size == 0:
            out.append(est)
            continue
        label = _label(classes, k)
        est = clone(density) if est is None else est
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                est.partial_fit(take_rows(X, rows), sample_weight=Y[rows, k])
            except ValueError as err:
                raise ClassFitError(f"{owner}: class {label!r}: {err}") from err
        _reemit(caught, label, rows_total[k] == 1, owner)
        out.append(est)
    return out, None


def accumulate(proto, old, new):
    """Statistics of the batches so far plus a batch's, in the prototype's (possibly
    grown) family: a categorical family that met new categories re-expresses the old
    counts over the union (``align``)."""
    from ._independent import IndependentMLE

    if isinstance(proto, IndependentMLE):
        return tuple(accumulate(p, a, b) for p, a, b in zip(proto.estimators_, old, new))
    align = getattr(proto.family_, "align", None)
    return (old if align is None else align(old)) + new


_controller = None


def one_blas_thread():
    """BLAS limited to one thread: the classes' small solves (inverse information of a
    few hundred parameters) take ~0.1 ms there and ~50 ms with two threads on a busy
    machine (OpenBLAS wakes and waits for its threads on every call)."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def _from_stats(proto, stats, rows_per_class, classes, owner):
    out = []
    for k, s in enumerate(stats):
        if rows_per_class[k] == 0:
            out.append(None)
            continue
        with warnings.catch_warnings(record=True) as caught, one_blas_thread():
            warnings.simplefilter("always")
            out.append(proto.from_stats(s))
        _reemit(caught, _label(classes, k), rows_per_class[k] == 1, owner)
    return out


def _raise_named(density, X, Y, rows_per_class, classes, owner, err):
    """Fit each class alone to find the one the error comes from; the error as it was
    when no class alone raises it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(Y.shape[1]):
            _fit_one(density, X, Y[:, k], rows_per_class[k], _label(classes, k), owner)
    raise err


def _finite(proto):
    from ._independent import IndependentMLE

    if isinstance(proto, IndependentMLE):
        return all(_finite(p) for p in proto.estimators_)
    return bool(getattr(proto.family_, "finite_stats", False))


def class_stats(proto, X, Y, checked=True):
    """The k classes' statistics of a fitted prototype's family in one pass (for an
    IndependentMLE: a tuple per class of its parts' statistics). ``checked``: the
    prototype was fitted on all of X (its domain checks hold)."""
    from ._independent import IndependentMLE

    if isinstance(proto, IndependentMLE):
        parts = [class_stats(est, proto.part_data(X, i), Y, checked)
                 for i, est in enumerate(proto.estimators_)]
        return [tuple(p[k] for p in parts) for k in range(Y.shape[1])]
    return proto.family_.stats(as_matrix(X), Y, checked=checked)


def _fit_one(density, X, weights, n_rows, label, owner):
    if n_rows == 0:
        return None
    rows = np.flatnonzero(weights > 0)
    w = weights[rows]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est = clone(density)
            if np.all(w == 1.0):
                est.fit(take_rows(X, rows))
            else:
                est.fit(take_rows(X, rows), sample_weight=w)
        except ValueError as err:
            raise ClassFitError(f"{owner}: class {label!r}: {err}") from err
    _reemit(caught, label, n_rows == 1, owner)
    return est


def _params(est):
    return {name: getattr(est, name + "_") for name in est.family_.param_names}


def class_log_densities(densities, X, n_jobs=None):
    """``log p(x_i | class k)``, shape (n, k); -inf for a class without a density."""
    from ._independent import IndependentMLE

    k = len(densities)
    fitted = [d for d in densities if d is not None]
    out = np.full((_n_rows(X), k), -np.inf)
    if not fitted:
        return out
    idx = [j for j, d in enumerate(densities) if d is not None]
    first = fitted[0]
    if all(isinstance(d, IndependentMLE) for d in fitted):
        total = 0.0
        for i in range(len(first.estimators_)):
            part = [d.estimators_[i] for d in fitted]
            total = total + class_log_densities(part, first.part_data(X, i), n_jobs)
        out[:, idx] = total
        return out
    if (all(isinstance(d, DistributionMLE) for d in fitted)
            and all(d.family_ == first.family_ for d in fitted)):
        params = [_params(d) for d in fitted]
        family = first.family_
        extra = {}
        if all(hasattr(d, "unseen_log_proba") for d in fitted):
            # a category no training row showed: its share of each class's prior
            unseen = np.array([d.unseen_log_proba() for d in fitted])
            if np.isfinite(unseen).any():
                extra = {"unseen": unseen}

        def block(xb):
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                lp = family.logpdf_rows(xb, params, **extra)
            return np.where(np.isnan(lp), -np.inf, lp)

        out[:, idx] = map_blocks(block, as_matrix(X), n_jobs=n_jobs, limit_blas=True)
        return out
    for j in idx:
        out[:, j] = densities[j].score_samples(X)
    return out


def _n_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


def outside_column(densities, X, row):
    """``(column position, value)`` of a value of ``row`` that every class's density
    gives probability 0 (a category never seen in training), or None when no single
    column says it (a joint density such as the multinomial)."""
    from ._independent import IndependentMLE

    fitted = [d for d in densities if d is not None]
    if not fitted:
        return None
    first = fitted[0]
    if all(isinstance(d, IndependentMLE) for d in fitted):
        for i, cols in enumerate(first.columns_):
            found = outside_column([d.estimators_[i] for d in fitted], first.part_data(X, i),
                                   row)
            if found is not None:
                return int(cols[found[0]]), found[1]
        return None
    if not all(isinstance(d, DistributionMLE) for d in fitted):
        return None
    xr = as_matrix(take_rows(X, slice(row, row + 1)))
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = np.vstack([d.family_.logpdf(xr, _params(d)) for d in fitted])
    if lp.shape[1] != xr.shape[1]:
        return None
    dead = np.flatnonzero(np.all(~(lp > -np.inf), axis=0))
    if dead.size == 0:
        return None
    value = xr[0, dead[0]]
    return int(dead[0]), value.item() if hasattr(value, "item") else value
