"""The Dask backend of :func:`~sklearn_mle._engine.blocks.map_reduce`.

A Dask array's row chunks are the blocks: ``fn`` runs once per chunk on the workers
(where the chunk lives), and the partial sums are added in a tree on the cluster
(``SPLIT_EVERY`` partials per node), so only the final sum reaches the client. When
the chunks are already in the workers' memory (a persisted array on a distributed
cluster), one task per worker thread runs ``fn`` over the chunks that worker holds:
a task costs ~2-3 ms of scheduling, as much as ``fn`` on a chunk of 10^4-10^5 rows. The
data are never concatenated on the client, and nothing is persisted here: a chunk
read from storage (zarr, a memory-mapped ``.npy``) is read again by the next pass,
so a fit works on data larger than the cluster's memory (``X.persist()`` first keeps
them in the workers' memory between passes when they fit).

Which scheduler runs the graph is Dask's choice: the active ``distributed.Client``
when there is one, else Dask's default scheduler. Nothing here starts a cluster.

Errors of the data inside a chunk (:class:`~sklearn_mle._engine.rules.DomainError`,
:class:`RowError`) carry the chunk's row; the backend adds the chunk's global row
offset, returns the error as a value through the reduction (so the first error in
the in-memory order wins, whichever worker finds it first), and raises it on the
client with the row counted in the whole array: the same message as in memory.

Dask is imported only when a Dask collection arrives; the package runs without it.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from .rules import NONFINITE, DomainError

__all__ = ["ROW_START", "RowError", "RowMap", "as_dask_rows", "dask_map_blocks", "dask_map_reduce",
           "is_dask", "row_offsets"]

# partials added per node of the reduction tree (8 cost ~17 % more CPU a pass on 100 chunks)
SPLIT_EVERY = 32


def is_dask(X) -> bool:
    """Whether ``X`` is a Dask collection (array, DataFrame, Series); no import."""
    return type(X).__module__.split(".")[0] in ("dask", "dask_expr")


class RowError(ValueError):
    """A ValueError about one row of a block: ``template.format(row=...)``, so the
    Dask backend can count the row in the whole array."""

    def __init__(self, template: str, row: int):
        self.template, self.row = template, int(row)
        super().__init__(template.format(row=self.row))

    def __reduce__(self):
        return (RowError, (self.template, self.row))


class _ChunkError:
    """An error found in one chunk, passed through the reduction as a value (an
    exception raised on a worker would lose its fields when pickled)."""

    __slots__ = ("chunk", "error", "key")

    def __init__(self, error, chunk, key):
        self.error, self.chunk, self.key = error, chunk, key


def _rank(error, rule_order):
    """Order of errors as the in-memory pass meets them: NaN/inf (NaN first), then
    the rules in the family's order, then the first column, then the first row."""
    if isinstance(error, RowError):
        return (-1, 0, 0, error.row)
    rule = error.rule
    if rule == NONFINITE:
        nan = isinstance(error.value, float) and math.isnan(error.value)
        return (0, 0 if nan else 1, -1 if error.column is None else error.column,
                -1 if error.row is None else error.row)
    rank = rule_order.index(rule) + 1 if rule in rule_order else len(rule_order) + 1
    return (rank, 0, -1 if error.column is None else error.column,
            -1 if error.row is None else error.row)


def _shift(error, offset):
    if isinstance(error, RowError):
        return RowError(error.template, error.row + offset)
    if error.row is None:
        return DomainError(error.rule, error.column, None, error.value)
    return DomainError(error.rule, error.column, error.row + offset, error.value)


class RowMap:
    """Row arrays transformed chunk by chunk inside a reduction's own task.

    ``RowMap(fn, a, b)`` passed as a row array to :func:`dask_map_reduce` gives the
    block function ``fn(a_chunk, b_chunk)`` for each chunk. A Dask ``map_blocks`` of
    the arrays would do the same with one more task per chunk, recomputed at every
    pass (a label encoding, an offset from an exposure): ~2-3 ms of scheduling each,
    as much as the block function itself on a 25 000-row chunk.
    """

    __slots__ = ("arrays", "fn")

    def __init__(self, fn, *arrays):
        self.fn, self.arrays = fn, arrays

    @property
    def shape(self):
        return (self.arrays[0].shape[0],)

    def __reduce__(self):
        return (RowMap, (self.fn, *self.arrays))


