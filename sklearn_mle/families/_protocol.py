"""The public family protocol: what every estimator, mixture, HMM and naive Bayes uses.

A family is a small, stateless object (its constructor takes only fixed settings,
such as Binomial's ``n_trials``); it never stores data or estimates. Everything a
consumer needs goes through these methods:

``stats(X, weights=None)``      sufficient statistics in one pass (:class:`Stats`);
                                weights of shape (n, k) give k statistics at once
``mode(stats, fixed=None)``     the maximiser of ``loglik(stats, .)``: the MLE, or the
                                MAP when ``stats`` include a prior's pseudo-statistics
``loglik(stats, params)``       total log-likelihood per column, shape (d,)
``information(stats, params)``  observed information (negative Hessian), (d, p, p)
``scaled_information(...)``     the same in units of the parameters' scales, for
                                extreme magnitudes: ``(J, s)``, (d, p, p) and (d, p)
``logpdf(X, params)``           per-element log-density, (n, d); -inf off the support
``logpdf_rows(X, params_list)`` each row's log-density under k parameter sets, (n, k)
``score_rows(X, params)``       gradient of each element's log-density, (n, d, p)
``sample(params, n, rng)``      draws, (n, d)
``to_scipy(params)``            frozen ``scipy.stats`` distributions, one per column
``check(X)``                    the domain rules (``rules``): :class:`DomainError`

Parameters are dicts ``name -> ndarray`` with one entry per column (``param_names``
in order). ``fixed`` maps names to arrays with NaN where the value is free.

Priors: a conjugate prior turns into pseudo-statistics of the family
(``prior.pseudo_stats(family, n_features)``), so MAP is ``mode(stats + pseudo)`` and the
observed information of the log-posterior is ``information(stats + pseudo, params)``.
The families state how a prior reaches their statistics through small hooks named by
what the prior is about: ``rate_stats`` (a Gamma prior on a rate), ``probability_stats``
(a Beta prior on a probability), ``category_stats`` (a Dirichlet prior), and
``normal_stats`` (a normal-inverse-gamma prior).

Families without finite statistics (Weibull, negative binomial, Student-t) carry
the weighted data as their statistics and give per-block ``(loglik, gradient,
hessian)`` terms summed by the engine's ``map_reduce``; Newton runs outside.
"""

from __future__ import annotations

import numpy as np

from .._engine.rules import DomainError, check_rule
from ._stats import Stats

__all__ = ["Family", "ModeResult"]


class ModeResult(dict):
    """The estimates ``name -> array`` of :meth:`Family.mode`, plus how the solve went.

    A plain dict of parameters with two attributes: ``converged`` (bool) and
    ``n_iter`` (int; 0 for a closed form).
    """

    def __init__(self, params=(), converged: bool = True, n_iter: int = 0):
        super().__init__(params)
        self.converged = bool(converged)
        self.n_iter = int(n_iter)


