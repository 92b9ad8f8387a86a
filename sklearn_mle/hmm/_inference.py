"""Standard errors of a hidden Markov model: the observed information of the
observed-data log-likelihood.

The log-likelihood of an HMM, ``l(theta) = sum_s w_s log p(x_s; theta)``, is what the
scaled forward algorithm computes exactly, so its Hessian is taken by central second
differences of that function. The reported free parameters are

- the first ``K - 1`` start probabilities (the last is one minus their sum);
- for each state, the first ``K - 1`` entries of its transition row;
- each state's emission parameters, in the order the state's estimator lists them
  (``param_names_``): one value per column, a full covariance's lower triangle
  (kept symmetric), a probability vector's entries but the last.

The differences are taken in unconstrained coordinates, where a step never leaves the
parameter space and is not squeezed by a nearby bound: the log-ratio of each entry of
a probability vector to its largest entry (so a transition probability of 1e-6 is a
coordinate of about -14, not a value 1e-6 from its bound), the log of a positive value
(the logit of one bounded on both sides); covariance entries and unbounded values are
used as they are. The covariance of the reported parameters follows by the delta
method, ``J C J'``, with ``J`` the exact Jacobian of the map back.

A coordinate whose estimate sits on its boundary (a start probability of 0 from a
single sequence, a transition never taken), or whose information is below
``_MIN_INFORMATION`` (less than about a tenth of one expected event: a transition
probability EM drives towards 0 but never reaches), is held at its value: the others
get the covariance of the free block given the held ones, and the reported parameters
that are held (or that are one minus held ones) get an infinite standard error, with a
warning in words. Under priors the log-prior densities are added, so the covariance is
the Laplace approximation.

The cost is ``2 P (P + 1)`` forward passes for ``P`` free coordinates (a trial point
that moves one state's emission recomputes only that state's log-densities): it is
computed when first read (``bse_``, ``summary()``), not at all beyond
``_MAX_ROW_EVALUATIONS`` (a warning says so), and the tests check it against an
independent numerical Hessian of hmmlearn's log-likelihood.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit, logit

from ..exceptions import InferenceWarning
from ..inference._lazy import LazyInferenceMixin
from ..inference._utils import cov_from_information
from . import _estep

__all__ = ["HMMInferenceMixin"]

_REL_STEP = 1e-4  # relative step of an unbounded value or a covariance entry
_STEP_U = 1e-3  # step of a log, logit or log-ratio coordinate
# a transformed coordinate with less information than this is held (an expected count
# of about 0.1 events: its Wald interval would span a factor of ~500 either way)
_MIN_INFORMATION = 0.1
_EDGE = 1e-7  # an estimate this close (relatively) to its bound is on the boundary
# above this many row-evaluations (forward passes times rows) the numerical Hessian is
# not attempted: about a minute of compiled forward passes
_MAX_ROW_EVALUATIONS = 5e9


@dataclass
class _Layout:
    """The reported parameters, the unconstrained coordinates and the map between."""

    names: list = field(default_factory=list)  # reported parameters
    est: list = field(default_factory=list)
    lo: list = field(default_factory=list)
    hi: list = field(default_factory=list)
    u_names: list = field(default_factory=list)  # coordinates
    u0: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    state_of: list = field(default_factory=list)  # the state a coordinate moves, or -1
    transformed: list = field(default_factory=list)  # log / logit / log-ratio
    edge: list = field(default_factory=list)  # on its boundary: held, never moved
    groups: list = field(default_factory=list)  # (kind, where, u_idx, reported, extra)

    def add_reported(self, name, value, lo, hi):
        self.names.append(name)
        self.est.append(float(value))
        self.lo.append(lo)
        self.hi.append(hi)
        return len(self.names) - 1

    def add_coord(self, name, value, step, state, transformed, edge):
        self.u_names.append(name)
        self.u0.append(float(value))
        self.steps.append(float(step))
        self.state_of.append(state)
        self.transformed.append(transformed)
        self.edge.append(bool(edge))
        return len(self.u_names) - 1

    def add_simplex(self, where, p, labels, state):
        """A probability vector: its first ``m - 1`` entries reported, a log-ratio to
        its largest entry for each other entry."""
        p = np.asarray(p, dtype=float)
        m = p.size
        if m < 2:
            return
        ref = int(np.argmax(p))
        reported = [self.add_reported(labels[a], p[a], 0.0, 1.0) for a in range(m - 1)]
        entries = [j for j in range(m) if j != ref]
        with np.errstate(divide="ignore"):
            eta = np.log(p) - np.log(p[ref])
        u_idx = [self.add_coord(labels[j], eta[j], _STEP_U, state, True, p[j] <= _EDGE)
                 for j in entries]
        self.groups.append(("simplex", where, u_idx, reported, (entries, ref, m)))

    def add_scalar(self, where, label, v, bound, state):
        lo, hi = bound
        r = self.add_reported(label, v, lo, hi)
        span = min(v - lo, hi - v)
        edge = span <= _EDGE * max(1.0, abs(v))
        kind = ("logit" if np.isfinite(lo) and np.isfinite(hi) else
                "log_lo" if np.isfinite(lo) else "log_hi" if np.isfinite(hi) else "id")
        with np.errstate(divide="ignore", invalid="ignore"):
            u = {"logit": lambda: logit((v - lo) / (hi - lo)),
                 "log_lo": lambda: np.log(v - lo), "log_hi": lambda: np.log(hi - v),
                 "id": lambda: v}[kind]()
        step = _REL_STEP * max(abs(v), 1e-2) if kind == "id" else _STEP_U
        i = self.add_coord(label, u, step, state, kind != "id", edge and kind != "id")
        self.groups.append(("scalar", where, [i], [r], (kind, lo, hi)))

    def add_sym(self, where, label, cov, state):
        i, j = where[2]
        r = self.add_reported(label, cov[i, j], 0.0 if i == j else -np.inf, np.inf)
        if i == j:
            step = _REL_STEP * cov[i, i]
        else:  # an off-diagonal step small against the smallest eigenvalue stays positive
            step = _REL_STEP * min(np.sqrt(cov[i, i] * cov[j, j]),
                                   np.linalg.eigvalsh(cov)[0])
        edge = i == j and cov[i, i] <= _EDGE * max(1.0, cov[i, i])
        u = self.add_coord(label, cov[i, j], max(step, 1e-300), state, False, edge)
        self.groups.append(("sym", where, [u], [r], None))


def _scalar_value(kind, lo, hi, u):
    if kind == "logit":
        return lo + (hi - lo) * expit(u)
    if kind == "log_lo":
        return lo + np.exp(u)
    if kind == "log_hi":
        return hi - np.exp(u)
    return u


def _scalar_slope(kind, lo, hi, v):
    """d value / d coordinate at the value ``v``."""
    if kind == "logit":
        return (v - lo) * (hi - v) / (hi - lo)
    if kind == "log_lo":
        return v - lo
    if kind == "log_hi":
        return -(hi - v)
    return 1.0


class HMMInferenceMixin(LazyInferenceMixin):
    """Lazy standard errors for :class:`HiddenMarkovModel` (inference surface hooks)."""

    def _defer_inference(self, *data):
        # the names and estimates are cheap (a bootstrap refit reads them): only the
        # covariance waits for its first read
        super()._defer_inference(*data)
        layout = self._layout()
        self.param_names_ = list(layout.names)
        self.estimates_ = np.asarray(layout.est, dtype=float)

    # ------------------------------------------------------------ layout
    def _layout(self) -> _Layout:
        k = self.n_components
        family = self._emission.family
        fixed = self._emission.fixed or {}
        out = _Layout()
        out.add_simplex(("start",), self.startprob_,
                        [f"startprob[{j}]" for j in range(k)], -1)
        for i in range(k):
            out.add_simplex(("trans", i), self.transmat_[i],
                            [f"transmat[{i},{j}]" for j in range(k)], -1)
        for s, params in enumerate(self._params):
            start = len(out.names)
            for name in family.param_names:
                value = params[name]
                if isinstance(value, list):  # per-column probability vectors
                    for c, vec in enumerate(value):
                        out.add_simplex(("prob", s, name, c), vec,
                                        [f"{name}[{c},{m}]" for m in range(len(vec))], s)
                    continue
                arr = np.asarray(value, dtype=float)
                if arr.ndim == 1 and name == "probabilities":  # one probability vector
                    out.add_simplex(("vec", s, name), arr,
                                    [f"{name}[{m}]" for m in range(arr.size)], s)
                elif arr.ndim == 0:
                    out.add_scalar((s, name, ()), name, float(arr),
                                   family.bounds.get(name, (-np.inf, np.inf)), s)
                elif arr.ndim == 1:
                    fx = fixed.get(name)
                    for c in range(arr.shape[0]):
                        if fx is not None and np.ndim(fx) == 1 and not np.isnan(fx[c]):
                            continue
                        out.add_scalar((s, name, (c,)), f"{name}[{c}]", float(arr[c]),
                                       family.bounds.get(name, (-np.inf, np.inf)), s)
                elif arr.ndim == 2:
                    for i in range(arr.shape[0]):
                        for j in range(i + 1):
                            out.add_sym((s, name, (i, j)), f"{name}[{i},{j}]", arr, s)
            # the state's own estimator's labels where they line up
            own = list(getattr(self.emissions_[s], "param_names_", []))
            mine = out.names[start:]
            if len(own) != len(mine):
                own = mine
            relabel = dict(zip(mine, own))
            out.names[start:] = [f"state{s}.{n}" for n in own]
            for u in range(len(out.u_names)):
                if out.state_of[u] == s and not out.u_names[u].startswith("state"):
                    label = out.u_names[u]
                    out.u_names[u] = f"state{s}.{relabel.get(label, label)}"
        return out

    def _unpack(self, layout, u):
        """``(startprob, transmat, params)`` at coordinates ``u``."""
        sp = np.array(self.startprob_, dtype=float)
        tm = np.array(self.transmat_, dtype=float)
        params = [{n: ([np.array(v, float) for v in val] if isinstance(val, list)
                       else np.array(val, float)) for n, val in p.items()}
                  for p in self._params]
        for kind, where, u_idx, _, extra in layout.groups:
            if kind == "simplex":
                entries, ref, m = extra
                logits = np.zeros(m)
                logits[entries] = u[u_idx]
                with np.errstate(under="ignore"):
                    p = np.exp(logits - logits.max())
                p /= p.sum()
                if where[0] == "start":
                    sp = p
                elif where[0] == "trans":
                    tm[where[1]] = p
                elif where[0] == "prob":
                    params[where[1]][where[2]][where[3]] = p
                else:
                    params[where[1]][where[2]] = p
                continue
            s, name, idx = where
            if kind == "scalar":
                params[s][name][idx] = _scalar_value(*extra, u[u_idx[0]])
            else:  # a covariance entry, kept symmetric
                params[s][name][idx] = params[s][name][idx[::-1]] = u[u_idx[0]]
        return sp, tm, params

    def _jacobian(self, layout):
        """d reported / d coordinates at the estimates, shape (n_reported, n_coords)."""
        J = np.zeros((len(layout.names), len(layout.u_names)))
        for kind, _, u_idx, reported, extra in layout.groups:
            if kind == "simplex":
                entries, ref, m = extra
                p = np.exp(np.asarray(layout.u0)[u_idx])
                full = np.zeros(m)
                full[entries] = p
                full[ref] = 1.0
                full /= full.sum()
                for a, r in enumerate(reported):
                    for j, ui in zip(entries, u_idx):
                        J[r, ui] = full[a] * ((a == j) - full[j])
            elif kind == "scalar":
                J[reported[0], u_idx[0]] = _scalar_slope(*extra, layout.est[reported[0]])
            else:
                J[reported[0], u_idx[0]] = 1.0
        return J

    def _reported_held(self, layout, held_u):
        """The reported parameters held with their coordinates: an entry of a
        probability vector whose log-ratio is held, the largest entry when all the
        others are held (it is one minus them), a held scalar."""
        out = np.zeros(len(layout.names), dtype=bool)
        for kind, _, u_idx, reported, extra in layout.groups:
            if kind == "simplex":
                entries, ref, _ = extra
                held = dict(zip(entries, held_u[u_idx]))
                for a, r in enumerate(reported):
                    out[r] = held[a] if a != ref else bool(np.all(held_u[u_idx]))
            else:
                out[reported[0]] = held_u[u_idx[0]]
        return out

    def _objective_at(self, X, bounds, wseq, startprob, transmat, params, base=None,
                      changed=(), work=None):
        """Log-likelihood (plus log-priors) of the training data at given parameters.
        ``base``: the (n, k) log-densities at the estimates, of which only the columns
        of the ``changed`` states are recomputed."""
        if base is None:
            lp = _estep.log_prob_rows(self._emission, X, params, self.n_jobs)
        else:
            lp = base.copy() if changed else base
            for j in changed:
                lp[:, j] = self._emission.log_prob(X, [params[j]])[:, 0]
        ll, _ = _estep.run_forward(lp, bounds, startprob, transmat, n_jobs=self.n_jobs,
                                   work=work)
        total = float(ll.sum() if wseq is None else ll @ wseq)
        return total + self._log_prior(startprob, transmat, params)

    def _compute_inference(self, X, bounds, wseq, sid=None):
        layout = self._layout()
        names, est = layout.names, np.asarray(layout.est, dtype=float)
        lo, hi = np.asarray(layout.lo, float), np.asarray(layout.hi, float)
        self._bounds_flat = (lo, hi)
        u0, h = np.asarray(layout.u0, float), np.asarray(layout.steps, float)
        state_of, edge = np.asarray(layout.state_of), np.asarray(layout.edge)
        free = np.flatnonzero(~edge)
        n_eval = 2 * free.size ** 2
        if n_eval * X.shape[0] > _MAX_ROW_EVALUATIONS:
            warnings.warn(
                f"HiddenMarkovModel: standard errors for {free.size} free parameters on "
                f"{X.shape[0]} rows would take about {n_eval} forward passes; they are "
                "not computed (bse_ is inf). Fit a smaller model or a subsample to read "
                "them, or bootstrap whole sequences.", InferenceWarning, stacklevel=4)
            self._set_inference(names, est, cov=np.diag(np.full(len(names), np.inf)))
            return
        # the log-densities at the estimates, column by column as the trial points
        # recompute them (the same rounding on both sides of a difference)
        # (sid: a Dask fit, each trial one reduction over the chunks)
        work = _estep.Workspace()  # the NumPy forward's pieces, across the trial points
        base = None if sid is not None else np.column_stack(
            [self._emission.log_prob(X, [q])[:, 0] for q in self._params])

        def f(sub):
            u = u0.copy()
            u[free] = sub
            moved = free[sub != u0[free]]
            changed = sorted({int(j) for j in state_of[moved] if j >= 0})
            if sid is not None:
                return self._dask_objective(X, sid, wseq, *self._unpack(layout, u))
            return self._objective_at(X, bounds, wseq, *self._unpack(layout, u),
                                      base=base, changed=changed, work=work)

        info = -_central_hessian(f, u0[free], h[free])
        # a log / log-ratio coordinate with (almost) no information is on its boundary
        # in all but name (a probability EM drives towards 0): held with the edge ones
        # (in units of the rows' mean weight: weights scaled by a constant scale the
        # information, not what the data say)
        floor = _MIN_INFORMATION * float(self.nobs_) / max(int(X.shape[0]), 1)
        weak = np.asarray(layout.transformed)[free] & ~(np.diag(info) >= floor)
        held_u = edge.copy()
        held_u[free[weak]] = True
        keep = free[~weak]
        cov_u = np.zeros((u0.size, u0.size))
        bad = np.zeros(u0.size, dtype=bool)
        if keep.size:
            sub = info[np.ix_(~weak, ~weak)]
            c = cov_from_information(sub, [layout.u_names[i] for i in keep])
            ok = np.isfinite(np.diag(c))
            bad[keep[~ok]] = True
            c = np.where(np.outer(ok, ok), c, 0.0)
            cov_u[np.ix_(keep, keep)] = c
        J = self._jacobian(layout)
        cov = J @ cov_u @ J.T
        rep_held = self._reported_held(layout, held_u)
        # a reported parameter that moves with a coordinate the data do not identify
        rep_bad = np.any(J[:, bad] != 0, axis=1) & ~rep_held
        for i in np.flatnonzero(rep_held | rep_bad):
            cov[i, :] = cov[:, i] = 0.0
            cov[i, i] = np.inf
        if rep_held.any():
            reasons = _edge_reasons(names, est, lo, hi, np.flatnonzero(rep_held),
                                    len(self.startprob_) - 1 + self.transmat_.size
                                    - len(self.transmat_))
            warnings.warn(
                "HiddenMarkovModel: parameters on the boundary of the parameter space have "
                f"no standard error (inf; the others are given them held): {reasons}",
                InferenceWarning, stacklevel=4)
        self._set_inference(names, est, cov=cov)

    def _param_bounds(self):
        return self._bounds_flat


def _central_hessian(f, x0, hs):
    """Hessian of ``f`` at ``x0`` by central differences (``2 m (m + 1)`` calls)."""
    m = x0.size
    H = np.empty((m, m))
    eye = np.eye(m)
    f0 = f(x0) if m else 0.0
    for i in range(m):
        ei = eye[i] * hs[i]
        H[i, i] = (f(x0 + 2 * ei) - 2 * f0 + f(x0 - 2 * ei)) / (4 * hs[i] ** 2)
        for j in range(i):
            ej = eye[j] * hs[j]
            H[i, j] = H[j, i] = (f(x0 + ei + ej) - f(x0 + ei - ej) - f(x0 - ei + ej)
                                 + f(x0 - ei - ej)) / (4 * hs[i] * hs[j])
    return H


def _edge_reasons(names, est, lo, hi, on_edge, n_chain):
    """The boundary parameters grouped by kind, each kind with why and the remedy."""
    groups: dict[str, list[str]] = {}
    for i in on_edge:
        name = names[i]
        if name.startswith("startprob"):
            why = ("start probabilities at 0 or 1 (always so with a single sequence: its "
                   "one start state is certain); a Dirichlet prior with alpha > 1 on the "
                   "start probabilities keeps them inside")
        elif i < n_chain:
            why = ("transition probabilities at (or driven towards) 0 or 1 (a transition "
                   "never, or always, taken); a Dirichlet prior with alpha > 1 on the "
                   "transitions keeps them inside")
        elif lo[i] == 0.0 and hi[i] == np.inf and est[i] - lo[i] <= hi[i] - est[i]:
            why = ("variances (or scales) at their floor (a state whose rows are "
                   "(nearly) equal: its likelihood has no finite maximum); a prior on the "
                   "emission (e.g. NormalInverseWishart), fewer states or more data keep "
                   "them positive")
        elif lo[i] == 0.0 and hi[i] == 1.0:
            why = ("emission probabilities at 0 or 1 (a value never, or always, seen in a "
                   "state); a Beta/Dirichlet prior on the emission keeps them inside")
        else:
            why = (f"emission parameters at a bound of their range [{lo[i]:g}, {hi[i]:g}]; "
                   "a prior on the emission keeps them inside")
        groups.setdefault(why, []).append(name)
    return "; ".join(f"{', '.join(v)}: {why}" for why, v in groups.items()) + "."
