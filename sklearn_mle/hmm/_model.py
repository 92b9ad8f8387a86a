"""HiddenMarkovModel: Baum-Welch (EM, or MAP-EM) over any distribution estimator."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._engine.blocks import map_reduce
from .._engine.dask import is_dask
from ..base import LikelihoodMixin
from ..exceptions import ComponentCollapseWarning
from ..mixture._base import initial_responsibilities
from ..mixture._emission import Emission
from ..priors import Dirichlet
from . import _estep
from ._bootstrap import HMMBootstrapMixin
from ._chain import HMMChainMixin
from ._dask import HMMDaskMixin
from ._inference import HMMInferenceMixin
from ._scoring import HMMScoringMixin
from ._sequences import sequence_bounds, sequence_weights
from ._symbols import symbol_codes, symbol_rows

__all__ = ["HiddenMarkovModel"]


class HiddenMarkovModel(HMMChainMixin, HMMDaskMixin, HMMScoringMixin, HMMInferenceMixin,
                        HMMBootstrapMixin, LikelihoodMixin, DensityMixin, BaseEstimator):
    """Hidden Markov model with any emission family, fitted by Baum-Welch (EM or MAP-EM).

    A hidden state ``z_t`` in ``{0, ..., n_components - 1}`` follows a Markov chain
    (start probabilities ``startprob_``, transition matrix ``transmat_``), and row
    ``x_t`` is drawn from state ``z_t``'s emission distribution, one fitted copy of
    ``emission`` per state. The E-step is the forward-backward algorithm (scaled,
    with log normalisers: no underflow on sequences of any length); the M-step
    gives each state's emission the mode of its posterior-weighted sufficient
    statistics through the family's public protocol (its closed form or Newton
    solve), and the start and transition probabilities their expected counts plus
    the Dirichlet prior's pseudo-counts.

    Parameters
    ----------
    emission : estimator or None, default=None
        A distribution estimator of the package used as prototype for every state,
        e.g. ``GaussianMLE(covariance_type="diag")``, ``PoissonMLE()``,
        ``CategoricalMLE()``, ``BernoulliMLE()``, ``GammaMLE()``; its ``prior`` and
        ``fixed_params`` apply to every state. None:
        ``GaussianMLE(covariance_type="full")``. With ``CategoricalMLE()``, ``X`` may
        hold text symbols (no encoding needed, as for ``CategoricalMLE``).
    n_components : int, default=2
        Number of hidden states.
    prior : Dirichlet, dict or None, default=None
        Dirichlet prior (``alpha >= 1``) on the start probabilities and on each row
        of the transition matrix (MAP-EM: ``alpha - 1`` pseudo-counts), or a dict
        ``{"startprob": Dirichlet or None, "transmat": Dirichlet or None}``. With
        ``alpha > 1`` no probability reaches 0 and a state that is never entered
        keeps a valid row.
    n_init : int, default=1
        Restarts (each on its own random stream); the best objective is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default="kmeans"
        How the emissions start: fitted to initial state responsibilities drawn as
        scikit-learn's mixtures draw them (ignored when ``emissions_init`` is given).
    startprob_init : array-like of shape (n_components,), default=None
        Starting start probabilities (None: uniform).
    transmat_init : array-like of shape (n_components, n_components), default=None
        Starting transition matrix (None: uniform rows).
    emissions_init : list of dict, default=None
        Starting emission parameters, one dict ``name -> array`` per state in the
        family's parametrisation (e.g. ``{"mean": ..., "covariance": ...}``).
    tol : float, default=1e-4
        Stop when the objective (mean log-likelihood per unit weight, log-posterior
        under priors) gains less than ``tol``.
    max_iter : int, default=100
        EM iterations per restart.
    random_state : int, RandomState instance or None, default=None
    algorithm : {"viterbi", "map"}, default="viterbi"
        What :meth:`predict` and :meth:`decode` return: the most probable path
        (Viterbi) or each row's most probable state.
    n_jobs : int or None, default=None
        Threads over blocks of sequences and rows (scikit-learn's meaning).
    verbose : int, default=0

    Attributes
    ----------
    startprob_ : ndarray of shape (n_components,)
    transmat_ : ndarray of shape (n_components, n_components)
    emissions_ : list of fitted estimators
        One fitted clone of ``emission`` per state (its parameters, ``params_``).
    converged_ : bool
        True only when the tolerance was met (never for merely reaching max_iter).
    n_iter_ : int
    lower_bound_ : float
        The objective at the final parameters (after the last M-step).
    lower_bounds_ : ndarray
        The objective after each M-step of the best restart.
    init_lower_bounds_ : ndarray of shape (n_init,)
    loglik_ : float
        Total (weighted) log-likelihood of the training sequences (plus the log
        priors under priors).
    nobs_ : float
        Weighted number of training rows.
    n_params_ : int
        ``n_components - 1`` start, ``n_components (n_components - 1)`` transition
        and every state's emission parameters.
    param_names_, estimates_, cov_params_, bse_, pvalues_
        The inference surface (computed when first read; see :meth:`summary`).

    Notes
    -----
    :meth:`score` is the mean log-likelihood per row (the package's convention),
    hmmlearn's ``score`` is the total: multiply by ``n_samples`` to compare, or
    use :meth:`log_likelihood` for each sequence's total.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import PoissonMLE
    >>> from sklearn_mle.hmm import HiddenMarkovModel
    >>> rng = np.random.default_rng(0)
    >>> z = np.repeat([0, 1, 0, 1], 50)
    >>> X = rng.poisson(np.where(z == 0, 2.0, 12.0))[:, None]
    >>> hmm = HiddenMarkovModel(PoissonMLE(), n_components=2, random_state=0).fit(X)
    >>> sorted(round(float(e.rate_[0]), 1) for e in hmm.emissions_)
    [2.2, 12.5]
    >>> bool(np.mean(hmm.predict(X) == hmm.predict(X)[0]) < 1)
    True
    """

    _parameter_constraints: dict = {
        "emission": [None, HasMethods(["fit"])],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "prior": [None, Dirichlet, dict],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "init_params": [StrOptions({"kmeans", "random", "random_from_data", "k-means++"})],
        "startprob_init": ["array-like", None],
        "transmat_init": ["array-like", None],
        "emissions_init": [list, None],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "algorithm": [StrOptions({"viterbi", "map"})],
        "n_jobs": [None, Integral],
        "verbose": ["verbose"],
    }

    _sklearn_xfail_checks = {
        "check_methods_subset_invariance":
            "an HMM's rows form a sequence: a row's state depends on its neighbours",
        "check_methods_sample_order_invariance":
            "an HMM's rows form a sequence: reordering them changes the model's answer",
        "check_sample_weight_equivalence_on_dense_data":
            "sample_weight is one weight per sequence (a row's weight cannot repeat it "
            "inside a sequence)",
        "check_sample_weights_not_overwritten":
            "sample_weight is one weight per sequence; the check draws one per row",
        "check_sample_weights_invariance":
            "sample_weight is one weight per sequence; zero weights on some rows of a "
            "sequence are refused",
    }

    @classmethod
    def _check_instances(cls):
        """Instances for scikit-learn's checks: Gaussian emissions without a prior
        collapse onto the checks' few distinct rows."""
        from ..distributions import GaussianMLE
        from ..priors import NormalInverseGamma

        return [cls(GaussianMLE(covariance_type="diag", prior=NormalInverseGamma()),
                    max_iter=5),
                cls(GaussianMLE(covariance_type="diag"), n_components=1, max_iter=5)]

    def __init__(self, emission=None, n_components=2, *, prior=None, n_init=1,
                 init_params="kmeans", startprob_init=None, transmat_init=None,
                 emissions_init=None, tol=1e-4, max_iter=100, random_state=None,
                 algorithm="viterbi", n_jobs=None, verbose=0):
        self.emission = emission
        self.n_components = n_components
        self.prior = prior
        self.n_init = n_init
        self.init_params = init_params
        self.startprob_init = startprob_init
        self.transmat_init = transmat_init
        self.emissions_init = emissions_init
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.algorithm = algorithm
        self.n_jobs = n_jobs
        self.verbose = verbose

    # ------------------------------------------------------------ validation
    def _validate_X(self, X, reset):
        min_rows = 2 if reset else 1
        kind = (X.dtype.kind if hasattr(X, "dtype") and hasattr(X, "shape")
                else np.asarray(X).dtype.kind)
        if kind not in "OUS":
            return validate_data(self, X, reset=reset, dtype=np.float64,
                                 ensure_min_samples=min_rows)
        # text symbols (Categorical emissions, as CategoricalMLE takes them): kept as
        # an object array, each column all strings or all (finite) numbers
        X = validate_data(self, X, reset=reset, dtype=None, ensure_min_samples=min_rows,
                          ensure_all_finite=False)
        return symbol_rows(X)

    def _sequences(self, X, lengths, sequence_ids):
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        self._emission.family.check(X)
        return X, sequence_bounds(X.shape[0], lengths, sequence_ids)

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, lengths=None, sample_weight=None, sequence_ids=None):
        """Estimate the model by Baum-Welch (EM; MAP-EM under priors).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows of all sequences, concatenated.
        y : None
            Ignored.
        lengths : array-like of int, default=None
            Length of each sequence (summing to n_samples); None: one sequence.
        sample_weight : array-like, default=None
            One non-negative weight per sequence (shape (n_sequences,)), or one per
            row constant within each sequence; integer weights equal repeated
            sequences.
        sequence_ids : array-like of shape (n_samples,), default=None
            Instead of ``lengths``: a label per row, consecutive equal labels forming
            one sequence (what cross-validation splits with the rows).

        Returns
        -------
        self : object
        """
        from ..distributions import CategoricalMLE

        if is_dask(X):
            return self._fit_dask(X, lengths, sample_weight, sequence_ids)
        X = self._validate_X(X, reset=True)
        if X.dtype == object and not isinstance(self.emission, CategoricalMLE):
            raise ValueError(
                "HiddenMarkovModel: X holds text; text symbols need a CategoricalMLE() "
                f"emission, got {self.emission!r}")
        self._check_n_samples(X.shape[0])
        bounds = sequence_bounds(X.shape[0], lengths, sequence_ids)
        wseq = sequence_weights(sample_weight, X, bounds)
        wrow = None if wseq is None else np.repeat(wseq, np.diff(bounds))
        total_w = self._set_up(X, wrow)
        # for this fit only: the E-steps' buffers, and X's distinct rows when few
        self._work = _estep.Workspace()
        self._distinct = _estep.distinct_rows(self._emission, X)
        try:
            best = self._fit_runs(lambda state: self._memory_step(X, bounds, wseq, wrow, state),
                                  lambda rng: self._initial_state(X, bounds, wrow, rng), total_w)
        finally:
            del self._work, self._distinct
        self._finish_fit(best, total_w)
        self._defer_inference(X, bounds, wseq)
        return self

    def _check_n_samples(self, n):
        if n < self.n_components:
            raise ValueError("Expected n_samples >= n_components but got "
                             f"n_components = {self.n_components}, n_samples = {n}")

    def _set_up(self, X, wrow):
        """Priors, the emission prototype and ``Emission``; returns the total weight."""
        from ..distributions import DistributionMLE, GaussianMLE

        self._check_prior()
        base = GaussianMLE(covariance_type="full") if self.emission is None else self.emission
        if not isinstance(base, DistributionMLE):
            raise ValueError(
                "HiddenMarkovModel: emission must be a distribution estimator of "
                f"sklearn_mle (GaussianMLE(), PoissonMLE(), CategoricalMLE(), ...), got {base!r}"
            )
        # the prototype, fitted once to all the data, checks the domain (a ValueError
        # naming the column and rule), fixes the family's settings (categories) and
        # resolves the emission prior's data-dependent defaults once
        proto = clone(base)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            proto.fit(X, sample_weight=wrow)
        self._proto = proto
        self._emission = Emission.from_estimator(proto, self.n_components)
        return float(X.shape[0]) if wrow is None else float(np.sum(wrow))

    def _fit_runs(self, step, start, total_w):
        """The ``n_init`` EM runs (``step(state) -> (total, statistics)``: one pass
        over the rows; ``start(rng) -> state``); returns the best."""
        master = check_random_state(self.random_state)
        runs = []
        for init in range(self.n_init):
            rng = master if init == 0 else np.random.RandomState(
                master.randint(np.iinfo(np.int32).max))
            runs.append(self._run_em(step, start(rng), total_w, init))
        best = max(runs, key=lambda run: run["lower_bound"])  # the first of equals
        best["init_lbs"] = [run["lower_bound"] for run in runs]
        return best

    def _finish_fit(self, best, total_w):
        k = self.n_components
        self.startprob_ = best["startprob"]
        self.transmat_ = best["transmat"]
        self._params = best["params"]
        self._state_stats = best["stats"]
        self.converged_ = best["converged"]
        self.n_iter_ = best["n_iter"]
        self.lower_bound_ = best["lower_bound"]
        self.lower_bounds_ = np.asarray(best["trace"], dtype=float)
        self.init_lower_bounds_ = np.asarray(best["init_lbs"], dtype=float)
        if not self.converged_ and self.max_iter > 0:
            warnings.warn(
                f"HiddenMarkovModel did not converge in max_iter={self.max_iter} "
                f"iterations (last gain {best['last_change']:.3g} >= tol={self.tol}); "
                "increase max_iter, loosen tol, or try other starting values (n_init)",
                ConvergenceWarning, stacklevel=3)
        self.loglik_ = best["total"] + self._log_prior(self.startprob_, self.transmat_,
                                                       self._params)
        self.nobs_ = total_w
        self._build_emissions()
        self.n_params_ = int(k - 1 + k * (k - 1)
                             + sum(int(e.n_params_) for e in self.emissions_))
        self._warn_unvisited(best["occupancy"])

    def _initial_state(self, X, bounds, wrow, rng):
        k = self.n_components
        startprob = (np.full(k, 1.0 / k) if self.startprob_init is None else
                     self._check_probabilities("startprob_init", self.startprob_init, (k,)))
        transmat = (np.full((k, k), 1.0 / k) if self.transmat_init is None else
                    self._check_probabilities("transmat_init", self.transmat_init, (k, k)))
        if self.emissions_init is not None:
            if len(self.emissions_init) != k:
                raise ValueError(f"emissions_init needs one parameter dict per state ({k}), "
                                 f"got {len(self.emissions_init)}")
            names = self._emission.family.param_names
            params = []
            for j, p in enumerate(self.emissions_init):
                missing = [n for n in names if n not in p]
                if missing:
                    raise ValueError(f"emissions_init[{j}] lacks {missing}; the family's "
                                     f"parameters are {list(names)}")
                params.append({n: (np.asarray(p[n], dtype=float) if not isinstance(p[n], list)
                                   else [np.asarray(v, dtype=float) for v in p[n]])
                               for n in names})
            return startprob, transmat, params, None
        # text symbols start from their codes (the sorted symbols' positions): the same
        # start as the integer codes would get
        Xinit = symbol_codes(X) if X.dtype == object else X
        resp = initial_responsibilities(Xinit, wrow, k, self.init_params, rng).astype(
            np.float64)
        rw = resp if wrow is None else resp * wrow[:, None]
        # every state also sees the whole data with the weight of one row: a state
        # started from one row, or from identical rows, would otherwise put zero
        # density on every other value (a zero variance, a category never seen)
        base = np.ones(X.shape[0]) if wrow is None else wrow
        rw = rw + (base / base.sum())[:, None]
        stats = self._emission.stats(X, rw)
        params = self._emission.modes(stats, fallback=dict(self._proto.params_))
        return startprob, transmat, params, list(stats)

    def _e_step(self, X, bounds, wseq, startprob, transmat, params):
        """``(total, seq_loglik, gamma, xi)``: the weighted log-likelihood and the
        posteriors at the given parameters."""
        work = getattr(self, "_work", None)
        distinct = getattr(self, "_distinct", None)
        if distinct is not None:  # few distinct rows: their shifted emissions, gathered
            lp, framed = None, _estep.distinct_frame(self._emission, params, distinct, work)
        else:
            lp = _estep.log_prob_rows(self._emission, X, params, self.n_jobs, work)
            framed = None
        loglik, gamma, xi, dead, shift = _estep.run_forward_backward(
            lp, bounds, startprob, transmat, wseq, n_jobs=self.n_jobs, work=work,
            framed=framed)
        outside = ~(shift > -np.inf)
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            raise ValueError(
                f"HiddenMarkovModel: row {i} has zero density under every state's emission. "
                "The data passed the family's domain check, so a state collapsed: e.g. a "
                "singular covariance from a state fitted to fewer than n_features + 1 "
                "distinct rows, or a probability of 0 for a value. Use a prior on the "
                "emission (e.g. GaussianMLE(covariance_type='diag', "
                "prior=NormalInverseGamma())), fewer states, or other starting values")
        if dead:
            s = int(np.flatnonzero(~np.isfinite(loglik))[0])
            raise ValueError(
                f"HiddenMarkovModel: sequence {s} has probability zero under the model (all "
                "states dead: no state allowed by the transitions can emit one of its rows); "
                "start from transition probabilities without zeros or use a Dirichlet prior "
                "with alpha > 1")
        total = float(loglik.sum() if wseq is None else loglik @ wseq)
        return total, loglik, gamma, xi, lp

    def _memory_step(self, X, bounds, wseq, wrow, state):
        """One pass over in-memory rows: the E-step at ``state`` and the statistics the
        M-step needs, ``(total, (start counts, xi, emission stats, total weight))``."""
        total, _, gamma, xi, _ = self._e_step(X, bounds, wseq, *state[:3])
        gw = gamma if wrow is None else gamma * wrow[:, None]
        start = gw[bounds[:-1]].sum(axis=0)
        distinct = getattr(self, "_distinct", None)
        if distinct is not None and self._emission.family.finite_stats:
            # few distinct rows: their summed weights give the same statistics
            stats = self._emission.stats(distinct[0], _estep.weights_of_distinct(distinct, gw))
        elif self._emission.family.finite_stats:
            stats = map_reduce(lambda xb, gb: tuple(self._emission.stats(xb, gb)),
                               X, gw, n_jobs=self.n_jobs)
        else:
            stats = self._emission.stats(X, gw)
        return total, (start, xi, tuple(stats), float(gw.sum()))

    def _m_update(self, suff, previous):
        """The M-step from the statistics of one pass (:meth:`_memory_step` or the
        Dask reduction): new ``(startprob, transmat, params, stats)`` and occupancy."""
        startprob0, transmat0, params0, stats0 = previous
        start, xi, stats, gsum = suff
        start = start + self._pseudo_start
        startprob = start / start.sum() if start.sum() > 0 else startprob0
        counts = xi + self._pseudo_trans[None, :]
        sums = counts.sum(axis=1)
        transmat = transmat0.copy()
        live = sums > 0
        # a state never left keeps its row: no data speaks about it (never NaN)
        transmat[live] = counts[live] / sums[live, None]
        tiny = 1e-10 * max(gsum, 1.0)
        params = self._emission.modes(stats, previous=params0, min_weight=tiny)
        occupancy = np.array([float(np.max(s.weight)) for s in stats])
        if stats0 is not None:
            stats = [s if occupancy[j] > tiny else stats0[j] for j, s in enumerate(stats)]
        return startprob, transmat, params, list(stats), occupancy > tiny

    def _run_em(self, step, state, total_w, init):
        total, suff = step(state)
        lb = (total + self._log_prior(*state[:3])) / total_w
        trace, converged, n_iter, change = [], False, 0, np.inf
        occupancy = np.ones(self.n_components, dtype=bool)
        if self.verbose:
            print(f"Initialization {init}: objective {lb:.6f}")
        for n_iter in range(1, self.max_iter + 1):
            *new, occupancy = self._m_update(suff, state)
            state = tuple(new)
            # the objective of the parameters just estimated (hmmlearn records the one
            # before its M-step): the next E-step's log-likelihood
            total, suff = step(state)
            new_lb = (total + self._log_prior(*state[:3])) / total_w
            change, lb = new_lb - lb, new_lb
            trace.append(lb)
            if self.verbose:
                print(f"  Iteration {n_iter}: objective {lb:.6f} (change {change:.3g})")
            if abs(change) < self.tol:
                converged = True
                break
        # emissions_init with max_iter=0: the statistics of the start
        stats = state[3] if state[3] is not None else list(suff[2])
        return {"startprob": state[0], "transmat": state[1], "params": state[2],
                "stats": stats, "lower_bound": lb, "trace": trace, "converged": converged,
                "n_iter": n_iter, "total": total, "last_change": change,
                "occupancy": occupancy}

    def _build_emissions(self):
        comps = []
        for stats in self._state_stats:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    comps.append(self._proto.from_stats(stats))
                except (ValueError, np.linalg.LinAlgError):
                    comps.append(self._proto)
        self.emissions_ = comps

    def _warn_unvisited(self, occupied):
        if not np.all(occupied):
            idle = np.flatnonzero(~occupied).tolist()
            warnings.warn(
                f"HiddenMarkovModel: state(s) {idle} have no posterior weight (never "
                "entered); their emission and transition row keep their previous values. "
                "Use fewer states or a Dirichlet prior with alpha > 1.",
                ComponentCollapseWarning, stacklevel=3)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags

