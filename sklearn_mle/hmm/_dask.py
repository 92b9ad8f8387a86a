"""HiddenMarkovModel on Dask arrays: EM with one reduction per iteration, lazy decoding.

A sequence is a chain over its rows, so the rows of one sequence must be read
together: every row chunk of the Dask array holds whole sequences (the chunk
boundaries are sequence boundaries; :func:`sequence_chunks` gives such chunks, and a
chunk that cuts a sequence is refused with that remedy). ``lengths`` or
``sequence_ids`` stay NumPy arrays on the client (one number per sequence or row),
sliced to the chunks by the engine.

Each EM iteration is one pass of :func:`~sklearn_mle._engine.dask.dask_map_reduce`:
a chunk runs the forward-backward of its sequences at the current parameters and
returns the statistics the M-step needs (weighted log-likelihood, start counts,
expected transitions, the emission statistics under the state posteriors, their total
weight), summed on the cluster; the M-step is the in-memory one. From the same
starting parameters the trace and the estimates are those of the in-memory fit up to
the order of the sums. Without ``emissions_init`` the emissions start from a strided
sample of the rows (as the mixtures on Dask), the prototype emission is fitted to all
rows (one pass). ``predict``, ``predict_proba`` and ``score_samples`` return lazy Dask
arrays (one block per chunk); ``log_likelihood``/``score`` are one reduction.

The chunk functions are module-level classes holding plain arrays (they pickle, for a
cluster of processes).
"""

from __future__ import annotations

import numpy as np

from .._engine.dask import RowError, is_dask, row_offsets
from . import _estep
from ._sequences import sequence_bounds

__all__ = ["HMMDaskMixin", "sequence_chunks"]

# rows of the strided sample the emissions start from (as the mixtures on Dask)
_INIT_ROWS = 100_000


def sequence_chunks(lengths, rows_per_chunk: int = 100_000) -> tuple:
    """Row chunks of whole sequences, about ``rows_per_chunk`` rows each (a longer
    sequence is a chunk of its own): ``X.rechunk({0: sequence_chunks(lengths)})``
    makes a Dask array an HMM can be fitted on.

    Examples
    --------
    >>> from sklearn_mle.hmm import sequence_chunks
    >>> sequence_chunks([3, 4, 10, 2, 2], rows_per_chunk=8)
    (7, 10, 4)
    """
    lengths = np.asarray(lengths, dtype=np.int64).ravel()
    if lengths.size == 0 or np.any(lengths < 1):
        raise ValueError("lengths must be positive sequence lengths")
    chunks, current = [], 0
    for m in lengths.tolist():
        if current and current + m > rows_per_chunk:
            chunks.append(current)
            current = 0
        current += m
    chunks.append(current)
    return tuple(chunks)


def _local_bounds(sid):
    """The sequence offsets inside a chunk from its rows' sequence numbers."""
    change = np.flatnonzero(sid[1:] != sid[:-1]) + 1
    return np.concatenate([[0], change, [sid.size]]).astype(np.int64)


class _Chunk:
    """What every chunk function needs: the emission and the chain's parameters."""

    def __init__(self, emission, startprob, transmat, params, wseq=None):
        self.emission = emission
        self.startprob = np.asarray(startprob, dtype=np.float64)
        self.transmat = np.asarray(transmat, dtype=np.float64)
        self.params = params
        self.wseq = wseq

    def frame(self, xb, sid, check=False):
        """``(bounds, seq numbers, weights per sequence, log-densities)`` of a chunk."""
        if check:
            self.emission.family.check(xb)
        bounds = _local_bounds(sid)
        seqs = sid[bounds[:-1]]
        w = None if self.wseq is None else self.wseq[seqs]
        lp = _estep.log_prob_rows(self.emission, xb, self.params, n_jobs=1)
        return bounds, seqs, w, lp

    def posteriors(self, xb, sid, check=False):
        bounds, seqs, w, lp = self.frame(xb, sid, check)
        loglik, gamma, xi, dead, shift = _estep.run_forward_backward(
            lp, bounds, self.startprob, self.transmat, w, n_jobs=1)
        outside = ~(shift > -np.inf)
        if outside.any():
            raise RowError(
                "HiddenMarkovModel: row {row} has zero density under every state's "
                "emission (a state collapsed, or a value no state can emit); use a prior "
                "on the emission, fewer states or other starting values",
                int(np.flatnonzero(outside)[0]))
        if dead:
            s = int(seqs[np.flatnonzero(~np.isfinite(loglik))[0]])
            raise ValueError(
                f"HiddenMarkovModel: sequence {s} has probability zero under the model (all "
                "states dead: no state allowed by the transitions can emit one of its "
                "rows); start from transition probabilities without zeros or use a "
                "Dirichlet prior with alpha > 1")
        return bounds, w, loglik, gamma, xi