class Family:
    """Base class of the families. Subclasses set the class attributes and fill the
    methods; see the module docstring for the protocol.

    Attributes
    ----------
    name : str
        Short name, the tag of the family's :class:`Stats`.
    param_names : tuple of str
        The parameters, in order.
    bounds : dict
        ``name -> (low, high)``: the open domain of each parameter.
    prior_param : str or None
        The parameter an elementwise prior applies to.
    supported_priors : tuple of str
        Names of the prior classes the family has pseudo-statistics for.
    finite_stats : bool
        False where the statistics are the weighted data (no ``partial_fit`` memory
        bound).
    integer_domain : bool
        Values are integers (counts, labels).
    rules : tuple of (str, callable)
        ``(rule, violates)``: ``violates(X)`` is a boolean mask of the values that
        break the rule.
    """

    name = "family"
    param_names: tuple[str, ...] = ()
    bounds: dict = {}
    prior_param: str | None = None
    supported_priors: tuple[str, ...] = ()
    finite_stats = True
    integer_domain = False
    rules: tuple = ()

    # ----------------------------------------------------------- identity
    @property
    def constants(self) -> tuple:
        """The family's fixed settings (part of its statistics' type)."""
        return ()

    def __eq__(self, other):
        from ._stats import _same_constants

        return type(other) is type(self) and _same_constants(self.constants, other.constants)

    def __hash__(self):
        return hash((type(self).__name__, repr(self.constants)))

    def __repr__(self):
        args = ", ".join(repr(c) for c in self.constants)
        return f"{type(self).__name__}({args})"

    def make_stats(self, cls=Stats, **fields) -> Stats:
        """Statistics of this family (tagged with its name and constants)."""
        return cls(self.name, self.constants, **fields)

    # ------------------------------------------------------------ domain
    def check(self, X) -> None:
        """Raise :class:`~sklearn_mle._engine.rules.DomainError` at the first value of
        ``X`` that breaks one of :attr:`rules` (in the order given)."""
        for rule, violates in self.rules:
            check_rule(X, violates, rule)

    # ---------------------------------------------------------- protocol
    def stats(self, X, weights=None, *, checked: bool = False):
        """Sufficient statistics of ``X`` under ``weights``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        weights : None, ndarray of shape (n_samples,) or (n_samples, k)
            None: unit weights. Two dimensions: one column of weights per component,
            and a tuple of k statistics is returned (one pass where the family can).
        checked : bool, default=False
            True when the caller already checked ``X`` against the domain (an EM
            step on data the prototype fit checked): skip the checks that are not
            free.

        Returns
        -------
        Stats, or tuple of k Stats
        """
        if weights is not None and np.ndim(weights) == 2:
            return tuple(self.stats(X, weights[:, j], checked=checked)
                         for j in range(weights.shape[1]))
        return self._stats(X, weights, checked)

    def _stats(self, X, weights, checked):  # pragma: no cover - abstract
        raise NotImplementedError

    def mode(self, stats: Stats, fixed: dict | None = None) -> ModeResult:
        """The parameters maximising ``loglik(stats, .)`` (free where ``fixed`` is NaN)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def loglik(self, stats: Stats, params: dict) -> np.ndarray:
        """Total log-likelihood of the statistics at ``params``, per column (d,)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def information(self, stats: Stats, params: dict) -> np.ndarray:
        """Observed information (negative Hessian of ``loglik``), shape (d, p, p)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def scaled_information(self, stats: Stats, params: dict) -> tuple[np.ndarray, np.ndarray]:
        """The observed information in units of the parameters' scales, ``(J, s)``.

        ``J[j, a, b] = s[j, a] * s[j, b] * I[j, a, b]`` for the information ``I`` of
        :meth:`information` and positive finite scales ``s`` of shape (d, p): the
        information of ``theta / s``. Families whose information leaves float64 long
        before the standard errors do (a probability or a rate near 1e-300, whose
        information ~ n / p**2 overflows; a variance near 1e300, whose information
        ~ n / variance**2 underflows) form ``J`` on the log or standardised scale,
        where it is of the order of the number of observations, and the inference
        maps back by the delta method. This default: ``s = 1``.
        """
        info = np.asarray(self.information(stats, params), dtype=float)
        return info, np.ones(info.shape[:2])

    @staticmethod
    def unscaled_information(scaled, scale) -> np.ndarray:
        """``I = J / (s s')`` from :meth:`scaled_information`'s ``(J, s)`` (entries beyond
        the float range are inf or 0): what a family forming ``J`` returns from
        :meth:`information`."""
        scale = np.asarray(scale, dtype=float)
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            # one factor at a time: s s' itself under- or overflows first
            return np.asarray(scaled, dtype=float) / scale[:, :, None] / scale[:, None, :]

    def logpdf(self, X, params: dict) -> np.ndarray:
        """Log-density of each element, shape (n, d); ``-inf`` outside the support."""
        raise NotImplementedError  # pragma: no cover - abstract

    def logpdf_rows(self, X, params_list) -> np.ndarray:
        """Log-density of each row (its columns' log-densities summed) under each of k
        parameter sets, shape (n, k); -inf where a row is outside the support.

        What a mixture's or an HMM's E-step needs; families override it where the k
        densities share work (one matrix product instead of k passes)."""
        out = np.empty((X.shape[0], len(params_list)))
        for j, p in enumerate(params_list):
            with np.errstate(divide="ignore", invalid="ignore"):
                lp = self.logpdf(X, p)
            out[:, j] = np.where(np.isnan(lp), -np.inf, lp).sum(axis=1)
        return out

    def score_rows(self, X, params: dict) -> np.ndarray:
        """Gradient of each element's log-density with respect to each parameter,
        shape (n, d, p) (``param_names`` order); parameters are one value per column.

        What a mixture's observed information (Louis' method) needs. This default
        takes central differences of :meth:`logpdf` with a step inside the parameter's
        domain (accurate to ~1e-9 relative); families override it with the exact
        derivative.
        """
        out = np.empty(X.shape + (len(self.param_names),))
        for i, name in enumerate(self.param_names):
            theta = np.asarray(params[name], dtype=float)
            lo, hi = self.bounds.get(name, (-np.inf, np.inf))
            h = 1e-6 * np.maximum(np.abs(theta), 1e-3)
            # within 1e-6 of the distance to a bound, not a quarter of it: a rate of
            # 3e-11 (data near 1e10) or a p of 1e-300 took steps of 25% of itself
            h = np.minimum(h, 1e-6 * np.minimum(theta - lo, hi - theta))
            up, down = theta + h, theta - h
            with np.errstate(invalid="ignore", divide="ignore"):
                # the steps as float64 holds them (near a bound they round)
                out[:, :, i] = ((self.logpdf(X, dict(params, **{name: up}))
                                 - self.logpdf(X, dict(params, **{name: down})))
                                / (up - down))
        return out

    def sample(self, params: dict, n: int, rng) -> np.ndarray:
        """``n`` draws per column, shape (n, d)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def to_scipy(self, params: dict) -> list:
        """Frozen ``scipy.stats`` distributions, one per column."""
        raise NotImplementedError  # pragma: no cover - abstract

    def log_prior(self, prior, params: dict) -> float:
        """Log-density of ``prior`` at ``params`` (elementwise on ``prior_param``)."""
        return float(np.sum(prior.logpdf(params[self.prior_param])))

    def n_features(self, stats: Stats) -> int:
        """Columns described by ``stats``."""
        return int(np.size(stats.weight))


__all__ += ["DomainError"]
