"""Standard errors of a hidden Markov model: the observed information of the
observed-data log-likelihood.

The log-likelihood of an HMM, ``l(theta) = sum_s w_s log p(x_s; theta)``, is what the
scaled forward algorithm computes exactly, so its Hessian is taken by central second
differences of that function in the model's free parameters:

- the first ``K - 1`` start probabilities (the last is one minus their sum);
- for each state, the first ``K - 1`` entries of its transition row;
- each state's emission parameters, in the order the state's estimator lists them
  (``param_names_``): one value per column, a full covariance's lower triangle
  (kept symmetric), each column's category probabilities but the last.

Under priors the log-prior densities are added, so the covariance is the Laplace
approximation. Each step is a small fraction of the distance to the parameter's
bounds (a probability's and its row's last entry's, a variance's), so every
trial point is a valid model. The cost is ``2 P (P + 1)`` forward passes for ``P``
free parameters (a trial point that moves one state's emission recomputes only that
state's log-densities): it is computed when first read (``bse_``, ``summary()``),
not at all beyond ``_MAX_ROW_EVALUATIONS`` (a warning says so), and the tests check
it against an independent numerical Hessian of hmmlearn's log-likelihood.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..exceptions import InferenceWarning
from ..inference._lazy import LazyInferenceMixin
from ..inference._utils import cov_from_information
from . import _estep

__all__ = ["HMMInferenceMixin", "emission_slots"]

_REL_STEP = 1e-4
# above this many row-evaluations (forward passes times rows) the numerical Hessian is
# not attempted: about a minute of compiled forward passes
_MAX_ROW_EVALUATIONS = 5e9


def emission_slots(family, params, fixed=None):
    """The free emission parameters of one state: list of ``(name, index, kind)``.

    ``kind`` is ``"value"`` (``params[name][index]``, index a tuple), ``"sym"`` (a
    covariance entry ``(i, j)`` kept symmetric), or ``"prob"`` (``params[name][c][m]``
    with the column's last probability one minus the others)."""
    fixed = fixed or {}
    out = []
    for name in family.param_names:
        value = params[name]
        if isinstance(value, list):  # per-column probability vectors
            for c, vec in enumerate(value):
                for m in range(len(vec) - 1):
                    out.append((name, (c, m), "prob"))
            continue
        arr = np.asarray(value)
        if arr.ndim == 0:
            out.append((name, (), "value"))
        elif arr.ndim == 1:
            fx = fixed.get(name)
            for c in range(arr.shape[0]):
                if fx is not None and np.ndim(fx) == 1 and not np.isnan(fx[c]):
                    continue
                out.append((name, (c,), "value"))
        elif arr.ndim == 2:
            for i in range(arr.shape[0]):
                for j in range(i + 1):
                    out.append((name, (i, j), "sym"))
    return out


def _get(params, slot):
    name, idx, kind = slot
    if kind == "prob":
        return float(params[name][idx[0]][idx[1]])
    return float(np.asarray(params[name])[idx])


def _set(params, slot, value):
    """A copy of ``params`` with the slot set (a probability's column renormalised
    through its last entry)."""
    name, idx, kind = slot
    out = dict(params)
    if kind == "prob":
        cols = [np.array(v, dtype=float) for v in params[name]]
        vec = cols[idx[0]]
        vec[idx[1]] = value
        vec[-1] = 1.0 - vec[:-1].sum()
        out[name] = cols
        return out
    arr = np.array(params[name], dtype=float)
    arr[idx] = value
    if kind == "sym":
        arr[idx[::-1]] = value
    out[name] = arr
    return out


def _slot_step(family, params, slot):
    name, idx, kind = slot
    v = _get(params, slot)
    if kind == "prob":
        vec = np.asarray(params[name][idx[0]], dtype=float)
        room = min(vec[idx[1]], vec[-1], 1.0 - vec[idx[1]])
        return max(_REL_STEP * room, 1e-12)
    if kind == "sym":
        cov = np.asarray(params[name], dtype=float)
        scale = np.sqrt(cov[idx[0], idx[0]] * cov[idx[1], idx[1]])
        if idx[0] == idx[1]:
            return _REL_STEP * cov[idx]
        # an off-diagonal step small against the smallest eigenvalue stays positive
        return _REL_STEP * min(scale, np.linalg.eigvalsh(cov)[0])
    lo, hi = family.bounds.get(name, (-np.inf, np.inf))
    h = _REL_STEP * max(abs(v), 1e-2)
    room = min(v - lo, hi - v)
    return min(h, room / 4.0) if np.isfinite(room) else h


class HMMInferenceMixin(LazyInferenceMixin):
    """Lazy standard errors for :class:`HiddenMarkovModel` (inference surface hooks)."""

    # ------------------------------------------------------------ layout
    def _free_layout(self):
        """``(names, estimates, steps, lower, upper, unpack)``: the flat free
        parameters and ``unpack(theta) -> (startprob, transmat, params)``."""
        k = self.n_components
        family = self._emission.family
        fixed = self._emission.fixed
        names, est, steps, lo, hi = [], [], [], [], []

        def prob(name, value, room):
            names.append(name)
            est.append(value)
            steps.append(max(_REL_STEP * room, 1e-12))
            lo.append(0.0)
            hi.append(1.0)

        for j in range(k - 1):
            prob(f"startprob[{j}]", self.startprob_[j],
                 min(self.startprob_[j], self.startprob_[-1], 1 - self.startprob_[j]))
        for i in range(k):
            row = self.transmat_[i]
            for j in range(k - 1):
                prob(f"transmat[{i},{j}]", row[j], min(row[j], row[-1], 1 - row[j]))
        slots = []
        for s, params in enumerate(self._params):
            sl = emission_slots(family, params, fixed)
            own = list(getattr(self.emissions_[s], "param_names_", []))
            labels = own if len(own) == len(sl) else [
                f"{n}[{','.join(map(str, i))}]" if i else n for n, i, _ in sl]
            for slot, label in zip(sl, labels):
                names.append(f"state{s}.{label}")
                est.append(_get(params, slot))
                steps.append(_slot_step(family, params, slot))
                name, idx, kind = slot
                if kind == "prob":
                    lo.append(0.0)
                    hi.append(1.0)
                elif kind == "sym":
                    lo.append(0.0 if idx[0] == idx[1] else -np.inf)
                    hi.append(np.inf)
                else:
                    b = family.bounds.get(name, (-np.inf, np.inf))
                    lo.append(b[0])
                    hi.append(b[1])
                slots.append((s, slot))
        n_start, n_trans = k - 1, k * (k - 1)

        def unpack(theta):
            sp = np.empty(k)
            sp[:-1] = theta[:n_start]
            sp[-1] = 1.0 - sp[:-1].sum()
            tm = np.empty((k, k))
            tm[:, :-1] = theta[n_start:n_start + n_trans].reshape(k, k - 1)
            tm[:, -1] = 1.0 - tm[:, :-1].sum(axis=1)
            params = [dict(p) for p in self._params]
            for value, (s, slot) in zip(theta[n_start + n_trans:], slots):
                params[s] = _set(params[s], slot, value)
            return sp, tm, params

        return (names, np.asarray(est, float), np.asarray(steps, float),
                np.asarray(lo, float), np.asarray(hi, float), unpack)

    def _objective_at(self, X, bounds, wseq, startprob, transmat, params, base=None,
                      changed=()):
        """Log-likelihood (plus log-priors) of the training data at given parameters.
        ``base``: the (n, k) log-densities at the estimates, of which only the columns
        of the ``changed`` states are recomputed."""
        if base is None:
            lp = _estep.log_prob_rows(self._emission, X, params, self.n_jobs)
        else:
            lp = base.copy() if changed else base
            for j in changed:
                lp[:, j] = self._emission.log_prob(X, [params[j]])[:, 0]
        ll, _ = _estep.run_forward(lp, bounds, startprob, transmat, n_jobs=self.n_jobs)
        total = float(ll.sum() if wseq is None else ll @ wseq)
        return total + self._log_prior(startprob, transmat, params)

    def _compute_inference(self, X, bounds, wseq, sid=None):
        names, est, h, lo, hi, unpack = self._free_layout()
        p = est.size
        n_chain = self.n_components - 1 + self.n_components * (self.n_components - 1)
        state_of = np.full(p, -1)
        state_of[n_chain:] = [int(name.split(".", 1)[0][5:]) for name in names[n_chain:]]
        # an estimate on its boundary (a start probability of 0 or 1 from a single
        # sequence, a transition never taken) has no Wald standard error: it is held
        # at its value and reported with an infinite one
        span = np.minimum(est - lo, hi - est)
        free = np.flatnonzero(~(span <= 1e-7 * np.maximum(1.0, np.abs(est))))
        on_edge = [i for i in range(p) if i not in set(free.tolist())]
        # the log-densities at the estimates, column by column as the trial points
        # recompute them (the same rounding on both sides of a difference)
        # (sid: a Dask fit, each trial one reduction over the chunks)
        base = None if sid is not None else np.column_stack(
            [self._emission.log_prob(X, [q])[:, 0] for q in self._params])
        n_eval = 2 * free.size ** 2
        if n_eval * X.shape[0] > _MAX_ROW_EVALUATIONS:
            warnings.warn(
                f"HiddenMarkovModel: standard errors for {free.size} free parameters on "
                f"{X.shape[0]} rows would take about {n_eval} forward passes; they are "
                "not computed (bse_ is inf). Fit a smaller model or a subsample to read "
                "them, or bootstrap whole sequences.", InferenceWarning, stacklevel=4)
            self._bounds_flat = (lo, hi)
            self._set_inference(names, est, cov=np.diag(np.full(p, np.inf)))
            return

        def f(sub):
            theta = est.copy()
            theta[free] = sub
            moved = free[sub != est[free]]
            changed = sorted({int(j) for j in state_of[moved] if j >= 0})
            if sid is not None:
                return self._dask_objective(X, sid, wseq, *unpack(theta))
            return self._objective_at(X, bounds, wseq, *unpack(theta), base=base,
                                      changed=changed)

        x0, hs = est[free], h[free]
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
        cov = np.diag(np.full(p, np.inf))
        if m:
            cov[np.ix_(free, free)] = cov_from_information(-H, [names[i] for i in free])
        if on_edge:
            reasons = _edge_reasons(names, est, lo, hi, on_edge, n_chain)
            warnings.warn(
                "HiddenMarkovModel: parameters on the boundary of the parameter space have "
                f"no standard error (inf): {reasons}", InferenceWarning, stacklevel=4)
        self._bounds_flat = (lo, hi)
        self._set_inference(names, est, cov=cov)

    def _param_bounds(self):
        return self._bounds_flat


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
            why = ("transition probabilities at 0 or 1 (a transition never, or always, "
                   "taken); a Dirichlet prior with alpha > 1 on the transitions keeps them "
                   "inside")
        elif lo[i] == 0.0 and hi[i] == np.inf and est[i] - lo[i] <= hi[i] - est[i]:
            why = ("variances (or scales) at their floor (a state whose rows are (nearly) "
                   "equal: its likelihood has no finite maximum); a prior on the emission "
                   "(e.g. NormalInverseWishart), fewer states or more data keep them "
                   "positive")
        elif lo[i] == 0.0 and hi[i] == 1.0:
            why = ("emission probabilities at 0 or 1 (a value never, or always, seen in a "
                   "state); a Beta/Dirichlet prior on the emission keeps them inside")
        else:
            why = (f"emission parameters at a bound of their range [{lo[i]:g}, {hi[i]:g}]; "
                   "a prior on the emission keeps them inside")
        groups.setdefault(why, []).append(name)
    return "; ".join(f"{', '.join(v)}: {why}" for why, v in groups.items()) + "."