class _EMChunk(_Chunk):
    """One chunk's share of an EM pass: ``(total, start, xi, stats, weight)``."""

    def __call__(self, xb, sid):
        bounds, w, loglik, gamma, xi = self.posteriors(xb, sid)
        if w is not None:
            gamma = gamma * np.repeat(w, np.diff(bounds))[:, None]
        total = float(loglik.sum() if w is None else loglik @ w)
        stats = tuple(self.emission.stats(xb, gamma))
        return (total, gamma[bounds[:-1]].sum(axis=0), xi.copy(), stats,
                float(gamma.sum()))


class _ProbaChunk(_Chunk):
    def __call__(self, xb, sid):
        return self.posteriors(xb, sid, check=True)[3].copy()


class _DecodeChunk(_Chunk):
    def __init__(self, *args, algorithm="viterbi"):
        super().__init__(*args)
        self.algorithm = algorithm

    def __call__(self, xb, sid):
        if self.algorithm == "map":
            return self.posteriors(xb, sid, check=True)[3].argmax(axis=1)
        bounds, _, _, lp = self.frame(xb, sid, check=True)
        return _estep.run_viterbi(lp, bounds, self.startprob, self.transmat, n_jobs=1)[1]


class _ForwardChunk(_Chunk):
    """Each sequence's log-likelihood, in an (n_sequences,) vector (summed over the
    chunks: each fills its own sequences), or each row's predictive log-density."""

    def __init__(self, *args, n_sequences=0, rows=False):
        super().__init__(*args)
        self.n_sequences, self.rows = n_sequences, rows

    def __call__(self, xb, sid):
        bounds, seqs, _, lp = self.frame(xb, sid, check=True)
        ll, log_c = _estep.run_forward(lp, bounds, self.startprob, self.transmat, n_jobs=1)
        if self.rows:
            return log_c
        out = np.zeros(self.n_sequences)
        out[seqs] = ll
        return out


class _ObjectiveChunk(_Chunk):
    """The weighted log-likelihood at trial parameters (the standard errors' numerical
    Hessian), the log-densities state by state as the in-memory path computes them."""

    def __call__(self, xb, sid):
        bounds = _local_bounds(sid)
        w = None if self.wseq is None else self.wseq[sid[bounds[:-1]]]
        lp = np.column_stack([self.emission.log_prob(xb, [q])[:, 0] for q in self.params])
        ll, _ = _estep.run_forward(lp, bounds, self.startprob, self.transmat, n_jobs=1)
        return float(ll.sum() if w is None else ll @ w)