class _RowStart:
    """The row array whose block is the chunk's first global row (an int)."""

    def __reduce__(self):
        return "ROW_START"


ROW_START = _RowStart()  # pass as a row array: the block function gets its chunk's start


class _ChunkSpec:
    """The literal arguments of one chunk's task (an object, so the task graph does
    not read its tuples as tasks or keys)."""

    __slots__ = ("fn", "index", "maps", "offset", "rule_order")

    def __init__(self, fn, index, offset, rule_order, maps):
        self.fn, self.index, self.offset = fn, index, offset
        self.rule_order, self.maps = rule_order, maps


def _run_chunk(spec, xb, *rbs):
    from .blocks import _in_worker

    # one thread per chunk: the cluster's workers are the parallelism (no nested pool)
    previous = getattr(_in_worker, "active", False)
    _in_worker.active = True
    try:
        rows = [_materialise(r) if f is None else f(*(_materialise(b) for b in r))
                for f, r in zip(spec.maps, rbs, strict=True)]
        return spec.fn(xb, *rows)
    except (DomainError, RowError) as err:
        err = _shift(err, spec.offset)
        return _ChunkError(err, spec.index, _rank(err, spec.rule_order))
    finally:
        _in_worker.active = previous


class _Ones:
    """The broadcast unit weights of a block (``np.broadcast_to(value, (n,))``)
    without shipping n values to the worker."""

    __slots__ = ("dtype", "n", "value")

    def __init__(self, value, n, dtype):
        self.value, self.n, self.dtype = value, int(n), dtype


def _materialise(r):
    if isinstance(r, _Ones):
        return np.broadcast_to(np.asarray(r.value, dtype=r.dtype), (r.n,))
    return r


def _combine_parts(combine, *parts):
    errors = [p for p in parts if isinstance(p, _ChunkError)]
    if errors:
        return min(errors, key=lambda e: e.key)
    if any(p is None for p in parts):
        return None
    out = parts[0]
    for p in parts[1:]:
        out = combine(out, p)
    return out