class HMMDaskMixin:
    """``fit`` and the scoring methods of :class:`HiddenMarkovModel` on Dask arrays."""

    # ------------------------------------------------------------ sequences
    def _dask_sequences(self, X, lengths, sequence_ids):
        """``(bounds, sequence number of each row)``; refuses chunks that cut a
        sequence."""
        if is_dask(lengths):
            lengths = np.asarray(lengths.compute())
        if is_dask(sequence_ids):
            sequence_ids = np.asarray(sequence_ids.compute())
        n = X.shape[0]
        bounds = sequence_bounds(n, lengths, sequence_ids)
        offsets = row_offsets(X)
        cut = offsets[~np.isin(offsets, bounds)]
        if cut.size:
            r = int(cut[0])
            s = int(np.searchsorted(bounds, r, side="right") - 1)
            raise ValueError(
                f"HiddenMarkovModel: the Dask array's row chunks cut sequence {s} (rows "
                f"{int(bounds[s])} to {int(bounds[s + 1]) - 1}) at row {r}; every chunk "
                "must hold whole sequences. Rechunk X on sequence boundaries: "
                "X.rechunk({0: sklearn_mle.hmm.sequence_chunks(lengths)})")
        sid = np.repeat(np.arange(bounds.size - 1), np.diff(bounds))
        return bounds, sid

    def _dask_X(self, X, reset):
        from .._engine.dask_input import check_dask_X

        # float64 chunks, as validate_data gives the in-memory fit
        return check_dask_X(self, X, reset=reset, dtypes=(np.float64,),
                            min_samples=2 if reset else 1)

    # ------------------------------------------------------------------ fit
    def _fit_dask(self, X, lengths, sample_weight, sequence_ids):
        import dask

        from .._engine.dask import dask_map_reduce
        from .._engine.dask_input import dask_sample
        from ._sequences import sequence_weights

        X = self._dask_X(X, reset=True)
        self._check_n_samples(X.shape[0])
        bounds, sid = self._dask_sequences(X, lengths, sequence_ids)
        if is_dask(sample_weight):
            sample_weight = np.asarray(sample_weight.compute())
        wseq = sequence_weights(sample_weight, np.empty((X.shape[0], 0)), bounds)
        wrow = None if wseq is None else np.repeat(wseq, np.diff(bounds))
        total_w = self._set_up(X, wrow)  # the prototype's Dask fit checks every row
        if not self._emission.family.finite_stats:
            raise ValueError(
                f"HiddenMarkovModel: {type(self._proto).__name__} emissions have no finite "
                "statistics, so EM on a Dask array would keep every row per state; fit "
                "in memory (X.compute()) or use an emission with finite statistics")
        emission = self._emission

        def step(state):
            fn = _EMChunk(emission, state[0], state[1], state[2], wseq)
            total, start, xi, stats, gsum = dask_map_reduce(fn, X, (sid,))
            return total, (start, xi, stats, gsum)

        def start(rng):
            if self.emissions_init is not None:
                return self._initial_state(None, None, None, rng)
            Xs, ws = dask_sample(X, np.ones(X.shape[0]) if wrow is None else wrow, _INIT_ROWS)
            Xs, ws = dask.compute(Xs, ws)
            Xs = np.asarray(Xs, dtype=np.float64)
            return self._initial_state(Xs, None, None if wrow is None else np.asarray(ws),
                                       rng)

        best = self._fit_runs(step, start, total_w)
        self._finish_fit(best, total_w)
        self._defer_inference(X, bounds, wseq, sid)
        return self

    # ------------------------------------------------------------ scoring
    def _dask_chunk(self, cls, **kw):
        return cls(self._emission, self.startprob_, self.transmat_, self._params, **kw)

    def _dask_rows(self, X, lengths, sequence_ids, fn, trailing, dtype):
        from .._engine.dask import dask_map_blocks

        X = self._dask_X(X, reset=False)
        _, sid = self._dask_sequences(X, lengths, sequence_ids)
        return dask_map_blocks(fn, X, (sid,), trailing=trailing, dtype=dtype)

    def _dask_predict_proba(self, X, lengths, sequence_ids):
        return self._dask_rows(X, lengths, sequence_ids, self._dask_chunk(_ProbaChunk),
                               (self.n_components,), np.float64)

    def _dask_predict(self, X, lengths, sequence_ids, algorithm):
        return self._dask_rows(X, lengths, sequence_ids,
                               self._dask_chunk(_DecodeChunk, algorithm=algorithm), (),
                               np.intp)

    def _dask_score_samples(self, X, lengths, sequence_ids):
        return self._dask_rows(X, lengths, sequence_ids,
                               self._dask_chunk(_ForwardChunk, rows=True), (), np.float64)

    def _dask_log_likelihood(self, X, lengths, sequence_ids):
        from .._engine.dask import dask_map_reduce

        X = self._dask_X(X, reset=False)
        bounds, sid = self._dask_sequences(X, lengths, sequence_ids)
        fn = self._dask_chunk(_ForwardChunk, n_sequences=bounds.size - 1)
        return dask_map_reduce(fn, X, (sid,))

    def _dask_objective(self, X, sid, wseq, startprob, transmat, params):
        from .._engine.dask import dask_map_reduce

        fn = _ObjectiveChunk(self._emission, startprob, transmat, params, wseq)
        return dask_map_reduce(fn, X, (sid,)) + self._log_prior(startprob, transmat, params)