def as_dask_rows(X):
    """``X`` as a Dask array with one chunk across the columns and known row chunks
    (a Dask DataFrame's partition lengths are computed: one pass)."""
    import dask.array as da

    if not isinstance(X, da.Array):
        if hasattr(X, "to_dask_array"):
            X = X.to_dask_array(lengths=True)
        else:
            raise TypeError(f"sklearn_mle cannot read a {type(X).__name__} as rows")
    if any(math.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if X.ndim > 1 and any(len(c) > 1 for c in X.chunks[1:]):
        X = X.rechunk({i: -1 for i in range(1, X.ndim)})
    return X


def row_offsets(X) -> np.ndarray:
    """The first global row of each row chunk of a Dask array (length n_chunks + 1)."""
    return np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(np.int64)


def _row_blocks(a, X, deps):
    """The blocks of a row array aligned with the row chunks of ``X``: the keys of a
    Dask array's chunks (the array added to ``deps``), or NumPy slices."""
    from dask.core import flatten

    chunks = X.chunks[0]
    if a is None:
        return [None] * len(chunks)
    if a is ROW_START:
        return [int(o) for o in row_offsets(X)[:-1]]
    if is_dask(a):
        a = as_dask_rows(a)
        if a.shape[0] != X.shape[0]:
            raise ValueError(f"a row array has {a.shape[0]} rows, X has {X.shape[0]}")
        if a.chunks[0] != chunks:
            a = a.rechunk({0: chunks})
        deps.append(a)
        return list(flatten(a.__dask_keys__()))
    a = np.asarray(a)
    if a.shape[0] != X.shape[0]:
        raise ValueError(f"a row array has {a.shape[0]} rows, X has {X.shape[0]}")
    offsets = row_offsets(X)
    if a.ndim == 1 and a.strides[0] == 0 and a.size:  # broadcast ones: ship the value
        return [_Ones(a[0], c, a.dtype) for c in chunks]
    return [a[offsets[i]:offsets[i + 1]] for i in range(len(chunks))]


def dask_map_reduce(fn, X, row_arrays=(), combine=None, *, rule_order=(),
                    split_every: int = SPLIT_EVERY, compute: bool = True, extra=()):
    """Sum ``fn(chunk, *row_array_chunks)`` over the row chunks of a Dask array.

    Parameters
    ----------
    fn : callable
        As for :func:`~sklearn_mle._engine.blocks.map_reduce`; it must pickle (a
        cluster with processes ships it; cloudpickle handles closures).
    X : dask array or DataFrame
    row_arrays : sequence of arrays (NumPy or Dask), :class:`RowMap`, ``ROW_START`` or None
        Aligned with X's rows (rechunked or sliced to its chunks); ``ROW_START``
        gives the chunk's first row in the whole array.
    combine : callable or None
        ``combine(a, b)`` instead of ``+``.
    rule_order : tuple of str
        The domain rules in the order the in-memory pass checks them (decides which
        of several chunks' errors is reported).
    split_every : int
        Partials added per node of the tree.
    compute : bool
        False: return the Delayed sum (to compute with other things at once).
    extra : tuple
        Further Dask collections computed in the same call (their results follow
        the sum in a tuple).

    Returns
    -------
    The sum (or a tuple ``(sum, *extra)``).
    """
    import uuid

    import dask
    from dask.core import flatten
    from dask.delayed import Delayed
    from dask.highlevelgraph import HighLevelGraph

    from .blocks import _add

    X = as_dask_rows(X)
    combine = combine or _add
    offsets = row_offsets(X)
    deps = [X]
    xkeys = list(flatten(X.__dask_keys__()))
    # a RowMap's arrays travel as a list of blocks per chunk, mapped in the chunk's task
    maps = tuple(a.fn if isinstance(a, RowMap) else None for a in row_arrays)
    rblocks = [[list(b) for b in zip(*(_row_blocks(b, X, deps) for b in a.arrays),
                                     strict=True)]
               if isinstance(a, RowMap) else _row_blocks(a, X, deps) for a in row_arrays]
    rule_order = tuple(rule_order)
    # the graph written as one layer of plain tasks: dask.delayed calls (tokenised,
    # each merging its arguments' graphs) cost ~1.5 ms each on the client, ~70 ms a
    # pass of 40 chunks; unique names (a new uuid per pass): never a cached result
    name = f"sklearn-mle-chunk-{uuid.uuid4().hex}"
    specs = [_ChunkSpec(fn, i, int(offsets[i]), rule_order, maps) for i in range(len(xkeys))]
    groups = _held_groups(X, xkeys)
    if groups is not None:
        # X in the workers' memory: one task per worker thread over the chunks it
        # holds (~2-3 ms of scheduling per task saved on all but one chunk of each);
        # the partials come back per chunk and are added in the tree below's order
        layer = {(name, 0, g): (_run_chunks, [specs[i] for i in idx],
                                [xkeys[i] for i in idx],
                                [[r[i] for r in rblocks] for i in idx])
                 for g, idx in enumerate(groups)}
        parts = [_put(layer, (name, 1, 0), (partial(_combine_in_order, combine, split_every),
                                            *layer))]
    else:
        layer = {(name, 0, i): (_run_chunk, specs[i], xb, *(r[i] for r in rblocks))
                 for i, xb in enumerate(xkeys)}
        parts = list(layer)
    node = partial(_combine_parts, combine)
    level = 0
    while len(parts) > 1:
        level += 1
        parts = [_put(layer, (name, level, j), (node, *parts[i:i + split_every]))
                 for j, i in enumerate(range(0, len(parts), split_every))]
    total = Delayed(parts[0], HighLevelGraph.from_collections(name, layer, dependencies=deps),
                    layer=name)
    if not compute:
        return total
    # unoptimised: the pass and the extra collections share the keys of the chunks, so
    # each chunk is read once (optimising them apart would fuse the reads twice)
    out = dask.compute(total, *extra, optimize_graph=False)
    result = out[0]
    if isinstance(result, _ChunkError):
        err = result.error
        err.chunk = result.chunk
        raise err
    return (result, *out[1:]) if extra else result


def _held_groups(X, keys):
    """The chunk indices each worker thread holds, when every chunk of ``X`` is in the
    memory of the workers of the distributed client that will run the pass (``X``
    persisted), in chunk order, split evenly over each worker's threads; else None
    (chunks still to be computed or read are placed by the scheduler, one task each).
    """
    try:
        import dask.base
        from distributed import default_client, futures_of

        client = default_client()
        if dask.base.get_scheduler(collections=[X]) != client.get:
            return None
        futures = futures_of(X)
        if len(futures) < len(keys):
            return None
        holders = client.who_has(futures)
        nthreads = client.nthreads()
    except Exception:  # noqa: BLE001 - no client, or one closing: a hint only
        return None
    by_worker = {}
    for i, key in enumerate(keys):
        held = holders.get(key) or ()
        if not held:
            return None
        by_worker.setdefault(held[0], []).append(i)
    groups = []
    for worker, idx in by_worker.items():
        n = max(1, min(int(nthreads.get(worker, 1)), len(idx)))
        groups += [list(part) for part in np.array_split(idx, n)]
    return groups if len(groups) < len(keys) else None


def _run_chunks(specs, xbs, rbss):
    """The chunks of one worker thread, one after another: ``[(index, partial)]``."""
    return [(spec.index, _run_chunk(spec, xb, *rbs))
            for spec, xb, rbs in zip(specs, xbs, rbss, strict=True)]


def _combine_in_order(combine, split_every, *groups):
    """The per-chunk partials of the groups added as the one-task-per-chunk graph adds
    them (``split_every`` at a time, in chunk order): the same sum to the last bit,
    wherever the chunks live."""
    parts = [p for _, p in sorted((item for g in groups for item in g), key=lambda t: t[0])]
    while len(parts) > 1:
        parts = [_combine_parts(combine, *parts[i:i + split_every])
                 for i in range(0, len(parts), split_every)]
    return parts[0]


def _put(layer, key, task):
    layer[key] = task
    return key


def dask_map_blocks(fn, X, row_arrays=(), *, trailing=None, dtype=None):
    """A lazy Dask array ``fn(chunk, *row_array_chunks)`` per row chunk, stacked.

    ``trailing`` (the shape of one output row) and ``dtype`` are found by running
    ``fn`` on a row of ones when not given (on the first row, a read of the first
    chunk, if ``fn`` refuses ones).
    """
    import dask.array as da

    X = as_dask_rows(X)
    if trailing is None or dtype is None:
        try:  # a synthetic row of ones: no read of the data
            first = np.asarray(fn(np.ones((1, *X.shape[1:]), X.dtype), *(
                None if a is None else np.ones((1, *a.shape[1:]), a.dtype)
                for a in row_arrays)))
        except Exception:  # noqa: BLE001 - a function that refuses ones: the first row
            first = np.asarray(fn(X[:1].compute(), *(
                None if a is None else (a[:1].compute() if is_dask(a) else np.asarray(a)[:1])
                for a in row_arrays)))
        trailing, dtype = first.shape[1:], first.dtype
    trailing = tuple(trailing)
    # blockwise over the row axis only: every other axis of the inputs and of the
    # output is one chunk, so block i of every input is row chunk i
    ins = [X, (0,) + tuple(100 + i for i in range(1, X.ndim))]
    for j, a in enumerate(row_arrays):
        if a is None:
            ins += [None, None]
            continue
        a = as_dask_rows(a) if is_dask(a) else da.from_array(np.asarray(a))
        a = a.rechunk({0: X.chunks[0], **{i: -1 for i in range(1, a.ndim)}})
        ins += [a, (0,) + tuple(200 + 10 * j + i for i in range(1, a.ndim))]
    out_ind = (0,) + tuple(300 + i for i in range(len(trailing)))
    new_axes = {300 + i: t for i, t in enumerate(trailing)}
    return da.blockwise(_call, out_ind, fn, None, *ins, new_axes=new_axes, dtype=dtype,
                        concatenate=True, meta=np.empty((0,) * (1 + len(trailing)), dtype))


def _call(fn, xb, *rbs):
    return fn(xb, *rbs)
